/*
 * test_isolation.c: what the kernel file APIs let a driver reach and what
 * they record: hostile names and traversal attempts (refused, nothing
 * created outside the volume), handle provenance (absolute, \DriverData,
 * inherited from an IoGetDriverDirectory-style handle), the isolation rules
 * in the audit, the read-only driver store, and enforce mode.
 */
#include "tests/kfile/kf.h"

#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(kfile_isolation, .init = kf_setup, .fini = kf_teardown);

static pnpbox_component *as_driver(void)
{
    pnpbox_component *d = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "testdrv");
    cr_assert_not_null(d);
    pnpbox_enter(d);
    return d;
}

static NTSTATUS create_counted(HANDLE *h, const WCHAR *buf, size_t units, HANDLE root)
{
    UNICODE_STRING u = {(USHORT)(units * 2), (USHORT)(units * 2), (PWCH)buf};
    OBJECT_ATTRIBUTES oa = kf_oa(&u, root, OBJ_CASE_INSENSITIVE);
    IO_STATUS_BLOCK iosb;
    return ZwCreateFile(h, GENERIC_WRITE | SYNCHRONIZE, &oa, &iosb, NULL, 0, 0, FILE_OVERWRITE_IF,
                        FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
}

Test(kfile_isolation, hostile_names_are_refused)
{
    static const struct {
        const WCHAR *name;
        NTSTATUS status;
    } bad[] = {
        {L"\\??\\C:\\..\\..\\escape_kf", STATUS_OBJECT_PATH_SYNTAX_BAD},
        {L"\\??\\C:\\Windows\\..\\..\\..\\escape_kf", STATUS_OBJECT_PATH_SYNTAX_BAD},
        {L"\\SystemRoot\\..\\..\\escape_kf", STATUS_OBJECT_PATH_SYNTAX_BAD},
        {L"\\DriverData\\..\\..\\..\\..\\escape_kf", STATUS_OBJECT_PATH_SYNTAX_BAD},
        {L"\\Device\\HarddiskVolume3\\..\\escape_kf", STATUS_OBJECT_PATH_SYNTAX_BAD},
        {L"\\??\\C:\\Windows\\.\\escape_kf", STATUS_OBJECT_NAME_INVALID},
        {L"\\??\\C:/escape_kf", STATUS_OBJECT_NAME_INVALID},
        {L"\\??\\C:\\Windows\\Temp\\CON", STATUS_OBJECT_NAME_INVALID},
        {L"\\??\\C:\\Windows\\Temp\\nul.txt", STATUS_OBJECT_NAME_INVALID},
        {L"\\??\\C:\\Windows\\Temp\\COM1", STATUS_OBJECT_NAME_INVALID},
        {L"\\??\\C:\\Windows\\Temp\\lpt9.log", STATUS_OBJECT_NAME_INVALID},
        {L"\\??\\C:\\Windows\\Temp\\a:stream", STATUS_OBJECT_NAME_INVALID},
        {L"\\??\\C:\\Windows\\Temp\\a<b", STATUS_OBJECT_NAME_INVALID},
        {L"\\??\\C:\\Windows\\Temp\\a\x0001" L"b", STATUS_OBJECT_NAME_INVALID},
        {L"\\??\\C:\\Windows\\Temp\\a\xd800" L"b", STATUS_OBJECT_NAME_INVALID},
        {L"\\??\\UNC\\server\\share\\escape_kf", STATUS_OBJECT_PATH_NOT_FOUND},
        {L"\\??\\C:\\Windows\\Temp\\\\double", STATUS_OBJECT_NAME_INVALID},
    };
    as_driver();
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        HANDLE h = (HANDLE)0xdeadbeef;
        size_t n = 0;
        while (bad[i].name[n])
            n++;
        NTSTATUS st = create_counted(&h, bad[i].name, n, NULL);
        cr_expect_eq(st, bad[i].status, "%zu: %s", i, emu_status_name(st));
        cr_expect_eq(h, (HANDLE)0xdeadbeef);
    }
    /* An embedded NUL (counted string). */
    static const WCHAR nul[] = {'\\', '?', '?', '\\', 'C', ':', '\\', 'e', 0, 'x'};
    HANDLE h;
    cr_expect_eq(create_counted(&h, nul, sizeof nul / 2, NULL), STATUS_OBJECT_NAME_INVALID);
    /* Over-long components: 256 units, and 200 units that are 600 UTF-8 bytes. */
    WCHAR lng[300] = L"\\??\\C:\\Windows\\Temp\\";
    size_t p = 0;
    while (lng[p])
        p++;
    for (size_t k = 0; k < 256; k++)
        lng[p + k] = 'a';
    cr_expect_eq(create_counted(&h, lng, p + 256, NULL), STATUS_OBJECT_NAME_INVALID);
    cr_assert_eq(create_counted(&h, lng, p + 255, NULL), STATUS_SUCCESS, "255 units is the limit");
    kf_close(h);
    for (size_t k = 0; k < 200; k++)
        lng[p + k] = 0x4e2d; /* U+4E2D: 3 UTF-8 bytes */
    cr_expect_eq(create_counted(&h, lng, p + 200, NULL), STATUS_OBJECT_NAME_INVALID);
    /* Relative traversal under a root handle. */
    HANDLE dir;
    cr_assert_eq(kf_create(&dir, FILE_LIST_DIRECTORY, L"\\SystemRoot\\Temp", NULL, FILE_OPEN, FILE_DIRECTORY_FILE,
                           NULL),
                 STATUS_SUCCESS);
    cr_expect_eq(create_counted(&h, L"..\\..\\..\\escape_kf", 18, dir), STATUS_OBJECT_PATH_SYNTAX_BAD);
    cr_expect_eq(create_counted(&h, L"..", 2, dir), STATUS_OBJECT_PATH_SYNTAX_BAD);
    kf_close(dir);
    /* A host symlink planted in the backing tree is never followed. */
    cr_assert_eq(symlink("/etc", kf_host("Windows/Temp/link")), 0);
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"\\??\\C:\\Windows\\Temp\\link\\passwd", NULL, FILE_OPEN, 0, NULL),
                 STATUS_ACCESS_DENIED);
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"\\??\\C:\\Windows\\Temp\\link", NULL, FILE_OPEN, 0, NULL),
                 STATUS_ACCESS_DENIED);
    /* Nothing was created outside the volume (its parent, the host root). */
    char *vol = strdup(pnpbox_volume_dir(m));
    char parent[4200];
    snprintf(parent, sizeof parent, "%s/escape_kf", dirname(vol));
    struct stat st;
    cr_expect_neq(lstat(parent, &st), 0, "%s exists", parent);
    cr_expect_neq(lstat("/escape_kf", &st), 0);
    free(vol);
    cr_expect_eq(kf_host_exists("escape_kf"), 0);
    cr_expect_eq(emu_handle_count(m, EMU_H_FILE), 0);
}

