/*
 * inf_util.c: the INF engine's small shared pieces: the arena, counted
 * string helpers, error and enum names, and the default target
 * (contracts in inf.h and inf_int.h).
 */
#include "emu/inf_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *emu_inf_strerror(int err)
{
    switch (err) {
    case 0: return "success";
    case INF_E_NOMEM: return "out of memory";
    case INF_E_INVAL: return "invalid argument";
    case INF_E_IO: return "read error";
    case INF_E_NOTFOUND: return "not found";
    case INF_E_TOOBIG: return "file too large";
    case INF_E_RANGE: return "value out of range";
    default: return "unknown error";
    }
}

static const char *const arch_names[INF_ARCH_COUNT] = {"amd64", "x86", "arm", "arm64", "ia64"};

const char *emu_inf_arch_name(inf_arch a)
{
    return (unsigned)a < INF_ARCH_COUNT ? arch_names[a] : "unknown";
}

int emu_inf_arch_parse(const char *name, inf_arch *out)
{
    if (!name || !out)
        return INF_E_INVAL;
    for (int i = 0; i < INF_ARCH_COUNT; i++)
        if (!strcasecmp(name, arch_names[i])) {
            *out = (inf_arch)i;
            return 0;
        }
    return INF_E_INVAL;
}

const char *emu_inf_encoding_name(inf_encoding e)
{
    switch (e) {
    case INF_ENC_ANSI: return "ANSI (Windows-1252)";
    case INF_ENC_UTF16LE: return "UTF-16 LE";
    case INF_ENC_UTF16BE: return "UTF-16 BE";
    case INF_ENC_UTF8: return "UTF-8";
    case INF_ENC_UTF16LE_NOBOM: return "UTF-16 LE without BOM";
    case INF_ENC_UTF16BE_NOBOM: return "UTF-16 BE without BOM";
    }
    return "unknown";
}

void emu_inf_target_default(inf_target *t)
{
    if (!t)
        return;
    t->arch = INF_ARCH_AMD64;
    t->major = 10;
    t->minor = 0;
    t->build = 26100;
    t->product_type = 1;
    t->suite_mask = 0x100;
}

const uint16_t inf_empty_w[1] = {0};

/* ---- arena ---- */

void *inf_arena_alloc(inf_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!n)
        n = 16;
    inf_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 60000 ? n : 65536 - sizeof(inf_chunk);
        c = malloc(sizeof(inf_chunk) + cap);
        if (!c) {
            a->oom = 1;
            return NULL;
        }
        c->cap = cap;
        c->used = 0;
        /* A large one-off block goes behind the current chunk so the
         * current chunk keeps serving small allocations. */
        if (a->head && n > 60000) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

uint16_t *inf_arena_wdup(inf_arena *a, const uint16_t *s, size_t n)
{
    uint16_t *d = inf_arena_alloc(a, (n + 1) * sizeof(uint16_t));
    if (!d)
        return NULL;
    if (n)
        memcpy(d, s, n * sizeof(uint16_t));
    d[n] = 0;
    return d;
}

