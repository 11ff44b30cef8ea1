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
#include "emu/fold.h"

#include "base/pb_utf16.h"

#include "base/pb_buf.h"

#include <dlfcn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- interned strings
 * Events share their strings: the same path, API, origin and rule list are
 * stored once per machine, so recording an event allocates nothing once its
 * strings have been seen. */

typedef struct emu_intern {
    char **slot;
    size_t cap, n;
    /* The per-rule findings of events (pnpbox_event.findings), freed with the machine. */
    pnpbox_event_finding **blocks;
    size_t nblocks, blocks_cap;
    /* registry.db's audit table has the findings column: 0 not checked yet, 1 yes, -1 it cannot be added. */
    int findings_col;
} emu_intern;

static emu_intern *intern_table(pnpbox_machine *m)
{
    if (!m->intern)
        m->intern = calloc(1, sizeof(emu_intern));
    return m->intern;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static const char *intern(pnpbox_machine *m, const char *s)
{
    if (!s)
        return NULL;
    emu_intern *t = intern_table(m);
    if (!t)
        return NULL;
    if (t->n * 2 >= t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        char **slot = calloc(cap, sizeof *slot);
        if (!slot)
            return NULL;
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->slot[i])
                continue;
            size_t j = hash_str(t->slot[i]) & (cap - 1);
            while (slot[j])
                j = (j + 1) & (cap - 1);
            slot[j] = t->slot[i];
        }
        free(t->slot);
        t->slot = slot;
        t->cap = cap;
    }
    size_t j = hash_str(s) & (t->cap - 1);
    while (t->slot[j]) {
        if (!strcmp(t->slot[j], s))
            return t->slot[j];
        j = (j + 1) & (t->cap - 1);
    }
    char *d = strdup(s);
    if (!d)
        return NULL;
    t->slot[j] = d;
    t->n++;
    return d;
}

static void intern_free(emu_intern *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->cap; i++)
        free(t->slot[i]);
    free(t->slot);
    for (size_t i = 0; i < t->nblocks; i++)
        free(t->blocks[i]);
    free(t->blocks);
    free(t);
}

/* ---------------------------------------------------------------- per-rule findings
 * An event that broke rules carries one pnpbox_event_finding per rule:
 * its own outcome and, when suppressed, its own baseline entry's
 * justification (a call that breaks two rules may have only one of them
 * suppressed).  The arrays live until the machine goes. */

/* A findings array of n entries owned by the machine, or NULL when out of memory. */
static pnpbox_event_finding *findings_new(pnpbox_machine *m, size_t n)
{
    emu_intern *t = intern_table(m);
    if (!t || !n)
        return NULL;
    if (t->nblocks == t->blocks_cap) {
        size_t cap = t->blocks_cap ? t->blocks_cap * 2 : 64;
        pnpbox_event_finding **b = realloc(t->blocks, cap * sizeof *b);
        if (!b)
            return NULL;
        t->blocks = b;
        t->blocks_cap = cap;
    }
    pnpbox_event_finding *f = calloc(n, sizeof *f);
    if (f)
        t->blocks[t->nblocks++] = f;
    return f;
}

/* The findings of a verdict: each rule, suppressed with its own entry's justification or with the
 * access's outcome.  *first_why gets the first suppressed rule's justification (pnpbox_event's). */
static const pnpbox_event_finding *verdict_findings(pnpbox_machine *m, const emu_access *a, const emu_verdict *v,
                                                    pnpbox_component *c, size_t *n, const char **first_why)
{
    *n = 0;
    *first_why = NULL;
    if (!v || !v->n)
        return NULL;
    pnpbox_event_finding *f = findings_new(m, (size_t)v->n);
    for (int i = 0; i < v->n; i++) {
        const char *why = v->suppressed[i] ? intern(m, emu_baseline_justification(m, v->rules[i], c, a->path)) : NULL;
        if (why && !*first_why)
            *first_why = why;
        if (!f)
            continue;
        f[i].rule = intern(m, v->rules[i]->id);
        f[i].outcome = v->suppressed[i] ? PNPBOX_OUTCOME_SUPPRESSED : v->outcome;
        f[i].justification = why;
    }
    if (f)
        *n = (size_t)v->n;
    return f;
}

/*
 * The persisted form of an event's findings (the audit table's findings
 * column): one line per rule, "RULE-ID<TAB>outcome<TAB>justification"; a
 * justification is one baseline line, so it holds no newline (any is
 * written as a space).
 */
