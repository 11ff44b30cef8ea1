/*
 * bench_harness.c: what the Criterion harness costs each test: the
 * fixture's init (a fresh machine from the template, the fail-fast hook,
 * PNPBOX_MODE and PNPBOX_BASELINE from the environment) and its fini (the
 * machine and every string the helpers handed out freed), exactly as
 * PNPBOX_TEST_SUITE runs them around each test.  The bare
 * pnpbox_machine_new + pnpbox_machine_free pair is timed in the same runs
 * as the baseline, so the harness's own share is visible.
 *
 * Criterion runs every test in a process of its own, so a test's fixture
 * is the first of its process: harness.fixture_cold_us times that one, in
 * fresh processes (this program run again), where the template registry
 * is read from the template cache (emu/template.c; the first run of a
 * build writes it) and SQLite's connection, statements and the first
 * volume are new.
 * The in-process figure above shows what the fixture itself costs once
 * those are there.
 *
 * Prints a table, then `bench: NAME VALUE UNIT` lines (medians).
 */
#include "bench/bench_util.h"
#include "pnpbox/criterion.h"

#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNS 301
#define COLD_RUNS 21

extern char **environ;

/* A child run: time the first fixture of this process and print it. */
static int cold_child(void)
{
    double t0 = bench_now_ns();
    pnpbox_fixture_init();
    if (!pnpbox_t_machine)
        return 1;
    pnpbox_fixture_fini();
    printf("%.3f\n", (bench_now_ns() - t0) / 1e3);
    return 0;
}

/* The first fixture of a fresh process, us; exits on failure. */
static double cold_run(void)
{
    int fds[2];
    if (pipe(fds) < 0) {
        perror("bench_harness: pipe");
        exit(1);
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char *argv[] = {"bench_harness", "--cold-child", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        fprintf(stderr, "bench_harness: cannot run itself: %s\n", strerror(rc));
        exit(1);
    }
    char buf[64] = "";
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    if (n <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench_harness: the cold run failed\n");
        exit(1);
    }
    buf[n] = 0;
    return atof(buf);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--cold-child"))
        return cold_child();
    static double fixture[RUNS], bare[RUNS];
    for (int r = -5; r < RUNS; r++) {
        double t0 = bench_now_ns();
        pnpbox_fixture_init();
        if (!pnpbox_t_machine) {
            fprintf(stderr, "bench_harness: the fixture made no machine: %s\n", pnpbox_errmsg(NULL));
            return 1;
        }
        pnpbox_fixture_fini();
        double t1 = bench_now_ns();
        pnpbox_machine *m = NULL;
        if (pnpbox_machine_new(NULL, &m) < 0) {
            fprintf(stderr, "bench_harness: pnpbox_machine_new: %s\n", pnpbox_errmsg(NULL));
            return 1;
        }
        pnpbox_machine_free(m);
        double t2 = bench_now_ns();
        if (r < 0)
            continue;
        fixture[r] = (t1 - t0) / 1e3;
        bare[r] = (t2 - t1) / 1e3;
    }
    static double cold[COLD_RUNS];
    for (int r = 0; r < COLD_RUNS; r++)
        cold[r] = cold_run();
    double f = bench_median(fixture, RUNS), b = bench_median(bare, RUNS), c = bench_median(cold, COLD_RUNS);
    printf("harness fixture per test (median of %d)\n", RUNS);
    printf("  fixture init + fini        %8.1f us   (target <= 1000)\n", f);
    printf("  bare machine new + free    %8.1f us\n", b);
    printf("  first fixture of a process %8.1f us   (median of %d processes; builds the template)\n", c, COLD_RUNS);
    bench_print("harness.fixture_us", f, "us");
    bench_print("harness.fixture_ratio_vs_bare_machine", f / b, "x");
    bench_print("harness.fixture_cold_us", c, "us");
    return 0;
}
