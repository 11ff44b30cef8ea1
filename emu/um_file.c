/*
 * um_file.c: the kernel32 file calls (CreateFileW, ReadFile, WriteFile,
 * SetFilePointerEx, GetFileSizeEx, CreateDirectoryW, DeleteFileW,
 * MoveFileExW, FindFirstFileW / FindNextFileW / FindClose) over the NT
 * file core (file_core.h), as kernelbase builds them over NtCreateFile:
 * the Win32 path is normalised (emu_win32_to_vpath) and opened as
 * \??\C:\..., CreateFileW's dispositions and flags become NT ones, and
 * NTSTATUS becomes the Win32 error (emu_win32_from_status) with
 * kernelbase's own exceptions (ERROR_FILE_EXISTS for CREATE_NEW,
 * ERROR_ALREADY_EXISTS as the success note of CREATE_ALWAYS / OPEN_ALWAYS).
 *
 * Every access goes through the same policy and audit as the kernel file
 * APIs: a Win32 path is an absolute path, which the rules allow a
 * user-mode component for its own ServiceState directories, DriverData,
 * ProgramData, TEMP and its image directory (rules.c) and judge
 * everywhere else (FILE-ABSOLUTE-PATH, FILE-OUTSIDE-STATE ...).  Events
 * carry the kernel32 name of the call; the removal DeleteFileW asks for
 * happens when its handle closes and is recorded as CloseHandle's.
 *
 * Choices where Windows is silent are marked "pnpbox's choice" and listed
 * in docs/user-mode.md.
 */
#include <windows.h>

#include "emu/file_core.h"
#include "emu/um_int.h"

#include "base/pb_utf16.h"

#include <ntstatus.h>
#include <stdlib.h>
#include <string.h>

/* NT create dispositions, options and results (wdm.h values; this file speaks Win32). */
enum {
    NT_FILE_SUPERSEDE = 0,
    NT_FILE_OPEN = 1,
    NT_FILE_CREATE = 2,
    NT_FILE_OPEN_IF = 3,
    NT_FILE_OVERWRITE = 4,
    NT_FILE_OVERWRITE_IF = 5,
};
#define NT_FILE_DIRECTORY_FILE 0x00000001
#define NT_FILE_WRITE_THROUGH 0x00000002
#define NT_FILE_SEQUENTIAL_ONLY 0x00000004
#define NT_FILE_NO_INTERMEDIATE_BUFFERING 0x00000008
#define NT_FILE_SYNCHRONOUS_IO_NONALERT 0x00000020
#define NT_FILE_NON_DIRECTORY_FILE 0x00000040
#define NT_FILE_RANDOM_ACCESS 0x00000800
#define NT_FILE_DELETE_ON_CLOSE 0x00001000
#define NT_FILE_OPEN_FOR_BACKUP_INTENT 0x00004000
#define NT_FILE_OPEN_REPARSE_POINT 0x00200000
#define NT_FILE_OPEN_NO_RECALL 0x00400000
#define NT_FILE_OPENED 1
#define NT_FILE_OVERWRITTEN 3
#define NT_ATTRIBUTE_VALID_FLAGS 0x00007fb7

/* ---------------------------------------------------------------- helpers */

/* Open a Win32 path with NT parameters; *info gets the NT result.  An NTSTATUS, or a
 * Win32 error in *w32 when the path itself is bad (then the status is 0 and nothing was opened). */
static emu_status open_path(pnpbox_machine *m, const char *api, void *caller, const uint16_t *path, uint32_t access,
                            uint32_t share, uint32_t disposition, uint32_t options, uint32_t attributes, void **out,
                            uint32_t *info, uint32_t *w32)
{
    *w32 = 0;
    size_t len = um_wcslen(path);
    if (!len) {
        *w32 = ERROR_PATH_NOT_FOUND;
        return STATUS_SUCCESS;
    }
    uint16_t *nt = NULL;
    size_t n = 0;
    uint32_t err = um_win32_to_nt(path, len, &nt, &n, NULL);
    if (err) {
        *w32 = err;
        return STATUS_SUCCESS;
    }
    emu_file_open_args a;
    memset(&a, 0, sizeof a);
    a.api = api;
    a.caller = caller;
    a.name = nt;
    a.name_len = n;
    a.access = access;
    a.attributes = attributes;
    a.share = share;
    a.disposition = disposition;
    a.options = options;
    a.hflags = EMU_HF_USER;
    uint32_t inf = 0;
    emu_status st = emu_file_open(m, &a, out, &inf, NULL);
    free(nt);
    if (info)
        *info = inf;
    return st;
}

