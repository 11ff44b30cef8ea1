/*
 * store.c: the driver store: staging a driver package (pnpbox_driver_add),
 * listing and deleting packages, the DriverDatabase records, and the
 * installer session (volume changes with an undo log) that install.c
 * shares (install_int.h).  Contract: include/pnpbox/store.h; layout and
 * choices: docs/driver-store.md.
 *
 * Staging, as `pnputil /add-driver` does it (reference §1.14, §2):
 *   1. read and parse the INF (refused: not an INF, parse errors);
 *   2. list the package: every file of SourceDisksFiles.<arch> and
 *      SourceDisksFiles, every file a CopyFiles names, and the catalog;
 *      each is looked up next to the INF under its SourceDisksNames path
 *      and SourceDisksFiles subdirectory (case-insensitively, as on
 *      Windows); a missing one fails the whole staging;
 *   3. name the folder <inf name, lowercase>_<arch>_<16 hex>, the hex being
 *      pnpbox's content hash (below; Windows' algorithm is undocumented,
 *      reference §5 item 5).  A package staged before is found by that
 *      name: same folder, same oemN.inf, nothing changes;
 *   4. copy the files into DriverStore\Temp\stage-<hex>-<pid>, keeping the
 *      package-relative directories, record the package in the registry
 *      (one transaction), publish the INF as \Windows\INF\oem<N>.inf (the
 *      lowest N free in both the registry and \Windows\INF), rename the
 *      folder into FileRepository and commit.  Any failure rolls the
 *      transaction back and undoes every volume change.
 *
 * The content hash: 64-bit FNV-1a over the INF bytes, then for each other
 * file in order of its package-relative path compared case-insensitively
 * (ASCII), the path in lowercase ASCII with '\' separators, a 0 byte, its
 * size as 8 little-endian bytes and its bytes.
 *
 * DriverDatabase (\REGISTRY\MACHINE\SYSTEM\DriverDatabase, pnpbox's choice
 * of a faithful-looking layout; Windows keeps a DRIVERS hive):
 *   DriverPackages\<folder>   (default) = "oemN.inf", InfName, Provider,
 *                             Class, ClassGuid, DriverVer, Architecture,
 *                             CatalogFile (when staged), Superseded = 1
 *                             (REG_DWORD, once an update left it stale)
 *   DriverInfFiles\oemN.inf   (default) = REG_MULTI_SZ { folder }, Active = folder
 *   DeviceIds\<id>            oemN.inf = REG_BINARY { 1 hardware ID / 0
 *                             compatible ID of the models line, FeatureScore, 0, 0 }
 */
#include "emu/install_int.h"

#include "base/pb_buf.h"
#include "base/pb_log.h"
#include "base/pb_utf16.h"
#include "pnpbox/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <ntstatus.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ================================================================ errors */

int emu_errno_from_status(emu_status st)
{
    switch ((uint32_t)st) {
    case 0xC000009Au: /* STATUS_INSUFFICIENT_RESOURCES */
    case 0xC0000017u: /* STATUS_NO_MEMORY */
        return -ENOMEM;
    case 0xC000007Fu: /* STATUS_DISK_FULL */
        return -ENOSPC;
    case 0xC0000022u: /* STATUS_ACCESS_DENIED */
        return -EACCES;
    default:
        return -EIO;
    }
}

int emu_errno_from_boxfs(int rc)
{
    if (rc >= 0 || rc > -BOXFS_E_BASE)
        return rc;
    if (rc == BOXFS_E_PATHNOTFOUND || rc == BOXFS_E_DELETEPENDING || rc == BOXFS_E_NOMORE)
        return -ENOENT;
    if (rc == BOXFS_E_NAMEINVALID || rc == BOXFS_E_SYNTAX)
        return -EINVAL;
    if (rc == BOXFS_E_CANNOTDELETE)
        return -EACCES;
    return -EIO;
}

