/*
 * iface.c: device interfaces and PnP notifications (reference §1.4, §1.13).
 *
 * Registry layout, as Windows keeps it:
 *   CCS\Control\DeviceClasses\{ifguid}                         class key
 *     ##?#<instance, '\'->'#'>#{ifguid}                         value DeviceInstance
 *       #<reference string> ("#" alone without one)             value SymbolicLink (\\?\ form)
 *         Control            (volatile)                         value Linked = 1 enabled, 0 disabled
 *         Device Parameters  (non-volatile)                     IoOpenDeviceInterfaceRegistryKey's key
 * Kernel symbolic links are \??\<instance '\'->'#'>#{ifguid}[\ref]; user mode
 * sees \\?\ instead of \??\.
 *
 * Arrivals: IoSetDeviceInterfaceState(TRUE) during IRP_MN_START_DEVICE is
 * held and delivered once START completes; arrival and removal reach every
 * kernel registration for the class (as the registering driver) and every
 * user-mode listener (cfgmgr32).
 */
#include "emu/pnp.h"

#include "base/pb_buf.h"
#include "base/pb_utf16.h"
#include "emu/kreg.h"

#include <initguid.h>
#include <wdmguid.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void guid_str(const GUID *g, char out[39])
{
    snprintf(out, 39, "{%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}", (unsigned)g->Data1, g->Data2, g->Data3,
             g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}

static int parse_guid(const char *s, GUID *g)
{
    unsigned a, b, c, d[8];
    int n = 0;
    if (sscanf(s, "{%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x}%n", &a, &b, &c, &d[0], &d[1], &d[2], &d[3], &d[4], &d[5],
               &d[6], &d[7], &n) != 11 ||
        n != 38)
        return -1;
    g->Data1 = a;
    g->Data2 = (USHORT)b;
    g->Data3 = (USHORT)c;
    for (int i = 0; i < 8; i++)
        g->Data4[i] = (UCHAR)d[i];
    return 0;
}

/* An interface instance, as parsed from a symbolic link or built from parts. */
typedef struct iface_ref {
    char inst_esc[512]; /* instance with '\' as '#' */
    char guid[39];
    char ref[256];      /* without '\'; "" for none */
    GUID cls;
} iface_ref;

static void iface_rel(const iface_ref *r, char *out, size_t cap, const char *tail)
{
    snprintf(out, cap, "Control\\DeviceClasses\\%s\\##?#%s#%s\\#%s%s%s", r->guid, r->inst_esc, r->guid, r->ref,
             tail ? "\\" : "", tail ? tail : "");
}

static void iface_link(const iface_ref *r, char *out, size_t cap, int user)
{
    snprintf(out, cap, "%s%s#%s%s%s", user ? "\\\\?\\" : "\\??\\", r->inst_esc, r->guid, r->ref[0] ? "\\" : "",
             r->ref);
}

/* Parse "\??\<inst>#{guid}[\ref]" or the "\\?\" form. */
static int parse_link(const uint16_t *s, size_t n, iface_ref *r)
{
    char *u = pb_utf8_from_wcs(s, n);
    if (!u)
        return -1;
    const char *p = u;
    int rc = -1;
    if (!strncmp(p, "\\??\\", 4) || !strncmp(p, "\\\\?\\", 4))
        p += 4;
    else
        goto out;
    const char *brace = strchr(p, '{');
    while (brace && (brace == p || brace[-1] != '#'))
        brace = strchr(brace + 1, '{');
    if (!brace || (size_t)(brace - 1 - p) >= sizeof r->inst_esc || strlen(brace) < 38)
        goto out;
    memcpy(r->inst_esc, p, (size_t)(brace - 1 - p));
    r->inst_esc[brace - 1 - p] = 0;
    memcpy(r->guid, brace, 38);
    r->guid[38] = 0;
    if (parse_guid(r->guid, &r->cls) < 0)
        goto out;
    for (char *c = r->guid; *c; c++)
        if (*c >= 'A' && *c <= 'F')
            *c = (char)(*c - 'A' + 'a');
    const char *rest = brace + 38;
    if (*rest == 0)
        r->ref[0] = 0;
    else if (*rest == '\\' && strlen(rest + 1) < sizeof r->ref && rest[1])
        snprintf(r->ref, sizeof r->ref, "%s", rest + 1);
    else
        goto out;
    rc = 0;
out:
    free(u);
    return rc;
}

static int linked(pnpbox_machine *m, const iface_ref *r)
{
    char rel[1400];
    iface_rel(r, rel, sizeof rel, "Control");
    regdb_key k;
    uint32_t v = 0;
    return emu_ccs_open(m, rel, &k) == 0 && regdb_get_dword(m->reg, k, (const uint16_t *)L"Linked", &v) == 0 && v == 1;
}

/* Instance path stored in the interface key's DeviceInstance value. */
static int iface_instance(pnpbox_machine *m, const iface_ref *r, char *out, size_t cap)
{
    char rel[1400];
    snprintf(rel, sizeof rel, "Control\\DeviceClasses\\%s\\##?#%s#%s", r->guid, r->inst_esc, r->guid);
    regdb_key k;
    uint16_t *w = NULL;
    size_t n;
    if (emu_ccs_open(m, rel, &k) < 0 || regdb_get_sz(m->reg, k, (const uint16_t *)L"DeviceInstance", &w, &n) < 0)
        return -1;
    char *u = pb_utf8_from_wcs(w, n);
    free(w);
    if (!u)
        return -1;
    snprintf(out, cap, "%s", u);
    free(u);
    return 0;
}

/* ---------------------------------------------------------------- notification delivery */

static void deliver(pnpbox_machine *m, const iface_ref *r, int arrival)
{
    emu_pnp *p = emu_pnp_get(m);
    char klink[1024], ulink[1024];
    iface_link(r, klink, sizeof klink, 0);
    iface_link(r, ulink, sizeof ulink, 1);
    uint16_t *wk = pb_wcs_from_utf8(klink), *wu = pb_wcs_from_utf8(ulink);
    if (!wk || !wu)
        goto out;
    UNICODE_STRING us = {(USHORT)(pb_wcslen(wk) * 2), (USHORT)(pb_wcslen(wk) * 2 + 2), (PWCH)wk};
    emu_log(m, "pnpbox: interface %s %s", klink, arrival ? "arrival" : "removal");
    for (emu_notify *n = p->notifies; n; n = n->next) {
        if (n->unregistered || n->category != EventCategoryDeviceInterfaceChange || !IsEqualGUID(&n->cls, &r->cls))
            continue;
        DEVICE_INTERFACE_CHANGE_NOTIFICATION dn = {1, sizeof dn,
                                                   arrival ? GUID_DEVICE_INTERFACE_ARRIVAL : GUID_DEVICE_INTERFACE_REMOVAL,
                                                   r->cls, &us};
        EMU_AS(n->comp, n->cb(&dn, n->ctx));
    }
    for (int i = 0; i < p->nlisteners; i++)
        p->listeners[i].fn(m, &r->cls, wu, pb_wcslen(wu), arrival, p->listeners[i].ctx);
out:
    free(wk);
    free(wu);
}

int emu_iface_add_listener(pnpbox_machine *m, emu_iface_listener fn, void *ctx)
{
    emu_pnp *p = emu_pnp_get(m);
    if (!p || p->nlisteners >= 16)
        return -ENOMEM;
    p->listeners[p->nlisteners].fn = fn;
    p->listeners[p->nlisteners].ctx = ctx;
    p->nlisteners++;
    return 0;
}

void emu_iface_remove_listener(pnpbox_machine *m, emu_iface_listener fn, void *ctx)
{
    emu_pnp *p = m->pnp;
    for (int i = 0; p && i < p->nlisteners; i++)
        if (p->listeners[i].fn == fn && p->listeners[i].ctx == ctx) {
            memmove(&p->listeners[i], &p->listeners[i + 1], (size_t)(p->nlisteners - i - 1) * sizeof p->listeners[0]);
            p->nlisteners--;
            return;
        }
}

/* Visit every interface instance (each #ref key) of a class, or of all classes if cls is NULL. */
typedef void (*iface_visit)(pnpbox_machine *m, const iface_ref *r, void *ctx);

static void each_iface(pnpbox_machine *m, const GUID *cls, iface_visit fn, void *ctx)
{
    regdb_key dc;
    if (emu_ccs_open(m, "Control\\DeviceClasses", &dc) < 0)
        return;
    regdb_key_entry e;
    for (uint32_t i = 0; regdb_enum_key(m->reg, dc, i, &e) == 0; i++) {
        regdb_key ck = e.id;
        char *gname = pb_utf8_from_wcs(e.name, e.name_len);
        GUID g;
        if (!gname || parse_guid(gname, &g) < 0 || (cls && !IsEqualGUID(&g, cls))) {
            free(gname);
            continue;
        }
        regdb_key_entry e2;
        for (uint32_t j = 0; regdb_enum_key(m->reg, ck, j, &e2) == 0; j++) {
            regdb_key ik = e2.id;
            char *iname = pb_utf8_from_wcs(e2.name, e2.name_len);
            size_t gl = strlen(gname);
            size_t il = iname ? strlen(iname) : 0;
            /* ##?#<inst>#{guid} */
            if (!iname || il < 4 + gl + 1 || strncmp(iname, "##?#", 4) || strcasecmp(iname + il - gl, gname)) {
                free(iname);
                continue;
            }
            iface_ref r = {0};
            snprintf(r.inst_esc, sizeof r.inst_esc, "%.*s", (int)(il - 4 - gl - 1), iname + 4);
            snprintf(r.guid, sizeof r.guid, "%s", gname);
            for (char *c = r.guid; *c; c++)
                if (*c >= 'A' && *c <= 'F')
                    *c = (char)(*c - 'A' + 'a');
            r.cls = g;
            free(iname);
            regdb_key_entry e3;
            for (uint32_t k = 0; regdb_enum_key(m->reg, ik, k, &e3) == 0; k++) {
                char *rname = pb_utf8_from_wcs(e3.name, e3.name_len);
                if (rname && rname[0] == '#') {
                    snprintf(r.ref, sizeof r.ref, "%s", rname + 1);
                    free(rname);
                    fn(m, &r, ctx);
                    continue;
                }
                free(rname);
            }
        }
        free(gname);
    }
}

typedef struct dn_visit {
    emu_devnode *dn;
    int arrival;
    char esc[512];
} dn_visit;

static void visit_devnode(pnpbox_machine *m, const iface_ref *r, void *ctx)
{
    dn_visit *v = ctx;
    if (strcasecmp(r->inst_esc, v->esc) || !linked(m, r))
        return;
    if (!v->arrival) {
        char rel[1400];
        iface_rel(r, rel, sizeof rel, "Control");
        regdb_key k;
        if (emu_ccs_open(m, rel, &k) == 0)
            regdb_set_dword(m->reg, k, (const uint16_t *)L"Linked", 0);
    }
    deliver(m, r, v->arrival);
}

static void escape_instance(const char *inst, char *out, size_t cap)
{
    snprintf(out, cap, "%s", inst);
    for (char *c = out; *c; c++)
        if (*c == '\\')
            *c = '#';
}

void emu_iface_devnode_started(emu_devnode *dn)
{
    dn_visit v = {dn, 1, ""};
    escape_instance(dn->instance, v.esc, sizeof v.esc);
    each_iface(dn->m, NULL, visit_devnode, &v);
}

/* On removal Windows disables what the driver left enabled, with removal notifications. */
void emu_iface_devnode_removed(emu_devnode *dn)
{
    dn_visit v = {dn, 0, ""};
    escape_instance(dn->instance, v.esc, sizeof v.esc);
    each_iface(dn->m, NULL, visit_devnode, &v);
}

/* ---------------------------------------------------------------- the APIs */

static NTSTATUS pool_ustring(const char *s, PUNICODE_STRING out)
{
    uint16_t *w = pb_wcs_from_utf8(s);
    size_t n = w ? pb_wcslen(w) : 0;
    PWCH b = w ? ExAllocatePool2(POOL_FLAG_PAGED, (n + 1) * 2, 'fIoI') : NULL;
    if (!b) {
        free(w);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    memcpy(b, w, (n + 1) * 2);
    free(w);
    out->Buffer = b;
    out->Length = (USHORT)(n * 2);
    out->MaximumLength = (USHORT)(n * 2 + 2);
    return STATUS_SUCCESS;
}

static int set_sz_u8(regdb *r, regdb_key k, const uint16_t *name, const char *val)
{
    uint16_t *w = pb_wcs_from_utf8(val);
    int rc = w ? regdb_set_sz(r, k, name, w) : REGDB_E_NOMEM;
    free(w);
    return rc;
}

NTSTATUS IoRegisterDeviceInterface(PDEVICE_OBJECT PhysicalDeviceObject, const GUID *InterfaceClassGuid,
                                   PUNICODE_STRING ReferenceString, PUNICODE_STRING SymbolicLinkName)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    NTSTATUS st;
    emu_devnode *dn = emu_devnode_of_pdo(PhysicalDeviceObject);
    if (!dn) {
        st = STATUS_INVALID_DEVICE_REQUEST;
        goto out;
    }
    if (!InterfaceClassGuid || !SymbolicLinkName) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    iface_ref r = {0};
    if (ReferenceString && ReferenceString->Length) {
        for (USHORT i = 0; i < ReferenceString->Length / 2; i++)
            if (ReferenceString->Buffer[i] == '\\' || ReferenceString->Buffer[i] == '/') {
                st = STATUS_INVALID_DEVICE_REQUEST;
                goto out;
            }
        char *u = pb_utf8_from_wcs(ReferenceString->Buffer, ReferenceString->Length / 2);
        if (!u || strlen(u) >= sizeof r.ref) {
            free(u);
            st = STATUS_INVALID_PARAMETER;
            goto out;
        }
        snprintf(r.ref, sizeof r.ref, "%s", u);
        free(u);
    }
    if (emu_fault(m, "IoRegisterDeviceInterface", &st))
        goto out;
    r.cls = *InterfaceClassGuid;
    guid_str(InterfaceClassGuid, r.guid);
    escape_instance(dn->instance, r.inst_esc, sizeof r.inst_esc);
    char rel[1400], ulink[1024], klink[1024];
    iface_rel(&r, rel, sizeof rel, NULL);
    iface_link(&r, ulink, sizeof ulink, 1);
    iface_link(&r, klink, sizeof klink, 0);
    regdb_key k;
    int exists = emu_ccs_open(m, rel, &k) == 0;
    if (!exists) {
        int rc = regdb_begin(m->reg);
        char irel[1400];
        snprintf(irel, sizeof irel, "Control\\DeviceClasses\\%s\\##?#%s#%s", r.guid, r.inst_esc, r.guid);
        regdb_key ik, dp;
        if (rc == 0)
            rc = emu_ccs_create(m, irel, 0, &ik);
        if (rc == 0)
            rc = set_sz_u8(m->reg, ik, (const uint16_t *)L"DeviceInstance", dn->instance);
        if (rc == 0)
            rc = emu_ccs_create(m, rel, 0, &k);
        if (rc == 0)
            rc = set_sz_u8(m->reg, k, (const uint16_t *)L"SymbolicLink", ulink);
        if (rc == 0)
            rc = regdb_create_key_u8(m->reg, k, "Device Parameters", 0, &dp);
        if (rc == 0)
            rc = regdb_commit(m->reg);
        else
            regdb_rollback(m->reg);
        if (rc < 0) {
            st = emu_status_from_regdb(rc);
            goto out;
        }
    }
    st = pool_ustring(klink, SymbolicLinkName);
    if (NT_SUCCESS(st) && exists)
        st = STATUS_OBJECT_NAME_EXISTS;
    emu_access a = {.api = "IoRegisterDeviceInterface", .kind = EMU_ACC_OTHER, .op = EMU_OP_CREATE,
                    .path = klink, .write = !exists, .creates = !exists, .caller = caller};
    emu_judge_record(m, &a, st);
out:
    emu_unlock(m);
    return st;
}

NTSTATUS IoSetDeviceInterfaceState(PUNICODE_STRING SymbolicLinkName, BOOLEAN Enable)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    NTSTATUS st;
    iface_ref r;
    char rel[1400];
    regdb_key k;
    if (!SymbolicLinkName || !SymbolicLinkName->Buffer) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if (parse_link(SymbolicLinkName->Buffer, SymbolicLinkName->Length / 2, &r) < 0) {
        st = STATUS_OBJECT_NAME_INVALID;
        goto out;
    }
    iface_rel(&r, rel, sizeof rel, NULL);
    if (emu_ccs_open(m, rel, &k) < 0) {
        st = STATUS_OBJECT_NAME_NOT_FOUND;
        goto out;
    }
    int on = linked(m, &r);
    if (Enable && on) {
        st = STATUS_OBJECT_NAME_EXISTS;
        goto out;
    }
    if (!Enable && !on) {
        st = STATUS_OBJECT_NAME_NOT_FOUND;
        goto out;
    }
    regdb_key ck;
    int rc = regdb_create_key_u8(m->reg, k, "Control", REGDB_CREATE_VOLATILE, &ck);
    if (rc == 0)
        rc = regdb_set_dword(m->reg, ck, (const uint16_t *)L"Linked", Enable ? 1 : 0);
    if (rc < 0) {
        st = emu_status_from_regdb(rc);
        goto out;
    }
    st = STATUS_SUCCESS;
    char inst[512];
    emu_devnode *dn = iface_instance(m, &r, inst, sizeof inst) == 0 ? emu_devnode_find(m, inst) : NULL;
    /* Arrival not before START completes (§1.13): held while the device is starting. */
    if (!Enable || !dn || (!dn->arrivals_held && dn->state == EMU_DN_STARTED))
        deliver(m, &r, Enable);
    char klink[1024];
    iface_link(&r, klink, sizeof klink, 0);
    emu_access a = {.api = "IoSetDeviceInterfaceState", .kind = EMU_ACC_OTHER, .op = EMU_OP_SET, .path = klink,
                    .write = 1, .caller = caller};
    emu_judge_record(m, &a, st);
out:
    emu_unlock(m);
    return st;
}

