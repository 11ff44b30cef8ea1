/*
 * test_volume.c: the in-process volume API with exact codes: the skeleton,
 * every create disposition and directory option with its Information
 * value, case-insensitive case-preserving names, data at an offset / the
 * current position / the end, attributes, rename, delete and
 * delete-on-close, listings with restart and resume, relative opens, and
 * coherence with changes made directly in the backing directory.
 */
#include "tests/fs/fs_test.h"

#include "fs/boxfs_int.h" /* vol->scans: white-box check of the name cache */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RW (BOXFS_ACCESS_READ | BOXFS_ACCESS_WRITE)
#define ALL (RW | BOXFS_ACCESS_DELETE | BOXFS_ACCESS_LIST | BOXFS_ACCESS_READ_ATTR | BOXFS_ACCESS_WRITE_ATTR)

static void put(const char *path, const char *data)
{
    boxfs_file *f;
    size_t n;
    int err = fst_open(path, RW, BOXFS_OVERWRITE_IF, BOXFS_NON_DIRECTORY_FILE, &f, NULL);
    cr_assert_eq(err, 0, "cannot create '%s': %s", path, boxfs_strerror(err));
    cr_assert_eq(boxfs_write(f, NULL, data, strlen(data), 0, &n), 0);
    cr_assert_eq(n, strlen(data));
    cr_assert_eq(boxfs_close(f), 0);
}

static char *get(const char *path)
{
    boxfs_file *f;
    char *buf = calloc(1, 4096);
    size_t n = 0;
    int err = fst_open(path, BOXFS_ACCESS_READ, BOXFS_OPEN, 0, &f, NULL);
    cr_assert_eq(err, 0, "cannot open '%s': %s", path, boxfs_strerror(err));
    err = boxfs_read(f, NULL, buf, 4095, 0, &n);
    cr_assert(err == 0 || err == BOXFS_E_EOF);
    buf[n] = 0;
    boxfs_close(f);
    return buf;
}

TestSuite(fs_volume, .init = fst_setup, .fini = fst_teardown);

Test(fs_volume, skeleton_in_canonical_case)
{
    const char *dirs[] = {"Windows/INF", "Windows/Temp", "Windows/ServiceState",
                          "Windows/System32/DriverStore/FileRepository",
                          "Windows/System32/drivers/DriverData",
                          "Windows/System32/DriverState/Devices", "ProgramData",
                          "Users/Default/AppData/Local/Temp"};
    char *before, *after;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char *p = fst_host(dirs[i]);
        struct stat st;
        cr_expect(!lstat(p, &st) && S_ISDIR(st.st_mode), "missing '%s'", dirs[i]);
        free(p);
    }
    before = fst_tree(fst.voldir);
    cr_expect_eq(boxfs_volume_skeleton(fst.vol), 0, "idempotent");
    after = fst_tree(fst.voldir);
    cr_expect_str_eq(before, after);
    free(before);
    free(after);
}

Test(fs_volume, skeleton_keeps_existing_case_and_refuses_a_file_in_the_way)
{
    char *dir = fst_top("other"), *p;
    boxfs *v;
    int err;
    cr_assert_eq(mkdir(dir, 0755), 0);
    p = fst_top("other/WINDOWS");
    cr_assert_eq(mkdir(p, 0755), 0);
    free(p);
    cr_assert_eq(boxfs_volume_open(dir, NULL, &v), 0);
    cr_expect_eq(boxfs_volume_skeleton(v), 0);
    p = fst_top("other/WINDOWS/System32/drivers/DriverData");
    cr_expect_eq(access(p, F_OK), 0, "built inside the existing 'WINDOWS'");
    free(p);
    p = fst_top("other/Windows");
    cr_expect_neq(access(p, F_OK), 0, "no second 'Windows'");
    free(p);
    boxfs_volume_close(v);
    /* a file where a directory belongs */
    p = fst_top("third");
    cr_assert_eq(mkdir(p, 0755), 0);
    free(p);
    p = fst_top("third/ProgramData");
    fclose(fopen(p, "w"));
    free(p);
    p = fst_top("third");
    cr_assert_eq(boxfs_volume_open(p, NULL, &v), 0);
    err = boxfs_volume_skeleton(v);
    cr_expect_eq(err, BOXFS_E_NOTDIR, "got %s", boxfs_strerror(err));
    boxfs_volume_close(v);
    free(p);
    free(dir);
}

Test(fs_volume, open_volume_errors)
{
    boxfs *v = (boxfs *)0xdeadbeef;
    char *p = fst_top("nothere"), *l = fst_top("link");
    cr_expect_eq(boxfs_volume_open(p, NULL, &v), BOXFS_E_NOENT);
    cr_expect_eq(v, (boxfs *)0xdeadbeef);
    cr_expect_eq(boxfs_volume_open(NULL, NULL, &v), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_volume_open("", NULL, &v), BOXFS_E_INVAL);
    cr_assert_eq(symlink(fst.voldir, l), 0);
    cr_expect_eq(boxfs_volume_open(l, NULL, &v), BOXFS_E_SYMLINK);
    {
        boxfs_volume_opts o = {.flags = BOXFS_VOL_CREATE};
        char *deep = fst_top("a/b/c");
        cr_expect_eq(boxfs_volume_open(deep, &o, &v), 0);
        boxfs_volume_close(v);
        free(deep);
    }
    cr_expect_str_eq(boxfs_volume_dir(fst.vol), fst.voldir);
    free(p);
    free(l);
}

/* ---- dispositions ---- */

typedef struct dcase {
    unsigned disp;
    int exists;
    int err;
    unsigned info;
    int truncated;
} dcase;

