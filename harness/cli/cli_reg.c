/*
 * cli_reg.c: `pnpbox reg query|add|delete|export|import`, the machine's
 * registry with reg.exe's syntax, which Windows driver developers already
 * type.  Everything goes through regdb and the machine opened by
 * cli_open_registry.
 *
 * reg.exe's behaviour that is copied: roots HKLM/HKCU/HKCR/HKU/HKCC and
 * their long names; /v /ve /va /t /d /s /se /f /y; options ignore case and
 * may start with '-' instead of '/'; "\0" separates REG_MULTI_SZ strings in
 * /d; the query layout (below); "The operation completed successfully." on
 * stdout after a change.  Where pnpbox differs, on purpose:
 *   - it never prompts: /f is accepted and changes nothing; add overwrites,
 *     delete deletes, export without /y refuses an existing file;
 *   - an absolute Linux path for export/import may start with '/': an
 *     argument that is not a known option is taken as the file name;
 *   - /reg:64 is accepted (pnpbox emulates amd64, whose native view it is);
 *     /reg:32 is refused (there is no WOW64 view);
 *   - delete without /v removes the key and its subtree; a link key
 *     itself is deleted, never its target;
 *   - exit status 2 (cli.h) for bad usage and for an import file that
 *     cannot be read or is malformed.
 *
 * Query layout (reg.exe's): a blank line, the key path with the long root
 * name and the rest as typed, then one line per value: four spaces, name,
 * four spaces, type, four spaces, data ("(Default)" names the default
 * value).  Without /s: a blank line after the values if there are any,
 * then the subkeys' paths, one per line, and a blank line after them if
 * there are any.  With /s: after the first blank line, each key depth
 * first in registry order as its path, its values and a blank line (with
 * /v or /ve only the keys holding that value; no "End of search" line).
 * Subkey paths are the parent's path as printed, '\', the stored name.
 * Data: strings up
 * to their first NUL; REG_MULTI_SZ joined with "\0" (or /se SEP); REG_DWORD
 * (and DWORD_BIG_ENDIAN, read big-endian) as 0x2a, REG_QWORD as 0x...,
 * everything else (or a DWORD/QWORD of the wrong size) as contiguous
 * uppercase hex digits.  A type without a winnt.h name prints as
 * REG_UNKNOWN(0x...).  "/ve" on a key without a default value prints
 * "(Default)    REG_SZ    (value not set)", as reg.exe does.
 */
#include "harness/cli/cli.h"
#include "harness/cli/cli_machine.h"

#include "base/pb_buf.h"
#include "base/pb_utf16.h"
#include "regdb/regdb.h"
#include "regdb/regfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define OK_LINE "The operation completed successfully.\n"

/* ---------------------------------------------------------------- usage */

static const char usage_reg[] =
    "usage: pnpbox [--machine DIR] reg COMMAND ARGS...\n"
    "\n"
    "Reads and changes the machine's registry with reg.exe's syntax.\n"
    "\n"
    "  reg query  KEY [/v NAME | /ve] [/s] [/se SEP]\n"
    "  reg add    KEY [/v NAME | /ve] [/t TYPE] [/s SEP] [/d DATA] [/f]\n"
    "  reg delete KEY [/v NAME | /ve | /va] [/f]\n"
    "  reg export KEY FILE [/y]\n"
    "  reg import FILE\n"
    "\n"
    "KEY is ROOT[\\SUBKEY]; ROOT is HKLM, HKCU, HKCR, HKU or HKCC, or its long name\n"
    "(HKEY_LOCAL_MACHINE ...).  Emulated processes run as LocalSystem, so HKCU is\n"
    "HKU\\S-1-5-18; HKCR is HKLM\\SOFTWARE\\Classes.  Options ignore case and may\n"
    "start with '-' instead of '/'.  pnpbox never prompts: /f changes nothing.\n"
    "'pnpbox reg COMMAND /?' describes a command.\n"
    "\n"
    "Exit status: 0 ok, 1 not found or failed, 2 bad usage or unreadable input.\n";

static const char usage_query[] =
    "usage: pnpbox reg query KEY [/v NAME | /ve] [/s] [/se SEP]\n"
    "\n"
    "Prints the key's values and its subkeys, as reg.exe does.\n"
    "\n"
    "  /v NAME   only the value NAME\n"
    "  /ve       only the default value\n"
    "  /s        every key below KEY too (with /v or /ve: the keys that hold it)\n"
    "  /se SEP   separator between REG_MULTI_SZ strings (default \\0)\n"
    "\n"
    "Exit status: 0 ok, 1 key or value not found, 2 bad usage.\n";

