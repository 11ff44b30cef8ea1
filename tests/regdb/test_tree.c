/*
 * test_tree.c: regdb volatile keys and reboot, symbolic links,
 * transactions (nested, all-or-nothing), change hooks and snapshots.
 */
#include "regdb/regdb.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static regdb *db;
static regdb_key machine;

static void setup(void)
{
    cr_assert_eq(regdb_open(NULL, NULL, &db), 0);
    cr_assert_eq(regdb_open_key(db, 0, W("\\Registry\\Machine"), 0, &machine), 0);
}

static void teardown(void) { regdb_close(db); }

TestSuite(regdb_tree, .init = setup, .fini = teardown);

static regdb_key mkx(regdb_key parent, const uint16_t *p, size_t n, unsigned opts)
{
    regdb_key k = 0;
    cr_assert_eq(regdb_create_key(db, parent, p, n, opts, NULL, 0, &k, NULL), 0, "create %s", t_u8(p, n));
    return k;
}

/* ---- volatile ---- */

Test(regdb_tree, volatile_keys_vanish_at_reboot)
{
    regdb_key stay = mkx(machine, W("Stay"), 0);
    regdb_key vol = mkx(stay, W("Vol"), REGDB_CREATE_VOLATILE);
    regdb_key volkid = mkx(vol, W("Kid"), REGDB_CREATE_VOLATILE);
    cr_assert_eq(regdb_set_dword(db, volkid, L"x", 1), 0);
    cr_assert_eq(regdb_set_dword(db, stay, L"keep", 2), 0);
    regdb_key_info ki;
    cr_assert_eq(regdb_query_key(db, vol, &ki), 0);
    cr_assert_eq(ki.flags, REGDB_KEY_VOLATILE);

    regdb_key bad = 0;
    cr_assert_eq(regdb_create_key(db, vol, W("NonVol"), 0, NULL, 0, &bad, NULL), REGDB_E_VOLATILE);
    cr_assert_eq(bad, 0);
    cr_assert_eq(regdb_create_key(db, stay, W("P\\Q"), REGDB_CREATE_PATH | REGDB_CREATE_VOLATILE, NULL, 0,
                                  &bad, NULL),
                 0, "volatile intermediates are fine");

    cr_assert_eq(regdb_reboot(db), 0);
    cr_assert_eq(regdb_key_check(db, vol), REGDB_E_DELETED);
    cr_assert_eq(regdb_key_check(db, volkid), REGDB_E_DELETED);
    cr_assert_eq(regdb_key_check(db, stay), 0);
    uint32_t v = 0;
    cr_assert_eq(regdb_get_dword(db, stay, L"keep", &v), 0);
    cr_assert_eq(v, 2);
    cr_assert_eq(regdb_query_key(db, stay, &ki), 0);
    cr_assert_eq(ki.subkeys, 0);
}

/* ---- links ---- */

static void make_ccs(void)
{
    regdb_key cs1 = mkx(machine, W("SYSTEM\\ControlSet001\\Services"), REGDB_CREATE_PATH);
    (void)cs1;
    regdb_key link = mkx(machine, W("SYSTEM\\CurrentControlSet"), REGDB_CREATE_LINK);
    cr_assert_eq(regdb_set_link(db, link, W("\\Registry\\Machine\\SYSTEM\\ControlSet001")), 0);
}

