/*
 * um_base.c: the kernel32 runtime pieces of the user-mode API: the
 * thread's last error, CloseHandle, events and waits, the machine's
 * environment (GetEnvironmentVariableW, ExpandEnvironmentStringsW) and
 * GetModuleFileNameW, plus the small helpers the other um_*.c files share
 * (um_int.h).
 *
 * The environment is the one a Win32 service running as LocalSystem gets
 * on the emulated machine (reference §1.12, DESIGN.md "A machine"): the
 * system variables Windows defines itself (SystemRoot=C:\Windows,
 * SystemDrive=C:, ProgramData=C:\ProgramData ...) overlaid with every value
 * of CCS\Control\Session Manager\Environment, REG_EXPAND_SZ values
 * expanded, in the key's order.  That key holds DriverData
 * (C:\Windows\System32\Drivers\DriverData), TEMP and TMP
 * (%SystemRoot%\TEMP).  pnpbox's choice where Windows varies: services see
 * the system TEMP (C:\Windows\TEMP), not LocalSystem's profile directory,
 * as services started by the SCM do.  The environment is read from the
 * machine at each call (the system builds it, so the reads are neither
 * judged nor recorded); a process cannot change it (no
 * SetEnvironmentVariableW).
 */
#include <windows.h>

#include "emu/um_int.h"

#include "base/pb_buf.h"
#include "base/pb_utf16.h"

#include <ntstatus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- small helpers */

static __thread DWORD last_error;

void um_set_error(uint32_t err) { last_error = err; }
uint32_t um_get_error(void) { return last_error; }

DWORD WINAPI GetLastError(void) { return last_error; }
void WINAPI SetLastError(DWORD dwErrCode) { last_error = dwErrCode; }

char *um_u8(const uint16_t *s, size_t n) { return pb_utf8_from_wcs(s, n); }

uint32_t um_win32_to_nt(const uint16_t *path, size_t len, uint16_t **nt, size_t *n, char **vpath_out)
{
    char *vpath = NULL;
    uint32_t err = emu_win32_to_vpath(path, len, &vpath);
    if (err)
        return err;
    uint16_t *w = NULL;
    size_t wn = 0;
    if (pb_utf8_to_utf16(vpath, strlen(vpath), &w, &wn) < 0) {
        free(vpath);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    uint16_t *r = malloc((wn + 7) * 2);
    if (!r) {
        free(w);
        free(vpath);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    static const char pfx[] = "\\??\\C:";
    size_t o = 0;
    for (const char *c = pfx; *c; c++)
        r[o++] = (uint16_t)*c;
    memcpy(r + o, w, wn * 2);
    o += wn;
    r[o] = 0;
    free(w);
    *nt = r;
    *n = o;
    if (vpath_out)
        *vpath_out = vpath;
    else
        free(vpath);
    return ERROR_SUCCESS;
}

/* ---------------------------------------------------------------- handles, events, waits */

BOOL WINAPI CloseHandle(HANDLE hObject)
{
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    emu_handle *e = hObject && hObject != INVALID_HANDLE_VALUE ? emu_handle_get(m, hObject, 0) : NULL;
    /* Kernel objects only: files, events and keys (an HKEY is a kernel handle).  Find handles,
     * service handles and notification handles are not (FindClose, CloseServiceHandle ...), and
     * a user-mode caller cannot reach kernel-only handles. */
    BOOL ok = FALSE;
    if (e && !(e->flags & (EMU_HF_KERNEL | EMU_HF_PREDEFINED)) &&
        (e->type == EMU_H_FILE || e->type == EMU_H_EVENT || e->type == EMU_H_KEY)) {
        emu_status st = emu_handle_close(m, hObject);
        ok = st == STATUS_SUCCESS;
        if (!ok)
            um_set_error(emu_win32_from_status(st));
    } else {
        um_set_error(ERROR_INVALID_HANDLE);
    }
    emu_unlock(m);
    return ok;
}

HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState,
                           LPCWSTR lpName)
{
    (void)lpEventAttributes; /* security descriptors are not emulated; every caller is LocalSystem */
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    void *h = NULL;
    int existed = 0;
    size_t n = um_wcslen(lpName);
    emu_status st = umk_event_create(m, bManualReset != 0, bInitialState != 0, (const uint16_t *)lpName, n, &h,
                                     &existed);
    emu_unlock(m);
    if (st != STATUS_SUCCESS) {
        um_set_error(emu_win32_from_status(st));
        return NULL;
    }
    /* An existing named event is opened: ERROR_ALREADY_EXISTS, as CreateEventW documents. */
    um_set_error(existed ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
    return h;
}

static BOOL event_set(HANDLE h, int on)
{
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    emu_status st = umk_event_set(m, h, on);
    emu_unlock(m);
    if (st != STATUS_SUCCESS) {
        um_set_error(st == STATUS_OBJECT_TYPE_MISMATCH ? ERROR_INVALID_HANDLE : emu_win32_from_status(st));
        return FALSE;
    }
    return TRUE;
}

BOOL WINAPI SetEvent(HANDLE hEvent) { return event_set(hEvent, 1); }
BOOL WINAPI ResetEvent(HANDLE hEvent) { return event_set(hEvent, 0); }

/*
 * pnpbox runs everything on the calling thread: a wait on an event that
 * is not signaled lets queued work items run (k_sync.c), then times out at
 * once; an INFINITE wait that nothing can satisfy fails with
 * ERROR_POSSIBLE_DEADLOCK instead of hanging (logged in the machine's log).
 */
DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)
{
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_INVALID_HANDLE);
        return WAIT_FAILED;
    }
    emu_handle *e = hHandle && hHandle != INVALID_HANDLE_VALUE ? emu_handle_get(m, hHandle, 0) : NULL;
    emu_status st;
    if (!e || (e->type != EMU_H_EVENT && e->type != EMU_H_FILE))
        st = STATUS_INVALID_HANDLE;
    else
        st = umk_event_wait(m, hHandle, dwMilliseconds);
    emu_unlock(m);
    if (st == STATUS_SUCCESS)
        return WAIT_OBJECT_0;
    if (st == STATUS_TIMEOUT)
        return WAIT_TIMEOUT;
    um_set_error(emu_win32_from_status(st));
    return WAIT_FAILED;
}

