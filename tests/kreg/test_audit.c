/*
 * test_audit.c: provenance, judging and recording of the kernel registry
 * APIs (DESIGN.md's rule table): absolute opens by drivers are
 * REG-ABSOLUTE-PATH except read-only HARDWARE; relative use of a handle
 * that no approved API produced is REG-FOREIGN-HANDLE; relative opens
 * inherit the root's provenance; names read back through
 * KeyNameInformation launder approved handles; writes under
 * Services\<svc>\Parameters are REG-IMMUTABLE-WRITE; the Rtl helpers'
 * RelativeTo roots are absolute names; enforce mode denies without
 * changing anything; the harness is never judged.
 */
#include "tests/kreg/kr.h"

#include "base/pb_utf16.h"

#include <string.h>

TestSuite(kreg_audit, .init = kr_setup, .fini = kr_teardown);

#define PARAMS_CCS L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\testdrv\\Parameters"
#define PARAMS_PATH "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\testdrv\\Parameters"
#define BAD ((HANDLE)(uintptr_t)0xdeadbeef)

/* Services\testdrv\Parameters with Setting = 7 and a subkey Sub, made by the harness. */
static void make_service(void)
{
    kr_as_harness();
    /* ZwCreateKey creates the last component only. */
    ZwClose(kr_create(NULL, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\testdrv", 0));
    HANDLE h = kr_create(NULL, PARAMS_CCS, 0);
    kr_set_dword(h, L"Setting", 7);
    HANDLE s = kr_create(h, L"Sub", 0);
    kr_set_dword(s, L"Inner", 1);
    ZwClose(s);
    ZwClose(h);
}

/* The approved handle IoOpenDriverRegistryKey(DriverRegKeyParameters) would give c. */
static HANDLE approved_params(pnpbox_component *c)
{
    regdb_key k;
    cr_assert_eq(emu_ccs_open(m, "Services\\testdrv\\Parameters", &k), 0);
    emu_prov p;
    memset(&p, 0, sizeof p);
    p.api = "IoOpenDriverRegistryKey";
    p.sel = "DriverRegKeyParameters";
    p.approved = 1;
    p.owner = c;
    p.scope_owner = c;
    p.scope = EMU_SCOPE_SVC_PARAMETERS;
    p.scope_key = k;
    HANDLE h = BAD;
    cr_assert_eq(emu_key_handle_new(m, k, KEY_READ, &p, EMU_HF_KERNEL, &h), STATUS_SUCCESS);
    cr_assert_neq(h, BAD);
    return h;
}

/* The n-th (from 0) event for api at or after from. */
static const pnpbox_event *nth_event(const char *api, size_t from, int n)
{
    for (size_t i = from; i < kr_nevents(); i++) {
        const pnpbox_event *e = pnpbox_event_get(m, i);
        if (!strcmp(e->api, api) && n-- == 0)
            return e;
    }
    return NULL;
}

static emu_handle *hnd(HANDLE h)
{
    emu_handle *e = NULL;
    cr_assert_eq(emu_key_from_handle(m, h, &e), STATUS_SUCCESS);
    return e;
}

static NTSTATUS query(HANDLE h, const WCHAR *name)
{
    UNICODE_STRING us = kr_us(name);
    unsigned char buf[64];
    ULONG rl = 0;
    return ZwQueryValueKey(h, &us, KeyValuePartialInformation, buf, sizeof buf, &rl);
}

static NTSTATUS set_dword(HANDLE h, const WCHAR *name, ULONG v)
{
    UNICODE_STRING us = kr_us(name);
    return ZwSetValueKey(h, &us, 0, REG_DWORD, &v, sizeof v);
}

/* Does the value exist (asked as the harness, which is never judged)? */
static int value_exists(const WCHAR *key, const WCHAR *name)
{
    pnpbox_component *was = emu_comp();
    kr_as_harness();
    HANDLE h = kr_open(NULL, key);
    NTSTATUS st = query(h, name);
    ZwClose(h);
    pnpbox_enter(was);
    return st == STATUS_SUCCESS;
}

static int key_exists(const WCHAR *key)
{
    pnpbox_component *was = emu_comp();
    kr_as_harness();
    HANDLE h = NULL;
    NTSTATUS st = kr_open_st(NULL, key, KEY_READ, OBJ_CASE_INSENSITIVE, &h);
    if (st == STATUS_SUCCESS)
        ZwClose(h);
    pnpbox_enter(was);
    return st == STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- absolute opens */

Test(kreg_audit, harness_is_not_judged)
{
    make_service();
    size_t from = kr_nevents();
    HANDLE h = kr_open(NULL, PARAMS_CCS);
    const pnpbox_event *e = kr_event("ZwOpenKey", from);
    cr_assert_not_null(e, "the harness's accesses are recorded too");
    cr_assert_str_eq(e->path, PARAMS_PATH);
    cr_assert_str_eq(e->origin, "absolute");
    cr_assert_str_eq(e->rules, "");
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_ALLOWED);
    cr_assert_eq(query(h, L"Setting"), STATUS_SUCCESS);
    e = kr_event("ZwQueryValueKey", from);
    cr_assert_str_eq(e->rules, "");
    /* Enforce mode does not stop the harness. */
    pnpbox_set_mode(m, PNPBOX_MODE_ENFORCE);
    cr_assert_eq(set_dword(h, L"Setting", 8), STATUS_SUCCESS);
    ZwClose(h);
}

Test(kreg_audit, driver_absolute_open_is_reg_absolute_path)
{
    make_service();
    pnpbox_component *c = kr_as_driver("testdrv");
    size_t from = kr_nevents();
    HANDLE h = BAD;
    cr_assert_eq(kr_open_st(NULL, PARAMS_CCS, KEY_READ, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, &h),
                 STATUS_SUCCESS, "report mode allows it");
    cr_assert_eq(kr_nevents(), from + 1, "one event for one open");
    const pnpbox_event *e = kr_event("ZwOpenKey", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->component, "testdrv");
    cr_assert_eq(e->component_kind, PNPBOX_COMP_KERNEL_DRIVER);
    cr_assert_str_eq(e->path, PARAMS_PATH, "the canonical path: ControlSet001, not CurrentControlSet");
    cr_assert_null(e->value);
    cr_assert_eq(e->access, KEY_READ);
    cr_assert_eq(e->write, 0);
    cr_assert_str_eq(e->origin, "absolute");
    cr_assert_eq(e->status, STATUS_SUCCESS);
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_REPORTED);
    cr_assert_str_eq(e->rules, "REG-ABSOLUTE-PATH");
    cr_assert_not_null(e->caller_addr, "the driver code's address");
    cr_assert_not_null(e->caller);

    emu_handle *eh = hnd(h);
    cr_assert_str_eq(eh->prov.api, "absolute");
    cr_assert_eq(eh->prov.approved, 0);
    cr_assert_eq(eh->prov.laundered, 0);
    cr_assert_eq(eh->prov.owner, c);
    cr_assert_str_eq(eh->path, PARAMS_PATH, "the canonical path is cached with the handle");
    cr_assert(eh->flags & EMU_HF_KERNEL);

    /* Using it is a foreign handle: nothing approved produced it. */
    from = kr_nevents();
    cr_assert_eq(query(h, L"Setting"), STATUS_SUCCESS);
    e = kr_event("ZwQueryValueKey", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->path, PARAMS_PATH);
    cr_assert_str_eq(e->value, "Setting");
    cr_assert_eq(e->write, 0);
    cr_assert_str_eq(e->origin, "absolute");
    cr_assert_str_eq(e->rules, "REG-FOREIGN-HANDLE");
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_REPORTED);
    ZwClose(h);
}

