/*
 * windows.h: the user-mode SDK subset pnpbox emulates, for Win32
 * services, applications and UMDF-style components of a driver package:
 * base types and handles (windef.h), access rights (winnt.h), kernel32
 * (winbase.h), error codes (winerror.h), the registry (winreg.h) and the
 * service control manager (winsvc.h, unless NOSERVICE).  cfgmgr32.h is
 * included separately, as on Windows.  Compile with
 * `pkg-config --cflags pnpbox` (-fshort-wchar).  Do not include it
 * together with the kernel headers (wdm.h, ntddk.h).
 */
#ifndef PNPBOX_WINDOWS_H
#define PNPBOX_WINDOWS_H

#include "windef.h"
#include "winnt.h"
#include "winerror.h"
#include "winbase.h"
#include "winreg.h"
#ifndef NOSERVICE
#include "winsvc.h"
#endif

#endif
