/*
 * ntifs.h: ntddk.h plus the file-system routines (ZwQueryDirectoryFile,
 * ...), which pnpbox declares in wdm.h's parts; this only includes ntddk.h.
 */
#ifndef PNPBOX_NTIFS_H
#define PNPBOX_NTIFS_H
#include "ntddk.h"
#endif
