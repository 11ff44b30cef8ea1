/*
 * test_policy.c: every operation is put to the policy callback with the
 * caller, the op, the stored-case path and the access, refused operations
 * change nothing, the completed callback sees every outcome; and the
 * default policy keeps the driver store read-only.
 */
#include "tests/fs/fs_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(fs_policy, .init = fst_setup, .fini = fst_teardown);

/* A scripted policy: records what it is asked, refuses one path. */
typedef struct asked {
    boxfs_request req;
    char path[256], path2[256];
    boxfs_caller caller;
} asked;
static asked log_[256];
static int nlog;
static const char *deny_path;
static int deny_code;

static int scripted(void *ctx, const boxfs_request *req)
{
    (void)ctx;
    if (nlog < 256) {
        asked *a = &log_[nlog++];
        a->req = *req;
        snprintf(a->path, sizeof a->path, "%s", req->path ? req->path : "");
        snprintf(a->path2, sizeof a->path2, "%s", req->path2 ? req->path2 : "");
        a->caller = *req->caller;
    }
    if (deny_path && (boxfs_path_under(req->path, deny_path) ||
                      (req->path2 && boxfs_path_under(req->path2, deny_path))))
        return deny_code;
    return 0;
}

static const asked *last_asked(void)
{
    return nlog ? &log_[nlog - 1] : NULL;
}

static void use_scripted(void)
{
    nlog = 0;
    deny_path = NULL;
    boxfs_volume_set_policy(fst.vol, scripted, NULL);
    fst_record();
}

