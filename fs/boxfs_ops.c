/*
 * boxfs_ops.c: the volume's operations (contract in boxfs.h), shared by
 * the in-process API and the FUSE daemon.
 *
 * Every operation has the same shape:
 *   1. resolve the target under the lock (boxfs_resolve / boxfs_res_*),
 *      giving the parent node, the stored-case name and the request path;
 *   2. put the request to the policy, without the lock;
 *   3. take the lock again, look the name up again (the tree may have
 *      changed meanwhile), and do the host system call from the parent's
 *      directory fd, never following symlinks;
 *   4. hand the final status to the completed callback.
 * A request that is malformed (bad name, bad arguments) skips step 2 and
 * 3 but is still reported in step 4.
 */
#include "fs/boxfs_int.h"

#include "base/pb_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define REASK 1 /* internal: the object changed state; ask the policy again */

/* ---- callers, policy, completion ---- */

void boxfs_self_caller(boxfs_caller *c)
{
    memset(c, 0, sizeof *c);
    c->pid = (int32_t)gettid();
    c->tgid = (int32_t)getpid();
    c->uid = (uint32_t)getuid();
    c->gid = (uint32_t)getgid();
}

static const boxfs_caller *caller_or_self(const boxfs_caller *who, boxfs_caller *tmp)
{
    if (who)
        return who;
    boxfs_self_caller(tmp);
    return tmp;
}

int boxfs_ask(boxfs *vol, boxfs_request *req)
{
    boxfs_policy_fn p = vol->policy;
    int v = p ? p(vol->policy_ctx, req) : 0;
    if (v > 0) /* a policy must answer 0 or a negative code; anything else refuses */
        v = BOXFS_E_ACCESS;
    req->verdict = v;
    return v;
}

void boxfs_done(boxfs *vol, boxfs_request *req, int status)
{
    boxfs_completed_fn c = vol->completed;
    PB_DEBUG(PB_CH_FS, "fs: %s '%s'%s%s -> %d (%s)", boxfs_op_name(req->op),
             req->path ? req->path : "", req->path2 ? " -> " : "", req->path2 ? req->path2 : "",
             status, status < 0 ? boxfs_strerror(status) : "ok");
    if (c)
        c(vol->completed_ctx, req, status);
}

/* Report a request refused before it reached the policy. */
int boxfs_refuse(boxfs *vol, const boxfs_caller *who, boxfs_op op, unsigned access,
                        const char *path, int via_fuse, int err)
{
    boxfs_request req = {0};
    char *shown = boxfs_display(path);
    req.caller = who;
    req.op = op;
    req.access = access;
    req.path = shown ? shown : "";
    req.via_fuse = via_fuse;
    req.verdict = 0;
    boxfs_done(vol, &req, err);
    free(shown);
    return err;
}

/* ---- host helpers ---- */

static int stat_at(int dfd, const char *name, struct stat *hs, struct timespec *bt)
{
    struct statx sx;
    int flags = AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_AS_STAT;
    if (!name || !*name) {
        name = "";
        flags |= AT_EMPTY_PATH;
    }
    if (statx(dfd, name, flags, STATX_BASIC_STATS | STATX_BTIME, &sx))
        return boxfs_from_errno(errno);
    memset(hs, 0, sizeof *hs);
    hs->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
    hs->st_ino = sx.stx_ino;
    hs->st_mode = sx.stx_mode;
    hs->st_nlink = sx.stx_nlink;
    hs->st_uid = sx.stx_uid;
    hs->st_gid = sx.stx_gid;
    hs->st_size = (off_t)sx.stx_size;
    hs->st_blksize = sx.stx_blksize;
    hs->st_blocks = (blkcnt_t)sx.stx_blocks;
    hs->st_atim.tv_sec = sx.stx_atime.tv_sec;
    hs->st_atim.tv_nsec = sx.stx_atime.tv_nsec;
    hs->st_mtim.tv_sec = sx.stx_mtime.tv_sec;
    hs->st_mtim.tv_nsec = sx.stx_mtime.tv_nsec;
    hs->st_ctim.tv_sec = sx.stx_ctime.tv_sec;
    hs->st_ctim.tv_nsec = sx.stx_ctime.tv_nsec;
    if (bt) {
        bt->tv_sec = (sx.stx_mask & STATX_BTIME) ? sx.stx_btime.tv_sec : 0;
        bt->tv_nsec = (sx.stx_mask & STATX_BTIME) ? sx.stx_btime.tv_nsec : 0;
    }
    return 0;
}

/* Mode for the read-only and archive attributes: the owner write bit and
 * (for regular files) the sticky bit as "archive cleared". */
static mode_t attr_mode(mode_t cur, int readonly, int archive, int isdir)
{
    mode_t m = cur & 07777;
    if (readonly)
        m &= ~(mode_t)0222;
    else
        m |= S_IWUSR;
    if (!isdir) {
        if (archive)
            m &= ~(mode_t)S_ISVTX;
        else
            m |= S_ISVTX;
    }
    return m;
}

/* Does the directory (at dfd/name) hold anything besides . and ..? */
static int dir_has_entries(int dfd, const char *name)
{
    int fd = openat(dfd, name && *name ? name : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d;
    struct dirent *de;
    int any = 0;
    if (fd < 0)
        return boxfs_from_errno(errno);
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return BOXFS_E_NOMEM;
    }
    while ((de = readdir(d)))
        if (!(de->d_name[0] == '.' &&
              (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))) {
            any = 1;
            break;
        }
    closedir(d);
    return any;
}

static int vol_mounted(boxfs *vol)
{
    return __atomic_load_n(&vol->mounted, __ATOMIC_ACQUIRE);
}

/* After an in-process change to a node's data or attributes, drop what the
 * kernel caches about it (a change through the mount, the kernel saw). */
static void inval_after_write(boxfs *vol, boxfs_node *n, int via_fuse)
{
    if (via_fuse || !vol_mounted(vol))
        return;
    boxfs_lock(vol);
    boxfs_inval_node(vol, n);
    boxfs_unlock(vol);
    boxfs_inval_wait(vol, via_fuse);
}

/* ---- resolution ---- */

void boxfs_res_free(boxfs *vol, boxfs_res *r)
{
    if (r->dir || r->self) {
        boxfs_lock(vol);
        if (r->dir)
            boxfs_node_put(vol, r->dir);
        if (r->self)
            boxfs_node_put(vol, r->self);
        boxfs_unlock(vol);
    }
    free(r->name);
    free(r->given);
    free(r->path);
    memset(r, 0, sizeof *r);
}

/* Fill r for the node n itself (under the lock). */
static int res_for_node(boxfs *vol, boxfs_node *n, boxfs_res *r)
{
    boxfs_node_ref(vol, n);
    r->self = n;
    r->found = !n->gone;
    r->type = n->isdir ? BOXFS_DT_DIR : BOXFS_DT_REG;
    r->ino = n->ino;
    r->path = boxfs_node_path(vol, n, NULL);
    if (!r->path)
        return BOXFS_E_NOMEM;
    if (n != vol->root) {
        r->dir = n->parent;
        boxfs_node_ref(vol, r->dir);
        r->name = strdup(n->name);
        r->given = strdup(n->name);
        if (!r->name || !r->given)
            return BOXFS_E_NOMEM;
    }
    if (n->gone)
        r->err = BOXFS_E_NOENT;
    return 0;
}

/* Look the last component up in r->dir (under the lock). */
static int res_last(boxfs *vol, boxfs_node *dir, const char *name, boxfs_res *r)
{
    boxfs_dent *e;
    int err = boxfs_dir_prepare(vol, dir);
    r->drained = 1;
    r->dir = dir;
    boxfs_node_ref(vol, dir);
    r->given = strdup(name);
    if (!r->given)
        return BOXFS_E_NOMEM;
    if (err) {
        r->name = strdup(name);
        r->path = boxfs_node_path(vol, dir, name);
        if (!r->name || !r->path)
            return BOXFS_E_NOMEM;
        r->err = err == BOXFS_E_STALE ? BOXFS_E_PATHNOTFOUND : err;
        return 0;
    }
    e = boxfs_dir_find(vol, dir, name);
    r->name = strdup(e ? e->name : name);
    if (!r->name)
        return BOXFS_E_NOMEM;
    if (e) {
        boxfs_node *n = boxfs_node_find(vol, dir, e->name);
        r->found = 1;
        r->type = e->type;
        r->ino = e->ino;
        if (n && n->ino == e->ino) {
            boxfs_node_ref(vol, n);
            r->self = n;
        }
    }
    r->path = boxfs_node_path(vol, dir, r->name);
    if (!r->path)
        return BOXFS_E_NOMEM;
    return 0;
}

