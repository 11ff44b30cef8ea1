/*
 * pnp.c: the PnP manager: drivers (registration, DriverEntry, DriverUnload),
 * devnodes and the root bus driver that owns their PDOs, and the device
 * lifecycle: AddDevice for every driver of the stack, IRP_MN_START_DEVICE,
 * (query / surprise) IRP_MN_REMOVE_DEVICE, and an emulated reboot.
 *
 * The root bus driver answers the PnP IRPs that reach a PDO the way a bus
 * driver does (reference §1.13 for QUERY_INTERFACE): START, STOP, REMOVE
 * and their queries succeed; QUERY_ID / QUERY_DEVICE_TEXT / QUERY_CAPABILITIES
 * are answered from the devnode's Enum key; anything else is completed with
 * the status unchanged.
 */
#include "emu/pnp.h"

#include "base/pb_log.h"
#include "base/pb_utf16.h"
#include "emu/k_fmt.h"
#include "emu/kreg.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void emu_driver_init_dispatch(PDRIVER_OBJECT d); /* k_io.c */

/* ---------------------------------------------------------------- state */

emu_pnp *emu_pnp_get(pnpbox_machine *m)
{
    if (!m->pnp)
        m->pnp = calloc(1, sizeof *m->pnp);
    return m->pnp;
}

emu_driver *emu_driver_from_obj(PDRIVER_OBJECT d)
{
    if (!d || d->Type != IO_TYPE_DRIVER)
        return NULL;
    emu_driver *drv = (emu_driver *)d;
    return drv->obj.DriverExtension == &drv->ext ? drv : NULL;
}

emu_driver *emu_driver_find(pnpbox_machine *m, const char *service)
{
    emu_pnp *p = m->pnp;
    if (!p || !service)
        return NULL;
    uint16_t *w = pb_wcs_from_utf8(service);
    emu_driver *found = NULL;
    for (emu_driver *d = p->drivers; d && w; d = d->next)
        if (pb_wcsnieq(d->wservice, pb_wcslen(d->wservice), w, pb_wcslen(w)))
            found = d;
    free(w);
    return found;
}

emu_devnode *emu_devnode_find(pnpbox_machine *m, const char *instance)
{
    if (!m->pnp || !instance)
        return NULL;
    for (emu_devnode *dn = m->pnp->devnodes; dn; dn = dn->next)
        if (!strcasecmp(dn->instance, instance))
            return dn;
    return NULL;
}

/* UTF-16 copy into a UNICODE_STRING whose buffer the driver struct owns. */
static int ustr(UNICODE_STRING *u, uint16_t **own, const char *s)
{
    *own = pb_wcs_from_utf8(s);
    if (!*own)
        return -ENOMEM;
    size_t n = pb_wcslen(*own);
    u->Buffer = (PWCH)*own;
    u->Length = (USHORT)(n * 2);
    u->MaximumLength = (USHORT)(n * 2 + 2);
    return 0;
}

static emu_driver *driver_new(pnpbox_machine *m, const char *service, pnpbox_component_kind kind)
{
    emu_pnp *p = emu_pnp_get(m);
    emu_driver *d = p ? calloc(1, sizeof *d) : NULL;
    if (!d)
        return NULL;
    d->m = m;
    d->obj.Type = IO_TYPE_DRIVER;
    d->obj.Size = sizeof(DRIVER_OBJECT);
    d->obj.DriverExtension = &d->ext;
    d->ext.DriverObject = &d->obj;
    emu_driver_init_dispatch(&d->obj);
    char buf[512];
    d->service = strdup(service);
    snprintf(buf, sizeof buf, "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\%s", service);
    int rc = d->service ? ustr(&d->ext.ServiceKeyName, &d->wservice, service) : -ENOMEM;
    if (rc == 0)
        rc = ustr(&d->regpath, &d->wregpath, buf);
    snprintf(buf, sizeof buf, "\\Driver\\%s", service);
    if (rc == 0)
        rc = ustr(&d->obj.DriverName, &d->wdrvname, buf);
    d->comp = rc == 0 ? pnpbox_component_get(m, kind, service) : NULL;
    if (!d->comp) {
        free(d->service);
        free(d->wservice);
        free(d->wregpath);
        free(d->wdrvname);
        free(d);
        return NULL;
    }
    d->next = p->drivers;
    p->drivers = d;
    return d;
}

/* ---------------------------------------------------------------- the root bus driver */

/* A paged-pool string the FDO frees with ExFreePool (QUERY_ID answers). */
static PWCHAR pool_wcs(const uint16_t *s, size_t units)
{
    /* Allocated by the bus driver (the PnP manager's component) without a
     * fault point: a test's ExAllocatePool2 fault rules target its driver. */
    PWCHAR p = emu_pool_alloc(emu_machine(), units * 2, 'xbnP', "IRP_MN_QUERY_ID", __builtin_return_address(0));
    if (p)
        memcpy(p, s, units * 2);
    return p;
}