Test(fs_volume, every_disposition_on_files)
{
    const dcase cases[] = {
        {BOXFS_SUPERSEDE, 0, 0, BOXFS_CREATED, 0},
        {BOXFS_SUPERSEDE, 1, 0, BOXFS_SUPERSEDED, 1},
        {BOXFS_OPEN, 0, BOXFS_E_NOENT, 0, 0},
        {BOXFS_OPEN, 1, 0, BOXFS_OPENED, 0},
        {BOXFS_CREATE, 0, 0, BOXFS_CREATED, 0},
        {BOXFS_CREATE, 1, BOXFS_E_EXISTS, 0, 0},
        {BOXFS_OPEN_IF, 0, 0, BOXFS_CREATED, 0},
        {BOXFS_OPEN_IF, 1, 0, BOXFS_OPENED, 0},
        {BOXFS_OVERWRITE, 0, BOXFS_E_NOENT, 0, 0},
        {BOXFS_OVERWRITE, 1, 0, BOXFS_OVERWRITTEN, 1},
        {BOXFS_OVERWRITE_IF, 0, 0, BOXFS_CREATED, 0},
        {BOXFS_OVERWRITE_IF, 1, 0, BOXFS_OVERWRITTEN, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[64], host[64];
        boxfs_file *f = (boxfs_file *)0xdeadbeef;
        unsigned info = 0xdeadbeef;
        int err;
        snprintf(path, sizeof path, "\\ProgramData\\d%zu.txt", i);
        snprintf(host, sizeof host, "ProgramData/d%zu.txt", i);
        if (cases[i].exists)
            fst_host_write(host, "old data");
        err = fst_open(path, RW, cases[i].disp, 0, &f, &info);
        cr_expect_eq(err, cases[i].err, "case %zu: got %s", i, boxfs_strerror(err));
        if (cases[i].err) {
            cr_expect_eq(f, (boxfs_file *)0xdeadbeef, "case %zu: handle untouched", i);
            cr_expect_eq(info, 0xdeadbeef, "case %zu: info untouched", i);
            cr_expect_eq(fst_host_exists(host), cases[i].exists, "case %zu", i);
            continue;
        }
        cr_expect_eq(info, cases[i].info, "case %zu: info %u", i, info);
        {
            boxfs_info st;
            cr_assert_eq(boxfs_fstat(f, NULL, &st), 0);
            cr_expect_eq(st.size, cases[i].exists && !cases[i].truncated ? 8u : 0u, "case %zu", i);
            cr_expect_eq(st.attributes, BOXFS_ATTR_ARCHIVE, "case %zu: attributes %#x", i,
                         st.attributes);
        }
        cr_expect_eq(boxfs_close(f), 0);
    }
    {
        boxfs_file *f;
        cr_expect_eq(fst_open("\\ProgramData\\x", RW, 6, 0, &f, NULL), BOXFS_E_INVAL);
        cr_expect_eq(fst_open("\\ProgramData\\x", RW, 0xffffffffu, 0, &f, NULL), BOXFS_E_INVAL);
        cr_expect(!fst_host_exists("ProgramData/x"));
    }
}

Test(fs_volume, directory_options)
{
    boxfs_file *f;
    unsigned info = 0xdeadbeef;
    int err;
    fst_host_write("ProgramData/file.txt", "x");
    /* create a directory */
    err = fst_open("\\ProgramData\\Dir", BOXFS_ACCESS_LIST, BOXFS_CREATE, BOXFS_DIRECTORY_FILE, &f,
                   &info);
    cr_assert_eq(err, 0, "%s", boxfs_strerror(err));
    cr_expect_eq(info, BOXFS_CREATED);
    cr_expect(boxfs_file_is_dir(f));
    cr_expect_eq(boxfs_file_access(f), BOXFS_ACCESS_LIST);
    boxfs_close(f);
    cr_expect(fst_host_exists("ProgramData/Dir"));
    /* OPEN_IF of the existing directory */
    cr_expect_eq(fst_open("\\ProgramData\\dir", BOXFS_ACCESS_LIST, BOXFS_OPEN_IF,
                          BOXFS_DIRECTORY_FILE, &f, &info), 0);
    cr_expect_eq(info, BOXFS_OPENED);
    boxfs_close(f);
    /* FILE_DIRECTORY_FILE on a file */
    cr_expect_eq(fst_open("\\ProgramData\\file.txt", 0, BOXFS_OPEN, BOXFS_DIRECTORY_FILE, &f, NULL),
                 BOXFS_E_NOTDIR);
    /* FILE_NON_DIRECTORY_FILE on a directory */
    cr_expect_eq(fst_open("\\ProgramData\\Dir", 0, BOXFS_OPEN, BOXFS_NON_DIRECTORY_FILE, &f, NULL),
                 BOXFS_E_ISDIR);
    /* a directory opened without options */
    cr_expect_eq(fst_open("\\ProgramData\\Dir", 0, BOXFS_OPEN, 0, &f, &info), 0);
    cr_expect_eq(info, BOXFS_OPENED);
    cr_expect(boxfs_file_is_dir(f));
    boxfs_close(f);
    /* the data of a directory cannot be replaced */
    cr_expect_eq(fst_open("\\ProgramData\\Dir", RW, BOXFS_OVERWRITE, 0, &f, NULL), BOXFS_E_ISDIR);
    cr_expect_eq(fst_open("\\ProgramData\\Dir", RW, BOXFS_SUPERSEDE, 0, &f, NULL), BOXFS_E_ISDIR);
    /* invalid combinations (ZwCreateFile: STATUS_INVALID_PARAMETER) */
    for (unsigned d = BOXFS_SUPERSEDE; d <= BOXFS_OVERWRITE_IF; d++) {
        int want = (d == BOXFS_CREATE || d == BOXFS_OPEN || d == BOXFS_OPEN_IF) ? 1 : 0;
        err = fst_open("\\ProgramData\\NewDir", 0, d, BOXFS_DIRECTORY_FILE, &f, NULL);
        if (want) {
            cr_expect(err == 0 || err == BOXFS_E_NOENT || err == BOXFS_E_EXISTS, "disp %u: %s", d,
                      boxfs_strerror(err));
            if (!err)
                boxfs_close(f);
        } else {
            cr_expect_eq(err, BOXFS_E_INVAL, "disp %u with FILE_DIRECTORY_FILE", d);
        }
    }
    cr_expect_eq(fst_open("\\ProgramData\\y", 0, BOXFS_OPEN_IF,
                          BOXFS_DIRECTORY_FILE | BOXFS_NON_DIRECTORY_FILE, &f, NULL),
                 BOXFS_E_INVAL);
    cr_expect_eq(fst_open("\\ProgramData\\y", RW, BOXFS_OPEN_IF, BOXFS_DELETE_ON_CLOSE, &f, NULL),
                 BOXFS_E_INVAL, "delete-on-close needs DELETE access");
    cr_expect(!fst_host_exists("ProgramData/y"));
}

Test(fs_volume, name_not_found_vs_path_not_found)
{
    boxfs_file *f;
    boxfs_info st;
    fst_host_write("ProgramData/f.txt", "x");
    cr_expect_eq(fst_open("\\ProgramData\\missing", 0, BOXFS_OPEN, 0, &f, NULL), BOXFS_E_NOENT);
    cr_expect_eq(fst_open("\\ProgramData\\missing\\x", 0, BOXFS_OPEN, 0, &f, NULL),
                 BOXFS_E_PATHNOTFOUND);
    cr_expect_eq(fst_open("\\ProgramData\\missing\\x", RW, BOXFS_OPEN_IF, 0, &f, NULL),
                 BOXFS_E_PATHNOTFOUND, "no parent is ever created");
    cr_expect_eq(fst_open("\\ProgramData\\f.txt\\x", 0, BOXFS_OPEN, 0, &f, NULL),
                 BOXFS_E_PATHNOTFOUND, "a file used as a directory");
    cr_expect_eq(fst_open("\\ProgramData\\f.txt\\", 0, BOXFS_OPEN, 0, &f, NULL),
                 BOXFS_E_NAMEINVALID, "a file with a trailing separator");
    cr_expect_eq(fst_open("\\ProgramData\\new.txt\\", RW, BOXFS_CREATE, 0, &f, NULL),
                 BOXFS_E_NAMEINVALID, "a new file with a trailing separator");
    cr_expect_eq(fst_open("\\ProgramData\\", BOXFS_ACCESS_LIST, BOXFS_OPEN, 0, &f, NULL), 0);
    boxfs_close(f);
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\nope\\nope", &st), BOXFS_E_PATHNOTFOUND);
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\nope", &st), BOXFS_E_NOENT);
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\", &st), 0);
    cr_expect(st.is_dir);
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "", &st), 0);
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "a\\\\b", &st), BOXFS_E_NAMEINVALID);
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\\\", &st), BOXFS_E_NAMEINVALID);
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\Windows\\.\\INF", &st), BOXFS_E_NAMEINVALID);
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\Windows\\..\\Windows", &st), BOXFS_E_SYNTAX);
    /* an invalid name wins over a missing parent (smbtorture chkpath) */
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\nope\\a*b\\c", &st), BOXFS_E_NAMEINVALID);
}

/* ---- names ---- */