Test(regdb_tree, links_are_followed)
{
    make_ccs();
    regdb_key a, b, l;
    cr_assert_eq(regdb_open_key(db, 0, W("\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services"), 0, &a), 0);
    cr_assert_eq(regdb_open_key(db, 0, W("\\Registry\\Machine\\SYSTEM\\ControlSet001\\Services"), 0, &b), 0);
    cr_assert_eq(a, b);
    /* The link itself, with REGDB_OPEN_LINK. */
    cr_assert_eq(regdb_open_key(db, machine, W("SYSTEM\\CurrentControlSet"), REGDB_OPEN_LINK, &l), 0);
    regdb_key_info ki;
    cr_assert_eq(regdb_query_key(db, l, &ki), 0);
    cr_assert_eq(ki.flags, REGDB_KEY_LINK);
    regdb_value v;
    cr_assert_eq(regdb_query_value(db, l, W("SymbolicLinkValue"), &v), 0);
    cr_assert_eq(v.type, REGDB_LINK);
    cr_assert_eq(v.data_len, 2 * 38, "no terminator, as Windows stores it");
    /* OPEN_LINK applies only to the last component. */
    cr_assert_eq(regdb_open_key(db, machine, W("SYSTEM\\CurrentControlSet\\Services"), REGDB_OPEN_LINK, &a), 0);
    cr_assert_eq(a, b);
    /* Creating through a link lands in the target. */
    regdb_key c, d;
    cr_assert_eq(regdb_create_key(db, machine, W("SYSTEM\\CurrentControlSet\\Services\\Drv"), 0, NULL, 0, &c, NULL),
                 0);
    cr_assert_eq(regdb_open_key(db, machine, W("SYSTEM\\ControlSet001\\Services\\Drv"), 0, &d), 0);
    cr_assert_eq(c, d);
    uint16_t *p;
    size_t n;
    cr_assert_eq(regdb_key_path(db, c, &p, &n), 0);
    cr_assert_str_eq(t_u8(p, n), "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\Drv");
    free(p);
}

Test(regdb_tree, link_loops_and_broken_links)
{
    regdb_key self = mkx(machine, W("Self"), REGDB_CREATE_LINK);
    cr_assert_eq(regdb_set_link(db, self, W("\\Registry\\Machine\\Self")), 0);
    regdb_key k;
    cr_assert_eq(regdb_open_key(db, machine, W("Self"), 0, &k), REGDB_E_LOOP);
    regdb_key broken = mkx(machine, W("Broken"), REGDB_CREATE_LINK);
    (void)broken; /* no SymbolicLinkValue at all */
    cr_assert_eq(regdb_open_key(db, machine, W("Broken"), 0, &k), REGDB_E_LOOP);
    regdb_key dangling = mkx(machine, W("Dangling"), REGDB_CREATE_LINK);
    cr_assert_eq(regdb_set_link(db, dangling, W("\\Registry\\Machine\\Nowhere")), 0);
    cr_assert_eq(regdb_open_key(db, machine, W("Dangling\\x"), 0, &k), REGDB_E_NOTFOUND);
}

/* ---- transactions ---- */

Test(regdb_tree, transaction_rolls_back_everything)
{
    regdb_key keep = mkx(machine, W("Keep"), 0);
    cr_assert_eq(regdb_begin(db), 0);
    cr_assert(regdb_in_transaction(db));
    regdb_key a = mkx(machine, W("TxA"), 0);
    cr_assert_eq(regdb_set_dword(db, a, L"v", 1), 0);
    cr_assert_eq(regdb_set_dword(db, keep, L"w", 2), 0);
    cr_assert_eq(regdb_delete_key(db, keep), 0);
    cr_assert_eq(regdb_rollback(db), 0);
    cr_assert(!regdb_in_transaction(db));
    cr_assert_eq(regdb_key_check(db, a), REGDB_E_DELETED);
    cr_assert_eq(regdb_key_check(db, keep), 0);
    regdb_value v;
    cr_assert_eq(regdb_query_value(db, keep, W("w"), &v), REGDB_E_NOTFOUND);
    cr_assert_eq(regdb_commit(db), REGDB_E_TXN);
    cr_assert_eq(regdb_rollback(db), REGDB_E_TXN);
}

Test(regdb_tree, nested_rollback_undoes_only_inner)
{
    cr_assert_eq(regdb_begin(db), 0);
    regdb_key outer = mkx(machine, W("Outer"), 0);
    cr_assert_eq(regdb_begin(db), 0);
    regdb_key inner = mkx(machine, W("Inner"), 0);
    cr_assert_eq(regdb_rollback(db), 0);
    cr_assert_eq(regdb_key_check(db, inner), REGDB_E_DELETED);
    cr_assert_eq(regdb_key_check(db, outer), 0);
    cr_assert_eq(regdb_begin(db), 0);
    regdb_key inner2 = mkx(machine, W("Inner2"), 0);
    cr_assert_eq(regdb_commit(db), 0);
    cr_assert_eq(regdb_commit(db), 0);
    cr_assert_eq(regdb_key_check(db, outer), 0);
    cr_assert_eq(regdb_key_check(db, inner2), 0);
}

