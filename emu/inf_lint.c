/*
 * inf_lint.c: the INF linter: InfVerif codes at the /w ("Windows Driver")
 * level (contract in inf.h; rules in inf_rules.c; facts in the reference
 * §3.1 and §1.14 "Run from driver store").
 *
 * The linter reads the parser's diagnostics (1002, 1003, 1235), checks
 * [Version] and the section structure, then builds the whole-package plan
 * over every TargetOSVersion decoration (inf_plan.c) and judges each
 * operation: registry roots and keys, file destinations and DIRIDs,
 * services and their binaries.  Section references seen while planning
 * decide 1203 and 2083.
 *
 * Choices where the documentation is silent (also in docs/inf.md):
 *  - 1320 is a key operation (create or delete a key), 1321 a value
 *    operation; HKCR\CLSID\... (COM registration) is 1320/1321 as InfVerif
 *    reports it, other HKCR keys are 2660 instead.  1325 flags a COM server
 *    subkey other than InprocServer32.
 *  - 1222: HKLM\SYSTEM outside CurrentControlSet.  1223: the keys HKR
 *    reaches (CurrentControlSet\Services, \Enum, \Control\Class,
 *    \Control\DeviceClasses).
 *  - 1103: with DIRID 13, the copy flags that concern replacing an existing
 *    file (0x8, 0x10, 0x40, 0x400, 0x1000, 0x4000) are invalid.
 *  - 1326: a string value that is an absolute path or a %dirid% path other
 *    than %13%, outside event-log sections; 1328 (warning) when the path is
 *    the DriverData directory written another way.
 *  - Operations of included (system) INFs are not judged.
 */
#include "emu/inf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lctx {
    const inf_file *f;
    inf_target target;
    inf_lint_result *res;
    size_t cap;
    int oom;
    uint8_t *refd;   /* per section: referenced */
} lctx;

static void vfind(lctx *lc, uint32_t lineno, int code, va_list ap)
{
    const inf_rule *r = emu_inf_rule(code);
    if (!r || !r->implemented || r->level_w == INF_SEV_NONE)
        return;
    char buf[1200];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(buf, sizeof buf, r->format, ap);
#pragma GCC diagnostic pop
    inf_lint_result *res = lc->res;
    if (res->nfindings == lc->cap) {
        size_t nc = lc->cap ? lc->cap * 2 : 16;
        inf_finding *n = realloc(res->findings, nc * sizeof *n);
        if (!n) {
            lc->oom = 1;
            return;
        }
        res->findings = n;
        lc->cap = nc;
    }
    char *m = strdup(buf);
    if (!m) {
        lc->oom = 1;
        return;
    }
    res->findings[res->nfindings++] = (inf_finding){res->file, lineno, code, r->level_w, m, r->fix};
}

static void find(lctx *lc, uint32_t lineno, int code, ...)
{
    va_list ap;
    va_start(ap, code);
    vfind(lc, lineno, code, ap);
    va_end(ap);
}

/* A finding whose message is already worded (parser diagnostics, plan issues). */
static void find_msg(lctx *lc, uint32_t lineno, int code, const char *msg)
{
    const inf_rule *r = emu_inf_rule(code);
    if (!r || r->level_w == INF_SEV_NONE)
        return;
    inf_lint_result *res = lc->res;
    if (res->nfindings == lc->cap) {
        size_t nc = lc->cap ? lc->cap * 2 : 16;
        inf_finding *n = realloc(res->findings, nc * sizeof *n);
        if (!n) {
            lc->oom = 1;
            return;
        }
        res->findings = n;
        lc->cap = nc;
    }
    char *m = strdup(msg);
    if (!m) {
        lc->oom = 1;
        return;
    }
    res->findings[res->nfindings++] = (inf_finding){res->file, lineno, code, r->level_w, m, r->fix};
}

static inf_str S(inf_wstr w)
{
    return (inf_str){w.s, w.n};
}

/* ---- [Version] and structure ---- */

