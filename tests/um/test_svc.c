/*
 * test_svc.c: the service control manager and the service isolation calls:
 * OpenSCManagerW / OpenServiceW / CloseServiceHandle / QueryServiceStatus
 * (Wine's service tests, run on Windows, for the errors),
 * RegisterServiceCtrlHandlerExW giving the program the service's identity,
 * SetServiceStatus, GetServiceRegistryStateKey (Parameters read-only,
 * Persistent created lazily), GetSharedServiceRegistryStateKey,
 * GetServiceDirectory and GetSharedServiceDirectory (the
 * ERROR_INSUFFICIENT_BUFFER sizing contract), a service reading its
 * Parameters and writing its state, and shared state read by a second,
 * privileged component.
 */
#include "tests/um/um.h"

#include "pnpbox/store.h"

#include <sys/stat.h>

static void setup(void)
{
    um_setup();
    /* As an INF AddService with ServiceType 0x10 installs it, Parameters from HKR,Parameters AddReg lines. */
    um_make_service("contososvc", SERVICE_WIN32_OWN_PROCESS,
                    "%SystemRoot%\\System32\\DriverStore\\FileRepository\\contoso.inf_amd64_0123456789abcdef\\svc.exe",
                    "LogLevel=3;Mode=fast");
    um_make_service("contosodrv", SERVICE_KERNEL_DRIVER,
                    "\\SystemRoot\\System32\\DriverStore\\FileRepository\\contoso.inf_amd64_0123456789abcdef\\drv.sys",
                    NULL);
}

TestSuite(um_svc, .init = setup, .fini = um_teardown);

static DWORD WINAPI handler(DWORD ctl, DWORD type, LPVOID data, LPVOID ctx)
{
    (void)ctl;
    (void)type;
    (void)data;
    (void)ctx;
    return NO_ERROR;
}

static SERVICE_STATUS_HANDLE register_svc(const WCHAR *name)
{
    SERVICE_STATUS_HANDLE h = RegisterServiceCtrlHandlerExW(name, handler, NULL);
    cr_assert_not_null(h, "RegisterServiceCtrlHandlerExW: %u", (unsigned)GetLastError());
    return h;
}

Test(um_svc, open_scm)
{
    SetLastError(0xdeadbeef);
    SC_HANDLE s = OpenSCManagerW(NULL, NULL, 0);
    cr_assert_not_null(s);
    cr_assert_eq(GetLastError(), ERROR_SUCCESS);
    cr_assert(CloseServiceHandle(s));
    cr_assert_null(OpenSCManagerW(NULL, L"DoesNotExist", SC_MANAGER_CONNECT));
    cr_assert_eq(GetLastError(), ERROR_INVALID_NAME);
    cr_assert_null(OpenSCManagerW(NULL, SERVICES_FAILED_DATABASEW, SC_MANAGER_CONNECT));
    cr_assert_eq(GetLastError(), ERROR_DATABASE_DOES_NOT_EXIST);
    cr_assert_null(OpenSCManagerW(L"DOESNOTEXIST", SERVICES_ACTIVE_DATABASEW, SC_MANAGER_CONNECT));
    cr_assert_eq(GetLastError(), RPC_S_SERVER_UNAVAILABLE);
    s = OpenSCManagerW(L"", SERVICES_ACTIVE_DATABASEW, SC_MANAGER_CONNECT);
    cr_assert_not_null(s);
    CloseServiceHandle(s);
    s = OpenSCManagerW(L"\\\\pnpbox", NULL, SC_MANAGER_CONNECT);
    cr_assert_not_null(s, "the machine's own name");
    CloseServiceHandle(s);
    SetLastError(0);
    cr_assert(!CloseServiceHandle(NULL));
    cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
}

