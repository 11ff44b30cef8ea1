/*
 * cli_verify.c: `pnpbox verify`: a driver package's whole life on a fresh
 * embedded machine, judged.  Lint the INF, stage the package, install it on
 * a device, load the driver (a shared object exporting DriverEntry), start
 * the device, optionally update to a newer package and restart from its
 * store folder, remove, unload; then report every step, the driver's
 * DbgPrint output, pool leaks, INF findings and isolation violations.
 */
#include "base/pb_utf16.h"
#include "emu/emu.h"
#include "emu/inf.h"
#include "harness/cli/cli.h"
#include "pnpbox/report.h"
#include "pnpbox/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
    fputs("usage: pnpbox verify --inf PKG/x.inf --driver x.so [options]\n\n"
          "Runs a driver package's life on a fresh emulated machine and reports what it\n"
          "touched that an isolated driver package may not: stage, install, DriverEntry,\n"
          "AddDevice + IRP_MN_START_DEVICE, remove, DriverUnload.\n\n"
          "  --inf FILE          the package's INF (its files next to it, as for pnputil)\n"
          "  --driver FILE       the driver: a shared object exporting DriverEntry, built\n"
          "                      with `pkg-config --cflags --libs pnpbox`\n"
          "  --hwid ID           the device's hardware ID (default: the INF's first model)\n"
          "  --service NAME      the service whose code --driver is (default: the device's)\n"
          "  --format F          text (default), json, sarif or junit\n"
          "  --mode M            report (default), enforce or fail-fast\n"
          "  --baseline FILE     suppressions: lines 'RULE-ID [component=G] [path=G] why'\n"
          "  --fail API:N[:ST]   make the N-th call of API fail (repeatable), e.g.\n"
          "                      ZwOpenKey:1:STATUS_INSUFFICIENT_RESOURCES\n"
          "  --update-to FILE    after the first start, stage this newer package, update the\n"
          "                      device and restart it from the new store folder\n"
          "  --update-driver F   the driver code of the newer package (default: --driver)\n"
          "  --keep DIR          run on a new machine directory DIR (it must not exist)\n"
          "                      and keep it, to look at afterwards with\n"
          "                      pnpbox --machine DIR reg query / audit / mount\n\n"
          "Exit status: 0 the lifecycle succeeded with no error-level finding,\n"
          "1 a step failed or an error was found, 2 bad usage or unreadable input.\n",
          f);
}

static const char *stop_rule;

/* Fail-fast: the first error-level violation.  The call is denied and the
 * run stops at the end of the step (STOPPED below). */
static void failfast(pnpbox_machine *m, const emu_access *a, const emu_rule *r, void *ctx)
{
    (void)m;
    (void)ctx;
    fprintf(stderr, "pnpbox: fail-fast: %s: %s %s '%s' (handle origin %s)\n", r->id, a->api ? a->api : "?",
            a->write ? "writes" : "reads", a->path ? a->path : "", a->absolute ? "absolute" : emu_prov_origin(a->prov));
    stop_rule = r->id;
}

/* After a step that ran driver code: did fail-fast stop the run? */
#define STOPPED()                                                                                                  \
    do {                                                                                                           \
        if (emu_failfast_stopped(m)) {                                                                             \
            pnpbox_report_step(r, "fail-fast", 0, (int32_t)0xC0000022, "stopped at the first violation: %s",       \
                               stop_rule ? stop_rule : "?");                                                       \
            goto collect;                                                                                          \
        }                                                                                                          \
    } while (0)

/* The first hardware ID of the first model the INF offers for the target. */
static char *first_hwid(const char *inf_path)
{
    inf_file *inf = NULL;
    if (emu_inf_parse_file(inf_path, NULL, &inf) < 0)
        return NULL;
    inf_target t;
    emu_inf_target_default(&t);
    char *out = NULL;
    for (size_t i = 0; !out && i < emu_inf_manufacturer_count(inf); i++) {
        inf_models models;
        if (emu_inf_models_select(inf, i, &t, &models) < 0 || !models.section || !models.applicable)
            continue;
        for (size_t l = 0; !out && l < models.section->nlines; l++) {
            inf_model mod;
            if (emu_inf_model_decode(&models.section->lines[l], &mod) == 0 && mod.nids && mod.ids[0].val.n)
                out = pb_utf8_from_wcs(mod.ids[0].val.s, mod.ids[0].val.n);
        }
    }
    emu_inf_free(inf);
    return out;
}

