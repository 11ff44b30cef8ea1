/*
 * pnpbox.h: the pnpbox control API (prefix pnpbox_).
 *
 * Tests, the harness and the CLI use it to make an emulated machine, to
 * say which component is running, to stage and install driver packages,
 * to drive the PnP lifecycle and to read what was recorded.  Driver code
 * itself never needs it: it calls the WDK/SDK APIs of include/wdk/, which
 * run against the current machine.
 *
 * This header uses plain C types only, so it can be included together
 * with either the kernel headers (<ntddk.h>, <wdf.h>) or the user-mode
 * ones (<windows.h>).
 *
 * Errors: functions return 0 or a negative errno-style code; the message
 * of the last failure on a machine is pnpbox_errmsg(m).
 */
#ifndef PNPBOX_PNPBOX_H
#define PNPBOX_PNPBOX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pnpbox_machine pnpbox_machine;
typedef struct pnpbox_component pnpbox_component;

/* ---- machines ---- */

/* How violations are handled (DESIGN.md "audit event"). */
typedef enum pnpbox_mode {
    PNPBOX_MODE_REPORT = 0,   /* allow and record, like Driver Verifier's logging mode */
    PNPBOX_MODE_ENFORCE = 1,  /* deny as Windows would (STATUS_ACCESS_DENIED, ERROR_ACCESS_DENIED, EACCES) */
    PNPBOX_MODE_FAILFAST = 2, /* stop at the first violation */
} pnpbox_mode;

typedef struct pnpbox_machine_opts {
    const char *dir;       /* a machine directory (created on first use), or NULL for the embedded
                              default: an in-memory registry and a temporary volume */
    pnpbox_mode mode;      /* default PNPBOX_MODE_REPORT */
    uint16_t langid;       /* LANGID for INF [Strings.LLLL]; 0 means 0x0409 */
    const char *target;    /* TargetOSVersion to install for, e.g. "NTamd64.10.0...26100"; NULL = default */
    const char *inf_path;  /* extra directory searched for Include= INFs, or NULL */
} pnpbox_machine_opts;

/*
 * Make a machine: a fresh embedded one cloned from the built-in template
 * (about 0.1 ms), or open / create a machine directory (registry.db +
 * volume/).  opts may be NULL (embedded, report mode).  The new machine
 * becomes the current one.
 */
int pnpbox_machine_new(const pnpbox_machine_opts *opts, pnpbox_machine **out);

/* Destroy: unload drivers, close handles, remove an embedded machine's
 * temporary volume.  If it was current, there is no current machine. */
void pnpbox_machine_free(pnpbox_machine *m);

/* The machine mock APIs run against.  Mock APIs called with no current
 * machine create an embedded default one (freed at exit). */
pnpbox_machine *pnpbox_current(void);
void pnpbox_set_current(pnpbox_machine *m);

/* The last failure's message on m; with m NULL, why the last pnpbox_machine_new failed. */
const char *pnpbox_errmsg(pnpbox_machine *m);
const char *pnpbox_strerror(int err);

/* Paths: the machine directory (NULL if embedded) and the host directory
 * backing C:\ of the volume. */
const char *pnpbox_machine_dir(pnpbox_machine *m);
const char *pnpbox_volume_dir(pnpbox_machine *m);

void pnpbox_set_mode(pnpbox_machine *m, pnpbox_mode mode);
pnpbox_mode pnpbox_get_mode(pnpbox_machine *m);

/* Auditing and the rules on (the default) or off: while off, accesses are
 * neither judged nor recorded (setup code a test does not want checked,
 * and the checker's overhead benchmark).  Returns the previous setting. */
int pnpbox_set_checking(pnpbox_machine *m, int on);

/* An emulated reboot: volatile registry state is cleared, drivers are
 * unloaded and devices restarted. */
int pnpbox_reboot(pnpbox_machine *m);

/* ---- components (DESIGN.md "the spine") ---- */

typedef enum pnpbox_component_kind {
    PNPBOX_COMP_HARNESS = 0,       /* the test itself */
    PNPBOX_COMP_KERNEL_DRIVER = 1, /* a kernel driver, named by its service */
    PNPBOX_COMP_WIN32_SERVICE = 2, /* a user-mode service, named by its service */
    PNPBOX_COMP_APP = 3,           /* an application */
    PNPBOX_COMP_INSTALLER = 4,     /* the driver store / PnP installer */
    PNPBOX_COMP_EXTERNAL = 5,      /* an unknown process (through the FUSE mount) */
} pnpbox_component_kind;

/* The component of that kind and name, created on first use.  Names of
 * drivers and services compare case-insensitively.  Owned by the machine. */
pnpbox_component *pnpbox_component_get(pnpbox_machine *m, pnpbox_component_kind kind, const char *name);
const char *pnpbox_component_name(const pnpbox_component *c);
pnpbox_component_kind pnpbox_component_kind_of(const pnpbox_component *c);

