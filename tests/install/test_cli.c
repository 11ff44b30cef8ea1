/*
 * test_cli.c: `pnpbox driver` and `pnpbox device` end to end: the built
 * binary ($PNPBOX_BUILD/bin/pnpbox) runs on a machine directory of the
 * test's own; each step is a new process, so the machine's state (the
 * registry file and the volume) is what carries over.  Exact stdout,
 * stderr and exit status 0/1/2, --help.
 */
#include "tests/install/tdriver.h"
#include "tests/install/tinst.h"
#include "tests/support/trun.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static char machine[4096];

static void setup(void)
{
    ti_setup();
    snprintf(machine, sizeof machine, "%s/machine", ti_dir);
}

TestSuite(install_cli, .init = setup, .fini = ti_teardown);

/* pnpbox --machine <machine> args... */
static run_result run(const char *const *args)
{
    const char *argv[64] = {"--machine", machine};
    size_t n = 2;
    for (size_t i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return t_run_pnpbox(argv, NULL);
}

static void expect(const char *const *args, int status, const char *out, const char *err)
{
    run_result r = run(args);
    char cmd[1024] = "";
    for (size_t i = 0; args[i]; i++)
        snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " %s", args[i]);
    cr_assert_eq(r.status, status, "pnpbox%s: exit %d, expected %d; stderr: %s", cmd, r.status, status, r.err);
    if (out)
        cr_assert_str_eq(r.out, out, "pnpbox%s: stdout", cmd);
    if (err)
        cr_assert_str_eq(r.err, err, "pnpbox%s: stderr", cmd);
    free(r.out);
    free(r.err);
}

/* The folder name a package gets, staged in this process on a scratch machine. */
static char *folder_for(const char *inf)
{
    char *pub = NULL, *f = NULL;
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, &pub), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_eq(pnpbox_driver_folder(ti_m, pub, &f, NULL), 0);
    cr_assert_eq(pnpbox_driver_delete(ti_m, pub, 1), 0);
    free(pub);
    return f;
}

Test(install_cli, driver_add_list_delete)
{
    char *inf = td_pkg("pkg", "01/01/2024,1.0.0.0", "E2E-V1");
    char *f = folder_for(inf);
    char want[8192];
    snprintf(want, sizeof want, "published oem0.inf -> C:\\Windows\\System32\\DriverStore\\FileRepository\\%s\n", f);
    expect(ARGS("driver", "add", inf), 0, want, "");
    /* again: the same package, the same name */
    expect(ARGS("driver", "add", inf), 0, want, "");
    snprintf(want, sizeof want,
             "Published Name:     oem0.inf\n"
             "Original Name:      e2e.inf\n"
             "Provider Name:      Fabrikam\n"
             "Class Name:         E2EClass\n"
             "Class GUID:         {5e2e0000-aaaa-4bbb-8ccc-0123456789ab}\n"
             "Driver Version:     01/01/2024 1.0.0.0\n"
             "Driver Store Path:  C:\\Windows\\System32\\DriverStore\\FileRepository\\%s\n",
             f);
    expect(ARGS("driver", "list"), 0, want, "");
    /* the machine directory holds the staged files */
    snprintf(want, sizeof want, "%s/volume/Windows/System32/DriverStore/FileRepository/%s/e2edrv.sys", machine, f);
    cr_assert_eq(access(want, F_OK), 0, "no '%s'", want);
    expect(ARGS("driver", "delete", "oem0.inf"), 0, "deleted oem0.inf\n", "");
    expect(ARGS("driver", "list"), 0, "no driver packages are staged\n", "");
    expect(ARGS("driver", "delete", "oem0.inf"), 1, "",
           "pnpbox: cannot delete 'oem0.inf': no driver package is published under that name\n");
    free(f);
    free(inf);
}

Test(install_cli, driver_add_of_an_incomplete_package_fails)
{
    char *inf = td_pkg("pkg", "01/01/2024,1.0.0.0", "E2E-V1");
    char sys[4096];
    snprintf(sys, sizeof sys, "%s/pkg/e2edrv.sys", ti_dir);
    cr_assert_eq(unlink(sys), 0);
    char want[8192];
    snprintf(want, sizeof want,
             "pnpbox: cannot stage '%s': source file 'e2edrv.sys' (line 33) not found: no '%s'\n", inf, sys);
    expect(ARGS("driver", "add", inf), 1, "", want);
    expect(ARGS("driver", "list"), 0, "no driver packages are staged\n", "");
    free(inf);
}

