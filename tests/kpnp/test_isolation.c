/*
 * test_isolation.c: conformance of the kernel isolation APIs (reference
 * §1.1, §1.5, §1.9, §1.10, §1.13, §1.14), Wine-style: outputs pre-filled
 * with 0xdeadbeef, exact statuses and every out-parameter; plus the
 * provenance each handle carries and the rules judged on it.
 */
#include <ntddk.h>
#include <initguid.h>
#include <wdmguid.h>

#include "base/pb_utf16.h"
#include "emu/pnp.h"
#include "pnpbox/pnpbox.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

DEFINE_GUID(GUID_ISO_IFACE, 0xa1b2c3d4, 0x1111, 0x2222, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa);

static pnpbox_machine *m;
static PDRIVER_OBJECT g_drv;
static PDEVICE_OBJECT g_pdo, g_fdo;

#define BAD ((HANDLE)(uintptr_t)0xdeadbeef)
#define PKG "\\Windows\\System32\\DriverStore\\FileRepository\\isodrv.inf_amd64_0123456789abcdef"

static NTSTATUS pass_down(PDEVICE_OBJECT dev, PIRP irp)
{
    PDEVICE_OBJECT lower = *(PDEVICE_OBJECT *)dev->DeviceExtension;
    IoSkipCurrentIrpStackLocation(irp);
    return IoCallDriver(lower, irp);
}

static NTSTATUS AddDevice(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo)
{
    NTSTATUS st = IoCreateDevice(drv, sizeof(PDEVICE_OBJECT), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &g_fdo);
    if (!NT_SUCCESS(st))
        return st;
    *(PDEVICE_OBJECT *)g_fdo->DeviceExtension = IoAttachDeviceToDeviceStack(g_fdo, pdo);
    g_fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    g_pdo = pdo;
    return STATUS_SUCCESS;
}

static void Unload(PDRIVER_OBJECT d) { (void)d; }

static NTSTATUS DriverEntry(PDRIVER_OBJECT drv, PUNICODE_STRING rp)
{
    (void)rp;
    g_drv = drv;
    drv->DriverExtension->AddDevice = AddDevice;
    drv->MajorFunction[IRP_MJ_PNP] = pass_down;
    drv->DriverUnload = Unload;
    return STATUS_SUCCESS;
}

static regdb_key service(const char *name, uint32_t type, int with_type)
{
    char rel[256];
    snprintf(rel, sizeof rel, "Services\\%s", name);
    regdb_key k;
    cr_assert_eq(emu_ccs_create(m, rel, 0, &k), 0);
    if (with_type)
        cr_assert_eq(regdb_set_dword(m->reg, k, (const uint16_t *)L"Type", type), 0);
    return k;
}

static pnpbox_component *drvc;

static void setup(void)
{
    cr_assert_eq(pnpbox_machine_new(NULL, &m), 0);
    regdb_key sk = service("isodrv", 1, 1);
    uint16_t *ip = pb_wcs_from_utf8("\\SystemRoot\\System32\\DriverStore\\FileRepository\\isodrv.inf_amd64_"
                                    "0123456789abcdef\\isodrv.sys");
    cr_assert_eq(regdb_set_expand_sz(m->reg, sk, (const uint16_t *)L"ImagePath", ip), 0);
    free(ip);
    regdb_key pk;
    cr_assert_eq(regdb_create_key_u8(m->reg, sk, "Parameters", 0, &pk), 0);
    cr_assert_eq(regdb_set_dword(m->reg, pk, (const uint16_t *)L"Setting", 7), 0);
    /* The package's store folder, made as staging would. */
    char d[4200];
    snprintf(d, sizeof d, "%s/Windows/System32/DriverStore/FileRepository/isodrv.inf_amd64_0123456789abcdef",
             pnpbox_volume_dir(m));
    cr_assert_eq(mkdir(d, 0755), 0);
    cr_assert_eq(pnpbox_devnode_create(m, "ROOT\\ISO\\0000", "Root\\Iso", "isodrv", NULL), 0);
    regdb_key ek;
    cr_assert_eq(emu_ccs_open(m, "Enum\\ROOT\\ISO\\0000", &ek), 0);
    cr_assert_eq(regdb_set_sz(m->reg, ek, (const uint16_t *)L"Driver",
                              (const uint16_t *)L"{4d36e97d-e325-11ce-bfc1-08002be10318}\\0000"),
                 0);
    regdb_key swk;
    cr_assert_eq(emu_ccs_create(m, "Control\\Class\\{4d36e97d-e325-11ce-bfc1-08002be10318}\\0000", 0, &swk), 0);
    cr_assert_eq(pnpbox_driver_register(m, "isodrv", (pnpbox_driver_entry_fn)DriverEntry), 0);
    int32_t st;
    cr_assert_eq(pnpbox_device_start(m, "ROOT\\ISO\\0000", &st), 0);
    cr_assert_eq(st, STATUS_SUCCESS);
    drvc = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "isodrv");
    pnpbox_enter(drvc); /* the tests below act as the driver */
}

