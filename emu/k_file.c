/*
 * k_file.c: the kernel file APIs, ZwCreateFile ... ZwQueryDirectoryFile,
 * over the machine's volume.
 *
 * A thin layer on file_core.c: it takes the machine lock, checks the
 * arguments the way the I/O manager does (OBJECT_ATTRIBUTES, pointers,
 * classes and lengths, in Windows' order), calls the core and fills the
 * IO_STATUS_BLOCK by Windows' rules:
 *   - argument and handle errors leave it untouched;
 *   - a create the file system refused gets Status and Information
 *     (FILE_EXISTS, FILE_DOES_NOT_EXIST) as the ZwCreateFile page says;
 *   - successes, warnings (BUFFER_OVERFLOW, NO_MORE_FILES) and a read's
 *     END_OF_FILE get Status and Information (Wine's ntdll tests);
 *   - other failures of a request leave it untouched.
 * Where Windows would bug-check a kernel caller (a NULL pointer it must
 * write through), the call returns STATUS_ACCESS_VIOLATION instead, the
 * status NtXxx gives for a bad pointer.
 *
 * Asynchronous parameters: every request completes before the call
 * returns.  Event must be NULL or an event handle (else INVALID_HANDLE /
 * OBJECT_TYPE_MISMATCH); it is signaled when the request completes with
 * its IO_STATUS_BLOCK written (k_sync.c's events), so a driver waiting on
 * it returns at once.  ApcRoutine runs before the call returns,
 * only for handles without FILE_SYNCHRONOUS_IO_* (Windows queues no APC
 * for synchronous file objects), with ApcContext and the IO_STATUS_BLOCK.
 * Key (byte-range lock key) is accepted and has no effect: the volume has
 * no byte-range locks.  docs/kernel-files.md has the whole contract.
 */
#include <ntdef.h>
#include <pnpbox/k_file.h> /* only the file part of <wdm.h>: this file needs no other */

#include "emu/emu.h"
#include "emu/file_core.h"
#include "emu/kfile.h"
#include "emu/reg_core.h" /* emu_event_signal (k_sync.c) */

#include <string.h>

/* ---------------------------------------------------------------- helpers */

/* OBJECT_ATTRIBUTES as the object manager captures them. */
static NTSTATUS capture_oa(const OBJECT_ATTRIBUTES *oa, const uint16_t **name, size_t *n)
{
    if (!oa)
        return STATUS_ACCESS_VIOLATION;
    if (oa->Length != sizeof(OBJECT_ATTRIBUTES) || (oa->Attributes & ~(ULONG)OBJ_VALID_ATTRIBUTES))
        return STATUS_INVALID_PARAMETER;
    *name = NULL;
    *n = 0;
    if (!oa->ObjectName) {
        /* Wine's mailslot test: a NULL ObjectName without a root is a syntax error. */
        return oa->RootDirectory ? STATUS_SUCCESS : STATUS_OBJECT_PATH_SYNTAX_BAD;
    }
    const UNICODE_STRING *u = oa->ObjectName;
    if ((u->Length & 1) || u->Length > u->MaximumLength)
        return STATUS_OBJECT_NAME_INVALID;
    if (u->Length && !u->Buffer)
        return STATUS_ACCESS_VIOLATION;
    *name = (const uint16_t *)u->Buffer;
    *n = u->Length / 2;
    return STATUS_SUCCESS;
}

static unsigned hflags_of(const OBJECT_ATTRIBUTES *oa)
{
    return (oa->Attributes & OBJ_KERNEL_HANDLE) ? EMU_HF_KERNEL : 0;
}

static void set_iosb(PIO_STATUS_BLOCK iosb, NTSTATUS st, ULONG_PTR info)
{
    iosb->Status = st;
    iosb->Information = info;
}

/* Event handle of an I/O call: NULL or an event. */
static NTSTATUS check_event(pnpbox_machine *m, HANDLE ev)
{
    if (!ev)
        return STATUS_SUCCESS;
    emu_handle *e = emu_handle_get(m, ev, 0);
    if (!e)
        return STATUS_INVALID_HANDLE;
    return e->type == EMU_H_EVENT ? STATUS_SUCCESS : STATUS_OBJECT_TYPE_MISMATCH;
}