Test(install_cli, device_add_list_update)
{
    char *v1 = td_pkg("v1", "01/01/2024,1.0.0.0", "E2E-V1"), *v2 = td_pkg("v2", "02/01/2024,2.0.0.0", "E2E-V2");
    char *f1 = folder_for(v1), *f2 = folder_for(v2);
    expect(ARGS("device", "add", "--hwid", "ROOT\\E2E"), 0, "ROOT\\E2E\\0000\n",
           "pnpbox: warning: no staged driver matches 'ROOT\\E2E'; 'ROOT\\E2E\\0000' has no driver (problem 28)\n");
    expect(ARGS("driver", "add", v1), 0, NULL, "");
    expect(ARGS("device", "add", "--hwid", "ROOT\\E2E", "--instance", "ROOT\\E2E\\0001"), 0, "ROOT\\E2E\\0001\n",
           "");
    expect(ARGS("device", "list"), 0,
           "INSTANCE       SERVICE  DRIVER    STATE\n"
           "ROOT\\E2E\\0000  -        -         problem 28\n"
           "ROOT\\E2E\\0001  e2edrv   oem0.inf  stopped\n",
           "");
    char want[2048];
    snprintf(want, sizeof want, "updated ROOT\\E2E\\0000: (no driver) -> %s\n", f1);
    expect(ARGS("device", "update", "ROOT\\E2E\\0000"), 0, want, "");
    expect(ARGS("driver", "add", v2), 0, NULL, "");
    snprintf(want, sizeof want, "updated ROOT\\E2E\\0001: %s -> %s\n", f1, f2);
    expect(ARGS("device", "update", "ROOT\\E2E\\0001"), 0, want, "");
    snprintf(want, sizeof want, "device 'ROOT\\E2E\\0001' already has the best-ranked driver (oem1.inf, %s)\n", f2);
    expect(ARGS("device", "update", "ROOT\\E2E\\0001"), 0, want, "");
    expect(ARGS("driver", "delete", "oem0.inf"), 1, "",
           "pnpbox: cannot delete 'oem0.inf': in use by device 'ROOT\\E2E\\0000'; --force deletes it anyway\n");
    expect(ARGS("driver", "delete", "oem0.inf", "--force"), 0, "deleted oem0.inf\n", "");
    expect(ARGS("device", "add", "--hwid", "ROOT\\E2E", "--instance", "ROOT\\E2E\\0001"), 1, "",
           "pnpbox: cannot add device 'ROOT\\E2E\\0001': it exists already\n");
    expect(ARGS("device", "update", "ROOT\\NONE\\0000"), 1, "",
           "pnpbox: cannot update device 'ROOT\\NONE\\0000': no such device\n");
    free(f1);
    free(f2);
    free(v1);
    free(v2);
}

Test(install_cli, usage_errors_and_help)
{
    expect(ARGS("driver"), 2, "", NULL);
    expect(ARGS("driver", "frob"), 2, "",
           "pnpbox: unknown driver command 'frob'; see 'pnpbox driver --help'\n");
    expect(ARGS("driver", "add"), 2, "", "pnpbox: usage: pnpbox driver add PKG/x.inf\n");
    expect(ARGS("driver", "delete"), 2, "", "pnpbox: usage: pnpbox driver delete oem<N>.inf [--force]\n");
    expect(ARGS("driver", "delete", "sample.inf"), 1, "",
           "pnpbox: cannot delete 'sample.inf': not a published driver package name (oem<N>.inf)\n");
    expect(ARGS("device"), 2, "", NULL);
    expect(ARGS("device", "add"), 2, "",
           "pnpbox: usage: pnpbox device add --hwid ID [--compat ID...] [--instance ENUM\\DEVICE\\INSTANCE]\n");
    expect(ARGS("device", "add", "--hwid"), 2, "", "pnpbox: option '--hwid' needs a value\n");
    expect(ARGS("device", "add", "--hwid", "A,B"), 2, "", NULL);
    expect(ARGS("device", "add", "--hwid", "ROOT\\X", "--instance", "BAD"), 2, "", NULL);
    expect(ARGS("device", "update"), 2, "", "pnpbox: usage: pnpbox device update INSTANCE\n");
    expect(ARGS("device", "list", "x"), 2, "", "pnpbox: usage: pnpbox device list (unexpected 'x')\n");
    run_result r = run(ARGS("driver", "--help"));
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "usage: pnpbox driver add PKG/x.inf"), "%s", r.out);
    free(r.out);
    free(r.err);
    r = run(ARGS("device", "update", "--help"));
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "pnpbox device update INSTANCE"), "%s", r.out);
    free(r.out);
    free(r.err);
    r = run(ARGS("--help"));
    cr_assert(strstr(r.out, "  driver ") && strstr(r.out, "  device "), "%s", r.out);
    free(r.out);
    free(r.err);
}
