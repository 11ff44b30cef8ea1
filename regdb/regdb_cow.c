/*
 * regdb_cow.c: a copy-on-write, in-memory SQLite VFS for snapshot clones.
 *
 * A clone of a snapshot must be cheap (per-test fresh machines; issue 2
 * asks <= 100 us for a ~5,000-key template).  Copying the whole database
 * image costs a page fault per 4 KiB, so instead a clone's main database
 * file reads the snapshot's (shared, read-only) image and copies a chunk
 * only when it is first written.  Every other file SQLite opens (rollback
 * and statement journals) is a private growable buffer.  Nothing touches
 * the host file system, so there are no locks and nothing to sync.
 *
 * The snapshot image is reference-counted: each open clone holds a
 * reference, so the snapshot may be freed before its clones close.
 *
 * Recycling.  Opening a connection, loading its schema and preparing
 * regdb's statements cost more than everything else a fresh clone does, so
 * a closed clone is kept (a few per image) and handed to the next
 * regdb_snapshot_clone after its file is rewound to the image.  Why the
 * rewound connection is indistinguishable from a new one:
 *   - the file: every written chunk is dropped and the size restored, so
 *     it reads byte for byte as the image again;
 *   - SQLite's page cache: a connection keeps no lock and no read
 *     transaction between calls (regdb resets every statement, and
 *     regdb_close recycles only a connection with no transaction and no
 *     busy or foreign statement), so its next transaction takes a shared
 *     lock and the pager compares the 16 bytes at offset 24 of the file
 *     (file change counter, page count, freelist) with the copy it kept,
 *     dropping the whole cache when they differ.  This is SQLite's own
 *     check for a file changed by another process.  Every commit bumps the
 *     change counter, so a file that was written differs from the image
 *     there, except after a multiple of 2^32 commits: such a clone is
 *     closed, not recycled (regdb__cow_rewind checks the bytes).  An
 *     unwritten file still is the image, and the cache matches it;
 *   - the parsed schema: a connection parses the schema once and checks
 *     the schema cookie (offset 40) only when a statement runs, so a
 *     statement preparing against a table of the previous life would
 *     compile.  A clone whose cookie is not the image's (its schema
 *     changed) is therefore closed, not recycled; an equal cookie means an
 *     unchanged schema (every schema change bumps it; wrapping would take
 *     2^32 of them in one clone);
 *   - regdb's own state (hooks, transaction depth, cursors, messages,
 *     close callbacks) is reset by regdb_close before the clone is kept.
 * What regdb cannot see is a change to the connection itself made through
 * regdb_sqlite() (functions, collations, pragmas); regdb.h forbids it.
 */
#include "regdb/regdb_int.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COW_CHUNK 4096u
#define COW_POOL_MAX 4 /* closed clones kept per image */

struct cow_image {
    unsigned char *data; /* sqlite3_malloc'd image */
    size_t len;
    int refs;            /* atomic */
    pthread_mutex_t lock; /* guards the pool */
    regdb *idle[COW_POOL_MAX];
    int nidle;
    int draining;        /* the snapshot is gone: recycle nothing more */
};

typedef struct cow_file {
    sqlite3_file base;
    struct cow_image *img; /* main database only; NULL for private files */
    size_t img_valid;      /* bytes of the image still visible (shrinks on truncate) */
    unsigned char **chunks;/* written chunks (main database) */
    size_t nchunks;
    unsigned char *buf;    /* private files: contents */
    size_t cap;
    size_t size;           /* logical file size */
} cow_file;

static sqlite3_vfs cow_vfs;
static int cow_registered;

struct cow_image *regdb__cow_image_new(unsigned char *data, size_t len)
{
    struct cow_image *im = malloc(sizeof *im);
    if (!im)
        return NULL;
    im->data = data;
    im->len = len;
    im->refs = 1;
    im->nidle = 0;
    im->draining = 0;
    pthread_mutex_init(&im->lock, NULL);
    return im;
}

void regdb__cow_image_ref(struct cow_image *im) { __atomic_add_fetch(&im->refs, 1, __ATOMIC_RELAXED); }

