/*
 * test_strings.c: the counted-string routines of <wdm.h>: initialising,
 * copying, appending, comparing, case mapping, code-page conversion,
 * numbers and GUIDs, with Wine-style exact statuses, every out-parameter
 * and the boundary lengths (0, one short, exact, one over).
 */
#include "tests/krtl/tk.h"

#include <stdlib.h>
#include <string.h>

TestSuite(krtl_strings, .init = tk_setup, .fini = tk_teardown);

/* A UTF-16 string of n copies of c, terminated (malloc'd). */
static WCHAR *wrep(WCHAR c, size_t n)
{
    WCHAR *s = malloc((n + 1) * sizeof *s);
    cr_assert(s);
    for (size_t i = 0; i < n; i++)
        s[i] = c;
    s[n] = 0;
    return s;
}

static UNICODE_STRING us_fill(void)
{
    UNICODE_STRING u;
    u.Length = 0xdead;
    u.MaximumLength = 0xbeef;
    u.Buffer = (PWCH)(uintptr_t)0xdeadbeef;
    return u;
}

/* ======================================================================== init */

Test(krtl_strings, init_unicode_string_sets_lengths_and_aliases_buffer)
{
    static const WCHAR text[] = L"Some Wild String";
    UNICODE_STRING u = us_fill();
    RtlInitUnicodeString(&u, text);
    cr_expect_eq(u.Length, sizeof text - sizeof(WCHAR));
    cr_expect_eq(u.MaximumLength, sizeof text);
    cr_expect_eq(u.Buffer, text, "the buffer is the source itself");

    u = us_fill();
    RtlInitUnicodeString(&u, NULL);
    cr_expect_eq(u.Length, 0);
    cr_expect_eq(u.MaximumLength, 0);
    cr_expect_null(u.Buffer);

    u = us_fill();
    RtlInitUnicodeString(&u, L"");
    cr_expect_eq(u.Length, 0);
    cr_expect_eq(u.MaximumLength, 2);
    RtlInitUnicodeString(NULL, text); /* no crash */
}

Test(krtl_strings, init_unicode_string_length_limits)
{
    /* 32766 characters: the longest string with MaximumLength = Length + 2. */
    WCHAR *s = wrep(L'X', 32766);
    UNICODE_STRING u = us_fill();
    RtlInitUnicodeString(&u, s);
    cr_expect_eq(u.Length, 65532);
    cr_expect_eq(u.MaximumLength, 65534);
    u = us_fill();
    cr_expect_eq(RtlInitUnicodeStringEx(&u, s), STATUS_SUCCESS);
    cr_expect_eq(u.Length, 65532);
    cr_expect_eq(u.MaximumLength, 65534);
    cr_expect_eq(u.Buffer, s);
    free(s);

    /* One more (UNICODE_STRING_MAX_CHARS) and far more: the documented clamp / the Ex refusal. */
    size_t sizes[] = {UNICODE_STRING_MAX_CHARS, 1000000};
    for (size_t i = 0; i < 2; i++) {
        s = wrep(L'X', sizes[i]);
        u = us_fill();
        RtlInitUnicodeString(&u, s);
        cr_expect_eq(u.Length, 0xFFFC, "%zu chars", sizes[i]);
        cr_expect_eq(u.MaximumLength, 0xFFFE);
        cr_expect_eq(u.Buffer, s);
        u = us_fill();
        cr_expect_eq(RtlInitUnicodeStringEx(&u, s), STATUS_NAME_TOO_LONG);
        cr_expect_eq(u.Length, 0xdead, "untouched on failure");
        cr_expect_eq(u.MaximumLength, 0xbeef);
        cr_expect_eq((uintptr_t)u.Buffer, 0xdeadbeef);
        free(s);
    }
}

Test(krtl_strings, init_unicode_string_ex_null_arguments)
{
    UNICODE_STRING u = us_fill();
    cr_expect_eq(RtlInitUnicodeStringEx(&u, NULL), STATUS_SUCCESS);
    cr_expect_eq(u.Length, 0);
    cr_expect_eq(u.MaximumLength, 0);
    cr_expect_null(u.Buffer);
    cr_expect_eq(RtlInitUnicodeStringEx(NULL, L"x"), STATUS_ACCESS_VIOLATION);
}

