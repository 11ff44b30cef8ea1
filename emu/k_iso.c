/*
 * k_iso.c: the kernel driver package isolation APIs: IoOpenDeviceRegistryKey,
 * IoOpenDriverRegistryKey, IoGetDriverDirectory, IoGetDeviceDirectory and
 * IoQueryFullDriverPath (reference §0, §1.1, §1.5, §1.9, §1.10, §1.14).
 *
 * These are the approved handle sources of DESIGN.md: the handles they
 * return carry their origin ("IoOpenDriverRegistryKey/DriverRegKeyParameters"),
 * their scope (the subtree or directory they grant) and whose state that is,
 * so later relative accesses are judged by where they really lead.  The
 * opening itself is judged too: a driver reaching another component's
 * device or driver state through these APIs is REG-CROSS-COMPONENT.
 *
 * Choices where the reference is silent (each marked UNCONFIRMED there):
 *   - DEVICE|CURRENT_HWPROFILE opens Enum\<instance> under the current
 *     hardware profile's CurrentControlSet (no "Device Parameters" below it),
 *     created if missing; DRIVER|CURRENT_HWPROFILE the profile's
 *     Control\Class\<driver>, created if missing.
 *   - IoOpenDeviceRegistryKey(DRIVER) on a device without a driver key
 *     returns STATUS_OBJECT_NAME_NOT_FOUND.
 *   - IoQueryFullDriverPath reports the ImagePath in its \SystemRoot\ form.
 *   - Data and SharedData directory handles get FILE_ALL_ACCESS; the Image
 *     directory SYNCHRONIZE|FILE_LIST_DIRECTORY and is read-only ([RE]).
 *   - The device state directory name is the instance path with every
 *     character outside [A-Za-z0-9_.&-] (and '\') replaced by '#'; the name is
 *     stored back as the device's StateDirectoryId property.
 */
#include "emu/pnp.h"

#include "base/pb_utf16.h"
#include "emu/kfile.h"
#include "emu/kreg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* pnpbox's property key for the device state directory name (devpkey.h). */
static const GUID state_dir_fmtid = {0x9c3d7a5e, 0x1f2b, 0x4c8d, {0x8e, 0x61, 0x70, 0x6e, 0x70, 0x62, 0x6f, 0x78}};
#define STATE_DIR_PID 2
#define DEVPROP_TYPE_STRING 0x12

/* Generic rights to key rights (the registry's generic mapping). */
static ACCESS_MASK key_access(ACCESS_MASK a)
{
    if (a & MAXIMUM_ALLOWED)
        a = (a & ~MAXIMUM_ALLOWED) | KEY_ALL_ACCESS;
    if (a & GENERIC_READ)
        a = (a & ~GENERIC_READ) | KEY_READ;
    if (a & GENERIC_WRITE)
        a = (a & ~GENERIC_WRITE) | KEY_WRITE;
    if (a & GENERIC_EXECUTE)
        a = (a & ~GENERIC_EXECUTE) | KEY_EXECUTE;
    if (a & GENERIC_ALL)
        a = (a & ~GENERIC_ALL) | KEY_ALL_ACCESS;
    return a;
}

