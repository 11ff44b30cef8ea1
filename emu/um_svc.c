/*
 * um_svc.c: the service control manager as a Win32 service and the
 * components around it see it (winsvc.h): OpenSCManagerW, OpenServiceW,
 * CloseServiceHandle, QueryServiceStatus over the machine's service keys
 * (CCS\Services\<svc>, Type 0x10/0x20 for Win32 services, as an INF
 * AddService with that ServiceType installs them);
 * RegisterServiceCtrlHandlerExW, which gives the calling program the
 * service's identity (the calling thread runs as the Win32 service
 * component from then on); SetServiceStatus; StartServiceCtrlDispatcherW;
 * and the isolation calls (reference §1.7, §1.11):
 *
 *   GetServiceRegistryStateKey       Parameters -> Services\<svc>\Parameters (read-only, never created)
 *                                    Persistent -> Services\<svc>\State (created on first use)
 *   GetSharedServiceRegistryStateKey            -> Services\<svc>\SharedState (created)
 *   GetServiceDirectory              C:\Windows\ServiceState\<svc>\Data (created)
 *   GetSharedServiceDirectory        C:\Windows\ServiceState\<svc>\SharedData (created)
 *
 * The keys are approved handles (DESIGN.md's list) with their provenance;
 * the directories are handed out as paths, recorded with the API as their
 * origin.  Choices where the documentation is silent are marked "pnpbox's
 * choice" and listed in docs/user-mode.md.
 */
#include <windows.h>

#include "emu/file_core.h"
#include "emu/um_int.h"

#include "base/pb_utf16.h"

#include <ntstatus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct svc_obj {
    char *name; /* as the service key spells it (UTF-8) */
    uint32_t type;
} svc_obj;

typedef struct status_obj {
    char *name;
    LPHANDLER_FUNCTION_EX handler;
    void *ctx;
    SERVICE_STATUS status;
    pnpbox_component *comp;
} status_obj;

static void svc_close(pnpbox_machine *m, emu_handle *h)
{
    (void)m;
    svc_obj *s = h->obj;
    if (s) {
        free(s->name);
        free(s);
    }
    h->obj = NULL;
}

static void status_close(pnpbox_machine *m, emu_handle *h)
{
    (void)m;
    status_obj *s = h->obj;
    if (s) {
        free(s->name);
        free(s);
    }
    h->obj = NULL;
}

/* The service key of name: its stored name and Type.  0 when it is a service
 * (a key with a REG_DWORD Type), -1 otherwise. */
static int service_lookup(pnpbox_machine *m, const uint16_t *name, size_t n, char **canon, uint32_t *type)
{
    if (!n || n > 256)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (name[i] == '\\' || name[i] == '/' || !name[i])
            return -1;
    regdb_key svcs, k;
    if (emu_ccs_open(m, "Services", &svcs) < 0 || regdb_open_key(m->reg, svcs, name, n, 0, &k) < 0)
        return -1;
    uint32_t t;
    if (regdb_get_dword(m->reg, k, (const uint16_t *)L"Type", &t) < 0)
        return -1;
    regdb_key_info info;
    if (regdb_query_key(m->reg, k, &info) < 0)
        return -1;
    char *c = pb_utf8_from_wcs(info.name, info.name_len);
    if (!c)
        return -1;
    *canon = c;
    *type = t;
    return 0;
}

