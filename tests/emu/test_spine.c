/*
 * test_spine.c: the machine and its spine: template contents, fresh and
 * directory machines, components, handles, the object namespace, Win32
 * path rules, judging accesses and baselines.
 */
#include "emu/emu.h"
#include "base/pb_utf16.h"
#include "pnpbox/usermode.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <ntstatus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <winerror.h>

static pnpbox_machine *m;

static void setup(void) { cr_assert_eq(pnpbox_machine_new(NULL, &m), 0, "%s", pnpbox_errmsg(NULL)); }
static void teardown(void) { pnpbox_machine_free(m); }

TestSuite(emu_spine, .init = setup, .fini = teardown);

static char *sz_of(const char *path, const char *name)
{
    regdb_key k;
    if (regdb_open_key_u8(m->reg, 0, path, &k) < 0)
        return NULL;
    uint16_t *w = pb_wcs_from_utf8(name), *s = NULL;
    size_t n;
    int rc = regdb_get_sz(m->reg, k, w, &s, &n);
    free(w);
    if (rc < 0)
        return NULL;
    char *u = pb_utf8_from_wcs(s, n);
    free(s);
    return u;
}

Test(emu_spine, fresh_machine_has_the_template)
{
    cr_assert_eq(pnpbox_current(), m);
    regdb_key a, b;
    cr_assert_eq(regdb_open_key_u8(m->reg, 0, "\\Registry\\Machine\\SYSTEM\\CurrentControlSet\\Services", &a), 0);
    cr_assert_eq(regdb_open_key_u8(m->reg, 0, "\\Registry\\Machine\\SYSTEM\\ControlSet001\\Services", &b), 0);
    cr_assert_eq(a, b, "CurrentControlSet links to ControlSet001");
    char *v = sz_of("\\Registry\\Machine\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment",
                    "DriverData");
    cr_assert_str_eq(v, "C:\\Windows\\System32\\Drivers\\DriverData");
    free(v);
    v = sz_of("\\Registry\\Machine\\SYSTEM\\CurrentControlSet\\Control\\Class\\{4d36e97d-e325-11ce-bfc1-08002be10318}",
              "Class");
    cr_assert_str_eq(v, "System");
    free(v);
    v = sz_of("\\Registry\\Machine\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", "CurrentBuild");
    cr_assert_str_eq(v, "26100");
    free(v);
    cr_assert_eq(regdb_open_key_u8(m->reg, 0, "\\Registry\\Machine\\HARDWARE\\DEVICEMAP", &a), 0);
    cr_assert_eq(regdb_open_key_u8(m->reg, 0, "\\Registry\\Machine\\SYSTEM\\ControlSet001\\Enum\\ROOT", &a), 0);
    /* The volume skeleton. */
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/Windows/System32/DriverStore/FileRepository", pnpbox_volume_dir(m));
    cr_assert_eq(stat(p, &st), 0, "%s", p);
    snprintf(p, sizeof p, "%s/Windows/System32/drivers/DriverData", pnpbox_volume_dir(m));
    cr_assert_eq(stat(p, &st), 0, "%s", p);
}

Test(emu_spine, reboot_clears_volatile_and_restores_links)
{
    regdb_key k, ccs;
    cr_assert_eq(regdb_create_key_u8(m->reg, 0, "\\Registry\\Machine\\SYSTEM\\ControlSet001\\Vol",
                                     REGDB_CREATE_VOLATILE, &k),
                 0);
    cr_assert_eq(pnpbox_reboot(m), 0);
    cr_assert_eq(regdb_key_check(m->reg, k), REGDB_E_DELETED);
    cr_assert_eq(regdb_open_key_u8(m->reg, 0, "\\Registry\\Machine\\SYSTEM\\CurrentControlSet\\Services", &ccs), 0);
    cr_assert_eq(regdb_open_key_u8(m->reg, 0, "\\Registry\\Machine\\HARDWARE\\DESCRIPTION", &ccs), 0);
}

Test(emu_spine, embedded_volume_removed_on_free)
{
    pnpbox_machine *m2;
    cr_assert_eq(pnpbox_machine_new(NULL, &m2), 0);
    char *dir = strdup(pnpbox_volume_dir(m2));
    struct stat st;
    cr_assert_eq(stat(dir, &st), 0);
    pnpbox_machine_free(m2);
    cr_assert_neq(stat(dir, &st), 0, "temporary volume is gone");
    cr_assert_null(pnpbox_current(), "the freed machine is no longer current");
    free(dir);
    pnpbox_set_current(m);
}

Test(emu_spine, machine_directory_persists)
{
    char *dir = t_mkdtemp("machine");
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/m1", dir);
    pnpbox_machine_opts o = {.dir = sub};
    pnpbox_machine *d;
    cr_assert_eq(pnpbox_machine_new(&o, &d), 0, "%s", pnpbox_errmsg(NULL));
    regdb_key k;
    cr_assert_eq(regdb_create_key_u8(d->reg, 0, "\\Registry\\Machine\\SOFTWARE\\Contoso", 0, &k), 0);
    pnpbox_machine_free(d);
    cr_assert_eq(pnpbox_machine_new(&o, &d), 0);
    cr_assert_eq(regdb_open_key_u8(d->reg, 0, "\\Registry\\Machine\\SOFTWARE\\Contoso", &k), 0);
    cr_assert_str_eq(pnpbox_machine_dir(d), sub);
    char p[4400];
    struct stat st;
    snprintf(p, sizeof p, "%s/registry.db", sub);
    cr_assert_eq(stat(p, &st), 0);
    snprintf(p, sizeof p, "%s/volume/Windows/INF", sub);
    cr_assert_eq(stat(p, &st), 0);
    pnpbox_machine_free(d);
    /* A file where the registry should be: a clear error. */
    snprintf(sub, sizeof sub, "%s/bad", dir);
    mkdir(sub, 0755);
    snprintf(p, sizeof p, "%s/registry.db", sub);
    FILE *f = fopen(p, "w");
    fputs("not a database", f);
    fclose(f);
    o.dir = sub;
    cr_assert_lt(pnpbox_machine_new(&o, &d), 0);
    cr_assert(strstr(pnpbox_errmsg(NULL), "not a pnpbox registry"), "%s", pnpbox_errmsg(NULL));
    t_rmtree(dir);
    free(dir);
    pnpbox_set_current(m);
}

