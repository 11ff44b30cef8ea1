/*
 * test_info.c: ZwQueryInformationFile / ZwSetInformationFile conformance:
 * class and length checks before the handle, every implemented class at
 * its boundary lengths, FileNameInformation's BUFFER_OVERFLOW rule, basic
 * information times and attributes, end of file, position, disposition
 * and rename in all its name forms (after Wine's ntdll file tests).
 */
#include "tests/kfile/kf.h"

TestSuite(kfile_info, .init = kf_setup, .fini = kf_teardown);

static HANDLE open_file(const WCHAR *name, ACCESS_MASK access, ULONG disposition)
{
    HANDLE h;
    NTSTATUS st = kf_create(&h, access | SYNCHRONIZE, name, NULL, disposition, FILE_SYNCHRONOUS_IO_NONALERT, NULL);
    cr_assert_eq(st, STATUS_SUCCESS, "%s", emu_status_name(st));
    return h;
}

Test(kfile_info, class_and_length_checks)
{
    HANDLE h = open_file(L"\\SystemRoot\\Temp\\i.txt", GENERIC_READ | GENERIC_WRITE, FILE_OVERWRITE_IF);
    IO_STATUS_BLOCK iosb;
    uint8_t buf[512];
    static const struct {
        FILE_INFORMATION_CLASS cls;
        ULONG size;
    } fixed[] = {
        {FileBasicInformation, sizeof(FILE_BASIC_INFORMATION)},
        {FileStandardInformation, sizeof(FILE_STANDARD_INFORMATION)},
        {FileInternalInformation, sizeof(FILE_INTERNAL_INFORMATION)},
        {FileEaInformation, sizeof(FILE_EA_INFORMATION)},
        {FileAccessInformation, sizeof(FILE_ACCESS_INFORMATION)},
        {FilePositionInformation, sizeof(FILE_POSITION_INFORMATION)},
        {FileModeInformation, sizeof(FILE_MODE_INFORMATION)},
        {FileAlignmentInformation, sizeof(FILE_ALIGNMENT_INFORMATION)},
        {FileNetworkOpenInformation, sizeof(FILE_NETWORK_OPEN_INFORMATION)},
        {FileAttributeTagInformation, sizeof(FILE_ATTRIBUTE_TAG_INFORMATION)},
    };
    cr_expect_eq(sizeof(FILE_BASIC_INFORMATION), 40);
    cr_expect_eq(sizeof(FILE_STANDARD_INFORMATION), 24);
    cr_expect_eq(sizeof(FILE_NETWORK_OPEN_INFORMATION), 56);
    cr_expect_eq(sizeof(FILE_ALL_INFORMATION), 104);
    cr_expect_eq(sizeof(FILE_RENAME_INFORMATION), 24);
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        ULONG sizes[] = {0, fixed[i].size - 1, fixed[i].size, fixed[i].size + 8};
        for (size_t k = 0; k < 4; k++) {
            kf_iosb_fill(&iosb);
            kf_fill(buf, sizeof buf);
            NTSTATUS st = ZwQueryInformationFile(h, &iosb, buf, sizes[k], fixed[i].cls);
            if (sizes[k] < fixed[i].size) {
                cr_expect_eq(st, STATUS_INFO_LENGTH_MISMATCH, "class %d size %lu", fixed[i].cls, (unsigned long)sizes[k]);
                KF_IOSB_UNTOUCHED(iosb);
                cr_expect_eq(buf[0], 0xde);
            } else {
                cr_expect_eq(st, STATUS_SUCCESS, "class %d size %lu: %s", fixed[i].cls, (unsigned long)sizes[k],
                             emu_status_name(st));
                cr_expect_eq(iosb.Status, STATUS_SUCCESS);
                cr_expect_eq(iosb.Information, fixed[i].size, "class %d", fixed[i].cls);
                cr_expect_eq(buf[fixed[i].size], 0xde, "class %d: wrote past its size", fixed[i].cls);
            }
        }
    }
    /* Length checks come before the handle; unknown or set-only classes first of all. */
    kf_iosb_fill(&iosb);
    cr_expect_eq(ZwQueryInformationFile((HANDLE)(uintptr_t)0xbeec, &iosb, buf, 1, FileBasicInformation),
                 STATUS_INFO_LENGTH_MISMATCH);
    cr_expect_eq(ZwQueryInformationFile((HANDLE)(uintptr_t)0xbeec, &iosb, buf, sizeof buf, FileBasicInformation),
                 STATUS_INVALID_HANDLE);
    cr_expect_eq(ZwQueryInformationFile(h, &iosb, buf, sizeof buf, FileRenameInformation), STATUS_INVALID_INFO_CLASS);
    cr_expect_eq(ZwQueryInformationFile(h, &iosb, buf, sizeof buf, (FILE_INFORMATION_CLASS)0),
                 STATUS_INVALID_INFO_CLASS);
    cr_expect_eq(ZwQueryInformationFile(h, &iosb, buf, sizeof buf, FileMaximumInformation),
                 STATUS_INVALID_INFO_CLASS);
    cr_expect_eq(ZwSetInformationFile(h, &iosb, buf, sizeof buf, FileAllInformation), STATUS_INVALID_INFO_CLASS);
    cr_expect_eq(ZwSetInformationFile(h, &iosb, buf, sizeof buf, FileStandardInformation),
                 STATUS_INVALID_INFO_CLASS);
    cr_expect_eq(ZwSetInformationFile(h, &iosb, buf, 7, FileEndOfFileInformation), STATUS_INFO_LENGTH_MISMATCH);
    cr_expect_eq(ZwQueryInformationFile(h, &iosb, NULL, sizeof buf, FileBasicInformation), STATUS_ACCESS_VIOLATION);
    KF_IOSB_UNTOUCHED(iosb);
    kf_close(h);
}

