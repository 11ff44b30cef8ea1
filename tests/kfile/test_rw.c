/*
 * test_rw.c: ZwReadFile / ZwWriteFile / ZwFlushBuffersFile conformance:
 * ByteOffset forms, the current position of synchronous handles,
 * FILE_WRITE_TO_END_OF_FILE, FILE_USE_FILE_POINTER_POSITION, append-only
 * handles, END_OF_FILE, access checks, and the IO_STATUS_BLOCK rules
 * (after Wine's test_read_write, read_file_test and append_file_test).
 */
#include "tests/kfile/kf.h"

TestSuite(kfile_rw, .init = kf_setup, .fini = kf_teardown);

static const char contents[14] = {'1', '2', '3', '4', '5', '6', '7', '8', '9', '0', 'a', 'b', 'c', 'd'};

static HANDLE open_sync(ACCESS_MASK access, ULONG disposition)
{
    HANDLE h;
    NTSTATUS st = kf_create(&h, access | SYNCHRONIZE, L"\\SystemRoot\\Temp\\rw.bin", NULL, disposition,
                            FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL);
    cr_assert_eq(st, STATUS_SUCCESS, "%s", emu_status_name(st));
    return h;
}

static LONGLONG position(HANDLE h)
{
    FILE_POSITION_INFORMATION p;
    IO_STATUS_BLOCK iosb;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &p, sizeof p, FilePositionInformation), STATUS_SUCCESS);
    return p.CurrentByteOffset.QuadPart;
}

static void seek(HANDLE h, LONGLONG to)
{
    FILE_POSITION_INFORMATION p = {.CurrentByteOffset.QuadPart = to};
    IO_STATUS_BLOCK iosb;
    cr_assert_eq(ZwSetInformationFile(h, &iosb, &p, sizeof p, FilePositionInformation), STATUS_SUCCESS);
}

Test(kfile_rw, offsets_and_position)
{
    HANDLE h = open_sync(GENERIC_READ | GENERIC_WRITE, FILE_OVERWRITE_IF);
    IO_STATUS_BLOCK iosb;
    LARGE_INTEGER off;
    char buf[256];

    /* Invalid handles: nothing written. */
    kf_iosb_fill(&iosb);
    off.QuadPart = 0;
    cr_expect_eq(ZwReadFile((HANDLE)(uintptr_t)0xfffc, NULL, NULL, NULL, &iosb, buf, sizeof buf, &off, NULL),
                 STATUS_INVALID_HANDLE);
    cr_expect_eq(ZwWriteFile(NULL, NULL, NULL, NULL, &iosb, buf, sizeof buf, &off, NULL), STATUS_INVALID_HANDLE);
    KF_IOSB_UNTOUCHED(iosb);
    /* NULL buffers (Wine: INVALID_USER_BUFFER for write, ACCESS_VIOLATION for read). */
    cr_expect_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, NULL, sizeof contents, NULL, NULL),
                 STATUS_INVALID_USER_BUFFER);
    cr_expect_eq(ZwReadFile(h, NULL, NULL, NULL, &iosb, NULL, sizeof contents, NULL, NULL), STATUS_ACCESS_VIOLATION);
    KF_IOSB_UNTOUCHED(iosb);
    cr_expect_eq(ZwReadFile(h, NULL, NULL, NULL, NULL, buf, 1, NULL, NULL), STATUS_ACCESS_VIOLATION);

    /* Write 7 at the current position, the rest at the end. */
    cr_assert_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, (PVOID)contents, 7, NULL, NULL), STATUS_SUCCESS);
    cr_expect_eq(iosb.Status, STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, 7);
    seek(h, 0);
    off.LowPart = FILE_WRITE_TO_END_OF_FILE;
    off.HighPart = -1;
    cr_assert_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, (PVOID)(contents + 7), sizeof contents - 7, &off, NULL),
                 STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, sizeof contents - 7);
    cr_expect_eq(position(h), sizeof contents);

    /* Negative offsets other than -1 (write) and -2 are invalid; iosb untouched. */
    for (LONGLONG i = -20; i < 0; i++) {
        if (i == -2)
            continue;
        kf_iosb_fill(&iosb);
        off.QuadPart = i;
        if (i != -1)
            cr_expect_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, (PVOID)contents, sizeof contents, &off, NULL),
                         STATUS_INVALID_PARAMETER, "write at %lld", i);
        cr_expect_eq(ZwReadFile(h, NULL, NULL, NULL, &iosb, buf, sizeof buf, &off, NULL), STATUS_INVALID_PARAMETER,
                     "read at %lld", i);
        KF_IOSB_UNTOUCHED(iosb);
    }
    /* FILE_USE_FILE_POINTER_POSITION. */
    seek(h, sizeof contents - 4);
    off.LowPart = FILE_USE_FILE_POINTER_POSITION;
    off.HighPart = -1;
    cr_assert_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, "DCBA", 4, &off, NULL), STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, 4);
    cr_expect_eq(position(h), sizeof contents);
    /* At the end: END_OF_FILE, and the iosb says so with 0 bytes. */
    kf_iosb_fill(&iosb);
    cr_expect_eq(ZwReadFile(h, NULL, NULL, NULL, &iosb, buf, sizeof buf, NULL, NULL), STATUS_END_OF_FILE);
    cr_expect_eq(iosb.Status, STATUS_END_OF_FILE);
    cr_expect_eq(iosb.Information, 0);
    kf_iosb_fill(&iosb);
    cr_expect_eq(ZwReadFile(h, NULL, NULL, NULL, &iosb, buf, 0, NULL, NULL), STATUS_SUCCESS);
    cr_expect_eq(iosb.Status, STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, 0);
    off.QuadPart = sizeof contents;
    cr_expect_eq(ZwReadFile(h, NULL, NULL, NULL, &iosb, buf, sizeof buf, &off, NULL), STATUS_END_OF_FILE);
    cr_expect_eq(ZwReadFile(h, NULL, NULL, NULL, &iosb, buf, 0, &off, NULL), STATUS_SUCCESS);
    off.QuadPart = 1000;
    cr_expect_eq(ZwReadFile(h, NULL, NULL, NULL, &iosb, buf, 2, &off, NULL), STATUS_END_OF_FILE);
    /* An explicit offset moves a synchronous handle's position to the end of the transfer. */
    off.QuadPart = 0;
    memset(buf, 0, sizeof buf);
    cr_assert_eq(ZwReadFile(h, NULL, NULL, NULL, &iosb, buf, sizeof buf, &off, NULL), STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, sizeof contents);
    cr_expect_eq(memcmp(buf, "1234567890DCBA", 14), 0);
    cr_expect_eq(position(h), sizeof contents);
    off.QuadPart = 2;
    cr_assert_eq(ZwReadFile(h, NULL, NULL, NULL, &iosb, buf, 3, &off, NULL), STATUS_SUCCESS);
    cr_expect_eq(position(h), 5);
    /* Writing past the end fills the gap with zeros. */
    off.QuadPart = 20;
    cr_assert_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, "Z", 1, &off, NULL), STATUS_SUCCESS);
    FILE_STANDARD_INFORMATION si;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &si, sizeof si, FileStandardInformation), STATUS_SUCCESS);
    cr_expect_eq(si.EndOfFile.QuadPart, 21);
    cr_assert_eq(ZwFlushBuffersFile(h, &iosb), STATUS_SUCCESS);
    cr_expect_eq(iosb.Status, STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, 0);
    kf_close(h);
    char *d = kf_host_read("Windows/Temp/rw.bin");
    cr_assert_not_null(d);
    cr_expect_eq(memcmp(d, "1234567890DCBA\0\0\0\0\0\0Z", 21), 0);
    free(d);
}

