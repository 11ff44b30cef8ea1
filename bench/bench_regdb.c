/*
 * bench_regdb.c: regdb against raw SQLite prepared statements on an
 * equivalent schema, measured side by side in one run (issue 2).
 *
 *   regdb.query_open_key.ratio_vs_sqlite  DWORD query on an open key vs one
 *                                         raw point lookup (target <= 1.2)
 *   regdb.open_path6.ratio_vs_sqlite      6-level relative open vs six raw
 *                                         lookups (target <= 1.5)
 *   regdb.snapshot_clone_us               fresh store cloned from a ~5,000-key
 *                                         template, until the first query
 *                                         answers (target <= 100): the median,
 *                                         that is a closed clone rewound
 *                                         (regdb_cow.c), as every clone after
 *                                         the first is
 *   regdb.snapshot_clone_new_us           the same on a new SQLite connection
 *                                         (clones opened while the others stay
 *                                         open, so none can be recycled)
 *   regdb.set_value_ns, regdb.enum_1000_subkeys_ns, regdb.enum_1000_values_ns
 *
 * The raw baseline gets the same work regdb must do besides SQL: the name
 * is upcased into the stored big-endian form and the data copied out.  A
 * memory store caches key look-ups (regdb_int.h), so the repeated 6-level
 * open is answered from that cache, as a driver reopening its keys is; the
 * raw side runs its six lookups every time.  For information,
 * regdb.open_path6_distinct.ratio_vs_sqlite opens 1,024 different 6-level
 * paths in turn, so most components miss that cache.
 */
#include "bench/bench_util.h"
#include "base/pb_utf16.h"
#include "regdb/regdb.h"

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#define RUNS 11

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_regdb: %s failed: %d (%s)\n", what, rc, regdb_strerror(rc));
    exit(1);
}

static size_t u16(const char *s, uint16_t *out)
{
    size_t n = strlen(s);
    for (size_t i = 0; i <= n; i++)
        out[i] = (uint16_t)(unsigned char)s[i];
    return n;
}

/* The raw schema mirrors regdb's (see regdb.c) so the SQL work is the same. */
static const char raw_schema[] =
    "CREATE TABLE keys(id INTEGER PRIMARY KEY AUTOINCREMENT, parent INTEGER NOT NULL, uname BLOB NOT NULL,"
    " name BLOB NOT NULL, flags INTEGER NOT NULL DEFAULT 0, class BLOB, mtime INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX keys_by_name ON keys(parent, uname);"
    "CREATE TABLE vals(key INTEGER NOT NULL, uname BLOB NOT NULL, name BLOB NOT NULL, seq INTEGER NOT NULL,"
    " type INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(key, uname)) WITHOUT ROWID;"
    "CREATE INDEX vals_by_seq ON vals(key, seq);";

static size_t upcase_be(const uint16_t *name, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t c = pb_upcase(name[i]);
        out[2 * i] = (unsigned char)(c >> 8);
        out[2 * i + 1] = (unsigned char)c;
    }
    return n * 2;
}

static const char *const path6[] = {"SYSTEM", "ControlSet001", "Services", "pnpdrv", "Parameters", "Tuning"};