static void lint_version(lctx *lc)
{
    inf_version v;
    emu_inf_version(lc->f, &lc->target, &v);
    if (!v.lineno) {
        find(lc, 0, 1001, "");
        return;
    }
    if (!v.signature_ok)
        find(lc, v.signature_line ? v.signature_line : v.lineno, 1001, inf_u8(v.signature));
    const inf_line *dl = emu_inf_find_key(emu_inf_section(lc->f, "Version"), "DriverVer");
    if (!dl) {
        if (!emu_inf_is_template(lc->f)) /* stampinf writes DriverVer into .inx templates */
            find(lc, v.lineno, 1218, "");
    } else {
        inf_str ds = inf_str_trim(inf_fval(dl, 0));
        if (!v.month) /* the date did not parse as MM/DD/YYYY */
            find(lc, dl->lineno, 1218, inf_u8(ds));
        inf_str vs = inf_str_trim(inf_fval(dl, 1));
        if (dl->nfields > 1 && vs.n) {
            int vok = 1, parts = 0;
            uint32_t cur = 0;
            size_t digits = 0;
            for (size_t i = 0; i <= vs.n && vok; i++) {
                if (i == vs.n || vs.s[i] == '.') {
                    if (!digits || cur > 65535)
                        vok = 0;
                    parts++;
                    cur = 0;
                    digits = 0;
                } else if (vs.s[i] >= '0' && vs.s[i] <= '9') {
                    cur = cur * 10 + (uint32_t)(vs.s[i] - '0');
                    if (++digits > 6)
                        vok = 0;
                } else {
                    vok = 0;
                }
            }
            if (!vok || parts > 4)
                find(lc, dl->lineno, 1217, inf_u8(vs));
        }
    }
    if (v.pnp_lockdown != 1)
        find(lc, v.pnp_lockdown_line ? v.pnp_lockdown_line : v.lineno, 1324);
}

static int ends_with(inf_str s, const char *suffix)
{
    size_t n = strlen(suffix);
    if (s.n < n)
        return 0;
    return inf_str_ieq((inf_str){s.s + s.n - n, n}, suffix);
}

static void lint_structure(lctx *lc)
{
    static const char *const legacy_dirs[] = {"LogConfig", "UpdateInis", "UpdateIniFields", "Ini2Reg",
                                              "ProfileItems", "RegisterDlls", "UnregisterDlls", "BitReg"};
    static const char *const legacy_secs[] = {".CoInstallers", ".LogConfigOverride", ".FactDef"};
    size_t ns = emu_inf_section_count(lc->f);
    for (size_t i = 0; i < ns; i++) {
        const inf_section *s = emu_inf_section_at(lc->f, i);
        for (uint32_t h = 1; h < s->nheaders; h++) {
            char first[16];
            snprintf(first, sizeof first, "%u", s->header_lines[0]);
            find(lc, s->header_lines[h], 1209, inf_u8(s->name), first);
        }
        uint16_t id;
        int dec;
        if (inf_is_strings_section(s->name, &id, &dec))
            continue;
        for (size_t k = 0; k < sizeof legacy_secs / sizeof *legacy_secs; k++)
            if (ends_with(s->name, legacy_secs[k])) {
                char what[300];
                snprintf(what, sizeof what, "section [%s]", inf_u8(s->name));
                find(lc, s->header_lines[0], 1300, what);
            }
        for (uint32_t li = 0; li < s->nlines; li++) {
            const inf_line *l = &s->lines[li];
            if (!l->key)
                continue;
            for (size_t k = 0; k < sizeof legacy_dirs / sizeof *legacy_dirs; k++)
                if (inf_line_key_is(l, legacy_dirs[k])) {
                    char what[64];
                    snprintf(what, sizeof what, "%s directive", legacy_dirs[k]);
                    find(lc, l->lineno, 1300, what);
                }
            if (inf_line_key_is(l, "DelService"))
                find(lc, l->lineno, 1302, "DelService", inf_u8(inf_str_trim(inf_fval(l, 0))));
        }
    }
    /* 1340: deprecated DIRIDs as destinations. */
    const inf_section *dd = emu_inf_section(lc->f, "DestinationDirs");
    for (uint32_t i = 0; dd && i < dd->nlines; i++) {
        const inf_line *l = &dd->lines[i];
        int64_t d;
        if (emu_inf_parse_int(inf_fval(l, 0), &d) || d < INT32_MIN || d > INT32_MAX)
            continue;
        const inf_dirid_info *di = emu_inf_dirid_info((int32_t)d);
        if (di && di->deprecated) {
            char n[16];
            snprintf(n, sizeof n, "%d", (int)d);
            find(lc, l->lineno, 1340, n);
        }
    }
}

/* ---- reachability (2083) ---- */

static void on_ref(void *ctx, const inf_file *f, const inf_line *line, const char *directive, inf_str name,
                   const inf_section *target)
{
    lctx *lc = ctx;
    (void)line, (void)directive, (void)name;
    if (f == lc->f && target)
        lc->refd[inf_section_index(f, target)] = 1;
}

