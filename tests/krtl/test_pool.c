/*
 * test_pool.c: the executive pool: zeroing and fill, alignment, the flag
 * and pool-type rules, tags, per-component accounting across
 * pnpbox_enter, the leak report, double / foreign / mismatched frees,
 * IRQL checks and injected allocation failures.
 */
#include "tests/krtl/tk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

TestSuite(krtl_pool, .init = tk_setup, .fini = tk_teardown);

#define TAG_TEST 'tseT' /* "Test" in a pool dump */
#define TAG_OTHR 'rhtO'

static int all_bytes(const void *p, int v, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)v)
            return 0;
    return 1;
}

static size_t nerrors(pnpbox_pool_problem problem)
{
    pnpbox_pool_error e[32];
    size_t n = pnpbox_pool_errors(m, NULL, e, 32), k = 0;
    for (size_t i = 0; i < n && i < 32; i++)
        if (e[i].problem == problem)
            k++;
    return k;
}

/* ======================================================================== ExAllocatePool2 */

Test(krtl_pool, allocate_pool2_zeroes_unless_uninitialized)
{
    unsigned char *p = ExAllocatePool2(POOL_FLAG_PAGED, 100, TAG_TEST);
    cr_assert_not_null(p);
    cr_expect(all_bytes(p, 0, 100));
    unsigned char *q = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, 100, TAG_TEST);
    cr_assert_not_null(q);
    cr_expect(all_bytes(q, 0xDB, 100), "uninitialized memory is not zero (filled with 0xDB)");
    cr_expect_eq((uintptr_t)p % 16, 0);
    ExFreePoolWithTag(p, TAG_TEST);
    ExFreePool(q);
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 0);
    cr_expect_eq(pnpbox_pool_errors(m, NULL, NULL, 0), 0);
}

Test(krtl_pool, alignment)
{
    void *c = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED, 10, TAG_TEST);
    void *pg = ExAllocatePool2(POOL_FLAG_NON_PAGED, 4096, TAG_TEST);
    void *big = ExAllocatePool2(POOL_FLAG_PAGED, 10000, TAG_TEST);
    void *small = ExAllocatePool2(POOL_FLAG_PAGED, 4095, TAG_TEST);
    cr_assert(c && pg && big && small);
    cr_expect_eq((uintptr_t)c % 64, 0, "cache-aligned");
    cr_expect_eq((uintptr_t)pg % 4096, 0, "PAGE_SIZE and more: page-aligned");
    cr_expect_eq((uintptr_t)big % 4096, 0);
    cr_expect_eq((uintptr_t)small % 16, 0);
    ExFreePool(c);
    ExFreePool(pg);
    ExFreePool(big);
    ExFreePool(small);
}

Test(krtl_pool, allocate_pool2_flag_rules)
{
    static const struct {
        POOL_FLAGS flags;
        ULONG tag;
        int ok;
    } cases[] = {
        {POOL_FLAG_PAGED, 0, 0},                                 /* tag 0 */
        {0, TAG_TEST, 0},                                        /* no pool type */
        {POOL_FLAG_PAGED | POOL_FLAG_NON_PAGED, TAG_TEST, 0},    /* two pool types */
        {POOL_FLAG_NON_PAGED | POOL_FLAG_RESERVED1, TAG_TEST, 0},/* unrecognised required flag */
        {POOL_FLAG_PAGED | 0x800, TAG_TEST, 0},
        {POOL_FLAG_PAGED | 0x80000000ull, TAG_TEST, 0},
        {POOL_FLAG_PAGED | (1ull << 40), TAG_TEST, 1},           /* unrecognised optional flag: ignored */
        {POOL_FLAG_PAGED | POOL_FLAG_SPECIAL_POOL, TAG_TEST, 1},
        {POOL_FLAG_NON_PAGED_EXECUTE, TAG_TEST, 1},
        {POOL_FLAG_PAGED | POOL_FLAG_USE_QUOTA | POOL_FLAG_SESSION, TAG_TEST, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t before = nerrors(PNPBOX_POOL_BAD_REQUEST);
        void *p = ExAllocatePool2(cases[i].flags, 8, cases[i].tag);
        cr_expect_eq(p != NULL, cases[i].ok, "case %zu", i);
        cr_expect_eq(nerrors(PNPBOX_POOL_BAD_REQUEST), before + !cases[i].ok, "case %zu: reported", i);
        if (p)
            ExFreePool(p);
    }
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 0);
}