static NTSTATUS bus_query_id(pnpbox_machine *m, emu_devnode *dn, BUS_QUERY_ID_TYPE type, ULONG_PTR *info)
{
    char buf[512];
    const char *inst = dn->instance;
    const char *last = strrchr(inst, '\\');
    if (type == BusQueryDeviceID || type == BusQueryInstanceID) {
        if (type == BusQueryDeviceID)
            snprintf(buf, sizeof buf, "%.*s", (int)(last ? last - inst : (long)strlen(inst)), inst);
        else
            snprintf(buf, sizeof buf, "%s", last ? last + 1 : "");
        uint16_t *w = pb_wcs_from_utf8(buf);
        PWCHAR p = w ? pool_wcs(w, pb_wcslen(w) + 1) : NULL;
        free(w);
        if (!p)
            return STATUS_INSUFFICIENT_RESOURCES;
        *info = (ULONG_PTR)p;
        return STATUS_SUCCESS;
    }
    if (type == BusQueryHardwareIDs || type == BusQueryCompatibleIDs) {
        const uint16_t *name = type == BusQueryHardwareIDs ? (const uint16_t *)L"HardwareID"
                                                            : (const uint16_t *)L"CompatibleIDs";
        regdb_value v;
        if (regdb_query_value(m->reg, dn->key, name, pb_wcslen(name), &v) < 0 || v.type != REGDB_MULTI_SZ)
            return STATUS_NOT_SUPPORTED;
        PWCHAR p = pool_wcs(v.data, v.data_len / 2);
        if (!p)
            return STATUS_INSUFFICIENT_RESOURCES;
        *info = (ULONG_PTR)p;
        return STATUS_SUCCESS;
    }
    return STATUS_NOT_SUPPORTED; /* serial number, container id: a root device has none */
}

static NTSTATUS bus_dispatch_pnp(PDEVICE_OBJECT dev, PIRP irp)
{
    pnpbox_machine *m = emu_machine();
    PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);
    emu_devnode *dn = emu_devnode_of_pdo(dev);
    NTSTATUS st = irp->IoStatus.Status;
    ULONG_PTR info = irp->IoStatus.Information;
    switch (s->MinorFunction) {
    case IRP_MN_START_DEVICE:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
    case IRP_MN_STOP_DEVICE:
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_SURPRISE_REMOVAL:
    case IRP_MN_REMOVE_DEVICE:
    case IRP_MN_DEVICE_USAGE_NOTIFICATION:
        st = STATUS_SUCCESS;
        break;
    case IRP_MN_QUERY_CAPABILITIES: {
        PDEVICE_CAPABILITIES c = s->Parameters.DeviceCapabilities.Capabilities;
        if (!c || c->Size < sizeof *c || c->Version != 1) {
            st = STATUS_INVALID_PARAMETER;
            break;
        }
        c->SurpriseRemovalOK = 0;
        c->Removable = 0;
        c->UniqueID = 0;
        c->SilentInstall = 1;
        c->Address = 0xffffffff;
        c->UINumber = 0xffffffff;
        c->DeviceState[PowerSystemWorking] = PowerDeviceD0;
        for (int i = PowerSystemSleeping1; i < PowerSystemMaximum; i++)
            c->DeviceState[i] = PowerDeviceD3;
        c->SystemWake = PowerSystemUnspecified;
        c->DeviceWake = PowerDeviceUnspecified;
        st = STATUS_SUCCESS;
        break;
    }
    case IRP_MN_QUERY_ID:
        if (dn)
            st = bus_query_id(m, dn, s->Parameters.QueryId.IdType, &info);
        break;
    case IRP_MN_QUERY_DEVICE_TEXT:
        if (dn && s->Parameters.QueryDeviceText.DeviceTextType == DeviceTextDescription) {
            uint16_t *d = NULL;
            size_t n;
            if (regdb_get_sz(m->reg, dn->key, (const uint16_t *)L"DeviceDesc", &d, &n) == 0) {
                /* DeviceDesc may be "@oem0.inf,%desc%;Text": report the text after the last ';'. */
                size_t start = 0;
                for (size_t i = 0; i < n; i++)
                    if (d[i] == ';')
                        start = i + 1;
                d[n] = 0;
                PWCHAR p = pool_wcs(d + start, n - start + 1);
                free(d);
                if (p) {
                    info = (ULONG_PTR)p;
                    st = STATUS_SUCCESS;
                } else {
                    st = STATUS_INSUFFICIENT_RESOURCES;
                }
            }
        }
        break;
    case IRP_MN_QUERY_DEVICE_RELATIONS:
        if (s->Parameters.QueryDeviceRelations.Type == TargetDeviceRelation) {
            PDEVICE_RELATIONS r = ExAllocatePool2(POOL_FLAG_PAGED, sizeof *r, 'xbnP');
            if (!r) {
                st = STATUS_INSUFFICIENT_RESOURCES;
                break;
            }
            r->Count = 1;
            r->Objects[0] = dev;
            ObReferenceObject(dev);
            info = (ULONG_PTR)r;
            st = STATUS_SUCCESS;
        }
        break;
    case IRP_MN_QUERY_PNP_DEVICE_STATE:
        st = STATUS_SUCCESS;
        break;
    default:
        /* QUERY_INTERFACE and the rest: a bus driver that does not handle it leaves the status. */
        break;
    }
    irp->IoStatus.Status = st;
    irp->IoStatus.Information = info;
    IofCompleteRequest(irp, IO_NO_INCREMENT);
    return st;
}

