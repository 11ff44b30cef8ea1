/*
 * k_pool.c: the executive pool (ExAllocatePool2 and friends, ExFreePool,
 * ExFreePoolWithTag) with per-component leak tracking (pnpbox/pool.h).
 *
 * Every block pnpbox hands out is registered in one process-wide table
 * (keyed by address) with its machine, owner component (emu_comp() at the
 * time of the call), size, tag, allocating API and caller address; the
 * owner's pool_* counters in pnpbox_component follow.  A freed block stays
 * in the table for a while (a bounded quarantine: its memory is not
 * returned to the host heap, it is filled with 0xDD and, under ASan,
 * poisoned), so freeing it again is recognised as a double free rather
 * than corrupting the heap.  A pointer the table does not know is never
 * passed to free().  Misuse Driver Verifier bug-checks on is logged and
 * kept as a pool error instead (pnpbox_pool_errors); pnpbox never crashes.
 *
 * Choices where Windows documents nothing (docs/kernel-runtime.md):
 *  - memory that is not zeroed (POOL_FLAG_UNINITIALIZED, ExAllocatePoolWithTag)
 *    is filled with 0xDB, so code that assumes zeroes shows up in tests;
 *  - blocks are 16-byte aligned, 64 with POOL_FLAG_CACHE_ALIGNED or a
 *    *CacheAligned type, page-aligned from PAGE_SIZE up (as documented);
 *  - ExAllocatePool2 wants exactly one of NON_PAGED, NON_PAGED_EXECUTE and
 *    PAGED; obsolete MustSucceed and unknown POOL_TYPEs return NULL;
 *  - a failing allocation that asks to raise (POOL_FLAG_RAISE_ON_FAILURE,
 *    POOL_RAISE_IF_ALLOCATION_FAILURE) returns NULL: C cannot raise an SEH
 *    exception; the report says Windows would have raised.
 *
 * Locking: the machine lock (emu_lock) around each call, then pool_mu for
 * the table.  Messages are written to the log after pool_mu is released.
 */
#include <wdm.h>

#include "base/pb_buf.h"
#include "emu/emu.h"
#include "emu/k_fmt.h"
#include "pnpbox/pool.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POOL_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define POOL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POOL_POISON(p, n) ((void)(p), (void)(n))
#define POOL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define POOL_PAGE_SIZE 4096u
#define POOL_CACHE_LINE 64u
#define POOL_FILL_UNINIT 0xDB
#define POOL_FILL_FREED 0xDD
#define QUARANTINE_BLOCKS 1024u
#define QUARANTINE_BYTES (4u << 20)
/* ExAllocatePool's tag, ' enoN': "None" in a pool dump. */
#define POOL_TAG_NONE 0x656E6F4Eu

typedef struct pblock pblock;
struct pblock {
    pblock *next;            /* hash chain */
    pblock *qprev, *qnext;   /* quarantine FIFO (freed blocks) */
    void *ptr;
    size_t size;             /* as asked */
    size_t alloc_size;       /* as allocated (at least 1) */
    uint32_t tag;
    int paged;
    int freed;
    const char *api;
    pnpbox_machine *m;
    pnpbox_component *owner;
    void *caller;
    void *free_caller;
    const char *free_api;
    uint64_t seq;
};

typedef struct perr {
    pnpbox_machine *m;
    pnpbox_component *comp;
    pnpbox_pool_error e;
} perr_t;

/* A machine seen by the pool: its address is reused after free, so a
 * record whose registry or harness differs from the live machine's is stale. */
typedef struct pmach {
    pnpbox_machine *m;
    regdb *reg;
    pnpbox_component *harness;
} pmach;

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pblock **table;
static size_t table_cap, table_n;
static pblock *q_head, *q_tail; /* oldest first */
static size_t q_blocks, q_bytes;
static perr_t *errs;
static size_t nerrs, errs_cap;
static pmach *machs;
static size_t nmachs, machs_cap;
static uint64_t next_seq;
static int atexit_done;

/* ---------------------------------------------------------------- helpers */

