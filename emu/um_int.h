/*
 * um_int.h: what the user-mode API files (emu/um_*.c) share.
 *
 * The user-mode surface (kernel32, advapi32 registry and services,
 * cfgmgr32) is a thin layer over the spine and the API-independent cores
 * (reg_core.c, file_core.c), with Win32 conventions: a thread-local last
 * error, predefined HKEYs, Win32 paths, CONFIGRET codes.  The files that
 * implement it include <windows.h>; the few things that need the kernel's
 * types (events, NT information classes, the PnP manager's devnodes and
 * listeners) are reached through um_kbridge.c, the one user-mode file that
 * includes <wdm.h>.  This header therefore uses plain C types only.
 *
 * Every entry point takes the machine lock with um_enter() and releases it
 * with emu_unlock() on every path.
 */
#ifndef EMU_UM_INT_H
#define EMU_UM_INT_H

#include "emu/emu.h"
#include "emu/reg_core.h"

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- runtime (um_base.c, um_run.c) */

/* The machine user-mode calls run against: the one `pnpbox run` or
 * pnpbox_attach gave this process, else the current one (the embedded
 * default when there is none).  NULL only when no machine can be made. */
static inline pnpbox_machine *um_machine(void) { return emu_machine(); }
/* um_machine() and emu_lock() it; NULL (nothing locked) when no machine.  Inline, as the
 * lock's fast path is: every user-mode call starts here. */
static inline pnpbox_machine *um_enter(void)
{
    pnpbox_machine *m = um_machine();
    if (m)
        emu_lock(m);
    return m;
}

/* The calling thread's last error (GetLastError / SetLastError). */
void um_set_error(uint32_t err);
uint32_t um_get_error(void);

/* The service name this process runs as (pnpbox run --service, pnpbox_attach), or NULL. */
const char *um_process_service(void);
/* The image path set for component c by pnpbox_um_set_image (malloc'd UTF-16 copy owned here), or NULL. */
const uint16_t *um_process_image(const pnpbox_component *c);
/*
 * Record a Win32 service component's image directory (from its ImagePath)
 * for the rules: a component may read its own image directory.  Not when
 * the process set an image for it (pnpbox_um_set_image).  m locked.
 */
void um_service_note_image(pnpbox_machine *m, pnpbox_component *c);

/* ---------------------------------------------------------------- environment (um_base.c) */

/*
 * Expand %NAME% references in src (n units) against the machine's
 * environment into a malloc'd, NUL-terminated string (*out, *out_len units
 * without the NUL).  Unknown names stay as written, as Windows leaves
 * them.  0, or -ENOMEM.  The caller holds the machine lock.
 */
int um_env_expand(pnpbox_machine *m, const uint16_t *src, size_t n, uint16_t **out, size_t *out_len);

/* ---------------------------------------------------------------- small helpers (um_base.c) */

/* UTF-16 length of a NUL-terminated string, NULL -> 0 (inline: value names are short). */
static inline size_t um_wcslen(const void *s)
{
    const uint16_t *p = s;
    size_t n = 0;
    if (p)
        while (p[n])
            n++;
    return n;
}
/* "%s" of a UTF-16 string for messages (malloc'd UTF-8, U+FFFD for bad units). */
char *um_u8(const uint16_t *s, size_t n);
/* A Win32 path to the NT name "\??\C:\..." (malloc'd, NUL-terminated, *n units); a Win32 error. */
uint32_t um_win32_to_nt(const uint16_t *path, size_t len, uint16_t **nt, size_t *n, char **vpath);

/* ---------------------------------------------------------------- registry (um_reg.c) */

/* Which predefined key a HKEY value is: 0 none (a handle), 1 a mapped key (*path its
 * \REGISTRY name), -1 a predefined key pnpbox does not have (performance data ...). */
int um_predef(const void *hkey, const char **path);

