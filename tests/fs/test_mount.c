/*
 * test_mount.c: the volume through a real FUSE mount, libfuse-style: the
 * syscall checklist (stat, readdir, create, write, append, seek, truncate,
 * rename, mkdir/rmdir, unlink, case variants, links refused, the read-only
 * store), coherence with in-process changes, caller identification, four
 * processes at once, large requests, and the `pnpbox mount` command
 * (foreground, background, stale mounts).
 */
#include "tests/fs/fs_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void mount_setup(void)
{
    fst_setup();
    fst_mount();
}

TestSuite(fs_mount, .init = mount_setup, .fini = fst_teardown);

static void mwrite(const char *rel, const char *data, int flags)
{
    char *p = fst_mnt(rel);
    int fd = open(p, O_WRONLY | flags, 0644);
    cr_assert_geq(fd, 0, "cannot open '%s': %s", p, strerror(errno));
    cr_assert_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
    cr_assert_eq(close(fd), 0);
    free(p);
}

static char *mread(const char *rel)
{
    char *p = fst_mnt(rel), *buf = calloc(1, 1 << 16);
    int fd = open(p, O_RDONLY);
    ssize_t n;
    cr_assert_geq(fd, 0, "cannot open '%s': %s", p, strerror(errno));
    n = read(fd, buf, (1 << 16) - 1);
    cr_assert_geq(n, 0);
    close(fd);
    free(p);
    return buf;
}

static int merr(int r)
{
    return r < 0 ? errno : 0;
}

static int sh(const char *script)
{
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    pid_t pid;
    int st;
    cr_assert_eq(posix_spawn(&pid, "/bin/sh", NULL, NULL, (char *const *)argv, environ), 0);
    while (waitpid(pid, &st, 0) < 0)
        cr_assert_eq(errno, EINTR);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

Test(fs_mount, stat_and_readdir)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    char seen[8][256];
    int n = 0;
    char *p;
    cr_assert_eq(stat(fst.mnt, &st), 0);
    cr_expect(S_ISDIR(st.st_mode));
    d = opendir(fst.mnt);
    cr_assert_not_null(d);
    while ((de = readdir(d)) && n < 8)
        snprintf(seen[n++], 256, "%s", de->d_name);
    closedir(d);
    cr_assert_eq(n, 5);
    cr_expect_str_eq(seen[0], ".");
    cr_expect_str_eq(seen[1], "..");
    cr_expect_str_eq(seen[2], "ProgramData");
    cr_expect_str_eq(seen[3], "Users");
    cr_expect_str_eq(seen[4], "Windows");
    p = fst_mnt("windows/SYSTEM32/drivers/driverdata");
    cr_expect_eq(stat(p, &st), 0, "case-insensitive paths");
    cr_expect(S_ISDIR(st.st_mode));
    free(p);
    p = fst_mnt("Windows/nope");
    cr_expect_eq(merr(stat(p, &st)), ENOENT);
    free(p);
    p = fst_mnt("Windows/a:b");
    cr_expect_eq(merr(stat(p, &st)), EINVAL, "an invalid name");
    free(p);
    {
        struct statvfs sv;
        cr_expect_eq(statvfs(fst.mnt, &sv), 0);
        cr_expect_eq(sv.f_namemax, 255);
    }
}

Test(fs_mount, create_write_read_append_seek_truncate)
{
    char *p = fst_mnt("ProgramData/file.txt"), buf[64] = {0}, *s;
    int fd;
    struct stat st;
    mwrite("ProgramData/file.txt", "hello", O_CREAT | O_EXCL);
    s = mread("ProgramData/file.txt");
    cr_expect_str_eq(s, "hello");
    free(s);
    s = fst_host_read("ProgramData/file.txt");
    cr_expect_str_eq(s, "hello", "stored in the backing tree");
    free(s);
    mwrite("ProgramData/file.txt", " world", O_APPEND);
    s = mread("ProgramData/file.txt");
    cr_expect_str_eq(s, "hello world");
    free(s);
    fd = open(p, O_RDWR);
    cr_assert_geq(fd, 0);
    cr_expect_eq(lseek(fd, 6, SEEK_SET), 6);
    cr_expect_eq(read(fd, buf, 5), 5);
    cr_expect_str_eq(buf, "world");
    cr_expect_eq(pwrite(fd, "W", 1, 6), 1);
    cr_expect_eq(pread(fd, buf, 11, 0), 11);
    cr_expect_eq(memcmp(buf, "hello World", 11), 0);
    cr_expect_eq(ftruncate(fd, 5), 0);
    cr_expect_eq(fstat(fd, &st), 0);
    cr_expect_eq(st.st_size, 5);
    cr_expect_eq(fsync(fd), 0);
    cr_expect_eq(close(fd), 0);
    cr_expect_eq(truncate(p, 2), 0);
    cr_expect_eq(stat(p, &st), 0);
    cr_expect_eq(st.st_size, 2);
    mwrite("ProgramData/file.txt", "new", O_TRUNC);
    s = mread("ProgramData/file.txt");
    cr_expect_str_eq(s, "new");
    free(s);
    cr_expect_eq(merr(open(p, O_CREAT | O_EXCL | O_WRONLY, 0644)), EEXIST);
    free(p);
}

