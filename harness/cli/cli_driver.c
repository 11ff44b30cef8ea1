/*
 * cli_driver.c: `pnpbox driver add|list|delete`: the driver store of a
 * machine directory, as `pnputil /add-driver`, `/enum-drivers` and
 * `/delete-driver` manage it on Windows (emu/store.c does the work;
 * contract in include/pnpbox/store.h).
 *
 * Exit status (cli.h): 0 done, 1 failed or not found (including a package
 * in use without --force), 2 bad usage.
 */
#include "harness/cli/cli.h"
#include "harness/cli/cli_machine.h"
#include "pnpbox/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void driver_usage(FILE *f)
{
    fprintf(f, "usage: pnpbox driver add PKG/x.inf\n"
               "       pnpbox driver list\n"
               "       pnpbox driver delete oem<N>.inf [--force]\n\n"
               "Manages the machine's driver store (C:\\Windows\\System32\\DriverStore\\FileRepository):\n"
               "  add     stages a driver package: the INF and every file it lists (found next to\n"
               "          it), into <inf>_<arch>_<hash>, and publishes the INF as oem<N>.inf\n"
               "  list    lists the staged packages\n"
               "  delete  removes a package; one a device uses only with --force\n\n"
               "Options:\n"
               "  --force      delete even while a device has the package installed\n"
               "  -h, --help   this help\n\n"
               "The machine is --machine DIR, else $PNPBOX_MACHINE, else ./.pnpbox.\n"
               "Exit status: 0 done, 1 failed or not found, 2 bad usage.\n");
}

static int driver_add(cli_ctx *ctx, const char *inf)
{
    pnpbox_machine *m;
    if (cli_open_machine(ctx, &m) != CLI_OK)
        return CLI_FAIL;
    char *pub = NULL, *path = NULL;
    int rc = pnpbox_driver_add(m, inf, &pub);
    if (rc == 0)
        rc = pnpbox_driver_folder(m, pub, NULL, &path);
    if (rc < 0)
        cli_error("%s", pnpbox_errmsg(m));
    else
        printf("published %s -> %s\n", pub, path);
    free(pub);
    free(path);
    pnpbox_machine_free(m);
    return rc < 0 ? CLI_FAIL : CLI_OK;
}

static int driver_list(cli_ctx *ctx)
{
    pnpbox_machine *m;
    if (cli_open_machine(ctx, &m) != CLI_OK)
        return CLI_FAIL;
    pnpbox_driver_info *v = NULL;
    size_t n = 0;
    int rc = pnpbox_driver_list(m, &v, &n);
    if (rc < 0) {
        cli_error("cannot list driver packages: %s", pnpbox_strerror(rc));
    } else if (!n) {
        printf("no driver packages are staged\n");
    } else {
        for (size_t i = 0; i < n; i++) {
            const pnpbox_driver_info *d = &v[i];
            printf("%sPublished Name:     %s\n"
                   "Original Name:      %s\n"
                   "Provider Name:      %s\n"
                   "Class Name:         %s\n"
                   "Class GUID:         %s\n"
                   "Driver Version:     %s%s%s\n"
                   "Driver Store Path:  C:\\Windows\\System32\\DriverStore\\FileRepository\\%s\n",
                   i ? "\n" : "", d->published, d->inf_name, d->provider, d->class_name, d->class_guid, d->date,
                   *d->date ? " " : "", d->version, d->folder);
        }
    }
    pnpbox_driver_list_free(v, n);
    pnpbox_machine_free(m);
    return rc < 0 ? CLI_FAIL : CLI_OK;
}

static int driver_delete(cli_ctx *ctx, const char *name, int force)
{
    pnpbox_machine *m;
    if (cli_open_machine(ctx, &m) != CLI_OK)
        return CLI_FAIL;
    int rc = pnpbox_driver_delete(m, name, force);
    if (rc == -EBUSY)
        cli_error("%s; --force deletes it anyway", pnpbox_errmsg(m));
    else if (rc < 0)
        cli_error("%s", pnpbox_errmsg(m));
    else
        printf("deleted %s\n", name);
    pnpbox_machine_free(m);
    return rc < 0 ? CLI_FAIL : CLI_OK;
}

static int run_driver(cli_ctx *ctx, int argc, char **argv)
{
    if (argc < 2) {
        driver_usage(stderr);
        return CLI_USAGE;
    }
    for (int i = 1; i < argc; i++)
        if (cli_is_help(argv[i])) {
            driver_usage(stdout);
            return CLI_OK;
        }
    const char *sub = argv[1];
    if (!strcmp(sub, "add")) {
        if (argc != 3 || argv[2][0] == '-') {
            cli_error("usage: pnpbox driver add PKG/x.inf");
            return CLI_USAGE;
        }
        return driver_add(ctx, argv[2]);
    }
    if (!strcmp(sub, "list")) {
        if (argc != 2) {
            cli_error("usage: pnpbox driver list (unexpected '%s')", argv[2]);
            return CLI_USAGE;
        }
        return driver_list(ctx);
    }
    if (!strcmp(sub, "delete")) {
        const char *name = NULL;
        int force = 0;
        for (int i = 2; i < argc; i++) {
            if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f")) {
                force = 1;
            } else if (argv[i][0] == '-' || name) {
                cli_error("usage: pnpbox driver delete oem<N>.inf [--force] (unexpected '%s')", argv[i]);
                return CLI_USAGE;
            } else {
                name = argv[i];
            }
        }
        if (!name) {
            cli_error("usage: pnpbox driver delete oem<N>.inf [--force]");
            return CLI_USAGE;
        }
        return driver_delete(ctx, name, force);
    }
    cli_error("unknown driver command '%s'; see 'pnpbox driver --help'", sub);
    return CLI_USAGE;
}

static const cli_command driver_cmd = {
    "driver", "stage, list and delete driver packages in the machine's driver store", run_driver, 50,
};
PNPBOX_CLI_COMMAND(driver_cmd)
