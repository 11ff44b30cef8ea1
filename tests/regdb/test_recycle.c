/*
 * test_recycle.c: recycled snapshot clones.  regdb_close keeps a closed
 * clone's connection and regdb_snapshot_clone hands it out again, rewound
 * to the snapshot (regdb_cow.c).  These tests hold the promise that such a
 * clone cannot be told from a new one: the same bytes, the same answers,
 * no hooks, transaction, cursor or callback of its previous life, and
 * connections that were changed in ways regdb cannot undo are not reused.
 */
#include "regdb/regdb.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static regdb_snapshot *snap;
static regdb_key tmpl_key; /* \Registry\Machine\T in the snapshot */

/* A snapshot with a few keys and values, one of them a link. */
static void setup(void)
{
    regdb *db;
    cr_assert_eq(regdb_open(NULL, NULL, &db), 0);
    regdb_key k, sub;
    cr_assert_eq(regdb_create_key(db, 0, W("\\Registry\\Machine\\T"), 0, NULL, 0, &k, NULL), 0);
    cr_assert_eq(regdb_set_sz(db, k, L"s", L"template"), 0);
    cr_assert_eq(regdb_set_dword(db, k, L"d", 7), 0);
    for (int i = 0; i < 300; i++) { /* enough rows for several pages */
        uint16_t name[8] = {'v', (uint16_t)('0' + i / 100), (uint16_t)('0' + i / 10 % 10),
                            (uint16_t)('0' + i % 10), 0};
        cr_assert_eq(regdb_set_dword(db, k, name, (uint32_t)i), 0);
    }
    cr_assert_eq(regdb_create_key(db, k, W("Sub\\Deeper"), REGDB_CREATE_PATH, NULL, 0, &sub, NULL), 0);
    cr_assert_eq(regdb_create_key(db, 0, W("\\Registry\\Machine\\L"), REGDB_CREATE_LINK, NULL, 0, &sub, NULL),
                 0);
    cr_assert_eq(regdb_set_link(db, sub, W("\\Registry\\Machine\\T")), 0);
    tmpl_key = k;
    cr_assert_eq(regdb_snapshot_take(db, &snap), 0);
    regdb_close(db);
}

static void teardown(void) { regdb_snapshot_free(snap); }

TestSuite(regdb_recycle, .init = setup, .fini = teardown, .timeout = 120);

/* A connection that has been used before still holds regdb's prepared statements
 * (so a test makes at least one regdb call on a clone it wants to see reused). */
static int was_used(regdb *c) { return sqlite3_next_stmt(regdb_sqlite(c), NULL) != NULL; }

/* The clone's whole database image equals the snapshot's, byte for byte. */
static void assert_pristine(regdb *c)
{
    regdb_snapshot *s;
    cr_assert_eq(regdb_snapshot_take(c, &s), 0);
    size_t a, b;
    const void *x = regdb_snapshot_data(snap, &a), *y = regdb_snapshot_data(s, &b);
    cr_assert_eq(a, b, "image sizes %zu and %zu", a, b);
    cr_assert_eq(memcmp(x, y, a), 0, "the rewound image differs from the snapshot");
    regdb_snapshot_free(s);
    /* and the answers through the cache match it too */
    regdb_key k;
    cr_assert_eq(regdb_open_key(c, 0, W("\\Registry\\Machine\\L"), 0, &k), 0, "the link is followed");
    cr_assert_eq(k, tmpl_key);
    uint16_t *str;
    cr_assert_eq(regdb_get_sz(c, k, L"s", &str, NULL), 0);
    cr_assert_str_eq(t_u8(str, 8), "template");
    free(str);
    uint32_t d = 0xdeadbeef;
    cr_assert_eq(regdb_get_dword(c, k, L"v123", &d), 0);
    cr_assert_eq(d, 123);
    regdb_key_info ki;
    cr_assert_eq(regdb_query_key(c, k, &ki), 0);
    cr_assert_eq(ki.subkeys, 1);
    cr_assert_eq(ki.values, 302);
    regdb_value v;
    cr_assert_eq(regdb_enum_value(c, k, 0, &v), 0);
    cr_assert_eq(v.name_len, 1);
    cr_assert_eq(v.name[0], 's');
    cr_assert_eq(regdb_query_value(c, k, W("new"), &v), REGDB_E_NOTFOUND);
    cr_assert_eq(regdb_open_key(c, k, W("Made"), 0, &k), REGDB_E_NOTFOUND);
    cr_assert_eq(regdb_in_transaction(c), 0);
    cr_assert_str_eq(regdb_errmsg(c), "");
}

