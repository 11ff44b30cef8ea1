/*
 * test_utf16.c: Windows upcasing over the BMP, counted comparisons, and
 * strict UTF-8/UTF-16 conversion.
 */
#include "base/pb_buf.h"
#include "base/pb_utf16.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

Test(base_utf16, upcase_table)
{
    cr_assert_eq(pb_upcase('a'), 'A');
    cr_assert_eq(pb_upcase('Z'), 'Z');
    cr_assert_eq(pb_upcase(0x00E4), 0x00C4); /* ä */
    cr_assert_eq(pb_upcase(0x00FF), 0x0178); /* ÿ -> Ÿ (crosses a page) */
    cr_assert_eq(pb_upcase(0x0434), 0x0414); /* д */
    cr_assert_eq(pb_upcase(0x1F80), 0x1F88); /* simple mapping, not ἈΙ */
    cr_assert_eq(pb_upcase(0x00DF), 0x00DF); /* ß has no single-unit uppercase */
    cr_assert_eq(pb_upcase(0xFF41), 0xFF21); /* fullwidth a */
    cr_assert_eq(pb_upcase(0xD800), 0xD800); /* surrogates map to themselves */
    cr_assert_eq(pb_upcase(0x0000), 0x0000);
    cr_assert_eq(pb_upcase(0xFFFF), 0xFFFF);
    for (uint32_t c = 0; c < 0x10000; c++) /* idempotent everywhere */
        cr_assert_eq(pb_upcase(pb_upcase((uint16_t)c)), pb_upcase((uint16_t)c), "U+%04X", c);
}

Test(base_utf16, counted_compare)
{
    cr_assert_eq(pb_wcsnicmp(W("abc"), W("ABC")), 0);
    cr_assert_lt(pb_wcsnicmp(W("ab"), W("ABC")), 0);
    cr_assert_gt(pb_wcsnicmp(W("_"), W("z")), 0); /* '_' 0x5F > 'Z' 0x5A */
    cr_assert(pb_wcsnieq(W("Äpfel"), W("äPFEL")));
    cr_assert(!pb_wcsnieq(W("Äpfel"), W("äPFE")));
    cr_assert(pb_wcsieq_ascii(W("Registry"), "REGISTRY"));
    cr_assert(!pb_wcsieq_ascii(W("Registr"), "REGISTRY"));
    cr_assert(!pb_wcsieq_ascii(W("Registryx"), "REGISTRY"));
    cr_assert_lt(pb_wcsncmp(W("A"), W("a")), 0);
    cr_assert_eq(pb_wcslen(NULL), 0);
    cr_assert_eq(pb_wcslen(L"four"), 4);
}

Test(base_utf16, utf8_round_trip)
{
    const char *s = "Aä€😀";
    uint16_t *w = NULL;
    size_t n = 0;
    cr_assert_eq(pb_utf8_to_utf16(s, strlen(s), &w, &n), 0);
    cr_assert_eq(n, 5);
    cr_assert_eq(w[0], 'A');
    cr_assert_eq(w[1], 0xE4);
    cr_assert_eq(w[2], 0x20AC);
    cr_assert_eq(w[3], 0xD83D);
    cr_assert_eq(w[4], 0xDE00);
    cr_assert_eq(w[5], 0);
    char *u = NULL;
    size_t un = 0;
    cr_assert_eq(pb_utf16_to_utf8(w, n, &u, &un, PB_UTF_STRICT), 0);
    cr_assert_str_eq(u, s);
    cr_assert_eq(un, strlen(s));
    free(u);
    free(w);
}