char *inf_arena_strdup(inf_arena *a, const char *s)
{
    size_t n = strlen(s);
    char *d = inf_arena_alloc(a, n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

void inf_arena_free(inf_arena *a)
{
    inf_chunk *c = a->head;
    while (c) {
        inf_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
}

/* ---- strings ---- */

int inf_str_ieq(inf_str a, const char *ascii)
{
    size_t i = 0;
    for (; i < a.n; i++) {
        unsigned char c = (unsigned char)ascii[i];
        if (!c)
            return 0;
        uint16_t x = a.s[i];
        if (x >= 'a' && x <= 'z')
            x = (uint16_t)(x - 32);
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 32);
        if (x != c)
            return 0;
    }
    return ascii[i] == 0;
}

int inf_str_istarts(inf_str a, const char *ascii)
{
    size_t i = 0;
    for (; ascii[i]; i++) {
        if (i >= a.n)
            return 0;
        unsigned char c = (unsigned char)ascii[i];
        uint16_t x = a.s[i];
        if (x >= 'a' && x <= 'z')
            x = (uint16_t)(x - 32);
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 32);
        if (x != c)
            return 0;
    }
    return 1;
}

int inf_str_ieq_str(inf_str a, inf_str b)
{
    return pb_wcsnieq(a.s, a.n, b.s, b.n);
}

inf_str inf_str_trim(inf_str s)
{
    while (s.n && (s.s[0] == ' ' || s.s[0] == '\t' || s.s[0] == 0xA0)) {
        s.s++;
        s.n--;
    }
    while (s.n && (s.s[s.n - 1] == ' ' || s.s[s.n - 1] == '\t' || s.s[s.n - 1] == 0xA0))
        s.n--;
    return s;
}

char *inf_u8_dup(inf_str s)
{
    return pb_utf8_from_wcs(s.s, s.n);
}

/* Rotating buffers so that several inf_u8() results can appear in one printf. */
const char *inf_u8(inf_str s)
{
    static _Thread_local char bufs[8][1024];
    static _Thread_local unsigned next;
    char *b = bufs[next++ & 7];
    pb_utf16_to_utf8_buf(s.s, s.n, b, sizeof bufs[0], PB_UTF_REPLACE | PB_UTF_NUL_SPACE);
    return b;
}

size_t inf_leading_dirid(inf_str v, int32_t *dirid)
{
    if (v.n < 3 || v.s[0] != '%')
        return 0;
    size_t i = 1;
    int neg = 0;
    if (v.s[i] == '-') {
        neg = 1;
        i++;
    }
    int64_t n = 0;
    size_t d0 = i;
    while (i < v.n && v.s[i] >= '0' && v.s[i] <= '9' && i - d0 < 10) {
        n = n * 10 + (v.s[i] - '0');
        i++;
    }
    if (i == d0 || i >= v.n || v.s[i] != '%')
        return 0;
    if (neg)
        n = -n;
    if (n > INT32_MAX || n < INT32_MIN)
        return 0;
    *dirid = (int32_t)n;
    return i + 1;
}

/* ---- index map ---- */

static int imap_rebuild(inf_imap *m, uint32_t nb)
{
    uint32_t *h = malloc(nb * sizeof *h);
    if (!h)
        return INF_E_NOMEM;
    memset(h, 0xff, nb * sizeof *h);
    /* Re-link in insertion order so that iteration keeps it. */
    for (uint32_t e = 0; e < m->n; e++)
        m->next[e] = UINT32_MAX;
    uint32_t *tail = malloc(nb * sizeof *tail);
    if (!tail) {
        free(h);
        return INF_E_NOMEM;
    }
    for (uint32_t e = 0; e < m->n; e++) {
        uint32_t b = m->hash[e] & (nb - 1);
        if (h[b] == UINT32_MAX)
            h[b] = e;
        else
            m->next[tail[b]] = e;
        tail[b] = e;
    }
    free(tail);
    free(m->head);
    m->head = h;
    m->nbuckets = nb;
    return 0;
}

int inf_imap_add(inf_imap *m, uint32_t hash, uint32_t idx)
{
    if (m->n == m->cap) {
        uint32_t cap = m->cap ? m->cap * 2 : 16;
        uint32_t *nx = realloc(m->next, cap * sizeof *nx);
        if (!nx)
            return INF_E_NOMEM;
        m->next = nx;
        uint32_t *hs = realloc(m->hash, cap * sizeof *hs);
        if (!hs)
            return INF_E_NOMEM;
        m->hash = hs;
        uint32_t *ix = realloc(m->idx, cap * sizeof *ix);
        if (!ix)
            return INF_E_NOMEM;
        m->idx = ix;
        m->cap = cap;
    }
    uint32_t e = m->n++;
    m->hash[e] = hash;
    m->idx[e] = idx;
    m->next[e] = UINT32_MAX;
    if (m->n > m->nbuckets) {
        if (imap_rebuild(m, m->nbuckets ? m->nbuckets * 4 : 64)) {
            m->n--;
            return INF_E_NOMEM;
        }
        return 0;
    }
    uint32_t b = hash & (m->nbuckets - 1);
    if (m->head[b] == UINT32_MAX) {
        m->head[b] = e;
    } else {
        uint32_t t = m->head[b];
        while (m->next[t] != UINT32_MAX)
            t = m->next[t];
        m->next[t] = e;
    }
    return 0;
}

void inf_imap_free(inf_imap *m)
{
    free(m->head);
    free(m->next);
    free(m->hash);
    free(m->idx);
    memset(m, 0, sizeof *m);
}
