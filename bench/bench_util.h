/*
 * bench_util.h: timing helpers shared by the benchmarks (header only).
 *
 * Each figure is the median of several runs; a baseline is timed in the
 * same run, interleaved with the measured code in short alternating blocks
 * (bench_interleave), so the ratio compares like with like.  Output: a human line and a `bench: NAME VALUE UNIT` line.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int bench_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)f;
    return flag == FTW_DP ? rmdir(p) : unlink(p);
}

/* Remove a benchmark's scratch tree (not following symlinks, not crossing mounts). */
static inline void bench_rmtree(const char *path)
{
    nftw(path, bench_rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Interleaved timing of k pieces of work on the same state: `blocks` rounds,
 * each running every piece once for `iters` iterations (fns[i](ctx[i],
 * iters) returns the nanoseconds it took), the order rotating from round to
 * round so that each piece goes first, second, ... equally often and a
 * slow stretch of the machine falls on all of them alike.  ns_per_op[i]
 * gets piece i's total time over its total iterations.
 */
typedef double (*bench_fn)(void *ctx, int iters);

static inline void bench_interleave(bench_fn *fns, void **ctx, int k, int blocks, int iters, double *ns_per_op)
{
    double tot[16] = {0};
    if (k > 16)
        k = 16;
    for (int b = 0; b < blocks; b++)
        for (int j = 0; j < k; j++) {
            int i = (b + j) % k;
            tot[i] += fns[i](ctx[i], iters);
        }
    for (int i = 0; i < k; i++)
        ns_per_op[i] = tot[i] / ((double)blocks * iters);
}

static inline void bench_print(const char *name, double value, const char *unit)
{
    printf("bench: %s %.3f %s\n", name, value, unit);
    fflush(stdout);
}

#endif
