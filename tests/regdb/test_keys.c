/*
 * test_keys.c: regdb keys: Unicode case folding, limits, enumeration order,
 * key information, last-write times, delete rules and stale ids.
 */
#include "regdb/regdb.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static regdb *db;
static regdb_key machine;

static void setup(void)
{
    cr_assert_eq(regdb_open(NULL, NULL, &db), 0);
    cr_assert_eq(regdb_open_key(db, 0, W("\\Registry\\Machine"), 0, &machine), 0);
}

static void teardown(void) { regdb_close(db); }

TestSuite(regdb_keys, .init = setup, .fini = teardown);

static regdb_key mk(regdb_key parent, const uint16_t *p, size_t n)
{
    regdb_key k = -1;
    int created = -1;
    cr_assert_eq(regdb_create_key(db, parent, p, n, 0, NULL, 0, &k, &created), 0, "create %s", t_u8(p, n));
    return k;
}

Test(regdb_keys, base_hives_exist)
{
    regdb_key k, u;
    cr_assert_eq(regdb_open_key(db, 0, W("\\REGISTRY"), 0, &k), 0);
    cr_assert_eq(k, regdb_root(db));
    cr_assert_eq(regdb_open_key(db, 0, W("\\Registry\\User"), 0, &u), 0);
    cr_assert_neq(u, machine);
    uint16_t *path;
    size_t n;
    cr_assert_eq(regdb_key_path(db, machine, &path, &n), 0);
    cr_assert_str_eq(t_u8(path, n), "\\REGISTRY\\MACHINE");
    free(path);
}

Test(regdb_keys, case_insensitive_beyond_ascii)
{
    regdb_key a = mk(machine, W("Äpfel")), b;
    int created = -1;
    cr_assert_eq(regdb_create_key(db, machine, W("äPFEL"), 0, NULL, 0, &b, &created), 0);
    cr_assert_eq(created, 0, "a case variant must open the existing key");
    cr_assert_eq(a, b);

    regdb_key c = mk(machine, W("Драйвер")), d;
    cr_assert_eq(regdb_open_key(db, machine, W("дРАЙВЕР"), 0, &d), 0);
    cr_assert_eq(c, d);

    /* Greek with ypogegrammeni: simple uppercase U+1F80 -> U+1F88 (one code unit). */
    regdb_key e = mk(machine, W("\u1F80x")), f;
    cr_assert_eq(regdb_open_key(db, machine, W("\u1F88X"), 0, &f), 0);
    cr_assert_eq(e, f);

    /* Sharp s has no single-unit uppercase: "ß" and "SS" are different keys. */
    regdb_key g = mk(machine, W("ß")), h;
    cr_assert_eq(regdb_create_key(db, machine, W("SS"), 0, NULL, 0, &h, &created), 0);
    cr_assert_eq(created, 1);
    cr_assert_neq(g, h);
}

Test(regdb_keys, case_preserved)
{
    regdb_key k = mk(machine, W("MixedCase")), k2;
    cr_assert_eq(regdb_create_key(db, machine, W("MIXEDCASE"), 0, NULL, 0, &k2, NULL), 0);
    regdb_key_info ki;
    cr_assert_eq(regdb_query_key(db, k, &ki), 0);
    cr_assert_str_eq(t_u8(ki.name, ki.name_len), "MixedCase");
    regdb_key_entry e;
    cr_assert_eq(regdb_enum_key(db, machine, 0, &e), 0);
    cr_assert_str_eq(t_u8(e.name, e.name_len), "MixedCase");
}