/* Record a service-manager call (the SCM reads its database as the system: not judged). */
static void record_scm(pnpbox_machine *m, const char *api, const char *svc, emu_op op, pnpbox_component *comp,
                       void *caller, emu_status st)
{
    char path[400];
    snprintf(path, sizeof path, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\%s", svc ? svc : "");
    emu_access a = {.api = api, .kind = EMU_ACC_OTHER, .op = op, .path = path, .comp = comp, .caller = caller};
    emu_record(m, &a, NULL, st);
}

/* The component of a service: the one that exists under either kind, else one of the kind its Type says. */
static pnpbox_component *service_comp(pnpbox_machine *m, const char *name, uint32_t type)
{
    pnpbox_component *c = emu_comp_find(m, PNPBOX_COMP_WIN32_SERVICE, name);
    if (!c)
        c = emu_comp_find(m, PNPBOX_COMP_KERNEL_DRIVER, name);
    if (!c)
        c = pnpbox_component_get(m, (type & SERVICE_WIN32) ? PNPBOX_COMP_WIN32_SERVICE : PNPBOX_COMP_KERNEL_DRIVER,
                                 name);
    return c;
}

/* ---------------------------------------------------------------- the service control manager */

/* Generic rights on the SCM and on services (their object types' generic mappings). */
static uint32_t map_scm_access(uint32_t a)
{
    if (a & GENERIC_READ)
        a |= STANDARD_RIGHTS_READ | SC_MANAGER_ENUMERATE_SERVICE | SC_MANAGER_QUERY_LOCK_STATUS;
    if (a & GENERIC_WRITE)
        a |= STANDARD_RIGHTS_WRITE | SC_MANAGER_CREATE_SERVICE | SC_MANAGER_MODIFY_BOOT_CONFIG;
    if (a & GENERIC_EXECUTE)
        a |= STANDARD_RIGHTS_EXECUTE | SC_MANAGER_CONNECT | SC_MANAGER_LOCK;
    if (a & (GENERIC_ALL | MAXIMUM_ALLOWED))
        a |= SC_MANAGER_ALL_ACCESS;
    return (a & ~(uint32_t)(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL | MAXIMUM_ALLOWED)) |
           SC_MANAGER_CONNECT; /* every caller may connect */
}

static uint32_t map_svc_access(uint32_t a)
{
    if (a & GENERIC_READ)
        a |= STANDARD_RIGHTS_READ | SERVICE_QUERY_CONFIG | SERVICE_QUERY_STATUS | SERVICE_INTERROGATE |
             SERVICE_ENUMERATE_DEPENDENTS;
    if (a & GENERIC_WRITE)
        a |= STANDARD_RIGHTS_WRITE | SERVICE_CHANGE_CONFIG;
    if (a & GENERIC_EXECUTE)
        a |= STANDARD_RIGHTS_EXECUTE | SERVICE_START | SERVICE_STOP | SERVICE_PAUSE_CONTINUE |
             SERVICE_USER_DEFINED_CONTROL;
    if (a & (GENERIC_ALL | MAXIMUM_ALLOWED))
        a |= SERVICE_ALL_ACCESS;
    return a & ~(uint32_t)(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL | MAXIMUM_ALLOWED);
}

/* Is the machine name this machine ("", "PNPBOX", "\\PNPBOX", any case)? */
static int local_machine(pnpbox_machine *m, const uint16_t *name)
{
    size_t n = um_wcslen(name);
    if (!n)
        return 1;
    if (n >= 2 && name[0] == '\\' && name[1] == '\\') {
        name += 2;
        n -= 2;
    }
    regdb_key k;
    uint16_t *cn = NULL;
    size_t cl = 0;
    int local = 0;
    if (emu_ccs_open(m, "Control\\ComputerName\\ComputerName", &k) == 0 &&
        regdb_get_sz(m->reg, k, (const uint16_t *)L"ComputerName", &cn, &cl) == 0)
        local = pb_wcsnieq(name, n, cn, cl);
    free(cn);
    return local;
}

SC_HANDLE WINAPI OpenSCManagerW(LPCWSTR lpMachineName, LPCWSTR lpDatabaseName, DWORD dwDesiredAccess)
{
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    SC_HANDLE ret = NULL;
    const uint16_t *db = (const uint16_t *)lpDatabaseName;
    size_t dn = um_wcslen(db);
    if (!local_machine(m, (const uint16_t *)lpMachineName)) {
        um_set_error(RPC_S_SERVER_UNAVAILABLE); /* no network: another machine cannot be reached */
    } else if (db && !pb_wcsieq_ascii(db, dn, "ServicesActive")) {
        um_set_error(pb_wcsieq_ascii(db, dn, "ServicesFailed") ? ERROR_DATABASE_DOES_NOT_EXIST : ERROR_INVALID_NAME);
    } else {
        emu_handle h;
        memset(&h, 0, sizeof h);
        h.type = EMU_H_SCM;
        h.access = map_scm_access(dwDesiredAccess);
        h.flags = EMU_HF_USER;
        ret = emu_handle_new(m, &h);
        um_set_error(ret ? ERROR_SUCCESS : ERROR_NOT_ENOUGH_MEMORY);
    }
    emu_unlock(m);
    return ret;
}

SC_HANDLE WINAPI OpenServiceW(SC_HANDLE hSCManager, LPCWSTR lpServiceName, DWORD dwDesiredAccess)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    SC_HANDLE ret = NULL;
    char *name = NULL;
    uint32_t type = 0;
    if (!hSCManager || !emu_handle_get(m, hSCManager, EMU_H_SCM)) {
        um_set_error(ERROR_INVALID_HANDLE);
    } else if (!lpServiceName) {
        um_set_error(ERROR_INVALID_ADDRESS);
    } else if (service_lookup(m, (const uint16_t *)lpServiceName, um_wcslen(lpServiceName), &name, &type) < 0) {
        um_set_error(ERROR_SERVICE_DOES_NOT_EXIST);
        char *u = um_u8((const uint16_t *)lpServiceName, um_wcslen(lpServiceName));
        record_scm(m, "OpenServiceW", u, EMU_OP_OPEN, NULL, caller, STATUS_OBJECT_NAME_NOT_FOUND);
        free(u);
    } else {
        svc_obj *s = calloc(1, sizeof *s);
        emu_handle h;
        memset(&h, 0, sizeof h);
        h.type = EMU_H_SERVICE;
        h.access = map_svc_access(dwDesiredAccess);
        h.flags = EMU_HF_USER;
        h.obj = s;
        h.close_fn = svc_close;
        if (s) {
            s->name = name;
            s->type = type;
            name = NULL;
            ret = emu_handle_new(m, &h);
            if (!ret)
                svc_close(m, &h);
        }
        um_set_error(ret ? ERROR_SUCCESS : ERROR_NOT_ENOUGH_MEMORY);
        if (ret)
            record_scm(m, "OpenServiceW", s->name, EMU_OP_OPEN, NULL, caller, STATUS_SUCCESS);
    }
    free(name);
    emu_unlock(m);
    return ret;
}

