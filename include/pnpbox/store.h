/*
 * store.h: the driver store and device installation (prefix pnpbox_).
 *
 * What `pnputil /add-driver`, `pnputil /delete-driver`, `devcon install`
 * and Windows Update's driver update do, on an emulated machine:
 *
 *   stage    copy a driver package (the INF and every file it lists) into
 *            C:\Windows\System32\DriverStore\FileRepository\<inf>_<arch>_<16 hex>\,
 *            publish the INF as C:\Windows\INF\oem<N>.inf and record it in
 *            the registry's DriverDatabase (pnpbox_driver_add / _list / _delete);
 *   install  create a devnode's Enum key and install the best-ranked staged
 *            driver on it: software key, HKR registry, services, interfaces,
 *            filters and file copies, exactly as the INF says
 *            (pnpbox_device_add);
 *   update   re-install a device from a better-ranked package staged later
 *            (pnpbox_device_update).
 *
 * Everything runs as the machine's installer component: it is the only one
 * the volume lets write into the driver store, and its accesses are
 * recorded but never judged.  Each call is atomic: on any failure the
 * registry and the volume are as they were before the call.  The layout
 * and every choice made where Windows is undocumented are in
 * docs/driver-store.md.
 *
 * Errors: 0 or a negative errno-style code; pnpbox_errmsg(m) says what
 * failed, naming the file, key or device:
 *   -EINVAL     a NULL or malformed argument (bad instance ID, bad oemN.inf name)
 *   -ENOENT     the INF, a source file, a package, a device or a driver is missing
 *   -EBADMSG    the file is not an INF Windows would accept (bad signature, parse errors)
 *   -EEXIST     the device instance exists already
 *   -EBUSY      the package is in use by a device (delete without force), or a
 *               started device refused to be removed (update)
 *   -EALREADY   update: the installed driver is already the best-ranked one
 *   -ENOMEM, -ENOSPC, -EACCES, -EIO   resources, the host, or an injected fault
 * Strings returned through char ** are malloc'd UTF-8; the caller frees them.
 */
#ifndef PNPBOX_STORE_H
#define PNPBOX_STORE_H

#include "pnpbox/pnpbox.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the driver store ---- */

/*
 * Stage the package whose INF is the host file inf_host_path; the files it
 * lists are looked up next to it (SourceDisksNames paths and
 * SourceDisksFiles subdirectories, case-insensitively as Windows would).
 * *published (may be NULL) gets the published name, "oem0.inf".  Staging
 * the same package again (same bytes) changes nothing and gives the same
 * published name; a changed package gets a new folder and a new name.
 */
int pnpbox_driver_add(pnpbox_machine *m, const char *inf_host_path, char **published);

/* The store folder of a published package: *folder gets its name
 * ("x.inf_amd64_0123456789abcdef") and *win32_path (may be NULL) its full
 * path (C:\Windows\System32\DriverStore\FileRepository\...).  -ENOENT when
 * nothing is published under that name. */
int pnpbox_driver_folder(pnpbox_machine *m, const char *published, char **folder, char **win32_path);

/* One staged package. */
typedef struct pnpbox_driver_info {
    char *published;  /* "oem0.inf" */
    char *folder;     /* "x.inf_amd64_0123456789abcdef" */
    char *inf_name;   /* the original INF name, "x.inf" */
    char *provider;   /* [Version] Provider, substituted ("" when none) */
    char *class_name; /* [Version] Class ("" when none) */
    char *class_guid; /* [Version] ClassGuid, lowercase ("" when none) */
    char *version;    /* DriverVer version, "1.2.3.4" ("" when none) */
    char *date;       /* DriverVer date, "01/02/2024" ("" when none) */
} pnpbox_driver_info;

/* Every staged package, ordered by published number.  *out is an array of
 * *n entries (NULL when none); free it with pnpbox_driver_list_free. */
int pnpbox_driver_list(pnpbox_machine *m, pnpbox_driver_info **out, size_t *n);
void pnpbox_driver_list_free(pnpbox_driver_info *v, size_t n);

/*
 * Delete a published package ("oem3.inf", any case): its store folder, the
 * published INF and its DriverDatabase records.  While a device has it
 * installed this fails with -EBUSY unless force is set (pnputil's /force):
 * the device keeps its installed keys and files.  Files an install copied
 * outside the store stay, as on Windows.
 */
int pnpbox_driver_delete(pnpbox_machine *m, const char *published, int force);

/* ---- devices ---- */

/*
 * Create a device with one hardware ID and install the best-ranked staged
 * driver on it.  instance is "ENUMERATOR\DEVICE\INSTANCE", or NULL for the
 * default: a hwid with exactly one '\' ("Enum\Device") gives
 * "ENUM\DEVICE\NNNN", any other hwid "ROOT\<hwid, '\' as '#'>\NNNN"
 * (uppercased, NNNN the lowest free 4-digit decimal number).
 * *instance_out (may be NULL) gets the instance ID.  When no staged driver
 * matches, the device is created without one: ConfigFlags
 * CONFIGFLAG_FAILEDINSTALL (0x40) and problem CM_PROB_FAILED_INSTALL (28),
 * as Windows shows a device whose driver is not installed.
 */
int pnpbox_device_add(pnpbox_machine *m, const char *hwid, const char *instance, char **instance_out);

/* The same with full ID lists: hardware IDs (at least one) and compatible
 * IDs, each most specific first, as a bus driver reports them. */
int pnpbox_device_add_ids(pnpbox_machine *m, const char *const *hwids, size_t nhw, const char *const *compat,
                          size_t ncompat, const char *instance, char **instance_out);

/*
 * Re-install a device from the best-ranked staged package when that is not
 * the one installed (e.g. a higher DriverVer for the same hardware ID), or
 * install one on a device that has none.  A started device is removed
 * first (QUERY_REMOVE + REMOVE), its drivers unloaded when no other started
 * device uses them, and it is started again afterwards; the old store
 * folder stays (until its package is deleted) and is added to the
 * machine's stale folders (rule UPDATE-STALE-PATH).  *old_folder and
 * *new_folder (each may be NULL) get the folder names (old: NULL when the
 * device had no driver).  -EALREADY when nothing better is staged.
 */
int pnpbox_device_update(pnpbox_machine *m, const char *instance, char **old_folder, char **new_folder);

/* One device (a CCS\Enum\<enumerator>\<device>\<instance> key). */
typedef struct pnpbox_device_info {
    char *instance;    /* "ROOT\SAMPLE\0000" */
    char *hardware_id; /* the first hardware ID ("" when none) */
    char *description; /* DeviceDesc text (after the ';' of "@oem0.inf,%key%;Text"), "" when none */
    char *service;     /* the function driver's service ("" when none) */
    char *driver_key;  /* the Driver value, "{guid}\0000" ("" when none) */
    char *published;   /* the software key's InfPath, "oem0.inf" ("" when none) */
    char *folder;      /* its store folder ("" when the package is gone or none) */
    int started;       /* started in this process (pnpbox_device_start) */
    uint32_t problem;  /* CM_PROB_* (28: no driver installed), 0 when none */
} pnpbox_device_info;

/* Every device, in registry order (enumerator, device, instance). */
int pnpbox_device_list(pnpbox_machine *m, pnpbox_device_info **out, size_t *n);
void pnpbox_device_list_free(pnpbox_device_info *v, size_t n);

#ifdef __cplusplus
}
#endif

#endif
