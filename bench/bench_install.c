/*
 * bench_install.c: what a unit test pays for "a fresh machine with a driver
 * installed" (DESIGN.md "A machine": the goal is about 1 ms): a fresh
 * embedded machine, staging a small package (pnpbox_driver_add: INF, one
 * driver binary, a data file) and installing it on a new device
 * (pnpbox_device_add: Enum key, software key, service, interface,
 * Parameters), medians over repeated runs.  The parts are timed in the same
 * runs: the fresh machine alone (the baseline every test pays anyway), the
 * staging, and the device install.  The table names where the machines'
 * volumes live: a volume is a host directory tree, so the host file
 * system's cost shows in every figure.
 *
 * Prints a table for people, then `bench: NAME VALUE UNIT` lines.
 */
#include "bench/bench_util.h"
#include "pnpbox/pnpbox.h"
#include "pnpbox/store.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUNS 201

static const char inf_text[] = "[Version]\r\n"
                               "Signature=\"$Windows NT$\"\r\n"
                               "Class=Sample\r\n"
                               "ClassGuid={78A1C341-4539-11d3-B88D-00C04FAD5171}\r\n"
                               "Provider=%Prov%\r\n"
                               "DriverVer=01/02/2024,1.2.3.4\r\n"
                               "PnpLockdown=1\r\n"
                               "[Manufacturer]\r\n"
                               "%Prov%=Models,NTamd64\r\n"
                               "[Models.NTamd64]\r\n"
                               "%Desc%=Inst,ROOT\\BENCH\r\n"
                               "[Inst.NT]\r\n"
                               "CopyFiles=Drv\r\n"
                               "AddReg=Sw\r\n"
                               "[Inst.NT.HW]\r\n"
                               "AddReg=Hw\r\n"
                               "[Inst.NT.Services]\r\n"
                               "AddService=benchdrv,0x2,Svc\r\n"
                               "[Inst.NT.Interfaces]\r\n"
                               "AddInterface={11111111-2222-3333-4444-555555555555},,If\r\n"
                               "[If]\r\n"
                               "AddReg=IfReg\r\n"
                               "[IfReg]\r\n"
                               "HKR,,FriendlyName,,\"Bench\"\r\n"
                               "[Sw]\r\n"
                               "HKR,,Mode,0x00010001,1\r\n"
                               "[Hw]\r\n"
                               "HKR,,Setting,0x00010001,2\r\n"
                               "[Svc]\r\n"
                               "ServiceType=1\r\n"
                               "StartType=3\r\n"
                               "ErrorControl=1\r\n"
                               "ServiceBinary=%13%\\benchdrv.sys\r\n"
                               "AddReg=SvcReg\r\n"
                               "[SvcReg]\r\n"
                               "HKR,Parameters,Level,0x00010001,5\r\n"
                               "[Drv]\r\n"
                               "benchdrv.sys\r\n"
                               "[DestinationDirs]\r\n"
                               "DefaultDestDir=13\r\n"
                               "[SourceDisksNames]\r\n"
                               "1=%Disk%\r\n"
                               "[SourceDisksFiles]\r\n"
                               "benchdrv.sys=1\r\n"
                               "data.bin=1,data\r\n"
                               "[Strings]\r\n"
                               "Prov=\"Contoso\"\r\n"
                               "Desc=\"Bench device\"\r\n"
                               "Disk=\"Disk\"\r\n";

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n) {
        fprintf(stderr, "bench_install: cannot write '%s': %s\n", path, strerror(errno));
        exit(1);
    }
    fclose(f);
}