static const char usage_add[] =
    "usage: pnpbox reg add KEY [/v NAME | /ve] [/t TYPE] [/s SEP] [/d DATA] [/f]\n"
    "\n"
    "Creates KEY (and missing keys above it) and sets a value.  Without /v, /ve,\n"
    "/t or /d it only creates the key; /t or /d without /v sets the default value.\n"
    "An existing value is overwritten (pnpbox never prompts; /f changes nothing).\n"
    "\n"
    "  /v NAME   the value's name\n"
    "  /ve       the default value\n"
    "  /t TYPE   REG_SZ (default), REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD,\n"
    "            REG_DWORD_BIG_ENDIAN, REG_QWORD, REG_BINARY or REG_NONE\n"
    "  /d DATA   the data: text; for REG_MULTI_SZ strings separated by \\0;\n"
    "            for REG_DWORD/REG_QWORD a decimal or 0x hex number (default 0);\n"
    "            for REG_BINARY/REG_NONE hex digits, two per byte\n"
    "  /s SEP    one character separating REG_MULTI_SZ strings instead of \\0\n"
    "\n"
    "Exit status: 0 ok, 1 failed, 2 bad usage.\n";

static const char usage_delete[] =
    "usage: pnpbox reg delete KEY [/v NAME | /ve | /va] [/f]\n"
    "\n"
    "Deletes KEY with everything below it, or one of its values.  A link key is\n"
    "deleted itself, never its target.  pnpbox never prompts: /f changes nothing.\n"
    "\n"
    "  /v NAME   delete the value NAME\n"
    "  /ve       delete the default value\n"
    "  /va       delete every value of KEY (its subkeys stay)\n"
    "\n"
    "Exit status: 0 ok, 1 not found or failed, 2 bad usage.\n";

static const char usage_export[] =
    "usage: pnpbox reg export KEY FILE [/y]\n"
    "\n"
    "Writes KEY and everything below it to FILE in regedit's format (Windows\n"
    "Registry Editor Version 5.00, UTF-16LE).  Keys are named by the hive they\n"
    "live in (HKEY_LOCAL_MACHINE or HKEY_USERS).\n"
    "\n"
    "  /y        overwrite FILE if it exists (otherwise an existing FILE is an error)\n"
    "\n"
    "Exit status: 0 ok, 1 not found or failed, 2 bad usage.\n";

static const char usage_import[] =
    "usage: pnpbox reg import FILE\n"
    "\n"
    "Applies a .reg file (Windows Registry Editor Version 5.00 or REGEDIT4;\n"
    "UTF-16 with BOM, or UTF-8) in one transaction: on any error nothing changes\n"
    "and the message names the line.\n"
    "\n"
    "Exit status: 0 ok, 1 failed, 2 bad usage or a file that cannot be read or is\n"
    "malformed.\n";

/* ---------------------------------------------------------------- options */

enum {
    OPT_V = 1 << 0,
    OPT_VE = 1 << 1,
    OPT_VA = 1 << 2,
    OPT_T = 1 << 3,
    OPT_D = 1 << 4,
    OPT_S = 1 << 5,   /* query: recurse; add: separator (takes a value) */
    OPT_SE = 1 << 6,
    OPT_F = 1 << 7,
    OPT_Y = 1 << 8,
    OPT_REG64 = 1 << 9,
    OPT_REG32 = 1 << 10,
};

typedef struct optdef {
    const char *name;
    unsigned bit;
    int takes_value;
} optdef;

typedef struct reg_args {
    const char *pos[2];
    int npos;
    unsigned seen;
    const char *v, *t, *d, *sep, *se;
} reg_args;

typedef struct subcmd {
    const char *name;
    const char *usage;
    const optdef *opts;
    int max_pos;
    int file_pos; /* an unknown '/...' argument is a positional (a Linux path) */
    int (*run)(cli_ctx *ctx, reg_args *a);
} subcmd;

static int usage_error(const char *sub, const char *fmt, const char *arg)
{
    char what[512];
    snprintf(what, sizeof what, fmt, arg);
    cli_error("%s; see 'pnpbox reg %s /?'", what, sub);
    return CLI_USAGE;
}

