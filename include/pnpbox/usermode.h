/*
 * usermode.h: running user-mode programs (Win32 services, applications,
 * UMDF-style components of a driver package) against an emulated machine.
 *
 * A user-mode program is compiled against <windows.h>, <cfgmgr32.h> ...
 * with `pkg-config --cflags --libs pnpbox` and calls the Win32 API as on
 * Windows; pnpbox answers from the current machine and judges every access
 * as the component the program runs as.  Three ways to pick the machine
 * and the component:
 *
 *   - `pnpbox [--machine DIR] run [--service NAME | --app NAME] [--mode M] -- PROGRAM ARGS...`
 *     starts PROGRAM with the environment variables below; libpnpbox reads
 *     them when it is loaded and attaches the process before main() runs.
 *   - The program calls pnpbox_attach() itself.
 *   - A test makes a machine (pnpbox_machine_new) and runs code as a
 *     component with pnpbox_enter(); a Win32 service's
 *     RegisterServiceCtrlHandlerExW also switches the calling thread to the
 *     service's component.
 *
 * Environment variables read when libpnpbox is loaded:
 *   PNPBOX_RUN_MACHINE    machine directory to attach to (nothing happens when unset)
 *   PNPBOX_RUN_COMPONENT  "service:NAME" or "app:NAME" (default: app named after the program)
 *   PNPBOX_RUN_IMAGE      Win32 path GetModuleFileNameW reports for an application
 *   PNPBOX_RUN_MODE       report (default), enforce or fail-fast
 * A process that cannot attach (bad directory, bad component) prints
 * "pnpbox: cannot attach ..." on stderr and exits with status 127 rather
 * than run against a machine it was not meant to use.
 *
 * Errors: 0 or a negative errno-style code; pnpbox_errmsg(NULL) says why
 * an attach failed.
 */
#ifndef PNPBOX_USERMODE_H
#define PNPBOX_USERMODE_H

#include "pnpbox/pnpbox.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PNPBOX_ENV_MACHINE "PNPBOX_RUN_MACHINE"
#define PNPBOX_ENV_COMPONENT "PNPBOX_RUN_COMPONENT"
#define PNPBOX_ENV_IMAGE "PNPBOX_RUN_IMAGE"
#define PNPBOX_ENV_MODE "PNPBOX_RUN_MODE"

/*
 * Attach this process to the machine directory dir (created on first use)
 * as the Win32 service or application `name` (kind
 * PNPBOX_COMP_WIN32_SERVICE or PNPBOX_COMP_APP): the machine becomes the
 * current one, the calling thread runs as the component (other threads
 * call pnpbox_enter themselves), the process id is bound to the component
 * for the FUSE mount (pnpbox_component_bind_pid and the machine's
 * process_bindings table), and every access lands in the machine's audit
 * (registry.db; `pnpbox audit`).  -EINVAL for a bad kind or name, -EBUSY
 * when the process is attached already, or the error of opening the
 * machine.
 */
int pnpbox_attach(const char *dir, pnpbox_component_kind kind, const char *name);
/* Undo pnpbox_attach: unbind the process and free the machine (no-op when not attached). */
void pnpbox_detach(void);
/* The machine this process attached to, or NULL. */
pnpbox_machine *pnpbox_attached(void);

/*
 * Bind a host process to a component in m, in memory and in the
 * machine's process_bindings table (machines with a directory), so the
 * FUSE mount names its accesses; unbind removes the row.  0 or -errno.
 */
int pnpbox_um_bind_process(pnpbox_machine *m, pnpbox_component *c, int pid);
int pnpbox_um_unbind_process(pnpbox_machine *m, int pid);

/*
 * The Win32 path of component c's executable image, for
 * GetModuleFileNameW(NULL) and for the rules (a component may read its
 * own image directory).  Win32 services default to their ImagePath; use
 * this for applications.  NULL clears it.  -EINVAL for a path that is not
 * on C:.
 */
int pnpbox_um_set_image(pnpbox_component *c, const char *win32_path);

/*
 * Deliver the device-instance notifications (CM_Register_Notification with
 * CM_NOTIFY_FILTER_TYPE_DEVICEINSTANCE) for devnodes that started or went
 * away since pnpbox last looked.  pnpbox looks on every cfgmgr32 call, on
 * every interface arrival or removal and on every change under
 * CCS\Enum; this is for a test that wants the delivery at a point of its
 * choosing.  Returns the number of callbacks made.
 */
size_t pnpbox_um_pump(pnpbox_machine *m);

#ifdef __cplusplus
}
#endif

#endif