/* Put "prefix: " before the machine's current message. */
static void prefix_error(pnpbox_machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void prefix_error(pnpbox_machine *m, const char *fmt, ...)
{
    char old[sizeof m->errmsg], pre[sizeof m->errmsg];
    snprintf(old, sizeof old, "%s", m->errmsg);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    emu_set_error(m, "%s: %s", pre, old[0] ? old : "failed");
}

/* ================================================================ the installer session */

void emu_inst_begin(emu_inst *s, pnpbox_machine *m, const char *api)
{
    memset(s, 0, sizeof *s);
    s->m = m;
    s->api = api;
    s->prev = pnpbox_enter(m->installer);
    s->fc.comp = m->installer;
    s->fc.prov = NULL;
    s->fc.absolute = 1;
    s->fc.api = api;
    s->fc.caller = NULL;
    emu_fs_caller(&s->who, &s->fc);
}

void emu_inst_forget(emu_inst *s)
{
    for (size_t i = 0; i < s->nundo; i++) {
        free(s->undo[i].path);
        free(s->undo[i].path2);
        free(s->undo[i].data);
    }
    s->nundo = 0;
}

void emu_inst_end(emu_inst *s)
{
    emu_inst_forget(s);
    free(s->undo);
    s->undo = NULL;
    s->undo_cap = 0;
    pnpbox_enter(s->prev);
}

int emu_inst_fault(emu_inst *s, const char *point)
{
    char name[96];
    snprintf(name, sizeof name, "%s:%s", s->api, point);
    emu_status st;
    if (!emu_fault(s->m, name, &st))
        return 0;
    emu_set_error(s->m, "injected fault '%s' (%s)", name, emu_status_name(st));
    return emu_errno_from_status(st);
}

/* Log an undo step (takes ownership of data). */
static int undo_add(emu_inst *s, emu_undo_kind kind, const char *path, const char *path2, void *data, size_t len,
                    uint32_t attrs)
{
    if (s->nundo == s->undo_cap) {
        size_t nc = s->undo_cap ? s->undo_cap * 2 : 16;
        emu_undo_item *n = realloc(s->undo, nc * sizeof *n);
        if (!n) {
            free(data);
            return -ENOMEM;
        }
        s->undo = n;
        s->undo_cap = nc;
    }
    emu_undo_item *u = &s->undo[s->nundo];
    u->kind = kind;
    u->path = strdup(path);
    u->path2 = path2 ? strdup(path2) : NULL;
    u->data = data;
    u->len = len;
    u->attrs = attrs;
    if (!u->path || (path2 && !u->path2)) {
        free(u->path);
        free(u->path2);
        free(data);
        return -ENOMEM;
    }
    s->nundo++;
    return 0;
}

static int vol_err(emu_inst *s, int rc, const char *what, const char *vpath)
{
    char *w = emu_vpath_to_win32(vpath);
    emu_set_error(s->m, "cannot %s '%s': %s", what, w ? w : vpath, boxfs_strerror(rc));
    free(w);
    return emu_errno_from_boxfs(rc);
}

int emu_inst_exists(emu_inst *s, const char *vpath)
{
    boxfs_info st;
    if (boxfs_stat(s->m->vol, &s->who, NULL, vpath, &st) < 0)
        return 0;
    return st.is_dir ? 2 : 1;
}

static uint32_t attrs_of(emu_inst *s, const char *vpath)
{
    boxfs_info st;
    return boxfs_stat(s->m->vol, &s->who, NULL, vpath, &st) == 0 ? st.attributes : 0;
}

/* Create one directory its caller knows to be missing, logged for undo; a
 * volume error is returned as is (no message: the caller falls back to
 * emu_inst_mkdirs, which tells what is in the way). */
static int mkdir_logged(emu_inst *s, const char *vdir)
{
    int r = boxfs_mkdir(s->m->vol, &s->who, NULL, vdir);
    return r < 0 ? r : undo_add(s, EMU_UNDO_CREATED_DIR, vdir, NULL, NULL, 0, 0);
}

int emu_inst_mkdirs(emu_inst *s, const char *vdir)
{
    char *p = strdup(vdir);
    if (!p)
        return -ENOMEM;
    int rc = 0;
    size_t n = strlen(p);
    /*
     * Start below the deepest directory that exists (usually the parent):
     * one look-up per level from the top would cost a volume request each.
     * A file on the way is the deepest thing that exists there (nothing
     * lies below a file), so the forward walk reports it as before.
     */
    size_t cut = n; /* p holds vdir up to cut */
    int ex;
    for (;;) {
        if ((ex = emu_inst_exists(s, p)) != 0)
            break;
        char *bs = strrchr(p, '\\');
        if (!bs || bs == p)
            break; /* not even the top-level directory exists */
        if (cut < n)
            p[cut] = '\\';
        cut = (size_t)(bs - p);
        *bs = 0;
    }
    if (cut < n)
        p[cut] = '\\';
    if (ex == 2 && cut == n) {
        free(p);
        return 0;
    }
    /* After an existing directory, from the next level (all missing); else
     * from where the walk stopped: a file (reported) or a missing top level. */
    size_t start = ex == 2 ? cut + 1 : cut;
    for (size_t i = start; i <= n && rc == 0; i++) {
        if (p[i] != '\\' && p[i] != 0)
            continue;
        char c = p[i];
        p[i] = 0;
        int found = ex == 1 && i == cut ? 1 : 0;
        if (found == 1) {
            rc = vol_err(s, BOXFS_E_NOTDIR, "create directory", p);
        } else {
            int r = boxfs_mkdir(s->m->vol, &s->who, NULL, p);
            if (r == BOXFS_E_EXISTS && (found = emu_inst_exists(s, p)) != 0) /* made meanwhile */
                rc = found == 2 ? 0 : vol_err(s, BOXFS_E_NOTDIR, "create directory", p);
            else if (r < 0)
                rc = vol_err(s, r, "create directory", p);
            else
                rc = undo_add(s, EMU_UNDO_CREATED_DIR, p, NULL, NULL, 0, 0);
        }
        p[i] = c;
    }
    free(p);
    return rc;
}

/* Write data to vpath, replacing it (no logging). */
static int put_file(emu_inst *s, const char *vpath, const void *data, size_t len, uint32_t attrs)
{
    boxfs_open_args a = {.path = vpath,
                         .access = BOXFS_ACCESS_WRITE | BOXFS_ACCESS_WRITE_ATTR,
                         .disposition = BOXFS_SUPERSEDE,
                         .options = BOXFS_NON_DIRECTORY_FILE};
    boxfs_file *f;
    int rc = boxfs_open(s->m->vol, &s->who, &a, &f, NULL);
    if (rc < 0)
        return rc;
    size_t off = 0;
    while (rc >= 0 && off < len) {
        size_t done = 0;
        rc = boxfs_write(f, &s->who, (const char *)data + off, len - off, (int64_t)off, &done);
        if (rc >= 0 && !done)
            rc = BOXFS_E_IO;
        off += done;
    }
    if (rc >= 0 && (attrs & BOXFS_ATTR_READONLY)) {
        boxfs_setattr_args sa = {.mask = BOXFS_SET_READONLY, .attributes = BOXFS_ATTR_READONLY};
        rc = boxfs_setattr(f, &s->who, &sa);
    }
    int rc2 = boxfs_close(f);
    return rc < 0 ? rc : rc2;
}

int emu_inst_read(emu_inst *s, const char *vpath, void **data, size_t *len)
{
    boxfs_open_args a = {.path = vpath, .access = BOXFS_ACCESS_READ, .disposition = BOXFS_OPEN,
                         .options = BOXFS_NON_DIRECTORY_FILE};
    boxfs_file *f;
    int rc = boxfs_open(s->m->vol, &s->who, &a, &f, NULL);
    if (rc < 0)
        return vol_err(s, rc, "open", vpath);
    boxfs_info st;
    rc = boxfs_fstat(f, &s->who, &st);
    if (rc < 0 || st.size > INF_MAX_FILE_BYTES * 16ull) {
        boxfs_close(f);
        return rc < 0 ? vol_err(s, rc, "read", vpath) : vol_err(s, BOXFS_E_TOOBIG, "read", vpath);
    }
    char *buf = malloc(st.size ? st.size : 1);
    if (!buf) {
        boxfs_close(f);
        return -ENOMEM;
    }
    size_t off = 0;
    while (off < st.size) {
        size_t done = 0;
        rc = boxfs_read(f, &s->who, buf + off, st.size - off, (int64_t)off, &done);
        if (rc == BOXFS_E_EOF || (rc >= 0 && !done))
            break;
        if (rc < 0) {
            free(buf);
            boxfs_close(f);
            return vol_err(s, rc, "read", vpath);
        }
        off += done;
    }
    boxfs_close(f);
    *data = buf;
    *len = off;
    return 0;
}

int emu_inst_write(emu_inst *s, const char *vpath, const void *data, size_t len)
{
    int ex = emu_inst_exists(s, vpath);
    if (ex == 2)
        return vol_err(s, BOXFS_E_ISDIR, "write", vpath);
    void *old = NULL;
    size_t oldlen = 0;
    uint32_t attrs = 0;
    if (ex == 1) {
        int rc = emu_inst_read(s, vpath, &old, &oldlen);
        if (rc < 0)
            return rc;
        attrs = attrs_of(s, vpath);
    }
    int rc = put_file(s, vpath, data, len, 0);
    if (rc < 0) {
        /* A half-written replacement gets its old bytes back; a new file goes. */
        if (ex == 1)
            put_file(s, vpath, old, oldlen, attrs);
        else if (emu_inst_exists(s, vpath) == 1)
            boxfs_unlink(s->m->vol, &s->who, NULL, vpath);
        free(old);
        return vol_err(s, rc, "write", vpath);
    }
    return undo_add(s, ex == 1 ? EMU_UNDO_REPLACED : EMU_UNDO_CREATED_FILE, vpath, NULL, old, oldlen, attrs);
}

/* Remove a file, clearing its read-only attribute first (the installer may). */
static int remove_file(emu_inst *s, const char *vpath)
{
    int rc = boxfs_unlink(s->m->vol, &s->who, NULL, vpath);
    if (rc == BOXFS_E_CANNOTDELETE || rc == BOXFS_E_ACCESS) {
        boxfs_open_args a = {.path = vpath, .access = BOXFS_ACCESS_WRITE_ATTR, .disposition = BOXFS_OPEN};
        boxfs_file *f;
        if (boxfs_open(s->m->vol, &s->who, &a, &f, NULL) == 0) {
            boxfs_setattr_args sa = {.mask = BOXFS_SET_READONLY, .attributes = 0};
            boxfs_setattr(f, &s->who, &sa);
            boxfs_close(f);
        }
        rc = boxfs_unlink(s->m->vol, &s->who, NULL, vpath);
    }
    return rc;
}

int emu_inst_delete(emu_inst *s, const char *vpath)
{
    void *old = NULL;
    size_t oldlen = 0;
    int rc = emu_inst_read(s, vpath, &old, &oldlen);
    if (rc < 0)
        return rc;
    uint32_t attrs = attrs_of(s, vpath);
    rc = remove_file(s, vpath);
    if (rc < 0) {
        free(old);
        return vol_err(s, rc, "delete", vpath);
    }
    return undo_add(s, EMU_UNDO_DELETED, vpath, NULL, old, oldlen, attrs);
}

int emu_inst_rename(emu_inst *s, const char *from, const char *to, int replace)
{
    int rc;
    if (replace && emu_inst_exists(s, to) == 1 && (rc = emu_inst_delete(s, to)) < 0)
        return rc;
    rc = boxfs_rename_path(s->m->vol, &s->who, from, to, 0);
    if (rc < 0)
        return vol_err(s, rc, "rename", from);
    return undo_add(s, EMU_UNDO_RENAMED, from, to, NULL, 0, 0);
}

int emu_inst_rmtree(emu_inst *s, const char *vpath)
{
    boxfs_open_args a = {.path = vpath, .access = BOXFS_ACCESS_LIST, .disposition = BOXFS_OPEN,
                         .options = BOXFS_DIRECTORY_FILE};
    boxfs_file *d;
    int rc = boxfs_open(s->m->vol, &s->who, &a, &d, NULL);
    if (rc == BOXFS_E_NOTDIR)
        return remove_file(s, vpath);
    if (rc < 0)
        return rc;
    char **names = NULL;
    int *dirs = NULL;
    size_t n = 0, cap = 0;
    boxfs_dirent e;
    while ((rc = boxfs_dir_read(d, &s->who, &e)) == 0) {
        if (e.is_dot)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = realloc(names, nc * sizeof *nn);
            int *nd = nn ? realloc(dirs, nc * sizeof *nd) : NULL;
            if (nn)
                names = nn;
            if (!nn || !nd) {
                rc = -ENOMEM;
                break;
            }
            dirs = nd;
            cap = nc;
        }
        size_t l = strlen(vpath) + strlen(e.name) + 2;
        names[n] = malloc(l);
        if (!names[n]) {
            rc = -ENOMEM;
            break;
        }
        snprintf(names[n], l, "%s\\%s", vpath, e.name);
        dirs[n++] = e.st.is_dir;
    }
    boxfs_close(d);
    int first = rc == BOXFS_E_NOMORE ? 0 : rc;
    for (size_t i = 0; i < n; i++) {
        int r = dirs[i] ? emu_inst_rmtree(s, names[i]) : remove_file(s, names[i]);
        if (r < 0 && !first)
            first = r;
        free(names[i]);
    }
    free(names);
    free(dirs);
    int r = boxfs_rmdir(s->m->vol, &s->who, NULL, vpath);
    return first ? first : r;
}

void emu_inst_undo(emu_inst *s)
{
    for (size_t i = s->nundo; i-- > 0;) {
        emu_undo_item *u = &s->undo[i];
        int rc = 0;
        switch (u->kind) {
        case EMU_UNDO_CREATED_FILE:
            rc = remove_file(s, u->path);
            break;
        case EMU_UNDO_CREATED_DIR:
            rc = boxfs_rmdir(s->m->vol, &s->who, NULL, u->path);
            break;
        case EMU_UNDO_REPLACED:
        case EMU_UNDO_DELETED:
            rc = put_file(s, u->path, u->data, u->len, u->attrs);
            break;
        case EMU_UNDO_RENAMED:
            rc = boxfs_rename_path(s->m->vol, &s->who, u->path2, u->path, 0);
            break;
        }
        if (rc < 0 && rc != BOXFS_E_NOENT)
            emu_log(s->m, "pnpbox: warning: %s: cannot undo a change to '%s': %s", s->api, u->path,
                    boxfs_strerror(rc));
    }
    emu_inst_forget(s);
}

void emu_inst_reg_event(emu_inst *s, emu_op op, const char *path, const char *value)
{
    emu_access a = {0};
    a.api = s->api;
    a.kind = EMU_ACC_REG;
    a.op = op;
    a.absolute = 1;
    a.path = path;
    a.value = value;
    a.write = op == EMU_OP_SET || op == EMU_OP_CREATE || op == EMU_OP_DELETE;
    a.creates = op == EMU_OP_CREATE;
    a.comp = s->m->installer;
    emu_record(s->m, &a, NULL, 0);
}

/* ================================================================ machine and registry helpers */

void emu_machine_target(pnpbox_machine *m, inf_target *t)
{
    emu_inf_target_default(t);
    if (!m || !m->target || !*m->target)
        return;
    uint16_t *w = pb_wcs_from_utf8(m->target);
    if (!w)
        return;
    inf_decoration d;
    emu_inf_decoration_parse((inf_str){w, pb_wcslen(w)}, &d);
    if (d.valid) {
        if (d.has_arch)
            t->arch = d.arch;
        if (d.has_major)
            t->major = d.major;
        if (d.has_minor)
            t->minor = d.minor;
        if (d.has_product)
            t->product_type = d.product_type;
        if (d.has_suite)
            t->suite_mask = d.suite_mask;
        if (d.has_build)
            t->build = d.build;
    }
    free(w);
}

