/*
 * test_file.c: the kernel32 file calls on the emulated C: volume
 * (CreateFileW, ReadFile, WriteFile, SetFilePointerEx, GetFileSizeEx,
 * CreateDirectoryW, DeleteFileW, MoveFileExW, FindFirstFileW,
 * FindNextFileW, FindClose): dispositions and their last errors, the
 * buffer and position rules, directory listings with DOS wildcards, and
 * the same policy and audit as the kernel file APIs.
 */
#include "tests/um/um.h"

TestSuite(um_file, .init = um_setup, .fini = um_teardown);

static HANDLE open_rw(const WCHAR *path, DWORD disp)
{
    return CreateFileW(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, NULL, disp, FILE_ATTRIBUTE_NORMAL, NULL);
}

static void write_all(HANDLE h, const char *s)
{
    DWORD done = UM_DEAD;
    cr_assert(WriteFile(h, s, (DWORD)strlen(s), &done, NULL), "WriteFile: %u", (unsigned)GetLastError());
    cr_assert_eq(done, strlen(s));
}

Test(um_file, create_write_read_round_trip)
{
    cr_assert(CreateDirectoryW(L"C:\\ProgramData\\Contoso", NULL));
    SetLastError(0xdeadbeef);
    HANDLE h = open_rw(L"C:\\ProgramData\\Contoso\\state.txt", CREATE_NEW);
    cr_assert_neq(h, INVALID_HANDLE_VALUE, "error %u", (unsigned)GetLastError());
    cr_assert_eq(GetLastError(), ERROR_SUCCESS);
    write_all(h, "hello world");
    LARGE_INTEGER size = {.QuadPart = -1}, pos = {.QuadPart = -1}, zero = {.QuadPart = 0};
    cr_assert(GetFileSizeEx(h, &size));
    cr_assert_eq(size.QuadPart, 11);
    cr_assert(SetFilePointerEx(h, zero, &pos, FILE_BEGIN));
    cr_assert_eq(pos.QuadPart, 0);
    char buf[32];
    memset(buf, UM_FILL, sizeof buf);
    DWORD got = UM_DEAD;
    cr_assert(ReadFile(h, buf, sizeof buf, &got, NULL));
    cr_assert_eq(got, 11);
    cr_assert(!memcmp(buf, "hello world", 11));
    cr_assert_eq((unsigned char)buf[11], UM_FILL);
    /* At the end: success with no bytes. */
    got = UM_DEAD;
    cr_assert(ReadFile(h, buf, sizeof buf, &got, NULL));
    cr_assert_eq(got, 0);
    cr_assert(CloseHandle(h));
    char *host = um_host_read("ProgramData/Contoso/state.txt");
    cr_assert_not_null(host);
    cr_assert_str_eq(host, "hello world");
    free(host);
}

