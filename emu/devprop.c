/*
 * devprop.c: device properties of devnodes.  Windows keeps a device's
 * DEVPKEY properties in its Enum key under Properties\{fmtid}\<pid>, the
 * unnamed value holding the data with the registry type 0xFFFF0000 |
 * DEVPROPTYPE ([3P]: layout seen in exported hives; the subkey name is the
 * property id as 4 hex digits).  pnpbox stores them the same way, so a
 * driver or a test sees them where Windows keeps them.
 */
#include "emu/pnp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void prop_rel(const GUID *g, uint32_t pid, char *out, size_t cap)
{
    snprintf(out, cap, "Properties\\{%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}\\%04x", (unsigned)g->Data1,
             g->Data2, g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5],
             g->Data4[6], g->Data4[7], pid);
}

int emu_devprop_set(pnpbox_machine *m, regdb_key inst, const GUID *fmtid, uint32_t pid, uint32_t type,
                    const void *data, size_t len)
{
    char rel[128];
    prop_rel(fmtid, pid, rel, sizeof rel);
    regdb_key k;
    int rc = regdb_create_key_u8(m->reg, inst, rel, REGDB_CREATE_PATH, &k);
    if (rc == 0)
        rc = regdb_set_value(m->reg, k, NULL, 0, 0xFFFF0000u | type, data, len);
    return rc;
}

int emu_devprop_get(pnpbox_machine *m, regdb_key inst, const GUID *fmtid, uint32_t pid, uint32_t *type, void **data,
                    size_t *len)
{
    char rel[128];
    prop_rel(fmtid, pid, rel, sizeof rel);
    regdb_key k;
    regdb_value v;
    int rc = regdb_open_key_u8(m->reg, inst, rel, &k);
    if (rc == 0)
        rc = regdb_query_value(m->reg, k, NULL, 0, &v);
    if (rc < 0)
        return rc;
    if ((v.type & 0xFFFF0000u) != 0xFFFF0000u)
        return REGDB_E_TYPE;
    void *d = malloc(v.data_len ? v.data_len : 1);
    if (!d)
        return REGDB_E_NOMEM;
    if (v.data_len)
        memcpy(d, v.data, v.data_len);
    *type = v.type & 0xFFFF;
    *data = d;
    *len = v.data_len;
    return 0;
}
