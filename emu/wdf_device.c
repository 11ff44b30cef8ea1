/*
 * wdf_device.c: the framework device object of a function or filter
 * driver on pnpbox's PnP manager: the framework's AddDevice (a
 * WDFDEVICE_INIT for EvtDriverDeviceAdd), WdfDeviceCreate (IoCreateDevice
 * + IoAttachDeviceToDeviceStack), the framework's dispatch routine with the
 * PnP state handling that calls the driver's PnP and power callbacks,
 * device interfaces, and the device's accessors.
 *
 * Sequences (the WDF "PnP and power management scenarios" pages and the
 * framework's PnP state machine: PnpEventRemovingDisableInterfaces calls
 * PnpReleaseHardware, then PnpCleanupForRemove disables the interfaces and
 * flushes self-managed I/O):
 *   IRP_MN_START_DEVICE: the IRP goes down the stack first; then
 *     EvtDevicePrepareHardware, EvtDeviceD0Entry(WdfPowerDeviceD3Final),
 *     EvtDeviceD0EntryPostInterruptsEnabled, EvtDeviceSelfManagedIoInit,
 *     and the interfaces created so far are enabled (their arrival is
 *     delivered once START completes).  A failing callback fails the
 *     start: PrepareHardware failing is followed by ReleaseHardware
 *     (documented), D0Entry failing by ReleaseHardware without D0Exit
 *     (documented), a later failure by D0Exit and ReleaseHardware.
 *   IRP_MN_QUERY_REMOVE_DEVICE: EvtDeviceQueryRemove may veto.
 *   IRP_MN_SURPRISE_REMOVAL: EvtDeviceSurpriseRemoval first (documented),
 *     then the power-down below.
 *   IRP_MN_REMOVE_DEVICE: (if still started) EvtDeviceSelfManagedIoSuspend,
 *     EvtDeviceD0ExitPreInterruptsDisabled, EvtDeviceD0Exit(WdfPowerDeviceD3Final),
 *     EvtDeviceReleaseHardware, interfaces disabled, EvtDeviceSelfManagedIoFlush;
 *     then EvtDeviceSelfManagedIoCleanup, the IRP goes down, the device is
 *     detached, the WDFDEVICE is deleted (EvtCleanupCallback of its children,
 *     then its own; EvtDestroyCallback), and the WDM device object deleted.
 * Other IRPs: a function driver completes IRP_MJ_CREATE / CLOSE / CLEANUP
 * with success (no file-object callbacks) and anything it has no queue for
 * with STATUS_INVALID_DEVICE_REQUEST; PnP, power and WMI IRPs and, for a
 * filter, everything else go down the stack.
 */
#include "emu/wdf_int.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

static wdf_device *device_of(PDEVICE_OBJECT dev)
{
    if (!emu_devobj_of(dev) || !dev->DeviceExtension)
        return NULL;
    wdf_device *d = *(wdf_device **)dev->DeviceExtension;
    if (!wdf_live_has(d) || d->o.type != WDF_OT_DEVICE || d->fdo != dev)
        return NULL;
    return d;
}

static int same_ref(const UNICODE_STRING *a, PCUNICODE_STRING b)
{
    USHORT al = a->Buffer ? a->Length : 0, bl = b ? b->Length : 0;
    return al == bl && (!al || !memcmp(a->Buffer, b->Buffer, al));
}

static wdf_iface *find_iface(wdf_device *d, const GUID *cls, PCUNICODE_STRING ref)
{
    for (wdf_iface *i = d->ifaces; i; i = i->next)
        if (IsEqualGUID(&i->cls, cls) && same_ref(&i->ref, ref))
            return i;
    return NULL;
}

static void set_iface(wdf_iface *i, BOOLEAN on)
{
    if (!i->link.Buffer)
        return;
    NTSTATUS st = IoSetDeviceInterfaceState(&i->link, on);
    if (st == STATUS_SUCCESS)
        i->on = on;
}

/* The device's teardown once deletion starts: the interface names go (the interfaces are disabled by then). */
static void device_dispose(wdf_obj *o, int quiet)
{
    wdf_device *d = (wdf_device *)o;
    for (wdf_iface *i = d->ifaces; i; i = i->next) {
        if (!quiet && i->on)
            set_iface(i, FALSE);
        /* In quiet mode the pool block goes with the machine. */
        if (!quiet && i->link.Buffer)
            RtlFreeUnicodeString(&i->link);
        i->link.Buffer = NULL;
    }
}

