/*
 * tinf.c: helpers for the INF engine's tests (see tinf.h).
 */
#include "tests/inf/tinf.h"

#include "base/pb_utf16.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *const t_enc_name[T_NENC] = {"ANSI", "UTF-16LE", "UTF-16BE", "UTF-8 BOM", "UTF-16LE no BOM"};

static uint8_t to_cp1252(uint16_t c)
{
    if (c < 0x80 || (c >= 0xA0 && c <= 0xFF))
        return (uint8_t)c;
    for (int b = 0x80; b < 0xA0; b++)
        if (pb_cp1252_to_unicode((uint8_t)b) == c)
            return (uint8_t)b;
    cr_assert_fail("U+%04X has no Windows-1252 byte", c);
    return '?';
}

unsigned char *t_encode(const char *utf8, enum t_enc enc, size_t *n)
{
    uint16_t *w = NULL;
    size_t wn = 0;
    cr_assert_eq(pb_utf8_to_utf16(utf8, strlen(utf8), &w, &wn), 0, "test text is not UTF-8");
    unsigned char *b = malloc(wn * 2 + 4);
    cr_assert(b);
    size_t o = 0;
    switch (enc) {
    case T_ANSI:
        for (size_t i = 0; i < wn; i++)
            b[o++] = to_cp1252(w[i]);
        break;
    case T_U8BOM:
        free(b);
        b = malloc(strlen(utf8) + 3);
        cr_assert(b);
        memcpy(b, "\xEF\xBB\xBF", 3);
        memcpy(b + 3, utf8, strlen(utf8));
        o = strlen(utf8) + 3;
        break;
    case T_U16LE:
    case T_U16LE_NOBOM:
        if (enc == T_U16LE) {
            b[o++] = 0xFF;
            b[o++] = 0xFE;
        }
        for (size_t i = 0; i < wn; i++) {
            b[o++] = (unsigned char)(w[i] & 0xff);
            b[o++] = (unsigned char)(w[i] >> 8);
        }
        break;
    case T_U16BE:
        b[o++] = 0xFE;
        b[o++] = 0xFF;
        for (size_t i = 0; i < wn; i++) {
            b[o++] = (unsigned char)(w[i] >> 8);
            b[o++] = (unsigned char)(w[i] & 0xff);
        }
        break;
    default:
        cr_assert_fail("bad encoding");
    }
    free(w);
    *n = o;
    return b;
}

inf_file *t_parse_enc(const char *utf8, enum t_enc enc, const inf_parse_opts *opts)
{
    size_t n;
    unsigned char *b = t_encode(utf8, enc, &n);
    inf_file *f = NULL;
    int rc = emu_inf_parse_mem(b, n, "test.inf", opts, &f);
    free(b);
    cr_assert_eq(rc, 0, "parse (%s): %s", t_enc_name[enc], emu_inf_strerror(rc));
    cr_assert(f);
    return f;
}

inf_file *t_parse(const char *utf8)
{
    return t_parse_enc(utf8, T_U16LE, NULL);
}

const inf_line *t_line(const inf_file *f, const char *section, uint32_t i)
{
    const inf_section *s = emu_inf_section(f, section);
    cr_assert(s, "no section [%s]", section);
    cr_assert_lt(i, s->nlines, "[%s] has %u lines, wanted line %u", section, s->nlines, i);
    return &s->lines[i];
}

const char *t_s(inf_str s)
{
    return t_u8(s.s, s.n);
}

const char *t_w(inf_wstr s)
{
    return t_u8(s.s, s.n);
}

int t_has_diag(const inf_file *f, int code, uint32_t lineno)
{
    for (size_t i = 0; i < emu_inf_diag_count(f); i++) {
        const inf_diag *d = emu_inf_diag_at(f, i);
        if (d->code == code && (!lineno || d->lineno == lineno))
            return 1;
    }
    return 0;
}

inf_lint_result *t_lint(const char *utf8)
{
    inf_file *f = t_parse(utf8);
    inf_lint_result *r = NULL;
    cr_assert_eq(emu_inf_lint(f, NULL, &r), 0);
    emu_inf_free(f);
    return r;
}

int t_count(const inf_lint_result *r, int code, uint32_t lineno)
{
    int n = 0;
    for (size_t i = 0; i < r->nfindings; i++)
        if (r->findings[i].code == code && (!lineno || r->findings[i].lineno == lineno))
            n++;
    return n;
}

const inf_finding *t_finding(const inf_lint_result *r, int code)
{
    for (size_t i = 0; i < r->nfindings; i++)
        if (r->findings[i].code == code)
            return &r->findings[i];
    return NULL;
}
