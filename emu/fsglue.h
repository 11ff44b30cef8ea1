/*
 * fsglue.h: how emu/ file APIs call boxfs (fsglue.c).  A caller fills an
 * emu_fs_ctx with the component, the handle provenance and whether the
 * path was absolute, and passes it through boxfs_caller so the machine's
 * policy judges the access with that knowledge.
 */
#ifndef EMU_FSGLUE_H
#define EMU_FSGLUE_H

#include "emu/emu.h"

typedef struct emu_fs_ctx {
    pnpbox_component *comp; /* NULL: the current component */
    const emu_prov *prov;   /* provenance of the root handle (or of the handle used) */
    int absolute;           /* the path was absolute */
    const char *api;        /* "ZwCreateFile" */
    void *caller;           /* return address in the calling code */
} emu_fs_ctx;

/* Fill a boxfs_caller that carries fc to the policy. */
void emu_fs_caller(boxfs_caller *who, emu_fs_ctx *fc);

#endif
