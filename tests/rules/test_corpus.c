/*
 * test_corpus.c: the violation corpus run against the rules engine.
 *
 * Every case of rc_cases.c, each on a fresh world (rc_world.c):
 *   report    the call answers exactly what it answers with checking off
 *             (what Windows does), the machine ends the same, the effect
 *             happened, and the finding is recorded "reported" with the
 *             right API, path, component and handle origin;
 *   enforce   the call is denied the Windows way (STATUS_ACCESS_DENIED,
 *             ERROR_ACCESS_DENIED, CR_ACCESS_DENIED), nothing changed on the
 *             registry or the volume, the finding is recorded "denied";
 *             warnings are reported and allowed;
 *   fail-fast the call is denied as in enforce mode and changes nothing,
 *             the fail-fast handler is told once (rule, API, path,
 *             component, handle origin) and returns; from then on every
 *             call is refused without a finding (the snippet run again,
 *             a clean probe call) and the lifecycle entry points answer
 *             -ECANCELED; a warning never stops the run (reported and
 *             allowed); an IRP_MN_QUERY_INTERFACE answer stops it but
 *             stands (it was given before pnpbox saw it);
 *   first     (cases whose snippet breaks another rule earlier) without a
 *             baseline, that earlier call is the one denied or stopped at;
 *   twin      the isolated twin does the same job with no finding of any
 *             rule, in report, enforce and fail-fast mode;
 *   suppress  a baseline moves the finding to the suppressed list with its
 *             justification, and enforce mode then allows the call.
 * In enforce and fail-fast mode a case's pre-rules are suppressed by a
 * baseline, so the run reaches the call the case is about.
 *
 * Every failure message starts with the case's name.
 */
#include "pnpbox/criterion.h"
#include "pnpbox/report.h"

#include "base/pb_utf16.h"
#include "emu/emu.h"
#include "tests/rules/rc_tcommon.h"
#include "tests/support/tsupport.h"

#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define M pnpbox_t_machine

#define NT_ACCESS_DENIED ((int32_t)0xC0000022)
#define WIN32_ACCESS_DENIED 5
#define CR_ACCESS_DENIED_ 0x33

/* ---------------------------------------------------------------- snapshots of the machine */

typedef struct snap {
    char *reg;   /* .reg export of \Registry\Machine and \Registry\User */
    size_t reg_len;
    char *vol;   /* the volume: one line per entry, sorted */
} snap;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static uint64_t fnv(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static void walk(const char *root, const char *rel, char ***v, size_t *n, size_t *cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s%s", root, rel);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char sub[4096], full[8192], line[8400];
        snprintf(sub, sizeof sub, "%s/%s", rel, e->d_name);
        snprintf(full, sizeof full, "%s%s", root, sub);
        struct stat st;
        if (lstat(full, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            snprintf(line, sizeof line, "%s/", sub);
        } else {
            size_t len = 0;
            unsigned char *data = t_read_file(full, &len);
            snprintf(line, sizeof line, "%s %zu %016llx", sub, len,
                     (unsigned long long)(data ? fnv(data, len) : 0));
            free(data);
        }
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *v = realloc(*v, *cap * sizeof **v);
            cr_assert_not_null(*v);
        }
        (*v)[(*n)++] = strdup(line);
        if (S_ISDIR(st.st_mode))
            walk(root, sub, v, n, cap);
    }
    closedir(d);
}

static void snap_take(snap *s)
{
    memset(s, 0, sizeof *s);
    const char *hives[2] = {"\\Registry\\Machine", "\\Registry\\User"};
    for (int i = 0; i < 2; i++) {
        regdb_key k;
        void *d = NULL;
        size_t n = 0;
        cr_assert_eq(regdb_open_key_u8(M->reg, 0, hives[i], &k), 0);
        cr_assert_eq(regdb_export(M->reg, k, &d, &n), 0);
        char *r = realloc(s->reg, s->reg_len + n + 1);
        cr_assert_not_null(r);
        s->reg = r;
        memcpy(s->reg + s->reg_len, d, n);
        s->reg_len += n;
        s->reg[s->reg_len] = 0;
        free(d);
    }
    char **v = NULL;
    size_t n = 0, cap = 0, total = 1;
    walk(pnpbox_volume_dir(M), "", &v, &n, &cap);
    if (n)
        qsort(v, n, sizeof *v, cmp_str);
    for (size_t i = 0; i < n; i++)
        total += strlen(v[i]) + 1;
    s->vol = malloc(total);
    cr_assert_not_null(s->vol);
    s->vol[0] = 0;
    for (size_t i = 0, o = 0; i < n; i++) {
        size_t l = strlen(v[i]);
        memcpy(s->vol + o, v[i], l);
        s->vol[o + l] = '\n';
        o += l + 1;
        s->vol[o] = 0;
        free(v[i]);
    }
    free(v);
}

static void snap_free(snap *s)
{
    free(s->reg);
    free(s->vol);
    memset(s, 0, sizeof *s);
}

/* The first line where two listings differ, for messages. */
static const char *first_diff(const char *a, const char *b)
{
    static char buf[600];
    size_t i = 0;
    while (a[i] && a[i] == b[i])
        i++;
    size_t s = i;
    while (s && a[s - 1] != '\n')
        s--;
    const char *ea = strchr(a + s, '\n'), *eb = strchr(b + s, '\n');
    snprintf(buf, sizeof buf, "'%.*s' vs '%.*s'", ea ? (int)(ea - a - s) : 200, a + s, eb ? (int)(eb - b - s) : 200,
             b + s);
    return buf;
}

