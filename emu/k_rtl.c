/*
 * k_rtl.c: the kernel runtime of <wdm.h> that is not the pool: counted
 * strings (RtlInitUnicodeString ... RtlGUIDFromString), memory routines,
 * debug output (DbgPrint, DbgPrintEx and their filter, RtlAssert,
 * PAGED_CODE), IRQL bookkeeping, time, spin locks and fast mutexes.
 *
 * Behaviour follows the Microsoft documentation and, where it is silent,
 * what Wine's conformance tests show Windows doing (ntdll/tests/rtlstr.c).
 * Where Windows would bug-check on a NULL pointer, these routines return
 * STATUS_ACCESS_VIOLATION (the status the same fault gives inside a
 * system call) or, for VOID routines, do nothing; nothing here crashes on
 * bad input.  Buffers the routines allocate come from the caller's pool
 * (emu_pool_alloc, tag "Ustr"), so they appear in its leak report until
 * RtlFreeUnicodeString / RtlFreeAnsiString.  Choices where Windows is
 * silent are listed in docs/kernel-runtime.md and commented below.
 */
#include <wdm.h>

#include "base/pb_utf16.h"
#include "emu/emu.h"
#include "emu/k_fmt.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* A failed allocation inside an Rtl routine: Windows returns STATUS_NO_MEMORY.
 * An injected fault's own status wins unless it is the default one. */
static NTSTATUS rtl_alloc_status(emu_status injected)
{
    return injected == STATUS_INSUFFICIENT_RESOURCES ? STATUS_NO_MEMORY : injected;
}

/* Pool for an Rtl routine's result, with its fault point. */
static void *rtl_alloc(const char *api, size_t n, void *caller, NTSTATUS *st)
{
    pnpbox_machine *m = emu_machine();
    emu_status inj;
    if (!m) {
        *st = STATUS_NO_MEMORY;
        return NULL;
    }
    if (emu_fault(m, api, &inj)) {
        *st = rtl_alloc_status(inj);
        return NULL;
    }
    void *p = emu_pool_alloc(m, n, EMU_POOL_TAG_RTL_STRING, api, caller);
    *st = p ? STATUS_SUCCESS : STATUS_NO_MEMORY;
    return p;
}

/* ======================================================================== initialising */

VOID NTAPI RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    if (!DestinationString)
        return;
    DestinationString->Buffer = (PWCH)SourceString;
    if (!SourceString) {
        DestinationString->Length = DestinationString->MaximumLength = 0;
        return;
    }
    size_t n = pb_wcslen((const uint16_t *)SourceString) * sizeof(WCHAR);
    /* WdmlibRtlInitUnicodeStringEx documents the clamp: longer than
     * MAX_USTRING - 1 bytes gives Length MAX_USTRING - 2, MaximumLength MAX_USTRING. */
    if (n > 0xFFFC) {
        DestinationString->Length = 0xFFFC;
        DestinationString->MaximumLength = 0xFFFE;
    } else {
        DestinationString->Length = (USHORT)n;
        DestinationString->MaximumLength = (USHORT)(n + sizeof(WCHAR));
    }
}

NTSTATUS NTAPI RtlInitUnicodeStringEx(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    if (!DestinationString)
        return STATUS_ACCESS_VIOLATION;
    size_t n = SourceString ? pb_wcslen((const uint16_t *)SourceString) * sizeof(WCHAR) : 0;
    if (n > 0xFFFC)
        return STATUS_NAME_TOO_LONG; /* DestinationString untouched (Wine's tests) */
    DestinationString->Buffer = (PWCH)SourceString;
    DestinationString->Length = (USHORT)n;
    DestinationString->MaximumLength = SourceString ? (USHORT)(n + sizeof(WCHAR)) : 0;
    return STATUS_SUCCESS;
}

VOID NTAPI RtlInitAnsiString(PANSI_STRING DestinationString, PCSZ SourceString)
{
    if (!DestinationString)
        return;
    DestinationString->Buffer = (PCHAR)SourceString;
    if (!SourceString) {
        DestinationString->Length = DestinationString->MaximumLength = 0;
        return;
    }
    size_t n = strlen(SourceString);
    /* The same clamp as the Unicode form, one byte per character: at most
     * 0xFFFE characters (pnpbox's reading; the documentation is silent). */
    if (n > 0xFFFE) {
        DestinationString->Length = 0xFFFE;
        DestinationString->MaximumLength = 0xFFFF;
    } else {
        DestinationString->Length = (USHORT)n;
        DestinationString->MaximumLength = (USHORT)(n + 1);
    }
}

NTSTATUS NTAPI RtlInitAnsiStringEx(PANSI_STRING DestinationString, PCSZ SourceString)
{
    if (!DestinationString)
        return STATUS_ACCESS_VIOLATION;
    size_t n = SourceString ? strlen(SourceString) : 0;
    if (n > 0xFFFE)
        return STATUS_NAME_TOO_LONG;
    DestinationString->Buffer = (PCHAR)SourceString;
    DestinationString->Length = (USHORT)n;
    DestinationString->MaximumLength = SourceString ? (USHORT)(n + 1) : 0;
    return STATUS_SUCCESS;
}

VOID NTAPI RtlInitString(PSTRING DestinationString, PCSZ SourceString)
{
    RtlInitAnsiString(DestinationString, SourceString);
}

NTSTATUS NTAPI RtlInitStringEx(PSTRING DestinationString, PCSZ SourceString)
{
    return RtlInitAnsiStringEx(DestinationString, SourceString);
}

/* ======================================================================== copying and appending */

VOID NTAPI RtlCopyUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)
{
    if (!DestinationString)
        return;
    if (!SourceString || !SourceString->Buffer || !DestinationString->Buffer) {
        DestinationString->Length = 0;
        return;
    }
    USHORT n = SourceString->Length < DestinationString->MaximumLength ? SourceString->Length
                                                                         : DestinationString->MaximumLength;
    memmove(DestinationString->Buffer, SourceString->Buffer, n);
    DestinationString->Length = n;
    /* A terminator when there is room for a whole one (Windows writes one
     * whenever Length < MaximumLength, a byte past an odd MaximumLength). */
    if ((size_t)n + sizeof(WCHAR) <= DestinationString->MaximumLength)
        DestinationString->Buffer[n / sizeof(WCHAR)] = 0;
}

