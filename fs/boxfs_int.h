/*
 * boxfs_int.h: boxfs' private state, shared by the volume core
 * (boxfs_vol.c), the operations (boxfs_ops.c), names (boxfs_name.c) and
 * the FUSE daemon (boxfs_fuse.c).  Nothing here is part of the contract.
 *
 * Model
 *   - A node is a file or directory boxfs is tracking: the root, every
 *     directory on a path in use, every object with an open handle or a
 *     FUSE lookup reference.  It is named by (parent node, stored name),
 *     held in one hash table.  Renames made through the volume move the
 *     node; the host inode number detects changes made behind our back.
 *   - A directory node caches its names: a hash of upcased UTF-16 keys
 *     (Windows' upcase table) to stored UTF-8 names, types and inodes,
 *     filled by one readdir and kept coherent by our own operations and by
 *     an inotify watch (events are drained before any cache is trusted).
 *   - Directory nodes nobody references stay in an LRU so their caches and
 *     fds survive between calls; open fds of directories are capped by a
 *     second LRU and reopened from the parent on demand.
 *   - One mutex (vol->lock) guards every node and cache.  Data I/O on a
 *     handle's fd and the policy/completed callbacks run without it.
 */
#ifndef BOXFS_INT_H
#define BOXFS_INT_H

#include "fs/boxfs.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define BOXFS_NAME_UNITS 255   /* NTFS component limit, UTF-16 units */
#define BOXFS_NAME_BYTES 255   /* host NAME_MAX, UTF-8 bytes */
#define BOXFS_PATH_UNITS 32767 /* UNICODE_STRING limit */
#define BOXFS_NODE_LRU_MAX 256 /* unreferenced directory nodes kept for their caches */
#define BOXFS_FD_LRU_MAX 256   /* directory fds kept open (besides the root's) */
#define BOXFS_KNAMES_MAX 8     /* name variants remembered per node for kernel invalidation */

enum { BOXFS_DT_REG = 1, BOXFS_DT_DIR = 2, BOXFS_DT_OTHER = 3 };

/* One name in a directory cache. */
typedef struct boxfs_dent {
    struct boxfs_dent *next; /* hash chain */
    uint32_t hash;           /* of key */
    uint8_t type;            /* BOXFS_DT_* */
    uint16_t keylen;         /* UTF-16 units */
    uint64_t ino;
    uint16_t *key;           /* upcased UTF-16, points into this allocation */
    char name[];             /* stored name, UTF-8, NUL-terminated */
} boxfs_dent;

/* An inotify event boxfs' own change of a name will cause (see
 * boxfs_dir_expect). */
typedef struct boxfs_expect {
    struct boxfs_expect *next;
    int adds; /* 1: the name appears (create, mkdir, rename to); 0: it goes */
    char name[];
} boxfs_expect;

typedef struct boxfs_dcache {
    boxfs_dent **buckets;
    size_t nbuckets, count;
    int valid; /* filled and trusted (watched, or filled by this very call) */
    int wd;    /* inotify watch, -1 if none */
    boxfs_expect *expect, *expect_tail; /* oldest first */
    unsigned nexpect;
} boxfs_dcache;

typedef struct boxfs_node {
    struct boxfs_node *parent; /* counted reference; NULL for the root */
    char *name;                /* stored name in parent (NULL for the root) */
    struct boxfs_node *hnext;  /* node table chain */
    uint32_t hhash;
    uint64_t ino, dev;
    int isdir;
    unsigned refs;     /* children, handles, lookups, in-flight operations */
    uint64_t nlookup;  /* FUSE lookup count (holds one ref while > 0) */
    unsigned opens;    /* open in-process handles (for delete-on-close) */
    int delete_pending;
    int gone;          /* removed; the node lives on only for its references */
    /* directories */
    int fd;            /* O_PATH fd, -1 when closed */
    boxfs_dcache dc;
    struct boxfs_node *lru_prev, *lru_next; /* unreferenced-dir LRU */
    int in_lru;
    struct boxfs_node *fd_prev, *fd_next;   /* open-fd LRU */
    int in_fdlru;
    uint64_t fd_epoch; /* vol->epoch when the fd was last handed out (not evicted then) */
    struct boxfs_node *all_prev, *all_next; /* every node, for teardown */
    /* FUSE close-to-open: the file as it was when the kernel last closed it
     * (its page cache then matched the host file) */
    int kc_valid;
    uint64_t kc_size;
    struct timespec kc_mtime, kc_ctime;
    /* FUSE: names under which the kernel may cache this node */
    char *knames[BOXFS_KNAMES_MAX];
    int nknames;
    /* FUSE passthrough: the backing file the kernel's inode is tied to
     * (one per inode at a time), shared by the mount's handles on it and
     * kept from the first open until the kernel forgets the node or the
     * node is gone (backing_refs: the mount's handles using it now) */
    int backing_id;
    unsigned backing_refs;
    uint64_t backing_ino;
} boxfs_node;