Test(kfile_isolation, absolute_driver_file_is_flagged)
{
    pnpbox_component *d = as_driver();
    HANDLE h;
    IO_STATUS_BLOCK iosb;
    cr_assert_eq(kf_create(&h, GENERIC_WRITE | SYNCHRONIZE, L"\\SystemRoot\\System32\\drivers\\x.dat", NULL,
                           FILE_OVERWRITE_IF, FILE_SYNCHRONOUS_IO_NONALERT, &iosb),
                 STATUS_SUCCESS);
    const pnpbox_event *e = kf_event("ZwCreateFile", "\\drivers\\x.dat");
    cr_assert_not_null(e);
    cr_expect_str_eq(e->path, "C:\\Windows\\System32\\drivers\\x.dat");
    cr_expect_str_eq(e->component, "testdrv");
    cr_expect_str_eq(e->origin, "absolute");
    cr_expect_str_eq(e->rules, "FILE-ABSOLUTE-PATH FILE-OUTSIDE-STATE");
    cr_expect_eq(e->outcome, PNPBOX_OUTCOME_REPORTED);
    cr_expect_eq(e->status, STATUS_SUCCESS);
    cr_expect_not_null(e->caller_addr, "the driver's return address is recorded");
    emu_handle *eh;
    cr_assert_eq(emu_file_from_handle(m, h, &eh), STATUS_SUCCESS);
    cr_expect_eq(eh->prov.owner, d);
    cr_expect_str_eq(eh->prov.api, "absolute");
    /* Data transfers on the handle are not judged again. */
    size_t mark = kf_mark();
    cr_assert_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, "x", 1, NULL, NULL), STATUS_SUCCESS);
    cr_expect_eq(kf_mark(), mark);
    kf_close(h);
    /* Attribute queries by name are judged and recorded. */
    UNICODE_STRING u = kf_us(L"\\SystemRoot\\System32\\drivers\\x.dat");
    OBJECT_ATTRIBUTES oa = kf_oa(&u, NULL, 0);
    FILE_NETWORK_OPEN_INFORMATION ni;
    cr_assert_eq(ZwQueryFullAttributesFile(&oa, &ni), STATUS_SUCCESS);
    cr_expect_eq(ni.EndOfFile.QuadPart, 1);
    e = kf_event("ZwQueryFullAttributesFile", "x.dat");
    cr_assert_not_null(e);
    cr_expect_str_eq(e->rules, "FILE-ABSOLUTE-PATH");
    /* The harness itself is never judged. */
    pnpbox_enter(m->harness);
    kf_make_file(L"\\SystemRoot\\System32\\drivers\\h.dat", "h");
    e = kf_event("ZwCreateFile", "h.dat");
    cr_assert_not_null(e);
    cr_expect_str_eq(e->rules, "");
    cr_expect_str_eq(e->component, "harness");
}