Test(fs_mount, large_requests_reach_the_volume_whole)
{
    size_t size = 8 << 20, chunk = 1 << 20;
    char *p = fst_mnt("ProgramData/big.bin"), *buf = malloc(size), *back = malloc(size);
    int fd;
    int max_write_seen = 0;
    for (size_t i = 0; i < size; i++)
        buf[i] = (char)(i * 7 + (i >> 12));
    /* the request size matters where data goes through the daemon */
    cr_assert_eq(boxfs_mount_stop(fst.mount), 0);
    fst.mount = NULL;
    setenv("PNPBOX_FUSE_PASSTHROUGH", "0", 1);
    cr_assert_eq(boxfs_mount_start(fst.vol, fst.mnt, NULL, &fst.mount), 0);
    fst_record();
    fd = open(p, O_CREAT | O_WRONLY, 0644);
    cr_assert_geq(fd, 0);
    for (size_t off = 0; off < size; off += chunk)
        cr_assert_eq(write(fd, buf + off, chunk), (ssize_t)chunk);
    cr_assert_eq(close(fd), 0);
    for (size_t i = 0; i < fst_nevents(); i++)
        if (fst_events()[i].op == BOXFS_OP_WRITE && fst_events()[i].status > max_write_seen)
            max_write_seen = fst_events()[i].status;
    cr_expect_geq(max_write_seen, 1 << 20, "max_write is at least 1 MiB (saw %d)", max_write_seen);
    fd = open(p, O_RDONLY);
    cr_assert_geq(fd, 0);
    {
        size_t got = 0;
        ssize_t n;
        while ((n = read(fd, back + got, size - got)) > 0)
            got += (size_t)n;
        cr_expect_eq(got, size);
    }
    close(fd);
    cr_expect_eq(memcmp(buf, back, size), 0);
    free(buf);
    free(back);
    free(p);
}

Test(fs_mount, rename_mkdir_rmdir_unlink)
{
    char *a = fst_mnt("ProgramData/a.txt"), *b = fst_mnt("ProgramData/b.txt"),
         *d = fst_mnt("ProgramData/Dir"), *dc = fst_mnt("ProgramData/DIR"),
         *in = fst_mnt("ProgramData/Dir/in.txt"), *s;
    struct stat st;
    mwrite("ProgramData/a.txt", "A", O_CREAT);
    mwrite("ProgramData/b.txt", "B", O_CREAT);
    cr_expect_eq(merr(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE)), EEXIST);
    cr_expect_eq(rename(a, b), 0, "POSIX rename replaces a file");
    s = mread("ProgramData/b.txt");
    cr_expect_str_eq(s, "A");
    free(s);
    cr_expect_eq(merr(stat(a, &st)), ENOENT);
    cr_expect_eq(mkdir(d, 0755), 0);
    cr_expect_eq(merr(mkdir(d, 0755)), EEXIST);
    cr_expect_eq(merr(mkdir(dc, 0755)), EEXIST, "a case variant is the same directory");
    cr_expect_eq(rename(b, in), 0, "across directories");
    cr_expect(fst_host_exists("ProgramData/Dir/in.txt"));
    cr_expect_eq(merr(rmdir(d)), ENOTEMPTY);
    mwrite("ProgramData/c.txt", "C", O_CREAT);
    {
        char *c = fst_mnt("ProgramData/c.txt");
        cr_expect_eq(merr(rename(c, d)), EISDIR);
        cr_expect_eq(merr(rename(d, c)), ENOTDIR);
        free(c);
    }
    {
        char *e = fst_mnt("ProgramData/Empty");
        cr_expect_eq(mkdir(e, 0755), 0);
        cr_expect_eq(merr(rename(d, e)), EACCES, "NTFS never replaces a directory");
        cr_expect_eq(rmdir(e), 0);
        free(e);
    }
    cr_expect_eq(merr(unlink(d)), EISDIR);
    cr_expect_eq(unlink(in), 0);
    cr_expect_eq(merr(unlink(in)), ENOENT);
    cr_expect_eq(merr(rmdir(in)), ENOENT);
    cr_expect_eq(rmdir(d), 0);
    cr_expect(!fst_host_exists("ProgramData/Dir"));
    free(a);
    free(b);
    free(d);
    free(dc);
    free(in);
}

