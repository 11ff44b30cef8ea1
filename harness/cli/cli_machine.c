/*
 * cli_machine.c: opening the CLI's machine directory and its registry
 * (contract in cli_machine.h).
 */
#include "harness/cli/cli_machine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

/* mkdir -p: create dir and any missing parents; 0 or -1 with errno. */
static int make_dirs(const char *dir)
{
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0)
            continue;
        char c = p[i];
        p[i] = 0;
        if (mkdir(p, 0777) < 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        p[i] = c;
    }
    free(p);
    struct stat st;
    if (stat(dir, &st) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int cli_open_registry(cli_ctx *ctx, regdb **out)
{
    const char *dir = ctx && ctx->machine_dir && *ctx->machine_dir ? ctx->machine_dir : "./.pnpbox";
    if (make_dirs(dir) < 0) {
        cli_error("cannot create machine directory '%s': %s", dir, strerror(errno));
        return CLI_FAIL;
    }
    size_t n = strlen(dir) + sizeof "/registry.db";
    char *path = malloc(n);
    if (!path) {
        cli_error("cannot open registry in '%s': out of memory", dir);
        return CLI_FAIL;
    }
    snprintf(path, n, "%s/registry.db", dir);
    if (access(path, F_OK) != 0) {
        /* A new machine: create it whole (the template's hives and the
         * volume), so every command sees the same machine afterwards. */
        pnpbox_machine_opts mo = {.dir = dir};
        pnpbox_machine *m = NULL;
        if (pnpbox_machine_new(&mo, &m) < 0) {
            cli_error("cannot create machine '%s': %s", dir, pnpbox_errmsg(NULL));
            free(path);
            return CLI_FAIL;
        }
        pnpbox_machine_free(m);
    }
    regdb_open_opts o = {.flags = REGDB_OPEN_CREATE};
    regdb *db = NULL;
    int rc = regdb_open(path, &o, &db);
    if (rc < 0) {
        /* regdb_open gives no store to ask for the detail; its code says enough. */
        cli_error("cannot open registry '%s': %s", path, regdb_strerror(rc));
        free(path);
        return CLI_FAIL;
    }
    free(path);
    *out = db;
    return CLI_OK;
}

int cli_open_machine(cli_ctx *ctx, pnpbox_machine **out)
{
    const char *dir = ctx && ctx->machine_dir && *ctx->machine_dir ? ctx->machine_dir : "./.pnpbox";
    pnpbox_machine_opts o = {0};
    o.dir = dir;
    pnpbox_machine *m = NULL;
    int rc = pnpbox_machine_new(&o, &m);
    if (rc < 0) {
        cli_error("cannot open machine '%s': %s", dir, pnpbox_errmsg(NULL));
        return CLI_FAIL;
    }
    *out = m;
    return CLI_OK;
}
