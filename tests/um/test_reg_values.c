/*
 * test_reg_values.c: advapi32 values and key information (RegQueryValueExW,
 * RegSetValueExW, RegSetKeyValueW, RegDeleteValueW, RegDeleteKeyValueW,
 * RegGetValueW, RegEnumValueW, RegEnumKeyExW, RegQueryInfoKeyW): exact
 * Win32 errors, buffer-size boundaries, which outputs are written and
 * which stay untouched (Wine's advapi32 registry tests, run on Windows).
 */
#include "tests/um/um.h"

static HKEY key;

static void setup(void)
{
    um_setup();
    cr_assert_eq(RegCreateKeyExW(HKEY_CURRENT_USER, L"Software\\Wine\\Test", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &key,
                                 NULL),
                 ERROR_SUCCESS);
}

static void teardown(void)
{
    RegCloseKey(key);
    um_teardown();
}

TestSuite(um_regval, .init = setup, .fini = teardown);

static void set(const WCHAR *name, DWORD type, const void *data, DWORD len)
{
    cr_assert_eq(RegSetValueExW(key, name, 0, type, data, len), ERROR_SUCCESS);
}

Test(um_regval, query_sizes_and_untouched_buffers)
{
    static const WCHAR str[] = L"ThisNeverBreaks";
    set(L"s", REG_SZ, str, sizeof str);
    DWORD type = UM_DEAD, len = UM_DEAD;
    cr_assert_eq(RegQueryValueExW(key, L"s", NULL, &type, NULL, &len), ERROR_SUCCESS);
    cr_assert_eq(type, REG_SZ);
    cr_assert_eq(len, sizeof str);
    /* One byte short: ERROR_MORE_DATA, the size needed, the buffer untouched. */
    BYTE buf[64];
    memset(buf, UM_FILL, sizeof buf);
    type = UM_DEAD;
    len = sizeof str - 1;
    cr_assert_eq(RegQueryValueExW(key, L"s", NULL, &type, buf, &len), ERROR_MORE_DATA);
    cr_assert_eq(len, sizeof str);
    cr_assert_eq(type, REG_SZ);
    for (size_t i = 0; i < sizeof buf; i++)
        cr_assert_eq(buf[i], UM_FILL);
    /* Exactly the size: copied, nothing after it written. */
    len = sizeof str;
    cr_assert_eq(RegQueryValueExW(key, L"s", NULL, NULL, buf, &len), ERROR_SUCCESS);
    cr_assert_eq(len, sizeof str);
    cr_assert(!memcmp(buf, str, sizeof str));
    cr_assert_eq(buf[sizeof str], UM_FILL);
    /* Zero-sized buffer with data pointer. */
    len = 0;
    cr_assert_eq(RegQueryValueExW(key, L"s", NULL, NULL, buf, &len), ERROR_MORE_DATA);
    cr_assert_eq(len, sizeof str);
}

