/*
 * test_update.c: driver package update (pnpbox_device_update): a package
 * with a higher DriverVer re-installs the device from its store folder
 * (ImagePath moves, the software key is rewritten), a started device is
 * stopped and restarted on the new image, the old folder stays and is
 * stale (UPDATE-STALE-PATH), driverless devices get a driver, and a failed
 * update leaves everything as it was.
 */
#include <ntddk.h>

#include "emu/emu.h"
#include "tests/install/tdriver.h"
#include "tests/install/tinst.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void setup(void)
{
    memset(&td, 0, sizeof td);
    ti_setup();
}

TestSuite(install_update, .init = setup, .fini = ti_teardown);

#define V1 "01/01/2024,1.0.0.0"
#define V2 "02/01/2024,2.0.0.0"
#define E2E_GUID "{5e2e0000-aaaa-4bbb-8ccc-0123456789ab}"
#define EK "CCS\\Enum\\ROOT\\E2E\\0000"
#define SK "CCS\\Control\\Class\\" E2E_GUID "\\0000"

static char *folder_of(const char *pub)
{
    char *f = NULL;
    cr_assert_eq(pnpbox_driver_folder(ti_m, pub, &f, NULL), 0, "%s", pnpbox_errmsg(ti_m));
    return f;
}

/* v1 staged and installed on ROOT\E2E\0000, v2 staged; folders in *f1, *f2. */
static void two_versions(char **f1, char **f2)
{
    char *a = td_pkg("v1", V1, "E2E-V1"), *b = td_pkg("v2", V2, "E2E-V2");
    cr_assert_eq(pnpbox_driver_add(ti_m, a, NULL), 0);
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\E2E", NULL, NULL), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_eq(pnpbox_driver_add(ti_m, b, NULL), 0);
    *f1 = folder_of("oem0.inf");
    *f2 = folder_of("oem1.inf");
    free(a);
    free(b);
}

static void image_path_is(const char *folder)
{
    char want[600];
    snprintf(want, sizeof want, "\\SystemRoot\\System32\\DriverStore\\FileRepository\\%s\\e2edrv.sys", folder);
    ti_sz("CCS\\Services\\e2edrv", "ImagePath", REGDB_EXPAND_SZ, want);
}

