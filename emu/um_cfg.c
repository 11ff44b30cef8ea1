/*
 * um_cfg.c: the configuration manager API (cfgmgr32.h) over the emulated
 * machine: devnode navigation, status and properties; the sanctioned
 * device and interface keys (CM_Open_DevNode_Key,
 * CM_Open_Device_Interface_KeyW: approved handle sources with their
 * provenance); interface lists; and PnP notifications (reference §1.3,
 * §1.4, §1.13).
 *
 * The device tree: the root devnode HTREE\ROOT\0, and below it every
 * devnode the PnP manager has attached and not removed (pnpbox's root bus
 * enumerates every device).  A devnode that exists only in the registry
 * (installed, never started, or removed) is a phantom: CM_Locate_DevNodeW
 * finds it only with CM_LOCATE_DEVNODE_PHANTOM.  A DEVINST is the id of
 * the devnode's CCS\Enum\<instance> key (the root's: CCS\Enum), so it stays
 * valid as long as the key exists and never names another devnode.
 *
 * Notifications: interface arrival and removal reach the callbacks
 * through the PnP manager's interface listener as they happen, each
 * callback running as the component that registered it; there is none for
 * interfaces that already exist (the documented register-then-list
 * pattern).  Device-instance events (enumerated, started, removed) are
 * found by comparing the devnodes with what was last seen, at every
 * cfgmgr32 call, interface event and change of CCS\Enum, and when a test
 * asks (pnpbox_um_pump): Windows delivers them asynchronously too.
 *
 * CM_Get_Device_Interface_ListW is judged as an interface lookup
 * (IFACE-NO-NOTIFICATION when the component registered no arrival
 * notification for the class).  Choices where the documentation is silent
 * are marked "pnpbox's choice" and listed in docs/user-mode.md.
 */
#include <cfgmgr32.h>
#include <devpkey.h>

#include "emu/um_int.h"

#include "base/pb_buf.h"
#include "base/pb_utf16.h"

#include <ntstatus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ROOT_ID "HTREE\\ROOT\\0"

/* The keys devpkey.h declares, defined here (cfgmgr32.h users define their own with initguid.h). */
static const GUID fmt_device = {0xa45c254e, 0xdf1c, 0x4efd, {0x80, 0x20, 0x67, 0xd1, 0x46, 0xa8, 0x50, 0xe0}};
static const GUID fmt_instance = {0x78c34fc8, 0x104a, 0x4aca, {0x9e, 0xa4, 0x52, 0x4d, 0x52, 0x99, 0x6e, 0x57}};
static const GUID fmt_status = {0x4340a6c5, 0x93fa, 0x4706, {0x97, 0x2c, 0x7b, 0x64, 0x80, 0x08, 0xa5, 0xa7}};

/* CONFIGRET as an NTSTATUS, for the audit record. */
static emu_status cr_status(CONFIGRET cr)
{
    switch (cr) {
    case CR_SUCCESS: return STATUS_SUCCESS;
    case CR_BUFFER_SMALL: return STATUS_BUFFER_TOO_SMALL;
    case CR_ACCESS_DENIED: return STATUS_ACCESS_DENIED;
    case CR_OUT_OF_MEMORY: return STATUS_INSUFFICIENT_RESOURCES;
    case CR_NO_SUCH_VALUE:
    case CR_NO_SUCH_REGISTRY_KEY:
    case CR_NO_SUCH_DEVICE_INTERFACE:
    case CR_NO_SUCH_DEVNODE: return STATUS_OBJECT_NAME_NOT_FOUND;
    default: return STATUS_UNSUCCESSFUL;
    }
}

static void record(pnpbox_machine *m, const char *api, emu_op op, const char *path, void *caller, CONFIGRET cr)
{
    emu_access a = {.api = api, .kind = EMU_ACC_OTHER, .op = op, .path = path, .caller = caller};
    emu_record(m, &a, NULL, cr_status(cr));
}

static void guid_u8(const GUID *g, char out[39])
{
    snprintf(out, 39, "{%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}", (unsigned)g->Data1, g->Data2, g->Data3,
             g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}

static int guid_parse(const char *s, GUID *g)
{
    unsigned a, b, c, d[8];
    int n = 0;
    if (sscanf(s, "{%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x}%n", &a, &b, &c, &d[0], &d[1], &d[2], &d[3], &d[4], &d[5],
               &d[6], &d[7], &n) != 11 ||
        n != 38 || s[38])
        return -1;
    g->Data1 = a;
    g->Data2 = (USHORT)b;
    g->Data3 = (USHORT)c;
    for (int i = 0; i < 8; i++)
        g->Data4[i] = (UCHAR)d[i];
    return 0;
}

/* ---------------------------------------------------------------- devnodes */

/* A well-formed device instance ID: ENUMERATOR\DEVICE\INSTANCE, printable ASCII without ','. */
static int valid_id(const uint16_t *id, size_t n)
{
    if (!n || n >= MAX_DEVICE_ID_LEN)
        return 0;
    int seps = 0;
    for (size_t i = 0; i < n; i++) {
        if (id[i] == '\\') {
            if (!i || i + 1 == n || id[i - 1] == '\\')
                return 0;
            seps++;
        } else if (id[i] <= 0x20 || id[i] >= 0x7F || id[i] == ',') {
            return 0;
        }
    }
    return seps == 2;
}

typedef struct dnode {
    int root;
    char inst[2500]; /* as the Enum keys spell it (3 names of up to 255 units, UTF-8) */
    regdb_key key;
} dnode;

/* What a DEVINST names: 0 and *out filled, or -1 (CR_INVALID_DEVNODE). */
static int dn_resolve(pnpbox_machine *m, DEVINST dn, dnode *out)
{
    regdb_key en;
    if (!dn || emu_ccs_open(m, "Enum", &en) < 0)
        return -1;
    memset(out, 0, sizeof *out);
    if ((regdb_key)dn == en) {
        out->root = 1;
        snprintf(out->inst, sizeof out->inst, "%s", ROOT_ID);
        out->key = en;
        return 0;
    }
    char part[3][800];
    regdb_key k = (regdb_key)dn;
    for (int lvl = 2; lvl >= 0; lvl--) {
        regdb_key_info i;
        if (regdb_query_key(m->reg, k, &i) < 0 || !i.parent)
            return -1;
        char *u = pb_utf8_from_wcs(i.name, i.name_len);
        if (!u || strlen(u) >= sizeof part[0]) {
            free(u);
            return -1;
        }
        snprintf(part[lvl], sizeof part[lvl], "%s", u);
        free(u);
        k = i.parent;
    }
    if (k != en)
        return -1;
    snprintf(out->inst, sizeof out->inst, "%s\\%s\\%s", part[0], part[1], part[2]);
    out->key = (regdb_key)dn;
    return 0;
}

static int present(pnpbox_machine *m, const dnode *d)
{
    if (d->root)
        return 1;
    umk_devnode u;
    return umk_devnode_find(m, d->inst, &u) && u.present;
}

/* The present devnodes below the root, in instance-ID order (case-insensitive). */
typedef struct kid {
    char *inst;
    regdb_key key;
} kid;

typedef struct kids {
    kid *v;
    size_t n, cap;
    int oom;
} kids;

static void kids_add(void *ctx, const umk_devnode *d)
{
    kids *k = ctx;
    if (!d->present)
        return;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 16;
        kid *p = realloc(k->v, cap * sizeof *p);
        if (!p) {
            k->oom = 1;
            return;
        }
        k->v = p;
        k->cap = cap;
    }
    char *s = strdup(d->instance);
    if (!s) {
        k->oom = 1;
        return;
    }
    k->v[k->n++] = (kid){s, d->key};
}

static int kid_cmp(const void *a, const void *b) { return strcasecmp(((const kid *)a)->inst, ((const kid *)b)->inst); }

static int kids_get(pnpbox_machine *m, kids *k)
{
    memset(k, 0, sizeof *k);
    umk_devnode_each(m, kids_add, k);
    if (k->n)
        qsort(k->v, k->n, sizeof *k->v, kid_cmp);
    return k->oom ? -1 : 0;
}

