/*
 * test_lifecycle.c: the PnP manager with a WDM driver linked into the test:
 * DriverEntry -> AddDevice(PDO) -> IRP_MN_START_DEVICE -> QUERY_REMOVE /
 * REMOVE (and surprise removal) -> DriverUnload, components around driver
 * code, interface arrival after START, the leak and misuse checks, reboot.
 */
#include <ntddk.h>
#include <initguid.h>
#include <wdmguid.h>

#include "emu/pnp.h"
#include "pnpbox/pnpbox.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

DEFINE_GUID(GUID_TEST_IFACE, 0x11223344, 0x5566, 0x7788, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00);

static pnpbox_machine *m;

/* What the driver saw, for assertions. */
static struct {
    int entry, add, start, query_remove, surprise, remove, unload;
    const char *entry_comp, *add_comp, *start_comp;
    UNICODE_STRING link;
    int fail_start, no_delete, start_pending;
    NTSTATUS enable_status;
    PIRP pended;
} seen;

typedef struct {
    PDEVICE_OBJECT self, lower, pdo;
} EXT;

static NTSTATUS Dispatch(PDEVICE_OBJECT dev, PIRP irp)
{
    EXT *x = dev->DeviceExtension;
    PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);
    NTSTATUS st;
    switch (s->MinorFunction) {
    case IRP_MN_START_DEVICE:
        seen.start++;
        seen.start_comp = pnpbox_component_name(pnpbox_current_component());
        if (!IoForwardIrpSynchronously(x->lower, irp) || !NT_SUCCESS(irp->IoStatus.Status)) {
            st = irp->IoStatus.Status;
            IoCompleteRequest(irp, IO_NO_INCREMENT);
            return st;
        }
        if (seen.fail_start) {
            st = STATUS_DEVICE_CONFIGURATION_ERROR;
        } else {
            st = IoRegisterDeviceInterface(x->pdo, &GUID_TEST_IFACE, NULL, &seen.link);
            if (NT_SUCCESS(st))
                seen.enable_status = IoSetDeviceInterfaceState(&seen.link, TRUE);
            st = STATUS_SUCCESS;
        }
        irp->IoStatus.Status = st;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return st;
    case IRP_MN_QUERY_REMOVE_DEVICE:
        seen.query_remove++;
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(irp);
        return IoCallDriver(x->lower, irp);
    case IRP_MN_SURPRISE_REMOVAL:
        seen.surprise++;
        if (seen.link.Buffer)
            IoSetDeviceInterfaceState(&seen.link, FALSE);
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(irp);
        return IoCallDriver(x->lower, irp);
    case IRP_MN_REMOVE_DEVICE: {
        seen.remove++;
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(irp);
        st = IoCallDriver(x->lower, irp);
        if (seen.link.Buffer) {
            RtlFreeUnicodeString(&seen.link);
            seen.link.Buffer = NULL;
        }
        if (!seen.no_delete) {
            IoDetachDevice(x->lower);
            IoDeleteDevice(dev);
        }
        return st;
    }
    default:
        IoSkipCurrentIrpStackLocation(irp);
        return IoCallDriver(x->lower, irp);
    }
}

