/*
 * test_report.c: the lint report formats, read back structurally (JSON and
 * SARIF 2.1.0 with a strict JSON reader), the text format, and the
 * `pnpbox lint` command's output and exit status.
 */
#include "tests/inf/tinf.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char noisy_inf[] = "[Version]\nSignature=\"$Windows NT$\"\nDriverVer=01/01/2024,1.0.0.0\n"
                                "[DefaultInstall.NTamd64]\nAddReg=R\n"
                                "[R]\nHKLM,\"SOFTWARE\\Contoso \"\"Q\"\"\",Wert-ä,,1\n"
                                "[Unused]\n";

static inf_lint_result *lint_named(const char *text, const char *name)
{
    size_t n;
    unsigned char *b = t_encode(text, T_U16LE, &n);
    inf_file *f = NULL;
    cr_assert_eq(emu_inf_parse_mem(b, n, name, NULL, &f), 0);
    free(b);
    inf_lint_result *r = NULL;
    cr_assert_eq(emu_inf_lint(f, NULL, &r), 0);
    emu_inf_free(f);
    return r;
}

Test(inf_report, json_is_one_object_with_typed_fields)
{
    inf_lint_result *rs[2] = {lint_named(noisy_inf, "dir with space/a\"b.inf"), lint_named("[Other]\n", "z.inf")};
    pb_buf b = PB_BUF_INIT;
    emu_inf_report_json(&b, rs, 2);
    jv *j = json_parse((const char *)b.data);
    cr_assert(j, "not JSON: %s", b.data);
    cr_assert_eq(j->t, J_OBJ);
    cr_assert_eq(j->n, 3, "findings, errors, warnings and nothing else");
    const jv *fs = json_get(j, "findings"), *e = json_get(j, "errors"), *w = json_get(j, "warnings");
    cr_assert(fs && fs->t == J_ARR && e && e->t == J_NUM && w && w->t == J_NUM);
    cr_assert_eq((size_t)e->num, rs[0]->errors + rs[1]->errors);
    cr_assert_eq((size_t)w->num, rs[0]->warnings + rs[1]->warnings);
    cr_assert_eq(fs->n, rs[0]->nfindings + rs[1]->nfindings);
    int saw_value = 0, saw_file_level = 0;
    for (size_t i = 0; i < fs->n; i++) {
        const jv *f = fs->items[i];
        cr_assert_eq(f->t, J_OBJ);
        cr_assert_eq(f->n, 6);
        const jv *file = json_get(f, "file"), *line = json_get(f, "line"), *code = json_get(f, "code"),
                 *sev = json_get(f, "severity"), *m = json_get(f, "message"), *fix = json_get(f, "fix");
        cr_assert(file && file->t == J_STR && line && line->t == J_NUM && code && code->t == J_NUM);
        cr_assert(sev && sev->t == J_STR && m && m->t == J_STR && fix && fix->t == J_STR);
        cr_assert(!strcmp(sev->str, "error") || !strcmp(sev->str, "warning"));
        cr_assert(emu_inf_rule((int)code->num), "code %g is in the catalogue", code->num);
        if ((int)code->num == 1321) {
            cr_assert_str_eq(file->str, "dir with space/a\"b.inf");
            cr_assert_eq((int)line->num, 7);
            cr_assert_str_eq(m->str, "Registry root (HKLM\\SOFTWARE\\Contoso \"Q\") of value 'Wert-ä' is not isolated to HKR.");
            saw_value = 1;
        }
        if ((int)code->num == 1001) {
            cr_assert_str_eq(file->str, "z.inf");
            saw_file_level = 1;
        }
    }
    cr_assert(saw_value && saw_file_level);
    json_free(j);
    pb_buf_free(&b);
    /* No results at all is still one valid object. */
    emu_inf_report_json(&b, NULL, 0);
    j = json_parse((const char *)b.data);
    cr_assert(j);
    cr_assert_eq(json_get(j, "findings")->n, 0);
    cr_assert_eq(json_get(j, "errors")->num, 0);
    json_free(j);
    pb_buf_free(&b);
    emu_inf_lint_free(rs[0]);
    emu_inf_lint_free(rs[1]);
}

static const char *jstr(const jv *o, const char *k)
{
    const jv *v = json_get(o, k);
    cr_assert(v && v->t == J_STR, "'%s' is a string", k);
    return v->str;
}