static void kids_free(kids *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->v[i].inst);
    free(k->v);
}

CONFIGRET WINAPI CM_Locate_DevNodeW(PDEVINST pdnDevInst, DEVINSTID_W pDeviceID, ULONG ulFlags)
{
    if (!pdnDevInst)
        return CR_INVALID_POINTER;
    *pdnDevInst = 0;
    if (ulFlags & ~(ULONG)CM_LOCATE_DEVNODE_BITS)
        return CR_INVALID_FLAG;
    pnpbox_machine *m = um_enter();
    if (!m)
        return CR_OUT_OF_MEMORY;
    um_cfg_pump(m);
    CONFIGRET cr;
    const uint16_t *id = (const uint16_t *)pDeviceID;
    size_t n = um_wcslen(id);
    regdb_key en, k;
    if (emu_ccs_open(m, "Enum", &en) < 0) {
        cr = CR_REGISTRY_ERROR;
    } else if (!n || pb_wcsieq_ascii(id, n, ROOT_ID)) {
        *pdnDevInst = (DEVINST)en; /* NULL or empty: the root devnode */
        cr = CR_SUCCESS;
    } else if (!valid_id(id, n)) {
        cr = CR_INVALID_DEVICE_ID;
    } else if (regdb_open_key(m->reg, en, id, n, 0, &k) < 0 || (uint64_t)k > 0xFFFFFFFFu) {
        cr = CR_NO_SUCH_DEVNODE;
    } else {
        dnode d;
        if (dn_resolve(m, (DEVINST)k, &d) < 0)
            cr = CR_NO_SUCH_DEVNODE;
        else if (!(ulFlags & CM_LOCATE_DEVNODE_PHANTOM) && !present(m, &d))
            cr = CR_NO_SUCH_DEVNODE; /* installed but not in the tree: a phantom */
        else {
            *pdnDevInst = (DEVINST)k;
            cr = CR_SUCCESS;
        }
    }
    emu_unlock(m);
    return cr;
}

/*
 * The ID without its NUL when it fits exactly, the truncated ID and
 * CR_BUFFER_SMALL when it does not (CM_Get_Device_ID's documentation: "as
 * much of the identifier string as will fit").
 */
CONFIGRET WINAPI CM_Get_Device_IDW(DEVINST dnDevInst, PWSTR Buffer, ULONG BufferLen, ULONG ulFlags)
{
    if (!Buffer)
        return CR_INVALID_POINTER;
    if (ulFlags)
        return CR_INVALID_FLAG;
    pnpbox_machine *m = um_enter();
    if (!m)
        return CR_OUT_OF_MEMORY;
    um_cfg_pump(m);
    dnode d;
    CONFIGRET cr;
    uint16_t *w = NULL;
    if (dn_resolve(m, dnDevInst, &d) < 0) {
        cr = CR_INVALID_DEVNODE;
    } else if (!(w = pb_wcs_from_utf8(d.inst))) {
        cr = CR_OUT_OF_MEMORY;
    } else {
        size_t n = pb_wcslen(w);
        if (n > BufferLen) {
            memcpy(Buffer, w, BufferLen * 2);
            cr = CR_BUFFER_SMALL;
        } else {
            memcpy(Buffer, w, n * 2);
            if (n < BufferLen)
                Buffer[n] = 0;
            cr = CR_SUCCESS;
        }
    }
    free(w);
    emu_unlock(m);
    return cr;
}

CONFIGRET WINAPI CM_Get_Device_ID_Size(PULONG pulLen, DEVINST dnDevInst, ULONG ulFlags)
{
    if (!pulLen)
        return CR_INVALID_POINTER;
    *pulLen = 0;
    if (ulFlags)
        return CR_INVALID_FLAG;
    pnpbox_machine *m = um_enter();
    if (!m)
        return CR_OUT_OF_MEMORY;
    um_cfg_pump(m);
    dnode d;
    CONFIGRET cr = CR_INVALID_DEVNODE;
    if (dn_resolve(m, dnDevInst, &d) == 0) {
        uint16_t *w = pb_wcs_from_utf8(d.inst);
        *pulLen = w ? (ULONG)pb_wcslen(w) : 0; /* characters, without the NUL */
        cr = w ? CR_SUCCESS : CR_OUT_OF_MEMORY;
        free(w);
    }
    emu_unlock(m);
    return cr;
}

enum { NAV_PARENT, NAV_CHILD, NAV_SIBLING };

static CONFIGRET navigate(int how, PDEVINST out, DEVINST dn, ULONG flags)
{
    if (!out)
        return CR_INVALID_POINTER;
    *out = 0;
    if (flags)
        return CR_INVALID_FLAG;
    pnpbox_machine *m = um_enter();
    if (!m)
        return CR_OUT_OF_MEMORY;
    um_cfg_pump(m);
    CONFIGRET cr = CR_NO_SUCH_DEVNODE;
    dnode d;
    kids k;
    regdb_key en;
    if (dn_resolve(m, dn, &d) < 0 || emu_ccs_open(m, "Enum", &en) < 0) {
        cr = CR_INVALID_DEVNODE;
    } else if (kids_get(m, &k) < 0) {
        kids_free(&k);
        cr = CR_OUT_OF_MEMORY;
    } else {
        if (how == NAV_PARENT) {
            /* Every device is enumerated by pnpbox's root bus: its parent is the root. */
            if (!d.root && present(m, &d)) {
                *out = (DEVINST)en;
                cr = CR_SUCCESS;
            }
        } else if (how == NAV_CHILD) {
            if (d.root && k.n) {
                *out = (DEVINST)k.v[0].key;
                cr = CR_SUCCESS;
            }
        } else if (!d.root) {
            for (size_t i = 0; i + 1 < k.n; i++)
                if (k.v[i].key == d.key) {
                    *out = (DEVINST)k.v[i + 1].key;
                    cr = CR_SUCCESS;
                    break;
                }
        }
        kids_free(&k);
    }
    emu_unlock(m);
    return cr;
}

CONFIGRET WINAPI CM_Get_Parent(PDEVINST pdnDevInst, DEVINST dnDevInst, ULONG ulFlags)
{
    return navigate(NAV_PARENT, pdnDevInst, dnDevInst, ulFlags);
}

CONFIGRET WINAPI CM_Get_Child(PDEVINST pdnDevInst, DEVINST dnDevInst, ULONG ulFlags)
{
    return navigate(NAV_CHILD, pdnDevInst, dnDevInst, ulFlags);
}

CONFIGRET WINAPI CM_Get_Sibling(PDEVINST pdnDevInst, DEVINST dnDevInst, ULONG ulFlags)
{
    return navigate(NAV_SIBLING, pdnDevInst, dnDevInst, ulFlags);
}

/* DN_* status and problem of a present devnode; 0, or -1 for a phantom. */
static int dn_status(pnpbox_machine *m, const dnode *d, ULONG *status, ULONG *problem)
{
    if (d->root) {
        *status = DN_DRIVER_LOADED | DN_STARTED | DN_NT_ENUMERATOR | DN_NT_DRIVER;
        *problem = 0;
        return 0;
    }
    umk_devnode u;
    if (!umk_devnode_find(m, d->inst, &u) || !u.present)
        return -1;
    ULONG s = DN_NT_ENUMERATOR | DN_NT_DRIVER;
    if (!strncasecmp(d->inst, "ROOT\\", 5))
        s |= DN_ROOT_ENUMERATED;
    if (u.started)
        s |= DN_DRIVER_LOADED | DN_STARTED | DN_DISABLEABLE;
    if (u.problem)
        s |= DN_HAS_PROBLEM | DN_DISABLEABLE;
    *status = s;
    *problem = u.problem;
    return 0;
}