BOOL WINAPI CloseServiceHandle(SC_HANDLE hSCObject)
{
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    emu_handle *h = hSCObject ? emu_handle_get(m, hSCObject, 0) : NULL;
    BOOL ok = FALSE;
    if (h && (h->type == EMU_H_SCM || h->type == EMU_H_SERVICE))
        ok = emu_handle_close(m, hSCObject) == STATUS_SUCCESS;
    else
        um_set_error(ERROR_INVALID_HANDLE);
    emu_unlock(m);
    return ok;
}

/* The status a registered service last set, or NULL. */
static status_obj *status_of(pnpbox_machine *m, const char *name)
{
    for (int i = 0; i < m->nhandles; i++) {
        emu_handle *h = m->handles[i];
        if (h && h->type == EMU_H_SERVICE_STATUS && h->obj && !strcasecmp(((status_obj *)h->obj)->name, name))
            return h->obj;
    }
    return NULL;
}

/*
 * What the SCM knows of a service: the status its handler registration
 * last set (SetServiceStatus); a kernel driver is running while it is
 * loaded; anything else is stopped.
 */
BOOL WINAPI QueryServiceStatus(SC_HANDLE hService, LPSERVICE_STATUS lpServiceStatus)
{
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    emu_handle *h = hService ? emu_handle_get(m, hService, EMU_H_SERVICE) : NULL;
    BOOL ok = FALSE;
    if (!h || !h->obj) {
        um_set_error(ERROR_INVALID_HANDLE);
    } else if (!(h->access & SERVICE_QUERY_STATUS)) {
        um_set_error(ERROR_ACCESS_DENIED);
    } else if (!lpServiceStatus) {
        um_set_error(ERROR_INVALID_ADDRESS);
    } else {
        svc_obj *s = h->obj;
        status_obj *so = status_of(m, s->name);
        if (so) {
            *lpServiceStatus = so->status;
        } else {
            memset(lpServiceStatus, 0, sizeof *lpServiceStatus);
            lpServiceStatus->dwServiceType = s->type & 0x1FF;
            lpServiceStatus->dwCurrentState =
                (s->type & SERVICE_DRIVER) && umk_driver_loaded(m, s->name) ? SERVICE_RUNNING : SERVICE_STOPPED;
        }
        ok = TRUE;
    }
    emu_unlock(m);
    return ok;
}

/* ---------------------------------------------------------------- the service itself */

