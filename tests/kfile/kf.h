/*
 * kf.h: helpers shared by the kernel file API suites (tests/kfile): a fresh
 * machine per test, UNICODE_STRING / OBJECT_ATTRIBUTES set-up by hand,
 * short wrappers around ZwCreateFile, host-side checks of the backing tree
 * and of the audit log.
 */
#ifndef KF_H
#define KF_H

/* As a driver sees it. */
#include <wdm.h>

#include "emu/emu.h"
#include "emu/file_core.h"
#include "emu/kfile.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern pnpbox_machine *m;

void kf_setup(void);
void kf_teardown(void);

/* A UNICODE_STRING over a NUL-terminated UTF-16 string (Length without the NUL). */
UNICODE_STRING kf_us(const WCHAR *s);
/* OBJECT_ATTRIBUTES for name (may be NULL) relative to root (may be NULL). */
OBJECT_ATTRIBUTES kf_oa(UNICODE_STRING *name, HANDLE root, ULONG attributes);

/* ZwCreateFile(name, root) with share READ|WRITE, no EA; iosb may be NULL (a local one is used). */
NTSTATUS kf_create(HANDLE *h, ACCESS_MASK access, const WCHAR *name, HANDLE root, ULONG disposition, ULONG options,
                   IO_STATUS_BLOCK *iosb);
/* Create a file holding data (FILE_OVERWRITE_IF), closed again. */
void kf_make_file(const WCHAR *name, const char *data);
/* Create a directory (FILE_OPEN_IF), closed again. */
void kf_make_dir(const WCHAR *name);
void kf_close(HANDLE h);

/* Host side: the backing path of a volume path ("/Windows/x", '/' separated); static buffer. */
const char *kf_host(const char *rel);
int kf_host_exists(const char *rel);
/* The whole content of a host file, NUL-terminated (malloc'd), or NULL. */
char *kf_host_read(const char *rel);

/* The most recent audit event whose api and path contain the given strings, or NULL. */
const pnpbox_event *kf_event(const char *api, const char *path_part);
/* Events recorded since mark (count at the time). */
size_t kf_mark(void);

/* Pre-fill a buffer with 0xde bytes; an IO_STATUS_BLOCK with 0xdeadbeef. */
void kf_fill(void *p, size_t n);
void kf_iosb_fill(IO_STATUS_BLOCK *iosb);
#define KF_IOSB_UNTOUCHED(iosb)                                                                   \
    do {                                                                                          \
        cr_expect_eq((uint32_t)(iosb).Status, 0xdeadbeefu, "iosb.Status written: %#x", (unsigned)(iosb).Status); \
        cr_expect_eq((iosb).Information, (ULONG_PTR)0xdeadbeefdeadbeefull, "iosb.Information written"); \
    } while (0)

#endif