/* A directory snapshot entry. */
typedef struct boxfs_snap {
    char *name;
    uint8_t type;
    uint64_t ino;
} boxfs_snap;

struct boxfs_file {
    boxfs *vol;
    boxfs_node *node; /* counted */
    int fd;           /* files: the host fd; directories: -1 */
    unsigned access;
    int is_dir;
    int via_fuse;
    int delete_on_close; /* opened with BOXFS_DELETE_ON_CLOSE */
    int archive_set;     /* the archive attribute is known to be set */
    struct stat opened;  /* the host file when this handle opened it (files) */
    struct stat created; /* the host file this handle's open created (st_ino 0 if none) */
    boxfs_caller who;    /* the opener */
    pthread_mutex_t lock; /* position and snapshot */
    uint64_t pos;
    boxfs_snap *snap;
    size_t nsnap, cursor;
    int snapped;
    struct boxfs_file *onext, *oprev; /* vol's list of in-process handles */
    /* FUSE: the node's backing id this handle holds a reference to when the
     * mount's I/O on it goes straight to the backing file, else 0 */
    int backing_id;
};

/* Kernel cache invalidation, provided by the mount (called under vol->lock,
 * must only enqueue). */
typedef struct boxfs_inval_ops {
    void (*entry)(void *ctx, uint64_t parent_id, const char *name);
    void (*inode)(void *ctx, uint64_t node_id);
    /* wait until what was queued so far reached the kernel (called without
     * vol->lock, by in-process callers only) */
    void (*sync)(void *ctx);
    /* the node is gone or freed: let go of its FUSE backing id, if any
     * (called under vol->lock) */
    void (*drop_backing)(void *ctx, boxfs_node *n);
    void *ctx;
} boxfs_inval_ops;

struct boxfs {
    char *dir;
    int rootfd;
    uint64_t dev;
    unsigned flags;
    pthread_mutex_t lock;
    boxfs_policy_fn policy;
    void *policy_ctx;
    boxfs_completed_fn completed;
    void *completed_ctx;
    boxfs_node *root;
    boxfs_node **ntab; /* node table */
    size_t ntab_size, ntab_count;
    boxfs_node *lru_head, *lru_tail; /* head = most recent */
    size_t lru_count;
    boxfs_node *fd_head, *fd_tail;
    size_t fd_count;
    uint64_t epoch;         /* bumped at each lock: fds handed out since are pinned */
    boxfs_node *all_head;
    int ifd;                /* inotify, -1 if none */
    boxfs_node **wtab;      /* watch descriptor -> node, open addressing */
    int *wkeys;
    size_t wtab_size, wtab_count;
    boxfs_file *open_head;  /* in-process handles */
    boxfs_inval_ops inval;  /* set while a mount is running */
    int mounted;
    uint64_t scans;         /* directory reads, for tests of the caching */
};

/* ---- names and paths (boxfs_name.c) ---- */

/* Validate one component (UTF-8, n bytes) and write its upcased UTF-16
 * key (room for BOXFS_NAME_UNITS) to key/keylen (either may be NULL). */
int boxfs_name_key(const char *s, size_t n, uint16_t *key, size_t *keylen);
uint32_t boxfs_key_hash(const uint16_t *key, size_t n);

