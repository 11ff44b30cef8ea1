/*
 * install.c: installing a staged driver on a device (pnpbox_device_add),
 * updating it to a better package (pnpbox_device_update), and listing
 * devices.  Contract: include/pnpbox/store.h; the layout and the choices
 * made where Windows is undocumented: docs/driver-store.md.
 *
 * The driver is chosen as Windows ranks drivers (docs/inf.md "Rank"):
 * every package the DriverDatabase's DeviceIds index names for one of the
 * device's IDs is parsed from its store folder and matched; the best node
 * over all packages wins (lower rank, then newer DriverVer date, then
 * higher version, then the lower oem number).
 *
 * Installing runs the node's install plan (emu_inf_plan_node, with DIRID 13
 * = the package's store folder) in the plan's order, in one registry
 * transaction, as the installer component:
 *   - the Enum key values: HardwareID, CompatibleIDs, Class, ClassGUID,
 *     Driver ({guid}\NNNN), DeviceDesc and Mfg ("@oemN.inf,%strkey%;Text",
 *     the key in lowercase as Windows writes it), ConfigFlags 0, Service;
 *   - the class key Control\Class\{guid} when the class is new (with Class,
 *     and then the INF's ClassInstall32 registry), and the software key
 *     Control\Class\{guid}\NNNN (lowest free decimal ordinal);
 *   - every registry op at its root: HKR of DDInstall = the software key,
 *     of .HW = Enum\<instance>\Device Parameters (except UpperFilters,
 *     LowerFilters, DeviceType, DeviceCharacteristics, Security and
 *     Exclusive directly under HKR, which SetupAPI stores as device
 *     properties in the Enum key itself), of a service-install section =
 *     Services\<name>, of an add-interface section = the interface's
 *     Device Parameters; HKLM/HKCR/HKCU/HKU as written (HKCU is LocalSystem's,
 *     \REGISTRY\USER\S-1-5-18, the installer's account; FLG_ADDREG_32BITKEY
 *     puts HKLM\SOFTWARE and HKCR under WOW6432Node);
 *   - services: the key, the values the SCM writes (from the plan), Owners
 *     (REG_MULTI_SZ of the INFs that installed it), and the Enum key's
 *     Service for the ASSOCSERVICE one;
 *   - interfaces: DeviceClasses\{g}\##?#<instance '\'->'#'>#{g} with
 *     DeviceInstance, \#<ref> with SymbolicLink (\\?\ form) and Device
 *     Parameters (iface.c's layout);
 *   - filters of DDInstall.Filters: appended to the Enum key's UpperFilters
 *     or LowerFilters (FilterPosition; with only a FilterLevel, a level named
 *     Lower... is a lower filter, any other an upper one);
 *   - file copies to every DIRID but 13 (13 is the store folder itself),
 *     from the store folder, creating directories; DelFiles and RenFiles
 *     too.  Replaced and deleted files are backed up in the session's undo
 *     log;
 *   - last, the installer-owned software-key values: DriverDesc,
 *     DriverVersion, DriverDate (M-D-YYYY), DriverDateData (FILETIME),
 *     InfPath, InfSection, InfSectionExt (".NT", ".NTamd64", when the
 *     DDInstall is decorated), MatchingDeviceId (lowercase), ProviderName;
 *     written after the INF's own AddReg so they always win.
 * A failure anywhere rolls the transaction back and undoes the files.
 */
#include "emu/install_int.h"
#include "emu/pnp.h"

#include "base/pb_buf.h"
#include "base/pb_log.h"
#include "base/pb_utf16.h"
#include "pnpbox/store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ================================================================ small helpers */

static char *u8w(const uint16_t *s, size_t n) { return pb_utf8_from_wcs(n ? s : (const uint16_t *)L"", n); }
static char *u8s(inf_str s) { return u8w(s.s, s.n); }
static char *u8ws(inf_wstr s) { return u8w(s.s, s.n); }

static inf_str trim(inf_str s)
{
    while (s.n && (s.s[0] == ' ' || s.s[0] == '\t'))
        s.s++, s.n--;
    while (s.n && (s.s[s.n - 1] == ' ' || s.s[s.n - 1] == '\t'))
        s.n--;
    return s;
}

static void lower_ascii(char *s)
{
    for (; s && *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s + 32);
}

static void upper_ascii(char *s)
{
    for (; s && *s; s++)
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 32);
}

/* "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" in lowercase, or -1 when s is not a GUID. */
static int guid_norm(const char *s, char out[39])
{
    static const char shape[] = "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}";
    if (!s || strlen(s) != 38)
        return -1;
    for (int i = 0; i < 38; i++) {
        char c = s[i];
        if (shape[i] == 'X') {
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                return -1;
            out[i] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
        } else if (c != shape[i]) {
            return -1;
        } else {
            out[i] = c;
        }
    }
    out[38] = 0;
    return 0;
}

/*
 * A device ID as Windows accepts it ("Device Identification Strings"):
 * 1..200 characters above 0x20 and below 0x7F, no ','.  An instance ID is
 * three such '\'-separated, non-empty components.
 */
static int id_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > 200)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7F || s[i] == ',')
            return 0;
    return 1;
}

static int instance_valid(const char *s)
{
    if (!id_valid(s))
        return 0;
    const char *a = strchr(s, '\\'), *b = a ? strchr(a + 1, '\\') : NULL;
    return a && b && !strchr(b + 1, '\\') && a > s && b > a + 1 && b[1];
}

static void event(emu_inst *s, emu_op op, const char *path, const char *value)
{
    emu_inst_reg_event(s, op, path, value);
}

/* The FILETIME of a date at midnight UTC. */
static uint64_t filetime_of(unsigned y, unsigned mo, unsigned d)
{
    /* days since 1970-01-01 (civil calendar), then 1601 -> 1970 is 134774 days */
    int yy = (int)y - (mo <= 2);
    int era = (yy >= 0 ? yy : yy - 399) / 400;
    unsigned yoe = (unsigned)(yy - era * 400);
    unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
    return (uint64_t)(days + 134774) * 864000000000ull;
}

/* ================================================================ choosing the driver */

typedef struct cand {
    char *oem, *folder, *inf_name;
    inf_file *inf;
    inf_file **incl;
    size_t nincl;
    inf_driver_node node;
    int have;
} cand;

static void cand_free(cand *c)
{
    free(c->oem);
    free(c->folder);
    free(c->inf_name);
    emu_inf_free_list(c->incl, c->nincl);
    emu_inf_free(c->inf);
    memset(c, 0, sizeof *c);
}

typedef struct idlist {
    char **hw, **compat;
    size_t nhw, ncompat;
    uint16_t **whw, **wcompat;
} idlist;

static void ids_free(idlist *l)
{
    emu_strv_free(l->hw, l->nhw);
    emu_strv_free(l->compat, l->ncompat);
    for (size_t i = 0; l->whw && i < l->nhw; i++)
        free(l->whw[i]);
    for (size_t i = 0; l->wcompat && i < l->ncompat; i++)
        free(l->wcompat[i]);
    free(l->whw);
    free(l->wcompat);
    memset(l, 0, sizeof *l);
}

static int ids_wide(idlist *l)
{
    l->whw = calloc(l->nhw + 1, sizeof *l->whw);
    l->wcompat = calloc(l->ncompat + 1, sizeof *l->wcompat);
    if (!l->whw || !l->wcompat)
        return -ENOMEM;
    for (size_t i = 0; i < l->nhw; i++)
        if (!(l->whw[i] = pb_wcs_from_utf8(l->hw[i])))
            return -ENOMEM;
    for (size_t i = 0; i < l->ncompat; i++)
        if (!(l->wcompat[i] = pb_wcs_from_utf8(l->compat[i])))
            return -ENOMEM;
    return 0;
}