Test(regdb_tree, failed_operation_inside_transaction_leaves_rest)
{
    cr_assert_eq(regdb_begin(db), 0);
    regdb_key a = mkx(machine, W("A"), 0);
    regdb_key x;
    cr_assert_eq(regdb_create_key(db, machine, W("Missing\\B"), 0, NULL, 0, &x, NULL), REGDB_E_NOTFOUND);
    cr_assert_eq(regdb_commit(db), 0);
    cr_assert_eq(regdb_key_check(db, a), 0);
}

/* ---- hooks ---- */

typedef struct seen {
    int n;
    regdb_key watched[16], changed[16];
    unsigned what[16];
} seen;

static void record(void *ctx, regdb_key watched, regdb_key changed, unsigned what)
{
    seen *s = ctx;
    if (s->n < 16) {
        s->watched[s->n] = watched;
        s->changed[s->n] = changed;
        s->what[s->n] = what;
    }
    s->n++;
}

Test(regdb_tree, hooks_fire_for_key_and_subtree)
{
    regdb_key top = mkx(machine, W("Top"), 0), mid = mkx(top, W("Mid"), 0);
    seen flat = {0}, deep = {0};
    int id1, id2;
    cr_assert_eq(regdb_hook_add(db, top, 0, REGDB_CHANGE_NAME | REGDB_CHANGE_LAST_SET, record, &flat, &id1), 0);
    cr_assert_eq(regdb_hook_add(db, top, 1, REGDB_CHANGE_NAME | REGDB_CHANGE_LAST_SET, record, &deep, &id2), 0);

    cr_assert_eq(regdb_set_dword(db, mid, L"v", 1), 0); /* below top: subtree only */
    cr_assert_eq(flat.n, 0);
    cr_assert_eq(deep.n, 1);
    cr_assert_eq(deep.watched[0], top);
    cr_assert_eq(deep.changed[0], mid);
    cr_assert_eq(deep.what[0], REGDB_CHANGE_LAST_SET);

    regdb_key nk = mkx(top, W("New"), 0); /* top's subkey list changes */
    (void)nk;
    cr_assert_eq(flat.n, 1);
    cr_assert_eq(flat.changed[0], top);
    cr_assert_eq(flat.what[0], REGDB_CHANGE_NAME);
    cr_assert_eq(deep.n, 2);

    cr_assert_eq(regdb_hook_remove(db, id1), 0);
    cr_assert_eq(regdb_hook_remove(db, id1), REGDB_E_NOTFOUND);
    cr_assert_eq(regdb_set_dword(db, top, L"w", 1), 0);
    cr_assert_eq(flat.n, 1);
    cr_assert_eq(deep.n, 3);
}

Test(regdb_tree, hooks_fire_only_after_commit)
{
    regdb_key top = mkx(machine, W("Top"), 0);
    seen s = {0};
    cr_assert_eq(regdb_hook_add(db, top, 1, REGDB_CHANGE_LAST_SET | REGDB_CHANGE_NAME, record, &s, NULL), 0);
    cr_assert_eq(regdb_begin(db), 0);
    cr_assert_eq(regdb_set_dword(db, top, L"a", 1), 0);
    cr_assert_eq(s.n, 0, "nothing before commit");
    cr_assert_eq(regdb_begin(db), 0);
    cr_assert_eq(regdb_set_dword(db, top, L"b", 1), 0);
    cr_assert_eq(regdb_rollback(db), 0); /* drops the inner event */
    cr_assert_eq(regdb_commit(db), 0);
    cr_assert_eq(s.n, 1);
    cr_assert_eq(regdb_begin(db), 0);
    cr_assert_eq(regdb_set_dword(db, top, L"c", 1), 0);
    cr_assert_eq(regdb_rollback(db), 0);
    cr_assert_eq(s.n, 1, "rolled-back changes never fire");
}

