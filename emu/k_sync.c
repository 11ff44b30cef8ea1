/*
 * k_sync.c: kernel events, waits, system work items and ZwClose.
 *
 * pnpbox runs driver code on the calling thread, so there is no other
 * thread to signal an event while a driver waits.  A wait on an event that
 * is not signaled first lets the queued work items run (the system worker
 * threads of Windows), one at a time, until the event is signaled or the
 * queue is empty.  Then a timed wait returns STATUS_TIMEOUT at once (no
 * time passes), and an untimed wait, which would hang on Windows, is a
 * deadlock: it is logged as an error in the machine's log and returns
 * STATUS_POSSIBLE_DEADLOCK so that the test can fail instead of hanging.
 * A zero timeout only polls.
 *
 * Work items (ExQueueWorkItem, and those a registry notification queues)
 * run in FIFO order, once each, as the component that queued them, at
 * those waits or when emu_work_run_pending() drains the queue (the PnP
 * manager after driver code returns; tests).  Never inside ExQueueWorkItem
 * itself: the queuing code may hold its own locks, as on Windows.
 *
 * Event objects are shared by every handle to them and by the registry
 * notifications waiting to set them (reference counted).  Named events
 * live in \BaseNamedObjects, \KernelObjects or the root directory.
 */
#include <wdm.h>

#include "emu/emu.h"
#include "emu/kreg.h"
#include "emu/reg_core.h"

#include "base/pb_utf16.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- event objects */

typedef struct ev_obj {
    KEVENT ev;      /* first: a PKEVENT of the object is the object */
    int refs;       /* handles + waiting notifications */
    pnpbox_machine *m;
    uint16_t *name; /* named events: the full name, else NULL */
    size_t name_len;
} ev_obj;

void emu_event_ref(void *event)
{
    ((ev_obj *)event)->refs++;
}

void emu_event_unref(void *event)
{
    ev_obj *e = event;
    if (--e->refs > 0)
        return;
    if (e->name) {
        emu_kstate *st = emu_kstate_get(e->m);
        for (size_t i = 0; st && i < st->nevents; i++) {
            if (st->events[i] == e) {
                st->events[i] = st->events[--st->nevents];
                break;
            }
        }
        free(e->name);
    }
    free(e);
}

void emu_event_signal(void *event)
{
    ((ev_obj *)event)->ev.Header.SignalState = 1;
}

static void event_close(pnpbox_machine *m, emu_handle *h)
{
    (void)m;
    if (h->obj)
        emu_event_unref(h->obj);
    h->obj = NULL;
}

NTSTATUS emu_event_from_handle(pnpbox_machine *m, HANDLE h, PKEVENT *out)
{
    if (!h)
        return STATUS_INVALID_HANDLE;
    emu_handle *e = emu_handle_get(m, h, 0);
    if (!e)
        return STATUS_INVALID_HANDLE;
    if (e->type != EMU_H_EVENT || !e->obj)
        return STATUS_OBJECT_TYPE_MISMATCH;
    *out = &((ev_obj *)e->obj)->ev;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- Ke events */

static int is_event(const KEVENT *ev)
{
    return ev && (ev->Header.Type == NotificationEvent || ev->Header.Type == SynchronizationEvent);
}

VOID NTAPI KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
    if (!Event) {
        /* Windows faults on a NULL event; pnpbox reports it and leaves. */
        pnpbox_machine *m = emu_machine();
        if (m)
            emu_log(m, "error: KeInitializeEvent called with a NULL event");
        return;
    }
    memset(Event, 0, sizeof *Event);
    Event->Header.Type = (UCHAR)(Type == SynchronizationEvent ? SynchronizationEvent : NotificationEvent);
    Event->Header.Size = (UCHAR)(sizeof(KEVENT) / sizeof(LONG));
    Event->Header.SignalState = State ? 1 : 0;
    InitializeListHead(&Event->Header.WaitListHead);
}

LONG NTAPI KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
    (void)Increment;
    (void)Wait;
    if (!Event)
        return 0;
    LONG prev = Event->Header.SignalState;
    Event->Header.SignalState = 1;
    return prev;
}

LONG NTAPI KeResetEvent(PRKEVENT Event)
{
    if (!Event)
        return 0;
    LONG prev = Event->Header.SignalState;
    Event->Header.SignalState = 0;
    return prev;
}

