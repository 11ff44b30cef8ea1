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

/* ---- tiny JSON (RFC 8259, strict) ---- */

typedef struct jp {
    const char *p;
    int depth;
} jp;

static void ws(jp *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
        j->p++;
}

static jv *jnew(jtype t)
{
    jv *v = calloc(1, sizeof *v);
    cr_assert(v);
    v->t = t;
    return v;
}

static void put_utf8(char **o, uint32_t c)
{
    char *b = *o;
    if (c < 0x80) {
        *b++ = (char)c;
    } else if (c < 0x800) {
        *b++ = (char)(0xC0 | (c >> 6));
        *b++ = (char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        *b++ = (char)(0xE0 | (c >> 12));
        *b++ = (char)(0x80 | ((c >> 6) & 0x3F));
        *b++ = (char)(0x80 | (c & 0x3F));
    } else {
        *b++ = (char)(0xF0 | (c >> 18));
        *b++ = (char)(0x80 | ((c >> 12) & 0x3F));
        *b++ = (char)(0x80 | ((c >> 6) & 0x3F));
        *b++ = (char)(0x80 | (c & 0x3F));
    }
    *o = b;
}

static int hex4(const char *p, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        if (!isxdigit((unsigned char)p[i]))
            return -1;
        *v = *v * 16 + (uint32_t)(isdigit((unsigned char)p[i]) ? p[i] - '0' : (tolower((unsigned char)p[i]) - 'a' + 10));
    }
    return 0;
}

static char *jstring(jp *j)
{
    if (*j->p != '"')
        return NULL;
    j->p++;
    const char *s = j->p;
    size_t cap = 1;
    while (*s && *s != '"') {
        if (*s == '\\' && s[1])
            s++;
        s++;
        cap += 4;
    }
    char *out = malloc(cap + 4), *o = out;
    cr_assert(out);
    while (*j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        if (!c || c < 0x20) {
            free(out);
            return NULL;
        }
        if (c != '\\') {
            *o++ = (char)c;
            j->p++;
            continue;
        }
        j->p++;
        switch (*j->p) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            uint32_t v;
            if (hex4(j->p + 1, &v)) {
                free(out);
                return NULL;
            }
            j->p += 4;
            if (v >= 0xD800 && v <= 0xDBFF && j->p[1] == '\\' && j->p[2] == 'u') {
                uint32_t lo;
                if (hex4(j->p + 3, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                    j->p += 6;
                }
            }
            put_utf8(&o, v);
            break;
        }
        default:
            free(out);
            return NULL;
        }
        j->p++;
    }
    j->p++;
    *o = 0;
    return out;
}

static jv *jvalue(jp *j);

static jv *jvalue(jp *j)
{
    ws(j);
    if (++j->depth > 64)
        return NULL;
    jv *v = NULL;
    char c = *j->p;
    if (c == '{' || c == '[') {
        int obj = c == '{';
        v = jnew(obj ? J_OBJ : J_ARR);
        j->p++;
        ws(j);
        if (*j->p == (obj ? '}' : ']')) {
            j->p++;
            goto done;
        }
        for (;;) {
            char *key = NULL;
            if (obj) {
                ws(j);
                key = jstring(j);
                ws(j);
                if (!key || *j->p != ':') {
                    free(key);
                    json_free(v);
                    return NULL;
                }
                j->p++;
            }
            jv *item = jvalue(j);
            if (!item) {
                free(key);
                json_free(v);
                return NULL;
            }
            v->items = realloc(v->items, (v->n + 1) * sizeof *v->items);
            cr_assert(v->items);
            if (obj) {
                v->keys = realloc(v->keys, (v->n + 1) * sizeof *v->keys);
                cr_assert(v->keys);
                v->keys[v->n] = key;
            }
            v->items[v->n++] = item;
            ws(j);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p == (obj ? '}' : ']')) {
                j->p++;
                break;
            }
            json_free(v);
            return NULL;
        }
    } else if (c == '"') {
        char *s = jstring(j);
        if (!s)
            return NULL;
        v = jnew(J_STR);
        v->str = s;
    } else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "false", 5)) {
        v = jnew(J_BOOL);
        v->b = *j->p == 't';
        j->p += v->b ? 4 : 5;
    } else if (!strncmp(j->p, "null", 4)) {
        v = jnew(J_NULL);
        j->p += 4;
    } else if (c == '-' || isdigit((unsigned char)c)) {
        const char *s = j->p;
        if (*s == '-')
            s++;
        if (*s == '0' && isdigit((unsigned char)s[1]))
            return NULL;
        if (!isdigit((unsigned char)*s))
            return NULL;
        while (isdigit((unsigned char)*s))
            s++;
        if (*s == '.') {
            s++;
            if (!isdigit((unsigned char)*s))
                return NULL;
            while (isdigit((unsigned char)*s))
                s++;
        }
        if (*s == 'e' || *s == 'E') {
            s++;
            if (*s == '+' || *s == '-')
                s++;
            if (!isdigit((unsigned char)*s))
                return NULL;
            while (isdigit((unsigned char)*s))
                s++;
        }
        v = jnew(J_NUM);
        v->num = strtod(j->p, NULL);
        j->p = s;
    } else {
        return NULL;
    }
done:
    j->depth--;
    return v;
}

jv *json_parse(const char *s)
{
    jp j = {s, 0};
    jv *v = jvalue(&j);
    if (!v)
        return NULL;
    ws(&j);
    if (*j.p) {
        json_free(v);
        return NULL;
    }
    return v;
}

void json_free(jv *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        json_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

const jv *json_get(const jv *o, const char *key)
{
    if (!o || o->t != J_OBJ)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (!strcmp(o->keys[i], key))
            return o->items[i];
    return NULL;
}
