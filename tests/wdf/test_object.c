/*
 * test_object.c: the framework object model: WDF_OBJECT_ATTRIBUTES
 * validation (statuses in KMDF's order), typed contexts
 * (WDF_DECLARE_CONTEXT_TYPE*, WdfObjectGetTypedContext,
 * WdfObjectAllocateContext), parents and the deletion order of
 * EvtCleanupCallback / EvtDestroyCallback, references, WDFSTRING and
 * WDFCOLLECTION, and invalid handles (logged bug checks, never a crash).
 * The calls run as the KMDF test driver after its DriverEntry.
 */
#include "tests/wdf/kmdf_drv.h"

#include "emu/emu.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

typedef struct BIG_CONTEXT {
    ULONG a;
    UCHAR bytes[100];
} BIG_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE(BIG_CONTEXT)

typedef struct OTHER_CONTEXT {
    ULONGLONG q;
} OTHER_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(OTHER_CONTEXT, GetOther)

#define BAD ((void *)(uintptr_t)0xdeadbeef)

static void setup(void)
{
    kd_setup();
    kd_load();
    pnpbox_enter(kd_comp());
}

TestSuite(wdf_object, .init = setup, .fini = kd_teardown);

static char order[512];

static void note(const char *what, WDFOBJECT o)
{
    char buf[64];
    WDFSTRING s = (WDFSTRING)o;
    (void)s;
    snprintf(buf, sizeof buf, "%s%s", order[0] ? " " : "", what);
    strncat(order, buf, sizeof order - strlen(order) - 1);
}

static VOID CleanA(WDFOBJECT o) { note("cleanA", o); }
static VOID DestroyA(WDFOBJECT o) { note("destroyA", o); }
static VOID CleanB(WDFOBJECT o) { note("cleanB", o); }
static VOID DestroyB(WDFOBJECT o) { note("destroyB", o); }
static VOID CleanC(WDFOBJECT o) { note("cleanC", o); }
static VOID DestroyC(WDFOBJECT o) { note("destroyC", o); }

static WDFCOLLECTION collection(WDFOBJECT parent, PFN_WDF_OBJECT_CONTEXT_CLEANUP c, PFN_WDF_OBJECT_CONTEXT_DESTROY d)
{
    WDF_OBJECT_ATTRIBUTES a;
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.ParentObject = parent;
    a.EvtCleanupCallback = c;
    a.EvtDestroyCallback = d;
    WDFCOLLECTION h = BAD;
    cr_assert_eq(WdfCollectionCreate(&a, &h), STATUS_SUCCESS);
    cr_assert_not_null(h);
    return h;
}

/* ---- attributes ---- */