/* Values larger than any internal buffer: the same contract. */
Test(um_regval, query_large_values)
{
    static BYTE big[5000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (BYTE)(i * 7 + 1);
    set(L"big", REG_BINARY, big, sizeof big);
    static BYTE buf[6000];
    DWORD len = sizeof big - 1, type = UM_DEAD;
    memset(buf, UM_FILL, sizeof buf);
    cr_assert_eq(RegQueryValueExW(key, L"big", NULL, &type, buf, &len), ERROR_MORE_DATA);
    cr_assert_eq(len, sizeof big);
    cr_assert_eq(type, REG_BINARY);
    for (size_t i = 0; i < sizeof buf; i++)
        cr_assert_eq(buf[i], UM_FILL, "byte %zu written", i);
    len = sizeof big;
    cr_assert_eq(RegQueryValueExW(key, L"big", NULL, &type, buf, &len), ERROR_SUCCESS);
    cr_assert_eq(len, sizeof big);
    cr_assert_eq(memcmp(buf, big, sizeof big), 0);
    cr_assert_eq(buf[sizeof big], UM_FILL);
    /* A long string gets its terminator when there is room. */
    static WCHAR s[400];
    for (size_t i = 0; i < 400; i++)
        s[i] = 'a' + i % 26;
    set(L"long", REG_SZ, s, 399 * 2); /* stored without a NUL (the next unit is none) */
    memset(buf, UM_FILL, sizeof buf);
    len = sizeof buf;
    cr_assert_eq(RegQueryValueExW(key, L"long", NULL, &type, buf, &len), ERROR_SUCCESS);
    cr_assert_eq(len, 399 * 2);
    cr_assert_eq(memcmp(buf, s, 399 * 2), 0);
    cr_assert_eq(((WCHAR *)buf)[399], 0);
}

Test(um_regval, query_argument_errors)
{
    DWORD v = 5, len = 4, reserved = 0;
    set(L"d", REG_DWORD, &v, 4);
    BYTE buf[8];
    cr_assert_eq(RegQueryValueExW(key, L"d", NULL, NULL, buf, NULL), ERROR_INVALID_PARAMETER);
    cr_assert_eq(RegQueryValueExW(key, L"d", &reserved, NULL, buf, &len), ERROR_INVALID_PARAMETER);
    len = UM_DEAD;
    cr_assert_eq(RegQueryValueExW(NULL, L"d", NULL, NULL, NULL, &len), ERROR_INVALID_HANDLE);
    cr_assert_eq(len, UM_DEAD, "a NULL key is refused before the size is touched");
    /* A missing value: the size is 0 when no buffer was given, untouched otherwise. */
    len = UM_DEAD;
    cr_assert_eq(RegQueryValueExW(key, L"Nonexistent Value", NULL, NULL, NULL, &len), ERROR_FILE_NOT_FOUND);
    cr_assert_eq(len, 0);
    len = sizeof buf;
    cr_assert_eq(RegQueryValueExW(key, L"Nonexistent Value", NULL, NULL, buf, &len), ERROR_FILE_NOT_FOUND);
    cr_assert_eq(len, sizeof buf);
    /* The same DWORD may be both the type and the size (Wine's test_query_value_ex). */
    len = 4;
    cr_assert_eq(RegQueryValueExW(key, L"d", NULL, &len, buf, &len), ERROR_SUCCESS);
}

Test(um_regval, strings_get_a_terminator_when_there_is_room)
{
    static const WCHAR full[] = L"FullString";
    /* Set without the terminator (the next unit is one): NT counts it in. */
    set(L"a", REG_SZ, full, sizeof full - 2);
    DWORD len = 0;
    cr_assert_eq(RegQueryValueExW(key, L"a", NULL, NULL, NULL, &len), ERROR_SUCCESS);
    cr_assert_eq(len, sizeof full);
    /* Stored without one: queried as stored, and a NUL is appended when two bytes are free. */
    static const WCHAR part[] = L"FullStrinX";
    cr_assert_eq(RegSetValueExW(key, L"b", 0, REG_SZ, (const BYTE *)part, sizeof part - 4), ERROR_SUCCESS);
    BYTE buf[64];
    memset(buf, UM_FILL, sizeof buf);
    len = sizeof part - 4;
    cr_assert_eq(RegQueryValueExW(key, L"b", NULL, NULL, buf, &len), ERROR_SUCCESS);
    cr_assert_eq(len, sizeof part - 4);
    cr_assert_eq(buf[len], UM_FILL, "no room: no terminator");
    memset(buf, UM_FILL, sizeof buf);
    len = sizeof part - 2;
    cr_assert_eq(RegQueryValueExW(key, L"b", NULL, NULL, buf, &len), ERROR_SUCCESS);
    cr_assert_eq(len, sizeof part - 4);
    cr_assert_eq(buf[sizeof part - 4], 0);
    cr_assert_eq(buf[sizeof part - 3], 0);
}

Test(um_regval, set_probes_the_buffer)
{
    cr_assert_eq(RegSetValueExW(key, L"x", 0, REG_SZ, (const BYTE *)1, 1), ERROR_NOACCESS);
    cr_assert_eq(RegSetValueExW(key, L"x", 0, REG_DWORD, (const BYTE *)1, 1), ERROR_NOACCESS);
    cr_assert_eq(RegSetValueExW(key, NULL, 0, REG_SZ, NULL, 4), ERROR_NOACCESS);
    cr_assert_eq(RegSetValueExW(key, NULL, 0, REG_SZ, NULL, 0), ERROR_SUCCESS);
    cr_assert_eq(RegSetValueExW(key, NULL, 0, REG_DWORD, NULL, 0), ERROR_SUCCESS);
    DWORD type = UM_DEAD, len = UM_DEAD;
    cr_assert_eq(RegQueryValueExW(key, NULL, NULL, &type, NULL, &len), ERROR_SUCCESS);
    cr_assert_eq(type, REG_DWORD);
    cr_assert_eq(len, 0);
    cr_assert_eq(RegSetValueExW(NULL, L"x", 0, REG_SZ, NULL, 0), ERROR_INVALID_HANDLE);
}

Test(um_regval, set_key_value_creates_the_subkey)
{
    static const WCHAR s1[] = L"ThisNeverBreaks";
    cr_assert_eq(RegSetKeyValueW(key, NULL, L"n", REG_SZ, s1, sizeof s1), ERROR_SUCCESS);
    DWORD len = 0;
    cr_assert_eq(RegQueryValueExW(key, L"n", NULL, NULL, NULL, &len), ERROR_SUCCESS);
    cr_assert_eq(len, sizeof s1);
    cr_assert_eq(RegSetKeyValueW(key, L"subkey", L"n", REG_SZ, s1, sizeof s1), ERROR_SUCCESS);
    HKEY sub = NULL;
    cr_assert_eq(RegOpenKeyExW(key, L"subkey", 0, KEY_QUERY_VALUE, &sub), ERROR_SUCCESS);
    DWORD type = 0;
    len = 0;
    cr_assert_eq(RegQueryValueExW(sub, L"n", NULL, &type, NULL, &len), ERROR_SUCCESS);
    cr_assert_eq(type, REG_SZ);
    cr_assert_eq(len, sizeof s1);
    RegCloseKey(sub);
    cr_assert_eq(RegSetKeyValueW(key, L"subkey", L"n", REG_SZ, NULL, 0), ERROR_SUCCESS);
    cr_assert_eq(RegSetKeyValueW(key, L"subkey", L"n", REG_SZ, NULL, 4), ERROR_NOACCESS);
    cr_assert_eq(RegSetKeyValueW(NULL, L"subkey", L"n", REG_SZ, NULL, 0), ERROR_INVALID_HANDLE);
}

Test(um_regval, delete_values)
{
    static const WCHAR v[] = L"value";
    set(L"test", REG_SZ, v, sizeof v);
    cr_assert_eq(RegDeleteValueW(key, L"test"), ERROR_SUCCESS);
    cr_assert_eq(RegQueryValueExW(key, L"test", NULL, NULL, NULL, NULL), ERROR_FILE_NOT_FOUND);
    cr_assert_eq(RegDeleteValueW(key, L"test"), ERROR_FILE_NOT_FOUND);
    WCHAR longname[401];
    for (int i = 0; i < 400; i++)
        longname[i] = 'a';
    longname[400] = 0;
    cr_assert_eq(RegDeleteValueW(key, longname), ERROR_FILE_NOT_FOUND);
    set(L"", REG_SZ, v, sizeof v);
    cr_assert_eq(RegDeleteValueW(key, L""), ERROR_SUCCESS);
    cr_assert_eq(RegQueryValueExW(key, L"", NULL, NULL, NULL, NULL), ERROR_FILE_NOT_FOUND);
    /* RegDeleteKeyValueW: NULL key, NULL subkey (the key itself), a real subkey. */
    cr_assert_eq(RegDeleteKeyValueW(NULL, NULL, NULL), ERROR_INVALID_HANDLE);
    cr_assert_eq(RegDeleteKeyValueW(key, NULL, NULL), ERROR_FILE_NOT_FOUND);
    set(L"test", REG_SZ, v, sizeof v);
    cr_assert_eq(RegDeleteKeyValueW(key, NULL, L"test"), ERROR_SUCCESS);
    cr_assert_eq(RegSetKeyValueW(key, L"Subkey1", L"test", REG_SZ, v, sizeof v), ERROR_SUCCESS);
    cr_assert_eq(RegDeleteKeyValueW(key, L"Subkey1", L"test"), ERROR_SUCCESS);
    cr_assert_eq(RegDeleteKeyValueW(key, L"Subkey1", L"test"), ERROR_FILE_NOT_FOUND);
    cr_assert_eq(RegDeleteKeyValueW(key, L"NoSuchKey", L"test"), ERROR_FILE_NOT_FOUND);
}

/* The values of Wine's test_get_value, with pnpbox's environment. */
static void get_value_entries(void)
{
    static const DWORD qw[2] = {0x12345678, 0x87654321};
    static const WCHAR tp1[] = L"%SystemRoot%\\subdir1";
    set(L"TP1_EXP_SZ", REG_EXPAND_SZ, tp1, sizeof tp1);
    set(L"TP1_SZ", REG_SZ, tp1, sizeof tp1);
    cr_assert_eq(RegSetValueExW(key, L"TP1_ZB_SZ", 0, REG_SZ, (const BYTE *)L"", 0), ERROR_SUCCESS);
    set(L"DWORD", REG_DWORD, qw, 4);
    set(L"BIN32", REG_BINARY, qw, 4);
    set(L"BIN64", REG_BINARY, qw, 8);
}

Test(um_regval, get_value_filters_and_mismatches)
{
    get_value_entries();
    DWORD type, size, dw, qw[2];
    cr_assert_eq(RegGetValueW(key, NULL, L"DWORD", RRF_RT_REG_DWORD, &type, &dw, NULL), ERROR_INVALID_PARAMETER);
    cr_assert_eq(RegGetValueW(key, NULL, L"DWORD", RRF_RT_ANY | RRF_WOW64_MASK, NULL, NULL, NULL),
                 ERROR_INVALID_PARAMETER);
    size = type = dw = UM_DEAD;
    cr_assert_eq(RegGetValueW(key, NULL, L"DWORD", RRF_RT_REG_DWORD, &type, &dw, &size), ERROR_SUCCESS);
    cr_assert_eq(size, 4);
    cr_assert_eq(type, REG_DWORD);
    cr_assert_eq(dw, 0x12345678);
    /* By subkey name. */
    cr_assert_eq(RegGetValueW(HKEY_CURRENT_USER, L"Software\\Wine\\Test", L"DWORD", RRF_RT_REG_DWORD, NULL, NULL,
                              NULL),
                 ERROR_SUCCESS);
    /* Restricted type: the error, but type, size and data all come back. */
    size = type = dw = UM_DEAD;
    cr_assert_eq(RegGetValueW(key, NULL, L"DWORD", RRF_RT_REG_BINARY, &type, &dw, &size), ERROR_UNSUPPORTED_TYPE);
    cr_assert_eq(size, 4);
    cr_assert_eq(type, REG_DWORD);
    cr_assert_eq(dw, 0x12345678);
    /* RRF_ZEROONFAILURE zeroes the buffer (its whole given size). */
    type = dw = UM_DEAD;
    size = 4;
    cr_assert_eq(RegGetValueW(key, NULL, L"DWORD", RRF_RT_REG_SZ | RRF_ZEROONFAILURE, &type, &dw, &size),
                 ERROR_UNSUPPORTED_TYPE);
    cr_assert_eq(size, 4);
    cr_assert_eq(type, REG_DWORD);
    cr_assert_eq(dw, 0);
    type = size = UM_DEAD;
    cr_assert_eq(RegGetValueW(key, NULL, L"DWORD", RRF_RT_REG_SZ | RRF_ZEROONFAILURE, &type, NULL, &size),
                 ERROR_UNSUPPORTED_TYPE);
    cr_assert_eq(size, 4);
    /* RRF_RT_DWORD takes a 4-byte REG_BINARY, not an 8-byte one. */
    size = type = dw = UM_DEAD;
    cr_assert_eq(RegGetValueW(key, NULL, L"BIN32", RRF_RT_DWORD, &type, &dw, &size), ERROR_SUCCESS);
    cr_assert_eq(type, REG_BINARY);
    cr_assert_eq(dw, 0x12345678);
    qw[0] = qw[1] = size = type = UM_DEAD;
    cr_assert_eq(RegGetValueW(key, NULL, L"BIN64", RRF_RT_DWORD, &type, qw, &size), ERROR_DATATYPE_MISMATCH);
    cr_assert_eq(size, 8);
    cr_assert_eq(type, REG_BINARY);
    cr_assert_eq(qw[0], 0x12345678);
    cr_assert_eq(qw[1], 0x87654321);
    /* Too small: ERROR_MORE_DATA, the buffer untouched. */
    type = dw = UM_DEAD;
    size = 4;
    cr_assert_eq(RegGetValueW(key, NULL, L"BIN64", RRF_RT_REG_BINARY, &type, &dw, &size), ERROR_MORE_DATA);
    cr_assert_eq(dw, UM_DEAD);
    cr_assert_eq(size, 8);
    qw[0] = qw[1] = size = type = UM_DEAD;
    cr_assert_eq(RegGetValueW(key, NULL, L"BIN64", RRF_RT_QWORD, &type, qw, &size), ERROR_SUCCESS);
    cr_assert_eq(size, 8);
    /* A missing value: nothing written, but RRF_ZEROONFAILURE zeroes. */
    type = size = dw = UM_DEAD;
    size = 4;
    cr_assert_eq(RegGetValueW(key, NULL, L"nothing", RRF_RT_ANY | RRF_ZEROONFAILURE, &type, &dw, &size),
                 ERROR_FILE_NOT_FOUND);
    cr_assert_eq(type, UM_DEAD);
    cr_assert_eq(size, 4);
    cr_assert_eq(dw, 0);
    cr_assert_eq(RegGetValueW(key, L"NoSuchSubkey", L"DWORD", RRF_RT_ANY, NULL, NULL, NULL), ERROR_FILE_NOT_FOUND);
}

Test(um_regval, get_value_strings_and_expansion)
{
    get_value_entries();
    WCHAR buf[80];
    DWORD type, size;
    static const WCHAR tp1[] = L"%SystemRoot%\\subdir1";
    static const WCHAR expanded[] = L"C:\\Windows\\subdir1";
    buf[0] = 0;
    type = UM_DEAD;
    size = sizeof buf;
    cr_assert_eq(RegGetValueW(key, NULL, L"TP1_SZ", RRF_RT_REG_SZ, &type, buf, &size), ERROR_SUCCESS);
    cr_assert_eq(size, sizeof tp1);
    cr_assert_eq(type, REG_SZ);
    cr_assert(!memcmp(buf, tp1, sizeof tp1));
    type = UM_DEAD;
    size = 0;
    cr_assert_eq(RegGetValueW(key, NULL, L"TP1_SZ", RRF_RT_REG_SZ, &type, NULL, &size), ERROR_SUCCESS);
    cr_assert_eq(size, sizeof tp1);
    /* A zero-byte REG_SZ comes back terminated. */
    memset(buf, UM_FILL, sizeof buf);
    size = sizeof buf;
    cr_assert_eq(RegGetValueW(key, NULL, L"TP1_ZB_SZ", RRF_RT_REG_SZ, &type, buf, &size), ERROR_SUCCESS);
    cr_assert_eq(size, 2);
    cr_assert_eq(buf[0], 0);
    /* REG_EXPAND_SZ is expanded against the machine's environment and reported as REG_SZ. */
    size = 0;
    cr_assert_eq(RegGetValueW(key, NULL, L"TP1_EXP_SZ", RRF_RT_REG_SZ, NULL, NULL, &size), ERROR_SUCCESS);
    cr_assert_eq(size, sizeof expanded);
    type = UM_DEAD;
    size = sizeof buf;
    cr_assert_eq(RegGetValueW(key, NULL, L"TP1_EXP_SZ", RRF_RT_REG_SZ, &type, buf, &size), ERROR_SUCCESS);
    cr_assert_eq(size, sizeof expanded);
    cr_assert_eq(type, REG_SZ);
    cr_assert(um_weq(buf, "C:\\Windows\\subdir1"), "got '%s'", um_u8s(buf));
    size = sizeof expanded - 2;
    memset(buf, UM_FILL, sizeof buf);
    cr_assert_eq(RegGetValueW(key, NULL, L"TP1_EXP_SZ", RRF_RT_REG_SZ, &type, buf, &size), ERROR_MORE_DATA);
    cr_assert_eq(size, sizeof expanded);
    cr_assert_eq(((BYTE *)buf)[0], UM_FILL);
    /* RRF_NOEXPAND keeps it as it is, with its own type. */
    type = UM_DEAD;
    size = sizeof buf;
    cr_assert_eq(RegGetValueW(key, NULL, L"TP1_EXP_SZ", RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND, &type, buf, &size),
                 ERROR_SUCCESS);
    cr_assert_eq(size, sizeof tp1);
    cr_assert_eq(type, REG_EXPAND_SZ);
    cr_assert(!memcmp(buf, tp1, sizeof tp1));
    cr_assert_eq(RegGetValueW(key, NULL, L"TP1_EXP_SZ", RRF_RT_REG_SZ | RRF_NOEXPAND, NULL, NULL, NULL),
                 ERROR_UNSUPPORTED_TYPE);
    /* RRF_RT_REG_EXPAND_SZ without RRF_NOEXPAND never matches (Windows 8 and later). */
    cr_assert_eq(RegGetValueW(key, NULL, L"TP1_EXP_SZ", RRF_RT_REG_EXPAND_SZ, NULL, NULL, NULL),
                 ERROR_UNSUPPORTED_TYPE);
    type = UM_DEAD;
    size = sizeof buf;
    cr_assert_eq(RegGetValueW(key, NULL, L"TP1_EXP_SZ", RRF_RT_ANY, &type, buf, &size), ERROR_SUCCESS);
    cr_assert_eq(type, REG_SZ);
    cr_assert_eq(size, sizeof expanded);
}

Test(um_regval, enum_value_overflows)
{
    static const WCHAR foobar[] = L"foobar";
    set(L"Test", REG_SZ, foobar, sizeof foobar);
    WCHAR name[20], data[20];
    static const WCHAR xxx[] = L"xxxxxxxx";
    DWORD nlen, dlen, type;
    /* Both too small: nothing written but type and data size. */
    nlen = 2;
    dlen = 2;
    type = 1234;
    memcpy(name, xxx, sizeof xxx);
    memcpy(data, xxx, sizeof xxx);
    cr_assert_eq(RegEnumValueW(key, 0, name, &nlen, NULL, &type, (BYTE *)data, &dlen), ERROR_MORE_DATA);
    cr_assert_eq(nlen, 2);
    cr_assert_eq(dlen, sizeof foobar);
    cr_assert_eq(type, REG_SZ);
    cr_assert(!memcmp(name, xxx, sizeof xxx));
    cr_assert(!memcmp(data, xxx, sizeof xxx));
    /* Name one too small (no room for its NUL). */
    nlen = 4;
    dlen = 20;
    cr_assert_eq(RegEnumValueW(key, 0, name, &nlen, NULL, &type, (BYTE *)data, &dlen), ERROR_MORE_DATA);
    cr_assert_eq(nlen, 4);
    cr_assert(!memcmp(name, xxx, sizeof xxx));
    /* Data too small: the name is written. */
    nlen = 20;
    dlen = 2;
    cr_assert_eq(RegEnumValueW(key, 0, name, &nlen, NULL, &type, (BYTE *)data, &dlen), ERROR_MORE_DATA);
    cr_assert_eq(nlen, 4);
    cr_assert(um_weq(name, "Test"));
    cr_assert_eq(dlen, sizeof foobar);
    cr_assert(!memcmp(data, xxx, sizeof xxx));
    /* Room for all. */
    nlen = 20;
    dlen = 20;
    cr_assert_eq(RegEnumValueW(key, 0, name, &nlen, NULL, &type, (BYTE *)data, &dlen), ERROR_SUCCESS);
    cr_assert_eq(nlen, 4);
    cr_assert_eq(dlen, sizeof foobar);
    cr_assert(!memcmp(data, foobar, sizeof foobar));
    /* Arguments. */
    cr_assert_eq(RegEnumValueW(key, 0, NULL, NULL, NULL, &type, (BYTE *)data, &dlen), ERROR_INVALID_PARAMETER);
    cr_assert_eq(RegEnumValueW(key, 0, NULL, &nlen, NULL, &type, (BYTE *)data, &dlen), ERROR_INVALID_PARAMETER);
    cr_assert_eq(RegEnumValueW(key, 0, name, NULL, NULL, &type, (BYTE *)data, &dlen), ERROR_INVALID_PARAMETER);
    cr_assert_eq(RegEnumValueW(key, 0, name, &nlen, NULL, &type, (BYTE *)data, NULL), ERROR_INVALID_PARAMETER);
    nlen = 20;
    cr_assert_eq(RegEnumValueW(key, 1, name, &nlen, NULL, NULL, NULL, NULL), ERROR_NO_MORE_ITEMS);
}

Test(um_regval, enum_value_keeps_creation_order)
{
    DWORD dw = 0;
    set(L"A", REG_DWORD, &dw, 4);
    set(L"C", REG_DWORD, &dw, 4);
    set(L"D", REG_DWORD, &dw, 4);
    set(L"B", REG_DWORD, &dw, 4);
    const char *expect[] = {"A", "C", "D", "B"};
    for (int i = 0; i < 4; i++) {
        WCHAR n[4];
        DWORD len = 4;
        cr_assert_eq(RegEnumValueW(key, (DWORD)i, n, &len, NULL, NULL, NULL, NULL), ERROR_SUCCESS);
        cr_assert(um_weq(n, expect[i]));
    }
}

Test(um_regval, enum_keys)
{
    HKEY k;
    static WCHAR cls[] = L"subkey class";
    cr_assert_eq(RegCreateKeyExW(key, L"beta", 0, cls, 0, KEY_ALL_ACCESS, NULL, &k, NULL), ERROR_SUCCESS);
    RegCloseKey(k);
    cr_assert_eq(RegCreateKeyExW(key, L"Alpha", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL), ERROR_SUCCESS);
    RegCloseKey(k);
    WCHAR name[32], c[32];
    DWORD nlen = 32, clen = 32;
    FILETIME ft = {UM_DEAD, UM_DEAD};
    cr_assert_eq(RegEnumKeyExW(key, 0, name, &nlen, NULL, NULL, NULL, &ft), ERROR_SUCCESS);
    cr_assert(um_weq(name, "Alpha"), "subkeys enumerate in uppercase order");
    cr_assert_eq(nlen, 5);
    cr_assert(ft.dwHighDateTime != UM_DEAD && ft.dwHighDateTime != 0);
    nlen = 32;
    cr_assert_eq(RegEnumKeyExW(key, 1, name, &nlen, NULL, c, &clen, NULL), ERROR_SUCCESS);
    cr_assert(um_weq(name, "beta"));
    cr_assert_eq(clen, 12);
    cr_assert(um_weq(c, "subkey class"));
    /* Name too small (no room for the NUL): nothing written but the time. */
    memset(name, UM_FILL, sizeof name);
    nlen = 4;
    ft.dwLowDateTime = ft.dwHighDateTime = UM_DEAD;
    cr_assert_eq(RegEnumKeyExW(key, 1, name, &nlen, NULL, NULL, NULL, &ft), ERROR_MORE_DATA);
    cr_assert_eq(nlen, 4);
    cr_assert_eq(((BYTE *)name)[0], UM_FILL);
    cr_assert(ft.dwHighDateTime != UM_DEAD);
    /* Class too small. */
    nlen = 32;
    clen = 12;
    cr_assert_eq(RegEnumKeyExW(key, 1, name, &nlen, NULL, c, &clen, NULL), ERROR_MORE_DATA);
    cr_assert_eq(clen, 12);
    nlen = 32;
    cr_assert_eq(RegEnumKeyExW(key, 2, name, &nlen, NULL, NULL, NULL, NULL), ERROR_NO_MORE_ITEMS);
    DWORD reserved = 0;
    cr_assert_eq(RegEnumKeyExW(key, 0, name, &nlen, &reserved, NULL, NULL, NULL), ERROR_INVALID_PARAMETER);
    cr_assert_eq(RegEnumKeyExW(NULL, 0, name, &nlen, NULL, NULL, NULL, NULL), ERROR_INVALID_HANDLE);
}

Test(um_regval, query_info_counts_and_class)
{
    HKEY sub, subsub;
    static WCHAR cls[] = L"subkey class", subcls[] = L"subsubkey class";
    cr_assert_eq(RegCreateKeyExW(key, L"subkey", 0, cls, 0, KEY_ALL_ACCESS, NULL, &sub, NULL), ERROR_SUCCESS);
    cr_assert_eq(RegQueryInfoKeyW(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                 ERROR_INVALID_HANDLE);
    cr_assert_eq(RegQueryInfoKeyW(sub, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                 ERROR_SUCCESS);
    WCHAR cb[32];
    memset(cb, 0x55, sizeof cb);
    cr_assert_eq(RegQueryInfoKeyW(sub, cb, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                 ERROR_INVALID_PARAMETER);
    cr_assert_eq(cb[0], 0x5555);
    DWORD classlen = 0, subkeys, maxsub, maxcls, values, maxvname, maxval, sdlen;
    FILETIME ft;
    cr_assert_eq(RegQueryInfoKeyW(sub, NULL, &classlen, NULL, &subkeys, &maxsub, &maxcls, &values, &maxvname, &maxval,
                                  &sdlen, &ft),
                 ERROR_SUCCESS);
    cr_assert_eq(classlen, 12);
    cr_assert_eq(subkeys, 0);
    cr_assert_eq(maxsub, 0);
    cr_assert_eq(maxcls, 0);
    cr_assert_eq(values, 0);
    cr_assert_eq(maxvname, 0);
    cr_assert_eq(maxval, 0);
    cr_assert_neq(sdlen, 0);
    cr_assert_neq(ft.dwHighDateTime, 0);
    cr_assert_eq(RegCreateKeyExW(sub, L"subsubkey", 0, subcls, 0, KEY_ALL_ACCESS, NULL, &subsub, NULL),
                 ERROR_SUCCESS);
    static const WCHAR data[] = L"data", second[] = L"second value data";
    cr_assert_eq(RegSetValueExW(sub, NULL, 0, REG_SZ, (const BYTE *)data, sizeof data), ERROR_SUCCESS);
    cr_assert_eq(RegSetValueExW(sub, L"value one", 0, REG_SZ, (const BYTE *)data, sizeof data), ERROR_SUCCESS);
    cr_assert_eq(RegSetValueExW(sub, L"value 2", 0, REG_SZ, (const BYTE *)second, sizeof second), ERROR_SUCCESS);
    cr_assert_eq(RegQueryInfoKeyW(sub, NULL, &classlen, NULL, &subkeys, &maxsub, &maxcls, &values, &maxvname, &maxval,
                                  NULL, NULL),
                 ERROR_SUCCESS);
    cr_assert_eq(subkeys, 1);
    cr_assert_eq(maxsub, 9);
    cr_assert_eq(maxcls, 15);
    cr_assert_eq(values, 3);
    cr_assert_eq(maxvname, 9);
    cr_assert_eq(maxval, sizeof second);
    /* The class buffer at every boundary: 0 (not asked for), 1, exactly the class, large. */
    memset(cb, 0x55, sizeof cb);
    classlen = 0;
    cr_assert_eq(RegQueryInfoKeyW(sub, cb, &classlen, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                 ERROR_SUCCESS);
    cr_assert_eq(classlen, 12);
    cr_assert_eq(cb[0], 0x5555);
    classlen = 1;
    cr_assert_eq(RegQueryInfoKeyW(sub, cb, &classlen, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                 ERROR_MORE_DATA);
    cr_assert_eq(classlen, 12);
    cr_assert_eq(cb[0], 0x5555);
    classlen = 12;
    cr_assert_eq(RegQueryInfoKeyW(sub, cb, &classlen, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                 ERROR_INSUFFICIENT_BUFFER);
    cr_assert_eq(classlen, 12);
    cr_assert_eq(cb[0], 0x5555);
    classlen = 13;
    cr_assert_eq(RegQueryInfoKeyW(sub, cb, &classlen, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                 ERROR_SUCCESS);
    cr_assert_eq(classlen, 12);
    cr_assert(um_weq(cb, "subkey class"));
    cr_assert_eq(cb[13], 0x5555);
    RegCloseKey(subsub);
    RegCloseKey(sub);
}
