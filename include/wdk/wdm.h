/*
 * wdm.h: the kernel-mode driver API pnpbox emulates (WDM).  It is split
 * into parts under pnpbox/ by area; what pnpbox does not implement is
 * absent, so a driver that uses it fails to compile or link with a clear
 * name instead of calling a silent stub.  Compile with
 * `pkg-config --cflags pnpbox` (-fshort-wchar).
 */
#ifndef PNPBOX_WDM_H
#define PNPBOX_WDM_H

#include "ntdef.h"
#include "pnpbox/k_rtl.h"
#include "pnpbox/k_sync.h"
#include "pnpbox/k_reg.h"
#include "pnpbox/k_file.h"
#include "pnpbox/k_io.h"

#endif
