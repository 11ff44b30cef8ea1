/*
 * test_baseline.c: suppressions (baselines) on corpus snippets beyond the
 * per-case tests of test_corpus.c: one family glob per rule family
 * (REG-*, FILE-*, IFACE-*, UPDATE-*) moving every finding of the family to
 * the suppressed list with its justification; suppressing one rule of a
 * call that breaks two (in report, enforce and fail-fast mode); a baseline
 * path written the way reports print it (C:\...), and quoted when it holds
 * a space.
 */
#include "tests/rules/rc_tcommon.h"

#include "emu/emu.h"

#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#define M pnpbox_t_machine

/* ---------------------------------------------------------------- one glob per family */

typedef struct family_case {
    const char *glob;
    const char *name; /* the corpus case it suppresses */
} family_case;

static const family_case families[] = {
    {"REG-*", "reg_abs_zwcreatekey_software"},     /* REG-ABSOLUTE-PATH, then REG-FOREIGN-HANDLE */
    {"REG-*", "reg_foreign_laundered_keyname"},    /* the laundered handle */
    {"FILE-*", "file_outside_drivers_log"},        /* FILE-ABSOLUTE-PATH and FILE-OUTSIDE-STATE in one call */
    {"FILE-*", "file_ddroot_driverdata_log"},      /* a warning */
    {"IFACE-*", "iface_nonotify_app_cm_list"},     /* user mode */
    {"IFACE-*", "iface_qi_answer_too_large"},      /* found on the exporter, not on the caller */
    {"UPDATE-*", "update_stale_app_not_restarted"},
};

static void free_params(struct criterion_test_params *p) { cr_free(p->params); }

ParameterizedTestParameters(rules_baseline, family_glob_suppresses_the_family)
{
    size_t n = sizeof families / sizeof families[0];
    int *idx = cr_malloc(sizeof(int) * n);
    for (size_t i = 0; i < n; i++)
        idx[i] = (int)i;
    return cr_make_param_array(int, idx, n, free_params);
}

ParameterizedTest(int *i, rules_baseline, family_glob_suppresses_the_family, .init = rc_setup, .fini = rc_teardown,
                  .timeout = RC_TIMEOUT)
{
    const family_case *f = &families[*i];
    const rc_case *c = rc_case_named(f->name);
    char text[512], why[200];
    snprintf(why, sizeof why, "%s: %s findings accepted until the 2.0 rework", c->name, f->glob);
    snprintf(text, sizeof text, "# corpus baseline\n%s component=%s %s\n", f->glob, rc_who(c), why);
    pnpbox_t_baseline(text);
    rc_run_as(c, c->bad);
    cr_assert(rc_x.after, "%s: the call under test never ran", c->name);
    cr_assert_eq(rc_x.st, c->report_st, "%s: answered 0x%08x under a baseline", c->name, (unsigned)rc_x.st);
    const pnpbox_event *e = rc_finding(c, c->rule);
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_SUPPRESSED, "%s: the event is '%s' [%s]", c->name,
                 rc_outcome_name(e->outcome), e->rules);
    cr_assert_str_eq(e->justification ? e->justification : "", why, "%s: the event's justification", c->name);
    cr_assert_eq(pnpbox_t_count(NULL, NULL), 0, "%s: %s left findings:%s", c->name, f->glob, rc_events_text());
    jv *root = rc_json_report();
    const jv *s = rc_json_finding(root, "suppressed", c->rule, c->api);
    cr_assert_not_null(s, "%s: %s is not in the suppressed list", c->name, c->rule);
    const jv *j = json_get(s, "justification");
    cr_assert(j && j->t == J_STR && !strcmp(j->str, why), "%s: suppressed with justification '%s'", c->name,
              j && j->t == J_STR ? j->str : "(none)");
    const jv *v = json_get(root, "violations");
    cr_assert(v && v->t == J_ARR && v->n == 0, "%s: the report still lists violations", c->name);
    json_free(root);
}

