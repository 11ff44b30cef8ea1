/*
 * test_mount_data.c: file data through the FUSE mount, on both data paths
 * (passthrough to the backing file where the kernel and the daemon's
 * privileges allow it, and through the daemon with
 * PNPBOX_FUSE_PASSTHROUGH=0): a write is attributed to the process that
 * opened the file for writing and refused for it as the policy says,
 * whichever path the data then takes; data and sizes changed in process
 * are seen through the mount at once, even on a file the mount holds open
 * or mapped, and the other way round; handles on one file share it; the
 * archive attribute follows writes.
 */
#include "tests/fs/fs_test.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void data_setup(void)
{
    fst_setup();
    fst_mount();
}

TestSuite(fs_mountdata, .init = data_setup, .fini = fst_teardown);

/* The test process is "pnpbox-test", every other process "external". */
static int identify(void *ctx, boxfs_caller *c)
{
    (void)ctx;
    c->component_name = c->tgid == getpid() ? "pnpbox-test" : "external";
    return 0;
}

/* Mount again, with passthrough (where possible) or with every read and
 * write going through the daemon. */
static void remount(int passthrough)
{
    boxfs_mount_opts o = {.identify = identify};
    int err;
    cr_assert_eq(boxfs_mount_stop(fst.mount), 0);
    fst.mount = NULL;
    if (passthrough)
        unsetenv("PNPBOX_FUSE_PASSTHROUGH");
    else
        setenv("PNPBOX_FUSE_PASSTHROUGH", "0", 1);
    err = boxfs_mount_start(fst.vol, fst.mnt, &o, &fst.mount);
    cr_assert_eq(err, 0, "cannot mount at '%s': %s", fst.mnt, boxfs_strerror(err));
}

