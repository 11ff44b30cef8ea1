/*
 * file_core.c: NT file semantics over the machine's volume, shared by the
 * kernel Zw*File APIs (k_file.c) and the user-mode file APIs.
 *
 * It turns NT names into volume paths (RootDirectory handles, the object
 * namespace of objns.c), NT create dispositions, options and access masks
 * into boxfs opens, and boxfs handles into NT information classes and
 * directory listings, with Windows' statuses.  Handle provenance follows
 * DESIGN.md "the spine": absolute names get origin "absolute", names under
 * \DriverData get the sanctioned DriverData origin, relative names inherit
 * the RootDirectory handle's provenance.  Every volume request carries an
 * emu_fs_ctx so the machine's policy (fsglue.c) judges and records it.
 *
 * Sources for the behaviour: the ZwCreateFile / ZwReadFile /
 * ZwQueryDirectoryFile pages of the WDK documentation, and Wine's ntdll
 * conformance tests (file.c, directory.c), which record what Windows does;
 * choices where both are silent are marked "pnpbox's choice".
 */
#include <ntdef.h>
#include <pnpbox/k_file.h> /* only the file part of <wdm.h>: this file needs no other */

#include "emu/file_core.h"

#include "base/pb_utf16.h"

#include <stdlib.h>
#include <string.h>

#define ALL_GENERIC (GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL | MAXIMUM_ALLOWED)
#define WRITE_RIGHTS (FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA | DELETE)
#define DRIVERDATA_VPATH "\\Windows\\System32\\Drivers\\DriverData"

/* ---------------------------------------------------------------- small helpers */

static void make_who(boxfs_caller *who, emu_fs_ctx *fc, const emu_prov *prov, int absolute, const char *api,
                     void *caller)
{
    fc->comp = NULL;
    fc->prov = prov;
    fc->absolute = absolute;
    fc->api = api;
    fc->caller = caller;
    emu_fs_caller(who, fc);
}

/* The who for a request on an open handle, by its provenance. */
static void handle_who(emu_handle *e, boxfs_caller *who, emu_fs_ctx *fc, const char *api, void *caller)
{
    emu_file_obj *o = e->obj;
    make_who(who, fc, &e->prov, o ? o->absolute : 0, api, caller);
}

/* Generic rights to file rights (the file object's generic mapping). */
static uint32_t map_generic(uint32_t a)
{
    if (a & GENERIC_READ)
        a |= FILE_GENERIC_READ;
    if (a & GENERIC_WRITE)
        a |= FILE_GENERIC_WRITE;
    if (a & GENERIC_EXECUTE)
        a |= FILE_GENERIC_EXECUTE;
    if (a & (GENERIC_ALL | MAXIMUM_ALLOWED)) /* pnpbox's choice: MAXIMUM_ALLOWED grants all (no ACLs) */
        a |= FILE_ALL_ACCESS;
    return a & ~(uint32_t)ALL_GENERIC;
}

/* NT file rights to the boxfs access bits of a handle. */
static unsigned boxfs_bits(uint32_t a, int dir_only)
{
    unsigned b = 0;
    if (a & FILE_READ_DATA)
        b |= BOXFS_ACCESS_READ | BOXFS_ACCESS_LIST;
    /* On a directory, FILE_ADD_FILE / FILE_ADD_SUBDIRECTORY share the data bits:
     * they are not a write to the directory itself. */
    if (!dir_only && (a & (FILE_WRITE_DATA | FILE_APPEND_DATA)))
        b |= BOXFS_ACCESS_WRITE;
    if (a & DELETE)
        b |= BOXFS_ACCESS_DELETE;
    if (a & FILE_READ_ATTRIBUTES)
        b |= BOXFS_ACCESS_READ_ATTR;
    if (a & FILE_WRITE_ATTRIBUTES)
        b |= BOXFS_ACCESS_WRITE_ATTR;
    return b;
}

uint32_t emu_file_attributes(const boxfs_info *st)
{
    uint32_t a = st->attributes & (FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_ARCHIVE);
    if (st->is_dir)
        a |= FILE_ATTRIBUTE_DIRECTORY;
    return a ? a : FILE_ATTRIBUTE_NORMAL;
}

/* UTF-8 (a boxfs name or path) to UTF-16; NULL when out of memory. */
static uint16_t *to16(const char *s, size_t *n)
{
    uint16_t *w = NULL;
    if (pb_utf8_to_utf16(s, strlen(s), &w, n) < 0)
        return NULL;
    return w;
}

/* "a" + "\" + "b" (b may be empty: a alone). */
static char *path_join(const char *a, const char *b)
{
    size_t al = strlen(a), bl = strlen(b);
    char *p = malloc(al + bl + 2);
    if (!p)
        return NULL;
    memcpy(p, a, al);
    size_t n = al;
    if (bl) {
        if (!n || p[n - 1] != '\\')
            p[n++] = '\\';
        memcpy(p + n, b, bl);
        n += bl;
    }
    p[n] = 0;
    return p;
}

