/*
 * wdf_string.c: WDFSTRING and WDFCOLLECTION.
 *
 * A string object holds a counted UTF-16 copy, NUL-terminated as KMDF's
 * FxDuplicateUnicodeString keeps it (MaximumLength = Length + 2; a buffer
 * already large enough is reused; an empty string created without a
 * source has no buffer).  A collection holds references on its items:
 * WdfCollectionAdd takes one, removing an item (or deleting the collection)
 * releases it; the items themselves are not deleted.
 *
 * Where KMDF bug-checks (an index past the end of WdfCollectionRemoveItem,
 * an item not in the collection), pnpbox logs the bug check and changes
 * nothing.
 */
#include "emu/wdf_int.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- strings */

static void string_fin(wdf_obj *o)
{
    wdf_string *s = (wdf_string *)o;
    free(s->s.Buffer);
    s->s.Buffer = NULL;
}

NTSTATUS wdf_string_assign(wdf_string *s, const uint16_t *text, USHORT bytes)
{
    if (bytes > 0xFFFD)
        return STATUS_INTEGER_OVERFLOW; /* Length + the NUL does not fit a USHORT */
    USHORT need = (USHORT)(bytes + 2u);
    if (s->s.MaximumLength < need) {
        PWCH b = malloc(need);
        if (!b)
            return STATUS_INSUFFICIENT_RESOURCES;
        free(s->s.Buffer);
        s->s.Buffer = b;
        s->s.MaximumLength = need;
    }
    if (bytes)
        memmove(s->s.Buffer, text, bytes);
    s->s.Length = (USHORT)(bytes & ~1u);
    s->s.Buffer[s->s.Length / 2] = 0;
    return STATUS_SUCCESS;
}

NTSTATUS wdf_string_new(pnpbox_machine *m, wdf_driver *drv, const WDF_OBJECT_ATTRIBUTES *attrs, int assign,
                        const uint16_t *text, USHORT bytes, wdf_string **out)
{
    wdf_obj *o;
    NTSTATUS st = wdf_obj_create(m, "WdfStringCreate", drv, WDF_OT_STRING, sizeof(wdf_string), attrs, &drv->o, &o);
    if (st != STATUS_SUCCESS)
        return st;
    o->fin = string_fin;
    wdf_string *s = (wdf_string *)o;
    if (assign && (st = wdf_string_assign(s, text, bytes)) != STATUS_SUCCESS) {
        wdf_obj_discard(o);
        return st;
    }
    *out = s;
    return STATUS_SUCCESS;
}

/* The driver new objects belong to: the ParentObject's, else the caller's. */
static wdf_driver *owner_driver(pnpbox_machine **m, const WDF_OBJECT_ATTRIBUTES *attrs, const char *api, NTSTATUS *st)
{
    if (attrs && attrs->Size == sizeof(WDF_OBJECT_ATTRIBUTES) && attrs->ParentObject) {
        wdf_obj *p = wdf_handle(attrs->ParentObject, 0, api);
        if (!p) {
            *st = STATUS_INVALID_HANDLE;
            return NULL;
        }
        *m = p->m;
        return p->drv;
    }
    if (!(*m = emu_machine())) {
        *st = STATUS_INSUFFICIENT_RESOURCES;
        return NULL;
    }
    wdf_driver *d = wdf_current_driver(*m);
    if (!d) {
        wdf_bugcheck(*m, api, "called by '%s', which has no WDFDRIVER (WdfDriverCreate)",
                     pnpbox_component_name(emu_comp()));
        *st = STATUS_INVALID_DEVICE_STATE;
    }
    return d;
}

NTSTATUS WdfStringCreate(PCUNICODE_STRING UnicodeString, PWDF_OBJECT_ATTRIBUTES StringAttributes, WDFSTRING *String)
{
    static const char api[] = "WdfStringCreate";
    pnpbox_machine *m = NULL;
    NTSTATUS st = STATUS_SUCCESS;
    wdf_driver *d = owner_driver(&m, StringAttributes, api, &st);
    if (!d)
        return st;
    if (!String) {
        wdf_bugcheck(m, api, "a NULL String");
        return STATUS_INVALID_PARAMETER;
    }
    emu_lock(m);
    *String = NULL;
    if ((st = wdf_validate_attributes(StringAttributes, 0)) != STATUS_SUCCESS ||
        (UnicodeString && (st = wdf_validate_ustr(UnicodeString)) != STATUS_SUCCESS))
        goto out;
    wdf_string *s;
    st = wdf_string_new(m, d, StringAttributes, UnicodeString != NULL,
                        UnicodeString ? (const uint16_t *)UnicodeString->Buffer : NULL,
                        UnicodeString ? UnicodeString->Length : 0, &s);
    if (st == STATUS_SUCCESS)
        *String = (WDFSTRING)s;
out:
    emu_unlock(m);
    return st;
}

VOID WdfStringGetUnicodeString(WDFSTRING String, PUNICODE_STRING UnicodeString)
{
    static const char api[] = "WdfStringGetUnicodeString";
    wdf_string *s = (wdf_string *)wdf_handle(String, WDF_OT_STRING, api);
    if (!s)
        return;
    if (!UnicodeString) {
        wdf_bugcheck(s->o.m, api, "a NULL UnicodeString");
        return;
    }
    emu_lock(s->o.m);
    *UnicodeString = s->s;
    emu_unlock(s->o.m);
}

/* ---------------------------------------------------------------- collections */