/* The best-ranked driver node over every staged package offering one of the IDs. */
static int find_best(emu_inst *s, idlist *ids, cand *best)
{
    pnpbox_machine *m = s->m;
    memset(best, 0, sizeof *best);
    size_t nall = ids->nhw + ids->ncompat;
    const char **all = calloc(nall + 1, sizeof *all);
    if (!all)
        return -ENOMEM;
    for (size_t i = 0; i < ids->nhw; i++)
        all[i] = ids->hw[i];
    for (size_t i = 0; i < ids->ncompat; i++)
        all[ids->nhw + i] = ids->compat[i];
    char **oems = NULL;
    size_t n = 0;
    int rc = emu_store_offers(m, all, nall, &oems, &n);
    free(all);
    if (rc < 0)
        return rc;
    inf_target t;
    emu_machine_target(m, &t);
    inf_match_opts mo = {&t, 0};
    for (size_t i = 0; i < n && rc == 0; i++) {
        cand c;
        memset(&c, 0, sizeof c);
        if (emu_store_lookup(m, oems[i], &c.folder, &c.inf_name) < 0)
            continue;
        c.oem = strdup(oems[i]);
        if (!c.oem) {
            cand_free(&c);
            rc = -ENOMEM;
            break;
        }
        int r = emu_store_load_inf(s, c.folder, c.inf_name, &c.inf);
        if (r < 0) {
            emu_log(m, "pnpbox: warning: %s: %s", oems[i], m->errmsg);
            cand_free(&c);
            if (r == -ENOMEM)
                rc = r;
            continue;
        }
        inf_driver_node *nodes = NULL;
        size_t nn = 0;
        r = emu_inf_match(c.inf, &mo, (const uint16_t *const *)ids->whw, ids->nhw,
                          (const uint16_t *const *)ids->wcompat, ids->ncompat, &nodes, &nn);
        if (r == INF_E_NOMEM)
            rc = -ENOMEM;
        if (r == 0 && nn && (!best->have || emu_inf_node_cmp(&nodes[0], &best->node) < 0)) {
            c.node = nodes[0];
            c.have = 1;
            if (m->inf_path) {
                inf_parse_opts po = {m->langid, t.arch, 0};
                const char *dirs[1] = {m->inf_path};
                emu_inf_load_includes(c.inf, dirs, 1, &po, &c.incl, &c.nincl);
            }
            cand_free(best);
            *best = c;
        } else {
            cand_free(&c);
        }
        free(nodes);
    }
    emu_strv_free(oems, n);
    if (rc < 0)
        cand_free(best);
    return rc;
}

/* ================================================================ the install context */

typedef struct ictx {
    emu_inst *s;
    pnpbox_machine *m;
    regdb *r;
    const char *inst;
    regdb_key ek;              /* Enum\<instance> */
    char epath[800];           /* its NT path */
    cand *c;
    inf_plan *plan;
    inf_target target;
    inf_version ver;
    char guid[39];
    int class_new;
    regdb_key ck;              /* Control\Class\{guid} */
    regdb_key sk;              /* the software key */
    char drv[64];              /* "{guid}\NNNN" */
    char spath[700];
    int have_hk;
    regdb_key hk;              /* Enum\<instance>\Device Parameters */
    char store_win32[620], store_vp[600];
    char *service;             /* the ASSOCSERVICE service */
    const inf_op *op;          /* the op being executed (for messages) */
    struct {
        char *id, *path;
        regdb_key key;
    } cache[16];
    int ncache;
} ictx;

