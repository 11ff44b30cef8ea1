/*
 * boxfs.h: the emulated volume C:\, in process and over FUSE.
 *
 * A volume is a host directory (a machine's `volume/`) holding the tree of
 * C:\.  boxfs gives it NTFS-like names on the case-sensitive host: lookups
 * are case-insensitive under Windows' upcase table (base/pb_utf16.h) and
 * case-preserving; a second create in other case opens the same file.
 * Nothing can leave the volume: paths are resolved one component at a time
 * with openat() from the root's fd, host symlinks are never followed, `.`
 * and `..` are never resolved, and link creation is refused.
 *
 * boxfs knows volumes and names, not rules (DESIGN.md "Layers").  Every
 * operation, whether it comes from a C caller in process or from another
 * process through the FUSE mount, is first put to the volume's policy
 * callback as a boxfs_request (who, what, which path, which access); the
 * policy answers allow (0) or a deny code, boxfs then performs or refuses
 * the operation and hands the final status to an optional "completed"
 * callback, so an audit can record the outcome.  boxfs_policy.c provides
 * the default policy.
 *
 * The in-process API is shaped so that emu/ can build the Zw*File calls on
 * it with Windows' statuses and IO_STATUS_BLOCK Information values: open
 * takes NT create dispositions and options and reports FILE_SUPERSEDED /
 * OPENED / CREATED / OVERWRITTEN; handles keep a current position, a
 * delete-on-close flag and a resumable directory cursor; every failure has
 * its own code (see the table in docs/fs.md for the NTSTATUS each maps to).
 *
 * Paths (in-process API)
 *   - UTF-8, NUL-terminated; `\` and `/` both separate components.  Use
 *     boxfs_path_from_utf16() for Windows (UTF-16) names: it refuses
 *     embedded NULs and unpaired surrogates, which UTF-8 cannot carry.
 *   - Without a root handle the path is volume-relative; the leading
 *     separator is optional ("\Windows\INF" == "Windows/INF"), "" and "\"
 *     name the root.  With a root handle (a directory opened on the same
 *     volume, like OBJECT_ATTRIBUTES.RootDirectory) the path is relative
 *     and must not start with a separator (BOXFS_E_SYNTAX); "" names the
 *     root handle's directory itself.
 *   - A trailing separator is allowed and means "a directory": a file
 *     named so gives BOXFS_E_NAMEINVALID (as NTFS does for "file.txt\").
 *   - Each component: 1..255 UTF-16 code units and at most 255 UTF-8
 *     bytes (the host's NAME_MAX, tighter than NTFS for non-ASCII names:
 *     BOXFS_E_NAMETOOLONG); the whole path at most 32767 code units
 *     (BOXFS_E_NAMETOOLONG).  An empty component ("a\\b") is
 *     BOXFS_E_NAMEINVALID.
 *   - Refused characters (BOXFS_E_NAMEINVALID): " * : < > ? | and U+0000 to
 *     U+001F.  ':' would name an NTFS alternate data stream, which boxfs
 *     does not emulate.  Reserved DOS device names, alone or with an
 *     extension (CON, PRN, AUX, NUL, COM1-9, LPT1-9 and COM/LPT with
 *     superscript 1-3; "con.txt", "NUL .log"), are refused too: NTFS itself
 *     stores them through the NT API, but no Win32 program could open them
 *     again, so the volume never holds one.
 *   - "." is BOXFS_E_NAMEINVALID and ".." is BOXFS_E_SYNTAX wherever they
 *     appear: the object manager passes them through to NTFS, which rejects
 *     them (smbtorture's chkpath suite, run against Windows, shows
 *     OBJECT_NAME_INVALID for "\." and OBJECT_PATH_SYNTAX_BAD for "\..").
 *   - Trailing dots and spaces are kept as part of the name ("a." and "a"
 *     are two names), which is what NTFS does through the NT API; stripping
 *     them is a Win32 path rule that belongs to emu/'s Win32 layer.
 *
 * Host entries that Windows cannot name (invalid UTF-8, invalid characters,
 * device names) are invisible.  Host symlinks, devices, fifos and sockets
 * show in no listing and are refused when named (BOXFS_E_SYMLINK).  When
 * two host names differ only in case, the exact-case one is found first,
 * else the smallest by byte order; listings show both.
 *
 * Threads: a volume may be used from several threads at once (the FUSE
 * loop is multi-threaded).  A boxfs_file must not be closed while another
 * thread uses it.  Policy, completed and identify callbacks run without
 * boxfs' lock held and may call back into the volume.
 *
 * Errors: 0 (or a count) on success, else a negative code below;
 * boxfs_strerror() names it, boxfs_errno() gives the errno FUSE answers.
 */
