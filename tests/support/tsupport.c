/*
 * tsupport.c: helpers shared by every Criterion suite (see tsupport.h).
 */
#include "tests/support/tsupport.h"

#include "base/pb_utf16.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

char *t_mkdtemp(const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/pnpbox-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag ? tag : "t");
    if (!mkdtemp(buf))
        return NULL;
    return strdup(buf);
}

static void rmtree_at(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        DIR *d = fdopendir(fd);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                rmtree_at(dirfd(d), e->d_name);
            }
            closedir(d);
        } else {
            close(fd);
        }
        unlinkat(dfd, name, AT_REMOVEDIR);
    } else {
        unlinkat(dfd, name, 0);
    }
}

void t_rmtree(const char *path)
{
    if (path)
        rmtree_at(AT_FDCWD, path);
}

const char *t_shared_dir(void)
{
    static char buf[4096];
    const char *top = getenv("PNPBOX_TOP");
    struct stat st;
    if (top && *top) {
        snprintf(buf, sizeof buf, "%s/../shared", top);
        if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
            return buf;
    }
    if (stat("../shared", &st) == 0 && S_ISDIR(st.st_mode))
        return "../shared";
    return NULL;
}

unsigned char *t_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            unsigned char *b2 = realloc(buf, cap * 2);
            if (!b2) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b2;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        if (!r)
            break;
        n += r;
    }
    fclose(f);
    if (buf && len)
        *len = n;
    return buf;
}

pid_t t_child_spawn(const char *role, const char *arg)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = 0;
    size_t ne = 0;
    while (environ[ne])
        ne++;
    char **env = calloc(ne + 3, sizeof *env);
    char rbuf[512], abuf[4096];
    if (!env)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < ne; i++)
        if (strncmp(environ[i], "PNPBOX_TEST_CHILD=", 18) && strncmp(environ[i], "PNPBOX_TEST_ARG=", 16))
            env[o++] = environ[i];
    snprintf(rbuf, sizeof rbuf, "PNPBOX_TEST_CHILD=%s", role);
    snprintf(abuf, sizeof abuf, "PNPBOX_TEST_ARG=%s", arg ? arg : "");
    env[o++] = rbuf;
    env[o++] = abuf;
    env[o] = NULL;
    char *argv[] = {exe, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, exe, NULL, NULL, argv, env);
    free(env);
    return rc == 0 ? pid : -1;
}

int t_child_wait(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

const char *t_child_role(void) { return getenv("PNPBOX_TEST_CHILD"); }

const char *t_child_arg(void) { return getenv("PNPBOX_TEST_ARG"); }

const char *t_u8(const uint16_t *s, size_t n)
{
    static char bufs[4][1024];
    static int next;
    char *out = bufs[next++ & 3];
    char *u = pb_utf8_from_wcs(s, n);
    snprintf(out, 1024, "%s", u ? u : "(?)");
    free(u);
    return out;
}

static void collect_infs(const char *dir, t_paths *p)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            collect_infs(path, p);
            continue;
        }
        size_t l = strlen(e->d_name);
        if (l < 4 || (strcasecmp(e->d_name + l - 4, ".inf") && strcasecmp(e->d_name + l - 4, ".inx")))
            continue;
        if (p->n == p->cap) {
            p->cap = p->cap ? p->cap * 2 : 256;
            char **v = realloc(p->v, p->cap * sizeof *v);
            cr_assert_not_null(v, "out of memory");
            p->v = v;
        }
        p->v[p->n] = strdup(path);
        cr_assert_not_null(p->v[p->n], "out of memory");
        p->n++;
    }
    closedir(d);
}

static int cmp_path(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void t_collect_infs(const char *dir, t_paths *p)
{
    collect_infs(dir, p);
    if (p->n)
        qsort(p->v, p->n, sizeof *p->v, cmp_path);
}

void t_paths_free(t_paths *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    memset(p, 0, sizeof *p);
}
