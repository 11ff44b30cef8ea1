/*
 * test_rtl.c: RtlQueryRegistryValues (every flag, defaults, DIRECT
 * buffers, every RelativeTo), RtlWriteRegistryValue,
 * RtlDeleteRegistryValue, RtlCheckRegistryKey, RtlCreateRegistryKey and
 * RtlQueryRegistryValueWithFallback.  Facts: Wine's
 * test_RtlQueryRegistryValues table (run on Windows, user mode) checked
 * against the kernel's RtlpQueryRegistryValues / RtlpCallQueryRegistryRoutine
 * / RtlpQueryRegistryDirect, which differ from ntdll's in one way that
 * matters: the kernel never expands REG_EXPAND_SZ.
 */
#include "tests/kreg/kr.h"

#include "base/pb_utf16.h"
#include "pnpbox/pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(kreg_rtl, .init = kr_setup, .fini = kr_teardown);

#define PATH L"\\Registry\\Machine\\SOFTWARE\\PnpboxKregTest"

static HANDLE key;

static void populate(void)
{
    key = kr_test_key();
    kr_set(key, L"WindowsDrive", REG_EXPAND_SZ, L"%SYSTEMDRIVE%", sizeof(L"%SYSTEMDRIVE%"));
    kr_set(key, L"CapitalsOfEurope", REG_MULTI_SZ, L"Brussels\0Paris\0%PATH%",
           sizeof(L"Brussels\0Paris\0%PATH%") - sizeof(WCHAR));
    kr_set_dword(key, L"MeaningOfLife32", 42);
    ULONGLONG q = 42;
    kr_set(key, L"MeaningOfLife64", REG_QWORD, &q, 8);
    kr_set_sz(key, L"Plain", L"Hello");
    HANDLE sub = kr_create(key, L"subkey", 0);
    kr_set_sz(sub, L"Color", L"Yellow");
    ZwClose(sub);
}

/* ---- a recording QueryRoutine ---- */

typedef struct call {
    char name[64];
    int name_null;
    ULONG type, len;
    const void *data;
    unsigned char bytes[128];
    PVOID ctx, ectx;
} call;

static call calls[16];
static int ncalls;
static NTSTATUS routine_status;

static NTSTATUS NTAPI recorder(PWSTR ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength, PVOID Context,
                               PVOID EntryContext)
{
    if (ncalls < 16) {
        call *c = &calls[ncalls];
        memset(c, 0, sizeof *c);
        c->name_null = ValueName == NULL;
        if (ValueName)
            snprintf(c->name, sizeof c->name, "%s", kr_u8(ValueName, pb_wcslen((const uint16_t *)ValueName)));
        c->type = ValueType;
        c->len = ValueLength;
        c->data = ValueData;
        if (ValueData && ValueLength && (uintptr_t)ValueData > 0x10000)
            memcpy(c->bytes, ValueData, ValueLength < sizeof c->bytes ? ValueLength : sizeof c->bytes);
        c->ctx = Context;
        c->ectx = EntryContext;
    }
    ncalls++;
    return routine_status;
}

static NTSTATUS run(RTL_QUERY_REGISTRY_TABLE *t)
{
    ncalls = 0;
    return RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, PATH, t, (PVOID)(uintptr_t)0x1234, NULL);
}

static int wide_eq(const void *data, const WCHAR *s, size_t bytes) { return memcmp(data, s, bytes) == 0; }

/* ---------------------------------------------------------------- the table */

Test(kreg_rtl, table_basics)
{
    populate();
    RTL_QUERY_REGISTRY_TABLE t[3];
    memset(t, 0, sizeof t);
    cr_assert_eq(run(t), STATUS_SUCCESS, "empty table");
    /* A Name with neither routine nor DIRECT ends the table. */
    t[0].Name = L"Plain";
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 0);
    /* A routine without a Name: every value of the key, in order. */
    memset(t, 0, sizeof t);
    t[0].QueryRoutine = recorder;
    t[0].Flags = RTL_QUERY_REGISTRY_NOEXPAND;
    t[0].EntryContext = (PVOID)(uintptr_t)0x77;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 5);
    cr_assert_str_eq(calls[0].name, "WindowsDrive");
    cr_assert_str_eq(calls[4].name, "Plain");
    cr_assert_eq(calls[0].ctx, (PVOID)(uintptr_t)0x1234);
    cr_assert_eq(calls[0].ectx, (PVOID)(uintptr_t)0x77);
    /* Named: the value as stored (REG_SZ with its terminator). */
    t[0].Name = L"plain";
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 1);
    cr_assert_str_eq(calls[0].name, "Plain", "the stored name is passed");
    cr_assert_eq(calls[0].type, REG_SZ);
    cr_assert_eq(calls[0].len, 12);
    cr_assert(wide_eq(calls[0].bytes, L"Hello", 12));
}

