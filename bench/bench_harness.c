/*
 * bench_harness.c: what the Criterion harness costs each test: the
 * fixture's init (a fresh machine from the template, the fail-fast hook,
 * PNPBOX_MODE and PNPBOX_BASELINE from the environment) and its fini (the
 * machine and every string the helpers handed out freed), exactly as
 * PNPBOX_TEST_SUITE runs them around each test.  The bare
 * pnpbox_machine_new + pnpbox_machine_free pair is timed in the same runs
 * as the baseline, so the harness's own share is visible.
 *
 * Prints a table, then `bench: NAME VALUE UNIT` lines (medians).
 */
#include "bench/bench_util.h"
#include "pnpbox/criterion.h"

#define RUNS 301

int main(void)
{
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
    double f = bench_median(fixture, RUNS), b = bench_median(bare, RUNS);
    printf("harness fixture per test (median of %d)\n", RUNS);
    printf("  fixture init + fini        %8.1f us   (target <= 1000)\n", f);
    printf("  bare machine new + free    %8.1f us\n", b);
    bench_print("harness.fixture_us", f, "us");
    bench_print("harness.fixture_ratio_vs_bare_machine", f / b, "x");
    return 0;
}
