/*
 * ntstrsafe.c: the kernel safe-string functions of <ntstrsafe.h>, written
 * for pnpbox as library functions (Microsoft ships them as inline code).
 *
 * One generic core per family works on either char or WCHAR units (w = 1
 * or 2); the ~90 public functions are thin wrappers.  The semantics are
 * ntstrsafe's, reconstructed from its documentation: destination sizes of
 * 0 or above NTSTRSAFE_MAX_CCH are STATUS_INVALID_PARAMETER; truncation is
 * STATUS_BUFFER_OVERFLOW with the destination still terminated; the Ex
 * flags apply in the order NO_TRUNCATION, FILL_ON_FAILURE,
 * NULL_ON_FAILURE; ppszDestEnd / pcchRemaining are set only on success or
 * truncation.  Where ntstrsafe's inline code would dereference a NULL
 * pointer (a NULL source or format without STRSAFE_IGNORE_NULLS, a NULL
 * destination), pnpbox returns STATUS_INVALID_PARAMETER instead, and the
 * non-Ex copy and printf forms still empty a usable destination, as they
 * do for their other failures.
 */
#include <wdm.h>

#include <ntstrsafe.h>

#include "emu/k_fmt.h"

#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------- units */

static unsigned get_u(const void *p, int w, size_t i)
{
    return w == 2 ? ((const uint16_t *)p)[i] : ((const unsigned char *)p)[i];
}

static void set_u(void *p, int w, size_t i, unsigned v)
{
    if (w == 2)
        ((uint16_t *)p)[i] = (uint16_t)v;
    else
        ((unsigned char *)p)[i] = (unsigned char)v;
}

static void *at(void *p, int w, size_t i) { return p ? (char *)p + i * (size_t)w : NULL; }

static const uint16_t empty_w[1] = {0};

/* ---------------------------------------------------------------- workers */

/* Copy until NUL, cchToCopy or the end of the buffer (then truncate and
 * report an overflow); always terminate.  cchDest >= 1. */
static NTSTATUS copy_worker(int w, void *dst, size_t cchDest, size_t *copied, const void *src, size_t cchToCopy)
{
    size_t n = 0;
    NTSTATUS st = STATUS_SUCCESS;
    while (cchDest && cchToCopy && get_u(src, w, n) != 0) {
        set_u(dst, w, n, get_u(src, w, n));
        n++;
        cchDest--;
        cchToCopy--;
    }
    if (cchDest == 0) {
        n--;
        st = STATUS_BUFFER_OVERFLOW;
    }
    set_u(dst, w, n, 0);
    if (copied)
        *copied = n;
    return st;
}

/* STATUS_INVALID_PARAMETER when s is not terminated within cchMax units. */
static NTSTATUS length_worker(int w, const void *s, size_t cchMax, size_t *len)
{
    size_t n = 0;
    while (cchMax && get_u(s, w, n) != 0) {
        n++;
        cchMax--;
    }
    NTSTATUS st = cchMax ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
    if (len)
        *len = NT_SUCCESS(st) ? n : 0;
    return st;
}

/* Format into at most cchDest - 1 units plus a terminator; an output of
 * exactly cchDest - 1 units is not a truncation. */
