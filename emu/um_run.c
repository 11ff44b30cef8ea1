/*
 * um_run.c: a user-mode process attached to a machine (contract in
 * pnpbox/usermode.h): pnpbox_attach / pnpbox_detach, the process bindings
 * the FUSE mount reads, the image path GetModuleFileNameW reports, and the
 * constructor that attaches a program started by `pnpbox run` from the
 * PNPBOX_RUN_* environment variables when libpnpbox is loaded.
 */
#include "pnpbox/usermode.h"

#include "emu/um_int.h"

#include "base/pb_utf16.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static pnpbox_machine *attached;
static char *proc_service; /* the Win32 service this process runs as */

/* The image path set for one component (a process has one image). */
static struct {
    pnpbox_machine *m;
    int id;
    uint16_t *path;
} image;

const char *um_process_service(void) { return proc_service; }

const uint16_t *um_process_image(const pnpbox_component *c)
{
    if (!c || !image.path || c->m != image.m || c->id != image.id)
        return NULL;
    return image.path;
}

int pnpbox_um_set_image(pnpbox_component *c, const char *win32_path)
{
    if (!c)
        return -EINVAL;
    pnpbox_machine *m = c->m;
    if (!win32_path) {
        emu_lock(m);
        if (image.m == m && image.id == c->id) {
            free(image.path);
            memset(&image, 0, sizeof image);
        }
        emu_unlock(m);
        return 0;
    }
    uint16_t *w = pb_wcs_from_utf8(win32_path);
    if (!w)
        return -EINVAL;
    char *vpath = NULL;
    if (emu_win32_to_vpath(w, pb_wcslen(w), &vpath) != 0 || !strrchr(vpath, '\\') || strrchr(vpath, '\\') == vpath) {
        free(vpath);
        free(w);
        return -EINVAL;
    }
    *strrchr(vpath, '\\') = 0; /* the image's directory */
    emu_lock(m);
    free(c->image_dir);
    c->image_dir = vpath;
    free(image.path);
    image.m = m;
    image.id = c->id;
    image.path = w;
    emu_unlock(m);
    return 0;
}

