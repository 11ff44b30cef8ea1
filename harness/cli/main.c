/*
 * main.c: `pnpbox` entry point: global options, then dispatch to the
 * subcommand that registered itself (cli.h).
 */
#include "harness/cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COMMANDS 32
static const cli_command *commands[MAX_COMMANDS];
static int ncommands;

void cli_register(const cli_command *cmd)
{
    if (ncommands < MAX_COMMANDS)
        commands[ncommands++] = cmd;
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pnpbox: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_is_help(const char *arg)
{
    return arg && (!strcmp(arg, "-h") || !strcmp(arg, "--help") || !strcmp(arg, "/?") || !strcmp(arg, "-?"));
}

static int by_order(const void *a, const void *b)
{
    const cli_command *x = *(const cli_command *const *)a, *y = *(const cli_command *const *)b;
    return x->order != y->order ? (x->order < y->order ? -1 : 1) : strcmp(x->name, y->name);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: pnpbox [--machine DIR] COMMAND [ARGS...]\n\n"
               "Emulates the Windows PnP and driver-store environment on Linux and checks\n"
               "driver packages against the driver package isolation rules.\n\n"
               "Commands:\n");
    for (int i = 0; i < ncommands; i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\nOptions:\n"
               "  --machine DIR  the machine directory (default: $PNPBOX_MACHINE, else ./.pnpbox;\n"
               "                 created on first use)\n"
               "  -h, --help     this help; `pnpbox COMMAND --help` for a command\n\n"
               "Exit status: 0 ok, 1 not found / failed / error findings, 2 bad usage.\n");
}

int main(int argc, char **argv)
{
    cli_ctx ctx = {0};
    int i = 1;
    ctx.argv0 = argv[0];
    qsort(commands, (size_t)ncommands, sizeof commands[0], by_order);
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--machine") && i + 1 < argc) {
            ctx.machine_dir = argv[++i];
            ctx.machine_explicit = 1;
        } else if (!strncmp(argv[i], "--machine=", 10)) {
            ctx.machine_dir = argv[i] + 10;
            ctx.machine_explicit = 1;
        } else {
            cli_error("unknown option '%s'; see 'pnpbox --help'", argv[i]);
            return CLI_USAGE;
        }
    }
    if (!ctx.machine_dir) {
        const char *env = getenv("PNPBOX_MACHINE");
        ctx.machine_dir = env && *env ? env : "./.pnpbox";
        ctx.machine_explicit = env && *env;
    }
    if (i >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    for (int c = 0; c < ncommands; c++)
        if (!strcmp(commands[c]->name, argv[i]))
            return commands[c]->run(&ctx, argc - i, argv + i);
    cli_error("unknown command '%s'; see 'pnpbox --help'", argv[i]);
    return CLI_USAGE;
}
