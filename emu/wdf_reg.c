/*
 * wdf_reg.c: KMDF's registry: the isolation keys the framework opens for a
 * driver (WdfDriverOpenParametersRegistryKey,
 * WdfDriverOpenPersistentStateRegistryKey, WdfDeviceOpenRegistryKey,
 * WdfFdoInitOpenRegistryKey; reference §1.1, §1.2, §1.5, §1.6) and the
 * WdfRegistry* methods on WDFKEYs.
 *
 * Every access is recorded as the calling driver's component under the
 * WDF method's name, and every key handle carries a WDF origin
 * ("WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState").
 * On Windows these accesses happen inside Wdf01000.sys (reference §3.2:
 * Driver Verifier needs wdf01000.sys verified to see them); pnpbox
 * attributes them to the driver so a finding points at the driver's code.
 * The methods run the kernel registry's semantics (reg_core.c, as the
 * Zw*Key routines KMDF calls): a kernel caller, so handle access rights are
 * not checked.
 *
 * The methods' argument checks, status mapping and out-parameter rules
 * follow KMDF (FxRegistryAPI.cpp, FxRegKey::_QueryValue / _QueryULong /
 * _VerifyMultiSzString in the open-source framework; Windows 11's
 * Wdf01000.sys where it differs): the data of WdfRegistryQueryValue goes
 * through a KEY_VALUE_PARTIAL_INFORMATION buffer of 12 + ValueLength bytes
 * (ValueLength ignored without a Value buffer, the sum wrapping at 2^32 as
 * KMDF's does), so a buffer too small is STATUS_BUFFER_OVERFLOW with the
 * size and type reported, never STATUS_BUFFER_TOO_SMALL (except for the
 * wrapped sizes).
 *
 * Choices (docs/kmdf.md): WdfDriverOpenParametersRegistryKey with read
 * access mirrors IoOpenDriverRegistryKey (the key is not created); any
 * other access bit takes the legacy path, which creates the key.  Where
 * KMDF would read before a buffer (a zero-length REG_SZ into
 * WdfRegistryQueryUnicodeString) or past it (a REG_DWORD shorter than four
 * bytes), pnpbox leaves Length as is / zero-fills.  An empty WDFSTRING
 * assigns "" (KMDF would copy from a NULL buffer).
 */
#include "emu/wdf_int.h"

#include "base/pb_utf16.h"
#include "emu/kreg.h"
#include "emu/reg_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* IoOpenDriverRegistryKey's read-only test for Parameters (reference §1.5 step 3). */
#define PARAMETERS_WRITE_BITS 0x7FFDFFE6u
/* The fixed part of KEY_VALUE_PARTIAL_INFORMATION: where KMDF's buffers start their data. */
#define PARTIAL_FIXED 12u

/* ---------------------------------------------------------------- WDFKEY objects */

static void key_close(wdf_key *k)
{
    if (!k->h)
        return;
    /* Close the handle only if it is still this key's (a driver may have ZwClose'd it). */
    emu_handle *e = emu_handle_get(k->o.m, k->h, EMU_H_KEY);
    if (e && e->key == k->key)
        emu_handle_close(k->o.m, k->h);
    k->h = NULL;
}

static void key_dispose(wdf_obj *o, int quiet)
{
    (void)quiet;
    key_close((wdf_key *)o);
}

/* A WDFKEY object for drv before the key is opened (KMDF commits the object first). */
static NTSTATUS key_new(pnpbox_machine *m, const char *api, wdf_driver *drv, const WDF_OBJECT_ATTRIBUTES *attrs,
                        wdf_key **out)
{
    wdf_obj *o;
    NTSTATUS st = wdf_obj_create(m, api, drv, WDF_OT_KEY, sizeof(wdf_key), attrs, &drv->o, &o);
    if (st != STATUS_SUCCESS)
        return st;
    o->dispose = key_dispose;
    *out = (wdf_key *)o;
    return STATUS_SUCCESS;
}

/* Adopt the kernel handle h into k. */
static void key_adopt(wdf_key *k, HANDLE h)
{
    emu_handle *e = emu_handle_get(k->o.m, h, EMU_H_KEY);
    k->h = h;
    k->key = e ? e->key : 0;
}

/* ---------------------------------------------------------------- the isolation keys */

/* Judge, then open (or create) a ControlSet001-relative key with prov; the handle goes to *out. */
static NTSTATUS open_state_key(pnpbox_machine *m, const char *api, const char *rel, int create, ACCESS_MASK granted,
                               emu_prov *prov, void *caller, HANDLE *out)
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

