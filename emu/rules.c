/*
 * rules.c: judging accesses against the isolation rules (catalogue in
 * rule_catalog.c).
 *
 * Every mock API describes what it is about to do as an emu_access and
 * asks emu_judge() before doing it.  The verdict lists the rules broken;
 * in enforce mode the caller refuses the access as Windows would, in
 * fail-fast mode the fail-fast handler stops the test.  Judging follows
 * the handle provenance (DESIGN.md "the spine"): absolute names, handles
 * no approved API produced, writes under Parameters, other components'
 * state, installer-owned values, file paths not derived from sanctioned
 * directories, writes outside the component's directories, into the
 * driver store, at the root of DriverData, interface lookups without a
 * notification, broken QUERY_INTERFACE answers and stale store folders.
 *
 * Who is judged: kernel drivers, Win32 services and applications.  The
 * harness (the test itself), the installer and unknown external processes
 * set the machine up or observe it and are recorded but never judged.
 *
 * Choices where the reference is silent (documented in docs/rules.md):
 *   - A user-mode component may name its own state directories, DriverData,
 *     ProgramData, TEMP and its own image directory by absolute path: the
 *     user-mode APIs (GetServiceDirectory, %DriverData%, GetModuleFileNameW)
 *     hand out path strings, not handles.
 *   - Components of the same device stack (the devnode's Service and its
 *     UpperFilters/LowerFilters) all own the device's state.
 *   - Applications may read (not write) device and interface state of
 *     other components: that is what CM_Open_DevNode_Key is for.
 */
#include "emu/emu.h"
#include "emu/fold.h"

#include "base/pb_utf16.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- path helpers */

/* Case-insensitive ASCII prefix at a component boundary; returns the rest (after '\') or NULL. */
static const char *under(const char *path, const char *pfx)
{
    size_t l = strlen(pfx);
    if (!path || strncasecmp(path, pfx, l))
        return NULL;
    if (path[l] == 0)
        return path + l;
    if (path[l] != '\\')
        return NULL;
    return path + l + 1;
}

/* Copy the first component of p into buf; returns the rest or NULL. */
static const char *component(const char *p, char *buf, size_t cap)
{
    size_t i = 0;
    while (p[i] && p[i] != '\\')
        i++;
    if (!i || i >= cap)
        return NULL;
    memcpy(buf, p, i);
    buf[i] = 0;
    return p[i] ? p + i + 1 : p + i;
}

static int name_eq(const char *a, const char *b) { return pb_utf8_ieq(a, b); }

#define CCS_PATH "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001"

/* The path relative to ControlSet001 (CurrentControlSet folded), or NULL. */
static const char *ccs_rel(const char *path, char *buf, size_t cap)
{
    const char *r = under(path, CCS_PATH);
    if (r)
        return r;
    r = under(path, "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet");
    if (r) {
        snprintf(buf, cap, "%s", r);
        return buf;
    }
    return NULL;
}

/* ---------------------------------------------------------------- ownership */

typedef struct owners {
    int n;
    char name[8][256];
} owners;

static void owners_add(owners *o, const char *s)
{
    if (o->n < 8 && s && *s)
        snprintf(o->name[o->n++], sizeof o->name[0], "%s", s);
}

static void add_sz(pnpbox_machine *m, regdb_key k, const uint16_t *vname, owners *o)
{
    regdb_value v;
    if (regdb_query_value(m->reg, k, vname, pb_wcslen(vname), &v) < 0 || !v.data_len)
        return;
    if (v.type != REGDB_SZ && v.type != REGDB_MULTI_SZ && v.type != REGDB_EXPAND_SZ)
        return;
    /* One string (SZ) or several (MULTI_SZ); copy before the next regdb call. */
    size_t n = v.data_len / 2;
    uint16_t *d = pb_wcsndup(v.data, n);
    if (!d)
        return;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && d[j])
            j++;
        if (j > i) {
            char *u = pb_utf8_from_wcs(d + i, j - i);
            owners_add(o, u);
            free(u);
        }
        if (v.type != REGDB_MULTI_SZ)
            break;
        i = j + 1;
    }
    free(d);
}

