/*
 * cli_mount.c: `pnpbox [--machine DIR] mount MOUNTPOINT [--background]`:
 * serve the machine's C:\ volume over FUSE (fs/boxfs.h), with the default
 * policy (the driver store is read-only: EROFS) and every caller mapped to
 * the "external" component until the machine's component table exists.
 * The access log shows what each open was granted, since with passthrough
 * the data moved on a handle never comes by as requests of its own.
 */
#include "harness/cli/cli.h"

#include "fs/boxfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void mount_usage(FILE *f)
{
    fprintf(f,
            "usage: pnpbox [--machine DIR] mount MOUNTPOINT [OPTIONS]\n\n"
            "Mount the machine's C:\\ volume (DIR/volume) at MOUNTPOINT through FUSE, so\n"
            "any process can reach it.  Names are case-insensitive and case-preserving,\n"
            "Windows' invalid names are refused (EINVAL), links cannot be made (EPERM),\n"
            "and the driver store (\\Windows\\System32\\DriverStore) is read-only (EROFS).\n"
            "The machine directory, its volume and MOUNTPOINT are created if missing; a\n"
            "stale mount left at MOUNTPOINT by a killed daemon is cleaned up first.\n\n"
            "Runs in the foreground until unmounted (fusermount3 -u MOUNTPOINT) or\n"
            "interrupted (SIGINT, SIGTERM), then unmounts cleanly.\n\n"
            "Every open is judged with its caller and the access it asks for. Where\n"
            "the kernel offers FUSE passthrough (Linux 6.9+) and the daemon runs as\n"
            "root, the reads and writes on an opened file then go straight to the\n"
            "backing file, as fast as on the host; otherwise each one comes to the\n"
            "daemon as a request of its own.\n\n"
            "Options:\n"
            "  --background      return once the mount is ready; the daemon keeps serving\n"
            "  --log FILE        one line per access: pid tgid component op path status,\n"
            "                    an open with the access it asked for, e.g.\n"
            "                    open(read,write,create); '-' for stderr\n"
            "  --no-passthrough  move all file data through the daemon\n"
            "                    (PNPBOX_FUSE_PASSTHROUGH=0 does the same)\n"
            "  --allow-other     let other users in (root, or user_allow_other)\n"
            "  --fuse-debug      libfuse's request trace on stderr\n"
            "  -h, --help        this help\n\n"
            "Exit status: 0 mounted and later unmounted cleanly, 1 failed, 2 bad usage.\n");
}

typedef struct mount_log {
    FILE *f;
    pthread_mutex_t lock;
} mount_log;

/* "(read,write)": the access an open asks for, or "" for other requests. */
static void access_text(const boxfs_request *req, char *buf, size_t cap)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {BOXFS_ACCESS_READ, "read"},         {BOXFS_ACCESS_WRITE, "write"},
        {BOXFS_ACCESS_CREATE, "create"},     {BOXFS_ACCESS_DELETE, "delete"},
        {BOXFS_ACCESS_LIST, "list"},         {BOXFS_ACCESS_READ_ATTR, "read_attr"},
        {BOXFS_ACCESS_WRITE_ATTR, "write_attr"},
    };
    size_t len = 0;
    buf[0] = 0;
    if (req->op != BOXFS_OP_OPEN || !req->access)
        return;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int n;
        if (!(req->access & names[i].bit))
            continue;
        n = snprintf(buf + len, cap - len, "%s%s", len ? "," : "(", names[i].name);
        if (n < 0 || (size_t)n >= cap - len)
            break;
        len += (size_t)n;
    }
    if (len && len + 2 <= cap) {
        buf[len] = ')';
        buf[len + 1] = 0;
    }
}

