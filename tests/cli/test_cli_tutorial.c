/*
 * test_cli_tutorial.c: docs/tutorial.md, step by step, exactly as a reader
 * runs it: a copy of examples/legacywdm, each docs/tutorial/N-*.patch
 * applied in turn with `git apply`, the driver rebuilt with `pkg-config
 * --cflags pnpbox`, and `pnpbox lint` / `pnpbox verify` giving the findings
 * the tutorial promises after that step; at the end the driver is clean,
 * and survives a package update with its state.
 */
#include "tests/support/tjson.h"
#include "tests/support/trun.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *dir;
static const char *top;

static void setup(void)
{
    top = getenv("PNPBOX_TOP");
    cr_assert(top && *top, "PNPBOX_TOP must name the repository (the Makefile sets it)");
    dir = t_mkdtemp("tutorial");
    cr_assert_not_null(dir);
}

static void teardown(void)
{
    t_rmtree(dir);
    free(dir);
}

TestSuite(cli_tutorial, .init = setup, .fini = teardown, .timeout = 120);

static void sh_ok(const char *cmd)
{
    run_result r = t_run_sh(cmd, dir);
    cr_assert_eq(r.status, 0, "`%s` failed (%d):\n%s%s", cmd, r.status, r.out, r.err);
    t_run_free(&r);
}

/* Rebuild the driver as the tutorial says, then verify; returns the JSON report. */
static jv *build_and_verify(const char *extra, int expect_status)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "PKG_CONFIG_PATH='%s' gcc -shared -fPIC -g -Wall -Wextra -Werror $(PKG_CONFIG_PATH='%s' pkg-config "
             "--cflags pnpbox) -o legacywdm/legacywdm.sys legacywdm/legacywdm.c",
             t_build_dir(), t_build_dir());
    sh_ok(cmd);
    snprintf(cmd, sizeof cmd,
             "'%s' verify --inf legacywdm/legacywdm.inf --driver legacywdm/legacywdm.sys --format json %s",
             t_pnpbox_path(), extra ? extra : "");
    run_result r = t_run_sh(cmd, dir);
    cr_assert_eq(r.status, expect_status, "verify exit %d:\n%s%s", r.status, r.out, r.err);
    jv *j = json_parse(r.out);
    cr_assert_not_null(j, "%s", r.out);
    t_run_free(&r);
    return j;
}

static int count(const jv *j, const char *key, const char *rule)
{
    const jv *a = json_get(j, key);
    cr_assert(a && a->t == J_ARR);
    int n = 0;
    for (size_t i = 0; i < a->n; i++) {
        const jv *r = json_get(a->items[i], "rule");
        if (!rule || (r && r->t == J_STR && !strcmp(r->str, rule)))
            n++;
    }
    return n;
}

static void apply(const char *patch)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "git apply '%s/docs/tutorial/%s'", top, patch);
    sh_ok(cmd);
}

static int log_has(const jv *j, const char *text)
{
    const jv *a = json_get(j, "log");
    for (size_t i = 0; a && i < a->n; i++)
        if (a->items[i]->t == J_STR && strstr(a->items[i]->str, text))
            return 1;
    return 0;
}

Test(cli_tutorial, every_step_gives_the_promised_findings)
{
    run_result g = t_run_sh("command -v git && command -v gcc", NULL);
    if (g.status != 0)
        cr_skip_test("the tutorial needs git and gcc on PATH");
    t_run_free(&g);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cp -r '%s/examples/legacywdm' .", top);
    sh_ok(cmd);

    /* Step 0: where the legacy driver starts. */
    jv *j = build_and_verify(NULL, 1);
    cr_assert_eq(count(j, "violations", NULL), 9);
    cr_assert_eq(count(j, "inf_findings", NULL), 4);
    json_free(j);

    /* Step 1: the INF. */
    apply("1-inf.patch");
    snprintf(cmd, sizeof cmd, "'%s' lint legacywdm/legacywdm.inf", t_pnpbox_path());
    run_result r = t_run_sh(cmd, dir);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "0 errors, 0 warnings"), "%s", r.out);
    t_run_free(&r);
    j = build_and_verify(NULL, 1);
    cr_assert_eq(count(j, "inf_findings", NULL), 0);
    cr_assert_eq(count(j, "violations", NULL), 9);
    json_free(j);

    /* Step 2: the start count moves to the persistent state key. */
    apply("2-state-key.patch");
    j = build_and_verify(NULL, 1);
    cr_assert_eq(count(j, "violations", NULL), 4);
    cr_assert_eq(count(j, "violations", "REG-IMMUTABLE-WRITE"), 0);
    cr_assert_eq(count(j, "violations", "REG-ABSOLUTE-PATH"), 1);
    cr_assert_eq(count(j, "violations", "REG-FOREIGN-HANDLE"), 1);
    cr_assert(log_has(j, "legacywdm: started (start #1)"));
    json_free(j);

    /* Step 3: settings through the device key's handle. */
    apply("3-device-key.patch");
    j = build_and_verify(NULL, 1);
    cr_assert_eq(count(j, "violations", NULL), 2);
    cr_assert_eq(count(j, "violations", "FILE-ABSOLUTE-PATH"), 1);
    cr_assert_eq(count(j, "violations", "FILE-OUTSIDE-STATE"), 1);
    json_free(j);

    /* Step 4: the log in the driver's data directory: isolated. */
    apply("4-data-directory.patch");
    j = build_and_verify(NULL, 0);
    cr_assert_eq(count(j, "violations", NULL), 0);
    const jv *res = json_get(j, "result");
    cr_assert(res && res->t == J_STR && !strcmp(res->str, "pass"));
    json_free(j);

    /* Step 5: an update keeps the state and touches nothing of the old package. */
    sh_ok("mkdir v2 && cp legacywdm/legacywdm.sys v2/ && "
          "iconv -f UTF-16LE -t UTF-8 legacywdm/legacywdm.inf | sed 's/1\\.0\\.0\\.0/1.1.0.0/' | "
          "iconv -f UTF-8 -t UTF-16LE > v2/legacywdm.inf");
    j = build_and_verify("--update-to v2/legacywdm.inf", 0);
    cr_assert_eq(count(j, "violations", NULL), 0);
    cr_assert(log_has(j, "legacywdm: started (start #2)"), "the count survives the update");
    json_free(j);
}