Test(krtl_pool, raise_on_failure_cannot_raise_and_says_so)
{
    size_t mk = tk_log_mark();
    cr_expect_null(ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 8, 0));
    cr_expect_eq(nerrors(PNPBOX_POOL_CANNOT_RAISE), 1);
    cr_expect_eq(tk_log_count(mk, "STATUS_INSUFFICIENT_RESOURCES"), 1);
    cr_assert_eq(pnpbox_fault_add(m, "ExAllocatePoolWithTag", 1, 0), 0);
    cr_expect_null(ExAllocatePoolWithTag(PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE, 8, TAG_TEST));
    cr_expect_eq(nerrors(PNPBOX_POOL_CANNOT_RAISE), 2);
}

Test(krtl_pool, zero_size_is_a_warning_and_a_block)
{
    void *p = ExAllocatePool2(POOL_FLAG_PAGED, 0, TAG_TEST);
    cr_assert_not_null(p, "Windows hands out a block");
    cr_expect_eq(nerrors(PNPBOX_POOL_ZERO_SIZE), 1);
    pnpbox_pool_error e;
    pnpbox_pool_errors(m, NULL, &e, 1);
    cr_expect_str_eq(e.severity, "warning");
    ExFreePool(p);
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 0);
}

Test(krtl_pool, injected_failures)
{
    cr_assert_eq(pnpbox_fault_add(m, "ExAllocatePool2", 2, 0), 0);
    size_t mk = tk_log_mark();
    void *a = ExAllocatePool2(POOL_FLAG_PAGED, 8, TAG_TEST);
    void *b = ExAllocatePool2(POOL_FLAG_PAGED, 8, TAG_TEST);
    void *c = ExAllocatePool2(POOL_FLAG_PAGED, 8, TAG_TEST);
    cr_expect_not_null(a);
    cr_expect_null(b, "the second call fails");
    cr_expect_not_null(c);
    cr_expect_eq(tk_log_count(mk, "injected failure"), 1);
    pnpbox_pool_stats s;
    cr_assert_eq(pnpbox_pool_stats_get(m, NULL, &s), 0);
    cr_expect_eq(s.allocs, 2, "a failed allocation is not counted");
    ExFreePool(a);
    ExFreePool(c);
    /* Other allocators have their own fault points; "*" counts them all. */
    cr_assert_eq(pnpbox_fault_add(m, "*", 1, 0), 0);
    cr_expect_null(ExAllocatePoolZero(NonPagedPoolNx, 8, TAG_TEST));
    cr_assert_eq(pnpbox_fault_add(m, "ExAllocatePool3", 1, 0), 0);
    cr_expect_null(ExAllocatePool3(POOL_FLAG_PAGED, 8, TAG_TEST, NULL, 0));
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 0);
}

/* ======================================================================== POOL_TYPE allocators */