Test(emu_spine, components)
{
    pnpbox_component *h = pnpbox_current_component();
    cr_assert_eq(pnpbox_component_kind_of(h), PNPBOX_COMP_HARNESS);
    pnpbox_component *d = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "MyDrv");
    cr_assert_not_null(d);
    cr_assert_eq(pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "mydrv"), d, "names ignore case");
    cr_assert_neq(pnpbox_component_get(m, PNPBOX_COMP_WIN32_SERVICE, "MyDrv"), d, "kinds differ");
    pnpbox_component *prev = pnpbox_enter(d);
    cr_assert_eq(pnpbox_current_component(), d);
    pnpbox_enter(prev);
    cr_assert_eq(pnpbox_current_component(), h);
    cr_assert(emu_comp_is(d, W("MYDRV")));
    cr_assert_null(pnpbox_component_get(m, PNPBOX_COMP_APP, ""));
    cr_assert_eq(pnpbox_component_bind_pid(m, d, 4242), 0);
    cr_assert_eq(emu_comp_for_pid(m, 4242), d);
    cr_assert_eq(emu_comp_for_pid(m, 4243), m->external);
}

Test(emu_spine, handles)
{
    emu_handle h = {.type = EMU_H_KEY, .key = 5, .access = 0x20019};
    h.path = strdup("\\REGISTRY\\MACHINE");
    void *v = emu_handle_new(m, &h);
    cr_assert_not_null(v);
    cr_assert_eq((uintptr_t)v % 4, 0);
    emu_handle *e = emu_handle_get(m, v, EMU_H_KEY);
    cr_assert_not_null(e);
    /* Many more handles: the first entry must not move. */
    void *more[300];
    for (int i = 0; i < 300; i++) {
        emu_handle x = {.type = EMU_H_EVENT};
        more[i] = emu_handle_new(m, &x);
    }
    cr_assert_eq(emu_handle_get(m, v, EMU_H_KEY), e);
    cr_assert_eq(e->key, 5);
    cr_assert_null(emu_handle_get(m, v, EMU_H_FILE), "type checked");
    cr_assert_null(emu_handle_get(m, (void *)(uintptr_t)3, 0), "not a multiple of 4");
    cr_assert_null(emu_handle_get(m, NULL, 0));
    cr_assert_null(emu_handle_get(m, (void *)(uintptr_t)0x100000, 0));
    cr_assert_eq(emu_handle_close(m, v), STATUS_SUCCESS);
    cr_assert_eq(emu_handle_close(m, v), STATUS_INVALID_HANDLE);
    cr_assert_eq(emu_handle_count(m, EMU_H_EVENT), 300);
    for (int i = 0; i < 300; i++)
        cr_assert_eq(emu_handle_close(m, more[i]), STATUS_SUCCESS);
    cr_assert_eq(emu_handle_count(m, 0), 0);
}

static emu_status ns(const char *name, emu_ns_path *p)
{
    uint16_t *w = pb_wcs_from_utf8(name);
    emu_status st = emu_ns_resolve(w, pb_wcslen(w), p);
    free(w);
    return st;
}