static void snap_same(const char *name, const snap *a, const snap *b, const char *what)
{
    cr_assert_str_eq(a->vol, b->vol, "%s: %s: the volume differs: %s", name, what, first_diff(a->vol, b->vol));
    cr_assert(a->reg_len == b->reg_len && !memcmp(a->reg, b->reg, a->reg_len), "%s: %s: the registry differs: %s",
              name, what, first_diff(a->reg, b->reg));
}

/* ---------------------------------------------------------------- the fixture */

static int want_snap; /* rc_before snapshots the machine (enforce: "nothing changed") */
static int have_at_call;
static snap at_call;

void rc_before(rc_ctx *x)
{
    (void)x;
    if (want_snap && !have_at_call) {
        snap_take(&at_call);
        have_at_call = 1;
    }
}

static void setup(void) { rc_setup(); }

static void teardown(void)
{
    rc_teardown();
    snap_free(&at_call);
    have_at_call = 0;
    want_snap = 0;
}

/* A second fresh world in the same test. */
static void remake_world(void)
{
    teardown();
    setup();
}

/* ---------------------------------------------------------------- helpers */

static const rc_case *take(int i, unsigned test)
{
    cr_assert(i >= 0 && (size_t)i < rc_ncases);
    const rc_case *c = &rc_cases[i];
    if (c->bug && (c->bug_tests & test))
        cr_skip_test("%s: skipped for a pnpbox bug: %s", c->name, c->bug);
    return c;
}

static int path_is(const char *pattern, const char *path)
{
    return path && !fnmatch(rc_expand(pattern), path, FNM_CASEFOLD | FNM_NOESCAPE);
}

static void check_finding(const rc_case *c, const pnpbox_event *e, pnpbox_outcome want)
{
    cr_assert_eq(e->outcome, want, "%s: %s recorded '%s', expected '%s'", c->name, c->rule, rc_outcome_name(e->outcome),
                 rc_outcome_name(want));
    cr_assert_str_eq(e->component, rc_who(c), "%s: the finding names component '%s', expected '%s'", c->name,
                     e->component, rc_who(c));
    cr_assert_str_eq(e->origin ? e->origin : "", c->origin, "%s: the finding's handle origin is '%s', expected '%s'",
                     c->name, e->origin ? e->origin : "", c->origin);
}

static int32_t denied(rc_status_kind k)
{
    return k == RC_NT ? NT_ACCESS_DENIED : k == RC_WIN32 ? WIN32_ACCESS_DENIED : CR_ACCESS_DENIED_;
}

static int succeeded(rc_status_kind k, int32_t st) { return k == RC_NT ? st >= 0 : st == 0; }

static int is_error(const rc_case *c)
{
    const pnpbox_rule *r = pnpbox_rule_find(c->rule);
    cr_assert_not_null(r, "%s: unknown rule %s", c->name, c->rule);
    return !strcmp(r->severity, "error");
}

/*
 * Does enforce mode deny the call?  Errors, except IFACE-CONTRACT: that rule
 * judges an IRP_MN_QUERY_INTERFACE answer the exporter has already given
 * (IoCompleteRequest), which Windows has no way to refuse, so enforce mode
 * can only report it, like a warning.
 */
static int deniable(const rc_case *c) { return is_error(c) && strcmp(c->rule, "IFACE-CONTRACT"); }

/* Call fn for each id of a space-separated list (NULL: none). */
static void each_id(const char *list, void (*fn)(const rc_case *, const char *, void *), const rc_case *c, void *ctx)
{
    char ids[256];
    snprintf(ids, sizeof ids, "%s", list ? list : "");
    char *save = NULL;
    for (char *id = strtok_r(ids, " ", &save); id; id = strtok_r(NULL, " ", &save))
        fn(c, id, ctx);
}

/* The host path of a Win32 path on the volume, matching names case-insensitively. */
static int host_path(const char *win32, char *out, size_t cap)
{
    const char *p = win32;
    if ((p[0] == 'C' || p[0] == 'c') && p[1] == ':')
        p += 2;
    snprintf(out, cap, "%s", pnpbox_volume_dir(M));
    while (*p == '\\')
        p++;
    while (*p) {
        char part[256];
        size_t n = strcspn(p, "\\");
        if (n >= sizeof part)
            return 0;
        memcpy(part, p, n);
        part[n] = 0;
        p += n;
        while (*p == '\\')
            p++;
        DIR *d = opendir(out);
        if (!d)
            return 0;
        struct dirent *e;
        int found = 0;
        while ((e = readdir(d)))
            if (!strcasecmp(e->d_name, part)) {
                size_t l = strlen(out);
                snprintf(out + l, cap - l, "/%s", e->d_name);
                found = 1;
                break;
            }
        closedir(d);
        if (!found)
            return 0;
    }
    return 1;
}

