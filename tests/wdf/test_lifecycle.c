/*
 * test_lifecycle.c: a KMDF driver linked into the test, driven through the
 * whole PnP lifecycle by pnpbox's PnP manager: DriverEntry/WdfDriverCreate,
 * AddDevice/EvtDriverDeviceAdd/WdfDeviceCreate, IRP_MN_START_DEVICE with
 * every callback in order and the interface's arrival after START, orderly
 * and surprise removal, DriverUnload/EvtDriverUnload and the object
 * cleanup order; failing callbacks; WdfDriverCreate's argument checks; the
 * framework's dispatch routine; the WDM accessors.
 */
#include "tests/wdf/kmdf_drv.h"

#include "base/pb_utf16.h"
#include "emu/emu.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

TestSuite(wdf_lifecycle, .init = kd_setup, .fini = kd_teardown);

#define D "@" KD_SERVICE

Test(wdf_lifecycle, full_lifecycle_calls_every_callback_in_order)
{
    kd.notify = 1;
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_start(kd_m, KD_INSTANCE, &st), 0, "%s", pnpbox_errmsg(kd_m));
    cr_assert_eq(st, STATUS_SUCCESS, "%s", kd_trace_str());
    /* The arrival comes after every start callback, once START has completed. */
    cr_assert_str_eq(kd_trace_str(),
                     "DriverEntry" D " EvtDeviceAdd:self" D " PrepareHardware:lists" D " D0Entry:D3Final" D
                     " D0EntryPost:D3Final" D " SmioInit" D " arrival" D);
    cr_assert_eq(kd_create_status, STATUS_SUCCESS);
    cr_assert_eq(kd_fdo_key_status, STATUS_SUCCESS);
    cr_assert_eq(DeviceGetContext(kd_device)->Setting, 42, "EvtDriverDeviceAdd read the hardware key");
    cr_assert_eq(pnpbox_component_kind_of(pnpbox_current_component()), PNPBOX_COMP_HARNESS);

    kd_trace_clear();
    cr_assert_eq(pnpbox_device_remove(kd_m, KD_INSTANCE, 0, &st), 0, "%s", pnpbox_errmsg(kd_m));
    cr_assert_eq(st, STATUS_SUCCESS);
    cr_assert_str_eq(kd_trace_str(), "QueryRemove" D " SmioSuspend" D " D0ExitPre:D3Final" D " D0Exit:D3Final" D
                                     " ReleaseHardware:list" D " removal" D " SmioFlush" D " SmioCleanup" D
                                     " NameCleanup" D " DeviceCleanup:4b4d4446" D " NameDestroy" D
                                     " DeviceDestroy:4b4d4446" D);
    cr_assert_null(kd_device);

    kd_trace_clear();
    cr_assert_eq(pnpbox_driver_unload(kd_m, KD_SERVICE, &st), 0, "%s", pnpbox_errmsg(kd_m));
    cr_assert_eq(st, STATUS_SUCCESS);
    cr_assert_str_eq(kd_trace_str(), "EvtDriverUnload:self" D " DriverCleanup:self" D " DriverDestroy" D);
    cr_assert_null(kd_driver);
    for (size_t i = 0; i < pnpbox_log_count(kd_m); i++) {
        const char *l = pnpbox_log_get(kd_m, i);
        cr_assert_null(strstr(l, "BUG CHECK"), "%s", l);
        cr_assert_null(strstr(l, "error"), "%s", l);
        cr_assert_null(strstr(l, "handle(s) still open"), "%s", l);
    }
}

Test(wdf_lifecycle, driver_object_is_taken_over)
{
    kd_load();
    cr_assert_not_null(kd_wdm);
    cr_assert_not_null(kd_wdm->DriverExtension->AddDevice, "a PnP driver gets the framework's AddDevice");
    cr_assert_not_null(kd_wdm->DriverUnload);
    for (int i = 1; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        cr_assert_eq(kd_wdm->MajorFunction[i], kd_wdm->MajorFunction[0], "one framework dispatch routine");
    pnpbox_enter(kd_comp());
    cr_assert_eq(WdfDriverWdmGetDriverObject(kd_driver), kd_wdm);
    cr_assert_eq(WdfWdmDriverGetWdfDriverHandle(kd_wdm), kd_driver);
    cr_assert_eq(WdfGetDriver(), kd_driver);
    const char expect[] = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\" KD_SERVICE;
    PWSTR rp = WdfDriverGetRegistryPath(kd_driver);
    cr_assert_str_eq(t_u8((const uint16_t *)rp, sizeof expect - 1), expect);
    cr_assert_eq(rp[sizeof expect - 1], 0, "NUL-terminated");
    cr_assert_eq(WdfObjectGet_DRIVER_CONTEXT(kd_driver)->Loads, 1);
    /* A second WdfDriverCreate for the same driver. */
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, NULL);
    UNICODE_STRING path;
    RtlInitUnicodeString(&path, rp);
    WDFDRIVER again = (WDFDRIVER)(uintptr_t)0xdeadbeef;
    cr_assert_eq(WdfDriverCreate(kd_wdm, &path, NULL, &config, &again), STATUS_DRIVER_INTERNAL_ERROR);
    cr_assert_eq(again, (WDFDRIVER)(uintptr_t)0xdeadbeef, "*Driver untouched");
    pnpbox_enter(NULL);
    cr_assert_eq(WdfGetDriver(), NULL, "the harness has no WDFDRIVER");
}

