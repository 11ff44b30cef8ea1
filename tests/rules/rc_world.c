/*
 * rc_world.c: the machine every corpus case runs on, and its drivers.
 *
 * Two driver packages are staged and installed from INFs written here:
 * rcdrv (device ROOT\RCDEV\0000, Parameters provisioned by the INF,
 * shipped rcdrv.ini, a Win32 service RcSvc and an application rcpanel.exe
 * in the same package) and rcother (device ROOT\RCOTHER\0000, which
 * registers an interface and publishes state the sanctioned ways: its
 * interface key, SharedState, SharedData and a company directory under
 * DriverData).  A third device, ROOT\RCQI\0000, stacks rcqi (function
 * driver) over rcqiexp (lower filter) for IRP_MN_QUERY_INTERFACE.  Each
 * driver does its usual isolated start work, so the lazily created state
 * (State keys, Data directories, Device Parameters) exists before a case
 * runs and an enforce-mode snapshot sees only what the snippet changed.
 *
 * The drivers are linked into the test; the pnpbox PnP manager runs them
 * as their components.  Snippets reach the drivers' objects through the
 * rc_* accessors of rc.h.
 */
#include <ntddk.h>
#include <initguid.h>

#include "pnpbox/criterion.h"
#include "pnpbox/store.h"
#include "pnpbox/usermode.h"
#include "tests/rules/rc.h"
#include "tests/rules/rc_guids.h"
#include "tests/rules/rc_kernel.h"
#include "tests/support/tsupport.h"

#include "emu/emu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- the packages */

/* The rcdrv package; %s is the DriverVer version. */
static const char rcdrv_inf[] = "[Version]\r\n"
                                "Signature=\"$WINDOWS NT$\"\r\n"
                                "Class=System\r\n"
                                "ClassGuid={4d36e97d-e325-11ce-bfc1-08002be10318}\r\n"
                                "Provider=%%Mfg%%\r\n"
                                "DriverVer=01/02/2026,%s\r\n"
                                "PnpLockdown=1\r\n"
                                "CatalogFile=rcdrv.cat\r\n"
                                "[DestinationDirs]\r\n"
                                "DefaultDestDir=13\r\n"
                                "[SourceDisksNames]\r\n"
                                "1=%%Disk%%\r\n"
                                "[SourceDisksFiles]\r\n"
                                "rcdrv.sys=1\r\n"
                                "rcdrv.ini=1\r\n"
                                "rcsvc.exe=1\r\n"
                                "rcsvc.cfg=1\r\n"
                                "rcpanel.exe=1\r\n"
                                "rcpanel.cfg=1\r\n"
                                "[Manufacturer]\r\n"
                                "%%Mfg%%=Models,NTamd64\r\n"
                                "[Models.NTamd64]\r\n"
                                "%%Dev%%=RcDrv_Install,Root\\RcDev\r\n"
                                "[RcDrv_Install.NT]\r\n"
                                "CopyFiles=RcDrv_Files\r\n"
                                "AddReg=RcDrv_Software\r\n"
                                "[RcDrv_Files]\r\n"
                                "rcdrv.sys\r\n"
                                "rcdrv.ini\r\n"
                                "rcsvc.exe\r\n"
                                "rcsvc.cfg\r\n"
                                "rcpanel.exe\r\n"
                                "rcpanel.cfg\r\n"
                                "[RcDrv_Install.NT.HW]\r\n"
                                "AddReg=RcDrv_Hardware\r\n"
                                "[RcDrv_Hardware]\r\n"
                                "HKR,,Setting,,\"fast\"\r\n"
                                "[RcDrv_Software]\r\n"
                                "HKR,,FriendlyLabel,,\"Contoso corpus device\"\r\n"
                                "[RcDrv_Install.NT.Services]\r\n"
                                "AddService=rcdrv,0x00000002,RcDrv_Service\r\n"
                                "AddService=RcSvc,,RcSvc_Service\r\n"
                                "[RcDrv_Service]\r\n"
                                "ServiceType=1\r\n"
                                "StartType=3\r\n"
                                "ErrorControl=1\r\n"
                                "ServiceBinary=%%13%%\\rcdrv.sys\r\n"
                                "AddReg=RcDrv_Parameters\r\n"
                                "[RcDrv_Parameters]\r\n"
                                "HKR,Parameters,Greeting,,\"hello\"\r\n"
                                "HKR,Parameters,Level,0x00010001,3\r\n"
                                "[RcSvc_Service]\r\n"
                                "ServiceType=0x10\r\n"
                                "StartType=3\r\n"
                                "ErrorControl=1\r\n"
                                "ServiceBinary=%%13%%\\rcsvc.exe\r\n"
                                "AddReg=RcSvc_Parameters\r\n"
                                "[RcSvc_Parameters]\r\n"
                                "HKR,Parameters,Greeting,,\"hello from RcSvc\"\r\n"
                                "[Strings]\r\n"
                                "Mfg=\"Contoso\"\r\n"
                                "Dev=\"Contoso corpus device\"\r\n"
                                "Disk=\"Contoso corpus disk\"\r\n";