static size_t hash_ptr(const void *p)
{
    uintptr_t v = (uintptr_t)p >> 4;
    v ^= v >> 17;
    v *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return (size_t)(v ^ (v >> 29));
}

static pblock *table_find(const void *p)
{
    if (!table_cap)
        return NULL;
    for (pblock *b = table[hash_ptr(p) & (table_cap - 1)]; b; b = b->next)
        if (b->ptr == p)
            return b;
    return NULL;
}

static int table_insert(pblock *b)
{
    if ((table_n + 1) * 4 > table_cap * 3) { /* keep the load under 3/4 */
        size_t cap = table_cap ? table_cap * 2 : 256;
        pblock **t = calloc(cap, sizeof *t);
        if (!t)
            return -ENOMEM;
        for (size_t i = 0; i < table_cap; i++) {
            pblock *x = table[i];
            while (x) {
                pblock *nx = x->next;
                size_t h = hash_ptr(x->ptr) & (cap - 1);
                x->next = t[h];
                t[h] = x;
                x = nx;
            }
        }
        free(table);
        table = t;
        table_cap = cap;
    }
    size_t h = hash_ptr(b->ptr) & (table_cap - 1);
    b->next = table[h];
    table[h] = b;
    table_n++;
    return 0;
}

static void table_remove(pblock *b)
{
    pblock **pp = &table[hash_ptr(b->ptr) & (table_cap - 1)];
    while (*pp && *pp != b)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = b->next;
        table_n--;
    }
}

static void q_unlink(pblock *b)
{
    if (b->qprev)
        b->qprev->qnext = b->qnext;
    else
        q_head = b->qnext;
    if (b->qnext)
        b->qnext->qprev = b->qprev;
    else
        q_tail = b->qprev;
    b->qprev = b->qnext = NULL;
    q_blocks--;
    q_bytes -= b->alloc_size;
}

/* Drop a block record and give its memory back to the host heap. */
static void block_destroy(pblock *b)
{
    table_remove(b);
    if (b->freed)
        q_unlink(b);
    POOL_UNPOISON(b->ptr, b->alloc_size);
    free(b->ptr);
    free(b);
}

static void quarantine_trim(void)
{
    while (q_head && (q_blocks > QUARANTINE_BLOCKS || q_bytes > QUARANTINE_BYTES))
        block_destroy(q_head);
}

static void pool_atexit(void)
{
    pthread_mutex_lock(&pool_mu);
    for (size_t i = 0; i < table_cap; i++) {
        pblock *b = table[i];
        while (b) {
            pblock *nx = b->next;
            POOL_UNPOISON(b->ptr, b->alloc_size);
            free(b->ptr);
            free(b);
            b = nx;
        }
    }
    free(table);
    table = NULL;
    table_cap = table_n = 0;
    q_head = q_tail = NULL;
    q_blocks = q_bytes = 0;
    free(errs);
    errs = NULL;
    nerrs = errs_cap = 0;
    free(machs);
    machs = NULL;
    nmachs = machs_cap = 0;
    pthread_mutex_unlock(&pool_mu);
}

