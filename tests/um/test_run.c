/*
 * test_run.c: user-mode programs run against a machine directory.
 *
 * `pnpbox run`: the Win32 service and application of tests/um/progs,
 * compiled here as a user would (cc ... `pkg-config --cflags --libs
 * pnpbox`), run with `pnpbox --machine DIR run --service/--app`; their
 * exit status comes back, their output shows what the Win32 calls
 * answered, their accesses are in the machine's audit as their component,
 * their state is in the machine afterwards.  The usage and failure exits
 * (2, 1, 127), and a program started with a bad PNPBOX_RUN_COMPONENT.
 * pnpbox_attach / pnpbox_detach in this process.
 *
 * The programs link the build's libpnpbox: these tests need PNPBOX_BUILD
 * (the Makefile sets it) and a C compiler.
 */
#include "tests/um/um.h"

#include "tests/support/trun.h"

#include <errno.h>
#include <sqlite3.h>
#include <unistd.h>

static char *dir; /* the machine directory */

static void setup(void)
{
    dir = t_mkdtemp("um-run");
    pnpbox_machine_opts o = {.dir = dir};
    cr_assert_eq(pnpbox_machine_new(&o, &m), 0, "%s", pnpbox_errmsg(NULL));
    um_make_service("contososvc", SERVICE_WIN32_OWN_PROCESS,
                    "%SystemRoot%\\System32\\DriverStore\\FileRepository\\contoso.inf_amd64_0123456789abcdef\\svc.exe",
                    "Mode=fast");
    um_make_service("othersvc", SERVICE_WIN32_OWN_PROCESS, NULL, "Secret=1");
    um_make_service("contosodrv", SERVICE_KERNEL_DRIVER, NULL, NULL);
    um_set_sz(um_key("\\Registry\\Machine\\SOFTWARE\\Contoso"), "Version", "2.1");
}

static void teardown(void)
{
    pnpbox_detach();
    um_teardown();
    t_rmtree(dir);
    free(dir);
}

TestSuite(um_run, .init = setup, .fini = teardown, .timeout = 120);

/* Persist what the test wrote: the programs open the directory themselves. */
static void close_machine(void)
{
    pnpbox_enter(NULL);
    pnpbox_machine_free(m);
    m = NULL;
}

/* Reopen the machine with the audit the programs left. */
static void reopen_with_audit(void)
{
    pnpbox_machine_opts o = {.dir = dir};
    cr_assert_eq(pnpbox_machine_new(&o, &m), 0, "%s", pnpbox_errmsg(NULL));
    cr_assert_geq(pnpbox_audit_load(m, 0), 1);
}

/* Compile tests/um/progs/<name>.c against the build's libpnpbox; the executable's path (malloc'd). */
static char *build_prog(const char *name)
{
    const char *b = getenv("PNPBOX_BUILD");
    if (!b || !*b)
        cr_skip_test("PNPBOX_BUILD is not set (run through make)");
    const char *top = getenv("PNPBOX_TOP");
    char cwd[4096];
    if (!top || !*top)
        top = getcwd(cwd, sizeof cwd);
    char *out = NULL;
    cr_assert_gt(asprintf(&out, "%s/%s", dir, name), 0);
    const char *san = "";
#if defined(__SANITIZE_ADDRESS__)
    san = "-fsanitize=address,undefined -fno-omit-frame-pointer";
#endif
    char *cmd = NULL;
    cr_assert_gt(asprintf(&cmd,
                          "PKG_CONFIG_PATH='%s' && export PKG_CONFIG_PATH && "
                          "cc -std=c11 -g -Wall -Wextra -Werror %s -o '%s' '%s/tests/um/progs/%s.c' "
                          "$(pkg-config --cflags --libs pnpbox)",
                          b, san, out, top, name),
                 0);
    run_result r = t_run_sh(cmd, NULL);
    cr_assert_eq(r.status, 0, "%s\n%s%s", cmd, r.out, r.err);
    t_run_free(&r);
    free(cmd);
    return out;
}

static int has_line(const char *out, const char *line)
{
    size_t l = strlen(line);
    for (const char *p = out; (p = strstr(p, line)); p += l)
        if ((p == out || p[-1] == '\n') && (p[l] == '\n' || p[l] == 0))
            return 1;
    return 0;
}

