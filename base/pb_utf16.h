/*
 * pb_utf16.h: the UTF-16 helpers every pnpbox layer uses.
 *
 * Windows names are UTF-16 code units.  pnpbox never hands a wchar_t to
 * libc (DESIGN.md "Windows fidelity"): these helpers work on uint16_t
 * arrays with explicit lengths, as UNICODE_STRING does.  Case-insensitive
 * comparison follows Windows' single-code-unit uppercase table
 * ([MS-UCODEREF] 3.1.5.3), generated into upcase_table.c by
 * tools/gen_upcase.pl.
 *
 * Errors are negative errno values (-EILSEQ for malformed text, -ENOMEM).
 */
#ifndef PB_UTF16_H
#define PB_UTF16_H

#include <stddef.h>
#include <stdint.h>

extern const uint8_t pb_upcase_index[256];
extern const uint16_t pb_upcase_pages[][256];

/* Windows' uppercase of one UTF-16 code unit. */
static inline uint16_t pb_upcase(uint16_t c)
{
    return (uint16_t)(c + pb_upcase_pages[pb_upcase_index[c >> 8]][c & 0xff]);
}

/* Length in code units of a NUL-terminated UTF-16 string (NULL -> 0). */
size_t pb_wcslen(const uint16_t *s);

/* Upcase n code units from src into dst (may alias). */
void pb_upcase_n(uint16_t *dst, const uint16_t *src, size_t n);

/*
 * Compare two counted strings after upcasing each code unit, by code unit
 * value; a proper prefix sorts first.  This is the order of registry
 * subkey enumeration and of RtlCompareUnicodeString(..., TRUE).
 */
int pb_wcsnicmp(const uint16_t *a, size_t an, const uint16_t *b, size_t bn);

/* Case-sensitive counted compare by code unit. */
int pb_wcsncmp(const uint16_t *a, size_t an, const uint16_t *b, size_t bn);

/* Equality ignoring case; cheaper than pb_wcsnicmp when lengths differ. */
int pb_wcsnieq(const uint16_t *a, size_t an, const uint16_t *b, size_t bn);

/* Case-insensitive compare of a UTF-16 string against ASCII text. */
int pb_wcsieq_ascii(const uint16_t *a, size_t an, const char *ascii);

/*
 * UTF-8 -> UTF-16.  Strict: overlong forms, surrogates encoded in UTF-8,
 * values above U+10FFFF and truncated sequences give -EILSEQ.  On success
 * *out is a malloc'd buffer of *outn code units plus a NUL terminator
 * (caller frees); outn may be NULL.
 */
int pb_utf8_to_utf16(const char *s, size_t n, uint16_t **out, size_t *outn);

/* Flags for pb_utf16_to_utf8 and pb_utf16_to_utf8_buf. */
enum {
    PB_UTF_STRICT = 0,    /* an unpaired surrogate is -EILSEQ */
    PB_UTF_REPLACE = 1,   /* an unpaired surrogate becomes U+FFFD (for display) */
    PB_UTF_NUL_SPACE = 2, /* an embedded U+0000 becomes ' ' (pb_utf16_to_utf8_buf, for messages) */
};

/*
 * The code point at s[*i] (n units): a surrogate pair counts once, an
 * unpaired surrogate is returned as is (0xD800-0xDFFF) for the caller to
 * reject or replace; *i moves past what was read.
 */
uint32_t pb_utf16_next(const uint16_t *s, size_t n, size_t *i);

/* The UTF-8 bytes of code point c (at most 4) into out; returns how many. */
size_t pb_utf8_put(char *out, uint32_t c);

/*
 * UTF-16 -> UTF-8 into buf (cap bytes, cap > 0), always NUL-terminated;
 * stops before a code point that would not fit.  Unpaired surrogates
 * become U+FFFD.  Returns the bytes written (without the NUL).
 */
size_t pb_utf16_to_utf8_buf(const uint16_t *s, size_t n, char *buf, size_t cap, int flags);

/*
 * UTF-16 -> UTF-8.  On success *out is a malloc'd NUL-terminated string
 * (caller frees) of *outn bytes (outn may be NULL).
 */
int pb_utf16_to_utf8(const uint16_t *s, size_t n, char **out, size_t *outn, int flags);

/* Validate UTF-16: 0, or -EILSEQ on an unpaired surrogate. */
int pb_utf16_validate(const uint16_t *s, size_t n);

/* malloc'd copy of n code units plus NUL (NULL on allocation failure). */
uint16_t *pb_wcsndup(const uint16_t *s, size_t n);

/* malloc'd UTF-16 copy of ASCII/UTF-8 text; NULL on failure or bad UTF-8. */
uint16_t *pb_wcs_from_utf8(const char *s);

/* malloc'd UTF-8 copy for messages (unpaired surrogates become U+FFFD). */
char *pb_utf8_from_wcs(const uint16_t *s, size_t n);

/*
 * Case-insensitive equality of two NUL-terminated UTF-8 strings under
 * Windows' upcase table, without allocating (service and component names).
 * Malformed UTF-8 compares byte for byte.
 */
int pb_utf8_ieq(const char *a, const char *b);

/* Windows-1252 byte -> Unicode code point (undefined bytes map to themselves). */
uint16_t pb_cp1252_to_unicode(uint8_t b);

#endif