Test(regdb_tree, hook_on_deleted_key)
{
    regdb_key top = mkx(machine, W("Top"), 0), kid = mkx(top, W("Kid"), 0);
    seen s = {0};
    cr_assert_eq(regdb_hook_add(db, kid, 0, REGDB_CHANGE_DELETED, record, &s, NULL), 0);
    cr_assert_eq(regdb_delete_tree(db, top), 0);
    cr_assert_eq(s.n, 1);
    cr_assert_eq(s.what[0], REGDB_CHANGE_DELETED);
    cr_assert_eq(s.watched[0], kid);
    cr_assert_eq(regdb_hook_add(db, kid, 0, REGDB_CHANGE_NAME, record, &s, NULL), REGDB_E_DELETED);
    cr_assert_eq(regdb_hook_add(db, machine, 0, 0, record, &s, NULL), REGDB_E_INVAL);
}

/* ---- snapshots ---- */

Test(regdb_tree, snapshot_clones_are_independent)
{
    regdb_key a = mkx(machine, W("Snap\\A"), REGDB_CREATE_PATH);
    cr_assert_eq(regdb_set_sz(db, a, L"s", L"orig"), 0);
    regdb_snapshot *snap;
    cr_assert_eq(regdb_snapshot_take(db, &snap), 0);
    cr_assert_eq(regdb_set_sz(db, a, L"s", L"changed"), 0);

    regdb *c1, *c2;
    cr_assert_eq(regdb_snapshot_clone(snap, &c1), 0);
    cr_assert_eq(regdb_snapshot_clone(snap, &c2), 0);
    regdb_key k1;
    cr_assert_eq(regdb_open_key(c1, 0, W("\\Registry\\Machine\\Snap\\A"), 0, &k1), 0);
    uint16_t *s;
    cr_assert_eq(regdb_get_sz(c1, k1, L"s", &s, NULL), 0);
    cr_assert_str_eq(t_u8(s, 4), "orig");
    free(s);
    cr_assert_eq(regdb_set_sz(c1, k1, L"s", L"c1"), 0);
    regdb_key k2;
    cr_assert_eq(regdb_open_key(c2, 0, W("\\Registry\\Machine\\Snap\\A"), 0, &k2), 0);
    cr_assert_eq(regdb_get_sz(c2, k2, L"s", &s, NULL), 0);
    cr_assert_str_eq(t_u8(s, 4), "orig", "a write to one clone is not seen by another");
    free(s);
    /* New ids in a clone continue after the template's, never colliding. */
    regdb_key n1;
    cr_assert_eq(regdb_create_key(c1, k1, W("N"), 0, NULL, 0, &n1, NULL), 0);
    cr_assert_gt(n1, k1);
    regdb_close(c1);
    regdb_close(c2);

    size_t len;
    const void *img = regdb_snapshot_data(snap, &len);
    cr_assert_not_null(img);
    cr_assert_gt(len, 512);
    regdb_snapshot *s2;
    cr_assert_eq(regdb_snapshot_from_data(img, len, &s2), 0);
    cr_assert_eq(regdb_snapshot_from_data("garbage", 7, &s2), REGDB_E_FORMAT);
    regdb_snapshot_free(s2);
    regdb_snapshot_free(snap);
}

Test(regdb_tree, snapshot_written_as_file_store)
{
    char *dir = t_mkdtemp("snap");
    char path[4200];
    snprintf(path, sizeof path, "%s/registry.db", dir);
    regdb_key a = mkx(machine, W("File\\Store"), REGDB_CREATE_PATH);
    cr_assert_eq(regdb_set_dword(db, a, L"v", 42), 0);
    regdb_snapshot *snap;
    cr_assert_eq(regdb_snapshot_take(db, &snap), 0);
    cr_assert_eq(regdb_snapshot_write(snap, path), 0);
    cr_assert_eq(regdb_snapshot_write(snap, path), REGDB_E_EXISTS, "never overwrites");
    regdb *f;
    cr_assert_eq(regdb_open(path, NULL, &f), 0);
    regdb_key k;
    uint32_t v = 0;
    cr_assert_eq(regdb_open_key(f, 0, W("\\Registry\\Machine\\File\\Store"), 0, &k), 0);
    cr_assert_eq(regdb_get_dword(f, k, L"v", &v), 0);
    cr_assert_eq(v, 42);
    /* A file store can be snapshotted too (WAL content included). */
    cr_assert_eq(regdb_set_dword(f, k, L"v", 43), 0);
    regdb_snapshot *s2;
    cr_assert_eq(regdb_snapshot_take(f, &s2), 0);
    regdb *c;
    cr_assert_eq(regdb_snapshot_clone(s2, &c), 0);
    cr_assert_eq(regdb_open_key(c, 0, W("\\Registry\\Machine\\File\\Store"), 0, &k), 0);
    cr_assert_eq(regdb_get_dword(c, k, L"v", &v), 0);
    cr_assert_eq(v, 43);
    regdb_close(c);
    regdb_snapshot_free(s2);
    regdb_close(f);
    regdb_snapshot_free(snap);
    t_rmtree(dir);
    free(dir);
}

