/*
 * inf_parse.c: the INF parser: bytes -> decoded UTF-16 text -> sections,
 * lines and fields with their line numbers, then [Strings] selection and
 * %strkey% substitution (contract in inf.h; grammar in the reference §2
 * "Lexical/grammar" and "%strkey% / [Strings]").
 *
 * One pass over the text builds every field; a field that is a plain slice
 * of the text (no quotes, no continuation) is not copied.  Everything else
 * lives in the file's arena.  Malformed text never fails the parse: it
 * becomes a diagnostic with its InfVerif code (1002 syntax, 1003 encoding,
 * 1235 undefined string token).
 *
 * Choices where the documentation is silent (also in docs/inf.md):
 *  - A key exists only when an unquoted '=' comes before any unquoted comma
 *    (so "HKR,,x,,a=b" is positional).
 *  - A '%' outside quotes starts a %token% only when a closing '%' follows
 *    on the same line with no ',' or '"' in between; inside such a token a
 *    ';' is not a comment (reference: "unless inside ... a %strkey% token").
 *  - "%a%%b%" is two tokens; "%%" outside a token is a literal '%'.
 *  - Text before the first section header is ignored (some of Microsoft's
 *    samples open with a C-style comment banner there).
 *  - An unterminated quote ends at the end of the physical line.
 *  - Blanks are space, tab, VT, FF and the Unicode space separators (a
 *    no-break space U+00A0 in an otherwise empty line is an empty line).
 *  - Ctrl-Z (0x1A) ends the file, as in DOS-era INFs.  A NUL character is a
 *    1002 error and is read as a space.
 *  - [Strings] values are taken literally (no %-processing); a value split
 *    by unquoted commas is re-joined with ','.  The first definition of a
 *    duplicated string key wins.
 *  - An unknown %strkey% stays in the value as written (and is 1235).
 */
#include "emu/inf_int.h"
#include "base/pb_log.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DIAGS 200

/* ---- diagnostics ---- */

static void diag_push(inf_file *f, uint32_t lineno, int code, inf_severity sev, const char *msg)
{
    if (f->ndiags >= MAX_DIAGS)
        return;
    if (f->ndiags == f->diag_cap) {
        uint32_t cap = f->diag_cap ? f->diag_cap * 2 : 16;
        inf_diag *d = realloc(f->diags, cap * sizeof *d);
        if (!d) {
            f->arena.oom = 1;
            return;
        }
        f->diags = d;
        f->diag_cap = cap;
    }
    if (f->ndiags == MAX_DIAGS - 1) {
        msg = "too many problems; the rest of the file was not reported";
        code = 1002;
        sev = INF_SEV_ERROR;
    }
    char *m = inf_arena_strdup(&f->arena, msg);
    if (!m)
        return;
    f->diags[f->ndiags++] = (inf_diag){lineno, code, sev, m};
}

void inf_diag_add(inf_file *f, uint32_t lineno, int code, inf_severity sev, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    diag_push(f, lineno, code, sev, buf);
}

/* A diagnostic worded by the rule catalogue (inf_lint.c): fmt is the rule's format. */
static void diag_rule(inf_file *f, uint32_t lineno, int code, ...)
{
    const inf_rule *r = emu_inf_rule(code);
    char buf[1024];
    va_list ap;
    va_start(ap, code);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(buf, sizeof buf, r ? r->format : "%s", ap);
#pragma GCC diagnostic pop
    va_end(ap);
    diag_push(f, lineno, code, r ? r->level_w : INF_SEV_ERROR, buf);
}

/* ---- decoding ---- */

static uint32_t line_of(const uint16_t *t, size_t pos)
{
    uint32_t l = 1;
    for (size_t i = 0; i < pos; i++)
        if (t[i] == '\n' || (t[i] == '\r' && (i + 1 >= pos || t[i + 1] != '\n')))
            l++;
    return l;
}

/*
 * Does the BOM-less text look like UTF-16?  Text in an INF is mostly ASCII,
 * so UTF-16LE has a zero high byte in most units and UTF-16BE a zero first
 * byte; ANSI text has no zero bytes at all.
 */
static int sniff_utf16(const uint8_t *b, size_t n, int *big_endian)
{
    size_t m = n & ~(size_t)1;
    if (m > 2048)
        m = 2048;
    if (m < 4 || (n % 2))
        return 0;
    size_t le = 0, be = 0, units = m / 2;
    for (size_t i = 0; i < m; i += 2) {
        if (b[i + 1] == 0 && b[i] != 0)
            le++;
        else if (b[i] == 0 && b[i + 1] != 0)
            be++;
    }
    if (le * 10 >= units * 6 && be * 20 <= units) {
        *big_endian = 0;
        return 1;
    }
    if (be * 10 >= units * 6 && le * 20 <= units) {
        *big_endian = 1;
        return 1;
    }
    return 0;
}

static int decode(inf_file *f, const uint8_t *b, size_t n)
{
    size_t off = 0, units;
    int be = 0, utf16 = 0;
    if (n >= 2 && b[0] == 0xFF && b[1] == 0xFE) {
        f->enc = INF_ENC_UTF16LE;
        off = 2;
        utf16 = 1;
    } else if (n >= 2 && b[0] == 0xFE && b[1] == 0xFF) {
        f->enc = INF_ENC_UTF16BE;
        off = 2;
        utf16 = 1;
        be = 1;
    } else if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
        f->enc = INF_ENC_UTF8;
        off = 3;
    } else if (sniff_utf16(b, n, &be)) {
        f->enc = be ? INF_ENC_UTF16BE_NOBOM : INF_ENC_UTF16LE_NOBOM;
        utf16 = 1;
    } else {
        f->enc = INF_ENC_ANSI;
    }
    size_t len = n - off;
    units = utf16 ? len / 2 : len;
    uint16_t *t = malloc((units + 1) * sizeof(uint16_t));
    if (!t)
        return INF_E_NOMEM;
    const uint8_t *p = b + off;
    size_t o = 0;
    int bad_utf8 = 0;
    if (utf16) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (!be) {
            memcpy(t, p, units * sizeof(uint16_t));
            o = units;
        } else
