/*
 * report.c: the report model and its text, JSON, SARIF and JUnit writers
 * (contract in include/pnpbox/report.h).
 *
 * Findings are the machine's audit events that broke a rule, folded per
 * (rule, API, path, component, suppressed?) with a count, so a driver that
 * reads one absolute key in a loop gives one finding, not thousands.  The
 * caller address of the first event is turned into a source line with
 * addr2line when the driver was built with debug info (the SARIF location
 * GitHub shows on the pull request); otherwise findings point at the INF.
 */
#include "pnpbox/report.h"

#include "base/pb_buf.h"
#include "emu/inf.h"
#include "pnpbox/pool.h"

#include <dlfcn.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PNPBOX_VERSION "0.1.0"
#define PNPBOX_URI "https://github.com/pnpbox/pnpbox"

typedef struct step {
    char *name, *detail;
    int ok;
    int32_t status;
} step;

typedef struct finding {
    pnpbox_finding pub;
    int suppressed;
    char *api, *path, *component, *origin, *value, *message, *justification, *caller, *source_file;
    const void *caller_addr;
} finding;

typedef struct inf_item {
    char *file, *severity, *message, *fix;
    unsigned line;
    int code;
} inf_item;

typedef struct event_copy {
    char *api, *path, *component, *origin, *rules;
    char *findings; /* the per-rule findings as a JSON array, or NULL when none */
    int32_t status;
    pnpbox_outcome outcome;
    uint64_t seq;
} event_copy;

struct pnpbox_report {
    char *subject, *inf_path;
    step *steps;
    size_t nsteps;
    finding *f;
    size_t nf;
    inf_item *inf;
    size_t ninf;
    event_copy *ev;
    size_t nev;
    char **log;
    size_t nlog;
    char **leaks; /* one line each */
    size_t nleaks;
    size_t leak_errors;
};

int pnpbox_format_parse(const char *name)
{
    if (!name)
        return -1;
    if (!strcasecmp(name, "text"))
        return PNPBOX_FORMAT_TEXT;
    if (!strcasecmp(name, "json"))
        return PNPBOX_FORMAT_JSON;
    if (!strcasecmp(name, "sarif"))
        return PNPBOX_FORMAT_SARIF;
    if (!strcasecmp(name, "junit"))
        return PNPBOX_FORMAT_JUNIT;
    return -1;
}

static char *dup0(const char *s) { return strdup(s ? s : ""); }

pnpbox_report *pnpbox_report_new(const char *subject, const char *inf_path)
{
    pnpbox_report *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->subject = dup0(subject);
    r->inf_path = inf_path ? strdup(inf_path) : NULL;
    return r;
}

void pnpbox_report_free(pnpbox_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nsteps; i++) {
        free(r->steps[i].name);
        free(r->steps[i].detail);
    }
    for (size_t i = 0; i < r->nf; i++) {
        finding *f = &r->f[i];
        free(f->api), free(f->path), free(f->component), free(f->origin), free(f->value);
        free(f->message), free(f->justification), free(f->caller), free(f->source_file);
    }
    for (size_t i = 0; i < r->ninf; i++)
        free(r->inf[i].file), free(r->inf[i].severity), free(r->inf[i].message), free(r->inf[i].fix);
    for (size_t i = 0; i < r->nev; i++)
        free(r->ev[i].api), free(r->ev[i].path), free(r->ev[i].component), free(r->ev[i].origin),
            free(r->ev[i].rules), free(r->ev[i].findings);
    for (size_t i = 0; i < r->nlog; i++)
        free(r->log[i]);
    for (size_t i = 0; i < r->nleaks; i++)
        free(r->leaks[i]);
    free(r->steps), free(r->f), free(r->inf), free(r->ev), free(r->log), free(r->leaks);
    free(r->subject), free(r->inf_path);
    free(r);
}

#define GROW(arr, n)                                                                               \
    do {                                                                                           \
        void *p_ = realloc((arr), ((n) + 1) * sizeof *(arr));                                      \
        if (!p_)                                                                                   \
            return;                                                                                \
        (arr) = p_;                                                                                \
    } while (0)

void pnpbox_report_step(pnpbox_report *r, const char *name, int ok, int32_t status, const char *fmt, ...)
{
    GROW(r->steps, r->nsteps);
    pb_buf b = PB_BUF_INIT;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        pb_buf_vprintf(&b, fmt, ap);
        va_end(ap);
    }
    step *s = &r->steps[r->nsteps++];
    s->name = dup0(name);
    s->detail = pb_buf_steal(&b);
    s->ok = ok;
    s->status = status;
}

void pnpbox_report_inf(pnpbox_report *r, const char *file, unsigned line, int code, const char *severity,
                       const char *message, const char *fix)
{
    GROW(r->inf, r->ninf);
    inf_item *i = &r->inf[r->ninf++];
    i->file = dup0(file);
    i->line = line;
    i->code = code;
    i->severity = dup0(severity);
    i->message = dup0(message);
    i->fix = dup0(fix);
}

/* ---------------------------------------------------------------- symbolising */