Test(um_svc, open_service)
{
    SetLastError(0);
    cr_assert_null(OpenServiceW(NULL, NULL, 0));
    cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    cr_assert_null(OpenServiceW(scm, NULL, GENERIC_READ));
    cr_assert_eq(GetLastError(), ERROR_INVALID_ADDRESS);
    cr_assert_null(OpenServiceW(scm, L"deadbeef", GENERIC_READ));
    cr_assert_eq(GetLastError(), ERROR_SERVICE_DOES_NOT_EXIST);
    cr_assert_null(OpenServiceW(scm, L"", GENERIC_READ));
    cr_assert_eq(GetLastError(), ERROR_SERVICE_DOES_NOT_EXIST);
    SetLastError(0xdeadbeef);
    SC_HANDLE s = OpenServiceW(scm, L"CONTOSOSVC", GENERIC_READ);
    cr_assert_not_null(s, "names compare case-insensitively");
    cr_assert_eq(GetLastError(), ERROR_SUCCESS);
    SERVICE_STATUS st;
    memset(&st, UM_FILL, sizeof st);
    cr_assert(QueryServiceStatus(s, &st));
    cr_assert_eq(st.dwServiceType, SERVICE_WIN32_OWN_PROCESS);
    cr_assert_eq(st.dwCurrentState, SERVICE_STOPPED);
    cr_assert(CloseServiceHandle(s));
    /* Drivers are in the database too. */
    s = OpenServiceW(scm, L"contosodrv", SERVICE_QUERY_CONFIG);
    cr_assert_not_null(s);
    SetLastError(0);
    cr_assert(!QueryServiceStatus(s, &st), "SERVICE_QUERY_STATUS was not asked for");
    cr_assert_eq(GetLastError(), ERROR_ACCESS_DENIED);
    CloseServiceHandle(s);
    CloseServiceHandle(scm);
    /* A service handle is no SCM handle. */
    scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    s = OpenServiceW(scm, L"contososvc", GENERIC_READ);
    cr_assert_null(OpenServiceW(s, L"contososvc", GENERIC_READ));
    cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
    CloseServiceHandle(s);
    CloseServiceHandle(scm);
}

Test(um_svc, register_gives_the_program_the_service_identity)
{
    cr_assert_eq(pnpbox_component_kind_of(pnpbox_current_component()), PNPBOX_COMP_HARNESS);
    SetLastError(0);
    cr_assert_null(RegisterServiceCtrlHandlerExW(NULL, handler, NULL));
    cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    cr_assert_null(RegisterServiceCtrlHandlerExW(L"contososvc", NULL, NULL));
    cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    cr_assert_null(RegisterServiceCtrlHandlerExW(L"nosuchsvc", handler, NULL));
    cr_assert_eq(GetLastError(), ERROR_SERVICE_DOES_NOT_EXIST);
    cr_assert_null(RegisterServiceCtrlHandlerExW(L"contosodrv", handler, NULL));
    cr_assert_eq(GetLastError(), ERROR_SERVICE_NOT_IN_EXE, "a kernel driver is no process's service");
    cr_assert_eq(pnpbox_component_kind_of(pnpbox_current_component()), PNPBOX_COMP_HARNESS);
    SERVICE_STATUS_HANDLE h = register_svc(L"ContosoSvc");
    pnpbox_component *c = pnpbox_current_component();
    cr_assert_eq(pnpbox_component_kind_of(c), PNPBOX_COMP_WIN32_SERVICE);
    cr_assert_str_eq(pnpbox_component_name(c), "contososvc", "the service key's spelling");
    const pnpbox_event *e = um_event("RegisterServiceCtrlHandlerExW", "contososvc", 0);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->component, "contososvc");
    /* The SCM sees the status the service sets. */
    SERVICE_STATUS st = {SERVICE_WIN32_OWN_PROCESS, SERVICE_RUNNING, SERVICE_ACCEPT_STOP, 0, 0, 0, 0};
    cr_assert(SetServiceStatus(h, &st));
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    SC_HANDLE s = OpenServiceW(scm, L"contososvc", SERVICE_QUERY_STATUS);
    SERVICE_STATUS q;
    cr_assert(QueryServiceStatus(s, &q));
    cr_assert_eq(q.dwCurrentState, SERVICE_RUNNING);
    cr_assert_eq(q.dwControlsAccepted, SERVICE_ACCEPT_STOP);
    st.dwCurrentState = 9;
    SetLastError(0);
    cr_assert(!SetServiceStatus(h, &st));
    cr_assert_eq(GetLastError(), ERROR_INVALID_DATA);
    SetLastError(0);
    cr_assert(!SetServiceStatus(NULL, &st));
    cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
    CloseServiceHandle(s);
    CloseServiceHandle(scm);
}