Test(krtl_strings, init_ansi_string_and_limits)
{
    static const char text[] = "Some Wild String";
    ANSI_STRING a;
    tk_fill(&a, sizeof a);
    RtlInitAnsiString(&a, text);
    cr_expect_eq(a.Length, sizeof text - 1);
    cr_expect_eq(a.MaximumLength, sizeof text);
    cr_expect_eq(a.Buffer, text);
    STRING s;
    tk_fill(&s, sizeof s);
    RtlInitString(&s, NULL);
    cr_expect_eq(s.Length, 0);
    cr_expect_eq(s.MaximumLength, 0);
    cr_expect_null(s.Buffer);

    char *big = malloc(0x10001);
    cr_assert(big);
    memset(big, 'a', 0xFFFE);
    big[0xFFFE] = 0;
    cr_expect_eq(RtlInitAnsiStringEx(&a, big), STATUS_SUCCESS);
    cr_expect_eq(a.Length, 0xFFFE);
    cr_expect_eq(a.MaximumLength, 0xFFFF);
    memset(big, 'a', 0x10000);
    big[0x10000] = 0;
    tk_fill(&a, sizeof a);
    cr_expect_eq(RtlInitAnsiStringEx(&a, big), STATUS_NAME_TOO_LONG);
    cr_expect_eq(a.Length, 0xdede, "untouched");
    RtlInitAnsiString(&a, big);
    cr_expect_eq(a.Length, 0xFFFE);
    cr_expect_eq(a.MaximumLength, 0xFFFF);
    cr_expect_eq(RtlInitStringEx(&s, "ab"), STATUS_SUCCESS);
    cr_expect_eq(s.Length, 2);
    cr_expect_eq(s.MaximumLength, 3);
    free(big);
}

Test(krtl_strings, empty_and_constant_strings)
{
    WCHAR buf[8];
    UNICODE_STRING u = us_fill();
    RtlInitEmptyUnicodeString(&u, buf, sizeof buf);
    cr_expect_eq(u.Length, 0);
    cr_expect_eq(u.MaximumLength, 16);
    cr_expect_eq(u.Buffer, buf);
    char cb[5];
    ANSI_STRING a;
    RtlInitEmptyAnsiString(&a, cb, sizeof cb);
    cr_expect_eq(a.Length, 0);
    cr_expect_eq(a.MaximumLength, 5);
    UNICODE_STRING c = RTL_CONSTANT_STRING(L"abc");
    cr_expect_eq(c.Length, 6);
    cr_expect_eq(c.MaximumLength, 8);
    DECLARE_CONST_UNICODE_STRING(d, L"hello");
    cr_expect_eq(d.Length, 10);
    cr_expect(tk_weq(d.Buffer, L"hello", 5));
}

/* ======================================================================== copy */

Test(krtl_strings, copy_unicode_string_boundaries)
{
    static const struct {
        USHORT src_len, dst_max;
        USHORT want_len;
        int terminated;
    } cases[] = {
        {8, 20, 8, 1},  /* room for a terminator */
        {8, 10, 8, 1},  /* exactly room for it */
        {8, 9, 8, 0},   /* odd byte: no whole terminator fits */
        {8, 8, 8, 0},   /* exact fit, no terminator */
        {8, 6, 6, 0},   /* truncated */
        {8, 0, 0, 0},   /* nothing fits */
        {0, 10, 0, 1},  /* empty source */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        WCHAR srcbuf[] = L"abcdZZZZ";
        WCHAR dstbuf[16];
        for (int k = 0; k < 16; k++)
            dstbuf[k] = L'-';
        UNICODE_STRING s = {cases[i].src_len, sizeof srcbuf, srcbuf};
        UNICODE_STRING d = {7, cases[i].dst_max, dstbuf};
        RtlCopyUnicodeString(&d, &s);
        cr_expect_eq(d.Length, cases[i].want_len, "case %zu", i);
        cr_expect_eq(d.MaximumLength, cases[i].dst_max);
        cr_expect(tk_weq(dstbuf, L"abcd", cases[i].want_len / 2), "case %zu: %s", i, tk_u8(dstbuf, 4));
        WCHAR after = dstbuf[cases[i].want_len / 2];
        cr_expect_eq(after, cases[i].terminated ? 0 : L'-', "case %zu: unit after the copy is %#x", i, after);
    }
}

Test(krtl_strings, copy_unicode_string_null_source_empties)
{
    WCHAR buf[4] = L"xyz";
    UNICODE_STRING d = {6, 8, buf};
    RtlCopyUnicodeString(&d, NULL);
    cr_expect_eq(d.Length, 0);
    cr_expect_eq(d.MaximumLength, 8);
    cr_expect_eq(buf[0], L'x', "the buffer is not touched");
    RtlCopyUnicodeString(NULL, &d); /* no crash */
}

Test(krtl_strings, copy_string_ansi)
{
    char dst[8];
    memset(dst, '-', sizeof dst);
    STRING s, d = {0, 5, dst};
    RtlInitString(&s, "Some Wild");
    RtlCopyString(&d, &s);
    cr_expect_eq(d.Length, 5);
    cr_expect(!memcmp(dst, "Some -", 6), "no terminator at an exact fit");
    d.MaximumLength = 8;
    RtlInitString(&s, "ab");
    RtlCopyString(&d, &s);
    cr_expect_eq(d.Length, 2);
    cr_expect_str_eq(dst, "ab");
}

/* ======================================================================== append */

