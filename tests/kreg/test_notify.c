/*
 * test_notify.c: kernel events (KeInitializeEvent, KeSetEvent ...,
 * KeWaitForSingleObject, ZwCreateEvent, ZwWaitForSingleObject), system
 * work items (ExQueueWorkItem and where they run) and ZwNotifyChangeKey
 * with an event and with a WORK_QUEUE_ITEM.  Facts: Wine's test_notify and
 * ReactOS's ZwNotifyChangeKey kernel-mode test (run on Windows), the
 * Windows Research Kernel's cmnotify.c.
 */
#include "tests/kreg/kr.h"

#include <string.h>

TestSuite(kreg_notify, .init = kr_setup, .fini = kr_teardown);

static LARGE_INTEGER zero_timeout; /* a poll */

static int signaled(HANDLE ev) { return ZwWaitForSingleObject(ev, FALSE, &zero_timeout) == STATUS_SUCCESS; }

static HANDLE new_event(EVENT_TYPE type, BOOLEAN state)
{
    HANDLE ev = NULL;
    cr_assert_eq(ZwCreateEvent(&ev, EVENT_ALL_ACCESS, NULL, type, state), STATUS_SUCCESS);
    cr_assert_not_null(ev);
    return ev;
}

/* ---------------------------------------------------------------- events */

Test(kreg_notify, ke_events)
{
    KEVENT ev;
    memset(&ev, KR_FILL, sizeof ev);
    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    cr_assert_eq(ev.Header.Type, 0);
    cr_assert_eq(ev.Header.Size, sizeof(KEVENT) / sizeof(LONG));
    cr_assert_eq(KeReadStateEvent(&ev), 0);
    cr_assert_eq(KeSetEvent(&ev, 0, FALSE), 0, "the previous state");
    cr_assert_eq(KeSetEvent(&ev, 0, FALSE), 1);
    cr_assert_eq(KeReadStateEvent(&ev), 1);
    /* A notification event stays signaled through waits. */
    cr_assert_eq(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    cr_assert_eq(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, &zero_timeout), STATUS_SUCCESS);
    cr_assert_eq(KeResetEvent(&ev), 1);
    cr_assert_eq(KeResetEvent(&ev), 0);
    KeSetEvent(&ev, 0, FALSE);
    KeClearEvent(&ev);
    cr_assert_eq(KeReadStateEvent(&ev), 0);
    /* A synchronization event resets when a wait is satisfied. */
    KEVENT se;
    KeInitializeEvent(&se, SynchronizationEvent, TRUE);
    cr_assert_eq(se.Header.Type, 1);
    cr_assert_eq(KeWaitForSingleObject(&se, Executive, KernelMode, FALSE, &zero_timeout), STATUS_SUCCESS);
    cr_assert_eq(KeReadStateEvent(&se), 0);
    cr_assert_eq(KeWaitForSingleObject(&se, Executive, KernelMode, FALSE, &zero_timeout), STATUS_TIMEOUT);
}

Test(kreg_notify, waits_that_cannot_be_satisfied)
{
    KEVENT ev;
    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    LARGE_INTEGER rel = {.QuadPart = -10000000}; /* one second, relative */
    cr_assert_eq(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, &rel), STATUS_TIMEOUT);
    cr_assert_eq(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, &zero_timeout), STATUS_TIMEOUT);
    cr_assert_not(kr_log_has("deadlock"));
    /* An untimed wait nothing can satisfy: reported, not hung. */
    cr_assert_eq(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL), STATUS_POSSIBLE_DEADLOCK);
    cr_assert(kr_log_has("KeWaitForSingleObject: deadlock"));
    /* Not an event. */
    unsigned char junk[32];
    memset(junk, 0x77, sizeof junk);
    cr_assert_eq(KeWaitForSingleObject(junk, Executive, KernelMode, FALSE, NULL), STATUS_INVALID_PARAMETER);
    cr_assert_eq(KeWaitForSingleObject(NULL, Executive, KernelMode, FALSE, NULL), STATUS_INVALID_PARAMETER);
}

