/*
 * bench_inf.c: how fast pnpbox parses and lints real INFs: every INF of the
 * shared corpus (../shared/corpus/inf) in one process, as `pnpbox lint`
 * does it (read, parse, lint), median of repeated runs.  Side by side in
 * the same run: reading the files only (the I/O floor) and parsing only.
 * Target: inf.corpus_lint_ms <= 25 ms on the 2-core CI machine.
 *
 * Prints `bench: NAME VALUE UNIT` lines after a table for people; skips with
 * a message (exit 0) when ../shared is absent.
 */
#include "emu/inf.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RUNS 21

typedef struct corpus {
    char **paths;
    size_t n, cap;
    size_t bytes;
} corpus;

static void collect(const char *dir, corpus *c)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st))
            continue;
        if (S_ISDIR(st.st_mode)) {
            collect(path, c);
            continue;
        }
        size_t l = strlen(e->d_name);
        if (l < 4 || (strcasecmp(e->d_name + l - 4, ".inf") && strcasecmp(e->d_name + l - 4, ".inx")))
            continue;
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 64;
            char **p = realloc(c->paths, c->cap * sizeof *p);
            if (!p) {
                fprintf(stderr, "bench_inf: out of memory\n");
                exit(1);
            }
            c->paths = p;
        }
        c->paths[c->n] = strdup(path);
        if (!c->paths[c->n]) {
            fprintf(stderr, "bench_inf: out of memory\n");
            exit(1);
        }
        c->n++;
        c->bytes += (size_t)st.st_size;
    }
    closedir(d);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* Read every file (the floor any INF tool pays). */
static size_t run_read(const corpus *c)
{
    size_t total = 0;
    char buf[65536];
    for (size_t i = 0; i < c->n; i++) {
        int fd = open(c->paths[i], O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t r;
        while ((r = read(fd, buf, sizeof buf)) > 0)
            total += (size_t)r;
        close(fd);
    }
    return total;
}

/* 0 on success; lint == 0 parses only. */
static int run_inf(const corpus *c, int lint, size_t *findings)
{
    *findings = 0;
    for (size_t i = 0; i < c->n; i++) {
        inf_file *f = NULL;
        int rc = emu_inf_parse_file(c->paths[i], NULL, &f);
        if (rc) {
            fprintf(stderr, "bench_inf: cannot parse '%s': %s\n", c->paths[i], emu_inf_strerror(rc));
            return -1;
        }
        if (lint) {
            inf_lint_result *r = NULL;
            rc = emu_inf_lint(f, NULL, &r);
            if (rc) {
                fprintf(stderr, "bench_inf: cannot lint '%s': %s\n", c->paths[i], emu_inf_strerror(rc));
                emu_inf_free(f);
                return -1;
            }
            *findings += r->nfindings;
            emu_inf_lint_free(r);
        }
        emu_inf_free(f);
    }
    return 0;
}

int main(void)
{
    const char *top = getenv("PNPBOX_TOP");
    char root[4096];
    snprintf(root, sizeof root, "%s/../shared/corpus/inf", top && *top ? top : ".");
    struct stat st;
    if (stat(root, &st) || !S_ISDIR(st.st_mode)) {
        printf("bench_inf: skipped: no INF corpus at '%s' (../shared is absent)\n", root);
        return 0;
    }
    corpus c = {0};
    collect(root, &c);
    if (!c.n) {
        printf("bench_inf: skipped: no INF files under '%s'\n", root);
        return 0;
    }
    double t_read[RUNS], t_parse[RUNS], t_lint[RUNS], c_lint[RUNS];
    size_t findings = 0, f2 = 0;
    volatile size_t sink = run_read(&c); /* warm the page cache */
    if (run_inf(&c, 1, &findings))
        return 1;
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_ms();
        sink += run_read(&c);
        double t1 = now_ms();
        if (run_inf(&c, 0, &f2))
            return 1;
        double t2 = now_ms(), c2 = cpu_ms();
        if (run_inf(&c, 1, &f2))
            return 1;
        double t3 = now_ms();
        c_lint[r] = cpu_ms() - c2;
        t_read[r] = t1 - t0;
        t_parse[r] = t2 - t1;
        t_lint[r] = t3 - t2;
    }
    (void)sink;
    double mr = median(t_read, RUNS), mp = median(t_parse, RUNS), ml = median(t_lint, RUNS);
    double mc = median(c_lint, RUNS);
    double mb = c.bytes / 1e6;
    printf("INF corpus: %zu files, %.2f MB, %zu findings (median of %d runs)\n", c.n, mb, findings, RUNS);
    printf("  %-28s %9s %11s %10s\n", "step", "ms", "MB/s", "us/INF");
    printf("  %-28s %9.2f %11.1f %10.1f\n", "read files only (floor)", mr, mb / (mr / 1e3), mr * 1e3 / c.n);
    printf("  %-28s %9.2f %11.1f %10.1f\n", "read + parse", mp, mb / (mp / 1e3), mp * 1e3 / c.n);
    printf("  %-28s %9.2f %11.1f %10.1f\n", "read + parse + lint", ml, mb / (ml / 1e3), ml * 1e3 / c.n);
    printf("  %-28s %9.2f   (CPU time of the process; steadier on a busy machine)\n", "read + parse + lint, CPU", mc);
    printf("  target: read + parse + lint <= 25 ms\n");
    printf("bench: inf.corpus_lint_ms %.2f ms\n", ml);
    printf("bench: inf.corpus_lint_mbps %.1f MB/s\n", mb / (ml / 1e3));
    printf("bench: inf.corpus_lint_cpu_ms %.2f ms\n", mc);
    printf("bench: inf.corpus_parse_ms %.2f ms\n", mp);
    printf("bench: inf.corpus_read_ms %.2f ms\n", mr);
    printf("bench: inf.lint_us_per_inf %.1f us\n", ml * 1e3 / c.n);
    for (size_t i = 0; i < c.n; i++)
        free(c.paths[i]);
    free(c.paths);
    return 0;
}
