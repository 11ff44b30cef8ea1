/*
 * boxfs_vol.c: the volume core (model in boxfs_int.h): opening and closing
 * a volume, the node table, directory fds and name caches kept coherent
 * with inotify, the Windows skeleton, and error names.
 */
#include "fs/boxfs_int.h"

#include "base/pb_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define BOXFS_ROOT_ID 1 /* FUSE_ROOT_ID */

/* ---- errors ---- */

const char *boxfs_strerror(int err)
{
    switch (err) {
    case BOXFS_OK: return "success";
    case BOXFS_E_NOMEM: return "out of memory";
    case BOXFS_E_INVAL: return "invalid parameter";
    case BOXFS_E_NOENT: return "object name not found";
    case BOXFS_E_PATHNOTFOUND: return "object path not found";
    case BOXFS_E_NAMEINVALID: return "object name invalid";
    case BOXFS_E_SYNTAX: return "object path syntax bad";
    case BOXFS_E_EXISTS: return "object name collision";
    case BOXFS_E_NOTDIR: return "not a directory";
    case BOXFS_E_ISDIR: return "file is a directory";
    case BOXFS_E_NOTEMPTY: return "directory not empty";
    case BOXFS_E_ACCESS: return "access denied";
    case BOXFS_E_ROFS: return "access denied: read-only area";
    case BOXFS_E_NOSPC: return "disk full";
    case BOXFS_E_EOF: return "end of file";
    case BOXFS_E_NAMETOOLONG: return "name too long";
    case BOXFS_E_SYMLINK: return "host symlink or special file refused";
    case BOXFS_E_PERM: return "operation not supported on this volume";
    case BOXFS_E_DELETEPENDING: return "delete pending";
    case BOXFS_E_CANNOTDELETE: return "cannot delete a read-only file";
    case BOXFS_E_NOMORE: return "no more files";
    case BOXFS_E_BADF: return "handle lacks the access";
    case BOXFS_E_STALE: return "object moved or replaced outside the volume";
    case BOXFS_E_IO: return "host i/o error";
    case BOXFS_E_BUSY: return "mount point busy";
    case BOXFS_E_NODEV: return "fuse unavailable (no /dev/fuse)";
    case BOXFS_E_TOOBIG: return "file too large";
    default: return "unknown error";
    }
}

int boxfs_errno(int err)
{
    if (err >= 0)
        return 0;
    switch (err) {
    case BOXFS_E_PATHNOTFOUND: return ENOENT;
    case BOXFS_E_NAMEINVALID: return EINVAL;
    case BOXFS_E_SYNTAX: return EINVAL;
    case BOXFS_E_EOF: return 0;
    case BOXFS_E_SYMLINK: return EACCES;
    case BOXFS_E_DELETEPENDING: return ENOENT;
    case BOXFS_E_CANNOTDELETE: return EACCES;
    case BOXFS_E_NOMORE: return 0;
    default:
        if (err > -BOXFS_E_BASE)
            return -err;
        return EIO;
    }
}

int boxfs_from_errno(int e)
{
    switch (e) {
    case 0: return 0;
    case ENOENT: return BOXFS_E_NOENT;
    case EEXIST: return BOXFS_E_EXISTS;
    case ENOTDIR: return BOXFS_E_NOTDIR;
    case EISDIR: return BOXFS_E_ISDIR;
    case ENOTEMPTY: return BOXFS_E_NOTEMPTY;
    case EACCES:
    case EPERM: return BOXFS_E_ACCESS;
    case EROFS: return BOXFS_E_ROFS;
    case ENOSPC:
    case EDQUOT: return BOXFS_E_NOSPC;
    case EFBIG: return BOXFS_E_TOOBIG;
    case ELOOP: return BOXFS_E_SYMLINK;
    case ENAMETOOLONG: return BOXFS_E_NAMETOOLONG;
    case ENOMEM:
    case EMFILE:
    case ENFILE: return BOXFS_E_NOMEM;
    case ESTALE: return BOXFS_E_STALE;
    case EINVAL: return BOXFS_E_INVAL;
    case EBADF: return BOXFS_E_BADF;
    case EBUSY: return BOXFS_E_BUSY;
    default: return BOXFS_E_IO;
    }
}

const char *boxfs_op_name(boxfs_op op)
{
    switch (op) {
    case BOXFS_OP_OPEN: return "open";
    case BOXFS_OP_READ: return "read";
    case BOXFS_OP_WRITE: return "write";
    case BOXFS_OP_TRUNCATE: return "truncate";
    case BOXFS_OP_STAT: return "stat";
    case BOXFS_OP_SETATTR: return "setattr";
    case BOXFS_OP_LIST: return "list";
    case BOXFS_OP_MKDIR: return "mkdir";
    case BOXFS_OP_RENAME: return "rename";
    case BOXFS_OP_DELETE: return "delete";
    case BOXFS_OP_FLUSH: return "flush";
    case BOXFS_OP_LINK: return "link";
    case BOXFS_OP_CLOSE_DELETE: return "close-delete";
    }
    return "unknown";
}

/* ---- times and attributes ---- */

int64_t boxfs_filetime(struct timespec ts)
{
    /* 1601-01-01 to 1970-01-01 is 11644473600 s */
    return ((int64_t)ts.tv_sec + 11644473600LL) * 10000000LL + ts.tv_nsec / 100;
}

void boxfs_fill_stat(boxfs_info *st, const struct stat *hs, const struct timespec *btime)
{
    memset(st, 0, sizeof *st);
    st->is_dir = S_ISDIR(hs->st_mode);
    st->size = st->is_dir ? 0 : (uint64_t)hs->st_size;
    st->alloc_size = (uint64_t)hs->st_blocks * 512;
    st->nlink = (uint32_t)hs->st_nlink;
    st->mode = (uint32_t)(hs->st_mode & 07777 & ~(mode_t)S_ISVTX);
    st->file_id = (uint64_t)hs->st_ino;
    st->dev = (uint64_t)hs->st_dev;
    if (st->is_dir)
        st->attributes |= BOXFS_ATTR_DIRECTORY;
    else if (!(hs->st_mode & S_ISVTX))
        st->attributes |= BOXFS_ATTR_ARCHIVE;
    if (!(hs->st_mode & S_IWUSR))
        st->attributes |= BOXFS_ATTR_READONLY;
    if (!st->attributes)
        st->attributes = BOXFS_ATTR_NORMAL;
    st->atime = hs->st_atim;
    st->mtime = hs->st_mtim;
    st->ctime = hs->st_ctim;
    if (btime && (btime->tv_sec || btime->tv_nsec)) {
        st->btime = *btime;
    } else { /* no birth time: the earlier of modification and change */
        int mfirst = hs->st_mtim.tv_sec < hs->st_ctim.tv_sec ||
                     (hs->st_mtim.tv_sec == hs->st_ctim.tv_sec &&
                      hs->st_mtim.tv_nsec <= hs->st_ctim.tv_nsec);
        st->btime = mfirst ? hs->st_mtim : hs->st_ctim;
    }
    st->creation_time = boxfs_filetime(st->btime);
    st->access_time = boxfs_filetime(st->atime);
    st->write_time = boxfs_filetime(st->mtime);
    st->change_time = boxfs_filetime(st->ctime);
}