Test(fs_mount, case_variant_opens)
{
    char *lower = fst_mnt("ProgramData/Foo.txt"), *upper = fst_mnt("PROGRAMDATA/FOO.TXT"), *s;
    struct stat a, b;
    DIR *d;
    struct dirent *de;
    int n = 0;
    mwrite("ProgramData/Foo.txt", "foo", O_CREAT);
    cr_assert_eq(stat(lower, &a), 0);
    cr_assert_eq(stat(upper, &b), 0);
    cr_expect_eq(a.st_ino, b.st_ino, "one file under both spellings");
    s = mread("PROGRAMDATA/FOO.TXT");
    cr_expect_str_eq(s, "foo");
    free(s);
    mwrite("programdata/foo.TXT", "bar", O_CREAT | O_TRUNC);
    s = fst_host_read("ProgramData/Foo.txt");
    cr_expect_str_eq(s, "bar", "a create in other case opened the same file");
    free(s);
    {
        char *v = fst_mnt("ProgramData/fOO.txt");
        cr_expect_eq(merr(open(v, O_CREAT | O_EXCL | O_WRONLY, 0644)), EEXIST);
        free(v);
    }
    {
        char *pd = fst_mnt("ProgramData");
        d = opendir(pd);
        free(pd);
    }
    cr_assert_not_null(d);
    while ((de = readdir(d)))
        n += strcasecmp(de->d_name, "foo.txt") == 0;
    closedir(d);
    cr_expect_eq(n, 1);
    /* gone under the stored name: gone under every name at once */
    cr_expect_eq(unlink(lower), 0);
    cr_expect_eq(merr(stat(upper, &b)), ENOENT);
    mwrite("programdata/FOO.txt", "again", O_CREAT | O_EXCL);
    cr_expect(fst_host_exists("ProgramData/FOO.txt"), "a new file takes the new spelling");
    free(lower);
    free(upper);
}

Test(fs_mount, links_and_special_files_are_refused)
{
    char *l = fst_mnt("ProgramData/link"), *h = fst_mnt("ProgramData/hard"),
         *t = fst_mnt("ProgramData/target"), *f = fst_mnt("ProgramData/fifo"),
         *c = fst_mnt("ProgramData/chr");
    char *before;
    mwrite("ProgramData/target", "t", O_CREAT);
    before = fst_tree(fst.voldir);
    cr_expect_eq(merr(symlink("/etc/passwd", l)), EPERM);
    cr_expect_eq(merr(symlink("target", l)), EPERM);
    cr_expect_eq(merr(link(t, h)), EPERM);
    cr_expect_eq(merr(mkfifo(f, 0644)), EPERM);
    cr_expect_eq(merr(mknod(c, S_IFCHR | 0644, makedev(1, 3))), EPERM);
    {
        char *after = fst_tree(fst.voldir);
        cr_expect_str_eq(before, after, "nothing was created");
        free(after);
    }
    free(before);
    free(l);
    free(h);
    free(t);
    free(f);
    free(c);
}

