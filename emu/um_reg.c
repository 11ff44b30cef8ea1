/*
 * um_reg.c: the advapi32 registry API (winreg.h), a thin layer over the
 * registry core (reg_core.h) with the Win32 conventions: predefined keys,
 * Win32 error codes (NTSTATUS translated by emu_win32_from_status, the one
 * table), RegCreateKeyExW's creation of every missing component, the
 * REG_SZ termination rules, RegGetValueW's type filters and expansion.
 *
 * Provenance and judging (DESIGN.md "the spine"): a key opened relative to
 * a predefined key (HKEY_LOCAL_MACHINE, HKEY_USERS, HKEY_CURRENT_USER,
 * HKEY_CLASSES_ROOT, HKEY_CURRENT_CONFIG) is opened by its absolute name,
 * so it is an absolute access (REG-ABSOLUTE-PATH for a judged component)
 * and the handle's origin is "absolute"; a key opened relative to a handle
 * inherits that handle's provenance.  Every access is recorded under the
 * advapi32 name of the call that made it.  Handles are user-mode handles:
 * their granted access is checked as Windows checks it.
 *
 * Sources for the behaviour: Wine's advapi32 registry conformance tests
 * (dlls/advapi32/tests/registry.c, run on Windows) and the Win32
 * documentation; choices where both are silent are marked "pnpbox's
 * choice" and listed in docs/user-mode.md.
 */
#include <windows.h>

#include "emu/um_int.h"

#include "base/pb_utf16.h"

#include <ntstatus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UCTX(m, name) {(m), (name), caller, 1}

/* Security descriptors are not emulated; RegQueryInfoKeyW reports the size of the
 * self-relative SD "O:SYG:SYD:(A;CI;KA;;;SY)(A;CI;KA;;;BA)" (pnpbox's choice). */
#define UM_SD_SIZE 96

static int is_string(uint32_t t) { return t == REG_SZ || t == REG_EXPAND_SZ || t == REG_MULTI_SZ; }

/* ---------------------------------------------------------------- predefined keys */

int um_predef(const void *hkey, const char **path)
{
    /* Only the low 32 bits name a predefined key on 64-bit Windows (Wine's test_reg_open_key). */
    uint32_t lo = (uint32_t)(uintptr_t)hkey;
    switch (lo) {
    case 0x80000000u: *path = "\\REGISTRY\\MACHINE\\SOFTWARE\\Classes"; return 1;
    /* pnpbox's processes run as LocalSystem: its hive is HKEY_CURRENT_USER. */
    case 0x80000001u: *path = "\\REGISTRY\\USER\\S-1-5-18"; return 1;
    case 0x80000002u: *path = "\\REGISTRY\\MACHINE"; return 1;
    case 0x80000003u: *path = "\\REGISTRY\\USER"; return 1;
    case 0x80000005u: *path = "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Hardware Profiles\\Current"; return 1;
    /* Performance data, HKEY_DYN_DATA and the local-settings root are not emulated: their
     * opens fail with ERROR_INVALID_HANDLE, as Windows answers for performance keys. */
    case 0x80000004u:
    case 0x80000006u:
    case 0x80000007u:
    case 0x80000050u:
    case 0x80000060u: return -1;
    default: return 0;
    }
}

/* A handle value that names a predefined key (RegCloseKey's test: everything from 0x80000000 up). */
static int predef_range(const void *hkey) { return (uint32_t)(uintptr_t)hkey >= 0x80000000u; }

/* ---------------------------------------------------------------- operations on a key */

/* op_begin on a handle: resolved and judged by the core. */
static inline emu_status op_begin_handle(reg_ctx *c, reg_op *op, HKEY hkey, emu_op kind, uint32_t need, int write,
                                         const uint16_t *vname, size_t vn, int has_value)
{
    emu_status st = reg_op_resolve(c, op, hkey, need);
    if (st < 0)
        return st;
    if (op->h->flags & EMU_HF_KERNEL)
        return STATUS_INVALID_HANDLE; /* a kernel-only handle is not a user-mode HKEY */
    return reg_op_judge(c, op, kind, need, write, vname, vn, has_value);
}

/*
 * op_begin on a predefined key (or a value in the predefined range that
 * names none): a temporary handle to its root, judged as an absolute
 * access.  Out of line and cold: the hot path is a handle.
 */
static __attribute__((cold, noinline)) emu_status op_begin_predef(reg_ctx *c, reg_op *op, HKEY hkey, emu_op kind,
                                                                 uint32_t need, int write, const uint16_t *vname,
                                                                 size_t vn, int has_value, void **tmp)
{
    const char *path = NULL;
    int pd = um_predef(hkey, &path);
    if (pd < 0)
        return STATUS_INVALID_HANDLE;
    if (pd == 0)
        return op_begin_handle(c, op, hkey, kind, need, write, vname, vn, has_value);
    pnpbox_machine *m = c->m;
    regdb_key k;
    if (regdb_open_key_u8(m->reg, 0, path, &k) < 0)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    emu_prov p;
    memset(&p, 0, sizeof p);
    p.api = "absolute";
    p.owner = emu_comp();
    p.scope_owner = p.owner;
    emu_status st = reg_core_handle_new(m, k, KEY_ALL_ACCESS, &p, EMU_HF_USER, tmp);
    if (st < 0)
        return st;
    if ((st = reg_op_resolve(c, op, *tmp, need)) < 0) {
        emu_handle_close(m, *tmp);
        *tmp = NULL;
        return st;
    }
    emu_access *a = &op->a;
    memset(a, 0, sizeof *a);
    a->api = c->api;
    a->kind = EMU_ACC_REG;
    a->op = kind;
    a->prov = &op->h->prov;
    a->absolute = 1;
    a->key = op->h->key;
    a->path = op->h->path;
    a->access = need;
    a->write = write;
    a->caller = c->caller;
    if (has_value) {
        op->vname_heap = pb_utf8_from_wcs(vname, vn);
        a->value = op->vname_heap ? op->vname_heap : "";
    }
    emu_judge(m, a, &op->v);
    if (op->v.deny) {
        emu_record(m, a, &op->v, STATUS_ACCESS_DENIED);
        free(op->vname_heap);
        op->vname_heap = NULL;
        emu_handle_close(m, *tmp);
        *tmp = NULL;
        return STATUS_ACCESS_DENIED;
    }
    return STATUS_SUCCESS;
}

/*
 * Begin an operation on hkey: a handle (resolved and judged by the core),
 * or a predefined key (op_begin_predef).  On success the caller performs
 * the operation and calls op_end.  Inline: this is every registry call's
 * first step, and a handle is the common case.
 */
