/*
 * regfile.c: .reg import and export in regedit's "Windows Registry Editor
 * Version 5.00" format (regdb_export/regdb_import are declared in regdb.h,
 * the HKEY_* root table in regfile.h).  Exported text must read back into
 * the same tree: export -> import into a fresh store -> export is
 * byte-identical.
 *
 * Export writes exactly this (regedit's layout; where regedit's behaviour
 * is not documented, the choice is ours and stated here):
 *   - UTF-16LE with a BOM (FF FE), every line ended by CRLF;
 *   - "Windows Registry Editor Version 5.00", a blank line;
 *   - for the key and each key below it, depth first in regdb's
 *     enumeration order (subkeys by uppercased name): "[HKEY_...\path]",
 *     one line per value in creation order, a blank line.  The path comes
 *     from regdb_key_path with \REGISTRY\MACHINE -> HKEY_LOCAL_MACHINE and
 *     \REGISTRY\USER -> HKEY_USERS; a key elsewhere (\REGISTRY itself)
 *     cannot be exported (REGDB_E_INVAL).
 *   - the value name: "@" for the default value, else "name" with
 *     '\' -> "\\" and '"' -> "\"";
 *   - the data:
 *       REG_SZ as "text" (same escapes) when the data is well formed:
 *         an even length of 2 or more bytes, exactly one NUL unit and that
 *         at the end, no CR or LF (a .reg line cannot hold them) and no
 *         unpaired surrogate.  Any other REG_SZ is hex(1):.
 *       REG_DWORD of exactly 4 bytes as dword:0000002a, else hex(4):.
 *       REG_BINARY as hex:.
 *       every other type N as hex(N): with N in lowercase hex without
 *         leading zeros (hex(0), hex(2), hex(7), hex(b), hex(12345678)).
 *   - hex bytes are two lowercase digits, separated by ','.  Wrapping: a
 *     byte and its comma are written; if the line now holds 77 or more
 *     characters and more bytes follow, it ends with '\' and the next line
 *     starts with two spaces.  If the "name"=hex(N): prefix alone reaches
 *     77 characters, the data starts on a continuation line.  Every line
 *     is then at most 80 characters unless the value name alone is longer
 *     (a continuation line holds 25 bytes, as regedit writes them).
 *   - link keys are written as ordinary keys, their SymbolicLinkValue as
 *     hex(6):; volatile keys as ordinary keys; key classes and last-write
 *     times are not written (regedit writes neither).
 *   - a key or value name holding CR, LF or an unpaired surrogate cannot
 *     be written in a line that reads back: REGDB_E_INVAL (regedit would
 *     write a file it cannot import).
 *
 * Import accepts:
 *   - UTF-16LE or UTF-16BE with a BOM, UTF-8 with or without a BOM; an odd
 *     UTF-16 byte count, an unpaired surrogate or invalid UTF-8 is
 *     REGDB_E_FORMAT.  Lines end in LF or CRLF.
 *   - the header on the first line: "Windows Registry Editor Version 5.00",
 *     or "REGEDIT4" (regedit's older format: its text is ANSI, so a
 *     REGEDIT4 file without BOM that is not valid UTF-8 is read as
 *     Windows-1252, and the bytes of hex(1), hex(2) and hex(7) data, which
 *     REGEDIT4 writes as ANSI strings, become UTF-16LE).
 *   - "[path]": open the key, creating it and missing intermediate keys.
 *     The final component is opened without following a link, so values
 *     land on a link key itself rather than on its target (re-importing an
 *     export of a link key must not write SymbolicLinkValue into the
 *     target); intermediate components follow links, as every open does.
 *     Creating a non-volatile key under a volatile one fails, as
 *     RegCreateKeyEx does.
 *     The path ends at the last ']' of the line (key names may hold ']'),
 *     and only blanks may follow it; empty components are an error, one
 *     trailing '\' is ignored.
 *   - "[-path]": delete the key and its subtree (a link key itself, not its
 *     target); a missing key is not an error (regedit's behaviour).
 *   - the roots of regfile.h, long names only (HKEY_LOCAL_MACHINE ...), as
 *     regedit reads them.  An unknown root is REGDB_E_FORMAT.
 *   - values: "name" or @, optional blanks, '=', optional blanks, then -
 *     (delete; a missing value is not an error), "string" (REG_SZ with a
 *     NUL terminator added; escapes \\ and \" only, any other '\' escape
 *     is an error), dword:X (1 to 8 hex digits), hex:BYTES (REG_BINARY),
 *     hex(N):BYTES (type N, 1 to 8 hex digits).  BYTES are two hex digits
 *     each, separated by ',', blanks allowed around them; an empty list is
 *     empty data; a list that ends in ',' is an error (it is what a
 *     truncated file looks like).  Keywords ignore case.
 *   - a value line whose last non-blank character is '\' continues on the
 *     next line, whose leading blanks are dropped; a file that ends inside
 *     a continued line is an error.  Key lines and comments are never
 *     continued.
 *   - blank lines and lines starting with ';' (never continued).
 *   - a value outside a key section (before the first key, or after a
 *     "[-key]" section) is an error.
 * The whole import is one transaction: on any error nothing changes,
 * result->line names the 1-based physical line that failed (for every
 * error found at a line, not only REGDB_E_FORMAT) and regdb_errmsg() says
 * "line N: what failed".  Names over the limits give regdb's own error
 * (REGDB_E_TOOLONG).  result counts: keys_created = sections whose key did
 * not exist (intermediate keys are not counted), keys_deleted = "[-key]"
 * sections whose key existed, values_set, values_deleted = "=-" lines whose
 * value existed.
 */