#endif
        {
            for (size_t i = 0; i + 1 < len; i += 2)
                t[o++] = be ? (uint16_t)(p[i] << 8 | p[i + 1]) : (uint16_t)(p[i] | p[i + 1] << 8);
        }
    } else if (f->enc == INF_ENC_UTF8) {
        size_t i = 0;
        while (i < len) {
            uint32_t c = p[i];
            size_t need = 0;
            uint32_t min = 0;
            if (c < 0x80) {
                t[o++] = (uint16_t)c;
                i++;
                continue;
            } else if ((c & 0xE0) == 0xC0) {
                need = 1, c &= 0x1F, min = 0x80;
            } else if ((c & 0xF0) == 0xE0) {
                need = 2, c &= 0x0F, min = 0x800;
            } else if ((c & 0xF8) == 0xF0) {
                need = 3, c &= 0x07, min = 0x10000;
            } else {
                goto bad;
            }
            if (i + need >= len)
                goto bad;
            for (size_t k = 1; k <= need; k++) {
                if ((p[i + k] & 0xC0) != 0x80)
                    goto bad;
                c = c << 6 | (p[i + k] & 0x3F);
            }
            if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
                goto bad;
            i += need + 1;
            if (c >= 0x10000) {
                c -= 0x10000;
                t[o++] = (uint16_t)(0xD800 + (c >> 10));
                t[o++] = (uint16_t)(0xDC00 + (c & 0x3FF));
            } else {
                t[o++] = (uint16_t)c;
            }
            continue;
        bad:
            if (!bad_utf8)
                bad_utf8 = (int)(o + 1);
            t[o++] = 0xFFFD;
            i++;
        }
    } else {
        for (size_t i = 0; i < len; i++)
            t[o++] = pb_cp1252_to_unicode(p[i]);
    }
    t[o] = 0;
    f->text = t;
    f->ntext = o;

    /* Encoding diagnostics (InfVerif 1003: "must be ANSI or UTF-16 LE"). */
    if (f->enc == INF_ENC_UTF8)
        diag_rule(f, 0, 1003, "UTF-8 with a byte-order mark");
    else if (f->enc == INF_ENC_UTF16BE || f->enc == INF_ENC_UTF16BE_NOBOM)
        diag_rule(f, 0, 1003, "UTF-16 big-endian");
    if (bad_utf8)
        diag_rule(f, line_of(t, (size_t)bad_utf8 - 1), 1003, "invalid UTF-8 sequence");
    if (utf16 && (len & 1))
        diag_rule(f, line_of(t, o), 1003, "truncated UTF-16 text: odd number of bytes");

    /* One validation pass: Ctrl-Z ends the file, NUL reads as a space,
     * unpaired surrogates are reported (and kept, as the registry can hold them). */
    int nul_seen = 0, sur_seen = 0;
    for (size_t i = 0; i < f->ntext; i++) {
        uint16_t c = t[i];
        if (c > 0x1A && (c < 0xD800 || c > 0xDFFF))
            continue;
        if (c == 0x1A) {
            f->ntext = i;
            t[i] = 0;
            break;
        }
        if (c == 0) {
            t[i] = ' ';
            if (!nul_seen++)
                diag_rule(f, line_of(t, i), 1002, "NUL character in the text");
        } else if (c >= 0xD800 && c <= 0xDBFF) {
            if (i + 1 < f->ntext && t[i + 1] >= 0xDC00 && t[i + 1] <= 0xDFFF)
                i++;
            else if (!sur_seen++)
                diag_rule(f, line_of(t, i), 1003, "unpaired UTF-16 surrogate");
        } else if (c >= 0xDC00 && c <= 0xDFFF) {
            if (!sur_seen++)
                diag_rule(f, line_of(t, i), 1003, "unpaired UTF-16 surrogate");
        }
    }
    return 0;
}

/* stampinf replaces $ARCH$ in an .inx template with the target architecture. */
static int replace_arch(inf_file *f, inf_arch arch)
{
    static const uint16_t pat[] = {'$', 'A', 'R', 'C', 'H', '$'};
    const char *an = emu_inf_arch_name(arch);
    size_t alen = strlen(an), count = 0;
    uint16_t *t = f->text;
    for (size_t i = 0; i + 6 <= f->ntext; i++)
        if (t[i] == '$' && pb_wcsnieq(t + i, 6, pat, 6))
            count++;
    if (!count)
        return 0;
    size_t nn = f->ntext - count * 6 + count * alen;
    uint16_t *d = malloc((nn + 1) * sizeof(uint16_t));
    if (!d)
        return INF_E_NOMEM;
    size_t o = 0;
    for (size_t i = 0; i < f->ntext;) {
        if (i + 6 <= f->ntext && t[i] == '$' && pb_wcsnieq(t + i, 6, pat, 6)) {
            for (size_t k = 0; k < alen; k++)
                d[o++] = (uint16_t)an[k];
            i += 6;
        } else {
            d[o++] = t[i++];
        }
    }
    d[o] = 0;
    free(t);
    f->text = d;
    f->ntext = o;
    return 0;
}

/* ---- lexing ---- */

typedef struct pline { /* a line while parsing */
    uint32_t first_field, nfields;
    uint32_t lineno;
    uint32_t section;
    int has_key;
} pline;

typedef struct pheader {
    uint32_t section, lineno;
} pheader;

typedef struct lexer {
    inf_file *f;
    const uint16_t *p, *end;
    uint32_t lineno;
    int cur_section; /* -1: lines are dropped */

    /* field builder */
    const uint16_t *fstart;
    size_t flen, fmark;
    int fcopy;
    uint16_t *scratch;
    size_t scap;
    uint32_t fline, fflags;

    pline *lines;
    uint32_t nlines, lcap;
    size_t fcap;
    pheader *headers;
    uint32_t nheaders, hcap;
    uint32_t *sec_nheaders; /* per section while lexing */
    uint32_t sec_cap;
    int oom;
} lexer;

/* Blanks: ASCII space and tab (also VT, FF) and the Unicode space separators
 * (U+00A0, U+2000-U+200A, U+3000 ...) plus U+FEFF, as iswspace classifies them. */
