/*
 * kr.h: helpers for the kernel registry suite (tests/kreg): a fresh
 * machine per test, counted strings filled by hand (the Rtl string
 * routines are another module's), opens and creates that assert, and
 * lookups in the audit log.
 */
#ifndef KR_H
#define KR_H

#include <wdm.h>

#include "emu/emu.h"
#include "emu/kreg.h"

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdint.h>

extern pnpbox_machine *m;

void kr_setup(void);
void kr_teardown(void);

/* A UNICODE_STRING over a NUL-terminated literal (no allocation). */
UNICODE_STRING kr_us(const WCHAR *s);
/* Object attributes for name (NULL: no name) relative to root. */
void kr_oa(OBJECT_ATTRIBUTES *oa, UNICODE_STRING *us, const WCHAR *name, HANDLE root, ULONG attrs);

/* Open / create, returning the status; *out untouched on failure paths the API leaves alone. */
NTSTATUS kr_open_st(HANDLE root, const WCHAR *name, ACCESS_MASK access, ULONG attrs, HANDLE *out);
NTSTATUS kr_create_st(HANDLE root, const WCHAR *name, ULONG options, HANDLE *out, ULONG *disp);
/* The same, asserting success. */
HANDLE kr_open(HANDLE root, const WCHAR *name);
HANDLE kr_create(HANDLE root, const WCHAR *name, ULONG options);

/* \Registry\Machine\SOFTWARE\PnpboxKregTest, created for the test (harness). */
HANDLE kr_test_key(void);

void kr_set(HANDLE key, const WCHAR *name, ULONG type, const void *data, ULONG len);
void kr_set_dword(HANDLE key, const WCHAR *name, ULONG v);
void kr_set_sz(HANDLE key, const WCHAR *name, const WCHAR *s);
/* Query a value's type and data into buf (asserts success); returns DataLength. */
ULONG kr_get(HANDLE key, const WCHAR *name, ULONG *type, void *buf, ULONG cap);

/* Run the current thread as a kernel driver component named svc. */
pnpbox_component *kr_as_driver(const char *svc);
/* Back to the harness. */
void kr_as_harness(void);

/* The number of audit events so far, and the first event at or after `from` for api (NULL if none). */
size_t kr_nevents(void);
const pnpbox_event *kr_event(const char *api, size_t from);
/* Does the event's rule list contain id? */
int kr_has_rule(const pnpbox_event *e, const char *id);
/* Does the machine log hold a line containing text? */
int kr_log_has(const char *text);

/* UTF-8 of a counted UTF-16 string (rotating static buffers). */
const char *kr_u8(const WCHAR *s, size_t nchars);

#define KR_FILL 0xde

#endif
