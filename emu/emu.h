/*
 * emu.h: the spine of the emulated machine, shared by every emu/ module.
 *
 * DESIGN.md "The spine": every mock call runs as a component; every
 * HANDLE, HKEY and file handle records its object, granted access and
 * provenance (origin API + selector, owner component, scope); every access
 * becomes an audit event that the isolation rules judge.  This header
 * declares those pieces and the machine that owns them.  It uses plain C
 * types (and <guiddef.h>) so both the kernel-mode and the user-mode API
 * files can include it next to their own WDK/SDK headers.
 *
 * Locking: one recursive mutex per machine (emu_lock/emu_unlock).  Every
 * mock API entry point takes it; FUSE threads take it in the policy
 * callback.  Driver callbacks run with it held, which is why it recurses.
 */
#ifndef EMU_EMU_H
#define EMU_EMU_H

#include "fs/boxfs.h"
#include "pnpbox/pnpbox.h"
#include "regdb/regdb.h"

#include <guiddef.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef int32_t emu_status; /* an NTSTATUS */

/* ---------------------------------------------------------------- status (status.c) */

/* The one table that translates lower-layer codes to Windows statuses. */
emu_status emu_status_from_regdb(int err);
emu_status emu_status_from_boxfs(int err);
/* RtlNtStatusToDosError for the statuses pnpbox returns. */
uint32_t emu_win32_from_status(emu_status st);
/* "STATUS_ACCESS_DENIED" (or "0xC0000022" when unknown); static storage. */
const char *emu_status_name(emu_status st);

/* ---------------------------------------------------------------- components (component.c) */

struct pnpbox_component {
    pnpbox_machine *m;
    int id;
    pnpbox_component_kind kind;
    char *name;           /* UTF-8 (service name for drivers and services) */
    uint16_t *wname;      /* the same in UTF-16, NUL-terminated */
    size_t wname_len;
    /* Interface classes this component registered arrival notifications for
     * (IFACE-NO-NOTIFICATION). */
    GUID *notify_classes;
    int nnotify, notify_cap;
    int notify_all; /* registered for all interface classes */
    /* The directory the component's image runs from (volume path, owned), for
     * user-mode components finding their own files (GetModuleFileNameW). */
    char *image_dir;
    /* Pool accounting (ExAllocatePool*), for the leak report. */
    uint64_t pool_allocs, pool_frees, pool_bytes_live;
};

/* The component the calling thread runs as (never NULL once a machine exists). */
extern __thread pnpbox_component *emu_tls_comp;
pnpbox_component *emu_comp_slow(void);
static inline pnpbox_component *emu_comp(void)
{
    pnpbox_component *c = emu_tls_comp;
    return c ? c : emu_comp_slow();
}
/* Every thread of this process that has not entered a component runs as c
 * (NULL: the harness).  Set by pnpbox_attach for attached programs. */
void emu_set_process_component(pnpbox_component *c);
/* m is being freed: forget a process component of it. */
void emu_comp_machine_gone(pnpbox_machine *m);
pnpbox_component *emu_comp_find(pnpbox_machine *m, pnpbox_component_kind kind, const char *name);
/* Case-insensitive compare of a component's name with a UTF-16 service name. */
int emu_comp_is(const pnpbox_component *c, const uint16_t *svc, size_t n);
/* The component bound to a host process (FUSE callers), or the external one. */
pnpbox_component *emu_comp_for_pid(pnpbox_machine *m, int tgid);
int emu_comp_note_notify(pnpbox_component *c, const GUID *cls); /* NULL: all classes */
int emu_comp_has_notify(const pnpbox_component *c, const GUID *cls);

/* ---------------------------------------------------------------- provenance */