static inline int is_ws(uint16_t c)
{
    if (c < 0x80)
        return c == ' ' || c == '\t' || c == '\v' || c == '\f';
    return c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F ||
           c == 0x3000 || c == 0xFEFF;
}

static inline int is_eol(const lexer *lx, const uint16_t *p)
{
    return p >= lx->end || *p == '\n' || *p == '\r';
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    void *n = realloc(*arr, nc * elem);
    if (!n)
        return -1;
    *arr = n;
    *cap = nc;
    return 0;
}

static void field_begin(lexer *lx)
{
    lx->fstart = lx->p;
    lx->flen = lx->fmark = 0;
    lx->fcopy = 0;
    lx->fline = lx->lineno;
    lx->fflags = 0;
}

static inline void field_add(lexer *lx, const uint16_t *ptr, int significant)
{
    if (!lx->fcopy) {
        if (lx->flen == 0) {
            lx->fstart = ptr;
            lx->flen = 1;
            goto mark;
        }
        if (lx->fstart + lx->flen == ptr) {
            lx->flen++;
            goto mark;
        }
        if (lx->flen + 1 > lx->scap) {
            size_t c = lx->scap;
            if (grow((void **)&lx->scratch, &c, lx->flen + 64, sizeof(uint16_t))) {
                lx->oom = 1;
                return;
            }
            lx->scap = c;
        }
        memcpy(lx->scratch, lx->fstart, lx->flen * sizeof(uint16_t));
        lx->fcopy = 1;
    }
    if (lx->flen + 1 > lx->scap) {
        size_t c = lx->scap;
        if (grow((void **)&lx->scratch, &c, lx->flen + 1, sizeof(uint16_t))) {
            lx->oom = 1;
            return;
        }
        lx->scap = c;
    }
    lx->scratch[lx->flen++] = *ptr;
mark:
    if (significant)
        lx->fmark = lx->flen;
}

/* Add n consecutive significant characters (the common case: a plain slice). */
static inline void field_add_run(lexer *lx, const uint16_t *ptr, size_t n)
{
    if (!lx->fcopy) {
        if (lx->flen == 0) {
            lx->fstart = ptr;
            lx->flen = lx->fmark = n;
            return;
        }
        if (lx->fstart + lx->flen == ptr) {
            lx->flen += n;
            lx->fmark = lx->flen;
            return;
        }
    }
    for (size_t i = 0; i < n; i++)
        field_add(lx, ptr + i, 1);
}

/* A character with no lexical meaning: not a blank, quote, separator, comment, escape or line end. */
static inline int is_plain(uint16_t c)
{
    if (c < 0x80)
        return c > ' ' && c != '"' && c != ';' && c != ',' && c != '=' && c != '%' && c != '\\' && c != 0x7f;
    return !is_ws(c);
}

static void field_end(lexer *lx)
{
    inf_file *f = lx->f;
    size_t n = lx->fmark;
    if (grow((void **)&f->fields, &lx->fcap, f->nfields + 1, sizeof(inf_field))) {
        lx->oom = 1;
        return;
    }
    inf_field *fd = &f->fields[f->nfields++];
    fd->lineno = lx->fline;
    fd->flags = lx->fflags;
    if (lx->fcopy) {
        uint16_t *c = inf_arena_wdup(&f->arena, lx->scratch, n);
        if (!c) {
            lx->oom = 1;
            return;
        }
        fd->raw.s = c;
    } else {
        fd->raw.s = n ? lx->fstart : inf_empty_w;
    }
    fd->raw.n = n;
    fd->val = fd->raw;
    if (n > INF_MAX_FIELD) {
        fd->flags |= INF_FIELD_TOO_LONG;
        diag_rule(f, lx->fline, 1002, "a field is longer than 4096 characters");
    }
}

/* Skip the rest of the physical line and its line break. */
static void next_line(lexer *lx)
{
    while (lx->p < lx->end && *lx->p != '\n' && *lx->p != '\r')
        lx->p++;
    if (lx->p < lx->end) {
        if (*lx->p == '\r' && lx->p + 1 < lx->end && lx->p[1] == '\n')
            lx->p++;
        lx->p++;
    }
    lx->lineno++;
}

static int section_lookup_or_add(lexer *lx, const uint16_t *name, size_t n, uint32_t *idx);

static void parse_header(lexer *lx)
{
    inf_file *f = lx->f;
    uint32_t line = lx->lineno;
    const uint16_t *p = lx->p + 1, *ns, *ne;
    while (p < lx->end && is_ws(*p))
        p++;
    if (p < lx->end && *p == '"') {
        ns = ++p;
        while (!is_eol(lx, p) && *p != '"')
            p++;
        ne = p;
        if (!is_eol(lx, p))
            p++;
        while (!is_eol(lx, p) && is_ws(*p))
            p++;
        if (is_eol(lx, p) || *p != ']') {
            diag_rule(f, line, 1002, "section header has no closing ']'");
            lx->cur_section = -1;
            next_line(lx);
            return;
        }
    } else {
        ns = p;
        while (!is_eol(lx, p) && *p != ']' && *p != ';')
            p++;
        if (is_eol(lx, p) || *p != ']') {
            diag_rule(f, line, 1002, "section header has no closing ']'");
            lx->cur_section = -1;
            next_line(lx);
            return;
        }
        ne = p;
        while (ne > ns && is_ws(ne[-1]))
            ne--;
        for (const uint16_t *q = ns; q < ne; q++)
            if (*q == '[' || *q == '"') {
                diag_rule(f, line, 1002, "section name has a '[' or '\"' outside quotes");
                break;
            }
    }
    p++; /* ']' */
    while (!is_eol(lx, p) && is_ws(*p))
        p++;
    if (!is_eol(lx, p) && *p != ';')
        diag_rule(f, line, 1002, "text after the section header");
    lx->p = p;
    size_t n = (size_t)(ne - ns);
    if (n == 0) {
        diag_rule(f, line, 1002, "empty section name");
        lx->cur_section = -1;
        next_line(lx);
        return;
    }
    if (n > INF_MAX_SECTION_NAME)
        diag_rule(f, line, 1002, "section name is longer than 255 characters");
    uint32_t idx;
    if (section_lookup_or_add(lx, ns, n, &idx)) {
        lx->oom = 1;
        return;
    }
    lx->cur_section = (int)idx;
    size_t hc = lx->hcap;
    if (grow((void **)&lx->headers, &hc, lx->nheaders + 1, sizeof(pheader))) {
        lx->oom = 1;
        return;
    }
    lx->hcap = (uint32_t)hc;
    lx->headers[lx->nheaders++] = (pheader){idx, line};
    next_line(lx);
}

