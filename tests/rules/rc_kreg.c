/*
 * rc_kreg.c: kernel-mode registry snippets of the corpus: the code a WDM
 * driver writes when it keeps settings and state in the registry, once
 * the pre-isolation way (each snippet here breaks one REG-* rule) and
 * once the isolated way (the k_twin_* functions, which must break none).
 * Every snippet runs as rcdrv on the corpus world (rc_world.c); the call
 * the case is about is bracketed by RC_BEFORE / RC_AFTER.
 */
#include <ntddk.h>

#include "tests/rules/rc_kernel.h"

#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- small driver helpers */

static void init_oa(OBJECT_ATTRIBUTES *oa, UNICODE_STRING *name, HANDLE root)
{
    InitializeObjectAttributes(oa, name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, root, NULL);
}

/* A REG_SZ or REG_DWORD value through a handle, shown as "Name=value" in out. */
static NTSTATUS read_value(HANDLE k, PCWSTR name, char *out, size_t cap)
{
    UNICODE_STRING n;
    RtlInitUnicodeString(&n, name);
    UCHAR buf[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + 512];
    ULONG len = 0;
    NTSTATUS st = ZwQueryValueKey(k, &n, KeyValuePartialInformation, buf, sizeof buf, &len);
    if (!NT_SUCCESS(st))
        return st;
    PKEY_VALUE_PARTIAL_INFORMATION p = (PKEY_VALUE_PARTIAL_INFORMATION)buf;
    size_t o = 0;
    for (PCWSTR c = name; *c && o + 1 < cap; c++)
        out[o++] = (char)*c;
    if (o + 1 < cap)
        out[o++] = '=';
    if (p->Type == REG_DWORD && p->DataLength == sizeof(ULONG)) {
        ULONG v;
        memcpy(&v, p->Data, sizeof v);
        snprintf(out + o, cap - o, "%u", (unsigned)v);
        return st;
    }
    const WCHAR *w = (const WCHAR *)p->Data;
    for (ULONG i = 0; i < p->DataLength / sizeof(WCHAR) && w[i] && o + 1 < cap; i++)
        out[o++] = w[i] < 0x80 ? (char)w[i] : '?';
    out[o] = 0;
    return st;
}

static NTSTATUS set_dword(HANDLE k, PCWSTR name, ULONG v)
{
    UNICODE_STRING n;
    RtlInitUnicodeString(&n, name);
    return ZwSetValueKey(k, &n, 0, REG_DWORD, &v, sizeof v);
}

static NTSTATUS set_sz(HANDLE k, PCWSTR name, PCWSTR text)
{
    UNICODE_STRING n, t;
    RtlInitUnicodeString(&n, name);
    RtlInitUnicodeString(&t, text);
    return ZwSetValueKey(k, &n, 0, REG_SZ, t.Buffer, t.Length + sizeof(WCHAR));
}

/* The RTL_QUERY_REGISTRY_TABLE that reads Parameters\Level (a REG_DWORD the INF provisions). */
static void level_table(RTL_QUERY_REGISTRY_TABLE t[2], ULONG *level)
{
    memset(t, 0, 2 * sizeof *t);
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED | RTL_QUERY_REGISTRY_TYPECHECK;
    t[0].Name = (PWSTR)L"Level";
    t[0].EntryContext = level;
    t[0].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;
}

/* ---------------------------------------------------------------- REG-ABSOLUTE-PATH */

