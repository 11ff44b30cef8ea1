/*
 * k_fmt.c: Windows' kernel printf, written for pnpbox.  DbgPrint and the
 * ntstrsafe printf family (RtlStringCchPrintfW/A, RtlUnicodeStringPrintf)
 * format through kfmt_vformat, so driver code gets the conversions it was
 * written for on Windows: %wZ / %Z for counted strings, %ws / %ls / %S for
 * wide strings, %I64d, 32-bit %ld (LONG is 32 bits on Windows), %Id
 * pointer-sized, %p as 16 uppercase hex digits.  See k_fmt.h for the
 * contract.  Floating-point conversions are rendered by the host C library
 * (the digits agree with Windows' UCRT; %a spells its digits differently).
 *
 * Also the ANSI code page pnpbox uses (Windows-1252) in the direction
 * base/pb_utf16 lacks: Unicode to 1252.
 */
#include "emu/k_fmt.h"

#include "base/pb_utf16.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- code page */

int kfmt_cp1252_from_unicode(uint16_t u)
{
    if (u < 0x80 || (u >= 0xA0 && u <= 0xFF))
        return u;
    for (unsigned b = 0x80; b <= 0x9F; b++)
        if (pb_cp1252_to_unicode((uint8_t)b) == u)
            return (int)b;
    return -1;
}

/* ---------------------------------------------------------------- output */

static void put(kfmt_out *o, unsigned u)
{
    if (o->overflow)
        return;
    if (o->len >= o->cap) {
        o->overflow = 1;
        return;
    }
    if (o->wide)
        ((uint16_t *)o->buf)[o->len++] = (uint16_t)u;
    else
        ((unsigned char *)o->buf)[o->len++] = (unsigned char)u;
}

static void put_n(kfmt_out *o, unsigned u, size_t n)
{
    while (n-- && !o->overflow)
        put(o, u);
}

/* A UTF-8 sequence goes out whole or not at all. */
static void put_utf8(kfmt_out *o, uint32_t cp)
{
    unsigned char b[4];
    size_t k;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    if (o->overflow)
        return;
    if (o->len + k > o->cap) {
        o->overflow = 1;
        return;
    }
    for (size_t i = 0; i < k; i++)
        put(o, b[i]);
}

/* Text from an argument: n units of narrow bytes or UTF-16. */
typedef struct text {
    const void *p;
    size_t n;
    int wide;
} text;

static void put_text(kfmt_out *o, const text *t)
{
    if (!t->wide) {
        const unsigned char *s = t->p;
        for (size_t i = 0; i < t->n && !o->overflow; i++)
            put(o, o->wide ? pb_cp1252_to_unicode(s[i]) : s[i]);
        return;
    }
    const uint16_t *s = t->p;
    for (size_t i = 0; i < t->n && !o->overflow; i++) {
        uint16_t u = s[i];
        if (o->wide) {
            put(o, u);
        } else if (o->utf8) {
            uint32_t cp = u;
            if (u >= 0xD800 && u <= 0xDBFF && i + 1 < t->n && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
                cp = 0x10000 + (((uint32_t)u - 0xD800) << 10) + (s[i + 1] - 0xDC00);
                i++;
            } else if (u >= 0xD800 && u <= 0xDFFF) {
                cp = 0xFFFD;
            }
            put_utf8(o, cp);
        } else {
            int b = kfmt_cp1252_from_unicode(u);
            put(o, b < 0 ? '?' : (unsigned)b);
        }
    }
}

/* ---------------------------------------------------------------- conversion specs */

enum {
    F_LEFT = 1,
    F_PLUS = 2,
    F_SPACE = 4,
    F_ALT = 8,
    F_ZERO = 16,
};

enum size_mod {
    SZ_NONE,
    SZ_HH,
    SZ_H,
    SZ_L,   /* l: 32-bit integers, wide characters */
    SZ_W,   /* w: wide characters */
    SZ_64,  /* ll, I64, L (integers) */
    SZ_32,  /* I32 */
    SZ_PTR, /* I, z, t, j */
};

typedef struct spec {
    unsigned flags;
    int width;      /* -1: none */
    int prec;       /* -1: none */
    enum size_mod size;
} spec;

