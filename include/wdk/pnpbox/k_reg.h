/*
 * pnpbox/k_reg.h: part of <wdm.h>: kernel registry: KEY_*_INFORMATION classes, Zw*Key, RtlQueryRegistryValues and friends.
 * Do not include directly; include <wdm.h>, <ntddk.h> or <ntifs.h>.
 */
#ifndef PNPBOX_WDK_K_REG_H
#define PNPBOX_WDK_K_REG_H

#include "../ntdef.h"

#endif