/* "x.inf line 12: " for the op being executed. */
static void op_error(ictx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void op_error(ictx *x, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (x->op && x->op->file)
        emu_set_error(x->m, "%s line %u: %s", x->op->file, x->op->lineno, msg);
    else
        emu_set_error(x->m, "%s", msg);
}

/* Put "x.inf line 12: " before a message a helper set. */
static void prefix_op(ictx *x)
{
    char old[sizeof x->m->errmsg];
    snprintf(old, sizeof old, "%s", x->m->errmsg);
    if (x->op && x->op->file)
        emu_set_error(x->m, "%s line %u: %s", x->op->file, x->op->lineno, old);
}

static int reg_fail(ictx *x, int rc, const char *what, const char *path)
{
    op_error(x, "cannot %s '%s': %s", what, path, regdb_errmsg(x->r)[0] ? regdb_errmsg(x->r) : regdb_strerror(rc));
    return rc == REGDB_E_NOMEM ? -ENOMEM : rc == REGDB_E_INVAL || rc == REGDB_E_TOOLONG ? -EINVAL : -EIO;
}

static int set_str(ictx *x, regdb_key k, const char *path, const char *name, const char *val, uint32_t type)
{
    int rc = emu_reg_set_str(x->r, k, name, val, type);
    if (rc < 0)
        return reg_fail(x, rc, "write a value of", path);
    event(x->s, EMU_OP_SET, path, name);
    return 0;
}

/* Create (or open) rel under the ControlSet; *path gets its NT path. */
static int ccs_create(ictx *x, const char *rel, regdb_key *k, char *path, size_t cap)
{
    snprintf(path, cap, "%s\\%s", EMU_CCS_PATH, rel);
    uint16_t *w = NULL;
    size_t n = 0;
    int created = 0;
    int rc = pb_utf8_to_utf16(rel, strlen(rel), &w, &n);
    if (rc == 0)
        rc = regdb_create_key(x->r, x->m->ccs, w, n, REGDB_CREATE_PATH, NULL, 0, k, &created);
    free(w);
    if (rc < 0)
        return rc == -ENOMEM ? rc : reg_fail(x, rc, "create key", path);
    if (created)
        event(x->s, EMU_OP_CREATE, path, NULL);
    return 0;
}

/* Root keys resolved once per install (services, interfaces...): "S|name" -> key and path. */
static int root_cached(ictx *x, const char *id, regdb_key *k, char *path, size_t cap)
{
    for (int i = 0; i < x->ncache; i++)
        if (!strcmp(x->cache[i].id, id)) {
            *k = x->cache[i].key;
            snprintf(path, cap, "%s", x->cache[i].path);
            return 1;
        }
    return 0;
}

static void root_remember(ictx *x, const char *id, regdb_key k, const char *path)
{
    if (x->ncache == (int)(sizeof x->cache / sizeof x->cache[0]))
        return;
    char *i = strdup(id), *p = strdup(path);
    if (!i || !p) {
        free(i);
        free(p);
        return;
    }
    x->cache[x->ncache].id = i;
    x->cache[x->ncache].path = p;
    x->cache[x->ncache++].key = k;
}

/* Forget the cached roots (a key was deleted: its id may be one of them). */
static void root_forget(ictx *x)
{
    for (int i = 0; i < x->ncache; i++) {
        free(x->cache[i].id);
        free(x->cache[i].path);
    }
    x->ncache = 0;
}

/* A registry key name component (a service name, a reference string). */
static int component_ok(const char *s) { return s && *s && strlen(s) <= 255 && !strchr(s, '\\'); }

/* ---------------------------------------------------------------- MULTI_SZ edits */

/* Split MULTI_SZ data into strings (pointers into a copy). */
typedef struct wlist {
    uint16_t *buf;
    const uint16_t **s;
    size_t *n;
    size_t cnt;
} wlist;

static int wlist_parse(const void *data, size_t len, wlist *l)
{
    memset(l, 0, sizeof *l);
    size_t units = len / 2;
    l->buf = malloc((units + 1) * 2);
    l->s = malloc((units / 2 + 2) * sizeof *l->s);
    l->n = malloc((units / 2 + 2) * sizeof *l->n);
    if (!l->buf || !l->s || !l->n)
        return -ENOMEM;
    if (units)
        memcpy(l->buf, data, units * 2);
    l->buf[units] = 0;
    for (size_t i = 0; i < units;) {
        size_t j = i;
        while (j < units && l->buf[j])
            j++;
        if (j == i)
            break;
        l->s[l->cnt] = l->buf + i;
        l->n[l->cnt++] = j - i;
        i = j + 1;
    }
    return 0;
}

static void wlist_free(wlist *l)
{
    free(l->buf);
    free(l->s);
    free(l->n);
}

/*
 * FLG_ADDREG_APPEND (remove = 0): add each string of data not already in
 * the value (case-insensitively, as SetupAPI compares); a missing or
 * non-MULTI_SZ value is replaced.  FLG_DELREG_MULTI_SZ_DELSTRING (remove =
 * 1): drop every string equal to data's first string.
 */
static int multi_edit(regdb *r, regdb_key k, const uint16_t *name, size_t nn, const void *data, size_t len,
                      int remove)
{
    regdb_value v;
    int have = regdb_query_value(r, k, name, nn, &v) == 0 && v.type == REGDB_MULTI_SZ;
    if (!have && remove)
        return 0;
    wlist old = {0}, add = {0};
    int rc = wlist_parse(have ? v.data : NULL, have ? v.data_len : 0, &old);
    if (rc == 0)
        rc = wlist_parse(data, len, &add);
    pb_buf out = PB_BUF_INIT;
    for (size_t i = 0; rc == 0 && i < old.cnt; i++) {
        int drop = remove && add.cnt && pb_wcsnieq(old.s[i], old.n[i], add.s[0], add.n[0]);
        if (!drop) {
            pb_buf_add(&out, old.s[i], old.n[i] * 2);
            pb_buf_add(&out, "\0", 2);
        }
    }
    for (size_t i = 0; rc == 0 && !remove && i < add.cnt; i++) {
        int dup = 0;
        for (size_t j = 0; j < old.cnt && !dup; j++)
            dup = pb_wcsnieq(old.s[j], old.n[j], add.s[i], add.n[i]);
        for (size_t j = 0; j < i && !dup; j++)
            dup = pb_wcsnieq(add.s[j], add.n[j], add.s[i], add.n[i]);
        if (!dup) {
            pb_buf_add(&out, add.s[i], add.n[i] * 2);
            pb_buf_add(&out, "\0", 2);
        }
    }
    pb_buf_add(&out, "\0", 2);
    if (rc == 0 && out.oom)
        rc = -ENOMEM;
    if (rc == 0)
        rc = regdb_set_value(r, k, name, nn, REGDB_MULTI_SZ, out.data, out.len);
    pb_buf_free(&out);
    wlist_free(&old);
    wlist_free(&add);
    return rc;
}

/* ---------------------------------------------------------------- interfaces */

static int iface_key(ictx *x, inf_wstr guid, inf_wstr ref, regdb_key *dp, char *dpath, size_t cap)
{
    char *g8 = u8ws(guid), *r8 = u8ws(ref);
    char g[39];
    int rc = 0;
    if (!g8 || !r8) {
        rc = -ENOMEM;
    } else if (guid_norm(g8, g) < 0) {
        op_error(x, "interface class '%s' is not a GUID", g8);
        rc = -EBADMSG;
    } else if (strchr(r8, '\\') || strchr(r8, '/') || strlen(r8) > 200) {
        op_error(x, "interface reference string '%s' is not valid", r8);
        rc = -EBADMSG;
    }
    char esc[260];
    snprintf(esc, sizeof esc, "%s", x->inst);
    for (char *c = esc; *c; c++)
        if (*c == '\\')
            *c = '#';
    char rel[1000], path[1200];
    regdb_key ik, rk;
    if (rc == 0) {
        snprintf(rel, sizeof rel, "Control\\DeviceClasses\\%s\\##?#%s#%s", g, esc, g);
        rc = ccs_create(x, rel, &ik, path, sizeof path);
    }
    if (rc == 0)
        rc = set_str(x, ik, path, "DeviceInstance", x->inst, REGDB_SZ);
    if (rc == 0) {
        size_t l = strlen(rel);
        snprintf(rel + l, sizeof rel - l, "\\#%s", r8);
        rc = ccs_create(x, rel, &rk, path, sizeof path);
    }
    if (rc == 0) {
        char link[600];
        snprintf(link, sizeof link, "\\\\?\\%s#%s%s%s", esc, g, *r8 ? "\\" : "", r8);
        rc = set_str(x, rk, path, "SymbolicLink", link, REGDB_SZ);
    }
    if (rc == 0) {
        size_t l = strlen(rel);
        snprintf(rel + l, sizeof rel - l, "\\Device Parameters");
        rc = ccs_create(x, rel, dp, dpath, cap);
    }
    free(g8);
    free(r8);
    return rc;
}

/* ---------------------------------------------------------------- registry ops */

static int is_property_value(inf_wstr v)
{
    static const char *const names[] = {"UpperFilters", "LowerFilters", "DeviceType", "DeviceCharacteristics",
                                        "Security", "Exclusive"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (pb_wcsieq_ascii(v.s, v.n, names[i]))
            return 1;
    return 0;
}

/* The root key of a registry op; *skip for ClassInstall32 ops of a class that exists. */
static int reg_root(ictx *x, const inf_reg_op *r, regdb_key *k, char *path, size_t cap, int *skip)
{
    *skip = 0;
    char rel[900];
    int rc = 0;
    switch (r->root) {
    case INF_ROOT_SOFTWARE:
        *k = x->sk;
        snprintf(path, cap, "%s", x->spath);
        return 0;
    case INF_ROOT_HARDWARE:
        if (!r->subkey.n && r->action != INF_REGOP_DELETE_KEY && is_property_value(r->value_name)) {
            *k = x->ek;
            snprintf(path, cap, "%s", x->epath);
            return 0;
        }
        if (!x->have_hk) {
            snprintf(rel, sizeof rel, "Enum\\%s\\Device Parameters", x->inst);
            char p[900];
            if ((rc = ccs_create(x, rel, &x->hk, p, sizeof p)) < 0)
                return rc;
            x->have_hk = 1;
        }
        *k = x->hk;
        snprintf(path, cap, "%s\\Enum\\%s\\Device Parameters", EMU_CCS_PATH, x->inst);
        return 0;
    case INF_ROOT_SERVICE:
    case INF_ROOT_EVENTLOG: {
        char *a1 = u8ws(r->root_arg1), *a2 = u8ws(r->root_arg2);
        if (!a1 || !a2) {
            rc = -ENOMEM;
        } else if (!component_ok(a1) || (r->root == INF_ROOT_EVENTLOG && !component_ok(a2))) {
            op_error(x, "service or event log name '%s' is not a valid key name", a1);
            rc = -EBADMSG;
        } else {
            if (r->root == INF_ROOT_SERVICE)
                snprintf(rel, sizeof rel, "Services\\%s", a1);
            else
                snprintf(rel, sizeof rel, "Services\\EventLog\\%s\\%s", a1, a2);
            if (!root_cached(x, rel, k, path, cap) && (rc = ccs_create(x, rel, k, path, cap)) == 0)
                root_remember(x, rel, *k, path);
        }
        free(a1);
        free(a2);
        return rc;
    }
    case INF_ROOT_INTERFACE: {
        char *g = u8ws(r->root_arg1), *ref = u8ws(r->root_arg2);
        if (!g || !ref) {
            free(g);
            free(ref);
            return -ENOMEM;
        }
        snprintf(rel, sizeof rel, "I|%s|%s", g, ref);
        free(g);
        free(ref);
        if (root_cached(x, rel, k, path, cap))
            return 0;
        if ((rc = iface_key(x, r->root_arg1, r->root_arg2, k, path, cap)) == 0)
            root_remember(x, rel, *k, path);
        return rc;
    }
    case INF_ROOT_INTERFACE_CLASS:
    case INF_ROOT_CLASS: {
        char *a1 = u8ws(r->root_arg1);
        char g[39];
        if (!a1)
            return -ENOMEM;
        if (guid_norm(a1, g) < 0) {
            op_error(x, "'%s' is not a GUID", a1);
            free(a1);
            return -EBADMSG;
        }
        free(a1);
        if (r->root == INF_ROOT_CLASS && (!x->class_new || strcmp(g, x->guid))) {
            *skip = 1; /* ClassInstall32 runs only when the device's class is new */
            return 0;
        }
        snprintf(rel, sizeof rel, "Control\\%s\\%s", r->root == INF_ROOT_CLASS ? "Class" : "DeviceClasses", g);
        return ccs_create(x, rel, k, path, cap);
    }
    case INF_ROOT_HKLM:
    case INF_ROOT_HKCU:
    case INF_ROOT_HKCR:
    case INF_ROOT_HKU: {
        static const char *const roots[][2] = {
            {"\\Registry\\Machine", "\\REGISTRY\\MACHINE"},
            {"\\Registry\\User\\S-1-5-18", "\\REGISTRY\\USER\\S-1-5-18"},
            {"\\Registry\\Machine\\SOFTWARE\\Classes", "\\REGISTRY\\MACHINE\\SOFTWARE\\Classes"},
            {"\\Registry\\User", "\\REGISTRY\\USER"},
        };
        int i = r->root - INF_ROOT_HKLM;
        rc = regdb_create_key_u8(x->r, 0, roots[i][0], REGDB_CREATE_PATH, k);
        snprintf(path, cap, "%s", roots[i][1]);
        return rc < 0 ? reg_fail(x, rc, "open", path) : 0;
    }
    }
    return -EINVAL;
}

/* The subkey of an op, with the WOW64 view applied for FLG_ADDREG_32BITKEY. */
static uint16_t *op_subkey(const inf_reg_op *r, size_t *n)
{
    static const uint16_t sw[] = {'S', 'O', 'F', 'T', 'W', 'A', 'R', 'E'};
    static const uint16_t wow[] = {'W', 'O', 'W', '6', '4', '3', '2', 'N', 'o', 'd', 'e'};
    pb_buf b = PB_BUF_INIT;
    const uint16_t *s = r->subkey.s;
    size_t len = r->subkey.n;
    int v32 = (r->exec_flags & INF_REGF_32BIT) && !(r->exec_flags & INF_REGF_64BIT);
    if (v32 && r->root == INF_ROOT_HKLM && len >= 8 && pb_wcsnieq(s, 8, sw, 8) && (len == 8 || s[8] == '\\') &&
        !(len >= 20 && pb_wcsnieq(s + 9, 11, wow, 11))) {
        pb_buf_add_wcs(&b, s, 8);
        pb_buf_add_u16(&b, '\\');
        pb_buf_add_wcs(&b, wow, 11);
        pb_buf_add_wcs(&b, s + 8, len - 8);
    } else if (v32 && r->root == INF_ROOT_HKCR) {
        pb_buf_add_wcs(&b, wow, 11);
        if (len)
            pb_buf_add_u16(&b, '\\');
        pb_buf_add_wcs(&b, s, len);
    } else {
        pb_buf_add_wcs(&b, s, len);
    }
    pb_buf_add_u16(&b, 0);
    if (b.oom) {
        pb_buf_free(&b);
        return NULL;
    }
    *n = b.len / 2 - 1;
    return (uint16_t *)pb_buf_steal(&b);
}

static int exec_reg(ictx *x, const inf_op *op)
{
    const inf_reg_op *r = &op->u.reg;
    int rc = emu_inst_fault(x->s, "registry");
    if (rc)
        return rc;
    regdb_key root;
    char path[1400];
    int skip;
    if ((rc = reg_root(x, r, &root, path, sizeof path, &skip)) < 0 || skip)
        return rc;
    size_t sn = 0;
    uint16_t *sub = op_subkey(r, &sn);
    char *sub8 = sub ? u8w(sub, sn) : NULL;
    char *val8 = u8ws(r->value_name);
    if (!sub || !sub8 || !val8) {
        free(sub);
        free(sub8);
        free(val8);
        return -ENOMEM;
    }
    if (sn) {
        size_t l = strlen(path);
        const char *show = sub8;
        /* Show paths through CurrentControlSet as the ControlSet they reach. */
        if (r->root == INF_ROOT_HKLM && !strncasecmp(sub8, "SYSTEM\\CurrentControlSet", 24) &&
            (!sub8[24] || sub8[24] == '\\')) {
            snprintf(path + l, sizeof path - l, "\\SYSTEM\\ControlSet001%s", sub8 + 24);
            show = NULL;
        }
        if (show)
            snprintf(path + l, sizeof path - l, "\\%s", show);
    }
    regdb_key k;
    int created = 0;
    switch (r->action) {
    case INF_REGOP_SET_VALUE:
    case INF_REGOP_CREATE_KEY:
        rc = sn ? regdb_create_key(x->r, root, sub, sn, REGDB_CREATE_PATH, NULL, 0, &k, &created) : 0;
        if (!sn)
            k = root;
        if (rc < 0) {
            rc = reg_fail(x, rc, "create key", path);
            break;
        }
        if (created)
            event(x->s, EMU_OP_CREATE, path, NULL);
        if (r->action == INF_REGOP_CREATE_KEY)
            break;
        {
            regdb_value old;
            int exists = regdb_query_value(x->r, k, r->value_name.s, r->value_name.n, &old) == 0;
            if ((exists && (r->exec_flags & INF_REGF_NOCLOBBER)) || (!exists && (r->exec_flags & INF_REGF_OVERWRITEONLY)))
                break;
            if ((r->exec_flags & INF_REGF_APPEND) && r->type == INF_REG_MULTI_SZ)
                rc = multi_edit(x->r, k, r->value_name.s, r->value_name.n, r->data, r->data_len, 0);
            else
                rc = regdb_set_value(x->r, k, r->value_name.s, r->value_name.n, r->type, r->data, r->data_len);
            if (rc < 0) {
                rc = rc == -ENOMEM ? rc : reg_fail(x, rc, "write a value of", path);
                break;
            }
            event(x->s, EMU_OP_SET, path, val8);
        }
        break;
    case INF_REGOP_DELETE_VALUE:
    case INF_REGOP_DELETE_STRING:
        if ((sn ? regdb_open_key(x->r, root, sub, sn, 0, &k) : (k = root, 0)) < 0)
            break; /* nothing to delete */
        if (r->action == INF_REGOP_DELETE_VALUE) {
            rc = regdb_delete_value(x->r, k, r->value_name.s, r->value_name.n);
            if (rc == REGDB_E_NOTFOUND) {
                rc = 0;
                break;
            }
        } else {
            rc = multi_edit(x->r, k, r->value_name.s, r->value_name.n, r->data, r->data_len, 1);
        }
        if (rc < 0)
            rc = rc == -ENOMEM ? rc : reg_fail(x, rc, "delete a value of", path);
        else
            event(x->s, r->action == INF_REGOP_DELETE_VALUE ? EMU_OP_DELETE : EMU_OP_SET, path, val8);
        break;
    case INF_REGOP_DELETE_KEY:
        if (!sn) {
            emu_log(x->m, "pnpbox: warning: %s line %u: a DelReg of the HKR key itself is ignored", op->file,
                    op->lineno);
            break;
        }
        if (regdb_open_key(x->r, root, sub, sn, 0, &k) < 0)
            break;
        if ((rc = regdb_delete_tree(x->r, k)) < 0)
            rc = reg_fail(x, rc, "delete key", path);
        else
            event(x->s, EMU_OP_DELETE, path, NULL);
        root_forget(x);
        break;
    }
    free(sub);
    free(sub8);
    free(val8);
    return rc;
}

/* ---------------------------------------------------------------- services, interfaces, filters */

static int exec_service(ictx *x, const inf_op *op)
{
    const inf_service_op *sv = &op->u.service;
    if (!sv->name.n)
        return 0; /* AddService = ,2: the null driver (a raw device) */
    int rc = emu_inst_fault(x->s, "service");
    if (rc)
        return rc;
    char *name = u8ws(sv->name);
    if (!name)
        return -ENOMEM;
    if (!component_ok(name)) {
        op_error(x, "service name '%s' is not a valid key name", name);
        free(name);
        return -EBADMSG;
    }
    char rel[400], path[700];
    snprintf(rel, sizeof rel, "Services\\%s", name);
    regdb_key k;
    if (op->kind == INF_OP_DELETE_SERVICE) {
        snprintf(path, sizeof path, "%s\\%s", EMU_CCS_PATH, rel);
        if (emu_ccs_open(x->m, rel, &k) == 0) {
            if ((rc = regdb_delete_tree(x->r, k)) < 0)
                rc = reg_fail(x, rc, "delete key", path);
            else
                event(x->s, EMU_OP_DELETE, path, NULL);
            root_forget(x);
        }
        free(name);
        return rc;
    }
    if (!root_cached(x, rel, &k, path, sizeof path) && (rc = ccs_create(x, rel, &k, path, sizeof path)) == 0)
        root_remember(x, rel, k, path);
    if (rc == 0) {
        uint16_t *woem = pb_wcs_from_utf8(x->c->oem);
        pb_buf d = PB_BUF_INIT;
        pb_buf_add(&d, woem, woem ? (pb_wcslen(woem) + 1) * 2 : 0);
        pb_buf_add(&d, "\0", 2);
        rc = woem && !d.oom ? multi_edit(x->r, k, (const uint16_t *)L"Owners", 6, d.data, d.len, 0) : -ENOMEM;
        if (rc < 0 && rc != -ENOMEM)
            rc = reg_fail(x, rc, "write a value of", path);
        else if (rc == 0)
            event(x->s, EMU_OP_SET, path, "Owners");
        free(woem);
        pb_buf_free(&d);
    }
    if (rc == 0 && (sv->flags & INF_SVC_ASSOCSERVICE)) {
        free(x->service);
        x->service = name;
        name = NULL;
    }
    free(name);
    return rc;
}

static int exec_interface(ictx *x, const inf_op *op)
{
    int rc = emu_inst_fault(x->s, "interface");
    if (rc)
        return rc;
    regdb_key dp;
    char path[1400], id[600];
    char *g = u8ws(op->u.iface.guid), *ref = u8ws(op->u.iface.reference);
    if (!g || !ref) {
        free(g);
        free(ref);
        return -ENOMEM;
    }
    snprintf(id, sizeof id, "I|%s|%s", g, ref);
    free(g);
    free(ref);
    if ((rc = iface_key(x, op->u.iface.guid, op->u.iface.reference, &dp, path, sizeof path)) == 0)
        root_remember(x, id, dp, path);
    return rc;
}

static int exec_filter(ictx *x, const inf_op *op)
{
    const inf_filter_op *f = &op->u.filter;
    int rc = emu_inst_fault(x->s, "registry");
    if (rc)
        return rc;
    if (!f->name.n)
        return 0;
    int lower = pb_wcsieq_ascii(f->position.s, f->position.n, "Lower");
    if (!f->position.n && f->level.n >= 5 && pb_wcsnieq(f->level.s, 5, (const uint16_t *)L"Lower", 5))
        lower = 1;
    const char *vn = lower ? "LowerFilters" : "UpperFilters";
    pb_buf d = PB_BUF_INIT;
    pb_buf_add(&d, f->name.s, f->name.n * 2);
    pb_buf_add(&d, "\0\0\0", 4);
    uint16_t *wn = pb_wcs_from_utf8(vn);
    rc = wn && !d.oom ? multi_edit(x->r, x->ek, wn, pb_wcslen(wn), d.data, d.len, 0) : -ENOMEM;
    free(wn);
    pb_buf_free(&d);
    if (rc < 0)
        return rc == -ENOMEM ? rc : reg_fail(x, rc, "write a value of", x->epath);
    event(x->s, EMU_OP_SET, x->epath, vn);
    return 0;
}

/* ---------------------------------------------------------------- files */

static int exec_file(ictx *x, const inf_op *op)
{
    const inf_file_op *f = &op->u.file;
    if (f->dest_dirid == 13)
        return 0; /* the store folder: staged already */
    int rc = emu_inst_fault(x->s, "copy");
    if (rc)
        return rc;
    char *dest = u8ws(f->dest_path), *sname = u8ws(f->src_name), *ssub = u8ws(f->src_subdir);
    char *src = NULL, *dir = NULL;
    if (!dest || !sname || !ssub) {
        rc = -ENOMEM;
        goto out;
    }
    if (!*dest) {
        op_error(x, "DIRID %d has no directory on this machine", (int)f->dest_dirid);
        rc = -ENOENT;
        goto out;
    }
    if (strncasecmp(dest, "C:\\", 3)) {
        op_error(x, "destination '%s' is not on the system volume C:", dest);
        rc = -EINVAL;
        goto out;
    }
    const char *vdest = dest + 2;
    dir = strdup(vdest);
    if (!dir) {
        rc = -ENOMEM;
        goto out;
    }
    *strrchr(dir, '\\') = 0;
    int ex = emu_inst_exists(x->s, vdest);
    if (ex == 2) {
        op_error(x, "destination '%s' is a directory", dest);
        rc = -EISDIR;
        goto out;
    }
    if (op->kind == INF_OP_COPY) {
        if ((ex && (f->flags & INF_COPYFLG_NO_OVERWRITE)) || (!ex && (f->flags & INF_COPYFLG_REPLACEONLY)))
            goto out;
        size_t l = strlen(x->store_vp) + strlen(ssub) + strlen(sname) + 3;
        src = malloc(l);
        if (!src) {
            rc = -ENOMEM;
            goto out;
        }
        snprintf(src, l, "%s\\%s%s%s", x->store_vp, ssub, *ssub ? "\\" : "", sname);
        void *data = NULL;
        size_t len = 0;
        if (emu_inst_exists(x->s, src) != 1) {
            op_error(x, "source file '%s%s%s' is not in the package's store folder", ssub, *ssub ? "\\" : "", sname);
            rc = -ENOENT;
            goto out;
        }
        if ((rc = emu_inst_read(x->s, src, &data, &len)) < 0)
            goto out;
        if ((rc = emu_inst_mkdirs(x->s, *dir ? dir : "\\")) == 0)
            rc = emu_inst_write(x->s, vdest, data, len);
        free(data);
    } else if (op->kind == INF_OP_DELETE_FILE) {
        if (ex == 1)
            rc = emu_inst_delete(x->s, vdest);
    } else if (op->kind == INF_OP_RENAME_FILE) {
        size_t l = strlen(dir) + strlen(sname) + 2;
        src = malloc(l);
        if (!src) {
            rc = -ENOMEM;
            goto out;
        }
        snprintf(src, l, "%s\\%s", dir, sname);
        if (emu_inst_exists(x->s, src) == 1)
            rc = emu_inst_rename(x->s, src, vdest, 1);
    }
    if (rc < 0 && x->op)
        prefix_op(x);
out:
    free(dest);
    free(sname);
    free(ssub);
    free(src);
    free(dir);
    return rc;
}

/* The lowest NNNN (4 decimal digits) no subkey of parent is named, or -1 when all 10000 are. */
static int lowest_free(regdb *r, regdb_key parent)
{
    static const int n = 10000;
    unsigned char *used = calloc(n, 1);
    if (!used)
        return -1;
    regdb_key_entry e;
    for (uint32_t i = 0; regdb_enum_key(r, parent, i, &e) == 0; i++) {
        if (e.name_len != 4)
            continue;
        int v = 0, ok = 1;
        for (int j = 0; j < 4 && ok; j++) {
            ok = e.name[j] >= '0' && e.name[j] <= '9';
            v = v * 10 + (e.name[j] - '0');
        }
        if (ok)
            used[v] = 1;
    }
    int found = -1;
    for (int i = 0; i < n && found < 0; i++)
        if (!used[i])
            found = i;
    free(used);
    return found;
}

/* ================================================================ installing a node */

/* "@oem0.inf,%strkey%;Text" when the INF names the text by one %strkey% token (the key in
 * lowercase, as Windows writes it), else the text itself. */
static char *localized(const char *oem, const inf_field *key, inf_str text)
{
    char *t = u8s(trim(text));
    if (!t || !key)
        return t;
    inf_str raw = trim(key->raw);
    int token = raw.n >= 3 && raw.s[0] == '%' && raw.s[raw.n - 1] == '%';
    for (size_t i = 1; token && i + 1 < raw.n; i++)
        token = raw.s[i] != '%';
    if (!token)
        return t;
    char *k = u8w(raw.s + 1, raw.n - 2);
    char *out = NULL;
    if (k) {
        lower_ascii(k);
        size_t l = strlen(oem) + strlen(k) + strlen(t) + 8;
        out = malloc(l);
        if (out)
            snprintf(out, l, "@%s,%%%s%%;%s", oem, k, t);
    }
    free(k);
    free(t);
    return out;
}

/* The [Manufacturer] line whose models section the node comes from. */
static const inf_line *mfg_line(ictx *x)
{
    size_t nm = emu_inf_manufacturer_count(x->c->inf);
    for (size_t i = 0; i < nm; i++) {
        inf_models ms;
        if (emu_inf_models_select(x->c->inf, i, &x->target, &ms) == 0 && ms.section &&
            ms.section->name.s == x->c->node.models_section.s)
            return ms.line;
    }
    return NULL;
}

static int set_dword(ictx *x, regdb_key k, const char *path, const char *name, uint32_t v)
{
    uint16_t *w = pb_wcs_from_utf8(name);
    int rc = w ? regdb_set_dword(x->r, k, w, v) : -ENOMEM;
    free(w);
    if (rc < 0)
        return rc == -ENOMEM ? rc : reg_fail(x, rc, "write a value of", path);
    event(x->s, EMU_OP_SET, path, name);
    return 0;
}

static int exec_ops(ictx *x)
{
    int rc = 0;
    for (size_t i = 0; i < x->plan->nops && rc == 0; i++) {
        const inf_op *op = &x->plan->ops[i];
        x->op = op;
        switch (op->kind) {
        case INF_OP_REG:
            rc = exec_reg(x, op);
            break;
        case INF_OP_COPY:
        case INF_OP_DELETE_FILE:
        case INF_OP_RENAME_FILE:
            rc = exec_file(x, op);
            break;
        case INF_OP_SERVICE:
        case INF_OP_DELETE_SERVICE:
            rc = exec_service(x, op);
            break;
        case INF_OP_INTERFACE:
            rc = exec_interface(x, op);
            break;
        case INF_OP_FILTER:
            rc = exec_filter(x, op);
            break;
        }
        if (rc < 0 && rc != -ENOMEM && !strstr(x->m->errmsg, op->file ? op->file : "\x01"))
            prefix_op(x);
    }
    x->op = NULL;
    return rc;
}

/* The installer-owned values of the software key (reference §1.1). */
static int installer_values(ictx *x)
{
    const inf_driver_node *n = &x->c->node;
    char *desc = u8s(trim(n->description)), *prov = u8s(trim(n->provider)), *sect = u8s(trim(n->install));
    char *match = u8s(trim(n->matched_id)), *dd = u8s(n->ddinstall);
    int rc = desc && prov && sect && match && dd ? 0 : -ENOMEM;
    lower_ascii(match);
    char ver[64], date[32];
    snprintf(ver, sizeof ver, "%u.%u.%u.%u", (unsigned)(n->version >> 48), (unsigned)(n->version >> 32) & 0xffff,
             (unsigned)(n->version >> 16) & 0xffff, (unsigned)n->version & 0xffff);
    if (rc == 0)
        rc = set_str(x, x->sk, x->spath, "DriverDesc", desc, REGDB_SZ);
    if (rc == 0)
        rc = set_str(x, x->sk, x->spath, "DriverVersion", ver, REGDB_SZ);
    if (rc == 0 && n->year) {
        snprintf(date, sizeof date, "%u-%u-%u", n->month, n->day, n->year);
        rc = set_str(x, x->sk, x->spath, "DriverDate", date, REGDB_SZ);
        uint64_t ft = filetime_of(n->year, n->month ? n->month : 1, n->day ? n->day : 1);
        uint8_t b[8];
        for (int i = 0; i < 8; i++)
            b[i] = (uint8_t)(ft >> (8 * i));
        if (rc == 0 && (rc = regdb_set_binary(x->r, x->sk, (const uint16_t *)L"DriverDateData", b, 8)) < 0)
            rc = reg_fail(x, rc, "write a value of", x->spath);
        else if (rc == 0)
            event(x->s, EMU_OP_SET, x->spath, "DriverDateData");
    }
    if (rc == 0)
        rc = set_str(x, x->sk, x->spath, "InfPath", x->c->oem, REGDB_SZ);
    if (rc == 0)
        rc = set_str(x, x->sk, x->spath, "InfSection", sect, REGDB_SZ);
    if (rc == 0 && strlen(dd) > strlen(sect) && !strncasecmp(dd, sect, strlen(sect)))
        rc = set_str(x, x->sk, x->spath, "InfSectionExt", dd + strlen(sect), REGDB_SZ);
    if (rc == 0)
        rc = set_str(x, x->sk, x->spath, "MatchingDeviceId", match, REGDB_SZ);
    if (rc == 0)
        rc = set_str(x, x->sk, x->spath, "ProviderName", prov, REGDB_SZ);
    free(desc);
    free(prov);
    free(sect);
    free(match);
    free(dd);
    return rc;
}

/*
 * Install x->c on the device whose Enum key is x->ek (inside the caller's
 * transaction).  reuse_guid / reuse_ord: the software key the device had
 * (an update keeps its ordinal when the class stays), or NULL / -1.
 */
static int install_on(ictx *x, const char *reuse_guid, int reuse_ord)
{
    pnpbox_machine *m = x->m;
    cand *c = x->c;
    int rc;
    emu_machine_target(m, &x->target);
    emu_inf_version(c->inf, &x->target, &x->ver);
    char *g8 = u8s(trim(x->ver.class_guid));
    if (!g8)
        return -ENOMEM;
    if (guid_norm(g8, x->guid) < 0) {
        emu_set_error(m, "%s (%s) has no valid ClassGuid in [Version] ('%s')", c->inf_name, c->oem, g8);
        free(g8);
        return -EBADMSG;
    }
    free(g8);
    if (!c->node.ddinstall.n) {
        char *sect = u8s(c->node.install);
        emu_set_error(m, "%s (%s) line %u: install section '%s' does not exist", c->inf_name, c->oem,
                      c->node.line ? c->node.line->lineno : 0, sect ? sect : "");
        free(sect);
        return -EBADMSG;
    }
    snprintf(x->store_vp, sizeof x->store_vp, "%s\\%s", EMU_STORE_VDIR, c->folder);
    snprintf(x->store_win32, sizeof x->store_win32, "C:%s", x->store_vp);
    inf_plan_opts po = {0};
    po.target = &x->target;
    po.store_dir = x->store_win32;
    po.source_dir = x->store_win32;
    po.includes = (const inf_file *const *)c->incl;
    po.nincludes = c->nincl;
    rc = emu_inf_plan_node(c->inf, &po, &c->node, &x->plan);
    if (rc) {
        emu_set_error(m, "cannot plan the install of %s: %s", c->oem, emu_inf_strerror(rc));
        return rc == INF_E_NOMEM ? -ENOMEM : -EBADMSG;
    }
    for (size_t i = 0; i < x->plan->nissues; i++)
        if (x->plan->issues[i].severity == INF_SEV_ERROR)
            emu_log(m, "pnpbox: %s:%u: %s", x->plan->issues[i].file ? x->plan->issues[i].file : c->inf_name,
                    x->plan->issues[i].lineno, x->plan->issues[i].message);

    /* The class key, new classes first (with Class, then ClassInstall32). */
    char rel[700], path[900];
    snprintf(rel, sizeof rel, "Control\\Class\\%s", x->guid);
    if (emu_ccs_open(m, rel, &x->ck) < 0) {
        x->class_new = 1;
        if ((rc = emu_inst_fault(x->s, "class")) < 0 || (rc = ccs_create(x, rel, &x->ck, path, sizeof path)) < 0)
            return rc;
        char *cls = u8s(trim(x->ver.class_name));
        rc = cls ? (*cls ? set_str(x, x->ck, path, "Class", cls, REGDB_SZ) : 0) : -ENOMEM;
        free(cls);
        if (rc < 0)
            return rc;
    }
    /* The software key: the lowest free ordinal (or the one the device keeps). */
    int ord = reuse_guid && reuse_ord >= 0 && !strcmp(reuse_guid, x->guid) ? reuse_ord : -1;
    if (ord < 0)
        ord = lowest_free(x->r, x->ck);
    if (ord < 0) {
        emu_set_error(m, "class %s has no free software key ordinal", x->guid);
        return -ENOSPC;
    }
    snprintf(x->drv, sizeof x->drv, "%s\\%04d", x->guid, ord);
    snprintf(rel, sizeof rel, "Control\\Class\\%s", x->drv);
    if ((rc = emu_inst_fault(x->s, "class")) < 0 || (rc = ccs_create(x, rel, &x->sk, x->spath, sizeof x->spath)) < 0)
        return rc;

    /* The Enum key's values. */
    char *cls = u8s(trim(x->ver.class_name));
    char *desc = localized(c->oem, c->node.line ? c->node.line->key : NULL, c->node.description);
    const inf_line *ml = mfg_line(x);
    char *mfg = localized(c->oem, ml ? ml->key : NULL, c->node.manufacturer);
    rc = cls && desc && mfg ? 0 : -ENOMEM;
    if (rc == 0 && *cls)
        rc = set_str(x, x->ek, x->epath, "Class", cls, REGDB_SZ);
    if (rc == 0)
        rc = set_str(x, x->ek, x->epath, "ClassGUID", x->guid, REGDB_SZ);
    if (rc == 0)
        rc = set_str(x, x->ek, x->epath, "Driver", x->drv, REGDB_SZ);
    if (rc == 0)
        rc = set_str(x, x->ek, x->epath, "DeviceDesc", desc, REGDB_SZ);
    if (rc == 0)
        rc = set_str(x, x->ek, x->epath, "Mfg", mfg, REGDB_SZ);
    if (rc == 0)
        rc = set_dword(x, x->ek, x->epath, "ConfigFlags", 0);
    free(cls);
    free(desc);
    free(mfg);
    if (rc < 0)
        return rc;

    if ((rc = exec_ops(x)) < 0)
        return rc;
    if (x->service && (rc = set_str(x, x->ek, x->epath, "Service", x->service, REGDB_SZ)) < 0)
        return rc;
    return installer_values(x);
}

static void ictx_free(ictx *x)
{
    root_forget(x);
    emu_inf_plan_free(x->plan);
    x->plan = NULL;
    free(x->service);
    x->service = NULL;
}

/* ================================================================ adding a device */

static int set_ids(ictx *x, const char *name, uint16_t **w, size_t n)
{
    if (!n)
        return 0;
    uint16_t *wn = pb_wcs_from_utf8(name);
    int rc = wn ? regdb_set_multi_sz(x->r, x->ek, wn, (const uint16_t *const *)w, n) : -ENOMEM;
    free(wn);
    if (rc < 0)
        return rc == -ENOMEM ? rc : reg_fail(x, rc, "write a value of", x->epath);
    event(x->s, EMU_OP_SET, x->epath, name);
    return 0;
}

static int copy_ids(const char *const *src, size_t n, char ***dst, const char *what, pnpbox_machine *m)
{
    *dst = calloc(n + 1, sizeof **dst);
    if (!*dst)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!id_valid(src[i])) {
            emu_set_error(m, "%s '%s' is not a valid device ID (1 to 200 characters above 0x20 and below 0x7F, "
                             "no ',')",
                          what, src[i] ? src[i] : "(null)");
            return -EINVAL;
        }
        if (!((*dst)[i] = strdup(src[i])))
            return -ENOMEM;
    }
    return 0;
}

