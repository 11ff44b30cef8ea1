/*
 * tdriver.h: a WDM function driver linked into the install suite, and the
 * small package that installs it (service "e2edrv"), for the end-to-end
 * and update tests: what the driver saw (its RegistryPath, its Parameters
 * from the INF, its image path, its interface registration) is kept in td.
 */
#ifndef TDRIVER_H
#define TDRIVER_H

#include <stdint.h>

typedef struct td_seen {
    int entry, add, start, query_remove, remove, unload;
    char regpath[512];    /* DriverEntry's RegistryPath */
    char image[512];      /* IoQueryFullDriverPath at START */
    int32_t level_status; /* reading Parameters\Level through IoOpenDriverRegistryKey */
    uint32_t level;
    int32_t iface_status; /* IoRegisterDeviceInterface at START */
    char link[512];
    int veto_remove;      /* set by a test: QUERY_REMOVE fails */
} td_seen;

extern td_seen td;

/* The driver's entry point (a pnpbox_driver_entry_fn). */
int32_t td_entry(void *driver_object, void *registry_path);

#define TD_IFACE_GUID "{0badc0de-1111-4222-8333-944455556666}"

/* The e2e package in ti_dir/<sub>: e2e.inf with DriverVer ver, e2edrv.sys holding sys. */
char *td_pkg(const char *sub, const char *ver, const char *sys);
/* The same with another class GUID. */
char *td_pkg_class(const char *sub, const char *ver, const char *sys, const char *class_guid);

#endif
