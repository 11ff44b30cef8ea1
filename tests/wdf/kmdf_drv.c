/*
 * kmdf_drv.c: the KMDF test driver and machine fixture of the wdf suites
 * (see kmdf_drv.h).  The driver part is written against <wdf.h> only, as
 * a real KMDF driver; the fixture part uses pnpbox's control API and
 * emu internals to set the machine up.
 */
#include "tests/wdf/kmdf_drv.h"

#include <initguid.h>
#include <wdmguid.h>

#include "emu/emu.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

DEFINE_GUID(KD_IFACE, 0x5a1d0c3e, 0x7b2f, 0x4e61, 0x9a, 0x10, 0x3c, 0x55, 0x21, 0x7e, 0x44, 0x90);

kd_knobs kd;
pnpbox_machine *kd_m;
WDFDRIVER kd_driver;
WDFDEVICE kd_device;
PDRIVER_OBJECT kd_wdm;
NTSTATUS kd_create_status, kd_fdo_key_status, kd_after_create_key_status;
char kd_trace[KD_MAX_TRACE][96];
int kd_ntrace;

void kd_log(const char *fmt, ...)
{
    if (kd_ntrace >= KD_MAX_TRACE)
        return;
    char what[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(kd_trace[kd_ntrace++], sizeof kd_trace[0], "%s@%s", what,
             pnpbox_component_name(pnpbox_current_component()));
}

const char *kd_trace_str(void)
{
    static char buf[KD_MAX_TRACE * 96];
    buf[0] = 0;
    for (int i = 0; i < kd_ntrace; i++) {
        if (i)
            strcat(buf, " ");
        strcat(buf, kd_trace[i]);
    }
    return buf;
}

void kd_trace_clear(void) { kd_ntrace = 0; }

/* ---------------------------------------------------------------- the driver */

static EVT_WDF_DRIVER_DEVICE_ADD EvtDeviceAdd;
static EVT_WDF_DRIVER_UNLOAD EvtDriverUnload;
static EVT_WDF_OBJECT_CONTEXT_CLEANUP EvtDriverCleanup;
static EVT_WDF_OBJECT_CONTEXT_DESTROY EvtDriverDestroy;
static EVT_WDF_DEVICE_CONTEXT_CLEANUP EvtDeviceCleanup;
static EVT_WDF_DEVICE_CONTEXT_DESTROY EvtDeviceDestroy;
static EVT_WDF_DEVICE_PREPARE_HARDWARE EvtPrepareHardware;
static EVT_WDF_DEVICE_RELEASE_HARDWARE EvtReleaseHardware;
static EVT_WDF_DEVICE_D0_ENTRY EvtD0Entry;
static EVT_WDF_DEVICE_D0_ENTRY_POST_INTERRUPTS_ENABLED EvtD0EntryPost;
static EVT_WDF_DEVICE_D0_EXIT EvtD0Exit;
static EVT_WDF_DEVICE_D0_EXIT_PRE_INTERRUPTS_DISABLED EvtD0ExitPre;
static EVT_WDF_DEVICE_SELF_MANAGED_IO_INIT EvtSmioInit;
static EVT_WDF_DEVICE_SELF_MANAGED_IO_SUSPEND EvtSmioSuspend;
static EVT_WDF_DEVICE_SELF_MANAGED_IO_FLUSH EvtSmioFlush;
static EVT_WDF_DEVICE_SELF_MANAGED_IO_CLEANUP EvtSmioCleanup;
static EVT_WDF_DEVICE_SURPRISE_REMOVAL EvtSurpriseRemoval;
static EVT_WDF_DEVICE_QUERY_REMOVE EvtQueryRemove;
static EVT_WDF_OBJECT_CONTEXT_CLEANUP EvtNameCleanup;
static EVT_WDF_OBJECT_CONTEXT_DESTROY EvtNameDestroy;

static const char *power_name(WDF_POWER_DEVICE_STATE s)
{
    return s == WdfPowerDeviceD3Final ? "D3Final" : s == WdfPowerDeviceD0 ? "D0" : "other";
}

static NTSTATUS Arrival(PVOID n, PVOID ctx)
{
    (void)ctx;
    PDEVICE_INTERFACE_CHANGE_NOTIFICATION c = n;
    kd_log("%s", IsEqualGUID(&c->Event, &GUID_DEVICE_INTERFACE_ARRIVAL) ? "arrival" : "removal");
    return STATUS_SUCCESS;
}

NTSTATUS kd_DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    kd_log("DriverEntry");
    kd_wdm = DriverObject;
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, kd.nonpnp ? WDF_NO_EVENT_CALLBACK : EvtDeviceAdd);
    if (!kd.no_unload)
        config.EvtDriverUnload = EvtDriverUnload;
    if (kd.nonpnp)
        config.DriverInitFlags |= WdfDriverInitNonPnpDriver;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, DRIVER_CONTEXT);
    attributes.EvtCleanupCallback = EvtDriverCleanup;
    attributes.EvtDestroyCallback = EvtDriverDestroy;
    kd_create_status = WdfDriverCreate(DriverObject, RegistryPath, &attributes, &config, &kd_driver);
    if (!NT_SUCCESS(kd_create_status))
        return kd_create_status;
    WdfObjectGet_DRIVER_CONTEXT(kd_driver)->Loads++;
    if (kd.notify) {
        PVOID entry;
        NTSTATUS st = IoRegisterPlugPlayNotification(EventCategoryDeviceInterfaceChange, 0, (PVOID)&KD_IFACE,
                                                     DriverObject, Arrival, NULL, &entry);
        if (!NT_SUCCESS(st))
            return st;
    }
    return kd.fail_entry ? kd.fail_entry : STATUS_SUCCESS;
}

