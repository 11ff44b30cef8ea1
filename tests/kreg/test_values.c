/*
 * test_values.c: ZwQueryValueKey, ZwEnumerateValueKey, ZwSetValueKey and
 * ZwDeleteValueKey: every information class at every buffer boundary
 * (0, one below the fixed part, the fixed part, one below the full size,
 * the full size), with the output pre-filled so that untouched bytes are
 * checked too; value names, types, sizes and deleted keys.
 */
#include "tests/kreg/kr.h"

#include "base/pb_utf16.h"

#include <stdlib.h>
#include <string.h>

TestSuite(kreg_values, .init = kr_setup, .fini = kr_teardown);

static HANDLE key;
static const WCHAR NAME[] = L"deletetest"; /* 10 characters: NameLength 20, as in Wine's test */

static void with_dword(void)
{
    key = kr_test_key();
    kr_set_dword(key, NAME, 711);
}

static NTSTATUS q(KEY_VALUE_INFORMATION_CLASS cls, const WCHAR *name, void *buf, ULONG len, ULONG *rl)
{
    UNICODE_STRING us = kr_us(name);
    return ZwQueryValueKey(key, &us, cls, buf, len, rl);
}

static int all_fill(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != KR_FILL)
            return 0;
    return 1;
}

Test(kreg_values, basic_information_boundaries)
{
    with_dword();
    unsigned char buf[128];
    ULONG rl, fixed = FIELD_OFFSET(KEY_VALUE_BASIC_INFORMATION, Name), full = fixed + 20;
    KEY_VALUE_BASIC_INFORMATION *bi = (KEY_VALUE_BASIC_INFORMATION *)buf;
    /* 0 and one below the fixed part: STATUS_BUFFER_TOO_SMALL, the size, nothing written. */
    ULONG lens[] = {0, fixed - 1};
    for (int i = 0; i < 2; i++) {
        memset(buf, KR_FILL, sizeof buf);
        rl = 0xdeadbeef;
        cr_assert_eq(q(KeyValueBasicInformation, NAME, buf, lens[i], &rl), STATUS_BUFFER_TOO_SMALL);
        cr_assert_eq(rl, full);
        cr_assert(all_fill(buf, sizeof buf));
    }
    /* The fixed part: STATUS_BUFFER_OVERFLOW with the header filled. */
    memset(buf, KR_FILL, sizeof buf);
    rl = 0;
    cr_assert_eq(q(KeyValueBasicInformation, NAME, buf, fixed, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(rl, full);
    cr_assert_eq(bi->TitleIndex, 0);
    cr_assert_eq(bi->Type, REG_DWORD);
    cr_assert_eq(bi->NameLength, 20);
    cr_assert(all_fill(buf + fixed, sizeof buf - fixed));
    /* One below the full size: as much of the name as fits. */
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(q(KeyValueBasicInformation, NAME, buf, full - 1, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(rl, full);
    cr_assert_eq(memcmp(bi->Name, NAME, 19), 0);
    cr_assert(all_fill(buf + full - 1, sizeof buf - full + 1));
    /* The full size. */
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(q(KeyValueBasicInformation, NAME, buf, full, &rl), STATUS_SUCCESS);
    cr_assert_eq(rl, full);
    cr_assert_eq(memcmp(bi->Name, NAME, 20), 0);
    cr_assert(all_fill(buf + full, sizeof buf - full));
    /* NULL buffer with length 0: the size. */
    rl = 0;
    cr_assert_eq(q(KeyValueBasicInformation, NAME, NULL, 0, &rl), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(rl, full);
}

Test(kreg_values, partial_information_boundaries)
{
    key = kr_test_key();
    static const WCHAR str[] = L"stringW";
    kr_set(key, L"stringtest", REG_SZ, str, 12); /* truncated: no terminator, as in Wine's test */
    unsigned char buf[64];
    ULONG rl, fixed = FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data), full = fixed + 12;
    KEY_VALUE_PARTIAL_INFORMATION *pi = (KEY_VALUE_PARTIAL_INFORMATION *)buf;
    ULONG small[] = {0, 1, fixed - 1};
    for (int i = 0; i < 3; i++) {
        memset(buf, KR_FILL, sizeof buf);
        rl = 0xdeadbeef;
        cr_assert_eq(q(KeyValuePartialInformation, L"stringtest", buf, small[i], &rl), STATUS_BUFFER_TOO_SMALL);
        cr_assert_eq(rl, full);
        cr_assert(all_fill(buf, sizeof buf));
    }
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(q(KeyValuePartialInformation, L"stringtest", buf, fixed, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(rl, full);
    cr_assert_eq(pi->TitleIndex, 0);
    cr_assert_eq(pi->Type, REG_SZ);
    cr_assert_eq(pi->DataLength, 12);
    cr_assert(all_fill(buf + fixed, sizeof buf - fixed));
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(q(KeyValuePartialInformation, L"stringtest", buf, full - 1, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(memcmp(pi->Data, str, 11), 0, "the data that fits is copied");
    cr_assert(all_fill(buf + full - 1, sizeof buf - full + 1));
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(q(KeyValuePartialInformation, L"stringtest", buf, full, &rl), STATUS_SUCCESS);
    cr_assert_eq(rl, full);
    cr_assert_eq(memcmp(pi->Data, str, 12), 0);
    cr_assert_eq(buf[full], KR_FILL, "nothing past the data");
}

Test(kreg_values, partial_align64_boundaries)
{
    with_dword();
    unsigned char store[64 + 4];
    ULONG fixed = FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION_ALIGN64, Data), full = fixed + 4;
    cr_assert_eq(fixed, 8);
    /* Aligned and misaligned buffers give the same layout (Wine's test). */
    for (int off = 0; off <= 4; off += 4) {
        unsigned char *buf = store + off;
        KEY_VALUE_PARTIAL_INFORMATION_ALIGN64 *ai = (KEY_VALUE_PARTIAL_INFORMATION_ALIGN64 *)buf;
        ULONG rl;
        memset(store, KR_FILL, sizeof store);
        cr_assert_eq(q(KeyValuePartialInformationAlign64, NAME, buf, fixed - 1, &rl), STATUS_BUFFER_TOO_SMALL);
        cr_assert_eq(rl, full);
        cr_assert(all_fill(store, sizeof store));
        cr_assert_eq(q(KeyValuePartialInformationAlign64, NAME, buf, fixed, &rl), STATUS_BUFFER_OVERFLOW);
        ULONG t, dl;
        memcpy(&t, &ai->Type, 4);
        memcpy(&dl, &ai->DataLength, 4);
        cr_assert_eq(t, REG_DWORD);
        cr_assert_eq(dl, 4);
        cr_assert_eq(rl, full);
        cr_assert_eq(q(KeyValuePartialInformationAlign64, NAME, buf, full - 1, &rl), STATUS_BUFFER_OVERFLOW);
        cr_assert_eq(q(KeyValuePartialInformationAlign64, NAME, buf, full, &rl), STATUS_SUCCESS);
        ULONG v;
        memcpy(&v, buf + 8, 4);
        cr_assert_eq(v, 711);
        cr_assert_eq(rl, full);
    }
}

Test(kreg_values, full_information_boundaries_and_alignment)
{
    with_dword();
    unsigned char buf[128];
    ULONG rl, fixed = FIELD_OFFSET(KEY_VALUE_FULL_INFORMATION, Name);
    KEY_VALUE_FULL_INFORMATION *fi = (KEY_VALUE_FULL_INFORMATION *)buf;
    /* Name of 20 bytes: 20 + 20 = 40 is 8-aligned, data at 40. */
    ULONG full = 40 + 4;
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(q(KeyValueFullInformation, NAME, buf, fixed - 1, &rl), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(rl, full);
    cr_assert(all_fill(buf, sizeof buf));
    cr_assert_eq(q(KeyValueFullInformation, NAME, buf, fixed, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(fi->TitleIndex, 0);
    cr_assert_eq(fi->Type, REG_DWORD);
    cr_assert_eq(fi->DataLength, 4);
    cr_assert_eq(fi->NameLength, 20);
    cr_assert_eq(fi->DataOffset, 40);
    cr_assert(all_fill(buf + fixed, sizeof buf - fixed));
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(q(KeyValueFullInformation, NAME, buf, full - 1, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(memcmp(fi->Name, NAME, 20), 0);
    cr_assert_eq(memcmp(buf + 40, "\xc7\x02\x00", 3), 0, "partial data");
    cr_assert_eq(buf[43], KR_FILL);
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(q(KeyValueFullInformation, NAME, buf, full, &rl), STATUS_SUCCESS);
    cr_assert_eq(rl, full);
    ULONG v;
    memcpy(&v, buf + fi->DataOffset, 4);
    cr_assert_eq(v, 711);

    /* A 3-character name: 20 + 6 = 26, the data starts at 32; the pad is not written. */
    kr_set_dword(key, L"abc", 5);
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(q(KeyValueFullInformation, L"abc", buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_eq(rl, 36);
    cr_assert_eq(fi->DataOffset, 32);
    cr_assert(all_fill(buf + 26, 6));
    /* Room for the name but not the pad: the data is not copied. */
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(q(KeyValueFullInformation, L"abc", buf, 30, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(fi->DataOffset, 32);
    cr_assert(all_fill(buf + 26, sizeof buf - 26));
    /* The Align64 class is laid out the same way. */
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(q(KeyValueFullInformationAlign64, L"abc", buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_eq(rl, 36);
    cr_assert_eq(fi->DataOffset, 32);

    /* No data: DataOffset is 0xFFFFFFFF and the size is the name's end. */
    kr_set(key, L"empty", REG_BINARY, NULL, 0);
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(q(KeyValueFullInformation, L"empty", buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_eq(rl, fixed + 10);
    cr_assert_eq(fi->DataOffset, 0xFFFFFFFFu);
    cr_assert_eq(fi->DataLength, 0);
}

Test(kreg_values, query_argument_checks)
{
    with_dword();
    unsigned char buf[64];
    ULONG rl = 0xdeadbeef;
    UNICODE_STRING us = kr_us(NAME);
    /* The class is checked before the handle. */
    cr_assert_eq(ZwQueryValueKey(NULL, &us, KeyValueLayerInformation, buf, sizeof buf, &rl),
                 STATUS_INVALID_PARAMETER);
    cr_assert_eq(ZwQueryValueKey(key, &us, (KEY_VALUE_INFORMATION_CLASS)99, buf, sizeof buf, &rl),
                 STATUS_INVALID_PARAMETER);
    cr_assert_eq(ZwQueryValueKey(NULL, &us, KeyValueBasicInformation, buf, sizeof buf, &rl), STATUS_INVALID_HANDLE);
    HANDLE ev;
    cr_assert_eq(ZwCreateEvent(&ev, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE), STATUS_SUCCESS);
    cr_assert_eq(ZwQueryValueKey(ev, &us, KeyValueBasicInformation, buf, sizeof buf, &rl),
                 STATUS_OBJECT_TYPE_MISMATCH);
    ZwClose(ev);
    cr_assert_eq(ZwQueryValueKey(key, NULL, KeyValueBasicInformation, buf, sizeof buf, &rl),
                 STATUS_ACCESS_VIOLATION);
    cr_assert_eq(ZwQueryValueKey(key, &us, KeyValueBasicInformation, buf, sizeof buf, NULL),
                 STATUS_ACCESS_VIOLATION);
    us.Length = 3;
    cr_assert_eq(ZwQueryValueKey(key, &us, KeyValueBasicInformation, buf, sizeof buf, &rl),
                 STATUS_INVALID_PARAMETER);
    cr_assert_eq(rl, 0xdeadbeef);
    /* Trailing NULs of the name are ignored. */
    static const WCHAR nul_name[] = L"deletetest\0\0";
    UNICODE_STRING un = {24, 26, (PWCH)nul_name};
    cr_assert_eq(ZwQueryValueKey(key, &un, KeyValuePartialInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    /* A missing value leaves the outputs alone. */
    memset(buf, KR_FILL, sizeof buf);
    rl = 0xdeadbeef;
    cr_assert_eq(q(KeyValuePartialInformation, L"missing", buf, sizeof buf, &rl), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(rl, 0xdeadbeef);
    cr_assert(all_fill(buf, sizeof buf));
    /* Names are case-insensitive; the stored case comes back. */
    KEY_VALUE_BASIC_INFORMATION *bi = (KEY_VALUE_BASIC_INFORMATION *)buf;
    cr_assert_eq(q(KeyValueBasicInformation, L"DELETETEST", buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_eq(memcmp(bi->Name, NAME, 20), 0);
}

Test(kreg_values, set_any_type_and_size)
{
    key = kr_test_key();
    unsigned char buf[64];
    ULONG rl;
    KEY_VALUE_PARTIAL_INFORMATION *pi = (KEY_VALUE_PARTIAL_INFORMATION *)buf;
    UNICODE_STRING us = kr_us(L"custtest");
    cr_assert_eq(ZwSetValueKey(key, &us, 0, 0xff00ff00, NULL, 0), STATUS_SUCCESS);
    cr_assert_eq(ZwQueryValueKey(key, &us, KeyValuePartialInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_eq(pi->Type, 0xff00ff00);
    cr_assert_eq(pi->DataLength, 0);
    cr_assert_eq(rl, 12);
    /* TitleIndex is ignored; overwriting replaces type and data. */
    ULONG v = 42;
    cr_assert_eq(ZwSetValueKey(key, &us, 99, REG_DWORD, &v, 4), STATUS_SUCCESS);
    cr_assert_eq(ZwQueryValueKey(key, &us, KeyValuePartialInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_eq(pi->Type, REG_DWORD);
    cr_assert_eq(*(ULONG *)pi->Data, 42);
    /* The default (unnamed) value. */
    UNICODE_STRING def = {0, 0, NULL};
    cr_assert_eq(ZwSetValueKey(key, &def, 0, REG_SZ, (PVOID)L"dflt", 10), STATUS_SUCCESS);
    cr_assert_eq(ZwQueryValueKey(key, &def, KeyValuePartialInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_eq(pi->DataLength, 10);
    /* 1.5 MiB round trip. */
    size_t big = 3u << 19;
    unsigned char *data = malloc(big), *back = malloc(big + 16);
    for (size_t i = 0; i < big; i++)
        data[i] = (unsigned char)(i * 7);
    UNICODE_STRING bn = kr_us(L"big");
    cr_assert_eq(ZwSetValueKey(key, &bn, 0, REG_BINARY, data, (ULONG)big), STATUS_SUCCESS);
    cr_assert_eq(ZwQueryValueKey(key, &bn, KeyValuePartialInformation, back, (ULONG)big + 16, &rl),
                 STATUS_SUCCESS);
    cr_assert_eq(rl, big + 12);
    cr_assert_eq(memcmp(back + 12, data, big), 0);
    free(data);
    free(back);
}

Test(kreg_values, set_argument_checks)
{
    key = kr_test_key();
    ULONG v = 1;
    UNICODE_STRING us = kr_us(L"x");
    cr_assert_eq(ZwSetValueKey(NULL, &us, 0, REG_DWORD, &v, 4), STATUS_INVALID_HANDLE);
    cr_assert_eq(ZwSetValueKey(key, NULL, 0, REG_DWORD, &v, 4), STATUS_ACCESS_VIOLATION);
    cr_assert_eq(ZwSetValueKey(key, &us, 0, REG_DWORD, NULL, 4), STATUS_ACCESS_VIOLATION);
    cr_assert_eq(ZwSetValueKey(key, &us, 0, REG_DWORD, &v, 0x80000001u), STATUS_INVALID_PARAMETER);
    us.Length = 1;
    cr_assert_eq(ZwSetValueKey(key, &us, 0, REG_DWORD, &v, 4), STATUS_INVALID_PARAMETER);
    /* Wine's test_long_value_name: 0xfffa bytes. */
    UNICODE_STRING ln;
    ln.MaximumLength = 0xfffc;
    ln.Length = 0xfffa;
    ln.Buffer = malloc(0xfffc);
    for (int i = 0; i < 0xfffa / 2; i++)
        ln.Buffer[i] = L'a';
    cr_assert_eq(ZwDeleteValueKey(key, &ln), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(ZwSetValueKey(key, &ln, 0, REG_DWORD, &v, 4), STATUS_INVALID_PARAMETER);
    ULONG rl;
    cr_assert_eq(ZwQueryValueKey(key, &ln, KeyValueBasicInformation, NULL, 0, &rl), STATUS_OBJECT_NAME_NOT_FOUND);
    /* The longest name Windows takes: 16383 characters. */
    ln.Length = 32766;
    cr_assert_eq(ZwSetValueKey(key, &ln, 0, REG_DWORD, &v, 4), STATUS_SUCCESS);
    cr_assert_eq(ZwQueryValueKey(key, &ln, KeyValuePartialInformation, NULL, 0, &rl), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(rl, 16);
    free(ln.Buffer);
    /* Trailing NULs are dropped on set too. */
    static const WCHAR nn[] = L"withnul\0";
    UNICODE_STRING un = {16, 18, (PWCH)nn};
    cr_assert_eq(ZwSetValueKey(key, &un, 0, REG_DWORD, &v, 4), STATUS_SUCCESS);
    cr_assert_eq(kr_get(key, L"withnul", NULL, NULL, 0), 4);
}

Test(kreg_values, delete_value)
{
    with_dword();
    UNICODE_STRING us = kr_us(NAME);
    /* NtDeleteValueKey keeps trailing NULs: "deletetest\0" is another name. */
    static const WCHAR nn[] = L"deletetest\0";
    UNICODE_STRING un = {22, 24, (PWCH)nn};
    cr_assert_eq(ZwDeleteValueKey(key, &un), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(ZwDeleteValueKey(key, &us), STATUS_SUCCESS);
    cr_assert_eq(ZwDeleteValueKey(key, &us), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_eq(ZwDeleteValueKey(key, NULL), STATUS_ACCESS_VIOLATION);
    us.Length = 5;
    cr_assert_eq(ZwDeleteValueKey(key, &us), STATUS_INVALID_PARAMETER);
    cr_assert_eq(ZwDeleteValueKey(NULL, &us), STATUS_INVALID_HANDLE);
}

Test(kreg_values, enumerate_values)
{
    key = kr_test_key();
    kr_set_dword(key, L"first", 1);
    kr_set_sz(key, L"second", L"two");
    kr_set_dword(key, L"third", 3);
    kr_set_dword(key, L"first", 11); /* overwriting keeps the place */
    static const WCHAR *names[] = {L"first", L"second", L"third"};
    unsigned char buf[128];
    ULONG rl;
    for (ULONG i = 0; i < 3; i++) {
        memset(buf, KR_FILL, sizeof buf);
        cr_assert_eq(ZwEnumerateValueKey(key, i, KeyValueBasicInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
        KEY_VALUE_BASIC_INFORMATION *bi = (KEY_VALUE_BASIC_INFORMATION *)buf;
        size_t n = pb_wcslen((const uint16_t *)names[i]);
        cr_assert_eq(bi->NameLength, n * 2);
        cr_assert_eq(memcmp(bi->Name, names[i], n * 2), 0);
        cr_assert_eq(rl, 12 + n * 2);
    }
    /* Full and Partial answer as ZwQueryValueKey does, boundaries included. */
    KEY_VALUE_FULL_INFORMATION *fi = (KEY_VALUE_FULL_INFORMATION *)buf;
    cr_assert_eq(ZwEnumerateValueKey(key, 1, KeyValueFullInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_eq(fi->Type, REG_SZ);
    cr_assert_eq(fi->DataLength, 8);
    cr_assert_eq(fi->DataOffset, 32);
    cr_assert_eq(memcmp(buf + 32, L"two", 8), 0);
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(ZwEnumerateValueKey(key, 0, KeyValuePartialInformation, buf, 11, &rl), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(rl, 16);
    cr_assert(all_fill(buf, sizeof buf));
    cr_assert_eq(ZwEnumerateValueKey(key, 0, KeyValuePartialInformation, buf, 12, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(ZwEnumerateValueKey(key, 0, KeyValuePartialInformation, buf, 16, &rl), STATUS_SUCCESS);
    cr_assert_eq(*(ULONG *)(buf + 12), 11);
    /* Past the end: STATUS_NO_MORE_ENTRIES, ResultLength untouched. */
    rl = 0xdeadbeef;
    cr_assert_eq(ZwEnumerateValueKey(key, 3, KeyValueBasicInformation, buf, sizeof buf, &rl),
                 STATUS_NO_MORE_ENTRIES);
    cr_assert_eq(rl, 0xdeadbeef);
    /* The Align64 classes are not enumeration classes. */
    cr_assert_eq(ZwEnumerateValueKey(key, 0, KeyValuePartialInformationAlign64, buf, sizeof buf, &rl),
                 STATUS_INVALID_PARAMETER);
    cr_assert_eq(ZwEnumerateValueKey(key, 0, KeyValueFullInformationAlign64, buf, sizeof buf, &rl),
                 STATUS_INVALID_PARAMETER);
    cr_assert_eq(ZwEnumerateValueKey(NULL, 0, KeyValueFullInformationAlign64, buf, sizeof buf, &rl),
                 STATUS_INVALID_PARAMETER);
    cr_assert_eq(ZwEnumerateValueKey(key, 0, KeyValueBasicInformation, buf, sizeof buf, NULL),
                 STATUS_ACCESS_VIOLATION);
}

Test(kreg_values, deleted_key)
{
    key = kr_test_key();
    HANDLE k = kr_create(key, L"gone", 0);
    kr_set_dword(k, L"value", 1);
    cr_assert_eq(ZwDeleteKey(k), STATUS_SUCCESS);
    unsigned char buf[64];
    ULONG rl = 0xdeadbeef, v = 1;
    UNICODE_STRING us = kr_us(L"value");
    cr_assert_eq(ZwQueryValueKey(k, &us, KeyValueBasicInformation, buf, sizeof buf, &rl), STATUS_KEY_DELETED);
    cr_assert_eq(ZwEnumerateValueKey(k, 0, KeyValuePartialInformation, buf, sizeof buf, &rl), STATUS_KEY_DELETED);
    cr_assert_eq(ZwSetValueKey(k, &us, 0, REG_DWORD, &v, 4), STATUS_KEY_DELETED);
    cr_assert_eq(ZwDeleteValueKey(k, &us), STATUS_KEY_DELETED);
    cr_assert_eq(rl, 0xdeadbeef);
    cr_assert_eq(ZwClose(k), STATUS_SUCCESS);
}

Test(kreg_values, access_rights_are_not_checked_for_kernel_callers)
{
    /* A driver's Zw call runs with PreviousMode KernelMode: a KEY_READ handle can set values. */
    key = kr_test_key();
    HANDLE ro;
    cr_assert_eq(kr_open_st(NULL, L"\\Registry\\Machine\\SOFTWARE\\PnpboxKregTest", KEY_READ, 0, &ro),
                 STATUS_SUCCESS);
    kr_set_dword(ro, L"viaRead", 5);
    cr_assert_eq(kr_get(key, L"viaRead", NULL, NULL, 0), 4);
    ZwClose(ro);
}
