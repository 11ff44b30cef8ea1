/*
 * test_template_cache.c: the template cache (emu/template.c): the first
 * process of a build writes the template registry's image to the scratch
 * directory, later processes read it instead of building the template,
 * and a file that is not fit to use (foreign permissions, garbage, a torn
 * image) is ignored and replaced.
 *
 * Every test points PNPBOX_TMPDIR at a directory of its own before the
 * first machine of its process, so the scratch directory (chosen once per
 * process) and the cache file are the test's.  A template made by another
 * process comes from a child (this binary run again with the role
 * "template"), which makes one machine and exits.
 */
#include "emu/emu.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;
static char cache[4096];

/* The child role: make one machine (which writes the cache) and exit with its status. */
__attribute__((constructor)) static void child_main(void)
{
    const char *role = t_child_role();
    if (!role || strcmp(role, "template"))
        return;
    pnpbox_machine *m;
    int rc = pnpbox_machine_new(NULL, &m);
    if (rc == 0)
        pnpbox_machine_free(m);
    _exit(rc == 0 ? 0 : 1);
}

static void setup(void)
{
    dir = t_mkdtemp("tcache");
    cr_assert_not_null(dir);
    setenv("PNPBOX_TMPDIR", dir, 1);
    unsetenv("PNPBOX_TEMPLATE_CACHE");
    cr_assert_eq(emu_template_cache_path(cache, sizeof cache), 0, "this test binary has a GNU build id");
}

static void teardown(void)
{
    t_rmtree(dir);
    free(dir);
}

TestSuite(emu_template_cache, .init = setup, .fini = teardown);

/* The template made by a child process, as the cache file it wrote. */
static void child_writes_cache(void)
{
    pid_t pid = t_child_spawn("template", NULL);
    cr_assert_gt(pid, 0);
    cr_assert_eq(t_child_wait(pid), 0, "the child made a machine");
    struct stat st;
    cr_assert_eq(stat(cache, &st), 0, "the child wrote '%s'", cache);
}

/* Replace the cache file with bytes and a mode (written whole, then renamed, as the cache does). */
static void plant(const void *data, size_t len, mode_t mode)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.plant", cache);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    cr_assert_eq(fchmod(fd, mode), 0);
    close(fd);
    cr_assert_eq(rename(tmp, cache), 0);
}

/* The cached template with one more key, MARKER under \Registry\Machine\SOFTWARE. */
static unsigned char *marked_image(size_t *len)
{
    size_t n;
    unsigned char *img = t_read_file(cache, &n);
    cr_assert_not_null(img);
    regdb_snapshot *s, *s2;
    cr_assert_eq(regdb_snapshot_from_data(img, n, &s), 0);
    free(img);
    regdb *r;
    cr_assert_eq(regdb_snapshot_clone(s, &r), 0);
    regdb_key k;
    cr_assert_eq(regdb_create_key_u8(r, 0, "\\Registry\\Machine\\SOFTWARE\\MARKER", 0, &k), 0);
    cr_assert_eq(regdb_snapshot_take(r, &s2), 0);
    regdb_close(r);
    regdb_snapshot_free(s);
    const void *d = regdb_snapshot_data(s2, len);
    unsigned char *out = malloc(*len);
    cr_assert_not_null(out);
    memcpy(out, d, *len);
    regdb_snapshot_free(s2);
    return out;
}

/* Whether a fresh machine of this process has the marker key. */
static int machine_has_marker(void)
{
    pnpbox_machine *m;
    cr_assert_eq(pnpbox_machine_new(NULL, &m), 0, "%s", pnpbox_errmsg(NULL));
    regdb_key k, svc;
    int rc = regdb_open_key_u8(m->reg, 0, "\\Registry\\Machine\\SOFTWARE\\MARKER", &k);
    cr_assert_eq(regdb_open_key_u8(m->reg, 0, "\\Registry\\Machine\\SYSTEM\\CurrentControlSet\\Services", &svc), 0,
                 "the template's contents are there");
    pnpbox_machine_free(m);
    return rc == 0;
}

