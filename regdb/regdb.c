/*
 * regdb.c: the registry store on SQLite (contract in regdb.h).
 *
 * Schema (version 1):
 *   keys(id, parent, uname, name, flags, class, mtime)
 *     uname = the name upcased with Windows' table, as UTF-16BE bytes, so
 *     that SQLite's memcmp order on the (parent, uname) index is Windows'
 *     subkey order (uppercased, by code unit).  name = stored case, LE.
 *   vals(key, uname, name, seq, type, data) WITHOUT ROWID, keyed on
 *     (key, uname); seq gives creation order and survives overwrites.
 * PRAGMA application_id marks a pnpbox registry, user_version the schema.
 *
 * Every public write runs inside a transaction (BEGIN IMMEDIATE at depth
 * 0, a savepoint inside a caller's transaction) so that a failure leaves
 * nothing half-done.  Results are copied into regdb-owned buffers and
 * statements are reset before returning, so no read transaction is held
 * between calls.
 */
#include "regdb/regdb_int.h"

#include "base/pb_log.h"
#include "base/pb_utf16.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const stmt_sql[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT r",
    [ST_RELEASE] = "RELEASE r",
    [ST_ROLLBACK_TO] = "ROLLBACK TO r",
    [ST_LOOKUP] = "SELECT id, flags, name FROM keys WHERE parent=?1 AND uname=?2",
    [ST_KEY_GET] = "SELECT parent, name, class, flags, mtime FROM keys WHERE id=?1",
    [ST_KEY_INSERT] = "INSERT INTO keys(parent, uname, name, flags, class, mtime) VALUES(?1,?2,?3,?4,?5,?6)",
    [ST_KEY_TOUCH] = "UPDATE keys SET mtime=?2 WHERE id=?1",
    [ST_KEY_DELETE] = "DELETE FROM keys WHERE id=?1",
    [ST_KEY_HASCHILD] = "SELECT 1 FROM keys WHERE parent=?1 LIMIT 1",
    [ST_KEY_COUNTS] = "SELECT count(*), max(length(name)), max(length(class)) FROM keys WHERE parent=?1",
    [ST_KEY_ENUM_AFTER] = "SELECT id, name, class, mtime, uname FROM keys WHERE parent=?1 AND uname>?2 "
                          "ORDER BY uname LIMIT 1",
    [ST_KEY_ENUM_AT] = "SELECT id, name, class, mtime, uname FROM keys WHERE parent=?1 "
                       "ORDER BY uname LIMIT 1 OFFSET ?2",
    [ST_VAL_GET] = "SELECT type, data, name FROM vals WHERE key=?1 AND uname=?2",
    [ST_VAL_UPSERT] = "INSERT INTO vals(key, uname, name, seq, type, data) VALUES(?1, ?2, ?3, "
                      "(SELECT coalesce(max(seq), 0) + 1 FROM vals WHERE key=?1), ?4, ?5) "
                      "ON CONFLICT(key, uname) DO UPDATE SET type=excluded.type, data=excluded.data",
    [ST_VAL_DELETE] = "DELETE FROM vals WHERE key=?1 AND uname=?2",
    [ST_VAL_DELETE_KEY] = "DELETE FROM vals WHERE key=?1",
    [ST_VAL_COUNTS] = "SELECT count(*), max(length(name)), max(length(data)) FROM vals WHERE key=?1",
    [ST_VAL_ENUM_AFTER] = "SELECT name, type, data, seq FROM vals WHERE key=?1 AND seq>?2 ORDER BY seq LIMIT 1",
    [ST_VAL_ENUM_AT] = "SELECT name, type, data, seq FROM vals WHERE key=?1 ORDER BY seq LIMIT 1 OFFSET ?2",
    [ST_TREE_VALS] = "WITH RECURSIVE t(id) AS (SELECT ?1 UNION ALL SELECT k.id FROM keys k JOIN t ON k.parent=t.id) "
                     "DELETE FROM vals WHERE key IN t",
    [ST_TREE_KEYS] = "WITH RECURSIVE t(id) AS (SELECT ?1 UNION ALL SELECT k.id FROM keys k JOIN t ON k.parent=t.id) "
                     "DELETE FROM keys WHERE id IN t",
    [ST_TREE_IDS] = "WITH RECURSIVE t(id) AS (SELECT ?1 UNION ALL SELECT k.id FROM keys k JOIN t ON k.parent=t.id) "
                    "SELECT id FROM t",
    [ST_KEY_SET_MTIME] = "UPDATE keys SET mtime=?2 WHERE id=?1",
};

static const char schema_sql[] =
    "CREATE TABLE keys("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " parent INTEGER NOT NULL,"
    " uname BLOB NOT NULL,"
    " name BLOB NOT NULL,"
    " flags INTEGER NOT NULL DEFAULT 0,"
    " class BLOB,"
    " mtime INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX keys_by_name ON keys(parent, uname);"
    "CREATE TABLE vals("
    " key INTEGER NOT NULL,"
    " uname BLOB NOT NULL,"
    " name BLOB NOT NULL,"
    " seq INTEGER NOT NULL,"
    " type INTEGER NOT NULL,"
    " data BLOB NOT NULL,"
    " PRIMARY KEY(key, uname)) WITHOUT ROWID;"
    "CREATE INDEX vals_by_seq ON vals(key, seq);";

/* ---------------------------------------------------------------- errors */

const char *regdb_strerror(int err)
{
    switch (err) {
    case REGDB_OK: return "success";
    case REGDB_E_NOMEM: return "out of memory";
    case REGDB_E_INVAL: return "invalid argument or name";
    case REGDB_E_NOTFOUND: return "not found";
    case REGDB_E_EXISTS: return "already exists";
    case REGDB_E_NOTEMPTY: return "key has subkeys";
    case REGDB_E_TOOLONG: return "name too long";
    case REGDB_E_DELETED: return "key has been deleted";
    case REGDB_E_IO: return "storage error";
    case REGDB_E_BUSY: return "registry is locked by another process";
    case REGDB_E_NOTREGISTRY: return "not a pnpbox registry";
    case REGDB_E_VERSION: return "unsupported registry schema version";
    case REGDB_E_VOLATILE: return "cannot create a non-volatile key under a volatile key";
    case REGDB_E_LOOP: return "too many or broken symbolic links";
    case REGDB_E_FORMAT: return "malformed input";
    case REGDB_E_READONLY: return "registry is read-only";
    case REGDB_E_TYPE: return "value has an unexpected type";
    case REGDB_E_RANGE: return "buffer too small";
    case REGDB_E_TXN: return "no transaction in progress";
    default: return "unknown error";
    }
}

const char *regdb_errmsg(regdb *db) { return db ? db->errmsg : "no registry"; }

void regdb__set_err(regdb *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
    va_end(ap);
}

static int map_sqlite(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE: return 0;
    case SQLITE_NOMEM: return REGDB_E_NOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return REGDB_E_BUSY;
    case SQLITE_READONLY: return REGDB_E_READONLY;
    case SQLITE_NOTADB: return REGDB_E_NOTREGISTRY;
    case SQLITE_TOOBIG: return REGDB_E_TOOLONG;
    case SQLITE_CONSTRAINT: return REGDB_E_EXISTS;
    default: return REGDB_E_IO;
    }
}

