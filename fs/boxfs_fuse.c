/*
 * boxfs_fuse.c: the FUSE daemon serving a volume (contract in boxfs.h,
 * "FUSE").  It uses libfuse's low-level API: node ids are boxfs nodes, so a
 * name the kernel looks up in any case lands on the same node, and every
 * request goes through the same operations (boxfs_ops.c) and policy as an
 * in-process call, with via_fuse = 1 and the caller identified from the
 * request's pid.  File data moves by passthrough where the kernel allows
 * it (the open is the audit point; see "passthrough"), else through the
 * daemon; one reader thread serves the requests (see "serving").
 *
 * Cache coherence: the kernel keeps dentries and attributes for 1 s.
 * Negative lookups are never cached (ENOENT is an error reply), so a name
 * created in any case is seen at once.  When a name goes away or moves,
 * the kernel may still hold a dentry under another case variant; boxfs
 * remembers the variants it handed out per node and invalidates them.
 * Changes made in process invalidate the affected inodes as well.
 * Invalidations are queued to a notifier thread, because notifying from a
 * request handler can deadlock against the very syscall being served.
 */
#define FUSE_USE_VERSION 312
#include "fs/boxfs_int.h"

#include "base/pb_log.h"

#include <fuse_lowlevel.h>

#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define ENTRY_TIMEOUT 1.0
#define ATTR_TIMEOUT 1.0
#define MAX_IO (1024 * 1024) /* max_write and readahead */
#define PIDCACHE 1024
#define PIDCACHE_TTL_NS 1000000000LL /* pid reuse needs a wrap of pid_max: not within 1 s */

typedef struct inval_item {
    struct inval_item *next;
    uint64_t seq;
    uint64_t id; /* parent (entry) or node (inode) */
    int entry;
    char name[];
} inval_item;

typedef struct pid_slot {
    int32_t pid, tgid;
    int64_t stamp;
} pid_slot;

/* A request the reader hands to the worker pool (see "serving"). */
enum { WORK_READ, WORK_FSYNC };
typedef struct work_item {
    struct work_item *next;
    int kind;
    fuse_req_t req;
    fuse_ino_t ino;
    size_t size;
    off_t off;
    int datasync;
    struct fuse_file_info fi;
} work_item;

struct boxfs_mount {
    boxfs *vol;
    struct fuse_session *se;
    char *mountpoint;
    boxfs_mount_opts opts;
    pthread_t loop_thread, notify_thread;
    int loop_started, notify_started;
    int endpipe[2];
    pthread_mutex_t mlock;
    pthread_cond_t mcond;
    int ready, ended, loop_result;
    /* invalidation queue */
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    inval_item *qhead, *qtail;
    int qstop;
    uint64_t qseq, qdone; /* items queued / delivered */
    pthread_cond_t qdone_cond;
    /* pid -> tgid */
    pthread_mutex_t plock;
    pid_slot pids[PIDCACHE];
    /* FUSE handles, closed at stop if the kernel never released them */
    boxfs_file *fh_head;
    /* passthrough: wanted (capable and not switched off), offered by the
     * kernel's INIT, and in force (agreed in our INIT reply; cleared if the
     * kernel refuses a backing file) */
    int pt_want, pt_offered, passthrough;
    /* the worker pool */
    pthread_mutex_t wlock;
    pthread_cond_t wcond;
    work_item *whead, *wtail;
    pthread_t *workers;
    unsigned nworkers, maxworkers, widle;
    int wstop;
};

/* ---- callers ---- */

/* FUSE worker threads never wait for the notifier: the kernel may be
 * holding, for the very request they serve, the lock a notification needs. */
static __thread int in_fuse_worker;
/* This thread is the mount's reader (see "serving"). */
static __thread int is_reader;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int32_t read_tgid(int32_t pid)
{
    char path[64], buf[512];
    int fd;
    ssize_t n;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return pid;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return pid;
    buf[n] = 0;
    {
        char *t = strstr(buf, "\nTgid:");
        if (t)
            return (int32_t)strtol(t + 6, NULL, 10);
    }
    return pid;
}

static int32_t tgid_of(boxfs_mount *m, int32_t pid)
{
    pid_slot *s;
    int64_t now = now_ns();
    int32_t tgid;
    if (pid <= 0)
        return pid;
    s = &m->pids[(uint32_t)pid % PIDCACHE];
    pthread_mutex_lock(&m->plock);
    if (s->pid == pid && now - s->stamp < PIDCACHE_TTL_NS) {
        tgid = s->tgid;
        pthread_mutex_unlock(&m->plock);
        return tgid;
    }
    pthread_mutex_unlock(&m->plock);
    tgid = read_tgid(pid);
    pthread_mutex_lock(&m->plock);
    s->pid = pid;
    s->tgid = tgid;
    s->stamp = now;
    pthread_mutex_unlock(&m->plock);
    return tgid;
}

/* Fill the caller of a request; a nonzero return is the errno to reply. */
static int req_caller(boxfs_mount *m, fuse_req_t req, boxfs_caller *c)
{
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    in_fuse_worker = 1;
    memset(c, 0, sizeof *c);
    c->pid = (int32_t)ctx->pid;
    c->uid = (uint32_t)ctx->uid;
    c->gid = (uint32_t)ctx->gid;
    c->tgid = tgid_of(m, c->pid);
    if (m->opts.identify) {
        int err = m->opts.identify(m->opts.identify_ctx, c);
        if (err < 0)
            return boxfs_errno(err) ? boxfs_errno(err) : EACCES;
    }
    return 0;
}

static boxfs_mount *M(fuse_req_t req)
{
    return fuse_req_userdata(req);
}

static boxfs_node *NODE(boxfs_mount *m, fuse_ino_t ino)
{
    return ino == FUSE_ROOT_ID ? m->vol->root : (boxfs_node *)(uintptr_t)ino;
}

static void reply_status(fuse_req_t req, int err)
{
    fuse_reply_err(req, err < 0 ? (boxfs_errno(err) ? boxfs_errno(err) : EIO) : 0);
}

/* ---- passthrough ----
 *
 * Where the kernel offers it (FUSE_PASSTHROUGH, Linux 6.9+) and the daemon
 * may use it (CAP_SYS_ADMIN), a regular file opened through the mount is
 * tied to its backing file: the caller's read(), write() and mmap() go to
 * the backing file inside the kernel, in the caller's own context, and
 * never come to the daemon.  This is where the mount's sequential speed
 * comes from (one copy, as natively, and one page cache shared with boxfs'
 * in-process handles and the host, so data is coherent both ways at once).
 *
 * What it means for the audit: the policy judges the open (path, access
 * mask, caller) and its answer covers the data moved on that handle, as
 * Windows checks access when a handle is opened and not at each
 * ReadFile/WriteFile, and as emu/'s policy already treats data transfers
 * on an opened handle.  A handle's data can only move after an open the
 * policy allowed with that access (read-only opens get a read-only backing
 * file: the kernel reopens it with the caller's open flags), and the
 * handle remembers its opener.  Truncation, attributes, fsync, renames and
 * deletes still come to the daemon as requests.
 *
 * libfuse 3.14 predates the protocol (7.40), so the mount speaks that part
 * itself: the session's I/O goes through the hooks below, which note each
 * request's opcode and unique id (a worker reads a request, handles it and
 * replies on the same thread), add FUSE_PASSTHROUGH and a stacking depth
 * to our INIT reply, and add FOPEN_PASSTHROUGH and the backing id to the
 * reply of an OPEN or CREATE whose handler registered the backing file. */

#define WIRE_INIT 26
#define WIRE_OPEN 14
#define WIRE_CREATE 35
#define WIRE_UNLINK 10
#define WIRE_RMDIR 11
#define WIRE_RENAME 12
#define WIRE_RENAME2 45
#define WIRE_INIT_EXT (1u << 30)
#define WIRE_WRITEBACK_CACHE (1u << 16)
#define WIRE_FLAGS2_PASSTHROUGH (1u << (37 - 32))
#define WIRE_FOPEN_KEEP_CACHE (1u << 1)
#define WIRE_FOPEN_PASSTHROUGH (1u << 7)
#define WIRE_STACK_DEPTH 2 /* FILESYSTEM_MAX_STACK_DEPTH: the volume may sit on overlayfs */

typedef struct wire_in_header {
    uint32_t len, opcode;
    uint64_t unique, nodeid;
    uint32_t uid, gid, pid;
    uint16_t total_extlen, padding;
} wire_in_header;