Test(kreg_rtl, novalue)
{
    populate();
    RTL_QUERY_REGISTRY_TABLE t[3];
    memset(t, 0, sizeof t);
    /* NOVALUE is ignored when there is a Name. */
    t[0].QueryRoutine = recorder;
    t[0].Flags = RTL_QUERY_REGISTRY_NOVALUE;
    t[0].Name = L"Plain";
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 1);
    cr_assert_eq(calls[0].type, REG_SZ);
    /* Without a Name: one callback with nothing, defaults ignored. */
    t[0].Name = NULL;
    t[1].QueryRoutine = recorder;
    t[1].Flags = RTL_QUERY_REGISTRY_NOVALUE;
    t[1].DefaultType = REG_SZ;
    t[1].DefaultData = L"Some default";
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 2);
    for (int i = 0; i < 2; i++) {
        cr_assert(calls[i].name_null);
        cr_assert_eq(calls[i].type, REG_NONE);
        cr_assert_null(calls[i].data);
        cr_assert_eq(calls[i].len, 0);
    }
}

Test(kreg_rtl, expand_sz_is_never_expanded_in_the_kernel)
{
    populate();
    RTL_QUERY_REGISTRY_TABLE t[2];
    memset(t, 0, sizeof t);
    t[0].QueryRoutine = recorder;
    t[0].Name = L"WindowsDrive";
    cr_assert_eq(run(t), STATUS_INVALID_PARAMETER, "a '%%' without NOEXPAND is refused");
    cr_assert_eq(ncalls, 0);
    t[0].Flags = RTL_QUERY_REGISTRY_NOEXPAND;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 1);
    cr_assert_eq(calls[0].type, REG_EXPAND_SZ);
    cr_assert_eq(calls[0].len, sizeof(L"%SYSTEMDRIVE%"));
    /* Without a '%' it passes as REG_EXPAND_SZ, unexpanded. */
    kr_set(key, L"NoVars", REG_EXPAND_SZ, L"C:\\x", sizeof(L"C:\\x"));
    t[0].Flags = 0;
    t[0].Name = L"NoVars";
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(calls[0].type, REG_EXPAND_SZ);
    /* The Environment argument changes nothing. */
    t[0].Name = L"WindowsDrive";
    ncalls = 0;
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, PATH, t, NULL, (PVOID)L"SYSTEMDRIVE=C:\0"),
                 STATUS_INVALID_PARAMETER);
}

Test(kreg_rtl, multi_sz_split_and_noexpand)
{
    populate();
    RTL_QUERY_REGISTRY_TABLE t[2];
    memset(t, 0, sizeof t);
    t[0].QueryRoutine = recorder;
    t[0].Name = L"CapitalsOfEurope";
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 3);
    static const WCHAR *parts[] = {L"Brussels", L"Paris", L"%PATH%"};
    for (int i = 0; i < 3; i++) {
        size_t n = pb_wcslen((const uint16_t *)parts[i]);
        cr_assert_eq(calls[i].type, REG_SZ);
        cr_assert_eq(calls[i].len, (n + 1) * 2);
        cr_assert(wide_eq(calls[i].bytes, parts[i], (n + 1) * 2));
        cr_assert_str_eq(calls[i].name, "CapitalsOfEurope");
    }
    /* NOEXPAND: once, the whole value with a terminator appended (42 stored bytes + 2). */
    t[0].Flags = RTL_QUERY_REGISTRY_NOEXPAND;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 1);
    cr_assert_eq(calls[0].type, REG_MULTI_SZ);
    cr_assert_eq(calls[0].len, 44);
    cr_assert(wide_eq(calls[0].bytes, L"Brussels\0Paris\0%PATH%\0", 44));
}

