/*
 * test_registry.c: KMDF's registry, Wine-style (0xdeadbeef pre-fill, exact
 * statuses and every out-parameter, buffer boundaries): the isolation keys
 * (Parameters read vs the legacy write path, PersistentState, the device's
 * hardware and software keys), every WdfRegistry* method, the audit
 * records (the driver's component, the WDF origins, the rules judged) and
 * enforce mode.  The calls run as the KMDF test driver.
 */
#include "tests/wdf/kmdf_drv.h"

#include "base/pb_utf16.h"
#include "emu/emu.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define BADK ((WDFKEY)(uintptr_t)0xdeadbeef)
#define U(var, text) DECLARE_CONST_UNICODE_STRING(var, text)

static void setup(void)
{
    kd_setup();
    kd_start();
    pnpbox_enter(kd_comp());
}

TestSuite(wdf_registry, .init = setup, .fini = kd_teardown);

/* The value as stored (regdb), for checks independent of the API under test. */
static int stored(const char *rel, const char *name, uint32_t *type, void *buf, size_t cap, size_t *len)
{
    regdb_key k;
    if (emu_ccs_open(kd_m, rel, &k) < 0)
        return -1;
    uint16_t *w = pb_wcs_from_utf8(name);
    regdb_value v;
    int rc = regdb_query_value(kd_m->reg, k, w, pb_wcslen(w), &v);
    free(w);
    if (rc < 0)
        return rc;
    *type = v.type;
    *len = v.data_len;
    if (buf && v.data_len)
        memcpy(buf, v.data, v.data_len < cap ? v.data_len : cap);
    return 0;
}

static int key_exists(const char *rel)
{
    regdb_key k;
    return emu_ccs_open(kd_m, rel, &k) == 0;
}

static WDFKEY state_key(void)
{
    WDFKEY k = BADK;
    cr_assert_eq(WdfDriverOpenPersistentStateRegistryKey(kd_driver, KEY_ALL_ACCESS, NULL, &k), STATUS_SUCCESS);
    cr_assert_neq(k, BADK);
    return k;
}

static void set_value(WDFKEY k, const char *name, ULONG type, const void *data, ULONG len)
{
    uint16_t *w = pb_wcs_from_utf8(name);
    UNICODE_STRING n = {(USHORT)(pb_wcslen(w) * 2), (USHORT)(pb_wcslen(w) * 2), (PWCH)w};
    cr_assert_eq(WdfRegistryAssignValue(k, &n, type, len, (PVOID)data), STATUS_SUCCESS);
    free(w);
}

static void expect_event(const char *api, const char *origin, const char *rules, int32_t status)
{
    const pnpbox_event *e = kd_last_event(api);
    cr_assert_not_null(e, "no %s event", api);
    cr_assert_str_eq(e->component, KD_SERVICE);
    cr_assert_str_eq(e->origin, origin);
    cr_assert_str_eq(e->rules, rules);
    cr_assert_eq(e->status, status, "%s: 0x%08x", api, (unsigned)e->status);
}

/* ---- the driver's Parameters key (reference §1.6) ---- */

Test(wdf_registry, parameters_read_is_the_isolated_api)
{
    WDFKEY k = BADK;
    cr_assert_eq(WdfDriverOpenParametersRegistryKey(kd_driver, KEY_READ, WDF_NO_OBJECT_ATTRIBUTES, &k), STATUS_SUCCESS);
    expect_event("WdfDriverOpenParametersRegistryKey", "WdfDriverOpenParametersRegistryKey/DriverRegKeyParameters", "",
                 STATUS_SUCCESS);
    const pnpbox_event *e = kd_last_event("WdfDriverOpenParametersRegistryKey");
    cr_assert_str_eq(e->path, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\" KD_SERVICE "\\Parameters");
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_ALLOWED);
    cr_assert_eq(e->write, 0);
    U(verbose, L"Verbose");
    ULONG v = 0xdeadbeef;
    cr_assert_eq(WdfRegistryQueryULong(k, &verbose, &v), STATUS_SUCCESS);
    cr_assert_eq(v, 3);
    expect_event("WdfRegistryQueryULong", "WdfDriverOpenParametersRegistryKey/DriverRegKeyParameters", "",
                 STATUS_SUCCESS);
    cr_assert_str_eq(kd_last_event("WdfRegistryQueryULong")->value, "Verbose");
    /* MAXIMUM_ALLOWED and GENERIC_READ are reads too. */
    WDFKEY k2 = BADK, k3 = BADK;
    cr_assert_eq(WdfDriverOpenParametersRegistryKey(kd_driver, MAXIMUM_ALLOWED, NULL, &k2), STATUS_SUCCESS);
    cr_assert_eq(WdfDriverOpenParametersRegistryKey(kd_driver, GENERIC_READ, NULL, &k3), STATUS_SUCCESS);
    expect_event("WdfDriverOpenParametersRegistryKey", "WdfDriverOpenParametersRegistryKey/DriverRegKeyParameters", "",
                 STATUS_SUCCESS);
    cr_assert(!kd_log_has("legacy path"));
    WdfRegistryClose(k);
    WdfRegistryClose(k2);
    WdfRegistryClose(k3);
    cr_assert_eq(emu_handle_count(kd_m, EMU_H_KEY), 0, "every key closed");
}

