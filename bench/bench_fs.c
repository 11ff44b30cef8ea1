/*
 * bench_fs.c: the volume through its FUSE mount against the same work on
 * the native backing directory, side by side in one run (`make bench`).
 *
 *   smallfile  2000 files of 1 KiB in one directory: created and written,
 *              read back, then deleted (three passes, timed together)
 *   seqwrite   a 256 MiB file written in 1 MiB write()s, then closed
 *              (page-cache speed: no fsync on either side)
 *   seqread    that file read back in 1 MiB read()s, right after it was
 *              written and closed: both sides read the page cache (the mount
 *              keeps its pages across close and open when the file did not
 *              change, NFS's close-to-open rule)
 *   seqread_uncached  the same with the mount's pages dropped first (as an
 *              in-process write or a change on the host drops them), the
 *              backing file still in the host's cache: what a reader of
 *              files written in process gets; for information
 *   mount      boxfs_mount_start until the mount is ready, plus the stop
 *
 * The mount runs in this process (boxfs_mount_start), with the default
 * policy installed, as `pnpbox mount` has it.  Each figure is the median of
 * REPS runs, native and mounted alternating.  Everything lives in a
 * temporary machine directory under /tmp, removed at the end.
 */
#include "fs/boxfs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REPS 7
#define NSMALL 2000
#define SMALL_SIZE 1024
#define SEQ_SIZE (256u << 20)
#define CHUNK (1u << 20)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* What to undo however the run ends. */
static char *g_top;
static boxfs_mount *g_mount;
static boxfs *g_vol;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f);

static void cleanup(void)
{
    if (g_mount)
        boxfs_mount_stop(g_mount);
    g_mount = NULL;
    boxfs_volume_close(g_vol);
    g_vol = NULL;
    if (g_top)
        nftw(g_top, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    g_top = NULL;
}

static void die(const char *what, const char *subject)
{
    fprintf(stderr, "bench_fs: %s '%s': %s\n", what, subject, strerror(errno));
    exit(1);
}

static void write_all(int fd, const char *buf, size_t n, const char *path)
{
    while (n) {
        ssize_t k = write(fd, buf, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            die("cannot write", path);
        }
        buf += k;
        n -= (size_t)k;
    }
}

/* 2000 small files in dir: create+write, read back, delete. */
static double smallfile(const char *dir, const char *data)
{
    char path[4200], buf[SMALL_SIZE];
    double t0 = now();
    for (int i = 0; i < NSMALL; i++) {
        int fd;
        snprintf(path, sizeof path, "%s/file%04d.dat", dir, i);
        fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        if (fd < 0)
            die("cannot create", path);
        write_all(fd, data, SMALL_SIZE, path);
        if (close(fd))
            die("cannot close", path);
    }
    for (int i = 0; i < NSMALL; i++) {
        int fd;
        ssize_t n;
        snprintf(path, sizeof path, "%s/file%04d.dat", dir, i);
        fd = open(path, O_RDONLY);
        if (fd < 0)
            die("cannot open", path);
        n = read(fd, buf, sizeof buf);
        if (n != SMALL_SIZE || memcmp(buf, data, SMALL_SIZE))
            die("short or wrong read of", path);
        close(fd);
    }
    for (int i = 0; i < NSMALL; i++) {
        snprintf(path, sizeof path, "%s/file%04d.dat", dir, i);
        if (unlink(path))
            die("cannot delete", path);
    }
    return now() - t0;
}

static double seqwrite(const char *path, const char *chunk)
{
    double t0 = now();
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0)
        die("cannot create", path);
    for (size_t off = 0; off < SEQ_SIZE; off += CHUNK)
        write_all(fd, chunk, CHUNK, path);
    if (close(fd))
        die("cannot close", path);
    return now() - t0;
}

static double seqread(const char *path, char *buf)
{
    double t0 = now();
    size_t total = 0;
    ssize_t n;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        die("cannot open", path);
    while ((n = read(fd, buf, CHUNK)) > 0)
        total += (size_t)n;
    if (n < 0 || total != SEQ_SIZE)
        die("short read of", path);
    close(fd);
    return now() - t0;
}

/* Drop the clean pages a file has in the page cache. */
static void drop_cache(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        die("cannot open", path);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)f;
    return flag == FTW_DP ? rmdir(p) : unlink(p);
}

