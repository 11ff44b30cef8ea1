/*
 * pnpbox/k_sync.h: part of <wdm.h>: kernel events and waits (KEVENT,
 * KeInitializeEvent, KeSetEvent, KeWaitForSingleObject, ZwCreateEvent,
 * ZwWaitForSingleObject), system work items (WORK_QUEUE_ITEM,
 * ExInitializeWorkItem, ExQueueWorkItem) and ZwClose, the closer of every
 * kernel handle.  Layouts and values follow wdm.h of the WDK for Windows 11
 * 24H2 (10.0.26100), amd64.
 *
 * pnpbox runs driver code on the calling thread: a wait that cannot be
 * satisfied first lets queued work items run, then returns STATUS_TIMEOUT
 * (timed wait) or reports a deadlock (untimed wait); docs/kernel-registry.md
 * describes it.  Do not include directly; include <wdm.h>, <ntddk.h> or
 * <ntifs.h>.
 */
#ifndef PNPBOX_WDK_K_SYNC_H
#define PNPBOX_WDK_K_SYNC_H

#include "../ntdef.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef LONG KPRIORITY;

typedef enum _EVENT_TYPE {
    NotificationEvent,    /* stays signaled until reset (manual reset) */
    SynchronizationEvent, /* a satisfied wait resets it (auto reset) */
} EVENT_TYPE;

typedef enum _KWAIT_REASON {
    Executive,
    FreePage,
    PageIn,
    PoolAllocation,
    DelayExecution,
    Suspended,
    UserRequest,
    WrExecutive,
    WrFreePage,
    WrPageIn,
    WrPoolAllocation,
    WrDelayExecution,
    WrSuspended,
    WrUserRequest,
    WrSpare0,
    WrQueue,
    WrLpcReceive,
    WrLpcReply,
    WrVirtualMemory,
    WrPageOut,
    WrRendezvous,
    WrKeyedEvent,
    WrTerminated,
    WrProcessInSwap,
    WrCpuRateControl,
    WrCalloutStack,
    WrKernel,
    WrResource,
    WrPushLock,
    WrMutex,
    WrQuantumEnd,
    WrDispatchInt,
    WrPreempted,
    WrYieldExecution,
    WrFastMutex,
    WrGuardedMutex,
    WrRundown,
    WrAlertByThreadId,
    WrDeferredPreempt,
    WrPhysicalFault,
    WrIoRing,
    WrMdlCache,
    WrRcu,
    MaximumWaitReason
} KWAIT_REASON;

/* The dispatcher header every waitable kernel object starts with (24 bytes on amd64). */
typedef struct _DISPATCHER_HEADER {
    union {
        struct {
            UCHAR Type;      /* 0 = notification event, 1 = synchronization event */
            UCHAR Signalling;
            UCHAR Size;      /* in LONGs */
            UCHAR Reserved1;
        };
        volatile LONG Lock;
        LONG LockNV;
    };
    LONG SignalState;
    LIST_ENTRY WaitListHead;
} DISPATCHER_HEADER, *PDISPATCHER_HEADER;

typedef struct _KEVENT {
    DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

/* Event object access rights (ZwCreateEvent). */
#define EVENT_QUERY_STATE 0x0001
#define EVENT_MODIFY_STATE 0x0002
#define EVENT_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3)

NTKERNELAPI VOID NTAPI KeInitializeEvent(_Out_ PRKEVENT Event, _In_ EVENT_TYPE Type, _In_ BOOLEAN State);
/* Signal; returns the previous state.  Wait is accepted and has no effect. */
NTKERNELAPI LONG NTAPI KeSetEvent(_Inout_ PRKEVENT Event, _In_ KPRIORITY Increment, _In_ BOOLEAN Wait);
/* Reset to not signaled; returns the previous state. */
NTKERNELAPI LONG NTAPI KeResetEvent(_Inout_ PRKEVENT Event);
NTKERNELAPI VOID NTAPI KeClearEvent(_Inout_ PRKEVENT Event);
NTKERNELAPI LONG NTAPI KeReadStateEvent(_In_ PRKEVENT Event);
/*
 * Wait for a KEVENT.  STATUS_SUCCESS (STATUS_WAIT_0) when it is or becomes
 * signaled; STATUS_TIMEOUT when Timeout is given and it does not (no time
 * passes in the emulation); an untimed wait that nothing can satisfy
 * returns STATUS_POSSIBLE_DEADLOCK and logs the deadlock.
 */
NTKERNELAPI NTSTATUS NTAPI KeWaitForSingleObject(_In_ PVOID Object, _In_ KWAIT_REASON WaitReason,
                                                 _In_ KPROCESSOR_MODE WaitMode, _In_ BOOLEAN Alertable,
                                                 _In_opt_ PLARGE_INTEGER Timeout);

NTSYSAPI NTSTATUS NTAPI ZwCreateEvent(_Out_ PHANDLE EventHandle, _In_ ACCESS_MASK DesiredAccess,
                                      _In_opt_ POBJECT_ATTRIBUTES ObjectAttributes, _In_ EVENT_TYPE EventType,
                                      _In_ BOOLEAN InitialState);
NTSYSAPI NTSTATUS NTAPI ZwWaitForSingleObject(_In_ HANDLE Handle, _In_ BOOLEAN Alertable,
                                              _In_opt_ PLARGE_INTEGER Timeout);
/* Close any handle a Zw routine returned (keys, files, events ...). */
NTSYSAPI NTSTATUS NTAPI ZwClose(_In_ HANDLE Handle);

/* ---- system worker threads ---- */

typedef VOID WORKER_THREAD_ROUTINE(_In_ PVOID Parameter);
typedef WORKER_THREAD_ROUTINE *PWORKER_THREAD_ROUTINE;

typedef struct _WORK_QUEUE_ITEM {
    LIST_ENTRY List;
    PWORKER_THREAD_ROUTINE WorkerRoutine;
    volatile PVOID Parameter;
} WORK_QUEUE_ITEM, *PWORK_QUEUE_ITEM;

typedef enum _WORK_QUEUE_TYPE {
    CriticalWorkQueue,
    DelayedWorkQueue,
    HyperCriticalWorkQueue,
    NormalWorkQueue,
    BackgroundWorkQueue,
    RealTimeWorkQueue,
    SuperCriticalWorkQueue,
    MaximumWorkQueue,
    CustomPriorityWorkQueue = 32
} WORK_QUEUE_TYPE;

#define ExInitializeWorkItem(Item, Routine, Context)                                               \
    {                                                                                              \
        (Item)->WorkerRoutine = (Routine);                                                         \
        (Item)->Parameter = (Context);                                                             \
        (Item)->List.Flink = NULL;                                                                 \
    }

/*
 * Queue a work item.  It runs later, once, as the component that queued
 * it: when the emulated thread waits (KeWaitForSingleObject,
 * ZwWaitForSingleObject, a synchronous ZwNotifyChangeKey) on something not
 * yet signaled, or when pnpbox drains the queue after driver code returns.
 */
NTKERNELAPI VOID NTAPI ExQueueWorkItem(_Inout_ PWORK_QUEUE_ITEM WorkItem, _In_ WORK_QUEUE_TYPE QueueType);

#ifdef __cplusplus
}
#endif

#endif