static int always_referenced(inf_str n)
{
    static const char *const exact[] = {"Version", "Manufacturer", "DestinationDirs", "InterfaceInstall32",
                                        "ControlFlags", "Strings"};
    static const char *const prefix[] = {"Strings.", "SourceDisksNames", "SourceDisksFiles", "DefaultInstall",
                                         "DefaultUninstall", "ClassInstall32", "SignatureAttributes"};
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        if (inf_str_ieq(n, exact[i]))
            return 1;
    for (size_t i = 0; i < sizeof prefix / sizeof *prefix; i++)
        if (inf_str_istarts(n, prefix[i]))
            return 1;
    return 0;
}

static int no_scan(inf_str n)
{
    uint16_t id;
    int dec;
    return inf_is_strings_section(n, &id, &dec) || inf_str_ieq(n, "DestinationDirs") ||
           inf_str_istarts(n, "SourceDisks") || inf_str_ieq(n, "Version");
}

static void lint_reachability(lctx *lc)
{
    const inf_file *f = lc->f;
    size_t ns = emu_inf_section_count(f);
    uint32_t *work = malloc((ns + 1) * sizeof *work);
    if (!work) {
        lc->oom = 1;
        return;
    }
    /* Children: "X.anything" follows a referenced X (DDInstall families, .security, .Wdf, ...).
     * Edges from every dotted prefix that is itself a section, as adjacency lists. */
    uint32_t *first = malloc((ns + 1) * sizeof *first), *child = NULL, *nextc = NULL;
    size_t nedges = 0, ecap = 0;
    if (!first) {
        free(work);
        lc->oom = 1;
        return;
    }
    memset(first, 0xff, (ns + 1) * sizeof *first);
    for (size_t j = 0; j < ns && !lc->oom; j++) {
        inf_str n = emu_inf_section_at(f, j)->name;
        for (size_t k = 1; k + 1 < n.n; k++) {
            if (n.s[k] != '.')
                continue;
            const inf_section *par = inf_section_get(f, n.s, k);
            if (!par)
                continue;
            if (nedges == ecap) {
                ecap = ecap ? ecap * 2 : 64;
                uint32_t *c2 = realloc(child, ecap * sizeof *c2), *n2 = c2 ? realloc(nextc, ecap * sizeof *n2) : NULL;
                if (c2)
                    child = c2;
                if (n2)
                    nextc = n2;
                if (!c2 || !n2) {
                    lc->oom = 1;
                    break;
                }
            }
            uint32_t pi = (uint32_t)inf_section_index(f, par);
            child[nedges] = (uint32_t)j;
            nextc[nedges] = first[pi];
            first[pi] = (uint32_t)nedges++;
        }
    }
    size_t nw = 0;
    for (size_t i = 0; i < ns; i++) {
        if (always_referenced(emu_inf_section_at(f, i)->name))
            lc->refd[i] = 1;
        if (lc->refd[i])
            work[nw++] = (uint32_t)i;
    }
    while (nw && !lc->oom) {
        uint32_t si = work[--nw];
        const inf_section *s = emu_inf_section_at(f, si);
        for (uint32_t e = first[si]; e != UINT32_MAX; e = nextc[e]) {
            if (!lc->refd[child[e]]) {
                lc->refd[child[e]] = 1;
                work[nw++] = child[e];
            }
        }
        if (no_scan(s->name))
            continue;
        for (uint32_t li = 0; li < s->nlines; li++) {
            const inf_line *l = &s->lines[li];
            for (uint32_t k = 0; k < l->nfields; k++) {
                inf_str v = inf_str_trim(l->fields[k].val);
                if (!v.n)
                    continue;
                const inf_section *t = inf_section_get(f, v.s, v.n);
                if (t) {
                    int ti = inf_section_index(f, t);
                    if (!lc->refd[ti]) {
                        lc->refd[ti] = 1;
                        work[nw++] = (uint32_t)ti;
                    }
                }
            }
        }
    }
    free(work);
    free(first);
    free(child);
    free(nextc);
    for (size_t i = 0; i < ns && !lc->oom; i++)
        if (!lc->refd[i]) {
            const inf_section *s = emu_inf_section_at(f, i);
            find(lc, s->header_lines[0], 2083, inf_u8(s->name));
        }
}

/* ---- operations ---- */

static inf_str strip_bs(inf_str s)
{
    s = inf_str_trim(s);
    while (s.n && s.s[0] == '\\') {
        s.s++;
        s.n--;
    }
    while (s.n && s.s[s.n - 1] == '\\')
        s.n--;
    return s;
}

/* Is key equal to prefix or below it ("A\B" under "A")? */
static int key_under(inf_str key, const char *prefix)
{
    size_t n = strlen(prefix);
    if (key.n < n || !inf_str_istarts(key, prefix))
        return 0;
    return key.n == n || key.s[n] == '\\';
}