static inline emu_status op_begin(reg_ctx *c, reg_op *op, HKEY hkey, emu_op kind, uint32_t need, int write,
                                  const uint16_t *vname, size_t vn, int has_value, void **tmp)
{
    *tmp = NULL;
    if (!hkey)
        return STATUS_INVALID_HANDLE;
    if (predef_range(hkey)) /* only the low 32 bits name a predefined key (um_predef) */
        return op_begin_predef(c, op, hkey, kind, need, write, vname, vn, has_value, tmp);
    return op_begin_handle(c, op, hkey, kind, need, write, vname, vn, has_value);
}

static void op_end(reg_ctx *c, reg_op *op, emu_status st, void *tmp)
{
    reg_op_end(c, op, st);
    if (tmp)
        emu_handle_close(c->m, tmp);
}

/* ---------------------------------------------------------------- opening and creating */

/* Split a subkey path into its components, skipping empty ones (a doubled or trailing '\'). */
typedef struct comps {
    size_t start[512], len[512];
    size_t n;
} comps;

static int split(const uint16_t *s, size_t n, comps *out)
{
    out->n = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && s[i] == '\\')
            i++;
        size_t j = i;
        while (j < n && s[j] != '\\')
            j++;
        if (j > i) {
            if (out->n == 512)
                return -1;
            out->start[out->n] = i;
            out->len[out->n] = j - i;
            out->n++;
        }
        i = j;
    }
    return 0;
}

typedef struct open_req {
    const char *api;
    void *caller;
    HKEY root;
    const uint16_t *sub;
    size_t sub_len;
    REGSAM sam;
    unsigned flags;          /* REG_OPEN_* */
    unsigned create_options; /* REG_OPTION_VOLATILE | REG_OPTION_CREATE_LINK */
    const uint16_t *cls;
    size_t cls_len;
} open_req;

/* One reg_core_open of root-relative (or absolute, from a predefined root) name[0..n). */
static emu_status core_open(reg_ctx *c, const open_req *r, const char *ppath, const uint16_t *name, size_t n,
                            unsigned flags, unsigned copts, void **out, uint32_t *disp)
{
    reg_open_args a;
    memset(&a, 0, sizeof a);
    uint16_t *abs = NULL;
    if (ppath) {
        size_t pl = strlen(ppath);
        abs = malloc((pl + 1 + n + 1) * 2);
        if (!abs)
            return STATUS_INSUFFICIENT_RESOURCES;
        for (size_t i = 0; i < pl; i++)
            abs[i] = (uint16_t)(unsigned char)ppath[i];
        size_t o = pl;
        if (n) {
            abs[o++] = '\\';
            memcpy(abs + o, name, n * 2);
            o += n;
        }
        a.name = abs;
        a.name_len = o;
    } else {
        a.root = r->root;
        a.name = name;
        a.name_len = n;
    }
    a.access = r->sam & ~(uint32_t)KEY_WOW64_RES; /* one registry view: KEY_WOW64_* change nothing on x64 */
    a.flags = flags;
    a.create_options = copts;
    a.cls = r->cls;
    a.cls_len = r->cls_len;
    a.hflags = EMU_HF_USER;
    emu_status st = reg_core_open(c, &a, out, disp);
    free(abs);
    return st;
}

static emu_status do_open(pnpbox_machine *m, const open_req *r, HKEY *out, DWORD *disp)
{
    void *caller = r->caller;
    reg_ctx c = UCTX(m, r->api);
    const char *ppath = NULL;
    int pd = um_predef(r->root, &ppath);
    if (pd < 0 || !r->root)
        return STATUS_INVALID_HANDLE;
    const uint16_t *sub = r->sub;
    size_t sn = r->sub_len;
    if (pd == 0) {
        emu_handle *h = emu_handle_get(m, r->root, 0);
        if (h && (h->flags & EMU_HF_KERNEL))
            return STATUS_INVALID_HANDLE;
    } else if (sn && sub[0] == '\\') {
        /* A leading '\' is a syntax error (ERROR_BAD_PATHNAME), except below HKEY_CLASSES_ROOT,
         * where Windows NT and later skip one (Wine's test_reg_open_key). */
        if ((uint32_t)(uintptr_t)r->root != 0x80000000u)
            return STATUS_OBJECT_PATH_SYNTAX_BAD;
        sub++;
        sn--;
    }
    if ((r->sam & ~(uint32_t)KEY_WOW64_RES) == 0)
        return STATUS_ACCESS_DENIED; /* a zero access mask, as NtOpenKey answers it */
    emu_status fst;
    if (emu_fault(m, r->api, &fst))
        return fst;
    int create = (r->flags & REG_OPEN_CREATE) != 0;
    void *h = NULL;
    uint32_t d = 0;
    emu_status st;
    if (!create || sn == 0) {
        st = core_open(&c, r, ppath, sub, sn, r->flags, r->create_options, &h, &d);
    } else {
        /* RegCreateKeyExW creates every missing component (advapi32 walks the path with
         * NtCreateKey): find how much exists (regdb, no access made), then create the rest one
         * component at a time, each create judged and recorded. */
        if (sub[0] == '\\')
            return STATUS_OBJECT_PATH_SYNTAX_BAD;
        comps cp;
        if (split(sub, sn, &cp) < 0)
            return STATUS_INVALID_PARAMETER;
        regdb_key base = 0;
        if (ppath) {
            if (regdb_open_key_u8(m->reg, 0, ppath, &base) < 0)
                return STATUS_OBJECT_NAME_NOT_FOUND;
        } else {
            emu_handle *rh;
            if ((st = reg_core_handle(m, r->root, &rh)) < 0)
                return st;
            base = rh->key;
        }
        size_t have = 0;
        for (; have + 1 < cp.n; have++) {
            regdb_key k;
            size_t end = cp.start[have] + cp.len[have];
            if (regdb_open_key(m->reg, base, sub, end, 0, &k) < 0)
                break;
        }
        st = STATUS_SUCCESS;
        for (size_t i = have; i < cp.n; i++) {
            size_t end = cp.start[i] + cp.len[i];
            int last = i + 1 == cp.n;
            unsigned fl = REG_OPEN_CREATE | (last ? r->flags : (r->flags & ~(unsigned)REG_OPEN_LINK));
            unsigned co = last ? r->create_options : (r->create_options & ~(unsigned)REG_OPTION_CREATE_LINK);
            void *hh = NULL;
            st = core_open(&c, r, ppath, sub, end, fl, co, &hh, &d);
            if (st < 0)
                break;
            if (last)
                h = hh;
            else
                emu_handle_close(m, hh);
        }
    }
    if (st < 0)
        return st;
    *out = h;
    if (disp)
        *disp = d;
    return ERROR_SUCCESS;
}

