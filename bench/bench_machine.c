/*
 * bench_machine.c: the two figures of a driver unit test's life.
 *
 * emu.fresh_machine_install_start_us: a fresh embedded machine from the
 * template, staging a small package (INF + driver binary), installing it
 * on a new root device, and DriverEntry / AddDevice / IRP_MN_START_DEVICE
 * of a WDM driver linked into this program (it reads its Parameters and
 * counts starts in its State key, as an isolated driver does).  Median of
 * RUNS; the parts (machine, stage, install, load + start) are timed in the
 * same runs, and the machine's teardown is shown apart (a test pays it
 * too, after its assertions).
 *
 * checker.overhead.ratio: a registry-heavy driver loop (open the State key
 * through IoOpenDriverRegistryKey, create a subkey, set, query and
 * enumerate values, one absolute read of a foreign key that the rules
 * flag, close) timed with auditing and the rules on, and with them off
 * (pnpbox_set_checking), alternating on one machine per run.
 *
 * Prints a table for people, then `bench: NAME VALUE UNIT` lines.
 */
#include <ntddk.h>

#include "bench/bench_util.h"
#include "pnpbox/pnpbox.h"
#include "pnpbox/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUNS 301
#define LOOP_RUNS 15
#define LOOP_ITER 2000

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_machine: %s failed: %s\n", what, why ? why : "?");
    exit(1);
}

/* ---------------------------------------------------------------- the driver */

typedef struct {
    PDEVICE_OBJECT lower;
} EXT;

static ULONG starts;

static NTSTATUS count_start(PDRIVER_OBJECT drv)
{
    HANDLE params, state;
    NTSTATUS st = IoOpenDriverRegistryKey(drv, DriverRegKeyParameters, KEY_READ, 0, &params);
    if (!NT_SUCCESS(st))
        return st;
    st = IoOpenDriverRegistryKey(drv, DriverRegKeyPersistentState, KEY_READ | KEY_WRITE, 0, &state);
    if (!NT_SUCCESS(st)) {
        ZwClose(params);
        return st;
    }
    ULONG count = 0;
    UNICODE_STRING name;
    RtlInitUnicodeString(&name, L"StartCount");
    UCHAR buf[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + sizeof(ULONG)];
    ULONG len;
    st = ZwQueryValueKey(state, &name, KeyValuePartialInformation, buf, sizeof buf, &len);
    if (NT_SUCCESS(st))
        memcpy(&count, ((PKEY_VALUE_PARTIAL_INFORMATION)buf)->Data, sizeof count);
    count++;
    st = ZwSetValueKey(state, &name, 0, REG_DWORD, &count, sizeof count);
    starts = count;
    ZwClose(state);
    ZwClose(params);
    return st;
}

static NTSTATUS Dispatch(PDEVICE_OBJECT dev, PIRP irp)
{
    EXT *x = dev->DeviceExtension;
    PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);
    NTSTATUS st;
    switch (s->MinorFunction) {
    case IRP_MN_START_DEVICE:
        if (IoForwardIrpSynchronously(x->lower, irp) && NT_SUCCESS(irp->IoStatus.Status))
            irp->IoStatus.Status = count_start(dev->DriverObject);
        st = irp->IoStatus.Status;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return st;
    case IRP_MN_REMOVE_DEVICE:
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(irp);
        st = IoCallDriver(x->lower, irp);
        IoDetachDevice(x->lower);
        IoDeleteDevice(dev);
        return st;
    default:
        IoSkipCurrentIrpStackLocation(irp);
        return IoCallDriver(x->lower, irp);
    }
}