int regdb__sqlerr(regdb *db, int rc, const char *what)
{
    int e = map_sqlite(rc);
    regdb__set_err(db, "%s: %s", what, db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
    PB_DEBUG(PB_CH_REGDB, "%s", db->errmsg);
    return e ? e : REGDB_E_IO;
}

/* ---------------------------------------------------------------- statements */

static sqlite3_stmt *stmt(regdb *db, enum regdb_stmt_id id)
{
    sqlite3_stmt *s = db->st[id];
    if (!s) {
        int rc = sqlite3_prepare_v3(db->sql, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
        if (rc != SQLITE_OK) {
            regdb__sqlerr(db, rc, "cannot prepare statement");
            return NULL;
        }
        db->st[id] = s;
    }
    return s;
}

/* Run a statement that returns no rows; resets it. */
static int exec_stmt(regdb *db, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return regdb__sqlerr(db, rc, what);
    return 0;
}

static int exec_id(regdb *db, enum regdb_stmt_id id, const char *what)
{
    sqlite3_stmt *s = stmt(db, id);
    if (!s)
        return REGDB_E_IO;
    return exec_stmt(db, s, what);
}

/* ---------------------------------------------------------------- buffers */

static int grow(unsigned char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    unsigned char *p = realloc(*buf, n);
    if (!p)
        return REGDB_E_NOMEM;
    *buf = p;
    *cap = n;
    return 0;
}

/* Upcase a name into db->ubuf as UTF-16BE bytes. */
static int uname_of(regdb *db, const uint16_t *name, size_t n, const unsigned char **out)
{
    if (grow(&db->ubuf, &db->ubuf_cap, n * 2 + 2) < 0)
        return REGDB_E_NOMEM;
    unsigned char *u = db->ubuf;
    for (size_t i = 0; i < n; i++) {
        uint16_t c = pb_upcase(name[i]);
        u[2 * i] = (unsigned char)(c >> 8);
        u[2 * i + 1] = (unsigned char)c;
    }
    *out = u;
    return 0;
}

static int copy_out(unsigned char **buf, size_t *cap, const void *p, size_t n, const void **out)
{
    if (grow(buf, cap, n + 2) < 0)
        return REGDB_E_NOMEM;
    if (n)
        memcpy(*buf, p, n);
    (*buf)[n] = 0;
    (*buf)[n + 1] = 0;
    *out = *buf;
    return 0;
}

/* ---------------------------------------------------------------- look-up cache (regdb_int.h) */

static void lcache_clear(regdb *db) { db->lgen++; }

static regdb_lslot *lcache_slot(regdb *db, regdb_key parent, const unsigned char *u, size_t nb)
{
    if (db->is_file || nb > REGDB_LCACHE_NAME)
        return NULL;
    if (!db->lcache && !(db->lcache = calloc(REGDB_LCACHE_SLOTS, sizeof *db->lcache)))
        return NULL;
    uint64_t h = 14695981039346656037ull ^ (uint64_t)parent;
    for (size_t i = 0; i < nb; i++)
        h = (h ^ u[i]) * 1099511628211ull;
    return &db->lcache[(h ^ (h >> 29)) & (REGDB_LCACHE_SLOTS - 1)];
}

static void lcache_put(regdb *db, regdb_key parent, const unsigned char *u, size_t nb, regdb_key id, unsigned flags)
{
    regdb_lslot *e = lcache_slot(db, parent, u, nb);
    if (!e)
        return;
    e->gen = db->lgen;
    e->parent = parent;
    e->id = id;
    e->flags = flags;
    e->ulen = (uint16_t)nb;
    memcpy(e->uname, u, nb);
}

/* The key cache slot for id (regdb_int.h), or NULL for a file store. */
static regdb_kslot *kcache_slot(regdb *db, regdb_key id)
{
    if (db->is_file || id <= 0)
        return NULL;
    if (!db->kcache && !(db->kcache = calloc(REGDB_KCACHE_SLOTS, sizeof *db->kcache)))
        return NULL;
    return &db->kcache[(uint64_t)id & (REGDB_KCACHE_SLOTS - 1)];
}

static regdb_kslot *kcache_get(regdb *db, regdb_key id)
{
    regdb_kslot *e = db->kcache && !db->is_file && id > 0 ? &db->kcache[(uint64_t)id & (REGDB_KCACHE_SLOTS - 1)]
                                                           : NULL;
    return e && e->gen == db->lgen && e->id == id ? e : NULL;
}

/* name: the stored case, nb bytes. */
static void kcache_put(regdb *db, regdb_key id, regdb_key parent, unsigned flags, const void *name, size_t nb)
{
    regdb_kslot *e = kcache_slot(db, id);
    if (!e)
        return;
    e->gen = db->lgen;
    e->id = id;
    e->parent = parent;
    e->flags = flags;
    if (nb / 2 <= REGDB_KCACHE_NAME) {
        e->nlen = (uint16_t)(nb / 2);
        if (nb)
            memcpy(e->name, name, nb);
    } else {
        e->nlen = REGDB_KCACHE_NONAME;
    }
}

/* ---------------------------------------------------------------- time */

int64_t regdb_filetime_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* 11644473600 s between 1601-01-01 and 1970-01-01. */
    return ((int64_t)ts.tv_sec + 11644473600LL) * 10000000LL + ts.tv_nsec / 100;
}

/* ---------------------------------------------------------------- last-write times */

/*
 * Stamp key's last-write time with now; REGDB_E_DELETED if the key does not
 * exist.  Inside one transaction a key is stamped once: its later changes
 * in that transaction keep the first stamp, microseconds older (the
 * transaction's changes appear together when it commits).  That saves an
 * UPDATE per value when an install writes twenty values to a handful of
 * keys.  The set of stamped keys is forgotten at the end of the outermost
 * transaction, at any rollback, and when a key is deleted (lgen moves);
 * regdb_set_last_write takes its key out.
 */
static int touched(regdb *db, regdb_key key)
{
    if (db->depth == 0 || db->touched_lgen != db->lgen)
        return 0;
    for (int i = 0; i < db->ntouched; i++)
        if (db->touched[i] == key)
            return 1;
    return 0;
}

static void untouch_all(regdb *db) { db->ntouched = 0; }

static int touch(regdb *db, regdb_key key, int64_t now)
{
    if (touched(db, key))
        return 0;
    sqlite3_stmt *s = stmt(db, ST_KEY_TOUCH);
    if (!s)
        return REGDB_E_IO;
    sqlite3_bind_int64(s, 1, key);
    sqlite3_bind_int64(s, 2, now);
    int rc = exec_stmt(db, s, "cannot update key time");
    if (rc == 0 && sqlite3_changes(db->sql) == 0)
        rc = REGDB_E_DELETED;
    if (rc == 0 && db->depth > 0) {
        if (db->touched_lgen != db->lgen) {
            db->touched_lgen = db->lgen;
            db->ntouched = 0;
        }
        if (db->ntouched < (int)(sizeof db->touched / sizeof db->touched[0]))
            db->touched[db->ntouched++] = key;
    }
    return rc;
}

/* ---------------------------------------------------------------- transactions */

static void events_drop_to(regdb *db, int n)
{
    if (db->nevents > n)
        db->nevents = n;
}

static void fire_events(regdb *db)
{
    /* Hooks may trigger further changes (and events); take the queue first. */
    int n = db->nevents;
    if (!n)
        return;
    regdb_event *ev = db->events;
    db->events = NULL;
    db->nevents = db->events_cap = 0;
    for (int i = 0; i < n; i++) {
        for (int h = 0; h < db->nhooks; h++) {
            if (db->hooks[h].id == ev[i].hook_id) {
                regdb_hook hk = db->hooks[h];
                hk.fn(hk.ctx, ev[i].watched, ev[i].changed, ev[i].what);
                break;
            }
        }
    }
    free(ev);
}

static int push_sp(regdb *db)
{
    if (db->depth >= db->sp_cap) {
        int cap = db->sp_cap ? db->sp_cap * 2 : 8;
        int *p = realloc(db->sp_events, (size_t)cap * sizeof *p);
        if (!p)
            return REGDB_E_NOMEM;
        db->sp_events = p;
        db->sp_cap = cap;
    }
    db->sp_events[db->depth] = db->nevents;
    return 0;
}

int regdb_begin(regdb *db)
{
    if (!db)
        return REGDB_E_INVAL;
    if (push_sp(db) < 0)
        return REGDB_E_NOMEM;
    int rc = exec_id(db, db->depth == 0 ? ST_BEGIN : ST_SAVEPOINT, "cannot begin transaction");
    if (rc < 0)
        return rc;
    if (db->depth == 0)
        untouch_all(db);
    db->depth++;
    return 0;
}

int regdb_commit(regdb *db)
{
    if (!db)
        return REGDB_E_INVAL;
    if (db->depth == 0)
        return REGDB_E_TXN;
    if (db->depth == 1) {
        int rc = exec_id(db, ST_COMMIT, "cannot commit transaction");
        if (rc < 0) {
            /* A failed COMMIT (e.g. I/O) leaves SQLite's transaction open or rolled back; end it. */
            if (!sqlite3_get_autocommit(db->sql))
                exec_id(db, ST_ROLLBACK, "cannot roll back");
            db->depth = 0;
            events_drop_to(db, 0);
            db->gen++;
            lcache_clear(db);
            untouch_all(db);
            return rc;
        }
        db->depth = 0;
        untouch_all(db);
        fire_events(db);
        return 0;
    }
    int rc = exec_id(db, ST_RELEASE, "cannot release savepoint");
    if (rc < 0)
        return rc;
    db->depth--;
    return 0;
}

int regdb_rollback(regdb *db)
{
    if (!db)
        return REGDB_E_INVAL;
    if (db->depth == 0)
        return REGDB_E_TXN;
    db->gen++;
    lcache_clear(db); /* keys made in the undone part are gone */
    untouch_all(db);  /* and their times are back */
    if (db->depth == 1) {
        int rc = 0;
        if (!sqlite3_get_autocommit(db->sql))
            rc = exec_id(db, ST_ROLLBACK, "cannot roll back transaction");
        db->depth = 0;
        events_drop_to(db, 0);
        return rc;
    }
    int rc = exec_id(db, ST_ROLLBACK_TO, "cannot roll back to savepoint");
    if (rc == 0)
        rc = exec_id(db, ST_RELEASE, "cannot release savepoint");
    db->depth--;
    events_drop_to(db, db->sp_events[db->depth]);
    return rc;
}

int regdb_in_transaction(regdb *db) { return db && db->depth > 0; }

/* Internal write scope: every public write is atomic. */
static int wbegin(regdb *db)
{
    if (db->readonly) {
        regdb__set_err(db, "registry is read-only");
        return REGDB_E_READONLY;
    }
    return regdb_begin(db);
}

static int wend(regdb *db, int rc)
{
    db->gen++;
    if (rc < 0) {
        int r2 = regdb_rollback(db);
        (void)r2;
        return rc;
    }
    return regdb_commit(db);
}

/* ---------------------------------------------------------------- hooks */

int regdb_hook_add(regdb *db, regdb_key key, int subtree, unsigned filter, regdb_hook_fn fn, void *ctx,
                   int *id)
{
    if (!db || !fn || !filter)
        return REGDB_E_INVAL;
    int rc = regdb_key_check(db, key);
    if (rc < 0)
        return rc;
    if (db->nhooks == db->hooks_cap) {
        int cap = db->hooks_cap ? db->hooks_cap * 2 : 8;
        regdb_hook *h = realloc(db->hooks, (size_t)cap * sizeof *h);
        if (!h)
            return REGDB_E_NOMEM;
        db->hooks = h;
        db->hooks_cap = cap;
    }
    regdb_hook *h = &db->hooks[db->nhooks++];
    h->id = ++db->next_hook_id;
    h->key = key;
    h->subtree = subtree != 0;
    h->filter = filter;
    h->fn = fn;
    h->ctx = ctx;
    if (id)
        *id = h->id;
    return 0;
}

int regdb_hook_remove(regdb *db, int id)
{
    if (!db)
        return REGDB_E_INVAL;
    for (int i = 0; i < db->nhooks; i++) {
        if (db->hooks[i].id == id) {
            memmove(&db->hooks[i], &db->hooks[i + 1], (size_t)(db->nhooks - i - 1) * sizeof *db->hooks);
            db->nhooks--;
            return 0;
        }
    }
    return REGDB_E_NOTFOUND;
}

static int queue_event(regdb *db, int hook_id, regdb_key watched, regdb_key changed, unsigned what)
{
    if (db->nevents == db->events_cap) {
        int cap = db->events_cap ? db->events_cap * 2 : 16;
        regdb_event *e = realloc(db->events, (size_t)cap * sizeof *e);
        if (!e)
            return REGDB_E_NOMEM;
        db->events = e;
        db->events_cap = cap;
    }
    db->events[db->nevents++] = (regdb_event){hook_id, watched, changed, what};
    return 0;
}

static int key_parent(regdb *db, regdb_key key, regdb_key *parent)
{
    regdb_kslot *e = kcache_get(db, key);
    if (e) {
        *parent = e->parent;
        return 0;
    }
    sqlite3_stmt *s = stmt(db, ST_KEY_GET);
    if (!s)
        return REGDB_E_IO;
    sqlite3_bind_int64(s, 1, key);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *parent = sqlite3_column_int64(s, 0);
        kcache_put(db, key, *parent, (unsigned)sqlite3_column_int(s, 3), sqlite3_column_blob(s, 1),
                   (size_t)sqlite3_column_bytes(s, 1));
        sqlite3_reset(s);
        return 0;
    }
    sqlite3_reset(s);
    if (rc == SQLITE_DONE)
        return REGDB_E_DELETED;
    return regdb__sqlerr(db, rc, "cannot read key");
}