/*
 * After an unquoted '\': is it a line continuation?  It is when only
 * whitespace, or a comment, follows on the physical line.
 */
static int is_continuation(const lexer *lx, const uint16_t *bs)
{
    const uint16_t *q = bs + 1;
    while (q < lx->end && is_ws(*q))
        q++;
    return is_eol(lx, q) || *q == ';';
}

static void parse_data(lexer *lx)
{
    inf_file *f = lx->f;
    uint32_t first = (uint32_t)f->nfields;
    uint32_t start_line = lx->lineno;
    int has_key = 0, seen_comma = 0, in_quote = 0;
    field_begin(lx);
    for (;;) {
        if (lx->oom)
            return;
        const uint16_t *p = lx->p;
        if (is_eol(lx, p)) {
            field_end(lx);
            next_line(lx);
            break;
        }
        uint16_t c = *p;
        if (in_quote) {
            if (c == '"') {
                if (p + 1 < lx->end && p[1] == '"') {
                    field_add(lx, p, 1);
                    lx->p = p + 2;
                } else {
                    in_quote = 0;
                    lx->p = p + 1;
                }
            } else {
                field_add(lx, p, 1);
                lx->p = p + 1;
            }
            continue;
        }
        switch (c) {
        case '"':
            in_quote = 1;
            lx->fflags |= INF_FIELD_QUOTED;
            lx->p = p + 1;
            break;
        case ';':
            field_end(lx);
            next_line(lx);
            goto done;
        case ',':
            field_end(lx);
            seen_comma = 1;
            lx->p = p + 1;
            while (lx->p < lx->end && is_ws(*lx->p))
                lx->p++;
            field_begin(lx);
            break;
        case '=':
            if (!has_key && !seen_comma) {
                field_end(lx);
                has_key = 1;
                lx->p = p + 1;
                while (lx->p < lx->end && is_ws(*lx->p))
                    lx->p++;
                field_begin(lx);
            } else {
                field_add(lx, p, 1);
                lx->p = p + 1;
            }
            break;
        case '%': {
            if (p + 1 < lx->end && p[1] == '%') {
                field_add(lx, p, 1);
                field_add(lx, p + 1, 1);
                lx->p = p + 2;
                break;
            }
            const uint16_t *q = p + 1;
            while (!is_eol(lx, q) && *q != '%' && *q != ',' && *q != '"')
                q++;
            if (!is_eol(lx, q) && *q == '%') {
                for (const uint16_t *r = p; r <= q; r++)
                    field_add(lx, r, 1);
                lx->p = q + 1;
            } else {
                field_add(lx, p, 1);
                lx->p = p + 1;
            }
            break;
        }
        case '\\':
            if (is_continuation(lx, p)) {
                /* "dir\\" + newline: the first '\' is dropped too (GSR). */
                if (lx->flen && lx->fmark == lx->flen && p > lx->f->text && p[-1] == '\\') {
                    lx->flen--;
                    lx->fmark = lx->flen;
                }
                next_line(lx);
                if (lx->p >= lx->end) {
                    field_end(lx);
                    goto done;
                }
                /* Leading whitespace of the continued line does not start a field,
                 * and a field that has not started yet starts on this line. */
                if (lx->flen == 0) {
                    while (lx->p < lx->end && is_ws(*lx->p))
                        lx->p++;
                    lx->fline = lx->lineno;
                }
                break;
            }
            field_add(lx, p, 1);
            lx->p = p + 1;
            break;
        default:
            if (is_ws(c)) {
                if (lx->flen)
                    field_add(lx, p, 0);
                lx->p = p + 1;
            } else {
                const uint16_t *q = p + 1;
                while (q < lx->end && is_plain(*q))
                    q++;
                field_add_run(lx, p, (size_t)(q - p));
                lx->p = q;
            }
            break;
        }
    }
done:
    if (lx->oom)
        return;
    uint32_t nf = (uint32_t)f->nfields - first;
    if (!has_key && nf == 1 && f->fields[first].raw.n == 0 && !(f->fields[first].flags & INF_FIELD_QUOTED)) {
        f->nfields = first; /* an empty line */
        return;
    }
    if (lx->cur_section < 0) {
        f->nfields = first; /* outside any section: ignored */
        return;
    }
    size_t c = lx->lcap;
    if (grow((void **)&lx->lines, &c, lx->nlines + 1, sizeof(pline))) {
        lx->oom = 1;
        return;
    }
    lx->lcap = (uint32_t)c;
    lx->lines[lx->nlines++] = (pline){first, nf, start_line, (uint32_t)lx->cur_section, has_key};
}

/* ---- sections ---- */

static int sec_hash_insert(inf_file *f, uint32_t idx)
{
    uint32_t mask = f->sec_hash_cap - 1;
    inf_str nm = f->sections[idx].name;
    uint32_t h = inf_hash_w(nm.s, nm.n) & mask;
    while (f->sec_hash[h] != UINT32_MAX)
        h = (h + 1) & mask;
    f->sec_hash[h] = idx;
    return 0;
}

static int sec_hash_grow(inf_file *f)
{
    uint32_t cap = f->sec_hash_cap ? f->sec_hash_cap * 2 : 64;
    uint32_t *h = malloc(cap * sizeof *h);
    if (!h)
        return -1;
    memset(h, 0xff, cap * sizeof *h);
    free(f->sec_hash);
    f->sec_hash = h;
    f->sec_hash_cap = cap;
    for (uint32_t i = 0; i < f->nsections; i++)
        sec_hash_insert(f, i);
    return 0;
}