Test(kreg_notify, zw_events)
{
    HANDLE ev = (HANDLE)(uintptr_t)0xdeadbeef;
    cr_assert_eq(ZwCreateEvent(NULL, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE), STATUS_ACCESS_VIOLATION);
    cr_assert_eq(ZwCreateEvent(&ev, EVENT_ALL_ACCESS, NULL, (EVENT_TYPE)2, FALSE), STATUS_INVALID_PARAMETER);
    cr_assert_eq(ev, (HANDLE)(uintptr_t)0xdeadbeef);
    ev = new_event(NotificationEvent, TRUE);
    cr_assert(signaled(ev));
    cr_assert(signaled(ev), "still signaled");
    PKEVENT kev;
    cr_assert_eq(emu_event_from_handle(m, ev, &kev), STATUS_SUCCESS);
    KeClearEvent(kev);
    cr_assert_not(signaled(ev));
    LARGE_INTEGER t = {.QuadPart = -1};
    cr_assert_eq(ZwWaitForSingleObject(ev, FALSE, &t), STATUS_TIMEOUT);
    cr_assert_eq(ZwWaitForSingleObject(ev, FALSE, NULL), STATUS_POSSIBLE_DEADLOCK);
    cr_assert(kr_log_has("ZwWaitForSingleObject: deadlock"));
    HANDLE se = new_event(SynchronizationEvent, TRUE);
    cr_assert(signaled(se));
    cr_assert_not(signaled(se), "auto reset");
    /* Not waitable / not handles. */
    HANDLE k = kr_open(NULL, L"\\Registry\\Machine");
    cr_assert_eq(ZwWaitForSingleObject(k, FALSE, &zero_timeout), STATUS_OBJECT_TYPE_MISMATCH);
    cr_assert_eq(ZwWaitForSingleObject(NULL, FALSE, &zero_timeout), STATUS_INVALID_HANDLE);
    cr_assert_eq(emu_event_from_handle(m, k, &kev), STATUS_OBJECT_TYPE_MISMATCH);
    cr_assert_eq(emu_event_from_handle(m, NULL, &kev), STATUS_INVALID_HANDLE);
    ZwClose(k);
    ZwClose(ev);
    ZwClose(se);
    cr_assert_eq(emu_handle_count(m, EMU_H_EVENT), 0);
}

Test(kreg_notify, named_events)
{
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING us;
    kr_oa(&oa, &us, L"\\BaseNamedObjects\\PnpboxEv", NULL, 0);
    HANDLE a = NULL, b = (HANDLE)(uintptr_t)0xdeadbeef;
    cr_assert_eq(ZwCreateEvent(&a, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE), STATUS_SUCCESS);
    cr_assert_eq(ZwCreateEvent(&b, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE), STATUS_OBJECT_NAME_COLLISION);
    cr_assert_eq(b, (HANDLE)(uintptr_t)0xdeadbeef);
    kr_oa(&oa, &us, L"\\BaseNamedObjects\\PNPBOXEV", NULL, OBJ_OPENIF);
    cr_assert_eq(ZwCreateEvent(&b, EVENT_ALL_ACCESS, &oa, NotificationEvent, TRUE), STATUS_OBJECT_NAME_EXISTS);
    cr_assert_neq(a, b);
    /* One object: signaling through one handle shows through the other. */
    PKEVENT ka, kb;
    emu_event_from_handle(m, a, &ka);
    emu_event_from_handle(m, b, &kb);
    cr_assert_eq(ka, kb);
    cr_assert_not(signaled(b), "InitialState of an opened event is ignored");
    KeSetEvent(ka, 0, FALSE);
    cr_assert(signaled(b));
    ZwClose(a);
    cr_assert(signaled(b), "alive while a handle remains");
    ZwClose(b);
    /* Gone with its last handle: the name can be created again. */
    kr_oa(&oa, &us, L"\\BaseNamedObjects\\PnpboxEv", NULL, 0);
    cr_assert_eq(ZwCreateEvent(&a, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE), STATUS_SUCCESS);
    ZwClose(a);
    /* Names outside the emulated directories and relative names. */
    kr_oa(&oa, &us, L"\\NoSuchDir\\Ev", NULL, 0);
    cr_assert_eq(ZwCreateEvent(&a, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE), STATUS_OBJECT_PATH_NOT_FOUND);
    kr_oa(&oa, &us, L"Ev", NULL, 0);
    cr_assert_eq(ZwCreateEvent(&a, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE), STATUS_OBJECT_PATH_SYNTAX_BAD);
    kr_oa(&oa, &us, L"\\Ev", NULL, 0);
    oa.Length = 1;
    cr_assert_eq(ZwCreateEvent(&a, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE), STATUS_INVALID_PARAMETER);
}

/* ---------------------------------------------------------------- work items */

static int runs;
static pnpbox_component *ran_as;
static WORK_QUEUE_ITEM chained;