VOID NTAPI RtlCopyString(PSTRING DestinationString, const STRING *SourceString)
{
    if (!DestinationString)
        return;
    if (!SourceString || !SourceString->Buffer || !DestinationString->Buffer) {
        DestinationString->Length = 0;
        return;
    }
    USHORT n = SourceString->Length < DestinationString->MaximumLength ? SourceString->Length
                                                                         : DestinationString->MaximumLength;
    memmove(DestinationString->Buffer, SourceString->Buffer, n);
    DestinationString->Length = n;
    if (n < DestinationString->MaximumLength)
        DestinationString->Buffer[n] = 0;
}

NTSTATUS NTAPI RtlAppendUnicodeStringToString(PUNICODE_STRING Destination, PCUNICODE_STRING Source)
{
    if (!Destination || !Source)
        return STATUS_ACCESS_VIOLATION;
    if (Source->Length == 0)
        return STATUS_SUCCESS; /* nothing, not even a terminator (Wine's tests) */
    size_t total = (size_t)Destination->Length + Source->Length;
    if (total > Destination->MaximumLength)
        return STATUS_BUFFER_TOO_SMALL;
    if (!Destination->Buffer || !Source->Buffer)
        return STATUS_ACCESS_VIOLATION;
    memmove((char *)Destination->Buffer + Destination->Length, Source->Buffer, Source->Length);
    Destination->Length = (USHORT)total;
    if (total + sizeof(WCHAR) <= Destination->MaximumLength)
        Destination->Buffer[total / sizeof(WCHAR)] = 0;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source)
{
    if (!Destination)
        return STATUS_ACCESS_VIOLATION;
    if (!Source)
        return STATUS_SUCCESS;
    UNICODE_STRING s;
    RtlInitUnicodeString(&s, Source);
    return RtlAppendUnicodeStringToString(Destination, &s);
}

/* ======================================================================== comparing */

static uint16_t downcase_tab[65536];
static pthread_once_t downcase_once = PTHREAD_ONCE_INIT;

/*
 * Windows' downcase table is the inverse of its upcase table.  Where
 * several characters upcase to the same letter (i and dotless i to I,
 * sigma and final sigma to SIGMA), pnpbox keeps the one Unicode pairs
 * with it: offset 0x20 (Latin, Greek, Cyrillic), then 1 (Latin
 * Extended), 0x50, 0x30, then the nearest.
 */
static unsigned pair_score(uint16_t upper, uint16_t lower)
{
    int d = (int)lower - (int)upper;
    if (d == 0x20)
        return 0;
    if (d == 1)
        return 1;
    if (d == 0x50)
        return 2;
    if (d == 0x30)
        return 3;
    return 10 + (unsigned)(d < 0 ? -d : d);
}

static void build_downcase(void)
{
    for (unsigned c = 0; c < 65536; c++)
        downcase_tab[c] = (uint16_t)c;
    for (unsigned c = 0; c < 65536; c++) {
        uint16_t u = pb_upcase((uint16_t)c);
        if (u == c)
            continue;
        uint16_t cur = downcase_tab[u];
        if (cur == u || pair_score(u, (uint16_t)c) < pair_score(u, cur))
            downcase_tab[u] = (uint16_t)c;
    }
}

WCHAR NTAPI RtlUpcaseUnicodeChar(WCHAR SourceCharacter) { return (WCHAR)pb_upcase((uint16_t)SourceCharacter); }

WCHAR NTAPI RtlDowncaseUnicodeChar(WCHAR SourceCharacter)
{
    pthread_once(&downcase_once, build_downcase);
    return (WCHAR)downcase_tab[(uint16_t)SourceCharacter];
}

CHAR NTAPI RtlUpperChar(CHAR Character)
{
    /* The ANSI form changes a-z only (Wine's tests of RtlUpperChar). */
    return (Character >= 'a' && Character <= 'z') ? (CHAR)(Character - 'a' + 'A') : Character;
}

LONG NTAPI RtlCompareUnicodeStrings(PCWCH String1, SIZE_T String1Length, PCWCH String2, SIZE_T String2Length,
                                    BOOLEAN CaseInSensitive)
{
    SIZE_T n = String1Length < String2Length ? String1Length : String2Length;
    if (n && (!String1 || !String2))
        n = 0;
    for (SIZE_T i = 0; i < n; i++) {
        uint16_t a = (uint16_t)String1[i], b = (uint16_t)String2[i];
        if (CaseInSensitive) {
            a = pb_upcase(a);
            b = pb_upcase(b);
        }
        if (a != b)
            return (LONG)a - (LONG)b;
    }
    /* Windows documents only the sign; pnpbox returns the difference of the
     * first differing characters, else of the lengths in characters. */
    return (LONG)String1Length - (LONG)String2Length;
}

LONG NTAPI RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    /* NULL compares as an empty string (Windows would fault). */
    return RtlCompareUnicodeStrings(String1 ? String1->Buffer : NULL, String1 ? String1->Length / sizeof(WCHAR) : 0,
                                    String2 ? String2->Buffer : NULL, String2 ? String2->Length / sizeof(WCHAR) : 0,
                                    CaseInSensitive);
}

BOOLEAN NTAPI RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    USHORT l1 = String1 ? String1->Length : 0, l2 = String2 ? String2->Length : 0;
    if (l1 / sizeof(WCHAR) != l2 / sizeof(WCHAR))
        return FALSE;
    return RtlCompareUnicodeString(String1, String2, CaseInSensitive) == 0;
}

BOOLEAN NTAPI RtlPrefixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    size_t n1 = String1 ? String1->Length / sizeof(WCHAR) : 0, n2 = String2 ? String2->Length / sizeof(WCHAR) : 0;
    if (n1 > n2)
        return FALSE;
    return RtlCompareUnicodeStrings(String1 ? String1->Buffer : NULL, n1, String2 ? String2->Buffer : NULL, n1,
                                    CaseInSensitive) == 0;
}