static NTSTATUS AddDevice(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo)
{
    PDEVICE_OBJECT fdo;
    NTSTATUS st = IoCreateDevice(drv, sizeof(EXT), NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);
    if (!NT_SUCCESS(st))
        return st;
    EXT *x = fdo->DeviceExtension;
    x->lower = IoAttachDeviceToDeviceStack(fdo, pdo);
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static void Unload(PDRIVER_OBJECT drv) { (void)drv; }

static NTSTATUS BenchEntry(PDRIVER_OBJECT drv, PUNICODE_STRING path)
{
    (void)path;
    drv->DriverExtension->AddDevice = AddDevice;
    drv->MajorFunction[IRP_MJ_PNP] = Dispatch;
    drv->DriverUnload = Unload;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- the package */

static const char inf_text[] = "[Version]\r\n"
                               "Signature=\"$WINDOWS NT$\"\r\n"
                               "Class=System\r\n"
                               "ClassGuid={4d36e97d-e325-11ce-bfc1-08002be10318}\r\n"
                               "Provider=%Mfg%\r\n"
                               "DriverVer=01/02/2026,1.0.0.0\r\n"
                               "PnpLockdown=1\r\n"
                               "[DestinationDirs]\r\n"
                               "DefaultDestDir=13\r\n"
                               "[SourceDisksNames]\r\n"
                               "1=%Disk%\r\n"
                               "[SourceDisksFiles]\r\n"
                               "benchmach.sys=1\r\n"
                               "[Manufacturer]\r\n"
                               "%Mfg%=Models,NTamd64\r\n"
                               "[Models.NTamd64]\r\n"
                               "%Dev%=Inst,Root\\BenchMach\r\n"
                               "[Inst.NT]\r\n"
                               "CopyFiles=Files\r\n"
                               "[Files]\r\n"
                               "benchmach.sys\r\n"
                               "[Inst.NT.Services]\r\n"
                               "AddService=benchmach,0x00000002,Svc\r\n"
                               "[Svc]\r\n"
                               "ServiceType=1\r\n"
                               "StartType=3\r\n"
                               "ErrorControl=1\r\n"
                               "ServiceBinary=%13%\\benchmach.sys\r\n"
                               "AddReg=Params\r\n"
                               "[Params]\r\n"
                               "HKR,Parameters,Level,0x00010001,3\r\n"
                               "[Strings]\r\n"
                               "Mfg=\"Contoso\"\r\n"
                               "Dev=\"Bench device\"\r\n"
                               "Disk=\"Bench disk\"\r\n";

static char pkgdir[] = "/tmp/pnpbox-bench-machine-XXXXXX";
static char inf_path[sizeof pkgdir + 32];

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n)
        die("writing the package", path);
    fclose(f);
}

static void make_package(void)
{
    if (!mkdtemp(pkgdir))
        die("mkdtemp", pkgdir);
    snprintf(inf_path, sizeof inf_path, "%s/benchmach.inf", pkgdir);
    write_file(inf_path, inf_text, sizeof inf_text - 1);
    char sys[sizeof pkgdir + 32];
    snprintf(sys, sizeof sys, "%s/benchmach.sys", pkgdir);
    static unsigned char image[16384];
    memset(image, 0x5a, sizeof image);
    write_file(sys, image, sizeof image);
}

static void remove_package(void)
{
    char p[sizeof pkgdir + 32];
    snprintf(p, sizeof p, "%s/benchmach.inf", pkgdir);
    unlink(p);
    snprintf(p, sizeof p, "%s/benchmach.sys", pkgdir);
    unlink(p);
    rmdir(pkgdir);
}

/* ---------------------------------------------------------------- fresh machine to started device */

typedef struct {
    double machine, stage, install, start, total, teardown;
} life_times;