/* 1 = help printed, 0 = parsed, CLI_USAGE (2) with the error printed. */
static int parse_args(const subcmd *sc, int argc, char **argv, reg_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(sc->usage, stdout);
            return 1;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const optdef *o = NULL;
        if ((arg[0] == '/' || arg[0] == '-') && arg[1]) {
            for (const optdef *d = sc->opts; d->name; d++)
                if (!strcasecmp(arg + 1, d->name))
                    o = d;
            if (!o && !(arg[0] == '/' && sc->file_pos))
                return usage_error(sc->name, "unknown option '%s'", arg);
        }
        if (!o) {
            if (a->npos >= sc->max_pos)
                return usage_error(sc->name, "unexpected argument '%s'", arg);
            a->pos[a->npos++] = arg;
            continue;
        }
        if (a->seen & o->bit)
            return usage_error(sc->name, "option '%s' given twice", arg);
        a->seen |= o->bit;
        if (o->bit == OPT_REG32)
            return usage_error(sc->name, "'%s': pnpbox emulates amd64 and has no 32-bit registry view", arg);
        if (!o->takes_value)
            continue;
        if (i + 1 >= argc)
            return usage_error(sc->name, "option '%s' needs a value", arg);
        const char *val = argv[++i];
        switch (o->bit) {
        case OPT_V: a->v = val; break;
        case OPT_T: a->t = val; break;
        case OPT_D: a->d = val; break;
        case OPT_S: a->sep = val; break;
        case OPT_SE: a->se = val; break;
        default: break;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- keys */

typedef struct keyarg {
    const char *text;  /* as typed, for messages */
    uint16_t *nt;      /* absolute regdb path */
    size_t ntn;
    char *display;     /* long root name + the rest as typed */
} keyarg;

static void keyarg_free(keyarg *k)
{
    free(k->nt);
    free(k->display);
}

static int parse_key(const char *sub, const char *text, keyarg *k)
{
    memset(k, 0, sizeof *k);
    k->text = text;
    if (!strncmp(text, "\\\\", 2))
        return usage_error(sub, "invalid key name '%s': remote registries are not supported", text);
    size_t n = strlen(text), r = strcspn(text, "\\");
    const regdb_hkey *root = regdb_hkey_lookup_u8(text, r, 1);
    if (!root)
        return usage_error(sub, "invalid key name '%s': it must start with HKLM, HKCU, HKCR, HKU or HKCC "
                                "(or HKEY_LOCAL_MACHINE ...)", text);
    /* One trailing '\' is dropped; then no component may be empty. */
    if (n > r && text[n - 1] == '\\')
        n--;
    for (size_t i = r; i < n; i++)
        if (text[i] == '\\' && (i + 1 == n || text[i + 1] == '\\'))
            return usage_error(sub, "invalid key name '%s': an empty key name between '\\'", text);
    uint16_t *w = NULL;
    size_t wn = 0;
    int rc = pb_utf8_to_utf16(text, n, &w, &wn);
    if (rc == -ENOMEM) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    if (rc < 0)
        return usage_error(sub, "invalid key name '%s': not valid UTF-8", text);
    rc = regdb_hkey_to_nt(w, wn, 1, &k->nt, &k->ntn, NULL);
    free(w);
    if (rc < 0) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    size_t rest = n - r;
    size_t ln = strlen(root->name);
    k->display = malloc(ln + rest + 1);
    if (!k->display) {
        keyarg_free(k);
        cli_error("out of memory");
        return CLI_FAIL;
    }
    memcpy(k->display, root->name, ln);
    memcpy(k->display + ln, text + r, rest);
    k->display[ln + rest] = 0;
    return 0;
}

/* "pnpbox: cannot WHAT 'SUBJECT': reason (detail)", exit status 1. */
static int report(regdb *db, int rc, const char *what, const char *subject)
{
    const char *detail = db && rc != REGDB_E_NOTFOUND && rc != REGDB_E_DELETED ? regdb_errmsg(db) : "";
    if (*detail)
        cli_error("cannot %s '%s': %s (%s)", what, subject, regdb_strerror(rc), detail);
    else
        cli_error("cannot %s '%s': %s", what, subject, regdb_strerror(rc));
    return CLI_FAIL;
}

/* UTF-16 name of a value given on the command line (NULL/"" for the default value). */
static int value_name(const char *sub, const char *u8, uint16_t **w, size_t *wn)
{
    *w = NULL;
    *wn = 0;
    if (!u8 || !*u8)
        return 0;
    int rc = pb_utf8_to_utf16(u8, strlen(u8), w, wn);
    if (rc == -ENOMEM) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    if (rc < 0)
        return usage_error(sub, "invalid value name '%s': not valid UTF-8", u8);
    return 0;
}

/* ---------------------------------------------------------------- query */

static const char *type_name(uint32_t t, char *buf, size_t n)
{
    static const char *const names[] = {
        "REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD", "REG_DWORD_BIG_ENDIAN", "REG_LINK",
        "REG_MULTI_SZ", "REG_RESOURCE_LIST", "REG_FULL_RESOURCE_DESCRIPTOR", "REG_RESOURCE_REQUIREMENTS_LIST",
        "REG_QWORD",
    };
    if (t < sizeof names / sizeof names[0])
        return names[t];
    snprintf(buf, n, "REG_UNKNOWN(0x%" PRIx32 ")", t);
    return buf;
}

static void add_units(pb_buf *o, const unsigned char *d, size_t units)
{
    uint16_t *w = malloc((units + 1) * sizeof *w);
    if (!w) {
        o->oom = 1;
        return;
    }
    for (size_t i = 0; i < units; i++)
        w[i] = (uint16_t)(d[2 * i] | d[2 * i + 1] << 8);
    char *u = NULL;
    size_t un = 0;
    if (pb_utf16_to_utf8(w, units, &u, &un, PB_UTF_REPLACE) == 0)
        pb_buf_add(o, u, un);
    else
        o->oom = 1;
    free(u);
    free(w);
}

static void add_data(pb_buf *o, const regdb_value *v, const char *sep)
{
    const unsigned char *d = v->data;
    size_t n = v->data_len, units = n / 2;
    switch (v->type) {
    case REGDB_SZ:
    case REGDB_EXPAND_SZ: {
        size_t e = 0;
        while (e < units && (d[2 * e] | d[2 * e + 1]))
            e++;
        add_units(o, d, e);
        return;
    }
    case REGDB_LINK: add_units(o, d, units); return;
    case REGDB_MULTI_SZ: {
        size_t s = 0;
        int first = 1;
        while (s < units) {
            size_t e = s;
            while (e < units && (d[2 * e] | d[2 * e + 1]))
                e++;
            if (e == s)
                break; /* the empty string that ends the list */
            if (!first)
                pb_buf_adds(o, sep);
            add_units(o, d + 2 * s, e - s);
            first = 0;
            s = e + 1;
        }
        return;
    }
    case REGDB_DWORD:
        if (n == 4) {
            pb_buf_printf(o, "0x%" PRIx32, (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
                                               (uint32_t)d[3] << 24);
            return;
        }
        break;
    case REGDB_DWORD_BIG_ENDIAN:
        if (n == 4) {
            pb_buf_printf(o, "0x%" PRIx32, (uint32_t)d[3] | (uint32_t)d[2] << 8 | (uint32_t)d[1] << 16 |
                                               (uint32_t)d[0] << 24);
            return;
        }
        break;
    case REGDB_QWORD:
        if (n == 8) {
            uint64_t x = 0;
            for (int i = 7; i >= 0; i--)
                x = x << 8 | d[i];
            pb_buf_printf(o, "0x%" PRIx64, x);
            return;
        }
        break;
    default: break;
    }
    for (size_t i = 0; i < n; i++)
        pb_buf_printf(o, "%02X", d[i]);
}

static void print_value(const regdb_value *v, const char *sep)
{
    pb_buf o = PB_BUF_INIT;
    char tb[40];
    pb_buf_adds(&o, "    ");
    if (v->name_len) {
        char *nm = pb_utf8_from_wcs(v->name, v->name_len);
        pb_buf_adds(&o, nm ? nm : "?");
        free(nm);
    } else {
        pb_buf_adds(&o, "(Default)");
    }
    pb_buf_printf(&o, "    %s    ", type_name(v->type, tb, sizeof tb));
    add_data(&o, v, sep);
    pb_buf_addc(&o, '\n');
    if (!o.oom)
        fwrite(o.data, 1, o.len, stdout);
    pb_buf_free(&o);
}

typedef struct query_opts {
    int one;            /* only the value named by name/name_len */
    const uint16_t *name;
    size_t name_len;
    int recurse;
    const char *sep;
    int started;        /* the leading blank line is out */
} query_opts;

/*
 * Print the key's path and its values (with `one`, only that value, and
 * nothing at all if the key lacks it).  *nvalues: values printed, or -1
 * when nothing was printed.  Returns 0 or a regdb error.
 */
static int print_block(regdb *db, regdb_key k, const char *display, query_opts *q, int *nvalues)
{
    *nvalues = -1;
    if (q->one) {
        regdb_value v;
        int rc = regdb_query_value(db, k, q->name, q->name_len, &v);
        if (rc == REGDB_E_NOTFOUND)
            return 0;
        if (rc < 0)
            return rc;
        printf("%s%s\n", q->started ? "" : "\n", display);
        q->started = 1;
        print_value(&v, q->sep);
        *nvalues = 1;
        return 0;
    }
    printf("%s%s\n", q->started ? "" : "\n", display);
    q->started = 1;
    *nvalues = 0;
    for (uint32_t i = 0;; i++) {
        regdb_value v;
        int rc = regdb_enum_value(db, k, i, &v);
        if (rc == REGDB_E_NOTFOUND)
            break;
        if (rc < 0)
            return rc;
        print_value(&v, q->sep);
        ++*nvalues;
    }
    return 0;
}

typedef struct child {
    regdb_key id;
    char *name;
} child;

/* The subkeys of k, in registry order, with UTF-8 names. */
static int list_children(regdb *db, regdb_key k, child **out, size_t *n)
{
    child *c = NULL;
    size_t cnt = 0, cap = 0;
    int rc = 0;
    for (uint32_t i = 0;; i++) {
        regdb_key_entry e;
        rc = regdb_enum_key(db, k, i, &e);
        if (rc == REGDB_E_NOTFOUND) {
            rc = 0;
            break;
        }
        if (rc < 0)
            break;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            child *p = realloc(c, cap * sizeof *p);
            if (!p) {
                rc = REGDB_E_NOMEM;
                break;
            }
            c = p;
        }
        c[cnt].id = e.id;
        c[cnt].name = pb_utf8_from_wcs(e.name, e.name_len);
        if (!c[cnt].name) {
            rc = REGDB_E_NOMEM;
            break;
        }
        cnt++;
    }
    if (rc < 0) {
        for (size_t i = 0; i < cnt; i++)
            free(c[i].name);
        free(c);
        return rc;
    }
    *out = c;
    *n = cnt;
    return 0;
}

static char *join_path(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (p) {
        memcpy(p, a, la);
        p[la] = '\\';
        memcpy(p + la + 1, b, lb + 1);
    }
    return p;
}

/* /s: every key's block, each followed by a blank line, depth first. */
static int query_tree(regdb *db, regdb_key k, const char *display, query_opts *q, unsigned *matches)
{
    int nv;
    int rc = print_block(db, k, display, q, &nv);
    if (rc < 0)
        return rc;
    if (nv >= 0) {
        printf("\n");
        ++*matches;
    }
    child *c;
    size_t n;
    if ((rc = list_children(db, k, &c, &n)) < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *p = join_path(display, c[i].name);
        rc = p ? query_tree(db, c[i].id, p, q, matches) : REGDB_E_NOMEM;
        free(p);
    }
    for (size_t i = 0; i < n; i++)
        free(c[i].name);
    free(c);
    return rc;
}

static int run_query(cli_ctx *ctx, reg_args *a)
{
    if (a->npos != 1)
        return usage_error("query", "%s", "a key is needed: pnpbox reg query KEY");
    if ((a->seen & OPT_V) && (a->seen & OPT_VE))
        return usage_error("query", "%s", "/v and /ve cannot be used together");
    keyarg key;
    int rc = parse_key("query", a->pos[0], &key);
    if (rc)
        return rc;
    uint16_t *vn = NULL;
    size_t vnl = 0;
    if ((rc = value_name("query", a->v, &vn, &vnl))) {
        keyarg_free(&key);
        return rc;
    }
    regdb *db = NULL;
    int st = cli_open_registry(ctx, &db);
    if (st != CLI_OK)
        goto out;
    regdb_key k;
    rc = regdb_open_key(db, 0, key.nt, key.ntn, 0, &k);
    if (rc < 0) {
        st = report(db, rc, "open key", key.text);
        goto out;
    }
    query_opts q = {(a->seen & (OPT_V | OPT_VE)) != 0, vn, vnl, (a->seen & OPT_S) != 0, a->se ? a->se : "\\0", 0};
    const char *vdisp = a->v && *a->v ? a->v : "(Default)";
    if (q.recurse) {
        unsigned matches = 0;
        rc = query_tree(db, k, key.display, &q, &matches);
        if (rc < 0) {
            st = report(db, rc, "query key", key.text);
        } else if (q.one && !matches) {
            cli_error("cannot find value '%s' in key '%s' or below it: not found", vdisp, key.text);
            st = CLI_FAIL;
        }
        goto out;
    }
    if (q.one) {
        regdb_value v;
        rc = regdb_query_value(db, k, vn, vnl, &v);
        if (rc == REGDB_E_NOTFOUND && !vnl) {
            /* reg.exe: /ve on a key without a default value. */
            printf("\n%s\n    (Default)    REG_SZ    (value not set)\n\n", key.display);
            goto out;
        }
        if (rc < 0) {
            char subject[1024];
            snprintf(subject, sizeof subject, "%s' in key '%s", vdisp, key.text);
            st = report(db, rc, "find value", subject);
            goto out;
        }
    }
    int nv;
    if ((rc = print_block(db, k, key.display, &q, &nv)) < 0) {
        st = report(db, rc, "query key", key.text);
        goto out;
    }
    if (nv > 0)
        printf("\n");
    if (!q.one) {
        child *c;
        size_t n;
        if ((rc = list_children(db, k, &c, &n)) < 0) {
            st = report(db, rc, "list the subkeys of", key.text);
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            printf("%s\\%s\n", key.display, c[i].name);
            free(c[i].name);
        }
        if (n)
            printf("\n");
        free(c);
    }
out:
    if (fflush(stdout) != 0 && st == CLI_OK) {
        cli_error("cannot write the output: %s", strerror(errno));
        st = CLI_FAIL;
    }
    regdb_close(db);
    free(vn);
    keyarg_free(&key);
    return st;
}

/* ---------------------------------------------------------------- add */

static int parse_type(const char *s, uint32_t *t)
{
    static const struct {
        const char *name;
        uint32_t type;
    } types[] = {
        {"REG_SZ", REGDB_SZ},       {"REG_EXPAND_SZ", REGDB_EXPAND_SZ},
        {"REG_MULTI_SZ", REGDB_MULTI_SZ}, {"REG_DWORD", REGDB_DWORD},
        {"REG_DWORD_BIG_ENDIAN", REGDB_DWORD_BIG_ENDIAN}, {"REG_QWORD", REGDB_QWORD},
        {"REG_BINARY", REGDB_BINARY}, {"REG_NONE", REGDB_NONE},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (!strcasecmp(s, types[i].name)) {
            *t = types[i].type;
            return 0;
        }
    }
    return -1;
}

/* Decimal or 0x hex, no sign, within max. */
static int parse_number(const char *s, uint64_t max, uint64_t *out)
{
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        int dgt;
        if (*s >= '0' && *s <= '9')
            dgt = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            dgt = *s - 'a' + 10;
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            dgt = *s - 'A' + 10;
        else
            return -1;
        if (v > (max - (uint64_t)dgt) / (uint64_t)base)
            return -1;
        v = v * (uint64_t)base + (uint64_t)dgt;
    }
    *out = v;
    return 0;
}

static void add_le_units(pb_buf *b, const uint16_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char u[2] = {(unsigned char)w[i], (unsigned char)(w[i] >> 8)};
        pb_buf_add(b, u, 2);
    }
}

