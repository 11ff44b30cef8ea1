/*
 * regdb.h: the registry store, on SQLite.
 *
 * regdb holds a tree of keys with values, with the Windows registry's
 * semantics and nothing of PnP or of the Windows API: emu/ builds the NT
 * and Win32 registry calls on it.  SQLite is the only storage; there is no
 * second tree in memory that could disagree with it.
 *
 * Model
 *   - One tree rooted at \REGISTRY (regdb_root()).  Its children are the
 *     hives: MACHINE and USER exist in every store.  Absolute paths are NT
 *     paths such as \Registry\Machine\SYSTEM\ControlSet001.
 *   - Names are counted UTF-16 (uint16_t, like UNICODE_STRING: no NUL
 *     needed).  Key and value names are case-insensitive and
 *     case-preserving under Windows' uppercase table (base/pb_utf16.h).
 *   - Limits are Windows': a key name component is 1..255 code units and
 *     holds no '\'; a value name is 0..16383 units (0 = the default,
 *     unnamed value); value data may be any size SQLite allows (1 GB).
 *   - Values are raw bytes with a type number (any 32-bit value).  Strings
 *     are stored exactly as Windows stores them: UTF-16LE with terminator.
 *   - Subkeys enumerate in order of their uppercased names (by code unit);
 *     values enumerate in creation order, and overwriting a value keeps its
 *     place.
 *   - Volatile keys live until regdb_reboot().  A non-volatile key cannot
 *     be created under a volatile one.
 *   - Link keys (REGDB_CREATE_LINK) hold a REG_LINK value named
 *     SymbolicLinkValue whose data is an absolute NT path (UTF-16LE, no
 *     terminator, as Windows stores it).  Opens follow links, except the
 *     final component with REGDB_OPEN_LINK.
 *   - Every key has a last-write time (FILETIME: 100 ns units since
 *     1601-01-01 UTC), set on creation and on any change to its values or
 *     its list of subkeys.
 *
 * Keys are named by regdb_key ids.  Ids are never reused within a store
 * (AUTOINCREMENT), so an id whose key was deleted gives REGDB_E_DELETED
 * rather than silently reaching another key.
 *
 * Threads: a regdb is not thread-safe; callers serialise.  Several
 * processes may share one file store (WAL mode, busy timeout).
 *
 * Pointers returned inside regdb_value / regdb_key_entry point into
 * regdb-owned memory that is valid until the next call on the same regdb.
 *
 * Errors: 0 or a negative code below; regdb_strerror() names it and
 * regdb_errmsg() gives the detail of the last failure on that store.
 */
#ifndef REGDB_H
#define REGDB_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

typedef struct regdb regdb;
typedef int64_t regdb_key;

/* ---- errors ---- */
#define REGDB_OK 0
#define REGDB_E_NOMEM (-ENOMEM)           /* out of memory */
#define REGDB_E_INVAL (-EINVAL)           /* bad argument or name (e.g. '\' in a key name) */
#define REGDB_E_NOTFOUND (-ENOENT)        /* key or value does not exist */
#define REGDB_E_EXISTS (-EEXIST)          /* exists already (only where asked to fail) */
#define REGDB_E_NOTEMPTY (-ENOTEMPTY)     /* delete of a key that has subkeys */
#define REGDB_E_TOOLONG (-ENAMETOOLONG)   /* name over Windows' limit */
#define REGDB_E_DELETED (-ESTALE)         /* key id deleted or never existed */
#define REGDB_E_IO (-EIO)                 /* storage failed; the change was not made */
#define REGDB_E_BUSY (-EBUSY)             /* store locked by another process past the timeout */
#define REGDB_E_NOTREGISTRY (-ENOEXEC)    /* the file is not a pnpbox registry */
#define REGDB_E_VERSION (-EPROTONOSUPPORT)/* a pnpbox registry of an unknown schema version */
#define REGDB_E_VOLATILE (-EXDEV)         /* non-volatile key under a volatile one */
#define REGDB_E_LOOP (-ELOOP)             /* too many links, or a link to nowhere */
#define REGDB_E_FORMAT (-EBADMSG)         /* malformed input (.reg text, UTF-16, image) */
#define REGDB_E_READONLY (-EROFS)         /* store opened read-only */
#define REGDB_E_TYPE (-EMEDIUMTYPE)       /* value has another type than the helper expects */
#define REGDB_E_RANGE (-ERANGE)           /* caller's buffer too small (size reported) */
#define REGDB_E_TXN (-EALREADY)           /* commit/rollback without a transaction */