LSTATUS WINAPI RegOpenKeyExW(HKEY hKey, LPCWSTR lpSubKey, DWORD ulOptions, REGSAM samDesired, PHKEY phkResult)
{
    void *caller = __builtin_return_address(0);
    const char *p;
    size_t sn = um_wcslen(lpSubKey);
    /* A predefined key with no subkey is handed back as it is (the documented "refresh"). */
    if (phkResult && !sn && um_predef(hKey, &p) == 1) {
        *phkResult = hKey;
        return ERROR_SUCCESS;
    }
    if (!phkResult)
        return ERROR_INVALID_PARAMETER;
    if (!hKey)
        return ERROR_INVALID_HANDLE; /* *phkResult untouched (Wine's test_reg_open_key) */
    *phkResult = NULL;
    if (ulOptions & ~(DWORD)(REG_OPTION_OPEN_LINK | REG_OPTION_BACKUP_RESTORE | REG_OPTION_DONT_VIRTUALIZE))
        return ERROR_INVALID_PARAMETER;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    open_req r = {"RegOpenKeyExW", caller, hKey, (const uint16_t *)lpSubKey, sn, samDesired, 0, 0, NULL, 0};
    if (ulOptions & REG_OPTION_OPEN_LINK)
        r.flags |= REG_OPEN_LINK;
    if (ulOptions & REG_OPTION_BACKUP_RESTORE)
        r.flags |= REG_OPEN_BACKUP;
    LSTATUS ret = emu_win32_from_status(do_open(m, &r, phkResult, NULL));
    emu_unlock(m);
    return ret;
}

LSTATUS WINAPI RegCreateKeyExW(HKEY hKey, LPCWSTR lpSubKey, DWORD Reserved, LPWSTR lpClass, DWORD dwOptions,
                               REGSAM samDesired, const LPSECURITY_ATTRIBUTES lpSecurityAttributes, PHKEY phkResult,
                               LPDWORD lpdwDisposition)
{
    void *caller = __builtin_return_address(0);
    (void)lpSecurityAttributes; /* security descriptors are not emulated */
    if (!phkResult)
        return ERROR_BADKEY;
    if (Reserved)
        return ERROR_INVALID_PARAMETER;
    if (!hKey)
        return ERROR_INVALID_HANDLE;
    *phkResult = NULL;
    if (dwOptions & ~(DWORD)(REG_LEGAL_OPTION | REG_OPTION_PREDEF_HANDLE))
        return ERROR_INVALID_PARAMETER;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    open_req r = {"RegCreateKeyExW", caller,     hKey, (const uint16_t *)lpSubKey, um_wcslen(lpSubKey), samDesired,
                  REG_OPEN_CREATE,   0,          (const uint16_t *)lpClass, um_wcslen(lpClass)};
    if (dwOptions & REG_OPTION_OPEN_LINK)
        r.flags |= REG_OPEN_LINK;
    if (dwOptions & REG_OPTION_BACKUP_RESTORE)
        r.flags |= REG_OPEN_BACKUP;
    r.create_options = dwOptions & (REG_OPTION_VOLATILE | REG_OPTION_CREATE_LINK);
    LSTATUS ret = emu_win32_from_status(do_open(m, &r, phkResult, lpdwDisposition));
    emu_unlock(m);
    return ret;
}

LSTATUS WINAPI RegCloseKey(HKEY hKey)
{
    if (!hKey)
        return ERROR_INVALID_HANDLE;
    if (predef_range(hKey))
        return ERROR_SUCCESS; /* predefined keys are never closed */
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_INVALID_HANDLE;
    emu_handle *e = emu_handle_get(m, hKey, 0);
    LSTATUS ret;
    if (!e || e->type != EMU_H_KEY || (e->flags & EMU_HF_KERNEL))
        ret = ERROR_INVALID_HANDLE;
    else
        ret = emu_win32_from_status(emu_handle_close(m, hKey));
    emu_unlock(m);
    return ret;
}

/* ---------------------------------------------------------------- values */

/* Append a NUL to string data that lacks one when the buffer has room (what NT's
 * RegQueryValueExW and RegEnumValueW do). */
static void terminate(uint32_t type, uint8_t *data, size_t dl, size_t cap)
{
    if (!is_string(type) || dl < 2 || dl + 2 > cap)
        return;
    uint16_t last;
    memcpy(&last, data + dl - 2, 2);
    if (last)
        memset(data + dl, 0, 2);
}

__attribute__((hot)) LSTATUS WINAPI RegQueryValueExW(HKEY hKey, LPCWSTR lpValueName, LPDWORD lpReserved, LPDWORD lpType, LPBYTE lpData,
                                LPDWORD lpcbData)
{
    void *caller = __builtin_return_address(0);
    if ((lpData && !lpcbData) || lpReserved)
        return ERROR_INVALID_PARAMETER;
    if (!hKey)
        return ERROR_INVALID_HANDLE;
    if (!lpData && lpcbData)
        *lpcbData = 0;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    reg_ctx c = UCTX(m, "RegQueryValueExW");
    reg_op op;
    void *tmp;
    const uint16_t *name = (const uint16_t *)lpValueName;
    size_t n = um_wcslen(name);
    emu_status st;
    if (m->faults && emu_fault(m, "RegQueryValueExW", &st)) { /* no call at all without injected faults */
        emu_unlock(m);
        return emu_win32_from_status(st);
    }
    if ((st = op_begin(&c, &op, hKey, EMU_OP_QUERY, KEY_QUERY_VALUE, 0, name, n, 1, &tmp)) < 0) {
        emu_unlock(m);
        return emu_win32_from_status(st);
    }
    /* The data comes straight out of the registry into the caller's buffer, and only when all
     * of it fits: on ERROR_MORE_DATA the buffer stays as it was (regdb_query_value_fit). */
    uint32_t type = 0;
    size_t dl = 0;
    st = reg_core_get_value_fit(&c, &op, name, n, &type, lpData, lpData ? *lpcbData : 0, &dl);
    if (st == STATUS_SUCCESS) {
        if (lpData) {
            if (dl > *lpcbData)
                st = STATUS_BUFFER_OVERFLOW; /* the buffer stays as it was */
            else
                terminate(type, lpData, dl, *lpcbData);
        }
        if (st == STATUS_SUCCESS || st == STATUS_BUFFER_OVERFLOW) {
            if (lpType)
                *lpType = type;
            if (lpcbData)
                *lpcbData = (DWORD)dl;
        }
    }
    op_end(&c, &op, st, tmp);
    emu_unlock(m);
    return st == STATUS_SUCCESS ? ERROR_SUCCESS : emu_win32_from_status(st); /* no call for the common answer */
}