/* IoOpenDriverRegistryKey's service checks (reference §1.5 step 2). */
static NTSTATUS check_service(pnpbox_machine *m, wdf_driver *d)
{
    char rel[600];
    snprintf(rel, sizeof rel, "Services\\%s", d->ed->service);
    regdb_key sk;
    if (emu_ccs_open(m, rel, &sk) < 0)
        return STATUS_INVALID_PARAMETER;
    regdb_value tv;
    if (regdb_query_value(m->reg, sk, (const uint16_t *)L"Type", 4, &tv) < 0)
        return STATUS_INVALID_PARAMETER;
    if (tv.type != REGDB_DWORD || tv.data_len != 4)
        return STATUS_REGISTRY_CORRUPT;
    uint32_t type;
    memcpy(&type, tv.data, 4);
    return (type & 0xB) ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

typedef enum { DRV_KEY_PARAMETERS, DRV_KEY_STATE } drv_key_kind;

static NTSTATUS driver_key(const char *api, void *caller, WDFDRIVER Driver, ACCESS_MASK DesiredAccess,
                           PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key, drv_key_kind kind)
{
    wdf_driver *d = (wdf_driver *)wdf_handle(Driver, WDF_OT_DRIVER, api);
    if (!d)
        return STATUS_INVALID_HANDLE;
    pnpbox_machine *m = d->o.m;
    if (!Key) {
        wdf_bugcheck(m, api, "a NULL Key");
        return STATUS_INVALID_PARAMETER;
    }
    emu_lock(m);
    *Key = NULL;
    wdf_key *k = NULL;
    NTSTATUS st = wdf_validate_attributes(KeyAttributes, 0);
    if (st != STATUS_SUCCESS || (st = key_new(m, api, d, KeyAttributes, &k)) != STATUS_SUCCESS)
        goto out;
    char rel[600];
    emu_prov prov = {.api = api, .approved = 1, .owner = emu_comp(), .scope_owner = d->ed->comp};
    ACCESS_MASK a = DesiredAccess;
    HANDLE h = NULL;
    if (kind == DRV_KEY_PARAMETERS) {
        snprintf(rel, sizeof rel, "Services\\%s\\Parameters", d->ed->service);
        prov.scope = EMU_SCOPE_SVC_PARAMETERS;
        if (a & MAXIMUM_ALLOWED)
            a = (a & ~MAXIMUM_ALLOWED) | KEY_READ;
        if (!(a & PARAMETERS_WRITE_BITS)) {
            /* Read-only: the isolation API (IoOpenDriverRegistryKey, DriverRegKeyParameters). */
            prov.sel = "DriverRegKeyParameters";
            if ((st = check_service(m, d)) == STATUS_SUCCESS)
                st = open_state_key(m, api, rel, 0, reg_core_map_access(a), &prov, caller, &h);
        } else {
            /*
             * A write bit: IoOpenDriverRegistryKey refuses it (STATUS_ACCESS_DENIED), so KMDF
             * opens or creates Services\<svc>\Parameters itself, as before driver isolation.
             * Writes through this key change the immutable Parameters key.
             */
            prov.sel = "legacy-write";
            emu_log(m,
                    "pnpbox: warning: %s: %s with write access 0x%x opens Services\\%s\\Parameters directly "
                    "(KMDF's legacy path); Parameters is immutable for an isolated driver: keep runtime "
                    "state under WdfDriverOpenPersistentStateRegistryKey instead",
                    d->ed->service, api, (unsigned)DesiredAccess, d->ed->service);
            char svc[600];
            snprintf(svc, sizeof svc, "Services\\%s", d->ed->service);
            regdb_key sk;
            if (emu_ccs_open(m, svc, &sk) < 0)
                st = STATUS_OBJECT_NAME_NOT_FOUND; /* the open of the RegistryPath fails */
            else
                st = open_state_key(m, api, rel, 1, reg_core_map_access(DesiredAccess), &prov, caller, &h);
        }
    } else {
        /* IoOpenDriverRegistryKey(DriverRegKeyPersistentState): Services\<svc>\State, created lazily (§1.5 step 4). */
        snprintf(rel, sizeof rel, "Services\\%s\\State", d->ed->service);
        prov.sel = "DriverRegKeyPersistentState";
        prov.scope = EMU_SCOPE_SVC_STATE;
        if ((st = check_service(m, d)) == STATUS_SUCCESS)
            st = open_state_key(m, api, rel, 1, reg_core_map_access(DesiredAccess), &prov, caller, &h);
    }
    if (st != STATUS_SUCCESS) {
        wdf_obj_discard(&k->o);
        goto out;
    }
    key_adopt(k, h);
    *Key = (WDFKEY)k;
out:
    emu_unlock(m);
    return st;
}

NTSTATUS WdfDriverOpenParametersRegistryKey(WDFDRIVER Driver, ACCESS_MASK DesiredAccess,
                                            PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)
{
    return driver_key("WdfDriverOpenParametersRegistryKey", __builtin_return_address(0), Driver, DesiredAccess,
                      KeyAttributes, Key, DRV_KEY_PARAMETERS);
}

NTSTATUS WdfDriverOpenPersistentStateRegistryKey(WDFDRIVER Driver, ACCESS_MASK DesiredAccess,
                                                 PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)
{
    return driver_key("WdfDriverOpenPersistentStateRegistryKey", __builtin_return_address(0), Driver, DesiredAccess,
                      KeyAttributes, Key, DRV_KEY_STATE);
}

/* The component whose device state this is: the devnode's function driver. */
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

/* IoOpenDeviceRegistryKey on the PDO (reference §1.1), recorded under api. */
static NTSTATUS device_key(pnpbox_machine *m, const char *api, void *caller, wdf_driver *drv, PDEVICE_OBJECT pdo,
                           ULONG type, ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)
{
    wdf_key *k = NULL;
    NTSTATUS st = key_new(m, api, drv, KeyAttributes, &k);
    if (st != STATUS_SUCCESS)
        return st;
    emu_devnode *dn = emu_devnode_of_pdo(pdo);
    ULONG kind = type & (PLUGPLAY_REGKEY_DEVICE | PLUGPLAY_REGKEY_DRIVER);
    int hwprof = (type & PLUGPLAY_REGKEY_CURRENT_HWPROFILE) != 0;
    HANDLE h = NULL;
    if (!dn) {
        st = STATUS_INVALID_DEVICE_STATE; /* the PDO is gone */
        goto out;
    }
    if (!kind || kind == (PLUGPLAY_REGKEY_DEVICE | PLUGPLAY_REGKEY_DRIVER) ||
        (type & ~(ULONG)(PLUGPLAY_REGKEY_DEVICE | PLUGPLAY_REGKEY_DRIVER | PLUGPLAY_REGKEY_CURRENT_HWPROFILE))) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    char rel[1024];
    const char *profile = hwprof ? "Hardware Profiles\\Current\\System\\CurrentControlSet\\" : "";
    emu_prov prov = {.api = api, .approved = 1, .owner = emu_comp(), .scope_owner = device_owner(m, dn)};
    int create;
    if (kind == PLUGPLAY_REGKEY_DEVICE) {
        prov.sel = hwprof ? "PLUGPLAY_REGKEY_DEVICE|PLUGPLAY_REGKEY_CURRENT_HWPROFILE" : "PLUGPLAY_REGKEY_DEVICE";
        prov.scope = EMU_SCOPE_DEVICE_HW;
        snprintf(rel, sizeof rel, "%sEnum\\%s%s", profile, dn->instance, hwprof ? "" : "\\Device Parameters");
        create = 1;
    } else {
        prov.sel = hwprof ? "PLUGPLAY_REGKEY_DRIVER|PLUGPLAY_REGKEY_CURRENT_HWPROFILE" : "PLUGPLAY_REGKEY_DRIVER";
        prov.scope = EMU_SCOPE_DEVICE_SW;
        uint16_t *drvkey = NULL;
        size_t n;
        if (regdb_get_sz(m->reg, dn->key, (const uint16_t *)L"Driver", &drvkey, &n) < 0 || !n) {
            free(drvkey);
            st = STATUS_OBJECT_NAME_NOT_FOUND;
            goto out;
        }
        char *u = pb_utf8_from_wcs(drvkey, n);
        free(drvkey);
        snprintf(rel, sizeof rel, "%sControl\\Class\\%s", profile, u ? u : "");
        free(u);
        create = hwprof;
    }
    st = open_state_key(m, api, rel, create, reg_core_map_access(DesiredAccess), &prov, caller, &h);
out:
    if (st != STATUS_SUCCESS) {
        wdf_obj_discard(&k->o);
        return st;
    }
    key_adopt(k, h);
    *Key = (WDFKEY)k;
    return STATUS_SUCCESS;
}

NTSTATUS WdfFdoInitOpenRegistryKey(PWDFDEVICE_INIT DeviceInit, ULONG DeviceInstanceKeyType, ACCESS_MASK DesiredAccess,
                                   PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)
{
    static const char api[] = "WdfFdoInitOpenRegistryKey";
    void *caller = __builtin_return_address(0);
    if (!DeviceInit) {
        wdf_bugcheck(NULL, api, "a NULL DeviceInit (it is NULL once WdfDeviceCreate succeeded)");
        return STATUS_INVALID_PARAMETER;
    }
    PWDFDEVICE_INIT init = wdf_init_handle(DeviceInit, api);
    if (!init)
        return STATUS_INVALID_PARAMETER; /* "DeviceInit not from EvtDriverDeviceAdd" (reference §1.2) */
    pnpbox_machine *m = init->drv->o.m;
    if (!Key) {
        wdf_bugcheck(m, api, "a NULL Key");
        return STATUS_INVALID_PARAMETER;
    }
    emu_lock(m);
    *Key = NULL;
    NTSTATUS st = wdf_validate_attributes(KeyAttributes, 0);
    if (st == STATUS_SUCCESS)
        st = device_key(m, api, caller, init->drv, init->pdo, DeviceInstanceKeyType, DesiredAccess, KeyAttributes,
                        Key);
    emu_unlock(m);
    return st;
}

NTSTATUS WdfDeviceOpenRegistryKey(WDFDEVICE Device, ULONG DeviceInstanceKeyType, ACCESS_MASK DesiredAccess,
                                  PWDF_OBJECT_ATTRIBUTES DeviceAttributes, WDFKEY *Key)
{
    static const char api[] = "WdfDeviceOpenRegistryKey";
    void *caller = __builtin_return_address(0);
    wdf_device *d = (wdf_device *)wdf_handle(Device, WDF_OT_DEVICE, api);
    if (!d)
        return STATUS_INVALID_HANDLE;
    pnpbox_machine *m = d->o.m;
    if (!Key) {
        wdf_bugcheck(m, api, "a NULL Key");
        return STATUS_INVALID_PARAMETER;
    }
    emu_lock(m);
    *Key = NULL;
    NTSTATUS st = wdf_validate_attributes(DeviceAttributes, 0);
    if (st == STATUS_SUCCESS)
        st = device_key(m, api, caller, d->o.drv, d->pdo, DeviceInstanceKeyType, DesiredAccess, DeviceAttributes,
                        Key);
    emu_unlock(m);
    return st;
}

/* ---------------------------------------------------------------- opening keys by name */

static NTSTATUS open_named(const char *api, void *caller, WDFKEY ParentKey, PCUNICODE_STRING KeyName,
                           ACCESS_MASK DesiredAccess, ULONG CreateOptions, PULONG CreateDisposition,
                           PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key, int create)
{
    wdf_key *parent = NULL;
    pnpbox_machine *m;
    wdf_driver *drv;
    if (ParentKey) {
        if (!(parent = (wdf_key *)wdf_handle(ParentKey, WDF_OT_KEY, api)))
            return STATUS_INVALID_HANDLE;
        m = parent->o.m;
        drv = parent->o.drv;
    } else if (KeyAttributes && KeyAttributes->Size == sizeof(WDF_OBJECT_ATTRIBUTES) && KeyAttributes->ParentObject) {
        wdf_obj *po = wdf_handle(KeyAttributes->ParentObject, 0, api);
        if (!po)
            return STATUS_INVALID_HANDLE;
        m = po->m;
        drv = po->drv;
    } else {
        if (!(m = emu_machine()))
            return STATUS_INSUFFICIENT_RESOURCES;
        drv = wdf_current_driver(m);
    }
    if (!KeyName || !Key) {
        wdf_bugcheck(m, api, "a NULL %s", !KeyName ? "KeyName" : "Key");
        return STATUS_INVALID_PARAMETER;
    }
    emu_lock(m);
    *Key = NULL;
    wdf_key *k = NULL;
    NTSTATUS st = wdf_validate_attributes(KeyAttributes, 0);
    if (st != STATUS_SUCCESS || (st = wdf_validate_ustr(KeyName)) != STATUS_SUCCESS)
        goto out;
    if (!drv) {
        wdf_bugcheck(m, api, "called by '%s', which has no WDFDRIVER (WdfDriverCreate)",
                     pnpbox_component_name(emu_comp()));
        st = STATUS_INVALID_DEVICE_STATE;
        goto out;
    }
    /* NtCreateKey's option check (ZwCreateKey, which KMDF calls). */
    if (create && (CreateOptions & ~(ULONG)(REG_LEGAL_OPTION | 0x40))) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if ((st = key_new(m, api, drv, KeyAttributes, &k)) != STATUS_SUCCESS)
        goto out;
    if (DesiredAccess == 0 && !(create && (CreateOptions & REG_OPTION_BACKUP_RESTORE))) {
        st = STATUS_ACCESS_DENIED; /* NtOpenKey / NtCreateKey with no access */
    } else {
        reg_ctx c = {m, api, caller, 0};
        reg_open_args a = {0};
        a.root = parent ? parent->h : NULL;
        a.name = (const uint16_t *)KeyName->Buffer;
        a.name_len = KeyName->Length / 2;
        a.access = DesiredAccess;
        a.flags = create ? REG_OPEN_CREATE : 0;
        if (create && (CreateOptions & REG_OPTION_BACKUP_RESTORE))
            a.flags |= REG_OPEN_BACKUP;
        a.create_options = create ? CreateOptions & (REG_OPTION_VOLATILE | REG_OPTION_CREATE_LINK) : 0;
        a.hflags = EMU_HF_KERNEL; /* KMDF opens with OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE */
        void *h = NULL;
        uint32_t disp = 0;
        if (!emu_fault(m, api, &st))
            st = reg_core_open(&c, &a, &h, &disp);
        if (st == STATUS_SUCCESS) {
            key_adopt(k, h);
            if (create && CreateDisposition)
                *CreateDisposition = disp;
        }
    }
    if (st != STATUS_SUCCESS) {
        wdf_obj_discard(&k->o);
        goto out;
    }
    *Key = (WDFKEY)k;
out:
    emu_unlock(m);
    return st;
}

NTSTATUS WdfRegistryOpenKey(WDFKEY ParentKey, PCUNICODE_STRING KeyName, ACCESS_MASK DesiredAccess,
                            PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)
{
    return open_named("WdfRegistryOpenKey", __builtin_return_address(0), ParentKey, KeyName, DesiredAccess, 0, NULL,
                      KeyAttributes, Key, 0);
}

NTSTATUS WdfRegistryCreateKey(WDFKEY ParentKey, PCUNICODE_STRING KeyName, ACCESS_MASK DesiredAccess,
                              ULONG CreateOptions, PULONG CreateDisposition, PWDF_OBJECT_ATTRIBUTES KeyAttributes,
                              WDFKEY *Key)
{
    return open_named("WdfRegistryCreateKey", __builtin_return_address(0), ParentKey, KeyName, DesiredAccess,
                      CreateOptions, CreateDisposition, KeyAttributes, Key, 1);
}

VOID WdfRegistryClose(WDFKEY Key)
{
    wdf_key *k = (wdf_key *)wdf_handle(Key, WDF_OT_KEY, "WdfRegistryClose");
    if (!k)
        return;
    pnpbox_machine *m = k->o.m;
    emu_lock(m);
    key_close(k);
    wdf_obj_delete(&k->o, 0);
    emu_unlock(m);
}

HANDLE WdfRegistryWdmGetHandle(WDFKEY Key)
{
    wdf_key *k = (wdf_key *)wdf_handle(Key, WDF_OT_KEY, "WdfRegistryWdmGetHandle");
    return k ? k->h : NULL;
}

/* ---------------------------------------------------------------- operations on a key */

/* A key method's first steps: the key, then the value name (bug check when NULL, then KMDF's string check). */
static wdf_key *key_args(const char *api, WDFKEY Key, PCUNICODE_STRING name, const void *other, const char *other_name,
                         NTSTATUS *st)
{
    wdf_key *k = (wdf_key *)wdf_handle(Key, WDF_OT_KEY, api);
    if (!k) {
        *st = STATUS_INVALID_HANDLE;
        return NULL;
    }
    if (!name || (other_name && !other)) {
        wdf_bugcheck(k->o.m, api, "a NULL %s", !name ? "ValueName" : other_name);
        *st = STATUS_INVALID_PARAMETER;
        return NULL;
    }
    if ((*st = wdf_validate_ustr(name)) != STATUS_SUCCESS)
        return NULL;
    return k;
}

/* The key and the value name of a call (key_args without a second required argument). */
static wdf_key *key_arg(const char *api, WDFKEY Key, PCUNICODE_STRING name, NTSTATUS *st)
{
    return key_args(api, Key, name, NULL, NULL, st);
}

/* The value name as Zw*ValueKey take it: trailing NULs dropped when strip (query, set). */
static void vname(PCUNICODE_STRING s, int strip, const uint16_t **p, size_t *n)
{
    const uint16_t *b = (const uint16_t *)s->Buffer;
    size_t len = s->Length / 2;
    while (strip && len && b[len - 1] == 0)
        len--;
    *p = b;
    *n = len;
}

/*
 * Read a value through the key's handle as api (recorded with the final
 * status by the caller through q_end).  On success *type, *data (a copy in
 * q->small or malloc'd, NULL when empty; q_end releases it) and *len
 * describe it.
 */
typedef struct kq {
    reg_ctx c;
    reg_op op;
    int begun;
    unsigned char small[256] __attribute__((aligned(8))); /* the data of small values: no allocation */
} kq;

static NTSTATUS q_get(kq *q, wdf_key *k, const char *api, void *caller, PCUNICODE_STRING name, ULONG *type,
                      void **data, ULONG *len)
{
    q->c = (reg_ctx){k->o.m, api, caller, 0};
    q->begun = 0;
    *data = NULL;
    NTSTATUS st = reg_op_resolve(&q->c, &q->op, k->h, KEY_QUERY_VALUE);
    if (st < 0)
        return st;
    const uint16_t *p;
    size_t n;
    vname(name, 1, &p, &n);
    if (emu_fault(k->o.m, api, &st))
        return st;
    if ((st = reg_op_judge(&q->c, &q->op, EMU_OP_QUERY, KEY_QUERY_VALUE, 0, p, n, 1)) < 0)
        return st;
    q->begun = 1;
    regdb_value v;
    if ((st = reg_core_get_value(&q->c, &q->op, p, n, &v)) != STATUS_SUCCESS)
        return st;
    if (v.data_len > 0xFFFFFFF0u)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (v.data_len && !(*data = v.data_len <= sizeof q->small ? q->small : malloc(v.data_len)))
        return STATUS_INSUFFICIENT_RESOURCES;
    if (v.data_len)
        memcpy(*data, v.data, v.data_len);
    *type = v.type;
    *len = (ULONG)v.data_len;
    return STATUS_SUCCESS;
}

static void q_end(kq *q, NTSTATUS st, void *data)
{
    if (q->begun)
        reg_op_end(&q->c, &q->op, st);
    if (data != q->small)
        free(data);
}

/* Write a value through the key's handle as api (ZwSetValueKey's checks and semantics). */
static NTSTATUS key_set(wdf_key *k, const char *api, void *caller, PCUNICODE_STRING name, ULONG type,
                        const void *data, ULONG size)
{
    reg_ctx c = {k->o.m, api, caller, 0};
    reg_op op;
    NTSTATUS st = reg_op_resolve(&c, &op, k->h, KEY_SET_VALUE);
    if (st < 0)
        return st;
    if (name->Length > 32767 || size > 0x80000000u)
        return STATUS_INVALID_PARAMETER;
    if (size && !data)
        return STATUS_ACCESS_VIOLATION;
    const uint16_t *p;
    size_t n;
    vname(name, 1, &p, &n);
    if (emu_fault(k->o.m, api, &st))
        return st;
    if ((st = reg_op_judge(&c, &op, EMU_OP_SET, KEY_SET_VALUE, 1, p, n, 1)) < 0)
        return st;
    st = reg_core_set_value(&c, &op, p, n, type, data, size);
    reg_op_end(&c, &op, st);
    return st;
}

NTSTATUS WdfRegistryRemoveKey(WDFKEY Key)
{
    static const char api[] = "WdfRegistryRemoveKey";
    void *caller = __builtin_return_address(0);
    wdf_key *k = (wdf_key *)wdf_handle(Key, WDF_OT_KEY, api);
    if (!k)
        return STATUS_INVALID_HANDLE;
    pnpbox_machine *m = k->o.m;
    emu_lock(m);
    reg_ctx c = {m, api, caller, 0};
    reg_op op;
    NTSTATUS st = reg_op_resolve(&c, &op, k->h, DELETE);
    if (st < 0 || emu_fault(m, api, &st))
        goto out;
    if ((st = reg_op_judge(&c, &op, EMU_OP_DELETE, DELETE, 1, NULL, 0, 0)) < 0)
        goto out;
    st = reg_core_delete_key(&c, &op);
    reg_op_end(&c, &op, st);
    /* The handle is useless now: the WDFKEY goes. */
    if (NT_SUCCESS(st))
        wdf_obj_delete(&k->o, 0);
out:
    emu_unlock(m);
    return st;
}

NTSTATUS WdfRegistryRemoveValue(WDFKEY Key, PCUNICODE_STRING ValueName)
{
    static const char api[] = "WdfRegistryRemoveValue";
    void *caller = __builtin_return_address(0);
    NTSTATUS st;
    wdf_key *k = key_arg(api, Key, ValueName, &st);
    if (!k)
        return st;
    pnpbox_machine *m = k->o.m;
    emu_lock(m);
    reg_ctx c = {m, api, caller, 0};
    reg_op op;
    if ((st = reg_op_resolve(&c, &op, k->h, KEY_SET_VALUE)) < 0 || emu_fault(m, api, &st))
        goto out;
    const uint16_t *p;
    size_t n;
    vname(ValueName, 0, &p, &n); /* ZwDeleteValueKey keeps trailing NULs */
    if ((st = reg_op_judge(&c, &op, EMU_OP_DELETE, KEY_SET_VALUE, 1, p, n, 1)) < 0)
        goto out;
    st = reg_core_delete_value(&c, &op, p, n);
    reg_op_end(&c, &op, st);
out:
    emu_unlock(m);
    return st;
}

NTSTATUS WdfRegistryQueryValue(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueLength, PVOID Value,
                               PULONG ValueLengthQueried, PULONG ValueType)
{
    static const char api[] = "WdfRegistryQueryValue";
    void *caller = __builtin_return_address(0);
    NTSTATUS st;
    wdf_key *k = key_arg(api, Key, ValueName, &st);
    if (!k)
        return st;
    pnpbox_machine *m = k->o.m;
    emu_lock(m);
    /* FxRegKey::_QueryValue's buffer: the partial header plus ValueLength, or the header alone without Value. */
    ULONG buf = PARTIAL_FIXED + (Value ? ValueLength : 0);
    kq q;
    ULONG type = 0, len = 0;
    void *data = NULL;
    st = q_get(&q, k, api, caller, ValueName, &type, &data, &len);
    if (st == STATUS_SUCCESS) {
        if (buf < PARTIAL_FIXED)
            st = STATUS_BUFFER_TOO_SMALL; /* 12 + ValueLength wrapped */
        else if (len > buf - PARTIAL_FIXED)
            st = STATUS_BUFFER_OVERFLOW;
    }
    if (st == STATUS_SUCCESS && Value && len)
        memcpy(Value, data, len);
    if (st == STATUS_SUCCESS || st == STATUS_BUFFER_OVERFLOW) {
        if (ValueLengthQueried)
            *ValueLengthQueried = len;
        if (ValueType)
            *ValueType = type;
    }
    q_end(&q, st, data);
    emu_unlock(m);
    return st;
}

NTSTATUS WdfRegistryQueryULong(WDFKEY Key, PCUNICODE_STRING ValueName, PULONG Value)
{
    static const char api[] = "WdfRegistryQueryULong";
    void *caller = __builtin_return_address(0);
    NTSTATUS st;
    wdf_key *k = key_args(api, Key, ValueName, Value, "Value", &st);
    if (!k)
        return st;
    pnpbox_machine *m = k->o.m;
    emu_lock(m);
    kq q;
    ULONG type = 0, len = 0;
    void *data = NULL;
    st = q_get(&q, k, api, caller, ValueName, &type, &data, &len);
    /* FxRegKey::_QueryULong: room for four bytes; any type but REG_DWORD is a mismatch. */
    if (st == STATUS_SUCCESS && len > sizeof(ULONG))
        st = STATUS_BUFFER_OVERFLOW;
    if ((st == STATUS_SUCCESS || st == STATUS_BUFFER_OVERFLOW) && type != REG_DWORD)
        st = STATUS_OBJECT_TYPE_MISMATCH;
    if (st == STATUS_SUCCESS) {
        ULONG v = 0;
        memcpy(&v, data, len);
        *Value = v;
    }
    q_end(&q, st, data);
    emu_unlock(m);
    return st;
}

NTSTATUS WdfRegistryQueryUnicodeString(WDFKEY Key, PCUNICODE_STRING ValueName, PUSHORT ValueByteLength,
                                       PUNICODE_STRING Value)
{
    static const char api[] = "WdfRegistryQueryUnicodeString";
    void *caller = __builtin_return_address(0);
    NTSTATUS st;
    wdf_key *k = key_arg(api, Key, ValueName, &st);
    if (!k)
        return st;
    if (Value && (st = wdf_validate_ustr(Value)) != STATUS_SUCCESS)
        return st;
    pnpbox_machine *m = k->o.m;
    emu_lock(m);
    ULONG cap = Value ? Value->MaximumLength : 0;
    kq q;
    ULONG type = 0, len = 0;
    void *data = NULL;
    st = q_get(&q, k, api, caller, ValueName, &type, &data, &len);
    if (st == STATUS_SUCCESS && len > cap)
        st = STATUS_BUFFER_OVERFLOW;
    if (st == STATUS_SUCCESS && type != REG_SZ && type != REG_EXPAND_SZ)
        st = STATUS_OBJECT_TYPE_MISMATCH;
    if ((st == STATUS_SUCCESS || st == STATUS_BUFFER_OVERFLOW) && ValueByteLength)
        *ValueByteLength = (USHORT)len;
    if (st == STATUS_SUCCESS && Value) {
        if (len)
            memcpy(Value->Buffer, data, len);
        Value->Length = (USHORT)len;
        /* The terminating NUL is not part of Length. */
        if (Value->Length >= 2 && Value->Buffer[Value->Length / 2 - 1] == 0)
            Value->Length -= 2;
    }
    q_end(&q, st, data);
    emu_unlock(m);
    return st;
}

NTSTATUS WdfRegistryQueryString(WDFKEY Key, PCUNICODE_STRING ValueName, WDFSTRING String)
{
    static const char api[] = "WdfRegistryQueryString";
    void *caller = __builtin_return_address(0);
    NTSTATUS st;
    wdf_key *k = key_args(api, Key, ValueName, String, "String", &st);
    if (!k)
        return st;
    wdf_string *s = (wdf_string *)wdf_handle(String, WDF_OT_STRING, api);
    if (!s)
        return STATUS_INVALID_HANDLE;
    pnpbox_machine *m = k->o.m;
    emu_lock(m);
    kq q;
    ULONG type = 0, len = 0;
    void *data = NULL;
    st = q_get(&q, k, api, caller, ValueName, &type, &data, &len);
    if (st == STATUS_SUCCESS && type != REG_SZ && type != REG_EXPAND_SZ)
        st = STATUS_OBJECT_TYPE_MISMATCH;
    if (st == STATUS_SUCCESS && len > 0xFFFF)
        st = STATUS_INVALID_BUFFER_SIZE;
    if (st == STATUS_SUCCESS) {
        /* Not necessarily NUL-terminated; one final NUL is dropped, embedded ones stay. Odd bytes are cut. */
        ULONG bytes = len & ~1u;
        const uint16_t *w = data;
        if (bytes >= 2 && w[bytes / 2 - 1] == 0)
            bytes -= 2;
        st = wdf_string_assign(s, bytes ? w : NULL, (USHORT)bytes);
    }
    q_end(&q, st, data);
    emu_unlock(m);
    return st;
}

NTSTATUS WdfRegistryQueryMultiString(WDFKEY Key, PCUNICODE_STRING ValueName, PWDF_OBJECT_ATTRIBUTES StringsAttributes,
                                     WDFCOLLECTION Collection)
{
    static const char api[] = "WdfRegistryQueryMultiString";
    void *caller = __builtin_return_address(0);
    wdf_key *k = (wdf_key *)wdf_handle(Key, WDF_OT_KEY, api);
    if (!k)
        return STATUS_INVALID_HANDLE;
    if (!ValueName || !Collection) {
        wdf_bugcheck(k->o.m, api, "a NULL %s", !ValueName ? "ValueName" : "Collection");
        return STATUS_INVALID_PARAMETER;
    }
    NTSTATUS st;
    if ((st = wdf_validate_attributes(StringsAttributes, 0)) != STATUS_SUCCESS ||
        (st = wdf_validate_ustr(ValueName)) != STATUS_SUCCESS)
        return st;
    wdf_collection *c = (wdf_collection *)wdf_handle(Collection, WDF_OT_COLLECTION, api);
    if (!c)
        return STATUS_INVALID_HANDLE;
    pnpbox_machine *m = k->o.m;
    emu_lock(m);
    kq q;
    ULONG type = 0, len = 0;
    void *data = NULL;
    st = q_get(&q, k, api, caller, ValueName, &type, &data, &len);
    if (st == STATUS_SUCCESS && type != REG_MULTI_SZ)
        st = STATUS_OBJECT_TYPE_MISMATCH;
    /* FxRegKey::_VerifyMultiSzString: whole characters ending in two NULs. */
    const uint16_t *w = data;
    if (st == STATUS_SUCCESS && ((len & 1) || len < 4 || w[len / 2 - 1] || w[len / 2 - 2]))
        st = STATUS_OBJECT_TYPE_MISMATCH;
    if (st == STATUS_SUCCESS) {
        ULONG initial = c->n;
        for (size_t i = 0; w[i];) {
            size_t j = i;
            while (w[j])
                j++;
            wdf_string *s = NULL;
            if ((j - i) * 2 > 0xFFFC)
                st = STATUS_INTEGER_OVERFLOW;
            else
                st = wdf_string_new(m, k->o.drv, StringsAttributes, 1, w + i, (USHORT)((j - i) * 2), &s);
            if (st == STATUS_SUCCESS && (st = wdf_collection_append(c, &s->o)) != STATUS_SUCCESS)
                wdf_obj_discard(&s->o);
            if (st != STATUS_SUCCESS)
                break;
            i = j + 1;
        }
        /* On failure the entries added are taken out again (the strings themselves stay, as KMDF's do). */
        if (st != STATUS_SUCCESS)
            while (c->n > initial)
                wdf_collection_remove_at(c, initial, 0);
    }
    q_end(&q, st, data);
    emu_unlock(m);
    return st;
}

NTSTATUS WdfRegistryAssignValue(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueType, ULONG ValueLength,
                                PVOID Value)
{
    static const char api[] = "WdfRegistryAssignValue";
    void *caller = __builtin_return_address(0);
    NTSTATUS st;
    wdf_key *k = key_arg(api, Key, ValueName, &st);
    if (!k)
        return st;
    emu_lock(k->o.m);
    st = key_set(k, api, caller, ValueName, ValueType, Value, ValueLength);
    emu_unlock(k->o.m);
    return st;
}

NTSTATUS WdfRegistryAssignULong(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG Value)
{
    static const char api[] = "WdfRegistryAssignULong";
    void *caller = __builtin_return_address(0);
    NTSTATUS st;
    wdf_key *k = key_arg(api, Key, ValueName, &st);
    if (!k)
        return st;
    emu_lock(k->o.m);
    st = key_set(k, api, caller, ValueName, REG_DWORD, &Value, sizeof Value);
    emu_unlock(k->o.m);
    return st;
}

NTSTATUS WdfRegistryAssignUnicodeString(WDFKEY Key, PCUNICODE_STRING ValueName, PCUNICODE_STRING Value)
{
    static const char api[] = "WdfRegistryAssignUnicodeString";
    void *caller = __builtin_return_address(0);
    NTSTATUS st;
    wdf_key *k = key_args(api, Key, ValueName, Value, "Value", &st);
    if (!k)
        return st;
    if ((st = wdf_validate_ustr(Value)) != STATUS_SUCCESS)
        return st;
    /* The text plus a NUL, counted in the data. */
    ULONG size = Value->Length + 2u;
    uint16_t *tmp = malloc(size);
    if (!tmp)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (Value->Length)
        memcpy(tmp, Value->Buffer, Value->Length);
    tmp[Value->Length / 2] = 0;
    emu_lock(k->o.m);
    st = key_set(k, api, caller, ValueName, REG_SZ, tmp, size);
    emu_unlock(k->o.m);
    free(tmp);
    return st;
}

NTSTATUS WdfRegistryAssignString(WDFKEY Key, PCUNICODE_STRING ValueName, WDFSTRING String)
{
    static const char api[] = "WdfRegistryAssignString";
    void *caller = __builtin_return_address(0);
    NTSTATUS st;
    wdf_key *k = key_args(api, Key, ValueName, String, "String", &st);
    if (!k)
        return st;
    wdf_string *s = (wdf_string *)wdf_handle(String, WDF_OT_STRING, api);
    if (!s)
        return STATUS_INVALID_HANDLE;
    static const uint16_t empty[1] = {0};
    emu_lock(k->o.m);
    st = key_set(k, api, caller, ValueName, REG_SZ, s->s.Buffer ? (const void *)s->s.Buffer : empty,
                 s->s.Length + 2u);
    emu_unlock(k->o.m);
    return st;
}

NTSTATUS WdfRegistryAssignMultiString(WDFKEY Key, PCUNICODE_STRING ValueName, WDFCOLLECTION StringsCollection)
{
    static const char api[] = "WdfRegistryAssignMultiString";
    void *caller = __builtin_return_address(0);
    NTSTATUS st;
    wdf_key *k = key_args(api, Key, ValueName, StringsCollection, "StringsCollection", &st);
    if (!k)
        return st;
    wdf_collection *c = (wdf_collection *)wdf_handle(StringsCollection, WDF_OT_COLLECTION, api);
    if (!c)
        return STATUS_INVALID_HANDLE;
    emu_lock(k->o.m);
    /* FxCalculateTotalStringSize: every item a string, each with its NUL, one more NUL (two when empty). */
    size_t bytes = 0;
    for (ULONG i = 0; i < c->n; i++) {
        if (c->items[i]->type != WDF_OT_STRING) {
            st = STATUS_INVALID_PARAMETER;
            goto out;
        }
        bytes += ((wdf_string *)c->items[i])->s.Length + 2u;
    }
    bytes += c->n ? 2 : 4;
    uint16_t *buf = malloc(bytes);
    if (!buf) {
        st = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    size_t at = 0;
    for (ULONG i = 0; i < c->n; i++) {
        const UNICODE_STRING *u = &((wdf_string *)c->items[i])->s;
        if (u->Length)
            memcpy(buf + at, u->Buffer, u->Length);
        at += u->Length / 2;
        buf[at++] = 0;
    }
    buf[at++] = 0;
    if (!c->n)
        buf[at++] = 0;
    st = key_set(k, api, caller, ValueName, REG_MULTI_SZ, buf, (ULONG)bytes);
    free(buf);
out:
    emu_unlock(k->o.m);
    return st;
}
