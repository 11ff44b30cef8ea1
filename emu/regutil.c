/*
 * regutil.c: small registry helpers for emu/ modules (ControlSet001-relative
 * opens, NT paths as UTF-8).
 */
#include "emu/emu.h"

#include "base/pb_utf16.h"

#include <stdlib.h>

int emu_ccs_open(pnpbox_machine *m, const char *rel, regdb_key *out)
{
    return regdb_open_key_u8(m->reg, m->ccs, rel, out);
}

int emu_ccs_create(pnpbox_machine *m, const char *rel, unsigned options, regdb_key *out)
{
    return regdb_create_key_u8(m->reg, m->ccs, rel, options | REGDB_CREATE_PATH, out);
}

char *emu_key_path_u8(pnpbox_machine *m, regdb_key k)
{
    uint16_t *p;
    size_t n;
    if (regdb_key_path(m->reg, k, &p, &n) < 0)
        return NULL;
    char *u = pb_utf8_from_wcs(p, n);
    free(p);
    return u;
}