Test(wdf_object, attribute_validation_in_kmdf_order)
{
    WDF_OBJECT_ATTRIBUTES a;
    WDFCOLLECTION h;
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    cr_assert_eq(a.Size, 56, "the amd64 layout");
    cr_assert_eq(a.ExecutionLevel, WdfExecutionLevelInheritFromParent);
    cr_assert_eq(a.SynchronizationScope, WdfSynchronizationScopeInheritFromParent);
    cr_assert_null(a.ContextTypeInfo);

    a.Size = 0;
    h = BAD;
    cr_assert_eq(WdfCollectionCreate(&a, &h), STATUS_INFO_LENGTH_MISMATCH);
    cr_assert_null(h, "*Collection is cleared before the checks");

    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    WDF_OBJECT_CONTEXT_TYPE_INFO bad = *WDF_GET_CONTEXT_TYPE_INFO(BIG_CONTEXT);
    bad.Size = 30;
    a.ContextTypeInfo = &bad;
    cr_assert_eq(WdfCollectionCreate(&a, &h), STATUS_INFO_LENGTH_MISMATCH);
    bad.Size = sizeof bad;
    bad.ContextName = NULL;
    cr_assert_eq(WdfCollectionCreate(&a, &h), STATUS_WDF_OBJECT_ATTRIBUTES_INVALID, "a sized type needs a name");

    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.ContextSizeOverride = 200;
    cr_assert_eq(WdfCollectionCreate(&a, &h), STATUS_WDF_OBJECT_ATTRIBUTES_INVALID, "override without a type");
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, BIG_CONTEXT);
    a.ContextSizeOverride = sizeof(BIG_CONTEXT) - 1;
    cr_assert_eq(WdfCollectionCreate(&a, &h), STATUS_WDF_OBJECT_ATTRIBUTES_INVALID, "override below the type");

    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.ExecutionLevel = WdfExecutionLevelInvalid;
    cr_assert_eq(WdfCollectionCreate(&a, &h), STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
    a.ExecutionLevel = (WDF_EXECUTION_LEVEL)9;
    cr_assert_eq(WdfCollectionCreate(&a, &h), STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.SynchronizationScope = (WDF_SYNCHRONIZATION_SCOPE)7;
    cr_assert_eq(WdfCollectionCreate(&a, &h), STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
    a.SynchronizationScope = WdfSynchronizationScopeDevice;
    cr_assert_eq(WdfCollectionCreate(&a, &h), STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID);
    a.SynchronizationScope = WdfSynchronizationScopeNone;
    a.ExecutionLevel = WdfExecutionLevelPassive;
    cr_assert_eq(WdfCollectionCreate(&a, &h), STATUS_WDF_EXECUTION_LEVEL_INVALID);
    a.ExecutionLevel = WdfExecutionLevelInheritFromParent;
    cr_assert_eq(WdfCollectionCreate(&a, &h), STATUS_SUCCESS, "scope None is allowed everywhere");
    WdfObjectDelete(h);

    /* A bad parent handle is a bug check. */
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.ParentObject = BAD;
    h = BAD;
    cr_assert_eq(WdfCollectionCreate(&a, &h), STATUS_INVALID_HANDLE);
    cr_assert(kd_log_has("WDF_VIOLATION (0x10D) in WdfCollectionCreate"));
}

Test(wdf_object, object_creation_fault_injection)
{
    cr_assert_eq(pnpbox_fault_add(kd_m, "WdfCollectionCreate", 1, 0), 0);
    WDFCOLLECTION h = BAD;
    cr_assert_eq(WdfCollectionCreate(NULL, &h), STATUS_INSUFFICIENT_RESOURCES);
    cr_assert_null(h);
    cr_assert_eq(WdfCollectionCreate(NULL, &h), STATUS_SUCCESS);
}

Test(wdf_object, huge_context_is_refused)
{
    WDF_OBJECT_ATTRIBUTES a;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, BIG_CONTEXT);
    a.ContextSizeOverride = (size_t)-1;
    WDFCOLLECTION h = BAD;
    cr_assert_eq(WdfCollectionCreate(&a, &h), STATUS_INSUFFICIENT_RESOURCES);
    cr_assert_null(h);
}

/* ---- contexts ---- */

Test(wdf_object, typed_contexts)
{
    cr_assert_str_eq(WDF_GET_CONTEXT_TYPE_INFO(BIG_CONTEXT)->ContextName, "BIG_CONTEXT");
    cr_assert_eq(WDF_GET_CONTEXT_TYPE_INFO(BIG_CONTEXT)->ContextSize, sizeof(BIG_CONTEXT));
    cr_assert_eq(WDF_GET_CONTEXT_TYPE_INFO(BIG_CONTEXT)->UniqueType, WDF_GET_CONTEXT_TYPE_INFO(BIG_CONTEXT));
    cr_assert_eq(WDF_GET_CONTEXT_TYPE_INFO(BIG_CONTEXT)->Size, sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO));

    WDF_OBJECT_ATTRIBUTES a;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, BIG_CONTEXT);
    a.ContextSizeOverride = 4096;
    WDFCOLLECTION h;
    cr_assert_eq(WdfCollectionCreate(&a, &h), STATUS_SUCCESS);
    BIG_CONTEXT *c = WdfObjectGet_BIG_CONTEXT(h);
    cr_assert_not_null(c);
    cr_assert_eq((uintptr_t)c % 16, 0, "aligned");
    unsigned char *bytes = (unsigned char *)c;
    for (int i = 0; i < 4096; i++)
        cr_assert_eq(bytes[i], 0, "zeroed (byte %d)", i);
    memset(bytes, 0x5a, 4096); /* the override's size is usable (ASan checks) */
    cr_assert_eq(WdfObjectGetTypedContext(h, BIG_CONTEXT), c);
    cr_assert_null(GetOther(h), "no context of another type");

    /* Add a second type; a second allocation of it answers the first. */
    WDF_OBJECT_ATTRIBUTES o;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&o, OTHER_CONTEXT);
    PVOID p = BAD;
    cr_assert_eq(WdfObjectAllocateContext(h, &o, &p), STATUS_SUCCESS);
    cr_assert_eq(p, GetOther(h));
    cr_assert_eq(GetOther(h)->q, 0);
    GetOther(h)->q = 7;
    PVOID p2 = BAD;
    cr_assert_eq(WdfObjectAllocateContext(h, &o, &p2), STATUS_OBJECT_NAME_EXISTS);
    cr_assert_eq(p2, p);
    cr_assert_eq(WdfObjectAllocateContext(h, &o, NULL), STATUS_OBJECT_NAME_EXISTS);
    cr_assert_eq(WdfObjectGet_BIG_CONTEXT(h), c, "the first context is unchanged");

    /* WdfObjectAllocateContext's checks. */
    p = BAD;
    cr_assert_eq(WdfObjectAllocateContext(h, NULL, &p), STATUS_WDF_PARENT_NOT_SPECIFIED, "attributes required");
    WDF_OBJECT_ATTRIBUTES_INIT(&o);
    cr_assert_eq(WdfObjectAllocateContext(h, &o, &p), STATUS_OBJECT_NAME_INVALID, "no type");
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&o, OTHER_CONTEXT);
    o.ParentObject = h;
    cr_assert_eq(WdfObjectAllocateContext(h, &o, &p), STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED);
    cr_assert_eq(p, BAD, "*Context untouched on failure");
    cr_assert_eq(WdfObjectAllocateContext(BAD, &o, &p), STATUS_INVALID_HANDLE);
    WdfObjectDelete(h);
}