/* Run the calling thread as component c from now on; returns the previous
 * one so the caller can restore it.  (The PnP manager does this itself
 * around every call into driver code.) */
pnpbox_component *pnpbox_enter(pnpbox_component *c);
pnpbox_component *pnpbox_current_component(void);

/* Map a host process to a component (FUSE callers, `pnpbox run`). */
int pnpbox_component_bind_pid(pnpbox_machine *m, pnpbox_component *c, int pid);

/* ---- drivers and devices (the PnP manager) ---- */

/* A driver's entry point: NTSTATUS DriverEntry(PDRIVER_OBJECT, PUNICODE_STRING). */
typedef int32_t (*pnpbox_driver_entry_fn)(void *driver_object, void *registry_path);

/*
 * Register the code of a kernel driver for a service: an entry point linked
 * into the test, or a shared object exporting DriverEntry (built with
 * `pkg-config --cflags --libs pnpbox`).  The service key must exist when
 * the driver loads (an INF install creates it).
 */
int pnpbox_driver_register(pnpbox_machine *m, const char *service, pnpbox_driver_entry_fn entry);
int pnpbox_driver_register_so(pnpbox_machine *m, const char *service, const char *so_path);

/*
 * Lifecycle steps.  Each returns 0 when the step ran (the driver's NTSTATUS
 * is then in *status, which may be a failure), or a negative code when it
 * could not run (unknown device or service, device not started; see
 * pnpbox_errmsg).  Every call into driver code runs as the driver's
 * component.
 *   load:   DriverEntry (once; later calls report STATUS_SUCCESS)
 *   start:  load the stack's drivers, AddDevice each (lower filters,
 *           function driver, upper filters), IRP_MN_START_DEVICE; interface
 *           arrivals are delivered after START completes
 *   remove: QUERY_REMOVE + REMOVE, or SURPRISE_REMOVAL + REMOVE
 *   unload: DriverUnload, then checks for device objects and handles left
 */
int pnpbox_driver_load(pnpbox_machine *m, const char *service, int32_t *status);
int pnpbox_device_start(pnpbox_machine *m, const char *instance, int32_t *status);
int pnpbox_device_remove(pnpbox_machine *m, const char *instance, int surprise, int32_t *status);
int pnpbox_driver_unload(pnpbox_machine *m, const char *service, int32_t *status);
/* *started: the device is started; *problem: its CM_PROB_* code (0 if none). */
int pnpbox_device_state(pnpbox_machine *m, const char *instance, int *started, uint32_t *problem);

/*
 * Create a devnode's Enum key without an INF (unit tests of driver code):
 * instance "ENUMERATOR\DEVICE\INSTANCE", hwids ';'-separated, service and
 * class_guid optional.  An INF install (pnpbox_device_add) writes the full
 * set of values instead.
 */
int pnpbox_devnode_create(pnpbox_machine *m, const char *instance, const char *hwids, const char *service,
                          const char *class_guid);

/* ---- audit ---- */

typedef enum pnpbox_outcome {
    PNPBOX_OUTCOME_ALLOWED = 0,  /* no rule broken */
    PNPBOX_OUTCOME_REPORTED = 1, /* a rule was broken and the access allowed (report mode) */
    PNPBOX_OUTCOME_DENIED = 2,   /* a rule was broken and the access denied (enforce mode) */
    PNPBOX_OUTCOME_SUPPRESSED = 3, /* a rule was broken, but a baseline entry suppresses it */
} pnpbox_outcome;

/*
 * One rule an access broke, with its own outcome: a call can break several
 * rules, and a baseline may suppress some of them and not the others.
 */
typedef struct pnpbox_event_finding {
    const char *rule;          /* the rule's id, e.g. "FILE-OUTSIDE-STATE" */
    pnpbox_outcome outcome;    /* PNPBOX_OUTCOME_SUPPRESSED when a baseline entry covers this rule; otherwise
                                  the access's fate: PNPBOX_OUTCOME_REPORTED (allowed) or PNPBOX_OUTCOME_DENIED */
    const char *justification; /* suppressed: the justification of the entry that covers this rule; else NULL */
} pnpbox_event_finding;

/*
 * One recorded access.  Strings are UTF-8 and owned by the machine.
 * Repeating the same access through the same handle (same API, component,
 * access, value and outcome) does not add an event: the first one's count
 * goes up, so a driver's polling loop is one event with a large count.
 *
 * outcome is the access's: PNPBOX_OUTCOME_SUPPRESSED only when every rule
 * it broke is suppressed.  findings says, rule by rule, which were
 * suppressed and why; rules and justification summarise it for older code.
 */