/* ---- locking ---- */

void boxfs_lock(boxfs *vol)
{
    pthread_mutex_lock(&vol->lock);
    vol->epoch++;
}

void boxfs_unlock(boxfs *vol)
{
    pthread_mutex_unlock(&vol->lock);
}

/* ---- watch table: wd -> node (open addressing) ---- */

static size_t wslot(const boxfs *vol, int wd)
{
    return ((uint32_t)wd * 2654435761u) & (vol->wtab_size - 1);
}

static boxfs_node *wtab_get(boxfs *vol, int wd)
{
    if (!vol->wtab_size)
        return NULL;
    for (size_t i = wslot(vol, wd);; i = (i + 1) & (vol->wtab_size - 1)) {
        if (vol->wkeys[i] == -1)
            return NULL;
        if (vol->wkeys[i] == wd && vol->wtab[i])
            return vol->wtab[i];
    }
}

static int wtab_grow(boxfs *vol)
{
    size_t nsize = vol->wtab_size ? vol->wtab_size * 2 : 64;
    int *keys = malloc(nsize * sizeof *keys);
    boxfs_node **vals = calloc(nsize, sizeof *vals);
    size_t oldsize = vol->wtab_size;
    int *ok = vol->wkeys;
    boxfs_node **ov = vol->wtab;
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return BOXFS_E_NOMEM;
    }
    for (size_t i = 0; i < nsize; i++)
        keys[i] = -1;
    vol->wkeys = keys;
    vol->wtab = vals;
    vol->wtab_size = nsize;
    vol->wtab_count = 0;
    for (size_t i = 0; i < oldsize; i++) {
        if (ok[i] >= 0 && ov[i]) { /* skip tombstones */
            size_t j = wslot(vol, ok[i]);
            while (vol->wkeys[j] != -1)
                j = (j + 1) & (nsize - 1);
            vol->wkeys[j] = ok[i];
            vol->wtab[j] = ov[i];
            vol->wtab_count++;
        }
    }
    free(ok);
    free(ov);
    return 0;
}

static int wtab_put(boxfs *vol, int wd, boxfs_node *n)
{
    size_t i;
    if ((vol->wtab_count + 1) * 2 > vol->wtab_size && wtab_grow(vol))
        return BOXFS_E_NOMEM;
    for (i = wslot(vol, wd); vol->wkeys[i] != -1; i = (i + 1) & (vol->wtab_size - 1))
        if (vol->wkeys[i] == wd) {
            vol->wtab[i] = n;
            return 0;
        }
    vol->wkeys[i] = wd;
    vol->wtab[i] = n;
    vol->wtab_count++;
    return 0;
}

static void wtab_del(boxfs *vol, int wd)
{
    if (!vol->wtab_size)
        return;
    for (size_t i = wslot(vol, wd); vol->wkeys[i] != -1; i = (i + 1) & (vol->wtab_size - 1))
        if (vol->wkeys[i] == wd) {
            vol->wtab[i] = NULL; /* tombstone: key stays, value NULL */
            return;
        }
}

/* ---- directory caches ---- */

static void expect_clear(boxfs_dcache *dc)
{
    while (dc->expect) {
        boxfs_expect *x = dc->expect;
        dc->expect = x->next;
        free(x);
    }
    dc->expect_tail = NULL;
    dc->nexpect = 0;
}

/* Clearing a cache forgets the events it expected too: an expected event
 * that is then drained is only re-read, which is always right, while an
 * expectation whose event never comes would hide a later one. */
static void dc_clear(boxfs_dcache *dc)
{
    expect_clear(dc);
    for (size_t b = 0; b < dc->nbuckets; b++) {
        boxfs_dent *e = dc->buckets[b];
        while (e) {
            boxfs_dent *nx = e->next;
            free(e);
            e = nx;
        }
    }
    free(dc->buckets);
    dc->buckets = NULL;
    dc->nbuckets = dc->count = 0;
    dc->valid = 0;
}

static void dc_unwatch(boxfs *vol, boxfs_node *n)
{
    if (n->dc.wd >= 0) {
        if (vol->ifd >= 0)
            inotify_rm_watch(vol->ifd, n->dc.wd);
        wtab_del(vol, n->dc.wd);
        n->dc.wd = -1;
    }
}

static void dc_free(boxfs *vol, boxfs_node *n)
{
    dc_unwatch(vol, n);
    dc_clear(&n->dc);
}

static int dc_grow(boxfs_dcache *dc)
{
    size_t nb = dc->nbuckets ? dc->nbuckets * 4 : 16;
    boxfs_dent **b = calloc(nb, sizeof *b);
    if (!b)
        return BOXFS_E_NOMEM;
    for (size_t i = 0; i < dc->nbuckets; i++) {
        boxfs_dent *e = dc->buckets[i];
        while (e) {
            boxfs_dent *nx = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = nx;
        }
    }
    free(dc->buckets);
    dc->buckets = b;
    dc->nbuckets = nb;
    return 0;
}

/* Insert or update one name; names Windows cannot spell are skipped. */
static int dc_insert(boxfs_dcache *dc, const char *name, uint8_t type, uint64_t ino)
{
    uint16_t key[BOXFS_NAME_UNITS];
    size_t keylen, nlen = strlen(name), off;
    uint32_t h;
    boxfs_dent *e;
    if (boxfs_name_key(name, nlen, key, &keylen))
        return 0;
    h = boxfs_key_hash(key, keylen);
    if (dc->nbuckets) {
        for (e = dc->buckets[h & (dc->nbuckets - 1)]; e; e = e->next)
            if (e->hash == h && !strcmp(e->name, name)) {
                e->type = type;
                e->ino = ino;
                return 0;
            }
    }
    if (dc->count >= dc->nbuckets && dc_grow(dc))
        return BOXFS_E_NOMEM;
    off = (sizeof(boxfs_dent) + nlen + 1 + 1) & ~(size_t)1; /* key is 2-aligned after the name */
    e = malloc(off + keylen * 2);
    if (!e)
        return BOXFS_E_NOMEM;
    memcpy(e->name, name, nlen + 1);
    e->key = (uint16_t *)((char *)e + off);
    memcpy(e->key, key, keylen * 2);
    e->keylen = (uint16_t)keylen;
    e->hash = h;
    e->type = type;
    e->ino = ino;
    e->next = dc->buckets[h & (dc->nbuckets - 1)];
    dc->buckets[h & (dc->nbuckets - 1)] = e;
    dc->count++;
    return 0;
}

