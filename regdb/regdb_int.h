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
};

/* Copy-on-write clones (regdb_cow.c). */
struct cow_image;
struct cow_image *regdb__cow_image_new(unsigned char *data, size_t len); /* takes data (sqlite3_malloc'd) */
void regdb__cow_image_ref(struct cow_image *im);
void regdb__cow_image_unref(struct cow_image *im);
const unsigned char *regdb__cow_image_data(const struct cow_image *im, size_t *len);
int regdb__cow_open(struct cow_image *im, sqlite3 **out); /* an SQLite status */

/* Internal helpers shared with regfile.c. */
int regdb__sqlerr(regdb *db, int rc, const char *what);
void regdb__set_err(regdb *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
