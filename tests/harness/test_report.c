/*
 * test_report.c: the report model and its four formats: findings folded
 * per rule/API/path/component with counts, suppressed findings with their
 * justification, source locations from debug info, and the text, JSON,
 * SARIF 2.1.0 and JUnit outputs checked structurally.
 */
#include <ntddk.h>

#include "emu/emu.h"
#include "pnpbox/report.h"
#include "tests/support/tjson.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pnpbox_machine *m;
static pnpbox_component *drv;
static int open_line;

static void setup(void)
{
    cr_assert_eq(pnpbox_machine_new(NULL, &m), 0);
    drv = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "legacydrv");
}

static void teardown(void) { pnpbox_machine_free(m); }

TestSuite(harness_report, .init = setup, .fini = teardown);

/* A legacy driver reading its Parameters by absolute path, three times. */
static void legacy_reads(void)
{
    pnpbox_component *prev = pnpbox_enter(drv);
    for (int i = 0; i < 3; i++) {
        UNICODE_STRING n;
        RtlInitUnicodeString(&n, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\legacydrv");
        OBJECT_ATTRIBUTES oa;
        InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
        HANDLE h = NULL;
        open_line = __LINE__ + 1;
        NTSTATUS st = ZwCreateKey(&h, KEY_READ, &oa, 0, NULL, 0, NULL);
        cr_assert_eq(st, STATUS_SUCCESS);
        ZwClose(h);
    }
    pnpbox_enter(prev);
}

static char *render(pnpbox_report *r, pnpbox_format f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    cr_assert_eq(pnpbox_report_write(r, mem, f), 0);
    fclose(mem);
    return buf;
}

Test(harness_report, findings_are_folded_and_located)
{
    legacy_reads();
    pnpbox_report *r = pnpbox_report_new("legacydrv.inf", "pkg/legacydrv.inf");
    pnpbox_report_step(r, "DriverEntry", 1, 0, "loaded");
    pnpbox_report_collect(r, m, 0);
    cr_assert_eq(pnpbox_report_violation_count(r), 1, "three opens, one finding");
    const pnpbox_finding *f = pnpbox_report_violation(r, 0);
    cr_assert_str_eq(f->rule->id, "REG-ABSOLUTE-PATH");
    cr_assert_eq(f->count, 3);
    cr_assert_str_eq(f->api, "ZwCreateKey");
    cr_assert_str_eq(f->component, "legacydrv");
    cr_assert_str_eq(f->origin, "absolute");
    cr_assert_str_eq(f->path, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\legacydrv");
    cr_assert(strstr(f->message, "registry key opened or created by absolute path"), "%s", f->message);
    /* The test binary has debug info: the finding points at the ZwCreateKey line above. */
    cr_assert_not_null(f->source_file, "addr2line should name the source");
    cr_assert(strstr(f->source_file, "test_report.c"), "%s", f->source_file);
    cr_assert_eq(f->source_line, (unsigned)open_line);
    cr_assert_eq(pnpbox_report_errors(r), 1);
    cr_assert_eq(pnpbox_report_result(r), 1);
    cr_assert_null(pnpbox_report_violation(r, 1));
    pnpbox_report_free(r);
}

Test(harness_report, json_output)
{
    legacy_reads();
    pnpbox_report *r = pnpbox_report_new("legacydrv.inf", NULL);
    pnpbox_report_step(r, "DriverEntry", 1, 0, NULL);
    pnpbox_report_step(r, "IRP_MN_START_DEVICE", 0, (int32_t)0xC0000182, "start failed");
    pnpbox_report_inf(r, "legacydrv.inf", 12, 1320, "error", "Registry root 'HKLM\\SOFTWARE' is not isolated to HKR.",
                      "use HKR");
    pnpbox_report_collect(r, m, 0);
    char *s = render(r, PNPBOX_FORMAT_JSON);
    jv *j = json_parse(s);
    cr_assert_not_null(j, "valid JSON: %s", s);
    cr_assert_str_eq(json_get(j, "result")->str, "fail");
    const jv *steps = json_get(j, "steps");
    cr_assert_eq(steps->n, 2);
    cr_assert_eq(json_get(steps->items[1], "ok")->b, 0);
    cr_assert_str_eq(json_get(steps->items[1], "status")->str, "0xC0000182");
    const jv *v = json_get(j, "violations");
    cr_assert_eq(v->n, 1);
    const char *keys[] = {"rule", "severity", "api", "path", "component", "status", "origin", "outcome", "message",
                          "count", "fix"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        cr_assert_not_null(json_get(v->items[0], keys[i]), "violation has %s", keys[i]);
    cr_assert_str_eq(json_get(v->items[0], "outcome")->str, "reported");
    cr_assert_eq(json_get(v->items[0], "count")->num, 3);
    const jv *inf = json_get(j, "inf_findings");
    cr_assert_eq(inf->n, 1);
    cr_assert_eq(json_get(inf->items[0], "code")->num, 1320);
    cr_assert_eq(json_get(inf->items[0], "code")->t, J_NUM);
    cr_assert_str_eq(json_get(inf->items[0], "severity")->str, "error");
    cr_assert_eq(json_get(j, "events")->n, pnpbox_event_count(m));
    cr_assert_eq(json_get(j, "log")->t, J_ARR);
    cr_assert_eq(json_get(j, "suppressed")->n, 0);
    json_free(j);
    free(s);
    pnpbox_report_free(r);
}

Test(harness_report, suppressed_findings_keep_the_justification)
{
    char err[128];
    cr_assert_eq(pnpbox_baseline_load(m, "REG-ABSOLUTE-PATH component=legacydrv reads its service key until v2\n",
                                      err, sizeof err),
                 0, "%s", err);
    legacy_reads();
    pnpbox_report *r = pnpbox_report_new("legacydrv.inf", NULL);
    pnpbox_report_collect(r, m, 0);
    cr_assert_eq(pnpbox_report_violation_count(r), 0);
    cr_assert_eq(pnpbox_report_result(r), 0, "suppressed findings never fail");
    char *s = render(r, PNPBOX_FORMAT_JSON);
    jv *j = json_parse(s);
    const jv *sup = json_get(j, "suppressed");
    cr_assert_eq(sup->n, 1);
    cr_assert_str_eq(json_get(sup->items[0], "justification")->str, "reads its service key until v2");
    cr_assert_str_eq(json_get(sup->items[0], "outcome")->str, "suppressed");
    json_free(j);
    free(s);
    s = render(r, PNPBOX_FORMAT_TEXT);
    cr_assert(strstr(s, "because: reads its service key until v2"), "%s", s);
    cr_assert(strstr(s, "Result: PASS"), "%s", s);
    free(s);
    pnpbox_report_free(r);
}

Test(harness_report, sarif_for_code_scanning)
{
    legacy_reads();
    pnpbox_report *r = pnpbox_report_new("legacydrv.inf", "pkg/legacydrv.inf");
    pnpbox_report_inf(r, "pkg/legacydrv.inf", 7, 1322, "error", "Destination file path ... is not isolated to DIRID 13.",
                      "use DIRID 13");
    pnpbox_report_collect(r, m, 0);
    char *s = render(r, PNPBOX_FORMAT_SARIF);
    jv *j = json_parse(s);
    cr_assert_not_null(j);
    cr_assert_str_eq(json_get(j, "version")->str, "2.1.0");
    cr_assert_not_null(json_get(j, "$schema"));
    const jv *run = json_get(j, "runs")->items[0];
    const jv *driver = json_get(json_get(run, "tool"), "driver");
    cr_assert_str_eq(json_get(driver, "name")->str, "pnpbox");
    cr_assert_not_null(json_get(driver, "informationUri"));
    const jv *rules = json_get(driver, "rules");
    cr_assert_geq(rules->n, 13 + 1);
    for (size_t i = 0; i < rules->n; i++) {
        const jv *rule = rules->items[i];
        cr_assert_not_null(json_get(rule, "id"));
        cr_assert_not_null(json_get(json_get(rule, "shortDescription"), "text"));
        cr_assert_not_null(json_get(json_get(rule, "fullDescription"), "text"));
        cr_assert_not_null(json_get(json_get(rule, "help"), "text"));
        const char *lvl = json_get(json_get(rule, "defaultConfiguration"), "level")->str;
        cr_assert(!strcmp(lvl, "error") || !strcmp(lvl, "warning"));
    }
    const jv *results = json_get(run, "results");
    cr_assert_eq(results->n, 2);
    for (size_t i = 0; i < results->n; i++) {
        const jv *res = results->items[i];
        const char *id = json_get(res, "ruleId")->str;
        size_t idx = (size_t)json_get(res, "ruleIndex")->num;
        cr_assert_lt(idx, rules->n);
        cr_assert_str_eq(json_get(rules->items[idx], "id")->str, id, "ruleIndex points at ruleId");
        cr_assert_not_null(json_get(json_get(res, "message"), "text"));
        const jv *loc = json_get(json_get(res, "locations")->items[0], "physicalLocation");
        cr_assert_not_null(json_get(json_get(loc, "artifactLocation"), "uri"));
        cr_assert_geq(json_get(json_get(loc, "region"), "startLine")->num, 1);
    }
    /* The runtime finding is located in the test source, the INF one in the INF. */
    const jv *rt = json_get(json_get(json_get(results->items[0], "locations")->items[0], "physicalLocation"),
                            "artifactLocation");
    cr_assert(strstr(json_get(rt, "uri")->str, "test_report.c"));
    json_free(j);
    free(s);
    pnpbox_report_free(r);
}

/* Minimal well-formedness check: every <tag> closed in order, attributes quoted. */
static int xml_balanced(const char *s)
{
    const char *stack[64];
    size_t lens[64];
    int depth = 0;
    for (const char *p = s; (p = strchr(p, '<'));) {
        if (p[1] == '?' || p[1] == '!') {
            p = strchr(p, '>');
            if (!p)
                return 0;
            continue;
        }
        const char *end = strchr(p, '>');
        if (!end)
            return 0;
        int closing = p[1] == '/', selfclose = end[-1] == '/';
        const char *name = p + 1 + closing;
        size_t nl = strcspn(name, " />");
        if (closing) {
            if (!depth || lens[depth - 1] != nl || strncmp(stack[depth - 1], name, nl))
                return 0;
            depth--;
        } else if (!selfclose) {
            if (depth == 64)
                return 0;
            stack[depth] = name;
            lens[depth++] = nl;
        }
        p = end + 1;
    }
    return depth == 0;
}

Test(harness_report, junit_cases_per_step_and_rule)
{
    legacy_reads();
    pnpbox_report *r = pnpbox_report_new("legacy <drv>", NULL);
    pnpbox_report_step(r, "DriverEntry", 1, 0, NULL);
    pnpbox_report_step(r, "IRP_MN_START_DEVICE", 0, (int32_t)0xC0000001, "a & b");
    pnpbox_report_collect(r, m, 0);
    char *s = render(r, PNPBOX_FORMAT_JUNIT);
    cr_assert(xml_balanced(s), "%s", s);
    cr_assert(strstr(s, "name=\"legacy &lt;drv&gt;\""));
    cr_assert(strstr(s, "<testcase classname=\"lifecycle\" name=\"DriverEntry\"/>"));
    cr_assert(strstr(s, "<testcase classname=\"isolation\" name=\"REG-ABSOLUTE-PATH\">"));
    cr_assert(strstr(s, "<testcase classname=\"isolation\" name=\"FILE-ABSOLUTE-PATH\"/>"), "rules not broken pass");
    cr_assert(strstr(s, "a &amp; b"));
    cr_assert(strstr(s, "tests=\"16\" failures=\"2\""), "%s", s);
    free(s);
    s = render(r, PNPBOX_FORMAT_TEXT);
    cr_assert(strstr(s, "REG-ABSOLUTE-PATH (error)"));
    cr_assert(strstr(s, "why: "));
    cr_assert(strstr(s, "fix: "));
    cr_assert(strstr(s, "IoOpenDriverRegistryKey"), "the fix names the alternative");
    cr_assert(strstr(s, "Result: FAIL"));
    free(s);
    cr_assert_eq(pnpbox_report_write(r, stdout, (pnpbox_format)42), -EINVAL);
    pnpbox_report_free(r);
}

Test(harness_report, formats_and_explain)
{
    cr_assert_eq(pnpbox_format_parse("SARIF"), PNPBOX_FORMAT_SARIF);
    cr_assert_eq(pnpbox_format_parse("junit"), PNPBOX_FORMAT_JUNIT);
    cr_assert_eq(pnpbox_format_parse("yaml"), -1);
    cr_assert_eq(pnpbox_format_parse(NULL), -1);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    pnpbox_rules_markdown(mem);
    fclose(mem);
    for (size_t i = 0; i < pnpbox_rule_count(); i++) {
        char anchor[64];
        snprintf(anchor, sizeof anchor, "## %s", pnpbox_rule_at(i)->id);
        cr_assert(strstr(buf, anchor), "%s in the docs page", anchor);
    }
    free(buf);
}

/*
 * One call that breaks two rules, one of them suppressed: the other stays a
 * violation (counted, failing the run) and the suppressed one is listed with
 * its own justification, in every format.
 */
Test(harness_report, suppressing_one_of_two_rules_of_a_call)
{
    char err[128];
    cr_assert_eq(pnpbox_baseline_load(m, "REG-IMMUTABLE-WRITE component=legacydrv the INF settings move to State in 2.0\n",
                                      err, sizeof err),
                 0, "%s", err);
    regdb_key k;
    cr_assert_eq(emu_ccs_create(m, "Services\\legacydrv", 0, &k), 0, "the service key, as an INF makes it");
    pnpbox_component *prev = pnpbox_enter(drv);
    UNICODE_STRING n;
    RtlInitUnicodeString(&n, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\legacydrv\\Parameters");
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    HANDLE h = NULL;
    cr_assert_eq(ZwCreateKey(&h, KEY_WRITE, &oa, 0, NULL, 0, NULL), STATUS_SUCCESS);
    ZwClose(h);
    pnpbox_enter(prev);

    pnpbox_report *r = pnpbox_report_new("legacydrv.inf", NULL);
    pnpbox_report_collect(r, m, 0);
    cr_assert_eq(pnpbox_report_violation_count(r), 1);
    const pnpbox_finding *v = pnpbox_report_violation(r, 0);
    cr_assert_str_eq(v->rule->id, "REG-ABSOLUTE-PATH");
    cr_assert_eq(v->outcome, PNPBOX_OUTCOME_REPORTED);
    cr_assert_null(v->justification);
    cr_assert_eq(pnpbox_report_result(r), 1, "the unsuppressed error fails the run");

    char *s = render(r, PNPBOX_FORMAT_JSON);
    jv *j = json_parse(s);
    cr_assert_not_null(j, "%s", s);
    const jv *viol = json_get(j, "violations"), *sup = json_get(j, "suppressed");
    cr_assert_eq(viol->n, 1);
    cr_assert_str_eq(json_get(viol->items[0], "rule")->str, "REG-ABSOLUTE-PATH");
    cr_assert_null(json_get(viol->items[0], "justification"));
    cr_assert_eq(sup->n, 1);
    cr_assert_str_eq(json_get(sup->items[0], "rule")->str, "REG-IMMUTABLE-WRITE");
    cr_assert_str_eq(json_get(sup->items[0], "outcome")->str, "suppressed");
    cr_assert_str_eq(json_get(sup->items[0], "justification")->str, "the INF settings move to State in 2.0");
    /* The event lists each rule with its own outcome. */
    const jv *evs = json_get(j, "events"), *ev = NULL;
    for (size_t i = 0; i < evs->n && !ev; i++)
        if (!strcmp(json_get(evs->items[i], "rules")->str, "REG-ABSOLUTE-PATH REG-IMMUTABLE-WRITE"))
            ev = evs->items[i];
    cr_assert_not_null(ev, "%s", s);
    cr_assert_str_eq(json_get(ev, "outcome")->str, "reported");
    const jv *fs = json_get(ev, "findings");
    cr_assert(fs && fs->t == J_ARR && fs->n == 2, "%s", s);
    cr_assert_str_eq(json_get(fs->items[0], "rule")->str, "REG-ABSOLUTE-PATH");
    cr_assert_str_eq(json_get(fs->items[0], "outcome")->str, "reported");
    cr_assert_null(json_get(fs->items[0], "justification"));
    cr_assert_str_eq(json_get(fs->items[1], "rule")->str, "REG-IMMUTABLE-WRITE");
    cr_assert_str_eq(json_get(fs->items[1], "outcome")->str, "suppressed");
    cr_assert_str_eq(json_get(fs->items[1], "justification")->str, "the INF settings move to State in 2.0");
    json_free(j);
    free(s);

    s = render(r, PNPBOX_FORMAT_TEXT);
    cr_assert(strstr(s, "Isolation findings: 1\n"), "%s", s);
    cr_assert(strstr(s, "REG-IMMUTABLE-WRITE ZwCreateKey"), "%s", s);
    cr_assert(strstr(s, "because: the INF settings move to State in 2.0"), "%s", s);
    cr_assert(strstr(s, "Result: FAIL"), "%s", s);
    free(s);

    s = render(r, PNPBOX_FORMAT_SARIF);
    j = json_parse(s);
    const jv *results = json_get(json_get(j, "runs")->items[0], "results");
    int with_suppression = 0, without = 0;
    for (size_t i = 0; i < results->n; i++) {
        const char *id = json_get(results->items[i], "ruleId")->str;
        const jv *sp = json_get(results->items[i], "suppressions");
        if (!strcmp(id, "REG-IMMUTABLE-WRITE")) {
            cr_assert(sp && sp->n == 1);
            cr_assert_str_eq(json_get(sp->items[0], "justification")->str, "the INF settings move to State in 2.0");
            with_suppression++;
        } else if (!strcmp(id, "REG-ABSOLUTE-PATH")) {
            cr_assert_null(sp);
            cr_assert_str_eq(json_get(results->items[i], "level")->str, "error");
            without++;
        }
    }
    cr_assert_eq(with_suppression, 1);
    cr_assert_eq(without, 1);
    json_free(j);
    free(s);
    pnpbox_report_free(r);
}

/* An event without per-rule findings (recorded by older code): each rule takes the event's outcome. */
Test(harness_report, events_without_per_rule_findings)
{
    pnpbox_event e = {.seq = 1, .count = 2, .component = "legacydrv", .api = "ZwOpenKey",
                      .path = "\\REGISTRY\\MACHINE\\SOFTWARE\\Contoso", .origin = "absolute",
                      .outcome = PNPBOX_OUTCOME_SUPPRESSED, .rules = "REG-ABSOLUTE-PATH REG-CROSS-COMPONENT",
                      .justification = "accepted"};
    pnpbox_report *r = pnpbox_report_new("legacydrv.inf", NULL);
    pnpbox_report_event(r, &e);
    cr_assert_eq(pnpbox_report_violation_count(r), 0);
    char *s = render(r, PNPBOX_FORMAT_JSON);
    jv *j = json_parse(s);
    const jv *sup = json_get(j, "suppressed");
    cr_assert_eq(sup->n, 2, "%s", s);
    for (size_t i = 0; i < sup->n; i++) {
        cr_assert_str_eq(json_get(sup->items[i], "justification")->str, "accepted");
        cr_assert_eq(json_get(sup->items[i], "count")->num, 2);
    }
    cr_assert_null(json_get(json_get(j, "events")->items[0], "findings"));
    json_free(j);
    free(s);
    pnpbox_report_free(r);
}