Test(emu_spine, object_namespace)
{
    emu_ns_path p;
    cr_assert_eq(ns("\\Registry\\Machine\\SYSTEM", &p), STATUS_SUCCESS);
    cr_assert_eq(p.kind, EMU_NS_REGISTRY);
    cr_assert_eq(ns("\\??\\C:\\Windows\\x.txt", &p), STATUS_SUCCESS);
    cr_assert_eq(p.kind, EMU_NS_VOLUME);
    cr_assert_str_eq(p.vpath, "\\Windows\\x.txt");
    emu_ns_free(&p);
    cr_assert_eq(ns("\\DosDevices\\c:\\", &p), STATUS_SUCCESS);
    cr_assert_str_eq(p.vpath, "\\");
    emu_ns_free(&p);
    cr_assert_eq(ns("\\GLOBAL??\\C:", &p), STATUS_SUCCESS);
    cr_assert_str_eq(p.vpath, "\\");
    emu_ns_free(&p);
    cr_assert_eq(ns("\\SystemRoot\\System32\\drivers\\a.sys", &p), STATUS_SUCCESS);
    cr_assert_str_eq(p.vpath, "\\Windows\\System32\\drivers\\a.sys");
    cr_assert(p.via_systemroot);
    emu_ns_free(&p);
    cr_assert_eq(ns("\\driverdata\\Contoso\\log.txt", &p), STATUS_SUCCESS);
    cr_assert_str_eq(p.vpath, "\\Windows\\System32\\Drivers\\DriverData\\Contoso\\log.txt");
    cr_assert(p.via_driverdata);
    emu_ns_free(&p);
    cr_assert_eq(ns("\\Device\\HarddiskVolume3\\ProgramData", &p), STATUS_SUCCESS);
    cr_assert_str_eq(p.vpath, "\\ProgramData");
    emu_ns_free(&p);
    cr_assert_eq(ns("\\??\\D:\\x", &p), STATUS_OBJECT_PATH_NOT_FOUND);
    cr_assert_eq(ns("\\??\\C:x", &p), STATUS_OBJECT_NAME_INVALID);
    cr_assert_eq(ns("relative", &p), STATUS_OBJECT_PATH_SYNTAX_BAD);
    cr_assert_eq(ns("\\Nonexistent\\x", &p), STATUS_OBJECT_PATH_NOT_FOUND);
    cr_assert_eq(ns("\\Device\\HarddiskVolume9\\x", &p), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(ns("\\SystemRootX\\x", &p), STATUS_OBJECT_PATH_NOT_FOUND, "prefix at a component boundary only");
    /* ".." is passed through to the file system, which rejects it there. */
    cr_assert_eq(ns("\\??\\C:\\Windows\\..\\x", &p), STATUS_SUCCESS);
    cr_assert_str_eq(p.vpath, "\\Windows\\..\\x");
    emu_ns_free(&p);
}

static uint32_t w32(const char *path, char **v)
{
    uint16_t *w = pb_wcs_from_utf8(path);
    uint32_t e = emu_win32_to_vpath(w, pb_wcslen(w), v);
    free(w);
    return e;
}

Test(emu_spine, win32_paths)
{
    char *v;
    cr_assert_eq(w32("C:\\Windows\\INF\\x.inf", &v), ERROR_SUCCESS);
    cr_assert_str_eq(v, "\\Windows\\INF\\x.inf");
    free(v);
    cr_assert_eq(w32("c:/ProgramData/./Contoso/../Fabrikam/log.txt", &v), ERROR_SUCCESS);
    cr_assert_str_eq(v, "\\ProgramData\\Fabrikam\\log.txt");
    free(v);
    cr_assert_eq(w32("C:\\..\\..\\Windows", &v), ERROR_SUCCESS, "'..' stops at the root");
    cr_assert_str_eq(v, "\\Windows");
    free(v);
    cr_assert_eq(w32("C:\\Temp\\name. . ", &v), ERROR_SUCCESS, "trailing dots and spaces are stripped");
    cr_assert_str_eq(v, "\\Temp\\name");
    free(v);
    cr_assert_eq(w32("\\\\?\\C:\\Temp\\name.", &v), ERROR_SUCCESS, "verbatim paths are kept");
    cr_assert_str_eq(v, "\\Temp\\name.");
    free(v);
    cr_assert_eq(w32("log.txt", &v), ERROR_SUCCESS);
    cr_assert_str_eq(v, "\\Windows\\System32\\log.txt");
    free(v);
    cr_assert_eq(w32("C:\\", &v), ERROR_SUCCESS);
    cr_assert_str_eq(v, "\\");
    free(v);
    cr_assert_eq(w32("D:\\x", &v), ERROR_PATH_NOT_FOUND);
    cr_assert_eq(w32("\\\\server\\share\\x", &v), ERROR_BAD_NETPATH);
    char *w = emu_vpath_to_win32("\\Windows\\x");
    cr_assert_str_eq(w, "C:\\Windows\\x");
    free(w);
    w = emu_vpath_to_win32("\\");
    cr_assert_str_eq(w, "C:\\");
    free(w);
}

static int judge(pnpbox_component *c, emu_access *a, const char *expect)
{
    emu_verdict v;
    a->comp = c;
    emu_judge(m, a, &v);
    char got[256] = "";
    for (int i = 0; i < v.n; i++) {
        if (i)
            strcat(got, " ");
        strcat(got, v.rules[i]->id);
    }
    cr_expect_str_eq(got, expect, "%s %s", a->api, a->path ? a->path : "");
    return v.deny;
}

Test(emu_spine, registry_rules)
{
    pnpbox_component *d = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "mydrv");
    emu_prov approved = {.api = "IoOpenDriverRegistryKey", .sel = "DriverRegKeyPersistentState", .approved = 1};
    emu_prov absolute = {.api = "absolute"};
    emu_access a = {.api = "ZwOpenKey", .kind = EMU_ACC_REG, .op = EMU_OP_OPEN, .absolute = 1,
                    .path = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\mydrv\\Parameters"};
    judge(d, &a, "REG-ABSOLUTE-PATH");
    a.path = "\\REGISTRY\\MACHINE\\HARDWARE\\DESCRIPTION";
    judge(d, &a, "");
    a.write = 1;
    judge(d, &a, "REG-ABSOLUTE-PATH");
    emu_access q = {.api = "ZwSetValueKey", .kind = EMU_ACC_REG, .op = EMU_OP_SET, .prov = &absolute, .write = 1,
                    .path = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\mydrv\\Parameters",
                    .value = "Count"};
    judge(d, &q, "REG-FOREIGN-HANDLE REG-IMMUTABLE-WRITE");
    q.prov = &approved;
    q.path = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\mydrv\\State";
    judge(d, &q, "");
    q.path = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\otherdrv\\State";
    judge(d, &q, "REG-CROSS-COMPONENT");
    /* The harness and the installer are never judged. */
    q.path = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\mydrv\\Parameters";
    judge(m->installer, &q, "");
    judge(m->harness, &a, "");
    /* Enforce mode denies errors. */
    pnpbox_set_mode(m, PNPBOX_MODE_ENFORCE);
    cr_assert_eq(judge(d, &q, "REG-IMMUTABLE-WRITE"), 1);
    pnpbox_set_mode(m, PNPBOX_MODE_REPORT);
    cr_assert_eq(judge(d, &q, "REG-IMMUTABLE-WRITE"), 0);
}

Test(emu_spine, file_rules)
{
    pnpbox_component *d = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "mydrv");
    emu_prov data = {.api = "IoGetDriverDirectory", .sel = "DriverDirectoryData", .approved = 1,
                     .scope = EMU_SCOPE_DRIVER_DATA};
    emu_prov image = {.api = "IoGetDriverDirectory", .sel = "DriverDirectoryImage", .approved = 1,
                      .scope = EMU_SCOPE_DRIVER_IMAGE};
    emu_access a = {.api = "ZwCreateFile", .kind = EMU_ACC_FILE, .op = EMU_OP_CREATE, .absolute = 1, .write = 1,
                    .creates = 1, .path = "\\Windows\\System32\\drivers\\mydrv.log"};
    judge(d, &a, "FILE-ABSOLUTE-PATH FILE-OUTSIDE-STATE");
    a.absolute = 0;
    a.prov = &data;
    a.path = "\\Windows\\ServiceState\\mydrv\\Data\\state.bin";
    judge(d, &a, "");
    a.prov = &image;
    a.path = "\\Windows\\System32\\DriverStore\\FileRepository\\mydrv.inf_amd64_0123456789abcdef\\cache.bin";
    judge(d, &a, "FILE-DRIVER-STORE-WRITE");
    a.write = 0, a.creates = 0;
    judge(d, &a, "");
    a.prov = NULL, a.absolute = 1, a.write = 1, a.creates = 1;
    a.path = "\\Windows\\System32\\Drivers\\DriverData\\mydrv.log";
    judge(d, &a, "FILE-DRIVERDATA-ROOT");
    a.path = "\\Windows\\System32\\Drivers\\DriverData\\Contoso\\mydrv.log";
    judge(d, &a, "");
    a.path = "\\Windows\\ServiceState\\otherdrv\\Data\\x";
    judge(d, &a, "FILE-ABSOLUTE-PATH FILE-OUTSIDE-STATE FILE-CROSS-COMPONENT");
    /* A user-mode service may name its own state directory and ProgramData by path. */
    pnpbox_component *s = pnpbox_component_get(m, PNPBOX_COMP_WIN32_SERVICE, "mysvc");
    a.path = "\\Windows\\ServiceState\\mysvc\\Data\\x";
    judge(s, &a, "");
    a.path = "\\ProgramData\\Contoso\\x";
    judge(s, &a, "");
    a.path = "\\ProgramData\\x";
    judge(s, &a, "FILE-DRIVERDATA-ROOT");
    /* Stale store folders after an update. */
    m->stale_dirs = malloc(sizeof(char *));
    m->stale_dirs[0] = strdup("\\Windows\\System32\\DriverStore\\FileRepository\\old.inf_amd64_1111111111111111");
    m->nstale = 1;
    a.write = 0, a.creates = 0, a.absolute = 0, a.prov = &image;
    a.path = "\\Windows\\System32\\DriverStore\\FileRepository\\old.inf_amd64_1111111111111111\\x.bin";
    judge(d, &a, "UPDATE-STALE-PATH");
}