Test(kreg_rtl, defaults)
{
    populate();
    RTL_QUERY_REGISTRY_TABLE t[2];
    memset(t, 0, sizeof t);
    t[0].QueryRoutine = recorder;
    t[0].Name = L"I don't exist";
    /* REG_NONE: no default, nothing called. */
    t[0].DefaultType = REG_NONE;
    t[0].DefaultData = L"Some default";
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 0);
    /* REG_SZ with a length: passed as it is, by pointer, with the entry's Name. */
    t[0].DefaultType = REG_SZ;
    t[0].DefaultLength = 8;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 1);
    cr_assert_eq(calls[0].type, REG_SZ);
    cr_assert_eq(calls[0].data, t[0].DefaultData);
    cr_assert_eq(calls[0].len, 8);
    cr_assert_str_eq(calls[0].name, "I don't exist");
    /* Length 0 for strings: computed, terminator included; REG_SZ is not expanded either. */
    t[0].DefaultData = L"%SYSTEMDRIVE%";
    t[0].DefaultLength = 0;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(calls[0].len, sizeof(L"%SYSTEMDRIVE%"));
    cr_assert_eq(calls[0].data, t[0].DefaultData);
    /* A REG_EXPAND_SZ default with '%' is refused like a stored one. */
    t[0].DefaultType = REG_EXPAND_SZ;
    cr_assert_eq(run(t), STATUS_INVALID_PARAMETER);
    /* A string default without data: STATUS_DATA_OVERRUN. */
    t[0].DefaultType = REG_SZ;
    t[0].DefaultData = NULL;
    cr_assert_eq(run(t), STATUS_DATA_OVERRUN);
    cr_assert_eq(ncalls, 0);
    /* A non-string default of length 0 is passed with length 0. */
    t[0].DefaultType = REG_DWORD;
    t[0].DefaultData = (PVOID)(uintptr_t)0xdeadbeef;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 1);
    cr_assert_eq(calls[0].type, REG_DWORD);
    cr_assert_eq(calls[0].data, (PVOID)(uintptr_t)0xdeadbeef);
    cr_assert_eq(calls[0].len, 0);
    /* MULTI_SZ defaults are split: computed length covers the double terminator ... */
    t[0].DefaultType = REG_MULTI_SZ;
    t[0].DefaultData = L"Brussels\0Paris\0%PATH%\0";
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 3);
    /* ... a given length without the second terminator loses the last string (Wine's test). */
    t[0].DefaultData = L"A\0B\0C";
    t[0].DefaultLength = sizeof(L"A\0B\0C");
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 2);
    t[0].DefaultLength = sizeof(L"A\0B\0C") - 2;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 2);
    /* A stored value without data counts as missing. */
    kr_set(key, L"EmptyBin", REG_BINARY, NULL, 0);
    t[0].Name = L"EmptyBin";
    t[0].DefaultType = REG_DWORD;
    t[0].DefaultData = (PVOID)(uintptr_t)0x1;
    t[0].DefaultLength = 0;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 1);
    cr_assert_eq(calls[0].type, REG_DWORD, "the default, not the empty REG_BINARY");
}

Test(kreg_rtl, required_delete_and_routine_status)
{
    populate();
    RTL_QUERY_REGISTRY_TABLE t[3];
    memset(t, 0, sizeof t);
    t[0].QueryRoutine = recorder;
    t[0].Flags = RTL_QUERY_REGISTRY_REQUIRED;
    t[0].Name = L"I don't exist";
    t[0].DefaultType = REG_SZ;
    t[0].DefaultData = L"Some default";
    cr_assert_eq(run(t), STATUS_SUCCESS, "REQUIRED with a default uses the default");
    cr_assert_eq(ncalls, 1);
    t[0].DefaultType = REG_NONE;
    cr_assert_eq(run(t), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(ncalls, 0);
    /* REQUIRED with no Name on a key without values. */
    HANDLE empty = kr_create(key, L"empty", 0);
    ZwClose(empty);
    t[0].Name = NULL;
    ncalls = 0;
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, PATH L"\\empty", t, NULL, NULL),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    /* DELETE: the value goes after it was reported. */
    memset(t, 0, sizeof t);
    t[0].QueryRoutine = recorder;
    t[0].Flags = RTL_QUERY_REGISTRY_DELETE;
    t[0].Name = L"Plain";
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 1);
    UNICODE_STRING us = kr_us(L"Plain");
    ULONG rl;
    cr_assert_eq(ZwQueryValueKey(key, &us, KeyValueBasicInformation, NULL, 0, &rl), STATUS_OBJECT_NAME_NOT_FOUND);
    /* DELETE on an enumeration empties the key. */
    t[0].Name = NULL;
    t[0].Flags = RTL_QUERY_REGISTRY_DELETE | RTL_QUERY_REGISTRY_NOEXPAND;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 4);
    cr_assert_eq(ZwEnumerateValueKey(key, 0, KeyValueBasicInformation, NULL, 0, &rl), STATUS_NO_MORE_ENTRIES);
    /* A routine's error stops the table; STATUS_BUFFER_TOO_SMALL does not. */
    kr_set_sz(key, L"A", L"a");
    kr_set_sz(key, L"B", L"b");
    t[0].Flags = 0;
    t[0].Name = L"A";
    t[1].QueryRoutine = recorder;
    t[1].Name = L"B";
    routine_status = STATUS_BUFFER_TOO_SMALL;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 2);
    routine_status = STATUS_INSUFFICIENT_RESOURCES;
    cr_assert_eq(run(t), STATUS_INSUFFICIENT_RESOURCES);
    cr_assert_eq(ncalls, 1);
    routine_status = STATUS_SUCCESS;
}