Test(um_svc, dispatcher_outside_a_service_process)
{
    SERVICE_TABLE_ENTRYW table[] = {{(LPWSTR)L"contososvc", NULL}, {NULL, NULL}};
    SetLastError(0);
    cr_assert(!StartServiceCtrlDispatcherW(table));
    cr_assert_eq(GetLastError(), ERROR_FAILED_SERVICE_CONTROLLER_CONNECT,
                 "a program not started as a service, as from a console");
}

Test(um_svc, registry_state_keys)
{
    SERVICE_STATUS_HANDLE h = register_svc(L"contososvc");
    HKEY k = (HKEY)(uintptr_t)UM_DEAD;
    cr_assert_eq(GetServiceRegistryStateKey(h, ServiceRegistryStateParameters, KEY_READ, NULL),
                 ERROR_INVALID_PARAMETER);
    cr_assert_eq(GetServiceRegistryStateKey(h, MaxServiceRegistryStateType, KEY_READ, &k), ERROR_INVALID_PARAMETER);
    cr_assert_null(k);
    cr_assert_eq(GetServiceRegistryStateKey(NULL, ServiceRegistryStateParameters, KEY_READ, &k), ERROR_INVALID_HANDLE);
    /* Parameters: what the INF provisioned, read-only. */
    cr_assert_eq(GetServiceRegistryStateKey(h, ServiceRegistryStateParameters, KEY_READ | KEY_SET_VALUE, &k),
                 ERROR_ACCESS_DENIED);
    cr_assert_null(k);
    size_t from = um_nevents();
    cr_assert_eq(GetServiceRegistryStateKey(h, ServiceRegistryStateParameters, KEY_READ, &k), ERROR_SUCCESS);
    WCHAR v[16];
    DWORD len = sizeof v;
    cr_assert_eq(RegQueryValueExW(k, L"LogLevel", NULL, NULL, (BYTE *)v, &len), ERROR_SUCCESS);
    cr_assert(um_weq(v, "3"));
    DWORD one = 1;
    cr_assert_eq(RegSetValueExW(k, L"LogLevel", 0, REG_DWORD, (const BYTE *)&one, 4), ERROR_ACCESS_DENIED,
                 "no write access was granted");
    const pnpbox_event *e = um_event("GetServiceRegistryStateKey", "Parameters", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->origin, "GetServiceRegistryStateKey/ServiceRegistryStateParameters");
    cr_assert_str_eq(e->rules, "");
    e = um_event("RegQueryValueExW", "Parameters", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->origin, "GetServiceRegistryStateKey/ServiceRegistryStateParameters");
    cr_assert_str_eq(e->rules, "", "an approved handle: no finding");
    RegCloseKey(k);
    /* Persistent: created on first use, the service's to write. */
    cr_assert(!um_key_exists("\\Registry\\Machine\\SYSTEM\\ControlSet001\\Services\\contososvc\\State"));
    cr_assert_eq(GetServiceRegistryStateKey(h, ServiceRegistryStatePersistent, KEY_ALL_ACCESS, &k), ERROR_SUCCESS);
    cr_assert(um_key_exists("\\Registry\\Machine\\SYSTEM\\ControlSet001\\Services\\contososvc\\State"));
    from = um_nevents();
    cr_assert_eq(RegSetValueExW(k, L"Counter", 0, REG_DWORD, (const BYTE *)&one, 4), ERROR_SUCCESS);
    HKEY sub = NULL;
    cr_assert_eq(RegCreateKeyExW(k, L"Cache", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &sub, NULL), ERROR_SUCCESS);
    e = um_event("RegSetValueExW", "contososvc\\State", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->rules, "");
    e = um_event("RegCreateKeyExW", "State\\Cache", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->origin, "GetServiceRegistryStateKey/ServiceRegistryStatePersistent", "inherited");
    cr_assert_str_eq(e->rules, "");
    RegCloseKey(sub);
    RegCloseKey(k);
    /* A service without Parameters: not created. */
    um_make_service("bare", SERVICE_WIN32_SHARE_PROCESS, NULL, NULL);
    SERVICE_STATUS_HANDLE b = register_svc(L"bare");
    cr_assert_eq(GetServiceRegistryStateKey(b, ServiceRegistryStateParameters, KEY_READ, &k), ERROR_FILE_NOT_FOUND);
    cr_assert(!um_key_exists("\\Registry\\Machine\\SYSTEM\\ControlSet001\\Services\\bare\\Parameters"));
}