Test(fs_mount, the_driver_store_is_read_only)
{
    boxfs_default_policy *p;
    char *pkg = fst_mnt("Windows/System32/DriverStore/FileRepository/pkg.inf_amd64_00");
    char *sys = fst_mnt("Windows/System32/DriverStore/FileRepository/pkg.inf_amd64_00/pkg.sys");
    char *nw = fst_mnt("Windows/System32/DriverStore/FileRepository/pkg.inf_amd64_00/new.sys");
    char *out = fst_mnt("ProgramData/stolen.sys"), *s, *before;
    cr_assert_eq(boxfs_default_policy_new(NULL, &p), 0);
    boxfs_default_policy_install(p, fst.vol);
    {
        char *d = fst_host("Windows/System32/DriverStore/FileRepository/pkg.inf_amd64_00");
        cr_assert_eq(mkdir(d, 0755), 0);
        free(d);
    }
    fst_host_write("Windows/System32/DriverStore/FileRepository/pkg.inf_amd64_00/pkg.sys", "MZ");
    before = fst_tree(fst.voldir);
    s = mread("windows/system32/driverstore/filerepository/pkg.inf_amd64_00/PKG.SYS");
    cr_expect_str_eq(s, "MZ", "reading is allowed");
    free(s);
    cr_expect_eq(merr(open(sys, O_WRONLY)), EROFS);
    cr_expect_eq(merr(open(sys, O_RDONLY | O_TRUNC)), EROFS);
    cr_expect_eq(merr(open(nw, O_CREAT | O_WRONLY, 0644)), EROFS);
    cr_expect_eq(merr(unlink(sys)), EROFS);
    cr_expect_eq(merr(rename(sys, out)), EROFS);
    cr_expect_eq(merr(truncate(sys, 0)), EROFS);
    cr_expect_eq(merr(chmod(sys, 0444)), EROFS);
    {
        char *d = fst_mnt("Windows/System32/DriverStore/New");
        cr_expect_eq(merr(mkdir(d, 0755)), EROFS);
        free(d);
    }
    cr_expect_eq(merr(rmdir(pkg)), EROFS);
    {
        char *after = fst_tree(fst.voldir);
        cr_expect_str_eq(before, after);
        free(after);
    }
    /* a shell sees the same refusal */
    {
        char script[600];
        snprintf(script, sizeof script, "{ echo x > '%s'; } 2>/dev/null", nw);
        cr_expect_neq(sh(script), 0);
    }
    boxfs_default_policy_install(NULL, fst.vol);
    boxfs_default_policy_free(p);
    free(before);
    free(pkg);
    free(sys);
    free(nw);
    free(out);
}

Test(fs_mount, chmod_chown_and_times)
{
    char *p = fst_mnt("ProgramData/attr.txt");
    struct stat st;
    boxfs_info bi;
    struct timespec ts[2] = {{1000000000, 0}, {1200000000, 500}};
    mwrite("ProgramData/attr.txt", "a", O_CREAT);
    cr_assert_eq(stat(p, &st), 0);
    cr_expect_eq(chmod(p, st.st_mode & 0777 & ~0222), 0, "chmod a-w: the read-only attribute");
    cr_assert_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\attr.txt", &bi), 0);
    cr_expect(bi.attributes & BOXFS_ATTR_READONLY);
    cr_expect_eq(merr(open(p, O_WRONLY)), EACCES);
    cr_expect_eq(merr(unlink(p)), EACCES, "a read-only file cannot be deleted (CANNOT_DELETE)");
    cr_expect_eq(chmod(p, st.st_mode & 0777), 0);
    cr_assert_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\attr.txt", &bi), 0);
    cr_expect(!(bi.attributes & BOXFS_ATTR_READONLY));
    cr_expect_eq(merr(chmod(p, 0755)), EPERM, "execute bits are not stored");
    cr_expect_eq(merr(chown(p, st.st_uid + 1, (gid_t)-1)), EPERM);
    cr_expect_eq(chown(p, st.st_uid, st.st_gid), 0, "a chown that changes nothing");
    cr_expect_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
    cr_assert_eq(stat(p, &st), 0);
    cr_expect_eq(st.st_mtim.tv_sec, 1200000000);
    cr_expect_eq(st.st_mtim.tv_nsec, 500);
    cr_expect_eq(st.st_atim.tv_sec, 1000000000);
    free(p);
}

