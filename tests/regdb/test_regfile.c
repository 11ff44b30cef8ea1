/*
 * test_regfile.c: .reg export and import (regdb/regfile.c): the exact
 * export layout and wrapping, byte-identical round trips over every value
 * form, each import form, deletions, continuations, encodings, the root
 * mapping, and malformed files, each of which must leave the store exactly
 * as it was (compared by exporting before and after) and name the line.
 */
#include "regdb/regdb.h"
#include "regdb/regfile.h"

#include "base/pb_utf16.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR "Windows Registry Editor Version 5.00\r\n\r\n"

static regdb *db;

static void setup(void) { cr_assert_eq(regdb_open(NULL, NULL, &db), 0); }
static void teardown(void) { regdb_close(db); }

TestSuite(regdb_regfile, .init = setup, .fini = teardown);

/* ---------------------------------------------------------------- helpers */

static regdb *fresh(void)
{
    regdb *d = NULL;
    cr_assert_eq(regdb_open(NULL, NULL, &d), 0);
    return d;
}

static regdb_key mk(regdb *d, const char *path)
{
    regdb_key k = 0;
    int rc = regdb_create_key_u8(d, 0, path, REGDB_CREATE_PATH, &k);
    cr_assert_eq(rc, 0, "create '%s': %s", path, regdb_strerror(rc));
    return k;
}

static regdb_key opened(regdb *d, const char *path)
{
    regdb_key k = 0;
    int rc = regdb_open_key_u8(d, 0, path, &k);
    cr_assert_eq(rc, 0, "open '%s': %s", path, regdb_strerror(rc));
    return k;
}

static int exists(regdb *d, const char *path)
{
    regdb_key k;
    return regdb_open_key_u8(d, 0, path, &k) == 0;
}

/* Set a value whose name is UTF-8. */
static void setv(regdb *d, regdb_key k, const char *name, uint32_t type, const void *data, size_t n)
{
    uint16_t *w = NULL;
    size_t wn = 0;
    cr_assert_eq(pb_utf8_to_utf16(name, strlen(name), &w, &wn), 0);
    int rc = regdb_set_value(d, k, w, wn, type, data, n);
    cr_assert_eq(rc, 0, "set '%s': %s", name, regdb_strerror(rc));
    free(w);
}

static void expect_value(regdb *d, const char *keypath, const char *name, uint32_t type, const void *data,
                         size_t n)
{
    regdb_key k = opened(d, keypath);
    uint16_t *w = NULL;
    size_t wn = 0;
    cr_assert_eq(pb_utf8_to_utf16(name, strlen(name), &w, &wn), 0);
    regdb_value v;
    int rc = regdb_query_value(d, k, w, wn, &v);
    free(w);
    cr_assert_eq(rc, 0, "value '%s' of '%s': %s", name, keypath, regdb_strerror(rc));
    cr_assert_eq(v.type, type, "type of '%s': %u, expected %u", name, v.type, type);
    cr_assert_eq(v.data_len, n, "size of '%s': %zu, expected %zu", name, v.data_len, n);
    if (n)
        cr_assert(!memcmp(v.data, data, n), "data of '%s' differs", name);
}

static int has_value(regdb *d, const char *keypath, const char *name)
{
    regdb_key k = opened(d, keypath);
    uint16_t *w = NULL;
    size_t wn = 0;
    cr_assert_eq(pb_utf8_to_utf16(name, strlen(name), &w, &wn), 0);
    regdb_value v;
    int rc = regdb_query_value(d, k, w, wn, &v);
    free(w);
    return rc == 0;
}

static void export_raw(regdb *d, const char *path, void **out, size_t *len)
{
    int rc = regdb_export(d, opened(d, path), out, len);
    cr_assert_eq(rc, 0, "export '%s': %s (%s)", path, regdb_strerror(rc), regdb_errmsg(d));
}

/* UTF-16LE with BOM -> UTF-8 of *outn bytes (asserting the BOM); the text may hold NULs. */
static char *to_utf8_n(const void *data, size_t len, size_t *outn)
{
    const unsigned char *b = data;
    cr_assert_geq(len, 2);
    cr_assert(b[0] == 0xFF && b[1] == 0xFE, "export must start with the UTF-16LE BOM");
    cr_assert_eq(len % 2, 0);
    size_t n = (len - 2) / 2;
    uint16_t *w = malloc((n + 1) * sizeof *w);
    for (size_t i = 0; i < n; i++)
        w[i] = (uint16_t)(b[2 + 2 * i] | b[3 + 2 * i] << 8);
    char *u = NULL;
    size_t un = 0;
    cr_assert_eq(pb_utf16_to_utf8(w, n, &u, &un, PB_UTF_STRICT), 0);
    free(w);
    *outn = un;
    return u;
}

static char *to_utf8(const void *data, size_t len)
{
    size_t n;
    return to_utf8_n(data, len, &n);
}

static char *export_u8(regdb *d, const char *path)
{
    void *raw;
    size_t len;
    export_raw(d, path, &raw, &len);
    char *u = to_utf8(raw, len);
    free(raw);
    return u;
}

/* The whole store as text: both hives exported (raw bytes, so NULs in names compare too). */
typedef struct blob {
    unsigned char *p;
    size_t n;
} blob;

static blob state(regdb *d)
{
    void *a, *b;
    size_t an, bn;
    export_raw(d, "\\Registry\\Machine", &a, &an);
    export_raw(d, "\\Registry\\User", &b, &bn);
    blob s = {malloc(an + bn), an + bn};
    memcpy(s.p, a, an);
    memcpy(s.p + an, b, bn);
    free(a);
    free(b);
    return s;
}

static void expect_same(blob a, blob b, const char *what)
{
    cr_assert(a.n == b.n && !memcmp(a.p, b.p, a.n), "%s: the store changed", what);
}

enum enc { UTF8, UTF8_BOM, UTF16LE, UTF16BE };

/* Encode UTF-8 text (n bytes) as a .reg file's bytes. */
static unsigned char *encode(const char *text, size_t n, enum enc e, size_t *len)
{
    if (e == UTF8 || e == UTF8_BOM) {
        size_t off = e == UTF8_BOM ? 3 : 0;
        unsigned char *p = malloc(n + off + 1);
        memcpy(p, "\xEF\xBB\xBF", off);
        memcpy(p + off, text, n);
        *len = n + off;
        return p;
    }
    uint16_t *w = NULL;
    size_t wn = 0;
    cr_assert_eq(pb_utf8_to_utf16(text, n, &w, &wn), 0);
    unsigned char *p = malloc(2 + 2 * wn);
    p[0] = e == UTF16LE ? 0xFF : 0xFE;
    p[1] = e == UTF16LE ? 0xFE : 0xFF;
    for (size_t i = 0; i < wn; i++) {
        unsigned char lo = (unsigned char)w[i], hi = (unsigned char)(w[i] >> 8);
        p[2 + 2 * i] = e == UTF16LE ? lo : hi;
        p[3 + 2 * i] = e == UTF16LE ? hi : lo;
    }
    free(w);
    *len = 2 + 2 * wn;
    return p;
}

static int import_enc(regdb *d, const char *text, enum enc e, regdb_import_result *res)
{
    size_t len;
    unsigned char *p = encode(text, strlen(text), e, &len);
    int rc = regdb_import(d, p, len, res);
    free(p);
    return rc;
}

static int import_u8(regdb *d, const char *text, regdb_import_result *res)
{
    return import_enc(d, text, UTF8, res);
}

static void import_ok(regdb *d, const char *text)
{
    regdb_import_result r;
    int rc = import_u8(d, text, &r);
    cr_assert_eq(rc, 0, "import: %s (%s)", regdb_strerror(rc), regdb_errmsg(d));
}

/* Every line of text (CRLF-separated) is at most max characters (UTF-8 text of ASCII lines). */
static void expect_lines_within(const char *text, size_t max)
{
    const char *s = text;
    while (*s) {
        const char *e = strstr(s, "\r\n");
        cr_assert_not_null(e, "every line ends in CRLF");
        cr_assert_leq((size_t)(e - s), max, "line too long: '%.*s'", (int)(e - s), s);
        s = e + 2;
    }
}

/*
 * A tree with every value form: all types, odd-length and malformed
 * strings, empty values, embedded NULs, quotes and backslashes in names,
 * Unicode names, long wrapped binaries, default values, deep nesting, a
 * link key and a volatile key.
 */