static void lint(pnpbox_report *r, const char *inf_path)
{
    inf_file *inf = NULL;
    if (emu_inf_parse_file(inf_path, NULL, &inf) < 0)
        return;
    inf_lint_result *lr = NULL;
    if (emu_inf_lint(inf, NULL, &lr) == 0) {
        for (size_t i = 0; i < lr->nfindings; i++) {
            const inf_finding *f = &lr->findings[i];
            pnpbox_report_inf(r, inf_path, f->lineno, f->code, f->severity == INF_SEV_ERROR ? "error" : "warning",
                              f->message, f->fix);
        }
        emu_inf_lint_free(lr);
    }
    emu_inf_free(inf);
}

static char *device_service(pnpbox_machine *m, const char *instance)
{
    char rel[1024];
    snprintf(rel, sizeof rel, "Enum\\%s", instance);
    regdb_key k;
    uint16_t *s = NULL;
    size_t n;
    if (emu_ccs_open(m, rel, &k) < 0 || regdb_get_sz(m->reg, k, (const uint16_t *)L"Service", &s, &n) < 0)
        return NULL;
    char *u = pb_utf8_from_wcs(s, n);
    free(s);
    return u;
}

typedef struct opts {
    const char *inf, *driver, *hwid, *service, *baseline, *update_inf, *update_driver, *keep;
    const char *faults[32];
    int nfaults;
    int format;
    pnpbox_mode mode;
} opts;

static int parse(int argc, char **argv, opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name, field)                                                                           \
    if (!strcmp(a, name)) {                                                                        \
        if (!v) {                                                                                  \
            cli_error("%s needs a value; see 'pnpbox verify --help'", name);                       \
            return -1;                                                                             \
        }                                                                                          \
        o->field = v;                                                                              \
        i++;                                                                                       \
        continue;                                                                                  \
    }
        OPT("--inf", inf)
        OPT("--driver", driver)
        OPT("--hwid", hwid)
        OPT("--service", service)
        OPT("--baseline", baseline)
        OPT("--update-to", update_inf)
        OPT("--update-driver", update_driver)
        OPT("--keep", keep)
#undef OPT
        if (!strcmp(a, "--format") && v) {
            if ((o->format = pnpbox_format_parse(v)) < 0) {
                cli_error("unknown format '%s'; use text, json, sarif or junit", v);
                return -1;
            }
            i++;
        } else if (!strcmp(a, "--mode") && v) {
            if (!strcasecmp(v, "report"))
                o->mode = PNPBOX_MODE_REPORT;
            else if (!strcasecmp(v, "enforce"))
                o->mode = PNPBOX_MODE_ENFORCE;
            else if (!strcasecmp(v, "fail-fast") || !strcasecmp(v, "failfast"))
                o->mode = PNPBOX_MODE_FAILFAST;
            else {
                cli_error("unknown mode '%s'; use report, enforce or fail-fast", v);
                return -1;
            }
            i++;
        } else if (!strcmp(a, "--fail") && v) {
            if (o->nfaults == 32) {
                cli_error("too many --fail options (at most 32)");
                return -1;
            }
            o->faults[o->nfaults++] = v;
            i++;
        } else {
            cli_error("unknown argument '%s'; see 'pnpbox verify --help'", a);
            return -1;
        }
    }
    if (!o->inf || !o->driver) {
        cli_error("verify needs --inf and --driver; see 'pnpbox verify --help'");
        return -1;
    }
    return 0;
}