Test(fs_volume, case_insensitive_and_case_preserving)
{
    boxfs_file *f, *g;
    unsigned info;
    boxfs_info a, b;
    char *path;
    DIR *d;
    struct dirent *de;
    int n = 0;
    cr_assert_eq(fst_open("\\ProgramData\\MyFile.TXT", RW, BOXFS_CREATE, 0, &f, &info), 0);
    cr_expect_eq(info, BOXFS_CREATED);
    cr_assert_eq(fst_open("/programdata/MYFILE.txt", RW, BOXFS_OPEN_IF, 0, &g, &info), 0);
    cr_expect_eq(info, BOXFS_OPENED, "a second create in other case opens the same file");
    cr_expect_eq(boxfs_fstat(f, NULL, &a), 0);
    cr_expect_eq(boxfs_fstat(g, NULL, &b), 0);
    cr_expect_eq(a.file_id, b.file_id);
    cr_expect_eq(boxfs_file_path(g, &path), 0);
    cr_expect_str_eq(path, "\\ProgramData\\MyFile.TXT", "stored case");
    free(path);
    boxfs_close(f);
    boxfs_close(g);
    cr_expect_eq(fst_open("\\PROGRAMDATA\\myfile.TXT", RW, BOXFS_CREATE, 0, &f, NULL),
                 BOXFS_E_EXISTS);
    /* exactly one host entry, in the stored case */
    path = fst_host("ProgramData");
    d = opendir(path);
    while ((de = readdir(d)))
        if (strcasecmp(de->d_name, "myfile.txt") == 0) {
            cr_expect_str_eq(de->d_name, "MyFile.TXT");
            n++;
        }
    closedir(d);
    free(path);
    cr_expect_eq(n, 1);
    /* Windows' upcase table beyond ASCII */
    put("\\ProgramData\\\xc3\x9cnic\xc3\xb8" "de.txt", "u"); /* Ünicøde */
    cr_expect_eq(fst_open("\\ProgramData\\\xc3\xbcNIC\xc3\x98" "DE.TXT", BOXFS_ACCESS_READ, BOXFS_OPEN,
                          0, &f, NULL),
                 0);
    boxfs_close(f);
    /* mixed separators */
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "windows/system32\\DRIVERS/driverdata", &a), 0);
    cr_expect(a.is_dir);
}

Test(fs_volume, host_names_that_differ_only_in_case)
{
    boxfs_file *f;
    char *p;
    fst_host_write("ProgramData/dup.txt", "lower");
    fst_host_write("ProgramData/DUP.txt", "upper");
    /* the exact case wins, else the smallest by byte order */
    p = get("\\ProgramData\\dup.txt");
    cr_expect_str_eq(p, "lower");
    free(p);
    p = get("\\ProgramData\\DUP.txt");
    cr_expect_str_eq(p, "upper");
    free(p);
    p = get("\\ProgramData\\Dup.TXT");
    cr_expect_str_eq(p, "upper", "'DUP.txt' < 'dup.txt' by bytes");
    free(p);
    cr_expect_eq(fst_open("\\ProgramData\\dUP.txt", RW, BOXFS_CREATE, 0, &f, NULL), BOXFS_E_EXISTS);
}

/* ---- data ---- */

Test(fs_volume, read_and_write_at_offsets_position_and_end)
{
    boxfs_file *f;
    char buf[64];
    size_t n = 99;
    uint64_t pos;
    cr_assert_eq(fst_open("\\ProgramData\\data.bin", RW, BOXFS_CREATE, 0, &f, NULL), 0);
    cr_expect_eq(boxfs_get_position(f, &pos), 0);
    cr_expect_eq(pos, 0);
    cr_expect_eq(boxfs_write(f, NULL, "hello", 5, BOXFS_POS_CURRENT, &n), 0);
    cr_expect_eq(n, 5);
    cr_expect_eq(boxfs_get_position(f, &pos), 0);
    cr_expect_eq(pos, 5, "the position follows the write");
    cr_expect_eq(boxfs_write(f, NULL, " world", 6, BOXFS_POS_CURRENT, &n), 0);
    cr_expect_eq(boxfs_write(f, NULL, "J", 1, 0, &n), 0, "at an offset");
    cr_expect_eq(boxfs_get_position(f, &pos), 0);
    cr_expect_eq(pos, 1);
    cr_expect_eq(boxfs_write(f, NULL, "!", 1, BOXFS_POS_EOF, &n), 0, "at the end");
    cr_expect_eq(boxfs_get_position(f, &pos), 0);
    cr_expect_eq(pos, 12);
    /* read at an offset, then at the current position */
    memset(buf, 0, sizeof buf);
    cr_expect_eq(boxfs_read(f, NULL, buf, 5, 0, &n), 0);
    cr_expect_eq(n, 5);
    cr_expect_str_eq(buf, "Jello");
    memset(buf, 0, sizeof buf);
    cr_expect_eq(boxfs_read(f, NULL, buf, sizeof buf, BOXFS_POS_CURRENT, &n), 0);
    cr_expect_eq(n, 7, "a partial read at the end");
    cr_expect_str_eq(buf, " world!");
    n = 99;
    cr_expect_eq(boxfs_read(f, NULL, buf, sizeof buf, BOXFS_POS_CURRENT, &n), BOXFS_E_EOF);
    cr_expect_eq(n, 0);
    cr_expect_eq(boxfs_read(f, NULL, buf, 10, 1000, &n), BOXFS_E_EOF, "past the end");
    cr_expect_eq(boxfs_read(f, NULL, buf, 0, 1000, &n), 0, "zero bytes is not EOF");
    cr_expect_eq(n, 0);
    /* the position may go past the end; writing there extends with zeros */
    cr_expect_eq(boxfs_set_position(f, 20), 0);
    cr_expect_eq(boxfs_write(f, NULL, "z", 1, BOXFS_POS_CURRENT, &n), 0);
    cr_expect_eq(boxfs_read(f, NULL, buf, sizeof buf, 0, &n), 0);
    cr_expect_eq(n, 21);
    cr_expect_eq(buf[15], 0);
    cr_expect_eq(buf[20], 'z');
    cr_expect_eq(boxfs_set_position(f, -1), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_read(f, NULL, buf, 1, -5, &n), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_write(f, NULL, buf, 1, -7, &n), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_read(f, NULL, NULL, 1, 0, &n), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_close(f), 0);
}

Test(fs_volume, append_writes_are_atomic_at_the_end)
{
    boxfs_file *a, *b;
    size_t n;
    char *s;
    cr_assert_eq(fst_open("\\ProgramData\\log.txt", RW, BOXFS_CREATE, 0, &a, NULL), 0);
    cr_assert_eq(fst_open("\\ProgramData\\log.txt", RW, BOXFS_OPEN, 0, &b, NULL), 0);
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(boxfs_write(a, NULL, "a", 1, BOXFS_POS_EOF, &n), 0);
        cr_assert_eq(boxfs_write(b, NULL, "b", 1, BOXFS_POS_EOF, &n), 0);
    }
    boxfs_close(a);
    boxfs_close(b);
    s = get("\\ProgramData\\log.txt");
    cr_expect_str_eq(s, "abababababababababab");
    free(s);
}

