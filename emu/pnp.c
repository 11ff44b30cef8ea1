/*
 * pnp.c: the PnP manager (contract in pnp.h).
 */
#include "emu/pnp.h"

#include <stdlib.h>

emu_pnp *emu_pnp_get(pnpbox_machine *m)
{
    if (!m->pnp)
        m->pnp = calloc(1, sizeof *m->pnp);
    return m->pnp;
}

void emu_pnp_free(pnpbox_machine *m)
{
    free(m->pnp);
    m->pnp = NULL;
}

int emu_pnp_reboot(pnpbox_machine *m)
{
    if (m->pnp)
        m->pnp->booted = 0;
    return 0;
}
