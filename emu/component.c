/*
 * component.c: components, the "who" of every access (DESIGN.md "the
 * spine").  The calling thread's component is thread-local: the PnP
 * manager switches it around each call into driver code, services and
 * tests switch it with pnpbox_enter().  FUSE requests are mapped from the
 * caller's process to a component bound with pnpbox_component_bind_pid().
 */
#include "emu/emu.h"

#include "base/pb_utf16.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

__thread pnpbox_component *emu_tls_comp; /* emu_comp() reads it inline (emu.h) */

/* The component a whole process runs as (pnpbox_attach), for threads that never called pnpbox_enter. */
static pnpbox_component *_Atomic process_comp;

void emu_set_process_component(pnpbox_component *c) { process_comp = c; }

void emu_comp_machine_gone(pnpbox_machine *m)
{
    pnpbox_component *pc = process_comp;
    if (pc && pc->m == m)
        process_comp = NULL;
}

pnpbox_component *emu_comp_slow(void)
{
    pnpbox_machine *m = emu_machine();
    pnpbox_component *pc = process_comp;
    if (pc && pc->m == m)
        return pc;
    return m ? m->harness : NULL;
}

pnpbox_component *pnpbox_current_component(void) { return emu_comp(); }

pnpbox_component *pnpbox_enter(pnpbox_component *c)
{
    pnpbox_component *prev = emu_tls_comp;
    emu_tls_comp = c;
    return prev;
}

static int names_equal(const char *a, const char *b)
{
    /* Service names compare case-insensitively under Windows' upcase table. */
    uint16_t *wa = pb_wcs_from_utf8(a), *wb = pb_wcs_from_utf8(b);
    int eq = wa && wb && pb_wcsnieq(wa, pb_wcslen(wa), wb, pb_wcslen(wb));
    free(wa);
    free(wb);
    return eq;
}

pnpbox_component *emu_comp_find(pnpbox_machine *m, pnpbox_component_kind kind, const char *name)
{
    for (int i = 0; i < m->ncomps; i++) {
        pnpbox_component *c = m->comps[i];
        if (c->kind == kind && names_equal(c->name, name))
            return c;
    }
    return NULL;
}

pnpbox_component *pnpbox_component_get(pnpbox_machine *m, pnpbox_component_kind kind, const char *name)
{
    if (!m || !name || !*name)
        return NULL;
    emu_lock(m);
    pnpbox_component *c = emu_comp_find(m, kind, name);
    if (c)
        goto out;
    if (m->ncomps == m->comps_cap) {
        int cap = m->comps_cap ? m->comps_cap * 2 : 8;
        pnpbox_component **p = realloc(m->comps, (size_t)cap * sizeof *p);
        if (!p)
            goto out;
        m->comps = p;
        m->comps_cap = cap;
    }
    c = calloc(1, sizeof *c);
    if (!c)
        goto out;
    c->m = m;
    c->id = m->ncomps + 1;
    c->kind = kind;
    c->name = strdup(name);
    c->wname = pb_wcs_from_utf8(name);
    if (!c->name || !c->wname) {
        free(c->name);
        free(c->wname);
        free(c);
        c = NULL;
        goto out;
    }
    c->wname_len = pb_wcslen(c->wname);
    m->comps[m->ncomps++] = c;
out:
    emu_unlock(m);
    return c;
}

const char *pnpbox_component_name(const pnpbox_component *c) { return c ? c->name : "(none)"; }

pnpbox_component_kind pnpbox_component_kind_of(const pnpbox_component *c)
{
    return c ? c->kind : PNPBOX_COMP_HARNESS;
}

int emu_comp_is(const pnpbox_component *c, const uint16_t *svc, size_t n)
{
    return c && svc && pb_wcsnieq(c->wname, c->wname_len, svc, n);
}

int pnpbox_component_bind_pid(pnpbox_machine *m, pnpbox_component *c, int pid)
{
    if (!m || !c || pid <= 0)
        return -EINVAL;
    emu_lock(m);
    int rc = 0;
    for (int i = 0; i < m->npid; i++) {
        if (m->pidmap[i].pid == pid) {
            m->pidmap[i].c = c;
            goto out;
        }
    }
    if (m->npid == m->pid_cap) {
        int cap = m->pid_cap ? m->pid_cap * 2 : 8;
        void *p = realloc(m->pidmap, (size_t)cap * sizeof *m->pidmap);
        if (!p) {
            rc = -ENOMEM;
            goto out;
        }
        m->pidmap = p;
        m->pid_cap = cap;
    }
    m->pidmap[m->npid].pid = pid;
    m->pidmap[m->npid].c = c;
    m->npid++;
out:
    emu_unlock(m);
    return rc;
}

/*
 * A process another pnpbox process bound to a component (pnpbox run writes
 * the machine's process_bindings table before the program starts and
 * removes the row when it exits), or NULL.  Not cached: pids are reused,
 * and the FUSE layer already caches its identification for a second.
 */
static pnpbox_component *bound_elsewhere(pnpbox_machine *m, int tgid)
{
    if (!m->dir || tgid <= 0)
        return NULL;
    pnpbox_component *c = NULL;
    sqlite3_stmt *s = NULL;
    emu_lock(m);
    if (sqlite3_prepare_v2(regdb_sqlite(m->reg), "SELECT kind, name FROM process_bindings WHERE pid = ?", -1, &s,
                           NULL) == SQLITE_OK &&
        sqlite3_bind_int(s, 1, tgid) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
        int kind = sqlite3_column_int(s, 0);
        const char *name = (const char *)sqlite3_column_text(s, 1);
        if (name && (kind == PNPBOX_COMP_KERNEL_DRIVER || kind == PNPBOX_COMP_WIN32_SERVICE || kind == PNPBOX_COMP_APP))
            c = pnpbox_component_get(m, (pnpbox_component_kind)kind, name);
    }
    sqlite3_finalize(s);
    emu_unlock(m);
    return c;
}

pnpbox_component *emu_comp_for_pid(pnpbox_machine *m, int tgid)
{
    for (int i = 0; i < m->npid; i++)
        if (m->pidmap[i].pid == tgid)
            return m->pidmap[i].c;
    pnpbox_component *c = bound_elsewhere(m, tgid);
    return c ? c : m->external;
}

int emu_comp_note_notify(pnpbox_component *c, const GUID *cls)
{
    if (!cls) {
        c->notify_all = 1;
        return 0;
    }
    if (emu_comp_has_notify(c, cls))
        return 0;
    if (c->nnotify == c->notify_cap) {
        int cap = c->notify_cap ? c->notify_cap * 2 : 4;
        GUID *p = realloc(c->notify_classes, (size_t)cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        c->notify_classes = p;
        c->notify_cap = cap;
    }
    c->notify_classes[c->nnotify++] = *cls;
    return 0;
}

int emu_comp_has_notify(const pnpbox_component *c, const GUID *cls)
{
    if (c->notify_all)
        return 1;
    for (int i = 0; i < c->nnotify; i++)
        if (IsEqualGUID(&c->notify_classes[i], cls))
            return 1;
    return 0;
}