Test(fs_mount, in_process_changes_show_at_once)
{
    boxfs_file *f;
    size_t n;
    char *s, *p = fst_mnt("ProgramData/shared.txt"), *q = fst_mnt("ProgramData/moved.txt");
    struct stat st;
    boxfs_open_args a = {.path = "\\ProgramData\\shared.txt",
                         .access = BOXFS_ACCESS_READ | BOXFS_ACCESS_WRITE | BOXFS_ACCESS_DELETE,
                         .disposition = BOXFS_CREATE};
    cr_assert_eq(boxfs_open(fst.vol, NULL, &a, &f, NULL), 0);
    cr_assert_eq(boxfs_write(f, NULL, "one", 3, 0, &n), 0);
    s = mread("ProgramData/shared.txt");
    cr_expect_str_eq(s, "one");
    free(s);
    cr_assert_eq(stat(p, &st), 0);
    cr_expect_eq(st.st_size, 3);
    /* rewritten in process: the mount's cached pages and size are dropped */
    cr_assert_eq(boxfs_write(f, NULL, "two!!", 5, 0, &n), 0);
    cr_assert_eq(stat(p, &st), 0);
    cr_expect_eq(st.st_size, 5);
    s = mread("ProgramData/shared.txt");
    cr_expect_str_eq(s, "two!!");
    free(s);
    cr_assert_eq(boxfs_rename(f, NULL, NULL, "\\ProgramData\\moved.txt", 0), 0);
    cr_expect_eq(merr(stat(p, &st)), ENOENT);
    cr_expect_eq(stat(q, &st), 0);
    cr_assert_eq(boxfs_set_delete(f, NULL, 1), 0);
    cr_assert_eq(boxfs_close(f), 0);
    cr_expect_eq(merr(stat(q, &st)), ENOENT);
    /* and the other way round: made through the mount, seen in process */
    mwrite("ProgramData/Viafuse.txt", "v", O_CREAT);
    {
        boxfs_info bi;
        cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\programdata\\VIAFUSE.TXT", &bi), 0);
        cr_expect_eq(bi.size, 1);
    }
    free(p);
    free(q);
}

/* An identify callback that names the component. */
static int identify(void *ctx, boxfs_caller *c)
{
    (void)ctx;
    c->component_name = "external";
    return 0;
}

Test(fs_mount, callers_are_identified)
{
    boxfs_mount_opts o = {.identify = identify};
    char script[512];
    const fst_event *e;
    pid_t pid;
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    int st;
    cr_assert_eq(boxfs_mount_stop(fst.mount), 0);
    cr_assert_eq(boxfs_mount_start(fst.vol, fst.mnt, &o, &fst.mount), 0);
    fst_record();
    snprintf(script, sizeof script, "echo hi > '%s/ProgramData/Sh.txt'", fst.mnt);
    cr_assert_eq(posix_spawn(&pid, "/bin/sh", NULL, NULL, (char *const *)argv, environ), 0);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    e = fst_find_event(BOXFS_OP_OPEN, "\\ProgramData\\Sh.txt");
    cr_assert_not_null(e, "the create was put to the policy");
    cr_expect_eq(e->via_fuse, 1);
    cr_expect_eq(e->tgid, pid, "tgid %d, the shell is %d", e->tgid, pid);
    cr_expect_str_eq(e->component_name, "external");
    cr_expect_null(e->component);
    cr_expect_eq(e->status, 0);
    cr_expect(e->access & BOXFS_ACCESS_CREATE);
    /* the write itself: a request only when data goes through the daemon
     * (test_mount_data.c covers both data paths) */
    e = fst_find_event(BOXFS_OP_WRITE, "\\ProgramData\\Sh.txt");
    if (e) {
        cr_expect_eq(e->tgid, pid);
        cr_expect_eq(e->status, 3);
    }
}