Test(inf_report, sarif_2_1_0_for_code_scanning)
{
    inf_lint_result *rs[2] = {lint_named(noisy_inf, "drivers/my pkg/a#1.inf"), lint_named("[Other]\n", "z.inf")};
    pb_buf b = PB_BUF_INIT;
    emu_inf_report_sarif(&b, rs, 2);
    jv *j = json_parse((const char *)b.data);
    cr_assert(j, "not JSON: %s", b.data);
    cr_assert_str_eq(jstr(j, "version"), "2.1.0");
    cr_assert(strstr(jstr(j, "$schema"), "sarif-2.1.0"));
    const jv *runs = json_get(j, "runs");
    cr_assert(runs && runs->t == J_ARR && runs->n == 1);
    const jv *drv = json_get(json_get(runs->items[0], "tool"), "driver");
    cr_assert(drv);
    cr_assert_str_eq(jstr(drv, "name"), "pnpbox lint");
    cr_assert(!strncmp(jstr(drv, "informationUri"), "https://", 8));
    const jv *rules = json_get(drv, "rules");
    cr_assert(rules && rules->t == J_ARR && rules->n > 30);
    for (size_t i = 0; i < rules->n; i++) {
        const jv *r = rules->items[i];
        cr_assert(!strncmp(jstr(r, "id"), "INF", 3));
        cr_assert(strlen(jstr(json_get(r, "shortDescription"), "text")));
        cr_assert(strlen(jstr(json_get(r, "fullDescription"), "text")));
        cr_assert(strlen(jstr(json_get(r, "help"), "text")));
        const char *lvl = jstr(json_get(r, "defaultConfiguration"), "level");
        cr_assert(!strcmp(lvl, "error") || !strcmp(lvl, "warning"));
    }
    const jv *res = json_get(runs->items[0], "results");
    cr_assert(res && res->t == J_ARR);
    cr_assert_eq(res->n, rs[0]->nfindings + rs[1]->nfindings);
    int whole_file = 0;
    for (size_t i = 0; i < res->n; i++) {
        const jv *r = res->items[i];
        const jv *idx = json_get(r, "ruleIndex");
        cr_assert(idx && idx->t == J_NUM && idx->num >= 0 && (size_t)idx->num < rules->n);
        cr_assert_str_eq(jstr(r, "ruleId"), jstr(rules->items[(size_t)idx->num], "id"));
        const char *lvl = jstr(r, "level");
        cr_assert(!strcmp(lvl, "error") || !strcmp(lvl, "warning"));
        cr_assert(strlen(jstr(json_get(r, "message"), "text")));
        const jv *locs = json_get(r, "locations");
        cr_assert(locs && locs->t == J_ARR && locs->n == 1);
        const jv *pl = json_get(locs->items[0], "physicalLocation");
        const char *uri = jstr(json_get(pl, "artifactLocation"), "uri");
        cr_assert(!strchr(uri, ' ') && !strchr(uri, '#'), "a URI reference: %s", uri);
        const jv *region = json_get(pl, "region");
        if (!strcmp(uri, "z.inf") && !strcmp(jstr(r, "ruleId"), "INF1001")) {
            cr_assert_null(region, "a whole-file finding has no region");
            whole_file = 1;
        } else {
            if (strcmp(uri, "z.inf"))
                cr_assert_str_eq(uri, "drivers/my%20pkg/a%231.inf");
            const jv *sl = json_get(region, "startLine");
            cr_assert(sl && sl->t == J_NUM && sl->num >= 1);
        }
    }
    cr_assert(whole_file);
    json_free(j);
    pb_buf_free(&b);
    emu_inf_lint_free(rs[0]);
    emu_inf_lint_free(rs[1]);
}

Test(inf_report, text_for_people)
{
    inf_lint_result *rs[1] = {lint_named(noisy_inf, "a.inf")};
    pb_buf b = PB_BUF_INIT;
    emu_inf_report_text(&b, rs, 1);
    const char *t = (const char *)b.data;
    cr_assert(strstr(t, "a.inf:7: error 1321: Registry root (HKLM\\SOFTWARE\\Contoso \"Q\") of value 'Wert-ä' is not "
                        "isolated to HKR.\n    fix: write the value with HKR"),
              "%s", t);
    cr_assert(strstr(t, "a.inf:8: warning 2083: Section [Unused] not referenced or used.\n    fix: "));
    char summary[128];
    snprintf(summary, sizeof summary, "%zu errors, 1 warning in 1 file\n", rs[0]->errors);
    cr_assert(strstr(t, summary), "%s", t);
    pb_buf_free(&b);
    emu_inf_lint_free(rs[0]);
}

