/*
 * kmdfiso.h: what the example KMDF driver shares with the software that
 * uses it (its interface class) and with its tests (its device context).
 */
#ifndef KMDFISO_H
#define KMDFISO_H

#include <guiddef.h>

/* {6a4c1e0b-3f5d-4b7a-9c2e-8d1f0a6b5c31}: the interface kmdfiso devices expose. */
DEFINE_GUID(GUID_DEVINTERFACE_KMDFISO, 0x6a4c1e0b, 0x3f5d, 0x4b7a, 0x9c, 0x2e, 0x8d, 0x1f, 0x0a, 0x6b, 0x5c, 0x31);

typedef struct _KMDFISO_CONTEXT {
    ULONG SampleRate; /* State override, else the INF's Parameters default */
    ULONG Gain;       /* from the device's hardware key */
    ULONG StartCount; /* kept in the persistent state key */
} KMDFISO_CONTEXT, *PKMDFISO_CONTEXT;

#endif
