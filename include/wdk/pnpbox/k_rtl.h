/*
 * pnpbox/k_rtl.h: part of <wdm.h>: kernel runtime: Rtl string and memory routines, executive pool (ExAllocatePool2 ...), DbgPrint/KdPrint, IRQL helpers.
 * Do not include directly; include <wdm.h>, <ntddk.h> or <ntifs.h>.
 */
#ifndef PNPBOX_WDK_K_RTL_H
#define PNPBOX_WDK_K_RTL_H

#include "../ntdef.h"

#endif