int main(void)
{
    char top[] = "/tmp/pnpbox-bench-XXXXXX";
    char mnt[128], mnt2[128], native_dir[256], fuse_dir[256], native_big[256], fuse_big[256];
    boxfs *vol;
    boxfs_default_policy *pol;
    boxfs_volume_opts vo = {0};
    boxfs_mount *m;
    double sm_n[REPS], sm_f[REPS], sw_n[REPS], sw_f[REPS], sr_n[REPS], sr_f[REPS], mt[REPS];
    double su_n[REPS], su_f[REPS];
    char *small = malloc(SMALL_SIZE), *chunk = malloc(CHUNK), *rbuf = malloc(CHUNK);
    int err;

    if ((err = boxfs_fuse_available())) {
        printf("bench_fs: skipped: FUSE is not available here (%s)\n", boxfs_strerror(err));
        return 0;
    }
    if (!mkdtemp(top))
        die("cannot create", top);
    g_top = top;
    atexit(cleanup);
    for (int i = 0; i < SMALL_SIZE; i++)
        small[i] = (char)('a' + i % 26);
    for (unsigned i = 0; i < CHUNK; i++)
        chunk[i] = (char)(i * 31 + (i >> 10));
    if ((err = boxfs_default_policy_new(NULL, &pol))) {
        fprintf(stderr, "bench_fs: cannot make the policy: %s\n", boxfs_strerror(err));
        return 1;
    }
    vo.policy = boxfs_default_policy_check;
    vo.policy_ctx = pol;
    vo.completed = boxfs_default_policy_completed;
    vo.completed_ctx = pol;
    if ((err = boxfs_machine_open(top, &vo, &vol))) {
        fprintf(stderr, "bench_fs: cannot open machine '%s': %s\n", top, boxfs_strerror(err));
        return 1;
    }
    g_vol = vol;
    snprintf(mnt, sizeof mnt, "%s/mnt", top);
    snprintf(mnt2, sizeof mnt2, "%s/mnt2", top);
    snprintf(native_dir, sizeof native_dir, "%s/volume/ProgramData/native", top);
    snprintf(fuse_dir, sizeof fuse_dir, "%s/ProgramData/mounted", mnt);
    snprintf(native_big, sizeof native_big, "%s/volume/ProgramData/native.bin", top);
    snprintf(fuse_big, sizeof fuse_big, "%s/ProgramData/mounted.bin", mnt);
    if (mkdir(mnt, 0755) || mkdir(mnt2, 0755) || mkdir(native_dir, 0755))
        die("cannot create directories in", top);

    /* mount + unmount */
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
        if ((err = boxfs_mount_start(vol, mnt2, NULL, &m))) {
            fprintf(stderr, "bench_fs: cannot mount '%s': %s\n", mnt2, boxfs_strerror(err));
            return 1;
        }
        boxfs_mount_stop(m);
        mt[r] = (now() - t0) * 1000;
    }

    if ((err = boxfs_mount_start(vol, mnt, NULL, &m))) {
        fprintf(stderr, "bench_fs: cannot mount '%s': %s\n", mnt, boxfs_strerror(err));
        return 1;
    }
    g_mount = m;
    if (mkdir(fuse_dir, 0755))
        die("cannot create", fuse_dir);
    /* one warm-up round each, untimed */
    smallfile(native_dir, small);
    smallfile(fuse_dir, small);
    for (int r = 0; r < REPS; r++) {
        sm_n[r] = smallfile(native_dir, small);
        sm_f[r] = smallfile(fuse_dir, small);
    }
    for (int r = 0; r < REPS; r++) {
        sw_n[r] = seqwrite(native_big, chunk);
        sr_n[r] = seqread(native_big, rbuf);
        unlink(native_big);
        sw_f[r] = seqwrite(fuse_big, chunk);
        sr_f[r] = seqread(fuse_big, rbuf);
        drop_cache(fuse_big);
        su_f[r] = seqread(fuse_big, rbuf);
        unlink(fuse_big);
        su_n[r] = sr_n[r]; /* the native side reads its cache either way */
    }
    cleanup();
    boxfs_default_policy_free(pol);

    {
        double smn = median(sm_n, REPS), smf = median(sm_f, REPS);
        double swn = median(sw_n, REPS), swf = median(sw_f, REPS);
        double srn = median(sr_n, REPS), srf = median(sr_f, REPS);
        double mm = median(mt, REPS);
        printf("fs benchmark (median of %d; native = the backing directory, mounted = through FUSE)\n",
               REPS);
        printf("  %-34s %12s %12s %8s\n", "work", "native", "mounted", "ratio");
        printf("  %-34s %10.1f ms %10.1f ms %7.2fx\n", "2000 x 1 KiB create/read/delete",
               smn * 1000, smf * 1000, smf / smn);
        printf("  %-34s %10.1f ms %10.1f ms %7.2fx  (%.0f / %.0f MiB/s)\n",
               "256 MiB sequential write", swn * 1000, swf * 1000, swf / swn, 256 / swn, 256 / swf);
        printf("  %-34s %10.1f ms %10.1f ms %7.2fx  (%.0f / %.0f MiB/s)\n",
               "256 MiB sequential read", srn * 1000, srf * 1000, srf / srn, 256 / srn, 256 / srf);
        printf("  %-34s %10.1f ms %10.1f ms %7.2fx  (for information)\n",
               "256 MiB read, mount cache dropped", median(su_n, REPS) * 1000,
               median(su_f, REPS) * 1000, median(su_f, REPS) / median(su_n, REPS));
        printf("  %-34s %26.1f ms\n", "mount until ready + unmount", mm);
        printf("bench: fs.smallfile.native_ms %.1f ms\n", smn * 1000);
        printf("bench: fs.smallfile.mounted_ms %.1f ms\n", smf * 1000);
        printf("bench: fs.smallfile.ratio_vs_native %.2f x\n", smf / smn);
        printf("bench: fs.seqwrite.native_ms %.1f ms\n", swn * 1000);
        printf("bench: fs.seqwrite.mounted_ms %.1f ms\n", swf * 1000);
        printf("bench: fs.seqwrite.ratio_vs_native %.2f x\n", swf / swn);
        printf("bench: fs.seqread.native_ms %.1f ms\n", srn * 1000);
        printf("bench: fs.seqread.mounted_ms %.1f ms\n", srf * 1000);
        printf("bench: fs.seqread.ratio_vs_native %.2f x\n", srf / srn);
        printf("bench: fs.seqread_uncached.mounted_ms %.1f ms\n", median(su_f, REPS) * 1000);
        printf("bench: fs.seqread_uncached.ratio_vs_native %.2f x\n",
               median(su_f, REPS) / median(su_n, REPS));
        printf("bench: fs.mount_ms %.1f ms\n", mm);
    }
    free(small);
    free(chunk);
    free(rbuf);
    return 0;
}