/* Build the value's bytes from /d; CLI_USAGE (printed) on bad data. */
static int build_data(uint32_t type, const char *d, const char *sep, pb_buf *b)
{
    if (!d)
        d = "";
    switch (type) {
    case REGDB_SZ:
    case REGDB_EXPAND_SZ:
    case REGDB_MULTI_SZ: {
        uint16_t *w = NULL;
        size_t wn = 0;
        int rc = pb_utf8_to_utf16(d, strlen(d), &w, &wn);
        if (rc == -ENOMEM) {
            cli_error("out of memory");
            return CLI_FAIL;
        }
        if (rc < 0)
            return usage_error("add", "invalid data '%s': not valid UTF-8", d);
        if (type != REGDB_MULTI_SZ) {
            add_le_units(b, w, wn + 1); /* with the terminator */
            free(w);
            break;
        }
        /* Split on the separator: "\0" (two characters) or the /s character. */
        size_t seplen = sep ? 1 : 2;
        uint16_t sepc = sep ? (uint16_t)(unsigned char)sep[0] : 0;
        size_t s = 0;
        while (s < wn) {
            size_t e = s;
            while (e < wn && !(sep ? w[e] == sepc : (w[e] == '\\' && e + 1 < wn && w[e + 1] == '0')))
                e++;
            if (e == s && e < wn) {
                free(w);
                return usage_error("add", "invalid REG_MULTI_SZ data '%s': an empty string in the list", d);
            }
            add_le_units(b, w + s, e - s);
            pb_buf_add(b, "\0", 2);
            s = e < wn ? e + seplen : e;
        }
        pb_buf_add(b, "\0", 2); /* the empty string that ends the list */
        free(w);
        break;
    }
    case REGDB_DWORD:
    case REGDB_DWORD_BIG_ENDIAN: {
        uint64_t v = 0;
        if (*d && parse_number(d, UINT32_MAX, &v) < 0)
            return usage_error("add", "invalid REG_DWORD data '%s': a decimal or 0x hex number up to 0xffffffff is "
                                      "needed", d);
        unsigned char x[4];
        for (int i = 0; i < 4; i++)
            x[type == REGDB_DWORD ? i : 3 - i] = (unsigned char)(v >> (8 * i));
        pb_buf_add(b, x, 4);
        break;
    }
    case REGDB_QWORD: {
        uint64_t v = 0;
        if (*d && parse_number(d, UINT64_MAX, &v) < 0)
            return usage_error("add", "invalid REG_QWORD data '%s': a decimal or 0x hex number is needed", d);
        unsigned char x[8];
        for (int i = 0; i < 8; i++)
            x[i] = (unsigned char)(v >> (8 * i));
        pb_buf_add(b, x, 8);
        break;
    }
    default: { /* REG_BINARY, REG_NONE: hex digits, two per byte */
        size_t n = strlen(d);
        for (size_t i = 0; i < n; i++)
            if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f') || (d[i] >= 'A' && d[i] <= 'F')))
                return usage_error("add", "invalid binary data '%s': hex digits are needed", d);
        if (n % 2)
            return usage_error("add", "invalid binary data '%s': an even number of hex digits is needed", d);
        for (size_t i = 0; i < n; i += 2) {
            char hx[3] = {d[i], d[i + 1], 0};
            unsigned char byte = (unsigned char)strtoul(hx, NULL, 16);
            pb_buf_add(b, &byte, 1);
        }
        break;
    }
    }
    if (b->oom) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    return 0;
}