static char *findings_text(const pnpbox_event *e)
{
    if (!e->nfindings)
        return NULL;
    pb_buf b = PB_BUF_INIT;
    for (size_t i = 0; i < e->nfindings; i++) {
        const pnpbox_event_finding *f = &e->findings[i];
        pb_buf_printf(&b, "%s%s\t%d\t", i ? "\n" : "", f->rule ? f->rule : "", (int)f->outcome);
        for (const char *p = f->justification ? f->justification : ""; *p; p++)
            pb_buf_addc(&b, *p == '\n' || *p == '\r' ? ' ' : *p);
    }
    return pb_buf_steal(&b);
}

/* Parse findings_text() back; lines that do not parse are skipped. */
static const pnpbox_event_finding *findings_parse(pnpbox_machine *m, const char *text, size_t *n)
{
    *n = 0;
    if (!text || !*text)
        return NULL;
    size_t lines = 1;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    pnpbox_event_finding *f = findings_new(m, lines);
    if (!f)
        return NULL;
    char *copy = strdup(text);
    if (!copy)
        return NULL;
    size_t k = 0;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line && k < lines; line = strtok_r(NULL, "\n", &save)) {
        char *t1 = strchr(line, '\t');
        char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t1 || !t2 || t1 == line)
            continue;
        *t1 = *t2 = 0;
        char *end = NULL;
        long o = strtol(t1 + 1, &end, 10);
        if (!end || *end || o < PNPBOX_OUTCOME_ALLOWED || o > PNPBOX_OUTCOME_SUPPRESSED)
            continue;
        f[k].rule = intern(m, line);
        f[k].outcome = (pnpbox_outcome)o;
        f[k].justification = o == PNPBOX_OUTCOME_SUPPRESSED ? intern(m, t2 + 1) : NULL;
        k++;
    }
    free(copy);
    *n = k;
    return k ? f : NULL;
}

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

/*
 * Does the machine directory's audit table have the findings column?  A
 * machine directory an older pnpbox made has the table without it (the
 * template creates it with it): the column is added once, so the per-rule
 * outcomes and justifications persist like the rest of the event.
 */
static int column_exists(sqlite3 *db)
{
    sqlite3_stmt *s;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('audit') WHERE name='findings'", -1, &s, NULL) ==
        SQLITE_OK) {
        found = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_finalize(s);
    }
    return found;
}

static int has_findings_column(pnpbox_machine *m)
{
    emu_intern *t = intern_table(m);
    if (!t)
        return 0;
    if (t->findings_col)
        return t->findings_col > 0;
    sqlite3 *db = regdb_sqlite(m->reg);
    int found = column_exists(db);
    if (!found) {
        /* Another process may add it at the same moment: whoever wins, look again. */
        sqlite3_exec(db, "ALTER TABLE audit ADD COLUMN findings TEXT", NULL, NULL, NULL);
        found = column_exists(db);
    }
    t->findings_col = found ? 1 : -1;
    return found;
}

static void persist(pnpbox_machine *m, const pnpbox_event *e)
{
    emu_audit_flush(m); /* the counts first: the table stays in the order things happened */
    sqlite3 *db = regdb_sqlite(m->reg);
    sqlite3_stmt *s;
    int with_findings = has_findings_column(m);
    if (sqlite3_prepare_v2(db,
                           with_findings ? "INSERT INTO audit(component, kind, api, path, value, access, write, origin,"
                                           " status, outcome, rules, caller, findings)"
                                           " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"
                                         : "INSERT INTO audit(component, kind, api, path, value, access, write, origin,"
                                           " status, outcome, rules, caller) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &s, NULL) != SQLITE_OK)
        return;
    char *findings = with_findings ? findings_text(e) : NULL;
    if (with_findings)
        sqlite3_bind_text(s, 13, findings, -1, SQLITE_TRANSIENT);
    free(findings);
    char *caller = caller_name((void *)e->caller_addr);
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
    sqlite3_bind_text(s, 12, caller, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) == SQLITE_DONE)
        m->audit.ev_rowid_last = sqlite3_last_insert_rowid(db);
    sqlite3_finalize(s);
    free(caller);
}

/*
 * The counts of folded events, in a machine directory.  Writing each
 * repeat's new count at once cost a write transaction per repeated access
 * (about 27 us against the 4 us of the query itself), so the counts are
 * written in batches: at most every EMU_AUDIT_COUNT_INTERVAL_NS while
 * accesses repeat (the first repeat after a quiet interval at once), when
 * 64 events wait, before a new event is written, before the table is read
 * back (pnpbox_audit_load), and when the machine is freed (pnpbox_detach at
 * a `pnpbox run` program's exit).  pnpbox's choice: another process reading
 * the table meanwhile (`pnpbox audit`) may see counts behind by the repeats
 * of the last interval, and a process killed outright loses those; events
 * themselves are written when they happen.
 */
#define EMU_AUDIT_COUNT_INTERVAL_NS 100000000ull

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void emu_audit_flush(pnpbox_machine *m)
{
    emu_event_store *st = &m->audit;
    if (!st->ndirty)
        return;
    int n = st->ndirty;
    st->ndirty = 0;
    st->flushed_ns = monotonic_ns();
    if (!m->dir || !st->rowid)
        return;
    sqlite3 *db = regdb_sqlite(m->reg);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "UPDATE audit SET count=?2 WHERE seq=?1", -1, &s, NULL) != SQLITE_OK)
        return;
    /* One transaction for the batch; a savepoint nests in a registry transaction in progress. */
    int sp = sqlite3_exec(db, "SAVEPOINT pnpbox_audit_counts", NULL, NULL, NULL) == SQLITE_OK;
    for (int i = 0; i < n; i++) {
        size_t ix = st->dirty[i];
        if (ix >= st->n || !st->rowid[ix])
            continue;
        sqlite3_bind_int64(s, 1, st->rowid[ix]);
        sqlite3_bind_int64(s, 2, (int64_t)st->ev[ix].count);
        sqlite3_step(s);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    if (sp)
        sqlite3_exec(db, "RELEASE pnpbox_audit_counts", NULL, NULL, NULL);
}

