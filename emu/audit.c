/*
 * audit.c: the audit log.  Every access a mock API makes (or refuses) is
 * recorded with the component, API, object path as Windows names it,
 * access, handle origin, status and outcome (DESIGN.md "Audit event").
 * Embedded machines keep the log in memory; machines with a directory also
 * append it to registry.db's audit table, so that the FUSE daemon and
 * `pnpbox run` children add to one log that `pnpbox audit` reads.
 * Driver debug output (DbgPrint) is kept beside it.
 */
#include "emu/emu.h"

#include "base/pb_buf.h"

#include <dlfcn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static char *caller_name(void *addr)
{
    Dl_info di;
    if (!addr || !dladdr(addr, &di) || !di.dli_fname)
        return NULL;
    const char *base = strrchr(di.dli_fname, '/');
    base = base ? base + 1 : di.dli_fname;
    char buf[512];
    snprintf(buf, sizeof buf, "%s+0x%lx", *base ? base : "?",
             (unsigned long)((const char *)addr - (const char *)di.dli_fbase));
    return strdup(buf);
}

static void persist(pnpbox_machine *m, const pnpbox_event *e)
{
    sqlite3 *db = regdb_sqlite(m->reg);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO audit(component, kind, api, path, value, access, write, origin, status,"
                           " outcome, rules, caller) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &s, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(s, 1, e->component, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, e->component_kind);
    sqlite3_bind_text(s, 3, e->api, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, e->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, e->value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, e->access);
    sqlite3_bind_int(s, 7, e->write);
    sqlite3_bind_text(s, 8, e->origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 9, e->status);
    sqlite3_bind_int(s, 10, e->outcome);
    sqlite3_bind_text(s, 11, e->rules, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 12, e->caller, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_finalize(s);
}

void emu_record(pnpbox_machine *m, const emu_access *a, const emu_verdict *v, emu_status status)
{
    pnpbox_component *c = a->comp ? a->comp : emu_comp();
    pb_buf rules = PB_BUF_INIT;
    const char *why = NULL;
    for (int i = 0; v && i < v->n; i++) {
        if (rules.len)
            pb_buf_addc(&rules, ' ');
        pb_buf_adds(&rules, v->rules[i]->id);
        if (v->suppressed[i] && !why)
            why = emu_baseline_justification(m, v->rules[i], c, a->path);
    }
    pnpbox_event e = {0};
    e.component = dup_or_null(pnpbox_component_name(c));
    e.component_kind = c ? (int)c->kind : 0;
    e.api = dup_or_null(a->api);
    if (a->kind == EMU_ACC_FILE && a->path)
        e.path = emu_vpath_to_win32(a->path);
    else
        e.path = dup_or_null(a->path);
    e.value = dup_or_null(a->value);
    e.access = a->access;
    e.write = a->write;
    e.origin = dup_or_null(a->absolute ? "absolute" : emu_prov_origin(a->prov));
    e.status = status;
    e.outcome = v ? v->outcome : PNPBOX_OUTCOME_ALLOWED;
    e.rules = pb_buf_steal(&rules);
    e.caller = caller_name(a->caller);
    e.caller_addr = a->caller;
    e.justification = dup_or_null(why);
    if (!e.rules)
        e.rules = strdup("");
    emu_lock(m);
    emu_event_store *st = &m->audit;
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 256;
        pnpbox_event *p = realloc(st->ev, cap * sizeof *p);
        if (!p) {
            emu_unlock(m);
            return; /* out of memory: the event is lost, the call still answers */
        }
        st->ev = p;
        st->cap = cap;
    }
    e.seq = ++st->next_seq;
    st->ev[st->n++] = e;
    if (m->dir)
        persist(m, &st->ev[st->n - 1]);
    emu_unlock(m);
}

size_t pnpbox_event_count(pnpbox_machine *m) { return m ? m->audit.n : 0; }

static char *col(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? strdup((const char *)t) : NULL;
}

/* Events persisted by earlier processes on this machine directory (FUSE, pnpbox run, verify). */
int pnpbox_audit_load(pnpbox_machine *m, int clear)
{
    if (!m || !m->dir)
        return -EINVAL;
    sqlite3 *db = regdb_sqlite(m->reg);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db,
                           "SELECT seq, component, kind, api, path, value, access, write, origin, status, outcome,"
                           " rules, caller FROM audit ORDER BY seq",
                           -1, &s, NULL) != SQLITE_OK)
        return -EIO;
    int n = 0;
    emu_lock(m);
    emu_event_store *st = &m->audit;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (st->n == st->cap) {
            size_t cap = st->cap ? st->cap * 2 : 256;
            pnpbox_event *p = realloc(st->ev, cap * sizeof *p);
            if (!p)
                break;
            st->ev = p;
            st->cap = cap;
        }
        pnpbox_event e = {0};
        e.seq = (uint64_t)sqlite3_column_int64(s, 0);
        e.component = col(s, 1);
        e.component_kind = sqlite3_column_int(s, 2);
        e.api = col(s, 3);
        e.path = col(s, 4);
        e.value = col(s, 5);
        e.access = (uint32_t)sqlite3_column_int64(s, 6);
        e.write = sqlite3_column_int(s, 7);
        e.origin = col(s, 8);
        e.status = (int32_t)sqlite3_column_int64(s, 9);
        e.outcome = (pnpbox_outcome)sqlite3_column_int(s, 10);
        e.rules = col(s, 11);
        e.caller = col(s, 12);
        if (!e.rules)
            e.rules = strdup("");
        st->ev[st->n++] = e;
        if (e.seq > st->next_seq)
            st->next_seq = e.seq;
        n++;
    }
    sqlite3_finalize(s);
    if (clear)
        sqlite3_exec(db, "DELETE FROM audit", NULL, NULL, NULL);
    emu_unlock(m);
    return n;
}