/* Queue events for every hook on `changed` or (subtree) on one of its ancestors. */
static int notify(regdb *db, regdb_key changed, unsigned what)
{
    if (!db->nhooks)
        return 0;
    regdb_key k = changed;
    int depth = 0;
    while (k && depth++ < 1024) {
        for (int i = 0; i < db->nhooks; i++) {
            regdb_hook *h = &db->hooks[i];
            if (h->key == k && (h->filter & what) && (k == changed || h->subtree)) {
                int rc = queue_event(db, h->id, h->key, changed, what);
                if (rc < 0)
                    return rc;
            }
        }
        regdb_key p;
        if (key_parent(db, k, &p) < 0)
            break;
        k = p;
    }
    return 0;
}

/* Before a subtree is deleted: hooks on keys inside it get REGDB_CHANGE_DELETED. */
static int notify_deleted_subtree(regdb *db, regdb_key top)
{
    for (int i = 0; i < db->nhooks; i++) {
        regdb_hook *h = &db->hooks[i];
        if (!(h->filter & REGDB_CHANGE_DELETED))
            continue;
        regdb_key k = h->key;
        int depth = 0;
        while (k && depth++ < 1024) {
            if (k == top) {
                int rc = queue_event(db, h->id, h->key, h->key, REGDB_CHANGE_DELETED);
                if (rc < 0)
                    return rc;
                break;
            }
            if (key_parent(db, k, &k) < 0)
                break;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- open/close */

static int init_schema(regdb *db)
{
    char *err = NULL;
    int rc = sqlite3_exec(db->sql, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return regdb__sqlerr(db, rc, "cannot create registry");
    rc = sqlite3_exec(db->sql, schema_sql, NULL, NULL, &err);
    if (rc == SQLITE_OK) {
        char pragma[96];
        snprintf(pragma, sizeof pragma, "PRAGMA application_id=%d; PRAGMA user_version=%d;",
                 REGDB_APPLICATION_ID, REGDB_SCHEMA_VERSION);
        rc = sqlite3_exec(db->sql, pragma, NULL, NULL, &err);
    }
    if (rc == SQLITE_OK) {
        /* The root \REGISTRY (id 1) and the hives MACHINE and USER. */
        int64_t now = regdb_filetime_now();
        static const char *const names[] = {"REGISTRY", "MACHINE", "USER"};
        sqlite3_stmt *ins = NULL;
        rc = sqlite3_prepare_v2(db->sql, stmt_sql[ST_KEY_INSERT], -1, &ins, NULL);
        for (int i = 0; rc == SQLITE_OK && i < 3; i++) {
            unsigned char le[16], be[16];
            size_t n = strlen(names[i]);
            for (size_t j = 0; j < n; j++) {
                le[2 * j] = (unsigned char)names[i][j], le[2 * j + 1] = 0;
                be[2 * j] = 0, be[2 * j + 1] = (unsigned char)names[i][j];
            }
            sqlite3_bind_int64(ins, 1, i == 0 ? 0 : REGDB_ROOT_ID);
            sqlite3_bind_blob(ins, 2, be, (int)(2 * n), SQLITE_TRANSIENT);
            sqlite3_bind_blob(ins, 3, le, (int)(2 * n), SQLITE_TRANSIENT);
            sqlite3_bind_int(ins, 4, 0);
            sqlite3_bind_null(ins, 5);
            sqlite3_bind_int64(ins, 6, now);
            rc = sqlite3_step(ins);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
            sqlite3_reset(ins);
        }
        sqlite3_finalize(ins);
    }
    if (rc != SQLITE_OK) {
        regdb__set_err(db, "cannot create registry: %s", err ? err : sqlite3_errmsg(db->sql));
        sqlite3_free(err);
        sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
        return map_sqlite(rc) ? map_sqlite(rc) : REGDB_E_IO;
    }
    rc = sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        int e = regdb__sqlerr(db, rc, "cannot create registry");
        sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
        return e;
    }
    return 0;
}

static int pragma_int(regdb *db, const char *sql, int64_t *v)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return regdb__sqlerr(db, rc, "cannot read registry header");
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *v = sqlite3_column_int64(s, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_OK ? 0 : regdb__sqlerr(db, rc, "cannot read registry header");
}

/* Decide whether the open database is a pnpbox registry we understand. */
static int check_schema(regdb *db, int may_create)
{
    int64_t app = 0, ver = 0, ntables = 0;
    int rc = pragma_int(db, "PRAGMA application_id", &app);
    if (rc < 0)
        return rc == REGDB_E_IO ? REGDB_E_NOTREGISTRY : rc;
    if ((rc = pragma_int(db, "PRAGMA user_version", &ver)) < 0)
        return rc;
    if ((rc = pragma_int(db, "SELECT count(*) FROM sqlite_master", &ntables)) < 0)
        return rc;
    if (app == 0 && ver == 0 && ntables == 0) {
        if (!may_create) {
            regdb__set_err(db, "the database is empty, not a pnpbox registry");
            return REGDB_E_NOTREGISTRY;
        }
        return init_schema(db);
    }
    if (app != REGDB_APPLICATION_ID) {
        regdb__set_err(db, "the database is not a pnpbox registry (application_id 0x%llx)", (long long)app);
        return REGDB_E_NOTREGISTRY;
    }
    if (ver != REGDB_SCHEMA_VERSION) {
        regdb__set_err(db, "registry schema version %lld is not supported (this build reads version %d)",
                       (long long)ver, REGDB_SCHEMA_VERSION);
        return REGDB_E_VERSION;
    }
    return 0;
}

/*
 * Before SQLite's first use in the process: no memory statistics.  With
 * them, every allocation SQLite makes takes a global mutex to count bytes
 * (a tenth of a fresh machine's instructions); regdb never asks for the
 * counts.  The price: sqlite3_memory_used() and the soft heap limit see
 * nothing in this process.  When the program used SQLite before, the call
 * fails harmlessly and the statistics stay on.
 */
static void sqlite_setup(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

static regdb *regdb_alloc(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_setup);
    regdb *db = calloc(1, sizeof *db);
    if (db)
        db->lgen = 1;
    return db;
}

int regdb_open(const char *path, const regdb_open_opts *opts, regdb **out)
{
    regdb_open_opts o = {0};
    if (opts)
        o = *opts;
    if (!out)
        return REGDB_E_INVAL;
    regdb *db = regdb_alloc();
    if (!db)
        return REGDB_E_NOMEM;
    int memory = !path || !strcmp(path, ":memory:");
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    db->readonly = (o.flags & REGDB_OPEN_READONLY) != 0;
    if (memory)
        flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY;
    else if (db->readonly)
        flags |= SQLITE_OPEN_READONLY;
    else
        flags |= SQLITE_OPEN_READWRITE | ((o.flags & REGDB_OPEN_CREATE) ? SQLITE_OPEN_CREATE : 0);
    db->is_file = !memory;

    int rc = sqlite3_open_v2(memory ? ":memory:" : path, &db->sql, flags, o.vfs);
    int e;
    if (rc != SQLITE_OK) {
        if ((rc & 0xff) == SQLITE_CANTOPEN && !memory && access(path, F_OK) != 0) {
            regdb__set_err(db, "cannot open registry '%s': no such file", path);
            e = REGDB_E_NOTFOUND;
        } else {
            e = regdb__sqlerr(db, rc, "cannot open registry");
        }
        goto fail_open;
    }
    sqlite3_extended_result_codes(db->sql, 1);
    if (!memory) {
        sqlite3_busy_timeout(db->sql, o.busy_timeout_ms > 0 ? o.busy_timeout_ms : 10000);
        /* journal_mode reads the header: a non-database file fails here. */
        char *err = NULL;
        rc = sqlite3_exec(db->sql, db->readonly ? "PRAGMA query_only=1" : "PRAGMA journal_mode=WAL", NULL,
                          NULL, &err);
        sqlite3_free(err);
        if (rc != SQLITE_OK) {
            e = map_sqlite(rc) == REGDB_E_NOTREGISTRY || (rc & 0xff) == SQLITE_CORRUPT
                    ? REGDB_E_NOTREGISTRY
                    : regdb__sqlerr(db, rc, "cannot open registry");
            if (e == REGDB_E_NOTREGISTRY)
                regdb__set_err(db, "'%s' is not a pnpbox registry (not an SQLite database)", path);
            goto fail_open;
        }
        sqlite3_exec(db->sql, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    }
    e = check_schema(db, memory || (o.flags & REGDB_OPEN_CREATE));
    if (e < 0)
        goto fail_open;
    *out = db;
    return 0;

fail_open:
    PB_DEBUG(PB_CH_REGDB, "open '%s' failed: %s", path ? path : ":memory:", db->errmsg);
    regdb_close(db);
    return e;
}

int regdb_on_close(regdb *db, void (*fn)(void *ctx), void *ctx)
{
    if (!db || !fn)
        return REGDB_E_INVAL;
    regdb_closer *c = malloc(sizeof *c);
    if (!c)
        return REGDB_E_NOMEM;
    c->fn = fn;
    c->ctx = ctx;
    c->next = db->closers;
    db->closers = c;
    return 0;
}

/* Scratch buffers over this size are not kept by a recycled clone. */
#define RECYCLE_KEEP_BYTES (64u << 10)

static void trim_buf(unsigned char **buf, size_t *cap)
{
    if (*cap > RECYCLE_KEEP_BYTES) {
        free(*buf);
        *buf = NULL;
        *cap = 0;
    }
}

/*
 * Keep a closing clone for the next regdb_snapshot_clone of the same
 * snapshot (regdb_cow.c says why it is then a fresh clone).  0 if kept.
 * Only a connection in the state regdb leaves it in qualifies: no
 * transaction, only regdb's own statements and none of them running, no
 * attached or temporary database.
 */
static int recycle(regdb *db)
{
    if (!db->img || !db->sql || !sqlite3_get_autocommit(db->sql) || sqlite3_db_name(db->sql, 2) ||
        sqlite3_db_filename(db->sql, "temp"))
        return -1;
    for (sqlite3_stmt *s = sqlite3_next_stmt(db->sql, NULL); s; s = sqlite3_next_stmt(db->sql, s)) {
        int ours = 0;
        for (int i = 0; i < ST__COUNT && !ours; i++)
            ours = db->st[i] == s;
        if (!ours || sqlite3_stmt_busy(s))
            return -1;
    }
    if (regdb__cow_rewind(db->img, db->sql) < 0)
        return -1;
    /* Everything a new clone starts without (regdb_alloc's zeroes). */
    db->readonly = 0;
    db->is_file = 0;
    db->depth = 0;
    db->txn_failed = 0;
    db->gen++; /* cursors taken before are stale */
    lcache_clear(db);
    db->errmsg[0] = 0;
    db->kcur.key = db->vcur.key = 0;
    db->nhooks = 0;
    db->next_hook_id = 0;
    db->nevents = 0;
    trim_buf(&db->ubuf, &db->ubuf_cap);
    trim_buf(&db->out_name, &db->out_name_cap);
    trim_buf(&db->out_data, &db->out_data_cap);
    trim_buf(&db->out_cls, &db->out_cls_cap);
    return regdb__cow_put(db->img, db);
}

static void close_for_good(regdb *db)
{
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(db->st[i]);
    /* _v2: a statement someone left open keeps the connection until it is finalized. */
    sqlite3_close_v2(db->sql);
    free(db->ubuf);
    free(db->out_name);
    free(db->out_data);
    free(db->out_cls);
    free(db->kcur.uname);
    free(db->lcache);
    free(db->kcache);
    free(db->hooks);
    free(db->events);
    free(db->sp_events);
    free(db);
}

void regdb_close(regdb *db)
{
    if (!db)
        return;
    /* The callers' state goes first, newest first, while the store is still whole. */
    while (db->closers) {
        regdb_closer *c = db->closers;
        db->closers = c->next;
        c->fn(c->ctx);
        free(c);
    }
    if (db->depth > 0 && db->sql && !sqlite3_get_autocommit(db->sql))
        sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
    db->depth = 0;
    if (recycle(db) == 0)
        return;
    close_for_good(db);
}

struct sqlite3 *regdb_sqlite(regdb *db) { return db ? db->sql : NULL; }

regdb_key regdb_root(regdb *db)
{
    (void)db;
    return REGDB_ROOT_ID;
}

/* ---------------------------------------------------------------- keys */

int regdb_key_check(regdb *db, regdb_key key)
{
    if (!db)
        return REGDB_E_INVAL;
    if (key <= 0)
        return REGDB_E_DELETED;
    regdb_key p;
    return key_parent(db, key, &p);
}

/* One component lookup: id and flags of parent\name. */
static int lookup(regdb *db, regdb_key parent, const uint16_t *name, size_t n, regdb_key *id, unsigned *flags)
{
    const unsigned char *u;
    if (uname_of(db, name, n, &u) < 0)
        return REGDB_E_NOMEM;
    regdb_lslot *e = lcache_slot(db, parent, u, n * 2);
    if (e && e->gen == db->lgen && e->parent == parent && e->ulen == n * 2 && !memcmp(e->uname, u, n * 2)) {
        if (!e->id)
            return REGDB_E_NOTFOUND;
        *id = e->id;
        *flags = e->flags;
        return 0;
    }
    sqlite3_stmt *s = stmt(db, ST_LOOKUP);
    if (!s)
        return REGDB_E_IO;
    sqlite3_bind_int64(s, 1, parent);
    sqlite3_bind_blob(s, 2, u, (int)(n * 2), SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        *flags = (unsigned)sqlite3_column_int(s, 1);
        lcache_put(db, parent, u, n * 2, *id, *flags);
        kcache_put(db, *id, parent, *flags, sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2));
        sqlite3_reset(s);
        return 0;
    }
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) {
        lcache_put(db, parent, u, n * 2, 0, 0); /* until insert_key puts the key in this very slot */
        return REGDB_E_NOTFOUND;
    }
    return regdb__sqlerr(db, rc, "cannot look up key");
}

/* Validate one key-name component. */
static int check_component(regdb *db, const uint16_t *c, size_t n)
{
    (void)c; /* any code unit but '\\' (the separator) is valid in a key name */
    if (n == 0) {
        regdb__set_err(db, "empty key name component");
        return REGDB_E_INVAL;
    }
    if (n > REGDB_MAX_KEY_NAME) {
        regdb__set_err(db, "key name of %zu characters is over the limit of %d", n, REGDB_MAX_KEY_NAME);
        return REGDB_E_TOOLONG;
    }
    return 0;
}

/* Read a link key's target (absolute path) into a malloc'd buffer. */
static int read_link(regdb *db, regdb_key key, uint16_t **target, size_t *len)
{
    static const uint16_t slv[] = u"SymbolicLinkValue";
    regdb_value v;
    int rc = regdb_query_value(db, key, slv, 17, &v);
    if (rc < 0 || v.type != REGDB_LINK || v.data_len < 2 || v.data_len % 2) {
        regdb__set_err(db, "link key has no valid SymbolicLinkValue");
        return REGDB_E_LOOP;
    }
    size_t n = v.data_len / 2;
    const uint16_t *d = v.data;
    while (n && d[n - 1] == 0) /* tolerate a terminator */
        n--;
    *target = pb_wcsndup(d, n);
    if (!*target)
        return REGDB_E_NOMEM;
    *len = n;
    return 0;
}

/*
 * Resolve path below start (0 = absolute), following links.  On success
 * *out is the final key.  On REGDB_E_NOTFOUND, if w is given, it says
 * where the walk stopped: the deepest existing key and the rest of the
 * path from the first missing component (kept alive in w->owned when it
 * lies in a substituted link path; the caller frees w->owned).
 */
typedef struct walk {
    regdb_key parent;     /* parent of the first missing component */
    size_t missing_at;    /* offset of the first missing component in the path walked */
    const uint16_t *rest; /* the path where the first missing component starts */
    size_t rest_len;
    uint16_t *owned;      /* buffer holding a substituted link path (free it) */
} walk;

static int resolve(regdb *db, regdb_key start, const uint16_t *path, size_t len, unsigned flags,
                   regdb_key *out, walk *w)
{
    uint16_t *owned = NULL;
    int links = 0;
    regdb_key cur = start;
    size_t i = 0;
    int rc = 0;

    if (start == 0) {
        /* Absolute: \Registry\... ; the first component must be the root's name. */
        if (len == 0 || path[0] != '\\') {
            regdb__set_err(db, "absolute registry path must start with '\\'");
            return REGDB_E_INVAL;
        }
    }
restart:
    if (cur == 0) {
        /* Skip the leading '\' and match "REGISTRY". */
        i = 1;
        size_t j = i;
        while (j < len && path[j] != '\\')
            j++;
        if (!pb_wcsieq_ascii(path + i, j - i, "REGISTRY")) {
            regdb__set_err(db, "absolute registry path must start with \\Registry");
            rc = REGDB_E_NOTFOUND;
            goto out;
        }
        cur = REGDB_ROOT_ID;
        i = j;
        if (i < len)
            i++; /* the separator */
    } else if (len && path[0] == '\\' && cur == start && !owned) {
        regdb__set_err(db, "relative registry path must not start with '\\'");
        rc = REGDB_E_INVAL;
        goto out;
    }
    while (i < len) {
        size_t j = i;
        while (j < len && path[j] != '\\')
            j++;
        size_t n = j - i;
        int last = (j >= len) || (j + 1 == len); /* a single trailing '\' is ignored */
        if (n == 0) {
            regdb__set_err(db, "empty component in registry path");
            rc = REGDB_E_INVAL;
            goto out;
        }
        if ((rc = check_component(db, path + i, n)) < 0)
            goto out;
        regdb_key next = 0;
        unsigned kf = 0;
        rc = lookup(db, cur, path + i, n, &next, &kf);
        if (rc == REGDB_E_NOTFOUND) {
            if (w) {
                w->parent = cur;
                w->rest = path + i;
                w->rest_len = len - i;
                w->owned = owned;
                owned = NULL;
            }
            goto out;
        }
        if (rc < 0)
            goto out;
        if ((kf & REGDB_KEY_LINK) && !(last && (flags & REGDB_OPEN_LINK))) {
            uint16_t *target;
            size_t tlen;
            if (++links > REGDB_MAX_LINK_DEPTH) {
                regdb__set_err(db, "too many symbolic links");
                rc = REGDB_E_LOOP;
                goto out;
            }
            if ((rc = read_link(db, next, &target, &tlen)) < 0)
                goto out;
            /* New path = target + remainder after this component. */
            size_t rem = j < len ? len - j : 0;
            uint16_t *np = malloc((tlen + rem + 1) * sizeof *np);
            if (!np) {
                free(target);
                rc = REGDB_E_NOMEM;
                goto out;
            }
            memcpy(np, target, tlen * sizeof *np);
            if (rem)
                memcpy(np + tlen, path + j, rem * sizeof *np);
            np[tlen + rem] = 0;
            free(target);
            free(owned);
            owned = np;
            path = np;
            len = tlen + rem;
            if (!len || path[0] != '\\') {
                regdb__set_err(db, "symbolic link target is not an absolute path");
                rc = REGDB_E_LOOP;
                goto out;
            }
            cur = 0;
            goto restart;
        }
        cur = next;
        i = j < len ? j + 1 : j;
    }
    *out = cur;
    rc = 0;
out:
    free(owned);
    return rc;
}

int regdb_open_key(regdb *db, regdb_key parent, const uint16_t *path, size_t len, unsigned flags,
                   regdb_key *out)
{
    if (!db || !out || (len && !path) || parent < 0)
        return REGDB_E_INVAL;
    regdb_key k;
    int rc;
    if (parent && !len) {
        rc = regdb_key_check(db, parent);
        k = parent;
    } else {
        rc = resolve(db, parent, path, len, flags, &k, NULL);
        /* A stale parent shows up as a missing first component; tell the two apart only then. */
        if (rc == REGDB_E_NOTFOUND && parent) {
            int kc = regdb_key_check(db, parent);
            if (kc < 0)
                rc = kc;
        }
    }
    if (rc == 0)
        *out = k;
    return rc;
}

static int insert_key(regdb *db, regdb_key parent, const uint16_t *name, size_t n, unsigned kflags,
                      const uint16_t *cls, size_t cls_len, int64_t now, regdb_key *out)
{
    const unsigned char *u;
    if (uname_of(db, name, n, &u) < 0)
        return REGDB_E_NOMEM;
    sqlite3_stmt *s = stmt(db, ST_KEY_INSERT);
    if (!s)
        return REGDB_E_IO;
    sqlite3_bind_int64(s, 1, parent);
    sqlite3_bind_blob(s, 2, u, (int)(n * 2), SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, name, (int)(n * 2), SQLITE_STATIC);
    sqlite3_bind_int(s, 4, (int)kflags);
    if (cls && cls_len)
        sqlite3_bind_blob(s, 5, cls, (int)(cls_len * 2), SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 5);
    sqlite3_bind_int64(s, 6, now);
    int rc = exec_stmt(db, s, "cannot create key");
    if (rc < 0)
        return rc;
    *out = sqlite3_last_insert_rowid(db->sql);
    lcache_put(db, parent, u, n * 2, *out, kflags); /* a rollback empties the caches */
    kcache_put(db, *out, parent, kflags, name, n * 2);
    /* The parent's subkey list changed: its last-write time moves. */
    if ((rc = touch(db, parent, now)) < 0)
        return rc == REGDB_E_DELETED ? 0 : rc; /* the parent was just found: it exists */
    return notify(db, parent, REGDB_CHANGE_NAME);
}

static int key_flags(regdb *db, regdb_key key, unsigned *flags)
{
    regdb_kslot *e = kcache_get(db, key);
    if (e) {
        *flags = e->flags;
        return 0;
    }
    sqlite3_stmt *s = stmt(db, ST_KEY_GET);
    if (!s)
        return REGDB_E_IO;
    sqlite3_bind_int64(s, 1, key);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *flags = (unsigned)sqlite3_column_int(s, 3);
        sqlite3_reset(s);
        return 0;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? REGDB_E_DELETED : regdb__sqlerr(db, rc, "cannot read key");
}

int regdb_create_key(regdb *db, regdb_key parent, const uint16_t *path, size_t len, unsigned options,
                     const uint16_t *cls, size_t cls_len, regdb_key *out, int *created)
{
    if (!db || !out || (len && !path) || parent < 0 || (cls_len && !cls))
        return REGDB_E_INVAL;
    if (cls_len > REGDB_MAX_VALUE_NAME)
        return REGDB_E_TOOLONG;
    int rc = wbegin(db);
    if (rc < 0)
        return rc;
    int made = 0;
    regdb_key k = 0;
    walk w = {0};
    if (parent && (rc = regdb_key_check(db, parent)) < 0)
        goto done;
    rc = resolve(db, parent, path, len, 0, &k, &w);
    if (rc == 0) {
        if (options & REGDB_CREATE_EXCL) {
            rc = REGDB_E_EXISTS;
            regdb__set_err(db, "key exists");
        }
        goto done;
    }
    if (rc != REGDB_E_NOTFOUND || !w.rest)
        goto done;
    /* Create the missing components from w.rest. */
    {
        int64_t now = regdb_filetime_now();
        regdb_key cur = w.parent;
        const uint16_t *p = w.rest;
        size_t plen = w.rest_len;
        size_t i = 0;
        unsigned pflags = 0;
        if ((rc = key_flags(db, cur, &pflags)) < 0)
            goto done;
        while (i < plen) {
            size_t j = i;
            while (j < plen && p[j] != '\\')
                j++;
            size_t n = j - i;
            int last = j >= plen || j + 1 == plen;
            if (!last && !(options & REGDB_CREATE_PATH)) {
                regdb__set_err(db, "parent key does not exist");
                rc = REGDB_E_NOTFOUND;
                goto done;
            }
            if ((rc = check_component(db, p + i, n)) < 0)
                goto done;
            unsigned kf = 0;
            if (options & REGDB_CREATE_VOLATILE)
                kf |= REGDB_KEY_VOLATILE;
            if (last && (options & REGDB_CREATE_LINK))
                kf |= REGDB_KEY_LINK;
            if ((pflags & REGDB_KEY_VOLATILE) && !(kf & REGDB_KEY_VOLATILE)) {
                regdb__set_err(db, "cannot create a non-volatile key under a volatile key");
                rc = REGDB_E_VOLATILE;
                goto done;
            }
            regdb_key nk;
            rc = insert_key(db, cur, p + i, n, kf, last ? cls : NULL, last ? cls_len : 0, now, &nk);
            if (rc < 0)
                goto done;
            cur = nk;
            pflags = kf;
            i = j < plen ? j + 1 : j;
        }
        k = cur;
        made = 1;
        rc = 0;
    }
done:
    free(w.owned);
    rc = wend(db, rc);
    if (rc == 0) {
        *out = k;
        if (created)
            *created = made;
    }
    return rc;
}

static int key_has_children(regdb *db, regdb_key key)
{
    sqlite3_stmt *s = stmt(db, ST_KEY_HASCHILD);
    if (!s)
        return REGDB_E_IO;
    sqlite3_bind_int64(s, 1, key);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return regdb__sqlerr(db, rc, "cannot read key");
}

static int delete_common(regdb *db, regdb_key key, int tree)
{
    if (!db)
        return REGDB_E_INVAL;
    regdb_key parent;
    int rc = regdb_key_check(db, key);
    if (rc < 0)
        return rc;
    if ((rc = key_parent(db, key, &parent)) < 0)
        return rc;
    if (key == REGDB_ROOT_ID || parent == REGDB_ROOT_ID) {
        regdb__set_err(db, "cannot delete a hive root");
        return REGDB_E_INVAL;
    }
    if ((rc = wbegin(db)) < 0)
        return rc;
    if (!tree) {
        rc = key_has_children(db, key);
        if (rc > 0) {
            regdb__set_err(db, "key has subkeys; delete them first or delete the tree");
            rc = REGDB_E_NOTEMPTY;
        }
        if (rc < 0)
            goto done;
    }
    if ((rc = notify_deleted_subtree(db, key)) < 0)
        goto done;
    if (tree) {
        sqlite3_stmt *s = stmt(db, ST_TREE_VALS);
        if (!s) {
            rc = REGDB_E_IO;
            goto done;
        }
        sqlite3_bind_int64(s, 1, key);
        if ((rc = exec_stmt(db, s, "cannot delete values")) < 0)
            goto done;
        if (!(s = stmt(db, ST_TREE_KEYS))) {
            rc = REGDB_E_IO;
            goto done;
        }
        sqlite3_bind_int64(s, 1, key);
        if ((rc = exec_stmt(db, s, "cannot delete keys")) < 0)
            goto done;
    } else {
        sqlite3_stmt *s = stmt(db, ST_VAL_DELETE_KEY);
        if (!s) {
            rc = REGDB_E_IO;
            goto done;
        }
        sqlite3_bind_int64(s, 1, key);
        if ((rc = exec_stmt(db, s, "cannot delete values")) < 0)
            goto done;
        if (!(s = stmt(db, ST_KEY_DELETE))) {
            rc = REGDB_E_IO;
            goto done;
        }
        sqlite3_bind_int64(s, 1, key);
        if ((rc = exec_stmt(db, s, "cannot delete key")) < 0)
            goto done;
    }
    if ((rc = touch(db, parent, regdb_filetime_now())) < 0) {
        if (rc != REGDB_E_DELETED) /* as before: a parent that went is no error */
            goto done;
        rc = 0;
    }
    rc = notify(db, parent, REGDB_CHANGE_NAME);
done:
    lcache_clear(db); /* after the walks above, which fill the caches */
    return wend(db, rc);
}

int regdb_delete_key(regdb *db, regdb_key key) { return delete_common(db, key, 0); }

int regdb_delete_tree(regdb *db, regdb_key key) { return delete_common(db, key, 1); }

int regdb_set_last_write(regdb *db, regdb_key key, int64_t filetime)
{
    if (!db)
        return REGDB_E_INVAL;
    int rc = wbegin(db);
    if (rc < 0)
        return rc;
    sqlite3_stmt *s = stmt(db, ST_KEY_SET_MTIME);
    if (!s)
        return wend(db, REGDB_E_IO);
    sqlite3_bind_int64(s, 1, key);
    sqlite3_bind_int64(s, 2, filetime);
    rc = exec_stmt(db, s, "cannot set key time");
    if (rc == 0 && sqlite3_changes(db->sql) == 0)
        rc = REGDB_E_DELETED;
    for (int i = 0; i < db->ntouched; i++) /* a later change stamps it again */
        if (db->touched[i] == key)
            db->touched[i--] = db->touched[--db->ntouched];
    return wend(db, rc);
}

int regdb_query_key(regdb *db, regdb_key key, regdb_key_info *out)
{
    if (!db || !out)
        return REGDB_E_INVAL;
    sqlite3_stmt *s = stmt(db, ST_KEY_GET);
    if (!s)
        return REGDB_E_IO;
    memset(out, 0, sizeof *out);
    sqlite3_bind_int64(s, 1, key);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        return rc == SQLITE_DONE ? REGDB_E_DELETED : regdb__sqlerr(db, rc, "cannot read key");
    }
    out->parent = sqlite3_column_int64(s, 0);
    out->flags = (unsigned)sqlite3_column_int(s, 3);
    out->last_write = sqlite3_column_int64(s, 4);
    const void *p;
    size_t nb = (size_t)sqlite3_column_bytes(s, 1);
    rc = copy_out(&db->out_name, &db->out_name_cap, sqlite3_column_blob(s, 1), nb, &p);
    if (rc == 0) {
        out->name = p;
        out->name_len = nb / 2;
        if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
            size_t cb = (size_t)sqlite3_column_bytes(s, 2);
            rc = copy_out(&db->out_cls, &db->out_cls_cap, sqlite3_column_blob(s, 2), cb, &p);
            out->cls = p;
            out->cls_len = cb / 2;
        }
    }
    sqlite3_reset(s);
    if (rc < 0)
        return rc;

    if (!(s = stmt(db, ST_KEY_COUNTS)))
        return REGDB_E_IO;
    sqlite3_bind_int64(s, 1, key);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->subkeys = (uint32_t)sqlite3_column_int64(s, 0);
        out->max_subkey_len = (uint32_t)(sqlite3_column_int64(s, 1) / 2);
        out->max_class_len = (uint32_t)(sqlite3_column_int64(s, 2) / 2);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW)
        return regdb__sqlerr(db, rc, "cannot count subkeys");
    if (!(s = stmt(db, ST_VAL_COUNTS)))
        return REGDB_E_IO;
    sqlite3_bind_int64(s, 1, key);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->values = (uint32_t)sqlite3_column_int64(s, 0);
        out->max_value_name = (uint32_t)(sqlite3_column_int64(s, 1) / 2);
        out->max_value_data = (uint32_t)sqlite3_column_int64(s, 2);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW)
        return regdb__sqlerr(db, rc, "cannot count values");
    return 0;
}