static LONG compare_bytes(const STRING *s1, const STRING *s2, size_t n1, size_t n2, BOOLEAN ci)
{
    size_t n = n1 < n2 ? n1 : n2;
    if (n && (!s1->Buffer || !s2->Buffer))
        n = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char a = (unsigned char)s1->Buffer[i], b = (unsigned char)s2->Buffer[i];
        if (ci) {
            a = (unsigned char)RtlUpperChar((CHAR)a);
            b = (unsigned char)RtlUpperChar((CHAR)b);
        }
        if (a != b)
            return (LONG)a - (LONG)b;
    }
    return (LONG)n1 - (LONG)n2;
}

LONG NTAPI RtlCompareString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)
{
    static const STRING empty = {0, 0, NULL};
    if (!String1)
        String1 = &empty;
    if (!String2)
        String2 = &empty;
    return compare_bytes(String1, String2, String1->Length, String2->Length, CaseInSensitive);
}

BOOLEAN NTAPI RtlEqualString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)
{
    if ((String1 ? String1->Length : 0) != (String2 ? String2->Length : 0))
        return FALSE;
    return RtlCompareString(String1, String2, CaseInSensitive) == 0;
}

BOOLEAN NTAPI RtlPrefixString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)
{
    static const STRING empty = {0, 0, NULL};
    if (!String1)
        String1 = &empty;
    if (!String2)
        String2 = &empty;
    if (String1->Length > String2->Length)
        return FALSE;
    return compare_bytes(String1, String2, String1->Length, String1->Length, CaseInSensitive) == 0;
}

/* ======================================================================== case mapping */

static NTSTATUS map_case(PUNICODE_STRING Dest, PCUNICODE_STRING Src, BOOLEAN Alloc, int upper, const char *api,
                         void *caller)
{
    if (!Dest || !Src)
        return STATUS_ACCESS_VIOLATION;
    USHORT len = Src->Length;
    if (len && !Src->Buffer)
        return STATUS_ACCESS_VIOLATION;
    PWCH out;
    if (Alloc) {
        NTSTATUS st;
        out = rtl_alloc(api, len, caller, &st);
        if (!out)
            return st;
        Dest->MaximumLength = len;
        Dest->Buffer = out;
    } else {
        if (len > Dest->MaximumLength)
            return STATUS_BUFFER_OVERFLOW;
        if (len && !Dest->Buffer)
            return STATUS_ACCESS_VIOLATION;
        out = Dest->Buffer;
    }
    if (!upper)
        pthread_once(&downcase_once, build_downcase);
    for (size_t i = 0; i < len / sizeof(WCHAR); i++) {
        uint16_t c = (uint16_t)Src->Buffer[i];
        out[i] = (WCHAR)(upper ? pb_upcase(c) : downcase_tab[c]);
    }
    if (len & 1)
        ((char *)out)[len - 1] = ((const char *)Src->Buffer)[len - 1];
    Dest->Length = len;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlUpcaseUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                      BOOLEAN AllocateDestinationString)
{
    return map_case(DestinationString, SourceString, AllocateDestinationString, 1, "RtlUpcaseUnicodeString",
                    __builtin_return_address(0));
}

NTSTATUS NTAPI RtlDowncaseUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                        BOOLEAN AllocateDestinationString)
{
    return map_case(DestinationString, SourceString, AllocateDestinationString, 0, "RtlDowncaseUnicodeString",
                    __builtin_return_address(0));
}

VOID NTAPI RtlUpperString(PSTRING DestinationString, const STRING *SourceString)
{
    if (!DestinationString || !SourceString)
        return;
    USHORT n = SourceString->Length < DestinationString->MaximumLength ? SourceString->Length
                                                                         : DestinationString->MaximumLength;
    if (n && (!SourceString->Buffer || !DestinationString->Buffer))
        return;
    for (USHORT i = 0; i < n; i++)
        DestinationString->Buffer[i] = RtlUpperChar(SourceString->Buffer[i]);
    DestinationString->Length = n;
}

/* ======================================================================== freeing */

static void free_string_buffer(void *buf, const char *api, void *caller)
{
    pnpbox_machine *m = emu_machine();
    if (m)
        emu_pool_free(m, buf, api, caller);
}

VOID NTAPI RtlFreeUnicodeString(PUNICODE_STRING UnicodeString)
{
    if (!UnicodeString || !UnicodeString->Buffer)
        return; /* a NULL Buffer leaves the structure as it is */
    free_string_buffer(UnicodeString->Buffer, "RtlFreeUnicodeString", __builtin_return_address(0));
    UnicodeString->Buffer = NULL;
    UnicodeString->Length = UnicodeString->MaximumLength = 0;
}

VOID NTAPI RtlFreeAnsiString(PANSI_STRING AnsiString)
{
    if (!AnsiString || !AnsiString->Buffer)
        return;
    free_string_buffer(AnsiString->Buffer, "RtlFreeAnsiString", __builtin_return_address(0));
    AnsiString->Buffer = NULL;
    AnsiString->Length = AnsiString->MaximumLength = 0;
}

/* ======================================================================== code pages */

/* Windows-1252 is a single-byte code page: one byte per UTF-16 unit. */
ULONG NTAPI RtlxUnicodeStringToAnsiSize(PCUNICODE_STRING UnicodeString)
{
    return UnicodeString ? UnicodeString->Length / sizeof(WCHAR) + 1 : 1;
}

ULONG NTAPI RtlxAnsiStringToUnicodeSize(PCANSI_STRING AnsiString)
{
    return AnsiString ? ((ULONG)AnsiString->Length + 1) * sizeof(WCHAR) : sizeof(WCHAR);
}