/* The completion of an I/O call on handle e (see the file comment). */
static void complete_io(pnpbox_machine *m, emu_handle *e, HANDLE ev, PIO_APC_ROUTINE apc, PVOID ctx,
                        PIO_STATUS_BLOCK iosb)
{
    if (ev) {
        emu_handle *eh = emu_handle_get(m, ev, EMU_H_EVENT);
        if (eh && eh->obj)
            emu_event_signal(eh->obj);
    }
    if (apc && !(e->flags & EMU_HF_SYNC_IO))
        apc(ctx, iosb, 0);
}

/* ---------------------------------------------------------------- create, open */

static NTSTATUS create_file(void *caller, const char *api, PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
                            POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock, ULONG FileAttributes,
                            ULONG ShareAccess, ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer,
                            ULONG EaLength)
{
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    NTSTATUS st;
    const uint16_t *name;
    size_t n;
    if (!FileHandle || !IoStatusBlock) {
        st = STATUS_ACCESS_VIOLATION;
        goto out;
    }
    if ((st = capture_oa(ObjectAttributes, &name, &n)))
        goto out;
    if (EaBuffer && EaLength) {
        st = STATUS_EAS_NOT_SUPPORTED; /* the volume keeps no extended attributes */
        goto out;
    }
    emu_file_open_args a = {0};
    a.api = api;
    a.caller = caller;
    a.root = ObjectAttributes->RootDirectory;
    a.name = name;
    a.name_len = n;
    a.access = DesiredAccess;
    a.attributes = FileAttributes;
    a.share = ShareAccess;
    a.disposition = CreateDisposition;
    a.options = CreateOptions;
    a.hflags = hflags_of(ObjectAttributes);
    void *h = NULL;
    uint32_t info = 0;
    int reached = 0;
    st = emu_file_open(m, &a, &h, &info, &reached);
    if (!st) {
        *FileHandle = h;
        set_iosb(IoStatusBlock, st, info);
    } else if (reached) {
        set_iosb(IoStatusBlock, st, info);
    }
out:
    emu_unlock(m);
    return st;
}

NTSYSAPI NTSTATUS NTAPI ZwCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                                     PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize,
                                     ULONG FileAttributes, ULONG ShareAccess, ULONG CreateDisposition,
                                     ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength)
{
    void *caller = __builtin_return_address(0);
    /* AllocationSize only reserves space on NTFS; EndOfFile stays 0, so
     * ignoring it changes nothing a driver can observe but the reported
     * AllocationSize. */
    (void)AllocationSize;
    return create_file(caller, "ZwCreateFile", FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock,
                       FileAttributes, ShareAccess, CreateDisposition, CreateOptions, EaBuffer, EaLength);
}

NTSYSAPI NTSTATUS NTAPI ZwOpenFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                                   PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess, ULONG OpenOptions)
{
    void *caller = __builtin_return_address(0);
    return create_file(caller, "ZwOpenFile", FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock, 0,
                       ShareAccess, FILE_OPEN, OpenOptions, NULL, 0);
}

/* ---------------------------------------------------------------- read, write */

static NTSTATUS rw_file(void *caller, int writing, HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine,
                        PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
                        PLARGE_INTEGER ByteOffset)
{
    const char *api = writing ? "ZwWriteFile" : "ZwReadFile";
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    emu_handle *e = NULL;
    NTSTATUS st = emu_file_get(m, FileHandle, &e);
    if (st)
        goto out;
    if (!IoStatusBlock) {
        st = STATUS_ACCESS_VIOLATION;
        goto out;
    }
    if ((st = check_event(m, Event)))
        goto out;
    int64_t off, *offp = NULL;
    if (ByteOffset) {
        off = ByteOffset->QuadPart;
        offp = &off;
    }
    uint32_t done = 0;
    st = writing ? emu_file_write(m, e, api, caller, Buffer, Length, offp, &done)
                 : emu_file_read(m, e, api, caller, Buffer, Length, offp, &done);
    if (st == STATUS_SUCCESS || st == STATUS_END_OF_FILE) {
        set_iosb(IoStatusBlock, st, done);
        complete_io(m, e, Event, ApcRoutine, ApcContext, IoStatusBlock);
    }
out:
    emu_unlock(m);
    return st;
}

NTSYSAPI NTSTATUS NTAPI ZwReadFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                                   PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
                                   PLARGE_INTEGER ByteOffset, PULONG Key)
{
    void *caller = __builtin_return_address(0);
    (void)Key;
    return rw_file(caller, 0, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset);
}