/* The default instance: ENUM\DEVICE\NNNN for "Enum\Device", else ROOT\<hwid, '\' as '#'>\NNNN. */
static int default_instance(pnpbox_machine *m, const char *hwid, char *out, size_t cap)
{
    char base[420];
    const char *bs = strchr(hwid, '\\');
    if (bs && !strchr(bs + 1, '\\') && bs > hwid && bs[1])
        snprintf(base, sizeof base, "%s", hwid);
    else
        snprintf(base, sizeof base, "ROOT\\%s", hwid);
    upper_ascii(base);
    for (char *c = strchr(base, '\\') + 1; *c; c++)
        if (*c == '\\')
            *c = '#';
    char rel[700];
    regdb_key k;
    snprintf(rel, sizeof rel, "Enum\\%s", base);
    int i = emu_ccs_open(m, rel, &k) < 0 ? 0 : lowest_free(m->reg, k);
    if (i >= 0) {
        snprintf(out, cap, "%s\\%04d", base, i);
        return 0;
    }
    emu_set_error(m, "no free instance number under '%s'", base);
    return -ENOSPC;
}

int pnpbox_device_add_ids(pnpbox_machine *m, const char *const *hwids, size_t nhw, const char *const *compat,
                          size_t ncompat, const char *instance, char **instance_out)
{
    if (instance_out)
        *instance_out = NULL;
    if (!m)
        return -EINVAL;
    if (!hwids || !nhw || (ncompat && !compat)) {
        emu_set_error(m, "cannot add a device: no hardware ID given");
        return -EINVAL;
    }
    if (instance && !instance_valid(instance)) {
        emu_set_error(m, "cannot add device '%s': an instance ID is ENUMERATOR\\DEVICE\\INSTANCE (1 to 200 "
                         "characters above 0x20 and below 0x7F, no ',')",
                      instance);
        return -EINVAL;
    }
    emu_lock(m);
    emu_store_load_stale(m);
    emu_inst s;
    emu_inst_begin(&s, m, "DeviceInstall");
    idlist ids = {0};
    cand best = {0};
    ictx x = {0};
    int rc = copy_ids(hwids, nhw, &ids.hw, "hardware ID", m);
    ids.nhw = nhw;
    if (rc == 0) {
        rc = copy_ids(compat, ncompat, &ids.compat, "compatible ID", m);
        ids.ncompat = ncompat;
    }
    if (rc == -ENOMEM || (rc == 0 && (rc = ids_wide(&ids)) < 0)) {
        emu_set_error(m, "cannot add a device: out of memory");
        goto out;
    }
    if (rc < 0)
        goto out;
    char inst[600];
    if (instance)
        snprintf(inst, sizeof inst, "%s", instance);
    else if ((rc = default_instance(m, ids.hw[0], inst, sizeof inst)) < 0)
        goto out;
    if (!instance_valid(inst)) {
        emu_set_error(m, "cannot add a device for '%s': its instance ID '%s' would not be valid", ids.hw[0], inst);
        rc = -EINVAL;
        goto out;
    }
    char rel[700];
    snprintf(rel, sizeof rel, "Enum\\%s", inst);
    regdb_key k;
    if (emu_ccs_open(m, rel, &k) == 0) {
        emu_set_error(m, "cannot add device '%s': it exists already", inst);
        rc = -EEXIST;
        goto out;
    }
    if ((rc = find_best(&s, &ids, &best)) < 0)
        goto out;
    x.s = &s;
    x.m = m;
    x.r = m->reg;
    x.inst = inst;
    x.c = &best;
    int txn = 0;
    if ((rc = emu_inst_fault(&s, "enum")) < 0)
        goto fail;
    if ((rc = regdb_begin(m->reg)) < 0) {
        emu_set_error(m, "cannot begin a registry transaction: %s", regdb_strerror(rc));
        rc = -EIO;
        goto fail;
    }
    txn = 1;
    if ((rc = ccs_create(&x, rel, &x.ek, x.epath, sizeof x.epath)) < 0)
        goto fail;
    if ((rc = set_ids(&x, "HardwareID", ids.whw, ids.nhw)) < 0 ||
        (rc = set_ids(&x, "CompatibleIDs", ids.wcompat, ids.ncompat)) < 0)
        goto fail;
    if (best.have)
        rc = install_on(&x, NULL, -1);
    else
        rc = set_dword(&x, x.ek, x.epath, "ConfigFlags", EMU_CONFIGFLAG_FAILEDINSTALL);
    if (rc < 0 || (rc = emu_inst_fault(&s, "commit")) < 0)
        goto fail;
    txn = 0;
    if ((rc = regdb_commit(m->reg)) < 0) {
        emu_set_error(m, "cannot commit the install: %s", regdb_strerror(rc));
        rc = -EIO;
        goto fail;
    }
    emu_inst_forget(&s);
    if (!best.have) {
        emu_devnode *dn;
        if (emu_devnode_attach(m, inst, &dn) == 0)
            dn->problem = EMU_CM_PROB_FAILED_INSTALL;
        emu_log(m, "pnpbox: %s: no staged driver matches '%s'; the device has no driver (problem 28)", inst,
                ids.hw[0]);
    } else {
        PB_DEBUG(PB_CH_EMU, "installed %s (%s) on %s", best.oem, best.folder, inst);
    }
    if (instance_out && !(*instance_out = strdup(inst)))
        rc = -ENOMEM;
    goto out;
fail:
    if (txn)
        regdb_rollback(m->reg);
    emu_inst_undo(&s);
    {
        char old[sizeof m->errmsg];
        snprintf(old, sizeof old, "%s", m->errmsg);
        if (best.have)
            emu_set_error(m, "cannot install '%s' (%s) on device '%s': %s", best.oem, best.folder, inst, old);
        else
            emu_set_error(m, "cannot add device '%s': %s", inst, old);
    }
out:
    ictx_free(&x);
    cand_free(&best);
    ids_free(&ids);
    emu_inst_end(&s);
    emu_unlock(m);
    return rc;
}