/* Does the effect hold?  why gets what was found instead. */
static int effect_holds(const rc_effect *e, const rc_ctx *x, char *why, size_t cap)
{
    snprintf(why, cap, "?");
    switch (e->kind) {
    case RC_EFF_NONE: return 0;
    case RC_EFF_OUT:
        snprintf(why, cap, "read \"%s\"", x->out);
        return !fnmatch(rc_expand(e->data), x->out, FNM_CASEFOLD | FNM_NOESCAPE);
    case RC_EFF_FILE: {
        char host[8192];
        if (!host_path(rc_expand(e->where), host, sizeof host)) {
            snprintf(why, cap, "no file '%s'", rc_expand(e->where));
            return 0;
        }
        size_t len = 0;
        unsigned char *d = t_read_file(host, &len);
        int ok = d && len == strlen(e->data) && !memcmp(d, e->data, len);
        snprintf(why, cap, "'%s' holds %zu bytes", rc_expand(e->where), d ? len : 0);
        free(d);
        return ok;
    }
    case RC_EFF_REG_SZ:
    case RC_EFF_REG_DWORD: {
        regdb_key k;
        const char *key = rc_expand(e->where);
        if (regdb_open_key_u8(M->reg, 0, key, &k) < 0) {
            snprintf(why, cap, "no key '%s'", key);
            return 0;
        }
        uint16_t *name = pb_wcs_from_utf8(e->name);
        int ok = 0;
        if (e->kind == RC_EFF_REG_DWORD) {
            uint32_t v = 0;
            ok = regdb_get_dword(M->reg, k, name, &v) == 0 && v == strtoul(e->data, NULL, 10);
            snprintf(why, cap, "'%s' value '%s' is %s%u", key, e->name, ok ? "" : "absent or ", v);
        } else {
            uint16_t *s = NULL;
            size_t n = 0;
            if (regdb_get_sz(M->reg, k, name, &s, &n) == 0) {
                ok = !strcmp(t_u8(s, n), e->data);
                snprintf(why, cap, "'%s' value '%s' is \"%s\"", key, e->name, t_u8(s, n));
            } else {
                snprintf(why, cap, "'%s' has no value '%s'", key, e->name);
            }
            free(s);
        }
        free(name);
        return ok;
    }
    }
    return 0;
}

/* Baseline lines suppressing the case's pre-rules for its component. */
static void suppress_pre(const rc_case *c)
{
    if (!c->pre)
        return;
    char text[1024], ids[256];
    size_t o = 0;
    snprintf(ids, sizeof ids, "%s", c->pre);
    char *save = NULL;
    for (char *id = strtok_r(ids, " ", &save); id; id = strtok_r(NULL, " ", &save))
        o += (size_t)snprintf(text + o, sizeof text - o, "%s component=%s the corpus isolates %s\n", id, rc_who(c),
                              c->rule);
    pnpbox_t_baseline(text);
}

static void world_is_clean(const rc_case *c)
{
    if (pnpbox_t_count(NULL, NULL)) {
        cr_log_error("%s: the world was not clean before the snippet ran", c->name);
        pnpbox_t_fail_with_report(__FILE__, __LINE__, "the corpus world must make no finding");
    }
}

/* ---------------------------------------------------------------- parameters */

static void free_params(struct criterion_test_params *p) { cr_free(p->params); }

/* Every case, or only those with pre-rules. */
static struct criterion_test_params case_params(int only_pre)
{
    int *idx = cr_malloc(sizeof(int) * (rc_ncases ? rc_ncases : 1));
    size_t n = 0;
    for (size_t i = 0; i < rc_ncases; i++)
        if (!only_pre || rc_cases[i].pre)
            idx[n++] = (int)i;
    return cr_make_param_array(int, idx, n, free_params);
}

ParameterizedTestParameters(rules_corpus, report_allows_as_windows_does_and_records) { return case_params(0); }
ParameterizedTestParameters(rules_corpus, enforce_denies_and_changes_nothing) { return case_params(0); }
ParameterizedTestParameters(rules_corpus, failfast_denies_and_stops_at_the_call) { return case_params(0); }
ParameterizedTestParameters(rules_corpus, failfast_without_baseline_stops_at_the_first_violation)
{
    return case_params(1);
}
ParameterizedTestParameters(rules_corpus, enforce_without_baseline_denies_the_first_violation)
{
    return case_params(1);
}
ParameterizedTestParameters(rules_corpus, twin_is_clean_in_report_mode) { return case_params(0); }
ParameterizedTestParameters(rules_corpus, twin_is_clean_in_enforce_mode) { return case_params(0); }
ParameterizedTestParameters(rules_corpus, twin_is_clean_in_failfast_mode) { return case_params(0); }
ParameterizedTestParameters(rules_corpus, baseline_moves_the_finding_to_suppressed) { return case_params(0); }

/* ---------------------------------------------------------------- report */

/* The snippet's other rules are on record too, as reported. */
static void recorded_reported(const rc_case *c, const char *id, void *ctx)
{
    (void)ctx;
    const pnpbox_event *p = rc_event_with(id, NULL);
    cr_assert_not_null(p, "%s: %s was not recorded:%s", c->name, id, rc_events_text());
    cr_assert_eq(p->outcome, PNPBOX_OUTCOME_REPORTED, "%s: %s recorded '%s'", c->name, id, rc_outcome_name(p->outcome));
}