/* What a handle legitimately grants (DESIGN.md "scope"). */
typedef enum emu_scope_kind {
    EMU_SCOPE_NONE = 0,
    EMU_SCOPE_DEVICE_HW,       /* Enum\...\<instance>\Device Parameters */
    EMU_SCOPE_DEVICE_SW,       /* Control\Class\{guid}\NNNN */
    EMU_SCOPE_IFACE,           /* DeviceClasses\...\#ref\Device Parameters */
    EMU_SCOPE_SVC_PARAMETERS,  /* Services\<svc>\Parameters (read-only) */
    EMU_SCOPE_SVC_STATE,       /* Services\<svc>\State */
    EMU_SCOPE_SVC_SHARED,      /* Services\<svc>\SharedState */
    EMU_SCOPE_DRIVER_IMAGE,    /* the driver's store folder (read-only) */
    EMU_SCOPE_DRIVER_DATA,     /* \SystemRoot\ServiceState\<svc>\Data */
    EMU_SCOPE_DRIVER_SHARED,   /* \SystemRoot\ServiceState\<svc>\SharedData */
    EMU_SCOPE_DEVICE_DATA,     /* \SystemRoot\System32\DriverState\Devices\<dir>\Data */
    EMU_SCOPE_DRIVERDATA,      /* \DriverData (kernel) / %DriverData% (user) */
    EMU_SCOPE_PROGRAMDATA,     /* %ProgramData% */
    EMU_SCOPE_TEMP,            /* %TEMP% */
} emu_scope_kind;

typedef struct emu_prov {
    const char *api;          /* origin API (static string), "absolute", or NULL for none */
    const char *sel;          /* selector name (static string) or NULL */
    int approved;             /* produced by (or opened relative to) an approved API */
    int laundered;            /* opened by a path read back through ZwQueryKey(KeyNameInformation) */
    pnpbox_component *owner;  /* the component that opened it */
    pnpbox_component *scope_owner; /* whose state the scope is (may differ: cross-component) */
    emu_scope_kind scope;
    regdb_key scope_key;      /* registry: root of the granted subtree */
    char *scope_path;         /* files: volume path of the granted directory (owned) */
} emu_prov;

/* "IoOpenDriverRegistryKey/DriverRegKeyParameters", "absolute" ... ; static ring buffer. */
const char *emu_prov_origin(const emu_prov *p);
void emu_prov_copy(emu_prov *dst, const emu_prov *src); /* deep copy (scope_path) */
void emu_prov_free(emu_prov *p);

/* ---------------------------------------------------------------- handles (handles.c) */

typedef enum emu_htype {
    EMU_H_KEY = 1,
    EMU_H_FILE,
    EMU_H_EVENT,
    EMU_H_SCM,
    EMU_H_SERVICE,
    EMU_H_SERVICE_STATUS,
    EMU_H_NOTIFY,
    EMU_H_FIND,
    EMU_H_OTHER,
} emu_htype;

typedef pnpbox_rule emu_rule;

/* A judged access: the rules it broke and what to do about it (rules.c). */
#define EMU_MAX_FINDINGS 8

typedef struct emu_verdict {
    /* The fields a memo hit copies first, next to the memo slot's own (emu_fold_slot). */
    int n;
    int deny;              /* the caller must refuse the access (enforce mode) */
    pnpbox_outcome outcome;
    const emu_rule *rules[EMU_MAX_FINDINGS];
    int suppressed[EMU_MAX_FINDINGS];
} emu_verdict;

/*
 * Per-handle memo of the last accesses made through it (audit.c, rules.c):
 * a repeated access with the same API, component, operation, access and
 * value name reuses the cached verdict (while the machine's rules
 * generation is unchanged) and folds into the event it recorded before,
 * whose count goes up.  This keeps judging and auditing of a driver's
 * polling loop within a few nanoseconds of the registry work itself.
 */
#define EMU_FOLD_SLOTS 4
typedef struct emu_fold_slot {
    const char *api;          /* pointer identity of the API name */
    void *comp;               /* pnpbox_component * */
    uint64_t key;             /* op, write, access, value-name hash */
    uint64_t gen;             /* machine rules generation of the verdict */
    size_t event;             /* index of the folded event + 1 (0: none yet) */
    int32_t status;           /* status of that event */
    int have_verdict;
    emu_verdict verdict;
} emu_fold_slot;