Test(fs_policy, requests_carry_the_caller_op_path_and_access)
{
    boxfs_caller who = {.pid = 41, .tgid = 42, .uid = 7, .gid = 8, .component = &who,
                        .component_name = "Contoso.sys"};
    boxfs_open_args oa = {.path = "\\programdata\\NEW.txt",
                          .access = BOXFS_ACCESS_READ | BOXFS_ACCESS_WRITE | BOXFS_ACCESS_DELETE,
                          .disposition = BOXFS_OPEN_IF};
    boxfs_file *f, *d;
    size_t n;
    char buf[8];
    const asked *a;
    use_scripted();
    /* open that creates: CREATE added, stored case for existing parts */
    cr_assert_eq(boxfs_open(fst.vol, &who, &oa, &f, NULL), 0);
    a = last_asked();
    cr_expect_eq(a->req.op, BOXFS_OP_OPEN);
    cr_expect_str_eq(a->path, "\\ProgramData\\NEW.txt");
    cr_expect_eq(a->req.access, BOXFS_ACCESS_READ | BOXFS_ACCESS_WRITE | BOXFS_ACCESS_DELETE |
                                    BOXFS_ACCESS_CREATE);
    cr_expect_eq(a->req.exists, 0);
    cr_expect_eq(a->req.disposition, BOXFS_OPEN_IF);
    cr_expect_eq(a->req.via_fuse, 0);
    cr_expect_eq(a->caller.pid, 41);
    cr_expect_eq(a->caller.tgid, 42);
    cr_expect_eq(a->caller.uid, 7);
    cr_expect_eq(a->caller.component, &who);
    cr_expect_str_eq(a->caller.component_name, "Contoso.sys");
    /* write at the end: offset UINT64_MAX */
    cr_expect_eq(boxfs_write(f, &who, "abc", 3, BOXFS_POS_EOF, &n), 0);
    a = last_asked();
    cr_expect_eq(a->req.op, BOXFS_OP_WRITE);
    cr_expect_eq(a->req.access, BOXFS_ACCESS_WRITE);
    cr_expect_eq(a->req.offset, UINT64_MAX);
    cr_expect_eq(a->req.length, 3);
    cr_expect_str_eq(a->path, "\\ProgramData\\NEW.txt");
    cr_expect_eq(boxfs_read(f, NULL, buf, 2, 1, &n), 0);
    a = last_asked();
    cr_expect_eq(a->req.op, BOXFS_OP_READ);
    cr_expect_eq(a->req.offset, 1);
    cr_expect_eq(a->req.length, 2);
    cr_expect_eq(a->caller.component, &who, "the opener by default");
    cr_expect_eq(boxfs_set_size(f, NULL, 1), 0);
    a = last_asked();
    cr_expect_eq(a->req.op, BOXFS_OP_TRUNCATE);
    cr_expect_eq(a->req.length, 1);
    cr_expect_eq(boxfs_flush(f, NULL), 0);
    cr_expect_eq(last_asked()->req.op, BOXFS_OP_FLUSH);
    cr_expect_eq(boxfs_rename(f, NULL, NULL, "\\ProgramData\\Renamed.txt", 0), 0);
    a = last_asked();
    cr_expect_eq(a->req.op, BOXFS_OP_RENAME);
    cr_expect_str_eq(a->path, "\\ProgramData\\NEW.txt");
    cr_expect_str_eq(a->path2, "\\ProgramData\\Renamed.txt");
    cr_expect_eq(a->req.access, BOXFS_ACCESS_DELETE | BOXFS_ACCESS_CREATE);
    cr_expect_eq(boxfs_set_delete(f, NULL, 1), 0);
    a = last_asked();
    cr_expect_eq(a->req.op, BOXFS_OP_DELETE);
    cr_expect_str_eq(a->path, "\\ProgramData\\Renamed.txt");
    cr_expect_eq(boxfs_close(f), 0);
    {
        const fst_event *e = fst_find_event(BOXFS_OP_CLOSE_DELETE, "\\ProgramData\\Renamed.txt");
        cr_assert_not_null(e, "the deletion at close is reported");
        cr_expect_eq(e->status, 0);
    }
    /* stat, list, mkdir, delete of a missing path */
    cr_expect_eq(boxfs_mkdir(fst.vol, NULL, NULL, "/windows/TEMP/sub"), 0);
    a = last_asked();
    cr_expect_eq(a->req.op, BOXFS_OP_MKDIR);
    cr_expect_str_eq(a->path, "\\Windows\\Temp\\sub");
    cr_expect_eq(a->req.access, BOXFS_ACCESS_CREATE);
    cr_expect_eq(a->req.is_dir, 1);
    cr_expect_eq(a->caller.tgid, getpid(), "NULL caller: this process");
    cr_expect_eq(a->caller.pid, gettid());
    cr_expect_null(a->caller.component);
    cr_assert_eq(fst_open("\\Windows\\temp", BOXFS_ACCESS_LIST, BOXFS_OPEN, 0, &d, NULL), 0);
    {
        boxfs_dirent e;
        cr_expect_eq(boxfs_dir_read(d, NULL, &e), 0);
    }
    a = last_asked();
    cr_expect_eq(a->req.op, BOXFS_OP_LIST);
    cr_expect_str_eq(a->path, "\\Windows\\Temp");
    boxfs_close(d);
    cr_expect_eq(boxfs_delete(fst.vol, NULL, NULL, "\\Windows\\Temp\\Missing\\x"),
                 BOXFS_E_PATHNOTFOUND);
    a = last_asked();
    cr_expect_eq(a->req.op, BOXFS_OP_DELETE);
    cr_expect_str_eq(a->path, "\\Windows\\Temp\\Missing\\x", "missing parts as given");
    cr_expect_eq(a->req.exists, 0);
    {
        const fst_event *e = fst_find_event(BOXFS_OP_DELETE, "\\Windows\\Temp\\Missing\\x");
        cr_assert_not_null(e);
        cr_expect_eq(e->status, BOXFS_E_PATHNOTFOUND);
        cr_expect_eq(e->verdict, 0);
    }
}

