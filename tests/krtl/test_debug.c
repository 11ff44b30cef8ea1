/*
 * test_debug.c: debug output captured into the machine's log: DbgPrint
 * and KdPrint always, DbgPrintEx through Windows' default filter (errors
 * only) and DbgSetDebugFilterState, one log entry per line, the 512-byte
 * limit of a call; ASSERT as in a free build, RtlAssert, PAGED_CODE.
 */
#include "tests/krtl/tk.h"

#include <string.h>

TestSuite(krtl_debug, .init = tk_setup, .fini = tk_teardown);

Test(krtl_debug, dbgprint_is_captured_line_by_line)
{
    size_t mk = tk_log_mark();
    cr_expect_eq(DbgPrint("hello %s %d\n", "world", 42), STATUS_SUCCESS);
    cr_expect_eq(DbgPrint("one\r\ntwo\n\nthree"), STATUS_SUCCESS);
    cr_expect_eq(DbgPrint("\n"), STATUS_SUCCESS);
    cr_assert_eq(pnpbox_log_count(m), mk + 4, "empty lines are dropped");
    cr_expect_str_eq(tk_log(mk, 0), "hello world 42");
    cr_expect_str_eq(tk_log(mk, 1), "one");
    cr_expect_str_eq(tk_log(mk, 2), "two");
    cr_expect_str_eq(tk_log(mk, 3), "three", "text without a newline is a line too");
    cr_expect_eq(DbgPrint(NULL), (ULONG)STATUS_INVALID_PARAMETER);
    cr_expect_eq(pnpbox_log_count(m), mk + 4);
}

Test(krtl_debug, kdprint_macros_are_compiled_in)
{
    size_t mk = tk_log_mark();
    KdPrint(("kd %wZ\n", &(UNICODE_STRING)RTL_CONSTANT_STRING(L"x")));
    KdPrintEx((DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "kdex %u\n", 3u));
    cr_assert_eq(pnpbox_log_count(m), mk + 2);
    cr_expect_str_eq(tk_log(mk, 0), "kd x");
    cr_expect_str_eq(tk_log(mk, 1), "kdex 3");
}

Test(krtl_debug, one_call_keeps_512_bytes)
{
    size_t mk = tk_log_mark();
    DbgPrint("%600s|\n", "x");
    cr_assert_eq(pnpbox_log_count(m), mk + 1);
    const char *s = tk_log(mk, 0);
    cr_expect_eq(strlen(s), 512);
    cr_expect_eq(s[0], ' ');
    cr_expect_eq(s[511], ' ', "the end of the output is cut");
}

Test(krtl_debug, dbgprintex_default_filter)
{
    size_t mk = tk_log_mark();
    cr_expect_eq(DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "info\n"), STATUS_SUCCESS);
    cr_expect_eq(DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL, "trace\n"), STATUS_SUCCESS);
    cr_expect_eq(DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_WARNING_LEVEL, "warning\n"), STATUS_SUCCESS);
    cr_expect_eq(pnpbox_log_count(m), mk, "Windows shows only errors by default");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "error\n");
    DbgPrintEx(DPFLTR_DEFAULT_ID, DPFLTR_MASK | 0x1, "mask with bit 0\n");
    DbgPrintEx(DPFLTR_DEFAULT_ID, DPFLTR_MASK | 0x8, "mask bit 3\n");
    DbgPrintEx(5000, DPFLTR_ERROR_LEVEL, "unknown component, error level\n");
    cr_assert_eq(pnpbox_log_count(m), mk + 3);
    cr_expect_str_eq(tk_log(mk, 0), "error");
    cr_expect_str_eq(tk_log(mk, 1), "mask with bit 0");
    cr_expect_str_eq(tk_log(mk, 2), "unknown component, error level");
}