static void root_text(const inf_op *op, char *buf, size_t n)
{
    inf_str r = inf_str_trim(inf_fval(op->line, 0));
    snprintf(buf, n, "%s", inf_u8(r));
    for (char *c = buf; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 32);
}

/* Path-looking string classification for 1326/1328. */
static void check_path_value(lctx *lc, const inf_op *op, inf_str v)
{
    v = inf_str_trim(v);
    if (v.n < 3)
        return;
    int32_t d;
    size_t used = inf_leading_dirid(v, &d);
    if (used && d == 13)
        return;
    if (inf_str_istarts(v, "%DriverData%"))
        return;
    static const char *const dd_forms[] = {"%SystemRoot%\\System32\\Drivers\\DriverData",
                                           "\\SystemRoot\\System32\\Drivers\\DriverData",
                                           "C:\\Windows\\System32\\Drivers\\DriverData", "%12%\\DriverData",
                                           "%11%\\Drivers\\DriverData", "%10%\\System32\\Drivers\\DriverData",
                                           "%windir%\\System32\\Drivers\\DriverData"};
    for (size_t i = 0; i < sizeof dd_forms / sizeof *dd_forms; i++) {
        size_t n = strlen(dd_forms[i]);
        if (key_under(v, dd_forms[i])) {
            char q[1100];
            snprintf(q, sizeof q, "%%DriverData%%%s", inf_u8((inf_str){v.s + n, v.n - n}));
            find(lc, op->lineno, 1328, inf_u8(v), q);
            return;
        }
    }
    int pathlike = (used && used < v.n && v.s[used] == '\\') ||
                   (v.n >= 3 && ((v.s[0] | 0x20) >= 'a' && (v.s[0] | 0x20) <= 'z') && v.s[1] == ':' && v.s[2] == '\\') ||
                   inf_str_istarts(v, "\\SystemRoot\\") || inf_str_istarts(v, "%SystemRoot%\\") ||
                   inf_str_istarts(v, "%windir%\\") || inf_str_istarts(v, "\\??\\") ||
                   inf_str_istarts(v, "%ProgramFiles%") || inf_str_istarts(v, "%ProgramData%") ||
                   inf_str_istarts(v, "%SystemDrive%") || (v.s[0] == '\\' && v.s[1] == '\\');
    if (pathlike)
        find(lc, op->lineno, 1326, inf_u8(v));
}

static void check_dirid_tokens(lctx *lc, const inf_line *l)
{
    if (!l)
        return;
    for (uint32_t k = 0; k < l->nfields; k++) {
        const inf_field *fd = &l->fields[k];
        if (!(fd->flags & INF_FIELD_HAS_DIRID))
            continue;
        inf_str v = fd->val;
        for (size_t i = 0; i < v.n; i++) {
            if (v.s[i] != '%')
                continue;
            int32_t d;
            size_t used = inf_leading_dirid((inf_str){v.s + i, v.n - i}, &d);
            if (!used)
                continue;
            const inf_dirid_info *di = emu_inf_dirid_info(d);
            if (di && di->deprecated) {
                char n[16];
                snprintf(n, sizeof n, "%d", (int)d);
                find(lc, l->lineno, 1341, n);
            }
            i += used - 1;
        }
    }
}

