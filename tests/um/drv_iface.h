/*
 * drv_iface.h: the kernel driver linked into the cfgmgr32 suites
 * (drv_iface.c, built with <ntddk.h>; this header uses no Windows types so
 * that the user-mode test files can include it after <windows.h>).
 *
 * Service "ifdrv" (a kernel driver).  At IRP_MN_START_DEVICE each device
 * registers and enables an interface of class DRV_IFACE_CLASS (no
 * reference string) and writes the REG_DWORD "Calibration" = 7 into the
 * interface's IoOpenDeviceInterfaceRegistryKey key, and opens its
 * IoGetDeviceDirectory directory (the devnode's StateDirectoryId); the PnP manager
 * disables the interface when the device is removed.
 */
#ifndef DRV_IFACE_H
#define DRV_IFACE_H

#include "pnpbox/pnpbox.h"

#define DRV_IFACE_CLASS "{6b1f8a3e-2c4d-4e5f-9a0b-1c2d3e4f5a6b}"
#define DRV_IFACE_GUID_INIT {0x6b1f8a3e, 0x2c4d, 0x4e5f, {0x9a, 0x0b, 0x1c, 0x2d, 0x3e, 0x4f, 0x5a, 0x6b}}
/* The device setup class of the devnodes (System). */
#define DRV_IFACE_DEVCLASS "{4d36e97d-e325-11ce-bfc1-08002be10318}"

/* What the driver saw. */
typedef struct drv_iface_seen {
    int start, remove;
    int fail_start;           /* set: START fails with STATUS_DEVICE_CONFIGURATION_ERROR */
    unsigned reg_status;      /* NTSTATUS of the interface key write */
    unsigned dir_status;      /* NTSTATUS of IoGetDeviceDirectory */
    const char *start_comp;   /* the component START ran as */
} drv_iface_seen;
extern drv_iface_seen drv_seen;

/* The service key and the driver's code: call once per machine. */
void drv_iface_install(pnpbox_machine *m);
/* A devnode driven by ifdrv: "ROOT\\IFDEV\\000n" (pnpbox_devnode_create). */
void drv_iface_add_device(pnpbox_machine *m, const char *instance);

#endif