static NTSTATUS bus_dispatch_power(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    irp->IoStatus.Status = STATUS_SUCCESS;
    IofCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS bus_dispatch_passthrough_status(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    NTSTATUS st = irp->IoStatus.Status;
    IofCompleteRequest(irp, IO_NO_INCREMENT);
    return st;
}

static emu_driver *bus_driver(pnpbox_machine *m)
{
    emu_pnp *p = emu_pnp_get(m);
    if (!p)
        return NULL;
    if (!p->bus) {
        emu_driver *b = driver_new(m, "PnpManager", PNPBOX_COMP_INSTALLER);
        if (!b)
            return NULL;
        /* The bus driver runs as the installer component: pnpbox's own code, never judged. */
        b->comp = m->installer;
        b->is_bus = 1;
        b->loaded = 1;
        b->obj.MajorFunction[IRP_MJ_PNP] = bus_dispatch_pnp;
        b->obj.MajorFunction[IRP_MJ_POWER] = bus_dispatch_power;
        b->obj.MajorFunction[IRP_MJ_SYSTEM_CONTROL] = bus_dispatch_passthrough_status;
        p->bus = b;
    }
    return p->bus;
}

/* ---------------------------------------------------------------- devnodes */

int emu_devnode_attach(pnpbox_machine *m, const char *instance, emu_devnode **out)
{
    emu_devnode *dn = emu_devnode_find(m, instance);
    if (dn && dn->pdo) {
        *out = dn;
        return 0;
    }
    char rel[1024];
    snprintf(rel, sizeof rel, "Enum\\%s", instance);
    regdb_key k;
    int rc = emu_ccs_open(m, rel, &k);
    if (rc < 0) {
        emu_set_error(m, "no device '%s': %s", instance, regdb_strerror(rc));
        return -ENOENT;
    }
    emu_driver *bus = bus_driver(m);
    if (!bus)
        return -ENOMEM;
    if (!dn) {
        dn = calloc(1, sizeof *dn);
        if (!dn || !(dn->instance = strdup(instance))) {
            free(dn);
            return -ENOMEM;
        }
        dn->m = m;
        dn->next = m->pnp->devnodes;
        m->pnp->devnodes = dn;
    }
    dn->key = k;
    PDEVICE_OBJECT pdo;
    NTSTATUS st;
    EMU_AS(bus->comp, st = IoCreateDevice(&bus->obj, 0, NULL, FILE_DEVICE_BUS_EXTENDER,
                                          FILE_AUTOGENERATED_DEVICE_NAME | FILE_DEVICE_SECURE_OPEN, FALSE, &pdo));
    if (!NT_SUCCESS(st)) {
        emu_set_error(m, "cannot create the PDO of '%s': %s", instance, emu_status_name(st));
        return -ENOMEM;
    }
    pdo->Flags &= ~DO_DEVICE_INITIALIZING;
    pdo->Flags |= DO_BUS_ENUMERATED_DEVICE | DO_POWER_PAGABLE;
    emu_devobj *o = emu_devobj_of(pdo);
    o->is_pdo = 1;
    o->dn = dn;
    dn->pdo = pdo;
    dn->state = EMU_DN_INITIALIZED;
    *out = dn;
    return 0;
}

static int msz_list(regdb *r, regdb_key k, const char *name, char out[][256], int max)
{
    uint16_t *w = pb_wcs_from_utf8(name);
    regdb_value v;
    int n = 0;
    if (w && regdb_query_value(r, k, w, pb_wcslen(w), &v) == 0 &&
        (v.type == REGDB_MULTI_SZ || v.type == REGDB_SZ)) {
        const uint16_t *d = v.data;
        size_t len = v.data_len / 2;
        for (size_t i = 0; i < len && n < max;) {
            size_t j = i;
            while (j < len && d[j])
                j++;
            if (j > i) {
                char *u = pb_utf8_from_wcs(d + i, j - i);
                if (u) {
                    snprintf(out[n++], 256, "%s", u);
                    free(u);
                }
            }
            if (v.type == REGDB_SZ)
                break;
            i = j + 1;
        }
    }
    free(w);
    return n;
}

/* ---------------------------------------------------------------- drivers: register, load, unload */

static int service_exists(pnpbox_machine *m, const char *service, regdb_key *k)
{
    char rel[512];
    snprintf(rel, sizeof rel, "Services\\%s", service);
    return emu_ccs_open(m, rel, k) == 0;
}

/* Image location from the service's ImagePath (\SystemRoot\... or system32\drivers\x.sys). */
static void driver_image(pnpbox_machine *m, emu_driver *d)
{
    regdb_key k;
    uint16_t *ip = NULL;
    size_t n;
    if (!service_exists(m, d->service, &k) ||
        regdb_get_sz(m->reg, k, (const uint16_t *)L"ImagePath", &ip, &n) < 0)
        return;
    char *u = pb_utf8_from_wcs(ip, n);
    free(ip);
    if (!u)
        return;
    char vpath[2048];
    vpath[0] = 0;
    if (!strncasecmp(u, "\\SystemRoot\\", 12))
        snprintf(vpath, sizeof vpath, "\\Windows\\%s", u + 12);
    else if (!strncasecmp(u, "\\??\\C:\\", 7))
        snprintf(vpath, sizeof vpath, "\\%s", u + 7);
    else if (!strncasecmp(u, "C:\\", 3))
        snprintf(vpath, sizeof vpath, "\\%s", u + 3);
    else if (u[0] != '\\')
        snprintf(vpath, sizeof vpath, "\\Windows\\%s", u); /* relative ImagePath: to %SystemRoot% */
    if (vpath[0]) {
        free(d->image_vpath);
        free(d->image_nt);
        d->image_vpath = strdup(vpath);
        char nt[2100];
        snprintf(nt, sizeof nt, "\\SystemRoot\\%s", vpath + 9);
        d->image_nt = strdup(nt);
        char *dir = strdup(vpath), *bs = dir ? strrchr(dir, '\\') : NULL;
        if (bs)
            *bs = 0;
        free(d->comp->image_dir);
        d->comp->image_dir = dir;
    }
    free(u);
}

static emu_driver *driver_get(pnpbox_machine *m, const char *service)
{
    emu_driver *d = emu_driver_find(m, service);
    if (!d)
        d = driver_new(m, service, PNPBOX_COMP_KERNEL_DRIVER);
    return d;
}

int pnpbox_driver_register(pnpbox_machine *m, const char *service, pnpbox_driver_entry_fn entry)
{
    if (!m || !service || !*service || !entry)
        return -EINVAL;
    emu_lock(m);
    emu_driver *d = driver_get(m, service);
    int rc = -ENOMEM;
    if (d) {
        if (d->loaded) {
            emu_set_error(m, "driver '%s' is loaded; unload it before registering other code", service);
            rc = -EBUSY;
        } else {
            d->entry = (PDRIVER_INITIALIZE)entry;
            rc = 0;
        }
    }
    emu_unlock(m);
    return rc;
}

int pnpbox_driver_register_so(pnpbox_machine *m, const char *service, const char *so_path)
{
    if (!m || !service || !*service || !so_path)
        return -EINVAL;
    void *dl = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        emu_set_error(m, "cannot load driver '%s': %s", so_path, dlerror());
        return -ENOEXEC;
    }
    void *sym = dlsym(dl, "DriverEntry");
    if (!sym) {
        emu_set_error(m, "cannot load driver '%s': it exports no DriverEntry (declare it with C linkage and "
                         "default visibility)",
                      so_path);
        dlclose(dl);
        return -ENOEXEC;
    }
    emu_lock(m);
    emu_driver *d = driver_get(m, service);
    int rc = 0;
    if (!d || d->loaded) {
        rc = d ? -EBUSY : -ENOMEM;
        if (d)
            emu_set_error(m, "driver '%s' is loaded; unload it first", service);
        dlclose(dl);
    } else {
        if (d->dl)
            dlclose(d->dl);
        d->dl = dl;
        free(d->so_path);
        d->so_path = strdup(so_path);
        d->entry = (PDRIVER_INITIALIZE)sym;
    }
    emu_unlock(m);
    return rc;
}