Test(wdf_object, device_context_through_the_lifecycle)
{
    pnpbox_enter(NULL);
    kd_start();
    PDEVICE_CONTEXT ctx = DeviceGetContext(kd_device);
    cr_assert_not_null(ctx);
    cr_assert_eq(ctx->Magic, 0x4b4d4446);
    cr_assert_eq(WdfObjectGetTypedContext(kd_device, DEVICE_CONTEXT), ctx);
    cr_assert_null(WdfObjectGet_DRIVER_CONTEXT(kd_device));
    cr_assert_not_null(WdfObjectGet_DRIVER_CONTEXT(kd_driver));
    UNICODE_STRING name;
    WdfStringGetUnicodeString(ctx->Name, &name);
    cr_assert_str_eq(t_u8((const uint16_t *)name.Buffer, name.Length / 2), "kmdftest device");
}

/* ---- deletion order and references ---- */

Test(wdf_object, delete_order_children_first)
{
    order[0] = 0;
    WDFCOLLECTION a = collection(NULL, CleanA, DestroyA);
    WDFCOLLECTION b = collection(a, CleanB, DestroyB);
    WDFCOLLECTION c = collection(b, CleanC, DestroyC);
    (void)c;
    WdfObjectDelete(a);
    cr_assert_str_eq(order, "cleanC cleanB cleanA destroyC destroyB destroyA");
    /* Deleted handles are invalid. */
    cr_assert_eq(WdfCollectionGetCount(b), 0);
    cr_assert(kd_log_has("is not a valid WDFCOLLECTION handle"));
}

Test(wdf_object, reference_keeps_memory_after_delete)
{
    order[0] = 0;
    WDF_OBJECT_ATTRIBUTES at;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&at, OTHER_CONTEXT);
    at.EvtCleanupCallback = CleanA;
    at.EvtDestroyCallback = DestroyA;
    WDFCOLLECTION a;
    cr_assert_eq(WdfCollectionCreate(&at, &a), STATUS_SUCCESS);
    GetOther(a)->q = 99;
    WdfObjectReference(a);
    WdfObjectDelete(a);
    cr_assert_str_eq(order, "cleanA", "cleanup at delete, destroy waits for the reference");
    cr_assert_eq(GetOther(a)->q, 99, "the context stays valid");
    cr_assert_eq(WdfCollectionGetCount(a), 0, "methods on a deleted object are refused");
    cr_assert(kd_log_has("was deleted (its EvtCleanupCallback has run)"));
    WdfObjectDereference(a);
    cr_assert_str_eq(order, "cleanA destroyA");
}

