/*
 * kfile.h: internal helpers of the kernel file APIs (k_file.c) for other
 * emu/ modules: the isolation APIs that hand out directory handles
 * (IoGetDriverDirectory, IoGetDeviceDirectory) and the user-mode
 * CreateFileW family, which reach the same handles.  The NT semantics
 * behind them live in file_core.h.
 */
#ifndef EMU_KFILE_H
#define EMU_KFILE_H

#include <ntdef.h>

#include "emu/emu.h"

/* Open (or create, with create_if_missing, including missing parents) the directory at a volume path, as the system
 * would for IoGetDriverDirectory: a directory handle with the given provenance (copied) and access (FILE_* rights;
 * read_only refuses write access through it). Not judged (the caller judged); hflags EMU_HF_*. */
NTSTATUS emu_file_dir_handle(pnpbox_machine *m, const char *vpath, int create_if_missing, ACCESS_MASK access,
                             int read_only, const emu_prov *prov, unsigned hflags, HANDLE *out);
/* The boxfs file behind a file handle, for other modules. */
NTSTATUS emu_file_from_handle(pnpbox_machine *m, HANDLE h, emu_handle **out);

#endif
