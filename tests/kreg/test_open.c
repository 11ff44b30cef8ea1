/*
 * test_open.c: ZwOpenKey, ZwOpenKeyEx and ZwCreateKey as Windows answers
 * them (Wine's ntdll registry tests, run on Windows, are the reference):
 * argument checks, name syntax of the object manager, relative opens,
 * dispositions, classes, volatile keys, symbolic links and deleted keys.
 */
#include "tests/kreg/kr.h"

#include "base/pb_utf16.h"

#include <string.h>

TestSuite(kreg_open, .init = kr_setup, .fini = kr_teardown);

#define BAD ((HANDLE)(uintptr_t)0xdeadbeef)

Test(kreg_open, null_pointers_and_bad_attributes)
{
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING us;
    kr_oa(&oa, &us, L"\\Registry\\Machine\\SOFTWARE", NULL, OBJ_CASE_INSENSITIVE);
    cr_assert_eq(ZwOpenKey(NULL, KEY_READ, &oa), STATUS_ACCESS_VIOLATION);
    HANDLE h = BAD;
    cr_assert_eq(ZwOpenKey(&h, KEY_READ, NULL), STATUS_ACCESS_VIOLATION);
    cr_assert_null(h);
    oa.Length *= 2;
    h = BAD;
    cr_assert_eq(ZwOpenKey(&h, KEY_READ, &oa), STATUS_INVALID_PARAMETER);
    cr_assert_null(h);
    oa.Length = sizeof oa;
    oa.Attributes = 0x00080000;
    h = BAD;
    cr_assert_eq(ZwOpenKey(&h, KEY_READ, &oa), STATUS_INVALID_PARAMETER);
    cr_assert_null(h);
    oa.Attributes = OBJ_CASE_INSENSITIVE;
    us.Length = 3; /* odd */
    h = BAD;
    cr_assert_eq(ZwOpenKey(&h, KEY_READ, &oa), STATUS_OBJECT_NAME_INVALID);
    cr_assert_null(h);
    us.Length = 4;
    us.Buffer = NULL;
    h = BAD;
    cr_assert_eq(ZwOpenKey(&h, KEY_READ, &oa), STATUS_ACCESS_VIOLATION);
    cr_assert_null(h);
    cr_assert_eq(emu_handle_count(m, EMU_H_KEY), 0);
}

Test(kreg_open, zero_access_is_denied)
{
    HANDLE h = BAD;
    cr_assert_eq(kr_open_st(NULL, L"\\Registry\\Machine\\SOFTWARE", 0, OBJ_CASE_INSENSITIVE, &h),
                 STATUS_ACCESS_DENIED);
    cr_assert_null(h);
}

Test(kreg_open, object_manager_name_syntax)
{
    static const struct {
        const WCHAR *name;
        NTSTATUS st;
    } cases[] = {
        {L"Machine", STATUS_OBJECT_PATH_SYNTAX_BAD},
        {L"", STATUS_OBJECT_PATH_SYNTAX_BAD},
        {L"\\", STATUS_OBJECT_TYPE_MISMATCH},
        {L"\\\\\\", STATUS_OBJECT_NAME_INVALID},
        {L"\\Registry", STATUS_SUCCESS},
        {L"\\Registry\\", STATUS_SUCCESS},
        {L"\\Registry\\\\", STATUS_SUCCESS},
        {L"\\Foobar", STATUS_OBJECT_NAME_NOT_FOUND},
        {L"\\Foobar\\Machine", STATUS_OBJECT_PATH_NOT_FOUND},
        {L"\\Machine\\Software\\Classes", STATUS_OBJECT_PATH_NOT_FOUND},
        {L"Machine\\Software\\Classes", STATUS_OBJECT_PATH_SYNTAX_BAD},
        {L"\\Device\\Null", STATUS_OBJECT_TYPE_MISMATCH},
        {L"\\??\\C:\\Windows", STATUS_OBJECT_TYPE_MISMATCH},
        {L"\\REGISTRY\\MACHINE\\SOFTWARE\\CLASSES", STATUS_SUCCESS},
        {L"\\registry\\machine\\software\\classes", STATUS_SUCCESS},
        {L"\\Registry\\Machine\\SOFTWARE\\NoSuchKey", STATUS_OBJECT_NAME_NOT_FOUND},
        {L"\\Registry\\Machine\\NoSuchHive\\Key", STATUS_OBJECT_NAME_NOT_FOUND},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        HANDLE h = BAD;
        /* Windows 10 1607+ matches the \Registry part without OBJ_CASE_INSENSITIVE too. */
        NTSTATUS st = kr_open_st(NULL, cases[i].name, KEY_READ, 0, &h);
        cr_assert_eq(st, cases[i].st, "'%s': got 0x%08x, want 0x%08x",
                     kr_u8(cases[i].name, pb_wcslen((const uint16_t *)cases[i].name)), (unsigned)st,
                     (unsigned)cases[i].st);
        if (st == STATUS_SUCCESS) {
            cr_assert_not_null(h);
            cr_assert_eq((uintptr_t)h % 4, 0);
            cr_assert_eq(ZwClose(h), STATUS_SUCCESS);
        } else {
            cr_assert_null(h);
        }
    }
    cr_assert_eq(emu_handle_count(m, EMU_H_KEY), 0);
}