/* Change everything a clone can change, leaving cursors and an error behind. */
static void scribble(regdb *c)
{
    regdb_key k, n, vol;
    cr_assert_eq(regdb_open_key(c, 0, W("\\Registry\\Machine\\T"), 0, &k), 0);
    cr_assert_eq(regdb_set_sz(c, k, L"s", L"changed"), 0);
    cr_assert_eq(regdb_set_dword(c, k, L"new", 1), 0);
    cr_assert_eq(regdb_delete_value(c, k, W("v123")), 0);
    cr_assert_eq(regdb_create_key(c, k, W("Made\\Below"), REGDB_CREATE_PATH, NULL, 0, &n, NULL), 0);
    cr_assert_eq(regdb_create_key(c, k, W("Vol"), REGDB_CREATE_VOLATILE, NULL, 0, &vol, NULL), 0);
    cr_assert_eq(regdb_create_key(c, vol, W("Inner"), REGDB_CREATE_VOLATILE, NULL, 0, &n, NULL), 0);
    cr_assert_eq(regdb_delete_tree(c, vol), 0);
    cr_assert_eq(regdb_set_last_write(c, k, 12345), 0);
    regdb_key_entry e;
    cr_assert_eq(regdb_enum_key(c, k, 0, &e), 0);
    regdb_value v;
    cr_assert_eq(regdb_enum_value(c, k, 0, &v), 0);
    cr_assert_eq(regdb_enum_value(c, k, 1, &v), 0);
    cr_assert_eq(regdb_open_key(c, k, W("Nope"), 0, &n), REGDB_E_NOTFOUND);
    cr_assert_eq(regdb_create_key(c, k, W("a\\\\b"), REGDB_CREATE_PATH, NULL, 0, &n, NULL), REGDB_E_INVAL);
}

Test(regdb_recycle, a_recycled_clone_is_byte_identical_to_a_new_one)
{
    regdb *c;
    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    cr_assert_not(was_used(c), "the first clone is new");
    assert_pristine(c);
    for (int round = 0; round < 5; round++) {
        scribble(c);
        regdb_close(c);
        cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
        cr_assert(was_used(c), "round %d: the closed clone is reused", round);
        assert_pristine(c);
    }
    regdb_close(c);
}

Test(regdb_recycle, large_writes_and_rollbacks_are_rewound)
{
    regdb *c;
    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    regdb_key k;
    cr_assert_eq(regdb_open_key(c, 0, W("\\Registry\\Machine\\T"), 0, &k), 0);
    size_t n = 3u << 20;
    unsigned char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (unsigned char)(i * 13);
    cr_assert_eq(regdb_set_binary(c, k, L"big", big, n), 0);
    cr_assert_eq(regdb_begin(c), 0);
    cr_assert_eq(regdb_set_binary(c, k, L"big", "x", 1), 0);
    cr_assert_eq(regdb_rollback(c), 0);
    regdb_close(c);
    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    cr_assert(was_used(c));
    assert_pristine(c);
    /* VACUUM rewrites the schema cookie: that clone is closed for good. */
    cr_assert_eq(regdb_delete_value(c, tmpl_key, W("s")), 0);
    cr_assert_eq(sqlite3_exec(regdb_sqlite(c), "VACUUM", NULL, NULL, NULL), SQLITE_OK);
    cr_assert_eq(regdb_set_binary(c, tmpl_key, L"again", big, 5000), 0);
    regdb_close(c);
    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    cr_assert_not(was_used(c));
    assert_pristine(c);
    /* and it still works as a store: the same large write again */
    cr_assert_eq(regdb_set_binary(c, tmpl_key, L"big", big, n), 0);
    regdb_value v;
    cr_assert_eq(regdb_query_value(c, tmpl_key, W("big"), &v), 0);
    cr_assert_eq(v.data_len, n);
    cr_assert_eq(memcmp(v.data, big, n), 0);
    free(big);
    regdb_close(c);
}