/* Owners of a devnode: its Service and its filters (same device stack). */
static void devnode_owners(pnpbox_machine *m, regdb_key inst, owners *o)
{
    add_sz(m, inst, (const uint16_t *)L"Service", o);
    add_sz(m, inst, (const uint16_t *)L"UpperFilters", o);
    add_sz(m, inst, (const uint16_t *)L"LowerFilters", o);
}

/* Visit every devnode key Enum\<enumerator>\<device>\<instance>. */
typedef int (*devnode_fn)(pnpbox_machine *m, regdb_key inst, const char *instance_id, void *ctx);

static int each_devnode(pnpbox_machine *m, devnode_fn fn, void *ctx)
{
    regdb_key en;
    if (emu_ccs_open(m, "Enum", &en) < 0)
        return 0;
    regdb_key_entry e;
    for (uint32_t a = 0; regdb_enum_key(m->reg, en, a, &e) == 0; a++) {
        regdb_key ka = e.id;
        char *na = pb_utf8_from_wcs(e.name, e.name_len);
        regdb_key_entry e2;
        for (uint32_t b = 0; na && regdb_enum_key(m->reg, ka, b, &e2) == 0; b++) {
            regdb_key kb = e2.id;
            char *nb = pb_utf8_from_wcs(e2.name, e2.name_len);
            regdb_key_entry e3;
            for (uint32_t c = 0; nb && regdb_enum_key(m->reg, kb, c, &e3) == 0; c++) {
                regdb_key kc = e3.id;
                char *nc = pb_utf8_from_wcs(e3.name, e3.name_len);
                char id[1024];
                snprintf(id, sizeof id, "%s\\%s\\%s", na, nb, nc ? nc : "");
                free(nc);
                int r = fn(m, kc, id, ctx);
                if (r) {
                    free(nb);
                    free(na);
                    return r;
                }
            }
            free(nb);
        }
        free(na);
    }
    return 0;
}

typedef struct find_ctx {
    const char *want; /* Driver value, or escaped instance id */
    int by_driver;
    owners *o;
} find_ctx;

static int match_devnode(pnpbox_machine *m, regdb_key inst, const char *id, void *ctx)
{
    find_ctx *f = ctx;
    if (f->by_driver) {
        uint16_t *drv = NULL;
        size_t n;
        if (regdb_get_sz(m->reg, inst, (const uint16_t *)L"Driver", &drv, &n) < 0)
            return 0;
        char *u = pb_utf8_from_wcs(drv, n);
        free(drv);
        int hit = u && name_eq(u, f->want);
        free(u);
        if (!hit)
            return 0;
    } else {
        /* DriverState directory name: the instance id with '\' as '#' (reference §1.9). */
        char esc[1024];
        snprintf(esc, sizeof esc, "%s", id);
        for (char *p = esc; *p; p++)
            if (*p == '\\')
                *p = '#';
        if (!name_eq(esc, f->want))
            return 0;
    }
    devnode_owners(m, inst, f->o);
    return 1;
}

/* Owners of the registry state at a ControlSet001-relative path; 0 if unowned. */
static int reg_owners(pnpbox_machine *m, const char *rel, owners *o, int *shared)
{
    char a[256], b[256], c[256], d[1024];
    const char *r;
    memset(o, 0, sizeof *o);
    *shared = 0;
    if ((r = under(rel, "Services"))) {
        const char *rest = component(r, a, sizeof a);
        if (!rest)
            return 0;
        owners_add(o, a);
        *shared = under(rest, "SharedState") != NULL;
        return 1;
    }
    if ((r = under(rel, "Enum"))) {
        const char *r1 = component(r, a, sizeof a);
        const char *r2 = r1 ? component(r1, b, sizeof b) : NULL;
        const char *r3 = r2 ? component(r2, c, sizeof c) : NULL;
        if (!r3)
            return 0;
        snprintf(d, sizeof d, "Enum\\%s\\%s\\%s", a, b, c);
        regdb_key k;
        if (emu_ccs_open(m, d, &k) < 0)
            return 0;
        devnode_owners(m, k, o);
        return o->n > 0;
    }
    if ((r = under(rel, "Control\\Class"))) {
        const char *r1 = component(r, a, sizeof a);
        const char *r2 = r1 ? component(r1, b, sizeof b) : NULL;
        if (!r2)
            return 0;
        snprintf(d, sizeof d, "%s\\%s", a, b);
        find_ctx f = {d, 1, o};
        each_devnode(m, match_devnode, &f);
        return o->n > 0;
    }
    if ((r = under(rel, "Control\\DeviceClasses"))) {
        const char *r1 = component(r, a, sizeof a);
        const char *r2 = r1 ? component(r1, b, sizeof b) : NULL;
        if (!r2 || strncmp(b, "##?#", 4))
            return 0;
        /* ##?#<instance with '\' as '#'>#{guid}: strip the prefix and the class suffix. */
        char *inst = b + 4;
        char *brace = strrchr(inst, '{');
        if (!brace || brace == inst || brace[-1] != '#')
            return 0;
        brace[-1] = 0;
        find_ctx f = {inst, 0, o};
        each_devnode(m, match_devnode, &f);
        return o->n > 0;
    }
    return 0;
}