void emu_audit_persist_count(pnpbox_machine *m, size_t index)
{
    emu_event_store *st = &m->audit;
    if (!m->dir || !st->rowid || index >= st->n || !st->rowid[index])
        return;
    int known = 0;
    for (int i = 0; i < st->ndirty && !known; i++)
        known = st->dirty[i] == index;
    if (!known) {
        if (st->ndirty == (int)(sizeof st->dirty / sizeof st->dirty[0]))
            emu_audit_flush(m);
        st->dirty[st->ndirty++] = index;
    }
    if (monotonic_ns() - st->flushed_ns >= EMU_AUDIT_COUNT_INTERVAL_NS)
        emu_audit_flush(m);
}

static const char *rules_of(pnpbox_machine *m, const emu_verdict *v)
{
    if (!v || !v->n)
        return intern(m, "");
    char buf[512];
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < v->n; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i ? " " : "", v->rules[i]->id);
    return intern(m, buf);
}

const char *emu_access_value(const emu_access *a, char *buf, size_t cap)
{
    if (a->value || !a->has_wvalue)
        return a->value;
    if (!cap)
        return NULL;
    /* UTF-16 -> UTF-8 into buf; an unpaired surrogate shows as U+FFFD. */
    pb_utf16_to_utf8_buf(a->wvalue, a->wvalue_len, buf, cap, PB_UTF_REPLACE);
    return buf;
}

emu_fold_slot *emu_fold_take(pnpbox_machine *m, const emu_access *a, pnpbox_component *c, uint64_t key)
{
    emu_fold_slot *s = emu_fold_find(m, a, c, key);
    if (s || !a->fold)
        return s;
    s = &a->fold->slot[a->fold->next++ % EMU_FOLD_SLOTS];
    memset(s, 0, sizeof *s);
    s->api = a->api;
    s->comp = c;
    s->key = key;
    s->gen = m->rules_gen;
    return s;
}

void emu_record(pnpbox_machine *m, const emu_access *a, const emu_verdict *v, emu_status status)
{
    if (m->checking_off)
        return;
    pnpbox_component *c = a->comp ? a->comp : emu_comp();
    pnpbox_outcome outcome = v ? v->outcome : PNPBOX_OUTCOME_ALLOWED;
    emu_lock(m);
    emu_event_store *st = &m->audit;
    uint64_t key = a->fold ? (a->fold_key ? a->fold_key : emu_fold_key(a)) : 0;
    emu_fold_slot *fs = a->fold ? emu_fold_take(m, a, c, key) : NULL;
    if (fs && emu_fold_into(m, fs, outcome, status)) {
        emu_unlock(m);
        return;
    }
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 256;
        pnpbox_event *p = realloc(st->ev, cap * sizeof *p);
        int64_t *r = m->dir ? realloc(st->rowid, cap * sizeof *r) : st->rowid;
        if (p)
            st->ev = p;
        if (r)
            st->rowid = r;
        if (!p || (m->dir && !r)) {
            emu_unlock(m);
            return; /* out of memory: the event is lost, the call still answers */
        }
        st->cap = cap;
    }
    pnpbox_event e = {0};
    e.count = 1;
    e.component = c ? c->name : intern(m, "(none)");
    e.component_kind = c ? (int)c->kind : 0;
    e.api = intern(m, a->api);
    if (a->kind == EMU_ACC_FILE && a->path) {
        char *w = emu_vpath_to_win32(a->path);
        e.path = intern(m, w);
        free(w);
    } else {
        e.path = intern(m, a->path);
    }
    char vbuf[1024];
    e.value = intern(m, emu_access_value(a, vbuf, sizeof vbuf));
    e.access = a->access;
    e.write = a->write;
    e.origin = intern(m, a->absolute ? "absolute" : emu_prov_origin(a->prov));
    e.status = status;
    e.outcome = outcome;
    e.rules = rules_of(m, v);
    e.caller = NULL; /* named on first read (pnpbox_event_get) */
    e.caller_addr = a->caller;
    e.findings = verdict_findings(m, a, v, c, &e.nfindings, &e.justification);
    e.seq = ++st->next_seq;
    st->ev[st->n++] = e;
    if (fs) {
        fs->event = st->n;
        fs->status = status;
    }
    if (m->dir) {
        st->ev_rowid_last = 0;
        persist(m, &st->ev[st->n - 1]);
        st->rowid[st->n - 1] = st->ev_rowid_last;
    }
    emu_unlock(m);
}

