/*
 * test_legacywdm.c: unit tests of the legacy example driver with pnpbox's
 * Criterion harness, a starting point to copy for your own driver.
 *
 * The driver's code is linked into this test (DriverEntry below is the
 * driver's own); its package (the INF and the built .sys) is staged from
 * EXAMPLE_PKG_DIR, which the Makefile defines.  Build your own with
 *     cc test_mydrv.c mydrv.c $(pkg-config --cflags --libs pnpbox-criterion)
 *
 * These tests pin down the legacy driver's isolation debt: each violation is
 * asserted where it happens, so fixing one (docs/tutorial.md) shows up here
 * as a test to update, and nothing new slips in unnoticed.
 */
#include <ntddk.h>

#include <pnpbox/criterion.h>

#include <stdio.h>

DRIVER_INITIALIZE DriverEntry;

#define SERVICE "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\legacywdm"

PNPBOX_TEST_SUITE(legacywdm);

/* Stage and install the package, load the driver linked into this test, start the device. */
static const char *install_and_start(void)
{
    pnpbox_t_stage(EXAMPLE_PKG_DIR "/legacywdm.inf");
    const char *dev = pnpbox_t_install("Root\\LegacyWdm");
    pnpbox_t_driver("legacywdm", DriverEntry);
    cr_assert_eq(pnpbox_t_load("legacywdm"), STATUS_SUCCESS);
    cr_assert_eq(pnpbox_t_start(dev), STATUS_SUCCESS);
    return dev;
}

Test(legacywdm, installs_where_its_inf_says)
{
    install_and_start();
    pnpbox_assert_reg_dword(SERVICE "\\Parameters", "LogLevel", 2);
    pnpbox_assert_reg_dword(SERVICE, "Tracing", 1); /* INF 1323: not under Parameters */
    /* INF 1321: a value under HKLM\SOFTWARE the package does not own */
    pnpbox_assert_reg_sz("\\Registry\\Machine\\Software\\Contoso\\LegacyWdm", "InstallDir",
                         "C:\\Windows\\System32\\drivers");
}

Test(legacywdm, counts_starts_in_parameters)
{
    const char *dev = install_and_start();
    pnpbox_assert_reg_dword(SERVICE "\\Parameters", "StartCount", 1);
    cr_assert_eq(pnpbox_t_remove(dev), STATUS_SUCCESS);
    cr_assert_eq(pnpbox_t_start(dev), STATUS_SUCCESS);
    pnpbox_assert_reg_dword(SERVICE "\\Parameters", "StartCount", 2);
    pnpbox_assert_file("C:\\Windows\\System32\\drivers\\legacywdm.log",
                       "legacywdm: started\r\nlegacywdm: started\r\n", 40);
}

Test(legacywdm, its_isolation_debt)
{
    install_and_start();
    pnpbox_assert_rule("REG-ABSOLUTE-PATH", "Services\\legacywdm\\Parameters");
    pnpbox_assert_rule("REG-IMMUTABLE-WRITE", "Services\\legacywdm\\Parameters");
    pnpbox_assert_rule("REG-ABSOLUTE-PATH", "Control\\Class\\");      /* the laundered software key */
    pnpbox_assert_rule("REG-FOREIGN-HANDLE", "Control\\Class\\");
    pnpbox_assert_rule("FILE-ABSOLUTE-PATH", "drivers\\legacywdm.log");
    pnpbox_assert_rule("FILE-OUTSIDE-STATE", "drivers\\legacywdm.log");
    pnpbox_assert_no_rule("FILE-DRIVER-STORE-WRITE");
    pnpbox_assert_no_rule("REG-CROSS-COMPONENT");
}

Test(legacywdm, enforce_mode_denies_and_the_driver_still_starts)
{
    pnpbox_t_mode(PNPBOX_MODE_ENFORCE);
    install_and_start();
    /* the absolute open of Parameters was denied, so no count was written */
    pnpbox_assert_no_reg_key(SERVICE "\\State");
    pnpbox_assert_rule("REG-ABSOLUTE-PATH", "Parameters");
}

Test(legacywdm, survives_a_failing_log_file)
{
    pnpbox_t_fail("ZwCreateFile:1:STATUS_DISK_FULL");
    install_and_start();
    pnpbox_assert_reg_dword(SERVICE "\\Parameters", "StartCount", 1);
}

Test(legacywdm, a_baseline_accepts_the_known_debt)
{
    pnpbox_t_baseline("REG-* component=legacywdm legacy registry use, fixed in 2.0\n"
                      "FILE-* component=legacywdm path=*legacywdm.log log moves to the data directory in 2.0\n");
    install_and_start();
    pnpbox_assert_no_violations();
}