int pnpbox_driver_load(pnpbox_machine *m, const char *service, int32_t *status)
{
    if (!m || !service)
        return -EINVAL;
    if (emu_failfast_stopped(m))
        return -ECANCELED; /* the message names the violation */
    emu_lock(m);
    emu_driver *d = emu_driver_find(m, service);
    int rc = 0;
    if (!d || !d->entry) {
        emu_set_error(m, "no code is registered for driver '%s' (pnpbox_driver_register or a .so)", service);
        rc = -ENOENT;
        goto out;
    }
    if (d->loaded) {
        if (status)
            *status = STATUS_SUCCESS;
        goto out;
    }
    regdb_key sk;
    if (!service_exists(m, service, &sk)) {
        emu_set_error(m, "cannot load driver '%s': no service key Services\\%s (install its INF or create the "
                         "service first)",
                      service, service);
        rc = -ENOENT;
        goto out;
    }
    driver_image(m, d);
    /* A fresh DRIVER_OBJECT for every load, as the I/O manager makes one. */
    memset(d->obj.MajorFunction, 0, sizeof d->obj.MajorFunction);
    emu_driver_init_dispatch(&d->obj);
    d->obj.DriverUnload = NULL;
    d->obj.DriverStartIo = NULL;
    d->ext.AddDevice = NULL;
    d->obj.DriverInit = d->entry;
    NTSTATUS st;
    PB_DEBUG(PB_CH_PNP, "DriverEntry(%s)", service);
    d->entry_failed = NULL;
    EMU_AS(d->comp, st = d->entry(&d->obj, &d->regpath));
    emu_log(m, "pnpbox: %s: DriverEntry returned %s", service, emu_status_name(st));
    if (NT_SUCCESS(st)) {
        d->loaded = 1;
    } else {
        if (d->entry_failed)
            EMU_AS(d->comp, d->entry_failed(d));
        d->entry_failed = NULL;
        emu_set_error(m, "DriverEntry of '%s' failed with %s", service, emu_status_name(st));
    }
    if (status)
        *status = st;
out:
    emu_unlock(m);
    return rc;
}

