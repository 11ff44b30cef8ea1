/*
 * test_storage.c: regdb file stores: opening rules and clear errors,
 * read-only stores, two processes writing at once, a process that dies in
 * the middle of a transaction, and injected SQLite I/O errors (a shim VFS)
 * that must leave the store consistent and without partial changes.
 */
#include "regdb/regdb.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;
static char dbpath[4200];

static void setup(void)
{
    dir = t_mkdtemp("regdb");
    cr_assert_not_null(dir);
    snprintf(dbpath, sizeof dbpath, "%s/registry.db", dir);
}

static void teardown(void)
{
    t_rmtree(dir);
    free(dir);
}

TestSuite(regdb_storage, .init = setup, .fini = teardown, .timeout = 60);

static const regdb_open_opts create_opts = {REGDB_OPEN_CREATE, NULL, 0};

static int integrity_ok(const char *path)
{
    sqlite3 *s;
    if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return 0;
    sqlite3_stmt *st;
    int ok = 0;
    if (sqlite3_prepare_v2(s, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            ok = !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
        sqlite3_finalize(st);
    }
    sqlite3_close(s);
    return ok;
}

/* ---- child processes (re-executed test binary) ---- */

static void child_writer(const char *path, const char *tag)
{
    regdb *db;
    if (regdb_open(path, NULL, &db) < 0)
        _exit(10);
    regdb_key parent;
    if (regdb_create_key_u8(db, 0, "\\Registry\\Machine\\Shared", REGDB_CREATE_PATH, &parent) < 0)
        _exit(11);
    for (int i = 0; i < 200; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s-%03d", tag, i);
        regdb_key k;
        if (regdb_create_key_u8(db, parent, name, 0, &k) < 0)
            _exit(12);
        if (regdb_set_dword(db, k, L"i", (uint32_t)i) < 0)
            _exit(13);
        if (regdb_set_dword(db, parent, L"last", (uint32_t)i) < 0) /* contended value */
            _exit(14);
    }
    regdb_close(db);
    _exit(0);
}

/* Begin a transaction, write a lot, then die without committing. */
static void child_dier(const char *path, int hard)
{
    regdb *db;
    if (regdb_open(path, NULL, &db) < 0)
        _exit(10);
    regdb_key k;
    if (regdb_begin(db) < 0 || regdb_create_key_u8(db, 0, "\\Registry\\Machine\\Doomed", 0, &k) < 0)
        _exit(11);
    static unsigned char blob[64 * 1024];
    memset(blob, 0x5a, sizeof blob);
    for (int i = 0; i < 600; i++) { /* ~38 MB: spills pages into the WAL before commit */
        char name[32];
        snprintf(name, sizeof name, "v%d", i);
        uint16_t wn[32];
        size_t n = strlen(name);
        for (size_t j = 0; j <= n; j++)
            wn[j] = (uint16_t)name[j];
        if (regdb_set_value(db, k, wn, n, REGDB_BINARY, blob, sizeof blob) < 0)
            _exit(12);
    }
    if (hard) {
        char ready[4300];
        snprintf(ready, sizeof ready, "%s.ready", path);
        FILE *f = fopen(ready, "w");
        if (f)
            fclose(f);
        for (;;)
            pause();
    }
    _exit(0); /* no commit, no close */
}

__attribute__((constructor)) static void child_main(void)
{
    const char *role = t_child_role();
    if (!role)
        return;
    const char *arg = t_child_arg();
    char path[4200];
    snprintf(path, sizeof path, "%s", arg);
    char *sep = strchr(path, '|');
    const char *tag = "x";
    if (sep) {
        *sep = 0;
        tag = sep + 1;
    }
    if (!strcmp(role, "regdb-writer"))
        child_writer(path, tag);
    else if (!strcmp(role, "regdb-exit-in-txn"))
        child_dier(path, 0);
    else if (!strcmp(role, "regdb-killed-in-txn"))
        child_dier(path, 1);
}

/* ---- opening ---- */

Test(regdb_storage, create_then_reopen)
{
    regdb *db;
    cr_assert_eq(regdb_open(dbpath, NULL, &db), REGDB_E_NOTFOUND, "no CREATE, no file");
    cr_assert_eq(regdb_open(dbpath, &create_opts, &db), 0);
    regdb_key k;
    cr_assert_eq(regdb_create_key_u8(db, 0, "\\Registry\\Machine\\Persist", 0, &k), 0);
    cr_assert_eq(regdb_set_dword(db, k, L"v", 5), 0);
    regdb_close(db);
    cr_assert_eq(regdb_open(dbpath, NULL, &db), 0);
    uint32_t v = 0;
    cr_assert_eq(regdb_open_key_u8(db, 0, "\\Registry\\Machine\\Persist", &k), 0);
    cr_assert_eq(regdb_get_dword(db, k, L"v", &v), 0);
    cr_assert_eq(v, 5);
    regdb_close(db);
    cr_assert(integrity_ok(dbpath));
}

Test(regdb_storage, not_a_registry)
{
    FILE *f = fopen(dbpath, "w");
    fputs("this is a text file, not a database\n", f);
    fclose(f);
    regdb *db = (regdb *)0xdeadbeef;
    cr_assert_eq(regdb_open(dbpath, &create_opts, &db), REGDB_E_NOTREGISTRY);
    cr_assert_eq(db, (regdb *)0xdeadbeef, "out untouched on failure");

    /* An SQLite database of some other application. */
    unlink(dbpath);
    sqlite3 *s;
    cr_assert_eq(sqlite3_open(dbpath, &s), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(s, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(s);
    cr_assert_eq(regdb_open(dbpath, &create_opts, &db), REGDB_E_NOTREGISTRY);
}

Test(regdb_storage, unknown_schema_version)
{
    regdb *db;
    cr_assert_eq(regdb_open(dbpath, &create_opts, &db), 0);
    regdb_close(db);
    sqlite3 *s;
    cr_assert_eq(sqlite3_open(dbpath, &s), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(s, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(s);
    cr_assert_eq(regdb_open(dbpath, NULL, &db), REGDB_E_VERSION);
    cr_assert_str_eq(regdb_strerror(REGDB_E_VERSION), "unsupported registry schema version");
}

Test(regdb_storage, read_only_store)
{
    regdb *db;
    cr_assert_eq(regdb_open(dbpath, &create_opts, &db), 0);
    regdb_key k;
    cr_assert_eq(regdb_create_key_u8(db, 0, "\\Registry\\Machine\\RO", 0, &k), 0);
    regdb_close(db);
    regdb_open_opts ro = {REGDB_OPEN_READONLY, NULL, 0};
    cr_assert_eq(regdb_open(dbpath, &ro, &db), 0);
    cr_assert_eq(regdb_open_key_u8(db, 0, "\\Registry\\Machine\\RO", &k), 0);
    cr_assert_eq(regdb_set_dword(db, k, L"v", 1), REGDB_E_READONLY);
    regdb_key k2;
    cr_assert_eq(regdb_create_key_u8(db, k, "sub", 0, &k2), REGDB_E_READONLY);
    cr_assert_eq(regdb_delete_key(db, k), REGDB_E_READONLY);
    regdb_close(db);
}

/* ---- several processes ---- */

Test(regdb_storage, two_processes_write_at_once)
{
    regdb *db;
    cr_assert_eq(regdb_open(dbpath, &create_opts, &db), 0);
    regdb_close(db);
    char a1[4300], a2[4300];
    snprintf(a1, sizeof a1, "%s|A", dbpath);
    snprintf(a2, sizeof a2, "%s|B", dbpath);
    pid_t p1 = t_child_spawn("regdb-writer", a1);
    pid_t p2 = t_child_spawn("regdb-writer", a2);
    cr_assert_gt(p1, 0);
    cr_assert_gt(p2, 0);
    cr_assert_eq(t_child_wait(p1), 0);
    cr_assert_eq(t_child_wait(p2), 0);
    cr_assert_eq(regdb_open(dbpath, NULL, &db), 0);
    regdb_key parent;
    cr_assert_eq(regdb_open_key_u8(db, 0, "\\Registry\\Machine\\Shared", &parent), 0);
    regdb_key_info ki;
    cr_assert_eq(regdb_query_key(db, parent, &ki), 0);
    cr_assert_eq(ki.subkeys, 400, "every key of both writers is there");
    regdb_key_entry e;
    cr_assert_eq(regdb_enum_key(db, parent, 0, &e), 0);
    cr_assert_str_eq(t_u8(e.name, e.name_len), "A-000");
    cr_assert_eq(regdb_enum_key(db, parent, 399, &e), 0);
    cr_assert_str_eq(t_u8(e.name, e.name_len), "B-199");
    uint32_t last = 0;
    cr_assert_eq(regdb_get_dword(db, parent, L"last", &last), 0);
    cr_assert_eq(last, 199);
    regdb_close(db);
    cr_assert(integrity_ok(dbpath));
}

static void check_no_trace(void)
{
    cr_assert(integrity_ok(dbpath), "PRAGMA integrity_check must be ok");
    regdb *db;
    cr_assert_eq(regdb_open(dbpath, NULL, &db), 0);
    regdb_key k;
    cr_assert_eq(regdb_open_key_u8(db, 0, "\\Registry\\Machine\\Doomed", &k), REGDB_E_NOTFOUND,
                 "no trace of the uncommitted change");
    cr_assert_eq(regdb_open_key_u8(db, 0, "\\Registry\\Machine\\Before", &k), 0);
    cr_assert_eq(regdb_create_key_u8(db, 0, "\\Registry\\Machine\\After", 0, &k), 0, "store still writable");
    regdb_close(db);
}

Test(regdb_storage, exit_inside_transaction_leaves_no_trace)
{
    regdb *db;
    regdb_key k;
    cr_assert_eq(regdb_open(dbpath, &create_opts, &db), 0);
    cr_assert_eq(regdb_create_key_u8(db, 0, "\\Registry\\Machine\\Before", 0, &k), 0);
    regdb_close(db);
    pid_t p = t_child_spawn("regdb-exit-in-txn", dbpath);
    cr_assert_eq(t_child_wait(p), 0);
    check_no_trace();
}

Test(regdb_storage, kill_inside_transaction_leaves_no_trace)
{
    regdb *db;
    regdb_key k;
    cr_assert_eq(regdb_open(dbpath, &create_opts, &db), 0);
    cr_assert_eq(regdb_create_key_u8(db, 0, "\\Registry\\Machine\\Before", 0, &k), 0);
    regdb_close(db);
    char ready[4300];
    snprintf(ready, sizeof ready, "%s.ready", dbpath);
    pid_t p = t_child_spawn("regdb-killed-in-txn", dbpath);
    struct stat st;
    for (int i = 0; i < 3000 && stat(ready, &st) != 0; i++)
        usleep(10000);
    cr_assert_eq(stat(ready, &st), 0, "child reached the middle of its transaction");
    kill(p, SIGKILL);
    cr_assert_eq(t_child_wait(p), 128 + SIGKILL);
    check_no_trace();
}

/* ---- injected I/O errors: a shim VFS over the default one ---- */

static sqlite3_vfs shim_vfs;
static sqlite3_vfs *real_vfs;
static int fault_countdown = -1; /* fail the n-th write/sync/truncate; -1 = never */
static int faults_hit;

typedef struct shim_file {
    sqlite3_file base;
    sqlite3_file *real;
} shim_file;

static int should_fail(void)
{
    if (fault_countdown < 0)
        return 0;
    if (fault_countdown == 0) {
        faults_hit++;
        return 1; /* keep failing: a broken disk stays broken */
    }
    fault_countdown--;
    return 0;
}

static int s_close(sqlite3_file *f)
{
    shim_file *s = (shim_file *)f;
    int rc = s->real->pMethods ? s->real->pMethods->xClose(s->real) : SQLITE_OK;
    sqlite3_free(s->real);
    return rc;
}
static int s_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xRead(s->real, b, n, o);
}
static int s_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    shim_file *s = (shim_file *)f;
    if (should_fail())
        return SQLITE_IOERR_WRITE;
    return s->real->pMethods->xWrite(s->real, b, n, o);
}
static int s_truncate(sqlite3_file *f, sqlite3_int64 sz)
{
    shim_file *s = (shim_file *)f;
    if (should_fail())
        return SQLITE_IOERR_TRUNCATE;
    return s->real->pMethods->xTruncate(s->real, sz);
}
static int s_sync(sqlite3_file *f, int flags)
{
    shim_file *s = (shim_file *)f;
    if (should_fail())
        return SQLITE_IOERR_FSYNC;
    return s->real->pMethods->xSync(s->real, flags);
}
static int s_size(sqlite3_file *f, sqlite3_int64 *sz)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xFileSize(s->real, sz);
}
static int s_lock(sqlite3_file *f, int l)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xLock(s->real, l);
}
static int s_unlock(sqlite3_file *f, int l)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xUnlock(s->real, l);
}
static int s_check(sqlite3_file *f, int *out)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xCheckReservedLock(s->real, out);
}
static int s_fcntl(sqlite3_file *f, int op, void *arg)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xFileControl(s->real, op, arg);
}
static int s_sector(sqlite3_file *f)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xSectorSize(s->real);
}
static int s_devchar(sqlite3_file *f)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xDeviceCharacteristics(s->real);
}
static int s_shmmap(sqlite3_file *f, int pg, int sz, int ext, void volatile **pp)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xShmMap(s->real, pg, sz, ext, pp);
}
static int s_shmlock(sqlite3_file *f, int o, int n, int fl)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xShmLock(s->real, o, n, fl);
}
static void s_shmbarrier(sqlite3_file *f)
{
    shim_file *s = (shim_file *)f;
    s->real->pMethods->xShmBarrier(s->real);
}
static int s_shmunmap(sqlite3_file *f, int del)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xShmUnmap(s->real, del);
}