/* Wine's table for RtlAppendUnicodeStringToString, bytes as in its tests. */
Test(krtl_strings, append_unicode_string_to_string)
{
    static const struct {
        USHORT dlen, dmax;
        USHORT slen;
        USHORT want_len;
        NTSTATUS st;
        const WCHAR *want; /* the first 7 units of the buffer afterwards */
    } cases[] = {
        {4, 12, 4, 8, STATUS_SUCCESS, L"FaUs\0fg"},
        {4, 11, 4, 8, STATUS_SUCCESS, L"FaUs\0fg"}, /* odd MaximumLength, 3 bytes left: terminator fits */
        {4, 10, 4, 8, STATUS_SUCCESS, L"FaUs\0fg"},
        {4, 9, 4, 8, STATUS_SUCCESS, L"FaUsefg"},    /* 1 byte left: no terminator (Windows writes past) */
        {4, 8, 4, 8, STATUS_SUCCESS, L"FaUsefg"},
        {4, 7, 4, 4, STATUS_BUFFER_TOO_SMALL, L"Fabcefg"},
        {4, 0, 0, 4, STATUS_SUCCESS, L"Fabcefg"},    /* an empty source always succeeds */
        {4, 14, 0, 4, STATUS_SUCCESS, L"Fabcefg"},   /* ... and writes nothing, not even a terminator */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        WCHAR dbuf[8] = L"Fabcefg";
        WCHAR sbuf[] = L"UsZY";
        UNICODE_STRING d = {cases[i].dlen, cases[i].dmax, dbuf};
        UNICODE_STRING s = {cases[i].slen, 8, sbuf};
        cr_expect_eq(RtlAppendUnicodeStringToString(&d, &s), cases[i].st, "case %zu", i);
        cr_expect_eq(d.Length, cases[i].want_len, "case %zu", i);
        cr_expect_eq(d.MaximumLength, cases[i].dmax, "case %zu", i);
        cr_expect(tk_weq(dbuf, cases[i].want, 7), "case %zu: %s", i, tk_u8(dbuf, 7));
    }
    WCHAR b[4];
    UNICODE_STRING d = {0, 8, b}, s = {2, 2, NULL};
    cr_expect_eq(RtlAppendUnicodeStringToString(&d, &s), STATUS_ACCESS_VIOLATION, "a NULL source buffer");
    cr_expect_eq(d.Length, 0);
    cr_expect_eq(RtlAppendUnicodeStringToString(NULL, &s), STATUS_ACCESS_VIOLATION);
}

Test(krtl_strings, append_unicode_to_string)
{
    WCHAR dbuf[8] = L"Fabcefg";
    UNICODE_STRING d = {4, 12, dbuf};
    cr_expect_eq(RtlAppendUnicodeToString(&d, L"Us"), STATUS_SUCCESS);
    cr_expect_eq(d.Length, 8);
    cr_expect(tk_weq(dbuf, L"FaUs\0fg", 7));
    cr_expect_eq(RtlAppendUnicodeToString(&d, NULL), STATUS_SUCCESS);
    cr_expect_eq(d.Length, 8, "NULL appends nothing");
    /* Exactly fills MaximumLength 12: success without a terminator. */
    WCHAR b2[8] = L"Fabcefg";
    UNICODE_STRING d2 = {8, 12, b2};
    cr_expect_eq(RtlAppendUnicodeToString(&d2, L"XY"), STATUS_SUCCESS);
    cr_expect_eq(d2.Length, 12);
    cr_expect(tk_weq(b2, L"FabcXYg", 7));
    cr_expect_eq(RtlAppendUnicodeToString(&d2, L"Z"), STATUS_BUFFER_TOO_SMALL);
    cr_expect_eq(d2.Length, 12);
}

/* ======================================================================== compare */

Test(krtl_strings, compare_unicode_string)
{
    UNICODE_STRING a = RTL_CONSTANT_STRING(L"abc"), b = RTL_CONSTANT_STRING(L"ABC"), c = RTL_CONSTANT_STRING(L"abcd"),
                   e = RTL_CONSTANT_STRING(L"");
    cr_expect_gt(RtlCompareUnicodeString(&a, &b, FALSE), 0, "'a' > 'A'");
    cr_expect_eq(RtlCompareUnicodeString(&a, &b, TRUE), 0);
    cr_expect_lt(RtlCompareUnicodeString(&a, &c, TRUE), 0, "a proper prefix sorts first");
    cr_expect_gt(RtlCompareUnicodeString(&c, &a, FALSE), 0);
    cr_expect_lt(RtlCompareUnicodeString(&e, &a, FALSE), 0);
    cr_expect_eq(RtlCompareUnicodeString(&e, NULL, FALSE), 0, "NULL compares as empty");
    /* Windows' upcase table beyond ASCII: e-acute, y-diaeresis, Cyrillic, Greek. */
    UNICODE_STRING x = RTL_CONSTANT_STRING(L"\x00e9\x00ff\x0431\x03c3"), y = RTL_CONSTANT_STRING(L"\x00c9\x0178\x0411\x03a3");
    cr_expect_eq(RtlCompareUnicodeString(&x, &y, TRUE), 0);
    cr_expect_neq(RtlCompareUnicodeString(&x, &y, FALSE), 0);
    cr_expect(RtlEqualUnicodeString(&x, &y, TRUE));
    cr_expect(!RtlEqualUnicodeString(&x, &y, FALSE));
    cr_expect(!RtlEqualUnicodeString(&a, &c, TRUE), "lengths differ");
    /* Counted: what follows Length does not count. */
    UNICODE_STRING p = {4, 8, L"abXY"}, q = {4, 8, L"abZW"};
    cr_expect(RtlEqualUnicodeString(&p, &q, FALSE));
    cr_expect_eq(RtlCompareUnicodeStrings(L"ab", 2, L"ac", 2, FALSE), (LONG)'b' - (LONG)'c');
}

