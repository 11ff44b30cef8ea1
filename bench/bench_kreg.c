/*
 * bench_kreg.c: what the kernel registry layer costs on a driver's hot
 * path.  ZwQueryValueKey(KeyValuePartialInformation) of a DWORD through an
 * open key handle, called as a kernel driver component with auditing and
 * the rules on (report mode: every call is judged and recorded), is timed
 * against the bare regdb_query_value of the same value on the same key,
 * interleaved in the same run.  The handle is the kind a well-behaved
 * driver holds (IoOpenDriverRegistryKey's provenance, no finding); the
 * same query through an absolutely opened handle (a REG-FOREIGN-HANDLE
 * finding on every call) is timed too, and so is the spine's part of the
 * call (emu_judge + emu_record of the same access, no registry work), so
 * the layer's own cost (total - regdb - spine) is visible.
 *
 * Each run starts from a fresh machine so the growing audit log of one run
 * does not slow the next.  Prints a table and `bench: NAME VALUE UNIT`
 * lines (medians of RUNS runs).
 */
#include <wdm.h>

#include "bench/bench_util.h"
#include "emu/emu.h"
#include "emu/kreg.h"
#include "pnpbox/pnpbox.h"

#include <string.h>

#define RUNS 15
#define ITER 20000

static volatile ULONG sink;

static const WCHAR params[] = L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\benchdrv\\Parameters";
static const WCHAR setting[] = L"Setting";

static UNICODE_STRING us(const WCHAR *s, size_t n)
{
    UNICODE_STRING u = {(USHORT)(n * 2), (USHORT)(n * 2 + 2), (PWCH)s};
    return u;
}

static void die(const char *what, long st)
{
    fprintf(stderr, "bench_kreg: %s failed: 0x%08lx\n", what, (unsigned long)st);
    exit(1);
}

static HANDLE open_abs(const WCHAR *name, size_t n, ULONG create)
{
    UNICODE_STRING u = us(name, n);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &u, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    HANDLE h = NULL;
    NTSTATUS st = create ? ZwCreateKey(&h, KEY_ALL_ACCESS, &oa, 0, NULL, 0, NULL) : ZwOpenKey(&h, KEY_READ, &oa);
    if (st != STATUS_SUCCESS)
        die("opening the benchmark key", st);
    return h;
}

typedef struct fixture {
    pnpbox_machine *m;
    regdb_key key;
    HANDLE approved, absolute;
} fixture;

/* A fresh machine with Services\benchdrv\Parameters\Setting = 7, and the two handles of benchdrv. */
static void setup(fixture *f)
{
    if (pnpbox_machine_new(NULL, &f->m) < 0) {
        fprintf(stderr, "bench_kreg: cannot make a machine: %s\n", pnpbox_errmsg(NULL));
        exit(1);
    }
    pnpbox_enter(NULL);
    static const WCHAR svc[] = L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\benchdrv";
    ZwClose(open_abs(svc, sizeof svc / 2 - 1, 1));
    HANDLE h = open_abs(params, sizeof params / 2 - 1, 1);
    ULONG v = 7;
    UNICODE_STRING n = us(setting, sizeof setting / 2 - 1);
    NTSTATUS st = ZwSetValueKey(h, &n, 0, REG_DWORD, &v, sizeof v);
    if (st != STATUS_SUCCESS)
        die("ZwSetValueKey", st);
    ZwClose(h);
    if (emu_ccs_open(f->m, "Services\\benchdrv\\Parameters", &f->key) < 0)
        die("emu_ccs_open", -1);

    pnpbox_component *drv = pnpbox_component_get(f->m, PNPBOX_COMP_KERNEL_DRIVER, "benchdrv");
    pnpbox_enter(drv);
    /* What IoOpenDriverRegistryKey(DriverRegKeyParameters) hands the driver. */
    emu_prov p;
    memset(&p, 0, sizeof p);
    p.api = "IoOpenDriverRegistryKey";
    p.sel = "DriverRegKeyParameters";
    p.approved = 1;
    p.owner = drv;
    p.scope_owner = drv;
    p.scope = EMU_SCOPE_SVC_PARAMETERS;
    p.scope_key = f->key;
    if ((st = emu_key_handle_new(f->m, f->key, KEY_READ, &p, EMU_HF_KERNEL, &f->approved)) != STATUS_SUCCESS)
        die("emu_key_handle_new", st);
    f->absolute = open_abs(params, sizeof params / 2 - 1, 0);
}

static void teardown(fixture *f)
{
    ZwClose(f->approved);
    ZwClose(f->absolute);
    pnpbox_enter(NULL);
    pnpbox_machine_free(f->m);
}