static VOID counting_worker(PVOID p)
{
    runs++;
    ran_as = pnpbox_current_component();
    if (p)
        KeSetEvent((PKEVENT)p, 0, FALSE);
}

static VOID chaining_worker(PVOID p)
{
    (void)p;
    runs += 10;
    ExInitializeWorkItem(&chained, counting_worker, NULL);
    ExQueueWorkItem(&chained, DelayedWorkQueue);
}

Test(kreg_notify, work_items_run_later_as_the_queuing_component)
{
    WORK_QUEUE_ITEM wi;
    ExInitializeWorkItem(&wi, counting_worker, NULL);
    cr_assert_null(wi.List.Flink);
    pnpbox_component *drv = kr_as_driver("wqdrv");
    runs = 0;
    ExQueueWorkItem(&wi, DelayedWorkQueue);
    cr_assert_eq(runs, 0, "never inside ExQueueWorkItem");
    cr_assert_eq(emu_work_pending(m), 1);
    /* Queuing it again while queued: reported, still runs once. */
    ExQueueWorkItem(&wi, CriticalWorkQueue);
    cr_assert(kr_log_has("already queued"));
    kr_as_harness();
    cr_assert_eq(emu_work_run_pending(m), 1);
    cr_assert_eq(runs, 1);
    cr_assert_eq(ran_as, drv);
    cr_assert_eq(pnpbox_current_component(), pnpbox_component_get(m, PNPBOX_COMP_HARNESS, "harness"));
    cr_assert_eq(emu_work_run_pending(m), 0);
    /* Items queued by a running item run in the same drain, after it. */
    WORK_QUEUE_ITEM c;
    ExInitializeWorkItem(&c, chaining_worker, NULL);
    runs = 0;
    ExQueueWorkItem(&c, DelayedWorkQueue);
    cr_assert_eq(emu_work_run_pending(m), 2);
    cr_assert_eq(runs, 11);
    /* Bad items are reported and dropped. */
    ExQueueWorkItem(NULL, DelayedWorkQueue);
    cr_assert(kr_log_has("NULL work item"));
    ExQueueWorkItem(&wi, MaximumWorkQueue);
    cr_assert(kr_log_has("invalid queue type"));
    WORK_QUEUE_ITEM nr;
    ExInitializeWorkItem(&nr, NULL, NULL);
    ExQueueWorkItem(&nr, DelayedWorkQueue);
    cr_assert(kr_log_has("no WorkerRoutine"));
    cr_assert_eq(emu_work_pending(m), 0);
}

Test(kreg_notify, a_wait_lets_work_items_run)
{
    KEVENT ev;
    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    WORK_QUEUE_ITEM wi;
    ExInitializeWorkItem(&wi, counting_worker, &ev);
    runs = 0;
    ExQueueWorkItem(&wi, DelayedWorkQueue);
    cr_assert_eq(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    cr_assert_eq(runs, 1);
    /* A zero timeout only polls: nothing runs. */
    KeClearEvent(&ev);
    ExQueueWorkItem(&wi, DelayedWorkQueue);
    cr_assert_eq(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, &zero_timeout), STATUS_TIMEOUT);
    cr_assert_eq(runs, 1);
    LARGE_INTEGER t = {.QuadPart = -100};
    cr_assert_eq(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, &t), STATUS_SUCCESS);
    cr_assert_eq(runs, 2);
}

/* ---------------------------------------------------------------- ZwNotifyChangeKey */

static NTSTATUS arm(HANDLE key, HANDLE ev, ULONG filter, BOOLEAN tree, IO_STATUS_BLOCK *iosb)
{
    return ZwNotifyChangeKey(key, ev, NULL, NULL, iosb, filter, tree, NULL, 0, TRUE);
}