#include "regdb/regfile.h"

#include "regdb/regdb_int.h"

#include "base/pb_buf.h"
#include "base/pb_utf16.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEADER5 "Windows Registry Editor Version 5.00"
#define HEADER4 "REGEDIT4"
#define WRAP_COL 77   /* a hex line breaks once it holds this many characters */
#define SUBJECT_MAX 64 /* units of a name quoted in an error message */

/* ---------------------------------------------------------------- roots */

/*
 * The one place that says which NT path each predefined key stands for.
 * HKEY_CURRENT_USER: pnpbox's emulated processes run as LocalSystem, whose
 * profile hive is HKEY_USERS\S-1-5-18.  HKEY_CLASSES_ROOT: the machine part
 * of Windows' merged view.  HKEY_CURRENT_CONFIG: Windows' link to the
 * current hardware profile.  Export names keys by the first two only.
 */
static const regdb_hkey hkeys[] = {
    {"HKEY_LOCAL_MACHINE", "HKLM", "\\REGISTRY\\MACHINE"},
    {"HKEY_USERS", "HKU", "\\REGISTRY\\USER"},
    {"HKEY_CURRENT_USER", "HKCU", "\\REGISTRY\\USER\\S-1-5-18"},
    {"HKEY_CLASSES_ROOT", "HKCR", "\\REGISTRY\\MACHINE\\SOFTWARE\\Classes"},
    {"HKEY_CURRENT_CONFIG", "HKCC", "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Hardware Profiles\\Current"},
};
#define N_HKEYS (sizeof hkeys / sizeof hkeys[0])
#define N_EXPORT_HKEYS 2

const regdb_hkey *regdb_hkey_lookup(const uint16_t *name, size_t n, int allow_abbrev)
{
    if (!name && n)
        return NULL;
    for (size_t i = 0; i < N_HKEYS; i++) {
        if (pb_wcsieq_ascii(name, n, hkeys[i].name))
            return &hkeys[i];
        if (allow_abbrev && pb_wcsieq_ascii(name, n, hkeys[i].abbrev))
            return &hkeys[i];
    }
    return NULL;
}

const regdb_hkey *regdb_hkey_lookup_u8(const char *name, size_t n, int allow_abbrev)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < N_HKEYS; i++) {
        if (strlen(hkeys[i].name) == n && !strncasecmp(name, hkeys[i].name, n))
            return &hkeys[i];
        if (allow_abbrev && strlen(hkeys[i].abbrev) == n && !strncasecmp(name, hkeys[i].abbrev, n))
            return &hkeys[i];
    }
    return NULL;
}

int regdb_hkey_to_nt(const uint16_t *path, size_t n, int allow_abbrev, uint16_t **out, size_t *outn,
                     const regdb_hkey **root)
{
    if ((!path && n) || !out)
        return REGDB_E_INVAL;
    size_t r = 0;
    while (r < n && path[r] != '\\')
        r++;
    const regdb_hkey *h = regdb_hkey_lookup(path, r, allow_abbrev);
    if (!h)
        return REGDB_E_INVAL;
    size_t rest = n - r; /* includes the separator */
    if (rest == 1)
        rest = 0; /* "ROOT\" is the root */
    else if (rest > 1 && path[n - 1] == '\\')
        rest--; /* a single trailing '\' */
    size_t pl = strlen(h->nt_path);
    uint16_t *p = malloc((pl + rest + 1) * sizeof *p);
    if (!p)
        return REGDB_E_NOMEM;
    for (size_t i = 0; i < pl; i++)
        p[i] = (unsigned char)h->nt_path[i];
    if (rest)
        memcpy(p + pl, path + r, rest * sizeof *p);
    p[pl + rest] = 0;
    *out = p;
    if (outn)
        *outn = pl + rest;
    if (root)
        *root = h;
    return 0;
}

/* ---------------------------------------------------------------- shared helpers */

static uint16_t le16(const unsigned char *d, size_t i) { return (uint16_t)(d[2 * i] | d[2 * i + 1] << 8); }

/* A name or string a .reg line can carry: no CR/LF, no unpaired surrogate. */
static int line_safe(const uint16_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\r' || s[i] == '\n')
            return 0;
    return pb_utf16_validate(s, n) == 0;
}

/* A malloc'd UTF-8 copy of at most SUBJECT_MAX units, "..." marking a cut. */
static char *subject(const uint16_t *s, size_t n)
{
    int cut = n > SUBJECT_MAX;
    char *u = pb_utf8_from_wcs(s, cut ? SUBJECT_MAX : n);
    if (!u || !cut)
        return u;
    size_t l = strlen(u);
    char *v = realloc(u, l + 4);
    if (!v)
        return u;
    memcpy(v + l, "...", 4);
    return v;
}

/* ---------------------------------------------------------------- export */

