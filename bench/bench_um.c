/*
 * bench_um.c: what the user-mode registry layer costs on a service's hot
 * path.  RegQueryValueExW of a DWORD through an open HKEY, called as a
 * Win32 service component with auditing and the rules on (report mode:
 * every call is judged and recorded), is timed against the bare
 * regdb_query_value of the same value on the same key, interleaved in the
 * same run.  The HKEY is the one a well-behaved service holds
 * (GetServiceRegistryStateKey(ServiceRegistryStateParameters): approved
 * provenance, no finding); the same query through a key opened by absolute
 * path (RegOpenKeyExW(HKEY_LOCAL_MACHINE, "SYSTEM\\CurrentControlSet\\...")),
 * whose every use is a finding, is timed too, and so is the spine's part of
 * the call (emu_judge + emu_record of the same access, no registry work),
 * so the layer's own cost (total - regdb - spine) is visible.
 *
 * Each run starts from a fresh machine so the growing audit log of one run
 * does not slow the next.  Prints a table and `bench: NAME VALUE UNIT`
 * lines (medians of RUNS runs); the figure the issue asks for is
 * `bench: um.regqueryvalueex.ratio_vs_regdb`.
 */
#include <windows.h>
#include <ntstatus.h>

#include "bench/bench_util.h"
#include "emu/emu.h"
#include "pnpbox/pnpbox.h"

#include <string.h>

#define RUNS 15
#define ITER 20000

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

/* A fresh machine with the service benchsvc (Parameters\Setting = 7), running as it, and its two HKEYs. */
static void setup(fixture *f)
{
    if (pnpbox_machine_new(NULL, &f->m) < 0) {
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

static void teardown(fixture *f)
{
    RegCloseKey(f->approved);
    RegCloseKey(f->absolute);
    pnpbox_enter(NULL);
    pnpbox_machine_free(f->m);
}

static double time_reg(HKEY k)
{
    double t0 = bench_now_ns();
    for (int i = 0; i < ITER; i++) {
        DWORD v = 0, len = sizeof v, type;
        LSTATUS rc = RegQueryValueExW(k, setting, NULL, &type, (BYTE *)&v, &len);
        if (rc != ERROR_SUCCESS)
            die("RegQueryValueExW", rc);
        sink += v;
    }
    return (bench_now_ns() - t0) / ITER;
}

/* The baseline: regdb's lookup and the copy of the data out, nothing else. */
static double time_regdb(fixture *f)
{
    regdb *db = f->m->reg;
    const uint16_t *name = (const uint16_t *)setting;
    size_t nl = sizeof setting / 2 - 1;
    DWORD out;
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
 * (as reg_op_judge describes it, from the handle's provenance, path and
 * fold memo) with no registry work at all.
 */
__attribute__((noinline)) static double time_spine(fixture *f, HKEY k)
{
    emu_handle *e = emu_handle_get(f->m, k, EMU_H_KEY);
    if (!e)
        die("emu_handle_get", -1);
    emu_access a;
    memset(&a, 0, sizeof a);
    a.api = "RegQueryValueExW";
    a.kind = EMU_ACC_REG;
    a.op = EMU_OP_QUERY;
    a.prov = &e->prov;
    a.key = e->key;
    a.path = e->path;
    a.wvalue = (const uint16_t *)setting;
    a.wvalue_len = sizeof setting / 2 - 1;
    a.has_wvalue = 1;
    a.access = KEY_QUERY_VALUE;
    a.fold = &e->fold;
    a.fold_key = emu_fold_key(&a);
    a.caller = __builtin_return_address(0); /* in main, as RegQueryValueExW's is in the bench binary */
    double t0 = bench_now_ns();
    for (int i = 0; i < ITER; i++) {
        emu_verdict v;
        emu_lock(f->m);
        emu_judge(f->m, &a, &v);
        emu_record(f->m, &a, &v, STATUS_SUCCESS);
        emu_unlock(f->m);
        sink += (DWORD)v.n;
    }
    return (bench_now_ns() - t0) / ITER;
}

int main(void)
{
    double reg[RUNS], base[RUNS], ratio[RUNS], abs_ns[RUNS], aratio[RUNS], spine[RUNS], own[RUNS];
    const char *abs_rules = "";
    static char rules_buf[256];
    for (int r = -1; r < RUNS; r++) { /* run -1 warms up */
        fixture f;
        setup(&f);
        double q = time_reg(f.approved);
        double b = time_regdb(&f);
        teardown(&f);
        setup(&f);
        double sp = time_spine(&f, f.approved);
        teardown(&f);
        setup(&f);
        size_t from = pnpbox_event_count(f.m);
        double aq = time_reg(f.absolute);
        double ab = time_regdb(&f);
        if (r < 0 && pnpbox_event_count(f.m) > from) {
            const pnpbox_event *ev = pnpbox_event_get(f.m, from);
            snprintf(rules_buf, sizeof rules_buf, "%s", ev->rules ? ev->rules : "");
            abs_rules = rules_buf;
        }
        teardown(&f);
        if (r < 0)
            continue;
        reg[r] = q;
        base[r] = b;
        ratio[r] = q / b;
        abs_ns[r] = aq;
        aratio[r] = aq / ab;
        spine[r] = sp;
        own[r] = q - b - sp;
    }
    double mq = bench_median(reg, RUNS), mb = bench_median(base, RUNS), mr = bench_median(ratio, RUNS);
    double ma = bench_median(abs_ns, RUNS), mar = bench_median(aratio, RUNS);
    double ms = bench_median(spine, RUNS), mo = bench_median(own, RUNS);
    char absname[400];
    snprintf(absname, sizeof absname, "RegQueryValueExW, absolutely opened HKEY (%s)", *abs_rules ? abs_rules : "-");
    printf("%-66s %10s %8s\n", "DWORD query on an open HKEY (Win32 service, report mode)", "ns/op", "ratio");
    printf("%-66s %10.1f %8.2f\n", "RegQueryValueExW, GetServiceRegistryStateKey HKEY (no finding)", mq, mr);
    printf("%-66s %10.1f %8.2f\n", absname, ma, mar);
    printf("%-66s %10.1f %8s\n", "regdb_query_value (baseline)", mb, "1.00");
    printf("%-66s %10.1f\n", "  of which: emu_judge + emu_record of the same access (spine)", ms);
    printf("%-66s %10.1f\n", "  of which: the Reg*/reg_core layer itself (total - regdb - spine)", mo);
    bench_print("um.regqueryvalueex_ns", mq, "ns");
    bench_print("regdb.query_value_ns", mb, "ns");
    bench_print("um.regqueryvalueex.ratio_vs_regdb", mr, "x");
    bench_print("um.regqueryvalueex_absolute_ns", ma, "ns");
    bench_print("um.regqueryvalueex_absolute.ratio_vs_regdb", mar, "x");
    bench_print("um.judge_record_ns", ms, "ns");
    bench_print("um.regqueryvalueex.layer_ns", mo, "ns");
    return (int)(sink & 0);
}