Test(base_utf16, malformed_text_is_rejected)
{
    uint16_t *w = (uint16_t *)0xdeadbeef;
    const char *bad[] = {"\xc0\x80", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x80",
                         "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(pb_utf8_to_utf16(bad[i], strlen(bad[i]), &w, NULL), -EILSEQ, "case %zu", i);
    cr_assert_eq(w, (uint16_t *)0xdeadbeef);
    const uint16_t lone[] = {'a', 0xD800, 'b'};
    char *u = NULL;
    cr_assert_eq(pb_utf16_to_utf8(lone, 3, &u, NULL, PB_UTF_STRICT), -EILSEQ);
    cr_assert_eq(pb_utf16_validate(lone, 3), -EILSEQ);
    cr_assert_eq(pb_utf16_validate(lone, 1), 0);
    cr_assert_eq(pb_utf16_to_utf8(lone, 3, &u, NULL, PB_UTF_REPLACE), 0);
    cr_assert_str_eq(u, "a\xef\xbf\xbd" "b");
    free(u);
    const uint16_t trail[] = {0xDC00};
    cr_assert_eq(pb_utf16_validate(trail, 1), -EILSEQ);
}

Test(base_utf16, cp1252)
{
    cr_assert_eq(pb_cp1252_to_unicode(0x80), 0x20AC);
    cr_assert_eq(pb_cp1252_to_unicode(0x9F), 0x0178);
    cr_assert_eq(pb_cp1252_to_unicode(0xE9), 0x00E9);
    cr_assert_eq(pb_cp1252_to_unicode('x'), 'x');
}

Test(base_buf, formatting_and_escaping)
{
    pb_buf b = PB_BUF_INIT;
    pb_buf_printf(&b, "%d-%s", 42, "x");
    pb_buf_json_str(&b, "a\"b\\c\n\x01");
    pb_buf_xml_str(&b, "<&>");
    char *s = pb_buf_steal(&b);
    cr_assert_str_eq(s, "42-x\"a\\\"b\\\\c\\n\\u0001\"&lt;&amp;&gt;");
    free(s);
    pb_buf e = PB_BUF_INIT;
    char *empty = pb_buf_steal(&e);
    cr_assert_str_eq(empty, "");
    free(empty);
}

Test(base_utf16, utf8_into_a_fixed_buffer)
{
    /* "aé€😀" = a, U+00E9, U+20AC, U+1F600 (a surrogate pair): 1 + 2 + 3 + 4 bytes */
    static const uint16_t s[] = {'a', 0xE9, 0x20AC, 0xD83D, 0xDE00};
    char buf[16];
    memset(buf, 0x5a, sizeof buf);
    cr_assert_eq(pb_utf16_to_utf8_buf(s, 5, buf, sizeof buf, 0), 10);
    cr_assert_str_eq(buf, "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    /* a code point that does not fit is left out whole, and the NUL always fits */
    for (size_t cap = 1; cap <= 11; cap++) {
        static const size_t fits[] = {0, 0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10};
        memset(buf, 0x5a, sizeof buf);
        cr_assert_eq(pb_utf16_to_utf8_buf(s, 5, buf, cap, 0), fits[cap], "cap %zu", cap);
        cr_assert_eq(buf[fits[cap]], 0, "cap %zu", cap);
        cr_assert_eq((unsigned char)buf[cap], 0x5a, "nothing written past cap %zu", cap);
    }
    /* an unpaired surrogate shows as U+FFFD; NUL_SPACE turns U+0000 into a space */
    static const uint16_t bad[] = {0xDC00, 'x', 0, 'y', 0xD800};
    cr_assert_eq(pb_utf16_to_utf8_buf(bad, 5, buf, sizeof buf, PB_UTF_NUL_SPACE), 9);
    cr_assert_str_eq(buf, "\xEF\xBF\xBDx y\xEF\xBF\xBD");
    cr_assert_eq(pb_utf16_to_utf8_buf(bad, 5, buf, sizeof buf, 0), 9);
    cr_assert_str_eq(buf, "\xEF\xBF\xBDx", "without the flag the NUL ends the string");
    size_t i = 0;
    cr_assert_eq(pb_utf16_next(s + 3, 2, &i), 0x1F600);
    cr_assert_eq(i, 2);
    i = 0;
    cr_assert_eq(pb_utf16_next(s + 3, 1, &i), 0xD83D, "a high surrogate at the end stays unpaired");
    cr_assert_eq(i, 1);
}