static const pnpbox_event *find(const char *api, const char *path_part, const char *comp)
{
    for (size_t i = 0; i < pnpbox_event_count(m); i++) {
        const pnpbox_event *e = pnpbox_event_get(m, i);
        if (e->api && !strcmp(e->api, api) && (!path_part || (e->path && strcasestr(e->path, path_part))) &&
            (!comp || !strcmp(e->component, comp)))
            return e;
    }
    return NULL;
}

Test(um_run, a_service_runs_as_itself_and_its_state_persists)
{
    close_machine();
    char *prog = build_prog("svc_prog");
    run_result r = t_run_pnpbox(ARGS("--machine", dir, "run", "--service", "contososvc", "--", prog, "5"), NULL);
    cr_assert_eq(r.status, 5, "the program's exit status\n%s%s", r.out, r.err);
    cr_assert(has_line(r.out, "argc=1 argv0=contososvc"), "%s", r.out);
    cr_assert(has_line(r.out, "mode=fast rc=0"), "%s", r.out);
    cr_assert(has_line(r.out, "runs=1"), "%s", r.out);
    cr_assert(has_line(r.out, "dir=C:\\Windows\\ServiceState\\contososvc\\Data rc=0"), "%s", r.out);
    cr_assert(has_line(r.out, "file=1"), "%s", r.out);
    cr_assert(has_line(r.out, "image=C:\\Windows\\System32\\DriverStore\\FileRepository\\"
                              "contoso.inf_amd64_0123456789abcdef\\svc.exe n=89"),
              "%s", r.out);
    cr_assert(has_line(r.out, "other rc=0"), "report mode: allowed and recorded\n%s", r.out);
    cr_assert(has_line(r.out, "dispatcher returned"), "%s", r.out);
    cr_assert_str_eq(r.err, "");
    t_run_free(&r);
    /* Its state is the machine's. */
    r = t_run_pnpbox(ARGS("--machine", dir, "run", "--service", "contososvc", "--", prog), NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(has_line(r.out, "runs=2"), "%s", r.out);
    t_run_free(&r);

    reopen_with_audit();
    char *s = um_host_read("Windows/ServiceState/contososvc/Data/cache.txt");
    cr_assert_not_null(s);
    cr_assert_str_eq(s, "cached");
    free(s);
    const pnpbox_event *e = find("RegOpenKeyExW", "othersvc", NULL);
    cr_assert_not_null(e, "the bug is in the audit");
    cr_assert_str_eq(e->component, "contososvc");
    cr_assert(um_has_rule(e, "REG-ABSOLUTE-PATH"), "%s", e->rules);
    cr_assert(um_has_rule(e, "REG-CROSS-COMPONENT"), "%s", e->rules);
    e = find("GetServiceRegistryStateKey", "Parameters", "contososvc");
    cr_assert_not_null(e);
    cr_assert_str_eq(e->rules, "");
    e = find("RegSetValueExW", "contososvc\\State", "contososvc");
    cr_assert_not_null(e);
    cr_assert_str_eq(e->rules, "", "%s", e->rules);
    /* The bindings are gone with the processes. */
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(regdb_sqlite(m->reg), "SELECT count(*) FROM process_bindings", -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    free(prog);
}

Test(um_run, enforce_mode_refuses_the_service_bug)
{
    close_machine();
    char *prog = build_prog("svc_prog");
    run_result r = t_run_pnpbox(
        ARGS("--machine", dir, "run", "--service", "contososvc", "--mode", "enforce", "--", prog), NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(has_line(r.out, "mode=fast rc=0"), "%s", r.out);
    cr_assert(has_line(r.out, "other rc=5"), "ERROR_ACCESS_DENIED\n%s", r.out);
    t_run_free(&r);
    free(prog);
}

Test(um_run, an_application_with_its_image)
{
    close_machine();
    char *prog = build_prog("app_prog");
    run_result r = t_run_pnpbox(ARGS("--machine", dir, "run", "--app", "contosoui", "--image",
                                     "C:\\Program Files\\Contoso\\ui.exe", "--", prog, "0"),
                                NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(has_line(r.out, "SystemRoot=C:\\Windows n=10"), "%s", r.out);
    cr_assert(has_line(r.out, "image=C:\\Program Files\\Contoso\\ui.exe n=31 err=0"), "%s", r.out);
    cr_assert(has_line(r.out, "version=2.1 rc=0"), "%s", r.out);
    cr_assert(has_line(r.out, "root=HTREE\\ROOT\\0 cr=0"), "%s", r.out);
    t_run_free(&r);
    /* Without --app: an application named after the program; without --image, no module path. */
    r = t_run_pnpbox(ARGS("--machine", dir, "run", "--", prog, "7"), NULL);
    cr_assert_eq(r.status, 7, "%s%s", r.out, r.err);
    cr_assert(has_line(r.out, "image= n=0 err=126"), "ERROR_MOD_NOT_FOUND\n%s", r.out);
    t_run_free(&r);
    reopen_with_audit();
    const pnpbox_event *e = find("RegGetValueW", "Contoso", "contosoui");
    cr_assert_not_null(e);
    e = find("RegGetValueW", "Contoso", "app_prog");
    cr_assert_not_null(e, "the default application name");
    free(prog);
}

Test(um_run, usage_and_failures)
{
    close_machine();
    run_result r = t_run_pnpbox(ARGS("--machine", dir, "run"), NULL);
    cr_assert_eq(r.status, 2, "no program");
    cr_assert(strstr(r.err, "no program"), "%s", r.err);
    t_run_free(&r);
    r = t_run_pnpbox(ARGS("--machine", dir, "run", "--service", "a", "--app", "b", "--", "/bin/true"), NULL);
    cr_assert_eq(r.status, 2);
    t_run_free(&r);
    r = t_run_pnpbox(ARGS("--machine", dir, "run", "--bogus", "--", "/bin/true"), NULL);
    cr_assert_eq(r.status, 2);
    t_run_free(&r);
    r = t_run_pnpbox(ARGS("--machine", dir, "run", "--mode", "lenient", "--", "/bin/true"), NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "unknown mode 'lenient'"), "%s", r.err);
    t_run_free(&r);
    r = t_run_pnpbox(ARGS("--machine", dir, "run", "--image", "D:\\x.exe", "--", "/bin/true"), NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "not a path on C:"), "%s", r.err);
    t_run_free(&r);
    r = t_run_pnpbox(ARGS("--machine", dir, "run", "--service", "nosuchsvc", "--", "/bin/true"), NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "no such service"), "%s", r.err);
    t_run_free(&r);
    r = t_run_pnpbox(ARGS("--machine", dir, "run", "--service", "contosodrv", "--", "/bin/true"), NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "not a Win32 service"), "%s", r.err);
    t_run_free(&r);
    r = t_run_pnpbox(ARGS("--machine", dir, "run", "--", "/nonexistent/prog"), NULL);
    cr_assert_eq(r.status, 127);
    cr_assert(strstr(r.err, "cannot run '/nonexistent/prog'"), "%s", r.err);
    t_run_free(&r);
    /* Any program runs (one without libpnpbox just does not attach); its status comes back. */
    r = t_run_pnpbox(ARGS("--machine", dir, "run", "--", "/bin/sh", "-c", "exit 9"), NULL);
    cr_assert_eq(r.status, 9);
    t_run_free(&r);
    r = t_run_pnpbox(ARGS("--machine", dir, "run", "--", "/bin/sh", "-c", "kill -TERM $$"), NULL);
    cr_assert_eq(r.status, 128 + 15);
    t_run_free(&r);
    r = t_run_pnpbox(ARGS("run", "--help"), NULL);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "usage: pnpbox [--machine DIR] run"), "%s", r.out);
    t_run_free(&r);
}

