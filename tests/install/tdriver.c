/*
 * tdriver.c: the install suite's linked-in WDM driver and its package
 * (see tdriver.h).  The driver is an ordinary PnP function driver: it
 * attaches in AddDevice, reads its INF-provisioned Parameters and
 * registers its interface when it starts, and detaches on removal.
 */
#include <ntddk.h>
#include <initguid.h>

#include "tests/install/tdriver.h"
#include "tests/install/tinst.h"

#include "base/pb_utf16.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

td_seen td;

DEFINE_GUID(TD_IFACE, 0x0badc0de, 0x1111, 0x4222, 0x83, 0x33, 0x94, 0x44, 0x55, 0x55, 0x66, 0x66);

typedef struct {
    PDEVICE_OBJECT lower, pdo;
    UNICODE_STRING link;
} EXT;

static void ustr_u8(const UNICODE_STRING *u, char *out, size_t cap)
{
    char *s = u && u->Buffer ? pb_utf8_from_wcs((const uint16_t *)u->Buffer, u->Length / 2) : NULL;
    snprintf(out, cap, "%s", s ? s : "");
    free(s);
}

static void read_level(PDRIVER_OBJECT drv)
{
    HANDLE k;
    NTSTATUS st = IoOpenDriverRegistryKey(drv, DriverRegKeyParameters, KEY_READ, 0, &k);
    if (NT_SUCCESS(st)) {
        UNICODE_STRING name;
        RtlInitUnicodeString(&name, L"Level");
        UCHAR buf[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + 8];
        ULONG len = 0;
        st = ZwQueryValueKey(k, &name, KeyValuePartialInformation, buf, sizeof buf, &len);
        PKEY_VALUE_PARTIAL_INFORMATION p = (PKEY_VALUE_PARTIAL_INFORMATION)buf;
        if (NT_SUCCESS(st) && p->Type == REG_DWORD && p->DataLength == 4)
            memcpy(&td.level, p->Data, 4);
        ZwClose(k);
    }
    td.level_status = st;
}

static NTSTATUS Dispatch(PDEVICE_OBJECT dev, PIRP irp)
{
    EXT *x = dev->DeviceExtension;
    PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);
    NTSTATUS st;
    if (s->MajorFunction != IRP_MJ_PNP) {
        IoSkipCurrentIrpStackLocation(irp);
        return IoCallDriver(x->lower, irp);
    }
    switch (s->MinorFunction) {
    case IRP_MN_START_DEVICE:
        td.start++;
        if (!IoForwardIrpSynchronously(x->lower, irp) || !NT_SUCCESS(irp->IoStatus.Status)) {
            st = irp->IoStatus.Status;
            IoCompleteRequest(irp, IO_NO_INCREMENT);
            return st;
        }
        read_level(dev->DriverObject);
        {
            UNICODE_STRING path = {0};
            if (NT_SUCCESS(IoQueryFullDriverPath(dev->DriverObject, &path))) {
                ustr_u8(&path, td.image, sizeof td.image);
                ExFreePool(path.Buffer);
            }
        }
        td.iface_status = IoRegisterDeviceInterface(x->pdo, &TD_IFACE, NULL, &x->link);
        if (NT_SUCCESS(td.iface_status)) {
            ustr_u8(&x->link, td.link, sizeof td.link);
            IoSetDeviceInterfaceState(&x->link, TRUE);
        }
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
    case IRP_MN_QUERY_REMOVE_DEVICE:
        td.query_remove++;
        if (td.veto_remove) {
            irp->IoStatus.Status = STATUS_UNSUCCESSFUL;
            IoCompleteRequest(irp, IO_NO_INCREMENT);
            return STATUS_UNSUCCESSFUL;
        }
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(irp);
        return IoCallDriver(x->lower, irp);
    case IRP_MN_REMOVE_DEVICE:
        td.remove++;
        if (x->link.Buffer) {
            IoSetDeviceInterfaceState(&x->link, FALSE);
            RtlFreeUnicodeString(&x->link);
        }
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(irp);
        st = IoCallDriver(x->lower, irp);
        IoDetachDevice(x->lower);
        IoDeleteDevice(dev);
        return st;
    default:
        IoSkipCurrentIrpStackLocation(irp);
        return IoCallDriver(x->lower, irp);
    }
}

static NTSTATUS AddDevice(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo)
{
    td.add++;
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

static void Unload(PDRIVER_OBJECT drv)
{
    (void)drv;
    td.unload++;
}

int32_t td_entry(void *driver_object, void *registry_path)
{
    PDRIVER_OBJECT drv = driver_object;
    td.entry++;
    ustr_u8(registry_path, td.regpath, sizeof td.regpath);
    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        drv->MajorFunction[i] = Dispatch;
    drv->DriverExtension->AddDevice = AddDevice;
    drv->DriverUnload = Unload;
    return STATUS_SUCCESS;
}

static const char e2e_fmt[] = "[Version]\n"
                              "Signature=\"$Windows NT$\"\n"
                              "Class=E2EClass\n"
                              "ClassGuid=%s\n"
                              "Provider=%%Prov%%\n"
                              "DriverVer=%s\n"
                              "PnpLockdown=1\n"
                              "[Manufacturer]\n"
                              "%%Prov%%=Models,NTamd64\n"
                              "[Models.NTamd64]\n"
                              "%%Desc%%=E2E_Inst,ROOT\\E2E\n"
                              "[E2E_Inst.NT]\n"
                              "CopyFiles=Drv\n"
                              "[E2E_Inst.NT.Services]\n"
                              "AddService=e2edrv,0x2,Svc\n"
                              "[E2E_Inst.NT.Interfaces]\n"
                              "AddInterface=" TD_IFACE_GUID "\n"
                              "[Svc]\n"
                              "ServiceType=1\n"
                              "StartType=3\n"
                              "ErrorControl=1\n"
                              "ServiceBinary=%%13%%\\e2edrv.sys\n"
                              "AddReg=Svc.Reg\n"
                              "[Svc.Reg]\n"
                              "HKR,Parameters,Level,0x00010001,5\n"
                              "[Drv]\n"
                              "e2edrv.sys\n"
                              "[DestinationDirs]\n"
                              "DefaultDestDir=13\n"
                              "[SourceDisksNames]\n"
                              "1=%%Disk%%\n"
                              "[SourceDisksFiles]\n"
                              "e2edrv.sys=1\n"
                              "[Strings]\n"
                              "Prov=\"Fabrikam\"\n"
                              "Desc=\"End-to-end device\"\n"
                              "Disk=\"Disk\"\n";

char *td_pkg_class(const char *sub, const char *ver, const char *sys, const char *class_guid)
{
    char text[4096], dir[4096];
    snprintf(text, sizeof text, e2e_fmt, class_guid, ver);
    snprintf(dir, sizeof dir, "%s/%s", ti_dir, sub);
    ti_write(dir, "e2edrv.sys", sys, strlen(sys));
    return ti_write_inf(dir, "e2e.inf", text, TI_UTF16LE);
}

char *td_pkg(const char *sub, const char *ver, const char *sys)
{
    return td_pkg_class(sub, ver, sys, "{5e2e0000-aaaa-4bbb-8ccc-0123456789ab}");
}