void regdb__cow_image_unref(struct cow_image *im)
{
    if (im && __atomic_sub_fetch(&im->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        pthread_mutex_destroy(&im->lock);
        sqlite3_free(im->data);
        free(im);
    }
}

const unsigned char *regdb__cow_image_data(const struct cow_image *im, size_t *len)
{
    *len = im->len;
    return im->data;
}

/* ---- io methods ---- */

static int cow_close(sqlite3_file *f)
{
    cow_file *c = (cow_file *)f;
    for (size_t i = 0; i < c->nchunks; i++)
        free(c->chunks[i]);
    free(c->chunks);
    free(c->buf);
    regdb__cow_image_unref(c->img);
    return SQLITE_OK;
}

/* The bytes of chunk i as they read now (NULL = zeros beyond the image). */
static const unsigned char *chunk_src(cow_file *c, size_t i, size_t *avail)
{
    if (i < c->nchunks && c->chunks[i]) {
        *avail = COW_CHUNK;
        return c->chunks[i];
    }
    size_t off = i * COW_CHUNK;
    if (off < c->img_valid) {
        size_t n = c->img_valid - off;
        *avail = n < COW_CHUNK ? n : COW_CHUNK;
        return c->img->data + off;
    }
    *avail = 0;
    return NULL;
}

static int cow_read(sqlite3_file *f, void *out, int amt, sqlite3_int64 ofs)
{
    cow_file *c = (cow_file *)f;
    unsigned char *o = out;
    size_t off = (size_t)ofs, n = (size_t)amt;
    if (!c->img) {
        size_t have = off < c->size ? c->size - off : 0;
        size_t take = have < n ? have : n;
        if (take)
            memcpy(o, c->buf + off, take);
        if (take < n) {
            memset(o + take, 0, n - take);
            return SQLITE_IOERR_SHORT_READ;
        }
        return SQLITE_OK;
    }
    size_t done = 0;
    while (done < n) {
        size_t pos = off + done;
        size_t ci = pos / COW_CHUNK, co = pos % COW_CHUNK;
        size_t want = COW_CHUNK - co;
        if (want > n - done)
            want = n - done;
        size_t got = 0;
        if (pos < c->size) {
            size_t lim = c->size - pos, avail;
            const unsigned char *src = chunk_src(c, ci, &avail);
            if (src && co < avail) {
                got = avail - co;
                if (got > want)
                    got = want;
                if (got > lim)
                    got = lim;
                memcpy(o + done, src + co, got);
            }
        }
        if (got < want)
            memset(o + done + got, 0, want - got);
        done += want;
    }
    return off + n > c->size ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
}

static int ensure_chunks(cow_file *c, size_t n)
{
    if (n <= c->nchunks)
        return 0;
    size_t cap = c->nchunks ? c->nchunks : 64;
    while (cap < n)
        cap *= 2;
    unsigned char **p = realloc(c->chunks, cap * sizeof *p);
    if (!p)
        return -1;
    memset(p + c->nchunks, 0, (cap - c->nchunks) * sizeof *p);
    c->chunks = p;
    c->nchunks = cap;
    return 0;
}

static int cow_write(sqlite3_file *f, const void *in, int amt, sqlite3_int64 ofs)
{
    cow_file *c = (cow_file *)f;
    const unsigned char *s = in;
    size_t off = (size_t)ofs, n = (size_t)amt;
    if (!c->img) {
        if (off + n > c->cap) {
            size_t cap = c->cap ? c->cap : 4096;
            while (cap < off + n)
                cap *= 2;
            unsigned char *b = realloc(c->buf, cap);
            if (!b)
                return SQLITE_NOMEM;
            memset(b + c->cap, 0, cap - c->cap);
            c->buf = b;
            c->cap = cap;
        }
        /* A gap past the end reads as zeros, even in a buffer kept after a truncate. */
        if (off > c->size)
            memset(c->buf + c->size, 0, off - c->size);
        memcpy(c->buf + off, s, n);
        if (off + n > c->size)
            c->size = off + n;
        return SQLITE_OK;
    }
    if (ensure_chunks(c, (off + n + COW_CHUNK - 1) / COW_CHUNK) < 0)
        return SQLITE_NOMEM;
    size_t done = 0;
    while (done < n) {
        size_t pos = off + done;
        size_t ci = pos / COW_CHUNK, co = pos % COW_CHUNK;
        size_t want = COW_CHUNK - co;
        if (want > n - done)
            want = n - done;
        if (!c->chunks[ci]) {
            unsigned char *p = malloc(COW_CHUNK);
            if (!p)
                return SQLITE_NOMEM;
            size_t avail = 0;
            const unsigned char *src = ci * COW_CHUNK < c->size ? chunk_src(c, ci, &avail) : NULL;
            /* Bytes past the logical end read as zeros even if the image had data there. */
            size_t live = ci * COW_CHUNK < c->size ? c->size - ci * COW_CHUNK : 0;
            if (avail > live)
                avail = live;
            if (src && avail)
                memcpy(p, src, avail);
            memset(p + avail, 0, COW_CHUNK - avail);
            c->chunks[ci] = p;
        }
        memcpy(c->chunks[ci] + co, s + done, want);
        done += want;
    }
    if (off + n > c->size)
        c->size = off + n;
    return SQLITE_OK;
}

/* A private file truncated to nothing keeps a buffer up to this size for reuse. */
#define COW_KEEP_BYTES (256u << 10)

static int cow_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    cow_file *c = (cow_file *)f;
    size_t sz = (size_t)size;
    if (sz < c->size)
        c->size = sz;
    if (!c->img && sz == 0 && c->cap > COW_KEEP_BYTES) {
        free(c->buf);
        c->buf = NULL;
        c->cap = 0;
    }
    if (c->img) {
        if (c->img_valid > sz)
            c->img_valid = sz;
        for (size_t i = (sz + COW_CHUNK - 1) / COW_CHUNK; i < c->nchunks; i++) {
            free(c->chunks[i]);
            c->chunks[i] = NULL;
        }
        /* The tail of a partly kept chunk must read as zeros if the file grows again. */
        size_t ci = sz / COW_CHUNK, co = sz % COW_CHUNK;
        if (co && ci < c->nchunks && c->chunks[ci])
            memset(c->chunks[ci] + co, 0, COW_CHUNK - co);
    }
    return SQLITE_OK;
}

