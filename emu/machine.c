/*
 * machine.c: making, opening and freeing emulated machines, and the
 * current machine mock APIs run against.
 *
 * An embedded machine (the default, what every unit test gets) is a
 * copy-on-write clone of the template registry plus a temporary volume
 * directory.  A machine directory holds registry.db (created from the
 * template on first use) and volume/ (DESIGN.md "A machine").
 */
#include "emu/emu.h"
#include "emu/install_int.h"
#include "pnpbox/pool.h"

#include "base/pb_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <ntstatus.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

pnpbox_machine *emu_current_machine; /* emu_machine() reads it inline (emu.h) */
static pnpbox_machine *default_machine;

/* Provided by pnp.c / fsglue.c. */
void emu_pnp_free(pnpbox_machine *m);
int emu_pnp_reboot(pnpbox_machine *m);
int emu_pnp_boot(pnpbox_machine *m);
int emu_fs_attach(pnpbox_machine *m);

/* The lock's fast paths are inline (emu.h); these are the first entry and the last exit. */
__thread char emu_lock_marker;

void emu_lock_slow(pnpbox_machine *m)
{
    pthread_mutex_lock(&m->lock);
    __atomic_store_n(&m->lock_owner, (void *)&emu_lock_marker, __ATOMIC_RELAXED);
    m->lock_depth = 1;
}

void emu_unlock_slow(pnpbox_machine *m)
{
    m->lock_depth = 0;
    __atomic_store_n(&m->lock_owner, NULL, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&m->lock);
}

void emu_set_error(pnpbox_machine *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->errmsg, sizeof m->errmsg, fmt, ap);
    va_end(ap);
    PB_DEBUG(PB_CH_EMU, "%s", m->errmsg);
}



const char *pnpbox_strerror(int err)
{
    if (err == 0)
        return "success";
    if (err <= -4096)
        return boxfs_strerror(err);
    return strerror(-err);
}

pnpbox_machine *pnpbox_current(void) { return emu_current_machine; }

/* Declared here, defined after pnpbox_machine_new's thread-local message. */
const char *pnpbox_errmsg(pnpbox_machine *m);

void pnpbox_set_current(pnpbox_machine *m) { emu_current_machine = m; }

static void free_default(void)
{
    if (default_machine) {
        pnpbox_machine_free(default_machine);
        default_machine = NULL;
    }
}

pnpbox_machine *emu_machine_slow(void)
{
    if (emu_current_machine)
        return emu_current_machine;
    if (!default_machine) {
        pnpbox_machine *m;
        if (pnpbox_machine_new(NULL, &m) < 0)
            return NULL;
        default_machine = m;
        atexit(free_default);
    }
    emu_current_machine = default_machine;
    return emu_current_machine;
}

const char *pnpbox_machine_dir(pnpbox_machine *m) { return m ? m->dir : NULL; }
const char *pnpbox_volume_dir(pnpbox_machine *m) { return m ? m->voldir : NULL; }

void pnpbox_set_mode(pnpbox_machine *m, pnpbox_mode mode)
{
    if (m) {
        m->mode = mode;
        emu_rules_changed(m);
    }
}

int pnpbox_set_checking(pnpbox_machine *m, int on)
{
    if (!m)
        return 0;
    emu_lock(m);
    int was = !m->checking_off;
    m->checking_off = !on;
    emu_rules_changed(m);
    emu_unlock(m);
    return was;
}

void emu_rules_changed(pnpbox_machine *m) { __atomic_add_fetch(&m->rules_gen, 1, __ATOMIC_RELAXED); }

pnpbox_mode pnpbox_get_mode(pnpbox_machine *m) { return m ? m->mode : PNPBOX_MODE_REPORT; }

static int mkdir_p(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return -ENOMEM;
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = 0;
            if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                int e = -errno;
                free(p);
                return e;
            }
            *s = '/';
        }
    }
    int rc = mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
    free(p);
    return rc;
}