static const sqlite3_io_methods shim_io = {
    2, s_close, s_read, s_write, s_truncate, s_sync, s_size, s_lock, s_unlock, s_check, s_fcntl,
    s_sector, s_devchar, s_shmmap, s_shmlock, s_shmbarrier, s_shmunmap, NULL, NULL,
};

static int shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)vfs;
    shim_file *s = (shim_file *)f;
    s->real = sqlite3_malloc(real_vfs->szOsFile);
    if (!s->real)
        return SQLITE_NOMEM;
    memset(s->real, 0, (size_t)real_vfs->szOsFile);
    int rc = real_vfs->xOpen(real_vfs, name, s->real, flags, out);
    if (rc != SQLITE_OK) {
        sqlite3_free(s->real);
        s->real = NULL;
        f->pMethods = NULL;
        return rc;
    }
    f->pMethods = &shim_io;
    return SQLITE_OK;
}

static int shim_delete(sqlite3_vfs *v, const char *n, int sync) { (void)v; return real_vfs->xDelete(real_vfs, n, sync); }
static int shim_access(sqlite3_vfs *v, const char *n, int fl, int *o) { (void)v; return real_vfs->xAccess(real_vfs, n, fl, o); }
static int shim_full(sqlite3_vfs *v, const char *n, int sz, char *o) { (void)v; return real_vfs->xFullPathname(real_vfs, n, sz, o); }
static int shim_rand(sqlite3_vfs *v, int n, char *o) { (void)v; return real_vfs->xRandomness(real_vfs, n, o); }
static int shim_sleep(sqlite3_vfs *v, int us) { (void)v; return real_vfs->xSleep(real_vfs, us); }
static int shim_time(sqlite3_vfs *v, double *t) { (void)v; return real_vfs->xCurrentTime(real_vfs, t); }
static int shim_err(sqlite3_vfs *v, int n, char *o) { (void)v; return real_vfs->xGetLastError(real_vfs, n, o); }

