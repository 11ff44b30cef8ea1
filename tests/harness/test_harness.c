/*
 * test_harness.c: the Criterion harness (pnpbox/criterion.h) tested with
 * itself: a fresh machine per test, the step-by-step lifecycle with a
 * driver linked into the test and with a package staged from an INF,
 * isolation assertions, modes, baselines, faults, registry and file
 * assertions; and, by running this binary again as a child, that a failing
 * assertion prints the violations with their explanation and fix, and that
 * TEST_TOTAL_SHARDS / TEST_SHARD_INDEX split the tests between shards.
 */
#include <ntddk.h>

#include "pnpbox/criterion.h"
#include "tests/support/tsupport.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---------------------------------------------------------------- the driver under test */

/* What the driver does at start, chosen per test. */
static enum { ACT_NONE, ACT_ABSOLUTE, ACT_ISOLATED, ACT_FILE } action;
static NTSTATUS seen_status;
static int seen_start;

typedef struct {
    PDEVICE_OBJECT lower, pdo;
} EXT;

static NTSTATUS write_count(HANDLE key)
{
    UNICODE_STRING v;
    RtlInitUnicodeString(&v, L"StartCount");
    ULONG one = 1;
    return ZwSetValueKey(key, &v, 0, REG_DWORD, &one, sizeof one);
}

static void do_action(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo)
{
    HANDLE key = NULL;
    switch (action) {
    case ACT_NONE:
        break;
    case ACT_ABSOLUTE: {
        UNICODE_STRING n;
        RtlInitUnicodeString(&n, L"\\Registry\\Machine\\Software\\ContosoHarness");
        OBJECT_ATTRIBUTES oa;
        InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
        seen_status = ZwCreateKey(&key, KEY_WRITE, &oa, 0, NULL, 0, NULL);
        if (NT_SUCCESS(seen_status)) {
            write_count(key);
            ZwClose(key);
        }
        break;
    }
    case ACT_ISOLATED:
        seen_status = IoOpenDriverRegistryKey(drv, DriverRegKeyPersistentState, KEY_WRITE, 0, &key);
        if (NT_SUCCESS(seen_status)) {
            seen_status = write_count(key);
            ZwClose(key);
        }
        (void)pdo;
        break;
    case ACT_FILE: {
        HANDLE dir, f;
        seen_status = IoGetDriverDirectory(drv, DriverDirectoryData, 0, &dir);
        if (!NT_SUCCESS(seen_status))
            break;
        UNICODE_STRING n;
        RtlInitUnicodeString(&n, L"state.bin");
        OBJECT_ATTRIBUTES oa;
        InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, dir, NULL);
        IO_STATUS_BLOCK iosb;
        seen_status = ZwCreateFile(&f, GENERIC_WRITE | SYNCHRONIZE, &oa, &iosb, NULL, FILE_ATTRIBUTE_NORMAL, 0,
                                   FILE_OVERWRITE_IF, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
        if (NT_SUCCESS(seen_status)) {
            char data[] = "harness";
            seen_status = ZwWriteFile(f, NULL, NULL, NULL, &iosb, data, 7, NULL, NULL);
            ZwClose(f);
        }
        ZwClose(dir);
        break;
    }
    }
}