Test(krtl_pool, pool_type_allocators)
{
    unsigned char *a = ExAllocatePoolWithTag(NonPagedPoolNx, 32, TAG_TEST);
    unsigned char *b = ExAllocatePoolWithTag(PagedPool | POOL_ZERO_ALLOCATION, 32, TAG_TEST);
    unsigned char *c = ExAllocatePoolZero(PagedPool, 32, TAG_TEST);
    unsigned char *d = ExAllocatePoolUninitialized(NonPagedPool, 32, TAG_TEST);
    unsigned char *e = ExAllocatePoolWithTagPriority(PagedPoolCacheAligned, 32, TAG_TEST, HighPoolPriority);
    unsigned char *f = ExAllocatePool(NonPagedPool, 32);
    cr_assert(a && b && c && d && e && f);
    cr_expect(all_bytes(a, 0xDB, 32), "ExAllocatePoolWithTag does not zero");
    cr_expect(all_bytes(b, 0, 32));
    cr_expect(all_bytes(c, 0, 32));
    cr_expect(all_bytes(d, 0xDB, 32));
    cr_expect_eq((uintptr_t)e % 64, 0, "a CacheAligned type");
    pnpbox_pool_leak l[8];
    size_t n = pnpbox_pool_outstanding(m, NULL, l, 8);
    cr_assert_eq(n, 6, "one group per call site");
    cr_expect_str_eq(l[0].api, "ExAllocatePoolWithTag");
    cr_expect_eq(l[0].paged, 0);
    cr_expect_eq(l[1].paged, 1);
    cr_expect_str_eq(l[2].api, "ExAllocatePoolZero");
    cr_expect_str_eq(l[3].api, "ExAllocatePoolUninitialized");
    cr_expect_str_eq(l[4].api, "ExAllocatePoolWithTagPriority");
    cr_expect_str_eq(l[5].api, "ExAllocatePool");
    cr_expect_str_eq(l[5].tag_text, "None", "ExAllocatePool's tag");
    ExFreePoolWithTag(f, 'enoN');
    ExFreePool(a);
    ExFreePool(b);
    ExFreePool(c);
    ExFreePool(d);
    ExFreePool(e);
    cr_expect_eq(pnpbox_pool_errors(m, NULL, NULL, 0), 0);
}

Test(krtl_pool, invalid_pool_types_return_null)
{
    cr_expect_null(ExAllocatePoolWithTag(NonPagedPoolMustSucceed, 8, TAG_TEST));
    cr_expect_null(ExAllocatePoolWithTag(NonPagedPoolCacheAlignedMustS, 8, TAG_TEST));
    cr_expect_null(ExAllocatePoolWithTag(DontUseThisType, 8, TAG_TEST));
    cr_expect_null(ExAllocatePoolWithTag((POOL_TYPE)7, 8, TAG_TEST));
    cr_expect_eq(nerrors(PNPBOX_POOL_BAD_REQUEST), 4);
    void *s = ExAllocatePoolWithTag(PagedPoolSession, 8, TAG_TEST);
    cr_expect_not_null(s, "session pool is pool");
    ExFreePool(s);
    void *t = ExAllocatePoolWithTag(NonPagedPool, 8, 0);
    cr_expect_not_null(t, "tag 0 is only refused by ExAllocatePool2");
    ExFreePool(t);
}

Test(krtl_pool, allocate_pool3_extended_parameters)
{
    POOL_EXTENDED_PARAMETER p[2];
    memset(p, 0, sizeof p);
    p[0].Type = PoolExtendedParameterPriority;
    p[0].Priority = LowPoolPriority;
    p[1].Type = PoolExtendedParameterNumaNode;
    p[1].PreferredNode = 0;
    void *a = ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, TAG_TEST, p, 2);
    cr_expect_not_null(a);
    cr_expect(all_bytes(a, 0, 16));
    ExFreePool(a);
    p[0].Type = PoolExtendedParameterSecurePool;
    cr_expect_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, TAG_TEST, p, 1), "no secure pools");
    p[0].Optional = 1;
    a = ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, TAG_TEST, p, 1);
    cr_expect_not_null(a, "an optional parameter that cannot be honoured is ignored");
    ExFreePool(a);
    p[0].Optional = 0;
    p[0].Type = PoolExtendedParameterInvalidType;
    cr_expect_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, TAG_TEST, p, 1));
    cr_expect_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, TAG_TEST, NULL, 1));
    cr_expect_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, 0, NULL, 0));
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 0);
}

