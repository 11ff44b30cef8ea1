/*
 * test_reg_tree.c: deleting keys and trees (RegDeleteKeyW, RegDeleteKeyExW,
 * RegDeleteTreeW), what a deleted key's handle answers, and change
 * notifications with an event (RegNotifyChangeKeyValue): the behaviour of
 * Wine's advapi32 tests run on Windows.
 */
#include "tests/um/um.h"

static HKEY key;

static void setup(void)
{
    um_setup();
    cr_assert_eq(RegCreateKeyExW(HKEY_CURRENT_USER, L"Software\\Wine\\Test", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &key,
                                 NULL),
                 ERROR_SUCCESS);
}

static void teardown(void)
{
    RegCloseKey(key);
    um_teardown();
}

TestSuite(um_regtree, .init = setup, .fini = teardown);

static HKEY mk(HKEY root, const WCHAR *name)
{
    HKEY k = NULL;
    cr_assert_eq(RegCreateKeyExW(root, name, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL), ERROR_SUCCESS);
    return k;
}

Test(um_regtree, delete_key)
{
    cr_assert_eq(RegDeleteKeyW(key, NULL), ERROR_INVALID_PARAMETER);
    cr_assert_eq(RegDeleteKeyW(NULL, L"x"), ERROR_INVALID_HANDLE);
    HKEY k = mk(key, L"deleteme");
    cr_assert_eq(RegDeleteKeyW(k, L""), ERROR_SUCCESS, "\"\" deletes the key itself");
    RegCloseKey(k);
    cr_assert_eq(RegOpenKeyExW(key, L"deleteme", 0, KEY_READ, &k), ERROR_FILE_NOT_FOUND);
    cr_assert_eq(RegDeleteKeyW(key, L"deleteme"), ERROR_FILE_NOT_FOUND);
    /* A key with subkeys cannot be deleted (NtDeleteKey: STATUS_CANNOT_DELETE). */
    HKEY p = mk(key, L"parent"), c = mk(p, L"child");
    cr_assert_eq(RegDeleteKeyW(key, L"parent"), ERROR_ACCESS_DENIED);
    cr_assert_eq(RegDeleteKeyExW(key, L"parent\\child", KEY_WOW64_64KEY, 0), ERROR_SUCCESS);
    cr_assert_eq(RegDeleteKeyW(key, L"parent"), ERROR_SUCCESS);
    RegCloseKey(c);
    RegCloseKey(p);
    /* A hive root cannot go. */
    cr_assert_eq(RegDeleteKeyW(HKEY_LOCAL_MACHINE, L""), ERROR_ACCESS_DENIED);
}

Test(um_regtree, a_deleted_key_answers_key_deleted)
{
    HKEY k = mk(key, L"doomed"), h2 = NULL;
    HKEY other = NULL;
    cr_assert_eq(RegOpenKeyExW(key, L"doomed", 0, KEY_ALL_ACCESS, &other), ERROR_SUCCESS);
    cr_assert_eq(RegDeleteKeyW(other, L""), ERROR_SUCCESS);
    WCHAR name[20];
    DWORD len = 20, type = 0;
    cr_assert_eq(RegEnumValueW(k, 0, name, &len, NULL, &type, NULL, NULL), ERROR_KEY_DELETED);
    len = 20;
    cr_assert_eq(RegEnumKeyExW(k, 0, name, &len, NULL, NULL, NULL, NULL), ERROR_KEY_DELETED);
    len = sizeof name;
    cr_assert_eq(RegQueryValueExW(k, L"test", NULL, &type, (BYTE *)name, &len), ERROR_KEY_DELETED);
    static const WCHAR v[] = L"value";
    cr_assert_eq(RegSetValueExW(k, L"test", 0, REG_SZ, (const BYTE *)v, sizeof v), ERROR_KEY_DELETED);
    cr_assert_eq(RegOpenKeyExW(k, L"test", 0, KEY_READ, &h2), ERROR_KEY_DELETED);
    cr_assert_eq(RegCreateKeyExW(k, L"test", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &h2, NULL), ERROR_KEY_DELETED);
    RegCloseKey(other);
    RegCloseKey(k);
}

