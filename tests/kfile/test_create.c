/*
 * test_create.c: ZwCreateFile / ZwOpenFile conformance: every disposition
 * with its IO_STATUS_BLOCK Information, the directory options, the invalid
 * parameter combinations, OBJECT_ATTRIBUTES checks, the NT path forms and
 * RootDirectory-relative names (after Wine's ntdll file tests).
 */
#include "tests/kfile/kf.h"

TestSuite(kfile_create, .init = kf_setup, .fini = kf_teardown);

static ULONG attrs_of(const WCHAR *name)
{
    UNICODE_STRING u = kf_us(name);
    OBJECT_ATTRIBUTES oa = kf_oa(&u, NULL, OBJ_CASE_INSENSITIVE);
    FILE_BASIC_INFORMATION bi;
    NTSTATUS st = ZwQueryAttributesFile(&oa, &bi);
    cr_assert_eq(st, STATUS_SUCCESS, "%s", emu_status_name(st));
    return bi.FileAttributes;
}

/* Wine's test_NtCreateFile table: disposition, attributes in, status, Information, attributes out. */
Test(kfile_create, disposition_table)
{
    static const struct {
        ULONG disposition, attrib_in;
        NTSTATUS status;
        ULONG result, attrib_out;
        int cleanup;
    } td[] = {
        {FILE_CREATE, FILE_ATTRIBUTE_READONLY, 0, FILE_CREATED, FILE_ATTRIBUTE_ARCHIVE | FILE_ATTRIBUTE_READONLY, 0},
        {FILE_CREATE, 0, STATUS_OBJECT_NAME_COLLISION, FILE_EXISTS, 0, 1},
        {FILE_CREATE, 0, 0, FILE_CREATED, FILE_ATTRIBUTE_ARCHIVE, 0},
        {FILE_OPEN, FILE_ATTRIBUTE_READONLY, 0, FILE_OPENED, FILE_ATTRIBUTE_ARCHIVE, 1},
        {FILE_OPEN, FILE_ATTRIBUTE_READONLY, STATUS_OBJECT_NAME_NOT_FOUND, FILE_DOES_NOT_EXIST, 0, 0},
        {FILE_OPEN_IF, 0, 0, FILE_CREATED, FILE_ATTRIBUTE_ARCHIVE, 0},
        {FILE_OPEN_IF, FILE_ATTRIBUTE_READONLY, 0, FILE_OPENED, FILE_ATTRIBUTE_ARCHIVE, 1},
        {FILE_OPEN_IF, FILE_ATTRIBUTE_READONLY, 0, FILE_CREATED, FILE_ATTRIBUTE_ARCHIVE | FILE_ATTRIBUTE_READONLY, 0},
        {FILE_OPEN_IF, 0, 0, FILE_OPENED, FILE_ATTRIBUTE_ARCHIVE | FILE_ATTRIBUTE_READONLY, 0},
        {FILE_OVERWRITE, 0, STATUS_ACCESS_DENIED, 0, 0, 1},
        {FILE_OVERWRITE, 0, STATUS_OBJECT_NAME_NOT_FOUND, FILE_DOES_NOT_EXIST, 0, 0},
        {FILE_CREATE, 0, 0, FILE_CREATED, FILE_ATTRIBUTE_ARCHIVE, 0},
        {FILE_OVERWRITE, FILE_ATTRIBUTE_READONLY, 0, FILE_OVERWRITTEN, FILE_ATTRIBUTE_ARCHIVE | FILE_ATTRIBUTE_READONLY, 0},
        {FILE_OVERWRITE_IF, 0, STATUS_ACCESS_DENIED, 0, 0, 1},
        {FILE_OVERWRITE_IF, 0, 0, FILE_CREATED, FILE_ATTRIBUTE_ARCHIVE, 0},
        {FILE_OVERWRITE_IF, FILE_ATTRIBUTE_READONLY, 0, FILE_OVERWRITTEN,
         FILE_ATTRIBUTE_ARCHIVE | FILE_ATTRIBUTE_READONLY, 0},
        {FILE_SUPERSEDE, 0, 0, FILE_SUPERSEDED, FILE_ATTRIBUTE_ARCHIVE, 0},
        {FILE_SUPERSEDE, FILE_ATTRIBUTE_READONLY, 0, FILE_SUPERSEDED, FILE_ATTRIBUTE_ARCHIVE | FILE_ATTRIBUTE_READONLY, 1},
        {FILE_SUPERSEDE, 0, 0, FILE_CREATED, FILE_ATTRIBUTE_ARCHIVE, 1},
    };
    const WCHAR *name = L"\\??\\C:\\Windows\\Temp\\foo.tmp";
    UNICODE_STRING u = kf_us(name);
    for (size_t i = 0; i < sizeof td / sizeof *td; i++) {
        OBJECT_ATTRIBUTES oa = kf_oa(&u, NULL, OBJ_CASE_INSENSITIVE);
        HANDLE h = (HANDLE)0xdeadbeef;
        IO_STATUS_BLOCK iosb;
        kf_iosb_fill(&iosb);
        NTSTATUS st = ZwCreateFile(&h, GENERIC_READ, &oa, &iosb, NULL, td[i].attrib_in,
                                   FILE_SHARE_READ | FILE_SHARE_WRITE, td[i].disposition, 0, NULL, 0);
        cr_expect_eq(st, td[i].status, "%zu: %s", i, emu_status_name(st));
        if (!st) {
            cr_expect_eq(iosb.Status, STATUS_SUCCESS, "%zu", i);
            cr_expect_eq(iosb.Information, td[i].result, "%zu: Information %lu", i, (unsigned long)iosb.Information);
            cr_expect_eq((uintptr_t)h % 4, 0);
            cr_expect_eq(attrs_of(name), td[i].attrib_out, "%zu: attributes %#x", i, attrs_of(name));
            kf_close(h);
        } else {
            cr_expect_eq(h, (HANDLE)0xdeadbeef, "%zu: handle written on failure", i);
            cr_expect_eq(iosb.Status, td[i].status, "%zu: iosb.Status", i);
            cr_expect_eq(iosb.Information, td[i].result, "%zu: iosb.Information %lu", i,
                         (unsigned long)iosb.Information);
        }
        if (td[i].cleanup) {
            /* Clear the read-only attribute and delete, as the Wine test does. */
            HANDLE c;
            if (kf_create(&c, FILE_WRITE_ATTRIBUTES | DELETE, name, NULL, FILE_OPEN, 0, NULL) == 0) {
                FILE_BASIC_INFORMATION b = {0};
                b.FileAttributes = FILE_ATTRIBUTE_ARCHIVE;
                IO_STATUS_BLOCK io;
                cr_assert_eq(ZwSetInformationFile(c, &io, &b, sizeof b, FileBasicInformation), STATUS_SUCCESS);
                FILE_DISPOSITION_INFORMATION d = {TRUE};
                cr_assert_eq(ZwSetInformationFile(c, &io, &d, sizeof d, FileDispositionInformation), STATUS_SUCCESS);
                kf_close(c);
            }
        }
    }
    cr_expect_eq(kf_host_exists("Windows/Temp/foo.tmp"), 0);
}