int pnpbox_um_bind_process(pnpbox_machine *m, pnpbox_component *c, int pid)
{
    if (!m || !c || pid <= 0)
        return -EINVAL;
    int rc = pnpbox_component_bind_pid(m, c, pid);
    if (rc < 0 || !m->dir)
        return rc;
    emu_lock(m);
    sqlite3_stmt *s = NULL;
    rc = sqlite3_prepare_v2(regdb_sqlite(m->reg),
                            "INSERT OR REPLACE INTO process_bindings(pid, kind, name) VALUES(?,?,?)", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(s, 1, pid);
        sqlite3_bind_int(s, 2, (int)c->kind);
        sqlite3_bind_text(s, 3, c->name, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        emu_set_error(m, "cannot record the binding of process %d to '%s': %s", pid, c->name,
                      sqlite3_errmsg(regdb_sqlite(m->reg)));
    emu_unlock(m);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

int pnpbox_um_unbind_process(pnpbox_machine *m, int pid)
{
    if (!m || pid <= 0)
        return -EINVAL;
    emu_lock(m);
    for (int i = 0; i < m->npid; i++) {
        if (m->pidmap[i].pid == pid) {
            m->pidmap[i] = m->pidmap[--m->npid];
            break;
        }
    }
    int rc = SQLITE_DONE;
    if (m->dir) {
        sqlite3_stmt *s = NULL;
        rc = sqlite3_prepare_v2(regdb_sqlite(m->reg), "DELETE FROM process_bindings WHERE pid = ?", -1, &s, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int(s, 1, pid);
            rc = sqlite3_step(s);
        }
        sqlite3_finalize(s);
    }
    emu_unlock(m);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

int pnpbox_attach(const char *dir, pnpbox_component_kind kind, const char *name)
{
    if (!dir || !*dir || !name || !*name || (kind != PNPBOX_COMP_WIN32_SERVICE && kind != PNPBOX_COMP_APP))
        return -EINVAL;
    pthread_mutex_lock(&run_lock);
    int rc;
    if (attached) {
        rc = -EBUSY;
        goto out;
    }
    pnpbox_machine_opts o = {.dir = dir};
    pnpbox_machine *m = NULL;
    if ((rc = pnpbox_machine_new(&o, &m)) < 0)
        goto out;
    pnpbox_component *c = pnpbox_component_get(m, kind, name);
    char *svc = kind == PNPBOX_COMP_WIN32_SERVICE ? strdup(name) : NULL;
    if (!c || (kind == PNPBOX_COMP_WIN32_SERVICE && !svc)) {
        free(svc);
        pnpbox_machine_free(m);
        rc = -ENOMEM;
        goto out;
    }
    if ((rc = pnpbox_um_bind_process(m, c, (int)getpid())) < 0) {
        free(svc);
        pnpbox_machine_free(m);
        goto out;
    }
    attached = m;
    proc_service = svc;
    pnpbox_set_current(m);
    pnpbox_enter(c);
    emu_set_process_component(c); /* threads the program creates run as it too */
    emu_lock(m);
    um_service_note_image(m, c);
    emu_unlock(m);
out:
    pthread_mutex_unlock(&run_lock);
    return rc;
}

void pnpbox_detach(void)
{
    pthread_mutex_lock(&run_lock);
    pnpbox_machine *m = attached;
    if (m) {
        pnpbox_um_unbind_process(m, (int)getpid());
        pnpbox_enter(NULL);
        emu_set_process_component(NULL);
        if (image.m == m) {
            free(image.path);
            memset(&image, 0, sizeof image);
        }
        pnpbox_machine_free(m);
        attached = NULL;
        free(proc_service);
        proc_service = NULL;
    }
    pthread_mutex_unlock(&run_lock);
}

pnpbox_machine *pnpbox_attached(void) { return attached; }

size_t pnpbox_um_pump(pnpbox_machine *m)
{
    if (!m)
        return 0;
    emu_lock(m);
    size_t n = um_cfg_pump(m);
    emu_unlock(m);
    return n;
}

static void detach_at_exit(void) { pnpbox_detach(); }

/*
 * `pnpbox run` starts programs with PNPBOX_RUN_MACHINE set: attach before
 * main() runs, so the program's first Win32 call already runs as its
 * component on that machine.  Failing to attach ends the process (127):
 * running against an embedded machine instead would silently record
 * nothing where the user looks.
 */
__attribute__((constructor)) static void um_autoattach(void)
{
    const char *dir = getenv(PNPBOX_ENV_MACHINE);
    if (!dir || !*dir)
        return;
    const char *spec = getenv(PNPBOX_ENV_COMPONENT);
    pnpbox_component_kind kind = PNPBOX_COMP_APP;
    const char *name = program_invocation_short_name;
    if (spec && *spec) {
        if (!strncmp(spec, "service:", 8)) {
            kind = PNPBOX_COMP_WIN32_SERVICE;
            name = spec + 8;
        } else if (!strncmp(spec, "app:", 4)) {
            name = spec + 4;
        } else {
            fprintf(stderr, "pnpbox: cannot attach to machine '%s': %s='%s' is neither service:NAME nor app:NAME\n",
                    dir, PNPBOX_ENV_COMPONENT, spec);
            exit(127);
        }
    }
    int rc = pnpbox_attach(dir, kind, name);
    if (rc < 0) {
        const char *why = pnpbox_errmsg(NULL);
        fprintf(stderr, "pnpbox: cannot attach to machine '%s' as %s '%s': %s\n", dir,
                kind == PNPBOX_COMP_WIN32_SERVICE ? "service" : "app", name, why && *why ? why : pnpbox_strerror(rc));
        exit(127);
    }
    /* The machine's mode is not stored in its directory: each process runs in the mode it is given. */
    const char *mode = getenv(PNPBOX_ENV_MODE);
    if (mode && *mode) {
        if (!strcasecmp(mode, "report")) {
            pnpbox_set_mode(attached, PNPBOX_MODE_REPORT);
        } else if (!strcasecmp(mode, "enforce")) {
            pnpbox_set_mode(attached, PNPBOX_MODE_ENFORCE);
        } else if (!strcasecmp(mode, "fail-fast")) {
            pnpbox_set_mode(attached, PNPBOX_MODE_FAILFAST);
        } else {
            fprintf(stderr, "pnpbox: cannot attach to machine '%s': %s='%s' is not report, enforce or fail-fast\n",
                    dir, PNPBOX_ENV_MODE, mode);
            pnpbox_detach();
            exit(127);
        }
    }
    const char *img = getenv(PNPBOX_ENV_IMAGE);
    if (img && *img && pnpbox_um_set_image(pnpbox_current_component(), img) < 0) {
        fprintf(stderr, "pnpbox: cannot use image path '%s': not a path on C:\n", img);
        pnpbox_detach();
        exit(127);
    }
    atexit(detach_at_exit);
}
