/*
 * wdf_driver.c: the framework driver object: WdfDriverCreate taking over
 * the WDM driver object (dispatch table, AddDevice, DriverUnload), the
 * framework's unload routine (EvtDriverUnload, then the driver object and
 * all its children are deleted), the driver's accessors and
 * WdfDriverRetrieveDriverDataDirectoryString.
 *
 * A KMDF driver is an ordinary WDM driver underneath: pnpbox's PnP manager
 * (emu/pnp.c) calls DriverEntry, the AddDevice and DriverUnload routines
 * and the dispatch routines WdfDriverCreate installed, exactly as it calls a
 * WDM driver's.
 *
 * WdfDriverCreate's checks and their order follow Windows 11's Wdf01000.sys
 * (imp_WdfDriverCreate): NULL arguments (bug check), Size, unknown
 * DriverInitFlags, RegistryPath, a second call, then a non-PnP driver with
 * EvtDriverDeviceAdd, then the attributes; which routines it installs
 * follows FxDriver::Initialize (open-source KMDF).
 *
 * Lifetime: the WDFDRIVER goes with DriverUnload.  When DriverEntry fails
 * after WdfDriverCreate, KMDF deletes the WDFDRIVER as DriverEntry returns:
 * the PnP manager calls entry_failed (set here) right then, which deletes
 * it with its cleanup callbacks.  A WDFDRIVER still found stale at the next
 * WdfDriverCreate (a DriverObject re-initialised some other way) is deleted
 * there, and one left at machine teardown quietly (docs/kmdf.md).
 */
#include "emu/wdf_int.h"

#include "base/pb_utf16.h"
#include "emu/kfile.h"

#include <stdlib.h>
#include <string.h>

/* The machine is freed before the driver was unloaded: free the framework's state quietly. */
static void anchor_close(pnpbox_machine *m, emu_handle *h)
{
    (void)m;
    wdf_driver *d = h->obj;
    h->obj = NULL;
    if (d)
        wdf_driver_teardown_quiet(d);
}

/* emu_driver.entry_failed: DriverEntry returned an error after WdfDriverCreate. */
static void entry_failed(emu_driver *ed)
{
    wdf_driver *d = wdf_driver_of(&ed->obj);
    if (!d)
        return;
    emu_log(ed->m, "pnpbox: %s: DriverEntry failed; deleting its WDFDRIVER as KMDF does", ed->service);
    d->o.no_delete_ddi = 0;
    wdf_obj_delete(&d->o, 0);
}

/* Was the WDM driver object re-initialised by a new load since d took it over? */
static int stale(wdf_driver *d)
{
    PDRIVER_OBJECT w = d->wdm;
    if (d->ed->loaded)
        return 0;
    return w->MajorFunction[IRP_MJ_PNP] != wdf_dispatch && w->DriverExtension->AddDevice != wdf_add_device &&
           w->DriverUnload != wdf_unload;
}