int pnpbox_device_add(pnpbox_machine *m, const char *hwid, const char *instance, char **instance_out)
{
    if (instance_out)
        *instance_out = NULL;
    if (!m)
        return -EINVAL;
    if (!hwid) {
        emu_set_error(m, "cannot add a device: no hardware ID given");
        return -EINVAL;
    }
    const char *ids[1] = {hwid};
    return pnpbox_device_add_ids(m, ids, 1, NULL, 0, instance, instance_out);
}

/* ================================================================ updating a device */

/* Unload the drivers of a removed stack that no started device uses any more. */
static void unload_unused(pnpbox_machine *m, char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        emu_driver *d = emu_driver_find(m, names[i]);
        if (!d || !d->loaded || d->is_bus)
            continue;
        int used = 0;
        for (emu_devnode *dn = m->pnp ? m->pnp->devnodes : NULL; dn && !used; dn = dn->next)
            if (dn->state == EMU_DN_STARTED && dn->pdo)
                for (PDEVICE_OBJECT dev = dn->pdo->AttachedDevice; dev && !used; dev = dev->AttachedDevice)
                    used = dev->DriverObject == &d->obj;
        if (used)
            continue;
        int32_t st = 0;
        if (pnpbox_driver_unload(m, names[i], &st) < 0 || st != 0)
            emu_log(m, "pnpbox: warning: driver '%s' could not be unloaded; it keeps running from its old image "
                       "until a reboot",
                    names[i]);
    }
}