Test(fs_volume, handle_access_is_enforced)
{
    boxfs_file *r, *w, *d;
    char buf[8];
    size_t n;
    put("\\ProgramData\\a.txt", "abc");
    cr_assert_eq(fst_open("\\ProgramData\\a.txt", BOXFS_ACCESS_READ, BOXFS_OPEN, 0, &r, NULL), 0);
    cr_assert_eq(fst_open("\\ProgramData\\a.txt", BOXFS_ACCESS_WRITE, BOXFS_OPEN, 0, &w, NULL), 0);
    cr_assert_eq(fst_open("\\ProgramData", BOXFS_ACCESS_READ, BOXFS_OPEN, 0, &d, NULL), 0);
    cr_expect_eq(boxfs_write(r, NULL, "x", 1, 0, &n), BOXFS_E_BADF);
    cr_expect_eq(boxfs_set_size(r, NULL, 0), BOXFS_E_BADF);
    cr_expect_eq(boxfs_flush(r, NULL), BOXFS_E_BADF, "FlushFileBuffers needs write access");
    cr_expect_eq(boxfs_read(w, NULL, buf, 1, 0, &n), BOXFS_E_BADF);
    cr_expect_eq(boxfs_set_delete(w, NULL, 1), BOXFS_E_BADF);
    cr_expect_eq(boxfs_rename(w, NULL, NULL, "\\ProgramData\\b.txt", 0), BOXFS_E_BADF);
    {
        boxfs_setattr_args a = {.mask = BOXFS_SET_READONLY, .attributes = BOXFS_ATTR_READONLY};
        cr_expect_eq(boxfs_setattr(w, NULL, &a), BOXFS_E_BADF);
    }
    cr_expect_eq(boxfs_read(d, NULL, buf, 1, 0, &n), BOXFS_E_ISDIR);
    {
        boxfs_dirent e;
        cr_expect_eq(boxfs_dir_read(d, NULL, &e), BOXFS_E_BADF, "listing needs LIST access");
        cr_expect_eq(boxfs_dir_read(r, NULL, &e), BOXFS_E_NOTDIR);
    }
    cr_expect_eq(boxfs_set_size(d, NULL, 0), BOXFS_E_ISDIR);
    cr_expect_eq(boxfs_flush(w, NULL), 0);
    boxfs_close(r);
    boxfs_close(w);
    boxfs_close(d);
}

Test(fs_volume, set_size_truncates_and_extends)
{
    boxfs_file *f;
    boxfs_info st;
    put("\\ProgramData\\s.txt", "0123456789");
    cr_assert_eq(fst_open("\\ProgramData\\s.txt", RW, BOXFS_OPEN, 0, &f, NULL), 0);
    cr_expect_eq(boxfs_set_size(f, NULL, 4), 0);
    cr_expect_eq(boxfs_fstat(f, NULL, &st), 0);
    cr_expect_eq(st.size, 4);
    cr_expect_eq(boxfs_set_size(f, NULL, 100000), 0);
    cr_expect_eq(boxfs_fstat(f, NULL, &st), 0);
    cr_expect_eq(st.size, 100000);
    cr_expect_eq(boxfs_set_size(f, NULL, UINT64_MAX), BOXFS_E_INVAL);
    boxfs_close(f);
}

/* ---- attributes ---- */

Test(fs_volume, attributes_and_times)
{
    boxfs_file *f;
    boxfs_info st;
    struct stat hs;
    char *hp = fst_host("ProgramData/t.txt");
    size_t n;
    put("\\ProgramData\\t.txt", "abc");
    cr_assert_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\T.TXT", &st), 0);
    cr_assert_eq(stat(hp, &hs), 0);
    cr_expect_eq(st.size, 3);
    cr_expect_eq(st.attributes, BOXFS_ATTR_ARCHIVE, "NTFS sets ARCHIVE on new files");
    cr_expect_eq(st.file_id, (uint64_t)hs.st_ino);
    cr_expect_eq(st.write_time, boxfs_filetime(hs.st_mtim));
    cr_expect_eq(st.change_time, boxfs_filetime(hs.st_ctim));
    cr_expect_eq(st.access_time, boxfs_filetime(hs.st_atim));
    cr_expect_leq(st.creation_time, st.write_time);
    cr_expect_gt(st.creation_time, 116444736000000000LL, "after 1970");
    cr_expect_eq(boxfs_filetime((struct timespec){0, 0}), 116444736000000000LL);
    cr_expect_eq(boxfs_filetime((struct timespec){1, 500}), 116444736010000005LL);
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\Windows", &st), 0);
    cr_expect_eq(st.attributes, BOXFS_ATTR_DIRECTORY);
    cr_expect_eq(st.size, 0);
    /* clear ARCHIVE: NORMAL; a write sets ARCHIVE again */
    cr_assert_eq(fst_open("\\ProgramData\\t.txt", ALL, BOXFS_OPEN, 0, &f, NULL), 0);
    {
        boxfs_setattr_args a = {.mask = BOXFS_SET_ARCHIVE, .attributes = 0};
        cr_expect_eq(boxfs_setattr(f, NULL, &a), 0);
    }
    cr_expect_eq(boxfs_fstat(f, NULL, &st), 0);
    cr_expect_eq(st.attributes, BOXFS_ATTR_NORMAL);
    cr_expect_eq(boxfs_write(f, NULL, "d", 1, BOXFS_POS_EOF, &n), 0);
    cr_expect_eq(boxfs_fstat(f, NULL, &st), 0);
    cr_expect_eq(st.attributes, BOXFS_ATTR_ARCHIVE);
    /* times */
    {
        boxfs_setattr_args a = {.mask = BOXFS_SET_MTIME | BOXFS_SET_ATIME,
                                .mtime = {1000000000, 123456700},
                                .atime = {1000000001, 0}};
        cr_expect_eq(boxfs_setattr(f, NULL, &a), 0);
        cr_expect_eq(boxfs_fstat(f, NULL, &st), 0);
        cr_expect_eq(st.mtime.tv_sec, 1000000000);
        cr_expect_eq(st.write_time, boxfs_filetime((struct timespec){1000000000, 123456700}));
        cr_expect_eq(st.atime.tv_sec, 1000000001);
    }
    /* READONLY */
    {
        boxfs_setattr_args a = {.mask = BOXFS_SET_READONLY, .attributes = BOXFS_ATTR_READONLY};
        boxfs_file *g;
        cr_expect_eq(boxfs_setattr(f, NULL, &a), 0);
        cr_expect_eq(boxfs_fstat(f, NULL, &st), 0);
        cr_expect_eq(st.attributes, BOXFS_ATTR_READONLY | BOXFS_ATTR_ARCHIVE);
        cr_expect_eq(fst_open("\\ProgramData\\t.txt", RW, BOXFS_OPEN, 0, &g, NULL), BOXFS_E_ACCESS);
        cr_expect_eq(fst_open("\\ProgramData\\t.txt", BOXFS_ACCESS_READ, BOXFS_OVERWRITE, 0, &g,
                              NULL),
                     BOXFS_E_ACCESS);
        cr_expect_eq(fst_open("\\ProgramData\\t.txt", BOXFS_ACCESS_DELETE, BOXFS_OPEN,
                              BOXFS_DELETE_ON_CLOSE, &g, NULL),
                     BOXFS_E_CANNOTDELETE);
        cr_expect_eq(boxfs_set_delete(f, NULL, 1), BOXFS_E_CANNOTDELETE);
        cr_expect_eq(boxfs_delete(fst.vol, NULL, NULL, "\\ProgramData\\t.txt"),
                     BOXFS_E_CANNOTDELETE);
        cr_expect_eq(fst_open("\\ProgramData\\t.txt", BOXFS_ACCESS_READ, BOXFS_OPEN, 0, &g, NULL), 0);
        boxfs_close(g);
        a.attributes = 0;
        cr_expect_eq(boxfs_setattr(f, NULL, &a), 0);
        cr_expect_eq(fst_open("\\ProgramData\\t.txt", RW, BOXFS_OPEN, 0, &g, NULL), 0);
        boxfs_close(g);
    }
    {
        boxfs_setattr_args a = {.mask = 0x100};
        cr_expect_eq(boxfs_setattr(f, NULL, &a), BOXFS_E_INVAL);
    }
    boxfs_close(f);
    /* a file created read-only; SUPERSEDE resets the attributes */
    {
        boxfs_open_args oa = {.path = "\\ProgramData\\ro.txt", .access = RW,
                              .disposition = BOXFS_CREATE, .attributes = BOXFS_ATTR_READONLY};
        cr_assert_eq(boxfs_open(fst.vol, NULL, &oa, &f, NULL), 0);
        cr_expect_eq(boxfs_write(f, NULL, "w", 1, 0, &n), 0, "the creating handle may write");
        boxfs_close(f);
        cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\ro.txt", &st), 0);
        cr_expect_eq(st.attributes, BOXFS_ATTR_READONLY | BOXFS_ATTR_ARCHIVE);
        cr_expect_eq(fst_open("\\ProgramData\\ro.txt", RW, BOXFS_OVERWRITE_IF, 0, &f, NULL),
                     BOXFS_E_ACCESS);
        {
            unsigned info = 0xdeadbeef;
            cr_expect_eq(fst_open("\\ProgramData\\ro.txt", RW, BOXFS_SUPERSEDE, 0, &f, &info), 0,
                         "a supersede replaces a read-only file");
            cr_expect_eq(info, BOXFS_SUPERSEDED);
            cr_expect_eq(boxfs_fstat(f, NULL, &st), 0);
            cr_expect_eq(st.attributes, BOXFS_ATTR_ARCHIVE);
            cr_expect_eq(st.size, 0);
            boxfs_close(f);
        }
    }
    free(hp);
}

