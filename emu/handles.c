/*
 * handles.c: the machine's handle table.  Every HANDLE, HKEY and file
 * handle a mock API returns is a slot here holding the object, the granted
 * access and the provenance (DESIGN.md "Handle").  Handle values are
 * (slot + 1) * 4, like Windows' handle values (multiples of 4, never 0),
 * and freed slots are reused, as Windows reuses handle values.  Each entry
 * is its own allocation, so an emu_handle pointer stays valid while other
 * handles are opened, until its own handle is closed.
 */
#include "emu/emu.h"

#include <stddef.h>

#include <ntstatus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static __thread char origin_buf[4][160];
static __thread int origin_next;

const char *emu_prov_origin(const emu_prov *p)
{
    if (!p || !p->api)
        return "none";
    if (!p->sel)
        return p->api;
    char *b = origin_buf[origin_next++ & 3];
    snprintf(b, sizeof origin_buf[0], "%s/%s", p->api, p->sel);
    return b;
}

void emu_prov_copy(emu_prov *dst, const emu_prov *src)
{
    *dst = *src;
    dst->scope_path = src->scope_path ? strdup(src->scope_path) : NULL;
}

void emu_prov_free(emu_prov *p)
{
    free(p->scope_path);
    p->scope_path = NULL;
}

/* The layout emu.h promises: what a repeated access through a handle reads is in its first
 * two cache lines (the entry's own fields, then the first memo slot up to its verdict summary). */
_Static_assert(offsetof(emu_handle, fold) == 64, "emu_handle: the memo must start the second cache line");
_Static_assert(offsetof(emu_fold_slot, verdict) + offsetof(emu_verdict, outcome) + sizeof(pnpbox_outcome) <= 64,
               "emu_fold_slot: identity, event and verdict summary must fit one cache line");
_Static_assert(offsetof(pnpbox_machine, reg) + sizeof(regdb *) <= 64 &&
                   offsetof(pnpbox_machine, audit) + offsetof(emu_event_store, cap) <= 128,
               "pnpbox_machine: the fields every access reads must be in its first two cache lines");

void *emu_handle_new(pnpbox_machine *m, const emu_handle *h)
{
    int slot;
    emu_lock(m);
    if (m->nfree) {
        slot = m->hfree[--m->nfree];
    } else {
        if (m->nhandles == m->handles_cap) {
            int cap = m->handles_cap ? m->handles_cap * 2 : 64;
            emu_handle **p = realloc(m->handles, (size_t)cap * sizeof *p);
            if (!p) {
                emu_unlock(m);
                return NULL;
            }
            m->handles = p;
            int *f = realloc(m->hfree, (size_t)cap * sizeof *f);
            if (!f) {
                emu_unlock(m);
                return NULL;
            }
            m->hfree = f;
            m->handles_cap = m->free_cap = cap;
        }
        slot = m->nhandles++;
        m->handles[slot] = NULL;
    }
    /* On a cache-line boundary, so the fields a repeated access reads share lines (emu.h). */
    emu_handle *e = aligned_alloc(64, (sizeof *e + 63) / 64 * 64);
    if (!e) {
        /* Give the slot back. */
        m->hfree[m->nfree++] = slot;
        emu_unlock(m);
        return NULL;
    }
    *e = *h;
    m->handles[slot] = e;
    emu_unlock(m);
    return (void *)(uintptr_t)(((uintptr_t)slot + 1) * 4);
}

static int slot_of(pnpbox_machine *m, void *h)
{
    uintptr_t v = (uintptr_t)h;
    if (!v || v % 4)
        return -1;
    uintptr_t slot = v / 4 - 1;
    if (slot >= (uintptr_t)m->nhandles || !m->handles[slot])
        return -1;
    return (int)slot;
}

/* Hot: every call through a handle starts here (see reg_core.c). */
__attribute__((hot)) emu_handle *emu_handle_get(pnpbox_machine *m, void *h, emu_htype type)
{
    if (!m)
        return NULL;
    emu_lock(m);
    int s = slot_of(m, h);
    emu_handle *e = s >= 0 ? m->handles[s] : NULL;
    if (e && type && e->type != type)
        e = NULL;
    emu_unlock(m);
    return e;
}

emu_status emu_handle_close(pnpbox_machine *m, void *h)
{
    if (!m)
        return STATUS_INVALID_HANDLE;
    emu_lock(m);
    int s = slot_of(m, h);
    if (s < 0) {
        emu_unlock(m);
        return STATUS_INVALID_HANDLE;
    }
    emu_handle *e = m->handles[s];
    m->handles[s] = NULL;
    m->hfree[m->nfree++] = s; /* hfree has room for every slot (see emu_handle_new) */
    emu_status st = STATUS_SUCCESS;
    if (e->close_fn)
        e->close_fn(m, e);
    if (e->file) {
        int rc = boxfs_close(e->file);
        if (rc < 0)
            st = emu_status_from_boxfs(rc);
    }
    emu_prov_free(&e->prov);
    free(e->path);
    free(e);
    emu_unlock(m);
    return st;
}

size_t emu_handle_count(pnpbox_machine *m, emu_htype type)
{
    size_t n = 0;
    emu_lock(m);
    for (int i = 0; i < m->nhandles; i++)
        if (m->handles[i] && (!type || m->handles[i]->type == type))
            n++;
    emu_unlock(m);
    return n;
}