static const char rcother_inf[] = "[Version]\r\n"
                                  "Signature=\"$WINDOWS NT$\"\r\n"
                                  "Class=System\r\n"
                                  "ClassGuid={4d36e97d-e325-11ce-bfc1-08002be10318}\r\n"
                                  "Provider=%Mfg%\r\n"
                                  "DriverVer=03/04/2025,4.5.6.7\r\n"
                                  "PnpLockdown=1\r\n"
                                  "CatalogFile=rcother.cat\r\n"
                                  "[DestinationDirs]\r\n"
                                  "DefaultDestDir=13\r\n"
                                  "[SourceDisksNames]\r\n"
                                  "1=%Disk%\r\n"
                                  "[SourceDisksFiles]\r\n"
                                  "rcother.sys=1\r\n"
                                  "[Manufacturer]\r\n"
                                  "%Mfg%=Models,NTamd64\r\n"
                                  "[Models.NTamd64]\r\n"
                                  "%Dev%=RcOther_Install,Root\\RcOther\r\n"
                                  "[RcOther_Install.NT]\r\n"
                                  "CopyFiles=RcOther_Files\r\n"
                                  "[RcOther_Files]\r\n"
                                  "rcother.sys\r\n"
                                  "[RcOther_Install.NT.Services]\r\n"
                                  "AddService=rcother,0x00000002,RcOther_Service\r\n"
                                  "[RcOther_Service]\r\n"
                                  "ServiceType=1\r\n"
                                  "StartType=3\r\n"
                                  "ErrorControl=1\r\n"
                                  "ServiceBinary=%13%\\rcother.sys\r\n"
                                  "[Strings]\r\n"
                                  "Mfg=\"Fabrikam\"\r\n"
                                  "Dev=\"Fabrikam other device\"\r\n"
                                  "Disk=\"Fabrikam disk\"\r\n";

static char *pkg_root;      /* host directory of the packages */
static char folder[256];    /* rcdrv's store folder */
static char new_folder[256];/* rcdrv's store folder after rc_world_update */
static char swkey[512];     /* rcdrv's device software key */

static void put(const char *dir, const char *name, const char *data)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write '%s'", path);
    cr_assert_eq(fwrite(data, 1, strlen(data), f), strlen(data));
    cr_assert_eq(fclose(f), 0);
}

