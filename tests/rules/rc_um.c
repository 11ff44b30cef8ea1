/*
 * rc_um.c: user-mode snippets of the corpus: the Win32 service RcSvc and
 * the application rcpanel.exe of the rcdrv package keeping settings,
 * reading configuration, logging, reaching other packages' state and
 * finding device interfaces, once the pre-isolation way and once the
 * isolated way (u_twin_*).  Also RcSvc's registration with the SCM when
 * the world is made (rc_um_world_init).
 */
#include <windows.h>
#include <cfgmgr32.h>

#include "tests/rules/rc.h"
#include "tests/rules/rc_guids.h"

#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- RcSvc's identity */

static SERVICE_STATUS_HANDLE svc_status;

static DWORD WINAPI svc_handler(DWORD control, DWORD type, LPVOID data, LPVOID ctx)
{
    (void)type;
    (void)data;
    (void)ctx;
    return control == SERVICE_CONTROL_INTERROGATE ? NO_ERROR : ERROR_CALL_NOT_IMPLEMENTED;
}

void *rc_svc_status(void) { return svc_status; }

/* What ServiceMain does first: register, report running, make the state it keeps. */
void rc_um_world_init(void)
{
    svc_status = RegisterServiceCtrlHandlerExW(L"RcSvc", svc_handler, NULL);
    if (!svc_status)
        return;
    SERVICE_STATUS s = {SERVICE_WIN32_OWN_PROCESS, SERVICE_RUNNING, SERVICE_ACCEPT_STOP, NO_ERROR, 0, 0, 0};
    SetServiceStatus(svc_status, &s);
    WCHAR dir[MAX_PATH];
    DWORD need = 0;
    GetServiceDirectory(svc_status, ServiceDirectoryPersistentState, dir, MAX_PATH, &need);
    HKEY k;
    if (GetServiceRegistryStateKey(svc_status, ServiceRegistryStatePersistent, KEY_READ, &k) == ERROR_SUCCESS)
        RegCloseKey(k);
}

/* ---------------------------------------------------------------- small helpers */

static void text_of(const WCHAR *w, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && w[i] && o + 1 < cap; i++)
        out[o++] = w[i] < 0x80 ? (char)w[i] : '?';
    out[o] = 0;
}

/* "Name=value" of a REG_SZ read through hk (optionally a subkey of it) into out. */
static LSTATUS get_sz(HKEY hk, LPCWSTR sub, LPCWSTR name, char *out, size_t cap)
{
    WCHAR buf[256];
    DWORD cb = sizeof buf;
    LSTATUS r = RegGetValueW(hk, sub, name, RRF_RT_REG_SZ, NULL, buf, &cb);
    if (r != ERROR_SUCCESS)
        return r;
    size_t o = 0;
    for (LPCWSTR c = name; *c && o + 2 < cap; c++)
        out[o++] = (char)*c;
    out[o++] = '=';
    text_of(buf, cb / sizeof(WCHAR), out + o, cap - o);
    return r;
}

/* Append a name to a directory path (both UTF-16). */
static void join(WCHAR *out, size_t cap, const WCHAR *dir, const WCHAR *name)
{
    size_t o = 0;
    for (; *dir && o + 1 < cap; dir++)
        out[o++] = *dir;
    if (o && out[o - 1] != L'\\' && o + 1 < cap)
        out[o++] = L'\\';
    for (; *name && o + 1 < cap; name++)
        out[o++] = *name;
    out[o] = 0;
}

/* The directory of this program's image. */
static int module_dir(WCHAR *out, DWORD cap)
{
    DWORD n = GetModuleFileNameW(NULL, out, cap);
    if (!n || n >= cap)
        return 0;
    while (n && out[n - 1] != L'\\')
        n--;
    if (!n)
        return 0;
    out[n - 1] = 0;
    return 1;
}