typedef struct pnpbox_event {
    uint64_t seq;
    uint64_t count;         /* how many identical accesses this event stands for (>= 1) */
    const char *component;  /* e.g. "kmdfiso" */
    int component_kind;     /* pnpbox_component_kind */
    const char *api;        /* e.g. "ZwOpenKey", "fuse:open" */
    const char *path;       /* as Windows names it: \REGISTRY\MACHINE\..., C:\Windows\... */
    const char *value;      /* registry value name, or NULL */
    uint32_t access;        /* ACCESS_MASK asked for (or FILE_* / KEY_* rights) */
    int write;              /* the access changes state */
    const char *origin;     /* the handle's origin: "IoOpenDriverRegistryKey/DriverRegKeyParameters",
                               "absolute", ... */
    int32_t status;         /* NTSTATUS (or Win32 error / CONFIGRET, converted to NTSTATUS) */
    pnpbox_outcome outcome;
    const char *rules;      /* space-separated rule ids broken, "" if none */
    const char *caller;     /* "module+0x1234" of the calling driver code, or NULL */
    const void *caller_addr;/* the return address itself (for symbolising), or NULL */
    const char *justification; /* the first suppressed rule's justification (each rule's: findings), or NULL */
    size_t nfindings;          /* the rules broken, one entry each, in the order of `rules` (0 if none) */
    const pnpbox_event_finding *findings;
} pnpbox_event;

size_t pnpbox_event_count(pnpbox_machine *m);
/* A machine directory's persisted audit (events from every process that used it) into memory;
 * with clear, empty the table afterwards.  Returns the number loaded, or -errno. */
int pnpbox_audit_load(pnpbox_machine *m, int clear);
const pnpbox_event *pnpbox_event_get(pnpbox_machine *m, size_t i);

/* ---- the isolation rules (one catalogue: verify, explain and docs read it) ---- */

typedef struct pnpbox_rule {
    const char *id;          /* stable id, e.g. "REG-ABSOLUTE-PATH" */
    const char *severity;    /* "error" or "warning" */
    const char *title;       /* one line */
    const char *explanation; /* what Windows does and why isolation forbids it */
    const char *alternative; /* the sanctioned API(s) to call instead */
    const char *before;      /* a short example of the violation */
    const char *after;       /* the same, isolated */
    const char *reference;   /* documentation URL */
    const char *source;      /* where the rule comes from (DI, Driver Verifier, CodeQL, InfVerif) */
} pnpbox_rule;

size_t pnpbox_rule_count(void);
const pnpbox_rule *pnpbox_rule_at(size_t i);
const pnpbox_rule *pnpbox_rule_find(const char *id); /* case-insensitive; NULL if unknown */

/*
 * Suppressions (a baseline), so legacy code can adopt pnpbox one rule at a
 * time.  text holds one entry per line:
 *     RULE-ID [component=GLOB] [path=GLOB] justification...
 * ('#' starts a comment).  RULE-ID may itself be a glob ("FILE-*") that
 * names at least one rule.  Globs are fnmatch patterns, case-insensitive,
 * with '\' an ordinary character.  A path glob is written the way reports
 * print paths: C:\Windows\... for files, \REGISTRY\MACHINE\... for keys
 * (the volume form \Windows\... matches files too).  A glob that holds
 * spaces is quoted: path="*\Device Parameters", component="Contoso *".
 * An entry suppresses only the rules it names: a call that breaks two rules
 * with one suppressed stays a violation of the other, and each suppressed
 * rule carries its own entry's justification (pnpbox_event.findings).
 * Suppressed findings are still recorded, with the justification, but
 * never fail a run.  Loading replaces the machine's baseline.  On a bad
 * line, returns -EINVAL and writes the reason ("line 3: unknown rule 'X'",
 * "line 2: path=\"... has no closing quote") to err (err may be NULL).
 */
int pnpbox_baseline_load(pnpbox_machine *m, const char *text, char *err, size_t errlen);

/*
 * Fault injection: the nth call (counted from now) of api fails with
 * status (0: STATUS_INSUFFICIENT_RESOURCES; pool allocations return NULL).
 * api is the Windows name ("ZwOpenKey", "ExAllocatePool2", "ZwCreateFile")
 * or "*" for every call with a fault point.  pnpbox_fault_parse takes the
 * CLI form "API:N[:STATUS]" (STATUS a name such as STATUS_DISK_FULL, or a
 * number).  Returns 0 or -EINVAL / -ENOMEM.
 */
int pnpbox_fault_add(pnpbox_machine *m, const char *api, unsigned nth, int32_t status);
int pnpbox_fault_parse(pnpbox_machine *m, const char *spec);

/* Driver debug output (DbgPrint, KdPrint) captured in order. */
size_t pnpbox_log_count(pnpbox_machine *m);
const char *pnpbox_log_get(pnpbox_machine *m, size_t i);

#ifdef __cplusplus
}
#endif

#endif
