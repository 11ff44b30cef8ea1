/*
 * rc_kfile.c: kernel-mode file snippets of the corpus: a WDM driver
 * reading its configuration, keeping state and logs, and reaching the
 * files of other packages, once the pre-isolation way (FILE-* rules,
 * UPDATE-STALE-PATH) and once the isolated way (k_twin_*).  Snippets run
 * as rcdrv on the corpus world; the call the case is about is bracketed
 * by RC_BEFORE / RC_AFTER.
 */
#include <ntddk.h>

#include "tests/rules/rc_kernel.h"

#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- small driver helpers */

static NTSTATUS open_file(HANDLE *f, HANDLE root, PCWSTR name, ACCESS_MASK access, ULONG disposition)
{
    UNICODE_STRING n;
    RtlInitUnicodeString(&n, name);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, root, NULL);
    IO_STATUS_BLOCK io;
    return ZwCreateFile(f, access | SYNCHRONIZE, &oa, &io, NULL, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ, disposition,
                        FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE, NULL, 0);
}

/* Read a whole (small) file into out as text. */
static NTSTATUS read_all(HANDLE f, char *out, size_t cap)
{
    IO_STATUS_BLOCK io;
    NTSTATUS st = ZwReadFile(f, NULL, NULL, NULL, &io, out, (ULONG)cap - 1, NULL, NULL);
    if (!NT_SUCCESS(st))
        return st;
    out[io.Information] = 0;
    return st;
}

static NTSTATUS write_text(HANDLE f, const char *text)
{
    IO_STATUS_BLOCK io;
    return ZwWriteFile(f, NULL, NULL, NULL, &io, (PVOID)text, (ULONG)strlen(text), NULL, NULL);
}

/* The call under test is the open; then read the file into x->out and close it. */
static void open_and_read(rc_ctx *x, HANDLE root, PCWSTR name)
{
    HANDLE f;
    RC_BEFORE(x);
    NTSTATUS st = open_file(&f, root, name, GENERIC_READ, FILE_OPEN);
    RC_AFTER(x, st);
    if (!NT_SUCCESS(st))
        return;
    x->done = NT_SUCCESS(read_all(f, x->out, sizeof x->out));
    ZwClose(f);
}

/* The call under test is the create; then write text and close. */
static void create_and_write(rc_ctx *x, HANDLE root, PCWSTR name, const char *text)
{
    HANDLE f;
    RC_BEFORE(x);
    NTSTATUS st = open_file(&f, root, name, GENERIC_WRITE, FILE_OVERWRITE_IF);
    RC_AFTER(x, st);
    if (!NT_SUCCESS(st))
        return;
    x->done = NT_SUCCESS(write_text(f, text));
    ZwClose(f);
}