Test(kreg_rtl, subkey_and_topkey)
{
    populate();
    RTL_QUERY_REGISTRY_TABLE t[4];
    memset(t, 0, sizeof t);
    /* SUBKEY with a routine: every value of the subkey. */
    t[0].QueryRoutine = recorder;
    t[0].Flags = RTL_QUERY_REGISTRY_SUBKEY;
    t[0].Name = L"subkey";
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 1);
    cr_assert_str_eq(calls[0].name, "Color");
    cr_assert(wide_eq(calls[0].bytes, L"Yellow", 14));
    /* SUBKEY without a routine changes the key for the entries after it; TOPKEY goes back. */
    memset(t, 0, sizeof t);
    t[0].Flags = RTL_QUERY_REGISTRY_SUBKEY;
    t[0].Name = L"subkey";
    t[1].QueryRoutine = recorder;
    t[1].Name = L"Color";
    t[2].QueryRoutine = recorder;
    t[2].Flags = RTL_QUERY_REGISTRY_TOPKEY;
    t[2].Name = L"Plain";
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(ncalls, 2);
    cr_assert_str_eq(calls[0].name, "Color");
    cr_assert_str_eq(calls[1].name, "Plain");
    /* A missing subkey, and SUBKEY without a Name. */
    t[0].Name = L"nosuchsub";
    cr_assert_eq(run(t), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(ncalls, 0);
    t[0].Name = NULL;
    t[0].QueryRoutine = recorder;
    cr_assert_eq(run(t), STATUS_INVALID_PARAMETER);
}

/* ---------------------------------------------------------------- DIRECT */

Test(kreg_rtl, direct_strings)
{
    populate();
    RTL_QUERY_REGISTRY_TABLE t[2];
    memset(t, 0, sizeof t);
    WCHAR sbuf[32];
    UNICODE_STRING s = {0, sizeof sbuf, sbuf};
    /* DIRECT needs no routine. */
    t[0].QueryRoutine = recorder;
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
    t[0].Name = L"Plain";
    t[0].EntryContext = &s;
    cr_assert_eq(run(t), STATUS_INVALID_PARAMETER);
    cr_assert_eq(ncalls, 0);
    t[0].QueryRoutine = NULL;
    memset(sbuf, 0x23, sizeof sbuf);
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(s.Length, 10);
    cr_assert_eq(s.MaximumLength, sizeof sbuf);
    cr_assert(wide_eq(sbuf, L"Hello", 12));
    /* Too small: nothing written, and the call still succeeds. */
    s.MaximumLength = 4;
    s.Length = 2;
    memset(sbuf, 0x23, sizeof sbuf);
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(s.Length, 2);
    cr_assert_eq(sbuf[0], 0x2323);
    /* REG_EXPAND_SZ with '%' needs NOEXPAND here too. */
    s.MaximumLength = sizeof sbuf;
    t[0].Name = L"WindowsDrive";
    cr_assert_eq(run(t), STATUS_INVALID_PARAMETER);
    t[0].Flags |= RTL_QUERY_REGISTRY_NOEXPAND;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(s.Length, 26);
    /* REG_MULTI_SZ with NOEXPAND: one string, Length = data + appended terminator - 2. */
    t[0].Name = L"CapitalsOfEurope";
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(s.Length, 42);
    cr_assert(wide_eq(sbuf, L"Brussels\0Paris\0%PATH%\0", 44));
    /* Buffer NULL: pool is allocated for the string (freed with RtlFreeUnicodeString). */
    UNICODE_STRING a = {0, 0, NULL};
    t[0].Name = L"Plain";
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
    t[0].EntryContext = &a;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_not_null(a.Buffer);
    cr_assert_eq(a.Length, 10);
    cr_assert_eq(a.MaximumLength, 12);
    cr_assert(wide_eq(a.Buffer, L"Hello", 12));
    RtlFreeUnicodeString(&a);
    cr_assert_null(a.Buffer);
}