Test(kfile_create, directory_options)
{
    HANDLE h;
    IO_STATUS_BLOCK iosb;
    const WCHAR *dir = L"\\??\\C:\\Windows\\Temp\\d";
    cr_assert_eq(kf_create(&h, FILE_LIST_DIRECTORY | SYNCHRONIZE, dir, NULL, FILE_CREATE,
                           FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, &iosb),
                 STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, FILE_CREATED);
    kf_close(h);
    cr_expect(kf_host_exists("Windows/Temp/d"));
    /* Only CREATE, OPEN and OPEN_IF go with FILE_DIRECTORY_FILE. */
    static const ULONG bad[] = {FILE_SUPERSEDE, FILE_OVERWRITE, FILE_OVERWRITE_IF};
    for (size_t i = 0; i < 3; i++) {
        kf_iosb_fill(&iosb);
        h = (HANDLE)0xdeadbeef;
        cr_expect_eq(kf_create(&h, GENERIC_READ, dir, NULL, bad[i], FILE_DIRECTORY_FILE, &iosb),
                     STATUS_INVALID_PARAMETER, "disposition %lu", (unsigned long)bad[i]);
        KF_IOSB_UNTOUCHED(iosb);
        cr_expect_eq(h, (HANDLE)0xdeadbeef);
    }
    cr_expect_eq(kf_create(&h, GENERIC_READ, dir, NULL, FILE_CREATE, FILE_DIRECTORY_FILE, &iosb),
                 STATUS_OBJECT_NAME_COLLISION);
    cr_expect_eq(iosb.Information, FILE_EXISTS);
    cr_assert_eq(kf_create(&h, GENERIC_READ, dir, NULL, FILE_OPEN_IF, FILE_DIRECTORY_FILE, &iosb), STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, FILE_OPENED);
    kf_close(h);
    /* Without options a directory opens, but cannot be replaced (Wine's create_file_test). */
    cr_assert_eq(kf_create(&h, GENERIC_READ, dir, NULL, FILE_OPEN, 0, &iosb), STATUS_SUCCESS);
    kf_close(h);
    for (size_t i = 0; i < 3; i++)
        cr_expect_eq(kf_create(&h, GENERIC_READ, dir, NULL, bad[i], 0, &iosb), STATUS_OBJECT_NAME_COLLISION,
                     "disposition %lu", (unsigned long)bad[i]);
    cr_expect_eq(kf_create(&h, GENERIC_READ, dir, NULL, FILE_OPEN, FILE_NON_DIRECTORY_FILE, &iosb),
                 STATUS_FILE_IS_A_DIRECTORY);
    kf_make_file(L"\\??\\C:\\Windows\\Temp\\f.txt", "x");
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"\\??\\C:\\Windows\\Temp\\f.txt", NULL, FILE_OPEN, FILE_DIRECTORY_FILE,
                           &iosb),
                 STATUS_NOT_A_DIRECTORY);
    /* A file used as a directory in a path. */
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"\\??\\C:\\Windows\\Temp\\f.txt\\x", NULL, FILE_OPEN_IF, 0, &iosb),
                 STATUS_OBJECT_PATH_NOT_FOUND);
}