const inf_section *inf_section_get(const inf_file *f, const uint16_t *name, size_t n)
{
    if (!f || !f->sec_hash_cap)
        return NULL;
    uint32_t mask = f->sec_hash_cap - 1;
    uint32_t h = inf_hash_w(name, n) & mask;
    while (f->sec_hash[h] != UINT32_MAX) {
        const inf_section *s = &f->sections[f->sec_hash[h]];
        if (pb_wcsnieq(s->name.s, s->name.n, name, n))
            return s;
        h = (h + 1) & mask;
    }
    return NULL;
}

int inf_section_index(const inf_file *f, const inf_section *s)
{
    return s ? (int)(s - f->sections) : -1;
}

static int section_lookup_or_add(lexer *lx, const uint16_t *name, size_t n, uint32_t *idx)
{
    inf_file *f = lx->f;
    const inf_section *s = inf_section_get(f, name, n);
    if (s) {
        *idx = (uint32_t)(s - f->sections);
        return 0;
    }
    size_t cap = lx->sec_cap;
    if (grow((void **)&f->sections, &cap, f->nsections + 1, sizeof(inf_section)))
        return -1;
    lx->sec_cap = (uint32_t)cap;
    /* The name is a slice of the text, which the file owns. */
    f->sections[f->nsections] = (inf_section){{name, n}, NULL, 0, NULL, 0};
    *idx = f->nsections++;
    if ((f->nsections) * 2 > f->sec_hash_cap) {
        if (sec_hash_grow(f))
            return -1;
    } else {
        sec_hash_insert(f, *idx);
    }
    return 0;
}

/* ---- [Strings] ---- */

int inf_is_strings_section(inf_str name, uint16_t *langid, int *decorated)
{
    if (!inf_str_istarts(name, "Strings"))
        return 0;
    if (name.n == 7) {
        *decorated = 0;
        *langid = 0;
        return 1;
    }
    if (name.s[7] != '.' || name.n < 9 || name.n > 12)
        return 0;
    uint32_t v = 0;
    for (size_t i = 8; i < name.n; i++) {
        uint16_t c = name.s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return 0;
        v = v * 16 + (uint32_t)d;
    }
    *decorated = 1;
    *langid = (uint16_t)v;
    return 1;
}

/*
 * The reference's selection order: exact LANGID, then the same primary
 * language with SUBLANG_NEUTRAL, then the same primary language with any
 * sublanguage (lowest LANGID first), then undecorated [Strings].
 */
static int choose_strings(inf_file *f, uint16_t want, uint16_t *got)
{
    int exact = -1, neutral = -1, primary = -1, plain = -1;
    uint16_t primary_id = 0;
    for (uint32_t i = 0; i < f->nsections; i++) {
        uint16_t id;
        int dec;
        if (!inf_is_strings_section(f->sections[i].name, &id, &dec))
            continue;
        if (!dec) {
            plain = (int)i;
        } else if (id == want) {
            exact = (int)i;
        } else if ((id & 0x3ff) == (want & 0x3ff)) {
            if ((id >> 10) == 0)
                neutral = (int)i;
            else if (primary < 0 || id < primary_id)
                primary = (int)i, primary_id = id;
        }
    }
    int pick = exact >= 0 ? exact : neutral >= 0 ? neutral : primary >= 0 ? primary : plain;
    *got = 0;
    if (pick >= 0 && pick != plain)
        inf_is_strings_section(f->sections[pick].name, got, &(int){0});
    return pick;
}

static int build_strings(inf_file *f, uint16_t langid)
{
    f->strings_sec = choose_strings(f, langid, &f->strings_langid);
    if (f->strings_sec < 0)
        return 0;
    const inf_section *s = &f->sections[f->strings_sec];
    f->strdefs = malloc((s->nlines + 1) * sizeof *f->strdefs);
    uint32_t cap = 16;
    while (cap < s->nlines * 2)
        cap *= 2;
    f->str_hash = malloc(cap * sizeof *f->str_hash);
    if (!f->strdefs || !f->str_hash)
        return INF_E_NOMEM;
    memset(f->str_hash, 0xff, cap * sizeof *f->str_hash);
    f->str_hash_cap = cap;
    for (uint32_t i = 0; i < s->nlines; i++) {
        const inf_line *l = &s->lines[i];
        if (!l->key)
            continue;
        inf_str key = l->key->raw, value = l->fields[0].raw;
        if (l->nfields > 1) {
            /* Unquoted commas split the value; join the pieces back. */
            size_t tot = 0;
            for (uint32_t k = 0; k < l->nfields; k++)
                tot += l->fields[k].raw.n + 1;
            uint16_t *v = inf_arena_alloc(&f->arena, tot * sizeof(uint16_t));
            if (!v)
                return INF_E_NOMEM;
            size_t o = 0;
            for (uint32_t k = 0; k < l->nfields; k++) {
                if (k)
                    v[o++] = ',';
                if (l->fields[k].raw.n)
                    inf_wcopy(v + o, l->fields[k].raw.s, l->fields[k].raw.n);
                o += l->fields[k].raw.n;
            }
            value = (inf_str){v, o};
        }
        uint32_t h = inf_hash_w(key.s, key.n) & (cap - 1);
        int dup = 0;
        while (f->str_hash[h] != UINT32_MAX) {
            const inf_strdef *d = &f->strdefs[f->str_hash[h]];
            if (pb_wcsnieq(d->key.s, d->key.n, key.s, key.n)) {
                dup = 1;
                break;
            }
            h = (h + 1) & (cap - 1);
        }
        if (dup)
            continue;
        f->strdefs[f->nstrdefs] = (inf_strdef){key, value, UINT32_MAX};
        f->str_hash[h] = f->nstrdefs++;
    }
    return 0;
}

int emu_inf_string(const inf_file *f, const uint16_t *key, size_t n, inf_str *out)
{
    if (!f || !out || (!key && n))
        return INF_E_INVAL;
    if (!f->str_hash_cap)
        return INF_E_NOTFOUND;
    uint32_t mask = f->str_hash_cap - 1, h = inf_hash_w(key, n) & mask;
    while (f->str_hash[h] != UINT32_MAX) {
        const inf_strdef *d = &f->strdefs[f->str_hash[h]];
        if (pb_wcsnieq(d->key.s, d->key.n, key, n)) {
            *out = d->value;
            return 0;
        }
        h = (h + 1) & mask;
    }
    return INF_E_NOTFOUND;
}