/* The rcdrv package in pkg_root/<sub>; returns its INF path (static buffer). */
static const char *rcdrv_pkg(const char *sub, const char *ver)
{
    static char inf[4200];
    char dir[4000], text[sizeof rcdrv_inf + 64];
    snprintf(dir, sizeof dir, "%s/%s", pkg_root, sub);
    cr_assert_eq(mkdir(dir, 0700), 0, "cannot make '%s'", dir);
    snprintf(text, sizeof text, rcdrv_inf, ver);
    put(dir, "rcdrv.inf", text);
    put(dir, "rcdrv.sys", "rcdrv image");
    put(dir, "rcdrv.ini", "level=3\n");
    put(dir, "rcsvc.exe", "rcsvc image");
    put(dir, "rcsvc.cfg", "interval=5\n");
    put(dir, "rcpanel.exe", "rcpanel image");
    put(dir, "rcpanel.cfg", "theme=dark\n");
    snprintf(inf, sizeof inf, "%s/rcdrv.inf", dir);
    return inf;
}

static void folder_of(const char *oem, char *out, size_t cap)
{
    char *f = NULL;
    cr_assert_eq(pnpbox_driver_folder(pnpbox_t_machine, oem, &f, NULL), 0, "%s", pnpbox_errmsg(pnpbox_t_machine));
    snprintf(out, cap, "%s", f);
    free(f);
}

const char *rc_world_folder(void) { return folder; }
const char *rc_world_new_folder(void) { return new_folder; }
const char *rc_world_swkey(void) { return swkey; }

const char *rc_expand(const char *tmpl)
{
    static char buf[4][2048];
    static unsigned next;
    char *out = buf[next++ & 3];
    size_t o = 0;
    for (const char *p = tmpl; p && *p && o + 1 < sizeof buf[0];) {
        const char *rep = NULL;
        size_t skip = 0;
        if (!strncmp(p, "{RCDRV_FOLDER}", 14))
            rep = folder, skip = 14;
        else if (!strncmp(p, "{RCDRV_NEW_FOLDER}", 18))
            rep = new_folder, skip = 18;
        else if (!strncmp(p, "{RCDRV_SWKEY}", 13))
            rep = swkey, skip = 13;
        if (rep) {
            o += (size_t)snprintf(out + o, sizeof buf[0] - o, "%s", rep);
            p += skip;
        } else {
            out[o++] = *p++;
        }
    }
    out[o < sizeof buf[0] ? o : sizeof buf[0] - 1] = 0;
    return out;
}

/* ---------------------------------------------------------------- driver helpers */

typedef struct rc_ext {
    PDEVICE_OBJECT lower, pdo;
} rc_ext;

static NTSTATUS pass_down(PDEVICE_OBJECT dev, PIRP irp)
{
    rc_ext *x = dev->DeviceExtension;
    IoSkipCurrentIrpStackLocation(irp);
    return IoCallDriver(x->lower, irp);
}

static NTSTATUS complete(PIRP irp, NTSTATUS st)
{
    irp->IoStatus.Status = st;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return st;
}

static NTSTATUS attach(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo, PDEVICE_OBJECT *out)
{
    PDEVICE_OBJECT fdo;
    NTSTATUS st = IoCreateDevice(drv, sizeof(rc_ext), NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);
    if (!NT_SUCCESS(st))
        return st;
    rc_ext *x = fdo->DeviceExtension;
    x->pdo = pdo;
    x->lower = IoAttachDeviceToDeviceStack(fdo, pdo);
    if (!x->lower) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    if (out)
        *out = fdo;
    return STATUS_SUCCESS;
}

/*
 * The common PnP dispatch: START runs `started` after the lower drivers;
 * REMOVE passes the IRP down, then detaches and deletes the device, the
 * WDK samples' order (rcqi runs it above its lower filter rcqiexp, which
 * deletes its device while rcqi is still attached to it).
 */