Test(wdf_registry, parameters_read_of_a_missing_key)
{
    regdb_key pk;
    cr_assert_eq(emu_ccs_open(kd_m, "Services\\" KD_SERVICE "\\Parameters", &pk), 0);
    cr_assert_eq(regdb_delete_key(kd_m->reg, pk), 0);
    WDFKEY k = BADK;
    cr_assert_eq(WdfDriverOpenParametersRegistryKey(kd_driver, KEY_READ, NULL, &k), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_null(k);
    cr_assert(!key_exists("Services\\" KD_SERVICE "\\Parameters"), "not created for a read");
    cr_assert_eq(emu_handle_count(kd_m, EMU_H_KEY), 0);
}

Test(wdf_registry, parameters_write_takes_the_legacy_path)
{
    WDFKEY k = BADK;
    cr_assert_eq(WdfDriverOpenParametersRegistryKey(kd_driver, KEY_READ | KEY_SET_VALUE, NULL, &k), STATUS_SUCCESS);
    cr_assert(kd_log_has("WdfDriverOpenParametersRegistryKey with write access 0x2001b opens "
                         "Services\\" KD_SERVICE "\\Parameters directly"));
    cr_assert(kd_log_has("WdfDriverOpenPersistentStateRegistryKey"), "the warning names the isolated alternative");
    /* Opening an existing key is no write; writing through it is. */
    expect_event("WdfDriverOpenParametersRegistryKey", "WdfDriverOpenParametersRegistryKey/legacy-write", "",
                 STATUS_SUCCESS);
    U(name, L"Verbose");
    cr_assert_eq(WdfRegistryAssignULong(k, &name, 9), STATUS_SUCCESS);
    expect_event("WdfRegistryAssignULong", "WdfDriverOpenParametersRegistryKey/legacy-write", "REG-IMMUTABLE-WRITE",
                 STATUS_SUCCESS);
    cr_assert_eq(kd_last_event("WdfRegistryAssignULong")->outcome, PNPBOX_OUTCOME_REPORTED);
    uint32_t type;
    ULONG v = 0;
    size_t len;
    cr_assert_eq(stored("Services\\" KD_SERVICE "\\Parameters", "Verbose", &type, &v, 4, &len), 0);
    cr_assert_eq(v, 9);
    /* Reads through it are fine. */
    ULONG r = 0;
    cr_assert_eq(WdfRegistryQueryULong(k, &name, &r), STATUS_SUCCESS);
    expect_event("WdfRegistryQueryULong", "WdfDriverOpenParametersRegistryKey/legacy-write", "", STATUS_SUCCESS);
    WdfRegistryClose(k);
}

Test(wdf_registry, parameters_write_creates_a_missing_key)
{
    regdb_key pk;
    cr_assert_eq(emu_ccs_open(kd_m, "Services\\" KD_SERVICE "\\Parameters", &pk), 0);
    cr_assert_eq(regdb_delete_key(kd_m->reg, pk), 0);
    WDFKEY k = BADK;
    cr_assert_eq(WdfDriverOpenParametersRegistryKey(kd_driver, KEY_ALL_ACCESS, NULL, &k), STATUS_SUCCESS);
    cr_assert(key_exists("Services\\" KD_SERVICE "\\Parameters"), "the documented creation");
    expect_event("WdfDriverOpenParametersRegistryKey", "WdfDriverOpenParametersRegistryKey/legacy-write",
                 "REG-IMMUTABLE-WRITE", STATUS_SUCCESS);
    cr_assert_eq(kd_last_event("WdfDriverOpenParametersRegistryKey")->write, 1);
    WdfRegistryClose(k);
}

Test(wdf_registry, enforce_mode_refuses_immutable_writes)
{
    pnpbox_set_mode(kd_m, PNPBOX_MODE_ENFORCE);
    WDFKEY k = BADK;
    cr_assert_eq(WdfDriverOpenParametersRegistryKey(kd_driver, KEY_WRITE | KEY_READ, NULL, &k), STATUS_SUCCESS,
                 "opening is allowed");
    U(name, L"Verbose");
    cr_assert_eq(WdfRegistryAssignULong(k, &name, 9), STATUS_ACCESS_DENIED);
    cr_assert_eq(kd_last_event("WdfRegistryAssignULong")->outcome, PNPBOX_OUTCOME_DENIED);
    uint32_t type;
    ULONG v = 0;
    size_t len;
    cr_assert_eq(stored("Services\\" KD_SERVICE "\\Parameters", "Verbose", &type, &v, 4, &len), 0);
    cr_assert_eq(v, 3, "unchanged");
    U(nv, L"NewValue");
    cr_assert_eq(WdfRegistryAssignValue(k, &nv, REG_BINARY, 1, "x"), STATUS_ACCESS_DENIED);
    cr_assert_eq(WdfRegistryRemoveValue(k, &name), STATUS_ACCESS_DENIED);
    cr_assert_eq(stored("Services\\" KD_SERVICE "\\Parameters", "NewValue", &type, NULL, 0, &len), REGDB_E_NOTFOUND);
    WdfRegistryClose(k);
    /* Creating the missing key is a write: refused, nothing created. */
    regdb_key pk;
    cr_assert_eq(emu_ccs_open(kd_m, "Services\\" KD_SERVICE "\\Parameters", &pk), 0);
    cr_assert_eq(regdb_delete_key(kd_m->reg, pk), 0);
    k = BADK;
    cr_assert_eq(WdfDriverOpenParametersRegistryKey(kd_driver, KEY_ALL_ACCESS, NULL, &k), STATUS_ACCESS_DENIED);
    cr_assert_null(k);
    cr_assert(!key_exists("Services\\" KD_SERVICE "\\Parameters"));
    /* The isolated state key is untouched by enforcement. */
    WDFKEY s = state_key();
    cr_assert_eq(WdfRegistryAssignULong(s, &name, 1), STATUS_SUCCESS);
    /* An absolute open by the driver is refused. */
    U(abs, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services");
    WDFKEY a = BADK;
    cr_assert_eq(WdfRegistryOpenKey(NULL, &abs, KEY_READ, NULL, &a), STATUS_ACCESS_DENIED);
    cr_assert_null(a);
    WdfRegistryClose(s);
    cr_assert_eq(emu_handle_count(kd_m, EMU_H_KEY), 0);
}

/* ---- PersistentState (reference §1.5, §1.6) ---- */

Test(wdf_registry, persistent_state_key)
{
    cr_assert(!key_exists("Services\\" KD_SERVICE "\\State"));
    WDFKEY k = state_key();
    cr_assert(key_exists("Services\\" KD_SERVICE "\\State"), "created on first open");
    expect_event("WdfDriverOpenPersistentStateRegistryKey",
                 "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState", "", STATUS_SUCCESS);
    U(name, L"Counter");
    cr_assert_eq(WdfRegistryAssignULong(k, &name, 5), STATUS_SUCCESS);
    expect_event("WdfRegistryAssignULong", "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState", "",
                 STATUS_SUCCESS);
    cr_assert_eq(kd_last_event("WdfRegistryAssignULong")->outcome, PNPBOX_OUTCOME_ALLOWED);
    WdfRegistryClose(k);
    k = state_key();
    ULONG v = 0;
    cr_assert_eq(WdfRegistryQueryULong(k, &name, &v), STATUS_SUCCESS);
    cr_assert_eq(v, 5);
    WdfRegistryClose(k);
    /* No finding anywhere in this test. */
    for (size_t i = 0; i < pnpbox_event_count(kd_m); i++)
        cr_assert_str_eq(pnpbox_event_get(kd_m, i)->rules, "", "%s", pnpbox_event_get(kd_m, i)->api);
}

Test(wdf_registry, driver_key_argument_checks)
{
    WDFKEY k = BADK;
    cr_assert_eq(WdfDriverOpenPersistentStateRegistryKey(kd_driver, KEY_READ, NULL, NULL), STATUS_INVALID_PARAMETER);
    WDF_OBJECT_ATTRIBUTES a;
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.ExecutionLevel = WdfExecutionLevelPassive;
    cr_assert_eq(WdfDriverOpenPersistentStateRegistryKey(kd_driver, KEY_READ, &a, &k), STATUS_WDF_EXECUTION_LEVEL_INVALID);
    cr_assert_null(k, "*Key cleared first");
    /* A service that is not a kernel driver (IoOpenDriverRegistryKey's Type check). */
    regdb_key sk;
    cr_assert_eq(emu_ccs_open(kd_m, "Services\\" KD_SERVICE, &sk), 0);
    cr_assert_eq(regdb_set_dword(kd_m->reg, sk, (const uint16_t *)L"Type", 0x10), 0);
    k = BADK;
    cr_assert_eq(WdfDriverOpenPersistentStateRegistryKey(kd_driver, KEY_READ, NULL, &k), STATUS_INVALID_PARAMETER);
    cr_assert_null(k);
    cr_assert_eq(WdfDriverOpenParametersRegistryKey(kd_driver, KEY_READ, NULL, &k), STATUS_INVALID_PARAMETER);
    cr_assert_eq(regdb_set_sz(kd_m->reg, sk, (const uint16_t *)L"Type", (const uint16_t *)L"1"), 0);
    cr_assert_eq(WdfDriverOpenPersistentStateRegistryKey(kd_driver, KEY_READ, NULL, &k), STATUS_REGISTRY_CORRUPT);
    cr_assert_eq(emu_handle_count(kd_m, EMU_H_KEY), 0);
}

Test(wdf_registry, key_object_with_attributes)
{
    WDF_OBJECT_ATTRIBUTES a;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, DRIVER_CONTEXT);
    a.ParentObject = kd_device;
    WDFKEY k = BADK;
    cr_assert_eq(WdfDriverOpenPersistentStateRegistryKey(kd_driver, KEY_READ, &a, &k), STATUS_SUCCESS);
    cr_assert_not_null(WdfObjectGet_DRIVER_CONTEXT(k));
    /* Parented to the device: closed when the device goes. */
    pnpbox_enter(NULL);
    int32_t st;
    cr_assert_eq(pnpbox_device_remove(kd_m, KD_INSTANCE, 0, &st), 0);
    cr_assert_eq(emu_handle_count(kd_m, EMU_H_KEY), 0, "the key went with its parent");
}

/* ---- the device's keys (reference §1.1, §1.2) ---- */

Test(wdf_registry, device_hardware_and_software_keys)
{
    WDFKEY k = BADK;
    cr_assert_eq(WdfDeviceOpenRegistryKey(kd_device, PLUGPLAY_REGKEY_DEVICE, KEY_READ, NULL, &k), STATUS_SUCCESS);
    expect_event("WdfDeviceOpenRegistryKey", "WdfDeviceOpenRegistryKey/PLUGPLAY_REGKEY_DEVICE", "", STATUS_SUCCESS);
    cr_assert_str_eq(kd_last_event("WdfDeviceOpenRegistryKey")->path,
                     "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Enum\\ROOT\\KMDFTEST\\0000\\Device Parameters");
    U(setting, L"Setting");
    ULONG v = 0;
    cr_assert_eq(WdfRegistryQueryULong(k, &setting, &v), STATUS_SUCCESS);
    cr_assert_eq(v, 42);
    WdfRegistryClose(k);

    k = BADK;
    cr_assert_eq(WdfDeviceOpenRegistryKey(kd_device, PLUGPLAY_REGKEY_DRIVER, KEY_READ, NULL, &k), STATUS_SUCCESS);
    expect_event("WdfDeviceOpenRegistryKey", "WdfDeviceOpenRegistryKey/PLUGPLAY_REGKEY_DRIVER", "", STATUS_SUCCESS);
    cr_assert_str_eq(kd_last_event("WdfDeviceOpenRegistryKey")->path,
                     "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Control\\Class\\" KD_CLASS "\\0000");
    /* Installer-owned values stay installer-owned. */
    U(desc, L"DriverDesc");
    UNICODE_STRING val = RTL_CONSTANT_STRING(L"changed");
    cr_assert_eq(WdfRegistryAssignUnicodeString(k, &desc, &val), STATUS_SUCCESS);
    expect_event("WdfRegistryAssignUnicodeString", "WdfDeviceOpenRegistryKey/PLUGPLAY_REGKEY_DRIVER",
                 "REG-INSTALLER-VALUE", STATUS_SUCCESS);
    WdfRegistryClose(k);

    cr_assert_eq(WdfDeviceOpenRegistryKey(kd_device, PLUGPLAY_REGKEY_DEVICE | PLUGPLAY_REGKEY_CURRENT_HWPROFILE,
                                          KEY_READ, NULL, &k),
                 STATUS_SUCCESS);
    expect_event("WdfDeviceOpenRegistryKey",
                 "WdfDeviceOpenRegistryKey/PLUGPLAY_REGKEY_DEVICE|PLUGPLAY_REGKEY_CURRENT_HWPROFILE", "",
                 STATUS_SUCCESS);
    WdfRegistryClose(k);

    /* The flag rules of IoOpenDeviceRegistryKey; UMDF's subkey flag is not KMDF's. */
    ULONG bad[] = {0, PLUGPLAY_REGKEY_DEVICE | PLUGPLAY_REGKEY_DRIVER, PLUGPLAY_REGKEY_CURRENT_HWPROFILE,
                   PLUGPLAY_REGKEY_DEVICE | 256, 8};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        k = BADK;
        cr_assert_eq(WdfDeviceOpenRegistryKey(kd_device, bad[i], KEY_READ, NULL, &k), STATUS_INVALID_PARAMETER,
                     "flags 0x%x", (unsigned)bad[i]);
        cr_assert_null(k);
    }
    cr_assert_eq(WdfDeviceOpenRegistryKey(kd_device, PLUGPLAY_REGKEY_DEVICE, KEY_READ, NULL, NULL),
                 STATUS_INVALID_PARAMETER);
    /* Without a software key. */
    regdb_key ek;
    cr_assert_eq(emu_ccs_open(kd_m, "Enum\\" KD_INSTANCE, &ek), 0);
    cr_assert_eq(regdb_delete_value(kd_m->reg, ek, (const uint16_t *)L"Driver", 6), 0);
    k = BADK;
    cr_assert_eq(WdfDeviceOpenRegistryKey(kd_device, PLUGPLAY_REGKEY_DRIVER, KEY_READ, NULL, &k),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_null(k);
    cr_assert_eq(emu_handle_count(kd_m, EMU_H_KEY), 0);
}

Test(wdf_registry, device_parameters_created_if_missing)
{
    regdb_key dp;
    cr_assert_eq(emu_ccs_open(kd_m, "Enum\\" KD_INSTANCE "\\Device Parameters", &dp), 0);
    cr_assert_eq(regdb_delete_key(kd_m->reg, dp), 0);
    WDFKEY k;
    cr_assert_eq(WdfDeviceOpenRegistryKey(kd_device, PLUGPLAY_REGKEY_DEVICE, KEY_ALL_ACCESS, NULL, &k), STATUS_SUCCESS);
    cr_assert(key_exists("Enum\\" KD_INSTANCE "\\Device Parameters"));
    U(name, L"Written");
    cr_assert_eq(WdfRegistryAssignULong(k, &name, 1), STATUS_SUCCESS);
    expect_event("WdfRegistryAssignULong", "WdfDeviceOpenRegistryKey/PLUGPLAY_REGKEY_DEVICE", "", STATUS_SUCCESS);
    WdfRegistryClose(k);
}

/* ---- WdfRegistryOpenKey / WdfRegistryCreateKey ---- */

Test(wdf_registry, open_and_create_relative_keys)
{
    WDFKEY s = state_key();
    U(sub, L"Sub");
    WDFKEY k = BADK;
    cr_assert_eq(WdfRegistryOpenKey(s, &sub, KEY_READ, NULL, &k), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_null(k);
    ULONG disp = 0xdeadbeef;
    k = BADK;
    cr_assert_eq(WdfRegistryCreateKey(s, &sub, KEY_ALL_ACCESS, REG_OPTION_NON_VOLATILE, &disp, NULL, &k),
                 STATUS_SUCCESS);
    cr_assert_eq(disp, REG_CREATED_NEW_KEY);
    expect_event("WdfRegistryCreateKey", "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState", "",
                 STATUS_SUCCESS);
    cr_assert_str_eq(kd_last_event("WdfRegistryCreateKey")->path,
                     "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\" KD_SERVICE "\\State\\Sub");
    WdfRegistryClose(k);
    WDFKEY k2 = BADK;
    disp = 0xdeadbeef;
    cr_assert_eq(WdfRegistryCreateKey(s, &sub, KEY_READ, 0, &disp, NULL, &k2), STATUS_SUCCESS);
    cr_assert_eq(disp, REG_OPENED_EXISTING_KEY);
    WDFKEY k3 = BADK;
    cr_assert_eq(WdfRegistryOpenKey(s, &sub, KEY_READ, NULL, &k3), STATUS_SUCCESS);
    expect_event("WdfRegistryOpenKey", "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState", "",
                 STATUS_SUCCESS);
    cr_assert_eq(WdfRegistryCreateKey(s, &sub, KEY_READ, 0, NULL, NULL, &k), STATUS_SUCCESS, "disposition optional");
    WdfRegistryClose(k);
    /* A volatile key under a non-volatile one, and options NtCreateKey refuses. */
    U(vol, L"Volatile");
    disp = 0xdeadbeef;
    cr_assert_eq(WdfRegistryCreateKey(k2, &vol, KEY_READ, REG_OPTION_VOLATILE, &disp, NULL, &k), STATUS_SUCCESS);
    cr_assert_eq(disp, REG_CREATED_NEW_KEY);
    WdfRegistryClose(k);
    disp = 0xdeadbeef;
    k = BADK;
    cr_assert_eq(WdfRegistryCreateKey(s, &vol, KEY_READ, 0x1000, &disp, NULL, &k), STATUS_INVALID_PARAMETER);
    cr_assert_eq(disp, 0xdeadbeef);
    cr_assert_null(k);
    /* Zero access, bad names. */
    cr_assert_eq(WdfRegistryOpenKey(s, &sub, 0, NULL, &k), STATUS_ACCESS_DENIED);
    cr_assert_null(k);
    UNICODE_STRING odd = {3, 4, (PWCH)L"ab"};
    cr_assert_eq(WdfRegistryOpenKey(s, &odd, KEY_READ, NULL, &k), STATUS_INVALID_PARAMETER);
    cr_assert_eq(WdfRegistryOpenKey(s, NULL, KEY_READ, NULL, &k), STATUS_INVALID_PARAMETER, "bug check");
    cr_assert_eq(WdfRegistryOpenKey(s, &sub, KEY_READ, NULL, NULL), STATUS_INVALID_PARAMETER, "bug check");
    cr_assert_eq(WdfRegistryOpenKey((WDFKEY)kd_device, &sub, KEY_READ, NULL, &k), STATUS_INVALID_HANDLE);
    WdfRegistryClose(k2);
    WdfRegistryClose(k3);
    WdfRegistryClose(s);
    cr_assert_eq(emu_handle_count(kd_m, EMU_H_KEY), 0);
}

Test(wdf_registry, absolute_open_is_reported)
{
    U(abs, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\" KD_SERVICE);
    WDFKEY k = BADK;
    cr_assert_eq(WdfRegistryOpenKey(NULL, &abs, KEY_READ, NULL, &k), STATUS_SUCCESS);
    const pnpbox_event *e = kd_last_event("WdfRegistryOpenKey");
    cr_assert_str_eq(e->origin, "absolute");
    cr_assert_str_eq(e->rules, "REG-ABSOLUTE-PATH");
    cr_assert_str_eq(e->component, KD_SERVICE);
    /* Relative to an absolute handle: a foreign handle. */
    U(params, L"Parameters");
    WDFKEY p = BADK;
    cr_assert_eq(WdfRegistryOpenKey(k, &params, KEY_READ, NULL, &p), STATUS_SUCCESS);
    cr_assert_str_eq(kd_last_event("WdfRegistryOpenKey")->rules, "REG-FOREIGN-HANDLE");
    WdfRegistryClose(p);
    WdfRegistryClose(k);
    /* HARDWARE may be read by absolute name. */
    U(hw, L"\\Registry\\Machine\\HARDWARE\\DEVICEMAP");
    cr_assert_eq(WdfRegistryOpenKey(NULL, &hw, KEY_READ, NULL, &k), STATUS_SUCCESS);
    cr_assert_str_eq(kd_last_event("WdfRegistryOpenKey")->rules, "");
    WdfRegistryClose(k);
    /* As the harness (no WDFDRIVER): refused before any access. */
    pnpbox_enter(NULL);
    k = BADK;
    cr_assert_eq(WdfRegistryOpenKey(NULL, &hw, KEY_READ, NULL, &k), STATUS_INVALID_DEVICE_STATE);
    cr_assert_null(k);
}

Test(wdf_registry, remove_key)
{
    WDFKEY s = state_key();
    U(sub, L"Sub");
    U(child, L"Child");
    WDFKEY k, c;
    cr_assert_eq(WdfRegistryCreateKey(s, &sub, KEY_ALL_ACCESS, 0, NULL, NULL, &k), STATUS_SUCCESS);
    cr_assert_eq(WdfRegistryCreateKey(k, &child, KEY_ALL_ACCESS, 0, NULL, NULL, &c), STATUS_SUCCESS);
    cr_assert_eq(WdfRegistryRemoveKey(k), STATUS_CANNOT_DELETE, "it has a subkey");
    cr_assert_not_null(WdfRegistryWdmGetHandle(k), "the WDFKEY stays on failure");
    cr_assert_eq(WdfRegistryRemoveKey(c), STATUS_SUCCESS);
    expect_event("WdfRegistryRemoveKey", "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState", "",
                 STATUS_SUCCESS);
    cr_assert_null(WdfRegistryWdmGetHandle(c), "the WDFKEY is gone");
    cr_assert(kd_log_has("is not a valid WDFKEY handle"));
    cr_assert_eq(WdfRegistryRemoveKey(k), STATUS_SUCCESS);
    cr_assert(!key_exists("Services\\" KD_SERVICE "\\State\\Sub"));
    WdfRegistryClose(s);
    cr_assert_eq(emu_handle_count(kd_m, EMU_H_KEY), 0);
}

/* ---- values ---- */

Test(wdf_registry, query_value_buffer_boundaries)
{
    WDFKEY k = state_key();
    const unsigned char data[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    set_value(k, "Bin", REG_BINARY, data, sizeof data);
    U(name, L"Bin");
    unsigned char buf[32];
    ULONG len, type;
    /* ValueLength 0 and no buffer: the size query. */
    len = type = 0xdeadbeef;
    cr_assert_eq(WdfRegistryQueryValue(k, &name, 0, NULL, &len, &type), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(len, 10);
    cr_assert_eq(type, REG_BINARY);
    expect_event("WdfRegistryQueryValue", "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState", "",
                 STATUS_BUFFER_OVERFLOW);
    /* Without a buffer ValueLength does not matter. */
    len = type = 0xdeadbeef;
    cr_assert_eq(WdfRegistryQueryValue(k, &name, 100, NULL, &len, &type), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(len, 10);
    /* One below, exact, one above. */
    for (ULONG cap = 0; cap <= 11; cap++) {
        memset(buf, 0xde, sizeof buf);
        len = type = 0xdeadbeef;
        NTSTATUS st = WdfRegistryQueryValue(k, &name, cap, buf, &len, &type);
        cr_assert_eq(st, cap < 10 ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS, "cap %u", (unsigned)cap);
        cr_assert_eq(len, 10);
        cr_assert_eq(type, REG_BINARY);
        if (cap < 10)
            cr_assert_eq(buf[0], 0xde, "nothing copied when it does not fit");
        else
            cr_assert_eq(memcmp(buf, data, 10), 0);
        cr_assert_eq(buf[10], 0xde, "nothing past the data");
    }
    /* Optional outputs. */
    cr_assert_eq(WdfRegistryQueryValue(k, &name, sizeof buf, buf, NULL, NULL), STATUS_SUCCESS);
    /* 12 + ValueLength wraps in KMDF's buffer computation. */
    len = type = 0xdeadbeef;
    cr_assert_eq(WdfRegistryQueryValue(k, &name, 0xFFFFFFF8u, buf, &len, &type), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(len, 0xdeadbeef);
    cr_assert_eq(type, 0xdeadbeef);
    /* Missing value: outputs untouched. */
    U(missing, L"Missing");
    cr_assert_eq(WdfRegistryQueryValue(k, &missing, sizeof buf, buf, &len, &type), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(len, 0xdeadbeef);
    cr_assert_eq(type, 0xdeadbeef);
    expect_event("WdfRegistryQueryValue", "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState", "",
                 STATUS_OBJECT_NAME_NOT_FOUND);
    /* An empty value fits the size query. */
    set_value(k, "Empty", REG_BINARY, NULL, 0);
    U(empty, L"Empty");
    cr_assert_eq(WdfRegistryQueryValue(k, &empty, 0, NULL, &len, &type), STATUS_SUCCESS);
    cr_assert_eq(len, 0);
    /* Names with a trailing NUL are the same value (ZwQueryValueKey strips it). */
    UNICODE_STRING nul = {8, 8, (PWCH)L"Bin\0"};
    cr_assert_eq(WdfRegistryQueryValue(k, &nul, sizeof buf, buf, &len, &type), STATUS_SUCCESS);
    cr_assert_eq(WdfRegistryQueryValue(k, NULL, 0, NULL, NULL, NULL), STATUS_INVALID_PARAMETER, "bug check");
    UNICODE_STRING odd = {3, 4, (PWCH)L"Bi"};
    cr_assert_eq(WdfRegistryQueryValue(k, &odd, 0, NULL, &len, &type), STATUS_INVALID_PARAMETER);
    WdfRegistryClose(k);
}

Test(wdf_registry, query_ulong)
{
    WDFKEY k = state_key();
    ULONG d = 0x12345678;
    ULONGLONG q = 7;
    set_value(k, "D", REG_DWORD, &d, 4);
    set_value(k, "Q", REG_QWORD, &q, 8);
    set_value(k, "S", REG_SZ, L"1", 4);
    set_value(k, "Long", REG_DWORD, &q, 8);
    set_value(k, "Short", REG_DWORD, &d, 2);
    set_value(k, "Big", REG_DWORD_BIG_ENDIAN, &d, 4);
    U(nd, L"D");
    U(nq, L"Q");
    U(ns, L"S");
    U(nlong, L"Long");
    U(nshort, L"Short");
    U(nbig, L"Big");
    U(nmiss, L"Missing");
    ULONG v = 0xdeadbeef;
    cr_assert_eq(WdfRegistryQueryULong(k, &nd, &v), STATUS_SUCCESS);
    cr_assert_eq(v, 0x12345678);
    v = 0xdeadbeef;
    cr_assert_eq(WdfRegistryQueryULong(k, &nq, &v), STATUS_OBJECT_TYPE_MISMATCH);
    cr_assert_eq(WdfRegistryQueryULong(k, &ns, &v), STATUS_OBJECT_TYPE_MISMATCH);
    cr_assert_eq(WdfRegistryQueryULong(k, &nbig, &v), STATUS_OBJECT_TYPE_MISMATCH);
    cr_assert_eq(WdfRegistryQueryULong(k, &nlong, &v), STATUS_BUFFER_OVERFLOW, "a REG_DWORD of eight bytes");
    cr_assert_eq(WdfRegistryQueryULong(k, &nmiss, &v), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(v, 0xdeadbeef, "untouched on failure");
    expect_event("WdfRegistryQueryULong", "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState", "",
                 STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(WdfRegistryQueryULong(k, &nshort, &v), STATUS_SUCCESS);
    cr_assert_eq(v, 0x5678, "two bytes, zero-filled");
    cr_assert_eq(WdfRegistryQueryULong(k, &nd, NULL), STATUS_INVALID_PARAMETER, "bug check");
    WdfRegistryClose(k);
}

Test(wdf_registry, query_unicode_string)
{
    WDFKEY k = state_key();
    set_value(k, "Str", REG_SZ, L"hello", 12);
    set_value(k, "Exp", REG_EXPAND_SZ, L"%x%", 8);
    set_value(k, "NoNul", REG_SZ, L"ab", 4);
    set_value(k, "Empty", REG_SZ, NULL, 0);
    ULONG d = 1;
    set_value(k, "D", REG_DWORD, &d, 4);
    U(str, L"Str");
    WCHAR buf[16];
    UNICODE_STRING u;
    USHORT bl;
    /* The size only. */
    bl = 0xbeef;
    cr_assert_eq(WdfRegistryQueryUnicodeString(k, &str, &bl, NULL), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(bl, 12);
    /* One below the data: BUFFER_OVERFLOW with the size, the string untouched. */
    memset(buf, 0xde, sizeof buf);
    u = (UNICODE_STRING){8, 10, buf}; /* a Length KMDF's string check accepts, to see it untouched */
    bl = 0xbeef;
    cr_assert_eq(WdfRegistryQueryUnicodeString(k, &str, &bl, &u), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(bl, 12);
    cr_assert_eq(u.Length, 8);
    cr_assert_eq(buf[0], 0xdede);
    /* Exactly the data: the NUL is not counted in Length. */
    u = (UNICODE_STRING){8, 12, buf};
    bl = 0xbeef;
    cr_assert_eq(WdfRegistryQueryUnicodeString(k, &str, &bl, &u), STATUS_SUCCESS);
    cr_assert_eq(bl, 12);
    cr_assert_eq(u.Length, 10);
    cr_assert_eq(u.MaximumLength, 12);
    cr_assert_eq(memcmp(buf, L"hello", 12), 0);
    expect_event("WdfRegistryQueryUnicodeString",
                 "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState", "", STATUS_SUCCESS);
    /* Larger; ValueByteLength optional. */
    memset(buf, 0xde, sizeof buf);
    u = (UNICODE_STRING){0, sizeof buf, buf};
    cr_assert_eq(WdfRegistryQueryUnicodeString(k, &str, NULL, &u), STATUS_SUCCESS);
    cr_assert_eq(u.Length, 10);
    cr_assert_eq(buf[6], 0xdede, "nothing past the data");
    U(exp, L"Exp");
    cr_assert_eq(WdfRegistryQueryUnicodeString(k, &exp, &bl, &u), STATUS_SUCCESS, "REG_EXPAND_SZ is a string");
    cr_assert_eq(u.Length, 6);
    U(nonul, L"NoNul");
    cr_assert_eq(WdfRegistryQueryUnicodeString(k, &nonul, &bl, &u), STATUS_SUCCESS);
    cr_assert_eq(u.Length, 4, "no NUL to drop");
    U(empty, L"Empty");
    u = (UNICODE_STRING){0, 0, NULL};
    bl = 0xbeef;
    cr_assert_eq(WdfRegistryQueryUnicodeString(k, &empty, &bl, &u), STATUS_SUCCESS);
    cr_assert_eq(bl, 0);
    cr_assert_eq(u.Length, 0);
    /* Another type: a mismatch when it fits, the size when it does not (KMDF checks the type after). */
    U(dw, L"D");
    u = (UNICODE_STRING){8, sizeof buf, buf};
    bl = 0xbeef;
    cr_assert_eq(WdfRegistryQueryUnicodeString(k, &dw, &bl, &u), STATUS_OBJECT_TYPE_MISMATCH);
    cr_assert_eq(bl, 0xbeef);
    cr_assert_eq(u.Length, 8);
    cr_assert_eq(WdfRegistryQueryUnicodeString(k, &dw, &bl, NULL), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(bl, 4);
    /* KMDF's string checks on Value. */
    UNICODE_STRING badu = {14, 12, buf};
    bl = 0xbeef;
    cr_assert_eq(WdfRegistryQueryUnicodeString(k, &str, &bl, &badu), STATUS_INVALID_PARAMETER);
    cr_assert_eq(bl, 0xbeef);
    U(missing, L"Missing");
    cr_assert_eq(WdfRegistryQueryUnicodeString(k, &missing, &bl, &u), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(bl, 0xbeef);
    WdfRegistryClose(k);
}

Test(wdf_registry, query_string_into_a_wdfstring)
{
    WDFKEY k = state_key();
    set_value(k, "Str", REG_SZ, L"hello", 12);
    set_value(k, "Emb", REG_SZ, L"a\0b", 8);
    ULONG d = 1;
    set_value(k, "D", REG_DWORD, &d, 4);
    WDFSTRING s;
    cr_assert_eq(WdfStringCreate(NULL, NULL, &s), STATUS_SUCCESS);
    U(str, L"Str");
    cr_assert_eq(WdfRegistryQueryString(k, &str, s), STATUS_SUCCESS);
    UNICODE_STRING u;
    WdfStringGetUnicodeString(s, &u);
    cr_assert_eq(u.Length, 10);
    cr_assert_eq(memcmp(u.Buffer, L"hello", 12), 0);
    expect_event("WdfRegistryQueryString", "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState", "",
                 STATUS_SUCCESS);
    U(emb, L"Emb");
    cr_assert_eq(WdfRegistryQueryString(k, &emb, s), STATUS_SUCCESS);
    WdfStringGetUnicodeString(s, &u);
    cr_assert_eq(u.Length, 6, "embedded NULs stay, the final one goes");
    U(dw, L"D");
    cr_assert_eq(WdfRegistryQueryString(k, &dw, s), STATUS_OBJECT_TYPE_MISMATCH);
    WdfStringGetUnicodeString(s, &u);
    cr_assert_eq(u.Length, 6, "the string is unchanged");
    U(missing, L"Missing");
    cr_assert_eq(WdfRegistryQueryString(k, &missing, s), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(WdfRegistryQueryString(k, &str, NULL), STATUS_INVALID_PARAMETER);
    cr_assert_eq(WdfRegistryQueryString(k, &str, (WDFSTRING)k), STATUS_INVALID_HANDLE);
    WdfObjectDelete(s);
    WdfRegistryClose(k);
}

static const WCHAR two[] = L"a\0bc\0";   /* "a", "bc", then the final NUL of the literal */

Test(wdf_registry, query_multi_string_into_a_collection)
{
    WDFKEY k = state_key();
    set_value(k, "Multi", REG_MULTI_SZ, two, sizeof two);
    set_value(k, "None", REG_MULTI_SZ, L"\0", 4);
    set_value(k, "Bad", REG_MULTI_SZ, L"ab", 4);
    set_value(k, "Odd", REG_MULTI_SZ, L"a\0\0", 5);
    set_value(k, "Sz", REG_SZ, L"a", 4);
    WDF_OBJECT_ATTRIBUTES ca;
    WDF_OBJECT_ATTRIBUTES_INIT(&ca);
    WDFCOLLECTION c;
    cr_assert_eq(WdfCollectionCreate(&ca, &c), STATUS_SUCCESS);
    WDF_OBJECT_ATTRIBUTES sa;
    WDF_OBJECT_ATTRIBUTES_INIT(&sa);
    sa.ParentObject = c; /* the strings go with the collection */
    U(multi, L"Multi");
    cr_assert_eq(WdfRegistryQueryMultiString(k, &multi, &sa, c), STATUS_SUCCESS);
    cr_assert_eq(WdfCollectionGetCount(c), 2);
    UNICODE_STRING u;
    WdfStringGetUnicodeString((WDFSTRING)WdfCollectionGetItem(c, 0), &u);
    cr_assert_str_eq(t_u8((const uint16_t *)u.Buffer, u.Length / 2), "a");
    WdfStringGetUnicodeString((WDFSTRING)WdfCollectionGetItem(c, 1), &u);
    cr_assert_str_eq(t_u8((const uint16_t *)u.Buffer, u.Length / 2), "bc");
    expect_event("WdfRegistryQueryMultiString", "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState",
                 "", STATUS_SUCCESS);
    /* Appended after what the collection holds. */
    cr_assert_eq(WdfRegistryQueryMultiString(k, &multi, &sa, c), STATUS_SUCCESS);
    cr_assert_eq(WdfCollectionGetCount(c), 4);
    U(none, L"None");
    cr_assert_eq(WdfRegistryQueryMultiString(k, &none, NULL, c), STATUS_SUCCESS);
    cr_assert_eq(WdfCollectionGetCount(c), 4);
    U(bad, L"Bad");
    U(odd, L"Odd");
    U(sz, L"Sz");
    U(missing, L"Missing");
    cr_assert_eq(WdfRegistryQueryMultiString(k, &bad, NULL, c), STATUS_OBJECT_TYPE_MISMATCH, "no double NUL");
    cr_assert_eq(WdfRegistryQueryMultiString(k, &odd, NULL, c), STATUS_OBJECT_TYPE_MISMATCH, "odd length");
    cr_assert_eq(WdfRegistryQueryMultiString(k, &sz, NULL, c), STATUS_OBJECT_TYPE_MISMATCH);
    cr_assert_eq(WdfRegistryQueryMultiString(k, &missing, NULL, c), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(WdfCollectionGetCount(c), 4);
    WDF_OBJECT_ATTRIBUTES bada;
    WDF_OBJECT_ATTRIBUTES_INIT(&bada);
    bada.Size = 1;
    cr_assert_eq(WdfRegistryQueryMultiString(k, &multi, &bada, c), STATUS_INFO_LENGTH_MISMATCH);
    cr_assert_eq(WdfRegistryQueryMultiString(k, &multi, NULL, NULL), STATUS_INVALID_PARAMETER);
    /* A failure half way takes the added entries out again. */
    cr_assert_eq(pnpbox_fault_add(kd_m, "WdfStringCreate", 2, 0), 0);
    cr_assert_eq(WdfRegistryQueryMultiString(k, &multi, NULL, c), STATUS_INSUFFICIENT_RESOURCES);
    cr_assert_eq(WdfCollectionGetCount(c), 4);
    WdfObjectDelete(c);
    WdfRegistryClose(k);
}

Test(wdf_registry, assign_values)
{
    WDFKEY k = state_key();
    const char *rel = "Services\\" KD_SERVICE "\\State";
    uint32_t type;
    unsigned char buf[64];
    size_t len;
    U(dw, L"Dw");
    cr_assert_eq(WdfRegistryAssignULong(k, &dw, 0xcafe), STATUS_SUCCESS);
    cr_assert_eq(stored(rel, "Dw", &type, buf, sizeof buf, &len), 0);
    cr_assert_eq(type, REG_DWORD);
    cr_assert_eq(len, 4);
    cr_assert_eq(*(ULONG *)buf, 0xcafe);

    U(bin, L"Bin");
    cr_assert_eq(WdfRegistryAssignValue(k, &bin, REG_BINARY, 3, "xyz"), STATUS_SUCCESS);
    expect_event("WdfRegistryAssignValue", "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState", "",
                 STATUS_SUCCESS);
    cr_assert_eq(stored(rel, "Bin", &type, buf, sizeof buf, &len), 0);
    cr_assert_eq(type, REG_BINARY);
    cr_assert_eq(len, 3);
    cr_assert_eq(WdfRegistryAssignValue(k, &bin, REG_BINARY, 3, NULL), STATUS_ACCESS_VIOLATION);
    cr_assert_eq(WdfRegistryAssignValue(k, &bin, REG_NONE, 0, NULL), STATUS_SUCCESS);
    cr_assert_eq(stored(rel, "Bin", &type, buf, sizeof buf, &len), 0);
    cr_assert_eq(len, 0);

    U(us, L"Us");
    UNICODE_STRING text = {4, 20, (PWCH)L"abXXXXX"};
    cr_assert_eq(WdfRegistryAssignUnicodeString(k, &us, &text), STATUS_SUCCESS);
    cr_assert_eq(stored(rel, "Us", &type, buf, sizeof buf, &len), 0);
    cr_assert_eq(type, REG_SZ);
    cr_assert_eq(len, 6, "the text and a NUL");
    cr_assert_eq(memcmp(buf, L"ab", 6), 0);
    UNICODE_STRING badtext = {5, 20, (PWCH)L"ab"};
    cr_assert_eq(WdfRegistryAssignUnicodeString(k, &us, &badtext), STATUS_INVALID_PARAMETER);
    cr_assert_eq(WdfRegistryAssignUnicodeString(k, &us, NULL), STATUS_INVALID_PARAMETER);

    U(ws, L"Ws");
    WDFSTRING s;
    UNICODE_STRING src = RTL_CONSTANT_STRING(L"hello");
    cr_assert_eq(WdfStringCreate(&src, NULL, &s), STATUS_SUCCESS);
    cr_assert_eq(WdfRegistryAssignString(k, &ws, s), STATUS_SUCCESS);
    cr_assert_eq(stored(rel, "Ws", &type, buf, sizeof buf, &len), 0);
    cr_assert_eq(type, REG_SZ);
    cr_assert_eq(len, 12);
    cr_assert_eq(memcmp(buf, L"hello", 12), 0);
    WDFSTRING empty;
    cr_assert_eq(WdfStringCreate(NULL, NULL, &empty), STATUS_SUCCESS);
    cr_assert_eq(WdfRegistryAssignString(k, &ws, empty), STATUS_SUCCESS);
    cr_assert_eq(stored(rel, "Ws", &type, buf, sizeof buf, &len), 0);
    cr_assert_eq(len, 2, "an empty string is one NUL");

    U(ms, L"Ms");
    WDFCOLLECTION c;
    cr_assert_eq(WdfCollectionCreate(NULL, &c), STATUS_SUCCESS);
    cr_assert_eq(WdfRegistryAssignMultiString(k, &ms, c), STATUS_SUCCESS);
    cr_assert_eq(stored(rel, "Ms", &type, buf, sizeof buf, &len), 0);
    cr_assert_eq(type, REG_MULTI_SZ);
    cr_assert_eq(len, 4, "an empty list is two NULs");
    cr_assert_eq(WdfCollectionAdd(c, s), STATUS_SUCCESS);
    WDFSTRING s2;
    UNICODE_STRING src2 = RTL_CONSTANT_STRING(L"xy");
    cr_assert_eq(WdfStringCreate(&src2, NULL, &s2), STATUS_SUCCESS);
    cr_assert_eq(WdfCollectionAdd(c, s2), STATUS_SUCCESS);
    cr_assert_eq(WdfRegistryAssignMultiString(k, &ms, c), STATUS_SUCCESS);
    cr_assert_eq(stored(rel, "Ms", &type, buf, sizeof buf, &len), 0);
    cr_assert_eq(len, 20);
    cr_assert_eq(memcmp(buf, L"hello\0xy\0", 20), 0);
    expect_event("WdfRegistryAssignMultiString", "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState",
                 "", STATUS_SUCCESS);
    /* Only strings. */
    cr_assert_eq(WdfCollectionAdd(c, k), STATUS_SUCCESS);
    cr_assert_eq(WdfRegistryAssignMultiString(k, &ms, c), STATUS_INVALID_PARAMETER);
    cr_assert_eq(stored(rel, "Ms", &type, buf, sizeof buf, &len), 0);
    cr_assert_eq(len, 20, "unchanged");
    WdfObjectDelete(c);
    WdfObjectDelete(s);
    WdfObjectDelete(s2);
    WdfObjectDelete(empty);
    WdfRegistryClose(k);
}

Test(wdf_registry, remove_value)
{
    WDFKEY k = state_key();
    ULONG d = 1;
    set_value(k, "V", REG_DWORD, &d, 4);
    U(v, L"V");
    cr_assert_eq(WdfRegistryRemoveValue(k, &v), STATUS_SUCCESS);
    expect_event("WdfRegistryRemoveValue", "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState", "",
                 STATUS_SUCCESS);
    cr_assert_eq(WdfRegistryRemoveValue(k, &v), STATUS_OBJECT_NAME_NOT_FOUND);
    set_value(k, "V", REG_DWORD, &d, 4);
    UNICODE_STRING nul = {4, 4, (PWCH)L"V\0"};
    cr_assert_eq(WdfRegistryRemoveValue(k, &nul), STATUS_OBJECT_NAME_NOT_FOUND, "ZwDeleteValueKey keeps the NUL");
    cr_assert_eq(WdfRegistryRemoveValue(k, NULL), STATUS_INVALID_PARAMETER);
    WdfRegistryClose(k);
}

Test(wdf_registry, wdm_handle_of_a_wdfkey)
{
    WDFKEY k = state_key();
    HANDLE h = WdfRegistryWdmGetHandle(k);
    cr_assert_not_null(h);
    emu_handle *e = emu_handle_get(kd_m, h, EMU_H_KEY);
    cr_assert_not_null(e);
    cr_assert(e->flags & EMU_HF_KERNEL);
    cr_assert_str_eq(emu_prov_origin(&e->prov),
                     "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState");
    cr_assert_eq(e->prov.owner, kd_comp());
    /* Zw calls on it carry the WDF origin. */
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"Zw");
    ULONG v = 3;
    cr_assert_eq(ZwSetValueKey(h, &name, 0, REG_DWORD, &v, 4), STATUS_SUCCESS);
    expect_event("ZwSetValueKey", "WdfDriverOpenPersistentStateRegistryKey/DriverRegKeyPersistentState", "",
                 STATUS_SUCCESS);
    /* A driver that ZwCloses it breaks nothing: WdfRegistryClose does not close another handle. */
    cr_assert_eq(ZwClose(h), STATUS_SUCCESS);
    HANDLE other;
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING hw = RTL_CONSTANT_STRING(L"\\Registry\\Machine\\HARDWARE");
    InitializeObjectAttributes(&oa, &hw, OBJ_KERNEL_HANDLE, NULL, NULL);
    cr_assert_eq(ZwOpenKey(&other, KEY_READ, &oa), STATUS_SUCCESS);
    cr_assert_eq(other, h, "the slot is reused");
    WdfRegistryClose(k);
    cr_assert_not_null(emu_handle_get(kd_m, other, EMU_H_KEY), "still open");
    ZwClose(other);
}

Test(wdf_registry, keys_go_with_the_driver)
{
    WDFKEY a = state_key();
    WDFKEY b = state_key();
    (void)a, (void)b;
    cr_assert_eq(emu_handle_count(kd_m, EMU_H_KEY), 2);
    pnpbox_enter(NULL);
    int32_t st;
    cr_assert_eq(pnpbox_device_remove(kd_m, KD_INSTANCE, 0, &st), 0);
    cr_assert_eq(pnpbox_driver_unload(kd_m, KD_SERVICE, &st), 0);
    cr_assert_eq(emu_handle_count(kd_m, EMU_H_KEY), 0, "closed with their parent, the driver");
    cr_assert(!kd_log_has("handle(s) still open"));
}

Test(wdf_registry, fault_injection_leaves_nothing)
{
    cr_assert_eq(pnpbox_fault_add(kd_m, "WdfDriverOpenPersistentStateRegistryKey", 1, 0), 0);
    WDFKEY k = BADK;
    cr_assert_eq(WdfDriverOpenPersistentStateRegistryKey(kd_driver, KEY_READ, NULL, &k), STATUS_INSUFFICIENT_RESOURCES);
    cr_assert_null(k);
    cr_assert(!key_exists("Services\\" KD_SERVICE "\\State"));
    cr_assert_eq(pnpbox_fault_add(kd_m, "WdfRegistryAssignULong", 1, STATUS_DISK_FULL), 0);
    k = state_key();
    U(v, L"V");
    cr_assert_eq(WdfRegistryAssignULong(k, &v, 1), STATUS_DISK_FULL);
    uint32_t type;
    size_t len;
    cr_assert_eq(stored("Services\\" KD_SERVICE "\\State", "V", &type, NULL, 0, &len), REGDB_E_NOTFOUND);
    WdfRegistryClose(k);
}

/* ---- the directory strings (reference §1.9, §1.10) ---- */

Test(wdf_registry, directory_strings)
{
    WDFSTRING s;
    cr_assert_eq(WdfStringCreate(NULL, NULL, &s), STATUS_SUCCESS);
    cr_assert_eq(WdfDriverRetrieveDriverDataDirectoryString(kd_driver, s), STATUS_SUCCESS);
    UNICODE_STRING u;
    WdfStringGetUnicodeString(s, &u);
    cr_assert_str_eq(t_u8((const uint16_t *)u.Buffer, u.Length / 2), "C:\\Windows\\ServiceState\\" KD_SERVICE "\\Data");
    char p[4200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/Windows/ServiceState/" KD_SERVICE "/Data", pnpbox_volume_dir(kd_m));
    cr_assert_eq(stat(p, &sb), 0, "created");
    cr_assert(S_ISDIR(sb.st_mode));
    cr_assert_eq(WdfDeviceRetrieveDeviceDirectoryString(kd_device, s), STATUS_SUCCESS);
    WdfStringGetUnicodeString(s, &u);
    cr_assert_str_eq(t_u8((const uint16_t *)u.Buffer, u.Length / 2),
                     "C:\\Windows\\System32\\DriverState\\Devices\\ROOT#KMDFTEST#0000\\Data");
    snprintf(p, sizeof p, "%s/Windows/System32/DriverState/Devices/ROOT#KMDFTEST#0000/Data", pnpbox_volume_dir(kd_m));
    cr_assert_eq(stat(p, &sb), 0, "created");
    cr_assert_eq(emu_handle_count(kd_m, EMU_H_FILE), 0, "the directory handles are closed");
    cr_assert_eq(WdfDriverRetrieveDriverDataDirectoryString(kd_driver, (WDFSTRING)kd_driver), STATUS_INVALID_HANDLE);
    cr_assert_eq(WdfDeviceRetrieveDeviceDirectoryString((WDFDEVICE)s, s), STATUS_INVALID_HANDLE);
    WdfObjectDelete(s);
}

Test(wdf_registry, fdo_init_key_recorded_as_the_driver)
{
    /* EvtDriverDeviceAdd opened the hardware key through its WDFDEVICE_INIT and read Setting. */
    cr_assert_eq(kd_fdo_key_status, STATUS_SUCCESS);
    expect_event("WdfFdoInitOpenRegistryKey", "WdfFdoInitOpenRegistryKey/PLUGPLAY_REGKEY_DEVICE", "", STATUS_SUCCESS);
    const pnpbox_event *e = kd_last_event("WdfFdoInitOpenRegistryKey");
    cr_assert_str_eq(e->path,
                     "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Enum\\ROOT\\KMDFTEST\\0000\\Device Parameters");
    cr_assert_eq(e->component_kind, PNPBOX_COMP_KERNEL_DRIVER);
    /* The first WdfRegistryQueryULong of the run is the one EvtDriverDeviceAdd made. */
    for (size_t i = 0; i < pnpbox_event_count(kd_m); i++) {
        const pnpbox_event *q = pnpbox_event_get(kd_m, i);
        if (strcmp(q->api, "WdfRegistryQueryULong"))
            continue;
        cr_assert_str_eq(q->origin, "WdfFdoInitOpenRegistryKey/PLUGPLAY_REGKEY_DEVICE");
        cr_assert_str_eq(q->value, "Setting");
        cr_assert_str_eq(q->component, KD_SERVICE);
        cr_assert_eq(q->status, STATUS_SUCCESS);
        return;
    }
    cr_assert_fail("no WdfRegistryQueryULong event");
}