Test(regdb_recycle, a_schema_change_does_not_survive)
{
    regdb *c;
    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    cr_assert_eq(regdb_set_dword(c, tmpl_key, L"x", 1), 0);
    cr_assert_eq(sqlite3_exec(regdb_sqlite(c), "CREATE TABLE extra(x); INSERT INTO extra VALUES(1);", NULL,
                              NULL, NULL),
                 SQLITE_OK);
    regdb_close(c);
    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    cr_assert_not(was_used(c), "a connection whose schema changed is not reused");
    sqlite3_stmt *st = NULL;
    cr_assert_neq(sqlite3_prepare_v2(regdb_sqlite(c), "SELECT x FROM extra", -1, &st, NULL), SQLITE_OK,
                  "the table of the previous life is gone");
    sqlite3_finalize(st);
    assert_pristine(c);
    regdb_close(c);
}

static int hook_calls;

static void hook(void *ctx, regdb_key watched, regdb_key changed, unsigned what)
{
    (void)ctx, (void)watched, (void)changed, (void)what;
    hook_calls++;
}

Test(regdb_recycle, hooks_and_an_open_transaction_do_not_survive)
{
    regdb *c;
    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    int id1 = -1, id2 = -1;
    cr_assert_eq(regdb_hook_add(c, tmpl_key, 1, REGDB_CHANGE_LAST_SET, hook, NULL, &id1), 0);
    cr_assert_eq(regdb_hook_add(c, tmpl_key, 0, REGDB_CHANGE_NAME, hook, NULL, &id2), 0);
    cr_assert_eq(regdb_begin(c), 0);
    cr_assert_eq(regdb_begin(c), 0);
    cr_assert_eq(regdb_set_dword(c, tmpl_key, L"pending", 1), 0);
    regdb_close(c); /* inside a nested transaction: everything rolls back */
    hook_calls = 0;

    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    cr_assert(was_used(c));
    cr_assert_eq(regdb_in_transaction(c), 0);
    cr_assert_eq(regdb_commit(c), REGDB_E_TXN);
    cr_assert_eq(regdb_hook_remove(c, id1), REGDB_E_NOTFOUND, "the old hooks are gone");
    cr_assert_eq(regdb_set_dword(c, tmpl_key, L"x", 1), 0);
    cr_assert_eq(hook_calls, 0);
    int id = -1;
    cr_assert_eq(regdb_hook_add(c, tmpl_key, 0, REGDB_CHANGE_LAST_SET, hook, NULL, &id), 0);
    cr_assert_eq(id, id1, "hook ids start again as in a new store");
    cr_assert_eq(regdb_set_dword(c, tmpl_key, L"x", 2), 0);
    cr_assert_eq(hook_calls, 1);
    regdb_close(c);
    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    assert_pristine(c);
    regdb_close(c);
}

static char order[16];

static void closer(void *ctx) { strncat(order, ctx, sizeof order - strlen(order) - 1); }

Test(regdb_recycle, close_callbacks_run_once_newest_first)
{
    regdb *c;
    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    cr_assert_eq(regdb_set_dword(c, tmpl_key, L"x", 1), 0);
    cr_assert_eq(regdb_on_close(c, closer, "a"), 0);
    cr_assert_eq(regdb_on_close(c, closer, "b"), 0);
    cr_assert_eq(regdb_on_close(NULL, closer, "x"), REGDB_E_INVAL);
    cr_assert_eq(regdb_on_close(c, NULL, "x"), REGDB_E_INVAL);
    regdb_close(c);
    cr_assert_str_eq(order, "ba");
    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    cr_assert(was_used(c));
    regdb_close(c);
    cr_assert_str_eq(order, "ba", "a recycled clone does not carry the callbacks");
    /* a file store runs them too */
    regdb *m;
    cr_assert_eq(regdb_open(NULL, NULL, &m), 0);
    cr_assert_eq(regdb_on_close(m, closer, "c"), 0);
    regdb_close(m);
    cr_assert_str_eq(order, "bac");
}