/* ---- rename ---- */

Test(fs_volume, rename_rules)
{
    boxfs_file *f, *g;
    char *p;
    put("\\ProgramData\\a.txt", "A");
    put("\\ProgramData\\b.txt", "B");
    cr_assert_eq(fst_open("\\ProgramData\\Sub", BOXFS_ACCESS_LIST, BOXFS_CREATE, BOXFS_DIRECTORY_FILE,
                          &g, NULL), 0);
    boxfs_close(g);
    cr_assert_eq(fst_open("\\ProgramData\\a.txt", ALL, BOXFS_OPEN, 0, &f, NULL), 0);
    cr_expect_eq(boxfs_rename(f, NULL, NULL, "\\ProgramData\\B.TXT", 0), BOXFS_E_EXISTS);
    cr_expect_eq(boxfs_rename(f, NULL, NULL, "\\ProgramData\\sub", 1), BOXFS_E_ACCESS,
                 "NTFS never replaces a directory");
    cr_expect_eq(boxfs_rename(f, NULL, NULL, "\\ProgramData\\nope\\x.txt", 0),
                 BOXFS_E_PATHNOTFOUND);
    cr_expect_eq(boxfs_rename(f, NULL, NULL, "\\ProgramData\\bad|name", 0), BOXFS_E_NAMEINVALID);
    /* replace, under another case: the new name is the one given */
    cr_expect_eq(boxfs_rename(f, NULL, NULL, "\\ProgramData\\B.TXT", 1), 0);
    cr_expect(!fst_host_exists("ProgramData/b.txt"));
    cr_expect(!fst_host_exists("ProgramData/a.txt"));
    p = fst_host_read("ProgramData/B.TXT");
    cr_expect_str_eq(p, "A");
    free(p);
    cr_expect_eq(boxfs_file_path(f, &p), 0);
    cr_expect_str_eq(p, "\\ProgramData\\B.TXT", "the handle follows its file");
    free(p);
    /* across directories */
    cr_expect_eq(boxfs_rename(f, NULL, NULL, "\\ProgramData\\Sub\\c.txt", 0), 0);
    cr_expect(fst_host_exists("ProgramData/Sub/c.txt"));
    /* a change of case only */
    cr_expect_eq(boxfs_rename(f, NULL, NULL, "\\ProgramData\\SUB\\C.TXT", 0), 0);
    cr_expect(fst_host_exists("ProgramData/Sub/C.TXT"));
    cr_expect(!fst_host_exists("ProgramData/Sub/c.txt"));
    cr_expect_eq(boxfs_rename(f, NULL, NULL, "\\ProgramData\\Sub\\C.TXT", 0), 0, "same name");
    /* relative to a root handle */
    cr_assert_eq(fst_open("\\ProgramData", BOXFS_ACCESS_LIST, BOXFS_OPEN, BOXFS_DIRECTORY_FILE, &g,
                          NULL), 0);
    cr_expect_eq(boxfs_rename(f, NULL, g, "d.txt", 0), 0);
    cr_expect(fst_host_exists("ProgramData/d.txt"));
    cr_expect_eq(boxfs_rename(f, NULL, g, "\\e.txt", 0), BOXFS_E_SYNTAX);
    boxfs_close(g);
    boxfs_close(f);
    /* a directory cannot move below itself, nor can the root move */
    cr_assert_eq(fst_open("\\ProgramData\\Sub", ALL, BOXFS_OPEN, 0, &g, NULL), 0);
    cr_expect_eq(boxfs_rename(g, NULL, NULL, "\\ProgramData\\Sub\\Inner", 0), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_rename(g, NULL, NULL, "\\ProgramData\\Sub2", 0), 0);
    cr_expect(fst_host_exists("ProgramData/Sub2"));
    boxfs_close(g);
    cr_assert_eq(fst_open("\\", ALL, BOXFS_OPEN, 0, &g, NULL), 0);
    cr_expect_eq(boxfs_rename(g, NULL, NULL, "\\X", 0), BOXFS_E_ACCESS);
    boxfs_close(g);
    /* by path; an open target cannot be replaced */
    put("\\ProgramData\\x1", "1");
    put("\\ProgramData\\x2", "2");
    cr_assert_eq(fst_open("\\ProgramData\\x2", BOXFS_ACCESS_READ, BOXFS_OPEN, 0, &g, NULL), 0);
    cr_expect_eq(boxfs_rename_path(fst.vol, NULL, "\\ProgramData\\x1", "\\ProgramData\\x2", 1),
                 BOXFS_E_ACCESS);
    boxfs_close(g);
    cr_expect_eq(boxfs_rename_path(fst.vol, NULL, "\\ProgramData\\x1", "\\ProgramData\\x2", 1), 0);
    cr_expect_eq(boxfs_rename_path(fst.vol, NULL, "\\ProgramData\\x1", "\\ProgramData\\x3", 1),
                 BOXFS_E_NOENT);
    cr_expect_eq(boxfs_rename_path(fst.vol, NULL, "\\Nope\\x1", "\\ProgramData\\x3", 1),
                 BOXFS_E_PATHNOTFOUND);
}

/* ---- delete ---- */