typedef struct wire_out_header {
    uint32_t len;
    int32_t error;
    uint64_t unique;
} wire_out_header;

typedef struct wire_init_in {
    uint32_t major, minor, max_readahead, flags, flags2;
} wire_init_in;

/* The part of fuse_init_out we touch (protocol 7.40 layout). */
#define WIRE_INIT_OUT_FLAGS 12
#define WIRE_INIT_OUT_FLAGS2 32
#define WIRE_INIT_OUT_STACK_DEPTH 36

typedef struct wire_open_out {
    uint64_t fh;
    uint32_t open_flags;
    int32_t backing_id;
} wire_open_out;

typedef struct wire_backing_map {
    int32_t fd;
    uint32_t flags;
    uint64_t padding;
} wire_backing_map;

#define WIRE_IOC_BACKING_OPEN _IOW(229, 1, wire_backing_map)
#define WIRE_IOC_BACKING_CLOSE _IOW(229, 2, uint32_t)

_Static_assert(sizeof(wire_in_header) == 40, "fuse_in_header");
_Static_assert(sizeof(wire_out_header) == 16, "fuse_out_header");
_Static_assert(sizeof(wire_open_out) == 16, "fuse_open_out");
_Static_assert(sizeof(wire_backing_map) == 16, "fuse_backing_map");

/* The request this worker thread is serving, and the backing id its
 * OPEN/CREATE handler registered for the reply. */
static __thread uint64_t tl_unique;
static __thread uint32_t tl_opcode;
static __thread int tl_backing;

/* The names an UNLINK, RMDIR or RENAME being served on this thread takes
 * away from the kernel's view by itself when it succeeds (the kernel
 * drops or moves the very dentries it used): no notification is needed
 * for them, only for other spellings of the same node. */
typedef struct own_name {
    uint64_t parent;
    char name[BOXFS_NAME_BYTES + 1];
} own_name;
static __thread own_name tl_own[2];

/* Note the request's own names (buf holds n bytes of the request). */
static void note_own_names(const wire_in_header *h, const char *buf, size_t n)
{
    size_t skip = 0, off;
    tl_own[0].parent = tl_own[1].parent = 0;
    if (h->opcode == WIRE_RENAME)
        skip = 8; /* fuse_rename_in */
    else if (h->opcode == WIRE_RENAME2)
        skip = 16; /* fuse_rename2_in */
    else if (h->opcode != WIRE_UNLINK && h->opcode != WIRE_RMDIR)
        return;
    off = sizeof *h + skip;
    for (int i = 0; i < (skip ? 2 : 1) && off < n; i++) {
        const char *name = buf + off;
        size_t len = strnlen(name, n - off);
        uint64_t parent = h->nodeid;
        if (len == n - off || len > BOXFS_NAME_BYTES)
            return; /* malformed: libfuse refuses it */
        if (i == 1)
            memcpy(&parent, buf + sizeof *h, sizeof parent); /* newdir */
        tl_own[i].parent = parent;
        memcpy(tl_own[i].name, name, len + 1);
        off += len + 1;
    }
}

static int own_name_of_request(uint64_t parent, const char *name)
{
    for (int i = 0; i < 2; i++)
        if (tl_own[i].parent && tl_own[i].parent == parent && !strcmp(tl_own[i].name, name))
            return 1;
    return 0;
}

/* Does this process have CAP_SYS_ADMIN (needed to register backing files)? */
static int have_sys_admin(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capget, &h, d))
        return 0;
    return !!(d[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32)));
}

/* PNPBOX_FUSE_PASSTHROUGH=0 keeps every read and write in the daemon (the
 * path a mount without CAP_SYS_ADMIN or on an older kernel takes). */
static int passthrough_wanted(void)
{
    const char *e = getenv("PNPBOX_FUSE_PASSTHROUGH");
    if (e && !strcmp(e, "0"))
        return 0;
    return have_sys_admin();
}

static ssize_t io_read(int fd, void *buf, size_t len, void *userdata)
{
    boxfs_mount *m = userdata;
    ssize_t n = read(fd, buf, len);
    if (n >= (ssize_t)sizeof(wire_in_header)) {
        const wire_in_header *h = buf;
        tl_unique = h->unique;
        tl_opcode = h->opcode;
        tl_backing = 0;
        note_own_names(h, buf, (size_t)n);
        if (h->opcode == WIRE_INIT && (size_t)n >= sizeof *h + sizeof(wire_init_in)) {
            wire_init_in in;
            memcpy(&in, (const char *)buf + sizeof *h, sizeof in);
            m->pt_offered = (in.flags & WIRE_INIT_EXT) && (in.flags2 & WIRE_FLAGS2_PASSTHROUGH);
        }
    }
    return n;
}

/* Patch a little-endian u32 at byte offset off of the payload (after the
 * header) in a flattened reply. */
static uint32_t get32(const char *p, size_t off)
{
    uint32_t v;
    memcpy(&v, p + off, sizeof v);
    return v;
}

static void put32(char *p, size_t off, uint32_t v)
{
    memcpy(p + off, &v, sizeof v);
}

static ssize_t io_writev(int fd, struct iovec *iov, int count, void *userdata)
{
    boxfs_mount *m = userdata;
    wire_out_header oh;
    char flat[512];
    size_t total = 0, payload;
    int patch;
    if (count < 1 || iov[0].iov_len != sizeof oh)
        return writev(fd, iov, count);
    memcpy(&oh, iov[0].iov_base, sizeof oh);
    patch = oh.unique && oh.unique == tl_unique && oh.error == 0 &&
            ((tl_opcode == WIRE_INIT && m->pt_want && m->pt_offered) ||
             ((tl_opcode == WIRE_OPEN || tl_opcode == WIRE_CREATE) && tl_backing > 0));
    if (oh.unique == tl_unique)
        tl_unique = 0; /* one reply per request */
    if (!patch)
        return writev(fd, iov, count);
    for (int i = 0; i < count; i++)
        total += iov[i].iov_len;
    if (total > sizeof flat)
        return writev(fd, iov, count);
    total = 0;
    for (int i = 0; i < count; i++) {
        memcpy(flat + total, iov[i].iov_base, iov[i].iov_len);
        total += iov[i].iov_len;
    }
    payload = total - sizeof oh;
    if (tl_opcode == WIRE_INIT) {
        char *out = flat + sizeof oh;
        /* only with the extended flags, and never with the writeback cache
         * (the kernel refuses the pair) */
        if (payload >= WIRE_INIT_OUT_STACK_DEPTH + 4 &&
            (get32(out, WIRE_INIT_OUT_FLAGS) & WIRE_INIT_EXT) &&
            !(get32(out, WIRE_INIT_OUT_FLAGS) & WIRE_WRITEBACK_CACHE)) {
            put32(out, WIRE_INIT_OUT_FLAGS2,
                  get32(out, WIRE_INIT_OUT_FLAGS2) | WIRE_FLAGS2_PASSTHROUGH);
            put32(out, WIRE_INIT_OUT_STACK_DEPTH, WIRE_STACK_DEPTH);
            __atomic_store_n(&m->passthrough, 1, __ATOMIC_RELEASE);
        }
    } else if (payload >= sizeof(wire_open_out)) {
        /* fuse_open_out ends the reply (after fuse_entry_out for CREATE) */
        wire_open_out o;
        char *at = flat + total - sizeof o;
        memcpy(&o, at, sizeof o);
        o.open_flags |= WIRE_FOPEN_PASSTHROUGH;
        o.open_flags &= ~(uint32_t)WIRE_FOPEN_KEEP_CACHE;
        o.backing_id = tl_backing;
        memcpy(at, &o, sizeof o);
    }
    tl_backing = 0;
    {
        struct iovec one = {flat, total};
        return writev(fd, &one, 1);
    }
}

static ssize_t io_splice_send(int fdin, off_t *offin, int fdout, off_t *offout, size_t len,
                              unsigned int flags, void *userdata)
{
    (void)userdata;
    return splice(fdin, offin, fdout, offout, len, flags);
}

static const struct fuse_custom_io wire_io = {
    .writev = io_writev,
    .read = io_read,
    .splice_send = io_splice_send,
};

static void stamp_set(boxfs_node *n, const struct stat *st);

/* Unregister a node's backing id (under the volume lock).  Passthrough
 * files the kernel still has open keep their backing file: an id is only
 * the daemon's name for it.  After the session ended the kernel has
 * dropped its ids already, and the ioctl fails harmlessly. */