/* ---- the command ---- */

static const char *cli_path(void)
{
    static char path[4096];
    const char *b = getenv("PNPBOX_BUILD");
    if (!b || !*b)
        return NULL;
    snprintf(path, sizeof path, "%s/bin/pnpbox", b);
    return access(path, X_OK) == 0 ? path : NULL;
}

/* Run pnpbox with args; stdout into *out (malloc'd); returns the exit status. */
static int run_cli(const char *const *args, char **out)
{
    const char *exe = cli_path();
    char *dir = t_mkdtemp("lintcli");
    char outp[4096];
    snprintf(outp, sizeof outp, "%s/out", dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    const char *argv[16] = {"pnpbox"};
    size_t n = 1;
    for (; args[n - 1] && n < 15; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t pid;
    cr_assert_eq(posix_spawn(&pid, exe, &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    size_t len = 0;
    unsigned char *o = t_read_file(outp, &len);
    *out = malloc(len + 1);
    cr_assert(*out);
    if (len)
        memcpy(*out, o, len);
    (*out)[len] = 0;
    free(o);
    t_rmtree(dir);
    free(dir);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static char *write_inf(const char *dir, const char *name, const char *text)
{
    char *path = malloc(4096);
    snprintf(path, 4096, "%s/%s", dir, name);
    size_t n;
    unsigned char *b = t_encode(text, T_U16LE, &n);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(b, 1, n, f), n);
    fclose(f);
    free(b);
    return path;
}

Test(inf_report, pnpbox_lint_command)
{
    if (!cli_path())
        cr_skip_test("pnpbox is not built in $PNPBOX_BUILD (run through make test)");
    char *dir = t_mkdtemp("lintin");
    char *clean = write_inf(dir, "clean.inf",
                            "[Version]\nSignature=\"$Windows NT$\"\nDriverVer=01/01/2024,1.0.0.0\nPnpLockdown=1\n");
    char *bad = write_inf(dir, "bad.inf", noisy_inf);
    char *out = NULL;

    const char *a1[] = {"lint", clean, NULL};
    cr_assert_eq(run_cli(a1, &out), 0, "no findings: 0");
    cr_assert(strstr(out, "0 errors, 0 warnings in 1 file"), "%s", out);
    free(out);

    const char *a2[] = {"lint", "--format", "json", clean, bad, NULL};
    cr_assert_eq(run_cli(a2, &out), 1, "error findings: 1");
    jv *j = json_parse(out);
    cr_assert(j, "%s", out);
    cr_assert_gt(json_get(j, "errors")->num, 0);
    json_free(j);
    free(out);

    const char *a3[] = {"lint", "--format=sarif", bad, NULL};
    cr_assert_eq(run_cli(a3, &out), 1);
    j = json_parse(out);
    cr_assert(j);
    cr_assert_str_eq(json_get(j, "version")->str, "2.1.0");
    json_free(j);
    free(out);

    const char *a4[] = {"lint", "/nonexistent/x.inf", NULL};
    cr_assert_eq(run_cli(a4, &out), 2, "unreadable file: 2");
    free(out);
    const char *a5[] = {"lint", "--format", "xml", clean, NULL};
    cr_assert_eq(run_cli(a5, &out), 2, "bad usage: 2");
    free(out);
    const char *a6[] = {"lint", NULL};
    cr_assert_eq(run_cli(a6, &out), 2);
    free(out);
    const char *a7[] = {"lint", "--help", NULL};
    cr_assert_eq(run_cli(a7, &out), 0);
    cr_assert(strstr(out, "usage: pnpbox lint"));
    free(out);
    const char *a8[] = {"lint", "--arch", "arm64", "--lang", "0407", clean, NULL};
    cr_assert_eq(run_cli(a8, &out), 0);
    free(out);

    free(clean);
    free(bad);
    t_rmtree(dir);
    free(dir);
}