static void teardown(void)
{
    pnpbox_enter(NULL);
    pnpbox_machine_free(m);
}

TestSuite(kpnp_isolation, .init = setup, .fini = teardown);

static const pnpbox_event *last_event(const char *api)
{
    for (size_t i = pnpbox_event_count(m); i-- > 0;) {
        const pnpbox_event *e = pnpbox_event_get(m, i);
        if (!strcmp(e->api, api))
            return e;
    }
    return NULL;
}

static char *key_name(HANDLE h)
{
    emu_handle *e = emu_handle_get(m, h, EMU_H_KEY);
    return e ? e->path : NULL;
}

/* ---- IoOpenDriverRegistryKey (§1.5) ---- */

Test(kpnp_isolation, driver_key_argument_checks)
{
    HANDLE h = BAD;
    cr_assert_eq(IoOpenDriverRegistryKey(NULL, DriverRegKeyParameters, KEY_READ, 0, &h), STATUS_INVALID_PARAMETER);
    cr_assert_eq(h, BAD);
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeyParameters, KEY_READ, 1, &h), STATUS_INVALID_PARAMETER);
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeyParameters, KEY_READ, 0, NULL), STATUS_INVALID_PARAMETER);
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, (DRIVER_REGKEY_TYPE)3, KEY_READ, 0, &h), STATUS_INVALID_PARAMETER);
    cr_assert_eq(h, BAD);
}

Test(kpnp_isolation, driver_key_service_type_checks)
{
    HANDLE h = BAD;
    regdb_key sk = service("isodrv", 0, 0);
    cr_assert_eq(regdb_delete_value(m->reg, sk, W("Type")), 0);
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeyPersistentState, KEY_READ, 0, &h), STATUS_INVALID_PARAMETER,
                 "no Type value");
    cr_assert_eq(regdb_set_sz(m->reg, sk, (const uint16_t *)L"Type", (const uint16_t *)L"1"), 0);
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeyPersistentState, KEY_READ, 0, &h), STATUS_REGISTRY_CORRUPT);
    cr_assert_eq(regdb_set_dword(m->reg, sk, (const uint16_t *)L"Type", 0x10), 0);
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeyPersistentState, KEY_READ, 0, &h), STATUS_INVALID_PARAMETER,
                 "a Win32 service type");
    cr_assert_eq(regdb_set_dword(m->reg, sk, (const uint16_t *)L"Type", 2), 0);
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeyPersistentState, KEY_READ, 0, &h), STATUS_SUCCESS,
                 "file-system drivers qualify");
    cr_assert_eq(ZwClose(h), STATUS_SUCCESS);
    cr_assert_eq(h != BAD, 1);
}

Test(kpnp_isolation, parameters_is_read_only_and_never_created)
{
    HANDLE h = BAD;
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeyParameters, KEY_WRITE, 0, &h), STATUS_ACCESS_DENIED);
    cr_assert_eq(h, BAD);
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeyParameters, KEY_ALL_ACCESS, 0, &h), STATUS_ACCESS_DENIED);
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeyParameters, GENERIC_READ, 0, &h), STATUS_SUCCESS);
    cr_assert_eq(ZwClose(h), STATUS_SUCCESS);
    h = BAD;
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeyParameters, MAXIMUM_ALLOWED, 0, &h), STATUS_SUCCESS,
                 "MAXIMUM_ALLOWED becomes KEY_READ");
    emu_handle *e = emu_handle_get(m, h, EMU_H_KEY);
    cr_assert_not_null(e);
    cr_assert_eq(e->access, KEY_READ);
    cr_assert_str_eq(e->path, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\isodrv\\Parameters");
    cr_assert_str_eq(emu_prov_origin(&e->prov), "IoOpenDriverRegistryKey/DriverRegKeyParameters");
    cr_assert(e->prov.approved);
    const pnpbox_event *ev = last_event("IoOpenDriverRegistryKey");
    cr_assert_not_null(ev);
    cr_assert_str_eq(ev->rules, "");
    cr_assert_str_eq(ev->component, "isodrv");
    cr_assert_eq(ZwClose(h), STATUS_SUCCESS);
    /* Missing Parameters: not created. */
    regdb_key pk;
    cr_assert_eq(emu_ccs_open(m, "Services\\isodrv\\Parameters", &pk), 0);
    cr_assert_eq(regdb_delete_tree(m->reg, pk), 0);
    h = BAD;
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeyParameters, KEY_READ, 0, &h), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(h, BAD);
    cr_assert_eq(emu_ccs_open(m, "Services\\isodrv\\Parameters", &pk), REGDB_E_NOTFOUND);
}