static void lint_reg(lctx *lc, const inf_op *op)
{
    const inf_reg_op *r = &op->u.reg;
    const inf_line *l = op->line;
    int value_op = r->action == INF_REGOP_SET_VALUE || r->action == INF_REGOP_DELETE_VALUE ||
                   r->action == INF_REGOP_DELETE_STRING;
    inf_str sub = strip_bs(S(r->subkey));
    char root[16];
    root_text(op, root, sizeof root);
    char subu8[1100];
    snprintf(subu8, sizeof subu8, "%s", inf_u8(sub));

    if (r->root >= INF_ROOT_HKLM) {
        int hkcr_other = r->root == INF_ROOT_HKCR && !key_under(sub, "CLSID");
        if (hkcr_other) {
            find(lc, op->lineno, 2660, subu8);
        } else if (value_op) {
            find(lc, op->lineno, 1321, root, subu8, inf_u8(S(r->value_name)));
        } else {
            find(lc, op->lineno, 1320, root, subu8);
        }
        if (r->root == INF_ROOT_HKLM && key_under(sub, "SYSTEM")) {
            if (!key_under(sub, "SYSTEM\\CurrentControlSet"))
                find(lc, op->lineno, 1222, root, subu8);
            else if (key_under(sub, "SYSTEM\\CurrentControlSet\\Services") ||
                     key_under(sub, "SYSTEM\\CurrentControlSet\\Enum") ||
                     key_under(sub, "SYSTEM\\CurrentControlSet\\Control\\Class") ||
                     key_under(sub, "SYSTEM\\CurrentControlSet\\Control\\DeviceClasses"))
                find(lc, op->lineno, 1223, root, subu8);
        }
        if (r->root == INF_ROOT_HKCR && key_under(sub, "CLSID")) {
            /* CLSID\{guid}\<server kind>[\...] */
            size_t i = 6, j;
            while (i < sub.n && sub.s[i] != '\\')
                i++;
            if (i < sub.n) {
                j = ++i;
                while (j < sub.n && sub.s[j] != '\\')
                    j++;
                inf_str kind = {sub.s + i, j - i};
                static const char *const servers[] = {"LocalServer32", "LocalServer", "InprocHandler32",
                                                      "InprocHandler", "InprocServer"};
                for (size_t k = 0; k < sizeof servers / sizeof *servers; k++)
                    if (inf_str_ieq(kind, servers[k]))
                        find(lc, op->lineno, 1325, inf_u8(kind));
            }
        }
    } else if (op->context == INF_CTX_SERVICE_INSTALL && !key_under(sub, "Parameters")) {
        char k[1200];
        snprintf(k, sizeof k, sub.n ? "HKR\\%s" : "HKR%s", subu8);
        find(lc, op->lineno, 1323, k);
    }
    if (inf_str_ieq(S(r->value_name), "CoInstallers32") && r->action == INF_REGOP_SET_VALUE)
        find(lc, op->lineno, 1303);
    if ((inf_str_ieq(S(r->value_name), "UpperFilters") || inf_str_ieq(S(r->value_name), "LowerFilters")) &&
        (r->action == INF_REGOP_SET_VALUE || r->action == INF_REGOP_DELETE_STRING))
        find(lc, op->lineno, 1329);
    if ((r->exec_flags & INF_REGF_APPEND) || r->action == INF_REGOP_DELETE_STRING)
        find(lc, op->lineno, 1305, inf_u8(S(r->value_name)));
    if (!strcmp(op->directive, "DelReg") ||
        (r->inf_flags & INF_ADDREG_DELVAL && !(r->inf_flags & (INF_ADDREG_KEYONLY | INF_ADDREG_KEYONLY_COMMON)))) {
        if (r->action != INF_REGOP_DELETE_STRING) {
            char what[1300];
            snprintf(what, sizeof what, "%s%s%s%s%s", root, sub.n ? "\\" : "", subu8, value_op ? "," : "",
                     value_op ? inf_u8(S(r->value_name)) : "");
            find(lc, op->lineno, 1301, op->directive, what);
        }
    }
    check_dirid_tokens(lc, l);
    if (r->action == INF_REGOP_SET_VALUE && op->context != INF_CTX_EVENTLOG &&
        (r->type == INF_REG_SZ || r->type == INF_REG_EXPAND_SZ || r->type == INF_REG_MULTI_SZ)) {
        for (uint32_t k = 4; k < l->nfields; k++) {
            check_path_value(lc, op, l->fields[k].val);
            if (r->type != INF_REG_MULTI_SZ)
                break;
        }
    }
}

static int path_eq(inf_str a, inf_str b)
{
    a = strip_bs(a);
    b = strip_bs(b);
    if (a.n != b.n)
        return 0;
    for (size_t i = 0; i < a.n; i++) {
        uint16_t x = a.s[i] == '/' ? '\\' : a.s[i], y = b.s[i] == '/' ? '\\' : b.s[i];
        if (x != y && pb_upcase(x) != pb_upcase(y))
            return 0;
    }
    return 1;
}

static void dirpath_text(const inf_file_op *fo, char *buf, size_t n)
{
    inf_str sub = strip_bs(S(fo->dest_subdir));
    if (sub.n)
        snprintf(buf, n, "%%%d%%\\%s", (int)fo->dest_dirid, inf_u8(sub));
    else
        snprintf(buf, n, "%%%d%%", (int)fo->dest_dirid);
}

