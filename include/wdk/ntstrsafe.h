/*
 * ntstrsafe.h: the kernel's safe string functions: the Cch (characters)
 * and Cb (bytes) families for char (A) and WCHAR (W) strings, their Ex
 * forms, and the UNICODE_STRING functions.  pnpbox implements them as
 * library functions (emu/ntstrsafe.c) with ntstrsafe's semantics:
 *   - STATUS_INVALID_PARAMETER for a destination size of 0 or above
 *     NTSTRSAFE_MAX_CCH, and for NULL pointers (where Windows' inline code
 *     would fault, pnpbox returns this status instead);
 *   - STATUS_BUFFER_OVERFLOW when the result was truncated, the
 *     destination still NUL-terminated (UNICODE_STRINGs are counted, not
 *     terminated);
 *   - the Ex flags STRSAFE_IGNORE_NULLS, STRSAFE_FILL_BEHIND_NULL,
 *     STRSAFE_FILL_ON_FAILURE, STRSAFE_NULL_ON_FAILURE and
 *     STRSAFE_NO_TRUNCATION, with ppszDestEnd / pcchRemaining (pcbRemaining)
 *     set on success and on truncation only.
 * The printf family formats as the kernel's printf does (see DbgPrint in
 * <wdm.h>: %wZ, %ws, %I64d, 32-bit %ld ...).  Include after <wdm.h> or
 * <ntddk.h>; compile with -fshort-wchar (wchar_t is WCHAR).
 */
#ifndef _NTSTRSAFE_H_INCLUDED_
#define _NTSTRSAFE_H_INCLUDED_

#include "ntdef.h"

#include <stdarg.h>
#include <stddef.h>

/* SAL annotations sal.h does not carry; no-ops as all of them. */
#ifndef _In_reads_or_z_
#define _In_reads_or_z_(n)
#endif

#define NTSTRSAFE_MAX_CCH 2147483647
#define NTSTRSAFE_MAX_LENGTH (NTSTRSAFE_MAX_CCH - 1)
#define NTSTRSAFE_UNICODE_STRING_MAX_CCH (0xffff / sizeof(wchar_t))

#define STRSAFE_IGNORE_NULLS 0x00000100
#define STRSAFE_FILL_BEHIND_NULL 0x00000200
#define STRSAFE_FILL_ON_FAILURE 0x00000400
#define STRSAFE_NULL_ON_FAILURE 0x00000800
#define STRSAFE_NO_TRUNCATION 0x00001000
#define STRSAFE_FILL_BEHIND STRSAFE_FILL_BEHIND_NULL
#define STRSAFE_ZERO_LENGTH_ON_FAILURE STRSAFE_NULL_ON_FAILURE
#define STRSAFE_VALID_FLAGS                                                                                        \
    (0x000000FF | STRSAFE_IGNORE_NULLS | STRSAFE_FILL_BEHIND_NULL | STRSAFE_FILL_ON_FAILURE |                      \
     STRSAFE_NULL_ON_FAILURE | STRSAFE_NO_TRUNCATION)
#define STRSAFE_UNICODE_STRING_VALID_FLAGS                                                                         \
    (0x000000FF | STRSAFE_IGNORE_NULLS | STRSAFE_FILL_BEHIND | STRSAFE_FILL_ON_FAILURE |                           \
     STRSAFE_ZERO_LENGTH_ON_FAILURE | STRSAFE_NO_TRUNCATION)
#define STRSAFE_FILL_BYTE(x) ((ULONG)(((x) & 0x000000FF) | STRSAFE_FILL_BEHIND_NULL))
#define STRSAFE_FAILURE_BYTE(x) ((ULONG)(((x) & 0x000000FF) | STRSAFE_FILL_ON_FAILURE))
#define STRSAFE_GET_FILL_PATTERN(dwFlags) ((int)((dwFlags) & 0x000000FF))

typedef char *NTSTRSAFE_PSTR;
typedef const char *NTSTRSAFE_PCSTR;
typedef wchar_t *NTSTRSAFE_PWSTR;
typedef const wchar_t *NTSTRSAFE_PCWSTR;
typedef const wchar_t *NTSTRSAFE_PCUWSTR;

#define NTSTRSAFEDDI NTSTATUS NTAPI
#define NTSTRSAFEWORKERDDI NTSTATUS NTAPI

#ifndef NTSTRSAFE_NO_CCH_FUNCTIONS

/* Copy pszSrc; cchDest counts characters including the terminator. */
NTSTRSAFEDDI RtlStringCchCopyW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                               _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlStringCchCopyA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                               _In_ NTSTRSAFE_PCSTR pszSrc);
NTSTRSAFEDDI RtlStringCchCopyExW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                 _In_ NTSTRSAFE_PCWSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd,
                                 _Out_opt_ size_t *pcchRemaining, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCchCopyExA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                 _In_ NTSTRSAFE_PCSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd,
                                 _Out_opt_ size_t *pcchRemaining, _In_ ULONG dwFlags);