ParameterizedTest(int *i, rules_corpus, report_allows_as_windows_does_and_records, .init = setup, .fini = teardown,
                  .timeout = RC_TIMEOUT)
{
    const rc_case *c = take(*i, RC_T_REPORT);
    world_is_clean(c);

    /* What the code does without pnpbox's checking: the Windows behaviour. */
    pnpbox_set_checking(M, 0);
    rc_run_as(c, c->bad);
    rc_ctx off = rc_x;
    snap s_off;
    snap_take(&s_off);
    cr_assert_eq(pnpbox_event_count(M), rc_first, "%s: checking off still recorded events", c->name);

    /* The same on a fresh world, checked, in report mode. */
    remake_world();
    want_snap = 1;
    rc_run_as(c, c->bad);
    cr_assert(rc_x.after, "%s: the call under test never ran", c->name);
    cr_assert_eq(rc_x.st, c->report_st, "%s: report mode answered 0x%08x, Windows answers 0x%08x", c->name,
                 (unsigned)rc_x.st, (unsigned)c->report_st);
    cr_assert_eq(rc_x.st, off.st, "%s: report mode answered 0x%08x, unchecked 0x%08x", c->name, (unsigned)rc_x.st,
                 (unsigned)off.st);
    cr_assert_eq(rc_x.done, off.done, "%s: the snippet ran %s with checking off", c->name,
                 off.done ? "to its end only" : "further than");
    cr_assert_str_eq(rc_x.out, off.out, "%s: read \"%s\", unchecked \"%s\"", c->name, rc_x.out, off.out);
    char why[1200];
    if (c->effect.kind != RC_EFF_NONE)
        cr_assert(effect_holds(&c->effect, &rc_x, why, sizeof why), "%s: the effect did not happen: %s", c->name, why);
    snap now;
    snap_take(&now);
    if (!succeeded(c->sk, c->report_st)) {
        cr_assert(have_at_call, "%s: RC_BEFORE never ran", c->name);
        snap_same(c->name, &at_call, &now, "Windows refuses the call, so nothing may change");
    }
    snap_same(c->name, &s_off, &now, "the machine must end as it does without checking");
    snap_free(&now);
    snap_free(&s_off);

    const pnpbox_event *e = rc_finding(c, c->rule);
    check_finding(c, e, PNPBOX_OUTCOME_REPORTED);
    if (succeeded(c->sk, c->report_st))
        cr_assert_geq(e->status, 0, "%s: the finding's status is 0x%08x", c->name, (unsigned)e->status);
    else
        cr_assert_eq(e->status, NT_ACCESS_DENIED, "%s: the finding's status is 0x%08x", c->name,
                     (unsigned)e->status);
    each_id(c->pre, recorded_reported, c, NULL);
    each_id(c->also, recorded_reported, c, NULL);
    cr_assert_geq(pnpbox_t_count(c->rule, NULL), 1, "%s: the harness's report misses %s", c->name, c->rule);
}

/* ---------------------------------------------------------------- enforce */

ParameterizedTest(int *i, rules_corpus, enforce_denies_and_changes_nothing, .init = setup, .fini = teardown,
                  .timeout = RC_TIMEOUT)
{
    const rc_case *c = take(*i, RC_T_ENFORCE);
    world_is_clean(c);
    suppress_pre(c);
    pnpbox_t_mode(PNPBOX_MODE_ENFORCE);
    want_snap = 1;
    rc_run_as(c, c->bad);
    cr_assert(rc_x.after, "%s: the call under test never ran", c->name);
    const pnpbox_event *e = rc_finding(c, c->rule);
    char why[1200];
    if (deniable(c)) {
        cr_assert_eq(rc_x.st, denied(c->sk), "%s: enforce mode answered 0x%08x, expected 0x%08x", c->name,
                     (unsigned)rc_x.st, (unsigned)denied(c->sk));
        cr_assert(!rc_x.done, "%s: the snippet went on as if the call had succeeded", c->name);
        if (c->effect.kind != RC_EFF_NONE)
            cr_assert(!effect_holds(&c->effect, &rc_x, why, sizeof why), "%s: the denied call had its effect: %s",
                      c->name, why);
        snap now;
        snap_take(&now);
        cr_assert(have_at_call, "%s: RC_BEFORE never ran", c->name);
        snap_same(c->name, &at_call, &now, "a denied call changes nothing");
        snap_free(&now);
        check_finding(c, e, PNPBOX_OUTCOME_DENIED);
        cr_assert_eq(e->status, NT_ACCESS_DENIED, "%s: the denied access recorded status 0x%08x", c->name,
                     (unsigned)e->status);
    } else {
        /* A warning (or an answer already given): reported, and the call goes through as in report mode. */
        cr_assert_eq(rc_x.st, c->report_st, "%s: enforce mode answered 0x%08x to %s, expected 0x%08x", c->name,
                     (unsigned)rc_x.st, c->rule, (unsigned)c->report_st);
        cr_assert(rc_x.done, "%s: the snippet did not finish", c->name);
        if (c->effect.kind != RC_EFF_NONE)
            cr_assert(effect_holds(&c->effect, &rc_x, why, sizeof why), "%s: the effect did not happen: %s", c->name,
                      why);
        check_finding(c, e, PNPBOX_OUTCOME_REPORTED);
    }
}

/* ---------------------------------------------------------------- fail-fast */