Test(krtl_strings, prefix_unicode_string)
{
    UNICODE_STRING pre = RTL_CONSTANT_STRING(L"\\Registry\\"), full = RTL_CONSTANT_STRING(L"\\REGISTRY\\Machine"),
                   e = RTL_CONSTANT_STRING(L"");
    cr_expect(RtlPrefixUnicodeString(&pre, &full, TRUE));
    cr_expect(!RtlPrefixUnicodeString(&pre, &full, FALSE));
    cr_expect(!RtlPrefixUnicodeString(&full, &pre, TRUE), "longer than the string");
    cr_expect(RtlPrefixUnicodeString(&e, &full, FALSE), "the empty string prefixes everything");
    cr_expect(RtlPrefixUnicodeString(&full, &full, FALSE));
}

Test(krtl_strings, compare_ansi_strings)
{
    STRING a, b, c;
    RtlInitString(&a, "abc");
    RtlInitString(&b, "ABC");
    RtlInitString(&c, "\xe9");
    cr_expect_eq(RtlCompareString(&a, &b, TRUE), 0);
    cr_expect_gt(RtlCompareString(&a, &b, FALSE), 0);
    cr_expect(RtlEqualString(&a, &b, TRUE));
    STRING d;
    RtlInitString(&d, "\xc9");
    cr_expect(!RtlEqualString(&c, &d, TRUE), "the ANSI forms fold a-z only");
    cr_expect_gt(RtlCompareString(&c, &a, FALSE), 0, "bytes compare unsigned");
    STRING pre;
    RtlInitString(&pre, "AB");
    cr_expect(RtlPrefixString(&pre, &a, TRUE));
    cr_expect(!RtlPrefixString(&pre, &a, FALSE));
    cr_expect_eq(RtlUpperChar('q'), 'Q');
    cr_expect_eq(RtlUpperChar('\xe9'), '\xe9');
    char ub[4];
    STRING u = {0, 4, ub};
    RtlUpperString(&u, &a);
    cr_expect_eq(u.Length, 3);
    cr_expect(!memcmp(ub, "ABC", 3));
}

/* ======================================================================== case mapping */

Test(krtl_strings, upcase_and_downcase_characters)
{
    cr_expect_eq(RtlUpcaseUnicodeChar(L'a'), L'A');
    cr_expect_eq(RtlUpcaseUnicodeChar(0xe9), 0xc9);
    cr_expect_eq(RtlUpcaseUnicodeChar(0xff), 0x178);
    cr_expect_eq(RtlUpcaseUnicodeChar(0xf7), 0xf7, "division sign");
    cr_expect_eq(RtlDowncaseUnicodeChar(L'I'), L'i', "not dotless i");
    cr_expect_eq(RtlDowncaseUnicodeChar(0x3a3), 0x3c3, "sigma, not final sigma");
    cr_expect_eq(RtlDowncaseUnicodeChar(0x178), 0xff);
    cr_expect_eq(RtlDowncaseUnicodeChar(0x181), 0x253);
    cr_expect_eq(RtlDowncaseUnicodeChar(0x130), 0x130, "nothing upcases to dotted I");
    cr_expect_eq(RtlDowncaseUnicodeChar(0xd7), 0xd7);
    for (WCHAR c = L'A'; c <= L'Z'; c++)
        cr_expect_eq(RtlDowncaseUnicodeChar(c), c + 0x20);
}

