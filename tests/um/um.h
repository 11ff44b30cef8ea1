/*
 * um.h: helpers shared by the user-mode API suites (tests/um): a fresh
 * machine per test, components to run as, service keys written as an INF
 * AddService writes them, lookups in the audit log, host-side checks of
 * the volume.  The suites include <windows.h> (user mode); the kernel
 * driver of the end-to-end test lives in drv_iface.c with <wdm.h>.
 */
#ifndef UM_H
#define UM_H

#include <windows.h>
#include <cfgmgr32.h>
#include <ntstatus.h>

#include "emu/emu.h"
#include "pnpbox/usermode.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern pnpbox_machine *m;

void um_setup(void);
void um_teardown(void);

/* Run the current thread as a Win32 service / an application / the harness. */
pnpbox_component *um_as_service(const char *name);
pnpbox_component *um_as_app(const char *name);
void um_as_harness(void);

/*
 * A service key as an INF AddService writes it: Services\<name> with Type,
 * Start 3, ErrorControl 1 and ImagePath (REG_EXPAND_SZ, may be NULL), plus
 * Parameters values when params is set (name=value;... REG_SZ).
 */
void um_make_service(const char *name, uint32_t type, const char *image_path, const char *params);

/* A registry key of the machine (harness): \REGISTRY\... path, created with parents. */
regdb_key um_key(const char *path);
void um_set_sz(regdb_key k, const char *name, const char *value);
void um_set_dword(regdb_key k, const char *name, uint32_t v);
/* Does the absolute registry path exist? */
int um_key_exists(const char *path);

/* Events: the count so far, and the first event at or after `from` for api (and path part, may be NULL). */
size_t um_nevents(void);
const pnpbox_event *um_event(const char *api, const char *path_part, size_t from);
/* Does the event's rule list contain id? */
int um_has_rule(const pnpbox_event *e, const char *id);

/* Host side of the volume: the backing path of a volume path ("Windows/x"); static buffer. */
const char *um_host(const char *rel);
int um_host_exists(const char *rel);
/* Write / read a whole host file (NUL-terminated copy, malloc'd). */
void um_host_write(const char *rel, const char *data);
char *um_host_read(const char *rel);

/* UTF-8 of a NUL-terminated UTF-16 string (rotating static buffers). */
const char *um_u8s(const WCHAR *s);
/* Compare a UTF-16 string with ASCII text. */
int um_weq(const WCHAR *w, const char *ascii);

#define UM_FILL 0xde
#define UM_DEAD 0xdeadbeefu

#endif