Test(wdf_object, dereference_without_reference_is_a_bug_check)
{
    WDFCOLLECTION a = collection(NULL, NULL, NULL);
    WdfObjectDereference(a);
    cr_assert(kd_log_has("dereferenced more often than it was referenced"));
    cr_assert_eq(WdfCollectionGetCount(a), 0, "still alive");
    WdfObjectDelete(a);
}

Test(wdf_object, framework_owned_objects_cannot_be_deleted)
{
    WdfObjectDelete(kd_driver);
    cr_assert(kd_log_has("cannot be deleted by the driver"));
    cr_assert_not_null(WdfDriverWdmGetDriverObject(kd_driver), "still alive");
}

Test(wdf_object, driver_children_go_at_unload)
{
    order[0] = 0;
    WDFCOLLECTION a = collection(NULL, CleanA, DestroyA);
    (void)a;
    pnpbox_enter(NULL);
    kd_trace_clear();
    int32_t st;
    cr_assert_eq(pnpbox_driver_unload(kd_m, KD_SERVICE, &st), 0);
    cr_assert_str_eq(order, "cleanA destroyA");
    cr_assert_str_eq(kd_trace_str(), "EvtDriverUnload:self@" KD_SERVICE " DriverCleanup:self@" KD_SERVICE
                                     " DriverDestroy@" KD_SERVICE);
}

Test(wdf_object, referenced_object_outlives_its_driver)
{
    order[0] = 0;
    WDF_OBJECT_ATTRIBUTES at;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&at, OTHER_CONTEXT);
    at.EvtDestroyCallback = DestroyA;
    WDFCOLLECTION a;
    cr_assert_eq(WdfCollectionCreate(&at, &a), STATUS_SUCCESS);
    WdfObjectReference(a);
    pnpbox_enter(NULL);
    int32_t st;
    cr_assert_eq(pnpbox_driver_unload(kd_m, KD_SERVICE, &st), 0);
    cr_assert_str_eq(order, "", "not destroyed while referenced");
    GetOther(a)->q = 1;
    WdfObjectDereference(a);
    cr_assert_str_eq(order, "destroyA", "the destroy callback runs at the last reference");
}

Test(wdf_object, referenced_object_freed_with_the_machine)
{
    WDFCOLLECTION a = collection(NULL, NULL, NULL);
    WdfObjectReference(a);
    WdfObjectDelete(a);
    /* The teardown frees the machine with the reference still held (LeakSanitizer checks). */
}

/* ---- invalid handles never crash ---- */

Test(wdf_object, invalid_handles_are_logged_bug_checks)
{
    char junk[64];
    memset(junk, 0x41, sizeof junk);
    void *bad[] = {NULL, BAD, junk, (void *)(uintptr_t)8};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_null(WdfObjectGetTypedContextWorker(bad[i], WDF_GET_CONTEXT_TYPE_INFO(BIG_CONTEXT)));
        WdfObjectDelete(bad[i]);
        WdfObjectReference(bad[i]);
        WdfObjectDereference(bad[i]);
        cr_assert_eq(WdfCollectionGetCount(bad[i]), 0);
        cr_assert_null(WdfCollectionGetItem(bad[i], 0));
        cr_assert_eq(WdfCollectionAdd(bad[i], kd_driver), STATUS_INVALID_HANDLE);
        UNICODE_STRING u = {0xdead, 0xbeef, BAD};
        WdfStringGetUnicodeString(bad[i], &u);
        cr_assert_eq(u.Length, 0xdead, "untouched");
        cr_assert_null(WdfDriverWdmGetDriverObject(bad[i]));
        cr_assert_null(WdfDeviceWdmGetDeviceObject(bad[i]));
        cr_assert_null(WdfRegistryWdmGetHandle(bad[i]));
        WdfRegistryClose(bad[i]);
        cr_assert_eq(WdfRegistryRemoveKey(bad[i]), STATUS_INVALID_HANDLE);
        DECLARE_CONST_UNICODE_STRING(v, L"v");
        ULONG x = 0xdeadbeef;
        cr_assert_eq(WdfRegistryQueryULong(bad[i], &v, &x), STATUS_INVALID_HANDLE);
        cr_assert_eq(x, 0xdeadbeef);
        WDFKEY k = BAD;
        cr_assert_eq(WdfDriverOpenPersistentStateRegistryKey(bad[i], KEY_READ, NULL, &k), STATUS_INVALID_HANDLE);
        cr_assert_eq(k, BAD);
        cr_assert_eq(WdfDeviceCreateDeviceInterface(bad[i], &KD_IFACE, NULL), STATUS_INVALID_HANDLE);
        WDFDEVICE dev = BAD;
        PWDFDEVICE_INIT init = bad[i];
        cr_assert(WdfDeviceCreate(&init, NULL, &dev) == STATUS_INVALID_PARAMETER ||
                  WdfDeviceCreate(&init, NULL, &dev) == STATUS_INVALID_HANDLE);
        WdfDeviceInitSetPnpPowerEventCallbacks(bad[i], NULL);
    }
    /* A handle of the wrong type. */
    WDFCOLLECTION c = collection(NULL, NULL, NULL);
    cr_assert_null(WdfDriverWdmGetDriverObject((WDFDRIVER)c));
    cr_assert(kd_log_has("is a WDFCOLLECTION where a WDFDRIVER is required"));
    WDFKEY k = BAD;
    cr_assert_eq(WdfDriverOpenParametersRegistryKey((WDFDRIVER)c, KEY_READ, NULL, &k), STATUS_INVALID_HANDLE);
    WdfObjectDelete(c);
}