Test(kfile_info, values_of_the_fixed_classes)
{
    HANDLE h = open_file(L"\\SystemRoot\\Temp\\v.txt", GENERIC_READ | GENERIC_WRITE, FILE_OVERWRITE_IF);
    IO_STATUS_BLOCK iosb;
    cr_assert_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, "0123456789", 10, NULL, NULL), STATUS_SUCCESS);
    FILE_STANDARD_INFORMATION si;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &si, sizeof si, FileStandardInformation), STATUS_SUCCESS);
    cr_expect_eq(si.EndOfFile.QuadPart, 10);
    cr_expect_geq(si.AllocationSize.QuadPart, 0);
    cr_expect_eq(si.NumberOfLinks, 1);
    cr_expect_eq(si.DeletePending, FALSE);
    cr_expect_eq(si.Directory, FALSE);
    FILE_BASIC_INFORMATION bi;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &bi, sizeof bi, FileBasicInformation), STATUS_SUCCESS);
    cr_expect_eq(bi.FileAttributes, FILE_ATTRIBUTE_ARCHIVE);
    cr_expect_gt(bi.LastWriteTime.QuadPart, 116444736000000000LL, "a FILETIME after 1970");
    FILE_POSITION_INFORMATION pi;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &pi, sizeof pi, FilePositionInformation), STATUS_SUCCESS);
    cr_expect_eq(pi.CurrentByteOffset.QuadPart, 10);
    FILE_MODE_INFORMATION mi;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &mi, sizeof mi, FileModeInformation), STATUS_SUCCESS);
    cr_expect_eq(mi.Mode, FILE_SYNCHRONOUS_IO_NONALERT);
    FILE_ACCESS_INFORMATION ai;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &ai, sizeof ai, FileAccessInformation), STATUS_SUCCESS);
    cr_expect_eq(ai.AccessFlags, FILE_GENERIC_READ | FILE_GENERIC_WRITE);
    FILE_NETWORK_OPEN_INFORMATION ni;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &ni, sizeof ni, FileNetworkOpenInformation), STATUS_SUCCESS);
    cr_expect_eq(ni.EndOfFile.QuadPart, 10);
    cr_expect_eq(ni.LastWriteTime.QuadPart, bi.LastWriteTime.QuadPart);
    kf_close(h);
    /* A directory. */
    cr_assert_eq(kf_create(&h, FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES, L"\\SystemRoot\\Temp", NULL, FILE_OPEN,
                           FILE_DIRECTORY_FILE, NULL),
                 STATUS_SUCCESS);
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &si, sizeof si, FileStandardInformation), STATUS_SUCCESS);
    cr_expect_eq(si.Directory, TRUE);
    cr_expect_eq(si.EndOfFile.QuadPart, 0);
    cr_expect_eq(si.NumberOfLinks, 1);
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &bi, sizeof bi, FileBasicInformation), STATUS_SUCCESS);
    cr_expect_eq(bi.FileAttributes & FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_DIRECTORY);
    kf_close(h);
    /* FileBasicInformation needs FILE_READ_ATTRIBUTES; FileStandardInformation does not. */
    cr_assert_eq(kf_create(&h, FILE_READ_DATA, L"\\SystemRoot\\Temp\\v.txt", NULL, FILE_OPEN, 0, NULL),
                 STATUS_SUCCESS);
    kf_iosb_fill(&iosb);
    cr_expect_eq(ZwQueryInformationFile(h, &iosb, &bi, sizeof bi, FileBasicInformation), STATUS_ACCESS_DENIED);
    KF_IOSB_UNTOUCHED(iosb);
    cr_expect_eq(ZwQueryInformationFile(h, &iosb, &si, sizeof si, FileStandardInformation), STATUS_SUCCESS);
    kf_close(h);
}