/* The call under test is CreateFileW for reading; then read the file into out. */
static void open_and_read(rc_ctx *x, LPCWSTR path)
{
    RC_BEFORE(x);
    HANDLE f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    RC_AFTER(x, f == INVALID_HANDLE_VALUE ? GetLastError() : ERROR_SUCCESS);
    if (f == INVALID_HANDLE_VALUE)
        return;
    DWORD got = 0;
    if (ReadFile(f, x->out, sizeof x->out - 1, &got, NULL)) {
        x->out[got] = 0;
        x->done = 1;
    }
    CloseHandle(f);
}

/* The call under test is CreateFileW(CREATE_ALWAYS); then write text. */
static void create_and_write(rc_ctx *x, LPCWSTR path, const char *text)
{
    RC_BEFORE(x);
    HANDLE f = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    /* CREATE_ALWAYS succeeds with ERROR_ALREADY_EXISTS as a note when it replaced a file. */
    RC_AFTER(x, f == INVALID_HANDLE_VALUE ? GetLastError() : ERROR_SUCCESS);
    if (f == INVALID_HANDLE_VALUE)
        return;
    DWORD put = 0;
    x->done = WriteFile(f, text, (DWORD)strlen(text), &put, NULL) && put == strlen(text);
    CloseHandle(f);
}

/* A directory, made when missing. */
static int make_dir(LPCWSTR path)
{
    return CreateDirectoryW(path, NULL) || GetLastError() == ERROR_ALREADY_EXISTS;
}

/* ---------------------------------------------------------------- REG-ABSOLUTE-PATH */

/* RcSvc keeps its last run time under HKLM\SOFTWARE\Contoso\RcSvc. */
RC_SNIPPET(u_abs_regcreatekey_hklm)
{
    HKEY k;
    RC_BEFORE(x);
    LSTATUS r = RegCreateKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Contoso\\RcSvc", 0, NULL, REG_OPTION_NON_VOLATILE,
                                KEY_SET_VALUE, NULL, &k, NULL);
    RC_AFTER(x, r);
    if (r != ERROR_SUCCESS)
        return;
    DWORD runs = 1;
    x->done = RegSetValueExW(k, L"Runs", 0, REG_DWORD, (const BYTE *)&runs, sizeof runs) == ERROR_SUCCESS;
    RegCloseKey(k);
}

/* Isolated: the service's persistent state key. */
RC_SNIPPET(u_twin_service_state_key)
{
    HKEY k;
    RC_BEFORE(x);
    DWORD r = GetServiceRegistryStateKey(rc_svc_status(), ServiceRegistryStatePersistent, KEY_SET_VALUE, &k);
    RC_AFTER(x, r);
    if (r != ERROR_SUCCESS)
        return;
    DWORD runs = 1;
    x->done = RegSetValueExW(k, L"Runs", 0, REG_DWORD, (const BYTE *)&runs, sizeof runs) == ERROR_SUCCESS;
    RegCloseKey(k);
}

/* ---------------------------------------------------------------- REG-FOREIGN-HANDLE */

/* RcSvc opens its service key by name and reads Parameters below it. */
RC_SNIPPET(u_foreign_hklm_subkey_value)
{
    HKEY k;
    LSTATUS r = RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Services\\RcSvc", 0, KEY_READ, &k);
    RC_PRE(x, r);
    if (r != ERROR_SUCCESS)
        return;
    RC_BEFORE(x);
    r = get_sz(k, L"Parameters", L"Greeting", x->out, sizeof x->out);
    RC_AFTER(x, r);
    RegCloseKey(k);
    x->done = r == ERROR_SUCCESS;
}

/* Isolated: GetServiceRegistryStateKey(ServiceRegistryStateParameters). */
RC_SNIPPET(u_twin_service_parameters)
{
    HKEY k;
    DWORD r = GetServiceRegistryStateKey(rc_svc_status(), ServiceRegistryStateParameters, KEY_READ, &k);
    if (r != ERROR_SUCCESS) {
        RC_AFTER(x, r);
        return;
    }
    RC_BEFORE(x);
    r = (DWORD)get_sz(k, NULL, L"Greeting", x->out, sizeof x->out);
    RC_AFTER(x, r);
    RegCloseKey(k);
    x->done = r == ERROR_SUCCESS;
}