/* Run prog directly with extra environment entries (NULL-terminated). */
static run_result run_env(const char *prog, const char *const *extra)
{
    char *cmd = NULL;
    size_t n = 0;
    char buf[4096] = "";
    for (; extra[n]; n++) {
        strcat(buf, "'");
        strcat(buf, extra[n]);
        strcat(buf, "' ");
    }
    cr_assert_gt(asprintf(&cmd, "env %s '%s'", buf, prog), 0);
    run_result r = t_run_sh(cmd, NULL);
    free(cmd);
    return r;
}

Test(um_run, a_program_that_cannot_attach_does_not_run)
{
    close_machine();
    char *prog = build_prog("app_prog");
    char *mach = NULL;
    cr_assert_gt(asprintf(&mach, "PNPBOX_RUN_MACHINE=%s", dir), 0);
    run_result r = run_env(prog, (const char *const[]){mach, "PNPBOX_RUN_COMPONENT=driver:x", NULL});
    cr_assert_eq(r.status, 127, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "pnpbox: cannot attach"), "%s", r.err);
    cr_assert_str_eq(r.out, "", "main() never ran");
    t_run_free(&r);
    r = run_env(prog, (const char *const[]){mach, "PNPBOX_RUN_COMPONENT=app:ui", "PNPBOX_RUN_IMAGE=Z:\\ui.exe", NULL});
    cr_assert_eq(r.status, 127, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "not a path on C:"), "%s", r.err);
    t_run_free(&r);
    r = run_env(prog, (const char *const[]){mach, "PNPBOX_RUN_MODE=strict", NULL});
    cr_assert_eq(r.status, 127, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "PNPBOX_RUN_MODE='strict'"), "%s", r.err);
    t_run_free(&r);
    r = run_env(prog, (const char *const[]){"PNPBOX_RUN_MACHINE=/proc/nonexistent/machine", NULL});
    cr_assert_eq(r.status, 127, "%s%s", r.out, r.err);
    t_run_free(&r);
    /* Started by hand with the variables `pnpbox run` sets: attached the same way. */
    r = run_env(prog, (const char *const[]){mach, "PNPBOX_RUN_COMPONENT=app:byhand", NULL});
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(has_line(r.out, "version=2.1 rc=0"), "%s", r.out);
    t_run_free(&r);
    reopen_with_audit();
    cr_assert_not_null(find("RegGetValueW", "Contoso", "byhand"));
    free(mach);
    free(prog);
}