Test(fs_policy, a_refusal_changes_nothing)
{
    boxfs_file *f;
    char *before, *after;
    use_scripted();
    {
        char *d = fst_host("ProgramData/Secret");
        cr_assert_eq(mkdir(d, 0755), 0);
        free(d);
    }
    fst_host_write("ProgramData/Secret/keep.txt", "k");
    before = fst_tree(fst.voldir);
    deny_path = "\\ProgramData\\Secret";
    deny_code = BOXFS_E_ACCESS;
    cr_expect_eq(fst_open("\\ProgramData\\secret\\new.txt", BOXFS_ACCESS_WRITE, BOXFS_CREATE, 0, &f,
                          NULL),
                 BOXFS_E_ACCESS);
    cr_expect_eq(fst_open("\\ProgramData\\secret\\keep.txt", BOXFS_ACCESS_WRITE, BOXFS_OVERWRITE, 0,
                          &f, NULL),
                 BOXFS_E_ACCESS);
    cr_expect_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\ProgramData\\Secret\\d"), BOXFS_E_ACCESS);
    cr_expect_eq(boxfs_delete(fst.vol, NULL, NULL, "\\ProgramData\\Secret\\keep.txt"),
                 BOXFS_E_ACCESS);
    cr_expect_eq(boxfs_rename_path(fst.vol, NULL, "\\ProgramData\\Secret\\keep.txt",
                                   "\\ProgramData\\out.txt", 0),
                 BOXFS_E_ACCESS);
    cr_expect_eq(boxfs_delete(fst.vol, NULL, NULL, "\\ProgramData\\Secret\\nope\\x"),
                 BOXFS_E_ACCESS, "the policy's answer wins over a missing path");
    /* a custom code is passed through; a positive answer is a refusal */
    deny_code = BOXFS_E_ROFS;
    cr_expect_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\ProgramData\\Secret\\d"), BOXFS_E_ROFS);
    deny_code = 5;
    cr_expect_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\ProgramData\\Secret\\d"), BOXFS_E_ACCESS);
    after = fst_tree(fst.voldir);
    cr_expect_str_eq(before, after);
    {
        const fst_event *e = fst_find_event(BOXFS_OP_RENAME, "\\ProgramData\\Secret\\keep.txt");
        cr_assert_not_null(e);
        cr_expect_eq(e->status, BOXFS_E_ACCESS);
        cr_expect_eq(e->verdict, BOXFS_E_ACCESS);
        cr_expect_str_eq(e->path2, "\\ProgramData\\out.txt");
    }
    free(before);
    free(after);
}

Test(fs_policy, bad_names_are_reported_but_not_asked)
{
    boxfs_file *f;
    use_scripted();
    cr_expect_eq(fst_open("\\ProgramData\\a:b", BOXFS_ACCESS_WRITE, BOXFS_CREATE, 0, &f, NULL),
                 BOXFS_E_NAMEINVALID);
    cr_expect_eq(fst_open("\\ProgramData\\..\\x\xff", BOXFS_ACCESS_WRITE, BOXFS_CREATE, 0, &f, NULL),
                 BOXFS_E_NAMEINVALID, "invalid UTF-8 anywhere is refused first");
    cr_expect_eq(nlog, 0, "the policy was not asked");
    cr_assert_eq(fst_nevents(), 2);
    cr_expect_str_eq(fst_events()[0].path, "\\ProgramData\\a:b");
    cr_expect_eq(fst_events()[0].status, BOXFS_E_NAMEINVALID);
    cr_expect_str_eq(fst_events()[1].path, "\\ProgramData\\..\\x\xef\xbf\xbd", "shown as U+FFFD");
}

/* ---- the default policy ---- */

static boxfs_request recorded[512];
static int nrecorded;
static void record_hook(void *ctx, const boxfs_request *req, int status)
{
    (void)ctx;
    (void)status;
    if (nrecorded < 512)
        recorded[nrecorded++] = *req;
}

static int installer_exempt(void *ctx, const boxfs_request *req)
{
    return req->caller && req->caller->component == ctx;
}