Test(install_update, a_higher_driver_ver_reinstalls_from_the_new_folder)
{
    char *f1, *f2;
    two_versions(&f1, &f2);
    image_path_is(f1);
    /* adding a package installs nothing by itself */
    ti_sz(SK, "InfPath", REGDB_SZ, "oem0.inf");
    char *oldf = (char *)0xdeadbeef, *newf = (char *)0xdeadbeef;
    cr_assert_eq(pnpbox_device_update(ti_m, "ROOT\\E2E\\0000", &oldf, &newf), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_str_eq(oldf, f1);
    cr_assert_str_eq(newf, f2);
    image_path_is(f2);
    ti_sz(EK, "Driver", REGDB_SZ, E2E_GUID "\\0000");
    ti_sz(SK, "InfPath", REGDB_SZ, "oem1.inf");
    ti_sz(SK, "DriverVersion", REGDB_SZ, "2.0.0.0");
    ti_sz(SK, "DriverDate", REGDB_SZ, "2-1-2024");
    ti_sz(EK, "DeviceDesc", REGDB_SZ, "@oem1.inf,%desc%;End-to-end device");
    const char *own[] = {"oem0.inf", "oem1.inf"};
    ti_multi("CCS\\Services\\e2edrv", "Owners", own, 2);
    /* the old folder stays, and is stale */
    char vp[600];
    snprintf(vp, sizeof vp, "%s\\%s", TI_STORE, f1);
    cr_assert_eq(ti_vexists(vp), 2);
    cr_assert_eq(ti_m->nstale, 1);
    cr_assert_str_eq(ti_m->stale_dirs[0], vp);
    char pk[512];
    snprintf(pk, sizeof pk, "\\Registry\\Machine\\SYSTEM\\DriverDatabase\\DriverPackages\\%s", f1);
    ti_dword(pk, "Superseded", 1);
    /* nothing better any more */
    free(oldf);
    free(newf);
    cr_assert_eq(pnpbox_device_update(ti_m, "ROOT\\E2E\\0000", &oldf, &newf), -EALREADY);
    cr_assert_str_eq(oldf, f2);
    cr_assert_str_eq(newf, f2);
    cr_assert(strstr(pnpbox_errmsg(ti_m), "already has the best-ranked driver (oem1.inf"), "%s", pnpbox_errmsg(ti_m));
    /* the old package is no longer used: it can go */
    cr_assert_eq(pnpbox_driver_delete(ti_m, "oem0.inf", 0), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_eq(ti_vexists(vp), 0);
    free(oldf);
    free(newf);
    free(f1);
    free(f2);
}

Test(install_update, a_started_device_is_restarted_on_the_new_image)
{
    char *f1, *f2;
    two_versions(&f1, &f2);
    cr_assert_eq(pnpbox_driver_register(ti_m, "e2edrv", td_entry), 0);
    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_start(ti_m, "ROOT\\E2E\\0000", &st), 0);
    cr_assert_eq(st, STATUS_SUCCESS);
    cr_assert(strstr(td.image, f1), "%s", td.image);
    cr_assert_eq(pnpbox_device_update(ti_m, "ROOT\\E2E\\0000", NULL, NULL), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_eq(td.query_remove, 1);
    cr_assert_eq(td.remove, 1);
    cr_assert_eq(td.unload, 1);
    cr_assert_eq(td.entry, 2);
    cr_assert_eq(td.start, 2);
    char want[600];
    snprintf(want, sizeof want, "\\SystemRoot\\System32\\DriverStore\\FileRepository\\%s\\e2edrv.sys", f2);
    cr_assert_str_eq(td.image, want);
    int started = 0;
    uint32_t problem = 1;
    cr_assert_eq(pnpbox_device_state(ti_m, "ROOT\\E2E\\0000", &started, &problem), 0);
    cr_assert_eq(started, 1);
    cr_assert_eq(problem, 0);
    free(f1);
    free(f2);
}

Test(install_update, a_device_that_refuses_removal_is_not_updated)
{
    char *f1, *f2;
    two_versions(&f1, &f2);
    cr_assert_eq(pnpbox_driver_register(ti_m, "e2edrv", td_entry), 0);
    int32_t st = 0;
    cr_assert_eq(pnpbox_device_start(ti_m, "ROOT\\E2E\\0000", &st), 0);
    cr_assert_eq(st, STATUS_SUCCESS);
    td.veto_remove = 1;
    ti_snap s;
    ti_snap_take(&s);
    char *oldf = (char *)0xdeadbeef, *newf = (char *)0xdeadbeef;
    cr_assert_eq(pnpbox_device_update(ti_m, "ROOT\\E2E\\0000", &oldf, &newf), -EBUSY);
    cr_assert_null(oldf);
    cr_assert_null(newf);
    cr_assert(strstr(pnpbox_errmsg(ti_m), "refused removal (STATUS_UNSUCCESSFUL)"), "%s", pnpbox_errmsg(ti_m));
    ti_snap_same(&s, "a vetoed update");
    int started = 0;
    uint32_t problem = 1;
    cr_assert_eq(pnpbox_device_state(ti_m, "ROOT\\E2E\\0000", &started, &problem), 0);
    cr_assert_eq(started, 1);
    cr_assert_eq(td.remove, 0);
    cr_assert_eq(ti_m->nstale, 0);
    td.veto_remove = 0;
    cr_assert_eq(pnpbox_device_update(ti_m, "ROOT\\E2E\\0000", NULL, NULL), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_eq(td.start, 2);
    free(f1);
    free(f2);
}

static NTSTATUS open_as_driver(const char *vpath)
{
    char path[700];
    snprintf(path, sizeof path, "\\??\\C:%s", vpath);
    uint16_t w[700];
    size_t n = strlen(path);
    for (size_t i = 0; i <= n; i++)
        w[i] = (uint16_t)path[i];
    UNICODE_STRING us = {(USHORT)(n * 2), (USHORT)(n * 2 + 2), (PWCH)w};
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    HANDLE h;
    IO_STATUS_BLOCK io;
    NTSTATUS st = ZwCreateFile(&h, GENERIC_READ | SYNCHRONIZE, &oa, &io, NULL, 0, FILE_SHARE_READ, FILE_OPEN,
                               FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE, NULL, 0);
    if (NT_SUCCESS(st))
        ZwClose(h);
    return st;
}

static int last_event_has(const char *rule)
{
    const pnpbox_event *e = pnpbox_event_get(ti_m, pnpbox_event_count(ti_m) - 1);
    return e && strstr(e->rules, rule) != NULL;
}

Test(install_update, accesses_to_the_old_folder_are_stale)
{
    char *f1, *f2;
    two_versions(&f1, &f2);
    cr_assert_eq(pnpbox_device_update(ti_m, "ROOT\\E2E\\0000", NULL, NULL), 0, "%s", pnpbox_errmsg(ti_m));
    pnpbox_component *prev = pnpbox_enter(pnpbox_component_get(ti_m, PNPBOX_COMP_KERNEL_DRIVER, "e2edrv"));
    char vp[600];
    snprintf(vp, sizeof vp, "%s\\%s\\e2edrv.sys", TI_STORE, f1);
    NTSTATUS st = open_as_driver(vp);
    cr_assert(NT_SUCCESS(st), "0x%08x", (unsigned)st);
    cr_assert(last_event_has("UPDATE-STALE-PATH"), "%s", pnpbox_event_get(ti_m, pnpbox_event_count(ti_m) - 1)->rules);
    snprintf(vp, sizeof vp, "%s\\%s\\e2edrv.sys", TI_STORE, f2);
    st = open_as_driver(vp);
    cr_assert(NT_SUCCESS(st), "0x%08x", (unsigned)st);
    cr_assert(!last_event_has("UPDATE-STALE-PATH"));
    pnpbox_enter(prev);
    free(f1);
    free(f2);
}

Test(install_update, the_stale_folders_survive_reopening_a_machine_directory)
{
    char *mdir = malloc(strlen(ti_dir) + 16);
    sprintf(mdir, "%s/machine", ti_dir);
    pnpbox_machine_free(ti_m);
    pnpbox_machine_opts o = {.dir = mdir};
    cr_assert_eq(pnpbox_machine_new(&o, &ti_m), 0, "%s", pnpbox_errmsg(NULL));
    char *f1, *f2;
    two_versions(&f1, &f2);
    cr_assert_eq(pnpbox_device_update(ti_m, "ROOT\\E2E\\0000", NULL, NULL), 0, "%s", pnpbox_errmsg(ti_m));
    pnpbox_machine_free(ti_m);
    cr_assert_eq(pnpbox_machine_new(&o, &ti_m), 0);
    pnpbox_driver_info *v = NULL;
    size_t n = 0;
    cr_assert_eq(pnpbox_driver_list(ti_m, &v, &n), 0);
    cr_assert_eq(n, 2);
    pnpbox_driver_list_free(v, n);
    char vp[600];
    snprintf(vp, sizeof vp, "%s\\%s", TI_STORE, f1);
    cr_assert_eq(ti_m->nstale, 1);
    cr_assert_str_eq(ti_m->stale_dirs[0], vp);
    free(f1);
    free(f2);
    free(mdir);
}

Test(install_update, a_device_without_a_driver_gets_one)
{
    char *inst = NULL;
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\E2E", NULL, &inst), 0);
    ti_dword(EK, "ConfigFlags", 0x40);
    char *oldf = (char *)0xdeadbeef, *newf = NULL;
    cr_assert_eq(pnpbox_device_update(ti_m, inst, &oldf, &newf), -ENOENT);
    cr_assert(strstr(pnpbox_errmsg(ti_m), "no staged driver matches"), "%s", pnpbox_errmsg(ti_m));
    cr_assert_null(oldf);
    char *a = td_pkg("v1", V1, "E2E-V1");
    cr_assert_eq(pnpbox_driver_add(ti_m, a, NULL), 0);
    cr_assert_eq(pnpbox_device_update(ti_m, inst, &oldf, &newf), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_null(oldf);
    char *f1 = folder_of("oem0.inf");
    cr_assert_str_eq(newf, f1);
    ti_dword(EK, "ConfigFlags", 0);
    ti_sz(EK, "Service", REGDB_SZ, "e2edrv");
    image_path_is(f1);
    int started = 1;
    uint32_t problem = 1;
    cr_assert_eq(pnpbox_device_state(ti_m, inst, &started, &problem), 0);
    cr_assert_eq(problem, 0);
    cr_assert_eq(ti_m->nstale, 0);
    free(newf);
    free(f1);
    free(a);
    free(inst);
}

Test(install_update, an_older_package_is_not_an_update)
{
    char *b = td_pkg("v2", V2, "E2E-V2"), *a = td_pkg("v1", V1, "E2E-V1");
    cr_assert_eq(pnpbox_driver_add(ti_m, b, NULL), 0);
    cr_assert_eq(pnpbox_driver_add(ti_m, a, NULL), 0);
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\E2E", NULL, NULL), 0);
    ti_sz(SK, "DriverVersion", REGDB_SZ, "2.0.0.0");
    ti_snap s;
    ti_snap_take(&s);
    cr_assert_eq(pnpbox_device_update(ti_m, "ROOT\\E2E\\0000", NULL, NULL), -EALREADY);
    ti_snap_same(&s, "an update with nothing better");
    cr_assert_eq(pnpbox_device_update(ti_m, "ROOT\\E2E\\0001", NULL, NULL), -ENOENT);
    cr_assert_eq(pnpbox_device_update(ti_m, "NOT-AN-INSTANCE", NULL, NULL), -EINVAL);
    cr_assert_eq(pnpbox_device_update(ti_m, NULL, NULL, NULL), -EINVAL);
    free(a);
    free(b);
}

Test(install_update, a_new_class_moves_the_software_key)
{
    char *a = td_pkg("v1", V1, "E2E-V1");
    char *b = td_pkg_class("v2", V2, "E2E-V2", "{4d36e97d-e325-11ce-bfc1-08002be10318}");
    cr_assert_eq(pnpbox_driver_add(ti_m, a, NULL), 0);
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\E2E", NULL, NULL), 0);
    cr_assert_eq(pnpbox_driver_add(ti_m, b, NULL), 0);
    cr_assert_eq(pnpbox_device_update(ti_m, "ROOT\\E2E\\0000", NULL, NULL), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert(!ti_key_exists(SK));
    ti_sz(EK, "Driver", REGDB_SZ, "{4d36e97d-e325-11ce-bfc1-08002be10318}\\0000");
    ti_sz(EK, "ClassGUID", REGDB_SZ, "{4d36e97d-e325-11ce-bfc1-08002be10318}");
    ti_sz("CCS\\Control\\Class\\{4d36e97d-e325-11ce-bfc1-08002be10318}\\0000", "InfPath", REGDB_SZ, "oem1.inf");
    free(a);
    free(b);
}

Test(install_update, every_injected_fault_leaves_nothing_behind)
{
    char *a = td_pkg("v1", V1, "E2E-V1"), *b = td_pkg("v2", V2, "E2E-V2");
    int n;
    for (n = 1; n < 100; n++) {
        pnpbox_machine_free(ti_m);
        cr_assert_eq(pnpbox_machine_new(NULL, &ti_m), 0);
        cr_assert_eq(pnpbox_driver_add(ti_m, a, NULL), 0);
        cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\E2E", NULL, NULL), 0);
        cr_assert_eq(pnpbox_driver_add(ti_m, b, NULL), 0);
        ti_snap s;
        ti_snap_take(&s);
        cr_assert_eq(pnpbox_fault_add(ti_m, "*", (unsigned)n, 0), 0);
        char *oldf = (char *)0xdeadbeef, *newf = (char *)0xdeadbeef;
        int rc = pnpbox_device_update(ti_m, "ROOT\\E2E\\0000", &oldf, &newf);
        if (rc == 0) {
            free(oldf);
            free(newf);
            ti_snap_free(&s);
            break;
        }
        cr_assert_eq(rc, -ENOMEM, "fault %d: %d %s", n, rc, pnpbox_errmsg(ti_m));
        cr_assert_null(oldf);
        cr_assert_null(newf);
        cr_assert_eq(ti_m->nstale, 0);
        char what[64];
        snprintf(what, sizeof what, "fault %d", n);
        ti_snap_same(&s, what);
    }
    cr_assert_gt(n, 5);
    free(a);
    free(b);
}