typedef struct out {
    pb_buf b;
    size_t col; /* UTF-16 units on the current line */
} out;

static void put_unit(out *o, uint16_t c)
{
    unsigned char b[2] = {(unsigned char)c, (unsigned char)(c >> 8)};
    pb_buf_add(&o->b, b, 2);
    o->col++;
}

static void put_ascii(out *o, const char *s)
{
    while (*s)
        put_unit(o, (unsigned char)*s++);
}

static void put_units(out *o, const uint16_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_unit(o, s[i]);
}

static void put_eol(out *o)
{
    put_unit(o, '\r');
    put_unit(o, '\n');
    o->col = 0;
}

/* "text" with '\' and '"' escaped; the units come from s, or from LE bytes d. */
static void put_quoted(out *o, const uint16_t *s, const unsigned char *d, size_t n)
{
    put_unit(o, '"');
    for (size_t i = 0; i < n; i++) {
        uint16_t c = s ? s[i] : le16(d, i);
        if (c == '\\' || c == '"')
            put_unit(o, '\\');
        put_unit(o, c);
    }
    put_unit(o, '"');
}

static void put_break(out *o)
{
    put_unit(o, '\\');
    put_eol(o);
    put_ascii(o, "  ");
}

static void put_hex(out *o, const char *prefix, const unsigned char *d, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    put_ascii(o, prefix);
    if (n && o->col >= WRAP_COL)
        put_break(o);
    for (size_t i = 0; i < n; i++) {
        put_unit(o, (unsigned char)digits[d[i] >> 4]);
        put_unit(o, (unsigned char)digits[d[i] & 15]);
        if (i + 1 < n) {
            put_unit(o, ',');
            if (o->col >= WRAP_COL)
                put_break(o);
        }
    }
}

/* REG_SZ data that regedit's "text" form carries exactly (see the file comment). */
static int sz_exportable(const unsigned char *d, size_t len)
{
    if (len < 2 || len % 2)
        return 0;
    size_t n = len / 2;
    if (le16(d, n - 1) != 0)
        return 0;
    for (size_t i = 0; i + 1 < n; i++) {
        uint16_t c = le16(d, i);
        if (c == 0 || c == '\r' || c == '\n')
            return 0;
        if (c >= 0xD800 && c <= 0xDBFF) {
            if (i + 2 >= n)
                return 0;
            uint16_t c2 = le16(d, i + 1);
            if (c2 < 0xDC00 || c2 > 0xDFFF)
                return 0;
            i++;
        } else if (c >= 0xDC00 && c <= 0xDFFF) {
            return 0;
        }
    }
    return 1;
}

static void put_value(out *o, const regdb_value *v)
{
    const unsigned char *d = v->data;
    if (v->name_len == 0)
        put_unit(o, '@');
    else
        put_quoted(o, v->name, NULL, v->name_len);
    put_unit(o, '=');
    if (v->type == REGDB_SZ && sz_exportable(d, v->data_len)) {
        put_quoted(o, NULL, d, v->data_len / 2 - 1);
    } else if (v->type == REGDB_DWORD && v->data_len == 4) {
        char buf[16];
        snprintf(buf, sizeof buf, "dword:%08x",
                 (unsigned)d[0] | (unsigned)d[1] << 8 | (unsigned)d[2] << 16 | (unsigned)d[3] << 24);
        put_ascii(o, buf);
    } else if (v->type == REGDB_BINARY) {
        put_hex(o, "hex:", d, v->data_len);
    } else {
        char prefix[24];
        snprintf(prefix, sizeof prefix, "hex(%x):", (unsigned)v->type);
        put_hex(o, prefix, d, v->data_len);
    }
    put_eol(o);
}

/* Write "[HKEY_...\path]" and the key's values. */
static int export_key(regdb *db, out *o, regdb_key key)
{
    uint16_t *path;
    size_t n;
    int rc = regdb_key_path(db, key, &path, &n);
    if (rc < 0)
        return rc;
    const regdb_hkey *h = NULL;
    size_t skip = 0;
    for (size_t i = 0; i < N_EXPORT_HKEYS && !h; i++) {
        size_t pl = strlen(hkeys[i].nt_path);
        if (n >= pl && pb_wcsieq_ascii(path, pl, hkeys[i].nt_path) && (n == pl || path[pl] == '\\')) {
            h = &hkeys[i];
            skip = pl;
        }
    }
    if (!h) {
        char *s = subject(path, n);
        regdb__set_err(db, "cannot export key '%s': it is not in HKEY_LOCAL_MACHINE or HKEY_USERS",
                       s ? s : "?");
        free(s);
        free(path);
        return REGDB_E_INVAL;
    }
    if (!line_safe(path + skip, n - skip)) {
        char *s = subject(path, n);
        regdb__set_err(db, "cannot export key '%s': its name holds a line break or an unpaired surrogate, "
                           "which a .reg file cannot carry", s ? s : "?");
        free(s);
        free(path);
        return REGDB_E_INVAL;
    }
    put_unit(o, '[');
    put_ascii(o, h->name);
    put_units(o, path + skip, n - skip);
    put_unit(o, ']');
    put_eol(o);
    for (uint32_t i = 0;; i++) {
        regdb_value v;
        rc = regdb_enum_value(db, key, i, &v);
        if (rc == REGDB_E_NOTFOUND) {
            rc = 0;
            break;
        }
        if (rc < 0)
            break;
        if (!line_safe(v.name, v.name_len)) {
            char *s = subject(v.name, v.name_len), *k = subject(path, n);
            regdb__set_err(db, "cannot export value '%s' of key '%s': its name holds a line break or an "
                               "unpaired surrogate, which a .reg file cannot carry", s ? s : "?", k ? k : "?");
            free(s);
            free(k);
            rc = REGDB_E_INVAL;
            break;
        }
        put_value(o, &v);
    }
    free(path);
    if (rc == 0)
        put_eol(o);
    return rc;
}