static void build_rich(regdb *d)
{
    regdb_key k = mk(d, "\\Registry\\Machine\\SOFTWARE\\Rich");
    setv(d, k, "", REGDB_SZ, L"default", 16);
    setv(d, k, "sz", REGDB_SZ, L"hello world", 24);
    setv(d, k, "sz \"quoted\" \\path\\", REGDB_SZ, L"C:\\Windows \"x\"", 30);
    setv(d, k, "empty sz", REGDB_SZ, L"", 2);
    setv(d, k, "zero-length sz", REGDB_SZ, NULL, 0);
    setv(d, k, "odd sz", REGDB_SZ, "a\0b", 3);
    setv(d, k, "unterminated sz", REGDB_SZ, L"abc", 6);
    setv(d, k, "embedded nul sz", REGDB_SZ, L"a\0b", 8);
    setv(d, k, "two terminators", REGDB_SZ, L"ab\0", 8);
    setv(d, k, "crlf sz", REGDB_SZ, L"line1\r\nline2", 26);
    setv(d, k, "lone surrogate sz", REGDB_SZ, (const uint16_t[]){'a', 0xD800, 'b', 0}, 8);
    setv(d, k, "emoji sz \xF0\x9F\x98\x80", REGDB_SZ, (const uint16_t[]){0xD83D, 0xDE00, 0}, 6);
    setv(d, k, "expand", REGDB_EXPAND_SZ, L"%SystemRoot%\\x", 30);
    setv(d, k, "multi", REGDB_MULTI_SZ, L"one\0two\0", 18);
    setv(d, k, "empty multi", REGDB_MULTI_SZ, L"", 2);
    setv(d, k, "dword", REGDB_DWORD, "\x2a\0\0\0", 4);
    setv(d, k, "short dword", REGDB_DWORD, "\x01\x02\x03", 3);
    setv(d, k, "empty dword", REGDB_DWORD, NULL, 0);
    setv(d, k, "dword be", REGDB_DWORD_BIG_ENDIAN, "\0\0\0\x2a", 4);
    setv(d, k, "qword", REGDB_QWORD, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    setv(d, k, "none", REGDB_NONE, "\xff", 1);
    setv(d, k, "empty none", REGDB_NONE, NULL, 0);
    setv(d, k, "empty binary", REGDB_BINARY, NULL, 0);
    setv(d, k, "resource list", REGDB_RESOURCE_LIST, "\x01\x00", 2);
    setv(d, k, "full descriptor", REGDB_FULL_RESOURCE_DESCRIPTOR, "\x02", 1);
    setv(d, k, "requirements", REGDB_RESOURCE_REQUIREMENTS_LIST, "\x03", 1);
    setv(d, k, "big type", 0x12345678, "\x10\x20", 2);
    setv(d, k, "max type", 0xffffffffu, NULL, 0);
    unsigned char big[1000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 7);
    setv(d, k, "long binary", REGDB_BINARY, big, sizeof big);
    setv(d, k, "long multi", REGDB_MULTI_SZ, big, 300);
    char longname[120];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    setv(d, k, longname, REGDB_BINARY, big, 40);
    uint16_t nulname[] = {'n', 0, 'm'};
    cr_assert_eq(regdb_set_value(d, k, nulname, 3, REGDB_DWORD, "\1\0\0\0", 4), 0);
    setv(d, k, "Äpfel", REGDB_SZ, L"Äpfel", 12);
    setv(d, k, "Драйвер", REGDB_SZ, L"Драйвер", 16);
    setv(d, k, ";not a comment", REGDB_SZ, L"[not a key]", 24);
    setv(d, k, "=", REGDB_SZ, L"=", 4);

    /* Subkeys in several cases, with Unicode and awkward names. */
    setv(d, mk(d, "\\Registry\\Machine\\SOFTWARE\\Rich\\b"), "", REGDB_DWORD, "\0\0\0\0", 4);
    mk(d, "\\Registry\\Machine\\SOFTWARE\\Rich\\A");
    mk(d, "\\Registry\\Machine\\SOFTWARE\\Rich\\_under");
    mk(d, "\\Registry\\Machine\\SOFTWARE\\Rich\\äpfel");
    setv(d, mk(d, "\\Registry\\Machine\\SOFTWARE\\Rich\\Драйвер"), "ключ", REGDB_SZ, L"значение", 18);
    setv(d, mk(d, "\\Registry\\Machine\\SOFTWARE\\Rich\\br]ack et "), "x", REGDB_SZ, L"y", 4);
    mk(d, "\\Registry\\Machine\\SOFTWARE\\Rich\\ lead;ing \"q\"");
    mk(d, "\\Registry\\Machine\\SOFTWARE\\Rich\\-minus");

    /* Deep nesting: 40 levels, a value at the bottom. */
    char deep[400] = "\\Registry\\Machine\\SOFTWARE\\Rich\\Deep";
    for (int i = 0; i < 40; i++)
        snprintf(deep + strlen(deep), sizeof deep - strlen(deep), "\\L%02d", i);
    setv(d, mk(d, deep), "bottom", REGDB_DWORD, "\x07\0\0\0", 4);

    /* A link key and a volatile key. */
    regdb_key link;
    cr_assert_eq(regdb_create_key_u8(d, 0, "\\Registry\\Machine\\SOFTWARE\\Rich\\Link", REGDB_CREATE_LINK, &link),
                 0);
    cr_assert_eq(regdb_set_link(d, link, W("\\Registry\\Machine\\SOFTWARE\\Rich\\A")), 0);
    regdb_key vol;
    cr_assert_eq(regdb_create_key_u8(d, 0, "\\Registry\\Machine\\SOFTWARE\\Rich\\Volatile",
                                     REGDB_CREATE_VOLATILE, &vol), 0);
    setv(d, vol, "v", REGDB_DWORD, "\x05\0\0\0", 4);

    setv(d, mk(d, "\\Registry\\User\\S-1-5-18\\Software\\Rich"), "user", REGDB_SZ, L"u", 4);
}

/* ---------------------------------------------------------------- export */

Test(regdb_regfile, export_layout_is_exact)
{
    regdb_key k = mk(db, "\\Registry\\Machine\\SOFTWARE\\Test");
    setv(db, k, "", REGDB_SZ, L"def", 8);
    setv(db, k, "Str", REGDB_SZ, L"a \"q\" \\b", 18);
    setv(db, k, "Num", REGDB_DWORD, "\x2a\0\0\0", 4);
    setv(db, k, "Bin", REGDB_BINARY, "\x01\x02\xab", 3);
    setv(db, k, "Multi", REGDB_MULTI_SZ, L"a\0b\0", 10);
    setv(db, mk(db, "\\Registry\\Machine\\SOFTWARE\\Test\\Sub"), "Q", REGDB_QWORD, "\1\0\0\0\0\0\0\0", 8);
    mk(db, "\\Registry\\Machine\\SOFTWARE\\Test\\Empty");

    void *raw;
    size_t len;
    export_raw(db, "\\Registry\\Machine\\SOFTWARE\\Test", &raw, &len);
    const unsigned char *b = raw;
    cr_assert(b[0] == 0xFF && b[1] == 0xFE, "BOM FF FE");
    cr_assert(b[2] == 'W' && b[3] == 0, "UTF-16LE after the BOM");
    char *text = to_utf8(raw, len);
    cr_assert_str_eq(text, HDR
                     "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Test]\r\n"
                     "@=\"def\"\r\n"
                     "\"Str\"=\"a \\\"q\\\" \\\\b\"\r\n"
                     "\"Num\"=dword:0000002a\r\n"
                     "\"Bin\"=hex:01,02,ab\r\n"
                     "\"Multi\"=hex(7):61,00,00,00,62,00,00,00,00,00\r\n"
                     "\r\n"
                     "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Test\\Empty]\r\n"
                     "\r\n"
                     "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Test\\Sub]\r\n"
                     "\"Q\"=hex(b):01,00,00,00,00,00,00,00\r\n"
                     "\r\n");
    free(text);
    free(raw);
}

Test(regdb_regfile, export_names_hives_and_user_keys)
{
    setv(db, mk(db, "\\Registry\\User\\S-1-5-18\\Env"), "Path", REGDB_EXPAND_SZ, L"%a%", 8);
    char *t = export_u8(db, "\\Registry\\User\\S-1-5-18\\Env");
    cr_assert_str_eq(t, HDR "[HKEY_USERS\\S-1-5-18\\Env]\r\n\"Path\"=hex(2):25,00,61,00,25,00,00,00\r\n\r\n");
    free(t);
    /* A hive itself, with a stored-case path. */
    mk(db, "\\Registry\\Machine\\hArDwArE");
    t = export_u8(db, "\\Registry\\Machine");
    cr_assert_str_eq(t, HDR "[HKEY_LOCAL_MACHINE]\r\n\r\n[HKEY_LOCAL_MACHINE\\hArDwArE]\r\n\r\n");
    free(t);
}

Test(regdb_regfile, export_chooses_string_or_hex_by_the_data)
{
    regdb_key k = mk(db, "\\Registry\\Machine\\S");
    setv(db, k, "ok", REGDB_SZ, L"x", 4);
    setv(db, k, "empty", REGDB_SZ, L"", 2);
    setv(db, k, "nodata", REGDB_SZ, NULL, 0);
    setv(db, k, "odd", REGDB_SZ, "x\0\0", 3);
    setv(db, k, "unterminated", REGDB_SZ, L"x", 2);
    setv(db, k, "embedded", REGDB_SZ, L"a\0b", 8);
    setv(db, k, "double", REGDB_SZ, L"a\0", 6);
    setv(db, k, "cr", REGDB_SZ, L"a\rb", 8);
    setv(db, k, "lf", REGDB_SZ, L"a\nb", 8);
    setv(db, k, "lone", REGDB_SZ, (const uint16_t[]){0xDC00, 0}, 4);
    setv(db, k, "pair", REGDB_SZ, (const uint16_t[]){0xD83D, 0xDE00, 0}, 6);
    setv(db, k, "dword3", REGDB_DWORD, "\1\2\3", 3);
    setv(db, k, "dword5", REGDB_DWORD, "\1\2\3\4\5", 5);
    setv(db, k, "be", REGDB_DWORD_BIG_ENDIAN, "\0\0\0\1", 4);
    setv(db, k, "link", REGDB_LINK, L"\\R", 4);
    setv(db, k, "none", REGDB_NONE, NULL, 0);
    setv(db, k, "bin", REGDB_BINARY, "\x0f\xf0", 2);
    setv(db, k, "t10", 10, "\1", 1);
    setv(db, k, "big", 0xdeadbeefu, "\1", 1);
    char *t = export_u8(db, "\\Registry\\Machine\\S");
    cr_assert_str_eq(t, HDR "[HKEY_LOCAL_MACHINE\\S]\r\n"
                            "\"ok\"=\"x\"\r\n"
                            "\"empty\"=\"\"\r\n"
                            "\"nodata\"=hex(1):\r\n"
                            "\"odd\"=hex(1):78,00,00\r\n"
                            "\"unterminated\"=hex(1):78,00\r\n"
                            "\"embedded\"=hex(1):61,00,00,00,62,00,00,00\r\n"
                            "\"double\"=hex(1):61,00,00,00,00,00\r\n"
                            "\"cr\"=hex(1):61,00,0d,00,62,00,00,00\r\n"
                            "\"lf\"=hex(1):61,00,0a,00,62,00,00,00\r\n"
                            "\"lone\"=hex(1):00,dc,00,00\r\n"
                            "\"pair\"=\"\xF0\x9F\x98\x80\"\r\n"
                            "\"dword3\"=hex(4):01,02,03\r\n"
                            "\"dword5\"=hex(4):01,02,03,04,05\r\n"
                            "\"be\"=hex(5):00,00,00,01\r\n"
                            "\"link\"=hex(6):5c,00,52,00\r\n"
                            "\"none\"=hex(0):\r\n"
                            "\"bin\"=hex:0f,f0\r\n"
                            "\"t10\"=hex(a):01\r\n"
                            "\"big\"=hex(deadbeef):01\r\n"
                            "\r\n");
    free(t);
}

Test(regdb_regfile, export_wraps_long_hex_like_regedit)
{
    regdb_key k = mk(db, "\\Registry\\Machine\\W");
    unsigned char d[60];
    for (int i = 0; i < 60; i++)
        d[i] = (unsigned char)i;
    setv(db, k, "Data", REGDB_BINARY, d, sizeof d);
    setv(db, k, "ProductId", REGDB_BINARY, d, 22);
    setv(db, k, "Exact", REGDB_BINARY, d, 22); /* "Exact"=hex: is 12 characters: 22 bytes fill 77, no break */
    char *t = export_u8(db, "\\Registry\\Machine\\W");
    cr_assert_str_eq(
        t, HDR "[HKEY_LOCAL_MACHINE\\W]\r\n"
               "\"Data\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,\\\r\n"
               "  16,17,18,19,1a,1b,1c,1d,1e,1f,20,21,22,23,24,25,26,27,28,29,2a,2b,2c,2d,2e,\\\r\n"
               "  2f,30,31,32,33,34,35,36,37,38,39,3a,3b\r\n"
               "\"ProductId\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,\\\r\n"
               "  15\r\n"
               "\"Exact\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15\r\n"
               "\r\n");
    expect_lines_within(t, 80);
    free(t);
}

Test(regdb_regfile, export_starts_data_of_long_names_on_a_continuation_line)
{
    regdb_key k = mk(db, "\\Registry\\Machine\\W");
    char name[81];
    memset(name, 'n', 80);
    name[80] = 0;
    setv(db, k, name, REGDB_BINARY, "\1\2", 2);
    setv(db, k, "e", REGDB_BINARY, NULL, 0);
    char *t = export_u8(db, "\\Registry\\Machine\\W");
    char expect[512];
    snprintf(expect, sizeof expect, HDR "[HKEY_LOCAL_MACHINE\\W]\r\n\"%s\"=hex:\\\r\n  01,02\r\n\"e\"=hex:\r\n\r\n",
             name);
    cr_assert_str_eq(t, expect);
    free(t);
}

Test(regdb_regfile, export_refuses_what_a_reg_file_cannot_carry)
{
    void *out = (void *)0x1;
    size_t len = 7;
    cr_assert_eq(regdb_export(db, regdb_root(db), &out, &len), REGDB_E_INVAL);
    cr_assert(strstr(regdb_errmsg(db), "HKEY_LOCAL_MACHINE"), "%s", regdb_errmsg(db));
    cr_assert_eq(out, (void *)0x1, "no output on failure");

    regdb_key k = mk(db, "\\Registry\\Machine\\Bad");
    regdb_key c;
    cr_assert_eq(regdb_create_key(db, k, W("line\nbreak"), 0, NULL, 0, &c, NULL), 0);
    cr_assert_eq(regdb_export(db, k, &out, &len), REGDB_E_INVAL);
    cr_assert(strstr(regdb_errmsg(db), "line break"), "%s", regdb_errmsg(db));
    cr_assert_eq(regdb_delete_key(db, c), 0);

    cr_assert_eq(regdb_set_value(db, k, W("cr\rname"), REGDB_DWORD, "\0\0\0\0", 4), 0);
    cr_assert_eq(regdb_export(db, k, &out, &len), REGDB_E_INVAL);
    cr_assert(strstr(regdb_errmsg(db), "cr"), "%s", regdb_errmsg(db));
    cr_assert_eq(regdb_delete_value(db, k, W("cr\rname")), 0);

    cr_assert_eq(regdb_set_value(db, k, (const uint16_t[]){0xD800}, 1, REGDB_DWORD, "\0\0\0\0", 4), 0);
    cr_assert_eq(regdb_export(db, k, &out, &len), REGDB_E_INVAL);
    cr_assert_eq(regdb_delete_value(db, k, (const uint16_t[]){0xD800}, 1), 0);

    cr_assert_eq(regdb_export(db, k, &out, &len), 0);
    free(out);

    cr_assert_eq(regdb_delete_key(db, k), 0);
    cr_assert_eq(regdb_export(db, k, &out, &len), REGDB_E_DELETED);
    cr_assert_eq(regdb_export(NULL, k, &out, &len), REGDB_E_INVAL);
    cr_assert_eq(regdb_export(db, regdb_root(db), NULL, &len), REGDB_E_INVAL);
    cr_assert_eq(regdb_export(db, regdb_root(db), &out, NULL), REGDB_E_INVAL);
}

/* ---------------------------------------------------------------- round trips */

static void round_trip(enum enc e)
{
    build_rich(db);
    void *a;
    size_t an;
    export_raw(db, "\\Registry\\Machine", &a, &an);
    regdb *d2 = fresh();
    regdb_import_result r;
    memset(&r, 0xde, sizeof r);
    int rc;
    if (e == UTF16LE) {
        rc = regdb_import(d2, a, an, &r);
    } else {
        /* Re-encode the text; it holds a NUL (in a value name), so by length, not strlen. */
        const unsigned char *b = a;
        size_t wn = (an - 2) / 2;
        uint16_t *w = malloc(wn * sizeof *w);
        for (size_t i = 0; i < wn; i++)
            w[i] = (uint16_t)(b[2 + 2 * i] | b[3 + 2 * i] << 8);
        char *u8 = NULL;
        size_t un = 0;
        cr_assert_eq(pb_utf16_to_utf8(w, wn, &u8, &un, PB_UTF_STRICT), 0);
        size_t len;
        unsigned char *p = encode(u8, un, e, &len);
        rc = regdb_import(d2, p, len, &r);
        free(p);
        free(u8);
        free(w);
    }
    cr_assert_eq(rc, 0, "import of the export: %s (%s)", regdb_strerror(rc), regdb_errmsg(d2));
    cr_assert_eq(r.line, 0);
    cr_assert_gt(r.values_set, 40);
    void *b2;
    size_t bn;
    export_raw(d2, "\\Registry\\Machine", &b2, &bn);
    cr_assert_eq(an, bn, "export sizes differ: %zu vs %zu", an, bn);
    cr_assert(!memcmp(a, b2, an), "export -> import -> export must be byte-identical");
    free(a);
    free(b2);
    regdb_close(d2);
}

Test(regdb_regfile, round_trip_is_byte_identical_utf16le) { round_trip(UTF16LE); }
Test(regdb_regfile, round_trip_through_utf8) { round_trip(UTF8); }
Test(regdb_regfile, round_trip_through_utf8_with_bom) { round_trip(UTF8_BOM); }
Test(regdb_regfile, round_trip_through_utf16be) { round_trip(UTF16BE); }

Test(regdb_regfile, round_trip_keeps_every_value_exactly)
{
    build_rich(db);
    void *a;
    size_t an;
    export_raw(db, "\\Registry\\Machine\\SOFTWARE\\Rich", &a, &an);
    regdb *d2 = fresh();
    cr_assert_eq(regdb_import(d2, a, an, NULL), 0, "%s", regdb_errmsg(d2));
    free(a);
    /* Compare every value of Rich, as stored, in both stores. */
    regdb_key k1 = opened(db, "\\Registry\\Machine\\SOFTWARE\\Rich");
    regdb_key k2 = opened(d2, "\\Registry\\Machine\\SOFTWARE\\Rich");
    uint32_t i = 0;
    for (;; i++) {
        regdb_value v1, v2;
        int r1 = regdb_enum_value(db, k1, i, &v1);
        int r2 = regdb_enum_value(d2, k2, i, &v2);
        cr_assert_eq(r1, r2);
        if (r1 == REGDB_E_NOTFOUND)
            break;
        /* v1 points into db's buffers, v2 into d2's: both stay valid here. */
        const uint16_t *n1 = v1.name;
        size_t n1len = v1.name_len;
        uint32_t t1 = v1.type;
        size_t l1 = v1.data_len;
        const void *d1 = v1.data;
        cr_assert(v2.name_len == n1len && !memcmp(v2.name, n1, n1len * 2), "name %u", i);
        cr_assert_eq(v2.type, t1, "type of '%s'", t_u8(n1, n1len));
        cr_assert_eq(v2.data_len, l1, "size of '%s'", t_u8(n1, n1len));
        cr_assert(!l1 || !memcmp(v2.data, d1, l1), "data of '%s'", t_u8(n1, n1len));
    }
    cr_assert_gt(i, 30);
    /* The link key came back as a plain key holding its SymbolicLinkValue. */
    regdb_key l;
    cr_assert_eq(regdb_open_key_u8(d2, 0, "\\Registry\\Machine\\SOFTWARE\\Rich\\Link", &l), 0);
    regdb_key_info info;
    cr_assert_eq(regdb_query_key(d2, l, &info), 0);
    cr_assert_eq(info.flags & (REGDB_KEY_LINK | REGDB_KEY_VOLATILE), 0);
    expect_value(d2, "\\Registry\\Machine\\SOFTWARE\\Rich\\Link", "SymbolicLinkValue", REGDB_LINK,
                 L"\\Registry\\Machine\\SOFTWARE\\Rich\\A",
                 sizeof(L"\\Registry\\Machine\\SOFTWARE\\Rich\\A") - 2);
    expect_value(d2, "\\Registry\\Machine\\SOFTWARE\\Rich\\Volatile", "v", REGDB_DWORD, "\x05\0\0\0", 4);
    regdb_close(d2);
}

Test(regdb_regfile, reimporting_an_export_changes_nothing)
{
    build_rich(db);
    blob before = state(db);
    void *a;
    size_t an;
    export_raw(db, "\\Registry\\Machine", &a, &an);
    regdb_import_result r;
    cr_assert_eq(regdb_import(db, a, an, &r), 0, "%s", regdb_errmsg(db));
    cr_assert_eq(r.keys_created, 0);
    blob after = state(db);
    expect_same(before, after, "re-import");
    /* In particular the link's target did not receive a SymbolicLinkValue. */
    cr_assert_not(has_value(db, "\\Registry\\Machine\\SOFTWARE\\Rich\\A", "SymbolicLinkValue"));
    free(a);
    free(before.p);
    free(after.p);
}

/* ---------------------------------------------------------------- import forms */

Test(regdb_regfile, import_reads_every_value_form)
{
    regdb_import_result r;
    memset(&r, 0xde, sizeof r);
    int rc = import_u8(db, HDR
                       "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Forms]\r\n"
                       "@=\"default\"\r\n"
                       "\"sz\"=\"x\\\"y\\\\z\"\r\n"
                       "\"empty\"=\"\"\r\n"
                       "\"dw\"=dword:0000002A\r\n"
                       "\"dwshort\"=DWORD:1\r\n"
                       "\"dwmax\"=dword:ffffffff\r\n"
                       "\"bin\"=hex:de,AD, be ,ef\r\n"
                       "\"nobin\"=hex:\r\n"
                       "\"none\"=hex(0):01\r\n"
                       "\"exp\"=hex(2):25,00,00,00\r\n"
                       "\"multi\"=HEX(7):61,00,00,00,00,00\r\n"
                       "\"qw\"=hex(b):01,02,03,04,05,06,07,08\r\n"
                       "\"big\"=hex(12345678):ff\r\n"
                       "\"max\"=hex(FFFFFFFF):\r\n"
                       "\"bin3\"=hex(3):00\r\n"
                       "  \"spaces\"  =  \"ok\"  \r\n"
                       "\"unicode ключ\"=\"значение\"\r\n"
                       "\"semi;colon\"=\"[x]\"\r\n",
                       &r);
    cr_assert_eq(rc, 0, "%s", regdb_errmsg(db));
    cr_assert_eq(r.line, 0);
    cr_assert_eq(r.keys_created, 1);
    cr_assert_eq(r.values_set, 18);
    cr_assert_eq(r.keys_deleted, 0);
    cr_assert_eq(r.values_deleted, 0);
    const char *K = "\\Registry\\Machine\\SOFTWARE\\Forms";
    expect_value(db, K, "", REGDB_SZ, L"default", 16);
    expect_value(db, K, "sz", REGDB_SZ, L"x\"y\\z", 12);
    expect_value(db, K, "empty", REGDB_SZ, L"", 2);
    expect_value(db, K, "dw", REGDB_DWORD, "\x2a\0\0\0", 4);
    expect_value(db, K, "dwshort", REGDB_DWORD, "\1\0\0\0", 4);
    expect_value(db, K, "dwmax", REGDB_DWORD, "\xff\xff\xff\xff", 4);
    expect_value(db, K, "bin", REGDB_BINARY, "\xde\xad\xbe\xef", 4);
    expect_value(db, K, "nobin", REGDB_BINARY, NULL, 0);
    expect_value(db, K, "none", REGDB_NONE, "\1", 1);
    expect_value(db, K, "exp", REGDB_EXPAND_SZ, "%\0\0\0", 4);
    expect_value(db, K, "multi", REGDB_MULTI_SZ, L"a\0", 6);
    expect_value(db, K, "qw", REGDB_QWORD, "\1\2\3\4\5\6\7\x08", 8);
    expect_value(db, K, "big", 0x12345678, "\xff", 1);
    expect_value(db, K, "max", 0xffffffffu, NULL, 0);
    expect_value(db, K, "bin3", REGDB_BINARY, "\0", 1);
    expect_value(db, K, "spaces", REGDB_SZ, L"ok", 6);
    expect_value(db, K, "unicode ключ", REGDB_SZ, L"значение", 18);
    expect_value(db, K, "semi;colon", REGDB_SZ, L"[x]", 8);
    /* Values come back in file order. */
    regdb_value v;
    cr_assert_eq(regdb_enum_value(db, opened(db, K), 2, &v), 0);
    cr_assert_str_eq(t_u8(v.name, v.name_len), "empty");
}

Test(regdb_regfile, import_creates_intermediate_keys)
{
    regdb_import_result r;
    cr_assert_eq(import_u8(db, HDR "[HKEY_LOCAL_MACHINE\\SOFTWARE\\A\\B\\C]\r\n", &r), 0);
    cr_assert_eq(r.keys_created, 1);
    cr_assert(exists(db, "\\Registry\\Machine\\SOFTWARE\\A\\B\\C"));
    /* An existing key, named in another case, with a trailing backslash. */
    cr_assert_eq(import_u8(db, HDR "[hkey_local_machine\\software\\a\\b\\]\r\n\"v\"=dword:1\r\n", &r), 0,
                 "%s", regdb_errmsg(db));
    cr_assert_eq(r.keys_created, 0);
    expect_value(db, "\\Registry\\Machine\\SOFTWARE\\A\\B", "v", REGDB_DWORD, "\1\0\0\0", 4);
    /* The hive root itself may hold values. */
    cr_assert_eq(import_u8(db, HDR "[HKEY_USERS]\r\n\"h\"=\"x\"\r\n", &r), 0);
    expect_value(db, "\\Registry\\User", "h", REGDB_SZ, L"x", 4);
}

Test(regdb_regfile, import_maps_the_predefined_roots)
{
    import_ok(db, HDR "[HKEY_CURRENT_USER\\Software\\Me]\r\n\"a\"=dword:1\r\n\r\n"
                      "[HKEY_CLASSES_ROOT\\.txt]\r\n@=\"txtfile\"\r\n\r\n"
                      "[HKEY_USERS\\.DEFAULT\\X]\r\n\r\n"
                      "[HKEY_CURRENT_CONFIG\\System]\r\n");
    expect_value(db, "\\Registry\\User\\S-1-5-18\\Software\\Me", "a", REGDB_DWORD, "\1\0\0\0", 4);
    expect_value(db, "\\Registry\\Machine\\SOFTWARE\\Classes\\.txt", "", REGDB_SZ, L"txtfile", 16);
    cr_assert(exists(db, "\\Registry\\User\\.DEFAULT\\X"));
    cr_assert(exists(db, "\\Registry\\Machine\\SYSTEM\\CurrentControlSet\\Hardware Profiles\\Current\\System"));
    /* Export names them by the hive they live in. */
    char *t = export_u8(db, "\\Registry\\User\\S-1-5-18\\Software\\Me");
    cr_assert_str_eq(t, HDR "[HKEY_USERS\\S-1-5-18\\Software\\Me]\r\n\"a\"=dword:00000001\r\n\r\n");
    free(t);
}

Test(regdb_regfile, hkey_table_lookups)
{
    cr_assert_str_eq(regdb_hkey_lookup(W("hkey_local_machine"), 0)->nt_path, "\\REGISTRY\\MACHINE");
    cr_assert_null(regdb_hkey_lookup(W("HKLM"), 0), "abbreviations only when asked for");
    cr_assert_str_eq(regdb_hkey_lookup(W("hklm"), 1)->name, "HKEY_LOCAL_MACHINE");
    cr_assert_str_eq(regdb_hkey_lookup_u8("HKCU", 4, 1)->nt_path, "\\REGISTRY\\USER\\S-1-5-18");
    cr_assert_str_eq(regdb_hkey_lookup_u8("HKEY_CLASSES_ROOT", 17, 0)->abbrev, "HKCR");
    cr_assert_null(regdb_hkey_lookup_u8("HKEY_USERSX", 11, 1));
    cr_assert_null(regdb_hkey_lookup_u8("HKU", 2, 1));

    uint16_t *nt = (uint16_t *)0x1;
    size_t n = 99;
    const regdb_hkey *root = NULL;
    cr_assert_eq(regdb_hkey_to_nt(W("HKU\\S-1-5-18\\x\\"), 1, &nt, &n, &root), 0);
    cr_assert_str_eq(t_u8(nt, n), "\\REGISTRY\\USER\\S-1-5-18\\x");
    cr_assert_eq(nt[n], 0);
    cr_assert_str_eq(root->name, "HKEY_USERS");
    free(nt);
    cr_assert_eq(regdb_hkey_to_nt(W("HKEY_LOCAL_MACHINE\\"), 0, &nt, &n, NULL), 0);
    cr_assert_str_eq(t_u8(nt, n), "\\REGISTRY\\MACHINE");
    free(nt);
    nt = (uint16_t *)0x1;
    cr_assert_eq(regdb_hkey_to_nt(W("HKEY_NOPE\\x"), 1, &nt, &n, NULL), REGDB_E_INVAL);
    cr_assert_eq(nt, (uint16_t *)0x1);
    cr_assert_eq(regdb_hkey_to_nt(W(""), 1, &nt, &n, NULL), REGDB_E_INVAL);
    cr_assert_eq(regdb_hkey_to_nt(NULL, 3, 1, &nt, &n, NULL), REGDB_E_INVAL);
}

Test(regdb_regfile, import_deletes_keys_and_values)
{
    regdb_key k = mk(db, "\\Registry\\Machine\\SOFTWARE\\Del\\A\\B");
    setv(db, k, "deep", REGDB_DWORD, "\0\0\0\0", 4);
    regdb_key del = opened(db, "\\Registry\\Machine\\SOFTWARE\\Del");
    setv(db, del, "gone", REGDB_SZ, L"x", 4);
    setv(db, del, "kept", REGDB_SZ, L"y", 4);
    setv(db, del, "", REGDB_SZ, L"z", 4);
    regdb_import_result r;
    memset(&r, 0xde, sizeof r);
    int rc = import_u8(db, HDR "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Del\\A]\r\n"
                               "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Missing\\Key]\r\n"
                               "[-HKEY_NOWHERE_ROOTLESS_IS_NOT_OK_BUT_NOT_HERE]\r\n",
                       &r);
    cr_assert_eq(rc, REGDB_E_FORMAT, "an unknown root is an error even when deleting");
    cr_assert_eq(r.line, 5);
    cr_assert(exists(db, "\\Registry\\Machine\\SOFTWARE\\Del\\A\\B"), "nothing changed");

    memset(&r, 0xde, sizeof r);
    rc = import_u8(db, HDR "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Del\\A]\r\n"
                           "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Missing\\Key]\r\n"
                           "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Del]\r\n"
                           "\"gone\"=-\r\n"
                           "\"never\" = -\r\n"
                           "@=-\r\n",
                   &r);
    cr_assert_eq(rc, 0, "%s", regdb_errmsg(db));
    cr_assert_eq(r.keys_deleted, 1);
    cr_assert_eq(r.values_deleted, 2);
    cr_assert_eq(r.keys_created, 0);
    cr_assert_eq(r.values_set, 0);
    cr_assert_not(exists(db, "\\Registry\\Machine\\SOFTWARE\\Del\\A"));
    cr_assert(exists(db, "\\Registry\\Machine\\SOFTWARE\\Del"));
    cr_assert_not(has_value(db, "\\Registry\\Machine\\SOFTWARE\\Del", "gone"));
    cr_assert_not(has_value(db, "\\Registry\\Machine\\SOFTWARE\\Del", ""));
    cr_assert(has_value(db, "\\Registry\\Machine\\SOFTWARE\\Del", "kept"));
}

Test(regdb_regfile, import_acts_on_link_keys_themselves)
{
    mk(db, "\\Registry\\Machine\\SYSTEM\\ControlSet001\\Services");
    regdb_key link;
    cr_assert_eq(regdb_create_key_u8(db, 0, "\\Registry\\Machine\\SYSTEM\\CurrentControlSet", REGDB_CREATE_LINK,
                                     &link), 0);
    cr_assert_eq(regdb_set_link(db, link, W("\\Registry\\Machine\\SYSTEM\\ControlSet001")), 0);
    /* Through the link for intermediate components; the link itself as the section key. */
    import_ok(db, HDR "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\drv]\r\n\"Start\"=dword:3\r\n\r\n"
                      "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet]\r\n\"OnLink\"=dword:1\r\n");
    expect_value(db, "\\Registry\\Machine\\SYSTEM\\ControlSet001\\Services\\drv", "Start", REGDB_DWORD,
                 "\3\0\0\0", 4);
    cr_assert_not(has_value(db, "\\Registry\\Machine\\SYSTEM\\ControlSet001", "OnLink"));
    regdb_value v;
    cr_assert_eq(regdb_query_value(db, link, W("OnLink"), &v), 0);
    /* Deleting the link deletes the link, not its target. */
    import_ok(db, HDR "[-HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet]\r\n");
    cr_assert_eq(regdb_key_check(db, link), REGDB_E_DELETED);
    cr_assert(exists(db, "\\Registry\\Machine\\SYSTEM\\ControlSet001\\Services\\drv"));
}

Test(regdb_regfile, import_joins_continuation_lines)
{
    /* LF line ends, blanks and tabs around the continuation, a break right after the prefix. */
    import_ok(db, "Windows Registry Editor Version 5.00\n\n"
                  "[HKEY_LOCAL_MACHINE\\C]\n"
                  "\"c\"=hex:01,02,\\\n"
                  "    03,04,\\   \n"
                  "\t05\n"
                  "\"m\"=hex(7):\\\n"
                  "  61,00,00,00,\\\n"
                  "  00,00\n"
                  "; a comment ending in a backslash is not continued \\\n"
                  "\"after\"=dword:2\n");
    expect_value(db, "\\Registry\\Machine\\C", "c", REGDB_BINARY, "\1\2\3\4\5", 5);
    expect_value(db, "\\Registry\\Machine\\C", "m", REGDB_MULTI_SZ, L"a\0", 6);
    expect_value(db, "\\Registry\\Machine\\C", "after", REGDB_DWORD, "\2\0\0\0", 4);
}

Test(regdb_regfile, import_mixed_line_ends_comments_and_blank_lines)
{
    import_ok(db, "Windows Registry Editor Version 5.00  \r\n"
                  "; comment before the first key\n"
                  "\r\n"
                  "   \t\r\n"
                  "  ;indented comment\r\n"
                  "  [HKEY_LOCAL_MACHINE\\M]  \n"
                  "\"a\"=\"1\"\r\n"
                  "\n"
                  "\"b\"=\"2\"");
    expect_value(db, "\\Registry\\Machine\\M", "a", REGDB_SZ, L"1", 4);
    expect_value(db, "\\Registry\\Machine\\M", "b", REGDB_SZ, L"2", 4);
}

Test(regdb_regfile, import_reads_every_encoding)
{
    const char *text = HDR "[HKEY_LOCAL_MACHINE\\Enc\\Ключ]\r\n\"Äpfel\"=\"€\xF0\x9F\x98\x80\"\r\n";
    enum enc encs[] = {UTF8, UTF8_BOM, UTF16LE, UTF16BE};
    for (size_t i = 0; i < 4; i++) {
        regdb *d = fresh();
        regdb_import_result r;
        int rc = import_enc(d, text, encs[i], &r);
        cr_assert_eq(rc, 0, "encoding %zu: %s", i, regdb_errmsg(d));
        expect_value(d, "\\Registry\\Machine\\Enc\\ключ", "äPFEL", REGDB_SZ,
                     (const uint16_t[]){0x20AC, 0xD83D, 0xDE00, 0}, 8);
        regdb_close(d);
    }
}

Test(regdb_regfile, import_reads_regedit4)
{
    /* ANSI text (Windows-1252 'é' = 0xE9, not UTF-8) and ANSI bytes in hex(2)/hex(7). */
    import_ok(db, "REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\Old]\r\n"
                  "\"s\"=\"caf\xE9\"\r\n"
                  "\"e\"=hex(2):25,41,25,00\r\n"
                  "\"m\"=hex(7):61,00,80,00,00\r\n"
                  "\"b\"=hex:25,41\r\n");
    expect_value(db, "\\Registry\\Machine\\Old", "s", REGDB_SZ, L"café", 10);
    expect_value(db, "\\Registry\\Machine\\Old", "e", REGDB_EXPAND_SZ, L"%A%", 8);
    expect_value(db, "\\Registry\\Machine\\Old", "m", REGDB_MULTI_SZ, L"a\0€\0", 10);
    expect_value(db, "\\Registry\\Machine\\Old", "b", REGDB_BINARY, "%A", 2);
    /* REGEDIT4 in UTF-8 is read as UTF-8. */
    import_ok(db, "REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\Old]\r\n\"u\"=\"caf\xC3\xA9\"\r\n");
    expect_value(db, "\\Registry\\Machine\\Old", "u", REGDB_SZ, L"café", 10);
}

Test(regdb_regfile, import_is_nested_inside_a_callers_transaction)
{
    regdb_key k = mk(db, "\\Registry\\Machine\\Txn");
    cr_assert_eq(regdb_begin(db), 0);
    setv(db, k, "mine", REGDB_DWORD, "\1\0\0\0", 4);
    regdb_import_result r;
    cr_assert_eq(import_u8(db, HDR "[HKEY_LOCAL_MACHINE\\Txn]\r\n\"imp\"=dword:2\r\n\"bad\"=hex:zz\r\n", &r),
                 REGDB_E_FORMAT);
    cr_assert_eq(r.line, 5);
    cr_assert(regdb_in_transaction(db), "the caller's transaction stays open");
    cr_assert_eq(regdb_commit(db), 0);
    cr_assert(has_value(db, "\\Registry\\Machine\\Txn", "mine"));
    cr_assert_not(has_value(db, "\\Registry\\Machine\\Txn", "imp"));
}

Test(regdb_regfile, import_rejects_bad_arguments)
{
    regdb_import_result r;
    memset(&r, 0xde, sizeof r);
    cr_assert_eq(regdb_import(NULL, "x", 1, &r), REGDB_E_INVAL);
    cr_assert_eq(r.line, 0);
    cr_assert_eq(r.values_set, 0);
    cr_assert_eq(regdb_import(db, NULL, 5, NULL), REGDB_E_INVAL);
    cr_assert_eq(regdb_import(db, NULL, 0, &r), REGDB_E_FORMAT);
    cr_assert_eq(r.line, 1);
}

Test(regdb_regfile, import_into_a_read_only_store_fails_cleanly)
{
    char *dir = t_mkdtemp("regfile");
    char path[512];
    snprintf(path, sizeof path, "%s/r.db", dir);
    regdb *w;
    regdb_open_opts o = {.flags = REGDB_OPEN_CREATE};
    cr_assert_eq(regdb_open(path, &o, &w), 0);
    regdb_close(w);
    regdb *ro;
    o.flags = REGDB_OPEN_READONLY;
    cr_assert_eq(regdb_open(path, &o, &ro), 0);
    regdb_import_result r;
    int rc = import_u8(ro, HDR "[HKEY_LOCAL_MACHINE\\X]\r\n", &r);
    cr_assert_lt(rc, 0);
    cr_assert_neq(rc, REGDB_E_FORMAT);
    cr_assert_not(exists(ro, "\\Registry\\Machine\\X"));
    regdb_close(ro);
    t_rmtree(dir);
    free(dir);
}

/* ---------------------------------------------------------------- malformed files */

typedef struct bad_case {
    const char *what;
    const char *text; /* UTF-8 unless raw */
    size_t raw_len;   /* nonzero: text is raw bytes of this length */
    int rc;
    unsigned line;
    const char *msg; /* a part of the message, or NULL */
} bad_case;

static void expect_rejected(const bad_case *c)
{
    build_rich(db);
    blob before = state(db);
    regdb_import_result r;
    memset(&r, 0xde, sizeof r);
    int rc = regdb_import(db, c->text, c->raw_len ? c->raw_len : strlen(c->text), &r);
    cr_assert_eq(rc, c->rc, "%s: rc %d (%s), expected %d; %s", c->what, rc, regdb_strerror(rc), c->rc,
                 regdb_errmsg(db));
    cr_assert_eq(r.line, c->line, "%s: line %u, expected %u (%s)", c->what, r.line, c->line, regdb_errmsg(db));
    cr_assert_eq(r.values_set, 0, "%s: no counts on failure", c->what);
    cr_assert_eq(r.keys_created, 0);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "line %u: ", c->line);
    cr_assert(!strncmp(regdb_errmsg(db), prefix, strlen(prefix)), "%s: message '%s'", c->what, regdb_errmsg(db));
    if (c->msg)
        cr_assert(strstr(regdb_errmsg(db), c->msg), "%s: message '%s' lacks '%s'", c->what, regdb_errmsg(db),
                  c->msg);
    blob after = state(db);
    expect_same(before, after, c->what);
    free(before.p);
    free(after.p);
}