Test(regdb_keys, name_limits)
{
    uint16_t name[300];
    for (int i = 0; i < 300; i++)
        name[i] = 'a' + i % 26;
    regdb_key k;
    cr_assert_eq(regdb_create_key(db, machine, name, 255, 0, NULL, 0, &k, NULL), 0);
    cr_assert_eq(regdb_create_key(db, machine, name, 256, 0, NULL, 0, &k, NULL), REGDB_E_TOOLONG);
    cr_assert_eq(regdb_open_key(db, machine, name, 256, 0, &k), REGDB_E_TOOLONG);
    /* Empty components are invalid: a\\b, a leading '\' on a relative path. */
    cr_assert_eq(regdb_create_key(db, machine, W("a\\\\b"), REGDB_CREATE_PATH, NULL, 0, &k, NULL),
                 REGDB_E_INVAL);
    cr_assert_eq(regdb_open_key(db, machine, W("\\a"), 0, &k), REGDB_E_INVAL);
    /* A single trailing backslash is ignored. */
    regdb_key x = mk(machine, W("Trail\\")), y;
    cr_assert_eq(regdb_open_key(db, machine, W("trail"), 0, &y), 0);
    cr_assert_eq(x, y);
    /* A relative open with no path opens the parent itself. */
    cr_assert_eq(regdb_open_key(db, machine, NULL, 0, 0, &y), 0);
    cr_assert_eq(y, machine);
    /* Absolute paths must start with \Registry. */
    cr_assert_eq(regdb_open_key(db, 0, W("Registry\\Machine"), 0, &y), REGDB_E_INVAL);
    cr_assert_eq(regdb_open_key(db, 0, W("\\Foo\\Machine"), 0, &y), REGDB_E_NOTFOUND);
}

Test(regdb_keys, create_needs_parent_unless_path)
{
    regdb_key k = 0;
    int created = -1;
    cr_assert_eq(regdb_create_key(db, machine, W("A\\B\\C"), 0, NULL, 0, &k, &created), REGDB_E_NOTFOUND);
    cr_assert_eq(k, 0, "out must be untouched on failure");
    cr_assert_eq(regdb_open_key(db, machine, W("A"), 0, &k), REGDB_E_NOTFOUND, "nothing half-created");
    cr_assert_eq(regdb_create_key(db, machine, W("A\\B\\C"), REGDB_CREATE_PATH, NULL, 0, &k, &created), 0);
    cr_assert_eq(created, 1);
    regdb_key k2;
    cr_assert_eq(regdb_open_key(db, machine, W("a\\b\\c"), 0, &k2), 0);
    cr_assert_eq(k, k2);
    cr_assert_eq(regdb_create_key(db, machine, W("A\\B\\C"), REGDB_CREATE_EXCL, NULL, 0, &k2, NULL),
                 REGDB_E_EXISTS);
}

Test(regdb_keys, enumeration_order_is_uppercased_code_units)
{
    /* Uppercased: "A", "A1", "B", "Z", "_", "É"; '_' (0x5F) follows 'Z' (0x5A). */
    const char *expect[] = {"a", "A1", "b", "Z", "_", "é"};
    mk(machine, W("Z"));
    mk(machine, W("_"));
    mk(machine, W("b"));
    mk(machine, W("é"));
    mk(machine, W("A1"));
    mk(machine, W("a"));
    regdb_key_entry e;
    for (uint32_t i = 0; i < 6; i++) {
        cr_assert_eq(regdb_enum_key(db, machine, i, &e), 0, "index %u", i);
        cr_assert_str_eq(t_u8(e.name, e.name_len), expect[i], "index %u", i);
    }
    cr_assert_eq(regdb_enum_key(db, machine, 6, &e), REGDB_E_NOTFOUND);
    /* Random access works too, not only sequential. */
    cr_assert_eq(regdb_enum_key(db, machine, 3, &e), 0);
    cr_assert_str_eq(t_u8(e.name, e.name_len), "Z");
    cr_assert_eq(regdb_enum_key(db, machine, 1, &e), 0);
    cr_assert_str_eq(t_u8(e.name, e.name_len), "A1");
}

Test(regdb_keys, enumeration_sees_changes_between_calls)
{
    mk(machine, W("b"));
    mk(machine, W("d"));
    regdb_key_entry e;
    cr_assert_eq(regdb_enum_key(db, machine, 0, &e), 0);
    cr_assert_str_eq(t_u8(e.name, e.name_len), "b");
    mk(machine, W("a")); /* lands before the cursor */
    cr_assert_eq(regdb_enum_key(db, machine, 1, &e), 0);
    cr_assert_str_eq(t_u8(e.name, e.name_len), "b", "index 1 is now b, as a fresh enumeration says");
    cr_assert_eq(regdb_enum_key(db, machine, 2, &e), 0);
    cr_assert_str_eq(t_u8(e.name, e.name_len), "d");
}