static void drop_backing_locked(boxfs_mount *m, boxfs_node *n)
{
    uint32_t id = (uint32_t)n->backing_id;
    n->backing_id = 0;
    n->backing_ino = 0;
    if (ioctl(fuse_session_fd(m->se), WIRE_IOC_BACKING_CLOSE, &id) < 0)
        PB_DEBUG(PB_CH_FUSE, "fuse: backing id %u: %s", id, strerror(errno));
}

/* vol->inval.drop_backing: the node is gone (or freed). */
static void drop_backing_cb(void *ctx, boxfs_node *n)
{
    if (n->backing_id > 0)
        drop_backing_locked(ctx, n);
}

/* Tie a handle opened through the mount to its backing file, for the
 * reply of the OPEN/CREATE being served.  The kernel binds an inode to one
 * backing file while any passthrough file of it is open, so the mount's
 * handles on a node share one backing id.  The id is kept after the last
 * of them closes, until the kernel forgets the node or the node is gone
 * (drop_backing): the next open of the file then costs no registration
 * (the kernel opens the backing file anew for each passthrough open, with
 * that open's flags and the daemon's credentials, so one id serves every
 * open whatever access the first one had).  A node whose host file was
 * replaced behind pnpbox while the old one is still open through the
 * mount gets no passthrough for the new handle (the kernel then refuses
 * that open: the inode is busy).  Without
 * passthrough (or if the kernel refuses to register a backing file, which
 * then holds for every file of the volume: same daemon, same backing file
 * system) the handle's I/O comes to the daemon.  Called without the
 * volume lock. */
static void passthrough_open(boxfs_mount *m, boxfs_file *f)
{
    boxfs *vol = m->vol;
    boxfs_node *n = f->node;
    if (!__atomic_load_n(&m->passthrough, __ATOMIC_ACQUIRE) || f->fd < 0)
        return;
    boxfs_lock(vol);
    if (n->backing_id > 0 && n->backing_refs == 0 && n->backing_ino != n->ino)
        drop_backing_locked(m, n); /* an id for a host file that is not this node's any more */
    if (n->backing_id <= 0) {
        wire_backing_map map;
        int id;
        memset(&map, 0, sizeof map);
        map.fd = f->fd;
        id = ioctl(fuse_session_fd(m->se), WIRE_IOC_BACKING_OPEN, &map);
        if (id <= 0) {
            PB_DEBUG(PB_CH_FUSE, "fuse: no passthrough for '%s': %s; data goes through the daemon",
                     n->name ? n->name : "\\", strerror(errno));
            __atomic_store_n(&m->passthrough, 0, __ATOMIC_RELEASE);
            boxfs_unlock(vol);
            return;
        }
        n->backing_id = id;
        n->backing_ino = n->ino; /* the open checked the fd is that inode */
    } else if (n->backing_ino != n->ino) {
        boxfs_unlock(vol);
        return;
    }
    n->backing_refs++;
    f->backing_id = n->backing_id;
    tl_backing = n->backing_id;
    boxfs_unlock(vol);
    /* the writes will not come by: a handle that may write sets the
     * archive attribute now, as its first write would (pnpbox's choice:
     * NTFS sets it at the write) */
    boxfs_file_set_archive(f);
}

/* A mount handle goes: it stops using the node's backing id (which stays
 * registered for the node's next open). */
static void passthrough_close(boxfs_mount *m, boxfs_file *f)
{
    boxfs *vol = m->vol;
    boxfs_node *n = f->node;
    struct stat st;
    if (f->backing_id <= 0)
        return;
    boxfs_lock(vol);
    f->backing_id = 0;
    /* what the kernel knows of the file (size from its own writes, the
     * rest fetched again after them) matches the host file now */
    if ((f->access & BOXFS_ACCESS_WRITE) && !fstat(f->fd, &st) && (uint64_t)st.st_ino == n->ino)
        stamp_set(n, &st);
    if (n->backing_refs)
        n->backing_refs--;
    boxfs_unlock(vol);
}

/* ---- invalidation queue ---- */

static void enqueue(boxfs_mount *m, int entry, uint64_t id, const char *name)
{
    size_t len = name ? strlen(name) : 0;
    inval_item *it;
    pthread_mutex_lock(&m->qlock);
    if (m->qtail && m->qtail->entry == entry && m->qtail->id == id &&
        (!entry || !strcmp(m->qtail->name, name))) {
        pthread_mutex_unlock(&m->qlock); /* the same as the last one */
        return;
    }
    it = malloc(sizeof *it + len + 1);
    if (it) {
        it->next = NULL;
        it->seq = ++m->qseq;
        it->id = id;
        it->entry = entry;
        memcpy(it->name, name ? name : "", len + 1);
        if (m->qtail)
            m->qtail->next = it;
        else
            m->qhead = it;
        m->qtail = it;
        pthread_cond_signal(&m->qcond);
    }
    pthread_mutex_unlock(&m->qlock);
}

static void inval_entry_cb(void *ctx, uint64_t parent, const char *name)
{
    if (in_fuse_worker && own_name_of_request(parent, name))
        return; /* the kernel is dropping or moving that dentry itself */
    enqueue(ctx, 1, parent, name);
}

static void inval_inode_cb(void *ctx, uint64_t node)
{
    enqueue(ctx, 0, node, NULL);
}

static void inval_sync_cb(void *ctx)
{
    boxfs_mount *m = ctx;
    uint64_t target;
    if (in_fuse_worker)
        return;
    pthread_mutex_lock(&m->qlock);
    target = m->qseq;
    while (m->qdone < target && !m->qstop)
        pthread_cond_wait(&m->qdone_cond, &m->qlock);
    pthread_mutex_unlock(&m->qlock);
}

static void *notify_main(void *arg)
{
    boxfs_mount *m = arg;
    pthread_mutex_lock(&m->qlock);
    for (;;) {
        inval_item *it;
        while (!m->qhead && !m->qstop)
            pthread_cond_wait(&m->qcond, &m->qlock);
        if (!m->qhead)
            break;
        it = m->qhead;
        m->qhead = it->next;
        if (!m->qhead)
            m->qtail = NULL;
        pthread_mutex_unlock(&m->qlock);
        if (!m->qstop) {
            if (it->entry)
                fuse_lowlevel_notify_inval_entry(m->se, it->id, it->name, strlen(it->name));
            else
                fuse_lowlevel_notify_inval_inode(m->se, it->id, 0, 0);
        }
        pthread_mutex_lock(&m->qlock);
        m->qdone = it->seq;
        pthread_cond_broadcast(&m->qdone_cond);
        free(it);
    }
    m->qdone = m->qseq;
    pthread_cond_broadcast(&m->qdone_cond);
    pthread_mutex_unlock(&m->qlock);
    return NULL;
}

/* ---- replies ---- */

static void present(struct stat *st)
{
    st->st_mode &= ~(mode_t)S_ISVTX; /* the archive attribute's storage */
}

/* Reply an entry for node n (whose reference we hand to the kernel). */
static void reply_entry(boxfs_mount *m, fuse_req_t req, boxfs_node *n, const char *kname,
                        struct stat *hs, struct fuse_file_info *fi)
{
    struct fuse_entry_param e;
    boxfs *vol = m->vol;
    int cached = 1;
    memset(&e, 0, sizeof e);
    boxfs_lock(vol);
    if (n->nlookup++ > 0)
        boxfs_node_put(vol, n); /* the kernel holds one reference for all its lookups */
    if (kname && n != vol->root) {
        /* only the stored spelling is cached; another case variant is
         * looked up again at each use, so it can never outlive the name */
        cached = n->name && !strcmp(kname, n->name);
        if (cached)
            boxfs_remember_kname(vol, n, kname);
    }
    e.ino = boxfs_node_id(vol, n);
    boxfs_unlock(vol);
    e.attr = *hs;
    present(&e.attr);
    e.attr_timeout = ATTR_TIMEOUT;
    e.entry_timeout = cached ? ENTRY_TIMEOUT : 0;
    if (fi) {
        if (fuse_reply_create(req, &e, fi) == -ENOENT) {
            /* interrupted: the kernel will not release this handle */
            boxfs_file *f = (boxfs_file *)(uintptr_t)fi->fh;
            boxfs_lock(vol);
            if (f->oprev)
                f->oprev->onext = f->onext;
            else
                m->fh_head = f->onext;
            if (f->onext)
                f->onext->oprev = f->oprev;
            boxfs_unlock(vol);
            passthrough_close(m, f);
            boxfs_close(f);
        }
    } else {
        fuse_reply_entry(req, &e);
    }
}