Test(regdb_recycle, changed_connections_are_not_reused)
{
    regdb *c;
    /* an unfinalized statement of someone else's */
    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    cr_assert_eq(regdb_set_dword(c, tmpl_key, L"x", 1), 0);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(regdb_sqlite(c), "SELECT 1", -1, &st, NULL), SQLITE_OK);
    regdb_close(c);       /* not reusable: closed for good (SQLite keeps a zombie until...) */
    sqlite3_finalize(st); /* ...the statement goes, with no leak either way */
    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    cr_assert_not(was_used(c), "a connection with a foreign statement was not reused");
    /* a temporary table */
    cr_assert_eq(sqlite3_exec(regdb_sqlite(c), "CREATE TEMP TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    regdb_close(c);
    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    cr_assert_not(was_used(c), "a connection with a temporary database was not reused");
    cr_assert_eq(sqlite3_exec(regdb_sqlite(c), "SELECT * FROM temp.t", NULL, NULL, NULL), SQLITE_ERROR);
    /* an attached database */
    cr_assert_eq(sqlite3_exec(regdb_sqlite(c), "ATTACH ':memory:' AS other", NULL, NULL, NULL), SQLITE_OK);
    regdb_close(c);
    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    cr_assert_not(was_used(c), "a connection with an attachment was not reused");
    assert_pristine(c);
    regdb_close(c);
}

Test(regdb_recycle, many_clones_at_once_and_the_snapshot_freed_first)
{
    regdb *c[8];
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(regdb_snapshot_clone(snap, &c[i]), 0);
        uint32_t v = (uint32_t)i;
        cr_assert_eq(regdb_set_dword(c[i], tmpl_key, L"mine", v), 0);
    }
    for (int i = 0; i < 8; i++) { /* each saw only its own write */
        uint32_t v = 99;
        cr_assert_eq(regdb_get_dword(c[i], tmpl_key, L"mine", &v), 0);
        cr_assert_eq(v, (uint32_t)i);
        regdb_close(c[i]);
    }
    int reused = 0;
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(regdb_snapshot_clone(snap, &c[i]), 0);
        reused += was_used(c[i]);
        assert_pristine(c[i]);
        cr_assert_eq(regdb_set_dword(c[i], tmpl_key, L"mine", 1), 0);
    }
    cr_assert_gt(reused, 0);
    cr_assert_leq(reused, 8);
    /* The snapshot goes while clones are open: they still work, and close for good. */
    regdb_snapshot_free(snap);
    snap = NULL;
    for (int i = 0; i < 8; i++) {
        uint32_t v = 0;
        cr_assert_eq(regdb_get_dword(c[i], tmpl_key, L"d", &v), 0);
        cr_assert_eq(v, 7);
        regdb_close(c[i]);
    }
}

/* Threads cloning, writing and closing the same snapshot at once. */
static void *churn(void *arg)
{
    uintptr_t me = (uintptr_t)arg;
    for (int i = 0; i < 200; i++) {
        regdb *c;
        if (regdb_snapshot_clone(snap, &c) < 0)
            return (void *)1;
        uint32_t v = 0;
        int bad = regdb_get_dword(c, tmpl_key, L"mine", &v) != REGDB_E_NOTFOUND ||
                  regdb_get_dword(c, tmpl_key, L"d", &v) != 0 || v != 7 ||
                  regdb_set_dword(c, tmpl_key, L"mine", (uint32_t)me) != 0 ||
                  regdb_set_dword(c, tmpl_key, L"d", (uint32_t)i) != 0;
        regdb_close(c);
        if (bad)
            return (void *)1;
    }
    return NULL;
}

Test(regdb_recycle, threads_share_the_pool)
{
    pthread_t t[4];
    for (uintptr_t i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, churn, (void *)i), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        cr_assert_null(r, "thread %d saw a clone that was not fresh", i);
    }
}