static int run(cli_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    for (int i = 1; i < argc; i++)
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return CLI_OK;
        }
    opts o = {0};
    o.format = PNPBOX_FORMAT_TEXT;
    if (parse(argc, argv, &o) < 0)
        return CLI_USAGE;
    FILE *probe = fopen(o.inf, "rb");
    if (!probe) {
        cli_error("cannot read INF '%s': %s", o.inf, strerror(errno));
        return CLI_USAGE;
    }
    fclose(probe);
    char *baseline_text = NULL;
    if (o.baseline) {
        FILE *f = fopen(o.baseline, "r");
        size_t len = 0;
        if (!f || getdelim(&baseline_text, &len, '\0', f) < 0) {
            cli_error("cannot read baseline '%s': %s", o.baseline, strerror(errno));
            if (f)
                fclose(f);
            free(baseline_text);
            return CLI_USAGE;
        }
        fclose(f);
    }

    const char *base = strrchr(o.inf, '/');
    pnpbox_report *r = pnpbox_report_new(base ? base + 1 : o.inf, o.inf);
    lint(r, o.inf);

    pnpbox_machine_opts mo = {.mode = o.mode};
    if (o.keep) {
        /* A fresh machine, kept: never an existing one, whose state would
         * change what verify sees. */
        struct stat kst;
        if (stat(o.keep, &kst) == 0 || errno != ENOENT) {
            cli_error("--keep '%s': the directory exists; give a new one", o.keep);
            pnpbox_report_free(r);
            free(baseline_text);
            return CLI_USAGE;
        }
        mo.dir = o.keep;
    }
    pnpbox_machine *m = NULL;
    if (pnpbox_machine_new(&mo, &m) < 0) {
        cli_error("cannot make a machine: %s", pnpbox_errmsg(NULL));
        pnpbox_report_free(r);
        free(baseline_text);
        return CLI_FAIL;
    }
    emu_set_failfast(m, failfast, NULL);
    int usage_error = 0;
    if (baseline_text) {
        char err[256];
        if (pnpbox_baseline_load(m, baseline_text, err, sizeof err) < 0) {
            cli_error("bad baseline '%s': %s", o.baseline, err);
            usage_error = 1;
        }
    }
    char *oem = NULL, *instance = NULL, *hwid = NULL, *service = NULL;
    int32_t st = 0;
    if (usage_error)
        goto out;
    /* Stage and install. */
    if (pnpbox_driver_add(m, o.inf, &oem) < 0) {
        pnpbox_report_step(r, "stage", 0, (int32_t)0xC0000001, "%s", pnpbox_errmsg(m));
        goto collect;
    }
    pnpbox_report_step(r, "stage", 1, 0, "published %s", oem);
    hwid = o.hwid ? strdup(o.hwid) : first_hwid(o.inf);
    if (!hwid) {
        pnpbox_report_step(r, "install", 0, (int32_t)0xC0000001, "the INF offers no model for NTamd64 10.0.26100; "
                                                                  "pass --hwid");
        goto collect;
    }
    if (pnpbox_device_add(m, hwid, NULL, &instance) < 0) {
        pnpbox_report_step(r, "install", 0, (int32_t)0xC0000001, "%s", pnpbox_errmsg(m));
        goto collect;
    }
    pnpbox_report_step(r, "install", 1, 0, "%s on %s", hwid, instance);
    service = o.service ? strdup(o.service) : device_service(m, instance);
    if (!service) {
        pnpbox_report_step(r, "install", 0, (int32_t)0xC0000001, "device %s has no service; pass --service", instance);
        goto collect;
    }
    if (pnpbox_driver_register_so(m, service, o.driver) < 0) {
        pnpbox_report_step(r, "load", 0, (int32_t)0xC000026C, "%s", pnpbox_errmsg(m));
        goto collect;
    }
    /* Faults count from here: they are for the driver, not for staging. */
    for (int i = 0; i < o.nfaults; i++)
        if (pnpbox_fault_parse(m, o.faults[i]) < 0) {
            cli_error("bad --fail '%s': use API:N[:STATUS]", o.faults[i]);
            usage_error = 1;
            goto out;
        }

    /* The lifecycle. */
    if (pnpbox_driver_load(m, service, &st) < 0 || st < 0) {
        pnpbox_report_step(r, "DriverEntry", 0, st, "%s", pnpbox_errmsg(m));
        STOPPED();
        goto collect;
    }
    pnpbox_report_step(r, "DriverEntry", 1, st, "%s", service);
    STOPPED();
    if (pnpbox_device_start(m, instance, &st) < 0 || st < 0) {
        pnpbox_report_step(r, "AddDevice + IRP_MN_START_DEVICE", 0, st, "%s", pnpbox_errmsg(m));
        STOPPED();
        goto unload;
    }
    pnpbox_report_step(r, "AddDevice + IRP_MN_START_DEVICE", 1, st, "%s", instance);
    STOPPED();

    if (o.update_inf) {
        char *oem2 = NULL, *oldf = NULL, *newf = NULL;
        if (pnpbox_driver_add(m, o.update_inf, &oem2) < 0) {
            pnpbox_report_step(r, "update: stage", 0, (int32_t)0xC0000001, "%s", pnpbox_errmsg(m));
            goto remove;
        }
        pnpbox_report_step(r, "update: stage", 1, 0, "published %s", oem2);
        free(oem2);
        if (o.update_driver) {
            /* The new code takes over once the device restarts from the new package. */
            if (pnpbox_device_remove(m, instance, 0, &st) < 0 || pnpbox_driver_unload(m, service, &st) < 0 ||
                pnpbox_driver_register_so(m, service, o.update_driver) < 0) {
                pnpbox_report_step(r, "update: driver", 0, (int32_t)0xC0000001, "%s", pnpbox_errmsg(m));
                goto collect;
            }
        }
        if (pnpbox_device_update(m, instance, &oldf, &newf) < 0) {
            pnpbox_report_step(r, "update: install", 0, (int32_t)0xC0000001, "%s", pnpbox_errmsg(m));
            goto remove;
        }
        pnpbox_report_step(r, "update: install", 1, 0, "%s -> %s", oldf ? oldf : "?", newf ? newf : "?");
        free(oldf);
        free(newf);
        int started = 0;
        STOPPED();
        if (pnpbox_device_state(m, instance, &started, NULL) == 0 && !started) {
            if (pnpbox_device_start(m, instance, &st) < 0 || st < 0) {
                pnpbox_report_step(r, "update: restart", 0, st, "%s", pnpbox_errmsg(m));
                STOPPED();
                goto unload;
            }
        }
        pnpbox_report_step(r, "update: restart", 1, 0, "from the new store folder");
        STOPPED();
    }