/* ---- substitution ---- */

static int is_number_token(const uint16_t *s, size_t n)
{
    if (n && s[0] == '-') {
        s++;
        n--;
    }
    if (!n || n > 10)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

typedef struct wbuf {
    uint16_t *s;
    size_t n, cap;
    int oom;
} wbuf;

static void wb_add(wbuf *b, const uint16_t *s, size_t n)
{
    if (b->n + n > b->cap) {
        size_t c = b->cap;
        if (grow((void **)&b->s, &c, b->n + n, sizeof(uint16_t))) {
            b->oom = 1;
            return;
        }
        b->cap = c;
    }
    if (n)
        memcpy(b->s + b->n, s, n * sizeof(uint16_t));
    b->n += n;
}

static void subst(inf_file *f, inf_field *fd, wbuf *wb)
{
    inf_str raw = fd->raw;
    size_t i = 0;
    for (; i < raw.n; i++)
        if (raw.s[i] == '%')
            break;
    if (i == raw.n)
        return; /* val = raw */
    wb->n = 0;
    wb_add(wb, raw.s, i);
    while (i < raw.n) {
        uint16_t c = raw.s[i];
        if (c != '%') {
            size_t j = i;
            while (j < raw.n && raw.s[j] != '%')
                j++;
            wb_add(wb, raw.s + i, j - i);
            i = j;
            continue;
        }
        if (i + 1 < raw.n && raw.s[i + 1] == '%') {
            wb_add(wb, raw.s + i, 1);
            i += 2;
            continue;
        }
        size_t j = i + 1;
        while (j < raw.n && raw.s[j] != '%')
            j++;
        if (j >= raw.n) { /* a lone '%' */
            wb_add(wb, raw.s + i, raw.n - i);
            break;
        }
        const uint16_t *tok = raw.s + i + 1;
        size_t tn = j - i - 1;
        inf_str v;
        if (is_number_token(tok, tn)) {
            fd->flags |= INF_FIELD_HAS_DIRID;
            wb_add(wb, raw.s + i, tn + 2);
        } else if (emu_inf_string(f, tok, tn, &v) == 0) {
            fd->flags |= INF_FIELD_HAS_STRKEY;
            wb_add(wb, v.s, v.n);
        } else {
            fd->flags |= INF_FIELD_UNDEFINED;
            wb_add(wb, raw.s + i, tn + 2);
            diag_rule(f, fd->lineno, 1235, inf_u8((inf_str){tok, tn}));
        }
        i = j + 1;
    }
    if (wb->oom)
        return;
    uint16_t *v = inf_arena_wdup(&f->arena, wb->s, wb->n);
    if (!v) {
        wb->oom = 1;
        return;
    }
    fd->val = (inf_str){v, wb->n};
    if (wb->n > INF_MAX_FIELD && !(fd->flags & INF_FIELD_TOO_LONG)) {
        fd->flags |= INF_FIELD_TOO_LONG;
        diag_rule(f, fd->lineno, 1002, "a field is longer than 4096 characters after string substitution");
    }
}

/* ---- assembly ---- */

static int finalize(inf_file *f, lexer *lx, uint16_t langid)
{
    /* Group lines by section (stable counting sort). */
    uint32_t ns = f->nsections;
    uint32_t *count = calloc(ns + 1, sizeof *count);
    uint32_t *hcount = calloc(ns + 1, sizeof *hcount);
    if (!count || !hcount) {
        free(count);
        free(hcount);
        return INF_E_NOMEM;
    }
    for (uint32_t i = 0; i < lx->nlines; i++)
        count[lx->lines[i].section + 1]++;
    for (uint32_t i = 0; i < ns; i++)
        count[i + 1] += count[i];
    for (uint32_t i = 0; i < lx->nheaders; i++)
        hcount[lx->headers[i].section + 1]++;
    for (uint32_t i = 0; i < ns; i++)
        hcount[i + 1] += hcount[i];
    f->lines = inf_arena_alloc(&f->arena, (lx->nlines + 1) * sizeof(inf_line));
    uint32_t *hl = inf_arena_alloc(&f->arena, (lx->nheaders + 1) * sizeof(uint32_t));
    if (!f->lines || !hl) {
        free(count);
        free(hcount);
        return INF_E_NOMEM;
    }
    f->nlines = lx->nlines;
    for (uint32_t i = 0; i < ns; i++) {
        f->sections[i].lines = f->lines + count[i];
        f->sections[i].nlines = count[i + 1] - count[i];
        f->sections[i].header_lines = hl + hcount[i];
        f->sections[i].nheaders = hcount[i + 1] - hcount[i];
    }
    for (uint32_t i = 0; i < lx->nheaders; i++)
        hl[hcount[lx->headers[i].section]++] = lx->headers[i].lineno;
    for (uint32_t i = 0; i < lx->nlines; i++) {
        const pline *pl = &lx->lines[i];
        inf_line *l = &f->lines[count[pl->section]++];
        const inf_field *fs = f->fields + pl->first_field;
        l->key = pl->has_key ? fs : NULL;
        l->fields = pl->has_key ? fs + 1 : fs;
        l->nfields = pl->has_key ? pl->nfields - 1 : pl->nfields;
        l->lineno = pl->lineno;
        l->section = pl->section;
    }
    free(count);
    free(hcount);

    int rc = build_strings(f, langid);
    if (rc)
        return rc;

    /* Substitute every field outside the [Strings*] sections. */
    wbuf wb = {0};
    for (uint32_t si = 0; si < ns; si++) {
        const inf_section *s = &f->sections[si];
        uint16_t id;
        int dec;
        if (inf_is_strings_section(s->name, &id, &dec))
            continue;
        for (uint32_t li = 0; li < s->nlines; li++) {
            const inf_line *l = &s->lines[li];
            if (l->key)
                subst(f, (inf_field *)l->key, &wb);
            for (uint32_t k = 0; k < l->nfields; k++)
                subst(f, (inf_field *)&l->fields[k], &wb);
        }
    }
    free(wb.s);
    return wb.oom ? INF_E_NOMEM : 0;
}

static const char *base_of(const char *p)
{
    const char *b = p;
    for (const char *q = p; *q; q++)
        if (*q == '/' || *q == '\\')
            b = q + 1;
    return b;
}

int emu_inf_parse_mem(const void *data, size_t n, const char *name, const inf_parse_opts *opts,
                      inf_file **out)
{
    if (!out)
        return INF_E_INVAL;
    *out = NULL;
    if (!data && n)
        return INF_E_INVAL;
    if (n > INF_MAX_FILE_BYTES)
        return INF_E_TOOBIG;
    inf_parse_opts o = {0};
    if (opts)
        o = *opts;
    if (!o.langid)
        o.langid = 0x0409;
    if (!name)
        name = "<memory>";
    int rc = INF_E_NOMEM;
    inf_file *f = calloc(1, sizeof *f);
    if (!f)
        return INF_E_NOMEM;
    f->strings_sec = -1;
    f->size = n;
    f->name = strdup(name);
    if (!f->name)
        goto fail;
    f->base = (char *)base_of(f->name);
    size_t bl = strlen(f->base);
    f->inx = o.inx == 1 || (o.inx == 0 && bl >= 4 && !strcasecmp(f->base + bl - 4, ".inx"));

    rc = decode(f, data ? data : (const void *)"", n);
    if (rc)
        goto fail;
    if (f->inx && (rc = replace_arch(f, o.arch)) != 0)
        goto fail;

    lexer lx = {0};
    lx.f = f;
    lx.p = f->text;
    lx.end = f->text + f->ntext;
    lx.lineno = 1;
    lx.cur_section = -1;
    while (lx.p < lx.end && !lx.oom) {
        while (lx.p < lx.end && is_ws(*lx.p))
            lx.p++;
        if (lx.p >= lx.end)
            break;
        uint16_t c = *lx.p;
        if (c == '\n' || c == '\r' || c == ';')
            next_line(&lx);
        else if (c == '[')
            parse_header(&lx);
        else
            parse_data(&lx);
    }
    rc = lx.oom ? INF_E_NOMEM : finalize(f, &lx, o.langid);
    free(lx.scratch);
    free(lx.lines);
    free(lx.headers);
    if (rc)
        goto fail;
    if (f->arena.oom) {
        rc = INF_E_NOMEM;
        goto fail;
    }
    PB_DEBUG(PB_CH_INF, "parsed '%s' (%s): %u sections, %u lines, %u diagnostics", f->name,
             emu_inf_encoding_name(f->enc), f->nsections, f->nlines, f->ndiags);
    *out = f;
    return 0;
fail:
    PB_DEBUG(PB_CH_INF, "cannot parse '%s': %s", name, emu_inf_strerror(rc));
    emu_inf_free(f);
    return rc;
}

int emu_inf_parse_file(const char *path, const inf_parse_opts *opts, inf_file **out)
{
    if (!path || !out)
        return INF_E_INVAL;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? INF_E_NOTFOUND : INF_E_IO;
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return INF_E_IO;
    }
    if ((uint64_t)st.st_size > INF_MAX_FILE_BYTES) {
        close(fd);
        return INF_E_TOOBIG;
    }
    size_t n = (size_t)st.st_size, got = 0;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return INF_E_NOMEM;
    }
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (got != n) {
        free(buf);
        return INF_E_IO;
    }
    int rc = emu_inf_parse_mem(buf, n, path, opts, out);
    free(buf);
    return rc;
}