NTSTATUS wdf_collection_append(wdf_collection *c, wdf_obj *o)
{
    if (c->n == c->cap) {
        ULONG cap = c->cap ? c->cap * 2 : 8;
        if (cap < c->cap)
            return STATUS_INSUFFICIENT_RESOURCES;
        wdf_obj **p = realloc(c->items, cap * sizeof *p);
        if (!p)
            return STATUS_INSUFFICIENT_RESOURCES;
        c->items = p;
        c->cap = cap;
    }
    c->items[c->n++] = o;
    wdf_obj_ref(o);
    return STATUS_SUCCESS;
}

void wdf_collection_remove_at(wdf_collection *c, ULONG i, int quiet)
{
    wdf_obj *o = c->items[i];
    memmove(c->items + i, c->items + i + 1, (c->n - i - 1) * sizeof *c->items);
    c->n--;
    wdf_obj_unref(o, quiet);
}

/* Deleting the collection releases its items. */
static void collection_dispose(wdf_obj *o, int quiet)
{
    wdf_collection *c = (wdf_collection *)o;
    while (c->n)
        wdf_collection_remove_at(c, c->n - 1, quiet);
}

static void collection_fin(wdf_obj *o)
{
    wdf_collection *c = (wdf_collection *)o;
    free(c->items);
    c->items = NULL;
    c->n = c->cap = 0;
}

NTSTATUS WdfCollectionCreate(PWDF_OBJECT_ATTRIBUTES CollectionAttributes, WDFCOLLECTION *Collection)
{
    static const char api[] = "WdfCollectionCreate";
    pnpbox_machine *m = NULL;
    NTSTATUS st = STATUS_SUCCESS;
    wdf_driver *d = owner_driver(&m, CollectionAttributes, api, &st);
    if (!d)
        return st;
    if (!Collection) {
        wdf_bugcheck(m, api, "a NULL Collection");
        return STATUS_INVALID_PARAMETER;
    }
    emu_lock(m);
    *Collection = NULL;
    if ((st = wdf_validate_attributes(CollectionAttributes, 0)) != STATUS_SUCCESS)
        goto out;
    wdf_obj *o;
    if ((st = wdf_obj_create(m, api, d, WDF_OT_COLLECTION, sizeof(wdf_collection), CollectionAttributes, &d->o,
                             &o)) != STATUS_SUCCESS)
        goto out;
    o->dispose = collection_dispose;
    o->fin = collection_fin;
    *Collection = (WDFCOLLECTION)o;
out:
    emu_unlock(m);
    return st;
}

ULONG WdfCollectionGetCount(WDFCOLLECTION Collection)
{
    wdf_collection *c = (wdf_collection *)wdf_handle(Collection, WDF_OT_COLLECTION, "WdfCollectionGetCount");
    return c ? c->n : 0;
}

NTSTATUS WdfCollectionAdd(WDFCOLLECTION Collection, WDFOBJECT Object)
{
    static const char api[] = "WdfCollectionAdd";
    wdf_collection *c = (wdf_collection *)wdf_handle(Collection, WDF_OT_COLLECTION, api);
    if (!c)
        return STATUS_INVALID_HANDLE;
    wdf_obj *o = wdf_handle(Object, 0, api);
    if (!o)
        return STATUS_INVALID_HANDLE;
    emu_lock(c->o.m);
    NTSTATUS st;
    if (!emu_fault(c->o.m, api, &st))
        st = wdf_collection_append(c, o);
    emu_unlock(c->o.m);
    return st;
}

VOID WdfCollectionRemove(WDFCOLLECTION Collection, WDFOBJECT Item)
{
    static const char api[] = "WdfCollectionRemove";
    wdf_collection *c = (wdf_collection *)wdf_handle(Collection, WDF_OT_COLLECTION, api);
    if (!c)
        return;
    pnpbox_machine *m = c->o.m; /* a destroy callback may take the collection along */
    emu_lock(m);
    ULONG i = 0;
    while (i < c->n && c->items[i] != (wdf_obj *)Item)
        i++;
    if (i < c->n)
        wdf_collection_remove_at(c, i, 0);
    else
        wdf_bugcheck(m, api, "%p is not in collection %p", Item, (void *)c);
    emu_unlock(m);
}

VOID WdfCollectionRemoveItem(WDFCOLLECTION Collection, ULONG Index)
{
    static const char api[] = "WdfCollectionRemoveItem";
    wdf_collection *c = (wdf_collection *)wdf_handle(Collection, WDF_OT_COLLECTION, api);
    if (!c)
        return;
    pnpbox_machine *m = c->o.m; /* a destroy callback may take the collection along */
    emu_lock(m);
    if (Index < c->n)
        wdf_collection_remove_at(c, Index, 0);
    else
        wdf_bugcheck(m, api, "index %u past the end of collection %p (%u items)", (unsigned)Index, (void *)c,
                     (unsigned)c->n);
    emu_unlock(m);
}

WDFOBJECT WdfCollectionGetItem(WDFCOLLECTION Collection, ULONG Index)
{
    wdf_collection *c = (wdf_collection *)wdf_handle(Collection, WDF_OT_COLLECTION, "WdfCollectionGetItem");
    return c && Index < c->n ? (WDFOBJECT)c->items[Index] : NULL;
}

WDFOBJECT WdfCollectionGetFirstItem(WDFCOLLECTION Collection)
{
    wdf_collection *c = (wdf_collection *)wdf_handle(Collection, WDF_OT_COLLECTION, "WdfCollectionGetFirstItem");
    return c && c->n ? (WDFOBJECT)c->items[0] : NULL;
}

WDFOBJECT WdfCollectionGetLastItem(WDFCOLLECTION Collection)
{
    wdf_collection *c = (wdf_collection *)wdf_handle(Collection, WDF_OT_COLLECTION, "WdfCollectionGetLastItem");
    return c && c->n ? (WDFOBJECT)c->items[c->n - 1] : NULL;
}