Test(um_regtree, delete_tree)
{
    HKEY sub = mk(key, L"subkey"), sub2 = mk(sub, L"subkey2");
    static const WCHAR d[] = L"data", d2[] = L"data2";
    cr_assert_eq(RegSetValueExW(sub, NULL, 0, REG_SZ, (const BYTE *)d, sizeof d), ERROR_SUCCESS);
    cr_assert_eq(RegSetValueExW(sub2, NULL, 0, REG_SZ, (const BYTE *)d2, sizeof d2), ERROR_SUCCESS);
    RegCloseKey(sub2);
    /* A named subkey goes with everything below it. */
    cr_assert_eq(RegDeleteTreeW(sub, L"subkey2"), ERROR_SUCCESS);
    HKEY t;
    cr_assert_eq(RegOpenKeyExW(sub, L"subkey2", 0, KEY_READ, &t), ERROR_FILE_NOT_FOUND);
    cr_assert_eq(RegQueryValueExW(sub, NULL, NULL, NULL, NULL, NULL), ERROR_SUCCESS, "the parent's value stays");
    /* A path. */
    RegCloseKey(mk(sub, L"subkey2"));
    cr_assert_eq(RegDeleteTreeW(key, L"subkey\\subkey2"), ERROR_SUCCESS);
    cr_assert_eq(RegOpenKeyExW(sub, L"subkey2", 0, KEY_READ, &t), ERROR_FILE_NOT_FOUND);
    /* No subkey: the contents go, the key stays. */
    HKEY a = mk(sub, L"subkey2"), b = mk(a, L"deeper");
    RegCloseKey(b);
    RegCloseKey(a);
    RegCloseKey(mk(sub, L"subkey3"));
    cr_assert_eq(RegSetValueExW(sub, L"value", 0, REG_SZ, (const BYTE *)d2, sizeof d2), ERROR_SUCCESS);
    cr_assert_eq(RegDeleteTreeW(sub, NULL), ERROR_SUCCESS);
    cr_assert_eq(RegOpenKeyExW(key, L"subkey", 0, KEY_READ, &t), ERROR_SUCCESS, "the key itself stays");
    RegCloseKey(t);
    DWORD n = UM_DEAD, v = UM_DEAD;
    cr_assert_eq(RegQueryInfoKeyW(sub, NULL, NULL, NULL, &n, NULL, NULL, &v, NULL, NULL, NULL, NULL), ERROR_SUCCESS);
    cr_assert_eq(n, 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(RegDeleteTreeW(sub, L""), ERROR_SUCCESS);
    cr_assert_eq(RegDeleteTreeW(key, L"not-here"), ERROR_FILE_NOT_FOUND);
    cr_assert_eq(RegDeleteTreeW(NULL, NULL), ERROR_INVALID_HANDLE);
    RegCloseKey(sub);
}

Test(um_regtree, delete_tree_is_judged_per_key)
{
    um_make_service("umsvc", SERVICE_WIN32_OWN_PROCESS, NULL, NULL);
    um_key("\\Registry\\Machine\\SYSTEM\\ControlSet001\\Services\\other\\State\\a\\b");
    um_as_service("umsvc");
    pnpbox_set_mode(m, PNPBOX_MODE_ENFORCE);
    HKEY svcs = NULL;
    /* Under enforce, the absolute open is already refused: nothing of the other service's state goes. */
    cr_assert_eq(RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Services", 0, KEY_ALL_ACCESS, &svcs),
                 ERROR_ACCESS_DENIED);
    pnpbox_set_mode(m, PNPBOX_MODE_REPORT);
    cr_assert_eq(RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Services", 0, KEY_ALL_ACCESS, &svcs),
                 ERROR_SUCCESS);
    size_t from = um_nevents();
    cr_assert_eq(RegDeleteTreeW(svcs, L"other\\State"), ERROR_SUCCESS);
    const pnpbox_event *e = um_event("RegDeleteTreeW", "other\\State\\a\\b", from);
    cr_assert_not_null(e, "each key deleted is recorded");
    cr_assert(um_has_rule(e, "REG-CROSS-COMPONENT"), "rules '%s'", e->rules);
    cr_assert(um_has_rule(e, "REG-FOREIGN-HANDLE"), "rules '%s'", e->rules);
    RegCloseKey(svcs);
}

Test(um_regtree, notify_with_an_event)
{
    HANDLE ev = CreateEventW(NULL, FALSE, TRUE, NULL);
    cr_assert_not_null(ev);
    HKEY k = mk(key, L"TestKey"), sub, subsub;
    cr_assert_eq(RegNotifyChangeKeyValue(k, TRUE, REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET, ev, TRUE),
                 ERROR_SUCCESS);
    cr_assert_eq(WaitForSingleObject(ev, 0), WAIT_TIMEOUT, "arming resets the event");
    sub = mk(k, L"SubKey");
    cr_assert_eq(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    /* Deeper keys and values, watched with the subtree. */
    cr_assert_eq(RegNotifyChangeKeyValue(k, TRUE, REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET, ev, TRUE),
                 ERROR_SUCCESS);
    cr_assert_eq(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
    subsub = mk(sub, L"SubKey");
    cr_assert_eq(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    cr_assert_eq(RegNotifyChangeKeyValue(k, TRUE, REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET, ev, TRUE),
                 ERROR_SUCCESS);
    static const WCHAR val[] = L"SubSubKeyValue";
    cr_assert_eq(RegSetValueExW(subsub, NULL, 0, REG_SZ, (const BYTE *)val, sizeof val), ERROR_SUCCESS);
    cr_assert_eq(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    /* A fresh handle watching without the subtree misses deeper values. */
    RegCloseKey(k);
    cr_assert_eq(RegOpenKeyExW(key, L"TestKey", 0, KEY_ALL_ACCESS, &k), ERROR_SUCCESS);
    cr_assert_eq(RegNotifyChangeKeyValue(k, FALSE, REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET, ev, TRUE),
                 ERROR_SUCCESS);
    cr_assert_eq(RegSetValueExW(subsub, NULL, 0, REG_SZ, (const BYTE *)val, sizeof val), ERROR_SUCCESS);
    cr_assert_eq(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
    /* Closing the watched handle completes the notification. */
    RegCloseKey(k);
    cr_assert_eq(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    RegCloseKey(subsub);
    RegCloseKey(sub);
    /* REG_NOTIFY_THREAD_AGNOSTIC is accepted. */
    cr_assert_eq(RegOpenKeyExW(key, L"TestKey", 0, KEY_ALL_ACCESS, &k), ERROR_SUCCESS);
    cr_assert_eq(RegNotifyChangeKeyValue(k, TRUE, REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_THREAD_AGNOSTIC, ev, TRUE),
                 ERROR_SUCCESS);
    RegCloseKey(mk(k, L"Another"));
    cr_assert_eq(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    RegCloseKey(k);
    CloseHandle(ev);
}

Test(um_regtree, notify_argument_errors)
{
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    cr_assert_eq(RegNotifyChangeKeyValue(key, TRUE, REG_NOTIFY_CHANGE_NAME, NULL, TRUE), ERROR_INVALID_PARAMETER);
    cr_assert_eq(RegNotifyChangeKeyValue(key, TRUE, 0x100, ev, TRUE), ERROR_INVALID_PARAMETER);
    cr_assert_eq(RegNotifyChangeKeyValue(NULL, TRUE, REG_NOTIFY_CHANGE_NAME, ev, TRUE), ERROR_INVALID_HANDLE);
    cr_assert_eq(RegNotifyChangeKeyValue(key, TRUE, REG_NOTIFY_CHANGE_NAME, key, TRUE), ERROR_INVALID_HANDLE,
                 "a key is no event");
    HKEY r = NULL;
    cr_assert_eq(RegOpenKeyExW(key, NULL, 0, KEY_QUERY_VALUE, &r), ERROR_SUCCESS);
    cr_assert_eq(RegNotifyChangeKeyValue(r, TRUE, REG_NOTIFY_CHANGE_NAME, ev, TRUE), ERROR_ACCESS_DENIED,
                 "KEY_NOTIFY is needed");
    RegCloseKey(r);
    CloseHandle(ev);
}

Test(um_regtree, synchronous_notify_that_nothing_completes_is_a_deadlock)
{
    cr_assert_eq(RegNotifyChangeKeyValue(key, TRUE, REG_NOTIFY_CHANGE_NAME, NULL, FALSE), ERROR_POSSIBLE_DEADLOCK);
    int logged = 0;
    for (size_t i = 0; i < pnpbox_log_count(m); i++)
        logged |= strstr(pnpbox_log_get(m, i), "RegNotifyChangeKeyValue: deadlock") != NULL;
    cr_assert(logged);
}