Test(kfile_info, name_information)
{
    HANDLE h = open_file(L"\\SystemRoot\\Temp\\Named.TXT", GENERIC_READ, FILE_OVERWRITE_IF);
    static const WCHAR expect[] = L"\\Windows\\Temp\\Named.TXT";
    const ULONG elen = sizeof expect - 2;
    IO_STATUS_BLOCK iosb;
    union {
        FILE_NAME_INFORMATION n;
        uint8_t b[256];
    } u;
    kf_iosb_fill(&iosb);
    cr_expect_eq(ZwQueryInformationFile(h, &iosb, &u, sizeof(FILE_NAME_INFORMATION) - 1, FileNameInformation),
                 STATUS_INFO_LENGTH_MISMATCH);
    KF_IOSB_UNTOUCHED(iosb);
    /* The fixed size: BUFFER_OVERFLOW, the full length, what fits of the name. */
    memset(&u, 0xcc, sizeof u);
    cr_expect_eq(ZwQueryInformationFile(h, &iosb, &u, sizeof(FILE_NAME_INFORMATION), FileNameInformation),
                 STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(iosb.Status, STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(iosb.Information, sizeof(FILE_NAME_INFORMATION));
    const WCHAR *fn = (const WCHAR *)(u.b + offsetof(FILE_NAME_INFORMATION, FileName));
    cr_expect_eq(u.n.FileNameLength, elen);
    cr_expect_eq(fn[0], '\\');
    cr_expect_eq(fn[1], 'W');
    cr_expect_eq(fn[2], 0xcccc);
    /* One byte short of the whole name. */
    memset(&u, 0xcc, sizeof u);
    ULONG full = offsetof(FILE_NAME_INFORMATION, FileName) + elen;
    cr_expect_eq(ZwQueryInformationFile(h, &iosb, &u, full - 1, FileNameInformation), STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(iosb.Information, full - 2);
    /* Exactly the name: no terminator. */
    memset(&u, 0xcc, sizeof u);
    cr_expect_eq(ZwQueryInformationFile(h, &iosb, &u, full, FileNameInformation), STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, full);
    cr_expect_eq(u.n.FileNameLength, elen);
    cr_expect_eq(memcmp(u.n.FileName, expect, elen), 0);
    cr_expect_eq(fn[elen / 2], 0xcccc);
    /* FileAllInformation: the same rule after its fixed part. */
    union {
        FILE_ALL_INFORMATION a;
        uint8_t b[512];
    } all;
    cr_expect_eq(ZwQueryInformationFile(h, &iosb, &all, sizeof(FILE_ALL_INFORMATION) - 1, FileAllInformation),
                 STATUS_INFO_LENGTH_MISMATCH);
    memset(&all, 0xcc, sizeof all);
    cr_expect_eq(ZwQueryInformationFile(h, &iosb, &all, sizeof(FILE_ALL_INFORMATION), FileAllInformation),
                 STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(iosb.Information, sizeof(FILE_ALL_INFORMATION));
    cr_expect_eq(all.a.NameInformation.FileNameLength, elen);
    cr_expect_eq(((const WCHAR *)(all.b + offsetof(FILE_ALL_INFORMATION, NameInformation.FileName)))[2], 0xcccc);
    memset(&all, 0xcc, sizeof all);
    cr_expect_eq(ZwQueryInformationFile(h, &iosb, &all, sizeof all, FileAllInformation), STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, offsetof(FILE_ALL_INFORMATION, NameInformation.FileName) + elen);
    cr_expect_eq(memcmp(all.a.NameInformation.FileName, expect, elen), 0);
    cr_expect_eq(all.a.StandardInformation.Directory, FALSE);
    cr_expect_eq(all.a.AccessInformation.AccessFlags, FILE_GENERIC_READ | SYNCHRONIZE);
    cr_expect_eq(all.a.ModeInformation.Mode, FILE_SYNCHRONOUS_IO_NONALERT);
    kf_close(h);
    /* The root of the volume is "\". */
    cr_assert_eq(kf_create(&h, FILE_LIST_DIRECTORY, L"\\??\\C:\\", NULL, FILE_OPEN, FILE_DIRECTORY_FILE, NULL),
                 STATUS_SUCCESS);
    cr_expect_eq(ZwQueryInformationFile(h, &iosb, &u, sizeof u, FileNameInformation), STATUS_SUCCESS);
    cr_expect_eq(u.n.FileNameLength, 2);
    cr_expect_eq(fn[0], '\\');
    kf_close(h);
}

Test(kfile_info, set_basic_information)
{
    HANDLE h = open_file(L"\\SystemRoot\\Temp\\b.txt", GENERIC_READ | GENERIC_WRITE, FILE_OVERWRITE_IF);
    IO_STATUS_BLOCK iosb;
    FILE_BASIC_INFORMATION b, q;
    /* Zero everything: no change (Wine: "can't set nothing"). */
    memset(&b, 0, sizeof b);
    kf_iosb_fill(&iosb);
    cr_assert_eq(ZwSetInformationFile(h, &iosb, &b, sizeof b, FileBasicInformation), STATUS_SUCCESS);
    cr_expect_eq(iosb.Status, STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, 0);
    /* -1 leaves a time as it is. */
    b.LastWriteTime.QuadPart = -1;
    cr_assert_eq(ZwSetInformationFile(h, &iosb, &b, sizeof b, FileBasicInformation), STATUS_SUCCESS);
    /* A set time reads back. */
    memset(&b, 0, sizeof b);
    b.LastAccessTime.QuadPart = 0x01d0000000000000LL;
    b.LastWriteTime.QuadPart = 0x01d1234567890120LL;
    cr_assert_eq(ZwSetInformationFile(h, &iosb, &b, sizeof b, FileBasicInformation), STATUS_SUCCESS);
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &q, sizeof q, FileBasicInformation), STATUS_SUCCESS);
    cr_expect_eq(q.LastAccessTime.QuadPart, b.LastAccessTime.QuadPart);
    cr_expect_eq(q.LastWriteTime.QuadPart, b.LastWriteTime.QuadPart);
    /* Attributes: READONLY and ARCHIVE; NORMAL clears them. */
    memset(&b, 0, sizeof b);
    b.FileAttributes = FILE_ATTRIBUTE_READONLY;
    cr_assert_eq(ZwSetInformationFile(h, &iosb, &b, sizeof b, FileBasicInformation), STATUS_SUCCESS);
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &q, sizeof q, FileBasicInformation), STATUS_SUCCESS);
    cr_expect_eq(q.FileAttributes, FILE_ATTRIBUTE_READONLY);
    b.FileAttributes = FILE_ATTRIBUTE_NORMAL;
    cr_assert_eq(ZwSetInformationFile(h, &iosb, &b, sizeof b, FileBasicInformation), STATUS_SUCCESS);
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &q, sizeof q, FileBasicInformation), STATUS_SUCCESS);
    cr_expect_eq(q.FileAttributes, FILE_ATTRIBUTE_NORMAL);
    /* What the volume cannot keep is refused, and nothing changes. */
    b.FileAttributes = FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_READONLY;
    kf_iosb_fill(&iosb);
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &b, sizeof b, FileBasicInformation), STATUS_NOT_SUPPORTED);
    KF_IOSB_UNTOUCHED(iosb);
    b.FileAttributes = FILE_ATTRIBUTE_DIRECTORY;
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &b, sizeof b, FileBasicInformation), STATUS_INVALID_PARAMETER);
    memset(&b, 0, sizeof b);
    b.CreationTime.QuadPart = 0x01c0000000000000LL;
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &b, sizeof b, FileBasicInformation), STATUS_NOT_SUPPORTED);
    b.CreationTime.QuadPart = q.CreationTime.QuadPart; /* the same value is no change */
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &b, sizeof b, FileBasicInformation), STATUS_SUCCESS);
    memset(&b, 0, sizeof b);
    b.LastWriteTime.QuadPart = -3;
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &b, sizeof b, FileBasicInformation), STATUS_INVALID_PARAMETER);
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &q, sizeof q, FileBasicInformation), STATUS_SUCCESS);
    cr_expect_eq(q.FileAttributes, FILE_ATTRIBUTE_NORMAL);
    kf_close(h);
    /* FILE_WRITE_ATTRIBUTES is needed. */
    cr_assert_eq(kf_create(&h, FILE_READ_ATTRIBUTES, L"\\SystemRoot\\Temp\\b.txt", NULL, FILE_OPEN, 0, NULL),
                 STATUS_SUCCESS);
    b.FileAttributes = FILE_ATTRIBUTE_READONLY;
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &b, sizeof b, FileBasicInformation), STATUS_ACCESS_DENIED);
    kf_close(h);
}

