/*
 * harness.c: the Criterion fixture, helpers and assertions of
 * include/pnpbox/criterion.h.  Built into libpnpbox-criterion, apart from
 * libpnpbox, so programs that do not use Criterion never link it.
 */
#include "pnpbox/criterion.h"

#include "base/pb_utf16.h"
#include "emu/emu.h"
#include "pnpbox/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

pnpbox_machine *pnpbox_t_machine;

/* Strings the helpers hand out live until the fixture's fini. */
static char **owned;
static size_t nowned;
static pnpbox_report *cached;

static const char *keep(char *s)
{
    char **p = realloc(owned, (nowned + 1) * sizeof *p);
    cr_assert_not_null(p, "out of memory");
    owned = p;
    owned[nowned++] = s;
    return s;
}

static pnpbox_machine *M(void)
{
    cr_assert_not_null(pnpbox_t_machine, "no pnpbox machine: use PNPBOX_TEST_SUITE (or .init = pnpbox_fixture_init)");
    return pnpbox_t_machine;
}

/*
 * Fail-fast: the first error-level violation fails the test here, with the
 * call, the handle's origin and the explanation.  The handler returns (the
 * denied API unwinds normally); the lifecycle helpers then end the test
 * (stopped() below), and code the test runs itself sees its further calls
 * refused.
 */
static void failfast(pnpbox_machine *m, const emu_access *a, const emu_rule *r, void *ctx)
{
    (void)m;
    (void)ctx;
    cr_log_error("fail-fast: %s: %s %s '%s' (component %s, handle origin %s)\n  why: %s\n  fix: %s", r->id,
                 a->api ? a->api : "?", a->write ? "writes" : "reads", a->path ? a->path : "",
                 pnpbox_component_name(a->comp ? a->comp : pnpbox_current_component()),
                 a->absolute ? "absolute" : emu_prov_origin(a->prov), r->explanation, r->alternative);
    cr_expect_fail("isolation violation %s in fail-fast mode", r->id);
}

/* After a lifecycle step: end the test if fail-fast stopped the run. */
static void stopped(const char *step)
{
    if (pnpbox_t_machine && emu_failfast_stopped(pnpbox_t_machine))
        cr_assert_fail("%s: %s", step, pnpbox_errmsg(pnpbox_t_machine));
}

void pnpbox_fixture_init(void)
{
    pnpbox_machine_opts o = {0};
    const char *mode = getenv("PNPBOX_MODE");
    if (mode && !strcasecmp(mode, "enforce"))
        o.mode = PNPBOX_MODE_ENFORCE;
    else if (mode && (!strcasecmp(mode, "fail-fast") || !strcasecmp(mode, "failfast")))
        o.mode = PNPBOX_MODE_FAILFAST;
    int rc = pnpbox_machine_new(&o, &pnpbox_t_machine);
    cr_assert_eq(rc, 0, "cannot make a pnpbox machine: %s", pnpbox_errmsg(NULL));
    emu_set_failfast(pnpbox_t_machine, failfast, NULL);
    const char *bl = getenv("PNPBOX_BASELINE");
    if (bl && *bl) {
        FILE *f = fopen(bl, "r");
        cr_assert_not_null(f, "cannot read PNPBOX_BASELINE '%s'", bl);
        char *text = NULL;
        size_t len = 0;
        ssize_t n = getdelim(&text, &len, '\0', f);
        fclose(f);
        char err[256];
        cr_assert(n >= 0 && pnpbox_baseline_load(pnpbox_t_machine, text, err, sizeof err) == 0,
                  "bad baseline '%s': %s", bl, n >= 0 ? err : "unreadable");
        free(text);
    }
}

void pnpbox_fixture_fini(void)
{
    pnpbox_enter(NULL);
    pnpbox_report_free(cached);
    cached = NULL;
    pnpbox_machine_free(pnpbox_t_machine);
    pnpbox_t_machine = NULL;
    for (size_t i = 0; i < nowned; i++)
        free(owned[i]);
    free(owned);
    owned = NULL;
    nowned = 0;
}

static void invalidate(void)
{
    pnpbox_report_free(cached);
    cached = NULL;
}

/* ---------------------------------------------------------------- setup helpers */

const char *pnpbox_t_stage(const char *inf_path)
{
    char *oem = NULL;
    int rc = pnpbox_driver_add(M(), inf_path, &oem);
    cr_assert_eq(rc, 0, "cannot stage '%s': %s", inf_path, pnpbox_errmsg(M()));
    return keep(oem);
}

const char *pnpbox_t_install(const char *hwid)
{
    char *inst = NULL;
    int rc = pnpbox_device_add(M(), hwid, NULL, &inst);
    cr_assert_eq(rc, 0, "cannot install a device for '%s': %s", hwid, pnpbox_errmsg(M()));
    return keep(inst);
}

