/*
 * reg_core.h: the registry operations every registry API surface shares
 * (the kernel's Zw*Key and Rtl* routines in k_reg.c today, advapi32's
 * Reg* later), independent of any API's argument conventions: open or
 * create a key by absolute name or relative to a key handle with
 * provenance inheritance, judging and recording; value and key operations
 * on a handle; change notifications; the laundering memory for names read
 * back through KeyNameInformation.  Everything returns NTSTATUS
 * (emu_status).  The caller holds the machine lock (emu_lock) for the
 * whole call.
 *
 * Also declared here: the per-machine state of the kernel registry and
 * synchronisation modules (emu_kstate), and the event / work-item hooks
 * that k_sync.c provides to the notification code.
 *
 * Plain C types only, so user-mode API files can include it next to
 * <windows.h>.
 */
#ifndef EMU_REG_CORE_H
#define EMU_REG_CORE_H

#include "emu/emu.h"

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- calls */

/* Who is calling: used for the audit record and the API's semantics. */
typedef struct reg_ctx {
    pnpbox_machine *m;
    const char *api;  /* recorded API name: "ZwOpenKey", "RtlQueryRegistryValues", "RegOpenKeyExW" */
    void *caller;     /* return address in the calling code (for reports), or NULL */
    int user_mode;    /* 1 for user-mode APIs: granted access is checked, IO_STATUS_BLOCKs are written */
} reg_ctx;

/* Data pnpbox keeps with every key handle (emu_handle.obj of EMU_H_KEY). */
typedef struct reg_hobj reg_hobj;

enum {
    REG_OPEN_CREATE = 0x1, /* create the final component when missing (ZwCreateKey) */
    REG_OPEN_LINK = 0x2,   /* open a link key itself (OBJ_OPENLINK) */
    REG_OPEN_BACKUP = 0x4, /* REG_OPTION_BACKUP_RESTORE: access from privileges, not DesiredAccess */
};

typedef struct reg_open_args {
    void *root;               /* key handle the name is relative to, or NULL for an absolute name */
    const uint16_t *name;     /* counted UTF-16 (\Registry\... when absolute); NULL/0: the root key itself */
    size_t name_len;
    uint32_t access;          /* desired access (generic bits are mapped) */
    unsigned flags;           /* REG_OPEN_* */
    unsigned create_options;  /* REG_OPTION_VOLATILE | REG_OPTION_CREATE_LINK (creates only) */
    const uint16_t *cls;      /* class of a created key, or NULL */
    size_t cls_len;
    unsigned hflags;          /* EMU_HF_* of the new handle */
} reg_open_args;

/*
 * Open, or with REG_OPEN_CREATE open-or-create, a key.  Absolute names get
 * provenance "absolute" (approved for read-only opens under
 * \REGISTRY\MACHINE\HARDWARE; laundered when the name, or a key above it,
 * was read back through KeyNameInformation from an approved handle);
 * relative opens inherit the root handle's provenance.  The access is
 * judged and recorded under c->api.  *disposition (may be NULL) receives
 * REG_CREATED_NEW_KEY / REG_OPENED_EXISTING_KEY on success.  Statuses:
 * those of NtOpenKey/NtCreateKey (OBJECT_PATH_SYNTAX_BAD, OBJECT_NAME_NOT_FOUND,
 * OBJECT_TYPE_MISMATCH, KEY_DELETED, OBJECT_NAME_COLLISION,
 * CHILD_MUST_BE_VOLATILE, ACCESS_DENIED ...).
 */
emu_status reg_core_open(reg_ctx *c, const reg_open_args *a, void **out, uint32_t *disposition);

/* The key behind a handle value: STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH. */
emu_status reg_core_handle(pnpbox_machine *m, void *h, emu_handle **out);

/*
 * A new handle to an existing key with the given provenance (deep copy) and
 * granted access, caching its canonical path.  Neither judged nor recorded.
 */
emu_status reg_core_handle_new(pnpbox_machine *m, regdb_key key, uint32_t granted, const emu_prov *prov,
                               unsigned hflags, void **out);

/* The NT access mask a key handle gets for a desired access (generic bits mapped). */
uint32_t reg_core_map_access(uint32_t desired);

/* ---------------------------------------------------------------- operations on a handle */