static void track_fh(boxfs_mount *m, boxfs_file *f)
{
    boxfs_lock(m->vol);
    f->oprev = NULL;
    f->onext = m->fh_head;
    if (m->fh_head)
        m->fh_head->oprev = f;
    m->fh_head = f;
    boxfs_unlock(m->vol);
}

static void close_fh(boxfs_mount *m, boxfs_file *f)
{
    boxfs_lock(m->vol);
    if (f->oprev)
        f->oprev->onext = f->onext;
    else
        m->fh_head = f->onext;
    if (f->onext)
        f->onext->oprev = f->oprev;
    boxfs_unlock(m->vol);
    passthrough_close(m, f);
    boxfs_close(f);
}

/* Close-to-open caching (NFS's rule): node->kc_* is the host file as it
 * was when the kernel's page cache last matched it.  It is set at each
 * open (the kernel drops its pages then unless they are still good) and
 * carried across our own writes; a change made elsewhere shows as a
 * different stamp at the next open, and in-process changes clear it.
 * Called with the volume lock held. */
static int stamp_equal(const boxfs_node *n, const struct stat *st)
{
    return n->kc_valid && st->st_ino == (ino_t)n->ino && (uint64_t)st->st_size == n->kc_size &&
           st->st_mtim.tv_sec == n->kc_mtime.tv_sec && st->st_mtim.tv_nsec == n->kc_mtime.tv_nsec &&
           st->st_ctim.tv_sec == n->kc_ctime.tv_sec && st->st_ctim.tv_nsec == n->kc_ctime.tv_nsec;
}

static void stamp_set(boxfs_node *n, const struct stat *st)
{
    n->kc_valid = 1;
    n->kc_size = (uint64_t)st->st_size;
    n->kc_mtime = st->st_mtim;
    n->kc_ctime = st->st_ctim;
}

/* After an open: may the kernel keep its pages (only if the file is as it
 * was when they were good); either way they match the file from now on. */
static int open_stamp(boxfs_mount *m, boxfs_file *f, const struct stat *st, int existing)
{
    int keep = 0;
    boxfs_lock(m->vol);
    if (existing)
        keep = stamp_equal(f->node, st);
    PB_DEBUG(PB_CH_FUSE, "fuse: open '%s': %s", f->node->name ? f->node->name : "\\",
             keep ? "the kernel keeps its pages" : "fresh pages");
    stamp_set(f->node, st);
    boxfs_unlock(m->vol);
    return keep;
}

/* ---- operations ---- */

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
    boxfs_mount *m = userdata;
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
        conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
    conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE; /* writes reach the policy at once */
    conn->want &= ~(unsigned)FUSE_CAP_READDIRPLUS;
    /* no AUTO_INVAL_DATA: it drops the pages after each of our own writes
     * (the kernel never sets mtime itself); coherence comes from the
     * close-to-open stamps and explicit invalidations instead, and the
     * kernel still drops pages whenever a file's size changes */
    conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA;
    if (conn->capable & FUSE_CAP_SPLICE_WRITE)
        conn->want |= FUSE_CAP_SPLICE_WRITE; /* read replies spliced from the backing file */
    /* no SPLICE_READ: it costs every request a pipe round trip, which the
     * metadata-heavy work pays for more than large writes gain */
    conn->want &= ~(unsigned)FUSE_CAP_SPLICE_READ;
    conn->max_write = MAX_IO;
    conn->max_readahead = MAX_IO;
    pthread_mutex_lock(&m->mlock);
    m->ready = 1;
    pthread_cond_broadcast(&m->mcond);
    pthread_mutex_unlock(&m->mlock);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    boxfs_mount *m = M(req);
    boxfs_caller c;
    boxfs_res r;
    boxfs_node *n = NULL;
    struct stat hs;
    int err = req_caller(m, req, &c);
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    err = boxfs_res_child(m->vol, NODE(m, parent), name, &r);
    if (err)
        boxfs_refuse(m->vol, &c, BOXFS_OP_STAT, BOXFS_ACCESS_READ_ATTR, r.path ? r.path : name, 1,
                     err);
    else
        err = boxfs_op_stat(m->vol, &c, &r, 1, NULL, &hs, &n);
    boxfs_res_free(m->vol, &r);
    if (err)
        reply_status(req, err == BOXFS_E_NOENT || err == BOXFS_E_PATHNOTFOUND ? BOXFS_E_NOENT : err);
    else
        reply_entry(m, req, n, name, &hs, NULL);
}

static void forget_one(boxfs_mount *m, fuse_ino_t ino, uint64_t nlookup)
{
    boxfs *vol = m->vol;
    boxfs_node *n = NODE(m, ino);
    if (n == vol->root)
        return;
    boxfs_lock(vol);
    if (nlookup >= n->nlookup) {
        n->nlookup = 0;
        for (int i = 0; i < n->nknames; i++)
            free(n->knames[i]);
        n->nknames = 0;
        /* the kernel's inode is gone, and with it any tie to the backing
         * file: a new one starts afresh */
        if (n->backing_id > 0)
            drop_backing_locked(m, n);
        boxfs_node_put(vol, n);
    } else {
        n->nlookup -= nlookup;
    }
    boxfs_unlock(vol);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    forget_one(M(req), ino, nlookup);
    fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
    for (size_t i = 0; i < count; i++)
        forget_one(M(req), forgets[i].ino, forgets[i].nlookup);
    fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    boxfs_mount *m = M(req);
    boxfs_caller c;
    boxfs_res r;
    struct stat hs;
    int err = req_caller(m, req, &c);
    (void)fi;
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    err = boxfs_res_node(m->vol, NODE(m, ino), &r);
    if (!err)
        err = boxfs_op_stat(m->vol, &c, &r, 1, NULL, &hs, NULL);
    boxfs_res_free(m->vol, &r);
    if (err) {
        reply_status(req, err);
        return;
    }
    present(&hs);
    fuse_reply_attr(req, &hs, ATTR_TIMEOUT);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi)
{
    boxfs_mount *m = M(req);
    boxfs *vol = m->vol;
    boxfs_node *n = NODE(m, ino);
    boxfs_caller c;
    boxfs_setattr_args a = {0};
    struct stat cur;
    int err = req_caller(m, req, &c);
    int has_size = !!(to_set & FUSE_SET_ATTR_SIZE);
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    if ((err = boxfs_node_hoststat(vol, n, &cur))) {
        reply_status(req, err);
        return;
    }
    if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
        /* ownership is not part of the emulated volume; only no-op chowns pass */
        if (((to_set & FUSE_SET_ATTR_UID) && attr->st_uid != cur.st_uid) ||
            ((to_set & FUSE_SET_ATTR_GID) && attr->st_gid != cur.st_gid)) {
            boxfs_res r;
            if (!boxfs_res_node(vol, n, &r))
                boxfs_refuse(vol, &c, BOXFS_OP_SETATTR, BOXFS_ACCESS_WRITE_ATTR, r.path, 1,
                             BOXFS_E_PERM);
            boxfs_res_free(vol, &r);
            fuse_reply_err(req, EPERM);
            return;
        }
    }
    if (to_set & FUSE_SET_ATTR_MODE) {
        /* only the owner write bit (the read-only attribute) may change */
        mode_t want = attr->st_mode & 07777, shown = cur.st_mode & 07777 & ~(mode_t)S_ISVTX;
        int ro = !(want & S_IWUSR);
        mode_t expect = ro ? shown & ~(mode_t)0222 : shown | S_IWUSR;
        if (want != expect && want != shown) {
            boxfs_res r;
            if (!boxfs_res_node(vol, n, &r))
                boxfs_refuse(vol, &c, BOXFS_OP_SETATTR, BOXFS_ACCESS_WRITE_ATTR, r.path, 1,
                             BOXFS_E_PERM);
            boxfs_res_free(vol, &r);
            fuse_reply_err(req, EPERM);
            return;
        }
        if (want != shown) {
            a.mask |= BOXFS_SET_READONLY;
            a.attributes = ro ? BOXFS_ATTR_READONLY : 0;
        }
    }
    if (to_set & FUSE_SET_ATTR_ATIME) {
        a.mask |= BOXFS_SET_ATIME;
        a.atime = (to_set & FUSE_SET_ATTR_ATIME_NOW) ? (struct timespec){0, UTIME_NOW}
                                                     : attr->st_atim;
    }
    if (to_set & FUSE_SET_ATTR_MTIME) {
        a.mask |= BOXFS_SET_MTIME;
        a.mtime = (to_set & FUSE_SET_ATTR_MTIME_NOW) ? (struct timespec){0, UTIME_NOW}
                                                     : attr->st_mtim;
    }
    if (has_size && fi && fi->fh) {
        /* ftruncate on an open file: through its handle */
        boxfs_file *f = (boxfs_file *)(uintptr_t)fi->fh;
        err = f->is_dir ? BOXFS_E_ISDIR : boxfs_set_size(f, &c, (uint64_t)attr->st_size);
        has_size = 0;
    }
    if (!err && (has_size || a.mask)) {
        boxfs_res r;
        err = boxfs_res_node(vol, n, &r);
        if (!err)
            err = boxfs_op_setattr_res(vol, &c, &r, &a, has_size, (uint64_t)attr->st_size, 1);
        boxfs_res_free(vol, &r);
    }
    if (!err)
        err = boxfs_node_hoststat(vol, n, &cur);
    if (err) {
        reply_status(req, err);
        return;
    }
    present(&cur);
    fuse_reply_attr(req, &cur, ATTR_TIMEOUT);
}