/* ======================================================================== accounting and the leak report */

/* Neither inlined nor a tail call: every block from here has the same caller address. */
__attribute__((noinline)) static void *alloc_n(size_t n)
{
    void *p = ExAllocatePool2(POOL_FLAG_PAGED, n, TAG_TEST);
    __asm__ volatile("" ::: "memory");
    return p;
}

Test(krtl_pool, per_component_accounting_across_enter)
{
    pnpbox_component *a = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "drva");
    pnpbox_component *b = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "drvb");
    cr_assert(a && b);
    pnpbox_component *prev = pnpbox_enter(a);
    void *a1 = alloc_n(40), *a2 = alloc_n(40), *a3 = ExAllocatePool2(POOL_FLAG_NON_PAGED, 24, TAG_OTHR);
    pnpbox_enter(b);
    void *b1 = alloc_n(100);
    pnpbox_enter(prev);
    cr_assert(a1 && a2 && a3 && b1);

    pnpbox_pool_stats s;
    cr_assert_eq(pnpbox_pool_stats_get(m, a, &s), 0);
    cr_expect_eq(s.allocs, 3);
    cr_expect_eq(s.frees, 0);
    cr_expect_eq(s.bytes_live, 104);
    cr_expect_eq(s.blocks_live, 3);
    cr_assert_eq(pnpbox_pool_stats_get(m, b, &s), 0);
    cr_expect_eq(s.bytes_live, 100);
    cr_assert_eq(pnpbox_pool_stats_get(m, NULL, &s), 0);
    cr_expect_eq(s.blocks_live, 4);

    pnpbox_pool_leak l[4];
    memset(l, 0xde, sizeof l);
    cr_assert_eq(pnpbox_pool_outstanding(m, a, l, 4), 2, "two groups for drva");
    cr_expect_str_eq(l[0].component, "drva");
    cr_expect_eq(l[0].tag, TAG_TEST);
    cr_expect_str_eq(l[0].tag_text, "Test");
    cr_expect_eq(l[0].size, 40);
    cr_expect_eq(l[0].count, 2, "the same call site, tag and size");
    cr_expect_str_eq(l[0].api, "ExAllocatePool2");
    cr_expect_eq(l[0].paged, 1);
    cr_expect(strstr(l[0].caller, "+0x") != NULL, "caller %s", l[0].caller);
    cr_expect_not_null(l[0].caller_addr);
    cr_expect_str_eq(l[1].tag_text, "Othr");
    cr_expect_eq(l[1].size, 24);
    cr_expect_eq(l[1].count, 1);
    cr_expect_eq(l[1].paged, 0);
    cr_expect_eq(((unsigned char *)&l[2])[0], 0xde, "nothing written past the groups");
    cr_expect_eq(pnpbox_pool_outstanding(m, a, l, 1), 2, "the count even when cap is short");

    /* drvb frees one of drva's blocks: allowed, reported, counted for drva. */
    pnpbox_enter(b);
    ExFreePool(a1);
    pnpbox_enter(prev);
    cr_expect_eq(nerrors(PNPBOX_POOL_FOREIGN_FREE), 1);
    pnpbox_pool_error e;
    pnpbox_pool_errors(m, b, &e, 1);
    cr_expect_str_eq(e.component, "drvb");
    cr_expect_str_eq(e.severity, "warning");
    cr_assert_eq(pnpbox_pool_stats_get(m, a, &s), 0);
    cr_expect_eq(s.frees, 1);
    cr_expect_eq(s.bytes_live, 64);

    char *r = pnpbox_pool_report(m, NULL);
    cr_assert_not_null(r);
    cr_expect(strstr(r, "drva: leak: 1 block of 40 bytes tagged 'Test' (paged pool), allocated by ExAllocatePool2 at "),
              "%s", r);
    cr_expect(strstr(r, "drvb: leak: 1 block of 100 bytes tagged 'Test'"), "%s", r);
    cr_expect(strstr(r, "drvb: warning: ExFreePool("), "%s", r);
    free(r);
    ExFreePool(a2);
    ExFreePool(a3);
    ExFreePool(b1);
    r = pnpbox_pool_report(m, a);
    cr_expect_str_eq(r, "", "drva has nothing left to report");
    free(r);
}