static int owns(const owners *o, const pnpbox_component *c)
{
    for (int i = 0; i < o->n; i++)
        if (name_eq(o->name[i], c->name))
            return 1;
    return 0;
}

/* Owners of a volume path's state directory: ServiceState\<svc>, DriverState\Devices\<dir>. */
static int file_owners(pnpbox_machine *m, const char *vpath, owners *o, int *shared)
{
    char a[256];
    const char *r;
    memset(o, 0, sizeof *o);
    *shared = 0;
    if ((r = under(vpath, "\\Windows\\ServiceState"))) {
        const char *rest = component(r, a, sizeof a);
        if (!rest)
            return 0;
        owners_add(o, a);
        *shared = under(rest, "SharedData") != NULL;
        return 1;
    }
    if ((r = under(vpath, "\\Windows\\System32\\DriverState\\Devices"))) {
        if (!component(r, a, sizeof a))
            return 0;
        find_ctx f = {a, 0, o};
        each_devnode(m, match_devnode, &f);
        return o->n > 0;
    }
    return 0;
}

/* ---------------------------------------------------------------- verdicts */

static void add(emu_verdict *v, const char *id)
{
    const emu_rule *r = pnpbox_rule_find(id);
    if (!r || v->n >= EMU_MAX_FINDINGS)
        return;
    for (int i = 0; i < v->n; i++)
        if (v->rules[i] == r)
            return;
    v->rules[v->n++] = r;
}

static const char *const installer_values[] = {
    "DriverDate", "DriverDateData", "DriverDesc", "DriverVersion", "InfPath", "InfSection",
    "InfSectionExt", "MatchingDeviceId", "ProviderName", "EnumPropPages32", NULL,
};

static void judge_reg(pnpbox_machine *m, const emu_access *a, pnpbox_component *c, emu_verdict *v)
{
    char buf[2048];
    const char *path = a->path ? a->path : "";
    int hardware = under(path, "\\REGISTRY\\MACHINE\\HARDWARE") != NULL;
    if (a->absolute && !(hardware && !a->write))
        add(v, "REG-ABSOLUTE-PATH");
    if (!a->absolute && a->prov && (!a->prov->approved || a->prov->laundered))
        add(v, "REG-FOREIGN-HANDLE");

    const char *rel = ccs_rel(path, buf, sizeof buf);
    if (!rel)
        return;
    if (a->write) {
        const char *s = under(rel, "Services"), *p;
        char svc[256];
        if (s && (p = component(s, svc, sizeof svc)) && under(p, "Parameters"))
            add(v, "REG-IMMUTABLE-WRITE");
    }
    owners o;
    int shared;
    if (reg_owners(m, rel, &o, &shared) && !owns(&o, c)) {
        int sanctioned_share = shared && a->prov && a->prov->approved && a->prov->scope == EMU_SCOPE_SVC_SHARED;
        int app_read = c->kind == PNPBOX_COMP_APP && !a->write;
        /* Reading another device's interface key through the interface API is
         * the sharing isolation recommends (IoOpenDeviceInterfaceRegistryKey,
         * CM_Open_Device_Interface_Key). */
        int iface_read = !a->write && a->prov && a->prov->approved && a->prov->scope == EMU_SCOPE_IFACE;
        if (!sanctioned_share && !app_read && !iface_read)
            add(v, "REG-CROSS-COMPONENT");
    }
    char vbuf[1024];
    const char *value = emu_access_value(a, vbuf, sizeof vbuf);
    if (a->write && value) {
        const char *r = under(rel, "Control\\Class");
        char g[256], inst[256];
        const char *r1 = r ? component(r, g, sizeof g) : NULL;
        const char *r2 = r1 ? component(r1, inst, sizeof inst) : NULL;
        if (r2 && !*r2) /* the software key itself, not a subkey */
            for (int i = 0; installer_values[i]; i++)
                if (!strcasecmp(value, installer_values[i]))
                    add(v, "REG-INSTALLER-VALUE");
    }
}