static void dc_remove(boxfs_dcache *dc, const char *name)
{
    uint16_t key[BOXFS_NAME_UNITS];
    size_t keylen;
    uint32_t h;
    boxfs_dent **pp;
    if (!dc->nbuckets || boxfs_name_key(name, strlen(name), key, &keylen))
        return;
    h = boxfs_key_hash(key, keylen);
    for (pp = &dc->buckets[h & (dc->nbuckets - 1)]; *pp; pp = &(*pp)->next)
        if ((*pp)->hash == h && !strcmp((*pp)->name, name)) {
            boxfs_dent *e = *pp;
            *pp = e->next;
            free(e);
            dc->count--;
            return;
        }
}

/* Case-insensitive find: the exact-case entry if there is one, else the
 * smallest by byte order. */
static boxfs_dent *dc_find(boxfs_dcache *dc, const char *name)
{
    uint16_t key[BOXFS_NAME_UNITS];
    size_t keylen;
    uint32_t h;
    boxfs_dent *best = NULL;
    if (!dc->nbuckets || boxfs_name_key(name, strlen(name), key, &keylen))
        return NULL;
    h = boxfs_key_hash(key, keylen);
    for (boxfs_dent *e = dc->buckets[h & (dc->nbuckets - 1)]; e; e = e->next) {
        if (e->hash != h || e->keylen != keylen || memcmp(e->key, key, keylen * 2))
            continue;
        if (!strcmp(e->name, name))
            return e;
        if (!best || strcmp(e->name, best->name) < 0)
            best = e;
    }
    return best;
}

static uint8_t type_of_mode(mode_t m)
{
    return S_ISDIR(m) ? BOXFS_DT_DIR : S_ISREG(m) ? BOXFS_DT_REG : BOXFS_DT_OTHER;
}

/* ---- node table ---- */

static uint32_t node_hash(const boxfs_node *parent, const char *name)
{
    uint32_t h = (uint32_t)(((uintptr_t)parent >> 4) * 2654435761u);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h;
}

static int ntab_grow(boxfs *vol)
{
    size_t ns = vol->ntab_size ? vol->ntab_size * 4 : 64;
    boxfs_node **t = calloc(ns, sizeof *t);
    if (!t)
        return BOXFS_E_NOMEM;
    for (size_t i = 0; i < vol->ntab_size; i++) {
        boxfs_node *n = vol->ntab[i];
        while (n) {
            boxfs_node *nx = n->hnext;
            n->hnext = t[n->hhash & (ns - 1)];
            t[n->hhash & (ns - 1)] = n;
            n = nx;
        }
    }
    free(vol->ntab);
    vol->ntab = t;
    vol->ntab_size = ns;
    return 0;
}

static void ntab_insert(boxfs *vol, boxfs_node *n)
{
    n->hhash = node_hash(n->parent, n->name);
    n->hnext = vol->ntab[n->hhash & (vol->ntab_size - 1)];
    vol->ntab[n->hhash & (vol->ntab_size - 1)] = n;
    vol->ntab_count++;
}

static void ntab_remove(boxfs *vol, boxfs_node *n)
{
    boxfs_node **pp;
    if (!vol->ntab_size)
        return;
    for (pp = &vol->ntab[n->hhash & (vol->ntab_size - 1)]; *pp; pp = &(*pp)->hnext)
        if (*pp == n) {
            *pp = n->hnext;
            n->hnext = NULL;
            vol->ntab_count--;
            return;
        }
}

boxfs_node *boxfs_node_find(boxfs *vol, boxfs_node *dir, const char *name)
{
    uint32_t h = node_hash(dir, name);
    if (!vol->ntab_size)
        return NULL;
    for (boxfs_node *n = vol->ntab[h & (vol->ntab_size - 1)]; n; n = n->hnext)
        if (n->hhash == h && n->parent == dir && !strcmp(n->name, name))
            return n;
    return NULL;
}

/* ---- LRUs ---- */

static void lru_unlink(boxfs *vol, boxfs_node *n)
{
    if (!n->in_lru)
        return;
    if (n->lru_prev)
        n->lru_prev->lru_next = n->lru_next;
    else
        vol->lru_head = n->lru_next;
    if (n->lru_next)
        n->lru_next->lru_prev = n->lru_prev;
    else
        vol->lru_tail = n->lru_prev;
    n->lru_prev = n->lru_next = NULL;
    n->in_lru = 0;
    vol->lru_count--;
}

static void fdlru_unlink(boxfs *vol, boxfs_node *n)
{
    if (!n->in_fdlru)
        return;
    if (n->fd_prev)
        n->fd_prev->fd_next = n->fd_next;
    else
        vol->fd_head = n->fd_next;
    if (n->fd_next)
        n->fd_next->fd_prev = n->fd_prev;
    else
        vol->fd_tail = n->fd_prev;
    n->fd_prev = n->fd_next = NULL;
    n->in_fdlru = 0;
    vol->fd_count--;
}

static void fdlru_front(boxfs *vol, boxfs_node *n)
{
    fdlru_unlink(vol, n);
    n->fd_next = vol->fd_head;
    if (vol->fd_head)
        vol->fd_head->fd_prev = n;
    vol->fd_head = n;
    if (!vol->fd_tail)
        vol->fd_tail = n;
    n->in_fdlru = 1;
    vol->fd_count++;
}

static void node_close_fd(boxfs *vol, boxfs_node *n)
{
    fdlru_unlink(vol, n);
    if (n != vol->root && n->fd >= 0) {
        close(n->fd);
        n->fd = -1;
    }
}

static void all_link(boxfs *vol, boxfs_node *n)
{
    n->all_prev = NULL;
    n->all_next = vol->all_head;
    if (vol->all_head)
        vol->all_head->all_prev = n;
    vol->all_head = n;
}

static void all_unlink(boxfs *vol, boxfs_node *n)
{
    if (n->all_prev)
        n->all_prev->all_next = n->all_next;
    else
        vol->all_head = n->all_next;
    if (n->all_next)
        n->all_next->all_prev = n->all_prev;
}

/* Free a node whose last reference went; returns its parent, whose
 * reference the caller must drop. */
static boxfs_node *node_free(boxfs *vol, boxfs_node *n)
{
    boxfs_node *parent = n->parent;
    if (n->backing_id > 0 && vol->mounted && vol->inval.drop_backing)
        vol->inval.drop_backing(vol->inval.ctx, n);
    lru_unlink(vol, n);
    if (!n->gone)
        ntab_remove(vol, n);
    node_close_fd(vol, n);
    dc_free(vol, n);
    for (int i = 0; i < n->nknames; i++)
        free(n->knames[i]);
    all_unlink(vol, n);
    free(n->name);
    free(n);
    return parent;
}


