/*
 * guiddef.h: GUID and DEFINE_GUID.  Without INITGUID, DEFINE_GUID
 * declares the GUID (extern); include <initguid.h> first in exactly one
 * translation unit to define it, as on Windows.
 */
#ifndef PNPBOX_GUIDDEF_H
#define PNPBOX_GUIDDEF_H

#include <string.h>

#include "basetsd.h"

#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
    ULONG Data1;
    USHORT Data2;
    USHORT Data3;
    UCHAR Data4[8];
} GUID;
#endif
typedef GUID *LPGUID, *PGUID, IID, CLSID;
typedef const GUID *LPCGUID, *PCGUID, *REFGUID, *REFIID;

static inline int IsEqualGUID(const GUID *a, const GUID *b) { return memcmp(a, b, sizeof(GUID)) == 0; }
#define InlineIsEqualGUID(a, b) IsEqualGUID(a, b)
#define IsEqualIID(a, b) IsEqualGUID(a, b)

#endif

/* Outside the include guard: <initguid.h> may switch DEFINE_GUID to defining. */
#undef DEFINE_GUID
#ifdef INITGUID
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8)                                 \
    extern const GUID name;                                                                         \
    const GUID name __attribute__((weak)) = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#else
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) extern const GUID name
#endif