/* A copy of a value read through key (the value's type, data and length). */
static emu_status get_copy(reg_ctx *c, HKEY key, const uint16_t *name, size_t n, uint32_t *type, uint8_t **data,
                           size_t *len)
{
    reg_op op;
    void *tmp;
    emu_status st = op_begin(c, &op, key, EMU_OP_QUERY, KEY_QUERY_VALUE, 0, name, n, 1, &tmp);
    if (st < 0)
        return st;
    regdb_value v;
    st = reg_core_get_value(c, &op, name, n, &v);
    if (st == STATUS_SUCCESS) {
        /* Room for a terminator appended later. */
        uint8_t *d = malloc(v.data_len + 4);
        if (!d) {
            st = STATUS_INSUFFICIENT_RESOURCES;
        } else {
            if (v.data_len)
                memcpy(d, v.data, v.data_len);
            *type = v.type;
            *data = d;
            *len = v.data_len;
        }
    }
    op_end(c, &op, st, tmp);
    return st;
}

/* RegGetValueW's restriction check (RRF_RT_* against the type after expansion). */
static LSTATUS restrict_type(DWORD flags, uint32_t type, size_t len, LSTATUS ret)
{
    if (ret != ERROR_SUCCESS && ret != ERROR_MORE_DATA)
        return ret;
    DWORD mask = 0;
    switch (type) {
    case REG_NONE: mask = RRF_RT_REG_NONE; break;
    case REG_SZ: mask = RRF_RT_REG_SZ; break;
    case REG_EXPAND_SZ: mask = RRF_RT_REG_EXPAND_SZ; break;
    case REG_MULTI_SZ: mask = RRF_RT_REG_MULTI_SZ; break;
    case REG_BINARY: mask = RRF_RT_REG_BINARY; break;
    case REG_DWORD: mask = RRF_RT_REG_DWORD; break;
    case REG_QWORD: mask = RRF_RT_REG_QWORD; break;
    default: break;
    }
    if (!(flags & mask))
        return ERROR_UNSUPPORTED_TYPE;
    /* RRF_RT_DWORD / RRF_RT_QWORD accept REG_BINARY only of that size. */
    if (type == REG_BINARY) {
        DWORD only = flags & RRF_RT_ANY;
        size_t want = only == RRF_RT_DWORD ? 4 : only == RRF_RT_QWORD ? 8 : 0;
        if (want && len != want)
            return ERROR_DATATYPE_MISMATCH;
    }
    return ret;
}

/*
 * RegGetValueW (Windows 8 and later): string data is returned
 * NUL-terminated (the size counts the terminator), REG_EXPAND_SZ is
 * expanded against the machine's environment and reported as REG_SZ
 * unless RRF_NOEXPAND, and the RRF_RT_* filter applies to the type after
 * expansion (so RRF_RT_REG_EXPAND_SZ without RRF_NOEXPAND never matches:
 * ERROR_UNSUPPORTED_TYPE).  On a filter failure the type, size and data
 * are still returned (Wine's test_get_value); RRF_ZEROONFAILURE then
 * zeroes the caller's buffer.  On other errors (no such value or key) the
 * outputs are left as they were (pnpbox's choice).
 */
LSTATUS WINAPI RegGetValueW(HKEY hkey, LPCWSTR lpSubKey, LPCWSTR lpValue, DWORD dwFlags, LPDWORD pdwType,
                            PVOID pvData, LPDWORD pcbData)
{
    void *caller = __builtin_return_address(0);
    if (pvData && !pcbData)
        return ERROR_INVALID_PARAMETER;
    if ((dwFlags & RRF_WOW64_MASK) == RRF_WOW64_MASK)
        return ERROR_INVALID_PARAMETER;
    if (dwFlags & ~(DWORD)(RRF_RT_ANY | RRF_WOW64_MASK | RRF_NOEXPAND | RRF_ZEROONFAILURE))
        return ERROR_INVALID_PARAMETER;
    if (!hkey)
        return ERROR_INVALID_HANDLE;
    size_t cap = pvData ? *pcbData : 0;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    reg_ctx c = UCTX(m, "RegGetValueW");
    HKEY key = hkey, sub = NULL;
    LSTATUS ret;
    size_t sn = um_wcslen(lpSubKey);
    if (sn) {
        open_req r = {"RegGetValueW", caller, hkey, (const uint16_t *)lpSubKey, sn, KEY_QUERY_VALUE, 0, 0, NULL, 0};
        if ((ret = emu_win32_from_status(do_open(m, &r, &sub, NULL))) != ERROR_SUCCESS)
            goto out_open;
        key = sub;
    }
    uint32_t type = 0;
    uint8_t *d = NULL;
    size_t dl = 0;
    emu_status st = get_copy(&c, key, (const uint16_t *)lpValue, um_wcslen(lpValue), &type, &d, &dl);
    if (st < 0) {
        ret = emu_win32_from_status(st);
        goto out;
    }
    if (is_string(type)) {
        uint16_t last = 0;
        if (dl >= 2)
            memcpy(&last, d + dl - 2, 2);
        if (dl < 2 || last) {
            memset(d + dl, 0, 2);
            dl += 2;
        }
        if (type == REG_EXPAND_SZ && !(dwFlags & RRF_NOEXPAND)) {
            size_t chars = 0;
            while (chars * 2 + 1 < dl && (d[chars * 2] || d[chars * 2 + 1]))
                chars++;
            uint16_t *src = malloc(chars * 2 + 2), *ex = NULL;
            size_t en = 0;
            if (src)
                memcpy(src, d, chars * 2);
            if (!src || um_env_expand(m, src, chars, &ex, &en) < 0) {
                free(src);
                free(d);
                ret = ERROR_NOT_ENOUGH_MEMORY;
                goto out;
            }
            free(src);
            free(d);
            d = (uint8_t *)ex;
            dl = (en + 1) * 2;
            type = REG_SZ;
        }
    }
    ret = ERROR_SUCCESS;
    if (pvData) {
        if (dl > cap)
            ret = ERROR_MORE_DATA;
        else if (dl)
            memcpy(pvData, d, dl);
    }
    free(d);
    ret = restrict_type(dwFlags, type, dl, ret);
    if (pvData && ret != ERROR_SUCCESS && (dwFlags & RRF_ZEROONFAILURE))
        memset(pvData, 0, cap);
    if (pdwType)
        *pdwType = type;
    if (pcbData)
        *pcbData = (DWORD)dl;
    if (sub)
        emu_handle_close(m, sub);
    emu_unlock(m);
    return ret;
out:
    if (pvData && (dwFlags & RRF_ZEROONFAILURE))
        memset(pvData, 0, cap);
out_open:
    if (sub)
        emu_handle_close(m, sub);
    emu_unlock(m);
    return ret;
}