/* What the fail-fast handler was handed, the first time, and how often it ran. */
static struct {
    int hits;
    char rule[64], api[128], path[2048], comp[128], origin[256];
} ff;

/*
 * Records what the engine hands over and returns, as the design asks
 * (emu_set_failfast): the denied API then unwinds normally, so a fail-fast
 * run is leak-checked like any other.
 */
static void ff_handler(pnpbox_machine *m, const emu_access *a, const emu_rule *r, void *ctx)
{
    (void)m;
    (void)ctx;
    if (ff.hits++)
        return;
    snprintf(ff.rule, sizeof ff.rule, "%s", r->id);
    snprintf(ff.api, sizeof ff.api, "%s", a->api ? a->api : "");
    /* Files are handed over as volume paths (\Windows\...): show them as Windows names them. */
    snprintf(ff.path, sizeof ff.path, "%s%s", a->kind == EMU_ACC_FILE ? "C:" : "", a->path ? a->path : "");
    pnpbox_component *c = a->comp ? a->comp : pnpbox_current_component();
    snprintf(ff.comp, sizeof ff.comp, "%s", c ? pnpbox_component_name(c) : "");
    snprintf(ff.origin, sizeof ff.origin, "%s", a->absolute ? "absolute" : emu_prov_origin(a->prov));
}

/* Run fn as the case's component in fail-fast mode, with ff_handler (left installed, so a second stop counts). */
static void run_failfast(const rc_case *c, rc_snippet fn)
{
    pnpbox_t_mode(PNPBOX_MODE_FAILFAST);
    emu_set_failfast(M, ff_handler, NULL);
    rc_run_as(c, fn);
}

/* The audit index of an event. */
static size_t event_index(const pnpbox_event *e)
{
    for (size_t k = rc_first; k < pnpbox_event_count(M); k++)
        if (pnpbox_event_get(M, k) == e)
            return k;
    cr_assert_fail("the event is not in the audit");
    return 0;
}

/* After the stop at event `stop`, nothing is judged any more: no event after it breaks a rule. */
static void nothing_judged_after(const rc_case *c, size_t stop, const char *when)
{
    for (size_t k = stop + 1; k < pnpbox_event_count(M); k++) {
        const pnpbox_event *e = pnpbox_event_get(M, k);
        cr_assert(!*e->rules, "%s: %s, %s '%s' by %s was still judged [%s]:%s", c->name, when, e->api,
                  e->path ? e->path : "", e->component, e->rules, rc_events_text());
    }
}

/* How a refused call answers for the component (the probe's API family): NTSTATUS in kernel mode, Win32 in user mode. */
static int32_t probe_denied(const rc_case *c)
{
    return c->kind == PNPBOX_COMP_KERNEL_DRIVER ? NT_ACCESS_DENIED : WIN32_ACCESS_DENIED;
}

/*
 * After a stop: every later call of a judged component is refused (the
 * snippet run again and a clean probe call), nothing more is judged or
 * handed to the handler, nothing changes, and the lifecycle entry points
 * refuse to go on.
 */
static void stays_stopped(const rc_case *c, const pnpbox_event *stop_ev)
{
    size_t stop = event_index(stop_ev);
    nothing_judged_after(c, stop, "after the stop, in the same snippet");
    /*
     * The snippet again (an UPDATE-STALE-PATH snippet updates the package
     * first, which the harness refuses after a stop, so only the probe runs
     * for those).  An IRP_MN_QUERY_INTERFACE answer cannot be refused (it
     * is given before pnpbox sees it), so the QUERY_INTERFACE snippets go
     * through; only the probe shows they are stopped.
     */
    if (strcmp(c->rule, "UPDATE-STALE-PATH") && deniable(c)) {
        run_failfast(c, c->bad);
        cr_assert(!rc_x.done, "%s: after the stop the snippet ran to its end again", c->name);
        if (rc_x.pre_done)
            cr_assert_eq(rc_x.st_pre, denied(c->sk), "%s: after the stop its first call answered 0x%08x", c->name,
                         (unsigned)rc_x.st_pre);
        if (rc_x.after)
            cr_assert_eq(rc_x.st, denied(c->sk), "%s: after the stop the call answered 0x%08x", c->name,
                         (unsigned)rc_x.st);
    }
    run_failfast(c, rc_probe(c));
    cr_assert(rc_x.after, "%s: the probe never made its call", c->name);
    cr_assert_eq(rc_x.st, probe_denied(c), "%s: after the stop a clean call answered 0x%08x, expected 0x%08x", c->name,
                 (unsigned)rc_x.st, (unsigned)probe_denied(c));
    cr_assert(!rc_x.done, "%s: the probe went on after its refused call", c->name);
    nothing_judged_after(c, stop, "after the stop, in later calls");
    cr_assert_eq(ff.hits, 1, "%s: the fail-fast handler ran %d times", c->name, ff.hits);
    /* Nothing changed since the call the run stopped at. */
    snap now;
    snap_take(&now);
    cr_assert(have_at_call, "%s: RC_BEFORE never ran", c->name);
    snap_same(c->name, &at_call, &now, "fail-fast stopped at the call, so nothing may change from there on");
    snap_free(&now);
    /* The lifecycle refuses to go on, naming the violation. */
    int32_t st = (int32_t)0xdeadbeef;
    cr_assert_eq(pnpbox_device_start(M, RC_OTHER_DEV, &st), -ECANCELED, "%s: a start after the stop", c->name);
    cr_assert_eq(st, (int32_t)0xdeadbeef, "%s: a refused start set a status", c->name);
    cr_assert(strstr(pnpbox_errmsg(M), ff.rule), "%s: the message does not name %s: %s", c->name, ff.rule,
              pnpbox_errmsg(M));
    cr_assert_eq(pnpbox_device_remove(M, RC_DEV, 0, &st), -ECANCELED, "%s: a remove after the stop", c->name);
    cr_assert_eq(pnpbox_driver_unload(M, RC_OTHER, &st), -ECANCELED, "%s: an unload after the stop", c->name);
}