int emu_inst_parse(pnpbox_machine *m, const void *data, size_t len, const char *name, inf_file **out)
{
    inf_target t;
    emu_machine_target(m, &t);
    inf_parse_opts o = {m->langid, t.arch, 0};
    return emu_inf_parse_mem(data, len, name, &o, out);
}

int emu_reg_set_str(regdb *r, regdb_key k, const char *name, const char *val, uint32_t type)
{
    uint16_t *wn = NULL, *wv = NULL;
    size_t nn = 0, nv = 0;
    int rc = pb_utf8_to_utf16(name, strlen(name), &wn, &nn);
    if (rc == 0)
        rc = pb_utf8_to_utf16(val, strlen(val), &wv, &nv);
    if (rc == 0)
        rc = regdb_set_value(r, k, wn, nn, type, wv, (nv + 1) * 2);
    free(wn);
    free(wv);
    return rc;
}

int emu_reg_get_str(regdb *r, regdb_key k, const char *name, char **out)
{
    uint16_t *wn = NULL;
    size_t nn = 0;
    int rc = pb_utf8_to_utf16(name, strlen(name), &wn, &nn);
    if (rc)
        return rc;
    regdb_value v;
    rc = regdb_query_value(r, k, wn, nn, &v);
    free(wn);
    if (rc < 0)
        return rc;
    if (v.type != REGDB_SZ && v.type != REGDB_EXPAND_SZ && v.type != REGDB_MULTI_SZ)
        return REGDB_E_TYPE;
    size_t n = v.data_len / 2;
    const uint16_t *d = v.data;
    size_t l = 0;
    while (l < n && d[l])
        l++;
    *out = pb_utf8_from_wcs(d ? d : (const uint16_t *)L"", l);
    return *out ? 0 : -ENOMEM;
}

void emu_strv_free(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int emu_reg_get_multi(regdb *r, regdb_key k, const char *name, char ***out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    uint16_t *wn = NULL;
    size_t nn = 0;
    int rc = pb_utf8_to_utf16(name, strlen(name), &wn, &nn);
    if (rc)
        return rc;
    regdb_value v;
    rc = regdb_query_value(r, k, wn, nn, &v);
    free(wn);
    if (rc < 0)
        return rc;
    if (v.type != REGDB_MULTI_SZ && v.type != REGDB_SZ)
        return REGDB_E_TYPE;
    size_t len = v.data_len / 2;
    uint16_t *d = pb_wcsndup(v.data ? v.data : (const uint16_t *)L"", v.data ? len : 0);
    if (!d)
        return -ENOMEM;
    char **vec = calloc(len / 2 + 2, sizeof *vec);
    size_t n = 0;
    rc = vec ? 0 : -ENOMEM;
    for (size_t i = 0; i < len && rc == 0;) {
        size_t j = i;
        while (j < len && d[j])
            j++;
        if (j > i) {
            if (!(vec[n++] = pb_utf8_from_wcs(d + i, j - i)))
                rc = -ENOMEM;
        } else if (v.type == REGDB_MULTI_SZ) {
            break; /* an empty string ends the list */
        }
        if (v.type == REGDB_SZ)
            break;
        i = j + 1;
    }
    free(d);
    if (rc) {
        emu_strv_free(vec, n);
        return rc;
    }
    *out = vec;
    *nout = n;
    return 0;
}

static int set_multi1(regdb *r, regdb_key k, const char *name, const char *val)
{
    uint16_t *wn = pb_wcs_from_utf8(name), *wv = pb_wcs_from_utf8(val);
    int rc = wn && wv ? 0 : -ENOMEM;
    if (rc == 0) {
        const uint16_t *v[1] = {wv};
        rc = regdb_set_multi_sz(r, k, wn, v, 1);
    }
    free(wn);
    free(wv);
    return rc;
}

/* Open a DriverDatabase subkey ("DriverInfFiles\oem0.inf"). */
static int ddb_open(pnpbox_machine *m, const char *rel, regdb_key *k)
{
    char path[1024];
    if ((size_t)snprintf(path, sizeof path, "%s\\%s", EMU_DRIVERDB, rel) >= sizeof path)
        return REGDB_E_TOOLONG;
    return regdb_open_key_u8(m->reg, 0, path, k);
}

static int ddb_create(pnpbox_machine *m, const char *rel, regdb_key *k)
{
    char path[1024];
    if ((size_t)snprintf(path, sizeof path, "%s\\%s", EMU_DRIVERDB, rel) >= sizeof path)
        return REGDB_E_TOOLONG;
    return regdb_create_key_u8(m->reg, 0, path, REGDB_CREATE_PATH, k);
}

/* "oem12.inf" (any case) -> 12, or -1. */
static long oem_number(const char *s)
{
    if (strncasecmp(s, "oem", 3) || !s[3] || s[3] < '0' || s[3] > '9')
        return -1;
    char *end;
    long n = strtol(s + 3, &end, 10);
    if (strcasecmp(end, ".inf") || n < 0 || n > 99999 || (s[3] == '0' && s[4] != '.'))
        return -1;
    return n;
}

int emu_store_lookup(pnpbox_machine *m, const char *oem, char **folder, char **inf_name)
{
    if (folder)
        *folder = NULL;
    if (inf_name)
        *inf_name = NULL;
    if (oem_number(oem) < 0 || strlen(oem) > 64)
        return -ENOENT;
    char rel[128];
    snprintf(rel, sizeof rel, "DriverInfFiles\\%s", oem);
    regdb_key k, pk;
    char *f = NULL, *n = NULL;
    if (ddb_open(m, rel, &k) < 0 || emu_reg_get_str(m->reg, k, "Active", &f) < 0)
        return -ENOENT;
    char prel[512];
    if ((size_t)snprintf(prel, sizeof prel, "DriverPackages\\%s", f) >= sizeof prel || ddb_open(m, prel, &pk) < 0 ||
        emu_reg_get_str(m->reg, pk, "InfName", &n) < 0) {
        free(f);
        return -ENOENT;
    }
    if (folder)
        *folder = f;
    else
        free(f);
    if (inf_name)
        *inf_name = n;
    else
        free(n);
    return 0;
}

int emu_store_load_inf(emu_inst *s, const char *folder, const char *inf_name, inf_file **out)
{
    size_t l = strlen(EMU_STORE_VDIR) + strlen(folder) + strlen(inf_name) + 3;
    char *vp = malloc(l);
    if (!vp)
        return -ENOMEM;
    snprintf(vp, l, "%s\\%s\\%s", EMU_STORE_VDIR, folder, inf_name);
    void *data = NULL;
    size_t len = 0;
    int rc = emu_inst_read(s, vp, &data, &len);
    free(vp);
    if (rc < 0)
        return rc;
    rc = emu_inst_parse(s->m, data, len, inf_name, out);
    free(data);
    if (rc < 0) {
        emu_set_error(s->m, "cannot parse '%s' of package '%s': %s", inf_name, folder, emu_inf_strerror(rc));
        return rc == INF_E_NOMEM ? -ENOMEM : -EBADMSG;
    }
    return 0;
}

static int cmp_oem(const void *a, const void *b)
{
    long x = oem_number(*(char *const *)a), y = oem_number(*(char *const *)b);
    return x < y ? -1 : x > y;
}

/* Is a device ID usable as a registry path (components of 1..255 units, at most 200 characters)? */
static int id_key_ok(const char *id)
{
    size_t n = strlen(id);
    if (!n || n > 200 || id[0] == '\\' || id[n - 1] == '\\' || strstr(id, "\\\\"))
        return 0;
    return 1;
}

int emu_store_offers(pnpbox_machine *m, const char *const *ids, size_t nids, char ***oems, size_t *n)
{
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    int rc = 0;
    for (size_t i = 0; i < nids && rc == 0; i++) {
        if (!id_key_ok(ids[i]))
            continue;
        char rel[512];
        snprintf(rel, sizeof rel, "DeviceIds\\%s", ids[i]);
        regdb_key k;
        if (ddb_open(m, rel, &k) < 0)
            continue;
        regdb_value val;
        for (uint32_t j = 0; regdb_enum_value(m->reg, k, j, &val) == 0; j++) {
            char *name = pb_utf8_from_wcs(val.name, val.name_len);
            if (!name) {
                rc = -ENOMEM;
                break;
            }
            int dup = oem_number(name) < 0;
            for (size_t q = 0; q < cnt && !dup; q++)
                dup = !strcasecmp(v[q], name);
            if (dup) {
                free(name);
                continue;
            }
            if (cnt == cap) {
                size_t nc = cap ? cap * 2 : 8;
                char **nv = realloc(v, nc * sizeof *nv);
                if (!nv) {
                    free(name);
                    rc = -ENOMEM;
                    break;
                }
                v = nv;
                cap = nc;
            }
            v[cnt++] = name;
        }
    }
    if (rc) {
        emu_strv_free(v, cnt);
        return rc;
    }
    if (cnt > 1)
        qsort(v, cnt, sizeof *v, cmp_oem);
    *oems = v;
    *n = cnt;
    return 0;
}

/* ---------------------------------------------------------------- devices */

int emu_store_each_device(pnpbox_machine *m, emu_device_fn fn, void *ctx)
{
    regdb_key en;
    if (emu_ccs_open(m, "Enum", &en) < 0)
        return 0;
    regdb_key_entry e1, e2, e3;
    for (uint32_t a = 0; regdb_enum_key(m->reg, en, a, &e1) == 0; a++) {
        regdb_key k1 = e1.id;
        char *n1 = pb_utf8_from_wcs(e1.name, e1.name_len);
        for (uint32_t b = 0; n1 && regdb_enum_key(m->reg, k1, b, &e2) == 0; b++) {
            regdb_key k2 = e2.id;
            char *n2 = pb_utf8_from_wcs(e2.name, e2.name_len);
            for (uint32_t c = 0; n2 && regdb_enum_key(m->reg, k2, c, &e3) == 0; c++) {
                regdb_key k3 = e3.id;
                char *n3 = pb_utf8_from_wcs(e3.name, e3.name_len);
                if (!n3)
                    break;
                size_t l = strlen(n1) + strlen(n2) + strlen(n3) + 3;
                char *inst = malloc(l);
                int stop = 0;
                if (inst) {
                    snprintf(inst, l, "%s\\%s\\%s", n1, n2, n3);
                    stop = fn(m, inst, k3, ctx);
                }
                free(inst);
                free(n3);
                if (stop) {
                    free(n2);
                    free(n1);
                    return stop;
                }
            }
            free(n2);
        }
        free(n1);
    }
    return 0;
}

char *emu_store_device_inf(pnpbox_machine *m, regdb_key devkey)
{
    char *drv = NULL, *inf = NULL;
    if (emu_reg_get_str(m->reg, devkey, "Driver", &drv) < 0)
        return NULL;
    char rel[600];
    regdb_key sk;
    if ((size_t)snprintf(rel, sizeof rel, "Control\\Class\\%s", drv) < sizeof rel && emu_ccs_open(m, rel, &sk) == 0)
        emu_reg_get_str(m->reg, sk, "InfPath", &inf);
    free(drv);
    return inf;
}

typedef struct user_ctx {
    const char *oem;
    char *found;
} user_ctx;

static int user_visit(pnpbox_machine *m, const char *instance, regdb_key k, void *ctx)
{
    user_ctx *u = ctx;
    char *inf = emu_store_device_inf(m, k);
    int hit = inf && !strcasecmp(inf, u->oem);
    free(inf);
    if (hit)
        u->found = strdup(instance);
    return hit;
}

int emu_store_user(pnpbox_machine *m, const char *oem, char **instance)
{
    user_ctx u = {oem, NULL};
    emu_store_each_device(m, user_visit, &u);
    if (!u.found)
        return -ENOENT;
    *instance = u.found;
    return 0;
}

/* ---------------------------------------------------------------- stale folders */

static int add_stale_vpath(pnpbox_machine *m, const char *folder)
{
    size_t l = strlen(EMU_STORE_VDIR) + strlen(folder) + 2;
    char *vp = malloc(l);
    if (!vp)
        return -ENOMEM;
    snprintf(vp, l, "%s\\%s", EMU_STORE_VDIR, folder);
    for (int i = 0; i < m->nstale; i++)
        if (!strcasecmp(m->stale_dirs[i], vp)) {
            free(vp);
            return 0;
        }
    char **n = realloc(m->stale_dirs, (size_t)(m->nstale + 1) * sizeof *n);
    if (!n) {
        free(vp);
        return -ENOMEM;
    }
    m->stale_dirs = n;
    m->stale_dirs[m->nstale++] = vp;
    emu_rules_changed(m); /* verdicts cached before the folder went stale are stale too */
    return 0;
}

int emu_store_mark_stale(pnpbox_machine *m, const char *folder)
{
    char rel[512];
    regdb_key k;
    if ((size_t)snprintf(rel, sizeof rel, "DriverPackages\\%s", folder) < sizeof rel && ddb_open(m, rel, &k) == 0)
        regdb_set_dword(m->reg, k, (const uint16_t *)L"Superseded", 1);
    return add_stale_vpath(m, folder);
}

void emu_store_load_stale(pnpbox_machine *m)
{
    /* An embedded machine's markers were all set by this process: the list has them. */
    if (!m->dir)
        return;
    regdb_key pk;
    if (ddb_open(m, "DriverPackages", &pk) < 0)
        return;
    regdb_key_entry e;
    for (uint32_t i = 0; regdb_enum_key(m->reg, pk, i, &e) == 0; i++) {
        regdb_key k = e.id;
        char *name = pb_utf8_from_wcs(e.name, e.name_len);
        uint32_t v = 0;
        if (name && regdb_get_dword(m->reg, k, (const uint16_t *)L"Superseded", &v) == 0 && v)
            add_stale_vpath(m, name);
        free(name);
    }
}

/* ================================================================ staging */

static inf_str str_trim(inf_str s)
{
    while (s.n && (s.s[0] == ' ' || s.s[0] == '\t'))
        s.s++, s.n--;
    while (s.n && (s.s[s.n - 1] == ' ' || s.s[s.n - 1] == '\t'))
        s.n--;
    return s;
}

static char *u8dup(inf_str s)
{
    return pb_utf8_from_wcs(s.n ? s.s : (const uint16_t *)L"", s.n);
}

typedef struct stage_file {
    char *rel;      /* package-relative path, '\'-separated */
    char *host;     /* where it is on the host */
    uint32_t lineno;
    unsigned char *data; /* the contents read while hashing, or NULL (read again to copy) */
    size_t len;
    uint64_t h_before, h_after; /* the package hash up to this file, and with it */
} stage_file;

typedef struct stage {
    emu_inst *s;
    pnpbox_machine *m;
    const char *host_inf;
    char *pkgdir;           /* host directory of the INF */
    const char *name;       /* INF file name as given */
    unsigned char *inf_data;
    size_t inf_len;
    inf_file *inf;
    inf_file **incl;
    size_t nincl;
    inf_target target;
    inf_version ver;
    stage_file *files;
    size_t nfiles, fcap;
    uint64_t hash;
    char folder[320];
    char catalog[260];
} stage;

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= FNV_PRIME;
    }
    return h;
}