Test(kfile_create, invalid_parameter_combinations)
{
    static const struct {
        ACCESS_MASK access;
        ULONG disposition, options, share, attributes;
    } bad[] = {
        {GENERIC_READ, FILE_OPEN_IF, FILE_DIRECTORY_FILE | FILE_NON_DIRECTORY_FILE, 0, 0},
        {GENERIC_READ & ~SYNCHRONIZE, FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_NONALERT, 0, 0},
        {FILE_APPEND_DATA, FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_NONALERT, 0, 0}, /* Wine: \SystemRoot\failing */
        {GENERIC_READ | SYNCHRONIZE, FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT, 0, 0},
        {GENERIC_READ, FILE_OPEN_IF, FILE_DELETE_ON_CLOSE, 0, 0},
        {GENERIC_READ, FILE_MAXIMUM_DISPOSITION + 1, 0, 0, 0},
        {GENERIC_READ, FILE_OPEN_IF, 0x01000000, 0, 0},
        {GENERIC_READ, FILE_OPEN_IF, 0, 0x8, 0},
        {GENERIC_READ, FILE_OPEN_IF, FILE_COMPLETE_IF_OPLOCKED | FILE_RESERVE_OPFILTER, 0, 0},
        {FILE_APPEND_DATA, FILE_OPEN_IF, FILE_NO_INTERMEDIATE_BUFFERING, 0, 0},
        {GENERIC_READ, FILE_OPEN_IF, FILE_DIRECTORY_FILE | FILE_RANDOM_ACCESS, 0, 0},
        {GENERIC_READ, FILE_OPEN_IF, 0, 0, 0x10000000},
    };
    UNICODE_STRING u = kf_us(L"\\SystemRoot\\Temp\\failing");
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        OBJECT_ATTRIBUTES oa = kf_oa(&u, NULL, OBJ_CASE_INSENSITIVE);
        HANDLE h = (HANDLE)0xdeadbeef;
        IO_STATUS_BLOCK iosb;
        kf_iosb_fill(&iosb);
        NTSTATUS st = ZwCreateFile(&h, bad[i].access, &oa, &iosb, NULL, bad[i].attributes, bad[i].share,
                                   bad[i].disposition, bad[i].options, NULL, 0);
        cr_expect_eq(st, STATUS_INVALID_PARAMETER, "%zu: %s", i, emu_status_name(st));
        cr_expect_eq(h, (HANDLE)0xdeadbeef, "%zu", i);
        KF_IOSB_UNTOUCHED(iosb);
    }
    cr_expect_eq(kf_host_exists("Windows/Temp/failing"), 0, "nothing created");
    /* FILE_OPEN_BY_FILE_ID: the volume has no id index. */
    HANDLE h;
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"\\??\\C:\\Windows", NULL, FILE_OPEN, FILE_OPEN_BY_FILE_ID, NULL),
                 STATUS_NOT_IMPLEMENTED);
}