/* A legacy driver counts its installs under HKLM\SOFTWARE\Contoso\RcDrv, making the keys on first use. */
RC_SNIPPET(k_abs_zwcreatekey_software)
{
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Registry\\Machine\\SOFTWARE\\Contoso");
    OBJECT_ATTRIBUTES oa;
    init_oa(&oa, &name, NULL);
    HANDLE company, k;
    ULONG disp = 0;
    RC_BEFORE(x);
    NTSTATUS st = ZwCreateKey(&company, KEY_WRITE, &oa, 0, NULL, REG_OPTION_NON_VOLATILE, &disp);
    RC_AFTER(x, st);
    if (!NT_SUCCESS(st))
        return;
    UNICODE_STRING sub = RTL_CONSTANT_STRING(L"RcDrv");
    init_oa(&oa, &sub, company);
    st = ZwCreateKey(&k, KEY_WRITE, &oa, 0, NULL, REG_OPTION_NON_VOLATILE, &disp);
    ZwClose(company);
    if (!NT_SUCCESS(st))
        return;
    set_dword(k, L"InstallCount", 1);
    ZwClose(k);
    x->done = 1;
}

/* Isolated: the same counter in the driver's persistent state key. */
RC_SNIPPET(k_twin_state_counter)
{
    HANDLE k;
    RC_BEFORE(x);
    NTSTATUS st = IoOpenDriverRegistryKey(RC_DRIVER, DriverRegKeyPersistentState, KEY_WRITE, 0, &k);
    RC_AFTER(x, st);
    if (!NT_SUCCESS(st))
        return;
    set_dword(k, L"InstallCount", 1);
    ZwClose(k);
    x->done = 1;
}

/* A legacy driver reads its INF-provisioned Level with RTL_REGISTRY_SERVICES. */
RC_SNIPPET(k_abs_rtl_services_parameters)
{
    ULONG level = 0xdeadbeef;
    RTL_QUERY_REGISTRY_TABLE t[2];
    level_table(t, &level);
    RC_BEFORE(x);
    NTSTATUS st = RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"rcdrv\\Parameters", t, NULL, NULL);
    RC_AFTER(x, st);
    if (!NT_SUCCESS(st))
        return;
    snprintf(x->out, sizeof x->out, "Level=%u", (unsigned)level);
    x->done = 1;
}

/* Isolated: the same query table against the handle IoOpenDriverRegistryKey gives. */
RC_SNIPPET(k_twin_rtl_handle_parameters)
{
    HANDLE k;
    NTSTATUS st = IoOpenDriverRegistryKey(RC_DRIVER, DriverRegKeyParameters, KEY_READ, 0, &k);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    ULONG level = 0xdeadbeef;
    RTL_QUERY_REGISTRY_TABLE t[2];
    level_table(t, &level);
    RC_BEFORE(x);
    st = RtlQueryRegistryValues(RTL_REGISTRY_HANDLE, (PCWSTR)k, t, NULL, NULL);
    RC_AFTER(x, st);
    ZwClose(k);
    if (!NT_SUCCESS(st))
        return;
    snprintf(x->out, sizeof x->out, "Level=%u", (unsigned)level);
    x->done = 1;
}

/* ---------------------------------------------------------------- REG-FOREIGN-HANDLE */

/*
 * The device key's name read back with ZwQueryKey(KeyNameInformation) and
 * opened again by that name (say, to hand it to code that takes a path):
 * the new handle is laundered, and reading through it is a foreign access.
 */
RC_SNIPPET(k_foreign_laundered_keyname)
{
    HANDLE dev, k;
    NTSTATUS st = IoOpenDeviceRegistryKey(RC_PDO, PLUGPLAY_REGKEY_DEVICE, KEY_READ, &dev);
    if (!NT_SUCCESS(st))
        return;
    ULONG words[256]; /* KEY_NAME_INFORMATION, aligned */
    ULONG len = 0;
    st = ZwQueryKey(dev, KeyNameInformation, words, sizeof words, &len);
    ZwClose(dev);
    if (!NT_SUCCESS(st))
        return;
    PKEY_NAME_INFORMATION ni = (PKEY_NAME_INFORMATION)words;
    UNICODE_STRING name = {(USHORT)ni->NameLength, (USHORT)ni->NameLength, ni->Name};
    OBJECT_ATTRIBUTES oa;
    init_oa(&oa, &name, NULL);
    st = ZwOpenKey(&k, KEY_READ, &oa);
    RC_PRE(x, st);
    if (!NT_SUCCESS(st))
        return;
    RC_BEFORE(x);
    st = read_value(k, L"Setting", x->out, sizeof x->out);
    RC_AFTER(x, st);
    ZwClose(k);
    x->done = NT_SUCCESS(st);
}