int regdb_key_path(regdb *db, regdb_key key, uint16_t **path, size_t *len)
{
    if (!db || !path)
        return REGDB_E_INVAL;
    /* Collect names from the key up to the root, then write them in reverse. */
    uint16_t *buf = NULL;
    size_t n = 0, cap = 0;
    regdb_key k = key;
    int depth = 0;
    int rc = 0;
    sqlite3_stmt *s = stmt(db, ST_KEY_GET);
    if (!s)
        return REGDB_E_IO;
    while (k) {
        if (++depth > 4096) {
            rc = REGDB_E_LOOP;
            break;
        }
        size_t nb;
        const uint16_t *nm;
        regdb_key parent;
        int from_sql = 0;
        regdb_kslot *e = kcache_get(db, k);
        if (e && e->nlen != REGDB_KCACHE_NONAME) {
            nb = e->nlen;
            nm = e->name;
            parent = e->parent;
        } else {
            sqlite3_bind_int64(s, 1, k);
            int r = sqlite3_step(s);
            if (r != SQLITE_ROW) {
                sqlite3_reset(s);
                rc = r == SQLITE_DONE ? REGDB_E_DELETED : regdb__sqlerr(db, r, "cannot read key");
                break;
            }
            nb = (size_t)sqlite3_column_bytes(s, 1) / 2;
            nm = sqlite3_column_blob(s, 1);
            parent = sqlite3_column_int64(s, 0);
            kcache_put(db, k, parent, (unsigned)sqlite3_column_int(s, 3), nm, nb * 2);
            from_sql = 1;
        }
        /* Prepend "\" + name: grow and shift. */
        if (n + nb + 2 > cap) {
            size_t c = cap ? cap * 2 : 128;
            while (c < n + nb + 2)
                c *= 2;
            uint16_t *b2 = realloc(buf, c * sizeof *b2);
            if (!b2) {
                if (from_sql)
                    sqlite3_reset(s);
                rc = REGDB_E_NOMEM;
                break;
            }
            buf = b2;
            cap = c;
        }
        memmove(buf + nb + 1, buf, n * sizeof *buf);
        buf[0] = '\\';
        if (nb)
            memcpy(buf + 1, nm, nb * sizeof *buf);
        n += nb + 1;
        if (from_sql)
            sqlite3_reset(s);
        k = parent;
    }
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[n] = 0;
    *path = buf;
    if (len)
        *len = n;
    return 0;
}

