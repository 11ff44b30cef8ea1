/*
 * fsglue.c: the machine's file-system policy.  boxfs hands every request,
 * from in-process Zw*File / CreateFileW calls and from other processes
 * through the FUSE mount alike, to this one callback (DESIGN.md: fs/ calls
 * a policy it is given and knows no rules).  It judges the access with the
 * isolation rules, refuses what Windows itself refuses (the driver store
 * is read-only to everyone but the installer staging packages), and
 * records the outcome when boxfs reports it completed.
 *
 * In-process callers pass an emu_fs_ctx as boxfs_caller.component so the
 * judge sees the handle provenance; FUSE callers are mapped from their
 * process to a component and count as absolute paths.  Data transfers
 * (read, write, stat, flush) on an already-opened handle are neither judged
 * nor recorded again: the open that granted the access was.
 */
#include "emu/fsglue.h"

#include <ntstatus.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static __thread emu_verdict last_verdict;
static __thread int last_judged;

static int judged_op(boxfs_op op)
{
    switch (op) {
    case BOXFS_OP_OPEN:
    case BOXFS_OP_MKDIR:
    case BOXFS_OP_RENAME:
    case BOXFS_OP_DELETE:
    case BOXFS_OP_LIST:
    case BOXFS_OP_TRUNCATE:
    case BOXFS_OP_SETATTR:
    case BOXFS_OP_LINK:
    case BOXFS_OP_CLOSE_DELETE:
        return 1;
    default:
        return 0;
    }
}

static emu_op op_of(const boxfs_request *r)
{
    switch (r->op) {
    case BOXFS_OP_OPEN: return (r->access & BOXFS_ACCESS_CREATE) && !r->exists ? EMU_OP_CREATE : EMU_OP_OPEN;
    case BOXFS_OP_MKDIR: return EMU_OP_CREATE;
    case BOXFS_OP_RENAME: return EMU_OP_RENAME;
    case BOXFS_OP_DELETE:
    case BOXFS_OP_CLOSE_DELETE: return EMU_OP_DELETE;
    case BOXFS_OP_LIST: return EMU_OP_ENUM;
    case BOXFS_OP_READ: return EMU_OP_READ;
    default: return EMU_OP_WRITE;
    }
}

static void describe(pnpbox_machine *m, const boxfs_request *r, emu_access *a, char *apibuf, size_t cap)
{
    const emu_fs_ctx *fc = r->caller ? (const emu_fs_ctx *)r->caller->component : NULL;
    memset(a, 0, sizeof *a);
    a->kind = EMU_ACC_FILE;
    a->op = op_of(r);
    a->path = r->path;
    a->access = r->access;
    a->write = (r->access & BOXFS_ACCESS_MODIFY) != 0 || r->op == BOXFS_OP_MKDIR || r->op == BOXFS_OP_RENAME ||
               r->op == BOXFS_OP_DELETE || r->op == BOXFS_OP_CLOSE_DELETE;
    a->creates = (r->access & BOXFS_ACCESS_CREATE) && !r->exists;
    if (r->op == BOXFS_OP_MKDIR)
        a->creates = 1;
    a->is_dir = r->is_dir || r->op == BOXFS_OP_MKDIR;
    if (fc) {
        a->comp = fc->comp;
        a->prov = fc->prov;
        a->absolute = fc->absolute;
        a->api = fc->api;
        a->caller = fc->caller;
    } else {
        a->comp = emu_comp_for_pid(m, r->caller ? r->caller->tgid : 0);
        a->absolute = 1;
        snprintf(apibuf, cap, "fuse:%s", boxfs_op_name(r->op));
        a->api = apibuf;
        a->via = "fuse";
    }
}

static int store_path(const char *p)
{
    return p && !strncasecmp(p, "\\Windows\\System32\\DriverStore", 29) && (p[29] == 0 || p[29] == '\\');
}

static int policy(void *ctx, const boxfs_request *r)
{
    pnpbox_machine *m = ctx;
    last_judged = 0;
    if (!judged_op(r->op))
        return 0;
    emu_access a;
    char api[64];
    describe(m, r, &a, api, sizeof api);
    emu_judge(m, &a, &last_verdict);
    last_judged = 1;
    pnpbox_component *c = a.comp ? a.comp : emu_comp();
    /* Windows itself: the driver store is immutable outside staging (reference §1.14, §4). */
    int modifies = a.write || r->op == BOXFS_OP_LINK;
    if (modifies && (store_path(r->path) || store_path(r->path2)) && (!c || c->kind != PNPBOX_COMP_INSTALLER))
        return BOXFS_E_ROFS;
    if (last_verdict.deny)
        return BOXFS_E_ACCESS;
    return 0;
}

static void completed(void *ctx, const boxfs_request *r, int status)
{
    pnpbox_machine *m = ctx;
    if (!last_judged && r->op != BOXFS_OP_CLOSE_DELETE)
        return;
    emu_access a;
    char api[64];
    describe(m, r, &a, api, sizeof api);
    if (!last_judged)
        emu_judge(m, &a, &last_verdict);
    emu_record(m, &a, &last_verdict, status >= 0 ? STATUS_SUCCESS : emu_status_from_boxfs(status));
    last_judged = 0;
}

int emu_fs_attach(pnpbox_machine *m)
{
    boxfs_volume_set_policy(m->vol, policy, m);
    boxfs_volume_set_completed(m->vol, completed, m);
    return 0;
}

void emu_fs_caller(boxfs_caller *who, emu_fs_ctx *fc)
{
    memset(who, 0, sizeof *who);
    who->pid = 0;
    who->tgid = 0;
    who->component = fc;
    who->component_name = fc && fc->comp ? fc->comp->name : NULL;
}