typedef struct emu_fold {
    emu_fold_slot slot[EMU_FOLD_SLOTS];
    unsigned next;
} emu_fold;

/*
 * A handle table entry.  The table allocates entries on 64-byte boundaries
 * (emu_handle_new), and the order puts what a repeated access reads in two
 * cache lines: the first 64 bytes, then the first memo slot's identity,
 * event and verdict summary.  The provenance, which only a fresh judgement
 * reads, comes last.
 */
typedef struct emu_handle emu_handle;
struct emu_handle {
    emu_htype type;
    uint32_t access;   /* granted access mask */
    unsigned flags;    /* EMU_HF_* */
    regdb_key key;     /* EMU_H_KEY */
    char *path;        /* display path: registry NT path, or file Win32 path (owned) */
    void *obj;         /* other types: owned through close_fn */
    boxfs_file *file;  /* EMU_H_FILE */
    uint64_t pos;      /* file position for handles without FILE_SYNCHRONOUS_IO_* */
    void (*close_fn)(pnpbox_machine *m, emu_handle *h);
    emu_fold fold;     /* memo of repeated accesses through this handle */
    emu_prov prov;
};

enum {
    EMU_HF_KERNEL = 0x1,      /* a kernel handle (OBJ_KERNEL_HANDLE) */
    EMU_HF_SYNC_IO = 0x2,     /* FILE_SYNCHRONOUS_IO_(NON)ALERT: the file keeps a position */
    EMU_HF_USER = 0x4,        /* a user-mode handle (HKEY, HANDLE from CreateFileW) */
    EMU_HF_PREDEFINED = 0x8,  /* a predefined HKEY: never closed */
};

/* Add a handle (the table takes ownership of prov.scope_path, path, obj).
 * Returns the handle value (multiples of 4, never NULL), or NULL when out of memory. */
void *emu_handle_new(pnpbox_machine *m, const emu_handle *h);
/* The entry behind a handle value, or NULL when invalid or of another type (type 0 = any). */
emu_handle *emu_handle_get(pnpbox_machine *m, void *h, emu_htype type);
/* Close: runs close_fn / boxfs_close; 0, or an NTSTATUS error for an invalid handle. */
emu_status emu_handle_close(pnpbox_machine *m, void *h);
size_t emu_handle_count(pnpbox_machine *m, emu_htype type);

/* ---------------------------------------------------------------- audit and rules (audit.c, rules.c) */

typedef enum emu_acc_kind {
    EMU_ACC_REG = 1,   /* a registry key or value */
    EMU_ACC_FILE,      /* a file or directory */
    EMU_ACC_IFACE,     /* a device-interface lookup */
    EMU_ACC_QI,        /* an IRP_MN_QUERY_INTERFACE answer */
    EMU_ACC_OTHER,
} emu_acc_kind;

typedef enum emu_op {
    EMU_OP_OPEN = 1,
    EMU_OP_CREATE,
    EMU_OP_QUERY,      /* read a value / key information */
    EMU_OP_SET,        /* write a value */
    EMU_OP_DELETE,     /* delete a key, value or file */
    EMU_OP_ENUM,       /* enumerate subkeys / values / a directory */
    EMU_OP_READ,       /* read file data */
    EMU_OP_WRITE,      /* write file data */
    EMU_OP_RENAME,
    EMU_OP_NOTIFY,     /* change notification */
    EMU_OP_LOOKUP,     /* interface list lookup */
    EMU_OP_ANSWER,     /* QUERY_INTERFACE answer */
} emu_op;

