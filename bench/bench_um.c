/*
 * bench_um.c: what the user-mode registry layer costs on a service's hot
 * path.  RegQueryValueExW of a DWORD through an open HKEY, called as a
 * Win32 service component with auditing and the rules on (report mode:
 * every call is judged and recorded), is timed against the bare
 * regdb_query_value of the same value on the same key.  The HKEY is the one
 * a well-behaved service holds
 * (GetServiceRegistryStateKey(ServiceRegistryStateParameters): approved
 * provenance, no finding); the same query through a key opened by absolute
 * path (RegOpenKeyExW(HKEY_LOCAL_MACHINE, "SYSTEM\\CurrentControlSet\\...")),
 * whose every use is a finding, is timed too.
 *
 * The breakdown adds up to the call: the registry part is the regdb call
 * RegQueryValueExW really makes (regdb_query_value_fit, into the caller's
 * DWORD), the spine part is the judge and the record of the same access
 * exactly as the API does them (reg_op_judge + reg_op_end on the resolved
 * handle, under the machine lock: same access, same per-handle memo,
 * folding into the same audit event), and the layer is what is left
 * (argument checks, the handle look-up, the lock, the copy out).
 *
 * All pieces run on the same machine in short blocks whose order rotates
 * (bench_interleave); each run starts from a fresh machine so the audit log
 * of one run does not slow the next.  Prints a table and
 * `bench: NAME VALUE UNIT` lines (medians of RUNS runs); the figure the
 * issue asks for is `bench: um.regqueryvalueex.ratio_vs_regdb`.
 */
#include <windows.h>
#include <ntstatus.h>

#include "bench/bench_util.h"
#include "emu/emu.h"
#include "emu/reg_core.h"
#include "pnpbox/pnpbox.h"

#include <string.h>

#define RUNS 15
#define BLOCKS 20 /* per run: BLOCKS x BLOCK_ITER calls of each piece */
#define BLOCK_ITER 1000

static volatile DWORD sink;

static const WCHAR setting[] = L"Setting";

static void die(const char *what, long st)
{
    fprintf(stderr, "bench_um: %s failed: %ld (0x%08lx)\n", what, st, (unsigned long)st);
    exit(1);
}

static DWORD WINAPI handler(DWORD ctl, DWORD type, LPVOID data, LPVOID ctx)
{
    (void)ctl;
    (void)type;
    (void)data;
    (void)ctx;
    return NO_ERROR;
}

typedef struct fixture {
    pnpbox_machine *m;
    regdb_key key;
    HKEY approved, absolute;
} fixture;

/* A fresh machine (embedded, or the machine directory dir) with the service benchsvc
 * (Parameters\Setting = 7), running as it, and its two HKEYs. */
static void setup_in(fixture *f, const char *dir)
{
    pnpbox_machine_opts o = {.dir = dir};
    if (pnpbox_machine_new(dir ? &o : NULL, &f->m) < 0) {
        fprintf(stderr, "bench_um: cannot make a machine: %s\n", pnpbox_errmsg(NULL));
        exit(1);
    }
    pnpbox_enter(NULL);
    regdb_key svc;
    if (emu_ccs_create(f->m, "Services\\benchsvc", 0, &svc) < 0 ||
        regdb_set_dword(f->m->reg, svc, (const uint16_t *)L"Type", SERVICE_WIN32_OWN_PROCESS) < 0 ||
        emu_ccs_create(f->m, "Services\\benchsvc\\Parameters", 0, &f->key) < 0 ||
        regdb_set_dword(f->m->reg, f->key, (const uint16_t *)setting, 7) < 0)
        die("writing the service key", -1);
    /* What the service does at start: register (it runs as benchsvc from here on), then take its key. */
    SERVICE_STATUS_HANDLE h = RegisterServiceCtrlHandlerExW(L"benchsvc", handler, NULL);
    if (!h)
        die("RegisterServiceCtrlHandlerExW", (long)GetLastError());
    LSTATUS rc = GetServiceRegistryStateKey(h, ServiceRegistryStateParameters, KEY_READ, &f->approved);
    if (rc != ERROR_SUCCESS)
        die("GetServiceRegistryStateKey", rc);
    rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Services\\benchsvc\\Parameters", 0,
                       KEY_READ, &f->absolute);
    if (rc != ERROR_SUCCESS)
        die("RegOpenKeyExW", rc);
}