static NTSTATUS AddDevice(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo)
{
    seen.add++;
    seen.add_comp = pnpbox_component_name(pnpbox_current_component());
    PDEVICE_OBJECT fdo;
    NTSTATUS st = IoCreateDevice(drv, sizeof(EXT), NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);
    if (!NT_SUCCESS(st))
        return st;
    EXT *x = fdo->DeviceExtension;
    x->self = fdo;
    x->pdo = pdo;
    x->lower = IoAttachDeviceToDeviceStack(fdo, pdo);
    if (!x->lower) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static void Unload(PDRIVER_OBJECT drv)
{
    (void)drv;
    seen.unload++;
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT drv, PUNICODE_STRING regpath)
{
    seen.entry++;
    seen.entry_comp = pnpbox_component_name(pnpbox_current_component());
    cr_assert_not_null(regpath);
    char expect[] = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\lifedrv";
    cr_assert_eq(regpath->Length, (sizeof expect - 1) * 2);
    cr_assert_str_eq(t_u8((const uint16_t *)regpath->Buffer, regpath->Length / 2), expect);
    cr_assert_str_eq(t_u8((const uint16_t *)drv->DriverExtension->ServiceKeyName.Buffer,
                          drv->DriverExtension->ServiceKeyName.Length / 2),
                     "lifedrv");
    cr_assert_str_eq(t_u8((const uint16_t *)drv->DriverName.Buffer, drv->DriverName.Length / 2), "\\Driver\\lifedrv");
    drv->DriverExtension->AddDevice = AddDevice;
    drv->MajorFunction[IRP_MJ_PNP] = Dispatch;
    drv->DriverUnload = Unload;
    return STATUS_SUCCESS;
}

static void make_service(const char *name, uint32_t type)
{
    char rel[256];
    snprintf(rel, sizeof rel, "Services\\%s", name);
    regdb_key k;
    cr_assert_eq(emu_ccs_create(m, rel, 0, &k), 0);
    cr_assert_eq(regdb_set_dword(m->reg, k, (const uint16_t *)L"Type", type), 0);
    cr_assert_eq(regdb_set_dword(m->reg, k, (const uint16_t *)L"Start", 3), 0);
}

static void setup(void)
{
    memset(&seen, 0, sizeof seen);
    cr_assert_eq(pnpbox_machine_new(NULL, &m), 0);
    make_service("lifedrv", 1);
    cr_assert_eq(pnpbox_devnode_create(m, "ROOT\\LIFE\\0000", "Root\\Life;Root\\LifeCompat", "lifedrv",
                                       "{4d36e97d-e325-11ce-bfc1-08002be10318}"),
                 0);
    cr_assert_eq(pnpbox_driver_register(m, "lifedrv", (pnpbox_driver_entry_fn)DriverEntry), 0);
}

static void teardown(void) { pnpbox_machine_free(m); }

TestSuite(kpnp_lifecycle, .init = setup, .fini = teardown);

Test(kpnp_lifecycle, start_remove_unload_as_the_driver)
{
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_start(m, "ROOT\\LIFE\\0000", &st), 0, "%s", pnpbox_errmsg(m));
    cr_assert_eq(st, STATUS_SUCCESS);
    cr_assert_eq(seen.entry, 1);
    cr_assert_eq(seen.add, 1);
    cr_assert_eq(seen.start, 1);
    cr_assert_str_eq(seen.entry_comp, "lifedrv", "DriverEntry runs as the driver");
    cr_assert_str_eq(seen.add_comp, "lifedrv");
    cr_assert_str_eq(seen.start_comp, "lifedrv");
    cr_assert_eq(pnpbox_component_kind_of(pnpbox_current_component()), PNPBOX_COMP_HARNESS,
                 "the harness is current again afterwards");
    int started = -1;
    uint32_t problem = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_state(m, "root\\life\\0000", &started, &problem), 0);
    cr_assert_eq(started, 1);
    cr_assert_eq(problem, 0);
    cr_assert_eq(seen.enable_status, STATUS_SUCCESS);
    /* A second start is a no-op. */
    cr_assert_eq(pnpbox_device_start(m, "ROOT\\LIFE\\0000", &st), 0);
    cr_assert_eq(seen.start, 1);

    cr_assert_eq(pnpbox_device_remove(m, "ROOT\\LIFE\\0000", 0, &st), 0);
    cr_assert_eq(st, STATUS_SUCCESS);
    cr_assert_eq(seen.query_remove, 1);
    cr_assert_eq(seen.remove, 1);
    cr_assert_eq(seen.surprise, 0);
    cr_assert_eq(pnpbox_device_state(m, "ROOT\\LIFE\\0000", &started, &problem), 0);
    cr_assert_eq(started, 0);
    cr_assert_eq(pnpbox_driver_unload(m, "lifedrv", &st), 0, "%s", pnpbox_errmsg(m));
    cr_assert_eq(st, STATUS_SUCCESS);
    cr_assert_eq(seen.unload, 1);
    for (size_t i = 0; i < pnpbox_log_count(m); i++)
        cr_assert_null(strstr(pnpbox_log_get(m, i), "error"), "%s", pnpbox_log_get(m, i));
}

Test(kpnp_lifecycle, surprise_removal)
{
    int32_t st;
    cr_assert_eq(pnpbox_device_start(m, "ROOT\\LIFE\\0000", &st), 0);
    cr_assert_eq(pnpbox_device_remove(m, "ROOT\\LIFE\\0000", 1, &st), 0);
    cr_assert_eq(seen.surprise, 1);
    cr_assert_eq(seen.query_remove, 0);
    cr_assert_eq(seen.remove, 1);
}