Test(emu_spine, baseline_suppresses_with_justification)
{
    char err[256];
    cr_assert_eq(pnpbox_baseline_load(m, "# legacy\nREG-ABSOLUTE-PATH component=my* path=*\\Parameters reads its "
                                         "config the old way until v2\n",
                                      err, sizeof err),
                 0, "%s", err);
    pnpbox_component *d = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "mydrv");
    emu_access a = {.api = "ZwOpenKey", .kind = EMU_ACC_REG, .op = EMU_OP_OPEN, .absolute = 1, .comp = d,
                    .path = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\mydrv\\Parameters"};
    emu_verdict v;
    emu_judge(m, &a, &v);
    cr_assert_eq(v.n, 1);
    cr_assert_eq(v.suppressed[0], 1);
    cr_assert_eq(v.outcome, PNPBOX_OUTCOME_SUPPRESSED);
    emu_record(m, &a, &v, STATUS_SUCCESS);
    const pnpbox_event *e = pnpbox_event_get(m, pnpbox_event_count(m) - 1);
    cr_assert_str_eq(e->justification, "reads its config the old way until v2");
    cr_assert_str_eq(e->rules, "REG-ABSOLUTE-PATH");
    cr_assert_str_eq(e->component, "mydrv");
    cr_assert_str_eq(e->origin, "absolute");
    /* A path the glob does not match is reported. */
    a.path = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\mydrv\\State";
    emu_judge(m, &a, &v);
    cr_assert_eq(v.outcome, PNPBOX_OUTCOME_REPORTED);
    cr_assert_eq(pnpbox_baseline_load(m, "NO-SUCH-RULE because\n", err, sizeof err), -EINVAL);
    cr_assert(strstr(err, "unknown rule 'NO-SUCH-RULE'"), "%s", err);
    cr_assert_eq(pnpbox_baseline_load(m, "FILE-ABSOLUTE-PATH\n", err, sizeof err), -EINVAL);
    cr_assert(strstr(err, "no justification"), "%s", err);
}

Test(emu_spine, rule_catalog)
{
    cr_assert_eq(pnpbox_rule_count(), 13);
    for (size_t i = 0; i < pnpbox_rule_count(); i++) {
        const pnpbox_rule *r = pnpbox_rule_at(i);
        cr_assert(r->id && r->title && r->explanation && r->alternative && r->before && r->after && r->reference);
        cr_assert(!strcmp(r->severity, "error") || !strcmp(r->severity, "warning"));
        cr_assert_eq(pnpbox_rule_find(r->id), r);
    }
    cr_assert_not_null(pnpbox_rule_find("reg-absolute-path"));
    cr_assert_null(pnpbox_rule_find("NOPE"));
    cr_assert_null(pnpbox_rule_at(13));
}