Test(wdf_lifecycle, wdm_accessors_and_device_stack)
{
    kd.probe_after_create = 1;
    kd_start();
    pnpbox_enter(kd_comp());
    PDEVICE_OBJECT fdo = WdfDeviceWdmGetDeviceObject(kd_device);
    PDEVICE_OBJECT pdo = WdfDeviceWdmGetPhysicalDevice(kd_device);
    PDEVICE_OBJECT lower = WdfDeviceWdmGetAttachedDevice(kd_device);
    cr_assert_not_null(fdo);
    cr_assert_not_null(pdo);
    cr_assert_eq(lower, pdo, "attached directly to the PDO");
    cr_assert_eq(pdo->AttachedDevice, fdo);
    cr_assert_eq(fdo->DriverObject, kd_wdm);
    cr_assert_eq(fdo->DeviceType, FILE_DEVICE_UNKNOWN);
    cr_assert(fdo->Characteristics & FILE_DEVICE_SECURE_OPEN);
    cr_assert_eq(fdo->Flags & DO_DEVICE_INITIALIZING, 0, "cleared after EvtDriverDeviceAdd");
    cr_assert_eq(WdfWdmDeviceGetWdfDeviceHandle(fdo), kd_device);
    cr_assert_null(WdfWdmDeviceGetWdfDeviceHandle(pdo), "the PDO is not a framework device");
    cr_assert_eq(WdfDeviceGetDriver(kd_device), kd_driver);
    cr_assert_eq(kd_after_create_key_status, STATUS_INVALID_PARAMETER,
                 "WdfFdoInitOpenRegistryKey after WdfDeviceCreate: DeviceInit is NULL");
    cr_assert(kd_log_has("BUG CHECK"), "the NULL DeviceInit is a logged bug check");
}

static NTSTATUS send_irp(PDEVICE_OBJECT dev, UCHAR major, ULONG_PTR *info)
{
    PIRP irp = IoAllocateIrp(dev->StackSize, FALSE);
    cr_assert_not_null(irp);
    IO_STATUS_BLOCK iosb = {.Status = (NTSTATUS)0xdeadbeef, .Information = 0xdeadbeef};
    irp->UserIosb = &iosb;
    irp->IoStatus.Information = 0xdeadbeef;
    PIO_STACK_LOCATION s = IoGetNextIrpStackLocation(irp);
    s->MajorFunction = major;
    NTSTATUS st = IoCallDriver(dev, irp);
    cr_assert_eq(st, iosb.Status, "completed synchronously");
    *info = iosb.Information;
    IoFreeIrp(irp);
    return st;
}

Test(wdf_lifecycle, dispatch_of_a_function_driver)
{
    kd_start();
    PDEVICE_OBJECT fdo = WdfDeviceWdmGetDeviceObject(kd_device);
    ULONG_PTR info;
    cr_assert_eq(send_irp(fdo, IRP_MJ_CREATE, &info), STATUS_SUCCESS);
    cr_assert_eq(info, 0);
    cr_assert_eq(send_irp(fdo, IRP_MJ_CLOSE, &info), STATUS_SUCCESS);
    cr_assert_eq(send_irp(fdo, IRP_MJ_DEVICE_CONTROL, &info), STATUS_INVALID_DEVICE_REQUEST,
                 "no queue: the framework fails the request");
    cr_assert_eq(info, 0);
    cr_assert_eq(send_irp(fdo, IRP_MJ_READ, &info), STATUS_INVALID_DEVICE_REQUEST);
}