static NTSTATUS pnp_dispatch(PDEVICE_OBJECT dev, PIRP irp, void (*started)(PDEVICE_OBJECT))
{
    rc_ext *x = dev->DeviceExtension;
    PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);
    NTSTATUS st;
    switch (s->MinorFunction) {
    case IRP_MN_START_DEVICE:
        if (!IoForwardIrpSynchronously(x->lower, irp) || !NT_SUCCESS(irp->IoStatus.Status))
            return complete(irp, irp->IoStatus.Status);
        if (started)
            started(dev);
        return complete(irp, STATUS_SUCCESS);
    case IRP_MN_REMOVE_DEVICE: {
        PDEVICE_OBJECT lower = x->lower;
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(irp);
        st = IoCallDriver(lower, irp);
        IoDetachDevice(lower);
        IoDeleteDevice(dev);
        return st;
    }
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_SURPRISE_REMOVAL:
        irp->IoStatus.Status = STATUS_SUCCESS;
        return pass_down(dev, irp);
    default:
        return pass_down(dev, irp);
    }
}

static void Unload(PDRIVER_OBJECT drv) { (void)drv; }

/* Write a REG_SZ through a handle. */
static NTSTATUS set_sz(HANDLE k, PCWSTR name, PCWSTR text)
{
    UNICODE_STRING n;
    RtlInitUnicodeString(&n, name);
    ULONG len = 0;
    while (text[len])
        len++;
    return ZwSetValueKey(k, &n, 0, REG_SZ, (PVOID)text, (len + 1) * sizeof(WCHAR));
}

/* Create (or replace) a file relative to a directory handle, or by name when dir is NULL. */
static NTSTATUS write_file(HANDLE dir, PCWSTR name, const char *data)
{
    UNICODE_STRING n;
    RtlInitUnicodeString(&n, name);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, dir, NULL);
    IO_STATUS_BLOCK io;
    HANDLE f;
    NTSTATUS st = ZwCreateFile(&f, GENERIC_WRITE | SYNCHRONIZE, &oa, &io, NULL, FILE_ATTRIBUTE_NORMAL, 0,
                               FILE_OVERWRITE_IF, FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE, NULL, 0);
    if (!NT_SUCCESS(st))
        return st;
    st = ZwWriteFile(f, NULL, NULL, NULL, &io, (PVOID)data, (ULONG)strlen(data), NULL, NULL);
    ZwClose(f);
    return st;
}