Test(krtl_debug, filter_state_can_be_changed)
{
    cr_expect_eq(DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL), FALSE);
    cr_expect_eq(DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL), TRUE);
    cr_expect_eq(DbgSetDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, TRUE), STATUS_SUCCESS);
    cr_expect_eq(DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL), TRUE);
    cr_expect_eq(DbgQueryDebugFilterState(DPFLTR_IHVBUS_ID, DPFLTR_INFO_LEVEL), FALSE, "per component");
    size_t mk = tk_log_mark();
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "now shown\n");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL, "still hidden\n");
    cr_assert_eq(pnpbox_log_count(m), mk + 1);
    cr_expect_str_eq(tk_log(mk, 0), "now shown");
    cr_expect_eq(DbgSetDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, FALSE), STATUS_SUCCESS);
    cr_expect_eq(DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL), FALSE);
    /* The system-wide mask (ComponentId -1) applies to every component. */
    cr_expect_eq(DbgSetDebugFilterState((ULONG)-1, DPFLTR_TRACE_LEVEL, TRUE), STATUS_SUCCESS);
    cr_expect_eq(DbgQueryDebugFilterState(DPFLTR_IHVBUS_ID, DPFLTR_TRACE_LEVEL), TRUE);
    cr_expect_eq(DbgSetDebugFilterState(DPFLTR_ENDOFTABLE_ID, 0, TRUE), STATUS_INVALID_PARAMETER_1);
    cr_expect_eq(DbgQueryDebugFilterState(DPFLTR_ENDOFTABLE_ID, 0), STATUS_INVALID_PARAMETER_1);
}

static ULONG vprint_prefixed(const char *prefix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ULONG r = vDbgPrintExWithPrefix(prefix, DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, fmt, ap);
    va_end(ap);
    return r;
}

static ULONG vprint(ULONG level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ULONG r = vDbgPrintEx(DPFLTR_IHVDRIVER_ID, level, fmt, ap);
    va_end(ap);
    return r;
}

Test(krtl_debug, va_list_forms)
{
    size_t mk = tk_log_mark();
    cr_expect_eq(vprint_prefixed("drv: ", "%s=%I64x\n", "v", 0xabcull), STATUS_SUCCESS);
    cr_expect_eq(vprint(DPFLTR_ERROR_LEVEL, "%ld\n", (LONG)-2), STATUS_SUCCESS);
    cr_expect_eq(vprint(DPFLTR_INFO_LEVEL, "hidden\n"), STATUS_SUCCESS);
    cr_assert_eq(pnpbox_log_count(m), mk + 2);
    cr_expect_str_eq(tk_log(mk, 0), "drv: v=abc");
    cr_expect_str_eq(tk_log(mk, 1), "-2");
}

Test(krtl_debug, assert_is_a_free_build_assert)
{
    int evaluated = 0;
    ASSERT(++evaluated == 100);
    NT_ASSERT(++evaluated == 100);
    NT_ASSERTMSG("msg", ++evaluated == 100);
    cr_expect_eq(evaluated, 0, "not evaluated in a free build");
    cr_expect(NT_VERIFY(++evaluated == 1), "NT_VERIFY evaluates");
    cr_expect_eq(evaluated, 1);
    size_t mk = tk_log_mark();
    RtlAssert((PVOID) "x > 0", (PVOID) "drv.c", 12, (PSTR) "bad x");
    cr_assert_eq(pnpbox_log_count(m), mk + 1);
    cr_expect_str_eq(tk_log(mk, 0), "pnpbox: error: assertion failed: x > 0: bad x at drv.c:12 (harness)");
}

Test(krtl_debug, paged_code_checks_the_irql)
{
    size_t mk = tk_log_mark();
    PAGED_CODE();
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    PAGED_CODE();
    cr_expect_eq(pnpbox_log_count(m), mk, "fine up to APC_LEVEL");
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    pnpbox_component *d = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "testdrv");
    pnpbox_component *prev = pnpbox_enter(d);
    PAGED_CODE();
    pnpbox_enter(prev);
    KeLowerIrql(PASSIVE_LEVEL);
    cr_assert_eq(pnpbox_log_count(m), mk + 1);
    cr_expect(strstr(tk_log(mk, 0), "PAGED_CODE at ") && strstr(tk_log(mk, 0), "test_debug.c:") &&
                  strstr(tk_log(mk, 0), "IRQL 2") && strstr(tk_log(mk, 0), "(testdrv)"),
              "%s", tk_log(mk, 0));
}