/* A directory below \DriverData, opened or created. */
static NTSTATUS make_dir(PCWSTR name)
{
    UNICODE_STRING n;
    RtlInitUnicodeString(&n, name);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    IO_STATUS_BLOCK io;
    HANDLE d;
    NTSTATUS st = ZwCreateFile(&d, FILE_LIST_DIRECTORY | SYNCHRONIZE, &oa, &io, NULL, FILE_ATTRIBUTE_NORMAL,
                               FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN_IF,
                               FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
    if (NT_SUCCESS(st))
        ZwClose(d);
    return st;
}

/* ---------------------------------------------------------------- FILE-ABSOLUTE-PATH */

/* A legacy driver reads its configuration from System32\drivers. */
RC_SNIPPET(k_fabs_systemroot_ini) { open_and_read(x, NULL, L"\\SystemRoot\\System32\\drivers\\rcdrv.ini"); }

/* Isolated: the configuration shipped in the package, next to the image. */
RC_SNIPPET(k_twin_image_ini)
{
    HANDLE dir;
    NTSTATUS st = IoGetDriverDirectory(RC_DRIVER, DriverDirectoryImage, 0, &dir);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    open_and_read(x, dir, L"rcdrv.ini");
    ZwClose(dir);
}

/* The driver's own state file, named by its full path. */
RC_SNIPPET(k_fabs_own_data_by_name)
{
    open_and_read(x, NULL, L"\\??\\C:\\Windows\\ServiceState\\rcdrv\\Data\\state.bin");
}

/* Isolated: relative to the handle IoGetDriverDirectory(DriverDirectoryData) gives. */
RC_SNIPPET(k_twin_own_data_relative)
{
    HANDLE dir;
    NTSTATUS st = IoGetDriverDirectory(RC_DRIVER, DriverDirectoryData, 0, &dir);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    open_and_read(x, dir, L"state.bin");
    ZwClose(dir);
}

/* ---------------------------------------------------------------- FILE-OUTSIDE-STATE */

/* A legacy driver logs next to its image in System32\drivers. */
RC_SNIPPET(k_outside_drivers_log)
{
    create_and_write(x, NULL, L"\\SystemRoot\\System32\\drivers\\rcdrv.log", "started\n");
}

/* Isolated: the log in its Data directory. */
RC_SNIPPET(k_twin_data_log)
{
    HANDLE dir;
    NTSTATUS st = IoGetDriverDirectory(RC_DRIVER, DriverDirectoryData, 0, &dir);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    create_and_write(x, dir, L"rcdrv.log", "started\n");
    ZwClose(dir);
}

/* ---------------------------------------------------------------- FILE-DRIVER-STORE-WRITE */

/* The driver caches computed tables next to its image (Windows refuses: the store is read-only). */
RC_SNIPPET(k_store_cache_in_image_dir)
{
    HANDLE dir;
    if (!NT_SUCCESS(IoGetDriverDirectory(RC_DRIVER, DriverDirectoryImage, 0, &dir)))
        return;
    create_and_write(x, dir, L"cache.bin", "tables");
    ZwClose(dir);
}

/* Isolated: the cache in its Data directory. */
RC_SNIPPET(k_twin_cache_in_data_dir)
{
    HANDLE dir;
    NTSTATUS st = IoGetDriverDirectory(RC_DRIVER, DriverDirectoryData, 0, &dir);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    create_and_write(x, dir, L"cache.bin", "tables");
    ZwClose(dir);
}

/* The driver patches the configuration it shipped, in place in the store. */
RC_SNIPPET(k_store_patch_shipped_ini)
{
    HANDLE dir, f;
    if (!NT_SUCCESS(IoGetDriverDirectory(RC_DRIVER, DriverDirectoryImage, 0, &dir)))
        return;
    RC_BEFORE(x);
    NTSTATUS st = open_file(&f, dir, L"rcdrv.ini", GENERIC_READ | GENERIC_WRITE, FILE_OPEN);
    RC_AFTER(x, st);
    ZwClose(dir);
    if (!NT_SUCCESS(st))
        return;
    x->done = NT_SUCCESS(write_text(f, "level=4\n"));
    ZwClose(f);
}

/* Isolated: read the shipped configuration, keep the changed copy in Data. */
RC_SNIPPET(k_twin_override_ini_in_data)
{
    HANDLE img, data, f;
    char shipped[64];
    NTSTATUS st = IoGetDriverDirectory(RC_DRIVER, DriverDirectoryImage, 0, &img);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    st = open_file(&f, img, L"rcdrv.ini", GENERIC_READ, FILE_OPEN);
    ZwClose(img);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    read_all(f, shipped, sizeof shipped);
    ZwClose(f);
    if (strcmp(shipped, "level=3\n"))
        return;
    st = IoGetDriverDirectory(RC_DRIVER, DriverDirectoryData, 0, &data);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    create_and_write(x, data, L"rcdrv.ini", "level=4\n");
    ZwClose(data);
}

/* ---------------------------------------------------------------- FILE-CROSS-COMPONENT */

/* rcdrv reads rcother's private state file by its path. */
RC_SNIPPET(k_fcross_other_data_by_name)
{
    open_and_read(x, NULL, L"\\??\\C:\\Windows\\ServiceState\\rcother\\Data\\state.bin");
}

/* Isolated: what rcother publishes for other packages under \DriverData. */
RC_SNIPPET(k_twin_other_public_driverdata)
{
    open_and_read(x, NULL, L"\\DriverData\\Fabrikam\\RcOther\\state.bin");
}

/* rcdrv asks for rcother's device directory with rcother's PDO, and reads its file. */
RC_SNIPPET(k_fcross_other_device_directory)
{
    HANDLE dir;
    RC_BEFORE(x);
    NTSTATUS st = IoGetDeviceDirectory(RC_OTHER_PDO, DeviceDirectoryData, 0, NULL, &dir);
    RC_AFTER(x, st);
    if (!NT_SUCCESS(st))
        return;
    HANDLE f;
    if (NT_SUCCESS(open_file(&f, dir, L"dev.bin", GENERIC_READ, FILE_OPEN))) {
        x->done = NT_SUCCESS(read_all(f, x->out, sizeof x->out));
        ZwClose(f);
    }
    ZwClose(dir);
}

/* ---------------------------------------------------------------- FILE-DRIVERDATA-ROOT */

/* The driver drops its log straight into \DriverData. */
RC_SNIPPET(k_ddroot_log_at_root) { create_and_write(x, NULL, L"\\DriverData\\rcdrv.log", "started\n"); }

/* Isolated: \DriverData\<Company>\<Product>\, made on first use. */
RC_SNIPPET(k_twin_log_in_company_dir)
{
    NTSTATUS st = make_dir(L"\\DriverData\\Contoso");
    if (NT_SUCCESS(st))
        st = make_dir(L"\\DriverData\\Contoso\\RcDrv");
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    create_and_write(x, NULL, L"\\DriverData\\Contoso\\RcDrv\\rcdrv.log", "started\n");
}

/* ---------------------------------------------------------------- UPDATE-STALE-PATH */

/*
 * At its first start rcdrv saved the directory it ran from in its state
 * (rc_world.c).  After the package is updated it still opens its shipped
 * configuration under that saved directory: the old store folder.
 */
RC_SNIPPET(k_stale_saved_image_dir)
{
    rc_world_update(1);
    HANDLE k;
    NTSTATUS st = IoOpenDriverRegistryKey(RC_DRIVER, DriverRegKeyPersistentState, KEY_READ, 0, &k);
    if (!NT_SUCCESS(st))
        return;
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"ImageDir");
    ULONG words[300];
    ULONG len = 0;
    st = ZwQueryValueKey(k, &name, KeyValuePartialInformation, words, sizeof words, &len);
    ZwClose(k);
    if (!NT_SUCCESS(st))
        return;
    PKEY_VALUE_PARTIAL_INFORMATION p = (PKEY_VALUE_PARTIAL_INFORMATION)words;
    WCHAR path[600];
    size_t n = p->DataLength / sizeof(WCHAR);
    while (n && ((PCWSTR)p->Data)[n - 1] == 0)
        n--;
    if (n + 12 >= sizeof path / sizeof path[0])
        return;
    memcpy(path, p->Data, n * sizeof(WCHAR));
    memcpy(path + n, L"\\rcdrv.ini", sizeof L"\\rcdrv.ini");
    open_and_read(x, NULL, path);
}

/* Isolated: the image directory asked for at the time of use. */
RC_SNIPPET(k_twin_image_dir_after_update)
{
    rc_world_update(1);
    HANDLE dir;
    NTSTATUS st = IoGetDriverDirectory(RC_DRIVER, DriverDirectoryImage, 0, &dir);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    open_and_read(x, dir, L"rcdrv.ini");
    ZwClose(dir);
}

/* ---------------------------------------------------------------- a company directory */

/* What an isolated driver does on its first run: make \DriverData\<Company>\ and its product directory. */
RC_SNIPPET(k_make_company_dir)
{
    RC_BEFORE(x);
    NTSTATUS st = make_dir(L"\\DriverData\\Adatum");
    RC_AFTER(x, st);
    if (NT_SUCCESS(st))
        x->done = NT_SUCCESS(make_dir(L"\\DriverData\\Adatum\\RcDrv"));
}
