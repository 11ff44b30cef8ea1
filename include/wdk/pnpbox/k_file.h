/*
 * pnpbox/k_file.h: part of <wdm.h>: kernel files: FILE_*_INFORMATION classes, create dispositions and options, Zw*File.
 * Do not include directly; include <wdm.h>, <ntddk.h> or <ntifs.h>.
 */
#ifndef PNPBOX_WDK_K_FILE_H
#define PNPBOX_WDK_K_FILE_H

#include "../ntdef.h"

#endif
