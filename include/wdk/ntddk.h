/*
 * ntddk.h: wdm.h plus the routines the WDK declares in ntddk.h
 * (IoQueryFullDriverPath, RtlQueryRegistryValueWithFallback, ...).  pnpbox
 * declares them all in wdm.h's parts, so this only includes wdm.h.
 */
#ifndef PNPBOX_NTDDK_H
#define PNPBOX_NTDDK_H
#include "wdm.h"
#endif