Test(kpnp_isolation, state_keys_are_created_lazily)
{
    regdb_key k;
    cr_assert_eq(emu_ccs_open(m, "Services\\isodrv\\State", &k), REGDB_E_NOTFOUND);
    HANDLE h = BAD, h2 = BAD;
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeyPersistentState, KEY_ALL_ACCESS, 0, &h), STATUS_SUCCESS);
    cr_assert_str_eq(key_name(h), "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\isodrv\\State");
    cr_assert_eq(emu_ccs_open(m, "Services\\isodrv\\State", &k), 0);
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeySharedPersistentState, KEY_READ, 0, &h2), STATUS_SUCCESS);
    cr_assert_str_eq(key_name(h2), "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\isodrv\\SharedState");
    emu_handle *e = emu_handle_get(m, h2, EMU_H_KEY);
    cr_assert_eq(e->prov.scope, EMU_SCOPE_SVC_SHARED);
    /* A write under State is isolated: no finding. */
    UNICODE_STRING n;
    RtlInitUnicodeString(&n, L"Count");
    ULONG v = 3;
    cr_assert_eq(ZwSetValueKey(h, &n, 0, REG_DWORD, &v, sizeof v), STATUS_SUCCESS);
    const pnpbox_event *ev = last_event("ZwSetValueKey");
    cr_assert_not_null(ev);
    cr_assert_str_eq(ev->rules, "");
    cr_assert_str_eq(ev->origin, "IoOpenDriverRegistryKey/DriverRegKeyPersistentState");
    ZwClose(h);
    ZwClose(h2);
}

Test(kpnp_isolation, another_drivers_object_is_cross_component)
{
    /* A second driver opening isodrv's state with isodrv's DRIVER_OBJECT. */
    pnpbox_enter(pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "otherdrv"));
    HANDLE h = BAD;
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeyPersistentState, KEY_READ, 0, &h), STATUS_SUCCESS);
    const pnpbox_event *ev = last_event("IoOpenDriverRegistryKey");
    cr_assert_str_eq(ev->rules, "REG-CROSS-COMPONENT");
    cr_assert_str_eq(ev->component, "otherdrv");
    ZwClose(h);
    pnpbox_set_mode(m, PNPBOX_MODE_ENFORCE);
    h = BAD;
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeyPersistentState, KEY_READ, 0, &h), STATUS_ACCESS_DENIED);
    cr_assert_eq(h, BAD);
    cr_assert_eq(last_event("IoOpenDriverRegistryKey")->outcome, PNPBOX_OUTCOME_DENIED);
}

/* ---- IoOpenDeviceRegistryKey (§1.1) ---- */

Test(kpnp_isolation, device_key_argument_checks)
{
    HANDLE h = BAD;
    cr_assert_eq(IoOpenDeviceRegistryKey(g_fdo, PLUGPLAY_REGKEY_DEVICE, KEY_READ, &h), STATUS_INVALID_PARAMETER,
                 "an FDO is not a PDO");
    cr_assert_eq(IoOpenDeviceRegistryKey(g_pdo, PLUGPLAY_REGKEY_DEVICE | PLUGPLAY_REGKEY_DRIVER, KEY_READ, &h),
                 STATUS_INVALID_PARAMETER);
    cr_assert_eq(IoOpenDeviceRegistryKey(g_pdo, 0, KEY_READ, &h), STATUS_INVALID_PARAMETER);
    cr_assert_eq(IoOpenDeviceRegistryKey(g_pdo, PLUGPLAY_REGKEY_CURRENT_HWPROFILE, KEY_READ, &h),
                 STATUS_INVALID_PARAMETER, "HWPROFILE alone");
    cr_assert_eq(IoOpenDeviceRegistryKey(g_pdo, 8, KEY_READ, &h), STATUS_INVALID_PARAMETER);
    cr_assert_eq(IoOpenDeviceRegistryKey(g_pdo, PLUGPLAY_REGKEY_DEVICE, KEY_READ, NULL), STATUS_INVALID_PARAMETER);
    cr_assert_eq(IoOpenDeviceRegistryKey(NULL, PLUGPLAY_REGKEY_DEVICE, KEY_READ, &h), STATUS_INVALID_PARAMETER);
    cr_assert_eq(h, BAD);
}

