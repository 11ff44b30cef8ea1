/*
 * rc_guids.h: the interface classes of the corpus world (tests/rules).
 * Include <initguid.h> first in the one file that defines them
 * (rc_world.c); every other file only declares them.
 */
#ifndef TESTS_RULES_RC_GUIDS_H
#define TESTS_RULES_RC_GUIDS_H

#include <guiddef.h>

#endif

/* Outside the guard, as DEFINE_GUID may be switched to defining by <initguid.h>. */

/* The device interface class rcother registers and enables at start. */
DEFINE_GUID(GUID_RC_OTHER_IFACE, 0x5c0ffee1, 0x0bad, 0x4c0d, 0x9e, 0x11, 0x52, 0x43, 0x4f, 0x54, 0x48, 0x52);
/* The driver interface rcqiexp exports through IRP_MN_QUERY_INTERFACE. */
DEFINE_GUID(GUID_RC_QI, 0x5c0ffee2, 0x0bad, 0x4c0d, 0x9e, 0x11, 0x52, 0x43, 0x51, 0x49, 0x45, 0x58);