static int collect(char ***all, size_t *n, char **v, size_t k)
{
    char **g = realloc(*all, (*n + k + 1) * sizeof *g);
    if (!g) {
        emu_strv_free(v, k);
        return -ENOMEM;
    }
    *all = g;
    for (size_t i = 0; i < k; i++)
        g[(*n)++] = v[i];
    free(v);
    return 0;
}

int pnpbox_device_update(pnpbox_machine *m, const char *instance, char **old_folder, char **new_folder)
{
    if (old_folder)
        *old_folder = NULL;
    if (new_folder)
        *new_folder = NULL;
    if (!m)
        return -EINVAL;
    if (!instance || !instance_valid(instance)) {
        emu_set_error(m, "cannot update device '%s': not a valid instance ID", instance ? instance : "(null)");
        return -EINVAL;
    }
    emu_lock(m);
    emu_store_load_stale(m);
    emu_inst s;
    emu_inst_begin(&s, m, "DeviceInstall");
    idlist ids = {0};
    cand best = {0};
    ictx x = {0};
    char *cur_oem = NULL, *cur_folder = NULL, *old_drv = NULL;
    char **stack = NULL;
    size_t nstack = 0;
    int started = 0, txn = 0, rc;
    char rel[700];
    snprintf(rel, sizeof rel, "Enum\\%s", instance);
    regdb_key ek;
    if (emu_ccs_open(m, rel, &ek) < 0) {
        emu_set_error(m, "cannot update device '%s': no such device", instance);
        rc = -ENOENT;
        goto out;
    }
    if (emu_reg_get_multi(m->reg, ek, "HardwareID", &ids.hw, &ids.nhw) < 0 || !ids.nhw) {
        emu_set_error(m, "cannot update device '%s': it has no HardwareID", instance);
        rc = -ENOENT;
        goto out;
    }
    emu_reg_get_multi(m->reg, ek, "CompatibleIDs", &ids.compat, &ids.ncompat);
    if ((rc = ids_wide(&ids)) < 0)
        goto out;
    cur_oem = emu_store_device_inf(m, ek);
    if (cur_oem)
        emu_store_lookup(m, cur_oem, &cur_folder, NULL);
    if ((rc = find_best(&s, &ids, &best)) < 0)
        goto out;
    if (!best.have) {
        emu_set_error(m, "cannot update device '%s': no staged driver matches its IDs ('%s'...)", instance,
                      ids.hw[0]);
        rc = -ENOENT;
        goto out;
    }
    if (cur_folder && !strcasecmp(cur_folder, best.folder)) {
        emu_set_error(m, "device '%s' already has the best-ranked driver (%s, %s)", instance, cur_oem, cur_folder);
        if (old_folder)
            *old_folder = strdup(cur_folder);
        if (new_folder)
            *new_folder = strdup(cur_folder);
        rc = -EALREADY;
        goto out;
    }
    emu_reg_get_str(m->reg, ek, "Driver", &old_drv);

    /* Stop the device: its drivers reload from the new folder when it starts again. */
    uint32_t prob = 0;
    if (pnpbox_device_state(m, instance, &started, &prob) < 0)
        started = 0;
    const char *stack_values[] = {"LowerFilters", "Service", "UpperFilters"};
    for (int i = 0; i < 3; i++) {
        char **v = NULL;
        size_t k = 0;
        if (emu_reg_get_multi(m->reg, ek, stack_values[i], &v, &k) == 0 && (rc = collect(&stack, &nstack, v, k)) < 0)
            goto out;
    }
    if (started) {
        int32_t st = 0;
        if (pnpbox_device_remove(m, instance, 0, &st) < 0 || st < 0) {
            emu_set_error(m, "cannot update device '%s': it refused removal (%s); Windows would need a reboot",
                          instance, emu_status_name(st));
            rc = -EBUSY;
            goto out;
        }
        unload_unused(m, stack, nstack);
    }

    /* Re-install in one transaction. */
    x.s = &s;
    x.m = m;
    x.r = m->reg;
    x.inst = instance;
    x.c = &best;
    x.ek = ek;
    snprintf(x.epath, sizeof x.epath, "%s\\%s", EMU_CCS_PATH, rel);
    if ((rc = emu_inst_fault(&s, "enum")) < 0)
        goto fail;
    if ((rc = regdb_begin(m->reg)) < 0) {
        emu_set_error(m, "cannot begin a registry transaction: %s", regdb_strerror(rc));
        rc = -EIO;
        goto fail;
    }
    txn = 1;
    static const char *const reset[] = {"Service", "UpperFilters", "LowerFilters", "Class", "ClassGUID",
                                        "Driver",  "DeviceDesc",   "Mfg",          "ConfigFlags"};
    for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++) {
        uint16_t *w = pb_wcs_from_utf8(reset[i]);
        if (!w) {
            rc = -ENOMEM;
            goto fail;
        }
        if (regdb_delete_value(m->reg, ek, w, pb_wcslen(w)) == 0)
            event(&s, EMU_OP_DELETE, x.epath, reset[i]);
        free(w);
    }
    char old_guid[39] = "";
    int old_ord = -1;
    if (old_drv && strlen(old_drv) == 43 && old_drv[38] == '\\') {
        char g[39];
        memcpy(g, old_drv, 38);
        g[38] = 0;
        if (guid_norm(g, old_guid) == 0)
            old_ord = atoi(old_drv + 39);
    }
    if (old_drv) {
        char srel[700], spath[900];
        regdb_key sk;
        snprintf(srel, sizeof srel, "Control\\Class\\%s", old_drv);
        snprintf(spath, sizeof spath, "%s\\%s", EMU_CCS_PATH, srel);
        if (emu_ccs_open(m, srel, &sk) == 0) {
            if ((rc = regdb_delete_tree(m->reg, sk)) < 0) {
                rc = reg_fail(&x, rc, "delete key", spath);
                goto fail;
            }
            event(&s, EMU_OP_DELETE, spath, NULL);
        }
    }
    if ((rc = install_on(&x, old_ord >= 0 ? old_guid : NULL, old_ord)) < 0 ||
        (rc = emu_inst_fault(&s, "commit")) < 0)
        goto fail;
    txn = 0;
    if ((rc = regdb_commit(m->reg)) < 0) {
        emu_set_error(m, "cannot commit the update: %s", regdb_strerror(rc));
        rc = -EIO;
        goto fail;
    }
    emu_inst_forget(&s);
    if (cur_folder && emu_store_mark_stale(m, cur_folder) < 0)
        emu_log(m, "pnpbox: warning: out of memory marking '%s' stale", cur_folder);
    emu_devnode *dn = emu_devnode_find(m, instance);
    if (dn)
        dn->problem = 0;
    if (started) {
        int32_t st = 0;
        pnpbox_device_start(m, instance, &st);
        emu_log(m, "pnpbox: %s restarted after the update with %s", instance, emu_status_name(st));
    }
    emu_log(m, "pnpbox: %s updated from %s to %s (%s)", instance, cur_folder ? cur_folder : "no driver",
            best.folder, best.oem);
    if (old_folder && cur_folder && !(*old_folder = strdup(cur_folder)))
        rc = -ENOMEM;
    if (new_folder && !(*new_folder = strdup(best.folder)))
        rc = -ENOMEM;
    goto out;
