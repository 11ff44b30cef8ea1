/*
 * rc_tcommon.c: the helpers of rc_tcommon.h.
 */
#include "tests/rules/rc_tcommon.h"

#include "emu/emu.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t rc_first;
rc_ctx rc_x;

void rc_setup(void)
{
    pnpbox_fixture_init();
    pnpbox_set_mode(pnpbox_t_machine, PNPBOX_MODE_REPORT);
    rc_world_make();
    rc_first = pnpbox_event_count(pnpbox_t_machine);
}

void rc_teardown(void)
{
    pnpbox_fixture_fini();
    rc_world_free();
}

const rc_case *rc_case_named(const char *name)
{
    for (size_t i = 0; i < rc_ncases; i++)
        if (!strcmp(rc_cases[i].name, name))
            return &rc_cases[i];
    cr_assert_fail("no corpus case '%s'", name);
    return NULL;
}

void rc_run_as(const rc_case *c, rc_snippet fn)
{
    memset(&rc_x, 0, sizeof rc_x);
    pnpbox_component *comp = pnpbox_component_get(pnpbox_t_machine, c->kind, c->comp);
    cr_assert_not_null(comp, "%s: no component %s", c->name, c->comp);
    pnpbox_enter(comp);
    fn(&rc_x);
    pnpbox_enter(NULL);
}

const char *rc_who(const rc_case *c) { return c->who ? c->who : c->comp; }

rc_snippet rc_probe(const rc_case *c)
{
    return c->kind == PNPBOX_COMP_KERNEL_DRIVER ? k_probe_hardware_key : u_probe_hardware_key;
}

int rc_has_rule(const char *rules, const char *id)
{
    size_t l = strlen(id);
    for (const char *p = rules ? rules : ""; (p = strstr(p, id)); p += l)
        if ((p == rules || p[-1] == ' ') && (p[l] == 0 || p[l] == ' '))
            return 1;
    return 0;
}

const char *rc_outcome_name(pnpbox_outcome o)
{
    switch (o) {
    case PNPBOX_OUTCOME_ALLOWED: return "allowed";
    case PNPBOX_OUTCOME_REPORTED: return "reported";
    case PNPBOX_OUTCOME_DENIED: return "denied";
    case PNPBOX_OUTCOME_SUPPRESSED: return "suppressed";
    }
    return "?";
}

const char *rc_events_text(void)
{
    static char buf[16384];
    size_t o = 0;
    buf[0] = 0;
    pnpbox_machine *m = pnpbox_t_machine;
    for (size_t i = rc_first; i < pnpbox_event_count(m) && o + 400 < sizeof buf; i++) {
        const pnpbox_event *e = pnpbox_event_get(m, i);
        o += (size_t)snprintf(buf + o, sizeof buf - o, "\n  %s %s '%s' [%s] %s origin=%s status=0x%08x", e->component,
                              e->api, e->path ? e->path : "", e->rules, rc_outcome_name(e->outcome),
                              e->origin ? e->origin : "", (unsigned)e->status);
    }
    return buf;
}

const pnpbox_event *rc_finding(const rc_case *c, const char *rule)
{
    pnpbox_machine *m = pnpbox_t_machine;
    const char *pattern = rc_expand(c->path);
    for (size_t i = rc_first; i < pnpbox_event_count(m); i++) {
        const pnpbox_event *e = pnpbox_event_get(m, i);
        if (rc_has_rule(e->rules, rule) && e->api && !strcmp(e->api, c->api) && e->path &&
            !fnmatch(pattern, e->path, FNM_CASEFOLD | FNM_NOESCAPE))
            return e;
    }
    cr_assert_fail("%s: no %s finding by %s at '%s'; the events:%s", c->name, rule, c->api, pattern,
                   rc_events_text());
    return NULL;
}

const pnpbox_event *rc_event_with(const char *rule, const char *part)
{
    pnpbox_machine *m = pnpbox_t_machine;
    for (size_t i = rc_first; i < pnpbox_event_count(m); i++) {
        const pnpbox_event *e = pnpbox_event_get(m, i);
        if (rc_has_rule(e->rules, rule) && (!part || (e->path && strcasestr(e->path, part))))
            return e;
    }
    return NULL;
}

jv *rc_json_report(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    cr_assert_eq(pnpbox_report_write(pnpbox_t_report(), f, PNPBOX_FORMAT_JSON), 0);
    fclose(f);
    jv *root = json_parse(text);
    cr_assert_not_null(root, "the JSON report does not parse:\n%s", text);
    free(text);
    return root;
}

const jv *rc_json_finding(const jv *root, const char *which, const char *rule, const char *api)
{
    const jv *list = json_get(root, which);
    cr_assert(list && list->t == J_ARR, "the JSON report has no '%s' list", which);
    for (size_t k = 0; k < list->n; k++) {
        const jv *r = json_get(list->items[k], "rule"), *a = json_get(list->items[k], "api");
        if (r && r->t == J_STR && !strcmp(r->str, rule) && a && a->t == J_STR && (!api || !strcmp(a->str, api)))
            return list->items[k];
    }
    return NULL;
}
