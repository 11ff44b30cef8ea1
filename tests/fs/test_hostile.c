/*
 * test_hostile.c: hostile names and traversal attempts from both sides,
 * in process and through the mount.  Each is refused with its code and
 * nothing is created, changed or removed, inside the volume or around it
 * (the machine directory holds an "outside" tree next to the volume).
 */
#include "tests/fs/fs_test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void hostile_setup(void)
{
    char *p;
    fst_setup();
    p = fst_top("outside");
    cr_assert_eq(mkdir(p, 0755), 0);
    free(p);
    p = fst_top("outside/secret.txt");
    {
        FILE *f = fopen(p, "w");
        fputs("secret", f);
        fclose(f);
    }
    free(p);
    /* host symlinks inside the backing tree, leading out of it */
    p = fst_host("ProgramData/escape");
    cr_assert_eq(symlink("../../outside", p), 0);
    free(p);
    p = fst_host("ProgramData/passwd");
    {
        char *t = fst_top("outside/secret.txt");
        cr_assert_eq(symlink(t, p), 0);
        free(t);
    }
    free(p);
}

TestSuite(fs_hostile, .init = hostile_setup, .fini = fst_teardown);

static int is_refusal(int err)
{
    return err == BOXFS_E_SYNTAX || err == BOXFS_E_NAMEINVALID || err == BOXFS_E_PATHNOTFOUND ||
           err == BOXFS_E_NAMETOOLONG || err == BOXFS_E_SYMLINK || err == BOXFS_E_NOENT ||
           err == BOXFS_E_EXISTS /* mkdir over a host symlink's name */ ||
           err == BOXFS_E_ACCESS /* a rename never replaces what is not a file */;
}

/* Try every way of creating, changing or removing something at path. */
static void attack(const char *path)
{
    boxfs_file *f = NULL;
    boxfs_info st;
    int err;
    for (unsigned d = BOXFS_SUPERSEDE; d <= BOXFS_OVERWRITE_IF; d++) {
        err = fst_open(path, BOXFS_ACCESS_READ | BOXFS_ACCESS_WRITE, d, 0, &f, NULL);
        cr_expect(is_refusal(err), "open '%s' disp %u: %s", path, d, boxfs_strerror(err));
        if (!err)
            boxfs_close(f);
        err = fst_open(path, BOXFS_ACCESS_LIST, d <= BOXFS_OPEN_IF && d >= BOXFS_OPEN ? d : BOXFS_OPEN,
                       BOXFS_DIRECTORY_FILE, &f, NULL);
        cr_expect(is_refusal(err), "open dir '%s': %s", path, boxfs_strerror(err));
        if (!err)
            boxfs_close(f);
    }
    err = boxfs_mkdir(fst.vol, NULL, NULL, path);
    cr_expect(is_refusal(err), "mkdir '%s': %s", path, boxfs_strerror(err));
    err = boxfs_delete(fst.vol, NULL, NULL, path);
    cr_expect(is_refusal(err), "delete '%s': %s", path, boxfs_strerror(err));
    err = boxfs_stat(fst.vol, NULL, NULL, path, &st);
    cr_expect(is_refusal(err), "stat '%s': %s", path, boxfs_strerror(err));
    err = boxfs_rename_path(fst.vol, NULL, "\\ProgramData\\victim.txt", path, 1);
    cr_expect(is_refusal(err), "rename to '%s': %s", path, boxfs_strerror(err));
    err = boxfs_rename_path(fst.vol, NULL, path, "\\ProgramData\\x", 1);
    cr_expect(is_refusal(err), "rename from '%s': %s", path, boxfs_strerror(err));
}

Test(fs_hostile, traversal_in_process)
{
    const char *paths[] = {
        "..",
        "..\\outside\\secret.txt",
        "\\..\\outside\\new.txt",
        "/../../outside/new.txt",
        "Windows\\..\\..\\outside\\x",
        "\\Windows\\System32\\..\\..\\..\\..\\..\\tmp\\x",
        "\\ProgramData\\.\\x",
        "\\ProgramData\\escape\\secret.txt",
        "\\ProgramData\\escape\\new.txt",
        "\\ProgramData\\escape",
        "\\ProgramData\\ESCAPE\\deeper\\x",
        "\\ProgramData\\passwd",
        "C:\\Windows\\x",
        "\\\\?\\C:\\x",
        "\\??\\C:\\x",
        "\\ProgramData\\x:stream",
        "\\ProgramData\\bad*",
        "\\ProgramData\\con",
        "\\ProgramData\\LPT1.log",
        "\\ProgramData\\a\x01z",
        "\\ProgramData\\\xff\xfe",
        "\\ProgramData\\\xc0\xae\xc0\xae",
        "\\ProgramData\\\\x",
        "\\etc\\passwd",
        "/etc/shadow",
    };
    char *before, *after;
    fst_host_write("ProgramData/victim.txt", "v");
    before = fst_tree(fst.top);
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        attack(paths[i]);
    after = fst_tree(fst.top);
    cr_expect_str_eq(before, after, "nothing changed in or around the volume");
    free(before);
    free(after);
    {
        char *s = fst_host_read("../outside/secret.txt");
        cr_expect_str_eq(s, "secret", "the symlinked file was never truncated");
        free(s);
    }
}