typedef struct keystack {
    regdb_key *ids;
    size_t n, cap;
} keystack;

static int push_key(keystack *s, regdb_key k)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        regdb_key *p = realloc(s->ids, cap * sizeof *p);
        if (!p)
            return REGDB_E_NOMEM;
        s->ids = p;
        s->cap = cap;
    }
    s->ids[s->n++] = k;
    return 0;
}

int regdb_export(regdb *db, regdb_key key, void **outp, size_t *len)
{
    if (!db || !outp || !len)
        return REGDB_E_INVAL;
    int rc = regdb_key_check(db, key);
    if (rc < 0) {
        regdb__set_err(db, "cannot export key %lld: %s", (long long)key, regdb_strerror(rc));
        return rc;
    }
    out o = {PB_BUF_INIT, 0};
    keystack st = {0};
    pb_buf_add(&o.b, "\xff\xfe", 2);
    put_ascii(&o, HEADER5);
    put_eol(&o);
    put_eol(&o);
    /*
     * Depth first with an explicit stack.  Each key's subkeys are listed
     * in one sequential enumeration (regdb makes index i+1 cheap only when
     * nothing else was enumerated in between), then pushed in reverse so
     * the first pops first.
     */
    if ((rc = push_key(&st, key)) < 0)
        goto fail;
    while (st.n) {
        regdb_key k = st.ids[--st.n];
        if ((rc = export_key(db, &o, k)) < 0)
            goto fail;
        size_t base = st.n;
        for (uint32_t i = 0;; i++) {
            regdb_key_entry e;
            rc = regdb_enum_key(db, k, i, &e);
            if (rc == REGDB_E_NOTFOUND)
                break;
            if (rc < 0)
                goto fail;
            if ((rc = push_key(&st, e.id)) < 0)
                goto fail;
        }
        for (size_t a = base, b = st.n; b > a + 1; a++, b--) {
            regdb_key t = st.ids[a];
            st.ids[a] = st.ids[b - 1];
            st.ids[b - 1] = t;
        }
        if (o.b.oom) {
            rc = REGDB_E_NOMEM;
            goto fail;
        }
    }
    if (o.b.oom) {
        rc = REGDB_E_NOMEM;
        goto fail;
    }
    free(st.ids);
    *len = o.b.len;
    *outp = o.b.data;
    return 0;

fail:
    free(st.ids);
    pb_buf_free(&o.b);
    return rc;
}

/* ---------------------------------------------------------------- import: decoding */

typedef struct seg {
    size_t off;    /* where this physical line's text starts in the logical line */
    unsigned line; /* its 1-based number */
} seg;

typedef struct imp {
    regdb *db;
    const uint16_t *t; /* the decoded text */
    size_t n;
    size_t pos;         /* next unread unit */
    unsigned next_line; /* number of the next physical line */

    uint16_t *ll; /* the current logical line (continuations joined) */
    size_t len, cap;
    seg *segs;
    size_t nsegs, segcap;

    int regedit4;
    regdb_key cur; /* the current section's key */
    int have_key;
    pb_buf name; /* value name being parsed, host-order units */
    pb_buf data; /* value data being parsed */
    regdb_import_result res;

    unsigned err_line;
    char msg[256];
} imp;