/* Formats are bounded by the output anyway; keep hostile widths finite. */
#define KFMT_MAX_FIELD 0x100000

static void pad_field(kfmt_out *o, const spec *sp, size_t body, int before)
{
    if (sp->width < 0 || (size_t)sp->width <= body)
        return;
    size_t n = (size_t)sp->width - body;
    if (before && !(sp->flags & F_LEFT))
        put_n(o, (sp->flags & F_ZERO) ? '0' : ' ', n);
    else if (!before && (sp->flags & F_LEFT))
        put_n(o, ' ', n);
}

static void emit_text_field(kfmt_out *o, const spec *sp, text t)
{
    if (sp->prec >= 0 && t.n > (size_t)sp->prec)
        t.n = (size_t)sp->prec;
    pad_field(o, sp, t.n, 1);
    put_text(o, &t);
    pad_field(o, sp, t.n, 0);
}

static size_t wcs_len_max(const uint16_t *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

static void emit_integer(kfmt_out *o, spec sp, uint64_t v, int negative, unsigned base, int upper, int is_ptr)
{
    char digits[72];
    size_t nd = 0;
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    while (v) {
        digits[nd++] = set[v % base];
        v /= base;
    }
    int prec = sp.prec;
    if (prec < 0)
        prec = 1;
    else
        sp.flags &= ~(unsigned)F_ZERO; /* a precision cancels the 0 flag for integers */
    char prefix[3];
    size_t np = 0;
    if (negative)
        prefix[np++] = '-';
    else if (!is_ptr && (sp.flags & F_PLUS) && base == 10)
        prefix[np++] = '+';
    else if (!is_ptr && (sp.flags & F_SPACE) && base == 10)
        prefix[np++] = ' ';
    if ((sp.flags & F_ALT) && base == 16 && (nd || is_ptr)) {
        prefix[np++] = '0';
        prefix[np++] = upper ? 'X' : 'x';
    }
    size_t zeros = (size_t)prec > nd ? (size_t)prec - nd : 0;
    if ((sp.flags & F_ALT) && base == 8 && zeros == 0 && (nd == 0 || digits[nd - 1] != '0'))
        zeros = 1;
    size_t body = np + zeros + nd;
    if (sp.width >= 0 && (size_t)sp.width > body && (sp.flags & F_ZERO) && !(sp.flags & F_LEFT)) {
        zeros += (size_t)sp.width - body;
        body = (size_t)sp.width;
    }
    pad_field(o, &sp, body, 1);
    for (size_t i = 0; i < np; i++)
        put(o, (unsigned char)prefix[i]);
    put_n(o, '0', zeros);
    while (nd && !o->overflow)
        put(o, (unsigned char)digits[--nd]);
    pad_field(o, &sp, body, 0);
}

static void emit_float(kfmt_out *o, const spec *sp, char conv, double d)
{
    char f[32];
    size_t k = 0;
    f[k++] = '%';
    if (sp->flags & F_LEFT)
        f[k++] = '-';
    if (sp->flags & F_PLUS)
        f[k++] = '+';
    if (sp->flags & F_SPACE)
        f[k++] = ' ';
    if (sp->flags & F_ALT)
        f[k++] = '#';
    if (sp->flags & F_ZERO)
        f[k++] = '0';
    f[k++] = '*';
    f[k++] = '.';
    f[k++] = '*';
    f[k++] = conv;
    f[k] = 0;
    int width = sp->width < 0 ? 0 : sp->width;
    int prec = sp->prec < 0 ? (conv == 'a' || conv == 'A' ? -1 : 6) : sp->prec;
    int n = snprintf(NULL, 0, f, width, prec, d);
    if (n < 0)
        return;
    char small[128], *buf = (size_t)n < sizeof small ? small : malloc((size_t)n + 1);
    if (!buf) {
        o->overflow = 1; /* cannot render: treat as output that does not fit */
        return;
    }
    snprintf(buf, (size_t)n + 1, f, width, prec, d);
    text t = {buf, (size_t)n, 0};
    put_text(o, &t);
    if (buf != small)
        free(buf);
}

/* The counted-string structures, laid out as ntdef.h's STRING and UNICODE_STRING. */
typedef struct k_string {
    uint16_t Length;
    uint16_t MaximumLength;
    void *Buffer;
} k_string;

/* ---------------------------------------------------------------- the engine */

static unsigned fmt_unit(const void *fmt, int wide, size_t i)
{
    return wide ? ((const uint16_t *)fmt)[i] : ((const unsigned char *)fmt)[i];
}

static int64_t arg_signed(va_list *ap, enum size_mod sz)
{
    switch (sz) {
    case SZ_HH:
        return (signed char)va_arg(*ap, int);
    case SZ_H:
        return (short)va_arg(*ap, int);
    case SZ_64:
        return va_arg(*ap, long long);
    case SZ_PTR:
        return (int64_t)va_arg(*ap, intptr_t);
    default:
        return va_arg(*ap, int);
    }
}

static uint64_t arg_unsigned(va_list *ap, enum size_mod sz)
{
    switch (sz) {
    case SZ_HH:
        return (unsigned char)va_arg(*ap, unsigned);
    case SZ_H:
        return (unsigned short)va_arg(*ap, unsigned);
    case SZ_64:
        return va_arg(*ap, unsigned long long);
    case SZ_PTR:
        return (uint64_t)va_arg(*ap, uintptr_t);
    default:
        return va_arg(*ap, unsigned);
    }
}

/* Does this conversion take a wide argument?  c is the conversion letter
 * (s, c or Z), upper whether it was written S / C. */
static int wants_wide(const kfmt_out *o, const spec *sp, int upper)
{
    if (sp->size == SZ_H || sp->size == SZ_HH)
        return 0;
    if (sp->size == SZ_L || sp->size == SZ_W)
        return 1;
    return o->wide ? !upper : upper;
}

static size_t parse_num(const void *fmt, int wide, size_t *i)
{
    size_t v = 0;
    unsigned c;
    while ((c = fmt_unit(fmt, wide, *i)) >= '0' && c <= '9') {
        if (v < KFMT_MAX_FIELD)
            v = v * 10 + (c - '0');
        (*i)++;
    }
    return v > KFMT_MAX_FIELD ? KFMT_MAX_FIELD : v;
}

static void format_args(kfmt_out *o, const void *fmt, va_list *ap)
{
    int fw = o->wide;
    size_t i = 0;
    unsigned c;
    static const char null_text[] = "(null)";
    while ((c = fmt_unit(fmt, fw, i)) != 0 && !o->overflow) {
        i++;
        if (c != '%') {
            put(o, c);
            continue;
        }
        spec sp = {0, -1, -1, SZ_NONE};
        for (;; i++) {
            c = fmt_unit(fmt, fw, i);
            if (c == '-')
                sp.flags |= F_LEFT;
            else if (c == '+')
                sp.flags |= F_PLUS;
            else if (c == ' ')
                sp.flags |= F_SPACE;
            else if (c == '#')
                sp.flags |= F_ALT;
            else if (c == '0')
                sp.flags |= F_ZERO;
            else
                break;
        }
        if (fmt_unit(fmt, fw, i) == '*') {
            i++;
            int w = va_arg(*ap, int);
            if (w < 0) {
                sp.flags |= F_LEFT;
                w = w == -2147483647 - 1 ? KFMT_MAX_FIELD : -w;
            }
            sp.width = w > KFMT_MAX_FIELD ? KFMT_MAX_FIELD : w;
        } else if ((c = fmt_unit(fmt, fw, i)) >= '1' && c <= '9') {
            sp.width = (int)parse_num(fmt, fw, &i);
        }
        if (fmt_unit(fmt, fw, i) == '.') {
            i++;
            if (fmt_unit(fmt, fw, i) == '*') {
                i++;
                int p = va_arg(*ap, int);
                sp.prec = p < 0 ? -1 : (p > KFMT_MAX_FIELD ? KFMT_MAX_FIELD : p);
            } else {
                sp.prec = (int)parse_num(fmt, fw, &i);
            }
        }
        c = fmt_unit(fmt, fw, i);
        if (c == 'h') {
            i++;
            sp.size = SZ_H;
            if (fmt_unit(fmt, fw, i) == 'h') {
                i++;
                sp.size = SZ_HH;
            }
        } else if (c == 'l') {
            i++;
            sp.size = SZ_L;
            if (fmt_unit(fmt, fw, i) == 'l') {
                i++;
                sp.size = SZ_64;
            }
        } else if (c == 'w') {
            i++;
            sp.size = SZ_W;
        } else if (c == 'L') {
            i++;
            sp.size = SZ_64;
        } else if (c == 'z' || c == 't' || c == 'j') {
            i++;
            sp.size = SZ_PTR;
        } else if (c == 'I') {
            i++;
            if (fmt_unit(fmt, fw, i) == '6' && fmt_unit(fmt, fw, i + 1) == '4') {
                i += 2;
                sp.size = SZ_64;
            } else if (fmt_unit(fmt, fw, i) == '3' && fmt_unit(fmt, fw, i + 1) == '2') {
                i += 2;
                sp.size = SZ_32;
            } else {
                sp.size = SZ_PTR;
            }
        }
        c = fmt_unit(fmt, fw, i);
        if (c == 0)
            break; /* a lone '%' at the end prints nothing */
        i++;
        switch (c) {
        case '%':
            put(o, '%');
            break;
        case 'd':
        case 'i': {
            int64_t v = arg_signed(ap, sp.size);
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            emit_integer(o, sp, mag, v < 0, 10, 0, 0);
            break;
        }
        case 'u':
            emit_integer(o, sp, arg_unsigned(ap, sp.size), 0, 10, 0, 0);
            break;
        case 'o':
            emit_integer(o, sp, arg_unsigned(ap, sp.size), 0, 8, 0, 0);
            break;
        case 'x':
        case 'X':
            emit_integer(o, sp, arg_unsigned(ap, sp.size), 0, 16, c == 'X', 0);
            break;
        case 'p': {
            uintptr_t v = (uintptr_t)va_arg(*ap, void *);
            spec ps = sp;
            ps.prec = (int)(2 * sizeof(void *));
            emit_integer(o, ps, (uint64_t)v, 0, 16, 1, 1);
            break;
        }
        case 'c':
        case 'C': {
            int ww = wants_wide(o, &sp, c == 'C');
            unsigned v = (unsigned)va_arg(*ap, int);
            spec cs = sp;
            cs.prec = -1;
            if (ww) {
                uint16_t w = (uint16_t)v;
                emit_text_field(o, &cs, (text){&w, 1, 1});
            } else {
                unsigned char b = (unsigned char)v;
                emit_text_field(o, &cs, (text){&b, 1, 0});
            }
            break;
        }
        case 's':
        case 'S': {
            int ww = wants_wide(o, &sp, c == 'S');
            const void *s = va_arg(*ap, const void *);
            size_t max = sp.prec >= 0 ? (size_t)sp.prec : (size_t)-1;
            if (!s)
                emit_text_field(o, &sp, (text){null_text, sizeof null_text - 1, 0});
            else if (ww)
                emit_text_field(o, &sp, (text){s, wcs_len_max(s, max), 1});
            else
                emit_text_field(o, &sp, (text){s, strnlen(s, max), 0});
            break;
        }
        case 'Z': {
            /* %Z follows %s's width rule: narrow format ANSI_STRING, wide
             * format UNICODE_STRING; %wZ / %lZ UNICODE_STRING, %hZ ANSI_STRING. */
            int ww = wants_wide(o, &sp, 0);
            const k_string *ks = va_arg(*ap, const k_string *);
            if (!ks || !ks->Buffer)
                emit_text_field(o, &sp, (text){null_text, sizeof null_text - 1, 0});
            else if (ww)
                emit_text_field(o, &sp, (text){ks->Buffer, ks->Length / 2u, 1});
            else
                emit_text_field(o, &sp, (text){ks->Buffer, ks->Length, 0});
            break;
        }
        case 'n':
            /* Windows disables %n; pnpbox never writes through it either. */
            (void)va_arg(*ap, void *);
            break;
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
        case 'a':
        case 'A':
            emit_float(o, &sp, (char)c, va_arg(*ap, double));
            break;
        default:
            put(o, c); /* an unknown conversion prints its character */
            break;
        }
    }
}

void kfmt_vformat(kfmt_out *o, const void *fmt, va_list ap)
{
    if (!fmt)
        return;
    va_list cp;
    va_copy(cp, ap);
    format_args(o, fmt, &cp);
    va_end(cp);
}
