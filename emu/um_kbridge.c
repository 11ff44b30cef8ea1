/*
 * um_kbridge.c: the user-mode API's bridge to the parts of pnpbox that
 * speak the kernel's types (contract in um_int.h): event objects (k_sync.c),
 * the NT information classes of the file core (directory entries, rename,
 * sizes), and the PnP manager's devnodes, interface listeners and stored
 * device properties (pnp.h).  This is the one emu/um_* file that includes
 * <wdm.h>; the others include <windows.h> and call these helpers with
 * plain C types.  Callers hold the machine lock.
 */
#include <wdm.h>

#include "emu/file_core.h"
#include "emu/kreg.h"
#include "emu/pnp.h"
#include "emu/um_int.h"

#include "base/pb_utf16.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- events */

emu_status umk_event_create(pnpbox_machine *m, int manual, int initial, const uint16_t *name, size_t n, void **out,
                            int *existed)
{
    (void)m;
    *existed = 0;
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING us;
    uint16_t *full = NULL;
    if (name && n) {
        /* Win32 names live in \BaseNamedObjects (the session's directory on Windows; pnpbox has one
         * session).  The Global\ and Local\ prefixes name the same directory here. */
        static const char base[] = "\\BaseNamedObjects\\";
        size_t skip = 0;
        if (n > 7 && pb_wcsieq_ascii(name, 7, "Global\\"))
            skip = 7;
        else if (n > 6 && pb_wcsieq_ascii(name, 6, "Local\\"))
            skip = 6;
        for (size_t i = skip; i < n; i++)
            if (name[i] == '\\')
                return STATUS_OBJECT_PATH_NOT_FOUND; /* no other object directories below the session's */
        size_t bl = sizeof base - 1, total = bl + n - skip;
        if (total * 2 > UNICODE_STRING_MAX_BYTES)
            return STATUS_OBJECT_NAME_INVALID;
        full = malloc((total + 1) * 2);
        if (!full)
            return STATUS_INSUFFICIENT_RESOURCES;
        for (size_t i = 0; i < bl; i++)
            full[i] = (uint16_t)base[i];
        memcpy(full + bl, name + skip, (n - skip) * 2);
        us.Buffer = (PWCH)full;
        us.Length = (USHORT)(total * 2);
        us.MaximumLength = us.Length;
        InitializeObjectAttributes(&oa, &us, OBJ_OPENIF, NULL, NULL);
    } else {
        InitializeObjectAttributes(&oa, NULL, 0, NULL, NULL);
    }
    HANDLE h = NULL;
    NTSTATUS st = ZwCreateEvent(&h, EVENT_ALL_ACCESS, &oa, manual ? NotificationEvent : SynchronizationEvent,
                                initial ? TRUE : FALSE);
    free(full);
    if (st == STATUS_OBJECT_NAME_EXISTS) {
        *existed = 1;
        st = STATUS_SUCCESS;
    }
    if (st == STATUS_SUCCESS) {
        emu_handle *e = emu_handle_get(m, h, EMU_H_EVENT);
        if (e)
            e->flags |= EMU_HF_USER;
        *out = h;
    }
    return st;
}

emu_status umk_event_set(pnpbox_machine *m, void *h, int signaled)
{
    PKEVENT ev;
    NTSTATUS st = emu_event_from_handle(m, h, &ev);
    if (st < 0)
        return st;
    if (signaled)
        KeSetEvent(ev, 0, FALSE);
    else
        KeResetEvent(ev);
    return STATUS_SUCCESS;
}

emu_status umk_event_wait(pnpbox_machine *m, void *h, uint32_t ms)
{
    (void)m;
    LARGE_INTEGER t;
    /* Relative timeouts are negative, in 100 ns units. */
    t.QuadPart = -(LONGLONG)ms * 10000;
    return ZwWaitForSingleObject(h, FALSE, ms == 0xFFFFFFFFu ? NULL : &t);
}

void *umk_event_object(pnpbox_machine *m, void *h)
{
    PKEVENT ev;
    return emu_event_from_handle(m, h, &ev) == STATUS_SUCCESS ? ev : NULL;
}

/* ---------------------------------------------------------------- files */