NTSTATUS NTAPI RtlUnicodeStringToAnsiString(PANSI_STRING DestinationString, PCUNICODE_STRING SourceString,
                                            BOOLEAN AllocateDestinationString)
{
    void *caller = __builtin_return_address(0);
    if (!DestinationString || !SourceString)
        return STATUS_ACCESS_VIOLATION;
    size_t chars = SourceString->Length / sizeof(WCHAR);
    if (chars && !SourceString->Buffer)
        return STATUS_ACCESS_VIOLATION;
    size_t need = chars + 1;
    if (need > 0xFFFF)
        return STATUS_INVALID_PARAMETER_2;
    NTSTATUS st = STATUS_SUCCESS;
    if (AllocateDestinationString) {
        char *buf = rtl_alloc("RtlUnicodeStringToAnsiString", need, caller, &st);
        if (!buf)
            return st; /* DestinationString untouched */
        DestinationString->Buffer = buf;
        DestinationString->MaximumLength = (USHORT)need;
        DestinationString->Length = (USHORT)chars;
    } else {
        if (DestinationString->MaximumLength && !DestinationString->Buffer)
            return STATUS_ACCESS_VIOLATION;
        DestinationString->Length = (USHORT)chars;
        if (DestinationString->MaximumLength < need) {
            /* Wine's tests: MaximumLength 0 reports the full length and
             * writes nothing; otherwise as much as fits, terminated. */
            if (!DestinationString->MaximumLength)
                return STATUS_BUFFER_OVERFLOW;
            DestinationString->Length = DestinationString->MaximumLength - 1;
            st = STATUS_BUFFER_OVERFLOW;
        }
    }
    for (size_t i = 0; i < DestinationString->Length; i++) {
        int b = kfmt_cp1252_from_unicode((uint16_t)SourceString->Buffer[i]);
        DestinationString->Buffer[i] = (CHAR)(b < 0 ? '?' : b);
    }
    DestinationString->Buffer[DestinationString->Length] = 0;
    return st;
}

NTSTATUS NTAPI RtlAnsiStringToUnicodeString(PUNICODE_STRING DestinationString, PCANSI_STRING SourceString,
                                            BOOLEAN AllocateDestinationString)
{
    void *caller = __builtin_return_address(0);
    if (!DestinationString || !SourceString)
        return STATUS_ACCESS_VIOLATION;
    size_t n = SourceString->Length;
    if (n && !SourceString->Buffer)
        return STATUS_ACCESS_VIOLATION;
    size_t total = (n + 1) * sizeof(WCHAR);
    if (total > 0xFFFF)
        return STATUS_INVALID_PARAMETER_2;
    if (AllocateDestinationString) {
        NTSTATUS st;
        PWCH buf = rtl_alloc("RtlAnsiStringToUnicodeString", total, caller, &st);
        if (!buf)
            return st;
        DestinationString->Buffer = buf;
        DestinationString->MaximumLength = (USHORT)total;
    } else {
        /* Length is set even when the buffer is too small (as Windows does). */
        DestinationString->Length = (USHORT)(total - sizeof(WCHAR));
        if (total > DestinationString->MaximumLength)
            return STATUS_BUFFER_OVERFLOW;
        if (!DestinationString->Buffer)
            return STATUS_ACCESS_VIOLATION;
    }
    DestinationString->Length = (USHORT)(total - sizeof(WCHAR));
    for (size_t i = 0; i < n; i++)
        DestinationString->Buffer[i] = (WCHAR)pb_cp1252_to_unicode((uint8_t)SourceString->Buffer[i]);
    DestinationString->Buffer[n] = 0;
    return STATUS_SUCCESS;
}

/* ======================================================================== numbers */

static int digit_value(unsigned c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (c >= 'a' && c <= 'z')
        return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'Z')
        return (int)(c - 'A' + 10);
    return 99;
}

/* The parser Wine's tests pin down: leading characters up to ' ' skipped,
 * one sign, 0b / 0o / 0x prefixes with base 0, digits until the first one
 * that does not fit, 32-bit wrap-around. */
static ULONG parse_integer(const void *s, size_t n, int wide, ULONG base)
{
#define AT(i) (wide ? (unsigned)((const uint16_t *)s)[i] : (unsigned)((const unsigned char *)s)[i])
    size_t i = 0;
    while (i < n && AT(i) <= ' ')
        i++;
    int neg = 0;
    if (i < n && (AT(i) == '+' || AT(i) == '-')) {
        neg = AT(i) == '-';
        i++;
    }
    if (base == 0) {
        base = 10;
        if (i + 1 < n && AT(i) == '0') {
            unsigned p = AT(i + 1);
            if (p == 'b' || p == 'o' || p == 'x') {
                base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
                i += 2;
            }
        }
    }
    ULONG v = 0;
    for (; i < n; i++) {
        int d = digit_value(AT(i));
        if (d >= (int)base)
            break;
        v = v * base + (ULONG)d;
    }
    return neg ? (ULONG)0 - v : v;
#undef AT
}

static int valid_base(ULONG base) { return base == 0 || base == 2 || base == 8 || base == 10 || base == 16; }