Test(kfile_create, object_attributes_checks)
{
    HANDLE h = (HANDLE)0xdeadbeef;
    IO_STATUS_BLOCK iosb;
    UNICODE_STRING u = kf_us(L"\\??\\C:\\Windows\\Temp\\x.txt");
    OBJECT_ATTRIBUTES oa = kf_oa(&u, NULL, 0);
    kf_iosb_fill(&iosb);
    oa.Length = sizeof oa + 1;
    cr_expect_eq(ZwCreateFile(&h, GENERIC_READ, &oa, &iosb, NULL, 0, 0, FILE_OPEN_IF, 0, NULL, 0),
                 STATUS_INVALID_PARAMETER);
    oa.Length = sizeof oa;
    oa.Attributes = 0x80000000;
    cr_expect_eq(ZwCreateFile(&h, GENERIC_READ, &oa, &iosb, NULL, 0, 0, FILE_OPEN_IF, 0, NULL, 0),
                 STATUS_INVALID_PARAMETER);
    oa.Attributes = 0;
    oa.ObjectName = NULL;
    cr_expect_eq(ZwCreateFile(&h, GENERIC_READ, &oa, &iosb, NULL, 0, 0, FILE_OPEN_IF, 0, NULL, 0),
                 STATUS_OBJECT_PATH_SYNTAX_BAD);
    oa.ObjectName = &u;
    u.Length = 7;
    cr_expect_eq(ZwCreateFile(&h, GENERIC_READ, &oa, &iosb, NULL, 0, 0, FILE_OPEN_IF, 0, NULL, 0),
                 STATUS_OBJECT_NAME_INVALID);
    u.Length = u.MaximumLength + 2;
    cr_expect_eq(ZwCreateFile(&h, GENERIC_READ, &oa, &iosb, NULL, 0, 0, FILE_OPEN_IF, 0, NULL, 0),
                 STATUS_OBJECT_NAME_INVALID);
    u = kf_us(L"\\??\\C:\\Windows\\Temp\\x.txt");
    UNICODE_STRING empty = {0, 0, NULL};
    oa.ObjectName = &empty;
    cr_expect_eq(ZwCreateFile(&h, GENERIC_READ, &oa, &iosb, NULL, 0, 0, FILE_OPEN_IF, 0, NULL, 0),
                 STATUS_OBJECT_PATH_SYNTAX_BAD);
    oa.ObjectName = &u;
    /* NULL pointers a kernel caller must not pass: no crash. */
    cr_expect_eq(ZwCreateFile(&h, GENERIC_READ, NULL, &iosb, NULL, 0, 0, FILE_OPEN_IF, 0, NULL, 0),
                 STATUS_ACCESS_VIOLATION);
    cr_expect_eq(ZwCreateFile(NULL, GENERIC_READ, &oa, &iosb, NULL, 0, 0, FILE_OPEN_IF, 0, NULL, 0),
                 STATUS_ACCESS_VIOLATION);
    cr_expect_eq(ZwCreateFile(&h, GENERIC_READ, &oa, NULL, NULL, 0, 0, FILE_OPEN_IF, 0, NULL, 0),
                 STATUS_ACCESS_VIOLATION);
    char ea[16] = {0};
    cr_expect_eq(ZwCreateFile(&h, GENERIC_READ, &oa, &iosb, NULL, 0, 0, FILE_OPEN_IF, 0, ea, sizeof ea),
                 STATUS_EAS_NOT_SUPPORTED);
    KF_IOSB_UNTOUCHED(iosb);
    cr_expect_eq(h, (HANDLE)0xdeadbeef);
    cr_expect_eq(kf_host_exists("Windows/Temp/x.txt"), 0);
    /* A relative name without a root, another drive, the registry. */
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"Windows\\Temp\\x.txt", NULL, FILE_OPEN_IF, 0, NULL),
                 STATUS_OBJECT_PATH_SYNTAX_BAD);
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"\\??\\D:\\x.txt", NULL, FILE_OPEN_IF, 0, NULL),
                 STATUS_OBJECT_PATH_NOT_FOUND);
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"\\Registry\\Machine\\SYSTEM", NULL, FILE_OPEN, 0, NULL),
                 STATUS_OBJECT_TYPE_MISMATCH);
    /* Invalid characters (Wine: "afile?", "a|b"). */
    cr_expect_eq(kf_create(&h, GENERIC_READ | SYNCHRONIZE, L"\\??\\C:\\Windows\\Temp\\afile?", NULL, FILE_CREATE,
                           FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL),
                 STATUS_OBJECT_NAME_INVALID);
    cr_expect_eq(kf_create(&h, GENERIC_WRITE | SYNCHRONIZE, L"\\??\\C:\\Windows\\Temp\\a|b", NULL, FILE_CREATE,
                           FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL),
                 STATUS_OBJECT_NAME_INVALID);
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"\\??\\", NULL, FILE_CREATE, FILE_DIRECTORY_FILE, NULL),
                 STATUS_OBJECT_NAME_INVALID);
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"\\DosDevices\\", NULL, FILE_CREATE, FILE_DIRECTORY_FILE, NULL),
                 STATUS_OBJECT_NAME_INVALID);
}

