/*
 * file_core.h: the API-independent core of the file APIs (file_core.c).
 *
 * Opening and creating files and directories on the machine's volume with
 * NT semantics (dispositions, options, RootDirectory-relative names, the
 * object-namespace forms of emu_ns_resolve), with handle provenance, and
 * the operations on the handles: read, write, information classes,
 * directory enumeration, flush, delete.  Every function returns an
 * NTSTATUS; the kernel Zw*File layer (k_file.c) and the user-mode
 * CreateFileW / ReadFile / FindFirstFileW family build on it, each adding
 * its own argument checks and its IO_STATUS_BLOCK or last-error rules.
 *
 * Judging: every request reaches boxfs with an emu_fs_ctx (component,
 * provenance, absolute or relative, API name, caller address), so the
 * machine's policy (fsglue.c) judges and records it; an enforce-mode
 * refusal comes back as STATUS_ACCESS_DENIED with nothing changed.
 *
 * Information classes and structure layouts are the NT ones (wdm.h /
 * ntifs.h); this header uses plain C types so both the kernel and the
 * user-mode API files can include it.  Callers hold emu_lock(m).
 */
#ifndef EMU_FILE_CORE_H
#define EMU_FILE_CORE_H

#include "emu/emu.h"
#include "emu/fsglue.h"

/* The per-handle state of a file or directory handle (emu_handle.obj). */
typedef struct emu_file_obj {
    emu_fs_ctx fc;       /* what boxfs keeps for requests made without a caller (deletion at close) */
    uint32_t options;    /* NT CreateOptions the handle was opened with */
    int absolute;        /* opened by an absolute name */
    int read_only;       /* write access through it (and below it) is refused */
    int delete_pending;  /* FileDispositionInformation set through this handle */
    int dir_queried;     /* a directory query was answered (NO_SUCH_FILE only before) */
    uint16_t *mask;      /* directory query filter, upcased (set by the first query) */
    size_t mask_len;
} emu_file_obj;

/* What an open asks for (NtCreateFile's parameters after the API layer's checks). */
typedef struct emu_file_open_args {
    const char *api;          /* "ZwCreateFile", "CreateFileW" */
    void *caller;             /* return address in the calling code */
    void *root;               /* RootDirectory handle, or NULL for an absolute NT name */
    const uint16_t *name;     /* object name, counted UTF-16 (may be NULL when name_len is 0) */
    size_t name_len;          /* code units */
    uint32_t access;          /* ACCESS_MASK as asked; generic rights are mapped here */
    uint32_t attributes;      /* FILE_ATTRIBUTE_* for a created or replaced file */
    uint32_t share;           /* FILE_SHARE_* (validated; sharing is not enforced) */
    uint32_t disposition;     /* FILE_SUPERSEDE .. FILE_OVERWRITE_IF */
    uint32_t options;         /* FILE_* create options */
    unsigned hflags;          /* EMU_HF_KERNEL / EMU_HF_USER for the new handle */
} emu_file_open_args;

/*
 * Open or create, as NtCreateFile does on NTFS.  On success *out is the
 * new handle and *info FILE_SUPERSEDED / OPENED / CREATED / OVERWRITTEN.
 * On failure *out is untouched; *reached (if not NULL) says whether the
 * request got past the argument checks to the file system (then *info is
 * FILE_EXISTS for a name collision, FILE_DOES_NOT_EXIST for a missing
 * name, else 0, and the API layer reports them in its IO_STATUS_BLOCK).
 * Statuses: INVALID_PARAMETER (bad disposition, options, access, share or
 * attribute bits and their combinations), OBJECT_NAME_INVALID,
 * OBJECT_PATH_SYNTAX_BAD, OBJECT_PATH_NOT_FOUND, OBJECT_NAME_NOT_FOUND,
 * OBJECT_NAME_COLLISION, NOT_A_DIRECTORY, FILE_IS_A_DIRECTORY,
 * ACCESS_DENIED, DELETE_PENDING, CANNOT_DELETE, INVALID_HANDLE and
 * OBJECT_TYPE_MISMATCH (RootDirectory), INSUFFICIENT_RESOURCES.
 */
emu_status emu_file_open(pnpbox_machine *m, const emu_file_open_args *a, void **out, uint32_t *info,
                         int *reached);

/* The file entry behind a handle: INVALID_HANDLE, OBJECT_TYPE_MISMATCH (another object type). */
emu_status emu_file_get(pnpbox_machine *m, void *h, emu_handle **out);