Test(um_svc, service_directory_sizing_contract)
{
    SERVICE_STATUS_HANDLE h = register_svc(L"contososvc");
    const char *expect = "C:\\Windows\\ServiceState\\contososvc\\Data";
    DWORD need = strlen(expect) + 1;
    WCHAR buf[MAX_PATH];
    DWORD req = UM_DEAD;
    cr_assert_eq(GetServiceDirectory(h, ServiceDirectoryPersistentState, NULL, 0, &req), ERROR_INSUFFICIENT_BUFFER);
    cr_assert_eq(req, need);
    memset(buf, UM_FILL, sizeof buf);
    req = UM_DEAD;
    cr_assert_eq(GetServiceDirectory(h, ServiceDirectoryPersistentState, buf, need - 1, &req),
                 ERROR_INSUFFICIENT_BUFFER);
    cr_assert_eq(req, need);
    cr_assert_eq(((BYTE *)buf)[0], UM_FILL);
    cr_assert(!um_host_exists("Windows/ServiceState/contososvc/Data"), "nothing created on a sizing call");
    req = UM_DEAD;
    cr_assert_eq(GetServiceDirectory(h, ServiceDirectoryPersistentState, buf, need, &req), ERROR_SUCCESS);
    cr_assert_eq(req, need);
    cr_assert(um_weq(buf, expect), "got '%s'", um_u8s(buf));
    cr_assert(um_host_exists("Windows/ServiceState/contososvc/Data"), "created");
    cr_assert_eq(GetServiceDirectory(h, ServiceDirectoryTypeMax, buf, MAX_PATH, &req), ERROR_INVALID_PARAMETER);
    cr_assert_eq(GetServiceDirectory(h, ServiceDirectoryPersistentState, buf, MAX_PATH, NULL),
                 ERROR_INVALID_PARAMETER);
    cr_assert_eq(GetServiceDirectory(NULL, ServiceDirectoryPersistentState, buf, MAX_PATH, &req),
                 ERROR_INVALID_HANDLE);
    const pnpbox_event *e = um_event("GetServiceDirectory", "contososvc\\Data", 0);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->origin, "GetServiceDirectory/ServiceDirectoryPersistentState");
}