int boxfs_resolve(boxfs *vol, boxfs_node *base, const char *path, boxfs_res *r)
{
    boxfs_pathv pv;
    boxfs_node *cur;
    size_t i = 0;
    int err;
    memset(r, 0, sizeof *r);
    err = boxfs_path_parse(path, base != NULL, &pv);
    if (err) {
        r->path = boxfs_display(path);
        return err;
    }
    r->must_dir = pv.trailing_sep;
    boxfs_lock(vol);
    cur = base ? base : vol->root;
    boxfs_node_ref(vol, cur);
    if (pv.n == 0) {
        err = res_for_node(vol, cur, r);
        if (!err && cur->gone)
            r->err = BOXFS_E_PATHNOTFOUND;
        goto out;
    }
    if (cur->gone) {
        r->err = BOXFS_E_PATHNOTFOUND;
        goto partial;
    }
    for (; i + 1 < pv.n; i++) {
        boxfs_dent *e;
        boxfs_node *child;
        int perr = boxfs_dir_prepare(vol, cur);
        if (perr) {
            r->err = perr == BOXFS_E_STALE ? BOXFS_E_PATHNOTFOUND : perr;
            goto partial;
        }
        e = boxfs_dir_find(vol, cur, pv.comp[i]);
        if (!e || e->type == BOXFS_DT_REG) {
            /* a missing parent, or a file used as a directory (smbtorture's
             * chkpath: "vb6.exe\3" is OBJECT_PATH_NOT_FOUND on Windows) */
            r->err = BOXFS_E_PATHNOTFOUND;
            goto partial;
        }
        if (e->type == BOXFS_DT_OTHER) {
            r->err = BOXFS_E_SYMLINK;
            goto partial;
        }
        child = boxfs_node_child(vol, cur, e);
        if (!child) {
            err = BOXFS_E_NOMEM;
            goto out;
        }
        boxfs_node_put(vol, cur);
        cur = child;
    }
    err = res_last(vol, cur, pv.comp[pv.n - 1], r);
    if (!err && !r->err && r->found && r->type == BOXFS_DT_REG && r->must_dir)
        r->err = BOXFS_E_NAMEINVALID; /* "file.txt\" */
    goto out;
partial: {
    /* the request path: stored case as far as we got, then as given */
    size_t len = 0;
    char *head = boxfs_node_path(vol, cur, NULL), *w;
    if (!head) {
        err = BOXFS_E_NOMEM;
        goto out;
    }
    for (size_t k = i; k < pv.n; k++)
        len += strlen(pv.comp[k]) + 1;
    r->path = malloc(strlen(head) + len + 1);
    if (!r->path) {
        free(head);
        err = BOXFS_E_NOMEM;
        goto out;
    }
    w = r->path;
    w += sprintf(w, "%s", strcmp(head, "\\") ? head : "");
    for (size_t k = i; k < pv.n; k++)
        w += sprintf(w, "\\%s", pv.comp[k]);
    free(head);
    r->name = strdup(pv.comp[pv.n - 1]);
    r->given = strdup(pv.comp[pv.n - 1]);
    if (!r->name || !r->given)
        err = BOXFS_E_NOMEM;
}
out:
    boxfs_node_put(vol, cur);
    boxfs_unlock(vol);
    boxfs_pathv_free(&pv);
    if (err == BOXFS_E_NOMEM) {
        boxfs_res_free(vol, r);
        r->path = boxfs_display(path);
    }
    return err;
}

int boxfs_res_child(boxfs *vol, boxfs_node *dir, const char *name, boxfs_res *r)
{
    int err;
    memset(r, 0, sizeof *r);
    err = boxfs_name_valid(name, strlen(name));
    boxfs_lock(vol);
    if (err) {
        char *shown = boxfs_display(name);
        r->path = shown ? boxfs_node_path(vol, dir, shown) : NULL;
        free(shown);
        boxfs_unlock(vol);
        return err;
    }
    err = res_last(vol, dir, name, r);
    boxfs_unlock(vol);
    return err;
}

int boxfs_res_node(boxfs *vol, boxfs_node *n, boxfs_res *r)
{
    int err;
    memset(r, 0, sizeof *r);
    boxfs_lock(vol);
    err = res_for_node(vol, n, r);
    boxfs_unlock(vol);
    return err;
}

/* Under the lock: look r's target up again.  *e is the directory entry,
 * or NULL for the root; returns 0 (found), BOXFS_E_NOENT or another code.
 *
 * Host changes (inotify) are read once per operation: by its resolution if
 * that looked the name up in its directory, else here.  The tree the
 * operation acts on is then the one it saw when it started plus boxfs' own
 * changes since (which update the caches directly); a host change made
 * while the policy was being asked races with the operation as one made
 * just after it would, and the host system call still has the last word
 * (a name gone or replaced behind our back is re-read and retried).  On a
 * FUSE request this saves a read() of the inotify queue per request. */
static int relookup(boxfs *vol, boxfs_res *r, boxfs_dent **e, int *dfd)
{
    int err;
    *e = NULL;
    if (!r->dir) { /* the root */
        *dfd = vol->rootfd;
        return 0;
    }
    err = r->drained ? boxfs_dir_prepare_drained(vol, r->dir) : boxfs_dir_prepare(vol, r->dir);
    r->drained = 1;
    if (!err)
        err = boxfs_node_fd(vol, r->dir, dfd);
    if (err)
        return err == BOXFS_E_STALE ? BOXFS_E_PATHNOTFOUND : err;
    *e = boxfs_dir_find(vol, r->dir, r->name);
    if (!*e)
        return BOXFS_E_NOENT;
    if (r->self && (r->self->gone || r->self->ino != (*e)->ino))
        return BOXFS_E_NOENT; /* the object we resolved is not there any more */
    return 0;
}

/* The node for r's found entry (with a reference). */
static boxfs_node *res_node_get(boxfs *vol, boxfs_res *r, boxfs_dent *e)
{
    if (!e) {
        boxfs_node_ref(vol, vol->root);
        return vol->root;
    }
    return boxfs_node_child(vol, r->dir, e);
}

/* ---- open ---- */

static unsigned open_access(unsigned access, unsigned disp, int exists)
{
    unsigned a = access;
    if (exists) {
        if (disp == BOXFS_SUPERSEDE || disp == BOXFS_OVERWRITE || disp == BOXFS_OVERWRITE_IF)
            a |= BOXFS_ACCESS_WRITE;
    } else if (disp != BOXFS_OPEN && disp != BOXFS_OVERWRITE) {
        a |= BOXFS_ACCESS_CREATE;
    }
    return a;
}

static boxfs_file *file_new(boxfs *vol, boxfs_node *n, int fd, unsigned access,
                            const boxfs_caller *who, int via_fuse)
{
    boxfs_file *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->vol = vol;
    f->node = n;
    f->fd = fd;
    f->access = access;
    f->is_dir = n->isdir;
    f->via_fuse = via_fuse;
    f->who = *who;
    pthread_mutex_init(&f->lock, NULL);
    if (!via_fuse) {
        n->opens++;
        f->onext = vol->open_head;
        if (vol->open_head)
            vol->open_head->oprev = f;
        vol->open_head = f;
    }
    return f;
}

/* Under the lock: the host side of an open.  *need is the access the
 * policy must have approved; REASK when that grew since it was asked. */