static void forget_machine_locked(pnpbox_machine *m)
{
    for (size_t i = 0; i < table_cap; i++) {
        pblock *b = table[i];
        while (b) {
            pblock *nx = b->next;
            if (b->m == m)
                block_destroy(b);
            b = nx;
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < nerrs; i++)
        if (errs[i].m != m)
            errs[k++] = errs[i];
    nerrs = k;
}

/* Note m as live; forget what an earlier machine at the same address left. */
static void machine_seen_locked(pnpbox_machine *m)
{
    if (!atexit_done) {
        atexit_done = 1;
        atexit(pool_atexit); /* registered late, so it runs before LeakSanitizer's check */
    }
    for (size_t i = 0; i < nmachs; i++) {
        if (machs[i].m != m)
            continue;
        if (machs[i].reg != m->reg || machs[i].harness != m->harness) {
            forget_machine_locked(m);
            machs[i].reg = m->reg;
            machs[i].harness = m->harness;
        }
        return;
    }
    if (nmachs == machs_cap) {
        size_t cap = machs_cap ? machs_cap * 2 : 8;
        pmach *p = realloc(machs, cap * sizeof *p);
        if (!p)
            return;
        machs = p;
        machs_cap = cap;
    }
    machs[nmachs++] = (pmach){m, m->reg, m->harness};
}

static void caller_text(const void *addr, char *buf, size_t n)
{
    Dl_info di;
    if (!addr || !dladdr(addr, &di) || !di.dli_fname) {
        snprintf(buf, n, "?");
        return;
    }
    const char *base = strrchr(di.dli_fname, '/');
    base = base ? base + 1 : di.dli_fname;
    snprintf(buf, n, "%s+0x%" PRIxPTR, *base ? base : "?", (uintptr_t)((const char *)addr - (const char *)di.dli_fbase));
}

static void tag_text(uint32_t tag, char out[5])
{
    for (int i = 0; i < 4; i++) {
        unsigned char c = (unsigned char)(tag >> (8 * i));
        out[i] = c == 0 ? ' ' : (c >= 0x20 && c <= 0x7E ? (char)c : '.');
    }
    out[4] = 0;
}

/*
 * Record a pool error (under pool_mu) and format its log line into line.
 * b may be NULL (unknown pointer).
 */
static void add_error(pnpbox_machine *m, pnpbox_pool_problem problem, const char *severity, const char *api,
                      const void *addr, uint32_t tag, const pblock *b, void *caller, char *line, size_t linelen,
                      const char *fmt, ...) __attribute__((format(printf, 11, 12)));

static void add_error(pnpbox_machine *m, pnpbox_pool_problem problem, const char *severity, const char *api,
                      const void *addr, uint32_t tag, const pblock *b, void *caller, char *line, size_t linelen,
                      const char *fmt, ...)
{
    pnpbox_component *c = emu_comp();
    pnpbox_pool_error e;
    memset(&e, 0, sizeof e);
    e.problem = problem;
    e.severity = severity;
    e.api = api;
    e.component = pnpbox_component_name(c);
    e.address = addr;
    e.tag = tag;
    e.block_tag = b ? b->tag : 0;
    e.size = b ? b->size : 0;
    e.caller_addr = caller;
    caller_text(caller, e.caller, sizeof e.caller);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.message, sizeof e.message, fmt, ap);
    va_end(ap);
    snprintf(line, linelen, "pnpbox: pool %s: %s (%s at %s)", severity, e.message, e.component, e.caller);
    if (nerrs == errs_cap) {
        size_t cap = errs_cap ? errs_cap * 2 : 16;
        perr_t *p = realloc(errs, cap * sizeof *p);
        if (!p)
            return; /* the log line still tells */
        errs = p;
        errs_cap = cap;
    }
    errs[nerrs++] = (perr_t){m, c, e};
}

/* ---------------------------------------------------------------- the core */

typedef struct alloc_req {
    const char *api;
    size_t n;
    uint32_t tag;
    int paged;
    size_t align;
    int zero;
    int raise;     /* the caller asked for an exception on failure */
    int internal;  /* pnpbox allocating on the caller's behalf: no driver checks */
    void *caller;
} alloc_req;