/*
 * A started device: DN_DRIVER_LOADED | DN_STARTED | DN_DISABLEABLE |
 * DN_NT_ENUMERATOR | DN_NT_DRIVER (+ DN_ROOT_ENUMERATED below ROOT\); a
 * failed one DN_HAS_PROBLEM and its CM_PROB_* code; one attached but not
 * started yet neither (pnpbox's choice).  A phantom devnode:
 * CR_NO_SUCH_DEVINST.
 */
CONFIGRET WINAPI CM_Get_DevNode_Status(PULONG pulStatus, PULONG pulProblemNumber, DEVINST dnDevInst, ULONG ulFlags)
{
    if (!pulStatus || !pulProblemNumber)
        return CR_INVALID_POINTER;
    if (ulFlags)
        return CR_INVALID_FLAG;
    pnpbox_machine *m = um_enter();
    if (!m)
        return CR_OUT_OF_MEMORY;
    um_cfg_pump(m);
    dnode d;
    CONFIGRET cr;
    ULONG s = 0, p = 0;
    if (dn_resolve(m, dnDevInst, &d) < 0)
        cr = CR_INVALID_DEVNODE;
    else if (dn_status(m, &d, &s, &p) < 0)
        cr = CR_NO_SUCH_DEVINST;
    else {
        *pulStatus = s;
        *pulProblemNumber = p;
        cr = CR_SUCCESS;
    }
    emu_unlock(m);
    return cr;
}

/* ---------------------------------------------------------------- properties */

typedef struct prop {
    DEVPROPTYPE type;
    uint8_t *data; /* malloc'd */
    size_t len;
} prop;

/* A string value of the Enum key as DEVPROP_TYPE_STRING (or STRING_LIST for MULTI_SZ). */
static int prop_reg(pnpbox_machine *m, regdb_key k, const char *name, int list, prop *out)
{
    uint16_t *w = pb_wcs_from_utf8(name);
    regdb_value v;
    int rc = w ? regdb_query_value(m->reg, k, w, pb_wcslen(w), &v) : -1;
    free(w);
    if (rc < 0 || (v.type != REG_SZ && v.type != REG_EXPAND_SZ && v.type != REG_MULTI_SZ))
        return -1;
    size_t n = v.data_len / 2;
    const uint16_t *d = v.data;
    while (n && !d[n - 1])
        n--;
    /* A list ends in two NULs, a string in one. */
    size_t total = n + (list ? 2 : 1);
    out->data = calloc(total, 2);
    if (!out->data)
        return -1;
    if (n)
        memcpy(out->data, d, n * 2);
    out->len = total * 2;
    out->type = list ? DEVPROP_TYPE_STRING_LIST : DEVPROP_TYPE_STRING;
    if (!list && !strcmp(name, "DeviceDesc")) {
        /* An INF-written description is "@oem0.inf,%key%;Text": the text after the ';'. */
        uint16_t *s = (uint16_t *)out->data;
        if (n && s[0] == '@') {
            size_t semi = n;
            while (semi > 0 && s[semi - 1] != ';')
                semi--;
            if (semi) {
                memmove(s, s + semi, (n - semi) * 2);
                s[n - semi] = 0;
                out->len = (n - semi + 1) * 2;
            }
        }
    }
    return 0;
}

static int prop_str(const char *s, prop *out)
{
    uint16_t *w = pb_wcs_from_utf8(s);
    if (!w)
        return -1;
    out->type = DEVPROP_TYPE_STRING;
    out->data = (uint8_t *)w;
    out->len = (pb_wcslen(w) + 1) * 2;
    return 0;
}

static int prop_u32(uint32_t v, prop *out)
{
    out->data = malloc(4);
    if (!out->data)
        return -1;
    memcpy(out->data, &v, 4);
    out->len = 4;
    out->type = DEVPROP_TYPE_UINT32;
    return 0;
}

/* The property, or -1 (CR_NO_SUCH_VALUE). */
static int get_prop(pnpbox_machine *m, const dnode *d, const DEVPROPKEY *key, prop *out)
{
    memset(out, 0, sizeof *out);
    if (IsEqualGUID(&key->fmtid, &fmt_instance) && key->pid == 256)
        return prop_str(d->inst, out);
    ULONG st, pr;
    if (IsEqualGUID(&key->fmtid, &fmt_status)) {
        if (dn_status(m, d, &st, &pr) < 0)
            return -1;
        if (key->pid == 2)
            return prop_u32(st, out);
        if (key->pid == 3)
            return prop_u32(pr, out);
        if (key->pid == 8 && !d->root)
            return prop_str(ROOT_ID, out);
        return -1;
    }
    if (d->root)
        return -1;
    if (IsEqualGUID(&key->fmtid, &fmt_device)) {
        switch (key->pid) {
        case 2: return prop_reg(m, d->key, "DeviceDesc", 0, out);
        case 3: return prop_reg(m, d->key, "HardwareID", 1, out);
        case 4: return prop_reg(m, d->key, "CompatibleIDs", 1, out);
        case 6: return prop_reg(m, d->key, "Service", 0, out);
        case 9: return prop_reg(m, d->key, "Class", 0, out);
        case 11: return prop_reg(m, d->key, "Driver", 0, out);
        case 13: return prop_reg(m, d->key, "Mfg", 0, out);
        case 14: return prop_reg(m, d->key, "FriendlyName", 0, out);
        case 19: return prop_reg(m, d->key, "UpperFilters", 1, out);
        case 20: return prop_reg(m, d->key, "LowerFilters", 1, out);
        case 10: {
            prop s;
            if (prop_reg(m, d->key, "ClassGUID", 0, &s) < 0)
                return -1;
            char *u = pb_utf8_from_wcs((const uint16_t *)s.data, s.len / 2 - 1);
            free(s.data);
            GUID g;
            int ok = u && guid_parse(u, &g) == 0;
            free(u);
            if (!ok || !(out->data = malloc(sizeof g)))
                return -1;
            memcpy(out->data, &g, sizeof g);
            out->len = sizeof g;
            out->type = DEVPROP_TYPE_GUID;
            return 0;
        }
        case 12: {
            uint32_t v;
            if (regdb_get_dword(m->reg, d->key, (const uint16_t *)L"ConfigFlags", &v) < 0)
                return -1;
            return prop_u32(v, out);
        }
        case 24: {
            char e[MAX_DEVICE_ID_LEN];
            snprintf(e, sizeof e, "%.*s", (int)strcspn(d->inst, "\\"), d->inst);
            return prop_str(e, out);
        }
        default: break;
        }
    }
    /* Anything else the device's Properties key holds (IoGetDeviceDirectory's
     * DEVPKEY_Device_StateDirectoryId among them). */
    uint32_t type;
    void *data = NULL;
    size_t len = 0;
    if (umk_devprop_get(m, d->key, &key->fmtid, key->pid, &type, &data, &len) < 0)
        return -1;
    out->type = type;
    out->data = data;
    out->len = len;
    return 0;
}

CONFIGRET WINAPI CM_Get_DevNode_PropertyW(DEVINST dnDevInst, const DEVPROPKEY *PropertyKey, DEVPROPTYPE *PropertyType,
                                          PBYTE PropertyBuffer, PULONG PropertyBufferSize, ULONG ulFlags)
{
    void *caller = __builtin_return_address(0);
    /* The argument checks of cfgmgr32 (Wine's cfgmgr32 property tests on Windows). */
    if (!PropertyType || !PropertyBufferSize || (!PropertyBuffer && *PropertyBufferSize))
        return CR_INVALID_POINTER;
    if (!PropertyKey)
        return CR_FAILURE;
    if (ulFlags)
        return CR_INVALID_FLAG;
    pnpbox_machine *m = um_enter();
    if (!m)
        return CR_OUT_OF_MEMORY;
    um_cfg_pump(m);
    dnode d;
    prop p;
    memset(&p, 0, sizeof p);
    CONFIGRET cr;
    if (dn_resolve(m, dnDevInst, &d) < 0) {
        cr = CR_INVALID_DEVNODE;
    } else if (get_prop(m, &d, PropertyKey, &p) < 0) {
        /* pnpbox's choice: an empty type and size come back with CR_NO_SUCH_VALUE. */
        *PropertyType = DEVPROP_TYPE_EMPTY;
        *PropertyBufferSize = 0;
        cr = CR_NO_SUCH_VALUE;
    } else {
        *PropertyType = p.type;
        if (p.len > *PropertyBufferSize) {
            cr = CR_BUFFER_SMALL; /* the buffer stays as it was */
        } else {
            if (p.len)
                memcpy(PropertyBuffer, p.data, p.len);
            cr = CR_SUCCESS;
        }
        *PropertyBufferSize = (ULONG)p.len;
        free(p.data);
        char *path = emu_key_path_u8(m, d.key);
        record(m, "CM_Get_DevNode_PropertyW", EMU_OP_QUERY, path, caller, cr);
        free(path);
    }
    emu_unlock(m);
    return cr;
}

