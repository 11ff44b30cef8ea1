/*
 * bench_wdf.c: what pnpbox's KMDF costs a driver test.
 *
 * wdf.kmdf_lifecycle_us: a KMDF driver linked into this program (a device
 * with PrepareHardware and an interface) loaded, its device added,
 * started, removed and the driver unloaded, on a fresh machine per run
 * (the machine's creation timed apart, as the baseline every test pays).
 *
 * wdf.registry_query_ulong.ratio_vs_zwqueryvaluekey: WdfRegistryQueryULong
 * on the driver's persistent state key against ZwQueryValueKey(Partial) of
 * the same value through the same key's WDM handle, interleaved in the
 * same runs, as the driver's component.
 *
 * Prints a table, then `bench: NAME VALUE UNIT` lines (medians).
 */
#include <ntddk.h>
#include <wdf.h>

#include "bench/bench_util.h"
#include "pnpbox/pnpbox.h"

#include <string.h>

#define LIFE_RUNS 201
#define QUERY_RUNS 21
#define QUERY_ITER 2000

static volatile ULONG sink;

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_wdf: %s failed: %s\n", what, why ? why : "?");
    exit(1);
}

static NTSTATUS Prepare(WDFDEVICE device, WDFCMRESLIST raw, WDFCMRESLIST translated)
{
    (void)device;
    (void)raw;
    (void)translated;
    return STATUS_SUCCESS;
}

static NTSTATUS DeviceAdd(WDFDRIVER driver, PWDFDEVICE_INIT init)
{
    (void)driver;
    WDF_PNPPOWER_EVENT_CALLBACKS cb;
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&cb);
    cb.EvtDevicePrepareHardware = Prepare;
    WdfDeviceInitSetPnpPowerEventCallbacks(init, &cb);
    WDFDEVICE device;
    NTSTATUS st = WdfDeviceCreate(&init, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(st))
        return st;
    static const GUID iface = {0x1b2c3d4e, 0x5f60, 0x4172, {0x83, 0x94, 0xa5, 0xb6, 0xc7, 0xd8, 0xe9, 0xfa}};
    return WdfDeviceCreateDeviceInterface(device, &iface, NULL);
}

static WDFDRIVER the_driver;

static NTSTATUS BenchEntry(PDRIVER_OBJECT driver, PUNICODE_STRING path)
{
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, DeviceAdd);
    return WdfDriverCreate(driver, path, WDF_NO_OBJECT_ATTRIBUTES, &config, &the_driver);
}