static void lint_file(lctx *lc, const inf_op *op)
{
    const inf_file_op *fo = &op->u.file;
    char dir[1200];
    dirpath_text(fo, dir, sizeof dir);
    if (op->kind == INF_OP_COPY) {
        if (fo->dest_dirid != 13) {
            find(lc, op->lineno, 1322, dir, inf_u8(S(fo->dest_name)));
            return;
        }
        if (!inf_str_ieq_str(S(fo->dest_name), S(fo->src_name)))
            find(lc, op->lineno, 1100, "name", inf_u8(S(fo->src_name)), "13");
        else if (fo->disk_id >= 0 && !path_eq(S(fo->dest_subdir), S(fo->src_subdir)))
            find(lc, op->lineno, 1100, "path", inf_u8(S(fo->src_name)), "13");
        if (fo->has_security)
            find(lc, op->lineno, 1101, "13");
        uint32_t bad = fo->flags & (INF_COPYFLG_FORCE_FILE_IN_USE | INF_COPYFLG_NO_OVERWRITE |
                                    INF_COPYFLG_OVERWRITE_OLDER_ONLY | INF_COPYFLG_REPLACEONLY |
                                    INF_COPYFLG_REPLACE_BOOT_FILE | INF_COPYFLG_IN_USE_RENAME);
        if (bad) {
            char hex[16];
            snprintf(hex, sizeof hex, "%x", bad);
            find(lc, op->lineno, 1103, hex, "13");
        }
        return;
    }
    find(lc, op->lineno, 1302, op->directive, inf_u8(S(fo->dest_name)));
    if (fo->dest_dirid == 13)
        find(lc, op->lineno, 1102, op->directive, "13");
}

static uint32_t hash_s(uint32_t h, inf_str s)
{
    return inf_hash_mix(h, inf_hash_w(s.s, s.n));
}

/* Hash of a path compared with path_eq (separators and case folded, outer '\' trimmed). */
static uint32_t hash_path(uint32_t h, inf_str s)
{
    s = strip_bs(s);
    uint32_t x = 2166136261u;
    for (size_t i = 0; i < s.n; i++) {
        uint16_t c = s.s[i] == '/' ? '\\' : pb_upcase(s.s[i]);
        x = (x ^ c) * 16777619u;
    }
    return inf_hash_mix(h, x);
}

static void lint_services(lctx *lc, const inf_plan *p)
{
    inf_imap assoc = {0}, svcs = {0}, dests = {0};
    /* Copy destinations by (DIRID, path below it) for 2084. */
    for (size_t j = 0; j < p->nops; j++) {
        const inf_op *c = &p->ops[j];
        if (c->kind != INF_OP_COPY)
            continue;
        inf_str sub = strip_bs(S(c->u.file.dest_subdir));
        uint32_t h = (uint32_t)c->u.file.dest_dirid;
        if (sub.n)
            h = hash_path(h, sub);
        h = hash_path(h, S(c->u.file.dest_name));
        if (inf_imap_add(&dests, h, (uint32_t)j))
            lc->oom = 1;
    }
    for (size_t i = 0; i < p->nops && !lc->oom; i++) {
        const inf_op *op = &p->ops[i];
        if (op->kind != INF_OP_SERVICE || op->inf != lc->f)
            continue;
        const inf_service_op *sv = &op->u.service;
        /* 1211: more than one associated service in one .Services section */
        if (sv->flags & INF_SVC_ASSOCSERVICE) {
            uint32_t h = hash_s(0, S(op->section));
            int found = 0;
            for (uint32_t e = inf_imap_first(&assoc, h); e != UINT32_MAX && !found; e = inf_imap_next(&assoc, e)) {
                const inf_op *o2 = &p->ops[inf_imap_idx(&assoc, e)];
                if (inf_str_ieq_str(S(o2->section), S(op->section))) {
                    found = 1;
                    if (o2->lineno != op->lineno)
                        find(lc, op->lineno, 1211, inf_u8(S(op->section)));
                }
            }
            if (!found && inf_imap_add(&assoc, h, (uint32_t)i))
                lc->oom = 1;
        }
        if (!sv->name.n)
            continue;
        /* 1332: the same service configured differently by another AddService */
        uint32_t hn = hash_s(0, S(sv->name));
        int known = 0;
        for (uint32_t e = inf_imap_first(&svcs, hn); e != UINT32_MAX && !known; e = inf_imap_next(&svcs, e)) {
            const inf_service_op *s2 = &p->ops[inf_imap_idx(&svcs, e)].u.service;
            if (!inf_str_ieq_str(S(s2->name), S(sv->name)))
                continue;
            known = 1;
            if (inf_str_ieq_str(S(s2->install_section), S(sv->install_section)))
                continue;
            if (s2->service_type != sv->service_type || s2->start_type != sv->start_type ||
                s2->error_control != sv->error_control || !inf_str_ieq_str(S(s2->binary), S(sv->binary)) ||
                !inf_str_ieq_str(S(s2->load_order_group), S(sv->load_order_group))) {
                char a[300];
                snprintf(a, sizeof a, "%s", inf_u8(S(s2->install_section)));
                find(lc, op->lineno, 1332, inf_u8(S(sv->name)), a, inf_u8(S(sv->install_section)));
            }
        }
        if (!known && inf_imap_add(&svcs, hn, (uint32_t)i))
            lc->oom = 1;
        if (!sv->binary.n)
            continue;
        uint32_t bl = sv->binary_lineno ? sv->binary_lineno : op->lineno;
        if (sv->binary_dirid == -2) {
            find(lc, bl, 2085, inf_u8(S(sv->binary)));
            continue;
        }
        const inf_dirid_info *di = emu_inf_dirid_info(sv->binary_dirid);
        if (di && di->deprecated) {
            char n[16];
            snprintf(n, sizeof n, "%d", (int)sv->binary_dirid);
            find(lc, bl, 1341, n);
        }
        /* binary_rel = [subdir\]name: hash it the way destinations were hashed. */
        inf_str rel = strip_bs(S(sv->binary_rel));
        size_t cut = rel.n;
        while (cut && rel.s[cut - 1] != '\\' && rel.s[cut - 1] != '/')
            cut--;
        inf_str rsub = {rel.s, cut ? cut - 1 : 0}, rname = {rel.s + cut, rel.n - cut};
        uint32_t h = (uint32_t)sv->binary_dirid;
        if (strip_bs(rsub).n)
            h = hash_path(h, rsub);
        h = hash_path(h, rname);
        int copied = 0;
        for (uint32_t e = inf_imap_first(&dests, h); e != UINT32_MAX && !copied; e = inf_imap_next(&dests, e)) {
            const inf_file_op *c = &p->ops[inf_imap_idx(&dests, e)].u.file;
            copied = c->dest_dirid == sv->binary_dirid && path_eq(S(c->dest_subdir), rsub) &&
                     path_eq(S(c->dest_name), rname);
        }
        if (!copied)
            find(lc, bl, 2084, inf_u8(S(sv->binary)));
    }
    inf_imap_free(&assoc);
    inf_imap_free(&svcs);
    inf_imap_free(&dests);
}