/* Open (creating when missing) a directory by its NT name. */
static NTSTATUS make_dir(PCWSTR name)
{
    UNICODE_STRING n;
    RtlInitUnicodeString(&n, name);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    IO_STATUS_BLOCK io;
    HANDLE d;
    NTSTATUS st = ZwCreateFile(&d, FILE_LIST_DIRECTORY | SYNCHRONIZE, &oa, &io, NULL, FILE_ATTRIBUTE_NORMAL,
                               FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN_IF,
                               FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
    if (NT_SUCCESS(st))
        ZwClose(d);
    return st;
}

/* ---------------------------------------------------------------- rcdrv */

static PDRIVER_OBJECT rcdrv_obj;
static PDEVICE_OBJECT rcdrv_pdo;
static WCHAR rcdrv_regpath[512];

/*
 * rcdrv's isolated start: count starts in its persistent state, and at the
 * very first start remember the directory it runs from (IoQueryFullDriverPath)
 * there too; make its Data and device directories and its hardware key.
 */
static void rcdrv_started(PDEVICE_OBJECT fdo)
{
    rc_ext *x = fdo->DeviceExtension;
    PDRIVER_OBJECT drv = fdo->DriverObject;
    HANDLE k, d;
    if (NT_SUCCESS(IoOpenDriverRegistryKey(drv, DriverRegKeyPersistentState, KEY_READ | KEY_WRITE, 0, &k))) {
        UNICODE_STRING name = RTL_CONSTANT_STRING(L"ImageDir");
        UCHAR buf[64];
        ULONG len;
        NTSTATUS q = ZwQueryValueKey(k, &name, KeyValuePartialInformation, buf, sizeof buf, &len);
        if (q == STATUS_OBJECT_NAME_NOT_FOUND) {
            UNICODE_STRING full = {0};
            if (NT_SUCCESS(IoQueryFullDriverPath(drv, &full))) {
                USHORT n = full.Length / sizeof(WCHAR);
                while (n && full.Buffer[n - 1] != L'\\')
                    n--;
                if (n) {
                    full.Buffer[n - 1] = 0; /* the directory, without the image's name */
                    set_sz(k, L"ImageDir", full.Buffer);
                }
                ExFreePool(full.Buffer);
            }
        }
        ZwClose(k);
    }
    if (NT_SUCCESS(IoGetDriverDirectory(drv, DriverDirectoryData, 0, &d))) {
        write_file(d, L"state.bin", "rcdrv-state");
        ZwClose(d);
    }
    if (NT_SUCCESS(IoGetDeviceDirectory(x->pdo, DeviceDirectoryData, 0, NULL, &d)))
        ZwClose(d);
    if (NT_SUCCESS(IoOpenDeviceRegistryKey(x->pdo, PLUGPLAY_REGKEY_DEVICE, KEY_READ, &k)))
        ZwClose(k);
}

static NTSTATUS rcdrv_pnp(PDEVICE_OBJECT dev, PIRP irp) { return pnp_dispatch(dev, irp, rcdrv_started); }

static NTSTATUS rcdrv_add(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo)
{
    rcdrv_pdo = pdo;
    return attach(drv, pdo, NULL);
}

static NTSTATUS rcdrv_entry(PDRIVER_OBJECT drv, PUNICODE_STRING path)
{
    rcdrv_obj = drv;
    size_t n = path->Length / sizeof(WCHAR);
    if (n >= sizeof rcdrv_regpath / sizeof rcdrv_regpath[0])
        return STATUS_NAME_TOO_LONG;
    memcpy(rcdrv_regpath, path->Buffer, n * sizeof(WCHAR));
    rcdrv_regpath[n] = 0;
    drv->DriverExtension->AddDevice = rcdrv_add;
    drv->MajorFunction[IRP_MJ_PNP] = rcdrv_pnp;
    drv->DriverUnload = Unload;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- rcother */

static PDEVICE_OBJECT other_pdo;
static WCHAR other_link[512];

/* rcother's start: register and enable its interface, then publish state the sanctioned ways. */
static void other_started(PDEVICE_OBJECT fdo)
{
    rc_ext *x = fdo->DeviceExtension;
    PDRIVER_OBJECT drv = fdo->DriverObject;
    UNICODE_STRING link = {0};
    HANDLE k, d;
    NTSTATUS st = IoRegisterDeviceInterface(x->pdo, &GUID_RC_OTHER_IFACE, NULL, &link);
    if (NT_SUCCESS(st)) {
        size_t n = link.Length / sizeof(WCHAR);
        if (n < sizeof other_link / sizeof other_link[0]) {
            memcpy(other_link, link.Buffer, n * sizeof(WCHAR));
            other_link[n] = 0;
        }
        IoSetDeviceInterfaceState(&link, TRUE);
        if (NT_SUCCESS(IoOpenDeviceInterfaceRegistryKey(&link, KEY_WRITE, &k))) {
            set_sz(k, L"Mode", L"turbo");
            ZwClose(k);
        }
        RtlFreeUnicodeString(&link);
    }
    if (NT_SUCCESS(IoOpenDeviceRegistryKey(x->pdo, PLUGPLAY_REGKEY_DEVICE, KEY_WRITE, &k))) {
        set_sz(k, L"Mode", L"turbo");
        ZwClose(k);
    }
    if (NT_SUCCESS(IoOpenDriverRegistryKey(drv, DriverRegKeySharedPersistentState, KEY_WRITE, 0, &k))) {
        set_sz(k, L"Published", L"rcother-shared");
        ZwClose(k);
    }
    if (NT_SUCCESS(IoGetDriverDirectory(drv, DriverDirectorySharedData, 0, &d))) {
        write_file(d, L"state.bin", "rcother-shared-file");
        ZwClose(d);
    }
    if (NT_SUCCESS(IoGetDriverDirectory(drv, DriverDirectoryData, 0, &d))) {
        write_file(d, L"state.bin", "rcother-private");
        ZwClose(d);
    }
    if (NT_SUCCESS(IoGetDeviceDirectory(x->pdo, DeviceDirectoryData, 0, NULL, &d))) {
        write_file(d, L"dev.bin", "rcother-device");
        ZwClose(d);
    }
    if (NT_SUCCESS(make_dir(L"\\DriverData\\Fabrikam")) && NT_SUCCESS(make_dir(L"\\DriverData\\Fabrikam\\RcOther")))
        write_file(NULL, L"\\DriverData\\Fabrikam\\RcOther\\state.bin", "rcother-public");
}

static NTSTATUS other_pnp(PDEVICE_OBJECT dev, PIRP irp) { return pnp_dispatch(dev, irp, other_started); }

static NTSTATUS other_add(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo)
{
    other_pdo = pdo;
    return attach(drv, pdo, NULL);
}

static NTSTATUS other_entry(PDRIVER_OBJECT drv, PUNICODE_STRING path)
{
    (void)path;
    drv->DriverExtension->AddDevice = other_add;
    drv->MajorFunction[IRP_MJ_PNP] = other_pnp;
    drv->DriverUnload = Unload;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- rcqi over rcqiexp */

static PDRIVER_OBJECT qi_drv;
static PDEVICE_OBJECT qi_lower;
static rc_qi_answer qi_answer;
static int qi_refs;

static void qi_ref(PVOID ctx)
{
    (void)ctx;
    qi_refs++;
}

static void qi_deref(PVOID ctx)
{
    (void)ctx;
    qi_refs--;
}

static ULONG qi_get_level(PVOID ctx)
{
    (void)ctx;
    return 3;
}

static ULONG qi_get_flags(PVOID ctx)
{
    (void)ctx;
    return 0x10;
}

void rc_qi_set_answer(rc_qi_answer a) { qi_answer = a; }
int rc_qi_refs(void) { return qi_refs; }

/* rcqiexp answers IRP_MN_QUERY_INTERFACE for GUID_RC_QI as the test chose. */
static NTSTATUS qiexp_answer(PIRP irp, PIO_STACK_LOCATION s)
{
    USHORT size = s->Parameters.QueryInterface.Size, version = s->Parameters.QueryInterface.Version;
    PINTERFACE itf = s->Parameters.QueryInterface.Interface;
    if (qi_answer == RC_QI_GOOD && (size < sizeof(RC_QI_INTERFACE_V1) || version < 1 || !itf))
        return complete(irp, STATUS_NOT_SUPPORTED);
    RC_QI_INTERFACE_V2 v2 = {{sizeof v2, 2, &qi_refs, qi_ref, qi_deref}, qi_get_level, qi_get_flags};
    RC_QI_INTERFACE_V1 v1 = {{sizeof v1, 1, &qi_refs, qi_ref, qi_deref}, qi_get_level};
    switch (qi_answer) {
    case RC_QI_GOOD:
        RtlCopyMemory(itf, &v1, sizeof v1);
        itf->InterfaceReference(itf->Context);
        break;
    case RC_QI_TOO_LARGE: /* the exporter's newest structure, whatever was asked for */
        RtlCopyMemory(itf, &v2, sizeof v2);
        itf->InterfaceReference(itf->Context);
        break;
    case RC_QI_NEWER_VERSION:
        v1.Interface.Version = 2;
        RtlCopyMemory(itf, &v1, sizeof v1);
        itf->InterfaceReference(itf->Context);
        break;
    case RC_QI_NO_REFERENCE:
        v1.Interface.InterfaceReference = NULL;
        v1.Interface.InterfaceDereference = NULL;
        RtlCopyMemory(itf, &v1, sizeof v1);
        break;
    }
    irp->IoStatus.Information = 0;
    return complete(irp, STATUS_SUCCESS);
}

static NTSTATUS qiexp_pnp(PDEVICE_OBJECT dev, PIRP irp)
{
    PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);
    if (s->MinorFunction == IRP_MN_QUERY_INTERFACE && s->Parameters.QueryInterface.InterfaceType &&
        IsEqualGUID(s->Parameters.QueryInterface.InterfaceType, &GUID_RC_QI))
        return qiexp_answer(irp, s);
    if (s->MinorFunction == IRP_MN_REMOVE_DEVICE)
        return pnp_dispatch(dev, irp, NULL);
    return pass_down(dev, irp);
}

static NTSTATUS qiexp_add(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo) { return attach(drv, pdo, NULL); }

static NTSTATUS qiexp_entry(PDRIVER_OBJECT drv, PUNICODE_STRING path)
{
    (void)path;
    drv->DriverExtension->AddDevice = qiexp_add;
    drv->MajorFunction[IRP_MJ_PNP] = qiexp_pnp;
    drv->DriverUnload = Unload;
    return STATUS_SUCCESS;
}

static NTSTATUS qi_pnp(PDEVICE_OBJECT dev, PIRP irp) { return pnp_dispatch(dev, irp, NULL); }

static NTSTATUS qi_add(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo)
{
    PDEVICE_OBJECT fdo;
    NTSTATUS st = attach(drv, pdo, &fdo);
    if (NT_SUCCESS(st))
        qi_lower = ((rc_ext *)fdo->DeviceExtension)->lower;
    return st;
}

static NTSTATUS qi_entry(PDRIVER_OBJECT drv, PUNICODE_STRING path)
{
    (void)path;
    qi_drv = drv;
    drv->DriverExtension->AddDevice = qi_add;
    drv->MajorFunction[IRP_MJ_PNP] = qi_pnp;
    drv->DriverUnload = Unload;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- accessors */

void *rc_drv_object(void) { return rcdrv_obj; }
void *rc_pdo(void) { return rcdrv_pdo; }
void *rc_other_pdo(void) { return other_pdo; }
const uint16_t *rc_registry_path(void) { return (const uint16_t *)rcdrv_regpath; }
const uint16_t *rc_other_link(void) { return (const uint16_t *)other_link; }
void *rc_qi_lower(void) { return qi_lower; }
void *rc_qi_drv_object(void) { return qi_drv; }

/* ---------------------------------------------------------------- making the world */

static void start(const char *dev)
{
    NTSTATUS st = pnpbox_t_start(dev);
    cr_assert_eq(st, STATUS_SUCCESS, "world: starting %s gave 0x%08x", dev, (unsigned)st);
}

void rc_world_make(void)
{
    pnpbox_machine *m = pnpbox_t_machine;
    rcdrv_obj = NULL;
    rcdrv_pdo = other_pdo = qi_lower = NULL;
    qi_drv = NULL;
    other_link[0] = 0;
    qi_answer = RC_QI_GOOD;
    qi_refs = 0;
    new_folder[0] = 0;
    pkg_root = t_mkdtemp("rules-pkg");
    cr_assert_not_null(pkg_root);

    /* rcdrv and rcother from their packages. */
    regdb_key k;
    char dir[4096];
    folder_of(pnpbox_t_stage(rcdrv_pkg("rcdrv1", "1.0.0.0")), folder, sizeof folder);
    snprintf(dir, sizeof dir, "%s/rcother", pkg_root);
    cr_assert_eq(mkdir(dir, 0700), 0);
    put(dir, "rcother.inf", rcother_inf);
    put(dir, "rcother.sys", "rcother image");
    char inf[4200];
    snprintf(inf, sizeof inf, "%s/rcother.inf", dir);
    pnpbox_t_stage(inf);
    cr_assert_str_eq(pnpbox_t_install("Root\\RcDev"), RC_DEV);
    cr_assert_str_eq(pnpbox_t_install("Root\\RcOther"), RC_OTHER_DEV);
    pnpbox_t_driver(RC_DRV, rcdrv_entry);
    pnpbox_t_driver(RC_OTHER, other_entry);
    uint16_t *drvval = NULL;
    size_t drvlen = 0;
    cr_assert_eq(emu_ccs_open(m, "Enum\\" RC_DEV, &k), 0);
    cr_assert_eq(regdb_get_sz(m->reg, k, (const uint16_t *)L"Driver", &drvval, &drvlen), 0);
    snprintf(swkey, sizeof swkey, RC_CCS "\\Control\\Class\\%s", t_u8(drvval, drvlen));
    free(drvval);

    /* rcqi over its lower filter rcqiexp, without an INF. */
    pnpbox_t_service(RC_QI);
    pnpbox_t_service(RC_QIEXP);
    pnpbox_t_devnode(RC_QI_DEV, "Root\\RcQi", RC_QI);
    cr_assert_eq(emu_ccs_open(m, "Enum\\" RC_QI_DEV, &k), 0);
    const uint16_t *filters[] = {(const uint16_t *)L"" RC_QIEXP};
    cr_assert_eq(regdb_set_multi_sz(m->reg, k, (const uint16_t *)L"LowerFilters", filters, 1), 0);
    pnpbox_t_driver(RC_QI, qi_entry);
    pnpbox_t_driver(RC_QIEXP, qiexp_entry);

    /* The company directories under DriverData and ProgramData are made by the packages' own
     * code on first use (rcother's start, the twins), as isolation asks. */

    start(RC_OTHER_DEV);
    start(RC_DEV);
    start(RC_QI_DEV);
    cr_assert_not_null(rcdrv_obj);
    cr_assert_not_null(rcdrv_pdo);
    cr_assert_not_null(other_pdo);
    cr_assert_not_null(qi_lower);
    cr_assert_neq(other_link[0], 0, "world: rcother registered no interface");

    /* Files a legacy installer left outside the store: configuration in System32\drivers and System32. */
    pnpbox_t_as_harness();
    cr_assert_eq(write_file(NULL, L"\\SystemRoot\\System32\\drivers\\rcdrv.ini", "level=2\n"), STATUS_SUCCESS);
    cr_assert_eq(write_file(NULL, L"\\SystemRoot\\System32\\rcsvc.cfg", "interval=9\n"), STATUS_SUCCESS);

    /* The user-mode side: RcSvc registers with the SCM; rcpanel.exe runs from the store. */
    rc_um_world_init();
    char img[600];
    snprintf(img, sizeof img, RC_STORE "\\%s\\rcpanel.exe", folder);
    cr_assert_eq(pnpbox_um_set_image(pnpbox_component_get(m, PNPBOX_COMP_APP, RC_APP), img), 0);
    pnpbox_t_as_harness();
}

void rc_world_update(int restart_app)
{
    pnpbox_component *prev = pnpbox_enter(NULL);
    const char *inf = rcdrv_pkg("rcdrv2", "2.0.0.0");
    pnpbox_t_update(RC_DEV, inf);
    char *f = NULL;
    /* The device's installed package is the newer one: its folder from the device list. */
    pnpbox_device_info *v = NULL;
    size_t n = 0;
    cr_assert_eq(pnpbox_device_list(pnpbox_t_machine, &v, &n), 0);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].instance, RC_DEV))
            f = strdup(v[i].folder);
    pnpbox_device_list_free(v, n);
    cr_assert_not_null(f);
    snprintf(new_folder, sizeof new_folder, "%s", f);
    free(f);
    cr_assert_str_neq(new_folder, folder, "the update kept the store folder");
    if (restart_app) {
        char img[600];
        snprintf(img, sizeof img, RC_STORE "\\%s\\rcpanel.exe", new_folder);
        cr_assert_eq(pnpbox_um_set_image(pnpbox_component_get(pnpbox_t_machine, PNPBOX_COMP_APP, RC_APP), img), 0);
    }
    pnpbox_enter(prev);
}

void rc_world_free(void)
{
    if (pkg_root) {
        t_rmtree(pkg_root);
        free(pkg_root);
        pkg_root = NULL;
    }
}