/* Clones read the shared image and copy chunks on write (regdb_cow.c). */
Test(regdb_tree, clone_outlives_snapshot_and_survives_heavy_writes)
{
    regdb_key base = mkx(machine, W("Base"), 0);
    for (int i = 0; i < 200; i++) {
        char n[16];
        uint16_t w[16];
        snprintf(n, sizeof n, "v%03d", i);
        for (int j = 0; j < 16; j++)
            w[j] = (uint16_t)n[j];
        cr_assert_eq(regdb_set_value(db, base, w, 4, REGDB_BINARY, n, 4), 0);
    }
    regdb_snapshot *snap;
    cr_assert_eq(regdb_snapshot_take(db, &snap), 0);
    regdb *c;
    cr_assert_eq(regdb_snapshot_clone(snap, &c), 0);
    regdb_snapshot_free(snap); /* the clone keeps the image alive */

    regdb_key k;
    cr_assert_eq(regdb_open_key(c, 0, W("\\Registry\\Machine\\Base"), 0, &k), 0);
    /* Values larger than a chunk, written, overwritten and rolled back. */
    unsigned char *big = malloc(3 << 20);
    for (size_t i = 0; i < (3u << 20); i++)
        big[i] = (unsigned char)(i * 7);
    cr_assert_eq(regdb_set_binary(c, k, L"big", big, 3 << 20), 0);
    cr_assert_eq(regdb_begin(c), 0);
    cr_assert_eq(regdb_set_binary(c, k, L"big", "x", 1), 0);
    cr_assert_eq(regdb_delete_value(c, k, W("v007")), 0);
    cr_assert_eq(regdb_rollback(c), 0);
    regdb_value v;
    cr_assert_eq(regdb_query_value(c, k, W("big"), &v), 0);
    cr_assert_eq(v.data_len, 3u << 20);
    cr_assert_eq(memcmp(v.data, big, 3 << 20), 0);
    cr_assert_eq(regdb_query_value(c, k, W("v007"), &v), 0);
    /* Shrink the file (VACUUM truncates), then grow it again. */
    cr_assert_eq(regdb_delete_value(c, k, W("big")), 0);
    cr_assert_eq(sqlite3_exec(regdb_sqlite(c), "VACUUM", NULL, NULL, NULL), SQLITE_OK);
    cr_assert_eq(regdb_set_binary(c, k, L"again", big, 1 << 20), 0);
    cr_assert_eq(regdb_query_value(c, k, W("again"), &v), 0);
    cr_assert_eq(memcmp(v.data, big, 1 << 20), 0);
    cr_assert_eq(regdb_query_value(c, k, W("v199"), &v), 0);
    cr_assert_eq(memcmp(v.data, "v199", 4), 0);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(regdb_sqlite(c), "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    /* A snapshot of a clone is a full, independent image. */
    regdb_snapshot *s2;
    cr_assert_eq(regdb_snapshot_take(c, &s2), 0);
    regdb_close(c);
    regdb *c2;
    cr_assert_eq(regdb_snapshot_clone(s2, &c2), 0);
    cr_assert_eq(regdb_open_key(c2, 0, W("\\Registry\\Machine\\Base"), 0, &k), 0);
    cr_assert_eq(regdb_query_value(c2, k, W("again"), &v), 0);
    cr_assert_eq(v.data_len, 1u << 20);
    regdb_close(c2);
    regdb_snapshot_free(s2);
    free(big);
}
