/*
 * test_cli_verify.c: `pnpbox verify` end to end on the legacy example
 * package (build/examples/legacywdm: its INF and the driver built as a
 * shared object): the lifecycle steps, every runtime finding with its
 * source line, the INF findings, the four output formats, the three
 * modes, baselines, injected faults, a package update, and bad usage.
 */
#include "tests/support/tjson.h"
#include "tests/support/trun.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir; /* scratch */
static char inf[4096], sys[4096];

static void setup(void)
{
    snprintf(inf, sizeof inf, "%s/examples/legacywdm/legacywdm.inf", t_build_dir());
    snprintf(sys, sizeof sys, "%s/examples/legacywdm/legacywdm.sys", t_build_dir());
    cr_assert_eq(access(sys, R_OK), 0, "'%s' is not built (make all): %s", sys, strerror(errno));
    dir = t_mkdtemp("cli_verify");
    cr_assert_not_null(dir);
}

static void teardown(void)
{
    t_rmtree(dir);
    free(dir);
}

TestSuite(cli_verify, .init = setup, .fini = teardown);

/* pnpbox verify --inf <legacy> --driver <legacy> extra... */
static run_result verify(const char *const *extra)
{
    const char *argv[32] = {"verify", "--inf", inf, "--driver", sys};
    size_t n = 5;
    for (; extra && *extra && n < 31; extra++)
        argv[n++] = *extra;
    argv[n] = NULL;
    return t_run_pnpbox(argv, NULL);
}

static jv *verify_json(const char *const *extra, int expect_status)
{
    const char *argv[32] = {"--format", "json"};
    size_t n = 2;
    for (; extra && *extra && n < 31; extra++)
        argv[n++] = *extra;
    argv[n] = NULL;
    run_result r = verify(argv);
    cr_assert_eq(r.status, expect_status, "exit %d; stderr: %s", r.status, r.err);
    jv *j = json_parse(r.out);
    cr_assert_not_null(j, "not JSON:\n%s", r.out);
    t_run_free(&r);
    return j;
}

static const char *jstr(const jv *o, const char *k)
{
    const jv *v = json_get(o, k);
    cr_assert(v && v->t == J_STR, "no string '%s'", k);
    return v->str;
}

static double jnum(const jv *o, const char *k)
{
    const jv *v = json_get(o, k);
    cr_assert(v && v->t == J_NUM, "no number '%s'", k);
    return v->num;
}

static const jv *jarr(const jv *o, const char *k)
{
    const jv *v = json_get(o, k);
    cr_assert(v && v->t == J_ARR, "no array '%s'", k);
    return v;
}

/* How many violations of rule (NULL: any) with the given outcome (NULL: any). */
static int count_violations(const jv *j, const char *rule, const char *outcome)
{
    const jv *a = jarr(j, "violations");
    int n = 0;
    for (size_t i = 0; i < a->n; i++) {
        const jv *v = a->items[i];
        if (rule && strcmp(jstr(v, "rule"), rule))
            continue;
        if (outcome && strcmp(jstr(v, "outcome"), outcome))
            continue;
        n++;
    }
    return n;
}

static const jv *step(const jv *j, const char *name)
{
    const jv *a = jarr(j, "steps");
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(jstr(a->items[i], "name"), name))
            return a->items[i];
    return NULL;
}

static int log_has(const jv *j, const char *text)
{
    const jv *a = jarr(j, "log");
    for (size_t i = 0; i < a->n; i++)
        if (a->items[i]->t == J_STR && strstr(a->items[i]->str, text))
            return 1;
    return 0;
}

static const char *const legacy_rules[] = {"REG-ABSOLUTE-PATH", "REG-FOREIGN-HANDLE", "REG-IMMUTABLE-WRITE",
                                           "FILE-ABSOLUTE-PATH", "FILE-OUTSIDE-STATE"};