#ifndef BOXFS_H
#define BOXFS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct boxfs boxfs;             /* an open volume */
typedef struct boxfs_file boxfs_file;   /* an open file or directory (a handle) */
typedef struct boxfs_mount boxfs_mount; /* a running FUSE mount of a volume */

/* ---- errors ---------------------------------------------------------------
 * The comment gives the NTSTATUS emu/ maps each to (docs/fs.md has the
 * table) and, in brackets, the errno FUSE callers see where it differs. */
#define BOXFS_OK 0
#define BOXFS_E_BASE 4096                        /* own codes sit above every errno */
#define BOXFS_E_NOMEM (-ENOMEM)                  /* INSUFFICIENT_RESOURCES */
#define BOXFS_E_INVAL (-EINVAL)                  /* INVALID_PARAMETER: bad argument or combination */
#define BOXFS_E_NOENT (-ENOENT)                  /* OBJECT_NAME_NOT_FOUND: the last component is missing */
#define BOXFS_E_PATHNOTFOUND (-(BOXFS_E_BASE + 1)) /* OBJECT_PATH_NOT_FOUND: a parent is missing or a file [ENOENT] */
#define BOXFS_E_NAMEINVALID (-(BOXFS_E_BASE + 2))  /* OBJECT_NAME_INVALID [EINVAL] */
#define BOXFS_E_SYNTAX (-(BOXFS_E_BASE + 3))       /* OBJECT_PATH_SYNTAX_BAD: "..", or "\x" under a root handle [EINVAL] */
#define BOXFS_E_EXISTS (-EEXIST)                 /* OBJECT_NAME_COLLISION */
#define BOXFS_E_NOTDIR (-ENOTDIR)                /* NOT_A_DIRECTORY */
#define BOXFS_E_ISDIR (-EISDIR)                  /* FILE_IS_A_DIRECTORY (INVALID_DEVICE_REQUEST for I/O on a dir) */
#define BOXFS_E_NOTEMPTY (-ENOTEMPTY)            /* DIRECTORY_NOT_EMPTY */
#define BOXFS_E_ACCESS (-EACCES)                 /* ACCESS_DENIED: policy, read-only attribute, root */
#define BOXFS_E_ROFS (-EROFS)                    /* ACCESS_DENIED: a read-only area (the driver store) */
#define BOXFS_E_NOSPC (-ENOSPC)                  /* DISK_FULL */
#define BOXFS_E_EOF (-(BOXFS_E_BASE + 4))          /* END_OF_FILE: read at or past the end [0 bytes] */
#define BOXFS_E_NAMETOOLONG (-ENAMETOOLONG)      /* OBJECT_NAME_INVALID: over a length limit */
#define BOXFS_E_SYMLINK (-ELOOP)                 /* ACCESS_DENIED: a host symlink or special file, never followed [EACCES] */
#define BOXFS_E_PERM (-EPERM)                    /* NOT_SUPPORTED: links, special files, ownership changes */
#define BOXFS_E_DELETEPENDING (-(BOXFS_E_BASE + 5)) /* DELETE_PENDING: the file is marked for deletion [ENOENT] */
#define BOXFS_E_CANNOTDELETE (-(BOXFS_E_BASE + 6))  /* CANNOT_DELETE: the file is read-only [EACCES] */
#define BOXFS_E_NOMORE (-(BOXFS_E_BASE + 7))       /* NO_MORE_FILES: end of a directory listing */
#define BOXFS_E_BADF (-EBADF)                    /* ACCESS_DENIED: the handle lacks the access (or is closed) */
#define BOXFS_E_STALE (-ESTALE)                  /* the object was moved or replaced behind boxfs' back */
#define BOXFS_E_IO (-EIO)                        /* UNEXPECTED_IO_ERROR: the host failed */
#define BOXFS_E_BUSY (-EBUSY)                    /* the mount point is in use */
#define BOXFS_E_NODEV (-ENODEV)                  /* no /dev/fuse (FUSE unavailable) */
#define BOXFS_E_TOOBIG (-EFBIG)                  /* DISK_FULL: past the host's file size limit */

/* A short lowercase description of a code ("object path not found"). */
const char *boxfs_strerror(int err);

/* The errno a FUSE caller gets for a code (positive; 0 for 0). */
int boxfs_errno(int err);