static NTSTATUS vprintf_worker(int w, void *dst, size_t cchDest, size_t *newlen, const void *fmt, va_list ap)
{
    kfmt_out o = {w == 2, 0, dst, cchDest - 1, 0, 0};
    kfmt_vformat(&o, fmt, ap);
    set_u(dst, w, o.len, 0);
    *newlen = o.len;
    return o.overflow ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- the plain forms */

enum op { OP_COPY, OP_CAT, OP_PRINTF };

static int valid_dest(const void *d, size_t cch) { return d && cch != 0 && cch <= NTSTRSAFE_MAX_CCH; }

static NTSTATUS plain_copy(int w, void *dst, size_t cchDest, const void *src, size_t cchToCopy, int n_form)
{
    if (!valid_dest(dst, cchDest)) {
        if (dst && cchDest > 0)
            set_u(dst, w, 0, 0); /* ntstrsafe empties a destination it refuses */
        return STATUS_INVALID_PARAMETER;
    }
    if (!src || (n_form && cchToCopy > NTSTRSAFE_MAX_LENGTH)) {
        set_u(dst, w, 0, 0);
        return STATUS_INVALID_PARAMETER;
    }
    return copy_worker(w, dst, cchDest, NULL, src, n_form ? cchToCopy : NTSTRSAFE_MAX_LENGTH);
}

static NTSTATUS plain_cat(int w, void *dst, size_t cchDest, const void *src, size_t cchToAppend, int n_form)
{
    size_t len;
    if (!valid_dest(dst, cchDest))
        return STATUS_INVALID_PARAMETER;
    NTSTATUS st = length_worker(w, dst, cchDest, &len);
    if (!NT_SUCCESS(st))
        return st;
    if (!src || (n_form && cchToAppend > NTSTRSAFE_MAX_LENGTH))
        return STATUS_INVALID_PARAMETER;
    return copy_worker(w, at(dst, w, len), cchDest - len, NULL, src, n_form ? cchToAppend : NTSTRSAFE_MAX_LENGTH);
}

static NTSTATUS plain_printf(int w, void *dst, size_t cchDest, const void *fmt, va_list ap)
{
    if (!valid_dest(dst, cchDest) || !fmt) {
        if (dst && cchDest > 0)
            set_u(dst, w, 0, 0);
        return STATUS_INVALID_PARAMETER;
    }
    size_t n;
    return vprintf_worker(w, dst, cchDest, &n, fmt, ap);
}

static NTSTATUS plain_length(int w, const void *s, size_t cchMax, size_t *len)
{
    NTSTATUS st = (!s || cchMax > NTSTRSAFE_MAX_CCH) ? STATUS_INVALID_PARAMETER : length_worker(w, s, cchMax, len);
    if (!NT_SUCCESS(st) && len)
        *len = 0;
    return st;
}

/* ---------------------------------------------------------------- the Ex forms */

typedef struct ex_req {
    int w;
    enum op op;
    void *dst;
    size_t cchDest;
    size_t cbDest;        /* bytes the fill flags may touch (Cb forms: including an odd byte) */
    const void *src;      /* source, or the format for OP_PRINTF */
    size_t cchToCopy;     /* N forms */
    int n_form;
    ULONG flags;
    void **end;           /* ppszDestEnd */
    size_t *remaining;    /* pcchRemaining, in units */
} ex_req;

static void fill_bytes(void *p, int pattern, size_t n)
{
    if (p && n)
        memset(p, pattern, n);
}

static NTSTATUS ex_core(const ex_req *r, va_list ap)
{
    int w = r->w;
    size_t cch = r->cchDest;
    ULONG flags = r->flags;
    /* RtlStringExValidateDest: with IGNORE_NULLS a NULL destination of size 0 is fine. */
    if (flags & STRSAFE_IGNORE_NULLS) {
        if ((!r->dst && cch != 0) || cch > NTSTRSAFE_MAX_CCH)
            return STATUS_INVALID_PARAMETER;
    } else if (!valid_dest(r->dst, cch)) {
        return STATUS_INVALID_PARAMETER;
    }
    void *end = r->dst;
    size_t rem = cch, orig = 0;
    NTSTATUS st = STATUS_SUCCESS;
    if (r->op == OP_CAT && cch != 0) {
        st = length_worker(w, r->dst, cch, &orig);
        if (NT_SUCCESS(st)) {
            end = at(r->dst, w, orig);
            rem = cch - orig;
        }
    }
    const void *src = r->src;
    if (NT_SUCCESS(st) && !src) {
        if (flags & STRSAFE_IGNORE_NULLS)
            src = empty_w; /* "" in either unit size */
        else
            st = STATUS_INVALID_PARAMETER;
    }
    if (NT_SUCCESS(st) && r->n_form && r->cchToCopy > NTSTRSAFE_MAX_LENGTH)
        st = STATUS_INVALID_PARAMETER;
    if (NT_SUCCESS(st)) {
        if (flags & ~(ULONG)STRSAFE_VALID_FLAGS) {
            st = STATUS_INVALID_PARAMETER;
            if (r->op != OP_CAT && cch != 0)
                set_u(r->dst, w, 0, 0);
        } else if (cch == 0) {
            if (get_u(src, w, 0) != 0)
                st = r->dst ? STATUS_BUFFER_OVERFLOW : STATUS_INVALID_PARAMETER;
        } else {
            size_t k;
            if (r->op == OP_PRINTF) {
                st = vprintf_worker(w, r->dst, cch, &k, src, ap);
                end = at(r->dst, w, k);
                rem = cch - k;
            } else {
                st = copy_worker(w, end, rem, &k, src, r->n_form ? r->cchToCopy : NTSTRSAFE_MAX_LENGTH);
                end = at(end, w, k);
                rem -= k;
            }
            if (NT_SUCCESS(st) && (flags & STRSAFE_FILL_BEHIND_NULL) && rem > 1)
                fill_bytes(at(end, w, 1), STRSAFE_GET_FILL_PATTERN(flags),
                           r->cbDest - (size_t)((char *)end - (char *)r->dst) - (size_t)w);
        }
    }
    if (!NT_SUCCESS(st) && (flags & (STRSAFE_NO_TRUNCATION | STRSAFE_FILL_ON_FAILURE | STRSAFE_NULL_ON_FAILURE)) &&
        r->dst) {
        if (cch > 0 && (flags & STRSAFE_NO_TRUNCATION)) {
            end = at(r->dst, w, orig);
            rem = cch - orig;
            set_u(end, w, 0, 0);
        }
        if (flags & STRSAFE_FILL_ON_FAILURE) {
            int pattern = STRSAFE_GET_FILL_PATTERN(flags);
            fill_bytes(r->dst, pattern, r->cbDest);
            if (pattern == 0) {
                end = r->dst;
                rem = cch;
            } else if (cch > 0) {
                end = at(r->dst, w, cch - 1);
                rem = 1;
                set_u(end, w, 0, 0);
            }
        }
        if (cch > 0 && (flags & STRSAFE_NULL_ON_FAILURE)) {
            set_u(r->dst, w, 0, 0);
            end = r->dst;
            rem = cch;
        }
    }
    if (NT_SUCCESS(st) || st == STATUS_BUFFER_OVERFLOW) {
        if (r->end)
            *r->end = end;
        if (r->remaining)
            *r->remaining = rem;
    }
    return st;
}

/* Run an Ex request for a Cch form. */
static NTSTATUS cch_ex(int w, enum op op, void *dst, size_t cchDest, const void *src, size_t cchToCopy, int n_form,
                       void *ppEnd, size_t *pcchRemaining, ULONG flags, va_list ap)
{
    ex_req r = {w, op, dst, cchDest, cchDest <= NTSTRSAFE_MAX_CCH ? cchDest * (size_t)w : 0, src, cchToCopy,
                n_form, flags, ppEnd, pcchRemaining};
    return ex_core(&r, ap);
}

/* Run an Ex request for a Cb form: sizes in bytes in and out. */
static NTSTATUS cb_ex(int w, enum op op, void *dst, size_t cbDest, const void *src, size_t cbToCopy, int n_form,
                      void *ppEnd, size_t *pcbRemaining, ULONG flags, va_list ap)
{
    size_t rem = 0;
    size_t cch = cbDest / (size_t)w;
    ex_req r = {w, op, dst, cch, cch <= NTSTRSAFE_MAX_CCH ? cbDest : 0, src, cbToCopy / (size_t)w, n_form, flags,
                ppEnd, pcbRemaining ? &rem : NULL};
    NTSTATUS st = ex_core(&r, ap);
    if ((NT_SUCCESS(st) || st == STATUS_BUFFER_OVERFLOW) && pcbRemaining)
        *pcbRemaining = rem * (size_t)w + cbDest % (size_t)w;
    return st;
}

/* The Ex forms without format arguments pass an unused va_list. */
static NTSTATUS cch_ex_noargs(int w, enum op op, void *dst, size_t cchDest, const void *src, size_t cchToCopy,
                              int n_form, void *ppEnd, size_t *rem, ULONG flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    NTSTATUS st = cch_ex(w, op, dst, cchDest, src, cchToCopy, n_form, ppEnd, rem, flags, ap);
    va_end(ap);
    return st;
}

static NTSTATUS cb_ex_noargs(int w, enum op op, void *dst, size_t cbDest, const void *src, size_t cbToCopy,
                             int n_form, void *ppEnd, size_t *rem, ULONG flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    NTSTATUS st = cb_ex(w, op, dst, cbDest, src, cbToCopy, n_form, ppEnd, rem, flags, ap);
    va_end(ap);
    return st;
}

/* ---------------------------------------------------------------- Cch */

NTSTATUS NTAPI RtlStringCchCopyW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc)
{
    return plain_copy(2, pszDest, cchDest, pszSrc, 0, 0);
}
NTSTATUS NTAPI RtlStringCchCopyA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc)
{
    return plain_copy(1, pszDest, cchDest, pszSrc, 0, 0);
}
NTSTATUS NTAPI RtlStringCchCopyExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc,
                                   NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcchRemaining, ULONG dwFlags)
{
    return cch_ex_noargs(2, OP_COPY, pszDest, cchDest, pszSrc, 0, 0, ppszDestEnd, pcchRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCchCopyExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc,
                                   NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcchRemaining, ULONG dwFlags)
{
    return cch_ex_noargs(1, OP_COPY, pszDest, cchDest, pszSrc, 0, 0, ppszDestEnd, pcchRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCchCopyNW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc, size_t cchToCopy)
{
    return plain_copy(2, pszDest, cchDest, pszSrc, cchToCopy, 1);
}
NTSTATUS NTAPI RtlStringCchCopyNA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc, size_t cchToCopy)
{
    return plain_copy(1, pszDest, cchDest, pszSrc, cchToCopy, 1);
}
NTSTATUS NTAPI RtlStringCchCopyNExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc,
                                    size_t cchToCopy, NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcchRemaining,
                                    ULONG dwFlags)
{
    return cch_ex_noargs(2, OP_COPY, pszDest, cchDest, pszSrc, cchToCopy, 1, ppszDestEnd, pcchRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCchCopyNExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc,
                                    size_t cchToCopy, NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcchRemaining,
                                    ULONG dwFlags)
{
    return cch_ex_noargs(1, OP_COPY, pszDest, cchDest, pszSrc, cchToCopy, 1, ppszDestEnd, pcchRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCchCatW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc)
{
    return plain_cat(2, pszDest, cchDest, pszSrc, 0, 0);
}
NTSTATUS NTAPI RtlStringCchCatA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc)
{
    return plain_cat(1, pszDest, cchDest, pszSrc, 0, 0);
}
NTSTATUS NTAPI RtlStringCchCatExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc,
                                  NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcchRemaining, ULONG dwFlags)
{
    return cch_ex_noargs(2, OP_CAT, pszDest, cchDest, pszSrc, 0, 0, ppszDestEnd, pcchRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCchCatExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc,
                                  NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcchRemaining, ULONG dwFlags)
{
    return cch_ex_noargs(1, OP_CAT, pszDest, cchDest, pszSrc, 0, 0, ppszDestEnd, pcchRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCchCatNW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc, size_t cchToAppend)
{
    return plain_cat(2, pszDest, cchDest, pszSrc, cchToAppend, 1);
}
NTSTATUS NTAPI RtlStringCchCatNA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc, size_t cchToAppend)
{
    return plain_cat(1, pszDest, cchDest, pszSrc, cchToAppend, 1);
}
NTSTATUS NTAPI RtlStringCchCatNExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc,
                                   size_t cchToAppend, NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcchRemaining,
                                   ULONG dwFlags)
{
    return cch_ex_noargs(2, OP_CAT, pszDest, cchDest, pszSrc, cchToAppend, 1, ppszDestEnd, pcchRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCchCatNExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc,
                                   size_t cchToAppend, NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcchRemaining,
                                   ULONG dwFlags)
{
    return cch_ex_noargs(1, OP_CAT, pszDest, cchDest, pszSrc, cchToAppend, 1, ppszDestEnd, pcchRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCchVPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszFormat,
                                    va_list argList)
{
    return plain_printf(2, pszDest, cchDest, pszFormat, argList);
}
NTSTATUS NTAPI RtlStringCchVPrintfA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszFormat,
                                    va_list argList)
{
    return plain_printf(1, pszDest, cchDest, pszFormat, argList);
}
NTSTATUS NTAPI RtlStringCchVPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PWSTR *ppszDestEnd,
                                      size_t *pcchRemaining, ULONG dwFlags, NTSTRSAFE_PCWSTR pszFormat,
                                      va_list argList)
{
    return cch_ex(2, OP_PRINTF, pszDest, cchDest, pszFormat, 0, 0, ppszDestEnd, pcchRemaining, dwFlags, argList);
}
NTSTATUS NTAPI RtlStringCchVPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PSTR *ppszDestEnd,
                                      size_t *pcchRemaining, ULONG dwFlags, NTSTRSAFE_PCSTR pszFormat,
                                      va_list argList)
{
    return cch_ex(1, OP_PRINTF, pszDest, cchDest, pszFormat, 0, 0, ppszDestEnd, pcchRemaining, dwFlags, argList);
}
NTSTATUS __cdecl RtlStringCchPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszFormat, ...)
{
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS st = plain_printf(2, pszDest, cchDest, pszFormat, ap);
    va_end(ap);
    return st;
}
NTSTATUS __cdecl RtlStringCchPrintfA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszFormat, ...)
{
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS st = plain_printf(1, pszDest, cchDest, pszFormat, ap);
    va_end(ap);
    return st;
}
NTSTATUS __cdecl RtlStringCchPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PWSTR *ppszDestEnd,
                                       size_t *pcchRemaining, ULONG dwFlags, NTSTRSAFE_PCWSTR pszFormat, ...)
{
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS st = cch_ex(2, OP_PRINTF, pszDest, cchDest, pszFormat, 0, 0, ppszDestEnd, pcchRemaining, dwFlags, ap);
    va_end(ap);
    return st;
}
NTSTATUS __cdecl RtlStringCchPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PSTR *ppszDestEnd,
                                       size_t *pcchRemaining, ULONG dwFlags, NTSTRSAFE_PCSTR pszFormat, ...)
{
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS st = cch_ex(1, OP_PRINTF, pszDest, cchDest, pszFormat, 0, 0, ppszDestEnd, pcchRemaining, dwFlags, ap);
    va_end(ap);
    return st;
}
NTSTATUS NTAPI RtlStringCchLengthW(NTSTRSAFE_PCWSTR psz, size_t cchMax, size_t *pcchLength)
{
    return plain_length(2, psz, cchMax, pcchLength);
}
NTSTATUS NTAPI RtlStringCchLengthA(NTSTRSAFE_PCSTR psz, size_t cchMax, size_t *pcchLength)
{
    return plain_length(1, psz, cchMax, pcchLength);
}

