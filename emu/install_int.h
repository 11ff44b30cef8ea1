/*
 * install_int.h: what the driver store (store.c) and device installation
 * (install.c) share: an installer session that runs as the installer
 * component and logs every volume change so a failure can undo it, the
 * registry helpers both use, and lookups in the DriverDatabase.
 *
 * A session (emu_inst) is a stack object: emu_inst_begin enters the
 * installer component, emu_inst_end restores the caller's and frees the
 * log.  Volume helpers take volume paths ("\Windows\INF\oem0.inf") and
 * record what they create, replace, delete or rename; emu_inst_undo
 * reverts those changes newest first.  Errors are negative errno codes,
 * with the message already set on the machine (emu_set_error).
 */
#ifndef EMU_INSTALL_INT_H
#define EMU_INSTALL_INT_H

#include "emu/emu.h"
#include "emu/fsglue.h"
#include "emu/inf.h"

#include <stddef.h>
#include <stdint.h>

#define EMU_STORE_VDIR "\\Windows\\System32\\DriverStore\\FileRepository"
#define EMU_STORE_TEMP_VDIR "\\Windows\\System32\\DriverStore\\Temp"
#define EMU_INF_VDIR "\\Windows\\INF"
#define EMU_DRIVERDB "\\Registry\\Machine\\SYSTEM\\DriverDatabase"
#define EMU_DRIVERDB_PATH "\\REGISTRY\\MACHINE\\SYSTEM\\DriverDatabase"
#define EMU_CCS_PATH "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001"

/* CONFIGFLAG_FAILEDINSTALL and CM_PROB_FAILED_INSTALL (cfgmgr32.h / regstr.h). */
#define EMU_CONFIGFLAG_FAILEDINSTALL 0x40u
#define EMU_CM_PROB_FAILED_INSTALL 28u

typedef enum emu_undo_kind {
    EMU_UNDO_CREATED_FILE = 1, /* path was created: delete it */
    EMU_UNDO_CREATED_DIR,      /* path was created: remove it (empty by then) */
    EMU_UNDO_REPLACED,         /* path existed: write data back with attrs */
    EMU_UNDO_DELETED,          /* path was deleted: recreate it from data */
    EMU_UNDO_RENAMED,          /* path was renamed to path2: rename it back */
} emu_undo_kind;

typedef struct emu_undo_item {
    emu_undo_kind kind;
    char *path, *path2;
    void *data;
    size_t len;
    uint32_t attrs;
} emu_undo_item;

typedef struct emu_inst {
    pnpbox_machine *m;
    pnpbox_component *prev;   /* the caller's component, restored by emu_inst_end */
    emu_fs_ctx fc;            /* the installer, for the volume's policy and audit */
    boxfs_caller who;
    const char *api;          /* "DriverStore", "DeviceInstall": names the recorded events */
    emu_undo_item *undo;
    size_t nundo, undo_cap;
} emu_inst;

void emu_inst_begin(emu_inst *s, pnpbox_machine *m, const char *api);
void emu_inst_end(emu_inst *s);
/* Revert every logged volume change, newest first (best effort: a step that
 * fails is logged with emu_log and the rest still run). */
void emu_inst_undo(emu_inst *s);
/* Forget the log (after a commit). */
void emu_inst_forget(emu_inst *s);

/* Fault point "<api>:<point>": 0, or a negative code with the message set. */
int emu_inst_fault(emu_inst *s, const char *point);
/* A negative errno for an NTSTATUS (injected faults). */
int emu_errno_from_status(emu_status st);
/* A negative errno for a boxfs code (own codes above errno become -EIO etc.). */
int emu_errno_from_boxfs(int rc);

/* Does vpath exist (0 = no, 1 = file, 2 = directory)? */
int emu_inst_exists(emu_inst *s, const char *vpath);
/* Create vdir and its missing parents (logged). */
int emu_inst_mkdirs(emu_inst *s, const char *vdir);
/* Create or replace a file with data (a replaced file is backed up in the log). */
int emu_inst_write(emu_inst *s, const char *vpath, const void *data, size_t len);
/* Read a whole file; *data malloc'd. */
int emu_inst_read(emu_inst *s, const char *vpath, void **data, size_t *len);
/* Delete a file (backed up in the log). */
int emu_inst_delete(emu_inst *s, const char *vpath);
/* Rename (logged); replace: an existing target file is backed up and replaced. */
int emu_inst_rename(emu_inst *s, const char *from, const char *to, int replace);
/* Remove a directory tree, not logged (cleanup after a commit). */
int emu_inst_rmtree(emu_inst *s, const char *vpath);

/* Record a registry change made for the installer (path: full NT path, UTF-8). */
void emu_inst_reg_event(emu_inst *s, emu_op op, const char *path, const char *value);

/* The machine's install target (pnpbox_machine_opts.target, else the default). */
void emu_machine_target(pnpbox_machine *m, inf_target *t);

/* Parse an INF held in memory for this machine (LANGID, arch). */
int emu_inst_parse(pnpbox_machine *m, const void *data, size_t len, const char *name, inf_file **out);

/* Registry helpers (UTF-8 names and values). */
int emu_reg_set_str(regdb *r, regdb_key k, const char *name, const char *val, uint32_t type);
/* *out malloc'd UTF-8; REGDB_E_NOTFOUND / REGDB_E_TYPE / -ENOMEM. */
int emu_reg_get_str(regdb *r, regdb_key k, const char *name, char **out);
/* Strings of a REG_MULTI_SZ (or REG_SZ) value, each malloc'd; *v NULL-terminated array. */
int emu_reg_get_multi(regdb *r, regdb_key k, const char *name, char ***v, size_t *n);
void emu_strv_free(char **v, size_t n);

/* DriverDatabase lookups. */
/* The package published as oem (e.g. "oem0.inf", any case): folder and INF name, malloc'd. */
int emu_store_lookup(pnpbox_machine *m, const char *oem, char **folder, char **inf_name);
/* Read and parse the INF of a staged package from its store folder. */
int emu_store_load_inf(emu_inst *s, const char *folder, const char *inf_name, inf_file **out);
/* The published names offering any of the ids (DeviceIds index), sorted by number. */
int emu_store_offers(pnpbox_machine *m, const char *const *ids, size_t nids, char ***oems, size_t *n);
/* The first device whose software key's InfPath is oem; *instance malloc'd, or -ENOENT. */
int emu_store_user(pnpbox_machine *m, const char *oem, char **instance);
/* Call fn for every CCS\Enum\<enumerator>\<device>\<instance> key, in registry order;
 * stops at (and returns) the first nonzero answer. */
typedef int (*emu_device_fn)(pnpbox_machine *m, const char *instance, regdb_key k, void *ctx);
int emu_store_each_device(pnpbox_machine *m, emu_device_fn fn, void *ctx);
/* The InfPath of a device's software key (through its Driver value), malloc'd, or NULL. */
char *emu_store_device_inf(pnpbox_machine *m, regdb_key devkey);
/* Add a store folder to the machine's stale list (and its DriverDatabase marker). */
int emu_store_mark_stale(pnpbox_machine *m, const char *folder);
/* Fill m->stale_dirs from the DriverDatabase markers (machines opened from a directory). */
void emu_store_load_stale(pnpbox_machine *m);

#endif