static void *pool_alloc_locked(pnpbox_machine *m, const alloc_req *r, char *line, size_t linelen)
{
    line[0] = 0;
    machine_seen_locked(m);
    if (!r->internal) {
        unsigned irql = emu_irql();
        if (r->paged && irql > APC_LEVEL)
            add_error(m, PNPBOX_POOL_BAD_IRQL, "error", r->api, NULL, r->tag, NULL, r->caller, line, linelen,
                      "%s: paged pool allocated at IRQL %u, above APC_LEVEL (Driver Verifier: bug check 0xC4, 0x01)",
                      r->api, irql);
        else if (!r->paged && irql > DISPATCH_LEVEL)
            add_error(m, PNPBOX_POOL_BAD_IRQL, "error", r->api, NULL, r->tag, NULL, r->caller, line, linelen,
                      "%s: non-paged pool allocated at IRQL %u, above DISPATCH_LEVEL (Driver Verifier: bug check "
                      "0xC4, 0x02)",
                      r->api, irql);
        else if (r->n == 0)
            add_error(m, PNPBOX_POOL_ZERO_SIZE, "warning", r->api, NULL, r->tag, NULL, r->caller, line, linelen,
                      "%s: zero-byte allocation (Driver Verifier: bug check 0xC4, 0x00); Windows returns a block",
                      r->api);
    }
    size_t asz = r->n ? r->n : 1;
    size_t align = r->align;
    if (r->n >= POOL_PAGE_SIZE)
        align = POOL_PAGE_SIZE;
    void *p = NULL;
    if (align <= 16) {
        p = malloc(asz);
    } else if (posix_memalign(&p, align, asz) != 0) {
        p = NULL;
    }
    pblock *b = p ? calloc(1, sizeof *b) : NULL;
    if (!b) {
        free(p);
        return NULL;
    }
    memset(p, r->zero ? 0 : POOL_FILL_UNINIT, asz);
    b->ptr = p;
    b->size = r->n;
    b->alloc_size = asz;
    b->tag = r->tag;
    b->paged = r->paged;
    b->api = r->api;
    b->m = m;
    b->owner = emu_comp();
    b->caller = r->caller;
    b->seq = ++next_seq;
    if (table_insert(b) < 0) {
        free(p);
        free(b);
        return NULL;
    }
    if (b->owner) {
        b->owner->pool_allocs++;
        b->owner->pool_bytes_live += r->n;
    }
    return p;
}

static void *pool_alloc(pnpbox_machine *m, const alloc_req *r)
{
    char line[512];
    pthread_mutex_lock(&pool_mu);
    void *p = pool_alloc_locked(m, r, line, sizeof line);
    pthread_mutex_unlock(&pool_mu);
    if (line[0])
        emu_log(m, "%s", line);
    return p;
}

/* The allocation was refused (bad request) or failed (lack of memory,
 * injected fault); report what Windows would have raised. */
static void *pool_refuse(pnpbox_machine *m, const alloc_req *r, int bad, const char *why)
{
    char line[512], line2[512];
    line[0] = line2[0] = 0;
    pthread_mutex_lock(&pool_mu);
    machine_seen_locked(m);
    if (bad)
        add_error(m, PNPBOX_POOL_BAD_REQUEST, "warning", r->api, NULL, r->tag, NULL, r->caller, line, sizeof line,
                  "%s: %s: the call returns NULL", r->api, why);
    if (r->raise)
        add_error(m, PNPBOX_POOL_CANNOT_RAISE, "error", r->api, NULL, r->tag, NULL, r->caller, line2, sizeof line2,
                  "%s: allocation failed and the caller asked for an exception (Windows raises "
                  "STATUS_INSUFFICIENT_RESOURCES); pnpbox returns NULL",
                  r->api);
    pthread_mutex_unlock(&pool_mu);
    if (line[0])
        emu_log(m, "%s", line);
    if (line2[0])
        emu_log(m, "%s", line2);
    return NULL;
}

/* Validated request: fault point, then the allocation. */
static void *pool_alloc_checked(pnpbox_machine *m, const alloc_req *r)
{
    emu_status st;
    if (emu_fault(m, r->api, &st))
        return pool_refuse(m, r, 0, NULL);
    void *p = pool_alloc(m, r);
    if (!p)
        return pool_refuse(m, r, 0, NULL);
    return p;
}