/* ---------------------------------------------------------------- the device's keys */

/* The component whose device state an Enum key is: its function driver. */
static pnpbox_component *device_owner(pnpbox_machine *m, regdb_key inst)
{
    uint16_t *svc = NULL;
    size_t n;
    if (regdb_get_sz(m->reg, inst, (const uint16_t *)L"Service", &svc, &n) < 0)
        return NULL;
    char *u = pb_utf8_from_wcs(svc, n);
    free(svc);
    pnpbox_component *c = u ? emu_comp_find(m, PNPBOX_COMP_KERNEL_DRIVER, u) : NULL;
    if (!c && u)
        c = emu_comp_find(m, PNPBOX_COMP_WIN32_SERVICE, u);
    free(u);
    return c;
}

/* A new software key Control\Class\{class}\NNNN for a device without one (what the PnP manager
 * does for CM_Open_DevNode_Key(SOFTWARE, RegDisposition_OpenAlways)); its name goes into the
 * device's Driver value.  0, or -1 when the device has no ClassGUID. */
static int new_driver_key(pnpbox_machine *m, regdb_key inst, char *out, size_t cap)
{
    uint16_t *cg = NULL;
    size_t n;
    if (regdb_get_sz(m->reg, inst, (const uint16_t *)L"ClassGUID", &cg, &n) < 0)
        return -1;
    char *u = pb_utf8_from_wcs(cg, n);
    free(cg);
    GUID g;
    if (!u || guid_parse(u, &g) < 0) {
        free(u);
        return -1;
    }
    char gs[39];
    guid_u8(&g, gs);
    free(u);
    for (unsigned i = 0; i < 10000; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "Control\\Class\\%s\\%04u", gs, i);
        regdb_key k;
        if (emu_ccs_open(m, rel, &k) == 0)
            continue;
        snprintf(out, cap, "%s\\%04u", gs, i);
        uint16_t *w = pb_wcs_from_utf8(out);
        int rc = w ? regdb_set_sz(m->reg, inst, (const uint16_t *)L"Driver", w) : -1;
        free(w);
        return rc < 0 ? -1 : 0;
    }
    return -1;
}

/*
 * CM_REGISTRY_HARDWARE: Enum\<instance>\Device Parameters;
 * CM_REGISTRY_SOFTWARE: Control\Class\<Driver> (reference §0, §1.3).
 * CM_REGISTRY_CONFIG puts them under Hardware Profiles\<profile>\System\CurrentControlSet
 * (0: Current) and CM_REGISTRY_USER under LocalSystem's
 * HKEY_USERS\S-1-5-18\System\CurrentControlSet: both locations UNCONFIRMED
 * (reference §5 item 6), pnpbox's choice.
 */
CONFIGRET WINAPI CM_Open_DevNode_Key(DEVINST dnDevNode, REGSAM samDesired, ULONG ulHardwareProfile,
                                     REGDISPOSITION Disposition, PHKEY phkDevice, ULONG ulFlags)
{
    void *caller = __builtin_return_address(0);
    if (!phkDevice)
        return CR_INVALID_POINTER;
    *phkDevice = NULL;
    if ((ulFlags & ~(ULONG)CM_REGISTRY_BITS) ||
        ((ulFlags & CM_REGISTRY_USER) && (ulFlags & CM_REGISTRY_CONFIG)))
        return CR_INVALID_FLAG;
    if (Disposition & ~(ULONG)RegDisposition_Bits)
        return CR_INVALID_DATA;
    pnpbox_machine *m = um_enter();
    if (!m)
        return CR_OUT_OF_MEMORY;
    um_cfg_pump(m);
    CONFIGRET cr;
    dnode d;
    int software = (ulFlags & CM_REGISTRY_SOFTWARE) != 0;
    int create = Disposition == RegDisposition_OpenAlways;
    char rel[2700], tail[900];
    regdb_key base = m->ccs;
    if (dn_resolve(m, dnDevNode, &d) < 0) {
        cr = CR_INVALID_DEVNODE;
        goto out;
    }
    if (software) {
        uint16_t *drv = NULL;
        size_t n = 0;
        char *u = NULL;
        if (!d.root && regdb_get_sz(m->reg, d.key, (const uint16_t *)L"Driver", &drv, &n) == 0 && n)
            u = pb_utf8_from_wcs(drv, n);
        free(drv);
        if (!u && (d.root || !create || new_driver_key(m, d.key, tail, sizeof tail) < 0)) {
            cr = CR_NO_SUCH_REGISTRY_KEY;
            goto out;
        }
        if (u) {
            snprintf(tail, sizeof tail, "%s", u);
            free(u);
        }
        snprintf(rel, sizeof rel, "Control\\Class\\%s", tail);
    } else if (ulFlags & (CM_REGISTRY_USER | CM_REGISTRY_CONFIG)) {
        snprintf(rel, sizeof rel, "Enum\\%s", d.inst);
    } else {
        snprintf(rel, sizeof rel, "Enum\\%s\\Device Parameters", d.inst);
    }
    char full[2800];
    const char *which = software ? "CM_REGISTRY_SOFTWARE" : "CM_REGISTRY_HARDWARE";
    if (ulFlags & CM_REGISTRY_CONFIG) {
        char prof[16];
        if (ulHardwareProfile)
            snprintf(prof, sizeof prof, "%04u", (unsigned)ulHardwareProfile % 10000);
        else
            snprintf(prof, sizeof prof, "Current");
        snprintf(full, sizeof full, "Hardware Profiles\\%s\\System\\CurrentControlSet\\%s", prof, rel);
        which = software ? "CM_REGISTRY_SOFTWARE|CM_REGISTRY_CONFIG" : "CM_REGISTRY_HARDWARE|CM_REGISTRY_CONFIG";
    } else if (ulFlags & CM_REGISTRY_USER) {
        if (regdb_open_key_u8(m->reg, 0, "\\REGISTRY\\USER\\S-1-5-18", &base) < 0) {
            cr = CR_REGISTRY_ERROR;
            goto out;
        }
        snprintf(full, sizeof full, "System\\CurrentControlSet\\%s", rel);
        which = software ? "CM_REGISTRY_SOFTWARE|CM_REGISTRY_USER" : "CM_REGISTRY_HARDWARE|CM_REGISTRY_USER";
    } else {
        snprintf(full, sizeof full, "%s", rel);
    }
    emu_prov prov;
    memset(&prov, 0, sizeof prov);
    prov.api = "CM_Open_DevNode_Key";
    prov.sel = which;
    prov.approved = 1;
    prov.owner = emu_comp();
    prov.scope_owner = d.root ? NULL : device_owner(m, d.key);
    prov.scope = software ? EMU_SCOPE_DEVICE_SW : EMU_SCOPE_DEVICE_HW;
    void *h = NULL;
    emu_status st = um_open_state_key(m, "CM_Open_DevNode_Key", base, full, create, samDesired, &prov, caller, &h);
    if (st == STATUS_SUCCESS) {
        *phkDevice = h;
        cr = CR_SUCCESS;
    } else {
        cr = st == STATUS_OBJECT_NAME_NOT_FOUND ? CR_NO_SUCH_REGISTRY_KEY
             : st == STATUS_ACCESS_DENIED       ? CR_ACCESS_DENIED
                                                : CR_REGISTRY_ERROR;
    }
out:
    emu_unlock(m);
    return cr;
}