/* What a mock API is about to do; rules judge it before the access. */
typedef struct emu_access {
    const char *api;          /* "ZwOpenKey" */
    emu_acc_kind kind;
    emu_op op;
    const emu_prov *prov;     /* provenance of the handle used (or produced); NULL = absolute */
    int absolute;             /* named by an absolute path */
    regdb_key key;            /* registry: the target key when it exists */
    const char *path;         /* registry: canonical NT path (\REGISTRY\MACHINE\SYSTEM\ControlSet001\...);
                                 files: volume path (\Windows\...) */
    const char *value;        /* registry value name (UTF-8) or NULL; see wvalue */
    const uint16_t *wvalue;   /* or the value name in UTF-16 (converted only when needed) */
    size_t wvalue_len;
    int has_wvalue;           /* wvalue is set (length 0 is the default value) */
    uint32_t access;          /* desired access */
    int write;                /* changes state */
    int creates;              /* may create the object */
    int is_dir;               /* files: the object is (or is created as) a directory */
    pnpbox_component *comp;   /* the caller (NULL: the current component) */
    const GUID *iface_class;  /* EMU_ACC_IFACE */
    const char *detail;       /* EMU_ACC_QI: what broke the contract; free text otherwise */
    void *caller;             /* return address in the calling (driver) code, or NULL */
    const char *via;          /* "fuse" for FUSE requests, else NULL */
    emu_fold *fold;           /* the handle's memo, or NULL (no caching, no folding) */
    uint64_t fold_key;        /* emu_fold_key(a), when the caller computed it once (else 0) */
} emu_access;



/* Judge an access (rules.c).  In fail-fast mode the first error-level
 * finding denies the access and stops the run (see emu_set_failfast).
 * Never fails: an access that breaks no rule gives an empty verdict. */
void emu_judge(pnpbox_machine *m, const emu_access *a, emu_verdict *v);
/* The access's value name in UTF-8 (a->value, or a->wvalue converted into buf); NULL if none. */
const char *emu_access_value(const emu_access *a, char *buf, size_t cap);

/* The slot of a->fold for this access by c: the matching one, else a recycled one, reset (audit.c).
 * The memo's hot half (key, look-up, cached verdict, folded record) is inline in emu/fold.h. */
emu_fold_slot *emu_fold_take(pnpbox_machine *m, const emu_access *a, pnpbox_component *c, uint64_t key);

/* Cached verdicts are stale: the mode, baseline, stale folders or device ownership changed. */
void emu_rules_changed(pnpbox_machine *m);

/* Record the access with its final status (audit.c). */
void emu_record(pnpbox_machine *m, const emu_access *a, const emu_verdict *v, emu_status status);
/* Both, for accesses recorded after the fact. */
void emu_judge_record(pnpbox_machine *m, const emu_access *a, emu_status status);

/* The fail-fast handler, called once, at the first error-level violation,
 * with the access and the rule; it must return (the denied API then
 * unwinds normally, leaking nothing and holding no lock).  Without one,
 * pnpbox prints the finding and its explanation on stderr.  The Criterion
 * harness installs one that fails the test; `pnpbox verify` one that ends
 * the lifecycle. */
typedef void (*emu_failfast_fn)(pnpbox_machine *m, const emu_access *a, const emu_rule *r, void *ctx);
void emu_set_failfast(pnpbox_machine *m, emu_failfast_fn fn, void *ctx);
/* Fail-fast stopped the run (the handler has been called): accesses by
 * judged components are refused without a verdict, and the lifecycle
 * entry points refuse to go on (-ECANCELED). */
int emu_failfast_stopped(pnpbox_machine *m);

struct emu_baseline;
void emu_baseline_free(struct emu_baseline *b);
/* The justification of the baseline entry suppressing r for c at path, or NULL. */
const char *emu_baseline_justification(pnpbox_machine *m, const emu_rule *r, const pnpbox_component *c,
                                       const char *path);

/*
 * Fault injection (fault.c): a mock API calls this where Windows could fail
 * for lack of resources, before changing anything.  Returns 1 (and the
 * status to fail with) when this call is the one a rule selected.  api is
 * the Windows name ("ZwOpenKey", "ExAllocatePool2").
 */
int emu_fault(pnpbox_machine *m, const char *api, emu_status *st);
struct emu_faults;
void emu_faults_free(struct emu_faults *f);

