/*
 * pnp.h: the PnP manager's state and internals, shared by the emu/ files
 * that implement the I/O manager (k_io.c), the PnP lifecycle (pnp.c), the
 * isolation APIs (k_iso.c), device interfaces (iface.c) and KMDF.
 *
 * Model (what Windows has, reduced to what drivers can observe):
 *   - A driver is a service (CCS\Services\<svc>) plus its code: a DRIVER_OBJECT
 *     whose DriverExtension->ServiceKeyName is <svc> and whose RegistryPath
 *     is \Registry\Machine\System\CurrentControlSet\Services\<svc>.  Code is
 *     either linked into the test (an entry point registered for the service)
 *     or a shared object exporting DriverEntry.
 *   - A devnode is an Enum\<enumerator>\<device>\<instance> key plus a PDO
 *     owned by pnpbox's root bus driver, which answers the PnP IRPs a bus
 *     driver answers.  Its stack: lower filters, the function driver (the
 *     Service value), upper filters, each attached by its AddDevice.
 *   - Every call into driver code runs as that driver's component.
 *
 * Everything is synchronous: an IRP a driver pends must be completed before
 * the PnP manager's wait gives up (work items queued meanwhile are run).
 */
#ifndef EMU_PNP_H
#define EMU_PNP_H

#include "emu/emu.h"

#include <wdm.h>

typedef struct emu_driver emu_driver;
typedef struct emu_devnode emu_devnode;
typedef struct emu_notify emu_notify;

struct emu_driver {
    DRIVER_OBJECT obj;      /* first: a PDRIVER_OBJECT is an emu_driver * */
    DRIVER_EXTENSION ext;
    pnpbox_machine *m;
    pnpbox_component *comp;
    char *service;          /* UTF-8 */
    uint16_t *wservice;     /* ServiceKeyName's buffer */
    uint16_t *wregpath;     /* RegistryPath's buffer */
    uint16_t *wdrvname;     /* DriverName's buffer */
    UNICODE_STRING regpath;
    PDRIVER_INITIALIZE entry; /* linked-in entry point, or from the shared object */
    void *dl;               /* dlopen handle */
    char *so_path;
    int loaded;             /* DriverEntry succeeded and DriverUnload has not run */
    int is_bus;             /* pnpbox's root bus driver */
    char *image_vpath;      /* volume path of the image (from ImagePath), or NULL */
    char *image_nt;         /* ImagePath as an NT name (\SystemRoot\...), or NULL */
    /* Called (once) when DriverEntry returns an error: a framework that took
     * the driver over in DriverEntry (KMDF's WdfDriverCreate) deletes its
     * driver object then, as KMDF does; NULL otherwise. */
    void (*entry_failed)(emu_driver *d);
    emu_driver *next;
};

/* Per DEVICE_OBJECT bookkeeping (DeviceObject->DeviceObjectExtension). */
typedef struct emu_devobj {
    PDEVICE_OBJECT dev;
    emu_driver *drv;
    emu_devnode *dn;        /* the devnode whose stack it is in (set at attach / for PDOs) */
    int is_pdo;
    int deleted;            /* IoDeleteDevice called (freed when the reference count allows) */
    PDEVICE_OBJECT lower;   /* the device it is attached to */
    char *name;             /* \Device\... name, or NULL */
} emu_devobj;

enum emu_dn_state {
    EMU_DN_INITIALIZED = 0, /* Enum key and PDO exist, no stack */
    EMU_DN_STARTED,
    EMU_DN_FAILED,          /* AddDevice or START failed */
    EMU_DN_REMOVED,
};

struct emu_devnode {
    pnpbox_machine *m;
    char *instance;         /* "ROOT\SAMPLE\0000" as stored */
    regdb_key key;          /* Enum\<instance> */
    PDEVICE_OBJECT pdo;
    enum emu_dn_state state;
    uint32_t problem;       /* CM_PROB_* when failed */
    NTSTATUS problem_status;
    int arrivals_held;      /* interface arrivals wait until START completes */
    emu_devnode *next;
};

