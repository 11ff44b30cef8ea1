/*
 * pool.h: what the driver code did with the executive pool, for
 * `pnpbox verify`, the test harness and tests (prefix pnpbox_pool_).
 *
 * Every ExAllocatePool* block records the component that allocated it
 * (the driver pnpbox was running, or the test itself), its size, tag,
 * allocating call and caller address.  A block still allocated when the
 * driver unloads is a leak.  Freeing a block twice, freeing a pointer that
 * never came from the pool, freeing with the wrong tag (what Driver
 * Verifier bug-checks on) and similar misuse are kept as pool errors,
 * also written to the machine's log (pnpbox_log_get).
 *
 * Plain C types only, so it can be included next to <wdm.h> or <windows.h>.
 * The component and machine pointers are the ones of <pnpbox/pnpbox.h>.
 */
#ifndef PNPBOX_POOL_H
#define PNPBOX_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "pnpbox/pnpbox.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One line of a leak report: outstanding blocks of the same component,
 * tag, size, allocating call and caller. */
typedef struct pnpbox_pool_leak {
    const char *component;   /* who allocated (owned by the machine) */
    uint32_t tag;            /* as passed: ExAllocatePool2(..., 'tseT') gives 0x74736554 */
    char tag_text[5];        /* as a pool dump shows it: "Test" (NUL bytes as ' ', others '.') */
    size_t size;             /* bytes of each block */
    size_t count;            /* how many such blocks are outstanding */
    const char *api;         /* the allocating call, e.g. "ExAllocatePool2" (static) */
    int paged;               /* paged pool (1) or non-paged (0) */
    const void *caller_addr; /* return address in the allocating code */
    char caller[160];        /* "mydrv.so+0x1a2b", or "?" when it cannot be named */
} pnpbox_pool_leak;

/*
 * The outstanding allocations of component c (NULL: every component of
 * m), grouped, oldest group first.  Fills at most cap entries of out (out
 * may be NULL when cap is 0) and returns the number of groups.
 */
size_t pnpbox_pool_outstanding(pnpbox_machine *m, pnpbox_component *c, pnpbox_pool_leak *out, size_t cap);

typedef enum pnpbox_pool_problem {
    PNPBOX_POOL_DOUBLE_FREE = 1,  /* the block was already freed (Verifier: 0xC4 / 0x13) */
    PNPBOX_POOL_BAD_POINTER,      /* not a pointer ExAllocatePool* returned, or NULL */
    PNPBOX_POOL_TAG_MISMATCH,     /* ExFreePoolWithTag with another tag (BAD_POOL_CALLER) */
    PNPBOX_POOL_FOREIGN_FREE,     /* freed by another component than the one that allocated it */
    PNPBOX_POOL_ZERO_SIZE,        /* a zero-byte allocation (Verifier: 0xC4 / 0x00) */
    PNPBOX_POOL_BAD_IRQL,         /* paged pool used above APC_LEVEL (Verifier: 0xC4 / 0x01, 0x11) */
    PNPBOX_POOL_BAD_REQUEST,      /* tag 0, invalid POOL_FLAGS or POOL_TYPE: the call returned NULL */
    PNPBOX_POOL_CANNOT_RAISE,     /* a failing allocation asked to raise an exception; pnpbox returned NULL */
} pnpbox_pool_problem;

typedef struct pnpbox_pool_error {
    pnpbox_pool_problem problem;
    const char *severity;    /* "error" (Windows would bug-check or misbehave) or "warning" */
    const char *api;         /* the call that found it, e.g. "ExFreePoolWithTag" (static) */
    const char *component;   /* who made that call (owned by the machine) */
    const void *address;     /* the pointer passed, or the block */
    uint32_t tag;            /* the tag passed (ExFreePoolWithTag, allocations) */
    uint32_t block_tag;      /* the block's own tag, 0 if unknown */
    size_t size;             /* the block's size, 0 if unknown */
    const void *caller_addr;
    char caller[160];        /* "mydrv.so+0x1a2b" */
    char message[320];       /* one line, e.g. "ExFreePoolWithTag: tag 'Abcd' does not match ..." */
} pnpbox_pool_error;

/* The pool errors of component c (NULL: all) on m, in order; same
 * filling rule as pnpbox_pool_outstanding. */
size_t pnpbox_pool_errors(pnpbox_machine *m, pnpbox_component *c, pnpbox_pool_error *out, size_t cap);

typedef struct pnpbox_pool_stats {
    uint64_t allocs;      /* successful allocations */
    uint64_t frees;       /* blocks freed */
    uint64_t bytes_live;  /* bytes still allocated */
    uint64_t blocks_live; /* blocks still allocated */
} pnpbox_pool_stats;

/* Counters of component c (NULL: every component of m).  0, or -EINVAL. */
int pnpbox_pool_stats_get(pnpbox_machine *m, pnpbox_component *c, pnpbox_pool_stats *out);

/*
 * A text report of c's (NULL: every component's) leaks and pool errors,
 * one finding per line, "" when there is nothing to say.  malloc'd; NULL
 * when out of memory.
 */
char *pnpbox_pool_report(pnpbox_machine *m, pnpbox_component *c);

/*
 * Free every block still allocated on m and forget m's pool records and
 * errors.  Call it before pnpbox_machine_free (tests that leak on purpose,
 * the harness after its report): the pool cannot see a machine go away,
 * so without it a freed machine's blocks are only released when another
 * machine reuses its address, or at exit.
 */
void pnpbox_pool_release(pnpbox_machine *m);

#ifdef __cplusplus
}
#endif

#endif
