/*
 * inf_plan.c: the install plan: what Windows would do, as data, to install
 * one driver node on a device or a whole package (contract in inf.h; facts
 * in the reference §1.14-§2: DDInstall family, AddReg flags and HKR per
 * section, AddService, CopyFiles and DIRIDs).
 *
 * No I/O: the executor (driver store staging, device install) applies the
 * ops to regdb and the volume.  Every op carries the file, line and section
 * it came from.
 *
 * Order of operations (the DIF sequence of a device install; documented in
 * docs/inf.md): [ClassInstall32] (when the class is new), the file
 * operations of DDInstall and DDInstall.CoInstallers, the co-installer
 * registry, DDInstall.Interfaces, the DDInstall registry (software key),
 * DDInstall.HW (hardware key), DDInstall.Services, DDInstall.Filters, then
 * [DefaultInstall] sections of package plans.  Within a section: Needs
 * first, then CopyFiles, RenFiles, DelFiles, then DelReg before AddReg,
 * each in line order.
 *
 * Choices where the documentation is silent (also in docs/inf.md):
 *  - An AddReg line with no value-entry-name field (two fields) creates the
 *    key only; an empty value-entry-name is the default value.
 *  - FLG_ADDREG_DELVAL deletes the named value, or the subkey when no value
 *    name is given.
 *  - REG_DWORD with one value field reads it as a number (0x hex or
 *    decimal, negative wraps); with several fields they are hex bytes, as
 *    for REG_BINARY and custom types.  A missing DWORD value writes 0.
 *  - REG_MULTI_SZ skips empty strings (they would end the list early); an
 *    empty list is a single NUL.  FLG_ADDREG_APPEND on other types is
 *    ignored with a warning.
 *  - %dirid% in REG_SZ data becomes the full path ([DOC] RFDS); in
 *    REG_EXPAND_SZ data, a path under C:\Windows is written as
 *    %SystemRoot%\... (RFDS: "with appropriate environment variables").
 *  - ImagePath: kernel and file-system drivers get \SystemRoot\... for
 *    paths under C:\Windows (reference §1.14) and \??\C:\... otherwise;
 *    Win32 services get the full path.
 *  - No DestinationDirs entry and no DefaultDestDir: DIRID 11, with 1275.
 *    DefaultDestDir of the main INF wins over an included INF's.
 *  - A section named by a directive is looked up in the INF that holds the
 *    directive, then in the main INF, then in the included INFs.
 */
#include "emu/inf_int.h"
#include "base/pb_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum phase {
    PH_CLASS, PH_FILES, PH_COINST_REG, PH_IFACES, PH_DD_REG, PH_HW_REG, PH_SERVICES, PH_FILTERS,
    PH_DEFAULT, PH_COUNT
};

typedef struct oplist {
    inf_op *v;
    size_t n, cap;
} oplist;

typedef struct plan_box {
    inf_plan plan;
    inf_arena arena;
    inf_op *ops;
    inf_issue *issues;
    size_t nissues, icap;
    inf_package_file *files;
    size_t nfiles, fcap;
} plan_box;

typedef struct pctx {
    const inf_file *main;
    const inf_plan_opts *opts;
    inf_target target;
    inf_arch arch;          /* the architecture of the DDInstall being planned */
    plan_box *box;
    oplist ph[PH_COUNT];
    char *store_dir;
    inf_ref_fn ref;
    void *ref_ctx;
    int oom;
    /* Key indexes of the sections looked up by key (SourceDisks*, DestinationDirs). */
    struct keyidx {
        const inf_section *sec;
        inf_imap map;
    } *kidx;
    size_t nkidx, kcap;
    inf_imap issue_map;   /* (line, code, message) of the issues so far */
    /* Package plans plan each (list section, directive, HKR target) once. */
    int package;
    inf_imap memo;
    struct memo_item {
        const inf_section *sec;
        const char *directive;
        inf_context ctx;
        inf_root root;
        inf_wstr arg1, arg2;
    } *memo_v;
    size_t nmemo, memo_cap;
    size_t nops_total;
    int capped;
    inf_imap file_map;    /* package file names */
    /* new_op: the last section's name as a plan string (ops of one section come together). */
    const inf_section *name_sec;
    inf_wstr name_w;
    /* Include names already warned about. */
    inf_str warned[32];
    int nwarned;
} pctx;

typedef struct scope {
    inf_context ctx;
    int hkr_ok;
    inf_root hkr;
    inf_wstr arg1, arg2;
    inf_wstr install;
    enum phase reg_phase;
} scope;

/* ---- small helpers ---- */

static int grow_arr(void **v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    void *n = realloc(*v, nc * elem);
    if (!n)
        return -1;
    *v = n;
    *cap = nc;
    return 0;
}

static inf_wstr wstr(pctx *pc, const uint16_t *s, size_t n)
{
    uint16_t *d = inf_arena_wdup(&pc->box->arena, s, n);
    if (!d) {
        pc->oom = 1;
        return (inf_wstr){(const uint16_t *)L"", 0};
    }
    return (inf_wstr){d, n};
}

static inf_wstr wstr_s(pctx *pc, inf_str s)
{
    return wstr(pc, s.s, s.n);
}

static inf_wstr wstr_a(pctx *pc, const char *a)
{
    size_t n = strlen(a);
    uint16_t *d = inf_arena_alloc(&pc->box->arena, (n + 1) * sizeof(uint16_t));
    if (!d) {
        pc->oom = 1;
        return (inf_wstr){(const uint16_t *)L"", 0};
    }
    for (size_t i = 0; i < n; i++)
        d[i] = (unsigned char)a[i];
    d[n] = 0;
    return (inf_wstr){d, n};
}

static inf_str S(inf_wstr w)
{
    return (inf_str){w.s, w.n};
}

static void vissue(pctx *pc, inf_severity sev, int code, const inf_file *f, uint32_t lineno, const char *fmt,
                   va_list ap)
{
    char buf[1024];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(buf, sizeof buf, fmt, ap);
#pragma GCC diagnostic pop
    plan_box *b = pc->box;
    const char *fname = emu_inf_name(f);
    uint32_t h = inf_hash_mix(inf_hash_mix(lineno, (uint32_t)code), (uint32_t)(uintptr_t)fname);
    for (const char *c = buf; *c; c++)
        h = inf_hash_mix(h, (unsigned char)*c);
    for (uint32_t e = inf_imap_first(&pc->issue_map, h); e != UINT32_MAX; e = inf_imap_next(&pc->issue_map, e)) {
        const inf_issue *o = &b->issues[inf_imap_idx(&pc->issue_map, e)];
        if (o->lineno == lineno && o->code == code && o->file == fname && !strcmp(o->message, buf))
            return;
    }
    if (grow_arr((void **)&b->issues, &b->icap, b->nissues + 1, sizeof(inf_issue))) {
        pc->oom = 1;
        return;
    }
    char *m = inf_arena_strdup(&b->arena, buf);
    if (!m || inf_imap_add(&pc->issue_map, h, (uint32_t)b->nissues)) {
        pc->oom = 1;
        return;
    }
    b->issues[b->nissues++] = (inf_issue){sev, code, fname, lineno, m};
}