/* Judge, then open/create rel (ControlSet001-relative) and put a handle with prov in *out. */
static NTSTATUS open_state_key(pnpbox_machine *m, const char *api, const char *rel, int create, ACCESS_MASK granted,
                               emu_prov *prov, void *caller, PHANDLE out)
{
    NTSTATUS st;
    regdb_key k = 0;
    int exists = emu_ccs_open(m, rel, &k) == 0;
    if (!exists && !create)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    char path[2048];
    snprintf(path, sizeof path, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\%s", rel);
    char *canon = exists ? emu_key_path_u8(m, k) : NULL;
    emu_access a = {.api = api, .kind = EMU_ACC_REG, .op = exists ? EMU_OP_OPEN : EMU_OP_CREATE, .prov = prov,
                    .key = k, .path = canon ? canon : path, .access = granted, .write = !exists,
                    .creates = !exists, .caller = caller};
    emu_verdict v;
    emu_judge(m, &a, &v);
    if (v.deny) {
        st = STATUS_ACCESS_DENIED;
        goto out;
    }
    if (!exists) {
        int rc = emu_ccs_create(m, rel, 0, &k);
        if (rc < 0) {
            st = emu_status_from_regdb(rc);
            goto out;
        }
    }
    prov->scope_key = k;
    st = emu_key_handle_new(m, k, granted, prov, EMU_HF_KERNEL, out);
out:
    emu_record(m, &a, &v, st);
    free(canon);
    return st;
}

/* Owner of a device's state: its function driver's component (else none). */
static pnpbox_component *device_owner(pnpbox_machine *m, emu_devnode *dn)
{
    uint16_t *svc = NULL;
    size_t n;
    if (regdb_get_sz(m->reg, dn->key, (const uint16_t *)L"Service", &svc, &n) < 0)
        return NULL;
    char *u = pb_utf8_from_wcs(svc, n);
    free(svc);
    pnpbox_component *c = u ? emu_comp_find(m, PNPBOX_COMP_KERNEL_DRIVER, u) : NULL;
    free(u);
    return c;
}

NTSTATUS IoOpenDeviceRegistryKey(PDEVICE_OBJECT DeviceObject, ULONG DevInstKeyType, ACCESS_MASK DesiredAccess,
                                 PHANDLE DeviceRegKey)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    NTSTATUS st;
    emu_devnode *dn = emu_devnode_of_pdo(DeviceObject);
    ULONG kind = DevInstKeyType & (PLUGPLAY_REGKEY_DEVICE | PLUGPLAY_REGKEY_DRIVER);
    int hwprof = (DevInstKeyType & PLUGPLAY_REGKEY_CURRENT_HWPROFILE) != 0;
    /* DEVICE and DRIVER are exclusive, one is needed, no other bits; the device must be a PDO (§1.1). */
    if (!dn || !DeviceRegKey || !kind || kind == (PLUGPLAY_REGKEY_DEVICE | PLUGPLAY_REGKEY_DRIVER) ||
        (DevInstKeyType & ~(ULONG)(PLUGPLAY_REGKEY_DEVICE | PLUGPLAY_REGKEY_DRIVER | PLUGPLAY_REGKEY_CURRENT_HWPROFILE))) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if (emu_fault(m, "IoOpenDeviceRegistryKey", &st))
        goto out;
    char rel[1024];
    const char *profile = hwprof ? "Hardware Profiles\\Current\\System\\CurrentControlSet\\" : "";
    int create;
    emu_prov prov = {.api = "IoOpenDeviceRegistryKey", .approved = 1, .owner = emu_comp(),
                     .scope_owner = device_owner(m, dn)};
    if (kind == PLUGPLAY_REGKEY_DEVICE) {
        prov.sel = hwprof ? "PLUGPLAY_REGKEY_DEVICE|PLUGPLAY_REGKEY_CURRENT_HWPROFILE" : "PLUGPLAY_REGKEY_DEVICE";
        prov.scope = EMU_SCOPE_DEVICE_HW;
        snprintf(rel, sizeof rel, "%sEnum\\%s%s", profile, dn->instance, hwprof ? "" : "\\Device Parameters");
        create = 1; /* Device Parameters is created if missing (§0) */
    } else {
        prov.sel = hwprof ? "PLUGPLAY_REGKEY_DRIVER|PLUGPLAY_REGKEY_CURRENT_HWPROFILE" : "PLUGPLAY_REGKEY_DRIVER";
        prov.scope = EMU_SCOPE_DEVICE_SW;
        uint16_t *drv = NULL;
        size_t n;
        if (regdb_get_sz(m->reg, dn->key, (const uint16_t *)L"Driver", &drv, &n) < 0 || !n) {
            free(drv);
            st = STATUS_OBJECT_NAME_NOT_FOUND;
            goto out;
        }
        char *u = pb_utf8_from_wcs(drv, n);
        free(drv);
        snprintf(rel, sizeof rel, "%sControl\\Class\\%s", profile, u ? u : "");
        free(u);
        create = hwprof; /* the software key is opened, never created (§1.1) */
    }
    st = open_state_key(m, "IoOpenDeviceRegistryKey", rel, create, key_access(DesiredAccess), &prov, caller,
                        DeviceRegKey);
out:
    emu_unlock(m);
    return st;
}