Test(krtl_pool, report_arguments)
{
    pnpbox_pool_stats s;
    cr_expect_eq(pnpbox_pool_stats_get(NULL, NULL, &s), -EINVAL);
    cr_expect_eq(pnpbox_pool_stats_get(m, NULL, NULL), -EINVAL);
    cr_expect_eq(pnpbox_pool_outstanding(NULL, NULL, NULL, 0), 0);
    cr_expect_eq(pnpbox_pool_errors(NULL, NULL, NULL, 0), 0);
    cr_expect_null(pnpbox_pool_report(NULL, NULL));
    pnpbox_pool_release(NULL);
}

Test(krtl_pool, release_forgets_everything)
{
    alloc_n(10);
    int dummy;
    ExFreePool(&dummy);
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 1);
    cr_expect_eq(pnpbox_pool_errors(m, NULL, NULL, 0), 1);
    pnpbox_pool_release(m);
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 0);
    cr_expect_eq(pnpbox_pool_errors(m, NULL, NULL, 0), 0);
}

Test(krtl_pool, machines_keep_their_own_blocks)
{
    pnpbox_machine *m1 = m, *m2;
    void *p1 = alloc_n(8);
    cr_assert_eq(pnpbox_machine_new(NULL, &m2), 0);
    cr_expect_eq(pnpbox_current(), m2);
    void *p2 = alloc_n(16);
    cr_expect_eq(pnpbox_pool_outstanding(m2, NULL, NULL, 0), 1);
    pnpbox_pool_leak l;
    pnpbox_pool_outstanding(m2, NULL, &l, 1);
    cr_expect_eq(l.size, 16);
    cr_expect_eq(pnpbox_pool_outstanding(m1, NULL, NULL, 0), 1);
    pnpbox_pool_release(m2);
    pnpbox_machine_free(m2);
    pnpbox_set_current(m1);
    cr_expect_eq(pnpbox_pool_outstanding(m1, NULL, NULL, 0), 1);
    ExFreePool(p1);
    (void)p2;
    cr_expect_eq(pnpbox_pool_errors(m1, NULL, NULL, 0), 0);
}

/* ======================================================================== misuse */

Test(krtl_pool, tag_mismatch_is_reported_and_the_block_freed)
{
    size_t mk = tk_log_mark();
    void *p = alloc_n(64);
    ExFreePoolWithTag(p, TAG_OTHR);
    pnpbox_pool_error e;
    memset(&e, 0xde, sizeof e);
    cr_assert_eq(pnpbox_pool_errors(m, NULL, &e, 1), 1);
    cr_expect_eq(e.problem, PNPBOX_POOL_TAG_MISMATCH);
    cr_expect_str_eq(e.severity, "error");
    cr_expect_str_eq(e.api, "ExFreePoolWithTag");
    cr_expect_str_eq(e.component, "harness");
    cr_expect_eq(e.address, p);
    cr_expect_eq(e.tag, TAG_OTHR);
    cr_expect_eq(e.block_tag, TAG_TEST);
    cr_expect_eq(e.size, 64);
    cr_expect(strstr(e.caller, "+0x") != NULL, "%s", e.caller);
    cr_expect(strstr(e.message, "'Othr'") && strstr(e.message, "'Test'") && strstr(e.message, "BAD_POOL_CALLER"),
              "%s", e.message);
    cr_expect_eq(tk_log_count(mk, "pnpbox: pool error: ExFreePoolWithTag"), 1);
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 0);
}