/* The file entry behind a user-mode HANDLE, or NULL (ERROR_INVALID_HANDLE). */
static emu_handle *user_file(pnpbox_machine *m, HANDLE h)
{
    emu_handle *e = NULL;
    if (!h || h == INVALID_HANDLE_VALUE || emu_file_get(m, h, &e) != STATUS_SUCCESS || (e->flags & EMU_HF_KERNEL))
        return NULL;
    return e;
}

/* ---------------------------------------------------------------- CreateFileW */

HANDLE WINAPI CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                          LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                          DWORD dwFlagsAndAttributes, HANDLE hTemplateFile)
{
    void *caller = __builtin_return_address(0);
    (void)lpSecurityAttributes; /* security descriptors are not emulated */
    (void)hTemplateFile;        /* pnpbox's choice: its extended attributes are not copied (none are kept) */
    uint32_t disp;
    switch (dwCreationDisposition) {
    case CREATE_NEW: disp = NT_FILE_CREATE; break;
    case CREATE_ALWAYS: disp = NT_FILE_OVERWRITE_IF; break;
    case OPEN_EXISTING: disp = NT_FILE_OPEN; break;
    case OPEN_ALWAYS: disp = NT_FILE_OPEN_IF; break;
    case TRUNCATE_EXISTING:
        disp = NT_FILE_OVERWRITE;
        if (!(dwDesiredAccess & GENERIC_WRITE)) {
            um_set_error(ERROR_INVALID_PARAMETER); /* kernelbase insists on GENERIC_WRITE here */
            return INVALID_HANDLE_VALUE;
        }
        break;
    default: um_set_error(ERROR_INVALID_PARAMETER); return INVALID_HANDLE_VALUE;
    }
    if (!lpFileName || !lpFileName[0]) {
        um_set_error(ERROR_PATH_NOT_FOUND);
        return INVALID_HANDLE_VALUE;
    }
    DWORD f = dwFlagsAndAttributes;
    uint32_t options = 0, access = dwDesiredAccess | SYNCHRONIZE | FILE_READ_ATTRIBUTES;
    if (f & FILE_FLAG_BACKUP_SEMANTICS)
        options |= NT_FILE_OPEN_FOR_BACKUP_INTENT; /* directories may be opened too */
    else
        options |= NT_FILE_NON_DIRECTORY_FILE;
    if (!(f & FILE_FLAG_OVERLAPPED))
        options |= NT_FILE_SYNCHRONOUS_IO_NONALERT;
    if (f & FILE_FLAG_WRITE_THROUGH)
        options |= NT_FILE_WRITE_THROUGH;
    if (f & FILE_FLAG_NO_BUFFERING)
        options |= NT_FILE_NO_INTERMEDIATE_BUFFERING;
    if (f & FILE_FLAG_RANDOM_ACCESS)
        options |= NT_FILE_RANDOM_ACCESS;
    if (f & FILE_FLAG_SEQUENTIAL_SCAN)
        options |= NT_FILE_SEQUENTIAL_ONLY;
    if (f & FILE_FLAG_DELETE_ON_CLOSE) {
        options |= NT_FILE_DELETE_ON_CLOSE;
        access |= DELETE;
    }
    if (f & FILE_FLAG_OPEN_REPARSE_POINT)
        options |= NT_FILE_OPEN_REPARSE_POINT;
    if (f & FILE_FLAG_OPEN_NO_RECALL)
        options |= NT_FILE_OPEN_NO_RECALL;
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return INVALID_HANDLE_VALUE;
    }
    void *h = NULL;
    uint32_t info = 0, w32 = 0;
    emu_status st = open_path(m, "CreateFileW", caller, (const uint16_t *)lpFileName, access, dwShareMode, disp,
                              options, f & NT_ATTRIBUTE_VALID_FLAGS, &h, &info, &w32);
    emu_unlock(m);
    if (w32) {
        um_set_error(w32);
        return INVALID_HANDLE_VALUE;
    }
    if (st != STATUS_SUCCESS) {
        /* CREATE_NEW on an existing name: ERROR_FILE_EXISTS (kernelbase), not ERROR_ALREADY_EXISTS. */
        um_set_error(st == STATUS_OBJECT_NAME_COLLISION ? ERROR_FILE_EXISTS : emu_win32_from_status(st));
        return INVALID_HANDLE_VALUE;
    }
    if ((dwCreationDisposition == CREATE_ALWAYS && info == NT_FILE_OVERWRITTEN) ||
        (dwCreationDisposition == OPEN_ALWAYS && info == NT_FILE_OPENED))
        um_set_error(ERROR_ALREADY_EXISTS);
    else
        um_set_error(ERROR_SUCCESS);
    return h;
}

