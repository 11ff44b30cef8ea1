/*
 * cli_audit.c: `pnpbox [--machine DIR] audit [--format F] [--clear]`: the
 * recorded accesses and isolation findings of a machine directory, from
 * every process that used it (pnpbox run, the FUSE mount, verify with
 * --machine), in the shared report formats.
 */
#include "harness/cli/cli.h"
#include "pnpbox/report.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: pnpbox [--machine DIR] audit [--format text|json|sarif|junit] [--clear]\n\n"
          "Shows what the machine recorded: every access by drivers, services and\n"
          "applications, grouped by the isolation rule it broke, with the explanation\n"
          "and the fix.  --clear empties the log after printing it.\n"
          "Exit status: 0 no error-level finding, 1 findings (or failure), 2 bad usage.\n",
          f);
}

static int run(cli_ctx *ctx, int argc, char **argv)
{
    int fmt = PNPBOX_FORMAT_TEXT, clear = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            fmt = pnpbox_format_parse(argv[++i]);
        } else if (!strncmp(argv[i], "--format=", 9)) {
            fmt = pnpbox_format_parse(argv[i] + 9);
        } else if (!strcmp(argv[i], "--clear")) {
            clear = 1;
        } else {
            cli_error("unknown argument '%s'; see 'pnpbox audit --help'", argv[i]);
            return CLI_USAGE;
        }
        if (fmt < 0) {
            cli_error("unknown format; use text, json, sarif or junit");
            return CLI_USAGE;
        }
    }
    pnpbox_machine_opts o = {.dir = ctx->machine_dir};
    pnpbox_machine *m;
    if (pnpbox_machine_new(&o, &m) < 0) {
        cli_error("cannot open machine '%s': %s", ctx->machine_dir, pnpbox_errmsg(NULL));
        return CLI_FAIL;
    }
    int n = pnpbox_audit_load(m, clear);
    if (n < 0) {
        cli_error("cannot read the audit log of machine '%s'", ctx->machine_dir);
        pnpbox_machine_free(m);
        return CLI_FAIL;
    }
    char subject[4200];
    snprintf(subject, sizeof subject, "audit of machine %s (%d events)", ctx->machine_dir, n);
    pnpbox_report *r = pnpbox_report_new(subject, NULL);
    for (size_t i = 0; i < pnpbox_event_count(m); i++)
        pnpbox_report_event(r, pnpbox_event_get(m, i));
    int rc = pnpbox_report_write(r, stdout, (pnpbox_format)fmt);
    int result = pnpbox_report_result(r);
    pnpbox_report_free(r);
    pnpbox_machine_free(m);
    if (rc < 0) {
        cli_error("cannot write the report: %s", strerror(-rc));
        return CLI_FAIL;
    }
    return result ? CLI_FAIL : CLI_OK;
}

static const cli_command cmd = {"audit", "show a machine's recorded accesses and isolation findings", run, 50};
PNPBOX_CLI_COMMAND(cmd)