static emu_prov data_prov(pnpbox_component *d)
{
    emu_prov p = {0};
    p.api = "IoGetDriverDirectory";
    p.sel = "DriverDirectoryData";
    p.approved = 1;
    p.owner = d;
    p.scope_owner = d;
    p.scope = EMU_SCOPE_DRIVER_DATA;
    p.scope_path = (char *)"\\Windows\\ServiceState\\testdrv\\Data";
    return p;
}

Test(kfile_isolation, relative_to_driver_directory_records_nothing)
{
    pnpbox_component *d = as_driver();
    emu_prov p = data_prov(d);
    HANDLE dir = NULL;
    cr_assert_eq(emu_file_dir_handle(m, "\\Windows\\ServiceState\\testdrv\\Data", 1,
                                     FILE_LIST_DIRECTORY | FILE_ADD_FILE | FILE_ADD_SUBDIRECTORY | SYNCHRONIZE, 0, &p,
                                     EMU_HF_KERNEL | EMU_HF_SYNC_IO, &dir),
                 STATUS_SUCCESS);
    cr_expect(kf_host_exists("Windows/ServiceState/testdrv/Data"), "created with its parents");
    const pnpbox_event *e = kf_event(NULL, "ServiceState\\testdrv\\Data");
    cr_assert_not_null(e);
    cr_expect_str_eq(e->component, "installer", "the system made the directory");
    emu_handle *eh;
    cr_assert_eq(emu_file_from_handle(m, dir, &eh), STATUS_SUCCESS);
    cr_expect_str_eq(emu_prov_origin(&eh->prov), "IoGetDriverDirectory/DriverDirectoryData");
    cr_expect_str_eq(eh->prov.scope_path, "\\Windows\\ServiceState\\testdrv\\Data");
    cr_expect_neq(eh->prov.scope_path, p.scope_path, "copied");
    cr_expect(eh->flags & EMU_HF_KERNEL);
    /* The same create as the absolute one, relative to the approved handle. */
    HANDLE h;
    IO_STATUS_BLOCK iosb;
    cr_assert_eq(kf_create(&h, GENERIC_WRITE | SYNCHRONIZE, L"x.dat", dir, FILE_OVERWRITE_IF,
                           FILE_SYNCHRONOUS_IO_NONALERT, &iosb),
                 STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, FILE_CREATED);
    e = kf_event("ZwCreateFile", "x.dat");
    cr_assert_not_null(e);
    cr_expect_str_eq(e->path, "C:\\Windows\\ServiceState\\testdrv\\Data\\x.dat");
    cr_expect_str_eq(e->rules, "");
    cr_expect_eq(e->outcome, PNPBOX_OUTCOME_ALLOWED);
    cr_expect_str_eq(e->origin, "IoGetDriverDirectory/DriverDirectoryData");
    cr_expect_str_eq(e->component, "testdrv");
    emu_handle *fh;
    cr_assert_eq(emu_file_from_handle(m, h, &fh), STATUS_SUCCESS);
    cr_expect_eq(fh->prov.approved, 1, "inherited");
    cr_expect_eq(fh->prov.scope, EMU_SCOPE_DRIVER_DATA);
    cr_expect_str_eq(fh->prov.scope_path, "\\Windows\\ServiceState\\testdrv\\Data");
    cr_assert_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, "state", 5, NULL, NULL), STATUS_SUCCESS);
    kf_close(h);
    /* Subdirectories and their files inherit too. */
    HANDLE sub;
    cr_assert_eq(kf_create(&sub, FILE_LIST_DIRECTORY, L"cache", dir, FILE_OPEN_IF, FILE_DIRECTORY_FILE, NULL),
                 STATUS_SUCCESS);
    cr_assert_eq(kf_create(&h, GENERIC_WRITE, L"c.bin", sub, FILE_CREATE, 0, NULL), STATUS_SUCCESS);
    e = kf_event("ZwCreateFile", "c.bin");
    cr_assert_not_null(e);
    cr_expect_str_eq(e->rules, "");
    cr_expect_str_eq(e->origin, "IoGetDriverDirectory/DriverDirectoryData");
    kf_close(h);
    kf_close(sub);
    /* A delete through the approved handle, done at close, is recorded as ZwClose. */
    cr_assert_eq(kf_create(&h, DELETE, L"x.dat", dir, FILE_OPEN, FILE_DELETE_ON_CLOSE, NULL), STATUS_SUCCESS);
    kf_close(h);
    e = kf_event("ZwClose", "x.dat");
    cr_assert_not_null(e);
    cr_expect_str_eq(e->rules, "");
    cr_expect_eq(kf_host_exists("Windows/ServiceState/testdrv/Data/x.dat"), 0);
    /* Another driver's directory through an absolute name: cross-component. */
    pnpbox_enter(pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "otherdrv"));
    cr_assert_eq(kf_create(&h, GENERIC_READ, L"\\SystemRoot\\ServiceState\\testdrv\\Data\\cache\\c.bin", NULL,
                           FILE_OPEN, 0, NULL),
                 STATUS_SUCCESS);
    e = kf_event("ZwCreateFile", "c.bin");
    cr_expect_str_eq(e->rules, "FILE-ABSOLUTE-PATH FILE-CROSS-COMPONENT");
    kf_close(h);
    kf_close(dir);
}

