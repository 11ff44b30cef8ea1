/*
 * drv_iface.c: the WDM driver of the cfgmgr32 suites (see drv_iface.h):
 * AddDevice attaches an FDO; START registers and enables an interface,
 * writes a value into its device-interface key and opens its device state
 * directory; REMOVE tears down.
 */
#include <ntddk.h>

#include "emu/emu.h"
#include "tests/um/drv_iface.h"

#include <criterion/criterion.h>
#include <string.h>

drv_iface_seen drv_seen;

static const GUID iface_class = DRV_IFACE_GUID_INIT;

typedef struct EXT {
    PDEVICE_OBJECT lower, pdo;
    UNICODE_STRING link;
} EXT;

static NTSTATUS start(EXT *x)
{
    NTSTATUS st = IoRegisterDeviceInterface(x->pdo, &iface_class, NULL, &x->link);
    if (!NT_SUCCESS(st))
        return st;
    HANDLE h;
    st = IoOpenDeviceInterfaceRegistryKey(&x->link, KEY_ALL_ACCESS, &h);
    if (NT_SUCCESS(st)) {
        UNICODE_STRING name;
        RtlInitUnicodeString(&name, L"Calibration");
        ULONG v = 7;
        st = ZwSetValueKey(h, &name, 0, REG_DWORD, &v, sizeof v);
        ZwClose(h);
    }
    drv_seen.reg_status = (unsigned)st;
    /* The device's state directory: its name becomes the devnode's StateDirectoryId. */
    HANDLE dir;
    st = IoGetDeviceDirectory(x->pdo, DeviceDirectoryData, 0, NULL, &dir);
    if (NT_SUCCESS(st))
        ZwClose(dir);
    drv_seen.dir_status = (unsigned)st;
    return IoSetDeviceInterfaceState(&x->link, TRUE);
}

static NTSTATUS Dispatch(PDEVICE_OBJECT dev, PIRP irp)
{
    EXT *x = dev->DeviceExtension;
    PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);
    NTSTATUS st;
    switch (s->MinorFunction) {
    case IRP_MN_START_DEVICE:
        drv_seen.start++;
        drv_seen.start_comp = pnpbox_component_name(pnpbox_current_component());
        if (!IoForwardIrpSynchronously(x->lower, irp) || !NT_SUCCESS(irp->IoStatus.Status)) {
            st = irp->IoStatus.Status;
            IoCompleteRequest(irp, IO_NO_INCREMENT);
            return st;
        }
        st = drv_seen.fail_start ? STATUS_DEVICE_CONFIGURATION_ERROR : start(x);
        irp->IoStatus.Status = st;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return st;
    case IRP_MN_REMOVE_DEVICE:
        drv_seen.remove++;
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(irp);
        st = IoCallDriver(x->lower, irp);
        if (x->link.Buffer)
            RtlFreeUnicodeString(&x->link);
        IoDetachDevice(x->lower);
        IoDeleteDevice(dev);
        return st;
    default:
        if (s->MinorFunction == IRP_MN_QUERY_REMOVE_DEVICE || s->MinorFunction == IRP_MN_SURPRISE_REMOVAL)
            irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(irp);
        return IoCallDriver(x->lower, irp);
    }
}

static NTSTATUS AddDevice(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo)
{
    PDEVICE_OBJECT fdo;
    NTSTATUS st = IoCreateDevice(drv, sizeof(EXT), NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);
    if (!NT_SUCCESS(st))
        return st;
    EXT *x = fdo->DeviceExtension;
    memset(x, 0, sizeof *x);
    x->pdo = pdo;
    x->lower = IoAttachDeviceToDeviceStack(fdo, pdo);
    if (!x->lower) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static void Unload(PDRIVER_OBJECT drv) { (void)drv; }

static NTSTATUS DriverEntry(PDRIVER_OBJECT drv, PUNICODE_STRING regpath)
{
    (void)regpath;
    drv->DriverExtension->AddDevice = AddDevice;
    drv->MajorFunction[IRP_MJ_PNP] = Dispatch;
    drv->DriverUnload = Unload;
    return STATUS_SUCCESS;
}

void drv_iface_install(pnpbox_machine *m)
{
    memset(&drv_seen, 0, sizeof drv_seen);
    regdb_key k;
    cr_assert_eq(emu_ccs_create(m, "Services\\ifdrv", 0, &k), 0);
    cr_assert_eq(regdb_set_dword(m->reg, k, (const uint16_t *)L"Type", 1), 0);
    cr_assert_eq(regdb_set_dword(m->reg, k, (const uint16_t *)L"Start", 3), 0);
    cr_assert_eq(pnpbox_driver_register(m, "ifdrv", (pnpbox_driver_entry_fn)DriverEntry), 0);
}

void drv_iface_add_device(pnpbox_machine *m, const char *instance)
{
    cr_assert_eq(pnpbox_devnode_create(m, instance, "Root\\IfDev", "ifdrv", DRV_IFACE_DEVCLASS), 0, "%s",
                 pnpbox_errmsg(m));
}