static VOID EvtDriverUnload(WDFDRIVER Driver)
{
    kd_log("EvtDriverUnload:%s", Driver == kd_driver ? "self" : "other");
}

static VOID EvtDriverCleanup(WDFOBJECT Object)
{
    kd_log("DriverCleanup:%s", Object == (WDFOBJECT)kd_driver ? "self" : "other");
}

static VOID EvtDriverDestroy(WDFOBJECT Object)
{
    (void)Object;
    kd_log("DriverDestroy");
    kd_driver = NULL;
}

static NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    kd_log("EvtDeviceAdd:%s", Driver == kd_driver ? "self" : "other");
    if (kd.add_hook)
        return kd.add_hook(Driver, DeviceInit);
    if (kd.filter)
        WdfFdoInitSetFilter(DeviceInit);
    if (kd.no_device)
        return kd.fail_device_add;
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = EvtPrepareHardware;
    pnp.EvtDeviceReleaseHardware = EvtReleaseHardware;
    pnp.EvtDeviceD0Entry = EvtD0Entry;
    pnp.EvtDeviceD0EntryPostInterruptsEnabled = EvtD0EntryPost;
    pnp.EvtDeviceD0Exit = EvtD0Exit;
    pnp.EvtDeviceD0ExitPreInterruptsDisabled = EvtD0ExitPre;
    pnp.EvtDeviceSelfManagedIoInit = EvtSmioInit;
    pnp.EvtDeviceSelfManagedIoSuspend = EvtSmioSuspend;
    pnp.EvtDeviceSelfManagedIoFlush = EvtSmioFlush;
    pnp.EvtDeviceSelfManagedIoCleanup = EvtSmioCleanup;
    pnp.EvtDeviceSurpriseRemoval = EvtSurpriseRemoval;
    pnp.EvtDeviceQueryRemove = EvtQueryRemove;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);

    /* Read a setting from the hardware key before the device exists. */
    ULONG setting = 0;
    WDFKEY key;
    kd_fdo_key_status = WdfFdoInitOpenRegistryKey(DeviceInit, PLUGPLAY_REGKEY_DEVICE, KEY_READ,
                                                  WDF_NO_OBJECT_ATTRIBUTES, &key);
    if (NT_SUCCESS(kd_fdo_key_status)) {
        DECLARE_CONST_UNICODE_STRING(name, L"Setting");
        if (!NT_SUCCESS(WdfRegistryQueryULong(key, &name, &setting)))
            setting = 0;
        WdfRegistryClose(key);
    }

    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, DEVICE_CONTEXT);
    attributes.EvtCleanupCallback = EvtDeviceCleanup;
    attributes.EvtDestroyCallback = EvtDeviceDestroy;
    WDFDEVICE device;
    NTSTATUS st = WdfDeviceCreate(&DeviceInit, &attributes, &device);
    if (!NT_SUCCESS(st))
        return st;
    kd_device = device;
    PDEVICE_CONTEXT ctx = DeviceGetContext(device);
    ctx->Magic = 0x4b4d4446;
    ctx->Setting = setting;
    /* After WdfDeviceCreate the driver's DeviceInit is NULL. */
    if (kd.probe_after_create)
        kd_after_create_key_status =
            WdfFdoInitOpenRegistryKey(DeviceInit, PLUGPLAY_REGKEY_DEVICE, KEY_READ, WDF_NO_OBJECT_ATTRIBUTES, &key);

    /* A child of the device: deleted with it, cleaned up before it. */
    WDF_OBJECT_ATTRIBUTES sattr;
    WDF_OBJECT_ATTRIBUTES_INIT(&sattr);
    sattr.ParentObject = device;
    sattr.EvtCleanupCallback = EvtNameCleanup;
    sattr.EvtDestroyCallback = EvtNameDestroy;
    DECLARE_CONST_UNICODE_STRING(text, L"kmdftest device");
    if (!NT_SUCCESS(st = WdfStringCreate(&text, &sattr, &ctx->Name)))
        return st;
    if (!kd.no_iface && !NT_SUCCESS(st = WdfDeviceCreateDeviceInterface(device, &KD_IFACE, NULL)))
        return st;
    return kd.fail_device_add;
}

