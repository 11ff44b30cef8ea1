/*
 * pnpbox/k_io.h: part of <wdm.h>: I/O and PnP manager: DRIVER_OBJECT, DEVICE_OBJECT, IRP, IO_STACK_LOCATION, Io* routines, the isolation APIs and device interfaces.
 * Do not include directly; include <wdm.h>, <ntddk.h> or <ntifs.h>.
 */
#ifndef PNPBOX_WDK_K_IO_H
#define PNPBOX_WDK_K_IO_H

#include "../ntdef.h"

#endif