fail:
    if (txn)
        regdb_rollback(m->reg);
    emu_inst_undo(&s);
    {
        char old[sizeof m->errmsg];
        snprintf(old, sizeof old, "%s", m->errmsg);
        emu_set_error(m, "cannot update device '%s' to %s (%s): %s", instance, best.oem, best.folder, old);
    }
    if (started) {
        int32_t st = 0;
        char keep[sizeof m->errmsg];
        snprintf(keep, sizeof keep, "%s", m->errmsg);
        pnpbox_device_start(m, instance, &st);
        snprintf(m->errmsg, sizeof m->errmsg, "%s", keep);
    }
out:
    ictx_free(&x);
    cand_free(&best);
    ids_free(&ids);
    emu_strv_free(stack, nstack);
    free(cur_oem);
    free(cur_folder);
    free(old_drv);
    emu_inst_end(&s);
    emu_unlock(m);
    return rc;
}

/* ================================================================ listing devices */

typedef struct list_ctx {
    pnpbox_device_info *v;
    size_t n, cap;
    int rc;
} list_ctx;

static char *str_or_empty(regdb *r, regdb_key k, const char *name)
{
    char *v = NULL;
    if (emu_reg_get_str(r, k, name, &v) < 0)
        v = strdup("");
    return v;
}