Test(kfile_info, end_of_file_and_position)
{
    HANDLE h = open_file(L"\\SystemRoot\\Temp\\e.txt", GENERIC_READ | GENERIC_WRITE, FILE_OVERWRITE_IF);
    IO_STATUS_BLOCK iosb;
    FILE_END_OF_FILE_INFORMATION eof = {.EndOfFile.QuadPart = 4096};
    kf_iosb_fill(&iosb);
    cr_assert_eq(ZwSetInformationFile(h, &iosb, &eof, sizeof eof, FileEndOfFileInformation), STATUS_SUCCESS);
    cr_expect_eq(iosb.Status, STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, 0);
    FILE_STANDARD_INFORMATION si;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &si, sizeof si, FileStandardInformation), STATUS_SUCCESS);
    cr_expect_eq(si.EndOfFile.QuadPart, 4096);
    eof.EndOfFile.QuadPart = 3;
    cr_assert_eq(ZwSetInformationFile(h, &iosb, &eof, sizeof eof, FileEndOfFileInformation), STATUS_SUCCESS);
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &si, sizeof si, FileStandardInformation), STATUS_SUCCESS);
    cr_expect_eq(si.EndOfFile.QuadPart, 3);
    eof.EndOfFile.QuadPart = -1;
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &eof, sizeof eof, FileEndOfFileInformation),
                 STATUS_INVALID_PARAMETER);
    FILE_POSITION_INFORMATION p = {.CurrentByteOffset.QuadPart = 0xbeef};
    cr_assert_eq(ZwSetInformationFile(h, &iosb, &p, sizeof p, FilePositionInformation), STATUS_SUCCESS);
    p.CurrentByteOffset.QuadPart = 0;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &p, sizeof p, FilePositionInformation), STATUS_SUCCESS);
    cr_expect_eq(p.CurrentByteOffset.QuadPart, 0xbeef);
    p.CurrentByteOffset.QuadPart = -5;
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &p, sizeof p, FilePositionInformation), STATUS_INVALID_PARAMETER);
    kf_close(h);
    /* No FILE_WRITE_DATA: no end of file. */
    cr_assert_eq(kf_create(&h, GENERIC_READ, L"\\SystemRoot\\Temp\\e.txt", NULL, FILE_OPEN, 0, NULL), STATUS_SUCCESS);
    eof.EndOfFile.QuadPart = 0;
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &eof, sizeof eof, FileEndOfFileInformation), STATUS_ACCESS_DENIED);
    kf_close(h);
    /* Unbuffered handles move in whole sectors. */
    cr_assert_eq(kf_create(&h, GENERIC_READ, L"\\SystemRoot\\Temp\\e.txt", NULL, FILE_OPEN,
                           FILE_NO_INTERMEDIATE_BUFFERING, NULL),
                 STATUS_SUCCESS);
    p.CurrentByteOffset.QuadPart = 100;
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &p, sizeof p, FilePositionInformation), STATUS_INVALID_PARAMETER);
    p.CurrentByteOffset.QuadPart = 1024;
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &p, sizeof p, FilePositionInformation), STATUS_SUCCESS);
    kf_close(h);
}