static void setup(fixture *f) { setup_in(f, NULL); }

static void teardown(fixture *f)
{
    RegCloseKey(f->approved);
    RegCloseKey(f->absolute);
    pnpbox_enter(NULL);
    pnpbox_machine_free(f->m);
}

static double time_reg(HKEY k, int iters)
{
    double t0 = bench_now_ns();
    for (int i = 0; i < iters; i++) {
        DWORD v = 0, len = sizeof v, type;
        LSTATUS rc = RegQueryValueExW(k, setting, NULL, &type, (BYTE *)&v, &len);
        if (rc != ERROR_SUCCESS)
            die("RegQueryValueExW", rc);
        sink += v;
    }
    return bench_now_ns() - t0;
}

static double time_reg_approved(void *ctx, int iters) { return time_reg(((fixture *)ctx)->approved, iters); }
static double time_reg_absolute(void *ctx, int iters) { return time_reg(((fixture *)ctx)->absolute, iters); }

/* The baseline: regdb's lookup and the copy of the data out, nothing else. */
static double time_regdb(void *ctx, int iters)
{
    fixture *f = ctx;
    regdb *db = f->m->reg;
    const uint16_t *name = (const uint16_t *)setting;
    size_t nl = sizeof setting / 2 - 1;
    DWORD out;
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

/* For the breakdown: the regdb call RegQueryValueExW makes (straight into the caller's DWORD). */
static double time_regdb_into(void *ctx, int iters)
{
    fixture *f = ctx;
    regdb *db = f->m->reg;
    const uint16_t *name = (const uint16_t *)setting;
    size_t nl = sizeof setting / 2 - 1;
    double t0 = bench_now_ns();
    for (int i = 0; i < iters; i++) {
        uint32_t type;
        size_t len;
        DWORD v;
        int rc = regdb_query_value_fit(db, f->key, name, nl, &type, &v, sizeof v, &len);
        if (rc < 0 || len != sizeof(DWORD))
            die("regdb_query_value_fit", rc);
        sink += v;
    }
    return bench_now_ns() - t0;
}

/*
 * The spine's share: the judge and the record of the access exactly as
 * RegQueryValueExW makes them (reg_op_judge + reg_op_end, under the machine
 * lock, on the approved HKEY resolved once), with no registry work.
 */
__attribute__((noinline)) static double time_spine(void *ctx, int iters)
{
    fixture *f = ctx;
    reg_ctx c = {f->m, "RegQueryValueExW", __builtin_return_address(0), 1};
    const uint16_t *name = (const uint16_t *)setting;
    size_t nl = sizeof setting / 2 - 1;
    reg_op op;
    emu_lock(f->m);
    emu_status st = reg_op_resolve(&c, &op, f->approved, KEY_QUERY_VALUE);
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
        sink += (DWORD)op.v.n;
    }
    return bench_now_ns() - t0;
}

/*
 * The same query on a machine directory (what `pnpbox run --machine DIR` programs use): a
 * file-backed registry, and an audit table the folded counts are written to in batches
 * (audit.c).  For information; the target is the embedded machine's.
 */
static void machine_dir_figures(void)
{
    enum { DIR_RUNS = 5 };
    char tmpl[] = "/tmp/pnpbox-bench-um-XXXXXX";
    if (!mkdtemp(tmpl))
        die("mkdtemp", -1);
    char dir[sizeof tmpl + 16];
    snprintf(dir, sizeof dir, "%s/m", tmpl);
    double reg[DIR_RUNS], base[DIR_RUNS], ratio[DIR_RUNS];
    bench_fn fns[2] = {time_reg_approved, time_regdb};
    for (int r = -1; r < DIR_RUNS; r++) {
        fixture f;
        setup_in(&f, dir);
        void *ctx[2] = {&f, &f};
        double ns[2];
        bench_interleave(fns, ctx, 2, 10, 200, ns);
        teardown(&f);
        if (r < 0)
            continue;
        reg[r] = ns[0];
        base[r] = ns[1];
        ratio[r] = ns[0] / ns[1];
    }
    bench_rmtree(tmpl);
    double mq = bench_median(reg, DIR_RUNS), mb = bench_median(base, DIR_RUNS);
    printf("%-66s %10.1f %8.2f\n", "RegQueryValueExW, machine directory", mq, bench_median(ratio, DIR_RUNS));
    printf("%-66s %10.1f %8s\n", "regdb_query_value, machine directory (baseline)", mb, "1.00");
    bench_print("um.regqueryvalueex_dir_ns", mq, "ns");
    bench_print("regdb.query_value_dir_ns", mb, "ns");
    bench_print("um.regqueryvalueex_dir.ratio_vs_regdb", bench_median(ratio, DIR_RUNS), "x");
}