Test(cli_verify, help_and_usage)
{
    run_result r = t_run_pnpbox(ARGS("verify", "--help"), NULL);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "usage: pnpbox verify --inf"), "%s", r.out);
    cr_assert(strstr(r.out, "--update-to"), "%s", r.out);
    cr_assert_str_eq(r.err, "");
    t_run_free(&r);

    r = t_run_pnpbox(ARGS("verify"), NULL);
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.out, "");
    cr_assert(strstr(r.err, "--inf and --driver") && strstr(r.err, "pnpbox verify --help"), "%s", r.err);
    t_run_free(&r);

    r = t_run_pnpbox(ARGS("verify", "--inf", "/nonexistent/x.inf", "--driver", sys), NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "cannot read INF '/nonexistent/x.inf'") && strstr(r.err, "No such file"), "%s", r.err);
    t_run_free(&r);

    r = verify(ARGS("--format", "yaml"));
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "yaml"), "%s", r.err);
    t_run_free(&r);

    r = verify(ARGS("--mode", "lenient"));
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "lenient"), "%s", r.err);
    t_run_free(&r);

    r = verify(ARGS("--fail", "ZwOpenKey:zero"));
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "ZwOpenKey:zero"), "%s", r.err);
    t_run_free(&r);
}

Test(cli_verify, legacy_text_report)
{
    run_result r = verify(NULL);
    cr_assert_eq(r.status, 1, "exit %d; stderr: %s", r.status, r.err);
    const char *steps[] = {"ok    stage", "ok    install", "ok    DriverEntry", "ok    AddDevice + IRP_MN_START_DEVICE",
                           "ok    IRP_MN_QUERY_REMOVE + REMOVE", "ok    DriverUnload"};
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        cr_assert(strstr(r.out, steps[i]), "no step '%s':\n%s", steps[i], r.out);
    for (size_t i = 0; i < sizeof legacy_rules / sizeof *legacy_rules; i++)
        cr_assert(strstr(r.out, legacy_rules[i]), "no %s:\n%s", legacy_rules[i], r.out);
    /* each finding points at the driver's source line, and is explained */
    cr_assert(strstr(r.out, "legacywdm.c:"), "%s", r.out);
    cr_assert(strstr(r.out, "why:") && strstr(r.out, "fix:") && strstr(r.out, "pnpbox explain REG-ABSOLUTE-PATH"),
              "%s", r.out);
    cr_assert(strstr(r.out, "INF findings: 4"), "%s", r.out);
    for (const char *const *c = (const char *const[]){"error 1321", "error 1322", "error 1323", "error 1324", NULL}; *c;
         c++)
        cr_assert(strstr(r.out, *c), "no %s:\n%s", *c, r.out);
    cr_assert(strstr(r.out, "legacywdm: started (start #1)"), "DbgPrint output is in the log:\n%s", r.out);
    cr_assert(strstr(r.out, "Result: FAIL (13 errors, 0 warnings)"), "%s", r.out);
    t_run_free(&r);
}

Test(cli_verify, legacy_json_report)
{
    jv *j = verify_json(NULL, 1);
    cr_assert_str_eq(jstr(j, "tool"), "pnpbox");
    cr_assert_str_eq(jstr(j, "result"), "fail");
    cr_assert_eq(jnum(j, "errors"), 13);
    cr_assert_eq(jnum(j, "warnings"), 0);
    cr_assert_eq(jarr(j, "steps")->n, 6);
    for (size_t i = 0; i < 6; i++)
        cr_assert_eq(json_get(jarr(j, "steps")->items[i], "ok")->b, 1);
    cr_assert_eq(count_violations(j, NULL, NULL), 9);
    cr_assert_eq(count_violations(j, "REG-ABSOLUTE-PATH", "reported"), 2);
    cr_assert_eq(count_violations(j, "REG-FOREIGN-HANDLE", "reported"), 3);
    cr_assert_eq(count_violations(j, "REG-IMMUTABLE-WRITE", "reported"), 2);
    cr_assert_eq(count_violations(j, "FILE-ABSOLUTE-PATH", "reported"), 1);
    cr_assert_eq(count_violations(j, "FILE-OUTSIDE-STATE", "reported"), 1);
    const jv *v = jarr(j, "violations")->items[0];
    cr_assert_str_eq(jstr(v, "component"), "legacywdm");
    cr_assert(strstr(jstr(v, "source"), "examples/legacywdm/legacywdm.c"));
    cr_assert_gt(jnum(v, "line"), 0);
    cr_assert(strlen(jstr(v, "fix")) > 20);
    const jv *inf_f = jarr(j, "inf_findings");
    cr_assert_eq(inf_f->n, 4);
    int codes = 0;
    for (size_t i = 0; i < inf_f->n; i++)
        codes += (int)jnum(inf_f->items[i], "code");
    cr_assert_eq(codes, 1321 + 1322 + 1323 + 1324);
    cr_assert_eq(jarr(j, "suppressed")->n, 0);
    json_free(j);
}