Test(kpnp_isolation, device_hardware_key_creates_device_parameters)
{
    regdb_key k;
    cr_assert_eq(emu_ccs_open(m, "Enum\\ROOT\\ISO\\0000\\Device Parameters", &k), REGDB_E_NOTFOUND);
    HANDLE h = BAD;
    cr_assert_eq(IoOpenDeviceRegistryKey(g_pdo, PLUGPLAY_REGKEY_DEVICE, KEY_ALL_ACCESS, &h), STATUS_SUCCESS);
    cr_assert_str_eq(key_name(h), "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Enum\\ROOT\\ISO\\0000\\Device Parameters");
    regdb_key_info ki;
    cr_assert_eq(emu_ccs_open(m, "Enum\\ROOT\\ISO\\0000\\Device Parameters", &k), 0);
    cr_assert_eq(regdb_query_key(m->reg, k, &ki), 0);
    cr_assert_eq(ki.flags & REGDB_KEY_VOLATILE, 0, "non-volatile");
    emu_handle *e = emu_handle_get(m, h, EMU_H_KEY);
    cr_assert_str_eq(emu_prov_origin(&e->prov), "IoOpenDeviceRegistryKey/PLUGPLAY_REGKEY_DEVICE");
    cr_assert_eq(e->prov.scope, EMU_SCOPE_DEVICE_HW);
    cr_assert_str_eq(last_event("IoOpenDeviceRegistryKey")->rules, "", "the device's own driver");
    ZwClose(h);
}