#define K3 "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Rich]\r\n"
/* Changes made before the failing line, which must all be undone. */
#define CHANGES                                                                                                \
    "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Rich\\Deep]\r\n"                                                          \
    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Rich]\r\n"                                                                 \
    "\"sz\"=-\r\n"                                                                                             \
    "\"dword\"=dword:99\r\n"                                                                                   \
    "\"new\"=\"value\"\r\n"                                                                                    \
    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Brand\\New]\r\n"                                                           \
    "@=\"x\"\r\n"

static const bad_case bad_text[] = {
    {"empty file", "", 0, REGDB_E_FORMAT, 1, "header"},
    {"missing header", "[HKEY_LOCAL_MACHINE\\SOFTWARE\\X]\r\n", 0, REGDB_E_FORMAT, 1, "header"},
    {"wrong header version", "Windows Registry Editor Version 4.00\r\n\r\n", 0, REGDB_E_FORMAT, 1, NULL},
    {"header not on the first line", "\r\nWindows Registry Editor Version 5.00\r\n", 0, REGDB_E_FORMAT, 1, NULL},
    {"value before any key", HDR "\"a\"=\"b\"\r\n", 0, REGDB_E_FORMAT, 3, "outside a key"},
    {"value after a deleted key", HDR "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Rich\\A]\r\n\"a\"=\"b\"\r\n", 0,
     REGDB_E_FORMAT, 4, "outside a key"},
    {"unknown root", HDR "[HKEY_FOO\\X]\r\n", 0, REGDB_E_FORMAT, 3, "unknown root key 'HKEY_FOO'"},
    {"abbreviated root", HDR "[HKLM\\X]\r\n", 0, REGDB_E_FORMAT, 3, "'HKLM'"},
    {"bad hex byte", HDR K3 "\"v\"=hex:01,zz\r\n", 0, REGDB_E_FORMAT, 4, "bad hex byte 'zz'"},
    {"one hex digit", HDR K3 "\"v\"=hex:01,2\r\n", 0, REGDB_E_FORMAT, 4, "bad hex byte '2'"},
    {"three hex digits", HDR K3 "\"v\"=hex:012\r\n", 0, REGDB_E_FORMAT, 4, "bad hex byte '012'"},
    {"bad hex on a continuation line", HDR K3 "\"v\"=hex:01,\\\r\n  02,\\\r\n  0g\r\n", 0, REGDB_E_FORMAT, 6,
     "'0g'"},
    {"hex without commas", HDR K3 "\"v\"=hex:01 02\r\n", 0, REGDB_E_FORMAT, 4, "expected ','"},
    {"hex ending in a comma", HDR K3 "\"v\"=hex:01,02,\r\n", 0, REGDB_E_FORMAT, 4, "ends with ','"},
    {"continuation at the end of the file", HDR K3 "\"v\"=hex:01,\\\r\n", 0, REGDB_E_FORMAT, 4, "continued"},
    {"continuation into a blank last line", HDR K3 "\"v\"=hex:01,\\\r\n\r\n", 0, REGDB_E_FORMAT, 4,
     "ends with ','"},
    {"unterminated string", HDR K3 "\"v\"=\"abc\r\n", 0, REGDB_E_FORMAT, 4, "unterminated"},
    {"string ending in an escaped quote", HDR K3 "\"v\"=\"abc\\\"\r\n", 0, REGDB_E_FORMAT, 4, "unterminated"},
    {"unterminated name", HDR K3 "\"v=dword:1\r\n", 0, REGDB_E_FORMAT, 4, "unterminated"},
    {"bad escape", HDR K3 "\"v\"=\"C:\\Windows\"\r\n", 0, REGDB_E_FORMAT, 4, "bad escape"},
    {"text after a string", HDR K3 "\"v\"=\"a\" b\r\n", 0, REGDB_E_FORMAT, 4, "after the string"},
    {"text after =-", HDR K3 "\"v\"=-x\r\n", 0, REGDB_E_FORMAT, 4, NULL},
    {"missing =", HDR K3 "\"v\" \"x\"\r\n", 0, REGDB_E_FORMAT, 4, "'='"},
    {"missing data", HDR K3 "\"v\"=\r\n", 0, REGDB_E_FORMAT, 4, "missing value data"},
    {"unknown data", HDR K3 "\"v\"=str:\"x\"\r\n", 0, REGDB_E_FORMAT, 4, "unknown value data"},
    {"dword of nine digits", HDR K3 "\"v\"=dword:123456789\r\n", 0, REGDB_E_FORMAT, 4, "bad dword"},
    {"dword not hex", HDR K3 "\"v\"=dword:xyz\r\n", 0, REGDB_E_FORMAT, 4, "bad dword"},
    {"empty dword", HDR K3 "\"v\"=dword:\r\n", 0, REGDB_E_FORMAT, 4, "bad dword"},
    {"hex type not hex", HDR K3 "\"v\"=hex(g):00\r\n", 0, REGDB_E_FORMAT, 4, "hex(N)"},
    {"hex type too long", HDR K3 "\"v\"=hex(123456789):00\r\n", 0, REGDB_E_FORMAT, 4, "hex(N)"},
    {"hex type without colon", HDR K3 "\"v\"=hex(1)00\r\n", 0, REGDB_E_FORMAT, 4, "hex(N)"},
    {"garbage line", HDR K3 "hello\r\n", 0, REGDB_E_FORMAT, 4, "'hello'"},
    {"key line without ]", HDR "[HKEY_LOCAL_MACHINE\\SOFTW\r\n", 0, REGDB_E_FORMAT, 3, "']'"},
    {"text after ]", HDR "[HKEY_LOCAL_MACHINE\\X] y\r\n", 0, REGDB_E_FORMAT, 3, "']'"},
    {"empty key path", HDR "[]\r\n", 0, REGDB_E_FORMAT, 3, "empty key path"},
    {"empty delete path", HDR "[-]\r\n", 0, REGDB_E_FORMAT, 3, "empty key path"},
    {"empty component", HDR "[HKEY_LOCAL_MACHINE\\SOFTWARE\\\\X]\r\n", 0, REGDB_E_FORMAT, 3, "empty key name"},
    {"two trailing backslashes", HDR "[HKEY_LOCAL_MACHINE\\SOFTWARE\\\\]\r\n", 0, REGDB_E_FORMAT, 3,
     "empty key name"},
    {"leading backslash", HDR "[\\HKEY_LOCAL_MACHINE\\X]\r\n", 0, REGDB_E_FORMAT, 3, "empty key name"},
    {"deleting a hive", HDR "[-HKEY_LOCAL_MACHINE]\r\n", 0, REGDB_E_INVAL, 3, "cannot delete key"},
    {"error after many changes", HDR CHANGES "\"late\"=hex:xx\r\n", 0, REGDB_E_FORMAT, 10, "'xx'"},
    {"error in a continuation after many changes", HDR CHANGES "\"late\"=hex:00,\\\r\n  01,\\\r\n  ,\r\n", 0,
     REGDB_E_FORMAT, 12, NULL},
    {"invalid UTF-8", HDR K3 "\"v\"=\"\xff\"\r\n", 0, REGDB_E_FORMAT, 4, "UTF-8"},
    {"overlong UTF-8", HDR K3 "\r\n\"v\"=\"\xC0\xAF\"\r\n", 0, REGDB_E_FORMAT, 5, "UTF-8"},
    {"UTF-8 surrogate", HDR "\xED\xA0\x80\r\n", 0, REGDB_E_FORMAT, 3, "UTF-8"},
    {"truncated UTF-8 sequence", HDR K3 "\"v\"=\"\xE2\x82", 0, REGDB_E_FORMAT, 4, "UTF-8"},
};

