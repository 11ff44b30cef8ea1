/*
 * wdf_object.c: the framework object model of pnpbox's KMDF: handle
 * checking, WDF_OBJECT_ATTRIBUTES validation, creation with typed context
 * areas, the parent/child tree, deletion with EvtCleanupCallback and
 * EvtDestroyCallback in the documented order, references, and the object
 * methods (WdfObjectGetTypedContextWorker, WdfObjectAllocateContext,
 * WdfObjectDelete, WdfObjectReference/Dereference).
 *
 * Sources: the WDF object documentation (EVT_WDF_OBJECT_CONTEXT_CLEANUP,
 * EVT_WDF_OBJECT_CONTEXT_DESTROY: "the framework calls the child objects'
 * EvtCleanupCallback callback functions before calling the parent object's
 * ... Next, if the child's reference count is zero, the child's
 * EvtDestroyCallback ... Finally ... the parent's"), and the behaviour of
 * KMDF's FxValidateObjectAttributes / FxObjectAllocateContext (statuses
 * and their order) as the open-source framework and Windows 11's
 * Wdf01000.sys show it.
 *
 * Choices (docs/kmdf.md): children are disposed in creation order; a
 * context larger than 1 GiB is refused with STATUS_INSUFFICIENT_RESOURCES
 * (KMDF fails its allocation the same way, pnpbox does not try);
 * WdfObjectAllocateContext on an object being deleted is
 * STATUS_DELETE_PENDING.
 */
#include "emu/wdf_int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WDF_OBJ_MAGIC 0x4f464457u /* "WDFO" */
#define WDF_MAX_CONTEXT ((size_t)1 << 30)

/* ---------------------------------------------------------------- the live set */

static pthread_mutex_t wdf_mu = PTHREAD_MUTEX_INITIALIZER;
/* Open addressing; TOMB marks a deleted slot.  The table lives as long as the process (reachable, so
 * LeakSanitizer does not count it): machines freed by atexit handlers still remove their objects. */
static const void **live;
static size_t live_cap, live_used; /* used counts live entries and tombstones */
static wdf_driver *drivers;

static const char tomb_;
#define TOMB ((const void *)&tomb_)

static size_t live_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static int live_grow_locked(void)
{
    size_t cap = live_cap ? live_cap * 2 : 256;
    const void **n = calloc(cap, sizeof *n);
    if (!n)
        return -1;
    size_t used = 0;
    for (size_t i = 0; i < live_cap; i++) {
        const void *p = live[i];
        if (!p || p == TOMB)
            continue;
        size_t j = live_hash(p) & (cap - 1);
        while (n[j])
            j = (j + 1) & (cap - 1);
        n[j] = p;
        used++;
    }
    free(live);
    live = n;
    live_cap = cap;
    live_used = used;
    return 0;
}

static size_t live_find_locked(const void *p)
{
    if (!live_cap)
        return (size_t)-1;
    size_t j = live_hash(p) & (live_cap - 1);
    for (size_t k = 0; k < live_cap && live[j]; k++) {
        if (live[j] == p)
            return j;
        j = (j + 1) & (live_cap - 1);
    }
    return (size_t)-1;
}

int wdf_live_add(const void *p)
{
    pthread_mutex_lock(&wdf_mu);
    int rc = 0;
    if ((live_used + 1) * 2 > live_cap && live_grow_locked() < 0) {
        rc = -1;
    } else {
        size_t j = live_hash(p) & (live_cap - 1);
        while (live[j] && live[j] != TOMB)
            j = (j + 1) & (live_cap - 1);
        if (!live[j])
            live_used++;
        live[j] = p;
    }
    pthread_mutex_unlock(&wdf_mu);
    return rc;
}

void wdf_live_del(const void *p)
{
    pthread_mutex_lock(&wdf_mu);
    size_t j = live_find_locked(p);
    if (j != (size_t)-1)
        live[j] = TOMB;
    pthread_mutex_unlock(&wdf_mu);
}

int wdf_live_has(const void *p)
{
    if (!p || p == TOMB)
        return 0;
    pthread_mutex_lock(&wdf_mu);
    int has = live_find_locked(p) != (size_t)-1;
    pthread_mutex_unlock(&wdf_mu);
    return has;
}


/* ---------------------------------------------------------------- drivers */

void wdf_driver_list_add(wdf_driver *d)
{
    pthread_mutex_lock(&wdf_mu);
    d->next = drivers;
    drivers = d;
    pthread_mutex_unlock(&wdf_mu);
}