Test(kpnp_isolation, device_software_key_is_opened_not_created)
{
    HANDLE h = BAD;
    cr_assert_eq(IoOpenDeviceRegistryKey(g_pdo, PLUGPLAY_REGKEY_DRIVER, KEY_READ, &h), STATUS_SUCCESS);
    cr_assert_str_eq(key_name(h), "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Control\\Class\\"
                                  "{4d36e97d-e325-11ce-bfc1-08002be10318}\\0000");
    ZwClose(h);
    regdb_key swk;
    cr_assert_eq(emu_ccs_open(m, "Control\\Class\\{4d36e97d-e325-11ce-bfc1-08002be10318}\\0000", &swk), 0);
    cr_assert_eq(regdb_delete_key(m->reg, swk), 0);
    h = BAD;
    cr_assert_eq(IoOpenDeviceRegistryKey(g_pdo, PLUGPLAY_REGKEY_DRIVER, KEY_READ, &h), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(h, BAD);
    cr_assert_eq(emu_ccs_open(m, "Control\\Class\\{4d36e97d-e325-11ce-bfc1-08002be10318}\\0000", &swk),
                 REGDB_E_NOTFOUND);
    /* Hardware profile forms. */
    cr_assert_eq(IoOpenDeviceRegistryKey(g_pdo, PLUGPLAY_REGKEY_DEVICE | PLUGPLAY_REGKEY_CURRENT_HWPROFILE, KEY_READ, &h),
                 STATUS_SUCCESS);
    cr_assert_str_eq(key_name(h), "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Hardware Profiles\\0001\\System\\"
                                  "CurrentControlSet\\Enum\\ROOT\\ISO\\0000");
    ZwClose(h);
}

Test(kpnp_isolation, relative_opens_inherit_and_writes_under_parameters_are_flagged)
{
    HANDLE h, sub;
    cr_assert_eq(IoOpenDriverRegistryKey(g_drv, DriverRegKeyParameters, KEY_READ, 0, &h), STATUS_SUCCESS);
    /* Reading is fine. */
    UNICODE_STRING n;
    RtlInitUnicodeString(&n, L"Setting");
    UCHAR buf[64];
    ULONG len = 0;
    cr_assert_eq(ZwQueryValueKey(h, &n, KeyValuePartialInformation, buf, sizeof buf, &len), STATUS_SUCCESS);
    cr_assert_eq(((PKEY_VALUE_PARTIAL_INFORMATION)buf)->Data[0], 7);
    cr_assert_str_eq(last_event("ZwQueryValueKey")->rules, "");
    /* A subkey opened relative to it inherits the approved origin. */
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING sn;
    RtlInitUnicodeString(&sn, L"Tuning");
    InitializeObjectAttributes(&oa, &sn, OBJ_KERNEL_HANDLE, h, NULL);
    ULONG disp = 0xdeadbeef;
    cr_assert_eq(ZwCreateKey(&sub, KEY_ALL_ACCESS, &oa, 0, NULL, 0, &disp), STATUS_SUCCESS,
                 "the handle is read-only but a relative create names its own access");
    cr_assert_eq(disp, REG_CREATED_NEW_KEY);
    const pnpbox_event *ev = last_event("ZwCreateKey");
    cr_assert_str_eq(ev->origin, "IoOpenDriverRegistryKey/DriverRegKeyParameters");
    cr_assert_str_eq(ev->rules, "REG-IMMUTABLE-WRITE", "creating a key under Parameters is a write there");
    ZwClose(sub);
    ZwClose(h);
}

/* ---- directories (§1.9, §1.10) ---- */

Test(kpnp_isolation, driver_directories)
{
    HANDLE h = BAD;
    cr_assert_eq(IoGetDriverDirectory(g_drv, DriverDirectoryData, 1, &h), STATUS_INVALID_PARAMETER);
    cr_assert_eq(IoGetDriverDirectory(g_drv, (DRIVER_DIRECTORY_TYPE)3, 0, &h), STATUS_INVALID_PARAMETER);
    cr_assert_eq(IoGetDriverDirectory(NULL, DriverDirectoryData, 0, &h), STATUS_INVALID_PARAMETER);
    cr_assert_eq(IoGetDriverDirectory(g_drv, DriverDirectoryData, 0, NULL), STATUS_INVALID_PARAMETER);
    cr_assert_eq(h, BAD);

    cr_assert_eq(IoGetDriverDirectory(g_drv, DriverDirectoryData, 0, &h), STATUS_SUCCESS);
    char p[4200];
    struct stat st;
    snprintf(p, sizeof p, "%s/Windows/ServiceState/isodrv/Data", pnpbox_volume_dir(m));
    cr_assert_eq(stat(p, &st), 0, "created on first use");
    cr_assert(S_ISDIR(st.st_mode));
    /* A file created relative to the Data handle is isolated. */
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING fn;
    RtlInitUnicodeString(&fn, L"state.bin");
    InitializeObjectAttributes(&oa, &fn, OBJ_KERNEL_HANDLE, h, NULL);
    IO_STATUS_BLOCK iosb;
    HANDLE f;
    cr_assert_eq(ZwCreateFile(&f, GENERIC_WRITE | SYNCHRONIZE, &oa, &iosb, NULL, FILE_ATTRIBUTE_NORMAL, 0,
                              FILE_OVERWRITE_IF, FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE, NULL, 0),
                 STATUS_SUCCESS);
    cr_assert_eq(iosb.Information, FILE_CREATED);
    const pnpbox_event *ev = last_event("ZwCreateFile");
    cr_assert_str_eq(ev->rules, "");
    cr_assert_str_eq(ev->origin, "IoGetDriverDirectory/DriverDirectoryData");
    cr_assert_str_eq(ev->path, "C:\\Windows\\ServiceState\\isodrv\\Data\\state.bin");
    ZwClose(f);
    ZwClose(h);

    cr_assert_eq(IoGetDriverDirectory(g_drv, DriverDirectorySharedData, 0, &h), STATUS_SUCCESS);
    snprintf(p, sizeof p, "%s/Windows/ServiceState/isodrv/SharedData", pnpbox_volume_dir(m));
    cr_assert_eq(stat(p, &st), 0);
    ZwClose(h);
}

Test(kpnp_isolation, image_directory_is_read_only)
{
    HANDLE h = BAD, f = BAD;
    cr_assert_eq(IoGetDriverDirectory(g_drv, DriverDirectoryImage, 0, &h), STATUS_SUCCESS);
    emu_handle *e = emu_handle_get(m, h, EMU_H_FILE);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->prov.scope_path, PKG);
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING fn;
    RtlInitUnicodeString(&fn, L"cache.bin");
    InitializeObjectAttributes(&oa, &fn, OBJ_KERNEL_HANDLE, h, NULL);
    IO_STATUS_BLOCK iosb;
    cr_assert_eq(ZwCreateFile(&f, GENERIC_WRITE | SYNCHRONIZE, &oa, &iosb, NULL, 0, 0, FILE_CREATE,
                              FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0),
                 STATUS_ACCESS_DENIED, "the driver store is read-only");
    cr_assert_eq(f, BAD);
    const pnpbox_event *ev = last_event("ZwCreateFile");
    cr_assert(strstr(ev->rules, "FILE-DRIVER-STORE-WRITE"), "%s", ev->rules);
    ZwClose(h);
    /* IoQueryFullDriverPath gives the image in its \SystemRoot form, in pool. */
    UNICODE_STRING full = {0xdead, 0xbeef, (PWCH)BAD};
    cr_assert_eq(IoQueryFullDriverPath(g_drv, &full), STATUS_SUCCESS);
    cr_assert_str_eq(t_u8((const uint16_t *)full.Buffer, full.Length / 2),
                     "\\SystemRoot\\System32\\DriverStore\\FileRepository\\isodrv.inf_amd64_0123456789abcdef\\isodrv.sys");
    cr_assert_eq(full.MaximumLength, full.Length + 2);
    ExFreePool(full.Buffer);
    cr_assert_eq(IoQueryFullDriverPath(NULL, &full), STATUS_INVALID_PARAMETER);
}