emu_status emu_file_get(pnpbox_machine *m, void *h, emu_handle **out)
{
    emu_handle *e = emu_handle_get(m, h, 0);
    if (!e)
        return STATUS_INVALID_HANDLE;
    if (e->type != EMU_H_FILE || !e->file)
        return STATUS_OBJECT_TYPE_MISMATCH;
    *out = e;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- name resolution */

/* Where an NT name (root handle + name) leads on the volume. */
typedef struct nt_target {
    emu_handle *root;   /* the RootDirectory entry, or NULL */
    boxfs_file *rootf;  /* boxfs root for the path, or NULL (volume-relative path) */
    char *path;         /* relative to rootf, or a volume path */
    emu_prov prov;      /* provenance for the new handle (scope_path owned) */
    int absolute;       /* named by an absolute path */
    int read_only;      /* under a read-only root handle */
} nt_target;

static void target_free(nt_target *t)
{
    free(t->path);
    emu_prov_free(&t->prov);
    memset(t, 0, sizeof *t);
}

static emu_status status_of_name(int rc)
{
    return rc == BOXFS_E_NOMEM ? STATUS_INSUFFICIENT_RESOURCES : STATUS_OBJECT_NAME_INVALID;
}

static emu_status resolve_target(pnpbox_machine *m, void *root, const uint16_t *name, size_t n, nt_target *t)
{
    memset(t, 0, sizeof *t);
    if (root) {
        emu_handle *r;
        emu_status st = emu_file_get(m, root, &r);
        if (st)
            return st;
        emu_file_obj *ro = r->obj;
        t->root = r;
        t->read_only = ro && ro->read_only;
        if (!boxfs_file_is_dir(r->file)) {
            /* A file as RootDirectory: only the empty name, which opens the
             * file itself again (Wine's open_file_test); anything below a
             * file is OBJECT_PATH_NOT_FOUND. */
            if (n)
                return STATUS_OBJECT_PATH_NOT_FOUND;
            if (boxfs_file_path(r->file, &t->path) < 0)
                return STATUS_INSUFFICIENT_RESOURCES;
        } else {
            t->rootf = r->file;
            if (!n) {
                t->path = strdup("");
            } else {
                int rc = boxfs_path_from_utf16(name, n, &t->path);
                if (rc < 0)
                    return status_of_name(rc);
            }
            if (!t->path)
                return STATUS_INSUFFICIENT_RESOURCES;
        }
        emu_prov_copy(&t->prov, &r->prov);
        if (r->prov.scope_path && !t->prov.scope_path)
            return STATUS_INSUFFICIENT_RESOURCES;
        t->absolute = 0;
        return STATUS_SUCCESS;
    }
    emu_ns_path ns;
    emu_status st = emu_ns_resolve(name, n, &ns);
    if (st)
        return st;
    if (ns.kind != EMU_NS_VOLUME) {
        /* \Registry\...: a key is not a file object. */
        emu_ns_free(&ns);
        return STATUS_OBJECT_TYPE_MISMATCH;
    }
    t->path = ns.vpath;
    if (ns.via_driverdata) {
        /* The \DriverData symbolic link is the sanctioned way to DriverData
         * (reference §1.12, DI): its handles carry an approved origin. */
        t->prov.api = "\\DriverData";
        t->prov.approved = 1;
        t->prov.scope = EMU_SCOPE_DRIVERDATA;
        t->prov.scope_path = strdup(DRIVERDATA_VPATH);
        if (!t->prov.scope_path)
            return STATUS_INSUFFICIENT_RESOURCES;
        t->absolute = 0;
    } else {
        t->prov.api = "absolute";
        t->absolute = 1;
    }
    t->prov.owner = emu_comp();
    t->prov.scope_owner = t->prov.owner;
    return STATUS_SUCCESS;
}

/* The full volume path of a target (for records made here). */
static char *target_vpath(nt_target *t)
{
    if (!t->rootf)
        return strdup(t->path);
    char *base = NULL;
    if (boxfs_file_path(t->rootf, &base) < 0)
        return NULL;
    char *p = path_join(base, t->path);
    free(base);
    return p;
}

/* ---------------------------------------------------------------- handles */

static void file_close(pnpbox_machine *m, emu_handle *e)
{
    (void)m;
    emu_file_obj *o = e->obj;
    if (o) {
        /* A deletion done at close is recorded as the closing API's. */
        o->fc.api = (e->flags & EMU_HF_USER) ? "CloseHandle" : "ZwClose";
        o->fc.caller = NULL;
    }
    if (e->file) {
        /* ZwClose succeeds even when the delete-on-close removal fails (the
         * handle is gone either way); the completed callback records it. */
        boxfs_close(e->file);
        e->file = NULL;
    }
    if (o) {
        free(o->mask);
        free(o);
    }
    e->obj = NULL;
}

/* Wrap an open boxfs file in a handle; on failure the file is closed (and
 * removed again when this open created it). */
static emu_status make_handle(pnpbox_machine *m, boxfs_file *f, emu_file_obj *o, emu_prov *prov, uint32_t access,
                              unsigned flags, int created, void **out)
{
    char *vp = NULL;
    emu_handle h = {0};
    h.type = EMU_H_FILE;
    h.access = access;
    h.file = f;
    h.obj = o;
    h.close_fn = file_close;
    h.flags = flags;
    if (boxfs_file_path(f, &vp) == 0)
        h.path = emu_vpath_to_win32(vp);
    free(vp);
    h.prov = *prov;
    void *hv = h.path ? emu_handle_new(m, &h) : NULL;
    if (!hv) {
        free(h.path);
        if (created) {
            boxfs_caller who;
            emu_fs_ctx fc;
            make_who(&who, &fc, prov, o->absolute, o->fc.api, o->fc.caller);
            boxfs_set_delete(f, &who, 1);
        }
        boxfs_close(f);
        emu_prov_free(prov);
        free(o);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    memset(prov, 0, sizeof *prov); /* the table owns scope_path now */
    emu_handle *e = emu_handle_get(m, hv, EMU_H_FILE);
    o->fc.prov = &e->prov;
    *out = hv;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- open */

/* Options valid with FILE_DIRECTORY_FILE (IoCreateFile's check). */
#define DIR_OPTIONS                                                                                   \
    (FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT | FILE_WRITE_THROUGH | \
     FILE_COMPLETE_IF_OPLOCKED | FILE_OPEN_FOR_BACKUP_INTENT | FILE_DELETE_ON_CLOSE |                 \
     FILE_OPEN_FOR_FREE_SPACE_QUERY | FILE_OPEN_BY_FILE_ID | FILE_NO_COMPRESSION | FILE_OPEN_REPARSE_POINT | \
     FILE_OPEN_REQUIRING_OPLOCK | FILE_DISALLOW_EXCLUSIVE | FILE_SESSION_AWARE | FILE_OPEN_NO_RECALL)

/* The parameter checks of IoCreateFile (ZwCreateFile's documented
 * STATUS_INVALID_PARAMETER cases), on the access mask as given: generic
 * rights do not stand in for SYNCHRONIZE or DELETE here. */
static emu_status check_open_args(const emu_file_open_args *a)
{
    uint32_t access = a->access;
    uint32_t o = a->options;
    if (o & ~(uint32_t)FILE_VALID_OPTION_FLAGS)
        return STATUS_INVALID_PARAMETER;
    if (a->disposition > FILE_MAXIMUM_DISPOSITION)
        return STATUS_INVALID_PARAMETER;
    if (a->share & ~(uint32_t)FILE_SHARE_VALID_FLAGS)
        return STATUS_INVALID_PARAMETER;
    if (a->attributes & ~(uint32_t)FILE_ATTRIBUTE_VALID_FLAGS)
        return STATUS_INVALID_PARAMETER;
    if (o & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT)) {
        if (!(access & SYNCHRONIZE))
            return STATUS_INVALID_PARAMETER;
        if ((o & FILE_SYNCHRONOUS_IO_ALERT) && (o & FILE_SYNCHRONOUS_IO_NONALERT))
            return STATUS_INVALID_PARAMETER;
    }
    if ((o & FILE_DIRECTORY_FILE) && (o & FILE_NON_DIRECTORY_FILE))
        return STATUS_INVALID_PARAMETER;
    if (o & FILE_DIRECTORY_FILE) {
        if (o & ~(uint32_t)DIR_OPTIONS)
            return STATUS_INVALID_PARAMETER;
        if (a->disposition != FILE_CREATE && a->disposition != FILE_OPEN && a->disposition != FILE_OPEN_IF)
            return STATUS_INVALID_PARAMETER;
    }
    if ((o & FILE_DELETE_ON_CLOSE) && !(access & DELETE))
        return STATUS_INVALID_PARAMETER;
    if ((o & FILE_COMPLETE_IF_OPLOCKED) && (o & FILE_RESERVE_OPFILTER))
        return STATUS_INVALID_PARAMETER;
    if ((o & FILE_NO_INTERMEDIATE_BUFFERING) && (access & FILE_APPEND_DATA))
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

/* Set or clear the read-only attribute of an existing file by name. */
static int set_readonly(pnpbox_machine *m, const boxfs_caller *who, const boxfs_open_args *target, int ro)
{
    boxfs_open_args a = *target;
    a.access = BOXFS_ACCESS_WRITE_ATTR;
    a.disposition = BOXFS_OPEN;
    a.options = BOXFS_NON_DIRECTORY_FILE;
    boxfs_file *f = NULL;
    int rc = boxfs_open(m->vol, who, &a, &f, NULL);
    if (rc < 0)
        return rc;
    boxfs_setattr_args sa = {.mask = BOXFS_SET_READONLY, .attributes = ro ? BOXFS_ATTR_READONLY : 0};
    rc = boxfs_setattr(f, who, &sa);
    boxfs_close(f);
    return rc;
}

/*
 * FILE_SUPERSEDE replaces a read-only file (Wine's test_NtCreateFile table:
 * FILE_SUPERSEDED where FILE_OVERWRITE gets ACCESS_DENIED), which boxfs
 * refuses like an overwrite: clear the attribute, supersede, and put the
 * attribute back if the supersede fails after all.
 */
static int supersede_readonly(pnpbox_machine *m, const boxfs_caller *who, const boxfs_open_args *oa,
                              boxfs_file **f, unsigned *inf)
{
    boxfs_info bi;
    int rc = boxfs_stat(m->vol, who, oa->root, oa->path, &bi);
    if (rc < 0 || bi.is_dir || !(bi.attributes & BOXFS_ATTR_READONLY))
        return BOXFS_E_ACCESS;
    if ((rc = set_readonly(m, who, oa, 0)) < 0)
        return rc;
    rc = boxfs_open(m->vol, who, oa, f, inf);
    if (rc < 0)
        set_readonly(m, who, oa, 1);
    return rc;
}

/* Judge and record an open refused before it reaches the volume (under a read-only root). */
static void record_refused(pnpbox_machine *m, const emu_file_open_args *a, const nt_target *t, uint32_t access,
                           uint32_t disposition)
{
    char *base = NULL, *full = NULL;
    if (t->rootf && boxfs_file_path(t->rootf, &base) < 0)
        base = NULL;
    size_t bl = base ? strlen(base) : 0, pl = t->path ? strlen(t->path) : 0;
    full = malloc(bl + pl + 2);
    if (full) {
        size_t o = 0;
        if (bl) {
            memcpy(full, base, bl);
            o = bl;
            if (pl && full[o - 1] != '\\')
                full[o++] = '\\';
        }
        if (pl)
            memcpy(full + o, t->path, pl);
        full[o + pl] = 0;
    }
    int creates = disposition != FILE_OPEN && disposition != FILE_OVERWRITE;
    emu_access acc = {.api = a->api, .kind = EMU_ACC_FILE, .op = creates ? EMU_OP_CREATE : EMU_OP_OPEN,
                      .prov = &t->prov, .absolute = t->absolute, .path = full ? full : t->path,
                      .access = access, .write = 1, .creates = creates, .caller = a->caller};
    emu_judge_record(m, &acc, STATUS_ACCESS_DENIED);
    free(base);
    free(full);
}

static uint32_t info_of_failure(emu_status st)
{
    if (st == STATUS_OBJECT_NAME_COLLISION)
        return FILE_EXISTS;
    if (st == STATUS_OBJECT_NAME_NOT_FOUND)
        return FILE_DOES_NOT_EXIST;
    return 0;
}

emu_status emu_file_open(pnpbox_machine *m, const emu_file_open_args *a, void **out, uint32_t *info, int *reached)
{
    if (reached)
        *reached = 0;
    uint32_t access = map_generic(a->access);
    emu_status st = check_open_args(a);
    if (st)
        return st;
    if (a->options & FILE_OPEN_BY_FILE_ID)
        return STATUS_NOT_IMPLEMENTED; /* the volume keeps no id index (pnpbox's choice) */

    nt_target t;
    if ((st = resolve_target(m, a->root, a->name, a->name_len, &t))) {
        target_free(&t);
        return st;
    }
    unsigned disposition = a->disposition;
    int probe_missing = 0;
    if (t.read_only) {
        /* Under a read-only handle (the driver's image directory): no write
         * access and nothing created; FILE_OPEN_IF only opens.  The refused
         * access is still judged and recorded, so the attempt to write into
         * the store shows up (FILE-DRIVER-STORE-WRITE) even though it
         * never reaches the volume. */
        if ((access & WRITE_RIGHTS) || (disposition != FILE_OPEN && disposition != FILE_OPEN_IF)) {
            record_refused(m, a, &t, access, disposition);
            target_free(&t);
            return STATUS_ACCESS_DENIED;
        }
        if (disposition == FILE_OPEN_IF) {
            disposition = FILE_OPEN;
            probe_missing = 1;
        }
    }
    if (emu_fault(m, a->api, &st)) {
        target_free(&t);
        return st;
    }
    emu_file_obj *o = calloc(1, sizeof *o);
    if (!o) {
        target_free(&t);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    o->options = a->options;
    o->absolute = t.absolute;
    o->fc.comp = emu_comp();
    o->fc.prov = &t.prov;
    o->fc.absolute = t.absolute;
    o->fc.api = a->api;
    o->fc.caller = a->caller;
    boxfs_caller who;
    emu_fs_caller(&who, &o->fc);

    boxfs_open_args oa = {0};
    oa.root = t.rootf;
    oa.path = t.path;
    oa.access = boxfs_bits(access, !!(a->options & FILE_DIRECTORY_FILE));
    oa.disposition = disposition;
    oa.options = a->options & (FILE_DIRECTORY_FILE | FILE_NON_DIRECTORY_FILE | FILE_DELETE_ON_CLOSE);
    oa.attributes = a->attributes & FILE_ATTRIBUTE_READONLY;
    boxfs_file *f = NULL;
    unsigned inf = 0;
    int rc = boxfs_open(m->vol, &who, &oa, &f, &inf);
    if (rc == BOXFS_E_ACCESS && disposition == FILE_SUPERSEDE)
        rc = supersede_readonly(m, &who, &oa, &f, &inf);
    if (rc < 0) {
        if (rc == BOXFS_E_ISDIR && !(a->options & FILE_NON_DIRECTORY_FILE) &&
            (disposition == FILE_SUPERSEDE || disposition == FILE_OVERWRITE || disposition == FILE_OVERWRITE_IF))
            st = STATUS_OBJECT_NAME_COLLISION; /* a directory cannot be replaced (FAT/NTFS, Wine's create_file_test) */
        else if (probe_missing && rc == BOXFS_E_NOENT)
            st = STATUS_ACCESS_DENIED; /* it would have been created */
        else
            st = emu_status_from_boxfs(rc);
        if (reached)
            *reached = 1;
        if (info)
            *info = info_of_failure(st);
        free(o);
        target_free(&t);
        return st;
    }
    o->read_only = t.read_only;
    unsigned flags = a->hflags;
    if (a->options & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT))
        flags |= EMU_HF_SYNC_IO;
    if (t.read_only)
        access &= ~(uint32_t)WRITE_RIGHTS;
    emu_prov prov = t.prov;
    memset(&t.prov, 0, sizeof t.prov);
    o->fc.prov = &prov;
    st = make_handle(m, f, o, &prov, access, flags, inf == BOXFS_CREATED, out);
    target_free(&t);
    if (st)
        return st;
    if (info)
        *info = inf; /* BOXFS_SUPERSEDED..OVERWRITTEN are the NT values */
    return STATUS_SUCCESS;
}

emu_status emu_file_open_dir(pnpbox_machine *m, const char *vpath, int create_if_missing, uint32_t access,
                             int read_only, const emu_prov *prov, unsigned hflags, void **out)
{
    if (!vpath || !prov || !out)
        return STATUS_INVALID_PARAMETER;
    access = map_generic(access);
    if (read_only)
        access &= ~(uint32_t)WRITE_RIGHTS;
    emu_file_obj *o = calloc(1, sizeof *o);
    if (!o)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_prov hp;
    emu_prov_copy(&hp, prov);
    if (prov->scope_path && !hp.scope_path) {
        free(o);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    /* The system does this work (as the I/O manager does on Windows); the
     * caller judged and records the API's access itself. */
    o->fc.comp = m->installer;
    o->fc.prov = &hp;
    o->fc.absolute = 0;
    o->fc.api = prov->api ? prov->api : "emu_file_open_dir";
    o->read_only = read_only;
    o->options = FILE_DIRECTORY_FILE | ((hflags & EMU_HF_SYNC_IO) ? FILE_SYNCHRONOUS_IO_NONALERT : 0);
    boxfs_caller who;
    emu_fs_caller(&who, &o->fc);
    int rc = 0;
    if (create_if_missing) {
        /* Parents first, one component at a time. */
        char *p = strdup(vpath);
        if (!p)
            rc = BOXFS_E_NOMEM;
        for (char *s = p; p && !rc && (s = strchr(s + 1, '\\'));) {
            *s = 0;
            if (*p && strcmp(p, "\\")) {
                boxfs_file *pf = NULL;
                boxfs_open_args pa = {.path = p, .disposition = BOXFS_OPEN_IF, .options = BOXFS_DIRECTORY_FILE};
                rc = boxfs_open(m->vol, &who, &pa, &pf, NULL);
                boxfs_close(pf);
            }
            *s = '\\';
        }
        free(p);
    }
    boxfs_file *f = NULL;
    unsigned inf = 0;
    if (!rc) {
        boxfs_open_args oa = {0};
        oa.path = vpath;
        oa.access = boxfs_bits(access, 1);
        oa.disposition = create_if_missing ? BOXFS_OPEN_IF : BOXFS_OPEN;
        oa.options = BOXFS_DIRECTORY_FILE;
        rc = boxfs_open(m->vol, &who, &oa, &f, &inf);
    }
    if (rc < 0) {
        emu_prov_free(&hp);
        free(o);
        return emu_status_from_boxfs(rc);
    }
    return make_handle(m, f, o, &hp, access, hflags, inf == BOXFS_CREATED, out);
}

/* ---------------------------------------------------------------- read, write */

static int is_sync(const emu_handle *e) { return (e->flags & EMU_HF_SYNC_IO) != 0; }

/* NT ByteOffset to a boxfs offset; writing says whether -1 (end of file) is allowed. */
static emu_status io_offset(const emu_handle *e, const int64_t *offset, int writing, int64_t *out)
{
    if (!offset || *offset == -2) { /* NULL or FILE_USE_FILE_POINTER_POSITION */
        if (!is_sync(e))
            return STATUS_INVALID_PARAMETER;
        *out = BOXFS_POS_CURRENT;
        return STATUS_SUCCESS;
    }
    if (*offset == -1 && writing) { /* FILE_WRITE_TO_END_OF_FILE */
        *out = BOXFS_POS_EOF;
        return STATUS_SUCCESS;
    }
    if (*offset < 0)
        return STATUS_INVALID_PARAMETER;
    *out = *offset;
    return STATUS_SUCCESS;
}

static emu_status io_status(int rc)
{
    if (rc == BOXFS_E_ISDIR)
        return STATUS_INVALID_DEVICE_REQUEST;
    return emu_status_from_boxfs(rc);
}

emu_status emu_file_read(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, void *buf, uint32_t len,
                         const int64_t *offset, uint32_t *done)
{
    *done = 0;
    if (!(e->access & FILE_READ_DATA))
        return STATUS_ACCESS_DENIED;
    if (boxfs_file_is_dir(e->file))
        return STATUS_INVALID_DEVICE_REQUEST;
    if (!buf && len)
        return STATUS_ACCESS_VIOLATION;
    int64_t off;
    emu_status st = io_offset(e, offset, 0, &off);
    if (st)
        return st;
    if (emu_fault(m, api, &st))
        return st;
    if (!len)
        return STATUS_SUCCESS; /* even at the end of the file (Wine's test_read_write) */
    uint64_t keep = 0;
    if (!is_sync(e))
        boxfs_get_position(e->file, &keep);
    boxfs_caller who;
    emu_fs_ctx fc;
    handle_who(e, &who, &fc, api, caller);
    size_t got = 0;
    int rc = boxfs_read(e->file, &who, buf, len, off, &got);
    if (!is_sync(e))
        boxfs_set_position(e->file, (int64_t)keep); /* only synchronous file objects keep a position */
    if (rc < 0)
        return io_status(rc);
    *done = (uint32_t)got;
    return STATUS_SUCCESS;
}

emu_status emu_file_write(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, const void *buf,
                          uint32_t len, const int64_t *offset, uint32_t *done)
{
    *done = 0;
    if (!(e->access & (FILE_WRITE_DATA | FILE_APPEND_DATA)))
        return STATUS_ACCESS_DENIED;
    if (boxfs_file_is_dir(e->file))
        return STATUS_INVALID_DEVICE_REQUEST;
    if (!buf && len)
        return STATUS_INVALID_USER_BUFFER;
    int64_t off;
    emu_status st = io_offset(e, offset, 1, &off);
    if (st)
        return st;
    /* A handle with FILE_APPEND_DATA but not FILE_WRITE_DATA only appends
     * (Wine's append_file_test). */
    if (!(e->access & FILE_WRITE_DATA))
        off = BOXFS_POS_EOF;
    if (emu_fault(m, api, &st))
        return st;
    if (!len)
        return STATUS_SUCCESS;
    uint64_t keep = 0;
    if (!is_sync(e))
        boxfs_get_position(e->file, &keep);
    boxfs_caller who;
    emu_fs_ctx fc;
    handle_who(e, &who, &fc, api, caller);
    size_t put = 0;
    int rc = boxfs_write(e->file, &who, buf, len, off, &put);
    if (!is_sync(e))
        boxfs_set_position(e->file, (int64_t)keep);
    if (rc < 0)
        return io_status(rc);
    *done = (uint32_t)put;
    return STATUS_SUCCESS;
}

emu_status emu_file_flush(pnpbox_machine *m, emu_handle *e, const char *api, void *caller)
{
    if (!(e->access & (FILE_WRITE_DATA | FILE_APPEND_DATA)))
        return STATUS_ACCESS_DENIED;
    emu_status st;
    if (emu_fault(m, api, &st))
        return st;
    if (boxfs_file_is_dir(e->file))
        return STATUS_SUCCESS; /* directory data lives in the host's metadata: nothing buffered here */
    boxfs_caller who;
    emu_fs_ctx fc;
    handle_who(e, &who, &fc, api, caller);
    int rc = boxfs_flush(e->file, &who);
    return rc < 0 ? emu_status_from_boxfs(rc) : STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- information classes */

uint32_t emu_file_info_min(int cls, int set)
{
    if (set) {
        switch (cls) {
        case FileBasicInformation: return sizeof(FILE_BASIC_INFORMATION);
        case FileRenameInformation: return sizeof(FILE_RENAME_INFORMATION);
        case FileDispositionInformation: return sizeof(FILE_DISPOSITION_INFORMATION);
        case FileDispositionInformationEx: return sizeof(FILE_DISPOSITION_INFORMATION_EX);
        case FilePositionInformation: return sizeof(FILE_POSITION_INFORMATION);
        case FileEndOfFileInformation: return sizeof(FILE_END_OF_FILE_INFORMATION);
        default: return 0;
        }
    }
    switch (cls) {
    case FileBasicInformation: return sizeof(FILE_BASIC_INFORMATION);
    case FileStandardInformation: return sizeof(FILE_STANDARD_INFORMATION);
    case FileInternalInformation: return sizeof(FILE_INTERNAL_INFORMATION);
    case FileEaInformation: return sizeof(FILE_EA_INFORMATION);
    case FileAccessInformation: return sizeof(FILE_ACCESS_INFORMATION);
    case FileNameInformation: return sizeof(FILE_NAME_INFORMATION);
    case FilePositionInformation: return sizeof(FILE_POSITION_INFORMATION);
    case FileModeInformation: return sizeof(FILE_MODE_INFORMATION);
    case FileAlignmentInformation: return sizeof(FILE_ALIGNMENT_INFORMATION);
    case FileAllInformation: return sizeof(FILE_ALL_INFORMATION);
    case FileNetworkOpenInformation: return sizeof(FILE_NETWORK_OPEN_INFORMATION);
    case FileAttributeTagInformation: return sizeof(FILE_ATTRIBUTE_TAG_INFORMATION);
    default: return 0;
    }
}

static void fill_basic(FILE_BASIC_INFORMATION *b, const boxfs_info *st)
{
    b->CreationTime.QuadPart = st->creation_time;
    b->LastAccessTime.QuadPart = st->access_time;
    b->LastWriteTime.QuadPart = st->write_time;
    b->ChangeTime.QuadPart = st->change_time;
    b->FileAttributes = emu_file_attributes(st);
}

static void fill_standard(FILE_STANDARD_INFORMATION *s, const boxfs_info *st, const emu_file_obj *o)
{
    s->AllocationSize.QuadPart = st->is_dir ? 0 : (LONGLONG)st->alloc_size;
    s->EndOfFile.QuadPart = st->is_dir ? 0 : (LONGLONG)st->size;
    /* A directory has one name on NTFS (the host counts its subdirectories' ".."). */
    s->NumberOfLinks = st->is_dir ? 1 : st->nlink;
    s->DeletePending = o && o->delete_pending;
    s->Directory = st->is_dir ? TRUE : FALSE;
}

static uint32_t mode_of(const emu_file_obj *o)
{
    return o ? o->options & (FILE_WRITE_THROUGH | FILE_SEQUENTIAL_ONLY | FILE_NO_INTERMEDIATE_BUFFERING |
                             FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT | FILE_DELETE_ON_CLOSE)
             : 0;
}

/* Copy a FILE_NAME_INFORMATION at p into len bytes; returns bytes written
 * and sets *overflow when the name was cut. */
static uint32_t put_name(uint8_t *p, uint32_t len, const uint16_t *name, size_t n, int *overflow)
{
    uint32_t bytes = (uint32_t)(n * 2);
    uint32_t room = len - (uint32_t)offsetof(FILE_NAME_INFORMATION, FileName);
    uint32_t copy = bytes <= room ? bytes : room & ~1u;
    memcpy(p, &bytes, sizeof bytes);
    memcpy(p + offsetof(FILE_NAME_INFORMATION, FileName), name, copy);
    *overflow = copy < bytes;
    return (uint32_t)offsetof(FILE_NAME_INFORMATION, FileName) + copy;
}

emu_status emu_file_query_info(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, void *buf,
                               uint32_t len, int cls, uint32_t *written)
{
    emu_file_obj *o = e->obj;
    *written = 0;
    /* Rights the classes need (the I/O manager's check). */
    if ((cls == FileBasicInformation || cls == FileAllInformation || cls == FileNetworkOpenInformation ||
         cls == FileAttributeTagInformation) &&
        !(e->access & FILE_READ_ATTRIBUTES))
        return STATUS_ACCESS_DENIED;
    emu_status st;
    if (emu_fault(m, api, &st))
        return st;
    boxfs_caller who;
    emu_fs_ctx fc;
    handle_who(e, &who, &fc, api, caller);
    boxfs_info bi;
    int rc = boxfs_fstat(e->file, &who, &bi);
    if (rc < 0)
        return emu_status_from_boxfs(rc);
    uint64_t pos = 0;
    boxfs_get_position(e->file, &pos);
    uint8_t *p = buf;
    switch (cls) {
    case FileBasicInformation: {
        FILE_BASIC_INFORMATION b = {0};
        fill_basic(&b, &bi);
        memcpy(p, &b, sizeof b);
        *written = sizeof b;
        return STATUS_SUCCESS;
    }
    case FileStandardInformation: {
        FILE_STANDARD_INFORMATION s = {0};
        fill_standard(&s, &bi, o);
        memcpy(p, &s, sizeof s);
        *written = sizeof s;
        return STATUS_SUCCESS;
    }
    case FileInternalInformation: {
        FILE_INTERNAL_INFORMATION i = {.IndexNumber.QuadPart = (LONGLONG)bi.file_id};
        memcpy(p, &i, sizeof i);
        *written = sizeof i;
        return STATUS_SUCCESS;
    }
    case FileEaInformation: {
        FILE_EA_INFORMATION i = {.EaSize = 0}; /* the volume keeps no extended attributes */
        memcpy(p, &i, sizeof i);
        *written = sizeof i;
        return STATUS_SUCCESS;
    }
    case FileAccessInformation: {
        FILE_ACCESS_INFORMATION i = {.AccessFlags = e->access};
        memcpy(p, &i, sizeof i);
        *written = sizeof i;
        return STATUS_SUCCESS;
    }
    case FilePositionInformation: {
        FILE_POSITION_INFORMATION i = {.CurrentByteOffset.QuadPart = (LONGLONG)pos};
        memcpy(p, &i, sizeof i);
        *written = sizeof i;
        return STATUS_SUCCESS;
    }
    case FileModeInformation: {
        FILE_MODE_INFORMATION i = {.Mode = mode_of(o)};
        memcpy(p, &i, sizeof i);
        *written = sizeof i;
        return STATUS_SUCCESS;
    }
    case FileAlignmentInformation: {
        FILE_ALIGNMENT_INFORMATION i = {.AlignmentRequirement = FILE_BYTE_ALIGNMENT};
        memcpy(p, &i, sizeof i);
        *written = sizeof i;
        return STATUS_SUCCESS;
    }
    case FileNetworkOpenInformation: {
        FILE_NETWORK_OPEN_INFORMATION i = {0};
        i.CreationTime.QuadPart = bi.creation_time;
        i.LastAccessTime.QuadPart = bi.access_time;
        i.LastWriteTime.QuadPart = bi.write_time;
        i.ChangeTime.QuadPart = bi.change_time;
        i.AllocationSize.QuadPart = bi.is_dir ? 0 : (LONGLONG)bi.alloc_size;
        i.EndOfFile.QuadPart = bi.is_dir ? 0 : (LONGLONG)bi.size;
        i.FileAttributes = emu_file_attributes(&bi);
        memcpy(p, &i, sizeof i);
        *written = sizeof i;
        return STATUS_SUCCESS;
    }
    case FileAttributeTagInformation: {
        FILE_ATTRIBUTE_TAG_INFORMATION i = {.FileAttributes = emu_file_attributes(&bi), .ReparseTag = 0};
        memcpy(p, &i, sizeof i);
        *written = sizeof i;
        return STATUS_SUCCESS;
    }
    case FileNameInformation:
    case FileAllInformation: {
        /* The name as Windows gives it: the path on the volume, without the
         * drive or device (Wine's test_file_name_information). */
        char *vp = NULL;
        if (boxfs_file_path(e->file, &vp) < 0)
            return STATUS_INSUFFICIENT_RESOURCES;
        size_t n = 0;
        uint16_t *w = to16(vp, &n);
        free(vp);
        if (!w)
            return STATUS_INSUFFICIENT_RESOURCES;
        int overflow = 0;
        if (cls == FileNameInformation) {
            *written = put_name(p, len, w, n, &overflow);
        } else {
            FILE_ALL_INFORMATION a;
            memset(&a, 0, sizeof a);
            fill_basic(&a.BasicInformation, &bi);
            fill_standard(&a.StandardInformation, &bi, o);
            a.InternalInformation.IndexNumber.QuadPart = (LONGLONG)bi.file_id;
            a.EaInformation.EaSize = 0;
            a.AccessInformation.AccessFlags = e->access;
            a.PositionInformation.CurrentByteOffset.QuadPart = (LONGLONG)pos;
            a.ModeInformation.Mode = mode_of(o);
            a.AlignmentInformation.AlignmentRequirement = FILE_BYTE_ALIGNMENT;
            size_t fixed = offsetof(FILE_ALL_INFORMATION, NameInformation);
            memcpy(p, &a, fixed);
            *written = (uint32_t)fixed + put_name(p + fixed, len - (uint32_t)fixed, w, n, &overflow);
        }
        free(w);
        return overflow ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
    }
    default:
        return STATUS_INVALID_INFO_CLASS;
    }
}

/* ---------------------------------------------------------------- set information */

/* A FILETIME field of FileBasicInformation: 0 and -1 leave it, -2 (resume
 * automatic updates) too; other negative values are invalid. */
static emu_status basic_time(LONGLONG v, int *set)
{
    *set = 0;
    if (v == 0 || v == -1 || v == -2)
        return STATUS_SUCCESS;
    if (v < 0)
        return STATUS_INVALID_PARAMETER;
    *set = 1;
    return STATUS_SUCCESS;
}

static struct timespec ts_of_filetime(LONGLONG ft)
{
    /* 100 ns units since 1601-01-01 -> Unix time. */
    const int64_t epoch = 116444736000000000LL;
    struct timespec ts;
    int64_t t = ft - epoch;
    int64_t sec = t / 10000000, rem = t % 10000000;
    if (rem < 0) {
        rem += 10000000;
        sec--;
    }
    ts.tv_sec = (time_t)sec;
    ts.tv_nsec = (long)(rem * 100);
    return ts;
}

static emu_status set_basic(emu_handle *e, boxfs_caller *who, const FILE_BASIC_INFORMATION *b)
{
    if (!(e->access & FILE_WRITE_ATTRIBUTES))
        return STATUS_ACCESS_DENIED;
    int sc, sa, sw, sch;
    emu_status st;
    if ((st = basic_time(b->CreationTime.QuadPart, &sc)) || (st = basic_time(b->LastAccessTime.QuadPart, &sa)) ||
        (st = basic_time(b->LastWriteTime.QuadPart, &sw)) || (st = basic_time(b->ChangeTime.QuadPart, &sch)))
        return st;
    boxfs_info bi;
    int rc = boxfs_fstat(e->file, who, &bi);
    if (rc < 0)
        return emu_status_from_boxfs(rc);
    /* The host keeps no settable creation or change time: asking to change
     * them is refused, asking for the value they have is not a change
     * (pnpbox's choice; Windows would store them). */
    if ((sc && b->CreationTime.QuadPart != bi.creation_time) || (sch && b->ChangeTime.QuadPart != bi.change_time))
        return STATUS_NOT_SUPPORTED;
    boxfs_setattr_args sa_args = {0};
    uint32_t attr = b->FileAttributes;
    if (attr) {
        if (attr & ~(uint32_t)FILE_ATTRIBUTE_VALID_FLAGS)
            return STATUS_INVALID_PARAMETER;
        if ((attr & FILE_ATTRIBUTE_DIRECTORY) && !bi.is_dir)
            return STATUS_INVALID_PARAMETER;
        if (attr == FILE_ATTRIBUTE_NORMAL)
            attr = 0;
        attr &= ~(uint32_t)(FILE_ATTRIBUTE_NORMAL | FILE_ATTRIBUTE_DIRECTORY);
        /* The volume stores READONLY and ARCHIVE (boxfs.h); HIDDEN, SYSTEM,
         * TEMPORARY and the rest would be lost, so they are refused. */
        if (attr & ~(uint32_t)(FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_ARCHIVE))
            return STATUS_NOT_SUPPORTED;
        sa_args.mask |= BOXFS_SET_READONLY;
        if (!bi.is_dir)
            sa_args.mask |= BOXFS_SET_ARCHIVE;
        sa_args.attributes = attr;
    }
    if (sa) {
        sa_args.mask |= BOXFS_SET_ATIME;
        sa_args.atime = ts_of_filetime(b->LastAccessTime.QuadPart);
    }
    if (sw) {
        sa_args.mask |= BOXFS_SET_MTIME;
        sa_args.mtime = ts_of_filetime(b->LastWriteTime.QuadPart);
    }
    if (!sa_args.mask)
        return STATUS_SUCCESS;
    rc = boxfs_setattr(e->file, who, &sa_args);
    return rc < 0 ? emu_status_from_boxfs(rc) : STATUS_SUCCESS;
}

static emu_status set_rename(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, const uint8_t *buf,
                             uint32_t len)
{
    FILE_RENAME_INFORMATION ri;
    memcpy(&ri, buf, offsetof(FILE_RENAME_INFORMATION, FileName));
    uint32_t nbytes = ri.FileNameLength;
    if ((nbytes & 1) || nbytes > len - offsetof(FILE_RENAME_INFORMATION, FileName))
        return STATUS_INVALID_PARAMETER;
    if (!(e->access & DELETE))
        return STATUS_ACCESS_DENIED;
    size_t n = nbytes / 2;
    uint16_t *name = malloc(n * 2 + 2);
    if (!name)
        return STATUS_INSUFFICIENT_RESOURCES;
    memcpy(name, buf + offsetof(FILE_RENAME_INFORMATION, FileName), nbytes);
    int replace = ri.ReplaceIfExists != 0;
    emu_file_obj *o = e->obj;
    emu_status st = STATUS_SUCCESS;
    nt_target t;
    memset(&t, 0, sizeof t);
    int named = ri.RootDirectory || (n && name[0] == '\\');
    if (named) {
        st = resolve_target(m, ri.RootDirectory, name, n, &t);
        if (!st && t.read_only)
            st = STATUS_ACCESS_DENIED;
        if (!st && !t.rootf && t.root) /* a file as RootDirectory */
            st = STATUS_OBJECT_PATH_NOT_FOUND;
    } else {
        /* A simple name: a new name in the same directory. */
        if (!n) {
            st = STATUS_INVALID_PARAMETER;
        } else {
            for (size_t i = 0; i < n; i++)
                if (name[i] == '\\' || name[i] == '/')
                    st = STATUS_INVALID_PARAMETER; /* pnpbox's choice for a relative path without a root */
        }
        char *cur = NULL, *rel = NULL;
        if (!st && boxfs_file_path(e->file, &cur) < 0)
            st = STATUS_INSUFFICIENT_RESOURCES;
        if (!st) {
            int rc = boxfs_path_from_utf16(name, n, &rel);
            if (rc < 0)
                st = status_of_name(rc);
        }
        if (!st) {
            char *slash = strrchr(cur, '\\');
            if (slash)
                slash[slash == cur ? 1 : 0] = 0;
            t.path = path_join(cur, rel);
            if (!t.path)
                st = STATUS_INSUFFICIENT_RESOURCES;
            t.absolute = o ? o->absolute : 0;
        }
        free(cur);
        free(rel);
    }
    free(name);
    if (st) {
        target_free(&t);
        return st;
    }
    if (emu_fault(m, api, &st)) {
        target_free(&t);
        return st;
    }
    boxfs_caller who;
    emu_fs_ctx fc;
    /* Judged with the provenance of the handle the target was named by. */
    make_who(&who, &fc, named ? &t.prov : &e->prov, t.absolute, api, caller);
    int rc = boxfs_rename(e->file, &who, t.rootf, t.path, replace);
    target_free(&t);
    return rc < 0 ? emu_status_from_boxfs(rc) : STATUS_SUCCESS;
}

emu_status emu_file_set_info(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, const void *buf,
                             uint32_t len, int cls)
{
    emu_file_obj *o = e->obj;
    boxfs_caller who;
    emu_fs_ctx fc;
    handle_who(e, &who, &fc, api, caller);
    emu_status st;
    switch (cls) {
    case FileBasicInformation: {
        FILE_BASIC_INFORMATION b;
        memcpy(&b, buf, sizeof b);
        if (emu_fault(m, api, &st))
            return st;
        return set_basic(e, &who, &b);
    }
    case FilePositionInformation: {
        FILE_POSITION_INFORMATION p;
        memcpy(&p, buf, sizeof p);
        if (p.CurrentByteOffset.QuadPart < 0)
            return STATUS_INVALID_PARAMETER;
        /* Unbuffered handles move in whole sectors (512 bytes). */
        if (o && (o->options & FILE_NO_INTERMEDIATE_BUFFERING) && (p.CurrentByteOffset.QuadPart & 511))
            return STATUS_INVALID_PARAMETER;
        int rc = boxfs_set_position(e->file, p.CurrentByteOffset.QuadPart);
        return rc < 0 ? emu_status_from_boxfs(rc) : STATUS_SUCCESS;
    }
    case FileEndOfFileInformation: {
        FILE_END_OF_FILE_INFORMATION eof;
        memcpy(&eof, buf, sizeof eof);
        if (!(e->access & FILE_WRITE_DATA))
            return STATUS_ACCESS_DENIED;
        if (eof.EndOfFile.QuadPart < 0 || boxfs_file_is_dir(e->file))
            return STATUS_INVALID_PARAMETER;
        if (emu_fault(m, api, &st))
            return st;
        int rc = boxfs_set_size(e->file, &who, (uint64_t)eof.EndOfFile.QuadPart);
        return rc < 0 ? emu_status_from_boxfs(rc) : STATUS_SUCCESS;
    }
    case FileDispositionInformation:
    case FileDispositionInformationEx: {
        int del;
        if (cls == FileDispositionInformation) {
            del = ((const FILE_DISPOSITION_INFORMATION *)buf)->DeleteFile != 0;
        } else {
            ULONG flags;
            memcpy(&flags, buf, sizeof flags);
            /* DELETE and (no image sections are ever mapped here)
             * FORCE_IMAGE_SECTION_CHECK are what the volume can do; POSIX
             * semantics, ON_CLOSE and IGNORE_READONLY are not emulated. */
            if (flags & ~(uint32_t)(FILE_DISPOSITION_DELETE | FILE_DISPOSITION_FORCE_IMAGE_SECTION_CHECK))
                return STATUS_NOT_SUPPORTED;
            del = (flags & FILE_DISPOSITION_DELETE) != 0;
        }
        if (!(e->access & DELETE))
            return STATUS_ACCESS_DENIED;
        if (emu_fault(m, api, &st))
            return st;
        int rc = boxfs_set_delete(e->file, &who, del);
        if (rc < 0)
            return emu_status_from_boxfs(rc);
        if (o)
            o->delete_pending = del;
        return STATUS_SUCCESS;
    }
    case FileRenameInformation:
        return set_rename(m, e, api, caller, buf, len);
    default:
        return STATUS_INVALID_INFO_CLASS;
    }
}

/* ---------------------------------------------------------------- directories */

uint32_t emu_file_dir_min(int cls)
{
    switch (cls) {
    case FileDirectoryInformation: return sizeof(FILE_DIRECTORY_INFORMATION);
    case FileFullDirectoryInformation: return sizeof(FILE_FULL_DIR_INFORMATION);
    case FileBothDirectoryInformation: return sizeof(FILE_BOTH_DIR_INFORMATION);
    case FileNamesInformation: return sizeof(FILE_NAMES_INFORMATION);
    case FileIdBothDirectoryInformation: return sizeof(FILE_ID_BOTH_DIR_INFORMATION);
    case FileIdFullDirectoryInformation: return sizeof(FILE_ID_FULL_DIR_INFORMATION);
    default: return 0;
    }
}

static size_t dir_fixed(int cls)
{
    switch (cls) {
    case FileDirectoryInformation: return offsetof(FILE_DIRECTORY_INFORMATION, FileName);
    case FileFullDirectoryInformation: return offsetof(FILE_FULL_DIR_INFORMATION, FileName);
    case FileBothDirectoryInformation: return offsetof(FILE_BOTH_DIR_INFORMATION, FileName);
    case FileNamesInformation: return offsetof(FILE_NAMES_INFORMATION, FileName);
    case FileIdBothDirectoryInformation: return offsetof(FILE_ID_BOTH_DIR_INFORMATION, FileName);
    default: return offsetof(FILE_ID_FULL_DIR_INFORMATION, FileName);
    }
}

/* Write an entry's fixed part (NextEntryOffset 0) at p. */
static void dir_put_fixed(int cls, uint8_t *p, const boxfs_info *st, uint32_t name_bytes)
{
    union {
        FILE_DIRECTORY_INFORMATION d;
        FILE_FULL_DIR_INFORMATION f;
        FILE_BOTH_DIR_INFORMATION b;
        FILE_NAMES_INFORMATION n;
        FILE_ID_BOTH_DIR_INFORMATION ib;
        FILE_ID_FULL_DIR_INFORMATION ifu;
    } u;
    memset(&u, 0, sizeof u);
    if (cls == FileNamesInformation) {
        u.n.FileNameLength = name_bytes;
    } else {
        /* The common head of the other classes is FILE_DIRECTORY_INFORMATION's. */
        FILE_DIRECTORY_INFORMATION *d = &u.d;
        d->CreationTime.QuadPart = st->creation_time;
        d->LastAccessTime.QuadPart = st->access_time;
        d->LastWriteTime.QuadPart = st->write_time;
        d->ChangeTime.QuadPart = st->change_time;
        d->EndOfFile.QuadPart = st->is_dir ? 0 : (LONGLONG)st->size;
        d->AllocationSize.QuadPart = st->is_dir ? 0 : (LONGLONG)st->alloc_size;
        d->FileAttributes = emu_file_attributes(st);
        d->FileNameLength = name_bytes;
        /* EaSize 0, no 8.3 short names (as NTFS with 8dot3 creation off). */
        if (cls == FileIdBothDirectoryInformation)
            u.ib.FileId.QuadPart = (LONGLONG)st->file_id;
        else if (cls == FileIdFullDirectoryInformation)
            u.ifu.FileId.QuadPart = (LONGLONG)st->file_id;
    }
    memcpy(p, &u, dir_fixed(cls));
}

int emu_file_name_match(const uint16_t *expr, size_t en, const uint16_t *name, size_t nn)
{
    /* A set of expression positions, advanced one name character at a
     * time (FsRtlIsNameInExpression semantics, IgnoreCase):
     *   *  any run of characters         ?  exactly one character
     *   <  any run that does not consume the last '.' of the name
     *   >  one character other than '.'; nothing at a '.' or at the end
     *   "  a '.', or nothing at the end of the name */
    size_t lastdot = (size_t)-1;
    for (size_t j = 0; j < nn; j++)
        if (name[j] == '.')
            lastdot = j;
    uint8_t *cur = calloc(en + 1, 2);
    if (!cur)
        return 0;
    uint8_t *next = cur + en + 1;
    cur[0] = 1;
    for (size_t j = 0;; j++) {
        /* Closure: the moves that consume nothing at name position j. */
        for (size_t i = 0; i < en; i++) {
            if (!cur[i])
                continue;
            uint16_t c = expr[i];
            if (c == '*' || c == '<' || (c == '>' && (j == nn || name[j] == '.')) || (c == '"' && j == nn))
                cur[i + 1] = 1;
        }
        if (j == nn)
            break;
        uint16_t ch = pb_upcase(name[j]);
        memset(next, 0, en + 1);
        int any = 0;
        for (size_t i = 0; i < en; i++) {
            if (!cur[i])
                continue;
            uint16_t c = expr[i];
            int stay = 0, adv = 0;
            switch (c) {
            case '*': stay = 1; break;
            case '<': stay = !(ch == '.' && j == lastdot); break;
            case '?': adv = 1; break;
            case '>': adv = ch != '.'; break;
            case '"': adv = ch == '.'; break;
            default: adv = c == ch; break;
            }
            if (stay)
                next[i] = 1, any = 1;
            if (adv)
                next[i + 1] = 1, any = 1;
        }
        memcpy(cur, next, en + 1);
        if (!any)
            break;
    }
    int hit = cur[en];
    free(cur);
    return hit;
}

emu_status emu_file_query_dir(pnpbox_machine *m, emu_handle *e, const char *api, void *caller, void *buf,
                              uint32_t len, int cls, int single, const uint16_t *mask, size_t mask_len,
                              int restart, uint32_t *written)
{
    emu_file_obj *o = e->obj;
    *written = 0;
    if (!o || !boxfs_file_is_dir(e->file))
        return STATUS_INVALID_PARAMETER;
    if (!(e->access & FILE_LIST_DIRECTORY))
        return STATUS_ACCESS_DENIED;
    emu_status st;
    if (emu_fault(m, api, &st))
        return st;
    int first = !o->dir_queried;
    /* The filter is the first query's (later masks are ignored, also when
     * restarting: Wine's directory tests show both behaviours on Windows). */
    if (first && mask && mask_len && !o->mask) {
        o->mask = malloc(mask_len * 2);
        if (!o->mask)
            return STATUS_INSUFFICIENT_RESOURCES;
        pb_upcase_n(o->mask, mask, mask_len);
        o->mask_len = mask_len;
    }
    if (restart)
        boxfs_dir_seek(e->file, 0);
    boxfs_caller who;
    emu_fs_ctx fc;
    handle_who(e, &who, &fc, api, caller);
    size_t fixed = dir_fixed(cls);
    uint8_t *out = buf;
    uint32_t count = 0, prev = 0, end = 0;
    st = STATUS_SUCCESS;
    for (;;) {
        uint64_t pos = boxfs_dir_tell(e->file);
        boxfs_dirent ent;
        int rc = boxfs_dir_read(e->file, &who, &ent);
        if (rc == BOXFS_E_NOMORE)
            break;
        if (rc < 0) {
            if (!count)
                st = emu_status_from_boxfs(rc);
            else
                boxfs_dir_seek(e->file, pos);
            break;
        }
        size_t n = 0;
        uint16_t *w = to16(ent.name, &n);
        if (!w) {
            boxfs_dir_seek(e->file, pos);
            if (!count)
                st = STATUS_INSUFFICIENT_RESOURCES;
            break;
        }
        if (o->mask && !emu_file_name_match(o->mask, o->mask_len, w, n)) {
            free(w);
            continue;
        }
        uint32_t nbytes = (uint32_t)(n * 2);
        uint32_t start = count ? (end + 7) & ~7u : 0;
        if (count && (uint64_t)start + fixed + nbytes > len) {
            /* Does not fit: it is the next query's first entry. */
            free(w);
            boxfs_dir_seek(e->file, pos);
            break;
        }
        if (!count && fixed + nbytes > len) {
            /* The first entry does not fit: its fixed part and what fits of
             * its name, STATUS_BUFFER_OVERFLOW (Wine's directory tests). */
            uint32_t copy = (uint32_t)(len - fixed) & ~1u;
            dir_put_fixed(cls, out, &ent.st, nbytes);
            memcpy(out + fixed, w, copy);
            free(w);
            end = (uint32_t)fixed + copy;
            count = 1;
            st = STATUS_BUFFER_OVERFLOW;
            break;
        }
        dir_put_fixed(cls, out + start, &ent.st, nbytes);
        memcpy(out + start + fixed, w, nbytes);
        free(w);
        if (count) {
            uint32_t delta = start - prev;
            memcpy(out + prev, &delta, sizeof delta); /* NextEntryOffset of the previous entry */
        }
        prev = start;
        end = start + (uint32_t)fixed + nbytes;
        count++;
        if (single)
            break;
    }
    o->dir_queried = 1;
    if (st != STATUS_SUCCESS && st != STATUS_BUFFER_OVERFLOW)
        return st;
    if (!count)
        return first ? STATUS_NO_SUCH_FILE : STATUS_NO_MORE_FILES;
    *written = end;
    return st;
}

/* ---------------------------------------------------------------- by name */

emu_status emu_file_delete(pnpbox_machine *m, void *root, const uint16_t *name, size_t n, const char *api,
                           void *caller)
{
    nt_target t;
    emu_status st = resolve_target(m, root, name, n, &t);
    if (!st && t.read_only)
        st = STATUS_ACCESS_DENIED;
    if (!st)
        emu_fault(m, api, &st);
    if (st) {
        target_free(&t);
        return st;
    }
    boxfs_caller who;
    emu_fs_ctx fc;
    make_who(&who, &fc, &t.prov, t.absolute, api, caller);
    int rc;
    if (t.root && !t.rootf) /* a file as RootDirectory with an empty name: the file itself */
        rc = boxfs_delete(m->vol, &who, NULL, t.path);
    else
        rc = boxfs_delete(m->vol, &who, t.rootf, t.path);
    target_free(&t);
    /* NtDeleteFile opens with FILE_DELETE_ON_CLOSE and closes: a non-empty
     * directory stays, and the call still succeeds (Wine's delete_file_test). */
    if (rc == BOXFS_E_NOTEMPTY)
        return STATUS_SUCCESS;
    return rc < 0 ? emu_status_from_boxfs(rc) : STATUS_SUCCESS;
}

emu_status emu_file_stat_name(pnpbox_machine *m, void *root, const uint16_t *name, size_t n, const char *api,
                              void *caller, boxfs_info *bi)
{
    nt_target t;
    emu_status st = resolve_target(m, root, name, n, &t);
    if (!st)
        emu_fault(m, api, &st);
    if (st) {
        target_free(&t);
        return st;
    }
    /* Reading attributes by name is an access the volume policy does not
     * judge (it is also every FUSE lookup): judge and record it here. */
    char *vp = target_vpath(&t);
    if (!vp) {
        target_free(&t);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    emu_access a = {0};
    a.api = api;
    a.kind = EMU_ACC_FILE;
    a.op = EMU_OP_QUERY;
    a.prov = &t.prov;
    a.absolute = t.absolute;
    a.path = vp;
    a.access = FILE_READ_ATTRIBUTES;
    a.caller = caller;
    emu_verdict v;
    emu_judge(m, &a, &v);
    if (v.deny) {
        st = STATUS_ACCESS_DENIED;
    } else {
        boxfs_caller who;
        emu_fs_ctx fc;
        make_who(&who, &fc, &t.prov, t.absolute, api, caller);
        int rc = t.root && !t.rootf ? boxfs_stat(m->vol, &who, NULL, t.path, bi)
                                    : boxfs_stat(m->vol, &who, t.rootf, t.path, bi);
        st = rc < 0 ? emu_status_from_boxfs(rc) : STATUS_SUCCESS;
    }
    emu_record(m, &a, &v, st);
    free(vp);
    target_free(&t);
    return st;
}
