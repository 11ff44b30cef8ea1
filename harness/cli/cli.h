/*
 * cli.h: the `pnpbox` command-line tool's shared contract.
 *
 * Each subcommand lives in its own harness/cli/cli_<name>.c and registers
 * itself with PNPBOX_CLI_COMMAND, so adding one never touches main.c.
 * Exit codes for every subcommand: 0 ok, 1 not found or failed (or, for
 * checkers, findings at error level), 2 bad usage or unreadable input.
 */
#ifndef PNPBOX_CLI_H
#define PNPBOX_CLI_H

#include <stdio.h>

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

typedef struct cli_ctx {
    const char *machine_dir; /* --machine DIR, else $PNPBOX_MACHINE, else ./.pnpbox */
    int machine_explicit;    /* 1 when given by --machine or the environment */
    const char *argv0;
} cli_ctx;

typedef struct cli_command {
    const char *name;    /* e.g. "reg" */
    const char *summary; /* one line for `pnpbox --help` */
    int (*run)(cli_ctx *ctx, int argc, char **argv); /* argv[0] is the subcommand name */
    int order;           /* position in `pnpbox --help` (lower first) */
} cli_command;

void cli_register(const cli_command *cmd);

#define PNPBOX_CLI_COMMAND(var)                                                                    \
    __attribute__((constructor)) static void cli_register_##var(void) { cli_register(&(var)); }

/* "pnpbox: <what failed>" on stderr, lowercase first, per DESIGN.md. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True when argv[i] is -h, --help or /? (reg.exe users type /?). */
int cli_is_help(const char *arg);

#endif