int main(void)
{
    enum { REG, BASE, INTO, SPINE, ABS, K };
    double reg[RUNS], base[RUNS], ratio[RUNS], abs_ns[RUNS], aratio[RUNS], into[RUNS], spine[RUNS], own[RUNS];
    bench_fn fns[K] = {time_reg_approved, time_regdb, time_regdb_into, time_spine, time_reg_absolute};
    const char *abs_rules = "";
    static char rules_buf[256];
    for (int r = -1; r < RUNS; r++) { /* run -1 warms up */
        fixture f;
        setup(&f);
        void *ctx[K] = {&f, &f, &f, &f, &f};
        double ns[K];
        size_t from = pnpbox_event_count(f.m);
        bench_interleave(fns, ctx, K, BLOCKS, BLOCK_ITER, ns);
        size_t events = pnpbox_event_count(f.m) - from;
        for (size_t i = from; r < 0 && i < from + events; i++) {
            const pnpbox_event *ev = pnpbox_event_get(f.m, i);
            if (ev->rules && *ev->rules) {
                snprintf(rules_buf, sizeof rules_buf, "%s", ev->rules);
                abs_rules = rules_buf;
            }
        }
        teardown(&f);
        if (events != 2) {
            /* Every repeated access folds into its first event (one per HKEY): anything else is a bug. */
            fprintf(stderr, "bench_um: %zu audit events for 2 repeated accesses\n", events);
            return 1;
        }
        if (r < 0)
            continue;
        reg[r] = ns[REG];
        base[r] = ns[BASE];
        ratio[r] = ns[REG] / ns[BASE];
        abs_ns[r] = ns[ABS];
        aratio[r] = ns[ABS] / ns[BASE];
        into[r] = ns[INTO];
        spine[r] = ns[SPINE];
        own[r] = ns[REG] - ns[INTO] - ns[SPINE];
    }
    double mq = bench_median(reg, RUNS), mb = bench_median(base, RUNS), mr = bench_median(ratio, RUNS);
    double ma = bench_median(abs_ns, RUNS), mar = bench_median(aratio, RUNS);
    double mi = bench_median(into, RUNS), ms = bench_median(spine, RUNS), mo = bench_median(own, RUNS);
    char absname[400];
    snprintf(absname, sizeof absname, "RegQueryValueExW, absolutely opened HKEY (%s)", *abs_rules ? abs_rules : "-");
    printf("%-66s %10s %8s\n", "DWORD query on an open HKEY (Win32 service, report mode)", "ns/op", "ratio");
    printf("%-66s %10.1f %8.2f\n", "RegQueryValueExW, GetServiceRegistryStateKey HKEY (no finding)", mq, mr);
    printf("%-66s %10.1f %8.2f\n", absname, ma, mar);
    printf("%-66s %10.1f %8s\n", "regdb_query_value (baseline)", mb, "1.00");
    printf("%-66s %10.1f\n", "  of which: regdb_query_value_fit (the API's registry call)", mi);
    printf("%-66s %10.1f\n", "  of which: reg_op_judge + reg_op_end of the same access (spine)", ms);
    printf("%-66s %10.1f\n", "  of which: the Reg*/reg_core layer itself (total - regdb - spine)", mo);
    bench_print("um.regqueryvalueex_ns", mq, "ns");
    bench_print("regdb.query_value_ns", mb, "ns");
    bench_print("um.regqueryvalueex.ratio_vs_regdb", mr, "x");
    bench_print("um.regqueryvalueex_absolute_ns", ma, "ns");
    bench_print("um.regqueryvalueex_absolute.ratio_vs_regdb", mar, "x");
    bench_print("um.regqueryvalueex.regdb_into_ns", mi, "ns");
    bench_print("um.judge_record_ns", ms, "ns");
    bench_print("um.regqueryvalueex.layer_ns", mo, "ns");
    machine_dir_figures();
    return (int)(sink & 0);
}