Test(kfile_isolation, driverdata_link_is_sanctioned)
{
    as_driver();
    kf_make_dir(L"\\DriverData\\Contoso");
    kf_make_file(L"\\DriverData\\Contoso\\drv.log", "log");
    const pnpbox_event *e = kf_event("ZwCreateFile", "Contoso\\drv.log");
    cr_assert_not_null(e);
    cr_expect_str_eq(e->path, "C:\\Windows\\System32\\drivers\\DriverData\\Contoso\\drv.log");
    cr_expect_str_eq(e->origin, "\\DriverData");
    cr_expect_str_eq(e->rules, "");
    /* A file at the root of DriverData. */
    kf_make_file(L"\\DriverData\\root.log", "r");
    e = kf_event("ZwCreateFile", "root.log");
    cr_assert_not_null(e);
    cr_expect_str_eq(e->rules, "FILE-DRIVERDATA-ROOT");
    HANDLE h;
    cr_assert_eq(kf_create(&h, GENERIC_READ, L"\\DriverData\\Contoso\\drv.log", NULL, FILE_OPEN, 0, NULL),
                 STATUS_SUCCESS);
    emu_handle *eh;
    cr_assert_eq(emu_file_from_handle(m, h, &eh), STATUS_SUCCESS);
    cr_expect_eq(eh->prov.approved, 1);
    cr_expect_eq(eh->prov.scope, EMU_SCOPE_DRIVERDATA);
    kf_close(h);
}