/* A glob for another component suppresses nothing. */
Test(rules_baseline, baseline_of_another_component_suppresses_nothing, .init = rc_setup, .fini = rc_teardown,
     .timeout = RC_TIMEOUT)
{
    const rc_case *c = rc_case_named("reg_abs_zwcreatekey_software");
    pnpbox_t_baseline("REG-* component=rcother accepted for rcother only\n");
    rc_run_as(c, c->bad);
    const pnpbox_event *e = rc_finding(c, c->rule);
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_REPORTED, "%s: the event is '%s'", c->name, rc_outcome_name(e->outcome));
    cr_assert_geq(pnpbox_t_count("REG-ABSOLUTE-PATH", NULL), 1);
}

/* ---------------------------------------------------------------- one rule of a call that breaks two */

/*
 * rcdrv's log in System32\drivers breaks FILE-ABSOLUTE-PATH and
 * FILE-OUTSIDE-STATE in the same ZwCreateFile.  A team that accepts the
 * location for now (suppresses FILE-OUTSIDE-STATE) must still see the
 * absolute path reported, and only that, with the suppressed rule keeping
 * its own justification.
 */
static void one_of_two(pnpbox_mode mode)
{
    const rc_case *c = rc_case_named("file_outside_drivers_log");
    const char *why = "the log moves to the Data directory in 2.0";
    char text[256];
    snprintf(text, sizeof text, "FILE-OUTSIDE-STATE component=rcdrv %s\n", why);
    pnpbox_t_baseline(text);
    pnpbox_t_mode(mode);
    rc_run_as(c, c->bad);
    pnpbox_t_mode(PNPBOX_MODE_REPORT);
    const pnpbox_event *e = rc_finding(c, "FILE-ABSOLUTE-PATH");
    cr_assert(rc_has_rule(e->rules, "FILE-OUTSIDE-STATE"), "%s: the call breaks [%s]", c->name, e->rules);
    pnpbox_outcome fate = mode == PNPBOX_MODE_REPORT ? PNPBOX_OUTCOME_REPORTED : PNPBOX_OUTCOME_DENIED;
    cr_assert_eq(e->outcome, fate, "%s: the event is '%s'", c->name, rc_outcome_name(e->outcome));
    cr_assert_eq(rc_x.st, mode == PNPBOX_MODE_REPORT ? c->report_st : (int32_t)0xC0000022,
                 "%s: the call answered 0x%08x", c->name, (unsigned)rc_x.st);
    cr_assert_eq(e->nfindings, 2, "%s: [%s]", c->name, e->rules);
    for (size_t i = 0; i < e->nfindings; i++) {
        const pnpbox_event_finding *f = &e->findings[i];
        if (!strcmp(f->rule, "FILE-OUTSIDE-STATE")) {
            cr_assert_eq(f->outcome, PNPBOX_OUTCOME_SUPPRESSED);
            cr_assert_str_eq(f->justification, why);
        } else {
            cr_assert_eq(f->outcome, fate);
            cr_assert_null(f->justification);
        }
    }
    cr_assert_eq(pnpbox_t_count("FILE-ABSOLUTE-PATH", NULL), 1, "the unsuppressed rule must stay a violation");
    cr_assert_eq(pnpbox_t_count("FILE-OUTSIDE-STATE", NULL), 0, "the suppressed rule is still counted");
    jv *root = rc_json_report();
    const jv *s = rc_json_finding(root, "suppressed", "FILE-OUTSIDE-STATE", "ZwCreateFile");
    cr_assert_not_null(s, "FILE-OUTSIDE-STATE is not in the suppressed list");
    const jv *j = json_get(s, "justification");
    cr_assert(j && j->t == J_STR && !strcmp(j->str, why), "justification '%s'", j && j->t == J_STR ? j->str : "");
    cr_assert_null(rc_json_finding(root, "violations", "FILE-OUTSIDE-STATE", NULL));
    const jv *v = rc_json_finding(root, "violations", "FILE-ABSOLUTE-PATH", "ZwCreateFile");
    cr_assert_not_null(v);
    cr_assert_str_eq(json_get(v, "outcome")->str, mode == PNPBOX_MODE_REPORT ? "reported" : "denied");
    cr_assert_null(json_get(v, "justification"), "the violation carries the other rule's justification");
    json_free(root);
}