/* file:line of a code address with addr2line, when the module has debug info. */
static void symbolise(const void *addr, char **file, unsigned *line)
{
    Dl_info di;
    *file = NULL;
    *line = 0;
    if (!addr || !dladdr(addr, &di) || !di.dli_fname || access("/usr/bin/addr2line", X_OK) != 0)
        return;
    /* The return address is one past the call; ask for the call instruction. */
    unsigned long off = (unsigned long)((const char *)addr - (const char *)di.dli_fbase) - 1;
    char cmd[4400];
    char exe[4096];
    const char *mod = di.dli_fname;
    if (!*mod || !strchr(mod, '/')) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
            return;
        exe[n] = 0;
        mod = exe;
    }
    if (strchr(mod, '\'') || strlen(mod) > 4000)
        return;
    snprintf(cmd, sizeof cmd, "/usr/bin/addr2line -e '%s' 0x%lx 2>/dev/null", mod, off);
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    char out[4096] = "";
    if (fgets(out, sizeof out, p)) {
        out[strcspn(out, "\r\n")] = 0;
        char *colon = strrchr(out, ':');
        if (colon && out[0] != '?' && colon[1] != '?') {
            *colon = 0;
            unsigned long l = strtoul(colon + 1, NULL, 10);
            if (l) {
                *file = strdup(out);
                *line = (unsigned)l;
            }
        }
    }
    pclose(p);
}

/* ---------------------------------------------------------------- collection */

static const char *sev_of(const pnpbox_rule *r) { return r ? r->severity : "error"; }

static char *message_for(const pnpbox_event *e, const pnpbox_rule *r)
{
    pb_buf b = PB_BUF_INIT;
    pb_buf_printf(&b, "%s: %s: '%s'", e->api ? e->api : "?", r->title, e->path ? e->path : "");
    if (e->value)
        pb_buf_printf(&b, " value '%s'", e->value);
    if (e->origin && strcmp(e->origin, "none"))
        pb_buf_printf(&b, " (handle origin %s)", e->origin);
    return pb_buf_steal(&b);
}

static int same(const char *a, const char *b) { return !strcmp(a ? a : "", b ? b : ""); }

/* One rule an event broke: a new finding, or one more of the same (rule, API, path, component, value, suppressed). */
static void add_finding(pnpbox_report *r, const pnpbox_event *e, const pnpbox_rule *rule, pnpbox_outcome outcome,
                        const char *justification)
{
    int supp = outcome == PNPBOX_OUTCOME_SUPPRESSED;
    for (size_t i = 0; i < r->nf; i++) {
        finding *f = &r->f[i];
        if (f->pub.rule == rule && f->suppressed == supp && same(f->api, e->api) && same(f->path, e->path) &&
            same(f->component, e->component) && same(f->value, e->value)) {
            f->pub.count += e->count ? (unsigned)e->count : 1;
            if (outcome == PNPBOX_OUTCOME_DENIED)
                f->pub.outcome = PNPBOX_OUTCOME_DENIED;
            return;
        }
    }
    void *p = realloc(r->f, (r->nf + 1) * sizeof *r->f);
    if (!p)
        return;
    r->f = p;
    finding *f = &r->f[r->nf++];
    memset(f, 0, sizeof *f);
    f->suppressed = supp;
    f->api = dup0(e->api);
    f->path = dup0(e->path);
    f->component = dup0(e->component);
    f->origin = dup0(e->origin);
    f->value = e->value ? strdup(e->value) : NULL;
    f->message = message_for(e, rule);
    f->justification = supp && justification ? strdup(justification) : NULL;
    f->caller = e->caller ? strdup(e->caller) : NULL;
    f->caller_addr = e->caller_addr;
    symbolise(e->caller_addr, &f->source_file, &f->pub.source_line);
    f->pub.rule = rule;
    f->pub.status = e->status;
    f->pub.outcome = outcome;
    f->pub.count = e->count ? (unsigned)e->count : 1;
}

/*
 * The findings of an event, rule by rule: each with its own outcome and,
 * when suppressed, its own justification (pnpbox_event.findings), so a
 * baseline that suppresses one of the rules a call breaks leaves the
 * others violations.  An event without per-rule findings (made by code
 * older than them) gives each of its rules the event's outcome.
 */
static void add_event_findings(pnpbox_report *r, const pnpbox_event *e)
{
    if (e->nfindings && e->findings) {
        for (size_t i = 0; i < e->nfindings; i++) {
            const pnpbox_event_finding *ef = &e->findings[i];
            const pnpbox_rule *rule = ef->rule ? pnpbox_rule_find(ef->rule) : NULL;
            if (rule)
                add_finding(r, e, rule, ef->outcome, ef->justification);
        }
        return;
    }
    char *ids = strdup(e->rules ? e->rules : "");
    char *save = NULL;
    for (char *id = ids ? strtok_r(ids, " ", &save) : NULL; id; id = strtok_r(NULL, " ", &save)) {
        const pnpbox_rule *rule = pnpbox_rule_find(id);
        if (rule)
            add_finding(r, e, rule, e->outcome, e->justification);
    }
    free(ids);
}

static void fix_pointers(pnpbox_report *r)
{
    for (size_t i = 0; i < r->nf; i++) {
        finding *f = &r->f[i];
        f->pub.api = f->api;
        f->pub.path = f->path;
        f->pub.component = f->component;
        f->pub.origin = f->origin;
        f->pub.value = f->value;
        f->pub.message = f->message;
        f->pub.justification = f->justification;
        f->pub.caller = f->caller;
        f->pub.source_file = f->source_file;
    }
}