/* ---- strings ---- */

Test(wdf_object, strings)
{
    WDFSTRING s = BAD;
    cr_assert_eq(WdfStringCreate(NULL, WDF_NO_OBJECT_ATTRIBUTES, &s), STATUS_SUCCESS);
    UNICODE_STRING u = {0xdead, 0xbeef, BAD};
    WdfStringGetUnicodeString(s, &u);
    cr_assert_eq(u.Length, 0);
    cr_assert_eq(u.MaximumLength, 0);
    cr_assert_null(u.Buffer, "created empty: no buffer");
    WdfObjectDelete(s);

    UNICODE_STRING src = {6, 20, (PWCH)L"abcdefghij"};
    cr_assert_eq(WdfStringCreate(&src, NULL, &s), STATUS_SUCCESS);
    WdfStringGetUnicodeString(s, &u);
    cr_assert_eq(u.Length, 6);
    cr_assert_eq(u.MaximumLength, 8, "Length plus a NUL");
    cr_assert_neq(u.Buffer, src.Buffer, "a copy");
    cr_assert_eq(memcmp(u.Buffer, L"abc", 8), 0, "NUL-terminated");
    WdfObjectDelete(s);

    UNICODE_STRING empty = {0, 0, NULL};
    cr_assert_eq(WdfStringCreate(&empty, NULL, &s), STATUS_SUCCESS);
    WdfStringGetUnicodeString(s, &u);
    cr_assert_eq(u.Length, 0);
    cr_assert_eq(u.MaximumLength, 2);
    cr_assert_not_null(u.Buffer);
    cr_assert_eq(u.Buffer[0], 0);
    WdfObjectDelete(s);

    /* KMDF's string checks. */
    UNICODE_STRING bad1 = {3, 8, (PWCH)L"abcd"}, bad2 = {2, 7, (PWCH)L"abcd"}, bad3 = {0, 4, NULL},
                   bad4 = {8, 4, (PWCH)L"abcd"};
    s = BAD;
    cr_assert_eq(WdfStringCreate(&bad1, NULL, &s), STATUS_INVALID_PARAMETER);
    cr_assert_null(s);
    cr_assert_eq(WdfStringCreate(&bad2, NULL, &s), STATUS_INVALID_PARAMETER);
    cr_assert_eq(WdfStringCreate(&bad3, NULL, &s), STATUS_INVALID_PARAMETER);
    cr_assert_eq(WdfStringCreate(&bad4, NULL, &s), STATUS_INVALID_PARAMETER);
    cr_assert_eq(WdfStringCreate(&src, NULL, NULL), STATUS_INVALID_PARAMETER, "NULL String: bug check");

    /* The longest string a UNICODE_STRING can describe does not fit with its NUL. */
    static WCHAR big[0x7FFF];
    UNICODE_STRING huge = {0xFFFE, 0xFFFE, big};
    cr_assert_eq(WdfStringCreate(&huge, NULL, &s), STATUS_INTEGER_OVERFLOW);
    huge.Length = huge.MaximumLength = 0xFFFC;
    cr_assert_eq(WdfStringCreate(&huge, NULL, &s), STATUS_SUCCESS);
    WdfStringGetUnicodeString(s, &u);
    cr_assert_eq(u.Length, 0xFFFC);
    cr_assert_eq(u.MaximumLength, 0xFFFE);
    WdfObjectDelete(s);
}