static void log_access(void *ctx, const boxfs_request *req, int status)
{
    mount_log *lg = ctx;
    char acc[96];
    if (!lg->f)
        return;
    access_text(req, acc, sizeof acc);
    pthread_mutex_lock(&lg->lock);
    fprintf(lg->f, "%d %d %s %s%s%s %s%s%s %s\n", (int)req->caller->pid, (int)req->caller->tgid,
            req->caller->component_name ? req->caller->component_name : "-",
            boxfs_op_name(req->op), acc, req->via_fuse ? "" : "(in-process)", req->path,
            req->path2 ? " -> " : "", req->path2 ? req->path2 : "",
            status < 0 ? boxfs_strerror(status) : "ok");
    fflush(lg->f);
    pthread_mutex_unlock(&lg->lock);
}

/* Every FUSE caller is "external" until the machine's component table
 * (emu/) can say which component a process runs. */
static int identify_external(void *ctx, boxfs_caller *c)
{
    (void)ctx;
    c->component = NULL;
    c->component_name = "external";
    return 0;
}

static int mkdirs(const char *path)
{
    char *p = strdup(path);
    int r = 0;
    if (!p)
        return -1;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || !*s) {
            char c = *s;
            *s = 0;
            if (mkdir(p, 0755) && errno != EEXIST)
                r = -1;
            *s = c;
            if (!c || r)
                break;
        }
    }
    free(p);
    return r;
}