/* The package as UTF-16LE with a BOM (what most real INFs are). */
static char *make_package(const char *dir)
{
    size_t n = strlen(inf_text);
    unsigned char *u = malloc(2 * n + 2);
    u[0] = 0xFF;
    u[1] = 0xFE;
    for (size_t i = 0; i < n; i++) {
        u[2 + 2 * i] = (unsigned char)inf_text[i];
        u[3 + 2 * i] = 0;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/bench.inf", dir);
    write_file(path, u, 2 * n + 2);
    free(u);
    char bin[4200];
    snprintf(bin, sizeof bin, "%s/benchdrv.sys", dir);
    static unsigned char sys[16384];
    for (size_t i = 0; i < sizeof sys; i++)
        sys[i] = (unsigned char)(i * 7);
    write_file(bin, sys, sizeof sys);
    snprintf(bin, sizeof bin, "%s/data", dir);
    mkdir(bin, 0755);
    snprintf(bin, sizeof bin, "%s/data/data.bin", dir);
    write_file(bin, "data", 4);
    return strdup(path);
}

static void cleanup(const char *dir)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/data/data.bin", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/data", dir);
    rmdir(p);
    snprintf(p, sizeof p, "%s/benchdrv.sys", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/bench.inf", dir);
    unlink(p);
    rmdir(dir);
}

typedef struct series {
    double total, machine, stage, install;
} series;

/* RUNS fresh machines (volumes under $TMPDIR), each staging and installing; medians. */
static int run_series(const char *inf, series *out)
{
    static double total[RUNS], machine[RUNS], stage[RUNS], install[RUNS];
    for (int i = 0; i < RUNS; i++) {
        pnpbox_machine *m;
        double t0 = bench_now_ns();
        if (pnpbox_machine_new(NULL, &m) < 0) {
            fprintf(stderr, "bench_install: cannot make a machine: %s\n", pnpbox_errmsg(NULL));
            return -1;
        }
        double t1 = bench_now_ns();
        if (pnpbox_driver_add(m, inf, NULL) < 0) {
            fprintf(stderr, "bench_install: %s\n", pnpbox_errmsg(m));
            return -1;
        }
        double t2 = bench_now_ns();
        char *inst = NULL;
        if (pnpbox_device_add(m, "ROOT\\BENCH", NULL, &inst) < 0 || strcmp(inst, "ROOT\\BENCH\\0000")) {
            fprintf(stderr, "bench_install: %s\n", pnpbox_errmsg(m));
            return -1;
        }
        double t3 = bench_now_ns();
        free(inst);
        pnpbox_machine_free(m);
        total[i] = (t3 - t0) / 1e3;
        machine[i] = (t1 - t0) / 1e3;
        stage[i] = (t2 - t1) / 1e3;
        install[i] = (t3 - t2) / 1e3;
    }
    out->total = bench_median(total, RUNS);
    out->machine = bench_median(machine, RUNS);
    out->stage = bench_median(stage, RUNS);
    out->install = bench_median(install, RUNS);
    return 0;
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/pnpbox-bench-install-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench_install: cannot create a temporary directory: %s\n", strerror(errno));
        return 1;
    }
    char *inf = make_package(dir);
    /* Where the machines' volumes live: a volume is a host directory tree, so the
     * host file system's mkdir and unlink costs show in every figure. */
    char voldir[4096] = "?";
    pnpbox_machine *probe;
    if (pnpbox_machine_new(NULL, &probe) == 0) {
        snprintf(voldir, sizeof voldir, "%s", pnpbox_volume_dir(probe));
        char *slash = strrchr(voldir, '/');
        if (slash && slash != voldir)
            *slash = 0;
        pnpbox_machine_free(probe);
    }
    series d;
    if (run_series(inf, &d) < 0)
        return 1;
    printf("fresh machine + stage + install, median of %d runs (volumes under %s)\n", RUNS, voldir);
    printf("  %-30s %12.1f us\n", "fresh embedded machine", d.machine);
    printf("  %-30s %12.1f us\n", "stage (pnpbox_driver_add)", d.stage);
    printf("  %-30s %12.1f us\n", "install (pnpbox_device_add)", d.install);
    printf("  %-30s %12.1f us\n", "total", d.total);
    bench_print("install.fresh_stage_install_us", d.total, "us");
    bench_print("install.fresh_machine_us", d.machine, "us");
    bench_print("install.stage_us", d.stage, "us");
    bench_print("install.device_add_us", d.install, "us");
    free(inf);
    cleanup(dir);
    return 0;
}