static NTSTATUS Dispatch(PDEVICE_OBJECT dev, PIRP irp)
{
    EXT *x = dev->DeviceExtension;
    PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);
    NTSTATUS st;
    switch (s->MinorFunction) {
    case IRP_MN_START_DEVICE:
        if (!IoForwardIrpSynchronously(x->lower, irp) || !NT_SUCCESS(irp->IoStatus.Status)) {
            st = irp->IoStatus.Status;
            IoCompleteRequest(irp, IO_NO_INCREMENT);
            return st;
        }
        seen_start++;
        do_action(dev->DriverObject, x->pdo);
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
    case IRP_MN_REMOVE_DEVICE:
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(irp);
        st = IoCallDriver(x->lower, irp);
        IoDetachDevice(x->lower);
        IoDeleteDevice(dev);
        return st;
    default:
        irp->IoStatus.Status = STATUS_SUCCESS;
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
    x->pdo = pdo;
    x->lower = IoAttachDeviceToDeviceStack(fdo, pdo);
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static void Unload(PDRIVER_OBJECT drv) { (void)drv; }

static NTSTATUS HarnessEntry(PDRIVER_OBJECT drv, PUNICODE_STRING path)
{
    (void)path;
    drv->DriverExtension->AddDevice = AddDevice;
    drv->MajorFunction[IRP_MJ_PNP] = Dispatch;
    drv->DriverUnload = Unload;
    return STATUS_SUCCESS;
}

#define DEV "ROOT\\HARNESS\\0000"
#define CCS "\\Registry\\Machine\\System\\CurrentControlSet"

/* A devnode served by the driver linked into this test, started with the chosen action. */
static void run(int what)
{
    action = what;
    seen_status = (NTSTATUS)0xdeadbeef;
    seen_start = 0;
    pnpbox_t_service("harness");
    pnpbox_t_devnode(DEV, "Root\\Harness", "harness");
    pnpbox_t_driver("harness", HarnessEntry);
    cr_assert_eq(pnpbox_t_load("harness"), STATUS_SUCCESS);
    cr_assert_eq(pnpbox_t_start(DEV), STATUS_SUCCESS);
    cr_assert_eq(seen_start, 1);
}

/* ---------------------------------------------------------------- the fixture */

PNPBOX_TEST_SUITE(harness);

Test(harness, every_test_gets_a_fresh_machine_part1)
{
    cr_assert_not_null(pnpbox_t_machine);
    pnpbox_assert_no_reg_key(CCS "\\Services\\harness");
    run(ACT_ISOLATED);
    pnpbox_assert_reg_dword(CCS "\\Services\\harness\\State", "StartCount", 1);
}

Test(harness, every_test_gets_a_fresh_machine_part2)
{
    /* whichever of the pair runs second must not see the other's service */
    pnpbox_assert_no_reg_key(CCS "\\Services\\harness");
    run(ACT_NONE);
    cr_assert_eq(pnpbox_t_count(NULL, NULL), 0);
}

Test(harness, isolated_driver_has_no_violations)
{
    run(ACT_ISOLATED);
    cr_assert_eq(seen_status, STATUS_SUCCESS);
    pnpbox_assert_no_violations();
    cr_assert_eq(pnpbox_t_remove(DEV), STATUS_SUCCESS);
    cr_assert_eq(pnpbox_t_unload("harness"), STATUS_SUCCESS);
    pnpbox_assert_no_violations();
}

Test(harness, absolute_write_is_reported_with_its_path)
{
    run(ACT_ABSOLUTE);
    cr_assert_eq(seen_status, STATUS_SUCCESS, "report mode allows the access: 0x%08x", (unsigned)seen_status);
    pnpbox_assert_rule("REG-ABSOLUTE-PATH", "ContosoHarness");
    pnpbox_assert_no_rule("FILE-ABSOLUTE-PATH");
    cr_assert_eq(pnpbox_t_count("REG-ABSOLUTE-PATH", "NoSuchPath"), 0);
    cr_assert_geq(pnpbox_t_count(NULL, NULL), 1);
    /* the report behind the assertions names the component and the rule */
    pnpbox_report *r = pnpbox_t_report();
    cr_assert_geq(pnpbox_report_violation_count(r), 1);
    const pnpbox_finding *f = pnpbox_report_violation(r, 0);
    cr_assert_not_null(f->rule);
    cr_assert_not_null(f->path);
    /* the value really was written, in report mode */
    pnpbox_assert_reg_dword("\\Registry\\Machine\\Software\\ContosoHarness", "StartCount", 1);
}

Test(harness, enforce_mode_denies_like_windows)
{
    pnpbox_t_mode(PNPBOX_MODE_ENFORCE);
    run(ACT_ABSOLUTE);
    cr_assert_eq(seen_status, STATUS_ACCESS_DENIED, "got 0x%08x", (unsigned)seen_status);
    pnpbox_assert_no_reg_key("\\Registry\\Machine\\Software\\ContosoHarness");
    pnpbox_assert_rule("REG-ABSOLUTE-PATH", NULL);
}

Test(harness, baseline_suppresses_a_known_finding)
{
    pnpbox_t_baseline("REG-ABSOLUTE-PATH component=harness path=*Contoso* legacy key, removed in 2.0\n"
                      "REG-FOREIGN-HANDLE component=harness path=*Contoso* its values, removed with it\n");
    run(ACT_ABSOLUTE);
    pnpbox_assert_no_violations();
    pnpbox_report *r = pnpbox_t_report();
    cr_assert_eq(pnpbox_report_violation_count(r), 0);
}

Test(harness, injected_fault_reaches_the_driver)
{
    pnpbox_t_fail("IoOpenDriverRegistryKey:1:STATUS_INSUFFICIENT_RESOURCES");
    run(ACT_ISOLATED);
    cr_assert_eq(seen_status, STATUS_INSUFFICIENT_RESOURCES, "got 0x%08x", (unsigned)seen_status);
    pnpbox_assert_no_reg_key(CCS "\\Services\\harness\\State");
}

Test(harness, file_assertion_reads_the_volume)
{
    run(ACT_FILE);
    cr_assert_eq(seen_status, STATUS_SUCCESS, "got 0x%08x", (unsigned)seen_status);
    pnpbox_assert_file("C:\\Windows\\ServiceState\\harness\\Data\\state.bin", "harness", 7);
    pnpbox_assert_no_violations();
}

Test(harness, identity_switches_the_component)
{
    pnpbox_t_as_app("contoso-panel.exe");
    cr_assert_str_eq(pnpbox_component_name(pnpbox_current_component()), "contoso-panel.exe");
    pnpbox_t_as_service("ContosoSvc");
    cr_assert_str_eq(pnpbox_component_name(pnpbox_current_component()), "ContosoSvc");
    pnpbox_t_as_driver("harness");
    cr_assert_str_eq(pnpbox_component_name(pnpbox_current_component()), "harness");
    pnpbox_t_as_harness();
    cr_assert_eq(pnpbox_component_kind_of(pnpbox_current_component()), PNPBOX_COMP_HARNESS);
}

/* ---------------------------------------------------------------- a package from an INF */

static const char pkg_inf[] = "[Version]\r\n"
                              "Signature=\"$WINDOWS NT$\"\r\n"
                              "Class=System\r\n"
                              "ClassGuid={4d36e97d-e325-11ce-bfc1-08002be10318}\r\n"
                              "Provider=%Mfg%\r\n"
                              "DriverVer=01/02/2026,1.0.0.0\r\n"
                              "PnpLockdown=1\r\n"
                              "CatalogFile=harness.cat\r\n"
                              "[DestinationDirs]\r\n"
                              "DefaultDestDir=13\r\n"
                              "[SourceDisksNames]\r\n"
                              "1=%Disk%\r\n"
                              "[SourceDisksFiles]\r\n"
                              "harness.sys=1\r\n"
                              "[Manufacturer]\r\n"
                              "%Mfg%=Models,NTamd64\r\n"
                              "[Models.NTamd64]\r\n"
                              "%Dev%=Harness_Install,Root\\Harness\r\n"
                              "[Harness_Install.NT]\r\n"
                              "CopyFiles=Harness_Files\r\n"
                              "[Harness_Files]\r\n"
                              "harness.sys\r\n"
                              "[Harness_Install.NT.Services]\r\n"
                              "AddService=harness,0x00000002,Harness_Service\r\n"
                              "[Harness_Service]\r\n"
                              "ServiceType=1\r\n"
                              "StartType=3\r\n"
                              "ErrorControl=1\r\n"
                              "ServiceBinary=%13%\\harness.sys\r\n"
                              "AddReg=Harness_Params\r\n"
                              "[Harness_Params]\r\n"
                              "HKR,Parameters,Greeting,0x00000000,\"hello\"\r\n"
                              "[Strings]\r\n"
                              "Mfg=\"Contoso\"\r\n"
                              "Dev=\"Harness Device\"\r\n"
                              "Disk=\"Harness Disk\"\r\n";

static char *write_pkg(void)
{
    char *dir = t_mkdtemp("harness-pkg");
    cr_assert_not_null(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/harness.inf", dir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fwrite(pkg_inf, 1, sizeof pkg_inf - 1, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/harness.sys", dir);
    f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs("not really a PE image", f);
    fclose(f);
    return dir;
}

Test(harness, stage_install_start_from_a_package)
{
    char *dir = write_pkg();
    char inf[4096];
    snprintf(inf, sizeof inf, "%s/harness.inf", dir);
    const char *oem = pnpbox_t_stage(inf);
    cr_assert(!strncmp(oem, "oem", 3) && strstr(oem, ".inf"), "published name '%s'", oem);
    const char *dev = pnpbox_t_install("Root\\Harness");
    cr_assert_not_null(dev);
    pnpbox_assert_reg_sz(CCS "\\Services\\harness\\Parameters", "Greeting", "hello");
    pnpbox_assert_reg_dword(CCS "\\Services\\harness", "Start", 3);

    action = ACT_ISOLATED;
    seen_start = 0;
    pnpbox_t_driver("harness", HarnessEntry);
    cr_assert_eq(pnpbox_t_load("harness"), STATUS_SUCCESS);
    cr_assert_eq(pnpbox_t_start(dev), STATUS_SUCCESS);
    cr_assert_eq(seen_start, 1);
    cr_assert_eq(seen_status, STATUS_SUCCESS);
    pnpbox_assert_reg_dword(CCS "\\Services\\harness\\State", "StartCount", 1);
    pnpbox_assert_no_violations();
    t_rmtree(dir);
    free(dir);
}

/* ---------------------------------------------------------------- the binary, run again */

/*
 * Suites that only run in a child started by the tests below: one whose
 * assertion fails (to see what a failure prints) and four trivial tests to
 * shard.
 */
static int in_child(void)
{
    const char *r = t_child_role();
    return r && !strcmp(r, "harness-child");
}

static void child_init(void)
{
    if (!in_child())
        cr_skip_test("runs only in the child of harness/*_child tests");
    pnpbox_fixture_init();
}

TestSuite(childfail, .init = child_init, .fini = pnpbox_fixture_fini);
TestSuite(childshard, .init = child_init, .fini = pnpbox_fixture_fini);

Test(childfail, absolute_write_fails_the_assertion)
{
    run(ACT_ABSOLUTE);
    pnpbox_assert_no_violations();
}

Test(childshard, a) { cr_assert_not_null(pnpbox_t_machine); }
Test(childshard, b) { cr_assert_not_null(pnpbox_t_machine); }
Test(childshard, c) { cr_assert_not_null(pnpbox_t_machine); }
Test(childshard, d) { cr_assert_not_null(pnpbox_t_machine); }

/* Runs this binary with args and extra environment; returns its exit status and output. */
static int run_child(const char *const *args, const char *const *envs, char **out)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    cr_assert_gt(n, 0);
    exe[n] = 0;
    char *dir = t_mkdtemp("harness-child");
    char outp[4096];
    snprintf(outp, sizeof outp, "%s/out.txt", dir);

    const char *argv[16] = {exe};
    size_t na = 1;
    for (; args && *args && na < 15; args++)
        argv[na++] = *args;
    argv[na] = NULL;

    size_t ne = 0;
    while (environ[ne])
        ne++;
    const char **env = calloc(ne + 16, sizeof *env);
    size_t o = 0;
    for (size_t i = 0; i < ne; i++)
        if (strncmp(environ[i], "PNPBOX_TEST_CHILD=", 18) && strncmp(environ[i], "TEST_", 5) &&
            strncmp(environ[i], "CRITERION_", 10) && strncmp(environ[i], "BXFI_", 5))
            env[o++] = environ[i];
    env[o++] = "PNPBOX_TEST_CHILD=harness-child";
    for (; envs && *envs; envs++)
        env[o++] = *envs;
    env[o] = NULL;

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, (char *const *)argv, (char *const *)env);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    cr_assert_eq(rc, 0, "cannot run the test binary again");
    int st = t_child_wait(pid);
    size_t len = 0;
    *out = (char *)t_read_file(outp, &len);
    cr_assert_not_null(*out);
    char *z = realloc(*out, len + 1);
    cr_assert_not_null(z);
    z[len] = 0;
    *out = z;
    t_rmtree(dir);
    free(dir);
    return st;
}