Test(wdf_lifecycle, filter_passes_requests_down)
{
    kd.filter = 1;
    kd_start();
    PDEVICE_OBJECT fdo = WdfDeviceWdmGetDeviceObject(kd_device);
    ULONG_PTR info;
    /* pnpbox's root bus driver fails requests it does not handle. */
    cr_assert_eq(send_irp(fdo, IRP_MJ_CREATE, &info), STATUS_INVALID_DEVICE_REQUEST);
    cr_assert_eq(send_irp(fdo, IRP_MJ_DEVICE_CONTROL, &info), STATUS_INVALID_DEVICE_REQUEST);
}

Test(wdf_lifecycle, surprise_removal_order)
{
    kd.notify = 1;
    kd_start();
    kd_trace_clear();
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_remove(kd_m, KD_INSTANCE, 1, &st), 0);
    cr_assert_eq(st, STATUS_SUCCESS);
    cr_assert_str_eq(kd_trace_str(), "SurpriseRemoval" D " SmioSuspend" D " D0ExitPre:D3Final" D " D0Exit:D3Final" D
                                     " ReleaseHardware:list" D " removal" D " SmioFlush" D " SmioCleanup" D
                                     " NameCleanup" D " DeviceCleanup:4b4d4446" D " NameDestroy" D
                                     " DeviceDestroy:4b4d4446" D);
}

Test(wdf_lifecycle, interface_enabled_at_start_and_disabled_on_removal)
{
    kd.iface_in_prepare = 1;
    kd_start();
    pnpbox_enter(kd_comp());
    WDFSTRING s;
    cr_assert_eq(WdfStringCreate(NULL, NULL, &s), STATUS_SUCCESS);
    cr_assert_eq(WdfDeviceRetrieveDeviceInterfaceString(kd_device, &KD_IFACE, NULL, s), STATUS_SUCCESS);
    UNICODE_STRING link = {0};
    WdfStringGetUnicodeString(s, &link);
    const char expect[] = "\\??\\ROOT#KMDFTEST#0000#{5a1d0c3e-7b2f-4e61-9a10-3c55217e4490}";
    cr_assert_str_eq(t_u8((const uint16_t *)link.Buffer, link.Length / 2), expect);
    /* Both interfaces (EvtDriverDeviceAdd's and PrepareHardware's) are enabled. */
    PZZWSTR list = NULL;
    cr_assert_eq(IoGetDeviceInterfaces(&KD_IFACE, NULL, 0, &list), STATUS_SUCCESS);
    size_t n = 0;
    for (PZZWSTR p = list; *p; p += pb_wcslen((const uint16_t *)p) + 1)
        n++;
    cr_assert_eq(n, 2);
    ExFreePool(list);
    DECLARE_CONST_UNICODE_STRING(late, L"late");
    cr_assert_eq(WdfDeviceRetrieveDeviceInterfaceString(kd_device, &KD_IFACE, &late, s), STATUS_SUCCESS);
    WdfStringGetUnicodeString(s, &link);
    cr_assert_str_eq(t_u8((const uint16_t *)link.Buffer, link.Length / 2),
                     "\\??\\ROOT#KMDFTEST#0000#{5a1d0c3e-7b2f-4e61-9a10-3c55217e4490}\\late");
    DECLARE_CONST_UNICODE_STRING(none, L"none");
    cr_assert_eq(WdfDeviceRetrieveDeviceInterfaceString(kd_device, &KD_IFACE, &none, s), STATUS_OBJECT_NAME_NOT_FOUND);
    /* One created after the start stays disabled until enabled explicitly. */
    DECLARE_CONST_UNICODE_STRING(after, L"after");
    cr_assert_eq(WdfDeviceCreateDeviceInterface(kd_device, &KD_IFACE, &after), STATUS_SUCCESS);
    cr_assert_eq(IoGetDeviceInterfaces(&KD_IFACE, NULL, 0, &list), STATUS_SUCCESS);
    n = 0;
    for (PZZWSTR p = list; *p; p += pb_wcslen((const uint16_t *)p) + 1)
        n++;
    cr_assert_eq(n, 2);
    ExFreePool(list);
    WdfDeviceSetDeviceInterfaceState(kd_device, &KD_IFACE, &after, TRUE);
    cr_assert_eq(IoGetDeviceInterfaces(&KD_IFACE, NULL, 0, &list), STATUS_SUCCESS);
    n = 0;
    for (PZZWSTR p = list; *p; p += pb_wcslen((const uint16_t *)p) + 1)
        n++;
    cr_assert_eq(n, 3);
    ExFreePool(list);
    WdfObjectDelete(s);
    pnpbox_enter(NULL);
    int32_t st;
    cr_assert_eq(pnpbox_device_remove(kd_m, KD_INSTANCE, 0, &st), 0);
    cr_assert_eq(IoGetDeviceInterfaces(&KD_IFACE, NULL, 0, &list), STATUS_SUCCESS);
    cr_assert_eq(list[0], 0, "all disabled on removal");
    ExFreePool(list);
    cr_assert_eq(IoGetDeviceInterfaces(&KD_IFACE, NULL, DEVICE_INTERFACE_INCLUDE_NONACTIVE, &list), STATUS_SUCCESS);
    cr_assert_neq(list[0], 0, "still registered");
    ExFreePool(list);
}