/* Serve until a signal or an outside unmount; returns the exit code. */
static int serve(boxfs_mount *mnt, int sfd, const char *mountpoint)
{
    struct pollfd p[2] = {{sfd, POLLIN, 0}, {boxfs_mount_fd(mnt), POLLIN, 0}};
    int err;
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents || p[1].revents)
            break;
    }
    err = boxfs_mount_stop(mnt);
    if (err) {
        cli_error("cannot unmount '%s': %s", mountpoint, boxfs_strerror(err));
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int cmd_mount(cli_ctx *ctx, int argc, char **argv)
{
    const char *mountpoint = NULL, *logpath = NULL;
    int background = 0, no_passthrough = 0, rc = CLI_FAIL, err, sfd = -1;
    boxfs_mount_opts mopts = {0};
    boxfs_default_policy_opts popts = {0};
    boxfs_default_policy *policy = NULL;
    boxfs_volume_opts vopts = {0};
    boxfs *vol = NULL;
    boxfs_mount *mnt = NULL;
    mount_log lg = {NULL, PTHREAD_MUTEX_INITIALIZER};
    sigset_t sigs;
    int ready[2] = {-1, -1};

    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            mount_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--background")) {
            background = 1;
        } else if (!strcmp(argv[i], "--allow-other")) {
            mopts.allow_other = 1;
        } else if (!strcmp(argv[i], "--fuse-debug")) {
            mopts.fuse_debug = 1;
        } else if (!strcmp(argv[i], "--no-passthrough")) {
            no_passthrough = 1;
        } else if (!strcmp(argv[i], "--log") && i + 1 < argc) {
            logpath = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("mount: unknown option '%s'; see 'pnpbox mount --help'", argv[i]);
            return CLI_USAGE;
        } else if (!mountpoint) {
            mountpoint = argv[i];
        } else {
            cli_error("mount: unexpected argument '%s'; see 'pnpbox mount --help'", argv[i]);
            return CLI_USAGE;
        }
    }
    if (!mountpoint) {
        cli_error("mount: missing MOUNTPOINT; see 'pnpbox mount --help'");
        return CLI_USAGE;
    }
    if ((err = boxfs_fuse_available())) {
        cli_error("cannot mount '%s': %s", mountpoint, boxfs_strerror(err));
        return CLI_FAIL;
    }
    if (logpath) {
        lg.f = strcmp(logpath, "-") ? fopen(logpath, "a") : stderr;
        if (!lg.f) {
            cli_error("cannot open log '%s': %s", logpath, strerror(errno));
            return CLI_FAIL;
        }
    }
    popts.record = log_access;
    popts.record_ctx = &lg;
    if ((err = boxfs_default_policy_new(&popts, &policy))) {
        cli_error("cannot set up the volume policy: %s", boxfs_strerror(err));
        goto out;
    }
    vopts.policy = boxfs_default_policy_check;
    vopts.policy_ctx = policy;
    vopts.completed = boxfs_default_policy_completed;
    vopts.completed_ctx = policy;
    if ((err = boxfs_machine_open(ctx->machine_dir, &vopts, &vol))) {
        cli_error("cannot open the volume of machine '%s': %s", ctx->machine_dir,
                  boxfs_strerror(err));
        goto out;
    }
    /* a stale mount answers ENOTCONN: boxfs_mount_start cleans it; only
     * create the mount point when nothing at all is there */
    {
        struct stat st;
        if (stat(mountpoint, &st) && errno == ENOENT && mkdirs(mountpoint)) {
            cli_error("cannot create mount point '%s': %s", mountpoint, strerror(errno));
            goto out;
        }
    }
    mopts.identify = identify_external;
    /* read by boxfs_mount_start; set while this process has one thread */
    if (no_passthrough && setenv("PNPBOX_FUSE_PASSTHROUGH", "0", 1)) {
        cli_error("cannot mount '%s': %s", mountpoint, strerror(errno));
        goto out;
    }

    if (background) {
        pid_t pid;
        if (pipe(ready)) {
            cli_error("cannot mount '%s': %s", mountpoint, strerror(errno));
            goto out;
        }
        fflush(NULL);
        pid = fork(); /* before any thread exists */
        if (pid < 0) {
            cli_error("cannot mount '%s': %s", mountpoint, strerror(errno));
            goto out;
        }
        if (pid > 0) { /* the parent waits for the child's word */
            char msg[512];
            ssize_t n, total = 0;
            close(ready[1]);
            ready[1] = -1;
            while ((n = read(ready[0], msg + total, sizeof msg - 1 - (size_t)total)) > 0 ||
                   (n < 0 && errno == EINTR))
                if (n > 0)
                    total += n;
            msg[total] = 0;
            if (!strncmp(msg, "ok", 2)) {
                printf("pnpbox: C:\\ of '%s' mounted at '%s' (daemon pid %d)\n",
                       ctx->machine_dir, mountpoint, (int)pid);
                rc = CLI_OK;
            } else {
                cli_error("%s", total ? msg : "mount daemon exited before the mount was ready");
            }
            goto out;
        }
        close(ready[0]);
        ready[0] = -1;
        setsid();
    }

    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* the FUSE threads inherit it */
    sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    if (sfd < 0) {
        cli_error("cannot mount '%s': %s", mountpoint, strerror(errno));
        goto report;
    }
    err = boxfs_mount_start(vol, mountpoint, &mopts, &mnt);
    if (err) {
        if (err == BOXFS_E_BUSY)
            cli_error("cannot mount '%s': something is already mounted there", mountpoint);
        else
            cli_error("cannot mount '%s': %s", mountpoint, boxfs_strerror(err));
        goto report;
    }
    if (background) {
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (write(ready[1], "ok", 2) < 0) {
            /* the parent is gone; keep serving anyway */
        }
        close(ready[1]);
        ready[1] = -1;
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            if (lg.f != stderr)
                dup2(devnull, 2);
            close(devnull);
        }
    } else {
        fprintf(stderr, "pnpbox: C:\\ of '%s' mounted at '%s'; Ctrl-C or 'fusermount3 -u %s' to stop\n",
                ctx->machine_dir, mountpoint, mountpoint);
    }
    rc = serve(mnt, sfd, mountpoint);
    goto out;
report:
    if (background && ready[1] >= 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "cannot mount '%s': %s", mountpoint,
                 err ? boxfs_strerror(err) : strerror(errno));
        if (write(ready[1], msg, strlen(msg)) < 0) {
            /* nobody to tell */
        }
    }
out:
    if (sfd >= 0)
        close(sfd);
    if (ready[0] >= 0)
        close(ready[0]);
    if (ready[1] >= 0)
        close(ready[1]);
    boxfs_volume_close(vol);
    boxfs_default_policy_free(policy);
    if (lg.f && lg.f != stderr)
        fclose(lg.f);
    return rc;
}

static const cli_command mount_command = {
    "mount", "serve the machine's C:\\ volume over FUSE", cmd_mount, 60,
};
PNPBOX_CLI_COMMAND(mount_command)