/* ---- the look-up cache of memory stores: never an answer the table would not give ---- */

static regdb *mdb;

static void msetup(void) { cr_assert_eq(regdb_open(NULL, NULL, &mdb), 0); }
static void mteardown(void) { regdb_close(mdb); }

TestSuite(regdb_lookup_cache, .init = msetup, .fini = mteardown);

static regdb_key open_or(regdb *d, const uint16_t *p, size_t n, int *rc)
{
    regdb_key k = 0;
    *rc = regdb_open_key(d, 0, p, n, 0, &k);
    return k;
}

Test(regdb_lookup_cache, deleted_keys_are_not_found)
{
    int rc;
    regdb_key k, a;
    cr_assert_eq(regdb_create_key(mdb, 0, W("\\Registry\\Machine\\C\\A\\B"), REGDB_CREATE_PATH, NULL, 0, &k, NULL),
                 0);
    cr_assert_eq(open_or(mdb, W("\\Registry\\Machine\\C\\A\\B"), &rc), k); /* cached now */
    cr_assert_eq(rc, 0);
    a = open_or(mdb, W("\\REGISTRY\\machine\\c\\a"), &rc);
    cr_assert_eq(rc, 0);
    cr_assert_eq(regdb_delete_key(mdb, k), 0);
    open_or(mdb, W("\\Registry\\Machine\\C\\A\\B"), &rc);
    cr_assert_eq(rc, REGDB_E_NOTFOUND);
    regdb_key k2;
    cr_assert_eq(regdb_create_key(mdb, a, W("b"), 0, NULL, 0, &k2, NULL), 0);
    cr_assert_neq(k2, k, "a new key, never the old id");
    cr_assert_eq(open_or(mdb, W("\\Registry\\Machine\\C\\A\\B"), &rc), k2);
    /* a whole tree */
    cr_assert_eq(regdb_delete_tree(mdb, a), 0);
    open_or(mdb, W("\\Registry\\Machine\\C\\A\\B"), &rc);
    cr_assert_eq(rc, REGDB_E_NOTFOUND);
    open_or(mdb, W("\\Registry\\Machine\\C\\A"), &rc);
    cr_assert_eq(rc, REGDB_E_NOTFOUND);
    cr_assert_eq(regdb_open_key(mdb, a, NULL, 0, 0, &k), REGDB_E_DELETED);
}

Test(regdb_lookup_cache, rolled_back_keys_are_not_found)
{
    int rc;
    regdb_key k, in;
    cr_assert_eq(regdb_create_key(mdb, 0, W("\\Registry\\Machine\\R"), 0, NULL, 0, &k, NULL), 0);
    cr_assert_eq(regdb_begin(mdb), 0);
    cr_assert_eq(regdb_create_key(mdb, k, W("Inner\\Deep"), REGDB_CREATE_PATH, NULL, 0, &in, NULL), 0);
    cr_assert_eq(open_or(mdb, W("\\Registry\\Machine\\R\\Inner\\Deep"), &rc), in);
    cr_assert_eq(regdb_begin(mdb), 0); /* a nested part undone alone */
    regdb_key n2;
    cr_assert_eq(regdb_create_key(mdb, in, W("Nested"), 0, NULL, 0, &n2, NULL), 0);
    cr_assert_eq(open_or(mdb, W("\\Registry\\Machine\\R\\Inner\\Deep\\Nested"), &rc), n2);
    cr_assert_eq(regdb_rollback(mdb), 0);
    open_or(mdb, W("\\Registry\\Machine\\R\\Inner\\Deep\\Nested"), &rc);
    cr_assert_eq(rc, REGDB_E_NOTFOUND);
    cr_assert_eq(open_or(mdb, W("\\Registry\\Machine\\R\\Inner\\Deep"), &rc), in, "the outer part stays");
    cr_assert_eq(regdb_rollback(mdb), 0);
    open_or(mdb, W("\\Registry\\Machine\\R\\Inner\\Deep"), &rc);
    cr_assert_eq(rc, REGDB_E_NOTFOUND);
    open_or(mdb, W("\\Registry\\Machine\\R\\Inner"), &rc);
    cr_assert_eq(rc, REGDB_E_NOTFOUND);
    /* a failed write inside a caller's transaction rolls its own part back */
    cr_assert_eq(regdb_begin(mdb), 0);
    regdb_key vol;
    cr_assert_eq(regdb_create_key(mdb, k, W("V"), REGDB_CREATE_VOLATILE, NULL, 0, &vol, NULL), 0);
    cr_assert_eq(regdb_create_key(mdb, vol, W("NotVolatile"), 0, NULL, 0, &n2, NULL), REGDB_E_VOLATILE);
    cr_assert_eq(regdb_commit(mdb), 0);
    open_or(mdb, W("\\Registry\\Machine\\R\\V\\NotVolatile"), &rc);
    cr_assert_eq(rc, REGDB_E_NOTFOUND);
    cr_assert_eq(open_or(mdb, W("\\Registry\\Machine\\R\\V"), &rc), vol);
}

