/*
 * bench_fs.c: the volume through its FUSE mount against the same work on
 * the native backing directory, side by side in one run (`make bench`).
 *
 *   smallfile  2000 files of 1 KiB in one directory: created and written,
 *              read back, then deleted (three passes, timed together)
 *   seqwrite   a 256 MiB file written in 1 MiB write()s, then closed
 *              (page-cache speed: no fsync on either side)
 *   seqread    that file read back in 1 MiB read()s, right after it was
 *              written and closed (both sides read from the page cache)
 *   mount      boxfs_mount_start until the mount is ready, plus the stop
 *   smallfile_tmpfs  (for information) the smallfile work again with both
 *              sides on tmpfs: ext4's inode allocation, which both sides
 *              pay and which varies tenfold between runs, left out
 *
 * The mount runs in this process (boxfs_mount_start) with the default
 * policy installed, as `pnpbox mount` has it, and takes the data path the
 * mount takes by default: passthrough where the kernel and the daemon's
 * privileges allow it, else through the daemon.  The run tells which by
 * counting the READ/WRITE requests that reached the daemon, and then
 * measures the daemon path too (PNPBOX_FUSE_PASSTHROUGH=0, the path of a
 * mount without CAP_SYS_ADMIN), for information, with the read after the
 * mount's own pages were dropped (the backing file still cached).
 *
 * Fairness: both sides run the same code with the same buffers, open
 * flags and close, in sibling directories of one file system, after one
 * untimed warm-up round each.  Which side goes first follows the pattern
 * native-mounted-mounted-native, twice: ext4 (without a journal, as here)
 * skips every inode freed in the last minute when it allocates one, so a
 * side that runs right after the other's 2000 deletions pays up to twice
 * as much for its creates, and this order gives each side the same share
 * of first places, early and late in the run.  Each figure is the median
 * of REPS rounds; the table shows the spread of the per-round ratios too.
 * Everything lives in a temporary machine directory under /tmp, removed
 * at the end.
 */
#include "bench/bench_util.h"
#include "fs/boxfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define REPS 8 /* a multiple of 4: see mounted_first() */
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

/* Median of n values (v is reordered). */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Does the mounted side go first in round i?  N M M N N M M N. */
static int mounted_first(int i)
{
    return ((i + 1) / 2) % 2;
}

/* One measured comparison: native and mounted times per round. */
typedef struct pair {
    double native[REPS], mounted[REPS];
    double med_native, med_mounted, ratio, lo, hi; /* ratio of medians; per-round range */
} pair;

static void pair_finish(pair *p)
{
    double r[REPS], n[REPS], m[REPS];
    for (int i = 0; i < REPS; i++) {
        r[i] = p->mounted[i] / p->native[i];
        n[i] = p->native[i];
        m[i] = p->mounted[i];
    }
    p->med_native = median(n, REPS);
    p->med_mounted = median(m, REPS);
    p->ratio = p->med_mounted / p->med_native;
    qsort(r, REPS, sizeof *r, cmp_double);
    p->lo = r[0];
    p->hi = r[REPS - 1];
}

/* What to undo however the run ends (the tmpfs machine: g_*2). */
static char *g_top, *g_top2;
static boxfs_mount *g_mount, *g_mount2;
static boxfs *g_vol, *g_vol2;