/* 1330 (destinations) and 1331 (global registry values) across sections: each op is
 * compared with the first op of the same destination or value. */
static void lint_conflicts(lctx *lc, const inf_plan *p)
{
    inf_imap first = {0};
    for (size_t i = 0; i < p->nops && !lc->oom; i++) {
        const inf_op *a = &p->ops[i];
        if (a->inf != lc->f)
            continue;
        if (a->kind == INF_OP_COPY) {
            const inf_file_op *fa = &a->u.file;
            uint32_t h = hash_path(hash_path(inf_hash_mix(1, (uint32_t)fa->dest_dirid), S(fa->dest_subdir)),
                                   S(fa->dest_name));
            int known = 0;
            for (uint32_t e = inf_imap_first(&first, h); e != UINT32_MAX && !known; e = inf_imap_next(&first, e)) {
                const inf_op *b = &p->ops[inf_imap_idx(&first, e)];
                if (b->kind != INF_OP_COPY || b->u.file.dest_dirid != fa->dest_dirid ||
                    !inf_str_ieq_str(S(b->u.file.dest_name), S(fa->dest_name)) ||
                    !path_eq(S(b->u.file.dest_subdir), S(fa->dest_subdir)))
                    continue;
                known = 1;
                if (!inf_str_ieq_str(S(b->u.file.src_name), S(fa->src_name)) ||
                    !path_eq(S(b->u.file.src_subdir), S(fa->src_subdir))) {
                    char s1[300], s2[300];
                    snprintf(s1, sizeof s1, "%s", inf_u8(S(b->u.file.src_name)));
                    snprintf(s2, sizeof s2, "%s", inf_u8(S(fa->src_name)));
                    find(lc, a->lineno, 1330, inf_u8(S(fa->dest_path)), s1, s2);
                }
            }
            if (!known && inf_imap_add(&first, h, (uint32_t)i))
                lc->oom = 1;
        } else if (a->kind == INF_OP_REG && a->u.reg.root >= INF_ROOT_HKLM && a->u.reg.action == INF_REGOP_SET_VALUE &&
                   strcmp(a->directive, "SCM")) {
            const inf_reg_op *ra = &a->u.reg;
            uint32_t h = hash_s(hash_path(inf_hash_mix(2, (uint32_t)ra->root), S(ra->subkey)), S(ra->value_name));
            int known = 0;
            for (uint32_t e = inf_imap_first(&first, h); e != UINT32_MAX && !known; e = inf_imap_next(&first, e)) {
                const inf_op *b = &p->ops[inf_imap_idx(&first, e)];
                if (b->kind != INF_OP_REG)
                    continue;
                const inf_reg_op *rb = &b->u.reg;
                if (rb->root != ra->root || !path_eq(S(rb->subkey), S(ra->subkey)) ||
                    !inf_str_ieq_str(S(rb->value_name), S(ra->value_name)))
                    continue;
                known = 1;
                if (b->lineno == a->lineno)
                    continue;
                if (rb->type != ra->type || rb->data_len != ra->data_len ||
                    (ra->data_len && memcmp(rb->data, ra->data, ra->data_len))) {
                    char k[1200];
                    char root[16];
                    root_text(a, root, sizeof root);
                    snprintf(k, sizeof k, "%s\\%s\\%s", root, inf_u8(strip_bs(S(ra->subkey))), inf_u8(S(ra->value_name)));
                    find(lc, a->lineno, 1331, k);
                }
            }
            if (!known && inf_imap_add(&first, h, (uint32_t)i))
                lc->oom = 1;
        }
    }
    inf_imap_free(&first);
}