static int in_dir(const char *vpath, const char *dir) { return dir && under(vpath, dir) != NULL; }

static void judge_file(pnpbox_machine *m, const emu_access *a, pnpbox_component *c, emu_verdict *v)
{
    const char *vp = a->path ? a->path : "\\";
    int user = c->kind != PNPBOX_COMP_KERNEL_DRIVER;
    const char *dd = under(vp, "\\Windows\\System32\\Drivers\\DriverData");
    const char *pd = under(vp, "\\ProgramData");
    int temp = under(vp, "\\Windows\\Temp") || (under(vp, "\\Users") && strcasestr(vp, "\\AppData\\Local\\Temp"));
    int store = under(vp, "\\Windows\\System32\\DriverStore") != NULL;
    int image = a->prov && a->prov->scope == EMU_SCOPE_DRIVER_IMAGE;

    /* Own directories. */
    char own[512];
    snprintf(own, sizeof own, "\\Windows\\ServiceState\\%s", c->name);
    int own_state = in_dir(vp, own);
    owners o;
    int shared;
    int has_owner = file_owners(m, vp, &o, &shared);
    int own_device = has_owner && under(vp, "\\Windows\\System32\\DriverState\\Devices") && owns(&o, c);
    int own_image = c->image_dir && in_dir(vp, c->image_dir);

    if (a->absolute) {
        int sanctioned = (dd != NULL) || (a->prov && a->prov->scope == EMU_SCOPE_DRIVERDATA);
        if (user)
            sanctioned = sanctioned || pd || temp || own_state || own_device || (own_image && !a->write) ||
                         (has_owner && shared && !a->write);
        if (!sanctioned)
            add(v, "FILE-ABSOLUTE-PATH");
    }
    if (a->write && (store || image)) {
        add(v, "FILE-DRIVER-STORE-WRITE");
    } else if (a->write) {
        /* Below a company directory of DriverData (and, in user mode, ProgramData), or that directory itself. */
        int company_dd = dd && *dd && (strchr(dd, '\\') || a->is_dir);
        int company_pd = user && pd && *pd && (strchr(pd, '\\') || a->is_dir);
        int ok = own_state || own_device || company_dd || company_pd || (user && temp);
        /* A file directly in DriverData or ProgramData; a company directory there is what isolation asks for. */
        int root_file = !a->is_dir && ((dd && *dd && !strchr(dd, '\\')) || (pd && *pd && !strchr(pd, '\\')));
        if (root_file && a->creates)
            add(v, "FILE-DRIVERDATA-ROOT");
        else if (!ok && !(has_owner && shared))
            add(v, "FILE-OUTSIDE-STATE");
    }
    if (has_owner && !owns(&o, c) && !(shared && (!a->write || (a->prov && a->prov->approved))))
        add(v, "FILE-CROSS-COMPONENT");
    for (int i = 0; i < m->nstale; i++)
        if (in_dir(vp, m->stale_dirs[i]))
            add(v, "UPDATE-STALE-PATH");
}

/* ---------------------------------------------------------------- baseline */

typedef struct emu_baseline_entry {
    char *rule;
    char *component; /* glob or NULL */
    char *path;      /* glob or NULL */
    char *why;
} emu_baseline_entry;

struct emu_baseline {
    emu_baseline_entry *e;
    int n;
};

