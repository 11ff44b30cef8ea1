/*
 * rc_kiface.c: kernel-mode device-interface snippets of the corpus:
 * finding another package's interface (IFACE-NO-NOTIFICATION) and
 * importing a driver interface with IRP_MN_QUERY_INTERFACE from the
 * driver below (IFACE-CONTRACT, broken by the exporter rcqiexp; the
 * importer rcqi runs the snippet).  k_twin_* do the same the documented
 * way.
 */
#include <ntddk.h>
#include <initguid.h>
#include <wdmguid.h>

#include "tests/rules/rc_guids.h"
#include "tests/rules/rc_kernel.h"

#include <stdio.h>
#include <string.h>

/* The first link of a REG_MULTI_SZ-style list as text in out. */
static void first_link(PCWSTR list, char *out, size_t cap)
{
    size_t o = 0;
    for (; list && *list && o + 1 < cap; list++)
        out[o++] = *list < 0x80 ? (char)*list : '?';
    out[o] = 0;
}

/* ---------------------------------------------------------------- IFACE-NO-NOTIFICATION */

/* rcdrv lists rcother's interfaces once, at start, and would never see one that arrives later. */
RC_SNIPPET(k_nonotify_list_interfaces)
{
    PZZWSTR list = NULL;
    RC_BEFORE(x);
    NTSTATUS st = IoGetDeviceInterfaces(&GUID_RC_OTHER_IFACE, NULL, 0, &list);
    RC_AFTER(x, st);
    if (!NT_SUCCESS(st))
        return;
    first_link(list, x->out, sizeof x->out);
    ExFreePool(list);
    x->done = 1;
}

static NTSTATUS on_interface(PVOID notification, PVOID context)
{
    PDEVICE_INTERFACE_CHANGE_NOTIFICATION n = notification;
    rc_ctx *x = context;
    if (IsEqualGUID(&n->Event, &GUID_DEVICE_INTERFACE_ARRIVAL) && !x->out[0] && n->SymbolicLinkName)
        first_link(n->SymbolicLinkName->Buffer, x->out, sizeof x->out);
    return STATUS_SUCCESS;
}

/* Isolated: register for arrivals (existing ones included) first, then list. */
RC_SNIPPET(k_twin_register_then_list)
{
    PVOID entry = NULL;
    NTSTATUS st = IoRegisterPlugPlayNotification(EventCategoryDeviceInterfaceChange,
                                                 PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES,
                                                 (PVOID)&GUID_RC_OTHER_IFACE, RC_DRIVER, on_interface, x, &entry);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    char seen[sizeof x->out];
    memcpy(seen, x->out, sizeof seen);
    PZZWSTR list = NULL;
    RC_BEFORE(x);
    st = IoGetDeviceInterfaces(&GUID_RC_OTHER_IFACE, NULL, 0, &list);
    RC_AFTER(x, st);
    if (NT_SUCCESS(st)) {
        first_link(list, x->out, sizeof x->out);
        ExFreePool(list);
        /* The arrival callback saw the same interface the list holds. */
        x->done = !strcmp(seen, x->out);
    }
    IoUnregisterPlugPlayNotificationEx(entry);
}

/* ---------------------------------------------------------------- IFACE-CONTRACT */

static NTSTATUS qi_done(PDEVICE_OBJECT dev, PIRP irp, PVOID ctx)
{
    (void)dev;
    (void)irp;
    *(volatile int *)ctx = 1;
    return STATUS_MORE_PROCESSING_REQUIRED; /* the IRP is ours again: we free it */
}

/*
 * rcqi asks the driver below it for version 1 of GUID_RC_QI, the way a
 * function driver imports a bus interface: an IRP of its own with a
 * completion routine, sent down with IoCallDriver.
 */

static void import_v1(rc_ctx *x, rc_qi_answer answer)
{
    rc_qi_set_answer(answer);
    PDEVICE_OBJECT lower = rc_qi_lower();
    /* Room for the exporter's version 2 too, so a too-large answer does not overrun the stack. */
    union {
        RC_QI_INTERFACE_V1 v1;
        RC_QI_INTERFACE_V2 v2;
    } itf;
    memset(&itf, 0, sizeof itf);
    PIRP irp = IoAllocateIrp(lower->StackSize, FALSE);
    if (!irp)
        return;
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    irp->IoStatus.Information = 0;
    PIO_STACK_LOCATION s = IoGetNextIrpStackLocation(irp);
    s->MajorFunction = IRP_MJ_PNP;
    s->MinorFunction = IRP_MN_QUERY_INTERFACE;
    s->Parameters.QueryInterface.InterfaceType = &GUID_RC_QI;
    s->Parameters.QueryInterface.Size = sizeof(RC_QI_INTERFACE_V1);
    s->Parameters.QueryInterface.Version = 1;
    s->Parameters.QueryInterface.Interface = &itf.v1.Interface;
    s->Parameters.QueryInterface.InterfaceSpecificData = NULL;
    volatile int done = 0;
    IoSetCompletionRoutine(irp, qi_done, (PVOID)&done, TRUE, TRUE, TRUE);
    RC_BEFORE(x);
    NTSTATUS st = IoCallDriver(lower, irp);
    if (done)
        st = irp->IoStatus.Status;
    RC_AFTER(x, st);
    IoFreeIrp(irp);
    if (!NT_SUCCESS(st))
        return;
    /* Use the interface, then drop the reference the exporter took for us. */
    if (itf.v1.GetLevel)
        snprintf(x->out, sizeof x->out, "Level=%u", (unsigned)itf.v1.GetLevel(itf.v1.Interface.Context));
    if (itf.v1.Interface.InterfaceDereference)
        itf.v1.Interface.InterfaceDereference(itf.v1.Interface.Context);
    x->done = 1;
}

RC_SNIPPET(k_qi_too_large) { import_v1(x, RC_QI_TOO_LARGE); }
RC_SNIPPET(k_qi_newer_version) { import_v1(x, RC_QI_NEWER_VERSION); }
RC_SNIPPET(k_qi_no_reference) { import_v1(x, RC_QI_NO_REFERENCE); }
RC_SNIPPET(k_twin_qi_good) { import_v1(x, RC_QI_GOOD); }