/* Isolated: read the value through the handle the system gave. */
RC_SNIPPET(k_twin_relative_settings)
{
    HANDLE dev;
    NTSTATUS st = IoOpenDeviceRegistryKey(RC_PDO, PLUGPLAY_REGKEY_DEVICE, KEY_READ, &dev);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    RC_BEFORE(x);
    st = read_value(dev, L"Setting", x->out, sizeof x->out);
    RC_AFTER(x, st);
    ZwClose(dev);
    x->done = NT_SUCCESS(st);
}

/* A legacy driver opens the RegistryPath DriverEntry got, then Parameters relative to it. */
RC_SNIPPET(k_foreign_registrypath_relative)
{
    UNICODE_STRING rp;
    RtlInitUnicodeString(&rp, (PCWSTR)rc_registry_path());
    OBJECT_ATTRIBUTES oa;
    init_oa(&oa, &rp, NULL);
    HANDLE svc, p;
    NTSTATUS st = ZwOpenKey(&svc, KEY_READ, &oa);
    RC_PRE(x, st);
    if (!NT_SUCCESS(st))
        return;
    UNICODE_STRING sub = RTL_CONSTANT_STRING(L"Parameters");
    init_oa(&oa, &sub, svc);
    RC_BEFORE(x);
    st = ZwOpenKey(&p, KEY_READ, &oa);
    RC_AFTER(x, st);
    ZwClose(svc);
    if (!NT_SUCCESS(st))
        return;
    x->done = NT_SUCCESS(read_value(p, L"Level", x->out, sizeof x->out));
    ZwClose(p);
}

/* Isolated: Parameters through IoOpenDriverRegistryKey. */
RC_SNIPPET(k_twin_parameters_level)
{
    HANDLE p;
    RC_BEFORE(x);
    NTSTATUS st = IoOpenDriverRegistryKey(RC_DRIVER, DriverRegKeyParameters, KEY_READ, 0, &p);
    RC_AFTER(x, st);
    if (!NT_SUCCESS(st))
        return;
    x->done = NT_SUCCESS(read_value(p, L"Level", x->out, sizeof x->out));
    ZwClose(p);
}

/* ---------------------------------------------------------------- REG-IMMUTABLE-WRITE */

/* The driver reads Level from Parameters and records the level it used back through the same handle. */
RC_SNIPPET(k_immutable_set_through_parameters)
{
    HANDLE p;
    NTSTATUS st = IoOpenDriverRegistryKey(RC_DRIVER, DriverRegKeyParameters, KEY_READ, 0, &p);
    if (!NT_SUCCESS(st))
        return;
    read_value(p, L"Level", x->out, sizeof x->out);
    RC_BEFORE(x);
    st = set_dword(p, L"LastLevel", 3);
    RC_AFTER(x, st);
    ZwClose(p);
    x->done = NT_SUCCESS(st);
}

/* The driver keeps a run-time subkey below Parameters. */
RC_SNIPPET(k_immutable_subkey_under_parameters)
{
    HANDLE p, r;
    NTSTATUS st = IoOpenDriverRegistryKey(RC_DRIVER, DriverRegKeyParameters, KEY_READ, 0, &p);
    if (!NT_SUCCESS(st))
        return;
    UNICODE_STRING sub = RTL_CONSTANT_STRING(L"Runtime");
    OBJECT_ATTRIBUTES oa;
    init_oa(&oa, &sub, p);
    ULONG disp = 0;
    RC_BEFORE(x);
    st = ZwCreateKey(&r, KEY_WRITE, &oa, 0, NULL, REG_OPTION_NON_VOLATILE, &disp);
    RC_AFTER(x, st);
    ZwClose(p);
    if (!NT_SUCCESS(st))
        return;
    set_dword(r, L"Boots", 1);
    ZwClose(r);
    x->done = 1;
}