/* ---------------------------------------------------------------- ReadFile / WriteFile */

static BOOL transfer(void *caller, int write, HANDLE h, void *buf, DWORD n, LPDWORD done_out, LPOVERLAPPED ov)
{
    const char *api = write ? "WriteFile" : "ReadFile";
    if (done_out)
        *done_out = 0;
    if (!done_out && !ov) {
        um_set_error(ERROR_INVALID_PARAMETER); /* pnpbox's choice: a fault on Windows */
        return FALSE;
    }
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    emu_handle *e = user_file(m, h);
    if (!e) {
        emu_unlock(m);
        um_set_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    int64_t off = 0;
    if (ov)
        off = (int64_t)(((uint64_t)ov->OffsetHigh << 32) | ov->Offset);
    uint32_t done = 0;
    emu_status st = write ? emu_file_write(m, e, api, caller, buf, n, ov ? &off : NULL, &done)
                          : emu_file_read(m, e, api, caller, buf, n, ov ? &off : NULL, &done);
    void *event = ov ? ov->hEvent : NULL;
    if (ov) {
        ov->Internal = (ULONG_PTR)(LONG_PTR)st;
        ov->InternalHigh = done;
    }
    if (event && (st == STATUS_SUCCESS || st == STATUS_END_OF_FILE))
        umk_event_set(m, event, 1); /* the I/O completed before the call returns */
    emu_unlock(m);
    if (done_out)
        *done_out = done;
    /* A synchronous read at the end of the file succeeds with 0 bytes; with an OVERLAPPED it fails
     * with ERROR_HANDLE_EOF (ReadFile's documentation). */
    if (st == STATUS_END_OF_FILE && !ov)
        return TRUE;
    if (st != STATUS_SUCCESS) {
        um_set_error(emu_win32_from_status(st));
        return FALSE;
    }
    return TRUE;
}

BOOL WINAPI ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead, LPDWORD lpNumberOfBytesRead,
                     LPOVERLAPPED lpOverlapped)
{
    return transfer(__builtin_return_address(0), 0, hFile, lpBuffer, nNumberOfBytesToRead, lpNumberOfBytesRead,
                    lpOverlapped);
}

BOOL WINAPI WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite, LPDWORD lpNumberOfBytesWritten,
                      LPOVERLAPPED lpOverlapped)
{
    return transfer(__builtin_return_address(0), 1, hFile, (void *)lpBuffer, nNumberOfBytesToWrite,
                    lpNumberOfBytesWritten, lpOverlapped);
}

/* ---------------------------------------------------------------- positions and sizes */