Test(kpnp_isolation, device_directory)
{
    HANDLE h = BAD;
    int reserved;
    cr_assert_eq(IoGetDeviceDirectory(g_pdo, DeviceDirectoryData, 0, &reserved, &h), STATUS_INVALID_PARAMETER);
    cr_assert_eq(IoGetDeviceDirectory(g_pdo, DeviceDirectoryData, 1, NULL, &h), STATUS_INVALID_PARAMETER);
    cr_assert_eq(IoGetDeviceDirectory(g_pdo, (DEVICE_DIRECTORY_TYPE)1, 0, NULL, &h), STATUS_INVALID_PARAMETER);
    cr_assert_eq(IoGetDeviceDirectory(g_fdo, DeviceDirectoryData, 0, NULL, &h), STATUS_INVALID_PARAMETER);
    cr_assert_eq(h, BAD);
    cr_assert_eq(IoGetDeviceDirectory(g_pdo, DeviceDirectoryData, 0, NULL, &h), STATUS_SUCCESS);
    char p[4200];
    struct stat st;
    snprintf(p, sizeof p, "%s/Windows/System32/DriverState/Devices/ROOT#ISO#0000/Data", pnpbox_volume_dir(m));
    cr_assert_eq(stat(p, &st), 0, "%s", p);
    emu_handle *e = emu_handle_get(m, h, EMU_H_FILE);
    cr_assert_str_eq(emu_prov_origin(&e->prov), "IoGetDeviceDirectory/DeviceDirectoryData");
    ZwClose(h);
}

/* ---- interfaces (§1.4, §1.13) ---- */

static int arrivals, removals;
static char last_link[512];
static const char *cb_comp;

static NTSTATUS on_iface(PVOID n, PVOID ctx)
{
    (void)ctx;
    PDEVICE_INTERFACE_CHANGE_NOTIFICATION c = n;
    cr_assert_eq(c->Version, 1);
    cr_assert_eq(c->Size, sizeof *c);
    cr_assert(IsEqualGUID(&c->InterfaceClassGuid, &GUID_ISO_IFACE));
    if (IsEqualGUID(&c->Event, &GUID_DEVICE_INTERFACE_ARRIVAL))
        arrivals++;
    else if (IsEqualGUID(&c->Event, &GUID_DEVICE_INTERFACE_REMOVAL))
        removals++;
    snprintf(last_link, sizeof last_link, "%s", t_u8((const uint16_t *)c->SymbolicLinkName->Buffer,
                                                       c->SymbolicLinkName->Length / 2));
    cb_comp = pnpbox_component_name(pnpbox_current_component());
    return STATUS_SUCCESS;
}

