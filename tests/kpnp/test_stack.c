/*
 * test_stack.c: device objects in a stack of several drivers: a lower
 * filter (stklf) below a function driver (stkfn) on ROOT\STACK\0000.
 * Attaching takes a reference on the device attached to, IoDetachDevice
 * drops it, and IoDeleteDevice frees a device object only when no
 * reference remains, so the WDK remove order ("pass IRP_MN_REMOVE_DEVICE
 * down, IoDetachDevice, IoDeleteDevice" in every driver) never reads freed
 * memory: the filter deletes its device while the function driver is still
 * attached to it.  Run under ASan (make asan), a use after free or a leak
 * here fails the suite.
 */
#include <ntddk.h>

#include "emu/pnp.h"
#include "pnpbox/pnpbox.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define INSTANCE "ROOT\\STACK\\0000"

static pnpbox_machine *m;

typedef struct {
    PDEVICE_OBJECT lower;
} EXT;

/* What the drivers did and saw, for the assertions. */
static struct {
    PDEVICE_OBJECT pdo, filter, fdo;
    int filter_skip_detach;   /* the filter deletes its device without IoDetachDevice */
    int filter_keep;          /* the filter neither detaches nor deletes */
    int fdo_keep;             /* the function driver neither detaches nor deletes */
    int fn_removed;           /* stkfn's REMOVE handler ran to its end */
    /* In stkfn's REMOVE handler, after passing the IRP down: the filter's device. */
    int filter_type_after_down;
    LONG filter_refs_after_down;
    PDEVICE_OBJECT filter_above_after_down;
    LONG pdo_refs_after_down;
} seen;

static NTSTATUS pass_down(PDEVICE_OBJECT dev, PIRP irp)
{
    EXT *x = dev->DeviceExtension;
    IoSkipCurrentIrpStackLocation(irp);
    return IoCallDriver(x->lower, irp);
}

static NTSTATUS remove_device(PDEVICE_OBJECT dev, PIRP irp, int keep, int skip_detach)
{
    EXT *x = dev->DeviceExtension;
    PDEVICE_OBJECT lower = x->lower;
    irp->IoStatus.Status = STATUS_SUCCESS;
    IoSkipCurrentIrpStackLocation(irp);
    NTSTATUS st = IoCallDriver(lower, irp);
    if (dev == seen.fdo) {
        /* The filter below has deleted its device: it must still be there, held by our attachment. */
        seen.filter_type_after_down = seen.filter->Type;
        seen.filter_refs_after_down = seen.filter->ReferenceCount;
        seen.filter_above_after_down = seen.filter->AttachedDevice;
        seen.pdo_refs_after_down = seen.pdo->ReferenceCount;
    }
    if (!keep) {
        if (!skip_detach)
            IoDetachDevice(lower);
        IoDeleteDevice(dev);
    }
    if (dev == seen.fdo)
        seen.fn_removed = 1;
    return st;
}

static NTSTATUS fn_pnp(PDEVICE_OBJECT dev, PIRP irp)
{
    PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);
    if (s->MinorFunction == IRP_MN_REMOVE_DEVICE)
        return remove_device(dev, irp, seen.fdo_keep, 0);
    if (s->MinorFunction == IRP_MN_START_DEVICE || s->MinorFunction == IRP_MN_QUERY_REMOVE_DEVICE)
        irp->IoStatus.Status = STATUS_SUCCESS;
    return pass_down(dev, irp);
}

static NTSTATUS lf_pnp(PDEVICE_OBJECT dev, PIRP irp)
{
    PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);
    if (s->MinorFunction == IRP_MN_REMOVE_DEVICE)
        return remove_device(dev, irp, seen.filter_keep, seen.filter_skip_detach);
    return pass_down(dev, irp);
}