static int run_add(cli_ctx *ctx, reg_args *a)
{
    if (a->npos != 1)
        return usage_error("add", "%s", "a key is needed: pnpbox reg add KEY [/v NAME] [/t TYPE] [/d DATA]");
    if ((a->seen & OPT_V) && (a->seen & OPT_VE))
        return usage_error("add", "%s", "/v and /ve cannot be used together");
    uint32_t type = REGDB_SZ;
    if (a->t && parse_type(a->t, &type) < 0)
        return usage_error("add", "unknown type '%s' (REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD, "
                                  "REG_DWORD_BIG_ENDIAN, REG_QWORD, REG_BINARY or REG_NONE)", a->t);
    if (a->sep && type != REGDB_MULTI_SZ)
        return usage_error("add", "%s", "/s SEP applies to REG_MULTI_SZ only");
    if (a->sep && strlen(a->sep) != 1)
        return usage_error("add", "the /s separator must be one character, not '%s'", a->sep);
    keyarg key;
    int rc = parse_key("add", a->pos[0], &key);
    if (rc)
        return rc;
    int set = (a->seen & (OPT_V | OPT_VE | OPT_T | OPT_D)) != 0;
    uint16_t *vn = NULL;
    size_t vnl = 0;
    pb_buf data = PB_BUF_INIT;
    regdb *db = NULL;
    int st = value_name("add", a->v, &vn, &vnl);
    if (st)
        goto out;
    if (set && (st = build_data(type, a->d, a->sep, &data)))
        goto out;
    if ((st = cli_open_registry(ctx, &db)) != CLI_OK)
        goto out;
    /* Key and value together, or neither. */
    if ((rc = regdb_begin(db)) < 0) {
        st = report(db, rc, "change key", key.text);
        goto out;
    }
    regdb_key k;
    rc = regdb_create_key(db, 0, key.nt, key.ntn, REGDB_CREATE_PATH, NULL, 0, &k, NULL);
    if (rc < 0) {
        st = report(db, rc, "create key", key.text);
        regdb_rollback(db);
        goto out;
    }
    if (set) {
        rc = regdb_set_value(db, k, vn, vnl, type, data.len ? data.data : NULL, data.len);
        if (rc < 0) {
            char subject[1024];
            snprintf(subject, sizeof subject, "%s' in key '%s", a->v && *a->v ? a->v : "(Default)", key.text);
            st = report(db, rc, "set value", subject);
            regdb_rollback(db);
            goto out;
        }
    }
    if ((rc = regdb_commit(db)) < 0) {
        st = report(db, rc, "change key", key.text);
        goto out;
    }
    fputs(OK_LINE, stdout);
out:
    regdb_close(db);
    pb_buf_free(&data);
    free(vn);
    keyarg_free(&key);
    return st;
}