remove:
    if (pnpbox_device_remove(m, instance, 0, &st) < 0 || st < 0)
        pnpbox_report_step(r, "IRP_MN_QUERY_REMOVE + REMOVE", 0, st, "%s", pnpbox_errmsg(m));
    else
        pnpbox_report_step(r, "IRP_MN_QUERY_REMOVE + REMOVE", 1, st, NULL);
    STOPPED();
unload:
    if (pnpbox_driver_unload(m, service, &st) < 0 || st < 0)
        pnpbox_report_step(r, "DriverUnload", 0, st, "%s", pnpbox_errmsg(m));
    else
        pnpbox_report_step(r, "DriverUnload", 1, st, NULL);
    STOPPED();
collect:
    pnpbox_report_collect(r, m, 0);
out:;
    int result = usage_error ? CLI_USAGE : CLI_OK;
    if (!usage_error) {
        if (pnpbox_report_write(r, stdout, (pnpbox_format)o.format) < 0) {
            cli_error("cannot write the report");
            result = CLI_FAIL;
        } else if (pnpbox_report_result(r)) {
            result = CLI_FAIL;
        }
        if (o.keep)
            fprintf(stderr, "pnpbox: the machine is kept in '%s' (pnpbox --machine '%s' reg query / audit / mount)\n",
                    o.keep, o.keep);
    }
    free(oem);
    free(instance);
    free(hwid);
    free(service);
    free(baseline_text);
    pnpbox_report_free(r);
    pnpbox_machine_free(m);
    return result;
}

static const cli_command cmd = {"verify", "run a driver package's lifecycle on a fresh machine and judge it", run, 10};
PNPBOX_CLI_COMMAND(cmd)