Test(fs_volume, delete_rules)
{
    boxfs_file *f, *g;
    unsigned info;
    cr_assert_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\ProgramData\\Dir"), 0);
    cr_expect_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\ProgramData\\DIR"), BOXFS_E_EXISTS);
    cr_expect_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\"), BOXFS_E_EXISTS);
    put("\\ProgramData\\Dir\\f.txt", "f");
    cr_expect_eq(boxfs_delete(fst.vol, NULL, NULL, "\\ProgramData\\Dir"), BOXFS_E_NOTEMPTY);
    cr_expect_eq(boxfs_rmdir(fst.vol, NULL, NULL, "\\ProgramData\\Dir\\f.txt"), BOXFS_E_NOTDIR);
    cr_expect_eq(boxfs_unlink(fst.vol, NULL, NULL, "\\ProgramData\\Dir"), BOXFS_E_ISDIR);
    cr_expect_eq(boxfs_unlink(fst.vol, NULL, NULL, "\\ProgramData\\dir\\F.TXT"), 0);
    cr_expect(!fst_host_exists("ProgramData/Dir/f.txt"));
    cr_expect_eq(boxfs_delete(fst.vol, NULL, NULL, "\\ProgramData\\dir\\F.TXT"), BOXFS_E_NOENT);
    cr_expect_eq(boxfs_rmdir(fst.vol, NULL, NULL, "\\ProgramData\\Dir"), 0);
    cr_expect_eq(boxfs_delete(fst.vol, NULL, NULL, "\\"), BOXFS_E_ACCESS);
    cr_expect_eq(boxfs_delete(fst.vol, NULL, NULL, "\\Nope\\x"), BOXFS_E_PATHNOTFOUND);
    /* deleting an open file: removed when its last handle closes */
    put("\\ProgramData\\open.txt", "o");
    cr_assert_eq(fst_open("\\ProgramData\\open.txt", BOXFS_ACCESS_READ, BOXFS_OPEN, 0, &f, NULL), 0);
    cr_expect_eq(boxfs_delete(fst.vol, NULL, NULL, "\\ProgramData\\open.txt"), 0);
    cr_expect(fst_host_exists("ProgramData/open.txt"));
    cr_expect_eq(fst_open("\\ProgramData\\open.txt", BOXFS_ACCESS_READ, BOXFS_OPEN, 0, &g, NULL),
                 BOXFS_E_DELETEPENDING);
    cr_expect_eq(fst_open("\\ProgramData\\open.txt", RW, BOXFS_OPEN_IF, 0, &g, &info),
                 BOXFS_E_DELETEPENDING);
    cr_expect_eq(boxfs_delete(fst.vol, NULL, NULL, "\\ProgramData\\open.txt"),
                 BOXFS_E_DELETEPENDING);
    cr_expect_eq(boxfs_close(f), 0);
    cr_expect(!fst_host_exists("ProgramData/open.txt"));
}

Test(fs_volume, delete_on_close_and_disposition)
{
    boxfs_file *f, *g;
    boxfs_info st;
    unsigned info;
    /* FILE_DELETE_ON_CLOSE */
    cr_assert_eq(fst_open("\\ProgramData\\tmp.txt", RW | BOXFS_ACCESS_DELETE, BOXFS_CREATE,
                          BOXFS_DELETE_ON_CLOSE, &f, &info), 0);
    cr_expect_eq(info, BOXFS_CREATED);
    cr_assert_eq(fst_open("\\ProgramData\\tmp.txt", BOXFS_ACCESS_READ, BOXFS_OPEN, 0, &g, NULL), 0,
                 "others may open it until the delete-on-close handle closes");
    cr_expect_eq(boxfs_close(f), 0);
    cr_expect(fst_host_exists("ProgramData/tmp.txt"), "another handle is still open");
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\tmp.txt", &st),
                 BOXFS_E_DELETEPENDING);
    cr_expect_eq(boxfs_close(g), 0);
    cr_expect(!fst_host_exists("ProgramData/tmp.txt"));
    /* FileDispositionInformation, set and cleared */
    put("\\ProgramData\\keep.txt", "k");
    cr_assert_eq(fst_open("\\ProgramData\\keep.txt", ALL, BOXFS_OPEN, 0, &f, NULL), 0);
    cr_expect_eq(boxfs_set_delete(f, NULL, 1), 0);
    cr_expect_eq(boxfs_set_delete(f, NULL, 0), 0);
    cr_expect_eq(boxfs_close(f), 0);
    cr_expect(fst_host_exists("ProgramData/keep.txt"));
    cr_assert_eq(fst_open("\\ProgramData\\keep.txt", ALL, BOXFS_OPEN, 0, &f, NULL), 0);
    cr_expect_eq(boxfs_set_delete(f, NULL, 1), 0);
    cr_expect_eq(boxfs_close(f), 0);
    cr_expect(!fst_host_exists("ProgramData/keep.txt"));
    /* a directory: only when empty */
    cr_assert_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\ProgramData\\D"), 0);
    put("\\ProgramData\\D\\x", "x");
    cr_assert_eq(fst_open("\\ProgramData\\D", ALL, BOXFS_OPEN, BOXFS_DIRECTORY_FILE, &f, NULL), 0);
    cr_expect_eq(boxfs_set_delete(f, NULL, 1), BOXFS_E_NOTEMPTY);
    cr_expect_eq(boxfs_delete(fst.vol, NULL, NULL, "\\ProgramData\\D\\x"), 0);
    cr_expect_eq(boxfs_set_delete(f, NULL, 1), 0);
    cr_expect_eq(boxfs_close(f), 0);
    cr_expect(!fst_host_exists("ProgramData/D"));
    /* the root */
    cr_assert_eq(fst_open("\\", ALL, BOXFS_OPEN, 0, &f, NULL), 0);
    cr_expect_eq(boxfs_set_delete(f, NULL, 1), BOXFS_E_ACCESS);
    boxfs_close(f);
    /* a directory emptied too late stays (NTFS keeps it too) */
    cr_assert_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\ProgramData\\E"), 0);
    cr_assert_eq(fst_open("\\ProgramData\\E", ALL, BOXFS_OPEN, BOXFS_DIRECTORY_FILE, &f, NULL), 0);
    cr_expect_eq(boxfs_set_delete(f, NULL, 1), 0);
    fst_host_write("ProgramData/E/late", "l");
    cr_expect_eq(boxfs_close(f), BOXFS_E_NOTEMPTY);
    cr_expect(fst_host_exists("ProgramData/E/late"));
}

/* ---- listing ---- */