NTSTATUS IoOpenDriverRegistryKey(PDRIVER_OBJECT DriverObject, DRIVER_REGKEY_TYPE RegKeyType, ACCESS_MASK DesiredAccess,
                                 ULONG Flags, PHANDLE DriverRegKey)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    NTSTATUS st;
    emu_driver *drv = emu_driver_from_obj(DriverObject);
    /* §1.5 step 1. */
    if (!drv || !DriverObject->DriverExtension || !DriverObject->DriverExtension->ServiceKeyName.Length || Flags ||
        !DriverRegKey || (unsigned)RegKeyType > DriverRegKeySharedPersistentState) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if (emu_fault(m, "IoOpenDriverRegistryKey", &st))
        goto out;
    /* §1.5 step 2: the service must be a kernel, file-system or recognizer driver. */
    char rel[600];
    snprintf(rel, sizeof rel, "Services\\%s", drv->service);
    regdb_key sk;
    if (emu_ccs_open(m, rel, &sk) < 0) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    regdb_value tv;
    if (regdb_query_value(m->reg, sk, (const uint16_t *)L"Type", 4, &tv) < 0) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if (tv.type != REGDB_DWORD || tv.data_len != 4) {
        st = STATUS_REGISTRY_CORRUPT;
        goto out;
    }
    uint32_t type;
    memcpy(&type, tv.data, 4);
    if ((type & 0xB) == 0) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    emu_prov prov = {.api = "IoOpenDriverRegistryKey", .approved = 1, .owner = emu_comp(), .scope_owner = drv->comp};
    ACCESS_MASK granted;
    int create;
    if (RegKeyType == DriverRegKeyParameters) {
        /* §1.5 step 3: read-only; MAXIMUM_ALLOWED means KEY_READ; never created. */
        ACCESS_MASK a = DesiredAccess;
        if (a & MAXIMUM_ALLOWED)
            a = (a & ~MAXIMUM_ALLOWED) | KEY_READ;
        if (a & 0x7FFDFFE6u) {
            st = STATUS_ACCESS_DENIED;
            emu_log(m, "pnpbox: %s: IoOpenDriverRegistryKey(DriverRegKeyParameters) with write access 0x%x is "
                       "denied: Parameters is read-only (use DriverRegKeyPersistentState for runtime state)",
                    drv->service, (unsigned)DesiredAccess);
            /* Windows refuses it; the attempt is still the finding the driver must see. */
            char path[600];
            snprintf(path, sizeof path, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\%s\\Parameters",
                     drv->service);
            prov.sel = "DriverRegKeyParameters";
            prov.scope = EMU_SCOPE_SVC_PARAMETERS;
            emu_access acc = {.api = "IoOpenDriverRegistryKey", .kind = EMU_ACC_REG, .op = EMU_OP_OPEN,
                              .prov = &prov, .path = path, .access = DesiredAccess, .write = 1, .caller = caller};
            emu_judge_record(m, &acc, st);
            goto out;
        }
        granted = key_access(a);
        prov.sel = "DriverRegKeyParameters";
        prov.scope = EMU_SCOPE_SVC_PARAMETERS;
        snprintf(rel, sizeof rel, "Services\\%s\\Parameters", drv->service);
        create = 0;
    } else {
        /* §1.5 step 4: the service key itself is the root (no StateSeparation redirect); created lazily. */
        int shared = RegKeyType == DriverRegKeySharedPersistentState;
        granted = key_access(DesiredAccess);
        prov.sel = shared ? "DriverRegKeySharedPersistentState" : "DriverRegKeyPersistentState";
        prov.scope = shared ? EMU_SCOPE_SVC_SHARED : EMU_SCOPE_SVC_STATE;
        snprintf(rel, sizeof rel, "Services\\%s\\%s", drv->service, shared ? "SharedState" : "State");
        create = 1;
    }
    st = open_state_key(m, "IoOpenDriverRegistryKey", rel, create, granted, &prov, caller, DriverRegKey);