/*
 * One access through an open key handle.  reg_op_begin resolves the handle
 * (INVALID_HANDLE / OBJECT_TYPE_MISMATCH, then the granted access for
 * user-mode callers), describes the access and judges it.  When it returns
 * an error nothing else may be done; a denial (enforce mode) is already
 * recorded.  Otherwise the caller performs the operation and calls
 * reg_op_end with the final status, which records it.  The value name goes
 * into the record as UTF-8 (no allocation for names up to 255 units).
 */
typedef struct reg_op {
    emu_handle *h;
    reg_hobj *ho;
    emu_access a;
    emu_verdict v;
    const emu_fold_slot *slot; /* the handle's memo slot the verdict came from (repeated access), or NULL */
    char *vname_heap;
    char vname[768];
} reg_op;

emu_status reg_op_begin(reg_ctx *c, reg_op *op, void *h, emu_op kind, uint32_t need_access, int write,
                        const uint16_t *vname, size_t vname_len, int has_value);
/* The two halves of reg_op_begin, for APIs that validate arguments in between (as Windows does:
 * the handle first, then the names): resolve the handle, then describe and judge the access. */
emu_status reg_op_resolve(reg_ctx *c, reg_op *op, void *h, uint32_t need_access);
emu_status reg_op_judge(reg_ctx *c, reg_op *op, emu_op kind, uint32_t need_access, int write,
                        const uint16_t *vname, size_t vname_len, int has_value);
void reg_op_end(reg_ctx *c, reg_op *op, emu_status st);

/* Deleted-key check after a lookup missed: KEY_DELETED, or `missing` when the key still exists. */
emu_status reg_core_miss(reg_ctx *c, regdb_key key, emu_status missing);

/* The value (regdb memory, valid until the next regdb call): OBJECT_NAME_NOT_FOUND, KEY_DELETED. */
emu_status reg_core_get_value(reg_ctx *c, reg_op *op, const uint16_t *name, size_t n, regdb_value *v);
/* The same, copying at most cap bytes of the data straight into buf; *len is the full length. */
emu_status reg_core_get_value_into(reg_ctx *c, reg_op *op, const uint16_t *name, size_t n, uint32_t *type,
                                   void *buf, size_t cap, size_t *len);
/* The status of a failed value read (regdb's rc < 0): the key deleted, no such value, or the registry's error. */
emu_status reg_core_value_miss(reg_ctx *c, reg_op *op, int rc);
/* The same as reg_core_get_value_into, leaving buf untouched unless the whole value fits
 * (regdb_query_value_fit).  Inline: it is RegQueryValueExW's read. */
static inline emu_status reg_core_get_value_fit(reg_ctx *c, reg_op *op, const uint16_t *name, size_t n,
                                                uint32_t *type, void *buf, size_t cap, size_t *len)
{
    int rc = regdb_query_value_fit(c->m->reg, op->h->key, name, n, type, buf, cap, len);
    return rc == 0 ? 0 /* STATUS_SUCCESS */ : reg_core_value_miss(c, op, rc);
}
/*
 * Set a value.  Link keys hold only SymbolicLinkValue of type REG_LINK
 * (anything else is STATUS_ACCESS_DENIED, as Windows).
 */
emu_status reg_core_set_value(reg_ctx *c, reg_op *op, const uint16_t *name, size_t n, uint32_t type,
                              const void *data, size_t len);
emu_status reg_core_delete_value(reg_ctx *c, reg_op *op, const uint16_t *name, size_t n);
/* Index-th value / subkey: STATUS_NO_MORE_ENTRIES past the end, KEY_DELETED. */
emu_status reg_core_enum_value(reg_ctx *c, reg_op *op, uint32_t index, regdb_value *v);
emu_status reg_core_enum_key(reg_ctx *c, reg_op *op, uint32_t index, regdb_key_entry *e);
emu_status reg_core_key_info(reg_ctx *c, regdb_key key, regdb_key_info *info);
/* The key's absolute name as \REGISTRY\... (malloc'd UTF-16 with NUL; caller frees). */
emu_status reg_core_key_name(reg_ctx *c, reg_op *op, uint16_t **name, size_t *len);
/*
 * Remember a name handed out (KeyNameInformation) with the provenance of
 * the handle it came from, so that an absolute open of it (or below it)
 * is marked laundered.  Only names of approved handles are remembered.
 */