void boxfs_node_put(boxfs *vol, boxfs_node *n)
{
    while (n && n != vol->root) {
        if (--n->refs > 0)
            return;
        if (n->isdir && !n->gone && n->dc.valid && n->dc.wd >= 0) {
            /* keep its cache for the next caller */
            n->lru_next = vol->lru_head;
            n->lru_prev = NULL;
            if (vol->lru_head)
                vol->lru_head->lru_prev = n;
            vol->lru_head = n;
            if (!vol->lru_tail)
                vol->lru_tail = n;
            n->in_lru = 1;
            vol->lru_count++;
            if (vol->lru_count <= BOXFS_NODE_LRU_MAX)
                return;
            n = vol->lru_tail; /* evict the oldest */
        }
        n = node_free(vol, n);
    }
}

void boxfs_node_ref(boxfs *vol, boxfs_node *n)
{
    if (n->refs++ == 0)
        lru_unlink(vol, n);
}

boxfs_node *boxfs_node_child(boxfs *vol, boxfs_node *dir, const boxfs_dent *e)
{
    boxfs_node *n = boxfs_node_find(vol, dir, e->name);
    if (n) {
        if (n->ino == e->ino && n->isdir == (e->type == BOXFS_DT_DIR)) {
            boxfs_node_ref(vol, n);
            return n;
        }
        boxfs_node_gone(vol, n); /* replaced behind our back */
    }
    if ((vol->ntab_count + 1) > vol->ntab_size && ntab_grow(vol))
        return NULL;
    n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->name = strdup(e->name);
    if (!n->name) {
        free(n);
        return NULL;
    }
    n->parent = dir;
    boxfs_node_ref(vol, dir);
    n->ino = e->ino;
    n->dev = vol->dev;
    n->isdir = e->type == BOXFS_DT_DIR;
    n->refs = 1;
    n->fd = -1;
    n->dc.wd = -1;
    ntab_insert(vol, n);
    all_link(vol, n);
    return n;
}

void boxfs_node_gone(boxfs *vol, boxfs_node *n)
{
    if (n->gone || n == vol->root)
        return;
    boxfs_inval_names(vol, n);
    if (n->backing_id > 0 && vol->mounted && vol->inval.drop_backing)
        vol->inval.drop_backing(vol->inval.ctx, n);
    ntab_remove(vol, n);
    n->gone = 1;
    node_close_fd(vol, n);
    dc_free(vol, n);
}

int boxfs_node_move(boxfs *vol, boxfs_node *n, boxfs_node *newdir, const char *newname)
{
    char *nm = strdup(newname);
    boxfs_node *old;
    if (!nm)
        return BOXFS_E_NOMEM;
    if ((old = boxfs_node_find(vol, newdir, newname)) && old != n)
        boxfs_node_gone(vol, old); /* replaced by the rename */
    ntab_remove(vol, n);
    free(n->name);
    n->name = nm;
    if (n->parent != newdir) {
        boxfs_node *op = n->parent;
        boxfs_node_ref(vol, newdir);
        n->parent = newdir;
        ntab_insert(vol, n);
        boxfs_node_put(vol, op);
    } else {
        ntab_insert(vol, n);
    }
    return 0;
}

int boxfs_node_fd(boxfs *vol, boxfs_node *n, int *fdp)
{
    if (n == vol->root) {
        *fdp = vol->rootfd;
        return 0;
    }
    while (n->fd < 0) {
        /* open the topmost ancestor lacking an fd, then come back down */
        boxfs_node *m = n;
        int pfd, fd;
        struct stat st;
        while (m->parent != vol->root && m->parent->fd < 0)
            m = m->parent;
        if (m->gone)
            return BOXFS_E_STALE;
        pfd = m->parent == vol->root ? vol->rootfd : m->parent->fd;
        /* Readable when it can be, so loading the directory reads it straight
         * (dc_load); O_PATH for a directory we may only pass through. */
        fd = openat(pfd, m->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == EACCES)
            fd = openat(pfd, m->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return errno == ENOMEM || errno == EMFILE || errno == ENFILE ? BOXFS_E_NOMEM
                                                                         : BOXFS_E_STALE;
        if (fstat(fd, &st) || (uint64_t)st.st_ino != m->ino || (uint64_t)st.st_dev != vol->dev) {
            close(fd);
            return BOXFS_E_STALE;
        }
        m->fd = fd;
        m->fd_epoch = vol->epoch;
        fdlru_front(vol, m);
        /* close the oldest fds, but none handed out under this lock */
        while (vol->fd_count > BOXFS_FD_LRU_MAX && vol->fd_tail &&
               vol->fd_tail->fd_epoch != vol->epoch)
            node_close_fd(vol, vol->fd_tail);
    }
    n->fd_epoch = vol->epoch;
    fdlru_front(vol, n);
    *fdp = n->fd;
    return 0;
}

/* ---- inotify ---- */

#define WATCH_MASK                                                                                 \
    (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_ONLYDIR |            \
     IN_EXCL_UNLINK)

static void watch_dir(boxfs *vol, boxfs_node *n, int fd)
{
    char proc[64];
    int wd;
    if (vol->ifd < 0 || n->dc.wd >= 0)
        return;
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    wd = inotify_add_watch(vol->ifd, proc, WATCH_MASK);
    if (wd < 0) {
        PB_DEBUG(PB_CH_FS, "fs: cannot watch directory: %s; it will be rescanned", strerror(errno));
        return;
    }
    if (wtab_put(vol, wd, n)) {
        inotify_rm_watch(vol->ifd, wd);
        return;
    }
    n->dc.wd = wd;
}

/*
 * Our own changes.  Every create, mkdir, delete and rename boxfs makes in
 * a watched directory queues an inotify event that would make the drain
 * re-read the name (an fstatat), though the cache already holds what our
 * own call did.  The call site records the event it expects, under the
 * lock hold of the host call (so before any drain can read the event),
 * and the drain takes the first matching event of that name as ours.
 * Events come in the order the changes were made, so this is right
 * even when the name also changes behind our back: an outside change
 * before ours that is taken for ours leaves ours to be re-read later, and
 * one after ours comes after our event and is re-read.  What is dropped
 * with the cache (dc_clear: a reload, a removed watch, a queue overflow
 * that may have lost events) is only re-read, never wrongly skipped.
 */
#define EXPECT_MAX 64 /* per directory; beyond it, events are simply re-read */

void boxfs_dir_expect(boxfs *vol, boxfs_node *dir, const char *name, int adds)
{
    size_t len = strlen(name);
    boxfs_expect *x;
    if (vol->ifd < 0 || dir->dc.wd < 0 || dir->dc.nexpect >= EXPECT_MAX)
        return; /* no event will come, or it will be re-read */
    x = malloc(sizeof *x + len + 1);
    if (!x)
        return;
    x->next = NULL;
    x->adds = !!adds;
    memcpy(x->name, name, len + 1);
    if (dir->dc.expect_tail)
        dir->dc.expect_tail->next = x;
    else
        dir->dc.expect = x;
    dir->dc.expect_tail = x;
    dir->dc.nexpect++;
}

/* Is this event one of ours (taken off the list if so)? */
static int expect_take(boxfs_dcache *dc, const char *name, uint32_t mask)
{
    int adds;
    boxfs_expect *prev = NULL;
    if (mask & (IN_CREATE | IN_MOVED_TO))
        adds = 1;
    else if (mask & (IN_DELETE | IN_MOVED_FROM))
        adds = 0;
    else
        return 0;
    for (boxfs_expect *x = dc->expect; x; prev = x, x = x->next) {
        if (x->adds != adds || strcmp(x->name, name))
            continue;
        if (prev)
            prev->next = x->next;
        else
            dc->expect = x->next;
        if (dc->expect_tail == x)
            dc->expect_tail = prev;
        dc->nexpect--;
        free(x);
        return 1;
    }
    return 0;
}

/*
 * One drain per lock hold is enough: an operation sees the tree as it was
 * when it took the lock (changes made behind its back later race with it
 * either way), and events caused by its own changes are handled by
 * re-reading the entry they name (boxfs_dir_refresh), which gives the same
 * result whenever it runs.  Epochs of different volumes never meet
 * (boxfs_volume_open starts each volume in its own range).
 */
static __thread const boxfs *drained_vol;
static __thread uint64_t drained_epoch;

static void drain_events(boxfs *vol)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    if (vol->ifd < 0)
        return;
    if (drained_vol == vol && drained_epoch == vol->epoch)
        return;
    drained_vol = vol;
    drained_epoch = vol->epoch;
    for (;;) {
        ssize_t r = read(vol->ifd, buf, sizeof buf);
        /* a read that left room for another event of the longest kind
         * took every event queued when it ran: no need to read again for
         * the empty queue (an event queued since races with this
         * operation either way) */
        int all = r >= 0 && (size_t)r <= sizeof buf - (sizeof(struct inotify_event) + NAME_MAX + 1);
        if (r <= 0)
            return;
        for (char *p = buf; p < buf + r;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            boxfs_node *n;
            p += sizeof *ev + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                PB_DEBUG(PB_CH_FS, "fs: inotify queue overflow; caches dropped");
                for (size_t i = 0; i < vol->wtab_size; i++)
                    if (vol->wkeys[i] >= 0 && vol->wtab[i])
                        dc_clear(&vol->wtab[i]->dc);
                continue;
            }
            n = wtab_get(vol, ev->wd);
            if (!n)
                continue;
            if (ev->mask & IN_IGNORED) {
                wtab_del(vol, ev->wd);
                n->dc.wd = -1;
                dc_clear(&n->dc);
                continue;
            }
            if (ev->mask & IN_DELETE_SELF) {
                dc_clear(&n->dc);
                continue;
            }
            if (ev->len && ev->name[0] && !expect_take(&n->dc, ev->name, ev->mask))
                boxfs_dir_refresh(vol, n, ev->name);
        }
        if (all)
            return;
    }
}