Test(fs_hostile, relative_opens_cannot_climb)
{
    boxfs_file *dir, *f;
    boxfs_open_args a = {.access = BOXFS_ACCESS_WRITE, .disposition = BOXFS_OPEN_IF};
    const char *rel[] = {"..", "..\\x", "..\\..\\outside\\x", "\\x", "/x", ".\\x", "x\\..\\..\\y"};
    char *before = fst_tree(fst.top), *after;
    cr_assert_eq(fst_open("\\ProgramData", BOXFS_ACCESS_LIST, BOXFS_OPEN, 0, &dir, NULL), 0);
    a.root = dir;
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        int err;
        a.path = rel[i];
        err = boxfs_open(fst.vol, NULL, &a, &f, NULL);
        cr_expect(err == BOXFS_E_SYNTAX || err == BOXFS_E_NAMEINVALID, "'%s': %s", rel[i],
                  boxfs_strerror(err));
    }
    boxfs_close(dir);
    after = fst_tree(fst.top);
    cr_expect_str_eq(before, after);
    free(before);
    free(after);
}

Test(fs_hostile, huge_names_and_paths)
{
    char *path = malloc(80000), *before = fst_tree(fst.top), *after;
    boxfs_file *f;
    size_t n = 0;
    /* longer than any UNICODE_STRING */
    memset(path, 'a', 70000);
    path[70000] = 0;
    cr_expect_eq(fst_open(path, BOXFS_ACCESS_WRITE, BOXFS_OPEN_IF, 0, &f, NULL),
                 BOXFS_E_NAMETOOLONG);
    /* a component over 255 units */
    strcpy(path, "\\ProgramData\\");
    memset(path + 13, 'b', 300);
    path[313] = 0;
    cr_expect_eq(fst_open(path, BOXFS_ACCESS_WRITE, BOXFS_OPEN_IF, 0, &f, NULL),
                 BOXFS_E_NAMETOOLONG);
    /* 16000 short components (just under the limit): refused, not crashed */
    while (n + 2 < 32760) {
        path[n++] = '\\';
        path[n++] = 'd';
    }
    path[n] = 0;
    cr_expect_eq(fst_open(path, BOXFS_ACCESS_WRITE, BOXFS_OPEN_IF, 0, &f, NULL),
                 BOXFS_E_PATHNOTFOUND);
    /* the limit is counted in UTF-16 units, not bytes: 20000 units of 'é'
     * are 40000 bytes, and still a valid (missing) path */
    n = 0;
    path[n++] = '\\';
    for (int i = 0; i < 20000; i++) {
        if (i % 101 == 100)
            path[n++] = '\\';
        else {
            path[n++] = '\xc3';
            path[n++] = '\xa9';
        }
    }
    path[n] = 0;
    cr_expect_eq(fst_open(path, BOXFS_ACCESS_WRITE, BOXFS_OPEN_IF, 0, &f, NULL),
                 BOXFS_E_PATHNOTFOUND);
    after = fst_tree(fst.top);
    cr_expect_str_eq(before, after);
    free(path);
    free(before);
    free(after);
}

Test(fs_hostile, through_the_mount)
{
    const char *names[] = {"a*b", "a?b", "x|y", "a\"b", "a<b", "a>b", "c:d", "COM1", "lpt9.txt",
                           "aux", "Nul.", "\x01ctl", "tab\there", "\xff\xfe", "con .txt"};
    char *before, *after, *p;
    struct stat st;
    fst_mount();
    before = fst_tree(fst.top);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char rel[128];
        int fd;
        snprintf(rel, sizeof rel, "ProgramData/%s", names[i]);
        p = fst_mnt(rel);
        fd = open(p, O_CREAT | O_WRONLY, 0644);
        cr_expect_lt(fd, 0, "created '%s'", names[i]);
        cr_expect_eq(errno, EINVAL, "'%s': %s", names[i], strerror(errno));
        cr_expect_neq(mkdir(p, 0755), 0);
        cr_expect_eq(errno, EINVAL);
        free(p);
    }
    {
        /* longer than NAME_MAX in bytes */
        char name[400] = "ProgramData/";
        for (int i = 0; i < 100; i++)
            strcat(name, "\xe6\x97\xa5");
        p = fst_mnt(name);
        cr_expect_lt(open(p, O_CREAT | O_WRONLY, 0644), 0);
        cr_expect_eq(errno, ENAMETOOLONG);
        free(p);
    }
    /* symlinks in the backing tree are neither followed nor shown */
    p = fst_mnt("ProgramData/escape/secret.txt");
    cr_expect_lt(open(p, O_RDONLY), 0);
    cr_expect_eq(errno, EACCES);
    free(p);
    p = fst_mnt("ProgramData/escape/new.txt");
    cr_expect_lt(open(p, O_CREAT | O_WRONLY, 0644), 0);
    free(p);
    p = fst_mnt("ProgramData/passwd");
    cr_expect_lt(open(p, O_WRONLY | O_TRUNC), 0);
    cr_expect_eq(errno, EACCES);
    cr_expect_neq(lstat(p, &st), 0);
    cr_expect_neq(unlink(p), 0);
    free(p);
    p = fst_mnt("ProgramData");
    {
        char cmd[512];
        FILE *ls;
        char line[256];
        snprintf(cmd, sizeof cmd, "ls -a '%s'", p);
        ls = popen(cmd, "r");
        cr_assert_not_null(ls);
        while (fgets(line, sizeof line, ls)) {
            cr_expect_neq(strncmp(line, "escape", 6), 0, "a host symlink is listed");
            cr_expect_neq(strncmp(line, "passwd", 6), 0, "a host symlink is listed");
        }
        pclose(ls);
    }
    free(p);
    /* links out of the volume */
    p = fst_mnt("ProgramData/out");
    cr_expect_neq(symlink("/etc", p), 0);
    cr_expect_eq(errno, EPERM);
    free(p);
    after = fst_tree(fst.top);
    cr_expect_str_eq(before, after, "nothing changed in or around the volume");
    free(before);
    free(after);
    p = fst_host_read("../outside/secret.txt");
    cr_expect_str_eq(p, "secret");
    free(p);
}