/* ---------------------------------------------------------------- device interfaces */

/* A symbolic link's parts: the interface key (ControlSet001-relative) and class. */
typedef struct link_parts {
    char iface_rel[1200]; /* Control\DeviceClasses\{guid}\##?#<inst>#{guid} */
    char ref[300];        /* "" without a reference string */
    GUID cls;
} link_parts;

/* Parse "\\?\<instance, '\' as '#'>#{guid}[\ref]" (or the kernel's "\??\" form). */
static int parse_link(const uint16_t *s, size_t n, link_parts *out)
{
    char *u = pb_utf8_from_wcs(s, n);
    if (!u)
        return -1;
    int rc = -1;
    const char *p = u;
    if (strncmp(p, "\\\\?\\", 4) && strncmp(p, "\\??\\", 4))
        goto done;
    p += 4;
    /* The class GUID follows the last "#{" that starts a GUID ending the name or followed by '\'. */
    const char *g = NULL;
    for (const char *q = strstr(p, "#{"); q; q = strstr(q + 1, "#{")) {
        char gs[39];
        if (strlen(q + 1) < 38)
            break;
        memcpy(gs, q + 1, 38);
        gs[38] = 0;
        GUID tmp;
        if (guid_parse(gs, &tmp) == 0 && (q[39] == 0 || q[39] == '\\'))
            g = q;
    }
    if (!g || g == p)
        goto done;
    char gs[39];
    memcpy(gs, g + 1, 38);
    gs[38] = 0;
    if (guid_parse(gs, &out->cls) < 0)
        goto done;
    guid_u8(&out->cls, gs);
    const char *ref = g[39] == '\\' ? g + 40 : "";
    if (strlen(ref) >= sizeof out->ref || strchr(ref, '\\') || (g[39] == '\\' && !*ref))
        goto done;
    snprintf(out->ref, sizeof out->ref, "%s", ref);
    int il = (int)(g - p);
    if ((size_t)snprintf(out->iface_rel, sizeof out->iface_rel, "Control\\DeviceClasses\\%s\\##?#%.*s#%s", gs, il, p,
                         gs) >= sizeof out->iface_rel)
        goto done;
    rc = 0;
done:
    free(u);
    return rc;
}

CONFIGRET WINAPI CM_Open_Device_Interface_KeyW(LPCWSTR pszDeviceInterface, REGSAM samDesired,
                                               REGDISPOSITION Disposition, PHKEY phkDeviceInterface, ULONG ulFlags)
{
    void *caller = __builtin_return_address(0);
    if (!pszDeviceInterface || !phkDeviceInterface)
        return CR_INVALID_POINTER;
    *phkDeviceInterface = NULL;
    if (ulFlags)
        return CR_INVALID_FLAG;
    if (Disposition & ~(ULONG)RegDisposition_Bits)
        return CR_INVALID_DATA;
    pnpbox_machine *m = um_enter();
    if (!m)
        return CR_OUT_OF_MEMORY;
    um_cfg_pump(m);
    CONFIGRET cr;
    link_parts lp;
    regdb_key ik, rk;
    char rel[1600];
    if (parse_link((const uint16_t *)pszDeviceInterface, um_wcslen(pszDeviceInterface), &lp) < 0) {
        cr = CR_INVALID_DATA;
        goto out;
    }
    snprintf(rel, sizeof rel, "%s\\#%s", lp.iface_rel, lp.ref);
    if (emu_ccs_open(m, lp.iface_rel, &ik) < 0 || emu_ccs_open(m, rel, &rk) < 0) {
        cr = CR_NO_SUCH_DEVICE_INTERFACE;
        goto out;
    }
    /* Whose state: the function driver of the device the interface belongs to. */
    pnpbox_component *owner = NULL;
    uint16_t *inst = NULL;
    size_t n;
    if (regdb_get_sz(m->reg, ik, (const uint16_t *)L"DeviceInstance", &inst, &n) == 0) {
        regdb_key en, dk;
        if (emu_ccs_open(m, "Enum", &en) == 0 && regdb_open_key(m->reg, en, inst, n, 0, &dk) == 0)
            owner = device_owner(m, dk);
    }
    free(inst);
    emu_prov prov;
    memset(&prov, 0, sizeof prov);
    prov.api = "CM_Open_Device_Interface_Key";
    prov.approved = 1;
    prov.owner = emu_comp();
    prov.scope_owner = owner;
    prov.scope = EMU_SCOPE_IFACE;
    void *h = NULL;
    /* The non-volatile "Device Parameters" below the reference key (reference §1.4). */
    emu_status st = um_open_state_key(m, "CM_Open_Device_Interface_KeyW", rk, "Device Parameters",
                                      Disposition == RegDisposition_OpenAlways, samDesired, &prov, caller, &h);
    if (st == STATUS_SUCCESS) {
        *phkDeviceInterface = h;
        cr = CR_SUCCESS;
    } else {
        cr = st == STATUS_OBJECT_NAME_NOT_FOUND ? CR_NO_SUCH_REGISTRY_KEY
             : st == STATUS_ACCESS_DENIED       ? CR_ACCESS_DENIED
                                                : CR_REGISTRY_ERROR;
    }
out:
    emu_unlock(m);
    return cr;
}

/*
 * The interfaces of a class, as a REG_MULTI_SZ of user-mode symbolic links
 * (each the reference key's SymbolicLink value): all registered ones
 * (CM_GET_DEVICE_INTERFACE_LIST_ALL_DEVICES) or the enabled ones
 * (Control\Linked = 1), of one device or of all.  Registry order.
 */
static int iface_list(pnpbox_machine *m, const GUID *cls, const uint16_t *dev, size_t devn, int all, pb_buf *out)
{
    char gs[39], rel[80];
    guid_u8(cls, gs);
    snprintf(rel, sizeof rel, "Control\\DeviceClasses\\%s", gs);
    regdb_key ck;
    if (emu_ccs_open(m, rel, &ck) == 0) {
        regdb_key_entry e;
        for (uint32_t i = 0; regdb_enum_key(m->reg, ck, i, &e) == 0; i++) {
            regdb_key ik = e.id;
            if (dev) {
                uint16_t *di = NULL;
                size_t dn = 0;
                int same = regdb_get_sz(m->reg, ik, (const uint16_t *)L"DeviceInstance", &di, &dn) == 0 &&
                           pb_wcsnieq(di, dn, dev, devn);
                free(di);
                if (!same)
                    continue;
            }
            regdb_key_entry e2;
            for (uint32_t j = 0; regdb_enum_key(m->reg, ik, j, &e2) == 0; j++) {
                regdb_key rk = e2.id;
                if (!e2.name_len || e2.name[0] != '#')
                    continue;
                if (!all) {
                    regdb_key ctl;
                    uint32_t linked = 0;
                    if (regdb_open_key_u8(m->reg, rk, "Control", &ctl) < 0 ||
                        regdb_get_dword(m->reg, ctl, (const uint16_t *)L"Linked", &linked) < 0 || linked != 1)
                        continue;
                }
                uint16_t *link = NULL;
                size_t ln = 0;
                if (regdb_get_sz(m->reg, rk, (const uint16_t *)L"SymbolicLink", &link, &ln) == 0 && ln) {
                    pb_buf_add_wcs(out, link, ln);
                    pb_buf_add_u16(out, 0);
                }
                free(link);
            }
        }
    }
    pb_buf_add_u16(out, 0);
    return out->oom ? -1 : 0;
}

/* Validate an optional device filter: CR_SUCCESS, CR_INVALID_DEVICE_ID or CR_NO_SUCH_DEVNODE. */
static CONFIGRET check_device(pnpbox_machine *m, const uint16_t *id, size_t n)
{
    if (!n)
        return CR_SUCCESS;
    if (!valid_id(id, n))
        return CR_INVALID_DEVICE_ID;
    regdb_key en, k;
    if (emu_ccs_open(m, "Enum", &en) < 0 || regdb_open_key(m->reg, en, id, n, 0, &k) < 0)
        return CR_NO_SUCH_DEVNODE;
    return CR_SUCCESS;
}