/* ---- failures ---- */

static void start_fails(NTSTATUS expect, const char *trace)
{
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_start(kd_m, KD_INSTANCE, &st), 0);
    cr_assert_eq(st, expect, "0x%08x; %s", (unsigned)st, kd_trace_str());
    cr_assert_str_eq(kd_trace_str(), trace);
    int started = -1;
    uint32_t problem = 0;
    cr_assert_eq(pnpbox_device_state(kd_m, KD_INSTANCE, &started, &problem), 0);
    cr_assert_eq(started, 0);
    cr_assert_eq(problem, 10, "CM_PROB_FAILED_START");
    cr_assert_null(kd_device, "the failed start removed the device");
}

#define ENTRY_ADD "DriverEntry" D " EvtDeviceAdd:self" D " "
#define CLEANUP " NameCleanup" D " DeviceCleanup:4b4d4446" D " NameDestroy" D " DeviceDestroy:4b4d4446" D

Test(wdf_lifecycle, prepare_hardware_failure_releases_hardware)
{
    kd.fail_prepare = STATUS_DEVICE_CONFIGURATION_ERROR;
    start_fails(STATUS_DEVICE_CONFIGURATION_ERROR,
                ENTRY_ADD "PrepareHardware:lists" D " ReleaseHardware:list" D CLEANUP);
}

Test(wdf_lifecycle, d0_entry_failure_skips_d0_exit)
{
    kd.fail_d0entry = STATUS_DEVICE_NOT_READY;
    start_fails(STATUS_DEVICE_NOT_READY,
                ENTRY_ADD "PrepareHardware:lists" D " D0Entry:D3Final" D " ReleaseHardware:list" D CLEANUP);
}

Test(wdf_lifecycle, d0_entry_post_failure_powers_down)
{
    kd.fail_d0post = STATUS_UNSUCCESSFUL;
    start_fails(STATUS_UNSUCCESSFUL, ENTRY_ADD "PrepareHardware:lists" D " D0Entry:D3Final" D
                                               " D0EntryPost:D3Final" D " D0Exit:D3Final" D
                                               " ReleaseHardware:list" D CLEANUP);
}

Test(wdf_lifecycle, self_managed_io_init_failure)
{
    kd.fail_smio_init = STATUS_INSUFFICIENT_RESOURCES;
    start_fails(STATUS_INSUFFICIENT_RESOURCES,
                ENTRY_ADD "PrepareHardware:lists" D " D0Entry:D3Final" D " D0EntryPost:D3Final" D " SmioInit" D
                          " D0ExitPre:D3Final" D " D0Exit:D3Final" D " ReleaseHardware:list" D CLEANUP);
}

Test(wdf_lifecycle, device_add_failure_deletes_the_device)
{
    kd.fail_device_add = STATUS_INSUFFICIENT_RESOURCES;
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_start(kd_m, KD_INSTANCE, &st), 0);
    cr_assert_eq(st, STATUS_INSUFFICIENT_RESOURCES);
    cr_assert_str_eq(kd_trace_str(), ENTRY_ADD "NameCleanup" D " DeviceCleanup:4b4d4446" D " NameDestroy" D
                                               " DeviceDestroy:4b4d4446" D);
    int started;
    uint32_t problem = 0;
    cr_assert_eq(pnpbox_device_state(kd_m, KD_INSTANCE, &started, &problem), 0);
    cr_assert_eq(problem, 31, "CM_PROB_FAILED_ADD");
    cr_assert_null(kd_wdm->DeviceObject, "no device object left");
}

Test(wdf_lifecycle, device_add_without_device)
{
    kd.no_device = 1;
    kd.fail_device_add = STATUS_SUCCESS;
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_start(kd_m, KD_INSTANCE, &st), 0);
    /* No function device attached: START reaches only the bus driver and succeeds. */
    cr_assert_eq(st, STATUS_SUCCESS);
    cr_assert(kd_log_has("without creating a WDFDEVICE"));
}