void emu_inf_free(inf_file *f)
{
    if (!f)
        return;
    free(f->text);
    free(f->sections);
    free(f->sec_hash);
    free(f->fields);
    free(f->strdefs);
    free(f->str_hash);
    free(f->diags);
    free(f->name);
    inf_arena_free(&f->arena);
    free(f);
}

/* ---- accessors ---- */

const char *emu_inf_name(const inf_file *f) { return f ? f->name : NULL; }
const char *emu_inf_basename(const inf_file *f) { return f ? f->base : NULL; }
inf_encoding emu_inf_encoding(const inf_file *f) { return f ? f->enc : INF_ENC_ANSI; }
int emu_inf_is_template(const inf_file *f) { return f ? f->inx : 0; }
size_t emu_inf_size(const inf_file *f) { return f ? f->size : 0; }
size_t emu_inf_diag_count(const inf_file *f) { return f ? f->ndiags : 0; }

const inf_diag *emu_inf_diag_at(const inf_file *f, size_t i)
{
    return f && i < f->ndiags ? &f->diags[i] : NULL;
}

size_t emu_inf_section_count(const inf_file *f) { return f ? f->nsections : 0; }

const inf_section *emu_inf_section_at(const inf_file *f, size_t i)
{
    return f && i < f->nsections ? &f->sections[i] : NULL;
}

const inf_section *emu_inf_section_w(const inf_file *f, const uint16_t *name, size_t n)
{
    if (!f || (!name && n))
        return NULL;
    return inf_section_get(f, name, n);
}

const inf_section *emu_inf_section(const inf_file *f, const char *ascii)
{
    if (!f || !ascii)
        return NULL;
    uint16_t w[INF_MAX_SECTION_NAME + 1];
    size_t n = strlen(ascii);
    if (n > INF_MAX_SECTION_NAME)
        return NULL;
    for (size_t i = 0; i < n; i++)
        w[i] = (unsigned char)ascii[i];
    return inf_section_get(f, w, n);
}

const inf_line *emu_inf_find_key(const inf_section *sec, const char *ascii_key)
{
    if (!sec || !ascii_key)
        return NULL;
    for (uint32_t i = 0; i < sec->nlines; i++)
        if (inf_line_key_is(&sec->lines[i], ascii_key))
            return &sec->lines[i];
    return NULL;
}

const inf_section *emu_inf_strings_section(const inf_file *f, uint16_t *langid)
{
    if (!f || f->strings_sec < 0)
        return NULL;
    if (langid)
        *langid = f->strings_langid;
    return &f->sections[f->strings_sec];
}