static int main_calls;
static void WINAPI svc_main(DWORD argc, LPWSTR *argv)
{
    main_calls++;
    cr_assert_eq(argc, 1);
    cr_assert(um_weq(argv[0], "contososvc"));
    SERVICE_STATUS_HANDLE h = RegisterServiceCtrlHandlerExW(L"contososvc", NULL, NULL);
    cr_assert_null(h, "no handler");
    cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER);
}

Test(um_run, attach_in_process)
{
    close_machine();
    cr_assert_eq(pnpbox_attach(NULL, PNPBOX_COMP_APP, "x"), -EINVAL);
    cr_assert_eq(pnpbox_attach(dir, PNPBOX_COMP_APP, ""), -EINVAL);
    cr_assert_eq(pnpbox_attach(dir, PNPBOX_COMP_KERNEL_DRIVER, "contosodrv"), -EINVAL);
    cr_assert_null(pnpbox_attached());
    cr_assert_eq(pnpbox_attach(dir, PNPBOX_COMP_WIN32_SERVICE, "contososvc"), 0, "%s", pnpbox_errmsg(NULL));
    pnpbox_machine *am = pnpbox_attached();
    cr_assert_not_null(am);
    pnpbox_component *c = pnpbox_current_component();
    cr_assert_eq(pnpbox_component_kind_of(c), PNPBOX_COMP_WIN32_SERVICE);
    cr_assert_str_eq(pnpbox_component_name(c), "contososvc");
    cr_assert_eq(pnpbox_attach(dir, PNPBOX_COMP_APP, "x"), -EBUSY);
    /* The process is bound for the mount. */
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(regdb_sqlite(am->reg), "SELECT kind, name FROM process_bindings WHERE pid = ?",
                                    -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_int(st, 1, (int)getpid());
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(st, 0), PNPBOX_COMP_WIN32_SERVICE);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 1), "contososvc");
    sqlite3_finalize(st);
    /* The dispatcher runs the service this process was attached as. */
    SERVICE_TABLE_ENTRYW t[] = {{(LPWSTR)L"whatever", svc_main}, {NULL, NULL}};
    cr_assert(StartServiceCtrlDispatcherW(t), "%u", (unsigned)GetLastError());
    cr_assert_eq(main_calls, 1, "an own-process service: the first entry runs");
    HKEY k;
    cr_assert_eq(RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Contoso", 0, KEY_READ, &k), ERROR_SUCCESS);
    RegCloseKey(k);
    pnpbox_detach();
    cr_assert_null(pnpbox_attached());
    pnpbox_detach(); /* a no-op */
    /* What it did is in the machine's audit. */
    reopen_with_audit();
    const pnpbox_event *e = find("RegOpenKeyExW", "Contoso", "contososvc");
    cr_assert_not_null(e);
    cr_assert_eq(sqlite3_prepare_v2(regdb_sqlite(m->reg), "SELECT count(*) FROM process_bindings", -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(st, 0), 0, "unbound");
    sqlite3_finalize(st);
}
