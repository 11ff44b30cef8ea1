/*
 * initguid.h: include before headers that use DEFINE_GUID, in one
 * translation unit, to define (not just declare) those GUIDs.
 */
#ifndef INITGUID
#define INITGUID
#endif
#include "guiddef.h"