NTSTATUS NTAPI RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base, PULONG Value)
{
    if (!valid_base(Base))
        return STATUS_INVALID_PARAMETER; /* checked before Value (Wine's tests) */
    if (!Value || !String)
        return STATUS_ACCESS_VIOLATION;
    size_t n = String->Length / sizeof(WCHAR); /* an odd byte is ignored */
    if (n && !String->Buffer)
        return STATUS_ACCESS_VIOLATION;
    *Value = parse_integer(String->Buffer, n, 1, Base);
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlCharToInteger(PCSZ String, ULONG Base, PULONG Value)
{
    if (!valid_base(Base))
        return STATUS_INVALID_PARAMETER;
    if (!Value || !String)
        return STATUS_ACCESS_VIOLATION;
    *Value = parse_integer(String, strlen(String), 0, Base);
    return STATUS_SUCCESS;
}

static NTSTATUS integer_to_string(ULONGLONG v, ULONG base, PUNICODE_STRING s)
{
    if (base == 0)
        base = 10;
    if (base != 2 && base != 8 && base != 10 && base != 16)
        return STATUS_INVALID_PARAMETER;
    if (!s)
        return STATUS_ACCESS_VIOLATION;
    char digits[64];
    size_t n = 0;
    do {
        digits[n++] = "0123456789ABCDEF"[v % base];
        v /= base;
    } while (v);
    size_t bytes = n * sizeof(WCHAR);
    /* Wine's tests: Length is the needed length even when it does not fit,
     * and then the buffer is untouched; a terminator only when there is room. */
    s->Length = (USHORT)bytes;
    if (bytes > s->MaximumLength)
        return STATUS_BUFFER_OVERFLOW;
    if (!s->Buffer)
        return STATUS_ACCESS_VIOLATION;
    for (size_t i = 0; i < n; i++)
        s->Buffer[i] = (WCHAR)digits[n - 1 - i];
    if (bytes + sizeof(WCHAR) <= s->MaximumLength)
        s->Buffer[n] = 0;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String)
{
    return integer_to_string(Value, Base, String);
}

NTSTATUS NTAPI RtlInt64ToUnicodeString(ULONGLONG Value, ULONG Base, PUNICODE_STRING String)
{
    return integer_to_string(Value, Base, String);
}

/* ======================================================================== GUIDs */

#define GUID_CHARS 38

NTSTATUS NTAPI RtlStringFromGUID(REFGUID Guid, PUNICODE_STRING GuidString)
{
    void *caller = __builtin_return_address(0);
    if (!Guid || !GuidString)
        return STATUS_ACCESS_VIOLATION;
    char a[GUID_CHARS + 1];
    snprintf(a, sizeof a, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", Guid->Data1, Guid->Data2,
             Guid->Data3, Guid->Data4[0], Guid->Data4[1], Guid->Data4[2], Guid->Data4[3], Guid->Data4[4],
             Guid->Data4[5], Guid->Data4[6], Guid->Data4[7]);
    NTSTATUS st;
    PWCH buf = rtl_alloc("RtlStringFromGUID", (GUID_CHARS + 1) * sizeof(WCHAR), caller, &st);
    if (!buf)
        return st;
    for (int i = 0; i <= GUID_CHARS; i++)
        buf[i] = (WCHAR)(unsigned char)a[i];
    GuidString->Buffer = buf;
    GuidString->Length = GUID_CHARS * sizeof(WCHAR);
    GuidString->MaximumLength = (GUID_CHARS + 1) * sizeof(WCHAR);
    return STATUS_SUCCESS;
}

static int hex_run(const WCHAR *s, int n, ULONGLONG *out)
{
    ULONGLONG v = 0;
    for (int i = 0; i < n; i++) {
        int d = digit_value((uint16_t)s[i]);
        if (d > 15)
            return 0;
        v = v * 16 + (ULONGLONG)d;
    }
    *out = v;
    return 1;
}

NTSTATUS NTAPI RtlGUIDFromString(PCUNICODE_STRING GuidString, GUID *Guid)
{
    if (!GuidString || !Guid)
        return STATUS_ACCESS_VIOLATION;
    /* Exactly "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" (hex in either case);
     * pnpbox refuses trailing characters too. */
    if (GuidString->Length != GUID_CHARS * sizeof(WCHAR) || !GuidString->Buffer)
        return STATUS_INVALID_PARAMETER;
    const WCHAR *s = GuidString->Buffer;
    if (s[0] != '{' || s[9] != '-' || s[14] != '-' || s[19] != '-' || s[24] != '-' || s[37] != '}')
        return STATUS_INVALID_PARAMETER;
    ULONGLONG d1, d2, d3, b[8];
    if (!hex_run(s + 1, 8, &d1) || !hex_run(s + 10, 4, &d2) || !hex_run(s + 15, 4, &d3))
        return STATUS_INVALID_PARAMETER;
    static const int pos[8] = {20, 22, 25, 27, 29, 31, 33, 35};
    for (int i = 0; i < 8; i++)
        if (!hex_run(s + pos[i], 2, &b[i]))
            return STATUS_INVALID_PARAMETER;
    Guid->Data1 = (ULONG)d1;
    Guid->Data2 = (USHORT)d2;
    Guid->Data3 = (USHORT)d3;
    for (int i = 0; i < 8; i++)
        Guid->Data4[i] = (UCHAR)b[i];
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlDuplicateUnicodeString(ULONG Flags, PCUNICODE_STRING StringIn, PUNICODE_STRING StringOut)
{
    void *caller = __builtin_return_address(0);
    /* The argument rules Wine's tests show (StringOut untouched on error). */
    if (!StringIn || !StringOut || Flags >= 4 || Flags == RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING ||
        StringIn->Length > StringIn->MaximumLength ||
        (StringIn->Length == 0 && StringIn->MaximumLength > 0 && !StringIn->Buffer) ||
        (StringIn->Length > 0 && !StringIn->Buffer))
        return STATUS_INVALID_PARAMETER;
    if (StringIn->Length == 0 && Flags != (RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE |
                                           RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING)) {
        StringOut->Length = StringOut->MaximumLength = 0;
        StringOut->Buffer = NULL;
        return STATUS_SUCCESS;
    }
    size_t max = StringIn->Length + ((Flags & RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE) ? sizeof(WCHAR) : 0);
    if (max > UNICODE_STRING_MAX_BYTES)
        return STATUS_NAME_TOO_LONG; /* pnpbox's choice: the copy cannot be described */
    NTSTATUS st;
    PWCH buf = rtl_alloc("RtlDuplicateUnicodeString", max, caller, &st);
    if (!buf)
        return st;
    if (StringIn->Length)
        memcpy(buf, StringIn->Buffer, StringIn->Length);
    if (Flags & RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE)
        buf[StringIn->Length / sizeof(WCHAR)] = 0;
    StringOut->Buffer = buf;
    StringOut->Length = StringIn->Length;
    StringOut->MaximumLength = (USHORT)max;
    return STATUS_SUCCESS;
}

/* ======================================================================== memory */

SIZE_T NTAPI RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length)
{
    if (!Source1 || !Source2)
        return 0;
    const unsigned char *a = Source1, *b = Source2;
    SIZE_T i = 0;
    while (i < Length && a[i] == b[i])
        i++;
    return i;
}

SIZE_T NTAPI RtlCompareMemoryUlong(PVOID Source, SIZE_T Length, ULONG Pattern)
{
    if (!Source)
        return 0;
    SIZE_T n = 0;
    for (SIZE_T i = 0; i + sizeof(ULONG) <= Length; i += sizeof(ULONG)) {
        ULONG v;
        memcpy(&v, (const char *)Source + i, sizeof v);
        if (v != Pattern)
            break;
        n += sizeof(ULONG);
    }
    return n;
}

VOID NTAPI RtlFillMemoryUlong(PVOID Destination, SIZE_T Length, ULONG Pattern)
{
    if (!Destination)
        return;
    for (SIZE_T i = 0; i + sizeof(ULONG) <= Length; i += sizeof(ULONG))
        memcpy((char *)Destination + i, &Pattern, sizeof Pattern);
}

/* ======================================================================== IRQL */

static __thread KIRQL tls_irql = PASSIVE_LEVEL;

unsigned emu_irql(void) { return tls_irql; }

KIRQL NTAPI KeGetCurrentIrql(VOID) { return tls_irql; }

static void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_error(const char *fmt, ...)
{
    pnpbox_machine *m = emu_machine();
    if (!m)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    emu_log(m, "pnpbox: error: %s (%s)", buf, pnpbox_component_name(emu_comp()));
}

VOID NTAPI KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql)
{
    KIRQL cur = tls_irql;
    if (NewIrql < cur)
        log_error("KeRaiseIrql to IRQL %u below the current IRQL %u: Windows bug-checks "
                  "(IRQL_NOT_GREATER_OR_EQUAL)",
                  NewIrql, cur);
    if (OldIrql)
        *OldIrql = cur;
    tls_irql = NewIrql;
}