Test(kfile_rw, access_rights)
{
    kf_make_file(L"\\SystemRoot\\Temp\\rw.bin", "data");
    IO_STATUS_BLOCK iosb;
    char buf[8];
    HANDLE h = open_sync(FILE_WRITE_DATA, FILE_OPEN);
    kf_iosb_fill(&iosb);
    cr_expect_eq(ZwReadFile(h, NULL, NULL, NULL, &iosb, buf, sizeof buf, NULL, NULL), STATUS_ACCESS_DENIED);
    KF_IOSB_UNTOUCHED(iosb);
    kf_close(h);
    h = open_sync(FILE_READ_DATA, FILE_OPEN);
    cr_expect_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, "x", 1, NULL, NULL), STATUS_ACCESS_DENIED);
    cr_expect_eq(ZwFlushBuffersFile(h, &iosb), STATUS_ACCESS_DENIED);
    KF_IOSB_UNTOUCHED(iosb);
    kf_close(h);
    /* A directory handle: no data I/O. */
    HANDLE d;
    cr_assert_eq(kf_create(&d, GENERIC_READ | SYNCHRONIZE, L"\\SystemRoot\\Temp", NULL, FILE_OPEN,
                           FILE_SYNCHRONOUS_IO_NONALERT, NULL),
                 STATUS_SUCCESS);
    cr_expect_eq(ZwReadFile(d, NULL, NULL, NULL, &iosb, buf, sizeof buf, NULL, NULL), STATUS_INVALID_DEVICE_REQUEST);
    KF_IOSB_UNTOUCHED(iosb);
    kf_close(d);
    /* A non-file handle. */
    emu_handle ev = {.type = EMU_H_EVENT};
    void *evh = emu_handle_new(m, &ev);
    cr_expect_eq(ZwReadFile(evh, NULL, NULL, NULL, &iosb, buf, sizeof buf, NULL, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    cr_expect_eq(ZwFlushBuffersFile(evh, &iosb), STATUS_OBJECT_TYPE_MISMATCH);
    cr_assert_eq(emu_handle_close(m, evh), STATUS_SUCCESS);
    /* Event: an event handle is accepted and signaled at completion; another handle is not. */
    HANDLE event;
    cr_assert_eq(ZwCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE), STATUS_SUCCESS);
    LARGE_INTEGER zero = {.QuadPart = 0};
    cr_assert_eq(ZwWaitForSingleObject(event, FALSE, &zero), STATUS_TIMEOUT);
    h = open_sync(FILE_READ_DATA, FILE_OPEN);
    cr_expect_eq(ZwReadFile(h, h, NULL, NULL, &iosb, buf, sizeof buf, NULL, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    cr_expect_eq(ZwReadFile(h, (HANDLE)(uintptr_t)0x7ffc, NULL, NULL, &iosb, buf, sizeof buf, NULL, NULL),
                 STATUS_INVALID_HANDLE);
    cr_expect_eq(ZwWaitForSingleObject(event, FALSE, &zero), STATUS_TIMEOUT);
    cr_expect_eq(ZwReadFile(h, event, NULL, NULL, &iosb, buf, sizeof buf, NULL, NULL), STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, 4);
    cr_expect_eq(ZwWaitForSingleObject(event, FALSE, &zero), STATUS_SUCCESS, "signaled at completion");
    kf_close(h);
    kf_close(event);
}

Test(kfile_rw, append_only_handle)
{
    HANDLE h = open_sync(FILE_WRITE_DATA, FILE_OVERWRITE_IF);
    IO_STATUS_BLOCK iosb;
    LARGE_INTEGER off;
    cr_assert_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, "fo", 2, NULL, NULL), STATUS_SUCCESS);
    kf_close(h);
    /* FILE_APPEND_DATA alone: every write goes to the end, whatever the offset. */
    h = open_sync(FILE_APPEND_DATA, FILE_OPEN);
    off.QuadPart = 1;
    cr_assert_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, "ob", 2, &off, NULL), STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, 2);
    cr_expect_eq(position(h), 4);
    off.QuadPart = 3;
    cr_assert_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, "ar", 2, &off, NULL), STATUS_SUCCESS);
    cr_expect_eq(position(h), 6);
    kf_close(h);
    /* With FILE_WRITE_DATA too, offsets count again. */
    h = open_sync(FILE_READ_DATA | FILE_WRITE_DATA | FILE_APPEND_DATA, FILE_OPEN);
    off.QuadPart = 0;
    cr_assert_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, "bar", 3, &off, NULL), STATUS_SUCCESS);
    char buf[16] = {0};
    cr_assert_eq(ZwReadFile(h, NULL, NULL, NULL, &iosb, buf, sizeof buf, &off, NULL), STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, 6);
    cr_expect_str_eq(buf, "barbar");
    kf_close(h);
}