Test(emu_spine, status_translation)
{
    cr_assert_eq(emu_status_from_regdb(REGDB_E_NOTFOUND), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(emu_status_from_regdb(REGDB_E_DELETED), STATUS_KEY_DELETED);
    cr_assert_eq(emu_status_from_regdb(REGDB_E_VOLATILE), STATUS_CHILD_MUST_BE_VOLATILE);
    cr_assert_eq(emu_status_from_boxfs(BOXFS_E_PATHNOTFOUND), STATUS_OBJECT_PATH_NOT_FOUND);
    cr_assert_eq(emu_status_from_boxfs(BOXFS_E_ROFS), STATUS_ACCESS_DENIED);
    cr_assert_eq(emu_win32_from_status(STATUS_OBJECT_NAME_NOT_FOUND), ERROR_FILE_NOT_FOUND);
    cr_assert_eq(emu_win32_from_status(STATUS_BUFFER_OVERFLOW), ERROR_MORE_DATA);
    cr_assert_str_eq(emu_status_name(STATUS_ACCESS_DENIED), "STATUS_ACCESS_DENIED");
    cr_assert_str_eq(emu_status_name((emu_status)0xC0FFEE00u), "0xC0FFEE00");
    cr_assert_str_eq(emu_status_name(STATUS_WDF_PARENT_NOT_SPECIFIED), "STATUS_WDF_PARENT_NOT_SPECIFIED");
    cr_assert_str_eq(emu_status_name(STATUS_DRIVER_INTERNAL_ERROR), "STATUS_DRIVER_INTERNAL_ERROR");
}

Test(emu_spine, fault_injection_is_deterministic)
{
    emu_status st = 0;
    cr_assert_eq(emu_fault(m, "ZwOpenKey", &st), 0, "no rules, no faults");
    cr_assert_eq(pnpbox_fault_add(m, "ZwOpenKey", 2, 0), 0);
    cr_assert_eq(emu_fault(m, "ZwOpenKey", &st), 0);
    cr_assert_eq(emu_fault(m, "zwopenkey", &st), 1, "the second call fails");
    cr_assert_eq(st, STATUS_INSUFFICIENT_RESOURCES);
    cr_assert_eq(emu_fault(m, "ZwOpenKey", &st), 0, "only the nth");
    cr_assert_eq(pnpbox_fault_parse(m, "ZwCreateFile:1:STATUS_DISK_FULL"), 0);
    cr_assert_eq(emu_fault(m, "ZwCreateFile", &st), 1);
    cr_assert_eq(st, STATUS_DISK_FULL);
    cr_assert_eq(pnpbox_fault_parse(m, "*:3:0xC0000017"), 0);
    cr_assert_eq(emu_fault(m, "A", &st), 0);
    cr_assert_eq(emu_fault(m, "B", &st), 0);
    cr_assert_eq(emu_fault(m, "C", &st), 1);
    cr_assert_eq(st, STATUS_NO_MEMORY);
    cr_assert_eq(pnpbox_fault_parse(m, "x"), -EINVAL);
    cr_assert_eq(pnpbox_fault_parse(m, "x:0"), -EINVAL);
    cr_assert_eq(pnpbox_fault_parse(m, "x:1:STATUS_NO_SUCH_THING"), -EINVAL);
    cr_assert_eq(pnpbox_fault_parse(m, ":1"), -EINVAL);
    cr_assert_gt(pnpbox_log_count(m), 0, "injections are logged");
}

Test(emu_spine, checking_off_neither_judges_nor_records)
{
    pnpbox_component *d = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "mydrv");
    emu_access a = {.api = "ZwOpenKey", .kind = EMU_ACC_REG, .op = EMU_OP_OPEN, .absolute = 1, .comp = d,
                    .path = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\mydrv\\Parameters"};
    size_t before = pnpbox_event_count(m);
    cr_assert_eq(pnpbox_set_checking(m, 0), 1, "checking starts on");
    emu_verdict v;
    memset(&v, 0xde, sizeof v);
    emu_judge(m, &a, &v);
    cr_assert_eq(v.n, 0);
    cr_assert_eq(v.outcome, PNPBOX_OUTCOME_ALLOWED);
    emu_record(m, &a, &v, 0);
    cr_assert_eq(pnpbox_event_count(m), before, "nothing recorded while off");
    /* enforce mode denies nothing while checking is off */
    pnpbox_set_mode(m, PNPBOX_MODE_ENFORCE);
    emu_judge(m, &a, &v);
    cr_assert_eq(v.outcome, PNPBOX_OUTCOME_ALLOWED);
    cr_assert_eq(pnpbox_set_checking(m, 1), 0);
    emu_judge(m, &a, &v);
    cr_assert_eq(v.outcome, PNPBOX_OUTCOME_DENIED);
    emu_record(m, &a, &v, 0);
    cr_assert_eq(pnpbox_event_count(m), before + 1);
    cr_assert_eq(pnpbox_set_checking(NULL, 1), 0, "NULL machine is ignored");
}

Test(emu_spine, embedded_volume_is_scratch_under_pnpbox_tmpdir_or_shm)
{
    const char *vol = pnpbox_volume_dir(m);
    cr_assert_not_null(vol);
    const char *env = getenv("PNPBOX_TMPDIR");
    if (env && *env)
        cr_assert(!strncmp(vol, env, strlen(env)), "'%s' is not under PNPBOX_TMPDIR '%s'", vol, env);
    cr_assert(strstr(vol, "/pnpbox-vol-"), "%s", vol);
    struct stat st;
    cr_assert_eq(stat(vol, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    cr_assert_eq(st.st_mode & 0777, 0700, "a fresh volume is private to its user");
}

Test(emu_spine, machine_directory_reloads_stale_store_folders)
{
    char *dir = t_mkdtemp("machine");
    pnpbox_machine_opts o = {.dir = dir};
    pnpbox_machine *d;
    cr_assert_eq(pnpbox_machine_new(&o, &d), 0, "%s", pnpbox_errmsg(NULL));
    cr_assert_eq(d->nstale, 0);
    /* what an update in another process leaves: the old package marked superseded */
    regdb_key k;
    cr_assert_eq(regdb_create_key_u8(d->reg, 0,
                                     "\\Registry\\Machine\\SYSTEM\\DriverDatabase\\DriverPackages\\"
                                     "mydrv.inf_amd64_0123456789abcdef",
                                     0, &k),
                 0);
    cr_assert_eq(regdb_set_dword(d->reg, k, (const uint16_t *)L"Superseded", 1), 0);
    cr_assert_eq(regdb_create_key_u8(d->reg, 0,
                                     "\\Registry\\Machine\\SYSTEM\\DriverDatabase\\DriverPackages\\"
                                     "mydrv.inf_amd64_fedcba9876543210",
                                     0, &k),
                 0);
    pnpbox_machine_free(d);
    cr_assert_eq(pnpbox_machine_new(&o, &d), 0, "%s", pnpbox_errmsg(NULL));
    cr_assert_eq(d->nstale, 1, "only the superseded package is stale");
    cr_assert_str_eq(d->stale_dirs[0],
                     "\\Windows\\System32\\DriverStore\\FileRepository\\mydrv.inf_amd64_0123456789abcdef");
    pnpbox_machine_free(d);
    t_rmtree(dir);
    free(dir);
    pnpbox_set_current(m);
}

static void *current_name(void *arg)
{
    (void)arg;
    pnpbox_component *c = pnpbox_current_component();
    return (void *)(c ? pnpbox_component_name(c) : NULL);
}

Test(emu_spine, process_component_covers_new_threads)
{
    pnpbox_component *svc = pnpbox_component_get(m, PNPBOX_COMP_WIN32_SERVICE, "ContosoSvc");
    emu_set_process_component(svc);
    pthread_t t;
    void *name = NULL;
    cr_assert_eq(pthread_create(&t, NULL, current_name, NULL), 0);
    pthread_join(t, &name);
    cr_assert_str_eq((const char *)name, "ContosoSvc", "a thread the program made runs as the process's component");
    /* a thread that entered another component keeps it */
    pnpbox_component *prev = pnpbox_enter(m->installer);
    cr_assert_eq(pnpbox_current_component(), m->installer);
    pnpbox_enter(prev);
    emu_set_process_component(NULL);
    cr_assert_eq(pthread_create(&t, NULL, current_name, NULL), 0);
    pthread_join(t, &name);
    cr_assert_str_eq((const char *)name, "harness");
    /* freeing the machine forgets its process component */
    emu_set_process_component(svc);
    pnpbox_machine_free(m);
    m = NULL;
    cr_assert_eq(pnpbox_machine_new(NULL, &m), 0);
    cr_assert_eq(pnpbox_current_component(), m->harness);
}

Test(emu_spine, fuse_callers_bound_by_another_process)
{
    char *dir = t_mkdtemp("machine");
    pnpbox_machine_opts o = {.dir = dir};
    pnpbox_machine *runner, *mounter;
    cr_assert_eq(pnpbox_machine_new(&o, &runner), 0, "%s", pnpbox_errmsg(NULL));
    cr_assert_eq(pnpbox_machine_new(&o, &mounter), 0, "%s", pnpbox_errmsg(NULL));
    /* what `pnpbox run --service ContosoSvc` records for its child, pid 4242 */
    pnpbox_component *svc = pnpbox_component_get(runner, PNPBOX_COMP_WIN32_SERVICE, "ContosoSvc");
    cr_assert_eq(pnpbox_um_bind_process(runner, svc, 4242), 0);
    pnpbox_component *seen = emu_comp_for_pid(mounter, 4242);
    cr_assert_eq(pnpbox_component_kind_of(seen), PNPBOX_COMP_WIN32_SERVICE);
    cr_assert_str_eq(pnpbox_component_name(seen), "ContosoSvc");
    cr_assert_eq(emu_comp_for_pid(mounter, 4243), mounter->external, "an unknown process is external");
    cr_assert_eq(pnpbox_um_unbind_process(runner, 4242), 0);
    cr_assert_eq(emu_comp_for_pid(mounter, 4242), mounter->external, "the binding ends with the program");
    pnpbox_machine_free(mounter);
    pnpbox_machine_free(runner);
    t_rmtree(dir);
    free(dir);
    pnpbox_set_current(m);
}

/* ---------------------------------------------------------------- one outcome per rule, baseline paths */

#include <sqlite3.h>

/* rcdrv-style legacy log: an absolute create in System32\drivers breaks two rules in one call. */
static emu_access two_rule_write(pnpbox_component *d)
{
    emu_access a = {.api = "ZwCreateFile", .kind = EMU_ACC_FILE, .op = EMU_OP_CREATE, .absolute = 1, .comp = d,
                    .write = 1, .creates = 1, .path = "\\Windows\\System32\\drivers\\mydrv.log"};
    return a;
}

static const pnpbox_event *judge_and_record(emu_access *a, emu_status st)
{
    emu_verdict v;
    emu_judge(m, a, &v);
    emu_record(m, a, &v, st);
    return pnpbox_event_get(m, pnpbox_event_count(m) - 1);
}

static const pnpbox_event_finding *finding_of(const pnpbox_event *e, const char *rule)
{
    for (size_t i = 0; i < e->nfindings; i++)
        if (!strcmp(e->findings[i].rule, rule))
            return &e->findings[i];
    cr_assert_fail("the event [%s] has no finding for %s", e->rules, rule);
    return NULL;
}

Test(emu_spine, baseline_suppresses_one_rule_of_a_call_and_keeps_the_other)
{
    char err[256];
    cr_assert_eq(pnpbox_baseline_load(m, "FILE-OUTSIDE-STATE component=mydrv the log moves in 2.0\n"
                                         "FILE-ABSOLUTE-PATH component=otherdrv not this driver\n",
                                      err, sizeof err),
                 0, "%s", err);
    pnpbox_component *d = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "mydrv");
    emu_access a = two_rule_write(d);
    const pnpbox_event *e = judge_and_record(&a, STATUS_SUCCESS);
    cr_assert_str_eq(e->rules, "FILE-ABSOLUTE-PATH FILE-OUTSIDE-STATE");
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_REPORTED, "one rule is still broken: the access is reported");
    cr_assert_eq(e->nfindings, 2);
    cr_assert_str_eq(e->findings[0].rule, "FILE-ABSOLUTE-PATH", "in the order of rules");
    cr_assert_str_eq(e->findings[1].rule, "FILE-OUTSIDE-STATE");
    const pnpbox_event_finding *abs = finding_of(e, "FILE-ABSOLUTE-PATH"), *out = finding_of(e, "FILE-OUTSIDE-STATE");
    cr_assert_eq(abs->outcome, PNPBOX_OUTCOME_REPORTED);
    cr_assert_null(abs->justification, "another component's entry does not justify it");
    cr_assert_eq(out->outcome, PNPBOX_OUTCOME_SUPPRESSED);
    cr_assert_str_eq(out->justification, "the log moves in 2.0");
    cr_assert_str_eq(e->justification, "the log moves in 2.0", "the event's justification: its suppressed rule's");

    /* In enforce mode the unsuppressed error denies the call; the suppressed rule stays suppressed. */
    pnpbox_set_mode(m, PNPBOX_MODE_ENFORCE);
    e = judge_and_record(&a, STATUS_ACCESS_DENIED);
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_DENIED);
    cr_assert_eq(finding_of(e, "FILE-ABSOLUTE-PATH")->outcome, PNPBOX_OUTCOME_DENIED);
    cr_assert_eq(finding_of(e, "FILE-OUTSIDE-STATE")->outcome, PNPBOX_OUTCOME_SUPPRESSED);
}