Test(fs_volume, listing_order_dots_resume_and_restart)
{
    boxfs_file *d;
    boxfs_dirent e;
    const char *names[] = {"b.txt", "A.txt", "c", "\xc3\xa9t\xc3\xa9", "_z"};
    uint64_t pos;
    cr_assert_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\ProgramData\\L"), 0);
    for (size_t i = 0; i < 5; i++) {
        char p[64];
        snprintf(p, sizeof p, "\\ProgramData\\L\\%s", names[i]);
        if (i == 2)
            cr_assert_eq(boxfs_mkdir(fst.vol, NULL, NULL, p), 0);
        else
            put(p, "x");
    }
    /* entries Windows cannot name, and host specials, are not listed */
    fst_host_write("ProgramData/L/bad:name", "x");
    fst_host_write("ProgramData/L/CON", "x");
    {
        char *l = fst_host("ProgramData/L/link"), *fifo = fst_host("ProgramData/L/fifo");
        cr_assert_eq(symlink("/etc", l), 0);
        cr_assert_eq(mkfifo(fifo, 0644), 0);
        free(l);
        free(fifo);
    }
    cr_assert_eq(fst_open("\\ProgramData\\L", BOXFS_ACCESS_LIST, BOXFS_OPEN, BOXFS_DIRECTORY_FILE,
                          &d, NULL), 0);
    {
        /* ".", "..", then by upcased name: A.TXT B.TXT C _Z ÉTÉ */
        const char *want[] = {".", "..", "A.txt", "b.txt", "c", "_z", "\xc3\xa9t\xc3\xa9"};
        for (size_t i = 0; i < 7; i++) {
            int err = boxfs_dir_read(d, NULL, &e);
            cr_assert_eq(err, 0, "entry %zu: %s", i, boxfs_strerror(err));
            cr_expect_str_eq(e.name, want[i]);
            cr_expect_eq(e.is_dot, i < 2);
            cr_expect_eq(e.st.is_dir, i < 2 || !strcmp(want[i], "c"));
        }
    }
    cr_expect_eq(boxfs_dir_read(d, NULL, &e), BOXFS_E_NOMORE);
    cr_expect_eq(boxfs_dir_read(d, NULL, &e), BOXFS_E_NOMORE);
    /* resume: take the same entry again */
    cr_expect_eq(boxfs_dir_seek(d, 3), 0);
    pos = boxfs_dir_tell(d);
    cr_expect_eq(pos, 3);
    cr_expect_eq(boxfs_dir_read(d, NULL, &e), 0);
    cr_expect_str_eq(e.name, "b.txt");
    cr_expect_eq(boxfs_dir_seek(d, pos), 0);
    cr_expect_eq(boxfs_dir_read(d, NULL, &e), 0);
    cr_expect_str_eq(e.name, "b.txt");
    /* a removed entry is skipped; a new one needs a restart */
    cr_expect_eq(boxfs_unlink(fst.vol, NULL, NULL, "\\ProgramData\\L\\_z"), 0);
    put("\\ProgramData\\L\\new", "n");
    cr_expect_eq(boxfs_dir_read(d, NULL, &e), 0);
    cr_expect_str_eq(e.name, "c");
    cr_expect_eq(boxfs_dir_read(d, NULL, &e), 0);
    cr_expect_str_eq(e.name, "\xc3\xa9t\xc3\xa9");
    cr_expect_eq(boxfs_dir_read(d, NULL, &e), BOXFS_E_NOMORE);
    cr_expect_eq(boxfs_dir_seek(d, 0), 0);
    {
        int found = 0, n = 0;
        while (boxfs_dir_read(d, NULL, &e) == 0) {
            found |= !strcmp(e.name, "new");
            n++;
        }
        cr_expect(found);
        cr_expect_eq(n, 7);
    }
    boxfs_close(d);
    /* the root has no dots */
    cr_assert_eq(fst_open("\\", BOXFS_ACCESS_LIST, BOXFS_OPEN, 0, &d, NULL), 0);
    cr_assert_eq(boxfs_dir_read(d, NULL, &e), 0);
    cr_expect_str_eq(e.name, "ProgramData");
    cr_expect_eq(boxfs_dir_read(d, NULL, &e), 0);
    cr_expect_str_eq(e.name, "Users");
    cr_expect_eq(boxfs_dir_read(d, NULL, &e), 0);
    cr_expect_str_eq(e.name, "Windows");
    cr_expect_eq(boxfs_dir_read(d, NULL, &e), BOXFS_E_NOMORE);
    cr_expect_eq(boxfs_dir_seek(NULL, 0), BOXFS_E_INVAL);
    boxfs_close(d);
}

/* ---- relative opens ---- */

Test(fs_volume, opens_relative_to_a_directory_handle)
{
    boxfs_file *dir, *f;
    unsigned info;
    char *p;
    cr_assert_eq(fst_open("\\Windows\\System32\\drivers\\DriverData", BOXFS_ACCESS_LIST, BOXFS_OPEN,
                          BOXFS_DIRECTORY_FILE, &dir, NULL), 0);
    {
        boxfs_open_args a = {.root = dir, .path = "Contoso\\", .access = BOXFS_ACCESS_LIST,
                             .disposition = BOXFS_OPEN_IF, .options = BOXFS_DIRECTORY_FILE};
        cr_expect_eq(boxfs_open(fst.vol, NULL, &a, &f, &info), 0);
        cr_expect_eq(info, BOXFS_CREATED);
        boxfs_close(f);
        a.path = "contoso/log.txt";
        a.options = 0;
        a.access = RW;
        cr_expect_eq(boxfs_open(fst.vol, NULL, &a, &f, &info), 0);
        cr_expect_eq(boxfs_file_path(f, &p), 0);
        cr_expect_str_eq(p, "\\Windows\\System32\\drivers\\DriverData\\Contoso\\log.txt");
        free(p);
        a.root = f; /* a file is no root */
        a.path = "x";
        cr_expect_eq(boxfs_open(fst.vol, NULL, &a, &dir == NULL ? NULL : &f, NULL), BOXFS_E_INVAL);
        boxfs_close(f);
        a.root = dir;
        a.path = "\\Windows";
        cr_expect_eq(boxfs_open(fst.vol, NULL, &a, &f, NULL), BOXFS_E_SYNTAX);
        a.path = "..\\..";
        cr_expect_eq(boxfs_open(fst.vol, NULL, &a, &f, NULL), BOXFS_E_SYNTAX);
        a.path = "";
        a.access = BOXFS_ACCESS_LIST;
        a.disposition = BOXFS_OPEN;
        cr_expect_eq(boxfs_open(fst.vol, NULL, &a, &f, NULL), 0, "the root handle itself");
        cr_expect(boxfs_file_is_dir(f));
        boxfs_close(f);
    }
    /* the directory moves: relative opens follow it */
    {
        boxfs_file *w;
        boxfs_info st;
        cr_assert_eq(fst_open("\\Windows\\System32\\drivers\\DriverData", ALL, BOXFS_OPEN, 0, &w,
                              NULL), 0);
        cr_expect_eq(boxfs_rename(w, NULL, NULL, "\\ProgramData\\Moved", 0), 0);
        boxfs_close(w);
        cr_expect_eq(boxfs_stat(fst.vol, NULL, dir, "Contoso\\log.txt", &st), 0);
        cr_expect_eq(boxfs_file_path(dir, &p), 0);
        cr_expect_str_eq(p, "\\ProgramData\\Moved");
        free(p);
    }
    boxfs_close(dir);
}

/* ---- coherence with the backing directory ---- */

static void external_changes(void)
{
    boxfs_file *f;
    boxfs_info st;
    char *p;
    /* fill the cache */
    put("\\ProgramData\\ours.txt", "o");
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\theirs.txt", &st), BOXFS_E_NOENT);
    /* created behind our back */
    fst_host_write("ProgramData/Theirs.txt", "t");
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\THEIRS.TXT", &st), 0);
    cr_expect_eq(fst_open("\\ProgramData\\theirs.txt", RW, BOXFS_CREATE, 0, &f, NULL),
                 BOXFS_E_EXISTS);
    /* renamed behind our back */
    {
        char *a = fst_host("ProgramData/Theirs.txt"), *b = fst_host("ProgramData/Renamed.txt");
        cr_assert_eq(rename(a, b), 0);
        free(a);
        free(b);
    }
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\theirs.txt", &st), BOXFS_E_NOENT);
    p = get("\\ProgramData\\renamed.TXT");
    cr_expect_str_eq(p, "t");
    free(p);
    /* deleted behind our back */
    p = fst_host("ProgramData/ours.txt");
    cr_assert_eq(unlink(p), 0);
    free(p);
    cr_expect_eq(fst_open("\\ProgramData\\OURS.txt", BOXFS_ACCESS_READ, BOXFS_OPEN, 0, &f, NULL),
                 BOXFS_E_NOENT);
    cr_expect_eq(fst_open("\\ProgramData\\OURS.txt", RW, BOXFS_CREATE, 0, &f, NULL), 0);
    boxfs_close(f);
    cr_expect(fst_host_exists("ProgramData/OURS.txt"));
    /* a directory replaced by a file of the same name */
    cr_assert_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\ProgramData\\swap"), 0);
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\swap", &st), 0);
    cr_expect(st.is_dir);
    p = fst_host("ProgramData/swap");
    cr_assert_eq(rmdir(p), 0);
    free(p);
    fst_host_write("ProgramData/swap", "now a file");
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\SWAP", &st), 0);
    cr_expect(!st.is_dir);
    cr_expect_eq(st.size, 10);
}

Test(fs_volume, sees_changes_made_in_the_backing_directory)
{
    external_changes();
}

