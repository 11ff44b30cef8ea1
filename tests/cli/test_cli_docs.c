/*
 * test_cli_docs.c: docs/rules.md is exactly what `pnpbox explain
 * --markdown` prints from the rule catalogue, so the page never drifts from
 * the code (`make docs` regenerates it); and `pnpbox explain` teaches each
 * rule with its alternative.
 */
#include "tests/support/trun.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(cli_docs, rules_page_matches_the_catalogue)
{
    const char *top = getenv("PNPBOX_TOP");
    cr_assert(top && *top, "PNPBOX_TOP must name the repository (the Makefile sets it)");
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/rules.md", top);
    size_t n = 0;
    char *page = (char *)t_read_file(path, &n);
    cr_assert_not_null(page, "no %s", path);
    run_result r = t_run_pnpbox(ARGS("explain", "--markdown"), NULL);
    cr_assert_eq(r.status, 0);
    cr_assert_eq(strlen(r.out), n, "docs/rules.md is stale: run `make docs`");
    cr_assert(!memcmp(r.out, page, n), "docs/rules.md is stale: run `make docs`");
    free(page);
    t_run_free(&r);
}

Test(cli_docs, explain_every_listed_rule)
{
    run_result list = t_run_pnpbox(ARGS("explain", "--list"), NULL);
    cr_assert_eq(list.status, 0);
    int rules = 0;
    for (char *line = strtok(list.out, "\n"); line; line = strtok(NULL, "\n")) {
        char id[64];
        if (sscanf(line, "%63s", id) != 1 || strchr(id, '-') == NULL)
            continue;
        rules++;
        run_result r = t_run_pnpbox(ARGS("explain", id), NULL);
        cr_assert_eq(r.status, 0, "explain %s: %s", id, r.err);
        cr_assert(strstr(r.out, id), "%s", r.out);
        cr_assert(strstr(r.out, "Instead") || strstr(r.out, "fix"), "explain %s names no alternative:\n%s", id, r.out);
        t_run_free(&r);
    }
    cr_assert_eq(rules, 13, "DESIGN.md's 13 rule ids");
    t_run_free(&list);

    run_result r = t_run_pnpbox(ARGS("explain", "NO-SUCH-RULE"), NULL);
    cr_assert_neq(r.status, 0);
    cr_assert(strstr(r.err, "NO-SUCH-RULE") && strstr(r.err, "--list"), "%s", r.err);
    t_run_free(&r);
}