const char *regdb_strerror(int err);
const char *regdb_errmsg(regdb *db); /* detail of the last failure ("" if none) */

/* ---- value types (winnt.h numbers) ---- */
enum {
    REGDB_NONE = 0,
    REGDB_SZ = 1,
    REGDB_EXPAND_SZ = 2,
    REGDB_BINARY = 3,
    REGDB_DWORD = 4,
    REGDB_DWORD_BIG_ENDIAN = 5,
    REGDB_LINK = 6,
    REGDB_MULTI_SZ = 7,
    REGDB_RESOURCE_LIST = 8,
    REGDB_FULL_RESOURCE_DESCRIPTOR = 9,
    REGDB_RESOURCE_REQUIREMENTS_LIST = 10,
    REGDB_QWORD = 11,
};

#define REGDB_MAX_KEY_NAME 255
#define REGDB_MAX_VALUE_NAME 16383
#define REGDB_MAX_LINK_DEPTH 16

/* ---- opening a store ---- */
enum {
    REGDB_OPEN_CREATE = 0x1,   /* create the file (and the base hives) if missing */
    REGDB_OPEN_READONLY = 0x2, /* no writes; REGDB_E_READONLY on any change */
};

typedef struct regdb_open_opts {
    unsigned flags;      /* REGDB_OPEN_* */
    const char *vfs;     /* SQLite VFS name, NULL for the default (tests inject faults here) */
    int busy_timeout_ms; /* 0 means the default, 10000 */
} regdb_open_opts;

/*
 * Open a store.  path NULL or ":memory:" gives a private in-memory store
 * (flags other than READONLY are implied).  A file store uses WAL and a
 * busy timeout, so several processes can share it.  A file that is not a
 * pnpbox registry gives REGDB_E_NOTREGISTRY; a newer schema gives
 * REGDB_E_VERSION.  opts may be NULL.  *out is set only on success.
 */
int regdb_open(const char *path, const regdb_open_opts *opts, regdb **out);

/*
 * Close; pending transactions roll back.  NULL is allowed.  The
 * regdb_on_close callbacks run first.  A snapshot clone's connection may be
 * kept and handed, rewound, to a later regdb_snapshot_clone of the same
 * snapshot (regdb_cow.c): that clone is indistinguishable from a new one.
 */
void regdb_close(regdb *db);

/*
 * Call fn(ctx) when db is closed (before anything of the store goes), for
 * state a caller keeps per store.  Callbacks run newest first.
 */
int regdb_on_close(regdb *db, void (*fn)(void *ctx), void *ctx);

/*
 * The underlying SQLite connection, for emu/'s own machine tables only:
 * run statements on it, but finalize them before regdb_close, and do not
 * change the connection itself (functions, collations, pragmas, hooks,
 * attached or temporary databases) -- a recycled clone must come back as
 * new.  Per-store state goes through regdb_on_close.  (A connection with
 * an unfinalized foreign statement, an attachment or a temporary database
 * is closed rather than recycled.)
 */
struct sqlite3 *regdb_sqlite(regdb *db);

/* ---- keys ---- */
regdb_key regdb_root(regdb *db); /* \REGISTRY */

enum {
    REGDB_OPEN_LINK = 0x1, /* open a link key itself at the final component */
};