static int cow_sync(sqlite3_file *f, int flags)
{
    (void)f, (void)flags;
    return SQLITE_OK;
}

static int cow_size(sqlite3_file *f, sqlite3_int64 *out)
{
    *out = (sqlite3_int64)((cow_file *)f)->size;
    return SQLITE_OK;
}

static int cow_lock(sqlite3_file *f, int l)
{
    (void)f, (void)l;
    return SQLITE_OK;
}

static int cow_check_lock(sqlite3_file *f, int *out)
{
    (void)f;
    *out = 0;
    return SQLITE_OK;
}

static int cow_fcntl(sqlite3_file *f, int op, void *arg)
{
    (void)f, (void)op, (void)arg;
    return SQLITE_NOTFOUND;
}

static int cow_sector(sqlite3_file *f)
{
    (void)f;
    return (int)COW_CHUNK;
}

static int cow_devchar(sqlite3_file *f)
{
    (void)f;
    /* UNDELETABLE_WHEN_OPEN: with journal_mode=TRUNCATE the pager then keeps
     * the journal open between transactions (regdb_snapshot_clone). */
    return SQLITE_IOCAP_ATOMIC | SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL |
           SQLITE_IOCAP_POWERSAFE_OVERWRITE | SQLITE_IOCAP_UNDELETABLE_WHEN_OPEN;
}

static const sqlite3_io_methods cow_io = {
    1, cow_close, cow_read, cow_write, cow_truncate, cow_sync, cow_size, cow_lock, cow_lock,
    cow_check_lock, cow_fcntl, cow_sector, cow_devchar,
};

/* ---- vfs ---- */

static int cow_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)vfs;
    cow_file *c = (cow_file *)f;
    memset(c, 0, sizeof *c);
    if (flags & SQLITE_OPEN_MAIN_DB) {
        const char *p = name ? sqlite3_uri_parameter(name, "img") : NULL;
        uintptr_t ptr = 0;
        if (!p || sscanf(p, "%" SCNxPTR, &ptr) != 1 || !ptr)
            return SQLITE_CANTOPEN;
        c->img = (struct cow_image *)ptr;
        regdb__cow_image_ref(c->img);
        c->size = c->img_valid = c->img->len;
    }
    if (out)
        *out = flags;
    c->base.pMethods = &cow_io;
    return SQLITE_OK;
}

/* Private files vanish on close, so there is never anything to delete or find. */
static int cow_delete(sqlite3_vfs *v, const char *n, int sync)
{
    (void)v, (void)n, (void)sync;
    return SQLITE_OK;
}

static int cow_access(sqlite3_vfs *v, const char *n, int flags, int *out)
{
    (void)v, (void)n, (void)flags;
    *out = 0;
    return SQLITE_OK;
}