Test(kfile_create, missing_names_and_parents)
{
    HANDLE h;
    IO_STATUS_BLOCK iosb;
    kf_iosb_fill(&iosb);
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"\\??\\C:\\Windows\\Temp\\none.txt", NULL, FILE_OPEN, 0, &iosb),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    cr_expect_eq(iosb.Status, STATUS_OBJECT_NAME_NOT_FOUND);
    cr_expect_eq(iosb.Information, FILE_DOES_NOT_EXIST);
    kf_iosb_fill(&iosb);
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"\\??\\C:\\Windows\\NoDir\\x.txt", NULL, FILE_OPEN_IF, 0, &iosb),
                 STATUS_OBJECT_PATH_NOT_FOUND);
    cr_expect_eq(iosb.Status, STATUS_OBJECT_PATH_NOT_FOUND);
    cr_expect_eq(iosb.Information, 0);
    cr_expect_eq(kf_host_exists("Windows/NoDir"), 0);
}

Test(kfile_create, nt_path_forms_reach_the_same_file)
{
    kf_make_file(L"\\??\\C:\\Windows\\Temp\\same.txt", "same");
    static const WCHAR *const forms[] = {
        L"\\??\\C:\\Windows\\Temp\\same.txt",
        L"\\DosDevices\\C:\\Windows\\Temp\\same.txt",
        L"\\GLOBAL??\\c:\\windows\\temp\\SAME.TXT",
        L"\\SystemRoot\\Temp\\same.txt",
        L"\\Device\\HarddiskVolume3\\Windows\\Temp\\same.txt",
        L"\\systemroot\\TEMP\\Same.Txt",
    };
    LONGLONG id0 = 0;
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        HANDLE h;
        IO_STATUS_BLOCK iosb;
        NTSTATUS st = kf_create(&h, GENERIC_READ, forms[i], NULL, FILE_OPEN_IF, FILE_NON_DIRECTORY_FILE, &iosb);
        cr_assert_eq(st, STATUS_SUCCESS, "%zu: %s", i, emu_status_name(st));
        cr_expect_eq(iosb.Information, FILE_OPENED, "%zu", i);
        FILE_INTERNAL_INFORMATION ii;
        cr_assert_eq(ZwQueryInformationFile(h, &iosb, &ii, sizeof ii, FileInternalInformation), STATUS_SUCCESS);
        if (!i)
            id0 = ii.IndexNumber.QuadPart;
        cr_expect_eq(ii.IndexNumber.QuadPart, id0, "%zu: another file", i);
        kf_close(h);
    }
    /* \DriverData is the symbolic link to C:\Windows\System32\Drivers\DriverData. */
    kf_make_dir(L"\\DriverData\\Contoso");
    kf_make_file(L"\\DriverData\\Contoso\\log.txt", "dd");
    char *d = kf_host_read("Windows/System32/drivers/DriverData/Contoso/log.txt");
    cr_assert_not_null(d);
    cr_expect_str_eq(d, "dd");
    free(d);
}