Test(regdb_lookup_cache, reboot_drops_volatile_keys)
{
    int rc;
    regdb_key v, s;
    cr_assert_eq(regdb_create_key(mdb, 0, W("\\Registry\\Machine\\Vol"), REGDB_CREATE_VOLATILE, NULL, 0, &v, NULL),
                 0);
    cr_assert_eq(regdb_create_key(mdb, v, W("Sub"), REGDB_CREATE_VOLATILE, NULL, 0, &s, NULL), 0);
    cr_assert_eq(open_or(mdb, W("\\Registry\\Machine\\Vol\\Sub"), &rc), s);
    cr_assert_eq(regdb_reboot(mdb), 0);
    open_or(mdb, W("\\Registry\\Machine\\Vol\\Sub"), &rc);
    cr_assert_eq(rc, REGDB_E_NOTFOUND);
    open_or(mdb, W("\\Registry\\Machine\\Vol"), &rc);
    cr_assert_eq(rc, REGDB_E_NOTFOUND);
}

Test(regdb_lookup_cache, links_and_many_names)
{
    int rc;
    regdb_key t, l, k;
    cr_assert_eq(regdb_create_key(mdb, 0, W("\\Registry\\Machine\\Target"), 0, NULL, 0, &t, NULL), 0);
    cr_assert_eq(regdb_create_key(mdb, 0, W("\\Registry\\Machine\\Link"), REGDB_CREATE_LINK, NULL, 0, &l, NULL), 0);
    cr_assert_eq(regdb_set_link(mdb, l, W("\\Registry\\Machine\\Target")), 0);
    cr_assert_eq(open_or(mdb, W("\\Registry\\Machine\\Link"), &rc), t);
    cr_assert_eq(regdb_open_key(mdb, 0, W("\\Registry\\Machine\\Link"), REGDB_OPEN_LINK, &k), 0);
    cr_assert_eq(k, l, "the cached entry keeps the link flag");
    /* more names than slots, and names too long to be cached: all found, none confused */
    regdb_key ids[600];
    for (int i = 0; i < 600; i++) {
        uint16_t nm[80];
        int n = 0;
        for (; n < (i % 3 == 0 ? 70 : 6); n++)
            nm[n] = (uint16_t)('a' + (i + n) % 26);
        nm[0] = (uint16_t)('A' + i / 26 % 26);
        nm[1] = (uint16_t)('A' + i % 26);
        cr_assert_eq(regdb_create_key(mdb, t, nm, (size_t)n, 0, NULL, 0, &ids[i], NULL), 0);
    }
    for (int round = 0; round < 2; round++)
        for (int i = 599; i >= 0; i--) {
            uint16_t nm[80];
            int n = 0;
            for (; n < (i % 3 == 0 ? 70 : 6); n++)
                nm[n] = (uint16_t)('a' + (i + n) % 26);
            nm[0] = (uint16_t)('a' + i / 26 % 26); /* another case: the same key */
            nm[1] = (uint16_t)('a' + i % 26);
            cr_assert_eq(regdb_open_key(mdb, t, nm, (size_t)n, 0, &k), 0);
            cr_assert_eq(k, ids[i], "name %d", i);
        }
}