/* At most cchToCopy characters of pszSrc. */
NTSTRSAFEDDI RtlStringCchCopyNW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                _In_reads_or_z_(cchToCopy) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cchToCopy);
NTSTRSAFEDDI RtlStringCchCopyNA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                _In_reads_or_z_(cchToCopy) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cchToCopy);
NTSTRSAFEDDI RtlStringCchCopyNExW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                  _In_reads_or_z_(cchToCopy) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cchToCopy,
                                  _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining,
                                  _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCchCopyNExA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                  _In_reads_or_z_(cchToCopy) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cchToCopy,
                                  _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining,
                                  _In_ ULONG dwFlags);
/* Append pszSrc to the NUL-terminated string in pszDest. */
NTSTRSAFEDDI RtlStringCchCatW(_Inout_updates_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                              _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlStringCchCatA(_Inout_updates_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                              _In_ NTSTRSAFE_PCSTR pszSrc);
NTSTRSAFEDDI RtlStringCchCatExW(_Inout_updates_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                _In_ NTSTRSAFE_PCWSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd,
                                _Out_opt_ size_t *pcchRemaining, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCchCatExA(_Inout_updates_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                _In_ NTSTRSAFE_PCSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd,
                                _Out_opt_ size_t *pcchRemaining, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCchCatNW(_Inout_updates_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                               _In_reads_or_z_(cchToAppend) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cchToAppend);
NTSTRSAFEDDI RtlStringCchCatNA(_Inout_updates_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                               _In_reads_or_z_(cchToAppend) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cchToAppend);
NTSTRSAFEDDI RtlStringCchCatNExW(_Inout_updates_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                 _In_reads_or_z_(cchToAppend) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cchToAppend,
                                 _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining,
                                 _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCchCatNExA(_Inout_updates_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                 _In_reads_or_z_(cchToAppend) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cchToAppend,
                                 _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining,
                                 _In_ ULONG dwFlags);
/* Formatted output. */
NTSTRSAFEDDI RtlStringCchVPrintfW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                  _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlStringCchVPrintfA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                  _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlStringCchVPrintfExW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                    _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining,
                                    _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat,
                                    _In_ va_list argList);
NTSTRSAFEDDI RtlStringCchVPrintfExA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                    _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining,
                                    _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat,
                                    _In_ va_list argList);
NTSTATUS __cdecl RtlStringCchPrintfW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                     _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...);
NTSTATUS __cdecl RtlStringCchPrintfA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                     _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, ...);
NTSTATUS __cdecl RtlStringCchPrintfExW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                       _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining,
                                       _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat,
                                       ...);
NTSTATUS __cdecl RtlStringCchPrintfExA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                       _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining,
                                       _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat,
                                       ...);
/* The length (characters, without the terminator) of a string terminated within cchMax characters. */
NTSTRSAFEDDI RtlStringCchLengthW(_In_reads_or_z_(cchMax) NTSTRSAFE_PCWSTR psz, _In_ size_t cchMax,
                                 _Out_opt_ size_t *pcchLength);
NTSTRSAFEDDI RtlStringCchLengthA(_In_reads_or_z_(cchMax) NTSTRSAFE_PCSTR psz, _In_ size_t cchMax,
                                 _Out_opt_ size_t *pcchLength);

#endif /* NTSTRSAFE_NO_CCH_FUNCTIONS */

#ifndef NTSTRSAFE_NO_CB_FUNCTIONS

/* The same with sizes in bytes (cbDest / sizeof(character) characters; an odd byte is never written
 * except by the fill flags). */
NTSTRSAFEDDI RtlStringCbCopyW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                              _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlStringCbCopyA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                              _In_ NTSTRSAFE_PCSTR pszSrc);
NTSTRSAFEDDI RtlStringCbCopyExW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                                _In_ NTSTRSAFE_PCWSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd,
                                _Out_opt_ size_t *pcbRemaining, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCbCopyExA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                                _In_ NTSTRSAFE_PCSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd,
                                _Out_opt_ size_t *pcbRemaining, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCbCopyNW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                               _In_reads_bytes_(cbToCopy) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cbToCopy);
NTSTRSAFEDDI RtlStringCbCopyNA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                               _In_reads_bytes_(cbToCopy) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cbToCopy);
NTSTRSAFEDDI RtlStringCbCopyNExW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                                 _In_reads_bytes_(cbToCopy) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cbToCopy,
                                 _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining,
                                 _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCbCopyNExA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                                 _In_reads_bytes_(cbToCopy) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cbToCopy,
                                 _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining,
                                 _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCbCatW(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                             _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlStringCbCatA(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                             _In_ NTSTRSAFE_PCSTR pszSrc);
NTSTRSAFEDDI RtlStringCbCatExW(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                               _In_ NTSTRSAFE_PCWSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd,
                               _Out_opt_ size_t *pcbRemaining, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCbCatExA(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                               _In_ NTSTRSAFE_PCSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd,
                               _Out_opt_ size_t *pcbRemaining, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCbCatNW(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                              _In_reads_bytes_(cbToAppend) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cbToAppend);
NTSTRSAFEDDI RtlStringCbCatNA(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                              _In_reads_bytes_(cbToAppend) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cbToAppend);
NTSTRSAFEDDI RtlStringCbCatNExW(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                                _In_reads_bytes_(cbToAppend) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cbToAppend,
                                _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining,
                                _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCbCatNExA(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                                _In_reads_bytes_(cbToAppend) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cbToAppend,
                                _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining,
                                _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCbVPrintfW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                                 _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlStringCbVPrintfA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                                 _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlStringCbVPrintfExW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                                   _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining,
                                   _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat,
                                   _In_ va_list argList);
NTSTRSAFEDDI RtlStringCbVPrintfExA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                                   _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining,
                                   _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat,
                                   _In_ va_list argList);
NTSTATUS __cdecl RtlStringCbPrintfW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                                    _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...);
NTSTATUS __cdecl RtlStringCbPrintfA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                                    _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, ...);
NTSTATUS __cdecl RtlStringCbPrintfExW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                                      _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining,
                                      _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat,
                                      ...);