/* A fresh machine with the service key (as an INF's AddService leaves it) and a root devnode. */
static pnpbox_machine *machine(void)
{
    pnpbox_machine *m = NULL;
    if (pnpbox_machine_new(NULL, &m) < 0)
        die("pnpbox_machine_new", pnpbox_errmsg(NULL));
    pnpbox_enter(NULL);
    UNICODE_STRING n;
    RtlInitUnicodeString(&n, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\benchwdf");
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    HANDLE k;
    if (ZwCreateKey(&k, KEY_ALL_ACCESS, &oa, 0, NULL, 0, NULL) != STATUS_SUCCESS)
        die("creating the service key", NULL);
    ULONG one = 1;
    RtlInitUnicodeString(&n, L"Type");
    ZwSetValueKey(k, &n, 0, REG_DWORD, &one, sizeof one);
    ZwClose(k);
    if (pnpbox_devnode_create(m, "ROOT\\BENCHWDF\\0000", "Root\\BenchWdf", "benchwdf", NULL) < 0 ||
        pnpbox_driver_register(m, "benchwdf", (pnpbox_driver_entry_fn)(void (*)(void))BenchEntry) < 0)
        die("setting up the machine", pnpbox_errmsg(m));
    return m;
}

int main(void)
{
    static double life[LIFE_RUNS], fresh[LIFE_RUNS];
    for (int r = -5; r < LIFE_RUNS; r++) {
        double t0 = bench_now_ns();
        pnpbox_machine *m = machine();
        double t1 = bench_now_ns();
        int32_t st = -1;
        if (pnpbox_driver_load(m, "benchwdf", &st) < 0 || st != 0 ||
            pnpbox_device_start(m, "ROOT\\BENCHWDF\\0000", &st) < 0 || st != 0 ||
            pnpbox_device_remove(m, "ROOT\\BENCHWDF\\0000", 0, &st) < 0 || st != 0 ||
            pnpbox_driver_unload(m, "benchwdf", &st) < 0)
            die("the KMDF lifecycle", pnpbox_errmsg(m));
        double t2 = bench_now_ns();
        pnpbox_machine_free(m);
        if (r < 0)
            continue;
        fresh[r] = (t1 - t0) / 1e3;
        life[r] = (t2 - t1) / 1e3;
    }

    pnpbox_machine *m = machine();
    int32_t st = -1;
    if (pnpbox_driver_load(m, "benchwdf", &st) < 0 || st != 0)
        die("loading the driver", pnpbox_errmsg(m));
    pnpbox_enter(pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "benchwdf"));
    WDFKEY key;
    if (WdfDriverOpenPersistentStateRegistryKey(the_driver, KEY_ALL_ACCESS, WDF_NO_OBJECT_ATTRIBUTES, &key) !=
        STATUS_SUCCESS)
        die("WdfDriverOpenPersistentStateRegistryKey", NULL);
    DECLARE_CONST_UNICODE_STRING(name, L"Value");
    if (WdfRegistryAssignULong(key, &name, 7) != STATUS_SUCCESS)
        die("WdfRegistryAssignULong", NULL);
    HANDLE h = WdfRegistryWdmGetHandle(key);
    double wq[QUERY_RUNS], zq[QUERY_RUNS], ratio[QUERY_RUNS];
    for (int r = 0; r < QUERY_RUNS; r++) {
        ULONG v = 0;
        double t0 = bench_now_ns();
        for (int i = 0; i < QUERY_ITER; i++) {
            if (WdfRegistryQueryULong(key, &name, &v) != STATUS_SUCCESS)
                die("WdfRegistryQueryULong", NULL);
            sink += v;
        }
        double t1 = bench_now_ns();
        UCHAR buf[32];
        ULONG len;
        for (int i = 0; i < QUERY_ITER; i++) {
            if (ZwQueryValueKey(h, (PUNICODE_STRING)&name, KeyValuePartialInformation, buf, sizeof buf, &len) !=
                STATUS_SUCCESS)
                die("ZwQueryValueKey", NULL);
            sink += buf[12];
        }
        double t2 = bench_now_ns();
        wq[r] = (t1 - t0) / QUERY_ITER / 1e3;
        zq[r] = (t2 - t1) / QUERY_ITER / 1e3;
        ratio[r] = wq[r] / zq[r];
    }
    WdfRegistryClose(key);
    pnpbox_enter(NULL);
    pnpbox_machine_free(m);

    printf("KMDF (medians)\n");
    printf("  fresh machine + service + devnode   %8.1f us\n", bench_median(fresh, LIFE_RUNS));
    printf("  load + add + start + remove + unload%8.1f us\n", bench_median(life, LIFE_RUNS));
    printf("  WdfRegistryQueryULong               %8.3f us\n", bench_median(wq, QUERY_RUNS));
    printf("  ZwQueryValueKey, same key, same run %8.3f us\n", bench_median(zq, QUERY_RUNS));
    bench_print("wdf.kmdf_lifecycle_us", bench_median(life, LIFE_RUNS), "us");
    bench_print("wdf.registry_query_ulong_us", bench_median(wq, QUERY_RUNS), "us");
    bench_print("wdf.registry_query_ulong.ratio_vs_zwqueryvaluekey", bench_median(ratio, QUERY_RUNS), "x");
    return 0;
}
