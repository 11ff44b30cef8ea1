/*
 * test_misc.c: the helpers drivers call everywhere: memory routines, the
 * IRQL bookkeeping, time, spin locks and fast mutexes (with real
 * contention between threads) and the interlocked operations.
 */
#include "tests/krtl/tk.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

TestSuite(krtl_misc, .init = tk_setup, .fini = tk_teardown);

/* ======================================================================== memory */

Test(krtl_misc, memory_routines)
{
    char a[8] = "abcdefg", b[8] = "abcXefg";
    cr_expect_eq(RtlCompareMemory(a, b, 8), 3);
    cr_expect_eq(RtlCompareMemory(a, a, 8), 8);
    cr_expect_eq(RtlCompareMemory(a, b, 0), 0);
    cr_expect(RtlEqualMemory(a, b, 3));
    cr_expect(!RtlEqualMemory(a, b, 4));
    char c[8];
    RtlCopyMemory(c, a, 8);
    cr_expect_str_eq(c, "abcdefg");
    RtlMoveMemory(c + 1, c, 5);
    cr_expect_str_eq(c, "aabcdeg", "overlapping move");
    RtlFillMemory(c, 3, 'z');
    cr_expect(!memcmp(c, "zzz", 3));
    RtlZeroMemory(c, 8);
    cr_expect_eq(RtlCompareMemory(c, "\0\0\0\0\0\0\0\0", 8), 8);
    memset(c, 1, 8);
    cr_expect_eq(RtlSecureZeroMemory(c, 8), c);
    cr_expect_eq(c[7], 0);

    ULONG u[4] = {7, 7, 8, 7};
    cr_expect_eq(RtlCompareMemoryUlong(u, 16, 7), 8, "up to the first mismatch");
    cr_expect_eq(RtlCompareMemoryUlong(u, 7, 7), 4, "whole ULONGs only");
    cr_expect_eq(RtlCompareMemoryUlong(u, 3, 7), 0);
    RtlFillMemoryUlong(u, 14, 0x01020304);
    cr_expect_eq(u[2], 0x01020304);
    cr_expect_eq(u[3], 7, "the partial ULONG is left alone");
}

/* ======================================================================== IRQL */