Test(kreg_audit, failed_and_created_absolute_opens_are_recorded)
{
    make_service();
    kr_as_driver("testdrv");
    size_t from = kr_nevents();
    HANDLE h = BAD;
    cr_assert_eq(kr_open_st(NULL, PARAMS_CCS L"\\Missing", KEY_READ, OBJ_CASE_INSENSITIVE, &h),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_null(h);
    const pnpbox_event *e = kr_event("ZwOpenKey", from);
    cr_assert_not_null(e);
    cr_assert_eq(e->status, STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_str_eq(e->path, PARAMS_PATH "\\Missing");
    cr_assert(kr_has_rule(e, "REG-ABSOLUTE-PATH"));
    /* The deepest existing key is named canonically, the rest as given. */
    from = kr_nevents();
    cr_assert_eq(kr_open_st(NULL, L"\\Registry\\Nowhere\\Deeper", KEY_READ, OBJ_CASE_INSENSITIVE, &h),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_str_eq(kr_event("ZwOpenKey", from)->path, "\\REGISTRY\\Nowhere\\Deeper");
    HANDLE svc = BAD;
    cr_assert_eq(kr_open_st(NULL, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services", KEY_READ,
                            OBJ_CASE_INSENSITIVE, &svc),
                 STATUS_SUCCESS);
    from = kr_nevents();
    cr_assert_eq(kr_open_st(svc, L"testdrv\\Nope\\More", KEY_READ, OBJ_CASE_INSENSITIVE, &h),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    e = kr_event("ZwOpenKey", from);
    cr_assert_str_eq(e->path, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\testdrv\\Nope\\More");
    cr_assert_str_eq(e->origin, "absolute");
    cr_assert_str_eq(e->rules, "REG-FOREIGN-HANDLE", "relative: no absolute-path finding");
    ZwClose(svc);

    /* An absolute create is a write that creates. */
    from = kr_nevents();
    ULONG disp = 0xdeadbeef;
    h = BAD;
    cr_assert_eq(kr_create_st(NULL, L"\\Registry\\Machine\\Software\\TestDrvVendor", 0, &h, &disp), STATUS_SUCCESS);
    cr_assert_eq(disp, REG_CREATED_NEW_KEY);
    e = kr_event("ZwCreateKey", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->path, "\\REGISTRY\\MACHINE\\SOFTWARE\\TestDrvVendor");
    cr_assert_eq(e->write, 1);
    cr_assert_eq(e->access, KEY_ALL_ACCESS);
    cr_assert_str_eq(e->rules, "REG-ABSOLUTE-PATH");
    ZwClose(h);
}

Test(kreg_audit, hardware_reads_are_sanctioned)
{
    kr_as_harness();
    HANDLE hw = kr_create(NULL, L"\\Registry\\Machine\\HARDWARE\\DEVICEMAP\\PnpboxTest", REG_OPTION_VOLATILE);
    kr_set_dword(hw, L"Ports", 2);
    ZwClose(hw);

    kr_as_driver("testdrv");
    size_t from = kr_nevents();
    HANDLE h = BAD;
    cr_assert_eq(kr_open_st(NULL, L"\\Registry\\Machine\\HARDWARE\\DEVICEMAP\\PnpboxTest", KEY_READ,
                            OBJ_CASE_INSENSITIVE, &h),
                 STATUS_SUCCESS);
    const pnpbox_event *e = kr_event("ZwOpenKey", from);
    cr_assert_str_eq(e->path, "\\REGISTRY\\MACHINE\\HARDWARE\\DEVICEMAP\\PnpboxTest");
    cr_assert_str_eq(e->rules, "");
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_ALLOWED);
    emu_handle *eh = hnd(h);
    cr_assert_str_eq(eh->prov.api, "absolute");
    cr_assert_eq(eh->prov.approved, 1, "read-only HARDWARE opens are sanctioned");
    from = kr_nevents();
    cr_assert_eq(query(h, L"Ports"), STATUS_SUCCESS);
    cr_assert_str_eq(kr_event("ZwQueryValueKey", from)->rules, "", "so is using the handle");
    ZwClose(h);

    /* Asking for write access is not. */
    from = kr_nevents();
    cr_assert_eq(kr_open_st(NULL, L"\\Registry\\Machine\\HARDWARE\\DEVICEMAP\\PnpboxTest", KEY_SET_VALUE,
                            OBJ_CASE_INSENSITIVE, &h),
                 STATUS_SUCCESS);
    e = kr_event("ZwOpenKey", from);
    cr_assert_eq(e->write, 1);
    cr_assert_str_eq(e->rules, "REG-ABSOLUTE-PATH");
    cr_assert_eq(hnd(h)->prov.approved, 0);
    from = kr_nevents();
    cr_assert_eq(query(h, L"Ports"), STATUS_SUCCESS);
    cr_assert_str_eq(kr_event("ZwQueryValueKey", from)->rules, "REG-FOREIGN-HANDLE");
    ZwClose(h);
}

/* ---------------------------------------------------------------- writes and value names */

Test(kreg_audit, writes_are_flagged_with_utf8_value_names)
{
    make_service();
    kr_as_driver("testdrv");
    HANDLE h = BAD;
    cr_assert_eq(kr_open_st(NULL, PARAMS_CCS, KEY_ALL_ACCESS, OBJ_CASE_INSENSITIVE, &h), STATUS_SUCCESS);

    static const WCHAR name[] = {'W', 'e', 'r', 't', 0x00e9, 0x20ac, 0};
    size_t from = kr_nevents();
    cr_assert_eq(set_dword(h, name, 1), STATUS_SUCCESS);
    const pnpbox_event *e = kr_event("ZwSetValueKey", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->value, "Wert\xc3\xa9\xe2\x82\xac");
    cr_assert_eq(e->write, 1);
    cr_assert_eq(e->access, KEY_SET_VALUE);
    cr_assert_str_eq(e->path, PARAMS_PATH);
    cr_assert(kr_has_rule(e, "REG-FOREIGN-HANDLE"));
    cr_assert(kr_has_rule(e, "REG-IMMUTABLE-WRITE"), "a write under Services\\<svc>\\Parameters");

    from = kr_nevents();
    cr_assert_eq(query(h, name), STATUS_SUCCESS);
    e = kr_event("ZwQueryValueKey", from);
    cr_assert_eq(e->write, 0);
    cr_assert_eq(e->access, KEY_QUERY_VALUE);
    cr_assert_not(kr_has_rule(e, "REG-IMMUTABLE-WRITE"), "reading is no write");

    from = kr_nevents();
    UNICODE_STRING us = kr_us(name);
    cr_assert_eq(ZwDeleteValueKey(h, &us), STATUS_SUCCESS);
    e = kr_event("ZwDeleteValueKey", from);
    cr_assert_str_eq(e->value, "Wert\xc3\xa9\xe2\x82\xac");
    cr_assert_eq(e->write, 1);
    cr_assert(kr_has_rule(e, "REG-IMMUTABLE-WRITE"));

    /* Failed operations are recorded with their status. */
    from = kr_nevents();
    cr_assert_eq(ZwDeleteValueKey(h, &us), STATUS_OBJECT_NAME_NOT_FOUND);
    e = kr_event("ZwDeleteValueKey", from);
    cr_assert_eq(e->status, STATUS_OBJECT_NAME_NOT_FOUND);

    /* The default value has the empty name. */
    from = kr_nevents();
    cr_assert_eq(set_dword(h, L"", 3), STATUS_SUCCESS);
    cr_assert_str_eq(kr_event("ZwSetValueKey", from)->value, "");

    /* Creating and deleting keys relative to it. */
    from = kr_nevents();
    HANDLE sub = BAD;
    ULONG disp = 0;
    cr_assert_eq(kr_create_st(h, L"Created", 0, &sub, &disp), STATUS_SUCCESS);
    e = kr_event("ZwCreateKey", from);
    cr_assert_str_eq(e->path, PARAMS_PATH "\\Created");
    cr_assert_eq(e->write, 1);
    cr_assert_str_eq(e->origin, "absolute", "inherited from the root handle");
    cr_assert(kr_has_rule(e, "REG-FOREIGN-HANDLE"));
    cr_assert(kr_has_rule(e, "REG-IMMUTABLE-WRITE"));
    cr_assert_not(kr_has_rule(e, "REG-ABSOLUTE-PATH"), "a relative open");
    from = kr_nevents();
    cr_assert_eq(ZwDeleteKey(sub), STATUS_SUCCESS);
    e = kr_event("ZwDeleteKey", from);
    cr_assert_str_eq(e->path, PARAMS_PATH "\\Created");
    cr_assert_eq(e->write, 1);
    cr_assert_null(e->value);
    cr_assert(kr_has_rule(e, "REG-IMMUTABLE-WRITE"));
    ZwClose(sub);

    /* Enumeration and key information are recorded reads. */
    unsigned char buf[256];
    ULONG rl;
    from = kr_nevents();
    cr_assert_eq(ZwEnumerateValueKey(h, 0, KeyValueBasicInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    e = kr_event("ZwEnumerateValueKey", from);
    cr_assert_not_null(e);
    cr_assert_eq(e->write, 0);
    from = kr_nevents();
    cr_assert_eq(ZwEnumerateKey(h, 0, KeyBasicInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_not_null(kr_event("ZwEnumerateKey", from));
    from = kr_nevents();
    cr_assert_eq(ZwQueryKey(h, KeyFullInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_not_null(kr_event("ZwQueryKey", from));
    ZwClose(h);
}

/* ---------------------------------------------------------------- approved handles */

Test(kreg_audit, approved_handles_and_inheritance)
{
    make_service();
    pnpbox_component *c = kr_as_driver("testdrv");
    size_t from = kr_nevents();
    HANDLE h = approved_params(c);
    cr_assert_eq(kr_nevents(), from, "emu_key_handle_new neither judges nor records");
    emu_handle *eh = hnd(h);
    cr_assert_str_eq(eh->path, PARAMS_PATH);
    cr_assert_eq(eh->access, KEY_READ);
    cr_assert(eh->flags & EMU_HF_KERNEL);
    cr_assert_str_eq(emu_prov_origin(&eh->prov), "IoOpenDriverRegistryKey/DriverRegKeyParameters");

    cr_assert_eq(query(h, L"Setting"), STATUS_SUCCESS);
    const pnpbox_event *e = kr_event("ZwQueryValueKey", from);
    cr_assert_str_eq(e->origin, "IoOpenDriverRegistryKey/DriverRegKeyParameters");
    cr_assert_str_eq(e->rules, "");
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_ALLOWED);

    /* A relative open inherits the provenance, scope included. */
    from = kr_nevents();
    HANDLE sub = BAD;
    cr_assert_eq(kr_open_st(h, L"Sub", KEY_READ, 0, &sub), STATUS_SUCCESS);
    e = kr_event("ZwOpenKey", from);
    cr_assert_str_eq(e->path, PARAMS_PATH "\\Sub");
    cr_assert_str_eq(e->origin, "IoOpenDriverRegistryKey/DriverRegKeyParameters");
    cr_assert_str_eq(e->rules, "");
    emu_handle *se = hnd(sub);
    cr_assert_str_eq(se->prov.api, "IoOpenDriverRegistryKey");
    cr_assert_str_eq(se->prov.sel, "DriverRegKeyParameters");
    cr_assert_eq(se->prov.approved, 1);
    cr_assert_eq(se->prov.laundered, 0);
    cr_assert_eq(se->prov.scope, EMU_SCOPE_SVC_PARAMETERS);
    cr_assert_eq(se->prov.scope_key, eh->prov.scope_key);
    cr_assert_eq(se->prov.owner, c);
    from = kr_nevents();
    cr_assert_eq(query(sub, L"Inner"), STATUS_SUCCESS);
    cr_assert_str_eq(kr_event("ZwQueryValueKey", from)->rules, "");

    /* Writing under Parameters is still a finding, whatever the handle. */
    from = kr_nevents();
    cr_assert_eq(set_dword(sub, L"Inner", 2), STATUS_SUCCESS);
    e = kr_event("ZwSetValueKey", from);
    cr_assert_str_eq(e->rules, "REG-IMMUTABLE-WRITE");
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_REPORTED);
    ZwClose(sub);
    ZwClose(h);
}

Test(kreg_audit, key_handle_new_arguments)
{
    make_service();
    regdb_key k;
    cr_assert_eq(emu_ccs_open(m, "Services\\testdrv\\Parameters\\Sub", &k), 0);
    emu_prov p;
    memset(&p, 0, sizeof p);
    p.api = "IoOpenDriverRegistryKey";
    p.approved = 1;
    HANDLE h = BAD;
    cr_assert_eq(emu_key_handle_new(m, k, KEY_READ, &p, 0, NULL), STATUS_INVALID_PARAMETER);
    cr_assert_eq(emu_key_handle_new(m, k, KEY_READ, NULL, 0, &h), STATUS_INVALID_PARAMETER);
    cr_assert_eq(h, BAD);
    cr_assert_eq(regdb_delete_tree(m->reg, k), 0);
    cr_assert_eq(emu_key_handle_new(m, k, KEY_READ, &p, 0, &h), STATUS_KEY_DELETED);
    cr_assert_eq(h, BAD);

    emu_handle *e = (emu_handle *)BAD;
    cr_assert_eq(emu_key_from_handle(m, NULL, &e), STATUS_INVALID_HANDLE);
    cr_assert_eq(emu_key_from_handle(m, (HANDLE)(uintptr_t)0x7ff0, &e), STATUS_INVALID_HANDLE);
    cr_assert_eq(e, (emu_handle *)BAD);
    HANDLE ev = NULL;
    cr_assert_eq(ZwCreateEvent(&ev, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE), STATUS_SUCCESS);
    cr_assert_eq(emu_key_from_handle(m, ev, &e), STATUS_OBJECT_TYPE_MISMATCH);
    cr_assert_eq(e, (emu_handle *)BAD);
    /* A key handle given to the event helper, and the other way round in the Zw calls. */
    PKEVENT kev = (PKEVENT)BAD;
    HANDLE key = kr_open(NULL, PARAMS_CCS);
    cr_assert_eq(emu_event_from_handle(m, key, &kev), STATUS_OBJECT_TYPE_MISMATCH);
    cr_assert_eq(kev, (PKEVENT)BAD);
    cr_assert_eq(emu_event_from_handle(m, ev, &kev), STATUS_SUCCESS);
    cr_assert_neq(kev, (PKEVENT)BAD);
    cr_assert_eq(query(ev, L"Setting"), STATUS_OBJECT_TYPE_MISMATCH);
    ZwClose(key);
    ZwClose(ev);
}

/* ---------------------------------------------------------------- laundering */

Test(kreg_audit, names_read_back_from_approved_handles_are_laundered)
{
    make_service();
    pnpbox_component *c = kr_as_driver("testdrv");
    HANDLE h = approved_params(c);
    unsigned char buf[512];
    ULONG rl = 0;
    cr_assert_eq(ZwQueryKey(h, KeyNameInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    KEY_NAME_INFORMATION *ni = (KEY_NAME_INFORMATION *)buf;
    cr_assert_str_eq(kr_u8(ni->Name, ni->NameLength / 2), PARAMS_PATH);

    /* Opening the name read back: the handle is laundered. */
    WCHAR name[300];
    memcpy(name, ni->Name, ni->NameLength);
    name[ni->NameLength / 2] = 0;
    size_t from = kr_nevents();
    HANDLE l = BAD;
    cr_assert_eq(kr_open_st(NULL, name, KEY_READ, OBJ_CASE_INSENSITIVE, &l), STATUS_SUCCESS);
    const pnpbox_event *e = kr_event("ZwOpenKey", from);
    cr_assert(kr_has_rule(e, "REG-ABSOLUTE-PATH"), "it is still an absolute open");
    emu_handle *le = hnd(l);
    cr_assert_eq(le->prov.laundered, 1);
    cr_assert_eq(le->prov.approved, 0);
    cr_assert_str_eq(le->prov.api, "IoOpenDriverRegistryKey", "where the name came from");
    cr_assert_eq(le->prov.owner, c);
    from = kr_nevents();
    cr_assert_eq(query(l, L"Setting"), STATUS_SUCCESS);
    e = kr_event("ZwQueryValueKey", from);
    cr_assert_str_eq(e->rules, "REG-FOREIGN-HANDLE");
    /* A relative open under it inherits the laundering. */
    HANDLE ls = BAD;
    from = kr_nevents();
    cr_assert_eq(kr_open_st(l, L"Sub", KEY_READ, 0, &ls), STATUS_SUCCESS);
    cr_assert_str_eq(kr_event("ZwOpenKey", from)->rules, "REG-FOREIGN-HANDLE");
    cr_assert_eq(hnd(ls)->prov.laundered, 1);
    ZwClose(ls);
    ZwClose(l);

    /* A name below it, and the same key through CurrentControlSet, are laundered too. */
    l = BAD;
    cr_assert_eq(kr_open_st(NULL, PARAMS_CCS L"\\Sub", KEY_READ, OBJ_CASE_INSENSITIVE, &l), STATUS_SUCCESS);
    cr_assert_eq(hnd(l)->prov.laundered, 1);
    ZwClose(l);
    cr_assert_eq(kr_open_st(NULL, PARAMS_CCS, KEY_READ, OBJ_CASE_INSENSITIVE, &l), STATUS_SUCCESS);
    cr_assert_eq(hnd(l)->prov.laundered, 1);
    ZwClose(l);
    /* Its parent is not. */
    cr_assert_eq(kr_open_st(NULL, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\testdrv", KEY_READ,
                            OBJ_CASE_INSENSITIVE, &l),
                 STATUS_SUCCESS);
    cr_assert_eq(hnd(l)->prov.laundered, 0);
    cr_assert_str_eq(hnd(l)->prov.api, "absolute");
    ZwClose(l);
    ZwClose(h);
}

Test(kreg_audit, names_of_absolute_handles_launder_nothing)
{
    make_service();
    kr_as_driver("testdrv");
    HANDLE h = BAD;
    cr_assert_eq(kr_open_st(NULL, PARAMS_CCS, KEY_READ, OBJ_CASE_INSENSITIVE, &h), STATUS_SUCCESS);
    unsigned char buf[512];
    ULONG rl = 0;
    cr_assert_eq(ZwQueryKey(h, KeyNameInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    HANDLE l = BAD;
    cr_assert_eq(kr_open_st(NULL, PARAMS_CCS, KEY_READ, OBJ_CASE_INSENSITIVE, &l), STATUS_SUCCESS);
    cr_assert_eq(hnd(l)->prov.laundered, 0);
    cr_assert_str_eq(hnd(l)->prov.api, "absolute");
    ZwClose(l);
    ZwClose(h);
}

/* ---------------------------------------------------------------- enforce mode */

Test(kreg_audit, enforce_mode_denies_and_changes_nothing)
{
    make_service();
    pnpbox_component *c = kr_as_driver("testdrv");
    pnpbox_set_mode(m, PNPBOX_MODE_ENFORCE);

    /* An absolute open. */
    size_t from = kr_nevents();
    HANDLE h = BAD;
    cr_assert_eq(kr_open_st(NULL, PARAMS_CCS, KEY_READ, OBJ_CASE_INSENSITIVE, &h), STATUS_ACCESS_DENIED);
    cr_assert_null(h);
    const pnpbox_event *e = kr_event("ZwOpenKey", from);
    cr_assert_eq(e->status, STATUS_ACCESS_DENIED);
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_DENIED);
    cr_assert_str_eq(e->rules, "REG-ABSOLUTE-PATH");

    /* An absolute create: nothing is created. */
    ULONG disp = 0xdeadbeef;
    h = BAD;
    cr_assert_eq(kr_create_st(NULL, L"\\Registry\\Machine\\Software\\TestDrvVendor", 0, &h, &disp),
                 STATUS_ACCESS_DENIED);
    cr_assert_null(h);
    cr_assert_eq(disp, 0xdeadbeef);
    cr_assert_not(key_exists(L"\\Registry\\Machine\\Software\\TestDrvVendor"));

    /* Through the approved handle: reading is allowed, writing under Parameters is not. */
    HANDLE p = approved_params(c);
    cr_assert_eq(query(p, L"Setting"), STATUS_SUCCESS);
    from = kr_nevents();
    cr_assert_eq(set_dword(p, L"New", 1), STATUS_ACCESS_DENIED);
    e = kr_event("ZwSetValueKey", from);
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_DENIED);
    cr_assert_str_eq(e->value, "New");
    cr_assert_not(value_exists(PARAMS_CCS, L"New"));
    cr_assert_eq(set_dword(p, L"Setting", 99), STATUS_ACCESS_DENIED);
    ULONG v = 0;
    kr_as_harness();
    HANDLE hh = kr_open(NULL, PARAMS_CCS);
    kr_get(hh, L"Setting", NULL, &v, sizeof v);
    cr_assert_eq(v, 7, "unchanged");
    ZwClose(hh);
    pnpbox_enter(c);
    UNICODE_STRING us = kr_us(L"Setting");
    cr_assert_eq(ZwDeleteValueKey(p, &us), STATUS_ACCESS_DENIED);
    cr_assert(value_exists(PARAMS_CCS, L"Setting"));
    HANDLE sub = BAD;
    disp = 0xdeadbeef;
    cr_assert_eq(kr_create_st(p, L"Created", 0, &sub, &disp), STATUS_ACCESS_DENIED);
    cr_assert_null(sub);
    cr_assert_eq(disp, 0xdeadbeef);
    cr_assert_not(key_exists(PARAMS_CCS L"\\Created"));
    /* A read-only relative open is fine, deleting the key through it is not. */
    cr_assert_eq(kr_open_st(p, L"Sub", KEY_READ, 0, &sub), STATUS_SUCCESS);
    from = kr_nevents();
    cr_assert_eq(ZwDeleteKey(sub), STATUS_ACCESS_DENIED);
    cr_assert_eq(kr_event("ZwDeleteKey", from)->outcome, PNPBOX_OUTCOME_DENIED);
    cr_assert(key_exists(PARAMS_CCS L"\\Sub"));
    cr_assert_eq(query(sub, L"Inner"), STATUS_SUCCESS, "the handle still works");
    ZwClose(sub);
    ZwClose(p);
}

/* ---------------------------------------------------------------- Rtl helpers */

Test(kreg_audit, rtl_relative_to_roots_are_absolute_names)
{
    make_service();
    pnpbox_component *c = kr_as_driver("testdrv");
    ULONG v = 0;
    RTL_QUERY_REGISTRY_TABLE t[2];
    memset(t, 0, sizeof t);
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK | RTL_QUERY_REGISTRY_REQUIRED;
    t[0].Name = L"Setting";
    t[0].EntryContext = &v;
    t[0].DefaultType = REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT;
    size_t from = kr_nevents();
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"testdrv\\Parameters", t, NULL, NULL),
                 STATUS_SUCCESS);
    cr_assert_eq(v, 7);
    const pnpbox_event *e = kr_event("RtlQueryRegistryValues", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->path, PARAMS_PATH);
    cr_assert_str_eq(e->origin, "absolute");
    cr_assert_null(e->value, "the open of the key");
    cr_assert_str_eq(e->rules, "REG-ABSOLUTE-PATH");
    cr_assert_str_eq(e->component, "testdrv");
    cr_assert_not_null(e->caller_addr);
    e = nth_event("RtlQueryRegistryValues", from, 1);
    cr_assert_not_null(e, "then the value query");
    cr_assert_str_eq(e->value, "Setting");
    cr_assert_str_eq(e->rules, "REG-FOREIGN-HANDLE");
    cr_assert_null(kr_event("ZwOpenKey", from), "recorded under the Rtl routine's name");

    /* RTL_REGISTRY_HANDLE with an approved handle: relative, clean. */
    HANDLE p = approved_params(c);
    v = 0;
    from = kr_nevents();
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_HANDLE, (PCWSTR)p, t, NULL, NULL), STATUS_SUCCESS);
    cr_assert_eq(v, 7);
    e = kr_event("RtlQueryRegistryValues", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->value, "Setting");
    cr_assert_str_eq(e->origin, "IoOpenDriverRegistryKey/DriverRegKeyParameters");
    cr_assert_str_eq(e->rules, "");
    ZwClose(p);

    /* RtlWriteRegistryValue: an absolute open and a write. */
    ULONG nv = 5;
    from = kr_nevents();
    cr_assert_eq(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"testdrv\\Parameters", L"Written", REG_DWORD, &nv,
                                       sizeof nv),
                 STATUS_SUCCESS);
    int saw_open = 0, saw_set = 0;
    for (size_t i = from; i < kr_nevents(); i++) {
        e = pnpbox_event_get(m, i);
        cr_assert_str_eq(e->api, "RtlWriteRegistryValue");
        if (!e->value) {
            saw_open = 1;
            cr_assert(kr_has_rule(e, "REG-ABSOLUTE-PATH"));
        } else {
            saw_set = 1;
            cr_assert_str_eq(e->value, "Written");
            cr_assert_eq(e->write, 1);
            cr_assert(kr_has_rule(e, "REG-IMMUTABLE-WRITE"));
            cr_assert(kr_has_rule(e, "REG-FOREIGN-HANDLE"));
        }
    }
    cr_assert(saw_open && saw_set);

    /* RtlCheckRegistryKey of a HARDWARE key reads: sanctioned. */
    kr_as_harness();
    ZwClose(kr_create(NULL, L"\\Registry\\Machine\\HARDWARE\\DEVICEMAP\\PnpboxTest", REG_OPTION_VOLATILE));
    pnpbox_enter(c);
    from = kr_nevents();
    cr_assert_eq(RtlCheckRegistryKey(RTL_REGISTRY_DEVICEMAP, L"PnpboxTest"), STATUS_SUCCESS);
    e = kr_event("RtlCheckRegistryKey", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->path, "\\REGISTRY\\MACHINE\\HARDWARE\\DEVICEMAP\\PnpboxTest");
    cr_assert_str_eq(e->rules, "");
}

Test(kreg_audit, rtl_helpers_in_enforce_mode)
{
    make_service();
    kr_as_driver("testdrv");
    pnpbox_set_mode(m, PNPBOX_MODE_ENFORCE);
    ULONG v = 0xdeadbeef;
    RTL_QUERY_REGISTRY_TABLE t[2];
    memset(t, 0, sizeof t);
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
    t[0].Name = L"Setting";
    t[0].EntryContext = &v;
    t[0].DefaultType = REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT;
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"testdrv\\Parameters", t, NULL, NULL),
                 STATUS_ACCESS_DENIED);
    cr_assert_eq(v, 0xdeadbeef);
    ULONG nv = 5;
    cr_assert_eq(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"testdrv\\Parameters", L"Written", REG_DWORD, &nv,
                                       sizeof nv),
                 STATUS_ACCESS_DENIED);
    cr_assert_not(value_exists(PARAMS_CCS, L"Written"));
    cr_assert_eq(RtlCreateRegistryKey(RTL_REGISTRY_SERVICES, L"testdrv\\NewKey"), STATUS_ACCESS_DENIED);
    cr_assert_not(key_exists(L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\testdrv\\NewKey"));
    cr_assert_eq(RtlDeleteRegistryValue(RTL_REGISTRY_SERVICES, L"testdrv\\Parameters", L"Setting"),
                 STATUS_ACCESS_DENIED);
    cr_assert(value_exists(PARAMS_CCS, L"Setting"));
}

/* ---------------------------------------------------------------- folding repeated accesses */

/* The ZwQueryValueKey event for value name at or after from, or NULL. */
static const pnpbox_event *query_event(const char *name, size_t from)
{
    for (size_t i = from; i < kr_nevents(); i++) {
        const pnpbox_event *e = pnpbox_event_get(m, i);
        if (!strcmp(e->api, "ZwQueryValueKey") && e->value && !strcmp(e->value, name))
            return e;
    }
    return NULL;
}

/*
 * A driver's polling loop is one event per distinct access with a count, and
 * names that differ only in their last one to three units (the fold key's
 * last word: padded for names under four units, else overlapping the word
 * before) never share an event.
 * Folding is a memo of the last EMU_FOLD_SLOTS accesses of a handle, so the
 * names are polled in groups of that many.
 */
Test(kreg_audit, repeated_queries_fold_by_value_name)
{
    static const WCHAR *const names[] = {L"Pol", L"PoM", L"Poll", L"PolM", L"Polls", L"PollT", L"Pollin",
                                         L"PolliN", L"Polling", L"PollinG", L"PollingA", L"PollingB"};
    static const char *const u8[] = {"Pol", "PoM", "Poll", "PolM", "Polls", "PollT", "Pollin",
                                     "PolliN", "Polling", "PollinG", "PollingA", "PollingB"};
    const size_t nn = sizeof names / sizeof *names;
    make_service();
    kr_as_harness();
    HANDLE w = kr_open(NULL, PARAMS_CCS);
    for (size_t i = 0; i < nn; i++)
        kr_set_dword(w, names[i], (ULONG)i);
    ZwClose(w);
    pnpbox_component *c = kr_as_driver("testdrv");
    HANDLE h = approved_params(c);
    size_t from = kr_nevents();
    for (size_t g = 0; g < nn; g += EMU_FOLD_SLOTS)
        for (int round = 0; round < 5; round++)
            for (size_t i = g; i < nn && i < g + EMU_FOLD_SLOTS; i++)
                for (size_t k = 0; k <= i % 3; k++) /* 1, 2 or 3 queries of each name per round */
                    cr_assert_eq(query(h, names[i]), STATUS_SUCCESS, "%s", u8[i]);
    /* Value names compare case-insensitively on Windows, but the audit keeps the spelling asked
     * for, so "Polling" and "PollinG" are two events of one value. */
    cr_assert_eq(kr_nevents() - from, nn, "one event per name asked for");
    for (size_t i = 0; i < nn; i++) {
        const pnpbox_event *e = query_event(u8[i], from);
        cr_assert_not_null(e, "%s recorded", u8[i]);
        cr_assert_eq(e->count, 5 * (i % 3 + 1), "%s: count %llu", u8[i], (unsigned long long)e->count);
        cr_assert_eq(e->status, STATUS_SUCCESS);
        cr_assert_str_eq(e->rules, "");
    }
    /* A different outcome is a new event, not a fold: a missing value. */
    cr_assert_eq(query(h, L"Missing"), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(query(h, L"Missing"), STATUS_OBJECT_NAME_NOT_FOUND);
    const pnpbox_event *e = query_event("Missing", from);
    cr_assert_not_null(e);
    cr_assert_eq(e->count, 2);
    cr_assert_eq((uint32_t)e->status, (uint32_t)STATUS_OBJECT_NAME_NOT_FOUND);
    ZwClose(h);
}
