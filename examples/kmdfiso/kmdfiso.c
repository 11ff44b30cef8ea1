/*
 * kmdfiso.c: an example KMDF function driver written the isolated way, the
 * twin of ../legacywdm.  Everything it keeps lives where Windows hands it
 * out:
 *   - settings the INF provisions: the service's Parameters key, read-only
 *     (WdfDriverOpenParametersRegistryKey), with a run-time override in the
 *     persistent state key read first (RtlQueryRegistryValueWithFallback);
 *   - a device setting: the device's hardware key (WdfDeviceOpenRegistryKey,
 *     PLUGPLAY_REGKEY_DEVICE), filled by the INF's DDInstall.HW section;
 *   - state it changes: the persistent state key
 *     (WdfDriverOpenPersistentStateRegistryKey);
 *   - files it writes: its data directory (IoGetDriverDirectory, files
 *     opened relative to the directory handle);
 *   - an interface other software finds: a device interface whose registry
 *     key the INF fills (AddInterface), enabled while the device is in D0.
 *
 * Build: part of `make` (build/examples/kmdfiso/kmdfiso.sys).
 * Check: pnpbox verify --inf build/examples/kmdfiso/kmdfiso.inf \
 *                      --driver build/examples/kmdfiso/kmdfiso.sys
 */
#include <ntddk.h>
#include <wdf.h>
#include <initguid.h>
#include <ntstrsafe.h>

#include "kmdfiso.h"

DRIVER_INITIALIZE DriverEntry;
EVT_WDF_DRIVER_DEVICE_ADD KmdfIsoEvtDeviceAdd;
EVT_WDF_DRIVER_UNLOAD KmdfIsoEvtDriverUnload;
EVT_WDF_DEVICE_PREPARE_HARDWARE KmdfIsoEvtPrepareHardware;
EVT_WDF_DEVICE_RELEASE_HARDWARE KmdfIsoEvtReleaseHardware;
EVT_WDF_DEVICE_D0_ENTRY KmdfIsoEvtD0Entry;
EVT_WDF_DEVICE_D0_EXIT KmdfIsoEvtD0Exit;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(KMDFISO_CONTEXT, KmdfIsoGetContext);

/* A REG_DWORD setting: the State override if present, else the INF default in Parameters, else def. */
static ULONG ReadSetting(WDFKEY state, WDFKEY parameters, PCWSTR name, ULONG def)
{
    UNICODE_STRING valueName;
    ULONG value = def, type = 0, length = 0;
    RtlInitUnicodeString(&valueName, name);
    NTSTATUS status = RtlQueryRegistryValueWithFallback(WdfRegistryWdmGetHandle(state),
                                                        WdfRegistryWdmGetHandle(parameters), &valueName,
                                                        sizeof value, &type, &value, &length);
    if (!NT_SUCCESS(status) || type != REG_DWORD || length != sizeof value)
        value = def;
    return value;
}

/* Appends a line to kmdfiso.log in the driver's data directory. */
static NTSTATUS WriteLog(WDFDRIVER driver, PCSTR text)
{
    HANDLE dir, file;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK iosb;
    size_t length;
    NTSTATUS status = IoGetDriverDirectory(WdfDriverWdmGetDriverObject(driver), DriverDirectoryData, 0, &dir);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&name, L"kmdfiso.log");
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, dir, NULL);
    status = ZwCreateFile(&file, FILE_APPEND_DATA | SYNCHRONIZE, &oa, &iosb, NULL, FILE_ATTRIBUTE_NORMAL,
                          FILE_SHARE_READ, FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE,
                          NULL, 0);
    if (NT_SUCCESS(status)) {
        status = RtlStringCbLengthA(text, 256, &length);
        if (NT_SUCCESS(status))
            status = ZwWriteFile(file, NULL, NULL, NULL, &iosb, (PVOID)text, (ULONG)length, NULL, NULL);
        ZwClose(file);
    }
    ZwClose(dir);
    return status;
}