emu_status umk_dir_next(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, const uint16_t *mask,
                        size_t mask_len, int restart, umk_dirent *out)
{
    /* Room for one entry with the longest NTFS name (255 units). */
    union {
        FILE_BOTH_DIR_INFORMATION info;
        unsigned char bytes[sizeof(FILE_BOTH_DIR_INFORMATION) + 256 * sizeof(WCHAR)];
    } buf;
    uint32_t written = 0;
    emu_status st = emu_file_query_dir(m, e, api, caller, &buf, sizeof buf, FileBothDirectoryInformation, 1, mask,
                                       mask_len, restart, &written);
    if (st != STATUS_SUCCESS)
        return st;
    const FILE_BOTH_DIR_INFORMATION *i = &buf.info;
    memset(out, 0, sizeof *out);
    out->attributes = i->FileAttributes;
    out->creation_time = i->CreationTime.QuadPart;
    out->access_time = i->LastAccessTime.QuadPart;
    out->write_time = i->LastWriteTime.QuadPart;
    out->size = (uint64_t)i->EndOfFile.QuadPart;
    out->name_len = i->FileNameLength / 2;
    if (out->name_len > 255)
        out->name_len = 255;
    memcpy(out->name, buf.bytes + offsetof(FILE_BOTH_DIR_INFORMATION, FileName), out->name_len * 2);
    out->short_len = (size_t)(unsigned char)i->ShortNameLength / 2;
    if (out->short_len > 12)
        out->short_len = 12;
    memcpy(out->short_name, i->ShortName, out->short_len * 2);
    return STATUS_SUCCESS;
}

emu_status umk_file_rename(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, const uint16_t *target,
                           size_t n, int replace)
{
    size_t len = offsetof(FILE_RENAME_INFORMATION, FileName) + n * 2;
    FILE_RENAME_INFORMATION *ri = calloc(1, len + 2);
    if (!ri)
        return STATUS_INSUFFICIENT_RESOURCES;
    ri->ReplaceIfExists = replace ? TRUE : FALSE;
    ri->RootDirectory = NULL;
    ri->FileNameLength = (ULONG)(n * 2);
    memcpy((unsigned char *)ri + offsetof(FILE_RENAME_INFORMATION, FileName), target, n * 2);
    emu_status st = emu_file_set_info(m, e, api, caller, ri, (uint32_t)len, FileRenameInformation);
    free(ri);
    return st;
}

emu_status umk_file_size(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, uint64_t *size,
                         int *is_dir)
{
    FILE_STANDARD_INFORMATION si;
    uint32_t written = 0;
    emu_status st = emu_file_query_info(m, e, api, caller, &si, sizeof si, FileStandardInformation, &written);
    if (st != STATUS_SUCCESS)
        return st;
    *size = (uint64_t)si.EndOfFile.QuadPart;
    *is_dir = si.Directory != 0;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- the PnP manager */

static void fill(const emu_devnode *dn, umk_devnode *out)
{
    out->instance = dn->instance;
    out->key = dn->key;
    out->present = dn->pdo != NULL && dn->state != EMU_DN_REMOVED;
    out->started = dn->state == EMU_DN_STARTED;
    out->problem = dn->problem;
}

int umk_devnode_find(pnpbox_machine *m, const char *instance, umk_devnode *out)
{
    emu_devnode *dn = emu_devnode_find(m, instance);
    if (!dn)
        return 0;
    fill(dn, out);
    return 1;
}

void umk_devnode_each(pnpbox_machine *m, void (*fn)(void *ctx, const umk_devnode *d), void *ctx)
{
    for (emu_devnode *dn = m->pnp ? m->pnp->devnodes : NULL; dn; dn = dn->next) {
        umk_devnode d;
        fill(dn, &d);
        fn(ctx, &d);
    }
}

int umk_listener_add(pnpbox_machine *m, umk_iface_fn fn, void *ctx)
{
    return emu_iface_add_listener(m, fn, ctx);
}

void umk_listener_remove(pnpbox_machine *m, umk_iface_fn fn, void *ctx)
{
    emu_iface_remove_listener(m, fn, ctx);
}

void *umk_listener_ctx(pnpbox_machine *m, umk_iface_fn fn)
{
    emu_pnp *p = m->pnp;
    for (int i = 0; p && i < p->nlisteners; i++)
        if (p->listeners[i].fn == fn)
            return p->listeners[i].ctx;
    return NULL;
}

int umk_driver_loaded(pnpbox_machine *m, const char *service)
{
    emu_driver *d = emu_driver_find(m, service);
    return d && d->loaded;
}

int umk_devprop_get(pnpbox_machine *m, regdb_key inst, const GUID *fmtid, uint32_t pid, uint32_t *type, void **data,
                    size_t *len)
{
    return emu_devprop_get(m, inst, fmtid, pid, type, data, len);
}