/* Kernel-mode PnP notification registration. */
struct emu_notify {
    IO_NOTIFICATION_EVENT_CATEGORY category;
    GUID cls;               /* interface class for DeviceInterfaceChange */
    PDRIVER_OBJECT drv;
    PDRIVER_NOTIFICATION_CALLBACK_ROUTINE cb;
    void *ctx;
    pnpbox_component *comp;
    int unregistered;
    emu_notify *next;
};

/* User-mode listeners (cfgmgr32) hook in here without pnp knowing them. */
typedef void (*emu_iface_listener)(pnpbox_machine *m, const GUID *cls, const uint16_t *link, size_t n,
                                   int arrival, void *ctx);

struct emu_pnp {
    emu_driver *drivers;
    emu_devnode *devnodes;
    emu_driver *bus;
    emu_notify *notifies;
    struct {
        emu_iface_listener fn;
        void *ctx;
    } listeners[16];
    int nlisteners;
    struct emu_symlink *symlinks;        /* IoCreateSymbolicLink names */
    char **reboot_list;                  /* devices to start again after a reboot */
    int reboot_pending;
};

emu_pnp *emu_pnp_get(pnpbox_machine *m);
void emu_pnp_free(pnpbox_machine *m);
/* A reboot in two halves: stop everything (before the registry's volatile
 * state is cleared), then start the devices that were running. */
int emu_pnp_reboot(pnpbox_machine *m);
int emu_pnp_boot(pnpbox_machine *m);

/* Drivers */
emu_driver *emu_driver_find(pnpbox_machine *m, const char *service);
emu_driver *emu_driver_from_obj(PDRIVER_OBJECT d); /* NULL if not a driver object pnpbox made */
/* Run fn as the driver's component (and restore the caller's). */
#define EMU_AS(drv_or_comp, stmt)                                                                  \
    do {                                                                                           \
        pnpbox_component *emu_as_prev_ = pnpbox_enter(drv_or_comp);                                \
        stmt;                                                                                      \
        pnpbox_enter(emu_as_prev_);                                                                \
    } while (0)

/* Devices */
emu_devobj *emu_devobj_of(PDEVICE_OBJECT d);   /* NULL if not a device object pnpbox made */
emu_devnode *emu_devnode_find(pnpbox_machine *m, const char *instance);
emu_devnode *emu_devnode_of_pdo(PDEVICE_OBJECT pdo); /* NULL if not a PDO */
/* The devnode of any device in a stack (PDO, filter or FDO). */
emu_devnode *emu_devnode_of(PDEVICE_OBJECT d);
/* Make the PDO of a devnode whose Enum key exists. */
int emu_devnode_attach(pnpbox_machine *m, const char *instance, emu_devnode **out);

/* Send a PnP IRP to the top of a devnode's stack and wait for it; *info gets
 * IoStatus.Information.  Returns the IRP's final status. */
NTSTATUS emu_pnp_send(emu_devnode *dn, UCHAR minor, const IO_STACK_LOCATION *params, ULONG_PTR *info);

/* Interfaces (iface.c) */
void emu_iface_devnode_started(emu_devnode *dn);   /* deliver held arrivals */
void emu_iface_devnode_removed(emu_devnode *dn);   /* disable what is still enabled */
int emu_iface_add_listener(pnpbox_machine *m, emu_iface_listener fn, void *ctx);
void emu_iface_remove_listener(pnpbox_machine *m, emu_iface_listener fn, void *ctx);

/* Device properties stored under Enum\<instance>\Properties\{fmtid}\<pid>
 * (devprop.c): value "" of registry type 0xFFFF0000 | DEVPROPTYPE. */
int emu_devprop_set(pnpbox_machine *m, regdb_key inst, const GUID *fmtid, uint32_t pid, uint32_t type,
                    const void *data, size_t len);
int emu_devprop_get(pnpbox_machine *m, regdb_key inst, const GUID *fmtid, uint32_t pid, uint32_t *type,
                    void **data, size_t *len); /* *data malloc'd */

#endif