static int open_locked(boxfs *vol, boxfs_res *r, unsigned access, unsigned disp, unsigned options,
                       unsigned attributes, int via_fuse, unsigned asked,
                       const boxfs_caller *who, boxfs_file **out, unsigned *info, unsigned *need)
{
    boxfs_dent *e;
    int dfd, err, fd = -1;
    boxfs_node *n = NULL;
    struct stat st;
    int want_dir = !!(options & BOXFS_DIRECTORY_FILE);

    for (int attempt = 0; attempt < 3; attempt++) {
        err = relookup(vol, r, &e, &dfd);
        if (err && err != BOXFS_E_NOENT)
            return err;
        *need = open_access(access, disp, !err);
        if (*need & ~asked)
            return REASK;
        if (!err) {
            /* ---- it exists ---- */
            int isdir = e ? e->type == BOXFS_DT_DIR : 1;
            int truncate =
                disp == BOXFS_SUPERSEDE || disp == BOXFS_OVERWRITE || disp == BOXFS_OVERWRITE_IF;
            if (e && e->type == BOXFS_DT_OTHER)
                return BOXFS_E_SYMLINK;
            if (disp == BOXFS_CREATE)
                return BOXFS_E_EXISTS;
            if (isdir) {
                if (options & BOXFS_NON_DIRECTORY_FILE)
                    return BOXFS_E_ISDIR;
                if (truncate)
                    return BOXFS_E_ISDIR;
                n = res_node_get(vol, r, e);
                if (!n)
                    return BOXFS_E_NOMEM;
                if (n->delete_pending) {
                    boxfs_node_put(vol, n);
                    return BOXFS_E_DELETEPENDING;
                }
                *info = BOXFS_OPENED;
                break;
            }
            if (want_dir)
                return BOXFS_E_NOTDIR;
            if (r->must_dir)
                return BOXFS_E_NAMEINVALID;
            {
                boxfs_node *known = boxfs_node_find(vol, r->dir, e->name);
                if (known && known->delete_pending && known->ino == e->ino)
                    return BOXFS_E_DELETEPENDING;
            }
            fd = openat(dfd, e->name,
                        ((access & BOXFS_ACCESS_WRITE) || truncate ? O_RDWR : O_RDONLY) |
                            O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
            if (fd < 0) {
                if (errno == ENOENT) { /* gone behind our back: look again */
                    boxfs_dir_refresh(vol, r->dir, e->name);
                    continue;
                }
                return boxfs_from_errno(errno);
            }
            if (fstat(fd, &st)) {
                err = boxfs_from_errno(errno);
                goto fail_fd;
            }
            if (!S_ISREG(st.st_mode) || (uint64_t)st.st_dev != vol->dev) {
                err = BOXFS_E_SYMLINK;
                goto fail_fd;
            }
            if ((uint64_t)st.st_ino != e->ino) { /* replaced: refresh and retry */
                close(fd);
                fd = -1;
                boxfs_dir_refresh(vol, r->dir, e->name);
                continue;
            }
            if (disp == BOXFS_SUPERSEDE) {
                /* a supersede replaces the file, read-only or not (Wine's
                 * NtCreateFile table: FILE_SUPERSEDED where FILE_OVERWRITE
                 * gets ACCESS_DENIED); the new attributes are what count */
                if ((options & BOXFS_DELETE_ON_CLOSE) && (attributes & BOXFS_ATTR_READONLY)) {
                    err = BOXFS_E_CANNOTDELETE;
                    goto fail_fd;
                }
            } else if (!(st.st_mode & S_IWUSR)) { /* the read-only attribute */
                if ((access & BOXFS_ACCESS_WRITE) || truncate) {
                    err = BOXFS_E_ACCESS;
                    goto fail_fd;
                }
                if (options & BOXFS_DELETE_ON_CLOSE) {
                    err = BOXFS_E_CANNOTDELETE;
                    goto fail_fd;
                }
            }
            if (truncate) {
                mode_t m = attr_mode(st.st_mode, !!(attributes & BOXFS_ATTR_READONLY), 1, 0);
                if (ftruncate(fd, 0)) {
                    err = boxfs_from_errno(errno);
                    goto fail_fd;
                }
                if (m != (st.st_mode & 07777) && fchmod(fd, m)) {
                    err = boxfs_from_errno(errno);
                    goto fail_fd;
                }
                *info = disp == BOXFS_SUPERSEDE ? BOXFS_SUPERSEDED : BOXFS_OVERWRITTEN;
            } else {
                *info = BOXFS_OPENED;
            }
            n = res_node_get(vol, r, e);
            if (!n) {
                err = BOXFS_E_NOMEM;
                goto fail_fd;
            }
            if (truncate && !via_fuse)
                boxfs_inval_node(vol, n);
            break;
        }
        /* ---- it does not exist ---- */
        if (disp == BOXFS_OPEN || disp == BOXFS_OVERWRITE)
            return BOXFS_E_NOENT;
        if (r->must_dir && !want_dir)
            return BOXFS_E_NAMEINVALID;
        if (want_dir) {
            if (mkdirat(dfd, r->name, 0755)) {
                if (errno == EEXIST) { /* created behind our back */
                    boxfs_dir_refresh(vol, r->dir, r->name);
                    continue;
                }
                return boxfs_from_errno(errno);
            }
            boxfs_dir_expect(vol, r->dir, r->name, 1);
            if (fstatat(dfd, r->name, &st, AT_SYMLINK_NOFOLLOW))
                return boxfs_from_errno(errno);
            if (attributes & BOXFS_ATTR_READONLY)
                fchmodat(dfd, r->name, attr_mode(st.st_mode, 1, 1, 1), 0);
            boxfs_dir_added(vol, r->dir, r->name, BOXFS_DT_DIR, (uint64_t)st.st_ino);
        } else {
            mode_t m = (attributes & BOXFS_ATTR_READONLY) ? 0444 : 0644;
            fd = openat(dfd, r->name, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                        m);
            if (fd < 0) {
                if (errno == EEXIST) {
                    boxfs_dir_refresh(vol, r->dir, r->name);
                    continue;
                }
                return boxfs_from_errno(errno);
            }
            boxfs_dir_expect(vol, r->dir, r->name, 1);
            if (fstat(fd, &st)) {
                err = boxfs_from_errno(errno);
                unlinkat(dfd, r->name, 0);
                goto fail_fd;
            }
            boxfs_dir_added(vol, r->dir, r->name, BOXFS_DT_REG, (uint64_t)st.st_ino);
        }
        if (!via_fuse)
            boxfs_inval_node(vol, r->dir);
        {
            boxfs_dent *ne = boxfs_dir_find(vol, r->dir, r->name);
            if (!ne || ne->ino != (uint64_t)st.st_ino) {
                err = BOXFS_E_IO;
                goto fail_fd;
            }
            n = boxfs_node_child(vol, r->dir, ne);
        }
        if (!n) {
            err = BOXFS_E_NOMEM;
            goto fail_fd;
        }
        *info = BOXFS_CREATED;
        break;
    }
    if (!n)
        return BOXFS_E_IO; /* the name kept changing under us */
    *out = file_new(vol, n, fd, access, who, via_fuse);
    if (!*out) {
        boxfs_node_put(vol, n);
        err = BOXFS_E_NOMEM;
        goto fail_fd;
    }
    (*out)->delete_on_close = !!(options & BOXFS_DELETE_ON_CLOSE);
    (*out)->archive_set = *info != BOXFS_OPENED;
    if (fd >= 0 && *info == BOXFS_OPENED)
        (*out)->opened = st;
    else if (fd >= 0 && *info == BOXFS_CREATED)
        (*out)->created = st;
    return 0;
fail_fd:
    if (fd >= 0)
        close(fd);
    return err;
}

int boxfs_op_open(boxfs *vol, const boxfs_caller *who, boxfs_res *r, unsigned access,
                  unsigned disp, unsigned options, unsigned attributes, int via_fuse,
                  boxfs_file **out, unsigned *info)
{
    boxfs_request req = {0};
    unsigned inf = 0, need = 0;
    int err = 0;
    req.caller = who;
    req.op = BOXFS_OP_OPEN;
    req.path = r->path;
    req.disposition = disp;
    req.via_fuse = via_fuse;
    req.exists = r->found;
    req.is_dir = r->found ? r->type == BOXFS_DT_DIR : !!(options & BOXFS_DIRECTORY_FILE);
    req.access = open_access(access, disp, r->found);
    if (disp > BOXFS_OVERWRITE_IF ||
        ((options & BOXFS_DIRECTORY_FILE) && (options & BOXFS_NON_DIRECTORY_FILE)) ||
        ((options & BOXFS_DIRECTORY_FILE) && disp != BOXFS_CREATE && disp != BOXFS_OPEN &&
         disp != BOXFS_OPEN_IF) ||
        ((options & BOXFS_DELETE_ON_CLOSE) && !(access & BOXFS_ACCESS_DELETE))) {
        /* ZwCreateFile: STATUS_INVALID_PARAMETER for these combinations */
        boxfs_done(vol, &req, BOXFS_E_INVAL);
        return BOXFS_E_INVAL;
    }
    for (int round = 0;; round++) {
        int v = boxfs_ask(vol, &req);
        if (v) {
            err = v;
            break;
        }
        if (r->err) {
            err = r->err;
            break;
        }
        boxfs_lock(vol);
        err = open_locked(vol, r, access, disp, options, attributes, via_fuse, req.access, who,
                          out, &inf, &need);
        boxfs_unlock(vol);
        if (err != REASK)
            break;
        if (round == 3) {
            err = BOXFS_E_IO;
            break;
        }
        req.access = need;
        req.exists = !(need & BOXFS_ACCESS_CREATE);
    }
    boxfs_inval_wait(vol, via_fuse);
    boxfs_done(vol, &req, err);
    if (!err && info)
        *info = inf;
    return err;
}

int boxfs_open(boxfs *vol, const boxfs_caller *who, const boxfs_open_args *args, boxfs_file **out,
               unsigned *info)
{
    boxfs_caller self;
    boxfs_res r;
    int err;
    if (!vol || !args || !out)
        return BOXFS_E_INVAL;
    who = caller_or_self(who, &self);
    if (args->root && (args->root->vol != vol || !args->root->is_dir))
        return boxfs_refuse(vol, who, BOXFS_OP_OPEN, args->access, args->path, 0, BOXFS_E_INVAL);
    err = boxfs_resolve(vol, args->root ? args->root->node : NULL, args->path, &r);
    if (err) {
        boxfs_refuse(vol, who, BOXFS_OP_OPEN, args->access, r.path ? r.path : args->path, 0, err);
        boxfs_res_free(vol, &r);
        return err;
    }
    err = boxfs_op_open(vol, who, &r, args->access, args->disposition, args->options,
                        args->attributes, 0, out, info);
    boxfs_res_free(vol, &r);
    return err;
}

/* ---- close ---- */

int boxfs_close(boxfs_file *f)
{
    boxfs *vol;
    boxfs_node *n;
    boxfs_request req = {0};
    char *path = NULL;
    int status = 0, deleted = 0;
    if (!f)
        return 0;
    vol = f->vol;
    n = f->node;
    boxfs_lock(vol);
    if (!f->via_fuse) {
        if (f->oprev)
            f->oprev->onext = f->onext;
        else
            vol->open_head = f->onext;
        if (f->onext)
            f->onext->oprev = f->oprev;
        n->opens--;
        if (f->delete_on_close)
            n->delete_pending = 1;
        if (n->opens == 0 && n->delete_pending && !n->gone && n != vol->root) {
            int dfd;
            deleted = 1;
            path = boxfs_node_path(vol, n, NULL);
            n->delete_pending = 0;
            status = boxfs_node_fd(vol, n->parent, &dfd);
            if (status == BOXFS_E_STALE)
                status = BOXFS_E_NOENT;
            if (!status && unlinkat(dfd, n->name, n->isdir ? AT_REMOVEDIR : 0))
                status = boxfs_from_errno(errno);
            if (!status) {
                boxfs_node *parent = n->parent;
                boxfs_dir_expect(vol, parent, n->name, 0);
                boxfs_dir_removed(vol, parent, n->name);
                boxfs_node_gone(vol, n);
                boxfs_inval_node(vol, parent);
            }
        }
    }
    boxfs_node_put(vol, n);
    boxfs_unlock(vol);
    if (f->fd >= 0)
        close(f->fd);
    if (deleted)
        boxfs_inval_wait(vol, f->via_fuse);
    if (deleted) {
        req.caller = &f->who;
        req.op = BOXFS_OP_CLOSE_DELETE;
        req.access = BOXFS_ACCESS_DELETE;
        req.path = path ? path : "";
        req.exists = 1;
        req.is_dir = f->is_dir;
        req.via_fuse = f->via_fuse;
        boxfs_done(vol, &req, status);
    }
    free(path);
    for (size_t i = 0; i < f->nsnap; i++)
        free(f->snap[i].name);
    free(f->snap);
    pthread_mutex_destroy(&f->lock);
    free(f);
    return status;
}

int boxfs_file_is_dir(const boxfs_file *f)
{
    return f ? f->is_dir : 0;
}

unsigned boxfs_file_access(const boxfs_file *f)
{
    return f ? f->access : 0;
}

int boxfs_file_path(boxfs_file *f, char **out)
{
    char *p;
    if (!f || !out)
        return BOXFS_E_INVAL;
    boxfs_lock(f->vol);
    p = boxfs_node_path(f->vol, f->node, NULL);
    boxfs_unlock(f->vol);
    if (!p)
        return BOXFS_E_NOMEM;
    *out = p;
    return 0;
}

/* ---- data ---- */

/* The request for an operation on a handle: path computed now. */
static int handle_request(boxfs_file *f, const boxfs_caller *who, boxfs_op op, unsigned access,
                          boxfs_request *req)
{
    memset(req, 0, sizeof *req);
    boxfs_lock(f->vol);
    req->path = boxfs_node_path(f->vol, f->node, NULL);
    req->exists = !f->node->gone;
    boxfs_unlock(f->vol);
    if (!req->path)
        return BOXFS_E_NOMEM;
    req->caller = who ? who : &f->who;
    req->op = op;
    req->access = access;
    req->is_dir = f->is_dir;
    req->via_fuse = f->via_fuse;
    return 0;
}

int boxfs_file_read_at(boxfs_file *f, const boxfs_caller *who, void *buf, size_t len,
                       uint64_t off, size_t *done)
{
    boxfs_request req;
    size_t got = 0;
    int err = handle_request(f, who, BOXFS_OP_READ, BOXFS_ACCESS_READ, &req);
    *done = 0;
    if (err)
        return err;
    req.offset = off;
    req.length = len;
    err = boxfs_ask(f->vol, &req);
    while (!err && got < len) {
        ssize_t k = pread(f->fd, (char *)buf + got, len - got, (off_t)(off + got));
        if (k < 0) {
            if (errno == EINTR)
                continue;
            err = boxfs_from_errno(errno);
        } else if (k == 0) {
            break;
        } else {
            got += (size_t)k;
        }
    }
    *done = got;
    boxfs_done(f->vol, &req, err ? err : (int)(got > INT32_MAX ? INT32_MAX : got));
    free((char *)req.path);
    return err;
}

int boxfs_file_read_ask(boxfs_file *f, const boxfs_caller *who, uint64_t off, size_t len,
                        size_t *avail)
{
    boxfs_request req;
    struct stat st;
    int err = handle_request(f, who, BOXFS_OP_READ, BOXFS_ACCESS_READ, &req);
    *avail = 0;
    if (err)
        return err;
    req.offset = off;
    req.length = len;
    err = boxfs_ask(f->vol, &req);
    if (!err && fstat(f->fd, &st))
        err = boxfs_from_errno(errno);
    if (!err && (uint64_t)st.st_size > off)
        *avail = (uint64_t)st.st_size - off < len ? (size_t)((uint64_t)st.st_size - off) : len;
    boxfs_done(f->vol, &req, err ? err : (int)(*avail > INT32_MAX ? INT32_MAX : *avail));
    free((char *)req.path);
    return err;
}

/* A write sets the archive attribute again, as NTFS does. */
static void set_archive(boxfs_file *f)
{
    struct stat st;
    if (f->archive_set)
        return;
    if (!fstat(f->fd, &st) && (st.st_mode & S_ISVTX))
        fchmod(f->fd, st.st_mode & 07777 & ~(mode_t)S_ISVTX);
    f->archive_set = 1;
}

void boxfs_file_set_archive(boxfs_file *f)
{
    if (f && !f->is_dir && f->fd >= 0 && (f->access & BOXFS_ACCESS_WRITE))
        set_archive(f);
}

int boxfs_file_write_begin(boxfs_file *f, const boxfs_caller *who, int64_t off, size_t len,
                           boxfs_request *req)
{
    int err = handle_request(f, who, BOXFS_OP_WRITE, BOXFS_ACCESS_WRITE, req);
    if (err)
        return err;
    req->offset = off == BOXFS_POS_EOF ? UINT64_MAX : (uint64_t)off;
    req->length = len;
    err = boxfs_ask(f->vol, req);
    if (!err && len)
        set_archive(f);
    if (err)
        boxfs_file_write_end(f, req, err, 0);
    return err;
}

void boxfs_file_write_end(boxfs_file *f, boxfs_request *req, int err, size_t put)
{
    boxfs_done(f->vol, req, err ? err : (int)(put > INT32_MAX ? INT32_MAX : put));
    free((char *)req->path);
    req->path = NULL;
    if (put)
        inval_after_write(f->vol, f->node, f->via_fuse);
}

int boxfs_file_write_at(boxfs_file *f, const boxfs_caller *who, const void *buf, size_t len,
                        int64_t off, size_t *done)
{
    boxfs_request req;
    size_t put = 0;
    int err = boxfs_file_write_begin(f, who, off, len, &req);
    *done = 0;
    if (err)
        return err;
    if (off == BOXFS_POS_EOF) {
        /* atomically at the end: O_APPEND on our own open file description */
        int fl = fcntl(f->fd, F_GETFL);
        if (fl < 0 || fcntl(f->fd, F_SETFL, fl | O_APPEND) < 0) {
            err = boxfs_from_errno(errno);
        } else {
            while (put < len) {
                ssize_t k = write(f->fd, (const char *)buf + put, len - put);
                if (k < 0) {
                    if (errno == EINTR)
                        continue;
                    err = boxfs_from_errno(errno);
                    break;
                }
                put += (size_t)k;
            }
            fcntl(f->fd, F_SETFL, fl);
        }
    } else {
        while (!err && put < len) {
            ssize_t k = pwrite(f->fd, (const char *)buf + put, len - put, (off_t)((uint64_t)off + put));
            if (k < 0) {
                if (errno == EINTR)
                    continue;
                err = boxfs_from_errno(errno);
            } else {
                put += (size_t)k;
            }
        }
    }
    *done = put;
    boxfs_file_write_end(f, &req, err, put);
    return err;
}

int boxfs_read(boxfs_file *f, const boxfs_caller *who, void *buf, size_t len, int64_t offset,
               size_t *done)
{
    size_t got = 0;
    uint64_t off;
    int err;
    if (done)
        *done = 0;
    if (!f || (!buf && len) || (offset < 0 && offset != BOXFS_POS_CURRENT))
        return BOXFS_E_INVAL;
    if (f->is_dir)
        return BOXFS_E_ISDIR;
    if (!(f->access & BOXFS_ACCESS_READ))
        return BOXFS_E_BADF;
    pthread_mutex_lock(&f->lock);
    off = offset == BOXFS_POS_CURRENT ? f->pos : (uint64_t)offset;
    if (off > (uint64_t)INT64_MAX) {
        pthread_mutex_unlock(&f->lock);
        return BOXFS_E_INVAL;
    }
    err = boxfs_file_read_at(f, who, buf, len, off, &got);
    if (!err) {
        f->pos = off + got;
        if (got == 0 && len > 0)
            err = BOXFS_E_EOF;
    }
    pthread_mutex_unlock(&f->lock);
    if (done)
        *done = got;
    return err;
}

int boxfs_write(boxfs_file *f, const boxfs_caller *who, const void *buf, size_t len, int64_t offset,
                size_t *done)
{
    size_t put = 0;
    int64_t off;
    int err;
    if (done)
        *done = 0;
    if (!f || (!buf && len) ||
        (offset < 0 && offset != BOXFS_POS_CURRENT && offset != BOXFS_POS_EOF))
        return BOXFS_E_INVAL;
    if (f->is_dir)
        return BOXFS_E_ISDIR;
    if (!(f->access & BOXFS_ACCESS_WRITE))
        return BOXFS_E_BADF;
    pthread_mutex_lock(&f->lock);
    if (offset == BOXFS_POS_CURRENT) {
        if (f->pos > (uint64_t)INT64_MAX) {
            pthread_mutex_unlock(&f->lock);
            return BOXFS_E_INVAL;
        }
        off = (int64_t)f->pos;
    } else {
        off = offset;
    }
    err = boxfs_file_write_at(f, who, buf, len, off, &put);
    if (off == BOXFS_POS_EOF) {
        off_t end = lseek(f->fd, 0, SEEK_CUR);
        if (end >= 0 && put)
            f->pos = (uint64_t)end;
        else if (!put) {
            struct stat st;
            if (!fstat(f->fd, &st))
                f->pos = (uint64_t)st.st_size;
        }
    } else {
        f->pos = (uint64_t)off + put;
    }
    pthread_mutex_unlock(&f->lock);
    if (done)
        *done = put;
    return err;
}

int boxfs_get_position(boxfs_file *f, uint64_t *pos)
{
    if (!f || !pos)
        return BOXFS_E_INVAL;
    pthread_mutex_lock(&f->lock);
    *pos = f->pos;
    pthread_mutex_unlock(&f->lock);
    return 0;
}

int boxfs_set_position(boxfs_file *f, int64_t pos)
{
    if (!f || pos < 0)
        return BOXFS_E_INVAL;
    pthread_mutex_lock(&f->lock);
    f->pos = (uint64_t)pos;
    pthread_mutex_unlock(&f->lock);
    return 0;
}

int boxfs_set_size(boxfs_file *f, const boxfs_caller *who, uint64_t size)
{
    boxfs_request req;
    int err;
    if (!f || size > (uint64_t)INT64_MAX)
        return BOXFS_E_INVAL;
    if (f->is_dir)
        return BOXFS_E_ISDIR;
    if (!(f->access & BOXFS_ACCESS_WRITE))
        return BOXFS_E_BADF;
    if ((err = handle_request(f, who, BOXFS_OP_TRUNCATE, BOXFS_ACCESS_WRITE, &req)))
        return err;
    req.length = size;
    err = boxfs_ask(f->vol, &req);
    if (!err && ftruncate(f->fd, (off_t)size))
        err = boxfs_from_errno(errno);
    if (!err)
        set_archive(f);
    boxfs_done(f->vol, &req, err);
    free((char *)req.path);
    if (!err)
        inval_after_write(f->vol, f->node, f->via_fuse);
    return err;
}

int boxfs_flush(boxfs_file *f, const boxfs_caller *who)
{
    if (!f)
        return BOXFS_E_INVAL;
    if (!(f->access & BOXFS_ACCESS_WRITE))
        return BOXFS_E_BADF;
    return boxfs_file_sync(f, who);
}

int boxfs_file_sync(boxfs_file *f, const boxfs_caller *who)
{
    boxfs_request req;
    int err;
    if ((err = handle_request(f, who, BOXFS_OP_FLUSH, BOXFS_ACCESS_WRITE, &req)))
        return err;
    err = boxfs_ask(f->vol, &req);
    if (!err) {
        if (f->fd >= 0) {
            if (fsync(f->fd))
                err = boxfs_from_errno(errno);
        } else { /* a directory: flush its entries */
            int nfd, dfd = -1;
            boxfs_lock(f->vol);
            err = boxfs_node_fd(f->vol, f->node, &nfd);
            if (!err && (dfd = openat(nfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                err = boxfs_from_errno(errno);
            boxfs_unlock(f->vol);
            if (dfd >= 0) {
                if (fsync(dfd))
                    err = boxfs_from_errno(errno);
                close(dfd);
            }
        }
    }
    boxfs_done(f->vol, &req, err);
    free((char *)req.path);
    return err;
}

/* ---- attributes ---- */

int boxfs_op_stat(boxfs *vol, const boxfs_caller *who, boxfs_res *r, int via_fuse, boxfs_info *st,
                  struct stat *hsp, boxfs_node **nodep)
{
    boxfs_request req = {0};
    struct stat hs;
    struct timespec bt;
    int err;
    req.caller = who;
    req.op = BOXFS_OP_STAT;
    req.access = BOXFS_ACCESS_READ_ATTR;
    req.path = r->path;
    req.exists = r->found;
    req.is_dir = r->type == BOXFS_DT_DIR;
    req.via_fuse = via_fuse;
    err = boxfs_ask(vol, &req);
    if (!err)
        err = r->err;
    if (!err) {
        boxfs_dent *e;
        int dfd;
        boxfs_lock(vol);
        err = relookup(vol, r, &e, &dfd);
        if (!err && e && e->type == BOXFS_DT_OTHER)
            err = BOXFS_E_SYMLINK;
        if (!err) {
            boxfs_node *known = e ? boxfs_node_find(vol, r->dir, e->name) : NULL;
            if (known && known->delete_pending && known->ino == e->ino)
                err = BOXFS_E_DELETEPENDING;
        }
        if (!err)
            err = stat_at(dfd, e ? e->name : NULL, &hs, &bt);
        if (err == BOXFS_E_NOENT && e)
            boxfs_dir_refresh(vol, r->dir, e->name);
        if (!err && e && (uint64_t)hs.st_ino != e->ino) {
            boxfs_dir_refresh(vol, r->dir, e->name);
            err = BOXFS_E_NOENT; /* replaced just now; the caller may retry */
        }
        if (!err && !S_ISREG(hs.st_mode) && !S_ISDIR(hs.st_mode))
            err = BOXFS_E_SYMLINK;
        if (!err && nodep) {
            *nodep = res_node_get(vol, r, e);
            if (!*nodep)
                err = BOXFS_E_NOMEM;
        }
        boxfs_unlock(vol);
    }
    if (!err) {
        if (st)
            boxfs_fill_stat(st, &hs, &bt);
        if (hsp)
            *hsp = hs;
    }
    boxfs_done(vol, &req, err);
    return err;
}

int boxfs_node_hoststat(boxfs *vol, boxfs_node *n, struct stat *hs)
{
    int fd, err;
    boxfs_lock(vol);
    if (n->gone)
        err = BOXFS_E_NOENT;
    else if (n->isdir) {
        err = boxfs_node_fd(vol, n, &fd);
        if (!err)
            err = stat_at(fd, NULL, hs, NULL);
    } else {
        err = boxfs_node_fd(vol, n->parent, &fd);
        if (!err)
            err = stat_at(fd, n->name, hs, NULL);
        if (!err && (uint64_t)hs->st_ino != n->ino)
            err = BOXFS_E_NOENT;
    }
    boxfs_unlock(vol);
    return err == BOXFS_E_STALE ? BOXFS_E_NOENT : err;
}

int boxfs_stat(boxfs *vol, const boxfs_caller *who, boxfs_file *root, const char *path,
               boxfs_info *st)
{
    boxfs_caller self;
    boxfs_res r;
    int err;
    if (!vol || !st)
        return BOXFS_E_INVAL;
    who = caller_or_self(who, &self);
    if (root && (root->vol != vol || !root->is_dir))
        return boxfs_refuse(vol, who, BOXFS_OP_STAT, BOXFS_ACCESS_READ_ATTR, path, 0,
                            BOXFS_E_INVAL);
    err = boxfs_resolve(vol, root ? root->node : NULL, path, &r);
    if (err)
        boxfs_refuse(vol, who, BOXFS_OP_STAT, BOXFS_ACCESS_READ_ATTR, r.path ? r.path : path, 0,
                     err);
    else
        err = boxfs_op_stat(vol, who, &r, 0, st, NULL, NULL);
    boxfs_res_free(vol, &r);
    return err;
}

int boxfs_fstat(boxfs_file *f, const boxfs_caller *who, boxfs_info *st)
{
    boxfs_request req;
    struct stat hs;
    struct timespec bt;
    int err;
    if (!f || !st)
        return BOXFS_E_INVAL;
    if ((err = handle_request(f, who, BOXFS_OP_STAT, BOXFS_ACCESS_READ_ATTR, &req)))
        return err;
    err = boxfs_ask(f->vol, &req);
    if (!err) {
        if (f->fd >= 0) {
            err = stat_at(f->fd, NULL, &hs, &bt);
        } else {
            int nfd;
            boxfs_lock(f->vol);
            err = boxfs_node_fd(f->vol, f->node, &nfd);
            if (err == BOXFS_E_STALE)
                err = BOXFS_E_NOENT;
            if (!err)
                err = stat_at(nfd, NULL, &hs, &bt);
            boxfs_unlock(f->vol);
        }
    }
    if (!err)
        boxfs_fill_stat(st, &hs, &bt);
    boxfs_done(f->vol, &req, err);
    free((char *)req.path);
    return err;
}

int boxfs_op_setattr_res(boxfs *vol, const boxfs_caller *who, boxfs_res *r,
                         const boxfs_setattr_args *a, int has_size, uint64_t size, int via_fuse)
{
    boxfs_request req = {0};
    unsigned mask = a ? a->mask : 0;
    int err = 0;
    req.caller = who;
    req.path = r->path;
    req.exists = r->found;
    req.is_dir = r->type == BOXFS_DT_DIR;
    req.via_fuse = via_fuse;
    if (has_size) {
        req.op = BOXFS_OP_TRUNCATE;
        req.access = BOXFS_ACCESS_WRITE;
        req.length = size;
        if ((err = boxfs_ask(vol, &req))) {
            boxfs_done(vol, &req, err);
            return err;
        }
        if (!mask) {
            err = r->err;
            goto perform;
        }
        boxfs_done(vol, &req, 0); /* the size half is reported with the attribute half */
    }
    req.op = BOXFS_OP_SETATTR;
    req.access = BOXFS_ACCESS_WRITE_ATTR;
    req.length = 0;
    if (mask && (err = boxfs_ask(vol, &req))) {
        boxfs_done(vol, &req, err);
        return err;
    }
    err = r->err;
perform:
    if (!err) {
        boxfs_dent *e;
        int dfd, fd = -1;
        struct stat st;
        boxfs_node *n = NULL;
        boxfs_lock(vol);
        err = relookup(vol, r, &e, &dfd);
        if (!err && e && e->type == BOXFS_DT_OTHER)
            err = BOXFS_E_SYMLINK;
        if (!err) {
            int isdir = e ? e->type == BOXFS_DT_DIR : 1;
            if (has_size && isdir)
                err = BOXFS_E_ISDIR;
            else if (e)
                fd = openat(dfd, e->name,
                            (isdir ? O_RDONLY | O_DIRECTORY : (has_size ? O_RDWR : O_RDONLY)) |
                                O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
            else
                fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (!err && fd < 0)
                err = boxfs_from_errno(errno);
        }
        if (!err && fstat(fd, &st))
            err = boxfs_from_errno(errno);
        if (!err && e && (uint64_t)st.st_ino != e->ino)
            err = BOXFS_E_NOENT;
        if (!err && has_size) {
            if (!(st.st_mode & S_IWUSR))
                err = BOXFS_E_ACCESS; /* the read-only attribute */
            else if (ftruncate(fd, (off_t)size))
                err = boxfs_from_errno(errno);
            else if ((st.st_mode & S_ISVTX) && fchmod(fd, st.st_mode & 07777 & ~(mode_t)S_ISVTX))
                err = boxfs_from_errno(errno);
            else
                st.st_mode &= ~(mode_t)S_ISVTX;
        }
        if (!err && (mask & (BOXFS_SET_READONLY | BOXFS_SET_ARCHIVE))) {
            int ro = (mask & BOXFS_SET_READONLY) ? !!(a->attributes & BOXFS_ATTR_READONLY)
                                                 : !(st.st_mode & S_IWUSR);
            int ar = (mask & BOXFS_SET_ARCHIVE) ? !!(a->attributes & BOXFS_ATTR_ARCHIVE)
                                                : !(st.st_mode & S_ISVTX);
            mode_t m = attr_mode(st.st_mode, ro, ar, S_ISDIR(st.st_mode));
            if (m != (st.st_mode & 07777) && fchmod(fd, m))
                err = boxfs_from_errno(errno);
        }
        if (!err && (mask & (BOXFS_SET_ATIME | BOXFS_SET_MTIME))) {
            struct timespec ts[2];
            ts[0] = (mask & BOXFS_SET_ATIME) ? a->atime : (struct timespec){0, UTIME_OMIT};
            ts[1] = (mask & BOXFS_SET_MTIME) ? a->mtime : (struct timespec){0, UTIME_OMIT};
            if (futimens(fd, ts))
                err = boxfs_from_errno(errno);
        }
        if (fd >= 0)
            close(fd);
        if (!err && !via_fuse) {
            n = e ? boxfs_node_find(vol, r->dir, e->name) : vol->root;
            if (n)
                boxfs_inval_node(vol, n);
        }
        boxfs_unlock(vol);
    }
    boxfs_inval_wait(vol, via_fuse);
    boxfs_done(vol, &req, err);
    return err;
}

int boxfs_setattr(boxfs_file *f, const boxfs_caller *who, const boxfs_setattr_args *args)
{
    boxfs_res r;
    int err;
    if (!f || !args || (args->mask & ~(unsigned)(BOXFS_SET_READONLY | BOXFS_SET_ARCHIVE |
                                                  BOXFS_SET_ATIME | BOXFS_SET_MTIME)))
        return BOXFS_E_INVAL;
    if (!(f->access & BOXFS_ACCESS_WRITE_ATTR))
        return BOXFS_E_BADF;
    if ((err = boxfs_res_node(f->vol, f->node, &r)) == 0)
        err = boxfs_op_setattr_res(f->vol, who ? who : &f->who, &r, args, 0, 0, f->via_fuse);
    boxfs_res_free(f->vol, &r);
    return err;
}

/* ---- mkdir ---- */

int boxfs_op_mkdir(boxfs *vol, const boxfs_caller *who, boxfs_res *r, int via_fuse,
                   boxfs_node **out)
{
    boxfs_request req = {0};
    int err;
    req.caller = who;
    req.op = BOXFS_OP_MKDIR;
    req.access = BOXFS_ACCESS_CREATE;
    req.path = r->path;
    req.exists = r->found;
    req.is_dir = 1;
    req.via_fuse = via_fuse;
    err = boxfs_ask(vol, &req);
    if (!err)
        err = r->err;
    if (!err) {
        boxfs_dent *e;
        int dfd;
        struct stat st;
        boxfs_lock(vol);
        err = relookup(vol, r, &e, &dfd);
        if (err == 0)
            err = BOXFS_E_EXISTS;
        else if (err == BOXFS_E_NOENT) {
            err = 0;
            if (mkdirat(dfd, r->name, 0755))
                err = boxfs_from_errno(errno);
            else if (boxfs_dir_expect(vol, r->dir, r->name, 1),
                     fstatat(dfd, r->name, &st, AT_SYMLINK_NOFOLLOW))
                err = boxfs_from_errno(errno);
            if (err == BOXFS_E_EXISTS)
                boxfs_dir_refresh(vol, r->dir, r->name);
        }
        if (!err) {
            boxfs_dir_added(vol, r->dir, r->name, BOXFS_DT_DIR, (uint64_t)st.st_ino);
            if (!via_fuse)
                boxfs_inval_node(vol, r->dir);
            if (out) {
                e = boxfs_dir_find(vol, r->dir, r->name);
                *out = e && e->ino == (uint64_t)st.st_ino ? boxfs_node_child(vol, r->dir, e) : NULL;
                if (!*out)
                    err = BOXFS_E_NOMEM;
            }
        }
        boxfs_unlock(vol);
    }
    boxfs_inval_wait(vol, via_fuse);
    boxfs_done(vol, &req, err);
    return err;
}

int boxfs_mkdir(boxfs *vol, const boxfs_caller *who, boxfs_file *root, const char *path)
{
    boxfs_caller self;
    boxfs_res r;
    int err;
    if (!vol)
        return BOXFS_E_INVAL;
    who = caller_or_self(who, &self);
    if (root && (root->vol != vol || !root->is_dir))
        return boxfs_refuse(vol, who, BOXFS_OP_MKDIR, BOXFS_ACCESS_CREATE, path, 0, BOXFS_E_INVAL);
    err = boxfs_resolve(vol, root ? root->node : NULL, path, &r);
    if (err)
        boxfs_refuse(vol, who, BOXFS_OP_MKDIR, BOXFS_ACCESS_CREATE, r.path ? r.path : path, 0, err);
    else if (!r.dir && !r.err)
        err = boxfs_refuse(vol, who, BOXFS_OP_MKDIR, BOXFS_ACCESS_CREATE, r.path, 0,
                           BOXFS_E_EXISTS); /* the root */
    else
        err = boxfs_op_mkdir(vol, who, &r, 0, NULL);
    boxfs_res_free(vol, &r);
    return err;
}

/* ---- delete ---- */

int boxfs_op_delete(boxfs *vol, const boxfs_caller *who, boxfs_res *r, int kind, int via_fuse)
{
    boxfs_request req = {0};
    int err;
    req.caller = who;
    req.op = BOXFS_OP_DELETE;
    req.access = BOXFS_ACCESS_DELETE;
    req.path = r->path;
    req.exists = r->found;
    req.is_dir = r->type == BOXFS_DT_DIR;
    req.via_fuse = via_fuse;
    err = boxfs_ask(vol, &req);
    if (!err)
        err = r->err;
    if (!err && !r->dir)
        err = BOXFS_E_ACCESS; /* the root */
    if (!err) {
        boxfs_dent *e;
        int dfd;
        boxfs_lock(vol);
        err = relookup(vol, r, &e, &dfd);
        if (!err) {
            int isdir = e->type == BOXFS_DT_DIR;
            boxfs_node *n = boxfs_node_find(vol, r->dir, e->name);
            struct stat st;
            if (n && n->ino != e->ino)
                n = NULL;
            if (e->type == BOXFS_DT_OTHER)
                err = BOXFS_E_SYMLINK;
            else if (kind == BOXFS_DEL_FILE && isdir)
                err = BOXFS_E_ISDIR;
            else if (kind == BOXFS_DEL_DIR && !isdir)
                err = BOXFS_E_NOTDIR;
            else if (fstatat(dfd, e->name, &st, AT_SYMLINK_NOFOLLOW))
                err = boxfs_from_errno(errno);
            else if (!isdir && !(st.st_mode & S_IWUSR))
                err = BOXFS_E_CANNOTDELETE;
            else if (n && n->delete_pending)
                err = BOXFS_E_DELETEPENDING;
            else if (n && n->opens > 0) {
                /* open handles: removed when the last one closes */
                if (isdir && (err = dir_has_entries(dfd, e->name)) > 0)
                    err = BOXFS_E_NOTEMPTY;
                if (!err)
                    n->delete_pending = 1;
            } else if (unlinkat(dfd, e->name, isdir ? AT_REMOVEDIR : 0)) {
                err = boxfs_from_errno(errno);
                if (err == BOXFS_E_EXISTS)
                    err = BOXFS_E_NOTEMPTY;
            } else {
                boxfs_dir_expect(vol, r->dir, e->name, 0);
                boxfs_dir_removed(vol, r->dir, e->name);
                if (n)
                    boxfs_node_gone(vol, n);
                if (!via_fuse)
                    boxfs_inval_node(vol, r->dir);
            }
        }
        boxfs_unlock(vol);
    }
    boxfs_inval_wait(vol, via_fuse);
    boxfs_done(vol, &req, err);
    return err;
}

static int delete_path(boxfs *vol, const boxfs_caller *who, boxfs_file *root, const char *path,
                       int kind)
{
    boxfs_caller self;
    boxfs_res r;
    int err;
    if (!vol)
        return BOXFS_E_INVAL;
    who = caller_or_self(who, &self);
    if (root && (root->vol != vol || !root->is_dir))
        return boxfs_refuse(vol, who, BOXFS_OP_DELETE, BOXFS_ACCESS_DELETE, path, 0,
                            BOXFS_E_INVAL);
    err = boxfs_resolve(vol, root ? root->node : NULL, path, &r);
    if (err)
        boxfs_refuse(vol, who, BOXFS_OP_DELETE, BOXFS_ACCESS_DELETE, r.path ? r.path : path, 0,
                     err);
    else
        err = boxfs_op_delete(vol, who, &r, kind, 0);
    boxfs_res_free(vol, &r);
    return err;
}

int boxfs_delete(boxfs *vol, const boxfs_caller *who, boxfs_file *root, const char *path)
{
    return delete_path(vol, who, root, path, BOXFS_DEL_ANY);
}

int boxfs_unlink(boxfs *vol, const boxfs_caller *who, boxfs_file *root, const char *path)
{
    return delete_path(vol, who, root, path, BOXFS_DEL_FILE);
}

int boxfs_rmdir(boxfs *vol, const boxfs_caller *who, boxfs_file *root, const char *path)
{
    return delete_path(vol, who, root, path, BOXFS_DEL_DIR);
}

int boxfs_set_delete(boxfs_file *f, const boxfs_caller *who, int del)
{
    boxfs_request req;
    int err;
    if (!f)
        return BOXFS_E_INVAL;
    if (!(f->access & BOXFS_ACCESS_DELETE))
        return BOXFS_E_BADF;
    if ((err = handle_request(f, who, BOXFS_OP_DELETE, BOXFS_ACCESS_DELETE, &req)))
        return err;
    err = boxfs_ask(f->vol, &req);
    if (!err) {
        boxfs *vol = f->vol;
        boxfs_node *n = f->node;
        boxfs_lock(vol);
        if (n == vol->root)
            err = BOXFS_E_ACCESS;
        else if (n->gone)
            err = BOXFS_E_NOENT;
        else if (!del)
            n->delete_pending = 0;
        else {
            int dfd;
            struct stat st;
            err = boxfs_node_fd(vol, n->parent, &dfd);
            if (err == BOXFS_E_STALE)
                err = BOXFS_E_NOENT;
            if (!err && fstatat(dfd, n->name, &st, AT_SYMLINK_NOFOLLOW))
                err = boxfs_from_errno(errno);
            if (!err && (uint64_t)st.st_ino != n->ino)
                err = BOXFS_E_NOENT;
            if (!err && !n->isdir && !(st.st_mode & S_IWUSR))
                err = BOXFS_E_CANNOTDELETE;
            if (!err && n->isdir && (err = dir_has_entries(dfd, n->name)) > 0)
                err = BOXFS_E_NOTEMPTY;
            if (!err)
                n->delete_pending = 1;
        }
        boxfs_unlock(vol);
    }
    boxfs_done(f->vol, &req, err);
    free((char *)req.path);
    return err;
}

/* ---- rename ---- */

int boxfs_op_rename(boxfs *vol, const boxfs_caller *who, boxfs_res *from, boxfs_res *to,
                    int replace, int via_fuse)
{
    boxfs_request req = {0};
    int err;
    req.caller = who;
    req.op = BOXFS_OP_RENAME;
    req.access = BOXFS_ACCESS_DELETE | BOXFS_ACCESS_CREATE;
    req.path = from->path;
    req.path2 = to->path;
    req.exists = from->found;
    req.is_dir = from->type == BOXFS_DT_DIR;
    req.via_fuse = via_fuse;
    err = boxfs_ask(vol, &req);
    if (!err)
        err = from->err;
    if (!err)
        err = to->err == BOXFS_E_NOENT ? 0 : to->err;
    if (!err && (!from->dir || !to->dir))
        err = BOXFS_E_ACCESS; /* the root cannot move, nor be replaced */
    if (!err) {
        boxfs_dent *fe, *te;
        int fdfd, tdfd;
        boxfs_lock(vol);
        err = relookup(vol, from, &fe, &fdfd);
        if (!err && fe->type == BOXFS_DT_OTHER)
            err = BOXFS_E_SYMLINK;
        if (!err) {
            int terr = relookup(vol, to, &te, &tdfd);
            char fname[BOXFS_NAME_BYTES + 1], tname[BOXFS_NAME_BYTES + 1];
            uint8_t ftype = fe->type;
            uint64_t fino = fe->ino;
            boxfs_node *fnode = boxfs_node_find(vol, from->dir, fe->name);
            boxfs_node *tnode = NULL;
            /* the new name as given, or the stored one when it is the same entry */
            const char *given = to->given;
            uint64_t tino = terr == 0 ? te->ino : 0; /* te may be freed by what follows */
            snprintf(fname, sizeof fname, "%s", fe->name);
            if (fnode && fnode->ino != fino)
                fnode = NULL;
            if (terr && terr != BOXFS_E_NOENT)
                err = terr;
            if (!err && ftype == BOXFS_DT_DIR) {
                /* a directory cannot move below itself */
                for (boxfs_node *m = to->dir; m; m = m->parent)
                    if (m->ino == fino && m != vol->root && m->parent == from->dir &&
                        !strcmp(m->name, fname)) {
                        err = BOXFS_E_INVAL;
                        break;
                    }
            }
            if (!err && terr == 0) {
                snprintf(tname, sizeof tname, "%s", te->name);
                if (to->dir == from->dir && te->ino == fino && !strcmp(tname, fname)) {
                    /* the same entry: at most a change of case */
                    if (!strcmp(given, fname))
                        goto renamed_nothing;
                } else if (!replace) {
                    err = BOXFS_E_EXISTS;
                } else if (te->type != BOXFS_DT_REG) {
                    err = BOXFS_E_ACCESS; /* NTFS never replaces a directory */
                } else {
                    struct stat tst;
                    tnode = boxfs_node_find(vol, to->dir, tname);
                    if (tnode && tnode->ino != te->ino)
                        tnode = NULL;
                    if (ftype == BOXFS_DT_DIR)
                        err = BOXFS_E_ACCESS;
                    else if (tnode && tnode->opens > 0)
                        err = BOXFS_E_ACCESS; /* an open file cannot be replaced */
                    else if (fstatat(tdfd, tname, &tst, AT_SYMLINK_NOFOLLOW))
                        err = boxfs_from_errno(errno);
                    else if (!(tst.st_mode & S_IWUSR))
                        err = BOXFS_E_ACCESS; /* read-only target */
                    else if (strcmp(tname, given)) {
                        /* replaced under another case: the new name is the one given */
                        if (unlinkat(tdfd, tname, 0)) {
                            err = boxfs_from_errno(errno);
                        } else {
                            boxfs_dir_expect(vol, to->dir, tname, 0);
                            boxfs_dir_removed(vol, to->dir, tname);
                        }
                    }
                }
            }
            if (!err) {
                unsigned flags = terr == 0 && replace ? 0 : RENAME_NOREPLACE;
                if (terr == 0 && tino == fino && to->dir == from->dir)
                    flags = RENAME_NOREPLACE; /* case change: the new spelling is free */
                if (renameat2(fdfd, fname, tdfd, given, flags)) {
                    err = boxfs_from_errno(errno);
                    if (err == BOXFS_E_EXISTS) {
                        boxfs_dir_refresh(vol, to->dir, given);
                    } else if (err == BOXFS_E_NOTDIR || err == BOXFS_E_ISDIR) {
                        err = BOXFS_E_ACCESS;
                    }
                }
            }
            if (!err) {
                boxfs_dir_expect(vol, from->dir, fname, 0); /* IN_MOVED_FROM */
                boxfs_dir_expect(vol, to->dir, given, 1);   /* IN_MOVED_TO */
                boxfs_dir_removed(vol, from->dir, fname);
                if (tnode && tnode != fnode)
                    boxfs_node_gone(vol, tnode);
                boxfs_dir_added(vol, to->dir, given, ftype, fino);
                if (fnode) {
                    boxfs_inval_names(vol, fnode);
                    if (boxfs_node_move(vol, fnode, to->dir, given))
                        boxfs_node_gone(vol, fnode); /* out of memory: forget it */
                    else if (via_fuse && fnode->nlookup)
                        boxfs_remember_kname(vol, fnode, given); /* the kernel's moved dentry */
                }
                if (!via_fuse) {
                    boxfs_inval_node(vol, from->dir);
                    boxfs_inval_node(vol, to->dir);
                }
            }
        renamed_nothing:;
        }
        boxfs_unlock(vol);
    }
    boxfs_inval_wait(vol, via_fuse);
    boxfs_done(vol, &req, err);
    return err;
}

int boxfs_rename(boxfs_file *f, const boxfs_caller *who, boxfs_file *root, const char *newpath,
                 int replace)
{
    boxfs_res from, to;
    int err;
    if (!f)
        return BOXFS_E_INVAL;
    who = who ? who : &f->who;
    if (!(f->access & BOXFS_ACCESS_DELETE))
        return BOXFS_E_BADF;
    if (root && (root->vol != f->vol || !root->is_dir))
        return boxfs_refuse(f->vol, who, BOXFS_OP_RENAME, BOXFS_ACCESS_DELETE, newpath,
                            f->via_fuse, BOXFS_E_INVAL);
    if ((err = boxfs_res_node(f->vol, f->node, &from))) {
        boxfs_res_free(f->vol, &from);
        return err;
    }
    err = boxfs_resolve(f->vol, root ? root->node : NULL, newpath, &to);
    if (err)
        boxfs_refuse(f->vol, who, BOXFS_OP_RENAME, BOXFS_ACCESS_DELETE,
                     to.path ? to.path : newpath, f->via_fuse, err);
    else
        err = boxfs_op_rename(f->vol, who, &from, &to, replace, f->via_fuse);
    boxfs_res_free(f->vol, &from);
    boxfs_res_free(f->vol, &to);
    return err;
}

int boxfs_rename_path(boxfs *vol, const boxfs_caller *who, const char *oldpath, const char *newpath,
                      int replace)
{
    boxfs_caller self;
    boxfs_res from, to;
    int err;
    if (!vol)
        return BOXFS_E_INVAL;
    who = caller_or_self(who, &self);
    memset(&to, 0, sizeof to);
    err = boxfs_resolve(vol, NULL, oldpath, &from);
    if (err) {
        boxfs_refuse(vol, who, BOXFS_OP_RENAME, BOXFS_ACCESS_DELETE,
                     from.path ? from.path : oldpath, 0, err);
        goto out;
    }
    err = boxfs_resolve(vol, NULL, newpath, &to);
    if (err) {
        boxfs_refuse(vol, who, BOXFS_OP_RENAME, BOXFS_ACCESS_DELETE, to.path ? to.path : newpath,
                     0, err);
        goto out;
    }
    err = boxfs_op_rename(vol, who, &from, &to, replace, 0);
out:
    boxfs_res_free(vol, &from);
    boxfs_res_free(vol, &to);
    return err;
}

/* ---- links ---- */

int boxfs_op_refuse_link(boxfs *vol, const boxfs_caller *who, boxfs_res *r, int via_fuse)
{
    boxfs_request req = {0};
    int err;
    req.caller = who;
    req.op = BOXFS_OP_LINK;
    req.access = BOXFS_ACCESS_CREATE;
    req.path = r->path;
    req.exists = r->found;
    req.via_fuse = via_fuse;
    err = boxfs_ask(vol, &req);
    if (!err)
        err = BOXFS_E_PERM; /* NTFS reparse points and links are not emulated */
    boxfs_done(vol, &req, err);
    return err;
}

/* ---- directory listing ---- */

static void snap_free(boxfs_file *f)
{
    for (size_t i = 0; i < f->nsnap; i++)
        free(f->snap[i].name);
    free(f->snap);
    f->snap = NULL;
    f->nsnap = 0;
    f->snapped = 0;
}

/* Take the snapshot (f->lock held). */
int boxfs_file_snapshot(boxfs_file *f, const boxfs_caller *who)
{
    boxfs_request req;
    int err = handle_request(f, who, BOXFS_OP_LIST, BOXFS_ACCESS_LIST, &req);
    if (err)
        return err;
    err = boxfs_ask(f->vol, &req);
    if (!err) {
        boxfs_lock(f->vol);
        snap_free(f);
        err = boxfs_dir_prepare(f->vol, f->node);
        if (err == BOXFS_E_STALE)
            err = BOXFS_E_NOENT;
        if (!err)
            err = boxfs_dir_snapshot(f->vol, f->node, &f->snap, &f->nsnap);
        boxfs_unlock(f->vol);
    }
    if (!err) {
        f->snapped = 1;
        f->cursor = 0;
    }
    boxfs_done(f->vol, &req, err ? err : (int)f->nsnap);
    free((char *)req.path);
    return err;
}

int boxfs_dir_read(boxfs_file *f, const boxfs_caller *who, boxfs_dirent *ent)
{
    int err = 0;
    if (!f || !ent)
        return BOXFS_E_INVAL;
    if (!f->is_dir)
        return BOXFS_E_NOTDIR;
    if (!(f->access & BOXFS_ACCESS_LIST))
        return BOXFS_E_BADF;
    memset(ent, 0, sizeof *ent);
    pthread_mutex_lock(&f->lock);
    if (!f->snapped && (err = boxfs_file_snapshot(f, who)))
        goto out;
    for (;;) {
        size_t ndots = f->node == f->vol->root ? 0 : 2;
        struct stat hs;
        struct timespec bt;
        int fd;
        if (f->cursor >= ndots + f->nsnap) {
            err = BOXFS_E_NOMORE;
            break;
        }
        boxfs_lock(f->vol);
        if (f->cursor < ndots) {
            boxfs_node *n = f->cursor == 0 ? f->node : f->node->parent;
            err = n->gone ? BOXFS_E_NOENT : boxfs_node_fd(f->vol, n, &fd);
            if (!err)
                err = stat_at(fd, NULL, &hs, &bt);
            boxfs_unlock(f->vol);
            if (err) {
                if (err == BOXFS_E_STALE)
                    err = BOXFS_E_NOENT;
                break;
            }
            ent->name = f->cursor == 0 ? "." : "..";
            ent->is_dot = 1;
        } else {
            boxfs_snap *s = &f->snap[f->cursor - ndots];
            err = boxfs_node_fd(f->vol, f->node, &fd);
            if (!err)
                err = stat_at(fd, s->name, &hs, &bt);
            boxfs_unlock(f->vol);
            if (err == BOXFS_E_NOENT || (!err && !S_ISREG(hs.st_mode) && !S_ISDIR(hs.st_mode))) {
                f->cursor++; /* removed since the snapshot, or no longer ours to show */
                err = 0;
                continue;
            }
            if (err) {
                if (err == BOXFS_E_STALE)
                    err = BOXFS_E_NOENT;
                break;
            }
            ent->name = s->name;
        }
        boxfs_fill_stat(&ent->st, &hs, &bt);
        f->cursor++;
        break;
    }
out:
    pthread_mutex_unlock(&f->lock);
    return err;
}

uint64_t boxfs_dir_tell(boxfs_file *f)
{
    uint64_t p;
    if (!f)
        return 0;
    pthread_mutex_lock(&f->lock);
    p = f->cursor;
    pthread_mutex_unlock(&f->lock);
    return p;
}

int boxfs_dir_seek(boxfs_file *f, uint64_t pos)
{
    if (!f)
        return BOXFS_E_INVAL;
    if (!f->is_dir)
        return BOXFS_E_NOTDIR;
    pthread_mutex_lock(&f->lock);
    if (pos == 0)
        snap_free(f);
    f->cursor = (size_t)pos;
    pthread_mutex_unlock(&f->lock);
    return 0;
}