static LSTATUS set_value(reg_ctx *c, HKEY hKey, const uint16_t *name, DWORD type, const BYTE *data, DWORD cb)
{
    pnpbox_machine *m = c->m;
    /* advapi32 probes the buffer: a NULL one with a size, or one in the first 64 KB of the
     * address space, is ERROR_NOACCESS (Wine's test_set_value). */
    if ((data && (uintptr_t)data < 0x10000) || (!data && cb))
        return ERROR_NOACCESS;
    /* A string whose size leaves out the terminator that follows it gets the terminator
     * counted: NT does this (Wine's test_set_value, "off-by-one size"). */
    if (cb >= 2 && is_string(type)) {
        uint16_t last, next;
        memcpy(&last, data + (cb / 2 - 1) * 2, 2);
        /* The unit after the data is read only when the data does not end in a NUL already
         * (as NT reads it then: past a buffer that ends exactly there). */
        if (last) {
            memcpy(&next, data + (cb / 2) * 2, 2);
            if (!next)
                cb = (cb / 2 + 1) * 2;
        }
    }
    size_t n = um_wcslen(name);
    emu_status st;
    if (emu_fault(m, c->api, &st))
        return emu_win32_from_status(st);
    reg_op op;
    void *tmp;
    if ((st = op_begin(c, &op, hKey, EMU_OP_SET, KEY_SET_VALUE, 1, name, n, 1, &tmp)) < 0)
        return emu_win32_from_status(st);
    st = reg_core_set_value(c, &op, name, n, type, data, cb);
    op_end(c, &op, st, tmp);
    return emu_win32_from_status(st);
}

LSTATUS WINAPI RegSetValueExW(HKEY hKey, LPCWSTR lpValueName, DWORD Reserved, DWORD dwType, const BYTE *lpData,
                              DWORD cbData)
{
    void *caller = __builtin_return_address(0);
    (void)Reserved; /* ignored, as advapi32 does */
    if (!hKey)
        return ERROR_INVALID_HANDLE;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    reg_ctx c = UCTX(m, "RegSetValueExW");
    LSTATUS ret = set_value(&c, hKey, (const uint16_t *)lpValueName, dwType, lpData, cbData);
    emu_unlock(m);
    return ret;
}

LSTATUS WINAPI RegSetKeyValueW(HKEY hKey, LPCWSTR lpSubKey, LPCWSTR lpValueName, DWORD dwType, LPCVOID lpData,
                               DWORD cbData)
{
    void *caller = __builtin_return_address(0);
    if (!hKey)
        return ERROR_INVALID_HANDLE;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    reg_ctx c = UCTX(m, "RegSetKeyValueW");
    HKEY key = hKey, sub = NULL;
    LSTATUS ret = ERROR_SUCCESS;
    size_t sn = um_wcslen(lpSubKey);
    if (sn) {
        /* The subkey is created when missing (KEY_SET_VALUE), then the value set in it. */
        open_req r = {"RegSetKeyValueW", caller, hKey, (const uint16_t *)lpSubKey, sn, KEY_SET_VALUE,
                      REG_OPEN_CREATE,   0,      NULL, 0};
        ret = emu_win32_from_status(do_open(m, &r, &sub, NULL));
        key = sub;
    }
    if (ret == ERROR_SUCCESS)
        ret = set_value(&c, key, (const uint16_t *)lpValueName, dwType, lpData, cbData);
    if (sub)
        emu_handle_close(m, sub);
    emu_unlock(m);
    return ret;
}

static LSTATUS delete_value(pnpbox_machine *m, void *caller, const char *api, HKEY hKey, LPCWSTR lpSubKey,
                            LPCWSTR lpValueName)
{
    reg_ctx c = UCTX(m, api);
    HKEY key = hKey, sub = NULL;
    LSTATUS ret = ERROR_SUCCESS;
    if (lpSubKey) {
        open_req r = {api, caller, hKey, (const uint16_t *)lpSubKey, um_wcslen(lpSubKey), KEY_SET_VALUE, 0, 0, NULL,
                      0};
        const char *p;
        if (!r.sub_len && um_predef(hKey, &p) == 1)
            key = hKey; /* RegOpenKeyExW hands a predefined key back as it is */
        else if ((ret = emu_win32_from_status(do_open(m, &r, &sub, NULL))) == ERROR_SUCCESS)
            key = sub;
    }
    if (ret == ERROR_SUCCESS) {
        const uint16_t *name = (const uint16_t *)lpValueName;
        size_t n = um_wcslen(name);
        reg_op op;
        void *tmp;
        emu_status st;
        if (emu_fault(m, api, &st) || (st = op_begin(&c, &op, key, EMU_OP_DELETE, KEY_SET_VALUE, 1, name, n, 1,
                                                     &tmp)) < 0) {
            ret = emu_win32_from_status(st);
        } else {
            st = reg_core_delete_value(&c, &op, name, n);
            op_end(&c, &op, st, tmp);
            ret = emu_win32_from_status(st);
        }
    }
    if (sub)
        emu_handle_close(m, sub);
    return ret;
}

LSTATUS WINAPI RegDeleteKeyValueW(HKEY hKey, LPCWSTR lpSubKey, LPCWSTR lpValueName)
{
    void *caller = __builtin_return_address(0);
    if (!hKey)
        return ERROR_INVALID_HANDLE;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    LSTATUS ret = delete_value(m, caller, "RegDeleteKeyValueW", hKey, lpSubKey, lpValueName);
    emu_unlock(m);
    return ret;
}

LSTATUS WINAPI RegDeleteValueW(HKEY hKey, LPCWSTR lpValueName)
{
    void *caller = __builtin_return_address(0);
    if (!hKey)
        return ERROR_INVALID_HANDLE;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    LSTATUS ret = delete_value(m, caller, "RegDeleteValueW", hKey, NULL, lpValueName);
    emu_unlock(m);
    return ret;
}

/* ---------------------------------------------------------------- deleting keys */

/* Delete the key behind a handle (NtDeleteKey): CANNOT_DELETE with subkeys -> ERROR_ACCESS_DENIED. */
static emu_status delete_handle_key(reg_ctx *c, HKEY h)
{
    reg_op op;
    void *tmp;
    emu_status st = op_begin(c, &op, h, EMU_OP_DELETE, DELETE, 1, NULL, 0, 0, &tmp);
    if (st < 0)
        return st;
    st = reg_core_delete_key(c, &op);
    op_end(c, &op, st, tmp);
    return st;
}