/*
 * Open the key at path below parent.  parent 0 means path is absolute and
 * must begin with '\' (\Registry\...).  path holds one or more components
 * separated by single '\'; an empty relative path opens parent itself.  A
 * single trailing '\' is ignored.  Comparison ignores case.
 * REGDB_E_NOTFOUND if any component is missing.
 */
int regdb_open_key(regdb *db, regdb_key parent, const uint16_t *path, size_t len, unsigned flags,
                   regdb_key *out);

enum {
    REGDB_CREATE_VOLATILE = 0x1, /* the new key is volatile (lost at regdb_reboot) */
    REGDB_CREATE_LINK = 0x2,     /* the new key is a link key (set its SymbolicLinkValue) */
    REGDB_CREATE_PATH = 0x4,     /* create missing intermediate keys too (RegCreateKeyEx) */
    REGDB_CREATE_EXCL = 0x8,     /* fail with REGDB_E_EXISTS if the key exists */
};

/*
 * Open or create.  Without REGDB_CREATE_PATH every component but the last
 * must exist (ZwCreateKey).  Options apply only to keys this call creates.
 * *created (may be NULL) is 1 if the final key was created, 0 if opened.
 * cls/cls_len: the class of a created key (may be NULL/0).
 */
int regdb_create_key(regdb *db, regdb_key parent, const uint16_t *path, size_t len, unsigned options,
                     const uint16_t *cls, size_t cls_len, regdb_key *out, int *created);

/* Delete a key and its values; REGDB_E_NOTEMPTY if it has subkeys. Hive roots cannot be deleted. */
int regdb_delete_key(regdb *db, regdb_key key);

/* Delete a key, every key below it and all their values, atomically. */
int regdb_delete_tree(regdb *db, regdb_key key);

/* 0 if the key exists, REGDB_E_DELETED if not. */
int regdb_key_check(regdb *db, regdb_key key);

enum {
    REGDB_KEY_VOLATILE = 0x1,
    REGDB_KEY_LINK = 0x2,
};

typedef struct regdb_key_info {
    uint32_t subkeys;         /* number of subkeys */
    uint32_t max_subkey_len;  /* longest subkey name, code units */
    uint32_t max_class_len;   /* longest subkey class, code units */
    uint32_t values;          /* number of values */
    uint32_t max_value_name;  /* longest value name, code units */
    uint32_t max_value_data;  /* largest value data, bytes */
    int64_t last_write;       /* FILETIME */
    unsigned flags;           /* REGDB_KEY_* */
    regdb_key parent;         /* 0 for the root */
    const uint16_t *name;     /* this key's own name (valid until next call) */
    size_t name_len;
    const uint16_t *cls;      /* class, NULL if none (valid until next call) */
    size_t cls_len;
} regdb_key_info;

int regdb_query_key(regdb *db, regdb_key key, regdb_key_info *out);

/*
 * The key's absolute path, as \REGISTRY\MACHINE\... with each component in
 * its stored case and the root named "\REGISTRY" (as ZwQueryKey's
 * KeyNameInformation gives it).  *path is malloc'd UTF-16 with a NUL
 * terminator; the caller frees it.
 */
int regdb_key_path(regdb *db, regdb_key key, uint16_t **path, size_t *len);

typedef struct regdb_key_entry {
    regdb_key id;
    const uint16_t *name; /* valid until the next call */
    size_t name_len;
    const uint16_t *cls;  /* NULL if none */
    size_t cls_len;
    int64_t last_write;
} regdb_key_entry;

/*
 * The index-th subkey in Windows order (uppercased name, by code unit).
 * REGDB_E_NOTFOUND past the end.  Sequential indexes are O(1) each.
 */
int regdb_enum_key(regdb *db, regdb_key key, uint32_t index, regdb_key_entry *out);

/* Set the last-write time explicitly (.reg import of saved times, tests). */
int regdb_set_last_write(regdb *db, regdb_key key, int64_t filetime);

