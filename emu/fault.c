/*
 * fault.c: deterministic fault injection, Driver Verifier's low-resources
 * idea made repeatable (issue 6).  A rule "API:N[:STATUS]" makes the N-th
 * call of API (counted per machine from when the rule was added) fail with
 * STATUS (default STATUS_INSUFFICIENT_RESOURCES; for pool allocations the
 * call returns NULL).  API "*" counts every call that has a fault point.
 *
 * Mock APIs call emu_fault() at the point where Windows could fail for lack
 * of resources, before changing anything, so an injected failure never
 * leaves half-done state.
 */
#include "emu/emu.h"

#include <ntstatus.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct emu_fault_rule {
    char *api;
    unsigned nth;
    unsigned seen;
    emu_status status;
    int fired;
} emu_fault_rule;

struct emu_faults {
    emu_fault_rule *r;
    int n;
};

int pnpbox_fault_add(pnpbox_machine *m, const char *api, unsigned nth, int32_t status)
{
    if (!m || !api || !*api || !nth)
        return -EINVAL;
    emu_lock(m);
    if (!m->faults && !(m->faults = calloc(1, sizeof *m->faults))) {
        emu_unlock(m);
        return -ENOMEM;
    }
    emu_fault_rule *p = realloc(m->faults->r, (size_t)(m->faults->n + 1) * sizeof *p);
    if (!p) {
        emu_unlock(m);
        return -ENOMEM;
    }
    m->faults->r = p;
    emu_fault_rule *f = &p[m->faults->n];
    f->api = strdup(api);
    if (!f->api) {
        emu_unlock(m);
        return -ENOMEM;
    }
    f->nth = nth;
    f->seen = 0;
    f->fired = 0;
    f->status = status ? status : STATUS_INSUFFICIENT_RESOURCES;
    m->faults->n++;
    emu_unlock(m);
    return 0;
}

/* "API:N[:STATUS]" with STATUS a name (STATUS_DISK_FULL) or a number. */
int pnpbox_fault_parse(pnpbox_machine *m, const char *spec)
{
    if (!spec)
        return -EINVAL;
    char *s = strdup(spec);
    if (!s)
        return -ENOMEM;
    char *api = s, *n = strchr(s, ':');
    int rc = -EINVAL;
    if (!n || n == s)
        goto out;
    *n++ = 0;
    char *st = strchr(n, ':'), *end;
    if (st)
        *st++ = 0;
    unsigned long nth = strtoul(n, &end, 10);
    if (*end || !nth || nth > 0xffffffffu)
        goto out;
    int32_t status = 0;
    if (st) {
        if (!strncasecmp(st, "STATUS_", 7)) {
            int found = 0;
            for (uint32_t v = 0xC0000001; v < 0xC0000400 && !found; v++)
                if (!strcasecmp(emu_status_name((emu_status)v), st))
                    status = (int32_t)v, found = 1;
            if (!found)
                goto out;
        } else {
            unsigned long v = strtoul(st, &end, 0);
            if (*end || v > 0xffffffffu)
                goto out;
            status = (int32_t)(uint32_t)v;
        }
    }
    rc = pnpbox_fault_add(m, api, (unsigned)nth, status);
out:
    free(s);
    return rc;
}

int emu_fault(pnpbox_machine *m, const char *api, emu_status *st)
{
    if (!m || !m->faults)
        return 0;
    int fail = 0;
    emu_lock(m);
    for (int i = 0; i < m->faults->n; i++) {
        emu_fault_rule *f = &m->faults->r[i];
        if (strcmp(f->api, "*") && strcasecmp(f->api, api))
            continue;
        if (++f->seen == f->nth && !f->fired) {
            f->fired = 1;
            fail = 1;
            if (st)
                *st = f->status;
            emu_log(m, "pnpbox: injected failure: call %u of %s fails with %s", f->seen, api,
                    emu_status_name(f->status));
        }
    }
    emu_unlock(m);
    return fail;
}

void emu_faults_free(struct emu_faults *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->n; i++)
        free(f->r[i].api);
    free(f->r);
    free(f);
}