Test(kfile_info, disposition)
{
    IO_STATUS_BLOCK iosb;
    FILE_DISPOSITION_INFORMATION d = {TRUE};
    /* Set, then reset: the file stays. */
    HANDLE h = open_file(L"\\SystemRoot\\Temp\\del.txt", GENERIC_WRITE | DELETE, FILE_OVERWRITE_IF);
    cr_assert_eq(ZwSetInformationFile(h, &iosb, &d, sizeof d, FileDispositionInformation), STATUS_SUCCESS);
    FILE_STANDARD_INFORMATION si;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &si, sizeof si, FileStandardInformation), STATUS_SUCCESS);
    cr_expect_eq(si.DeletePending, TRUE);
    HANDLE h2;
    cr_expect_eq(kf_create(&h2, GENERIC_READ, L"\\SystemRoot\\Temp\\del.txt", NULL, FILE_OPEN, 0, NULL),
                 STATUS_DELETE_PENDING);
    d.DeleteFile = FALSE;
    cr_assert_eq(ZwSetInformationFile(h, &iosb, &d, sizeof d, FileDispositionInformation), STATUS_SUCCESS);
    kf_close(h);
    cr_expect(kf_host_exists("Windows/Temp/del.txt"));
    /* Set: removed at close. */
    h = open_file(L"\\SystemRoot\\Temp\\del.txt", DELETE, FILE_OPEN);
    d.DeleteFile = TRUE;
    cr_assert_eq(ZwSetInformationFile(h, &iosb, &d, sizeof d, FileDispositionInformation), STATUS_SUCCESS);
    kf_close(h);
    cr_expect_eq(kf_host_exists("Windows/Temp/del.txt"), 0);
    /* Delete-on-close is not undone by DeleteFile = FALSE (Wine). */
    cr_assert_eq(kf_create(&h, GENERIC_WRITE | DELETE, L"\\SystemRoot\\Temp\\doc.txt", NULL, FILE_CREATE,
                           FILE_DELETE_ON_CLOSE, NULL),
                 STATUS_SUCCESS);
    d.DeleteFile = FALSE;
    cr_assert_eq(ZwSetInformationFile(h, &iosb, &d, sizeof d, FileDispositionInformation), STATUS_SUCCESS);
    kf_close(h);
    cr_expect_eq(kf_host_exists("Windows/Temp/doc.txt"), 0);
    /* Read-only file: CANNOT_DELETE; no DELETE access: ACCESS_DENIED. */
    UNICODE_STRING u = kf_us(L"\\SystemRoot\\Temp\\ro.txt");
    OBJECT_ATTRIBUTES oa = kf_oa(&u, NULL, 0);
    cr_assert_eq(ZwCreateFile(&h, GENERIC_WRITE | DELETE, &oa, &iosb, NULL, FILE_ATTRIBUTE_READONLY, 0, FILE_CREATE, 0,
                              NULL, 0),
                 STATUS_SUCCESS);
    d.DeleteFile = TRUE;
    kf_iosb_fill(&iosb);
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &d, sizeof d, FileDispositionInformation), STATUS_CANNOT_DELETE);
    KF_IOSB_UNTOUCHED(iosb);
    kf_close(h);
    cr_expect(kf_host_exists("Windows/Temp/ro.txt"));
    h = open_file(L"\\SystemRoot\\Temp\\ro.txt", GENERIC_READ, FILE_OPEN);
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &d, sizeof d, FileDispositionInformation), STATUS_ACCESS_DENIED);
    kf_close(h);
    /* A non-empty directory: DIRECTORY_NOT_EMPTY; an empty one goes. */
    kf_make_dir(L"\\SystemRoot\\Temp\\dd");
    kf_make_file(L"\\SystemRoot\\Temp\\dd\\x", "x");
    cr_assert_eq(kf_create(&h, DELETE, L"\\SystemRoot\\Temp\\dd", NULL, FILE_OPEN, FILE_DIRECTORY_FILE, NULL),
                 STATUS_SUCCESS);
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &d, sizeof d, FileDispositionInformation),
                 STATUS_DIRECTORY_NOT_EMPTY);
    kf_close(h);
    kf_make_dir(L"\\SystemRoot\\Temp\\empty");
    cr_assert_eq(kf_create(&h, DELETE, L"\\SystemRoot\\Temp\\empty", NULL, FILE_OPEN, FILE_DIRECTORY_FILE, NULL),
                 STATUS_SUCCESS);
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &d, sizeof d, FileDispositionInformation), STATUS_SUCCESS);
    kf_close(h);
    cr_expect_eq(kf_host_exists("Windows/Temp/empty"), 0);
    /* FileDispositionInformationEx: DELETE works, unemulated flags are refused. */
    h = open_file(L"\\SystemRoot\\Temp\\ex.txt", GENERIC_WRITE | DELETE, FILE_OVERWRITE_IF);
    FILE_DISPOSITION_INFORMATION_EX dx = {FILE_DISPOSITION_DELETE | FILE_DISPOSITION_POSIX_SEMANTICS};
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &dx, sizeof dx, FileDispositionInformationEx), STATUS_NOT_SUPPORTED);
    dx.Flags = FILE_DISPOSITION_DELETE;
    cr_expect_eq(ZwSetInformationFile(h, &iosb, &dx, sizeof dx, FileDispositionInformationEx), STATUS_SUCCESS);
    kf_close(h);
    cr_expect_eq(kf_host_exists("Windows/Temp/ex.txt"), 0);
}

