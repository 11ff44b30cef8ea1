/*
 * tk.h: helpers shared by the kernel runtime suites (tests/krtl): a fresh
 * machine per test (its pool released at the end), UTF-16 comparisons,
 * and access to the machine's log.
 */
#ifndef TK_H
#define TK_H

#include <wdm.h>

#include <ntstrsafe.h>

#include "pnpbox/pnpbox.h"
#include "pnpbox/pool.h"

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdint.h>

extern pnpbox_machine *m;

void tk_setup(void);
void tk_teardown(void);

/* Number of code units of a NUL-terminated UTF-16 string. */
size_t tk_wlen(const WCHAR *s);
/* n units of a and b are equal. */
int tk_weq(const WCHAR *a, const WCHAR *b, size_t n);
/* a is exactly the NUL-terminated string b (terminator included). */
int tk_wstreq(const WCHAR *a, const WCHAR *b);
/* UTF-8 copy of n UTF-16 units for messages (static rotating buffers). */
const char *tk_u8(const WCHAR *s, size_t n);

/* The log entries since mark (the count at the time). */
size_t tk_log_mark(void);
/* Entry i after mark, or NULL. */
const char *tk_log(size_t mark, size_t i);
/* The number of log entries after mark that contain needle. */
size_t tk_log_count(size_t mark, const char *needle);

/* Fill n bytes with 0xde. */
void tk_fill(void *p, size_t n);

#endif
