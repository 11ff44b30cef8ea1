/*
 * test_delete.c: ZwDeleteFile, ZwQueryAttributesFile /
 * ZwQueryFullAttributesFile, and injected failures (emu_fault) that must
 * leave nothing half-done.
 */
#include "tests/kfile/kf.h"

TestSuite(kfile_delete, .init = kf_setup, .fini = kf_teardown);

static NTSTATUS delete_name(const WCHAR *name)
{
    UNICODE_STRING u = kf_us(name);
    OBJECT_ATTRIBUTES oa = kf_oa(&u, NULL, OBJ_CASE_INSENSITIVE);
    return ZwDeleteFile(&oa);
}

Test(kfile_delete, delete_file)
{
    kf_make_file(L"\\SystemRoot\\Temp\\a.txt", "a");
    cr_expect_eq(delete_name(L"\\SystemRoot\\Temp\\A.TXT"), STATUS_SUCCESS);
    cr_expect_eq(kf_host_exists("Windows/Temp/a.txt"), 0);
    cr_expect_eq(delete_name(L"\\SystemRoot\\Temp\\a.txt"), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_expect_eq(delete_name(L"\\SystemRoot\\NoDir\\a.txt"), STATUS_OBJECT_PATH_NOT_FOUND);
    /* An empty directory goes; a non-empty one stays and the call succeeds (Wine's delete_file_test). */
    kf_make_dir(L"\\SystemRoot\\Temp\\ntdeletefile");
    cr_expect_eq(delete_name(L"\\SystemRoot\\Temp\\ntdeletefile"), STATUS_SUCCESS);
    cr_expect_eq(kf_host_exists("Windows/Temp/ntdeletefile"), 0);
    kf_make_dir(L"\\SystemRoot\\Temp\\ntdeletefile");
    kf_make_dir(L"\\SystemRoot\\Temp\\ntdeletefile\\sub");
    cr_expect_eq(delete_name(L"\\SystemRoot\\Temp\\ntdeletefile"), STATUS_SUCCESS);
    cr_expect(kf_host_exists("Windows/Temp/ntdeletefile/sub"));
    /* A read-only file cannot be deleted. */
    HANDLE h;
    IO_STATUS_BLOCK iosb;
    UNICODE_STRING u = kf_us(L"\\SystemRoot\\Temp\\ro.txt");
    OBJECT_ATTRIBUTES oa = kf_oa(&u, NULL, 0);
    cr_assert_eq(ZwCreateFile(&h, GENERIC_WRITE, &oa, &iosb, NULL, FILE_ATTRIBUTE_READONLY, 0, FILE_CREATE, 0, NULL, 0),
                 STATUS_SUCCESS);
    ZwClose(h);
    cr_expect_eq(delete_name(L"\\SystemRoot\\Temp\\ro.txt"), STATUS_CANNOT_DELETE);
    cr_expect(kf_host_exists("Windows/Temp/ro.txt"));
    /* Open elsewhere: removed when the last handle closes. */
    kf_make_file(L"\\SystemRoot\\Temp\\open.txt", "o");
    cr_assert_eq(kf_create(&h, GENERIC_READ, L"\\SystemRoot\\Temp\\open.txt", NULL, FILE_OPEN, 0, NULL),
                 STATUS_SUCCESS);
    cr_expect_eq(delete_name(L"\\SystemRoot\\Temp\\open.txt"), STATUS_SUCCESS);
    cr_expect(kf_host_exists("Windows/Temp/open.txt"));
    kf_close(h);
    cr_expect_eq(kf_host_exists("Windows/Temp/open.txt"), 0);
    /* Relative to a RootDirectory; the volume root is never deleted. */
    HANDLE dir;
    cr_assert_eq(kf_create(&dir, FILE_LIST_DIRECTORY, L"\\SystemRoot\\Temp", NULL, FILE_OPEN, FILE_DIRECTORY_FILE,
                           NULL),
                 STATUS_SUCCESS);
    kf_make_file(L"\\SystemRoot\\Temp\\rel.txt", "r");
    u = kf_us(L"rel.txt");
    oa = kf_oa(&u, dir, 0);
    cr_expect_eq(ZwDeleteFile(&oa), STATUS_SUCCESS);
    cr_expect_eq(kf_host_exists("Windows/Temp/rel.txt"), 0);
    kf_close(dir);
    cr_expect_eq(delete_name(L"\\??\\C:\\"), STATUS_ACCESS_DENIED);
    cr_expect(kf_host_exists("Windows"));
    /* Bad arguments. */
    cr_expect_eq(ZwDeleteFile(NULL), STATUS_ACCESS_VIOLATION);
    oa = kf_oa(NULL, NULL, 0);
    cr_expect_eq(ZwDeleteFile(&oa), STATUS_OBJECT_PATH_SYNTAX_BAD);
    const pnpbox_event *e = kf_event("ZwDeleteFile", "rel.txt");
    cr_assert_not_null(e);
    cr_expect_eq(e->status, STATUS_SUCCESS);
    cr_expect_eq(e->write, 1);
}

Test(kfile_delete, query_attributes_by_name)
{
    kf_make_file(L"\\SystemRoot\\Temp\\q.txt", "12345");
    UNICODE_STRING u = kf_us(L"\\SystemRoot\\Temp\\q.txt");
    OBJECT_ATTRIBUTES oa = kf_oa(&u, NULL, 0);
    FILE_BASIC_INFORMATION bi;
    kf_fill(&bi, sizeof bi);
    cr_assert_eq(ZwQueryAttributesFile(&oa, &bi), STATUS_SUCCESS);
    cr_expect_eq(bi.FileAttributes, FILE_ATTRIBUTE_ARCHIVE);
    cr_expect_gt(bi.LastWriteTime.QuadPart, 116444736000000000LL);
    FILE_NETWORK_OPEN_INFORMATION ni;
    kf_fill(&ni, sizeof ni);
    cr_assert_eq(ZwQueryFullAttributesFile(&oa, &ni), STATUS_SUCCESS);
    cr_expect_eq(ni.EndOfFile.QuadPart, 5);
    cr_expect_eq(ni.LastWriteTime.QuadPart, bi.LastWriteTime.QuadPart);
    cr_expect_eq(ni.FileAttributes, FILE_ATTRIBUTE_ARCHIVE);
    u = kf_us(L"\\SystemRoot\\Temp");
    cr_assert_eq(ZwQueryFullAttributesFile(&oa, &ni), STATUS_SUCCESS);
    cr_expect_eq(ni.FileAttributes, FILE_ATTRIBUTE_DIRECTORY);
    cr_expect_eq(ni.EndOfFile.QuadPart, 0);
    u = kf_us(L"\\SystemRoot\\Temp\\none");
    kf_fill(&bi, sizeof bi);
    cr_expect_eq(ZwQueryAttributesFile(&oa, &bi), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_expect_eq(bi.FileAttributes, 0xdedededeu, "untouched on failure");
    u = kf_us(L"\\??\\");
    cr_expect_eq(ZwQueryFullAttributesFile(&oa, &ni), STATUS_OBJECT_NAME_INVALID);
    cr_expect_eq(ZwQueryAttributesFile(&oa, NULL), STATUS_ACCESS_VIOLATION);
    cr_expect_eq(ZwQueryFullAttributesFile(NULL, &ni), STATUS_ACCESS_VIOLATION);
    const pnpbox_event *e = kf_event("ZwQueryAttributesFile", "none");
    cr_assert_not_null(e);
    cr_expect_eq(e->status, STATUS_OBJECT_NAME_NOT_FOUND);
}

Test(kfile_delete, injected_failures_change_nothing)
{
    HANDLE h = (HANDLE)0xdeadbeef;
    IO_STATUS_BLOCK iosb;
    cr_assert_eq(pnpbox_fault_add(m, "ZwCreateFile", 1, 0), 0);
    kf_iosb_fill(&iosb);
    cr_expect_eq(kf_create(&h, GENERIC_WRITE, L"\\SystemRoot\\Temp\\f.txt", NULL, FILE_CREATE, 0, &iosb),
                 STATUS_INSUFFICIENT_RESOURCES);
    cr_expect_eq(h, (HANDLE)0xdeadbeef);
    KF_IOSB_UNTOUCHED(iosb);
    cr_expect_eq(kf_host_exists("Windows/Temp/f.txt"), 0);
    /* The next call is not selected. */
    cr_assert_eq(kf_create(&h, GENERIC_WRITE | SYNCHRONIZE, L"\\SystemRoot\\Temp\\f.txt", NULL, FILE_CREATE,
                           FILE_SYNCHRONOUS_IO_NONALERT, &iosb),
                 STATUS_SUCCESS);
    cr_assert_eq(pnpbox_fault_add(m, "ZwWriteFile", 1, STATUS_DISK_FULL), 0);
    kf_iosb_fill(&iosb);
    cr_expect_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, "abc", 3, NULL, NULL), STATUS_DISK_FULL);
    KF_IOSB_UNTOUCHED(iosb);
    FILE_STANDARD_INFORMATION si;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &si, sizeof si, FileStandardInformation), STATUS_SUCCESS);
    cr_expect_eq(si.EndOfFile.QuadPart, 0);
    cr_assert_eq(pnpbox_fault_add(m, "ZwSetInformationFile", 1, 0), 0);
    FILE_END_OF_FILE_INFORMATION eof = {.EndOfFile.QuadPart = 100};
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &eof, sizeof eof, FileEndOfFileInformation),
                 STATUS_INSUFFICIENT_RESOURCES);
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &si, sizeof si, FileStandardInformation), STATUS_SUCCESS);
    cr_expect_eq(si.EndOfFile.QuadPart, 0);
    kf_close(h);
    cr_assert_eq(pnpbox_fault_add(m, "ZwDeleteFile", 1, 0), 0);
    UNICODE_STRING u = kf_us(L"\\SystemRoot\\Temp\\f.txt");
    OBJECT_ATTRIBUTES oa = kf_oa(&u, NULL, 0);
    cr_expect_eq(ZwDeleteFile(&oa), STATUS_INSUFFICIENT_RESOURCES);
    cr_expect(kf_host_exists("Windows/Temp/f.txt"));
    /* Every call with a fault point fails once selected with "*". */
    cr_assert_eq(pnpbox_fault_add(m, "*", 1, 0), 0);
    cr_expect_eq(ZwQueryAttributesFile(&oa, &(FILE_BASIC_INFORMATION){0}), STATUS_INSUFFICIENT_RESOURCES);
    HANDLE dir;
    cr_assert_eq(kf_create(&dir, FILE_LIST_DIRECTORY, L"\\SystemRoot\\Temp", NULL, FILE_OPEN, FILE_DIRECTORY_FILE,
                           NULL),
                 STATUS_SUCCESS);
    cr_assert_eq(pnpbox_fault_add(m, "ZwQueryDirectoryFile", 1, 0), 0);
    union {
        uint8_t b[512];
        ULONGLONG a;
    } buf;
    kf_iosb_fill(&iosb);
    cr_expect_eq(ZwQueryDirectoryFile(dir, NULL, NULL, NULL, &iosb, &buf, sizeof buf, FileNamesInformation, FALSE,
                                      NULL, TRUE),
                 STATUS_INSUFFICIENT_RESOURCES);
    KF_IOSB_UNTOUCHED(iosb);
    /* The failed query did not count as the handle's first: nothing matched is still NO_SUCH_FILE. */
    UNICODE_STRING mask = kf_us(L"nothing*");
    cr_expect_eq(ZwQueryDirectoryFile(dir, NULL, NULL, NULL, &iosb, &buf, sizeof buf, FileNamesInformation, FALSE,
                                      &mask, TRUE),
                 STATUS_NO_SUCH_FILE);
    kf_close(dir);
}
