/*
 * cli_run.c: `pnpbox [--machine DIR] run [--service NAME | --app NAME]
 * [--image PATH] [--mode M] -- PROGRAM ARGS...`: run a user-mode program linked with
 * libpnpbox against the machine directory as a Win32 service or an
 * application (pnpbox/usermode.h, docs/user-mode.md).
 *
 * The program is started with PNPBOX_RUN_MACHINE, PNPBOX_RUN_COMPONENT,
 * (with --image) PNPBOX_RUN_IMAGE and (with --mode) PNPBOX_RUN_MODE in its
 * environment; libpnpbox attaches it
 * when it is loaded.  Before the program runs, its process id is bound to
 * the component in the machine (the process_bindings table the FUSE mount
 * reads), so even its first access through a mounted volume is named; the
 * binding is removed when it exits.  Its accesses land in the machine's
 * audit (`pnpbox audit`).  The exit status is the program's (128+N when a
 * signal N ended it); 127 when it could not be started, 1 when the machine
 * or the service is wrong, 2 for bad usage.
 */
#include "harness/cli/cli.h"

#include "emu/emu.h"
#include "pnpbox/usermode.h"

#include "base/pb_utf16.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void run_usage(FILE *f)
{
    fprintf(f,
            "usage: pnpbox [--machine DIR] run [--service NAME | --app NAME] [--image PATH] [--mode M]\n"
            "                                  -- PROGRAM [ARGS...]\n\n"
            "Run a user-mode program linked with libpnpbox (pkg-config --cflags --libs pnpbox)\n"
            "against the machine as the Win32 service NAME (installed on the machine with\n"
            "ServiceType 0x10 or 0x20) or as the application NAME (default: an application\n"
            "named after PROGRAM).  Its Win32 calls run on the machine, are judged by the\n"
            "isolation rules as that component, and land in the machine's audit\n"
            "(pnpbox audit); its process is bound to the component for the FUSE mount.\n\n"
            "Options:\n"
            "  --service NAME  run as the Win32 service NAME (StartServiceCtrlDispatcherW\n"
            "                  then starts that service's ServiceMain)\n"
            "  --app NAME      run as the application NAME\n"
            "  --image PATH    the C:\\ path GetModuleFileNameW reports (services use\n"
            "                  their ImagePath)\n"
            "  --mode M        report (default: record what breaks a rule and allow it),\n"
            "                  enforce (refuse it) or fail-fast (stop the program at it)\n"
            "  -h, --help      this help\n\n"
            "Exit status: the program's; 127 it could not be started; 1 bad machine or\n"
            "service; 2 bad usage.\n");
}

/* The service key of name has a Win32 service type (0x10 / 0x20)?  1 yes, 0 no, -1 no key. */
static int win32_service(pnpbox_machine *m, const char *name, uint32_t *type)
{
    char rel[600];
    if (strchr(name, '\\') || strlen(name) > 256)
        return -1;
    snprintf(rel, sizeof rel, "Services\\%s", name);
    regdb_key k;
    if (emu_ccs_open(m, rel, &k) < 0 || regdb_get_dword(m->reg, k, (const uint16_t *)L"Type", type) < 0)
        return -1;
    return (*type & 0x30) != 0;
}

/* environ with the PNPBOX_RUN_* variables replaced; the strings are static or owned by *own. */
static char **child_env(const char *dir, const char *comp, const char *image, const char *mode, char **own)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 5, sizeof *env);
    if (!env)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "PNPBOX_RUN_", 11))
            env[o++] = environ[i];
    const char *names[4] = {PNPBOX_ENV_MACHINE, PNPBOX_ENV_COMPONENT, PNPBOX_ENV_IMAGE, PNPBOX_ENV_MODE};
    const char *vals[4] = {dir, comp, image, mode};
    for (int i = 0; i < 4; i++) {
        if (!vals[i])
            continue;
        size_t l = strlen(names[i]) + strlen(vals[i]) + 2;
        char *s = malloc(l);
        if (!s) {
            for (int j = 0; j < i; j++)
                free(own[j]);
            free(env);
            return NULL;
        }
        snprintf(s, l, "%s=%s", names[i], vals[i]);
        own[i] = s;
        env[o++] = s;
    }
    env[o] = NULL;
    return env;
}