void wdf_driver_list_del(wdf_driver *d)
{
    pthread_mutex_lock(&wdf_mu);
    for (wdf_driver **pp = &drivers; *pp; pp = &(*pp)->next)
        if (*pp == d) {
            *pp = d->next;
            break;
        }
    pthread_mutex_unlock(&wdf_mu);
}

wdf_driver *wdf_current_driver(pnpbox_machine *m)
{
    pnpbox_component *c = emu_comp();
    wdf_driver *found = NULL;
    pthread_mutex_lock(&wdf_mu);
    for (wdf_driver *d = drivers; d && !found; d = d->next)
        if (d->o.m == m && d->ed && d->ed->comp == c && !d->o.disposing)
            found = d;
    pthread_mutex_unlock(&wdf_mu);
    return found;
}

wdf_driver *wdf_driver_of(PDRIVER_OBJECT p)
{
    wdf_driver *found = NULL;
    if (!p)
        return NULL;
    pthread_mutex_lock(&wdf_mu);
    for (wdf_driver *d = drivers; d && !found; d = d->next)
        if (d->wdm == p && !d->o.disposing)
            found = d;
    pthread_mutex_unlock(&wdf_mu);
    return found;
}

/* ---------------------------------------------------------------- bug checks and handles */

void wdf_bugcheck(pnpbox_machine *m, const char *api, const char *fmt, ...)
{
    if (!m)
        m = pnpbox_current();
    if (!m)
        return;
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    emu_log(m, "pnpbox: BUG CHECK (Windows would stop here): WDF_VIOLATION (0x10D) in %s: %s", api, what);
}

static const char *type_name(wdf_otype t)
{
    switch (t) {
    case WDF_OT_DRIVER:
        return "WDFDRIVER";
    case WDF_OT_DEVICE:
        return "WDFDEVICE";
    case WDF_OT_KEY:
        return "WDFKEY";
    case WDF_OT_STRING:
        return "WDFSTRING";
    case WDF_OT_COLLECTION:
        return "WDFCOLLECTION";
    case WDF_OT_RESLIST:
        return "WDFCMRESLIST";
    }
    return "WDFOBJECT";
}

static wdf_obj *handle_check(void *h, wdf_otype type, const char *api, int disposed_ok)
{
    if (!h) {
        wdf_bugcheck(NULL, api, "a NULL %s handle", type_name(type));
        return NULL;
    }
    if (!wdf_live_has(h) || ((wdf_obj *)h)->magic != WDF_OBJ_MAGIC) {
        wdf_bugcheck(NULL, api, "%p is not a valid %s handle (never created, or already deleted)", h,
                     type_name(type));
        return NULL;
    }
    wdf_obj *o = h;
    if (type && o->type != type) {
        wdf_bugcheck(o->m, api, "%p is a %s where a %s is required", h, type_name(o->type), type_name(type));
        return NULL;
    }
    if (o->disposed && !disposed_ok) {
        wdf_bugcheck(o->m, api, "%s %p was deleted (its EvtCleanupCallback has run)", type_name(o->type), h);
        return NULL;
    }
    return o;
}

wdf_obj *wdf_handle(void *h, wdf_otype type, const char *api) { return handle_check(h, type, api, 0); }

wdf_obj *wdf_handle_disposed_ok(void *h, wdf_otype type, const char *api)
{
    return handle_check(h, type, api, 1);
}

PWDFDEVICE_INIT wdf_init_handle(PWDFDEVICE_INIT init, const char *api)
{
    if (!init) {
        wdf_bugcheck(NULL, api, "a NULL PWDFDEVICE_INIT");
        return NULL;
    }
    if (!wdf_live_has(init) || init->magic != WDF_INIT_MAGIC) {
        wdf_bugcheck(NULL, api,
                     "%p is not a live WDFDEVICE_INIT (only valid while EvtDriverDeviceAdd runs)", (void *)init);
        return NULL;
    }
    return init;
}

/* ---------------------------------------------------------------- validation */