static LSTATUS delete_key(void *caller, const char *api, HKEY hKey, LPCWSTR lpSubKey, REGSAM sam)
{
    if (!lpSubKey)
        return ERROR_INVALID_PARAMETER;
    if (!hKey)
        return ERROR_INVALID_HANDLE;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    reg_ctx c = UCTX(m, api);
    HKEY sub = NULL;
    open_req r = {api, caller, hKey, (const uint16_t *)lpSubKey, um_wcslen(lpSubKey),
                  DELETE | (sam & KEY_WOW64_RES), 0, 0, NULL, 0};
    LSTATUS ret;
    emu_status st;
    if (emu_fault(m, api, &st))
        ret = emu_win32_from_status(st);
    else if ((ret = emu_win32_from_status(do_open(m, &r, &sub, NULL))) == ERROR_SUCCESS)
        ret = emu_win32_from_status(delete_handle_key(&c, sub));
    if (sub)
        emu_handle_close(m, sub);
    emu_unlock(m);
    return ret;
}

LSTATUS WINAPI RegDeleteKeyW(HKEY hKey, LPCWSTR lpSubKey)
{
    return delete_key(__builtin_return_address(0), "RegDeleteKeyW", hKey, lpSubKey, 0);
}

LSTATUS WINAPI RegDeleteKeyExW(HKEY hKey, LPCWSTR lpSubKey, REGSAM samDesired, DWORD Reserved)
{
    (void)Reserved; /* must be 0; advapi32 does not check it */
    return delete_key(__builtin_return_address(0), "RegDeleteKeyExW", hKey, lpSubKey, samDesired);
}

/* Delete every subkey of h, depth first; each open, enumeration and delete is recorded. */
static emu_status delete_children(reg_ctx *c, HKEY h, void *caller, int depth)
{
    if (depth > 512)
        return STATUS_INSUFFICIENT_RESOURCES; /* deeper than the registry allows: stop rather than recurse on */
    for (;;) {
        reg_op op;
        void *tmp;
        emu_status st = op_begin(c, &op, h, EMU_OP_ENUM, KEY_ENUMERATE_SUB_KEYS, 0, NULL, 0, 0, &tmp);
        if (st < 0)
            return st;
        regdb_key_entry e;
        uint16_t name[256];
        size_t nl = 0;
        st = reg_core_enum_key(c, &op, 0, &e);
        if (st == STATUS_SUCCESS) {
            nl = e.name_len < 256 ? e.name_len : 255;
            memcpy(name, e.name, nl * 2);
        }
        op_end(c, &op, st, tmp);
        if (st == STATUS_NO_MORE_ENTRIES)
            return STATUS_SUCCESS;
        if (st < 0)
            return st;
        open_req r = {c->api, caller, h, name, nl, KEY_ENUMERATE_SUB_KEYS | KEY_QUERY_VALUE | DELETE,
                      REG_OPEN_LINK, 0, NULL, 0};
        HKEY child = NULL;
        if ((st = do_open(c->m, &r, &child, NULL)) < 0)
            return st;
        st = delete_children(c, child, caller, depth + 1);
        if (st == STATUS_SUCCESS)
            st = delete_handle_key(c, child);
        emu_handle_close(c->m, child);
        if (st < 0)
            return st;
    }
}

/* Delete every value of h. */
static emu_status delete_values(reg_ctx *c, HKEY h)
{
    for (;;) {
        reg_op op;
        void *tmp;
        emu_status st = op_begin(c, &op, h, EMU_OP_ENUM, KEY_QUERY_VALUE, 0, NULL, 0, 0, &tmp);
        if (st < 0)
            return st;
        regdb_value v;
        uint16_t *name = NULL;
        size_t nl = 0;
        st = reg_core_enum_value(c, &op, 0, &v);
        if (st == STATUS_SUCCESS && !(name = pb_wcsndup(v.name, v.name_len)))
            st = STATUS_INSUFFICIENT_RESOURCES;
        nl = st == STATUS_SUCCESS ? v.name_len : 0;
        op_end(c, &op, st, tmp);
        if (st == STATUS_NO_MORE_ENTRIES)
            return STATUS_SUCCESS;
        if (st < 0)
            return st;
        if ((st = op_begin(c, &op, h, EMU_OP_DELETE, KEY_SET_VALUE, 1, name, nl, 1, &tmp)) < 0) {
            free(name);
            return st;
        }
        st = reg_core_delete_value(c, &op, name, nl);
        op_end(c, &op, st, tmp);
        free(name);
        if (st < 0)
            return st;
    }
}

/*
 * With a subkey: that key and everything below it are deleted.  Without
 * one (NULL or empty): every subkey and value of hKey is, and hKey stays
 * (Wine's test_reg_delete_tree).
 */
LSTATUS WINAPI RegDeleteTreeW(HKEY hKey, LPCWSTR lpSubKey)
{
    void *caller = __builtin_return_address(0);
    if (!hKey)
        return ERROR_INVALID_HANDLE;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    reg_ctx c = UCTX(m, "RegDeleteTreeW");
    size_t sn = um_wcslen(lpSubKey);
    HKEY h = hKey, sub = NULL;
    LSTATUS ret = ERROR_SUCCESS;
    emu_status st = 0;
    if (emu_fault(m, "RegDeleteTreeW", &st)) {
        ret = emu_win32_from_status(st);
        goto out;
    }
    if (sn) {
        open_req r = {"RegDeleteTreeW", caller, hKey, (const uint16_t *)lpSubKey, sn,
                      KEY_ENUMERATE_SUB_KEYS | KEY_QUERY_VALUE | KEY_SET_VALUE | DELETE, 0, 0, NULL, 0};
        if ((ret = emu_win32_from_status(do_open(m, &r, &sub, NULL))) != ERROR_SUCCESS)
            goto out;
        h = sub;
    }
    st = delete_children(&c, h, caller, 0);
    if (st == STATUS_SUCCESS)
        st = sn ? delete_handle_key(&c, h) : delete_values(&c, h);
    ret = emu_win32_from_status(st);
out:
    if (sub)
        emu_handle_close(m, sub);
    emu_unlock(m);
    return ret;
}

/* ---------------------------------------------------------------- enumeration and key information */