BOOL WINAPI SetFilePointerEx(HANDLE hFile, LARGE_INTEGER liDistanceToMove, PLARGE_INTEGER lpNewFilePointer,
                             DWORD dwMoveMethod)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    BOOL ok = FALSE;
    emu_handle *e = user_file(m, hFile);
    if (!e) {
        um_set_error(ERROR_INVALID_HANDLE);
        goto out;
    }
    int64_t base = 0;
    if (dwMoveMethod == FILE_CURRENT) {
        uint64_t pos = 0;
        boxfs_get_position(e->file, &pos);
        base = (int64_t)pos;
    } else if (dwMoveMethod == FILE_END) {
        uint64_t size = 0;
        int dir = 0;
        emu_status st = umk_file_size(m, e, "SetFilePointerEx", caller, &size, &dir);
        if (st != STATUS_SUCCESS) {
            um_set_error(emu_win32_from_status(st));
            goto out;
        }
        base = (int64_t)size;
    } else if (dwMoveMethod != FILE_BEGIN) {
        um_set_error(ERROR_INVALID_PARAMETER);
        goto out;
    }
    int64_t to;
    if (__builtin_add_overflow(base, liDistanceToMove.QuadPart, &to) || to < 0) {
        um_set_error(ERROR_NEGATIVE_SEEK);
        goto out;
    }
    boxfs_set_position(e->file, to);
    if (lpNewFilePointer)
        lpNewFilePointer->QuadPart = to;
    ok = TRUE;
out:
    emu_unlock(m);
    return ok;
}

BOOL WINAPI GetFileSizeEx(HANDLE hFile, PLARGE_INTEGER lpFileSize)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    BOOL ok = FALSE;
    emu_handle *e = user_file(m, hFile);
    if (!e) {
        um_set_error(ERROR_INVALID_HANDLE);
    } else if (!lpFileSize) {
        um_set_error(ERROR_NOACCESS); /* pnpbox's choice: a fault on Windows */
    } else {
        uint64_t size = 0;
        int dir = 0;
        emu_status st = umk_file_size(m, e, "GetFileSizeEx", caller, &size, &dir);
        if (st == STATUS_SUCCESS) {
            lpFileSize->QuadPart = (LONGLONG)size;
            ok = TRUE;
        } else {
            um_set_error(emu_win32_from_status(st));
        }
    }
    emu_unlock(m);
    return ok;
}

/* ---------------------------------------------------------------- directories, delete, move */

BOOL WINAPI CreateDirectoryW(LPCWSTR lpPathName, LPSECURITY_ATTRIBUTES lpSecurityAttributes)
{
    void *caller = __builtin_return_address(0);
    (void)lpSecurityAttributes;
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    void *h = NULL;
    uint32_t w32 = 0;
    emu_status st = open_path(m, "CreateDirectoryW", caller, (const uint16_t *)lpPathName,
                              FILE_LIST_DIRECTORY | SYNCHRONIZE, FILE_SHARE_READ | FILE_SHARE_WRITE, NT_FILE_CREATE,
                              NT_FILE_DIRECTORY_FILE | NT_FILE_SYNCHRONOUS_IO_NONALERT | NT_FILE_OPEN_FOR_BACKUP_INTENT,
                              FILE_ATTRIBUTE_NORMAL, &h, NULL, &w32);
    if (st == STATUS_SUCCESS && !w32)
        emu_handle_close(m, h);
    emu_unlock(m);
    if (w32) {
        um_set_error(w32);
        return FALSE;
    }
    if (st != STATUS_SUCCESS) {
        um_set_error(emu_win32_from_status(st)); /* an existing name: ERROR_ALREADY_EXISTS */
        return FALSE;
    }
    return TRUE;
}

BOOL WINAPI DeleteFileW(LPCWSTR lpFileName)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    void *h = NULL;
    uint32_t w32 = 0;
    /* A directory is refused (STATUS_FILE_IS_A_DIRECTORY: ERROR_ACCESS_DENIED), so is a read-only
     * file (STATUS_CANNOT_DELETE: ERROR_ACCESS_DENIED). */
    emu_status st = open_path(m, "DeleteFileW", caller, (const uint16_t *)lpFileName,
                              DELETE | SYNCHRONIZE | FILE_READ_ATTRIBUTES,
                              FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NT_FILE_OPEN,
                              NT_FILE_NON_DIRECTORY_FILE | NT_FILE_OPEN_REPARSE_POINT | NT_FILE_DELETE_ON_CLOSE |
                                  NT_FILE_OPEN_FOR_BACKUP_INTENT,
                              0, &h, NULL, &w32);
    if (st == STATUS_SUCCESS && !w32)
        st = emu_handle_close(m, h);
    emu_unlock(m);
    if (w32) {
        um_set_error(w32);
        return FALSE;
    }
    if (st != STATUS_SUCCESS) {
        um_set_error(emu_win32_from_status(st));
        return FALSE;
    }
    return TRUE;
}

