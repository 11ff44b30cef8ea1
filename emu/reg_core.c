/*
 * reg_core.c: the API-independent registry operations (contract in
 * reg_core.h): name parsing as the NT object manager and the
 * configuration manager do it, opens and creates with provenance and
 * judging, operations on key handles, change notifications built on
 * regdb's change hooks, the laundering memory, and the per-machine state
 * of the kernel registry and synchronisation modules.
 *
 * Sources for the behaviour (facts, not code): Wine's ntdll registry
 * conformance tests (dlls/ntdll/tests/reg.c, run on Windows), ReactOS's
 * kernel-mode NtQueryKey / ZwNotifyChangeKey tests run on Windows, the
 * Windows Research Kernel's cmnotify.c / ntapi.c and decompiled Windows 11
 * configuration-manager routines (CmpQueryKeyValueData,
 * CmpQueryKeyDataFromNode, CmQueryKey, NtNotifyChangeMultipleKeys).  Each
 * choice made where they are silent is commented in place.
 */
#include "emu/reg_core.h"
#include "emu/fold.h"

#include "base/pb_utf16.h"

#include <_pnpbox_access.h>
#include <ntstatus.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- small helpers */


/* Case-insensitive: is `a` equal to `pfx` or below it (pfx followed by '\')? */
static int name_at_or_below(const uint16_t *a, size_t an, const uint16_t *pfx, size_t pn)
{
    if (an < pn || !pb_wcsnieq(a, pn, pfx, pn))
        return 0;
    return an == pn || a[pn] == '\\';
}

