/*
 * cli_machine.h: how `pnpbox` subcommands reach the machine they work on.
 *
 * A machine is a directory (DESIGN.md "A machine"); the CLI picks it from
 * --machine DIR, else $PNPBOX_MACHINE, else ./.pnpbox (cli_ctx).  Every
 * subcommand opens the machine's registry through cli_open_registry, so
 * that how a machine comes to exist (today an empty store, later a clone of
 * the template machine) is decided in one place.
 */
#ifndef PNPBOX_CLI_MACHINE_H
#define PNPBOX_CLI_MACHINE_H

#include "harness/cli/cli.h"
#include "pnpbox/pnpbox.h"
#include "regdb/regdb.h"

/*
 * Open <machine dir>/registry.db, creating the machine directory (and its
 * missing parents) and the store on first use.  On success returns CLI_OK
 * and *out, which the caller closes with regdb_close.  On failure prints
 * "pnpbox: cannot ..." on stderr and returns CLI_FAIL; *out is untouched.
 */
int cli_open_registry(cli_ctx *ctx, regdb **out);

/*
 * Open the machine directory as a whole machine (pnpbox_machine_new with
 * .dir): registry.db cloned from the template machine on first use, and
 * the volume under volume/.  On success returns CLI_OK and *out, which the
 * caller frees with pnpbox_machine_free.  On failure prints
 * "pnpbox: cannot open machine 'DIR': ..." and returns CLI_FAIL.
 */
int cli_open_machine(cli_ctx *ctx, pnpbox_machine **out);

#endif