Test(fs_volume, sees_changes_without_inotify)
{
    boxfs_volume_opts o = {.flags = BOXFS_VOL_NO_INOTIFY};
    boxfs_volume_close(fst.vol);
    cr_assert_eq(boxfs_volume_open(fst.voldir, &o, &fst.vol), 0);
    external_changes();
}

/* boxfs' own changes queue inotify events that it takes as its own
 * without looking again; changes made behind its back to the same names
 * right after (before anything drained the events) are still seen, and no
 * expected event is left over once everything was drained. */
Test(fs_volume, own_changes_then_the_same_names_changed_behind_our_back)
{
    boxfs_file *dir, *f;
    boxfs_info st;
    char *p;
    cr_assert_eq(fst_open("\\ProgramData", BOXFS_ACCESS_LIST, BOXFS_OPEN, BOXFS_DIRECTORY_FILE,
                          &dir, NULL),
                 0);
    /* created by us, then deleted and made again by the host */
    put("\\ProgramData\\a.txt", "ours");
    p = fst_host("ProgramData/a.txt");
    cr_assert_eq(unlink(p), 0);
    free(p);
    fst_host_write("ProgramData/A.TXT", "theirs");
    p = get("\\ProgramData\\a.txt");
    cr_expect_str_eq(p, "theirs");
    free(p);
    /* deleted by us, then made again by the host */
    put("\\ProgramData\\b.txt", "ours");
    cr_assert_eq(boxfs_delete(fst.vol, NULL, NULL, "\\ProgramData\\b.txt"), 0);
    fst_host_write("ProgramData/b.txt", "theirs");
    p = get("\\ProgramData\\B.txt");
    cr_expect_str_eq(p, "theirs");
    free(p);
    /* renamed by us, then the host moves it back */
    put("\\ProgramData\\c.txt", "ours");
    cr_assert_eq(boxfs_rename_path(fst.vol, NULL, "\\ProgramData\\c.txt", "\\ProgramData\\d.txt", 0),
                 0);
    {
        char *from = fst_host("ProgramData/d.txt"), *to = fst_host("ProgramData/c.txt");
        cr_assert_eq(rename(from, to), 0);
        free(from);
        free(to);
    }
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\d.txt", &st), BOXFS_E_NOENT);
    p = get("\\ProgramData\\C.TXT");
    cr_expect_str_eq(p, "ours");
    free(p);
    /* a directory made by us, removed and made a file by the host */
    cr_assert_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\ProgramData\\e"), 0);
    p = fst_host("ProgramData/e");
    cr_assert_eq(rmdir(p), 0);
    free(p);
    fst_host_write("ProgramData/e", "file");
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\E", &st), 0);
    cr_expect(!st.is_dir);
    /* many changes of our own: each expected event is taken once */
    for (int i = 0; i < 200; i++) {
        char name[64];
        snprintf(name, sizeof name, "\\ProgramData\\many%03d.txt", i);
        cr_assert_eq(fst_open(name, RW, BOXFS_CREATE, 0, &f, NULL), 0);
        boxfs_close(f);
        if (i % 2)
            cr_assert_eq(boxfs_delete(fst.vol, NULL, NULL, name), 0);
    }
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\many000.txt", &st), 0);
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\ProgramData\\many001.txt", &st),
                 BOXFS_E_NOENT);
    boxfs_lock(fst.vol);
    cr_expect_eq(dir->node->dc.nexpect, 0, "%u expected events left over", dir->node->dc.nexpect);
    boxfs_unlock(fst.vol);
    boxfs_close(dir);
}

Test(fs_volume, two_thousand_files_in_one_directory)
{
    boxfs_file *d;
    boxfs_dirent e;
    int n = 0;
    char path[64];
    uint64_t scans;
    cr_assert_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\ProgramData\\Many"), 0);
    scans = fst.vol->scans;
    for (int i = 0; i < 2000; i++) {
        boxfs_file *f;
        snprintf(path, sizeof path, "\\ProgramData\\Many\\File%04d.dat", i);
        cr_assert_eq(fst_open(path, RW, BOXFS_CREATE, 0, &f, NULL), 0, "file %d", i);
        boxfs_close(f);
    }
    /* each create had to know the name was free in any case: one scan of
     * the new directory, then the cache (not one readdir per create) */
    cr_expect_leq(fst.vol->scans - scans, 2, "%llu directory scans for 2000 creates",
                  (unsigned long long)(fst.vol->scans - scans));
    for (int i = 0; i < 2000; i += 97) {
        boxfs_info st;
        snprintf(path, sizeof path, "\\programdata\\many\\FILE%04d.DAT", i);
        cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, path, &st), 0, "file %d", i);
    }
    cr_assert_eq(fst_open("\\ProgramData\\Many", BOXFS_ACCESS_LIST, BOXFS_OPEN, 0, &d, NULL), 0);
    while (boxfs_dir_read(d, NULL, &e) == 0)
        n += !e.is_dot;
    boxfs_close(d);
    cr_expect_eq(n, 2000);
    for (int i = 0; i < 2000; i++) {
        snprintf(path, sizeof path, "\\ProgramData\\Many\\file%04d.dat", i);
        cr_assert_eq(boxfs_delete(fst.vol, NULL, NULL, path), 0, "file %d", i);
    }
    cr_expect_eq(boxfs_rmdir(fst.vol, NULL, NULL, "\\ProgramData\\Many"), 0);
}

Test(fs_volume, null_arguments_are_refused)
{
    boxfs_file *f;
    boxfs_info st;
    boxfs_open_args a = {0};
    size_t n;
    cr_expect_eq(boxfs_open(NULL, NULL, &a, &f, NULL), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_open(fst.vol, NULL, NULL, &f, NULL), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_open(fst.vol, NULL, &a, NULL, NULL), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_open(fst.vol, NULL, &a, &f, NULL), BOXFS_E_INVAL, "NULL path");
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, NULL, &st), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_stat(fst.vol, NULL, NULL, "\\", NULL), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_delete(NULL, NULL, NULL, "\\x"), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_delete(fst.vol, NULL, NULL, NULL), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_mkdir(fst.vol, NULL, NULL, NULL), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_rename_path(fst.vol, NULL, NULL, "\\x", 0), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_read(NULL, NULL, &n, 1, 0, &n), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_write(NULL, NULL, &n, 1, 0, &n), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_fstat(NULL, NULL, &st), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_set_size(NULL, NULL, 0), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_flush(NULL, NULL), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_set_delete(NULL, NULL, 1), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_rename(NULL, NULL, NULL, "\\x", 0), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_file_path(NULL, NULL), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_get_position(NULL, NULL), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_dir_read(NULL, NULL, NULL), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_close(NULL), 0);
    cr_expect_eq(boxfs_volume_skeleton(NULL), BOXFS_E_INVAL);
    cr_expect_eq(boxfs_machine_open(NULL, NULL, NULL), BOXFS_E_INVAL);
    boxfs_volume_close(NULL);
}

Test(fs_volume, without_inotify_a_miss_rescans)
{
    boxfs_volume_opts o = {.flags = BOXFS_VOL_NO_INOTIFY};
    boxfs_file *f;
    uint64_t scans;
    char path[64];
    boxfs_volume_close(fst.vol);
    cr_assert_eq(boxfs_volume_open(fst.voldir, &o, &fst.vol), 0);
    scans = fst.vol->scans;
    for (int i = 0; i < 50; i++) {
        snprintf(path, sizeof path, "\\ProgramData\\f%d", i);
        cr_assert_eq(fst_open(path, RW, BOXFS_CREATE, 0, &f, NULL), 0);
        boxfs_close(f);
    }
    /* the counter does count: here every create rescans */
    cr_expect_geq(fst.vol->scans - scans, 50);
}