Test(wdf_lifecycle, function_driver_error_without_device_fails_add)
{
    kd.no_device = 1;
    kd.fail_device_add = STATUS_NOT_SUPPORTED;
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_start(kd_m, KD_INSTANCE, &st), 0);
    cr_assert_eq(st, STATUS_NOT_SUPPORTED, "a function driver's error fails AddDevice");
    uint32_t problem = 0;
    cr_assert_eq(pnpbox_device_state(kd_m, KD_INSTANCE, NULL, &problem), 0);
    cr_assert_eq(problem, 31);
}

Test(wdf_lifecycle, filter_error_without_device_becomes_success)
{
    kd.no_device = 1;
    kd.filter = 1;
    kd.fail_device_add = STATUS_NOT_SUPPORTED;
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_start(kd_m, KD_INSTANCE, &st), 0);
    cr_assert_eq(st, STATUS_SUCCESS, "a filter that does not attach does not fail the stack");
}

Test(wdf_lifecycle, query_remove_veto)
{
    kd_start();
    kd.fail_query_remove = STATUS_DEVICE_BUSY;
    kd_trace_clear();
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_remove(kd_m, KD_INSTANCE, 0, &st), 0);
    cr_assert_eq(st, STATUS_DEVICE_BUSY);
    cr_assert_str_eq(kd_trace_str(), "QueryRemove" D);
    int started = 0;
    cr_assert_eq(pnpbox_device_state(kd_m, KD_INSTANCE, &started, NULL), 0);
    cr_assert_eq(started, 1, "still started");
    cr_assert_not_null(kd_device);
}

Test(wdf_lifecycle, unload_refused_while_started)
{
    kd_start();
    int32_t st;
    cr_assert_eq(pnpbox_driver_unload(kd_m, KD_SERVICE, &st), -EBUSY);
    cr_assert_not_null(kd_driver);
}

Test(wdf_lifecycle, driver_entry_failure_and_reload)
{
    kd.fail_entry = STATUS_UNSUCCESSFUL;
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_driver_load(kd_m, KD_SERVICE, &st), 0);
    cr_assert_eq(st, STATUS_UNSUCCESSFUL);
    /* KMDF deletes the WDFDRIVER as the failed DriverEntry returns: its cleanup runs then. */
    cr_assert_str_eq(kd_trace_str(), "DriverEntry" D " DriverCleanup:self" D " DriverDestroy" D);
    kd.fail_entry = STATUS_SUCCESS;
    kd_trace_clear();
    kd_load();
    cr_assert_str_eq(kd_trace_str(), "DriverEntry" D);
    cr_assert_eq(kd_create_status, STATUS_SUCCESS);
}

Test(wdf_lifecycle, driver_entry_failure_freed_with_the_machine)
{
    kd.fail_entry = STATUS_UNSUCCESSFUL;
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_driver_load(kd_m, KD_SERVICE, &st), 0);
    cr_assert_eq(st, STATUS_UNSUCCESSFUL);
    cr_assert_str_eq(kd_trace_str(), "DriverEntry" D " DriverCleanup:self" D " DriverDestroy" D);
    /* kd_teardown frees the machine: nothing of the failed load is left (LeakSanitizer checks). */
}

Test(wdf_lifecycle, non_pnp_driver)
{
    kd.nonpnp = 1;
    kd_load();
    cr_assert_null(kd_wdm->DriverExtension->AddDevice, "no AddDevice for a non-PnP driver");
    cr_assert_not_null(kd_wdm->DriverUnload, "unloadable: it has EvtDriverUnload");
    kd_trace_clear();
    int32_t st;
    cr_assert_eq(pnpbox_driver_unload(kd_m, KD_SERVICE, &st), 0);
    cr_assert_eq(st, STATUS_SUCCESS);
    cr_assert_str_eq(kd_trace_str(), "EvtDriverUnload:self" D " DriverCleanup:self" D " DriverDestroy" D);
}

Test(wdf_lifecycle, non_pnp_driver_without_unload_cannot_unload)
{
    kd.nonpnp = 1;
    kd.no_unload = 1;
    kd_load();
    cr_assert_null(kd_wdm->DriverUnload);
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_driver_unload(kd_m, KD_SERVICE, &st), 0);
    cr_assert_eq(st, STATUS_INVALID_DEVICE_REQUEST);
    cr_assert_not_null(kd_driver);
}

Test(wdf_lifecycle, reboot_restarts_the_kmdf_driver)
{
    kd_start();
    kd_trace_clear();
    cr_assert_eq(pnpbox_reboot(kd_m), 0);
    cr_assert_str_eq(kd_trace_str(), "QueryRemove" D " SmioSuspend" D " D0ExitPre:D3Final" D " D0Exit:D3Final" D
                                     " ReleaseHardware:list" D " SmioFlush" D " SmioCleanup" D CLEANUP
                                     " EvtDriverUnload:self" D " DriverCleanup:self" D " DriverDestroy" D
                                     " DriverEntry" D " EvtDeviceAdd:self" D " PrepareHardware:lists" D
                                     " D0Entry:D3Final" D " D0EntryPost:D3Final" D " SmioInit" D);
    cr_assert_not_null(kd_device);
}