ParameterizedTest(int *i, rules_corpus, failfast_denies_and_stops_at_the_call, .init = setup, .fini = teardown,
                  .timeout = RC_TIMEOUT)
{
    const rc_case *c = take(*i, RC_T_FAILFAST);
    world_is_clean(c);
    suppress_pre(c);
    memset(&ff, 0, sizeof ff);
    want_snap = 1;
    run_failfast(c, c->bad);
    cr_assert(rc_x.after, "%s: the call under test never ran", c->name);
    const pnpbox_event *e = rc_finding(c, c->rule);
    char why[1200];
    if (!is_error(c)) {
        /* A warning never stops a run: reported and allowed, as in report mode. */
        cr_assert_eq(ff.hits, 0, "%s: the warning %s called the fail-fast handler (%s)", c->name, c->rule, ff.rule);
        cr_assert(!emu_failfast_stopped(M), "%s: the warning %s stopped the run", c->name, c->rule);
        cr_assert_eq(rc_x.st, c->report_st, "%s: fail-fast mode answered 0x%08x to a warning, expected 0x%08x",
                     c->name, (unsigned)rc_x.st, (unsigned)c->report_st);
        cr_assert(rc_x.done, "%s: the snippet did not finish after a warning", c->name);
        if (c->effect.kind != RC_EFF_NONE)
            cr_assert(effect_holds(&c->effect, &rc_x, why, sizeof why), "%s: the effect did not happen: %s", c->name,
                      why);
        check_finding(c, e, PNPBOX_OUTCOME_REPORTED);
        /* The run goes on: later calls are judged as ever, and a lifecycle step runs. */
        run_failfast(c, rc_probe(c));
        cr_assert(rc_x.done && rc_x.st == 0, "%s: a clean call after a warning answered 0x%08x", c->name,
                  (unsigned)rc_x.st);
        int32_t st = (int32_t)0xdeadbeef;
        cr_assert_eq(pnpbox_device_start(M, RC_DEV, &st), 0, "%s: %s", c->name, pnpbox_errmsg(M));
        cr_assert_eq(st, 0, "%s: starting a started device answered 0x%08x", c->name, (unsigned)st);
        return;
    }
    /* The handler was told once, with the call, the handle's origin and the component. */
    cr_assert_eq(ff.hits, 1, "%s: the fail-fast handler ran %d times:%s", c->name, ff.hits, rc_events_text());
    cr_assert_str_eq(ff.rule, c->rule, "%s: fail-fast stopped at %s, expected %s", c->name, ff.rule, c->rule);
    cr_assert_str_eq(ff.api, c->api, "%s: fail-fast was handed API %s, expected %s", c->name, ff.api, c->api);
    cr_assert(path_is(c->path, ff.path), "%s: fail-fast was handed path '%s', expected '%s'", c->name, ff.path,
              rc_expand(c->path));
    cr_assert_str_eq(ff.comp, rc_who(c), "%s: fail-fast was handed component %s", c->name, ff.comp);
    cr_assert_str_eq(ff.origin, c->origin, "%s: fail-fast was handed origin %s", c->name, ff.origin);
    cr_assert(emu_failfast_stopped(M), "%s: the run did not stop", c->name);
    if (deniable(c)) {
        /* Denied as enforce denies it: the Windows status, no effect, the finding "denied". */
        cr_assert_eq(rc_x.st, denied(c->sk), "%s: fail-fast mode answered 0x%08x, expected 0x%08x", c->name,
                     (unsigned)rc_x.st, (unsigned)denied(c->sk));
        cr_assert(!rc_x.done, "%s: the snippet went on as if the call had succeeded", c->name);
        if (c->effect.kind != RC_EFF_NONE)
            cr_assert(!effect_holds(&c->effect, &rc_x, why, sizeof why), "%s: the denied call had its effect: %s",
                      c->name, why);
        check_finding(c, e, PNPBOX_OUTCOME_DENIED);
        cr_assert_eq(e->status, NT_ACCESS_DENIED, "%s: the denied access recorded status 0x%08x", c->name,
                     (unsigned)e->status);
    } else {
        /* An IRP_MN_QUERY_INTERFACE answer was given before pnpbox saw it: it stands, reported, and the run stops. */
        cr_assert_eq(rc_x.st, c->report_st, "%s: the importer got 0x%08x", c->name, (unsigned)rc_x.st);
        check_finding(c, e, PNPBOX_OUTCOME_REPORTED);
    }
    stays_stopped(c, e);
}