NTSYSAPI NTSTATUS NTAPI ZwWriteFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                                    PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
                                    PLARGE_INTEGER ByteOffset, PULONG Key)
{
    void *caller = __builtin_return_address(0);
    (void)Key;
    return rw_file(caller, 1, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset);
}

/* ---------------------------------------------------------------- information */

static NTSTATUS info_call(void *caller, int set, HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
                          PVOID FileInformation, ULONG Length, FILE_INFORMATION_CLASS cls)
{
    const char *api = set ? "ZwSetInformationFile" : "ZwQueryInformationFile";
    /* The I/O manager checks the class and the length before the handle. */
    uint32_t min = emu_file_info_min((int)cls, set);
    if (!min)
        return STATUS_INVALID_INFO_CLASS;
    if (Length < min)
        return STATUS_INFO_LENGTH_MISMATCH;
    if (!FileInformation || !IoStatusBlock)
        return STATUS_ACCESS_VIOLATION;
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    emu_handle *e = NULL;
    NTSTATUS st = emu_file_get(m, FileHandle, &e);
    if (!st) {
        if (set) {
            st = emu_file_set_info(m, e, api, caller, FileInformation, Length, (int)cls);
            if (!st)
                set_iosb(IoStatusBlock, st, 0);
        } else {
            uint32_t written = 0;
            st = emu_file_query_info(m, e, api, caller, FileInformation, Length, (int)cls, &written);
            if (st == STATUS_SUCCESS || st == STATUS_BUFFER_OVERFLOW)
                set_iosb(IoStatusBlock, st, written);
        }
    }
    emu_unlock(m);
    return st;
}

NTSYSAPI NTSTATUS NTAPI ZwQueryInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
                                               PVOID FileInformation, ULONG Length,
                                               FILE_INFORMATION_CLASS FileInformationClass)
{
    void *caller = __builtin_return_address(0);
    return info_call(caller, 0, FileHandle, IoStatusBlock, FileInformation, Length, FileInformationClass);
}

NTSYSAPI NTSTATUS NTAPI ZwSetInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock, PVOID FileInformation,
                                             ULONG Length, FILE_INFORMATION_CLASS FileInformationClass)
{
    void *caller = __builtin_return_address(0);
    return info_call(caller, 1, FileHandle, IoStatusBlock, FileInformation, Length, FileInformationClass);
}

/* ---------------------------------------------------------------- directories */

NTSYSAPI NTSTATUS NTAPI ZwQueryDirectoryFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine,
                                             PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock,
                                             PVOID FileInformation, ULONG Length,
                                             FILE_INFORMATION_CLASS FileInformationClass, BOOLEAN ReturnSingleEntry,
                                             PUNICODE_STRING FileName, BOOLEAN RestartScan)
{
    void *caller = __builtin_return_address(0);
    uint32_t min = emu_file_dir_min((int)FileInformationClass);
    if (!min)
        return STATUS_INVALID_INFO_CLASS;
    if (Length < min)
        return STATUS_INFO_LENGTH_MISMATCH;
    if (!FileInformation || !IoStatusBlock)
        return STATUS_ACCESS_VIOLATION;
    const uint16_t *mask = NULL;
    size_t mask_len = 0;
    if (FileName) {
        if ((FileName->Length & 1) || FileName->Length > FileName->MaximumLength)
            return STATUS_INVALID_PARAMETER;
        if (FileName->Length && !FileName->Buffer)
            return STATUS_ACCESS_VIOLATION;
        mask = (const uint16_t *)FileName->Buffer;
        mask_len = FileName->Length / 2;
    }
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    emu_handle *e = NULL;
    NTSTATUS st = emu_file_get(m, FileHandle, &e);
    if (!st)
        st = check_event(m, Event);
    if (!st) {
        uint32_t written = 0;
        st = emu_file_query_dir(m, e, "ZwQueryDirectoryFile", caller, FileInformation, Length,
                                (int)FileInformationClass, ReturnSingleEntry != 0, mask, mask_len, RestartScan != 0,
                                &written);
        if (st == STATUS_SUCCESS || st == STATUS_BUFFER_OVERFLOW || st == STATUS_NO_MORE_FILES) {
            set_iosb(IoStatusBlock, st, written);
            complete_io(m, e, Event, ApcRoutine, ApcContext, IoStatusBlock);
        }
    }
    emu_unlock(m);
    return st;
}