LSTATUS WINAPI RegEnumKeyExW(HKEY hKey, DWORD dwIndex, LPWSTR lpName, LPDWORD lpcchName, LPDWORD lpReserved,
                             LPWSTR lpClass, LPDWORD lpcchClass, PFILETIME lpftLastWriteTime)
{
    void *caller = __builtin_return_address(0);
    if (lpReserved)
        return ERROR_INVALID_PARAMETER;
    if (!hKey)
        return ERROR_INVALID_HANDLE;
    if (!lpName || !lpcchName)
        return ERROR_INVALID_PARAMETER; /* a fault on Windows (pnpbox's choice) */
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    reg_ctx c = UCTX(m, "RegEnumKeyExW");
    reg_op op;
    void *tmp;
    emu_status st;
    if (emu_fault(m, "RegEnumKeyExW", &st) ||
        (st = op_begin(&c, &op, hKey, EMU_OP_ENUM, KEY_ENUMERATE_SUB_KEYS, 0, NULL, 0, 0, &tmp)) < 0) {
        emu_unlock(m);
        return emu_win32_from_status(st);
    }
    regdb_key_entry e;
    st = reg_core_enum_key(&c, &op, dwIndex, &e);
    if (st == STATUS_SUCCESS) {
        size_t cl = e.cls ? e.cls_len : 0;
        if (lpftLastWriteTime) {
            lpftLastWriteTime->dwLowDateTime = (DWORD)((uint64_t)e.last_write & 0xFFFFFFFFu);
            lpftLastWriteTime->dwHighDateTime = (DWORD)((uint64_t)e.last_write >> 32);
        }
        /* Room for the name and its NUL (and the class's, when asked for); else nothing is written. */
        if (e.name_len >= *lpcchName || (lpClass && lpcchClass && cl >= *lpcchClass)) {
            st = STATUS_BUFFER_OVERFLOW;
        } else {
            memcpy(lpName, e.name, e.name_len * 2);
            lpName[e.name_len] = 0;
            *lpcchName = (DWORD)e.name_len;
            if (lpcchClass) {
                *lpcchClass = (DWORD)cl;
                if (lpClass) {
                    if (cl)
                        memcpy(lpClass, e.cls, cl * 2);
                    lpClass[cl] = 0;
                }
            }
        }
    }
    op_end(&c, &op, st, tmp);
    emu_unlock(m);
    return emu_win32_from_status(st);
}

LSTATUS WINAPI RegEnumValueW(HKEY hKey, DWORD dwIndex, LPWSTR lpValueName, LPDWORD lpcchValueName,
                             LPDWORD lpReserved, LPDWORD lpType, LPBYTE lpData, LPDWORD lpcbData)
{
    void *caller = __builtin_return_address(0);
    if ((lpData && !lpcbData) || lpReserved || !lpValueName || !lpcchValueName)
        return ERROR_INVALID_PARAMETER;
    if (!hKey)
        return ERROR_INVALID_HANDLE;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    reg_ctx c = UCTX(m, "RegEnumValueW");
    reg_op op;
    void *tmp;
    emu_status st;
    if (emu_fault(m, "RegEnumValueW", &st) ||
        (st = op_begin(&c, &op, hKey, EMU_OP_ENUM, KEY_QUERY_VALUE, 0, NULL, 0, 0, &tmp)) < 0) {
        emu_unlock(m);
        return emu_win32_from_status(st);
    }
    regdb_value v;
    st = reg_core_enum_value(&c, &op, dwIndex, &v);
    if (st == STATUS_SUCCESS) {
        /* The name first (with its NUL), then the data; what did not fit is not written, but the
         * type and the data size are reported either way (Wine's test_enum_value). */
        if (v.name_len >= *lpcchValueName) {
            st = STATUS_BUFFER_OVERFLOW;
        } else {
            memcpy(lpValueName, v.name, v.name_len * 2);
            lpValueName[v.name_len] = 0;
            *lpcchValueName = (DWORD)v.name_len;
            if (lpData) {
                if (v.data_len > *lpcbData) {
                    st = STATUS_BUFFER_OVERFLOW;
                } else {
                    if (v.data_len)
                        memcpy(lpData, v.data, v.data_len);
                    terminate(v.type, lpData, v.data_len, *lpcbData);
                }
            }
        }
        if (lpType)
            *lpType = v.type;
        if (lpcbData)
            *lpcbData = (DWORD)v.data_len;
    }
    op_end(&c, &op, st, tmp);
    emu_unlock(m);
    return emu_win32_from_status(st);
}

/*
 * The class is copied only when lpClass and a non-zero *lpcchClass are
 * given; *lpcchClass always gets the class length (characters, no NUL).  A
 * buffer shorter than the class is ERROR_MORE_DATA, one that holds the
 * class but not its NUL ERROR_INSUFFICIENT_BUFFER, both leaving the buffer
 * untouched (Windows 10 and later, Wine's test_reg_query_info).
 */
LSTATUS WINAPI RegQueryInfoKeyW(HKEY hKey, LPWSTR lpClass, LPDWORD lpcchClass, LPDWORD lpReserved,
                                LPDWORD lpcSubKeys, LPDWORD lpcbMaxSubKeyLen, LPDWORD lpcbMaxClassLen,
                                LPDWORD lpcValues, LPDWORD lpcbMaxValueNameLen, LPDWORD lpcbMaxValueLen,
                                LPDWORD lpcbSecurityDescriptor, PFILETIME lpftLastWriteTime)
{
    void *caller = __builtin_return_address(0);
    (void)lpReserved; /* ignored, as advapi32 does */
    if (lpClass && !lpcchClass)
        return ERROR_INVALID_PARAMETER;
    if (!hKey)
        return ERROR_INVALID_HANDLE;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    reg_ctx c = UCTX(m, "RegQueryInfoKeyW");
    reg_op op;
    void *tmp;
    emu_status st;
    if (emu_fault(m, "RegQueryInfoKeyW", &st) ||
        (st = op_begin(&c, &op, hKey, EMU_OP_QUERY, KEY_QUERY_VALUE, 0, NULL, 0, 0, &tmp)) < 0) {
        emu_unlock(m);
        return emu_win32_from_status(st);
    }
    regdb_key_info info;
    LSTATUS ret = ERROR_SUCCESS;
    st = reg_core_key_info(&c, op.h->key, &info);
    if (st == STATUS_SUCCESS) {
        size_t cl = info.cls ? info.cls_len : 0;
        if (lpClass && *lpcchClass) {
            if (cl > *lpcchClass)
                ret = ERROR_MORE_DATA;
            else if (cl == *lpcchClass)
                ret = ERROR_INSUFFICIENT_BUFFER;
            else {
                if (cl)
                    memcpy(lpClass, info.cls, cl * 2);
                lpClass[cl] = 0;
            }
        }
        if (lpcchClass)
            *lpcchClass = (DWORD)cl;
        if (lpcSubKeys)
            *lpcSubKeys = info.subkeys;
        if (lpcbMaxSubKeyLen)
            *lpcbMaxSubKeyLen = info.max_subkey_len;
        if (lpcbMaxClassLen)
            *lpcbMaxClassLen = info.max_class_len;
        if (lpcValues)
            *lpcValues = info.values;
        if (lpcbMaxValueNameLen)
            *lpcbMaxValueNameLen = info.max_value_name;
        if (lpcbMaxValueLen)
            *lpcbMaxValueLen = info.max_value_data;
        if (lpcbSecurityDescriptor)
            *lpcbSecurityDescriptor = UM_SD_SIZE;
        if (lpftLastWriteTime) {
            lpftLastWriteTime->dwLowDateTime = (DWORD)((uint64_t)info.last_write & 0xFFFFFFFFu);
            lpftLastWriteTime->dwHighDateTime = (DWORD)((uint64_t)info.last_write >> 32);
        }
    } else {
        ret = emu_win32_from_status(st);
    }
    op_end(&c, &op, st, tmp);
    emu_unlock(m);
    return ret;
}

