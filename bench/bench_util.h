/*
 * bench_util.h: timing helpers shared by the benchmarks (header only).
 *
 * Each figure is the median of several runs; a baseline is timed in the
 * same run, interleaved with the measured code, so the ratio compares like
 * with like.  Output: a human line and a `bench: NAME VALUE UNIT` line.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
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

static inline void bench_print(const char *name, double value, const char *unit)
{
    printf("bench: %s %.3f %s\n", name, value, unit);
    fflush(stdout);
}

#endif