Test(krtl_strings, upcase_unicode_string_in_place_and_into_buffers)
{
    WCHAR buf[] = L"hello \x00e9t\x00e9";
    UNICODE_STRING s;
    RtlInitUnicodeString(&s, buf);
    cr_expect_eq(RtlUpcaseUnicodeString(&s, &s, FALSE), STATUS_SUCCESS);
    cr_expect(tk_wstreq(buf, L"HELLO \x00c9T\x00c9"));

    WCHAR small[4];
    UNICODE_STRING d = {0xdead, sizeof small, small};
    tk_fill(small, sizeof small);
    cr_expect_eq(RtlDowncaseUnicodeString(&d, &s, FALSE), STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(d.Length, 0xdead, "untouched");
    cr_expect_eq(((unsigned char *)small)[0], 0xde);

    WCHAR exact[9];
    UNICODE_STRING e = {0, 18, exact};
    cr_expect_eq(RtlDowncaseUnicodeString(&e, &s, FALSE), STATUS_SUCCESS);
    cr_expect_eq(e.Length, 18);
    cr_expect_eq(e.MaximumLength, 18);
    cr_expect(tk_weq(exact, L"hello \x00e9t\x00e9", 9));
}

Test(krtl_strings, upcase_with_allocation_comes_from_pool_and_is_freed)
{
    UNICODE_STRING s = RTL_CONSTANT_STRING(L"mixed Case");
    UNICODE_STRING d = us_fill();
    cr_expect_eq(RtlUpcaseUnicodeString(&d, &s, TRUE), STATUS_SUCCESS);
    cr_expect_eq(d.Length, 20);
    cr_expect_eq(d.MaximumLength, 20, "exactly the source length, no terminator");
    cr_expect(tk_weq(d.Buffer, L"MIXED CASE", 10));
    pnpbox_pool_leak l;
    cr_assert_eq(pnpbox_pool_outstanding(m, NULL, &l, 1), 1);
    cr_expect_str_eq(l.tag_text, "Ustr");
    cr_expect_eq(l.size, 20);
    cr_expect_str_eq(l.api, "RtlUpcaseUnicodeString");
    RtlFreeUnicodeString(&d);
    cr_expect_null(d.Buffer);
    cr_expect_eq(d.Length, 0);
    cr_expect_eq(d.MaximumLength, 0);
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 0);
    cr_expect_eq(pnpbox_pool_errors(m, NULL, NULL, 0), 0);
}

Test(krtl_strings, allocation_failure_is_no_memory_and_leaves_destination)
{
    cr_assert_eq(pnpbox_fault_add(m, "RtlDowncaseUnicodeString", 1, 0), 0);
    UNICODE_STRING s = RTL_CONSTANT_STRING(L"X");
    UNICODE_STRING d = us_fill();
    cr_expect_eq(RtlDowncaseUnicodeString(&d, &s, TRUE), STATUS_NO_MEMORY);
    cr_expect_eq(d.Length, 0xdead);
    cr_expect_eq(d.MaximumLength, 0xbeef);
    cr_expect_eq((uintptr_t)d.Buffer, 0xdeadbeef);
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 0);
    /* The second call succeeds (the rule fires once). */
    cr_expect_eq(RtlDowncaseUnicodeString(&d, &s, TRUE), STATUS_SUCCESS);
    RtlFreeUnicodeString(&d);
}

Test(krtl_strings, free_string_rules)
{
    UNICODE_STRING u = {4, 6, NULL};
    RtlFreeUnicodeString(&u);
    cr_expect_eq(u.Length, 4, "a NULL buffer leaves the structure");
    RtlFreeUnicodeString(NULL);
    /* Freeing a buffer that never came from the pool is reported, not executed. */
    UNICODE_STRING lit;
    RtlInitUnicodeString(&lit, L"literal");
    RtlFreeUnicodeString(&lit);
    cr_expect_null(lit.Buffer);
    pnpbox_pool_error e;
    cr_assert_eq(pnpbox_pool_errors(m, NULL, &e, 1), 1);
    cr_expect_eq(e.problem, PNPBOX_POOL_BAD_POINTER);
    cr_expect_str_eq(e.api, "RtlFreeUnicodeString");
    ANSI_STRING a = {1, 2, NULL};
    RtlFreeAnsiString(&a);
    cr_expect_eq(a.Length, 1);
}

/* ======================================================================== code pages */

/* Wine's table for RtlUnicodeStringToAnsiString without allocation. */
Test(krtl_strings, unicode_to_ansi_boundaries)
{
    static const struct {
        USHORT alen, amax;
        USHORT ulen;
        USHORT want_len;
        NTSTATUS st;
        const char *want;
    } cases[] = {
        {0, 0, 12, 6, STATUS_BUFFER_OVERFLOW, "------"}, /* MaximumLength 0: full length, nothing written */
        {0, 1, 12, 0, STATUS_BUFFER_OVERFLOW, "\0-----"},
        {0, 2, 12, 1, STATUS_BUFFER_OVERFLOW, "a\0----"},
        {0, 3, 12, 2, STATUS_BUFFER_OVERFLOW, "ab\0---"},
        {8, 6, 12, 5, STATUS_BUFFER_OVERFLOW, "abcde\0"},
        {8, 7, 12, 6, STATUS_SUCCESS, "abcdef"},
        {8, 7, 0, 0, STATUS_SUCCESS, "\0-----"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char abuf[8];
        memset(abuf, '-', sizeof abuf);
        WCHAR ubuf[] = L"abcdef";
        ANSI_STRING a = {cases[i].alen, cases[i].amax, abuf};
        UNICODE_STRING u = {cases[i].ulen, 14, ubuf};
        cr_expect_eq(RtlUnicodeStringToAnsiString(&a, &u, FALSE), cases[i].st, "case %zu", i);
        cr_expect_eq(a.Length, cases[i].want_len, "case %zu", i);
        cr_expect_eq(a.MaximumLength, cases[i].amax, "case %zu", i);
        cr_expect(!memcmp(abuf, cases[i].want, 6), "case %zu: %.6s", i, abuf);
    }
}

Test(krtl_strings, unicode_to_ansi_is_windows_1252)
{
    UNICODE_STRING u = RTL_CONSTANT_STRING(L"\x20ac\x00e9\x0100\x2019z");
    ANSI_STRING a;
    tk_fill(&a, sizeof a);
    cr_expect_eq(RtlUnicodeStringToAnsiString(&a, &u, TRUE), STATUS_SUCCESS);
    cr_expect_eq(a.Length, 5);
    cr_expect_eq(a.MaximumLength, 6);
    cr_expect(!memcmp(a.Buffer, "\x80\xe9?\x92z", 6), "euro, e-acute, unmappable, right quote, z");
    cr_expect_eq(RtlxUnicodeStringToAnsiSize(&u), 6);
    RtlFreeAnsiString(&a);
    cr_expect_null(a.Buffer);
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 0);
}

