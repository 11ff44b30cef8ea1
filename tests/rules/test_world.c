/*
 * test_world.c: the corpus itself checked: the world it runs on is
 * complete and clean, every rule of the catalogue has at least two
 * triggering snippets with an isolated twin, the sanctioned first-run work
 * no table case covers (making a company directory) stays clean, and the
 * probe calls the fail-fast tests make after a stop are clean before it.
 */
#include "tests/rules/rc_tcommon.h"

#include "emu/emu.h"
#include "pnpbox/store.h"

#include <stdio.h>
#include <string.h>

#define M pnpbox_t_machine

TestSuite(rules_world, .init = rc_setup, .fini = rc_teardown, .timeout = RC_TIMEOUT);

Test(rules_world, every_rule_has_two_snippets_and_twins)
{
    for (size_t r = 0; r < pnpbox_rule_count(); r++) {
        const pnpbox_rule *rule = pnpbox_rule_at(r);
        int n = 0;
        for (size_t i = 0; i < rc_ncases; i++)
            if (!strcmp(rc_cases[i].rule, rule->id)) {
                n++;
                cr_assert_not_null(rc_cases[i].bad, "%s has no snippet", rc_cases[i].name);
                cr_assert_not_null(rc_cases[i].twin, "%s has no isolated twin", rc_cases[i].name);
            }
        cr_assert_geq(n, 2, "rule %s has %d snippets in the corpus, at least 2 are needed", rule->id, n);
    }
    for (size_t i = 0; i < rc_ncases; i++) {
        cr_assert_not_null(pnpbox_rule_find(rc_cases[i].rule), "%s: unknown rule %s", rc_cases[i].name,
                           rc_cases[i].rule);
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(rc_cases[i].name, rc_cases[j].name, "two cases are named %s", rc_cases[i].name);
    }
}

Test(rules_world, is_complete_and_clean)
{
    cr_assert_eq(pnpbox_t_count(NULL, NULL), 0, "the world made findings");
    const char *devs[] = {RC_DEV, RC_OTHER_DEV, RC_QI_DEV};
    for (int i = 0; i < 3; i++) {
        int started = 0;
        uint32_t problem = 1;
        cr_assert_eq(pnpbox_device_state(M, devs[i], &started, &problem), 0, "%s", pnpbox_errmsg(M));
        cr_assert(started && !problem, "%s: started %d, problem %u", devs[i], started, problem);
    }
    /* What the INF provisioned and what the drivers made at start. */
    pnpbox_assert_reg_sz(RC_CCS "\\Services\\rcdrv\\Parameters", "Greeting", "hello");
    pnpbox_assert_reg_dword(RC_CCS "\\Services\\rcdrv\\Parameters", "Level", 3);
    pnpbox_assert_reg_sz(RC_CCS "\\Services\\RcSvc\\Parameters", "Greeting", "hello from RcSvc");
    pnpbox_assert_reg_sz(RC_CCS "\\Enum\\ROOT\\RCDEV\\0000\\Device Parameters", "Setting", "fast");
    pnpbox_assert_reg_sz(RC_CCS "\\Services\\rcother\\SharedState", "Published", "rcother-shared");
    pnpbox_assert_reg_sz(rc_world_swkey(), "DriverDesc", "Contoso corpus device");
    char image_dir[600];
    snprintf(image_dir, sizeof image_dir, "\\SystemRoot\\System32\\DriverStore\\FileRepository\\%s",
             rc_world_folder());
    pnpbox_assert_reg_sz(RC_CCS "\\Services\\rcdrv\\State", "ImageDir", image_dir);
    pnpbox_assert_file("C:\\Windows\\ServiceState\\rcother\\SharedData\\state.bin", "rcother-shared-file", 19);
    pnpbox_assert_file("C:\\Windows\\System32\\drivers\\DriverData\\Fabrikam\\RcOther\\state.bin", "rcother-public",
                       14);
    char shipped[700];
    snprintf(shipped, sizeof shipped, RC_STORE "\\%s\\rcdrv.ini", rc_world_folder());
    pnpbox_assert_file(shipped, "level=3\n", 8);
    cr_assert_not_null(rc_svc_status(), "RcSvc did not register with the SCM");
    cr_assert_neq(rc_other_link()[0], 0);
}

/*
 * The isolation guidance asks for \DriverData\<Company>\ and
 * %ProgramData%\<Company>\; making those directories must not be reported
 * as a file at the root (FILE-DRIVERDATA-ROOT), and the files the code then
 * writes inside are clean too.
 */
static void company_dirs_clean(pnpbox_component_kind kind, const char *comp, rc_snippet fn, const char *name)
{
    rc_case c = {0};
    c.name = name;
    c.kind = kind;
    c.comp = comp;
    rc_run_as(&c, fn);
    cr_assert(rc_x.after && rc_x.done, "%s: the directories were not made (0x%08x)", name, (unsigned)rc_x.st);
    cr_assert_null(rc_event_with("FILE-DRIVERDATA-ROOT", "Adatum"), "%s: a company directory was reported:%s", name,
                   rc_events_text());
    cr_assert_eq(pnpbox_t_count(NULL, NULL), 0, "%s: making company directories was reported:%s", name,
                 rc_events_text());
}

Test(rules_world, driver_making_its_company_directory_is_clean)
{
    company_dirs_clean(PNPBOX_COMP_KERNEL_DRIVER, RC_DRV, k_make_company_dir, "k_make_company_dir");
}

Test(rules_world, service_making_its_company_directories_is_clean)
{
    company_dirs_clean(PNPBOX_COMP_WIN32_SERVICE, RC_SVC, u_make_company_dirs, "u_make_company_dirs");
}

/* The probes test_corpus.c runs after a fail-fast stop are clean calls, in every mode, for every kind of component. */
Test(rules_world, probes_are_clean)
{
    static const struct {
        pnpbox_component_kind kind;
        const char *comp;
    } who[] = {{PNPBOX_COMP_KERNEL_DRIVER, RC_DRV}, {PNPBOX_COMP_KERNEL_DRIVER, RC_QI},
               {PNPBOX_COMP_WIN32_SERVICE, RC_SVC}, {PNPBOX_COMP_APP, RC_APP}};
    static const pnpbox_mode modes[] = {PNPBOX_MODE_REPORT, PNPBOX_MODE_ENFORCE, PNPBOX_MODE_FAILFAST};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        pnpbox_t_mode(modes[m]);
        for (size_t i = 0; i < sizeof who / sizeof who[0]; i++) {
            rc_case c = {0};
            c.name = who[i].comp;
            c.kind = who[i].kind;
            c.comp = who[i].comp;
            rc_run_as(&c, rc_probe(&c));
            cr_assert(rc_x.after && rc_x.done && rc_x.st == 0, "%s: the probe answered 0x%08x in mode %d",
                      who[i].comp, (unsigned)rc_x.st, (int)modes[m]);
        }
    }
    cr_assert_eq(pnpbox_t_count(NULL, NULL), 0, "the probes were reported:%s", rc_events_text());
    cr_assert(!emu_failfast_stopped(M));
}
