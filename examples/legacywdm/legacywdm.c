/*
 * legacywdm.c: an example WDM driver written the pre-isolation way, so
 * pnpbox has something real to flag (the isolated twin is ../kmdfiso).
 * It is a complete PnP function driver; every isolation mistake is
 * deliberate and marked "LEGACY:" with the rule pnpbox reports.
 *
 * Build: part of `make` (build/examples/legacywdm/legacywdm.sys is this
 * file compiled as a shared object with `pkg-config --cflags pnpbox`).
 * Check: pnpbox verify --inf build/examples/legacywdm/legacywdm.inf \
 *                      --driver build/examples/legacywdm/legacywdm.sys
 */
#include <ntddk.h>
#include <ntstrsafe.h>

DRIVER_INITIALIZE DriverEntry;

typedef struct _DEVICE_EXTENSION {
    PDEVICE_OBJECT Self;
    PDEVICE_OBJECT Lower;
    PDEVICE_OBJECT Pdo;
    ULONG StartCount;
} DEVICE_EXTENSION, *PDEVICE_EXTENSION;

static UNICODE_STRING g_RegistryPath;
static WCHAR g_RegistryPathBuffer[256];

/* LEGACY: REG-ABSOLUTE-PATH + REG-FOREIGN-HANDLE + REG-IMMUTABLE-WRITE: the
 * service key's Parameters opened from RegistryPath and written at run time. */
static NTSTATUS BumpStartCount(ULONG *count)
{
    WCHAR path[320];
    UNICODE_STRING name, valueName;
    OBJECT_ATTRIBUTES oa;
    HANDLE key;
    UCHAR buffer[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + sizeof(ULONG)];
    ULONG len;
    NTSTATUS status = RtlStringCchPrintfW(path, RTL_NUMBER_OF(path), L"%wZ\\Parameters", &g_RegistryPath);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&name, path);
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    status = ZwOpenKey(&key, KEY_READ | KEY_SET_VALUE, &oa);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&valueName, L"StartCount");
    *count = 0;
    if (NT_SUCCESS(ZwQueryValueKey(key, &valueName, KeyValuePartialInformation, buffer, sizeof buffer, &len))) {
        PKEY_VALUE_PARTIAL_INFORMATION info = (PKEY_VALUE_PARTIAL_INFORMATION)buffer;
        if (info->Type == REG_DWORD && info->DataLength == sizeof(ULONG))
            RtlCopyMemory(count, info->Data, sizeof(ULONG));
    }
    (*count)++;
    status = ZwSetValueKey(key, &valueName, 0, REG_DWORD, count, sizeof *count);
    ZwClose(key);
    return status;
}

/* LEGACY: FILE-ABSOLUTE-PATH + FILE-OUTSIDE-STATE: a log next to the driver in System32\drivers. */
static void WriteLog(const char *line)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK iosb;
    HANDLE file;
    RtlInitUnicodeString(&name, L"\\SystemRoot\\System32\\drivers\\legacywdm.log");
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    if (NT_SUCCESS(ZwCreateFile(&file, FILE_APPEND_DATA | SYNCHRONIZE, &oa, &iosb, NULL, FILE_ATTRIBUTE_NORMAL,
                                FILE_SHARE_READ, FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE,
                                NULL, 0))) {
        size_t n;
        if (NT_SUCCESS(RtlStringCbLengthA(line, 256, &n)))
            ZwWriteFile(file, NULL, NULL, NULL, &iosb, (PVOID)line, (ULONG)n, NULL, NULL);
        ZwClose(file);
    }
}