CONFIGRET WINAPI CM_Get_Device_Interface_List_SizeW(PULONG pulLen, LPGUID InterfaceClassGuid, DEVINSTID_W pDeviceID,
                                                    ULONG ulFlags)
{
    void *caller = __builtin_return_address(0);
    if (!pulLen)
        return CR_INVALID_POINTER;
    *pulLen = 0;
    if (!InterfaceClassGuid)
        return CR_INVALID_POINTER;
    if (ulFlags & ~(ULONG)CM_GET_DEVICE_INTERFACE_LIST_BITS)
        return CR_INVALID_FLAG;
    pnpbox_machine *m = um_enter();
    if (!m)
        return CR_OUT_OF_MEMORY;
    um_cfg_pump(m);
    const uint16_t *dev = (const uint16_t *)pDeviceID;
    size_t dn = um_wcslen(dev);
    CONFIGRET cr = check_device(m, dev, dn);
    if (cr == CR_SUCCESS) {
        pb_buf b = PB_BUF_INIT;
        if (iface_list(m, InterfaceClassGuid, dn ? dev : NULL, dn, ulFlags & CM_GET_DEVICE_INTERFACE_LIST_ALL_DEVICES,
                       &b) < 0)
            cr = CR_OUT_OF_MEMORY;
        else
            *pulLen = (ULONG)(b.len / 2); /* characters, including the list's final NUL */
        pb_buf_free(&b);
    }
    /* Recorded, not judged: the lookup that counts is the list itself. */
    char gs[39];
    guid_u8(InterfaceClassGuid, gs);
    record(m, "CM_Get_Device_Interface_List_SizeW", EMU_OP_LOOKUP, gs, caller, cr);
    emu_unlock(m);
    return cr;
}

CONFIGRET WINAPI CM_Get_Device_Interface_ListW(LPGUID InterfaceClassGuid, DEVINSTID_W pDeviceID, PZZWSTR Buffer,
                                               ULONG BufferLen, ULONG ulFlags)
{
    void *caller = __builtin_return_address(0);
    if (!InterfaceClassGuid || !Buffer || !BufferLen)
        return CR_INVALID_POINTER;
    if (ulFlags & ~(ULONG)CM_GET_DEVICE_INTERFACE_LIST_BITS)
        return CR_INVALID_FLAG;
    pnpbox_machine *m = um_enter();
    if (!m)
        return CR_OUT_OF_MEMORY;
    um_cfg_pump(m);
    char gs[39];
    guid_u8(InterfaceClassGuid, gs);
    /* An interface lookup: the component should have registered for arrivals first (§1.13). */
    emu_access a = {.api = "CM_Get_Device_Interface_ListW", .kind = EMU_ACC_IFACE, .op = EMU_OP_LOOKUP, .path = gs,
                    .iface_class = InterfaceClassGuid, .caller = caller};
    emu_verdict v;
    emu_judge(m, &a, &v);
    CONFIGRET cr;
    const uint16_t *dev = (const uint16_t *)pDeviceID;
    size_t dn = um_wcslen(dev);
    if (v.deny) {
        cr = CR_ACCESS_DENIED;
    } else if ((cr = check_device(m, dev, dn)) == CR_SUCCESS) {
        pb_buf b = PB_BUF_INIT;
        if (iface_list(m, InterfaceClassGuid, dn ? dev : NULL, dn, ulFlags & CM_GET_DEVICE_INTERFACE_LIST_ALL_DEVICES,
                       &b) < 0) {
            cr = CR_OUT_OF_MEMORY;
        } else if (b.len / 2 > BufferLen) {
            Buffer[0] = 0; /* an empty list, and CR_BUFFER_SMALL (the interfaces changed since the size call) */
            cr = CR_BUFFER_SMALL;
        } else {
            memcpy(Buffer, b.data, b.len);
        }
        pb_buf_free(&b);
    }
    emu_record(m, &a, &v, cr_status(cr));
    emu_unlock(m);
    return cr;
}

/* ---------------------------------------------------------------- notifications */

typedef struct cm_hub cm_hub;

typedef struct cm_reg {
    cm_hub *hub;
    CM_NOTIFY_FILTER_TYPE type;
    int all;
    GUID cls;
    uint16_t inst[MAX_DEVICE_ID_LEN];
    size_t inst_len;
    PCM_NOTIFY_CALLBACK cb;
    void *ctx;
    pnpbox_component *comp;
    void *handle; /* the HCMNOTIFICATION, NULL once unregistered */
    struct cm_reg *next;
} cm_reg;

typedef struct seen_dn {
    char *inst;
    int known;   /* its Enum key existed at the last look */
    int found;   /* its Enum key exists (during a look) */
    int started; /* last seen started */
} seen_dn;

/* Per machine: the registrations, the interface listener and the device-instance view. */
struct cm_hub {
    pnpbox_machine *m;
    cm_reg *regs;
    int hook_id;
    int enum_dirty;   /* CCS\Enum's subkeys changed since the last look */
    int have_seen;    /* seen[] holds a snapshot */
    seen_dn *seen;
    size_t nseen, seen_cap;
    int dispatching;  /* callbacks running: unregistered entries are freed afterwards */
    int pumping;
};

static void hub_iface(pnpbox_machine *m, const GUID *cls, const uint16_t *link, size_t n, int arrival, void *ctx);

static cm_hub *hub_get(pnpbox_machine *m) { return umk_listener_ctx(m, hub_iface); }

static void enum_hook(void *ctx, regdb_key watched, regdb_key changed, unsigned what)
{
    (void)watched;
    (void)changed;
    (void)what;
    ((cm_hub *)ctx)->enum_dirty = 1; /* delivery happens at the next pump, outside regdb */
}

static void seen_free(cm_hub *h)
{
    for (size_t i = 0; i < h->nseen; i++)
        free(h->seen[i].inst);
    free(h->seen);
    h->seen = NULL;
    h->nseen = h->seen_cap = 0;
    h->have_seen = 0;
}

static seen_dn *seen_find(cm_hub *h, const char *inst)
{
    for (size_t i = 0; i < h->nseen; i++)
        if (!strcasecmp(h->seen[i].inst, inst))
            return &h->seen[i];
    return NULL;
}

static seen_dn *seen_add(cm_hub *h, const char *inst)
{
    if (h->nseen == h->seen_cap) {
        size_t cap = h->seen_cap ? h->seen_cap * 2 : 16;
        seen_dn *p = realloc(h->seen, cap * sizeof *p);
        if (!p)
            return NULL;
        h->seen = p;
        h->seen_cap = cap;
    }
    char *s = strdup(inst);
    if (!s)
        return NULL;
    h->seen[h->nseen] = (seen_dn){s, 0, 0, 0};
    return &h->seen[h->nseen++];
}

static void hub_free(cm_hub *h)
{
    if (h->hook_id)
        regdb_hook_remove(h->m->reg, h->hook_id);
    umk_listener_remove(h->m, hub_iface, h);
    seen_free(h);
    free(h);
}

/* Free the unregistered entries, and the hub with the last one (not while callbacks run). */
static void hub_sweep(cm_hub *h)
{
    if (h->dispatching)
        return;
    for (cm_reg **pp = &h->regs; *pp;) {
        if (!(*pp)->handle) {
            cm_reg *r = *pp;
            *pp = r->next;
            free(r);
        } else {
            pp = &(*pp)->next;
        }
    }
    if (!h->regs)
        hub_free(h);
}