NTSTATUS wdf_validate_attributes(const WDF_OBJECT_ATTRIBUTES *a, unsigned flags)
{
    if (!a)
        return (flags & WDF_VAL_ATTRIBUTES_REQUIRED) ? STATUS_WDF_PARENT_NOT_SPECIFIED : STATUS_SUCCESS;
    if (a->Size != sizeof(WDF_OBJECT_ATTRIBUTES))
        return STATUS_INFO_LENGTH_MISMATCH;
    const WDF_OBJECT_CONTEXT_TYPE_INFO *t = a->ContextTypeInfo;
    if (t) {
        /* The 1.0 layout (Size, ContextName, ContextSize) and the current one. */
        if (t->Size != sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO) &&
            t->Size != offsetof(WDF_OBJECT_CONTEXT_TYPE_INFO, UniqueType))
            return STATUS_INFO_LENGTH_MISMATCH;
        if (t->ContextSize && !t->ContextName)
            return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID;
    }
    if (a->ContextSizeOverride && (!t || a->ContextSizeOverride < t->ContextSize))
        return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID;
    if (flags & WDF_VAL_PARENT_NOT_ALLOWED) {
        if (a->ParentObject)
            return STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED;
    } else if ((flags & WDF_VAL_PARENT_REQUIRED) && !a->ParentObject) {
        return STATUS_WDF_PARENT_NOT_SPECIFIED;
    }
    if (a->ExecutionLevel == WdfExecutionLevelInvalid || a->ExecutionLevel > WdfExecutionLevelDispatch)
        return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID;
    if (a->SynchronizationScope == WdfSynchronizationScopeInvalid ||
        a->SynchronizationScope > WdfSynchronizationScopeNone)
        return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID;
    if (!(flags & WDF_VAL_SYNC_SCOPE_ALLOWED) && a->SynchronizationScope != WdfSynchronizationScopeInheritFromParent &&
        a->SynchronizationScope != WdfSynchronizationScopeNone)
        return STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID;
    if (!(flags & WDF_VAL_EXEC_LEVEL_ALLOWED) && a->ExecutionLevel != WdfExecutionLevelInheritFromParent)
        return STATUS_WDF_EXECUTION_LEVEL_INVALID;
    return STATUS_SUCCESS;
}