Test(regdb_lookup_cache, key_paths_and_checks_follow_deletes)
{
    /* a name longer than the key cache keeps, between two short ones */
    static const char longname[] = "A-very-long-key-name-that-is-longer-than-forty-eight-code-units-0123456789";
    uint16_t path[200];
    size_t n = 0;
    for (const char *c = "\\Registry\\Machine\\P\\"; *c; c++)
        path[n++] = (uint16_t)*c;
    for (const char *c = longname; *c; c++)
        path[n++] = (uint16_t)*c;
    for (const char *c = "\\Leaf"; *c; c++)
        path[n++] = (uint16_t)*c;
    regdb_key leaf, mid;
    cr_assert_eq(regdb_create_key(mdb, 0, path, n, REGDB_CREATE_PATH, NULL, 0, &leaf, NULL), 0);
    for (int round = 0; round < 2; round++) { /* the second round comes from the caches */
        uint16_t *p;
        size_t len;
        cr_assert_eq(regdb_key_path(mdb, leaf, &p, &len), 0);
        cr_assert_str_eq(t_u8(p, len), "\\REGISTRY\\MACHINE\\P\\A-very-long-key-name-that-is-longer-than-forty-eight-"
                                       "code-units-0123456789\\Leaf");
        free(p);
        cr_assert_eq(regdb_key_check(mdb, leaf), 0);
    }
    regdb_key_info ki;
    cr_assert_eq(regdb_query_key(mdb, leaf, &ki), 0);
    mid = ki.parent;
    cr_assert_eq(regdb_delete_tree(mdb, mid), 0);
    uint16_t *p = NULL;
    cr_assert_eq(regdb_key_path(mdb, leaf, &p, NULL), REGDB_E_DELETED);
    cr_assert_eq(regdb_key_check(mdb, leaf), REGDB_E_DELETED);
    cr_assert_eq(regdb_key_check(mdb, mid), REGDB_E_DELETED);
    regdb_value v;
    cr_assert_eq(regdb_query_value(mdb, leaf, W("x"), &v), REGDB_E_DELETED);
    cr_assert_eq(regdb_set_dword(mdb, leaf, L"x", 1), REGDB_E_DELETED);
    /* a key created and rolled back: its id is dead too */
    regdb_key t;
    cr_assert_eq(regdb_begin(mdb), 0);
    cr_assert_eq(regdb_create_key(mdb, 0, W("\\Registry\\Machine\\Gone"), 0, NULL, 0, &t, NULL), 0);
    cr_assert_eq(regdb_key_check(mdb, t), 0);
    cr_assert_eq(regdb_rollback(mdb), 0);
    cr_assert_eq(regdb_key_check(mdb, t), REGDB_E_DELETED);
    cr_assert_eq(regdb_key_path(mdb, t, &p, NULL), REGDB_E_DELETED);
}

/* ---- last-write times: stamped once per key and transaction, never lost ---- */

static int64_t lw(regdb_key k)
{
    regdb_key_info ki;
    cr_assert_eq(regdb_query_key(mdb, k, &ki), 0);
    return ki.last_write;
}