static uint64_t fnv_header(uint64_t h, const char *rel, uint64_t size)
{
    for (const char *c = rel; *c; c++) {
        unsigned char ch = (unsigned char)*c;
        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch + 32);
        h = fnv(h, &ch, 1);
    }
    unsigned char z[9] = {0};
    for (int i = 0; i < 8; i++)
        z[1 + i] = (unsigned char)(size >> (8 * i));
    return fnv(h, z, 9);
}

/* Read a whole host file (for the INF). */
static int host_read(const char *path, unsigned char **data, size_t *len, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return -EISDIR;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return -EFBIG;
    }
    unsigned char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    size_t off = 0;
    while (off < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = -errno;
            free(buf);
            close(fd);
            return e;
        }
        if (r == 0)
            break;
        off += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = off;
    return 0;
}

/*
 * Find a package-relative path under dir on the host, matching each
 * component case-insensitively when the exact name is absent (a package
 * made on Windows need not agree in case with its INF).  "." components
 * are skipped; ".." is refused (it would leave the package).
 */
static int host_resolve(const char *dir, const char *rel, char **out)
{
    size_t cap = strlen(dir) + strlen(rel) + 2;
    char *p = malloc(cap);
    if (!p)
        return -ENOMEM;
    strcpy(p, dir);
    size_t len = strlen(p);
    const char *c = rel;
    while (*c) {
        while (*c == '\\' || *c == '/')
            c++;
        if (!*c)
            break;
        const char *e = c;
        while (*e && *e != '\\' && *e != '/')
            e++;
        size_t n = (size_t)(e - c);
        if (n == 1 && c[0] == '.') {
            c = e;
            continue;
        }
        if (n == 2 && c[0] == '.' && c[1] == '.') {
            free(p);
            return -EINVAL;
        }
        p[len] = '/';
        memcpy(p + len + 1, c, n);
        p[len + 1 + n] = 0;
        struct stat st;
        if (lstat(p, &st) != 0) {
            p[len] = 0;
            DIR *d = opendir(len ? p : "/");
            const char *best = NULL;
            char bestbuf[256];
            struct dirent *de;
            while (d && (de = readdir(d))) {
                if (strlen(de->d_name) == n && !strncasecmp(de->d_name, c, n) &&
                    (!best || strcmp(de->d_name, best) < 0)) {
                    snprintf(bestbuf, sizeof bestbuf, "%s", de->d_name);
                    best = bestbuf;
                }
            }
            if (d)
                closedir(d);
            p[len] = '/';
            if (!best) {
                free(p);
                return -ENOENT;
            }
            memcpy(p + len + 1, best, n);
        }
        len += 1 + n;
        c = e;
    }
    *out = p;
    return 0;
}

/* Check a package-relative path: every component a valid volume name, no "..". */
static int rel_ok(const char *rel)
{
    const char *c = rel;
    while (*c) {
        const char *e = c;
        while (*e && *e != '\\')
            e++;
        if (e == c || boxfs_name_valid(c, (size_t)(e - c)) < 0)
            return 0;
        c = *e ? e + 1 : e;
    }
    return *rel != 0;
}

static int add_file(stage *g, const char *rel, uint32_t lineno)
{
    for (size_t i = 0; i < g->nfiles; i++)
        if (!strcasecmp(g->files[i].rel, rel))
            return 0;
    if (!strcasecmp(rel, g->name))
        return 0; /* the INF itself is staged on its own */
    if (g->nfiles == g->fcap) {
        size_t nc = g->fcap ? g->fcap * 2 : 16;
        stage_file *n = realloc(g->files, nc * sizeof *n);
        if (!n)
            return -ENOMEM;
        g->files = n;
        g->fcap = nc;
    }
    stage_file *f = &g->files[g->nfiles];
    memset(f, 0, sizeof *f);
    f->rel = strdup(rel);
    f->lineno = lineno;
    if (!f->rel)
        return -ENOMEM;
    g->nfiles++;
    return 0;
}

static int cmp_file(const void *a, const void *b)
{
    const stage_file *x = a, *y = b;
    int c = strcasecmp(x->rel, y->rel);
    return c ? c : strcmp(x->rel, y->rel);
}

static void stage_free(stage *g)
{
    for (size_t i = 0; i < g->nfiles; i++) {
        free(g->files[i].rel);
        free(g->files[i].host);
        free(g->files[i].data);
    }
    free(g->files);
    emu_inf_free_list(g->incl, g->nincl);
    emu_inf_free(g->inf);
    free(g->inf_data);
    free(g->pkgdir);
}