Test(emu_spine, each_suppressed_rule_carries_its_own_justification)
{
    char err[256];
    cr_assert_eq(pnpbox_baseline_load(m, "FILE-OUTSIDE-STATE component=mydrv the log moves in 2.0\n"
                                         "FILE-ABSOLUTE-PATH component=mydrv the path comes from the INF until 2.0\n",
                                      err, sizeof err),
                 0, "%s", err);
    pnpbox_component *d = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "mydrv");
    emu_access a = two_rule_write(d);
    const pnpbox_event *e = judge_and_record(&a, STATUS_SUCCESS);
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_SUPPRESSED);
    cr_assert_str_eq(finding_of(e, "FILE-ABSOLUTE-PATH")->justification, "the path comes from the INF until 2.0");
    cr_assert_str_eq(finding_of(e, "FILE-OUTSIDE-STATE")->justification, "the log moves in 2.0");
    /* An access that breaks nothing has no findings. */
    a.path = "\\Windows\\ServiceState\\mydrv\\Data\\x.log";
    a.absolute = 0;
    emu_prov data = {.api = "IoGetDriverDirectory", .sel = "DriverDirectoryData", .approved = 1,
                     .scope = EMU_SCOPE_DRIVER_DATA};
    a.prov = &data;
    e = judge_and_record(&a, STATUS_SUCCESS);
    cr_assert_str_eq(e->rules, "", "%s", e->rules);
    cr_assert_eq(e->nfindings, 0);
    cr_assert_null(e->findings);
}