/* ---- callers and requests ------------------------------------------------ */

/* Who makes a request.  In-process callers fill it (or pass NULL: the
 * calling thread and process, no component); FUSE fills pid/tgid/uid/gid
 * from the kernel and lets the mount's identify callback add a component. */
typedef struct boxfs_caller {
    int32_t pid;                /* thread id (FUSE: the requesting thread) */
    int32_t tgid;               /* its process (thread group) */
    uint32_t uid, gid;
    void *component;            /* opaque to boxfs; in-process callers set it, FUSE leaves NULL */
    const char *component_name; /* optional display name (e.g. "external") */
} boxfs_caller;

typedef enum boxfs_op {
    BOXFS_OP_OPEN = 1, /* open or create (disposition, is_dir say which) */
    BOXFS_OP_READ,     /* read data (offset, length) */
    BOXFS_OP_WRITE,    /* write data (offset, length; offset UINT64_MAX = end of file) */
    BOXFS_OP_TRUNCATE, /* set the size (length) */
    BOXFS_OP_STAT,     /* read attributes; also a FUSE lookup */
    BOXFS_OP_SETATTR,  /* change times or the read-only attribute */
    BOXFS_OP_LIST,     /* read a directory */
    BOXFS_OP_MKDIR,    /* create a directory */
    BOXFS_OP_RENAME,   /* path -> path2 */
    BOXFS_OP_DELETE,   /* remove a file or empty directory, or mark it delete-on-close */
    BOXFS_OP_FLUSH,    /* flush file data to the host's disk */
    BOXFS_OP_LINK,     /* create a symlink, hard link or special file: always refused */
    BOXFS_OP_CLOSE_DELETE, /* completed only: the deletion done when the last handle closed */
} boxfs_op;

/* Name of an op ("open", "read", ...). */
const char *boxfs_op_name(boxfs_op op);

/* Access bits of a request. */
enum {
    BOXFS_ACCESS_READ = 0x1,        /* read file data */
    BOXFS_ACCESS_WRITE = 0x2,       /* change file data or size */
    BOXFS_ACCESS_CREATE = 0x4,      /* create a name (file or directory) */
    BOXFS_ACCESS_DELETE = 0x8,      /* remove or rename a name */
    BOXFS_ACCESS_LIST = 0x10,       /* list a directory */
    BOXFS_ACCESS_READ_ATTR = 0x20,  /* read attributes */
    BOXFS_ACCESS_WRITE_ATTR = 0x40, /* change attributes or times */
};
/* The bits that change the volume. */
#define BOXFS_ACCESS_MODIFY                                                                        \
    (BOXFS_ACCESS_WRITE | BOXFS_ACCESS_CREATE | BOXFS_ACCESS_DELETE | BOXFS_ACCESS_WRITE_ATTR)

typedef struct boxfs_request {
    const boxfs_caller *caller;
    boxfs_op op;
    unsigned access;      /* BOXFS_ACCESS_* wanted */
    const char *path;     /* "\Windows\System32\x.sys", UTF-8; existing components in stored
                             case, missing ones as given; the root is "\" */
    const char *path2;    /* RENAME: the target path; else NULL */
    int exists;           /* the object named by path existed when resolved */
    int is_dir;           /* it is (or would be created as) a directory */
    unsigned disposition; /* OPEN: BOXFS_SUPERSEDE .. BOXFS_OVERWRITE_IF; else 0 */
    uint64_t offset;      /* READ/WRITE: where (UINT64_MAX: end of file); else 0 */
    uint64_t length;      /* READ/WRITE: bytes asked; TRUNCATE: the new size; else 0 */
    int via_fuse;         /* 1 when the request came through the mount */
    int verdict;          /* completed callback only: the policy's answer */
} boxfs_request;

/* The policy: 0 to allow, or a negative code to refuse with (usually
 * BOXFS_E_ACCESS or BOXFS_E_ROFS).  Called for every request that is
 * syntactically valid, after the path is resolved (so req->path is in
 * stored case) and before anything changes; its answer wins over a
 * resolution error.  req and everything in it are valid during the call. */
typedef int (*boxfs_policy_fn)(void *ctx, const boxfs_request *req);

/* Called once per request with its final status (0, a count, or a code),
 * including requests refused by the policy or for bad syntax (then
 * req->path is the path as given, with invalid UTF-8 shown as U+FFFD). */
typedef void (*boxfs_completed_fn)(void *ctx, const boxfs_request *req, int status);