/* The parser's error diagnostics, joined for the message. */
static int check_parse(stage *g)
{
    char msg[400];
    size_t used = 0;
    int errors = 0;
    for (size_t i = 0; i < emu_inf_diag_count(g->inf); i++) {
        const inf_diag *d = emu_inf_diag_at(g->inf, i);
        if (d->code != 1002 || d->severity != INF_SEV_ERROR)
            continue;
        if (errors++ < 3 && used < sizeof msg) {
            int k = snprintf(msg + used, sizeof msg - used, "%sline %u: %s", used ? "; " : "", d->lineno,
                             d->message);
            if (k > 0)
                used += (size_t)k;
        }
    }
    if (errors) {
        emu_set_error(g->m, "cannot stage '%s': %d parse error%s (InfVerif 1002): %s%s", g->host_inf, errors,
                      errors > 1 ? "s" : "", msg, errors > 3 ? "; ..." : "");
        return -EBADMSG;
    }
    emu_inf_version(g->inf, &g->target, &g->ver);
    if (!g->ver.lineno) {
        emu_set_error(g->m, "cannot stage '%s': it has no [Version] section, so it is not an INF", g->host_inf);
        return -EBADMSG;
    }
    if (!g->ver.signature_ok) {
        char *sig = u8dup(g->ver.signature);
        emu_set_error(g->m, "cannot stage '%s': line %u: Signature '%s' is not \"$Windows NT$\" or \"$Chicago$\"",
                      g->host_inf, g->ver.signature_line, sig ? sig : "");
        free(sig);
        return -EBADMSG;
    }
    return 0;
}

/* Every file of the package, found on the host. */
static int list_files(stage *g)
{
    inf_plan_opts po = {0};
    po.target = &g->target;
    po.includes = (const inf_file *const *)g->incl;
    po.nincludes = g->nincl;
    inf_plan *plan = NULL;
    int rc = emu_inf_plan_package(g->inf, &po, 0, &plan);
    if (rc) {
        emu_set_error(g->m, "cannot stage '%s': %s", g->host_inf, emu_inf_strerror(rc));
        return rc == INF_E_NOMEM ? -ENOMEM : -EBADMSG;
    }
    for (size_t i = 0; i < plan->nfiles && rc == 0; i++) {
        const inf_package_file *pf = &plan->files[i];
        char *name = NULL, *sub = NULL;
        if (pb_utf16_to_utf8(pf->name.s, pf->name.n, &name, NULL, PB_UTF_STRICT) ||
            pb_utf16_to_utf8(pf->src_subdir.s, pf->src_subdir.n, &sub, NULL, PB_UTF_STRICT)) {
            emu_set_error(g->m, "cannot stage '%s': line %u: a source file name is not valid UTF-16", g->host_inf,
                          pf->lineno);
            rc = -EBADMSG;
        } else {
            size_t l = strlen(name) + strlen(sub) + 2;
            char *rel = malloc(l);
            if (!rel) {
                rc = -ENOMEM;
            } else {
                snprintf(rel, l, "%s%s%s", sub, *sub ? "\\" : "", name);
                if (strchr(name, '\\') || strchr(name, '/') || !rel_ok(rel)) {
                    emu_set_error(g->m, "cannot stage '%s': line %u: source file '%s' is not a valid package path",
                                  g->host_inf, pf->lineno, rel);
                    rc = -EBADMSG;
                } else {
                    rc = add_file(g, rel, pf->lineno);
                }
                free(rel);
            }
        }
        free(name);
        free(sub);
    }
    emu_inf_plan_free(plan);
    if (rc)
        return rc;
    /* The catalog is part of the package when it is there; pnpbox checks no signatures. */
    if (g->ver.catalog_file.n) {
        char *cat = u8dup(str_trim(g->ver.catalog_file));
        char *host = NULL;
        if (cat && !strchr(cat, '\\') && !strchr(cat, '/') && boxfs_name_valid(cat, strlen(cat)) == 0 &&
            host_resolve(g->pkgdir, cat, &host) == 0) {
            struct stat st;
            if (stat(host, &st) == 0 && S_ISREG(st.st_mode)) {
                snprintf(g->catalog, sizeof g->catalog, "%s", cat);
                rc = add_file(g, cat, 0);
            }
        }
        free(host);
        free(cat);
        if (rc)
            return rc;
    }
    if (g->nfiles > 1)
        qsort(g->files, g->nfiles, sizeof *g->files, cmp_file);
    for (size_t i = 0; i < g->nfiles; i++) {
        stage_file *f = &g->files[i];
        rc = host_resolve(g->pkgdir, f->rel, &f->host);
        struct stat st;
        if (rc == 0 && (stat(f->host, &st) != 0 || !S_ISREG(st.st_mode)))
            rc = -ENOENT;
        if (rc < 0) {
            char shown[1024];
            char *fs = strdup(f->rel);
            for (char *c = fs; c && *c; c++)
                if (*c == '\\')
                    *c = '/';
            snprintf(shown, sizeof shown, "%s/%s", g->pkgdir, fs ? fs : f->rel);
            free(fs);
            if (rc == -ENOMEM)
                return rc;
            if (f->lineno)
                emu_set_error(g->m, "cannot stage '%s': source file '%s' (line %u) not found: no '%s'", g->host_inf,
                              f->rel, f->lineno, shown);
            else
                emu_set_error(g->m, "cannot stage '%s': source file '%s' not found: no '%s'", g->host_inf, f->rel,
                              shown);
            return -ENOENT;
        }
    }
    return 0;
}

/* Hash a host file into h (streaming); *size gets its size. */
/*
 * A package's files are hashed (the store folder is named after the hash),
 * then copied, hashing again what is copied: a package that changes in
 * between is refused.  Files up to this many bytes in all are kept from the
 * first read instead, and copied from memory: what is copied then is what
 * was hashed, by construction, and each file is read once.
 */
#define STAGE_KEEP_BYTES (8u << 20)

static int hash_host_file(stage_file *f, uint64_t *h, size_t *budget)
{
    int fd = open(f->host, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    *h = fnv_header(*h, f->rel, (uint64_t)st.st_size);
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size <= *budget) {
        /* Kept: read exactly the size hashed into the header; a file that grew is a change. */
        size_t n = (size_t)st.st_size, off = 0;
        unsigned char *buf = malloc(n + 1);
        int rc = buf ? 0 : -ENOMEM;
        while (rc == 0) {
            ssize_t r = read(fd, buf + off, n + 1 - off);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                rc = -errno;
            else if (r == 0)
                break;
            else if ((off += (size_t)r) > n)
                rc = -EAGAIN;
        }
        close(fd);
        if (rc == 0 && off != n)
            rc = -EAGAIN; /* shrank since fstat */
        if (rc < 0) {
            free(buf);
            return rc == -EAGAIN ? -EIO : rc;
        }
        *h = fnv(*h, buf, n);
        f->data = buf;
        f->len = n;
        *budget -= n;
        return 0;
    }
    unsigned char buf[65536];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = -errno;
            close(fd);
            return e;
        }
        if (r == 0)
            break;
        *h = fnv(*h, buf, (size_t)r);
    }
    close(fd);
    return 0;
}

static int package_hash(stage *g)
{
    uint64_t h = fnv(FNV_OFFSET, g->inf_data, g->inf_len);
    size_t budget = STAGE_KEEP_BYTES;
    for (size_t i = 0; i < g->nfiles; i++) {
        g->files[i].h_before = h;
        int rc = hash_host_file(&g->files[i], &h, &budget);
        if (rc < 0) {
            emu_set_error(g->m, "cannot stage '%s': cannot read '%s': %s", g->host_inf, g->files[i].host,
                          rc == -EIO ? "it changed while it was read" : strerror(-rc));
            return rc;
        }
        g->files[i].h_after = h;
    }
    g->hash = h;
    return 0;
}

/* Write a kept file's contents to a new volume file (logged). */
static int copy_kept(stage *g, const stage_file *sf, const char *vpath)
{
    emu_inst *s = g->s;
    boxfs_open_args a = {.path = vpath, .access = BOXFS_ACCESS_WRITE, .disposition = BOXFS_CREATE,
                         .options = BOXFS_NON_DIRECTORY_FILE};
    boxfs_file *f;
    int rc = boxfs_open(g->m->vol, &s->who, &a, &f, NULL);
    if (rc < 0)
        return vol_err(s, rc, "create", vpath);
    rc = undo_add(s, EMU_UNDO_CREATED_FILE, vpath, NULL, NULL, 0, 0);
    size_t put = 0;
    while (rc == 0 && put < sf->len) {
        size_t done = 0;
        int w = boxfs_write(f, &s->who, sf->data + put, sf->len - put, (int64_t)put, &done);
        if (w < 0)
            rc = vol_err(s, w, "write", vpath);
        else if (!done)
            rc = vol_err(s, BOXFS_E_IO, "write", vpath);
        put += done;
    }
    boxfs_close(f);
    return rc;
}