/* ---- directory cache API ---- */

/* One directory entry into the cache (see dc_load). */
static int dc_load_entry(boxfs_node *n, int fd, const char *name, unsigned char dtype, uint64_t ino)
{
    uint8_t type;
    if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
        return 0;
    if (dtype == DT_DIR)
        type = BOXFS_DT_DIR;
    else if (dtype == DT_REG)
        type = BOXFS_DT_REG;
    else if (dtype == DT_UNKNOWN) {
        struct stat st;
        if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW))
            return 0;
        type = type_of_mode(st.st_mode);
    } else
        type = BOXFS_DT_OTHER;
    return dc_insert(&n->dc, name, type, ino);
}

/*
 * Read the directory with getdents64 straight into a buffer of our own:
 * opendir/readdir would add an fstat and two fcntl calls per scan, and a
 * scan is what loading a directory costs.
 */
static int dc_load(boxfs *vol, boxfs_node *n)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct dirent64))));
    int fd, dfd, err = 0;
    int fresh = n != vol->root && n->fd < 0; /* boxfs_node_fd opens it now, at offset 0 */
    err = boxfs_node_fd(vol, n, &fd);
    if (err)
        return err;
    watch_dir(vol, n, fd); /* before reading: later changes arrive as events */
    /*
     * Read through the node's own descriptor when it is readable (rewound
     * unless just opened), saving an open and a close; an O_PATH one (a
     * directory we may only pass through, or the root) fails with EBADF
     * and a descriptor is opened for the read.
     */
    dfd = n != vol->root && (fresh || lseek(fd, 0, SEEK_SET) == 0) ? fd : -1;
    ssize_t r = dfd >= 0 ? getdents64(dfd, buf, sizeof buf) : -1;
    if (r < 0 && (dfd < 0 || errno == EBADF)) {
        if ((dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
            return boxfs_from_errno(errno);
        r = getdents64(dfd, buf, sizeof buf);
    }
    dc_clear(&n->dc);
    vol->scans++;
    if (dc_grow(&n->dc))
        err = BOXFS_E_NOMEM;
    while (!err) {
        if (r < 0) {
            err = boxfs_from_errno(errno);
            break;
        }
        if (r == 0)
            break;
        for (ssize_t off = 0; off < r && !err;) {
            const struct dirent64 *de = (const struct dirent64 *)(buf + off);
            off += de->d_reclen;
            err = dc_load_entry(n, fd, de->d_name, de->d_type, (uint64_t)de->d_ino);
        }
        if (!err)
            r = getdents64(dfd, buf, sizeof buf);
    }
    if (dfd != fd)
        close(dfd);
    if (err) {
        dc_clear(&n->dc);
        return err;
    }
    n->dc.valid = 1;
    return 0;
}

/* A cache filled by this very call may be trusted for a miss even when the
 * directory is not watched. */
static __thread const boxfs_node *fresh_dir;

static int dir_prepare(boxfs *vol, boxfs_node *dir, int drain)
{
    int err;
    if (!dir->isdir)
        return BOXFS_E_NOTDIR;
    if (dir->gone)
        return BOXFS_E_STALE;
    if (drain)
        drain_events(vol);
    fresh_dir = NULL;
    if (dir->dc.valid)
        return 0;
    err = dc_load(vol, dir);
    if (!err)
        fresh_dir = dir;
    return err;
}

int boxfs_dir_prepare(boxfs *vol, boxfs_node *dir)
{
    return dir_prepare(vol, dir, 1);
}

int boxfs_dir_prepare_drained(boxfs *vol, boxfs_node *dir)
{
    return dir_prepare(vol, dir, 0);
}

boxfs_dent *boxfs_dir_find(boxfs *vol, boxfs_node *dir, const char *name)
{
    boxfs_dent *e = dc_find(&dir->dc, name);
    if (!e && dir->dc.wd < 0 && fresh_dir != dir) {
        /* not watched: a miss is only trusted after a fresh scan */
        if (dc_load(vol, dir))
            return NULL;
        fresh_dir = dir;
        e = dc_find(&dir->dc, name);
    }
    return e;
}

boxfs_dent *boxfs_dir_refresh(boxfs *vol, boxfs_node *dir, const char *name)
{
    struct stat st;
    int fd;
    boxfs_node *n = boxfs_node_find(vol, dir, name);
    if (boxfs_node_fd(vol, dir, &fd))
        return NULL;
    if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW)) {
        if (n)
            boxfs_node_gone(vol, n);
        if (dir->dc.valid)
            dc_remove(&dir->dc, name);
        return NULL;
    }
    if (n && (n->ino != (uint64_t)st.st_ino || n->isdir != !!S_ISDIR(st.st_mode)))
        boxfs_node_gone(vol, n);
    if (!dir->dc.valid)
        return NULL;
    if (dc_insert(&dir->dc, name, type_of_mode(st.st_mode), (uint64_t)st.st_ino)) {
        dc_clear(&dir->dc); /* out of memory: reload later rather than lie */
        return NULL;
    }
    return dc_find(&dir->dc, name);
}