Test(kreg_notify, wine_test_notify)
{
    HANDLE root = kr_test_key();
    HANDLE key = kr_open(NULL, L"\\Registry\\Machine\\SOFTWARE\\PnpboxKregTest");
    HANDLE key2 = kr_open(NULL, L"\\Registry\\Machine\\SOFTWARE\\PnpboxKregTest");
    HANDLE ev[4];
    for (int i = 0; i < 4; i++)
        ev[i] = new_event(NotificationEvent, TRUE);
    IO_STATUS_BLOCK iosb;
    memset(&iosb, KR_FILL, sizeof iosb);
    cr_assert_eq(arm(key, ev[0], REG_NOTIFY_CHANGE_NAME, FALSE, &iosb), STATUS_PENDING);
    cr_assert_eq(arm(key, ev[1], 0, FALSE, &iosb), STATUS_PENDING);
    cr_assert_eq(arm(key2, ev[2], 0, FALSE, &iosb), STATUS_PENDING);
    cr_assert_eq(arm(key2, ev[3], REG_NOTIFY_CHANGE_NAME, FALSE, &iosb), STATUS_PENDING);
    for (int i = 0; i < 4; i++)
        cr_assert_not(signaled(ev[i]), "arming resets the event (%d)", i);

    HANDLE sub = kr_create(key, L"test_subkey", 0);
    cr_assert(signaled(ev[0]));
    cr_assert(signaled(ev[1]), "a second call joins the handle's first filter");
    cr_assert_not(signaled(ev[2]), "key2's block was made with filter 0");
    cr_assert_not(signaled(ev[3]));

    cr_assert_eq(arm(key, ev[0], 0, FALSE, &iosb), STATUS_PENDING);
    cr_assert_not(signaled(ev[0]));
    cr_assert(signaled(ev[1]));
    cr_assert_eq(arm(key, ev[1], 0, FALSE, &iosb), STATUS_PENDING);
    cr_assert_eq(ZwDeleteKey(sub), STATUS_SUCCESS);
    cr_assert(signaled(ev[0]));
    cr_assert(signaled(ev[1]));
    cr_assert_not(signaled(ev[2]));
    cr_assert_not(signaled(ev[3]));
    ZwClose(sub);

    /* Closing the handle completes what waits on it (STATUS_NOTIFY_CLEANUP). */
    cr_assert_eq(arm(key, ev[0], 0, FALSE, &iosb), STATUS_PENDING);
    cr_assert_eq(arm(key, ev[1], 0, FALSE, &iosb), STATUS_PENDING);
    ZwClose(key);
    cr_assert(signaled(ev[0]));
    cr_assert(signaled(ev[1]));
    cr_assert_not(signaled(ev[2]));
    cr_assert_not(signaled(ev[3]));
    /* A kernel caller's IO_STATUS_BLOCK is never written by an asynchronous notification. */
    unsigned char fill[sizeof iosb];
    memset(fill, KR_FILL, sizeof fill);
    cr_assert_eq(memcmp(&iosb, fill, sizeof iosb), 0);
    ZwClose(key2);
    for (int i = 0; i < 4; i++)
        ZwClose(ev[i]);
    ZwClose(root);
}

static WORK_QUEUE_ITEM wqi;

Test(kreg_notify, work_queue_item_notification)
{
    /* ReactOS's ZwNotifyChangeKey AsynchronousWqi test. */
    HANDLE root = kr_test_key();
    kr_set_dword(root, L"TestValue", 0x12345678);
    KEVENT done;
    KeInitializeEvent(&done, NotificationEvent, FALSE);
    ExInitializeWorkItem(&wqi, counting_worker, &done);
    pnpbox_component *drv = kr_as_driver("notifydrv");
    IO_STATUS_BLOCK iosb;
    memset(&iosb, KR_FILL, sizeof iosb);
    runs = 0;
    NTSTATUS st = ZwNotifyChangeKey(root, NULL, (PIO_APC_ROUTINE)&wqi, (PVOID)DelayedWorkQueue, &iosb,
                                    REG_NOTIFY_CHANGE_LAST_SET, FALSE, NULL, 0, TRUE);
    cr_assert_eq(st, STATUS_PENDING);
    kr_as_harness();
    cr_assert_eq(emu_work_pending(m), 0);
    kr_set_dword(root, L"TestValue", 0x87654321);
    cr_assert_eq(emu_work_pending(m), 1, "the change queued the work item");
    cr_assert_eq(runs, 0);
    LARGE_INTEGER t = {.QuadPart = -1000000};
    cr_assert_eq(KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, &t), STATUS_SUCCESS);
    cr_assert_eq(runs, 1);
    cr_assert_eq(ran_as, drv, "the work item runs as the component that armed the notification");
    cr_assert_eq(iosb.Status, (NTSTATUS)0xdededede);
    /* One shot: a further change queues nothing until it is armed again. */
    kr_set_dword(root, L"TestValue", 1);
    cr_assert_eq(emu_work_pending(m), 0);
    /* The change happened with nothing armed: the next arm completes at once (STATUS_SUCCESS). */
    st = ZwNotifyChangeKey(root, NULL, (PIO_APC_ROUTINE)&wqi, (PVOID)DelayedWorkQueue, &iosb,
                           REG_NOTIFY_CHANGE_LAST_SET, FALSE, NULL, 0, TRUE);
    cr_assert_eq(st, STATUS_SUCCESS);
    cr_assert_eq(emu_work_pending(m), 1);
    emu_work_run_pending(m);
    cr_assert_eq(runs, 2);
    ZwClose(root);
}

