/*
 * k_fmt.h: the kernel runtime's internal interface, shared by k_fmt.c,
 * k_rtl.c, k_pool.c and ntstrsafe.c (and usable by other emu/ modules):
 *
 *  - kfmt_vformat, the Windows printf formatter behind DbgPrint and the
 *    ntstrsafe printf family (%wZ, %ws, %I64d, 32-bit %ld ...);
 *  - the ANSI code page (Windows-1252) conversions;
 *  - pool allocations made by pnpbox on behalf of the calling component
 *    (RtlUpcaseUnicodeString's buffer, RtlStringFromGUID ...), which the
 *    driver frees with ExFreePool / RtlFreeUnicodeString.
 *
 * It uses plain C types so emu/ modules can include it without <wdm.h>.
 */
#ifndef EMU_K_FMT_H
#define EMU_K_FMT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pnpbox_machine pnpbox_machine;

/* ---------------------------------------------------------------- the formatter */

/*
 * Where formatted output goes.  Output units are WCHARs (wide) or bytes;
 * the format string has the same unit type as the output.  At most cap
 * units are stored in buf (no terminator is added); when the output needs
 * more, overflow is set and formatting stops.  buf may be NULL with cap 0
 * (then only overflow says whether anything was produced).
 */
typedef struct kfmt_out {
    int wide;       /* units are uint16_t (RtlStringCchPrintfW, RtlUnicodeStringPrintf) */
    int utf8;       /* narrow output: wide arguments become UTF-8 (DbgPrint's log), not Windows-1252 */
    void *buf;
    size_t cap;     /* units buf can hold */
    size_t len;     /* units stored */
    int overflow;   /* the output did not fit in cap units */
} kfmt_out;

/*
 * Format as Windows' kernel printf family does.  In a narrow format %s,
 * %c and %Z take narrow arguments (char *, char, ANSI_STRING *) and %S,
 * %C take wide ones; a wide format swaps them.  h forces narrow (%hs, %hc,
 * %hZ), l and w force wide (%ls, %ws, %wc, %wZ = UNICODE_STRING *).  %ld
 * is 32 bits (Windows' LONG); %I64d / %lld 64 bits; %Id / %Iu / %Ix and
 * %zd pointer-sized.  %p prints 16 uppercase hex digits.  NULL strings
 * print "(null)".  %n writes nothing.  An unknown conversion prints its
 * character.  ap is read with va_copy: the caller's list is untouched.
 */
void kfmt_vformat(kfmt_out *o, const void *fmt, va_list ap);

/* ---------------------------------------------------------------- the ANSI code page */

/* Windows-1252 byte of a UTF-16 unit, or -1 when 1252 has no such character. */
int kfmt_cp1252_from_unicode(uint16_t u);

/* ---------------------------------------------------------------- pool on behalf of drivers */

/*
 * Allocate n bytes of zeroed paged pool for the calling component, as if
 * it had called ExAllocatePoolWithTag(PagedPool, n, tag) at caller: the
 * block appears in its leak report with api as the allocating call and is
 * freed with ExFreePool.  n may be 0 (a unique minimal block).  No fault
 * point: the caller checks emu_fault() itself.  NULL when out of memory.
 */
void *emu_pool_alloc(pnpbox_machine *m, size_t n, uint32_t tag, const char *api, void *caller);

/* Free a block as ExFreePool does (no tag check), reporting misuse under api. */
void emu_pool_free(pnpbox_machine *m, void *p, const char *api, void *caller);

/* The tag pnpbox's Rtl string routines allocate with ("Ustr" in a pool dump). */
#define EMU_POOL_TAG_RTL_STRING 0x72747355u

/* The IRQL of the calling thread (KeGetCurrentIrql). */
unsigned emu_irql(void);

#endif
