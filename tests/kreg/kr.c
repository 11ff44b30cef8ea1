/*
 * kr.c: the helpers of kr.h.
 */
#include "tests/kreg/kr.h"

#include "base/pb_utf16.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pnpbox_machine *m;

void kr_setup(void)
{
    cr_assert_eq(pnpbox_machine_new(NULL, &m), 0, "%s", pnpbox_errmsg(NULL));
}

void kr_teardown(void)
{
    pnpbox_enter(NULL);
    pnpbox_machine_free(m);
    m = NULL;
}

UNICODE_STRING kr_us(const WCHAR *s)
{
    UNICODE_STRING u;
    size_t n = pb_wcslen((const uint16_t *)s);
    u.Length = (USHORT)(n * 2);
    u.MaximumLength = (USHORT)(n * 2 + 2);
    u.Buffer = (PWCH)s;
    return u;
}

void kr_oa(OBJECT_ATTRIBUTES *oa, UNICODE_STRING *us, const WCHAR *name, HANDLE root, ULONG attrs)
{
    if (name)
        *us = kr_us(name);
    InitializeObjectAttributes(oa, name ? us : NULL, attrs, root, NULL);
}

NTSTATUS kr_open_st(HANDLE root, const WCHAR *name, ACCESS_MASK access, ULONG attrs, HANDLE *out)
{
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING us;
    kr_oa(&oa, &us, name, root, attrs);
    return ZwOpenKey(out, access, &oa);
}

NTSTATUS kr_create_st(HANDLE root, const WCHAR *name, ULONG options, HANDLE *out, ULONG *disp)
{
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING us;
    kr_oa(&oa, &us, name, root, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE);
    return ZwCreateKey(out, KEY_ALL_ACCESS, &oa, 0, NULL, options, disp);
}

HANDLE kr_open(HANDLE root, const WCHAR *name)
{
    HANDLE h = NULL;
    NTSTATUS st = kr_open_st(root, name, KEY_ALL_ACCESS, OBJ_CASE_INSENSITIVE, &h);
    cr_assert_eq(st, STATUS_SUCCESS, "open '%s': 0x%08x", kr_u8(name, pb_wcslen((const uint16_t *)name)),
                 (unsigned)st);
    cr_assert_not_null(h);
    return h;
}

HANDLE kr_create(HANDLE root, const WCHAR *name, ULONG options)
{
    HANDLE h = NULL;
    NTSTATUS st = kr_create_st(root, name, options, &h, NULL);
    cr_assert_eq(st, STATUS_SUCCESS, "create '%s': 0x%08x", kr_u8(name, pb_wcslen((const uint16_t *)name)),
                 (unsigned)st);
    cr_assert_not_null(h);
    return h;
}

HANDLE kr_test_key(void)
{
    return kr_create(NULL, L"\\Registry\\Machine\\SOFTWARE\\PnpboxKregTest", 0);
}

void kr_set(HANDLE key, const WCHAR *name, ULONG type, const void *data, ULONG len)
{
    UNICODE_STRING us = kr_us(name);
    NTSTATUS st = ZwSetValueKey(key, &us, 0, type, (PVOID)data, len);
    cr_assert_eq(st, STATUS_SUCCESS, "set '%s': 0x%08x", kr_u8(name, us.Length / 2), (unsigned)st);
}

void kr_set_dword(HANDLE key, const WCHAR *name, ULONG v) { kr_set(key, name, REG_DWORD, &v, sizeof v); }

void kr_set_sz(HANDLE key, const WCHAR *name, const WCHAR *s)
{
    kr_set(key, name, REG_SZ, s, (ULONG)((pb_wcslen((const uint16_t *)s) + 1) * 2));
}

ULONG kr_get(HANDLE key, const WCHAR *name, ULONG *type, void *buf, ULONG cap)
{
    UNICODE_STRING us = kr_us(name);
    unsigned char tmp[4096];
    ULONG rl = 0;
    NTSTATUS st = ZwQueryValueKey(key, &us, KeyValuePartialInformation, tmp, sizeof tmp, &rl);
    cr_assert_eq(st, STATUS_SUCCESS, "query '%s': 0x%08x", kr_u8(name, us.Length / 2), (unsigned)st);
    KEY_VALUE_PARTIAL_INFORMATION *pi = (KEY_VALUE_PARTIAL_INFORMATION *)tmp;
    if (type)
        *type = pi->Type;
    if (buf)
        memcpy(buf, pi->Data, pi->DataLength < cap ? pi->DataLength : cap);
    return pi->DataLength;
}

pnpbox_component *kr_as_driver(const char *svc)
{
    pnpbox_component *c = pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, svc);
    cr_assert_not_null(c);
    pnpbox_enter(c);
    return c;
}

void kr_as_harness(void) { pnpbox_enter(NULL); }

size_t kr_nevents(void) { return pnpbox_event_count(m); }

const pnpbox_event *kr_event(const char *api, size_t from)
{
    for (size_t i = from; i < pnpbox_event_count(m); i++) {
        const pnpbox_event *e = pnpbox_event_get(m, i);
        if (e && e->api && !strcmp(e->api, api))
            return e;
    }
    return NULL;
}

int kr_has_rule(const pnpbox_event *e, const char *id)
{
    if (!e || !e->rules)
        return 0;
    size_t l = strlen(id);
    for (const char *p = e->rules; (p = strstr(p, id)); p += l)
        if ((p == e->rules || p[-1] == ' ') && (p[l] == 0 || p[l] == ' '))
            return 1;
    return 0;
}

int kr_log_has(const char *text)
{
    for (size_t i = 0; i < pnpbox_log_count(m); i++) {
        const char *l = pnpbox_log_get(m, i);
        if (l && strstr(l, text))
            return 1;
    }
    return 0;
}

const char *kr_u8(const WCHAR *s, size_t n)
{
    static char buf[4][1024];
    static int next;
    char *b = buf[next++ & 3];
    char *u = pb_utf8_from_wcs((const uint16_t *)s, n);
    snprintf(b, sizeof buf[0], "%s", u ? u : "?");
    free(u);
    return b;
}