static void issue(pctx *pc, inf_severity sev, const inf_file *f, uint32_t lineno, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void issue(pctx *pc, inf_severity sev, const inf_file *f, uint32_t lineno, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vissue(pc, sev, 0, f, lineno, fmt, ap);
    va_end(ap);
}

/* An issue worded by the rule catalogue. */
static void issue_rule(pctx *pc, int code, const inf_file *f, uint32_t lineno, ...)
{
    const inf_rule *r = emu_inf_rule(code);
    va_list ap;
    va_start(ap, lineno);
    vissue(pc, r ? r->level_w : INF_SEV_ERROR, code, f, lineno, r ? r->format : "%s", ap);
    va_end(ap);
}

static inf_op *new_op(pctx *pc, enum phase ph, inf_op_kind kind, const scope *sc, const char *directive,
                      const inf_file *f, const inf_line *l)
{
    if (pc->nops_total >= INF_MAX_PLAN_OPS) {
        if (!pc->capped) {
            pc->capped = 1;
            issue(pc, INF_SEV_ERROR, f, l ? l->lineno : 0,
                  "the plan exceeds %u operations; the rest was not planned", INF_MAX_PLAN_OPS);
        }
        return NULL;
    }
    pc->nops_total++;
    oplist *ol = &pc->ph[ph];
    if (grow_arr((void **)&ol->v, &ol->cap, ol->n + 1, sizeof(inf_op))) {
        pc->oom = 1;
        return NULL;
    }
    inf_op *op = &ol->v[ol->n++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->context = sc->ctx;
    op->directive = directive;
    op->inf = f;
    op->line = l;
    op->lineno = l ? l->lineno : 0;
    op->file = emu_inf_name(f);
    if (l) {
        const inf_section *sec = emu_inf_section_at(f, l->section);
        if (sec != pc->name_sec) {
            pc->name_w = wstr_s(pc, sec->name);
            pc->name_sec = sec;
        }
        op->section = pc->name_w;
    } else {
        op->section = wstr(pc, NULL, 0);
    }
    op->install = sc->install;
    return op;
}

/*
 * In a package plan, has this list section already been planned for the same
 * directive and HKR target?  (Device plans repeat it, as Windows does.)
 * Records it when not.
 */
static int memo_seen(pctx *pc, const inf_section *sec, const char *directive, const scope *sc)
{
    if (!pc->package)
        return 0;
    uint32_t h = inf_hash_mix(inf_hash_mix((uint32_t)(uintptr_t)sec, (uint32_t)(uintptr_t)directive),
                              inf_hash_mix((uint32_t)sc->ctx, (uint32_t)sc->hkr));
    h = inf_hash_mix(h, inf_hash_w(sc->arg1.s, sc->arg1.n));
    h = inf_hash_mix(h, inf_hash_w(sc->arg2.s, sc->arg2.n));
    for (uint32_t e = inf_imap_first(&pc->memo, h); e != UINT32_MAX; e = inf_imap_next(&pc->memo, e)) {
        const struct memo_item *m = &pc->memo_v[inf_imap_idx(&pc->memo, e)];
        if (m->sec == sec && m->directive == directive && m->ctx == sc->ctx && m->root == sc->hkr &&
            pb_wcsnieq(m->arg1.s, m->arg1.n, sc->arg1.s, sc->arg1.n) &&
            pb_wcsnieq(m->arg2.s, m->arg2.n, sc->arg2.s, sc->arg2.n))
            return 1;
    }
    if (grow_arr((void **)&pc->memo_v, &pc->memo_cap, pc->nmemo + 1, sizeof *pc->memo_v) ||
        inf_imap_add(&pc->memo, h, (uint32_t)pc->nmemo)) {
        pc->oom = 1;
        return 1;
    }
    pc->memo_v[pc->nmemo++] = (struct memo_item){sec, directive, sc->ctx, sc->hkr, sc->arg1, sc->arg2};
    return 0;
}

/* ---- DIRID expansion ---- */

typedef struct xctx {
    pctx *pc;
    int env_form; /* REG_EXPAND_SZ: C:\Windows -> %SystemRoot% */
} xctx;

static int dirid_cb(void *c, int32_t dirid, pb_buf *out)
{
    xctx *x = c;
    inf_dirid_ctx dc = {x->pc->arch, x->pc->store_dir, x->pc->opts ? x->pc->opts->source_dir : NULL};
    pb_buf tmp = PB_BUF_INIT;
    int rc = emu_inf_dirid_path(dirid, &dc, &tmp);
    if (rc) {
        pb_buf_free(&tmp);
        return rc;
    }
    const uint16_t *w = (const uint16_t *)tmp.data;
    size_t n = tmp.len / 2;
    static const uint16_t win[] = {'C', ':', '\\', 'W', 'I', 'N', 'D', 'O', 'W', 'S'};
    if (x->env_form && n >= 10 && pb_wcsnieq(w, 10, win, 10) && (n == 10 || w[10] == '\\')) {
        static const uint16_t sr[] = {'%', 'S', 'y', 's', 't', 'e', 'm', 'R', 'o', 'o', 't', '%'};
        pb_buf_add_wcs(out, sr, 12);
        pb_buf_add_wcs(out, w + 10, n - 10);
    } else {
        pb_buf_add_wcs(out, w, n);
    }
    pb_buf_free(&tmp);
    return 0;
}

/* Field fully expanded (strkeys and DIRIDs) into a plan string. */
static inf_wstr expand(pctx *pc, const inf_file *f, const inf_field *fd, int env_form)
{
    if (!fd)
        return wstr(pc, NULL, 0);
    if (!(fd->flags & INF_FIELD_HAS_DIRID))
        return wstr_s(pc, fd->val);
    xctx x = {pc, env_form};
    pb_buf b = PB_BUF_INIT;
    emu_inf_field_expand(f, fd, dirid_cb, &x, &b);
    if (b.oom) {
        pb_buf_free(&b);
        pc->oom = 1;
        return wstr(pc, NULL, 0);
    }
    inf_wstr r = wstr(pc, (const uint16_t *)b.data, b.len / 2);
    pb_buf_free(&b);
    return r;
}

/* The Windows path of a DIRID plus a subdirectory, into b (UTF-16). */
static int dir_path(pctx *pc, int32_t dirid, inf_str subdir, pb_buf *b)
{
    inf_dirid_ctx dc = {pc->arch, pc->store_dir, pc->opts ? pc->opts->source_dir : NULL};
    int rc = emu_inf_dirid_path(dirid, &dc, b);
    if (rc)
        return rc;
    subdir = inf_str_trim(subdir);
    while (subdir.n && subdir.s[0] == '\\' && b->len) {
        subdir.s++;
        subdir.n--;
    }
    if (subdir.n) {
        if (b->len && ((const uint16_t *)b->data)[b->len / 2 - 1] != '\\')
            pb_buf_add_u16(b, '\\');
        pb_buf_add_wcs(b, subdir.s, subdir.n);
    }
    return 0;
}

/* ---- section lookup ---- */

static const inf_section *find_section(pctx *pc, const inf_file *home, inf_str name, const inf_file **where)
{
    name = inf_str_trim(name);
    const inf_section *s = inf_section_get(home, name.s, name.n);
    if (s) {
        *where = home;
        return s;
    }
    if (home != pc->main && (s = inf_section_get(pc->main, name.s, name.n))) {
        *where = pc->main;
        return s;
    }
    for (size_t i = 0; pc->opts && i < pc->opts->nincludes; i++) {
        const inf_file *g = pc->opts->includes[i];
        if (g && g != home && (s = inf_section_get(g, name.s, name.n))) {
            *where = g;
            return s;
        }
    }
    return NULL;
}

static void report_ref(pctx *pc, const inf_file *f, const inf_line *l, const char *directive, inf_str name,
                       const inf_section *target)
{
    if (pc->ref)
        pc->ref(pc->ref_ctx, f, l, directive, name, target);
}

/* Named section for a directive value; reports 1203 when it is missing. */
static const inf_section *directive_section(pctx *pc, const inf_file *f, const inf_line *l, const char *directive,
                                            inf_str name, const inf_file **where)
{
    name = inf_str_trim(name);
    if (!name.n)
        return NULL;
    const inf_section *s = find_section(pc, f, name, where);
    report_ref(pc, f, l, directive, name, s && *where == f ? s : NULL);
    if (!s)
        issue_rule(pc, 1203, f, l->lineno, inf_u8(name), directive);
    return s;
}

/* ---- AddReg / DelReg ---- */

static int root_of(inf_str r, const scope *sc, inf_root *out)
{
    r = inf_str_trim(r);
    if (inf_str_ieq(r, "HKR")) {
        if (!sc->hkr_ok)
            return -2;
        *out = sc->hkr;
    } else if (inf_str_ieq(r, "HKLM")) {
        *out = INF_ROOT_HKLM;
    } else if (inf_str_ieq(r, "HKCU")) {
        *out = INF_ROOT_HKCU;
    } else if (inf_str_ieq(r, "HKCR")) {
        *out = INF_ROOT_HKCR;
    } else if (inf_str_ieq(r, "HKU")) {
        *out = INF_ROOT_HKU;
    } else {
        return -1;
    }
    return 0;
}

/* Parse one hex byte field ("0A", "0x0a"); -1 when invalid. */
static int hex_byte(inf_str s)
{
    s = inf_str_trim(s);
    size_t i = 0;
    if (s.n >= 2 && s.s[0] == '0' && (s.s[1] == 'x' || s.s[1] == 'X'))
        i = 2;
    if (i == s.n || s.n - i > 2)
        return -1;
    int v = 0;
    for (; i < s.n; i++) {
        uint16_t c = s.s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static void put_wstr_data(pb_buf *b, inf_wstr w)
{
    for (size_t i = 0; i < w.n; i++) {
        pb_buf_addc(b, (char)(w.s[i] & 0xff));
        pb_buf_addc(b, (char)(w.s[i] >> 8));
    }
}

static void set_data(pctx *pc, inf_reg_op *r, pb_buf *b)
{
    if (b->oom) {
        pc->oom = 1;
        return;
    }
    uint8_t *d = inf_arena_alloc(&pc->box->arena, b->len ? b->len : 1);
    if (!d) {
        pc->oom = 1;
        return;
    }
    if (b->len)
        memcpy(d, b->data, b->len);
    r->data = d;
    r->data_len = b->len;
}

static void reg_line(pctx *pc, const inf_file *f, const inf_line *l, const scope *sc, int delreg)
{
    const char *dir = delreg ? "DelReg" : "AddReg";
    inf_root root;
    int rc = root_of(inf_fval(l, 0), sc, &root);
    if (rc == -1) {
        issue_rule(pc, 1224, f, l->lineno, inf_u8(inf_str_trim(inf_fval(l, 0))));
        return;
    }
    if (rc == -2) {
        issue_rule(pc, 1224, f, l->lineno, "HKR");
        return;
    }
    int64_t fl = 0;
    inf_str fs = inf_str_trim(inf_fval(l, 3));
    if (fs.n && emu_inf_parse_int(fs, &fl)) {
        issue(pc, INF_SEV_ERROR, f, l->lineno, "invalid %s flags '%s'", dir, inf_u8(fs));
        return;
    }
    uint32_t flags = (uint32_t)fl;
    inf_op *op = new_op(pc, sc->reg_phase, INF_OP_REG, sc, dir, f, l);
    if (!op)
        return;
    inf_reg_op *r = &op->u.reg;
    r->root = root;
    if (root == sc->hkr && sc->hkr_ok && inf_str_ieq(inf_str_trim(inf_fval(l, 0)), "HKR")) {
        r->root_arg1 = sc->arg1;
        r->root_arg2 = sc->arg2;
    } else {
        r->root_arg1 = r->root_arg2 = wstr(pc, NULL, 0);
    }
    r->subkey = expand(pc, f, l->nfields > 1 ? &l->fields[1] : NULL, 0);
    int has_name = l->nfields > 2;
    r->value_name = expand(pc, f, has_name ? &l->fields[2] : NULL, 0);
    r->inf_flags = flags;
    pb_buf b = PB_BUF_INIT;

    if (delreg) {
        if ((flags & INF_DELREG_MULTI_SZ_DELSTRING) == INF_DELREG_MULTI_SZ_DELSTRING) {
            r->action = INF_REGOP_DELETE_STRING;
            r->type = INF_REG_MULTI_SZ;
            /* The string to remove, as a one-string REG_MULTI_SZ list. */
            put_wstr_data(&b, expand(pc, f, l->nfields > 4 ? &l->fields[4] : NULL, 0));
            for (int k = 0; k < 4; k++)
                pb_buf_addc(&b, 0);
            set_data(pc, r, &b);
        } else if ((flags & INF_ADDREG_KEYONLY_COMMON) || !has_name) {
            r->action = INF_REGOP_DELETE_KEY;
        } else {
            r->action = INF_REGOP_DELETE_VALUE;
        }
        pb_buf_free(&b);
        return;
    }
    if (flags & (INF_ADDREG_KEYONLY | INF_ADDREG_KEYONLY_COMMON)) {
        r->action = INF_REGOP_CREATE_KEY;
    } else if (flags & INF_ADDREG_DELVAL) {
        r->action = r->value_name.n ? INF_REGOP_DELETE_VALUE : INF_REGOP_DELETE_KEY;
    } else if (!has_name) {
        r->action = INF_REGOP_CREATE_KEY;
    } else {
        r->action = INF_REGOP_SET_VALUE;
    }
    if (flags & INF_ADDREG_64BITKEY)
        r->exec_flags |= INF_REGF_64BIT;
    if (flags & INF_ADDREG_32BITKEY)
        r->exec_flags |= INF_REGF_32BIT;
    if (r->action != INF_REGOP_SET_VALUE) {
        pb_buf_free(&b);
        return;
    }
    if (flags & INF_ADDREG_NOCLOBBER)
        r->exec_flags |= INF_REGF_NOCLOBBER;
    if (flags & INF_ADDREG_OVERWRITEONLY)
        r->exec_flags |= INF_REGF_OVERWRITEONLY;

    uint32_t tm = flags & INF_ADDREG_TYPE_MASK;
    uint32_t nvals = l->nfields > 4 ? l->nfields - 4 : 0;
    const inf_field *vals = l->nfields > 4 ? l->fields + 4 : NULL;
    switch (tm) {
    case INF_ADDREG_TYPE_SZ:
    case INF_ADDREG_TYPE_EXPAND_SZ:
        r->type = tm == INF_ADDREG_TYPE_SZ ? INF_REG_SZ : INF_REG_EXPAND_SZ;
        put_wstr_data(&b, expand(pc, f, nvals ? &vals[0] : NULL, tm == INF_ADDREG_TYPE_EXPAND_SZ));
        pb_buf_addc(&b, 0);
        pb_buf_addc(&b, 0);
        break;
    case INF_ADDREG_TYPE_MULTI_SZ:
        r->type = INF_REG_MULTI_SZ;
        for (uint32_t i = 0; i < nvals; i++) {
            inf_wstr w = expand(pc, f, &vals[i], 0);
            if (!w.n)
                continue;
            put_wstr_data(&b, w);
            pb_buf_addc(&b, 0);
            pb_buf_addc(&b, 0);
        }
        pb_buf_addc(&b, 0);
        pb_buf_addc(&b, 0);
        break;
    case INF_ADDREG_TYPE_DWORD:
        r->type = INF_REG_DWORD;
        if (nvals <= 1) {
            int64_t v = 0;
            inf_str vs = nvals ? inf_str_trim(vals[0].val) : INF_STR_EMPTY;
            if (vs.n && (emu_inf_parse_int(vs, &v) || v > 0xFFFFFFFFll || v < -0x80000000ll)) {
                issue(pc, INF_SEV_ERROR, f, l->lineno, "invalid REG_DWORD value '%s'", inf_u8(vs));
                pc->ph[sc->reg_phase].n--;
                pc->nops_total--;
                pb_buf_free(&b);
                return;
            }
            uint32_t u = (uint32_t)v;
            for (int k = 0; k < 4; k++)
                pb_buf_addc(&b, (char)((u >> (8 * k)) & 0xff));
            break;
        }
        goto bytes;
    default:
        if (!(tm & 1) || tm == 0x00070001u) {
            issue(pc, INF_SEV_ERROR, f, l->lineno, "invalid AddReg type flags 0x%08x", flags);
            pc->ph[sc->reg_phase].n--;
            pc->nops_total--;
            pb_buf_free(&b);
            return;
        }
        r->type = tm == INF_ADDREG_TYPE_BINARY ? INF_REG_BINARY : tm == INF_ADDREG_TYPE_NONE ? INF_REG_NONE : tm >> 16;
    bytes:
        for (uint32_t i = 0; i < nvals; i++) {
            inf_str vs = inf_str_trim(vals[i].val);
            if (!vs.n && nvals == 1)
                break;
            int v = hex_byte(vs);
            if (v < 0) {
                issue(pc, INF_SEV_ERROR, f, l->lineno, "invalid binary byte '%s' (hex bytes expected)", inf_u8(vs));
                pc->ph[sc->reg_phase].n--;
                pc->nops_total--;
                pb_buf_free(&b);
                return;
            }
            pb_buf_addc(&b, (char)v);
        }
        break;
    }
    if (flags & INF_ADDREG_APPEND) {
        if (r->type == INF_REG_MULTI_SZ)
            r->exec_flags |= INF_REGF_APPEND;
        else
            issue(pc, INF_SEV_WARNING, f, l->lineno, "FLG_ADDREG_APPEND applies to REG_MULTI_SZ only; ignored");
    }
    set_data(pc, r, &b);
    pb_buf_free(&b);
}

static void reg_sections(pctx *pc, const inf_file *f, const inf_line *l, const scope *sc, int delreg)
{
    for (uint32_t k = 0; k < l->nfields; k++) {
        const inf_file *where = f;
        const char *dir = delreg ? "DelReg" : "AddReg";
        const inf_section *s = directive_section(pc, f, l, dir, l->fields[k].val, &where);
        if (!s || memo_seen(pc, s, dir, sc))
            continue;
        for (uint32_t i = 0; i < s->nlines && !pc->oom; i++)
            reg_line(pc, where, &s->lines[i], sc, delreg);
    }
}

/* Append one SCM-written service value. */
static void scm_value(pctx *pc, const scope *sc, const inf_file *f, const inf_line *src, inf_wstr svc,
                      const char *name, uint32_t type, const void *data, size_t len, int noclobber)
{
    inf_op *op = new_op(pc, PH_SERVICES, INF_OP_REG, sc, "SCM", f, src);
    if (!op)
        return;
    inf_reg_op *r = &op->u.reg;
    r->action = INF_REGOP_SET_VALUE;
    r->root = INF_ROOT_SERVICE;
    r->root_arg1 = svc;
    r->root_arg2 = wstr(pc, NULL, 0);
    r->subkey = wstr(pc, NULL, 0);
    r->value_name = wstr_a(pc, name);
    r->type = type;
    r->exec_flags = INF_REGF_SCM | (noclobber ? INF_REGF_NOCLOBBER : 0);
    uint8_t *d = inf_arena_alloc(&pc->box->arena, len ? len : 1);
    if (!d) {
        pc->oom = 1;
        return;
    }
    if (len)
        memcpy(d, data, len);
    r->data = d;
    r->data_len = len;
}

static void scm_dword(pctx *pc, const scope *sc, const inf_file *f, const inf_line *src, inf_wstr svc,
                      const char *name, uint32_t v, int noclobber)
{
    uint8_t d[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    scm_value(pc, sc, f, src, svc, name, INF_REG_DWORD, d, 4, noclobber);
}

static void scm_string(pctx *pc, const scope *sc, const inf_file *f, const inf_line *src, inf_wstr svc,
                       const char *name, uint32_t type, inf_wstr s, int noclobber)
{
    pb_buf b = PB_BUF_INIT;
    put_wstr_data(&b, s);
    pb_buf_addc(&b, 0);
    pb_buf_addc(&b, 0);
    if (b.oom)
        pc->oom = 1;
    else
        scm_value(pc, sc, f, src, svc, name, type, b.data, b.len, noclobber);
    pb_buf_free(&b);
}

/* ---- files ---- */

static uint32_t key_hash(inf_str key)
{
    key = inf_str_trim(key);
    return inf_hash_w(key.s, key.n);
}

/* The line of a section whose key equals key (case-insensitive), through a per-section index. */
static const inf_line *find_line_by_key(pctx *pc, const inf_section *s, inf_str key)
{
    if (!s)
        return NULL;
    key = inf_str_trim(key);
    if (s->nlines <= 16) { /* small sections: a scan is cheaper than an index */
        for (uint32_t i = 0; i < s->nlines; i++) {
            const inf_line *l = &s->lines[i];
            if (l->key && inf_str_ieq_str(inf_str_trim(l->key->val), key))
                return l;
        }
        return NULL;
    }
    struct keyidx *ki = NULL;
    for (size_t i = 0; i < pc->nkidx; i++)
        if (pc->kidx[i].sec == s)
            ki = &pc->kidx[i];
    if (!ki) {
        if (grow_arr((void **)&pc->kidx, &pc->kcap, pc->nkidx + 1, sizeof *pc->kidx)) {
            pc->oom = 1;
            return NULL;
        }
        ki = &pc->kidx[pc->nkidx++];
        memset(ki, 0, sizeof *ki);
        ki->sec = s;
        for (uint32_t i = 0; i < s->nlines; i++) {
            const inf_line *l = &s->lines[i];
            if (!l->key)
                continue;
            uint32_t h = key_hash(l->key->val);
            int dup = 0;
            for (uint32_t e = inf_imap_first(&ki->map, h); e != UINT32_MAX && !dup; e = inf_imap_next(&ki->map, e))
                dup = inf_str_ieq_str(inf_str_trim(s->lines[inf_imap_idx(&ki->map, e)].key->val), inf_str_trim(l->key->val));
            if (!dup && inf_imap_add(&ki->map, h, i)) {
                pc->oom = 1;
                return NULL;
            }
        }
    }
    uint32_t h = inf_hash_w(key.s, key.n);
    for (uint32_t e = inf_imap_first(&ki->map, h); e != UINT32_MAX; e = inf_imap_next(&ki->map, e)) {
        const inf_line *l = &s->lines[inf_imap_idx(&ki->map, e)];
        if (inf_str_ieq_str(inf_str_trim(l->key->val), key))
            return l;
    }
    return NULL;
}

static const inf_section *arch_section(const inf_file *f, const char *base, inf_arch arch)
{
    char name[64];
    snprintf(name, sizeof name, "%s.%s", base, emu_inf_arch_name(arch));
    return emu_inf_section(f, name);
}

/* Append a package-relative path piece to b, normalising separators. */
static void add_rel(pb_buf *b, inf_str piece)
{
    piece = inf_str_trim(piece);
    size_t i = 0;
    while (i < piece.n) {
        while (i < piece.n && (piece.s[i] == '\\' || piece.s[i] == '/'))
            i++;
        size_t j = i;
        while (j < piece.n && piece.s[j] != '\\' && piece.s[j] != '/')
            j++;
        if (j > i && !(j - i == 1 && piece.s[i] == '.')) {
            if (b->len)
                pb_buf_add_u16(b, '\\');
            pb_buf_add_wcs(b, piece.s + i, j - i);
        }
        i = j;
    }
}

/* SourceDisksFiles[.arch] / SourceDisksNames[.arch] for a file name. */
static int source_of(pctx *pc, const inf_file *f, inf_str name, int32_t *disk, pb_buf *subdir, uint32_t *lineno)
{
    const inf_line *l = find_line_by_key(pc, arch_section(f, "SourceDisksFiles", pc->arch), name);
    if (!l)
        l = find_line_by_key(pc, emu_inf_section(f, "SourceDisksFiles"), name);
    if (!l)
        return -1;
    if (lineno)
        *lineno = l->lineno;
    int64_t d = -1;
    inf_str ds = inf_str_trim(inf_fval(l, 0));
    if (emu_inf_parse_int(ds, &d) || d < 0 || d > INT32_MAX)
        d = -1;
    *disk = (int32_t)d;
    const inf_line *nl = NULL;
    if (ds.n) {
        nl = find_line_by_key(pc, arch_section(f, "SourceDisksNames", pc->arch), ds);
        if (!nl)
            nl = find_line_by_key(pc, emu_inf_section(f, "SourceDisksNames"), ds);
    }
    if (nl)
        add_rel(subdir, inf_fval(nl, 3));
    add_rel(subdir, inf_fval(l, 1));
    return 0;
}

/* DestinationDirs entry for a file-list section (NULL name: DefaultDestDir). */
static int dest_of(pctx *pc, const inf_file *f, const inf_line *ref, inf_str list, int32_t *dirid, inf_str *subdir)
{
    const inf_line *l = NULL;
    if (list.n)
        l = find_line_by_key(pc, emu_inf_section(f, "DestinationDirs"), list);
    static const uint16_t ddd[] = {'D', 'e', 'f', 'a', 'u', 'l', 't', 'D', 'e', 's', 't', 'D', 'i', 'r'};
    inf_str dk = {ddd, 14};
    if (!l) {
        l = find_line_by_key(pc, emu_inf_section(pc->main, "DestinationDirs"), dk);
        if (l)
            f = pc->main;
    }
    if (!l)
        l = find_line_by_key(pc, emu_inf_section(f, "DestinationDirs"), dk);
    if (!l) {
        if (list.n)
            issue_rule(pc, 1275, f, ref->lineno, inf_u8(list));
        else
            issue_rule(pc, 1275, f, ref->lineno, "@file");
        *dirid = 11;
        *subdir = INF_STR_EMPTY;
        return 0;
    }
    int64_t d;
    inf_str ds = inf_str_trim(inf_fval(l, 0));
    if (emu_inf_parse_int(ds, &d) || d < INT32_MIN || d > INT32_MAX) {
        issue(pc, INF_SEV_ERROR, f, l->lineno, "DestinationDirs DIRID '%s' is not a number", inf_u8(ds));
        return -1;
    }
    *dirid = (int32_t)d;
    *subdir = inf_str_trim(inf_fval(l, 1));
    return 0;
}

static void file_op(pctx *pc, const inf_file *f, const inf_line *l, const scope *sc, inf_op_kind kind,
                    const char *directive, inf_str list, inf_str dest, inf_str src, uint32_t flags,
                    const inf_line *ref)
{
    int32_t dirid;
    inf_str subdir;
    if (dest_of(pc, f, ref, list, &dirid, &subdir))
        return;
    inf_op *op = new_op(pc, PH_FILES, kind, sc, directive, f, l);
    if (!op)
        return;
    inf_file_op *fo = &op->u.file;
    fo->dest_dirid = dirid;
    fo->dest_subdir = wstr_s(pc, subdir);
    fo->dest_name = wstr_s(pc, inf_str_trim(dest));
    fo->src_name = wstr_s(pc, src.n ? inf_str_trim(src) : inf_str_trim(dest));
    fo->flags = flags;
    fo->list_section = wstr_s(pc, list);
    fo->disk_id = -1;
    pb_buf b = PB_BUF_INIT;
    if (dir_path(pc, dirid, subdir, &b) == 0) {
        if (b.len && ((const uint16_t *)b.data)[b.len / 2 - 1] != '\\')
            pb_buf_add_u16(&b, '\\');
        pb_buf_add_wcs(&b, fo->dest_name.s, fo->dest_name.n);
        fo->dest_path = wstr(pc, (const uint16_t *)b.data, b.len / 2);
    } else {
        fo->dest_path = wstr(pc, NULL, 0);
        if (kind == INF_OP_COPY)
            issue(pc, INF_SEV_WARNING, f, l->lineno, "DIRID %d has no path on this machine", (int)dirid);
    }
    pb_buf_free(&b);
    if (list.n) {
        uint16_t nm[INF_MAX_SECTION_NAME + 16];
        if (list.n + 9 <= sizeof nm / sizeof nm[0]) {
            inf_wcopy(nm, list.s, list.n);
            static const char sec[] = ".security";
            for (size_t i = 0; i < 9; i++)
                nm[list.n + i] = (uint16_t)sec[i];
            fo->has_security = inf_section_get(f, nm, list.n + 9) != NULL;
        }
    }
    if (kind == INF_OP_COPY) {
        pb_buf sb = PB_BUF_INIT;
        int32_t disk = -1;
        if (source_of(pc, f, S(fo->src_name), &disk, &sb, NULL) == 0) {
            fo->disk_id = disk;
        } else if (f == pc->main) {
            issue_rule(pc, 1230, f, l->lineno, inf_u8(S(fo->src_name)));
        }
        fo->src_subdir = wstr(pc, (const uint16_t *)sb.data, sb.len / 2);
        if (sb.oom)
            pc->oom = 1;
        pb_buf_free(&sb);
    } else {
        fo->src_subdir = wstr(pc, NULL, 0);
    }
}

static void file_directive(pctx *pc, const inf_file *f, const inf_line *l, const scope *sc, inf_op_kind kind,
                           const char *directive)
{
    for (uint32_t k = 0; k < l->nfields; k++) {
        inf_str v = inf_str_trim(l->fields[k].val);
        if (!v.n)
            continue;
        if (v.s[0] == '@' && kind == INF_OP_COPY) {
            inf_str name = inf_str_trim((inf_str){v.s + 1, v.n - 1});
            file_op(pc, f, l, sc, kind, directive, INF_STR_EMPTY, name, name, 0, l);
            continue;
        }
        const inf_file *where = f;
        const inf_section *s = directive_section(pc, f, l, directive, v, &where);
        if (!s || memo_seen(pc, s, directive, sc))
            continue;
        for (uint32_t i = 0; i < s->nlines && !pc->oom; i++) {
            const inf_line *fl = &s->lines[i];
            /* A list line is positional; a key (rare) is the first name. */
            inf_str names[4] = {{0}};
            uint32_t n = 0;
            if (fl->key)
                names[n++] = fl->key->val;
            for (uint32_t j = 0; j < fl->nfields && n < 4; j++)
                names[n++] = fl->fields[j].val;
            int64_t flg = 0;
            if (n > 3 && inf_str_trim(names[3]).n && emu_inf_parse_int(names[3], &flg)) {
                issue(pc, INF_SEV_ERROR, where, fl->lineno, "invalid %s flags '%s'", directive, inf_u8(names[3]));
                flg = 0;
            }
            if (!inf_str_trim(names[0]).n)
                continue;
            file_op(pc, where, fl, sc, kind, directive, s->name, names[0], n > 1 ? names[1] : INF_STR_EMPTY,
                    (uint32_t)flg, l);
        }
    }
}

/* ---- services, interfaces, filters ---- */

static int is_kernel_type(uint32_t t)
{
    return (t & 0x0f) != 0 && (t & 0x30) == 0; /* SERVICE_KERNEL_DRIVER, FILE_SYSTEM_DRIVER, recognizer */
}

static inf_wstr image_path(pctx *pc, const inf_service_op *s)
{
    pb_buf b = PB_BUF_INIT;
    if (s->binary_dirid != -2) {
        if (dir_path(pc, s->binary_dirid, S(s->binary_rel), &b)) {
            pb_buf_free(&b);
            return wstr_s(pc, S(s->binary));
        }
    } else {
        pb_buf_add_wcs(&b, s->binary.s, s->binary.n);
    }
    const uint16_t *w = (const uint16_t *)b.data;
    size_t n = b.len / 2;
    inf_wstr r;
    static const uint16_t win[] = {'C', ':', '\\', 'W', 'I', 'N', 'D', 'O', 'W', 'S', '\\'};
    if (s->has_type && is_kernel_type(s->service_type) && n > 11 && pb_wcsnieq(w, 11, win, 11)) {
        pb_buf o = PB_BUF_INIT;
        static const uint16_t sr[] = {'\\', 'S', 'y', 's', 't', 'e', 'm', 'R', 'o', 'o', 't', '\\'};
        pb_buf_add_wcs(&o, sr, 12);
        pb_buf_add_wcs(&o, w + 11, n - 11);
        r = wstr(pc, (const uint16_t *)o.data, o.len / 2);
        pb_buf_free(&o);
    } else if (s->has_type && is_kernel_type(s->service_type) && n >= 3 && w[1] == ':' && w[2] == '\\') {
        pb_buf o = PB_BUF_INIT;
        static const uint16_t qq[] = {'\\', '?', '?', '\\'};
        pb_buf_add_wcs(&o, qq, 4);
        pb_buf_add_wcs(&o, w, n);
        r = wstr(pc, (const uint16_t *)o.data, o.len / 2);
        pb_buf_free(&o);
    } else {
        r = wstr(pc, w, n);
    }
    if (b.oom)
        pc->oom = 1;
    pb_buf_free(&b);
    return r;
}

static void do_section(pctx *pc, const inf_file *f, const inf_section *sec, const scope *sc, int depth);

static uint32_t key_u32(const inf_line *l, int *has, pctx *pc, const inf_file *f)
{
    int64_t v;
    inf_str s = inf_str_trim(inf_fval(l, 0));
    if (emu_inf_parse_int(s, &v) || v < 0 || v > 0xFFFFFFFFll) {
        issue(pc, INF_SEV_ERROR, f, l->lineno, "invalid number '%s' for %s", inf_u8(s), inf_u8(l->key->val));
        return 0;
    }
    *has = 1;
    return (uint32_t)v;
}

static void add_service(pctx *pc, const inf_file *f, const inf_line *l, const scope *sc)
{
    inf_str name = inf_str_trim(inf_fval(l, 0));
    int64_t fl = 0;
    inf_str fs = inf_str_trim(inf_fval(l, 1));
    if (fs.n && emu_inf_parse_int(fs, &fl)) {
        issue(pc, INF_SEV_ERROR, f, l->lineno, "invalid AddService flags '%s'", inf_u8(fs));
        fl = 0;
    }
    inf_op *op = new_op(pc, PH_SERVICES, INF_OP_SERVICE, sc, "AddService", f, l);
    if (!op)
        return;
    size_t opi = pc->ph[PH_SERVICES].n - 1;
    inf_service_op sv;
    memset(&sv, 0, sizeof sv);
    sv.name = wstr_s(pc, name);
    sv.flags = (uint32_t)fl;
    sv.binary_dirid = -2;
    inf_wstr empty = wstr(pc, NULL, 0);
    sv.install_section = sv.binary = sv.binary_rel = sv.image_path = empty;
    sv.display_name = sv.description = sv.load_order_group = sv.start_name = empty;
    sv.eventlog_section = sv.eventlog_type = sv.eventlog_name = empty;
    inf_str inst = inf_str_trim(inf_fval(l, 2));
    const inf_file *where = f;
    const inf_section *is = inst.n ? directive_section(pc, f, l, "AddService", inst, &where) : NULL;
    const inf_line *binline = NULL;
    if (is) {
        sv.install_section = wstr_s(pc, is->name);
        for (uint32_t i = 0; i < is->nlines; i++) {
            const inf_line *k = &is->lines[i];
            if (!k->key)
                continue;
            if (inf_line_key_is(k, "ServiceType"))
                sv.service_type = key_u32(k, &sv.has_type, pc, where);
            else if (inf_line_key_is(k, "StartType"))
                sv.start_type = key_u32(k, &sv.has_start, pc, where);
            else if (inf_line_key_is(k, "ErrorControl"))
                sv.error_control = key_u32(k, &sv.has_error, pc, where);
            else if (inf_line_key_is(k, "ServiceBinary")) {
                inf_str v = inf_str_trim(inf_fval(k, 0));
                sv.binary = wstr_s(pc, v);
                int32_t d;
                size_t used = inf_leading_dirid(v, &d);
                if (used && (used == v.n || v.s[used] == '\\')) {
                    sv.binary_dirid = d == -1 ? 65535 : d;
                    size_t skip = used < v.n ? used + 1 : used;
                    sv.binary_rel = wstr(pc, v.s + skip, v.n - skip);
                } else {
                    sv.binary_rel = sv.binary;
                }
                binline = k;
                sv.binary_lineno = k->lineno;
            } else if (inf_line_key_is(k, "DisplayName"))
                sv.display_name = wstr_s(pc, inf_fval(k, 0));
            else if (inf_line_key_is(k, "Description"))
                sv.description = wstr_s(pc, inf_fval(k, 0));
            else if (inf_line_key_is(k, "LoadOrderGroup"))
                sv.load_order_group = wstr_s(pc, inf_str_trim(inf_fval(k, 0)));
            else if (inf_line_key_is(k, "StartName"))
                sv.start_name = wstr_s(pc, inf_str_trim(inf_fval(k, 0)));
            else if (inf_line_key_is(k, "Dependencies")) {
                inf_wstr *deps = inf_arena_alloc(&pc->box->arena, (k->nfields + sv.ndependencies + 1) * sizeof *deps);
                if (!deps) {
                    pc->oom = 1;
                    return;
                }
                if (sv.ndependencies)
                    memcpy(deps, sv.dependencies, sv.ndependencies * sizeof *deps);
                for (uint32_t j = 0; j < k->nfields; j++) {
                    inf_str d = inf_str_trim(k->fields[j].val);
                    if (d.n)
                        deps[sv.ndependencies++] = wstr_s(pc, d);
                }
                sv.dependencies = deps;
            }
        }
        if (binline)
            sv.image_path = image_path(pc, &sv);
    }
    inf_str el = inf_str_trim(inf_fval(l, 3));
    if (el.n) {
        sv.eventlog_section = wstr_s(pc, el);
        inf_str t = inf_str_trim(inf_fval(l, 4)), e = inf_str_trim(inf_fval(l, 5));
        sv.eventlog_type = t.n ? wstr_s(pc, t) : wstr_a(pc, "System");
        sv.eventlog_name = e.n ? wstr_s(pc, e) : sv.name;
    }
    pc->ph[PH_SERVICES].v[opi].u.service = sv;
    if (pc->oom || !name.n)
        return;

    /* The values the service control manager writes for CreateService. */
    uint32_t f8 = sv.flags;
    if (sv.has_type)
        scm_dword(pc, sc, f, l, sv.name, "Type", sv.service_type, 0);
    if (sv.has_start)
        scm_dword(pc, sc, f, l, sv.name, "Start", sv.start_type, f8 & INF_SVC_NOCLOBBER_STARTTYPE);
    if (sv.has_error)
        scm_dword(pc, sc, f, l, sv.name, "ErrorControl", sv.error_control, f8 & INF_SVC_NOCLOBBER_ERRORCONTROL);
    if (binline)
        scm_string(pc, sc, where, binline, sv.name, "ImagePath", INF_REG_EXPAND_SZ, sv.image_path, 0);
    if (sv.display_name.n)
        scm_string(pc, sc, f, l, sv.name, "DisplayName", INF_REG_SZ, sv.display_name,
                   f8 & INF_SVC_NOCLOBBER_DISPLAYNAME);
    if (sv.load_order_group.n)
        scm_string(pc, sc, f, l, sv.name, "Group", INF_REG_SZ, sv.load_order_group,
                   f8 & INF_SVC_NOCLOBBER_LOADORDERGROUP);
    if (sv.ndependencies) {
        pb_buf svc = PB_BUF_INIT, grp = PB_BUF_INIT;
        for (size_t i = 0; i < sv.ndependencies; i++) {
            inf_wstr d = sv.dependencies[i];
            pb_buf *t = d.n && d.s[0] == '+' ? &grp : &svc;
            inf_wstr nm = d.n && d.s[0] == '+' ? (inf_wstr){d.s + 1, d.n - 1} : d;
            put_wstr_data(t, nm);
            pb_buf_addc(t, 0);
            pb_buf_addc(t, 0);
        }
        if (svc.len) {
            pb_buf_addc(&svc, 0);
            pb_buf_addc(&svc, 0);
            scm_value(pc, sc, f, l, sv.name, "DependOnService", INF_REG_MULTI_SZ, svc.data, svc.len,
                      f8 & INF_SVC_NOCLOBBER_DEPENDENCIES);
        }
        if (grp.len) {
            pb_buf_addc(&grp, 0);
            pb_buf_addc(&grp, 0);
            scm_value(pc, sc, f, l, sv.name, "DependOnGroup", INF_REG_MULTI_SZ, grp.data, grp.len,
                      f8 & INF_SVC_NOCLOBBER_DEPENDENCIES);
        }
        if (svc.oom || grp.oom)
            pc->oom = 1;
        pb_buf_free(&svc);
        pb_buf_free(&grp);
    }
    if (sv.start_name.n)
        scm_string(pc, sc, f, l, sv.name, "ObjectName", INF_REG_SZ, sv.start_name, 0);
    if (sv.description.n)
        scm_string(pc, sc, f, l, sv.name, "Description", INF_REG_SZ, sv.description,
                   f8 & INF_SVC_NOCLOBBER_DESCRIPTION);

    if (is) {
        scope ss = {INF_CTX_SERVICE_INSTALL, 1, INF_ROOT_SERVICE, sv.name, wstr(pc, NULL, 0), sc->install,
                    PH_SERVICES};
        do_section(pc, where, is, &ss, 1);
    }
    if (el.n) {
        const inf_file *ew = f;
        const inf_section *es = directive_section(pc, f, l, "AddService", el, &ew);
        if (es) {
            scope es_sc = {INF_CTX_EVENTLOG, 1, INF_ROOT_EVENTLOG, sv.eventlog_type, sv.eventlog_name,
                           sc->install, PH_SERVICES};
            do_section(pc, ew, es, &es_sc, 1);
        }
    }
}

static void del_service(pctx *pc, const inf_file *f, const inf_line *l, const scope *sc)
{
    inf_op *op = new_op(pc, PH_SERVICES, INF_OP_DELETE_SERVICE, sc, "DelService", f, l);
    if (!op)
        return;
    inf_service_op *sv = &op->u.service;
    inf_wstr empty = wstr(pc, NULL, 0);
    sv->name = wstr_s(pc, inf_str_trim(inf_fval(l, 0)));
    int64_t fl = 0;
    if (emu_inf_parse_int(inf_fval(l, 1), &fl))
        fl = 0;
    sv->flags = (uint32_t)fl;
    sv->binary_dirid = -2;
    sv->install_section = sv->binary = sv->binary_rel = sv->image_path = empty;
    sv->display_name = sv->description = sv->load_order_group = sv->start_name = empty;
    sv->eventlog_section = sv->eventlog_type = sv->eventlog_name = empty;
}

static void add_interface(pctx *pc, const inf_file *f, const inf_line *l, const scope *sc)
{
    inf_op *op = new_op(pc, PH_IFACES, INF_OP_INTERFACE, sc, "AddInterface", f, l);
    if (!op)
        return;
    size_t opi = pc->ph[PH_IFACES].n - 1;
    inf_interface_op io;
    io.guid = wstr_s(pc, inf_str_trim(inf_fval(l, 0)));
    io.reference = wstr_s(pc, inf_str_trim(inf_fval(l, 1)));
    inf_str secn = inf_str_trim(inf_fval(l, 2));
    io.section = wstr_s(pc, secn);
    int64_t fl = 0;
    if (inf_str_trim(inf_fval(l, 3)).n && emu_inf_parse_int(inf_fval(l, 3), &fl))
        issue(pc, INF_SEV_ERROR, f, l->lineno, "invalid AddInterface flags '%s'", inf_u8(inf_fval(l, 3)));
    io.flags = (uint32_t)fl;
    pc->ph[PH_IFACES].v[opi].u.iface = io;
    if (secn.n) {
        const inf_file *where = f;
        const inf_section *s = directive_section(pc, f, l, "AddInterface", secn, &where);
        if (s) {
            scope is = {INF_CTX_ADD_INTERFACE, 1, INF_ROOT_INTERFACE, io.guid, io.reference, sc->install, PH_IFACES};
            do_section(pc, where, s, &is, 1);
        }
    }
}

static void add_filter(pctx *pc, const inf_file *f, const inf_line *l, const scope *sc)
{
    inf_op *op = new_op(pc, PH_FILTERS, INF_OP_FILTER, sc, "AddFilter", f, l);
    if (!op)
        return;
    size_t opi = pc->ph[PH_FILTERS].n - 1;
    inf_filter_op fo;
    fo.name = wstr_s(pc, inf_str_trim(inf_fval(l, 0)));
    int64_t fl = 0;
    if (inf_str_trim(inf_fval(l, 1)).n && emu_inf_parse_int(inf_fval(l, 1), &fl))
        issue(pc, INF_SEV_ERROR, f, l->lineno, "invalid AddFilter flags '%s'", inf_u8(inf_fval(l, 1)));
    fo.flags = (uint32_t)fl;
    inf_str secn = inf_str_trim(inf_fval(l, 2));
    fo.section = wstr_s(pc, secn);
    fo.level = fo.position = wstr(pc, NULL, 0);
    const inf_file *where = f;
    const inf_section *s = secn.n ? directive_section(pc, f, l, "AddFilter", secn, &where) : NULL;
    if (s) {
        const inf_line *lv = emu_inf_find_key(s, "FilterLevel");
        const inf_line *ps = emu_inf_find_key(s, "FilterPosition");
        if (lv)
            fo.level = wstr_s(pc, inf_str_trim(inf_fval(lv, 0)));
        if (ps)
            fo.position = wstr_s(pc, inf_str_trim(inf_fval(ps, 0)));
        if (lv && ps)
            issue(pc, INF_SEV_ERROR, where, s->header_lines[0],
                  "a filter-install-section sets FilterLevel or FilterPosition, not both");
    }
    pc->ph[PH_FILTERS].v[opi].u.filter = fo;
}

/* ---- install sections ---- */

static int include_available(pctx *pc, inf_str name)
{
    for (size_t i = 0; pc->opts && i < pc->opts->nincludes; i++) {
        const inf_file *g = pc->opts->includes[i];
        if (g && inf_str_ieq(name, emu_inf_basename(g)))
            return 1;
    }
    return 0;
}

static void do_section(pctx *pc, const inf_file *f, const inf_section *sec, const scope *sc, int depth)
{
    if (depth > 8 || pc->oom)
        return;
    /* Include / Needs first. */
    int missing_include = 0;
    for (uint32_t i = 0; i < sec->nlines; i++) {
        const inf_line *l = &sec->lines[i];
        if (!inf_line_key_is(l, "Include"))
            continue;
        for (uint32_t k = 0; k < l->nfields; k++) {
            inf_str nm = inf_str_trim(l->fields[k].val);
            if (!nm.n || include_available(pc, nm))
                continue;
            missing_include = 1;
            int seen = 0;
            for (int w = 0; w < pc->nwarned; w++)
                if (inf_str_ieq_str(pc->warned[w], nm))
                    seen = 1;
            if (!seen) {
                if (pc->nwarned < 32)
                    pc->warned[pc->nwarned++] = nm;
                issue(pc, INF_SEV_WARNING, f, l->lineno, "system INF '%s' is not available; its sections were skipped",
                      inf_u8(nm));
            }
        }
    }
    for (uint32_t i = 0; i < sec->nlines; i++) {
        const inf_line *l = &sec->lines[i];
        if (!inf_line_key_is(l, "Needs"))
            continue;
        for (uint32_t k = 0; k < l->nfields; k++) {
            inf_str nm = inf_str_trim(l->fields[k].val);
            if (!nm.n)
                continue;
            const inf_file *where = f;
            const inf_section *s = find_section(pc, f, nm, &where);
            report_ref(pc, f, l, "Needs", nm, s && where == f ? s : NULL);
            if (s && s != sec)
                do_section(pc, where, s, sc, depth + 1);
            else if (!s && !missing_include)
                issue_rule(pc, 1203, f, l->lineno, inf_u8(nm), "Needs");
        }
    }
    static const struct {
        const char *key;
        inf_op_kind kind;
    } filedirs[] = {{"CopyFiles", INF_OP_COPY}, {"RenFiles", INF_OP_RENAME_FILE}, {"DelFiles", INF_OP_DELETE_FILE}};
    if (sc->ctx != INF_CTX_SERVICE_INSTALL && sc->ctx != INF_CTX_EVENTLOG)
        for (size_t d = 0; d < 3; d++)
            for (uint32_t i = 0; i < sec->nlines && !pc->oom; i++)
                if (inf_line_key_is(&sec->lines[i], filedirs[d].key))
                    file_directive(pc, f, &sec->lines[i], sc, filedirs[d].kind, filedirs[d].key);
    for (uint32_t i = 0; i < sec->nlines && !pc->oom; i++)
        if (inf_line_key_is(&sec->lines[i], "DelReg"))
            reg_sections(pc, f, &sec->lines[i], sc, 1);
    for (uint32_t i = 0; i < sec->nlines && !pc->oom; i++)
        if (inf_line_key_is(&sec->lines[i], "AddReg"))
            reg_sections(pc, f, &sec->lines[i], sc, 0);
    for (uint32_t i = 0; i < sec->nlines && !pc->oom; i++) {
        const inf_line *l = &sec->lines[i];
        if (sc->ctx == INF_CTX_SERVICES) {
            if (inf_line_key_is(l, "DelService"))
                del_service(pc, f, l, sc);
        }
    }
    for (uint32_t i = 0; i < sec->nlines && !pc->oom; i++) {
        const inf_line *l = &sec->lines[i];
        if (sc->ctx == INF_CTX_SERVICES && inf_line_key_is(l, "AddService"))
            add_service(pc, f, l, sc);
        else if (sc->ctx == INF_CTX_INTERFACES && inf_line_key_is(l, "AddInterface"))
            add_interface(pc, f, l, sc);
        else if (sc->ctx == INF_CTX_FILTERS && inf_line_key_is(l, "AddFilter"))
            add_filter(pc, f, l, sc);
        else if (inf_line_key_is(l, "BitReg"))
            issue(pc, INF_SEV_WARNING, f, l->lineno, "BitReg is not planned (legacy directive)");
    }
}

/* "<name>.<suffix>" lookup. */
static const inf_section *suffixed(const inf_file *f, inf_str name, const char *suffix)
{
    uint16_t buf[INF_MAX_SECTION_NAME + 32];
    size_t sl = strlen(suffix);
    if (name.n + sl + 1 > sizeof buf / sizeof buf[0])
        return NULL;
    inf_wcopy(buf, name.s, name.n);
    buf[name.n] = '.';
    for (size_t i = 0; i < sl; i++)
        buf[name.n + 1 + i] = (uint16_t)suffix[i];
    return inf_section_get(f, buf, name.n + 1 + sl);
}

static void report_suffixed(pctx *pc, const inf_file *f, const inf_section *base, const inf_section *s)
{
    if (s && pc->ref)
        pc->ref(pc->ref_ctx, f, NULL, "DDInstall", s->name, s);
    (void)base;
}

/* The device-install sequence for one resolved DDInstall section. */
static void do_ddinstall(pctx *pc, const inf_section *dd)
{
    const inf_file *f = pc->main;
    inf_wstr inst = wstr_s(pc, dd->name);
    inf_wstr none = wstr(pc, NULL, 0);
    if (pc->ref)
        pc->ref(pc->ref_ctx, f, NULL, "DDInstall", dd->name, dd);
    scope sc = {INF_CTX_DDINSTALL, 1, INF_ROOT_SOFTWARE, none, none, inst, PH_DD_REG};
    do_section(pc, f, dd, &sc, 0);
    const inf_section *s;
    if ((s = suffixed(f, dd->name, "CoInstallers"))) {
        report_suffixed(pc, f, dd, s);
        scope c = {INF_CTX_COINSTALLERS, 1, INF_ROOT_SOFTWARE, none, none, inst, PH_COINST_REG};
        do_section(pc, f, s, &c, 0);
    }
    if ((s = suffixed(f, dd->name, "Interfaces"))) {
        report_suffixed(pc, f, dd, s);
        scope c = {INF_CTX_INTERFACES, 0, INF_ROOT_SOFTWARE, none, none, inst, PH_IFACES};
        do_section(pc, f, s, &c, 0);
    }
    if ((s = suffixed(f, dd->name, "HW"))) {
        report_suffixed(pc, f, dd, s);
        scope c = {INF_CTX_HW, 1, INF_ROOT_HARDWARE, none, none, inst, PH_HW_REG};
        do_section(pc, f, s, &c, 0);
    }
    if ((s = suffixed(f, dd->name, "Services"))) {
        report_suffixed(pc, f, dd, s);
        scope c = {INF_CTX_SERVICES, 0, INF_ROOT_SOFTWARE, none, none, inst, PH_SERVICES};
        do_section(pc, f, s, &c, 0);
    }
    if ((s = suffixed(f, dd->name, "Filters"))) {
        report_suffixed(pc, f, dd, s);
        scope c = {INF_CTX_FILTERS, 0, INF_ROOT_SOFTWARE, none, none, inst, PH_FILTERS};
        do_section(pc, f, s, &c, 0);
    }
}

static void do_class_install(pctx *pc)
{
    inf_str name = {(const uint16_t *)L"ClassInstall32", 14};
    inf_str dec;
    const inf_section *s = emu_inf_ddinstall(pc->main, name, pc->arch, &dec);
    if (!s)
        return;
    inf_version v;
    emu_inf_version(pc->main, &pc->target, &v);
    inf_wstr inst = wstr_s(pc, s->name), none = wstr(pc, NULL, 0);
    if (pc->ref)
        pc->ref(pc->ref_ctx, pc->main, NULL, "ClassInstall32", s->name, s);
    scope sc = {INF_CTX_CLASSINSTALL, 1, INF_ROOT_CLASS, wstr_s(pc, inf_str_trim(v.class_guid)), none, inst, PH_CLASS};
    do_section(pc, pc->main, s, &sc, 0);
    const inf_section *sv = suffixed(pc->main, s->name, "Services");
    if (sv) {
        report_suffixed(pc, pc->main, s, sv);
        scope c = {INF_CTX_SERVICES, 0, INF_ROOT_SOFTWARE, none, none, inst, PH_SERVICES};
        do_section(pc, pc->main, sv, &c, 0);
    }
}

static void do_interface_install(pctx *pc)
{
    const inf_section *s = emu_inf_section(pc->main, "InterfaceInstall32");
    if (!s)
        return;
    inf_wstr none = wstr(pc, NULL, 0);
    for (uint32_t i = 0; i < s->nlines; i++) {
        const inf_line *l = &s->lines[i];
        if (!l->key)
            continue;
        inf_str secn = inf_str_trim(inf_fval(l, 0));
        if (!secn.n)
            continue;
        const inf_file *where = pc->main;
        const inf_section *is = directive_section(pc, pc->main, l, "InterfaceInstall32", secn, &where);
        if (!is)
            continue;
        scope sc = {INF_CTX_INTERFACE_INSTALL, 1, INF_ROOT_INTERFACE_CLASS, wstr_s(pc, inf_str_trim(l->key->val)),
                    none, wstr_s(pc, s->name), PH_CLASS};
        do_section(pc, where, is, &sc, 0);
    }
}

static void do_default_install(pctx *pc)
{
    inf_str name = {(const uint16_t *)L"DefaultInstall", 14};
    inf_str dec;
    const inf_section *s = emu_inf_ddinstall(pc->main, name, pc->arch, &dec);
    if (!s)
        return;
    inf_wstr inst = wstr_s(pc, s->name), none = wstr(pc, NULL, 0);
    if (pc->ref)
        pc->ref(pc->ref_ctx, pc->main, NULL, "DefaultInstall", s->name, s);
    scope sc = {INF_CTX_DEFAULTINSTALL, 0, INF_ROOT_SOFTWARE, none, none, inst, PH_DEFAULT};
    do_section(pc, pc->main, s, &sc, 0);
    const inf_section *sv = suffixed(pc->main, s->name, "Services");
    if (sv) {
        report_suffixed(pc, pc->main, s, sv);
        scope c = {INF_CTX_SERVICES, 0, INF_ROOT_SOFTWARE, none, none, inst, PH_SERVICES};
        do_section(pc, pc->main, sv, &c, 0);
    }
}

/* ---- package file list ---- */

static void add_pkg_file(pctx *pc, inf_str name, inf_wstr subdir, int32_t disk, int listed, int copied, uint32_t lineno)
{
    plan_box *b = pc->box;
    name = inf_str_trim(name);
    uint32_t h = inf_hash_w(name.s, name.n);
    for (uint32_t e = inf_imap_first(&pc->file_map, h); e != UINT32_MAX; e = inf_imap_next(&pc->file_map, e)) {
        inf_package_file *pf = &b->files[inf_imap_idx(&pc->file_map, e)];
        if (inf_str_ieq_str(S(pf->name), name)) {
            pf->copied |= copied;
            return;
        }
    }
    if (grow_arr((void **)&b->files, &b->fcap, b->nfiles + 1, sizeof(inf_package_file)) ||
        inf_imap_add(&pc->file_map, h, (uint32_t)b->nfiles)) {
        pc->oom = 1;
        return;
    }
    b->files[b->nfiles++] = (inf_package_file){wstr_s(pc, name), subdir, disk, listed, copied, lineno};
}

static void package_files(pctx *pc)
{
    const inf_section *secs[2] = {arch_section(pc->main, "SourceDisksFiles", pc->target.arch),
                                  emu_inf_section(pc->main, "SourceDisksFiles")};
    for (int si = 0; si < 2; si++) {
        if (!secs[si])
            continue;
        for (uint32_t i = 0; i < secs[si]->nlines; i++) {
            const inf_line *l = &secs[si]->lines[i];
            if (!l->key || !inf_str_trim(l->key->val).n)
                continue;
            pb_buf sb = PB_BUF_INIT;
            int32_t disk = -1;
            inf_arch save = pc->arch;
            pc->arch = pc->target.arch;
            source_of(pc, pc->main, l->key->val, &disk, &sb, NULL);
            pc->arch = save;
            add_pkg_file(pc, l->key->val, wstr(pc, (const uint16_t *)sb.data, sb.len / 2), disk, 1, 0, l->lineno);
            pb_buf_free(&sb);
        }
    }
    for (int ph = 0; ph < PH_COUNT; ph++)
        for (size_t i = 0; i < pc->ph[ph].n; i++) {
            const inf_op *op = &pc->ph[ph].v[i];
            if (op->kind != INF_OP_COPY || op->inf != pc->main)
                continue;
            add_pkg_file(pc, S(op->u.file.src_name), op->u.file.src_subdir, op->u.file.disk_id, 0, 1, op->lineno);
        }
}

/* ---- entry points ---- */

static int finish(pctx *pc, inf_plan **out)
{
    plan_box *b = pc->box;
    size_t total = 0;
    for (int i = 0; i < PH_COUNT; i++)
        total += pc->ph[i].n;
    if (!pc->oom) {
        b->ops = malloc((total ? total : 1) * sizeof(inf_op));
        if (!b->ops)
            pc->oom = 1;
    }
    if (!pc->oom) {
        size_t o = 0;
        for (int i = 0; i < PH_COUNT; i++) {
            if (pc->ph[i].n)
                memcpy(b->ops + o, pc->ph[i].v, pc->ph[i].n * sizeof(inf_op));
            o += pc->ph[i].n;
        }
    }
    for (int i = 0; i < PH_COUNT; i++)
        free(pc->ph[i].v);
    free(pc->store_dir);
    for (size_t i = 0; i < pc->nkidx; i++)
        inf_imap_free(&pc->kidx[i].map);
    free(pc->kidx);
    inf_imap_free(&pc->issue_map);
    inf_imap_free(&pc->file_map);
    inf_imap_free(&pc->memo);
    free(pc->memo_v);
    if (pc->oom || b->arena.oom) {
        emu_inf_plan_free(&b->plan);
        return INF_E_NOMEM;
    }
    b->plan.ops = b->ops;
    b->plan.nops = total;
    b->plan.issues = b->issues;
    b->plan.nissues = b->nissues;
    PB_DEBUG(PB_CH_INF, "planned '%s': %zu operations, %zu issues", emu_inf_name(pc->main), total, b->nissues);
    *out = &b->plan;
    return 0;
}

static int init(pctx *pc, const inf_file *inf, const inf_plan_opts *opts)
{
    memset(pc, 0, sizeof *pc);
    pc->main = inf;
    pc->opts = opts;
    if (opts && opts->target)
        pc->target = *opts->target;
    else
        emu_inf_target_default(&pc->target);
    pc->arch = pc->target.arch;
    pc->box = calloc(1, sizeof *pc->box);
    if (!pc->box)
        return INF_E_NOMEM;
    if (opts && opts->store_dir) {
        pc->store_dir = strdup(opts->store_dir);
    } else {
        /* No folder given: FileRepository\<inf name, lowercase>_<arch>_0000000000000000. */
        const char *b = emu_inf_basename(inf);
        size_t n = strlen(b) + 128;
        pc->store_dir = malloc(n);
        if (pc->store_dir) {
            int k = snprintf(pc->store_dir, n, "C:\\Windows\\System32\\DriverStore\\FileRepository\\%s_%s_0000000000000000",
                             b, emu_inf_arch_name(pc->target.arch));
            (void)k;
            for (char *c = pc->store_dir + 47; *c; c++)
                if (*c >= 'A' && *c <= 'Z')
                    *c = (char)(*c + 32);
            /* A template's store folder carries the stamped name (.inf). */
            char *x = strstr(pc->store_dir + 47, ".inx_");
            if (x)
                x[3] = 'f';
        }
    }
    if (!pc->store_dir) {
        free(pc->box);
        return INF_E_NOMEM;
    }
    return 0;
}

int emu_inf_plan_node(const inf_file *inf, const inf_plan_opts *opts, const inf_driver_node *node, inf_plan **out)
{
    if (!out)
        return INF_E_INVAL;
    *out = NULL;
    if (!inf || !node)
        return INF_E_INVAL;
    return inf_plan_build(inf, opts, node, 0, NULL, NULL, out);
}

int emu_inf_plan_device(const inf_file *inf, const inf_plan_opts *opts, const uint16_t *const *hwids, size_t nhw,
                        const uint16_t *const *compat, size_t ncompat, inf_plan **out)
{
    if (!out)
        return INF_E_INVAL;
    *out = NULL;
    if (!inf)
        return INF_E_INVAL;
    inf_match_opts mo = {opts ? opts->target : NULL, opts ? opts->signature_score : 0};
    inf_driver_node *nodes = NULL;
    size_t n = 0;
    int rc = emu_inf_match(inf, &mo, hwids, nhw, compat, ncompat, &nodes, &n);
    if (rc)
        return rc;
    if (!n) {
        free(nodes);
        return INF_E_NOTFOUND;
    }
    rc = inf_plan_build(inf, opts, &nodes[0], 0, NULL, NULL, out);
    free(nodes);
    return rc;
}

int emu_inf_plan_package(const inf_file *inf, const inf_plan_opts *opts, unsigned flags, inf_plan **out)
{
    if (!out)
        return INF_E_INVAL;
    *out = NULL;
    if (!inf)
        return INF_E_INVAL;
    return inf_plan_build(inf, opts, NULL, flags, NULL, NULL, out);
}

/* Every DDInstall of the package, each once per architecture. */
static void plan_all_models(pctx *pc, unsigned flags)
{
    const inf_section *m = emu_inf_section(pc->main, "Manufacturer");
    if (!m)
        return;
    const inf_section **done = NULL;
    inf_arch *done_arch = NULL;
    size_t ndone = 0, cap = 0, acap = 0;
    inf_imap done_map = {0};
    for (uint32_t mi = 0; mi < m->nlines && !pc->oom; mi++) {
        const inf_line *ml = &m->lines[mi];
        inf_str base = inf_str_trim(inf_fval(ml, 0));
        /* (section, arch) pairs to plan */
        struct models_item {
            const inf_section *s;
            inf_arch arch;
        } pending[17];
        int nt = 0;
        if (flags & INF_PKG_ALL_DECORATIONS) {
            const inf_section *u = inf_section_get(pc->main, base.s, base.n);
            if (pc->ref)
                pc->ref(pc->ref_ctx, pc->main, ml, "Manufacturer", base, u);
            if (u)
                pending[nt++] = (struct models_item){u, pc->target.arch};
            for (uint32_t k = 1; k < ml->nfields && nt < 17; k++) {
                inf_decoration d;
                emu_inf_decoration_parse(ml->fields[k].val, &d);
                inf_str dec = inf_str_trim(ml->fields[k].val);
                if (!dec.n)
                    continue;
                uint16_t nb[2 * INF_MAX_SECTION_NAME + 2];
                if (base.n + dec.n + 1 > sizeof nb / sizeof nb[0])
                    continue;
                inf_wcopy(nb, base.s, base.n);
                nb[base.n] = '.';
                inf_wcopy(nb + base.n + 1, dec.s, dec.n);
                const inf_section *s = inf_section_get(pc->main, nb, base.n + 1 + dec.n);
                if (pc->ref)
                    pc->ref(pc->ref_ctx, pc->main, ml, "Manufacturer", (inf_str){nb, base.n + 1 + dec.n}, s);
                if (!s) {
                    uint16_t *copy = inf_arena_wdup(&pc->box->arena, nb, base.n + 1 + dec.n);
                    if (copy)
                        issue_rule(pc, 1203, pc->main, ml->lineno, inf_u8((inf_str){copy, base.n + 1 + dec.n}),
                                   "[Manufacturer]");
                    continue;
                }
                pending[nt++] = (struct models_item){s, d.valid && d.has_arch ? d.arch : pc->target.arch};
            }
        } else {
            inf_models ms;
            if (emu_inf_models_select(pc->main, mi, &pc->target, &ms) == 0 && ms.section)
                pending[nt++] = (struct models_item){ms.section, pc->target.arch};
        }
        for (int t = 0; t < nt && !pc->oom; t++) {
            const inf_section *ms = pending[t].s;
            for (uint32_t li = 0; li < ms->nlines && !pc->oom; li++) {
                inf_model md;
                if (emu_inf_model_decode(&ms->lines[li], &md))
                    continue;
                inf_str dec;
                const inf_section *dd = emu_inf_ddinstall(pc->main, md.install, pending[t].arch, &dec);
                if (!dd) {
                    char what[300];
                    snprintf(what, sizeof what, "[%s]", inf_u8(ms->name));
                    issue_rule(pc, 1203, pc->main, ms->lines[li].lineno, inf_u8(md.install), what);
                    continue;
                }
                int seen = 0;
                uint32_t dh = inf_hash_mix((uint32_t)(uintptr_t)dd, (uint32_t)pending[t].arch);
                for (uint32_t e = inf_imap_first(&done_map, dh); e != UINT32_MAX && !seen; e = inf_imap_next(&done_map, e)) {
                    uint32_t k = inf_imap_idx(&done_map, e);
                    seen = done[k] == dd && done_arch[k] == pending[t].arch;
                }
                if (seen)
                    continue;
                if (grow_arr((void **)&done, &cap, ndone + 1, sizeof *done) ||
                    grow_arr((void **)&done_arch, &acap, ndone + 1, sizeof *done_arch) ||
                    inf_imap_add(&done_map, dh, (uint32_t)ndone)) {
                    pc->oom = 1;
                    break;
                }
                done[ndone] = dd;
                done_arch[ndone++] = pending[t].arch;
                pc->arch = pending[t].arch;
                do_ddinstall(pc, dd);
                pc->arch = pc->target.arch;
            }
        }
    }
    free(done);
    free(done_arch);
    inf_imap_free(&done_map);
}

int inf_plan_build(const inf_file *inf, const inf_plan_opts *opts, const inf_driver_node *node, unsigned pkg_flags,
                   inf_ref_fn ref, void *ref_ctx, inf_plan **out)
{
    pctx pc;
    int rc = init(&pc, inf, opts);
    if (rc)
        return rc;
    pc.ref = ref;
    pc.ref_ctx = ref_ctx;
    do_class_install(&pc);
    do_interface_install(&pc);
    if (node) {
        pc.box->plan.has_node = 1;
        pc.box->plan.node = *node;
        const inf_section *dd = node->ddinstall.n ? inf_section_get(inf, node->ddinstall.s, node->ddinstall.n) : NULL;
        if (!dd)
            dd = emu_inf_ddinstall(inf, node->install, pc.target.arch, NULL);
        if (dd)
            do_ddinstall(&pc, dd);
        else
            issue_rule(&pc, 1203, inf, node->line ? node->line->lineno : 0, inf_u8(node->install), "the models line");
    } else {
        pc.package = 1;
        plan_all_models(&pc, pkg_flags);
        do_default_install(&pc);
    }
    if (!node) {
        package_files(&pc);
        pc.box->plan.files = pc.box->files;
        pc.box->plan.nfiles = pc.box->nfiles;
    }
    return finish(&pc, out);
}

void emu_inf_plan_free(inf_plan *plan)
{
    if (!plan)
        return;
    plan_box *b = (plan_box *)plan;
    free(b->ops);
    free(b->issues);
    free(b->files);
    inf_arena_free(&b->arena);
    free(b);
}

/* ---- dump ---- */

const char *emu_inf_root_name(inf_root r)
{
    static const char *const names[] = {"software", "hardware", "service", "eventlog", "interface",
                                        "interface-class", "class", "HKLM", "HKCU", "HKCR", "HKU"};
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

static void dump_w(pb_buf *o, inf_wstr w)
{
    pb_buf_adds(o, inf_u8(S(w)));
}

static void dump_data(pb_buf *o, const inf_reg_op *r)
{
    if (r->type == INF_REG_DWORD && r->data_len == 4) {
        uint32_t v = (uint32_t)r->data[0] | (uint32_t)r->data[1] << 8 | (uint32_t)r->data[2] << 16 |
                     (uint32_t)r->data[3] << 24;
        pb_buf_printf(o, "0x%08x", v);
        return;
    }
    if ((r->type == INF_REG_SZ || r->type == INF_REG_EXPAND_SZ || r->type == INF_REG_MULTI_SZ) && !(r->data_len & 1)) {
        size_t n = r->data_len / 2;
        pb_buf_addc(o, '"');
        for (size_t i = 0; i < n; i++) {
            uint16_t c = (uint16_t)(r->data[2 * i] | r->data[2 * i + 1] << 8);
            if (!c) {
                if (i + 1 < n)
                    pb_buf_adds(o, "\\0");
                continue;
            }
            pb_buf_adds(o, inf_u8((inf_str){&c, 1}));
        }
        pb_buf_addc(o, '"');
        return;
    }
    for (size_t i = 0; i < r->data_len; i++)
        pb_buf_printf(o, "%s%02x", i ? "," : "", r->data[i]);
}

void emu_inf_plan_dump(const inf_plan *plan, pb_buf *o)
{
    if (!plan || !o)
        return;
    if (plan->has_node)
        pb_buf_printf(o, "node: %s -> [%s] id %s rank 0x%08x\n", inf_u8(plan->node.description),
                      inf_u8(plan->node.ddinstall), inf_u8(plan->node.matched_id), plan->node.rank);
    static const char *const actions[] = {"set", "key", "delete-value", "delete-key", "delete-string"};
    for (size_t i = 0; i < plan->nops; i++) {
        const inf_op *op = &plan->ops[i];
        pb_buf_printf(o, "%s:%u: %s ", op->file, op->lineno, op->directive);
        switch (op->kind) {
        case INF_OP_REG: {
            const inf_reg_op *r = &op->u.reg;
            pb_buf_printf(o, "%s %s", actions[r->action], emu_inf_root_name(r->root));
            if (r->root_arg1.n) {
                pb_buf_addc(o, '(');
                dump_w(o, r->root_arg1);
                if (r->root_arg2.n) {
                    pb_buf_addc(o, ',');
                    dump_w(o, r->root_arg2);
                }
                pb_buf_addc(o, ')');
            }
            pb_buf_adds(o, " [");
            dump_w(o, r->subkey);
            pb_buf_adds(o, "] ");
            if (r->action == INF_REGOP_SET_VALUE || r->action == INF_REGOP_DELETE_VALUE ||
                r->action == INF_REGOP_DELETE_STRING) {
                pb_buf_addc(o, '"');
                dump_w(o, r->value_name);
                pb_buf_addc(o, '"');
            }
            if (r->action == INF_REGOP_SET_VALUE || r->action == INF_REGOP_DELETE_STRING) {
                pb_buf_printf(o, " type %u = ", r->type);
                dump_data(o, r);
            }
            if (r->exec_flags)
                pb_buf_printf(o, " flags 0x%x", r->exec_flags);
            break;
        }
        case INF_OP_COPY:
        case INF_OP_DELETE_FILE:
        case INF_OP_RENAME_FILE:
            pb_buf_printf(o, "dirid %d ", (int)op->u.file.dest_dirid);
            dump_w(o, op->u.file.dest_path);
            pb_buf_adds(o, " <- ");
            dump_w(o, op->u.file.src_subdir);
            if (op->u.file.src_subdir.n)
                pb_buf_addc(o, '\\');
            dump_w(o, op->u.file.src_name);
            if (op->u.file.flags)
                pb_buf_printf(o, " flags 0x%x", op->u.file.flags);
            break;
        case INF_OP_SERVICE:
        case INF_OP_DELETE_SERVICE:
            dump_w(o, op->u.service.name);
            pb_buf_printf(o, " flags 0x%x", op->u.service.flags);
            if (op->u.service.image_path.n) {
                pb_buf_adds(o, " image ");
                dump_w(o, op->u.service.image_path);
            }
            break;
        case INF_OP_INTERFACE:
            dump_w(o, op->u.iface.guid);
            pb_buf_adds(o, " ref ");
            dump_w(o, op->u.iface.reference);
            break;
        case INF_OP_FILTER:
            dump_w(o, op->u.filter.name);
            pb_buf_adds(o, " level ");
            dump_w(o, op->u.filter.level);
            pb_buf_adds(o, " position ");
            dump_w(o, op->u.filter.position);
            break;
        }
        pb_buf_addc(o, '\n');
    }
    for (size_t i = 0; i < plan->nissues; i++) {
        const inf_issue *is = &plan->issues[i];
        pb_buf_printf(o, "%s:%u: %s %d: %s\n", is->file, is->lineno, is->severity == INF_SEV_ERROR ? "error" : "warning",
                      is->code, is->message);
    }
}