/* ---------------------------------------------------------------- REG-CROSS-COMPONENT */

/* RcSvc reads the software key of rcother's device (another package's driver). */
RC_SNIPPET(u_cross_other_software_key)
{
    DEVINST dn = 0;
    CONFIGRET cr = CM_Locate_DevNodeW(&dn, (DEVINSTID_W)L"ROOT\\RCOTHER\\0000", CM_LOCATE_DEVNODE_NORMAL);
    if (cr != CR_SUCCESS)
        return;
    HKEY k;
    RC_BEFORE(x);
    cr = CM_Open_DevNode_Key(dn, KEY_READ, 0, RegDisposition_OpenExisting, &k, CM_REGISTRY_SOFTWARE);
    RC_AFTER(x, cr);
    if (cr != CR_SUCCESS)
        return;
    x->done = get_sz(k, NULL, L"DriverVersion", x->out, sizeof x->out) == ERROR_SUCCESS;
    RegCloseKey(k);
}

/* Isolated: rcother's SharedState, which it publishes for other components. */
RC_SNIPPET(u_twin_other_shared_state)
{
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    SC_HANDLE svc = scm ? OpenServiceW(scm, L"rcother", SERVICE_QUERY_STATUS) : NULL;
    if (!svc) {
        RC_AFTER(x, GetLastError());
        if (scm)
            CloseServiceHandle(scm);
        return;
    }
    HKEY k;
    RC_BEFORE(x);
    DWORD r = GetSharedServiceRegistryStateKey(svc, ServiceSharedRegistryPersistentState, KEY_READ, &k);
    RC_AFTER(x, r);
    if (r == ERROR_SUCCESS) {
        x->done = get_sz(k, NULL, L"Published", x->out, sizeof x->out) == ERROR_SUCCESS;
        RegCloseKey(k);
    }
    CloseServiceHandle(svc);
    CloseServiceHandle(scm);
}

/* ---------------------------------------------------------------- FILE-ABSOLUTE-PATH */

/* RcSvc reads its configuration from a fixed path in System32. */
RC_SNIPPET(u_fabs_system32_config) { open_and_read(x, L"C:\\Windows\\System32\\rcsvc.cfg"); }

/* Isolated: the configuration shipped in the package, next to the service's image. */
RC_SNIPPET(u_twin_module_dir_config)
{
    WCHAR dir[MAX_PATH], path[MAX_PATH];
    if (!module_dir(dir, MAX_PATH)) {
        RC_AFTER(x, GetLastError());
        return;
    }
    join(path, MAX_PATH, dir, L"rcsvc.cfg");
    open_and_read(x, path);
}

/* ---------------------------------------------------------------- FILE-OUTSIDE-STATE */

/* RcSvc logs into the Windows directory. */
RC_SNIPPET(u_outside_windows_log) { create_and_write(x, L"C:\\Windows\\rcsvc.log", "started\n"); }

/* Isolated: the log in GetServiceDirectory's directory. */
RC_SNIPPET(u_twin_service_dir_log)
{
    WCHAR dir[MAX_PATH], path[MAX_PATH];
    DWORD need = 0;
    DWORD r = GetServiceDirectory(rc_svc_status(), ServiceDirectoryPersistentState, dir, MAX_PATH, &need);
    if (r != ERROR_SUCCESS) {
        RC_AFTER(x, r);
        return;
    }
    join(path, MAX_PATH, dir, L"rcsvc.log");
    create_and_write(x, path, "started\n");
}

/* ---------------------------------------------------------------- FILE-CROSS-COMPONENT */

/* RcSvc reads rcother's private state file by its path. */
RC_SNIPPET(u_fcross_other_data_by_name) { open_and_read(x, L"C:\\Windows\\ServiceState\\rcother\\Data\\state.bin"); }