Test(cli_verify, sarif_and_junit)
{
    run_result r = verify(ARGS("--format", "sarif"));
    cr_assert_eq(r.status, 1);
    jv *j = json_parse(r.out);
    cr_assert_not_null(j, "%s", r.out);
    cr_assert_str_eq(jstr(j, "version"), "2.1.0");
    const jv *runs = jarr(j, "runs");
    cr_assert_eq(runs->n, 1);
    const jv *results = jarr(runs->items[0], "results");
    cr_assert_eq(results->n, 13, "9 runtime and 4 INF results");
    int abs_path = 0, inf1322 = 0;
    for (size_t i = 0; i < results->n; i++) {
        const char *id = jstr(results->items[i], "ruleId");
        abs_path += !strcmp(id, "REG-ABSOLUTE-PATH");
        inf1322 += !strcmp(id, "1322"); /* InfVerif codes keep their number */
    }
    cr_assert_eq(abs_path, 2);
    cr_assert_eq(inf1322, 1);
    /* a runtime finding is located at the driver's source line, as a URI
     * relative to the working directory or a file:// one */
    const jv *loc = json_get(json_get(jarr(results->items[0], "locations")->items[0], "physicalLocation"),
                             "artifactLocation");
    const char *uri = jstr(loc, "uri");
    size_t ul = strlen(uri), sl = strlen("examples/legacywdm/legacywdm.c");
    cr_assert(ul >= sl && !strcmp(uri + ul - sl, "examples/legacywdm/legacywdm.c"), "uri %s", uri);
    cr_assert(uri[0] != '/' && (!strchr(uri, ':') || !strncmp(uri, "file:///", 8)), "uri %s", uri);
    cr_assert_gt(jnum(json_get(json_get(jarr(results->items[0], "locations")->items[0], "physicalLocation"),
                               "region"),
                      "startLine"),
                 1);
    json_free(j);
    t_run_free(&r);

    r = verify(ARGS("--format", "junit"));
    cr_assert_eq(r.status, 1);
    cr_assert(!strncmp(r.out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38), "%s", r.out);
    cr_assert(strstr(r.out, "<testsuite name=\"legacywdm.inf\""), "%s", r.out);
    cr_assert(strstr(r.out, "<testcase classname=\"lifecycle\" name=\"DriverEntry\"/>"), "%s", r.out);
    cr_assert(strstr(r.out, "<testcase classname=\"isolation\" name=\"FILE-OUTSIDE-STATE\">"), "%s", r.out);
    cr_assert(strstr(r.out, "<failure"), "%s", r.out);
    cr_assert(strstr(r.out, "</testsuites>"), "%s", r.out);
    t_run_free(&r);
}

Test(cli_verify, enforce_denies_and_the_driver_copes)
{
    jv *j = verify_json(ARGS("--mode", "enforce"), 1);
    /* every step still succeeds: legacywdm ignores its failed opens */
    cr_assert_eq(json_get(step(j, "DriverUnload"), "ok")->b, 1);
    cr_assert_eq(count_violations(j, "REG-ABSOLUTE-PATH", "denied"), 2);
    cr_assert_eq(count_violations(j, "FILE-ABSOLUTE-PATH", "denied"), 1);
    cr_assert_eq(count_violations(j, NULL, "reported"), 0);
    /* the denied open never reached the value: no write happened */
    cr_assert_eq(count_violations(j, "REG-FOREIGN-HANDLE", NULL), 0);
    cr_assert(log_has(j, "legacywdm: started (start #0)"), "the count stays 0 when its key is denied");
    json_free(j);
}