/* ---------------------------------------------------------------- change notifications */

/*
 * Asynchronous: arming resets the event; the first change of the key (or,
 * with bWatchSubtree, below it) that the filter covers signals it; closing
 * the key or deleting it signals it too.  Synchronous: pnpbox runs on the
 * calling thread, so the call waits only for changes the queued work
 * items make; when none does, the wait could never end on Windows either:
 * ERROR_POSSIBLE_DEADLOCK (pnpbox's choice; logged in the machine's log).
 * REG_NOTIFY_THREAD_AGNOSTIC is accepted: pnpbox's notifications never
 * depend on the arming thread.
 */
LSTATUS WINAPI RegNotifyChangeKeyValue(HKEY hKey, BOOL bWatchSubtree, DWORD dwNotifyFilter, HANDLE hEvent,
                                       BOOL fAsynchronous)
{
    void *caller = __builtin_return_address(0);
    if (fAsynchronous && !hEvent)
        return ERROR_INVALID_PARAMETER;
    if (dwNotifyFilter & ~(DWORD)REG_LEGAL_CHANGE_FILTER)
        return ERROR_INVALID_PARAMETER;
    if (!hKey)
        return ERROR_INVALID_HANDLE;
    pnpbox_machine *m = um_enter();
    if (!m)
        return ERROR_NOT_ENOUGH_MEMORY;
    reg_ctx c = UCTX(m, "RegNotifyChangeKeyValue");
    reg_op op;
    void *tmp = NULL, *token = NULL;
    emu_status st;
    void *ev = NULL;
    if (fAsynchronous && !(ev = umk_event_object(m, hEvent))) {
        emu_unlock(m);
        return ERROR_INVALID_HANDLE;
    }
    if (emu_fault(m, "RegNotifyChangeKeyValue", &st) ||
        (st = op_begin(&c, &op, hKey, EMU_OP_NOTIFY, KEY_NOTIFY, 0, NULL, 0, 0, &tmp)) < 0) {
        emu_unlock(m);
        return emu_win32_from_status(st);
    }
    if (tmp) {
        /* A predefined key: the notification lives as long as its handle, which is the process's
         * predefined key on Windows.  pnpbox keeps the temporary handle open for the armed watch. */
        emu_handle *th = emu_handle_get(m, tmp, EMU_H_KEY);
        if (th)
            th->flags |= EMU_HF_PREDEFINED;
    }
    reg_post post;
    memset(&post, 0, sizeof post);
    post.comp = emu_comp();
    unsigned filter = dwNotifyFilter & ~(DWORD)REG_NOTIFY_THREAD_AGNOSTIC;
    if (fAsynchronous) {
        umk_event_set(m, hEvent, 0); /* arming resets the event (NtNotifyChangeMultipleKeys) */
        post.kind = REG_POST_USER;
        post.event = ev;
        st = reg_core_notify(&c, &op, filter, bWatchSubtree != 0, &post, NULL);
        if (st == STATUS_PENDING)
            st = STATUS_SUCCESS;
    } else {
        post.kind = REG_POST_SYNC;
        st = reg_core_notify(&c, &op, filter, bWatchSubtree != 0, &post, &token);
        if (st == STATUS_PENDING || st == STATUS_SUCCESS) {
            while (!reg_core_sync_result(token) && emu_work_run_one(m))
                ;
            emu_status r = reg_core_sync_result(token);
            if (r) {
                st = STATUS_SUCCESS; /* a change (NOTIFY_ENUM_DIR) or the handle's cleanup */
            } else {
                emu_log(m, "error: RegNotifyChangeKeyValue: deadlock: the synchronous wait for a change of '%s' "
                           "can never end (nothing else runs)",
                        op.h->path ? op.h->path : "?");
                st = STATUS_POSSIBLE_DEADLOCK;
            }
            reg_core_sync_forget(m, token);
        }
    }
    reg_op_end(&c, &op, st);
    if (tmp && (!fAsynchronous || st < 0))
        emu_handle_close(m, tmp);
    emu_unlock(m);
    return emu_win32_from_status(st);
}

/* ---------------------------------------------------------------- approved key handles */

emu_status um_open_state_key(pnpbox_machine *m, const char *api, regdb_key base, const char *rel, int create,
                             uint32_t access, emu_prov *prov, void *caller, void **out)
{
    regdb_key k = 0;
    int exists = regdb_open_key_u8(m->reg, base, rel, &k) == 0;
    if (!exists && !create)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    char *path;
    if (exists) {
        path = emu_key_path_u8(m, k);
    } else {
        char *bp = emu_key_path_u8(m, base);
        size_t pl = (bp ? strlen(bp) : 0) + strlen(rel) + 2;
        path = bp ? malloc(pl) : NULL;
        if (path)
            snprintf(path, pl, "%s\\%s", bp, rel);
        free(bp);
    }
    if (!path)
        return STATUS_INSUFFICIENT_RESOURCES;
    uint32_t granted = reg_core_map_access(access);
    emu_access a = {.api = api, .kind = EMU_ACC_REG, .op = exists ? EMU_OP_OPEN : EMU_OP_CREATE, .prov = prov,
                    .key = k, .path = path, .access = access, .write = !exists, .creates = !exists, .caller = caller};
    emu_verdict v;
    emu_judge(m, &a, &v);
    emu_status st;
    if (v.deny) {
        st = STATUS_ACCESS_DENIED;
    } else {
        int rc = exists ? 0 : regdb_create_key_u8(m->reg, base, rel, REGDB_CREATE_PATH, &k);
        if (rc < 0) {
            st = emu_status_from_regdb(rc);
        } else {
            prov->scope_key = k;
            st = reg_core_handle_new(m, k, granted, prov, EMU_HF_USER, out);
        }
    }
    emu_record(m, &a, &v, st);
    free(path);
    return st;
}