/* ---------------------------------------------------------------- Cb */

NTSTATUS NTAPI RtlStringCbCopyW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc)
{
    return plain_copy(2, pszDest, cbDest / sizeof(wchar_t), pszSrc, 0, 0);
}
NTSTATUS NTAPI RtlStringCbCopyA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc)
{
    return plain_copy(1, pszDest, cbDest, pszSrc, 0, 0);
}
NTSTATUS NTAPI RtlStringCbCopyExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc,
                                  NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcbRemaining, ULONG dwFlags)
{
    return cb_ex_noargs(2, OP_COPY, pszDest, cbDest, pszSrc, 0, 0, ppszDestEnd, pcbRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCbCopyExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc,
                                  NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcbRemaining, ULONG dwFlags)
{
    return cb_ex_noargs(1, OP_COPY, pszDest, cbDest, pszSrc, 0, 0, ppszDestEnd, pcbRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCbCopyNW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc, size_t cbToCopy)
{
    return plain_copy(2, pszDest, cbDest / sizeof(wchar_t), pszSrc, cbToCopy / sizeof(wchar_t), 1);
}
NTSTATUS NTAPI RtlStringCbCopyNA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc, size_t cbToCopy)
{
    return plain_copy(1, pszDest, cbDest, pszSrc, cbToCopy, 1);
}
NTSTATUS NTAPI RtlStringCbCopyNExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc, size_t cbToCopy,
                                   NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcbRemaining, ULONG dwFlags)
{
    return cb_ex_noargs(2, OP_COPY, pszDest, cbDest, pszSrc, cbToCopy, 1, ppszDestEnd, pcbRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCbCopyNExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc, size_t cbToCopy,
                                   NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcbRemaining, ULONG dwFlags)
{
    return cb_ex_noargs(1, OP_COPY, pszDest, cbDest, pszSrc, cbToCopy, 1, ppszDestEnd, pcbRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCbCatW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc)
{
    return plain_cat(2, pszDest, cbDest / sizeof(wchar_t), pszSrc, 0, 0);
}
NTSTATUS NTAPI RtlStringCbCatA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc)
{
    return plain_cat(1, pszDest, cbDest, pszSrc, 0, 0);
}
NTSTATUS NTAPI RtlStringCbCatExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc,
                                 NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcbRemaining, ULONG dwFlags)
{
    return cb_ex_noargs(2, OP_CAT, pszDest, cbDest, pszSrc, 0, 0, ppszDestEnd, pcbRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCbCatExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc,
                                 NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcbRemaining, ULONG dwFlags)
{
    return cb_ex_noargs(1, OP_CAT, pszDest, cbDest, pszSrc, 0, 0, ppszDestEnd, pcbRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCbCatNW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc, size_t cbToAppend)
{
    return plain_cat(2, pszDest, cbDest / sizeof(wchar_t), pszSrc, cbToAppend / sizeof(wchar_t), 1);
}
NTSTATUS NTAPI RtlStringCbCatNA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc, size_t cbToAppend)
{
    return plain_cat(1, pszDest, cbDest, pszSrc, cbToAppend, 1);
}
NTSTATUS NTAPI RtlStringCbCatNExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc, size_t cbToAppend,
                                  NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcbRemaining, ULONG dwFlags)
{
    return cb_ex_noargs(2, OP_CAT, pszDest, cbDest, pszSrc, cbToAppend, 1, ppszDestEnd, pcbRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCbCatNExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc, size_t cbToAppend,
                                  NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcbRemaining, ULONG dwFlags)
{
    return cb_ex_noargs(1, OP_CAT, pszDest, cbDest, pszSrc, cbToAppend, 1, ppszDestEnd, pcbRemaining, dwFlags);
}
NTSTATUS NTAPI RtlStringCbVPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszFormat,
                                   va_list argList)
{
    return plain_printf(2, pszDest, cbDest / sizeof(wchar_t), pszFormat, argList);
}
NTSTATUS NTAPI RtlStringCbVPrintfA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszFormat, va_list argList)
{
    return plain_printf(1, pszDest, cbDest, pszFormat, argList);
}
NTSTATUS NTAPI RtlStringCbVPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PWSTR *ppszDestEnd,
                                     size_t *pcbRemaining, ULONG dwFlags, NTSTRSAFE_PCWSTR pszFormat,
                                     va_list argList)
{
    return cb_ex(2, OP_PRINTF, pszDest, cbDest, pszFormat, 0, 0, ppszDestEnd, pcbRemaining, dwFlags, argList);
}
NTSTATUS NTAPI RtlStringCbVPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PSTR *ppszDestEnd,
                                     size_t *pcbRemaining, ULONG dwFlags, NTSTRSAFE_PCSTR pszFormat, va_list argList)
{
    return cb_ex(1, OP_PRINTF, pszDest, cbDest, pszFormat, 0, 0, ppszDestEnd, pcbRemaining, dwFlags, argList);
}
NTSTATUS __cdecl RtlStringCbPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszFormat, ...)
{
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS st = plain_printf(2, pszDest, cbDest / sizeof(wchar_t), pszFormat, ap);
    va_end(ap);
    return st;
}
NTSTATUS __cdecl RtlStringCbPrintfA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszFormat, ...)
{
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS st = plain_printf(1, pszDest, cbDest, pszFormat, ap);
    va_end(ap);
    return st;
}
NTSTATUS __cdecl RtlStringCbPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PWSTR *ppszDestEnd,
                                      size_t *pcbRemaining, ULONG dwFlags, NTSTRSAFE_PCWSTR pszFormat, ...)
{
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS st = cb_ex(2, OP_PRINTF, pszDest, cbDest, pszFormat, 0, 0, ppszDestEnd, pcbRemaining, dwFlags, ap);
    va_end(ap);
    return st;
}
NTSTATUS __cdecl RtlStringCbPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PSTR *ppszDestEnd,
                                      size_t *pcbRemaining, ULONG dwFlags, NTSTRSAFE_PCSTR pszFormat, ...)
{
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS st = cb_ex(1, OP_PRINTF, pszDest, cbDest, pszFormat, 0, 0, ppszDestEnd, pcbRemaining, dwFlags, ap);
    va_end(ap);
    return st;
}
NTSTATUS NTAPI RtlStringCbLengthW(NTSTRSAFE_PCWSTR psz, size_t cbMax, size_t *pcbLength)
{
    size_t cch;
    NTSTATUS st = plain_length(2, psz, cbMax / sizeof(wchar_t), pcbLength ? &cch : NULL);
    if (pcbLength)
        *pcbLength = NT_SUCCESS(st) ? cch * sizeof(wchar_t) : 0;
    return st;
}
NTSTATUS NTAPI RtlStringCbLengthA(NTSTRSAFE_PCSTR psz, size_t cbMax, size_t *pcbLength)
{
    return plain_length(1, psz, cbMax, pcbLength);
}

