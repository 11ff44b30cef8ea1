/*
 * trun.c: running the built pnpbox binary from tests (see trun.h).
 */
#include "tests/support/trun.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

const char *t_build_dir(void)
{
    const char *b = getenv("PNPBOX_BUILD");
    cr_assert(b && *b, "PNPBOX_BUILD must name the build directory (the Makefile sets it)");
    return b;
}

const char *t_pnpbox_path(void)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/bin/pnpbox", t_build_dir());
    cr_assert_eq(access(path, X_OK), 0, "'%s' is not built: %s", path, strerror(errno));
    return path;
}

static void add_bytes(char **buf, size_t *len, const char *p, size_t n)
{
    *buf = realloc(*buf, *len + n + 1);
    memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = 0;
}

/* Run pnpbox with argv (NULL-terminated, without argv[0]) and the environment env (NULL: ours). */
/* Run argv[0] (a path) with argv and env (NULL: ours) in dir (NULL: ours). */
static run_result run_argv(const char *const *argv, char *const *env, const char *dir)
{
    int out[2], err[2];
    cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(err, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    if (dir)
        posix_spawn_file_actions_addchdir_np(&fa, dir);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, env ? env : environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(err[1]);
    cr_assert_eq(rc, 0, "posix_spawn: %s", strerror(rc));

    run_result r = {0, NULL, NULL};
    size_t on = 0, en = 0;
    add_bytes(&r.out, &on, "", 0);
    add_bytes(&r.err, &en, "", 0);
    struct pollfd pf[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds) {
        if (poll(pf, 2, -1) < 0) {
            cr_assert_eq(errno, EINTR);
            continue;
        }
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t got = read(pf[i].fd, buf, sizeof buf);
            if (got > 0) {
                if (i == 0)
                    add_bytes(&r.out, &on, buf, (size_t)got);
                else
                    add_bytes(&r.err, &en, buf, (size_t)got);
            } else if (got == 0 || errno != EINTR) {
                close(pf[i].fd);
                pf[i].fd = -1;
                open_fds--;
            }
        }
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        cr_assert_eq(errno, EINTR);
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return r;
}

run_result t_run_pnpbox(const char *const *args, char *const *env)
{
    const char *argv[64];
    size_t n = 0;
    argv[n++] = t_pnpbox_path();
    for (; args[n - 1] && n < 63; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    return run_argv(argv, env, NULL);
}

run_result t_run_sh(const char *cmdline, const char *dir)
{
    const char *argv[] = {"/bin/sh", "-c", cmdline, NULL};
    return run_argv(argv, NULL, dir);
}

void t_run_free(run_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