static void pool_free(pnpbox_machine *m, const char *api, void *p, int check_tag, uint32_t tag, void *caller)
{
    char line[512], line2[512];
    line[0] = line2[0] = 0;
    pthread_mutex_lock(&pool_mu);
    machine_seen_locked(m);
    char tt[5], bt[5], who[160];
    tag_text(tag, tt);
    pblock *b = p ? table_find(p) : NULL;
    if (!p) {
        add_error(m, PNPBOX_POOL_BAD_POINTER, "error", api, p, tag, NULL, caller, line, sizeof line,
                  "%s(NULL): Windows bug-checks (BAD_POOL_CALLER)", api);
    } else if (!b) {
        add_error(m, PNPBOX_POOL_BAD_POINTER, "error", api, p, tag, NULL, caller, line, sizeof line,
                  "%s(%p): not a block ExAllocatePool* returned (or one freed long ago); Windows bug-checks "
                  "(BAD_POOL_CALLER); nothing freed",
                  api, p);
    } else if (b->freed) {
        tag_text(b->tag, bt);
        caller_text(b->free_caller, who, sizeof who);
        add_error(m, PNPBOX_POOL_DOUBLE_FREE, "error", api, p, tag, b, caller, line, sizeof line,
                  "%s(%p): double free of the %zu-byte block tagged '%s', already freed by %s at %s (Driver "
                  "Verifier: bug check 0xC4, 0x13)",
                  api, p, b->size, bt, b->free_api ? b->free_api : "?", who);
    } else {
        int same_machine = b->m == m;
        tag_text(b->tag, bt);
        if (check_tag && tag != b->tag) {
            caller_text(b->caller, who, sizeof who);
            add_error(m, PNPBOX_POOL_TAG_MISMATCH, "error", api, p, tag, b, caller, line, sizeof line,
                      "%s(%p, '%s'): the %zu-byte block was allocated with tag '%s' by %s at %s; Windows "
                      "bug-checks (BAD_POOL_CALLER)",
                      api, p, tt, b->size, bt, b->api, who);
        }
        pnpbox_component *c = emu_comp();
        unsigned irql = emu_irql();
        if (b->paged && irql > APC_LEVEL)
            add_error(m, PNPBOX_POOL_BAD_IRQL, "error", api, p, tag, b, caller, line2, sizeof line2,
                      "%s(%p): paged pool freed at IRQL %u, above APC_LEVEL (Driver Verifier: bug check 0xC4, 0x11)",
                      api, p, irql);
        else if (same_machine && c != b->owner)
            add_error(m, PNPBOX_POOL_FOREIGN_FREE, "warning", api, p, tag, b, caller, line2, sizeof line2,
                      "%s(%p): the %zu-byte block tagged '%s' was allocated by %s", api, p, b->size, bt,
                      pnpbox_component_name(b->owner));
        /* Counters belong to the block's machine; a block of another
         * machine (which may be gone) is freed without touching them. */
        if (same_machine && b->owner) {
            b->owner->pool_frees++;
            b->owner->pool_bytes_live -= b->size;
        }
        b->freed = 1;
        b->free_caller = caller;
        b->free_api = api;
        memset(b->ptr, POOL_FILL_FREED, b->alloc_size);
        POOL_POISON(b->ptr, b->alloc_size);
        b->qprev = q_tail;
        b->qnext = NULL;
        if (q_tail)
            q_tail->qnext = b;
        else
            q_head = b;
        q_tail = b;
        q_blocks++;
        q_bytes += b->alloc_size;
        quarantine_trim();
    }
    pthread_mutex_unlock(&pool_mu);
    if (line[0])
        emu_log(m, "%s", line);
    if (line2[0])
        emu_log(m, "%s", line2);
}

/* ---------------------------------------------------------------- internal interface */

void *emu_pool_alloc(pnpbox_machine *m, size_t n, uint32_t tag, const char *api, void *caller)
{
    alloc_req r = {api, n, tag, 1, 16, 1, 0, 1, caller};
    emu_lock(m);
    void *p = pool_alloc(m, &r);
    emu_unlock(m);
    return p;
}

/* ---------------------------------------------------------------- the WDK API */

#define POOL_TYPE_FLAGS (POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED)
#define POOL_REQUIRED_KNOWN                                                                                       \
    (POOL_FLAG_USE_QUOTA | POOL_FLAG_UNINITIALIZED | POOL_FLAG_SESSION | POOL_FLAG_CACHE_ALIGNED |                 \
     POOL_FLAG_RAISE_ON_FAILURE | POOL_TYPE_FLAGS)