typedef struct list_ctx {
    pb_buf b;
    const char *esc; /* only this device, or NULL */
    int all;
    int count;
} list_ctx;

static void visit_list(pnpbox_machine *m, const iface_ref *r, void *ctx)
{
    list_ctx *l = ctx;
    if (l->esc && strcasecmp(l->esc, r->inst_esc))
        return;
    if (!l->all && !linked(m, r))
        return;
    char klink[1024];
    iface_link(r, klink, sizeof klink, 0);
    uint16_t *w = pb_wcs_from_utf8(klink);
    if (w) {
        pb_buf_add_wcs(&l->b, w, pb_wcslen(w) + 1);
        l->count++;
    }
    free(w);
}

NTSTATUS IoGetDeviceInterfaces(const GUID *InterfaceClassGuid, PDEVICE_OBJECT PhysicalDeviceObject, ULONG Flags,
                               PZZWSTR *SymbolicLinkList)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    NTSTATUS st;
    emu_devnode *dn = NULL;
    if (!InterfaceClassGuid || !SymbolicLinkList || (Flags & ~(ULONG)DEVICE_INTERFACE_INCLUDE_NONACTIVE)) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if (PhysicalDeviceObject && !(dn = emu_devnode_of_pdo(PhysicalDeviceObject))) {
        st = STATUS_INVALID_DEVICE_REQUEST;
        goto out;
    }
    char gs[39];
    guid_str(InterfaceClassGuid, gs);
    emu_access a = {.api = "IoGetDeviceInterfaces", .kind = EMU_ACC_IFACE, .op = EMU_OP_LOOKUP, .path = gs,
                    .iface_class = InterfaceClassGuid, .caller = caller};
    emu_verdict v;
    emu_judge(m, &a, &v);
    if (emu_fault(m, "IoGetDeviceInterfaces", &st)) {
        emu_record(m, &a, &v, st);
        goto out;
    }
    char esc[512];
    list_ctx l = {PB_BUF_INIT, NULL, (Flags & DEVICE_INTERFACE_INCLUDE_NONACTIVE) != 0, 0};
    if (dn) {
        escape_instance(dn->instance, esc, sizeof esc);
        l.esc = esc;
    }
    each_iface(m, InterfaceClassGuid, visit_list, &l);
    pb_buf_add_u16(&l.b, 0); /* the list's terminator (a lone NUL when empty) */
    PZZWSTR out = l.b.oom ? NULL : ExAllocatePool2(POOL_FLAG_PAGED, l.b.len, 'lIoI');
    if (!out) {
        st = STATUS_INSUFFICIENT_RESOURCES;
    } else {
        memcpy(out, l.b.data, l.b.len);
        *SymbolicLinkList = out;
        st = STATUS_SUCCESS;
    }
    pb_buf_free(&l.b);
    emu_record(m, &a, &v, st);