/*
 * Does a baseline path glob cover an access's path?  Globs are written the
 * way reports print paths: C:\Windows\... for files (the access itself
 * holds the volume path \Windows\...) and \REGISTRY\MACHINE\... for
 * keys; the volume form matches too, so older baselines keep working.
 * Case-insensitive, '\' is an ordinary character.
 */
static int path_matches(const char *glob, const char *path)
{
    if (!path)
        return 0;
    if (!fnmatch(glob, path, FNM_CASEFOLD | FNM_NOESCAPE))
        return 1;
    /* A volume path: "\..." that is not a registry name (pnpbox names every key \REGISTRY\...;
     * interface classes and QUERY_INTERFACE answers are named by GUID, without a leading '\'). */
    if (path[0] != '\\' || !strncasecmp(path, "\\REGISTRY\\", 10) || !strcasecmp(path, "\\REGISTRY"))
        return 0;
    char buf[1024];
    size_t l = strlen(path);
    char *win32 = l + 3 <= sizeof buf ? buf : malloc(l + 3); /* NTFS names go up to 32767 characters */
    if (!win32)
        return 0;
    memcpy(win32, "C:", 2);
    memcpy(win32 + 2, path, l + 1);
    int hit = !fnmatch(glob, win32, FNM_CASEFOLD | FNM_NOESCAPE);
    if (win32 != buf)
        free(win32);
    return hit;
}

/* The first baseline entry that covers this finding, or NULL. */
static const emu_baseline_entry *baseline_match(pnpbox_machine *m, const emu_rule *r, const pnpbox_component *c,
                                                const char *path)
{
    if (!m->baseline)
        return NULL;
    for (int i = 0; i < m->baseline->n; i++) {
        const emu_baseline_entry *e = &m->baseline->e[i];
        if (fnmatch(e->rule, r->id, FNM_CASEFOLD))
            continue;
        if (e->component && fnmatch(e->component, c->name, FNM_CASEFOLD))
            continue;
        if (e->path && !path_matches(e->path, path))
            continue;
        return e;
    }
    return NULL;
}

static int suppressed(pnpbox_machine *m, const emu_rule *r, const pnpbox_component *c, const char *path)
{
    return baseline_match(m, r, c, path) != NULL;
}

const char *emu_baseline_justification(pnpbox_machine *m, const emu_rule *r, const pnpbox_component *c,
                                       const char *path)
{
    const emu_baseline_entry *e = baseline_match(m, r, c, path);
    return e ? e->why : NULL;
}

void emu_baseline_free(struct emu_baseline *b)
{
    if (!b)
        return;
    for (int i = 0; i < b->n; i++) {
        free(b->e[i].rule);
        free(b->e[i].component);
        free(b->e[i].path);
        free(b->e[i].why);
    }
    free(b->e);
    free(b);
}

/*
 * A "key=value" field of a baseline line at *s, value quoted or not:
 * component="Contoso *" or path="*\Device Parameters" may hold spaces (no
 * Windows name holds a '"', so the value ends at the next one).  Returns 1
 * and a copy in *out when the field is there (s moves past it), 0 when the
 * line goes on with something else, -EINVAL with the reason in err for a
 * bad field, -ENOMEM.
 */
static int take_field(char **s, const char *key, char **out, int lineno, char *err, size_t errlen)
{
    size_t kl = strlen(key);
    char *p = *s;
    if (strncasecmp(p, key, kl) || p[kl] != '=')
        return 0;
    p += kl + 1;
    char *value, *end;
    if (*p == '"') {
        value = p + 1;
        end = strchr(value, '"');
        if (!end) {
            snprintf(err, errlen, "line %d: %s=\"%s has no closing quote", lineno, key, value);
            return -EINVAL;
        }
        if (end[1] && end[1] != ' ' && end[1] != '\t') {
            snprintf(err, errlen, "line %d: %s=\"...\" is followed by '%c' (put a space after the closing quote)",
                     lineno, key, end[1]);
            return -EINVAL;
        }
        *end = 0;
        *s = end[1] ? end + 2 : end + 1;
    } else {
        value = p;
        end = p + strcspn(p, " \t");
        *s = *end ? end + 1 : end;
        *end = 0;
    }
    if (!*value) {
        snprintf(err, errlen, "line %d: %s= is empty (give a glob, quoted if it holds spaces)", lineno, key);
        return -EINVAL;
    }
    if (*out) {
        snprintf(err, errlen, "line %d: %s= is given twice", lineno, key);
        return -EINVAL;
    }
    *out = strdup(value);
    return *out ? 1 : -ENOMEM;
}