/* Record a failure at a line; returns rc.  The message goes to regdb's errmsg at the end. */
static int fail_line(imp *im, unsigned line, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail_line(imp *im, unsigned line, int rc, const char *fmt, ...)
{
    char what[224];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    im->err_line = line;
    snprintf(im->msg, sizeof im->msg, "line %u: %s", line, what);
    return rc;
}

/* The line number of an offset in the current logical line. */
static unsigned line_at(const imp *im, size_t off)
{
    for (size_t i = im->nsegs; i-- > 0;)
        if (im->segs[i].off <= off)
            return im->segs[i].line;
    return im->next_line ? im->next_line - 1 : 1;
}

/* The 1-based line holding unit index i of a UTF-16 text. */
static unsigned line_of_unit(const uint16_t *t, size_t i)
{
    unsigned line = 1;
    for (size_t k = 0; k < i; k++)
        line += t[k] == '\n';
    return line;
}

static int decode_utf16(imp *im, const unsigned char *d, size_t len, int be, uint16_t **text, size_t *n)
{
    size_t units = len / 2;
    uint16_t *t = malloc((units + 1) * sizeof *t);
    if (!t)
        return REGDB_E_NOMEM;
    for (size_t i = 0; i < units; i++)
        t[i] = be ? (uint16_t)(d[2 * i] << 8 | d[2 * i + 1]) : (uint16_t)(d[2 * i] | d[2 * i + 1] << 8);
    t[units] = 0;
    if (len % 2) {
        int rc = fail_line(im, line_of_unit(t, units), REGDB_E_FORMAT,
                           "the file ends in the middle of a UTF-16 code unit (odd byte count; truncated?)");
        free(t);
        return rc;
    }
    for (size_t i = 0; i < units; i++) {
        uint16_t c = t[i];
        int bad = 0;
        if (c >= 0xD800 && c <= 0xDBFF) {
            if (i + 1 >= units || t[i + 1] < 0xDC00 || t[i + 1] > 0xDFFF)
                bad = 1;
            else
                i++;
        } else if (c >= 0xDC00 && c <= 0xDFFF) {
            bad = 1;
        }
        if (bad) {
            int rc = fail_line(im, line_of_unit(t, i), REGDB_E_FORMAT,
                               "invalid UTF-16: unpaired surrogate 0x%04x", c);
            free(t);
            return rc;
        }
    }
    *text = t;
    *n = units;
    return 0;
}

static int decode_utf8(imp *im, const unsigned char *d, size_t len, int cp1252_fallback, uint16_t **text,
                       size_t *n)
{
    int rc = pb_utf8_to_utf16((const char *)d, len, text, n);
    if (rc == 0)
        return 0;
    if (rc == -ENOMEM)
        return REGDB_E_NOMEM;
    if (cp1252_fallback) {
        uint16_t *t = malloc((len + 1) * sizeof *t);
        if (!t)
            return REGDB_E_NOMEM;
        for (size_t i = 0; i < len; i++)
            t[i] = pb_cp1252_to_unicode(d[i]);
        t[len] = 0;
        *text = t;
        *n = len;
        return 0;
    }
    /* Find the line: LF never occurs inside a multi-byte UTF-8 sequence. */
    unsigned line = 1;
    size_t s = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && d[i] != '\n')
            continue;
        uint16_t *w = NULL;
        int r = pb_utf8_to_utf16((const char *)d + s, i - s, &w, NULL);
        free(w);
        if (r == -ENOMEM)
            return REGDB_E_NOMEM;
        if (r < 0)
            break;
        line++;
        s = i + 1;
    }
    return fail_line(im, line, REGDB_E_FORMAT, "invalid UTF-8 (a file without BOM is read as UTF-8)");
}

static int decode(imp *im, const unsigned char *d, size_t len, uint16_t **text, size_t *n)
{
    if (len >= 2 && d[0] == 0xFF && d[1] == 0xFE)
        return decode_utf16(im, d + 2, len - 2, 0, text, n);
    if (len >= 2 && d[0] == 0xFE && d[1] == 0xFF)
        return decode_utf16(im, d + 2, len - 2, 1, text, n);
    if (len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF)
        return decode_utf8(im, d + 3, len - 3, 0, text, n);
    int regedit4 = len >= strlen(HEADER4) && !memcmp(d, HEADER4, strlen(HEADER4));
    return decode_utf8(im, d, len, regedit4, text, n);
}

/* ---------------------------------------------------------------- import: lines */

static int is_blank(uint16_t c) { return c == ' ' || c == '\t' || c == '\r'; }

static size_t skip_blanks(const uint16_t *s, size_t i, size_t n)
{
    while (i < n && is_blank(s[i]))
        i++;
    return i;
}

/* The next physical line without its LF or CRLF; 0 at the end of the text. */
static int next_phys(imp *im, const uint16_t **s, size_t *l, unsigned *line)
{
    if (im->pos >= im->n)
        return 0;
    size_t i = im->pos;
    while (i < im->n && im->t[i] != '\n')
        i++;
    size_t e = i;
    if (e > im->pos && im->t[e - 1] == '\r')
        e--;
    *s = im->t + im->pos;
    *l = e - im->pos;
    *line = im->next_line++;
    im->pos = i < im->n ? i + 1 : i;
    return 1;
}

static int ll_append(imp *im, const uint16_t *s, size_t l, unsigned line)
{
    if (im->nsegs == im->segcap) {
        size_t cap = im->segcap ? im->segcap * 2 : 8;
        seg *p = realloc(im->segs, cap * sizeof *p);
        if (!p)
            return REGDB_E_NOMEM;
        im->segs = p;
        im->segcap = cap;
    }
    im->segs[im->nsegs++] = (seg){im->len, line};
    if (im->len + l + 1 > im->cap) {
        size_t cap = im->cap ? im->cap : 256;
        while (cap < im->len + l + 1)
            cap *= 2;
        uint16_t *p = realloc(im->ll, cap * sizeof *p);
        if (!p)
            return REGDB_E_NOMEM;
        im->ll = p;
        im->cap = cap;
    }
    if (l)
        memcpy(im->ll + im->len, s, l * sizeof *s);
    im->len += l;
    return 0;
}

/*
 * Read the next logical line into im->ll: a physical line, joined with the
 * following ones while it ends in '\'; trailing blanks are dropped.
 * 1 = a line, 0 = end of text, < 0 = error.
 */