Test(harness, failing_assertion_prints_the_explanation_child, .timeout = 60)
{
    if (in_child())
        cr_skip_test("parent only");
    char *out;
    const char *args[] = {"--filter=childfail/*", "-j1", NULL};
    int st = run_child(args, NULL, &out);
    cr_assert_neq(st, 0, "the failing assertion must fail the run:\n%s", out);
    cr_assert(strstr(out, "expected no isolation violations"), "%s", out);
    cr_assert(strstr(out, "REG-ABSOLUTE-PATH"), "%s", out);
    cr_assert(strstr(out, "ContosoHarness"), "%s", out);
    cr_assert(strstr(out, "fix:") && strstr(out, "IoOpenDriverRegistryKey"), "the fix is shown:\n%s", out);
    cr_assert(strstr(out, "test_harness.c"), "the assertion's source line is shown:\n%s", out);
    free(out);
}

/* Counts the tests Criterion's TAP output says ran (not skipped). */
static int tap_ran(const char *tap, const char *name)
{
    const char *p = strstr(tap, name);
    if (!p)
        return -1;
    const char *eol = strchr(p, '\n');
    const char *skip = strstr(p, "# SKIP");
    return !(skip && (!eol || skip < eol));
}

Test(harness, sharding_splits_the_tests_child, .timeout = 60)
{
    if (in_child())
        cr_skip_test("parent only");
    int ran[4] = {0};
    const char *names[] = {"childshard::a", "childshard::b", "childshard::c", "childshard::d"};
    for (int shard = 0; shard < 2; shard++) {
        char *dir = t_mkdtemp("harness-shard");
        char status[4096], idx[64], statusenv[4200];
        snprintf(status, sizeof status, "%s/status", dir);
        snprintf(idx, sizeof idx, "TEST_SHARD_INDEX=%d", shard);
        snprintf(statusenv, sizeof statusenv, "TEST_SHARD_STATUS_FILE=%s", status);
        const char *envs[] = {"TEST_TOTAL_SHARDS=2", idx, statusenv, NULL};
        const char *args[] = {"--filter=childshard/*", "-j1", "--tap=-", NULL};
        char *out;
        int st = run_child(args, envs, &out);
        cr_assert_eq(st, 0, "shard %d:\n%s", shard, out);
        struct stat sb;
        cr_assert_eq(stat(status, &sb), 0, "TEST_SHARD_STATUS_FILE was not touched");
        int here = 0;
        for (int i = 0; i < 4; i++) {
            int r = tap_ran(out, names[i]);
            cr_assert_geq(r, 0, "test %s missing from shard %d's TAP:\n%s", names[i], shard, out);
            ran[i] += r;
            here += r;
        }
        cr_assert_eq(here, 2, "shard %d ran %d of 4 tests:\n%s", shard, here, out);
        free(out);
        t_rmtree(dir);
        free(dir);
    }
    for (int i = 0; i < 4; i++)
        cr_assert_eq(ran[i], 1, "%s ran in %d shards", names[i], ran[i]);
}

Test(harness, bad_shard_index_is_an_error_child, .timeout = 60)
{
    if (in_child())
        cr_skip_test("parent only");
    const char *envs[] = {"TEST_TOTAL_SHARDS=2", "TEST_SHARD_INDEX=5", NULL};
    const char *args[] = {"--filter=childshard/*", NULL};
    char *out;
    int st = run_child(args, envs, &out);
    cr_assert_eq(st, 2, "exit %d:\n%s", st, out);
    cr_assert(strstr(out, "TEST_SHARD_INDEX=5"), "%s", out);
    free(out);
}