Test(fs_mount, four_processes_at_once)
{
    pid_t pids[4];
    char scripts[4][1024];
    char *p;
    for (int i = 0; i < 4; i++) {
        const char *argv[] = {"/bin/sh", "-c", scripts[i], NULL};
        snprintf(scripts[i], sizeof scripts[i],
                 "set -e; m='%s'; d=\"$m/ProgramData/W%d\"; mkdir \"$d\"; i=0;"
                 "while [ $i -lt 40 ]; do"
                 "  echo \"w%d $i\" > \"$d/f$i.txt\";"
                 "  [ \"$(cat \"$d/F$i.TXT\")\" = \"w%d $i\" ];"
                 "  mv \"$d/f$i.txt\" \"$d/g$i.txt\";"
                 "  echo \"w%d $i\" >> \"$m/ProgramData/shared.log\";"
                 "  if [ $((i %% 2)) -eq 0 ]; then rm \"$d/G$i.txt\"; fi;"
                 "  i=$((i+1));"
                 "done; ls \"$d\" | wc -l > \"$m/ProgramData/count%d\"",
                 fst.mnt, i, i, i, i, i);
        cr_assert_eq(posix_spawn(&pids[i], "/bin/sh", NULL, NULL, (char *const *)argv, environ), 0);
    }
    for (int i = 0; i < 4; i++) {
        int st;
        cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "worker %d failed (%d)", i, st);
    }
    p = fst_host_read("ProgramData/shared.log");
    {
        int lines = 0;
        for (char *c = p; *c; c++)
            lines += *c == '\n';
        cr_expect_eq(lines, 160);
    }
    free(p);
    for (int i = 0; i < 4; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "ProgramData/count%d", i);
        p = fst_host_read(rel);
        cr_expect_eq(atoi(p), 20, "worker %d kept %s files", i, p);
        free(p);
    }
}

/* ---- the pnpbox mount command ---- */

static char *cli_path(void)
{
    const char *b = getenv("PNPBOX_BUILD");
    char *p;
    if (!b || asprintf(&p, "%s/bin/pnpbox", b) < 0 || access(p, X_OK))
        cr_skip_test("the pnpbox CLI is not built (set PNPBOX_BUILD; 'make' builds it)");
    return p;
}

static int is_mounted(const char *path)
{
    struct stat a, b;
    char parent[4200];
    snprintf(parent, sizeof parent, "%s/..", path);
    return !stat(path, &a) && !stat(parent, &b) && a.st_dev != b.st_dev;
}

/* Wait (up to 10 s) for a mount to appear or go; a liveness check, not a timing one. */
static int wait_mounted(const char *path, int want)
{
    for (int i = 0; i < 500; i++) {
        if (is_mounted(path) == want)
            return 1;
        usleep(20000);
    }
    return 0;
}

static pid_t spawn_cli(const char *const *argv, int *outfd)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int pfd[2];
    cr_assert_eq(pipe(pfd), 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    posix_spawn_file_actions_addclose(&fa, pfd[0]);
    cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (outfd)
        *outfd = pfd[0];
    else
        close(pfd[0]);
    return pid;
}