Test(cli_verify, fail_fast_stops_at_the_first_violation)
{
    run_result r = verify(ARGS("--mode", "fail-fast"));
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "fail-fast: REG-ABSOLUTE-PATH: ZwOpenKey"), "%s", r.err);
    cr_assert(strstr(r.out, "FAIL  fail-fast"), "%s", r.out);
    cr_assert_null(strstr(r.out, "FILE-ABSOLUTE-PATH"), "nothing after the first violation ran:\n%s", r.out);
    t_run_free(&r);
}

Test(cli_verify, baseline_suppresses_with_its_reason)
{
    char bl[4096];
    snprintf(bl, sizeof bl, "%s/baseline.txt", dir);
    FILE *f = fopen(bl, "w");
    cr_assert_not_null(f);
    fputs("# known legacy debt, tracked in BUG-42\n"
          "REG-ABSOLUTE-PATH component=legacywdm moves to IoOpenDriverRegistryKey in 2.0\n"
          "REG-FOREIGN-HANDLE component=legacywdm same\n"
          "REG-IMMUTABLE-WRITE component=legacywdm same\n"
          "FILE-* component=legacywdm path=*legacywdm.log log moves to DriverData in 2.0\n",
          f);
    fclose(f);
    jv *j = verify_json(ARGS("--baseline", bl), 1); /* the INF errors remain */
    cr_assert_eq(count_violations(j, NULL, NULL), 0);
    const jv *sup = jarr(j, "suppressed");
    cr_assert_eq(sup->n, 9);
    int saw_reason = 0;
    for (size_t i = 0; i < sup->n; i++) {
        const jv *why = json_get(sup->items[i], "justification");
        saw_reason += why && why->t == J_STR && !strcmp(why->str, "log moves to DriverData in 2.0");
    }
    cr_assert_eq(saw_reason, 2);
    cr_assert_eq(jnum(j, "errors"), 4);
    json_free(j);

    f = fopen(bl, "w");
    fputs("NOT-A-RULE whatever\n", f);
    fclose(f);
    run_result r = verify(ARGS("--baseline", bl));
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "NOT-A-RULE"), "%s", r.err);
    t_run_free(&r);
}

Test(cli_verify, injected_fault_reaches_the_driver)
{
    jv *j = verify_json(ARGS("--fail", "ZwOpenKey:1:STATUS_INSUFFICIENT_RESOURCES"), 1);
    cr_assert(log_has(j, "legacywdm: started (start #0)"), "the first ZwOpenKey failed, so no count was read");
    /* an injected failure fails the call before it reaches the registry, so
     * the first open records no access; the laundered open later still does */
    cr_assert_eq(count_violations(j, "REG-ABSOLUTE-PATH", NULL), 1);
    cr_assert_eq(count_violations(j, "REG-IMMUTABLE-WRITE", NULL), 0);
    cr_assert_eq(count_violations(j, "FILE-ABSOLUTE-PATH", NULL), 1);
    json_free(j);
}

/* A copy of the legacy package whose DriverVer says 1.1.0.0 instead of 1.0.0.0 (UTF-16LE bytes). */
static void newer_package(char *inf_out, size_t cap)
{
    char pkg[3000];
    snprintf(pkg, sizeof pkg, "%s/v11", dir);
    cr_assert_eq(mkdir(pkg, 0755), 0);
    size_t n = 0;
    unsigned char *text = t_read_file(inf, &n);
    cr_assert_not_null(text);
    const unsigned char old[] = {'1', 0, '.', 0, '0', 0, '.', 0, '0', 0, '.', 0, '0', 0};
    int replaced = 0;
    for (size_t i = 0; i + sizeof old <= n; i++)
        if (!memcmp(text + i, old, sizeof old)) {
            text[i + 2] = '1'; /* "1.1.0.0" */
            replaced++;
        }
    cr_assert_eq(replaced, 1);
    snprintf(inf_out, cap, "%s/legacywdm.inf", pkg);
    FILE *f = fopen(inf_out, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, n, f), n);
    fclose(f);
    free(text);
    size_t sn = 0;
    unsigned char *bin = t_read_file(sys, &sn);
    char sys_out[4096];
    snprintf(sys_out, sizeof sys_out, "%s/legacywdm.sys", pkg);
    f = fopen(sys_out, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(bin, 1, sn, f), sn);
    fclose(f);
    free(bin);
}