Test(krtl_strings, ansi_to_unicode_boundaries)
{
    ANSI_STRING a;
    RtlInitAnsiString(&a, "ab\x80");
    WCHAR buf[4];
    for (int k = 0; k < 4; k++)
        buf[k] = L'-';
    UNICODE_STRING u = {0, 6, buf};
    cr_expect_eq(RtlAnsiStringToUnicodeString(&u, &a, FALSE), STATUS_BUFFER_OVERFLOW, "no room for the terminator");
    cr_expect_eq(u.Length, 6, "Length is set even so");
    cr_expect_eq(buf[0], L'-', "nothing written");
    u.MaximumLength = 8;
    cr_expect_eq(RtlAnsiStringToUnicodeString(&u, &a, FALSE), STATUS_SUCCESS);
    cr_expect_eq(u.Length, 6);
    cr_expect(tk_weq(buf, L"ab\x20ac", 4), "%s", tk_u8(buf, 4));
    cr_expect_eq(RtlxAnsiStringToUnicodeSize(&a), 8);

    UNICODE_STRING al = us_fill();
    cr_expect_eq(RtlAnsiStringToUnicodeString(&al, &a, TRUE), STATUS_SUCCESS);
    cr_expect_eq(al.Length, 6);
    cr_expect_eq(al.MaximumLength, 8);
    cr_expect(tk_weq(al.Buffer, L"ab\x20ac", 4));
    RtlFreeUnicodeString(&al);

    /* 32767 bytes need 65536: more than a UNICODE_STRING holds. */
    char *big = malloc(32768);
    memset(big, 'x', 32767);
    big[32767] = 0;
    ANSI_STRING b;
    RtlInitAnsiString(&b, big);
    UNICODE_STRING v = us_fill();
    cr_expect_eq(RtlAnsiStringToUnicodeString(&v, &b, TRUE), STATUS_INVALID_PARAMETER_2);
    cr_expect_eq(v.Length, 0xdead);
    b.Length = 32766;
    cr_expect_eq(RtlAnsiStringToUnicodeString(&v, &b, TRUE), STATUS_SUCCESS);
    cr_expect_eq(v.Length, 65532);
    cr_expect_eq(v.MaximumLength, 65534);
    RtlFreeUnicodeString(&v);
    free(big);
}

/* ======================================================================== numbers */