static NTSTATUS add(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo, PDEVICE_OBJECT *out)
{
    PDEVICE_OBJECT dev;
    NTSTATUS st = IoCreateDevice(drv, sizeof(EXT), NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &dev);
    if (!NT_SUCCESS(st))
        return st;
    EXT *x = dev->DeviceExtension;
    x->lower = IoAttachDeviceToDeviceStack(dev, pdo);
    if (!x->lower) {
        IoDeleteDevice(dev);
        return STATUS_NO_SUCH_DEVICE;
    }
    seen.pdo = pdo;
    *out = dev;
    dev->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static NTSTATUS fn_add(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo) { return add(drv, pdo, &seen.fdo); }
static NTSTATUS lf_add(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo) { return add(drv, pdo, &seen.filter); }

static void Unload(PDRIVER_OBJECT drv) { (void)drv; }

static NTSTATUS fn_entry(PDRIVER_OBJECT drv, PUNICODE_STRING path)
{
    (void)path;
    drv->DriverExtension->AddDevice = fn_add;
    drv->MajorFunction[IRP_MJ_PNP] = fn_pnp;
    drv->DriverUnload = Unload;
    return STATUS_SUCCESS;
}

static NTSTATUS lf_entry(PDRIVER_OBJECT drv, PUNICODE_STRING path)
{
    (void)path;
    drv->DriverExtension->AddDevice = lf_add;
    drv->MajorFunction[IRP_MJ_PNP] = lf_pnp;
    drv->DriverUnload = Unload;
    return STATUS_SUCCESS;
}

static void make_service(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "Services\\%s", name);
    regdb_key k;
    cr_assert_eq(emu_ccs_create(m, rel, 0, &k), 0);
    cr_assert_eq(regdb_set_dword(m->reg, k, (const uint16_t *)L"Type", 1), 0);
    cr_assert_eq(regdb_set_dword(m->reg, k, (const uint16_t *)L"Start", 3), 0);
}

static void setup(void)
{
    memset(&seen, 0, sizeof seen);
    cr_assert_eq(pnpbox_machine_new(NULL, &m), 0);
    make_service("stkfn");
    make_service("stklf");
    cr_assert_eq(pnpbox_devnode_create(m, INSTANCE, "Root\\Stack", "stkfn", "{4d36e97d-e325-11ce-bfc1-08002be10318}"),
                 0);
    regdb_key k;
    cr_assert_eq(emu_ccs_open(m, "Enum\\" INSTANCE, &k), 0);
    const uint16_t *filters[] = {(const uint16_t *)L"stklf"};
    cr_assert_eq(regdb_set_multi_sz(m->reg, k, (const uint16_t *)L"LowerFilters", filters, 1), 0);
    cr_assert_eq(pnpbox_driver_register(m, "stkfn", (pnpbox_driver_entry_fn)fn_entry), 0);
    cr_assert_eq(pnpbox_driver_register(m, "stklf", (pnpbox_driver_entry_fn)lf_entry), 0);
}

static void teardown(void) { pnpbox_machine_free(m); }

TestSuite(kpnp_stack, .init = setup, .fini = teardown);

static int log_has(const char *text)
{
    for (size_t i = 0; i < pnpbox_log_count(m); i++)
        if (strstr(pnpbox_log_get(m, i), text))
            return 1;
    return 0;
}

static void start(void)
{
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_start(m, INSTANCE, &st), 0, "%s", pnpbox_errmsg(m));
    cr_assert_eq(st, STATUS_SUCCESS);
    cr_assert_not_null(seen.filter);
    cr_assert_not_null(seen.fdo);
    cr_assert_eq(seen.pdo->AttachedDevice, seen.filter, "the filter is attached to the PDO");
    cr_assert_eq(seen.filter->AttachedDevice, seen.fdo, "the function driver above the filter");
}

Test(kpnp_stack, attaching_references_the_device_below)
{
    start();
    cr_assert_eq(seen.pdo->ReferenceCount, 1, "the filter's attachment holds the PDO");
    cr_assert_eq(seen.filter->ReferenceCount, 1, "the function driver's attachment holds the filter's device");
    cr_assert_eq(seen.fdo->ReferenceCount, 0, "nothing is attached above the top of the stack");
}

