/*
 * inf_int.h: private state shared by the INF engine's files (inf_parse.c,
 * inf_model.c, inf_dirid.c, inf_plan.c, inf_lint.c, inf_report.c).
 * Nothing outside emu/inf_*.c includes it.
 */
#ifndef EMU_INF_INT_H
#define EMU_INF_INT_H

#include "emu/inf.h"
#include "base/pb_utf16.h"

#include <stdarg.h>
#include <stdbool.h>

/* ---- arena: bump allocation in chunks, freed all at once ---- */
typedef struct inf_chunk {
    struct inf_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} inf_chunk;

typedef struct inf_arena {
    inf_chunk *head;
    int oom;
} inf_arena;

void *inf_arena_alloc(inf_arena *a, size_t n);                 /* 16-aligned; NULL sets oom */
uint16_t *inf_arena_wdup(inf_arena *a, const uint16_t *s, size_t n); /* copy + NUL */
char *inf_arena_strdup(inf_arena *a, const char *s);
void inf_arena_free(inf_arena *a);

/* The empty string: inf_str.s is never NULL, so s + 0 is always defined. */
extern const uint16_t inf_empty_w[1];
#define INF_STR_EMPTY ((inf_str){inf_empty_w, 0})

/* memcpy of n UTF-16 units that accepts (NULL, 0), which memcpy itself does not. */
static inline void inf_wcopy(uint16_t *dst, const uint16_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
}

/* ---- hashing of names under Windows' upcase ---- */
static inline uint32_t inf_hash_w(const uint16_t *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        uint16_t c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (uint16_t)(c - 32);
        else if (c >= 0x80)
            c = pb_upcase(c);
        h = (h ^ (c & 0xff)) * 16777619u;
        h = (h ^ (c >> 8)) * 16777619u;
    }
    return h;
}

/*
 * An index map: 32-bit hash -> indices into the caller's array, so that
 * lookups stay linear on hostile inputs (100k lines).  The caller checks
 * equality; entries are never removed.
 */
typedef struct inf_imap {
    uint32_t *head;      /* per bucket: first entry, UINT32_MAX empty */
    uint32_t *next;      /* per entry: next entry in the bucket */
    uint32_t *hash;      /* per entry */
    uint32_t *idx;       /* per entry: the caller's index */
    uint32_t nbuckets, n, cap;
} inf_imap;

int inf_imap_add(inf_imap *m, uint32_t hash, uint32_t idx); /* 0 or INF_E_NOMEM */
/* Iterate the entries with this hash: it = first(...); it != UINT32_MAX; it = next(...). */
static inline uint32_t inf_imap_first(const inf_imap *m, uint32_t hash)
{
    if (!m->nbuckets)
        return UINT32_MAX;
    uint32_t e = m->head[hash & (m->nbuckets - 1)];
    while (e != UINT32_MAX && m->hash[e] != hash)
        e = m->next[e];
    return e;
}
static inline uint32_t inf_imap_next(const inf_imap *m, uint32_t e)
{
    uint32_t h = m->hash[e];
    e = m->next[e];
    while (e != UINT32_MAX && m->hash[e] != h)
        e = m->next[e];
    return e;
}
static inline uint32_t inf_imap_idx(const inf_imap *m, uint32_t e)
{
    return m->idx[e];
}
void inf_imap_free(inf_imap *m);

/* Hash helpers for keys built from several pieces (case-insensitive for strings). */
static inline uint32_t inf_hash_mix(uint32_t h, uint32_t v)
{
    h ^= v + 0x9e3779b9u + (h << 6) + (h >> 2);
    return h;
}

/* ---- the parsed file ---- */
typedef struct inf_strdef {
    inf_str key, value;
    uint32_t next; /* hash chain, UINT32_MAX ends */
} inf_strdef;

struct inf_file {
    char *name, *base;
    inf_encoding enc;
    int inx;
    size_t size;
    inf_arena arena;
    uint16_t *text; /* decoded text (owned) */
    size_t ntext;

    inf_section *sections;
    uint32_t nsections;
    uint32_t *sec_hash; /* open addressing, UINT32_MAX empty */
    uint32_t sec_hash_cap;

    inf_line *lines;
    uint32_t nlines;
    inf_field *fields;
    size_t nfields;

    int strings_sec;     /* chosen [Strings*] index or -1 */
    uint16_t strings_langid;
    inf_strdef *strdefs;
    uint32_t nstrdefs;
    uint32_t *str_hash;
    uint32_t str_hash_cap;

    inf_diag *diags;
    uint32_t ndiags, diag_cap;
};

/* Record a diagnostic (lineno 0 = file); capped per file. */
void inf_diag_add(inf_file *f, uint32_t lineno, int code, inf_severity sev, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- small string helpers ---- */
int inf_str_ieq(inf_str a, const char *ascii);            /* case-insensitive vs ASCII */
int inf_str_ieq_str(inf_str a, inf_str b);
int inf_str_istarts(inf_str a, const char *ascii);        /* case-insensitive prefix */
inf_str inf_str_trim(inf_str s);
/* UTF-8 of a UTF-16 string into a rotating thread-local buffer set, for messages. */
const char *inf_u8(inf_str s);
char *inf_u8_dup(inf_str s);                              /* malloc'd UTF-8 (NULL on OOM) */

/* Section lookup by counted name. */
const inf_section *inf_section_get(const inf_file *f, const uint16_t *name, size_t n);
int inf_section_index(const inf_file *f, const inf_section *s);

/* ---- model helpers shared with plan and lint ---- */
int inf_is_strings_section(inf_str name, uint16_t *langid, int *decorated);
/* Is the line's key (case-insensitive) equal to ascii? */
static inline int inf_line_key_is(const inf_line *l, const char *ascii)
{
    return l->key && inf_str_ieq(l->key->val, ascii);
}
/* Field i of a line as val, or an empty string when missing. */
static inline inf_str inf_fval(const inf_line *l, uint32_t i)
{
    return i < l->nfields ? l->fields[i].val : INF_STR_EMPTY;
}

/* Parse a leading "%N%" DIRID token of val: returns chars consumed, 0 if none. */
size_t inf_leading_dirid(inf_str val, int32_t *dirid);

/* The DIRID path as UTF-8 for messages, into a static table (NULL if unknown). */
const char *inf_dirid_static_path(int32_t dirid);

/* ---- plan internals used by the linter ---- */
typedef struct inf_plan_int inf_plan_int;

/* Section reference kinds the walker reports (lint: 1203, 2083). */
typedef void (*inf_ref_fn)(void *ctx, const inf_file *f, const inf_line *line, const char *directive,
                           inf_str name, const inf_section *target);

/* Build a plan; when ref is set, every section reference found is reported to it. */
int inf_plan_build(const inf_file *inf, const inf_plan_opts *opts, const inf_driver_node *node,
                   unsigned pkg_flags, inf_ref_fn ref, void *ref_ctx, inf_plan **out);

#endif
