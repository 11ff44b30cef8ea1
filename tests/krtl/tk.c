/*
 * tk.c: helpers shared by the kernel runtime suites (see tk.h).
 */
#include "tests/krtl/tk.h"

#include "base/pb_utf16.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pnpbox_machine *m;

void tk_setup(void) { cr_assert_eq(pnpbox_machine_new(NULL, &m), 0, "%s", pnpbox_errmsg(NULL)); }

void tk_teardown(void)
{
    pnpbox_pool_release(m);
    pnpbox_machine_free(m);
    m = NULL;
}

size_t tk_wlen(const WCHAR *s) { return pb_wcslen((const uint16_t *)s); }

int tk_weq(const WCHAR *a, const WCHAR *b, size_t n) { return memcmp(a, b, n * sizeof(WCHAR)) == 0; }

int tk_wstreq(const WCHAR *a, const WCHAR *b)
{
    size_t n = tk_wlen(b);
    return tk_wlen(a) == n && tk_weq(a, b, n);
}

const char *tk_u8(const WCHAR *s, size_t n)
{
    static char buf[4][512];
    static int next;
    char *b = buf[next++ & 3];
    char *u = pb_utf8_from_wcs((const uint16_t *)s, n);
    snprintf(b, sizeof buf[0], "%s", u ? u : "(?)");
    free(u);
    return b;
}

size_t tk_log_mark(void) { return pnpbox_log_count(m); }

const char *tk_log(size_t mark, size_t i) { return pnpbox_log_get(m, mark + i); }

size_t tk_log_count(size_t mark, const char *needle)
{
    size_t n = 0;
    for (size_t i = mark; i < pnpbox_log_count(m); i++)
        if (strstr(pnpbox_log_get(m, i), needle))
            n++;
    return n;
}

void tk_fill(void *p, size_t n) { memset(p, 0xde, n); }