static const char *outcome_name(pnpbox_outcome o);

/* An event's per-rule findings for the JSON events list: [{"rule":..,"outcome":..,"justification":..}]. */
static char *findings_json(const pnpbox_event *e)
{
    if (!e->nfindings || !e->findings)
        return NULL;
    pb_buf b = PB_BUF_INIT;
    pb_buf_addc(&b, '[');
    for (size_t i = 0; i < e->nfindings; i++) {
        const pnpbox_event_finding *f = &e->findings[i];
        pb_buf_adds(&b, i ? ",{\"rule\":" : "{\"rule\":");
        pb_buf_json_str(&b, f->rule ? f->rule : "");
        pb_buf_adds(&b, ",\"outcome\":");
        pb_buf_json_str(&b, outcome_name(f->outcome));
        if (f->justification) {
            pb_buf_adds(&b, ",\"justification\":");
            pb_buf_json_str(&b, f->justification);
        }
        pb_buf_addc(&b, '}');
    }
    pb_buf_addc(&b, ']');
    return pb_buf_steal(&b);
}

void pnpbox_report_event(pnpbox_report *r, const pnpbox_event *e)
{
    {
        void *p = realloc(r->ev, (r->nev + 1) * sizeof *r->ev);
        if (p) {
            r->ev = p;
            event_copy *c = &r->ev[r->nev++];
            c->api = dup0(e->api);
            c->path = dup0(e->path);
            c->component = dup0(e->component);
            c->origin = dup0(e->origin);
            c->rules = dup0(e->rules);
            c->findings = findings_json(e);
            c->status = e->status;
            c->outcome = e->outcome;
            c->seq = e->seq;
        }
        if (e->rules && *e->rules)
            add_event_findings(r, e);
    }
    fix_pointers(r);
}

void pnpbox_report_collect(pnpbox_report *r, pnpbox_machine *m, size_t first_event)
{
    size_t n = pnpbox_event_count(m);
    for (size_t i = first_event; i < n; i++)
        pnpbox_report_event(r, pnpbox_event_get(m, i));
    for (size_t i = 0; i < pnpbox_log_count(m); i++) {
        void *p = realloc(r->log, (r->nlog + 1) * sizeof *r->log);
        if (!p)
            break;
        r->log = p;
        r->log[r->nlog++] = dup0(pnpbox_log_get(m, i));
    }
    /* Pool leaks and misuse of the judged components (drivers, services, apps). */
    pnpbox_pool_leak leaks[64];
    size_t nl = pnpbox_pool_outstanding(m, NULL, leaks, 64);
    for (size_t i = 0; i < nl && i < 64; i++) {
        void *p = realloc(r->leaks, (r->nleaks + 1) * sizeof *r->leaks);
        if (!p)
            break;
        r->leaks = p;
        pb_buf b = PB_BUF_INIT;
        pb_buf_printf(&b, "%s leaked %zu block(s) of %zu bytes, tag '%s', from %s at %s", leaks[i].component,
                      leaks[i].count, leaks[i].size, leaks[i].tag_text, leaks[i].api, leaks[i].caller);
        r->leaks[r->nleaks++] = pb_buf_steal(&b);
        r->leak_errors++;
    }
    pnpbox_pool_error errs[64];
    size_t ne = pnpbox_pool_errors(m, NULL, errs, 64);
    for (size_t i = 0; i < ne && i < 64; i++) {
        void *p = realloc(r->leaks, (r->nleaks + 1) * sizeof *r->leaks);
        if (!p)
            break;
        r->leaks = p;
        pb_buf b = PB_BUF_INIT;
        pb_buf_printf(&b, "%s: %s (%s at %s)", errs[i].severity, errs[i].message, errs[i].component, errs[i].caller);
        r->leaks[r->nleaks++] = pb_buf_steal(&b);
        if (!strcmp(errs[i].severity, "error"))
            r->leak_errors++;
    }
}

size_t pnpbox_report_violation_count(const pnpbox_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nf; i++)
        n += !r->f[i].suppressed;
    return n;
}

const pnpbox_finding *pnpbox_report_violation(const pnpbox_report *r, size_t i)
{
    for (size_t k = 0; k < r->nf; k++) {
        if (r->f[k].suppressed)
            continue;
        if (i-- == 0)
            return &r->f[k].pub;
    }
    return NULL;
}

size_t pnpbox_report_errors(const pnpbox_report *r)
{
    size_t n = r->leak_errors;
    for (size_t i = 0; i < r->nsteps; i++)
        n += !r->steps[i].ok;
    for (size_t i = 0; i < r->nf; i++)
        n += !r->f[i].suppressed && !strcmp(sev_of(r->f[i].pub.rule), "error");
    for (size_t i = 0; i < r->ninf; i++)
        n += !strcmp(r->inf[i].severity, "error");
    return n;
}

size_t pnpbox_report_warnings(const pnpbox_report *r)
{
    size_t n = r->nleaks - r->leak_errors;
    for (size_t i = 0; i < r->nf; i++)
        n += !r->f[i].suppressed && !strcmp(sev_of(r->f[i].pub.rule), "warning");
    for (size_t i = 0; i < r->ninf; i++)
        n += !strcmp(r->inf[i].severity, "warning");
    return n;
}

int pnpbox_report_result(const pnpbox_report *r) { return pnpbox_report_errors(r) ? 1 : 0; }