/* A FILE_RENAME_INFORMATION in a buffer. */
static ULONG rename_info(uint8_t *buf, BOOLEAN replace, HANDLE root, const WCHAR *name)
{
    FILE_RENAME_INFORMATION *ri = (FILE_RENAME_INFORMATION *)buf;
    memset(buf, 0, offsetof(FILE_RENAME_INFORMATION, FileName));
    ri->ReplaceIfExists = replace;
    ri->RootDirectory = root;
    size_t n = 0;
    while (name[n])
        n++;
    ri->FileNameLength = (ULONG)(n * 2);
    memcpy(ri->FileName, name, n * 2);
    return (ULONG)(offsetof(FILE_RENAME_INFORMATION, FileName) + n * 2);
}

Test(kfile_info, rename)
{
    uint8_t buf[512];
    IO_STATUS_BLOCK iosb;
    kf_make_file(L"\\SystemRoot\\Temp\\old.txt", "old");
    kf_make_file(L"\\SystemRoot\\Temp\\other.txt", "other");
    HANDLE h = open_file(L"\\SystemRoot\\Temp\\old.txt", GENERIC_WRITE | DELETE, FILE_OPEN);
    /* Absolute NT name onto an existing file without replace: collision, iosb untouched. */
    ULONG len = rename_info(buf, FALSE, NULL, L"\\??\\C:\\Windows\\Temp\\other.txt");
    kf_iosb_fill(&iosb);
    cr_expect_eq(ZwSetInformationFile(h, &iosb, buf, len, FileRenameInformation), STATUS_OBJECT_NAME_COLLISION);
    KF_IOSB_UNTOUCHED(iosb);
    /* With replace it goes. */
    len = rename_info(buf, TRUE, NULL, L"\\??\\C:\\Windows\\Temp\\other.txt");
    cr_assert_eq(ZwSetInformationFile(h, &iosb, buf, len, FileRenameInformation), STATUS_SUCCESS);
    cr_expect_eq(iosb.Status, STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, 0);
    cr_expect_eq(kf_host_exists("Windows/Temp/old.txt"), 0);
    char *d = kf_host_read("Windows/Temp/other.txt");
    cr_assert_not_null(d);
    cr_expect_str_eq(d, "old");
    free(d);
    /* FileNameInformation follows the rename. */
    union {
        FILE_NAME_INFORMATION n;
        uint8_t b[256];
    } u;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &u, sizeof u, FileNameInformation), STATUS_SUCCESS);
    cr_expect_eq(u.n.FileNameLength, sizeof(L"\\Windows\\Temp\\other.txt") - 2);
    /* A simple name: the same directory. */
    len = rename_info(buf, FALSE, NULL, L"simple.txt");
    cr_assert_eq(ZwSetInformationFile(h, &iosb, buf, len, FileRenameInformation), STATUS_SUCCESS);
    cr_expect(kf_host_exists("Windows/Temp/simple.txt"));
    /* Relative to a RootDirectory handle. */
    kf_make_dir(L"\\SystemRoot\\Temp\\sub");
    HANDLE dir;
    cr_assert_eq(kf_create(&dir, FILE_LIST_DIRECTORY, L"\\SystemRoot\\Temp\\sub", NULL, FILE_OPEN, FILE_DIRECTORY_FILE,
                           NULL),
                 STATUS_SUCCESS);
    len = rename_info(buf, FALSE, dir, L"moved.txt");
    cr_assert_eq(ZwSetInformationFile(h, &iosb, buf, len, FileRenameInformation), STATUS_SUCCESS);
    cr_expect(kf_host_exists("Windows/Temp/sub/moved.txt"));
    /* Onto itself: success, nothing changes. */
    len = rename_info(buf, FALSE, NULL, L"\\SystemRoot\\Temp\\sub\\moved.txt");
    cr_expect_eq(ZwSetInformationFile(h, &iosb, buf, len, FileRenameInformation), STATUS_SUCCESS);
    /* Onto a directory: collision, or ACCESS_DENIED with replace (Wine). */
    kf_make_dir(L"\\SystemRoot\\Temp\\adir");
    len = rename_info(buf, FALSE, NULL, L"\\SystemRoot\\Temp\\adir");
    cr_expect_eq(ZwSetInformationFile(h, &iosb, buf, len, FileRenameInformation), STATUS_OBJECT_NAME_COLLISION);
    len = rename_info(buf, TRUE, NULL, L"\\SystemRoot\\Temp\\adir");
    cr_expect_eq(ZwSetInformationFile(h, &iosb, buf, len, FileRenameInformation), STATUS_ACCESS_DENIED);
    /* Bad names and lengths. */
    len = rename_info(buf, FALSE, NULL, L"a\\b.txt");
    cr_expect_eq(ZwSetInformationFile(h, &iosb, buf, len, FileRenameInformation), STATUS_INVALID_PARAMETER);
    len = rename_info(buf, FALSE, NULL, L"bad?.txt");
    cr_expect_eq(ZwSetInformationFile(h, &iosb, buf, len, FileRenameInformation), STATUS_OBJECT_NAME_INVALID);
    len = rename_info(buf, FALSE, NULL, L"\\??\\C:\\Windows\\..\\..\\escape.txt");
    cr_expect_eq(ZwSetInformationFile(h, &iosb, buf, len, FileRenameInformation), STATUS_OBJECT_PATH_SYNTAX_BAD);
    len = rename_info(buf, FALSE, NULL, L"x.txt");
    ((FILE_RENAME_INFORMATION *)buf)->FileNameLength = 400;
    cr_expect_eq(ZwSetInformationFile(h, &iosb, buf, len, FileRenameInformation), STATUS_INVALID_PARAMETER);
    cr_expect(kf_host_exists("Windows/Temp/sub/moved.txt"));
    kf_close(dir);
    kf_close(h);
    /* DELETE access is needed. */
    h = open_file(L"\\SystemRoot\\Temp\\sub\\moved.txt", GENERIC_WRITE, FILE_OPEN);
    len = rename_info(buf, FALSE, NULL, L"again.txt");
    cr_expect_eq(ZwSetInformationFile(h, &iosb, buf, len, FileRenameInformation), STATUS_ACCESS_DENIED);
    kf_close(h);
    /* A directory renames too. */
    cr_assert_eq(kf_create(&h, DELETE, L"\\SystemRoot\\Temp\\sub", NULL, FILE_OPEN, FILE_DIRECTORY_FILE, NULL),
                 STATUS_SUCCESS);
    len = rename_info(buf, FALSE, NULL, L"sub2");
    cr_expect_eq(ZwSetInformationFile(h, &iosb, buf, len, FileRenameInformation), STATUS_SUCCESS);
    kf_close(h);
    cr_expect(kf_host_exists("Windows/Temp/sub2/moved.txt"));
}