/* Creating something: resolve (parent, name) or refuse the name. */
static int child_res(boxfs_mount *m, const boxfs_caller *c, fuse_ino_t parent, const char *name,
                     boxfs_op op, unsigned access, boxfs_res *r)
{
    int err = boxfs_res_child(m->vol, NODE(m, parent), name, r);
    if (err)
        boxfs_refuse(m->vol, c, op, access, r->path ? r->path : name, 1, err);
    return err;
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
    boxfs_mount *m = M(req);
    boxfs_caller c;
    boxfs_res r;
    boxfs_node *n = NULL;
    struct stat hs;
    int err = req_caller(m, req, &c);
    (void)mode;
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    err = child_res(m, &c, parent, name, BOXFS_OP_MKDIR, BOXFS_ACCESS_CREATE, &r);
    if (!err)
        err = boxfs_op_mkdir(m->vol, &c, &r, 1, &n);
    boxfs_res_free(m->vol, &r);
    if (!err && (err = boxfs_node_hoststat(m->vol, n, &hs))) {
        boxfs_lock(m->vol);
        boxfs_node_put(m->vol, n);
        boxfs_unlock(m->vol);
    }
    if (err)
        reply_status(req, err);
    else
        reply_entry(m, req, n, name, &hs, NULL);
}

static unsigned flags_access(int flags)
{
    int acc = flags & O_ACCMODE;
    unsigned a = acc == O_WRONLY ? BOXFS_ACCESS_WRITE
                 : acc == O_RDWR ? BOXFS_ACCESS_READ | BOXFS_ACCESS_WRITE
                                 : BOXFS_ACCESS_READ;
    if (flags & (O_APPEND | O_TRUNC))
        a |= BOXFS_ACCESS_WRITE;
    return a | BOXFS_ACCESS_READ_ATTR;
}

static void do_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                      struct fuse_file_info *fi)
{
    boxfs_mount *m = M(req);
    boxfs_caller c;
    boxfs_res r;
    boxfs_file *f = NULL;
    struct stat hs;
    unsigned info, disp;
    int flags = fi ? fi->flags : O_WRONLY | O_CREAT | O_EXCL;
    int err = req_caller(m, req, &c);
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    disp = (flags & O_EXCL) ? BOXFS_CREATE : (flags & O_TRUNC) ? BOXFS_OVERWRITE_IF : BOXFS_OPEN_IF;
    err = child_res(m, &c, parent, name, BOXFS_OP_OPEN, flags_access(flags), &r);
    if (!err)
        err = boxfs_op_open(m->vol, &c, &r, flags_access(flags), disp, BOXFS_NON_DIRECTORY_FILE,
                            (mode & S_IWUSR) ? 0 : BOXFS_ATTR_READONLY, 1, &f, &info);
    boxfs_res_free(m->vol, &r);
    if (!err && f->created.st_ino) /* the file as the open created it: no second look */
        hs = f->created;
    else if (!err && (err = boxfs_node_hoststat(m->vol, f->node, &hs)))
        boxfs_close(f);
    if (err) {
        reply_status(req, err);
        return;
    }
    boxfs_lock(m->vol);
    boxfs_node_ref(m->vol, f->node); /* the entry's reference, besides the handle's */
    boxfs_unlock(m->vol);
    if (fi) {
        fi->fh = (uint64_t)(uintptr_t)f;
        fi->keep_cache = 0; /* a new or truncated file */
        open_stamp(m, f, &hs, 0);
        passthrough_open(m, f);
        track_fh(m, f);
        reply_entry(m, req, f->node, name, &hs, fi);
    } else {
        boxfs_node *n = f->node;
        boxfs_close(f);
        reply_entry(m, req, n, name, &hs, NULL);
    }
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                      struct fuse_file_info *fi)
{
    do_create(req, parent, name, mode, fi);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
    (void)rdev;
    if (S_ISREG(mode)) {
        do_create(req, parent, name, mode, NULL);
    } else {
        boxfs_mount *m = M(req);
        boxfs_caller c;
        boxfs_res r;
        int err = req_caller(m, req, &c);
        if (err) {
            fuse_reply_err(req, err);
            return;
        }
        err = child_res(m, &c, parent, name, BOXFS_OP_LINK, BOXFS_ACCESS_CREATE, &r);
        if (!err)
            err = boxfs_op_refuse_link(m->vol, &c, &r, 1);
        boxfs_res_free(m->vol, &r);
        reply_status(req, err);
    }
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
    boxfs_mount *m = M(req);
    boxfs_caller c;
    boxfs_res r;
    int err = req_caller(m, req, &c);
    (void)link;
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    err = child_res(m, &c, parent, name, BOXFS_OP_LINK, BOXFS_ACCESS_CREATE, &r);
    if (!err)
        err = boxfs_op_refuse_link(m->vol, &c, &r, 1);
    boxfs_res_free(m->vol, &r);
    reply_status(req, err);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
    (void)ino;
    op_symlink(req, NULL, newparent, newname);
}

static void do_remove(fuse_req_t req, fuse_ino_t parent, const char *name, int kind)
{
    boxfs_mount *m = M(req);
    boxfs_caller c;
    boxfs_res r;
    int err = req_caller(m, req, &c);
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    err = child_res(m, &c, parent, name, BOXFS_OP_DELETE, BOXFS_ACCESS_DELETE, &r);
    if (!err)
        err = boxfs_op_delete(m->vol, &c, &r, kind, 1);
    boxfs_res_free(m->vol, &r);
    reply_status(req, err);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    do_remove(req, parent, name, BOXFS_DEL_FILE);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    do_remove(req, parent, name, BOXFS_DEL_DIR);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
                      const char *newname, unsigned int flags)
{
    boxfs_mount *m = M(req);
    boxfs_caller c;
    boxfs_res from, to;
    int err = req_caller(m, req, &c);
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    if (flags & ~(unsigned)RENAME_NOREPLACE) { /* RENAME_EXCHANGE, WHITEOUT */
        fuse_reply_err(req, EINVAL);
        return;
    }
    memset(&to, 0, sizeof to);
    err = child_res(m, &c, parent, name, BOXFS_OP_RENAME, BOXFS_ACCESS_DELETE, &from);
    if (!err)
        err = child_res(m, &c, newparent, newname, BOXFS_OP_RENAME, BOXFS_ACCESS_DELETE, &to);
    if (!err)
        err = boxfs_op_rename(m->vol, &c, &from, &to, !(flags & RENAME_NOREPLACE), 1);
    boxfs_res_free(m->vol, &from);
    boxfs_res_free(m->vol, &to);
    reply_status(req, err);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    boxfs_mount *m = M(req);
    boxfs_caller c;
    boxfs_res r;
    boxfs_file *f = NULL;
    unsigned info;
    int err = req_caller(m, req, &c);
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    err = boxfs_res_node(m->vol, NODE(m, ino), &r);
    if (!err)
        err = boxfs_op_open(m->vol, &c, &r, flags_access(fi->flags),
                            (fi->flags & O_TRUNC) ? BOXFS_OVERWRITE : BOXFS_OPEN,
                            BOXFS_NON_DIRECTORY_FILE, 0, 1, &f, &info);
    boxfs_res_free(m->vol, &r);
    if (err) {
        reply_status(req, err);
        return;
    }
    fi->fh = (uint64_t)(uintptr_t)f;
    if (f->opened.st_ino) {
        /* the host file as the open found it */
        fi->keep_cache = open_stamp(m, f, &f->opened, 1);
    } else { /* truncated by the open */
        struct stat st;
        fi->keep_cache = 0;
        if (!fstat(f->fd, &st))
            open_stamp(m, f, &st, 0);
    }
    passthrough_open(m, f);
    if (!fi->keep_cache && f->opened.st_ino) {
        /* the host file may have changed behind the kernel's back: its
         * cached size and times go too, before the caller can read (an
         * attribute-only invalidation takes no lock the open holds) */
        fuse_lowlevel_notify_inval_inode(m->se, ino, -1, 0);
    }
    track_fh(m, f);
    if (fuse_reply_open(req, fi) == -ENOENT)
        close_fh(m, f);
}