static int next_logical(imp *im)
{
    const uint16_t *s;
    size_t l;
    unsigned line;
    im->len = 0;
    im->nsegs = 0;
    if (!next_phys(im, &s, &l, &line))
        return 0;
    size_t first = skip_blanks(s, 0, l);
    /* Comments and key lines are never continued (a key line cut after a '\' is truncated). */
    int single = first < l && (s[first] == ';' || s[first] == '[');
    for (;;) {
        if (ll_append(im, s, l, line) < 0)
            return REGDB_E_NOMEM;
        while (im->len && is_blank(im->ll[im->len - 1]))
            im->len--;
        if (single || !im->len || im->ll[im->len - 1] != '\\')
            return 1;
        im->len--; /* the continuation mark */
        unsigned last = line;
        if (!next_phys(im, &s, &l, &line))
            return fail_line(im, last, REGDB_E_FORMAT,
                             "the file ends inside a continued line (a line ending in '\\'; truncated?)");
        size_t b = skip_blanks(s, 0, l);
        s += b;
        l -= b;
    }
}

/* A UTF-8 copy of the text at off (up to the next blank or ',' if stop_at_sep), for messages. */
static char *token_at(const imp *im, size_t off, int stop_at_sep)
{
    size_t e = off < im->len ? off + 1 : off; /* at least the offending character */
    while (e < im->len && e - off < 24 && !(stop_at_sep && (is_blank(im->ll[e]) || im->ll[e] == ',')))
        e++;
    char *s = subject(im->ll + off, e - off);
    if (s && e < im->len && e - off >= 24) {
        size_t n = strlen(s);
        char *t = realloc(s, n + 4);
        if (t) {
            memcpy(t + n, "...", 4);
            s = t;
        }
    }
    return s;
}

static int fail_tok(imp *im, size_t off, const char *what, int stop_at_sep)
{
    char *t = token_at(im, off, stop_at_sep);
    int rc = fail_line(im, line_at(im, off), REGDB_E_FORMAT, "%s '%s'", what, t ? t : "");
    free(t);
    return rc;
}

/* A store call failed: keep regdb's detail, name what and the subject. */
static int fail_store(imp *im, unsigned line, int rc, const char *what, const uint16_t *subj, size_t n)
{
    char detail[256];
    snprintf(detail, sizeof detail, "%s", im->db->errmsg[0] ? im->db->errmsg : regdb_strerror(rc));
    char *s = subject(subj, n);
    fail_line(im, line, rc, "cannot %s '%s': %s", what, s ? s : "", detail);
    free(s);
    return rc;
}

static int match_ci(const uint16_t *s, size_t i, size_t n, const char *word)
{
    size_t l = strlen(word);
    return n - i >= l && pb_wcsieq_ascii(s + i, l, word);
}

