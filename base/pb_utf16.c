/*
 * pb_utf16.c: UTF-16 length, case folding, comparison and UTF-8/UTF-16
 * conversion for all pnpbox layers (contract in pb_utf16.h).
 */
#include "pb_utf16.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t pb_wcslen(const uint16_t *s)
{
    size_t n = 0;
    if (!s)
        return 0;
    while (s[n])
        n++;
    return n;
}

void pb_upcase_n(uint16_t *dst, const uint16_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = pb_upcase(src[i]);
}

int pb_wcsnicmp(const uint16_t *a, size_t an, const uint16_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) {
        uint16_t x = pb_upcase(a[i]), y = pb_upcase(b[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return an < bn ? -1 : an > bn;
}

int pb_wcsncmp(const uint16_t *a, size_t an, const uint16_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return an < bn ? -1 : an > bn;
}

int pb_wcsnieq(const uint16_t *a, size_t an, const uint16_t *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (a[i] != b[i] && pb_upcase(a[i]) != pb_upcase(b[i]))
            return 0;
    return 1;
}

int pb_wcsieq_ascii(const uint16_t *a, size_t an, const char *ascii)
{
    size_t i = 0;
    for (; i < an; i++) {
        unsigned char c = (unsigned char)ascii[i];
        if (!c || pb_upcase(a[i]) != pb_upcase(c))
            return 0;
    }
    return ascii[i] == 0;
}

int pb_utf16_validate(const uint16_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t c = s[i];
        if (c >= 0xD800 && c <= 0xDBFF) {
            if (i + 1 >= n || s[i + 1] < 0xDC00 || s[i + 1] > 0xDFFF)
                return -EILSEQ;
            i++;
        } else if (c >= 0xDC00 && c <= 0xDFFF) {
            return -EILSEQ;
        }
    }
    return 0;
}

int pb_utf8_to_utf16(const char *s, size_t n, uint16_t **out, size_t *outn)
{
    const unsigned char *p = (const unsigned char *)s;
    /* Every UTF-8 byte yields at most one code unit (4 bytes -> 2 units). */
    uint16_t *buf = malloc((n + 1) * sizeof(uint16_t));
    size_t o = 0;
    if (!buf)
        return -ENOMEM;
    for (size_t i = 0; i < n;) {
        uint32_t c = p[i];
        size_t len;
        uint32_t min;
        if (c < 0x80) {
            buf[o++] = (uint16_t)c;
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, min = 0x10000, c &= 0x07;
        } else {
            goto bad;
        }
        if (i + len > n)
            goto bad;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                goto bad;
            c = (c << 6) | (p[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            goto bad;
        if (c >= 0x10000) {
            c -= 0x10000;
            buf[o++] = (uint16_t)(0xD800 | (c >> 10));
            buf[o++] = (uint16_t)(0xDC00 | (c & 0x3FF));
        } else {
            buf[o++] = (uint16_t)c;
        }
        i += len;
    }
    buf[o] = 0;
    *out = buf;
    if (outn)
        *outn = o;
    return 0;
bad:
    free(buf);
    return -EILSEQ;
}

uint32_t pb_utf16_next(const uint16_t *s, size_t n, size_t *i)
{
    uint32_t c = s[*i];
    if (c >= 0xD800 && c <= 0xDBFF && *i + 1 < n && s[*i + 1] >= 0xDC00 && s[*i + 1] <= 0xDFFF) {
        c = 0x10000 + (((c - 0xD800) << 10) | (s[*i + 1] - 0xDC00u));
        (*i)++;
    }
    (*i)++;
    return c;
}

size_t pb_utf8_put(char *out, uint32_t c)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static int lone_surrogate(uint32_t c) { return c >= 0xD800 && c <= 0xDFFF; }

int pb_utf16_to_utf8(const uint16_t *s, size_t n, char **out, size_t *outn, int flags)
{
    /* A unit takes at most 3 bytes (a pair: 2 units, 4 bytes). */
    char *buf = malloc(n * 3 + 1);
    size_t o = 0;
    if (!buf)
        return -ENOMEM;
    for (size_t i = 0; i < n;) {
        uint32_t c = pb_utf16_next(s, n, &i);
        if (lone_surrogate(c)) {
            if (!(flags & PB_UTF_REPLACE)) {
                free(buf);
                return -EILSEQ;
            }
            c = 0xFFFD;
        }
        o += pb_utf8_put(buf + o, c);
    }
    buf[o] = 0;
    *out = buf;
    if (outn)
        *outn = o;
    return 0;
}

size_t pb_utf16_to_utf8_buf(const uint16_t *s, size_t n, char *buf, size_t cap, int flags)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c = pb_utf16_next(s, n, &i);
        if (lone_surrogate(c))
            c = 0xFFFD;
        if (c == 0 && (flags & PB_UTF_NUL_SPACE))
            c = ' ';
        char tmp[4];
        size_t k = pb_utf8_put(tmp, c);
        if (o + k >= cap)
            break;
        memcpy(buf + o, tmp, k);
        o += k;
    }
    buf[o] = 0;
    return o;
}

uint16_t *pb_wcsndup(const uint16_t *s, size_t n)
{
    uint16_t *d = malloc((n + 1) * sizeof(uint16_t));
    if (!d)
        return NULL;
    if (n)
        memcpy(d, s, n * sizeof(uint16_t));
    d[n] = 0;
    return d;
}

uint16_t *pb_wcs_from_utf8(const char *s)
{
    uint16_t *w = NULL;
    if (!s || pb_utf8_to_utf16(s, strlen(s), &w, NULL) < 0)
        return NULL;
    return w;
}

char *pb_utf8_from_wcs(const uint16_t *s, size_t n)
{
    char *u = NULL;
    if (pb_utf16_to_utf8(s ? s : (const uint16_t *)u"", s ? n : 0, &u, NULL, PB_UTF_REPLACE) < 0)
        return NULL;
    return u;
}

/* Windows-1252 0x80-0x9F (the only range that differs from Latin-1). */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

uint16_t pb_cp1252_to_unicode(uint8_t b)
{
    if (b >= 0x80 && b <= 0x9F)
        return cp1252_high[b - 0x80];
    return b;
}

/* Next UTF-16 code unit of a UTF-8 string (a supplementary character yields
 * its surrogates one after the other); 0 at the end, 0xFFFF for bad input. */
typedef struct u8it {
    const unsigned char *p;
    uint16_t pending;
} u8it;

static uint16_t u8next(u8it *it)
{
    if (it->pending) {
        uint16_t c = it->pending;
        it->pending = 0;
        return c;
    }
    const unsigned char *p = it->p;
    uint32_t c = *p;
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!c)
        return 0;
    if (!len) {
        it->p++;
        return 0xFFFF;
    }
    if (len > 1)
        c &= 0x3F >> (len - 1);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            it->p++;
            return 0xFFFF;
        }
        c = (c << 6) | (p[i] & 0x3F);
    }
    it->p += len;
    if (c >= 0x10000) {
        c -= 0x10000;
        it->pending = (uint16_t)(0xDC00 | (c & 0x3FF));
        return (uint16_t)(0xD800 | (c >> 10));
    }
    return (uint16_t)c;
}

int pb_utf8_ieq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    u8it x = {(const unsigned char *)a, 0}, y = {(const unsigned char *)b, 0};
    for (;;) {
        uint16_t c = u8next(&x), d = u8next(&y);
        if (c != d && pb_upcase(c) != pb_upcase(d))
            return 0;
        if (!c)
            return 1;
    }
}
