/*
 * bench_krtl.c: what leak tracking costs.  Every ExAllocatePool2 /
 * ExFreePool pair takes the machine lock, registers the block in the pool
 * table with its owner, tag and caller, and keeps the freed block in the
 * quarantine for double-free detection; drivers allocate on hot paths, so
 * the pair is timed against a bare malloc/free pair of the same size,
 * interleaved in the same run.  Also DbgPrint (format + log append) against
 * snprintf of the same text, since verify captures everything drivers print.
 *
 * Prints a table and `bench: NAME VALUE UNIT` lines (medians of 15 runs).
 */
#include <wdm.h>

#include "bench/bench_util.h"
#include "pnpbox/pnpbox.h"
#include "pnpbox/pool.h"

#include <string.h>

#define RUNS 15
#define ITER 20000
#define LIVE 64 /* blocks kept live at once, as a driver with a few lists would */

static volatile uintptr_t sink;

static double time_pool(void)
{
    void *v[LIVE] = {0};
    double t0 = bench_now_ns();
    for (int i = 0; i < ITER; i++) {
        int k = i % LIVE;
        if (v[k])
            ExFreePoolWithTag(v[k], 'hcnB');
        v[k] = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64 + (size_t)(i & 63), 'hcnB');
        sink += (uintptr_t)v[k];
    }
    for (int k = 0; k < LIVE; k++)
        ExFreePool(v[k]);
    return (bench_now_ns() - t0) / ITER;
}

static double time_malloc(void)
{
    void *v[LIVE] = {0};
    double t0 = bench_now_ns();
    for (int i = 0; i < ITER; i++) {
        int k = i % LIVE;
        free(v[k]);
        v[k] = calloc(1, 64 + (size_t)(i & 63));
        sink += (uintptr_t)v[k];
    }
    for (int k = 0; k < LIVE; k++)
        free(v[k]);
    return (bench_now_ns() - t0) / ITER;
}

#define PRINT_ITER 5000

static double time_dbgprint(void)
{
    UNICODE_STRING u = RTL_CONSTANT_STRING(L"\\Registry\\Machine\\System");
    double t0 = bench_now_ns();
    for (int i = 0; i < PRINT_ITER; i++)
        DbgPrint("mydrv: key %wZ value %d status %08x\n", &u, i, (unsigned)STATUS_SUCCESS);
    return (bench_now_ns() - t0) / PRINT_ITER;
}

static double time_snprintf(void)
{
    char buf[512];
    double t0 = bench_now_ns();
    for (int i = 0; i < PRINT_ITER; i++) {
        snprintf(buf, sizeof buf, "mydrv: key %s value %d status %08x\n", "\\Registry\\Machine\\System", i, 0u);
        sink += (uintptr_t)buf[3];
    }
    return (bench_now_ns() - t0) / PRINT_ITER;
}

int main(void)
{
    pnpbox_machine *m;
    if (pnpbox_machine_new(NULL, &m) < 0) {
        fprintf(stderr, "bench_krtl: cannot make a machine: %s\n", pnpbox_errmsg(NULL));
        return 1;
    }
    pnpbox_component *drv = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "benchdrv");
    pnpbox_enter(drv);
    double pool[RUNS], base[RUNS], dbg[RUNS], snp[RUNS], ratio[RUNS], dratio[RUNS];
    time_pool();
    time_malloc();
    for (int r = 0; r < RUNS; r++) {
        pool[r] = time_pool();
        base[r] = time_malloc();
        ratio[r] = pool[r] / base[r];
        /* Each run starts with an empty log so its growth does not skew later runs. */
        pnpbox_pool_release(m);
        pnpbox_machine_free(m);
        if (pnpbox_machine_new(NULL, &m) < 0)
            return 1;
        pnpbox_enter(pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "benchdrv"));
        dbg[r] = time_dbgprint();
        snp[r] = time_snprintf();
        dratio[r] = dbg[r] / snp[r];
    }
    double mp = bench_median(pool, RUNS), mb = bench_median(base, RUNS), mr = bench_median(ratio, RUNS);
    double md = bench_median(dbg, RUNS), ms = bench_median(snp, RUNS), mdr = bench_median(dratio, RUNS);
    printf("%-44s %10s\n", "kernel runtime", "ns/op");
    printf("%-44s %10.1f\n", "ExAllocatePool2 + ExFreePoolWithTag", mp);
    printf("%-44s %10.1f\n", "calloc + free (baseline)", mb);
    printf("%-44s %10.1f\n", "DbgPrint to the log (%wZ %d %08x)", md);
    printf("%-44s %10.1f\n", "snprintf of the same text (baseline)", ms);
    bench_print("krtl.pool_alloc_free_ns", mp, "ns");
    bench_print("krtl.pool_alloc_free.ratio_vs_malloc", mr, "x");
    bench_print("krtl.dbgprint_ns", md, "ns");
    bench_print("krtl.dbgprint.ratio_vs_snprintf", mdr, "x");
    pnpbox_pool_release(m);
    pnpbox_machine_free(m);
    return (int)(sink & 0);
}