Test(kpnp_lifecycle, failed_start_is_reported_and_torn_down)
{
    seen.fail_start = 1;
    int32_t st = 0;
    cr_assert_eq(pnpbox_device_start(m, "ROOT\\LIFE\\0000", &st), 0);
    cr_assert_eq(st, STATUS_DEVICE_CONFIGURATION_ERROR);
    int started;
    uint32_t problem;
    cr_assert_eq(pnpbox_device_state(m, "ROOT\\LIFE\\0000", &started, &problem), 0);
    cr_assert_eq(started, 0);
    cr_assert_eq(problem, 10, "CM_PROB_FAILED_START");
    cr_assert_eq(seen.remove, 1, "a failed start is followed by REMOVE");
}

Test(kpnp_lifecycle, missing_pieces_are_clear_errors)
{
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_start(m, "ROOT\\NOPE\\0000", &st), -ENOENT);
    cr_assert_eq(st, (int32_t)0xdeadbeef);
    cr_assert(strstr(pnpbox_errmsg(m), "ROOT\\NOPE\\0000"), "%s", pnpbox_errmsg(m));
    cr_assert_eq(pnpbox_driver_unload(m, "lifedrv", &st), -ENOENT, "not loaded");
    cr_assert_eq(pnpbox_device_remove(m, "ROOT\\LIFE\\0000", 0, &st), -ENOENT, "not started");
    cr_assert_eq(pnpbox_devnode_create(m, "ROOT\\BAD", "x", NULL, NULL), -EINVAL);
    cr_assert_eq(pnpbox_devnode_create(m, "A\\B\\C\\D", "x", NULL, NULL), -EINVAL);
    /* A device whose driver has no code registered. */
    make_service("nocode", 1);
    cr_assert_eq(pnpbox_devnode_create(m, "ROOT\\NOCODE\\0000", "Root\\NoCode", "nocode", NULL), 0);
    cr_assert_eq(pnpbox_device_start(m, "ROOT\\NOCODE\\0000", &st), 0);
    cr_assert_eq(st, STATUS_DRIVER_UNABLE_TO_LOAD);
    cr_assert(strstr(pnpbox_errmsg(m), "nocode"), "%s", pnpbox_errmsg(m));
    /* Registering code for a loaded driver is refused. */
    cr_assert_eq(pnpbox_device_start(m, "ROOT\\LIFE\\0000", &st), 0);
    cr_assert_eq(pnpbox_driver_register(m, "lifedrv", (pnpbox_driver_entry_fn)DriverEntry), -EBUSY);
    cr_assert_eq(pnpbox_driver_unload(m, "lifedrv", &st), -EBUSY, "its device is still started");
}

Test(kpnp_lifecycle, leftover_device_objects_are_reported)
{
    seen.no_delete = 1;
    int32_t st;
    cr_assert_eq(pnpbox_device_start(m, "ROOT\\LIFE\\0000", &st), 0);
    cr_assert_eq(pnpbox_device_remove(m, "ROOT\\LIFE\\0000", 0, &st), 0);
    cr_assert_eq(pnpbox_driver_unload(m, "lifedrv", &st), 0);
    int found_attached = 0, found_undeleted = 0;
    for (size_t i = 0; i < pnpbox_log_count(m); i++) {
        const char *l = pnpbox_log_get(m, i);
        found_attached |= strstr(l, "still attached to the PDO") != NULL;
        found_undeleted |= strstr(l, "device object(s) not deleted") != NULL;
    }
    cr_assert(found_attached);
    cr_assert(found_undeleted);
}

Test(kpnp_lifecycle, reboot_restarts_devices)
{
    int32_t st;
    cr_assert_eq(pnpbox_device_start(m, "ROOT\\LIFE\\0000", &st), 0);
    cr_assert_eq(pnpbox_reboot(m), 0);
    cr_assert_eq(seen.remove, 1, "stopped before the reboot");
    cr_assert_eq(seen.unload, 1);
    cr_assert_eq(seen.entry, 2, "loaded again after");
    cr_assert_eq(seen.start, 2);
    int started;
    cr_assert_eq(pnpbox_device_state(m, "ROOT\\LIFE\\0000", &started, NULL), 0);
    cr_assert_eq(started, 1);
}

/* ---- IRP mechanics ---- */