VOID NTAPI KeLowerIrql(KIRQL NewIrql)
{
    if (NewIrql > tls_irql)
        log_error("KeLowerIrql to IRQL %u above the current IRQL %u: Windows bug-checks (IRQL_NOT_LESS_OR_EQUAL)",
                  NewIrql, tls_irql);
    tls_irql = NewIrql;
}

KIRQL NTAPI KeRaiseIrqlToDpcLevel(VOID)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    return old;
}

VOID NTAPI PnpboxPagedCodeCheck(PCSTR File, ULONG Line)
{
    if (tls_irql > APC_LEVEL)
        log_error("PAGED_CODE at %s:%u runs at IRQL %u, above APC_LEVEL: paged code faults there on Windows",
                  File ? File : "?", Line, tls_irql);
}

VOID NTAPI RtlAssert(PVOID VoidFailedAssertion, PVOID VoidFileName, ULONG LineNumber, PSTR MutableMessage)
{
    log_error("assertion failed: %s%s%s at %s:%u", VoidFailedAssertion ? (const char *)VoidFailedAssertion : "?",
              MutableMessage ? ": " : "", MutableMessage ? MutableMessage : "",
              VoidFileName ? (const char *)VoidFileName : "?", LineNumber);
}

/* ======================================================================== debug output */

/* Component masks: bit n passes level n.  Kd_WIN2000_Mask applies to
 * every component and defaults to 1 (DPFLTR_ERROR_LEVEL). */
static ULONG filter_mask[DPFLTR_ENDOFTABLE_ID];
static ULONG filter_all = 1;

static ULONG level_mask(ULONG level) { return level < 32 ? 1u << level : level; }

static int filter_passes(ULONG comp, ULONG level)
{
    ULONG m = __atomic_load_n(&filter_all, __ATOMIC_RELAXED);
    if (comp < DPFLTR_ENDOFTABLE_ID)
        m |= __atomic_load_n(&filter_mask[comp], __ATOMIC_RELAXED);
    return (level_mask(level) & m) != 0;
}

NTSTATUS NTAPI DbgQueryDebugFilterState(ULONG ComponentId, ULONG Level)
{
    if (ComponentId != (ULONG)-1 && ComponentId >= DPFLTR_ENDOFTABLE_ID)
        return STATUS_INVALID_PARAMETER_1;
    return filter_passes(ComponentId, Level) ? TRUE : FALSE;
}

NTSTATUS NTAPI DbgSetDebugFilterState(ULONG ComponentId, ULONG Level, BOOLEAN State)
{
    ULONG *mask;
    if (ComponentId == (ULONG)-1)
        mask = &filter_all;
    else if (ComponentId < DPFLTR_ENDOFTABLE_ID)
        mask = &filter_mask[ComponentId];
    else
        return STATUS_INVALID_PARAMETER_1;
    if (State)
        __atomic_fetch_or(mask, level_mask(Level), __ATOMIC_RELAXED);
    else
        __atomic_fetch_and(mask, ~level_mask(Level), __ATOMIC_RELAXED);
    return STATUS_SUCCESS;
}

/* DbgPrint documents that one call sends at most 512 bytes. */
#define DBG_MAX_OUTPUT 512

/* Format and append to the log, one entry per line ("\r\n" and "\n" end
 * lines; empty lines are dropped; text after the last newline is a line). */
static void dbg_output(PCCH prefix, PCCH fmt, va_list ap)
{
    pnpbox_machine *m = emu_machine();
    if (!m)
        return;
    char buf[DBG_MAX_OUTPUT + 1];
    kfmt_out o = {0, 1, buf, DBG_MAX_OUTPUT, 0, 0};
    if (prefix)
        for (const char *p = prefix; *p && o.len < o.cap; p++)
            buf[o.len++] = *p;
    kfmt_vformat(&o, fmt, ap);
    buf[o.len] = 0;
    size_t end = strlen(buf); /* an embedded NUL (%c of 0) ends the text, as on Windows */
    size_t start = 0;
    for (size_t i = 0; i <= end; i++) {
        if (i < end && buf[i] != '\n')
            continue;
        size_t e = i;
        if (e > start && buf[e - 1] == '\r')
            e--;
        if (e > start)
            emu_log(m, "%.*s", (int)(e - start), buf + start);
        start = i + 1;
    }
}

ULONG __cdecl DbgPrint(PCSTR Format, ...)
{
    if (!Format)
        return (ULONG)STATUS_INVALID_PARAMETER;
    va_list ap;
    va_start(ap, Format);
    dbg_output(NULL, Format, ap);
    va_end(ap);
    return STATUS_SUCCESS;
}

ULONG __cdecl DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
    if (!Format)
        return (ULONG)STATUS_INVALID_PARAMETER;
    if (!filter_passes(ComponentId, Level))
        return STATUS_SUCCESS;
    va_list ap;
    va_start(ap, Format);
    dbg_output(NULL, Format, ap);
    va_end(ap);
    return STATUS_SUCCESS;
}

ULONG NTAPI vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format, va_list arglist)
{
    if (!Format)
        return (ULONG)STATUS_INVALID_PARAMETER;
    if (filter_passes(ComponentId, Level))
        dbg_output(NULL, Format, arglist);
    return STATUS_SUCCESS;
}