static int hexval(uint16_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ---------------------------------------------------------------- import: sections */

static int do_key(imp *im, size_t i)
{
    const uint16_t *p = im->ll;
    size_t n = im->len;
    unsigned line = line_at(im, i);
    if (p[n - 1] != ']')
        return fail_line(im, line_at(im, n - 1), REGDB_E_FORMAT,
                         "the key line does not end with ']' (truncated?)");
    size_t s = i + 1, e = n - 1;
    int del = s < e && p[s] == '-';
    if (del)
        s++;
    if (s == e)
        return fail_line(im, line, REGDB_E_FORMAT, "empty key path in '[...]'");
    /* Components must not be empty; a single trailing '\' is allowed. */
    for (size_t k = s;;) {
        size_t j = k;
        while (j < e && p[j] != '\\')
            j++;
        if (j == k) {
            if (k == e && k > s)
                break;
            return fail_tok(im, s, "empty key name in the path", 0);
        }
        if (j == e)
            break;
        k = j + 1;
    }
    uint16_t *nt;
    size_t ntn;
    int rc = regdb_hkey_to_nt(p + s, e - s, 0, &nt, &ntn, NULL);
    if (rc == REGDB_E_NOMEM)
        return rc;
    if (rc < 0) {
        size_t r = s;
        while (r < e && p[r] != '\\')
            r++;
        char *t = subject(p + s, r - s);
        rc = fail_line(im, line, REGDB_E_FORMAT,
                       "unknown root key '%s' (HKEY_LOCAL_MACHINE, HKEY_USERS, HKEY_CURRENT_USER, "
                       "HKEY_CLASSES_ROOT or HKEY_CURRENT_CONFIG)", t ? t : "");
        free(t);
        return rc;
    }
    regdb_key k;
    im->db->errmsg[0] = 0;
    rc = regdb_open_key(im->db, 0, nt, ntn, REGDB_OPEN_LINK, &k);
    if (del) {
        im->have_key = 0;
        if (rc == 0) {
            im->db->errmsg[0] = 0;
            rc = regdb_delete_tree(im->db, k);
            if (rc == 0)
                im->res.keys_deleted++;
        } else if (rc == REGDB_E_NOTFOUND) {
            rc = 0; /* regedit: deleting a missing key is not an error */
        }
        if (rc < 0)
            rc = fail_store(im, line, rc, "delete key", p + s, e - s);
    } else {
        if (rc == REGDB_E_NOTFOUND) {
            int created = 0;
            im->db->errmsg[0] = 0;
            rc = regdb_create_key(im->db, 0, nt, ntn, REGDB_CREATE_PATH, NULL, 0, &k, &created);
            if (rc == 0 && created)
                im->res.keys_created++;
        }
        if (rc == 0) {
            im->cur = k;
            im->have_key = 1;
        } else {
            rc = fail_store(im, line, rc, "create key", p + s, e - s);
        }
    }
    free(nt);
    return rc;
}

/* Parse "..." at *i (which is at the opening quote) into b as UTF-16 units (LE bytes). */
static int parse_quoted(imp *im, size_t *i, pb_buf *b)
{
    const uint16_t *p = im->ll;
    size_t n = im->len, k = *i + 1;
    for (; k < n && p[k] != '"'; k++) {
        uint16_t c = p[k];
        if (c == '\\') {
            if (k + 1 >= n) {
                k = n;
                break;
            }
            c = p[++k];
            if (c != '\\' && c != '"')
                return fail_tok(im, k - 1, "bad escape in a string (only \\\\ and \\\" are allowed):", 0);
        }
        unsigned char u[2] = {(unsigned char)c, (unsigned char)(c >> 8)};
        pb_buf_add(b, u, 2);
    }
    if (k >= n)
        return fail_line(im, line_at(im, *i), REGDB_E_FORMAT, "unterminated string (missing '\"'; truncated?)");
    *i = k + 1;
    return b->oom ? REGDB_E_NOMEM : 0;
}

static int parse_hex_list(imp *im, size_t i)
{
    const uint16_t *p = im->ll;
    size_t n = im->len;
    i = skip_blanks(p, i, n);
    if (i == n)
        return 0;
    for (;;) {
        int hi = hexval(p[i]), lo = i + 1 < n ? hexval(p[i + 1]) : -1;
        if (hi < 0 || lo < 0 || (i + 2 < n && !is_blank(p[i + 2]) && p[i + 2] != ','))
            return fail_tok(im, i, "bad hex byte", 1);
        unsigned char byte = (unsigned char)(hi << 4 | lo);
        pb_buf_add(&im->data, &byte, 1);
        i = skip_blanks(p, i + 2, n);
        if (i == n)
            break;
        if (p[i] != ',')
            return fail_tok(im, i, "expected ',' between hex bytes, found", 1);
        i = skip_blanks(p, i + 1, n);
        if (i == n)
            return fail_line(im, line_at(im, n - 1), REGDB_E_FORMAT,
                             "hex data ends with ',' (truncated?)");
    }
    return im->data.oom ? REGDB_E_NOMEM : 0;
}

/* REGEDIT4 writes hex(1), hex(2) and hex(7) data as ANSI bytes: make them UTF-16LE. */
static int widen_ansi(imp *im)
{
    pb_buf w = PB_BUF_INIT;
    for (size_t k = 0; k < im->data.len; k++) {
        uint16_t c = pb_cp1252_to_unicode(im->data.data[k]);
        unsigned char u[2] = {(unsigned char)c, (unsigned char)(c >> 8)};
        pb_buf_add(&w, u, 2);
    }
    if (w.oom) {
        pb_buf_free(&w);
        return REGDB_E_NOMEM;
    }
    pb_buf_free(&im->data);
    im->data = w;
    return 0;
}

static int do_value(imp *im, size_t i)
{
    const uint16_t *p = im->ll;
    size_t n = im->len;
    unsigned line = line_at(im, i);
    int rc;
    im->name.len = 0;
    im->data.len = 0;
    if (!im->have_key)
        return fail_line(im, line, REGDB_E_FORMAT, "a value outside a key section (no '[key]' line before it)");
    if (p[i] == '@') {
        i++;
    } else {
        pb_buf raw = PB_BUF_INIT;
        rc = parse_quoted(im, &i, &raw);
        if (rc == 0) {
            /* Names go to regdb as host-order units. */
            for (size_t k = 0; k + 1 < raw.len; k += 2)
                pb_buf_add_u16(&im->name, (uint16_t)(raw.data[k] | raw.data[k + 1] << 8));
            if (im->name.oom)
                rc = REGDB_E_NOMEM;
        }
        pb_buf_free(&raw);
        if (rc < 0)
            return rc;
    }
    const uint16_t *name = im->name.len ? (const uint16_t *)im->name.data : NULL;
    size_t name_len = im->name.len / 2;
    i = skip_blanks(p, i, n);
    if (i >= n || p[i] != '=')
        return i >= n ? fail_line(im, line_at(im, n ? n - 1 : 0), REGDB_E_FORMAT, "missing '=' after the value name")
                      : fail_tok(im, i, "expected '=' after the value name, found", 0);
    i = skip_blanks(p, i + 1, n);
    if (i >= n)
        return fail_line(im, line_at(im, n - 1), REGDB_E_FORMAT, "missing value data after '='");

    uint32_t type;
    if (p[i] == '-') {
        if (i + 1 != n)
            return fail_tok(im, i, "unexpected text after '=-':", 0);
        im->db->errmsg[0] = 0;
        rc = regdb_delete_value(im->db, im->cur, name, name_len);
        if (rc == 0)
            im->res.values_deleted++;
        else if (rc == REGDB_E_NOTFOUND)
            rc = 0; /* regedit: deleting a missing value is not an error */
        return rc < 0 ? fail_store(im, line, rc, "delete value", name, name_len) : 0;
    } else if (p[i] == '"') {
        type = REGDB_SZ;
        if ((rc = parse_quoted(im, &i, &im->data)) < 0)
            return rc;
        pb_buf_add(&im->data, "\0", 2);
        i = skip_blanks(p, i, n);
        if (i != n)
            return fail_tok(im, i, "unexpected text after the string:", 0);
    } else if (match_ci(p, i, n, "dword:")) {
        type = REGDB_DWORD;
        size_t s = i + 6, k = s;
        uint32_t v = 0;
        while (k < n && hexval(p[k]) >= 0 && k - s < 9)
            v = v << 4 | (uint32_t)hexval(p[k++]);
        if (k == s || k - s > 8 || skip_blanks(p, k, n) != n)
            return fail_tok(im, s, "bad dword (1 to 8 hex digits):", 0);
        unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                              (unsigned char)(v >> 24)};
        pb_buf_add(&im->data, b, 4);
    } else if (match_ci(p, i, n, "hex:")) {
        type = REGDB_BINARY;
        if ((rc = parse_hex_list(im, i + 4)) < 0)
            return rc;
    } else if (match_ci(p, i, n, "hex(")) {
        size_t s = i + 4, k = s;
        uint32_t v = 0;
        while (k < n && hexval(p[k]) >= 0 && k - s < 9)
            v = v << 4 | (uint32_t)hexval(p[k++]);
        if (k == s || k - s > 8 || k + 1 >= n || p[k] != ')' || p[k + 1] != ':')
            return fail_tok(im, i, "bad hex(N): type (N is 1 to 8 hex digits):", 0);
        type = v;
        if ((rc = parse_hex_list(im, k + 2)) < 0)
            return rc;
        if (im->regedit4 && (type == REGDB_SZ || type == REGDB_EXPAND_SZ || type == REGDB_MULTI_SZ) &&
            (rc = widen_ansi(im)) < 0)
            return rc;
    } else {
        return fail_tok(im, i, "unknown value data (expected \"string\", dword:, hex: or hex(N):)", 0);
    }
    if (im->data.oom)
        return REGDB_E_NOMEM;
    im->db->errmsg[0] = 0;
    rc = regdb_set_value(im->db, im->cur, name, name_len, type, im->data.len ? im->data.data : NULL, im->data.len);
    if (rc < 0)
        return fail_store(im, line, rc, "set value", name ? name : (const uint16_t *)u"@", name ? name_len : 1);
    im->res.values_set++;
    return 0;
}