Test(kreg_notify, filters_and_watch_tree)
{
    HANDLE root = kr_test_key();
    HANDLE child = kr_create(root, L"child", 0);
    HANDLE ev_name = new_event(NotificationEvent, FALSE), ev_set = new_event(NotificationEvent, FALSE);
    HANDLE ev_tree = new_event(NotificationEvent, FALSE);
    HANDLE k1 = kr_open(root, NULL), k2 = kr_open(root, NULL), k3 = kr_open(root, NULL);
    IO_STATUS_BLOCK iosb;
    cr_assert_eq(arm(k1, ev_name, REG_NOTIFY_CHANGE_NAME, FALSE, &iosb), STATUS_PENDING);
    cr_assert_eq(arm(k2, ev_set, REG_NOTIFY_CHANGE_LAST_SET, FALSE, &iosb), STATUS_PENDING);
    cr_assert_eq(arm(k3, ev_tree, REG_NOTIFY_CHANGE_LAST_SET | REG_NOTIFY_THREAD_AGNOSTIC, TRUE, &iosb),
                 STATUS_PENDING);
    /* A value below: only the subtree watcher. */
    kr_set_dword(child, L"v", 1);
    cr_assert_not(signaled(ev_name));
    cr_assert_not(signaled(ev_set));
    cr_assert(signaled(ev_tree));
    /* A value on the key: LAST_SET. */
    kr_set_dword(root, L"v", 1);
    cr_assert_not(signaled(ev_name));
    cr_assert(signaled(ev_set));
    /* A subkey of a subkey: not NAME for the non-tree watcher. */
    ZwClose(kr_create(child, L"grandchild", 0));
    cr_assert_not(signaled(ev_name));
    ZwClose(kr_create(root, L"second", 0));
    cr_assert(signaled(ev_name));
    ZwClose(k1);
    ZwClose(k2);
    ZwClose(k3);
    ZwClose(ev_name);
    ZwClose(ev_set);
    ZwClose(ev_tree);
    ZwClose(child);
    ZwClose(root);
}

Test(kreg_notify, deleted_key)
{
    HANDLE root = kr_test_key();
    HANDLE k = kr_create(root, L"victim", 0);
    HANDLE other = kr_open(root, L"victim");
    HANDLE ev = new_event(NotificationEvent, FALSE);
    IO_STATUS_BLOCK iosb;
    cr_assert_eq(arm(k, ev, REG_NOTIFY_CHANGE_LAST_SET, FALSE, &iosb), STATUS_PENDING);
    cr_assert_eq(ZwDeleteKey(other), STATUS_SUCCESS);
    cr_assert(signaled(ev), "deleting the key completes its notifications");
    cr_assert_eq(arm(k, ev, REG_NOTIFY_CHANGE_LAST_SET, FALSE, &iosb), STATUS_KEY_DELETED);
    HANDLE fresh = new_event(NotificationEvent, FALSE);
    cr_assert_eq(arm(other, fresh, REG_NOTIFY_CHANGE_NAME, FALSE, &iosb), STATUS_KEY_DELETED);
    ZwClose(fresh);
    ZwClose(k);
    ZwClose(other);
    ZwClose(ev);
    ZwClose(root);
}

Test(kreg_notify, argument_checks)
{
    HANDLE root = kr_test_key();
    HANDLE ev = new_event(NotificationEvent, TRUE);
    IO_STATUS_BLOCK iosb;
    cr_assert_eq(arm(root, ev, 0x20, FALSE, &iosb), STATUS_INVALID_PARAMETER);
    cr_assert_eq(arm(NULL, ev, 0x20, FALSE, &iosb), STATUS_INVALID_PARAMETER, "the filter is checked first");
    cr_assert_eq(arm(NULL, ev, REG_NOTIFY_CHANGE_NAME, FALSE, &iosb), STATUS_INVALID_HANDLE);
    cr_assert_eq(arm(ev, ev, REG_NOTIFY_CHANGE_NAME, FALSE, &iosb), STATUS_OBJECT_TYPE_MISMATCH);
    cr_assert_eq(arm(root, root, REG_NOTIFY_CHANGE_NAME, FALSE, &iosb), STATUS_OBJECT_TYPE_MISMATCH);
    cr_assert_eq(arm(root, (HANDLE)(uintptr_t)0x4444, REG_NOTIFY_CHANGE_NAME, FALSE, &iosb), STATUS_INVALID_HANDLE);
    cr_assert(signaled(ev), "a failed call does not reset the event");
    cr_assert_eq(ZwNotifyChangeKey(root, NULL, NULL, NULL, NULL, REG_NOTIFY_CHANGE_NAME, FALSE, NULL, 0, FALSE),
                 STATUS_ACCESS_VIOLATION);
    /* Closing the event handle while armed: the notification still completes safely. */
    cr_assert_eq(arm(root, ev, REG_NOTIFY_CHANGE_LAST_SET, FALSE, &iosb), STATUS_PENDING);
    ZwClose(ev);
    kr_set_dword(root, L"x", 1);
    ZwClose(root);
}