/* Validate POOL_FLAGS into a request; NULL or the reason it is refused. */
static const char *flags_request(POOL_FLAGS flags, SIZE_T n, ULONG tag, alloc_req *r)
{
    r->n = n;
    r->tag = tag;
    r->zero = !(flags & POOL_FLAG_UNINITIALIZED);
    r->raise = (flags & POOL_FLAG_RAISE_ON_FAILURE) != 0;
    r->align = (flags & POOL_FLAG_CACHE_ALIGNED) ? POOL_CACHE_LINE : 16;
    r->paged = (flags & POOL_FLAG_PAGED) != 0;
    r->internal = 0;
    if (tag == 0)
        return "tag 0 is invalid";
    if ((flags & 0xFFFFFFFFull) & ~(POOL_FLAGS)POOL_REQUIRED_KNOWN)
        return "an unrecognised required POOL_FLAG (low 32 bits) was given";
    POOL_FLAGS t = flags & POOL_TYPE_FLAGS;
    if (t != POOL_FLAG_NON_PAGED && t != POOL_FLAG_NON_PAGED_EXECUTE && t != POOL_FLAG_PAGED)
        return "POOL_FLAGS must name exactly one of POOL_FLAG_NON_PAGED, POOL_FLAG_NON_PAGED_EXECUTE and "
               "POOL_FLAG_PAGED";
    return NULL;
}

PVOID NTAPI ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return NULL;
    emu_lock(m);
    alloc_req r = {.api = "ExAllocatePool2", .caller = caller};
    const char *why = flags_request(Flags, NumberOfBytes, Tag, &r);
    void *p = why ? pool_refuse(m, &r, 1, why) : pool_alloc_checked(m, &r);
    emu_unlock(m);
    return p;
}

PVOID NTAPI ExAllocatePool3(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag,
                            PCPOOL_EXTENDED_PARAMETER ExtendedParameters, ULONG ExtendedParametersCount)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return NULL;
    emu_lock(m);
    alloc_req r = {.api = "ExAllocatePool3", .caller = caller};
    const char *why = flags_request(Flags, NumberOfBytes, Tag, &r);
    if (!why && ExtendedParametersCount && !ExtendedParameters)
        why = "ExtendedParametersCount is not 0 but ExtendedParameters is NULL";
    for (ULONG i = 0; !why && i < ExtendedParametersCount; i++) {
        const POOL_EXTENDED_PARAMETER *x = &ExtendedParameters[i];
        if (x->Type == PoolExtendedParameterPriority || x->Type == PoolExtendedParameterNumaNode)
            continue; /* priorities and NUMA preferences do not change an emulated allocation */
        if (x->Optional)
            continue; /* an optional parameter that cannot be honoured is ignored */
        if (x->Type == PoolExtendedParameterSecurePool)
            why = "secure pool parameters need a pool created by ExCreatePool, which pnpbox does not provide";
        else
            why = "an unknown extended parameter type was given";
    }
    void *p = why ? pool_refuse(m, &r, 1, why) : pool_alloc_checked(m, &r);
    emu_unlock(m);
    return p;
}

/* Validate a POOL_TYPE (with its modifier bits) into a request. */
static const char *type_request(POOL_TYPE type, SIZE_T n, ULONG tag, int zero, alloc_req *r)
{
    unsigned t = (unsigned)type;
    r->n = n;
    r->tag = tag;
    r->internal = 0;
    r->raise = (t & POOL_RAISE_IF_ALLOCATION_FAILURE) != 0;
    r->zero = zero || (t & POOL_ZERO_ALLOCATION);
    t &= ~(unsigned)(POOL_QUOTA_FAIL_INSTEAD_OF_RAISE | POOL_RAISE_IF_ALLOCATION_FAILURE | POOL_COLD_ALLOCATION |
                     POOL_NX_ALLOCATION | POOL_ZERO_ALLOCATION | NonPagedPoolSession);
    r->paged = (t & 1) != 0;
    r->align = (t & 4) ? POOL_CACHE_LINE : 16;
    if (t == NonPagedPoolMustSucceed || t == NonPagedPoolCacheAlignedMustS)
        return "the MustSucceed pool types are obsolete";
    if (t != NonPagedPool && t != PagedPool && t != NonPagedPoolCacheAligned && t != PagedPoolCacheAligned)
        return "unknown POOL_TYPE";
    return NULL;
}