void emu_inf_field_expand(const inf_file *f, const inf_field *fd, inf_dirid_fn dirid, void *ctx,
                          pb_buf *out)
{
    if (!f || !fd || !out)
        return;
    inf_str raw = fd->raw;
    size_t i = 0;
    while (i < raw.n) {
        if (raw.s[i] != '%') {
            size_t j = i;
            while (j < raw.n && raw.s[j] != '%')
                j++;
            pb_buf_add_wcs(out, raw.s + i, j - i);
            i = j;
            continue;
        }
        if (i + 1 < raw.n && raw.s[i + 1] == '%') {
            pb_buf_add_u16(out, '%');
            i += 2;
            continue;
        }
        size_t j = i + 1;
        while (j < raw.n && raw.s[j] != '%')
            j++;
        if (j >= raw.n) {
            pb_buf_add_wcs(out, raw.s + i, raw.n - i);
            break;
        }
        const uint16_t *tok = raw.s + i + 1;
        size_t tn = j - i - 1;
        inf_str v;
        int done = 0;
        if (is_number_token(tok, tn)) {
            int64_t d = 0;
            emu_inf_parse_int((inf_str){tok, tn}, &d);
            if (dirid && dirid(ctx, (int32_t)d, out) == 0)
                done = 1;
        } else if (emu_inf_string(f, tok, tn, &v) == 0) {
            pb_buf_add_wcs(out, v.s, v.n);
            done = 1;
        }
        if (!done)
            pb_buf_add_wcs(out, raw.s + i, tn + 2);
        i = j + 1;
    }
}

int emu_inf_parse_int(inf_str s, int64_t *out)
{
    if (!out)
        return INF_E_INVAL;
    s = inf_str_trim(s);
    size_t i = 0;
    int neg = 0;
    if (i < s.n && (s.s[i] == '-' || s.s[i] == '+')) {
        neg = s.s[i] == '-';
        i++;
    }
    uint64_t v = 0;
    int base = 10;
    if (i + 1 < s.n && s.s[i] == '0' && (s.s[i + 1] == 'x' || s.s[i + 1] == 'X')) {
        base = 16;
        i += 2;
    }
    size_t d0 = i;
    for (; i < s.n; i++) {
        uint16_t c = s.s[i];
        int d = c >= '0' && c <= '9' ? c - '0'
                : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
                : base == 16 && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return INF_E_INVAL;
        v = v * (uint64_t)base + (uint64_t)d;
        if (v > 0xFFFFFFFFFFFFull)
            return INF_E_INVAL;
    }
    if (i == d0)
        return INF_E_INVAL;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

/* ---- Include= loading ---- */

static int list_has(inf_file **list, size_t n, inf_str name)
{
    for (size_t i = 0; i < n; i++) {
        const char *b = list[i]->base;
        size_t bl = strlen(b);
        if (bl != name.n)
            continue;
        size_t k = 0;
        for (; k < bl; k++) {
            uint16_t c = name.s[k];
            unsigned char d = (unsigned char)b[k];
            if (c >= 'a' && c <= 'z')
                c = (uint16_t)(c - 32);
            if (d >= 'a' && d <= 'z')
                d = (unsigned char)(d - 32);
            if (c != d)
                break;
        }
        if (k == bl)
            return 1;
    }
    return 0;
}

static int load_from(const inf_file *inf, const char *const *dirs, size_t ndirs, const inf_parse_opts *o,
                     inf_file ***list, size_t *n, size_t *cap, int depth)
{
    if (depth > 8)
        return 0;
    for (uint32_t si = 0; si < inf->nsections; si++) {
        const inf_section *s = &inf->sections[si];
        for (uint32_t li = 0; li < s->nlines; li++) {
            const inf_line *l = &s->lines[li];
            if (!inf_line_key_is(l, "Include"))
                continue;
            for (uint32_t k = 0; k < l->nfields; k++) {
                inf_str nm = inf_str_trim(l->fields[k].val);
                if (!nm.n || list_has(*list, *n, nm) || nm.n > 255)
                    continue;
                char *u8 = inf_u8_dup(nm);
                if (!u8)
                    return INF_E_NOMEM;
                if (strchr(u8, '/') || strchr(u8, '\\') || !strcmp(u8, "..")) {
                    free(u8);
                    continue; /* only plain file names are looked up */
                }
                for (size_t d = 0; d < ndirs; d++) {
                    char path[4096];
                    if ((size_t)snprintf(path, sizeof path, "%s/%s", dirs[d], u8) >= sizeof path)
                        continue;
                    inf_file *g = NULL;
                    int rc = emu_inf_parse_file(path, o, &g);
                    if (rc == INF_E_NOMEM) {
                        free(u8);
                        return rc;
                    }
                    if (rc)
                        continue;
                    /* Keep the name as written in the Include line's case-insensitive match. */
                    if (grow((void **)list, cap, *n + 1, sizeof(inf_file *))) {
                        emu_inf_free(g);
                        free(u8);
                        return INF_E_NOMEM;
                    }
                    (*list)[(*n)++] = g;
                    rc = load_from(g, dirs, ndirs, o, list, n, cap, depth + 1);
                    if (rc) {
                        free(u8);
                        return rc;
                    }
                    break;
                }
                free(u8);
            }
        }
    }
    return 0;
}

int emu_inf_load_includes(const inf_file *inf, const char *const *dirs, size_t ndirs,
                          const inf_parse_opts *opts, inf_file ***out, size_t *nout)
{
    if (!inf || !out || !nout || (!dirs && ndirs))
        return INF_E_INVAL;
    *out = NULL;
    *nout = 0;
    inf_file **list = NULL;
    size_t n = 0, cap = 0;
    int rc = load_from(inf, dirs, ndirs, opts, &list, &n, &cap, 0);
    if (rc) {
        emu_inf_free_list(list, n);
        return rc;
    }
    *out = list;
    *nout = n;
    return 0;
}

void emu_inf_free_list(inf_file **list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        emu_inf_free(list[i]);
    free(list);
}