Test(krtl_misc, irql_bookkeeping)
{
    cr_expect_eq(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KIRQL old = 0xde;
    KeRaiseIrql(APC_LEVEL, &old);
    cr_expect_eq(old, PASSIVE_LEVEL);
    cr_expect_eq(KeGetCurrentIrql(), APC_LEVEL);
    cr_expect_eq(KeRaiseIrqlToDpcLevel(), APC_LEVEL);
    cr_expect_eq(KeGetCurrentIrql(), DISPATCH_LEVEL);
    size_t mk = tk_log_mark();
    KeRaiseIrql(PASSIVE_LEVEL, &old);
    cr_expect_eq(tk_log_count(mk, "IRQL_NOT_GREATER_OR_EQUAL"), 1);
    KeLowerIrql(DISPATCH_LEVEL);
    cr_expect_eq(tk_log_count(mk, "IRQL_NOT_LESS_OR_EQUAL"), 1);
    KeLowerIrql(PASSIVE_LEVEL);
    cr_expect_eq(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* ======================================================================== time */

Test(krtl_misc, system_time_and_counters)
{
    LARGE_INTEGER t;
    KeQuerySystemTime(&t);
    LONGLONG unix_now = (LONGLONG)time(NULL);
    LONGLONG t_unix = (t.QuadPart - 116444736000000000LL) / 10000000LL;
    cr_expect(t_unix >= unix_now - 5 && t_unix <= unix_now + 5, "100-ns units since 1601 (%lld vs %lld)", t_unix,
              unix_now);
    LARGE_INTEGER p;
    KeQuerySystemTimePrecise(&p);
    cr_expect_geq(p.QuadPart, t.QuadPart);

    cr_expect_eq(KeQueryTimeIncrement(), 156250);
    LARGE_INTEGER c1, c2;
    KeQueryTickCount(&c1);
    KeQueryTickCount(&c2);
    cr_expect_geq(c2.QuadPart, c1.QuadPart);
    LARGE_INTEGER f = {.QuadPart = 0};
    LARGE_INTEGER q1 = KeQueryPerformanceCounter(&f), q2 = KeQueryPerformanceCounter(NULL);
    cr_expect_eq(f.QuadPart, 10000000);
    cr_expect_geq(q2.QuadPart, q1.QuadPart);
    cr_expect_gt(KeQueryInterruptTime(), 0);
    KeStallExecutionProcessor(5);
}

Test(krtl_misc, delay_execution)
{
    LARGE_INTEGER i = {.QuadPart = -10000}; /* 1 ms */
    cr_expect_eq(KeDelayExecutionThread(KernelMode, FALSE, &i), STATUS_SUCCESS);
    i.QuadPart = 1; /* an absolute time long past */
    cr_expect_eq(KeDelayExecutionThread(KernelMode, FALSE, &i), STATUS_SUCCESS);
    i.QuadPart = 0;
    cr_expect_eq(KeDelayExecutionThread(KernelMode, TRUE, &i), STATUS_SUCCESS);
    cr_expect_eq(KeDelayExecutionThread(KernelMode, FALSE, NULL), STATUS_ACCESS_VIOLATION);
}

Test(krtl_misc, time_fields)
{
    TIME_FIELDS tf;
    LARGE_INTEGER t = {.QuadPart = 0};
    RtlTimeToTimeFields(&t, &tf);
    cr_expect(tf.Year == 1601 && tf.Month == 1 && tf.Day == 1 && tf.Hour == 0 && tf.Weekday == 1,
              "1601-01-01 was a Monday");
    t.QuadPart = 116444736000000000LL;
    RtlTimeToTimeFields(&t, &tf);
    cr_expect(tf.Year == 1970 && tf.Month == 1 && tf.Day == 1 && tf.Weekday == 4, "1970-01-01 was a Thursday");

    TIME_FIELDS in = {2000, 2, 29, 12, 34, 56, 789, 0};
    LARGE_INTEGER out = {.QuadPart = 0x7eadbeef};
    cr_expect(RtlTimeFieldsToTime(&in, &out));
    RtlTimeToTimeFields(&out, &tf);
    cr_expect(tf.Year == 2000 && tf.Month == 2 && tf.Day == 29 && tf.Hour == 12 && tf.Minute == 34 &&
                  tf.Second == 56 && tf.Milliseconds == 789 && tf.Weekday == 2,
              "round trip (a Tuesday)");

    static const TIME_FIELDS bad[] = {
        {2001, 2, 29, 0, 0, 0, 0, 0}, {1600, 12, 31, 0, 0, 0, 0, 0}, {2000, 13, 1, 0, 0, 0, 0, 0},
        {2000, 1, 1, 24, 0, 0, 0, 0}, {2000, 1, 1, 0, 60, 0, 0, 0},  {2000, 1, 1, 0, 0, 0, 1000, 0},
        {2000, 4, 31, 0, 0, 0, 0, 0}, {1900, 2, 29, 0, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        out.QuadPart = 0x7eadbeef;
        cr_expect(!RtlTimeFieldsToTime((PTIME_FIELDS)&bad[i], &out), "case %zu", i);
        cr_expect_eq(out.QuadPart, 0x7eadbeef, "untouched, case %zu", i);
    }
}

/* ======================================================================== spin locks */

static KSPIN_LOCK spin;
static FAST_MUTEX fmutex;
static long counter;

static void *spin_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100000; i++) {
        KIRQL old;
        KeAcquireSpinLock(&spin, &old);
        counter++;
        KeReleaseSpinLock(&spin, old);
    }
    return NULL;
}

Test(krtl_misc, spin_locks_exclude_and_raise_irql)
{
    KeInitializeSpinLock(&spin);
    cr_expect_eq(spin, 0);
    KIRQL old = 0xde;
    KeAcquireSpinLock(&spin, &old);
    cr_expect_eq(old, PASSIVE_LEVEL);
    cr_expect_eq(KeGetCurrentIrql(), DISPATCH_LEVEL);
    cr_expect_neq(spin, 0, "held");
    KeReleaseSpinLock(&spin, old);
    cr_expect_eq(KeGetCurrentIrql(), PASSIVE_LEVEL);
    cr_expect_eq(spin, 0);

    counter = 0;
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, spin_worker, NULL), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    cr_expect_eq(counter, 200000);
}

Test(krtl_misc, spin_lock_misuse_is_logged_not_hung)
{
    KeInitializeSpinLock(&spin);
    size_t mk = tk_log_mark();
    KIRQL o1, o2;
    KeAcquireSpinLock(&spin, &o1);
    KeAcquireSpinLock(&spin, &o2); /* hangs Windows */
    cr_expect_eq(tk_log_count(mk, "already holds this spin lock"), 1);
    KeReleaseSpinLock(&spin, o2);
    KeReleaseSpinLock(&spin, o1);
    cr_expect_eq(tk_log_count(mk, "not held by this thread"), 1);
    cr_expect_eq(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KeAcquireSpinLockAtDpcLevel(&spin);
    cr_expect_eq(tk_log_count(mk, "below DISPATCH_LEVEL"), 1);
    cr_expect(!KeTryToAcquireSpinLockAtDpcLevel(&spin));
    KeReleaseSpinLockFromDpcLevel(&spin);
    cr_expect(KeTryToAcquireSpinLockAtDpcLevel(&spin));
    KeReleaseSpinLockFromDpcLevel(&spin);
    cr_expect_eq(spin, 0);
}

/* ======================================================================== fast mutexes */

static void *mutex_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 50000; i++) {
        ExAcquireFastMutex(&fmutex);
        counter++;
        ExReleaseFastMutex(&fmutex);
    }
    return NULL;
}