ParameterizedTest(int *i, rules_corpus, failfast_without_baseline_stops_at_the_first_violation, .init = setup,
                  .fini = teardown, .timeout = RC_TIMEOUT)
{
    const rc_case *c = take(*i, RC_T_FIRST);
    world_is_clean(c);
    memset(&ff, 0, sizeof ff);
    want_snap = 1;
    run_failfast(c, c->bad);
    cr_assert_eq(ff.hits, 1, "%s: the fail-fast handler ran %d times:%s", c->name, ff.hits, rc_events_text());
    cr_assert(rc_has_rule(c->pre, ff.rule), "%s: fail-fast stopped at %s, expected one of %s", c->name, ff.rule,
              c->pre);
    if (rc_x.pre_done) {
        /* An earlier call breaks the pre-rules: it is the one denied, and the snippet stops there. */
        cr_assert_eq(rc_x.st_pre, denied(c->sk), "%s: the earlier call answered 0x%08x", c->name,
                     (unsigned)rc_x.st_pre);
        cr_assert(!rc_x.after, "%s: the call under test ran after the stop", c->name);
    } else {
        /* The call under test breaks the pre-rules itself: denied for them. */
        cr_assert(rc_x.after, "%s: the call under test never ran", c->name);
        cr_assert_eq(rc_x.st, denied(c->sk), "%s: fail-fast mode answered 0x%08x", c->name, (unsigned)rc_x.st);
    }
    cr_assert(!rc_x.done, "%s: the snippet ran to its end after the stop", c->name);
    const pnpbox_event *e = rc_event_with(ff.rule, NULL);
    cr_assert_not_null(e, "%s: no %s finding:%s", c->name, ff.rule, rc_events_text());
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_DENIED, "%s: %s recorded '%s'", c->name, e->rules,
                 rc_outcome_name(e->outcome));
    cr_assert_eq(e->status, NT_ACCESS_DENIED, "%s: the stop recorded status 0x%08x", c->name, (unsigned)e->status);
    /* The call the case is about was judged no more: its rule is not on record. */
    if (!rc_x.after || rc_x.pre_done)
        cr_assert_null(rc_event_with(c->rule, NULL), "%s: %s was judged after the stop", c->name, c->rule);
    stays_stopped(c, e);
}

ParameterizedTest(int *i, rules_corpus, enforce_without_baseline_denies_the_first_violation, .init = setup,
                  .fini = teardown, .timeout = RC_TIMEOUT)
{
    const rc_case *c = take(*i, RC_T_FIRST);
    world_is_clean(c);
    pnpbox_t_mode(PNPBOX_MODE_ENFORCE);
    rc_run_as(c, c->bad);
    if (rc_x.pre_done) {
        /* An earlier call breaks the pre-rules: it is the one denied, and the snippet stops there. */
        cr_assert_eq(rc_x.st_pre, denied(c->sk), "%s: the earlier call answered 0x%08x", c->name, (unsigned)rc_x.st_pre);
        cr_assert(!rc_x.after, "%s: the call under test ran after a denied call", c->name);
    } else {
        /* The call under test breaks the pre-rules itself: denied for them. */
        cr_assert(rc_x.after, "%s: the call under test never ran", c->name);
        cr_assert_eq(rc_x.st, denied(c->sk), "%s: enforce mode answered 0x%08x", c->name, (unsigned)rc_x.st);
    }
    char ids[256];
    snprintf(ids, sizeof ids, "%s", c->pre);
    char *save = NULL;
    const pnpbox_event *e = NULL;
    for (char *id = strtok_r(ids, " ", &save); id && !e; id = strtok_r(NULL, " ", &save))
        e = rc_event_with(id, NULL);
    cr_assert_not_null(e, "%s: no %s finding:%s", c->name, c->pre, rc_events_text());
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_DENIED, "%s: %s recorded '%s'", c->name, e->rules,
                 rc_outcome_name(e->outcome));
}

/* ---------------------------------------------------------------- twins */

static void twin(const rc_case *c, pnpbox_mode mode)
{
    world_is_clean(c);
    pnpbox_t_mode(mode);
    rc_run_as(c, c->twin);
    for (size_t k = rc_first; k < pnpbox_event_count(M); k++) {
        const pnpbox_event *e = pnpbox_event_get(M, k);
        cr_assert(!e->rules || !*e->rules, "%s: the isolated twin broke %s (%s '%s'):%s", c->name, e->rules, e->api,
                  e->path ? e->path : "", rc_events_text());
    }
    cr_assert_eq(pnpbox_t_count(NULL, NULL), 0, "%s: the harness counts findings for the twin", c->name);
    cr_assert(rc_x.after, "%s: the twin's main call never ran", c->name);
    cr_assert(succeeded(c->sk, rc_x.st), "%s: the twin's main call failed: 0x%08x", c->name, (unsigned)rc_x.st);
    cr_assert(rc_x.done, "%s: the twin did not finish its job", c->name);
    char why[1200];
    cr_assert(effect_holds(&c->twin_effect, &rc_x, why, sizeof why), "%s: the twin's effect did not happen: %s", c->name,
              why);
}

ParameterizedTest(int *i, rules_corpus, twin_is_clean_in_report_mode, .init = setup, .fini = teardown, .timeout = RC_TIMEOUT)
{
    twin(take(*i, RC_T_TWIN), PNPBOX_MODE_REPORT);
}