static void lint_plan(lctx *lc)
{
    inf_plan_opts po = {0};
    po.target = &lc->target;
    inf_plan *p = NULL;
    int rc = inf_plan_build(lc->f, &po, NULL, INF_PKG_ALL_DECORATIONS, on_ref, lc, &p);
    if (rc) {
        lc->oom = 1;
        return;
    }
    for (size_t i = 0; i < p->nissues; i++) {
        const inf_issue *is = &p->issues[i];
        if (is->file != emu_inf_name(lc->f))
            continue;
        if (is->code)
            find_msg(lc, is->lineno, is->code, is->message);
        else if (is->severity == INF_SEV_ERROR) {
            char m[1100];
            snprintf(m, sizeof m, "Syntax error: %s.", is->message);
            find_msg(lc, is->lineno, 1002, m);
        }
    }
    for (size_t i = 0; i < p->nops; i++) {
        const inf_op *op = &p->ops[i];
        if (op->inf != lc->f)
            continue;
        if (op->kind == INF_OP_REG && strcmp(op->directive, "SCM"))
            lint_reg(lc, op);
        else if (op->kind == INF_OP_COPY || op->kind == INF_OP_DELETE_FILE || op->kind == INF_OP_RENAME_FILE)
            lint_file(lc, op);
    }
    lint_services(lc, p);
    lint_conflicts(lc, p);
    emu_inf_plan_free(p);
}

static int finding_cmp(const void *x, const void *y)
{
    const inf_finding *a = x, *b = y;
    if (a->lineno != b->lineno)
        return a->lineno < b->lineno ? -1 : 1;
    if (a->code != b->code)
        return a->code < b->code ? -1 : 1;
    return strcmp(a->message, b->message);
}

int emu_inf_lint(const inf_file *inf, const inf_lint_opts *opts, inf_lint_result **out)
{
    if (!out)
        return INF_E_INVAL;
    *out = NULL;
    if (!inf)
        return INF_E_INVAL;
    lctx lc = {0};
    lc.f = inf;
    if (opts && opts->target)
        lc.target = *opts->target;
    else
        emu_inf_target_default(&lc.target);
    lc.res = calloc(1, sizeof *lc.res);
    lc.refd = calloc(emu_inf_section_count(inf) + 1, 1);
    if (!lc.res || !lc.refd) {
        free(lc.res);
        free(lc.refd);
        return INF_E_NOMEM;
    }
    lc.res->file = strdup(emu_inf_name(inf));
    if (!lc.res->file) {
        free(lc.res);
        free(lc.refd);
        return INF_E_NOMEM;
    }
    for (size_t i = 0; i < emu_inf_diag_count(inf); i++) {
        const inf_diag *d = emu_inf_diag_at(inf, i);
        find_msg(&lc, d->lineno, d->code, d->message);
    }
    lint_version(&lc);
    lint_structure(&lc);
    lint_plan(&lc);
    lint_reachability(&lc);
    free(lc.refd);
    inf_lint_result *r = lc.res;
    if (lc.oom) {
        emu_inf_lint_free(r);
        return INF_E_NOMEM;
    }
    if (r->nfindings > 1) {
        qsort(r->findings, r->nfindings, sizeof *r->findings, finding_cmp);
        size_t o = 1;
        for (size_t i = 1; i < r->nfindings; i++) {
            if (!finding_cmp(&r->findings[i], &r->findings[o - 1])) {
                free(r->findings[i].message);
                continue;
            }
            r->findings[o++] = r->findings[i];
        }
        r->nfindings = o;
    }
    for (size_t i = 0; i < r->nfindings; i++) {
        if (r->findings[i].severity == INF_SEV_ERROR)
            r->errors++;
        else
            r->warnings++;
    }
    *out = r;
    return 0;
}

void emu_inf_lint_free(inf_lint_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nfindings; i++)
        free(r->findings[i].message);
    free(r->findings);
    free((char *)r->file);
    free(r);
}