static int wait_status(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

Test(fs_mount, cli_foreground_stops_cleanly_on_sigterm)
{
    char *cli = cli_path(), *machine = fst_top("cli"), *mnt = fst_top("climnt"), *f;
    const char *argv[] = {cli, "--machine", machine, "mount", mnt, NULL};
    pid_t pid = spawn_cli(argv, NULL);
    cr_assert(wait_mounted(mnt, 1), "the daemon did not mount");
    f = fst_top("climnt/Windows/INF/x.inf");
    {
        FILE *fp = fopen(f, "w");
        cr_assert_not_null(fp);
        fputs("[Version]\n", fp);
        fclose(fp);
    }
    cr_expect_eq(access(f, R_OK), 0);
    cr_expect_eq(kill(pid, SIGTERM), 0);
    cr_expect_eq(wait_status(pid), 0, "a clean stop exits 0");
    cr_expect(!is_mounted(mnt), "unmounted");
    {
        char *h = fst_top("cli/volume/Windows/INF/x.inf");
        cr_expect_eq(access(h, F_OK), 0, "the file is in the machine's volume");
        free(h);
    }
    free(f);
    free(cli);
    free(machine);
    free(mnt);
}

Test(fs_mount, cli_background_and_stale_mounts)
{
    char *cli = cli_path(), *machine = fst_top("cli"), *mnt = fst_top("climnt");
    const char *argv[] = {cli, "--machine", machine, "mount", mnt, "--background", NULL};
    const char *fg[] = {cli, "--machine", machine, "mount", mnt, NULL};
    char out[512] = {0};
    int fd, dpid = 0;
    pid_t pid = spawn_cli(argv, &fd);
    struct stat st;
    cr_assert_eq(wait_status(pid), 0, "background mount failed");
    cr_assert_gt(read(fd, out, sizeof out - 1), 0);
    close(fd);
    cr_assert_not_null(strstr(out, "daemon pid "), "%s", out);
    dpid = atoi(strstr(out, "daemon pid ") + 11);
    cr_assert_gt(dpid, 0);
    cr_expect(is_mounted(mnt), "ready when the command returns");
    /* a second mount there is refused */
    pid = spawn_cli(argv, NULL);
    cr_expect_eq(wait_status(pid), 1);
    /* kill the daemon hard: a stale mount (ENOTCONN) stays behind */
    cr_assert_eq(kill(dpid, SIGKILL), 0);
    for (int i = 0; i < 500 && !kill(dpid, 0); i++)
        usleep(20000);
    cr_expect_eq(merr(stat(mnt, &st)), ENOTCONN, "stale");
    /* the next mount cleans it up */
    pid = spawn_cli(fg, NULL);
    for (int i = 0; i < 500; i++) {
        if (!stat(mnt, &st) && is_mounted(mnt))
            break;
        usleep(20000);
    }
    cr_expect(is_mounted(mnt) && !stat(mnt, &st), "remounted over the stale mount");
    /* an outside unmount ends the daemon cleanly */
    {
        const char *um[] = {"/bin/fusermount3", "-u", mnt, NULL};
        pid_t u;
        if (access(um[0], X_OK))
            um[0] = "/usr/bin/fusermount3";
        cr_assert_eq(posix_spawn(&u, um[0], NULL, NULL, (char *const *)um, environ), 0);
        cr_expect_eq(wait_status(u), 0);
    }
    cr_expect_eq(wait_status(pid), 0);
    cr_expect(!is_mounted(mnt));
    free(cli);
    free(machine);
    free(mnt);
}

Test(fs_mount, cli_log_shows_what_each_open_was_granted)
{
    char *cli = cli_path(), *machine = fst_top("cli"), *mnt = fst_top("climnt"),
         *log = fst_top("access.log"), *s, script[1024];
    const char *argv[] = {cli, "--machine", machine, "mount", mnt, "--background", "--log", log,
                          NULL};
    char out[512] = {0};
    int fd;
    pid_t pid = spawn_cli(argv, &fd);
    FILE *f;
    cr_assert_eq(wait_status(pid), 0, "background mount failed");
    cr_expect_gt(read(fd, out, sizeof out - 1), 0);
    close(fd);
    snprintf(script, sizeof script,
             "echo hi > '%s/ProgramData/Log.txt' && cat '%s/ProgramData/Log.txt' >/dev/null && "
             "! { echo x > '%s/Windows/System32/DriverStore/x.inf'; } 2>/dev/null",
             mnt, mnt, mnt);
    cr_expect_eq(sh(script), 0);
    {
        const char *um[] = {"/bin/fusermount3", "-u", mnt, NULL};
        pid_t u;
        if (access(um[0], X_OK))
            um[0] = "/usr/bin/fusermount3";
        cr_assert_eq(posix_spawn(&u, um[0], NULL, NULL, (char *const *)um, environ), 0);
        cr_expect_eq(wait_status(u), 0);
    }
    cr_assert(wait_mounted(mnt, 0), "the daemon did not unmount");
    f = fopen(log, "r");
    cr_assert_not_null(f, "no log at '%s'", log);
    s = calloc(1, 1 << 16);
    cr_assert_eq(ferror(f), 0);
    {
        size_t n = fread(s, 1, (1 << 16) - 1, f);
        s[n] = 0;
    }
    fclose(f);
    cr_expect_not_null(strstr(s, " external open(write,create,read_attr) \\ProgramData\\Log.txt ok\n"),
                       "the create and its access:\n%s", s);
    cr_expect_not_null(strstr(s, " external open(read,read_attr) \\ProgramData\\Log.txt ok\n"),
                       "the read:\n%s", s);
    cr_expect_not_null(
        strstr(s, " external open(write,create,read_attr) \\Windows\\System32\\DriverStore\\x.inf "),
        "the refused create:\n%s", s);
    cr_expect_null(strstr(s, "DriverStore\\x.inf ok"), "%s", s);
    free(s);
    free(cli);
    free(machine);
    free(mnt);
    free(log);
}

Test(fs_mount, cli_usage)
{
    char *cli = cli_path(), out[4096] = {0};
    const char *help[] = {cli, "mount", "--help", NULL};
    const char *none[] = {cli, "mount", NULL};
    const char *bad[] = {cli, "mount", "x", "--bogus", NULL};
    int fd;
    pid_t pid = spawn_cli(help, &fd);
    cr_expect_eq(wait_status(pid), 0);
    cr_expect_gt(read(fd, out, sizeof out - 1), 0);
    close(fd);
    cr_expect_not_null(strstr(out, "usage: pnpbox [--machine DIR] mount MOUNTPOINT"));
    cr_expect_not_null(strstr(out, "--background"));
    cr_expect_eq(wait_status(spawn_cli(none, NULL)), 2);
    cr_expect_eq(wait_status(spawn_cli(bad, NULL)), 2);
    free(cli);
}

Test(fs_mount, library_mount_refuses_a_live_mount_and_cleans_a_stale_one)
{
    boxfs_mount *m = (boxfs_mount *)0xdeadbeef;
    boxfs *v2;
    char *other = fst_top("v2");
    cr_assert_eq(boxfs_volume_open(other, &(boxfs_volume_opts){.flags = BOXFS_VOL_CREATE}, &v2), 0);
    cr_expect_eq(boxfs_mount_start(v2, fst.mnt, NULL, &m), BOXFS_E_BUSY, "already mounted there");
    cr_expect_eq(m, (boxfs_mount *)0xdeadbeef);
    cr_expect_eq(boxfs_mount_start(fst.vol, fst.top, NULL, &m), BOXFS_E_BUSY,
                 "one mount per volume");
    cr_expect_eq(boxfs_mount_start(v2, "/nonexistent/x", NULL, &m), BOXFS_E_NOENT);
    cr_expect_eq(boxfs_mount_start(NULL, fst.mnt, NULL, &m), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_mount_cleanup_stale(fst.mnt), 0, "a live mount is not stale");
    cr_expect_eq(boxfs_mount_ended(fst.mount), 0);
    cr_expect_geq(boxfs_mount_fd(fst.mount), 0);
    /* an outside unmount ends the session */
    cr_assert_eq(umount2(fst.mnt, 0), 0);
    {
        struct timespec t = {0, 20000000};
        for (int i = 0; i < 500 && !boxfs_mount_ended(fst.mount); i++)
            nanosleep(&t, NULL);
    }
    cr_expect_eq(boxfs_mount_ended(fst.mount), 1);
    cr_expect_eq(boxfs_mount_stop(fst.mount), 0);
    fst.mount = NULL;
    cr_expect_eq(boxfs_mount_stop(NULL), 0);
    boxfs_volume_close(v2);
    free(other);
}

Test(fs_mount, host_changes_between_close_and_open_are_seen)
{
    char *s, *hp = fst_host("ProgramData/cto.txt");
    struct timespec later[2] = {{0, UTIME_OMIT}, {2000000000, 0}};
    mwrite("ProgramData/cto.txt", "version1", O_CREAT);
    s = mread("ProgramData/cto.txt");
    cr_expect_str_eq(s, "version1");
    free(s);
    /* the kernel may keep its pages: the file did not change */
    s = mread("ProgramData/cto.txt");
    cr_expect_str_eq(s, "version1");
    free(s);
    /* changed on the host, other size */
    fst_host_write("ProgramData/cto.txt", "version22");
    s = mread("ProgramData/cto.txt");
    cr_expect_str_eq(s, "version22");
    free(s);
    /* changed on the host, same size, later time */
    fst_host_write("ProgramData/cto.txt", "versionXY");
    cr_assert_eq(utimensat(AT_FDCWD, hp, later, 0), 0);
    s = mread("ProgramData/cto.txt");
    cr_expect_str_eq(s, "versionXY");
    free(s);
    free(hp);
}

Test(fs_mount, closing_the_volume_stops_its_mount)
{
    char *rel = fst_top("mnt/../mnt");
    boxfs_mount *m;
    /* remount through a relative-looking path, then close without stopping */
    cr_assert_eq(boxfs_mount_stop(fst.mount), 0);
    fst.mount = NULL;
    cr_assert_eq(boxfs_mount_start(fst.vol, rel, NULL, &m), 0);
    cr_expect(is_mounted(fst.mnt));
    boxfs_volume_close(fst.vol);
    fst.vol = NULL;
    cr_expect(!is_mounted(fst.mnt), "the mount went with its volume");
    free(rel);
}