Test(regdb_regfile, malformed_text_changes_nothing_and_names_the_line)
{
    for (size_t i = 0; i < sizeof bad_text / sizeof bad_text[0]; i++) {
        regdb_close(db);
        db = fresh();
        expect_rejected(&bad_text[i]);
    }
}

Test(regdb_regfile, names_over_the_limits_give_regdb_errors)
{
    /* A key name of 256 characters, a value name of 16384. */
    size_t kn = 256, vn = REGDB_MAX_VALUE_NAME + 1;
    char *t = malloc(200 + kn + vn);
    strcpy(t, HDR "[HKEY_LOCAL_MACHINE\\SOFTWARE\\");
    memset(t + strlen(t), 'k', kn);
    strcpy(t + strlen(HDR "[HKEY_LOCAL_MACHINE\\SOFTWARE\\") + kn, "]\r\n");
    bad_case c = {"key name over 255", t, 0, REGDB_E_TOOLONG, 3, "over the limit"};
    expect_rejected(&c);

    regdb_close(db);
    db = fresh();
    strcpy(t, HDR K3 "\"");
    size_t l = strlen(t);
    memset(t + l, 'v', vn);
    strcpy(t + l + vn, "\"=dword:1\r\n");
    c = (bad_case){"value name over 16383", t, 0, REGDB_E_TOOLONG, 4, "over the limit"};
    expect_rejected(&c);

    /* Exactly at the limits is fine. */
    regdb_close(db);
    db = fresh();
    strcpy(t, HDR "[HKEY_LOCAL_MACHINE\\SOFTWARE\\");
    l = strlen(t);
    memset(t + l, 'k', 255);
    strcpy(t + l + 255, "]\r\n\"");
    l = strlen(t);
    memset(t + l, 'v', REGDB_MAX_VALUE_NAME);
    strcpy(t + l + REGDB_MAX_VALUE_NAME, "\"=dword:1\r\n");
    import_ok(db, t);
    free(t);
}