/*
 * Baseline file: one suppression per line,
 *   RULE-ID [component=GLOB] [path=GLOB] justification text...
 * '#' starts a comment line.  Every entry needs a justification.  A glob
 * with spaces is quoted: path="*\Device Parameters".
 */
int pnpbox_baseline_load(pnpbox_machine *m, const char *text, char *err, size_t errlen)
{
    char dummy[1];
    if (!m)
        return -EINVAL;
    if (!err || !errlen)
        err = dummy, errlen = sizeof dummy;
    struct emu_baseline *b = calloc(1, sizeof *b);
    if (!b)
        return -ENOMEM;
    int lineno = 0, rc = 0;
    const char *p = text;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char *line = strndup(p, len);
        p = eol ? eol + 1 : NULL;
        lineno++;
        if (!line) {
            rc = -ENOMEM;
            break;
        }
        char *s = line;
        while (*s && isspace((unsigned char)*s))
            s++;
        char *end = s + strlen(s);
        while (end > s && isspace((unsigned char)end[-1]))
            *--end = 0;
        if (!*s || *s == '#') {
            free(line);
            continue;
        }
        emu_baseline_entry e = {0};
        char *tok = strsep(&s, " \t");
        /* A rule id, or a glob over rule ids ("FILE-*") that names at least one. */
        int known = 0;
        for (size_t i = 0; i < pnpbox_rule_count() && !known; i++)
            known = !fnmatch(tok, pnpbox_rule_at(i)->id, FNM_CASEFOLD);
        if (!known) {
            snprintf(err, errlen, "line %d: unknown rule '%s' (see pnpbox explain --list)", lineno, tok);
            free(line);
            rc = -EINVAL;
            break;
        }
        e.rule = strdup(pnpbox_rule_find(tok) ? pnpbox_rule_find(tok)->id : tok);
        for (;;) {
            while (s && (*s == ' ' || *s == '\t'))
                s++;
            if (!s || !*s)
                break;
            int f = take_field(&s, "component", &e.component, lineno, err, errlen);
            if (f == 0)
                f = take_field(&s, "path", &e.path, lineno, err, errlen);
            if (f < 0)
                rc = f;
            if (f <= 0)
                break;
        }
        if (rc == 0 && (!s || !*s)) {
            snprintf(err, errlen, "line %d: suppression of %s has no justification", lineno, e.rule);
            rc = -EINVAL;
        }
        e.why = rc == 0 ? strdup(s) : NULL;
        free(line);
        emu_baseline_entry *ne = rc == 0 ? realloc(b->e, (size_t)(b->n + 1) * sizeof *ne) : NULL;
        if (ne)
            b->e = ne;
        if (rc == 0 && (!ne || !e.rule || !e.why))
            rc = -ENOMEM;
        if (rc < 0) {
            free(e.rule);
            free(e.component);
            free(e.path);
            free(e.why);
            break;
        }
        b->e[b->n++] = e;
    }
    if (rc < 0) {
        emu_baseline_free(b);
        return rc;
    }
    emu_lock(m);
    emu_baseline_free(m->baseline);
    m->baseline = b;
    emu_rules_changed(m);
    emu_unlock(m);
    return 0;
}

/* ---------------------------------------------------------------- judge */