/* ---- WdfDriverCreate's checks (Wdf01000.sys's order) ---- */

static NTSTATUS EntryWith(PDRIVER_OBJECT d, PUNICODE_STRING rp);
static NTSTATUS (*entry_test)(PDRIVER_OBJECT d, PUNICODE_STRING rp);
static NTSTATUS EntryWith(PDRIVER_OBJECT d, PUNICODE_STRING rp) { return entry_test(d, rp); }

static NTSTATUS dummy_add(WDFDRIVER d, PWDFDEVICE_INIT i)
{
    (void)d, (void)i;
    return STATUS_SUCCESS;
}

static NTSTATUS checks(PDRIVER_OBJECT d, PUNICODE_STRING rp)
{
    WDF_DRIVER_CONFIG c;
    WDFDRIVER h = (WDFDRIVER)(uintptr_t)0xdeadbeef;
    WDF_DRIVER_CONFIG_INIT(&c, dummy_add);
    c.Size = sizeof c - 1;
    cr_assert_eq(WdfDriverCreate(d, rp, NULL, &c, &h), STATUS_INFO_LENGTH_MISMATCH);
    cr_assert_eq(h, (WDFDRIVER)(uintptr_t)0xdeadbeef);
    WDF_DRIVER_CONFIG_INIT(&c, dummy_add);
    c.DriverInitFlags = WdfVerifyOn;
    cr_assert_eq(WdfDriverCreate(d, rp, NULL, &c, &h), STATUS_INVALID_PARAMETER, "flags KMDF does not take");
    c.DriverInitFlags = 0x100;
    cr_assert_eq(WdfDriverCreate(d, rp, NULL, &c, &h), STATUS_INVALID_PARAMETER);
    cr_assert_eq(h, (WDFDRIVER)(uintptr_t)0xdeadbeef);
    UNICODE_STRING odd = *rp;
    odd.Length = 3;
    c.DriverInitFlags = 0;
    cr_assert_eq(WdfDriverCreate(d, &odd, NULL, &c, &h), STATUS_INVALID_PARAMETER);
    c.DriverInitFlags = WdfDriverInitNonPnpDriver;
    cr_assert_eq(WdfDriverCreate(d, rp, NULL, &c, &h), STATUS_INVALID_PARAMETER, "non-PnP with EvtDriverDeviceAdd");
    cr_assert_null(h, "*Driver cleared once the checks before it passed");
    h = (WDFDRIVER)(uintptr_t)0xdeadbeef;
    c.DriverInitFlags = 0;
    WDF_OBJECT_ATTRIBUTES a;
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.Size = sizeof a + 8;
    cr_assert_eq(WdfDriverCreate(d, rp, &a, &c, &h), STATUS_INFO_LENGTH_MISMATCH);
    cr_assert_null(h);
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.ParentObject = (WDFOBJECT)(uintptr_t)0x1234;
    cr_assert_eq(WdfDriverCreate(d, rp, &a, &c, &h), STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED);
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.ExecutionLevel = WdfExecutionLevelPassive; /* allowed for a driver */
    a.SynchronizationScope = WdfSynchronizationScopeDevice;
    cr_assert_eq(WdfDriverCreate(d, NULL, &a, &c, &h), STATUS_INVALID_PARAMETER, "NULL RegistryPath: bug check");
    cr_assert_eq(WdfDriverCreate(d, rp, &a, NULL, &h), STATUS_INVALID_PARAMETER, "NULL DriverConfig: bug check");
    cr_assert_eq(WdfDriverCreate(NULL, rp, &a, &c, &h), STATUS_INVALID_PARAMETER, "NULL DriverObject: bug check");
    /* Nothing was taken over by the failed calls. */
    cr_assert_null(d->DriverExtension->AddDevice);
    cr_assert_eq(WdfDriverCreate(d, rp, &a, &c, WDF_NO_HANDLE), STATUS_SUCCESS, "*Driver is optional");
    cr_assert_not_null(d->DriverExtension->AddDevice);
    kd_driver = WdfWdmDriverGetWdfDriverHandle(d);
    return STATUS_SUCCESS;
}