/* ---------------------------------------------------------------- text */

static const char *status_text(int32_t st)
{
    static char buf[16];
    snprintf(buf, sizeof buf, "0x%08X", (unsigned)st);
    return st == 0 ? "STATUS_SUCCESS" : buf;
}

/* Print s wrapped at 78 columns with a prefix on every line. */
static void wrap(pb_buf *b, const char *prefix, const char *s)
{
    size_t col = 0, pl = strlen(prefix);
    pb_buf_adds(b, prefix);
    col = pl;
    const char *p = s;
    while (*p) {
        const char *w = p;
        while (*w && *w != ' ' && *w != '\n')
            w++;
        size_t wl = (size_t)(w - p);
        if (col > pl && col + 1 + wl > 78) {
            pb_buf_addc(b, '\n');
            for (size_t i = 0; i < pl; i++)
                pb_buf_addc(b, ' ');
            col = pl;
        } else if (col > pl) {
            pb_buf_addc(b, ' ');
            col++;
        }
        pb_buf_add(b, p, wl);
        col += wl;
        p = w;
        while (*p == ' ')
            p++;
        if (*p == '\n') {
            p++;
            pb_buf_addc(b, '\n');
            for (size_t i = 0; i < pl; i++)
                pb_buf_addc(b, ' ');
            col = pl;
        }
    }
    pb_buf_addc(b, '\n');
}

static void code_block(pb_buf *b, const char *label, const char *code)
{
    if (*label)
        pb_buf_printf(b, "    %s\n", label);
    const char *p = code;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        pb_buf_adds(b, "        ");
        pb_buf_add(b, p, l);
        pb_buf_addc(b, '\n');
        p = e ? e + 1 : p + l;
    }
}

static void text(pnpbox_report *r, pb_buf *b)
{
    pb_buf_printf(b, "pnpbox: %s\n", r->subject);
    if (r->nsteps) {
        pb_buf_adds(b, "\nLifecycle:\n");
        for (size_t i = 0; i < r->nsteps; i++) {
            step *s = &r->steps[i];
            pb_buf_printf(b, "  %-5s %-28s %s%s%s\n", s->ok ? "ok" : "FAIL", s->name, status_text(s->status),
                          s->detail && *s->detail ? "  " : "", s->detail ? s->detail : "");
        }
    }
    size_t nv = pnpbox_report_violation_count(r);
    pb_buf_printf(b, "\nIsolation findings: %zu\n", nv);
    for (size_t ri = 0; ri < pnpbox_rule_count(); ri++) {
        const pnpbox_rule *rule = pnpbox_rule_at(ri);
        int header = 0;
        for (size_t i = 0; i < r->nf; i++) {
            finding *f = &r->f[i];
            if (f->pub.rule != rule || f->suppressed)
                continue;
            if (!header) {
                pb_buf_printf(b, "\n%s (%s): %s\n", rule->id, rule->severity, rule->title);
                header = 1;
            }
            pb_buf_printf(b, "  - %s [%s, %ux%s]", f->message, f->component, f->pub.count,
                          f->pub.outcome == PNPBOX_OUTCOME_DENIED ? ", denied" : "");
            if (f->source_file)
                pb_buf_printf(b, " at %s:%u", f->source_file, f->pub.source_line);
            else if (f->caller)
                pb_buf_printf(b, " at %s", f->caller);
            pb_buf_addc(b, '\n');
        }
        if (header) {
            wrap(b, "    why: ", rule->explanation);
            wrap(b, "    fix: ", rule->alternative);
            code_block(b, "before:", rule->before);
            code_block(b, "after:", rule->after);
            pb_buf_printf(b, "    see: %s  (pnpbox explain %s)\n", rule->reference, rule->id);
        }
    }
    int any_supp = 0;
    for (size_t i = 0; i < r->nf; i++) {
        finding *f = &r->f[i];
        if (!f->suppressed)
            continue;
        if (!any_supp++)
            pb_buf_adds(b, "\nSuppressed by the baseline:\n");
        pb_buf_printf(b, "  - %s %s [%s, %ux]\n    because: %s\n", f->pub.rule->id, f->message, f->component,
                      f->pub.count, f->justification ? f->justification : "");
    }
    if (r->ninf) {
        pb_buf_printf(b, "\nINF findings: %zu\n", r->ninf);
        for (size_t i = 0; i < r->ninf; i++) {
            inf_item *it = &r->inf[i];
            pb_buf_printf(b, "  %s:%u: %s %d: %s\n", it->file, it->line, it->severity, it->code, it->message);
            if (*it->fix)
                pb_buf_printf(b, "      fix: %s\n", it->fix);
        }
    }
    if (r->nleaks) {
        pb_buf_printf(b, "\nPool:\n");
        for (size_t i = 0; i < r->nleaks; i++)
            pb_buf_printf(b, "  %s\n", r->leaks[i]);
    }
    if (r->nlog) {
        pb_buf_adds(b, "\nLog (DbgPrint and pnpbox):\n");
        for (size_t i = 0; i < r->nlog; i++)
            pb_buf_printf(b, "  %s\n", r->log[i]);
    }
    size_t e = pnpbox_report_errors(r), w = pnpbox_report_warnings(r);
    pb_buf_printf(b, "\nResult: %s (%zu error%s, %zu warning%s)\n", e ? "FAIL" : "PASS", e, e == 1 ? "" : "s", w,
                  w == 1 ? "" : "s");
}