size_t pnpbox_event_count(pnpbox_machine *m) { return m ? m->audit.n : 0; }

static const char *col(pnpbox_machine *m, sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? intern(m, (const char *)t) : NULL;
}

/* Events persisted by earlier processes on this machine directory (FUSE, pnpbox run, verify). */
int pnpbox_audit_load(pnpbox_machine *m, int clear)
{
    if (!m || !m->dir)
        return -EINVAL;
    emu_lock(m);
    emu_audit_flush(m); /* this process's pending counts, so the table is read as it stands */
    emu_unlock(m);
    sqlite3 *db = regdb_sqlite(m->reg);
    sqlite3_stmt *s;
    int with_findings = has_findings_column(m);
    if (sqlite3_prepare_v2(db,
                           with_findings ? "SELECT seq, component, kind, api, path, value, access, write, origin, status,"
                                           " outcome, rules, caller, count, findings FROM audit ORDER BY seq"
                                         : "SELECT seq, component, kind, api, path, value, access, write, origin, status,"
                                           " outcome, rules, caller, count FROM audit ORDER BY seq",
                           -1, &s, NULL) != SQLITE_OK)
        return -EIO;
    int n = 0;
    emu_lock(m);
    emu_event_store *st = &m->audit;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (st->n == st->cap) {
            size_t cap = st->cap ? st->cap * 2 : 256;
            pnpbox_event *p = realloc(st->ev, cap * sizeof *p);
            if (p)
                st->ev = p;
            int64_t *r = realloc(st->rowid, cap * sizeof *r);
            if (r)
                st->rowid = r;
            if (!p || !r)
                break;
            st->cap = cap;
        }
        pnpbox_event e = {0};
        e.seq = (uint64_t)sqlite3_column_int64(s, 0);
        e.component = col(m, s, 1);
        e.component_kind = sqlite3_column_int(s, 2);
        e.api = col(m, s, 3);
        e.path = col(m, s, 4);
        e.value = col(m, s, 5);
        e.access = (uint32_t)sqlite3_column_int64(s, 6);
        e.write = sqlite3_column_int(s, 7);
        e.origin = col(m, s, 8);
        e.status = (int32_t)sqlite3_column_int64(s, 9);
        e.outcome = (pnpbox_outcome)sqlite3_column_int(s, 10);
        e.rules = col(m, s, 11);
        e.caller = col(m, s, 12);
        e.count = (uint64_t)sqlite3_column_int64(s, 13);
        if (!e.count)
            e.count = 1;
        if (!e.rules)
            e.rules = intern(m, "");
        if (with_findings)
            e.findings = findings_parse(m, (const char *)sqlite3_column_text(s, 14), &e.nfindings);
        /* The event's justification: its first suppressed rule's, as emu_record sets it. */
        for (size_t i = 0; i < e.nfindings && !e.justification; i++)
            e.justification = e.findings[i].justification;
        st->rowid[st->n] = (int64_t)e.seq;
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
    if (!m || i >= m->audit.n)
        return NULL;
    pnpbox_event *e = &m->audit.ev[i];
    if (!e->caller && e->caller_addr) {
        char *c = caller_name((void *)e->caller_addr);
        e->caller = intern(m, c);
        free(c);
    }
    return e;
}

void emu_audit_free(pnpbox_machine *m)
{
    emu_event_store *st = &m->audit;
    free(st->ev);
    free(st->rowid);
    intern_free(m->intern);
    m->intern = NULL;
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