out:
    emu_unlock(m);
    return st;
}

/* ---------------------------------------------------------------- directories */

static NTSTATUS open_state_dir(pnpbox_machine *m, const char *api, const char *vpath, int create, ACCESS_MASK access,
                               int read_only, emu_prov *prov, void *caller, PHANDLE out)
{
    free(prov->scope_path);
    prov->scope_path = strdup(vpath);
    emu_access a = {.api = api, .kind = EMU_ACC_FILE, .op = EMU_OP_OPEN, .prov = prov, .path = vpath,
                    .access = access, .caller = caller};
    emu_verdict v;
    emu_judge(m, &a, &v);
    NTSTATUS st;
    if (v.deny)
        st = STATUS_ACCESS_DENIED;
    else if (!prov->scope_path)
        st = STATUS_INSUFFICIENT_RESOURCES;
    else
        st = emu_file_dir_handle(m, vpath, create, access, read_only, prov, EMU_HF_KERNEL | EMU_HF_SYNC_IO, out);
    emu_record(m, &a, &v, st);
    emu_prov_free(prov);
    return st;
}

NTSTATUS IoGetDriverDirectory(PDRIVER_OBJECT DriverObject, DRIVER_DIRECTORY_TYPE DirectoryType, ULONG Flags,
                              PHANDLE DriverDirectoryHandle)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    NTSTATUS st;
    emu_driver *drv = emu_driver_from_obj(DriverObject);
    if (!drv || !DriverDirectoryHandle || Flags || (unsigned)DirectoryType > DriverDirectorySharedData) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if (emu_fault(m, "IoGetDriverDirectory", &st))
        goto out;
    emu_prov prov = {.api = "IoGetDriverDirectory", .approved = 1, .owner = emu_comp(), .scope_owner = drv->comp};
    char vpath[2048];
    if (DirectoryType == DriverDirectoryImage) {
        /* §1.10: the directory of IoQueryFullDriverPath; read-only. */
        if (!drv->image_vpath) {
            st = STATUS_NOT_FOUND;
            goto out;
        }
        snprintf(vpath, sizeof vpath, "%s", drv->image_vpath);
        char *bs = strrchr(vpath, '\\');
        if (!bs || bs == vpath) {
            st = STATUS_INVALID_PARAMETER;
            goto out;
        }
        *bs = 0;
        prov.sel = "DriverDirectoryImage";
        prov.scope = EMU_SCOPE_DRIVER_IMAGE;
        st = open_state_dir(m, "IoGetDriverDirectory", vpath, 0, SYNCHRONIZE | FILE_LIST_DIRECTORY, 1, &prov, caller,
                            DriverDirectoryHandle);
    } else {
        int shared = DirectoryType == DriverDirectorySharedData;
        snprintf(vpath, sizeof vpath, "\\Windows\\ServiceState\\%s\\%s", drv->service, shared ? "SharedData" : "Data");
        prov.sel = shared ? "DriverDirectorySharedData" : "DriverDirectoryData";
        prov.scope = shared ? EMU_SCOPE_DRIVER_SHARED : EMU_SCOPE_DRIVER_DATA;
        st = open_state_dir(m, "IoGetDriverDirectory", vpath, 1, FILE_ALL_ACCESS, 0, &prov, caller,
                            DriverDirectoryHandle);
    }
out:
    emu_unlock(m);
    return st;
}