/*
 * One volume: MOVEFILE_COPY_ALLOWED, MOVEFILE_WRITE_THROUGH and
 * MOVEFILE_FAIL_IF_NOT_TRACKABLE change nothing.  MOVEFILE_DELAY_UNTIL_REBOOT
 * (PendingFileRenameOperations, done by the session manager at boot) is not
 * emulated: ERROR_NOT_SUPPORTED (pnpbox's choice).  MOVEFILE_CREATE_HARDLINK
 * is reserved: ERROR_INVALID_PARAMETER.
 */
BOOL WINAPI MoveFileExW(LPCWSTR lpExistingFileName, LPCWSTR lpNewFileName, DWORD dwFlags)
{
    void *caller = __builtin_return_address(0);
    if ((dwFlags & ~(DWORD)0x3F) || (dwFlags & MOVEFILE_CREATE_HARDLINK) ||
        ((dwFlags & MOVEFILE_DELAY_UNTIL_REBOOT) && (dwFlags & MOVEFILE_COPY_ALLOWED))) {
        um_set_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (dwFlags & MOVEFILE_DELAY_UNTIL_REBOOT) {
        um_set_error(ERROR_NOT_SUPPORTED);
        return FALSE;
    }
    if (!lpNewFileName) {
        um_set_error(ERROR_INVALID_PARAMETER); /* only a delayed move may delete */
        return FALSE;
    }
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    uint16_t *nt = NULL;
    size_t n = 0;
    uint32_t w32 = um_win32_to_nt((const uint16_t *)lpNewFileName, um_wcslen(lpNewFileName), &nt, &n, NULL);
    void *h = NULL;
    emu_status st = STATUS_SUCCESS;
    if (!w32)
        st = open_path(m, "MoveFileExW", caller, (const uint16_t *)lpExistingFileName, DELETE | SYNCHRONIZE,
                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NT_FILE_OPEN,
                       NT_FILE_OPEN_FOR_BACKUP_INTENT | NT_FILE_OPEN_REPARSE_POINT | NT_FILE_SYNCHRONOUS_IO_NONALERT, 0,
                       &h, NULL, &w32);
    if (!w32 && st == STATUS_SUCCESS) {
        emu_handle *e = emu_handle_get(m, h, EMU_H_FILE);
        st = e ? umk_file_rename(m, e, "MoveFileExW", caller, nt, n, (dwFlags & MOVEFILE_REPLACE_EXISTING) != 0)
               : STATUS_INVALID_HANDLE;
        emu_handle_close(m, h);
    }
    free(nt);
    emu_unlock(m);
    if (w32) {
        um_set_error(w32);
        return FALSE;
    }
    if (st != STATUS_SUCCESS) {
        um_set_error(emu_win32_from_status(st));
        return FALSE;
    }
    return TRUE;
}

/* ---------------------------------------------------------------- FindFirstFileW */

typedef struct find_obj {
    pnpbox_machine *m;
    void *dir; /* the directory's file handle */
    uint16_t *mask;
    size_t mask_len;
} find_obj;

static void find_close(pnpbox_machine *m, emu_handle *h)
{
    find_obj *f = h->obj;
    if (f) {
        if (f->dir)
            emu_handle_close(m, f->dir);
        free(f->mask);
        free(f);
    }
    h->obj = NULL;
}

/*
 * The Win32 mask in the DOS wildcard form the file system matches
 * (FsRtlIsNameInExpression): "*.*" is "*"; '?' is DOS_QM ('>'), a '*'
 * before a '.' is DOS_STAR ('<'), a '.' before a wildcard or at the end is
 * DOS_DOT ('"'), as kernelbase converts it.
 */
static uint16_t *dos_mask(const uint16_t *s, size_t n, size_t *out_n)
{
    uint16_t *r = malloc((n + 1) * 2);
    if (!r)
        return NULL;
    if (n == 3 && s[0] == '*' && s[1] == '.' && s[2] == '*') {
        r[0] = '*';
        *out_n = 1;
        return r;
    }
    for (size_t i = 0; i < n; i++) {
        uint16_t c = s[i], next = i + 1 < n ? s[i + 1] : 0;
        if (c == '?')
            c = '>';
        else if (c == '*' && next == '.')
            c = '<';
        else if (c == '.' && (next == '?' || next == '*' || next == 0))
            c = '"';
        r[i] = c;
    }
    *out_n = n;
    return r;
}

static void fill_find_data(const umk_dirent *d, LPWIN32_FIND_DATAW out)
{
    memset(out, 0, sizeof *out);
    out->dwFileAttributes = d->attributes;
    out->ftCreationTime.dwLowDateTime = (DWORD)((uint64_t)d->creation_time & 0xFFFFFFFFu);
    out->ftCreationTime.dwHighDateTime = (DWORD)((uint64_t)d->creation_time >> 32);
    out->ftLastAccessTime.dwLowDateTime = (DWORD)((uint64_t)d->access_time & 0xFFFFFFFFu);
    out->ftLastAccessTime.dwHighDateTime = (DWORD)((uint64_t)d->access_time >> 32);
    out->ftLastWriteTime.dwLowDateTime = (DWORD)((uint64_t)d->write_time & 0xFFFFFFFFu);
    out->ftLastWriteTime.dwHighDateTime = (DWORD)((uint64_t)d->write_time >> 32);
    out->nFileSizeHigh = (DWORD)(d->size >> 32);
    out->nFileSizeLow = (DWORD)(d->size & 0xFFFFFFFFu);
    size_t nl = d->name_len < MAX_PATH - 1 ? d->name_len : MAX_PATH - 1;
    memcpy(out->cFileName, d->name, nl * 2);
    out->cFileName[nl] = 0;
    memcpy(out->cAlternateFileName, d->short_name, d->short_len * 2);
    out->cAlternateFileName[d->short_len] = 0;
}

HANDLE WINAPI FindFirstFileW(LPCWSTR lpFileName, LPWIN32_FIND_DATAW lpFindFileData)
{
    void *caller = __builtin_return_address(0);
    size_t len = um_wcslen(lpFileName);
    if (!len) {
        um_set_error(ERROR_PATH_NOT_FOUND);
        return INVALID_HANDLE_VALUE;
    }
    if (!lpFindFileData) {
        um_set_error(ERROR_INVALID_PARAMETER); /* pnpbox's choice: a fault on Windows */
        return INVALID_HANDLE_VALUE;
    }
    const uint16_t *p = (const uint16_t *)lpFileName;
    /* Split "dir\mask": the last separator, or a drive prefix ("C:*"), ends the directory. */
    size_t sep = len;
    for (size_t i = len; i-- > 0;)
        if (p[i] == '\\' || p[i] == '/') {
            sep = i;
            break;
        }
    const uint16_t *mask;
    size_t mlen;
    uint16_t dirbuf[4] = {'.', 0, 0, 0};
    const uint16_t *dir;
    size_t dlen;
    if (sep < len) {
        mask = p + sep + 1;
        mlen = len - sep - 1;
        dir = p;
        dlen = sep ? sep : 1; /* "\*": the root of the current drive */
        if (dlen == 2 && p[1] == ':')
            dlen = 3; /* "C:\*": the root, with its separator */
    } else if (len >= 2 && p[1] == ':') {
        mask = p + 2;
        mlen = len - 2;
        dirbuf[0] = p[0];
        dirbuf[1] = ':';
        dir = dirbuf;
        dlen = 2;
    } else {
        mask = p;
        mlen = len;
        dir = dirbuf;
        dlen = 1;
    }
    if (!mlen) {
        um_set_error(ERROR_FILE_NOT_FOUND); /* "C:\dir\": no name to look for */
        return INVALID_HANDLE_VALUE;
    }
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return INVALID_HANDLE_VALUE;
    }
    HANDLE ret = INVALID_HANDLE_VALUE;
    uint16_t *dpath = malloc((dlen + 1) * 2);
    find_obj *f = calloc(1, sizeof *f);
    if (!dpath || !f || !(f->mask = dos_mask(mask, mlen, &f->mask_len))) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        goto fail;
    }
    memcpy(dpath, dir, dlen * 2);
    dpath[dlen] = 0;
    uint32_t w32 = 0;
    emu_status st = open_path(m, "FindFirstFileW", caller, dpath, FILE_LIST_DIRECTORY | SYNCHRONIZE,
                              FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NT_FILE_OPEN,
                              NT_FILE_DIRECTORY_FILE | NT_FILE_SYNCHRONOUS_IO_NONALERT | NT_FILE_OPEN_FOR_BACKUP_INTENT,
                              0, &f->dir, NULL, &w32);
    if (w32 || st != STATUS_SUCCESS) {
        f->dir = NULL;
        /* A missing directory is a missing path for FindFirstFileW. */
        um_set_error(w32 ? w32 : st == STATUS_OBJECT_NAME_NOT_FOUND ? ERROR_PATH_NOT_FOUND : emu_win32_from_status(st));
        goto fail;
    }
    emu_handle *de = emu_handle_get(m, f->dir, EMU_H_FILE);
    umk_dirent d;
    st = de ? umk_dir_next(m, de, "FindFirstFileW", caller, f->mask, f->mask_len, 1, &d) : STATUS_INVALID_HANDLE;
    if (st != STATUS_SUCCESS) {
        um_set_error(st == STATUS_NO_SUCH_FILE || st == STATUS_NO_MORE_FILES ? ERROR_FILE_NOT_FOUND
                                                                             : emu_win32_from_status(st));
        goto fail;
    }
    emu_handle fh;
    memset(&fh, 0, sizeof fh);
    fh.type = EMU_H_FIND;
    fh.obj = f;
    fh.close_fn = find_close;
    fh.flags = EMU_HF_USER;
    f->m = m;
    void *hv = emu_handle_new(m, &fh);
    if (!hv) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        goto fail;
    }
    fill_find_data(&d, lpFindFileData);
    ret = hv;
    free(dpath);
    emu_unlock(m);
    return ret;