/* The UTF-16 text of lines, with its BOM, as bytes. */
static unsigned char *utf16le_of(const char *text, size_t *len) { return encode(text, strlen(text), UTF16LE, len); }

Test(regdb_regfile, malformed_utf16_changes_nothing_and_names_the_line)
{
    size_t len;
    unsigned char *p = utf16le_of(HDR K3 "\"v\"=\"abcdef\"\r\n\"w\"=dword:1\r\n", &len);

    /* Odd byte count: cut in the middle of a code unit on line 4. */
    size_t cut = 2 + 2 * (strlen(HDR K3) + 6) + 1;
    bad_case c = {"odd UTF-16 byte count", (const char *)p, cut, REGDB_E_FORMAT, 4, "UTF-16 code unit"};
    expect_rejected(&c);

    /* A lone high surrogate in line 4, then a lone low surrogate, then a reversed pair. */
    static const uint16_t bad[][2] = {{0xD800, 'x'}, {0xDC00, 'x'}, {0xDE00, 0xD83D}};
    for (int i = 0; i < 3; i++) {
        regdb_close(db);
        db = fresh();
        unsigned char *q = malloc(len);
        memcpy(q, p, len);
        size_t at = 2 + 2 * (strlen(HDR K3) + 6);
        q[at] = (unsigned char)bad[i][0];
        q[at + 1] = (unsigned char)(bad[i][0] >> 8);
        q[at + 2] = (unsigned char)bad[i][1];
        q[at + 3] = (unsigned char)(bad[i][1] >> 8);
        c = (bad_case){"unpaired surrogate", (const char *)q, len, REGDB_E_FORMAT, 4, "surrogate"};
        expect_rejected(&c);
        free(q);
    }

    /* UTF-16BE, odd count. */
    regdb_close(db);
    db = fresh();
    size_t blen;
    unsigned char *b = encode(HDR K3 "\"v\"=\"abc\"\r\n", strlen(HDR K3 "\"v\"=\"abc\"\r\n"), UTF16BE, &blen);
    c = (bad_case){"odd UTF-16BE byte count", (const char *)b, blen - 1, REGDB_E_FORMAT, 4, "UTF-16"};
    expect_rejected(&c);
    free(b);
    free(p);
}