/* ---------------------------------------------------------------- import */

static int import_lines(imp *im)
{
    const uint16_t *s;
    size_t l;
    unsigned line;
    if (!next_phys(im, &s, &l, &line))
        return fail_line(im, 1, REGDB_E_FORMAT, "empty file: missing the header '" HEADER5 "'");
    while (l && is_blank(s[l - 1]))
        l--;
    if (l == strlen(HEADER5) && !memcmp(s, u"" HEADER5, l * 2))
        im->regedit4 = 0;
    else if (l == strlen(HEADER4) && !memcmp(s, u"" HEADER4, l * 2))
        im->regedit4 = 1;
    else
        return fail_line(im, 1, REGDB_E_FORMAT, "missing the header '" HEADER5 "' (or '" HEADER4 "')");
    for (;;) {
        int rc = next_logical(im);
        if (rc <= 0)
            return rc;
        size_t i = skip_blanks(im->ll, 0, im->len);
        if (i == im->len)
            continue;
        switch (im->ll[i]) {
        case ';': rc = 0; break;
        case '[': rc = do_key(im, i); break;
        case '"':
        case '@': rc = do_value(im, i); break;
        default: rc = fail_tok(im, i, "unexpected text (expected '[key]', a value or ';'):", 0); break;
        }
        if (rc < 0 && !im->msg[0]) /* out of memory while parsing: still name the line */
            fail_line(im, line_at(im, i), rc, "%s", regdb_strerror(rc));
        if (rc < 0)
            return rc;
    }
}

int regdb_import(regdb *db, const void *data, size_t len, regdb_import_result *result)
{
    if (result)
        memset(result, 0, sizeof *result);
    if (!db || (!data && len))
        return REGDB_E_INVAL;
    imp im = {0};
    im.db = db;
    im.next_line = 1;
    uint16_t *text = NULL;
    int rc = decode(&im, data, len, &text, &im.n);
    if (rc < 0)
        goto done;
    im.t = text;
    if ((rc = regdb_begin(db)) < 0) {
        im.err_line = 0;
        goto done;
    }
    rc = import_lines(&im);
    if (rc < 0) {
        regdb_rollback(db);
    } else {
        rc = regdb_commit(db);
        im.err_line = 0;
        im.msg[0] = 0;
    }
done:
    if (rc < 0 && im.msg[0])
        regdb__set_err(db, "%s", im.msg);
    else if (rc == REGDB_E_NOMEM)
        regdb__set_err(db, "cannot import: out of memory");
    if (result) {
        if (rc == 0)
            *result = im.res;
        result->line = rc < 0 ? im.err_line : 0;
    }
    free(text);
    free(im.ll);
    free(im.segs);
    pb_buf_free(&im.name);
    pb_buf_free(&im.data);
    return rc;
}