NTSTATUS __cdecl RtlStringCbPrintfExA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                                      _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining,
                                      _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat,
                                      ...);
/* *pcbLength: bytes, without the terminator. */
NTSTRSAFEDDI RtlStringCbLengthW(_In_reads_or_z_(cbMax / sizeof(wchar_t)) NTSTRSAFE_PCWSTR psz, _In_ size_t cbMax,
                                _Out_opt_ size_t *pcbLength);
NTSTRSAFEDDI RtlStringCbLengthA(_In_reads_or_z_(cbMax) NTSTRSAFE_PCSTR psz, _In_ size_t cbMax,
                                _Out_opt_ size_t *pcbLength);

#endif /* NTSTRSAFE_NO_CB_FUNCTIONS */

#ifndef NTSTRSAFE_NO_UNICODE_STRING_FUNCTIONS

/*
 * UNICODE_STRING functions.  A destination is valid when Length and
 * MaximumLength are even, Length <= MaximumLength <=
 * NTSTRSAFE_UNICODE_STRING_MAX_CCH * 2, and Buffer is non-NULL unless both
 * are 0.  Results are counted, not NUL-terminated; on truncation the
 * string holds what fitted (Length == MaximumLength) and the status is
 * STATUS_BUFFER_OVERFLOW.  The Ex forms describe the unused rest of the
 * buffer in RemainingString (Length 0).
 */
NTSTRSAFEDDI RtlUnicodeStringInit(_Out_ PUNICODE_STRING DestinationString, _In_opt_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlUnicodeStringInitEx(_Out_ PUNICODE_STRING DestinationString, _In_opt_ NTSTRSAFE_PCWSTR pszSrc,
                                    _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlUnicodeStringValidate(_In_opt_ PCUNICODE_STRING SourceString);
NTSTRSAFEDDI RtlUnicodeStringValidateEx(_In_opt_ PCUNICODE_STRING SourceString, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlUnicodeStringCopy(_Inout_ PUNICODE_STRING DestinationString, _In_ PCUNICODE_STRING SourceString);
NTSTRSAFEDDI RtlUnicodeStringCopyEx(_Inout_ PUNICODE_STRING DestinationString, _In_ PCUNICODE_STRING SourceString,
                                    _Out_opt_ PUNICODE_STRING RemainingString, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlUnicodeStringCopyString(_Inout_ PUNICODE_STRING DestinationString, _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlUnicodeStringCopyStringEx(_Inout_ PUNICODE_STRING DestinationString, _In_ NTSTRSAFE_PCWSTR pszSrc,
                                          _Out_opt_ PUNICODE_STRING RemainingString, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlUnicodeStringCat(_Inout_ PUNICODE_STRING DestinationString, _In_ PCUNICODE_STRING SourceString);
NTSTRSAFEDDI RtlUnicodeStringCatEx(_Inout_ PUNICODE_STRING DestinationString, _In_ PCUNICODE_STRING SourceString,
                                   _Out_opt_ PUNICODE_STRING RemainingString, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlUnicodeStringCatString(_Inout_ PUNICODE_STRING DestinationString, _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlUnicodeStringCatStringEx(_Inout_ PUNICODE_STRING DestinationString, _In_ NTSTRSAFE_PCWSTR pszSrc,
                                         _Out_opt_ PUNICODE_STRING RemainingString, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlUnicodeStringVPrintf(_Out_ PUNICODE_STRING DestinationString,
                                     _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlUnicodeStringVPrintfEx(_Out_ PUNICODE_STRING DestinationString,
                                       _Out_opt_ PUNICODE_STRING RemainingString, _In_ ULONG dwFlags,
                                       _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, _In_ va_list argList);
NTSTATUS __cdecl RtlUnicodeStringPrintf(_Out_ PUNICODE_STRING DestinationString,
                                        _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...);
NTSTATUS __cdecl RtlUnicodeStringPrintfEx(_Out_ PUNICODE_STRING DestinationString,
                                          _Out_opt_ PUNICODE_STRING RemainingString, _In_ ULONG dwFlags,
                                          _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...);

#endif /* NTSTRSAFE_NO_UNICODE_STRING_FUNCTIONS */

#endif
