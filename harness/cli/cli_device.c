/*
 * cli_device.c: `pnpbox device add|list|update`: devices of a machine
 * directory and the drivers installed on them, as `devcon install`,
 * `pnputil /enum-devices` and a driver update do on Windows
 * (emu/install.c does the work; contract in include/pnpbox/store.h).
 *
 * Exit status (cli.h): 0 done (also when an update finds nothing better),
 * 1 failed or not found, 2 bad usage.
 */
#include "harness/cli/cli.h"
#include "harness/cli/cli_machine.h"
#include "pnpbox/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void device_usage(FILE *f)
{
    fprintf(f, "usage: pnpbox device add --hwid ID [--hwid ID...] [--compat ID...] [--instance ENUM\\DEVICE\\INSTANCE]\n"
               "       pnpbox device list\n"
               "       pnpbox device update INSTANCE\n\n"
               "  add     creates a device (its Enum key) with these hardware and compatible IDs and\n"
               "          installs the best-ranked staged driver on it; prints the instance ID.\n"
               "          Default instance: ENUM\\DEVICE\\NNNN for an ID \"Enum\\Device\", else\n"
               "          ROOT\\<ID with '\\' as '#'>\\NNNN.  With no matching driver the device has\n"
               "          none (problem 28)\n"
               "  list    lists devices: instance, service, installed package, state\n"
               "  update  re-installs a device from a better-ranked staged package (e.g. a\n"
               "          higher DriverVer); the old store folder stays until it is deleted\n\n"
               "Options:\n"
               "  --hwid ID        a hardware ID, most specific first (at least one)\n"
               "  --compat ID      a compatible ID, most specific first\n"
               "  --instance ID    the device instance ID to create\n"
               "  -h, --help       this help\n\n"
               "The machine is --machine DIR, else $PNPBOX_MACHINE, else ./.pnpbox.\n"
               "Exit status: 0 done, 1 failed or not found, 2 bad usage.\n");
}