static HANDLE sync_key;
static VOID setting_worker(PVOID p)
{
    (void)p;
    kr_set_dword(sync_key, L"fromworker", 1);
}

Test(kreg_notify, synchronous_notifications)
{
    HANDLE root = kr_test_key();
    IO_STATUS_BLOCK iosb;
    /* Arm once asynchronously (that makes the handle's notify block) and let it fire; a change made
     * while nothing is armed is remembered and completes the next call at once. */
    HANDLE ev = new_event(NotificationEvent, FALSE);
    cr_assert_eq(arm(root, ev, REG_NOTIFY_CHANGE_LAST_SET, FALSE, &iosb), STATUS_PENDING);
    kr_set_dword(root, L"a", 1);
    kr_set_dword(root, L"b", 1); /* nothing armed: remembered */
    memset(&iosb, KR_FILL, sizeof iosb);
    NTSTATUS st = ZwNotifyChangeKey(root, NULL, NULL, NULL, &iosb, REG_NOTIFY_CHANGE_LAST_SET, FALSE, NULL, 0, FALSE);
    cr_assert_eq(st, STATUS_NOTIFY_ENUM_DIR);
    cr_assert_eq(iosb.Status, STATUS_NOTIFY_ENUM_DIR);
    cr_assert_eq(iosb.Information, 0);
    /* A queued work item changes the key while the thread "waits". */
    sync_key = root;
    WORK_QUEUE_ITEM wi;
    ExInitializeWorkItem(&wi, setting_worker, NULL);
    ExQueueWorkItem(&wi, DelayedWorkQueue);
    memset(&iosb, KR_FILL, sizeof iosb);
    st = ZwNotifyChangeKey(root, NULL, NULL, NULL, &iosb, REG_NOTIFY_CHANGE_LAST_SET, FALSE, NULL, 0, FALSE);
    cr_assert_eq(st, STATUS_NOTIFY_ENUM_DIR);
    cr_assert_eq(iosb.Status, STATUS_NOTIFY_ENUM_DIR);
    /* Nothing can change it: a deadlock, reported. */
    memset(&iosb, KR_FILL, sizeof iosb);
    st = ZwNotifyChangeKey(root, NULL, NULL, NULL, &iosb, REG_NOTIFY_CHANGE_LAST_SET, FALSE, NULL, 0, FALSE);
    cr_assert_eq(st, STATUS_POSSIBLE_DEADLOCK);
    cr_assert(kr_log_has("ZwNotifyChangeKey: deadlock"));
    unsigned char fill[sizeof iosb];
    memset(fill, KR_FILL, sizeof fill);
    cr_assert_eq(memcmp(&iosb, fill, sizeof iosb), 0);
    /* The abandoned wait is gone: a later change completes nothing stale. */
    kr_set_dword(root, L"c", 1);
    ZwClose(ev);
    ZwClose(root);
}

Test(kreg_notify, notification_is_audited)
{
    HANDLE root = kr_test_key();
    HANDLE ev = new_event(NotificationEvent, FALSE);
    IO_STATUS_BLOCK iosb;
    size_t from = kr_nevents();
    cr_assert_eq(arm(root, ev, REG_NOTIFY_CHANGE_NAME, TRUE, &iosb), STATUS_PENDING);
    const pnpbox_event *e = kr_event("ZwNotifyChangeKey", from);
    cr_assert_not_null(e);
    cr_assert_eq(e->status, STATUS_PENDING);
    cr_assert_str_eq(e->path, "\\REGISTRY\\MACHINE\\SOFTWARE\\PnpboxKregTest");
    cr_assert_eq(e->write, 0);
    ZwClose(ev);
    ZwClose(root);
}
