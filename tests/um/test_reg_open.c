/*
 * test_reg_open.c: advapi32 key opens and creates (RegOpenKeyExW,
 * RegCreateKeyExW, RegCloseKey) and the predefined keys: the Win32 error
 * of every argument check (Wine's advapi32 registry tests, run on Windows,
 * are the facts), what stays untouched on failure, and the provenance and
 * audit of each open (a key below a predefined key is an absolute access).
 */
#include "tests/um/um.h"

#include "emu/reg_core.h"

TestSuite(um_reg, .init = um_setup, .fini = um_teardown);

#define TESTKEY L"SOFTWARE\\PnpboxUmTest"
#define DEAD_HKEY ((HKEY)(uintptr_t)0xdeadbeef)

static HKEY test_key(void)
{
    HKEY k = NULL;
    DWORD disp = UM_DEAD;
    cr_assert_eq(RegCreateKeyExW(HKEY_LOCAL_MACHINE, TESTKEY, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, &disp),
                 ERROR_SUCCESS);
    cr_assert_not_null(k);
    return k;
}

Test(um_reg, predefined_key_with_no_subkey_is_handed_back)
{
    HKEY preds[] = {HKEY_LOCAL_MACHINE, HKEY_USERS, HKEY_CURRENT_USER, HKEY_CLASSES_ROOT, HKEY_CURRENT_CONFIG};
    for (size_t i = 0; i < sizeof preds / sizeof *preds; i++) {
        HKEY k = DEAD_HKEY;
        cr_assert_eq(RegOpenKeyExW(preds[i], NULL, 0, KEY_READ, &k), ERROR_SUCCESS);
        cr_assert_eq(k, preds[i]);
        k = DEAD_HKEY;
        cr_assert_eq(RegOpenKeyExW(preds[i], L"", 0, KEY_READ, &k), ERROR_SUCCESS);
        cr_assert_eq(k, preds[i]);
        cr_assert_eq(RegCloseKey(preds[i]), ERROR_SUCCESS, "predefined keys are never closed");
    }
    /* Only the low 32 bits name a predefined key. */
    HKEY k = NULL;
    HKEY high = (HKEY)((uintptr_t)0xdeadbeef00000000ull | 0x80000002u);
    cr_assert_eq(RegOpenKeyExW(high, L"SOFTWARE", 0, KEY_READ, &k), ERROR_SUCCESS);
    cr_assert_not_null(k);
    cr_assert_eq(RegCloseKey(k), ERROR_SUCCESS);
}

