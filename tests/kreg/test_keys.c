/*
 * test_keys.c: ZwQueryKey (every class Windows answers, at every buffer
 * boundary), ZwEnumerateKey, ZwDeleteKey, ZwFlushKey and ZwClose of any
 * handle.  Facts: Wine's NtQueryKey / NtDeleteKey tests and ReactOS's
 * NtQueryKey test (run on Windows), Windows 11's CmQueryKey.
 */
#include "tests/kreg/kr.h"

#include <string.h>

TestSuite(kreg_keys, .init = kr_setup, .fini = kr_teardown);

static int all_fill(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != KR_FILL)
            return 0;
    return 1;
}

Test(kreg_keys, name_information_boundaries)
{
    HANDLE root = kr_test_key();
    static const char want[] = "\\REGISTRY\\MACHINE\\SOFTWARE\\PnpboxKregTest";
    ULONG nbytes = (ULONG)(strlen(want) * 2), full = 4 + nbytes;
    unsigned char buf[256];
    KEY_NAME_INFORMATION *ni = (KEY_NAME_INFORMATION *)buf;
    ULONG rl = 0;
    cr_assert_eq(ZwQueryKey(root, KeyNameInformation, NULL, 0, &rl), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(rl, full);
    ULONG small[] = {1, 3};
    for (int i = 0; i < 2; i++) {
        memset(buf, KR_FILL, sizeof buf);
        rl = 0;
        cr_assert_eq(ZwQueryKey(root, KeyNameInformation, buf, small[i], &rl), STATUS_BUFFER_TOO_SMALL);
        cr_assert_eq(rl, full);
        cr_assert(all_fill(buf, sizeof buf));
    }
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(ZwQueryKey(root, KeyNameInformation, buf, 4, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(rl, full);
    cr_assert_eq(ni->NameLength, nbytes);
    cr_assert(all_fill(buf + 4, sizeof buf - 4));
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(ZwQueryKey(root, KeyNameInformation, buf, sizeof(KEY_NAME_INFORMATION), &rl),
                 STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(ni->Name[0], L'\\');
    cr_assert_eq(ni->Name[1], L'R');
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(ZwQueryKey(root, KeyNameInformation, buf, full - 1, &rl), STATUS_BUFFER_OVERFLOW);
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(ZwQueryKey(root, KeyNameInformation, buf, full, &rl), STATUS_SUCCESS);
    cr_assert_eq(rl, full);
    cr_assert_str_eq(kr_u8(ni->Name, nbytes / 2), want);
    cr_assert_eq(buf[full], KR_FILL);
    ZwClose(root);

    /* Keys reached through CurrentControlSet are named by their real path. */
    HANDLE svc = kr_open(NULL, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services");
    cr_assert_eq(ZwQueryKey(svc, KeyNameInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_str_eq(kr_u8(ni->Name, ni->NameLength / 2), "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services");
    ZwClose(svc);
}

Test(kreg_keys, basic_and_node_information)
{
    HANDLE root = kr_test_key();
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING us, cls = kr_us(L"Cls");
    kr_oa(&oa, &us, L"abc", root, 0);
    HANDLE k;
    cr_assert_eq(ZwCreateKey(&k, KEY_ALL_ACCESS, &oa, 0, &cls, 0, NULL), STATUS_SUCCESS);
    unsigned char buf[128];
    ULONG rl;
    /* Basic: 16 fixed bytes, then the key's own name. */
    KEY_BASIC_INFORMATION *bi = (KEY_BASIC_INFORMATION *)buf;
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(ZwQueryKey(k, KeyBasicInformation, buf, 15, &rl), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(rl, 22);
    cr_assert(all_fill(buf, sizeof buf));
    cr_assert_eq(ZwQueryKey(k, KeyBasicInformation, buf, 16, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(bi->NameLength, 6);
    cr_assert_eq(bi->TitleIndex, 0);
    cr_assert_neq(bi->LastWriteTime.QuadPart, 0);
    cr_assert(all_fill(buf + 16, sizeof buf - 16));
    cr_assert_eq(ZwQueryKey(k, KeyBasicInformation, buf, 21, &rl), STATUS_BUFFER_OVERFLOW);
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(ZwQueryKey(k, KeyBasicInformation, buf, 22, &rl), STATUS_SUCCESS);
    cr_assert_eq(memcmp(bi->Name, L"abc", 6), 0);
    cr_assert(all_fill(buf + 22, sizeof buf - 22));

    /* Node: 24 fixed bytes, the name, then the class 4-aligned: 24 + 6 = 30 -> 32, total 38. */
    KEY_NODE_INFORMATION *no = (KEY_NODE_INFORMATION *)buf;
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(ZwQueryKey(k, KeyNodeInformation, buf, 23, &rl), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(rl, 38);
    cr_assert(all_fill(buf, sizeof buf));
    cr_assert_eq(ZwQueryKey(k, KeyNodeInformation, buf, 24, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(no->ClassOffset, 32);
    cr_assert_eq(no->ClassLength, 6);
    cr_assert_eq(no->NameLength, 6);
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(ZwQueryKey(k, KeyNodeInformation, buf, 31, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(memcmp(no->Name, L"abc", 6), 0);
    cr_assert(all_fill(buf + 30, sizeof buf - 30), "no class before its offset fits");
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(ZwQueryKey(k, KeyNodeInformation, buf, 37, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(memcmp(buf + 32, L"Cls", 5), 0, "as much class as fits");
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(ZwQueryKey(k, KeyNodeInformation, buf, 38, &rl), STATUS_SUCCESS);
    cr_assert_eq(memcmp(buf + 32, L"Cls", 6), 0);
    cr_assert(all_fill(buf + 30, 2), "the pad is not written");
    /* Without a class: ClassOffset 0xFFFFFFFF. */
    HANDLE nc = kr_create(root, L"nc", 0);
    cr_assert_eq(ZwQueryKey(nc, KeyNodeInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_eq(no->ClassOffset, 0xFFFFFFFFu);
    cr_assert_eq(no->ClassLength, 0);
    cr_assert_eq(rl, 24 + 4);
    ZwClose(nc);
    ZwClose(k);
    ZwClose(root);
}

Test(kreg_keys, full_information_as_reactos_shows)
{
    HANDLE root = kr_test_key();
    unsigned char buf[256];
    KEY_FULL_INFORMATION *fi = (KEY_FULL_INFORMATION *)buf;
    ULONG rl = 0x55555555, fixed = FIELD_OFFSET(KEY_FULL_INFORMATION, Class);
    cr_assert_eq(fixed, 44);
    /* No class: the fixed part is everything. */
    cr_assert_eq(ZwQueryKey(root, KeyFullInformation, NULL, 0, &rl), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(rl, fixed);
    memset(buf, 0x55, sizeof buf);
    cr_assert_eq(ZwQueryKey(root, KeyFullInformation, buf, fixed, &rl), STATUS_SUCCESS);
    cr_assert_eq(fi->ClassOffset, 0xFFFFFFFFu);
    cr_assert_eq(fi->ClassLength, 0);
    cr_assert_eq(fi->Class[0], 0x5555);
    memset(buf, 0x55, sizeof buf);
    cr_assert_eq(ZwQueryKey(root, KeyFullInformation, buf, fixed - 1, &rl), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(fi->LastWriteTime.QuadPart, 0x5555555555555555LL);

    /* With a class "MyClass" (14 bytes) and some content. */
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING us, cls = kr_us(L"MyClass");
    kr_oa(&oa, &us, L"NtQueryKey_apitest", root, 0);
    HANDLE k;
    cr_assert_eq(ZwCreateKey(&k, KEY_ALL_ACCESS, &oa, 0, &cls, REG_OPTION_VOLATILE, NULL), STATUS_SUCCESS);
    cr_assert_eq(ZwQueryKey(k, KeyFullInformation, NULL, 0, &rl), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(rl, fixed + 14);
    memset(buf, 0x55, sizeof buf);
    cr_assert_eq(ZwQueryKey(k, KeyFullInformation, buf, fixed, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(rl, fixed + 14);
    cr_assert_eq(fi->TitleIndex, 0);
    cr_assert_eq(fi->ClassOffset, fixed);
    cr_assert_eq(fi->ClassLength, 14);
    cr_assert_eq(fi->SubKeys, 0);
    cr_assert_eq(fi->MaxNameLen, 0);
    cr_assert_eq(fi->MaxClassLen, 0);
    cr_assert_eq(fi->Values, 0);
    cr_assert_eq(fi->MaxValueNameLen, 0);
    cr_assert_eq(fi->MaxValueDataLen, 0);
    cr_assert_eq(fi->Class[0], 0x5555);
    memset(buf, 0x55, sizeof buf);
    cr_assert_eq(ZwQueryKey(k, KeyFullInformation, buf, fixed + 2, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(fi->Class[0], L'M');
    cr_assert_eq(fi->Class[1], 0x5555);
    memset(buf, 0x55, sizeof buf);
    cr_assert_eq(ZwQueryKey(k, KeyFullInformation, buf, fixed + 13, &rl), STATUS_BUFFER_OVERFLOW);
    cr_assert_eq(fi->Class[6], (L's' | 0x5500), "byte-granular partial copy");
    cr_assert_eq(fi->Class[7], 0x5555);
    memset(buf, 0x55, sizeof buf);
    cr_assert_eq(ZwQueryKey(k, KeyFullInformation, buf, fixed + 14, &rl), STATUS_SUCCESS);
    cr_assert_eq(fi->Class[6], L's');
    cr_assert_eq(fi->Class[7], 0x5555);
    memset(buf, 0x55, sizeof buf);
    cr_assert_eq(ZwQueryKey(k, KeyFullInformation, buf, fixed + 16, &rl), STATUS_SUCCESS);
    cr_assert_eq(rl, fixed + 14);
    cr_assert_eq(fi->Class[7], 0x5555);

    /* Counts and maxima, in bytes. */
    HANDLE s1 = kr_create(k, L"sub", REG_OPTION_VOLATILE);
    HANDLE s2 = kr_create(k, L"longersub", REG_OPTION_VOLATILE);
    kr_set_dword(k, L"val", 64);
    kr_set_sz(k, L"a", L"12345");
    cr_assert_eq(ZwQueryKey(k, KeyFullInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_eq(fi->SubKeys, 2);
    cr_assert_eq(fi->MaxNameLen, 18);
    cr_assert_eq(fi->Values, 2);
    cr_assert_eq(fi->MaxValueNameLen, 6);
    cr_assert_eq(fi->MaxValueDataLen, 12);
    ZwClose(s1);
    ZwClose(s2);
    ZwClose(k);
    ZwClose(root);
}

Test(kreg_keys, cached_information_as_wine_shows)
{
    HANDLE root = kr_test_key();
    HANDLE sub = kr_create(root, L"test_subkey", 0);
    KEY_CACHED_INFORMATION ci;
    ULONG rl = 0;
    cr_assert_eq(sizeof ci, 40);
    memset(&ci, KR_FILL, sizeof ci);
    cr_assert_eq(ZwQueryKey(sub, KeyCachedInformation, &ci, sizeof ci, &rl), STATUS_SUCCESS);
    cr_assert_eq(rl, sizeof ci);
    cr_assert_eq(ci.SubKeys, 0);
    cr_assert_eq(ci.MaxNameLen, 0);
    cr_assert_eq(ci.Values, 0);
    cr_assert_eq(ci.MaxValueNameLen, 0);
    cr_assert_eq(ci.MaxValueDataLen, 0);
    cr_assert_eq(ci.NameLength, 22);
    cr_assert_eq(ci.TitleIndex, 0);
    cr_assert(all_fill((unsigned char *)&ci + 36, 4), "the padding is left alone");
    HANDLE sub2 = kr_create(sub, L"test_subkey2", 0);
    kr_set_dword(sub, L"val", 64);
    cr_assert_eq(ZwQueryKey(sub, KeyCachedInformation, &ci, sizeof ci, &rl), STATUS_SUCCESS);
    cr_assert_eq(ci.SubKeys, 1);
    cr_assert_eq(ci.MaxNameLen, 24);
    cr_assert_eq(ci.Values, 1);
    cr_assert_eq(ci.MaxValueNameLen, 6);
    cr_assert_eq(ci.MaxValueDataLen, 4);
    cr_assert_eq(ci.NameLength, 22);
    memset(&ci, KR_FILL, sizeof ci);
    rl = 0;
    cr_assert_eq(ZwQueryKey(sub, KeyCachedInformation, &ci, sizeof ci - 1, &rl), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(rl, 40);
    cr_assert(all_fill((unsigned char *)&ci, sizeof ci));
    ZwClose(sub2);
    ZwClose(sub);
    ZwClose(root);
}

Test(kreg_keys, flags_virtualization_and_trust)
{
    HANDLE root = kr_test_key();
    unsigned char buf[16];
    ULONG rl = 0;
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(ZwQueryKey(root, KeyFlagsInformation, buf, 11, &rl), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(rl, 12);
    cr_assert(all_fill(buf, sizeof buf));
    cr_assert_eq(ZwQueryKey(root, KeyFlagsInformation, buf, 12, &rl), STATUS_SUCCESS);
    KEY_FLAGS_INFORMATION *f = (KEY_FLAGS_INFORMATION *)buf;
    cr_assert_eq(f->Wow64Flags, 0);
    cr_assert_eq(f->KeyFlags, 0);
    cr_assert_eq(f->ControlFlags, 0);
    cr_assert_eq(buf[12], KR_FILL);

    ULONG v = 0xFFFFFFFF;
    cr_assert_eq(ZwQueryKey(root, KeyVirtualizationInformation, &v, 3, &rl), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(rl, 4);
    cr_assert_eq(ZwQueryKey(root, KeyVirtualizationInformation, &v, 4, &rl), STATUS_SUCCESS);
    cr_assert_eq(v, 0xFFFFFFE0u, "never virtualized; the reserved bits are kept");

    ULONG t = 0;
    cr_assert_eq(ZwQueryKey(root, KeyTrustInformation, &t, 4, &rl), STATUS_SUCCESS);
    cr_assert_eq(t, 1, "a key of the SOFTWARE hive is trusted");
    HANDLE u = kr_open(NULL, L"\\Registry\\User\\.DEFAULT");
    t = 0xFFFFFFFF;
    cr_assert_eq(ZwQueryKey(u, KeyTrustInformation, &t, 4, &rl), STATUS_SUCCESS);
    cr_assert_eq(t, 0xFFFFFFFEu, "user hives are not system hives");
    ZwClose(u);
    ZwClose(root);
}

Test(kreg_keys, invalid_classes_and_arguments)
{
    HANDLE root = kr_test_key();
    unsigned char buf[64];
    ULONG rl = 0xdeadbeef;
    KEY_INFORMATION_CLASS bad[] = {KeyHandleTagsInformation, KeyLayerInformation, MaxKeyInfoClass,
                                   (KEY_INFORMATION_CLASS)0x7fffffff};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(ZwQueryKey(root, bad[i], buf, sizeof buf, &rl), STATUS_INVALID_PARAMETER);
        cr_assert_eq(ZwQueryKey(NULL, bad[i], buf, sizeof buf, &rl), STATUS_INVALID_PARAMETER);
    }
    cr_assert_eq(rl, 0xdeadbeef);
    cr_assert_eq(ZwQueryKey(NULL, KeyBasicInformation, buf, sizeof buf, &rl), STATUS_INVALID_HANDLE);
    cr_assert_eq(ZwQueryKey(root, KeyBasicInformation, buf, sizeof buf, NULL), STATUS_ACCESS_VIOLATION);
    ZwClose(root);
}

Test(kreg_keys, deleted_key_answers_key_deleted)
{
    HANDLE root = kr_test_key();
    HANDLE k = kr_create(root, L"gone", 0);
    cr_assert_eq(ZwDeleteKey(k), STATUS_SUCCESS);
    unsigned char buf[256];
    ULONG rl = 0xdeadbeef;
    KEY_INFORMATION_CLASS cls[] = {KeyBasicInformation,   KeyNodeInformation,  KeyFullInformation,
                                   KeyNameInformation,    KeyCachedInformation, KeyFlagsInformation,
                                   KeyVirtualizationInformation, KeyTrustInformation};
    for (size_t i = 0; i < sizeof cls / sizeof *cls; i++)
        cr_assert_eq(ZwQueryKey(k, cls[i], buf, sizeof buf, &rl), STATUS_KEY_DELETED, "class %d", (int)cls[i]);
    cr_assert_eq(ZwEnumerateKey(k, 0, KeyFullInformation, buf, sizeof buf, &rl), STATUS_KEY_DELETED);
    cr_assert_eq(ZwFlushKey(k), STATUS_KEY_DELETED);
    cr_assert_eq(rl, 0xdeadbeef);
    /* Deleting it again succeeds (Wine's test_NtDeleteKey). */
    cr_assert_eq(ZwDeleteKey(k), STATUS_SUCCESS);
    cr_assert_eq(ZwClose(k), STATUS_SUCCESS);
    ZwClose(root);
}

Test(kreg_keys, enumerate_subkeys)
{
    HANDLE root = kr_test_key();
    /* Created out of order; enumerated in order of their uppercased names. */
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING us, cls = kr_us(L"K");
    HANDLE h;
    kr_oa(&oa, &us, L"beta", root, 0);
    cr_assert_eq(ZwCreateKey(&h, KEY_ALL_ACCESS, &oa, 0, &cls, 0, NULL), STATUS_SUCCESS);
    HANDLE sub = kr_create(h, L"inner", 0);
    kr_set_dword(h, L"v", 1);
    ZwClose(sub);
    ZwClose(h);
    ZwClose(kr_create(root, L"Alpha", 0));
    ZwClose(kr_create(root, L"gamma", 0));
    static const WCHAR *order[] = {L"Alpha", L"beta", L"gamma"};
    unsigned char buf[128];
    ULONG rl;
    for (ULONG i = 0; i < 3; i++) {
        KEY_BASIC_INFORMATION *bi = (KEY_BASIC_INFORMATION *)buf;
        cr_assert_eq(ZwEnumerateKey(root, i, KeyBasicInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
        cr_assert_str_eq(kr_u8(bi->Name, bi->NameLength / 2), kr_u8(order[i], i == 0 ? 5 : i == 1 ? 4 : 5));
        cr_assert_eq(rl, 16 + bi->NameLength);
    }
    /* Node: the subkey's class; boundaries as ZwQueryKey. */
    KEY_NODE_INFORMATION *no = (KEY_NODE_INFORMATION *)buf;
    memset(buf, KR_FILL, sizeof buf);
    cr_assert_eq(ZwEnumerateKey(root, 1, KeyNodeInformation, buf, 23, &rl), STATUS_BUFFER_TOO_SMALL);
    cr_assert_eq(rl, 34);
    cr_assert(all_fill(buf, sizeof buf));
    cr_assert_eq(ZwEnumerateKey(root, 1, KeyNodeInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_eq(no->ClassOffset, 32);
    cr_assert_eq(no->ClassLength, 2);
    cr_assert_eq(buf[32], 'K');
    /* Full: the subkey's counts. */
    KEY_FULL_INFORMATION *fi = (KEY_FULL_INFORMATION *)buf;
    cr_assert_eq(ZwEnumerateKey(root, 1, KeyFullInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_eq(fi->SubKeys, 1);
    cr_assert_eq(fi->Values, 1);
    cr_assert_eq(fi->ClassLength, 2);
    cr_assert_eq(rl, 46);
    /* Past the end and unsupported classes. */
    rl = 0xdeadbeef;
    cr_assert_eq(ZwEnumerateKey(root, 3, KeyBasicInformation, buf, sizeof buf, &rl), STATUS_NO_MORE_ENTRIES);
    cr_assert_eq(rl, 0xdeadbeef);
    cr_assert_eq(ZwEnumerateKey(root, 0, KeyNameInformation, buf, sizeof buf, &rl), STATUS_INVALID_PARAMETER);
    cr_assert_eq(ZwEnumerateKey(root, 0, KeyCachedInformation, buf, sizeof buf, &rl), STATUS_INVALID_PARAMETER);
    cr_assert_eq(ZwEnumerateKey(NULL, 0, KeyNameInformation, buf, sizeof buf, &rl), STATUS_INVALID_PARAMETER);
    cr_assert_eq(ZwEnumerateKey(NULL, 0, KeyBasicInformation, buf, sizeof buf, &rl), STATUS_INVALID_HANDLE);
    cr_assert_eq(ZwEnumerateKey(root, 0, KeyBasicInformation, buf, sizeof buf, NULL), STATUS_ACCESS_VIOLATION);
    ZwClose(root);
}

Test(kreg_keys, delete_key_rules)
{
    HANDLE root = kr_test_key();
    HANDLE parent = kr_create(root, L"parent", 0);
    HANDLE child = kr_create(parent, L"child", 0);
    /* A key with subkeys cannot be deleted. */
    cr_assert_eq(ZwDeleteKey(parent), STATUS_CANNOT_DELETE);
    cr_assert_eq(ZwDeleteKey(child), STATUS_SUCCESS);
    cr_assert_eq(ZwDeleteKey(parent), STATUS_SUCCESS);
    HANDLE h;
    cr_assert_eq(kr_open_st(root, L"parent", KEY_READ, 0, &h), STATUS_OBJECT_NAME_NOT_FOUND);
    ZwClose(child);
    ZwClose(parent);
    /* Hive roots. */
    static const WCHAR *roots[] = {L"\\Registry", L"\\Registry\\Machine", L"\\Registry\\Machine\\SOFTWARE",
                                   L"\\Registry\\User\\.DEFAULT"};
    for (int i = 0; i < 4; i++) {
        h = kr_open(NULL, roots[i]);
        cr_assert_eq(ZwDeleteKey(h), STATUS_CANNOT_DELETE, "%d", i);
        ZwClose(h);
    }
    cr_assert_eq(ZwDeleteKey(NULL), STATUS_INVALID_HANDLE);
    HANDLE ev;
    cr_assert_eq(ZwCreateEvent(&ev, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE), STATUS_SUCCESS);
    cr_assert_eq(ZwDeleteKey(ev), STATUS_OBJECT_TYPE_MISMATCH);
    ZwClose(ev);
    ZwClose(root);
}

Test(kreg_keys, flush)
{
    HANDLE root = kr_test_key();
    cr_assert_eq(ZwFlushKey(NULL), STATUS_INVALID_HANDLE);
    cr_assert_eq(ZwFlushKey(root), STATUS_SUCCESS);
    HANDLE ev;
    cr_assert_eq(ZwCreateEvent(&ev, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE), STATUS_SUCCESS);
    cr_assert_eq(ZwFlushKey(ev), STATUS_OBJECT_TYPE_MISMATCH);
    ZwClose(ev);
    ZwClose(root);
}

static int closed_count;
static void count_close(pnpbox_machine *mm, emu_handle *h)
{
    (void)mm;
    (void)h;
    closed_count++;
}

Test(kreg_keys, zw_close_closes_any_handle)
{
    cr_assert_eq(ZwClose(NULL), STATUS_INVALID_HANDLE);
    cr_assert_eq(ZwClose((HANDLE)(uintptr_t)0x1000), STATUS_INVALID_HANDLE);
    cr_assert_eq(ZwClose((HANDLE)(uintptr_t)0x3), STATUS_INVALID_HANDLE);
    HANDLE k = kr_open(NULL, L"\\Registry\\Machine");
    cr_assert_eq(ZwClose(k), STATUS_SUCCESS);
    cr_assert_eq(ZwClose(k), STATUS_INVALID_HANDLE, "closed twice");
    HANDLE ev;
    cr_assert_eq(ZwCreateEvent(&ev, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE), STATUS_SUCCESS);
    cr_assert_eq(ZwClose(ev), STATUS_SUCCESS);
    /* Any object of the table: its close function runs. */
    emu_handle e = {0};
    e.type = EMU_H_OTHER;
    e.close_fn = count_close;
    void *hv = emu_handle_new(m, &e);
    cr_assert_not_null(hv);
    closed_count = 0;
    cr_assert_eq(ZwClose(hv), STATUS_SUCCESS);
    cr_assert_eq(closed_count, 1);
    /* A predefined HKEY is not a kernel handle. */
    e.close_fn = NULL;
    e.flags = EMU_HF_PREDEFINED;
    hv = emu_handle_new(m, &e);
    cr_assert_eq(ZwClose(hv), STATUS_INVALID_HANDLE);
    cr_assert_eq(emu_handle_count(m, 0), 1);
}