Test(regdb_keys, key_info_counts_and_maxima)
{
    regdb_key k = mk(machine, W("Info")), sub;
    cr_assert_eq(regdb_create_key(db, k, W("Short"), 0, W("cls"), &sub, NULL), 0);
    cr_assert_eq(regdb_create_key(db, k, W("LongerName"), 0, W("LongClass"), &sub, NULL), 0);
    cr_assert_eq(regdb_set_dword(db, k, L"V", 1), 0);
    cr_assert_eq(regdb_set_binary(db, k, L"ValueName", "0123456789", 10), 0);
    regdb_key_info ki;
    memset(&ki, 0xde, sizeof ki);
    cr_assert_eq(regdb_query_key(db, k, &ki), 0);
    cr_assert_eq(ki.subkeys, 2);
    cr_assert_eq(ki.max_subkey_len, 10);
    cr_assert_eq(ki.max_class_len, 9);
    cr_assert_eq(ki.values, 2);
    cr_assert_eq(ki.max_value_name, 9);
    cr_assert_eq(ki.max_value_data, 10);
    cr_assert_eq(ki.parent, machine);
    cr_assert_eq(ki.flags, 0);
    cr_assert_null(ki.cls);
    cr_assert_eq(ki.cls_len, 0);
    cr_assert_str_eq(t_u8(ki.name, ki.name_len), "Info");
    cr_assert_eq(regdb_query_key(db, sub, &ki), 0);
    cr_assert_str_eq(t_u8(ki.cls, ki.cls_len), "LongClass");
    cr_assert_eq(ki.subkeys, 0);
    cr_assert_eq(ki.values, 0);
    cr_assert_eq(ki.max_subkey_len, 0);
    cr_assert_eq(ki.max_value_data, 0);
}

Test(regdb_keys, last_write_time_moves)
{
    regdb_key k = mk(machine, W("Times")), sub;
    regdb_key_info a, b;
    cr_assert_eq(regdb_set_last_write(db, k, 1000), 0);
    cr_assert_eq(regdb_query_key(db, k, &a), 0);
    cr_assert_eq(a.last_write, 1000);
    cr_assert_eq(regdb_set_dword(db, k, L"X", 1), 0);
    cr_assert_eq(regdb_query_key(db, k, &b), 0);
    cr_assert_gt(b.last_write, 1000, "setting a value updates the key's time");
    /* A time in a plausible range: after 2020-01-01 (FILETIME 132223104000000000). */
    cr_assert_gt(b.last_write, 132223104000000000LL);
    cr_assert_eq(regdb_set_last_write(db, k, 1000), 0);
    sub = mk(k, W("Child"));
    cr_assert_eq(regdb_query_key(db, k, &b), 0);
    cr_assert_gt(b.last_write, 1000, "adding a subkey updates the parent's time");
    cr_assert_eq(regdb_set_last_write(db, k, 1000), 0);
    cr_assert_eq(regdb_delete_key(db, sub), 0);
    cr_assert_eq(regdb_query_key(db, k, &b), 0);
    cr_assert_gt(b.last_write, 1000, "deleting a subkey updates the parent's time");
}

