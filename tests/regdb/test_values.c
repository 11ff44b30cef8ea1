/*
 * test_values.c: regdb values: exact stored bytes per type, the default
 * value, name limits, large data, creation order, case-insensitive names.
 */
#include "regdb/regdb.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static regdb *db;
static regdb_key k;

static void setup(void)
{
    cr_assert_eq(regdb_open(NULL, NULL, &db), 0);
    cr_assert_eq(regdb_create_key(db, 0, W("\\Registry\\Machine\\Vals"), 0, NULL, 0, &k, NULL), 0);
}

static void teardown(void) { regdb_close(db); }

TestSuite(regdb_values, .init = setup, .fini = teardown);

static void check(const char *what, const uint16_t *name, size_t nlen, uint32_t type, const void *bytes,
                  size_t n)
{
    regdb_value v;
    memset(&v, 0xde, sizeof v);
    cr_assert_eq(regdb_query_value(db, k, name, nlen, &v), 0, "%s", what);
    cr_assert_eq(v.type, type, "%s: type", what);
    cr_assert_eq(v.data_len, n, "%s: length %zu", what, v.data_len);
    if (n)
        cr_assert_eq(memcmp(v.data, bytes, n), 0, "%s: bytes", what);
    else
        cr_assert_null(v.data, "%s", what);
}