/* Driver debug output. */
void emu_log(pnpbox_machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void emu_vlog(pnpbox_machine *m, const char *fmt, va_list ap);

/* ---------------------------------------------------------------- object namespace (objns.c) */

/* The NT device name of C: (what \??\C: links to). */
#define EMU_SYSTEM_VOLUME_DEVICE "\\Device\\HarddiskVolume3"

typedef enum emu_ns_kind {
    EMU_NS_REGISTRY = 1, /* \Registry\... */
    EMU_NS_VOLUME,       /* a path on C: */
} emu_ns_kind;

typedef struct emu_ns_path {
    emu_ns_kind kind;
    char *vpath;         /* EMU_NS_VOLUME: "\Windows\..." (UTF-8, owned) */
    int via_driverdata;  /* reached through the \DriverData symbolic link */
    int via_systemroot;  /* reached through \SystemRoot */
} emu_ns_path;

/*
 * Resolve an absolute NT object name (counted UTF-16).  Registry names are
 * returned as EMU_NS_REGISTRY (the caller resolves them in regdb); \??\C:,
 * \DosDevices\C:, \GLOBAL??\C:, \SystemRoot, \DriverData and the volume's
 * \Device\HarddiskVolumeN map to EMU_NS_VOLUME.  Errors are NTSTATUS:
 * OBJECT_NAME_INVALID (not absolute, bad drive), OBJECT_PATH_NOT_FOUND
 * (an unknown object directory), OBJECT_NAME_NOT_FOUND.
 */
emu_status emu_ns_resolve(const uint16_t *name, size_t n, emu_ns_path *out);
void emu_ns_free(emu_ns_path *p);

/*
 * A Win32 path (C:\..., \\?\C:\..., %-free, relative to the current
 * directory C:\Windows\System32) to a volume path.  Win32 rules apply
 * (except after \\?\): '/' is a separator, "." and ".." are folded,
 * trailing dots and spaces of each component are stripped.  Errors are
 * Win32 codes: ERROR_PATH_NOT_FOUND (another drive, UNC), ERROR_INVALID_NAME.
 */
uint32_t emu_win32_to_vpath(const uint16_t *path, size_t n, char **vpath);

/* "C:" + vpath, for display; malloc'd. */
char *emu_vpath_to_win32(const char *vpath);

/* ---------------------------------------------------------------- the machine (machine.c) */

typedef struct emu_pnp emu_pnp; /* the PnP manager's state (pnp.c) */

typedef struct emu_event_store {
    pnpbox_event *ev;
    size_t n, cap;
    int64_t *rowid;       /* machine directories: the audit table row of each event */
    int64_t ev_rowid_last;
    char **logs;
    size_t nlogs, logs_cap;
    uint64_t next_seq;
    /* Machine directories: folded events whose new count is not yet in the audit table
     * (audit.c writes them in batches, emu_audit_flush). */
    size_t dirty[64];
    int ndirty;
    uint64_t flushed_ns; /* CLOCK_MONOTONIC when the last batch was written */
} emu_event_store;

struct pnpbox_machine;
/* Write the counts of folded events still pending to a machine directory's audit table. */
void emu_audit_flush(struct pnpbox_machine *m);
void emu_audit_free(struct pnpbox_machine *m);

struct pnpbox_machine {
    /* The fields every judged access reads come first, so that a repeated registry query,
     * whose registry work evicts them from L1 each time, touches two cache lines of the
     * machine instead of six (bench_um, bench_kreg). */
    pthread_mutex_t lock;       /* taken once per thread; nesting is counted (emu_lock) */
    void *lock_owner;           /* the thread holding it (a thread-local address) */
    unsigned lock_depth;
    pnpbox_mode mode;
    regdb *reg;
    int checking_off; /* pnpbox_set_checking(m, 0): no judging, no audit records */
    int ff_stopped;             /* fail-fast stopped at a violation: later accesses and steps are refused */
    struct emu_faults *faults; /* fault injection rules (fault.c) */
    uint64_t rules_gen;        /* bumped when cached verdicts may be stale (emu_rules_changed) */
    emu_handle **handles; /* slot i is handle value (i + 1) * 4; NULL = free */
    int nhandles, handles_cap;
    char *dir;          /* machine directory, or NULL (embedded) */
    emu_event_store audit;

    int *hfree;
    int nfree, free_cap;
    boxfs *vol;
    char *voldir;       /* backing directory of C:\ */
    int embedded;       /* the volume is a temporary directory, removed on free */
    uint16_t langid;
    char *target;
    char *inf_path;

    pnpbox_component **comps;
    int ncomps, comps_cap;
    pnpbox_component *harness, *installer, *external;
    struct { int pid; pnpbox_component *c; } *pidmap;
    int npid, pid_cap;

    emu_failfast_fn failfast;
    void *failfast_ctx;
    struct emu_baseline *baseline; /* suppressions (rules.c) */

    emu_pnp *pnp;
    regdb_key ccs;      /* \REGISTRY\MACHINE\SYSTEM\ControlSet001 */
    char **stale_dirs;  /* store folders of superseded packages (UPDATE-STALE-PATH) */
    int nstale;
    struct emu_intern *intern; /* interned audit strings (audit.c) */
    char errmsg[512];
};

/*
 * The machine lock recurses: driver callbacks run with it held and call
 * mock APIs again.  A re-entry by the thread that holds it costs a
 * thread-local compare instead of a pthread call (the spine nests several
 * levels deep on every access), and the compare is inline, as are the
 * look-ups of the current machine and component below: each is a load and
 * a branch on every call of every mock API.
 */
extern __thread char emu_lock_marker;
void emu_lock_slow(pnpbox_machine *m);
void emu_unlock_slow(pnpbox_machine *m);
static inline void emu_lock(pnpbox_machine *m)
{
    if (__atomic_load_n(&m->lock_owner, __ATOMIC_RELAXED) == (void *)&emu_lock_marker)
        m->lock_depth++;
    else
        emu_lock_slow(m);
}
static inline void emu_unlock(pnpbox_machine *m)
{
    if (m->lock_depth > 1)
        m->lock_depth--;
    else
        emu_unlock_slow(m);
}
/* The current machine, creating the embedded default on first use. */
extern pnpbox_machine *emu_current_machine;
pnpbox_machine *emu_machine_slow(void);
static inline pnpbox_machine *emu_machine(void)
{
    pnpbox_machine *m = emu_current_machine;
    return m ? m : emu_machine_slow();
}
void emu_set_error(pnpbox_machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The directory embedded machines' volumes (and the template cache) live
 * in: PNPBOX_TMPDIR, else /dev/shm when it is a roomy tmpfs, else TMPDIR,
 * else /tmp (machine.c; chosen once per process).
 */
const char *emu_scratch_dir(void);

/*
 * The template registry snapshot, made once per process (template.c): read
 * from the template cache when this build wrote one, else built and
 * written there for the next process.
 */
int emu_template_snapshot(const regdb_snapshot **out);
/*
 * The template cache's file for this build: <scratch>/pnpbox-template-
 * <euid>-<build id>.db, written into buf (0), or -ENOENT when there is
 * none (no GNU build id, or PNPBOX_TEMPLATE_CACHE=0), -ENAMETOOLONG.
 */
int emu_template_cache_path(char *buf, size_t size);
/* (Re)create the volatile parts of a machine's registry: the
 * CurrentControlSet link and HARDWARE (template.c; also after reboot). */
int emu_template_volatile(regdb *reg);

/* Registry helpers on the machine (regutil.c): UTF-8 paths relative to
 * \REGISTRY\MACHINE\SYSTEM\ControlSet001 ("Services\foo"). */
int emu_ccs_open(pnpbox_machine *m, const char *rel, regdb_key *out);
int emu_ccs_create(pnpbox_machine *m, const char *rel, unsigned options, regdb_key *out);
/* The registry NT path of a key as UTF-8 (\REGISTRY\MACHINE\...); malloc'd. */
char *emu_key_path_u8(pnpbox_machine *m, regdb_key k);

#endif