/* ---- volumes ---------------------------------------------------------------- */

enum {
    BOXFS_VOL_CREATE = 0x1,     /* create the backing directory (and its parents) if missing */
    BOXFS_VOL_NO_INOTIFY = 0x2, /* keep no directory caches between calls (rescan each time) */
};

typedef struct boxfs_volume_opts {
    unsigned flags;               /* BOXFS_VOL_* */
    boxfs_policy_fn policy;       /* NULL: allow everything */
    void *policy_ctx;
    boxfs_completed_fn completed; /* NULL: none */
    void *completed_ctx;
} boxfs_volume_opts;

/*
 * Open the volume whose tree is the host directory backing_dir.  opts may
 * be NULL (allow everything, no callbacks).  The directory is used as it
 * is; boxfs_volume_skeleton() adds the Windows layout.  Fails with
 * BOXFS_E_NOENT (missing, without BOXFS_VOL_CREATE), BOXFS_E_NOTDIR, or
 * BOXFS_E_SYMLINK (backing_dir itself is a symlink).  *out only on success.
 *
 * Directory caches stay coherent with changes made directly in the
 * backing tree through inotify; without it (BOXFS_VOL_NO_INOTIFY, or the
 * watch limit reached) each lookup that misses rescans the directory.
 */
int boxfs_volume_open(const char *backing_dir, const boxfs_volume_opts *opts, boxfs **out);

/*
 * Open a machine's volume: `<machine_dir>/volume`, creating machine_dir
 * (with parents), the volume directory and the Windows skeleton if missing.
 */
int boxfs_machine_open(const char *machine_dir, const boxfs_volume_opts *opts, boxfs **out);

/* Close a volume: a mount still running on it is stopped, handles still
 * open are closed (delete-on-close is honoured).  NULL is a no-op. */
void boxfs_volume_close(boxfs *vol);

/*
 * Create the Windows directory skeleton, in Windows' canonical case:
 *   Windows\INF  Windows\Temp  Windows\ServiceState
 *   Windows\System32\DriverStore\FileRepository
 *   Windows\System32\drivers\DriverData
 *   Windows\System32\DriverState\Devices
 *   ProgramData  Users\Default\AppData\Local\Temp
 * (reference §0, §1.9-§1.12).  Idempotent: a directory that exists in any
 * case is kept as it is.  This is volume set-up and does not go through the
 * policy.  Fails with BOXFS_E_NOTDIR when a file is in the way.
 */
int boxfs_volume_skeleton(boxfs *vol);

/* The backing directory, as given to boxfs_volume_open (owned by vol). */
const char *boxfs_volume_dir(const boxfs *vol);

/* Replace the policy or completed callback (NULL: allow all / none).
 * Not safe while requests are in flight on other threads. */
void boxfs_volume_set_policy(boxfs *vol, boxfs_policy_fn policy, void *ctx);
void boxfs_volume_set_completed(boxfs *vol, boxfs_completed_fn completed, void *ctx);

/*
 * Convert a Windows name (n UTF-16 code units, no terminator needed) to the
 * UTF-8 path the API takes.  BOXFS_E_NAMEINVALID for an embedded U+0000 or
 * an unpaired surrogate, BOXFS_E_NAMETOOLONG over 32767 units.  *out is
 * malloc'd (caller frees), set only on success.
 */
int boxfs_path_from_utf16(const uint16_t *s, size_t n, char **out);

/* Check one name component (UTF-8, n bytes) against the rules above:
 * 0, BOXFS_E_NAMEINVALID, BOXFS_E_SYNTAX ("..") or BOXFS_E_NAMETOOLONG. */
int boxfs_name_valid(const char *name, size_t n);

/* ---- attributes --------------------------------------------------------- */

/* FILE_ATTRIBUTE_* values (winnt.h). */
enum {
    BOXFS_ATTR_READONLY = 0x1,
    BOXFS_ATTR_DIRECTORY = 0x10,
    BOXFS_ATTR_ARCHIVE = 0x20,
    BOXFS_ATTR_NORMAL = 0x80, /* reported only when no other attribute is set */
};

typedef struct boxfs_info {
    uint64_t size;         /* EndOfFile (0 for directories) */
    uint64_t alloc_size;   /* AllocationSize: host blocks * 512 */
    uint32_t attributes;   /* BOXFS_ATTR_* */
    uint32_t nlink;
    int is_dir;
    uint32_t mode;         /* host mode bits as presented (no type bits) */
    uint64_t file_id;      /* host inode number (FileInternalInformation) */
    uint64_t dev;
    /* FILETIME: 100 ns units since 1601-01-01 UTC */
    int64_t creation_time; /* host birth time, or the change time where the host has none */
    int64_t access_time, write_time, change_time;
    /* the same, as host times */
    struct timespec btime, atime, mtime, ctime;
} boxfs_info;