Test(regdb_keys, delete_rules)
{
    regdb_key k = mk(machine, W("Del")), c = mk(k, W("Child"));
    mk(c, W("Grandchild"));
    cr_assert_eq(regdb_set_dword(db, c, L"v", 7), 0);
    cr_assert_eq(regdb_delete_key(db, k), REGDB_E_NOTEMPTY);
    cr_assert_eq(regdb_key_check(db, k), 0, "a refused delete changes nothing");
    cr_assert_eq(regdb_delete_tree(db, k), 0);
    cr_assert_eq(regdb_key_check(db, k), REGDB_E_DELETED);
    cr_assert_eq(regdb_key_check(db, c), REGDB_E_DELETED);
    regdb_key x;
    cr_assert_eq(regdb_open_key(db, machine, W("Del"), 0, &x), REGDB_E_NOTFOUND);
    /* Hive roots and the root cannot go. */
    cr_assert_eq(regdb_delete_key(db, machine), REGDB_E_INVAL);
    cr_assert_eq(regdb_delete_tree(db, regdb_root(db)), REGDB_E_INVAL);
}

Test(regdb_keys, stale_ids_are_never_reused)
{
    regdb_key k = mk(machine, W("Gone"));
    cr_assert_eq(regdb_delete_key(db, k), 0);
    regdb_key k2 = mk(machine, W("New"));
    cr_assert_neq(k2, k, "a deleted key's id must not name a new key");
    regdb_value v;
    regdb_key_info ki;
    regdb_key_entry e;
    regdb_key sub;
    cr_assert_eq(regdb_query_value(db, k, NULL, 0, &v), REGDB_E_DELETED);
    cr_assert_eq(regdb_set_dword(db, k, L"x", 1), REGDB_E_DELETED);
    cr_assert_eq(regdb_query_key(db, k, &ki), REGDB_E_DELETED);
    cr_assert_eq(regdb_enum_key(db, k, 0, &e), REGDB_E_DELETED);
    cr_assert_eq(regdb_enum_value(db, k, 0, &v), REGDB_E_DELETED);
    cr_assert_eq(regdb_open_key(db, k, W("x"), 0, &sub), REGDB_E_DELETED);
    cr_assert_eq(regdb_create_key(db, k, W("x"), 0, NULL, 0, &sub, NULL), REGDB_E_DELETED);
    cr_assert_eq(regdb_delete_key(db, k), REGDB_E_DELETED);
    /* Ids that never existed. */
    cr_assert_eq(regdb_key_check(db, 0), REGDB_E_DELETED);
    cr_assert_eq(regdb_key_check(db, -5), REGDB_E_DELETED);
    cr_assert_eq(regdb_key_check(db, 123456789), REGDB_E_DELETED);
    cr_assert_eq(regdb_query_key(db, 123456789, &ki), REGDB_E_DELETED);
}

Test(regdb_keys, null_arguments_are_errors)
{
    regdb_key k;
    cr_assert_eq(regdb_open_key(NULL, 0, W("\\Registry"), 0, &k), REGDB_E_INVAL);
    cr_assert_eq(regdb_open_key(db, 0, W("\\Registry"), 0, NULL), REGDB_E_INVAL);
    cr_assert_eq(regdb_open_key(db, machine, NULL, 5, 0, &k), REGDB_E_INVAL);
    cr_assert_eq(regdb_create_key(db, machine, W("x"), 0, NULL, 0, NULL, NULL), REGDB_E_INVAL);
    cr_assert_eq(regdb_query_key(db, machine, NULL), REGDB_E_INVAL);
    cr_assert_eq(regdb_key_path(db, machine, NULL, NULL), REGDB_E_INVAL);
    cr_assert_eq(regdb_enum_key(db, machine, 0, NULL), REGDB_E_INVAL);
    cr_assert_str_eq(regdb_strerror(REGDB_E_NOTEMPTY), "key has subkeys");
    cr_assert_str_eq(regdb_strerror(12345), "unknown error");
}

Test(regdb_keys, key_path_keeps_stored_case)
{
    regdb_key k;
    cr_assert_eq(regdb_create_key(db, machine, W("SYSTEM\\ControlSet001\\Services\\MyDrv"), REGDB_CREATE_PATH,
                                  NULL, 0, &k, NULL),
                 0);
    uint16_t *p;
    size_t n;
    cr_assert_eq(regdb_key_path(db, k, &p, &n), 0);
    cr_assert_str_eq(t_u8(p, n), "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\MyDrv");
    cr_assert_eq(p[n], 0);
    free(p);
}