const pnpbox_event *pnpbox_event_get(pnpbox_machine *m, size_t i)
{
    return m && i < m->audit.n ? &m->audit.ev[i] : NULL;
}

void emu_audit_free(emu_event_store *st)
{
    for (size_t i = 0; i < st->n; i++) {
        pnpbox_event *e = &st->ev[i];
        free((char *)e->component);
        free((char *)e->api);
        free((char *)e->path);
        free((char *)e->value);
        free((char *)e->origin);
        free((char *)e->rules);
        free((char *)e->caller);
        free((char *)e->justification);
    }
    free(st->ev);
    for (size_t i = 0; i < st->nlogs; i++)
        free(st->logs[i]);
    free(st->logs);
    memset(st, 0, sizeof *st);
}

void emu_vlog(pnpbox_machine *m, const char *fmt, va_list ap)
{
    pb_buf b = PB_BUF_INIT;
    pb_buf_vprintf(&b, fmt, ap);
    char *s = pb_buf_steal(&b);
    if (!s)
        return;
    emu_lock(m);
    emu_event_store *st = &m->audit;
    if (st->nlogs == st->logs_cap) {
        size_t cap = st->logs_cap ? st->logs_cap * 2 : 64;
        char **p = realloc(st->logs, cap * sizeof *p);
        if (!p) {
            emu_unlock(m);
            free(s);
            return;
        }
        st->logs = p;
        st->logs_cap = cap;
    }
    st->logs[st->nlogs++] = s;
    emu_unlock(m);
}

void emu_log(pnpbox_machine *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emu_vlog(m, fmt, ap);
    va_end(ap);
}

size_t pnpbox_log_count(pnpbox_machine *m) { return m ? m->audit.nlogs : 0; }

const char *pnpbox_log_get(pnpbox_machine *m, size_t i)
{
    return m && i < m->audit.nlogs ? m->audit.logs[i] : NULL;
}