static VOID EvtDeviceCleanup(WDFOBJECT Device)
{
    PDEVICE_CONTEXT ctx = DeviceGetContext(Device);
    kd_log("DeviceCleanup:%x", ctx ? ctx->Magic : 0);
}

static VOID EvtDeviceDestroy(WDFOBJECT Device)
{
    PDEVICE_CONTEXT ctx = DeviceGetContext(Device);
    kd_log("DeviceDestroy:%x", ctx ? ctx->Magic : 0);
    kd_device = NULL;
}

static VOID EvtNameCleanup(WDFOBJECT Object)
{
    (void)Object;
    kd_log("NameCleanup");
}

static VOID EvtNameDestroy(WDFOBJECT Object)
{
    (void)Object;
    kd_log("NameDestroy");
}

static NTSTATUS EvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST Raw, WDFCMRESLIST Translated)
{
    kd_log("PrepareHardware:%s", Raw && Translated && Raw != Translated ? "lists" : "nolists");
    if (kd.iface_in_prepare) {
        DECLARE_CONST_UNICODE_STRING(ref, L"late");
        NTSTATUS st = WdfDeviceCreateDeviceInterface(Device, &KD_IFACE, &ref);
        if (!NT_SUCCESS(st))
            return st;
    }
    return kd.fail_prepare;
}

static NTSTATUS EvtReleaseHardware(WDFDEVICE Device, WDFCMRESLIST Translated)
{
    (void)Device;
    kd_log("ReleaseHardware:%s", Translated ? "list" : "nolist");
    return STATUS_SUCCESS;
}

static NTSTATUS EvtD0Entry(WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState)
{
    (void)Device;
    kd_log("D0Entry:%s", power_name(PreviousState));
    return kd.fail_d0entry;
}

static NTSTATUS EvtD0EntryPost(WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState)
{
    (void)Device;
    kd_log("D0EntryPost:%s", power_name(PreviousState));
    return kd.fail_d0post;
}

static NTSTATUS EvtD0Exit(WDFDEVICE Device, WDF_POWER_DEVICE_STATE TargetState)
{
    (void)Device;
    kd_log("D0Exit:%s", power_name(TargetState));
    return STATUS_SUCCESS;
}

static NTSTATUS EvtD0ExitPre(WDFDEVICE Device, WDF_POWER_DEVICE_STATE TargetState)
{
    (void)Device;
    kd_log("D0ExitPre:%s", power_name(TargetState));
    return STATUS_SUCCESS;
}

static NTSTATUS EvtSmioInit(WDFDEVICE Device)
{
    (void)Device;
    kd_log("SmioInit");
    return kd.fail_smio_init;
}

static NTSTATUS EvtSmioSuspend(WDFDEVICE Device)
{
    (void)Device;
    kd_log("SmioSuspend");
    return STATUS_SUCCESS;
}

static VOID EvtSmioFlush(WDFDEVICE Device)
{
    (void)Device;
    kd_log("SmioFlush");
}