/* ---------------------------------------------------------------- the environment */

typedef struct env_var {
    uint16_t *name, *value;
    size_t nlen, vlen;
} env_var;

typedef struct env {
    env_var *v;
    size_t n, cap;
    int oom;
} env;

static void env_free(env *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].name);
        free(e->v[i].value);
    }
    free(e->v);
    memset(e, 0, sizeof *e);
}

static env_var *env_find(const env *e, const uint16_t *name, size_t n)
{
    for (size_t i = 0; i < e->n; i++)
        if (pb_wcsnieq(e->v[i].name, e->v[i].nlen, name, n))
            return &e->v[i];
    return NULL;
}

/* Set (replace) a variable; takes ownership of value. */
static void env_put(env *e, const uint16_t *name, size_t n, uint16_t *value, size_t vlen)
{
    env_var *v = env_find(e, name, n);
    if (v) {
        free(v->value);
        v->value = value;
        v->vlen = vlen;
        return;
    }
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 32;
        env_var *p = realloc(e->v, cap * sizeof *p);
        if (!p) {
            free(value);
            e->oom = 1;
            return;
        }
        e->v = p;
        e->cap = cap;
    }
    uint16_t *nm = pb_wcsndup(name, n);
    if (!nm) {
        free(value);
        e->oom = 1;
        return;
    }
    e->v[e->n++] = (env_var){nm, value, n, vlen};
}

static void env_put_u8(env *e, const char *name, const char *value)
{
    uint16_t *n = pb_wcs_from_utf8(name), *v = pb_wcs_from_utf8(value);
    if (n && v)
        env_put(e, n, pb_wcslen(n), v, pb_wcslen(v));
    else {
        free(v);
        e->oom = 1;
    }
    free(n);
}

/* Expand src against e into a new string. */
static int env_expand(const env *e, const uint16_t *src, size_t n, uint16_t **out, size_t *out_len)
{
    pb_buf b = PB_BUF_INIT;
    size_t i = 0;
    while (i < n) {
        if (src[i] == '%') {
            size_t j = i + 1;
            while (j < n && src[j] != '%')
                j++;
            if (j < n && j > i + 1) {
                const env_var *v = env_find(e, src + i + 1, j - i - 1);
                if (v) {
                    pb_buf_add_wcs(&b, v->value, v->vlen);
                    i = j + 1;
                    continue;
                }
            }
            if (j < n) {
                /* Unknown (or empty) name: kept as written; the closing '%' may open the next one. */
                pb_buf_add_wcs(&b, src + i, j - i);
                i = j;
                continue;
            }
        }
        pb_buf_add_u16(&b, src[i]);
        i++;
    }
    pb_buf_add_u16(&b, 0);
    if (b.oom) {
        pb_buf_free(&b);
        return -ENOMEM;
    }
    *out_len = b.len / 2 - 1;
    *out = (uint16_t *)pb_buf_steal(&b);
    return *out ? 0 : -ENOMEM;
}