fail:
    if (f) {
        if (f->dir)
            emu_handle_close(m, f->dir);
        free(f->mask);
        free(f);
    }
    free(dpath);
    emu_unlock(m);
    return ret;
}

BOOL WINAPI FindNextFileW(HANDLE hFindFile, LPWIN32_FIND_DATAW lpFindFileData)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    BOOL ok = FALSE;
    emu_handle *h = hFindFile && hFindFile != INVALID_HANDLE_VALUE ? emu_handle_get(m, hFindFile, EMU_H_FIND) : NULL;
    find_obj *f = h ? h->obj : NULL;
    emu_handle *de = f ? emu_handle_get(m, f->dir, EMU_H_FILE) : NULL;
    if (!de) {
        um_set_error(ERROR_INVALID_HANDLE);
    } else if (!lpFindFileData) {
        um_set_error(ERROR_NOACCESS); /* pnpbox's choice: a fault on Windows */
    } else {
        umk_dirent d;
        emu_status st = umk_dir_next(m, de, "FindNextFileW", caller, f->mask, f->mask_len, 0, &d);
        if (st == STATUS_SUCCESS) {
            fill_find_data(&d, lpFindFileData);
            ok = TRUE;
        } else {
            um_set_error(st == STATUS_NO_MORE_FILES || st == STATUS_NO_SUCH_FILE ? ERROR_NO_MORE_FILES
                                                                                 : emu_win32_from_status(st));
        }
    }
    emu_unlock(m);
    return ok;
}

BOOL WINAPI FindClose(HANDLE hFindFile)
{
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    emu_handle *h = hFindFile && hFindFile != INVALID_HANDLE_VALUE ? emu_handle_get(m, hFindFile, EMU_H_FIND) : NULL;
    BOOL ok = FALSE;
    if (!h)
        um_set_error(ERROR_INVALID_HANDLE);
    else
        ok = emu_handle_close(m, hFindFile) == STATUS_SUCCESS;
    emu_unlock(m);
    return ok;
}