/* "--opt VALUE" or "--opt=VALUE" at argv[*i]; NULL when argv[*i] is not opt. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt, int *missing)
{
    size_t n = strlen(opt);
    if (strncmp(argv[*i], opt, n))
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n])
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

static int device_add(cli_ctx *ctx, int argc, char **argv)
{
    const char **hw = calloc((size_t)argc, sizeof *hw), **compat = calloc((size_t)argc, sizeof *compat);
    const char *instance = NULL;
    size_t nhw = 0, ncompat = 0;
    int rc = CLI_OK;
    if (!hw || !compat) {
        cli_error("cannot add a device: out of memory");
        rc = CLI_FAIL;
        goto out;
    }
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        const char *v;
        if ((v = opt_value(argc, argv, &i, "--hwid", &missing)))
            hw[nhw++] = v;
        else if (!missing && (v = opt_value(argc, argv, &i, "--compat", &missing)))
            compat[ncompat++] = v;
        else if (!missing && (v = opt_value(argc, argv, &i, "--instance", &missing)) && !instance)
            instance = v;
        else {
            cli_error(missing ? "option '%s' needs a value" : "unexpected '%s'; see 'pnpbox device --help'",
                      argv[i]);
            rc = CLI_USAGE;
            goto out;
        }
    }
    if (!nhw) {
        cli_error("usage: pnpbox device add --hwid ID [--compat ID...] [--instance ENUM\\DEVICE\\INSTANCE]");
        rc = CLI_USAGE;
        goto out;
    }
    pnpbox_machine *m;
    if (cli_open_machine(ctx, &m) != CLI_OK) {
        rc = CLI_FAIL;
        goto out;
    }
    char *inst = NULL;
    int r = pnpbox_device_add_ids(m, hw, nhw, compat, ncompat, instance, &inst);
    if (r < 0) {
        cli_error("%s", pnpbox_errmsg(m));
        rc = r == -EINVAL ? CLI_USAGE : CLI_FAIL;
    } else {
        printf("%s\n", inst);
        int started = 0;
        uint32_t problem = 0;
        if (pnpbox_device_state(m, inst, &started, &problem) == 0 && problem)
            fprintf(stderr, "pnpbox: warning: no staged driver matches '%s'; '%s' has no driver (problem %u)\n",
                    hw[0], inst, problem);
    }
    free(inst);
    pnpbox_machine_free(m);
out:
    free(hw);
    free(compat);
    return rc;
}

static int device_list(cli_ctx *ctx)
{
    pnpbox_machine *m;
    if (cli_open_machine(ctx, &m) != CLI_OK)
        return CLI_FAIL;
    pnpbox_device_info *v = NULL;
    size_t n = 0;
    int rc = pnpbox_device_list(m, &v, &n);
    if (rc < 0) {
        cli_error("cannot list devices: %s", pnpbox_strerror(rc));
    } else if (!n) {
        printf("no devices\n");
    } else {
        int wi = (int)strlen("INSTANCE"), ws = (int)strlen("SERVICE"), wd = (int)strlen("DRIVER");
        for (size_t i = 0; i < n; i++) {
            int a = (int)strlen(v[i].instance), b = (int)strlen(v[i].service), c = (int)strlen(v[i].published);
            wi = a > wi ? a : wi;
            ws = b > ws ? b : ws;
            wd = c > wd ? c : wd;
        }
        printf("%-*s  %-*s  %-*s  %s\n", wi, "INSTANCE", ws, "SERVICE", wd, "DRIVER", "STATE");
        for (size_t i = 0; i < n; i++) {
            char state[32];
            if (v[i].problem)
                snprintf(state, sizeof state, "problem %u", v[i].problem);
            else
                snprintf(state, sizeof state, "%s", v[i].started ? "started" : "stopped");
            printf("%-*s  %-*s  %-*s  %s\n", wi, v[i].instance, ws, *v[i].service ? v[i].service : "-", wd,
                   *v[i].published ? v[i].published : "-", state);
        }
    }
    pnpbox_device_list_free(v, n);
    pnpbox_machine_free(m);
    return rc < 0 ? CLI_FAIL : CLI_OK;
}

static int device_update(cli_ctx *ctx, const char *instance)
{
    pnpbox_machine *m;
    if (cli_open_machine(ctx, &m) != CLI_OK)
        return CLI_FAIL;
    char *oldf = NULL, *newf = NULL;
    int rc = pnpbox_device_update(m, instance, &oldf, &newf);
    if (rc == -EALREADY)
        printf("%s\n", pnpbox_errmsg(m));
    else if (rc < 0)
        cli_error("%s", pnpbox_errmsg(m));
    else
        printf("updated %s: %s -> %s\n", instance, oldf ? oldf : "(no driver)", newf);
    free(oldf);
    free(newf);
    pnpbox_machine_free(m);
    return rc < 0 && rc != -EALREADY ? (rc == -EINVAL ? CLI_USAGE : CLI_FAIL) : CLI_OK;
}

static int run_device(cli_ctx *ctx, int argc, char **argv)
{
    if (argc < 2) {
        device_usage(stderr);
        return CLI_USAGE;
    }
    for (int i = 1; i < argc; i++)
        if (cli_is_help(argv[i])) {
            device_usage(stdout);
            return CLI_OK;
        }
    const char *sub = argv[1];
    if (!strcmp(sub, "add"))
        return device_add(ctx, argc, argv);
    if (!strcmp(sub, "list")) {
        if (argc != 2) {
            cli_error("usage: pnpbox device list (unexpected '%s')", argv[2]);
            return CLI_USAGE;
        }
        return device_list(ctx);
    }
    if (!strcmp(sub, "update")) {
        if (argc != 3 || argv[2][0] == '-') {
            cli_error("usage: pnpbox device update INSTANCE");
            return CLI_USAGE;
        }
        return device_update(ctx, argv[2]);
    }
    cli_error("unknown device command '%s'; see 'pnpbox device --help'", sub);
    return CLI_USAGE;
}

static const cli_command device_cmd = {
    "device", "add devices, install and update their drivers, list them", run_device, 51,
};
PNPBOX_CLI_COMMAND(device_cmd)