/*
 * Open (or create, with parents) the directory at a volume path as the
 * system does for IoGetDriverDirectory / IoGetDeviceDirectory: the work is
 * done as the installer component (the system, never judged), the handle
 * carries a copy of prov.  read_only strips write rights from access and
 * refuses write access through the handle.  hflags: EMU_HF_*.
 */
emu_status emu_file_open_dir(pnpbox_machine *m, const char *vpath, int create_if_missing, uint32_t access,
                             int read_only, const emu_prov *prov, unsigned hflags, void **out);

/*
 * Read or write up to len bytes.  offset NULL or FILE_USE_FILE_POINTER_POSITION
 * (-2): the current position, for synchronous handles only (else
 * INVALID_PARAMETER); -1 on write: FILE_WRITE_TO_END_OF_FILE; other
 * negative offsets: INVALID_PARAMETER.  *done gets the bytes moved.
 * Statuses: SUCCESS, END_OF_FILE (read at or past the end, *done 0),
 * ACCESS_DENIED (no FILE_READ_DATA / FILE_WRITE_DATA|FILE_APPEND_DATA),
 * INVALID_DEVICE_REQUEST (a directory), DISK_FULL, ACCESS_VIOLATION (read
 * into NULL), INVALID_USER_BUFFER (write from NULL).  Synchronous handles
 * move their position to the end of the transfer; others keep it.
 */
emu_status emu_file_read(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, void *buf, uint32_t len,
                         const int64_t *offset, uint32_t *done);
emu_status emu_file_write(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, const void *buf,
                          uint32_t len, const int64_t *offset, uint32_t *done);

/* The minimum buffer length of an information class for query (set = 0)
 * or set (set = 1), or 0 when pnpbox does not implement that class that
 * way (STATUS_INVALID_INFO_CLASS). */
uint32_t emu_file_info_min(int cls, int set);

/*
 * NtQueryInformationFile / NtSetInformationFile for the classes
 * emu_file_info_min knows, after the caller checked class and length.
 * Query: *written gets the bytes filled (the whole fixed part and what fits
 * of a name with BUFFER_OVERFLOW).  Set: SUCCESS or the error; nothing is
 * changed on error.
 */
emu_status emu_file_query_info(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, void *buf,
                               uint32_t len, int cls, uint32_t *written);
emu_status emu_file_set_info(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, const void *buf,
                             uint32_t len, int cls);

/* The minimum buffer length of a directory information class, or 0 when
 * pnpbox does not implement it (STATUS_INVALID_INFO_CLASS). */
uint32_t emu_file_dir_min(int cls);

/*
 * NtQueryDirectoryFile on a directory handle: the next entries matching the
 * handle's filter (set from mask by the first query of the handle, NULL or
 * empty = all; `*` `?` and the DOS wildcards `<` `>` `"`, case-insensitive),
 * "." and ".." first in directories other than the root, each entry
 * 8-aligned, NextEntryOffset 0 on the last.  *written: bytes used.
 * Statuses: SUCCESS; BUFFER_OVERFLOW (the first entry did not fit: its
 * fixed part and what fits of its name, *written the bytes filled; the
 * entry counts as returned); NO_SUCH_FILE (nothing matched on the first
 * query of the handle); NO_MORE_FILES; INVALID_PARAMETER (not a
 * directory, odd mask length); ACCESS_DENIED (no FILE_LIST_DIRECTORY).
 */
emu_status emu_file_query_dir(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, void *buf,
                              uint32_t len, int cls, int single, const uint16_t *mask, size_t mask_len,
                              int restart, uint32_t *written);

/* NtFlushBuffersFile: ACCESS_DENIED without FILE_WRITE_DATA / FILE_APPEND_DATA. */
emu_status emu_file_flush(pnpbox_machine *m, emu_handle *e, const char *api, void *caller);

/* NtDeleteFile: delete the file or empty directory named like an open
 * (root + name).  A non-empty directory is left as it is and SUCCESS is
 * returned, as Windows does. */
emu_status emu_file_delete(pnpbox_machine *m, void *root, const uint16_t *name, size_t n, const char *api,
                           void *caller);

/* NtQueryAttributesFile / NtQueryFullAttributesFile: the attributes of the
 * object named like an open, judged and recorded as a query. */
emu_status emu_file_stat_name(pnpbox_machine *m, void *root, const uint16_t *name, size_t n, const char *api,
                              void *caller, boxfs_info *st);

/* FsRtlIsNameInExpression with IgnoreCase: expr must be upcased. */
int emu_file_name_match(const uint16_t *expr, size_t en, const uint16_t *name, size_t nn);

/* The FILE_ATTRIBUTE_* value Windows reports for a boxfs object. */
uint32_t emu_file_attributes(const boxfs_info *st);

#endif