/* Cut a real export in the middle of a line and check the import fails at that line. */
static void expect_cut_rejected(const char *marker, size_t after, const char *msg)
{
    build_rich(db);
    void *a;
    size_t an;
    export_raw(db, "\\Registry\\Machine\\SOFTWARE\\Rich", &a, &an);
    size_t un;
    char *u8 = to_utf8_n(a, an, &un);
    free(a);
    char *m = memmem(u8, un, marker, strlen(marker));
    cr_assert_not_null(m, "marker '%s' in the export", marker);
    size_t cut = (size_t)(m - u8) + after;
    unsigned line = 1;
    for (size_t i = 0; i < cut; i++)
        line += u8[i] == '\n';
    size_t len;
    unsigned char *p = encode(u8, cut, UTF16LE, &len);
    regdb_close(db);
    db = fresh();
    bad_case c = {marker, (const char *)p, len, REGDB_E_FORMAT, line, msg};
    expect_rejected(&c);
    free(p);
    free(u8);
}

Test(regdb_regfile, truncated_inside_a_string) { expect_cut_rejected("\"sz\"=\"hello wor", 13, "unterminated"); }
Test(regdb_regfile, truncated_inside_a_name) { expect_cut_rejected("\"qword\"=", 3, "unterminated"); }
Test(regdb_regfile, truncated_after_a_continuation_mark)
{
    expect_cut_rejected("\"long binary\"=hex:", 80, "continued");
}
Test(regdb_regfile, truncated_after_a_comma) { expect_cut_rejected("\"dword be\"=hex(5):00,00,", 24, "ends with ','"); }
Test(regdb_regfile, truncated_inside_a_hex_byte) { expect_cut_rejected("\"none\"=hex(0):ff", 15, "bad hex byte 'f'"); }
Test(regdb_regfile, truncated_inside_a_key_line)
{
    expect_cut_rejected("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Rich\\Deep\\L00]", 20, "']'");
}

