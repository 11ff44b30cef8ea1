/*
 * fs_test.h: fixtures shared by the fs/ test files: a temporary machine
 * directory with its volume (skeleton included), an optional in-process
 * FUSE mount of it that is always unmounted at the end (even when the test
 * crashes), and helpers to look at the host tree directly.
 */
#ifndef FS_TEST_H
#define FS_TEST_H

#include "fs/boxfs.h"

#include <criterion/criterion.h>
#include <sys/types.h>

typedef struct fst_env {
    char *top;  /* the machine directory, /tmp/pnpbox-fs-XXXXXX */
    char *voldir; /* top/volume */
    char *mnt;  /* top/mnt when mounted */
    boxfs *vol;
    boxfs_mount *mount;
} fst_env;

extern fst_env fst;

void fst_setup(void);    /* machine + volume with the skeleton, no policy */
void fst_teardown(void); /* stop the mount, close the volume, remove the tree */
void fst_mount(void);    /* mount fst.vol at fst.mnt (skips without /dev/fuse) */

/* top/volume/<rel> (malloc'd) and top/<rel>. */
char *fst_host(const char *rel);
char *fst_top(const char *rel);
/* Write / read a file of the backing tree directly ("" on a missing file). */
void fst_host_write(const char *rel, const char *data);
char *fst_host_read(const char *rel);
int fst_host_exists(const char *rel);
/* Path in the mount (malloc'd). */
char *fst_mnt(const char *rel);
/* Number of entries (recursively) under a host directory, and a listing
 * of the tree as "path\n" lines for comparisons. */
char *fst_tree(const char *hostdir);
int fst_rm_rf(const char *path);

/* Open a file in process with the usual arguments. */
int fst_open(const char *path, unsigned access, unsigned disp, unsigned options, boxfs_file **f,
             unsigned *info);

/* Collected requests (install with fst_record()). */
typedef struct fst_event {
    boxfs_op op;
    unsigned access;
    char path[512];
    char path2[512];
    int status, verdict, via_fuse, exists, is_dir;
    int32_t pid, tgid;
    void *component;
    char component_name[32];
} fst_event;
void fst_record(void); /* completed callback collecting fst_event */
size_t fst_nevents(void);
const fst_event *fst_events(void);
void fst_clear_events(void);
const fst_event *fst_find_event(boxfs_op op, const char *path);

#endif