/* The cache file is a whole SQLite image, private to this uid. */
static void cache_is_sound(void)
{
    struct stat st;
    cr_assert_eq(stat(cache, &st), 0);
    cr_assert(S_ISREG(st.st_mode));
    cr_assert_eq(st.st_uid, geteuid());
    cr_assert_eq(st.st_mode & 077, 0, "mode %o", (unsigned)st.st_mode);
    size_t n;
    unsigned char *img = t_read_file(cache, &n);
    cr_assert_not_null(img);
    cr_assert_eq(memcmp(img, "SQLite format 3", 16), 0);
    unsigned psz = (unsigned)img[16] << 8 | img[17];
    unsigned pages = (unsigned)img[28] << 24 | (unsigned)img[29] << 16 | (unsigned)img[30] << 8 | img[31];
    cr_assert_eq((size_t)psz * pages, n, "the header's page count covers the file");
    free(img);
}

Test(emu_template_cache, first_process_writes_it_named_by_uid_and_build)
{
    char want[4200];
    snprintf(want, sizeof want, "%s/pnpbox-template-%lu-", dir, (unsigned long)geteuid());
    cr_assert_eq(strncmp(cache, want, strlen(want)), 0, "'%s'", cache);
    cr_assert_str_eq(cache + strlen(cache) - 3, ".db");
    cr_assert_eq(access(cache, F_OK), -1, "no cache before the first machine");
    child_writes_cache();
    cache_is_sound();
}

Test(emu_template_cache, later_processes_read_it_instead_of_building)
{
    child_writes_cache();
    size_t n;
    unsigned char *img = marked_image(&n);
    plant(img, n, 0600);
    free(img);
    cr_assert(machine_has_marker(), "this process's template came from the cache file");
}

Test(emu_template_cache, a_file_others_may_write_is_ignored_and_replaced)
{
    child_writes_cache();
    size_t n;
    unsigned char *img = marked_image(&n);
    plant(img, n, 0666);
    free(img);
    cr_assert(!machine_has_marker(), "a group- or world-writable file is not trusted");
    cache_is_sound();
}

Test(emu_template_cache, garbage_is_ignored_and_replaced)
{
    char junk[8192];
    memset(junk, 'x', sizeof junk);
    plant(junk, sizeof junk, 0600);
    cr_assert(!machine_has_marker());
    cache_is_sound();
}

Test(emu_template_cache, a_torn_image_is_ignored_and_replaced)
{
    child_writes_cache();
    size_t n;
    unsigned char *img = marked_image(&n);
    plant(img, n - 4096, 0600); /* the header still says the whole length */
    free(img);
    cr_assert(!machine_has_marker());
    cache_is_sound();
}

Test(emu_template_cache, a_symlink_is_not_followed)
{
    child_writes_cache();
    size_t n;
    unsigned char *img = marked_image(&n);
    char other[4200];
    snprintf(other, sizeof other, "%s/elsewhere.db", dir);
    int fd = open(other, O_WRONLY | O_CREAT | O_EXCL, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, img, n), (ssize_t)n);
    close(fd);
    free(img);
    cr_assert_eq(unlink(cache), 0);
    cr_assert_eq(symlink(other, cache), 0);
    cr_assert(!machine_has_marker(), "the cache is never read through a symbolic link");
    cache_is_sound();
}

Test(emu_template_cache, turned_off_by_the_environment)
{
    setenv("PNPBOX_TEMPLATE_CACHE", "0", 1);
    char buf[4096];
    memset(buf, 0xde, sizeof buf);
    cr_assert_eq(emu_template_cache_path(buf, sizeof buf), -ENOENT);
    pnpbox_machine *m;
    cr_assert_eq(pnpbox_machine_new(NULL, &m), 0);
    pnpbox_machine_free(m);
    cr_assert_eq(access(cache, F_OK), -1, "nothing written");
}

Test(emu_template_cache, a_short_buffer_is_refused)
{
    char buf[16];
    cr_assert_eq(emu_template_cache_path(buf, sizeof buf), -ENAMETOOLONG);
}
