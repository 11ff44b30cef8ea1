/*
 * bench_kreg.c: what the kernel registry layer costs on a driver's hot
 * path.  ZwQueryValueKey(KeyValuePartialInformation) of a DWORD through an
 * open key handle, called as a kernel driver component with auditing and
 * the rules on (report mode: every call is judged and recorded), is timed
 * against the bare regdb_query_value of the same value on the same key.
 * The handle is the kind a well-behaved driver holds
 * (IoOpenDriverRegistryKey's provenance, no finding); the same query
 * through an absolutely opened handle (a REG-FOREIGN-HANDLE finding on
 * every call) is timed too.
 *
 * The breakdown adds up to the call: the registry part is the regdb call
 * ZwQueryValueKey really makes (regdb_query_value_into, straight into the
 * caller's buffer), the spine part is the judge and the record of the same
 * access exactly as the API does them (reg_op_judge + reg_op_end on the
 * resolved handle, under the machine lock: same access, same per-handle
 * memo, folding into the same audit event), and the layer is what is left
 * (argument checks, the handle look-up, the lock, the output buffer).
 *
 * All pieces run on the same machine in short blocks whose order rotates
 * (bench_interleave); each run starts from a fresh machine so the audit log
 * of one run does not slow the next.  Prints a table and
 * `bench: NAME VALUE UNIT` lines (medians of RUNS runs).
 */
#include <wdm.h>

#include "bench/bench_util.h"
#include "emu/emu.h"
#include "emu/kreg.h"
#include "emu/reg_core.h"
#include "pnpbox/pnpbox.h"

#include <string.h>

#define RUNS 15
#define BLOCKS 20 /* per run: BLOCKS x BLOCK_ITER calls of each piece */
#define BLOCK_ITER 1000

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

static double time_zw(HANDLE h, int iters)
{
    UNICODE_STRING n = us(setting, sizeof setting / 2 - 1);
    ULONG buf[8];
    ULONG rl;
    double t0 = bench_now_ns();
    for (int i = 0; i < iters; i++) {
        NTSTATUS st = ZwQueryValueKey(h, &n, KeyValuePartialInformation, buf, sizeof buf, &rl);
        if (st != STATUS_SUCCESS)
            die("ZwQueryValueKey", st);
        sink += ((KEY_VALUE_PARTIAL_INFORMATION *)buf)->Data[0];
    }
    return bench_now_ns() - t0;
}

static double time_zw_approved(void *ctx, int iters) { return time_zw(((fixture *)ctx)->approved, iters); }
static double time_zw_absolute(void *ctx, int iters) { return time_zw(((fixture *)ctx)->absolute, iters); }

/* The baseline: regdb's lookup and the copy of the data out, nothing else. */
static double time_regdb(void *ctx, int iters)
{
    fixture *f = ctx;
    regdb *db = f->m->reg;
    const uint16_t *name = (const uint16_t *)setting;
    size_t nl = sizeof setting / 2 - 1;
    ULONG out;
    double t0 = bench_now_ns();
    for (int i = 0; i < iters; i++) {
        regdb_value v;
        int rc = regdb_query_value(db, f->key, name, nl, &v);
        if (rc < 0 || v.data_len != sizeof out)
            die("regdb_query_value", rc);
        memcpy(&out, v.data, sizeof out);
        sink += out;
    }
    return bench_now_ns() - t0;
}

/* For the breakdown: the regdb call ZwQueryValueKey makes (the data straight into the caller's buffer). */
static double time_regdb_into(void *ctx, int iters)
{
    fixture *f = ctx;
    regdb *db = f->m->reg;
    const uint16_t *name = (const uint16_t *)setting;
    size_t nl = sizeof setting / 2 - 1;
    ULONG buf[8];
    double t0 = bench_now_ns();
    for (int i = 0; i < iters; i++) {
        uint32_t type;
        size_t len;
        int rc = regdb_query_value_into(db, f->key, name, nl, &type, buf, sizeof buf, &len);
        if (rc < 0 || len != sizeof(ULONG))
            die("regdb_query_value_into", rc);
        sink += buf[0];
    }
    return bench_now_ns() - t0;
}

/*
 * The spine's share: the judge and the record of the access exactly as
 * ZwQueryValueKey makes them (reg_op_judge + reg_op_end, under the machine
 * lock, on the approved handle resolved once), with no registry work.
 */