Test(krtl_pool, double_free_is_reported_not_crashing)
{
    void *p = alloc_n(32);
    ExFreePoolWithTag(p, TAG_TEST);
    ExFreePool(p);
    ExFreePoolWithTag(p, TAG_TEST);
    cr_expect_eq(nerrors(PNPBOX_POOL_DOUBLE_FREE), 2);
    pnpbox_pool_error e;
    pnpbox_pool_errors(m, NULL, &e, 1);
    cr_expect_eq(e.block_tag, TAG_TEST);
    cr_expect_eq(e.size, 32);
    cr_expect(strstr(e.message, "already freed by ExFreePoolWithTag"), "%s", e.message);
    pnpbox_pool_stats s;
    pnpbox_pool_stats_get(m, NULL, &s);
    cr_expect_eq(s.frees, 1);
    cr_expect_eq(s.bytes_live, 0);
}

Test(krtl_pool, foreign_pointers_are_never_freed)
{
    int local = 5;
    char *heap = malloc(16);
    ExFreePool(&local);
    ExFreePool(heap);
    ExFreePool(NULL);
    ExFreePool((char *)alloc_n(32) + 8); /* inside a block */
    cr_expect_eq(nerrors(PNPBOX_POOL_BAD_POINTER), 4);
    cr_expect_eq(local, 5);
    free(heap); /* still ours */
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 1);
}

Test(krtl_pool, double_free_long_after_is_an_unknown_pointer)
{
    void *first = alloc_n(8);
    ExFreePool(first);
    /* Push it out of the quarantine (1024 freed blocks). */
    for (int i = 0; i < 1100; i++)
        ExFreePool(alloc_n(8));
    ExFreePool(first);
    cr_expect_eq(nerrors(PNPBOX_POOL_DOUBLE_FREE) + nerrors(PNPBOX_POOL_BAD_POINTER), 1);
}

Test(krtl_pool, paged_pool_above_apc_level_is_reported)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    void *np = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, TAG_TEST);
    cr_expect_eq(nerrors(PNPBOX_POOL_BAD_IRQL), 0, "non-paged pool is fine at DISPATCH_LEVEL");
    void *pg = ExAllocatePool2(POOL_FLAG_PAGED, 8, TAG_TEST);
    cr_expect_not_null(pg);
    cr_expect_eq(nerrors(PNPBOX_POOL_BAD_IRQL), 1);
    ExFreePool(pg);
    cr_expect_eq(nerrors(PNPBOX_POOL_BAD_IRQL), 2);
    ExFreePool(np);
    KeLowerIrql(old);
    cr_expect_eq(pnpbox_pool_outstanding(m, NULL, NULL, 0), 0);
}

Test(krtl_pool, enforce_mode_changes_nothing_for_pool)
{
    pnpbox_set_mode(m, PNPBOX_MODE_ENFORCE);
    pnpbox_component *d = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "testdrv");
    pnpbox_component *prev = pnpbox_enter(d);
    void *p = alloc_n(8);
    UNICODE_STRING s = RTL_CONSTANT_STRING(L"abc"), u;
    NTSTATUS st = RtlUpcaseUnicodeString(&u, &s, TRUE);
    pnpbox_enter(prev);
    cr_expect_not_null(p);
    cr_expect_eq(st, STATUS_SUCCESS);
    cr_expect_eq(pnpbox_pool_outstanding(m, d, NULL, 0), 2, "the driver's allocation and its Rtl string");
    cr_expect_eq(pnpbox_event_count(m), 0, "pool use is not an audited access");
    pnpbox_enter(d);
    ExFreePool(p);
    RtlFreeUnicodeString(&u);
    pnpbox_enter(prev);
    cr_expect_eq(pnpbox_pool_outstanding(m, d, NULL, 0), 0);
}