static void device_fin(wdf_obj *o)
{
    wdf_device *d = (wdf_device *)o;
    for (wdf_iface *i = d->ifaces, *nx; i; i = nx) {
        nx = i->next;
        free(i->ref.Buffer);
        free(i);
    }
    d->ifaces = NULL;
}

/* ---------------------------------------------------------------- AddDevice and WDFDEVICE_INIT */

/* Delete a device created in EvtDriverDeviceAdd or WdfDeviceCreate that cannot stay. */
static void device_destroy(wdf_device *d)
{
    PDEVICE_OBJECT fdo = d->fdo, lower = d->lower;
    if (lower)
        IoDetachDevice(lower);
    d->lower = NULL;
    d->o.no_delete_ddi = 0;
    wdf_obj_delete(&d->o, 0);
    IoDeleteDevice(fdo);
}

NTSTATUS wdf_add_device(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject)
{
    wdf_driver *drv = wdf_driver_of(DriverObject);
    if (!drv)
        return STATUS_UNSUCCESSFUL; /* FxDriver::AddDevice without a framework driver */
    pnpbox_machine *m = drv->o.m;
    emu_lock(m);
    NTSTATUS st;
    PWDFDEVICE_INIT init = calloc(1, sizeof *init);
    if (!init || wdf_live_add(init) < 0) {
        free(init);
        st = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    init->magic = WDF_INIT_MAGIC;
    init->drv = drv;
    init->pdo = PhysicalDeviceObject;
    init->devtype = FILE_DEVICE_UNKNOWN;
    init->characteristics = FILE_DEVICE_SECURE_OPEN;
    /* FxDriverDeviceAdd::Invoke: STATUS_UNSUCCESSFUL without a callback. */
    st = STATUS_UNSUCCESSFUL;
    if (drv->config.EvtDriverDeviceAdd)
        WDF_AS(&drv->o, st = drv->config.EvtDriverDeviceAdd((WDFDRIVER)drv, init));
    wdf_device *d = init->created;
    int filter = init->filter;
    wdf_live_del(init);
    init->magic = 0;
    free(init);
    if (!d) {
        /* No device: fine for a filter that does not attach; a filter's error becomes success. */
        emu_log(m, "pnpbox: %s: EvtDriverDeviceAdd returned %s without creating a WDFDEVICE", drv->ed->service,
                emu_status_name(st));
        if (filter && !NT_SUCCESS(st))
            st = STATUS_SUCCESS;
        goto out;
    }
    if (NT_SUCCESS(st))
        d->fdo->Flags &= ~DO_DEVICE_INITIALIZING; /* FxDevice::FinishInitializing */
    else
        device_destroy(d);
out:
    emu_unlock(m);
    return st;
}

VOID WdfDeviceInitSetPnpPowerEventCallbacks(PWDFDEVICE_INIT DeviceInit,
                                            PWDF_PNPPOWER_EVENT_CALLBACKS PnpPowerEventCallbacks)
{
    static const char api[] = "WdfDeviceInitSetPnpPowerEventCallbacks";
    PWDFDEVICE_INIT init = wdf_init_handle(DeviceInit, api);
    if (!init)
        return;
    if (!PnpPowerEventCallbacks) {
        wdf_bugcheck(init->drv->o.m, api, "a NULL PnpPowerEventCallbacks");
        return;
    }
    const WDF_PNPPOWER_EVENT_CALLBACKS *c = PnpPowerEventCallbacks;
    if (c->Size != sizeof(WDF_PNPPOWER_EVENT_CALLBACKS)) {
        emu_log(init->drv->o.m,
                "pnpbox: %s: %s: PnpPowerEventCallbacks->Size is %u, expected %u: ignored "
                "(use WDF_PNPPOWER_EVENT_CALLBACKS_INIT)",
                init->drv->ed->service, api, (unsigned)c->Size, (unsigned)sizeof *c);
        return;
    }
    /* Non-NULL callbacks are taken one by one, so two calls combine. */
    WDF_PNPPOWER_EVENT_CALLBACKS *t = &init->cb;
#define TAKE(f)                                                                                    \
    if (c->f)                                                                                      \
    t->f = c->f
    TAKE(EvtDeviceD0Entry);
    TAKE(EvtDeviceD0EntryPostInterruptsEnabled);
    TAKE(EvtDeviceD0Exit);
    TAKE(EvtDeviceD0ExitPreInterruptsDisabled);
    TAKE(EvtDevicePrepareHardware);
    TAKE(EvtDeviceReleaseHardware);
    TAKE(EvtDeviceSelfManagedIoCleanup);
    TAKE(EvtDeviceSelfManagedIoFlush);
    TAKE(EvtDeviceSelfManagedIoInit);
    TAKE(EvtDeviceSelfManagedIoSuspend);
    TAKE(EvtDeviceSelfManagedIoRestart);
    TAKE(EvtDeviceSurpriseRemoval);
    TAKE(EvtDeviceQueryRemove);
    TAKE(EvtDeviceQueryStop);
    TAKE(EvtDeviceUsageNotification);
    TAKE(EvtDeviceRelationsQuery);
    TAKE(EvtDeviceUsageNotificationEx);
#undef TAKE
    t->Size = sizeof *t;
}

VOID WdfDeviceInitSetDeviceType(PWDFDEVICE_INIT DeviceInit, DEVICE_TYPE DeviceType)
{
    PWDFDEVICE_INIT init = wdf_init_handle(DeviceInit, "WdfDeviceInitSetDeviceType");
    if (init)
        init->devtype = DeviceType;
}

VOID WdfDeviceInitSetCharacteristics(PWDFDEVICE_INIT DeviceInit, ULONG DeviceCharacteristics, BOOLEAN OrInValues)
{
    PWDFDEVICE_INIT init = wdf_init_handle(DeviceInit, "WdfDeviceInitSetCharacteristics");
    if (!init)
        return;
    if (OrInValues)
        init->characteristics |= DeviceCharacteristics;
    else
        init->characteristics = DeviceCharacteristics;
}

VOID WdfFdoInitSetFilter(PWDFDEVICE_INIT DeviceInit)
{
    PWDFDEVICE_INIT init = wdf_init_handle(DeviceInit, "WdfFdoInitSetFilter");
    if (init)
        init->filter = 1;
}

NTSTATUS WdfDeviceCreate(PWDFDEVICE_INIT *DeviceInit, PWDF_OBJECT_ATTRIBUTES DeviceAttributes, WDFDEVICE *Device)
{
    static const char api[] = "WdfDeviceCreate";
    if (!DeviceInit || !*DeviceInit || !Device) {
        wdf_bugcheck(NULL, api, "a NULL %s", !DeviceInit ? "DeviceInit" : !*DeviceInit ? "*DeviceInit" : "Device");
        return STATUS_INVALID_PARAMETER;
    }
    PWDFDEVICE_INIT init = wdf_init_handle(*DeviceInit, api);
    if (!init)
        return STATUS_INVALID_HANDLE;
    wdf_driver *drv = init->drv;
    pnpbox_machine *m = drv->o.m;
    emu_lock(m);
    *Device = NULL;
    NTSTATUS st = wdf_validate_attributes(DeviceAttributes, WDF_VAL_PARENT_NOT_ALLOWED | WDF_VAL_EXEC_LEVEL_ALLOWED |
                                                                 WDF_VAL_SYNC_SCOPE_ALLOWED);
    if (st != STATUS_SUCCESS)
        goto out;
    if (init->created) {
        st = STATUS_INVALID_DEVICE_STATE;
        goto out;
    }
    wdf_obj *o;
    if ((st = wdf_obj_create(m, api, drv, WDF_OT_DEVICE, sizeof(wdf_device), DeviceAttributes, &drv->o, &o)) !=
        STATUS_SUCCESS)
        goto out;
    wdf_device *d = (wdf_device *)o;
    o->dispose = device_dispose;
    o->fin = device_fin;
    PDEVICE_OBJECT fdo;
    WDF_AS(o, st = IoCreateDevice(drv->wdm, sizeof(wdf_device *), NULL, init->devtype, init->characteristics, FALSE,
                                  &fdo));
    if (!NT_SUCCESS(st)) {
        wdf_obj_discard(o);
        goto out;
    }
    *(wdf_device **)fdo->DeviceExtension = d;
    PDEVICE_OBJECT lower;
    WDF_AS(o, lower = IoAttachDeviceToDeviceStack(fdo, init->pdo));
    if (!lower) {
        WDF_AS(o, IoDeleteDevice(fdo));
        wdf_obj_discard(o);
        st = STATUS_NO_SUCH_DEVICE;
        goto out;
    }
    fdo->Flags |= DO_POWER_PAGABLE;
    d->fdo = fdo;
    d->lower = lower;
    d->pdo = init->pdo;
    d->cb = init->cb;
    d->filter = init->filter;
    o->no_delete_ddi = 1; /* a PnP device goes with IRP_MN_REMOVE_DEVICE, never WdfObjectDelete */
    init->created = d;
    *DeviceInit = NULL;
    *Device = (WDFDEVICE)d;
out:
    emu_unlock(m);
    return st;
}

/* ---------------------------------------------------------------- the PnP state handling */

static wdf_obj *new_reslist(wdf_device *d)
{
    wdf_obj *o = NULL;
    if (wdf_obj_create(d->o.m, "WdfCmResourceListCreate", d->o.drv, WDF_OT_RESLIST, sizeof(wdf_obj), NULL, &d->o,
                       &o) != STATUS_SUCCESS)
        return NULL;
    return o;
}

static void release_hw(wdf_device *d)
{
    WDFDEVICE h = (WDFDEVICE)d;
    if (d->cb.EvtDeviceReleaseHardware) {
        NTSTATUS st = d->cb.EvtDeviceReleaseHardware(h, (WDFCMRESLIST)d->res_trans);
        if (!NT_SUCCESS(st))
            emu_log(d->o.m, "pnpbox: %s: EvtDeviceReleaseHardware failed with %s", d->o.drv->ed->service,
                    emu_status_name(st));
    }
    if (d->res_raw)
        wdf_obj_delete(d->res_raw, 0);
    if (d->res_trans)
        wdf_obj_delete(d->res_trans, 0);
    d->res_raw = d->res_trans = NULL;
}

static void d0_exit(wdf_device *d)
{
    WDFDEVICE h = (WDFDEVICE)d;
    if (d->cb.EvtDeviceD0ExitPreInterruptsDisabled)
        d->cb.EvtDeviceD0ExitPreInterruptsDisabled(h, WdfPowerDeviceD3Final);
    if (d->cb.EvtDeviceD0Exit)
        d->cb.EvtDeviceD0Exit(h, WdfPowerDeviceD3Final);
}

static NTSTATUS start_hw(wdf_device *d)
{
    WDFDEVICE h = (WDFDEVICE)d;
    NTSTATUS st = STATUS_SUCCESS;
    d->res_raw = new_reslist(d);
    d->res_trans = new_reslist(d);
    if (!d->res_raw || !d->res_trans) {
        release_hw(d);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (d->cb.EvtDevicePrepareHardware &&
        !NT_SUCCESS(st = d->cb.EvtDevicePrepareHardware(h, (WDFCMRESLIST)d->res_raw, (WDFCMRESLIST)d->res_trans))) {
        release_hw(d);
        return st;
    }
    if (d->cb.EvtDeviceD0Entry && !NT_SUCCESS(st = d->cb.EvtDeviceD0Entry(h, WdfPowerDeviceD3Final))) {
        release_hw(d); /* no D0Exit after a failed D0Entry (documented) */
        return st;
    }
    if (d->cb.EvtDeviceD0EntryPostInterruptsEnabled &&
        !NT_SUCCESS(st = d->cb.EvtDeviceD0EntryPostInterruptsEnabled(h, WdfPowerDeviceD3Final))) {
        if (d->cb.EvtDeviceD0Exit)
            d->cb.EvtDeviceD0Exit(h, WdfPowerDeviceD3Final);
        release_hw(d);
        return st;
    }
    if (d->cb.EvtDeviceSelfManagedIoInit && !d->smio_init) {
        if (!NT_SUCCESS(st = d->cb.EvtDeviceSelfManagedIoInit(h))) {
            d0_exit(d);
            release_hw(d);
            return st;
        }
        d->smio_init = 1;
    }
    for (wdf_iface *i = d->ifaces; i; i = i->next)
        if (i->auto_enable && !i->on)
            set_iface(i, TRUE);
    return STATUS_SUCCESS;
}

/* From the working state to released hardware (removal, surprise removal). */
static void stop_hw(wdf_device *d)
{
    WDFDEVICE h = (WDFDEVICE)d;
    if (d->smio_init && d->cb.EvtDeviceSelfManagedIoSuspend)
        d->cb.EvtDeviceSelfManagedIoSuspend(h);
    d0_exit(d);
    release_hw(d);
    for (wdf_iface *i = d->ifaces; i; i = i->next)
        if (i->on)
            set_iface(i, FALSE);
    if (d->smio_init && d->cb.EvtDeviceSelfManagedIoFlush)
        d->cb.EvtDeviceSelfManagedIoFlush(h);
}

static NTSTATUS pass_down(wdf_device *d, PIRP irp)
{
    IoSkipCurrentIrpStackLocation(irp);
    return IoCallDriver(d->lower, irp);
}

static NTSTATUS complete(PIRP irp, NTSTATUS st)
{
    irp->IoStatus.Status = st;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return st;
}

static NTSTATUS pnp(wdf_device *d, PIRP irp, PIO_STACK_LOCATION s)
{
    WDFDEVICE h = (WDFDEVICE)d;
    NTSTATUS st;
    switch (s->MinorFunction) {
    case IRP_MN_START_DEVICE:
        /* The bus below starts first. */
        if (!IoForwardIrpSynchronously(d->lower, irp))
            return complete(irp, STATUS_UNSUCCESSFUL);
        st = irp->IoStatus.Status;
        if (NT_SUCCESS(st) && d->state == WDF_DEV_ADDED) {
            d->starting = 1;
            st = start_hw(d);
            d->starting = 0;
            d->state = NT_SUCCESS(st) ? WDF_DEV_STARTED : WDF_DEV_FAILED;
            if (!NT_SUCCESS(st))
                emu_log(d->o.m, "pnpbox: %s: the framework fails IRP_MN_START_DEVICE with %s (a PnP/power callback "
                                "failed)",
                        d->o.drv->ed->service, emu_status_name(st));
        } else if (NT_SUCCESS(st) && d->state != WDF_DEV_STARTED) {
            st = STATUS_INVALID_DEVICE_STATE;
        }
        return complete(irp, st);
    case IRP_MN_QUERY_REMOVE_DEVICE:
        if (d->cb.EvtDeviceQueryRemove && !NT_SUCCESS(st = d->cb.EvtDeviceQueryRemove(h)))
            return complete(irp, st);
        irp->IoStatus.Status = STATUS_SUCCESS;
        return pass_down(d, irp);
    case IRP_MN_CANCEL_REMOVE_DEVICE:
        irp->IoStatus.Status = STATUS_SUCCESS;
        return pass_down(d, irp);
    case IRP_MN_SURPRISE_REMOVAL:
        if (d->cb.EvtDeviceSurpriseRemoval)
            d->cb.EvtDeviceSurpriseRemoval(h);
        if (d->state == WDF_DEV_STARTED)
            stop_hw(d);
        d->state = WDF_DEV_SURPRISE;
        irp->IoStatus.Status = STATUS_SUCCESS;
        return pass_down(d, irp);
    case IRP_MN_REMOVE_DEVICE: {
        if (d->state == WDF_DEV_STARTED)
            stop_hw(d);
        if (d->smio_init && d->cb.EvtDeviceSelfManagedIoCleanup)
            d->cb.EvtDeviceSelfManagedIoCleanup(h);
        d->smio_init = 0;
        d->state = WDF_DEV_REMOVED;
        irp->IoStatus.Status = STATUS_SUCCESS;
        st = pass_down(d, irp);
        device_destroy(d);
        return st;
    }
    default:
        return pass_down(d, irp);
    }
}

NTSTATUS wdf_dispatch(PDEVICE_OBJECT dev, PIRP irp)
{
    wdf_device *d = device_of(dev);
    if (!d) {
        /* A device object the framework did not create (or already deleted). */
        irp->IoStatus.Information = 0;
        return complete(irp, STATUS_INVALID_DEVICE_REQUEST);
    }
    pnpbox_machine *m = d->o.m;
    emu_lock(m);
    NTSTATUS st;
    PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);
    switch (s->MajorFunction) {
    case IRP_MJ_PNP:
        st = pnp(d, irp, s);
        break;
    case IRP_MJ_POWER:
    case IRP_MJ_SYSTEM_CONTROL:
        st = pass_down(d, irp);
        break;
    case IRP_MJ_CREATE:
    case IRP_MJ_CLOSE:
    case IRP_MJ_CLEANUP:
        if (d->filter) {
            st = pass_down(d, irp);
        } else {
            irp->IoStatus.Information = 0;
            st = complete(irp, STATUS_SUCCESS);
        }
        break;
    default:
        if (d->filter) {
            st = pass_down(d, irp);
        } else {
            irp->IoStatus.Information = 0;
            st = complete(irp, STATUS_INVALID_DEVICE_REQUEST);
        }
        break;
    }
    emu_unlock(m);
    return st;
}

/* ---------------------------------------------------------------- interfaces */

NTSTATUS WdfDeviceCreateDeviceInterface(WDFDEVICE Device, CONST GUID *InterfaceClassGUID,
                                        PCUNICODE_STRING ReferenceString)
{
    static const char api[] = "WdfDeviceCreateDeviceInterface";
    wdf_device *d = (wdf_device *)wdf_handle(Device, WDF_OT_DEVICE, api);
    if (!d)
        return STATUS_INVALID_HANDLE;
    pnpbox_machine *m = d->o.m;
    if (!InterfaceClassGUID) {
        wdf_bugcheck(m, api, "a NULL InterfaceClassGUID");
        return STATUS_INVALID_PARAMETER;
    }
    emu_lock(m);
    NTSTATUS st;
    if (ReferenceString && (st = wdf_validate_ustr(ReferenceString)) != STATUS_SUCCESS)
        goto out;
    if (emu_fault(m, api, &st))
        goto out;
    wdf_iface *i = calloc(1, sizeof *i);
    if (!i) {
        st = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    i->cls = *InterfaceClassGUID;
    if (ReferenceString && ReferenceString->Length) {
        i->ref.Buffer = malloc(ReferenceString->Length + 2u);
        if (!i->ref.Buffer) {
            free(i);
            st = STATUS_INSUFFICIENT_RESOURCES;
            goto out;
        }
        memcpy(i->ref.Buffer, ReferenceString->Buffer, ReferenceString->Length);
        i->ref.Buffer[ReferenceString->Length / 2] = 0;
        i->ref.Length = ReferenceString->Length;
        i->ref.MaximumLength = (USHORT)(ReferenceString->Length + 2u);
    }
    st = IoRegisterDeviceInterface(d->pdo, InterfaceClassGUID, i->ref.Buffer ? &i->ref : NULL, &i->link);
    if (!NT_SUCCESS(st)) {
        free(i->ref.Buffer);
        free(i);
        goto out;
    }
    /* Created in EvtDriverDeviceAdd (or while starting): enabled at start; after the start: left disabled. */
    i->auto_enable = d->state == WDF_DEV_ADDED;
    wdf_iface **tail = &d->ifaces;
    while (*tail)
        tail = &(*tail)->next;
    *tail = i;
out:
    emu_unlock(m);
    return st;
}

VOID WdfDeviceSetDeviceInterfaceState(WDFDEVICE Device, CONST GUID *InterfaceClassGUID,
                                      PCUNICODE_STRING ReferenceString, BOOLEAN IsInterfaceEnabled)
{
    static const char api[] = "WdfDeviceSetDeviceInterfaceState";
    wdf_device *d = (wdf_device *)wdf_handle(Device, WDF_OT_DEVICE, api);
    if (!d)
        return;
    pnpbox_machine *m = d->o.m;
    if (!InterfaceClassGUID) {
        wdf_bugcheck(m, api, "a NULL InterfaceClassGUID");
        return;
    }
    if (ReferenceString && wdf_validate_ustr(ReferenceString) != STATUS_SUCCESS) {
        emu_log(m, "pnpbox: %s: %s: invalid ReferenceString: ignored", d->o.drv->ed->service, api);
        return;
    }
    emu_lock(m);
    wdf_iface *i = find_iface(d, InterfaceClassGUID, ReferenceString);
    if (i) {
        /* Before the start this only decides whether the start enables it (WdfDeviceSetDeviceInterfaceStateEx). */
        i->auto_enable = IsInterfaceEnabled ? 1 : 0;
        if (IsInterfaceEnabled ? (d->state == WDF_DEV_STARTED || d->starting) && !i->on : i->on)
            set_iface(i, IsInterfaceEnabled);
    }
    emu_unlock(m);
}

NTSTATUS WdfDeviceRetrieveDeviceInterfaceString(WDFDEVICE Device, CONST GUID *InterfaceClassGUID,
                                                PCUNICODE_STRING ReferenceString, WDFSTRING String)
{
    static const char api[] = "WdfDeviceRetrieveDeviceInterfaceString";
    wdf_device *d = (wdf_device *)wdf_handle(Device, WDF_OT_DEVICE, api);
    if (!d)
        return STATUS_INVALID_HANDLE;
    pnpbox_machine *m = d->o.m;
    if (!InterfaceClassGUID) {
        wdf_bugcheck(m, api, "a NULL InterfaceClassGUID");
        return STATUS_INVALID_PARAMETER;
    }
    emu_lock(m);
    NTSTATUS st;
    if (ReferenceString && (st = wdf_validate_ustr(ReferenceString)) != STATUS_SUCCESS)
        goto out;
    wdf_string *s = (wdf_string *)wdf_handle(String, WDF_OT_STRING, api);
    if (!s) {
        st = STATUS_INVALID_HANDLE;
        goto out;
    }
    wdf_iface *i = find_iface(d, InterfaceClassGUID, ReferenceString);
    if (!i)
        st = STATUS_OBJECT_NAME_NOT_FOUND;
    else if (!i->link.Buffer)
        st = STATUS_INVALID_DEVICE_STATE;
    else
        st = wdf_string_assign(s, (const uint16_t *)i->link.Buffer, i->link.Length);
out:
    emu_unlock(m);
    return st;
}

/* ---------------------------------------------------------------- accessors */

WDFDRIVER WdfDeviceGetDriver(WDFDEVICE Device)
{
    wdf_device *d = (wdf_device *)wdf_handle(Device, WDF_OT_DEVICE, "WdfDeviceGetDriver");
    return d ? (WDFDRIVER)d->o.drv : NULL;
}

PDEVICE_OBJECT WdfDeviceWdmGetDeviceObject(WDFDEVICE Device)
{
    wdf_device *d = (wdf_device *)wdf_handle(Device, WDF_OT_DEVICE, "WdfDeviceWdmGetDeviceObject");
    return d ? d->fdo : NULL;
}

PDEVICE_OBJECT WdfDeviceWdmGetAttachedDevice(WDFDEVICE Device)
{
    wdf_device *d = (wdf_device *)wdf_handle(Device, WDF_OT_DEVICE, "WdfDeviceWdmGetAttachedDevice");
    return d ? d->lower : NULL;
}

PDEVICE_OBJECT WdfDeviceWdmGetPhysicalDevice(WDFDEVICE Device)
{
    wdf_device *d = (wdf_device *)wdf_handle(Device, WDF_OT_DEVICE, "WdfDeviceWdmGetPhysicalDevice");
    return d ? d->pdo : NULL;
}

WDFDEVICE WdfWdmDeviceGetWdfDeviceHandle(PDEVICE_OBJECT DeviceObject)
{
    if (!DeviceObject) {
        wdf_bugcheck(NULL, "WdfWdmDeviceGetWdfDeviceHandle", "a NULL DeviceObject");
        return NULL;
    }
    wdf_device *d = device_of(DeviceObject);
    return d && !d->o.disposed ? (WDFDEVICE)d : NULL;
}

NTSTATUS WdfDeviceRetrieveDeviceDirectoryString(WDFDEVICE Device, WDFSTRING String)
{
    static const char api[] = "WdfDeviceRetrieveDeviceDirectoryString";
    wdf_device *d = (wdf_device *)wdf_handle(Device, WDF_OT_DEVICE, api);
    if (!d)
        return STATUS_INVALID_HANDLE;
    wdf_string *s = (wdf_string *)wdf_handle(String, WDF_OT_STRING, api);
    if (!s)
        return STATUS_INVALID_HANDLE;
    pnpbox_machine *m = d->o.m;
    emu_lock(m);
    HANDLE h = NULL;
    NTSTATUS st = IoGetDeviceDirectory(d->pdo, DeviceDirectoryData, 0, NULL, &h);
    if (NT_SUCCESS(st))
        st = wdf_dir_string(m, s, h);
    emu_unlock(m);
    return st;
}