int main(void)
{
    regdb *db;
    int rc;
    if ((rc = regdb_open(NULL, NULL, &db)) < 0)
        die("open", rc);
    regdb_key machine, k;
    if ((rc = regdb_open_key_u8(db, 0, "\\Registry\\Machine", &machine)) < 0)
        die("open machine", rc);
    if ((rc = regdb_create_key_u8(db, machine, "SYSTEM\\ControlSet001\\Services\\pnpdrv\\Parameters\\Tuning",
                                  REGDB_CREATE_PATH, &k)) < 0)
        die("create", rc);
    if ((rc = regdb_set_dword(db, k, L"Threshold", 42)) < 0)
        die("set", rc);
    for (int i = 0; i < 50; i++) { /* some neighbours so the indexes are not trivial */
        char n[32];
        uint16_t w[32];
        snprintf(n, sizeof n, "Other%02d", i);
        u16(n, w);
        regdb_set_dword(db, k, w, (uint32_t)i);
    }

    /* Equivalent raw store with the same rows. */
    sqlite3 *raw;
    sqlite3_open(":memory:", &raw);
    if (sqlite3_exec(raw, raw_schema, NULL, NULL, NULL) != SQLITE_OK)
        die("raw schema", -1);
    sqlite3_stmt *ins_k, *ins_v, *get_v, *get_k;
    sqlite3_prepare_v2(raw, "INSERT INTO keys(parent,uname,name,flags,mtime) VALUES(?,?,?,0,0)", -1, &ins_k, NULL);
    sqlite3_prepare_v2(raw, "INSERT INTO vals VALUES(?,?,?,?,4,?)", -1, &ins_v, NULL);
    sqlite3_prepare_v3(raw, "SELECT type, data, name FROM vals WHERE key=?1 AND uname=?2", -1,
                       SQLITE_PREPARE_PERSISTENT, &get_v, NULL);
    sqlite3_prepare_v3(raw, "SELECT id, flags FROM keys WHERE parent=?1 AND uname=?2", -1,
                       SQLITE_PREPARE_PERSISTENT, &get_k, NULL);
    int64_t parent = 0;
    unsigned char ub[600];
    uint16_t wb[300];
    sqlite3_exec(raw, "BEGIN", NULL, NULL, NULL);
    for (int i = 0; i < 6; i++) {
        size_t n = u16(path6[i], wb);
        size_t ul = upcase_be(wb, n, ub);
        sqlite3_bind_int64(ins_k, 1, parent);
        sqlite3_bind_blob(ins_k, 2, ub, (int)ul, SQLITE_TRANSIENT);
        sqlite3_bind_blob(ins_k, 3, wb, (int)(n * 2), SQLITE_TRANSIENT);
        sqlite3_step(ins_k);
        sqlite3_reset(ins_k);
        parent = sqlite3_last_insert_rowid(raw);
    }
    for (int i = -1; i < 50; i++) {
        char n[32];
        snprintf(n, sizeof n, i < 0 ? "Threshold" : "Other%02d", i);
        size_t nl = u16(n, wb);
        size_t ul = upcase_be(wb, nl, ub);
        uint32_t v = (uint32_t)(i < 0 ? 42 : i);
        sqlite3_bind_int64(ins_v, 1, parent);
        sqlite3_bind_blob(ins_v, 2, ub, (int)ul, SQLITE_TRANSIENT);
        sqlite3_bind_blob(ins_v, 3, wb, (int)(nl * 2), SQLITE_TRANSIENT);
        sqlite3_bind_int(ins_v, 4, i + 2);
        sqlite3_bind_blob(ins_v, 5, &v, 4, SQLITE_TRANSIENT);
        sqlite3_step(ins_v);
        sqlite3_reset(ins_v);
    }
    sqlite3_exec(raw, "COMMIT", NULL, NULL, NULL);

    /* ---- query on an open key ---- */
    const int QN = 200000;
    double t_regdb[RUNS], t_raw[RUNS];
    uint16_t vname[16];
    size_t vnl = u16("threshold", vname);
    volatile uint32_t sink = 0;
    for (int r = 0; r < RUNS; r++) {
        double t0 = bench_now_ns();
        for (int i = 0; i < QN; i++) {
            regdb_value v;
            if (regdb_query_value(db, k, vname, vnl, &v) < 0)
                die("query", -1);
            uint32_t x;
            memcpy(&x, v.data, 4);
            sink += x;
        }
        double t1 = bench_now_ns();
        for (int i = 0; i < QN; i++) {
            unsigned char u[64];
            size_t ul = upcase_be(vname, vnl, u);
            sqlite3_bind_int64(get_v, 1, parent);
            sqlite3_bind_blob(get_v, 2, u, (int)ul, SQLITE_STATIC);
            if (sqlite3_step(get_v) != SQLITE_ROW)
                die("raw query", -1);
            uint32_t x;
            memcpy(&x, sqlite3_column_blob(get_v, 1), 4);
            sink += x;
            sqlite3_reset(get_v);
        }
        double t2 = bench_now_ns();
        t_regdb[r] = (t1 - t0) / QN;
        t_raw[r] = (t2 - t1) / QN;
    }
    double q_regdb = bench_median(t_regdb, RUNS), q_raw = bench_median(t_raw, RUNS);
    printf("query value on open key:  regdb %7.1f ns   raw sqlite %7.1f ns\n", q_regdb, q_raw);

    /* ---- 6-level open ---- */
    const int ON = 100000;
    uint16_t p6[200];
    size_t p6n = u16("SYSTEM\\ControlSet001\\Services\\pnpdrv\\Parameters\\Tuning", p6);
    uint16_t comp[6][32];
    size_t compn[6];
    for (int i = 0; i < 6; i++)
        compn[i] = u16(path6[i], comp[i]);
    for (int r = 0; r < RUNS; r++) {
        double t0 = bench_now_ns();
        for (int i = 0; i < ON; i++) {
            regdb_key out;
            if (regdb_open_key(db, machine, p6, p6n, 0, &out) < 0)
                die("open6", -1);
            sink += (uint32_t)out;
        }
        double t1 = bench_now_ns();
        for (int i = 0; i < ON; i++) {
            int64_t cur = 0;
            for (int c = 0; c < 6; c++) {
                unsigned char u[64];
                size_t ul = upcase_be(comp[c], compn[c], u);
                sqlite3_bind_int64(get_k, 1, cur);
                sqlite3_bind_blob(get_k, 2, u, (int)ul, SQLITE_STATIC);
                if (sqlite3_step(get_k) != SQLITE_ROW)
                    die("raw open", -1);
                cur = sqlite3_column_int64(get_k, 0);
                sink += (uint32_t)sqlite3_column_int(get_k, 1);
                sqlite3_reset(get_k);
            }
            sink += (uint32_t)cur;
        }
        double t2 = bench_now_ns();
        t_regdb[r] = (t1 - t0) / ON;
        t_raw[r] = (t2 - t1) / ON;
    }
    double o_regdb = bench_median(t_regdb, RUNS), o_raw = bench_median(t_raw, RUNS);
    printf("open 6-level path:        regdb %7.1f ns   raw sqlite %7.1f ns\n", o_regdb, o_raw);

    /* ---- the same on 1,024 distinct paths in turn (for information: the look-up cache misses) ---- */
    enum { DN = 1024 };
    static uint16_t dp[DN][80];
    static size_t dpn[DN];
    int64_t svc_raw = 0;
    for (int c = 0; c < 3; c++) { /* the raw side's Services key */
        unsigned char u[64];
        size_t ul = upcase_be(comp[c], compn[c], u);
        sqlite3_bind_int64(get_k, 1, svc_raw);
        sqlite3_bind_blob(get_k, 2, u, (int)ul, SQLITE_STATIC);
        if (sqlite3_step(get_k) != SQLITE_ROW)
            die("raw services", -1);
        svc_raw = sqlite3_column_int64(get_k, 0);
        sqlite3_reset(get_k);
    }
    regdb_begin(db);
    sqlite3_exec(raw, "BEGIN", NULL, NULL, NULL);
    for (int d = 0; d < DN; d++) {
        char n[96];
        snprintf(n, sizeof n, "SYSTEM\\ControlSet001\\Services\\pnpdrv%04d\\Parameters\\Tuning", d);
        dpn[d] = u16(n, dp[d]);
        regdb_key dk;
        if ((rc = regdb_create_key_u8(db, machine, n, REGDB_CREATE_PATH, &dk)) < 0)
            die("create distinct", rc);
        int64_t par = svc_raw;
        for (int c = 3; c < 6; c++) {
            char cn[32];
            if (c == 3)
                snprintf(cn, sizeof cn, "pnpdrv%04d", d);
            else
                snprintf(cn, sizeof cn, "%s", path6[c]);
            size_t wl = u16(cn, wb);
            size_t ul = upcase_be(wb, wl, ub);
            sqlite3_bind_int64(ins_k, 1, par);
            sqlite3_bind_blob(ins_k, 2, ub, (int)ul, SQLITE_TRANSIENT);
            sqlite3_bind_blob(ins_k, 3, wb, (int)(wl * 2), SQLITE_TRANSIENT);
            if (sqlite3_step(ins_k) != SQLITE_DONE)
                die("raw distinct", -1);
            sqlite3_reset(ins_k);
            par = sqlite3_last_insert_rowid(raw);
        }
    }
    sqlite3_exec(raw, "COMMIT", NULL, NULL, NULL);
    if ((rc = regdb_commit(db)) < 0)
        die("commit distinct", rc);
    for (int r = 0; r < RUNS; r++) {
        double t0 = bench_now_ns();
        for (int i = 0; i < ON; i++) {
            regdb_key out;
            int d = (i * 613) % DN; /* a stride, so neighbours in a cache slot are not consecutive */
            if (regdb_open_key(db, machine, dp[d], dpn[d], 0, &out) < 0)
                die("open6 distinct", -1);
            sink += (uint32_t)out;
        }
        double t1 = bench_now_ns();
        for (int i = 0; i < ON; i++) {
            int d = (i * 613) % DN;
            int64_t cur = 0;
            size_t at = 0;
            for (int c = 0; c < 6; c++) { /* the same components regdb walks, split at '\' */
                size_t end = at;
                while (end < dpn[d] && dp[d][end] != '\\')
                    end++;
                unsigned char u[64];
                size_t ul = upcase_be(dp[d] + at, end - at, u);
                sqlite3_bind_int64(get_k, 1, cur);
                sqlite3_bind_blob(get_k, 2, u, (int)ul, SQLITE_STATIC);
                if (sqlite3_step(get_k) != SQLITE_ROW)
                    die("raw open distinct", -1);
                cur = sqlite3_column_int64(get_k, 0);
                sink += (uint32_t)sqlite3_column_int(get_k, 1);
                sqlite3_reset(get_k);
                at = end + 1;
            }
            sink += (uint32_t)cur;
        }
        double t2 = bench_now_ns();
        t_regdb[r] = (t1 - t0) / ON;
        t_raw[r] = (t2 - t1) / ON;
    }
    double od_regdb = bench_median(t_regdb, RUNS), od_raw = bench_median(t_raw, RUNS);
    printf("open 6-level, %d paths:  regdb %7.1f ns   raw sqlite %7.1f ns\n", DN, od_regdb, od_raw);

    /* ---- set value ---- */
    const int SN = 20000;
    double t_set[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double t0 = bench_now_ns();
        for (int i = 0; i < SN; i++)
            if (regdb_set_dword(db, k, L"Counter", (uint32_t)i) < 0)
                die("set", -1);
        t_set[r] = (bench_now_ns() - t0) / SN;
    }
    double set_ns = bench_median(t_set, RUNS);
    printf("set DWORD value:          regdb %7.1f ns\n", set_ns);

    /* ---- enumeration of 1,000 subkeys and 1,000 values ---- */
    regdb_key big;
    if ((rc = regdb_create_key_u8(db, machine, "Big", 0, &big)) < 0)
        die("create big", rc);
    regdb_begin(db);
    for (int i = 0; i < 1000; i++) {
        char n[32];
        uint16_t w[32];
        snprintf(n, sizeof n, "Sub%04d", (i * 7919) % 1000);
        size_t nl = u16(n, w);
        regdb_key sk;
        if ((rc = regdb_create_key(db, big, w, nl, 0, NULL, 0, &sk, NULL)) < 0)
            die("create sub", rc);
        snprintf(n, sizeof n, "Val%04d", i);
        u16(n, w);
        regdb_set_dword(db, big, w, (uint32_t)i);
    }
    regdb_commit(db);
    double t_ek[RUNS], t_ev[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double t0 = bench_now_ns();
        for (uint32_t i = 0;; i++) {
            regdb_key_entry e;
            if (regdb_enum_key(db, big, i, &e) < 0)
                break;
            sink += (uint32_t)e.name_len;
        }
        double t1 = bench_now_ns();
        for (uint32_t i = 0;; i++) {
            regdb_value v;
            if (regdb_enum_value(db, big, i, &v) < 0)
                break;
            sink += (uint32_t)v.data_len;
        }
        double t2 = bench_now_ns();
        t_ek[r] = (t1 - t0) / 1000;
        t_ev[r] = (t2 - t1) / 1000;
    }
    double ek = bench_median(t_ek, RUNS), ev = bench_median(t_ev, RUNS);
    printf("enumerate 1000 subkeys:   %7.1f ns/key    1000 values: %7.1f ns/value\n", ek, ev);

    /* ---- snapshot clone of a ~5,000-key template ---- */
    regdb *tmpl;
    regdb_open(NULL, NULL, &tmpl);
    regdb_key tm, tk;
    regdb_open_key_u8(tmpl, 0, "\\Registry\\Machine", &tm);
    regdb_begin(tmpl);
    int nkeys = 0;
    for (int a = 0; a < 50 && nkeys < 5000; a++) {
        char n[96];
        snprintf(n, sizeof n, "SYSTEM\\ControlSet001\\Control\\Class\\{4d36e97d-e325-11ce-bfc1-08002be1%04d}", a);
        regdb_key ck;
        if ((rc = regdb_create_key_u8(tmpl, tm, n, REGDB_CREATE_PATH, &ck)) < 0)
            die("tmpl", rc);
        regdb_set_sz(tmpl, ck, L"Class", L"System");
        nkeys++;
        for (int b = 0; b < 99; b++) {
            snprintf(n, sizeof n, "%04d", b);
            if ((rc = regdb_create_key_u8(tmpl, ck, n, 0, &tk)) < 0)
                die("tmpl sub", rc);
            regdb_set_sz(tmpl, tk, L"DriverDesc", L"Some Device Description");
            regdb_set_sz(tmpl, tk, L"InfPath", L"machine.inf");
            regdb_set_dword(tmpl, tk, L"Flags", (uint32_t)b);
            nkeys++;
        }
    }
    regdb_commit(tmpl);
    regdb_snapshot *snap;
    if ((rc = regdb_snapshot_take(tmpl, &snap)) < 0)
        die("snapshot", rc);
    size_t img_len;
    regdb_snapshot_data(snap, &img_len);
    const int CN = 200, NEWN = 21;
    double t_clone[CN], t_close[CN], t_new[NEWN];
    static const char qpath[] = "\\Registry\\Machine\\SYSTEM\\ControlSet001\\Control\\Class\\"
                                "{4d36e97d-e325-11ce-bfc1-08002be10007}\\0042";
    /* New connections: nothing is closed meanwhile, so nothing can be recycled. */
    regdb *open_clones[NEWN];
    for (int r = 0; r < NEWN; r++) {
        double t0 = bench_now_ns();
        regdb *c;
        if ((rc = regdb_snapshot_clone(snap, &c)) < 0)
            die("clone", rc);
        regdb_key q;
        regdb_value v;
        if (regdb_open_key_u8(c, 0, qpath, &q) < 0 || regdb_query_value(c, q, (const uint16_t *)L"Flags", 5, &v) < 0)
            die("clone query", -1);
        t_new[r] = (bench_now_ns() - t0) / 1000;
        open_clones[r] = c;
    }
    for (int r = 0; r < NEWN; r++)
        regdb_close(open_clones[r]);
    /* Then clone, query, close: every clone is a closed one rewound. */
    for (int r = 0; r < CN; r++) {
        double t0 = bench_now_ns();
        regdb *c;
        if ((rc = regdb_snapshot_clone(snap, &c)) < 0)
            die("clone", rc);
        regdb_key q;
        regdb_value v;
        if (regdb_open_key_u8(c, 0, qpath, &q) < 0 || regdb_query_value(c, q, (const uint16_t *)L"Flags", 5, &v) < 0)
            die("clone query", -1);
        double t1 = bench_now_ns();
        regdb_close(c);
        double t2 = bench_now_ns();
        t_clone[r] = (t1 - t0) / 1000;
        t_close[r] = (t2 - t1) / 1000;
    }
    double new_us = bench_median(t_new, NEWN);
    double clone_us = bench_median(t_clone, CN), close_us = bench_median(t_close, CN);
    printf("clone %d-key template (%zu KiB image) until first query: %.1f us (close %.1f us); "
           "on a new connection: %.1f us\n",
           nkeys, img_len / 1024, clone_us, close_us, new_us);
    regdb_snapshot_free(snap);
    regdb_close(tmpl);

    bench_print("regdb.query_open_key.ratio_vs_sqlite", q_regdb / q_raw, "x");
    bench_print("regdb.query_open_key_ns", q_regdb, "ns");
    bench_print("regdb.open_path6.ratio_vs_sqlite", o_regdb / o_raw, "x");
    bench_print("regdb.open_path6_ns", o_regdb, "ns");
    bench_print("regdb.open_path6_distinct.ratio_vs_sqlite", od_regdb / od_raw, "x");
    bench_print("regdb.open_path6_distinct_ns", od_regdb, "ns");
    bench_print("regdb.snapshot_clone_us", clone_us, "us");
    bench_print("regdb.snapshot_clone_new_us", new_us, "us");
    bench_print("regdb.set_value_ns", set_ns, "ns");
    bench_print("regdb.enum_1000_subkeys_ns", ek, "ns");
    bench_print("regdb.enum_1000_values_ns", ev, "ns");
    (void)sink;
    sqlite3_finalize(ins_k);
    sqlite3_finalize(ins_v);
    sqlite3_finalize(get_v);
    sqlite3_finalize(get_k);
    sqlite3_close(raw);
    regdb_close(db);
    return 0;
}