/* A parsed path: components, each NUL-terminated. */
typedef struct boxfs_pathv {
    char *buf;
    char **comp;
    size_t n;
    int trailing_sep;
} boxfs_pathv;
int boxfs_path_parse(const char *path, int relative, boxfs_pathv *pv);
void boxfs_pathv_free(boxfs_pathv *pv);

/* Copy of s for messages: invalid UTF-8 becomes U+FFFD (NULL on ENOMEM). */
char *boxfs_display(const char *s);

/* ---- volume core (boxfs_vol.c); all under vol->lock ---- */

void boxfs_lock(boxfs *vol);
void boxfs_unlock(boxfs *vol);
void boxfs_node_ref(boxfs *vol, boxfs_node *n);
void boxfs_node_put(boxfs *vol, boxfs_node *n);
/* The fd of a directory node (opened on demand); BOXFS_E_STALE, ... */
int boxfs_node_fd(boxfs *vol, boxfs_node *n, int *fd);
/* Make the directory cache usable (drains inotify, loads if needed). */
int boxfs_dir_prepare(boxfs *vol, boxfs_node *dir);
/* The same without draining inotify: for an operation's second look at a
 * directory whose pending host changes its resolution already read. */
int boxfs_dir_prepare_drained(boxfs *vol, boxfs_node *dir);
/* Find a name (already validated) in a prepared directory. */
boxfs_dent *boxfs_dir_find(boxfs *vol, boxfs_node *dir, const char *name);
/* Re-read one name from the host into the cache (after a failed open, or
 * after our own change); returns the entry or NULL if it is gone. */
boxfs_dent *boxfs_dir_refresh(boxfs *vol, boxfs_node *dir, const char *name);
/* Record our own change to a name. */
void boxfs_dir_added(boxfs *vol, boxfs_node *dir, const char *name, uint8_t type, uint64_t ino);
void boxfs_dir_removed(boxfs *vol, boxfs_node *dir, const char *name);
/* Right after our own host call added (adds = 1) or removed (adds = 0)
 * the name in dir, under the same hold of the lock: the inotify event it
 * queued needs no re-read of the name when it is drained. */
void boxfs_dir_expect(boxfs *vol, boxfs_node *dir, const char *name, int adds);
/* Sorted snapshot of the names of a prepared directory (malloc'd). */
int boxfs_dir_snapshot(boxfs *vol, boxfs_node *dir, boxfs_snap **out, size_t *n);
/* The node for a child entry (created if needed), with a reference. */
boxfs_node *boxfs_node_child(boxfs *vol, boxfs_node *dir, const boxfs_dent *e);
/* The existing node for (dir, exact name), or NULL; no reference taken. */
boxfs_node *boxfs_node_find(boxfs *vol, boxfs_node *dir, const char *name);
/* Move a node to a new parent/name (after a host rename). */
int boxfs_node_move(boxfs *vol, boxfs_node *n, boxfs_node *newdir, const char *newname);
/* Mark a node removed (after a host unlink/rmdir). */
void boxfs_node_gone(boxfs *vol, boxfs_node *n);
/* The volume path of a node ("\a\b"); optional extra component. */
char *boxfs_node_path(boxfs *vol, boxfs_node *n, const char *child);
/* Kernel invalidation helpers (no-ops without a mount). */
void boxfs_inval_names(boxfs *vol, boxfs_node *n);
void boxfs_inval_node(boxfs *vol, boxfs_node *n);
void boxfs_remember_kname(boxfs *vol, boxfs_node *n, const char *name);
/* After an in-process change: wait for its kernel invalidations. */
void boxfs_inval_wait(boxfs *vol, int via_fuse);
uint64_t boxfs_node_id(boxfs *vol, boxfs_node *n);

/* Map a host errno (positive) to a boxfs code. */
int boxfs_from_errno(int e);
/* Fill a boxfs_info from a host stat (birth time from statx if given). */
void boxfs_fill_stat(boxfs_info *st, const struct stat *hs, const struct timespec *btime);

/* ---- operations shared by the API and FUSE (boxfs_ops.c) ---- */