out:
    emu_unlock(m);
    return st;
}

NTSTATUS IoGetDeviceInterfaceAlias(PUNICODE_STRING SymbolicLinkName, const GUID *AliasInterfaceClassGuid,
                                   PUNICODE_STRING AliasSymbolicLinkName)
{
    pnpbox_machine *m = emu_machine();
    if (!m || !SymbolicLinkName || !AliasInterfaceClassGuid || !AliasSymbolicLinkName)
        return STATUS_INVALID_PARAMETER;
    emu_lock(m);
    iface_ref r;
    NTSTATUS st;
    char rel[1400];
    regdb_key k;
    if (parse_link(SymbolicLinkName->Buffer, SymbolicLinkName->Length / 2, &r) < 0) {
        st = STATUS_INVALID_HANDLE;
        goto out;
    }
    /* The alias is the same device and reference string under the other class, if registered. */
    r.cls = *AliasInterfaceClassGuid;
    guid_str(AliasInterfaceClassGuid, r.guid);
    iface_rel(&r, rel, sizeof rel, NULL);
    if (emu_ccs_open(m, rel, &k) < 0) {
        st = STATUS_OBJECT_NAME_NOT_FOUND;
        goto out;
    }
    char klink[1024];
    iface_link(&r, klink, sizeof klink, 0);
    st = pool_ustring(klink, AliasSymbolicLinkName);
out:
    emu_unlock(m);
    return st;
}

