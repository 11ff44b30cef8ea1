/*
 * tinst.h: helpers for the driver store and device install suite: writing
 * small driver packages (INF text in UTF-16LE, UTF-8 or ANSI, plus binary
 * files) under a temporary directory, reading registry values back with
 * their exact types and bytes, and snapshots of the whole registry and
 * volume for the atomicity checks.
 */
#ifndef TINST_H
#define TINST_H

#include "pnpbox/store.h"
#include "regdb/regdb.h"

#include <stddef.h>
#include <stdint.h>

enum ti_enc { TI_UTF16LE, TI_UTF8, TI_ANSI };

/* The suite's machine and scratch directory (made by ti_setup, freed by ti_teardown). */
extern pnpbox_machine *ti_m;
extern char *ti_dir;
void ti_setup(void);
void ti_teardown(void);

/* Write a file under dir (parents created); rel uses '/'. */
void ti_write(const char *dir, const char *rel, const void *data, size_t n);
/* Write an INF from UTF-8 text (LF line ends become CRLF) in an encoding; returns the host path (malloc'd). */
char *ti_write_inf(const char *dir, const char *name, const char *utf8, enum ti_enc enc);
/* The encoded bytes of ti_write_inf (malloc'd). */
unsigned char *ti_encode(const char *utf8, enum ti_enc enc, size_t *n);

/*
 * The sample package, in dir/<sub>: sample.inf (UTF-16LE) with DriverVer
 * `driver_ver` ("01/02/2024,1.2.3.4"), sampledrv.sys containing
 * `sys_bytes`, data/blob.bin, legacy.sys and sample.cat.  Returns the INF's
 * host path (malloc'd).  The INF text is ti_sample_inf(driver_ver).
 */
char *ti_sample_pkg(const char *sub, const char *driver_ver, const char *sys_bytes);
char *ti_sample_inf(const char *driver_ver); /* malloc'd UTF-8 */

#define TI_CLASS_GUID "{8f2c1b7e-3a4d-4e5f-9a6b-1c2d3e4f5a6b}"
#define TI_IFACE_GUID "{a1b2c3d4-e5f6-4789-abcd-ef0123456789}"
#define TI_STORE "\\Windows\\System32\\DriverStore\\FileRepository"

/* Registry (absolute NT paths "\Registry\Machine\..."; "CCS\..." is ControlSet001). */
int ti_key_exists(const char *path);
regdb_key ti_key(const char *path); /* asserts it exists */
/* Assert a value's type and exact bytes. */
void ti_value(const char *path, const char *name, uint32_t type, const void *data, size_t n);
void ti_sz(const char *path, const char *name, uint32_t type, const char *utf8); /* SZ / EXPAND_SZ */
void ti_dword(const char *path, const char *name, uint32_t v);
void ti_multi(const char *path, const char *name, const char *const *strs, size_t n);
int ti_value_exists(const char *path, const char *name);
/* A value's string (malloc'd UTF-8), or NULL. */
char *ti_get_sz(const char *path, const char *name);

/* Volume: host path of a volume path (malloc'd); read a volume file. */
char *ti_host(const char *vpath);
unsigned char *ti_vread(const char *vpath, size_t *n);
int ti_vexists(const char *vpath); /* 0 no, 1 file, 2 directory */

/* Snapshots: the whole registry as .reg text, and every volume entry with its size and a hash. */
typedef struct ti_snap {
    void *reg;
    size_t reg_len;
    char *vol;
} ti_snap;
void ti_snap_take(ti_snap *s);
/* Assert the machine is as it was at s (and free s). */
void ti_snap_same(ti_snap *s, const char *what);
void ti_snap_free(ti_snap *s);

/* 64-bit FNV-1a, as the store's folder hash (docs/driver-store.md). */
uint64_t ti_fnv(uint64_t h, const void *p, size_t n);

/* The number of audit events whose api is api and path contains part. */
size_t ti_events(const char *api, const char *part);

#endif