__attribute__((noinline)) static double time_spine(void *ctx, int iters)
{
    fixture *f = ctx;
    reg_ctx c = {f->m, "ZwQueryValueKey", __builtin_return_address(0), 0};
    const uint16_t *name = (const uint16_t *)setting;
    size_t nl = sizeof setting / 2 - 1;
    reg_op op;
    emu_lock(f->m);
    NTSTATUS st = reg_op_resolve(&c, &op, f->approved, KEY_QUERY_VALUE);
    emu_unlock(f->m);
    if (st != STATUS_SUCCESS)
        die("reg_op_resolve", st);
    double t0 = bench_now_ns();
    for (int i = 0; i < iters; i++) {
        emu_lock(f->m);
        if ((st = reg_op_judge(&c, &op, EMU_OP_QUERY, KEY_QUERY_VALUE, 0, name, nl, 1)) != STATUS_SUCCESS)
            die("reg_op_judge", st);
        reg_op_end(&c, &op, STATUS_SUCCESS);
        emu_unlock(f->m);
        sink += (ULONG)op.v.n;
    }
    return bench_now_ns() - t0;
}

int main(void)
{
    enum { ZW, BASE, INTO, SPINE, FOREIGN, K };
    double zw[RUNS], base[RUNS], ratio[RUNS], foreign[RUNS], fratio[RUNS], into[RUNS], spine[RUNS], own[RUNS];
    bench_fn fns[K] = {time_zw_approved, time_regdb, time_regdb_into, time_spine, time_zw_absolute};
    for (int r = -1; r < RUNS; r++) { /* run -1 warms up */
        fixture f;
        setup(&f);
        void *ctx[K] = {&f, &f, &f, &f, &f};
        double ns[K];
        size_t before = pnpbox_event_count(f.m);
        bench_interleave(fns, ctx, K, BLOCKS, BLOCK_ITER, ns);
        size_t events = pnpbox_event_count(f.m) - before;
        teardown(&f);
        if (events != 2) {
            /* Every repeated access folds into its first event (one per handle): anything else is a bug. */
            fprintf(stderr, "bench_kreg: %zu audit events for 2 repeated accesses\n", events);
            return 1;
        }
        if (r < 0)
            continue;
        zw[r] = ns[ZW];
        base[r] = ns[BASE];
        ratio[r] = ns[ZW] / ns[BASE];
        foreign[r] = ns[FOREIGN];
        fratio[r] = ns[FOREIGN] / ns[BASE];
        into[r] = ns[INTO];
        spine[r] = ns[SPINE];
        own[r] = ns[ZW] - ns[INTO] - ns[SPINE];
    }
    double mz = bench_median(zw, RUNS), mb = bench_median(base, RUNS), mr = bench_median(ratio, RUNS);
    double mf = bench_median(foreign, RUNS), mfr = bench_median(fratio, RUNS);
    double mi = bench_median(into, RUNS), ms = bench_median(spine, RUNS), mo = bench_median(own, RUNS);
    printf("%-66s %10s %8s\n", "DWORD query on an open key (driver, report mode)", "ns/op", "ratio");
    printf("%-66s %10.1f %8.2f\n", "ZwQueryValueKey, IoOpenDriverRegistryKey handle (no finding)", mz, mr);
    printf("%-66s %10.1f %8.2f\n", "ZwQueryValueKey, absolute handle (REG-FOREIGN-HANDLE)", mf, mfr);
    printf("%-66s %10.1f %8s\n", "regdb_query_value (baseline)", mb, "1.00");
    printf("%-66s %10.1f\n", "  of which: regdb_query_value_into (the API's registry call)", mi);
    printf("%-66s %10.1f\n", "  of which: reg_op_judge + reg_op_end of the same access (spine)", ms);
    printf("%-66s %10.1f\n", "  of which: the Zw/reg_core layer itself (total - regdb - spine)", mo);
    bench_print("emu.zwqueryvaluekey_ns", mz, "ns");
    bench_print("regdb.query_value_ns", mb, "ns");
    bench_print("emu.zwqueryvaluekey.ratio_vs_regdb", mr, "x");
    bench_print("emu.zwqueryvaluekey_foreign_ns", mf, "ns");
    bench_print("emu.zwqueryvaluekey_foreign.ratio_vs_regdb", mfr, "x");
    bench_print("emu.zwqueryvaluekey.regdb_into_ns", mi, "ns");
    bench_print("emu.judge_record_ns", ms, "ns");
    bench_print("emu.zwqueryvaluekey.layer_ns", mo, "ns");
    return (int)(sink & 0);
}
