/*
 * boxfs_policy.c: the default volume policy (contract in boxfs.h, "the
 * default policy"): allow and record everything, except changes inside
 * the read-only areas Windows itself keeps read-only, the driver store
 * above all (reference §1.14: driver-store files are never modified
 * outside staging; §4: the driver store is read-only).
 */
#include "fs/boxfs_int.h"

#include <stdlib.h>
#include <string.h>

struct boxfs_default_policy {
    char **prefixes; /* NULL-terminated copies */
    size_t nprefixes;
    boxfs_record_fn record;
    void *record_ctx;
    int (*exempt)(void *ctx, const boxfs_request *req);
    void *exempt_ctx;
};

static const char *const default_prefixes[] = {"\\Windows\\System32\\DriverStore", NULL};

/* A prefix must be a valid volume path (each component a valid name). */
static int prefix_valid(const char *p)
{
    boxfs_pathv pv;
    int err = boxfs_path_parse(p, 0, &pv);
    boxfs_pathv_free(&pv);
    return err;
}

int boxfs_default_policy_new(const boxfs_default_policy_opts *opts, boxfs_default_policy **out)
{
    const char *const *src = opts && opts->readonly_prefixes ? opts->readonly_prefixes
                                                             : default_prefixes;
    boxfs_default_policy *p;
    size_t n = 0;
    int err;
    if (!out)
        return BOXFS_E_INVAL;
    while (src[n])
        n++;
    for (size_t i = 0; i < n; i++)
        if ((err = prefix_valid(src[i])))
            return err;
    p = calloc(1, sizeof *p);
    if (!p)
        return BOXFS_E_NOMEM;
    p->prefixes = calloc(n + 1, sizeof *p->prefixes);
    if (!p->prefixes)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        p->prefixes[i] = strdup(src[i]);
        if (!p->prefixes[i])
            goto fail;
        p->nprefixes++;
    }
    if (opts) {
        p->record = opts->record;
        p->record_ctx = opts->record_ctx;
        p->exempt = opts->exempt;
        p->exempt_ctx = opts->exempt_ctx;
    }
    *out = p;
    return 0;
fail:
    boxfs_default_policy_free(p);
    return BOXFS_E_NOMEM;
}

void boxfs_default_policy_free(boxfs_default_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nprefixes; i++)
        free(p->prefixes[i]);
    free(p->prefixes);
    free(p);
}

static int read_only(const boxfs_default_policy *p, const char *path)
{
    if (!path)
        return 0;
    for (size_t i = 0; i < p->nprefixes; i++)
        if (boxfs_path_under(path, p->prefixes[i]))
            return 1;
    return 0;
}

int boxfs_default_policy_check(void *ctx, const boxfs_request *req)
{
    const boxfs_default_policy *p = ctx;
    if (!p || !req)
        return BOXFS_E_ACCESS;
    if (!(req->access & BOXFS_ACCESS_MODIFY))
        return 0;
    if (!read_only(p, req->path) && !read_only(p, req->path2))
        return 0;
    if (p->exempt && p->exempt(p->exempt_ctx, req))
        return 0;
    return BOXFS_E_ROFS;
}

void boxfs_default_policy_completed(void *ctx, const boxfs_request *req, int status)
{
    const boxfs_default_policy *p = ctx;
    if (p && p->record)
        p->record(p->record_ctx, req, status);
}

void boxfs_default_policy_install(boxfs_default_policy *p, boxfs *vol)
{
    boxfs_volume_set_policy(vol, p ? boxfs_default_policy_check : NULL, p);
    boxfs_volume_set_completed(vol, p ? boxfs_default_policy_completed : NULL, p);
}
