/*
 * test_env.c: the kernel32 runtime: the per-thread last error, events and
 * waits, CloseHandle, the machine's environment (GetEnvironmentVariableW,
 * ExpandEnvironmentStringsW: SystemRoot, DriverData, ProgramData, TEMP ...)
 * and GetModuleFileNameW for a service run from the driver store.
 */
#include "tests/um/um.h"

#include <pthread.h>

TestSuite(um_env, .init = um_setup, .fini = um_teardown);

static void *other_thread(void *arg)
{
    (void)arg;
    DWORD *seen = malloc(sizeof *seen);
    *seen = GetLastError();
    SetLastError(42);
    return seen;
}

Test(um_env, last_error_is_per_thread)
{
    SetLastError(0xdeadbeef);
    cr_assert_eq(GetLastError(), 0xdeadbeef);
    pthread_t t;
    pthread_create(&t, NULL, other_thread, NULL);
    void *r;
    pthread_join(t, &r);
    cr_assert_eq(*(DWORD *)r, 0, "a new thread starts at 0");
    free(r);
    cr_assert_eq(GetLastError(), 0xdeadbeef, "another thread's SetLastError does not show here");
}

Test(um_env, events_and_waits)
{
    HANDLE e = CreateEventW(NULL, TRUE, FALSE, NULL);
    cr_assert_not_null(e);
    cr_assert_eq(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    cr_assert(SetEvent(e));
    cr_assert_eq(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    cr_assert_eq(WaitForSingleObject(e, INFINITE), WAIT_OBJECT_0, "manual reset: still signaled");
    cr_assert(ResetEvent(e));
    cr_assert_eq(WaitForSingleObject(e, 10), WAIT_TIMEOUT);
    /* An INFINITE wait nothing can satisfy: reported instead of hanging. */
    SetLastError(0);
    cr_assert_eq(WaitForSingleObject(e, INFINITE), WAIT_FAILED);
    cr_assert_eq(GetLastError(), ERROR_POSSIBLE_DEADLOCK);
    cr_assert(CloseHandle(e));
    SetLastError(0);
    cr_assert(!SetEvent(e));
    cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
    cr_assert_eq(WaitForSingleObject(e, 0), WAIT_FAILED);
    /* Auto-reset. */
    HANDLE a = CreateEventW(NULL, FALSE, TRUE, NULL);
    cr_assert_eq(WaitForSingleObject(a, 0), WAIT_OBJECT_0);
    cr_assert_eq(WaitForSingleObject(a, 0), WAIT_TIMEOUT, "a satisfied wait resets it");
    CloseHandle(a);
}

Test(um_env, named_events)
{
    SetLastError(0xdeadbeef);
    HANDLE a = CreateEventW(NULL, TRUE, FALSE, L"Global\\PnpboxEvent");
    cr_assert_not_null(a);
    cr_assert_eq(GetLastError(), ERROR_SUCCESS);
    HANDLE b = CreateEventW(NULL, TRUE, TRUE, L"PnpboxEvent");
    cr_assert_not_null(b);
    cr_assert_eq(GetLastError(), ERROR_ALREADY_EXISTS, "the same event, Global\\ or not");
    cr_assert(SetEvent(b));
    cr_assert_eq(WaitForSingleObject(a, 0), WAIT_OBJECT_0);
    cr_assert_null(CreateEventW(NULL, TRUE, FALSE, L"bad\\name"));
    cr_assert_eq(GetLastError(), ERROR_PATH_NOT_FOUND);
    CloseHandle(a);
    CloseHandle(b);
}

Test(um_env, close_handle_errors)
{
    SetLastError(0);
    cr_assert(!CloseHandle(NULL));
    cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(0);
    cr_assert(!CloseHandle(INVALID_HANDLE_VALUE));
    cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    cr_assert_not_null(scm);
    SetLastError(0);
    cr_assert(!CloseHandle((HANDLE)scm), "a service handle is no kernel object");
    cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
    cr_assert(CloseServiceHandle(scm));
    HKEY k = NULL;
    cr_assert_eq(RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE", 0, KEY_READ, &k), ERROR_SUCCESS);
    cr_assert(CloseHandle(k), "an HKEY is a kernel handle");
}

Test(um_env, get_environment_variable)
{
    WCHAR buf[128];
    SetLastError(0xdeadbeef);
    DWORD n = GetEnvironmentVariableW(L"SystemRoot", buf, 128);
    cr_assert_eq(n, 10);
    cr_assert(um_weq(buf, "C:\\Windows"));
    cr_assert_eq(GetLastError(), 0xdeadbeef, "success leaves the last error alone");
    cr_assert_eq(GetEnvironmentVariableW(L"driverdata", buf, 128), 38, "names compare case-insensitively");
    cr_assert(um_weq(buf, "C:\\Windows\\System32\\Drivers\\DriverData"));
    cr_assert_eq(GetEnvironmentVariableW(L"ProgramData", buf, 128), 14);
    cr_assert(um_weq(buf, "C:\\ProgramData"));
    cr_assert_eq(GetEnvironmentVariableW(L"SystemDrive", buf, 128), 2);
    cr_assert(um_weq(buf, "C:"));
    /* TEMP and TMP: the system's (REG_EXPAND_SZ %SystemRoot%\TEMP, expanded). */
    cr_assert_eq(GetEnvironmentVariableW(L"TEMP", buf, 128), 15);
    cr_assert(um_weq(buf, "C:\\Windows\\TEMP"));
    cr_assert_eq(GetEnvironmentVariableW(L"TMP", buf, 128), 15);
    /* Buffer boundaries: the length without NUL when it fits, the size needed otherwise. */
    memset(buf, UM_FILL, sizeof buf);
    cr_assert_eq(GetEnvironmentVariableW(L"SystemRoot", buf, 10), 11);
    cr_assert_eq(((BYTE *)buf)[0], UM_FILL, "too small: untouched");
    cr_assert_eq(GetEnvironmentVariableW(L"SystemRoot", buf, 11), 10);
    cr_assert_eq(buf[10], 0);
    cr_assert_eq(GetEnvironmentVariableW(L"SystemRoot", NULL, 0), 11);
    /* Unknown. */
    SetLastError(0);
    cr_assert_eq(GetEnvironmentVariableW(L"PNPBOX_NO_SUCH", buf, 128), 0);
    cr_assert_eq(GetLastError(), ERROR_ENVVAR_NOT_FOUND);
    SetLastError(0);
    cr_assert_eq(GetEnvironmentVariableW(L"", buf, 128), 0);
    cr_assert_eq(GetLastError(), ERROR_ENVVAR_NOT_FOUND);
}

Test(um_env, environment_follows_the_session_manager_key)
{
    regdb_key k = um_key("\\Registry\\Machine\\SYSTEM\\ControlSet001\\Control\\Session Manager\\Environment");
    um_set_sz(k, "CONTOSO_HOME", "C:\\ProgramData\\Contoso");
    WCHAR buf[64];
    cr_assert_eq(GetEnvironmentVariableW(L"CONTOSO_HOME", buf, 64), 22);
    cr_assert(um_weq(buf, "C:\\ProgramData\\Contoso"));
    /* The Environment key's Path is REG_EXPAND_SZ against SystemRoot. */
    WCHAR path[256];
    cr_assert(GetEnvironmentVariableW(L"Path", path, 256) > 0);
    cr_assert(!strncmp(um_u8s(path), "C:\\Windows\\system32;", 20), "got '%s'", um_u8s(path));
}

Test(um_env, expand_environment_strings)
{
    WCHAR buf[128];
    DWORD n = ExpandEnvironmentStringsW(L"%DriverData%\\Contoso\\Logs", buf, 128);
    cr_assert_eq(n, 52, "characters with the NUL");
    cr_assert(um_weq(buf, "C:\\Windows\\System32\\Drivers\\DriverData\\Contoso\\Logs"));
    /* Unknown names and stray '%' stay as written. */
    n = ExpandEnvironmentStringsW(L"%NOPE%x%SystemDrive%%%y%", buf, 128);
    cr_assert(um_weq(buf, "%NOPE%xC:%%y%"), "got '%s'", um_u8s(buf));
    cr_assert_eq(n, 14);
    /* Sizes: including the NUL; a buffer one short stays untouched. */
    memset(buf, UM_FILL, sizeof buf);
    cr_assert_eq(ExpandEnvironmentStringsW(L"%SystemRoot%", buf, 10), 11);
    cr_assert_eq(((BYTE *)buf)[0], UM_FILL);
    cr_assert_eq(ExpandEnvironmentStringsW(L"%SystemRoot%", buf, 11), 11);
    cr_assert(um_weq(buf, "C:\\Windows"));
    cr_assert_eq(ExpandEnvironmentStringsW(L"%SystemRoot%", NULL, 0), 11);
    cr_assert_eq(ExpandEnvironmentStringsW(L"", buf, 1), 1);
    cr_assert_eq(buf[0], 0);
    SetLastError(0);
    cr_assert_eq(ExpandEnvironmentStringsW(NULL, buf, 1), 0);
    cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER);
}

Test(um_env, module_file_name_of_a_service_in_the_driver_store)
{
    const char *img = "%SystemRoot%\\System32\\DriverStore\\FileRepository\\umsvc.inf_amd64_0123456789abcdef\\umsvc.exe";
    um_make_service("umsvc", SERVICE_WIN32_OWN_PROCESS, img, NULL);
    um_as_service("umsvc");
    WCHAR buf[MAX_PATH];
    const char *expect = "C:\\Windows\\System32\\DriverStore\\FileRepository\\umsvc.inf_amd64_0123456789abcdef\\umsvc.exe";
    DWORD n = GetModuleFileNameW(NULL, buf, MAX_PATH);
    cr_assert_eq(n, strlen(expect));
    cr_assert(um_weq(buf, expect), "got '%s'", um_u8s(buf));
    /* Too small: truncated with a NUL, nSize returned, ERROR_INSUFFICIENT_BUFFER. */
    memset(buf, UM_FILL, sizeof buf);
    SetLastError(0);
    cr_assert_eq(GetModuleFileNameW(NULL, buf, 10), 10);
    cr_assert_eq(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    cr_assert_eq(buf[9], 0);
    cr_assert(um_weq(buf, "C:\\Window"));
    cr_assert_eq(((BYTE *)buf)[20], UM_FILL);
    SetLastError(0);
    cr_assert_eq(GetModuleFileNameW(NULL, buf, 0), 0);
    cr_assert_eq(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    SetLastError(0);
    cr_assert_eq(GetModuleFileNameW((HMODULE)buf, buf, MAX_PATH), 0, "other modules are not emulated");
    cr_assert_eq(GetLastError(), ERROR_MOD_NOT_FOUND);
}

Test(um_env, module_file_name_quoted_image_path_with_arguments)
{
    um_make_service("qsvc", SERVICE_WIN32_SHARE_PROCESS, "\"C:\\Program Files\\Contoso\\svc.exe\" -k group", NULL);
    um_as_service("qsvc");
    WCHAR buf[MAX_PATH];
    cr_assert_eq(GetModuleFileNameW(NULL, buf, MAX_PATH), 32);
    cr_assert(um_weq(buf, "C:\\Program Files\\Contoso\\svc.exe"), "got '%s'", um_u8s(buf));
}

Test(um_env, module_file_name_of_an_app)
{
    pnpbox_component *c = um_as_app("contosoapp");
    WCHAR buf[MAX_PATH];
    SetLastError(0);
    cr_assert_eq(GetModuleFileNameW(NULL, buf, MAX_PATH), 0, "no image known");
    cr_assert_eq(GetLastError(), ERROR_MOD_NOT_FOUND);
    cr_assert_eq(pnpbox_um_set_image(c, "C:\\Program Files\\Contoso\\app.exe"), 0);
    cr_assert_eq(GetModuleFileNameW(NULL, buf, MAX_PATH), 32);
    cr_assert(um_weq(buf, "C:\\Program Files\\Contoso\\app.exe"));
    cr_assert_str_eq(c->image_dir, "\\Program Files\\Contoso");
    cr_assert_eq(pnpbox_um_set_image(c, "\\\\server\\share\\app.exe"), -EINVAL);
    cr_assert_eq(pnpbox_um_set_image(c, NULL), 0);
    cr_assert_eq(GetModuleFileNameW(NULL, buf, MAX_PATH), 0);
}