Test(wdf_object, string_as_harness_without_driver)
{
    pnpbox_enter(NULL);
    WDFSTRING s = BAD;
    cr_assert_eq(WdfStringCreate(NULL, NULL, &s), STATUS_INVALID_DEVICE_STATE);
    cr_assert_eq(s, BAD);
    cr_assert(kd_log_has("which has no WDFDRIVER"));
}

/* ---- collections ---- */

Test(wdf_object, collections)
{
    order[0] = 0;
    WDFCOLLECTION c = collection(NULL, NULL, NULL);
    cr_assert_eq(WdfCollectionGetCount(c), 0);
    cr_assert_null(WdfCollectionGetFirstItem(c));
    cr_assert_null(WdfCollectionGetLastItem(c));
    cr_assert_null(WdfCollectionGetItem(c, 0));
    WDFCOLLECTION items[20];
    for (int i = 0; i < 20; i++) {
        items[i] = collection(NULL, i == 3 ? CleanA : NULL, i == 3 ? DestroyA : NULL);
        cr_assert_eq(WdfCollectionAdd(c, items[i]), STATUS_SUCCESS);
    }
    cr_assert_eq(WdfCollectionGetCount(c), 20);
    cr_assert_eq(WdfCollectionGetFirstItem(c), items[0]);
    cr_assert_eq(WdfCollectionGetLastItem(c), items[19]);
    cr_assert_eq(WdfCollectionGetItem(c, 7), items[7]);
    cr_assert_null(WdfCollectionGetItem(c, 20));
    WdfCollectionRemoveItem(c, 0);
    cr_assert_eq(WdfCollectionGetItem(c, 0), items[1], "item i+1 becomes item i");
    WdfCollectionRemove(c, items[10]);
    cr_assert_eq(WdfCollectionGetCount(c), 18);
    cr_assert_eq(WdfCollectionGetItem(c, 9), items[11]);
    /* Errors KMDF bug-checks on change nothing. */
    WdfCollectionRemoveItem(c, 18);
    cr_assert(kd_log_has("past the end of collection"));
    WdfCollectionRemove(c, items[10]);
    cr_assert(kd_log_has("is not in collection"));
    cr_assert_eq(WdfCollectionGetCount(c), 18);
    /* Items in a collection outlive their deletion until removed (the collection's reference). */
    WdfObjectDelete(items[3]);
    cr_assert_str_eq(order, "cleanA");
    cr_assert_eq(WdfCollectionGetItem(c, 2), items[3]);
    WdfCollectionRemove(c, items[3]);
    cr_assert_str_eq(order, "cleanA destroyA");
    /* Removing or deleting the collection releases items, it does not delete them. */
    WdfCollectionRemove(c, items[4]);
    cr_assert_eq(WdfCollectionGetCount(items[4]), 0, "still a live object");
    WdfObjectDelete(c);
    cr_assert_eq(WdfCollectionAdd(items[5], items[6]), STATUS_SUCCESS, "items survive the collection");
    cr_assert_eq(WdfCollectionAdd(items[5], NULL), STATUS_INVALID_HANDLE);
}

Test(wdf_object, collection_add_fault)
{
    WDFCOLLECTION c = collection(NULL, NULL, NULL);
    cr_assert_eq(pnpbox_fault_add(kd_m, "WdfCollectionAdd", 1, STATUS_INSUFFICIENT_RESOURCES), 0);
    cr_assert_eq(WdfCollectionAdd(c, kd_driver), STATUS_INSUFFICIENT_RESOURCES);
    cr_assert_eq(WdfCollectionGetCount(c), 0);
    cr_assert_eq(WdfCollectionAdd(c, kd_driver), STATUS_SUCCESS);
    cr_assert_eq(WdfCollectionGetCount(c), 1);
}