/* The scenario: a service reads its Parameters and writes its persistent state and directory. */
Test(um_svc, a_service_reads_parameters_and_writes_its_state)
{
    SERVICE_STATUS_HANDLE h = register_svc(L"contososvc");
    size_t from = um_nevents();
    HKEY params = NULL, state = NULL;
    cr_assert_eq(GetServiceRegistryStateKey(h, ServiceRegistryStateParameters, KEY_READ, &params), ERROR_SUCCESS);
    WCHAR mode[16];
    DWORD len = sizeof mode;
    cr_assert_eq(RegGetValueW(params, NULL, L"Mode", RRF_RT_REG_SZ, NULL, mode, &len), ERROR_SUCCESS);
    cr_assert(um_weq(mode, "fast"));
    cr_assert_eq(GetServiceRegistryStateKey(h, ServiceRegistryStatePersistent, KEY_READ | KEY_WRITE, &state),
                 ERROR_SUCCESS);
    static const WCHAR seen[] = L"fast";
    cr_assert_eq(RegSetValueExW(state, L"LastMode", 0, REG_SZ, (const BYTE *)seen, sizeof seen), ERROR_SUCCESS);
    WCHAR dir[MAX_PATH], file[MAX_PATH];
    DWORD req;
    cr_assert_eq(GetServiceDirectory(h, ServiceDirectoryPersistentState, dir, MAX_PATH, &req), ERROR_SUCCESS);
    size_t n = req - 1;
    memcpy(file, dir, n * 2);
    static const WCHAR tail[] = L"\\cache.bin";
    memcpy(file + n, tail, sizeof tail);
    HANDLE f = CreateFileW(file, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    cr_assert_neq(f, INVALID_HANDLE_VALUE, "error %u", (unsigned)GetLastError());
    DWORD done;
    cr_assert(WriteFile(f, "state", 5, &done, NULL));
    cr_assert(CloseHandle(f));
    char *s = um_host_read("Windows/ServiceState/contososvc/Data/cache.bin");
    cr_assert_str_eq(s, "state");
    free(s);
    RegCloseKey(state);
    RegCloseKey(params);
    /* Nothing the service did broke a rule; the calls are its own. */
    for (size_t i = from; i < um_nevents(); i++) {
        const pnpbox_event *e = pnpbox_event_get(m, i);
        cr_assert_str_eq(e->rules, "", "%s %s: %s", e->api, e->path, e->rules);
        /* The system creates the directory's parents for the call (as the I/O manager does). */
        if (strcmp(e->component, "installer"))
            cr_assert_str_eq(e->component, "contososvc", "%s %s", e->api, e->path);
        else
            cr_assert_str_eq(e->api, "GetServiceDirectory", "%s %s", e->api, e->path);
    }
}

/* The scenario: state a service shares, read by a second, privileged component. */
Test(um_svc, shared_state_read_by_a_second_component)
{
    SERVICE_STATUS_HANDLE h = register_svc(L"contososvc");
    (void)h;
    /* The service publishes through its own service handle. */
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    SC_HANDLE s = OpenServiceW(scm, L"contososvc", SERVICE_QUERY_STATUS);
    HKEY k = (HKEY)(uintptr_t)UM_DEAD;
    cr_assert_eq(GetSharedServiceRegistryStateKey(s, 1, KEY_ALL_ACCESS, &k), ERROR_INVALID_PARAMETER);
    cr_assert_null(k);
    cr_assert_eq(GetSharedServiceRegistryStateKey(NULL, ServiceSharedRegistryPersistentState, KEY_ALL_ACCESS, &k),
                 ERROR_INVALID_HANDLE);
    cr_assert_eq(GetSharedServiceRegistryStateKey(s, ServiceSharedRegistryPersistentState, KEY_ALL_ACCESS, NULL),
                 ERROR_INVALID_PARAMETER);
    cr_assert_eq(GetSharedServiceRegistryStateKey(s, ServiceSharedRegistryPersistentState, KEY_ALL_ACCESS, &k),
                 ERROR_SUCCESS);
    static const WCHAR ver[] = L"2.1";
    cr_assert_eq(RegSetValueExW(k, L"Version", 0, REG_SZ, (const BYTE *)ver, sizeof ver), ERROR_SUCCESS);
    RegCloseKey(k);
    WCHAR dir[MAX_PATH];
    DWORD req = UM_DEAD;
    cr_assert_eq(GetSharedServiceDirectory(s, ServiceSharedDirectoryPersistentState, NULL, 0, &req),
                 ERROR_INSUFFICIENT_BUFFER);
    cr_assert_eq(req, strlen("C:\\Windows\\ServiceState\\contososvc\\SharedData") + 1);
    cr_assert_eq(GetSharedServiceDirectory(s, ServiceSharedDirectoryPersistentState, dir, MAX_PATH, &req),
                 ERROR_SUCCESS);
    cr_assert(um_weq(dir, "C:\\Windows\\ServiceState\\contososvc\\SharedData"));
    cr_assert_eq(GetSharedServiceDirectory(s, 1, dir, MAX_PATH, &req), ERROR_INVALID_PARAMETER);
    cr_assert_eq(GetSharedServiceDirectory(s, ServiceSharedDirectoryPersistentState, dir, MAX_PATH, NULL),
                 ERROR_INVALID_PARAMETER);
    HANDLE f = CreateFileW(L"C:\\Windows\\ServiceState\\contososvc\\SharedData\\status.txt", GENERIC_WRITE, 0, NULL,
                           CREATE_ALWAYS, 0, NULL);
    cr_assert_neq(f, INVALID_HANDLE_VALUE);
    DWORD done;
    cr_assert(WriteFile(f, "ok", 2, &done, NULL));
    CloseHandle(f);
    CloseServiceHandle(s);
    CloseServiceHandle(scm);

    /* A second, privileged component (an application) reads it. */
    um_as_app("contosoui");
    size_t from = um_nevents();
    scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    s = OpenServiceW(scm, L"contososvc", SERVICE_QUERY_STATUS);
    cr_assert_eq(GetSharedServiceRegistryStateKey(s, ServiceSharedRegistryPersistentState, KEY_READ, &k),
                 ERROR_SUCCESS);
    WCHAR v[8];
    DWORD len = sizeof v;
    cr_assert_eq(RegQueryValueExW(k, L"Version", NULL, NULL, (BYTE *)v, &len), ERROR_SUCCESS);
    cr_assert(um_weq(v, "2.1"));
    RegCloseKey(k);
    cr_assert_eq(GetSharedServiceDirectory(s, ServiceSharedDirectoryPersistentState, dir, MAX_PATH, &req),
                 ERROR_SUCCESS);
    f = CreateFileW(L"C:\\Windows\\ServiceState\\contososvc\\SharedData\\status.txt", GENERIC_READ, FILE_SHARE_READ,
                    NULL, OPEN_EXISTING, 0, NULL);
    cr_assert_neq(f, INVALID_HANDLE_VALUE);
    char b[4];
    cr_assert(ReadFile(f, b, sizeof b, &done, NULL));
    cr_assert_eq(done, 2);
    CloseHandle(f);
    const pnpbox_event *e = um_event("GetSharedServiceRegistryStateKey", "SharedState", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->component, "contosoui");
    cr_assert_str_eq(e->origin, "GetSharedServiceRegistryStateKey/ServiceSharedRegistryPersistentState");
    for (size_t i = from; i < um_nevents(); i++) {
        e = pnpbox_event_get(m, i);
        cr_assert_str_eq(e->rules, "", "%s %s: %s", e->api, e->path, e->rules);
    }
    /* The same app reaching the service's private state by absolute path is judged. */
    from = um_nevents();
    cr_assert_eq(RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Services\\contososvc\\Parameters", 0,
                               KEY_READ, &k),
                 ERROR_SUCCESS);
    e = um_event("RegOpenKeyExW", "contososvc", from);
    cr_assert(um_has_rule(e, "REG-ABSOLUTE-PATH"));
    RegCloseKey(k);
    CloseServiceHandle(s);
    CloseServiceHandle(scm);
}