static int64_t data_version(regdb *db)
{
    if (!db->is_file)
        return 0;
    unsigned int v = 0;
    sqlite3_file_control(db->sql, "main", SQLITE_FCNTL_DATA_VERSION, &v);
    return v;
}

int regdb_enum_key(regdb *db, regdb_key key, uint32_t index, regdb_key_entry *out)
{
    if (!db || !out)
        return REGDB_E_INVAL;
    regdb_cursor *c = &db->kcur;
    int64_t dv = data_version(db);
    int seq = c->key == key && c->gen == db->gen && c->data_version == dv && index == c->index + 1 && c->uname;
    sqlite3_stmt *s;
    if (seq) {
        s = stmt(db, ST_KEY_ENUM_AFTER);
        if (!s)
            return REGDB_E_IO;
        sqlite3_bind_int64(s, 1, key);
        sqlite3_bind_blob(s, 2, c->uname, (int)c->uname_len, SQLITE_STATIC);
    } else {
        s = stmt(db, ST_KEY_ENUM_AT);
        if (!s)
            return REGDB_E_IO;
        sqlite3_bind_int64(s, 1, key);
        sqlite3_bind_int64(s, 2, index);
    }
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        c->key = 0;
        if (rc != SQLITE_DONE)
            return regdb__sqlerr(db, rc, "cannot enumerate subkeys");
        /* Past the end, or the key is gone. */
        int k = regdb_key_check(db, key);
        return k < 0 ? k : REGDB_E_NOTFOUND;
    }
    const void *p;
    out->id = sqlite3_column_int64(s, 0);
    size_t nb = (size_t)sqlite3_column_bytes(s, 1);
    rc = copy_out(&db->out_name, &db->out_name_cap, sqlite3_column_blob(s, 1), nb, &p);
    out->name = p;
    out->name_len = nb / 2;
    out->cls = NULL;
    out->cls_len = 0;
    if (rc == 0 && sqlite3_column_type(s, 2) != SQLITE_NULL) {
        size_t cb = (size_t)sqlite3_column_bytes(s, 2);
        rc = copy_out(&db->out_cls, &db->out_cls_cap, sqlite3_column_blob(s, 2), cb, &p);
        out->cls = p;
        out->cls_len = cb / 2;
    }
    out->last_write = sqlite3_column_int64(s, 3);
    if (rc == 0) {
        size_t ub = (size_t)sqlite3_column_bytes(s, 4);
        if (grow(&c->uname, &c->uname_cap, ub + 1) == 0) {
            memcpy(c->uname, sqlite3_column_blob(s, 4), ub);
            c->uname_len = ub;
            c->key = key;
            c->index = index;
            c->gen = db->gen;
            c->data_version = dv;
        } else {
            c->key = 0;
        }
    }
    sqlite3_reset(s);
    return rc;
}