NTSTATUS wdf_validate_ustr(const UNICODE_STRING *s)
{
    if ((s->Length & 1) || (s->MaximumLength & 1) || (s->MaximumLength && !s->Buffer) ||
        s->Length > s->MaximumLength)
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- creation */

static NTSTATUS ctx_new(const WDF_OBJECT_ATTRIBUTES *a, wdf_ctx **out)
{
    size_t size = 0;
    if (a->ContextTypeInfo)
        size = a->ContextSizeOverride ? a->ContextSizeOverride : a->ContextTypeInfo->ContextSize;
    if (size > WDF_MAX_CONTEXT)
        return STATUS_INSUFFICIENT_RESOURCES;
    size = (size + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
    wdf_ctx *c = calloc(1, sizeof *c + size);
    if (!c)
        return STATUS_INSUFFICIENT_RESOURCES;
    c->type = a->ContextTypeInfo;
    c->cleanup = a->EvtCleanupCallback;
    c->destroy = a->EvtDestroyCallback;
    c->size = size;
    *out = c;
    return STATUS_SUCCESS;
}

static void link_child(wdf_obj *parent, wdf_obj *c)
{
    c->parent = parent;
    c->sib_next = NULL;
    c->sib_prev = parent->child_tail;
    if (parent->child_tail)
        parent->child_tail->sib_next = c;
    else
        parent->child_head = c;
    parent->child_tail = c;
}

static void unlink_child(wdf_obj *c)
{
    wdf_obj *p = c->parent;
    if (!p)
        return;
    if (c->sib_prev)
        c->sib_prev->sib_next = c->sib_next;
    else
        p->child_head = c->sib_next;
    if (c->sib_next)
        c->sib_next->sib_prev = c->sib_prev;
    else
        p->child_tail = c->sib_prev;
    c->parent = c->sib_prev = c->sib_next = NULL;
}

NTSTATUS wdf_obj_create(pnpbox_machine *m, const char *api, wdf_driver *drv, wdf_otype type, size_t size,
                        const WDF_OBJECT_ATTRIBUTES *attrs, wdf_obj *default_parent, wdf_obj **out)
{
    NTSTATUS st;
    wdf_obj *parent = default_parent;
    if (attrs && attrs->ParentObject) {
        parent = wdf_handle(attrs->ParentObject, 0, api);
        if (!parent)
            return STATUS_INVALID_HANDLE;
    }
    if (parent && parent->disposing)
        return STATUS_DELETE_PENDING;
    if (emu_fault(m, api, &st))
        return st;
    wdf_obj *o = calloc(1, size);
    if (!o)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (attrs && (st = ctx_new(attrs, &o->ctx)) != STATUS_SUCCESS) {
        free(o);
        return st;
    }
    o->magic = WDF_OBJ_MAGIC;
    o->type = type;
    o->m = m;
    o->drv = type == WDF_OT_DRIVER ? (wdf_driver *)o : drv;
    o->comp = drv ? drv->ed->comp : emu_comp();
    o->refs = 1;
    if (wdf_live_add(o) < 0) {
        free(o->ctx);
        free(o);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (parent)
        link_child(parent, o);
    if (o->type != WDF_OT_DRIVER && drv) {
        o->all_next = drv->all_head;
        if (drv->all_head)
            drv->all_head->all_prev = o;
        drv->all_head = o;
    }
    *out = o;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- deletion */

static void driver_free(wdf_driver *d);

static void finalize(wdf_obj *o, int quiet)
{
    if (!quiet)
        for (wdf_ctx *c = o->ctx; c; c = c->next)
            if (c->destroy)
                WDF_AS(o, c->destroy((WDFOBJECT)o));
    unlink_child(o);
    /* Children still linked here were detached during release; anything left is orphaned. */
    while (o->child_head)
        unlink_child(o->child_head);
    if (o->fin)
        o->fin(o);
    wdf_live_del(o);
    o->magic = 0;
    for (wdf_ctx *c = o->ctx, *nx; c; c = nx) {
        nx = c->next;
        free(c);
    }
    o->ctx = NULL;
    if (o->type == WDF_OT_DRIVER) {
        wdf_driver *d = (wdf_driver *)o;
        wdf_driver_list_del(d);
        /* Objects referenced past deletion still point at their driver: it goes with the last. */
        if (d->all_head || d->tearing_down)
            d->fin_pending = 1;
        else
            driver_free(d);
        return;
    }
    wdf_driver *d = o->drv;
    if (d) {
        if (o->all_prev)
            o->all_prev->all_next = o->all_next;
        else
            d->all_head = o->all_next;
        if (o->all_next)
            o->all_next->all_prev = o->all_prev;
    }
    free(o);
    if (d && d->fin_pending && !d->all_head && !d->tearing_down)
        driver_free(d);
}

static void driver_free(wdf_driver *d)
{
    if (d->anchor) {
        emu_handle *e = emu_handle_get(d->o.m, d->anchor, EMU_H_OTHER);
        if (e && e->obj == d) {
            e->obj = NULL;
            emu_handle_close(d->o.m, d->anchor);
        }
        d->anchor = NULL;
    }
    free(d->regpath);
    free(d);
}

/*
 * The machine is being freed before the driver was unloaded (DriverEntry
 * failed, or the driver cannot be unloaded): free everything the driver
 * still has, without calling into it (its DRIVER_OBJECT is already gone).
 */
void wdf_driver_teardown_quiet(wdf_driver *d)
{
    d->anchor = NULL;
    d->tearing_down = 1;
    if (!d->o.disposing)
        wdf_obj_delete(&d->o, 1);
    if (!d->fin_pending) {
        d->o.released = 1;
        d->o.refs = 1;
        wdf_obj_unref(&d->o, 1);
    }
    /* Collections hold references on objects that may be freed first: forget them. */
    for (wdf_obj *o = d->all_head; o; o = o->all_next)
        if (o->type == WDF_OT_COLLECTION)
            ((wdf_collection *)o)->n = 0;
    while (d->all_head) {
        wdf_obj *o = d->all_head;
        o->released = 1;
        o->disposed = 1;
        o->refs = 1;
        wdf_obj_unref(o, 1);
    }
    free(d->regpath);
    free(d);
}

void wdf_obj_ref(wdf_obj *o) { o->refs++; }

void wdf_obj_unref(wdf_obj *o, int quiet)
{
    if (o->refs <= 1 && !o->released) {
        wdf_bugcheck(o->m, "WdfObjectDereference",
                     "%s %p dereferenced more often than it was referenced", type_name(o->type), (void *)o);
        return;
    }
    if (--o->refs == 0)
        finalize(o, quiet);
}

static void dispose_tree(wdf_obj *o, int quiet)
{
    o->disposing = 1;
    for (;;) {
        /* Callbacks may delete other objects: look for the next child afresh each time. */
        wdf_obj *c = o->child_head;
        while (c && c->disposing)
            c = c->sib_next;
        if (!c)
            break;
        dispose_tree(c, quiet);
    }
    if (!quiet)
        for (wdf_ctx *c = o->ctx; c; c = c->next)
            if (c->cleanup)
                WDF_AS(o, c->cleanup((WDFOBJECT)o));
    if (o->dispose)
        o->dispose(o, quiet);
    o->disposed = 1;
}

static void release_tree(wdf_obj *o, int quiet)
{
    wdf_obj *c;
    while ((c = o->child_head)) {
        unlink_child(c);
        if (!c->released)
            release_tree(c, quiet);
    }
    o->released = 1;
    wdf_obj_unref(o, quiet);
}

void wdf_obj_delete(wdf_obj *o, int quiet)
{
    if (o->disposing)
        return;
    dispose_tree(o, quiet);
    unlink_child(o);
    if (!o->released)
        release_tree(o, quiet);
}

void wdf_obj_discard(wdf_obj *o)
{
    for (wdf_ctx *c = o->ctx; c; c = c->next)
        c->cleanup = NULL, c->destroy = NULL;
    wdf_obj_delete(o, 0);
}

/* ---------------------------------------------------------------- the methods */

PVOID WdfObjectGetTypedContextWorker(WDFOBJECT Handle, PCWDF_OBJECT_CONTEXT_TYPE_INFO TypeInfo)
{
    wdf_obj *o = wdf_handle_disposed_ok(Handle, 0, "WdfObjectGetTypedContextWorker");
    if (!o)
        return NULL;
    if (!TypeInfo) {
        wdf_bugcheck(o->m, "WdfObjectGetTypedContextWorker", "a NULL TypeInfo");
        return NULL;
    }
    emu_lock(o->m);
    void *found = NULL;
    for (wdf_ctx *c = o->ctx; c && !found; c = c->next)
        if (c->type && (c->type == TypeInfo || (c->type->Size == sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO) &&
                                                TypeInfo->Size == sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO) &&
                                                c->type->UniqueType && c->type->UniqueType == TypeInfo->UniqueType)))
            found = c->data;
    emu_unlock(o->m);
    return found;
}

NTSTATUS WdfObjectAllocateContext(WDFOBJECT Handle, PWDF_OBJECT_ATTRIBUTES ContextAttributes, PVOID *Context)
{
    wdf_obj *o = wdf_handle(Handle, 0, "WdfObjectAllocateContext");
    if (!o)
        return STATUS_INVALID_HANDLE;
    emu_lock(o->m);
    NTSTATUS st = wdf_validate_attributes(ContextAttributes, WDF_VAL_ATTRIBUTES_REQUIRED | WDF_VAL_PARENT_NOT_ALLOWED);
    if (st != STATUS_SUCCESS)
        goto out;
    if (!ContextAttributes->ContextTypeInfo) {
        st = STATUS_OBJECT_NAME_INVALID;
        goto out;
    }
    if (o->disposing) {
        st = STATUS_DELETE_PENDING;
        goto out;
    }
    wdf_ctx **tail = &o->ctx;
    for (wdf_ctx *c = o->ctx; c; c = c->next) {
        if (c->type == ContextAttributes->ContextTypeInfo) {
            if (Context)
                *Context = c->data;
            st = STATUS_OBJECT_NAME_EXISTS;
            goto out;
        }
        tail = &c->next;
    }
    if (emu_fault(o->m, "WdfObjectAllocateContext", &st))
        goto out;
    wdf_ctx *n;
    if ((st = ctx_new(ContextAttributes, &n)) != STATUS_SUCCESS)
        goto out;
    *tail = n;
    if (Context)
        *Context = n->data;
out:
    emu_unlock(o->m);
    return st;
}

VOID WdfObjectDelete(WDFOBJECT Object)
{
    wdf_obj *o = wdf_handle_disposed_ok(Object, 0, "WdfObjectDelete");
    if (!o)
        return;
    pnpbox_machine *m = o->m; /* o may be freed by the deletion */
    emu_lock(m);
    if (o->no_delete_ddi)
        wdf_bugcheck(m, "WdfObjectDelete", "%s %p cannot be deleted by the driver (the framework owns it)",
                     type_name(o->type), (void *)o);
    else if (!o->disposing)
        wdf_obj_delete(o, 0);
    emu_unlock(m);
}

VOID WdfObjectReferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCHAR File)
{
    (void)Tag, (void)Line, (void)File;
    wdf_obj *o = wdf_handle_disposed_ok(Handle, 0, "WdfObjectReference");
    if (!o)
        return;
    emu_lock(o->m);
    wdf_obj_ref(o);
    emu_unlock(o->m);
}

VOID WdfObjectDereferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCHAR File)
{
    (void)Tag, (void)Line, (void)File;
    wdf_obj *o = wdf_handle_disposed_ok(Handle, 0, "WdfObjectDereference");
    if (!o)
        return;
    pnpbox_machine *m = o->m;
    emu_lock(m);
    wdf_obj_unref(o, 0);
    emu_unlock(m);
}