Test(krtl_strings, unicode_string_to_integer)
{
    static const struct {
        ULONG base;
        const WCHAR *s;
        ULONG v;
    } cases[] = {
        {0, L"1011101100", 1011101100}, {0, L"-214", (ULONG)-214}, {0, L"+214", 214}, {0, L"--214", 0},
        {0, L"\x01\x02 \t\n214", 214}, {0, L" \t-214", (ULONG)-214}, {0, L"+214 0", 214}, {0, L"214.01", 214},
        {0, L"f81", 0}, {0, L"0x12345", 0x12345}, {0, L"00x12345", 0}, {0, L"1x34", 1},
        {0, L"-9999999999", (ULONG)-1410065407}, {0, L"-2147483648", 0x80000000u}, {0, L"4294967295", 0xFFFFFFFFu},
        {0, L"4294967296", 0}, {0, L"056789", 56789}, {0, L"0b1011101100", 748}, {0, L"-0b10123456789", (ULONG)-5},
        {0, L"0b2", 0}, {0, L"0o56789", 0567}, {0, L"0d1011101100", 0}, {0, L"-0xFEDCBA00", 19088896},
        {0, L"0xabcdefgh", 0xabcdef}, {0, L"0x", 0}, {0, L"", 0}, {2, L"-1011101100", (ULONG)-748},
        {8, L"1011101100", 136610368}, {10, L"0x1011101100", 0}, {16, L"0b1011101100", 286265600},
        {16, L"0x1011101100", 0}, {16, L"g", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        UNICODE_STRING u;
        RtlInitUnicodeString(&u, cases[i].s);
        ULONG v = 0xdeadbeef;
        cr_expect_eq(RtlUnicodeStringToInteger(&u, cases[i].base, &v), STATUS_SUCCESS, "case %zu", i);
        cr_expect_eq(v, cases[i].v, "case %zu (%s, base %u): %#x", i, tk_u8(cases[i].s, tk_wlen(cases[i].s)),
                     cases[i].base, v);
    }
}

Test(krtl_strings, unicode_string_to_integer_arguments)
{
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, L"1234567");
    ULONG v = 0xdeadbeef;
    cr_expect_eq(RtlUnicodeStringToInteger(&u, 20, &v), STATUS_INVALID_PARAMETER);
    cr_expect_eq(v, 0xdeadbeef);
    cr_expect_eq(RtlUnicodeStringToInteger(&u, (ULONG)-8, &v), STATUS_INVALID_PARAMETER);
    cr_expect_eq(RtlUnicodeStringToInteger(&u, 20, NULL), STATUS_INVALID_PARAMETER, "the base is checked first");
    cr_expect_eq(RtlUnicodeStringToInteger(&u, 10, NULL), STATUS_ACCESS_VIOLATION);
    u.Length = 10;
    cr_expect_eq(RtlUnicodeStringToInteger(&u, 0, &v), STATUS_SUCCESS);
    cr_expect_eq(v, 12345, "counted");
    u.Length = 5;
    cr_expect_eq(RtlUnicodeStringToInteger(&u, 0, &v), STATUS_SUCCESS);
    cr_expect_eq(v, 12, "an odd byte is ignored");
    u.Length = 0;
    cr_expect_eq(RtlUnicodeStringToInteger(&u, 0, &v), STATUS_SUCCESS);
    cr_expect_eq(v, 0);
    cr_expect_eq(RtlCharToInteger(" -0x10", 0, &v), STATUS_SUCCESS);
    cr_expect_eq(v, (ULONG)-16);
    cr_expect_eq(RtlCharToInteger("1", 20, NULL), STATUS_INVALID_PARAMETER);
    cr_expect_eq(RtlCharToInteger("1", 10, NULL), STATUS_ACCESS_VIOLATION);
}

Test(krtl_strings, integer_to_unicode_string)
{
    static const struct {
        ULONG base, value;
        USHORT maxchars;
        NTSTATUS st;
        USHORT len;
        const WCHAR *want; /* the first 10 units afterwards */
    } cases[] = {
        {10, 123, 11, STATUS_SUCCESS, 3, L"123\0------"},
        {0, 0xFFFFFFFFu, 11, STATUS_SUCCESS, 10, L"4294967295"},
        {2, 10, 33, STATUS_SUCCESS, 4, L"1010\0-----"},
        {8, 0x80000000u, 12, STATUS_SUCCESS, 11, L"2000000000"},
        {16, 0xFFFFFFFEu, 9, STATUS_SUCCESS, 8, L"FFFFFFFE\0-"},
        {16, 0xFFFFFFFFu, 8, STATUS_SUCCESS, 8, L"FFFFFFFF--"}, /* exact fit: no terminator */
        {16, 0xFFFFFFFFu, 7, STATUS_BUFFER_OVERFLOW, 8, L"----------"},
        {16, 0xa, 1, STATUS_SUCCESS, 1, L"A---------"},
        {16, 0, 0, STATUS_BUFFER_OVERFLOW, 1, L"----------"},
        {20, 5, 9, STATUS_INVALID_PARAMETER, 0xdead, L"----------"},
        {1, 5, 9, STATUS_INVALID_PARAMETER, 0xdead, L"----------"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        WCHAR buf[40];
        for (int k = 0; k < 40; k++)
            buf[k] = L'-';
        UNICODE_STRING u = {0xdead, (USHORT)(cases[i].maxchars * 2), buf};
        cr_expect_eq(RtlIntegerToUnicodeString(cases[i].value, cases[i].base, &u), cases[i].st, "case %zu", i);
        cr_expect_eq(u.Length, cases[i].len == 0xdead ? 0xdead : cases[i].len * 2, "case %zu: %u", i, u.Length);
        cr_expect_eq(u.MaximumLength, cases[i].maxchars * 2, "case %zu", i);
        cr_expect(tk_weq(buf, cases[i].want, 10), "case %zu: %s", i, tk_u8(buf, 10));
    }
    WCHAR b64[24];
    UNICODE_STRING u = {0, sizeof b64, b64};
    cr_expect_eq(RtlInt64ToUnicodeString(0xFFFFFFFFFFFFFFFFull, 10, &u), STATUS_SUCCESS);
    cr_expect_eq(u.Length, 40);
    cr_expect(tk_wstreq(b64, L"18446744073709551615"));
    cr_expect_eq(RtlInt64ToUnicodeString(0x123456789ull, 16, &u), STATUS_SUCCESS);
    cr_expect(tk_wstreq(b64, L"123456789"));
    cr_expect_eq(RtlIntegerToUnicodeString(1, 10, NULL), STATUS_ACCESS_VIOLATION);
}

/* ======================================================================== GUIDs */

static const GUID test_guid = {0x01020304, 0x0506, 0x0708, {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0xab}};

Test(krtl_strings, string_from_guid_is_uppercase_braced_pool_string)
{
    UNICODE_STRING s = us_fill();
    cr_assert_eq(RtlStringFromGUID(&test_guid, &s), STATUS_SUCCESS);
    cr_expect_eq(s.Length, 76);
    cr_expect_eq(s.MaximumLength, 78);
    cr_expect(tk_wstreq(s.Buffer, L"{01020304-0506-0708-090A-0B0C0D0E0FAB}"), "%s", tk_u8(s.Buffer, 38));
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 1);
    RtlFreeUnicodeString(&s);
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 0);
    cr_expect_eq(RtlStringFromGUID(NULL, &s), STATUS_ACCESS_VIOLATION);
}