Test(kpnp_isolation, interfaces_register_enable_list_notify)
{
    UNICODE_STRING link = {0}, link2 = {0};
    cr_assert_eq(IoRegisterDeviceInterface(g_fdo, &GUID_ISO_IFACE, NULL, &link), STATUS_INVALID_DEVICE_REQUEST);
    UNICODE_STRING bad;
    RtlInitUnicodeString(&bad, L"a\\b");
    cr_assert_eq(IoRegisterDeviceInterface(g_pdo, &GUID_ISO_IFACE, &bad, &link), STATUS_INVALID_DEVICE_REQUEST);
    cr_assert_eq(IoRegisterDeviceInterface(g_pdo, &GUID_ISO_IFACE, NULL, &link), STATUS_SUCCESS);
    cr_assert_str_eq(t_u8((const uint16_t *)link.Buffer, link.Length / 2),
                     "\\??\\ROOT#ISO#0000#{a1b2c3d4-1111-2222-3344-5566778899aa}");
    cr_assert_eq(IoRegisterDeviceInterface(g_pdo, &GUID_ISO_IFACE, NULL, &link2), STATUS_OBJECT_NAME_EXISTS);
    cr_assert_eq(link2.Length, link.Length);
    RtlFreeUnicodeString(&link2);
    /* The registry layout of §1.4. */
    regdb_key ik, rk, dp;
    cr_assert_eq(emu_ccs_open(m, "Control\\DeviceClasses\\{a1b2c3d4-1111-2222-3344-5566778899aa}\\"
                                 "##?#ROOT#ISO#0000#{a1b2c3d4-1111-2222-3344-5566778899aa}",
                              &ik),
                 0);
    uint16_t *s;
    size_t n;
    cr_assert_eq(regdb_get_sz(m->reg, ik, (const uint16_t *)L"DeviceInstance", &s, &n), 0);
    cr_assert_str_eq(t_u8(s, n), "ROOT\\ISO\\0000");
    free(s);
    cr_assert_eq(regdb_open_key_u8(m->reg, ik, "#", &rk), 0);
    cr_assert_eq(regdb_get_sz(m->reg, rk, (const uint16_t *)L"SymbolicLink", &s, &n), 0);
    cr_assert_str_eq(t_u8(s, n), "\\\\?\\ROOT#ISO#0000#{a1b2c3d4-1111-2222-3344-5566778899aa}");
    free(s);
    cr_assert_eq(regdb_open_key_u8(m->reg, rk, "Device Parameters", &dp), 0);

    /* A consumer lists without registering first: IFACE-NO-NOTIFICATION. */
    PZZWSTR list = NULL;
    cr_assert_eq(IoGetDeviceInterfaces(&GUID_ISO_IFACE, NULL, 0, &list), STATUS_SUCCESS);
    cr_assert_eq(list[0], 0, "nothing enabled yet: a lone NUL");
    ExFreePool(list);
    cr_assert_str_eq(last_event("IoGetDeviceInterfaces")->rules, "IFACE-NO-NOTIFICATION");
    cr_assert_eq(IoGetDeviceInterfaces(&GUID_ISO_IFACE, NULL, DEVICE_INTERFACE_INCLUDE_NONACTIVE, &list),
                 STATUS_SUCCESS);
    cr_assert_str_eq(t_u8((const uint16_t *)list, 56), "\\??\\ROOT#ISO#0000#{a1b2c3d4-1111-2222-3344-5566778899aa}");
    cr_assert_eq(list[56], 0);
    cr_assert_eq(list[57], 0);
    ExFreePool(list);

    /* Register for notifications, then enable: arrival, as the registering driver. */
    PVOID entry = NULL;
    cr_assert_eq(IoRegisterPlugPlayNotification(EventCategoryDeviceInterfaceChange, 0, (PVOID)&GUID_ISO_IFACE, g_drv,
                                                on_iface, NULL, &entry),
                 STATUS_SUCCESS);
    cr_assert_eq(IoSetDeviceInterfaceState(&link, TRUE), STATUS_SUCCESS);
    cr_assert_eq(arrivals, 1);
    cr_assert_str_eq(last_link, "\\??\\ROOT#ISO#0000#{a1b2c3d4-1111-2222-3344-5566778899aa}");
    cr_assert_str_eq(cb_comp, "isodrv");
    cr_assert_eq(IoSetDeviceInterfaceState(&link, TRUE), STATUS_OBJECT_NAME_EXISTS);
    cr_assert_eq(arrivals, 1);
    cr_assert_eq(IoGetDeviceInterfaces(&GUID_ISO_IFACE, g_pdo, 0, &list), STATUS_SUCCESS);
    cr_assert_eq(list[0], '\\');
    ExFreePool(list);
    cr_assert_str_eq(last_event("IoGetDeviceInterfaces")->rules, "", "registered now");
    /* Linked lives in a volatile Control key. */
    regdb_key ck;
    cr_assert_eq(regdb_open_key_u8(m->reg, rk, "Control", &ck), 0);
    regdb_key_info ki;
    cr_assert_eq(regdb_query_key(m->reg, ck, &ki), 0);
    cr_assert(ki.flags & REGDB_KEY_VOLATILE);
    /* Existing interfaces for a late registration. */
    PVOID entry2 = NULL;
    cr_assert_eq(IoRegisterPlugPlayNotification(EventCategoryDeviceInterfaceChange,
                                                PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES,
                                                (PVOID)&GUID_ISO_IFACE, g_drv, on_iface, NULL, &entry2),
                 STATUS_SUCCESS);
    cr_assert_eq(arrivals, 2);
    cr_assert_eq(IoUnregisterPlugPlayNotificationEx(entry2), STATUS_SUCCESS);
    cr_assert_eq(IoUnregisterPlugPlayNotificationEx(entry2), STATUS_INVALID_PARAMETER);
    /* Disable: removal; disabling again is OBJECT_NAME_NOT_FOUND. */
    cr_assert_eq(IoSetDeviceInterfaceState(&link, FALSE), STATUS_SUCCESS);
    cr_assert_eq(removals, 1);
    cr_assert_eq(IoSetDeviceInterfaceState(&link, FALSE), STATUS_OBJECT_NAME_NOT_FOUND);
    UNICODE_STRING nolink;
    RtlInitUnicodeString(&nolink, L"\\??\\ROOT#NONE#0000#{a1b2c3d4-1111-2222-3344-5566778899aa}");
    cr_assert_eq(IoSetDeviceInterfaceState(&nolink, TRUE), STATUS_OBJECT_NAME_NOT_FOUND);
    /* The interface's own key, through the approved API. */
    HANDLE h = BAD;
    cr_assert_eq(IoOpenDeviceInterfaceRegistryKey(&link, KEY_ALL_ACCESS, &h), STATUS_SUCCESS);
    cr_assert(strstr(key_name(h), "#\\Device Parameters"));
    cr_assert_str_eq(last_event("IoOpenDeviceInterfaceRegistryKey")->rules, "");
    ZwClose(h);
    cr_assert_eq(IoOpenDeviceInterfaceRegistryKey(&nolink, KEY_READ, &h), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(IoUnregisterPlugPlayNotificationEx(entry), STATUS_SUCCESS);
    RtlFreeUnicodeString(&link);
}

/* ---- QUERY_INTERFACE contract (§1.13) ---- */

static void ref_fn(PVOID c) { (void)c; }

static NTSTATUS exporter_pnp(PDEVICE_OBJECT dev, PIRP irp)
{
    PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);
    if (s->MinorFunction == IRP_MN_QUERY_INTERFACE && IsEqualGUID(s->Parameters.QueryInterface.InterfaceType,
                                                                   &GUID_ISO_IFACE)) {
        PINTERFACE i = s->Parameters.QueryInterface.Interface;
        i->Size = (USHORT)(s->Parameters.QueryInterface.Size + 16); /* too large */
        i->Version = s->Parameters.QueryInterface.Version;
        i->InterfaceReference = ref_fn;
        i->InterfaceDereference = ref_fn;
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
    }
    return pass_down(dev, irp);
}