/* Call one registration's callback as the component that registered it. */
static void deliver(cm_reg *r, CM_NOTIFY_ACTION action, CM_NOTIFY_FILTER_TYPE type, const GUID *cls,
                    const uint16_t *s, size_t n)
{
    size_t fixed = type == CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE
                       ? offsetof(CM_NOTIFY_EVENT_DATA, u.DeviceInterface.SymbolicLink)
                       : offsetof(CM_NOTIFY_EVENT_DATA, u.DeviceInstance.InstanceId);
    size_t size = fixed + (n + 1) * 2;
    CM_NOTIFY_EVENT_DATA *d = calloc(1, size < sizeof *d ? sizeof *d : size);
    if (!d)
        return; /* out of memory: this event is lost, as a full notification queue would lose it */
    d->FilterType = type;
    if (type == CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE)
        d->u.DeviceInterface.ClassGuid = *cls;
    memcpy((uint8_t *)d + fixed, s, n * 2);
    pnpbox_component *prev = pnpbox_enter(r->comp);
    r->cb((HCMNOTIFICATION)r->handle, r->ctx, action, d, (DWORD)size);
    pnpbox_enter(prev);
    free(d);
}

typedef struct snap_ctx {
    cm_hub *h;
    int events; /* deliver (1) or just record the state (0) */
    size_t made;
} snap_ctx;

static void dispatch_instance(cm_hub *h, CM_NOTIFY_ACTION action, const char *inst, size_t *made)
{
    uint16_t *w = pb_wcs_from_utf8(inst);
    if (!w)
        return;
    size_t n = pb_wcslen(w);
    for (cm_reg *r = h->regs; r; r = r->next) {
        if (!r->handle || r->type != CM_NOTIFY_FILTER_TYPE_DEVICEINSTANCE)
            continue;
        if (!r->all && !pb_wcsnieq(r->inst, r->inst_len, w, n))
            continue;
        deliver(r, action, CM_NOTIFY_FILTER_TYPE_DEVICEINSTANCE, NULL, w, n);
        (*made)++;
    }
    free(w);
}

/* Every Enum\<a>\<b>\<c> key: a devnode the registry knows. */
static void enum_known(pnpbox_machine *m, snap_ctx *sc)
{
    regdb_key en;
    if (emu_ccs_open(m, "Enum", &en) < 0)
        return;
    /* Collect first: callbacks may change the registry while they run. */
    char **ids = NULL;
    size_t nids = 0, cap = 0;
    regdb_key_entry e1;
    for (uint32_t a = 0; regdb_enum_key(m->reg, en, a, &e1) == 0; a++) {
        char *na = pb_utf8_from_wcs(e1.name, e1.name_len);
        regdb_key ka = e1.id;
        regdb_key_entry e2;
        for (uint32_t b = 0; na && regdb_enum_key(m->reg, ka, b, &e2) == 0; b++) {
            char *nb = pb_utf8_from_wcs(e2.name, e2.name_len);
            regdb_key kb = e2.id;
            regdb_key_entry e3;
            for (uint32_t c = 0; nb && regdb_enum_key(m->reg, kb, c, &e3) == 0; c++) {
                char *nc = pb_utf8_from_wcs(e3.name, e3.name_len);
                size_t l = strlen(na) + strlen(nb) + (nc ? strlen(nc) : 0) + 3;
                char *id = nc ? malloc(l) : NULL;
                if (id && nids == cap) {
                    size_t ncap = cap ? cap * 2 : 32;
                    char **p = realloc(ids, ncap * sizeof *p);
                    if (p) {
                        ids = p;
                        cap = ncap;
                    }
                }
                if (id && nids < cap) {
                    snprintf(id, l, "%s\\%s\\%s", na, nb, nc);
                    ids[nids++] = id;
                } else {
                    free(id);
                }
                free(nc);
            }
            free(nb);
        }
        free(na);
    }
    cm_hub *h = sc->h;
    for (size_t i = 0; i < nids; i++) {
        seen_dn *s = seen_find(h, ids[i]);
        if (!s)
            s = seen_add(h, ids[i]);
        if (s)
            s->found = 1;
    }
    /* Known before and found again: nothing; found for the first time: enumerated; gone: forgotten. */
    for (size_t i = 0; i < h->nseen; i++) {
        seen_dn *s = &h->seen[i];
        int fresh = s->found && !s->known;
        s->known = s->found;
        s->found = 0;
        if (fresh && sc->events)
            dispatch_instance(h, CM_NOTIFY_ACTION_DEVICEINSTANCEENUMERATED, s->inst, &sc->made);
    }
    for (size_t i = 0; i < nids; i++)
        free(ids[i]);
    free(ids);
}

typedef struct state_list {
    char **inst;
    int *started;
    size_t n, cap;
} state_list;

static void collect_state(void *ctx, const umk_devnode *d)
{
    state_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **p = realloc(l->inst, cap * sizeof *p);
        if (p)
            l->inst = p;
        int *q = p ? realloc(l->started, cap * sizeof *q) : NULL;
        if (!p || !q)
            return;
        l->started = q;
        l->cap = cap;
    }
    char *s = strdup(d->instance);
    if (!s)
        return;
    l->inst[l->n] = s;
    l->started[l->n] = d->started && d->present;
    l->n++;
}

/* Compare the devnodes with what was seen; deliver the differences when events is set. */
static size_t instance_scan(cm_hub *h, int events)
{
    pnpbox_machine *m = h->m;
    snap_ctx sc = {h, events, 0};
    if (h->enum_dirty || !h->have_seen) {
        h->enum_dirty = 0;
        enum_known(m, &sc);
    }
    state_list l = {0};
    umk_devnode_each(m, collect_state, &l);
    for (size_t i = 0; i < l.n; i++) {
        seen_dn *s = seen_find(h, l.inst[i]);
        if (!s && !(s = seen_add(h, l.inst[i])))
            continue;
        if (l.started[i] != s->started) {
            s->started = l.started[i];
            if (events)
                dispatch_instance(h, s->started ? CM_NOTIFY_ACTION_DEVICEINSTANCESTARTED
                                                : CM_NOTIFY_ACTION_DEVICEINSTANCEREMOVED,
                                  s->inst, &sc.made);
        }
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.inst[i]);
    free(l.inst);
    free(l.started);
    h->have_seen = 1;
    return sc.made;
}

static int hub_wants_instances(cm_hub *h)
{
    for (cm_reg *r = h->regs; r; r = r->next)
        if (r->handle && r->type == CM_NOTIFY_FILTER_TYPE_DEVICEINSTANCE)
            return 1;
    return 0;
}

size_t um_cfg_pump(pnpbox_machine *m)
{
    cm_hub *h = hub_get(m);
    if (!h || h->pumping || !hub_wants_instances(h))
        return 0;
    h->pumping = 1;
    h->dispatching++;
    size_t n = instance_scan(h, 1);
    h->dispatching--;
    h->pumping = 0;
    hub_sweep(h);
    return n;
}

static void hub_iface(pnpbox_machine *m, const GUID *cls, const uint16_t *link, size_t n, int arrival, void *ctx)
{
    cm_hub *h = ctx;
    /* A device that starts or stops shows with its interfaces: look at the devnodes first. */
    um_cfg_pump(m);
    h = hub_get(m);
    if (!h || h != ctx)
        return;
    h->dispatching++;
    for (cm_reg *r = h->regs; r; r = r->next) {
        if (!r->handle || r->type != CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE)
            continue;
        if (!r->all && !IsEqualGUID(&r->cls, cls))
            continue;
        deliver(r, arrival ? CM_NOTIFY_ACTION_DEVICEINTERFACEARRIVAL : CM_NOTIFY_ACTION_DEVICEINTERFACEREMOVAL,
                CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE, cls, link, n);
    }
    h->dispatching--;
    hub_sweep(h);
}

static void notify_close(pnpbox_machine *m, emu_handle *e)
{
    (void)m;
    cm_reg *r = e->obj;
    e->obj = NULL;
    if (!r)
        return;
    r->handle = NULL; /* unregistered: no more callbacks; freed by the sweep */
    hub_sweep(r->hub);
}

static int guid_zero(const GUID *g)
{
    static const GUID z;
    return IsEqualGUID(g, &z);
}