static int apc_count;
static void NTAPI apc(PVOID ctx, PIO_STATUS_BLOCK iosb, ULONG reserved)
{
    cr_expect_eq(ctx, &apc_count);
    cr_expect_eq(iosb->Status, STATUS_SUCCESS);
    cr_expect_eq(reserved, 0);
    apc_count++;
}

Test(kfile_rw, asynchronous_handles)
{
    /* Without FILE_SYNCHRONOUS_IO_*: a ByteOffset is required and the position is not kept. */
    HANDLE h;
    IO_STATUS_BLOCK iosb;
    LARGE_INTEGER off;
    cr_assert_eq(kf_create(&h, FILE_READ_DATA | FILE_WRITE_DATA, L"\\SystemRoot\\Temp\\async.bin", NULL,
                           FILE_OVERWRITE_IF, FILE_NON_DIRECTORY_FILE, NULL),
                 STATUS_SUCCESS);
    kf_iosb_fill(&iosb);
    cr_expect_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, "abc", 3, NULL, NULL), STATUS_INVALID_PARAMETER);
    off.LowPart = FILE_USE_FILE_POINTER_POSITION;
    off.HighPart = -1;
    cr_expect_eq(ZwWriteFile(h, NULL, NULL, NULL, &iosb, "abc", 3, &off, NULL), STATUS_INVALID_PARAMETER);
    KF_IOSB_UNTOUCHED(iosb);
    off.QuadPart = 0;
    apc_count = 0;
    cr_assert_eq(ZwWriteFile(h, NULL, apc, &apc_count, &iosb, "abc", 3, &off, NULL), STATUS_SUCCESS);
    cr_expect_eq(apc_count, 1, "the APC ran before the call returned");
    cr_expect_eq(position(h), 0);
    char buf[8] = {0};
    cr_assert_eq(ZwReadFile(h, NULL, apc, &apc_count, &iosb, buf, sizeof buf, &off, NULL), STATUS_SUCCESS);
    cr_expect_eq(apc_count, 2);
    cr_expect_str_eq(buf, "abc");
    kf_close(h);
    /* Synchronous handles queue no APC (Wine's read_file_test). */
    cr_assert_eq(kf_create(&h, FILE_READ_DATA | SYNCHRONIZE, L"\\SystemRoot\\Temp\\async.bin", NULL, FILE_OPEN,
                           FILE_SYNCHRONOUS_IO_NONALERT, NULL),
                 STATUS_SUCCESS);
    cr_assert_eq(ZwReadFile(h, NULL, apc, &apc_count, &iosb, buf, sizeof buf, NULL, NULL), STATUS_SUCCESS);
    cr_expect_eq(apc_count, 2);
    kf_close(h);
}