Test(kreg_rtl, direct_multi_sz_without_noexpand_fills_consecutive_strings)
{
    populate();
    UNICODE_STRING arr[3];
    WCHAR bufs[3][16];
    for (int i = 0; i < 3; i++) {
        arr[i].Buffer = bufs[i];
        arr[i].Length = 0;
        arr[i].MaximumLength = sizeof bufs[i];
    }
    RTL_QUERY_REGISTRY_TABLE t[2];
    memset(t, 0, sizeof t);
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
    t[0].Name = L"CapitalsOfEurope";
    t[0].EntryContext = arr;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(arr[0].Length, 16);
    cr_assert_eq(arr[1].Length, 10);
    cr_assert_eq(arr[2].Length, 12);
    cr_assert(wide_eq(bufs[1], L"Paris", 12));
    cr_assert_eq(t[0].EntryContext, (PVOID)&arr[3], "the table entry's EntryContext advanced");
}

Test(kreg_rtl, direct_non_strings)
{
    populate();
    RTL_QUERY_REGISTRY_TABLE t[2];
    memset(t, 0, sizeof t);
    ULONG dw = 1;
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
    t[0].Name = L"MeaningOfLife32";
    t[0].EntryContext = &dw;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(dw, 42);
    /* Larger data, negative size: the data alone. */
    union {
        LONG size;
        unsigned char data[32];
    } sized;
    memset(sized.data, 0x23, sizeof sized.data);
    sized.size = -(LONG)sizeof sized;
    t[0].Name = L"MeaningOfLife64";
    t[0].EntryContext = &sized;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    ULONGLONG q;
    memcpy(&q, sized.data, 8);
    cr_assert_eq(q, 42);
    cr_assert_eq(sized.data[8], 0x23);
    memset(sized.data, 0x23, sizeof sized.data);
    sized.size = -7;
    cr_assert_eq(run(t), STATUS_SUCCESS, "too small is ignored");
    cr_assert_eq(sized.size, -7);
    cr_assert_eq(sized.data[4], 0x23);
    /* Positive size: length, type, data; the size counts the 8 header bytes. */
    struct {
        ULONG size, type;
        unsigned char data[32];
    } typed;
    memset(&typed, 0x23, sizeof typed);
    typed.size = 16;
    t[0].EntryContext = &typed;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(typed.size, 8);
    cr_assert_eq(typed.type, REG_QWORD);
    memcpy(&q, typed.data, 8);
    cr_assert_eq(q, 42);
    memset(&typed, 0x23, sizeof typed);
    typed.size = 15;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(typed.size, 15);
    cr_assert_eq(typed.type, 0x23232323);
    /* Defaults go the same way: a DWORD default of 4 bytes. */
    dw = 1;
    ULONG def = 0x2a;
    t[0].Name = L"I don't exist";
    t[0].EntryContext = &dw;
    t[0].DefaultType = REG_DWORD;
    t[0].DefaultData = &def;
    t[0].DefaultLength = 4;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(dw, 0x2a);
    t[0].DefaultLength = 0;
    dw = 1;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(dw, 1, "a zero-length default writes nothing");
}

Test(kreg_rtl, typecheck_nostring_and_trust)
{
    populate();
    RTL_QUERY_REGISTRY_TABLE t[2];
    memset(t, 0, sizeof t);
    ULONG dw = 1;
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
    t[0].Name = L"MeaningOfLife32";
    t[0].EntryContext = &dw;
    t[0].DefaultType = REG_SZ << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT;
    cr_assert_eq(run(t), STATUS_OBJECT_TYPE_MISMATCH);
    cr_assert_eq(dw, 1);
    t[0].DefaultType = REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(dw, 42);
    /* NOSTRING (DIRECT without TYPECHECK) skips string values. */
    WCHAR sb[16];
    UNICODE_STRING s = {0, sizeof sb, sb};
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_NOSTRING;
    t[0].Name = L"Plain";
    t[0].EntryContext = &s;
    t[0].DefaultType = 0;
    cr_assert_eq(run(t), STATUS_SUCCESS);
    cr_assert_eq(s.Length, 0);
    t[0].Flags |= RTL_QUERY_REGISTRY_REQUIRED;
    cr_assert_eq(run(t), STATUS_OBJECT_NAME_NOT_FOUND);
    /* DIRECT without TYPECHECK on a non-system hive: Windows bug-checks, pnpbox refuses. */
    HANDLE u = kr_create(NULL, L"\\Registry\\User\\.DEFAULT\\PnpboxRtl", 0);
    kr_set_dword(u, L"v", 5);
    ZwClose(u);
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
    t[0].Name = L"v";
    t[0].EntryContext = &dw;
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, L"\\Registry\\User\\.DEFAULT\\PnpboxRtl", t, NULL,
                                        NULL),
                 STATUS_INVALID_PARAMETER);
    cr_assert(kr_log_has("KERNEL_SECURITY_CHECK_FAILURE"));
    t[0].Flags |= RTL_QUERY_REGISTRY_TYPECHECK;
    t[0].DefaultType = REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT;
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, L"\\Registry\\User\\.DEFAULT\\PnpboxRtl", t, NULL,
                                        NULL),
                 STATUS_SUCCESS);
    cr_assert_eq(dw, 5);
}