/* ---------------------------------------------------------------- UNICODE_STRING */

#define US_MAX_BYTES (NTSTRSAFE_UNICODE_STRING_MAX_CCH * sizeof(wchar_t))

/* RtlUnicodeStringValidate's rules; a NULL string passes with IGNORE_NULLS. */
static NTSTATUS us_validate(PCUNICODE_STRING s, ULONG flags)
{
    if (!s)
        return (flags & STRSAFE_IGNORE_NULLS) ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
    if ((s->Length % sizeof(wchar_t)) || (s->MaximumLength % sizeof(wchar_t)) || s->Length > s->MaximumLength ||
        s->MaximumLength > US_MAX_BYTES)
        return STATUS_INVALID_PARAMETER;
    if (!s->Buffer && (s->Length || s->MaximumLength))
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

static NTSTATUS us_init(PUNICODE_STRING d, NTSTRSAFE_PCWSTR src, ULONG flags)
{
    if (flags & ~(ULONG)STRSAFE_IGNORE_NULLS)
        return STATUS_INVALID_PARAMETER;
    if (!d && !(flags & STRSAFE_IGNORE_NULLS))
        return STATUS_INVALID_PARAMETER; /* ntstrsafe would write through it */
    if (d) {
        d->Length = d->MaximumLength = 0;
        d->Buffer = NULL;
    }
    if (!src)
        return STATUS_SUCCESS;
    size_t n;
    NTSTATUS st = length_worker(2, src, NTSTRSAFE_UNICODE_STRING_MAX_CCH, &n);
    if (!NT_SUCCESS(st))
        return st;
    if (!d)
        return STATUS_INVALID_PARAMETER;
    d->Length = (USHORT)(n * sizeof(wchar_t));
    d->MaximumLength = (USHORT)(d->Length + sizeof(wchar_t));
    d->Buffer = (PWCH)src;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlUnicodeStringInit(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc)
{
    return us_init(DestinationString, pszSrc, 0);
}
NTSTATUS NTAPI RtlUnicodeStringInitEx(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc, ULONG dwFlags)
{
    return us_init(DestinationString, pszSrc, dwFlags);
}
NTSTATUS NTAPI RtlUnicodeStringValidate(PCUNICODE_STRING SourceString) { return us_validate(SourceString, 0); }
NTSTATUS NTAPI RtlUnicodeStringValidateEx(PCUNICODE_STRING SourceString, ULONG dwFlags)
{
    if (dwFlags & ~(ULONG)STRSAFE_IGNORE_NULLS)
        return STATUS_INVALID_PARAMETER;
    return us_validate(SourceString, dwFlags);
}

typedef struct us_req {
    enum op op;
    PUNICODE_STRING dest;
    PCUNICODE_STRING src_us; /* Copy, Cat */
    const wchar_t *src_z;    /* CopyString, CatString */
    int src_is_z;
    const wchar_t *fmt;      /* Printf */
    PUNICODE_STRING remaining;
    ULONG flags;
} us_req;

static NTSTATUS us_core(const us_req *r, va_list ap)
{
    ULONG flags = r->flags;
    NTSTATUS st = us_validate(r->dest, flags);
    if (!NT_SUCCESS(st))
        return st;
    wchar_t *dst = r->dest ? r->dest->Buffer : NULL;
    size_t cch = r->dest ? r->dest->MaximumLength / sizeof(wchar_t) : 0;
    size_t orig = (r->op == OP_CAT && r->dest) ? r->dest->Length / sizeof(wchar_t) : 0;
    size_t newlen = orig;
    const wchar_t *src = NULL;
    size_t srclen = 0;
    if (r->op == OP_PRINTF) {
        src = r->fmt;
        if (!src) {
            if (flags & STRSAFE_IGNORE_NULLS)
                src = (const wchar_t *)empty_w;
            else
                st = STATUS_INVALID_PARAMETER;
        }
    } else if (r->src_is_z) {
        src = r->src_z;
        if (!src) {
            if (flags & STRSAFE_IGNORE_NULLS)
                src = (const wchar_t *)empty_w;
            else
                st = STATUS_INVALID_PARAMETER;
        }
    } else {
        st = us_validate(r->src_us, flags);
        if (NT_SUCCESS(st) && r->src_us) {
            src = r->src_us->Buffer;
            srclen = r->src_us->Length / sizeof(wchar_t);
        }
    }
    wchar_t *end = dst ? dst + orig : NULL;
    size_t rem = cch - orig;
    if (NT_SUCCESS(st)) {
        int src_empty = r->op == OP_PRINTF || r->src_is_z ? (src[0] == 0) : srclen == 0;
        if (flags & ~(ULONG)STRSAFE_UNICODE_STRING_VALID_FLAGS) {
            st = STATUS_INVALID_PARAMETER;
        } else if (rem == 0) {
            if (!src_empty)
                st = dst ? STATUS_BUFFER_OVERFLOW : STATUS_INVALID_PARAMETER;
        } else if (r->op == OP_PRINTF) {
            /* Up to the whole buffer, no terminator needed; one is written
             * after the text when it fits, as _vsnwprintf does. */
            kfmt_out o = {1, 0, end, rem, 0, 0};
            kfmt_vformat(&o, src, ap);
            if (o.len < rem)
                end[o.len] = 0;
            newlen = o.len;
            st = o.overflow ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
        } else {
            size_t k = 0;
            if (r->src_is_z) {
                while (k < rem && k < NTSTRSAFE_UNICODE_STRING_MAX_CCH && src[k] != 0) {
                    end[k] = src[k];
                    k++;
                }
                if (src[k] != 0)
                    st = STATUS_BUFFER_OVERFLOW;
            } else {
                k = srclen < rem ? srclen : rem;
                if (k)
                    memmove(end, src, k * sizeof(wchar_t));
                if (k < srclen)
                    st = STATUS_BUFFER_OVERFLOW;
            }
            newlen = orig + k;
        }
        if (rem != 0) {
            end = dst + newlen;
            rem = cch - newlen;
        }
        if (NT_SUCCESS(st) && (flags & STRSAFE_FILL_BEHIND) && rem != 0)
            memset(end, STRSAFE_GET_FILL_PATTERN(flags), rem * sizeof(wchar_t));
    }
    if (!NT_SUCCESS(st) && dst &&
        (flags & (STRSAFE_NO_TRUNCATION | STRSAFE_FILL_ON_FAILURE | STRSAFE_ZERO_LENGTH_ON_FAILURE))) {
        if (cch > 0 && (flags & STRSAFE_NO_TRUNCATION)) {
            newlen = orig;
            end = dst + orig;
            rem = cch - orig;
        }
        if (flags & STRSAFE_FILL_ON_FAILURE) {
            int pattern = STRSAFE_GET_FILL_PATTERN(flags);
            memset(dst, pattern, cch * sizeof(wchar_t));
            newlen = pattern == 0 ? 0 : cch;
            end = dst + newlen;
            rem = cch - newlen;
        }
        if (cch > 0 && (flags & STRSAFE_ZERO_LENGTH_ON_FAILURE)) {
            newlen = 0;
            end = dst;
            rem = cch;
        }
    }
    if (NT_SUCCESS(st) || st == STATUS_BUFFER_OVERFLOW) {
        if (r->dest)
            r->dest->Length = (USHORT)(newlen * sizeof(wchar_t));
        if (r->remaining) {
            r->remaining->Length = 0;
            r->remaining->MaximumLength = (USHORT)(rem * sizeof(wchar_t));
            r->remaining->Buffer = end;
        }
    }
    return st;
}

static NTSTATUS us_noargs(enum op op, PUNICODE_STRING d, PCUNICODE_STRING s, const wchar_t *z, int is_z,
                          PUNICODE_STRING remaining, ULONG flags, ...)
{
    us_req r = {op, d, s, z, is_z, NULL, remaining, flags};
    va_list ap;
    va_start(ap, flags);
    NTSTATUS st = us_core(&r, ap);
    va_end(ap);
    return st;
}

NTSTATUS NTAPI RtlUnicodeStringCopy(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)
{
    return us_noargs(OP_COPY, DestinationString, SourceString, NULL, 0, NULL, 0);
}
NTSTATUS NTAPI RtlUnicodeStringCopyEx(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                      PUNICODE_STRING RemainingString, ULONG dwFlags)
{
    return us_noargs(OP_COPY, DestinationString, SourceString, NULL, 0, RemainingString, dwFlags);
}
NTSTATUS NTAPI RtlUnicodeStringCopyString(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc)
{
    return us_noargs(OP_COPY, DestinationString, NULL, pszSrc, 1, NULL, 0);
}
NTSTATUS NTAPI RtlUnicodeStringCopyStringEx(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
                                            PUNICODE_STRING RemainingString, ULONG dwFlags)
{
    return us_noargs(OP_COPY, DestinationString, NULL, pszSrc, 1, RemainingString, dwFlags);
}
NTSTATUS NTAPI RtlUnicodeStringCat(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)
{
    return us_noargs(OP_CAT, DestinationString, SourceString, NULL, 0, NULL, 0);
}
NTSTATUS NTAPI RtlUnicodeStringCatEx(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                     PUNICODE_STRING RemainingString, ULONG dwFlags)
{
    return us_noargs(OP_CAT, DestinationString, SourceString, NULL, 0, RemainingString, dwFlags);
}
NTSTATUS NTAPI RtlUnicodeStringCatString(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc)
{
    return us_noargs(OP_CAT, DestinationString, NULL, pszSrc, 1, NULL, 0);
}
NTSTATUS NTAPI RtlUnicodeStringCatStringEx(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
                                           PUNICODE_STRING RemainingString, ULONG dwFlags)
{
    return us_noargs(OP_CAT, DestinationString, NULL, pszSrc, 1, RemainingString, dwFlags);
}
NTSTATUS NTAPI RtlUnicodeStringVPrintf(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszFormat,
                                       va_list argList)
{
    us_req r = {OP_PRINTF, DestinationString, NULL, NULL, 0, pszFormat, NULL, 0};
    return us_core(&r, argList);
}
NTSTATUS NTAPI RtlUnicodeStringVPrintfEx(PUNICODE_STRING DestinationString, PUNICODE_STRING RemainingString,
                                         ULONG dwFlags, NTSTRSAFE_PCWSTR pszFormat, va_list argList)
{
    us_req r = {OP_PRINTF, DestinationString, NULL, NULL, 0, pszFormat, RemainingString, dwFlags};
    return us_core(&r, argList);
}
NTSTATUS __cdecl RtlUnicodeStringPrintf(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszFormat, ...)
{
    us_req r = {OP_PRINTF, DestinationString, NULL, NULL, 0, pszFormat, NULL, 0};
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS st = us_core(&r, ap);
    va_end(ap);
    return st;
}
NTSTATUS __cdecl RtlUnicodeStringPrintfEx(PUNICODE_STRING DestinationString, PUNICODE_STRING RemainingString,
                                          ULONG dwFlags, NTSTRSAFE_PCWSTR pszFormat, ...)
{
    us_req r = {OP_PRINTF, DestinationString, NULL, NULL, 0, pszFormat, RemainingString, dwFlags};
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS st = us_core(&r, ap);
    va_end(ap);
    return st;
}