/* FILETIME of a host time. */
int64_t boxfs_filetime(struct timespec ts);

/* ---- opening ------------------------------------------------------------ */

/* CreateDisposition values (NT). */
enum {
    BOXFS_SUPERSEDE = 0,    /* replace if it exists, else create */
    BOXFS_OPEN = 1,         /* open; BOXFS_E_NOENT if missing */
    BOXFS_CREATE = 2,       /* create; BOXFS_E_EXISTS if it exists */
    BOXFS_OPEN_IF = 3,      /* open, or create if missing */
    BOXFS_OVERWRITE = 4,    /* truncate; BOXFS_E_NOENT if missing */
    BOXFS_OVERWRITE_IF = 5, /* truncate, or create if missing */
};

/* IO_STATUS_BLOCK.Information values open reports (NT). */
enum {
    BOXFS_SUPERSEDED = 0,
    BOXFS_OPENED = 1,
    BOXFS_CREATED = 2,
    BOXFS_OVERWRITTEN = 3,
};

/* CreateOptions bits boxfs acts on (NT values); others are emu's. */
enum {
    BOXFS_DIRECTORY_FILE = 0x1,      /* must be (or create) a directory */
    BOXFS_NON_DIRECTORY_FILE = 0x40, /* must not be a directory */
    BOXFS_DELETE_ON_CLOSE = 0x1000,  /* delete when the last handle closes (needs DELETE access) */
};

typedef struct boxfs_open_args {
    boxfs_file *root;     /* open relative to this directory handle, or NULL */
    const char *path;     /* see "Paths" above */
    unsigned access;      /* BOXFS_ACCESS_* the handle gets */
    unsigned disposition; /* BOXFS_SUPERSEDE .. BOXFS_OVERWRITE_IF */
    unsigned options;     /* BOXFS_DIRECTORY_FILE | BOXFS_NON_DIRECTORY_FILE | BOXFS_DELETE_ON_CLOSE */
    unsigned attributes;  /* for a created or superseded file: BOXFS_ATTR_READONLY is kept,
                             other bits are what NTFS sets anyway */
} boxfs_open_args;

/*
 * Open or create a file or directory, as NtCreateFile does on NTFS.
 *   - On success *out is the handle (close with boxfs_close) and *info (if
 *     not NULL) is BOXFS_SUPERSEDED / OPENED / CREATED / OVERWRITTEN.
 *   - Directories: with BOXFS_DIRECTORY_FILE only CREATE, OPEN and OPEN_IF
 *     are valid (else BOXFS_E_INVAL, as ZwCreateFile documents); an existing
 *     file gives BOXFS_E_NOTDIR.  With BOXFS_NON_DIRECTORY_FILE an existing
 *     directory gives BOXFS_E_ISDIR, and so does SUPERSEDE / OVERWRITE(_IF)
 *     of a directory without either option (its data cannot be replaced:
 *     pnpbox's choice where the reference is silent).  Both options:
 *     BOXFS_E_INVAL.  DELETE_ON_CLOSE without BOXFS_ACCESS_DELETE:
 *     BOXFS_E_INVAL (documented for ZwCreateFile).
 *   - Write access or OVERWRITE(_IF) on a read-only file: BOXFS_E_ACCESS;
 *     SUPERSEDE replaces it all the same (Wine's NtCreateFile table).  A
 *     file marked for deletion: BOXFS_E_DELETEPENDING.
 *   - A missing parent or a file used as a directory: BOXFS_E_PATHNOTFOUND;
 *     a missing last component for OPEN/OVERWRITE: BOXFS_E_NOENT.
 *   - OVERWRITE and SUPERSEDE truncate to 0 and reset the attributes to
 *     args->attributes | ARCHIVE; the file keeps its id.
 * The policy sees op OPEN with access = args->access, plus CREATE when the
 * open would create the file and WRITE when it would truncate one (judged
 * by what resolution found; if that changes before the open is done, the
 * policy is asked again with the new access).
 */
int boxfs_open(boxfs *vol, const boxfs_caller *who, const boxfs_open_args *args, boxfs_file **out,
               unsigned *info);