Test(fs_policy, default_policy_keeps_the_driver_store_read_only)
{
    boxfs_default_policy *p;
    boxfs_default_policy_opts o = {.record = record_hook};
    boxfs_file *f;
    size_t n;
    char buf[8];
    char *before, *after;
    cr_assert_eq(boxfs_default_policy_new(&o, &p), 0);
    boxfs_default_policy_install(p, fst.vol);
    fst_host_write("Windows/System32/DriverStore/FileRepository/x.inf_amd64_0123456789abcdef",
                   "");
    {
        char *dir = fst_host("Windows/System32/DriverStore/FileRepository/pkg.inf_amd64_00");
        cr_assert_eq(mkdir(dir, 0755), 0);
        free(dir);
    }
    fst_host_write("Windows/System32/DriverStore/FileRepository/pkg.inf_amd64_00/pkg.sys", "MZ");
    fst_host_write("ProgramData/in.sys", "x");
    before = fst_tree(fst.voldir);
    /* reads are allowed */
    cr_assert_eq(fst_open("\\windows\\system32\\driverstore\\filerepository\\PKG.INF_AMD64_00\\pkg.sys",
                          BOXFS_ACCESS_READ, BOXFS_OPEN, 0, &f, NULL), 0);
    cr_expect_eq(boxfs_read(f, NULL, buf, 2, 0, &n), 0);
    boxfs_close(f);
    cr_expect_eq(fst_open("\\Windows\\System32\\DriverStore\\FileRepository\\pkg.inf_amd64_00\\pkg.sys",
                          BOXFS_ACCESS_READ, BOXFS_OPEN_IF, 0, &f, NULL), 0,
                 "OPEN_IF of an existing file creates nothing");
    boxfs_close(f);
    /* every change is refused with EROFS */
    cr_expect_eq(fst_open("\\Windows\\System32\\DriverStore\\FileRepository\\pkg.inf_amd64_00\\pkg.sys",
                          BOXFS_ACCESS_WRITE, BOXFS_OPEN, 0, &f, NULL), BOXFS_E_ROFS);
    cr_expect_eq(fst_open("\\Windows\\System32\\DriverStore\\FileRepository\\pkg.inf_amd64_00\\pkg.sys",
                          BOXFS_ACCESS_READ, BOXFS_OVERWRITE, 0, &f, NULL), BOXFS_E_ROFS);
    cr_expect_eq(fst_open("\\Windows\\System32\\DriverStore\\FileRepository\\pkg.inf_amd64_00\\new.dat",
                          BOXFS_ACCESS_READ, BOXFS_OPEN_IF, 0, &f, NULL), BOXFS_E_ROFS);
    cr_expect_eq(fst_open("\\Windows\\System32\\DriverStore\\FileRepository\\pkg.inf_amd64_00\\pkg.sys",
                          BOXFS_ACCESS_READ | BOXFS_ACCESS_DELETE, BOXFS_OPEN, BOXFS_DELETE_ON_CLOSE,
                          &f, NULL), BOXFS_E_ROFS);
    cr_expect_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\Windows\\System32\\DriverStore\\New"),
                 BOXFS_E_ROFS);
    cr_expect_eq(boxfs_delete(fst.vol, NULL, NULL,
                              "\\Windows\\System32\\DriverStore\\FileRepository\\pkg.inf_amd64_00\\pkg.sys"),
                 BOXFS_E_ROFS);
    cr_expect_eq(boxfs_rmdir(fst.vol, NULL, NULL, "\\Windows\\System32\\DriverStore"), BOXFS_E_ROFS);
    cr_expect_eq(boxfs_rename_path(fst.vol, NULL,
                                   "\\Windows\\System32\\DriverStore\\FileRepository\\pkg.inf_amd64_00",
                                   "\\ProgramData\\stolen", 0),
                 BOXFS_E_ROFS, "out of the store");
    cr_expect_eq(boxfs_rename_path(fst.vol, NULL, "\\ProgramData\\in.sys",
                                   "\\Windows\\System32\\DriverStore\\in.sys", 0),
                 BOXFS_E_ROFS, "into the store");
    cr_expect_eq(boxfs_rename_path(fst.vol, NULL, "\\Windows\\System32\\DriverStore",
                                   "\\Windows\\System32\\DriverStore2", 0),
                 BOXFS_E_ROFS, "the store itself");
    {
        boxfs_setattr_args a = {.mask = BOXFS_SET_READONLY};
        cr_assert_eq(fst_open("\\Windows\\System32\\DriverStore", BOXFS_ACCESS_WRITE_ATTR,
                              BOXFS_OPEN, 0, &f, NULL), BOXFS_E_ROFS);
        cr_assert_eq(fst_open("\\Windows\\System32\\DriverStore", BOXFS_ACCESS_LIST, BOXFS_OPEN, 0,
                              &f, NULL), 0);
        cr_expect_eq(boxfs_setattr(f, NULL, &a), BOXFS_E_BADF);
        boxfs_close(f);
    }
    after = fst_tree(fst.voldir);
    cr_expect_str_neq(before, "");
    cr_expect_str_eq(before, after);
    /* outside the store everything is allowed */
    cr_expect_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\Windows\\System32\\DriverStoreX"), 0);
    cr_expect_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\Windows\\System32\\drivers\\DriverData\\Co"), 0);
    /* and everything was recorded, refusals with their verdict */
    cr_expect_gt(nrecorded, 15);
    {
        int rofs = 0;
        for (int i = 0; i < nrecorded; i++)
            rofs += recorded[i].verdict == BOXFS_E_ROFS;
        cr_expect_eq(rofs, 11, "one per refused request, got %d", rofs);
    }
    boxfs_default_policy_install(NULL, fst.vol);
    boxfs_default_policy_free(p);
    free(before);
    free(after);
}

