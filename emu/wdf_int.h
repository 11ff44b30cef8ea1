/*
 * wdf_int.h: the private state of pnpbox's KMDF (emu/wdf_*.c): framework
 * objects and their handles, the driver and device objects, and the
 * helpers the files share.
 *
 * Object model (KMDF's, reduced to what drivers observe):
 *   - Every WDF object is a wdf_obj first member of its typed struct.  A
 *     handle (WDFDRIVER, WDFKEY ...) is the object's address; a process-wide
 *     set of live objects lets every API check a handle before touching it,
 *     so a stale or forged handle is a logged bug check, never a crash.
 *   - Objects form a tree: the driver is the root, devices and (by default)
 *     keys, strings and collections are its children.  Deleting an object
 *     first disposes its subtree (EvtCleanupCallback, children before
 *     parents), then drops each object's creation reference; an object
 *     whose count reaches zero gets its EvtDestroyCallback and is freed
 *     (children before parents).  WdfObjectReference keeps memory alive
 *     past deletion.
 *   - Context areas (WDF_OBJECT_ATTRIBUTES ContextTypeInfo, and later
 *     WdfObjectAllocateContext) are a list; the first entry carries the
 *     creation attributes' callbacks even when it has no type.
 *
 * Everything runs under the owning machine's lock (emu_lock); driver
 * callbacks run with it held, as every other pnpbox call into driver code.
 */
#ifndef EMU_WDF_INT_H
#define EMU_WDF_INT_H

#include <wdf.h>

#include "emu/pnp.h"

#include <stdint.h>

typedef enum wdf_otype {
    WDF_OT_DRIVER = 1,
    WDF_OT_DEVICE,
    WDF_OT_KEY,
    WDF_OT_STRING,
    WDF_OT_COLLECTION,
    WDF_OT_RESLIST,
} wdf_otype;

/* A context area (the creation attributes' one, then WdfObjectAllocateContext's). */
typedef struct wdf_ctx wdf_ctx;
struct wdf_ctx {
    wdf_ctx *next;
    PCWDF_OBJECT_CONTEXT_TYPE_INFO type; /* NULL: callbacks only */
    PFN_WDF_OBJECT_CONTEXT_CLEANUP cleanup;
    PFN_WDF_OBJECT_CONTEXT_DESTROY destroy;
    size_t size;
    unsigned char data[] __attribute__((aligned(16)));
};

typedef struct wdf_obj wdf_obj;
typedef struct wdf_driver wdf_driver;

struct wdf_obj {
    uint32_t magic;
    wdf_otype type;
    pnpbox_machine *m;
    wdf_driver *drv;          /* the driver the object belongs to (itself for a WDFDRIVER); not to be
                                 used once the object is disposed (the driver may be gone) */
    pnpbox_component *comp;   /* the driver's component: callbacks run as it */
    wdf_obj *parent;          /* NULL for the driver, and once detached during deletion */
    wdf_obj *child_head, *child_tail, *sib_prev, *sib_next;
    wdf_obj *all_prev, *all_next; /* every object of the driver, until its memory is freed */
    wdf_ctx *ctx;
    long refs;                /* creation reference (until deleted) + WdfObjectReference + collections */
    int disposing;            /* deletion started: cleanup callbacks are running */
    int disposed;             /* cleanup done: only context access and references remain valid */
    int released;             /* the creation reference has been dropped */
    int no_delete_ddi;        /* WdfObjectDelete is refused (WDFDRIVER, PnP WDFDEVICE) */
    /* Type hooks: dispose runs after the object's cleanup callbacks (close a key, empty a
     * collection); fin frees what the typed struct owns just before the memory goes. */
    void (*dispose)(wdf_obj *o, int quiet);
    void (*fin)(wdf_obj *o);
};

/* The framework driver object. */
struct wdf_driver {
    wdf_obj o;
    emu_driver *ed;
    PDRIVER_OBJECT wdm;
    WDF_DRIVER_CONFIG config;
    uint16_t *regpath;        /* NUL-terminated copy of the registry path */
    void *anchor;             /* EMU_H_OTHER handle: frees the tree if the machine goes first */
    int dispatch_override;    /* the framework owns the WDM dispatch table */
    wdf_obj *all_head;        /* the driver's other objects whose memory is not freed yet */
    int fin_pending;          /* finalized while objects referenced past deletion remain */
    int tearing_down;         /* the machine is going away: anchor_close frees the driver itself */
    wdf_driver *next;         /* the process-wide driver list */
};