/* A machine directory's audit keeps each rule's outcome and justification, in a table an older pnpbox made too. */
Test(emu_spine, persisted_audit_keeps_each_rule_outcome)
{
    char *dir = t_mkdtemp("machine");
    pnpbox_machine_opts o = {.dir = dir};
    pnpbox_machine *old;
    cr_assert_eq(pnpbox_machine_new(&o, &old), 0, "%s", pnpbox_errmsg(NULL));
    /* The audit table as pnpbox made it before per-rule findings. */
    cr_assert_eq(sqlite3_exec(regdb_sqlite(old->reg), "ALTER TABLE audit DROP COLUMN findings", NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(regdb_sqlite(old->reg)));
    pnpbox_machine_free(old);

    for (int round = 0; round < 2; round++) {
        pnpbox_machine *w;
        cr_assert_eq(pnpbox_machine_new(&o, &w), 0, "%s", pnpbox_errmsg(NULL));
        char err[256];
        cr_assert_eq(pnpbox_baseline_load(w, "FILE-OUTSIDE-STATE component=mydrv the log moves in 2.0\n", err,
                                          sizeof err),
                     0, "%s", err);
        emu_access a = two_rule_write(pnpbox_component_get(w, PNPBOX_COMP_KERNEL_DRIVER, "mydrv"));
        emu_verdict v;
        emu_judge(w, &a, &v);
        emu_record(w, &a, &v, STATUS_SUCCESS);
        pnpbox_machine_free(w);
    }

    pnpbox_machine *r;
    cr_assert_eq(pnpbox_machine_new(&o, &r), 0, "%s", pnpbox_errmsg(NULL));
    int n = pnpbox_audit_load(r, 0);
    cr_assert_geq(n, 2, "%d events loaded", n);
    int seen = 0;
    for (size_t i = 0; i < pnpbox_event_count(r); i++) {
        const pnpbox_event *e = pnpbox_event_get(r, i);
        if (strcmp(e->rules, "FILE-ABSOLUTE-PATH FILE-OUTSIDE-STATE"))
            continue;
        seen++;
        cr_assert_eq(e->outcome, PNPBOX_OUTCOME_REPORTED);
        cr_assert_eq(e->nfindings, 2);
        cr_assert_str_eq(e->findings[0].rule, "FILE-ABSOLUTE-PATH");
        cr_assert_eq(e->findings[0].outcome, PNPBOX_OUTCOME_REPORTED);
        cr_assert_null(e->findings[0].justification);
        cr_assert_str_eq(e->findings[1].rule, "FILE-OUTSIDE-STATE");
        cr_assert_eq(e->findings[1].outcome, PNPBOX_OUTCOME_SUPPRESSED);
        cr_assert_str_eq(e->findings[1].justification, "the log moves in 2.0");
        cr_assert_str_eq(e->justification, "the log moves in 2.0");
    }
    cr_assert_eq(seen, 2, "both processes' events are in the log");
    pnpbox_machine_free(r);
    t_rmtree(dir);
    free(dir);
    pnpbox_set_current(m);
}

/* Another connection to a machine directory's registry, as `pnpbox audit` in another process has. */
static sqlite3 *audit_reader(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/registry.db", dir);
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK, "%s", path);
    return db;
}

/* Counts in the audit table, in event order. */
static int table_counts(sqlite3 *db, int64_t *out, int cap)
{
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count FROM audit ORDER BY seq", -1, &s, NULL), SQLITE_OK, "%s",
                 sqlite3_errmsg(db));
    int n = 0;
    while (sqlite3_step(s) == SQLITE_ROW && n < cap)
        out[n++] = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

static void record_as(pnpbox_machine *w, emu_access *a)
{
    emu_verdict v;
    emu_judge(w, a, &v);
    emu_record(w, a, &v, STATUS_SUCCESS);
}

/*
 * A repeated access folds into its event, and in a machine directory the
 * new count reaches the audit table in batches (audit.c): the first repeat
 * after a quiet interval at once, the rest at the latest when the table is
 * read back (pnpbox_audit_load) or the machine is freed.
 */
Test(emu_spine, folded_counts_reach_the_machine_directory)
{
    char *dir = t_mkdtemp("machine");
    pnpbox_machine_opts o = {.dir = dir};
    pnpbox_machine *w;
    cr_assert_eq(pnpbox_machine_new(&o, &w), 0, "%s", pnpbox_errmsg(NULL));
    sqlite3 *r = audit_reader(dir);
    emu_fold *fold = calloc(1, sizeof *fold); /* the memo a handle has */
    emu_access a = two_rule_write(pnpbox_component_get(w, PNPBOX_COMP_KERNEL_DRIVER, "mydrv"));
    a.fold = fold;
    int64_t c[4];
    record_as(w, &a);
    cr_assert_eq(table_counts(r, c, 4), 1);
    cr_assert_eq(c[0], 1, "the event is written when it happens");
    record_as(w, &a);
    cr_assert_eq(pnpbox_event_count(w), 1, "a repeat folds");
    cr_assert_eq(table_counts(r, c, 4), 1);
    cr_assert_eq(c[0], 2, "the first repeat after a quiet interval is written at once");
    for (int i = 0; i < 3; i++)
        record_as(w, &a);
    cr_assert_eq(pnpbox_event_get(w, 0)->count, 5);
    cr_assert_eq(pnpbox_audit_load(w, 0), 1);
    cr_assert_eq(table_counts(r, c, 4), 1);
    cr_assert_eq(c[0], 5, "pending counts are written before the table is read back");
    cr_assert_eq(pnpbox_event_get(w, 1)->count, 5, "and the copy read back has them");
    for (int i = 0; i < 3; i++)
        record_as(w, &a);
    pnpbox_machine_free(w);
    cr_assert_eq(table_counts(r, c, 4), 1);
    cr_assert_eq(c[0], 8, "pending counts are written when the machine is freed");
    sqlite3_close(r);
    free(fold);
    t_rmtree(dir);
    free(dir);
    pnpbox_set_current(m);
}

/* At most 64 folded events wait for their counts to be written: the 65th writes them. */
Test(emu_spine, folded_counts_wait_in_batches_of_64)
{
    enum { N = 70 };
    char *dir = t_mkdtemp("machine");
    pnpbox_machine_opts o = {.dir = dir};
    pnpbox_machine *w;
    cr_assert_eq(pnpbox_machine_new(&o, &w), 0, "%s", pnpbox_errmsg(NULL));
    sqlite3 *r = audit_reader(dir);
    emu_fold *folds = calloc(N, sizeof *folds); /* N handles, one access each */
    emu_access a[N];
    for (int i = 0; i < N; i++) {
        a[i] = two_rule_write(pnpbox_component_get(w, PNPBOX_COMP_KERNEL_DRIVER, "mydrv"));
        a[i].fold = &folds[i];
        record_as(w, &a[i]);
    }
    for (int i = 0; i < N; i++)
        record_as(w, &a[i]);
    cr_assert_eq(pnpbox_event_count(w), N);
    int64_t c[N + 1];
    cr_assert_eq(table_counts(r, c, N + 1), N);
    int written = 0;
    for (int i = 0; i < N; i++) {
        cr_assert(c[i] == 1 || c[i] == 2, "event %d: count %lld", i, (long long)c[i]);
        written += c[i] == 2;
    }
    /* The first repeat at once, the next 64 when the 66th arrives; the last 5 may wait (or not,
     * when 100 ms pass in between). */
    cr_assert_geq(written, 65, "%d of %d counts written", written, N);
    pnpbox_machine_free(w);
    cr_assert_eq(table_counts(r, c, N + 1), N);
    for (int i = 0; i < N; i++)
        cr_assert_eq(c[i], 2, "event %d: count %lld after free", i, (long long)c[i]);
    sqlite3_close(r);
    free(folds);
    t_rmtree(dir);
    free(dir);
    pnpbox_set_current(m);
}