Test(fs_policy, default_policy_prefixes_and_exemptions)
{
    boxfs_default_policy *p;
    const char *prefixes[] = {"/Windows/INF", "\\ProgramData\\Locked", NULL};
    const char *bad[] = {"\\Windows\\a:b", NULL};
    int installer;
    boxfs_caller inst = {.pid = 1, .tgid = 1, .component = &installer};
    boxfs_default_policy_opts o = {.readonly_prefixes = prefixes, .exempt = installer_exempt,
                                   .exempt_ctx = &installer};
    boxfs_file *f;
    boxfs_open_args oa = {.path = "\\Windows\\INF\\oem0.inf", .access = BOXFS_ACCESS_WRITE,
                          .disposition = BOXFS_CREATE};
    cr_expect_eq(boxfs_default_policy_new(NULL, NULL), BOXFS_E_INVAL);
    o.readonly_prefixes = bad;
    cr_expect_eq(boxfs_default_policy_new(&o, &p), BOXFS_E_NAMEINVALID);
    o.readonly_prefixes = prefixes;
    cr_assert_eq(boxfs_default_policy_new(&o, &p), 0);
    boxfs_default_policy_install(p, fst.vol);
    cr_expect_eq(boxfs_open(fst.vol, NULL, &oa, &f, NULL), BOXFS_E_ROFS);
    cr_expect_eq(boxfs_open(fst.vol, &inst, &oa, &f, NULL), 0, "the installer is exempt");
    boxfs_close(f);
    cr_expect_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\ProgramData\\locked"), BOXFS_E_ROFS);
    cr_expect_eq(boxfs_mkdir(fst.vol, NULL, NULL, "\\Windows\\System32\\DriverStore\\Mine"), 0,
                 "not a prefix of this policy");
    cr_expect_eq(boxfs_default_policy_check(NULL, NULL), BOXFS_E_ACCESS);
    boxfs_default_policy_completed(NULL, NULL, 0);
    boxfs_default_policy_install(NULL, fst.vol);
    boxfs_default_policy_free(p);
    boxfs_default_policy_free(NULL);
}