VOID NTAPI KeClearEvent(PRKEVENT Event)
{
    if (Event)
        Event->Header.SignalState = 0;
}

LONG NTAPI KeReadStateEvent(PRKEVENT Event)
{
    return Event ? Event->Header.SignalState : 0;
}

/* A satisfied wait: a synchronization event resets itself. */
static int try_consume(PRKEVENT ev)
{
    if (!ev->Header.SignalState)
        return 0;
    if (ev->Header.Type == SynchronizationEvent)
        ev->Header.SignalState = 0;
    return 1;
}

/* The wait of KeWaitForSingleObject and ZwWaitForSingleObject (lock held). */
static NTSTATUS wait_event(pnpbox_machine *m, PRKEVENT ev, const LARGE_INTEGER *timeout, const char *api)
{
    if (try_consume(ev))
        return STATUS_SUCCESS;
    if (timeout && timeout->QuadPart == 0)
        return STATUS_TIMEOUT; /* a poll: nothing else runs */
    /* Let the "worker threads" run until the event is signaled. */
    while (emu_work_run_one(m))
        if (try_consume(ev))
            return STATUS_SUCCESS;
    if (timeout)
        return STATUS_TIMEOUT;
    emu_log(m, "error: %s: deadlock: the untimed wait on event %p can never be satisfied (nothing else runs)", api,
            (void *)ev);
    return STATUS_POSSIBLE_DEADLOCK;
}

NTSTATUS NTAPI KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                                     BOOLEAN Alertable, PLARGE_INTEGER Timeout)
{
    (void)WaitReason;
    (void)WaitMode;
    (void)Alertable; /* no APCs are delivered in the emulation */
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    NTSTATUS st;
    if (!is_event(Object)) {
        /* Windows bug-checks on something that is not a dispatcher object; the only dispatcher
         * objects pnpbox has are events. */
        emu_log(m, "error: KeWaitForSingleObject: %p is not an initialised KEVENT", Object);
        st = STATUS_INVALID_PARAMETER;
    } else {
        st = wait_event(m, Object, Timeout, "KeWaitForSingleObject");
    }
    emu_unlock(m);
    return st;
}

/* ---------------------------------------------------------------- Zw events */

/* Object directories a named event may live in (the emulation's object namespace). */
static int event_dir_ok(const uint16_t *name, size_t n)
{
    size_t last = 0;
    for (size_t i = 0; i < n; i++)
        if (name[i] == '\\')
            last = i;
    if (last == 0)
        return 1; /* \Name: the root directory */
    return pb_wcsieq_ascii(name, last, "\\BaseNamedObjects") || pb_wcsieq_ascii(name, last, "\\KernelObjects");
}