Test(cli_verify, update_to_a_newer_package)
{
    char newer[4096];
    newer_package(newer, sizeof newer);
    jv *j = verify_json(ARGS("--update-to", newer), 1);
    const jv *s = step(j, "update: stage");
    cr_assert_not_null(s);
    cr_assert_eq(json_get(s, "ok")->b, 1, "%s", jstr(s, "detail"));
    s = step(j, "update: install");
    cr_assert_not_null(s);
    cr_assert_eq(json_get(s, "ok")->b, 1, "%s", jstr(s, "detail"));
    cr_assert(log_has(j, "legacywdm: started (start #1)"));
    cr_assert(log_has(j, "legacywdm: started (start #2)"), "the updated driver restarted and counted on");
    /* legacywdm runs from System32\drivers, so nothing of the old store folder is used */
    cr_assert_eq(count_violations(j, "UPDATE-STALE-PATH", NULL), 0);
    json_free(j);

    /* updating to the same package is refused the way Windows refuses it */
    run_result r = verify(ARGS("--update-to", inf));
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "FAIL  update: install") && strstr(r.out, "best-ranked driver"), "%s", r.out);
    t_run_free(&r);
}

Test(cli_verify, unloadable_driver_is_a_failed_step)
{
    run_result r = t_run_pnpbox(ARGS("verify", "--inf", inf, "--driver", "/etc/hostname"), NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "FAIL  load") && strstr(r.out, "cannot load driver '/etc/hostname'"), "%s", r.out);
    t_run_free(&r);
}

Test(cli_verify, isolated_kmdf_example_passes_and_keeps_its_machine)
{
    char kinf[4096], ksys[4096], keep[4096];
    snprintf(kinf, sizeof kinf, "%s/examples/kmdfiso/kmdfiso.inf", t_build_dir());
    snprintf(ksys, sizeof ksys, "%s/examples/kmdfiso/kmdfiso.sys", t_build_dir());
    snprintf(keep, sizeof keep, "%s/kept", dir);
    run_result r = t_run_pnpbox(ARGS("verify", "--inf", kinf, "--driver", ksys, "--keep", keep), NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "Isolation findings: 0") && strstr(r.out, "Result: PASS (0 errors, 0 warnings)"), "%s",
              r.out);
    cr_assert(strstr(r.out, "kmdfiso: started (start #1, rate 48000, gain 3)"), "%s", r.out);
    cr_assert(strstr(r.err, "the machine is kept in"), "%s", r.err);
    t_run_free(&r);
    /* the kept machine holds what the driver left */
    r = t_run_pnpbox(ARGS("--machine", keep, "reg", "query",
                          "HKLM\\SYSTEM\\CurrentControlSet\\Services\\kmdfiso\\State", "/v", "StartCount"),
                     NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "StartCount    REG_DWORD    0x1"), "%s", r.out);
    t_run_free(&r);
    char log[4200];
    snprintf(log, sizeof log, "%s/volume/Windows/ServiceState/kmdfiso/Data/kmdfiso.log", keep);
    size_t n = 0;
    char *text = (char *)t_read_file(log, &n);
    cr_assert_not_null(text, "no %s", log);
    cr_assert_eq(n, strlen("start 1: rate 48000 gain 3\r\n"));
    free(text);
    /* --keep never reuses a machine */
    r = t_run_pnpbox(ARGS("verify", "--inf", kinf, "--driver", ksys, "--keep", keep), NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "exists"), "%s", r.err);
    t_run_free(&r);
}
