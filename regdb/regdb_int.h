/*
 * regdb_int.h: regdb's private state, shared by regdb.c (keys, values,
 * transactions, hooks, snapshots) and regfile.c (.reg import/export).
 */
#ifndef REGDB_INT_H
#define REGDB_INT_H

#include "regdb/regdb.h"

#include <sqlite3.h>

#define REGDB_APPLICATION_ID 0x706e7062 /* 'pnpb' */
#define REGDB_SCHEMA_VERSION 1
#define REGDB_ROOT_ID 1

enum regdb_stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_LOOKUP,
    ST_KEY_GET,
    ST_KEY_INSERT,
    ST_KEY_TOUCH,
    ST_KEY_DELETE,
    ST_KEY_HASCHILD,
    ST_KEY_COUNTS,
    ST_KEY_ENUM_AFTER,
    ST_KEY_ENUM_AT,
    ST_VAL_GET,
    ST_VAL_UPSERT,
    ST_VAL_DELETE,
    ST_VAL_DELETE_KEY,
    ST_VAL_COUNTS,
    ST_VAL_ENUM_AFTER,
    ST_VAL_ENUM_AT,
    ST_TREE_VALS,
    ST_TREE_KEYS,
    ST_TREE_IDS,
    ST_KEY_SET_MTIME,
    ST__COUNT
};

typedef struct regdb_hook {
    int id;
    regdb_key key;
    int subtree;
    unsigned filter;
    regdb_hook_fn fn;
    void *ctx;
} regdb_hook;

typedef struct regdb_event {
    int hook_id;
    regdb_key watched;
    regdb_key changed;
    unsigned what;
} regdb_event;

/* Where sequential enumeration left off, so index i+1 is one seek. */
typedef struct regdb_cursor {
    regdb_key key;
    uint32_t index;       /* index of the entry last returned */
    uint64_t gen;         /* db->gen when it was taken */
    int64_t data_version; /* SQLite data version (other processes' commits) */
    int64_t seq;          /* values: seq of the last entry */
    unsigned char *uname; /* subkeys: uname of the last entry */
    size_t uname_len;
    size_t uname_cap;
} regdb_cursor;

/*
 * The look-up cache of a memory store: (parent, upcased name) -> key, or
 * id 0 for a name known to be missing.  Ids are never reused and a key's
 * flags never change, so an entry stays true until a key is deleted or a
 * change is rolled back (a key created in it vanishes, a deleted one comes
 * back), or the store is rebooted or recycled: each of those bumps lgen,
 * which empties the cache at once.  A "missing" entry ends when the key is
 * made: insert_key is the only place keys are made, and it writes the new
 * key into the slot its name hashes to, the very slot of that entry.  File
 * stores, which other processes change, have none.
 */
#define REGDB_LCACHE_SLOTS 256 /* a power of two */
#define REGDB_LCACHE_NAME 96   /* longest cached name, bytes of UTF-16BE */

/*
 * The key cache of a memory store, by id: parent and stored-case name of
 * keys known to exist (same rules and the same lgen as the look-up cache).
 * It answers existence checks and builds key paths without a query.
 */
#define REGDB_KCACHE_SLOTS 256 /* a power of two; slot = id mod size */
#define REGDB_KCACHE_NAME 48   /* longest cached name, code units */
#define REGDB_KCACHE_NONAME 0xffff

typedef struct regdb_kslot {
    uint64_t gen;
    regdb_key id, parent;
    unsigned flags; /* REGDB_KEY_* */
    uint16_t nlen;  /* REGDB_KCACHE_NONAME: the name was too long to keep */
    uint16_t name[REGDB_KCACHE_NAME];
} regdb_kslot;

typedef struct regdb_lslot {
    uint64_t gen; /* the entry holds while this equals db->lgen */
    regdb_key parent, id;
    unsigned flags;
    uint16_t ulen;
    unsigned char uname[REGDB_LCACHE_NAME];
} regdb_lslot;

struct regdb {
    sqlite3 *sql;
    sqlite3_stmt *st[ST__COUNT];
    int readonly;
    int is_file;
    int depth;              /* transaction nesting */
    int txn_failed;         /* an internal step failed inside a user transaction */
    uint64_t gen;           /* bumped by every local change */
    char errmsg[256];

    /* scratch buffers for names (upcased, big-endian) and returned data */
    unsigned char *ubuf;
    size_t ubuf_cap;
    unsigned char *out_name;
    size_t out_name_cap;
    unsigned char *out_data;
    size_t out_data_cap;
    unsigned char *out_cls;
    size_t out_cls_cap;

    regdb_cursor kcur, vcur;

    regdb_hook *hooks;
    int nhooks, hooks_cap, next_hook_id;
    regdb_event *events;    /* queued until the outermost commit */
    int nevents, events_cap;
    int *sp_events;         /* nevents at each savepoint level */
    int sp_cap;

    regdb_lslot *lcache;    /* memory stores: REGDB_LCACHE_SLOTS entries, made on first use */
    regdb_kslot *kcache;    /* memory stores: REGDB_KCACHE_SLOTS entries, made on first use */
    uint64_t lgen;

    /* keys whose last-write time the current transaction has set (touch()) */
    regdb_key touched[8];
    int ntouched;
    uint64_t touched_lgen;  /* the set holds while this equals lgen */

    struct regdb_closer *closers; /* regdb_on_close callbacks, newest first */
    struct cow_image *img;        /* a snapshot clone: the image it may be recycled for */
};

typedef struct regdb_closer {
    void (*fn)(void *ctx);
    void *ctx;
    struct regdb_closer *next;
} regdb_closer;

/* Copy-on-write clones (regdb_cow.c). */
struct cow_image;
struct cow_image *regdb__cow_image_new(unsigned char *data, size_t len); /* takes data (sqlite3_malloc'd) */
void regdb__cow_image_ref(struct cow_image *im);
void regdb__cow_image_unref(struct cow_image *im);
const unsigned char *regdb__cow_image_data(const struct cow_image *im, size_t *len);
int regdb__cow_open(struct cow_image *im, sqlite3 **out); /* an SQLite status */
/*
 * Recycling closed clones (regdb_close / regdb_snapshot_clone; the proof
 * that a recycled clone is a fresh one is in regdb_cow.c).
 *   _rewind: put a clone's main database file back to the image; 0, or -1
 *     if the connection cannot be proven to notice (it is then closed).
 *   _put: keep a rewound clone for reuse; 0, or -1 if the pool is full or
 *     its snapshot is gone (the caller closes it).
 *   _take: a kept clone, or NULL.
 *   _drain: stop recycling for this image and return the kept clones one by
 *     one (NULL at the end) for the caller to close.
 */
int regdb__cow_rewind(struct cow_image *im, sqlite3 *db);
int regdb__cow_put(struct cow_image *im, regdb *db);
regdb *regdb__cow_take(struct cow_image *im);
regdb *regdb__cow_drain(struct cow_image *im);

/* Internal helpers shared with regfile.c. */
int regdb__sqlerr(regdb *db, int rc, const char *what);
void regdb__set_err(regdb *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