Test(regdb_values, typed_helpers_store_windows_bytes)
{
    cr_assert_eq(regdb_set_sz(db, k, L"Sz", L"Hi"), 0);
    check("sz", W("Sz"), REGDB_SZ, "H\0i\0\0\0", 6);
    cr_assert_eq(regdb_set_expand_sz(db, k, L"Ex", L"%X%"), 0);
    check("expand", W("Ex"), REGDB_EXPAND_SZ, "%\0X\0%\0\0\0", 8);
    const uint16_t *list[] = {L"a", L"bc"};
    cr_assert_eq(regdb_set_multi_sz(db, k, L"Multi", list, 2), 0);
    check("multi", W("Multi"), REGDB_MULTI_SZ, "a\0\0\0b\0c\0\0\0\0\0", 12);
    cr_assert_eq(regdb_set_multi_sz(db, k, L"Empty", NULL, 0), 0);
    check("empty multi", W("Empty"), REGDB_MULTI_SZ, "\0\0", 2);
    const uint16_t *bad[] = {L"a", L""};
    cr_assert_eq(regdb_set_multi_sz(db, k, L"Bad", bad, 2), REGDB_E_INVAL);
    cr_assert_eq(regdb_set_dword(db, k, L"Dw", 0x11223344), 0);
    check("dword", W("Dw"), REGDB_DWORD, "\x44\x33\x22\x11", 4);
    cr_assert_eq(regdb_set_dword_be(db, k, L"Be", 0x11223344), 0);
    check("dword be", W("Be"), REGDB_DWORD_BIG_ENDIAN, "\x11\x22\x33\x44", 4);
    cr_assert_eq(regdb_set_qword(db, k, L"Qw", 0x0102030405060708ULL), 0);
    check("qword", W("Qw"), REGDB_QWORD, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
    cr_assert_eq(regdb_set_binary(db, k, L"Bin", "\x00\xff\x10", 3), 0);
    check("binary", W("Bin"), REGDB_BINARY, "\x00\xff\x10", 3);
    cr_assert_eq(regdb_set_none(db, k, L"None", NULL, 0), 0);
    check("none", W("None"), REGDB_NONE, NULL, 0);
    /* Any type number, e.g. REG_RESOURCE_LIST or a private one. */
    cr_assert_eq(regdb_set_value(db, k, W("Odd"), 0xdeadbeef, "xyz", 3), 0);
    check("custom type", W("Odd"), 0xdeadbeef, "xyz", 3);

    uint32_t dw = 0xdeadbeef;
    cr_assert_eq(regdb_get_dword(db, k, L"dw", &dw), 0);
    cr_assert_eq(dw, 0x11223344);
    dw = 0xdeadbeef;
    cr_assert_eq(regdb_get_dword(db, k, L"Sz", &dw), REGDB_E_TYPE);
    cr_assert_eq(dw, 0xdeadbeef, "untouched on error");
    uint64_t qw = 0;
    cr_assert_eq(regdb_get_qword(db, k, L"QW", &qw), 0);
    cr_assert_eq(qw, 0x0102030405060708ULL);
    uint16_t *s = NULL;
    size_t n = 99;
    cr_assert_eq(regdb_get_sz(db, k, L"ex", &s, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(t_u8(s, n), "%X%");
    free(s);
    cr_assert_eq(regdb_get_sz(db, k, L"Dw", &s, &n), REGDB_E_TYPE);
    cr_assert_eq(regdb_get_sz(db, k, L"missing", &s, &n), REGDB_E_NOTFOUND);
}

Test(regdb_values, default_value_and_case)
{
    regdb_value v;
    cr_assert_eq(regdb_query_value(db, k, NULL, 0, &v), REGDB_E_NOTFOUND, "no default value yet");
    cr_assert_eq(regdb_set_value(db, k, NULL, 0, REGDB_SZ, "d\0\0\0", 4), 0);
    check("default", NULL, 0, REGDB_SZ, "d\0\0\0", 4);
    cr_assert_eq(regdb_set_dword(db, k, L"MyValue", 1), 0);
    cr_assert_eq(regdb_set_dword(db, k, L"MYVALUE", 2), 0);
    check("overwrite via other case", W("myvalue"), REGDB_DWORD, "\2\0\0\0", 4);
    cr_assert_eq(regdb_query_value(db, k, W("MYVALUE"), &v), 0);
    cr_assert_str_eq(t_u8(v.name, v.name_len), "MyValue", "the first spelling is kept");
    regdb_key_info ki;
    cr_assert_eq(regdb_query_key(db, k, &ki), 0);
    cr_assert_eq(ki.values, 2);
    cr_assert_eq(regdb_delete_value(db, k, W("MYVALUE")), 0);
    cr_assert_eq(regdb_delete_value(db, k, W("MYVALUE")), REGDB_E_NOTFOUND);
    cr_assert_eq(regdb_delete_value(db, k, NULL, 0), 0);
    cr_assert_eq(regdb_query_value(db, k, NULL, 0, &v), REGDB_E_NOTFOUND);
}

Test(regdb_values, name_limit_is_16383)
{
    uint16_t *name = malloc(16384 * sizeof *name);
    for (int i = 0; i < 16384; i++)
        name[i] = 'v';
    cr_assert_eq(regdb_set_value(db, k, name, 16383, REGDB_DWORD, "\1\0\0\0", 4), 0);
    cr_assert_eq(regdb_set_value(db, k, name, 16384, REGDB_DWORD, "\1\0\0\0", 4), REGDB_E_TOOLONG);
    regdb_value v;
    cr_assert_eq(regdb_query_value(db, k, name, 16383, &v), 0);
    cr_assert_eq(v.name_len, 16383);
    cr_assert_eq(regdb_query_value(db, k, name, 16384, &v), REGDB_E_TOOLONG);
    free(name);
}

Test(regdb_values, large_data)
{
    size_t sizes[] = {1 << 20, (1 << 20) + 1, 4 << 20};
    for (int i = 0; i < 3; i++) {
        unsigned char *d = malloc(sizes[i]);
        for (size_t j = 0; j < sizes[i]; j++)
            d[j] = (unsigned char)(j * 131 + i);
        cr_assert_eq(regdb_set_binary(db, k, L"Big", d, sizes[i]), 0, "size %zu", sizes[i]);
        regdb_value v;
        cr_assert_eq(regdb_query_value(db, k, W("Big"), &v), 0);
        cr_assert_eq(v.data_len, sizes[i]);
        cr_assert_eq(memcmp(v.data, d, sizes[i]), 0);
        free(d);
    }
    regdb_key_info ki;
    cr_assert_eq(regdb_query_key(db, k, &ki), 0);
    cr_assert_eq(ki.max_value_data, 4 << 20);
}

Test(regdb_values, enumeration_in_creation_order)
{
    cr_assert_eq(regdb_set_dword(db, k, L"zeta", 1), 0);
    cr_assert_eq(regdb_set_dword(db, k, L"alpha", 2), 0);
    cr_assert_eq(regdb_set_dword(db, k, L"Mid", 3), 0);
    cr_assert_eq(regdb_set_dword(db, k, L"ZETA", 4), 0); /* overwrite keeps the slot */
    cr_assert_eq(regdb_delete_value(db, k, W("alpha")), 0);
    cr_assert_eq(regdb_set_dword(db, k, L"alpha", 5), 0); /* re-created: goes last */
    const char *names[] = {"zeta", "Mid", "alpha"};
    const uint32_t vals[] = {4, 3, 5};
    regdb_value v;
    for (uint32_t i = 0; i < 3; i++) {
        memset(&v, 0xde, sizeof v);
        cr_assert_eq(regdb_enum_value(db, k, i, &v), 0, "index %u", i);
        cr_assert_str_eq(t_u8(v.name, v.name_len), names[i]);
        cr_assert_eq(v.type, REGDB_DWORD);
        cr_assert_eq(v.data_len, 4);
        cr_assert_eq(*(const uint32_t *)v.data, vals[i]);
    }
    cr_assert_eq(regdb_enum_value(db, k, 3, &v), REGDB_E_NOTFOUND);
    cr_assert_eq(regdb_enum_value(db, k, 1, &v), 0);
    cr_assert_str_eq(t_u8(v.name, v.name_len), "Mid");
}

Test(regdb_values, bad_arguments)
{
    regdb_value v;
    cr_assert_eq(regdb_set_value(db, k, NULL, 3, REGDB_SZ, "", 0), REGDB_E_INVAL);
    cr_assert_eq(regdb_set_value(db, k, W("x"), REGDB_BINARY, NULL, 5), REGDB_E_INVAL);
    cr_assert_eq(regdb_query_value(db, k, W("x"), NULL), REGDB_E_INVAL);
    cr_assert_eq(regdb_set_sz(db, k, L"x", NULL), REGDB_E_INVAL);
    cr_assert_eq(regdb_set_link(db, k, W("relative")), REGDB_E_INVAL);
    cr_assert_eq(regdb_query_value(NULL, k, W("x"), &v), REGDB_E_INVAL);
}

Test(regdb_values, utf8_convenience)
{
    regdb_key a, b;
    cr_assert_eq(regdb_create_key_u8(db, 0, "\\Registry\\Machine\\SOFTWARE\\Фирма", REGDB_CREATE_PATH, &a), 0);
    cr_assert_eq(regdb_open_key_u8(db, 0, "\\registry\\machine\\software\\ФИРМА", &b), 0);
    cr_assert_eq(a, b);
    cr_assert_eq(regdb_open_key_u8(db, 0, "\\Registry\\\xff\xfe", &b), REGDB_E_FORMAT);
}

/*
 * The two lean queries at the buffer-size boundaries: _into copies what fits
 * (a cut copy when the buffer is short), _fit copies nothing unless all of
 * it fits; both report the type and the full length either way.
 */
Test(regdb_values, query_into_and_fit_at_the_buffer_boundaries)
{
    static const unsigned char data[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    cr_assert_eq(regdb_set_value(db, k, W("Bin"), REGDB_BINARY, data, sizeof data), 0);
    for (size_t cap = 0; cap <= sizeof data + 1; cap++) {
        unsigned char a[16], b[16];
        memset(a, 0xde, sizeof a);
        memset(b, 0xde, sizeof b);
        uint32_t ta = 0xdeadbeef, tb = 0xdeadbeef;
        size_t la = 0xdeadbeef, lb = 0xdeadbeef;
        cr_assert_eq(regdb_query_value_into(db, k, W("Bin"), &ta, cap ? a : NULL, cap, &la), 0);
        cr_assert_eq(regdb_query_value_fit(db, k, W("Bin"), &tb, cap ? b : NULL, cap, &lb), 0);
        cr_assert_eq(ta, REGDB_BINARY);
        cr_assert_eq(tb, REGDB_BINARY);
        cr_assert_eq(la, sizeof data, "cap %zu", cap);
        cr_assert_eq(lb, sizeof data, "cap %zu", cap);
        size_t cut = cap < sizeof data ? cap : sizeof data;
        cr_assert_eq(memcmp(a, data, cut), 0, "cap %zu: _into copies what fits", cap);
        for (size_t i = cut; i < sizeof a; i++)
            cr_assert_eq(a[i], 0xde, "cap %zu: byte %zu beyond the copy", cap, i);
        if (cap >= sizeof data) {
            cr_assert_eq(memcmp(b, data, sizeof data), 0, "cap %zu", cap);
            for (size_t i = sizeof data; i < sizeof b; i++)
                cr_assert_eq(b[i], 0xde, "cap %zu: byte %zu", cap, i);
        } else {
            for (size_t i = 0; i < sizeof b; i++)
                cr_assert_eq(b[i], 0xde, "cap %zu: _fit left byte %zu alone", cap, i);
        }
    }
    uint32_t t = 0xdeadbeef;
    size_t l = 0xdeadbeef;
    unsigned char one;
    cr_assert_eq(regdb_query_value_fit(db, k, W("Missing"), &t, &one, 1, &l), REGDB_E_NOTFOUND);
    cr_assert_eq(regdb_query_value_fit(db, k, W("Bin"), &t, NULL, 4, &l), REGDB_E_INVAL, "a size without a buffer");
    cr_assert_eq(regdb_query_value_fit(db, k, W("Bin"), NULL, &one, 1, &l), REGDB_E_INVAL);
}