/* A per-thread read buffer, grown as needed and freed at thread exit. */
static pthread_key_t rbuf_key;
static pthread_once_t rbuf_once = PTHREAD_ONCE_INIT;
typedef struct rbuf {
    size_t cap;
    char data[];
} rbuf;

static void rbuf_make_key(void)
{
    pthread_key_create(&rbuf_key, free);
}

static char *thread_buf(size_t size)
{
    rbuf *b;
    pthread_once(&rbuf_once, rbuf_make_key);
    b = pthread_getspecific(rbuf_key);
    if (!b || b->cap < size) {
        rbuf *nb = malloc(sizeof *nb + size);
        if (!nb)
            return NULL;
        nb->cap = size;
        free(b);
        pthread_setspecific(rbuf_key, nb);
        b = nb;
    }
    return b->data;
}

static int offload(boxfs_mount *m, int kind, fuse_req_t req, fuse_ino_t ino, size_t size,
                   off_t off, int datasync, struct fuse_file_info *fi);

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
    boxfs_mount *m = M(req);
    boxfs_file *f = (boxfs_file *)(uintptr_t)fi->fh;
    boxfs_caller c;
    size_t avail = 0;
    int err;
    if (is_reader && offload(m, WORK_READ, req, ino, size, off, 0, fi))
        return;
    if ((err = req_caller(m, req, &c))) {
        fuse_reply_err(req, err);
        return;
    }
    if (off < 0) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    err = boxfs_file_read_ask(f, &c, (uint64_t)off, size, &avail);
    if (err) {
        reply_status(req, err);
    } else {
        /* the data goes from the backing file to the kernel without a
         * copy through this process when splicing is available */
        struct fuse_bufvec bv = FUSE_BUFVEC_INIT(avail);
        bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
        bv.buf[0].fd = f->fd;
        bv.buf[0].pos = off;
        fuse_reply_data(req, &bv, 0);
    }
}

static void op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv, off_t off,
                         struct fuse_file_info *fi)
{
    boxfs_mount *m = M(req);
    boxfs_file *f = (boxfs_file *)(uintptr_t)fi->fh;
    boxfs_caller c;
    boxfs_request r;
    size_t size = fuse_buf_size(bufv);
    ssize_t put;
    int err = req_caller(m, req, &c);
    (void)ino;
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    if (off < 0) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    err = boxfs_file_write_begin(f, &c, off, size, &r);
    if (err) {
        reply_status(req, err);
        return;
    }
    {
        /* from the request's pipe straight into the backing file when the
         * kernel spliced it, else from memory */
        struct fuse_bufvec dst = FUSE_BUFVEC_INIT(size);
        struct stat before, after;
        int in_sync = !fstat(f->fd, &before);
        dst.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
        dst.buf[0].fd = f->fd;
        dst.buf[0].pos = off;
        put = fuse_buf_copy(&dst, bufv, 0);
        /* the kernel's pages took the same write: still in sync if they
         * were before it */
        in_sync = in_sync && !fstat(f->fd, &after);
        boxfs_lock(m->vol);
        if (in_sync && stamp_equal(f->node, &before))
            stamp_set(f->node, &after);
        else
            f->node->kc_valid = 0;
        boxfs_unlock(m->vol);
    }
    err = put < 0 ? boxfs_from_errno((int)-put) : 0;
    boxfs_file_write_end(f, &r, err, put > 0 ? (size_t)put : 0);
    if (put < 0)
        reply_status(req, err);
    else
        fuse_reply_write(req, (size_t)put);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    close_fh(M(req), (boxfs_file *)(uintptr_t)fi->fh);
    fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
    boxfs_mount *m = M(req);
    boxfs_caller c;
    int err;
    if (is_reader && offload(m, WORK_FSYNC, req, ino, 0, 0, datasync, fi))
        return;
    err = req_caller(m, req, &c);
    (void)ino;
    (void)datasync;
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    reply_status(req, boxfs_file_sync((boxfs_file *)(uintptr_t)fi->fh, &c));
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    boxfs_mount *m = M(req);
    boxfs_caller c;
    boxfs_res r;
    boxfs_file *f = NULL;
    unsigned info;
    int err = req_caller(m, req, &c);
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    err = boxfs_res_node(m->vol, NODE(m, ino), &r);
    if (!err)
        err = boxfs_op_open(m->vol, &c, &r, BOXFS_ACCESS_LIST | BOXFS_ACCESS_READ_ATTR,
                            BOXFS_OPEN, BOXFS_DIRECTORY_FILE, 0, 1, &f, &info);
    boxfs_res_free(m->vol, &r);
    if (err) {
        reply_status(req, err);
        return;
    }
    fi->fh = (uint64_t)(uintptr_t)f;
    track_fh(m, f);
    if (fuse_reply_open(req, fi) == -ENOENT)
        close_fh(m, f);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
    boxfs_mount *m = M(req);
    boxfs_file *f = (boxfs_file *)(uintptr_t)fi->fh;
    boxfs_caller c;
    char *buf;
    size_t pos = 0;
    int err = req_caller(m, req, &c);
    (void)ino;
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    buf = thread_buf(size);
    if (!buf) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    pthread_mutex_lock(&f->lock);
    if (off == 0 || !f->snapped)
        err = boxfs_file_snapshot(f, &c); /* rewinddir gives a fresh listing */
    for (size_t i = (size_t)off; !err && i < f->nsnap + 2; i++) {
        struct stat st;
        const char *name;
        size_t need;
        memset(&st, 0, sizeof st);
        if (i < 2) {
            boxfs_node *d;
            name = i == 0 ? "." : "..";
            boxfs_lock(m->vol); /* a rename may move the directory meanwhile */
            d = f->node;
            if (i == 1 && d->parent)
                d = d->parent;
            st.st_ino = (ino_t)d->ino; /* readdir(3) users skip d_ino 0 */
            boxfs_unlock(m->vol);
            st.st_mode = S_IFDIR;
        } else {
            name = f->snap[i - 2].name;
            st.st_ino = (ino_t)f->snap[i - 2].ino;
            st.st_mode = f->snap[i - 2].type == BOXFS_DT_DIR ? S_IFDIR : S_IFREG;
        }
        need = fuse_add_direntry(req, buf + pos, size - pos, name, &st, (off_t)(i + 1));
        if (need > size - pos)
            break;
        pos += need;
    }
    pthread_mutex_unlock(&f->lock);
    if (err)
        reply_status(req, err);
    else
        fuse_reply_buf(req, buf, pos);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    close_fh(M(req), (boxfs_file *)(uintptr_t)fi->fh);
    fuse_reply_err(req, 0);
}

static void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
    op_fsync(req, ino, datasync, fi);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
    struct statvfs sv;
    (void)ino;
    if (fstatvfs(M(req)->vol->rootfd, &sv)) {
        fuse_reply_err(req, errno);
        return;
    }
    sv.f_namemax = BOXFS_NAME_BYTES;
    fuse_reply_statfs(req, &sv);
}

static const struct fuse_lowlevel_ops boxfs_ll_ops = {
    .init = op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .link = op_link,
    .rename = op_rename,
    .open = op_open,
    .read = op_read,
    .write_buf = op_write_buf,
    .release = op_release,
    .fsync = op_fsync,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .releasedir = op_releasedir,
    .fsyncdir = op_fsyncdir,
    .statfs = op_statfs,
    .create = op_create,
    /* no .flush: the kernel stops sending FLUSH after the first ENOSYS,
     * which saves a round trip per close(); data reaches the host at each
     * WRITE (or directly, with passthrough), so there is nothing to flush */
};

