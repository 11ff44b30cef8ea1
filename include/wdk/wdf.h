/*
 * wdf.h: the Kernel-Mode Driver Framework (KMDF) subset pnpbox implements,
 * so that a KMDF driver written for the WDK compiles unchanged
 * (`#include <ntddk.h>` then `#include <wdf.h>`, with
 * `pkg-config --cflags --libs pnpbox`) and runs on the emulated machine.
 *
 * What is here: the framework's object model (WDF_OBJECT_ATTRIBUTES, typed
 * context areas, cleanup and destroy callbacks, parents, references), the
 * driver object (WdfDriverCreate, EvtDriverDeviceAdd, EvtDriverUnload), the
 * device object of a function or filter driver (WDFDEVICE_INIT, the PnP and
 * power callbacks, WdfDeviceCreate, device interfaces), the isolation
 * registry keys (WdfDriverOpenParametersRegistryKey,
 * WdfDriverOpenPersistentStateRegistryKey, WdfDeviceOpenRegistryKey,
 * WdfFdoInitOpenRegistryKey), the WdfRegistry* family, WDFSTRING and
 * WDFCOLLECTION.  Queues, requests, I/O targets, timers and the rest of
 * KMDF are absent: a driver that uses them fails to compile or link with
 * the missing name, never runs against a silent stub.
 *
 * The WDK reaches the framework through a function table
 * (WdfFunctions[...] with WdfDriverGlobals); pnpbox declares the methods as
 * plain functions with the documented parameter lists, which driver source
 * calls the same way.  Handles (WDFDRIVER, WDFDEVICE, WDFKEY ...) are
 * pointers to framework objects pnpbox owns; every call checks the handle
 * and its type.  Where KMDF bug-checks (an invalid handle, a NULL required
 * pointer), pnpbox writes the bug check to the machine's log and returns
 * STATUS_INVALID_HANDLE / STATUS_INVALID_PARAMETER (NULL / 0 from methods
 * that return no status) instead of crashing.
 *
 * docs/kmdf.md describes the framework's behaviour on pnpbox's PnP manager
 * and every choice made where the documentation is silent.
 */
#ifndef PNPBOX_WDF_H
#define PNPBOX_WDF_H

#include "wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef FORCEINLINE
#define FORCEINLINE static inline __attribute__((always_inline))
#endif
#ifndef UNREFERENCED_PARAMETER
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#endif
#define WDF_EXTERN_C
#define WDFAPI

/* ======================================================================== handles */

typedef HANDLE WDFOBJECT, *PWDFOBJECT;
#define WDF_DECLARE_HANDLE_(name)                                                                  \
    struct name##__ {                                                                              \
        int unused;                                                                                \
    };                                                                                             \
    typedef struct name##__ *name
WDF_DECLARE_HANDLE_(WDFDRIVER);
WDF_DECLARE_HANDLE_(WDFDEVICE);
WDF_DECLARE_HANDLE_(WDFKEY);
WDF_DECLARE_HANDLE_(WDFSTRING);
WDF_DECLARE_HANDLE_(WDFCOLLECTION);
WDF_DECLARE_HANDLE_(WDFCMRESLIST);
#undef WDF_DECLARE_HANDLE_

/* The device initialization structure EvtDriverDeviceAdd receives (opaque). */
typedef struct WDFDEVICE_INIT WDFDEVICE_INIT, *PWDFDEVICE_INIT;

#define WDF_NO_HANDLE NULL
#define WDF_NO_OBJECT_ATTRIBUTES NULL
#define WDF_NO_EVENT_CALLBACK NULL
#define WDF_NO_CONTEXT NULL

typedef enum _WDF_TRI_STATE { WdfFalse = FALSE, WdfTrue = TRUE, WdfUseDefault = 2 } WDF_TRI_STATE, *PWDF_TRI_STATE;

/* ======================================================================== objects (wdfobject.h) */

typedef enum _WDF_EXECUTION_LEVEL {
    WdfExecutionLevelInvalid = 0x00,
    WdfExecutionLevelInheritFromParent,
    WdfExecutionLevelPassive,
    WdfExecutionLevelDispatch
} WDF_EXECUTION_LEVEL;

typedef enum _WDF_SYNCHRONIZATION_SCOPE {
    WdfSynchronizationScopeInvalid = 0x00,
    WdfSynchronizationScopeInheritFromParent,
    WdfSynchronizationScopeDevice,
    WdfSynchronizationScopeQueue,
    WdfSynchronizationScopeNone
} WDF_SYNCHRONIZATION_SCOPE;

typedef void EVT_WDF_OBJECT_CONTEXT_CLEANUP(_In_ WDFOBJECT Object);
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP *PFN_WDF_OBJECT_CONTEXT_CLEANUP;
typedef void EVT_WDF_OBJECT_CONTEXT_DESTROY(_In_ WDFOBJECT Object);
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY *PFN_WDF_OBJECT_CONTEXT_DESTROY;
/* Object-specific role types (wdfroletypes.h). */
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP EVT_WDF_DEVICE_CONTEXT_CLEANUP;
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY EVT_WDF_DEVICE_CONTEXT_DESTROY;
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP EVT_WDF_DRIVER_CONTEXT_CLEANUP;
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY EVT_WDF_DRIVER_CONTEXT_DESTROY;

