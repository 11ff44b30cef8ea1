/*
 * pnpbox/criterion.h: the Criterion harness for driver tests (issue 6).
 *
 * Every test gets a fresh emulated machine cloned from the template (well
 * under a millisecond), helpers to stage and install a driver package,
 * add a devnode, load a driver linked into the test or from a shared
 * object, run the PnP lifecycle step by step, act as a Win32 service or an
 * application, switch modes, inject faults and update a package; and
 * assertions about isolation findings, registry values and files.  A
 * failing assertion prints every violation with its explanation and fix.
 *
 *     #include <ntddk.h>
 *     #include <pnpbox/criterion.h>
 *
 *     PNPBOX_TEST_SUITE(mydrv);
 *
 *     Test(mydrv, starts_isolated)
 *     {
 *         pnpbox_t_driver("mydrv", DriverEntry);
 *         pnpbox_t_stage("pkg/mydrv.inf");
 *         const char *dev = pnpbox_t_install("Root\\MyDevice");
 *         cr_assert_eq(pnpbox_t_start(dev), STATUS_SUCCESS);
 *         pnpbox_assert_no_violations();
 *     }
 *
 * Build: `pkg-config --cflags --libs pnpbox-criterion`.  Works with
 * Criterion's parallel process-per-test runner and its --xml output; the
 * test binary also honours TEST_TOTAL_SHARDS / TEST_SHARD_INDEX (and
 * touches TEST_SHARD_STATUS_FILE), the sharding protocol of Bazel and other
 * distributed runners, unless it defines its own main().
 *
 * Environment: PNPBOX_MODE=report|enforce|fail-fast sets the default mode of
 * every fixture machine; PNPBOX_BASELINE=FILE loads suppressions.
 */
#ifndef PNPBOX_CRITERION_H
#define PNPBOX_CRITERION_H

#include <criterion/criterion.h>

#include "pnpbox/pnpbox.h"
#include "pnpbox/report.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The current test's machine (valid between the fixture's init and fini). */
extern pnpbox_machine *pnpbox_t_machine;

void pnpbox_fixture_init(void);
void pnpbox_fixture_fini(void);

/* A suite whose every test runs on a fresh machine. */
#define PNPBOX_TEST_SUITE(name, ...)                                                               \
    TestSuite(name, .init = pnpbox_fixture_init, .fini = pnpbox_fixture_fini, ##__VA_ARGS__)

/* ---- setting the machine up (each fails the test with a clear message on error) ---- */

/* Stage a package (the INF and its files, from the host); returns "oemN.inf". */
const char *pnpbox_t_stage(const char *inf_path);
/* Install a device for a hardware ID from the staged packages; returns its instance ID. */
const char *pnpbox_t_install(const char *hwid);
/* A devnode without an INF (service may be NULL). */
void pnpbox_t_devnode(const char *instance, const char *hwids, const char *service);
/* A kernel service key (Type 1, demand start) without an INF. */
void pnpbox_t_service(const char *service);
/* The code of a driver: linked into the test, or a shared object exporting DriverEntry. */
void pnpbox_t_driver_fn(const char *service, pnpbox_driver_entry_fn entry);
/* Takes a DriverEntry with its WDK prototype (PDRIVER_OBJECT, PUNICODE_STRING). */
#define pnpbox_t_driver(service, entry) pnpbox_t_driver_fn((service), (pnpbox_driver_entry_fn)(void (*)(void))(entry))
void pnpbox_t_driver_so(const char *service, const char *so_path);

/* ---- the lifecycle, step by step: each returns the driver's NTSTATUS ---- */
int32_t pnpbox_t_load(const char *service);
int32_t pnpbox_t_start(const char *instance);
int32_t pnpbox_t_remove(const char *instance);
int32_t pnpbox_t_surprise_remove(const char *instance);
int32_t pnpbox_t_unload(const char *service);
/* Install the newer staged package on the device and restart it (UPDATE-STALE-PATH afterwards). */
void pnpbox_t_update(const char *instance, const char *new_inf_path);

/* ---- who the test code runs as ---- */
void pnpbox_t_as_service(const char *name);
void pnpbox_t_as_app(const char *name);
void pnpbox_t_as_driver(const char *service);
void pnpbox_t_as_harness(void);

/* ---- modes, suppressions, faults ---- */
void pnpbox_t_mode(pnpbox_mode mode);
void pnpbox_t_baseline(const char *text);
/* "API:N[:STATUS]", e.g. "ZwOpenKey:2:STATUS_INSUFFICIENT_RESOURCES". */
void pnpbox_t_fail(const char *spec);

/* ---- assertions ---- */

/* The findings so far, as a report (freed by the fixture). */
pnpbox_report *pnpbox_t_report(void);
/* How many distinct (unsuppressed) findings of rule (NULL: any) whose path contains path_part (NULL: any). */
size_t pnpbox_t_count(const char *rule, const char *path_part);
/* Fail the test, printing every violation with its explanation. */
void pnpbox_t_fail_with_report(const char *file, int line, const char *what);

#define pnpbox_assert_no_violations()                                                              \
    do {                                                                                           \
        if (pnpbox_t_count(NULL, NULL))                                                            \
            pnpbox_t_fail_with_report(__FILE__, __LINE__, "expected no isolation violations");     \
    } while (0)

/* rule was reported (optionally at a path containing path_part). */
#define pnpbox_assert_rule(rule, path_part)                                                        \
    do {                                                                                           \
        if (!pnpbox_t_count((rule), (path_part)))                                                  \
            pnpbox_t_fail_with_report(__FILE__, __LINE__, "expected " rule " to be reported");     \
    } while (0)

#define pnpbox_assert_no_rule(rule)                                                                \
    do {                                                                                           \
        if (pnpbox_t_count((rule), NULL))                                                          \
            pnpbox_t_fail_with_report(__FILE__, __LINE__, "expected no " rule " finding");         \
    } while (0)

/* Registry value checks; key is an NT path (\Registry\Machine\...). */
void pnpbox_t_assert_reg_dword(const char *file, int line, const char *key, const char *value, uint32_t expect);
void pnpbox_t_assert_reg_sz(const char *file, int line, const char *key, const char *value, const char *expect);
void pnpbox_t_assert_no_reg_key(const char *file, int line, const char *key);
#define pnpbox_assert_reg_dword(k, v, e) pnpbox_t_assert_reg_dword(__FILE__, __LINE__, (k), (v), (e))
#define pnpbox_assert_reg_sz(k, v, e) pnpbox_t_assert_reg_sz(__FILE__, __LINE__, (k), (v), (e))
#define pnpbox_assert_no_reg_key(k) pnpbox_t_assert_no_reg_key(__FILE__, __LINE__, (k))

/* A file on the volume (Win32 path C:\... or volume path \...) has exactly this content. */
void pnpbox_t_assert_file(const char *file, int line, const char *path, const void *data, size_t len);
#define pnpbox_assert_file(p, d, n) pnpbox_t_assert_file(__FILE__, __LINE__, (p), (d), (n))

/* The test binary's main (sharding); defined in libpnpbox-criterion. */
int pnpbox_criterion_main(int argc, char *argv[]);

#ifdef __cplusplus
}
#endif

#endif