void pnpbox_t_devnode(const char *instance, const char *hwids, const char *service)
{
    int rc = pnpbox_devnode_create(M(), instance, hwids, service, NULL);
    cr_assert_eq(rc, 0, "cannot create device '%s': %s", instance, pnpbox_errmsg(M()));
}

void pnpbox_t_service(const char *service)
{
    pnpbox_machine *m = M();
    char rel[512];
    snprintf(rel, sizeof rel, "Services\\%s", service);
    regdb_key k;
    int rc = emu_ccs_create(m, rel, 0, &k);
    if (rc == 0)
        rc = regdb_set_dword(m->reg, k, (const uint16_t *)L"Type", 1);
    if (rc == 0)
        rc = regdb_set_dword(m->reg, k, (const uint16_t *)L"Start", 3);
    if (rc == 0)
        rc = regdb_set_dword(m->reg, k, (const uint16_t *)L"ErrorControl", 1);
    cr_assert_eq(rc, 0, "cannot create service '%s': %s", service, regdb_strerror(rc));
}

void pnpbox_t_driver_fn(const char *service, pnpbox_driver_entry_fn entry)
{
    int rc = pnpbox_driver_register(M(), service, entry);
    cr_assert_eq(rc, 0, "cannot register driver '%s': %s", service, pnpbox_errmsg(M()));
}

void pnpbox_t_driver_so(const char *service, const char *so_path)
{
    int rc = pnpbox_driver_register_so(M(), service, so_path);
    cr_assert_eq(rc, 0, "%s", pnpbox_errmsg(M()));
}

/* ---------------------------------------------------------------- lifecycle */

int32_t pnpbox_t_load(const char *service)
{
    int32_t st = 0;
    stopped("load");
    int rc = pnpbox_driver_load(M(), service, &st);
    cr_assert_eq(rc, 0, "cannot load driver '%s': %s", service, pnpbox_errmsg(M()));
    stopped("load");
    invalidate();
    return st;
}

int32_t pnpbox_t_start(const char *instance)
{
    int32_t st = 0;
    stopped("start");
    int rc = pnpbox_device_start(M(), instance, &st);
    cr_assert_eq(rc, 0, "cannot start '%s': %s", instance, pnpbox_errmsg(M()));
    stopped("start");
    invalidate();
    return st;
}

static int32_t remove_dev(const char *instance, int surprise)
{
    int32_t st = 0;
    stopped("remove");
    int rc = pnpbox_device_remove(M(), instance, surprise, &st);
    cr_assert_eq(rc, 0, "cannot remove '%s': %s", instance, pnpbox_errmsg(M()));
    stopped("remove");
    invalidate();
    return st;
}

int32_t pnpbox_t_remove(const char *instance) { return remove_dev(instance, 0); }
int32_t pnpbox_t_surprise_remove(const char *instance) { return remove_dev(instance, 1); }

int32_t pnpbox_t_unload(const char *service)
{
    int32_t st = 0;
    stopped("unload");
    int rc = pnpbox_driver_unload(M(), service, &st);
    cr_assert_eq(rc, 0, "cannot unload '%s': %s", service, pnpbox_errmsg(M()));
    stopped("unload");
    invalidate();
    return st;
}

void pnpbox_t_update(const char *instance, const char *new_inf_path)
{
    pnpbox_t_stage(new_inf_path);
    char *oldf = NULL, *newf = NULL;
    int rc = pnpbox_device_update(M(), instance, &oldf, &newf);
    cr_assert_eq(rc, 0, "cannot update '%s' to '%s': %s", instance, new_inf_path, pnpbox_errmsg(M()));
    free(oldf);
    free(newf);
    stopped("update");
    invalidate();
}

/* ---------------------------------------------------------------- identity, modes, faults */

void pnpbox_t_as_service(const char *name) { pnpbox_enter(pnpbox_component_get(M(), PNPBOX_COMP_WIN32_SERVICE, name)); }
void pnpbox_t_as_app(const char *name) { pnpbox_enter(pnpbox_component_get(M(), PNPBOX_COMP_APP, name)); }
void pnpbox_t_as_driver(const char *service)
{
    pnpbox_enter(pnpbox_component_get(M(), PNPBOX_COMP_KERNEL_DRIVER, service));
}
void pnpbox_t_as_harness(void) { pnpbox_enter(NULL); }

void pnpbox_t_mode(pnpbox_mode mode) { pnpbox_set_mode(M(), mode); }

void pnpbox_t_baseline(const char *text)
{
    char err[256];
    cr_assert_eq(pnpbox_baseline_load(M(), text, err, sizeof err), 0, "bad baseline: %s", err);
    invalidate();
}