typedef const struct _WDF_OBJECT_CONTEXT_TYPE_INFO *PCWDF_OBJECT_CONTEXT_TYPE_INFO;
typedef PCWDF_OBJECT_CONTEXT_TYPE_INFO(__cdecl *PFN_GET_UNIQUE_CONTEXT_TYPE)(void);

/* Describes a context type; one static instance per type (WDF_DECLARE_CONTEXT_TYPE*). */
typedef struct _WDF_OBJECT_CONTEXT_TYPE_INFO {
    ULONG Size;                          /* sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO) */
    LPCSTR ContextName;                  /* the type's name, as a string */
    size_t ContextSize;                  /* sizeof the type */
    PCWDF_OBJECT_CONTEXT_TYPE_INFO UniqueType; /* the instance that identifies the type */
    PFN_GET_UNIQUE_CONTEXT_TYPE EvtDriverGetUniqueContextType;
} WDF_OBJECT_CONTEXT_TYPE_INFO, *PWDF_OBJECT_CONTEXT_TYPE_INFO;

typedef struct _WDF_OBJECT_ATTRIBUTES {
    ULONG Size;
    PFN_WDF_OBJECT_CONTEXT_CLEANUP EvtCleanupCallback;
    PFN_WDF_OBJECT_CONTEXT_DESTROY EvtDestroyCallback;
    WDF_EXECUTION_LEVEL ExecutionLevel;
    WDF_SYNCHRONIZATION_SCOPE SynchronizationScope;
    WDFOBJECT ParentObject;
    size_t ContextSizeOverride;
    PCWDF_OBJECT_CONTEXT_TYPE_INFO ContextTypeInfo;
} WDF_OBJECT_ATTRIBUTES, *PWDF_OBJECT_ATTRIBUTES;

FORCEINLINE VOID WDF_OBJECT_ATTRIBUTES_INIT(_Out_ PWDF_OBJECT_ATTRIBUTES Attributes)
{
    memset(Attributes, 0, sizeof(WDF_OBJECT_ATTRIBUTES));
    Attributes->Size = sizeof(WDF_OBJECT_ATTRIBUTES);
    Attributes->ExecutionLevel = WdfExecutionLevelInheritFromParent;
    Attributes->SynchronizationScope = WdfSynchronizationScopeInheritFromParent;
}

#define WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype) _WDF_##_contexttype##_TYPE_INFO
#define WDF_TYPE_NAME_POINTER_TYPE(_contexttype) WDF_POINTER_TYPE_##_contexttype
#define WDF_GET_CONTEXT_TYPE_INFO(_contexttype) (&WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype))

#define WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE(_attributes, _contexttype)                          \
    (_attributes)->ContextTypeInfo = WDF_GET_CONTEXT_TYPE_INFO(_contexttype)->UniqueType

#define WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(_attributes, _contexttype)                         \
    WDF_OBJECT_ATTRIBUTES_INIT(_attributes);                                                       \
    WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE(_attributes, _contexttype)

/*
 * The context area of the given type on an object, or NULL when the
 * object has none of that type (an invalid handle is a logged bug check
 * and NULL).  The area is zeroed when allocated and lives as long as the
 * object's memory (until its EvtDestroyCallback has run).
 */
PVOID WdfObjectGetTypedContextWorker(_In_ WDFOBJECT Handle, _In_ PCWDF_OBJECT_CONTEXT_TYPE_INFO TypeInfo);

#define WdfObjectGetTypedContext(handle, type)                                                     \
    ((WDF_TYPE_NAME_POINTER_TYPE(type))WdfObjectGetTypedContextWorker(                             \
        (WDFOBJECT)(handle), WDF_GET_CONTEXT_TYPE_INFO(type)->UniqueType))

/*
 * One definition per context type: the type information (a weak,
 * module-local object, so the macro may sit in a header included by several
 * files, as __declspec(selectany) allows on Windows) and the casting
 * function.
 */
#define WDF_DECLARE_TYPE_AND_GLOBALS_(_contexttype, _UniqueType, _GetUniqueType)                   \
    typedef _contexttype *WDF_TYPE_NAME_POINTER_TYPE(_contexttype);                                \
    __attribute__((weak, visibility("hidden"))) extern const WDF_OBJECT_CONTEXT_TYPE_INFO          \
        WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype);                                                  \
    __attribute__((weak, visibility("hidden"))) const WDF_OBJECT_CONTEXT_TYPE_INFO                 \
        WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype) = {sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO),          \
                                                    #_contexttype, sizeof(_contexttype),           \
                                                    _UniqueType, _GetUniqueType}

#define WDF_DECLARE_CASTING_FUNCTION(_contexttype, _castingfunction)                               \
    static inline __attribute__((unused)) WDF_TYPE_NAME_POINTER_TYPE(_contexttype)                 \
        _castingfunction(_In_ WDFOBJECT Handle)                                                    \
    {                                                                                              \
        return (WDF_TYPE_NAME_POINTER_TYPE(_contexttype))WdfObjectGetTypedContextWorker(           \
            Handle, WDF_GET_CONTEXT_TYPE_INFO(_contexttype)->UniqueType);                          \
    }