int reg_core_trusted(const char *path)
{
    static const char *const hives[] = {"HARDWARE", "SOFTWARE", "SYSTEM", "SECURITY", "SAM", NULL};
    static const char machine[] = "\\REGISTRY\\MACHINE\\";
    size_t ml = sizeof machine - 1;
    if (!path || strncasecmp(path, machine, ml))
        return 0;
    const char *r = path + ml;
    for (int i = 0; hives[i]; i++) {
        size_t l = strlen(hives[i]);
        if (!strncasecmp(r, hives[i], l) && (r[l] == 0 || r[l] == '\\'))
            return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- per-machine state */

static pthread_mutex_t kstates_lock = PTHREAD_MUTEX_INITIALIZER;
static emu_kstate **kstates;
static size_t nkstates, kstates_cap;

static void kstate_unlist(emu_kstate *st)
{
    pthread_mutex_lock(&kstates_lock);
    for (size_t i = 0; i < nkstates; i++) {
        if (kstates[i] == st) {
            kstates[i] = kstates[--nkstates];
            break;
        }
    }
    if (!nkstates) {
        free(kstates);
        kstates = NULL;
        kstates_cap = 0;
    }
    pthread_mutex_unlock(&kstates_lock);
}

/*
 * Freed when the machine's registry connection closes.  pnpbox_machine_free
 * closes every handle (running their close functions, which still use this
 * state) before it closes the registry, so nothing refers to the state any
 * more.  Work items still queued then are dropped: the drivers that queued
 * them are gone (on Windows an unloaded driver with queued work items is a
 * Driver Verifier violation).
 */
static void kstate_destroy(void *p)
{
    emu_kstate *st = p;
    kstate_unlist(st);
    for (size_t i = 0; i < st->nlaund; i++) {
        free(st->laund[i].name);
        emu_prov_free(&st->laund[i].prov);
    }
    free(st->laund);
    free(st->work);
    free(st->events);
    free(st);
}

/*
 * The state hangs off the machine's registry (a regdb_on_close callback
 * frees it), the one per-machine object with a destructor that emu/ does
 * not own elsewhere; docs/kernel-registry.md asks for a proper slot in
 * pnpbox_machine.
 */
emu_kstate *emu_kstate_get(pnpbox_machine *m)
{
    if (!m || !m->reg)
        return NULL;
    pthread_mutex_lock(&kstates_lock);
    for (size_t i = 0; i < nkstates; i++) {
        if (kstates[i]->m == m) {
            emu_kstate *st = kstates[i];
            pthread_mutex_unlock(&kstates_lock);
            return st;
        }
    }
    emu_kstate *st = NULL;
    if (nkstates == kstates_cap) {
        size_t cap = kstates_cap ? kstates_cap * 2 : 4;
        emu_kstate **p = realloc(kstates, cap * sizeof *p);
        if (!p)
            goto out;
        kstates = p;
        kstates_cap = cap;
    }
    if (!(st = calloc(1, sizeof *st)))
        goto out;
    st->m = m;
    kstates[nkstates++] = st;
    pthread_mutex_unlock(&kstates_lock);
    if (regdb_on_close(m->reg, kstate_destroy, st) < 0) {
        kstate_destroy(st);
        return NULL;
    }
    return st;
out:
    pthread_mutex_unlock(&kstates_lock);
    return st;
}

/* ---------------------------------------------------------------- key handles */

typedef struct reg_notify reg_notify;

typedef struct reg_post_ent {
    reg_post p;
    reg_notify *blk;           /* the block it waits on; NULL once completed */
    struct reg_post_ent *next;
} reg_post_ent;

/* Windows' CM_NOTIFY_BLOCK: one per key handle, made by the first ZwNotifyChangeKey. */
struct reg_notify {
    pnpbox_machine *m;
    regdb_key key;
    unsigned filter;     /* REG_NOTIFY_CHANGE_* */
    int watch_tree;
    int pending;         /* a change happened while no post was waiting */
    int hook_id;         /* regdb hook, 0 when none */
    int dead;            /* the key was deleted */
    reg_post_ent *posts; /* newest first, as Windows inserts post blocks at the head */
};

struct reg_hobj {
    int is_link;
    reg_notify *notify;
};

static void notify_free(reg_notify *blk, emu_status st);

static void key_close(pnpbox_machine *m, emu_handle *h)
{
    (void)m;
    reg_hobj *ho = h->obj;
    if (!ho)
        return;
    /* Closing the handle completes its waiting notifications with STATUS_NOTIFY_CLEANUP (cmnotify.c CmpFlushNotify). */
    if (ho->notify)
        notify_free(ho->notify, STATUS_NOTIFY_CLEANUP);
    free(ho);
    h->obj = NULL;
}

uint32_t reg_core_map_access(uint32_t want)
{
    uint32_t a = want & ~(uint32_t)(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL | MAXIMUM_ALLOWED |
                                    KEY_WOW64_RES);
    if (want & GENERIC_READ)
        a |= KEY_READ;
    if (want & GENERIC_WRITE)
        a |= KEY_WRITE;
    if (want & GENERIC_EXECUTE)
        a |= KEY_EXECUTE;
    /* The caller (LocalSystem / kernel) is granted everything the key's security allows: all of it. */
    if (want & (GENERIC_ALL | MAXIMUM_ALLOWED))
        a |= KEY_ALL_ACCESS;
    return a;
}

static emu_status make_handle(pnpbox_machine *m, regdb_key key, uint32_t granted, const emu_prov *prov,
                              int prov_owned, unsigned hflags, char *path, void **out)
{
    reg_hobj *ho = calloc(1, sizeof *ho);
    if (!ho)
        goto nomem;
    regdb_key_info info;
    if (regdb_query_key(m->reg, key, &info) == 0)
        ho->is_link = (info.flags & REGDB_KEY_LINK) != 0;
    emu_handle e = {0};
    e.type = EMU_H_KEY;
    e.access = granted;
    if (prov_owned)
        e.prov = *prov;
    else
        emu_prov_copy(&e.prov, prov);
    e.key = key;
    e.obj = ho;
    e.close_fn = key_close;
    e.path = path;
    e.flags = hflags;
    void *hv = emu_handle_new(m, &e);
    if (!hv) {
        emu_prov_free(&e.prov);
        free(ho);
        free(path);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    *out = hv;
    return STATUS_SUCCESS;
nomem:
    if (prov_owned) {
        emu_prov tmp = *prov;
        emu_prov_free(&tmp);
    }
    free(path);
    return STATUS_INSUFFICIENT_RESOURCES;
}

emu_status reg_core_handle_new(pnpbox_machine *m, regdb_key key, uint32_t granted, const emu_prov *prov,
                               unsigned hflags, void **out)
{
    if (!m || !prov || !out)
        return STATUS_INVALID_PARAMETER;
    emu_lock(m);
    emu_status st;
    char *path = emu_key_path_u8(m, key);
    if (!path)
        st = regdb_key_check(m->reg, key) < 0 ? STATUS_KEY_DELETED : STATUS_INSUFFICIENT_RESOURCES;
    else
        st = make_handle(m, key, granted, prov, 0, hflags, path, out);
    emu_unlock(m);
    return st;
}

static inline emu_status handle_of(pnpbox_machine *m, void *h, emu_handle **out)
{
    /* The table look-up of emu_handle_get (handles.c) done in place: the caller holds the
     * machine lock, so the lock round trip and the call are saved on every access. */
    uintptr_t hv = (uintptr_t)h;
    if (!m || !hv || hv % 4 || hv / 4 - 1 >= (uintptr_t)m->nhandles)
        return STATUS_INVALID_HANDLE;
    emu_handle *e = m->handles[hv / 4 - 1];
    if (!e)
        return STATUS_INVALID_HANDLE;
    if (e->type != EMU_H_KEY)
        return STATUS_OBJECT_TYPE_MISMATCH;
    *out = e;
    return STATUS_SUCCESS;
}

emu_status reg_core_handle(pnpbox_machine *m, void *h, emu_handle **out) { return handle_of(m, h, out); }

/* ---------------------------------------------------------------- names */

/* Well-known object-manager directories and links that are not registry keys. */
static const char *const obdirs[] = {"Device", "??", "GLOBAL??", "DosDevices", "BaseNamedObjects", "KernelObjects",
                                     "Driver", "FileSystem", "ObjectTypes", "Callback", "Sessions", "KnownDlls",
                                     "Windows", "RPC Control", "SystemRoot", "DriverData", NULL};

/*
 * An absolute object name that is not under \Registry: what the object
 * manager answers for it when a key is asked for (Wine's test_NtOpenKey,
 * on Windows): "\" is the root directory (OBJECT_TYPE_MISMATCH), "\\"
 * OBJECT_NAME_INVALID, an unknown top-level name OBJECT_NAME_NOT_FOUND
 * (OBJECT_PATH_NOT_FOUND when more follows), an existing non-key object
 * (\Device\Null, a file on C:) OBJECT_TYPE_MISMATCH.
 */
static emu_status non_registry_name(const uint16_t *name, size_t n, size_t first_len)
{
    const uint16_t *c1 = name + 1;
    int more = 1 + first_len < n;
    for (int i = 0; obdirs[i]; i++) {
        if (!pb_wcsieq_ascii(c1, first_len, obdirs[i]))
            continue;
        if (!more)
            return STATUS_OBJECT_TYPE_MISMATCH; /* the directory or symbolic link itself */
        emu_ns_path np;
        emu_status st = emu_ns_resolve(name, n, &np);
        if (st == STATUS_SUCCESS) {
            emu_ns_free(&np);
            return STATUS_OBJECT_TYPE_MISMATCH; /* a file-system name: the I/O manager refuses a key type */
        }
        if (pb_wcsieq_ascii(c1, first_len, "Device")) {
            /* \Device\Null exists on every Windows; other devices are not emulated. */
            const uint16_t *r = c1 + first_len + 1;
            size_t rn = n - (size_t)(r - name);
            size_t k = 0;
            while (k < rn && r[k] != '\\')
                k++;
            if (pb_wcsieq_ascii(r, k, "Null"))
                return STATUS_OBJECT_TYPE_MISMATCH;
            return k < rn ? STATUS_OBJECT_PATH_NOT_FOUND : STATUS_OBJECT_NAME_NOT_FOUND;
        }
        return st == STATUS_OBJECT_PATH_SYNTAX_BAD ? STATUS_OBJECT_NAME_NOT_FOUND : st;
    }
    return more ? STATUS_OBJECT_PATH_NOT_FOUND : STATUS_OBJECT_NAME_NOT_FOUND;
}

/*
 * Normalise a registry path below some key: empty components (repeated or
 * trailing '\') are skipped, as the configuration manager's parse does
 * (Wine's test_NtCreateKey: "test_subkey2\\test\\" creates "test").
 * out must hold n units; returns the normalised length.
 */
static size_t normalize(const uint16_t *p, size_t n, uint16_t *out)
{
    size_t o = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && p[i] == '\\')
            i++;
        size_t j = i;
        while (j < n && p[j] != '\\')
            j++;
        if (j > i) {
            if (o)
                out[o++] = '\\';
            memcpy(out + o, p + i, (j - i) * sizeof *out);
            o += j - i;
        }
        i = j;
    }
    return o;
}

/* ---------------------------------------------------------------- opens */

#define KEY_WRITE_BITS                                                                             \
    (KEY_SET_VALUE | KEY_CREATE_SUB_KEY | KEY_CREATE_LINK | DELETE | WRITE_DAC | WRITE_OWNER | GENERIC_WRITE | \
     GENERIC_ALL)

/* The laundered-name entry the canonical name falls under (longest match), or NULL. */
static const reg_laundered *laundered_match(pnpbox_machine *m, const uint16_t *name, size_t n)
{
    emu_kstate *st = emu_kstate_get(m);
    const reg_laundered *best = NULL;
    for (size_t i = 0; st && i < st->nlaund; i++) {
        const reg_laundered *l = &st->laund[i];
        if (name_at_or_below(name, n, l->name, l->len) && (!best || l->len > best->len))
            best = l;
    }
    return best;
}

static int path_hardware(const char *path)
{
    static const char hw[] = "\\REGISTRY\\MACHINE\\HARDWARE";
    size_t l = sizeof hw - 1;
    return path && !strncasecmp(path, hw, l) && (path[l] == 0 || path[l] == '\\');
}

/* UTF-8 display path for an access whose key does not exist (yet): base path + '\' + rest. */
static char *join_path(const char *base, const uint16_t *rest, size_t n)
{
    char *r = n ? pb_utf8_from_wcs(rest, n) : strdup("");
    if (!r)
        return NULL;
    size_t bl = base ? strlen(base) : 0, rl = strlen(r);
    char *p = malloc(bl + rl + 2);
    if (p) {
        if (bl)
            memcpy(p, base, bl);
        size_t o = bl;
        if (bl && rl)
            p[o++] = '\\';
        memcpy(p + o, r, rl + 1);
    }
    free(r);
    return p;
}

/*
 * Display path for a name that does not resolve (a failed open, or a key
 * about to be created): the canonical path of the deepest existing key on
 * the way (links followed, so CurrentControlSet reads ControlSet001) plus
 * the rest of the name as given.  norm is normalised (single separators).
 */
static char *miss_path(pnpbox_machine *m, const emu_handle *root, regdb_key base, const uint16_t *norm, size_t nl)
{
    size_t cut = nl;
    for (;;) {
        size_t j = cut;
        while (j > 0 && norm[j - 1] != '\\')
            j--;
        regdb_key k = base;
        if (!j || regdb_open_key(m->reg, base, norm, j - 1, 0, &k) == 0) {
            char *bp = emu_key_path_u8(m, k);
            if (!bp)
                break;
            char *r = join_path(bp, norm + j, nl - j);
            free(bp);
            return r;
        }
        cut = j - 1;
    }
    return join_path(root ? root->path : "\\REGISTRY", norm, nl);
}

emu_status reg_core_open(reg_ctx *c, const reg_open_args *a, void **out, uint32_t *disposition)
{
    pnpbox_machine *m = c->m;
    regdb *db = m->reg;
    emu_handle *root = NULL;
    emu_status st;
    regdb_key base;
    const uint16_t *rest;
    size_t rest_len;
    const uint16_t *name = a->name;
    size_t n = name ? a->name_len : 0;

    /* ---- the starting point ---- */
    if (a->root) {
        if ((st = reg_core_handle(m, a->root, &root)) < 0)
            return st;
        if (n && name[0] == '\\')
            return STATUS_OBJECT_PATH_SYNTAX_BAD; /* a relative name must not start with '\' */
        if (regdb_key_check(db, root->key) < 0)
            return STATUS_KEY_DELETED;
        base = root->key;
        rest = name;
        rest_len = n;
    } else {
        if (!n || name[0] != '\\')
            return STATUS_OBJECT_PATH_SYNTAX_BAD;
        if (n == 1)
            return STATUS_OBJECT_TYPE_MISMATCH; /* "\" is the object manager's root directory */
        if (name[1] == '\\')
            return STATUS_OBJECT_NAME_INVALID;
        size_t j = 1;
        while (j < n && name[j] != '\\')
            j++;
        /* Windows 10 1607+ matches \Registry regardless of OBJ_CASE_INSENSITIVE (Wine's tests). */
        if (!pb_wcsieq_ascii(name + 1, j - 1, "REGISTRY"))
            return non_registry_name(name, n, j - 1);
        base = regdb_root(db);
        rest = name + j;
        rest_len = n - j;
    }

    /* ---- normalise the rest ---- */
    uint16_t sbuf[512];
    uint16_t *norm = rest_len <= 512 ? sbuf : malloc(rest_len * sizeof *norm);
    if (!norm)
        return STATUS_INSUFFICIENT_RESOURCES;
    size_t nl = normalize(rest, rest_len, norm);

    int create = (a->flags & REG_OPEN_CREATE) != 0;
    int mklink = create && (a->create_options & REG_OPTION_CREATE_LINK);
    uint32_t granted;
    if (a->flags & REG_OPEN_BACKUP)
        /* Backup and restore privileges (held by every kernel caller): KEY_READ and KEY_WRITE plus
         * ACCESS_SYSTEM_SECURITY, whatever was asked for (NtCreateKey's documentation). */
        granted = KEY_READ | KEY_WRITE | ACCESS_SYSTEM_SECURITY;
    else
        granted = reg_core_map_access(a->access);
    int wants_write = (a->access & KEY_WRITE_BITS) != 0 || (a->flags & REG_OPEN_BACKUP);

    /* ---- look it up (no state changes) ---- */
    regdb_key key = 0;
    int exists = 0;
    unsigned oflags = (a->flags & REG_OPEN_LINK) || mklink ? REGDB_OPEN_LINK : 0;
    int rc = regdb_open_key(db, base, norm, nl, oflags, &key);
    if (rc == 0) {
        exists = 1;
    } else if (rc != REGDB_E_NOTFOUND || !create) {
        st = rc == REGDB_E_INVAL ? STATUS_OBJECT_NAME_INVALID : emu_status_from_regdb(rc);
        /* Record the failed attempt: a driver reaching for the name is what the rules judge. */
        goto judge_failed;
    }
    if (exists && mklink) {
        st = STATUS_OBJECT_NAME_COLLISION; /* REG_OPTION_CREATE_LINK on an existing key (Wine's test_symlinks) */
        goto judge_failed;
    }

    /* ---- describe and judge ---- */
    {
        char *path;
        if (exists)
            path = emu_key_path_u8(m, key);
        else
            path = miss_path(m, root, base, norm, nl);
        if (!path) {
            st = STATUS_INSUFFICIENT_RESOURCES;
            goto done;
        }
        emu_prov prov;
        memset(&prov, 0, sizeof prov);
        if (root) {
            emu_prov_copy(&prov, &root->prov);
        } else {
            prov.api = "absolute";
            prov.owner = emu_comp();
            prov.approved = path_hardware(path) && !wants_write && exists;
        }
        emu_access acc = {0};
        acc.api = c->api;
        acc.kind = EMU_ACC_REG;
        acc.op = create ? EMU_OP_CREATE : EMU_OP_OPEN;
        acc.prov = &prov;
        acc.absolute = root == NULL;
        acc.key = exists ? key : 0;
        acc.path = path;
        acc.access = a->access;
        acc.write = wants_write || (create && !exists);
        acc.creates = create && !exists;
        acc.caller = c->caller;
        emu_verdict v;
        emu_judge(m, &acc, &v);
        if (v.deny) {
            emu_record(m, &acc, &v, STATUS_ACCESS_DENIED);
            emu_prov_free(&prov);
            free(path);
            st = STATUS_ACCESS_DENIED;
            goto done;
        }

        /* ---- perform ---- */
        int created = 0;
        if (!exists) {
            unsigned copts = 0;
            if (a->create_options & REG_OPTION_VOLATILE)
                copts |= REGDB_CREATE_VOLATILE;
            if (mklink)
                copts |= REGDB_CREATE_LINK | REGDB_CREATE_EXCL;
            rc = regdb_create_key(db, base, norm, nl, copts, a->cls, a->cls_len, &key, &created);
            if (rc < 0) {
                st = rc == REGDB_E_INVAL ? STATUS_OBJECT_NAME_INVALID : emu_status_from_regdb(rc);
                emu_record(m, &acc, &v, st);
                emu_prov_free(&prov);
                free(path);
                goto done;
            }
            free(path);
            path = emu_key_path_u8(m, key);
            acc.path = path;
            acc.key = key;
            if (!path) {
                st = STATUS_INSUFFICIENT_RESOURCES;
                emu_record(m, &acc, &v, st);
                emu_prov_free(&prov);
                goto done;
            }
        }

        /* An absolute open of a name read back from an approved handle launders it. */
        if (!root) {
            uint16_t *cn;
            size_t cl;
            if (regdb_key_path(db, key, &cn, &cl) == 0) {
                const reg_laundered *l = laundered_match(m, cn, cl);
                if (l) {
                    emu_prov_free(&prov);
                    emu_prov_copy(&prov, &l->prov);
                    prov.owner = emu_comp();
                    prov.approved = 0;
                    prov.laundered = 1;
                }
                free(cn);
            }
        }
        void *hv = NULL;
        emu_prov hprov;
        emu_prov_copy(&hprov, &prov);
        char *hpath = strdup(path);
        st = hpath ? make_handle(m, key, granted, &hprov, 1, a->hflags, hpath, &hv)
                   : (emu_prov_free(&hprov), STATUS_INSUFFICIENT_RESOURCES);
        emu_record(m, &acc, &v, st);
        emu_prov_free(&prov);
        free(path);
        if (st == STATUS_SUCCESS) {
            *out = hv;
            if (disposition)
                *disposition = created ? REG_CREATED_NEW_KEY : REG_OPENED_EXISTING_KEY;
        }
        goto done;
    }

judge_failed : {
    char *path = miss_path(m, root, base, norm, nl);
    emu_prov prov;
    memset(&prov, 0, sizeof prov);
    if (root) {
        emu_prov_copy(&prov, &root->prov);
    } else {
        prov.api = "absolute";
        prov.owner = emu_comp();
    }
    emu_access acc = {0};
    acc.api = c->api;
    acc.kind = EMU_ACC_REG;
    acc.op = create ? EMU_OP_CREATE : EMU_OP_OPEN;
    acc.prov = &prov;
    acc.absolute = root == NULL;
    acc.path = path;
    acc.access = a->access;
    acc.write = wants_write || create;
    acc.creates = create;
    acc.caller = c->caller;
    emu_verdict v;
    emu_judge(m, &acc, &v);
    emu_record(m, &acc, &v, v.deny ? STATUS_ACCESS_DENIED : st);
    if (v.deny)
        st = STATUS_ACCESS_DENIED;
    emu_prov_free(&prov);
    free(path);
}
done:
    if (norm != sbuf)
        free(norm);
    return st;
}

/* ---------------------------------------------------------------- operations on a handle */

/*
 * The per-access path (resolve, judge, end, value reads) is marked hot: GCC
 * groups hot functions in .text.hot, so the few cache lines a repeated
 * query runs through sit together instead of evicting the registry
 * engine's own code from the instruction cache.
 */
__attribute__((hot)) emu_status reg_op_resolve(reg_ctx *c, reg_op *op, void *h, uint32_t need_access)
{
    op->vname_heap = NULL;
    op->ho = NULL;
    op->slot = NULL;
    emu_status st = handle_of(c->m, h, &op->h);
    if (st < 0)
        return st;
    /* Kernel callers (Zw*, PreviousMode KernelMode) are not checked against the granted access:
     * ObReferenceObjectByHandle grants everything in KernelMode.  User-mode callers are. */
    if (c->user_mode && (op->h->access & need_access) != need_access)
        return STATUS_ACCESS_DENIED;
    op->ho = op->h->obj;
    return STATUS_SUCCESS;
}

__attribute__((hot)) emu_status reg_op_judge(reg_ctx *c, reg_op *op, emu_op kind, uint32_t need_access,
                                              int write, const uint16_t *vname, size_t vname_len, int has_value)
{
    emu_access *a = &op->a;
    /* Every field assigned one by one: an aggregate initializer zeroes the struct with `rep stos`,
     * whose start-up cost was most of this function's time (and stalled the loads that follow).
     * The assertion below fails when a field is added: assign it here too. */
    _Static_assert(sizeof(emu_access) == 152, "emu_access changed: assign every field in reg_op_judge");
    a->api = c->api;
    a->kind = EMU_ACC_REG;
    a->op = kind;
    a->prov = &op->h->prov;
    a->absolute = 0;
    a->key = op->h->key;
    a->path = op->h->path;
    a->value = NULL;
    a->wvalue = NULL;
    a->wvalue_len = 0;
    a->has_wvalue = 0;
    a->access = need_access;
    a->write = write;
    a->creates = 0;
    a->is_dir = 0;
    a->comp = NULL;
    a->iface_class = NULL;
    a->detail = NULL;
    a->caller = c->caller;
    a->via = NULL;
    a->fold = &op->h->fold; /* repeated accesses through this handle reuse the verdict and fold the event */
    a->fold_key = 0;
    if (has_value) {
        /* Converted to UTF-8 only when a new event is recorded or a write judged (emu_access_value). */
        a->wvalue = vname;
        a->wvalue_len = vname_len;
        a->has_wvalue = 1;
    }
    a->fold_key = emu_fold_key(a); /* hashed once for the judge and the record */
    /* The component once for the judge and the record (it cannot change within the call). */
    a->comp = emu_comp();
    /* A repeated access: the verdict from the handle's memo, without judging (rules.c). */
    op->slot = emu_judge_cached(c->m, a, a->comp, &op->v);
    if (!op->slot)
        emu_judge(c->m, a, &op->v);
    if (op->v.deny) {
        emu_record(c->m, a, &op->v, STATUS_ACCESS_DENIED);
        free(op->vname_heap);
        op->vname_heap = NULL;
        return STATUS_ACCESS_DENIED;
    }
    return STATUS_SUCCESS;
}

emu_status reg_op_begin(reg_ctx *c, reg_op *op, void *h, emu_op kind, uint32_t need_access, int write,
                        const uint16_t *vname, size_t vname_len, int has_value)
{
    emu_status st = reg_op_resolve(c, op, h, need_access);
    if (st < 0)
        return st;
    return reg_op_judge(c, op, kind, need_access, write, vname, vname_len, has_value);
}

__attribute__((hot)) void reg_op_end(reg_ctx *c, reg_op *op, emu_status st)
{
    if (!emu_record_folded(c->m, &op->a, &op->v, st, op->slot))
        emu_record(c->m, &op->a, &op->v, st);
    if (op->vname_heap) {
        free(op->vname_heap);
        op->vname_heap = NULL;
    }
}

emu_status reg_core_miss(reg_ctx *c, regdb_key key, emu_status missing)
{
    return regdb_key_check(c->m->reg, key) < 0 ? STATUS_KEY_DELETED : missing;
}

emu_status reg_core_value_miss(reg_ctx *c, reg_op *op, int rc)
{
    if (rc == REGDB_E_NOTFOUND || rc == REGDB_E_TOOLONG || rc == REGDB_E_DELETED)
        return reg_core_miss(c, op->h->key, STATUS_OBJECT_NAME_NOT_FOUND);
    return emu_status_from_regdb(rc);
}

emu_status reg_core_get_value(reg_ctx *c, reg_op *op, const uint16_t *name, size_t n, regdb_value *v)
{
    int rc = regdb_query_value(c->m->reg, op->h->key, name, n, v);
    return rc == 0 ? STATUS_SUCCESS : reg_core_value_miss(c, op, rc);
}

__attribute__((hot)) emu_status reg_core_get_value_into(reg_ctx *c, reg_op *op, const uint16_t *name, size_t n,
                                                        uint32_t *type, void *buf, size_t cap, size_t *len)
{
    int rc = regdb_query_value_into(c->m->reg, op->h->key, name, n, type, buf, cap, len);
    return rc == 0 ? STATUS_SUCCESS : reg_core_value_miss(c, op, rc);
}

emu_status reg_core_set_value(reg_ctx *c, reg_op *op, const uint16_t *name, size_t n, uint32_t type,
                              const void *data, size_t len)
{
    if (op->ho && op->ho->is_link) {
        /* A link key holds its SymbolicLinkValue (REG_LINK) and nothing else (Wine's test_symlinks). */
        if (type != REGDB_LINK || !pb_wcsieq_ascii(name, n, "SymbolicLinkValue"))
            return reg_core_miss(c, op->h->key, STATUS_ACCESS_DENIED);
    }
    int rc = regdb_set_value(c->m->reg, op->h->key, name, n, type, data, len);
    if (rc == REGDB_E_TOOLONG)
        return STATUS_INVALID_PARAMETER;
    return emu_status_from_regdb(rc);
}

emu_status reg_core_delete_value(reg_ctx *c, reg_op *op, const uint16_t *name, size_t n)
{
    int rc = regdb_delete_value(c->m->reg, op->h->key, name, n);
    if (rc == 0)
        return STATUS_SUCCESS;
    if (rc == REGDB_E_NOTFOUND || rc == REGDB_E_TOOLONG || rc == REGDB_E_DELETED)
        return reg_core_miss(c, op->h->key, STATUS_OBJECT_NAME_NOT_FOUND);
    return emu_status_from_regdb(rc);
}

emu_status reg_core_enum_value(reg_ctx *c, reg_op *op, uint32_t index, regdb_value *v)
{
    int rc = regdb_enum_value(c->m->reg, op->h->key, index, v);
    if (rc == 0)
        return STATUS_SUCCESS;
    if (rc == REGDB_E_NOTFOUND || rc == REGDB_E_DELETED)
        return reg_core_miss(c, op->h->key, STATUS_NO_MORE_ENTRIES);
    return emu_status_from_regdb(rc);
}

emu_status reg_core_enum_key(reg_ctx *c, reg_op *op, uint32_t index, regdb_key_entry *e)
{
    int rc = regdb_enum_key(c->m->reg, op->h->key, index, e);
    if (rc == 0)
        return STATUS_SUCCESS;
    if (rc == REGDB_E_NOTFOUND || rc == REGDB_E_DELETED)
        return reg_core_miss(c, op->h->key, STATUS_NO_MORE_ENTRIES);
    return emu_status_from_regdb(rc);
}

emu_status reg_core_key_info(reg_ctx *c, regdb_key key, regdb_key_info *info)
{
    int rc = regdb_query_key(c->m->reg, key, info);
    return rc == REGDB_E_DELETED ? STATUS_KEY_DELETED : emu_status_from_regdb(rc);
}

emu_status reg_core_key_name(reg_ctx *c, reg_op *op, uint16_t **name, size_t *len)
{
    int rc = regdb_key_path(c->m->reg, op->h->key, name, len);
    if (rc < 0)
        return rc == REGDB_E_DELETED ? STATUS_KEY_DELETED : emu_status_from_regdb(rc);
    return STATUS_SUCCESS;
}

void reg_core_note_name(reg_ctx *c, reg_op *op, const uint16_t *name, size_t len)
{
    /* Only names of handles an approved API produced (or opened below one) can be laundered: an
     * absolute handle reopened by name is just another absolute open. */
    const emu_prov *p = &op->h->prov;
    if (!p->api || !strcmp(p->api, "absolute") || !p->approved || p->laundered)
        return;
    emu_kstate *st = emu_kstate_get(c->m);
    if (!st)
        return; /* detection is best effort when out of memory; the name is still handed out */
    for (size_t i = 0; i < st->nlaund; i++) {
        reg_laundered *l = &st->laund[i];
        if (l->len == len && pb_wcsnieq(l->name, l->len, name, len) && l->prov.api == p->api &&
            l->prov.sel == p->sel && l->prov.scope == p->scope && l->prov.scope_owner == p->scope_owner)
            return; /* already remembered */
    }
    if (st->nlaund == st->laund_cap) {
        size_t cap = st->laund_cap ? st->laund_cap * 2 : 8;
        reg_laundered *nl = realloc(st->laund, cap * sizeof *nl);
        if (!nl)
            return;
        st->laund = nl;
        st->laund_cap = cap;
    }
    reg_laundered *l = &st->laund[st->nlaund];
    if (!(l->name = pb_wcsndup(name, len)))
        return;
    l->len = len;
    emu_prov_copy(&l->prov, p);
    st->nlaund++;
}

emu_status reg_core_delete_key(reg_ctx *c, reg_op *op)
{
    regdb *db = c->m->reg;
    regdb_key key = op->h->key;
    regdb_key_info info;
    int rc = regdb_query_key(db, key, &info);
    if (rc == REGDB_E_DELETED)
        return STATUS_SUCCESS; /* deleting an already deleted key succeeds (Wine's test_NtDeleteKey) */
    if (rc < 0)
        return emu_status_from_regdb(rc);
    /* Hive roots (\REGISTRY, \REGISTRY\MACHINE, \REGISTRY\MACHINE\SYSTEM ...) cannot be deleted. */
    if (key == regdb_root(db) || info.parent == regdb_root(db))
        return STATUS_CANNOT_DELETE;
    regdb_key_info pinfo;
    if (regdb_query_key(db, info.parent, &pinfo) == 0 && pinfo.parent == regdb_root(db))
        return STATUS_CANNOT_DELETE;
    rc = regdb_delete_key(db, key);
    return emu_status_from_regdb(rc); /* REGDB_E_NOTEMPTY: STATUS_CANNOT_DELETE */
}

/* ---------------------------------------------------------------- notifications */

static void post_complete(pnpbox_machine *m, reg_post_ent *e, emu_status st)
{
    e->blk = NULL;
    switch (e->p.kind) {
    case REG_POST_SYNC:
        e->p.result = st;
        return; /* the waiting call owns the entry */
    case REG_POST_USER:
        if (e->p.iosb_status)
            *e->p.iosb_status = st;
        if (e->p.iosb_info)
            *e->p.iosb_info = 0;
        /* fallthrough */
    case REG_POST_KERNEL:
        /* Windows queues the work item first, then sets the event (cmnotify.c CmpPostNotify). */
        if (e->p.work_item)
            emu_work_enqueue(m, e->p.work_item, e->p.queue_type, e->p.comp);
        if (e->p.event) {
            emu_event_signal(e->p.event);
            emu_event_unref(e->p.event);
        }
        free(e);
        return;
    }
}

static void notify_post_all(reg_notify *blk, emu_status st)
{
    reg_post_ent *e = blk->posts;
    blk->posts = NULL;
    while (e) {
        reg_post_ent *next = e->next;
        post_complete(blk->m, e, st);
        e = next;
    }
}

static void notify_unhook(reg_notify *blk)
{
    if (blk->hook_id) {
        regdb_hook_remove(blk->m->reg, blk->hook_id);
        blk->hook_id = 0;
    }
}

static void notify_free(reg_notify *blk, emu_status st)
{
    notify_unhook(blk);
    notify_post_all(blk, st);
    free(blk);
}

static void notify_hook(void *ctx, regdb_key watched, regdb_key changed, unsigned what)
{
    (void)watched;
    (void)changed;
    reg_notify *blk = ctx;
    if (what & REGDB_CHANGE_DELETED) {
        /* The key itself was deleted: its notifications are flushed with STATUS_NOTIFY_CLEANUP
         * (cmnotify.c CmpFlushNotify) and it can be armed no more. */
        notify_unhook(blk);
        blk->dead = 1;
        notify_post_all(blk, STATUS_NOTIFY_CLEANUP);
        return;
    }
    if (!blk->posts) {
        blk->pending = 1; /* remembered for the next ZwNotifyChangeKey (NotifyPending) */
        return;
    }
    blk->pending = 0;
    notify_post_all(blk, STATUS_NOTIFY_ENUM_DIR);
}

static unsigned hook_filter(unsigned f)
{
    unsigned r = REGDB_CHANGE_DELETED;
    if (f & REG_NOTIFY_CHANGE_NAME)
        r |= REGDB_CHANGE_NAME;
    if (f & REG_NOTIFY_CHANGE_ATTRIBUTES)
        r |= REGDB_CHANGE_ATTRIBUTES;
    if (f & REG_NOTIFY_CHANGE_LAST_SET)
        r |= REGDB_CHANGE_LAST_SET;
    if (f & REG_NOTIFY_CHANGE_SECURITY)
        r |= REGDB_CHANGE_SECURITY;
    return r;
}

emu_status reg_core_notify(reg_ctx *c, reg_op *op, unsigned filter, int watch_tree, const reg_post *post,
                           void **sync_token)
{
    pnpbox_machine *m = c->m;
    reg_hobj *ho = op->ho;
    if (!ho)
        return STATUS_INVALID_HANDLE;
    reg_notify *blk = ho->notify;
    if (regdb_key_check(m->reg, op->h->key) < 0 || (blk && blk->dead))
        return STATUS_KEY_DELETED;
    if (!blk) {
        /* The first call fixes the block's filter and WatchTree; later calls on the handle join it
         * (cmnotify.c CmpNotifyChangeKey; Wine's test_notify shows a second filter being ignored). */
        if (!(blk = calloc(1, sizeof *blk)))
            return STATUS_INSUFFICIENT_RESOURCES;
        blk->m = m;
        blk->key = op->h->key;
        blk->filter = filter;
        blk->watch_tree = watch_tree != 0;
        int id = 0;
        int rc = regdb_hook_add(m->reg, blk->key, blk->watch_tree, hook_filter(filter), notify_hook, blk, &id);
        if (rc < 0) {
            free(blk);
            return rc == REGDB_E_DELETED ? STATUS_KEY_DELETED : emu_status_from_regdb(rc);
        }
        blk->hook_id = id;
        ho->notify = blk;
    }
    reg_post_ent *e = calloc(1, sizeof *e);
    if (!e)
        return STATUS_INSUFFICIENT_RESOURCES;
    e->p = *post;
    e->p.result = 0;
    if (e->p.event)
        emu_event_ref(e->p.event);
    e->blk = blk;
    e->next = blk->posts;
    blk->posts = e;
    if (post->kind == REG_POST_SYNC)
        *sync_token = e;
    if (blk->pending) {
        /* A change is waiting: complete at once (CmpNotifyChangeKey returns STATUS_SUCCESS then). */
        blk->pending = 0;
        notify_post_all(blk, STATUS_NOTIFY_ENUM_DIR);
        return STATUS_SUCCESS;
    }
    return STATUS_PENDING;
}

emu_status reg_core_sync_result(void *sync_token)
{
    reg_post_ent *e = sync_token;
    return e ? e->p.result : 0;
}

void reg_core_sync_forget(pnpbox_machine *m, void *sync_token)
{
    (void)m;
    reg_post_ent *e = sync_token;
    if (!e)
        return;
    if (e->blk) {
        for (reg_post_ent **pp = &e->blk->posts; *pp; pp = &(*pp)->next) {
            if (*pp == e) {
                *pp = e->next;
                break;
            }
        }
    }
    if (e->p.event)
        emu_event_unref(e->p.event);
    free(e);
}