Test(um_svc, shared_state_of_a_kernel_driver)
{
    /* A driver's SharedState (DriverRegKeySharedPersistentState) reaches user mode this way. */
    regdb_key k = um_key("\\Registry\\Machine\\SYSTEM\\ControlSet001\\Services\\contosodrv\\SharedState");
    um_set_dword(k, "Calibration", 42);
    um_as_app("contosoui");
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    SC_HANDLE s = OpenServiceW(scm, L"contosodrv", SERVICE_QUERY_STATUS);
    HKEY h = NULL;
    cr_assert_eq(GetSharedServiceRegistryStateKey(s, ServiceSharedRegistryPersistentState, KEY_READ, &h),
                 ERROR_SUCCESS);
    DWORD v = 0, len = 4;
    cr_assert_eq(RegQueryValueExW(h, L"Calibration", NULL, NULL, (BYTE *)&v, &len), ERROR_SUCCESS);
    cr_assert_eq(v, 42);
    SERVICE_STATUS st;
    cr_assert(QueryServiceStatus(s, &st));
    cr_assert_eq(st.dwServiceType, SERVICE_KERNEL_DRIVER);
    cr_assert_eq(st.dwCurrentState, SERVICE_STOPPED, "not loaded");
    RegCloseKey(h);
    CloseServiceHandle(s);
    CloseServiceHandle(scm);
}