static void shim_register(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    memset(&shim_vfs, 0, sizeof shim_vfs);
    shim_vfs.iVersion = 1;
    shim_vfs.szOsFile = (int)sizeof(shim_file);
    shim_vfs.mxPathname = real_vfs->mxPathname;
    shim_vfs.zName = "pnpbox-faulty";
    shim_vfs.xOpen = shim_open;
    shim_vfs.xDelete = shim_delete;
    shim_vfs.xAccess = shim_access;
    shim_vfs.xFullPathname = shim_full;
    shim_vfs.xDlOpen = NULL;
    shim_vfs.xRandomness = shim_rand;
    shim_vfs.xSleep = shim_sleep;
    shim_vfs.xCurrentTime = shim_time;
    shim_vfs.xGetLastError = shim_err;
    cr_assert_eq(sqlite3_vfs_register(&shim_vfs, 0), SQLITE_OK);
}

/* The change under test: many keys and values plus a tree delete, in one transaction. */
static int big_change(regdb *db)
{
    regdb_key top, k;
    int rc;
    if ((rc = regdb_begin(db)) < 0)
        return rc;
    if ((rc = regdb_create_key_u8(db, 0, "\\Registry\\Machine\\Change", 0, &top)) < 0)
        goto fail;
    for (int i = 0; i < 40; i++) {
        char name[32];
        snprintf(name, sizeof name, "K%02d", i);
        if ((rc = regdb_create_key_u8(db, top, name, 0, &k)) < 0)
            goto fail;
        unsigned char data[700];
        memset(data, i, sizeof data);
        if ((rc = regdb_set_binary(db, k, L"data", data, sizeof data)) < 0)
            goto fail;
    }
    if ((rc = regdb_open_key_u8(db, 0, "\\Registry\\Machine\\Old", &k)) < 0 || (rc = regdb_delete_tree(db, k)) < 0)
        goto fail;
    return regdb_commit(db);
fail:
    regdb_rollback(db);
    return rc;
}