/* A legacy driver writes a value under Services\rcdrv\Parameters with RtlWriteRegistryValue. */
RC_SNIPPET(k_immutable_rtl_write_services)
{
    ULONG v = 3;
    RC_BEFORE(x);
    NTSTATUS st = RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"rcdrv\\Parameters", L"LastLevel", REG_DWORD, &v,
                                        sizeof v);
    RC_AFTER(x, st);
    x->done = NT_SUCCESS(st);
}

/* The driver asks IoOpenDriverRegistryKey for Parameters with write access (Windows refuses it). */
RC_SNIPPET(k_immutable_open_parameters_for_write)
{
    HANDLE p = NULL;
    RC_BEFORE(x);
    NTSTATUS st = IoOpenDriverRegistryKey(RC_DRIVER, DriverRegKeyParameters, KEY_READ | KEY_WRITE, 0, &p);
    RC_AFTER(x, st);
    if (!NT_SUCCESS(st))
        return;
    set_dword(p, L"LastLevel", 3);
    ZwClose(p);
    x->done = 1;
}

/* Isolated: read Level from Parameters, record the level used in the persistent state. */
RC_SNIPPET(k_twin_state_last_level)
{
    HANDLE p, s;
    NTSTATUS st = IoOpenDriverRegistryKey(RC_DRIVER, DriverRegKeyParameters, KEY_READ, 0, &p);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    read_value(p, L"Level", x->out, sizeof x->out);
    ZwClose(p);
    st = IoOpenDriverRegistryKey(RC_DRIVER, DriverRegKeyPersistentState, KEY_WRITE, 0, &s);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    RC_BEFORE(x);
    st = set_dword(s, L"LastLevel", 3);
    RC_AFTER(x, st);
    ZwClose(s);
    x->done = NT_SUCCESS(st);
}

/* Isolated: the run-time subkey below the persistent state key. */
RC_SNIPPET(k_twin_state_runtime)
{
    HANDLE s, r;
    NTSTATUS st = IoOpenDriverRegistryKey(RC_DRIVER, DriverRegKeyPersistentState, KEY_WRITE, 0, &s);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    UNICODE_STRING sub = RTL_CONSTANT_STRING(L"Runtime");
    OBJECT_ATTRIBUTES oa;
    init_oa(&oa, &sub, s);
    ULONG disp = 0;
    RC_BEFORE(x);
    st = ZwCreateKey(&r, KEY_WRITE, &oa, 0, NULL, REG_OPTION_NON_VOLATILE, &disp);
    RC_AFTER(x, st);
    ZwClose(s);
    if (!NT_SUCCESS(st))
        return;
    set_dword(r, L"Boots", 1);
    ZwClose(r);
    x->done = 1;
}

/* ---------------------------------------------------------------- REG-CROSS-COMPONENT */

/* rcdrv got rcother's PDO (say from a bus relation) and reads that device's hardware key. */
RC_SNIPPET(k_cross_other_hardware_key)
{
    HANDLE k;
    RC_BEFORE(x);
    NTSTATUS st = IoOpenDeviceRegistryKey(RC_OTHER_PDO, PLUGPLAY_REGKEY_DEVICE, KEY_READ, &k);
    RC_AFTER(x, st);
    if (!NT_SUCCESS(st))
        return;
    x->done = NT_SUCCESS(read_value(k, L"Mode", x->out, sizeof x->out));
    ZwClose(k);
}