Test(kreg_open, relative_opens)
{
    HANDLE sw = kr_open(NULL, L"\\Registry\\Machine\\SOFTWARE");
    HANDLE h = BAD;
    cr_assert_eq(kr_open_st(sw, L"Microsoft\\Windows NT\\CurrentVersion", KEY_READ, 0, &h), STATUS_SUCCESS);
    WCHAR build[16] = {0};
    ULONG type = 0;
    cr_assert_eq(kr_get(h, L"CurrentBuild", &type, build, sizeof build - 2), 12);
    cr_assert_eq(type, REG_SZ);
    cr_assert_str_eq(kr_u8(build, 5), "26100");
    ZwClose(h);

    h = BAD;
    cr_assert_eq(kr_open_st(sw, L"\\Microsoft", KEY_READ, 0, &h), STATUS_OBJECT_PATH_SYNTAX_BAD);
    cr_assert_null(h);
    h = BAD;
    cr_assert_eq(kr_open_st(sw, L"NoSuchKey\\Below", KEY_READ, 0, &h), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_null(h);

    /* No name: a second handle to the root key itself. */
    h = BAD;
    cr_assert_eq(kr_open_st(sw, NULL, KEY_READ, 0, &h), STATUS_SUCCESS);
    cr_assert_neq(h, sw);
    emu_handle *a, *b;
    cr_assert_eq(emu_key_from_handle(m, h, &a), STATUS_SUCCESS);
    cr_assert_eq(emu_key_from_handle(m, sw, &b), STATUS_SUCCESS);
    cr_assert_eq(a->key, b->key);
    ZwClose(h);

    /* Through the CurrentControlSet link: the handle names ControlSet001. */
    HANDLE sys = kr_open(NULL, L"\\Registry\\Machine\\SYSTEM");
    h = kr_open(sys, L"CurrentControlSet\\Services");
    cr_assert_eq(emu_key_from_handle(m, h, &a), STATUS_SUCCESS);
    cr_assert_str_eq(a->path, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services");
    ZwClose(h);
    ZwClose(sys);
    ZwClose(sw);
}

Test(kreg_open, bad_root_handles)
{
    HANDLE h = BAD;
    cr_assert_eq(kr_open_st((HANDLE)(uintptr_t)0x1234, L"x", KEY_READ, 0, &h), STATUS_INVALID_HANDLE);
    cr_assert_null(h);
    HANDLE ev;
    cr_assert_eq(ZwCreateEvent(&ev, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE), STATUS_SUCCESS);
    h = BAD;
    cr_assert_eq(kr_open_st(ev, L"x", KEY_READ, 0, &h), STATUS_OBJECT_TYPE_MISMATCH);
    cr_assert_null(h);
    ZwClose(ev);
}

Test(kreg_open, handle_flags_and_granted_access)
{
    HANDLE h = NULL;
    cr_assert_eq(kr_open_st(NULL, L"\\Registry\\Machine\\SOFTWARE", GENERIC_READ, OBJ_KERNEL_HANDLE, &h),
                 STATUS_SUCCESS);
    emu_handle *e;
    cr_assert_eq(emu_key_from_handle(m, h, &e), STATUS_SUCCESS);
    cr_assert(e->flags & EMU_HF_KERNEL);
    cr_assert_eq(e->access, KEY_READ);
    cr_assert_eq(e->type, EMU_H_KEY);
    ZwClose(h);
    cr_assert_eq(kr_open_st(NULL, L"\\Registry\\Machine\\SOFTWARE", MAXIMUM_ALLOWED, 0, &h), STATUS_SUCCESS);
    cr_assert_eq(emu_key_from_handle(m, h, &e), STATUS_SUCCESS);
    cr_assert_eq(e->access, KEY_ALL_ACCESS);
    cr_assert_not(e->flags & EMU_HF_KERNEL);
    ZwClose(h);
}

Test(kreg_open, open_key_ex_options)
{
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING us;
    kr_oa(&oa, &us, L"\\Registry\\Machine\\SOFTWARE", NULL, OBJ_CASE_INSENSITIVE);
    HANDLE h = BAD;
    cr_assert_eq(ZwOpenKeyEx(&h, KEY_READ, &oa, 0x100), STATUS_INVALID_PARAMETER);
    cr_assert_eq(h, BAD, "options are checked before the handle pointer is touched");
    cr_assert_eq(ZwOpenKeyEx(&h, KEY_READ, &oa, 0), STATUS_SUCCESS);
    ZwClose(h);
    /* REG_OPTION_BACKUP_RESTORE: the desired access is ignored (even 0); backup and restore rights. */
    h = BAD;
    cr_assert_eq(ZwOpenKeyEx(&h, 0, &oa, REG_OPTION_BACKUP_RESTORE), STATUS_SUCCESS);
    emu_handle *e;
    cr_assert_eq(emu_key_from_handle(m, h, &e), STATUS_SUCCESS);
    cr_assert_eq(e->access, KEY_READ | KEY_WRITE | ACCESS_SYSTEM_SECURITY);
    ZwClose(h);
    h = BAD;
    cr_assert_eq(ZwOpenKeyEx(&h, 0, &oa, 0), STATUS_ACCESS_DENIED);
    cr_assert_null(h);
}

Test(kreg_open, create_disposition_and_class)
{
    HANDLE root = kr_test_key();
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING us, cls = kr_us(L"MyClass");
    kr_oa(&oa, &us, L"Child", root, OBJ_CASE_INSENSITIVE);
    HANDLE h = BAD;
    ULONG disp = 0xdeadbeef;
    cr_assert_eq(ZwCreateKey(&h, KEY_ALL_ACCESS, &oa, 7, &cls, REG_OPTION_NON_VOLATILE, &disp), STATUS_SUCCESS);
    cr_assert_eq(disp, REG_CREATED_NEW_KEY);
    cr_assert_not_null(h);
    unsigned char buf[256];
    ULONG rl = 0;
    cr_assert_eq(ZwQueryKey(h, KeyFullInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    KEY_FULL_INFORMATION *fi = (KEY_FULL_INFORMATION *)buf;
    cr_assert_eq(fi->ClassLength, 14);
    cr_assert_eq(fi->ClassOffset, FIELD_OFFSET(KEY_FULL_INFORMATION, Class));
    cr_assert_eq(memcmp(fi->Class, L"MyClass", 14), 0);
    cr_assert_eq(fi->TitleIndex, 0, "TitleIndex is ignored");
    ZwClose(h);

    /* Again: opened, and the class of an existing key is not changed. */
    UNICODE_STRING other = kr_us(L"Other");
    disp = 0xdeadbeef;
    cr_assert_eq(ZwCreateKey(&h, KEY_ALL_ACCESS, &oa, 0, &other, 0, &disp), STATUS_SUCCESS);
    cr_assert_eq(disp, REG_OPENED_EXISTING_KEY);
    cr_assert_eq(ZwQueryKey(h, KeyFullInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_eq(memcmp(fi->Class, L"MyClass", 14), 0);
    ZwClose(h);

    /* Disposition may be NULL. */
    cr_assert_eq(ZwCreateKey(&h, KEY_ALL_ACCESS, &oa, 0, NULL, 0, NULL), STATUS_SUCCESS);
    ZwClose(h);
    ZwClose(root);
}

Test(kreg_open, create_path_rules)
{
    HANDLE root = kr_test_key();
    HANDLE h = BAD;
    ULONG disp = 0xdeadbeef;
    /* Every component but the last must exist. */
    cr_assert_eq(kr_create_st(root, L"test\\sub\\key", 0, &h, &disp), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_null(h);
    cr_assert_eq(disp, 0xdeadbeef, "Disposition is written on success only");
    cr_assert_eq(kr_create_st(root, L"test\\subkey\\", 0, &h, NULL), STATUS_OBJECT_NAME_NOT_FOUND);
    /* A trailing '\' and repeated separators are ignored. */
    cr_assert_eq(kr_create_st(root, L"test_subkey\\", 0, &h, &disp), STATUS_SUCCESS);
    cr_assert_eq(disp, REG_CREATED_NEW_KEY);
    ZwClose(h);
    cr_assert_eq(kr_create_st(root, L"test_subkey\\\\sub2\\\\", 0, &h, &disp), STATUS_SUCCESS);
    cr_assert_eq(disp, REG_CREATED_NEW_KEY);
    emu_handle *e;
    cr_assert_eq(emu_key_from_handle(m, h, &e), STATUS_SUCCESS);
    cr_assert_str_eq(e->path, "\\REGISTRY\\MACHINE\\SOFTWARE\\PnpboxKregTest\\test_subkey\\sub2");
    ZwClose(h);
    /* Absolute creates follow the same rules. */
    cr_assert_eq(kr_create_st(NULL, L"\\Registry\\Machine\\SOFTWARE\\PnpboxKregTest\\abs", 0, &h, &disp),
                 STATUS_SUCCESS);
    cr_assert_eq(disp, REG_CREATED_NEW_KEY);
    ZwClose(h);
    cr_assert_eq(kr_create_st(NULL, L"\\Registry\\Machine\\SOFTWARE\\NoSuch\\abs", 0, &h, NULL),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    /* Invalid options. */
    h = BAD;
    cr_assert_eq(kr_create_st(root, L"opt", 0x100, &h, NULL), STATUS_INVALID_PARAMETER);
    cr_assert_null(h);
    ZwClose(root);
}

Test(kreg_open, create_zero_access_and_null_pointers)
{
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING us;
    kr_oa(&oa, &us, L"\\Registry\\Machine\\SOFTWARE\\PnpboxKregTest", NULL, OBJ_CASE_INSENSITIVE);
    cr_assert_eq(ZwCreateKey(NULL, KEY_ALL_ACCESS, &oa, 0, NULL, 0, NULL), STATUS_ACCESS_VIOLATION);
    HANDLE h = BAD;
    cr_assert_eq(ZwCreateKey(&h, KEY_ALL_ACCESS, NULL, 0, NULL, 0, NULL), STATUS_ACCESS_VIOLATION);
    cr_assert_null(h);
    h = BAD;
    cr_assert_eq(ZwCreateKey(&h, 0, &oa, 0, NULL, 0, NULL), STATUS_ACCESS_DENIED);
    cr_assert_null(h);
    HANDLE k;
    cr_assert_eq(kr_open_st(NULL, L"\\Registry\\Machine\\SOFTWARE\\PnpboxKregTest", KEY_READ, 0, &k),
                 STATUS_OBJECT_NAME_NOT_FOUND, "nothing was created");
}

Test(kreg_open, volatile_keys)
{
    HANDLE root = kr_test_key();
    HANDLE v = kr_create(root, L"Vol", REG_OPTION_VOLATILE);
    HANDLE h = BAD;
    cr_assert_eq(kr_create_st(v, L"NonVol", REG_OPTION_NON_VOLATILE, &h, NULL), STATUS_CHILD_MUST_BE_VOLATILE);
    cr_assert_null(h);
    HANDLE vv = kr_create(v, L"VolChild", REG_OPTION_VOLATILE);
    KEY_FLAGS_INFORMATION fl;
    ULONG rl;
    cr_assert_eq(ZwQueryKey(vv, KeyFlagsInformation, &fl, sizeof fl, &rl), STATUS_SUCCESS);
    cr_assert_eq(fl.KeyFlags, REG_FLAG_VOLATILE);
    ZwClose(vv);
    ZwClose(v);
    cr_assert_eq(pnpbox_reboot(m), 0);
    cr_assert_eq(kr_open_st(root, L"Vol", KEY_READ, 0, &h), STATUS_OBJECT_NAME_NOT_FOUND);
    ZwClose(root);
}

Test(kreg_open, symbolic_links)
{
    HANDLE root = kr_test_key();
    HANDLE link = kr_create(root, L"link", REG_OPTION_CREATE_LINK);
    UNICODE_STRING slv = kr_us(L"SymbolicLinkValue"), other = kr_us(L"link");
    static const WCHAR target[] = L"\\Registry\\Machine\\SOFTWARE\\PnpboxKregTest\\target";
    ULONG tlen = (ULONG)(sizeof target - sizeof(WCHAR));
    /* A link key holds its SymbolicLinkValue as REG_LINK and nothing else. */
    cr_assert_eq(ZwSetValueKey(link, &slv, 0, REG_SZ, (PVOID)target, tlen), STATUS_ACCESS_DENIED);
    cr_assert_eq(ZwSetValueKey(link, &slv, 0, REG_LINK, (PVOID)target, tlen), STATUS_SUCCESS);
    cr_assert_eq(ZwSetValueKey(link, &other, 0, REG_LINK, (PVOID)target, tlen), STATUS_ACCESS_DENIED);

    /* The target does not exist yet. */
    HANDLE h = BAD;
    cr_assert_eq(kr_open_st(root, L"link", KEY_ALL_ACCESS, 0, &h), STATUS_OBJECT_NAME_NOT_FOUND);
    cr_assert_null(h);
    HANDLE t = kr_create(root, L"target", 0);
    kr_set_dword(t, L"value", 0xbeef);
    ZwClose(t);

    /* Through the link: the target's values. */
    h = kr_open(root, L"link");
    ULONG dw = 0;
    kr_get(h, L"value", NULL, &dw, sizeof dw);
    cr_assert_eq(dw, 0xbeef);
    unsigned char buf[512];
    ULONG rl;
    cr_assert_eq(ZwQueryValueKey(h, &slv, KeyValuePartialInformation, buf, sizeof buf, &rl),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    ZwClose(h);

    /* OBJ_OPENLINK opens the link itself. */
    cr_assert_eq(kr_open_st(root, L"link", KEY_ALL_ACCESS, OBJ_OPENLINK, &h), STATUS_SUCCESS);
    cr_assert_eq(ZwQueryValueKey(h, &slv, KeyValuePartialInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    cr_assert_eq(rl, FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data) + tlen);
    KEY_FLAGS_INFORMATION fl;
    cr_assert_eq(ZwQueryKey(h, KeyFlagsInformation, &fl, sizeof fl, &rl), STATUS_SUCCESS);
    cr_assert_eq(fl.KeyFlags, REG_FLAG_LINK);
    ZwClose(h);

    /* ZwOpenKeyEx's REG_OPTION_OPEN_LINK alone follows the link; with OBJ_OPENLINK it opens it. */
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING us;
    kr_oa(&oa, &us, L"link", root, 0);
    cr_assert_eq(ZwOpenKeyEx(&h, KEY_ALL_ACCESS, &oa, REG_OPTION_OPEN_LINK), STATUS_SUCCESS);
    cr_assert_eq(ZwQueryValueKey(h, &slv, KeyValuePartialInformation, buf, sizeof buf, &rl),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    ZwClose(h);
    kr_oa(&oa, &us, L"link", root, OBJ_OPENLINK);
    cr_assert_eq(ZwOpenKeyEx(&h, KEY_ALL_ACCESS, &oa, REG_OPTION_OPEN_LINK), STATUS_SUCCESS);
    cr_assert_eq(ZwQueryValueKey(h, &slv, KeyValuePartialInformation, buf, sizeof buf, &rl), STATUS_SUCCESS);
    ZwClose(h);

    /* Creating an existing link again is a collision. */
    h = BAD;
    cr_assert_eq(kr_create_st(root, L"link", REG_OPTION_CREATE_LINK, &h, NULL), STATUS_OBJECT_NAME_COLLISION);
    cr_assert_null(h);

    /* Delete the target; ZwCreateKey through the link creates it again. */
    h = kr_open(root, L"target");
    cr_assert_eq(ZwDeleteKey(h), STATUS_SUCCESS);
    ZwClose(h);
    cr_assert_eq(kr_open_st(root, L"link", KEY_ALL_ACCESS, 0, &h), STATUS_OBJECT_NAME_NOT_FOUND);
    ULONG disp = 0;
    cr_assert_eq(kr_create_st(root, L"link", 0, &h, &disp), STATUS_SUCCESS);
    cr_assert_eq(disp, REG_CREATED_NEW_KEY);
    emu_handle *e;
    cr_assert_eq(emu_key_from_handle(m, h, &e), STATUS_SUCCESS);
    cr_assert_str_eq(e->path, "\\REGISTRY\\MACHINE\\SOFTWARE\\PnpboxKregTest\\target");
    ZwClose(h);

    /* Deleting the link handle deletes the link, not the target. */
    cr_assert_eq(ZwDeleteKey(link), STATUS_SUCCESS);
    ZwClose(link);
    h = kr_open(root, L"target");
    ZwClose(h);
    cr_assert_eq(kr_open_st(root, L"link", KEY_READ, OBJ_OPENLINK, &h), STATUS_OBJECT_NAME_NOT_FOUND);
    ZwClose(root);
}

Test(kreg_open, deleted_root)
{
    HANDLE root = kr_test_key();
    HANDLE k = kr_create(root, L"gone", 0);
    cr_assert_eq(ZwDeleteKey(k), STATUS_SUCCESS);
    HANDLE h = BAD;
    cr_assert_eq(kr_open_st(k, L"subkey", KEY_READ, OBJ_CASE_INSENSITIVE, &h), STATUS_KEY_DELETED);
    cr_assert_null(h);
    h = BAD;
    cr_assert_eq(kr_create_st(k, L"subkey", 0, &h, NULL), STATUS_KEY_DELETED);
    cr_assert_null(h);
    cr_assert_eq(ZwClose(k), STATUS_SUCCESS);
    ZwClose(root);
}

Test(kreg_open, fault_injection_leaves_nothing)
{
    cr_assert_eq(pnpbox_fault_add(m, "ZwCreateKey", 1, 0), 0);
    size_t ev = kr_nevents();
    HANDLE h = BAD;
    cr_assert_eq(kr_create_st(NULL, L"\\Registry\\Machine\\SOFTWARE\\Faulted", 0, &h, NULL),
                 STATUS_INSUFFICIENT_RESOURCES);
    cr_assert_null(h);
    cr_assert_eq(kr_nevents(), ev, "a faulted call reaches no object and records nothing");
    cr_assert_eq(kr_open_st(NULL, L"\\Registry\\Machine\\SOFTWARE\\Faulted", KEY_READ, 0, &h),
                 STATUS_OBJECT_NAME_NOT_FOUND);
    /* The next call succeeds. */
    cr_assert_eq(kr_create_st(NULL, L"\\Registry\\Machine\\SOFTWARE\\Faulted", 0, &h, NULL), STATUS_SUCCESS);
    ZwClose(h);
}

Test(kreg_open, long_and_unusual_names)
{
    HANDLE root = kr_test_key();
    WCHAR name[300];
    for (int i = 0; i < 255; i++)
        name[i] = L'a';
    name[255] = 0;
    HANDLE h = kr_create(root, name, 0);
    ZwClose(h);
    name[255] = L'a';
    name[256] = 0;
    h = BAD;
    NTSTATUS st = kr_create_st(root, name, 0, &h, NULL);
    cr_assert(st < 0, "a 256-character key name is refused (0x%08x)", (unsigned)st);
    cr_assert_null(h);
    /* Non-ASCII names compare case-insensitively under Windows' upcase table. */
    h = kr_create(root, L"\x00f6\x00f3\x014d\x0371", 0);
    ZwClose(h);
    h = kr_open(root, L"\x00d6\x00d3\x014c\x0370");
    ZwClose(h);
    ZwClose(root);
}