/* ---------------------------------------------------------------- delete */

static int delete_all_values(regdb *db, regdb_key k)
{
    int rc = regdb_begin(db);
    if (rc < 0)
        return rc;
    /* Deleting index 0 until none is left avoids holding names across calls. */
    for (;;) {
        regdb_value v;
        rc = regdb_enum_value(db, k, 0, &v);
        if (rc == REGDB_E_NOTFOUND) {
            rc = 0;
            break;
        }
        if (rc < 0)
            break;
        uint16_t *name = pb_wcsndup(v.name, v.name_len);
        size_t nl = v.name_len;
        if (!name) {
            rc = REGDB_E_NOMEM;
            break;
        }
        rc = regdb_delete_value(db, k, name, nl);
        free(name);
        if (rc < 0)
            break;
    }
    if (rc < 0) {
        regdb_rollback(db);
        return rc;
    }
    return regdb_commit(db);
}

static int run_delete(cli_ctx *ctx, reg_args *a)
{
    if (a->npos != 1)
        return usage_error("delete", "%s", "a key is needed: pnpbox reg delete KEY [/v NAME | /ve | /va]");
    int nsel = !!(a->seen & OPT_V) + !!(a->seen & OPT_VE) + !!(a->seen & OPT_VA);
    if (nsel > 1)
        return usage_error("delete", "%s", "only one of /v, /ve and /va can be given");
    keyarg key;
    int rc = parse_key("delete", a->pos[0], &key);
    if (rc)
        return rc;
    uint16_t *vn = NULL;
    size_t vnl = 0;
    regdb *db = NULL;
    int st = value_name("delete", a->v, &vn, &vnl);
    if (st)
        goto out;
    if ((st = cli_open_registry(ctx, &db)) != CLI_OK)
        goto out;
    regdb_key k;
    /* A whole-key delete removes a link key itself; value deletes follow the link. */
    rc = regdb_open_key(db, 0, key.nt, key.ntn, nsel ? 0 : REGDB_OPEN_LINK, &k);
    if (rc < 0) {
        st = report(db, rc, "open key", key.text);
        goto out;
    }
    if (a->seen & (OPT_V | OPT_VE)) {
        rc = regdb_delete_value(db, k, vn, vnl);
        if (rc < 0) {
            char subject[1024];
            snprintf(subject, sizeof subject, "%s' in key '%s", a->v && *a->v ? a->v : "(Default)", key.text);
            st = report(db, rc, "delete value", subject);
            goto out;
        }
    } else if (a->seen & OPT_VA) {
        if ((rc = delete_all_values(db, k)) < 0) {
            st = report(db, rc, "delete the values of key", key.text);
            goto out;
        }
    } else if ((rc = regdb_delete_tree(db, k)) < 0) {
        st = report(db, rc, "delete key", key.text);
        goto out;
    }
    fputs(OK_LINE, stdout);
out:
    regdb_close(db);
    free(vn);
    keyarg_free(&key);
    return st;
}