Test(um_svc, enforce_mode_still_allows_the_sanctioned_calls)
{
    pnpbox_set_mode(m, PNPBOX_MODE_ENFORCE);
    SERVICE_STATUS_HANDLE h = register_svc(L"contososvc");
    HKEY k = NULL;
    cr_assert_eq(GetServiceRegistryStateKey(h, ServiceRegistryStatePersistent, KEY_ALL_ACCESS, &k), ERROR_SUCCESS);
    DWORD one = 1;
    cr_assert_eq(RegSetValueExW(k, L"x", 0, REG_DWORD, (const BYTE *)&one, 4), ERROR_SUCCESS);
    RegCloseKey(k);
    HKEY abs = NULL;
    cr_assert_eq(RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Services\\contososvc\\State", 0,
                               KEY_ALL_ACCESS, &abs),
                 ERROR_ACCESS_DENIED, "the absolute way to the same key is refused");
    cr_assert_null(abs);
}

/* A driver package whose INF installs a Win32 service (ServiceType 0x10) next to its kernel driver. */
static const char contoso_inf[] =
    "[Version]\r\n"
    "Signature=\"$Windows NT$\"\r\n"
    "Class=System\r\n"
    "ClassGuid={4d36e97d-e325-11ce-bfc1-08002be10318}\r\n"
    "Provider=%Prov%\r\n"
    "DriverVer=01/02/2024,1.0.0.0\r\n"
    "CatalogFile=contoso.cat\r\n"
    "PnpLockdown=1\r\n"
    "[Manufacturer]\r\n"
    "%Prov%=Models,NTamd64\r\n"
    "[Models.NTamd64]\r\n"
    "%Dev%=Dev_Inst,Root\\ContosoDev\r\n"
    "[Dev_Inst.NTamd64]\r\n"
    "CopyFiles=Drv.Files\r\n"
    "[Dev_Inst.NTamd64.Services]\r\n"
    "AddService=contosodrv2,0x00000002,Drv.Svc\r\n"
    "AddService=contosoinfsvc,,Win32.Svc\r\n"
    "[Drv.Svc]\r\n"
    "ServiceType=1\r\n"
    "StartType=3\r\n"
    "ErrorControl=1\r\n"
    "ServiceBinary=%13%\\contosodrv.sys\r\n"
    "[Win32.Svc]\r\n"
    "ServiceType=0x10\r\n"
    "StartType=3\r\n"
    "ErrorControl=1\r\n"
    "ServiceBinary=%13%\\contososvc.exe\r\n"
    "AddReg=Win32.Svc.Reg\r\n"
    "[Win32.Svc.Reg]\r\n"
    "HKR,Parameters,Mode,,\"quiet\"\r\n"
    "[Drv.Files]\r\n"
    "contosodrv.sys\r\n"
    "contososvc.exe\r\n"
    "[DestinationDirs]\r\n"
    "Drv.Files=13\r\n"
    "[SourceDisksNames]\r\n"
    "1=%Disk%\r\n"
    "[SourceDisksFiles]\r\n"
    "contosodrv.sys=1\r\n"
    "contososvc.exe=1\r\n"
    "[Strings]\r\n"
    "Prov=\"Contoso\"\r\n"
    "Dev=\"Contoso Device\"\r\n"
    "Disk=\"Contoso disk\"\r\n";

