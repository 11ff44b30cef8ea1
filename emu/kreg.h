/*
 * kreg.h: what the kernel registry and synchronisation modules (k_reg.c,
 * k_sync.c) offer other emu/ modules: key handles with a given provenance
 * for the isolation APIs (IoOpenDriverRegistryKey,
 * IoOpenDeviceRegistryKey, WdfDriverOpenParametersRegistryKey ...), the
 * key behind a handle, the event behind an event handle, and the point
 * where queued work items run.  Include after <wdm.h>.
 */
#ifndef EMU_KREG_H
#define EMU_KREG_H

#include <wdm.h>

#include "emu/emu.h"

/* Put a new key handle for an existing key into the table with the given provenance (copied) and granted
 * access; caches the canonical path.  Does not judge or record (the caller did).  hflags: EMU_HF_*.
 * STATUS_KEY_DELETED when the key no longer exists, STATUS_INSUFFICIENT_RESOURCES. */
NTSTATUS emu_key_handle_new(pnpbox_machine *m, regdb_key key, ACCESS_MASK granted, const emu_prov *prov,
                            unsigned hflags, HANDLE *out);
/* The key behind a handle (STATUS_INVALID_HANDLE / STATUS_OBJECT_TYPE_MISMATCH), for other modules. */
NTSTATUS emu_key_from_handle(pnpbox_machine *m, HANDLE h, emu_handle **out);

/* The KEVENT behind an event handle (STATUS_INVALID_HANDLE / STATUS_OBJECT_TYPE_MISMATCH).  The
 * event stays valid while the handle is open. */
NTSTATUS emu_event_from_handle(pnpbox_machine *m, HANDLE h, PKEVENT *out);

/*
 * Run the work items queued on m (ExQueueWorkItem, registry notifications),
 * in FIFO order, each as the component that queued it, including items
 * queued while they run.  Returns how many ran.  The PnP manager calls it
 * when control returns from driver code; waits that cannot be satisfied
 * call it too; tests may call it to let "worker threads" run.
 */
int emu_work_run_pending(pnpbox_machine *m);
/* How many work items wait on m. */
size_t emu_work_pending(pnpbox_machine *m);

#endif