static void *mutex_try(void *arg)
{
    *(BOOLEAN *)arg = ExTryToAcquireFastMutex(&fmutex);
    return NULL;
}

Test(krtl_misc, fast_mutexes)
{
    ExInitializeFastMutex(&fmutex);
    ExAcquireFastMutex(&fmutex);
    cr_expect_eq(KeGetCurrentIrql(), APC_LEVEL);
    BOOLEAN got = 0xde;
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, mutex_try, &got), 0);
    pthread_join(t, NULL);
    cr_expect_eq(got, FALSE, "held by this thread");
    size_t mk = tk_log_mark();
    ExAcquireFastMutex(&fmutex); /* deadlocks on Windows */
    cr_expect_eq(tk_log_count(mk, "already owns this fast mutex"), 1);
    ExReleaseFastMutex(&fmutex);
    cr_expect_eq(KeGetCurrentIrql(), PASSIVE_LEVEL);
    ExReleaseFastMutex(&fmutex);
    cr_expect_eq(tk_log_count(mk, "not owned by this thread"), 1);
    cr_expect(ExTryToAcquireFastMutex(&fmutex));
    ExReleaseFastMutex(&fmutex);
    ExAcquireFastMutexUnsafe(&fmutex);
    cr_expect_eq(KeGetCurrentIrql(), PASSIVE_LEVEL, "the Unsafe forms leave the IRQL");
    ExReleaseFastMutexUnsafe(&fmutex);

    counter = 0;
    pthread_t w[2];
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&w[i], NULL, mutex_worker, NULL), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(w[i], NULL);
    cr_expect_eq(counter, 100000);
}

/* ======================================================================== interlocked */

Test(krtl_misc, interlocked_operations)
{
    LONG v = 5;
    cr_expect_eq(InterlockedIncrement(&v), 6);
    cr_expect_eq(InterlockedDecrement(&v), 5);
    cr_expect_eq(InterlockedExchange(&v, 9), 5);
    cr_expect_eq(InterlockedCompareExchange(&v, 1, 8), 9, "no exchange: returns the value");
    cr_expect_eq(v, 9);
    cr_expect_eq(InterlockedCompareExchange(&v, 1, 9), 9);
    cr_expect_eq(v, 1);
    cr_expect_eq(InterlockedExchangeAdd(&v, 10), 1);
    cr_expect_eq(InterlockedAdd(&v, 10), 21);
    cr_expect_eq(InterlockedOr(&v, 0x100), 21);
    cr_expect_eq(InterlockedAnd(&v, 0x100), 0x115);
    cr_expect_eq(InterlockedXor(&v, 0x101), 0x100);
    cr_expect_eq(v, 1);
    LONG64 w = 0x100000000LL;
    cr_expect_eq(InterlockedIncrement64(&w), 0x100000001LL);
    cr_expect_eq(InterlockedCompareExchange64(&w, 3, 0x100000001LL), 0x100000001LL);
    cr_expect_eq(InterlockedExchangeAdd64(&w, 2), 3);
    cr_expect_eq(InterlockedDecrement64(&w), 4);
    PVOID p = NULL;
    cr_expect_null(InterlockedExchangePointer(&p, &v));
    cr_expect_eq(InterlockedCompareExchangePointer(&p, NULL, &v), &v);
    cr_expect_null(p);
}
