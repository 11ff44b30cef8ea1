/*
 * boxfs_name.c: Windows name rules for the volume (contract in boxfs.h,
 * "Paths"): validating one component, turning it into the upcased UTF-16
 * key the directory caches hash on, splitting a path, converting Windows
 * (UTF-16) names, and comparing volume paths by prefix.
 */
#include "fs/boxfs_int.h"

#include "base/pb_utf16.h"

#include <stdlib.h>
#include <string.h>

/*
 * Decode one UTF-8 sequence at s (n bytes left, n >= 1).  Strict: overlong
 * forms, surrogates, values above U+10FFFF and truncated sequences give -1.
 * Otherwise the sequence length, with the code point in *cp.
 */
static int utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    uint32_t c = s[0];
    int len;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, min = 0x80, c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, min = 0x800, c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, c &= 0x07;
    } else {
        return -1;
    }
    if ((size_t)len > n)
        return -1;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return -1;
    *cp = c;
    return len;
}

static int is_sep(char c)
{
    return c == '\\' || c == '/';
}

/* Reserved DOS device names (Microsoft's "Naming Files, Paths, and
 * Namespaces"): CON PRN AUX NUL COM1-9 LPT1-9, and COM/LPT followed by a
 * superscript 1, 2 or 3.  key is the upcased name; the base is what comes
 * before the first '.', without trailing spaces. */
static int is_reserved(const uint16_t *key, size_t n)
{
    size_t b = 0;
    while (b < n && key[b] != '.')
        b++;
    while (b > 0 && key[b - 1] == ' ')
        b--;
    if (b == 3) {
        static const char *const three[] = {"CON", "PRN", "AUX", "NUL"};
        for (size_t i = 0; i < 4; i++)
            if (key[0] == (uint16_t)three[i][0] && key[1] == (uint16_t)three[i][1] &&
                key[2] == (uint16_t)three[i][2])
                return 1;
        return 0;
    }
    if (b == 4) {
        int com = key[0] == 'C' && key[1] == 'O' && key[2] == 'M';
        int lpt = key[0] == 'L' && key[1] == 'P' && key[2] == 'T';
        uint16_t d = key[3];
        if ((com || lpt) && ((d >= '1' && d <= '9') || d == 0x00B9 || d == 0x00B2 || d == 0x00B3))
            return 1;
    }
    return 0;
}

int boxfs_name_key(const char *s, size_t n, uint16_t *key, size_t *keylen)
{
    uint16_t local[BOXFS_NAME_UNITS];
    size_t units = 0;
    if (!s || n == 0)
        return BOXFS_E_NAMEINVALID;
    if (n == 1 && s[0] == '.')
        return BOXFS_E_NAMEINVALID;
    if (n == 2 && s[0] == '.' && s[1] == '.')
        return BOXFS_E_SYNTAX;
    if (!key)
        key = local;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (len < 0)
            return BOXFS_E_NAMEINVALID;
        if (cp < 0x20 || cp == '"' || cp == '*' || cp == ':' || cp == '<' || cp == '>' ||
            cp == '?' || cp == '|' || cp == '\\' || cp == '/')
            return BOXFS_E_NAMEINVALID;
        if (cp >= 0x10000) {
            uint32_t v = cp - 0x10000;
            if (units + 2 <= BOXFS_NAME_UNITS) {
                key[units] = pb_upcase((uint16_t)(0xD800 + (v >> 10)));
                key[units + 1] = pb_upcase((uint16_t)(0xDC00 + (v & 0x3FF)));
            }
            units += 2;
        } else {
            if (units < BOXFS_NAME_UNITS)
                key[units] = pb_upcase((uint16_t)cp);
            units++;
        }
        i += (size_t)len;
    }
    if (units > BOXFS_NAME_UNITS || n > BOXFS_NAME_BYTES)
        return BOXFS_E_NAMETOOLONG;
    if (is_reserved(key, units))
        return BOXFS_E_NAMEINVALID;
    if (keylen)
        *keylen = units;
    return 0;
}

int boxfs_name_valid(const char *name, size_t n)
{
    return boxfs_name_key(name, n, NULL, NULL);
}

uint32_t boxfs_key_hash(const uint16_t *key, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a over the code units */
    for (size_t i = 0; i < n; i++) {
        h ^= key[i] & 0xff;
        h *= 16777619u;
        h ^= key[i] >> 8;
        h *= 16777619u;
    }
    return h;
}

/* Number of UTF-16 units of UTF-8 text, or -1 when it is not UTF-8. */
static long utf16_units(const char *s, size_t n)
{
    long units = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (len < 0)
            return -1;
        units += cp >= 0x10000 ? 2 : 1;
        i += (size_t)len;
    }
    return units;
}