void boxfs_dir_added(boxfs *vol, boxfs_node *dir, const char *name, uint8_t type, uint64_t ino)
{
    (void)vol;
    if (dir->dc.valid && dc_insert(&dir->dc, name, type, ino))
        dc_clear(&dir->dc);
}

void boxfs_dir_removed(boxfs *vol, boxfs_node *dir, const char *name)
{
    (void)vol;
    if (dir->dc.valid)
        dc_remove(&dir->dc, name);
}

static int snap_cmp(const void *a, const void *b)
{
    const boxfs_dent *x = *(boxfs_dent *const *)a, *y = *(boxfs_dent *const *)b;
    size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
    for (size_t i = 0; i < n; i++)
        if (x->key[i] != y->key[i])
            return x->key[i] < y->key[i] ? -1 : 1;
    if (x->keylen != y->keylen)
        return x->keylen < y->keylen ? -1 : 1;
    return strcmp(x->name, y->name);
}

int boxfs_dir_snapshot(boxfs *vol, boxfs_node *dir, boxfs_snap **out, size_t *np)
{
    boxfs_dent **v;
    boxfs_snap *s;
    size_t k = 0, m = 0;
    int err;
    /* a listing is always taken from a fresh scan, so it shows changes
     * made behind our back even in unwatched directories */
    if (dir->dc.wd < 0 || !dir->dc.valid) {
        if ((err = dc_load(vol, dir)))
            return err;
    }
    v = malloc((dir->dc.count + 1) * sizeof *v);
    if (!v)
        return BOXFS_E_NOMEM;
    for (size_t b = 0; b < dir->dc.nbuckets; b++)
        for (boxfs_dent *e = dir->dc.buckets[b]; e; e = e->next)
            if (e->type != BOXFS_DT_OTHER)
                v[k++] = e;
    qsort(v, k, sizeof *v, snap_cmp);
    s = calloc(k + 1, sizeof *s);
    if (!s) {
        free(v);
        return BOXFS_E_NOMEM;
    }
    for (; m < k; m++) {
        s[m].name = strdup(v[m]->name);
        s[m].type = v[m]->type;
        s[m].ino = v[m]->ino;
        if (!s[m].name) {
            while (m-- > 0)
                free(s[m].name);
            free(s);
            free(v);
            return BOXFS_E_NOMEM;
        }
    }
    free(v);
    *out = s;
    *np = k;
    return 0;
}

/* ---- paths of nodes ---- */

char *boxfs_node_path(boxfs *vol, boxfs_node *n, const char *child)
{
    size_t len = 1, clen = child ? strlen(child) : 0;
    char *r, *w;
    for (boxfs_node *m = n; m && m != vol->root; m = m->parent)
        len += strlen(m->name) + 1;
    len += clen + 1;
    r = malloc(len + 1);
    if (!r)
        return NULL;
    w = r + len;
    *w = 0;
    if (child) {
        w -= clen;
        memcpy(w, child, clen);
        *--w = '\\';
    }
    for (boxfs_node *m = n; m && m != vol->root; m = m->parent) {
        size_t l = strlen(m->name);
        w -= l;
        memcpy(w, m->name, l);
        *--w = '\\';
    }
    if (w == r + len) /* the root itself */
        *--w = '\\';
    memmove(r, w, strlen(w) + 1);
    return r;
}

/* ---- kernel invalidation ---- */

uint64_t boxfs_node_id(boxfs *vol, boxfs_node *n)
{
    return n == vol->root ? BOXFS_ROOT_ID : (uint64_t)(uintptr_t)n;
}

void boxfs_remember_kname(boxfs *vol, boxfs_node *n, const char *name)
{
    char *c;
    for (int i = 0; i < n->nknames; i++)
        if (!strcmp(n->knames[i], name))
            return;
    if (n->nknames == BOXFS_KNAMES_MAX) {
        /* forget the oldest variant, and make the kernel forget it too */
        if (vol->mounted && n->parent)
            vol->inval.entry(vol->inval.ctx, boxfs_node_id(vol, n->parent), n->knames[0]);
        free(n->knames[0]);
        memmove(n->knames, n->knames + 1, (BOXFS_KNAMES_MAX - 1) * sizeof n->knames[0]);
        n->nknames--;
    }
    c = strdup(name);
    if (!c) { /* cannot remember it: do not let the kernel keep it */
        if (vol->mounted && n->parent)
            vol->inval.entry(vol->inval.ctx, boxfs_node_id(vol, n->parent), name);
        return;
    }
    n->knames[n->nknames++] = c;
}

void boxfs_inval_names(boxfs *vol, boxfs_node *n)
{
    for (int i = 0; i < n->nknames; i++) {
        if (vol->mounted && n->parent)
            vol->inval.entry(vol->inval.ctx, boxfs_node_id(vol, n->parent), n->knames[i]);
        free(n->knames[i]);
    }
    n->nknames = 0;
}

void boxfs_inval_wait(boxfs *vol, int via_fuse)
{
    void (*sync)(void *) = NULL;
    void *ctx = NULL;
    if (via_fuse || !__atomic_load_n(&vol->mounted, __ATOMIC_ACQUIRE))
        return;
    boxfs_lock(vol);
    if (vol->mounted) {
        sync = vol->inval.sync;
        ctx = vol->inval.ctx;
    }
    boxfs_unlock(vol);
    if (sync)
        sync(ctx);
}

void boxfs_inval_node(boxfs *vol, boxfs_node *n)
{
    n->kc_valid = 0;
    if (vol->mounted && (n->nlookup > 0 || n == vol->root))
        vol->inval.inode(vol->inval.ctx, boxfs_node_id(vol, n));
}

/* ---- opening and closing volumes ---- */

/*
 * Inotify instances kept for reuse.  Closing an instance makes the kernel
 * wait for an RCU grace period (destroying the group flushes the mark
 * reaper, which synchronizes SRCU): 1-8 ms measured, most of an embedded
 * machine's teardown.  A closed volume's instance, with every watch removed
 * and its queue drained, is kept for the next volume instead.  A forked
 * child would share them with its parent, so it forgets them.
 */