/* LEGACY: REG-FOREIGN-HANDLE: the software key's name read back and reopened by absolute path. */
static void ReadSettingsTheLaunderedWay(PDEVICE_OBJECT pdo)
{
    HANDLE swKey, settings;
    UCHAR nameBuffer[512];
    ULONG len;
    if (!NT_SUCCESS(IoOpenDeviceRegistryKey(pdo, PLUGPLAY_REGKEY_DRIVER, KEY_READ, &swKey)))
        return;
    if (NT_SUCCESS(ZwQueryKey(swKey, KeyNameInformation, nameBuffer, sizeof nameBuffer - 64, &len))) {
        PKEY_NAME_INFORMATION info = (PKEY_NAME_INFORMATION)nameBuffer;
        WCHAR path[300];
        UNICODE_STRING name;
        OBJECT_ATTRIBUTES oa;
        if (NT_SUCCESS(RtlStringCchPrintfW(path, RTL_NUMBER_OF(path), L"%.*ws", (int)(info->NameLength / 2),
                                           info->Name))) {
            RtlInitUnicodeString(&name, path);
            InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
            if (NT_SUCCESS(ZwOpenKey(&settings, KEY_READ, &oa))) {
                UNICODE_STRING v;
                UCHAR data[64];
                RtlInitUnicodeString(&v, L"Mode");
                ZwQueryValueKey(settings, &v, KeyValuePartialInformation, data, sizeof data, &len);
                ZwClose(settings);
            }
        }
    }
    ZwClose(swKey);
}

static NTSTATUS ForwardAndWait(PDEVICE_EXTENSION ext, PIRP irp)
{
    if (!IoForwardIrpSynchronously(ext->Lower, irp))
        return STATUS_UNSUCCESSFUL;
    return irp->IoStatus.Status;
}

static NTSTATUS DispatchPnp(PDEVICE_OBJECT dev, PIRP irp)
{
    PDEVICE_EXTENSION ext = dev->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
    NTSTATUS status;
    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
        status = ForwardAndWait(ext, irp);
        if (NT_SUCCESS(status)) {
            ULONG count = 0;
            BumpStartCount(&count);
            ext->StartCount = count;
            ReadSettingsTheLaunderedWay(ext->Pdo);
            WriteLog("legacywdm: started\r\n");
            DbgPrint("legacywdm: started (start #%lu)\n", count);
        }
        irp->IoStatus.Status = status;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return status;
    case IRP_MN_REMOVE_DEVICE:
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(irp);
        status = IoCallDriver(ext->Lower, irp);
        IoDetachDevice(ext->Lower);
        IoDeleteDevice(dev);
        return status;
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_SURPRISE_REMOVAL:
        irp->IoStatus.Status = STATUS_SUCCESS;
        /* fall through */
    default:
        IoSkipCurrentIrpStackLocation(irp);
        return IoCallDriver(ext->Lower, irp);
    }
}

static NTSTATUS AddDevice(PDRIVER_OBJECT driver, PDEVICE_OBJECT pdo)
{
    PDEVICE_OBJECT fdo;
    NTSTATUS status = IoCreateDevice(driver, sizeof(DEVICE_EXTENSION), NULL, FILE_DEVICE_UNKNOWN,
                                     FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);
    if (!NT_SUCCESS(status))
        return status;
    PDEVICE_EXTENSION ext = fdo->DeviceExtension;
    ext->Self = fdo;
    ext->Pdo = pdo;
    ext->Lower = IoAttachDeviceToDeviceStack(fdo, pdo);
    if (!ext->Lower) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static void DriverUnload(PDRIVER_OBJECT driver)
{
    UNREFERENCED_PARAMETER(driver);
    DbgPrint("legacywdm: unloaded\n");
}

NTSTATUS DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registryPath)
{
    /* LEGACY: keeping RegistryPath to build absolute key names later. */
    RtlInitEmptyUnicodeString(&g_RegistryPath, g_RegistryPathBuffer, sizeof g_RegistryPathBuffer);
    RtlCopyUnicodeString(&g_RegistryPath, registryPath);
    driver->DriverExtension->AddDevice = AddDevice;
    driver->MajorFunction[IRP_MJ_PNP] = DispatchPnp;
    driver->DriverUnload = DriverUnload;
    DbgPrint("legacywdm: DriverEntry %wZ\n", registryPath);
    return STATUS_SUCCESS;
}