static void *type_alloc(const char *api, POOL_TYPE type, SIZE_T n, ULONG tag, int zero, void *caller)
{
    pnpbox_machine *m = emu_machine();
    if (!m)
        return NULL;
    emu_lock(m);
    alloc_req r = {.api = api, .caller = caller};
    const char *why = type_request(type, n, tag, zero, &r);
    void *p = why ? pool_refuse(m, &r, 1, why) : pool_alloc_checked(m, &r);
    emu_unlock(m);
    return p;
}

PVOID NTAPI ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return type_alloc("ExAllocatePoolWithTag", PoolType, NumberOfBytes, Tag, 0, __builtin_return_address(0));
}

PVOID NTAPI ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                          EX_POOL_PRIORITY Priority)
{
    (void)Priority; /* the emulated machine is never short of pool unless a fault is injected */
    return type_alloc("ExAllocatePoolWithTagPriority", PoolType, NumberOfBytes, Tag, 0,
                      __builtin_return_address(0));
}

PVOID NTAPI ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return type_alloc("ExAllocatePoolZero", PoolType, NumberOfBytes, Tag, 1, __builtin_return_address(0));
}

PVOID NTAPI ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return type_alloc("ExAllocatePoolUninitialized", PoolType, NumberOfBytes, Tag, 0, __builtin_return_address(0));
}

PVOID NTAPI ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)
{
    return type_alloc("ExAllocatePool", PoolType, NumberOfBytes, POOL_TAG_NONE, 0, __builtin_return_address(0));
}

VOID NTAPI ExFreePool(PVOID P)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return;
    emu_lock(m);
    pool_free(m, "ExFreePool", P, 0, 0, caller);
    emu_unlock(m);
}

VOID NTAPI ExFreePoolWithTag(PVOID P, ULONG Tag)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return;
    emu_lock(m);
    pool_free(m, "ExFreePoolWithTag", P, 1, Tag, caller);
    emu_unlock(m);
}

void emu_pool_free(pnpbox_machine *m, void *p, const char *api, void *caller)
{
    emu_lock(m);
    pool_free(m, api, p, 0, 0, caller);
    emu_unlock(m);
}

/* ---------------------------------------------------------------- reports */