/* A resolved request target. */
typedef struct boxfs_res {
    boxfs_node *dir;   /* parent (ref), NULL when the target is `self` */
    boxfs_node *self;  /* the target's node (ref) when known */
    char *name;        /* last component: stored name if found, else as given */
    char *given;       /* last component as the caller spelled it */
    int found;
    uint8_t type;
    uint64_t ino;
    int must_dir;      /* trailing separator */
    char *path;        /* request path */
    int err;           /* resolution failure (returned if the policy allows) */
    int drained;       /* the resolution read the pending host changes (see relookup) */
} boxfs_res;

void boxfs_res_free(boxfs *vol, boxfs_res *r);
int boxfs_resolve(boxfs *vol, boxfs_node *base, const char *path, boxfs_res *r);
int boxfs_res_child(boxfs *vol, boxfs_node *dir, const char *name, boxfs_res *r);
int boxfs_res_node(boxfs *vol, boxfs_node *n, boxfs_res *r);

/* Report a request refused before the policy (bad name or arguments). */
int boxfs_refuse(boxfs *vol, const boxfs_caller *who, boxfs_op op, unsigned access,
                 const char *path, int via_fuse, int err);
/* Take a directory handle's snapshot now (f->lock held; asks the policy). */
int boxfs_file_snapshot(boxfs_file *f, const boxfs_caller *who);
/* Flush without the access check (fsync through FUSE works on any fd). */
int boxfs_file_sync(boxfs_file *f, const boxfs_caller *who);
/* Host attributes of a node, without asking the policy. */
int boxfs_node_hoststat(boxfs *vol, boxfs_node *n, struct stat *hs);

/* Ask the policy / report completion. */
int boxfs_ask(boxfs *vol, boxfs_request *req);
void boxfs_done(boxfs *vol, boxfs_request *req, int status);
/* Identity of the calling thread. */
void boxfs_self_caller(boxfs_caller *c);

int boxfs_op_open(boxfs *vol, const boxfs_caller *who, boxfs_res *r, unsigned access,
                  unsigned disposition, unsigned options, unsigned attributes, int via_fuse,
                  boxfs_file **out, unsigned *info);
int boxfs_op_stat(boxfs *vol, const boxfs_caller *who, boxfs_res *r, int via_fuse, boxfs_info *st,
                  struct stat *hs, boxfs_node **nodep);
int boxfs_op_mkdir(boxfs *vol, const boxfs_caller *who, boxfs_res *r, int via_fuse,
                   boxfs_node **out);
enum { BOXFS_DEL_ANY, BOXFS_DEL_FILE, BOXFS_DEL_DIR };
int boxfs_op_delete(boxfs *vol, const boxfs_caller *who, boxfs_res *r, int kind, int via_fuse);
int boxfs_op_rename(boxfs *vol, const boxfs_caller *who, boxfs_res *from, boxfs_res *to,
                    int replace, int via_fuse);
int boxfs_op_setattr_res(boxfs *vol, const boxfs_caller *who, boxfs_res *r,
                         const boxfs_setattr_args *a, int has_size, uint64_t size, int via_fuse);
int boxfs_op_refuse_link(boxfs *vol, const boxfs_caller *who, boxfs_res *r, int via_fuse);
int boxfs_file_read_at(boxfs_file *f, const boxfs_caller *who, void *buf, size_t len,
                       uint64_t off, size_t *done);
/* For FUSE's zero-copy reads: ask the policy for a read and report it
 * done with the bytes the file holds there (*avail); the caller moves the
 * data itself. */
int boxfs_file_read_ask(boxfs_file *f, const boxfs_caller *who, uint64_t off, size_t len,
                        size_t *avail);
int boxfs_file_write_at(boxfs_file *f, const boxfs_caller *who, const void *buf, size_t len,
                        int64_t off, size_t *done);
/* A write whose data the caller moves itself (FUSE's spliced writes):
 * begin asks the policy (on refusal it has already reported); end reports
 * the outcome and invalidates what needs it. */
int boxfs_file_write_begin(boxfs_file *f, const boxfs_caller *who, int64_t off, size_t len,
                           boxfs_request *req);
void boxfs_file_write_end(boxfs_file *f, boxfs_request *req, int err, size_t put);
/* Set the archive attribute of a file handle with write access, as its
 * first write would (FUSE passthrough: the writes never reach boxfs). */
void boxfs_file_set_archive(boxfs_file *f);

#endif
