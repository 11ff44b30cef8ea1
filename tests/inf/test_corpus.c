/*
 * test_corpus.c: every real INF of the shared corpus (../shared/corpus/inf:
 * Microsoft's driver samples, .inx templates included) must parse without a
 * syntax error and lint and plan without failing.  Skips when ../shared is
 * absent.  Failures are listed per file.
 */
#include "tests/inf/tinf.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

Test(inf_corpus, every_corpus_inf_parses_lints_and_plans, .timeout = 120)
{
    const char *shared = t_shared_dir();
    if (!shared)
        cr_skip_test("../shared is absent: no INF corpus to run over");
    char root[4096];
    snprintf(root, sizeof root, "%s/corpus/inf", shared);
    t_paths p = {0};
    t_collect_infs(root, &p);
    if (!p.n)
        cr_skip_test("no INF files under %s", root);
    cr_assert_gt(p.n, 100, "the corpus holds well over 100 INFs");
    size_t failures = 0, findings = 0;
    for (size_t i = 0; i < p.n; i++) {
        const char *path = p.v[i];
        inf_file *f = NULL;
        int rc = emu_inf_parse_file(path, NULL, &f);
        if (rc) {
            cr_log_error("%s: cannot parse: %s", path, emu_inf_strerror(rc));
            failures++;
            free(p.v[i]);
            continue;
        }
        for (size_t k = 0; k < emu_inf_diag_count(f); k++) {
            const inf_diag *d = emu_inf_diag_at(f, k);
            if (d->code == 1002) {
                cr_log_error("%s:%u: syntax error: %s", path, d->lineno, d->message);
                failures++;
            }
        }
        if (emu_inf_section_count(f) == 0) {
            cr_log_error("%s: no sections", path);
            failures++;
        }
        inf_lint_result *r = NULL;
        rc = emu_inf_lint(f, NULL, &r);
        if (rc) {
            cr_log_error("%s: lint failed: %s", path, emu_inf_strerror(rc));
            failures++;
        } else {
            findings += r->nfindings;
            emu_inf_lint_free(r);
        }
        inf_plan *plan = NULL;
        rc = emu_inf_plan_package(f, NULL, INF_PKG_ALL_DECORATIONS, &plan);
        if (rc) {
            cr_log_error("%s: plan failed: %s", path, emu_inf_strerror(rc));
            failures++;
        } else {
            emu_inf_plan_free(plan);
        }
        emu_inf_free(f);
        free(p.v[i]);
    }
    free(p.v);
    cr_log_info("%zu corpus INFs, %zu findings", p.n, findings);
    cr_assert_eq(failures, 0, "%zu corpus problems (listed above)", failures);
}

Test(inf_corpus, known_sample_plans_like_windows)
{
    const char *shared = t_shared_dir();
    if (!shared)
        cr_skip_test("../shared is absent: no INF corpus to run over");
    char path[4096];
    snprintf(path, sizeof path, "%s/corpus/inf/microsoft+Windows-driver-samples/usb__wdf_osrfx2_lab__kmdf__step2__osrusbfx2.inx",
             shared);
    inf_file *f = NULL;
    if (emu_inf_parse_file(path, NULL, &f) == INF_E_NOTFOUND)
        cr_skip_test("%s is not in this corpus", path);
    cr_assert(f);
    static const uint16_t *const hw[] = {(const uint16_t *)L"USB\\VID_0547&PID_1002"};
    inf_plan_opts o = {0};
    o.store_dir = "C:\\Windows\\System32\\DriverStore\\FileRepository\\osrusbfx2.inf_amd64_1122334455667788";
    inf_plan *p = NULL;
    cr_assert_eq(emu_inf_plan_device(f, &o, hw, 1, NULL, 0, &p), 0);
    cr_assert_str_eq(t_s(p->node.ddinstall), "osrusbfx2.Dev.NT");
    int svc = 0;
    for (size_t i = 0; i < p->nops; i++)
        if (p->ops[i].kind == INF_OP_SERVICE) {
            cr_assert_str_eq(t_w(p->ops[i].u.service.image_path),
                             "\\SystemRoot\\System32\\DriverStore\\FileRepository\\osrusbfx2.inf_amd64_1122334455667788\\"
                             "osrusbfx2.sys");
            svc++;
        }
    cr_assert_eq(svc, 1);
    emu_inf_plan_free(p);
    inf_lint_result *r = NULL;
    cr_assert_eq(emu_inf_lint(f, NULL, &r), 0);
    cr_assert_eq(r->nfindings, 0, "the isolated OSR FX2 sample is clean at /w");
    emu_inf_lint_free(r);
    emu_inf_free(f);
}
