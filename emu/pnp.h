/*
 * pnp.h: the PnP manager's state on a machine (pnp.c): loaded drivers,
 * devnodes and their device stacks, notification registrations.
 */
#ifndef EMU_PNP_H
#define EMU_PNP_H

#include "emu/emu.h"

struct emu_pnp {
    int booted; /* drivers have been started since the last boot */
};

/* The machine's PnP state, created on first use (NULL when out of memory). */
emu_pnp *emu_pnp_get(pnpbox_machine *m);
/* Stop every device and unload every driver, then free the state. */
void emu_pnp_free(pnpbox_machine *m);
/* Stop everything, clear volatile state, start devices again. */
int emu_pnp_reboot(pnpbox_machine *m);

#endif