/*
 * Close a handle.  If it is the last handle of a file marked for deletion
 * (delete-on-close or set_delete), the file is removed now, and the status
 * of that removal is returned (and given to the completed callback as
 * BOXFS_OP_CLOSE_DELETE); otherwise 0.  The handle is freed in every case.
 * NULL is a no-op returning 0.
 */
int boxfs_close(boxfs_file *f);

/* Is the handle a directory; the access it was opened with. */
int boxfs_file_is_dir(const boxfs_file *f);
unsigned boxfs_file_access(const boxfs_file *f);

/* The handle's current path ("\Windows\INF\x.inf", stored case), following
 * renames made through this volume.  *out is malloc'd; caller frees. */
int boxfs_file_path(boxfs_file *f, char **out);

/* ---- data ------------------------------------------------------------------ */

#define BOXFS_POS_EOF (-1)     /* write: at the end of the file (FILE_WRITE_TO_END_OF_FILE) */
#define BOXFS_POS_CURRENT (-2) /* read/write: at the handle's current position */

/*
 * Read up to len bytes at offset (>= 0) or BOXFS_POS_CURRENT.  *done (may
 * be NULL) gets the count.  At or past the end with len > 0:
 * BOXFS_E_EOF and *done = 0; len == 0 gives 0.  Afterwards the current
 * position is offset + *done (a synchronous handle's behaviour).  Needs
 * BOXFS_ACCESS_READ (else BOXFS_E_BADF); a directory gives BOXFS_E_ISDIR.
 */
int boxfs_read(boxfs_file *f, const boxfs_caller *who, void *buf, size_t len, int64_t offset,
               size_t *done);

/*
 * Write len bytes at offset (>= 0), BOXFS_POS_CURRENT or BOXFS_POS_EOF
 * (atomically at the end).  Writing past the end extends the file with
 * zeros.  *done (may be NULL) gets the count; the current position becomes
 * the end of what was written.  Needs BOXFS_ACCESS_WRITE (else
 * BOXFS_E_BADF).  BOXFS_E_NOSPC when the host disk is full.
 */
int boxfs_write(boxfs_file *f, const boxfs_caller *who, const void *buf, size_t len, int64_t offset,
                size_t *done);

/* The current position (FilePositionInformation); setting it to any value
 * >= 0 is allowed, past the end too (negative: BOXFS_E_INVAL). */
int boxfs_get_position(boxfs_file *f, uint64_t *pos);
int boxfs_set_position(boxfs_file *f, int64_t pos);

/* Set the size (FileEndOfFileInformation): truncate or extend with zeros.
 * Needs BOXFS_ACCESS_WRITE; a directory gives BOXFS_E_ISDIR. */
int boxfs_set_size(boxfs_file *f, const boxfs_caller *who, uint64_t size);

/* Flush the file's data to the host disk (ZwFlushBuffersFile; fsync).
 * Needs BOXFS_ACCESS_WRITE, as FlushFileBuffers does. */
int boxfs_flush(boxfs_file *f, const boxfs_caller *who);

/* ---- attributes -------------------------------------------------------------- */

/* Attributes of an open handle / of a path. */
int boxfs_fstat(boxfs_file *f, const boxfs_caller *who, boxfs_info *st);
int boxfs_stat(boxfs *vol, const boxfs_caller *who, boxfs_file *root, const char *path,
               boxfs_info *st);

enum {
    BOXFS_SET_READONLY = 0x1, /* set or clear BOXFS_ATTR_READONLY from attributes */
    BOXFS_SET_ARCHIVE = 0x2,  /* set or clear BOXFS_ATTR_ARCHIVE (files) */
    BOXFS_SET_ATIME = 0x4,
    BOXFS_SET_MTIME = 0x8,
};
typedef struct boxfs_setattr_args {
    unsigned mask;       /* BOXFS_SET_* */
    uint32_t attributes; /* for READONLY / ARCHIVE */
    struct timespec atime, mtime;
} boxfs_setattr_args;

/* Change attributes or times (part of FileBasicInformation).  Needs
 * BOXFS_ACCESS_WRITE_ATTR.  The read-only attribute is the host owner
 * write bit; a cleared archive attribute is stored as the host sticky bit
 * on regular files (Linux ignores it there), and any write sets it again,
 * as NTFS does. */
int boxfs_setattr(boxfs_file *f, const boxfs_caller *who, const boxfs_setattr_args *args);

/* ---- names ------------------------------------------------------------------- */

