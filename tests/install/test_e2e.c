/*
 * test_e2e.c: end to end: stage a package, add a device (the INF creates
 * the service, its Parameters, the interface), then start it with a WDM
 * driver linked into the test: the PnP manager loads the driver the INF
 * installed, from the store folder the INF's ImagePath names, and the
 * driver finds its INF-provisioned state through the isolation APIs.
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

TestSuite(install_e2e, .init = setup, .fini = ti_teardown);

Test(install_e2e, stage_add_and_start_with_the_driver_the_inf_installs)
{
    char *inf = td_pkg("pkg", "06/07/2024,3.1.0.0", "E2E-V1");
    char *pub = NULL, *inst = NULL, *folder = NULL;
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, &pub), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\E2E", NULL, &inst), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_str_eq(inst, "ROOT\\E2E\\0000");
    cr_assert_eq(pnpbox_driver_folder(ti_m, pub, &folder, NULL), 0);
    cr_assert_eq(pnpbox_driver_register(ti_m, "e2edrv", td_entry), 0);

    int32_t st = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_start(ti_m, inst, &st), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_eq(st, STATUS_SUCCESS, "start: 0x%08x (%s)", (unsigned)st, pnpbox_errmsg(ti_m));
    cr_assert_eq(td.entry, 1);
    cr_assert_eq(td.add, 1);
    cr_assert_eq(td.start, 1);
    cr_assert_str_eq(td.regpath, "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\e2edrv");
    /* HKR,Parameters,Level of the service-install section, read through IoOpenDriverRegistryKey */
    cr_assert_eq(td.level_status, STATUS_SUCCESS, "0x%08x", (unsigned)td.level_status);
    cr_assert_eq(td.level, 5);
    char want[600];
    snprintf(want, sizeof want, "\\SystemRoot\\System32\\DriverStore\\FileRepository\\%s\\e2edrv.sys", folder);
    cr_assert_str_eq(td.image, want);
    /* the INF registered the interface already; the driver's registration finds it */
    cr_assert_eq(td.iface_status, STATUS_OBJECT_NAME_EXISTS, "0x%08x", (unsigned)td.iface_status);
    cr_assert_str_eq(td.link, "\\??\\ROOT#E2E#0000#" TD_IFACE_GUID);

    int started = 0;
    uint32_t problem = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_state(ti_m, inst, &started, &problem), 0);
    cr_assert_eq(started, 1);
    cr_assert_eq(problem, 0);
    pnpbox_device_info *v = NULL;
    size_t n = 0;
    cr_assert_eq(pnpbox_device_list(ti_m, &v, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(v[0].started, 1);
    cr_assert_str_eq(v[0].service, "e2edrv");
    pnpbox_device_list_free(v, n);

    /* the driver's accesses were judged as the driver's, and broke no rule */
    size_t drv_events = 0;
    for (size_t i = 0; i < pnpbox_event_count(ti_m); i++) {
        const pnpbox_event *e = pnpbox_event_get(ti_m, i);
        if (!strcmp(e->component, "e2edrv")) {
            drv_events++;
            cr_assert_str_eq(e->rules, "", "%s %s broke %s", e->api, e->path ? e->path : "", e->rules);
        }
    }
    cr_assert_gt(drv_events, 0);

    cr_assert_eq(pnpbox_device_remove(ti_m, inst, 0, &st), 0);
    cr_assert_eq(td.remove, 1);
    /* removed: the package may still not be deleted, a device has it installed */
    cr_assert_eq(pnpbox_driver_delete(ti_m, pub, 0), -EBUSY);
    free(folder);
    free(inst);
    free(pub);
    free(inf);
}