/* ---------------------------------------------------------------- json */

static const char *outcome_name(pnpbox_outcome o)
{
    switch (o) {
    case PNPBOX_OUTCOME_ALLOWED: return "allowed";
    case PNPBOX_OUTCOME_REPORTED: return "reported";
    case PNPBOX_OUTCOME_DENIED: return "denied";
    case PNPBOX_OUTCOME_SUPPRESSED: return "suppressed";
    }
    return "allowed";
}

static void json_finding(pb_buf *b, const finding *f)
{
    pb_buf_adds(b, "{\"rule\":");
    pb_buf_json_str(b, f->pub.rule->id);
    pb_buf_adds(b, ",\"severity\":");
    pb_buf_json_str(b, f->pub.rule->severity);
    pb_buf_adds(b, ",\"api\":");
    pb_buf_json_str(b, f->api);
    pb_buf_adds(b, ",\"path\":");
    pb_buf_json_str(b, f->path);
    if (f->value) {
        pb_buf_adds(b, ",\"value\":");
        pb_buf_json_str(b, f->value);
    }
    pb_buf_adds(b, ",\"component\":");
    pb_buf_json_str(b, f->component);
    pb_buf_printf(b, ",\"status\":\"0x%08X\",\"origin\":", (unsigned)f->pub.status);
    pb_buf_json_str(b, f->origin);
    pb_buf_adds(b, ",\"outcome\":");
    pb_buf_json_str(b, outcome_name(f->pub.outcome));
    pb_buf_printf(b, ",\"count\":%u,\"message\":", f->pub.count);
    pb_buf_json_str(b, f->message);
    if (f->source_file) {
        pb_buf_adds(b, ",\"source\":");
        pb_buf_json_str(b, f->source_file);
        pb_buf_printf(b, ",\"line\":%u", f->pub.source_line);
    }
    if (f->caller) {
        pb_buf_adds(b, ",\"caller\":");
        pb_buf_json_str(b, f->caller);
    }
    if (f->suppressed) {
        pb_buf_adds(b, ",\"justification\":");
        pb_buf_json_str(b, f->justification);
    }
    pb_buf_adds(b, ",\"fix\":");
    pb_buf_json_str(b, f->pub.rule->alternative);
    pb_buf_addc(b, '}');
}

static void json(pnpbox_report *r, pb_buf *b)
{
    pb_buf_adds(b, "{\"tool\":\"pnpbox\",\"version\":\"" PNPBOX_VERSION "\",\"subject\":");
    pb_buf_json_str(b, r->subject);
    pb_buf_adds(b, ",\"result\":");
    pb_buf_json_str(b, pnpbox_report_result(r) ? "fail" : "pass");
    pb_buf_printf(b, ",\"errors\":%zu,\"warnings\":%zu,\"steps\":[", pnpbox_report_errors(r),
                  pnpbox_report_warnings(r));
    for (size_t i = 0; i < r->nsteps; i++) {
        step *s = &r->steps[i];
        pb_buf_adds(b, i ? ",{\"name\":" : "{\"name\":");
        pb_buf_json_str(b, s->name);
        pb_buf_printf(b, ",\"ok\":%s,\"status\":\"0x%08X\",\"detail\":", s->ok ? "true" : "false",
                      (unsigned)s->status);
        pb_buf_json_str(b, s->detail);
        pb_buf_addc(b, '}');
    }
    pb_buf_adds(b, "],\"violations\":[");
    int first = 1;
    for (size_t i = 0; i < r->nf; i++) {
        if (r->f[i].suppressed)
            continue;
        if (!first)
            pb_buf_addc(b, ',');
        first = 0;
        json_finding(b, &r->f[i]);
    }
    pb_buf_adds(b, "],\"suppressed\":[");
    first = 1;
    for (size_t i = 0; i < r->nf; i++) {
        if (!r->f[i].suppressed)
            continue;
        if (!first)
            pb_buf_addc(b, ',');
        first = 0;
        json_finding(b, &r->f[i]);
    }
    pb_buf_adds(b, "],\"inf_findings\":[");
    for (size_t i = 0; i < r->ninf; i++) {
        inf_item *it = &r->inf[i];
        pb_buf_adds(b, i ? ",{\"file\":" : "{\"file\":");
        pb_buf_json_str(b, it->file);
        pb_buf_printf(b, ",\"line\":%u,\"code\":%d,\"severity\":", it->line, it->code);
        pb_buf_json_str(b, it->severity);
        pb_buf_adds(b, ",\"message\":");
        pb_buf_json_str(b, it->message);
        pb_buf_adds(b, ",\"fix\":");
        pb_buf_json_str(b, it->fix);
        pb_buf_addc(b, '}');
    }
    pb_buf_adds(b, "],\"leaks\":[");
    for (size_t i = 0; i < r->nleaks; i++) {
        if (i)
            pb_buf_addc(b, ',');
        pb_buf_json_str(b, r->leaks[i]);
    }
    pb_buf_adds(b, "],\"log\":[");
    for (size_t i = 0; i < r->nlog; i++) {
        if (i)
            pb_buf_addc(b, ',');
        pb_buf_json_str(b, r->log[i]);
    }
    pb_buf_adds(b, "],\"events\":[");
    for (size_t i = 0; i < r->nev; i++) {
        event_copy *e = &r->ev[i];
        pb_buf_printf(b, "%s{\"seq\":%llu,\"api\":", i ? "," : "", (unsigned long long)e->seq);
        pb_buf_json_str(b, e->api);
        pb_buf_adds(b, ",\"path\":");
        pb_buf_json_str(b, e->path);
        pb_buf_adds(b, ",\"component\":");
        pb_buf_json_str(b, e->component);
        pb_buf_printf(b, ",\"status\":\"0x%08X\",\"origin\":", (unsigned)e->status);
        pb_buf_json_str(b, e->origin);
        pb_buf_adds(b, ",\"rules\":");
        pb_buf_json_str(b, e->rules);
        pb_buf_adds(b, ",\"outcome\":");
        pb_buf_json_str(b, outcome_name(e->outcome));
        if (e->findings) {
            pb_buf_adds(b, ",\"findings\":");
            pb_buf_adds(b, e->findings);
        }
        pb_buf_addc(b, '}');
    }
    pb_buf_adds(b, "]}\n");
}

