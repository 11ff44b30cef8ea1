/*
 * fs_test.c: the fixtures of fs_test.h.
 */
#include "tests/fs/fs_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

fst_env fst;
static char crash_mnt[4096];

static void crash_unmount(int sig)
{
    /* a crashed test must not leave a dead mount behind */
    if (crash_mnt[0])
        umount2(crash_mnt, MNT_DETACH);
    signal(sig, SIG_DFL);
    raise(sig);
}

void fst_setup(void)
{
    char tmpl[] = "/tmp/pnpbox-fs-XXXXXX";
    int err;
    memset(&fst, 0, sizeof fst);
    cr_assert_not_null(mkdtemp(tmpl), "cannot make a temporary directory");
    fst.top = strdup(tmpl);
    cr_assert(asprintf(&fst.voldir, "%s/volume", fst.top) > 0);
    err = boxfs_machine_open(fst.top, NULL, &fst.vol);
    cr_assert_eq(err, 0, "cannot open machine '%s': %s", fst.top, boxfs_strerror(err));
}

void fst_mount(void)
{
    int err = boxfs_fuse_available();
    struct sigaction sa;
    if (err)
        cr_skip_test("FUSE is not available here (%s): mount tests skipped", boxfs_strerror(err));
    cr_assert(asprintf(&fst.mnt, "%s/mnt", fst.top) > 0);
    cr_assert_eq(mkdir(fst.mnt, 0755), 0);
    snprintf(crash_mnt, sizeof crash_mnt, "%s", fst.mnt);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = crash_unmount;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    err = boxfs_mount_start(fst.vol, fst.mnt, NULL, &fst.mount);
    cr_assert_eq(err, 0, "cannot mount at '%s': %s", fst.mnt, boxfs_strerror(err));
}

void fst_teardown(void)
{
    if (fst.mount) {
        int err = boxfs_mount_stop(fst.mount);
        fst.mount = NULL;
        cr_expect_eq(err, 0, "unmount failed: %s", boxfs_strerror(err));
    }
    if (fst.mnt) {
        struct stat st;
        if (stat(fst.mnt, &st) && errno == ENOTCONN)
            umount2(fst.mnt, MNT_DETACH);
    }
    crash_mnt[0] = 0;
    boxfs_volume_close(fst.vol);
    fst.vol = NULL;
    if (fst.top)
        fst_rm_rf(fst.top);
    free(fst.top);
    free(fst.voldir);
    free(fst.mnt);
    memset(&fst, 0, sizeof fst);
    fst_clear_events();
}

char *fst_host(const char *rel)
{
    char *p;
    if (asprintf(&p, "%s/%s", fst.voldir, rel) < 0)
        abort();
    return p;
}

char *fst_top(const char *rel)
{
    char *p;
    if (asprintf(&p, "%s/%s", fst.top, rel) < 0)
        abort();
    return p;
}

char *fst_mnt(const char *rel)
{
    char *p;
    if (asprintf(&p, "%s/%s", fst.mnt, rel) < 0)
        abort();
    return p;
}

void fst_host_write(const char *rel, const char *data)
{
    char *p = fst_host(rel);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f, "cannot write host file '%s': %s", p, strerror(errno));
    fputs(data, f);
    fclose(f);
    free(p);
}

char *fst_host_read(const char *rel)
{
    char *p = fst_host(rel), *buf = calloc(1, 65536);
    FILE *f = fopen(p, "r");
    if (f) {
        size_t n = fread(buf, 1, 65535, f);
        buf[n] = 0;
        fclose(f);
    }
    free(p);
    return buf;
}

int fst_host_exists(const char *rel)
{
    char *p = fst_host(rel);
    struct stat st;
    int r = !lstat(p, &st);
    free(p);
    return r;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        return rmdir(path) && errno != ENOENT ? -1 : 0;
    chmod(path, 0700);
    return unlink(path) && errno != ENOENT ? -1 : 0;
}

int fst_rm_rf(const char *path)
{
    return nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static char *tree_buf;
static size_t tree_len;
static int tree_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    size_t n = strlen(path);
    (void)st;
    (void)flag;
    (void)ftw;
    tree_buf = realloc(tree_buf, tree_len + n + 2);
    memcpy(tree_buf + tree_len, path, n);
    tree_len += n;
    tree_buf[tree_len++] = '\n';
    tree_buf[tree_len] = 0;
    return 0;
}

char *fst_tree(const char *hostdir)
{
    tree_buf = strdup("");
    tree_len = 0;
    nftw(hostdir, tree_one, 32, FTW_PHYS | FTW_MOUNT);
    return tree_buf;
}

int fst_open(const char *path, unsigned access, unsigned disp, unsigned options, boxfs_file **f,
             unsigned *info)
{
    boxfs_open_args a = {0};
    a.path = path;
    a.access = access;
    a.disposition = disp;
    a.options = options;
    return boxfs_open(fst.vol, NULL, &a, f, info);
}

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static fst_event *events;
static size_t nevents;

static void record(void *ctx, const boxfs_request *req, int status)
{
    fst_event e;
    (void)ctx;
    memset(&e, 0, sizeof e);
    e.op = req->op;
    e.access = req->access;
    snprintf(e.path, sizeof e.path, "%s", req->path ? req->path : "");
    snprintf(e.path2, sizeof e.path2, "%s", req->path2 ? req->path2 : "");
    e.status = status;
    e.verdict = req->verdict;
    e.via_fuse = req->via_fuse;
    e.exists = req->exists;
    e.is_dir = req->is_dir;
    e.pid = req->caller ? req->caller->pid : -1;
    e.tgid = req->caller ? req->caller->tgid : -1;
    e.component = req->caller ? req->caller->component : NULL;
    snprintf(e.component_name, sizeof e.component_name, "%s",
             req->caller && req->caller->component_name ? req->caller->component_name : "");
    pthread_mutex_lock(&ev_lock);
    events = realloc(events, (nevents + 1) * sizeof *events);
    events[nevents++] = e;
    pthread_mutex_unlock(&ev_lock);
}

void fst_record(void)
{
    boxfs_volume_set_completed(fst.vol, record, NULL);
}

size_t fst_nevents(void)
{
    return nevents;
}

const fst_event *fst_events(void)
{
    return events;
}

void fst_clear_events(void)
{
    pthread_mutex_lock(&ev_lock);
    free(events);
    events = NULL;
    nevents = 0;
    pthread_mutex_unlock(&ev_lock);
}

const fst_event *fst_find_event(boxfs_op op, const char *path)
{
    const fst_event *r = NULL;
    pthread_mutex_lock(&ev_lock);
    for (size_t i = 0; i < nevents; i++)
        if (events[i].op == op && (!path || !strcmp(events[i].path, path)))
            r = &events[i]; /* the last one */
    pthread_mutex_unlock(&ev_lock);
    return r;
}