#define IFD_KEEP 4
static pthread_mutex_t ifd_lock = PTHREAD_MUTEX_INITIALIZER;
static int ifd_kept[IFD_KEEP];
static int ifd_nkept;
static pthread_once_t ifd_once = PTHREAD_ONCE_INIT;

static void ifd_prefork(void) { pthread_mutex_lock(&ifd_lock); }
static void ifd_postfork_parent(void) { pthread_mutex_unlock(&ifd_lock); }
static void ifd_postfork_child(void)
{
    while (ifd_nkept > 0)
        close(ifd_kept[--ifd_nkept]);
    pthread_mutex_unlock(&ifd_lock);
}
static void ifd_init(void) { pthread_atfork(ifd_prefork, ifd_postfork_parent, ifd_postfork_child); }

/* Read until the queue is empty (IN_IGNORED of removed watches, late events). */
static void ifd_drain(int fd)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

static int ifd_get(void)
{
    int fd = -1;
    pthread_once(&ifd_once, ifd_init);
    pthread_mutex_lock(&ifd_lock);
    if (ifd_nkept > 0)
        fd = ifd_kept[--ifd_nkept];
    pthread_mutex_unlock(&ifd_lock);
    if (fd >= 0) {
        ifd_drain(fd);
        return fd;
    }
    return inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
}

/* The caller has removed every watch of the instance. */
static void ifd_put(int fd)
{
    ifd_drain(fd);
    pthread_once(&ifd_once, ifd_init);
    pthread_mutex_lock(&ifd_lock);
    if (ifd_nkept < IFD_KEEP) {
        ifd_kept[ifd_nkept++] = fd;
        fd = -1;
    }
    pthread_mutex_unlock(&ifd_lock);
    if (fd >= 0)
        close(fd);
}

/* Each volume's lock epochs start in a range of their own (drain_events). */
static uint64_t epoch_base;