Test(regdb_regfile, every_truncation_is_safe)
{
    /* A small export cut at every byte: never a crash; a failure changes nothing and names a line. */
    regdb_key k = mk(db, "\\Registry\\Machine\\SOFTWARE\\T");
    setv(db, k, "s", REGDB_SZ, L"text \"q\"", 18);
    setv(db, k, "", REGDB_DWORD, "\1\2\3\4", 4);
    unsigned char bin[40];
    memset(bin, 0xab, sizeof bin);
    setv(db, k, "bin", REGDB_BINARY, bin, sizeof bin);
    setv(db, mk(db, "\\Registry\\Machine\\SOFTWARE\\T\\Sub"), "m", REGDB_MULTI_SZ, L"a\0b\0", 10);
    void *a;
    size_t an;
    export_raw(db, "\\Registry\\Machine\\SOFTWARE\\T", &a, &an);
    regdb *d = fresh();
    blob base = state(d);
    unsigned failed = 0;
    for (size_t cut = 0; cut <= an; cut++) {
        regdb_import_result r;
        int rc = regdb_import(d, a, cut, &r);
        if (rc == 0) {
            /* A cut at a line end (or inside a dword) is a shorter valid file: start over. */
            regdb_close(d);
            d = fresh();
            continue;
        }
        failed++;
        cr_assert(rc == REGDB_E_FORMAT, "cut %zu: %s (%s)", cut, regdb_strerror(rc), regdb_errmsg(d));
        cr_assert_geq(r.line, 1, "cut %zu", cut);
        if (cut > 2 && cut % 2)
            cr_assert(strstr(regdb_errmsg(d), "UTF-16"), "cut %zu: %s", cut, regdb_errmsg(d));
        blob now = state(d);
        expect_same(base, now, "truncated import");
        free(now.p);
    }
    cr_assert_gt(failed, an / 2, "most cuts are malformed");
    /* The whole file imports. */
    regdb_close(d);
    d = fresh();
    cr_assert_eq(regdb_import(d, a, an, NULL), 0);
    free(base.p);
    free(a);
    regdb_close(d);
}