Test(kfile_create, relative_to_root_directory)
{
    HANDLE dir, h, h2;
    IO_STATUS_BLOCK iosb;
    cr_assert_eq(kf_create(&dir, FILE_LIST_DIRECTORY | SYNCHRONIZE, L"\\SystemRoot\\Temp", NULL, FILE_OPEN,
                           FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL),
                 STATUS_SUCCESS);
    cr_assert_eq(kf_create(&h, GENERIC_WRITE | SYNCHRONIZE, L"rel.txt", dir, FILE_CREATE,
                           FILE_SYNCHRONOUS_IO_NONALERT, &iosb),
                 STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, FILE_CREATED);
    kf_close(h);
    cr_expect(kf_host_exists("Windows/Temp/rel.txt"));
    /* Other case opens the same file. */
    cr_assert_eq(kf_create(&h, GENERIC_READ, L"REL.TXT", dir, FILE_OPEN, 0, &iosb), STATUS_SUCCESS);
    kf_close(h);
    /* A leading backslash under a root is a syntax error (Wine allows this status). */
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"\\rel.txt", dir, FILE_OPEN, 0, &iosb), STATUS_OBJECT_PATH_SYNTAX_BAD);
    /* The empty name opens the root directory itself. */
    cr_assert_eq(kf_create(&h, GENERIC_READ, L"", dir, FILE_OPEN, FILE_DIRECTORY_FILE, &iosb), STATUS_SUCCESS);
    FILE_STANDARD_INFORMATION si;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &si, sizeof si, FileStandardInformation), STATUS_SUCCESS);
    cr_expect_eq(si.Directory, TRUE);
    kf_close(h);
    UNICODE_STRING none = {0, 0, NULL};
    OBJECT_ATTRIBUTES oa = kf_oa(NULL, dir, 0);
    cr_assert_eq(ZwOpenFile(&h, GENERIC_READ, &oa, &iosb, FILE_SHARE_READ, FILE_DIRECTORY_FILE), STATUS_SUCCESS);
    kf_close(h);
    oa.ObjectName = &none;
    cr_assert_eq(ZwOpenFile(&h, GENERIC_READ, &oa, &iosb, FILE_SHARE_READ, FILE_DIRECTORY_FILE), STATUS_SUCCESS);
    kf_close(h);
    /* A file as RootDirectory: nothing below it; the empty name reopens it with its own position. */
    kf_make_file(L"\\SystemRoot\\Temp\\data.txt", "Hello World");
    cr_assert_eq(kf_create(&h, GENERIC_READ | SYNCHRONIZE, L"data.txt", dir, FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT,
                           NULL),
                 STATUS_SUCCESS);
    char buf[32];
    cr_assert_eq(ZwReadFile(h, NULL, NULL, NULL, &iosb, buf, sizeof buf, NULL, NULL), STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, 11);
    cr_expect_eq(kf_create(&h2, GENERIC_READ | SYNCHRONIZE, L"foo", h, FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, NULL),
                 STATUS_OBJECT_PATH_NOT_FOUND);
    oa = kf_oa(&none, h, 0);
    cr_assert_eq(ZwOpenFile(&h2, GENERIC_READ | SYNCHRONIZE, &oa, &iosb, FILE_SHARE_READ, FILE_SYNCHRONOUS_IO_NONALERT),
                 STATUS_SUCCESS);
    FILE_POSITION_INFORMATION p1, p2;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &p1, sizeof p1, FilePositionInformation), STATUS_SUCCESS);
    cr_assert_eq(ZwQueryInformationFile(h2, &iosb, &p2, sizeof p2, FilePositionInformation), STATUS_SUCCESS);
    cr_expect_eq(p1.CurrentByteOffset.QuadPart, 11);
    cr_expect_eq(p2.CurrentByteOffset.QuadPart, 0);
    memset(buf, 0, sizeof buf);
    cr_assert_eq(ZwReadFile(h2, NULL, NULL, NULL, &iosb, buf, sizeof buf, NULL, NULL), STATUS_SUCCESS);
    cr_expect_str_eq(buf, "Hello World");
    kf_close(h2);
    kf_close(h);
    /* RootDirectory handles that are not files, or not handles. */
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"x", (HANDLE)(uintptr_t)0xbeec, FILE_OPEN, 0, NULL),
                 STATUS_INVALID_HANDLE);
    emu_handle ev = {.type = EMU_H_EVENT};
    void *evh = emu_handle_new(m, &ev);
    cr_assert_not_null(evh);
    cr_expect_eq(kf_create(&h, GENERIC_READ, L"x", evh, FILE_OPEN, 0, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    cr_assert_eq(emu_handle_close(m, evh), STATUS_SUCCESS);
    kf_close(dir);
}

Test(kfile_create, handle_flags_and_delete_on_close)
{
    HANDLE h;
    IO_STATUS_BLOCK iosb;
    cr_assert_eq(kf_create(&h, GENERIC_WRITE | DELETE | SYNCHRONIZE, L"\\SystemRoot\\Temp\\doc.txt", NULL,
                           FILE_CREATE, FILE_DELETE_ON_CLOSE | FILE_SYNCHRONOUS_IO_NONALERT, &iosb),
                 STATUS_SUCCESS);
    emu_handle *e = NULL;
    cr_assert_eq(emu_file_from_handle(m, h, &e), STATUS_SUCCESS);
    cr_expect(e->flags & EMU_HF_KERNEL);
    cr_expect(e->flags & EMU_HF_SYNC_IO);
    cr_expect_str_eq(e->path, "C:\\Windows\\Temp\\doc.txt");
    cr_expect_str_eq(e->prov.api, "absolute");
    cr_expect_eq(e->prov.approved, 0);
    cr_expect_eq(e->access & FILE_WRITE_DATA, FILE_WRITE_DATA, "generic rights are mapped");
    cr_expect_eq(e->access & GENERIC_WRITE, 0);
    cr_expect(kf_host_exists("Windows/Temp/doc.txt"));
    kf_close(h);
    cr_expect_eq(kf_host_exists("Windows/Temp/doc.txt"), 0, "deleted at close");
    /* emu_file_from_handle on other handles. */
    cr_expect_eq(emu_file_from_handle(m, h, &e), STATUS_INVALID_HANDLE);
    /* A handle without OBJ_KERNEL_HANDLE and without synchronous I/O. */
    UNICODE_STRING u = kf_us(L"\\SystemRoot\\Temp\\plain.txt");
    OBJECT_ATTRIBUTES oa = kf_oa(&u, NULL, 0);
    cr_assert_eq(ZwCreateFile(&h, GENERIC_READ, &oa, &iosb, NULL, 0, 0, FILE_OPEN_IF, 0, NULL, 0), STATUS_SUCCESS);
    cr_assert_eq(emu_file_from_handle(m, h, &e), STATUS_SUCCESS);
    cr_expect_eq(e->flags & (EMU_HF_KERNEL | EMU_HF_SYNC_IO), 0);
    kf_close(h);
    cr_expect_eq(emu_handle_count(m, EMU_H_FILE), 0);
}