typedef struct wdf_iface {
    GUID cls;
    UNICODE_STRING ref;       /* malloc'd copy (Buffer NULL: none) */
    UNICODE_STRING link;      /* from IoRegisterDeviceInterface (pool) */
    int auto_enable;          /* created before the start: enabled when the device starts */
    int on;                   /* enabled through IoSetDeviceInterfaceState */
    struct wdf_iface *next;
} wdf_iface;

enum wdf_dev_state {
    WDF_DEV_ADDED = 0,        /* created in EvtDriverDeviceAdd, not started */
    WDF_DEV_STARTED,
    WDF_DEV_FAILED,           /* START failed: hardware released */
    WDF_DEV_SURPRISE,         /* surprise-removed: hardware released */
    WDF_DEV_REMOVED,
};

typedef struct wdf_device {
    wdf_obj o;
    PDEVICE_OBJECT fdo, lower, pdo;
    WDF_PNPPOWER_EVENT_CALLBACKS cb;
    int filter;
    enum wdf_dev_state state;
    int starting;             /* inside IRP_MN_START_DEVICE processing */
    int smio_init;            /* EvtDeviceSelfManagedIoInit succeeded */
    wdf_obj *res_raw, *res_trans;
    wdf_iface *ifaces;
} wdf_device;

#define WDF_INIT_MAGIC 0x54494e49u /* "INIT" */

/* WDFDEVICE_INIT: lives from the framework's AddDevice until EvtDriverDeviceAdd returns. */
struct WDFDEVICE_INIT {
    uint32_t magic;
    wdf_driver *drv;
    PDEVICE_OBJECT pdo;
    WDF_PNPPOWER_EVENT_CALLBACKS cb;
    DEVICE_TYPE devtype;
    ULONG characteristics;
    int filter;
    wdf_device *created;
};

typedef struct wdf_key {
    wdf_obj o;
    HANDLE h;                 /* the kernel key handle (EMU_H_KEY) */
    regdb_key key;            /* to recognise the handle when closing it */
} wdf_key;

typedef struct wdf_string {
    wdf_obj o;
    UNICODE_STRING s;         /* Buffer malloc'd, NUL-terminated when not NULL */
} wdf_string;

typedef struct wdf_collection {
    wdf_obj o;
    wdf_obj **items;
    ULONG n, cap;
} wdf_collection;

/* ---------------------------------------------------------------- wdf_object.c */

/* The process-wide set of live framework pointers (objects and WDFDEVICE_INITs). */
int wdf_live_add(const void *p);
void wdf_live_del(const void *p);
int wdf_live_has(const void *p);