void emu_judge(pnpbox_machine *m, const emu_access *a, emu_verdict *v)
{
    memset(v, 0, sizeof *v);
    if (m->checking_off)
        return;
    pnpbox_component *c = a->comp ? a->comp : emu_comp();
    if (!emu_judged(c))
        return;
    if (m->ff_stopped) {
        /* Fail-fast stopped the run: whatever the driver still tries is
         * refused without a verdict, so nothing changes and nothing more is
         * reported after the first violation. */
        v->deny = 1;
        return;
    }
    emu_lock(m);
    /* The same access through the same handle, with nothing changed since: the same verdict. */
    uint64_t key = 0;
    emu_fold_slot *fs = NULL;
    if (a->fold && m->mode != PNPBOX_MODE_FAILFAST) {
        key = a->fold_key ? a->fold_key : emu_fold_key(a);
        fs = emu_fold_find(m, a, c, key);
        if (fs && fs->have_verdict) {
            *v = fs->verdict;
            emu_unlock(m);
            return;
        }
    }
    switch (a->kind) {
    case EMU_ACC_REG:
        judge_reg(m, a, c, v);
        break;
    case EMU_ACC_FILE:
        judge_file(m, a, c, v);
        break;
    case EMU_ACC_IFACE:
        if (a->op == EMU_OP_LOOKUP && a->iface_class && !emu_comp_has_notify(c, a->iface_class))
            add(v, "IFACE-NO-NOTIFICATION");
        break;
    case EMU_ACC_QI:
        add(v, "IFACE-CONTRACT");
        break;
    default:
        break;
    }
    int errors = 0, reported = 0;
    for (int i = 0; i < v->n; i++) {
        v->suppressed[i] = suppressed(m, v->rules[i], c, a->path);
        if (v->suppressed[i])
            continue;
        reported++;
        if (!strcmp(v->rules[i]->severity, "error"))
            errors++;
    }
    /*
     * Enforce denies an access that breaks an error-level rule; so does
     * fail-fast, which also stops the run there.  Warnings are reported in
     * every mode.  An IRP_MN_QUERY_INTERFACE answer is never denied: it was
     * already given when pnpbox sees it, and Windows cannot take it back.
     */
    int deniable = a->kind != EMU_ACC_QI;
    int stop = m->mode == PNPBOX_MODE_FAILFAST && errors;
    if (!v->n)
        v->outcome = PNPBOX_OUTCOME_ALLOWED;
    else if (!reported)
        v->outcome = PNPBOX_OUTCOME_SUPPRESSED;
    else if ((m->mode == PNPBOX_MODE_ENFORCE || stop) && errors && deniable)
        v->outcome = PNPBOX_OUTCOME_DENIED, v->deny = 1;
    else
        v->outcome = PNPBOX_OUTCOME_REPORTED;
    if (a->fold && m->mode != PNPBOX_MODE_FAILFAST) {
        fs = emu_fold_take(m, a, c, key);
        if (fs) {
            fs->verdict = *v;
            fs->have_verdict = 1;
        }
    }
    emu_failfast_fn ff = m->failfast;
    void *ffctx = m->failfast_ctx;
    if (stop)
        m->ff_stopped = 1;
    emu_unlock(m);
    if (!stop)
        return;
    /* The first error-level violation: tell the handler, which returns; the
     * calling API then fails with the denial and unwinds normally, and every
     * later lifecycle step is refused (emu_failfast_stopped). */
    const emu_rule *first = NULL;
    for (int i = 0; i < v->n && !first; i++)
        if (!v->suppressed[i] && !strcmp(v->rules[i]->severity, "error"))
            first = v->rules[i];
    emu_set_error(m, "fail-fast: stopped at the first violation: %s by %s '%s'", first->id, a->api ? a->api : "?",
                  a->path ? a->path : "");
    if (ff) {
        ff(m, a, first, ffctx);
    } else {
        fprintf(stderr,
                "pnpbox: fail-fast: %s: %s %s '%s' (component %s, handle origin %s)\n  %s\n  fix: %s\n",
                first->id, a->api ? a->api : "?", a->write ? "writes" : "reads", a->path ? a->path : "", c->name,
                a->absolute ? "absolute" : emu_prov_origin(a->prov), first->explanation, first->alternative);
    }
}

int emu_failfast_stopped(pnpbox_machine *m) { return m && m->ff_stopped; }

void emu_set_failfast(pnpbox_machine *m, emu_failfast_fn fn, void *ctx)
{
    emu_lock(m);
    m->failfast = fn;
    m->failfast_ctx = ctx;
    emu_unlock(m);
}

void emu_judge_record(pnpbox_machine *m, const emu_access *a, emu_status status)
{
    emu_verdict v;
    emu_judge(m, a, &v);
    emu_record(m, a, &v, status);
}