/* Copy a host file onto the volume (a new file, logged); *h hashes what was copied. */
static int copy_in(stage *g, const stage_file *sf, const char *vpath, uint64_t *h)
{
    emu_inst *s = g->s;
    const char *host = sf->host, *rel = sf->rel;
    int rc = emu_inst_fault(s, "copy");
    if (rc)
        return rc;
    if (sf->data) { /* what is written is what was hashed: no need to hash it again... */
        if (*h == sf->h_before)
            *h = sf->h_after;
        else /* ...unless an earlier file changed, which must still show */
            *h = fnv(fnv_header(*h, rel, sf->len), sf->data, sf->len);
        return copy_kept(g, sf, vpath);
    }
    int fd = open(host, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        emu_set_error(g->m, "cannot read '%s': %s", host, strerror(-rc));
        return rc;
    }
    struct stat st;
    fstat(fd, &st);
    *h = fnv_header(*h, rel, (uint64_t)st.st_size);
    boxfs_open_args a = {.path = vpath, .access = BOXFS_ACCESS_WRITE, .disposition = BOXFS_CREATE,
                         .options = BOXFS_NON_DIRECTORY_FILE};
    boxfs_file *f;
    rc = boxfs_open(g->m->vol, &s->who, &a, &f, NULL);
    if (rc < 0) {
        close(fd);
        return vol_err(s, rc, "create", vpath);
    }
    rc = undo_add(s, EMU_UNDO_CREATED_FILE, vpath, NULL, NULL, 0, 0);
    unsigned char buf[65536];
    uint64_t off = 0;
    while (rc == 0) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -errno;
            emu_set_error(g->m, "cannot read '%s': %s", host, strerror(-rc));
            break;
        }
        if (r == 0)
            break;
        *h = fnv(*h, buf, (size_t)r);
        size_t done = 0, put = 0;
        while (rc == 0 && put < (size_t)r) {
            int w = boxfs_write(f, &s->who, buf + put, (size_t)r - put, (int64_t)(off + put), &done);
            if (w < 0)
                rc = vol_err(s, w, "write", vpath);
            else if (!done)
                rc = vol_err(s, BOXFS_E_IO, "write", vpath);
            put += done;
        }
        off += (uint64_t)r;
    }
    close(fd);
    boxfs_close(f);
    return rc;
}

static const char *folder_arch(const stage *g) { return emu_inf_arch_name(g->target.arch); }