Test(wdf_lifecycle, driver_create_argument_checks)
{
    entry_test = checks;
    cr_assert_eq(pnpbox_driver_register(kd_m, KD_SERVICE, (pnpbox_driver_entry_fn)EntryWith), 0);
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_driver_load(kd_m, KD_SERVICE, &st), 0);
    cr_assert_eq(st, STATUS_SUCCESS);
    cr_assert_not_null(kd_driver);
    cr_assert(kd_log_has("BUG CHECK (Windows would stop here): WDF_VIOLATION (0x10D) in WdfDriverCreate"));
}

static NTSTATUS no_dispatch(PDRIVER_OBJECT d, PUNICODE_STRING rp)
{
    WDF_DRIVER_CONFIG c;
    WDF_DRIVER_CONFIG_INIT(&c, dummy_add);
    c.DriverInitFlags = WdfDriverInitNoDispatchOverride;
    PDRIVER_DISPATCH before = d->MajorFunction[IRP_MJ_PNP];
    cr_assert_eq(WdfDriverCreate(d, rp, NULL, &c, &kd_driver), STATUS_SUCCESS);
    cr_assert_eq(d->MajorFunction[IRP_MJ_PNP], before, "the driver keeps its table");
    cr_assert_null(d->DriverExtension->AddDevice);
    cr_assert_null(d->DriverUnload);
    return STATUS_SUCCESS;
}

Test(wdf_lifecycle, no_dispatch_override_keeps_the_wdm_table)
{
    entry_test = no_dispatch;
    cr_assert_eq(pnpbox_driver_register(kd_m, KD_SERVICE, (pnpbox_driver_entry_fn)EntryWith), 0);
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_driver_load(kd_m, KD_SERVICE, &st), 0);
    cr_assert_eq(st, STATUS_SUCCESS);
}

/* ---- WDFDEVICE_INIT and WdfDeviceCreate ---- */

static PWDFDEVICE_INIT saved_init;
static NTSTATUS hook_status[16];

static NTSTATUS D0EntryOnly(WDFDEVICE d, WDF_POWER_DEVICE_STATE s)
{
    (void)d, (void)s;
    kd_log("D0EntryOnly");
    return STATUS_SUCCESS;
}

static NTSTATUS init_checks(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    (void)Driver;
    saved_init = DeviceInit;
    /* A callbacks structure of the wrong size is ignored (logged). */
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDeviceD0Entry = D0EntryOnly;
    pnp.Size = 8;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, NULL);
    WdfDeviceInitSetDeviceType(DeviceInit, FILE_DEVICE_NETWORK);
    WdfDeviceInitSetCharacteristics(DeviceInit, FILE_REMOVABLE_MEDIA, TRUE);
    /* The software key through the init. */
    WDFKEY key = (WDFKEY)(uintptr_t)0xdeadbeef;
    hook_status[0] = WdfFdoInitOpenRegistryKey(DeviceInit, PLUGPLAY_REGKEY_DRIVER, KEY_READ, NULL, &key);
    if (NT_SUCCESS(hook_status[0]))
        WdfRegistryClose(key);
    key = (WDFKEY)(uintptr_t)0xdeadbeef;
    hook_status[1] = WdfFdoInitOpenRegistryKey(DeviceInit, PLUGPLAY_REGKEY_DEVICE | PLUGPLAY_REGKEY_DRIVER, KEY_READ,
                                               NULL, &key);
    hook_status[2] = key == NULL;
    /* Attributes WdfDeviceCreate refuses; *Device is cleared first. */
    WDF_OBJECT_ATTRIBUTES a;
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.ParentObject = Driver;
    WDFDEVICE dev = (WDFDEVICE)(uintptr_t)0xdeadbeef;
    hook_status[3] = WdfDeviceCreate(&DeviceInit, &a, &dev);
    hook_status[4] = dev == NULL && DeviceInit == saved_init;
    hook_status[5] = WdfDeviceCreate(&DeviceInit, NULL, NULL);
    hook_status[6] = WdfDeviceCreate(NULL, NULL, &dev);
    /* The real one; then the saved pointer is still live but used. */
    hook_status[7] = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &dev);
    hook_status[8] = DeviceInit == NULL;
    kd_device = dev;
    PWDFDEVICE_INIT again = saved_init;
    WDFDEVICE dev2 = (WDFDEVICE)(uintptr_t)0xdeadbeef;
    hook_status[9] = WdfDeviceCreate(&again, NULL, &dev2);
    hook_status[10] = dev2 == NULL;
    /* Before the start, disabling an interface keeps the start from enabling it. */
    DECLARE_CONST_UNICODE_STRING(off, L"off");
    hook_status[11] = WdfDeviceCreateDeviceInterface(dev, &KD_IFACE, &off);
    WdfDeviceSetDeviceInterfaceState(dev, &KD_IFACE, &off, FALSE);
    hook_status[12] = WdfDeviceCreateDeviceInterface(dev, &KD_IFACE, NULL);
    UNICODE_STRING bad = {3, 4, (PWCH)L"ab"};
    hook_status[13] = WdfDeviceCreateDeviceInterface(dev, &KD_IFACE, &bad);
    hook_status[14] = WdfDeviceCreateDeviceInterface(dev, NULL, NULL);
    UNICODE_STRING slash = RTL_CONSTANT_STRING(L"a\\b");
    hook_status[15] = WdfDeviceCreateDeviceInterface(dev, &KD_IFACE, &slash);
    return STATUS_SUCCESS;
}