CONFIGRET WINAPI CM_Register_Notification(PCM_NOTIFY_FILTER pFilter, PVOID pContext, PCM_NOTIFY_CALLBACK pCallback,
                                          PHCMNOTIFICATION pNotifyContext)
{
    void *caller = __builtin_return_address(0);
    /* The checks and their order follow Wine's test_CM_Register_Notification (run on Windows). */
    if (!pNotifyContext)
        return CR_FAILURE;
    *pNotifyContext = NULL;
    if (!pFilter || pFilter->cbSize != sizeof(CM_NOTIFY_FILTER) || pFilter->Reserved)
        return CR_INVALID_DATA;
    if (!pCallback)
        return CR_INVALID_POINTER; /* pnpbox's choice */
    if (pFilter->Flags & ~(DWORD)CM_NOTIFY_FILTER_VALID_FLAGS)
        return CR_INVALID_FLAG;
    cm_reg r;
    memset(&r, 0, sizeof r);
    r.type = pFilter->FilterType;
    switch (pFilter->FilterType) {
    case CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE:
        if (pFilter->Flags & CM_NOTIFY_FILTER_FLAG_ALL_DEVICE_INSTANCES)
            return CR_INVALID_DATA;
        r.all = (pFilter->Flags & CM_NOTIFY_FILTER_FLAG_ALL_INTERFACE_CLASSES) != 0;
        if (r.all && !guid_zero(&pFilter->u.DeviceInterface.ClassGuid))
            return CR_INVALID_DATA;
        r.cls = pFilter->u.DeviceInterface.ClassGuid;
        break;
    case CM_NOTIFY_FILTER_TYPE_DEVICEINSTANCE: {
        if (pFilter->Flags & CM_NOTIFY_FILTER_FLAG_ALL_INTERFACE_CLASSES)
            return CR_INVALID_DATA;
        r.all = (pFilter->Flags & CM_NOTIFY_FILTER_FLAG_ALL_DEVICE_INSTANCES) != 0;
        const uint16_t *id = (const uint16_t *)pFilter->u.DeviceInstance.InstanceId;
        size_t n = 0;
        while (n < MAX_DEVICE_ID_LEN && id[n])
            n++;
        if (n == MAX_DEVICE_ID_LEN || (r.all && n) || (!r.all && !valid_id(id, n)))
            return CR_INVALID_DATA;
        memcpy(r.inst, id, n * 2);
        r.inst_len = n;
        break;
    }
    case CM_NOTIFY_FILTER_TYPE_DEVICEHANDLE:
        /* A device handle comes from opening a device interface, which pnpbox's volume cannot do:
         * no handle the process holds is one (pnpbox's choice, documented). */
        return CR_INVALID_DATA;
    default: return CR_INVALID_DATA;
    }
    pnpbox_machine *m = um_enter();
    if (!m)
        return CR_OUT_OF_MEMORY;
    um_cfg_pump(m);
    CONFIGRET cr = CR_OUT_OF_MEMORY;
    cm_hub *h = hub_get(m);
    int fresh = 0;
    if (!h) {
        regdb_key en;
        if (!(h = calloc(1, sizeof *h)))
            goto out;
        h->m = m;
        if (umk_listener_add(m, hub_iface, h) < 0) {
            free(h);
            goto out;
        }
        if (emu_ccs_open(m, "Enum", &en) == 0)
            regdb_hook_add(m->reg, en, 1, REGDB_CHANGE_NAME, enum_hook, h, &h->hook_id);
        fresh = 1;
    }
    cm_reg *nr = malloc(sizeof *nr);
    if (!nr) {
        if (fresh)
            hub_free(h);
        goto out;
    }
    *nr = r;
    nr->hub = h;
    nr->cb = pCallback;
    nr->ctx = pContext;
    nr->comp = emu_comp();
    emu_handle e;
    memset(&e, 0, sizeof e);
    e.type = EMU_H_NOTIFY;
    e.flags = EMU_HF_USER;
    e.obj = nr;
    e.close_fn = notify_close;
    void *hv = emu_handle_new(m, &e);
    if (!hv) {
        free(nr);
        if (fresh)
            hub_free(h);
        goto out;
    }
    if (nr->type == CM_NOTIFY_FILTER_TYPE_DEVICEINSTANCE && !hub_wants_instances(h)) {
        /* Start watching from the present state: no events for what already exists. */
        h->enum_dirty = 1;
        seen_free(h);
        instance_scan(h, 0);
    }
    nr->handle = hv;
    nr->next = h->regs;
    h->regs = nr;
    if (nr->type == CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE)
        emu_comp_note_notify(nr->comp, nr->all ? NULL : &nr->cls); /* what IFACE-NO-NOTIFICATION looks for */
    *pNotifyContext = hv;
    cr = CR_SUCCESS;
out : {
    char what[64];
    if (r.type == CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE && !r.all)
        guid_u8(&r.cls, what);
    else
        snprintf(what, sizeof what, "%s", r.type == CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE ? "all interface classes"
                                                                                          : "device instances");
    record(m, "CM_Register_Notification", EMU_OP_NOTIFY, what, caller, cr);
}
    emu_unlock(m);
    return cr;
}

CONFIGRET WINAPI CM_Unregister_Notification(HCMNOTIFICATION NotifyContext)
{
    pnpbox_machine *m = um_enter();
    if (!m)
        return CR_INVALID_DATA;
    CONFIGRET cr;
    emu_handle *e = NotifyContext ? emu_handle_get(m, NotifyContext, EMU_H_NOTIFY) : NULL;
    if (!e)
        cr = CR_INVALID_DATA; /* pnpbox's choice for a handle that is not a registration */
    else
        cr = emu_handle_close(m, NotifyContext) == STATUS_SUCCESS ? CR_SUCCESS : CR_INVALID_DATA;
    emu_unlock(m);
    return cr;
}

/* ---------------------------------------------------------------- CM_MapCrToWin32Err */

/* The mapping Windows' cfgmgr32 makes (Wine's test_CM_MapCrToWin32Err, run on Windows). */
DWORD WINAPI CM_MapCrToWin32Err(CONFIGRET CmReturnCode, DWORD DefaultErr)
{
    switch (CmReturnCode) {
    case CR_SUCCESS: return ERROR_SUCCESS;
    case CR_OUT_OF_MEMORY: return ERROR_NOT_ENOUGH_MEMORY;
    case CR_INVALID_POINTER: return ERROR_INVALID_USER_BUFFER;
    case CR_INVALID_FLAG: return ERROR_INVALID_FLAGS;
    case CR_INVALID_DEVNODE:
    case CR_INVALID_DEVICE_ID:
    case CR_INVALID_MACHINENAME:
    case CR_INVALID_PROPERTY:
    case CR_INVALID_REFERENCE_STRING: return ERROR_INVALID_DATA;
    case CR_NO_SUCH_DEVNODE:
    case CR_NO_SUCH_VALUE:
    case CR_NO_SUCH_DEVICE_INTERFACE: return ERROR_NOT_FOUND;
    case CR_ALREADY_SUCH_DEVNODE: return ERROR_ALREADY_EXISTS;
    case CR_BUFFER_SMALL: return ERROR_INSUFFICIENT_BUFFER;
    case CR_NO_REGISTRY_HANDLE: return ERROR_INVALID_HANDLE;
    case CR_REGISTRY_ERROR: return ERROR_REGISTRY_CORRUPT;
    case CR_NO_SUCH_REGISTRY_KEY: return ERROR_FILE_NOT_FOUND;
    case CR_REMOTE_COMM_FAILURE:
    case CR_MACHINE_UNAVAILABLE:
    case CR_NO_CM_SERVICES: return ERROR_SERVICE_NOT_ACTIVE;
    case CR_ACCESS_DENIED: return ERROR_ACCESS_DENIED;
    case CR_CALL_NOT_IMPLEMENTED: return ERROR_CALL_NOT_IMPLEMENTED;
    default: return DefaultErr;
    }
}