static double time_zw(HANDLE h)
{
    UNICODE_STRING n = us(setting, sizeof setting / 2 - 1);
    ULONG buf[8];
    ULONG rl;
    double t0 = bench_now_ns();
    for (int i = 0; i < ITER; i++) {
        NTSTATUS st = ZwQueryValueKey(h, &n, KeyValuePartialInformation, buf, sizeof buf, &rl);
        if (st != STATUS_SUCCESS)
            die("ZwQueryValueKey", st);
        sink += ((KEY_VALUE_PARTIAL_INFORMATION *)buf)->Data[0];
    }
    return (bench_now_ns() - t0) / ITER;
}

/* The baseline: regdb's lookup and the copy of the data out, nothing else. */
static double time_regdb(fixture *f)
{
    regdb *db = f->m->reg;
    const uint16_t *name = (const uint16_t *)setting;
    size_t nl = sizeof setting / 2 - 1;
    ULONG out;
    double t0 = bench_now_ns();
    for (int i = 0; i < ITER; i++) {
        regdb_value v;
        int rc = regdb_query_value(db, f->key, name, nl, &v);
        if (rc < 0 || v.data_len != sizeof out)
            die("regdb_query_value", rc);
        memcpy(&out, v.data, sizeof out);
        sink += out;
    }
    return (bench_now_ns() - t0) / ITER;
}

/*
 * The spine's share, for the report: judging and recording the same access
 * (as reg_op_judge describes it, from the handle's cached provenance and
 * path) with no registry work at all.
 */
__attribute__((noinline)) static double time_spine(fixture *f, HANDLE h)
{
    emu_handle *e = NULL;
    if (emu_key_from_handle(f->m, h, &e) != STATUS_SUCCESS)
        die("emu_key_from_handle", -1);
    emu_access a;
    memset(&a, 0, sizeof a);
    a.api = "ZwQueryValueKey";
    a.kind = EMU_ACC_REG;
    a.op = EMU_OP_QUERY;
    a.prov = &e->prov;
    a.key = e->key;
    a.path = e->path;
    a.value = "Setting";
    a.access = KEY_QUERY_VALUE;
    a.caller = __builtin_return_address(0); /* in main, as ZwQueryValueKey's is in the bench binary */
    double t0 = bench_now_ns();
    for (int i = 0; i < ITER; i++) {
        emu_verdict v;
        emu_lock(f->m);
        emu_judge(f->m, &a, &v);
        emu_record(f->m, &a, &v, STATUS_SUCCESS);
        emu_unlock(f->m);
        sink += (ULONG)v.n;
    }
    return (bench_now_ns() - t0) / ITER;
}

int main(void)
{
    double zw[RUNS], base[RUNS], ratio[RUNS], foreign[RUNS], fratio[RUNS], spine[RUNS], own[RUNS];
    for (int r = -1; r < RUNS; r++) { /* run -1 warms up */
        fixture f;
        setup(&f);
        double z = time_zw(f.approved);
        double b = time_regdb(&f);
        teardown(&f);
        setup(&f);
        double sp = time_spine(&f, f.approved);
        teardown(&f);
        setup(&f);
        double fz = time_zw(f.absolute);
        double fb = time_regdb(&f);
        teardown(&f);
        if (r < 0)
            continue;
        zw[r] = z;
        base[r] = b;
        ratio[r] = z / b;
        foreign[r] = fz;
        fratio[r] = fz / fb;
        spine[r] = sp;
        own[r] = z - b - sp;
    }
    double mz = bench_median(zw, RUNS), mb = bench_median(base, RUNS), mr = bench_median(ratio, RUNS);
    double mf = bench_median(foreign, RUNS), mfr = bench_median(fratio, RUNS);
    double ms = bench_median(spine, RUNS), mo = bench_median(own, RUNS);
    printf("%-62s %10s %8s\n", "DWORD query on an open key (driver, report mode)", "ns/op", "ratio");
    printf("%-62s %10.1f %8.2f\n", "ZwQueryValueKey, IoOpenDriverRegistryKey handle (no finding)", mz, mr);
    printf("%-62s %10.1f %8.2f\n", "ZwQueryValueKey, absolute handle (REG-FOREIGN-HANDLE)", mf, mfr);
    printf("%-62s %10.1f %8s\n", "regdb_query_value (baseline)", mb, "1.00");
    printf("%-62s %10.1f\n", "  of which: emu_judge + emu_record of the same access (spine)", ms);
    printf("%-62s %10.1f\n", "  of which: the Zw/reg_core layer itself (total - regdb - spine)", mo);
    bench_print("emu.zwqueryvaluekey_ns", mz, "ns");
    bench_print("regdb.query_value_ns", mb, "ns");
    bench_print("emu.zwqueryvaluekey.ratio_vs_regdb", mr, "x");
    bench_print("emu.zwqueryvaluekey_foreign_ns", mf, "ns");
    bench_print("emu.zwqueryvaluekey_foreign.ratio_vs_regdb", mfr, "x");
    bench_print("emu.judge_record_ns", ms, "ns");
    bench_print("emu.zwqueryvaluekey.layer_ns", mo, "ns");
    return (int)(sink & 0);
}