NTSTATUS NTAPI ZwCreateEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                             EVENT_TYPE EventType, BOOLEAN InitialState)
{
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (!EventHandle)
        return STATUS_ACCESS_VIOLATION; /* NtCreateEvent probes the handle pointer */
    if (EventType != NotificationEvent && EventType != SynchronizationEvent)
        return STATUS_INVALID_PARAMETER;
    emu_lock(m);
    NTSTATUS st = STATUS_SUCCESS;
    const uint16_t *name = NULL;
    size_t nlen = 0;
    unsigned hflags = 0;
    ULONG attrs = 0;
    if (ObjectAttributes) {
        if (ObjectAttributes->Length != sizeof(OBJECT_ATTRIBUTES) ||
            (ObjectAttributes->Attributes & ~(ULONG)OBJ_VALID_ATTRIBUTES)) {
            st = STATUS_INVALID_PARAMETER;
            goto out;
        }
        attrs = ObjectAttributes->Attributes;
        if (attrs & OBJ_KERNEL_HANDLE)
            hflags |= EMU_HF_KERNEL;
        PUNICODE_STRING on = ObjectAttributes->ObjectName;
        if (on && on->Length) {
            if (on->Length & 1) {
                st = STATUS_OBJECT_NAME_INVALID;
                goto out;
            }
            if (!on->Buffer) {
                st = STATUS_ACCESS_VIOLATION;
                goto out;
            }
            name = (const uint16_t *)on->Buffer;
            nlen = on->Length / 2;
            if (ObjectAttributes->RootDirectory) {
                /* Object directory handles are not emulated: a key, file or event is no directory. */
                emu_handle *rh = emu_handle_get(m, ObjectAttributes->RootDirectory, 0);
                st = rh ? STATUS_OBJECT_TYPE_MISMATCH : STATUS_INVALID_HANDLE;
                goto out;
            }
            if (name[0] != '\\') {
                st = STATUS_OBJECT_PATH_SYNTAX_BAD;
                goto out;
            }
            if (!event_dir_ok(name, nlen)) {
                st = STATUS_OBJECT_PATH_NOT_FOUND;
                goto out;
            }
        } else if (ObjectAttributes->RootDirectory) {
            st = STATUS_OBJECT_NAME_INVALID; /* a root directory without a name */
            goto out;
        }
    }
    if (emu_fault(m, "ZwCreateEvent", &st))
        goto out;
    ev_obj *obj = NULL;
    int existed = 0;
    if (name) {
        emu_kstate *ks = emu_kstate_get(m);
        if (!ks) {
            st = STATUS_INSUFFICIENT_RESOURCES;
            goto out;
        }
        for (size_t i = 0; i < ks->nevents; i++) {
            ev_obj *e = ks->events[i];
            if (pb_wcsnieq(e->name, e->name_len, name, nlen)) {
                obj = e;
                break;
            }
        }
        if (obj) {
            if (!(attrs & OBJ_OPENIF)) {
                st = STATUS_OBJECT_NAME_COLLISION;
                goto out;
            }
            existed = 1;
        }
    }
    if (!obj) {
        obj = calloc(1, sizeof *obj);
        if (!obj) {
            st = STATUS_INSUFFICIENT_RESOURCES;
            goto out;
        }
        obj->m = m;
        KeInitializeEvent(&obj->ev, EventType, InitialState);
        if (name) {
            emu_kstate *ks = emu_kstate_get(m);
            obj->name = pb_wcsndup(name, nlen);
            obj->name_len = nlen;
            if (!obj->name || !ks) {
                free(obj->name);
                free(obj);
                st = STATUS_INSUFFICIENT_RESOURCES;
                goto out;
            }
            if (ks->nevents == ks->events_cap) {
                size_t cap = ks->events_cap ? ks->events_cap * 2 : 8;
                void **p = realloc(ks->events, cap * sizeof *p);
                if (!p) {
                    free(obj->name);
                    free(obj);
                    st = STATUS_INSUFFICIENT_RESOURCES;
                    goto out;
                }
                ks->events = p;
                ks->events_cap = cap;
            }
            ks->events[ks->nevents++] = obj;
        }
    }
    emu_handle h = {0};
    h.type = EMU_H_EVENT;
    /* Generic rights map onto the event's: read = query, write = modify, all = all. */
    ACCESS_MASK acc = DesiredAccess & ~(ACCESS_MASK)(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL |
                                                     MAXIMUM_ALLOWED);
    if (DesiredAccess & GENERIC_READ)
        acc |= READ_CONTROL | EVENT_QUERY_STATE;
    if (DesiredAccess & GENERIC_WRITE)
        acc |= READ_CONTROL | EVENT_MODIFY_STATE;
    if (DesiredAccess & GENERIC_EXECUTE)
        acc |= READ_CONTROL | SYNCHRONIZE;
    if (DesiredAccess & (GENERIC_ALL | MAXIMUM_ALLOWED))
        acc |= EVENT_ALL_ACCESS;
    h.access = acc;
    h.obj = obj;
    h.close_fn = event_close;
    h.flags = hflags;
    obj->refs++;
    void *hv = emu_handle_new(m, &h);
    if (!hv) {
        emu_event_unref(obj);
        st = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    *EventHandle = hv;
    st = existed ? STATUS_OBJECT_NAME_EXISTS : STATUS_SUCCESS;
out:
    emu_unlock(m);
    return st;
}

NTSTATUS NTAPI ZwWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout)
{
    (void)Alertable;
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    NTSTATUS st;
    emu_handle *e = Handle ? emu_handle_get(m, Handle, 0) : NULL;
    if (!e) {
        st = STATUS_INVALID_HANDLE;
    } else if (e->type == EMU_H_EVENT && e->obj) {
        ev_obj *obj = e->obj;
        obj->refs++; /* a work item may close the handle while we wait */
        st = wait_event(m, &obj->ev, Timeout, "ZwWaitForSingleObject");
        emu_event_unref(obj);
    } else if (e->type == EMU_H_FILE) {
        /* Every I/O on the emulated volume completes before the call returns, so a file object
         * is always signaled. */
        st = STATUS_SUCCESS;
    } else {
        st = STATUS_OBJECT_TYPE_MISMATCH; /* keys and the rest are not waitable */
    }
    emu_unlock(m);
    return st;
}

