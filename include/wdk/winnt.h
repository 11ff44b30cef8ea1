/*
 * winnt.h: the user-mode access masks, file attributes and registry
 * constants (winnt.h of the SDK).  The rights shared with the kernel
 * headers live in _pnpbox_access.h; this adds what only user-mode code
 * names.  Include <windows.h> rather than this file.
 */
#ifndef PNPBOX_WINNT_H
#define PNPBOX_WINNT_H

#include "_pnpbox_access.h"
#include "windef.h"

#define FILE_ATTRIBUTE_SPARSE_FILE 0x00000200
#define FILE_ATTRIBUTE_REPARSE_POINT 0x00000400
#define FILE_ATTRIBUTE_COMPRESSED 0x00000800
#define FILE_ATTRIBUTE_OFFLINE 0x00001000
#define FILE_ATTRIBUTE_NOT_CONTENT_INDEXED 0x00002000
#define FILE_ATTRIBUTE_ENCRYPTED 0x00004000
#define FILE_ATTRIBUTE_INTEGRITY_STREAM 0x00008000
#define FILE_ATTRIBUTE_VIRTUAL 0x00010000
#define FILE_ATTRIBUTE_NO_SCRUB_DATA 0x00020000
#define INVALID_FILE_ATTRIBUTES ((DWORD)-1)

#define EVENT_MODIFY_STATE 0x0002
#define EVENT_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3)

#define REG_OPTION_PREDEF_HANDLE 0x00000040L

#define REG_NOTIFY_CHANGE_VALID                                                                     \
    (REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_ATTRIBUTES | REG_NOTIFY_CHANGE_LAST_SET |          \
     REG_NOTIFY_CHANGE_SECURITY)

#endif