/* Isolated: rcother's SharedData, found with GetSharedServiceDirectory. */
RC_SNIPPET(u_twin_other_shared_directory)
{
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    SC_HANDLE svc = scm ? OpenServiceW(scm, L"rcother", SERVICE_QUERY_STATUS) : NULL;
    if (!svc) {
        RC_AFTER(x, GetLastError());
        if (scm)
            CloseServiceHandle(scm);
        return;
    }
    WCHAR dir[MAX_PATH], path[MAX_PATH];
    DWORD need = 0;
    DWORD r = GetSharedServiceDirectory(svc, ServiceSharedDirectoryPersistentState, dir, MAX_PATH, &need);
    CloseServiceHandle(svc);
    CloseServiceHandle(scm);
    if (r != ERROR_SUCCESS) {
        RC_AFTER(x, r);
        return;
    }
    join(path, MAX_PATH, dir, L"state.bin");
    open_and_read(x, path);
}

/* ---------------------------------------------------------------- FILE-DRIVERDATA-ROOT */

/* RcSvc drops its log at the root of ProgramData. */
RC_SNIPPET(u_ddroot_programdata_root) { create_and_write(x, L"C:\\ProgramData\\rcsvc.log", "started\n"); }

/* Isolated: %ProgramData%\<Company>\<Product>\. */
RC_SNIPPET(u_twin_programdata_company_dir)
{
    if (!make_dir(L"C:\\ProgramData\\Contoso") || !make_dir(L"C:\\ProgramData\\Contoso\\RcSvc")) {
        RC_AFTER(x, GetLastError());
        return;
    }
    create_and_write(x, L"C:\\ProgramData\\Contoso\\RcSvc\\rcsvc.log", "started\n");
}

/* RcSvc writes its data file at the root of %DriverData%. */
RC_SNIPPET(u_ddroot_env_driverdata_root)
{
    WCHAR path[MAX_PATH];
    DWORD n = ExpandEnvironmentStringsW(L"%DriverData%\\rcsvc.dat", path, MAX_PATH);
    if (!n || n > MAX_PATH)
        return;
    create_and_write(x, path, "data");
}

/* Isolated: %DriverData%\<Company>\<Product>\. */
RC_SNIPPET(u_twin_env_driverdata_company_dir)
{
    WCHAR company[MAX_PATH], product[MAX_PATH], path[MAX_PATH];
    if (!ExpandEnvironmentStringsW(L"%DriverData%\\Contoso", company, MAX_PATH) ||
        !ExpandEnvironmentStringsW(L"%DriverData%\\Contoso\\RcSvc", product, MAX_PATH) ||
        !ExpandEnvironmentStringsW(L"%DriverData%\\Contoso\\RcSvc\\rcsvc.dat", path, MAX_PATH))
        return;
    if (!make_dir(company) || !make_dir(product)) {
        RC_AFTER(x, GetLastError());
        return;
    }
    create_and_write(x, path, "data");
}

/* ---------------------------------------------------------------- IFACE-NO-NOTIFICATION */

/* rcpanel.exe lists rcother's interfaces once and never hears of new ones. */
static void list_once(rc_ctx *x)
{
    ULONG len = 0;
    CONFIGRET cr = CM_Get_Device_Interface_List_SizeW(&len, (LPGUID)&GUID_RC_OTHER_IFACE, NULL,
                                                      CM_GET_DEVICE_INTERFACE_LIST_PRESENT);
    if (cr != CR_SUCCESS || !len || len > 1024) {
        RC_AFTER(x, cr);
        return;
    }
    WCHAR list[1024];
    RC_BEFORE(x);
    cr = CM_Get_Device_Interface_ListW((LPGUID)&GUID_RC_OTHER_IFACE, NULL, list, len,
                                       CM_GET_DEVICE_INTERFACE_LIST_PRESENT);
    RC_AFTER(x, cr);
    if (cr != CR_SUCCESS)
        return;
    text_of(list, len, x->out, sizeof x->out);
    x->done = 1;
}