Test(kfile_isolation, driver_store_is_read_only)
{
    /* The installer stages a package. */
    pnpbox_enter(m->installer);
    kf_make_dir(L"\\SystemRoot\\System32\\DriverStore\\FileRepository\\testdrv.inf_amd64_0123456789abcdef");
    kf_make_file(L"\\SystemRoot\\System32\\DriverStore\\FileRepository\\testdrv.inf_amd64_0123456789abcdef\\testdrv.sys",
                 "MZ");
    pnpbox_component *d = as_driver();
    HANDLE h;
    IO_STATUS_BLOCK iosb;
    /* Writes into the store are denied to drivers, whatever the mode. */
    kf_iosb_fill(&iosb);
    cr_expect_eq(kf_create(&h, GENERIC_WRITE,
                           L"\\SystemRoot\\System32\\DriverStore\\FileRepository\\testdrv.inf_amd64_0123456789abcdef\\"
                           L"cache.bin",
                           NULL, FILE_CREATE, 0, &iosb),
                 STATUS_ACCESS_DENIED);
    cr_expect_eq(iosb.Status, STATUS_ACCESS_DENIED);
    cr_expect_eq(kf_host_exists(
                     "Windows/System32/DriverStore/FileRepository/testdrv.inf_amd64_0123456789abcdef/cache.bin"),
                 0);
    const pnpbox_event *e = kf_event("ZwCreateFile", "cache.bin");
    cr_assert_not_null(e);
    cr_expect(strstr(e->rules, "FILE-DRIVER-STORE-WRITE"), "%s", e->rules);
    cr_expect_eq(e->status, STATUS_ACCESS_DENIED);
    cr_expect_eq(kf_create(&h, GENERIC_WRITE,
                           L"\\SystemRoot\\System32\\DriverStore\\FileRepository\\testdrv.inf_amd64_0123456789abcdef\\"
                           L"testdrv.sys",
                           NULL, FILE_OPEN, 0, NULL),
                 STATUS_ACCESS_DENIED);
    cr_expect_eq(ZwDeleteFile(&(OBJECT_ATTRIBUTES){sizeof(OBJECT_ATTRIBUTES), NULL,
                                                   &(UNICODE_STRING){0}, 0, NULL, NULL}),
                 STATUS_OBJECT_PATH_SYNTAX_BAD);
    /* The image directory through a read-only handle (DriverDirectoryImage style). */
    emu_prov img = {.api = "IoGetDriverDirectory", .sel = "DriverDirectoryImage", .approved = 1, .owner = d,
                    .scope_owner = d, .scope = EMU_SCOPE_DRIVER_IMAGE,
                    .scope_path = (char *)"\\Windows\\System32\\DriverStore\\FileRepository\\testdrv.inf_amd64_0123456789abcdef"};
    HANDLE dir;
    cr_assert_eq(emu_file_dir_handle(m, img.scope_path, 0, FILE_LIST_DIRECTORY | SYNCHRONIZE | FILE_ADD_FILE, 1, &img,
                                     EMU_HF_KERNEL | EMU_HF_SYNC_IO, &dir),
                 STATUS_SUCCESS);
    emu_handle *eh;
    cr_assert_eq(emu_file_from_handle(m, dir, &eh), STATUS_SUCCESS);
    cr_expect_eq(eh->access & FILE_ADD_FILE, 0, "read-only: no write rights");
    cr_assert_eq(kf_create(&h, GENERIC_READ, L"testdrv.sys", dir, FILE_OPEN, 0, NULL), STATUS_SUCCESS);
    char buf[4] = {0};
    cr_assert_eq(ZwReadFile(h, NULL, NULL, NULL, &iosb, buf, sizeof buf, &(LARGE_INTEGER){.QuadPart = 0}, NULL),
                 STATUS_SUCCESS);
    cr_expect_str_eq(buf, "MZ");
    kf_close(h);
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"new.bin", dir, FILE_CREATE, 0, NULL), STATUS_ACCESS_DENIED);
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"new.bin", dir, FILE_OPEN_IF, 0, NULL), STATUS_ACCESS_DENIED);
    cr_expect_eq(kf_create(&h, GENERIC_WRITE, L"testdrv.sys", dir, FILE_OPEN, 0, NULL), STATUS_ACCESS_DENIED);
    cr_assert_eq(kf_create(&h, GENERIC_READ, L"testdrv.sys", dir, FILE_OPEN_IF, 0, NULL), STATUS_SUCCESS);
    kf_close(h);
    UNICODE_STRING u = kf_us(L"testdrv.sys");
    OBJECT_ATTRIBUTES oa = kf_oa(&u, dir, 0);
    cr_expect_eq(ZwDeleteFile(&oa), STATUS_ACCESS_DENIED);
    cr_expect(kf_host_exists(
        "Windows/System32/DriverStore/FileRepository/testdrv.inf_amd64_0123456789abcdef/testdrv.sys"));
    kf_close(dir);
}