ParameterizedTest(int *i, rules_corpus, twin_is_clean_in_enforce_mode, .init = setup, .fini = teardown, .timeout = RC_TIMEOUT)
{
    twin(take(*i, RC_T_TWIN), PNPBOX_MODE_ENFORCE);
}

/* Fail-fast mode: the isolated twin never stops the run (the harness's handler fails the test if it does). */
ParameterizedTest(int *i, rules_corpus, twin_is_clean_in_failfast_mode, .init = setup, .fini = teardown,
                  .timeout = RC_TIMEOUT)
{
    const rc_case *c = take(*i, RC_T_TWIN);
    twin(c, PNPBOX_MODE_FAILFAST);
    cr_assert(!emu_failfast_stopped(M), "%s: the twin stopped the run", c->name);
}

/* ---------------------------------------------------------------- suppressions */

/* A baseline glob for a finding's path: however the drive is spelt, spaces as '?' (the
 * baseline format splits its fields at spaces), and anything below it. */
static const char *path_glob(const char *pattern)
{
    static char buf[1024];
    const char *p = rc_expand(pattern);
    if (p[0] && p[1] == ':')
        p += 2;
    size_t o = 0;
    buf[o++] = '*';
    for (; *p && o + 2 < sizeof buf; p++)
        buf[o++] = *p == ' ' ? '?' : *p;
    buf[o++] = '*';
    buf[o] = 0;
    return buf;
}

typedef struct baseline_text {
    char text[4096];
    size_t o;
} baseline_text;

static void add_line(const rc_case *c, const char *id, void *ctx)
{
    baseline_text *b = ctx;
    b->o += (size_t)snprintf(b->text + b->o, sizeof b->text - b->o, "%s component=%s %s: another call of %s\n", id,
                             rc_who(c), id, c->name);
}

/* Suppress the case's rule for its component at its path with `why`, and its other rules. */
static void suppress_all(const rc_case *c, const char *why)
{
    baseline_text b;
    b.o = (size_t)snprintf(b.text, sizeof b.text, "%s component=%s path=%s %s\n", c->rule, rc_who(c), path_glob(c->path),
                           why);
    each_id(c->pre, add_line, c, &b);
    each_id(c->also, add_line, c, &b);
    pnpbox_t_baseline(b.text);
}

ParameterizedTestParameters(rules_corpus, suppressed_finding_keeps_its_justification) { return case_params(0); }

ParameterizedTest(int *i, rules_corpus, baseline_moves_the_finding_to_suppressed, .init = setup, .fini = teardown,
                  .timeout = RC_TIMEOUT)
{
    const rc_case *c = take(*i, RC_T_SUPPRESS);
    world_is_clean(c);
    suppress_all(c, "legacy code, removed in 2.0");
    /* In enforce mode: a suppressed finding does not deny the call either. */
    pnpbox_t_mode(PNPBOX_MODE_ENFORCE);
    rc_run_as(c, c->bad);
    cr_assert(rc_x.after, "%s: the call under test never ran", c->name);
    cr_assert_eq(rc_x.st, c->report_st, "%s: a suppressed call answered 0x%08x, expected 0x%08x", c->name,
                 (unsigned)rc_x.st, (unsigned)c->report_st);
    char why[1200];
    if (c->effect.kind != RC_EFF_NONE)
        cr_assert(effect_holds(&c->effect, &rc_x, why, sizeof why), "%s: the effect did not happen: %s", c->name, why);
    const pnpbox_event *e = rc_finding(c, c->rule);
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_SUPPRESSED, "%s: the event of %s is '%s' [%s]", c->name, c->rule,
                 rc_outcome_name(e->outcome), e->rules);
    cr_assert_eq(pnpbox_t_count(c->rule, NULL), 0, "%s: %s is still counted as a violation", c->name, c->rule);
    cr_assert_eq(pnpbox_t_count(NULL, NULL), 0, "%s: findings remain:%s", c->name, rc_events_text());
    jv *root = rc_json_report();
    cr_assert_not_null(rc_json_finding(root, "suppressed", c->rule, c->api),
                       "%s: %s is not in the report's suppressed list", c->name, c->rule);
    cr_assert_null(rc_json_finding(root, "violations", c->rule, c->api), "%s: %s is also listed as a violation",
                   c->name, c->rule);
    json_free(root);
}

ParameterizedTest(int *i, rules_corpus, suppressed_finding_keeps_its_justification, .init = setup, .fini = teardown,
                  .timeout = RC_TIMEOUT)
{
    const rc_case *c = take(*i, RC_T_SUPPRESS | RC_T_JUSTIFY);
    world_is_clean(c);
    char why_rule[256];
    snprintf(why_rule, sizeof why_rule, "legacy %s, removed in 2.0 (ticket CORPUS-%d)", c->name, *i);
    suppress_all(c, why_rule);
    rc_run_as(c, c->bad);
    jv *root = rc_json_report();
    const jv *s = rc_json_finding(root, "suppressed", c->rule, c->api);
    cr_assert_not_null(s, "%s: %s is not in the report's suppressed list", c->name, c->rule);
    const jv *j = json_get(s, "justification");
    cr_assert(j && j->t == J_STR && !strcmp(j->str, why_rule), "%s: the suppressed %s carries justification '%s'",
              c->name, c->rule, j && j->t == J_STR ? j->str : "(none)");
    json_free(root);
}
