/*
 * test_fmt.c: the Windows printf formatter shared by DbgPrint and the
 * ntstrsafe printf family, against a table of conversions: the counted
 * strings (%wZ with odd lengths and NULL buffers, %Z), wide and narrow
 * strings and characters in narrow and wide formats, 32-bit %ld / %lx,
 * %I64d, pointer-sized %Id, %p, flags, width, precision and '*'.
 */
#include "tests/krtl/tk.h"

#include <string.h>

TestSuite(krtl_fmt, .init = tk_setup, .fini = tk_teardown);

/* Narrow output (RtlStringCchPrintfA): wide arguments become Windows-1252. */
#define CHECK_A(want, ...)                                                                                        \
    do {                                                                                                          \
        char buf_[256];                                                                                           \
        memset(buf_, 0xde, sizeof buf_);                                                                          \
        NTSTATUS st_ = RtlStringCchPrintfA(buf_, sizeof buf_, __VA_ARGS__);                                       \
        cr_expect_eq(st_, STATUS_SUCCESS, "%s: status %#x", #__VA_ARGS__, (unsigned)st_);                         \
        cr_expect_str_eq(buf_, want, "%s", #__VA_ARGS__);                                                         \
    } while (0)

/* Wide output (RtlStringCchPrintfW). */
#define CHECK_W(want, ...)                                                                                        \
    do {                                                                                                          \
        WCHAR buf_[256];                                                                                          \
        memset(buf_, 0xde, sizeof buf_);                                                                          \
        NTSTATUS st_ = RtlStringCchPrintfW(buf_, 256, __VA_ARGS__);                                               \
        cr_expect_eq(st_, STATUS_SUCCESS, "%s: status %#x", #__VA_ARGS__, (unsigned)st_);                         \
        cr_expect(tk_wstreq(buf_, want), "%s: got \"%s\"", #__VA_ARGS__, tk_u8(buf_, tk_wlen(buf_)));            \
    } while (0)

Test(krtl_fmt, integers)
{
    CHECK_A("42 -7 4294967295", "%d %i %u", 42, -7, 4294967295u);
    CHECK_A("ff FF 10", "%x %X %o", 255, 255, 8);
    CHECK_A("0xff 0XFF 010 0 0", "%#x %#X %#o %#x %#o", 255, 255, 8, 0, 0);
    CHECK_A("", "%.0d", 0);
    CHECK_A("-2147483648", "%d", (int)0x80000000);
}

Test(krtl_fmt, long_is_32_bits_as_on_windows)
{
    /* LONG and ULONG are 32 bits: %ld / %lx read 32 bits and the next
     * argument still lines up. */
    CHECK_A("-1 5", "%ld %d", (LONG)-1, 5);
    CHECK_A("ffffffff 7", "%lx %d", (ULONG)0xFFFFFFFF, 7);
    CHECK_A("2147483648|x", "%lu|%c", (ULONG)0x80000000, 'x');
    CHECK_W(L"-1 5", L"%ld %d", (LONG)-1, 5);
}

Test(krtl_fmt, sized_integers)
{
    CHECK_A("-5000000000 18446744073709551615", "%I64d %I64u", (LONGLONG)-5000000000LL, 0xFFFFFFFFFFFFFFFFull);
    CHECK_A("123456789ab 123456789AB", "%I64x %I64X", 0x123456789abULL, 0x123456789abULL);
    CHECK_A("-5000000000 5000000000", "%lld %llu", -5000000000LL, 5000000000ULL);
    CHECK_A("-1 4294967296 ffffffffffffffff 8", "%Id %Iu %Ix %zu", (SSIZE_T)-1, (SIZE_T)0x100000000ull,
            (SIZE_T)-1, (size_t)8);
    CHECK_A("-3 9", "%I32d %I32u", -3, 9u);
    CHECK_A("9029 1234 -127 129", "%hd %hx %hhd %hhu", 0x12345, 0xFFFF1234u, 0x181, 0x181);
}

Test(krtl_fmt, pointers)
{
    CHECK_A("0000000000001234", "%p", (void *)0x1234);
    CHECK_A("0000000000000000", "%p", NULL);
    CHECK_A("FFFFF80012345678", "%p", (void *)0xFFFFF80012345678ull);
    CHECK_A("[    000000000000ABCD]", "[%20p]", (void *)0xabcd);
}

Test(krtl_fmt, characters)
{
    CHECK_A("A\xe9Z", "%c%C%wc", 'A', (WCHAR)0xe9, (WCHAR)'Z');
    CHECK_A("q?", "%hc%lc", 'q', (WCHAR)0x4e2d);
    CHECK_W(L"\x4e2d\x00e9q", L"%c%C%hc", (WCHAR)0x4e2d, '\xe9', 'q');
    CHECK_A("  x|y  |", "%3c|%-3c|", 'x', 'y');
}

Test(krtl_fmt, strings_narrow_format)
{
    CHECK_A("abc", "%s", "abc");
    CHECK_A("wide wide wide abc", "%S %ls %ws %hs", L"wide", L"wide", L"wide", "abc");
    CHECK_A("\x80 \xe9 ?", "%ws %ws %ws", L"\x20ac", L"\x00e9", L"\x4e2d");
    CHECK_A("(null) (null) (null)", "%s %ws %S", (char *)NULL, (WCHAR *)NULL, (WCHAR *)NULL);
    CHECK_A("(n", "%.2s", (char *)NULL);
}

Test(krtl_fmt, strings_wide_format)
{
    CHECK_W(L"wide narrow wide narrow", L"%s %S %ls %hs", L"wide", "narrow", L"wide", "narrow");
    CHECK_W(L"\x20ac\x00e9", L"%S", "\x80\xe9");
    CHECK_W(L"(null)", L"%s", (WCHAR *)NULL);
}

Test(krtl_fmt, counted_strings)
{
    UNICODE_STRING u = {8, 12, L"abcdef"};
    ANSI_STRING a = {3, 7, "abcdef"};
    CHECK_A("abcd|abc", "%wZ|%Z", &u, &a);
    u.Length = 5; /* odd: the half character is dropped */
    CHECK_A("[ab]", "[%wZ]", &u);
    u.Length = 0;
    CHECK_A("[]", "[%wZ]", &u);
    UNICODE_STRING nb = {4, 4, NULL};
    ANSI_STRING na = {4, 4, NULL};
    CHECK_A("(null) (null) (null) (null)", "%wZ %wZ %Z %Z", &nb, (UNICODE_STRING *)NULL, &na, (ANSI_STRING *)NULL);
    UNICODE_STRING e = {6, 6, L"\x20ac\x00e9\x4e2d"};
    CHECK_A("\x80\xe9?", "%wZ", &e);
    CHECK_A("  ab|ab  |a", "%4wZ|%-4wZ|%.1wZ", &(UNICODE_STRING){4, 4, L"ab"}, &(UNICODE_STRING){4, 4, L"ab"},
            &(UNICODE_STRING){4, 4, L"ab"});
    /* A wide format: %Z is a UNICODE_STRING, %hZ an ANSI_STRING. */
    UNICODE_STRING w = {6, 6, L"xyz"};
    CHECK_W(L"xyz abc abc", L"%Z %hZ %wZ", &w, &a, &(UNICODE_STRING){6, 6, L"abc"});
}

Test(krtl_fmt, width_precision_flags)
{
    CHECK_A("   42|42   |00042|+42| 42", "%5d|%-5d|%05d|%+d|% d", 42, 42, 42, 42, 42);
    CHECK_A("007|     007|    7", "%.3d|%8.3d|%05.1d", 7, 7, 7);
    CHECK_A("-0042|  -42", "%05d|%5d", -42, -42);
    CHECK_A("   42|42   |ab|       abc|abc   |", "%*d|%*d|%.*s|%10.3s|%-6s|", 5, 42, -5, 42, 2, "abcdef", "abcdef",
            "abc");
    CHECK_A("abcdef", "%.*s", -1, "abcdef");
    CHECK_A("000ab", "%05s", "ab");
    CHECK_A("0x00ff", "%#06x", 255);
}

Test(krtl_fmt, floating_point)
{
    CHECK_A("1.234568e+04 3.141590 0.0001 2.50", "%e %f %g %.2f", 12345.678, 3.14159, 0.0001, 2.5);
    CHECK_A("1.5E+00 1E+20 [  1.5]", "%.1E %G [%5.1f]", 1.5, 1e20, 1.5);
    CHECK_A("3 1", "%.0f %d", 2.5 + 0.5, 1);
}

Test(krtl_fmt, specials)
{
    CHECK_A("100%", "100%%");
    CHECK_A("y", "%y");
    CHECK_A("end", "end%");
    int n = 1234;
    CHECK_A("ab5", "ab%n%d", &n, 5);
    cr_expect_eq(n, 1234, "%%n writes nothing");
}

Test(krtl_fmt, dbgprint_wide_text_becomes_utf8)
{
    size_t mk = tk_log_mark();
    DbgPrint("%ws|%wZ|%ws|%ws\n", L"\x4e2d\x00e9", &(UNICODE_STRING){4, 4, L"\xd83d\xde00"}, L"\xd800x",
             L"\x20ac");
    cr_assert_eq(pnpbox_log_count(m), mk + 1);
    cr_expect_str_eq(tk_log(mk, 0), "\xe4\xb8\xad\xc3\xa9|\xf0\x9f\x98\x80|\xef\xbf\xbdx|\xe2\x82\xac",
                     "surrogate pairs combine, lone surrogates become U+FFFD");
}