/* §1.9: StateDirectoryId if set and plain ASCII, else the escaped instance path. */
static NTSTATUS device_dir_name(pnpbox_machine *m, emu_devnode *dn, char *out, size_t cap)
{
    uint32_t type;
    void *data = NULL;
    size_t len;
    if (emu_devprop_get(m, dn->key, &state_dir_fmtid, STATE_DIR_PID, &type, &data, &len) == 0 &&
        type == DEVPROP_TYPE_STRING && len >= 2) {
        char *u = pb_utf8_from_wcs(data, len / 2 - 1);
        free(data);
        int ok = u && *u && strlen(u) < cap;
        for (const char *p = u; ok && *p; p++)
            if ((unsigned char)*p > 0x7f || *p == '\\' || *p == '/')
                ok = 0;
        if (ok) {
            snprintf(out, cap, "%s", u);
            free(u);
            return STATUS_SUCCESS;
        }
        free(u);
    } else {
        free(data);
    }
    size_t n = strlen(dn->instance);
    if (n >= cap)
        return STATUS_INVALID_PARAMETER;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)dn->instance[i];
        if (c > 0x7f)
            return STATUS_INVALID_PARAMETER;
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                 c == '&' || c == '-';
        out[i] = ok ? (char)c : '#';
    }
    out[n] = 0;
    return STATUS_SUCCESS;
}

NTSTATUS IoGetDeviceDirectory(PDEVICE_OBJECT PhysicalDeviceObject, DEVICE_DIRECTORY_TYPE DirectoryType, ULONG Flags,
                              PVOID Reserved, PHANDLE DeviceDirectoryHandle)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    NTSTATUS st;
    emu_devnode *dn = emu_devnode_of_pdo(PhysicalDeviceObject);
    if (!dn || !DeviceDirectoryHandle || Flags || Reserved || DirectoryType != DeviceDirectoryData) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if (emu_fault(m, "IoGetDeviceDirectory", &st))
        goto out;
    char name[512], vpath[700];
    if ((st = device_dir_name(m, dn, name, sizeof name)) != STATUS_SUCCESS)
        goto out;
    snprintf(vpath, sizeof vpath, "\\Windows\\System32\\DriverState\\Devices\\%s\\Data", name);
    emu_prov prov = {.api = "IoGetDeviceDirectory", .sel = "DeviceDirectoryData", .approved = 1, .owner = emu_comp(),
                     .scope_owner = device_owner(m, dn), .scope = EMU_SCOPE_DEVICE_DATA};
    st = open_state_dir(m, "IoGetDeviceDirectory", vpath, 1, FILE_ALL_ACCESS, 0, &prov, caller, DeviceDirectoryHandle);
    if (NT_SUCCESS(st)) {
        uint16_t *w = pb_wcs_from_utf8(name);
        if (w)
            emu_devprop_set(m, dn->key, &state_dir_fmtid, STATE_DIR_PID, DEVPROP_TYPE_STRING, w, (pb_wcslen(w) + 1) * 2);
        free(w);
    }
out:
    emu_unlock(m);
    return st;
}

NTSTATUS IoQueryFullDriverPath(PDRIVER_OBJECT DriverObject, PUNICODE_STRING FullPath)
{
    pnpbox_machine *m = emu_machine();
    emu_driver *drv = emu_driver_from_obj(DriverObject);
    if (!m || !drv || !FullPath)
        return STATUS_INVALID_PARAMETER;
    emu_lock(m);
    NTSTATUS st = STATUS_SUCCESS;
    if (!drv->image_nt) {
        st = STATUS_NOT_FOUND;
        goto out;
    }
    uint16_t *w = pb_wcs_from_utf8(drv->image_nt);
    size_t n = w ? pb_wcslen(w) : 0;
    /* Paged pool, freed by the caller with ExFreePool (§1.14); input contents are ignored. */
    PWCH buf = w && n < 32767 ? ExAllocatePool2(POOL_FLAG_PAGED, (n + 1) * 2, 'pfoI') : NULL;
    if (!buf) {
        free(w);
        st = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    memcpy(buf, w, (n + 1) * 2);
    free(w);
    FullPath->Buffer = buf;
    FullPath->Length = (USHORT)(n * 2);
    FullPath->MaximumLength = (USHORT)(n * 2 + 2);
out:
    emu_unlock(m);
    return st;
}