/* ---------------------------------------------------------------- RelativeTo */

Test(kreg_rtl, relative_to_roots)
{
    RTL_QUERY_REGISTRY_TABLE t[2];
    memset(t, 0, sizeof t);
    WCHAR sb[64];
    UNICODE_STRING s = {0, sizeof sb, sb};
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
    t[0].EntryContext = &s;
    t[0].DefaultType = REG_SZ << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT;
    /* CONTROL */
    t[0].Name = L"ComputerName";
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_CONTROL, L"ComputerName\\ComputerName", t, NULL, NULL),
                 STATUS_SUCCESS);
    cr_assert_str_eq(kr_u8(sb, s.Length / 2), "PNPBOX");
    /* WINDOWS_NT, with RTL_REGISTRY_OPTIONAL (ignored by the kernel) */
    t[0].Name = L"CurrentBuild";
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_WINDOWS_NT | RTL_REGISTRY_OPTIONAL, NULL, t, NULL, NULL),
                 STATUS_SUCCESS);
    cr_assert_str_eq(kr_u8(sb, s.Length / 2), "26100");
    /* SERVICES */
    HANDLE svc = kr_create(NULL, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\kregsvc", 0);
    kr_set_sz(svc, L"DisplayName", L"kreg service");
    t[0].Name = L"DisplayName";
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"kregsvc", t, NULL, NULL), STATUS_SUCCESS);
    cr_assert_str_eq(kr_u8(sb, s.Length / 2), "kreg service");
    /* HANDLE */
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_HANDLE, (PCWSTR)svc, t, NULL, NULL), STATUS_SUCCESS);
    cr_assert_eq(ZwClose(svc), STATUS_SUCCESS, "the caller's handle stays open");
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_HANDLE, (PCWSTR)(uintptr_t)0x4444, t, NULL, NULL),
                 STATUS_INVALID_HANDLE);
    /* DEVICEMAP */
    HANDLE dm = kr_create(NULL, L"\\Registry\\Machine\\HARDWARE\\DEVICEMAP\\SERIALCOMM", REG_OPTION_VOLATILE);
    kr_set_sz(dm, L"\\Device\\Serial0", L"COM1");
    ZwClose(dm);
    t[0].Name = L"\\Device\\Serial0";
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_DEVICEMAP, L"SERIALCOMM", t, NULL, NULL), STATUS_SUCCESS);
    cr_assert_str_eq(kr_u8(sb, s.Length / 2), "COM1");
    /* USER: LocalSystem's hive */
    HANDLE env = kr_open(NULL, L"\\Registry\\User\\S-1-5-18\\Environment");
    kr_set_sz(env, L"KregVar", L"sys");
    ZwClose(env);
    t[0].Flags |= 0; /* the user hive is not a system hive, TYPECHECK keeps DIRECT allowed */
    t[0].Name = L"KregVar";
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_USER, L"Environment", t, NULL, NULL), STATUS_SUCCESS);
    cr_assert_str_eq(kr_u8(sb, s.Length / 2), "sys");
    /* Bad RelativeTo and paths. */
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_MAXIMUM, L"x", t, NULL, NULL), STATUS_INVALID_PARAMETER);
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, NULL, t, NULL, NULL), STATUS_OBJECT_PATH_SYNTAX_BAD);
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"nosuchsvc", t, NULL, NULL),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    WCHAR longp[300];
    for (int i = 0; i < 299; i++)
        longp[i] = L'x';
    longp[299] = 0;
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, longp, t, NULL, NULL), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"kregsvc", NULL, NULL, NULL),
                 STATUS_ACCESS_VIOLATION);
}

/* ---------------------------------------------------------------- the other helpers */