static int cmp_seq(const void *a, const void *b)
{
    const pblock *x = *(pblock *const *)a, *y = *(pblock *const *)b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Live blocks of m (and c), oldest first; malloc'd array, *n entries. */
static pblock **live_blocks_locked(pnpbox_machine *m, pnpbox_component *c, size_t *n)
{
    size_t k = 0, cap = 0;
    pblock **v = NULL;
    for (size_t i = 0; i < table_cap; i++)
        for (pblock *b = table[i]; b; b = b->next) {
            if (b->freed || b->m != m || (c && b->owner != c))
                continue;
            if (k == cap) {
                cap = cap ? cap * 2 : 32;
                pblock **p = realloc(v, cap * sizeof *p);
                if (!p) {
                    free(v);
                    *n = 0;
                    return NULL;
                }
                v = p;
            }
            v[k++] = b;
        }
    if (k)
        qsort(v, k, sizeof *v, cmp_seq);
    *n = k;
    return v;
}

size_t pnpbox_pool_outstanding(pnpbox_machine *m, pnpbox_component *c, pnpbox_pool_leak *out, size_t cap)
{
    if (!m)
        return 0;
    emu_lock(m);
    pthread_mutex_lock(&pool_mu);
    machine_seen_locked(m);
    size_t n;
    pblock **v = live_blocks_locked(m, c, &n);
    /* Group: first[g] is the oldest block of group g. */
    pblock **first = n ? malloc(n * sizeof *first) : NULL;
    size_t *count = n ? calloc(n, sizeof *count) : NULL;
    size_t ng = 0;
    if (n && (!first || !count)) {
        n = 0;
    }
    for (size_t i = 0; i < n; i++) {
        pblock *b = v[i];
        size_t g = 0;
        for (; g < ng; g++) {
            pblock *f = first[g];
            if (f->owner == b->owner && f->tag == b->tag && f->size == b->size && f->caller == b->caller &&
                f->api == b->api && f->paged == b->paged)
                break;
        }
        if (g == ng)
            first[ng++] = b;
        count[g]++;
    }
    for (size_t g = 0; g < ng && g < cap && out; g++) {
        pblock *f = first[g];
        pnpbox_pool_leak *l = &out[g];
        memset(l, 0, sizeof *l);
        l->component = pnpbox_component_name(f->owner);
        l->tag = f->tag;
        tag_text(f->tag, l->tag_text);
        l->size = f->size;
        l->count = count[g];
        l->api = f->api;
        l->paged = f->paged;
        l->caller_addr = f->caller;
        caller_text(f->caller, l->caller, sizeof l->caller);
    }
    free(first);
    free(count);
    free(v);
    pthread_mutex_unlock(&pool_mu);
    emu_unlock(m);
    return ng;
}

size_t pnpbox_pool_errors(pnpbox_machine *m, pnpbox_component *c, pnpbox_pool_error *out, size_t cap)
{
    if (!m)
        return 0;
    emu_lock(m);
    pthread_mutex_lock(&pool_mu);
    machine_seen_locked(m);
    size_t k = 0;
    for (size_t i = 0; i < nerrs; i++) {
        if (errs[i].m != m || (c && errs[i].comp != c))
            continue;
        if (out && k < cap)
            out[k] = errs[i].e;
        k++;
    }
    pthread_mutex_unlock(&pool_mu);
    emu_unlock(m);
    return k;
}

int pnpbox_pool_stats_get(pnpbox_machine *m, pnpbox_component *c, pnpbox_pool_stats *out)
{
    if (!m || !out)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    emu_lock(m);
    for (int i = 0; i < m->ncomps; i++) {
        pnpbox_component *x = m->comps[i];
        if (c && x != c)
            continue;
        out->allocs += x->pool_allocs;
        out->frees += x->pool_frees;
        out->bytes_live += x->pool_bytes_live;
    }
    pthread_mutex_lock(&pool_mu);
    machine_seen_locked(m);
    size_t n;
    pblock **v = live_blocks_locked(m, c, &n);
    out->blocks_live = n;
    free(v);
    pthread_mutex_unlock(&pool_mu);
    emu_unlock(m);
    return 0;
}

char *pnpbox_pool_report(pnpbox_machine *m, pnpbox_component *c)
{
    if (!m)
        return NULL;
    size_t nl = pnpbox_pool_outstanding(m, c, NULL, 0);
    size_t ne = pnpbox_pool_errors(m, c, NULL, 0);
    pnpbox_pool_leak *l = nl ? calloc(nl, sizeof *l) : NULL;
    pnpbox_pool_error *e = ne ? calloc(ne, sizeof *e) : NULL;
    if ((nl && !l) || (ne && !e)) {
        free(l);
        free(e);
        return NULL;
    }
    /* Another thread may have changed the counts in between: take what fits. */
    size_t got = pnpbox_pool_outstanding(m, c, l, nl);
    nl = got < nl ? got : nl;
    got = pnpbox_pool_errors(m, c, e, ne);
    ne = got < ne ? got : ne;
    pb_buf b = PB_BUF_INIT;
    pb_buf_adds(&b, "");
    for (size_t i = 0; i < nl; i++)
        pb_buf_printf(&b, "%s: leak: %zu block%s of %zu bytes tagged '%s' (%s pool), allocated by %s at %s\n",
                      l[i].component, l[i].count, l[i].count == 1 ? "" : "s", l[i].size, l[i].tag_text,
                      l[i].paged ? "paged" : "non-paged", l[i].api, l[i].caller);
    for (size_t i = 0; i < ne; i++)
        pb_buf_printf(&b, "%s: %s: %s (at %s)\n", e[i].component, e[i].severity, e[i].message, e[i].caller);
    free(l);
    free(e);
    return pb_buf_steal(&b);
}

void pnpbox_pool_release(pnpbox_machine *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&pool_mu);
    forget_machine_locked(m);
    for (size_t i = 0; i < nmachs; i++)
        if (machs[i].m == m) {
            machs[i] = machs[--nmachs];
            break;
        }
    pthread_mutex_unlock(&pool_mu);
}