Test(kpnp_isolation, query_interface_contract_is_checked)
{
    g_drv->MajorFunction[IRP_MJ_PNP] = exporter_pnp;
    PDEVICE_OBJECT top = IoGetAttachedDeviceReference(g_pdo);
    PIRP irp = IoAllocateIrp(top->StackSize, FALSE);
    INTERFACE itf;
    memset(&itf, 0, sizeof itf);
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    PIO_STACK_LOCATION s = IoGetNextIrpStackLocation(irp);
    s->MajorFunction = IRP_MJ_PNP;
    s->MinorFunction = IRP_MN_QUERY_INTERFACE;
    s->Parameters.QueryInterface.InterfaceType = &GUID_ISO_IFACE;
    s->Parameters.QueryInterface.Size = sizeof itf;
    s->Parameters.QueryInterface.Version = 1;
    s->Parameters.QueryInterface.Interface = &itf;
    IoCallDriver(top, irp);
    IoFreeIrp(irp);
    ObDereferenceObject(top);
    const pnpbox_event *ev = last_event("IRP_MN_QUERY_INTERFACE");
    cr_assert_not_null(ev);
    cr_assert_str_eq(ev->rules, "IFACE-CONTRACT");
    cr_assert_str_eq(ev->component, "isodrv");
    g_drv->MajorFunction[IRP_MJ_PNP] = pass_down;
}