Test(regdb_lookup_cache, last_write_times_inside_transactions)
{
    regdb_key k, sub;
    cr_assert_eq(regdb_create_key(mdb, 0, W("\\Registry\\Machine\\T"), 0, NULL, 0, &k, NULL), 0);
    cr_assert_eq(regdb_set_last_write(mdb, k, 1000), 0);
    cr_assert_eq(regdb_set_dword(mdb, k, L"a", 1), 0);
    cr_assert_gt(lw(k), 1000, "a value set stamps the key");

    /* an explicit time inside a transaction, then a change: stamped again */
    cr_assert_eq(regdb_begin(mdb), 0);
    cr_assert_eq(regdb_set_dword(mdb, k, L"a", 2), 0);
    cr_assert_eq(regdb_set_last_write(mdb, k, 1000), 0);
    cr_assert_eq(regdb_set_dword(mdb, k, L"b", 2), 0);
    cr_assert_gt(lw(k), 1000);
    /* a rolled-back part takes its stamp with it; the next change stamps anew */
    cr_assert_eq(regdb_set_last_write(mdb, k, 1000), 0);
    cr_assert_eq(regdb_begin(mdb), 0);
    cr_assert_eq(regdb_set_dword(mdb, k, L"c", 3), 0);
    cr_assert_eq(regdb_rollback(mdb), 0);
    cr_assert_eq(lw(k), 1000);
    cr_assert_eq(regdb_set_dword(mdb, k, L"d", 4), 0);
    cr_assert_gt(lw(k), 1000);
    /* a new subkey stamps its parent, once stamped or not */
    cr_assert_eq(regdb_set_last_write(mdb, k, 1000), 0);
    cr_assert_eq(regdb_create_key(mdb, k, W("Sub"), 0, NULL, 0, &sub, NULL), 0);
    cr_assert_gt(lw(k), 1000);
    /* a key deleted inside the transaction is gone for later writes */
    cr_assert_eq(regdb_set_dword(mdb, sub, L"x", 1), 0);
    cr_assert_eq(regdb_set_dword(mdb, sub, L"y", 1), 0);
    cr_assert_eq(regdb_delete_key(mdb, sub), 0);
    cr_assert_eq(regdb_set_dword(mdb, sub, L"z", 1), REGDB_E_DELETED);
    cr_assert_eq(regdb_commit(mdb), 0);
    uint32_t v = 0;
    cr_assert_eq(regdb_get_dword(mdb, k, L"a", &v), 0);
    cr_assert_eq(v, 2);
    cr_assert_eq(regdb_get_dword(mdb, k, L"c", &v), REGDB_E_NOTFOUND);
    cr_assert_eq(regdb_get_dword(mdb, k, L"d", &v), 0);
    cr_assert_eq(v, 4);
    /* after the commit a change stamps again */
    cr_assert_eq(regdb_set_last_write(mdb, k, 1000), 0);
    cr_assert_eq(regdb_delete_value(mdb, k, W("d")), 0);
    cr_assert_gt(lw(k), 1000);
}

Test(regdb_lookup_cache, a_missing_name_is_found_once_made)
{
    int rc;
    regdb_key m, k;
    cr_assert_eq(regdb_create_key(mdb, 0, W("\\Registry\\Machine\\M"), 0, NULL, 0, &m, NULL), 0);
    for (int round = 0; round < 2; round++) { /* the second miss comes from the cache */
        open_or(mdb, W("\\Registry\\Machine\\M\\Later"), &rc);
        cr_assert_eq(rc, REGDB_E_NOTFOUND);
    }
    cr_assert_eq(regdb_create_key(mdb, m, W("LATER"), 0, NULL, 0, &k, NULL), 0);
    cr_assert_eq(open_or(mdb, W("\\Registry\\Machine\\M\\later"), &rc), k);
    cr_assert_eq(rc, 0);
    /* made through a path with missing parents, by an import, then dropped by a rollback */
    open_or(mdb, W("\\Registry\\Machine\\M\\A\\B"), &rc);
    cr_assert_eq(rc, REGDB_E_NOTFOUND);
    static const char reg[] = "Windows Registry Editor Version 5.00\r\n\r\n"
                              "[HKEY_LOCAL_MACHINE\\M\\A\\B]\r\n\"v\"=dword:00000001\r\n";
    cr_assert_eq(regdb_import(mdb, reg, sizeof reg - 1, NULL), 0);
    regdb_key b = open_or(mdb, W("\\Registry\\Machine\\M\\A\\B"), &rc);
    cr_assert_eq(rc, 0);
    cr_assert_eq(regdb_begin(mdb), 0);
    cr_assert_eq(regdb_delete_key(mdb, b), 0);
    open_or(mdb, W("\\Registry\\Machine\\M\\A\\B"), &rc);
    cr_assert_eq(rc, REGDB_E_NOTFOUND);
    cr_assert_eq(regdb_rollback(mdb), 0);
    cr_assert_eq(open_or(mdb, W("\\Registry\\Machine\\M\\A\\B"), &rc), b, "the rolled-back delete brings it back");
    cr_assert_eq(rc, 0);
}