Test(um_reg, open_argument_errors)
{
    cr_assert_eq(RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE", 0, KEY_READ, NULL), ERROR_INVALID_PARAMETER);
    HKEY k = DEAD_HKEY;
    cr_assert_eq(RegOpenKeyExW(NULL, L"SOFTWARE", 0, KEY_READ, &k), ERROR_INVALID_HANDLE);
    cr_assert_eq(k, DEAD_HKEY, "a NULL key leaves the result untouched");
    k = DEAD_HKEY;
    cr_assert_eq(RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE", 0x40000, KEY_READ, &k), ERROR_INVALID_PARAMETER);
    cr_assert_null(k);
    k = DEAD_HKEY;
    cr_assert_eq(RegOpenKeyExW(HKEY_PERFORMANCE_DATA, L"Global", 0, KEY_READ, &k), ERROR_INVALID_HANDLE);
    cr_assert_null(k);
    k = DEAD_HKEY;
    cr_assert_eq(RegOpenKeyExW((HKEY)(uintptr_t)0x1234, L"x", 0, KEY_READ, &k), ERROR_INVALID_HANDLE);
    cr_assert_null(k);
    k = DEAD_HKEY;
    cr_assert_eq(RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE", 0, 0, &k), ERROR_ACCESS_DENIED);
    cr_assert_null(k);
}

Test(um_reg, open_missing_key_gives_file_not_found_and_null)
{
    HKEY k = DEAD_HKEY;
    cr_assert_eq(RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Nonexistent", 0, KEY_READ, &k), ERROR_FILE_NOT_FOUND);
    cr_assert_null(k);
    cr_assert(!um_key_exists("\\Registry\\Machine\\SOFTWARE\\Nonexistent"), "an open never creates");
}

Test(um_reg, leading_backslash)
{
    HKEY k = DEAD_HKEY;
    cr_assert_eq(RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"\\SOFTWARE", 0, KEY_READ, &k), ERROR_BAD_PATHNAME);
    cr_assert_null(k);
    /* HKEY_CLASSES_ROOT skips one leading '\' (Windows NT and later). */
    um_key("\\Registry\\Machine\\SOFTWARE\\Classes\\clsid");
    cr_assert_eq(RegOpenKeyExW(HKEY_CLASSES_ROOT, L"\\clsid", 0, KEY_QUERY_VALUE, &k), ERROR_SUCCESS);
    RegCloseKey(k);
    HKEY t = test_key();
    cr_assert_eq(RegOpenKeyExW(t, L"\\x", 0, KEY_READ, &k), ERROR_BAD_PATHNAME);
    cr_assert_eq(RegCreateKeyExW(t, L"\\Subkey3", 0, NULL, 0, KEY_NOTIFY, NULL, &k, NULL), ERROR_BAD_PATHNAME);
    cr_assert_null(k);
    RegCloseKey(t);
}

Test(um_reg, trailing_backslashes_are_ignored)
{
    HKEY t = test_key(), k = NULL;
    cr_assert_eq(RegCreateKeyExW(t, L"Subkey4\\\\", 0, NULL, 0, KEY_NOTIFY, NULL, &k, NULL), ERROR_SUCCESS);
    cr_assert(um_key_exists("\\Registry\\Machine\\SOFTWARE\\PnpboxUmTest\\Subkey4"));
    RegCloseKey(k);
    cr_assert_eq(RegOpenKeyExW(HKEY_LOCAL_MACHINE, TESTKEY L"\\\\", 0, KEY_READ, &k), ERROR_SUCCESS);
    RegCloseKey(k);
    RegCloseKey(t);
}

Test(um_reg, empty_subkey_of_a_handle_is_a_new_handle)
{
    HKEY t = test_key(), k = NULL;
    cr_assert_eq(RegOpenKeyExW(t, L"", 0, KEY_QUERY_VALUE, &k), ERROR_SUCCESS);
    cr_assert_neq(k, t);
    cr_assert_eq(RegCloseKey(k), ERROR_SUCCESS);
    cr_assert_eq(RegOpenKeyExW(t, NULL, 0, KEY_QUERY_VALUE, &k), ERROR_SUCCESS);
    cr_assert_neq(k, t);
    cr_assert_eq(RegCloseKey(k), ERROR_SUCCESS);
    RegCloseKey(t);
}

Test(um_reg, close_errors)
{
    HKEY t = test_key();
    cr_assert_eq(RegCloseKey(t), ERROR_SUCCESS);
    cr_assert_eq(RegCloseKey(t), ERROR_INVALID_HANDLE);
    cr_assert_eq(RegCloseKey(NULL), ERROR_INVALID_HANDLE);
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    cr_assert_eq(RegCloseKey((HKEY)ev), ERROR_INVALID_HANDLE, "not a key");
    CloseHandle(ev);
}

Test(um_reg, predefined_keys_map_to_their_hives)
{
    HKEY k = NULL;
    cr_assert_eq(RegCreateKeyExW(HKEY_CURRENT_USER, L"Software\\Wine\\Test", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k,
                                 NULL),
                 ERROR_SUCCESS);
    RegCloseKey(k);
    cr_assert(um_key_exists("\\Registry\\User\\S-1-5-18\\Software\\Wine\\Test"), "LocalSystem's hive is HKCU");
    cr_assert_eq(RegCreateKeyExW(HKEY_CLASSES_ROOT, L"PnpboxCls", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL),
                 ERROR_SUCCESS);
    RegCloseKey(k);
    cr_assert(um_key_exists("\\Registry\\Machine\\SOFTWARE\\Classes\\PnpboxCls"));
    cr_assert_eq(RegOpenKeyExW(HKEY_USERS, L".DEFAULT", 0, KEY_READ, &k), ERROR_SUCCESS);
    RegCloseKey(k);
    /* HKEY_CURRENT_CONFIG: the current hardware profile (a link to Hardware Profiles\0001). */
    cr_assert_eq(RegOpenKeyExW(HKEY_CURRENT_CONFIG, L"System\\CurrentControlSet\\Enum", 0, KEY_READ, &k),
                 ERROR_SUCCESS);
    RegCloseKey(k);
}

Test(um_reg, create_makes_every_missing_component)
{
    HKEY t = test_key(), k = NULL;
    size_t from = um_nevents();
    DWORD disp = UM_DEAD;
    cr_assert_eq(RegCreateKeyExW(t, L"a\\b\\c", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, &disp), ERROR_SUCCESS);
    cr_assert_eq(disp, REG_CREATED_NEW_KEY);
    cr_assert(um_key_exists("\\Registry\\Machine\\SOFTWARE\\PnpboxUmTest\\a\\b\\c"));
    /* One recorded create per component, as advapi32 walks the path. */
    const pnpbox_event *e1 = um_event("RegCreateKeyExW", "PnpboxUmTest\\a", from);
    cr_assert_not_null(e1);
    cr_assert_not_null(um_event("RegCreateKeyExW", "PnpboxUmTest\\a\\b\\c", from));
    RegCloseKey(k);
    disp = UM_DEAD;
    cr_assert_eq(RegCreateKeyExW(t, L"a\\b\\c", 0, NULL, 0, KEY_READ, NULL, &k, &disp), ERROR_SUCCESS);
    cr_assert_eq(disp, REG_OPENED_EXISTING_KEY);
    RegCloseKey(k);
    RegCloseKey(t);
}

Test(um_reg, create_argument_errors)
{
    HKEY k = DEAD_HKEY;
    cr_assert_eq(RegCreateKeyExW(HKEY_LOCAL_MACHINE, TESTKEY, 0, NULL, 0, KEY_ALL_ACCESS, NULL, NULL, NULL),
                 ERROR_BADKEY);
    cr_assert_eq(RegCreateKeyExW(HKEY_LOCAL_MACHINE, TESTKEY, 1, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL),
                 ERROR_INVALID_PARAMETER);
    cr_assert_eq(k, DEAD_HKEY);
    cr_assert_eq(RegCreateKeyExW(NULL, TESTKEY, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL), ERROR_INVALID_HANDLE);
    cr_assert_eq(k, DEAD_HKEY);
    cr_assert_eq(RegCreateKeyExW(HKEY_LOCAL_MACHINE, TESTKEY, 0, NULL, 0x100, KEY_ALL_ACCESS, NULL, &k, NULL),
                 ERROR_INVALID_PARAMETER);
    cr_assert_null(k);
    cr_assert(!um_key_exists("\\Registry\\Machine\\SOFTWARE\\PnpboxUmTest"));
}

Test(um_reg, volatile_keys)
{
    HKEY t = test_key(), v = NULL, k = DEAD_HKEY;
    cr_assert_eq(RegCreateKeyExW(t, L"Volatile", 0, NULL, REG_OPTION_VOLATILE, KEY_ALL_ACCESS, NULL, &v, NULL),
                 ERROR_SUCCESS);
    cr_assert_eq(RegCreateKeyExW(v, L"Subkey2", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL),
                 ERROR_CHILD_MUST_BE_VOLATILE);
    cr_assert_null(k);
    cr_assert_eq(RegCreateKeyExW(v, L"Subkey2", 0, NULL, REG_OPTION_VOLATILE, KEY_ALL_ACCESS, NULL, &k, NULL),
                 ERROR_SUCCESS);
    RegCloseKey(k);
    /* An existing key opens whatever the options say. */
    cr_assert_eq(RegCreateKeyExW(v, L"Subkey2", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL), ERROR_SUCCESS);
    RegCloseKey(k);
    RegCloseKey(v);
    RegCloseKey(t);
}

Test(um_reg, link_keys)
{
    HKEY t = test_key(), link = NULL, k = NULL;
    cr_assert_eq(RegCreateKeyExW(t, L"link", 0, NULL, REG_OPTION_CREATE_LINK, KEY_ALL_ACCESS, NULL, &link, NULL),
                 ERROR_SUCCESS);
    static const WCHAR target[] = L"\\Registry\\Machine\\SOFTWARE\\PnpboxUmTest\\target";
    cr_assert_eq(RegSetValueExW(link, L"SymbolicLinkValue", 0, REG_SZ, (const BYTE *)target, sizeof target),
                 ERROR_ACCESS_DENIED, "only REG_LINK");
    cr_assert_eq(RegSetValueExW(link, L"SymbolicLinkValue", 0, REG_LINK, (const BYTE *)target, sizeof target - 2),
                 ERROR_SUCCESS);
    cr_assert_eq(RegOpenKeyExW(t, L"link", 0, KEY_READ, &k), ERROR_FILE_NOT_FOUND, "the target does not exist yet");
    cr_assert_eq(RegCreateKeyExW(t, L"target", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL), ERROR_SUCCESS);
    DWORD dw = 0xbeef;
    cr_assert_eq(RegSetValueExW(k, L"value", 0, REG_DWORD, (const BYTE *)&dw, 4), ERROR_SUCCESS);
    RegCloseKey(k);
    cr_assert_eq(RegOpenKeyExW(t, L"link", 0, KEY_READ, &k), ERROR_SUCCESS);
    DWORD got = 0, len = 4;
    cr_assert_eq(RegQueryValueExW(k, L"value", NULL, NULL, (BYTE *)&got, &len), ERROR_SUCCESS);
    cr_assert_eq(got, 0xbeef);
    RegCloseKey(k);
    cr_assert_eq(RegOpenKeyExW(t, L"link", REG_OPTION_OPEN_LINK, KEY_ALL_ACCESS, &k), ERROR_SUCCESS);
    len = 0;
    cr_assert_eq(RegQueryValueExW(k, L"SymbolicLinkValue", NULL, NULL, NULL, &len), ERROR_SUCCESS);
    cr_assert_eq(len, sizeof target - 2);
    RegCloseKey(k);
    cr_assert_eq(RegCreateKeyExW(t, L"link", 0, NULL, REG_OPTION_CREATE_LINK, KEY_ALL_ACCESS, NULL, &k, NULL),
                 ERROR_ALREADY_EXISTS);
    RegCloseKey(link);
    RegCloseKey(t);
}

Test(um_reg, granted_access_is_checked)
{
    HKEY t = test_key(), r = NULL, c = NULL;
    cr_assert_eq(RegOpenKeyExW(t, NULL, 0, KEY_READ, &r), ERROR_SUCCESS);
    DWORD v = 1;
    cr_assert_eq(RegSetValueExW(r, L"x", 0, REG_DWORD, (const BYTE *)&v, 4), ERROR_ACCESS_DENIED);
    HKEY n = NULL;
    cr_assert_eq(RegOpenKeyExW(t, NULL, 0, KEY_NOTIFY, &n), ERROR_SUCCESS);
    DWORD len = 4;
    cr_assert_eq(RegQueryValueExW(n, L"x", NULL, NULL, (BYTE *)&v, &len), ERROR_ACCESS_DENIED);
    /* The parent's access does not matter for a create below it (Wine's test_reg_create_key). */
    cr_assert_eq(RegCreateKeyExW(n, L"Subkey2", 0, NULL, 0, KEY_SET_VALUE, NULL, &c, NULL), ERROR_SUCCESS);
    RegCloseKey(c);
    RegCloseKey(n);
    RegCloseKey(r);
    RegCloseKey(t);
}

Test(um_reg, kernel_handles_are_not_hkeys)
{
    regdb_key k = um_key("\\Registry\\Machine\\SOFTWARE\\PnpboxUmTest");
    emu_prov p;
    memset(&p, 0, sizeof p);
    p.api = "absolute";
    void *kh = NULL;
    cr_assert_eq(reg_core_handle_new(m, k, KEY_ALL_ACCESS, &p, EMU_HF_KERNEL, &kh), 0);
    DWORD len = 0;
    cr_assert_eq(RegQueryValueExW((HKEY)kh, L"x", NULL, NULL, NULL, &len), ERROR_INVALID_HANDLE);
    cr_assert_eq(RegCloseKey((HKEY)kh), ERROR_INVALID_HANDLE);
    emu_handle_close(m, kh);
}

Test(um_reg, absolute_open_is_recorded_and_judged)
{
    um_make_service("umsvc", SERVICE_WIN32_OWN_PROCESS, NULL, "Setting=1");
    um_as_service("umsvc");
    size_t from = um_nevents();
    HKEY k = NULL;
    cr_assert_eq(RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Services\\umsvc\\Parameters", 0,
                               KEY_READ, &k),
                 ERROR_SUCCESS);
    const pnpbox_event *e = um_event("RegOpenKeyExW", NULL, from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->path, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\umsvc\\Parameters");
    cr_assert_str_eq(e->component, "umsvc");
    cr_assert_eq(e->component_kind, PNPBOX_COMP_WIN32_SERVICE);
    cr_assert_str_eq(e->origin, "absolute");
    cr_assert(um_has_rule(e, "REG-ABSOLUTE-PATH"), "rules: '%s'", e->rules);
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_REPORTED);
    /* A value read through the absolute handle: a foreign handle. */
    from = um_nevents();
    WCHAR buf[8];
    DWORD len = sizeof buf;
    cr_assert_eq(RegQueryValueExW(k, L"Setting", NULL, NULL, (BYTE *)buf, &len), ERROR_SUCCESS);
    e = um_event("RegQueryValueExW", NULL, from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->value, "Setting");
    cr_assert(um_has_rule(e, "REG-FOREIGN-HANDLE"), "rules: '%s'", e->rules);
    RegCloseKey(k);
    /* HARDWARE may be read by absolute path. */
    from = um_nevents();
    cr_assert_eq(RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0", 0,
                               KEY_READ, &k),
                 ERROR_SUCCESS);
    e = um_event("RegOpenKeyExW", "CentralProcessor", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->rules, "");
    RegCloseKey(k);
    /* A value of a predefined key itself is an absolute access too. */
    from = um_nevents();
    len = sizeof buf;
    cr_assert_eq(RegQueryValueExW(HKEY_LOCAL_MACHINE, L"nothing", NULL, NULL, (BYTE *)buf, &len),
                 ERROR_FILE_NOT_FOUND);
    e = um_event("RegQueryValueExW", NULL, from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->path, "\\REGISTRY\\MACHINE");
    cr_assert(um_has_rule(e, "REG-ABSOLUTE-PATH"));
}

Test(um_reg, harness_is_recorded_not_judged)
{
    size_t from = um_nevents();
    HKEY k = test_key();
    const pnpbox_event *e = um_event("RegCreateKeyExW", "PnpboxUmTest", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->component, "harness");
    cr_assert_str_eq(e->rules, "");
    RegCloseKey(k);
}

Test(um_reg, enforce_mode_denies_and_changes_nothing)
{
    um_make_service("umsvc", SERVICE_WIN32_OWN_PROCESS, NULL, NULL);
    pnpbox_set_mode(m, PNPBOX_MODE_ENFORCE);
    um_as_service("umsvc");
    HKEY k = DEAD_HKEY;
    DWORD disp = UM_DEAD;
    cr_assert_eq(RegCreateKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Contoso\\Settings", 0, NULL, 0, KEY_ALL_ACCESS, NULL,
                                 &k, &disp),
                 ERROR_ACCESS_DENIED);
    cr_assert_null(k);
    cr_assert_eq(disp, UM_DEAD);
    cr_assert(!um_key_exists("\\Registry\\Machine\\SOFTWARE\\Contoso"), "nothing was created");
    const pnpbox_event *e = um_event("RegCreateKeyExW", "Contoso", 0);
    cr_assert_not_null(e);
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_DENIED);
    cr_assert_eq((uint32_t)e->status, (uint32_t)STATUS_ACCESS_DENIED);
    /* A value write to HKLM itself is refused too, and the value stays absent. */
    DWORD v = 1;
    cr_assert_eq(RegSetValueExW(HKEY_LOCAL_MACHINE, L"Foo", 0, REG_DWORD, (const BYTE *)&v, 4), ERROR_ACCESS_DENIED);
    um_as_harness();
    DWORD len = 4;
    cr_assert_eq(RegQueryValueExW(HKEY_LOCAL_MACHINE, L"Foo", NULL, NULL, (BYTE *)&v, &len), ERROR_FILE_NOT_FOUND);
}