/* Isolated: what rcother publishes for its users, on its device interface's key. */
RC_SNIPPET(k_twin_other_interface_key)
{
    UNICODE_STRING link;
    RtlInitUnicodeString(&link, (PCWSTR)rc_other_link());
    HANDLE k;
    RC_BEFORE(x);
    NTSTATUS st = IoOpenDeviceInterfaceRegistryKey(&link, KEY_READ, &k);
    RC_AFTER(x, st);
    if (!NT_SUCCESS(st))
        return;
    x->done = NT_SUCCESS(read_value(k, L"Mode", x->out, sizeof x->out));
    ZwClose(k);
}

/* ---------------------------------------------------------------- REG-INSTALLER-VALUE */

/* The driver renames its device by rewriting DriverDesc in its software key. */
RC_SNIPPET(k_installer_driverdesc)
{
    HANDLE k;
    NTSTATUS st = IoOpenDeviceRegistryKey(RC_PDO, PLUGPLAY_REGKEY_DRIVER, KEY_WRITE, &k);
    if (!NT_SUCCESS(st))
        return;
    RC_BEFORE(x);
    st = set_sz(k, L"DriverDesc", L"Contoso turbo device");
    RC_AFTER(x, st);
    ZwClose(k);
    x->done = NT_SUCCESS(st);
}

/* Isolated: its own value name in the same key. */
RC_SNIPPET(k_twin_own_label)
{
    HANDLE k;
    NTSTATUS st = IoOpenDeviceRegistryKey(RC_PDO, PLUGPLAY_REGKEY_DRIVER, KEY_WRITE, &k);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    RC_BEFORE(x);
    st = set_sz(k, L"FriendlyLabel", L"Contoso turbo device");
    RC_AFTER(x, st);
    ZwClose(k);
    x->done = NT_SUCCESS(st);
}

/* The driver stamps its firmware's version over the installer's DriverVersion. */
RC_SNIPPET(k_installer_rtl_driverversion)
{
    HANDLE k;
    NTSTATUS st = IoOpenDeviceRegistryKey(RC_PDO, PLUGPLAY_REGKEY_DRIVER, KEY_WRITE, &k);
    if (!NT_SUCCESS(st))
        return;
    static const WCHAR ver[] = L"9.9.9.9";
    RC_BEFORE(x);
    st = RtlWriteRegistryValue(RTL_REGISTRY_HANDLE, (PCWSTR)k, L"DriverVersion", REG_SZ, (PVOID)ver, sizeof ver);
    RC_AFTER(x, st);
    ZwClose(k);
    x->done = NT_SUCCESS(st);
}

/* Isolated: the firmware version under the driver's own value name. */
RC_SNIPPET(k_twin_rtl_own_version)
{
    HANDLE k;
    NTSTATUS st = IoOpenDeviceRegistryKey(RC_PDO, PLUGPLAY_REGKEY_DRIVER, KEY_WRITE, &k);
    if (!NT_SUCCESS(st)) {
        RC_AFTER(x, st);
        return;
    }
    static const WCHAR ver[] = L"9.9.9.9";
    RC_BEFORE(x);
    st = RtlWriteRegistryValue(RTL_REGISTRY_HANDLE, (PCWSTR)k, L"FirmwareVersion", REG_SZ, (PVOID)ver, sizeof ver);
    RC_AFTER(x, st);
    ZwClose(k);
    x->done = NT_SUCCESS(st);
}

/* ---------------------------------------------------------------- a clean call, for after a fail-fast stop */

/* Read-only, by name, under \Registry\Machine\HARDWARE: the one absolute registry access isolation allows. */
RC_SNIPPET(k_probe_hardware_key)
{
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Registry\\Machine\\HARDWARE\\DESCRIPTION");
    OBJECT_ATTRIBUTES oa;
    init_oa(&oa, &name, NULL);
    HANDLE k = NULL;
    RC_BEFORE(x);
    NTSTATUS st = ZwOpenKey(&k, KEY_READ, &oa);
    RC_AFTER(x, st);
    if (!NT_SUCCESS(st))
        return;
    ZwClose(k);
    x->done = 1;
}
