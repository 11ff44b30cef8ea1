/*
 * regfile.h: the HKEY_* root names of .reg files and of reg.exe, and the NT
 * paths they stand for, kept in one place for regdb_import (regfile.c) and
 * the `pnpbox reg` CLI.  regdb_export and regdb_import themselves are
 * declared in regdb.h; regfile.c documents the exact .reg format choices.
 *
 * The mapping (Windows' predefined keys, seen from pnpbox's emulated
 * processes, which run as LocalSystem):
 *   HKEY_LOCAL_MACHINE  HKLM  \REGISTRY\MACHINE
 *   HKEY_USERS          HKU   \REGISTRY\USER
 *   HKEY_CURRENT_USER   HKCU  \REGISTRY\USER\S-1-5-18   (LocalSystem's profile hive)
 *   HKEY_CLASSES_ROOT   HKCR  \REGISTRY\MACHINE\SOFTWARE\Classes
 *   HKEY_CURRENT_CONFIG HKCC  \REGISTRY\MACHINE\SYSTEM\CurrentControlSet\Hardware Profiles\Current
 * HKCR is, on Windows, a merged view of HKLM\SOFTWARE\Classes and the
 * user's Classes; pnpbox has no merged views, so it is the machine part
 * only (the part an installer writes).  Export writes only the first two
 * (the real hives): a key is always named by where it really lives.
 */
#ifndef REGDB_REGFILE_H
#define REGDB_REGFILE_H

#include "regdb/regdb.h"

typedef struct regdb_hkey {
    const char *name;    /* long name, e.g. "HKEY_LOCAL_MACHINE" */
    const char *abbrev;  /* reg.exe's short name, e.g. "HKLM" */
    const char *nt_path; /* the absolute regdb path it stands for, e.g. "\\REGISTRY\\MACHINE" */
} regdb_hkey;

/*
 * The root whose long name (or, with allow_abbrev, short name) is the n
 * UTF-16 units at name, ignoring case; NULL if there is none.
 */
const regdb_hkey *regdb_hkey_lookup(const uint16_t *name, size_t n, int allow_abbrev);

/* The same for a UTF-8 name of n bytes (the CLI's argv). */
const regdb_hkey *regdb_hkey_lookup_u8(const char *name, size_t n, int allow_abbrev);

/*
 * Translate "ROOT" or "ROOT\rest" (UTF-16, n units) into the absolute path
 * regdb opens: the root's nt_path, then "\rest" unchanged (a single
 * trailing '\' of the input is dropped).  The rest is not validated here:
 * regdb_open_key/regdb_create_key judge its components.  On success *out
 * is malloc'd and NUL-terminated (caller frees), *outn its length in units
 * (may be NULL) and *root (may be NULL) the root entry.  REGDB_E_INVAL if
 * the root is not one of the table above; REGDB_E_NOMEM.
 */
int regdb_hkey_to_nt(const uint16_t *path, size_t n, int allow_abbrev, uint16_t **out, size_t *outn,
                     const regdb_hkey **root);

#endif