/* ---- values ---- */
typedef struct regdb_value {
    const uint16_t *name; /* as stored (valid until next call) */
    size_t name_len;
    uint32_t type;
    const void *data;     /* valid until the next call; NULL when data_len is 0 */
    size_t data_len;
} regdb_value;

/* Create or overwrite a value.  name_len 0 is the default value. */
int regdb_set_value(regdb *db, regdb_key key, const uint16_t *name, size_t name_len, uint32_t type,
                    const void *data, size_t data_len);

/* Look up one value.  REGDB_E_NOTFOUND if the key has no such value. */
int regdb_query_value(regdb *db, regdb_key key, const uint16_t *name, size_t name_len,
                      regdb_value *out);

/*
 * Look up one value's type and data, copying at most cap bytes of the data
 * straight into buf (no name, no intermediate copy): the lean path of a
 * partial-information query.  *len is the data's full length, so cap <
 * *len means the data was cut.  REGDB_E_NOTFOUND if there is no such value.
 */
int regdb_query_value_into(regdb *db, regdb_key key, const uint16_t *name, size_t name_len, uint32_t *type,
                           void *buf, size_t cap, size_t *len);
/* The same, but buf is left untouched unless all the data fits (cap >= *len):
 * the path of RegQueryValueExW, whose buffer stays as it was on ERROR_MORE_DATA. */
int regdb_query_value_fit(regdb *db, regdb_key key, const uint16_t *name, size_t name_len, uint32_t *type,
                          void *buf, size_t cap, size_t *len);

int regdb_delete_value(regdb *db, regdb_key key, const uint16_t *name, size_t name_len);

/* The index-th value in creation order; REGDB_E_NOTFOUND past the end. */
int regdb_enum_value(regdb *db, regdb_key key, uint32_t index, regdb_value *out);

/* ---- typed helpers (strings are NUL-terminated UTF-16 unless a length is given) ---- */
int regdb_set_sz(regdb *db, regdb_key key, const uint16_t *name, const uint16_t *s);
int regdb_set_expand_sz(regdb *db, regdb_key key, const uint16_t *name, const uint16_t *s);
/* strs: n strings; written as s1\0s2\0...\0\0 (an empty list is a single \0\0... see .c) */
int regdb_set_multi_sz(regdb *db, regdb_key key, const uint16_t *name, const uint16_t *const *strs, size_t n);
int regdb_set_dword(regdb *db, regdb_key key, const uint16_t *name, uint32_t v);
int regdb_set_dword_be(regdb *db, regdb_key key, const uint16_t *name, uint32_t v);
int regdb_set_qword(regdb *db, regdb_key key, const uint16_t *name, uint64_t v);
int regdb_set_binary(regdb *db, regdb_key key, const uint16_t *name, const void *p, size_t n);
int regdb_set_none(regdb *db, regdb_key key, const uint16_t *name, const void *p, size_t n);
int regdb_set_link(regdb *db, regdb_key key, const uint16_t *target, size_t target_len);

/* Typed getters: REGDB_E_TYPE if the stored type differs (SZ getters accept EXPAND_SZ too). */
int regdb_get_dword(regdb *db, regdb_key key, const uint16_t *name, uint32_t *v);
int regdb_get_qword(regdb *db, regdb_key key, const uint16_t *name, uint64_t *v);
/* *s is malloc'd, NUL-terminated even if the stored data was not; caller frees. */
int regdb_get_sz(regdb *db, regdb_key key, const uint16_t *name, uint16_t **s, size_t *len);

/* ---- convenience for UTF-8 callers (CLI, tests): path/name in UTF-8 ---- */
int regdb_open_key_u8(regdb *db, regdb_key parent, const char *path, regdb_key *out);
int regdb_create_key_u8(regdb *db, regdb_key parent, const char *path, unsigned options, regdb_key *out);

/* ---- transactions ---- */
/*
 * All-or-nothing groups of changes.  They nest: an inner rollback undoes
 * only the inner part.  Change hooks fire when the outermost transaction
 * commits, never for changes rolled back.
 */