NTSTATUS IoOpenDeviceInterfaceRegistryKey(PUNICODE_STRING SymbolicLinkName, ACCESS_MASK DesiredAccess,
                                          PHANDLE DeviceInterfaceRegKey)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    NTSTATUS st;
    iface_ref r;
    char rel[1400];
    regdb_key k;
    if (!SymbolicLinkName || !SymbolicLinkName->Buffer || !DeviceInterfaceRegKey) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if (parse_link(SymbolicLinkName->Buffer, SymbolicLinkName->Length / 2, &r) < 0) {
        st = STATUS_OBJECT_PATH_NOT_FOUND;
        goto out;
    }
    iface_rel(&r, rel, sizeof rel, NULL);
    if (emu_ccs_open(m, rel, &k) < 0) {
        st = STATUS_OBJECT_NAME_NOT_FOUND;
        goto out;
    }
    if (emu_fault(m, "IoOpenDeviceInterfaceRegistryKey", &st))
        goto out;
    char inst[512];
    emu_devnode *dn = iface_instance(m, &r, inst, sizeof inst) == 0 ? emu_devnode_find(m, inst) : NULL;
    pnpbox_component *owner = NULL;
    if (dn) {
        uint16_t *svc = NULL;
        size_t n;
        if (regdb_get_sz(m->reg, dn->key, (const uint16_t *)L"Service", &svc, &n) == 0) {
            char *u = pb_utf8_from_wcs(svc, n);
            owner = u ? emu_comp_find(m, PNPBOX_COMP_KERNEL_DRIVER, u) : NULL;
            free(u);
        }
        free(svc);
    }
    ACCESS_MASK granted = DesiredAccess;
    if (granted & MAXIMUM_ALLOWED)
        granted = (granted & ~MAXIMUM_ALLOWED) | KEY_ALL_ACCESS;
    if (granted & GENERIC_READ)
        granted = (granted & ~GENERIC_READ) | KEY_READ;
    if (granted & GENERIC_WRITE)
        granted = (granted & ~GENERIC_WRITE) | KEY_WRITE;
    if (granted & GENERIC_ALL)
        granted = (granted & ~GENERIC_ALL) | KEY_ALL_ACCESS;
    emu_prov prov = {.api = "IoOpenDeviceInterfaceRegistryKey", .approved = 1, .owner = emu_comp(),
                     .scope_owner = owner, .scope = EMU_SCOPE_IFACE};
    regdb_key dp;
    int exists = regdb_open_key_u8(m->reg, k, "Device Parameters", &dp) == 0;
    char *base = emu_key_path_u8(m, k);
    char path[2048];
    snprintf(path, sizeof path, "%s\\Device Parameters", base ? base : "");
    free(base);
    emu_access a = {.api = "IoOpenDeviceInterfaceRegistryKey", .kind = EMU_ACC_REG,
                    .op = exists ? EMU_OP_OPEN : EMU_OP_CREATE, .prov = &prov, .path = path, .access = granted,
                    .write = !exists, .creates = !exists, .caller = caller};
    emu_verdict v;
    emu_judge(m, &a, &v);
    if (v.deny) {
        st = STATUS_ACCESS_DENIED;
    } else {
        int rc = exists ? 0 : regdb_create_key_u8(m->reg, k, "Device Parameters", 0, &dp);
        if (rc < 0) {
            st = emu_status_from_regdb(rc);
        } else {
            prov.scope_key = dp;
            st = emu_key_handle_new(m, dp, granted, &prov, EMU_HF_KERNEL, DeviceInterfaceRegKey);
        }
    }
    emu_record(m, &a, &v, st);