void boxfs_pathv_free(boxfs_pathv *pv)
{
    if (!pv)
        return;
    free(pv->buf);
    free(pv->comp);
    memset(pv, 0, sizeof *pv);
}

int boxfs_path_parse(const char *path, int relative, boxfs_pathv *pv)
{
    size_t len, ncomp = 0;
    const char *p;
    char *w;
    int err;
    memset(pv, 0, sizeof *pv);
    if (!path)
        return BOXFS_E_INVAL;
    len = strlen(path);
    {
        long units = utf16_units(path, len);
        if (units < 0)
            return BOXFS_E_NAMEINVALID;
        if (units > BOXFS_PATH_UNITS)
            return BOXFS_E_NAMETOOLONG;
    }
    p = path;
    if (is_sep(*p)) {
        if (relative)
            return BOXFS_E_SYNTAX;
        p++;
    }
    for (const char *q = p; *q; q++)
        if (is_sep(*q))
            ncomp++;
    ncomp++;
    pv->buf = malloc(len + 1);
    pv->comp = calloc(ncomp, sizeof *pv->comp);
    if (!pv->buf || !pv->comp) {
        err = BOXFS_E_NOMEM;
        goto fail;
    }
    w = pv->buf;
    while (*p) {
        const char *start = p;
        size_t n;
        while (*p && !is_sep(*p))
            p++;
        n = (size_t)(p - start);
        if (n == 0) { /* an empty component: "a\\b" or "\\" */
            err = BOXFS_E_NAMEINVALID;
            goto fail;
        }
        err = boxfs_name_key(start, n, NULL, NULL);
        if (err)
            goto fail;
        memcpy(w, start, n);
        w[n] = 0;
        pv->comp[pv->n++] = w;
        w += n + 1;
        if (*p) { /* a separator */
            p++;
            if (!*p)
                pv->trailing_sep = 1;
        }
    }
    return 0;
fail:
    boxfs_pathv_free(pv);
    return err;
}

int boxfs_path_from_utf16(const uint16_t *s, size_t n, char **out)
{
    char *r = NULL;
    int err;
    if (!out || (!s && n))
        return BOXFS_E_INVAL;
    if (n > BOXFS_PATH_UNITS)
        return BOXFS_E_NAMETOOLONG;
    for (size_t i = 0; i < n; i++)
        if (s[i] == 0)
            return BOXFS_E_NAMEINVALID;
    if (pb_utf16_validate(s, n))
        return BOXFS_E_NAMEINVALID;
    if (n == 0) {
        r = strdup("");
        if (!r)
            return BOXFS_E_NOMEM;
        *out = r;
        return 0;
    }
    err = pb_utf16_to_utf8(s, n, &r, NULL, PB_UTF_STRICT);
    if (err == -ENOMEM)
        return BOXFS_E_NOMEM;
    if (err)
        return BOXFS_E_NAMEINVALID;
    *out = r;
    return 0;
}

char *boxfs_display(const char *s)
{
    size_t n, o = 0;
    char *r;
    if (!s)
        return strdup("(null)");
    n = strlen(s);
    r = malloc(n * 3 + 1);
    if (!r)
        return NULL;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (len < 0) {
            memcpy(r + o, "\xEF\xBF\xBD", 3); /* U+FFFD */
            o += 3;
            i++;
        } else {
            memcpy(r + o, s + i, (size_t)len);
            o += (size_t)len;
            i += (size_t)len;
        }
    }
    r[o] = 0;
    return r;
}

/* Upcased UTF-16 unit at s[*i] (advancing *i); malformed bytes compare as
 * themselves so they still never match a valid name. */
static uint32_t next_upcased(const char *s, size_t n, size_t *i)
{
    uint32_t cp;
    int len = utf8_decode((const unsigned char *)s + *i, n - *i, &cp);
    if (len < 0) {
        return 0x110000u + (unsigned char)s[(*i)++];
    }
    *i += (size_t)len;
    if (cp >= 0x10000)
        return cp; /* no case in the supplementary planes for the upcase table */
    return pb_upcase((uint16_t)cp);
}

int boxfs_path_under(const char *path, const char *prefix)
{
    size_t pn, qn, i = 0, j = 0;
    if (!path || !prefix)
        return 0;
    pn = strlen(path);
    qn = strlen(prefix);
    for (;;) {
        while (i < pn && is_sep(path[i]))
            i++;
        while (j < qn && is_sep(prefix[j]))
            j++;
        if (j >= qn)
            return 1; /* every prefix component matched */
        if (i >= pn)
            return 0;
        /* compare one component */
        while (i < pn && !is_sep(path[i]) && j < qn && !is_sep(prefix[j]))
            if (next_upcased(path, pn, &i) != next_upcased(prefix, qn, &j))
                return 0;
        if ((i < pn && !is_sep(path[i])) || (j < qn && !is_sep(prefix[j])))
            return 0; /* one component is longer */
    }
}