static int open_registry(pnpbox_machine *m)
{
    const regdb_snapshot *snap;
    int rc = emu_template_snapshot(&snap);
    if (rc < 0) {
        emu_set_error(m, "cannot build the template machine: %s", regdb_strerror(rc));
        return -EIO;
    }
    if (!m->dir) {
        rc = regdb_snapshot_clone(snap, &m->reg);
        if (rc < 0) {
            emu_set_error(m, "cannot clone the template registry: %s", regdb_strerror(rc));
            return rc;
        }
        return 0;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/registry.db", m->dir);
    if (access(path, F_OK) != 0) {
        rc = regdb_snapshot_write(snap, path);
        if (rc < 0 && rc != REGDB_E_EXISTS) { /* EXISTS: another process made it meanwhile */
            emu_set_error(m, "cannot create registry '%s': %s", path, regdb_strerror(rc));
            return rc;
        }
    }
    rc = regdb_open(path, NULL, &m->reg);
    if (rc < 0) {
        emu_set_error(m, "cannot open registry '%s': %s", path, regdb_strerror(rc));
        return rc;
    }
    return 0;
}


/*
 * Where an embedded machine's scratch volume lives.  The choice (pnpbox's;
 * Windows has no equivalent): PNPBOX_TMPDIR when set; else /dev/shm when it
 * is a writable RAM file system with at least 1 GiB free, because a
 * machine's volume is scratch that dies with it and a disk file system
 * makes every fresh machine ten times slower (each test creates one); else
 * TMPDIR; else /tmp.
 */
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static char scratch_base[2048];

static void pick_scratch(void);

const char *emu_scratch_dir(void)
{
    pthread_once(&scratch_once, pick_scratch);
    return scratch_base;
}

static void pick_scratch(void)
{
    const char *env = getenv("PNPBOX_TMPDIR");
    if (env && *env) {
        snprintf(scratch_base, sizeof scratch_base, "%s", env);
        return;
    }
    struct statfs fs;
    if (statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC &&
        (unsigned long long)fs.f_bavail * (unsigned long long)fs.f_bsize >= (1ull << 30) &&
        access("/dev/shm", W_OK | X_OK) == 0) {
        snprintf(scratch_base, sizeof scratch_base, "/dev/shm");
        return;
    }
    env = getenv("TMPDIR");
    snprintf(scratch_base, sizeof scratch_base, "%s", env && *env ? env : "/tmp");
}
static int open_volume(pnpbox_machine *m)
{
    int rc;
    if (m->dir) {
        rc = boxfs_machine_open(m->dir, NULL, &m->vol);
        if (rc < 0) {
            emu_set_error(m, "cannot open the volume of machine '%s': %s", m->dir, boxfs_strerror(rc));
            return rc;
        }
        m->voldir = strdup(boxfs_volume_dir(m->vol));
        return m->voldir ? 0 : -ENOMEM;
    }
    const char *tmp = emu_scratch_dir();
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/pnpbox-vol-XXXXXX", tmp);
    if (!mkdtemp(buf)) {
        int e = errno;
        emu_set_error(m, "cannot create a temporary volume in '%s': %s (set PNPBOX_TMPDIR to another directory)",
                      tmp, strerror(e));
        return -e;
    }
    m->voldir = strdup(buf);
    m->embedded = 1;
    if (!m->voldir)
        return -ENOMEM;
    rc = boxfs_volume_open(m->voldir, NULL, &m->vol);
    if (rc == 0)
        rc = boxfs_volume_skeleton(m->vol);
    if (rc < 0)
        emu_set_error(m, "cannot set up the volume in '%s': %s", m->voldir, boxfs_strerror(rc));
    return rc;
}

static __thread char create_err[512];

const char *pnpbox_errmsg(pnpbox_machine *m) { return m ? m->errmsg : create_err; }

int pnpbox_machine_new(const pnpbox_machine_opts *opts, pnpbox_machine **out)
{
    pnpbox_machine_opts o = {0};
    if (opts)
        o = *opts;
    if (!out)
        return -EINVAL;
    /* On a cache-line boundary, so the fields every access reads share two lines (emu.h). */
    pnpbox_machine *m = aligned_alloc(64, (sizeof *m + 63) / 64 * 64);
    if (!m)
        return -ENOMEM;
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    m->mode = o.mode;
    m->langid = o.langid ? o.langid : 0x0409;
    int rc = -ENOMEM;
    if (o.target && !(m->target = strdup(o.target)))
        goto fail;
    if (o.inf_path && !(m->inf_path = strdup(o.inf_path)))
        goto fail;
    if (o.dir) {
        if (!(m->dir = strdup(o.dir)))
            goto fail;
        if ((rc = mkdir_p(m->dir)) < 0) {
            emu_set_error(m, "cannot create machine directory '%s': %s", m->dir, strerror(-rc));
            goto fail;
        }
    }
    if ((rc = open_registry(m)) < 0)
        goto fail;
    if ((rc = regdb_open_key_u8(m->reg, 0, "\\Registry\\Machine\\SYSTEM\\ControlSet001", &m->ccs)) < 0) {
        emu_set_error(m, "registry has no ControlSet001: %s", regdb_strerror(rc));
        goto fail;
    }
    if (m->dir) {
        /* A machine directory persists across processes; its volatile keys from a
         * previous "boot" are kept (the machine has not rebooted), but they must exist. */
        regdb_key k;
        if (regdb_open_key_u8(m->reg, 0, "\\Registry\\Machine\\SYSTEM\\CurrentControlSet", &k) < 0 &&
            (rc = emu_template_volatile(m->reg)) < 0) {
            emu_set_error(m, "cannot recreate volatile registry state: %s", regdb_strerror(rc));
            goto fail;
        }
    }
    if ((rc = open_volume(m)) < 0)
        goto fail;
    if ((rc = emu_fs_attach(m)) < 0)
        goto fail;
    m->harness = pnpbox_component_get(m, PNPBOX_COMP_HARNESS, "harness");
    m->installer = pnpbox_component_get(m, PNPBOX_COMP_INSTALLER, "installer");
    m->external = pnpbox_component_get(m, PNPBOX_COMP_EXTERNAL, "external");
    if (!m->harness || !m->installer || !m->external) {
        rc = -ENOMEM;
        goto fail;
    }
    /* A machine directory's superseded store folders, marked by whichever
     * process updated the package: UPDATE-STALE-PATH holds here too. */
    emu_store_load_stale(m);
    emu_current_machine = m;
    *out = m;
    return 0;
fail:
    /* The machine goes away; keep its message for pnpbox_errmsg(NULL). */
    snprintf(create_err, sizeof create_err, "%s", m->errmsg[0] ? m->errmsg : "cannot create machine");
    pnpbox_machine_free(m);
    return rc < 0 ? rc : -EIO;
}


/*
 * Remove a scratch tree this process made (an embedded machine's volume).
 * Each level reads its entries with getdents64 into a small buffer (no
 * DIR, no fstat or fcntl), unlinks non-directories by their type without
 * trying to open them, removes a directory first with one rmdir (an empty
 * one needs nothing else) and, once a read has emptied a directory, tries
 * to remove it before reading again.  Symlinks are removed, never followed.
 */
static void rmtree_at(int dfd, const char *name, int isdir)
{
    if (!isdir) {
        if (unlinkat(dfd, name, 0) == 0 || errno != EISDIR)
            return;
    }
    if (unlinkat(dfd, name, AT_REMOVEDIR) == 0 || (errno != ENOTEMPTY && errno != EEXIST))
        return;
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[2048] __attribute__((aligned(__alignof__(struct dirent64))));
    int gone = 0;
    while (!gone) {
        ssize_t r = getdents64(fd, buf, sizeof buf);
        if (r <= 0)
            break;
        for (ssize_t off = 0; off < r;) {
            const struct dirent64 *e = (const struct dirent64 *)(buf + off);
            off += e->d_reclen;
            if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
                continue;
            rmtree_at(fd, e->d_name, e->d_type == DT_DIR);
        }
        gone = unlinkat(dfd, name, AT_REMOVEDIR) == 0;
    }
    close(fd);
    if (!gone)
        unlinkat(dfd, name, AT_REMOVEDIR);
}

static void rmtree(const char *path) { rmtree_at(AT_FDCWD, path, 1); }

void pnpbox_machine_free(pnpbox_machine *m)
{
    if (!m)
        return;
    emu_comp_machine_gone(m);
    if (m->pnp)
        emu_pnp_free(m);
    /* After the PnP teardown, so frees in DriverUnload count; then no block
     * of this machine outlives it (pool.h). */
    pnpbox_pool_release(m);
    for (int i = 0; i < m->nhandles; i++)
        if (m->handles[i])
            emu_handle_close(m, (void *)(uintptr_t)(((uintptr_t)i + 1) * 4));
    free(m->handles);
    free(m->hfree);
    boxfs_volume_close(m->vol);
    if (m->embedded && m->voldir)
        rmtree(m->voldir);
    emu_audit_flush(m); /* folded counts still pending, while the registry is open */
    regdb_close(m->reg);
    for (int i = 0; i < m->ncomps; i++) {
        pnpbox_component *c = m->comps[i];
        free(c->name);
        free(c->wname);
        free(c->notify_classes);
        free(c->image_dir);
        free(c);
    }
    free(m->comps);
    free(m->pidmap);
    emu_audit_free(m);
    emu_baseline_free(m->baseline);
    emu_faults_free(m->faults);
    for (int i = 0; i < m->nstale; i++)
        free(m->stale_dirs[i]);
    free(m->stale_dirs);
    free(m->dir);
    free(m->voldir);
    free(m->target);
    free(m->inf_path);
    pthread_mutex_destroy(&m->lock);
    if (emu_current_machine == m)
        emu_current_machine = NULL;
    if (default_machine == m)
        default_machine = NULL;
    free(m);
}

int pnpbox_reboot(pnpbox_machine *m)
{
    if (!m)
        return -EINVAL;
    emu_lock(m);
    /* Stop drivers, reset volatile state, then start the devices that were running. */
    int rc = m->pnp ? emu_pnp_reboot(m) : 0;
    if (rc == 0)
        rc = regdb_reboot(m->reg);
    if (rc == 0)
        rc = emu_template_volatile(m->reg);
    if (rc < 0)
        emu_set_error(m, "reboot failed: %s", regdb_strerror(rc));
    else if (m->pnp)
        emu_pnp_boot(m);
    emu_unlock(m);
    return rc;
}