static VOID EvtSmioCleanup(WDFDEVICE Device)
{
    (void)Device;
    kd_log("SmioCleanup");
}

static VOID EvtSurpriseRemoval(WDFDEVICE Device)
{
    (void)Device;
    kd_log("SurpriseRemoval");
}

static NTSTATUS EvtQueryRemove(WDFDEVICE Device)
{
    (void)Device;
    kd_log("QueryRemove");
    return kd.fail_query_remove;
}

/* ---------------------------------------------------------------- the fixture */

void kd_setup(void)
{
    memset(&kd, 0, sizeof kd);
    kd_driver = NULL;
    kd_device = NULL;
    kd_wdm = NULL;
    kd_trace_clear();
    cr_assert_eq(pnpbox_machine_new(NULL, &kd_m), 0);
    regdb_key sk, pk, ek, swk;
    cr_assert_eq(emu_ccs_create(kd_m, "Services\\" KD_SERVICE, 0, &sk), 0);
    cr_assert_eq(regdb_set_dword(kd_m->reg, sk, (const uint16_t *)L"Type", 1), 0);
    cr_assert_eq(regdb_set_dword(kd_m->reg, sk, (const uint16_t *)L"Start", 3), 0);
    cr_assert_eq(regdb_create_key_u8(kd_m->reg, sk, "Parameters", 0, &pk), 0);
    cr_assert_eq(regdb_set_dword(kd_m->reg, pk, (const uint16_t *)L"Verbose", 3), 0);
    cr_assert_eq(pnpbox_devnode_create(kd_m, KD_INSTANCE, "Root\\KmdfTest", KD_SERVICE, KD_CLASS), 0);
    cr_assert_eq(emu_ccs_open(kd_m, "Enum\\" KD_INSTANCE, &ek), 0);
    cr_assert_eq(regdb_set_sz(kd_m->reg, ek, (const uint16_t *)L"Driver", (const uint16_t *)L"" KD_CLASS "\\0000"), 0);
    cr_assert_eq(emu_ccs_create(kd_m, "Control\\Class\\" KD_CLASS "\\0000", 0, &swk), 0);
    cr_assert_eq(regdb_set_sz(kd_m->reg, swk, (const uint16_t *)L"DriverDesc", (const uint16_t *)L"KMDF test"), 0);
    regdb_key dp;
    cr_assert_eq(emu_ccs_create(kd_m, "Enum\\" KD_INSTANCE "\\Device Parameters", 0, &dp), 0);
    cr_assert_eq(regdb_set_dword(kd_m->reg, dp, (const uint16_t *)L"Setting", 42), 0);
    cr_assert_eq(pnpbox_driver_register(kd_m, KD_SERVICE, (pnpbox_driver_entry_fn)kd_DriverEntry), 0);
}

void kd_teardown(void)
{
    pnpbox_enter(NULL);
    pnpbox_machine_free(kd_m);
    kd_m = NULL;
}

void kd_load(void)
{
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_driver_load(kd_m, KD_SERVICE, &st), 0, "%s", pnpbox_errmsg(kd_m));
    cr_assert_eq(st, STATUS_SUCCESS, "DriverEntry returned 0x%08x", (unsigned)st);
    cr_assert_not_null(kd_driver);
}

void kd_start(void)
{
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_start(kd_m, KD_INSTANCE, &st), 0, "%s", pnpbox_errmsg(kd_m));
    cr_assert_eq(st, STATUS_SUCCESS, "start returned 0x%08x; trace %s", (unsigned)st, kd_trace_str());
    cr_assert_not_null(kd_device);
}

pnpbox_component *kd_comp(void) { return pnpbox_component_get(kd_m, PNPBOX_COMP_KERNEL_DRIVER, KD_SERVICE); }

const pnpbox_event *kd_last_event(const char *api)
{
    for (size_t i = pnpbox_event_count(kd_m); i-- > 0;) {
        const pnpbox_event *e = pnpbox_event_get(kd_m, i);
        if (!strcmp(e->api, api))
            return e;
    }
    return NULL;
}

int kd_log_has(const char *text)
{
    for (size_t i = 0; i < pnpbox_log_count(kd_m); i++)
        if (strstr(pnpbox_log_get(kd_m, i), text))
            return 1;
    return 0;
}