/* The service names the running StartServiceCtrlDispatcherW table holds (this process). */
static __thread const SERVICE_TABLE_ENTRYW *dispatch_table;

static int in_dispatch_table(const uint16_t *name, size_t n)
{
    for (const SERVICE_TABLE_ENTRYW *e = dispatch_table; e && e->lpServiceName; e++)
        if (pb_wcsnieq((const uint16_t *)e->lpServiceName, um_wcslen(e->lpServiceName), name, n))
            return 1;
    return 0;
}

SERVICE_STATUS_HANDLE WINAPI RegisterServiceCtrlHandlerExW(LPCWSTR lpServiceName, LPHANDLER_FUNCTION_EX lpHandlerProc,
                                                           LPVOID lpContext)
{
    void *caller = __builtin_return_address(0);
    if (!lpServiceName || !lpHandlerProc) {
        um_set_error(ERROR_INVALID_PARAMETER); /* pnpbox's choice: the documentation names no error */
        return NULL;
    }
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    SERVICE_STATUS_HANDLE ret = NULL;
    char *name = NULL;
    uint32_t type = 0;
    const uint16_t *w = (const uint16_t *)lpServiceName;
    size_t n = um_wcslen(w);
    const char *proc = um_process_service();
    uint16_t *pw = proc ? pb_wcs_from_utf8(proc) : NULL;
    if (service_lookup(m, w, n, &name, &type) < 0) {
        um_set_error(ERROR_SERVICE_DOES_NOT_EXIST);
    } else if (!(type & SERVICE_WIN32)) {
        /* A driver is no process's service: the name is not one this program may run as. */
        um_set_error(ERROR_SERVICE_NOT_IN_EXE);
    } else if (proc && !(pw && pb_wcsnieq(pw, pb_wcslen(pw), w, n)) && !in_dispatch_table(w, n)) {
        /* The process was started as another service (pnpbox run --service). */
        um_set_error(ERROR_SERVICE_NOT_IN_EXE);
    } else {
        pnpbox_component *c = pnpbox_component_get(m, PNPBOX_COMP_WIN32_SERVICE, name);
        status_obj *s = c ? calloc(1, sizeof *s) : NULL;
        emu_handle h;
        memset(&h, 0, sizeof h);
        h.type = EMU_H_SERVICE_STATUS;
        h.flags = EMU_HF_USER;
        h.obj = s;
        h.close_fn = status_close;
        if (s) {
            s->name = name;
            name = NULL;
            s->handler = lpHandlerProc;
            s->ctx = lpContext;
            s->comp = c;
            /* The SCM is starting the service. */
            s->status.dwServiceType = type & 0x1FF;
            s->status.dwCurrentState = SERVICE_START_PENDING;
            ret = emu_handle_new(m, &h);
            if (!ret)
                status_close(m, &h);
        }
        if (!ret) {
            um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        } else {
            /* From here on the calling thread is the service (DESIGN.md: RegisterServiceCtrlHandlerExW
             * sets the component for user-mode code). */
            pnpbox_enter(c);
            um_service_note_image(m, c);
            record_scm(m, "RegisterServiceCtrlHandlerExW", c->name, EMU_OP_OPEN, c, caller, STATUS_SUCCESS);
        }
    }
    free(pw);
    free(name);
    emu_unlock(m);
    return ret;
}

BOOL WINAPI SetServiceStatus(SERVICE_STATUS_HANDLE hServiceStatus, LPSERVICE_STATUS lpServiceStatus)
{
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    emu_handle *h = hServiceStatus ? emu_handle_get(m, hServiceStatus, EMU_H_SERVICE_STATUS) : NULL;
    BOOL ok = FALSE;
    if (!h || !h->obj) {
        um_set_error(ERROR_INVALID_HANDLE);
    } else if (!lpServiceStatus) {
        um_set_error(ERROR_INVALID_ADDRESS);
    } else if (lpServiceStatus->dwCurrentState < SERVICE_STOPPED || lpServiceStatus->dwCurrentState > SERVICE_PAUSED) {
        um_set_error(ERROR_INVALID_DATA); /* the documented error for a bad status */
    } else {
        ((status_obj *)h->obj)->status = *lpServiceStatus;
        ok = TRUE;
    }
    emu_unlock(m);
    return ok;
}