/* ---- mounting ---- */

int boxfs_fuse_available(void)
{
    if (access("/dev/fuse", R_OK | W_OK))
        return errno == ENOENT ? BOXFS_E_NODEV : boxfs_from_errno(errno);
    return 0;
}

/* Run fusermount3 with args; 0 on exit status 0. */
static int run_fusermount(const char *const *argv)
{
    pid_t pid;
    int st;
    if (posix_spawnp(&pid, "fusermount3", NULL, NULL, (char *const *)argv, environ))
        return BOXFS_E_NODEV;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return BOXFS_E_IO;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : BOXFS_E_BUSY;
}

int boxfs_mount_cleanup_stale(const char *path)
{
    struct stat st;
    if (!path)
        return BOXFS_E_INVAL;
    if (!stat(path, &st) || errno != ENOTCONN)
        return 0;
    PB_DEBUG(PB_CH_FUSE, "fuse: detaching stale mount at '%s'", path);
    if (geteuid() == 0) {
        if (umount2(path, MNT_DETACH))
            return boxfs_from_errno(errno);
    } else {
        const char *argv[] = {"fusermount3", "-u", "-z", "-q", path, NULL};
        int err = run_fusermount(argv);
        if (err)
            return err;
    }
    return 1;
}

/* ---- serving ----
 *
 * One reader thread takes every request off the device and answers it
 * itself; only the requests that may block for long (READ, whose data may
 * have to come from the disk, and FSYNC) go to a pool of worker threads,
 * started as needed up to max_threads.  Everything else is short (a
 * lookup, an open, a directory change: microseconds), and serving it on
 * the thread that read it keeps the caller and the daemon on one CPU: a
 * pool of readers takes turns, so each request wakes another thread,
 * which the scheduler places on the other CPU, and the caller's CPU goes
 * idle meanwhile; on a virtual machine every such wake-up is an exit to
 * the hypervisor (the metadata-heavy work ran twice as fast this way on
 * the 2-CPU VM this was written on).  WRITE is served by the reader too:
 * its data is in the reader's request buffer.  With passthrough, reads
 * and writes of file data never come here at all. */

static void *worker_main(void *arg)
{
    boxfs_mount *m = arg;
    pthread_mutex_lock(&m->wlock);
    for (;;) {
        work_item *w;
        while (!m->whead && !m->wstop) {
            m->widle++;
            pthread_cond_wait(&m->wcond, &m->wlock);
            m->widle--;
        }
        if (!m->whead)
            break;
        w = m->whead;
        m->whead = w->next;
        if (!m->whead)
            m->wtail = NULL;
        pthread_mutex_unlock(&m->wlock);
        if (w->kind == WORK_READ)
            op_read(w->req, w->ino, w->size, w->off, &w->fi);
        else
            op_fsync(w->req, w->ino, w->datasync, &w->fi);
        free(w);
        pthread_mutex_lock(&m->wlock);
    }
    pthread_mutex_unlock(&m->wlock);
    return NULL;
}

/* Queue a request for the pool; 0 if it must be served here instead
 * (out of memory, or the pool is stopping). */
static int offload(boxfs_mount *m, int kind, fuse_req_t req, fuse_ino_t ino, size_t size,
                   off_t off, int datasync, struct fuse_file_info *fi)
{
    work_item *w = calloc(1, sizeof *w);
    if (!w)
        return 0;
    w->kind = kind;
    w->req = req;
    w->ino = ino;
    w->size = size;
    w->off = off;
    w->datasync = datasync;
    w->fi = *fi;
    pthread_mutex_lock(&m->wlock);
    if (m->wstop) {
        pthread_mutex_unlock(&m->wlock);
        free(w);
        return 0;
    }
    if (m->widle == 0 && m->nworkers < m->maxworkers &&
        !pthread_create(&m->workers[m->nworkers], NULL, worker_main, m))
        m->nworkers++;
    if (m->nworkers == 0) { /* no thread could be started */
        pthread_mutex_unlock(&m->wlock);
        free(w);
        return 0;
    }
    if (m->wtail)
        m->wtail->next = w;
    else
        m->whead = w;
    m->wtail = w;
    pthread_cond_signal(&m->wcond);
    pthread_mutex_unlock(&m->wlock);
    return 1;
}

/* Stop the pool once the reader is gone: queued requests are served
 * first (their replies fail quietly if the session has ended). */
static void workers_stop(boxfs_mount *m)
{
    pthread_mutex_lock(&m->wlock);
    m->wstop = 1;
    pthread_cond_broadcast(&m->wcond);
    pthread_mutex_unlock(&m->wlock);
    for (unsigned i = 0; i < m->nworkers; i++)
        pthread_join(m->workers[i], NULL);
    m->nworkers = 0;
}

static void *loop_main(void *arg)
{
    boxfs_mount *m = arg;
    int r;
    is_reader = 1;
    r = fuse_session_loop(m->se);
    pthread_mutex_lock(&m->mlock);
    m->loop_result = r;
    m->ended = 1;
    pthread_cond_broadcast(&m->mcond);
    pthread_mutex_unlock(&m->mlock);
    if (write(m->endpipe[1], "x", 1) < 0) {
        /* the pipe has room for this one byte; nothing else to do */
    }
    PB_DEBUG(PB_CH_FUSE, "fuse: loop for '%s' ended (%d)", m->mountpoint, r);
    return NULL;
}

/* Is path the root of a mount (its device differs from its parent's)? */
static int is_mountpoint(const char *path)
{
    struct stat a, b;
    char *parent;
    int r = 0;
    if (stat(path, &a) || asprintf(&parent, "%s/..", path) < 0)
        return 0;
    if (!stat(parent, &b))
        r = a.st_dev != b.st_dev || a.st_ino == b.st_ino;
    free(parent);
    return r;
}

/* Unmount the kernel side; the loop ends by itself when the connection
 * goes.  Never stat the mount point here: if the loop were already gone,
 * nobody would answer. */
static int kernel_unmount(boxfs_mount *m)
{
    if (geteuid() == 0) {
        if (!umount2(m->mountpoint, UMOUNT_NOFOLLOW))
            return 0;
        if (errno == EINVAL) /* not mounted (any more) */
            return 0;
        /* busy: abort the connection (open files get errors), then detach */
        umount2(m->mountpoint, MNT_FORCE | UMOUNT_NOFOLLOW);
        if (!umount2(m->mountpoint, MNT_DETACH | UMOUNT_NOFOLLOW) || errno == EINVAL)
            return 0;
        return boxfs_from_errno(errno);
    } else {
        const char *plain[] = {"fusermount3", "-u", "-q", m->mountpoint, NULL};
        const char *lazy[] = {"fusermount3", "-u", "-z", "-q", m->mountpoint, NULL};
        if (!run_fusermount(plain))
            return 0;
        return run_fusermount(lazy);
    }
}

static void mount_free(boxfs_mount *m)
{
    if (m->se)
        fuse_session_destroy(m->se);
    if (m->endpipe[0] >= 0)
        close(m->endpipe[0]);
    if (m->endpipe[1] >= 0)
        close(m->endpipe[1]);
    while (m->qhead) {
        inval_item *it = m->qhead;
        m->qhead = it->next;
        free(it);
    }
    pthread_mutex_destroy(&m->mlock);
    pthread_cond_destroy(&m->mcond);
    pthread_mutex_destroy(&m->qlock);
    pthread_cond_destroy(&m->qcond);
    pthread_cond_destroy(&m->qdone_cond);
    pthread_mutex_destroy(&m->plock);
    pthread_mutex_destroy(&m->wlock);
    pthread_cond_destroy(&m->wcond);
    free(m->workers);
    free(m->mountpoint);
    free(m);
}