static void host_file(const char *dir, const char *name, const char *data)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write '%s'", path);
    fputs(data, f);
    fclose(f);
}

/* The issue: Win32 services installed from an INF AddService with ServiceType 0x10. */
Test(um_svc, a_service_installed_from_an_inf)
{
    char *dir = t_mkdtemp("um-inf");
    host_file(dir, "contoso.inf", contoso_inf);
    host_file(dir, "contosodrv.sys", "MZdriver");
    host_file(dir, "contososvc.exe", "MZservice");
    host_file(dir, "contoso.cat", "catalog");
    char inf[4096];
    snprintf(inf, sizeof inf, "%s/contoso.inf", dir);
    char *published = NULL, *inst = NULL, *folder = NULL;
    cr_assert_eq(pnpbox_driver_add(m, inf, &published), 0, "%s", pnpbox_errmsg(m));
    cr_assert_eq(pnpbox_device_add(m, "Root\\ContosoDev", NULL, &inst), 0, "%s", pnpbox_errmsg(m));
    cr_assert_eq(pnpbox_driver_folder(m, published, &folder, NULL), 0);

    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    SC_HANDLE s = OpenServiceW(scm, L"contosoinfsvc", SERVICE_QUERY_STATUS);
    cr_assert_not_null(s, "%u", (unsigned)GetLastError());
    SERVICE_STATUS st;
    memset(&st, UM_FILL, sizeof st);
    cr_assert(QueryServiceStatus(s, &st));
    cr_assert_eq(st.dwServiceType, SERVICE_WIN32_OWN_PROCESS);
    cr_assert_eq(st.dwCurrentState, SERVICE_STOPPED);
    CloseServiceHandle(s);
    CloseServiceHandle(scm);

    /* The service program starts: its identity, its image in the driver store, its Parameters. */
    SERVICE_STATUS_HANDLE h = register_svc(L"contosoinfsvc");
    cr_assert_str_eq(pnpbox_component_name(pnpbox_current_component()), "contosoinfsvc");
    WCHAR img[MAX_PATH];
    DWORD n = GetModuleFileNameW(NULL, img, MAX_PATH);
    char expect[600];
    snprintf(expect, sizeof expect, "C:\\Windows\\System32\\DriverStore\\FileRepository\\%s\\contososvc.exe", folder);
    cr_assert(um_weq(img, expect), "%s", um_u8s(img));
    cr_assert_eq(n, strlen(expect));
    HKEY k = NULL;
    cr_assert_eq(GetServiceRegistryStateKey(h, ServiceRegistryStateParameters, KEY_READ, &k), ERROR_SUCCESS);
    WCHAR mode[16];
    DWORD len = sizeof mode;
    cr_assert_eq(RegGetValueW(k, NULL, L"Mode", RRF_RT_REG_SZ, NULL, mode, &len), ERROR_SUCCESS);
    cr_assert(um_weq(mode, "quiet"));
    RegCloseKey(k);
    /* A file next to its image is the service's to read. */
    size_t from = um_nevents();
    HANDLE f = CreateFileW(img, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    cr_assert_neq(f, INVALID_HANDLE_VALUE, "%u", (unsigned)GetLastError());
    char b[16] = "";
    DWORD done = 0;
    cr_assert(ReadFile(f, b, sizeof b - 1, &done, NULL));
    cr_assert_str_eq(b, "MZservice");
    CloseHandle(f);
    const pnpbox_event *e = um_event("CreateFileW", "contososvc.exe", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->rules, "", "its own image directory: %s", e->rules);
    free(published);
    free(inst);
    free(folder);
    t_rmtree(dir);
    free(dir);
}