NTSTATUS NTAPI ZwClose(HANDLE Handle)
{
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INVALID_HANDLE;
    emu_lock(m);
    NTSTATUS st;
    emu_handle *e = Handle ? emu_handle_get(m, Handle, 0) : NULL;
    if (!e)
        st = STATUS_INVALID_HANDLE; /* a bad kernel handle (Windows bug-checks 0x93 INVALID_KERNEL_HANDLE) */
    else if (e->flags & EMU_HF_PREDEFINED)
        st = STATUS_INVALID_HANDLE; /* predefined HKEYs are not kernel handles */
    else
        st = emu_handle_close(m, Handle);
    emu_unlock(m);
    return st;
}

/* ---------------------------------------------------------------- work items */

size_t emu_work_pending(pnpbox_machine *m)
{
    emu_kstate *st = emu_kstate_get(m);
    return st ? st->nwork - st->work_head : 0;
}

void emu_work_enqueue(pnpbox_machine *m, void *work_item, int queue_type, pnpbox_component *comp)
{
    PWORK_QUEUE_ITEM item = work_item;
    if (!item) {
        emu_log(m, "error: ExQueueWorkItem: NULL work item (Windows bug-checks)");
        return;
    }
    if (queue_type < 0 || queue_type >= MaximumWorkQueue) {
        emu_log(m, "error: ExQueueWorkItem: invalid queue type %d for work item %p (Windows bug-checks)",
                queue_type, (void *)item);
        return;
    }
    if (!item->WorkerRoutine) {
        emu_log(m, "error: ExQueueWorkItem: work item %p has no WorkerRoutine (Windows bug-checks)", (void *)item);
        return;
    }
    emu_kstate *st = emu_kstate_get(m);
    if (!st) {
        emu_log(m, "error: ExQueueWorkItem: out of memory; work item %p dropped", (void *)item);
        return;
    }
    for (size_t i = st->work_head; i < st->nwork; i++) {
        if (st->work[i].item == item) {
            /* Queuing an item that is already queued corrupts the list on Windows (Driver Verifier
             * bug-checks WORKER_INVALID); it still runs once here. */
            emu_log(m, "error: ExQueueWorkItem: work item %p is already queued", (void *)item);
            return;
        }
    }
    if (st->work_head && st->nwork == st->work_cap) {
        memmove(st->work, st->work + st->work_head, (st->nwork - st->work_head) * sizeof *st->work);
        st->nwork -= st->work_head;
        st->work_head = 0;
    }
    if (st->nwork == st->work_cap) {
        size_t cap = st->work_cap ? st->work_cap * 2 : 8;
        emu_work_ent *p = realloc(st->work, cap * sizeof *p);
        if (!p) {
            emu_log(m, "error: ExQueueWorkItem: out of memory; work item %p dropped", (void *)item);
            return;
        }
        st->work = p;
        st->work_cap = cap;
    }
    emu_work_ent *e = &st->work[st->nwork++];
    e->item = item;
    e->routine = (void (*)(void *))item->WorkerRoutine;
    e->param = item->Parameter;
    e->type = queue_type;
    e->comp = comp ? comp : emu_comp();
}

VOID NTAPI ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType)
{
    pnpbox_machine *m = emu_machine();
    if (!m)
        return;
    emu_lock(m);
    emu_work_enqueue(m, WorkItem, (int)QueueType, emu_comp());
    emu_unlock(m);
}

int emu_work_run_one(pnpbox_machine *m)
{
    emu_kstate *st = emu_kstate_get(m);
    if (!st || st->work_head >= st->nwork)
        return 0;
    emu_work_ent e = st->work[st->work_head++];
    if (st->work_head == st->nwork)
        st->work_head = st->nwork = 0;
    pnpbox_component *prev = pnpbox_enter(e.comp);
    e.routine(e.param);
    pnpbox_enter(prev);
    return 1;
}

int emu_work_run_pending(pnpbox_machine *m)
{
    if (!m)
        return 0;
    int n = 0;
    emu_lock(m);
    while (emu_work_run_one(m))
        n++;
    emu_unlock(m);
    return n;
}
