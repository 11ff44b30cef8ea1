/*
 * fold.h: the hot half of the per-handle memo (emu_fold in emu.h), inline.
 *
 * A driver or service that polls a value through one handle makes the same
 * access again and again.  The first one is judged (rules.c) and recorded
 * (audit.c); the memo keeps its verdict and event, so every repeat takes
 * the verdict from the memo and counts itself into that event.  These
 * functions are that repeat: the memo key, the slot look-up, the cached
 * verdict, the folded record.  They are inline because they run on every
 * judged registry access, between two calls into SQLite whose own code and
 * data evict the spine's from the caches: as separate calls through
 * audit.c and rules.c they cost several times what they do here
 * (bench_um, bench_kreg).  audit.c and rules.c use the same definitions
 * for their slow paths, so the two can never disagree.
 */
#ifndef PNPBOX_EMU_FOLD_H
#define PNPBOX_EMU_FOLD_H

#include "emu/emu.h"

#include <string.h>

/* Is c judged at all?  The harness, the installer and external processes are only recorded. */
static inline int emu_judged(const pnpbox_component *c)
{
    return c && c->kind != PNPBOX_COMP_HARNESS && c->kind != PNPBOX_COMP_INSTALLER &&
           c->kind != PNPBOX_COMP_EXTERNAL;
}

/*
 * The memo key of an access: its operation fields, then its value name,
 * hashed.  Never 0, so a->fold_key == 0 means "not computed".
 *
 * Over 64-bit words: the operation's fields in one word, then the UTF-16
 * name four units at a time (a last partial word is the name's last four
 * units, overlapping the word before; names under four units are padded
 * with zeros), then its length.  Each step (xor a word, multiply by an odd
 * constant, xor-shift the high half down) is a bijection of the state, so
 * two names of one length that differ in one word never collide, and two
 * that differ elsewhere only as 64-bit hashes do; the shift keeps
 * differences in high bits from cancelling.
 */
static inline uint64_t emu_fold_key(const emu_access *a)
{
    const uint64_t prime = 1099511628211ULL;
    uint64_t h = 1469598103934665603ULL;
#define EMU_FOLD_MIX(w) (h = (h ^ (w)) * prime, h ^= h >> 29)
    EMU_FOLD_MIX((uint64_t)a->access << 32 | (uint64_t)(a->op & 0xff) << 16 | (uint64_t)(a->kind & 0xff) << 8 |
                 (uint64_t)(a->write != 0));
    if (a->has_wvalue && !a->value) {
        const uint16_t *p = a->wvalue;
        size_t n = a->wvalue_len;
        uint64_t w;
        if (n >= 4) {
            for (size_t i = 0; i + 4 < n; i += 4) {
                memcpy(&w, p + i, 8);
                EMU_FOLD_MIX(w);
            }
            memcpy(&w, p + n - 4, 8);
            EMU_FOLD_MIX(w);
        } else if (n) {
            w = p[0];
            if (n > 1)
                w |= (uint64_t)p[1] << 16;
            if (n > 2)
                w |= (uint64_t)p[2] << 32;
            EMU_FOLD_MIX(w);
        }
        EMU_FOLD_MIX((uint64_t)n << 1 | 1);
    } else {
        for (const char *p = a->value ? a->value : ""; *p; p++)
            h = (h ^ (unsigned char)*p) * prime;
        h ^= a->value ? 1 : 0;
    }
#undef EMU_FOLD_MIX
    return h ? h : 1;
}

/* The slot of a->fold holding this access by c (same API, component, key, rules generation), or NULL. */
static inline emu_fold_slot *emu_fold_find(pnpbox_machine *m, const emu_access *a, pnpbox_component *c, uint64_t key)
{
    if (!a->fold)
        return NULL;
    for (int i = 0; i < EMU_FOLD_SLOTS; i++) {
        emu_fold_slot *s = &a->fold->slot[i];
        if (s->api == a->api && s->comp == c && s->key == key && s->gen == m->rules_gen)
            return s;
    }
    return NULL;
}

/*
 * The cached verdict of this access by c, copied into *v, and the memo slot
 * it came from; NULL (v untouched) when the access must go to emu_judge:
 * checking off, no memo or key, an unjudged component, fail-fast (its
 * verdicts are never cached: every access is judged afresh), or no verdict
 * cached for it in this rules generation.
 */
static inline emu_fold_slot *emu_judge_cached(pnpbox_machine *m, const emu_access *a, pnpbox_component *c,
                                              emu_verdict *v)
{
    if (m->checking_off || !a->fold || !a->fold_key || !emu_judged(c) || m->ff_stopped ||
        m->mode == PNPBOX_MODE_FAILFAST)
        return NULL;
    emu_fold_slot *fs = emu_fold_find(m, a, c, a->fold_key);
    if (!fs || !fs->have_verdict)
        return NULL;
    /* Only the findings there are (readers go up to v->n): usually none. */
    const emu_verdict *cv = &fs->verdict;
    v->n = cv->n;
    v->deny = cv->deny;
    v->outcome = cv->outcome;
    for (int i = 0; i < cv->n; i++) {
        v->rules[i] = cv->rules[i];
        v->suppressed[i] = cv->suppressed[i];
    }
    return fs;
}

/* Store the new count of a folded event in a machine directory's audit table (audit.c). */
void emu_audit_persist_count(pnpbox_machine *m, size_t index);

/* Count the access into the event the slot recorded before, when it is the same outcome and status: 1 if so. */
static inline int emu_fold_into(pnpbox_machine *m, const emu_fold_slot *fs, pnpbox_outcome outcome, emu_status status)
{
    emu_event_store *st = &m->audit;
    if (!fs->event || fs->event > st->n || fs->status != status || st->ev[fs->event - 1].outcome != outcome)
        return 0;
    st->ev[fs->event - 1].count++;
    if (m->dir)
        emu_audit_persist_count(m, fs->event - 1);
    return 1;
}

/*
 * Record the access by counting it into the event of fs (from
 * emu_judge_cached): 1 when done, 0 when the slot no longer matches the
 * access (the operation between the judge and the record may have changed
 * the rules generation) or its event has another status or outcome; the
 * caller then calls emu_record.
 */
static inline int emu_record_folded(pnpbox_machine *m, const emu_access *a, const emu_verdict *v, emu_status status,
                                    const emu_fold_slot *fs)
{
    if (!fs || m->checking_off || !a->fold || !a->comp || fs->api != a->api || fs->comp != (void *)a->comp ||
        fs->key != a->fold_key || fs->gen != m->rules_gen)
        return 0;
    return emu_fold_into(m, fs, v ? v->outcome : PNPBOX_OUTCOME_ALLOWED, status);
}

#endif