/* ---------------------------------------------------------------- values */

static int check_value_name(regdb *db, const uint16_t *name, size_t n)
{
    if (n && !name)
        return REGDB_E_INVAL;
    if (n > REGDB_MAX_VALUE_NAME) {
        regdb__set_err(db, "value name of %zu characters is over the limit of %d", n, REGDB_MAX_VALUE_NAME);
        return REGDB_E_TOOLONG;
    }
    return 0;
}

int regdb_query_value(regdb *db, regdb_key key, const uint16_t *name, size_t name_len, regdb_value *out)
{
    if (!db || !out)
        return REGDB_E_INVAL;
    int rc = check_value_name(db, name, name_len);
    if (rc < 0)
        return rc;
    const unsigned char *u;
    if (uname_of(db, name, name_len, &u) < 0)
        return REGDB_E_NOMEM;
    sqlite3_stmt *s = stmt(db, ST_VAL_GET);
    if (!s)
        return REGDB_E_IO;
    sqlite3_bind_int64(s, 1, key);
    sqlite3_bind_blob(s, 2, u, (int)(name_len * 2), SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        if (rc != SQLITE_DONE)
            return regdb__sqlerr(db, rc, "cannot query value");
        int k = regdb_key_check(db, key);
        return k < 0 ? k : REGDB_E_NOTFOUND;
    }
    out->type = (uint32_t)sqlite3_column_int64(s, 0);
    const void *p;
    size_t nb = (size_t)sqlite3_column_bytes(s, 1);
    rc = copy_out(&db->out_data, &db->out_data_cap, sqlite3_column_blob(s, 1), nb, &p);
    out->data = nb ? p : NULL;
    out->data_len = nb;
    if (rc == 0) {
        size_t namb = (size_t)sqlite3_column_bytes(s, 2);
        rc = copy_out(&db->out_name, &db->out_name_cap, sqlite3_column_blob(s, 2), namb, &p);
        out->name = p;
        out->name_len = namb / 2;
    }
    sqlite3_reset(s);
    return rc;
}