out:
    emu_unlock(m);
    return st;
}

typedef struct existing_ctx {
    emu_notify *n;
    int count;
} existing_ctx;

static void visit_existing(pnpbox_machine *m, const iface_ref *r, void *ctx)
{
    existing_ctx *e = ctx;
    if (!linked(m, r))
        return;
    char klink[1024];
    iface_link(r, klink, sizeof klink, 0);
    uint16_t *wk = pb_wcs_from_utf8(klink);
    if (!wk)
        return;
    UNICODE_STRING us = {(USHORT)(pb_wcslen(wk) * 2), (USHORT)(pb_wcslen(wk) * 2 + 2), (PWCH)wk};
    DEVICE_INTERFACE_CHANGE_NOTIFICATION dn = {1, sizeof dn, GUID_DEVICE_INTERFACE_ARRIVAL, r->cls, &us};
    EMU_AS(e->n->comp, e->n->cb(&dn, e->n->ctx));
    e->count++;
    free(wk);
}

NTSTATUS IoRegisterPlugPlayNotification(IO_NOTIFICATION_EVENT_CATEGORY EventCategory, ULONG EventCategoryFlags,
                                        PVOID EventCategoryData, PDRIVER_OBJECT DriverObject,
                                        PDRIVER_NOTIFICATION_CALLBACK_ROUTINE CallbackRoutine, PVOID Context,
                                        PVOID *NotificationEntry)
{
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    NTSTATUS st;
    emu_driver *drv = emu_driver_from_obj(DriverObject);
    if (!drv || !CallbackRoutine || !NotificationEntry) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    /* TargetDeviceChange needs a FILE_OBJECT from IoGetDeviceObjectPointer, which pnpbox does not make. */
    if (EventCategory != EventCategoryDeviceInterfaceChange && EventCategory != EventCategoryHardwareProfileChange) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if (EventCategory == EventCategoryDeviceInterfaceChange &&
        (!EventCategoryData || (EventCategoryFlags & ~(ULONG)PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES))) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if (emu_fault(m, "IoRegisterPlugPlayNotification", &st))
        goto out;
    emu_notify *n = calloc(1, sizeof *n);
    emu_pnp *p = emu_pnp_get(m);
    if (!n || !p) {
        free(n);
        st = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    n->category = EventCategory;
    if (EventCategory == EventCategoryDeviceInterfaceChange)
        n->cls = *(const GUID *)EventCategoryData;
    n->drv = DriverObject;
    n->cb = CallbackRoutine;
    n->ctx = Context;
    n->comp = emu_comp();
    n->next = p->notifies;
    p->notifies = n;
    *NotificationEntry = n;
    st = STATUS_SUCCESS;
    if (EventCategory == EventCategoryDeviceInterfaceChange) {
        emu_comp_note_notify(n->comp, &n->cls);
        if (EventCategoryFlags & PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES) {
            existing_ctx e = {n, 0};
            each_iface(m, &n->cls, visit_existing, &e);
        }
    }
out:
    emu_unlock(m);
    return st;
}

NTSTATUS IoUnregisterPlugPlayNotificationEx(PVOID NotificationEntry)
{
    pnpbox_machine *m = emu_machine();
    if (!m || !NotificationEntry)
        return STATUS_INVALID_PARAMETER;
    emu_lock(m);
    NTSTATUS st = STATUS_INVALID_PARAMETER;
    emu_pnp *p = m->pnp;
    for (emu_notify **pp = p ? &p->notifies : NULL; pp && *pp; pp = &(*pp)->next) {
        if (*pp == NotificationEntry) {
            emu_notify *n = *pp;
            *pp = n->next;
            free(n);
            st = STATUS_SUCCESS;
            break;
        }
    }
    emu_unlock(m);
    return st;
}

NTSTATUS IoUnregisterPlugPlayNotification(PVOID NotificationEntry)
{
    return IoUnregisterPlugPlayNotificationEx(NotificationEntry);
}