Test(kreg_rtl, check_and_create_registry_key)
{
    static WCHAR empty[] = {0};
    cr_assert_eq(RtlCheckRegistryKey(RTL_REGISTRY_ABSOLUTE, L"\\Registry\\Machine\\SOFTWARE"), STATUS_SUCCESS);
    cr_assert_eq(RtlCheckRegistryKey(RTL_REGISTRY_ABSOLUTE | RTL_REGISTRY_OPTIONAL, L"\\Registry\\Machine\\SOFTWARE"),
                 STATUS_SUCCESS);
    cr_assert_eq(RtlCheckRegistryKey(RTL_REGISTRY_ABSOLUTE, NULL), STATUS_OBJECT_PATH_SYNTAX_BAD);
    cr_assert_eq(RtlCheckRegistryKey(RTL_REGISTRY_ABSOLUTE, empty), STATUS_OBJECT_PATH_SYNTAX_BAD);
    cr_assert_eq(RtlCheckRegistryKey(RTL_REGISTRY_USER, NULL), STATUS_SUCCESS);
    cr_assert_eq(RtlCheckRegistryKey(RTL_REGISTRY_USER, empty), STATUS_SUCCESS);
    cr_assert_eq(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, L"NoSuchService"), STATUS_OBJECT_NAME_NOT_FOUND);

    cr_assert_eq(RtlCreateRegistryKey(RTL_REGISTRY_ABSOLUTE, PATH), STATUS_SUCCESS);
    cr_assert_eq(RtlCreateRegistryKey(RTL_REGISTRY_ABSOLUTE | RTL_REGISTRY_OPTIONAL, PATH), STATUS_SUCCESS);
    cr_assert_eq(RtlCreateRegistryKey(RTL_REGISTRY_USER, NULL), STATUS_SUCCESS);
    cr_assert_eq(RtlCreateRegistryKey(RTL_REGISTRY_USER | RTL_REGISTRY_OPTIONAL, empty), STATUS_SUCCESS);
    cr_assert_eq(RtlCreateRegistryKey(RTL_REGISTRY_USER + 1, PATH), STATUS_INVALID_PARAMETER);
    cr_assert_eq(RtlCreateRegistryKey((RTL_REGISTRY_USER + 1) | RTL_REGISTRY_OPTIONAL, NULL),
                 STATUS_INVALID_PARAMETER);
    cr_assert_eq(RtlCreateRegistryKey(RTL_REGISTRY_ABSOLUTE, NULL), STATUS_OBJECT_PATH_SYNTAX_BAD);
    cr_assert_eq(RtlCreateRegistryKey(RTL_REGISTRY_ABSOLUTE, empty), STATUS_OBJECT_PATH_SYNTAX_BAD);
    /* Only the last component is created. */
    cr_assert_eq(RtlCreateRegistryKey(RTL_REGISTRY_ABSOLUTE, PATH L"\\RtlCreateRegistryKey\\RtlCreateRegistryKey"),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(RtlCheckRegistryKey(RTL_REGISTRY_ABSOLUTE, PATH), STATUS_SUCCESS);
    cr_assert_eq(emu_handle_count(m, EMU_H_KEY), 0, "no handle leaks");
}