/* regdb_query_value_into and regdb_query_value_fit: whole_only copies nothing unless all the data fits. */
static int query_into(regdb *db, regdb_key key, const uint16_t *name, size_t name_len, uint32_t *type, void *buf,
                      size_t cap, size_t *len, int whole_only)
{
    if (!db || !type || !len || (cap && !buf))
        return REGDB_E_INVAL;
    int rc = check_value_name(db, name, name_len);
    if (rc < 0)
        return rc;
    const unsigned char *u;
    if (uname_of(db, name, name_len, &u) < 0)
        return REGDB_E_NOMEM;
    sqlite3_stmt *s = stmt(db, ST_VAL_GET);
    if (!s)
        return REGDB_E_IO;
    sqlite3_bind_int64(s, 1, key);
    sqlite3_bind_blob(s, 2, u, (int)(name_len * 2), SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        if (rc != SQLITE_DONE)
            return regdb__sqlerr(db, rc, "cannot query value");
        int k = regdb_key_check(db, key);
        return k < 0 ? k : REGDB_E_NOTFOUND;
    }
    *type = (uint32_t)sqlite3_column_int64(s, 0);
    size_t nb = (size_t)sqlite3_column_bytes(s, 1);
    if (nb && cap && (!whole_only || nb <= cap))
        memcpy(buf, sqlite3_column_blob(s, 1), nb < cap ? nb : cap);
    *len = nb;
    sqlite3_reset(s);
    return 0;
}

int regdb_query_value_into(regdb *db, regdb_key key, const uint16_t *name, size_t name_len, uint32_t *type,
                           void *buf, size_t cap, size_t *len)
{
    return query_into(db, key, name, name_len, type, buf, cap, len, 0);
}

int regdb_query_value_fit(regdb *db, regdb_key key, const uint16_t *name, size_t name_len, uint32_t *type,
                          void *buf, size_t cap, size_t *len)
{
    return query_into(db, key, name, name_len, type, buf, cap, len, 1);
}

int regdb_set_value(regdb *db, regdb_key key, const uint16_t *name, size_t name_len, uint32_t type,
                    const void *data, size_t data_len)
{
    if (!db || (data_len && !data))
        return REGDB_E_INVAL;
    int rc = check_value_name(db, name, name_len);
    if (rc < 0)
        return rc;
    if (data_len > 0x7fffffff)
        return REGDB_E_TOOLONG;
    /* A key this transaction stamped already: the upsert is the whole change,
     * and one statement is atomic by itself, so no savepoint either. */
    int single = touched(db, key) && !db->readonly;
    if (!single) {
        if ((rc = wbegin(db)) < 0)
            return rc;
        /* Touch first: it also tells whether the key still exists. */
        if ((rc = touch(db, key, regdb_filetime_now())) < 0)
            return wend(db, rc);
    }
    const unsigned char *u;
    sqlite3_stmt *s;
    if (uname_of(db, name, name_len, &u) < 0)
        rc = REGDB_E_NOMEM;
    else if (!(s = stmt(db, ST_VAL_UPSERT)))
        rc = REGDB_E_IO;
    if (rc < 0) {
        if (single) {
            db->gen++;
            return rc;
        }
        return wend(db, rc);
    }
    sqlite3_bind_int64(s, 1, key);
    sqlite3_bind_blob(s, 2, u, (int)(name_len * 2), SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, name_len ? (const void *)name : "", (int)(name_len * 2), SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, type);
    sqlite3_bind_blob(s, 5, data_len ? data : "", (int)data_len, SQLITE_STATIC);
    rc = exec_stmt(db, s, "cannot set value");
    if (rc == 0)
        rc = notify(db, key, REGDB_CHANGE_LAST_SET);
    if (single) {
        db->gen++;
        return rc;
    }
    return wend(db, rc);
}

int regdb_delete_value(regdb *db, regdb_key key, const uint16_t *name, size_t name_len)
{
    if (!db)
        return REGDB_E_INVAL;
    int rc = check_value_name(db, name, name_len);
    if (rc < 0)
        return rc;
    if ((rc = wbegin(db)) < 0)
        return rc;
    const unsigned char *u;
    if (uname_of(db, name, name_len, &u) < 0)
        return wend(db, REGDB_E_NOMEM);
    sqlite3_stmt *s = stmt(db, ST_VAL_DELETE);
    if (!s)
        return wend(db, REGDB_E_IO);
    sqlite3_bind_int64(s, 1, key);
    sqlite3_bind_blob(s, 2, u, (int)(name_len * 2), SQLITE_STATIC);
    rc = exec_stmt(db, s, "cannot delete value");
    if (rc == 0 && sqlite3_changes(db->sql) == 0) {
        int k = regdb_key_check(db, key);
        rc = k < 0 ? k : REGDB_E_NOTFOUND;
    }
    if (rc == 0 && (rc = touch(db, key, regdb_filetime_now())) == REGDB_E_DELETED)
        rc = 0; /* a value was deleted from it: it exists */
    if (rc == 0)
        rc = notify(db, key, REGDB_CHANGE_LAST_SET);
    return wend(db, rc);
}

int regdb_enum_value(regdb *db, regdb_key key, uint32_t index, regdb_value *out)
{
    if (!db || !out)
        return REGDB_E_INVAL;
    regdb_cursor *c = &db->vcur;
    int64_t dv = data_version(db);
    int seq = c->key == key && c->gen == db->gen && c->data_version == dv && index == c->index + 1;
    sqlite3_stmt *s;
    if (seq) {
        if (!(s = stmt(db, ST_VAL_ENUM_AFTER)))
            return REGDB_E_IO;
        sqlite3_bind_int64(s, 1, key);
        sqlite3_bind_int64(s, 2, c->seq);
    } else {
        if (!(s = stmt(db, ST_VAL_ENUM_AT)))
            return REGDB_E_IO;
        sqlite3_bind_int64(s, 1, key);
        sqlite3_bind_int64(s, 2, index);
    }
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        c->key = 0;
        if (rc != SQLITE_DONE)
            return regdb__sqlerr(db, rc, "cannot enumerate values");
        int k = regdb_key_check(db, key);
        return k < 0 ? k : REGDB_E_NOTFOUND;
    }
    const void *p;
    size_t nb = (size_t)sqlite3_column_bytes(s, 0);
    rc = copy_out(&db->out_name, &db->out_name_cap, sqlite3_column_blob(s, 0), nb, &p);
    out->name = p;
    out->name_len = nb / 2;
    out->type = (uint32_t)sqlite3_column_int64(s, 1);
    if (rc == 0) {
        size_t db_ = (size_t)sqlite3_column_bytes(s, 2);
        rc = copy_out(&db->out_data, &db->out_data_cap, sqlite3_column_blob(s, 2), db_, &p);
        out->data = db_ ? p : NULL;
        out->data_len = db_;
    }
    if (rc == 0) {
        c->key = key;
        c->index = index;
        c->seq = sqlite3_column_int64(s, 3);
        c->gen = db->gen;
        c->data_version = dv;
    } else {
        c->key = 0;
    }
    sqlite3_reset(s);
    return rc;
}

/* ---------------------------------------------------------------- typed helpers */

int regdb_set_sz(regdb *db, regdb_key key, const uint16_t *name, const uint16_t *s)
{
    if (!s)
        return REGDB_E_INVAL;
    return regdb_set_value(db, key, name, pb_wcslen(name), REGDB_SZ, s, (pb_wcslen(s) + 1) * 2);
}

int regdb_set_expand_sz(regdb *db, regdb_key key, const uint16_t *name, const uint16_t *s)
{
    if (!s)
        return REGDB_E_INVAL;
    return regdb_set_value(db, key, name, pb_wcslen(name), REGDB_EXPAND_SZ, s, (pb_wcslen(s) + 1) * 2);
}

/*
 * REG_MULTI_SZ is "s1\0s2\0...\0" followed by the empty string that ends the
 * list, so a list ends in a double terminator.  An empty list is just that
 * final empty string: a single terminator (2 bytes).  (Windows documents
 * the grammar, not the empty case; we follow the grammar.)
 */
int regdb_set_multi_sz(regdb *db, regdb_key key, const uint16_t *name, const uint16_t *const *strs, size_t n)
{
    if (!db || (n && !strs))
        return REGDB_E_INVAL;
    size_t total = 1;
    for (size_t i = 0; i < n; i++) {
        if (!strs[i])
            return REGDB_E_INVAL;
        size_t l = pb_wcslen(strs[i]);
        if (!l) {
            regdb__set_err(db, "a REG_MULTI_SZ element cannot be empty");
            return REGDB_E_INVAL;
        }
        total += l + 1;
    }
    uint16_t *buf = malloc(total * sizeof *buf);
    if (!buf)
        return REGDB_E_NOMEM;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = pb_wcslen(strs[i]);
        memcpy(buf + o, strs[i], l * sizeof *buf);
        o += l;
        buf[o++] = 0;
    }
    buf[o++] = 0;
    int rc = regdb_set_value(db, key, name, pb_wcslen(name), REGDB_MULTI_SZ, buf, o * 2);
    free(buf);
    return rc;
}

int regdb_set_dword(regdb *db, regdb_key key, const uint16_t *name, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    return regdb_set_value(db, key, name, pb_wcslen(name), REGDB_DWORD, b, 4);
}

int regdb_set_dword_be(regdb *db, regdb_key key, const uint16_t *name, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                          (unsigned char)v};
    return regdb_set_value(db, key, name, pb_wcslen(name), REGDB_DWORD_BIG_ENDIAN, b, 4);
}

int regdb_set_qword(regdb *db, regdb_key key, const uint16_t *name, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return regdb_set_value(db, key, name, pb_wcslen(name), REGDB_QWORD, b, 8);
}