Test(kpnp_stack, wdk_remove_order_is_clean)
{
    start();
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_remove(m, INSTANCE, 0, &st), 0, "%s", pnpbox_errmsg(m));
    cr_assert_eq(st, STATUS_SUCCESS);
    cr_assert(seen.fn_removed, "the function driver's REMOVE handler did not finish");
    /* The filter had deleted its device when the IRP came back up, and it was still a device object. */
    cr_assert_eq(seen.filter_type_after_down, IO_TYPE_DEVICE, "the filter's device was freed while still attached to");
    cr_assert_eq(seen.filter_refs_after_down, 1, "the function driver's attachment holds the deleted device");
    cr_assert_eq(seen.filter_above_after_down, seen.fdo);
    cr_assert_eq(seen.pdo_refs_after_down, 0, "the filter detached from the PDO");
    int started = -1;
    cr_assert_eq(pnpbox_device_state(m, INSTANCE, &started, NULL), 0);
    cr_assert_eq(started, 0);
    cr_assert_eq(pnpbox_driver_unload(m, "stkfn", &st), 0, "%s", pnpbox_errmsg(m));
    cr_assert_eq(pnpbox_driver_unload(m, "stklf", &st), 0, "%s", pnpbox_errmsg(m));
    for (size_t i = 0; i < pnpbox_log_count(m); i++) {
        const char *l = pnpbox_log_get(m, i);
        cr_assert_null(strstr(l, "BUG CHECK"), "%s", l);
        cr_assert_null(strstr(l, "error"), "%s", l);
        cr_assert_null(strstr(l, "while still attached: call IoDetachDevice first"), "%s", l);
    }
    cr_assert(log_has("IoDeleteDevice of a device another device is still attached to"),
              "the filter deleted its device under the function driver's; pnpbox says it waits for the detach");
}

Test(kpnp_stack, the_stack_can_start_again_after_a_remove)
{
    start();
    int32_t st;
    cr_assert_eq(pnpbox_device_remove(m, INSTANCE, 0, &st), 0);
    memset(&seen, 0, sizeof seen);
    start();
    cr_assert_eq(pnpbox_device_remove(m, INSTANCE, 1, &st), 0, "surprise removal, the same order");
    cr_assert(seen.fn_removed);
    cr_assert_eq(seen.filter_type_after_down, IO_TYPE_DEVICE);
}

/* A device deleted while referenced stays a device object until the last ObDereferenceObject. */
Test(kpnp_stack, a_deleted_device_lives_until_its_last_reference)
{
    start();
    PDEVICE_OBJECT extra;
    pnpbox_component *prev = pnpbox_enter(pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "stkfn"));
    cr_assert_eq(IoCreateDevice(seen.fdo->DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &extra),
                 STATUS_SUCCESS);
    ObReferenceObject(extra);
    IoDeleteDevice(extra);
    cr_assert_eq(extra->Type, IO_TYPE_DEVICE, "freed while referenced");
    for (PDEVICE_OBJECT d = seen.fdo->DriverObject->DeviceObject; d; d = d->NextDevice)
        cr_assert_neq(d, extra, "a deleted device is no longer on its driver's list");
    ObDereferenceObject(extra); /* the last reference: freed now (ASan reports a leak otherwise) */
    pnpbox_enter(prev);
}

/* A filter that deletes its device without detaching: the PDO is not left pointing at freed memory. */
Test(kpnp_stack, deleting_without_detaching_detaches)
{
    seen.filter_skip_detach = 1;
    start();
    int32_t st;
    cr_assert_eq(pnpbox_device_remove(m, INSTANCE, 0, &st), 0);
    cr_assert(seen.fn_removed);
    cr_assert(log_has("while still attached: call IoDetachDevice first"), "the missing detach is reported");
    cr_assert_eq(pnpbox_driver_unload(m, "stkfn", &st), 0, "%s", pnpbox_errmsg(m));
    cr_assert_eq(pnpbox_driver_unload(m, "stklf", &st), 0, "%s", pnpbox_errmsg(m));
}

/* Drivers that leave their devices attached: the machine's teardown frees the whole stack. */
Test(kpnp_stack, teardown_frees_a_stack_left_attached)
{
    seen.filter_keep = 1;
    seen.fdo_keep = 1;
    start();
    int32_t st;
    cr_assert_eq(pnpbox_device_remove(m, INSTANCE, 0, &st), 0);
    cr_assert(log_has("still attached to the PDO"), "the leftover stack is reported");
}

/* Only the filter keeps its device: the function driver's detach leaves it referenced by nobody. */
Test(kpnp_stack, teardown_frees_a_filter_left_attached)
{
    seen.filter_keep = 1;
    start();
    int32_t st;
    cr_assert_eq(pnpbox_device_remove(m, INSTANCE, 0, &st), 0);
    cr_assert_eq(seen.filter->ReferenceCount, 0, "the function driver detached from it");
    cr_assert_eq(seen.pdo->AttachedDevice, seen.filter);
}
