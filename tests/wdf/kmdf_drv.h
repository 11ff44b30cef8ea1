/*
 * kmdf_drv.h: the KMDF driver the wdf suites link in ("kmdftest"), written
 * as a WDK driver would be (DriverEntry -> WdfDriverCreate,
 * EvtDriverDeviceAdd -> WdfDeviceCreate, the PnP and power callbacks), plus
 * the machine fixture around it: a service, a devnode ROOT\KMDFTEST\0000
 * with a software key, and the driver registered for the service.
 *
 * Every framework callback appends "name" (or "name:arg") to a trace, with
 * the component it ran as, so tests can assert the exact order.  Knobs in
 * `kd` make callbacks fail or change what the driver does.
 */
#ifndef TESTS_WDF_KMDF_DRV_H
#define TESTS_WDF_KMDF_DRV_H

#include <ntddk.h>
#include <wdf.h>

#include "pnpbox/pnpbox.h"

#define KD_SERVICE "kmdftest"
#define KD_INSTANCE "ROOT\\KMDFTEST\\0000"
#define KD_CLASS "{4d36e97d-e325-11ce-bfc1-08002be10318}"

typedef struct DEVICE_CONTEXT {
    ULONG Magic;
    ULONG Setting;          /* read in EvtDriverDeviceAdd from the hardware key */
    WDFSTRING Name;
    UCHAR Padding[40];
} DEVICE_CONTEXT, *PDEVICE_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, DeviceGetContext)

typedef struct DRIVER_CONTEXT {
    ULONG Loads;
} DRIVER_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE(DRIVER_CONTEXT)

extern const GUID KD_IFACE;

/* What the driver does; reset by kd_setup. */
typedef struct kd_knobs {
    NTSTATUS fail_prepare, fail_d0entry, fail_d0post, fail_smio_init, fail_query_remove;
    NTSTATUS fail_device_add;      /* EvtDriverDeviceAdd returns this after WdfDeviceCreate */
    NTSTATUS fail_entry;           /* DriverEntry returns this after WdfDriverCreate */
    int no_device;                 /* EvtDriverDeviceAdd creates no device */
    int filter;                    /* WdfFdoInitSetFilter */
    int no_iface;                  /* no WdfDeviceCreateDeviceInterface */
    int nonpnp;                    /* WdfDriverInitNonPnpDriver (no EvtDriverDeviceAdd) */
    int no_unload;                 /* no EvtDriverUnload */
    int iface_in_prepare;          /* create a second interface (ref "late") in PrepareHardware */
    int notify;                    /* register for KD_IFACE arrivals in DriverEntry */
    int probe_after_create;        /* call WdfFdoInitOpenRegistryKey(DeviceInit) after WdfDeviceCreate */
    /* When set, EvtDriverDeviceAdd is only this (tests of WDFDEVICE_INIT and WdfDeviceCreate). */
    NTSTATUS (*add_hook)(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit);
} kd_knobs;
extern kd_knobs kd;

extern pnpbox_machine *kd_m;
extern WDFDRIVER kd_driver;
extern WDFDEVICE kd_device;
extern PDRIVER_OBJECT kd_wdm;
extern NTSTATUS kd_create_status;   /* what WdfDriverCreate returned in DriverEntry */
extern NTSTATUS kd_fdo_key_status;  /* WdfFdoInitOpenRegistryKey in EvtDriverDeviceAdd */
extern NTSTATUS kd_after_create_key_status; /* WdfFdoInitOpenRegistryKey(NULL) after WdfDeviceCreate */

/* The trace: kd_trace[i] "callback[:arg]@component". */
#define KD_MAX_TRACE 128
extern char kd_trace[KD_MAX_TRACE][96];
extern int kd_ntrace;
void kd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The trace joined with ' ' (static buffer). */
const char *kd_trace_str(void);
void kd_trace_clear(void);

DRIVER_INITIALIZE kd_DriverEntry;

/* A fresh machine with the service (Type 1), its Parameters key, the devnode and the driver registered. */
void kd_setup(void);
void kd_teardown(void);
/* Load the driver / start the device, asserting success. */
void kd_load(void);
void kd_start(void);
/* The component the driver runs as. */
pnpbox_component *kd_comp(void);

/* The last audit event of api, or NULL. */
const pnpbox_event *kd_last_event(const char *api);
/* Does the log hold a line containing text? */
int kd_log_has(const char *text);

#endif