static life_times one_life(void)
{
    life_times t;
    double t0 = bench_now_ns();
    pnpbox_machine *m = NULL;
    if (pnpbox_machine_new(NULL, &m) < 0)
        die("pnpbox_machine_new", pnpbox_errmsg(NULL));
    double t1 = bench_now_ns();
    char *oem = NULL, *inst = NULL;
    if (pnpbox_driver_add(m, inf_path, &oem) < 0)
        die("pnpbox_driver_add", pnpbox_errmsg(m));
    double t2 = bench_now_ns();
    if (pnpbox_device_add(m, "Root\\BenchMach", NULL, &inst) < 0)
        die("pnpbox_device_add", pnpbox_errmsg(m));
    double t3 = bench_now_ns();
    int32_t st = -1;
    if (pnpbox_driver_register(m, "benchmach", (pnpbox_driver_entry_fn)(void (*)(void))BenchEntry) < 0 ||
        pnpbox_driver_load(m, "benchmach", &st) < 0 || st != 0)
        die("loading the driver", pnpbox_errmsg(m));
    starts = 0;
    if (pnpbox_device_start(m, inst, &st) < 0 || st != 0 || starts != 1)
        die("starting the device", pnpbox_errmsg(m));
    double t4 = bench_now_ns();
    free(oem);
    free(inst);
    pnpbox_machine_free(m);
    double t5 = bench_now_ns();
    t.machine = (t1 - t0) / 1e3;
    t.stage = (t2 - t1) / 1e3;
    t.install = (t3 - t2) / 1e3;
    t.start = (t4 - t3) / 1e3;
    t.total = (t4 - t0) / 1e3;
    t.teardown = (t5 - t4) / 1e3;
    return t;
}

/* ---------------------------------------------------------------- the registry-heavy loop */

static PDRIVER_OBJECT loop_driver;

static NTSTATUS LoopEntry(PDRIVER_OBJECT drv, PUNICODE_STRING path)
{
    (void)path;
    loop_driver = drv;
    drv->DriverUnload = Unload;
    return STATUS_SUCCESS;
}

static void check(NTSTATUS st, const char *what)
{
    if (!NT_SUCCESS(st)) {
        char why[32];
        snprintf(why, sizeof why, "0x%08lx", (unsigned long)st);
        die(what, why);
    }
}

/* One round of what a registry-heavy driver does, run as the driver. */
static void registry_round(ULONG i)
{
    HANDLE state, sub, foreign;
    check(IoOpenDriverRegistryKey(loop_driver, DriverRegKeyPersistentState, KEY_ALL_ACCESS, 0, &state),
          "IoOpenDriverRegistryKey");
    UNICODE_STRING n;
    RtlInitUnicodeString(&n, L"Counters");
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, state, NULL);
    check(ZwCreateKey(&sub, KEY_ALL_ACCESS, &oa, 0, NULL, 0, NULL), "ZwCreateKey");
    static const WCHAR *names[] = {L"Opens", L"Reads", L"Writes", L"Errors"};
    UCHAR buf[256];
    ULONG len;
    for (int k = 0; k < 4; k++) {
        UNICODE_STRING v;
        RtlInitUnicodeString(&v, names[k]);
        ULONG val = i + (ULONG)k;
        check(ZwSetValueKey(sub, &v, 0, REG_DWORD, &val, sizeof val), "ZwSetValueKey");
        check(ZwQueryValueKey(sub, &v, KeyValuePartialInformation, buf, sizeof buf, &len), "ZwQueryValueKey");
    }
    for (ULONG k = 0; k < 4; k++)
        check(ZwEnumerateValueKey(sub, k, KeyValueBasicInformation, buf, sizeof buf, &len), "ZwEnumerateValueKey");
    ZwClose(sub);
    ZwClose(state);
    /* a flagged access: an absolute read of the system's Session Manager */
    RtlInitUnicodeString(&n, L"\\Registry\\Machine\\System\\CurrentControlSet\\Control\\Session Manager");
    InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    check(ZwOpenKey(&foreign, KEY_READ, &oa), "ZwOpenKey");
    ZwClose(foreign);
}

static double time_loop(pnpbox_machine *m, int on)
{
    pnpbox_set_checking(m, on);
    pnpbox_component *drv = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "benchloop");
    pnpbox_component *prev = pnpbox_enter(drv);
    double t0 = bench_now_ns();
    for (ULONG i = 0; i < LOOP_ITER; i++)
        registry_round(i);
    double t = (bench_now_ns() - t0) / LOOP_ITER;
    pnpbox_enter(prev);
    pnpbox_set_checking(m, 1);
    return t;
}