Test(kreg_rtl, write_and_delete_registry_value)
{
    ULONG v = 7;
    /* The key is created when missing. */
    cr_assert_eq(RtlWriteRegistryValue(RTL_REGISTRY_ABSOLUTE, PATH, L"Written", REG_DWORD, &v, 4), STATUS_SUCCESS);
    key = kr_open(NULL, PATH);
    ULONG type, got = 0;
    cr_assert_eq(kr_get(key, L"Written", &type, &got, 4), 4);
    cr_assert_eq(type, REG_DWORD);
    cr_assert_eq(got, 7);
    /* The top byte of the type is dropped. */
    cr_assert_eq(RtlWriteRegistryValue(RTL_REGISTRY_ABSOLUTE, PATH, L"Typed", (REG_SZ << 24) | REG_BINARY, &v, 4),
                 STATUS_SUCCESS);
    kr_get(key, L"Typed", &type, NULL, 0);
    cr_assert_eq(type, REG_BINARY);
    /* NULL ValueName: the default value. */
    cr_assert_eq(RtlWriteRegistryValue(RTL_REGISTRY_HANDLE, (PCWSTR)key, NULL, REG_DWORD, &v, 4), STATUS_SUCCESS);
    cr_assert_eq(kr_get(key, L"", NULL, NULL, 0), 4);
    cr_assert_eq(RtlWriteRegistryValue(RTL_REGISTRY_ABSOLUTE, PATH, L"x", REG_DWORD, NULL, 4),
                 STATUS_ACCESS_VIOLATION);
    cr_assert_eq(RtlWriteRegistryValue(RTL_REGISTRY_ABSOLUTE, L"\\Registry\\Machine\\NoHive\\x", L"x", REG_DWORD, &v,
                                       4),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(RtlDeleteRegistryValue(RTL_REGISTRY_ABSOLUTE, PATH, L"Written"), STATUS_SUCCESS);
    cr_assert_eq(RtlDeleteRegistryValue(RTL_REGISTRY_ABSOLUTE, PATH, L"Written"), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(RtlDeleteRegistryValue(RTL_REGISTRY_MAXIMUM, PATH, L"Written"), STATUS_INVALID_PARAMETER);
    ZwClose(key);
    cr_assert_eq(emu_handle_count(m, EMU_H_KEY), 0);
}

Test(kreg_rtl, query_value_with_fallback)
{
    key = kr_test_key();
    HANDLE prim = kr_create(key, L"State", 0), fb = kr_create(key, L"Parameters", 0);
    kr_set_dword(fb, L"Setting", 1);
    kr_set_dword(fb, L"Both", 2);
    kr_set_dword(prim, L"Both", 3);
    kr_set(fb, L"Big", REG_BINARY, "0123456789", 10);
    UNICODE_STRING name = kr_us(L"Both");
    ULONG type = 0xdeadbeef, data = 0xdeadbeef, rl = 0xdeadbeef;
    cr_assert_eq(RtlQueryRegistryValueWithFallback(NULL, NULL, &name, 4, &type, &data, &rl), STATUS_INVALID_PARAMETER);
    cr_assert_eq(RtlQueryRegistryValueWithFallback(prim, fb, &name, 0xFFFFFFF0u, &type, &data, &rl),
                 STATUS_INTEGER_OVERFLOW);
    cr_assert_eq(rl, 0xdeadbeef);
    /* The primary wins. */
    cr_assert_eq(RtlQueryRegistryValueWithFallback(prim, fb, &name, 4, &type, &data, &rl), STATUS_SUCCESS);
    cr_assert_eq(type, REG_DWORD);
    cr_assert_eq(data, 3);
    cr_assert_eq(rl, 4);
    /* Missing in the primary: the fallback. */
    name = kr_us(L"Setting");
    data = 0;
    cr_assert_eq(RtlQueryRegistryValueWithFallback(prim, fb, &name, 4, NULL, &data, &rl), STATUS_SUCCESS);
    cr_assert_eq(data, 1);
    /* No primary at all. */
    data = 0;
    cr_assert_eq(RtlQueryRegistryValueWithFallback(NULL, fb, &name, 4, &type, &data, &rl), STATUS_SUCCESS);
    cr_assert_eq(data, 1);
    /* Any other error of the primary is returned as it is: no fallback. */
    HANDLE gone = kr_create(key, L"gone", 0);
    ZwDeleteKey(gone);
    type = data = rl = 0xdeadbeef;
    cr_assert_eq(RtlQueryRegistryValueWithFallback(gone, fb, &name, 4, &type, &data, &rl), STATUS_KEY_DELETED);
    cr_assert_eq(type, 0xdeadbeef);
    cr_assert_eq(rl, 0xdeadbeef);
    ZwClose(gone);
    /* ValueLength is the capacity: too small is STATUS_BUFFER_OVERFLOW with type and size, no data. */
    name = kr_us(L"Big");
    unsigned char big[16];
    memset(big, KR_FILL, sizeof big);
    type = rl = 0xdeadbeef;
    cr_assert_eq(RtlQueryRegistryValueWithFallback(prim, fb, &name, 8, &type, big, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(type, REG_BINARY);
    cr_assert_eq(rl, 10);
    cr_assert_eq(big[0], KR_FILL);
    /* Far too small (the routine's own query overflows). */
    cr_assert_eq(RtlQueryRegistryValueWithFallback(prim, fb, &name, 2, &type, big, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(rl, 10);
    cr_assert_eq(RtlQueryRegistryValueWithFallback(prim, fb, &name, 10, &type, big, &rl), STATUS_SUCCESS);
    cr_assert_eq(memcmp(big, "0123456789", 10), 0);
    cr_assert_eq(big[10], KR_FILL);
    /* In neither: outputs untouched. */
    name = kr_us(L"Nowhere");
    type = data = rl = 0xdeadbeef;
    cr_assert_eq(RtlQueryRegistryValueWithFallback(prim, fb, &name, 4, &type, &data, &rl),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(type, 0xdeadbeef);
    cr_assert_eq(data, 0xdeadbeef);
    cr_assert_eq(rl, 0xdeadbeef);
    /* Allocation failure. */
    cr_assert_eq(pnpbox_fault_add(m, "RtlQueryRegistryValueWithFallback", 1, 0), 0);
    name = kr_us(L"Both");
    cr_assert_eq(RtlQueryRegistryValueWithFallback(prim, fb, &name, 4, &type, &data, &rl), STATUS_NO_MEMORY);
    cr_assert_eq(rl, 0xdeadbeef);
    ZwClose(prim);
    ZwClose(fb);
}