/* Objects the driver left behind after unload: device objects (an error) and handles (a warning). */
static void unload_checks(pnpbox_machine *m, emu_driver *d)
{
    int ndev = 0;
    for (PDEVICE_OBJECT dev = d->obj.DeviceObject; dev; dev = dev->NextDevice)
        ndev++;
    if (ndev)
        emu_log(m, "pnpbox: error: %s unloaded with %d device object(s) not deleted (IoDeleteDevice in "
                   "IRP_MN_REMOVE_DEVICE)",
                d->service, ndev);
    int nh = 0;
    for (int i = 0; i < m->nhandles; i++)
        if (m->handles[i] && m->handles[i]->prov.owner == d->comp)
            nh++;
    if (nh)
        emu_log(m, "pnpbox: warning: %s unloaded with %d handle(s) still open (ZwClose them)", d->service, nh);
}

int pnpbox_driver_unload(pnpbox_machine *m, const char *service, int32_t *status)
{
    if (!m || !service)
        return -EINVAL;
    if (emu_failfast_stopped(m))
        return -ECANCELED; /* the message names the violation */
    emu_lock(m);
    emu_driver *d = emu_driver_find(m, service);
    int rc = 0;
    if (!d || !d->loaded) {
        emu_set_error(m, "driver '%s' is not loaded", service);
        rc = -ENOENT;
        goto out;
    }
    for (emu_devnode *dn = m->pnp->devnodes; dn; dn = dn->next) {
        if (dn->state != EMU_DN_STARTED || !dn->pdo)
            continue;
        for (PDEVICE_OBJECT dev = dn->pdo->AttachedDevice; dev; dev = dev->AttachedDevice)
            if (dev->DriverObject == &d->obj) {
                emu_set_error(m, "driver '%s' still has device '%s' started; remove the device first", service,
                              dn->instance);
                rc = -EBUSY;
                goto out;
            }
    }
    if (!d->obj.DriverUnload) {
        emu_log(m, "pnpbox: error: %s has no DriverUnload routine, so Windows cannot unload it", service);
        if (status)
            *status = STATUS_INVALID_DEVICE_REQUEST;
        goto out;
    }
    EMU_AS(d->comp, d->obj.DriverUnload(&d->obj));
    emu_log(m, "pnpbox: %s: DriverUnload returned", service);
    d->loaded = 0;
    unload_checks(m, d);
    if (status)
        *status = STATUS_SUCCESS;
out:
    emu_unlock(m);
    return rc;
}

/* ---------------------------------------------------------------- sending PnP IRPs */

static NTSTATUS sender_done(PDEVICE_OBJECT dev, PIRP irp, PVOID ctx)
{
    (void)dev;
    (void)irp;
    *(volatile int *)ctx = 1;
    return STATUS_MORE_PROCESSING_REQUIRED;
}