Test(krtl_strings, guid_from_string)
{
    GUID g;
    UNICODE_STRING s;
    RtlInitUnicodeString(&s, L"{01020304-0506-0708-090a-0B0C0D0E0Fab}");
    memset(&g, 0xde, sizeof g);
    cr_expect_eq(RtlGUIDFromString(&s, &g), STATUS_SUCCESS);
    cr_expect(!memcmp(&g, &test_guid, sizeof g));
    static const WCHAR *bad[] = {
        L"{01020304-0506-0708-090A-0B0C0D0E0FAB]", L"01020304-0506-0708-090A-0B0C0D0E0FAB",
        L"{01020304-0506-0708-090A-0B0C0D0E0FAB}x", L"{0102030x-0506-0708-090A-0B0C0D0E0FAB}",
        L"{01020304+0506-0708-090A-0B0C0D0E0FAB}", L"{01020304-0506-0708-090A-0B0C0D0E0FA}", L"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        RtlInitUnicodeString(&s, bad[i]);
        memset(&g, 0xde, sizeof g);
        cr_expect_eq(RtlGUIDFromString(&s, &g), STATUS_INVALID_PARAMETER, "case %zu", i);
        cr_expect_eq(g.Data1, 0xdededede, "untouched, case %zu", i);
    }
    cr_expect_eq(RtlGUIDFromString(NULL, &g), STATUS_ACCESS_VIOLATION);
}

/* ======================================================================== duplicate */

Test(krtl_strings, duplicate_unicode_string)
{
    static const struct {
        ULONG flags;
        USHORT len, max;
        int null_buf;
        NTSTATUS st;
        USHORT out_len, out_max;
        int out_null;
    } cases[] = {
        {0, 32, 34, 0, STATUS_SUCCESS, 32, 32, 0},
        {1, 32, 32, 0, STATUS_SUCCESS, 32, 34, 0},
        {3, 32, 34, 0, STATUS_SUCCESS, 32, 34, 0},
        {0, 32, 30, 0, STATUS_INVALID_PARAMETER, 0xdead, 0xbeef, 0},
        {2, 32, 34, 0, STATUS_INVALID_PARAMETER, 0xdead, 0xbeef, 0},
        {4, 32, 34, 0, STATUS_INVALID_PARAMETER, 0xdead, 0xbeef, 0},
        {0, 0, 2, 0, STATUS_SUCCESS, 0, 0, 1},
        {1, 0, 0, 1, STATUS_SUCCESS, 0, 0, 1},
        {3, 0, 0, 1, STATUS_SUCCESS, 0, 2, 0},
        {0, 0, 2, 1, STATUS_INVALID_PARAMETER, 0xdead, 0xbeef, 0},
        {0, 2, 2, 1, STATUS_INVALID_PARAMETER, 0xdead, 0xbeef, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        WCHAR src[] = L"This is a string";
        UNICODE_STRING in = {cases[i].len, cases[i].max, cases[i].null_buf ? NULL : src};
        UNICODE_STRING out = us_fill();
        cr_expect_eq(RtlDuplicateUnicodeString(cases[i].flags, &in, &out), cases[i].st, "case %zu", i);
        cr_expect_eq(out.Length, cases[i].out_len, "case %zu", i);
        cr_expect_eq(out.MaximumLength, cases[i].out_max, "case %zu", i);
        if (cases[i].st != STATUS_SUCCESS) {
            cr_expect_eq((uintptr_t)out.Buffer, 0xdeadbeef, "case %zu", i);
            continue;
        }
        if (cases[i].out_null) {
            cr_expect_null(out.Buffer, "case %zu", i);
            continue;
        }
        cr_assert_not_null(out.Buffer);
        cr_expect_neq(out.Buffer, src, "a copy");
        cr_expect(tk_weq(out.Buffer, src, out.Length / 2), "case %zu", i);
        if (cases[i].flags & 1)
            cr_expect_eq(out.Buffer[out.Length / 2], 0, "case %zu: terminated", i);
        RtlFreeUnicodeString(&out);
    }
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 0);
    cr_expect_eq(pnpbox_pool_errors(m, NULL, NULL, 0), 0);
}