RC_SNIPPET(u_nonotify_cm_list) { list_once(x); }

static DWORD CALLBACK on_interface(HCMNOTIFICATION h, PVOID ctx, CM_NOTIFY_ACTION action, PCM_NOTIFY_EVENT_DATA data,
                                   DWORD size)
{
    (void)h;
    (void)ctx;
    (void)action;
    (void)data;
    (void)size;
    return ERROR_SUCCESS;
}

/* Isolated: CM_Register_Notification for the class first, then the list. */
RC_SNIPPET(u_twin_cm_register_then_list)
{
    CM_NOTIFY_FILTER f;
    memset(&f, 0, sizeof f);
    f.cbSize = sizeof f;
    f.FilterType = CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE;
    f.u.DeviceInterface.ClassGuid = GUID_RC_OTHER_IFACE;
    HCMNOTIFICATION h = NULL;
    CONFIGRET cr = CM_Register_Notification(&f, x, on_interface, &h);
    if (cr != CR_SUCCESS) {
        RC_AFTER(x, cr);
        return;
    }
    list_once(x);
    CM_Unregister_Notification(h);
}

/* ---------------------------------------------------------------- UPDATE-STALE-PATH */

/*
 * rcpanel.exe remembers where its configuration is when it first runs;
 * the package is updated and the application restarted from the new
 * store folder, but the remembered path still names the old one.
 */
RC_SNIPPET(u_stale_app_saved_path)
{
    WCHAR dir[MAX_PATH], saved[MAX_PATH];
    if (!module_dir(dir, MAX_PATH))
        return;
    join(saved, MAX_PATH, dir, L"rcpanel.cfg");
    rc_world_update(1);
    open_and_read(x, saved);
}

/* Isolated: ask for the image's directory when the file is needed. */
RC_SNIPPET(u_twin_app_module_path)
{
    WCHAR dir[MAX_PATH], path[MAX_PATH];
    rc_world_update(1);
    if (!module_dir(dir, MAX_PATH)) {
        RC_AFTER(x, GetLastError());
        return;
    }
    join(path, MAX_PATH, dir, L"rcpanel.cfg");
    open_and_read(x, path);
}

/* rcpanel.exe keeps running from the old folder after the update and reads its files there. */
RC_SNIPPET(u_stale_app_not_restarted)
{
    WCHAR dir[MAX_PATH], path[MAX_PATH];
    rc_world_update(0);
    if (!module_dir(dir, MAX_PATH))
        return;
    join(path, MAX_PATH, dir, L"rcpanel.cfg");
    open_and_read(x, path);
}

/* ---------------------------------------------------------------- company directories */

/* What an isolated service does on its first run: make its company directories under
 * %ProgramData% and %DriverData%. */
RC_SNIPPET(u_make_company_dirs)
{
    WCHAR dd[MAX_PATH];
    if (!ExpandEnvironmentStringsW(L"%DriverData%\\Adatum", dd, MAX_PATH))
        return;
    RC_BEFORE(x);
    BOOL ok = CreateDirectoryW(L"C:\\ProgramData\\Adatum", NULL);
    RC_AFTER(x, ok ? ERROR_SUCCESS : GetLastError());
    x->done = ok && CreateDirectoryW(dd, NULL);
}

/* ---------------------------------------------------------------- a clean call, for after a fail-fast stop */

/* Read-only under HKLM\HARDWARE: the one absolute registry access isolation allows. */
RC_SNIPPET(u_probe_hardware_key)
{
    HKEY k = NULL;
    RC_BEFORE(x);
    LSTATUS r = RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"HARDWARE\\DESCRIPTION", 0, KEY_READ, &k);
    RC_AFTER(x, r);
    if (r != ERROR_SUCCESS)
        return;
    RegCloseKey(k);
    x->done = 1;
}