ULONG NTAPI vDbgPrintExWithPrefix(PCCH Prefix, ULONG ComponentId, ULONG Level, PCCH Format, va_list arglist)
{
    if (!Format)
        return (ULONG)STATUS_INVALID_PARAMETER;
    if (filter_passes(ComponentId, Level))
        dbg_output(Prefix, Format, arglist);
    return STATUS_SUCCESS;
}

/* ======================================================================== time */

/* 100-ns intervals between 1601-01-01 and 1970-01-01. */
#define EPOCH_1601_TO_1970 116444736000000000LL
#define TICKS_PER_SECOND 10000000LL
/* The clock tick (15.625 ms) Windows reports on most machines. */
#define TIME_INCREMENT 156250u

static LONGLONG clock_100ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (LONGLONG)ts.tv_sec * TICKS_PER_SECOND + ts.tv_nsec / 100;
}

VOID NTAPI KeQuerySystemTime(PLARGE_INTEGER CurrentTime)
{
    if (CurrentTime)
        CurrentTime->QuadPart = clock_100ns(CLOCK_REALTIME) + EPOCH_1601_TO_1970;
}

VOID NTAPI KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime) { KeQuerySystemTime(CurrentTime); }

ULONGLONG NTAPI KeQueryInterruptTime(VOID) { return (ULONGLONG)clock_100ns(CLOCK_BOOTTIME); }

VOID NTAPI KeQueryTickCount(PLARGE_INTEGER CurrentCount)
{
    if (CurrentCount)
        CurrentCount->QuadPart = (LONGLONG)(KeQueryInterruptTime() / TIME_INCREMENT);
}

ULONG NTAPI KeQueryTimeIncrement(VOID) { return TIME_INCREMENT; }

LARGE_INTEGER NTAPI KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency)
{
    if (PerformanceFrequency)
        PerformanceFrequency->QuadPart = TICKS_PER_SECOND;
    LARGE_INTEGER v;
    v.QuadPart = clock_100ns(CLOCK_MONOTONIC);
    return v;
}

VOID NTAPI KeStallExecutionProcessor(ULONG MicroSeconds)
{
    LONGLONG us = MicroSeconds > 100000 ? 100000 : MicroSeconds;
    LONGLONG until = clock_100ns(CLOCK_MONOTONIC) + us * 10;
    while (clock_100ns(CLOCK_MONOTONIC) < until)
        ;
}

/* The longest KeDelayExecutionThread sleeps in pnpbox, in 100-ns units. */
#define MAX_DELAY TICKS_PER_SECOND

NTSTATUS NTAPI KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval)
{
    (void)WaitMode;
    (void)Alertable; /* nothing delivers APCs or alerts in the emulation */
    if (!Interval)
        return STATUS_ACCESS_VIOLATION;
    if (tls_irql > APC_LEVEL)
        log_error("KeDelayExecutionThread at IRQL %u, above APC_LEVEL: Windows bug-checks", tls_irql);
    LONGLONG d = Interval->QuadPart;
    if (d > 0) {
        LARGE_INTEGER now;
        KeQuerySystemTime(&now);
        d = d > now.QuadPart ? d - now.QuadPart : 0;
    } else {
        d = -d;
    }
    if (d > MAX_DELAY)
        d = MAX_DELAY;
    if (d == 0) {
        sched_yield();
        return STATUS_SUCCESS;
    }
    struct timespec ts = {(time_t)(d / TICKS_PER_SECOND), (long)(d % TICKS_PER_SECOND) * 100};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    return STATUS_SUCCESS;
}

/* Days between 1601-01-01 and 1970-01-01. */
#define DAYS_1601_TO_1970 134774

static LONGLONG days_from_civil(LONGLONG y, unsigned mo, unsigned d)
{
    y -= mo <= 2;
    LONGLONG era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (LONGLONG)doe - 719468;
}

static void civil_from_days(LONGLONG z, LONGLONG *y, unsigned *mo, unsigned *d)
{
    z += 719468;
    LONGLONG era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *mo = mp < 10 ? mp + 3 : mp - 9;
    *y = (LONGLONG)yoe + era * 400 + (*mo <= 2);
}

VOID NTAPI RtlTimeToTimeFields(PLARGE_INTEGER Time, PTIME_FIELDS TimeFields)
{
    if (!Time || !TimeFields)
        return;
    LONGLONG t = Time->QuadPart < 0 ? 0 : Time->QuadPart;
    LONGLONG ms = t / 10000;
    LONGLONG days = ms / 86400000;
    LONGLONG rem = ms % 86400000;
    LONGLONG y;
    unsigned mo, d;
    civil_from_days(days - DAYS_1601_TO_1970, &y, &mo, &d);
    TimeFields->Year = (CSHORT)y;
    TimeFields->Month = (CSHORT)mo;
    TimeFields->Day = (CSHORT)d;
    TimeFields->Hour = (CSHORT)(rem / 3600000);
    TimeFields->Minute = (CSHORT)(rem / 60000 % 60);
    TimeFields->Second = (CSHORT)(rem / 1000 % 60);
    TimeFields->Milliseconds = (CSHORT)(rem % 1000);
    TimeFields->Weekday = (CSHORT)((days + 1) % 7); /* 1601-01-01 was a Monday */
}

BOOLEAN NTAPI RtlTimeFieldsToTime(PTIME_FIELDS TimeFields, PLARGE_INTEGER Time)
{
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!TimeFields || !Time)
        return FALSE;
    const TIME_FIELDS *f = TimeFields;
    if (f->Year < 1601 || f->Month < 1 || f->Month > 12 || f->Day < 1 || f->Hour < 0 || f->Hour > 23 ||
        f->Minute < 0 || f->Minute > 59 || f->Second < 0 || f->Second > 59 || f->Milliseconds < 0 ||
        f->Milliseconds > 999)
        return FALSE;
    unsigned dim = mdays[f->Month - 1];
    int leap = (f->Year % 4 == 0 && f->Year % 100 != 0) || f->Year % 400 == 0;
    if (f->Month == 2 && leap)
        dim = 29;
    if ((unsigned)f->Day > dim)
        return FALSE;
    LONGLONG days = days_from_civil(f->Year, (unsigned)f->Month, (unsigned)f->Day) + DAYS_1601_TO_1970;
    LONGLONG secs = days * 86400 + f->Hour * 3600 + f->Minute * 60 + f->Second;
    Time->QuadPart = (secs * 1000 + f->Milliseconds) * 10000;
    return TRUE;
}