/* A bug check Windows would raise, written to the machine's log (m may be NULL: current machine). */
void wdf_bugcheck(pnpbox_machine *m, const char *api, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Resolve a handle of the given type (0: any object) for api; NULL after
 * logging the bug check when it is NULL, not a live object, of another
 * type, or already disposed (its cleanup has run: the documentation allows
 * only its EvtDestroyCallback to touch it then).  The caller then returns
 * STATUS_INVALID_HANDLE (or NULL / 0).  wdf_handle_disposed_ok accepts
 * disposed objects (context access, references).
 */
wdf_obj *wdf_handle(void *h, wdf_otype type, const char *api);
wdf_obj *wdf_handle_disposed_ok(void *h, wdf_otype type, const char *api);
/* The same for a WDFDEVICE_INIT pointer. */
PWDFDEVICE_INIT wdf_init_handle(PWDFDEVICE_INIT init, const char *api);

/* Validation options of WDF_OBJECT_ATTRIBUTES (KMDF's FX_VALIDATE_OPTION_*). */
enum {
    WDF_VAL_PARENT_NOT_ALLOWED = 0x1,
    WDF_VAL_EXEC_LEVEL_ALLOWED = 0x2,
    WDF_VAL_SYNC_SCOPE_ALLOWED = 0x4,
    WDF_VAL_ATTRIBUTES_REQUIRED = 0x8,
    WDF_VAL_PARENT_REQUIRED = 0x10,
};
/* Check attributes as KMDF does (STATUS_INFO_LENGTH_MISMATCH, STATUS_WDF_*). */
NTSTATUS wdf_validate_attributes(const WDF_OBJECT_ATTRIBUTES *a, unsigned flags);
/* Check a counted string as KMDF does (STATUS_INVALID_PARAMETER). */
NTSTATUS wdf_validate_ustr(const UNICODE_STRING *s);

/*
 * Allocate an object of `size` bytes (the typed struct) with the context
 * and callbacks of attrs (already validated), owned by drv, as a child of
 * attrs->ParentObject or of default_parent (NULL: no parent, for the
 * driver itself).  *out is zeroed memory with the wdf_obj filled in and
 * live.  api names the calling method (fault injection, bug checks).
 * STATUS_INSUFFICIENT_RESOURCES (also for a context too large to
 * allocate), or for a bad ParentObject STATUS_INVALID_HANDLE (logged) /
 * STATUS_DELETE_PENDING (the parent is being deleted).
 */
NTSTATUS wdf_obj_create(pnpbox_machine *m, const char *api, wdf_driver *drv, wdf_otype type, size_t size,
                        const WDF_OBJECT_ATTRIBUTES *attrs, wdf_obj *default_parent, wdf_obj **out);
/* Undo a create that failed later: no callbacks run (KMDF's DeleteFromFailedCreate). */
void wdf_obj_discard(wdf_obj *o);
/*
 * Delete an object and its subtree.  quiet: the machine is going away,
 * no driver callbacks run and nothing outside pnpbox's memory is touched.
 */
void wdf_obj_delete(wdf_obj *o, int quiet);
void wdf_obj_ref(wdf_obj *o);
void wdf_obj_unref(wdf_obj *o, int quiet);

/* Free a driver's whole tree without calling into it (the machine is going away). */
void wdf_driver_teardown_quiet(wdf_driver *d);
/* The WDFDRIVER of the calling component on m, or NULL. */
wdf_driver *wdf_current_driver(pnpbox_machine *m);
/* The WDFDRIVER of a DRIVER_OBJECT, or NULL. */
wdf_driver *wdf_driver_of(PDRIVER_OBJECT d);
void wdf_driver_list_add(wdf_driver *d);
void wdf_driver_list_del(wdf_driver *d);

/* Run stmt as the object's driver component. */
#define WDF_AS(o, stmt) EMU_AS((o)->comp, stmt)

/* ---------------------------------------------------------------- wdf_driver.c / wdf_device.c */

/* The framework's dispatch routine, AddDevice and unload (installed in DRIVER_OBJECTs). */
NTSTATUS wdf_dispatch(PDEVICE_OBJECT dev, PIRP irp);
NTSTATUS wdf_add_device(PDRIVER_OBJECT d, PDEVICE_OBJECT pdo);
void wdf_unload(PDRIVER_OBJECT d);
/* Put the Win32 path of the directory handle h (from IoGetDriverDirectory / IoGetDeviceDirectory) into s;
 * closes h. */
NTSTATUS wdf_dir_string(pnpbox_machine *m, wdf_string *s, HANDLE h);

/* ---------------------------------------------------------------- wdf_string.c */

/* Replace a string object's text (KMDF's FxDuplicateUnicodeString): STATUS_INTEGER_OVERFLOW for a
 * 0xFFFF-byte source, STATUS_INSUFFICIENT_RESOURCES. */
NTSTATUS wdf_string_assign(wdf_string *s, const uint16_t *text, USHORT bytes);
/* A new string object for drv (parent from attrs or the driver); with assign, holding a copy of text
 * (bytes long, text may be NULL when bytes is 0), else empty without a buffer. */
NTSTATUS wdf_string_new(pnpbox_machine *m, wdf_driver *drv, const WDF_OBJECT_ATTRIBUTES *attrs, int assign,
                        const uint16_t *text, USHORT bytes, wdf_string **out);
NTSTATUS wdf_collection_append(wdf_collection *c, wdf_obj *o);
void wdf_collection_remove_at(wdf_collection *c, ULONG i, int quiet);

#endif