int regdb_set_binary(regdb *db, regdb_key key, const uint16_t *name, const void *p, size_t n)
{
    return regdb_set_value(db, key, name, pb_wcslen(name), REGDB_BINARY, p, n);
}

int regdb_set_none(regdb *db, regdb_key key, const uint16_t *name, const void *p, size_t n)
{
    return regdb_set_value(db, key, name, pb_wcslen(name), REGDB_NONE, p, n);
}

/* Windows stores a link target without a terminator. */
int regdb_set_link(regdb *db, regdb_key key, const uint16_t *target, size_t target_len)
{
    static const uint16_t slv[] = u"SymbolicLinkValue";
    if (!target || !target_len || target[0] != '\\')
        return REGDB_E_INVAL;
    return regdb_set_value(db, key, slv, 17, REGDB_LINK, target, target_len * 2);
}

int regdb_get_dword(regdb *db, regdb_key key, const uint16_t *name, uint32_t *v)
{
    regdb_value val;
    if (!v)
        return REGDB_E_INVAL;
    int rc = regdb_query_value(db, key, name, pb_wcslen(name), &val);
    if (rc < 0)
        return rc;
    if (val.type != REGDB_DWORD || val.data_len != 4)
        return REGDB_E_TYPE;
    const unsigned char *b = val.data;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

int regdb_get_qword(regdb *db, regdb_key key, const uint16_t *name, uint64_t *v)
{
    regdb_value val;
    if (!v)
        return REGDB_E_INVAL;
    int rc = regdb_query_value(db, key, name, pb_wcslen(name), &val);
    if (rc < 0)
        return rc;
    if (val.type != REGDB_QWORD || val.data_len != 8)
        return REGDB_E_TYPE;
    const unsigned char *b = val.data;
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = (x << 8) | b[i];
    *v = x;
    return 0;
}

int regdb_get_sz(regdb *db, regdb_key key, const uint16_t *name, uint16_t **s, size_t *len)
{
    regdb_value val;
    if (!s)
        return REGDB_E_INVAL;
    int rc = regdb_query_value(db, key, name, pb_wcslen(name), &val);
    if (rc < 0)
        return rc;
    if (val.type != REGDB_SZ && val.type != REGDB_EXPAND_SZ)
        return REGDB_E_TYPE;
    size_t n = val.data_len / 2;
    const uint16_t *d = val.data;
    while (n && d[n - 1] == 0)
        n--;
    *s = pb_wcsndup(d ? d : (const uint16_t *)u"", n);
    if (!*s)
        return REGDB_E_NOMEM;
    if (len)
        *len = n;
    return 0;
}

int regdb_open_key_u8(regdb *db, regdb_key parent, const char *path, regdb_key *out)
{
    uint16_t *w;
    size_t n;
    if (!path)
        return REGDB_E_INVAL;
    int rc = pb_utf8_to_utf16(path, strlen(path), &w, &n);
    if (rc < 0)
        return rc == -ENOMEM ? REGDB_E_NOMEM : REGDB_E_FORMAT;
    rc = regdb_open_key(db, parent, w, n, 0, out);
    free(w);
    return rc;
}

int regdb_create_key_u8(regdb *db, regdb_key parent, const char *path, unsigned options, regdb_key *out)
{
    uint16_t *w;
    size_t n;
    if (!path)
        return REGDB_E_INVAL;
    int rc = pb_utf8_to_utf16(path, strlen(path), &w, &n);
    if (rc < 0)
        return rc == -ENOMEM ? REGDB_E_NOMEM : REGDB_E_FORMAT;
    rc = regdb_create_key(db, parent, w, n, options, NULL, 0, out, NULL);
    free(w);
    return rc;
}

/* ---------------------------------------------------------------- reboot */

int regdb_reboot(regdb *db)
{
    if (!db)
        return REGDB_E_INVAL;
    if (db->depth) {
        regdb__set_err(db, "cannot reboot inside a transaction");
        return REGDB_E_INVAL;
    }
    int rc = wbegin(db);
    if (rc < 0)
        return rc;
    lcache_clear(db);
    char *err = NULL;
    /* Volatile keys only ever have volatile subkeys, so the flag selects whole subtrees. */
    int src = sqlite3_exec(db->sql,
                           "DELETE FROM vals WHERE key IN (SELECT id FROM keys WHERE flags & 1);"
                           "DELETE FROM keys WHERE flags & 1;",
                           NULL, NULL, &err);
    if (src != SQLITE_OK) {
        regdb__set_err(db, "cannot clear volatile keys: %s", err ? err : "");
        rc = map_sqlite(src) ? map_sqlite(src) : REGDB_E_IO;
    }
    sqlite3_free(err);
    return wend(db, rc);
}

/* ---------------------------------------------------------------- snapshots */

struct regdb_snapshot {
    struct cow_image *img; /* shared with the clones still open */
};

/* A WAL database image says so in its header (bytes 18/19 = 2); clones are rollback-mode. */
static void make_rollback_image(unsigned char *img, size_t len)
{
    if (len >= 100 && img[18] == 2 && img[19] == 2)
        img[18] = img[19] = 1;
}

static int snapshot_wrap(unsigned char *img, size_t len, regdb_snapshot **out)
{
    regdb_snapshot *s = malloc(sizeof *s);
    if (s)
        s->img = regdb__cow_image_new(img, len);
    if (!s || !s->img) {
        free(s);
        sqlite3_free(img);
        return REGDB_E_NOMEM;
    }
    *out = s;
    return 0;
}

int regdb_snapshot_take(regdb *db, regdb_snapshot **out)
{
    if (!db || !out)
        return REGDB_E_INVAL;
    if (db->depth) {
        regdb__set_err(db, "cannot snapshot inside a transaction");
        return REGDB_E_INVAL;
    }
    sqlite3_int64 sz = 0;
    unsigned char *img = sqlite3_serialize(db->sql, "main", &sz, 0);
    if (!img)
        return regdb__sqlerr(db, SQLITE_NOMEM, "cannot snapshot registry");
    make_rollback_image(img, (size_t)sz);
    return snapshot_wrap(img, (size_t)sz, out);
}

void regdb_snapshot_free(regdb_snapshot *snap)
{
    if (!snap)
        return;
    /* Kept clones die with the snapshot; open ones are closed for good later. */
    for (regdb *db; (db = regdb__cow_drain(snap->img));)
        close_for_good(db);
    regdb__cow_image_unref(snap->img);
    free(snap);
}

const void *regdb_snapshot_data(const regdb_snapshot *snap, size_t *len)
{
    size_t n = 0;
    if (!snap)
        return NULL;
    const unsigned char *d = regdb__cow_image_data(snap->img, &n);
    if (len)
        *len = n;
    return d;
}

int regdb_snapshot_from_data(const void *data, size_t len, regdb_snapshot **out)
{
    if (!data || !out || len < 512 || memcmp(data, "SQLite format 3", 16) != 0)
        return REGDB_E_FORMAT;
    unsigned char *img = sqlite3_malloc64(len);
    if (!img)
        return REGDB_E_NOMEM;
    memcpy(img, data, len);
    make_rollback_image(img, len);
    regdb_snapshot *s;
    int rc = snapshot_wrap(img, len, &s);
    if (rc < 0)
        return rc;
    /* Check once here that it is a registry we understand, so clones need not. */
    regdb *db;
    rc = regdb_snapshot_clone(s, &db);
    if (rc == 0) {
        rc = check_schema(db, 0);
        regdb_close(db);
    }
    if (rc < 0) {
        regdb_snapshot_free(s);
        return rc == REGDB_E_IO ? REGDB_E_FORMAT : rc;
    }
    *out = s;
    return 0;
}

/*
 * A clone opens the snapshot image through the copy-on-write VFS
 * (regdb_cow.c): nothing is copied until a page is written.  A clone
 * closed before is reused when one is kept (recycle()).
 */
int regdb_snapshot_clone(const regdb_snapshot *snap, regdb **out)
{
    if (!snap || !out)
        return REGDB_E_INVAL;
    regdb *db = regdb__cow_take(snap->img);
    if (db) {
        *out = db;
        return 0;
    }
    if (!(db = regdb_alloc()))
        return REGDB_E_NOMEM;
    int rc = regdb__cow_open(snap->img, &db->sql);
    /*
     * Keep the rollback journal open between transactions, truncated at
     * each end (the VFS says its files cannot be deleted while open), so
     * its buffer is reused instead of being grown and freed by every
     * commit.  It is still written and played back exactly as before.
     */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db->sql, "PRAGMA journal_mode=TRUNCATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        int e = map_sqlite(rc);
        regdb_close(db);
        return e ? e : REGDB_E_IO;
    }
    db->img = snap->img;
    *out = db;
    return 0;
}

int regdb_snapshot_write(const regdb_snapshot *snap, const char *path)
{
    if (!snap || !path)
        return REGDB_E_INVAL;
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 16);
    if (!tmp)
        return REGDB_E_NOMEM;
    snprintf(tmp, pl + 16, "%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    int rc = 0;
    if (fd < 0) {
        free(tmp);
        return errno == EEXIST ? REGDB_E_EXISTS : REGDB_E_IO;
    }
    size_t off = 0, total = 0;
    const unsigned char *data = regdb__cow_image_data(snap->img, &total);
    while (off < total) {
        ssize_t w = write(fd, data + off, total - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            rc = REGDB_E_IO;
            break;
        }
        off += (size_t)w;
    }
    if (rc == 0 && fsync(fd) < 0)
        rc = REGDB_E_IO;
    close(fd);
    /* link() refuses to replace an existing file: the target must not exist. */
    if (rc == 0 && link(tmp, path) < 0)
        rc = errno == EEXIST ? REGDB_E_EXISTS : REGDB_E_IO;
    unlink(tmp);
    free(tmp);
    return rc;
}