/* ---------------------------------------------------------------- sarif */

static void sarif_rule(pb_buf *b, const char *id, const char *name, const char *shortd, const char *fulld,
                       const char *help, const char *uri, const char *level, int *first)
{
    if (!*first)
        pb_buf_addc(b, ',');
    *first = 0;
    pb_buf_adds(b, "{\"id\":");
    pb_buf_json_str(b, id);
    pb_buf_adds(b, ",\"name\":");
    pb_buf_json_str(b, name);
    pb_buf_adds(b, ",\"shortDescription\":{\"text\":");
    pb_buf_json_str(b, shortd);
    pb_buf_adds(b, "},\"fullDescription\":{\"text\":");
    pb_buf_json_str(b, fulld);
    pb_buf_adds(b, "},\"help\":{\"text\":");
    pb_buf_json_str(b, help);
    pb_buf_adds(b, "},\"helpUri\":");
    pb_buf_json_str(b, uri);
    pb_buf_adds(b, ",\"defaultConfiguration\":{\"level\":");
    pb_buf_json_str(b, level);
    pb_buf_adds(b, "}}");
}

/*
 * A file path as a SARIF artifact URI: relative to the working directory
 * when the file is under it (code scanning resolves those against the
 * repository root, where CI runs verify), else a file:// URI; characters
 * outside RFC 3986's unreserved set and '/' are percent-encoded.
 */
static void sarif_uri(pb_buf *b, const char *path)
{
    char cwd[4096];
    const char *p = path ? path : "";
    pb_buf u = PB_BUF_INIT;
    if (p[0] == '/') {
        size_t n = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
        if (n > 1 && !strncmp(p, cwd, n) && p[n] == '/')
            p += n + 1;
        else
            pb_buf_adds(&u, "file://");
    }
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) || strchr("-._~/", c))
            pb_buf_addc(&u, (char)c);
        else
            pb_buf_printf(&u, "%%%02X", c);
    }
    pb_buf_addc(&u, 0);
    pb_buf_json_str(b, u.data && !u.oom ? (const char *)u.data : "");
    pb_buf_free(&u);
}