/* ---------------------------------------------------------------- flush, delete, attributes */

NTSYSAPI NTSTATUS NTAPI ZwFlushBuffersFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    emu_handle *e = NULL;
    NTSTATUS st = emu_file_get(m, FileHandle, &e);
    if (!st && !IoStatusBlock)
        st = STATUS_ACCESS_VIOLATION;
    if (!st) {
        st = emu_file_flush(m, e, "ZwFlushBuffersFile", caller);
        if (!st)
            set_iosb(IoStatusBlock, st, 0);
    }
    emu_unlock(m);
    return st;
}

NTSYSAPI NTSTATUS NTAPI ZwDeleteFile(POBJECT_ATTRIBUTES ObjectAttributes)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    const uint16_t *name;
    size_t n;
    NTSTATUS st = capture_oa(ObjectAttributes, &name, &n);
    if (!st)
        st = emu_file_delete(m, ObjectAttributes->RootDirectory, name, n, "ZwDeleteFile", caller);
    emu_unlock(m);
    return st;
}

static NTSTATUS query_attributes(void *caller, const char *api, POBJECT_ATTRIBUTES oa, boxfs_info *bi)
{
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    const uint16_t *name;
    size_t n;
    NTSTATUS st = capture_oa(oa, &name, &n);
    if (!st)
        st = emu_file_stat_name(m, oa->RootDirectory, name, n, api, caller, bi);
    emu_unlock(m);
    return st;
}

NTSYSAPI NTSTATUS NTAPI ZwQueryAttributesFile(POBJECT_ATTRIBUTES ObjectAttributes,
                                              PFILE_BASIC_INFORMATION FileInformation)
{
    void *caller = __builtin_return_address(0);
    if (!FileInformation)
        return STATUS_ACCESS_VIOLATION;
    boxfs_info bi;
    NTSTATUS st = query_attributes(caller, "ZwQueryAttributesFile", ObjectAttributes, &bi);
    if (st)
        return st;
    FileInformation->CreationTime.QuadPart = bi.creation_time;
    FileInformation->LastAccessTime.QuadPart = bi.access_time;
    FileInformation->LastWriteTime.QuadPart = bi.write_time;
    FileInformation->ChangeTime.QuadPart = bi.change_time;
    FileInformation->FileAttributes = emu_file_attributes(&bi);
    return STATUS_SUCCESS;
}

NTSYSAPI NTSTATUS NTAPI ZwQueryFullAttributesFile(POBJECT_ATTRIBUTES ObjectAttributes,
                                                  PFILE_NETWORK_OPEN_INFORMATION FileInformation)
{
    void *caller = __builtin_return_address(0);
    if (!FileInformation)
        return STATUS_ACCESS_VIOLATION;
    boxfs_info bi;
    NTSTATUS st = query_attributes(caller, "ZwQueryFullAttributesFile", ObjectAttributes, &bi);
    if (st)
        return st;
    FileInformation->CreationTime.QuadPart = bi.creation_time;
    FileInformation->LastAccessTime.QuadPart = bi.access_time;
    FileInformation->LastWriteTime.QuadPart = bi.write_time;
    FileInformation->ChangeTime.QuadPart = bi.change_time;
    FileInformation->AllocationSize.QuadPart = bi.is_dir ? 0 : (LONGLONG)bi.alloc_size;
    FileInformation->EndOfFile.QuadPart = bi.is_dir ? 0 : (LONGLONG)bi.size;
    FileInformation->FileAttributes = emu_file_attributes(&bi);
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- internal helpers (kfile.h) */

NTSTATUS emu_file_dir_handle(pnpbox_machine *m, const char *vpath, int create_if_missing, ACCESS_MASK access,
                             int read_only, const emu_prov *prov, unsigned hflags, HANDLE *out)
{
    if (!m || !out)
        return STATUS_INVALID_PARAMETER;
    emu_lock(m);
    void *h = NULL;
    NTSTATUS st = emu_file_open_dir(m, vpath, create_if_missing, access, read_only, prov, hflags, &h);
    if (!st)
        *out = h;
    emu_unlock(m);
    return st;
}

NTSTATUS emu_file_from_handle(pnpbox_machine *m, HANDLE h, emu_handle **out)
{
    if (!m || !out)
        return STATUS_INVALID_PARAMETER;
    emu_lock(m);
    NTSTATUS st = emu_file_get(m, h, out);
    emu_unlock(m);
    return st;
}