/* ---------------------------------------------------------------- export / import */

static int write_file(const char *path, const void *data, size_t len, int overwrite)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL), 0666);
    if (fd < 0) {
        if (errno == EEXIST)
            cli_error("cannot export to '%s': the file exists (add /y to overwrite it)", path);
        else
            cli_error("cannot export to '%s': %s", path, strerror(errno));
        return CLI_FAIL;
    }
    const unsigned char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            cli_error("cannot export to '%s': %s", path, strerror(errno));
            close(fd);
            return CLI_FAIL;
        }
        p += w;
        len -= (size_t)w;
    }
    if (close(fd) < 0) {
        cli_error("cannot export to '%s': %s", path, strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int run_export(cli_ctx *ctx, reg_args *a)
{
    if (a->npos != 2)
        return usage_error("export", "%s", "a key and a file are needed: pnpbox reg export KEY FILE [/y]");
    keyarg key;
    int rc = parse_key("export", a->pos[0], &key);
    if (rc)
        return rc;
    regdb *db = NULL;
    void *out = NULL;
    size_t len = 0;
    int st = cli_open_registry(ctx, &db);
    if (st != CLI_OK)
        goto done;
    regdb_key k;
    rc = regdb_open_key(db, 0, key.nt, key.ntn, 0, &k);
    if (rc < 0) {
        st = report(db, rc, "open key", key.text);
        goto done;
    }
    if ((rc = regdb_export(db, k, &out, &len)) < 0) {
        st = report(db, rc, "export key", key.text);
        goto done;
    }
    if ((st = write_file(a->pos[1], out, len, (a->seen & OPT_Y) != 0)) == CLI_OK)
        fputs(OK_LINE, stdout);
done:
    free(out);
    regdb_close(db);
    keyarg_free(&key);
    return st;
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    pb_buf b = PB_BUF_INIT;
    unsigned char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        pb_buf_add(&b, chunk, n);
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (err || b.oom) {
        pb_buf_free(&b);
        errno = err ? err : ENOMEM;
        return NULL;
    }
    *len = b.len;
    if (!b.data) /* an empty file */
        return calloc(1, 1);
    return b.data;
}

static int run_import(cli_ctx *ctx, reg_args *a)
{
    if (a->npos != 1)
        return usage_error("import", "%s", "a file is needed: pnpbox reg import FILE");
    const char *path = a->pos[0];
    size_t len = 0;
    unsigned char *data = read_all(path, &len);
    if (!data) {
        cli_error("cannot read '%s': %s", path, strerror(errno));
        return CLI_USAGE;
    }
    regdb *db = NULL;
    int st = cli_open_registry(ctx, &db);
    if (st == CLI_OK) {
        regdb_import_result r;
        int rc = regdb_import(db, data, len, &r);
        if (rc < 0) {
            /* The file's own faults are unreadable input (2); the store's are failures (1). */
            int input = rc == REGDB_E_FORMAT || rc == REGDB_E_TOOLONG || rc == REGDB_E_INVAL;
            cli_error("cannot import '%s': %s", path, *regdb_errmsg(db) ? regdb_errmsg(db) : regdb_strerror(rc));
            st = input ? CLI_USAGE : CLI_FAIL;
        } else {
            fputs(OK_LINE, stdout);
        }
    }
    regdb_close(db);
    free(data);
    return st;
}

/* ---------------------------------------------------------------- dispatch */

static const optdef opts_query[] = {
    {"v", OPT_V, 1}, {"ve", OPT_VE, 0}, {"s", OPT_S, 0}, {"se", OPT_SE, 1},
    {"reg:64", OPT_REG64, 0}, {"reg:32", OPT_REG32, 0}, {NULL, 0, 0},
};
static const optdef opts_add[] = {
    {"v", OPT_V, 1}, {"ve", OPT_VE, 0}, {"t", OPT_T, 1}, {"d", OPT_D, 1}, {"s", OPT_S, 1}, {"f", OPT_F, 0},
    {"reg:64", OPT_REG64, 0}, {"reg:32", OPT_REG32, 0}, {NULL, 0, 0},
};
static const optdef opts_delete[] = {
    {"v", OPT_V, 1}, {"ve", OPT_VE, 0}, {"va", OPT_VA, 0}, {"f", OPT_F, 0},
    {"reg:64", OPT_REG64, 0}, {"reg:32", OPT_REG32, 0}, {NULL, 0, 0},
};
static const optdef opts_export[] = {
    {"y", OPT_Y, 0}, {"reg:64", OPT_REG64, 0}, {"reg:32", OPT_REG32, 0}, {NULL, 0, 0},
};
static const optdef opts_import[] = {
    {"reg:64", OPT_REG64, 0}, {"reg:32", OPT_REG32, 0}, {NULL, 0, 0},
};

static const subcmd subcmds[] = {
    {"query", usage_query, opts_query, 1, 0, run_query},
    {"add", usage_add, opts_add, 1, 0, run_add},
    {"delete", usage_delete, opts_delete, 1, 0, run_delete},
    {"export", usage_export, opts_export, 2, 1, run_export},
    {"import", usage_import, opts_import, 1, 1, run_import},
};

static int run_reg(cli_ctx *ctx, int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_reg, stderr);
        return CLI_USAGE;
    }
    if (cli_is_help(argv[1])) {
        fputs(usage_reg, stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof subcmds / sizeof subcmds[0]; i++) {
        const subcmd *sc = &subcmds[i];
        if (strcasecmp(argv[1], sc->name))
            continue;
        reg_args a;
        int rc = parse_args(sc, argc - 1, argv + 1, &a);
        if (rc == 1)
            return CLI_OK;
        if (rc)
            return rc;
        return sc->run(ctx, &a);
    }
    cli_error("unknown reg command '%s' (query, add, delete, export or import); see 'pnpbox reg /?'", argv[1]);
    return CLI_USAGE;
}

static const cli_command reg_command = {
    "reg", "query and change the machine's registry (reg.exe syntax: query, add, delete, export, import)",
    run_reg, 20,
};
PNPBOX_CLI_COMMAND(reg_command)