static int run_cmd(cli_ctx *ctx, int argc, char **argv)
{
    const char *service = NULL, *app = NULL, *image = NULL, *mode = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            run_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (!strcmp(a, "--service") && i + 1 < argc) {
            service = argv[++i];
        } else if (!strcmp(a, "--app") && i + 1 < argc) {
            app = argv[++i];
        } else if (!strcmp(a, "--image") && i + 1 < argc) {
            image = argv[++i];
        } else if (!strcmp(a, "--mode") && i + 1 < argc) {
            mode = argv[++i];
            if (strcasecmp(mode, "report") && strcasecmp(mode, "enforce") && strcasecmp(mode, "fail-fast")) {
                cli_error("unknown mode '%s'; use report, enforce or fail-fast", mode);
                return CLI_USAGE;
            }
        } else if (a[0] == '-') {
            cli_error("unknown option '%s'; see 'pnpbox run --help'", a);
            return CLI_USAGE;
        } else {
            break;
        }
    }
    if (i >= argc) {
        cli_error("no program to run; see 'pnpbox run --help'");
        return CLI_USAGE;
    }
    if (service && app) {
        cli_error("--service and --app exclude each other");
        return CLI_USAGE;
    }
    if ((service && !*service) || (app && !*app)) {
        cli_error("a component needs a name");
        return CLI_USAGE;
    }
    char **args = argv + i;
    const char *prog = args[0];
    if (!service && !app) {
        const char *slash = strrchr(prog, '/');
        app = slash ? slash + 1 : prog;
    }

    pnpbox_machine_opts o = {.dir = ctx->machine_dir};
    pnpbox_machine *m = NULL;
    if (pnpbox_machine_new(&o, &m) < 0) {
        cli_error("cannot open machine '%s': %s", ctx->machine_dir, pnpbox_errmsg(NULL));
        return CLI_FAIL;
    }
    int rc = CLI_FAIL;
    char absdir[PATH_MAX];
    if (!realpath(ctx->machine_dir, absdir)) {
        cli_error("cannot resolve machine directory '%s': %s", ctx->machine_dir, strerror(errno));
        goto out;
    }
    if (service) {
        uint32_t type = 0;
        int w = win32_service(m, service, &type);
        if (w < 0) {
            cli_error("cannot run as service '%s': no such service on machine '%s'", service, ctx->machine_dir);
            goto out;
        }
        if (!w) {
            cli_error("cannot run as service '%s': its Type is 0x%x, not a Win32 service (0x10 or 0x20)", service,
                      (unsigned)type);
            goto out;
        }
    }
    if (image) {
        uint16_t *w = pb_wcs_from_utf8(image);
        char *vp = NULL;
        int bad = !w || emu_win32_to_vpath(w, pb_wcslen(w), &vp) != 0;
        free(w);
        free(vp);
        if (bad) {
            cli_error("cannot use image path '%s': not a path on C:", image);
            rc = CLI_USAGE;
            goto out;
        }
    }
    pnpbox_component *c =
        pnpbox_component_get(m, service ? PNPBOX_COMP_WIN32_SERVICE : PNPBOX_COMP_APP, service ? service : app);
    char comp[600];
    snprintf(comp, sizeof comp, "%s:%s", service ? "service" : "app", service ? service : app);
    char *own[4] = {NULL, NULL, NULL, NULL};
    char **env = c ? child_env(absdir, comp, image, mode, own) : NULL;
    int go[2] = {-1, -1}, fail[2] = {-1, -1};
    if (!env || pipe2(go, O_CLOEXEC) < 0 || pipe2(fail, O_CLOEXEC) < 0) {
        cli_error("cannot run '%s': %s", prog, strerror(env ? errno : ENOMEM));
        goto cleanup;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        cli_error("cannot run '%s': %s", prog, strerror(errno));
        goto cleanup;
    }
    if (pid == 0) {
        /* Wait until the parent has bound this process, then become the program. */
        char b;
        close(go[1]);
        while (read(go[0], &b, 1) < 0 && errno == EINTR)
            ;
        execvpe(prog, args, env);
        int e = errno;
        ssize_t wr = write(fail[1], &e, sizeof e);
        (void)wr;
        _exit(127);
    }
    close(go[0]);
    go[0] = -1;
    close(fail[1]);
    fail[1] = -1;
    int bound = pnpbox_um_bind_process(m, c, (int)pid);
    if (bound < 0)
        cli_error("warning: cannot bind process %d to '%s' for the FUSE mount: %s", (int)pid, c->name,
                  pnpbox_errmsg(m));
    close(go[1]); /* releases the child */
    go[1] = -1;
    int e = 0;
    ssize_t got;
    while ((got = read(fail[0], &e, sizeof e)) < 0 && errno == EINTR)
        ;
    /* The program gets the terminal's signals; pnpbox waits for it and reports its status. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, oint, oterm;
    sigaction(SIGINT, &ign, &oint);
    sigaction(SIGTERM, &ign, &oterm);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    sigaction(SIGINT, &oint, NULL);
    sigaction(SIGTERM, &oterm, NULL);
    pnpbox_um_unbind_process(m, (int)pid);
    if (got == (ssize_t)sizeof e) {
        cli_error("cannot run '%s': %s", prog, strerror(e));
        rc = 127;
    } else if (WIFEXITED(status)) {
        rc = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        rc = 128 + WTERMSIG(status);
    }
cleanup:
    for (int k = 0; k < 2; k++) {
        if (go[k] >= 0)
            close(go[k]);
        if (fail[k] >= 0)
            close(fail[k]);
    }
    for (int k = 0; k < 4; k++)
        free(own[k]);
    free(env);
out:
    pnpbox_machine_free(m);
    return rc;
}

static const cli_command run_command = {"run", "run a user-mode program as a service or app on the machine",
                                        run_cmd, 55};
PNPBOX_CLI_COMMAND(run_command)