static void dev_free1(pnpbox_device_info *d)
{
    free(d->instance);
    free(d->hardware_id);
    free(d->description);
    free(d->service);
    free(d->driver_key);
    free(d->published);
    free(d->folder);
}

static int list_visit(pnpbox_machine *m, const char *instance, regdb_key k, void *ctx)
{
    list_ctx *l = ctx;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        pnpbox_device_info *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv) {
            l->rc = -ENOMEM;
            return 1;
        }
        l->v = nv;
        l->cap = nc;
    }
    pnpbox_device_info *d = &l->v[l->n++];
    memset(d, 0, sizeof *d);
    d->instance = strdup(instance);
    char **hw = NULL;
    size_t nhw = 0;
    emu_reg_get_multi(m->reg, k, "HardwareID", &hw, &nhw);
    d->hardware_id = strdup(nhw ? hw[0] : "");
    emu_strv_free(hw, nhw);
    char *desc = NULL;
    const char *text = "";
    if (emu_reg_get_str(m->reg, k, "DeviceDesc", &desc) == 0) {
        const char *semi = strrchr(desc, ';');
        text = desc[0] == '@' && semi ? semi + 1 : desc;
    }
    d->description = strdup(text);
    free(desc);
    d->service = str_or_empty(m->reg, k, "Service");
    d->driver_key = str_or_empty(m->reg, k, "Driver");
    d->published = emu_store_device_inf(m, k);
    if (!d->published)
        d->published = strdup("");
    d->folder = NULL;
    if (d->published && *d->published)
        emu_store_lookup(m, d->published, &d->folder, NULL);
    if (!d->folder)
        d->folder = strdup("");
    uint32_t flags = 0;
    regdb_get_dword(m->reg, k, (const uint16_t *)L"ConfigFlags", &flags);
    emu_devnode *dn = emu_devnode_find(m, instance);
    d->started = dn && dn->state == EMU_DN_STARTED;
    d->problem = dn ? dn->problem : 0;
    if (!d->problem && !d->started && (flags & EMU_CONFIGFLAG_FAILEDINSTALL))
        d->problem = EMU_CM_PROB_FAILED_INSTALL;
    if (!d->instance || !d->hardware_id || !d->description || !d->service || !d->driver_key || !d->published ||
        !d->folder) {
        l->rc = -ENOMEM;
        return 1;
    }
    return 0;
}

void pnpbox_device_list_free(pnpbox_device_info *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        dev_free1(&v[i]);
    free(v);
}

int pnpbox_device_list(pnpbox_machine *m, pnpbox_device_info **out, size_t *n)
{
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!m || !out || !n)
        return -EINVAL;
    emu_lock(m);
    emu_store_load_stale(m);
    list_ctx l = {0};
    emu_store_each_device(m, list_visit, &l);
    if (l.rc < 0) {
        pnpbox_device_list_free(l.v, l.n);
        emu_unlock(m);
        return l.rc;
    }
    *out = l.v;
    *n = l.n;
    emu_unlock(m);
    return 0;
}