/*
 * Rename the handle's file or directory to newpath (relative to root, or
 * volume-relative when root is NULL), as FileRenameInformation does.
 * Needs BOXFS_ACCESS_DELETE.  An existing target: BOXFS_E_EXISTS unless
 * replace; a directory target is never replaced (BOXFS_E_ACCESS, as NTFS);
 * the same file under another case just changes the stored case.  A
 * directory moved into itself: BOXFS_E_INVAL.  The root: BOXFS_E_ACCESS.
 */
int boxfs_rename(boxfs_file *f, const boxfs_caller *who, boxfs_file *root, const char *newpath,
                 int replace);

/* Rename by path (FUSE's rename; same rules). */
int boxfs_rename_path(boxfs *vol, const boxfs_caller *who, const char *oldpath, const char *newpath,
                      int replace);

/*
 * Mark (del = 1) or unmark the handle's object for deletion when its last
 * handle closes (FileDispositionInformation).  Needs BOXFS_ACCESS_DELETE.
 * A read-only file: BOXFS_E_CANNOTDELETE; a non-empty directory:
 * BOXFS_E_NOTEMPTY; the root: BOXFS_E_ACCESS.
 */
int boxfs_set_delete(boxfs_file *f, const boxfs_caller *who, int del);

/* Delete a file or an empty directory by path (ZwDeleteFile): removed now,
 * or when its last open handle closes.  Errors as for boxfs_set_delete. */
int boxfs_delete(boxfs *vol, const boxfs_caller *who, boxfs_file *root, const char *path);

/* POSIX-style removal: unlink refuses a directory (BOXFS_E_ISDIR), rmdir a
 * file (BOXFS_E_NOTDIR). */
int boxfs_unlink(boxfs *vol, const boxfs_caller *who, boxfs_file *root, const char *path);
int boxfs_rmdir(boxfs *vol, const boxfs_caller *who, boxfs_file *root, const char *path);

/* Create a directory (BOXFS_E_EXISTS if the name exists in any case). */
int boxfs_mkdir(boxfs *vol, const boxfs_caller *who, boxfs_file *root, const char *path);

/* ---- directory listing ---------------------------------------------------------- */

typedef struct boxfs_dirent {
    const char *name; /* stored case, UTF-8; valid until the next call on the handle */
    int is_dot;       /* "." or ".." (listed first, in non-root directories, as NTFS does) */
    boxfs_info st;
} boxfs_dirent;

/*
 * The next entry of a directory handle.  The first call (and the first
 * after boxfs_dir_seek(f, 0)) takes a snapshot of the directory, sorted
 * by upcased name (NTFS's order); the policy is asked then (op LIST).
 * Entries removed since the snapshot are skipped.  BOXFS_E_NOMORE at the
 * end; BOXFS_E_NOTDIR on a file handle; needs BOXFS_ACCESS_LIST.
 */
int boxfs_dir_read(boxfs_file *f, const boxfs_caller *who, boxfs_dirent *ent);

/* Cursor of a directory handle: tell gives the position of the next entry;
 * seek returns to a position told before (0 restarts with a new snapshot),
 * so a caller whose buffer was too small can take the entry again. */
uint64_t boxfs_dir_tell(boxfs_file *f);
int boxfs_dir_seek(boxfs_file *f, uint64_t pos);

/* ---- the default policy (boxfs_policy.c) ---------------------------------------------
 * Until emu/'s rules engine judges accesses, this is the policy: allow and
 * record everything except what Windows itself forbids, i.e. changing a
 * read-only area.  The driver store (\Windows\System32\DriverStore and
 * below) is read-only to everyone on Windows (reference §1.14, §4): a
 * request with any of BOXFS_ACCESS_MODIFY under a read-only prefix (either
 * path of a rename, the prefix directory itself included) is refused with
 * BOXFS_E_ROFS, which FUSE callers see as EROFS and emu/ maps to
 * STATUS_ACCESS_DENIED.  Prefixes match case-insensitively (Windows
 * upcase) on whole components. */

/* The recording hook: every completed request with its final status. */
typedef void (*boxfs_record_fn)(void *ctx, const boxfs_request *req, int status);

typedef struct boxfs_default_policy_opts {
    const char *const *readonly_prefixes; /* NULL-terminated list of volume paths;
                                             NULL: { "\Windows\System32\DriverStore" } */
    boxfs_record_fn record;               /* NULL: record nothing */
    void *record_ctx;
    /* Let a request through the read-only prefixes (e.g. the installer
     * staging a package); NULL: nobody is exempt. */
    int (*exempt)(void *ctx, const boxfs_request *req);
    void *exempt_ctx;
} boxfs_default_policy_opts;