/* 0: the store is exactly as before the change; 1: exactly after; -1: anything else. */
static int state_of(void)
{
    regdb *db;
    if (regdb_open(dbpath, NULL, &db) < 0)
        return -1;
    regdb_key top, old;
    int has_change = regdb_open_key_u8(db, 0, "\\Registry\\Machine\\Change", &top) == 0;
    int has_old = regdb_open_key_u8(db, 0, "\\Registry\\Machine\\Old", &old) == 0;
    int result = -1;
    if (!has_change && has_old) {
        regdb_key_info ki;
        if (regdb_query_key(db, old, &ki) == 0 && ki.subkeys == 30)
            result = 0;
    } else if (has_change && !has_old) {
        regdb_key_info ki;
        if (regdb_query_key(db, top, &ki) == 0 && ki.subkeys == 40)
            result = 1;
    }
    regdb_close(db);
    return result;
}

Test(regdb_storage, injected_io_errors_leave_store_consistent)
{
    shim_register();
    int failures = 0;
    for (int n = 0; n < 400; n++) {
        unlink(dbpath);
        char side[4300];
        snprintf(side, sizeof side, "%s-wal", dbpath);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", dbpath);
        unlink(side);
        /* The "before" state. */
        regdb *db;
        cr_assert_eq(regdb_open(dbpath, &create_opts, &db), 0);
        regdb_key old, k;
        cr_assert_eq(regdb_create_key_u8(db, 0, "\\Registry\\Machine\\Old", 0, &old), 0);
        for (int i = 0; i < 30; i++) {
            char name[16];
            snprintf(name, sizeof name, "O%d", i);
            cr_assert_eq(regdb_create_key_u8(db, old, name, 0, &k), 0);
        }
        regdb_close(db);

        regdb_open_opts faulty = {0, "pnpbox-faulty", 2000};
        fault_countdown = -1;
        cr_assert_eq(regdb_open(dbpath, &faulty, &db), 0);
        faults_hit = 0;
        fault_countdown = n;
        int rc = big_change(db);
        regdb_close(db);
        int hit = faults_hit;
        fault_countdown = -1;

        cr_assert(integrity_ok(dbpath), "integrity after fault at write %d", n);
        int st = state_of();
        if (rc == 0) {
            /* A fault after the commit point (e.g. in a checkpoint) may still leave the change whole. */
            cr_assert_eq(st, 1, "committed change must be whole (fault %d, hit %d)", n, hit);
            if (!hit)
                break; /* the change needs fewer than n writes: every point was covered */
        } else {
            failures++;
            cr_assert(rc == REGDB_E_IO || rc == REGDB_E_BUSY, "fault %d: error %d (%s)", n, rc,
                      regdb_strerror(rc));
            cr_assert(st == 0 || st == 1, "fault %d left a partial change (state %d)", n, st);
        }
    }
    cr_assert_gt(failures, 3, "the faults must actually have been injected");
}
