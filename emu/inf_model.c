/*
 * inf_model.c: the INF's model: [Version], [Manufacturer] with
 * TargetOSVersion selection, models lines, hardware/compatible ID ranking
 * and DDInstall resolution (contract in inf.h; facts in the reference §2
 * "[Version]", "[Manufacturer] / Models", "DDInstall family").
 *
 * Choices where the documentation is silent (also in docs/inf.md):
 *  - Closest TargetOSVersion: among the decorations that apply, the highest
 *    OS major.minor wins, then the highest build number, then a decoration
 *    that names the architecture, then one with a product type, then one
 *    with a suite mask ("a specific version number takes precedence over the
 *    product type and suite mask", [Manufacturer] page).
 *  - An undecorated models section, or a decoration without architecture,
 *    is used only on x86 targets (the page: architecture "must be specified
 *    ... for non-x86"; InfVerif 2223: undecorated "defaults to x86").  On
 *    x86 the undecorated section is used when no decoration applies.
 *  - Rank ties between nodes of one INF keep file order.
 */
#include "emu/inf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- [Version] ---- */

static int parse_uint_range(const uint16_t *s, size_t n, uint32_t max, uint32_t *out)
{
    if (!n || n > 10)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* "MM/DD/YYYY" (one- or two-digit month and day are read too). */
static int parse_date(inf_str d, uint16_t *y, uint16_t *m, uint16_t *dd)
{
    d = inf_str_trim(d);
    size_t i = 0, part = 0, start = 0;
    uint32_t v[3];
    for (; i <= d.n; i++) {
        if (i == d.n || d.s[i] == '/') {
            if (part >= 3 || parse_uint_range(d.s + start, i - start, 9999, &v[part]))
                return -1;
            if (part < 2 && i - start > 2)
                return -1;
            if (part == 2 && i - start != 4)
                return -1;
            part++;
            start = i + 1;
        }
    }
    if (part != 3 || v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 31 || v[2] < 1601)
        return -1;
    *m = (uint16_t)v[0];
    *dd = (uint16_t)v[1];
    *y = (uint16_t)v[2];
    return 0;
}

/* "w.x.y.z", one to four parts, each 0..65535. */
static int parse_ver(inf_str s, uint16_t ver[4])
{
    s = inf_str_trim(s);
    size_t start = 0, part = 0;
    memset(ver, 0, 4 * sizeof ver[0]);
    for (size_t i = 0; i <= s.n; i++) {
        if (i == s.n || s.s[i] == '.') {
            uint32_t v;
            if (part >= 4 || parse_uint_range(s.s + start, i - start, 65535, &v))
                return -1;
            ver[part++] = (uint16_t)v;
            start = i + 1;
        }
    }
    return part ? 0 : -1;
}

/* Decode a DriverVer line into the version fields; returns 1 when fully valid. */
static int driver_ver(const inf_line *l, inf_version *v)
{
    v->has_driver_ver = 1;
    v->driver_ver_line = l->lineno;
    int ok = parse_date(inf_fval(l, 0), &v->year, &v->month, &v->day) == 0;
    if (l->nfields > 1 && inf_fval(l, 1).n)
        ok = parse_ver(inf_fval(l, 1), v->ver) == 0 && ok;
    v->version = (uint64_t)v->ver[0] << 48 | (uint64_t)v->ver[1] << 32 | (uint64_t)v->ver[2] << 16 | v->ver[3];
    v->driver_ver_ok = ok;
    return ok;
}

void emu_inf_version(const inf_file *inf, const inf_target *t, inf_version *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    out->pnp_lockdown = -1;
    inf_target def;
    if (!t) {
        emu_inf_target_default(&def);
        t = &def;
    }
    const inf_section *s = emu_inf_section(inf, "Version");
    if (!s)
        return;
    out->lineno = s->header_lines[0];
    int cat_rank = -1;
    char cat_arch[24];
    snprintf(cat_arch, sizeof cat_arch, "CatalogFile.NT%s", emu_inf_arch_name(t->arch));
    for (uint32_t i = 0; i < s->nlines; i++) {
        const inf_line *l = &s->lines[i];
        if (!l->key)
            continue;
        inf_str v = inf_fval(l, 0);
        if (inf_line_key_is(l, "Signature") && !out->signature_line) {
            out->signature = v;
            out->signature_line = l->lineno;
            out->signature_ok = inf_str_ieq(v, "$Windows NT$") || inf_str_ieq(v, "$Chicago$");
        } else if (inf_line_key_is(l, "Class") && !out->class_name.n) {
            out->class_name = v;
        } else if (inf_line_key_is(l, "ClassGuid") && !out->class_guid.n) {
            out->class_guid = v;
        } else if (inf_line_key_is(l, "Provider") && !out->provider.n) {
            out->provider = v;
        } else if (inf_line_key_is(l, "ExtensionId") && !out->extension_id.n) {
            out->extension_id = v;
        } else if (inf_line_key_is(l, "DriverVer") && !out->has_driver_ver) {
            driver_ver(l, out);
        } else if (inf_line_key_is(l, "PnpLockdown") && out->pnp_lockdown < 0) {
            int64_t n;
            out->pnp_lockdown = emu_inf_parse_int(v, &n) == 0 && n >= 0 && n < 0x7fffffff ? (int)n : 0;
            out->pnp_lockdown_line = l->lineno;
        } else if (inf_str_istarts(l->key->val, "CatalogFile")) {
            int r = inf_line_key_is(l, cat_arch) ? 2 : inf_line_key_is(l, "CatalogFile.NT") ? 1
                    : inf_line_key_is(l, "CatalogFile") ? 0 : -1;
            if (r > cat_rank) {
                cat_rank = r;
                out->catalog_file = v;
            }
        }
    }
}

/* ---- TargetOSVersion ---- */

void emu_inf_decoration_parse(inf_str text, inf_decoration *d)
{
    memset(d, 0, sizeof *d);
    inf_str s = inf_str_trim(text);
    if (!inf_str_istarts(s, "NT"))
        return;
    size_t i = 2, a0 = 2;
    while (i < s.n && s.s[i] != '.')
        i++;
    if (i > a0) {
        inf_str an = {s.s + a0, i - a0};
        int found = 0;
        for (int k = 0; k < INF_ARCH_COUNT; k++)
            if (inf_str_ieq(an, emu_inf_arch_name((inf_arch)k))) {
                d->arch = (inf_arch)k;
                found = 1;
            }
        if (!found)
            return;
        d->has_arch = 1;
    }
    int *has[5] = {&d->has_major, &d->has_minor, &d->has_product, &d->has_suite, &d->has_build};
    uint32_t *val[5] = {&d->major, &d->minor, &d->product_type, &d->suite_mask, &d->build};
    int part = 0;
    while (i < s.n) {
        i++; /* '.' */
        size_t st = i;
        while (i < s.n && s.s[i] != '.')
            i++;
        if (part >= 5)
            return;
        if (i > st) {
            int64_t v;
            if (emu_inf_parse_int((inf_str){s.s + st, i - st}, &v) || v < 0 || v > 0xFFFFFFFFll)
                return;
            *has[part] = 1;
            *val[part] = (uint32_t)v;
        }
        part++;
    }
    d->valid = 1;
}

int emu_inf_decoration_applies(const inf_decoration *d, const inf_target *t)
{
    if (!d || !t || !d->valid)
        return 0;
    if (d->has_arch ? d->arch != t->arch : t->arch != INF_ARCH_X86)
        return 0;
    if (d->has_major) {
        uint32_t mi = d->has_minor ? d->minor : 0;
        if (d->major > t->major || (d->major == t->major && mi > t->minor))
            return 0;
        /* The build is compared only when major.minor match exactly. */
        if (d->major == t->major && mi == t->minor && d->has_build && d->build > t->build)
            return 0;
    }
    if (d->has_product && d->product_type != t->product_type)
        return 0;
    if (d->has_suite && (t->suite_mask & d->suite_mask) != d->suite_mask)
        return 0;
    return 1;
}

/* Is a closer than b (both applicable)?  See the file comment. */
static int decoration_closer(const inf_decoration *a, const inf_decoration *b)
{
    uint32_t av[6] = {a->major, a->has_minor ? a->minor : 0, a->has_build ? a->build : 0,
                      (uint32_t)a->has_arch, (uint32_t)a->has_product, (uint32_t)a->has_suite};
    uint32_t bv[6] = {b->major, b->has_minor ? b->minor : 0, b->has_build ? b->build : 0,
                      (uint32_t)b->has_arch, (uint32_t)b->has_product, (uint32_t)b->has_suite};
    if (!a->has_major)
        av[0] = 0;
    if (!b->has_major)
        bv[0] = 0;
    for (int i = 0; i < 6; i++)
        if (av[i] != bv[i])
            return av[i] > bv[i];
    return 0;
}

size_t emu_inf_manufacturer_count(const inf_file *inf)
{
    const inf_section *s = emu_inf_section(inf, "Manufacturer");
    return s ? s->nlines : 0;
}

/* The section "<base>.<decoration>" (or "<base>" for an empty decoration). */
static const inf_section *decorated_section(const inf_file *inf, inf_str base, inf_str dec)
{
    uint16_t buf[2 * INF_MAX_SECTION_NAME + 2];
    base = inf_str_trim(base);
    dec = inf_str_trim(dec);
    if (base.n + dec.n + 1 > sizeof buf / sizeof buf[0])
        return NULL;
    inf_wcopy(buf, base.s, base.n);
    size_t n = base.n;
    if (dec.n) {
        buf[n++] = '.';
        inf_wcopy(buf + n, dec.s, dec.n);
        n += dec.n;
    }
    return inf_section_get(inf, buf, n);
}

int emu_inf_models_select(const inf_file *inf, size_t i, const inf_target *t, inf_models *out)
{
    if (!inf || !out)
        return INF_E_INVAL;
    memset(out, 0, sizeof *out);
    inf_target def;
    if (!t) {
        emu_inf_target_default(&def);
        t = &def;
    }
    const inf_section *m = emu_inf_section(inf, "Manufacturer");
    if (!m || i >= m->nlines)
        return INF_E_NOTFOUND;
    const inf_line *l = &m->lines[i];
    out->line = l;
    out->models_name = inf_str_trim(inf_fval(l, 0));
    out->manufacturer = l->key ? l->key->val : out->models_name;
    int best = -1;
    inf_decoration bd = {0};
    for (uint32_t k = 1; k < l->nfields; k++) {
        inf_decoration d;
        emu_inf_decoration_parse(l->fields[k].val, &d);
        if (!emu_inf_decoration_applies(&d, t))
            continue;
        if (best < 0 || decoration_closer(&d, &bd)) {
            best = (int)k;
            bd = d;
        }
    }
    if (best >= 0) {
        out->decoration = inf_str_trim(l->fields[best].val);
        out->applicable = 1;
    } else if (t->arch == INF_ARCH_X86) {
        out->applicable = 1; /* the undecorated section */
    } else {
        return 0;
    }
    out->section = decorated_section(inf, out->models_name, out->decoration);
    return 0;
}

int emu_inf_model_decode(const inf_line *l, inf_model *out)
{
    if (!l || !out)
        return INF_E_INVAL;
    memset(out, 0, sizeof *out);
    out->line = l;
    out->description = l->key ? l->key->val : INF_STR_EMPTY;
    out->install = inf_str_trim(inf_fval(l, 0));
    if (!out->install.n)
        return INF_E_INVAL;
    out->ids = l->nfields > 1 ? l->fields + 1 : NULL;
    out->nids = l->nfields > 1 ? l->nfields - 1 : 0;
    return 0;
}

const inf_section *emu_inf_ddinstall(const inf_file *inf, inf_str install, inf_arch arch,
                                     inf_str *decorated)
{
    if (decorated)
        *decorated = INF_STR_EMPTY;
    if (!inf)
        return NULL;
    install = inf_str_trim(install);
    if (!install.n || install.n > INF_MAX_SECTION_NAME)
        return NULL;
    uint16_t buf[INF_MAX_SECTION_NAME + 16];
    inf_wcopy(buf, install.s, install.n);
    const char *an = emu_inf_arch_name(arch);
    size_t n = install.n;
    buf[n++] = '.';
    buf[n++] = 'N';
    buf[n++] = 'T';
    size_t nt = n;
    for (const char *c = an; *c; c++)
        buf[n++] = (uint16_t)*c;
    const inf_section *s = inf_section_get(inf, buf, n);
    if (!s)
        s = inf_section_get(inf, buf, nt);
    if (!s)
        s = inf_section_get(inf, buf, install.n);
    if (s && decorated)
        *decorated = s->name;
    return s;
}

/* ---- matching ---- */

static int id_eq(inf_str a, const uint16_t *b)
{
    size_t bn = pb_wcslen(b);
    a = inf_str_trim(a);
    return a.n && pb_wcsnieq(a.s, a.n, b, bn);
}

/* Identifier score of one models line, or UINT32_MAX when nothing matches. */
static uint32_t id_score(const inf_model *m, const uint16_t *const *hw, size_t nhw,
                         const uint16_t *const *cid, size_t ncid, uint32_t *dev_i, uint32_t *inf_j)
{
    uint32_t best = UINT32_MAX;
    for (uint32_t j = 0; j < m->nids; j++) {
        inf_str id = m->ids[j].val;
        for (size_t i = 0; i < nhw && i < 0xfff; i++) {
            if (!hw[i] || !id_eq(id, hw[i]))
                continue;
            uint32_t sc = (j == 0 ? 0x0000u : 0x1000u) + (uint32_t)i;
            if (sc < best) {
                best = sc;
                *dev_i = (uint32_t)i;
                *inf_j = j;
            }
        }
        for (size_t k = 0; k < ncid && k < 0xff; k++) {
            if (!cid[k] || !id_eq(id, cid[k]))
                continue;
            uint32_t sc = j == 0 ? 0x2000u + (uint32_t)k : 0x3000u + 0x100u * (j - 1 > 0xe ? 0xe : j - 1) + (uint32_t)k;
            if (sc < best) {
                best = sc;
                *dev_i = (uint32_t)k;
                *inf_j = j;
            }
        }
    }
    return best;
}

static uint32_t feature_score(const inf_section *dd)
{
    const inf_line *l = emu_inf_find_key(dd, "FeatureScore");
    int64_t v;
    if (l && emu_inf_parse_int(inf_fval(l, 0), &v) == 0 && v >= 0 && v <= 0xff)
        return (uint32_t)v;
    return 0xff;
}

int emu_inf_node_cmp(const inf_driver_node *a, const inf_driver_node *b)
{
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    uint32_t da = (uint32_t)a->year << 16 | (uint32_t)a->month << 8 | a->day;
    uint32_t db = (uint32_t)b->year << 16 | (uint32_t)b->month << 8 | b->day;
    if (da != db)
        return da > db ? -1 : 1;
    if (a->version != b->version)
        return a->version > b->version ? -1 : 1;
    return 0;
}

static int node_qsort_cmp(const void *x, const void *y)
{
    const inf_driver_node *a = x, *b = y;
    int c = emu_inf_node_cmp(a, b);
    if (c)
        return c;
    /* Same rank and date: keep file order. */
    return a->line->lineno < b->line->lineno ? -1 : a->line->lineno > b->line->lineno;
}

int emu_inf_match(const inf_file *inf, const inf_match_opts *opts, const uint16_t *const *hwids,
                  size_t nhw, const uint16_t *const *compat, size_t ncompat, inf_driver_node **out,
                  size_t *nout)
{
    if (!inf || !out || !nout || (!hwids && nhw) || (!compat && ncompat))
        return INF_E_INVAL;
    *out = NULL;
    *nout = 0;
    inf_target def;
    const inf_target *t = opts ? opts->target : NULL;
    if (!t) {
        emu_inf_target_default(&def);
        t = &def;
    }
    uint8_t ss = opts ? opts->signature_score : 0;
    inf_version ver;
    emu_inf_version(inf, t, &ver);
    inf_driver_node *nodes = NULL;
    size_t n = 0, cap = 0;
    size_t nm = emu_inf_manufacturer_count(inf);
    for (size_t mi = 0; mi < nm; mi++) {
        inf_models ms;
        if (emu_inf_models_select(inf, mi, t, &ms) || !ms.section)
            continue;
        for (uint32_t li = 0; li < ms.section->nlines; li++) {
            inf_model m;
            if (emu_inf_model_decode(&ms.section->lines[li], &m))
                continue;
            uint32_t di = 0, ij = 0;
            uint32_t sc = id_score(&m, hwids, nhw, compat, ncompat, &di, &ij);
            if (sc == UINT32_MAX)
                continue;
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 8;
                inf_driver_node *g = realloc(nodes, nc * sizeof *g);
                if (!g) {
                    free(nodes);
                    return INF_E_NOMEM;
                }
                nodes = g;
                cap = nc;
            }
            inf_driver_node *nd = &nodes[n++];
            memset(nd, 0, sizeof *nd);
            nd->inf = inf;
            nd->description = m.description;
            nd->manufacturer = ms.manufacturer;
            nd->provider = ver.provider;
            nd->install = m.install;
            nd->models_section = ms.section->name;
            nd->line = m.line;
            nd->matched_id = inf_str_trim(m.ids[ij].val);
            nd->device_index = di;
            nd->inf_index = ij;
            nd->hardware_match = sc < 0x1000;
            const inf_section *dd = emu_inf_ddinstall(inf, m.install, t->arch, &nd->ddinstall);
            uint32_t fs = dd ? feature_score(dd) : 0xff;
            nd->rank = (uint32_t)ss << 24 | fs << 16 | sc;
            inf_version dv = ver;
            const inf_line *dl = dd ? emu_inf_find_key(dd, "DriverVer") : NULL;
            if (dl)
                driver_ver(dl, &dv); /* a DDInstall DriverVer overrides [Version] */
            nd->year = dv.year;
            nd->month = dv.month;
            nd->day = dv.day;
            nd->version = dv.version;
        }
    }
    if (n > 1)
        qsort(nodes, n, sizeof *nodes, node_qsort_cmp);
    *out = nodes;
    *nout = n;
    return 0;
}