typedef struct boxfs_default_policy boxfs_default_policy;

/* Make a default policy (opts may be NULL).  Prefixes are copied; a prefix
 * with an invalid name gives BOXFS_E_NAMEINVALID.  *out on success. */
int boxfs_default_policy_new(const boxfs_default_policy_opts *opts, boxfs_default_policy **out);
void boxfs_default_policy_free(boxfs_default_policy *p);

/* The policy and completed callbacks; ctx is the boxfs_default_policy. */
int boxfs_default_policy_check(void *ctx, const boxfs_request *req);
void boxfs_default_policy_completed(void *ctx, const boxfs_request *req, int status);

/* Install p as vol's policy and completed callback (p must outlive vol's use). */
void boxfs_default_policy_install(boxfs_default_policy *p, boxfs *vol);

/* Is path at or below prefix (both volume paths; case-insensitive, whole
 * components, `\` or `/`)?  1 or 0. */
int boxfs_path_under(const char *path, const char *prefix);

/* ---- FUSE --------------------------------------------------------------------------- */

/* Fill caller->component / component_name for a FUSE caller (pid, tgid,
 * uid, gid are set).  Return 0, or a negative code to refuse the request. */
typedef int (*boxfs_identify_fn)(void *ctx, boxfs_caller *caller);

typedef struct boxfs_mount_opts {
    boxfs_identify_fn identify; /* NULL: component stays NULL */
    void *identify_ctx;
    int allow_other;            /* let other users in (adds default_permissions) */
    unsigned max_threads;       /* worker threads; 0 = 8 */
    int fuse_debug;             /* libfuse's request trace on stderr */
} boxfs_mount_opts;

/* 0 when FUSE can be used here, else BOXFS_E_NODEV (no /dev/fuse) or the
 * code of what is missing. */
int boxfs_fuse_available(void);

/*
 * Mount vol at mountpoint (an existing empty directory) and serve it from
 * a multi-threaded loop in background threads of this process.  Returns
 * once the kernel's INIT has been answered, i.e. the mount is ready.  A
 * stale mount left there by a killed daemon (ENOTCONN) is detached first;
 * a live mount gives BOXFS_E_BUSY.  opts may be NULL.  *out on success.
 *
 * Through the mount: every request goes through the volume's policy with
 * via_fuse = 1; names follow the same rules (an invalid name is EINVAL);
 * symlink, link and mknod of special files give EPERM; chmod may change
 * only the owner write bit (the read-only attribute; other bits EPERM);
 * chown gives EPERM; rename onto a directory gives EACCES (NTFS never
 * replaces one); a read-only file cannot be opened for writing or deleted
 * (EACCES).  Requests carry up to 1 MiB of data.
 *
 * Caching.  The kernel keeps names and attributes for 1 s, but only the
 * stored spelling of a name: other case variants are looked up at each
 * use, so a name that goes away never survives under another case.  Every
 * change made in process invalidates what the kernel holds before the call
 * returns; a change made through the mount, the kernel sees itself.  File
 * data is cached close-to-open, as NFS does: an open keeps the kernel's
 * pages only if the host file is exactly as it was when they were last in
 * sync (inode, size, mtime, ctime), so a change made behind pnpbox's back
 * in the backing directory is seen at the next open (and its attributes
 * within the second otherwise).  A read served from those pages does not
 * reach the policy again: the open that allowed it did.
 *
 * A rename that changes only the case of a name is a no-op for the kernel
 * and never reaches boxfs; the in-process API does it.
 */
int boxfs_mount_start(boxfs *vol, const char *mountpoint, const boxfs_mount_opts *opts,
                      boxfs_mount **out);

/* An fd that becomes readable when the mount's session ends (unmounted by
 * someone else, or stopped); for poll(). */
int boxfs_mount_fd(const boxfs_mount *m);

/* Has the session ended (1) or is it still serving (0). */
int boxfs_mount_ended(const boxfs_mount *m);

/* Unmount (if still mounted), stop the loop, free m.  Returns 0, or the
 * code of a failed unmount (the threads are stopped and m freed anyway).
 * NULL is a no-op. */
int boxfs_mount_stop(boxfs_mount *m);

/* Detach a stale FUSE mount at path (stat gives ENOTCONN): 1 if one was
 * cleaned up, 0 if there was none, or a negative code. */
int boxfs_mount_cleanup_stale(const char *path);

#endif