NTSTATUS emu_pnp_send(emu_devnode *dn, UCHAR minor, const IO_STACK_LOCATION *params, ULONG_PTR *info)
{
    pnpbox_machine *m = dn->m;
    PDEVICE_OBJECT top = IoGetAttachedDeviceReference(dn->pdo);
    if (!top)
        return STATUS_NO_SUCH_DEVICE;
    PIRP irp = IoAllocateIrp((CCHAR)(top->StackSize + 1), FALSE);
    if (!irp) {
        ObDereferenceObject(top);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    /* The sender's own location, then the first driver's. */
    irp->CurrentLocation--;
    irp->Tail.Overlay.CurrentStackLocation--;
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED; /* required for PnP IRPs */
    irp->IoStatus.Information = 0;
    PIO_STACK_LOCATION s = IoGetNextIrpStackLocation(irp);
    if (params)
        *s = *params;
    s->MajorFunction = IRP_MJ_PNP;
    s->MinorFunction = minor;
    volatile int done = 0;
    IoSetCompletionRoutine(irp, sender_done, (PVOID)&done, TRUE, TRUE, TRUE);
    NTSTATUS st = IofCallDriver(top, irp);
    for (int i = 0; i < 1000 && !done; i++)
        if (emu_work_run_pending(m) == 0)
            break;
    if (!done) {
        emu_log(m, "pnpbox: error: %s: PnP IRP 0x%02x was pended (%s) and never completed", dn->instance, minor,
                emu_status_name(st));
        ObDereferenceObject(top);
        /* The IRP stays owned by the driver that pended it. */
        return STATUS_UNSUCCESSFUL;
    }
    st = irp->IoStatus.Status;
    if (info)
        *info = irp->IoStatus.Information;
    IoFreeIrp(irp);
    ObDereferenceObject(top);
    return st;
}

/* ---------------------------------------------------------------- lifecycle */

/* Load (if needed) and AddDevice each driver of the stack: lower filters, function driver, upper filters. */
static NTSTATUS build_stack(pnpbox_machine *m, emu_devnode *dn)
{
    char lower[8][256], upper[8][256], svc[1][256];
    int nl = msz_list(m->reg, dn->key, "LowerFilters", lower, 8);
    int nu = msz_list(m->reg, dn->key, "UpperFilters", upper, 8);
    int ns = msz_list(m->reg, dn->key, "Service", svc, 1);
    const char *order[17];
    int n = 0;
    for (int i = 0; i < nl; i++)
        order[n++] = lower[i];
    if (ns)
        order[n++] = svc[0];
    for (int i = 0; i < nu; i++)
        order[n++] = upper[i];
    if (!ns) {
        emu_set_error(m, "device '%s' has no Service (no driver installed): it stays without a function driver",
                      dn->instance);
        dn->problem = 28; /* CM_PROB_FAILED_INSTALL */
        return STATUS_NO_SUCH_DEVICE;
    }
    for (int i = 0; i < n; i++) {
        emu_driver *d = emu_driver_find(m, order[i]);
        if (!d || !d->entry) {
            emu_set_error(m, "device '%s' needs driver '%s', but no code is registered for it", dn->instance,
                          order[i]);
            dn->problem = 31; /* CM_PROB_FAILED_ADD */
            return STATUS_DRIVER_UNABLE_TO_LOAD;
        }
        if (!d->loaded) {
            int32_t st = 0;
            if (pnpbox_driver_load(m, order[i], &st) < 0 || !NT_SUCCESS(st)) {
                dn->problem = 37; /* CM_PROB_FAILED_DRIVER_ENTRY */
                dn->problem_status = st;
                return st ? st : STATUS_DRIVER_UNABLE_TO_LOAD;
            }
        }
        if (!d->ext.AddDevice) {
            emu_set_error(m, "driver '%s' set no AddDevice routine in DriverEntry", order[i]);
            dn->problem = 31;
            return STATUS_INVALID_DEVICE_REQUEST;
        }
        NTSTATUS st;
        PB_DEBUG(PB_CH_PNP, "AddDevice(%s, %s)", order[i], dn->instance);
        EMU_AS(d->comp, st = d->ext.AddDevice(&d->obj, dn->pdo));
        emu_log(m, "pnpbox: %s: AddDevice(%s) returned %s", order[i], dn->instance, emu_status_name(st));
        if (!NT_SUCCESS(st)) {
            dn->problem = 31;
            dn->problem_status = st;
            return st;
        }
        PDEVICE_OBJECT top = IoGetAttachedDevice(dn->pdo);
        if (top->Flags & DO_DEVICE_INITIALIZING)
            emu_log(m, "pnpbox: warning: %s did not clear DO_DEVICE_INITIALIZING in AddDevice", order[i]);
    }
    return STATUS_SUCCESS;
}

int pnpbox_device_start(pnpbox_machine *m, const char *instance, int32_t *status)
{
    if (!m || !instance)
        return -EINVAL;
    if (emu_failfast_stopped(m))
        return -ECANCELED; /* the message names the violation */
    emu_lock(m);
    emu_devnode *dn;
    int rc = emu_devnode_attach(m, instance, &dn);
    if (rc < 0)
        goto out;
    if (dn->state == EMU_DN_STARTED) {
        if (status)
            *status = STATUS_SUCCESS;
        goto out;
    }
    dn->problem = 0;
    dn->problem_status = 0;
    NTSTATUS st = STATUS_SUCCESS;
    if (!dn->pdo->AttachedDevice)
        st = build_stack(m, dn);
    if (NT_SUCCESS(st)) {
        IO_STACK_LOCATION p = {0};
        dn->arrivals_held = 1;
        st = emu_pnp_send(dn, IRP_MN_START_DEVICE, &p, NULL);
        emu_log(m, "pnpbox: %s: IRP_MN_START_DEVICE completed with %s", dn->instance, emu_status_name(st));
        dn->arrivals_held = 0;
        if (NT_SUCCESS(st)) {
            dn->state = EMU_DN_STARTED;
            emu_iface_devnode_started(dn);
        } else {
            dn->problem = 10; /* CM_PROB_FAILED_START */
            dn->problem_status = st;
        }
    }
    if (!NT_SUCCESS(st)) {
        dn->state = EMU_DN_FAILED;
        /* A failed start removes what was built (Windows sends REMOVE to the stack). */
        if (dn->pdo && dn->pdo->AttachedDevice) {
            IO_STACK_LOCATION p = {0};
            emu_pnp_send(dn, IRP_MN_REMOVE_DEVICE, &p, NULL);
        }
        emu_iface_devnode_removed(dn);
    }
    if (status)
        *status = st;
out:
    emu_unlock(m);
    return rc;
}

int pnpbox_device_remove(pnpbox_machine *m, const char *instance, int surprise, int32_t *status)
{
    if (!m || !instance)
        return -EINVAL;
    if (emu_failfast_stopped(m))
        return -ECANCELED; /* the message names the violation */
    emu_lock(m);
    emu_devnode *dn = emu_devnode_find(m, instance);
    int rc = 0;
    NTSTATUS st = STATUS_SUCCESS;
    if (!dn || dn->state != EMU_DN_STARTED) {
        emu_set_error(m, "device '%s' is not started", instance);
        rc = -ENOENT;
        goto out;
    }
    IO_STACK_LOCATION p = {0};
    if (!surprise) {
        st = emu_pnp_send(dn, IRP_MN_QUERY_REMOVE_DEVICE, &p, NULL);
        emu_log(m, "pnpbox: %s: IRP_MN_QUERY_REMOVE_DEVICE completed with %s", instance, emu_status_name(st));
        if (!NT_SUCCESS(st)) {
            emu_pnp_send(dn, IRP_MN_CANCEL_REMOVE_DEVICE, &p, NULL);
            goto done;
        }
    } else {
        st = emu_pnp_send(dn, IRP_MN_SURPRISE_REMOVAL, &p, NULL);
        emu_log(m, "pnpbox: %s: IRP_MN_SURPRISE_REMOVAL completed with %s", instance, emu_status_name(st));
    }
    st = emu_pnp_send(dn, IRP_MN_REMOVE_DEVICE, &p, NULL);
    emu_log(m, "pnpbox: %s: IRP_MN_REMOVE_DEVICE completed with %s", instance, emu_status_name(st));
    if (dn->pdo && dn->pdo->AttachedDevice)
        emu_log(m, "pnpbox: error: %s: after IRP_MN_REMOVE_DEVICE a device is still attached to the PDO "
                   "(IoDetachDevice + IoDeleteDevice in the remove handler)",
                instance);
    dn->state = EMU_DN_REMOVED;
    emu_iface_devnode_removed(dn);
done:
    if (status)
        *status = st;
out:
    emu_unlock(m);
    return rc;
}

int pnpbox_device_state(pnpbox_machine *m, const char *instance, int *started, uint32_t *problem)
{
    if (!m || !instance)
        return -EINVAL;
    emu_lock(m);
    emu_devnode *dn = emu_devnode_find(m, instance);
    if (started)
        *started = dn && dn->state == EMU_DN_STARTED;
    if (problem)
        *problem = dn ? dn->problem : 0;
    emu_unlock(m);
    return dn ? 0 : -ENOENT;
}

/* ---------------------------------------------------------------- devnode creation (no INF) */

int pnpbox_devnode_create(pnpbox_machine *m, const char *instance, const char *hwids, const char *service,
                          const char *class_guid)
{
    if (!m || !instance || !*instance || !hwids || !*hwids)
        return -EINVAL;
    /* enumerator\device\instance: exactly three components. */
    const char *a = strchr(instance, '\\'), *b = a ? strchr(a + 1, '\\') : NULL;
    if (!a || !b || strchr(b + 1, '\\') || a == instance || b == a + 1 || !b[1]) {
        emu_set_error(m, "device instance '%s' must be ENUMERATOR\\DEVICE\\INSTANCE", instance);
        return -EINVAL;
    }
    emu_lock(m);
    int rc = regdb_begin(m->reg);
    regdb_key k;
    char rel[1024];
    snprintf(rel, sizeof rel, "Enum\\%s", instance);
    if (rc == 0)
        rc = emu_ccs_create(m, rel, 0, &k);
    /* HardwareID: a REG_MULTI_SZ from a ';'-separated list. */
    if (rc == 0) {
        char *ids = strdup(hwids);
        uint16_t *w[16];
        int n = 0;
        char *save = NULL;
        for (char *t = ids ? strtok_r(ids, ";", &save) : NULL; t && n < 16; t = strtok_r(NULL, ";", &save))
            if ((w[n] = pb_wcs_from_utf8(t)))
                n++;
        rc = ids ? regdb_set_multi_sz(m->reg, k, (const uint16_t *)L"HardwareID", (const uint16_t *const *)w, (size_t)n)
                 : REGDB_E_NOMEM;
        for (int i = 0; i < n; i++)
            free(w[i]);
        free(ids);
    }
    if (rc == 0)
        rc = regdb_set_dword(m->reg, k, (const uint16_t *)L"ConfigFlags", 0);
    if (rc == 0 && service) {
        uint16_t *w = pb_wcs_from_utf8(service);
        rc = w ? regdb_set_sz(m->reg, k, (const uint16_t *)L"Service", w) : REGDB_E_NOMEM;
        free(w);
    }
    if (rc == 0 && class_guid) {
        uint16_t *w = pb_wcs_from_utf8(class_guid);
        rc = w ? regdb_set_sz(m->reg, k, (const uint16_t *)L"ClassGUID", w) : REGDB_E_NOMEM;
        free(w);
    }
    if (rc == 0)
        rc = regdb_commit(m->reg);
    else if (regdb_in_transaction(m->reg))
        regdb_rollback(m->reg);
    if (rc < 0)
        emu_set_error(m, "cannot create device '%s': %s", instance, regdb_strerror(rc));
    emu_unlock(m);
    return rc < 0 ? -EIO : 0;
}

/* ---------------------------------------------------------------- teardown and reboot */

static void shutdown_all(pnpbox_machine *m)
{
    emu_pnp *p = m->pnp;
    for (emu_devnode *dn = p->devnodes; dn; dn = dn->next)
        if (dn->state == EMU_DN_STARTED) {
            int32_t st;
            pnpbox_device_remove(m, dn->instance, 0, &st);
        }
    for (emu_driver *d = p->drivers; d; d = d->next)
        if (d->loaded && !d->is_bus) {
            int32_t st;
            pnpbox_driver_unload(m, d->service, &st);
        }
}

void emu_symlinks_free(emu_pnp *p);
void emu_devobjs_free(emu_pnp *p); /* k_io.c */

void emu_pnp_free(pnpbox_machine *m)
{
    emu_pnp *p = m->pnp;
    if (!p)
        return;
    shutdown_all(m);
    for (emu_devnode *dn = p->devnodes, *nx; dn; dn = nx) {
        nx = dn->next;
        if (dn->pdo)
            EMU_AS(p->bus ? p->bus->comp : NULL, IoDeleteDevice(dn->pdo));
        free(dn->instance);
        free(dn);
    }
    for (emu_notify *n = p->notifies, *nx; n; n = nx) {
        nx = n->next;
        free(n);
    }
    /* Device objects drivers failed to delete are freed with them (and deleted ones
     * a leftover attachment still held). */
    emu_devobjs_free(p);
    for (emu_driver *d = p->drivers, *nx; d; d = nx) {
        nx = d->next;
        if (d->dl)
            dlclose(d->dl);
        free(d->service);
        free(d->wservice);
        free(d->wregpath);
        free(d->wdrvname);
        free(d->image_vpath);
        free(d->image_nt);
        free(d->so_path);
        free(d);
    }
    emu_symlinks_free(p);
    free(p);
    m->pnp = NULL;
}

/* Stop every device and unload every driver; the caller clears volatile state; then start again. */
int emu_pnp_reboot(pnpbox_machine *m)
{
    emu_pnp *p = m->pnp;
    if (!p)
        return 0;
    char *started[64];
    int n = 0;
    for (emu_devnode *dn = p->devnodes; dn && n < 64; dn = dn->next)
        if (dn->state == EMU_DN_STARTED)
            started[n++] = strdup(dn->instance);
    shutdown_all(m);
    /* Devices come back after the registry's volatile state is reset (pnpbox_reboot). */
    for (emu_devnode *dn = p->devnodes; dn; dn = dn->next) {
        if (dn->pdo)
            EMU_AS(p->bus ? p->bus->comp : NULL, IoDeleteDevice(dn->pdo));
        dn->pdo = NULL;
        dn->state = EMU_DN_INITIALIZED;
    }
    p->reboot_pending = n;
    free(p->reboot_list);
    p->reboot_list = calloc((size_t)n + 1, sizeof(char *));
    for (int i = 0; i < n; i++) {
        if (p->reboot_list)
            p->reboot_list[i] = started[i];
        else
            free(started[i]);
    }
    return 0;
}

int emu_pnp_boot(pnpbox_machine *m)
{
    emu_pnp *p = m->pnp;
    if (!p || !p->reboot_list)
        return 0;
    for (int i = 0; i < p->reboot_pending; i++) {
        int32_t st;
        if (p->reboot_list[i])
            pnpbox_device_start(m, p->reboot_list[i], &st);
        free(p->reboot_list[i]);
    }
    free(p->reboot_list);
    p->reboot_list = NULL;
    p->reboot_pending = 0;
    return 0;
}
