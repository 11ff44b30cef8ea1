/*
 * cli_lint.c: `pnpbox lint FILE... [--format text|json|sarif]`: InfVerif's
 * /w ("Windows Driver") checks on INF files, from the rule catalogue in
 * emu/inf_rules.c (parsing and linting in emu/inf_*.c).
 *
 * Exit status (cli.h): 0 no error findings, 1 error findings, 2 bad usage
 * or a file that could not be read (the other files are still linted).
 */
#include "emu/inf.h"
#include "harness/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void lint_usage(FILE *f)
{
    fprintf(f, "usage: pnpbox lint [--format text|json|sarif] [--arch ARCH] [--lang LANGID] FILE...\n\n"
               "Checks INF files against InfVerif's \"Windows Driver\" (/w) rules: driver package\n"
               "isolation (HKR-only registry, DIRID 13 files, service state under Parameters) and\n"
               "the structural rules it relies on.  Each finding names the isolated alternative.\n\n"
               "Options:\n"
               "  --format FMT   text (default), json, or sarif (SARIF 2.1.0 for code scanning)\n"
               "  --arch ARCH    target architecture: amd64 (default), x86, arm, arm64, ia64;\n"
               "                 also replaces $ARCH$ in .inx templates\n"
               "  --lang LANGID  [Strings.LLLL] to use, hexadecimal (default 0409)\n"
               "  -h, --help     this help\n\n"
               "Exit status: 0 no errors, 1 error findings, 2 bad usage or unreadable file.\n");
}

static int run_lint(cli_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    const char *format = "text";
    inf_target target;
    emu_inf_target_default(&target);
    inf_parse_opts popts = {0};
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) {
        cli_error("cannot lint: out of memory");
        return CLI_FAIL;
    }
    int nfiles = 0, only_files = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (!only_files && cli_is_help(a)) {
            lint_usage(stdout);
            free(files);
            return CLI_OK;
        }
        if (!only_files && !strcmp(a, "--")) {
            only_files = 1;
            continue;
        }
        if (!only_files && (!strncmp(a, "--format", 8) || !strncmp(a, "--arch", 6) || !strncmp(a, "--lang", 6))) {
            const char *eq = strchr(a, '=');
            size_t optlen = eq ? (size_t)(eq - a) : strlen(a);
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            if (!val) {
                cli_error("option '%.*s' needs a value; see 'pnpbox lint --help'", (int)optlen, a);
                free(files);
                return CLI_USAGE;
            }
            if (optlen == 8 && !strncmp(a, "--format", 8)) {
                if (strcmp(val, "text") && strcmp(val, "json") && strcmp(val, "sarif")) {
                    cli_error("unknown format '%s': use text, json or sarif", val);
                    free(files);
                    return CLI_USAGE;
                }
                format = val;
            } else if (optlen == 6 && !strncmp(a, "--arch", 6)) {
                if (emu_inf_arch_parse(val, &target.arch)) {
                    cli_error("unknown architecture '%s': use amd64, x86, arm, arm64 or ia64", val);
                    free(files);
                    return CLI_USAGE;
                }
                popts.arch = target.arch;
            } else if (optlen == 6 && !strncmp(a, "--lang", 6)) {
                char *end = NULL;
                unsigned long v = strtoul(val, &end, 16);
                if (!*val || *end || v == 0 || v > 0xffff) {
                    cli_error("invalid LANGID '%s': use four hex digits such as 0409", val);
                    free(files);
                    return CLI_USAGE;
                }
                popts.langid = (uint16_t)v;
            } else {
                cli_error("unknown option '%s'; see 'pnpbox lint --help'", a);
                free(files);
                return CLI_USAGE;
            }
            continue;
        }
        if (!only_files && a[0] == '-' && a[1]) {
            cli_error("unknown option '%s'; see 'pnpbox lint --help'", a);
            free(files);
            return CLI_USAGE;
        }
        files[nfiles++] = a;
    }
    if (!nfiles) {
        cli_error("no INF file given; see 'pnpbox lint --help'");
        free(files);
        return CLI_USAGE;
    }
    inf_lint_result **results = calloc((size_t)nfiles, sizeof *results);
    if (!results) {
        cli_error("cannot lint: out of memory");
        free(files);
        return CLI_FAIL;
    }
    size_t nres = 0;
    int unreadable = 0, failed = 0;
    inf_lint_opts lopts = {&target};
    for (int i = 0; i < nfiles; i++) {
        inf_file *inf = NULL;
        int rc = emu_inf_parse_file(files[i], &popts, &inf);
        if (rc) {
            cli_error("cannot read '%s': %s", files[i], emu_inf_strerror(rc));
            unreadable = 1;
            continue;
        }
        rc = emu_inf_lint(inf, &lopts, &results[nres]);
        emu_inf_free(inf);
        if (rc) {
            cli_error("cannot lint '%s': %s", files[i], emu_inf_strerror(rc));
            failed = 1;
            continue;
        }
        nres++;
    }
    pb_buf out = PB_BUF_INIT;
    if (!strcmp(format, "json"))
        emu_inf_report_json(&out, results, nres);
    else if (!strcmp(format, "sarif"))
        emu_inf_report_sarif(&out, results, nres);
    else
        emu_inf_report_text(&out, results, nres);
    int errors = 0;
    for (size_t i = 0; i < nres; i++) {
        if (results[i]->errors)
            errors = 1;
        emu_inf_lint_free(results[i]);
    }
    free(results);
    free(files);
    if (out.oom) {
        pb_buf_free(&out);
        cli_error("cannot write the report: out of memory");
        return CLI_FAIL;
    }
    if (out.len)
        fwrite(out.data, 1, out.len, stdout);
    pb_buf_free(&out);
    if (fflush(stdout)) {
        cli_error("cannot write the report to standard output");
        return CLI_FAIL;
    }
    if (unreadable)
        return CLI_USAGE;
    return errors || failed ? CLI_FAIL : CLI_OK;
}

static const cli_command lint_cmd = {
    "lint", "check INF files against InfVerif's driver isolation (/w) rules", run_lint, 40,
};
PNPBOX_CLI_COMMAND(lint_cmd)