/* The machine's environment (see the file comment). */
static int env_build(pnpbox_machine *m, env *e)
{
    memset(e, 0, sizeof *e);
    static const char *const builtin[][2] = {
        {"SystemRoot", "C:\\Windows"},
        {"SystemDrive", "C:"},
        {"windir", "C:\\Windows"},
        {"ProgramData", "C:\\ProgramData"},
        {"ALLUSERSPROFILE", "C:\\ProgramData"},
        {"ProgramFiles", "C:\\Program Files"},
        {"ProgramFiles(x86)", "C:\\Program Files (x86)"},
        {"ProgramW6432", "C:\\Program Files"},
        {"CommonProgramFiles", "C:\\Program Files\\Common Files"},
        {"PUBLIC", "C:\\Users\\Public"},
        {"COMPUTERNAME", "PNPBOX"},
        {"USERNAME", "SYSTEM"},
        {"USERDOMAIN", "NT AUTHORITY"},
        {"USERPROFILE", "C:\\Windows\\system32\\config\\systemprofile"},
    };
    for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
        env_put_u8(e, builtin[i][0], builtin[i][1]);
    regdb_key k;
    if (emu_ccs_open(m, "Control\\Session Manager\\Environment", &k) == 0) {
        regdb_value v;
        for (uint32_t i = 0; regdb_enum_value(m->reg, k, i, &v) == 0; i++) {
            if ((v.type != REGDB_SZ && v.type != REGDB_EXPAND_SZ) || !v.name_len)
                continue;
            size_t dl = v.data_len / 2;
            const uint16_t *d = v.data;
            while (dl && d[dl - 1] == 0)
                dl--;
            uint16_t *name = pb_wcsndup(v.name, v.name_len);
            size_t nlen = v.name_len;
            int type = (int)v.type;
            uint16_t *val = NULL;
            size_t vlen = 0;
            int rc = 0;
            if (type == REGDB_EXPAND_SZ)
                rc = env_expand(e, d, dl, &val, &vlen);
            else if (!(val = pb_wcsndup(d, dl)))
                rc = -ENOMEM;
            else
                vlen = dl;
            if (rc < 0 || !name) {
                free(name);
                free(val);
                e->oom = 1;
                continue;
            }
            env_put(e, name, nlen, val, vlen);
            free(name);
        }
    }
    if (e->oom) {
        env_free(e);
        return -ENOMEM;
    }
    return 0;
}

int um_env_expand(pnpbox_machine *m, const uint16_t *src, size_t n, uint16_t **out, size_t *out_len)
{
    env e;
    if (env_build(m, &e) < 0)
        return -ENOMEM;
    int rc = env_expand(&e, src, n, out, out_len);
    env_free(&e);
    return rc;
}

DWORD WINAPI GetEnvironmentVariableW(LPCWSTR lpName, LPWSTR lpBuffer, DWORD nSize)
{
    size_t n = um_wcslen(lpName);
    if (!n) {
        um_set_error(ERROR_ENVVAR_NOT_FOUND);
        return 0;
    }
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return 0;
    }
    env e;
    DWORD ret = 0;
    if (env_build(m, &e) < 0) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        goto out;
    }
    const env_var *v = env_find(&e, (const uint16_t *)lpName, n);
    if (!v) {
        um_set_error(ERROR_ENVVAR_NOT_FOUND);
    } else if (lpBuffer && nSize > v->vlen) {
        memcpy(lpBuffer, v->value, v->vlen * 2);
        lpBuffer[v->vlen] = 0;
        ret = (DWORD)v->vlen;
    } else {
        /* Too small (or no buffer): the size needed including the NUL; the buffer is untouched. */
        ret = (DWORD)v->vlen + 1;
    }
    env_free(&e);
out:
    emu_unlock(m);
    return ret;
}

/*
 * The size needed, including the NUL, in characters.  pnpbox's choice
 * where the documentation leaves it open: a buffer that is too small is
 * left untouched.  A NULL source (a fault on Windows) is
 * ERROR_INVALID_PARAMETER.
 */
DWORD WINAPI ExpandEnvironmentStringsW(LPCWSTR lpSrc, LPWSTR lpDst, DWORD nSize)
{
    if (!lpSrc) {
        um_set_error(ERROR_INVALID_PARAMETER);
        return 0;
    }
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return 0;
    }
    uint16_t *r = NULL;
    size_t rl = 0;
    DWORD ret = 0;
    if (um_env_expand(m, (const uint16_t *)lpSrc, um_wcslen(lpSrc), &r, &rl) < 0) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
    } else {
        ret = (DWORD)rl + 1;
        if (lpDst && nSize >= ret)
            memcpy(lpDst, r, ret * 2);
    }
    free(r);
    emu_unlock(m);
    return ret;
}

/* ---------------------------------------------------------------- GetModuleFileNameW */

/*
 * The Win32 path of a service's image from its ImagePath value: environment
 * references expanded, quotes and arguments dropped, the NT forms
 * \SystemRoot\ and \??\ turned into C:\ paths.  malloc'd; NULL when the
 * service has none.
 */