static int suppressed_by(const char *baseline, emu_access *a)
{
    char err[256];
    cr_assert_eq(pnpbox_baseline_load(m, baseline, err, sizeof err), 0, "%s: %s", baseline, err);
    emu_verdict v;
    emu_judge(m, a, &v);
    cr_assert_gt(v.n, 0, "the access breaks no rule");
    return v.outcome == PNPBOX_OUTCOME_SUPPRESSED;
}

/* A baseline path is written as reports print it: C:\Windows\... for files, \REGISTRY\... for keys. */
Test(emu_spine, baseline_paths_as_reports_print_them)
{
    pnpbox_component *d = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "mydrv");
    emu_access f = {.api = "ZwCreateFile", .kind = EMU_ACC_FILE, .op = EMU_OP_OPEN, .absolute = 1, .comp = d,
                    .path = "\\Windows\\System32\\drivers\\mydrv.ini"};
    cr_assert(suppressed_by("FILE-ABSOLUTE-PATH path=C:\\Windows\\System32\\drivers\\mydrv.ini legacy\n", &f));
    cr_assert(suppressed_by("FILE-ABSOLUTE-PATH path=c:\\windows\\system32\\DRIVERS\\* legacy\n", &f),
              "case-insensitive");
    cr_assert(suppressed_by("FILE-ABSOLUTE-PATH path=\\Windows\\System32\\drivers\\mydrv.ini legacy\n", &f),
              "the volume form still matches");
    cr_assert(suppressed_by("FILE-ABSOLUTE-PATH path=*\\mydrv.ini legacy\n", &f));
    cr_assert(!suppressed_by("FILE-ABSOLUTE-PATH path=D:\\Windows\\System32\\drivers\\mydrv.ini legacy\n", &f),
              "another drive is another file");
    cr_assert(!suppressed_by("FILE-ABSOLUTE-PATH path=C:\\Windows\\System32\\mydrv.ini legacy\n", &f));
    /* Registry paths match as printed, never in a C: form. */
    emu_access k = {.api = "ZwOpenKey", .kind = EMU_ACC_REG, .op = EMU_OP_OPEN, .absolute = 1, .comp = d,
                    .path = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\mydrv\\Parameters"};
    cr_assert(suppressed_by("REG-ABSOLUTE-PATH path=\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\mydrv\\"
                            "Parameters legacy\n",
                            &k));
    cr_assert(!suppressed_by("REG-ABSOLUTE-PATH path=C:\\REGISTRY\\* legacy\n", &k));
    /* The justification of a path entry is found the same way (the event's and the report's). */
    cr_assert_eq(pnpbox_baseline_load(m, "FILE-* path=C:\\Windows\\System32\\drivers\\* from the INF\n", NULL, 0), 0);
    const pnpbox_event *e = judge_and_record(&f, STATUS_SUCCESS);
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_SUPPRESSED);
    cr_assert_str_eq(e->justification, "from the INF");
    cr_assert_str_eq(e->path, "C:\\Windows\\System32\\drivers\\mydrv.ini");
}

/* Quoted globs hold spaces; bad quoting is a clear error that leaves the baseline as it was. */
Test(emu_spine, baseline_quoted_globs)
{
    pnpbox_component *d = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "mydrv");
    emu_access k = {.api = "ZwOpenKey", .kind = EMU_ACC_REG, .op = EMU_OP_OPEN, .absolute = 1, .comp = d,
                    .path = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Enum\\ROOT\\MY\\0000\\Device Parameters"};
    cr_assert(suppressed_by("REG-ABSOLUTE-PATH path=\"*\\Device Parameters\" read by the old tool\n", &k));
    cr_assert(suppressed_by("REG-ABSOLUTE-PATH component=\"my*\" path=\"*\\Device Parameters\" old tool\n", &k));
    cr_assert(suppressed_by("REG-ABSOLUTE-PATH path=\"*\\Device Parameters\"\tcomponent=\"mydrv\"\told tool\n", &k));
    cr_assert(!suppressed_by("REG-ABSOLUTE-PATH path=\"*\\Device Settings\" old tool\n", &k));
    /* The justification starts after the last field, quotes and all. */
    cr_assert_eq(pnpbox_baseline_load(m, "REG-* path=\"*\\Device Parameters\" the \"old\" tool\n", NULL, 0), 0);
    const pnpbox_event *e = judge_and_record(&k, STATUS_SUCCESS);
    cr_assert_str_eq(e->justification, "the \"old\" tool");

    static const struct {
        const char *line, *err;
    } bad[] = {
        {"REG-* path=\"*\\Device Parameters old tool\n", "line 1: path=\"*\\Device Parameters old tool has no closing quote"},
        {"REG-* path=\"*\\Device\"Parameters old tool\n", "line 1: path=\"...\" is followed by 'P'"},
        {"# c\nREG-* component= old tool\n", "line 2: component= is empty"},
        {"REG-* path=\"\" old tool\n", "line 1: path= is empty"},
        {"REG-* path=a path=b old tool\n", "line 1: path= is given twice"},
        {"REG-* path=\"*\\Device Parameters\"\n", "line 1: suppression of REG-* has no justification"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        cr_assert_eq(pnpbox_baseline_load(m, bad[i].line, err, sizeof err), -EINVAL, "%s", bad[i].line);
        cr_assert(!strncmp(err, bad[i].err, strlen(bad[i].err)), "'%s' gave '%s'", bad[i].line, err);
        cr_assert_eq(pnpbox_baseline_load(m, bad[i].line, NULL, 0), -EINVAL, "no error buffer");
    }
    /* The last good baseline is still in force. */
    e = judge_and_record(&k, STATUS_SUCCESS);
    cr_assert_eq(e->outcome, PNPBOX_OUTCOME_SUPPRESSED);
    cr_assert_eq(pnpbox_baseline_load(NULL, "REG-* x\n", NULL, 0), -EINVAL);
}