Test(wdf_lifecycle, device_init_and_device_create_checks)
{
    kd.add_hook = init_checks;
    kd_start();
    cr_assert_eq(hook_status[0], STATUS_SUCCESS, "WdfFdoInitOpenRegistryKey(PLUGPLAY_REGKEY_DRIVER)");
    cr_assert_eq(hook_status[1], STATUS_INVALID_PARAMETER);
    cr_assert(hook_status[2], "*Key NULL on failure");
    cr_assert_eq(hook_status[3], STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED);
    cr_assert(hook_status[4], "*Device cleared, *DeviceInit kept");
    cr_assert_eq(hook_status[5], STATUS_INVALID_PARAMETER, "NULL Device: bug check");
    cr_assert_eq(hook_status[6], STATUS_INVALID_PARAMETER, "NULL DeviceInit: bug check");
    cr_assert_eq(hook_status[7], STATUS_SUCCESS);
    cr_assert(hook_status[8], "*DeviceInit is NULL after WdfDeviceCreate");
    cr_assert_eq(hook_status[9], STATUS_INVALID_DEVICE_STATE, "a second WdfDeviceCreate on the same init");
    cr_assert(hook_status[10]);
    cr_assert_eq(hook_status[11], STATUS_SUCCESS);
    cr_assert_eq(hook_status[12], STATUS_SUCCESS);
    cr_assert_eq(hook_status[13], STATUS_INVALID_PARAMETER);
    cr_assert_eq(hook_status[14], STATUS_INVALID_PARAMETER, "NULL GUID: bug check");
    cr_assert_eq(hook_status[15], STATUS_INVALID_DEVICE_REQUEST, "a reference string with a path separator");
    cr_assert(kd_log_has("PnpPowerEventCallbacks->Size is 8"));
    /* The wrong-sized callbacks were ignored: no D0EntryOnly. */
    cr_assert_null(strstr(kd_trace_str(), "D0EntryOnly"));
    PDEVICE_OBJECT fdo = WdfDeviceWdmGetDeviceObject(kd_device);
    cr_assert_eq(fdo->DeviceType, FILE_DEVICE_NETWORK);
    cr_assert_eq(fdo->Characteristics, FILE_DEVICE_SECURE_OPEN | FILE_REMOVABLE_MEDIA);
    /* Only the interface without "off" was enabled at start. */
    PZZWSTR list = NULL;
    cr_assert_eq(IoGetDeviceInterfaces(&KD_IFACE, NULL, 0, &list), STATUS_SUCCESS);
    cr_assert_str_eq(t_u8((const uint16_t *)list, pb_wcslen((const uint16_t *)list)),
                     "\\??\\ROOT#KMDFTEST#0000#{5a1d0c3e-7b2f-4e61-9a10-3c55217e4490}");
    cr_assert_eq(list[pb_wcslen((const uint16_t *)list) + 1], 0, "one interface");
    ExFreePool(list);
    /* The init is gone once EvtDriverDeviceAdd returned. */
    WDFKEY key = (WDFKEY)(uintptr_t)0xdeadbeef;
    pnpbox_enter(kd_comp());
    cr_assert_eq(WdfFdoInitOpenRegistryKey(saved_init, PLUGPLAY_REGKEY_DEVICE, KEY_READ, NULL, &key),
                 STATUS_INVALID_PARAMETER);
    cr_assert_eq(key, (WDFKEY)(uintptr_t)0xdeadbeef);
    cr_assert(kd_log_has("is not a live WDFDEVICE_INIT"));
    WdfDeviceInitSetDeviceType(saved_init, FILE_DEVICE_DISK); /* logged, nothing happens */
    pnpbox_enter(NULL);
    int32_t st;
    cr_assert_eq(pnpbox_device_remove(kd_m, KD_INSTANCE, 0, &st), 0);
    cr_assert_eq(st, STATUS_SUCCESS);
    cr_assert_null(kd_wdm->DeviceObject, "the device object is gone");
}