/* Services\benchloop as an INF's AddService leaves it, written as the harness. */
static void make_service(void)
{
    UNICODE_STRING n;
    RtlInitUnicodeString(&n, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\benchloop");
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    HANDLE k;
    check(ZwCreateKey(&k, KEY_ALL_ACCESS, &oa, 0, NULL, 0, NULL), "creating the service key");
    static const WCHAR *names[] = {L"Type", L"Start", L"ErrorControl"};
    ULONG vals[] = {1, 3, 1};
    for (int i = 0; i < 3; i++) {
        UNICODE_STRING v;
        RtlInitUnicodeString(&v, names[i]);
        check(ZwSetValueKey(k, &v, 0, REG_DWORD, &vals[i], sizeof vals[i]), "writing the service key");
    }
    ZwClose(k);
}

static pnpbox_machine *loop_machine(void)
{
    pnpbox_machine *m = NULL;
    if (pnpbox_machine_new(NULL, &m) < 0)
        die("pnpbox_machine_new", pnpbox_errmsg(NULL));
    pnpbox_enter(NULL);
    make_service();
    if (pnpbox_devnode_create(m, "ROOT\\BENCHLOOP\\0000", "Root\\BenchLoop", "benchloop", NULL) < 0)
        die("pnpbox_devnode_create", pnpbox_errmsg(m));
    int32_t st = -1;
    if (pnpbox_driver_register(m, "benchloop", (pnpbox_driver_entry_fn)(void (*)(void))LoopEntry) < 0 ||
        pnpbox_driver_load(m, "benchloop", &st) < 0 || st != 0)
        die("loading the loop driver", pnpbox_errmsg(m));
    return m;
}

int main(void)
{
    make_package();
    static double machine[RUNS], stage[RUNS], install[RUNS], start[RUNS], total[RUNS], teardown[RUNS];
    for (int r = -5; r < RUNS; r++) { /* five warm-up runs */
        life_times t = one_life();
        if (r < 0)
            continue;
        machine[r] = t.machine;
        stage[r] = t.stage;
        install[r] = t.install;
        start[r] = t.start;
        total[r] = t.total;
        teardown[r] = t.teardown;
    }
    remove_package();

    double on[LOOP_RUNS], off[LOOP_RUNS], ratio[LOOP_RUNS];
    for (int r = -1; r < LOOP_RUNS; r++) {
        /* a fresh machine per run, so one run's audit log does not slow the next;
         * the order alternates so neither side always runs on a warmer cache */
        pnpbox_machine *m = loop_machine();
        double a, b;
        if (r % 2) {
            a = time_loop(m, 1);
            b = time_loop(m, 0);
        } else {
            b = time_loop(m, 0);
            a = time_loop(m, 1);
        }
        pnpbox_machine_free(m);
        if (r < 0)
            continue;
        on[r] = a;
        off[r] = b;
        ratio[r] = a / b;
    }

    printf("fresh machine -> started device (median of %d)\n", RUNS);
    printf("  machine from the template  %8.1f us\n", bench_median(machine, RUNS));
    printf("  stage the package          %8.1f us\n", bench_median(stage, RUNS));
    printf("  install the device         %8.1f us\n", bench_median(install, RUNS));
    printf("  DriverEntry+AddDevice+START%8.1f us\n", bench_median(start, RUNS));
    printf("  total                      %8.1f us   (target <= 1000)\n", bench_median(total, RUNS));
    printf("  teardown (not in total)    %8.1f us\n", bench_median(teardown, RUNS));
    printf("registry-heavy driver loop, %d rounds of 15 registry calls (median of %d)\n", LOOP_ITER, LOOP_RUNS);
    printf("  checking on                %8.2f us/round\n", bench_median(on, LOOP_RUNS) / 1e3);
    printf("  checking off               %8.2f us/round\n", bench_median(off, LOOP_RUNS) / 1e3);
    bench_print("emu.fresh_machine_install_start_us", bench_median(total, RUNS), "us");
    bench_print("emu.fresh_machine_teardown_us", bench_median(teardown, RUNS), "us");
    bench_print("checker.overhead.ratio", bench_median(ratio, LOOP_RUNS), "x");
    bench_print("checker.round_on_us", bench_median(on, LOOP_RUNS) / 1e3, "us");
    bench_print("checker.round_off_us", bench_median(off, LOOP_RUNS) / 1e3, "us");
    return 0;
}