/*
 * A key handle from an approved user-mode API (CM_Open_DevNode_Key,
 * GetServiceRegistryStateKey ...): judge the open of rel (relative to
 * base, m->ccs for ControlSet001) with prov, create it (and missing
 * parents) when create is set and it is missing, and hand out a user
 * handle with the mapped access.  Recorded under api.  Returns an
 * NTSTATUS: OBJECT_NAME_NOT_FOUND when missing and not created,
 * ACCESS_DENIED when enforce mode refuses it.
 */
emu_status um_open_state_key(pnpbox_machine *m, const char *api, regdb_key base, const char *rel, int create,
                             uint32_t access, emu_prov *prov, void *caller, void **out);

/* ---------------------------------------------------------------- cfgmgr32 (um_cfg.c) */

/* Deliver device-instance notifications for state changes seen since the last look. */
size_t um_cfg_pump(pnpbox_machine *m);

/* ---------------------------------------------------------------- the kernel bridge (um_kbridge.c) */

/* Events: ZwCreateEvent (a named one in \BaseNamedObjects), KeSetEvent / KeResetEvent, ZwWaitForSingleObject.
 * ms == 0xFFFFFFFF waits without a time limit.  NTSTATUS results. */
emu_status umk_event_create(pnpbox_machine *m, int manual, int initial, const uint16_t *name, size_t n, void **out,
                            int *existed);
emu_status umk_event_set(pnpbox_machine *m, void *h, int signaled);
emu_status umk_event_wait(pnpbox_machine *m, void *h, uint32_t ms);
/* The event object behind an event handle (what registry notifications signal), or NULL. */
void *umk_event_object(pnpbox_machine *m, void *h);

/* One directory entry of a directory query. */
typedef struct umk_dirent {
    uint32_t attributes;
    int64_t creation_time, access_time, write_time;
    uint64_t size;
    uint16_t name[256];
    size_t name_len;
    uint16_t short_name[13];
    size_t short_len;
} umk_dirent;

/* The next entry of a directory handle (restart: start over with mask). NTSTATUS: NO_SUCH_FILE (nothing
 * matched the first time), NO_MORE_FILES, or the error. */
emu_status umk_dir_next(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, const uint16_t *mask,
                        size_t mask_len, int restart, umk_dirent *out);
/* Rename through a handle (FileRenameInformation with an absolute NT target). */
emu_status umk_file_rename(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, const uint16_t *target,
                           size_t n, int replace);
/* EndOfFile and directory flag of a file handle. */
emu_status umk_file_size(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, uint64_t *size,
                         int *is_dir);

/* A devnode as cfgmgr32 sees it. */
typedef struct umk_devnode {
    const char *instance; /* as the PnP manager holds it */
    regdb_key key;        /* Enum\<instance> */
    int present;          /* in the device tree (attached, not removed) */
    int started;
    uint32_t problem;     /* CM_PROB_* */
} umk_devnode;

/* The PnP manager's devnode for an instance (case-insensitive); 0 when it has none. */
int umk_devnode_find(pnpbox_machine *m, const char *instance, umk_devnode *out);
/* Visit every devnode the PnP manager holds. */
void umk_devnode_each(pnpbox_machine *m, void (*fn)(void *ctx, const umk_devnode *d), void *ctx);

/* Interface arrival / removal listeners (user-mode form \\?\...). */
typedef void (*umk_iface_fn)(pnpbox_machine *m, const GUID *cls, const uint16_t *link, size_t n, int arrival,
                             void *ctx);
int umk_listener_add(pnpbox_machine *m, umk_iface_fn fn, void *ctx);
void umk_listener_remove(pnpbox_machine *m, umk_iface_fn fn, void *ctx);
/* The ctx a listener fn was added with, or NULL. */
void *umk_listener_ctx(pnpbox_machine *m, umk_iface_fn fn);

/* Is the kernel driver of a service loaded (DriverEntry ran, no DriverUnload yet)? */
int umk_driver_loaded(pnpbox_machine *m, const char *service);

/* Stored device properties (Enum\<inst>\Properties): regdb codes; *data malloc'd. */
int umk_devprop_get(pnpbox_machine *m, regdb_key inst, const GUID *fmtid, uint32_t pid, uint32_t *type, void **data,
                    size_t *len);

#endif