int regdb_begin(regdb *db);
int regdb_commit(regdb *db);
int regdb_rollback(regdb *db);
int regdb_in_transaction(regdb *db);

/* ---- volatile keys ---- */
/* Delete every volatile key (and its subtree and values): a reboot. */
int regdb_reboot(regdb *db);

/* ---- snapshots ---- */
typedef struct regdb_snapshot regdb_snapshot;

/* Capture the whole store (registry and any machine tables). */
int regdb_snapshot_take(regdb *db, regdb_snapshot **out);
void regdb_snapshot_free(regdb_snapshot *snap);
/*
 * A new, private in-memory store with the snapshot's contents: a
 * copy-on-write view of the image, or a closed clone of it rewound (see
 * regdb_close).  Clones may outlive the snapshot.
 */
int regdb_snapshot_clone(const regdb_snapshot *snap, regdb **out);
/* Write the snapshot as a new file store at path (which must not exist). */
int regdb_snapshot_write(const regdb_snapshot *snap, const char *path);
/* The image bytes (an SQLite database image) and a snapshot from bytes. */
const void *regdb_snapshot_data(const regdb_snapshot *snap, size_t *len);
int regdb_snapshot_from_data(const void *data, size_t len, regdb_snapshot **out);

/* ---- change hooks ---- */
enum {
    REGDB_CHANGE_NAME = 0x1,       /* a subkey was created or deleted (REG_NOTIFY_CHANGE_NAME) */
    REGDB_CHANGE_ATTRIBUTES = 0x2, /* key attributes (REG_NOTIFY_CHANGE_ATTRIBUTES) */
    REGDB_CHANGE_LAST_SET = 0x4,   /* a value was set or deleted (REG_NOTIFY_CHANGE_LAST_SET) */
    REGDB_CHANGE_SECURITY = 0x8,   /* security (REG_NOTIFY_CHANGE_SECURITY) */
    REGDB_CHANGE_DELETED = 0x10,   /* the watched key itself was deleted */
};

/*
 * Called after a change commits.  watched is the key the hook is on,
 * changed the key whose values or subkey list changed, what the
 * REGDB_CHANGE_* bit.  The callback may call regdb but must not remove
 * other hooks than its own.
 */
typedef void (*regdb_hook_fn)(void *ctx, regdb_key watched, regdb_key changed, unsigned what);

/*
 * Watch key (and, with subtree, every key below it) for the changes in
 * filter.  Hooks are per regdb (in-process).  *id identifies the hook.
 */
int regdb_hook_add(regdb *db, regdb_key key, int subtree, unsigned filter, regdb_hook_fn fn, void *ctx,
                   int *id);
int regdb_hook_remove(regdb *db, int id);

/* ---- .reg import and export (regedit "Windows Registry Editor Version 5.00") ---- */
/*
 * Export key and everything below it.  The output is UTF-16LE with BOM and
 * CRLF, as regedit writes it; *out is malloc'd (caller frees), *len bytes.
 * The key path is written in the HKEY_* form (\REGISTRY\MACHINE ->
 * HKEY_LOCAL_MACHINE, \REGISTRY\USER -> HKEY_USERS).
 */
int regdb_export(regdb *db, regdb_key key, void **out, size_t *len);

typedef struct regdb_import_result {
    unsigned keys_created;
    unsigned keys_deleted;
    unsigned values_set;
    unsigned values_deleted;
    unsigned line; /* on REGDB_E_FORMAT: the 1-based line that failed */
} regdb_import_result;

/*
 * Import .reg text (UTF-16LE with BOM, or UTF-8 with or without BOM) in
 * one transaction: on any error nothing is changed.  result may be NULL.
 */
int regdb_import(regdb *db, const void *data, size_t len, regdb_import_result *result);

/* ---- time ---- */
int64_t regdb_filetime_now(void);

#endif