static uint16_t *service_image(pnpbox_machine *m, const char *svc)
{
    char rel[600];
    snprintf(rel, sizeof rel, "Services\\%s", svc);
    regdb_key k;
    uint16_t *ip = NULL, *ex = NULL;
    size_t n = 0, en = 0;
    if (emu_ccs_open(m, rel, &k) < 0 || regdb_get_sz(m->reg, k, (const uint16_t *)L"ImagePath", &ip, &n) < 0)
        return NULL;
    if (um_env_expand(m, ip, n, &ex, &en) < 0) {
        free(ip);
        return NULL;
    }
    free(ip);
    size_t s = 0, t;
    while (s < en && ex[s] == ' ')
        s++;
    if (s < en && ex[s] == '"') {
        s++;
        for (t = s; t < en && ex[t] != '"'; t++)
            ;
    } else {
        for (t = s; t < en && ex[t] != ' '; t++)
            ;
    }
    pb_buf b = PB_BUF_INIT;
    if (t - s >= 12 && pb_wcsieq_ascii(ex + s, 12, "\\SystemRoot\\")) {
        static const char win[] = "C:\\Windows\\";
        for (const char *c = win; *c; c++)
            pb_buf_add_u16(&b, (uint16_t)*c);
        s += 12;
    } else if (t - s >= 4 && ex[s] == '\\' && ex[s + 1] == '?' && ex[s + 2] == '?' && ex[s + 3] == '\\') {
        s += 4;
    } else if (t > s && ex[s] != '\\' && !(t - s >= 2 && ex[s + 1] == ':')) {
        static const char win[] = "C:\\Windows\\"; /* a relative ImagePath is relative to %SystemRoot% */
        for (const char *c = win; *c; c++)
            pb_buf_add_u16(&b, (uint16_t)*c);
    }
    pb_buf_add_wcs(&b, ex + s, t - s);
    pb_buf_add_u16(&b, 0);
    free(ex);
    if (b.oom) {
        pb_buf_free(&b);
        return NULL;
    }
    return (uint16_t *)pb_buf_steal(&b);
}

void um_service_note_image(pnpbox_machine *m, pnpbox_component *c)
{
    if (!c || c->kind != PNPBOX_COMP_WIN32_SERVICE || um_process_image(c))
        return;
    /* Recomputed at each registration: a driver update moves the image to a new store folder. */
    uint16_t *img = service_image(m, c->name);
    char *vpath = NULL;
    if (img && emu_win32_to_vpath(img, pb_wcslen(img), &vpath) == 0 && vpath) {
        char *bs = strrchr(vpath, '\\');
        if (bs && bs != vpath) {
            *bs = 0;
            free(c->image_dir);
            c->image_dir = vpath;
            vpath = NULL;
        }
    }
    free(vpath);
    free(img);
}

/*
 * The image of the running component: a Win32 service's ImagePath (for a
 * service installed from a driver package with ServiceBinary=%13%\x.exe,
 * its driver-store path), else the path given with pnpbox_um_set_image or
 * `pnpbox run --image`.  Other modules are not emulated: hModule must be
 * NULL (ERROR_MOD_NOT_FOUND otherwise).  A component with no known image
 * gets ERROR_MOD_NOT_FOUND too.  A buffer that is too small receives the
 * truncated path with a NUL, nSize is returned and the last error is
 * ERROR_INSUFFICIENT_BUFFER (the Windows XP+ behaviour documented).
 */
DWORD WINAPI GetModuleFileNameW(HMODULE hModule, LPWSTR lpFilename, DWORD nSize)
{
    if (hModule) {
        um_set_error(ERROR_MOD_NOT_FOUND);
        return 0;
    }
    if (!lpFilename && nSize) {
        um_set_error(ERROR_NOACCESS);
        return 0;
    }
    pnpbox_machine *m = um_enter();
    if (!m) {
        um_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return 0;
    }
    pnpbox_component *c = emu_comp();
    uint16_t *img = NULL;
    const uint16_t *set = um_process_image(c);
    if (set)
        img = pb_wcsndup(set, pb_wcslen(set));
    else if (c && c->kind == PNPBOX_COMP_WIN32_SERVICE)
        img = service_image(m, c->name);
    emu_unlock(m);
    if (!img) {
        um_set_error(ERROR_MOD_NOT_FOUND);
        return 0;
    }
    size_t n = pb_wcslen(img);
    DWORD ret;
    if (!nSize) {
        um_set_error(ERROR_INSUFFICIENT_BUFFER);
        ret = 0;
    } else if (n < nSize) {
        memcpy(lpFilename, img, (n + 1) * 2);
        ret = (DWORD)n;
    } else {
        memcpy(lpFilename, img, (nSize - 1) * 2);
        lpFilename[nSize - 1] = 0;
        um_set_error(ERROR_INSUFFICIENT_BUFFER);
        ret = nSize;
    }
    free(img);
    return ret;
}