static int mkdir_p(const char *path)
{
    char *p = strdup(path);
    int err = 0;
    struct stat st;
    if (!p)
        return BOXFS_E_NOMEM;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || !*s) {
            char c = *s;
            *s = 0;
            if (mkdir(p, 0755) && errno != EEXIST) {
                err = boxfs_from_errno(errno);
                break;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    if (!err && (stat(path, &st) || !S_ISDIR(st.st_mode)))
        err = BOXFS_E_NOTDIR;
    free(p);
    return err;
}

int boxfs_volume_open(const char *backing_dir, const boxfs_volume_opts *opts, boxfs **out)
{
    boxfs *vol;
    struct stat st;
    int err;
    if (!backing_dir || !*backing_dir || !out)
        return BOXFS_E_INVAL;
    if (opts && (opts->flags & BOXFS_VOL_CREATE) && (err = mkdir_p(backing_dir)))
        return err;
    vol = calloc(1, sizeof *vol);
    if (!vol)
        return BOXFS_E_NOMEM;
    vol->ifd = -1;
    vol->rootfd = -1;
    vol->dir = strdup(backing_dir);
    vol->root = calloc(1, sizeof *vol->root);
    if (!vol->dir || !vol->root) {
        err = BOXFS_E_NOMEM;
        goto fail_alloc;
    }
    vol->rootfd = open(backing_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (vol->rootfd < 0) {
        int e = errno;
        struct stat lst;
        err = e == ENOTDIR && !lstat(backing_dir, &lst) && S_ISLNK(lst.st_mode)
                  ? BOXFS_E_SYMLINK
                  : boxfs_from_errno(e);
        goto fail_alloc;
    }
    if (fstat(vol->rootfd, &st)) {
        err = boxfs_from_errno(errno);
        goto fail_open;
    }
    if (ntab_grow(vol)) {
        err = BOXFS_E_NOMEM;
        goto fail_open;
    }
    vol->dev = (uint64_t)st.st_dev;
    vol->flags = opts ? opts->flags : 0;
    if (opts) {
        vol->policy = opts->policy;
        vol->policy_ctx = opts->policy_ctx;
        vol->completed = opts->completed;
        vol->completed_ctx = opts->completed_ctx;
    }
    vol->epoch = __atomic_add_fetch(&epoch_base, (uint64_t)1 << 40, __ATOMIC_RELAXED);
    if (!(vol->flags & BOXFS_VOL_NO_INOTIFY)) {
        vol->ifd = ifd_get();
        if (vol->ifd < 0)
            PB_DEBUG(PB_CH_FS, "fs: no inotify (%s); directories will be rescanned",
                     strerror(errno));
    }
    vol->root->fd = vol->rootfd;
    vol->root->isdir = 1;
    vol->root->refs = 1;
    vol->root->ino = (uint64_t)st.st_ino;
    vol->root->dev = vol->dev;
    vol->root->dc.wd = -1;
    pthread_mutex_init(&vol->lock, NULL);
    PB_DEBUG(PB_CH_FS, "fs: volume '%s' open", backing_dir);
    *out = vol;
    return 0;
fail_open:
    close(vol->rootfd);
fail_alloc:
    free(vol->ntab);
    free(vol->root);
    free(vol->dir);
    free(vol);
    return err;
}

void boxfs_volume_close(boxfs *vol)
{
    if (!vol)
        return;
    if (vol->mounted && vol->inval.ctx) /* a mount still serving this volume */
        boxfs_mount_stop(vol->inval.ctx);
    while (vol->open_head)
        boxfs_close(vol->open_head);
    /* tear every node down, children and parents alike (a mount must be
     * stopped first; its lookup references are dropped here) */
    while (vol->all_head) {
        boxfs_node *n = vol->all_head;
        all_unlink(vol, n);
        node_close_fd(vol, n);
        dc_free(vol, n);
        for (int k = 0; k < n->nknames; k++)
            free(n->knames[k]);
        free(n->name);
        free(n);
    }
    dc_free(vol, vol->root); /* every watch is removed now */
    if (vol->ifd >= 0)
        ifd_put(vol->ifd);
    close(vol->rootfd);
    pthread_mutex_destroy(&vol->lock);
    free(vol->wtab);
    free(vol->wkeys);
    free(vol->ntab);
    free(vol->root);
    free(vol->dir);
    free(vol);
}

const char *boxfs_volume_dir(const boxfs *vol)
{
    return vol ? vol->dir : NULL;
}

void boxfs_volume_set_policy(boxfs *vol, boxfs_policy_fn policy, void *ctx)
{
    if (!vol)
        return;
    boxfs_lock(vol);
    vol->policy = policy;
    vol->policy_ctx = ctx;
    boxfs_unlock(vol);
}

void boxfs_volume_set_completed(boxfs *vol, boxfs_completed_fn completed, void *ctx)
{
    if (!vol)
        return;
    boxfs_lock(vol);
    vol->completed = completed;
    vol->completed_ctx = ctx;
    boxfs_unlock(vol);
}

/* ---- the skeleton ---- */

static const char *const skeleton[] = {
    "Windows/INF",
    "Windows/Temp",
    "Windows/ServiceState",
    "Windows/System32/DriverStore/FileRepository",
    "Windows/System32/drivers/DriverData",
    "Windows/System32/DriverState/Devices",
    "ProgramData",
    "Users/Default/AppData/Local/Temp",
};

/* Walk (creating) one skeleton path, under the lock. */
static int skeleton_path(boxfs *vol, const char *path)
{
    boxfs_pathv pv;
    boxfs_node *cur = vol->root;
    int err = boxfs_path_parse(path, 0, &pv);
    if (err)
        return err;
    boxfs_node_ref(vol, cur);
    for (size_t i = 0; i < pv.n && !err; i++) {
        boxfs_dent *e;
        boxfs_node *child;
        int fd;
        if ((err = boxfs_dir_prepare(vol, cur)))
            break;
        e = boxfs_dir_find(vol, cur, pv.comp[i]);
        if (!e) {
            struct stat st;
            if ((err = boxfs_node_fd(vol, cur, &fd)))
                break;
            if (!mkdirat(fd, pv.comp[i], 0755)) {
                boxfs_dir_expect(vol, cur, pv.comp[i], 1);
            } else if (errno != EEXIST) {
                err = boxfs_from_errno(errno);
                break;
            }
            if (fstatat(fd, pv.comp[i], &st, AT_SYMLINK_NOFOLLOW)) {
                err = boxfs_from_errno(errno);
                break;
            }
            boxfs_dir_added(vol, cur, pv.comp[i], type_of_mode(st.st_mode), (uint64_t)st.st_ino);
            boxfs_inval_node(vol, cur);
            e = boxfs_dir_find(vol, cur, pv.comp[i]);
            if (!e) {
                err = BOXFS_E_IO;
                break;
            }
        }
        if (e->type != BOXFS_DT_DIR) {
            err = e->type == BOXFS_DT_OTHER ? BOXFS_E_SYMLINK : BOXFS_E_NOTDIR;
            break;
        }
        child = boxfs_node_child(vol, cur, e);
        if (!child) {
            err = BOXFS_E_NOMEM;
            break;
        }
        boxfs_node_put(vol, cur);
        cur = child;
    }
    boxfs_node_put(vol, cur);
    boxfs_pathv_free(&pv);
    return err;
}

/* Nothing but "." and ".." in the directory (1), something else (0), or an error. */
static int dir_is_empty(int fd)
{
    char buf[2048] __attribute__((aligned(__alignof__(struct dirent64))));
    int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), empty = 1;
    if (dfd < 0)
        return boxfs_from_errno(errno);
    for (;;) {
        ssize_t r = getdents64(dfd, buf, sizeof buf);
        if (r <= 0) {
            if (r < 0)
                empty = boxfs_from_errno(errno);
            break;
        }
        for (ssize_t off = 0; off < r && empty == 1;) {
            const struct dirent64 *de = (const struct dirent64 *)(buf + off);
            const char *nm = de->d_name;
            off += de->d_reclen;
            if (!(nm[0] == '.' && (!nm[1] || (nm[1] == '.' && !nm[2]))))
                empty = 0;
        }
        if (empty != 1)
            break;
    }
    close(dfd);
    return empty;
}

/*
 * The skeleton of a brand-new volume (nothing looked up yet and an empty
 * backing directory: a fresh embedded machine, a machine directory's first
 * open) is made with plain mkdirat: nothing is scanned, cached or watched,
 * so each directory is loaded on first use (watched, then read) like any
 * other.  skeleton_path scans every directory it makes, some ten system
 * calls each, for directories a test may never touch.  Each level is made
 * by its path below the root, with no descriptor per level: the root was
 * empty and every level on the way was made just before by this function
 * (a process of the same user racing to swap one for a symlink could move
 * where a directory lands, as it could with the volume's files anyway).
 * 1 if done, 0 if the volume is not brand-new (the caller walks), or an
 * error as skeleton_path gives it.  Under the lock.
 */
static int skeleton_fresh(boxfs *vol)
{
    char made[64][64]; /* prefixes made so far */
    size_t nmade = 0;
    int err;
    if (vol->root->dc.valid || vol->all_head || (err = dir_is_empty(vol->rootfd)) == 0)
        return 0;
    if (err < 0)
        return err;
    err = 0;
    for (size_t i = 0; i < sizeof skeleton / sizeof skeleton[0] && !err; i++) {
        char path[64];
        size_t len = strlen(skeleton[i]);
        if (len >= sizeof path)
            return BOXFS_E_NAMETOOLONG;
        memcpy(path, skeleton[i], len + 1);
        for (size_t end = 0; end <= len && !err; end++) {
            if (path[end] != '/' && path[end] != 0)
                continue;
            char c = path[end];
            path[end] = 0;
            int seen = 0;
            for (size_t k = 0; k < nmade && !seen; k++)
                seen = !strcmp(made[k], path);
            if (!seen) {
                if (mkdirat(vol->rootfd, path, 0755) == 0) {
                    if (nmade < sizeof made / sizeof made[0])
                        snprintf(made[nmade++], sizeof made[0], "%s", path);
                } else if (errno != EEXIST) {
                    err = boxfs_from_errno(errno);
                } else { /* made meanwhile by someone else: it must be a directory (as skeleton_path says) */
                    struct stat st;
                    if (fstatat(vol->rootfd, path, &st, AT_SYMLINK_NOFOLLOW))
                        err = boxfs_from_errno(errno);
                    else if (!S_ISDIR(st.st_mode))
                        err = S_ISREG(st.st_mode) ? BOXFS_E_NOTDIR : BOXFS_E_SYMLINK;
                }
            }
            path[end] = c;
        }
    }
    boxfs_inval_node(vol, vol->root);
    return err ? err : 1;
}

int boxfs_volume_skeleton(boxfs *vol)
{
    int err = 0;
    if (!vol)
        return BOXFS_E_INVAL;
    boxfs_lock(vol);
    err = skeleton_fresh(vol);
    for (size_t i = 0; err == 0 && i < sizeof skeleton / sizeof skeleton[0] && !err; i++)
        err = skeleton_path(vol, skeleton[i]);
    boxfs_unlock(vol);
    return err < 0 ? err : 0;
}

int boxfs_machine_open(const char *machine_dir, const boxfs_volume_opts *opts, boxfs **out)
{
    boxfs_volume_opts o = {0};
    char *dir;
    boxfs *vol;
    int err;
    if (!machine_dir || !*machine_dir || !out)
        return BOXFS_E_INVAL;
    if ((err = mkdir_p(machine_dir)))
        return err;
    if (asprintf(&dir, "%s/volume", machine_dir) < 0)
        return BOXFS_E_NOMEM;
    if (opts)
        o = *opts;
    o.flags |= BOXFS_VOL_CREATE;
    err = boxfs_volume_open(dir, &o, &vol);
    free(dir);
    if (err)
        return err;
    if ((err = boxfs_volume_skeleton(vol))) {
        boxfs_volume_close(vol);
        return err;
    }
    *out = vol;
    return 0;
}