#define WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(_contexttype, _castingfunction)                         \
    WDF_DECLARE_TYPE_AND_GLOBALS_(_contexttype, WDF_GET_CONTEXT_TYPE_INFO(_contexttype), NULL);    \
    WDF_DECLARE_CASTING_FUNCTION(_contexttype, _castingfunction)

#define WDF_DECLARE_CONTEXT_TYPE(_contexttype)                                                     \
    WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(_contexttype, WdfObjectGet_##_contexttype)

/*
 * Add a context area of another type to an existing object.
 * ContextAttributes is required (STATUS_WDF_PARENT_NOT_SPECIFIED, KMDF's
 * status for missing attributes), takes no ParentObject and must carry a
 * ContextTypeInfo (STATUS_OBJECT_NAME_INVALID); a second area of the same
 * type is STATUS_OBJECT_NAME_EXISTS with *Context set to the existing one.
 * The cleanup / destroy callbacks in ContextAttributes run after the
 * object's own.
 */
NTSTATUS WdfObjectAllocateContext(_In_ WDFOBJECT Handle, _In_ PWDF_OBJECT_ATTRIBUTES ContextAttributes,
                                  _Outptr_opt_ PVOID *Context);

/*
 * Delete an object: its children are deleted first (child EvtCleanupCallbacks
 * before the parent's), then each object whose reference count reaches zero
 * gets its EvtDestroyCallback and is freed (children before parents).
 * WDFDRIVER and the WDFDEVICE of a PnP device cannot be deleted by the
 * driver (a logged bug check; nothing happens).
 */
VOID WdfObjectDelete(_In_ WDFOBJECT Object);

/* References keep an object's memory (and context) after deletion until released. */
VOID WdfObjectReferenceActual(_In_ WDFOBJECT Handle, _In_opt_ PVOID Tag, _In_ LONG Line, _In_z_ PCHAR File);
VOID WdfObjectDereferenceActual(_In_ WDFOBJECT Handle, _In_opt_ PVOID Tag, _In_ LONG Line, _In_z_ PCHAR File);
#define WdfObjectReference(Handle) WdfObjectReferenceActual(Handle, NULL, __LINE__, (PCHAR) __FILE__)
#define WdfObjectReferenceWithTag(Handle, Tag) WdfObjectReferenceActual(Handle, Tag, __LINE__, (PCHAR) __FILE__)
#define WdfObjectDereference(Handle) WdfObjectDereferenceActual(Handle, NULL, __LINE__, (PCHAR) __FILE__)
#define WdfObjectDereferenceWithTag(Handle, Tag)                                                   \
    WdfObjectDereferenceActual(Handle, Tag, __LINE__, (PCHAR) __FILE__)

/* ======================================================================== the driver (wdfdriver.h) */

typedef enum _WDF_DRIVER_INIT_FLAGS {
    WdfDriverInitNonPnpDriver = 0x00000001,
    WdfDriverInitNoDispatchOverride = 0x00000002,
    WdfVerifyOn = 0x00000004,
    WdfVerifierOn = 0x00000008,
    WdfDriverInitCompanion = 0x00000010,
} WDF_DRIVER_INIT_FLAGS;

typedef NTSTATUS EVT_WDF_DRIVER_DEVICE_ADD(_In_ WDFDRIVER Driver, _Inout_ PWDFDEVICE_INIT DeviceInit);
typedef EVT_WDF_DRIVER_DEVICE_ADD *PFN_WDF_DRIVER_DEVICE_ADD;
typedef VOID EVT_WDF_DRIVER_UNLOAD(_In_ WDFDRIVER Driver);
typedef EVT_WDF_DRIVER_UNLOAD *PFN_WDF_DRIVER_UNLOAD;

typedef struct _WDF_DRIVER_CONFIG {
    ULONG Size;
    PFN_WDF_DRIVER_DEVICE_ADD EvtDriverDeviceAdd;
    PFN_WDF_DRIVER_UNLOAD EvtDriverUnload;
    ULONG DriverInitFlags;   /* WDF_DRIVER_INIT_FLAGS */
    ULONG DriverPoolTag;
} WDF_DRIVER_CONFIG, *PWDF_DRIVER_CONFIG;

FORCEINLINE VOID WDF_DRIVER_CONFIG_INIT(_Out_ PWDF_DRIVER_CONFIG Config,
                                        _In_opt_ PFN_WDF_DRIVER_DEVICE_ADD EvtDriverDeviceAdd)
{
    memset(Config, 0, sizeof(WDF_DRIVER_CONFIG));
    Config->Size = sizeof(WDF_DRIVER_CONFIG);
    Config->EvtDriverDeviceAdd = EvtDriverDeviceAdd;
}

/*
 * Create the framework driver object (once, from DriverEntry).  Unless
 * WdfDriverInitNoDispatchOverride is set, the framework takes the WDM
 * driver object over: every MajorFunction, DriverExtension->AddDevice (PnP
 * drivers; NULL for WdfDriverInitNonPnpDriver) and DriverUnload (PnP
 * drivers always; non-PnP drivers only with EvtDriverUnload).
 * STATUS_DRIVER_INTERNAL_ERROR on a second call, STATUS_INVALID_PARAMETER
 * for a non-PnP driver with EvtDriverDeviceAdd, STATUS_INFO_LENGTH_MISMATCH
 * for a DriverConfig->Size the framework does not know, and the
 * WDF_OBJECT_ATTRIBUTES errors (ParentObject must be NULL).
 */
NTSTATUS WdfDriverCreate(_In_ PDRIVER_OBJECT DriverObject, _In_ PCUNICODE_STRING RegistryPath,
                         _In_opt_ PWDF_OBJECT_ATTRIBUTES DriverAttributes, _In_ PWDF_DRIVER_CONFIG DriverConfig,
                         _Out_opt_ WDFDRIVER *Driver);

PDRIVER_OBJECT WdfDriverWdmGetDriverObject(_In_ WDFDRIVER Driver);
WDFDRIVER WdfWdmDriverGetWdfDriverHandle(_In_ PDRIVER_OBJECT DriverObject);
/* The registry path DriverEntry received, NUL-terminated, owned by the driver object. */
PWSTR WdfDriverGetRegistryPath(_In_ WDFDRIVER Driver);
/* The calling driver's WDFDRIVER (NULL before WdfDriverCreate). */
WDFDRIVER WdfGetDriver(VOID);

/*
 * The driver's Parameters key (reference §1.6).  Read-only access goes
 * through the isolation API (IoOpenDriverRegistryKey DriverRegKeyParameters
 * semantics: STATUS_OBJECT_NAME_NOT_FOUND when the key is missing).  Any
 * write bit takes KMDF's legacy path: Services\<svc>\Parameters is opened
 * or created with that access, a warning naming the isolation alternative
 * is logged, and writes through the key are REG-IMMUTABLE-WRITE.
 */
NTSTATUS WdfDriverOpenParametersRegistryKey(_In_ WDFDRIVER Driver, _In_ ACCESS_MASK DesiredAccess,
                                            _In_opt_ PWDF_OBJECT_ATTRIBUTES KeyAttributes, _Out_ WDFKEY *Key);
/* The driver's PersistentState key (Services\<svc>\State, created if missing; reference §1.5, §1.6). */
NTSTATUS WdfDriverOpenPersistentStateRegistryKey(_In_ WDFDRIVER Driver, _In_ ACCESS_MASK DesiredAccess,
                                                 _In_opt_ PWDF_OBJECT_ATTRIBUTES KeyAttributes,
                                                 _Out_ WDFKEY *Key);
/*
 * The Win32 path of the driver's Data directory, C:\Windows\ServiceState\<svc>\Data
 * (the directory IoGetDriverDirectory(DriverDirectoryData) opens), created
 * if missing.  Documented for UMDF 2.27; pnpbox answers it for KMDF drivers
 * too (the string form is UNCONFIRMED, reference §1.10).
 */
NTSTATUS WdfDriverRetrieveDriverDataDirectoryString(_In_ WDFDRIVER Driver, _In_ WDFSTRING String);

/* ======================================================================== devices (wdfdevice.h, wdffdo.h) */

typedef enum _WDF_POWER_DEVICE_STATE {
    WdfPowerDeviceInvalid = 0,
    WdfPowerDeviceD0,
    WdfPowerDeviceD1,
    WdfPowerDeviceD2,
    WdfPowerDeviceD3,
    WdfPowerDeviceD3Final,
    WdfPowerDevicePrepareForHibernation,
    WdfPowerDeviceMaximum,
} WDF_POWER_DEVICE_STATE, *PWDF_POWER_DEVICE_STATE;

typedef enum _WDF_SPECIAL_FILE_TYPE {
    WdfSpecialFileUndefined = 0,
    WdfSpecialFilePaging = 1,
    WdfSpecialFileHibernation,
    WdfSpecialFileDump,
    WdfSpecialFileBoot,
    WdfSpecialFilePostDisplay,
    WdfSpecialFileGuestAssigned,
    WdfSpecialFileMax,
} WDF_SPECIAL_FILE_TYPE, *PWDF_SPECIAL_FILE_TYPE;

typedef NTSTATUS EVT_WDF_DEVICE_D0_ENTRY(_In_ WDFDEVICE Device, _In_ WDF_POWER_DEVICE_STATE PreviousState);
typedef EVT_WDF_DEVICE_D0_ENTRY *PFN_WDF_DEVICE_D0_ENTRY;
typedef NTSTATUS EVT_WDF_DEVICE_D0_ENTRY_POST_INTERRUPTS_ENABLED(_In_ WDFDEVICE Device,
                                                                 _In_ WDF_POWER_DEVICE_STATE PreviousState);
typedef EVT_WDF_DEVICE_D0_ENTRY_POST_INTERRUPTS_ENABLED *PFN_WDF_DEVICE_D0_ENTRY_POST_INTERRUPTS_ENABLED;
typedef NTSTATUS EVT_WDF_DEVICE_D0_EXIT(_In_ WDFDEVICE Device, _In_ WDF_POWER_DEVICE_STATE TargetState);
typedef EVT_WDF_DEVICE_D0_EXIT *PFN_WDF_DEVICE_D0_EXIT;
typedef NTSTATUS EVT_WDF_DEVICE_D0_EXIT_PRE_INTERRUPTS_DISABLED(_In_ WDFDEVICE Device,
                                                                _In_ WDF_POWER_DEVICE_STATE TargetState);
typedef EVT_WDF_DEVICE_D0_EXIT_PRE_INTERRUPTS_DISABLED *PFN_WDF_DEVICE_D0_EXIT_PRE_INTERRUPTS_DISABLED;
typedef NTSTATUS EVT_WDF_DEVICE_PREPARE_HARDWARE(_In_ WDFDEVICE Device, _In_ WDFCMRESLIST ResourcesRaw,
                                                 _In_ WDFCMRESLIST ResourcesTranslated);
typedef EVT_WDF_DEVICE_PREPARE_HARDWARE *PFN_WDF_DEVICE_PREPARE_HARDWARE;
typedef NTSTATUS EVT_WDF_DEVICE_RELEASE_HARDWARE(_In_ WDFDEVICE Device, _In_ WDFCMRESLIST ResourcesTranslated);
typedef EVT_WDF_DEVICE_RELEASE_HARDWARE *PFN_WDF_DEVICE_RELEASE_HARDWARE;
typedef VOID EVT_WDF_DEVICE_SELF_MANAGED_IO_CLEANUP(_In_ WDFDEVICE Device);
typedef EVT_WDF_DEVICE_SELF_MANAGED_IO_CLEANUP *PFN_WDF_DEVICE_SELF_MANAGED_IO_CLEANUP;
typedef VOID EVT_WDF_DEVICE_SELF_MANAGED_IO_FLUSH(_In_ WDFDEVICE Device);
typedef EVT_WDF_DEVICE_SELF_MANAGED_IO_FLUSH *PFN_WDF_DEVICE_SELF_MANAGED_IO_FLUSH;
typedef NTSTATUS EVT_WDF_DEVICE_SELF_MANAGED_IO_INIT(_In_ WDFDEVICE Device);
typedef EVT_WDF_DEVICE_SELF_MANAGED_IO_INIT *PFN_WDF_DEVICE_SELF_MANAGED_IO_INIT;
typedef NTSTATUS EVT_WDF_DEVICE_SELF_MANAGED_IO_SUSPEND(_In_ WDFDEVICE Device);
typedef EVT_WDF_DEVICE_SELF_MANAGED_IO_SUSPEND *PFN_WDF_DEVICE_SELF_MANAGED_IO_SUSPEND;
typedef NTSTATUS EVT_WDF_DEVICE_SELF_MANAGED_IO_RESTART(_In_ WDFDEVICE Device);
typedef EVT_WDF_DEVICE_SELF_MANAGED_IO_RESTART *PFN_WDF_DEVICE_SELF_MANAGED_IO_RESTART;
typedef VOID EVT_WDF_DEVICE_SURPRISE_REMOVAL(_In_ WDFDEVICE Device);
typedef EVT_WDF_DEVICE_SURPRISE_REMOVAL *PFN_WDF_DEVICE_SURPRISE_REMOVAL;
typedef NTSTATUS EVT_WDF_DEVICE_QUERY_REMOVE(_In_ WDFDEVICE Device);
typedef EVT_WDF_DEVICE_QUERY_REMOVE *PFN_WDF_DEVICE_QUERY_REMOVE;
typedef NTSTATUS EVT_WDF_DEVICE_QUERY_STOP(_In_ WDFDEVICE Device);
typedef EVT_WDF_DEVICE_QUERY_STOP *PFN_WDF_DEVICE_QUERY_STOP;
typedef VOID EVT_WDF_DEVICE_USAGE_NOTIFICATION(_In_ WDFDEVICE Device, _In_ WDF_SPECIAL_FILE_TYPE NotificationType,
                                               _In_ BOOLEAN IsInNotificationPath);
typedef EVT_WDF_DEVICE_USAGE_NOTIFICATION *PFN_WDF_DEVICE_USAGE_NOTIFICATION;
typedef VOID EVT_WDF_DEVICE_RELATIONS_QUERY(_In_ WDFDEVICE Device, _In_ DEVICE_RELATION_TYPE RelationType);
typedef EVT_WDF_DEVICE_RELATIONS_QUERY *PFN_WDF_DEVICE_RELATIONS_QUERY;
typedef NTSTATUS EVT_WDF_DEVICE_USAGE_NOTIFICATION_EX(_In_ WDFDEVICE Device,
                                                      _In_ WDF_SPECIAL_FILE_TYPE NotificationType,
                                                      _In_ BOOLEAN IsInNotificationPath);
typedef EVT_WDF_DEVICE_USAGE_NOTIFICATION_EX *PFN_WDF_DEVICE_USAGE_NOTIFICATION_EX;

/*
 * The PnP and power callbacks.  pnpbox's lifecycle calls, in order:
 * start: PrepareHardware, D0Entry(WdfPowerDeviceD3Final),
 *        D0EntryPostInterruptsEnabled, SelfManagedIoInit, then the device's
 *        interfaces are enabled;
 * query remove: QueryRemove (a failure vetoes the removal);
 * surprise removal: SurpriseRemoval first, then as on removal up to SelfManagedIoFlush;
 * removal: SelfManagedIoSuspend, D0ExitPreInterruptsDisabled,
 *        D0Exit(WdfPowerDeviceD3Final), ReleaseHardware, interfaces
 *        disabled, SelfManagedIoFlush, SelfManagedIoCleanup.
 * The remaining callbacks belong to events pnpbox never raises (stop,
 * rebalance, sleep, usage notifications, relations queries).
 */
typedef struct _WDF_PNPPOWER_EVENT_CALLBACKS {
    ULONG Size;
    PFN_WDF_DEVICE_D0_ENTRY EvtDeviceD0Entry;
    PFN_WDF_DEVICE_D0_ENTRY_POST_INTERRUPTS_ENABLED EvtDeviceD0EntryPostInterruptsEnabled;
    PFN_WDF_DEVICE_D0_EXIT EvtDeviceD0Exit;
    PFN_WDF_DEVICE_D0_EXIT_PRE_INTERRUPTS_DISABLED EvtDeviceD0ExitPreInterruptsDisabled;
    PFN_WDF_DEVICE_PREPARE_HARDWARE EvtDevicePrepareHardware;
    PFN_WDF_DEVICE_RELEASE_HARDWARE EvtDeviceReleaseHardware;
    PFN_WDF_DEVICE_SELF_MANAGED_IO_CLEANUP EvtDeviceSelfManagedIoCleanup;
    PFN_WDF_DEVICE_SELF_MANAGED_IO_FLUSH EvtDeviceSelfManagedIoFlush;
    PFN_WDF_DEVICE_SELF_MANAGED_IO_INIT EvtDeviceSelfManagedIoInit;
    PFN_WDF_DEVICE_SELF_MANAGED_IO_SUSPEND EvtDeviceSelfManagedIoSuspend;
    PFN_WDF_DEVICE_SELF_MANAGED_IO_RESTART EvtDeviceSelfManagedIoRestart;
    PFN_WDF_DEVICE_SURPRISE_REMOVAL EvtDeviceSurpriseRemoval;
    PFN_WDF_DEVICE_QUERY_REMOVE EvtDeviceQueryRemove;
    PFN_WDF_DEVICE_QUERY_STOP EvtDeviceQueryStop;
    PFN_WDF_DEVICE_USAGE_NOTIFICATION EvtDeviceUsageNotification;
    PFN_WDF_DEVICE_RELATIONS_QUERY EvtDeviceRelationsQuery;
    PFN_WDF_DEVICE_USAGE_NOTIFICATION_EX EvtDeviceUsageNotificationEx;
} WDF_PNPPOWER_EVENT_CALLBACKS, *PWDF_PNPPOWER_EVENT_CALLBACKS;

FORCEINLINE VOID WDF_PNPPOWER_EVENT_CALLBACKS_INIT(_Out_ PWDF_PNPPOWER_EVENT_CALLBACKS Callbacks)
{
    memset(Callbacks, 0, sizeof(WDF_PNPPOWER_EVENT_CALLBACKS));
    Callbacks->Size = sizeof(WDF_PNPPOWER_EVENT_CALLBACKS);
}

/* Copy the callbacks into DeviceInit (before WdfDeviceCreate); a Size other than the structure's is ignored
 * with a logged verifier error, as KMDF does. */
VOID WdfDeviceInitSetPnpPowerEventCallbacks(_In_ PWDFDEVICE_INIT DeviceInit,
                                            _In_ PWDF_PNPPOWER_EVENT_CALLBACKS PnpPowerEventCallbacks);
/* The device type and characteristics IoCreateDevice gets (default FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN). */
VOID WdfDeviceInitSetDeviceType(_In_ PWDFDEVICE_INIT DeviceInit, _In_ DEVICE_TYPE DeviceType);
VOID WdfDeviceInitSetCharacteristics(_In_ PWDFDEVICE_INIT DeviceInit, _In_ ULONG DeviceCharacteristics,
                                     _In_ BOOLEAN OrInValues);
/* The driver is a filter: requests it does not handle pass down the stack. */
VOID WdfFdoInitSetFilter(_In_ PWDFDEVICE_INIT DeviceInit);

/*
 * Open the device's hardware key (PLUGPLAY_REGKEY_DEVICE: Enum\<instance>\Device
 * Parameters, created if missing) or software key (PLUGPLAY_REGKEY_DRIVER:
 * Control\Class\{guid}\NNNN, STATUS_OBJECT_NAME_NOT_FOUND without one),
 * optionally |PLUGPLAY_REGKEY_CURRENT_HWPROFILE, as IoOpenDeviceRegistryKey
 * on the PDO does (reference §1.1, §1.2).  WdfFdoInitOpenRegistryKey works
 * only between EvtDriverDeviceAdd's start and WdfDeviceCreate.
 */
NTSTATUS WdfFdoInitOpenRegistryKey(_In_ PWDFDEVICE_INIT DeviceInit, _In_ ULONG DeviceInstanceKeyType,
                                   _In_ ACCESS_MASK DesiredAccess, _In_opt_ PWDF_OBJECT_ATTRIBUTES KeyAttributes,
                                   _Out_ WDFKEY *Key);
NTSTATUS WdfDeviceOpenRegistryKey(_In_ WDFDEVICE Device, _In_ ULONG DeviceInstanceKeyType,
                                  _In_ ACCESS_MASK DesiredAccess, _In_opt_ PWDF_OBJECT_ATTRIBUTES DeviceAttributes,
                                  _Out_ WDFKEY *Key);

/*
 * Create the framework device object: the WDM device object (IoCreateDevice)
 * attached to the PDO's stack.  On success *DeviceInit becomes NULL (the
 * framework owns the structure again).  DeviceAttributes->ParentObject must
 * be NULL (the parent is the driver).
 */
NTSTATUS WdfDeviceCreate(_Inout_ PWDFDEVICE_INIT *DeviceInit, _In_opt_ PWDF_OBJECT_ATTRIBUTES DeviceAttributes,
                         _Out_ WDFDEVICE *Device);

/*
 * Register a device interface (IoRegisterDeviceInterface on the PDO).  One
 * created before the device starts is enabled when it starts (arrival after
 * START completes) and disabled on removal; one created after the start
 * stays disabled until WdfDeviceSetDeviceInterfaceState.
 */
NTSTATUS WdfDeviceCreateDeviceInterface(_In_ WDFDEVICE Device, _In_ CONST GUID *InterfaceClassGUID,
                                        _In_opt_ PCUNICODE_STRING ReferenceString);
VOID WdfDeviceSetDeviceInterfaceState(_In_ WDFDEVICE Device, _In_ CONST GUID *InterfaceClassGUID,
                                      _In_opt_ PCUNICODE_STRING ReferenceString, _In_ BOOLEAN IsInterfaceEnabled);
/* The interface's symbolic link name (\??\...) into String; STATUS_OBJECT_NAME_NOT_FOUND if not created. */
NTSTATUS WdfDeviceRetrieveDeviceInterfaceString(_In_ WDFDEVICE Device, _In_ CONST GUID *InterfaceClassGUID,
                                                _In_opt_ PCUNICODE_STRING ReferenceString, _In_ WDFSTRING String);

/*
 * The Win32 path of the device's state directory,
 * C:\Windows\System32\DriverState\Devices\<dir>\Data (IoGetDeviceDirectory's
 * directory), created if missing.  Documented for UMDF 2.25; pnpbox answers
 * it for KMDF drivers too (string form UNCONFIRMED, reference §1.9).
 */
NTSTATUS WdfDeviceRetrieveDeviceDirectoryString(_In_ WDFDEVICE Device, _In_ WDFSTRING String);

WDFDRIVER WdfDeviceGetDriver(_In_ WDFDEVICE Device);
PDEVICE_OBJECT WdfDeviceWdmGetDeviceObject(_In_ WDFDEVICE Device);
PDEVICE_OBJECT WdfDeviceWdmGetAttachedDevice(_In_ WDFDEVICE Device);
PDEVICE_OBJECT WdfDeviceWdmGetPhysicalDevice(_In_ WDFDEVICE Device);
WDFDEVICE WdfWdmDeviceGetWdfDeviceHandle(_In_ PDEVICE_OBJECT DeviceObject);

/* ======================================================================== registry (wdfregistry.h) */

/* Open (or with WdfRegistryCreateKey, open or create) a key by name relative to ParentKey, or by absolute
 * \Registry\... name when ParentKey is NULL (recorded as absolute: REG-ABSOLUTE-PATH for drivers). */
NTSTATUS WdfRegistryOpenKey(_In_opt_ WDFKEY ParentKey, _In_ PCUNICODE_STRING KeyName,
                            _In_ ACCESS_MASK DesiredAccess, _In_opt_ PWDF_OBJECT_ATTRIBUTES KeyAttributes,
                            _Out_ WDFKEY *Key);
NTSTATUS WdfRegistryCreateKey(_In_opt_ WDFKEY ParentKey, _In_ PCUNICODE_STRING KeyName,
                              _In_ ACCESS_MASK DesiredAccess, _In_ ULONG CreateOptions,
                              _Out_opt_ PULONG CreateDisposition, _In_opt_ PWDF_OBJECT_ATTRIBUTES KeyAttributes,
                              _Out_ WDFKEY *Key);
/* Close the key and delete the WDFKEY. */
VOID WdfRegistryClose(_In_ WDFKEY Key);
/* The kernel key handle behind the WDFKEY (owned by it: never ZwClose it). */
HANDLE WdfRegistryWdmGetHandle(_In_ WDFKEY Key);
/* Delete the key from the registry; on success the WDFKEY is deleted too. */
NTSTATUS WdfRegistryRemoveKey(_In_ WDFKEY Key);
NTSTATUS WdfRegistryRemoveValue(_In_ WDFKEY Key, _In_ PCUNICODE_STRING ValueName);

/*
 * Copy a value's data into Value (ValueLength bytes).  *ValueLengthQueried
 * and *ValueType are set on success and on STATUS_BUFFER_OVERFLOW (Value too
 * small or NULL: only the size is reported); other failures leave them.
 */
NTSTATUS WdfRegistryQueryValue(_In_ WDFKEY Key, _In_ PCUNICODE_STRING ValueName, _In_ ULONG ValueLength,
                               _Out_writes_bytes_opt_(ValueLength) PVOID Value, _Out_opt_ PULONG ValueLengthQueried,
                               _Out_opt_ PULONG ValueType);
/* A REG_MULTI_SZ value as new WDFSTRINGs appended to Collection (StringsAttributes for each). */
NTSTATUS WdfRegistryQueryMultiString(_In_ WDFKEY Key, _In_ PCUNICODE_STRING ValueName,
                                     _In_opt_ PWDF_OBJECT_ATTRIBUTES StringsAttributes,
                                     _In_ WDFCOLLECTION Collection);
/*
 * A REG_SZ / REG_EXPAND_SZ value into Value (its MaximumLength is the
 * capacity; Length excludes a final NUL).  *ValueByteLength gets the data
 * size on success and on STATUS_BUFFER_OVERFLOW (Value too small or NULL).
 */
NTSTATUS WdfRegistryQueryUnicodeString(_In_ WDFKEY Key, _In_ PCUNICODE_STRING ValueName,
                                       _Out_opt_ PUSHORT ValueByteLength, _Inout_opt_ PUNICODE_STRING Value);
NTSTATUS WdfRegistryQueryString(_In_ WDFKEY Key, _In_ PCUNICODE_STRING ValueName, _In_ WDFSTRING String);
/* A REG_DWORD value; STATUS_OBJECT_TYPE_MISMATCH for any other type. */
NTSTATUS WdfRegistryQueryULong(_In_ WDFKEY Key, _In_ PCUNICODE_STRING ValueName, _Out_ PULONG Value);
NTSTATUS WdfRegistryAssignValue(_In_ WDFKEY Key, _In_ PCUNICODE_STRING ValueName, _In_ ULONG ValueType,
                                _In_ ULONG ValueLength, _In_reads_bytes_(ValueLength) PVOID Value);
NTSTATUS WdfRegistryAssignULong(_In_ WDFKEY Key, _In_ PCUNICODE_STRING ValueName, _In_ ULONG Value);
/* REG_SZ of Value's text plus a NUL. */
NTSTATUS WdfRegistryAssignUnicodeString(_In_ WDFKEY Key, _In_ PCUNICODE_STRING ValueName,
                                        _In_ PCUNICODE_STRING Value);
NTSTATUS WdfRegistryAssignString(_In_ WDFKEY Key, _In_ PCUNICODE_STRING ValueName, _In_ WDFSTRING String);
/* REG_MULTI_SZ of a collection holding only WDFSTRINGs (else STATUS_INVALID_PARAMETER). */
NTSTATUS WdfRegistryAssignMultiString(_In_ WDFKEY Key, _In_ PCUNICODE_STRING ValueName,
                                      _In_ WDFCOLLECTION StringsCollection);

/* ======================================================================== strings (wdfstring.h) */

/* A string object holding a copy of UnicodeString (or empty); its parent is the driver by default. */
NTSTATUS WdfStringCreate(_In_opt_ PCUNICODE_STRING UnicodeString, _In_opt_ PWDF_OBJECT_ATTRIBUTES StringAttributes,
                         _Out_ WDFSTRING *String);
/* Describe the string's buffer (owned by the object; valid until it changes or is deleted). */
VOID WdfStringGetUnicodeString(_In_ WDFSTRING String, _Out_ PUNICODE_STRING UnicodeString);

/* ======================================================================== collections (wdfcollection.h) */

NTSTATUS WdfCollectionCreate(_In_opt_ PWDF_OBJECT_ATTRIBUTES CollectionAttributes, _Out_ WDFCOLLECTION *Collection);
ULONG WdfCollectionGetCount(_In_ WDFCOLLECTION Collection);
/* Append Object (the collection takes a reference on it). */
NTSTATUS WdfCollectionAdd(_In_ WDFCOLLECTION Collection, _In_ WDFOBJECT Object);
/* Remove (and release) an item; items after it move down by one. */
VOID WdfCollectionRemove(_In_ WDFCOLLECTION Collection, _In_ WDFOBJECT Item);
VOID WdfCollectionRemoveItem(_In_ WDFCOLLECTION Collection, _In_ ULONG Index);
/* The item at Index (0 = the first added), or NULL past the end. */
WDFOBJECT WdfCollectionGetItem(_In_ WDFCOLLECTION Collection, _In_ ULONG Index);
WDFOBJECT WdfCollectionGetFirstItem(_In_ WDFCOLLECTION Collection);
WDFOBJECT WdfCollectionGetLastItem(_In_ WDFCOLLECTION Collection);

#ifdef __cplusplus
}
#endif

#endif
