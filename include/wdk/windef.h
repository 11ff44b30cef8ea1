/*
 * windef.h: the Win32 base definitions user-mode code needs from windows.h:
 * calling-convention macros (empty on x64), handle types declared with
 * DECLARE_HANDLE, FILETIME, SECURITY_ATTRIBUTES, OVERLAPPED, MAX_PATH.
 * The fixed-size types themselves come from basetsd.h, shared with the
 * kernel headers.  Include <windows.h> rather than this file; kernel and
 * user headers are not meant to be included together (they are not on
 * Windows either).
 */
#ifndef PNPBOX_WINDEF_H
#define PNPBOX_WINDEF_H

#include "basetsd.h"
#include "guiddef.h"

#ifndef WINAPI
#define WINAPI
#endif
#ifndef WINAPIV
#define WINAPIV
#endif
#ifndef APIENTRY
#define APIENTRY WINAPI
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef NTAPI
#define NTAPI
#endif
#ifndef WINBASEAPI
#define WINBASEAPI
#endif
#ifndef WINADVAPI
#define WINADVAPI
#endif
#ifndef CMAPI
#define CMAPI
#endif
#ifndef EXTERN_C
#ifdef __cplusplus
#define EXTERN_C extern "C"
#else
#define EXTERN_C extern
#endif
#endif
#ifndef UNREFERENCED_PARAMETER
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#endif

#define DECLARE_HANDLE(name)                                                                       \
    struct name##__ {                                                                              \
        int unused;                                                                                \
    };                                                                                             \
    typedef struct name##__ *name

DECLARE_HANDLE(HKEY);
typedef HKEY *PHKEY;
DECLARE_HANDLE(HINSTANCE);
typedef HINSTANCE HMODULE;
DECLARE_HANDLE(HWND);
typedef HANDLE HLOCAL, HGLOBAL;

typedef LONG LSTATUS;
typedef ACCESS_MASK REGSAM;
typedef WCHAR TCHAR, *PTCHAR, *LPTSTR;
typedef const WCHAR *LPCTSTR;
typedef unsigned short ATOM;

#define MAX_PATH 260
#define MAXDWORD 0xffffffffu
#define MAXWORD 0xffff
#define MAXBYTE 0xff

/* pnpbox implements the Unicode (W) API only: TEXT() and the generic names are always Unicode. */
#ifndef UNICODE
#define UNICODE 1
#endif
#ifndef _UNICODE
#define _UNICODE 1
#endif
#define TEXT(quote) L##quote
#define __TEXT(quote) L##quote

typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;

typedef struct _SECURITY_ATTRIBUTES {
    DWORD nLength;
    LPVOID lpSecurityDescriptor;
    BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

typedef struct _OVERLAPPED {
    ULONG_PTR Internal;
    ULONG_PTR InternalHigh;
    union {
        struct {
            DWORD Offset;
            DWORD OffsetHigh;
        };
        PVOID Pointer;
    };
    HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;

#endif