void pnpbox_t_fail(const char *spec)
{
    cr_assert_eq(pnpbox_fault_parse(M(), spec), 0, "bad fault spec '%s' (API:N[:STATUS])", spec);
}

/* ---------------------------------------------------------------- assertions */

pnpbox_report *pnpbox_t_report(void)
{
    pnpbox_report_free(cached);
    const char *name = criterion_current_test ? criterion_current_test->name : "test";
    cached = pnpbox_report_new(name, NULL);
    cr_assert_not_null(cached, "out of memory");
    pnpbox_report_collect(cached, M(), 0);
    return cached;
}

size_t pnpbox_t_count(const char *rule, const char *path_part)
{
    pnpbox_report *r = pnpbox_t_report();
    size_t n = 0;
    for (size_t i = 0; i < pnpbox_report_violation_count(r); i++) {
        const pnpbox_finding *f = pnpbox_report_violation(r, i);
        if (rule && strcasecmp(f->rule->id, rule))
            continue;
        if (path_part && !strcasestr(f->path, path_part))
            continue;
        n++;
    }
    return n;
}

void pnpbox_t_fail_with_report(const char *file, int line, const char *what)
{
    pnpbox_report *r = pnpbox_t_report();
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (mem) {
        pnpbox_report_write(r, mem, PNPBOX_FORMAT_TEXT);
        fclose(mem);
    }
    cr_log_error("%s:%d: %s\n%s", file, line, what, buf ? buf : "");
    free(buf);
    cr_assert_fail("%s (%s:%d)", what, file, line);
}

static regdb_key open_key(const char *file, int line, const char *key)
{
    regdb_key k = 0;
    int rc = regdb_open_key_u8(M()->reg, 0, key, &k);
    cr_assert_eq(rc, 0, "%s:%d: no registry key '%s': %s", file, line, key, regdb_strerror(rc));
    return k;
}

void pnpbox_t_assert_reg_dword(const char *file, int line, const char *key, const char *value, uint32_t expect)
{
    regdb_key k = open_key(file, line, key);
    uint16_t *w = pb_wcs_from_utf8(value ? value : "");
    uint32_t v = 0;
    int rc = regdb_get_dword(M()->reg, k, w, &v);
    free(w);
    cr_assert_eq(rc, 0, "%s:%d: '%s' value '%s' is not a REG_DWORD: %s", file, line, key, value, regdb_strerror(rc));
    cr_assert_eq(v, expect, "%s:%d: '%s' value '%s' is 0x%x, expected 0x%x", file, line, key, value, v, expect);
}

void pnpbox_t_assert_reg_sz(const char *file, int line, const char *key, const char *value, const char *expect)
{
    regdb_key k = open_key(file, line, key);
    uint16_t *w = pb_wcs_from_utf8(value ? value : ""), *s = NULL;
    size_t n = 0;
    int rc = regdb_get_sz(M()->reg, k, w, &s, &n);
    free(w);
    cr_assert_eq(rc, 0, "%s:%d: '%s' value '%s' is not a string: %s", file, line, key, value, regdb_strerror(rc));
    char *u = pb_utf8_from_wcs(s, n);
    free(s);
    int ok = u && !strcmp(u, expect);
    char shown[512];
    snprintf(shown, sizeof shown, "%s", u ? u : "?");
    free(u);
    cr_assert(ok, "%s:%d: '%s' value '%s' is \"%s\", expected \"%s\"", file, line, key, value, shown, expect);
}

void pnpbox_t_assert_no_reg_key(const char *file, int line, const char *key)
{
    regdb_key k;
    cr_assert_neq(regdb_open_key_u8(M()->reg, 0, key, &k), 0, "%s:%d: registry key '%s' exists", file, line, key);
}

void pnpbox_t_assert_file(const char *file, int line, const char *path, const void *data, size_t len)
{
    const char *p = path;
    if ((p[0] == 'C' || p[0] == 'c') && p[1] == ':')
        p += 2;
    char host[8192];
    snprintf(host, sizeof host, "%s%s%s", pnpbox_volume_dir(M()), *p == '\\' ? "" : "/", p);
    for (char *c = host + strlen(pnpbox_volume_dir(M())); *c; c++)
        if (*c == '\\')
            *c = '/';
    FILE *f = fopen(host, "rb");
    cr_assert_not_null(f, "%s:%d: no file '%s' on the volume", file, line, path);
    char *buf = malloc(len + 1);
    size_t got = fread(buf, 1, len + 1, f);
    fclose(f);
    int ok = got == len && !memcmp(buf, data, len);
    free(buf);
    cr_assert(ok, "%s:%d: file '%s' has %zu bytes that differ from the %zu expected", file, line, path, got, len);
}