static int cow_fullpath(sqlite3_vfs *v, const char *n, int sz, char *out)
{
    (void)v;
    snprintf(out, (size_t)sz, "%s", n);
    return SQLITE_OK;
}

static int cow_random(sqlite3_vfs *v, int n, char *out)
{
    sqlite3_vfs *d = (sqlite3_vfs *)v->pAppData;
    return d->xRandomness(d, n, out);
}

static int cow_sleep(sqlite3_vfs *v, int us)
{
    sqlite3_vfs *d = (sqlite3_vfs *)v->pAppData;
    return d->xSleep(d, us);
}

static int cow_time(sqlite3_vfs *v, double *t)
{
    sqlite3_vfs *d = (sqlite3_vfs *)v->pAppData;
    return d->xCurrentTime(d, t);
}

static int cow_lasterr(sqlite3_vfs *v, int n, char *out)
{
    (void)v, (void)n, (void)out;
    return 0;
}

static void register_vfs(void)
{
    cow_vfs.iVersion = 1;
    cow_vfs.szOsFile = (int)sizeof(cow_file);
    cow_vfs.mxPathname = 512;
    cow_vfs.zName = "pnpbox-cow";
    cow_vfs.pAppData = sqlite3_vfs_find(NULL);
    cow_vfs.xOpen = cow_open;
    cow_vfs.xDelete = cow_delete;
    cow_vfs.xAccess = cow_access;
    cow_vfs.xFullPathname = cow_fullpath;
    cow_vfs.xRandomness = cow_random;
    cow_vfs.xSleep = cow_sleep;
    cow_vfs.xCurrentTime = cow_time;
    cow_vfs.xGetLastError = cow_lasterr;
    if (sqlite3_vfs_register(&cow_vfs, 0) == SQLITE_OK)
        cow_registered = 1;
}

int regdb__cow_open(struct cow_image *im, sqlite3 **out)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_vfs);
    if (!cow_registered)
        return SQLITE_ERROR;
    char uri[96];
    static unsigned long counter;
    unsigned long n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    snprintf(uri, sizeof uri, "file:/pnpbox-clone-%lu?img=%" PRIxPTR, n, (uintptr_t)im);
    return sqlite3_open_v2(uri, out,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                           "pnpbox-cow");
}

/* ---- recycling (see the top of the file) ---- */

int regdb__cow_rewind(struct cow_image *im, sqlite3 *db)
{
    sqlite3_file *f = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f ||
        f->pMethods != &cow_io)
        return -1;
    cow_file *c = (cow_file *)f;
    if (c->img != im)
        return -1;
    int written = c->size != im->len || c->img_valid != im->len;
    for (size_t i = 0; !written && i < c->nchunks; i++)
        written = c->chunks[i] != NULL;
    if (written) {
        /* The pager notices the rewind only if bytes 24..39 differ from what it
         * saw last; the parsed schema is the image's only if the cookie (40..43)
         * is the image's. */
        unsigned char now[20];
        if (im->len < 44 || cow_read(f, now, 20, 24) != SQLITE_OK || !memcmp(now, im->data + 24, 16) ||
            memcmp(now + 16, im->data + 40, 4))
            return -1;
    }
    for (size_t i = 0; i < c->nchunks; i++) {
        free(c->chunks[i]);
        c->chunks[i] = NULL;
    }
    c->size = c->img_valid = im->len;
    return 0;
}

int regdb__cow_put(struct cow_image *im, regdb *db)
{
    int rc = -1;
    pthread_mutex_lock(&im->lock);
    if (!im->draining && im->nidle < COW_POOL_MAX) {
        im->idle[im->nidle++] = db;
        rc = 0;
    }
    pthread_mutex_unlock(&im->lock);
    return rc;
}

regdb *regdb__cow_take(struct cow_image *im)
{
    regdb *db = NULL;
    pthread_mutex_lock(&im->lock);
    if (im->nidle)
        db = im->idle[--im->nidle];
    pthread_mutex_unlock(&im->lock);
    return db;
}

regdb *regdb__cow_drain(struct cow_image *im)
{
    pthread_mutex_lock(&im->lock);
    im->draining = 1;
    regdb *db = im->nidle ? im->idle[--im->nidle] : NULL;
    pthread_mutex_unlock(&im->lock);
    return db;
}