NTSTATUS WdfDriverCreate(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath,
                         PWDF_OBJECT_ATTRIBUTES DriverAttributes, PWDF_DRIVER_CONFIG DriverConfig, WDFDRIVER *Driver)
{
    static const char api[] = "WdfDriverCreate";
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    NTSTATUS st;
    emu_driver *ed = emu_driver_from_obj(DriverObject);
    if (!DriverObject || !RegistryPath || !DriverConfig) {
        wdf_bugcheck(m, api, "a NULL %s", !DriverObject ? "DriverObject" : !RegistryPath ? "RegistryPath" : "DriverConfig");
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if (!ed) {
        wdf_bugcheck(m, api, "%p is not the DRIVER_OBJECT DriverEntry received", (void *)DriverObject);
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if (DriverConfig->Size != sizeof(WDF_DRIVER_CONFIG)) {
        st = STATUS_INFO_LENGTH_MISMATCH;
        goto out;
    }
    if (DriverConfig->DriverInitFlags &
        ~(ULONG)(WdfDriverInitNonPnpDriver | WdfDriverInitNoDispatchOverride | WdfDriverInitCompanion)) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if ((st = wdf_validate_ustr(RegistryPath)) != STATUS_SUCCESS)
        goto out;
    wdf_driver *old = wdf_driver_of(DriverObject);
    if (old && stale(old)) {
        emu_log(m, "pnpbox: %s: deleting the WDFDRIVER left by a DriverEntry that failed (KMDF deletes it when "
                   "DriverEntry returns an error)",
                ed->service);
        old->o.no_delete_ddi = 0;
        wdf_obj_delete(&old->o, 0);
        old = NULL;
    }
    if (old) {
        st = STATUS_DRIVER_INTERNAL_ERROR;
        goto out;
    }
    if (Driver)
        *Driver = NULL;
    ULONG flags = DriverConfig->DriverInitFlags;
    if ((flags & (WdfDriverInitNonPnpDriver | WdfDriverInitNoDispatchOverride)) == WdfDriverInitNonPnpDriver &&
        DriverConfig->EvtDriverDeviceAdd) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if ((st = wdf_validate_attributes(DriverAttributes, WDF_VAL_PARENT_NOT_ALLOWED | WDF_VAL_EXEC_LEVEL_ALLOWED |
                                                            WDF_VAL_SYNC_SCOPE_ALLOWED)) != STATUS_SUCCESS)
        goto out;
    wdf_obj *o;
    /* The driver's objects are owned by the new driver itself (drv NULL while it is being made). */
    if ((st = wdf_obj_create(m, api, NULL, WDF_OT_DRIVER, sizeof(wdf_driver), DriverAttributes, NULL, &o)) !=
        STATUS_SUCCESS)
        goto out;
    wdf_driver *d = (wdf_driver *)o;
    o->comp = ed->comp;
    o->no_delete_ddi = 1;
    d->ed = ed;
    d->wdm = DriverObject;
    d->config = *DriverConfig;
    size_t n = RegistryPath->Length / 2;
    d->regpath = malloc((n + 1) * 2);
    emu_handle anchor = {.type = EMU_H_OTHER, .obj = d, .close_fn = anchor_close, .path = strdup("WDFDRIVER")};
    if (d->regpath && anchor.path)
        d->anchor = emu_handle_new(m, &anchor);
    if (!d->anchor) {
        free(anchor.path);
        wdf_obj_discard(o);
        st = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    if (n)
        memcpy(d->regpath, RegistryPath->Buffer, n * 2);
    d->regpath[n] = 0;
    /* FxDriver::Initialize: the framework's routines, unless the driver keeps its own table. */
    if (!(flags & WdfDriverInitNoDispatchOverride)) {
        d->dispatch_override = 1;
        for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
            DriverObject->MajorFunction[i] = wdf_dispatch;
        if (flags & WdfDriverInitNonPnpDriver) {
            /* A non-PnP driver has no AddDevice; it can be unloaded only with EvtDriverUnload. */
            DriverObject->DriverExtension->AddDevice = NULL;
            DriverObject->DriverUnload = DriverConfig->EvtDriverUnload ? wdf_unload : NULL;
            if (!DriverConfig->EvtDriverUnload)
                emu_log(m, "pnpbox: %s: non-PnP KMDF driver without EvtDriverUnload: it cannot be unloaded",
                        ed->service);
        } else {
            DriverObject->DriverExtension->AddDevice = wdf_add_device;
            DriverObject->DriverUnload = wdf_unload;
        }
    }
    wdf_driver_list_add(d);
    ed->entry_failed = entry_failed;
    if (Driver)
        *Driver = (WDFDRIVER)d;
out:
    emu_unlock(m);
    return st;
}

void wdf_unload(PDRIVER_OBJECT DriverObject)
{
    wdf_driver *d = wdf_driver_of(DriverObject);
    if (!d)
        return;
    pnpbox_machine *m = d->o.m;
    emu_lock(m);
    if (d->dispatch_override && d->config.EvtDriverUnload)
        WDF_AS(&d->o, d->config.EvtDriverUnload((WDFDRIVER)d));
    /* FxDriver::Unload: the driver object goes, and with it every object parented to it. */
    d->o.no_delete_ddi = 0;
    wdf_obj_delete(&d->o, 0);
    emu_unlock(m);
}

PDRIVER_OBJECT WdfDriverWdmGetDriverObject(WDFDRIVER Driver)
{
    wdf_driver *d = (wdf_driver *)wdf_handle(Driver, WDF_OT_DRIVER, "WdfDriverWdmGetDriverObject");
    return d ? d->wdm : NULL;
}

WDFDRIVER WdfWdmDriverGetWdfDriverHandle(PDRIVER_OBJECT DriverObject)
{
    if (!DriverObject) {
        wdf_bugcheck(NULL, "WdfWdmDriverGetWdfDriverHandle", "a NULL DriverObject");
        return NULL;
    }
    return (WDFDRIVER)wdf_driver_of(DriverObject);
}

PWSTR WdfDriverGetRegistryPath(WDFDRIVER Driver)
{
    wdf_driver *d = (wdf_driver *)wdf_handle(Driver, WDF_OT_DRIVER, "WdfDriverGetRegistryPath");
    return d ? (PWSTR)d->regpath : NULL;
}

WDFDRIVER WdfGetDriver(VOID)
{
    pnpbox_machine *m = pnpbox_current();
    return m ? (WDFDRIVER)wdf_current_driver(m) : NULL;
}

/*
 * Open (creating it if needed) a directory through the isolation API, as
 * the driver, and put its Win32 path into a string object.  The access is
 * recorded under that API (IoGetDriverDirectory / IoGetDeviceDirectory):
 * the framework's way to the directory.
 */
NTSTATUS wdf_dir_string(pnpbox_machine *m, wdf_string *s, HANDLE h)
{
    emu_handle *e;
    NTSTATUS st = emu_file_from_handle(m, h, &e);
    if (st == STATUS_SUCCESS) {
        uint16_t *w = e->path ? pb_wcs_from_utf8(e->path) : NULL;
        size_t n = w ? pb_wcslen(w) : 0;
        st = !w ? STATUS_INSUFFICIENT_RESOURCES : n * 2 > 0xFFFC ? STATUS_NAME_TOO_LONG
                                                                 : wdf_string_assign(s, w, (USHORT)(n * 2));
        free(w);
    }
    ZwClose(h);
    return st;
}

NTSTATUS WdfDriverRetrieveDriverDataDirectoryString(WDFDRIVER Driver, WDFSTRING String)
{
    static const char api[] = "WdfDriverRetrieveDriverDataDirectoryString";
    wdf_driver *d = (wdf_driver *)wdf_handle(Driver, WDF_OT_DRIVER, api);
    if (!d)
        return STATUS_INVALID_HANDLE;
    wdf_string *s = (wdf_string *)wdf_handle(String, WDF_OT_STRING, api);
    if (!s)
        return STATUS_INVALID_HANDLE;
    pnpbox_machine *m = d->o.m;
    emu_lock(m);
    HANDLE h = NULL;
    NTSTATUS st = IoGetDriverDirectory(d->wdm, DriverDirectoryData, 0, &h);
    if (NT_SUCCESS(st))
        st = wdf_dir_string(m, s, h);
    emu_unlock(m);
    return st;
}