static void cleanup(void)
{
    if (g_mount)
        boxfs_mount_stop(g_mount);
    g_mount = NULL;
    boxfs_volume_close(g_vol);
    g_vol = NULL;
    if (g_top)
        bench_rmtree(g_top);
    g_top = NULL;
    if (g_mount2)
        boxfs_mount_stop(g_mount2);
    g_mount2 = NULL;
    boxfs_volume_close(g_vol2);
    g_vol2 = NULL;
    if (g_top2)
        bench_rmtree(g_top2);
    g_top2 = NULL;
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

/* Drop the clean pages a file has in the page cache (through the mount:
 * the mount's own pages; the backing file keeps its). */
static void drop_cache(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        die("cannot open", path);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
}

/* READ and WRITE requests that reached the daemon: none when the mount's
 * data path is passthrough.  Everything else goes on to the policy's
 * recorder as usual. */
static unsigned long g_data_requests;

static void counting_completed(void *ctx, const boxfs_request *req, int status)
{
    if (req->via_fuse && (req->op == BOXFS_OP_READ || req->op == BOXFS_OP_WRITE))
        __atomic_add_fetch(&g_data_requests, 1, __ATOMIC_RELAXED);
    boxfs_default_policy_completed(ctx, req, status);
}

static boxfs_mount *mount_or_die(boxfs *vol, const char *mnt)
{
    boxfs_mount *m;
    int err = boxfs_mount_start(vol, mnt, NULL, &m);
    if (err) {
        fprintf(stderr, "bench_fs: cannot mount '%s': %s\n", mnt, boxfs_strerror(err));
        exit(1);
    }
    return m;
}

/* REPS rounds of smallfile on both sides (mounted_first()), after one
 * untimed warm-up round each. */
static void smallfile_rounds(const char *native_dir, const char *fuse_dir, const char *small,
                             pair *sm)
{
    smallfile(native_dir, small);
    smallfile(fuse_dir, small);
    for (int r = 0; r < REPS; r++) {
        if (mounted_first(r)) {
            sm->mounted[r] = smallfile(fuse_dir, small);
            sm->native[r] = smallfile(native_dir, small);
        } else {
            sm->native[r] = smallfile(native_dir, small);
            sm->mounted[r] = smallfile(fuse_dir, small);
        }
    }
    pair_finish(sm);
}

/* For information: the smallfile work with both sides on tmpfs
 * (/dev/shm), where no side pays for ext4's inode allocation, whose cost
 * varies tenfold from run to run on the backing file system.  A machine
 * of its own, mounted the same way; 0 if there is no tmpfs to use. */
static int smallfile_tmpfs(const boxfs_volume_opts *vo, const char *small, pair *sm)
{
    static char top[] = "/dev/shm/pnpbox-bench-XXXXXX";
    char mnt[128], native_dir[256], fuse_dir[256];
    struct statfs sf;
    int err;
    if (statfs("/dev/shm", &sf) || sf.f_type != TMPFS_MAGIC || !mkdtemp(top))
        return 0;
    g_top2 = top;
    if ((err = boxfs_machine_open(top, vo, &g_vol2))) {
        fprintf(stderr, "bench_fs: cannot open machine '%s': %s\n", top, boxfs_strerror(err));
        exit(1);
    }
    snprintf(mnt, sizeof mnt, "%s/mnt", top);
    snprintf(native_dir, sizeof native_dir, "%s/volume/ProgramData/native", top);
    snprintf(fuse_dir, sizeof fuse_dir, "%s/ProgramData/mounted", mnt);
    if (mkdir(mnt, 0755) || mkdir(native_dir, 0755))
        die("cannot create directories in", top);
    g_mount2 = mount_or_die(g_vol2, mnt);
    if (mkdir(fuse_dir, 0755))
        die("cannot create", fuse_dir);
    smallfile_rounds(native_dir, fuse_dir, small, sm);
    boxfs_mount_stop(g_mount2);
    g_mount2 = NULL;
    boxfs_volume_close(g_vol2);
    g_vol2 = NULL;
    bench_rmtree(top);
    g_top2 = NULL;
    return 1;
}

/* REPS rounds of seqwrite + seqread on both sides (mounted_first());
 * with dropped != NULL, also the mounted read after dropping the mount's
 * pages.  Files are removed after each round (untimed). */
static void seq_rounds(const char *native_big, const char *fuse_big, const char *chunk, char *rbuf,
                       pair *w, pair *r, pair *dropped)
{
    /* one warm-up round each, untimed (the first file of a run pays for
     * memory the page cache has not used yet) */
    for (int side = 0; side < 2; side++) {
        const char *p = side ? fuse_big : native_big;
        seqwrite(p, chunk);
        seqread(p, rbuf);
        if (unlink(p))
            die("cannot delete", p);
    }
    for (int i = 0; i < REPS; i++) {
        for (int side = 0; side < 2; side++) {
            int mounted = side ^ mounted_first(i);
            const char *p = mounted ? fuse_big : native_big;
            double tw = seqwrite(p, chunk), tr = seqread(p, rbuf);
            if (mounted) {
                w->mounted[i] = tw;
                r->mounted[i] = tr;
                if (dropped) {
                    drop_cache(p);
                    dropped->mounted[i] = seqread(p, rbuf);
                }
            } else {
                w->native[i] = tw;
                r->native[i] = tr;
                if (dropped)
                    dropped->native[i] = tr; /* the native side reads its cache either way */
            }
            if (unlink(p))
                die("cannot delete", p);
        }
    }
    pair_finish(w);
    pair_finish(r);
    if (dropped)
        pair_finish(dropped);
}

static void row(const char *what, const pair *p, int mib)
{
    printf("  %-34s %9.1f ms %9.1f ms %6.2fx  %5.2f-%.2fx", what, p->med_native * 1000,
           p->med_mounted * 1000, p->ratio, p->lo, p->hi);
    if (mib)
        printf("  (%.0f / %.0f MiB/s)", 256 / p->med_native, 256 / p->med_mounted);
    printf("\n");
}

static void lines(const char *name, const pair *p)
{
    printf("bench: fs.%s.native_ms %.1f ms\n", name, p->med_native * 1000);
    printf("bench: fs.%s.mounted_ms %.1f ms\n", name, p->med_mounted * 1000);
    printf("bench: fs.%s.ratio_vs_native %.2f x\n", name, p->ratio);
}

int main(void)
{
    char top[] = "/tmp/pnpbox-bench-XXXXXX";
    char mnt[128], mnt2[128], native_dir[256], fuse_dir[256], native_big[256], fuse_big[256];
    boxfs *vol;
    boxfs_default_policy *pol;
    boxfs_volume_opts vo = {0};
    pair sm, sw, sr, dw, dr, du, st;
    int have_tmpfs;
    double mt[REPS];
    unsigned long default_data;
    int daemon_by_default, err;
    char *small = malloc(SMALL_SIZE), *chunk = malloc(CHUNK), *rbuf = malloc(CHUNK);

    if ((err = boxfs_fuse_available())) {
        printf("bench_fs: skipped: FUSE is not available here (%s)\n", boxfs_strerror(err));
        return 0;
    }
    if (!small || !chunk || !rbuf) {
        fprintf(stderr, "bench_fs: out of memory\n");
        return 1;
    }
    if (!mkdtemp(top))
        die("cannot create", top);
    g_top = top;
    atexit(cleanup);
    memset(&sm, 0, sizeof sm);
    memset(&sw, 0, sizeof sw);
    memset(&sr, 0, sizeof sr);
    memset(&dw, 0, sizeof dw);
    memset(&dr, 0, sizeof dr);
    memset(&du, 0, sizeof du);
    memset(&st, 0, sizeof st);
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
    vo.completed = counting_completed;
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
        boxfs_mount_stop(mount_or_die(vol, mnt2));
        mt[r] = (now() - t0) * 1000;
    }

    /* the default data path */
    g_mount = mount_or_die(vol, mnt);
    if (mkdir(fuse_dir, 0755))
        die("cannot create", fuse_dir);
    smallfile_rounds(native_dir, fuse_dir, small, &sm);
    __atomic_store_n(&g_data_requests, 0, __ATOMIC_RELAXED);
    seq_rounds(native_big, fuse_big, chunk, rbuf, &sw, &sr, NULL);
    default_data = __atomic_load_n(&g_data_requests, __ATOMIC_RELAXED);
    daemon_by_default = default_data > 0;
    boxfs_mount_stop(g_mount);
    g_mount = NULL;

    /* the daemon path, for information */
    setenv("PNPBOX_FUSE_PASSTHROUGH", "0", 1);
    g_mount = mount_or_die(vol, mnt);
    seq_rounds(native_big, fuse_big, chunk, rbuf, &dw, &dr, &du);
    unsetenv("PNPBOX_FUSE_PASSTHROUGH");
    cleanup();

    /* for information: smallfile with both sides on tmpfs */
    have_tmpfs = smallfile_tmpfs(&vo, small, &st);
    boxfs_default_policy_free(pol);

    {
        double mm = median(mt, REPS);
        printf("fs benchmark (median of %d, order N M M N...; native = the backing directory, "
               "mounted = through FUSE)\n",
               REPS);
        printf("mounted data path: %s (%lu READ/WRITE requests reached the daemon)\n",
               daemon_by_default ? "through the daemon" : "passthrough to the backing file",
               default_data);
        printf("  %-34s %12s %12s %7s  %s\n", "work", "native", "mounted", "ratio", "per round");
        row("2000 x 1 KiB create/read/delete", &sm, 0);
        row("256 MiB sequential write", &sw, 1);
        row("256 MiB sequential read", &sr, 1);
        printf("  for information, through the daemon (no passthrough):\n");
        row("256 MiB sequential write", &dw, 1);
        row("256 MiB sequential read", &dr, 1);
        row("256 MiB read, mount's pages dropped", &du, 1);
        if (have_tmpfs) {
            printf("  for information, both sides on tmpfs (no ext4 inode allocation):\n");
            row("2000 x 1 KiB create/read/delete", &st, 0);
        }
        printf("  %-34s %24.1f ms\n", "mount until ready + unmount", mm);
        lines("smallfile", &sm);
        lines("seqwrite", &sw);
        lines("seqread", &sr);
        printf("bench: fs.seq.daemon_data_requests %lu requests\n", default_data);
        lines("seqwrite_daemon", &dw);
        lines("seqread_daemon", &dr);
        lines("seqread_daemon_uncached", &du);
        if (have_tmpfs)
            lines("smallfile_tmpfs", &st);
        printf("bench: fs.mount_ms %.1f ms\n", mm);
    }
    free(small);
    free(chunk);
    free(rbuf);
    return 0;
}