NTSTATUS KmdfIsoEvtPrepareHardware(WDFDEVICE device, WDFCMRESLIST raw, WDFCMRESLIST translated)
{
    PKMDFISO_CONTEXT ctx = KmdfIsoGetContext(device);
    WDFDRIVER driver = WdfDeviceGetDriver(device);
    WDFKEY parameters = NULL, state = NULL, hardware = NULL;
    DECLARE_CONST_UNICODE_STRING(startCount, L"StartCount");
    DECLARE_CONST_UNICODE_STRING(gain, L"Gain");
    UNREFERENCED_PARAMETER(raw);
    UNREFERENCED_PARAMETER(translated);

    NTSTATUS status = WdfDriverOpenParametersRegistryKey(driver, KEY_READ, WDF_NO_OBJECT_ATTRIBUTES, &parameters);
    if (!NT_SUCCESS(status))
        return status;
    status = WdfDriverOpenPersistentStateRegistryKey(driver, KEY_READ | KEY_SET_VALUE, WDF_NO_OBJECT_ATTRIBUTES,
                                                     &state);
    if (!NT_SUCCESS(status))
        goto out;

    ctx->SampleRate = ReadSetting(state, parameters, L"SampleRate", 1000);

    ULONG count = 0;
    if (!NT_SUCCESS(WdfRegistryQueryULong(state, &startCount, &count)))
        count = 0;
    ctx->StartCount = count + 1;
    status = WdfRegistryAssignULong(state, &startCount, ctx->StartCount);
    if (!NT_SUCCESS(status))
        goto out;

    status = WdfDeviceOpenRegistryKey(device, PLUGPLAY_REGKEY_DEVICE, KEY_READ, WDF_NO_OBJECT_ATTRIBUTES, &hardware);
    if (!NT_SUCCESS(status))
        goto out;
    if (!NT_SUCCESS(WdfRegistryQueryULong(hardware, &gain, &ctx->Gain)))
        ctx->Gain = 1;

out:
    if (hardware)
        WdfRegistryClose(hardware);
    if (state)
        WdfRegistryClose(state);
    WdfRegistryClose(parameters);
    return status;
}

NTSTATUS KmdfIsoEvtReleaseHardware(WDFDEVICE device, WDFCMRESLIST translated)
{
    UNREFERENCED_PARAMETER(translated);
    KmdfIsoGetContext(device)->SampleRate = 0;
    return STATUS_SUCCESS;
}

NTSTATUS KmdfIsoEvtD0Entry(WDFDEVICE device, WDF_POWER_DEVICE_STATE previous)
{
    PKMDFISO_CONTEXT ctx = KmdfIsoGetContext(device);
    CHAR line[128];
    UNREFERENCED_PARAMETER(previous);
    WdfDeviceSetDeviceInterfaceState(device, &GUID_DEVINTERFACE_KMDFISO, NULL, TRUE);
    if (NT_SUCCESS(RtlStringCbPrintfA(line, sizeof line, "start %lu: rate %lu gain %lu\r\n", ctx->StartCount,
                                      ctx->SampleRate, ctx->Gain)))
        WriteLog(WdfDeviceGetDriver(device), line);
    DbgPrint("kmdfiso: started (start #%lu, rate %lu, gain %lu)\n", ctx->StartCount, ctx->SampleRate, ctx->Gain);
    return STATUS_SUCCESS;
}

NTSTATUS KmdfIsoEvtD0Exit(WDFDEVICE device, WDF_POWER_DEVICE_STATE target)
{
    UNREFERENCED_PARAMETER(target);
    WdfDeviceSetDeviceInterfaceState(device, &GUID_DEVINTERFACE_KMDFISO, NULL, FALSE);
    return STATUS_SUCCESS;
}

NTSTATUS KmdfIsoEvtDeviceAdd(WDFDRIVER driver, PWDFDEVICE_INIT init)
{
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDFDEVICE device;
    UNREFERENCED_PARAMETER(driver);

    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = KmdfIsoEvtPrepareHardware;
    pnp.EvtDeviceReleaseHardware = KmdfIsoEvtReleaseHardware;
    pnp.EvtDeviceD0Entry = KmdfIsoEvtD0Entry;
    pnp.EvtDeviceD0Exit = KmdfIsoEvtD0Exit;
    WdfDeviceInitSetPnpPowerEventCallbacks(init, &pnp);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, KMDFISO_CONTEXT);
    NTSTATUS status = WdfDeviceCreate(&init, &attributes, &device);
    if (!NT_SUCCESS(status))
        return status;
    /* STATUS_OBJECT_NAME_EXISTS (a success) when the INF's AddInterface registered it already. */
    status = WdfDeviceCreateDeviceInterface(device, &GUID_DEVINTERFACE_KMDFISO, NULL);
    return NT_SUCCESS(status) ? STATUS_SUCCESS : status;
}

VOID KmdfIsoEvtDriverUnload(WDFDRIVER driver)
{
    UNREFERENCED_PARAMETER(driver);
    DbgPrint("kmdfiso: unloaded\n");
}

NTSTATUS DriverEntry(PDRIVER_OBJECT driverObject, PUNICODE_STRING registryPath)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, KmdfIsoEvtDeviceAdd);
    config.EvtDriverUnload = KmdfIsoEvtDriverUnload;
    return WdfDriverCreate(driverObject, registryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}
