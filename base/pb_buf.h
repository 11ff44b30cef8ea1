/*
 * pb_buf.h: a growable byte buffer, used for text output, UTF-16 building
 * and serialisation.  A failed allocation sets ->oom and makes every later
 * append a no-op, so callers check once at the end.
 */
#ifndef PB_BUF_H
#define PB_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pb_buf {
    unsigned char *data; /* owned; NUL-terminated as text after any append */
    size_t len;
    size_t cap;
    int oom;
} pb_buf;

#define PB_BUF_INIT {NULL, 0, 0, 0}

int pb_buf_reserve(pb_buf *b, size_t extra);               /* 0 or -ENOMEM */
void pb_buf_add(pb_buf *b, const void *p, size_t n);
void pb_buf_addc(pb_buf *b, char c);
void pb_buf_adds(pb_buf *b, const char *s);
void pb_buf_printf(pb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pb_buf_vprintf(pb_buf *b, const char *fmt, va_list ap);
void pb_buf_add_u16(pb_buf *b, uint16_t c);                /* one UTF-16 unit */
void pb_buf_add_wcs(pb_buf *b, const uint16_t *s, size_t n); /* n UTF-16 units */
void pb_buf_json_str(pb_buf *b, const char *utf8);         /* a quoted JSON string */
void pb_buf_xml_str(pb_buf *b, const char *utf8);          /* XML-escaped text */
char *pb_buf_steal(pb_buf *b);                             /* hand over data; NULL if oom */
void pb_buf_free(pb_buf *b);

#endif