/* ======================================================================== spin locks */

static ULONG_PTR self_id(void)
{
    static __thread ULONG_PTR id;
    if (!id)
        id = (ULONG_PTR)syscall(SYS_gettid);
    return id;
}

/* 1 when the lock was taken, 0 when this thread already held it. */
static int spin_acquire(PKSPIN_LOCK lock, const char *api)
{
    ULONG_PTR me = self_id();
    if (__atomic_load_n(lock, __ATOMIC_RELAXED) == me) {
        log_error("%s: the thread already holds this spin lock; Windows deadlocks here", api);
        return 0;
    }
    for (unsigned spins = 0;; spins++) {
        ULONG_PTR expect = 0;
        if (__atomic_compare_exchange_n(lock, &expect, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return 1;
        if (spins >= 64)
            sched_yield();
    }
}

static void spin_release(PKSPIN_LOCK lock, const char *api)
{
    ULONG_PTR me = self_id(), expect = me;
    if (!__atomic_compare_exchange_n(lock, &expect, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        log_error("%s: the spin lock is not held by this thread (%s)", api, expect ? "another thread holds it"
                                                                                    : "it is free");
}

VOID NTAPI KeInitializeSpinLock(PKSPIN_LOCK SpinLock)
{
    if (SpinLock)
        __atomic_store_n(SpinLock, 0, __ATOMIC_RELEASE);
}

KIRQL NTAPI KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)
{
    KIRQL old = tls_irql;
    if (old > DISPATCH_LEVEL)
        log_error("KeAcquireSpinLock at IRQL %u, above DISPATCH_LEVEL: Windows bug-checks", old);
    if (SpinLock)
        spin_acquire(SpinLock, "KeAcquireSpinLock");
    tls_irql = DISPATCH_LEVEL > old ? DISPATCH_LEVEL : old;
    return old;
}

VOID NTAPI KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
    if (SpinLock)
        spin_release(SpinLock, "KeReleaseSpinLock");
    tls_irql = NewIrql;
}

VOID NTAPI KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    if (tls_irql < DISPATCH_LEVEL)
        log_error("KeAcquireSpinLockAtDpcLevel at IRQL %u, below DISPATCH_LEVEL", tls_irql);
    if (SpinLock)
        spin_acquire(SpinLock, "KeAcquireSpinLockAtDpcLevel");
}

VOID NTAPI KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
    if (SpinLock)
        spin_release(SpinLock, "KeReleaseSpinLockFromDpcLevel");
}

BOOLEAN NTAPI KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    if (!SpinLock)
        return FALSE;
    ULONG_PTR expect = 0;
    return __atomic_compare_exchange_n(SpinLock, &expect, self_id(), 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* ======================================================================== fast mutexes */

_Static_assert(sizeof(pthread_mutex_t) <= sizeof(((FAST_MUTEX *)0)->Lock), "FAST_MUTEX cannot hold a mutex");

static pthread_mutex_t *fm_lock(PFAST_MUTEX fm) { return (pthread_mutex_t *)(void *)fm->Lock; }

VOID NTAPI ExInitializeFastMutex(PFAST_MUTEX FastMutex)
{
    if (!FastMutex)
        return;
    memset(FastMutex, 0, sizeof *FastMutex);
    FastMutex->Count = 1; /* free */
    pthread_mutex_init(fm_lock(FastMutex), NULL);
}

static int fm_acquire(PFAST_MUTEX fm, const char *api, int try_only)
{
    if ((ULONG_PTR)__atomic_load_n(&fm->Owner, __ATOMIC_RELAXED) == self_id()) {
        if (!try_only)
            log_error("%s: the thread already owns this fast mutex; Windows deadlocks here", api);
        return 0;
    }
    if (try_only ? pthread_mutex_trylock(fm_lock(fm)) != 0 : pthread_mutex_lock(fm_lock(fm)) != 0)
        return 0;
    __atomic_store_n(&fm->Owner, (PVOID)self_id(), __ATOMIC_RELAXED);
    fm->Count = 0;
    return 1;
}

static int fm_release(PFAST_MUTEX fm, const char *api)
{
    if ((ULONG_PTR)__atomic_load_n(&fm->Owner, __ATOMIC_RELAXED) != self_id()) {
        log_error("%s: the fast mutex is not owned by this thread", api);
        return 0;
    }
    __atomic_store_n(&fm->Owner, NULL, __ATOMIC_RELAXED);
    fm->Count = 1;
    pthread_mutex_unlock(fm_lock(fm));
    return 1;
}

VOID NTAPI ExAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    if (!FastMutex)
        return;
    KIRQL old = tls_irql;
    if (old > APC_LEVEL)
        log_error("ExAcquireFastMutex at IRQL %u, above APC_LEVEL: Windows bug-checks", old);
    if (!fm_acquire(FastMutex, "ExAcquireFastMutex", 0))
        return;
    FastMutex->OldIrql = old;
    if (tls_irql < APC_LEVEL)
        tls_irql = APC_LEVEL;
}

VOID NTAPI ExReleaseFastMutex(PFAST_MUTEX FastMutex)
{
    if (!FastMutex)
        return;
    KIRQL old = (KIRQL)FastMutex->OldIrql;
    if (fm_release(FastMutex, "ExReleaseFastMutex"))
        tls_irql = old;
}

BOOLEAN NTAPI ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    if (!FastMutex)
        return FALSE;
    KIRQL old = tls_irql;
    if (!fm_acquire(FastMutex, "ExTryToAcquireFastMutex", 1))
        return FALSE;
    FastMutex->OldIrql = old;
    if (tls_irql < APC_LEVEL)
        tls_irql = APC_LEVEL;
    return TRUE;
}

VOID NTAPI ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex)
{
    if (FastMutex)
        fm_acquire(FastMutex, "ExAcquireFastMutexUnsafe", 0);
}

VOID NTAPI ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex)
{
    if (FastMutex)
        fm_release(FastMutex, "ExReleaseFastMutexUnsafe");
}