/*
 * The service process's dispatcher: the SCM starts the service the process
 * was run as (pnpbox run --service NAME, pnpbox_attach); its ServiceMain
 * runs on the calling thread with the service name as its argument, and
 * the call returns when ServiceMain does (the service has stopped).  A
 * program not started as a service gets
 * ERROR_FAILED_SERVICE_CONTROLLER_CONNECT, as on Windows when run from a
 * console.
 */
BOOL WINAPI StartServiceCtrlDispatcherW(const SERVICE_TABLE_ENTRYW *lpServiceStartTable)
{
    const char *proc = um_process_service();
    if (!proc) {
        um_set_error(ERROR_FAILED_SERVICE_CONTROLLER_CONNECT);
        return FALSE;
    }
    if (!lpServiceStartTable || !lpServiceStartTable[0].lpServiceName || !lpServiceStartTable[0].lpServiceProc) {
        um_set_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (dispatch_table) {
        um_set_error(ERROR_SERVICE_ALREADY_RUNNING);
        return FALSE;
    }
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    uint16_t *pw = pb_wcs_from_utf8(proc);
    char *canon = NULL;
    uint32_t type = 0;
    int found = pw && service_lookup(m, pw, pb_wcslen(pw), &canon, &type) == 0;
    emu_unlock(m);
    const SERVICE_TABLE_ENTRYW *entry = NULL;
    for (const SERVICE_TABLE_ENTRYW *e = lpServiceStartTable; found && e->lpServiceName; e++)
        if (pb_wcsnieq((const uint16_t *)e->lpServiceName, um_wcslen(e->lpServiceName), pw, pb_wcslen(pw)))
            entry = e;
    /* An own-process service's entry name is ignored (the documentation): the first one runs. */
    if (found && !entry && (type & SERVICE_WIN32) == SERVICE_WIN32_OWN_PROCESS)
        entry = lpServiceStartTable;
    BOOL ok = FALSE;
    if (!found || !entry || !entry->lpServiceProc) {
        um_set_error(found ? ERROR_SERVICE_NOT_IN_EXE : ERROR_SERVICE_DOES_NOT_EXIST);
    } else {
        uint16_t *arg0 = pb_wcs_from_utf8(canon);
        if (!arg0) {
            um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        } else {
            LPWSTR argv[2] = {(LPWSTR)arg0, NULL};
            dispatch_table = lpServiceStartTable;
            entry->lpServiceProc(1, argv);
            dispatch_table = NULL;
            ok = TRUE;
        }
        free(arg0);
    }
    free(canon);
    free(pw);
    return ok;
}

/* ---------------------------------------------------------------- isolation state: keys */

DWORD WINAPI GetServiceRegistryStateKey(SERVICE_STATUS_HANDLE ServiceStatusHandle,
                                        SERVICE_REGISTRY_STATE_TYPE StateType, DWORD AccessMask,
                                        HKEY *ServiceStateKey)
{
    void *caller = __builtin_return_address(0);
    if (!ServiceStateKey)
        return ERROR_INVALID_PARAMETER;
    *ServiceStateKey = NULL;
    if ((unsigned)StateType >= MaxServiceRegistryStateType)
        return ERROR_INVALID_PARAMETER;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    DWORD ret;
    emu_handle *h = ServiceStatusHandle ? emu_handle_get(m, ServiceStatusHandle, EMU_H_SERVICE_STATUS) : NULL;
    status_obj *s = h ? h->obj : NULL;
    emu_status st;
    if (!s) {
        ret = ERROR_INVALID_HANDLE;
        goto out;
    }
    if (emu_fault(m, "GetServiceRegistryStateKey", &st)) {
        ret = emu_win32_from_status(st);
        goto out;
    }
    emu_prov prov;
    memset(&prov, 0, sizeof prov);
    prov.api = "GetServiceRegistryStateKey";
    prov.approved = 1;
    prov.owner = emu_comp();
    prov.scope_owner = s->comp;
    char rel[600];
    uint32_t access = AccessMask;
    int create;
    if (StateType == ServiceRegistryStateParameters) {
        /* Immutable service state, written only by the installer: read access only (as
         * IoOpenDriverRegistryKey's Parameters, reference §1.5), and never created. */
        if (access & MAXIMUM_ALLOWED)
            access = (access & ~(uint32_t)MAXIMUM_ALLOWED) | KEY_READ;
        if (access & ~(uint32_t)(KEY_READ | GENERIC_READ)) {
            ret = ERROR_ACCESS_DENIED;
            goto out;
        }
        prov.sel = "ServiceRegistryStateParameters";
        prov.scope = EMU_SCOPE_SVC_PARAMETERS;
        snprintf(rel, sizeof rel, "Services\\%s\\Parameters", s->name);
        create = 0;
    } else {
        prov.sel = "ServiceRegistryStatePersistent";
        prov.scope = EMU_SCOPE_SVC_STATE;
        snprintf(rel, sizeof rel, "Services\\%s\\State", s->name);
        create = 1;
    }
    void *key = NULL;
    st = um_open_state_key(m, "GetServiceRegistryStateKey", m->ccs, rel, create, access, &prov, caller, &key);
    if (st == STATUS_SUCCESS)
        *ServiceStateKey = key;
    ret = emu_win32_from_status(st);
out:
    emu_unlock(m);
    return ret;
}

DWORD WINAPI GetSharedServiceRegistryStateKey(SC_HANDLE ServiceHandle, SERVICE_SHARED_REGISTRY_STATE_TYPE StateType,
                                              DWORD AccessMask, HKEY *ServiceStateKey)
{
    void *caller = __builtin_return_address(0);
    if (!ServiceStateKey)
        return ERROR_INVALID_PARAMETER;
    *ServiceStateKey = NULL;
    if (StateType != ServiceSharedRegistryPersistentState)
        return ERROR_INVALID_PARAMETER;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    DWORD ret;
    emu_handle *h = ServiceHandle ? emu_handle_get(m, ServiceHandle, EMU_H_SERVICE) : NULL;
    svc_obj *s = h ? h->obj : NULL;
    emu_status st;
    if (!s) {
        ret = ERROR_INVALID_HANDLE;
    } else if (emu_fault(m, "GetSharedServiceRegistryStateKey", &st)) {
        ret = emu_win32_from_status(st);
    } else {
        /* Shared with the service's other components and with privileged callers; created
         * before it is returned ([3P] SI).  A driver's SharedState (DriverRegKeySharedPersistentState)
         * is the same key. */
        emu_prov prov;
        memset(&prov, 0, sizeof prov);
        prov.api = "GetSharedServiceRegistryStateKey";
        prov.sel = "ServiceSharedRegistryPersistentState";
        prov.approved = 1;
        prov.owner = emu_comp();
        prov.scope_owner = service_comp(m, s->name, s->type);
        prov.scope = EMU_SCOPE_SVC_SHARED;
        char rel[600];
        snprintf(rel, sizeof rel, "Services\\%s\\SharedState", s->name);
        void *key = NULL;
        st = um_open_state_key(m, "GetSharedServiceRegistryStateKey", m->ccs, rel, 1, AccessMask, &prov, caller, &key);
        if (st == STATUS_SUCCESS)
            *ServiceStateKey = key;
        ret = emu_win32_from_status(st);
    }
    emu_unlock(m);
    return ret;
}

/* ---------------------------------------------------------------- isolation state: directories */

/*
 * Hand out a state directory: created (as the system) when missing, the
 * path copied when the buffer holds it with its NUL, else
 * ERROR_INSUFFICIENT_BUFFER; *required always gets the size in characters
 * including the NUL (reference §1.11).  The call is recorded with the API
 * as the directory's origin.
 */
static DWORD state_dir(pnpbox_machine *m, const char *api, const char *sel, emu_scope_kind scope,
                       pnpbox_component *owner, const char *svc, const char *leaf, PWCHAR buf, DWORD cch,
                       DWORD *required, void *caller)
{
    char vpath[600];
    snprintf(vpath, sizeof vpath, "\\Windows\\ServiceState\\%s\\%s", svc, leaf);
    char *win32 = emu_vpath_to_win32(vpath);
    uint16_t *w = win32 ? pb_wcs_from_utf8(win32) : NULL;
    free(win32);
    if (!w)
        return ERROR_NOT_ENOUGH_MEMORY;
    size_t n = pb_wcslen(w);
    *required = (DWORD)n + 1;
    DWORD ret;
    if (!buf || cch < n + 1) {
        ret = ERROR_INSUFFICIENT_BUFFER;
    } else {
        emu_prov prov;
        memset(&prov, 0, sizeof prov);
        prov.api = api;
        prov.sel = sel;
        prov.approved = 1;
        prov.owner = emu_comp();
        prov.scope_owner = owner;
        prov.scope = scope;
        prov.scope_path = strdup(vpath);
        emu_access a = {.api = api, .kind = EMU_ACC_FILE, .op = EMU_OP_OPEN, .prov = &prov, .path = vpath,
                        .access = FILE_ALL_ACCESS, .caller = caller};
        emu_verdict v;
        emu_judge(m, &a, &v);
        emu_status st;
        void *dh = NULL;
        if (v.deny)
            st = STATUS_ACCESS_DENIED;
        else if (!prov.scope_path)
            st = STATUS_INSUFFICIENT_RESOURCES;
        else
            st = emu_file_open_dir(m, vpath, 1, FILE_LIST_DIRECTORY | SYNCHRONIZE, 0, &prov, EMU_HF_USER, &dh);
        if (dh)
            emu_handle_close(m, dh);
        emu_record(m, &a, &v, st);
        emu_prov_free(&prov);
        if (st == STATUS_SUCCESS) {
            memcpy(buf, w, (n + 1) * 2);
            ret = ERROR_SUCCESS;
        } else {
            ret = emu_win32_from_status(st);
        }
    }
    free(w);
    return ret;
}

DWORD WINAPI GetServiceDirectory(SERVICE_STATUS_HANDLE hServiceStatus, SERVICE_DIRECTORY_TYPE eDirectoryType,
                                 PWCHAR lpPathBuffer, DWORD cchPathBufferLength, DWORD *lpcchRequiredBufferLength)
{
    void *caller = __builtin_return_address(0);
    if (!lpcchRequiredBufferLength)
        return ERROR_INVALID_PARAMETER;
    if ((unsigned)eDirectoryType >= ServiceDirectoryTypeMax)
        return ERROR_INVALID_PARAMETER;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    emu_handle *h = hServiceStatus ? emu_handle_get(m, hServiceStatus, EMU_H_SERVICE_STATUS) : NULL;
    status_obj *s = h ? h->obj : NULL;
    DWORD ret;
    emu_status st;
    if (!s)
        ret = ERROR_INVALID_HANDLE;
    else if (emu_fault(m, "GetServiceDirectory", &st))
        ret = emu_win32_from_status(st);
    else
        /* The \Data suffix is inferred from the kernel's default and observed directories
         * (reference §1.11, §5 item 3). */
        ret = state_dir(m, "GetServiceDirectory", "ServiceDirectoryPersistentState", EMU_SCOPE_DRIVER_DATA, s->comp,
                        s->name, "Data", lpPathBuffer, cchPathBufferLength, lpcchRequiredBufferLength, caller);
    emu_unlock(m);
    return ret;
}

DWORD WINAPI GetSharedServiceDirectory(SC_HANDLE ServiceHandle, SERVICE_SHARED_DIRECTORY_TYPE DirectoryType,
                                       PWCHAR PathBuffer, DWORD PathBufferLength, DWORD *RequiredBufferLength)
{
    void *caller = __builtin_return_address(0);
    if (!RequiredBufferLength)
        return ERROR_INVALID_PARAMETER;
    if (DirectoryType != ServiceSharedDirectoryPersistentState)
        return ERROR_INVALID_PARAMETER;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    emu_handle *h = ServiceHandle ? emu_handle_get(m, ServiceHandle, EMU_H_SERVICE) : NULL;
    svc_obj *s = h ? h->obj : NULL;
    DWORD ret;
    emu_status st;
    if (!s)
        ret = ERROR_INVALID_HANDLE;
    else if (emu_fault(m, "GetSharedServiceDirectory", &st))
        ret = emu_win32_from_status(st);
    else
        ret = state_dir(m, "GetSharedServiceDirectory", "ServiceSharedDirectoryPersistentState",
                        EMU_SCOPE_DRIVER_SHARED, service_comp(m, s->name, s->type), s->name, "SharedData", PathBuffer,
                        PathBufferLength, RequiredBufferLength, caller);
    emu_unlock(m);
    return ret;
}