static void sarif_location(pb_buf *b, const char *uri, unsigned line)
{
    pb_buf_adds(b, ",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":");
    sarif_uri(b, uri);
    pb_buf_printf(b, "},\"region\":{\"startLine\":%u}}}]", line ? line : 1);
}

static void sarif(pnpbox_report *r, pb_buf *b)
{
    pb_buf_adds(b, "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
                   "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"pnpbox\",\"version\":\"" PNPBOX_VERSION "\","
                   "\"informationUri\":\"" PNPBOX_URI "\",\"rules\":[");
    int first = 1;
    size_t nrules = pnpbox_rule_count();
    for (size_t i = 0; i < nrules; i++) {
        const pnpbox_rule *rule = pnpbox_rule_at(i);
        pb_buf h = PB_BUF_INIT;
        pb_buf_printf(&h, "%s\n\nFix: %s\n\nBefore:\n%s\n\nAfter:\n%s", rule->explanation, rule->alternative,
                      rule->before, rule->after);
        char *help = pb_buf_steal(&h);
        sarif_rule(b, rule->id, rule->id, rule->title, rule->explanation, help ? help : "", rule->reference,
                   strcmp(rule->severity, "error") ? "warning" : "error", &first);
        free(help);
    }
    size_t ninfr;
    const inf_rule *ir = emu_inf_rules(&ninfr);
    for (size_t i = 0; i < ninfr; i++) {
        if (!ir[i].implemented)
            continue;
        char id[32], name[48];
        snprintf(id, sizeof id, "%d", ir[i].code);
        snprintf(name, sizeof name, "InfVerif%d", ir[i].code);
        pb_buf h = PB_BUF_INIT;
        pb_buf_printf(&h, "%s. Fix: %s", ir[i].title, ir[i].fix ? ir[i].fix : "");
        char *help = pb_buf_steal(&h);
        sarif_rule(b, id, name, ir[i].title, ir[i].format ? ir[i].format : ir[i].title, help ? help : "",
                   ir[i].doc ? ir[i].doc : "", ir[i].level_w == INF_SEV_ERROR ? "error" : "warning", &first);
        free(help);
    }
    pb_buf_adds(b, "]}},\"results\":[");
    first = 1;
    for (size_t i = 0; i < r->nf; i++) {
        finding *f = &r->f[i];
        size_t idx = 0;
        for (size_t k = 0; k < nrules; k++)
            if (pnpbox_rule_at(k) == f->pub.rule)
                idx = k;
        if (!first)
            pb_buf_addc(b, ',');
        first = 0;
        pb_buf_adds(b, "{\"ruleId\":");
        pb_buf_json_str(b, f->pub.rule->id);
        pb_buf_printf(b, ",\"ruleIndex\":%zu,\"level\":", idx);
        pb_buf_json_str(b, f->suppressed ? "note" : strcmp(f->pub.rule->severity, "error") ? "warning" : "error");
        pb_buf_adds(b, ",\"message\":{\"text\":");
        pb_buf_json_str(b, f->message);
        pb_buf_addc(b, '}');
        if (f->source_file)
            sarif_location(b, f->source_file, f->pub.source_line);
        else
            sarif_location(b, r->inf_path ? r->inf_path : r->subject, 1);
        if (f->suppressed) {
            pb_buf_adds(b, ",\"suppressions\":[{\"kind\":\"external\",\"justification\":");
            pb_buf_json_str(b, f->justification);
            pb_buf_adds(b, "}]");
        }
        pb_buf_addc(b, '}');
    }
    for (size_t i = 0; i < r->ninf; i++) {
        inf_item *it = &r->inf[i];
        size_t idx = nrules, k = 0;
        for (size_t j = 0; j < ninfr; j++) {
            if (!ir[j].implemented)
                continue;
            if (ir[j].code == it->code)
                idx = nrules + k;
            k++;
        }
        if (!first)
            pb_buf_addc(b, ',');
        first = 0;
        pb_buf_printf(b, "{\"ruleId\":\"%d\",\"ruleIndex\":%zu,\"level\":", it->code, idx);
        pb_buf_json_str(b, it->severity);
        pb_buf_adds(b, ",\"message\":{\"text\":");
        pb_buf_json_str(b, it->message);
        pb_buf_addc(b, '}');
        sarif_location(b, it->file, it->line);
        pb_buf_addc(b, '}');
    }
    pb_buf_adds(b, "]}]}\n");
}

/* ---------------------------------------------------------------- junit */

static void junit(pnpbox_report *r, pb_buf *b)
{
    size_t nrules = pnpbox_rule_count();
    size_t tests = r->nsteps + nrules + 1 + (r->nleaks ? 1 : 0), failures = 0;
    for (size_t i = 0; i < r->nsteps; i++)
        failures += !r->steps[i].ok;
    for (size_t k = 0; k < nrules; k++)
        for (size_t i = 0; i < r->nf; i++)
            if (r->f[i].pub.rule == pnpbox_rule_at(k) && !r->f[i].suppressed &&
                !strcmp(r->f[i].pub.rule->severity, "error")) {
                failures++;
                break;
            }
    size_t inf_errors = 0;
    for (size_t i = 0; i < r->ninf; i++)
        inf_errors += !strcmp(r->inf[i].severity, "error");
    failures += inf_errors ? 1 : 0;
    failures += r->leak_errors ? 1 : 0;
    pb_buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"pnpbox\">\n");
    pb_buf_adds(b, "  <testsuite name=\"");
    pb_buf_xml_str(b, r->subject);
    pb_buf_printf(b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n", tests, failures);
    for (size_t i = 0; i < r->nsteps; i++) {
        step *s = &r->steps[i];
        pb_buf_adds(b, "    <testcase classname=\"lifecycle\" name=\"");
        pb_buf_xml_str(b, s->name);
        if (s->ok) {
            pb_buf_adds(b, "\"/>\n");
        } else {
            pb_buf_adds(b, "\">\n      <failure message=\"");
            pb_buf_printf(b, "%s", status_text(s->status));
            pb_buf_adds(b, "\">");
            pb_buf_xml_str(b, s->detail);
            pb_buf_adds(b, "</failure>\n    </testcase>\n");
        }
    }
    for (size_t k = 0; k < nrules; k++) {
        const pnpbox_rule *rule = pnpbox_rule_at(k);
        pb_buf_adds(b, "    <testcase classname=\"isolation\" name=\"");
        pb_buf_xml_str(b, rule->id);
        pb_buf body = PB_BUF_INIT;
        int fail = 0, warn = 0;
        for (size_t i = 0; i < r->nf; i++) {
            finding *f = &r->f[i];
            if (f->pub.rule != rule || f->suppressed)
                continue;
            if (!strcmp(rule->severity, "error"))
                fail = 1;
            else
                warn = 1;
            pb_buf_printf(&body, "%s [%s, %ux]\n", f->message, f->component, f->pub.count);
        }
        if (!fail && !warn) {
            pb_buf_adds(b, "\"/>\n");
        } else {
            pb_buf_printf(&body, "\n%s\nFix: %s\n", rule->explanation, rule->alternative);
            char *text = pb_buf_steal(&body);
            if (fail) {
                pb_buf_adds(b, "\">\n      <failure message=\"");
                pb_buf_xml_str(b, rule->title);
                pb_buf_adds(b, "\">");
                pb_buf_xml_str(b, text);
                pb_buf_adds(b, "</failure>\n    </testcase>\n");
            } else {
                pb_buf_adds(b, "\">\n      <system-out>");
                pb_buf_xml_str(b, text);
                pb_buf_adds(b, "</system-out>\n    </testcase>\n");
            }
            free(text);
        }
        pb_buf_free(&body);
    }
    pb_buf_adds(b, "    <testcase classname=\"inf\" name=\"InfVerif /w\"");
    if (!r->ninf) {
        pb_buf_adds(b, "/>\n");
    } else {
        pb_buf body = PB_BUF_INIT;
        for (size_t i = 0; i < r->ninf; i++)
            pb_buf_printf(&body, "%s:%u: %s %d: %s\n  fix: %s\n", r->inf[i].file, r->inf[i].line, r->inf[i].severity,
                          r->inf[i].code, r->inf[i].message, r->inf[i].fix);
        char *text = pb_buf_steal(&body);
        pb_buf_adds(b, inf_errors ? ">\n      <failure message=\"INF errors\">" : ">\n      <system-out>");
        pb_buf_xml_str(b, text);
        pb_buf_adds(b, inf_errors ? "</failure>\n    </testcase>\n" : "</system-out>\n    </testcase>\n");
        free(text);
    }
    if (r->nleaks) {
        pb_buf body = PB_BUF_INIT;
        for (size_t i = 0; i < r->nleaks; i++)
            pb_buf_printf(&body, "%s\n", r->leaks[i]);
        char *text = pb_buf_steal(&body);
        pb_buf_adds(b, "    <testcase classname=\"pool\" name=\"leaks and pool errors\"");
        pb_buf_adds(b, r->leak_errors ? ">\n      <failure message=\"pool\">" : ">\n      <system-out>");
        pb_buf_xml_str(b, text);
        pb_buf_adds(b, r->leak_errors ? "</failure>\n    </testcase>\n" : "</system-out>\n    </testcase>\n");
        free(text);
    }
    if (r->nlog) {
        pb_buf_adds(b, "    <system-out>");
        for (size_t i = 0; i < r->nlog; i++) {
            pb_buf_xml_str(b, r->log[i]);
            pb_buf_addc(b, '\n');
        }
        pb_buf_adds(b, "</system-out>\n");
    }
    pb_buf_adds(b, "  </testsuite>\n</testsuites>\n");
}

int pnpbox_report_write(pnpbox_report *r, FILE *out, pnpbox_format fmt)
{
    pb_buf b = PB_BUF_INIT;
    switch (fmt) {
    case PNPBOX_FORMAT_TEXT: text(r, &b); break;
    case PNPBOX_FORMAT_JSON: json(r, &b); break;
    case PNPBOX_FORMAT_SARIF: sarif(r, &b); break;
    case PNPBOX_FORMAT_JUNIT: junit(r, &b); break;
    default: return -EINVAL;
    }
    if (b.oom) {
        pb_buf_free(&b);
        return -ENOMEM;
    }
    size_t w = b.len ? fwrite(b.data, 1, b.len, out) : 0;
    int rc = w == b.len ? 0 : -EIO;
    pb_buf_free(&b);
    return rc;
}

/* ---------------------------------------------------------------- explain */

void pnpbox_explain_rule(FILE *out, const pnpbox_rule *rule)
{
    pb_buf b = PB_BUF_INIT;
    pb_buf_printf(&b, "%s (%s): %s\n\n", rule->id, rule->severity, rule->title);
    wrap(&b, "", rule->explanation);
    pb_buf_adds(&b, "\n");
    wrap(&b, "Instead: ", rule->alternative);
    pb_buf_adds(&b, "\nBefore:\n");
    code_block(&b, "", rule->before);
    pb_buf_adds(&b, "After:\n");
    code_block(&b, "", rule->after);
    pb_buf_printf(&b, "\nSource: %s\nReference: %s\n", rule->source, rule->reference);
    if (b.data)
        fputs((char *)b.data, out);
    pb_buf_free(&b);
}

void pnpbox_rules_markdown(FILE *out)
{
    fprintf(out, "# Isolation rules\n\n"
                 "Generated by `pnpbox explain --markdown` from the rule catalogue in\n"
                 "`emu/rule_catalog.c`; do not edit by hand. `pnpbox explain RULE-ID` prints the\n"
                 "same text in a terminal.\n\n"
                 "| id | severity | what it catches |\n|---|---|---|\n");
    for (size_t i = 0; i < pnpbox_rule_count(); i++) {
        const pnpbox_rule *r = pnpbox_rule_at(i);
        fprintf(out, "| [%s](#%s) | %s | %s |\n", r->id, r->id, r->severity, r->title);
    }
    for (size_t i = 0; i < pnpbox_rule_count(); i++) {
        const pnpbox_rule *r = pnpbox_rule_at(i);
        fprintf(out, "\n<a id=\"%s\"></a>\n## %s\n\n**%s** — %s\n\n%s\n\n**Instead:** %s\n\nBefore:\n\n```c\n%s\n```\n\n"
                     "After:\n\n```c\n%s\n```\n\nSource: %s. Reference: <%s>\n",
                r->id, r->id, r->severity, r->title, r->explanation, r->alternative, r->before, r->after, r->source,
                r->reference);
    }
}
