/*
 * test_strsafe.c: <ntstrsafe.h>: the Cch and Cb families (W and A), their
 * Ex flags and out-parameters, and the UNICODE_STRING functions, at the
 * boundary sizes (0, 1, one short, exact) and with NULL pointers.
 */
#include "tests/krtl/tk.h"

#include <stdlib.h>
#include <string.h>

TestSuite(krtl_strsafe, .init = tk_setup, .fini = tk_teardown);

#define DE16 ((WCHAR)0xdede)
#define BAD_PTR ((void *)(uintptr_t)0xdeadbeef)
#define BAD_SIZE ((size_t)0xdeadbeef)

static void wfill(WCHAR *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] = DE16;
}

/* ======================================================================== copy */

Test(krtl_strsafe, cch_copy_w_boundaries)
{
    WCHAR d[8];
    wfill(d, 8);
    cr_expect_eq(RtlStringCchCopyW(d, 0, L"abc"), STATUS_INVALID_PARAMETER);
    cr_expect_eq(d[0], DE16, "cchDest 0: nothing written");
    cr_expect_eq(RtlStringCchCopyW(d, (size_t)NTSTRSAFE_MAX_CCH + 1, L"abc"), STATUS_INVALID_PARAMETER);
    cr_expect_eq(d[0], 0, "too large: emptied");

    wfill(d, 8);
    cr_expect_eq(RtlStringCchCopyW(d, 1, L"abc"), STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(d[0], 0);
    cr_expect_eq(d[1], DE16);
    wfill(d, 8);
    cr_expect_eq(RtlStringCchCopyW(d, 1, L""), STATUS_SUCCESS);
    cr_expect_eq(d[0], 0);
    wfill(d, 8);
    cr_expect_eq(RtlStringCchCopyW(d, 3, L"abc"), STATUS_BUFFER_OVERFLOW, "one short");
    cr_expect(tk_weq(d, L"ab\0", 3));
    cr_expect_eq(d[3], DE16);
    wfill(d, 8);
    cr_expect_eq(RtlStringCchCopyW(d, 4, L"abc"), STATUS_SUCCESS, "exact");
    cr_expect(tk_weq(d, L"abc\0", 4));
    cr_expect_eq(d[4], DE16);

    wfill(d, 8);
    cr_expect_eq(RtlStringCchCopyW(d, 8, NULL), STATUS_INVALID_PARAMETER);
    cr_expect_eq(d[0], 0, "a NULL source empties the destination");
    cr_expect_eq(RtlStringCchCopyW(NULL, 8, L"abc"), STATUS_INVALID_PARAMETER);
}

Test(krtl_strsafe, cch_copy_a_and_cb_boundaries)
{
    char a[8];
    memset(a, 0xde, sizeof a);
    cr_expect_eq(RtlStringCchCopyA(a, 3, "abc"), STATUS_BUFFER_OVERFLOW);
    cr_expect(!memcmp(a, "ab\0\xde", 4));
    cr_expect_eq(RtlStringCchCopyA(a, 4, "abc"), STATUS_SUCCESS);
    cr_expect_str_eq(a, "abc");
    cr_expect_eq(RtlStringCbCopyA(a, 0, "x"), STATUS_INVALID_PARAMETER);

    WCHAR w[8];
    wfill(w, 8);
    cr_expect_eq(RtlStringCbCopyW(w, 1, L"abc"), STATUS_INVALID_PARAMETER, "one byte holds no WCHAR");
    cr_expect_eq(w[0], DE16);
    cr_expect_eq(RtlStringCbCopyW(w, 7, L"abc"), STATUS_BUFFER_OVERFLOW, "7 bytes: 3 characters");
    cr_expect(tk_weq(w, L"ab\0", 3));
    cr_expect_eq(w[3], DE16, "the odd byte is not written");
    cr_expect_eq(RtlStringCbCopyW(w, 8, L"abc"), STATUS_SUCCESS);
    cr_expect(tk_wstreq(w, L"abc"));
}

Test(krtl_strsafe, copy_n)
{
    WCHAR d[8];
    wfill(d, 8);
    static const WCHAR unterminated[3] = {L'x', L'y', L'z'};
    cr_expect_eq(RtlStringCchCopyNW(d, 8, unterminated, 3), STATUS_SUCCESS, "reads at most cchToCopy");
    cr_expect(tk_wstreq(d, L"xyz"));
    cr_expect_eq(RtlStringCchCopyNW(d, 8, L"abcdef", 2), STATUS_SUCCESS);
    cr_expect(tk_wstreq(d, L"ab"));
    cr_expect_eq(RtlStringCchCopyNW(d, 8, L"abcdef", 0), STATUS_SUCCESS);
    cr_expect_eq(d[0], 0);
    cr_expect_eq(RtlStringCchCopyNW(d, 3, L"abcdef", 4), STATUS_BUFFER_OVERFLOW);
    cr_expect(tk_wstreq(d, L"ab"));
    wfill(d, 8);
    cr_expect_eq(RtlStringCchCopyNW(d, 8, L"abc", (size_t)NTSTRSAFE_MAX_CCH), STATUS_INVALID_PARAMETER);
    cr_expect_eq(d[0], 0);
    char a[4];
    cr_expect_eq(RtlStringCbCopyNA(a, 4, "abcdef", 3), STATUS_SUCCESS);
    cr_expect_str_eq(a, "abc");
    cr_expect_eq(RtlStringCbCopyNW(d, 16, L"abcdef", 5), STATUS_SUCCESS, "5 bytes: 2 characters");
    cr_expect(tk_wstreq(d, L"ab"));
}

/* ======================================================================== cat */

Test(krtl_strsafe, cat_boundaries)
{
    WCHAR d[8] = L"ab";
    cr_expect_eq(RtlStringCchCatW(d, 5, L"cd"), STATUS_SUCCESS, "exact");
    cr_expect(tk_wstreq(d, L"abcd"));
    cr_expect_eq(RtlStringCchCatW(d, 5, L""), STATUS_SUCCESS);
    cr_expect_eq(RtlStringCchCatW(d, 5, L"e"), STATUS_BUFFER_OVERFLOW, "full");
    cr_expect(tk_wstreq(d, L"abcd"));
    WCHAR e[8] = L"ab";
    cr_expect_eq(RtlStringCchCatW(e, 5, L"cde"), STATUS_BUFFER_OVERFLOW, "one short");
    cr_expect(tk_wstreq(e, L"abcd"));
    WCHAR u[4] = {L'a', L'b', L'c', L'd'};
    cr_expect_eq(RtlStringCchCatW(u, 4, L"x"), STATUS_INVALID_PARAMETER, "not terminated within cchDest");
    cr_expect(tk_weq(u, L"abcd", 4), "untouched");
    cr_expect_eq(RtlStringCchCatW(d, 0, L"x"), STATUS_INVALID_PARAMETER);
    cr_expect_eq(RtlStringCchCatW(d, 8, NULL), STATUS_INVALID_PARAMETER);
    cr_expect(tk_wstreq(d, L"abcd"), "Cat does not empty on failure");
    char a[6] = "ab";
    cr_expect_eq(RtlStringCbCatA(a, 6, "cde"), STATUS_SUCCESS);
    cr_expect_str_eq(a, "abcde");
    char b[6] = "ab";
    cr_expect_eq(RtlStringCchCatNA(b, 6, "cdefgh", 2), STATUS_SUCCESS);
    cr_expect_str_eq(b, "abcd");
    WCHAR c[6] = L"ab";
    cr_expect_eq(RtlStringCbCatNW(c, 12, L"cdefgh", 4), STATUS_SUCCESS);
    cr_expect(tk_wstreq(c, L"abcd"));
    cr_expect_eq(RtlStringCbCatW(c, 12, L"xyz"), STATUS_BUFFER_OVERFLOW);
    cr_expect(tk_wstreq(c, L"abcdx"));
}

/* ======================================================================== printf */

Test(krtl_strsafe, printf_boundaries)
{
    WCHAR d[8];
    wfill(d, 8);
    cr_expect_eq(RtlStringCchPrintfW(d, 6, L"%s", L"hello"), STATUS_SUCCESS, "exact");
    cr_expect(tk_weq(d, L"hello\0", 6));
    cr_expect_eq(d[6], DE16);
    cr_expect_eq(RtlStringCchPrintfW(d, 5, L"%s", L"hello"), STATUS_BUFFER_OVERFLOW, "one short");
    cr_expect(tk_wstreq(d, L"hell"));
    cr_expect_eq(RtlStringCchPrintfW(d, 1, L"%d", 5), STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(d[0], 0);
    cr_expect_eq(RtlStringCchPrintfW(d, 1, L""), STATUS_SUCCESS);
    wfill(d, 8);
    cr_expect_eq(RtlStringCchPrintfW(d, 0, L"x"), STATUS_INVALID_PARAMETER);
    cr_expect_eq(d[0], DE16);
    cr_expect_eq(RtlStringCchPrintfW(d, 8, NULL), STATUS_INVALID_PARAMETER);
    cr_expect_eq(d[0], 0);
    char a[8];
    cr_expect_eq(RtlStringCbPrintfA(a, 8, "%d-%s", 12, "abcde"), STATUS_BUFFER_OVERFLOW);
    cr_expect_str_eq(a, "12-abcd");
    cr_expect_eq(RtlStringCbPrintfA(a, 8, "%d-%s", 12, "abcd"), STATUS_SUCCESS, "exact");
    cr_expect_str_eq(a, "12-abcd");
    cr_expect_eq(RtlStringCbPrintfW(d, 16, L"%I64u", 1234567ull), STATUS_SUCCESS);
    cr_expect(tk_wstreq(d, L"1234567"));
    cr_expect_eq(RtlStringCbPrintfW(d, 15, L"%I64u", 12345678ull), STATUS_BUFFER_OVERFLOW, "15 bytes: 7 chars");
    cr_expect(tk_wstreq(d, L"123456"));
}

static NTSTATUS vprint_w(WCHAR *d, size_t cch, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    NTSTATUS st = RtlStringCchVPrintfW(d, cch, fmt, ap);
    va_end(ap);
    return st;
}

static NTSTATUS vprint_a_ex(char *d, size_t cb, char **end, size_t *rem, ULONG flags, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    NTSTATUS st = RtlStringCbVPrintfExA(d, cb, end, rem, flags, fmt, ap);
    va_end(ap);
    return st;
}

Test(krtl_strsafe, vprintf_forms)
{
    WCHAR d[8];
    cr_expect_eq(vprint_w(d, 8, L"%ws:%u", L"a", 7u), STATUS_SUCCESS);
    cr_expect(tk_wstreq(d, L"a:7"));
    char a[8], *end = BAD_PTR;
    size_t rem = BAD_SIZE;
    cr_expect_eq(vprint_a_ex(a, 8, &end, &rem, 0, "%s", "abc"), STATUS_SUCCESS);
    cr_expect_eq(end, a + 3);
    cr_expect_eq(rem, 5);
}

/* ======================================================================== length */

Test(krtl_strsafe, length)
{
    size_t n = BAD_SIZE;
    cr_expect_eq(RtlStringCchLengthW(L"abc", 4, &n), STATUS_SUCCESS);
    cr_expect_eq(n, 3);
    n = BAD_SIZE;
    cr_expect_eq(RtlStringCchLengthW(L"abc", 3, &n), STATUS_INVALID_PARAMETER, "no terminator within cchMax");
    cr_expect_eq(n, 0);
    n = BAD_SIZE;
    cr_expect_eq(RtlStringCchLengthW(L"abc", 0, &n), STATUS_INVALID_PARAMETER);
    cr_expect_eq(n, 0);
    n = BAD_SIZE;
    cr_expect_eq(RtlStringCchLengthW(NULL, 4, &n), STATUS_INVALID_PARAMETER);
    cr_expect_eq(n, 0);
    cr_expect_eq(RtlStringCchLengthA("abc", (size_t)NTSTRSAFE_MAX_CCH + 1, &n), STATUS_INVALID_PARAMETER);
    cr_expect_eq(RtlStringCchLengthA("abc", 4, NULL), STATUS_SUCCESS);
    cr_expect_eq(RtlStringCbLengthW(L"abc", 8, &n), STATUS_SUCCESS);
    cr_expect_eq(n, 6, "bytes");
    n = BAD_SIZE;
    cr_expect_eq(RtlStringCbLengthW(L"abc", 7, &n), STATUS_INVALID_PARAMETER);
    cr_expect_eq(n, 0);
    cr_expect_eq(RtlStringCbLengthA("", 1, &n), STATUS_SUCCESS);
    cr_expect_eq(n, 0);
}

/* ======================================================================== Ex */

Test(krtl_strsafe, ex_out_parameters)
{
    WCHAR d[10];
    WCHAR *end = BAD_PTR;
    size_t rem = BAD_SIZE;
    cr_expect_eq(RtlStringCchCopyExW(d, 10, L"abc", &end, &rem, 0), STATUS_SUCCESS);
    cr_expect_eq(end, d + 3, "at the terminator");
    cr_expect_eq(rem, 7, "including the terminator's slot");
    cr_expect_eq(RtlStringCchCopyExW(d, 3, L"abc", &end, &rem, 0), STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(end, d + 2);
    cr_expect_eq(rem, 1);
    end = BAD_PTR;
    rem = BAD_SIZE;
    cr_expect_eq(RtlStringCchCopyExW(d, 0, L"abc", &end, &rem, 0), STATUS_INVALID_PARAMETER);
    cr_expect_eq(end, BAD_PTR, "untouched on other failures");
    cr_expect_eq(rem, BAD_SIZE);
    cr_expect_eq(RtlStringCchCatExW(d, 10, L"de", &end, &rem, 0), STATUS_SUCCESS);
    cr_expect(tk_wstreq(d, L"abde"));
    cr_expect_eq(end, d + 4);
    cr_expect_eq(rem, 6);
    cr_expect_eq(RtlStringCchPrintfExW(d, 10, &end, &rem, 0, L"%d", 12345), STATUS_SUCCESS);
    cr_expect_eq(end, d + 5);
    cr_expect_eq(rem, 5);
    size_t cb = BAD_SIZE;
    cr_expect_eq(RtlStringCbCopyExW(d, 9, L"ab", &end, &cb, 0), STATUS_SUCCESS);
    cr_expect_eq(cb, 5, "2 characters left plus the odd byte");
    cr_expect_eq(RtlStringCbCatNExA((char *)d, 5, "xyz", 2, NULL, &cb, 0), STATUS_SUCCESS);
    cr_expect_eq(cb, 2);
}

Test(krtl_strsafe, ex_ignore_nulls)
{
    WCHAR *end = BAD_PTR;
    size_t rem = BAD_SIZE;
    cr_expect_eq(RtlStringCchCopyExW(NULL, 0, L"", &end, &rem, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
    cr_expect_null(end);
    cr_expect_eq(rem, 0);
    cr_expect_eq(RtlStringCchCopyExW(NULL, 0, L"x", &end, &rem, STRSAFE_IGNORE_NULLS), STATUS_INVALID_PARAMETER);
    cr_expect_eq(RtlStringCchCopyExW(NULL, 4, L"x", NULL, NULL, STRSAFE_IGNORE_NULLS), STATUS_INVALID_PARAMETER);
    WCHAR d[4];
    wfill(d, 4);
    cr_expect_eq(RtlStringCchCopyExW(d, 4, NULL, &end, &rem, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
    cr_expect_eq(d[0], 0);
    cr_expect_eq(rem, 4);
    cr_expect_eq(RtlStringCchCopyExW(d, 4, NULL, NULL, NULL, 0), STATUS_INVALID_PARAMETER);
    cr_expect_eq(RtlStringCchCopyExW(d, 0, L"", NULL, NULL, 0), STATUS_INVALID_PARAMETER, "0 only with IGNORE_NULLS");
    char a[4] = "ab";
    cr_expect_eq(RtlStringCchPrintfExA(a, 4, NULL, NULL, STRSAFE_IGNORE_NULLS, NULL), STATUS_SUCCESS);
    cr_expect_str_eq(a, "");
    cr_expect_eq(RtlStringCchCatExA(a, 4, NULL, NULL, NULL, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
    char b[2] = "x";
    cr_expect_eq(RtlStringCchCatExA(b, 0, "y", NULL, NULL, STRSAFE_IGNORE_NULLS), STATUS_BUFFER_OVERFLOW);
}

Test(krtl_strsafe, ex_fill_behind_null)
{
    WCHAR d[6];
    wfill(d, 6);
    cr_expect_eq(RtlStringCchCopyExW(d, 6, L"abc", NULL, NULL, STRSAFE_FILL_BYTE(0xAB)), STATUS_SUCCESS);
    cr_expect(tk_weq(d, L"abc", 4));
    cr_expect_eq(d[4], 0xABAB);
    cr_expect_eq(d[5], 0xABAB);
    unsigned char b[7];
    memset(b, 0xde, sizeof b);
    cr_expect_eq(RtlStringCbCopyExW((WCHAR *)b, 7, L"a", NULL, NULL, STRSAFE_FILL_BYTE(0x11)), STATUS_SUCCESS);
    cr_expect_eq(b[4], 0x11);
    cr_expect_eq(b[6], 0x11, "the odd byte too");
    char a[5];
    memset(a, 0xde, sizeof a);
    cr_expect_eq(RtlStringCchCopyExA(a, 5, "abcd", NULL, NULL, STRSAFE_FILL_BYTE('z')), STATUS_SUCCESS);
    cr_expect(!memcmp(a, "abcd", 5), "nothing behind an exact fit");
    cr_expect_eq(RtlStringCchCopyExA(a, 5, "abcdef", NULL, NULL, STRSAFE_FILL_BYTE('z')), STATUS_BUFFER_OVERFLOW);
    cr_expect_str_eq(a, "abcd", "not on failure");
}

Test(krtl_strsafe, ex_failure_flags)
{
    char a[6];
    char *end = BAD_PTR;
    size_t rem = BAD_SIZE;
    cr_expect_eq(RtlStringCchCopyExA(a, 6, "abcdefgh", &end, &rem, STRSAFE_FAILURE_BYTE('x')),
                 STATUS_BUFFER_OVERFLOW);
    cr_expect(!memcmp(a, "xxxxx", 6), "filled, then terminated");
    cr_expect_eq(end, a + 5);
    cr_expect_eq(rem, 1);
    cr_expect_eq(RtlStringCchCopyExA(a, 6, "abcdefgh", &end, &rem, STRSAFE_FILL_ON_FAILURE), STATUS_BUFFER_OVERFLOW);
    cr_expect(!memcmp(a, "\0\0\0\0\0\0", 6), "fill byte 0");
    cr_expect_eq(end, a);
    cr_expect_eq(rem, 6);
    memcpy(a, "zzzzz", 6);
    cr_expect_eq(RtlStringCchCopyExA(a, 6, "abcdefgh", &end, &rem, STRSAFE_NULL_ON_FAILURE), STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(a[0], 0);
    cr_expect_eq(end, a);
    cr_expect_eq(rem, 6);
    cr_expect_eq(RtlStringCchCopyExA(a, 6, "abcdefgh", &end, &rem, STRSAFE_NO_TRUNCATION), STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(a[0], 0, "a copy that would truncate leaves an empty string");

    char c[6] = "ab";
    cr_expect_eq(RtlStringCchCatExA(c, 6, "cdefg", &end, &rem, STRSAFE_NO_TRUNCATION), STATUS_BUFFER_OVERFLOW);
    cr_expect_str_eq(c, "ab", "the original string stays");
    cr_expect_eq(end, c + 2);
    cr_expect_eq(rem, 4);
    cr_expect_eq(RtlStringCchCatExA(c, 6, "cdefg", &end, &rem, STRSAFE_NULL_ON_FAILURE), STATUS_BUFFER_OVERFLOW);
    cr_expect_str_eq(c, "");
    cr_expect_eq(RtlStringCchPrintfExA(c, 6, &end, &rem, STRSAFE_NO_TRUNCATION, "%s", "toolong"),
                 STATUS_BUFFER_OVERFLOW);
    cr_expect_str_eq(c, "");
}

Test(krtl_strsafe, ex_invalid_flags)
{
    char a[4] = "ab";
    cr_expect_eq(RtlStringCchCopyExA(a, 4, "x", NULL, NULL, 0x10000), STATUS_INVALID_PARAMETER);
    cr_expect_eq(a[0], 0, "copy empties");
    char c[4] = "ab";
    cr_expect_eq(RtlStringCchCatExA(c, 4, "x", NULL, NULL, 0x10000), STATUS_INVALID_PARAMETER);
    cr_expect_str_eq(c, "ab", "cat keeps");
}

/* ======================================================================== UNICODE_STRING */

Test(krtl_strsafe, unicode_string_init_and_validate)
{
    UNICODE_STRING u;
    tk_fill(&u, sizeof u);
    cr_expect_eq(RtlUnicodeStringInit(&u, L"abc"), STATUS_SUCCESS);
    cr_expect_eq(u.Length, 6);
    cr_expect_eq(u.MaximumLength, 8);
    cr_expect_eq(RtlUnicodeStringInit(&u, NULL), STATUS_SUCCESS);
    cr_expect_eq(u.Length, 0);
    cr_expect_eq(u.MaximumLength, 0);
    cr_expect_null(u.Buffer);
    cr_expect_eq(RtlUnicodeStringInit(NULL, L"abc"), STATUS_INVALID_PARAMETER);
    cr_expect_eq(RtlUnicodeStringInitEx(NULL, NULL, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
    cr_expect_eq(RtlUnicodeStringInitEx(&u, L"a", STRSAFE_NO_TRUNCATION), STATUS_INVALID_PARAMETER);
    WCHAR *big = malloc((32768) * sizeof(WCHAR));
    for (int i = 0; i < 32767; i++)
        big[i] = L'x';
    big[32767] = 0;
    tk_fill(&u, sizeof u);
    cr_expect_eq(RtlUnicodeStringInit(&u, big), STATUS_INVALID_PARAMETER, "32767 characters");
    cr_expect_eq(u.Length, 0, "emptied");
    cr_expect_null(u.Buffer);
    big[32766] = 0;
    cr_expect_eq(RtlUnicodeStringInit(&u, big), STATUS_SUCCESS, "32766 characters");
    cr_expect_eq(u.Length, 65532);
    cr_expect_eq(u.MaximumLength, 65534);
    free(big);

    static const struct {
        USHORT len, max;
        int null_buf;
        NTSTATUS st;
    } v[] = {
        {0, 0, 1, STATUS_SUCCESS},           {2, 4, 0, STATUS_SUCCESS},          {4, 4, 0, STATUS_SUCCESS},
        {3, 4, 0, STATUS_INVALID_PARAMETER}, {2, 5, 0, STATUS_INVALID_PARAMETER}, {6, 4, 0, STATUS_INVALID_PARAMETER},
        {0, 2, 1, STATUS_INVALID_PARAMETER}, {0, 65534, 0, STATUS_SUCCESS},
    };
    WCHAR buf[4];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        UNICODE_STRING s = {v[i].len, v[i].max, v[i].null_buf ? NULL : buf};
        cr_expect_eq(RtlUnicodeStringValidate(&s), v[i].st, "case %zu", i);
    }
    cr_expect_eq(RtlUnicodeStringValidate(NULL), STATUS_INVALID_PARAMETER);
    cr_expect_eq(RtlUnicodeStringValidateEx(NULL, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
}

Test(krtl_strsafe, unicode_string_copy)
{
    WCHAR buf[6];
    wfill(buf, 6);
    UNICODE_STRING d = {0, 10, buf};
    UNICODE_STRING s = RTL_CONSTANT_STRING(L"abc");
    cr_expect_eq(RtlUnicodeStringCopy(&d, &s), STATUS_SUCCESS);
    cr_expect_eq(d.Length, 6);
    cr_expect(tk_weq(buf, L"abc", 3));
    cr_expect_eq(buf[3], DE16, "counted: no terminator");
    UNICODE_STRING s5 = RTL_CONSTANT_STRING(L"abcde"), s6 = RTL_CONSTANT_STRING(L"uvwxyz");
    cr_expect_eq(RtlUnicodeStringCopy(&d, &s5), STATUS_SUCCESS, "exact");
    cr_expect_eq(d.Length, 10);
    cr_expect_eq(RtlUnicodeStringCopy(&d, &s6), STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(d.Length, 10);
    cr_expect(tk_weq(buf, L"uvwxy", 5));
    cr_expect_eq(buf[5], DE16);
    UNICODE_STRING bad = {3, 10, buf};
    cr_expect_eq(RtlUnicodeStringCopy(&bad, &s), STATUS_INVALID_PARAMETER, "odd Length");
    cr_expect_eq(bad.Length, 3);
    UNICODE_STRING empty = {0, 0, NULL};
    cr_expect_eq(RtlUnicodeStringCopy(&empty, &s), STATUS_INVALID_PARAMETER, "no buffer to overflow");
    UNICODE_STRING nothing = {0, 0, NULL};
    cr_expect_eq(RtlUnicodeStringCopy(&empty, &nothing), STATUS_SUCCESS);
    cr_expect_eq(RtlUnicodeStringCopy(NULL, &s), STATUS_INVALID_PARAMETER);
    cr_expect_eq(RtlUnicodeStringCopy(&d, NULL), STATUS_INVALID_PARAMETER);
    d.MaximumLength = 4;
    cr_expect_eq(RtlUnicodeStringCopyString(&d, L"xy"), STATUS_INVALID_PARAMETER, "Length > MaximumLength");
    d.Length = 0;
    cr_expect_eq(RtlUnicodeStringCopyString(&d, L"xy"), STATUS_SUCCESS);
    cr_expect_eq(d.Length, 4);
    cr_expect_eq(RtlUnicodeStringCopyString(&d, L"xyz"), STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(d.Length, 4);
    cr_expect_eq(RtlUnicodeStringCopyString(&d, NULL), STATUS_INVALID_PARAMETER);
    cr_expect_eq(RtlUnicodeStringCopyStringEx(&d, NULL, NULL, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
    cr_expect_eq(d.Length, 0);
}

Test(krtl_strsafe, unicode_string_cat)
{
    WCHAR buf[5] = L"ab";
    UNICODE_STRING d = {4, 10, buf};
    cr_expect_eq(RtlUnicodeStringCatString(&d, L"cde"), STATUS_SUCCESS, "exact");
    cr_expect_eq(d.Length, 10);
    cr_expect(tk_weq(buf, L"abcde", 5));
    cr_expect_eq(RtlUnicodeStringCatString(&d, L""), STATUS_SUCCESS, "full, nothing to add");
    cr_expect_eq(RtlUnicodeStringCatString(&d, L"x"), STATUS_BUFFER_OVERFLOW, "full");
    cr_expect_eq(d.Length, 10);
    d.Length = 4;
    UNICODE_STRING s = RTL_CONSTANT_STRING(L"CDEF");
    cr_expect_eq(RtlUnicodeStringCat(&d, &s), STATUS_BUFFER_OVERFLOW, "one short");
    cr_expect_eq(d.Length, 10);
    cr_expect(tk_weq(buf, L"abCDE", 5));

    UNICODE_STRING rem;
    tk_fill(&rem, sizeof rem);
    d.Length = 4;
    cr_expect_eq(RtlUnicodeStringCatEx(&d, &s, &rem, STRSAFE_NO_TRUNCATION), STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(d.Length, 4, "the original length stays");
    cr_expect_eq(rem.Length, 0);
    cr_expect_eq(rem.MaximumLength, 6);
    cr_expect_eq(rem.Buffer, buf + 2);
    cr_expect_eq(RtlUnicodeStringCatEx(&d, &s, &rem, STRSAFE_ZERO_LENGTH_ON_FAILURE), STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(d.Length, 0);
    cr_expect_eq(rem.MaximumLength, 10);
    cr_expect_eq(rem.Buffer, buf);
    UNICODE_STRING two = RTL_CONSTANT_STRING(L"xy");
    cr_expect_eq(RtlUnicodeStringCatEx(&d, &two, &rem, STRSAFE_FILL_BEHIND | 0x41), STATUS_SUCCESS);
    cr_expect_eq(d.Length, 4);
    cr_expect_eq(buf[2], 0x4141);
    cr_expect_eq(buf[4], 0x4141);
    cr_expect_eq(rem.Buffer, buf + 2);
    cr_expect_eq(rem.MaximumLength, 6);
}

Test(krtl_strsafe, unicode_string_printf)
{
    WCHAR buf[11];
    wfill(buf, 11);
    UNICODE_STRING d = {0, 20, buf};
    cr_expect_eq(RtlUnicodeStringPrintf(&d, L"%d-%s", 12, L"ab"), STATUS_SUCCESS);
    cr_expect_eq(d.Length, 10);
    cr_expect(tk_weq(buf, L"12-ab", 6), "terminated when there is room");
    d.MaximumLength = 10;
    wfill(buf, 11);
    cr_expect_eq(RtlUnicodeStringPrintf(&d, L"%d-%s", 12, L"ab"), STATUS_SUCCESS, "exact");
    cr_expect_eq(d.Length, 10);
    cr_expect_eq(buf[5], DE16, "no terminator needed");
    d.MaximumLength = 8;
    d.Length = 0;
    cr_expect_eq(RtlUnicodeStringPrintf(&d, L"%d-%s", 12, L"ab"), STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(d.Length, 8);
    cr_expect(tk_weq(buf, L"12-a", 4));
    UNICODE_STRING rem;
    d.MaximumLength = 20;
    cr_expect_eq(RtlUnicodeStringPrintfEx(&d, &rem, 0, L"%wZ", &(UNICODE_STRING){4, 4, L"hi"}), STATUS_SUCCESS);
    cr_expect_eq(d.Length, 4);
    cr_expect_eq(rem.Buffer, buf + 2);
    cr_expect_eq(rem.MaximumLength, 16);
    cr_expect_eq(RtlUnicodeStringPrintf(&d, NULL), STATUS_INVALID_PARAMETER);
    cr_expect_eq(RtlUnicodeStringPrintfEx(&d, NULL, STRSAFE_IGNORE_NULLS, NULL), STATUS_SUCCESS);
    cr_expect_eq(d.Length, 0);
    UNICODE_STRING z = {0, 0, NULL};
    cr_expect_eq(RtlUnicodeStringPrintf(&z, L"x"), STATUS_INVALID_PARAMETER);
    cr_expect_eq(RtlUnicodeStringPrintf(&z, L""), STATUS_SUCCESS);
}