/* The registry records of a new package (inside the caller's transaction). */
static int record_package(stage *g, const char *oem)
{
    pnpbox_machine *m = g->m;
    emu_inst *s = g->s;
    regdb *r = m->reg;
    char rel[600], path[800];
    regdb_key pk, fk;
    snprintf(rel, sizeof rel, "DriverPackages\\%s", g->folder);
    int rc = ddb_create(m, rel, &pk);
    if (rc < 0)
        return rc;
    snprintf(path, sizeof path, "%s\\%s", EMU_DRIVERDB_PATH, rel);
    char *prov = u8dup(g->ver.provider), *cls = u8dup(g->ver.class_name);
    char *guid = u8dup(str_trim(g->ver.class_guid));
    char dv[64] = "";
    if (g->ver.has_driver_ver && g->ver.driver_ver_ok)
        snprintf(dv, sizeof dv, "%02u/%02u/%04u,%u.%u.%u.%u", g->ver.month, g->ver.day, g->ver.year,
                 g->ver.ver[0], g->ver.ver[1], g->ver.ver[2], g->ver.ver[3]);
    if (!prov || !cls || !guid)
        rc = -ENOMEM;
    for (char *c = guid; c && *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    struct {
        const char *name, *val;
    } vals[] = {{"", oem},       {"InfName", g->name}, {"Provider", prov ? prov : ""},
                {"Class", cls ? cls : ""}, {"ClassGuid", guid ? guid : ""}, {"DriverVer", dv},
                {"Architecture", folder_arch(g)}, {"CatalogFile", g->catalog}};
    for (size_t i = 0; rc == 0 && i < sizeof vals / sizeof vals[0]; i++) {
        if (i == 7 && !g->catalog[0])
            break;
        rc = emu_reg_set_str(r, pk, vals[i].name, vals[i].val, REGDB_SZ);
        if (rc == 0)
            emu_inst_reg_event(s, EMU_OP_SET, path, vals[i].name);
    }
    free(prov);
    free(cls);
    free(guid);
    if (rc < 0)
        return rc;
    snprintf(rel, sizeof rel, "DriverInfFiles\\%s", oem);
    if ((rc = ddb_create(m, rel, &fk)) < 0)
        return rc;
    snprintf(path, sizeof path, "%s\\%s", EMU_DRIVERDB_PATH, rel);
    if ((rc = set_multi1(r, fk, "", g->folder)) < 0 ||
        (rc = emu_reg_set_str(r, fk, "Active", g->folder, REGDB_SZ)) < 0)
        return rc;
    emu_inst_reg_event(s, EMU_OP_SET, path, "");
    emu_inst_reg_event(s, EMU_OP_SET, path, "Active");

    /* DeviceIds: every ID of every models line selected for the target. */
    uint16_t *woem = pb_wcs_from_utf8(oem);
    if (!woem)
        return -ENOMEM;
    size_t nm = emu_inf_manufacturer_count(g->inf);
    for (size_t mi = 0; mi < nm && rc == 0; mi++) {
        inf_models ms;
        if (emu_inf_models_select(g->inf, mi, &g->target, &ms) || !ms.section)
            continue;
        for (uint32_t li = 0; li < ms.section->nlines && rc == 0; li++) {
            inf_model md;
            if (emu_inf_model_decode(&ms.section->lines[li], &md))
                continue;
            const inf_section *dd = emu_inf_ddinstall(g->inf, md.install, g->target.arch, NULL);
            const inf_line *fsl = dd ? emu_inf_find_key(dd, "FeatureScore") : NULL;
            int64_t fs = 0xff;
            if (fsl && (emu_inf_parse_int(str_trim(fsl->fields[0].val), &fs) || fs < 0 || fs > 0xff))
                fs = 0xff;
            for (uint32_t j = 0; j < md.nids && rc == 0; j++) {
                inf_str idv = str_trim(md.ids[j].val);
                if (!idv.n)
                    continue;
                char *id = u8dup(idv);
                if (!id) {
                    rc = -ENOMEM;
                    break;
                }
                if (!id_key_ok(id)) {
                    emu_log(m, "pnpbox: warning: %s: line %u: device ID '%s' cannot be indexed (empty component "
                               "or over 200 characters)",
                            g->name, md.line->lineno, id);
                    free(id);
                    continue;
                }
                snprintf(rel, sizeof rel, "DeviceIds\\%s", id);
                regdb_key ik;
                rc = ddb_create(m, rel, &ik);
                if (rc == 0) {
                    uint8_t data[4] = {j == 0 ? 1 : 0, (uint8_t)fs, 0, 0};
                    regdb_value old;
                    int have = regdb_query_value(r, ik, woem, pb_wcslen(woem), &old) == 0;
                    if (!have || (data[0] && old.data_len == 4 && !((const uint8_t *)old.data)[0])) {
                        rc = regdb_set_value(r, ik, woem, pb_wcslen(woem), REGDB_BINARY, data, 4);
                        snprintf(path, sizeof path, "%s\\%s", EMU_DRIVERDB_PATH, rel);
                        if (rc == 0)
                            emu_inst_reg_event(s, EMU_OP_SET, path, oem);
                    }
                } else if (rc == REGDB_E_INVAL || rc == REGDB_E_TOOLONG) {
                    emu_log(m, "pnpbox: warning: %s: line %u: device ID '%s' cannot be indexed", g->name,
                            md.line->lineno, id);
                    rc = 0;
                }
                free(id);
            }
        }
    }
    free(woem);
    return rc;
}

/* The lowest N with neither a DriverInfFiles record nor a \Windows\INF\oemN.inf. */
static int free_oem(stage *g, char *oem, size_t cap)
{
    for (unsigned n = 0; n < 100000; n++) {
        snprintf(oem, cap, "oem%u.inf", n);
        char rel[64], vp[128];
        regdb_key k;
        snprintf(rel, sizeof rel, "DriverInfFiles\\%s", oem);
        if (ddb_open(g->m, rel, &k) == 0)
            continue;
        snprintf(vp, sizeof vp, "%s\\%s", EMU_INF_VDIR, oem);
        if (emu_inst_exists(g->s, vp))
            continue;
        return 0;
    }
    emu_set_error(g->m, "no free oem<N>.inf name in C:\\Windows\\INF");
    return -ENOSPC;
}

/* Already staged: the same folder is recorded and present. */
static int staged_before(stage *g, char **published)
{
    char rel[600];
    regdb_key pk, fk;
    char *oem = NULL, *active = NULL;
    snprintf(rel, sizeof rel, "DriverPackages\\%s", g->folder);
    if (ddb_open(g->m, rel, &pk) < 0 || emu_reg_get_str(g->m->reg, pk, "", &oem) < 0)
        return 0;
    int ok = 0;
    snprintf(rel, sizeof rel, "DriverInfFiles\\%s", oem);
    char vp[600];
    snprintf(vp, sizeof vp, "%s\\%s", EMU_STORE_VDIR, g->folder);
    if (ddb_open(g->m, rel, &fk) == 0 && emu_reg_get_str(g->m->reg, fk, "Active", &active) == 0 &&
        !strcasecmp(active, g->folder) && emu_inst_exists(g->s, vp) == 2)
        ok = 1;
    free(active);
    if (ok && published)
        *published = oem;
    else
        free(oem);
    return ok;
}

static int stage_run(stage *g, char **published)
{
    pnpbox_machine *m = g->m;
    emu_inst *s = g->s;
    const char *slash = strrchr(g->host_inf, '/');
    g->name = slash ? slash + 1 : g->host_inf;
    g->pkgdir = slash ? strndup(g->host_inf, (size_t)(slash - g->host_inf)) : strdup(".");
    if (!g->pkgdir)
        return -ENOMEM;
    if (!g->pkgdir[0]) {
        free(g->pkgdir);
        g->pkgdir = strdup("/");
        if (!g->pkgdir)
            return -ENOMEM;
    }
    if (!*g->name || boxfs_name_valid(g->name, strlen(g->name)) < 0) {
        emu_set_error(m, "cannot stage '%s': '%s' is not a valid Windows file name", g->host_inf, g->name);
        return -EINVAL;
    }
    emu_machine_target(m, &g->target);
    int rc = host_read(g->host_inf, &g->inf_data, &g->inf_len, INF_MAX_FILE_BYTES);
    if (rc < 0) {
        emu_set_error(m, "cannot stage '%s': %s", g->host_inf,
                      rc == -ENOENT ? "not found" : rc == -EFBIG ? "larger than 64 MB" : strerror(-rc));
        return rc == -EFBIG ? -EBADMSG : rc;
    }
    rc = emu_inst_parse(m, g->inf_data, g->inf_len, g->name, &g->inf);
    if (rc) {
        emu_set_error(m, "cannot stage '%s': %s", g->host_inf, emu_inf_strerror(rc));
        return rc == INF_E_NOMEM ? -ENOMEM : -EBADMSG;
    }
    if ((rc = check_parse(g)) < 0)
        return rc;
    if (m->inf_path) {
        inf_parse_opts po = {m->langid, g->target.arch, 0};
        const char *dirs[1] = {m->inf_path};
        if (emu_inf_load_includes(g->inf, dirs, 1, &po, &g->incl, &g->nincl) == INF_E_NOMEM)
            return -ENOMEM;
    }
    if ((rc = list_files(g)) < 0)
        return rc;
    if ((rc = package_hash(g)) < 0)
        return rc;

    /* <inf name, lowercase>_<arch>_<16 hex>; a template's folder carries the stamped .inf name. */
    size_t nl = strlen(g->name);
    if ((size_t)snprintf(g->folder, sizeof g->folder, "%s_%s_%016llx", g->name, folder_arch(g),
                         (unsigned long long)g->hash) >= sizeof g->folder ||
        boxfs_name_valid(g->folder, strlen(g->folder)) < 0) {
        emu_set_error(m, "cannot stage '%s': the store folder name for '%s' would be too long", g->host_inf,
                      g->name);
        return -EINVAL;
    }
    for (char *c = g->folder; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    if (nl > 4 && !strcasecmp(g->name + nl - 4, ".inx"))
        g->folder[nl - 1] = 'f';

    if (staged_before(g, published)) {
        PB_DEBUG(PB_CH_EMU, "'%s' is staged already as %s", g->host_inf, g->folder);
        return 0;
    }

    /* Copy into a temporary folder inside the store. */
    char temp[200], final[600], pub[300], oem[32];
    snprintf(temp, sizeof temp, "%s\\stage-%016llx-%ld", EMU_STORE_TEMP_VDIR, (unsigned long long)g->hash,
             (long)getpid());
    snprintf(final, sizeof final, "%s\\%s", EMU_STORE_VDIR, g->folder);
    int temp_root = emu_inst_exists(s, EMU_STORE_TEMP_VDIR), temp_root_existed = temp_root == 2;
    /* A stage folder left by a crash can only be there if Temp is. */
    if (temp_root_existed && emu_inst_exists(s, temp) && (rc = emu_inst_rmtree(s, temp)) < 0)
        return vol_err(s, rc, "clean up", temp);
    /* Temp (unless there) and the stage folder are known to be missing: made
     * straight away; anything unexpected goes the careful way. */
    rc = 0;
    if (temp_root != 1) {
        if (!temp_root_existed)
            rc = mkdir_logged(s, EMU_STORE_TEMP_VDIR);
        if (rc == 0)
            rc = mkdir_logged(s, temp);
        if (rc == -ENOMEM) /* the undo log, not the volume */
            return rc;
    }
    if ((temp_root == 1 || rc < 0) && (rc = emu_inst_mkdirs(s, temp)) < 0)
        return rc;
    uint64_t h2 = fnv(FNV_OFFSET, g->inf_data, g->inf_len);
    char vp[1200];
    snprintf(vp, sizeof vp, "%s\\%s", temp, g->name);
    if ((rc = emu_inst_fault(s, "copy")) < 0 || (rc = emu_inst_write(s, vp, g->inf_data, g->inf_len)) < 0)
        return rc;
    for (size_t i = 0; i < g->nfiles; i++) {
        stage_file *f = &g->files[i];
        if ((size_t)snprintf(vp, sizeof vp, "%s\\%s", temp, f->rel) >= sizeof vp) {
            emu_set_error(m, "the path of '%s' is too long", f->rel);
            return -ENAMETOOLONG;
        }
        char *bs = strrchr(vp, '\\');
        *bs = 0;
        rc = strchr(f->rel, '\\') ? emu_inst_mkdirs(s, vp) : 0; /* else it goes in the stage folder itself */
        *bs = '\\';
        if (rc < 0 || (rc = copy_in(g, f, vp, &h2)) < 0)
            return rc;
    }
    if (h2 != g->hash) {
        emu_set_error(m, "the package changed while it was being staged; stage it again");
        return -EIO;
    }

    /* Records (one transaction), the published INF, the folder into place, commit. */
    if ((rc = emu_inst_fault(s, "registry")) < 0)
        return rc;
    if ((rc = regdb_begin(m->reg)) < 0) {
        emu_set_error(m, "cannot record the package: %s", regdb_strerror(rc));
        return -EIO;
    }
    if ((rc = free_oem(g, oem, sizeof oem)) < 0)
        goto rollback;
    if ((rc = record_package(g, oem)) < 0) {
        if (rc != -ENOMEM)
            emu_set_error(m, "cannot record the package in the DriverDatabase: %s",
                          regdb_errmsg(m->reg)[0] ? regdb_errmsg(m->reg) : regdb_strerror(rc));
        rc = rc == -ENOMEM ? rc : -EIO;
        goto rollback;
    }
    snprintf(pub, sizeof pub, "%s\\%s", EMU_INF_VDIR, oem);
    if ((rc = emu_inst_fault(s, "publish")) < 0 || (rc = emu_inst_write(s, pub, g->inf_data, g->inf_len)) < 0)
        goto rollback;
    if ((rc = emu_inst_fault(s, "rename")) < 0)
        goto rollback;
    if (emu_inst_exists(s, final)) {
        /* A folder no record names (left by a crash): move it aside, removed after the commit. */
        char aside[240];
        snprintf(aside, sizeof aside, "%s\\orphan-%016llx-%ld", EMU_STORE_TEMP_VDIR, (unsigned long long)g->hash,
                 (long)getpid());
        if ((rc = emu_inst_rename(s, final, aside, 0)) < 0)
            goto rollback;
    }
    if ((rc = emu_inst_rename(s, temp, final, 0)) < 0)
        goto rollback;
    if ((rc = emu_inst_fault(s, "commit")) < 0)
        goto rollback;
    if ((rc = regdb_commit(m->reg)) < 0) {
        emu_set_error(m, "cannot commit the package records: %s", regdb_strerror(rc));
        rc = -EIO;
        goto undo;
    }
    /* Done: drop what is left in Temp (an orphan moved aside, Temp itself if new). */
    for (size_t i = 0; i < s->nundo; i++)
        if (s->undo[i].kind == EMU_UNDO_RENAMED && strstr(s->undo[i].path2, "\\orphan-"))
            emu_inst_rmtree(s, s->undo[i].path2);
    emu_inst_forget(s);
    if (!temp_root_existed)
        boxfs_rmdir(m->vol, &s->who, NULL, EMU_STORE_TEMP_VDIR);
    if (published && !(*published = strdup(oem)))
        return -ENOMEM;
    PB_DEBUG(PB_CH_EMU, "staged '%s' as %s in %s", g->host_inf, oem, g->folder);
    return 0;
rollback:
    regdb_rollback(m->reg);
undo:
    return rc;
}

int pnpbox_driver_add(pnpbox_machine *m, const char *inf_host_path, char **published)
{
    if (published)
        *published = NULL;
    if (!m)
        return -EINVAL;
    if (!inf_host_path || !*inf_host_path) {
        emu_set_error(m, "cannot stage a driver package: no INF path given");
        return -EINVAL;
    }
    emu_lock(m);
    emu_store_load_stale(m);
    emu_inst s;
    emu_inst_begin(&s, m, "DriverStore");
    stage g;
    memset(&g, 0, sizeof g);
    g.s = &s;
    g.m = m;
    g.host_inf = inf_host_path;
    int rc = stage_run(&g, published);
    if (rc < 0) {
        emu_inst_undo(&s); /* stage_run rolled its transaction back */
        if (!strstr(m->errmsg, inf_host_path))
            prefix_error(m, "cannot stage '%s'", inf_host_path);
        if (published) {
            free(*published);
            *published = NULL;
        }
    }
    stage_free(&g);
    emu_inst_end(&s);
    emu_unlock(m);
    return rc;
}

/* ================================================================ folder, list, delete */

int pnpbox_driver_folder(pnpbox_machine *m, const char *published, char **folder, char **win32_path)
{
    if (folder)
        *folder = NULL;
    if (win32_path)
        *win32_path = NULL;
    if (!m || !published)
        return -EINVAL;
    emu_lock(m);
    char *f = NULL;
    int rc = emu_store_lookup(m, published, &f, NULL);
    if (rc < 0)
        emu_set_error(m, "no driver package is published as '%s'", published);
    if (rc == 0 && win32_path) {
        size_t l = strlen(EMU_STORE_VDIR) + strlen(f) + 8;
        *win32_path = malloc(l);
        if (*win32_path)
            snprintf(*win32_path, l, "C:%s\\%s", EMU_STORE_VDIR, f);
        else
            rc = -ENOMEM;
    }
    if (rc == 0 && folder)
        *folder = f;
    else
        free(f);
    emu_unlock(m);
    return rc;
}

static void info_free1(pnpbox_driver_info *d)
{
    free(d->published);
    free(d->folder);
    free(d->inf_name);
    free(d->provider);
    free(d->class_name);
    free(d->class_guid);
    free(d->version);
    free(d->date);
}

void pnpbox_driver_list_free(pnpbox_driver_info *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        info_free1(&v[i]);
    free(v);
}

static int cmp_info(const void *a, const void *b)
{
    long x = oem_number(((const pnpbox_driver_info *)a)->published);
    long y = oem_number(((const pnpbox_driver_info *)b)->published);
    return x < y ? -1 : x > y;
}

static char *get_or_empty(regdb *r, regdb_key k, const char *name)
{
    char *v = NULL;
    if (emu_reg_get_str(r, k, name, &v) < 0)
        v = strdup("");
    return v;
}

int pnpbox_driver_list(pnpbox_machine *m, pnpbox_driver_info **out, size_t *n)
{
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!m || !out || !n)
        return -EINVAL;
    emu_lock(m);
    emu_store_load_stale(m);
    regdb_key fk;
    int rc = 0;
    pnpbox_driver_info *v = NULL;
    size_t cnt = 0, cap = 0;
    if (ddb_open(m, "DriverInfFiles", &fk) == 0) {
        regdb_key_entry e;
        for (uint32_t i = 0; rc == 0 && regdb_enum_key(m->reg, fk, i, &e) == 0; i++) {
            char *oem = pb_utf8_from_wcs(e.name, e.name_len);
            char *folder = NULL, *infn = NULL;
            if (!oem) {
                rc = -ENOMEM;
                break;
            }
            if (emu_store_lookup(m, oem, &folder, &infn) < 0) {
                free(oem);
                continue;
            }
            if (cnt == cap) {
                size_t nc = cap ? cap * 2 : 8;
                pnpbox_driver_info *nv = realloc(v, nc * sizeof *nv);
                if (!nv) {
                    free(oem);
                    free(folder);
                    free(infn);
                    rc = -ENOMEM;
                    break;
                }
                v = nv;
                cap = nc;
            }
            pnpbox_driver_info *d = &v[cnt++];
            memset(d, 0, sizeof *d);
            d->published = oem;
            d->folder = folder;
            d->inf_name = infn;
            char rel[600];
            regdb_key pk;
            snprintf(rel, sizeof rel, "DriverPackages\\%s", folder);
            char *dv = NULL;
            if (ddb_open(m, rel, &pk) == 0) {
                d->provider = get_or_empty(m->reg, pk, "Provider");
                d->class_name = get_or_empty(m->reg, pk, "Class");
                d->class_guid = get_or_empty(m->reg, pk, "ClassGuid");
                dv = get_or_empty(m->reg, pk, "DriverVer");
            }
            char *comma = dv ? strchr(dv, ',') : NULL;
            d->version = strdup(comma ? comma + 1 : "");
            if (comma)
                *comma = 0;
            d->date = strdup(comma && dv ? dv : "");
            free(dv);
            if (!d->provider)
                d->provider = strdup("");
            if (!d->class_name)
                d->class_name = strdup("");
            if (!d->class_guid)
                d->class_guid = strdup("");
            if (!d->provider || !d->class_name || !d->class_guid || !d->version || !d->date)
                rc = -ENOMEM;
        }
    }
    if (rc) {
        pnpbox_driver_list_free(v, cnt);
        emu_unlock(m);
        return rc;
    }
    if (cnt > 1)
        qsort(v, cnt, sizeof *v, cmp_info);
    *out = v;
    *n = cnt;
    emu_unlock(m);
    return 0;
}

/* Remove the value oem from every DeviceIds key, and keys left empty (post-order). */
static int prune_ids(emu_inst *s, regdb_key k, const uint16_t *woem, const char *path, int is_root)
{
    regdb *r = s->m->reg;
    int rc = 0;
    for (uint32_t i = 0;;) {
        regdb_key_entry e;
        if (regdb_enum_key(r, k, i, &e) < 0)
            break;
        regdb_key ck = e.id;
        char *name = pb_utf8_from_wcs(e.name, e.name_len);
        if (!name)
            return -ENOMEM;
        size_t l = strlen(path) + strlen(name) + 2;
        char *cp = malloc(l);
        if (!cp) {
            free(name);
            return -ENOMEM;
        }
        snprintf(cp, l, "%s\\%s", path, name);
        free(name);
        regdb_key_info before;
        regdb_query_key(r, k, &before);
        uint32_t nsub = before.subkeys;
        rc = prune_ids(s, ck, woem, cp, 0);
        free(cp);
        if (rc < 0)
            return rc;
        regdb_key_info after;
        regdb_query_key(r, k, &after);
        if (after.subkeys == nsub)
            i++; /* the child stayed */
    }
    regdb_value v;
    if (regdb_query_value(r, k, woem, pb_wcslen(woem), &v) == 0) {
        if ((rc = regdb_delete_value(r, k, woem, pb_wcslen(woem))) < 0)
            return rc;
        char *o = pb_utf8_from_wcs(woem, pb_wcslen(woem));
        emu_inst_reg_event(s, EMU_OP_DELETE, path, o);
        free(o);
    }
    regdb_key_info ki;
    if (!is_root && regdb_query_key(r, k, &ki) == 0 && !ki.subkeys && !ki.values) {
        if ((rc = regdb_delete_key(r, k)) < 0)
            return rc;
        emu_inst_reg_event(s, EMU_OP_DELETE, path, NULL);
    }
    return 0;
}

static int delete_run(emu_inst *s, const char *published, int force)
{
    pnpbox_machine *m = s->m;
    if (oem_number(published) < 0) {
        emu_set_error(m, "not a published driver package name (oem<N>.inf)");
        return -EINVAL;
    }
    char oem[32];
    snprintf(oem, sizeof oem, "oem%ld.inf", oem_number(published));
    char *folder = NULL, *user = NULL;
    if (emu_store_lookup(m, oem, &folder, NULL) < 0) {
        emu_set_error(m, "no driver package is published under that name");
        return -ENOENT;
    }
    int rc = 0;
    if (emu_store_user(m, oem, &user) == 0) {
        if (!force) {
            emu_set_error(m, "in use by device '%s'", user);
            rc = -EBUSY;
        } else {
            emu_log(m, "pnpbox: %s is deleted while device '%s' still has it installed", oem, user);
        }
    }
    free(user);
    if (rc == 0)
        rc = emu_inst_fault(s, "delete");
    char vfolder[600], aside[300], pub[128];
    snprintf(vfolder, sizeof vfolder, "%s\\%s", EMU_STORE_VDIR, folder);
    snprintf(aside, sizeof aside, "%s\\delete-%s-%ld", EMU_STORE_TEMP_VDIR, oem, (long)getpid());
    snprintf(pub, sizeof pub, "%s\\%s", EMU_INF_VDIR, oem);
    int temp_root_existed = emu_inst_exists(s, EMU_STORE_TEMP_VDIR) == 2;
    int txn = 0;
    if (rc == 0 && (rc = regdb_begin(m->reg)) < 0) {
        emu_set_error(m, "cannot change the DriverDatabase: %s", regdb_strerror(rc));
        rc = -EIO;
    } else if (rc == 0) {
        txn = 1;
    }
    if (rc == 0) {
        char rel[700], path[900];
        regdb_key k;
        snprintf(rel, sizeof rel, "DriverInfFiles\\%s", oem);
        if (ddb_open(m, rel, &k) == 0 && (rc = regdb_delete_tree(m->reg, k)) == 0) {
            snprintf(path, sizeof path, "%s\\%s", EMU_DRIVERDB_PATH, rel);
            emu_inst_reg_event(s, EMU_OP_DELETE, path, NULL);
        }
        snprintf(rel, sizeof rel, "DriverPackages\\%s", folder);
        if (rc == 0 && ddb_open(m, rel, &k) == 0 && (rc = regdb_delete_tree(m->reg, k)) == 0) {
            snprintf(path, sizeof path, "%s\\%s", EMU_DRIVERDB_PATH, rel);
            emu_inst_reg_event(s, EMU_OP_DELETE, path, NULL);
        }
        uint16_t *woem = pb_wcs_from_utf8(oem);
        if (rc == 0 && !woem)
            rc = -ENOMEM;
        if (rc == 0 && ddb_open(m, "DeviceIds", &k) == 0)
            rc = prune_ids(s, k, woem, EMU_DRIVERDB_PATH "\\DeviceIds", 1);
        free(woem);
        if (rc < 0) {
            if (rc != -ENOMEM)
                emu_set_error(m, "cannot remove the records of '%s': %s", oem, regdb_strerror(rc));
            rc = rc == -ENOMEM ? rc : -EIO;
        }
    }
    if (rc == 0 && emu_inst_exists(s, pub) == 1)
        rc = emu_inst_delete(s, pub);
    if (rc == 0 && emu_inst_exists(s, vfolder) == 2) {
        if ((rc = emu_inst_mkdirs(s, EMU_STORE_TEMP_VDIR)) == 0)
            rc = emu_inst_rename(s, vfolder, aside, 0);
    }
    if (rc == 0 && (rc = emu_inst_fault(s, "commit")) == 0) {
        txn = 0;
        if ((rc = regdb_commit(m->reg)) < 0) {
            emu_set_error(m, "cannot commit the removal of '%s': %s", oem, regdb_strerror(rc));
            rc = -EIO;
        }
    }
    if (rc < 0) {
        if (txn)
            regdb_rollback(m->reg);
        emu_inst_undo(s);
        free(folder);
        return rc;
    }
    emu_inst_forget(s);
    if (emu_inst_exists(s, aside) && emu_inst_rmtree(s, aside) < 0)
        emu_log(m, "pnpbox: warning: could not remove all of '%s' (it is no longer part of the store)", aside);
    if (!temp_root_existed)
        boxfs_rmdir(m->vol, &s->who, NULL, EMU_STORE_TEMP_VDIR);
    PB_DEBUG(PB_CH_EMU, "deleted %s (%s)", oem, folder);
    free(folder);
    return 0;
}

int pnpbox_driver_delete(pnpbox_machine *m, const char *published, int force)
{
    if (!m)
        return -EINVAL;
    if (!published) {
        emu_set_error(m, "cannot delete a driver package: no name given");
        return -EINVAL;
    }
    emu_lock(m);
    emu_store_load_stale(m);
    emu_inst s;
    emu_inst_begin(&s, m, "DriverStore");
    int rc = delete_run(&s, published, force);
    if (rc < 0)
        prefix_error(m, "cannot delete '%s'", published);
    emu_inst_end(&s);
    emu_unlock(m);
    return rc;
}