Test(kfile_isolation, enforce_mode_denies_and_creates_nothing)
{
    pnpbox_component *d = as_driver();
    pnpbox_set_mode(m, PNPBOX_MODE_ENFORCE);
    HANDLE h = (HANDLE)0xdeadbeef;
    IO_STATUS_BLOCK iosb;
    kf_iosb_fill(&iosb);
    cr_expect_eq(kf_create(&h, GENERIC_WRITE | SYNCHRONIZE, L"\\SystemRoot\\System32\\drivers\\x.dat", NULL,
                           FILE_OVERWRITE_IF, FILE_SYNCHRONOUS_IO_NONALERT, &iosb),
                 STATUS_ACCESS_DENIED);
    cr_expect_eq(h, (HANDLE)0xdeadbeef);
    cr_expect_eq(iosb.Status, STATUS_ACCESS_DENIED);
    cr_expect_eq(iosb.Information, 0);
    cr_expect_eq(kf_host_exists("Windows/System32/drivers/x.dat"), 0);
    const pnpbox_event *e = kf_event("ZwCreateFile", "x.dat");
    cr_assert_not_null(e);
    cr_expect_eq(e->outcome, PNPBOX_OUTCOME_DENIED);
    cr_expect_eq(e->status, STATUS_ACCESS_DENIED);
    /* Deletes, renames and directories by absolute name: denied, nothing changes. */
    UNICODE_STRING u = kf_us(L"\\SystemRoot\\INF\\setup.log");
    OBJECT_ATTRIBUTES oa = kf_oa(&u, NULL, 0);
    cr_expect_eq(ZwDeleteFile(&oa), STATUS_ACCESS_DENIED);
    cr_expect_eq(kf_create(&h, FILE_LIST_DIRECTORY, L"\\SystemRoot\\Temp\\newdir", NULL, FILE_CREATE,
                           FILE_DIRECTORY_FILE, NULL),
                 STATUS_ACCESS_DENIED);
    cr_expect_eq(kf_host_exists("Windows/Temp/newdir"), 0);
    /* The sanctioned way still works. */
    emu_prov p = data_prov(d);
    HANDLE dir;
    cr_assert_eq(emu_file_dir_handle(m, "\\Windows\\ServiceState\\testdrv\\Data", 1,
                                     FILE_LIST_DIRECTORY | FILE_ADD_FILE | SYNCHRONIZE, 0, &p, EMU_HF_KERNEL, &dir),
                 STATUS_SUCCESS);
    cr_assert_eq(kf_create(&h, GENERIC_WRITE, L"x.dat", dir, FILE_CREATE, 0, &iosb), STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, FILE_CREATED);
    kf_close(h);
    cr_expect(kf_host_exists("Windows/ServiceState/testdrv/Data/x.dat"));
    kf_close(dir);
    /* Reading absolute paths is a finding too (FILE-ABSOLUTE-PATH is an error). */
    FILE_BASIC_INFORMATION bi;
    u = kf_us(L"\\SystemRoot\\INF");
    oa = kf_oa(&u, NULL, 0);
    cr_expect_eq(ZwQueryAttributesFile(&oa, &bi), STATUS_ACCESS_DENIED);
}