void reg_core_note_name(reg_ctx *c, reg_op *op, const uint16_t *name, size_t len);
/* Delete the key: CANNOT_DELETE with subkeys or for a hive root; success when already deleted. */
emu_status reg_core_delete_key(reg_ctx *c, reg_op *op);

/* Is the key inside a system (trusted) hive: \REGISTRY\MACHINE\{HARDWARE,SOFTWARE,SYSTEM,SECURITY,SAM}? */
int reg_core_trusted(const char *path);

/* ---------------------------------------------------------------- change notifications */

typedef enum reg_post_kind {
    REG_POST_KERNEL = 1, /* asynchronous, kernel caller: event and/or work item; IO_STATUS_BLOCK untouched */
    REG_POST_USER,       /* asynchronous, user caller: event; IO_STATUS_BLOCK written */
    REG_POST_SYNC,       /* synchronous: the call waits */
} reg_post_kind;

typedef struct reg_post {
    reg_post_kind kind;
    void *event;               /* event object (k_sync.c), referenced by the post, or NULL */
    void *work_item;           /* PWORK_QUEUE_ITEM to queue, or NULL */
    int queue_type;            /* its WORK_QUEUE_TYPE */
    int32_t *iosb_status;      /* REG_POST_USER / SYNC: where the status goes (IO_STATUS_BLOCK) */
    uintptr_t *iosb_info;      /* and the Information field (set to 0) */
    pnpbox_component *comp;    /* who armed it: the work item runs as this component */
    emu_status result;         /* REG_POST_SYNC: the completion status, 0 while pending */
} reg_post;

/*
 * Arm a notification on the handle of op (already begun with EMU_OP_NOTIFY).
 * The first call on a handle fixes its filter and WatchTree (later calls
 * join it, as Windows' notify block).  Returns STATUS_PENDING, or
 * STATUS_SUCCESS after completing the post at once when a change happened
 * since the last completion, or KEY_DELETED.  The post is copied; on
 * completion (STATUS_NOTIFY_ENUM_DIR for a change, STATUS_NOTIFY_CLEANUP
 * when the handle is closed or the key deleted) the event is set and the
 * work item queued.  For REG_POST_SYNC the caller checks post->result
 * through reg_core_sync_result after running work items.
 */
emu_status reg_core_notify(reg_ctx *c, reg_op *op, unsigned filter, int watch_tree, const reg_post *post,
                           void **sync_token);
/* A synchronous post's status (0 while pending); forget: release it (it completes no more). */
emu_status reg_core_sync_result(void *sync_token);
void reg_core_sync_forget(pnpbox_machine *m, void *sync_token);

/* ---------------------------------------------------------------- per-machine state */

typedef struct reg_laundered {
    uint16_t *name; /* canonical \REGISTRY\... name handed out */
    size_t len;
    emu_prov prov;  /* provenance of the handle it came from (deep copy) */
} reg_laundered;

typedef struct emu_work_ent {
    void *item;                 /* PWORK_QUEUE_ITEM */
    void (*routine)(void *);    /* captured when queued */
    void *param;
    int type;
    pnpbox_component *comp;
} emu_work_ent;

typedef struct emu_kstate {
    pnpbox_machine *m;
    reg_laundered *laund;
    size_t nlaund, laund_cap;
    emu_work_ent *work;         /* FIFO: [work_head, nwork) */
    size_t nwork, work_head, work_cap;
    void **events;              /* named event objects (k_sync.c) */
    size_t nevents, events_cap;
} emu_kstate;

/*
 * The machine's kernel-module state, created on first use and freed when
 * the machine's registry closes (pnpbox_machine_free).  NULL when out of
 * memory.
 */
emu_kstate *emu_kstate_get(pnpbox_machine *m);

/* ---------------------------------------------------------------- provided by k_sync.c */

void emu_event_ref(void *event);
void emu_event_unref(void *event);
void emu_event_signal(void *event);
/* Queue a work item to run later as comp (ExQueueWorkItem's machinery). */
void emu_work_enqueue(pnpbox_machine *m, void *work_item, int queue_type, pnpbox_component *comp);
/* Run the oldest queued work item, if any; 1 when one ran. */
int emu_work_run_one(pnpbox_machine *m);

#endif
