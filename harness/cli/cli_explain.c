/*
 * cli_explain.c: `pnpbox explain RULE-ID | CODE | --list | --markdown`:
 * teach one isolation rule (or InfVerif code) from the one catalogue, list
 * them, or print the catalogue as the docs page (docs/rules.md).
 */
#include "emu/inf.h"
#include "harness/cli/cli.h"
#include "pnpbox/report.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: pnpbox explain RULE-ID | INFVERIF-CODE\n"
          "       pnpbox explain --list | --markdown\n\n"
          "Explains an isolation rule: what Windows does, why an isolated driver\n"
          "package may not do it, what to call instead, with a before/after example.\n"
          "  RULE-ID        e.g. REG-ABSOLUTE-PATH (case does not matter)\n"
          "  INFVERIF-CODE  e.g. 1320, an InfVerif code pnpbox lint reports\n"
          "  --list         every rule id with its severity and title\n"
          "  --markdown     the whole catalogue as Markdown (docs/rules.md)\n",
          f);
}

static int run(cli_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    if (argc != 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *a = argv[1];
    if (cli_is_help(a)) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(a, "--list")) {
        for (size_t i = 0; i < pnpbox_rule_count(); i++) {
            const pnpbox_rule *r = pnpbox_rule_at(i);
            printf("%-24s %-8s %s\n", r->id, r->severity, r->title);
        }
        size_t n;
        const inf_rule *ir = emu_inf_rules(&n);
        size_t impl = 0;
        for (size_t i = 0; i < n; i++)
            impl += ir[i].implemented != 0;
        printf("\nand %zu InfVerif codes from pnpbox lint (pnpbox explain CODE)\n", impl);
        return CLI_OK;
    }
    if (!strcmp(a, "--markdown")) {
        pnpbox_rules_markdown(stdout);
        return CLI_OK;
    }
    const pnpbox_rule *r = pnpbox_rule_find(a);
    if (r) {
        pnpbox_explain_rule(stdout, r);
        return CLI_OK;
    }
    char *end;
    long code = strtol(a, &end, 10);
    const inf_rule *ir = *a && !*end ? emu_inf_rule((int)code) : NULL;
    if (ir && ir->implemented) {
        printf("InfVerif %d (%s at /w): %s\n\nMessage: %s\nFix: %s\nReference: %s\n", ir->code,
               ir->level_w == INF_SEV_ERROR ? "error" : "warning", ir->title, ir->format ? ir->format : "",
               ir->fix ? ir->fix : "", ir->doc ? ir->doc : "");
        return CLI_OK;
    }
    cli_error("no rule '%s'; 'pnpbox explain --list' shows them", a);
    return CLI_FAIL;
}

static const cli_command cmd = {"explain", "teach an isolation rule: what, why, and what to call instead", run, 60};
PNPBOX_CLI_COMMAND(cmd)
