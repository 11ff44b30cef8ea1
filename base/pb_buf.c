/*
 * pb_buf.c: growable byte buffer (contract in pb_buf.h).
 */
#include "pb_buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pb_buf_reserve(pb_buf *b, size_t extra)
{
    if (b->oom)
        return -ENOMEM;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return -ENOMEM;
        }
        cap *= 2;
    }
    unsigned char *d = realloc(b->data, cap);
    if (!d) {
        b->oom = 1;
        return -ENOMEM;
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

void pb_buf_add(pb_buf *b, const void *p, size_t n)
{
    if (pb_buf_reserve(b, n) < 0)
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void pb_buf_addc(pb_buf *b, char c) { pb_buf_add(b, &c, 1); }

void pb_buf_adds(pb_buf *b, const char *s) { pb_buf_add(b, s, strlen(s)); }

void pb_buf_vprintf(pb_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || pb_buf_reserve(b, (size_t)n) < 0)
        return;
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void pb_buf_printf(pb_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pb_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void pb_buf_add_u16(pb_buf *b, uint16_t c) { pb_buf_add(b, &c, sizeof c); }

void pb_buf_add_wcs(pb_buf *b, const uint16_t *s, size_t n) { pb_buf_add(b, s, n * sizeof *s); }

void pb_buf_json_str(pb_buf *b, const char *s)
{
    pb_buf_addc(b, '"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': pb_buf_adds(b, "\\\""); break;
        case '\\': pb_buf_adds(b, "\\\\"); break;
        case '\n': pb_buf_adds(b, "\\n"); break;
        case '\r': pb_buf_adds(b, "\\r"); break;
        case '\t': pb_buf_adds(b, "\\t"); break;
        default:
            if (*p < 0x20)
                pb_buf_printf(b, "\\u%04x", *p);
            else
                pb_buf_addc(b, (char)*p);
        }
    }
    pb_buf_addc(b, '"');
}

void pb_buf_xml_str(pb_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '<': pb_buf_adds(b, "&lt;"); break;
        case '>': pb_buf_adds(b, "&gt;"); break;
        case '&': pb_buf_adds(b, "&amp;"); break;
        case '"': pb_buf_adds(b, "&quot;"); break;
        case '\'': pb_buf_adds(b, "&apos;"); break;
        default:
            /* XML 1.0 forbids most C0 controls even as references. */
            if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r')
                pb_buf_printf(b, "&#xFFFD;");
            else
                pb_buf_addc(b, (char)*p);
        }
    }
}

char *pb_buf_steal(pb_buf *b)
{
    if (b->oom) {
        pb_buf_free(b);
        return NULL;
    }
    if (!b->data && pb_buf_reserve(b, 0) < 0)
        return NULL;
    if (b->data)
        b->data[b->len] = 0;
    char *d = (char *)b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

void pb_buf_free(pb_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}