/* Drop everything the kernel held (after the session ended). */
static void release_kernel_refs(boxfs_mount *m)
{
    boxfs *vol = m->vol;
    boxfs_node **held = NULL;
    size_t n = 0, cap = 0;
    /* handles the kernel never released */
    for (;;) {
        boxfs_file *f;
        boxfs_lock(vol);
        f = m->fh_head;
        if (f) {
            m->fh_head = f->onext;
            if (m->fh_head)
                m->fh_head->oprev = NULL;
        }
        boxfs_unlock(vol);
        if (!f)
            break;
        passthrough_close(m, f);
        boxfs_close(f);
    }
    boxfs_lock(vol);
    vol->mounted = 0;
    memset(&vol->inval, 0, sizeof vol->inval);
    for (boxfs_node *x = vol->all_head; x; x = x->all_next) {
        /* the session's backing ids ended with it */
        x->backing_id = 0;
        x->backing_ino = 0;
        x->backing_refs = 0;
        if (!x->nlookup)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            boxfs_node **t = realloc(held, nc * sizeof *t);
            if (!t)
                break; /* the rest is freed with the volume */
            held = t;
            cap = nc;
        }
        held[n++] = x;
    }
    for (size_t i = 0; i < n; i++) {
        boxfs_node *x = held[i];
        x->nlookup = 0;
        for (int k = 0; k < x->nknames; k++)
            free(x->knames[k]);
        x->nknames = 0;
        boxfs_node_put(vol, x);
    }
    boxfs_unlock(vol);
    free(held);
}

/* The kernel caps a FUSE mount's readahead at the default 128 KiB whatever
 * INIT asks; let sequential reads come in 1 MiB requests (root only;
 * without it reads still work, in smaller requests). */
static void set_readahead(boxfs_mount *m)
{
    struct stat st;
    char path[96];
    int fd;
    if (stat(m->mountpoint, &st)) /* the loop is running: this is answered */
        return;
    snprintf(path, sizeof path, "/sys/class/bdi/%u:%u/read_ahead_kb", major(st.st_dev),
             minor(st.st_dev));
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    if (write(fd, "1024", 4) != 4)
        PB_DEBUG(PB_CH_FUSE, "fuse: cannot raise readahead: %s", strerror(errno));
    close(fd);
}

int boxfs_mount_start(boxfs *vol, const char *mountpoint, const boxfs_mount_opts *opts,
                      boxfs_mount **out)
{
    boxfs_mount *m;
    struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
    struct stat st;
    int err;
    if (!vol || !mountpoint || !*mountpoint || !out)
        return BOXFS_E_INVAL;
    if ((err = boxfs_fuse_available()))
        return err;
    if (vol->mounted)
        return BOXFS_E_BUSY; /* one mount per volume: node ids are per session */
    if ((err = boxfs_mount_cleanup_stale(mountpoint)) < 0)
        return err;
    if (stat(mountpoint, &st))
        return boxfs_from_errno(errno);
    if (!S_ISDIR(st.st_mode))
        return BOXFS_E_NOTDIR;
    if (is_mountpoint(mountpoint))
        return BOXFS_E_BUSY;
    m = calloc(1, sizeof *m);
    if (!m)
        return BOXFS_E_NOMEM;
    m->vol = vol;
    m->endpipe[0] = m->endpipe[1] = -1;
    pthread_mutex_init(&m->mlock, NULL);
    pthread_cond_init(&m->mcond, NULL);
    pthread_mutex_init(&m->qlock, NULL);
    pthread_cond_init(&m->qcond, NULL);
    pthread_cond_init(&m->qdone_cond, NULL);
    pthread_mutex_init(&m->plock, NULL);
    pthread_mutex_init(&m->wlock, NULL);
    pthread_cond_init(&m->wcond, NULL);
    if (opts)
        m->opts = *opts;
    m->maxworkers = m->opts.max_threads ? m->opts.max_threads : 8;
    m->workers = calloc(m->maxworkers, sizeof *m->workers);
    if (!m->workers) {
        err = BOXFS_E_NOMEM;
        goto fail;
    }
    /* canonical from here on: the stop may come after a chdir, and libfuse
     * resolves the path again after mounting, which must not walk through
     * the new mount (a ".." would, before anyone answers it) */
    m->mountpoint = realpath(mountpoint, NULL);
    if (!m->mountpoint) {
        err = boxfs_from_errno(errno);
        goto fail;
    }
    if (pipe2(m->endpipe, O_CLOEXEC)) {
        err = BOXFS_E_NOMEM;
        goto fail;
    }
    if (fuse_opt_add_arg(&args, "pnpbox") || fuse_opt_add_arg(&args, "-o") ||
        fuse_opt_add_arg(&args, m->opts.allow_other
                                    ? "fsname=pnpbox,subtype=pnpbox,allow_other,default_permissions"
                                    : "fsname=pnpbox,subtype=pnpbox") ||
        (m->opts.fuse_debug && fuse_opt_add_arg(&args, "-d"))) {
        err = BOXFS_E_NOMEM;
        goto fail_args;
    }
    m->se = fuse_session_new(&args, &boxfs_ll_ops, sizeof boxfs_ll_ops, m);
    fuse_opt_free_args(&args);
    if (!m->se) {
        err = BOXFS_E_NOMEM;
        goto fail;
    }
    if (fuse_session_mount(m->se, m->mountpoint)) {
        err = BOXFS_E_IO;
        goto fail;
    }
    /* the same fd, read and written through the hooks that speak the
     * passthrough part of the protocol */
    m->pt_want = passthrough_wanted();
    if (fuse_session_custom_io(m->se, &wire_io, fuse_session_fd(m->se))) {
        err = BOXFS_E_NOMEM;
        goto fail_mounted;
    }
    boxfs_lock(vol);
    vol->inval.entry = inval_entry_cb;
    vol->inval.inode = inval_inode_cb;
    vol->inval.sync = inval_sync_cb;
    vol->inval.drop_backing = drop_backing_cb;
    vol->inval.ctx = m;
    __atomic_store_n(&vol->mounted, 1, __ATOMIC_RELEASE);
    boxfs_unlock(vol);
    if (pthread_create(&m->notify_thread, NULL, notify_main, m)) {
        err = BOXFS_E_NOMEM;
        goto fail_mounted;
    }
    m->notify_started = 1;
    if (pthread_create(&m->loop_thread, NULL, loop_main, m)) {
        err = BOXFS_E_NOMEM;
        goto fail_mounted;
    }
    m->loop_started = 1;
    /* ready once INIT is answered (or the loop ended) */
    {
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += 30;
        pthread_mutex_lock(&m->mlock);
        while (!m->ready && !m->ended)
            if (pthread_cond_timedwait(&m->mcond, &m->mlock, &dl))
                break;
        err = m->ready ? 0 : BOXFS_E_IO;
        pthread_mutex_unlock(&m->mlock);
    }
    if (err)
        goto fail_mounted;
    set_readahead(m);
    PB_DEBUG(PB_CH_FUSE, "fuse: '%s' mounted at '%s'", vol->dir, mountpoint);
    *out = m;
    return 0;
fail_args:
    fuse_opt_free_args(&args);
    goto fail;
fail_mounted:
    kernel_unmount(m);
    if (m->loop_started)
        pthread_join(m->loop_thread, NULL);
    workers_stop(m);
    fuse_session_unmount(m->se);
    pthread_mutex_lock(&m->qlock);
    m->qstop = 1;
    pthread_cond_broadcast(&m->qcond);
    pthread_mutex_unlock(&m->qlock);
    if (m->notify_started)
        pthread_join(m->notify_thread, NULL);
    release_kernel_refs(m);
fail:
    mount_free(m);
    return err;
}

int boxfs_mount_fd(const boxfs_mount *m)
{
    return m ? m->endpipe[0] : -1;
}

int boxfs_mount_ended(const boxfs_mount *m)
{
    int e;
    if (!m)
        return 1;
    pthread_mutex_lock((pthread_mutex_t *)&m->mlock);
    e = m->ended;
    pthread_mutex_unlock((pthread_mutex_t *)&m->mlock);
    return e;
}

int boxfs_mount_stop(boxfs_mount *m)
{
    int err = 0;
    if (!m)
        return 0;
    /* unmount first: asking the loop to exit before would let its workers
     * quit while the kernel still sends requests that nobody answers */
    if (!boxfs_mount_ended(m))
        err = kernel_unmount(m);
    pthread_join(m->loop_thread, NULL);
    workers_stop(m);
    fuse_session_exit(m->se);
    fuse_session_unmount(m->se);
    pthread_mutex_lock(&m->qlock);
    m->qstop = 1;
    pthread_cond_broadcast(&m->qcond);
    pthread_mutex_unlock(&m->qlock);
    pthread_join(m->notify_thread, NULL);
    release_kernel_refs(m);
    PB_DEBUG(PB_CH_FUSE, "fuse: '%s' unmounted", m->mountpoint);
    mount_free(m);
    return err;
}