/* Passthrough needs FUSE_PASSTHROUGH (Linux 6.9) and CAP_SYS_ADMIN. */
static int passthrough_expected(void)
{
    struct utsname u;
    int major = 0, minor = 0;
    if (geteuid() != 0 || uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
        return 0;
    return major > 6 || (major == 6 && minor >= 9);
}

static int sh(const char *script, pid_t *pidp)
{
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    pid_t pid;
    int st;
    cr_assert_eq(posix_spawn(&pid, "/bin/sh", NULL, NULL, (char *const *)argv, environ), 0);
    if (pidp)
        *pidp = pid;
    while (waitpid(pid, &st, 0) < 0)
        cr_assert_eq(errno, EINTR);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A copy of the recorded events (the daemon may add more meanwhile). */
static fst_event *events_copy(size_t *n)
{
    fst_event *v;
    *n = fst_nevents();
    v = malloc((*n ? *n : 1) * sizeof *v);
    cr_assert_not_null(v);
    memcpy(v, fst_events(), *n * sizeof *v);
    return v;
}

static size_t count_events(const fst_event *v, size_t n, boxfs_op op, const char *path,
                           int via_fuse)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += v[i].op == op && !strcmp(v[i].path, path) && v[i].via_fuse == via_fuse;
    return c;
}

static const fst_event *last_event(const fst_event *v, size_t n, boxfs_op op, const char *path)
{
    const fst_event *r = NULL;
    for (size_t i = 0; i < n; i++)
        if (v[i].op == op && !strcmp(v[i].path, path))
            r = &v[i];
    return r;
}

/* ---- attribution ---- */

static void writes_are_attributed_to_the_opener(int passthrough)
{
    char script[1024];
    pid_t pid;
    size_t n;
    fst_event *v;
    const fst_event *e;
    char *s;
    remount(passthrough);
    fst_record();
    snprintf(script, sizeof script,
             "set -e; f='%s/ProgramData/Sh.txt'; echo hi > \"$f\"; echo more >> \"$f\";"
             "[ \"$(cat \"$f\")\" = \"hi\nmore\" ]",
             fst.mnt);
    cr_assert_eq(sh(script, &pid), 0, "the shell could not write and read back through the mount");
    s = fst_host_read("ProgramData/Sh.txt");
    cr_expect_str_eq(s, "hi\nmore\n", "the data is in the backing file");
    free(s);
    v = events_copy(&n);
    /* the opens that granted the writes: the shell's, with write access */
    e = last_event(v, n, BOXFS_OP_OPEN, "\\ProgramData\\Sh.txt");
    cr_assert_not_null(e, "the opens were put to the policy");
    {
        int creates = 0, appends = 0;
        for (size_t i = 0; i < n; i++) {
            if (v[i].op != BOXFS_OP_OPEN || strcmp(v[i].path, "\\ProgramData\\Sh.txt"))
                continue;
            /* the shell opens for its redirections; cat reads */
            if (v[i].access & BOXFS_ACCESS_WRITE)
                cr_expect_eq(v[i].tgid, pid, "open by tgid %d, the shell is %d", v[i].tgid, pid);
            cr_expect_neq(v[i].tgid, getpid());
            cr_expect_str_eq(v[i].component_name, "external");
            cr_expect_eq(v[i].via_fuse, 1);
            cr_expect_eq(v[i].status, 0);
            creates += (v[i].access & BOXFS_ACCESS_CREATE) && (v[i].access & BOXFS_ACCESS_WRITE);
            appends += !(v[i].access & BOXFS_ACCESS_CREATE) && (v[i].access & BOXFS_ACCESS_WRITE);
        }
        cr_expect_eq(creates, 1, "one create with write access");
        cr_expect_eq(appends, 1, "one open for appending, with write access");
    }
    /* every data request that reached the daemon came from the shell
     * (writes) or cat (reads), never from this process */
    for (size_t i = 0; i < n; i++) {
        if ((v[i].op == BOXFS_OP_WRITE || v[i].op == BOXFS_OP_READ) &&
            !strcmp(v[i].path, "\\ProgramData\\Sh.txt")) {
            if (v[i].op == BOXFS_OP_WRITE)
                cr_expect_eq(v[i].tgid, pid);
            cr_expect_neq(v[i].tgid, getpid());
            cr_expect_str_eq(v[i].component_name, "external");
        }
    }
    if (!passthrough) {
        e = last_event(v, n, BOXFS_OP_WRITE, "\\ProgramData\\Sh.txt");
        cr_assert_not_null(e, "through the daemon, each write is a request");
        cr_expect_eq(e->tgid, pid);
        cr_expect_eq(e->status, 5, "the append wrote 'more\\n'");
    } else if (passthrough_expected()) {
        cr_expect_eq(count_events(v, n, BOXFS_OP_WRITE, "\\ProgramData\\Sh.txt", 1), 0,
                     "with passthrough the data never reaches the daemon");
        cr_expect_eq(count_events(v, n, BOXFS_OP_READ, "\\ProgramData\\Sh.txt", 1), 0);
    }
    free(v);
}

Test(fs_mountdata, writes_are_attributed_to_the_opener_passthrough)
{
    writes_are_attributed_to_the_opener(1);
}

Test(fs_mountdata, writes_are_attributed_to_the_opener_daemon)
{
    writes_are_attributed_to_the_opener(0);
}

Test(fs_mountdata, passthrough_is_used_where_possible)
{
    char *p = fst_mnt("ProgramData/pt.bin"), buf[4096];
    size_t n;
    fst_event *v;
    int fd;
    if (!passthrough_expected())
        cr_skip_test("passthrough needs root and Linux 6.9 or later");
    remount(1);
    fst_record();
    memset(buf, 'p', sizeof buf);
    fd = open(p, O_CREAT | O_RDWR, 0644);
    cr_assert_geq(fd, 0);
    for (int i = 0; i < 64; i++)
        cr_assert_eq(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
    cr_assert_eq(pread(fd, buf, sizeof buf, 4096 * 10), (ssize_t)sizeof buf);
    cr_expect_eq(buf[0], 'p');
    cr_assert_eq(close(fd), 0);
    v = events_copy(&n);
    cr_expect_eq(count_events(v, n, BOXFS_OP_WRITE, "\\ProgramData\\pt.bin", 1), 0,
                 "no WRITE request reached the daemon: the kernel refused passthrough");
    cr_expect_eq(count_events(v, n, BOXFS_OP_READ, "\\ProgramData\\pt.bin", 1), 0);
    cr_expect_eq(count_events(v, n, BOXFS_OP_OPEN, "\\ProgramData\\pt.bin", 1), 1);
    {
        struct stat st;
        char *h = fst_host("ProgramData/pt.bin");
        cr_assert_eq(stat(h, &st), 0);
        cr_expect_eq(st.st_size, 64 * 4096);
        free(h);
    }
    free(v);
    free(p);
}

/* Each passthrough open is audited, and a node's backing file outlives
 * its handles but not the node nor the mount: a file reopened, replaced
 * under the same name, or opened through a later mount of the same volume
 * reads what is in the backing file now. */
Test(fs_mountdata, reopens_replacements_and_remounts_read_the_current_file)
{
    char *p = fst_mnt("ProgramData/again.txt"), buf[64];
    size_t n;
    fst_event *v;
    int fd;
    ssize_t k;
    if (!passthrough_expected())
        cr_skip_test("passthrough needs root and Linux 6.9 or later");
    remount(1);
    fst_record();
    for (int round = 0; round < 3; round++) {
        char want[16];
        snprintf(want, sizeof want, "round %d", round);
        fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        cr_assert_geq(fd, 0, "cannot create '%s': %s", p, strerror(errno));
        cr_assert_eq(write(fd, want, strlen(want)), (ssize_t)strlen(want));
        cr_assert_eq(close(fd), 0);
        for (int i = 0; i < 2; i++) { /* the second open finds the node's backing file kept */
            fd = open(p, O_RDONLY);
            cr_assert_geq(fd, 0);
            k = read(fd, buf, sizeof buf - 1);
            cr_assert_eq(k, (ssize_t)strlen(want));
            buf[k] = 0;
            cr_expect_str_eq(buf, want);
            cr_assert_eq(close(fd), 0);
        }
        if (round == 0) {
            /* deleted and created again through the mount: a new node */
            cr_assert_eq(unlink(p), 0);
        } else if (round == 1) {
            /* the next mount has ids of its own */
            remount(1);
        }
    }
    v = events_copy(&n);
    cr_expect_eq(count_events(v, n, BOXFS_OP_OPEN, "\\ProgramData\\again.txt", 1), 9,
                 "every open through the mount is judged and recorded");
    cr_expect_eq(count_events(v, n, BOXFS_OP_READ, "\\ProgramData\\again.txt", 1), 0,
                 "the reads went to the backing file");
    free(v);
    /* replaced behind pnpbox's back: the mount reads the new file */
    {
        char *h = fst_host("ProgramData/again.txt"), *t = fst_host("ProgramData/again.tmp");
        FILE *w = fopen(t, "w");
        cr_assert_not_null(w);
        fputs("from the host", w);
        cr_assert_eq(fclose(w), 0);
        cr_assert_eq(rename(t, h), 0);
        free(h);
        free(t);
    }
    for (int tries = 0;; tries++) {
        /* the kernel may still hold the old entry: its open is refused
         * (ENOENT) and the entry dropped */
        fd = open(p, O_RDONLY);
        if (fd < 0 && errno == ENOENT && tries < 30) {
            usleep(100 * 1000);
            continue;
        }
        cr_assert_geq(fd, 0, "cannot open '%s': %s", p, strerror(errno));
        k = read(fd, buf, sizeof buf - 1);
        cr_assert_geq(k, 0);
        buf[k] = 0;
        cr_assert_eq(close(fd), 0);
        if (!strcmp(buf, "from the host") || tries == 30)
            break;
        usleep(100 * 1000);
    }
    cr_expect_str_eq(buf, "from the host");
    free(p);
}

/* ---- refusal ---- */

/* Nothing "external" may change \ProgramData\Locked. */
static int lock_policy(void *ctx, const boxfs_request *req)
{
    (void)ctx;
    if (req->caller && req->caller->component_name &&
        !strcmp(req->caller->component_name, "external") && (req->access & BOXFS_ACCESS_MODIFY) &&
        boxfs_path_under(req->path, "\\ProgramData\\Locked"))
        return BOXFS_E_ACCESS;
    return 0;
}

static void refused_writes_stay_refused(int passthrough)
{
    char script[2048];
    pid_t pid;
    size_t n;
    fst_event *v;
    const fst_event *e;
    char *s;
    {
        char *d = fst_host("ProgramData/Locked");
        cr_assert_eq(mkdir(d, 0755), 0);
        free(d);
    }
    fst_host_write("ProgramData/Locked/keep.txt", "orig");
    boxfs_volume_set_policy(fst.vol, lock_policy, NULL);
    remount(passthrough);
    fst_record();
    snprintf(script, sizeof script,
             "d='%s/ProgramData/Locked'; r=0;"
             "{ echo x > \"$d/keep.txt\"; } 2>/dev/null && r=1;"
             "{ echo x >> \"$d/keep.txt\"; } 2>/dev/null && r=2;"
             "{ echo x > \"$d/new.txt\"; } 2>/dev/null && r=3;"
             "[ \"$(cat \"$d/keep.txt\")\" = orig ] || r=4;"
             "exit $r",
             fst.mnt);
    cr_expect_eq(sh(script, &pid), 0, "a write the policy refuses got through (or reading failed)");
    s = fst_host_read("ProgramData/Locked/keep.txt");
    cr_expect_str_eq(s, "orig", "the file is unchanged");
    free(s);
    cr_expect(!fst_host_exists("ProgramData/Locked/new.txt"), "nothing was created");
    v = events_copy(&n);
    e = last_event(v, n, BOXFS_OP_OPEN, "\\ProgramData\\Locked\\new.txt");
    cr_assert_not_null(e, "the refused create was recorded");
    cr_expect_eq(e->status, BOXFS_E_ACCESS);
    cr_expect_eq(e->verdict, BOXFS_E_ACCESS);
    cr_expect_eq(e->tgid, pid);
    cr_expect_str_eq(e->component_name, "external");
    {
        int refused = 0, allowed_reads = 0;
        for (size_t i = 0; i < n; i++) {
            if (v[i].op != BOXFS_OP_OPEN || strcmp(v[i].path, "\\ProgramData\\Locked\\keep.txt"))
                continue;
            cr_expect_str_eq(v[i].component_name, "external");
            if (v[i].access & BOXFS_ACCESS_WRITE) {
                cr_expect_eq(v[i].tgid, pid, "the shell's redirections");
                cr_expect_eq(v[i].status, BOXFS_E_ACCESS);
                refused++;
            } else {
                cr_expect_eq(v[i].status, 0);
                allowed_reads++;
            }
        }
        cr_expect_eq(refused, 2, "the truncating and the appending open were refused");
        cr_expect_geq(allowed_reads, 1, "reading stays allowed");
    }
    cr_expect_eq(count_events(v, n, BOXFS_OP_WRITE, "\\ProgramData\\Locked\\keep.txt", 1), 0);
    free(v);
    /* the decision is the caller's: this process may write there */
    {
        char *p = fst_mnt("ProgramData/Locked/keep.txt");
        int fd = open(p, O_WRONLY | O_APPEND);
        cr_assert_geq(fd, 0, "cannot open '%s': %s", p, strerror(errno));
        cr_expect_eq(write(fd, "+", 1), 1);
        cr_expect_eq(close(fd), 0);
        free(p);
        s = fst_host_read("ProgramData/Locked/keep.txt");
        cr_expect_str_eq(s, "orig+");
        free(s);
    }
}

Test(fs_mountdata, refused_writes_stay_refused_passthrough)
{
    refused_writes_stay_refused(1);
}

Test(fs_mountdata, refused_writes_stay_refused_daemon)
{
    refused_writes_stay_refused(0);
}

/* ---- coherence ---- */

static void in_process_and_mount_data_are_coherent(int passthrough)
{
    boxfs_file *f;
    size_t n;
    char buf[64] = {0}, *p = fst_mnt("ProgramData/co.txt");
    struct stat st;
    int fd, rfd;
    char *map;
    remount(passthrough);
    cr_assert_eq(fst_open("\\ProgramData\\co.txt", BOXFS_ACCESS_READ | BOXFS_ACCESS_WRITE,
                          BOXFS_CREATE, 0, &f, NULL),
                 0);
    cr_assert_eq(boxfs_write(f, NULL, "abc", 3, 0, &n), 0);
    fd = open(p, O_RDWR);
    cr_assert_geq(fd, 0);
    rfd = open(p, O_RDONLY);
    cr_assert_geq(rfd, 0, "a second handle on the same file");
    cr_expect_eq(pread(fd, buf, sizeof buf, 0), 3);
    cr_expect_str_eq(buf, "abc");
    map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, rfd, 0);
    cr_assert_neq(map, MAP_FAILED, "mmap through the mount: %s", strerror(errno));
    cr_expect_eq(map[0], 'a');
    /* changed in process: an open handle and a mapping of the mount see it */
    cr_assert_eq(boxfs_write(f, NULL, "XYZW", 4, 0, &n), 0);
    memset(buf, 0, sizeof buf);
    cr_expect_eq(pread(fd, buf, sizeof buf, 0), 4);
    cr_expect_str_eq(buf, "XYZW", "an open mount handle reads the in-process write");
    cr_expect_eq(map[0], 'X', "the mount's mapping shows the in-process write");
    cr_assert_eq(fstat(fd, &st), 0);
    cr_expect_eq(st.st_size, 4);
    {
        /* and the time of that write */
        struct stat hs;
        char *h = fst_host("ProgramData/co.txt");
        cr_assert_eq(stat(h, &hs), 0);
        cr_expect(st.st_mtim.tv_sec == hs.st_mtim.tv_sec && st.st_mtim.tv_nsec == hs.st_mtim.tv_nsec,
                  "the mount shows the in-process write's mtime");
        free(h);
    }
    /* written through the mount: seen in process at once, data, size and time */
    {
        boxfs_info before, after;
        struct timespec pause = {0, 20000000};
        cr_assert_eq(boxfs_fstat(f, NULL, &before), 0);
        nanosleep(&pause, NULL); /* a later mtime than the in-process write's */
        cr_expect_eq(pwrite(fd, "m", 1, 4), 1);
        cr_assert_eq(boxfs_fstat(f, NULL, &after), 0);
        cr_expect_eq(after.size, 5);
        cr_expect_gt(after.write_time, before.write_time);
    }
    memset(buf, 0, sizeof buf);
    cr_assert_eq(boxfs_read(f, NULL, buf, sizeof buf, 0, &n), 0);
    cr_expect_eq(n, 5);
    cr_expect_str_eq(buf, "XYZWm");
    memset(buf, 0, sizeof buf);
    cr_expect_eq(pread(rfd, buf, sizeof buf, 0), 5, "the other mount handle sees it too");
    cr_expect_str_eq(buf, "XYZWm");
    /* truncated in process */
    cr_assert_eq(boxfs_set_size(f, NULL, 2), 0);
    cr_assert_eq(stat(p, &st), 0);
    cr_expect_eq(st.st_size, 2);
    memset(buf, 0, sizeof buf);
    cr_expect_eq(pread(rfd, buf, sizeof buf, 0), 2);
    cr_expect_str_eq(buf, "XY");
    /* a read-only handle cannot write, whatever the data path */
    cr_expect_eq(write(rfd, "z", 1), -1);
    cr_expect_eq(errno, EBADF);
    munmap(map, 4096);
    cr_expect_eq(close(fd), 0);
    /* a new handle while another is open, then after all are closed */
    fd = open(p, O_WRONLY | O_APPEND);
    cr_assert_geq(fd, 0);
    cr_expect_eq(write(fd, "++", 2), 2);
    memset(buf, 0, sizeof buf);
    cr_expect_eq(pread(rfd, buf, sizeof buf, 0), 4);
    cr_expect_str_eq(buf, "XY++");
    cr_expect_eq(close(fd), 0);
    cr_expect_eq(close(rfd), 0);
    fd = open(p, O_RDONLY);
    cr_assert_geq(fd, 0);
    memset(buf, 0, sizeof buf);
    cr_expect_eq(read(fd, buf, sizeof buf), 4);
    cr_expect_str_eq(buf, "XY++");
    cr_expect_eq(close(fd), 0);
    cr_expect_eq(boxfs_close(f), 0);
    free(p);
}

Test(fs_mountdata, in_process_and_mount_data_are_coherent_passthrough)
{
    in_process_and_mount_data_are_coherent(1);
}

Test(fs_mountdata, in_process_and_mount_data_are_coherent_daemon)
{
    in_process_and_mount_data_are_coherent(0);
}

/* ---- attributes ---- */

static void a_write_sets_the_archive_attribute(int passthrough)
{
    boxfs_setattr_args clear = {.mask = BOXFS_SET_ARCHIVE, .attributes = 0};
    boxfs_file *f;
    boxfs_info bi;
    char *p = fst_mnt("ProgramData/arch.txt");
    int fd;
    remount(passthrough);
    fst_host_write("ProgramData/arch.txt", "a");
    cr_assert_eq(fst_open("\\ProgramData\\arch.txt", BOXFS_ACCESS_WRITE_ATTR, BOXFS_OPEN, 0, &f,
                          NULL),
                 0);
    cr_assert_eq(boxfs_setattr(f, NULL, &clear), 0);
    cr_assert_eq(boxfs_close(f), 0);
    cr_assert_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\arch.txt", &bi), 0);
    cr_assert(!(bi.attributes & BOXFS_ATTR_ARCHIVE));
    /* reading does not set it */
    fd = open(p, O_RDONLY);
    cr_assert_geq(fd, 0);
    cr_expect_eq(close(fd), 0);
    cr_assert_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\arch.txt", &bi), 0);
    cr_expect(!(bi.attributes & BOXFS_ATTR_ARCHIVE));
    /* writing does, by the time write() returns */
    fd = open(p, O_WRONLY | O_APPEND);
    cr_assert_geq(fd, 0);
    cr_expect_eq(write(fd, "b", 1), 1);
    cr_assert_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\arch.txt", &bi), 0);
    cr_expect(bi.attributes & BOXFS_ATTR_ARCHIVE);
    cr_expect_eq(close(fd), 0);
    free(p);
}

Test(fs_mountdata, a_write_sets_the_archive_attribute_passthrough)
{
    a_write_sets_the_archive_attribute(1);
}

Test(fs_mountdata, a_write_sets_the_archive_attribute_daemon)
{
    a_write_sets_the_archive_attribute(0);
}