Test(rules_baseline, suppressing_one_of_two_rules_of_a_call, .init = rc_setup, .fini = rc_teardown, .timeout = RC_TIMEOUT)
{
    one_of_two(PNPBOX_MODE_REPORT);
}

Test(rules_baseline, suppressing_one_of_two_rules_of_a_call_in_enforce_mode, .init = rc_setup, .fini = rc_teardown,
     .timeout = RC_TIMEOUT)
{
    one_of_two(PNPBOX_MODE_ENFORCE);
}

/* In fail-fast mode the rule left unsuppressed is the one the run stops at. */
static const char *ff_rule;
static void ff_note(pnpbox_machine *m, const emu_access *a, const emu_rule *r, void *ctx)
{
    (void)m;
    (void)a;
    (void)ctx;
    ff_rule = r->id;
}

Test(rules_baseline, suppressing_one_of_two_rules_of_a_call_in_failfast_mode, .init = rc_setup, .fini = rc_teardown,
     .timeout = RC_TIMEOUT)
{
    ff_rule = NULL;
    emu_set_failfast(M, ff_note, NULL);
    one_of_two(PNPBOX_MODE_FAILFAST);
    cr_assert_str_eq(ff_rule ? ff_rule : "(none)", "FILE-ABSOLUTE-PATH", "fail-fast stopped at the suppressed rule");
    cr_assert(emu_failfast_stopped(M));
}

/* Two entries, one per rule of the call: both suppressed, each with its own entry's justification. */
Test(rules_baseline, two_rules_of_a_call_keep_their_own_justifications, .init = rc_setup, .fini = rc_teardown,
     .timeout = RC_TIMEOUT)
{
    const rc_case *c = rc_case_named("file_outside_drivers_log");
    pnpbox_t_baseline("FILE-ABSOLUTE-PATH component=rcdrv the path comes from the 1.x installer\n"
                      "FILE-OUTSIDE-STATE component=rcdrv the log moves to the Data directory in 2.0\n");
    pnpbox_t_mode(PNPBOX_MODE_ENFORCE);
    rc_run_as(c, c->bad);
    cr_assert_eq(rc_x.st, c->report_st, "a call whose every rule is suppressed is allowed");
    cr_assert_eq(pnpbox_t_count(NULL, NULL), 0, "findings remain:%s", rc_events_text());
    jv *root = rc_json_report();
    static const char *const want[][2] = {
        {"FILE-ABSOLUTE-PATH", "the path comes from the 1.x installer"},
        {"FILE-OUTSIDE-STATE", "the log moves to the Data directory in 2.0"},
    };
    for (int i = 0; i < 2; i++) {
        const jv *s = rc_json_finding(root, "suppressed", want[i][0], "ZwCreateFile");
        cr_assert_not_null(s, "%s is not in the suppressed list", want[i][0]);
        const jv *j = json_get(s, "justification");
        cr_assert(j && j->t == J_STR && !strcmp(j->str, want[i][1]), "%s carries '%s'", want[i][0],
                  j && j->t == J_STR ? j->str : "(none)");
    }
    json_free(root);
}

/* ---------------------------------------------------------------- paths as reports print them */

/* A baseline entry copied from a report's path for a file finding. */
Test(rules_baseline, file_path_written_as_reports_print_it, .init = rc_setup, .fini = rc_teardown, .timeout = RC_TIMEOUT)
{
    const rc_case *c = rc_case_named("file_abs_systemroot_ini");
    pnpbox_t_baseline("FILE-ABSOLUTE-PATH component=rcdrv path=C:\\Windows\\System32\\drivers\\rcdrv.ini "
                      "legacy configuration, moves into the package in 2.0\n");
    rc_run_as(c, c->bad);
    const pnpbox_event *e = rc_finding(c, c->rule);
    cr_assert_str_eq(e->path, "C:\\Windows\\System32\\drivers\\rcdrv.ini", "the finding's path as Windows names it");
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_SUPPRESSED, "the entry did not suppress '%s'", e->path);
    cr_assert_str_eq(e->justification, "legacy configuration, moves into the package in 2.0");
    cr_assert_eq(pnpbox_t_count(NULL, NULL), 0);
}