static int routine_calls;
static NTSTATUS count_routine(PDEVICE_OBJECT dev, PIRP irp, PVOID ctx)
{
    (void)dev;
    (void)ctx;
    routine_calls++;
    if (irp->PendingReturned)
        IoMarkIrpPending(irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

Test(kpnp_lifecycle, irp_completion_walk)
{
    int32_t st;
    cr_assert_eq(pnpbox_device_start(m, "ROOT\\LIFE\\0000", &st), 0);
    emu_devnode *dn = emu_devnode_find(m, "ROOT\\LIFE\\0000");
    cr_assert_not_null(dn);
    PDEVICE_OBJECT top = IoGetAttachedDeviceReference(dn->pdo);
    cr_assert_eq(top->StackSize, 2, "FDO above the PDO");
    PIRP irp = IoAllocateIrp((CCHAR)(top->StackSize + 1), FALSE);
    cr_assert_not_null(irp);
    cr_assert_eq(irp->StackCount, 3);
    cr_assert_eq(irp->CurrentLocation, 4);
    irp->CurrentLocation--;
    irp->Tail.Overlay.CurrentStackLocation--;
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    PIO_STACK_LOCATION s = IoGetNextIrpStackLocation(irp);
    s->MajorFunction = IRP_MJ_PNP;
    s->MinorFunction = IRP_MN_QUERY_ID;
    s->Parameters.QueryId.IdType = BusQueryHardwareIDs;
    IoSetCompletionRoutine(irp, count_routine, NULL, TRUE, TRUE, TRUE);
    IoCallDriver(top, irp);
    cr_assert_eq(routine_calls, 1);
    cr_assert_eq(irp->IoStatus.Status, STATUS_SUCCESS, "the bus answered the hardware IDs");
    const wchar_t *ids = (const wchar_t *)irp->IoStatus.Information;
    cr_assert_str_eq(t_u8((const uint16_t *)ids, 9), "Root\\Life");
    cr_assert_str_eq(t_u8((const uint16_t *)ids + 10, 15), "Root\\LifeCompat");
    ExFreePool((PVOID)irp->IoStatus.Information);
    /* A minor code the bus does not handle keeps STATUS_NOT_SUPPORTED. */
    IoReuseIrp(irp, STATUS_NOT_SUPPORTED);
    irp->CurrentLocation--;
    irp->Tail.Overlay.CurrentStackLocation--;
    s = IoGetNextIrpStackLocation(irp);
    s->MajorFunction = IRP_MJ_PNP;
    s->MinorFunction = IRP_MN_QUERY_BUS_INFORMATION;
    IoSetCompletionRoutine(irp, count_routine, NULL, TRUE, TRUE, TRUE);
    IoCallDriver(top, irp);
    cr_assert_eq(irp->IoStatus.Status, STATUS_NOT_SUPPORTED);
    IoFreeIrp(irp);
    ObDereferenceObject(top);
    /* No stack location left: a logged bug check, not a crash. */
    PIRP small = IoAllocateIrp(1, FALSE);
    small->CurrentLocation--;
    small->Tail.Overlay.CurrentStackLocation--;
    cr_assert_eq(IoCallDriver(dn->pdo, small), STATUS_INVALID_PARAMETER);
    IoFreeIrp(small);
    cr_assert_null(IoAllocateIrp(0, FALSE));
}

Test(kpnp_lifecycle, device_properties_from_the_enum_key)
{
    int32_t st;
    cr_assert_eq(pnpbox_device_start(m, "ROOT\\LIFE\\0000", &st), 0);
    emu_devnode *dn = emu_devnode_find(m, "ROOT\\LIFE\\0000");
    WCHAR buf[64];
    ULONG len = 0xdeadbeef;
    cr_assert_eq(IoGetDeviceProperty(dn->pdo, DevicePropertyHardwareID, 4, buf, &len), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(len, (9 + 1 + 15 + 1 + 1) * 2);
    cr_assert_eq(IoGetDeviceProperty(dn->pdo, DevicePropertyHardwareID, sizeof buf, buf, &len), STATUS_SUCCESS);
    cr_assert_str_eq(t_u8((const uint16_t *)buf, 9), "Root\\Life");
    cr_assert_eq(IoGetDeviceProperty(dn->pdo, DevicePropertyEnumeratorName, sizeof buf, buf, &len), STATUS_SUCCESS);
    cr_assert_str_eq(t_u8((const uint16_t *)buf, 4), "ROOT");
    cr_assert_eq(len, 10);
    cr_assert_eq(IoGetDeviceProperty(dn->pdo, DevicePropertyFriendlyName, sizeof buf, buf, &len),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    PDEVICE_OBJECT fdo = dn->pdo->AttachedDevice;
    cr_assert_eq(IoGetDeviceProperty(fdo, DevicePropertyHardwareID, sizeof buf, buf, &len),
                 STATUS_INVALID_DEVICE_REQUEST, "only PDOs have properties");
}