Test(um_file, dispositions_and_their_last_errors)
{
    um_host_write("ProgramData/Contoso/a.txt", "abc");
    HANDLE h;
    SetLastError(0);
    cr_assert_eq(open_rw(L"C:\\ProgramData\\Contoso\\a.txt", CREATE_NEW), INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_FILE_EXISTS, "CREATE_NEW on a file: ERROR_FILE_EXISTS");
    SetLastError(0);
    cr_assert_eq(open_rw(L"C:\\ProgramData\\Contoso\\none.txt", OPEN_EXISTING), INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_FILE_NOT_FOUND);
    SetLastError(0);
    cr_assert_eq(open_rw(L"C:\\ProgramData\\NoDir\\x.txt", CREATE_ALWAYS), INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_PATH_NOT_FOUND);
    SetLastError(0xdeadbeef);
    h = open_rw(L"C:\\ProgramData\\Contoso\\a.txt", OPEN_ALWAYS);
    cr_assert_neq(h, INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_ALREADY_EXISTS, "OPEN_ALWAYS notes an existing file");
    CloseHandle(h);
    SetLastError(0xdeadbeef);
    h = open_rw(L"C:\\ProgramData\\Contoso\\b.txt", OPEN_ALWAYS);
    cr_assert_neq(h, INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_SUCCESS);
    CloseHandle(h);
    SetLastError(0xdeadbeef);
    h = open_rw(L"C:\\ProgramData\\Contoso\\a.txt", CREATE_ALWAYS);
    cr_assert_neq(h, INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_ALREADY_EXISTS);
    LARGE_INTEGER sz;
    cr_assert(GetFileSizeEx(h, &sz));
    cr_assert_eq(sz.QuadPart, 0, "CREATE_ALWAYS truncates");
    CloseHandle(h);
    SetLastError(0);
    cr_assert_eq(CreateFileW(L"C:\\ProgramData\\Contoso\\a.txt", GENERIC_READ, 0, NULL, TRUNCATE_EXISTING, 0, NULL),
                 INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER, "TRUNCATE_EXISTING wants GENERIC_WRITE");
    SetLastError(0);
    cr_assert_eq(open_rw(L"C:\\ProgramData\\Contoso\\a.txt", 6), INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(0);
    cr_assert_eq(open_rw(NULL, OPEN_EXISTING), INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_PATH_NOT_FOUND);
    SetLastError(0);
    cr_assert_eq(open_rw(L"", OPEN_EXISTING), INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_PATH_NOT_FOUND);
    SetLastError(0);
    cr_assert_eq(open_rw(L"D:\\x.txt", OPEN_EXISTING), INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_PATH_NOT_FOUND, "no other drive");
    SetLastError(0);
    cr_assert_eq(open_rw(L"\\\\server\\share\\x.txt", OPEN_EXISTING), INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_BAD_NETPATH);
}

Test(um_file, directories_need_backup_semantics)
{
    SetLastError(0);
    cr_assert_eq(CreateFileW(L"C:\\ProgramData", GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL),
                 INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_ACCESS_DENIED);
    HANDLE h = CreateFileW(L"C:\\ProgramData", GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                           FILE_FLAG_BACKUP_SEMANTICS, NULL);
    cr_assert_neq(h, INVALID_HANDLE_VALUE);
    char b[4];
    DWORD got = UM_DEAD;
    SetLastError(0);
    cr_assert(!ReadFile(h, b, sizeof b, &got, NULL));
    cr_assert_eq(GetLastError(), ERROR_INVALID_FUNCTION);
    cr_assert_eq(got, 0);
    CloseHandle(h);
}

Test(um_file, read_write_arguments_and_overlapped_offsets)
{
    um_host_write("ProgramData/Contoso/f.bin", "0123456789");
    HANDLE h = open_rw(L"C:\\ProgramData\\Contoso\\f.bin", OPEN_EXISTING);
    cr_assert_neq(h, INVALID_HANDLE_VALUE);
    char buf[8];
    SetLastError(0);
    cr_assert(!ReadFile(h, buf, 4, NULL, NULL));
    cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.Offset = 6;
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    ov.hEvent = ev;
    DWORD got = UM_DEAD;
    cr_assert(ReadFile(h, buf, 8, &got, &ov));
    cr_assert_eq(got, 4);
    cr_assert(!memcmp(buf, "6789", 4));
    cr_assert_eq(ov.InternalHigh, 4);
    cr_assert_eq(ov.Internal, 0);
    cr_assert_eq(WaitForSingleObject(ev, 0), WAIT_OBJECT_0, "the event is set on completion");
    /* At the end through an OVERLAPPED: ERROR_HANDLE_EOF. */
    ov.Offset = 10;
    SetLastError(0);
    cr_assert(!ReadFile(h, buf, 8, &got, &ov));
    cr_assert_eq(GetLastError(), ERROR_HANDLE_EOF);
    cr_assert_eq(got, 0);
    /* A write at an offset. */
    ov.Offset = 2;
    cr_assert(WriteFile(h, "AB", 2, &got, &ov));
    cr_assert_eq(got, 2);
    CloseHandle(ev);
    CloseHandle(h);
    char *s = um_host_read("ProgramData/Contoso/f.bin");
    cr_assert_str_eq(s, "01AB456789");
    free(s);
    /* Rights: no write through a read handle. */
    h = CreateFileW(L"C:\\ProgramData\\Contoso\\f.bin", GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    SetLastError(0);
    cr_assert(!WriteFile(h, "x", 1, &got, NULL));
    cr_assert_eq(GetLastError(), ERROR_ACCESS_DENIED);
    CloseHandle(h);
    SetLastError(0);
    cr_assert(!ReadFile(INVALID_HANDLE_VALUE, buf, 1, &got, NULL));
    cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
}

Test(um_file, file_pointer)
{
    um_host_write("ProgramData/Contoso/p.bin", "0123456789");
    HANDLE h = open_rw(L"C:\\ProgramData\\Contoso\\p.bin", OPEN_EXISTING);
    LARGE_INTEGER d, pos;
    d.QuadPart = -3;
    cr_assert(SetFilePointerEx(h, d, &pos, FILE_END));
    cr_assert_eq(pos.QuadPart, 7);
    d.QuadPart = 1;
    cr_assert(SetFilePointerEx(h, d, &pos, FILE_CURRENT));
    cr_assert_eq(pos.QuadPart, 8);
    char c[2];
    DWORD got;
    cr_assert(ReadFile(h, c, 2, &got, NULL));
    cr_assert_eq(got, 2);
    cr_assert(!memcmp(c, "89", 2));
    d.QuadPart = -100;
    pos.QuadPart = 77;
    SetLastError(0);
    cr_assert(!SetFilePointerEx(h, d, &pos, FILE_CURRENT));
    cr_assert_eq(GetLastError(), ERROR_NEGATIVE_SEEK);
    cr_assert_eq(pos.QuadPart, 77);
    SetLastError(0);
    cr_assert(!SetFilePointerEx(h, d, NULL, 3));
    cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    /* Past the end is allowed; a write there extends the file. */
    d.QuadPart = 12;
    cr_assert(SetFilePointerEx(h, d, NULL, FILE_BEGIN));
    write_all(h, "Z");
    LARGE_INTEGER sz;
    cr_assert(GetFileSizeEx(h, &sz));
    cr_assert_eq(sz.QuadPart, 13);
    CloseHandle(h);
}

Test(um_file, create_directory_delete_move)
{
    SetLastError(0);
    cr_assert(!CreateDirectoryW(L"C:\\ProgramData\\NoSuch\\Child", NULL));
    cr_assert_eq(GetLastError(), ERROR_PATH_NOT_FOUND);
    cr_assert(CreateDirectoryW(L"C:\\ProgramData\\Contoso", NULL));
    SetLastError(0);
    cr_assert(!CreateDirectoryW(L"C:\\ProgramData\\Contoso", NULL));
    cr_assert_eq(GetLastError(), ERROR_ALREADY_EXISTS);
    um_host_write("ProgramData/Contoso/old.txt", "1");
    um_host_write("ProgramData/Contoso/other.txt", "2");
    cr_assert(MoveFileExW(L"C:\\ProgramData\\Contoso\\old.txt", L"C:\\ProgramData\\Contoso\\new.txt", 0));
    cr_assert(!um_host_exists("ProgramData/Contoso/old.txt"));
    cr_assert(um_host_exists("ProgramData/Contoso/new.txt"));
    SetLastError(0);
    cr_assert(!MoveFileExW(L"C:\\ProgramData\\Contoso\\new.txt", L"C:\\ProgramData\\Contoso\\other.txt", 0));
    cr_assert_eq(GetLastError(), ERROR_ALREADY_EXISTS);
    cr_assert(MoveFileExW(L"C:\\ProgramData\\Contoso\\new.txt", L"C:\\ProgramData\\Contoso\\other.txt",
                          MOVEFILE_REPLACE_EXISTING));
    char *s = um_host_read("ProgramData/Contoso/other.txt");
    cr_assert_str_eq(s, "1");
    free(s);
    SetLastError(0);
    cr_assert(!MoveFileExW(L"C:\\ProgramData\\Contoso\\gone.txt", L"C:\\ProgramData\\Contoso\\x.txt", 0));
    cr_assert_eq(GetLastError(), ERROR_FILE_NOT_FOUND);
    SetLastError(0);
    cr_assert(!MoveFileExW(L"C:\\ProgramData\\Contoso\\other.txt", NULL, 0));
    cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(0);
    cr_assert(!MoveFileExW(L"C:\\ProgramData\\Contoso\\other.txt", L"C:\\x", MOVEFILE_DELAY_UNTIL_REBOOT));
    cr_assert_eq(GetLastError(), ERROR_NOT_SUPPORTED);
    SetLastError(0);
    cr_assert(!MoveFileExW(L"C:\\ProgramData\\Contoso\\other.txt", L"C:\\x", 0x100));
    cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    /* DeleteFileW: files only. */
    SetLastError(0);
    cr_assert(!DeleteFileW(L"C:\\ProgramData\\Contoso"));
    cr_assert_eq(GetLastError(), ERROR_ACCESS_DENIED);
    cr_assert(DeleteFileW(L"C:\\ProgramData\\Contoso\\other.txt"));
    cr_assert(!um_host_exists("ProgramData/Contoso/other.txt"));
    SetLastError(0);
    cr_assert(!DeleteFileW(L"C:\\ProgramData\\Contoso\\other.txt"));
    cr_assert_eq(GetLastError(), ERROR_FILE_NOT_FOUND);
    /* A read-only file cannot be deleted. */
    HANDLE h = CreateFileW(L"C:\\ProgramData\\Contoso\\ro.txt", GENERIC_WRITE, 0, NULL, CREATE_NEW,
                           FILE_ATTRIBUTE_READONLY, NULL);
    cr_assert_neq(h, INVALID_HANDLE_VALUE);
    CloseHandle(h);
    SetLastError(0);
    cr_assert(!DeleteFileW(L"C:\\ProgramData\\Contoso\\ro.txt"));
    cr_assert_eq(GetLastError(), ERROR_ACCESS_DENIED);
    cr_assert(um_host_exists("ProgramData/Contoso/ro.txt"));
}

static int find_all(const WCHAR *pattern, char names[][64], int max)
{
    WIN32_FIND_DATAW fd;
    HANDLE f = FindFirstFileW(pattern, &fd);
    if (f == INVALID_HANDLE_VALUE)
        return -1;
    int n = 0;
    do {
        if (n < max)
            snprintf(names[n], 64, "%s", um_u8s(fd.cFileName));
        n++;
    } while (FindNextFileW(f, &fd));
    cr_assert_eq(GetLastError(), ERROR_NO_MORE_FILES);
    cr_assert(FindClose(f));
    return n;
}

static int has(char names[][64], int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return 1;
    return 0;
}

Test(um_file, find_files)
{
    um_host_write("ProgramData/Contoso/abc.txt", "12345");
    um_host_write("ProgramData/Contoso/abd.log", "1");
    um_host_write("ProgramData/Contoso/README", "1");
    char names[16][64];
    int n = find_all(L"C:\\ProgramData\\Contoso\\*", names, 16);
    cr_assert_eq(n, 5, "., .. and three files");
    cr_assert(has(names, n, ".") && has(names, n, "..") && has(names, n, "abc.txt") && has(names, n, "README"));
    n = find_all(L"C:\\ProgramData\\Contoso\\*.txt", names, 16);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(names[0], "abc.txt");
    n = find_all(L"C:\\ProgramData\\Contoso\\ab?.*", names, 16);
    cr_assert_eq(n, 2);
    /* "*." matches names without an extension (DOS semantics). */
    n = find_all(L"C:\\ProgramData\\Contoso\\*.", names, 16);
    cr_assert(has(names, n, "README") && !has(names, n, "abc.txt"), "got %d", n);
    n = find_all(L"C:\\ProgramData\\Contoso\\*.*", names, 16);
    cr_assert_eq(n, 5, "*.* is everything");
    /* The data of one entry. */
    WIN32_FIND_DATAW fd;
    memset(&fd, UM_FILL, sizeof fd);
    HANDLE f = FindFirstFileW(L"C:\\ProgramData\\Contoso\\ABC.TXT", &fd);
    cr_assert_neq(f, INVALID_HANDLE_VALUE);
    cr_assert(um_weq(fd.cFileName, "abc.txt"), "the stored case");
    cr_assert_eq(fd.nFileSizeLow, 5);
    cr_assert_eq(fd.nFileSizeHigh, 0);
    cr_assert_eq(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY, 0);
    cr_assert_neq(fd.ftLastWriteTime.dwHighDateTime, 0);
    SetLastError(0);
    cr_assert(!FindNextFileW(f, &fd));
    cr_assert_eq(GetLastError(), ERROR_NO_MORE_FILES);
    cr_assert(FindClose(f));
    SetLastError(0);
    cr_assert(!FindClose(f));
    cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
    /* Errors. */
    SetLastError(0);
    cr_assert_eq(FindFirstFileW(L"C:\\ProgramData\\Contoso\\*.xyz", &fd), INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_FILE_NOT_FOUND);
    SetLastError(0);
    cr_assert_eq(FindFirstFileW(L"C:\\ProgramData\\Missing\\*", &fd), INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_PATH_NOT_FOUND);
    SetLastError(0);
    cr_assert_eq(FindFirstFileW(L"C:\\ProgramData\\Contoso\\", &fd), INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_FILE_NOT_FOUND);
    SetLastError(0);
    cr_assert_eq(FindFirstFileW(L"", &fd), INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_PATH_NOT_FOUND);
    /* The root has no "." and "..". */
    n = find_all(L"C:\\*", names, 16);
    cr_assert(n > 0 && !has(names, n < 16 ? n : 16, ".") && has(names, n < 16 ? n : 16, "ProgramData"));
}

Test(um_file, service_state_directory_is_sanctioned)
{
    um_make_service("umsvc", SERVICE_WIN32_OWN_PROCESS, NULL, NULL);
    um_host_write("Windows/ServiceState/umsvc/Data/.keep", "");
    um_as_service("umsvc");
    size_t from = um_nevents();
    HANDLE h = open_rw(L"C:\\Windows\\ServiceState\\umsvc\\Data\\state.bin", CREATE_ALWAYS);
    cr_assert_neq(h, INVALID_HANDLE_VALUE);
    write_all(h, "x");
    CloseHandle(h);
    const pnpbox_event *e = um_event("CreateFileW", "state.bin", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->path, "C:\\Windows\\ServiceState\\umsvc\\Data\\state.bin");
    cr_assert_str_eq(e->component, "umsvc");
    cr_assert_str_eq(e->rules, "");
    cr_assert_eq(e->write, 1);
}

Test(um_file, writes_outside_state_are_judged)
{
    um_make_service("umsvc", SERVICE_WIN32_OWN_PROCESS, NULL, NULL);
    um_as_service("umsvc");
    size_t from = um_nevents();
    HANDLE h = open_rw(L"C:\\Windows\\System32\\umsvc.cfg", CREATE_ALWAYS);
    cr_assert_neq(h, INVALID_HANDLE_VALUE, "report mode allows it");
    CloseHandle(h);
    const pnpbox_event *e = um_event("CreateFileW", "umsvc.cfg", from);
    cr_assert_not_null(e);
    cr_assert(um_has_rule(e, "FILE-ABSOLUTE-PATH"), "rules '%s'", e->rules);
    cr_assert(um_has_rule(e, "FILE-OUTSIDE-STATE"), "rules '%s'", e->rules);
    /* At the root of DriverData. */
    from = um_nevents();
    h = open_rw(L"%DriverData%\\x.log", CREATE_ALWAYS);
    cr_assert_eq(h, INVALID_HANDLE_VALUE, "no environment expansion in CreateFileW");
    h = open_rw(L"C:\\Windows\\System32\\Drivers\\DriverData\\x.log", CREATE_ALWAYS);
    cr_assert_neq(h, INVALID_HANDLE_VALUE);
    CloseHandle(h);
    e = um_event("CreateFileW", "DriverData\\x.log", from);
    cr_assert_not_null(e);
    cr_assert(um_has_rule(e, "FILE-DRIVERDATA-ROOT"), "rules '%s'", e->rules);
    /* The driver store is read-only to everyone but the installer. */
    um_host_write("Windows/System32/DriverStore/FileRepository/x.inf_amd64_0123456789abcdef/x.dll", "MZ");
    SetLastError(0);
    h = open_rw(L"C:\\Windows\\System32\\DriverStore\\FileRepository\\x.inf_amd64_0123456789abcdef\\x.dll",
                OPEN_EXISTING);
    cr_assert_eq(h, INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_ACCESS_DENIED);
    e = um_event("CreateFileW", "x.dll", 0);
    cr_assert_not_null(e);
    cr_assert(um_has_rule(e, "FILE-DRIVER-STORE-WRITE"), "rules '%s'", e->rules);
}

Test(um_file, enforce_mode_refuses_and_creates_nothing)
{
    um_make_service("umsvc", SERVICE_WIN32_OWN_PROCESS, NULL, NULL);
    pnpbox_set_mode(m, PNPBOX_MODE_ENFORCE);
    um_as_service("umsvc");
    SetLastError(0);
    HANDLE h = open_rw(L"C:\\Windows\\System32\\umsvc.cfg", CREATE_ALWAYS);
    cr_assert_eq(h, INVALID_HANDLE_VALUE);
    cr_assert_eq(GetLastError(), ERROR_ACCESS_DENIED);
    cr_assert(!um_host_exists("Windows/System32/umsvc.cfg"));
    const pnpbox_event *e = um_event("CreateFileW", "umsvc.cfg", 0);
    cr_assert_not_null(e);
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_DENIED);
    /* ProgramData in a company folder is fine. */
    cr_assert(CreateDirectoryW(L"C:\\ProgramData\\Contoso", NULL));
    h = open_rw(L"C:\\ProgramData\\Contoso\\ok.txt", CREATE_ALWAYS);
    cr_assert_neq(h, INVALID_HANDLE_VALUE);
    CloseHandle(h);
}