/* The path as the report prints it, taken from the report itself, in enforce mode (where it decides the call). */
Test(rules_baseline, path_from_the_report_allows_the_call_in_enforce_mode, .init = rc_setup, .fini = rc_teardown,
     .timeout = RC_TIMEOUT)
{
    const rc_case *c = rc_case_named("file_cross_other_data_by_name");
    rc_run_as(c, c->bad);
    jv *root = rc_json_report();
    const jv *v = rc_json_finding(root, "violations", c->rule, c->api);
    cr_assert_not_null(v, "%s: no %s violation", c->name, c->rule);
    char text[1024];
    snprintf(text, sizeof text, "FILE-* component=rcdrv path=%s reads rcother's state until rcother publishes it\n",
             json_get(v, "path")->str);
    json_free(root);
    rc_teardown();
    rc_setup();
    pnpbox_t_baseline(text);
    pnpbox_t_mode(PNPBOX_MODE_ENFORCE);
    rc_run_as(c, c->bad);
    cr_assert_eq(rc_x.st, c->report_st, "%s: the suppressed call answered 0x%08x", c->name, (unsigned)rc_x.st);
    cr_assert(rc_x.done, "%s: the snippet did not finish", c->name);
    cr_assert_eq(pnpbox_t_count(NULL, NULL), 0, "%s: findings remain:%s", c->name, rc_events_text());
}

/* Registry paths print and match the same way: \REGISTRY\MACHINE\... as in the report. */
Test(rules_baseline, registry_path_written_as_reports_print_it, .init = rc_setup, .fini = rc_teardown, .timeout = RC_TIMEOUT)
{
    const rc_case *c = rc_case_named("reg_abs_rtl_services");
    pnpbox_t_baseline("REG-* component=rcdrv path=\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\rcdrv\\Parameters "
                      "legacy read of the INF settings\n");
    rc_run_as(c, c->bad);
    const pnpbox_event *e = rc_finding(c, c->rule);
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_SUPPRESSED, "the entry did not suppress '%s'", e->path);
    cr_assert_eq(pnpbox_t_count(NULL, NULL), 0, "findings remain:%s", rc_events_text());
}

/* A path with a space, quoted: the laundered read of rcdrv's Device Parameters. */
Test(rules_baseline, quoted_path_with_a_space, .init = rc_setup, .fini = rc_teardown, .timeout = RC_TIMEOUT)
{
    const rc_case *c = rc_case_named("reg_foreign_laundered_keyname");
    pnpbox_t_baseline("REG-* component=rcdrv path=\"*\\Device Parameters\" the key name goes to the 1.x tracing "
                      "library\n");
    pnpbox_t_mode(PNPBOX_MODE_ENFORCE);
    rc_run_as(c, c->bad);
    cr_assert_eq(rc_x.st, c->report_st, "%s: the suppressed call answered 0x%08x", c->name, (unsigned)rc_x.st);
    cr_assert(rc_x.done, "%s: the snippet did not finish", c->name);
    const pnpbox_event *e = rc_finding(c, c->rule);
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_SUPPRESSED, "the entry did not suppress '%s'", e->path);
    cr_assert_str_eq(e->justification, "the key name goes to the 1.x tracing library");
    cr_assert_eq(pnpbox_t_count(NULL, NULL), 0, "findings remain:%s", rc_events_text());
    /* Unquoted, the space ends the glob: the rest is the justification and the glob matches nothing. */
    rc_teardown();
    rc_setup();
    pnpbox_t_baseline("REG-* component=rcdrv path=*\\Device Parameters the key name goes to the tracing library\n");
    rc_run_as(c, c->bad);
    cr_assert_eq(rc_finding(c, c->rule)->outcome, PNPBOX_OUTCOME_REPORTED);
}
