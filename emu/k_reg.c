/*
 * k_reg.c: the kernel registry API drivers call (Zw*Key, ZwNotifyChangeKey
 * and the Rtl registry helpers), a thin layer over reg_core.c that adds
 * the NT argument conventions, the KEY_*_INFORMATION and
 * KEY_VALUE_*_INFORMATION layouts with their exact buffer-size rules, and
 * the query-table engine of RtlQueryRegistryValues.
 *
 * Every routine runs as a kernel-mode (PreviousMode KernelMode) call, as a
 * driver's Zw call does on Windows: handle access rights are not checked
 * (ObReferenceObjectByHandle grants everything in kernel mode) and
 * asynchronous notifications never write the IO_STATUS_BLOCK.  Where
 * Windows would bug-check or fault on a bad pointer, pnpbox returns
 * STATUS_ACCESS_VIOLATION (what the Nt* call gives a user-mode caller for
 * the same pointer) and never crashes.
 *
 * Sources: Wine's ntdll registry tests (run on Windows), ReactOS's
 * NtQueryKey and ZwNotifyChangeKey tests (run on Windows), the Windows
 * Research Kernel (ntapi.c, cmnotify.c), decompiled Windows 11 routines
 * (CmpQueryKeyValueData, CmpQueryKeyDataFromNode, CmQueryKey,
 * CmpQueryKeyDataFromCache, NtEnumerateKey, NtEnumerateValueKey,
 * RtlpQueryRegistryValues, RtlpCallQueryRegistryRoutine,
 * RtlpQueryRegistryDirect, RtlpGetRegistryHandle, RtlWriteRegistryValue,
 * RtlQueryRegistryValueWithFallback) and the reference §1.8.
 * docs/kernel-registry.md lists the choices made where they are silent.
 */
#include <wdm.h>

#include "emu/emu.h"
#include "emu/k_fmt.h"
#include "emu/kreg.h"
#include "emu/reg_core.h"

#include "base/pb_utf16.h"

#include <stdlib.h>
#include <string.h>

#define KCTX(m, name) {(m), (name), caller, 0}

/* ---------------------------------------------------------------- helpers */

static void put32(void *p, ULONG v) { memcpy(p, &v, 4); }
static void put64(void *p, LONGLONG v) { memcpy(p, &v, 8); }
static ULONG get32(const void *p)
{
    ULONG v;
    memcpy(&v, p, 4);
    return v;
}
static ULONG umin(ULONG a, ULONG b) { return a < b ? a : b; }

/* Object attributes as the object manager captures them for a kernel caller. */
static NTSTATUS check_oa(const OBJECT_ATTRIBUTES *oa)
{
    if (!oa)
        return STATUS_ACCESS_VIOLATION;
    if (oa->Length != sizeof(OBJECT_ATTRIBUTES) || (oa->Attributes & ~(ULONG)OBJ_VALID_ATTRIBUTES))
        return STATUS_INVALID_PARAMETER;
    const UNICODE_STRING *n = oa->ObjectName;
    if (n) {
        if (n->Length & 1)
            return STATUS_OBJECT_NAME_INVALID;
        if (n->Length && !n->Buffer)
            return STATUS_ACCESS_VIOLATION;
    }
    return STATUS_SUCCESS;
}

/*
 * A value name: NULL is an access violation, an odd length
 * STATUS_INVALID_PARAMETER; trailing NULs are dropped when `strip` (NtQueryValueKey
 * and NtSetValueKey do that, NtDeleteValueKey does not).
 */
static NTSTATUS value_name(const UNICODE_STRING *s, int strip, const uint16_t **p, size_t *n)
{
    if (!s)
        return STATUS_ACCESS_VIOLATION;
    if (s->Length & 1)
        return STATUS_INVALID_PARAMETER;
    if (s->Length && !s->Buffer)
        return STATUS_ACCESS_VIOLATION;
    const uint16_t *b = (const uint16_t *)s->Buffer;
    size_t len = s->Length / 2;
    while (strip && len && b[len - 1] == 0)
        len--;
    *p = b;
    *n = len;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- KEY_VALUE_*_INFORMATION */

/*
 * Fill a value-information buffer exactly as CmpQueryKeyValueData: the
 * required size always goes to *result; a buffer shorter than the fixed
 * part gets STATUS_BUFFER_TOO_SMALL and is not touched; otherwise the fixed
 * part is filled and as much of the name and data as fits is copied, with
 * STATUS_BUFFER_OVERFLOW when something did not fit.  In the Full forms
 * (both: Windows 11 treats the Align64 one the same) the data starts at the
 * name's end rounded up to 8 bytes; DataOffset is 0xFFFFFFFF without data.
 */
static NTSTATUS fill_value(KEY_VALUE_INFORMATION_CLASS cls, const regdb_value *v, PVOID info, ULONG len,
                           PULONG result)
{
    unsigned char *b = info;
    ULONG nl = (ULONG)(v->name_len * 2), dl = (ULONG)v->data_len;
    NTSTATUS st = STATUS_SUCCESS;
    switch (cls) {
    case KeyValueBasicInformation: {
        ULONG fixed = FIELD_OFFSET(KEY_VALUE_BASIC_INFORMATION, Name);
        *result = fixed + nl;
        if (len < fixed)
            return STATUS_BUFFER_TOO_SMALL;
        if (!b)
            return STATUS_ACCESS_VIOLATION;
        put32(b + 0, 0);
        put32(b + 4, v->type);
        put32(b + 8, nl);
        ULONG n = umin(len - fixed, nl);
        if (n)
            memcpy(b + fixed, v->name, n);
        return n < nl ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
    }
    case KeyValuePartialInformation:
    case KeyValuePartialInformationAlign64: {
        int a64 = cls == KeyValuePartialInformationAlign64;
        ULONG fixed = a64 ? FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION_ALIGN64, Data)
                          : FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data);
        *result = fixed + dl;
        if (len < fixed)
            return STATUS_BUFFER_TOO_SMALL;
        if (!b)
            return STATUS_ACCESS_VIOLATION;
        if (a64) {
            put32(b + 0, v->type);
            put32(b + 4, dl);
        } else {
            put32(b + 0, 0);
            put32(b + 4, v->type);
            put32(b + 8, dl);
        }
        ULONG n = umin(len - fixed, dl);
        if (n)
            memcpy(b + fixed, v->data, n);
        return n < dl ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
    }
    case KeyValueFullInformation:
    case KeyValueFullInformationAlign64: {
        ULONG fixed = FIELD_OFFSET(KEY_VALUE_FULL_INFORMATION, Name);
        ULONG off = (fixed + nl + 7) & ~7u;
        *result = dl ? off + dl : fixed + nl;
        if (len < fixed)
            return STATUS_BUFFER_TOO_SMALL;
        if (!b)
            return STATUS_ACCESS_VIOLATION;
        put32(b + 0, 0);
        put32(b + 4, v->type);
        put32(b + 12, dl);
        put32(b + 16, nl);
        ULONG n = umin(len - fixed, nl);
        if (n)
            memcpy(b + fixed, v->name, n);
        if (n < nl)
            st = STATUS_BUFFER_OVERFLOW;
        if (dl) {
            put32(b + 8, off);
            ULONG d = len > off ? umin(len - off, dl) : 0;
            if (d)
                memcpy(b + off, v->data, d);
            if (d < dl)
                st = STATUS_BUFFER_OVERFLOW;
        } else {
            put32(b + 8, 0xFFFFFFFFu);
        }
        return st;
    }
    default:
        return STATUS_INVALID_PARAMETER;
    }
}

/* ---------------------------------------------------------------- KEY_*_INFORMATION */

typedef struct key_facts {
    LONGLONG last_write;
    const uint16_t *name;
    size_t name_len;
    const uint16_t *cls;
    size_t cls_len;
    const regdb_key_info *info; /* counts and maxima (Full, Cached) */
} key_facts;

/* KEY_BASIC / KEY_NODE / KEY_FULL / KEY_CACHED as CmpQueryKeyDataFromNode and
 * CmpQueryKeyDataFromCache build them. */
static NTSTATUS fill_key(KEY_INFORMATION_CLASS cls, const key_facts *k, PVOID info, ULONG len, PULONG result)
{
    unsigned char *b = info;
    ULONG nl = (ULONG)(k->name_len * 2), cl = (ULONG)(k->cls_len * 2);
    switch (cls) {
    case KeyBasicInformation: {
        ULONG fixed = FIELD_OFFSET(KEY_BASIC_INFORMATION, Name);
        *result = fixed + nl;
        if (len < fixed)
            return STATUS_BUFFER_TOO_SMALL;
        if (!b)
            return STATUS_ACCESS_VIOLATION;
        put64(b + 0, k->last_write);
        put32(b + 8, 0);
        put32(b + 12, nl);
        ULONG n = umin(len - fixed, nl);
        if (n)
            memcpy(b + fixed, k->name, n);
        return n < nl ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
    }
    case KeyNodeInformation: {
        ULONG fixed = FIELD_OFFSET(KEY_NODE_INFORMATION, Name);
        ULONG coff = cl ? (fixed + nl + 3) & ~3u : fixed + nl; /* the class starts 4-aligned */
        ULONG total = cl ? coff + cl : fixed + nl;
        *result = total;
        if (len < fixed)
            return STATUS_BUFFER_TOO_SMALL;
        if (!b)
            return STATUS_ACCESS_VIOLATION;
        put64(b + 0, k->last_write);
        put32(b + 8, 0);
        put32(b + 12, cl ? coff : 0xFFFFFFFFu);
        put32(b + 16, cl);
        put32(b + 20, nl);
        ULONG n = umin(len - fixed, nl);
        if (n)
            memcpy(b + fixed, k->name, n);
        if (len < coff)
            return STATUS_BUFFER_OVERFLOW;
        ULONG c = umin(len - coff, cl);
        if (c)
            memcpy(b + coff, k->cls, c);
        return total > len ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
    }
    case KeyFullInformation: {
        ULONG fixed = FIELD_OFFSET(KEY_FULL_INFORMATION, Class);
        *result = fixed + cl;
        if (len < fixed)
            return STATUS_BUFFER_TOO_SMALL;
        if (!b)
            return STATUS_ACCESS_VIOLATION;
        const regdb_key_info *i = k->info;
        put64(b + 0, k->last_write);
        put32(b + 8, 0);
        put32(b + 12, cl ? fixed : 0xFFFFFFFFu);
        put32(b + 16, cl);
        put32(b + 20, i->subkeys);
        put32(b + 24, i->max_subkey_len * 2);
        put32(b + 28, i->max_class_len * 2);
        put32(b + 32, i->values);
        put32(b + 36, i->max_value_name * 2);
        put32(b + 40, i->max_value_data);
        ULONG c = umin(len - fixed, cl);
        if (c)
            memcpy(b + fixed, k->cls, c);
        return c < cl ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
    }
    case KeyCachedInformation: {
        *result = sizeof(KEY_CACHED_INFORMATION);
        if (len < sizeof(KEY_CACHED_INFORMATION))
            return STATUS_BUFFER_TOO_SMALL;
        if (!b)
            return STATUS_ACCESS_VIOLATION;
        const regdb_key_info *i = k->info;
        put64(b + 0, k->last_write);
        put32(b + 8, 0);
        put32(b + 12, i->subkeys);
        put32(b + 16, i->max_subkey_len * 2);
        put32(b + 20, i->values);
        put32(b + 24, i->max_value_name * 2);
        put32(b + 28, i->max_value_data);
        put32(b + 32, nl); /* bytes 36..39 (padding) are left as they are */
        return STATUS_SUCCESS;
    }
    default:
        return STATUS_INVALID_PARAMETER;
    }
}

/* ---------------------------------------------------------------- opens */

static NTSTATUS open_common(void *caller, const char *api, PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
                            POBJECT_ATTRIBUTES oa, unsigned flags, ULONG create_options, PUNICODE_STRING Class,
                            PULONG Disposition)
{
    if (!KeyHandle)
        return STATUS_ACCESS_VIOLATION; /* NtOpenKey probes the handle pointer first */
    *KeyHandle = NULL;                  /* failures leave NULL (Wine's tests: key == 0) */
    NTSTATUS st = check_oa(oa);
    if (st < 0)
        return st;
    if (DesiredAccess == 0 && !(flags & REG_OPEN_BACKUP))
        return STATUS_ACCESS_DENIED; /* Wine's test_NtOpenKey: zero access mask */
    const uint16_t *cls = NULL;
    size_t cls_len = 0;
    if (Class && Class->Length) {
        if (!Class->Buffer)
            return STATUS_ACCESS_VIOLATION;
        cls = (const uint16_t *)Class->Buffer;
        cls_len = Class->Length / 2;
    }
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    if (emu_fault(m, api, &st))
        goto out;
    if (oa->Attributes & OBJ_OPENLINK)
        flags |= REG_OPEN_LINK;
    reg_ctx c = KCTX(m, api);
    reg_open_args a = {0};
    a.root = oa->RootDirectory;
    a.name = oa->ObjectName ? (const uint16_t *)oa->ObjectName->Buffer : NULL;
    a.name_len = oa->ObjectName ? oa->ObjectName->Length / 2 : 0;
    a.access = DesiredAccess;
    a.flags = flags;
    a.create_options = create_options;
    a.cls = cls;
    a.cls_len = cls_len;
    a.hflags = (oa->Attributes & OBJ_KERNEL_HANDLE) ? EMU_HF_KERNEL : 0;
    void *h = NULL;
    uint32_t disp = 0;
    st = reg_core_open(&c, &a, &h, &disp);
    if (st == STATUS_SUCCESS) {
        *KeyHandle = h;
        if (Disposition)
            *Disposition = disp;
    }
out:
    emu_unlock(m);
    return st;
}

NTSTATUS NTAPI ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes)
{
    void *caller = __builtin_return_address(0);
    return open_common(caller, "ZwOpenKey", KeyHandle, DesiredAccess, ObjectAttributes, 0, 0, NULL, NULL);
}

NTSTATUS NTAPI ZwOpenKeyEx(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                           ULONG OpenOptions)
{
    void *caller = __builtin_return_address(0);
    if (OpenOptions & ~(ULONG)(REG_OPTION_BACKUP_RESTORE | REG_OPTION_OPEN_LINK | REG_OPTION_DONT_VIRTUALIZE))
        return STATUS_INVALID_PARAMETER;
    /* REG_OPTION_OPEN_LINK alone does not open a link key itself: only OBJ_OPENLINK does
     * (Wine's test_symlinks on Windows: "REG_OPTION_OPEN_LINK flag doesn't matter"). */
    unsigned flags = (OpenOptions & REG_OPTION_BACKUP_RESTORE) ? REG_OPEN_BACKUP : 0;
    return open_common(caller, "ZwOpenKeyEx", KeyHandle, DesiredAccess, ObjectAttributes, flags, 0, NULL, NULL);
}

NTSTATUS NTAPI ZwCreateKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                           ULONG TitleIndex, PUNICODE_STRING Class, ULONG CreateOptions, PULONG Disposition)
{
    void *caller = __builtin_return_address(0);
    (void)TitleIndex; /* ignored, as NtCreateKey does */
    if (!KeyHandle)
        return STATUS_ACCESS_VIOLATION;
    /* REG_OPTION_PREDEF_HANDLE (0x40) is accepted and means nothing to a kernel caller. */
    if (CreateOptions & ~(ULONG)(REG_LEGAL_OPTION | 0x40)) {
        *KeyHandle = NULL;
        return STATUS_INVALID_PARAMETER;
    }
    unsigned flags = REG_OPEN_CREATE;
    if (CreateOptions & REG_OPTION_BACKUP_RESTORE)
        flags |= REG_OPEN_BACKUP;
    return open_common(caller, "ZwCreateKey", KeyHandle, DesiredAccess, ObjectAttributes, flags,
                       CreateOptions & (REG_OPTION_VOLATILE | REG_OPTION_CREATE_LINK), Class, Disposition);
}

NTSTATUS emu_key_handle_new(pnpbox_machine *m, regdb_key key, ACCESS_MASK granted, const emu_prov *prov,
                            unsigned hflags, HANDLE *out)
{
    if (!out)
        return STATUS_INVALID_PARAMETER;
    return reg_core_handle_new(m, key, granted, prov, hflags, out);
}

NTSTATUS emu_key_from_handle(pnpbox_machine *m, HANDLE h, emu_handle **out)
{
    if (!m || !out)
        return STATUS_INVALID_PARAMETER;
    emu_lock(m);
    NTSTATUS st = reg_core_handle(m, h, out);
    emu_unlock(m);
    return st;
}

/* ---------------------------------------------------------------- values */

__attribute__((hot)) NTSTATUS NTAPI ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName,
                               KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass, PVOID KeyValueInformation,
                               ULONG Length, PULONG ResultLength)
{
    void *caller = __builtin_return_address(0);
    if ((unsigned)KeyValueInformationClass > KeyValuePartialInformationAlign64)
        return STATUS_INVALID_PARAMETER; /* checked before the handle (NtQueryValueKey) */
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    reg_ctx c = KCTX(m, "ZwQueryValueKey");
    reg_op op;
    const uint16_t *name;
    size_t n;
    NTSTATUS st = reg_op_resolve(&c, &op, KeyHandle, KEY_QUERY_VALUE);
    if (st < 0)
        goto out;
    if ((st = value_name(ValueName, 1, &name, &n)) < 0)
        goto out;
    if (!ResultLength) {
        st = STATUS_ACCESS_VIOLATION;
        goto out;
    }
    if (m->faults && emu_fault(m, "ZwQueryValueKey", &st)) /* no call at all without injected faults */
        goto out;
    if ((st = reg_op_judge(&c, &op, EMU_OP_QUERY, KEY_QUERY_VALUE, 0, name, n, 1)) < 0)
        goto out;
    if ((KeyValueInformationClass == KeyValuePartialInformation ||
         KeyValueInformationClass == KeyValuePartialInformationAlign64) &&
        KeyValueInformation) {
        /* The partial forms need no name: the data goes straight into the caller's buffer. */
        int a64 = KeyValueInformationClass == KeyValuePartialInformationAlign64;
        ULONG fixed = a64 ? FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION_ALIGN64, Data)
                          : FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data);
        unsigned char *b = KeyValueInformation;
        uint32_t type = 0;
        size_t dl = 0;
        ULONG cap = Length > fixed ? Length - fixed : 0;
        st = reg_core_get_value_into(&c, &op, name, n, &type, cap ? b + fixed : NULL, cap, &dl);
        if (st == STATUS_SUCCESS) {
            *ResultLength = fixed + (ULONG)dl;
            if (Length < fixed) {
                st = STATUS_BUFFER_TOO_SMALL;
            } else {
                if (a64) {
                    put32(b + 0, type);
                    put32(b + 4, (ULONG)dl);
                } else {
                    put32(b + 0, 0);
                    put32(b + 4, type);
                    put32(b + 8, (ULONG)dl);
                }
                st = dl > cap ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
            }
        }
    } else {
        regdb_value v;
        st = reg_core_get_value(&c, &op, name, n, &v);
        if (st == STATUS_SUCCESS)
            st = fill_value(KeyValueInformationClass, &v, KeyValueInformation, Length, ResultLength);
    }
    reg_op_end(&c, &op, st);
out:
    emu_unlock(m);
    return st;
}

NTSTATUS NTAPI ZwEnumerateValueKey(HANDLE KeyHandle, ULONG Index,
                                   KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass, PVOID KeyValueInformation,
                                   ULONG Length, PULONG ResultLength)
{
    void *caller = __builtin_return_address(0);
    /* NtEnumerateValueKey takes Basic, Full and Partial only: the Align64 forms are
     * STATUS_INVALID_PARAMETER (Windows 11 and the Research Kernel alike). */
    if ((unsigned)KeyValueInformationClass > KeyValuePartialInformation)
        return STATUS_INVALID_PARAMETER;
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    reg_ctx c = KCTX(m, "ZwEnumerateValueKey");
    reg_op op;
    NTSTATUS st = reg_op_resolve(&c, &op, KeyHandle, KEY_QUERY_VALUE);
    if (st < 0)
        goto out;
    if (!ResultLength) {
        st = STATUS_ACCESS_VIOLATION;
        goto out;
    }
    if (emu_fault(m, "ZwEnumerateValueKey", &st))
        goto out;
    if ((st = reg_op_judge(&c, &op, EMU_OP_ENUM, KEY_QUERY_VALUE, 0, NULL, 0, 0)) < 0)
        goto out;
    regdb_value v;
    st = reg_core_enum_value(&c, &op, Index, &v);
    if (st == STATUS_SUCCESS)
        st = fill_value(KeyValueInformationClass, &v, KeyValueInformation, Length, ResultLength);
    reg_op_end(&c, &op, st);
out:
    emu_unlock(m);
    return st;
}

NTSTATUS NTAPI ZwSetValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, ULONG TitleIndex, ULONG Type, PVOID Data,
                             ULONG DataSize)
{
    void *caller = __builtin_return_address(0);
    (void)TitleIndex; /* ignored, as NtSetValueKey does */
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    reg_ctx c = KCTX(m, "ZwSetValueKey");
    reg_op op;
    const uint16_t *name;
    size_t n;
    NTSTATUS st = reg_op_resolve(&c, &op, KeyHandle, KEY_SET_VALUE);
    if (st < 0)
        goto out;
    if (!ValueName) {
        st = STATUS_ACCESS_VIOLATION;
        goto out;
    }
    /* NtSetValueKey: a name over 32767 bytes, an odd length or more than 2 GB of data. */
    if (ValueName->Length > 32767 || (ValueName->Length & 1) || DataSize > 0x80000000u) {
        st = STATUS_INVALID_PARAMETER;
        goto out;
    }
    if ((st = value_name(ValueName, 1, &name, &n)) < 0)
        goto out;
    if (DataSize && !Data) {
        st = STATUS_ACCESS_VIOLATION;
        goto out;
    }
    if (emu_fault(m, "ZwSetValueKey", &st))
        goto out;
    if ((st = reg_op_judge(&c, &op, EMU_OP_SET, KEY_SET_VALUE, 1, name, n, 1)) < 0)
        goto out;
    st = reg_core_set_value(&c, &op, name, n, Type, Data, DataSize);
    reg_op_end(&c, &op, st);
out:
    emu_unlock(m);
    return st;
}

NTSTATUS NTAPI ZwDeleteValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    reg_ctx c = KCTX(m, "ZwDeleteValueKey");
    reg_op op;
    const uint16_t *name;
    size_t n;
    NTSTATUS st = reg_op_resolve(&c, &op, KeyHandle, KEY_SET_VALUE);
    if (st < 0)
        goto out;
    if ((st = value_name(ValueName, 0, &name, &n)) < 0)
        goto out;
    if (emu_fault(m, "ZwDeleteValueKey", &st))
        goto out;
    if ((st = reg_op_judge(&c, &op, EMU_OP_DELETE, KEY_SET_VALUE, 1, name, n, 1)) < 0)
        goto out;
    st = reg_core_delete_value(&c, &op, name, n);
    reg_op_end(&c, &op, st);
out:
    emu_unlock(m);
    return st;
}

/* ---------------------------------------------------------------- keys */

NTSTATUS NTAPI ZwDeleteKey(HANDLE KeyHandle)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    reg_ctx c = KCTX(m, "ZwDeleteKey");
    reg_op op;
    NTSTATUS st = reg_op_resolve(&c, &op, KeyHandle, DELETE);
    if (st < 0)
        goto out;
    if (emu_fault(m, "ZwDeleteKey", &st))
        goto out;
    if ((st = reg_op_judge(&c, &op, EMU_OP_DELETE, DELETE, 1, NULL, 0, 0)) < 0)
        goto out;
    st = reg_core_delete_key(&c, &op);
    reg_op_end(&c, &op, st);
out:
    emu_unlock(m);
    return st;
}

NTSTATUS NTAPI ZwEnumerateKey(HANDLE KeyHandle, ULONG Index, KEY_INFORMATION_CLASS KeyInformationClass,
                              PVOID KeyInformation, ULONG Length, PULONG ResultLength)
{
    void *caller = __builtin_return_address(0);
    /* NtEnumerateKey answers Basic, Node and Full only (Windows 11 checks this before the handle). */
    if ((unsigned)KeyInformationClass > KeyFullInformation)
        return STATUS_INVALID_PARAMETER;
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    reg_ctx c = KCTX(m, "ZwEnumerateKey");
    reg_op op;
    NTSTATUS st = reg_op_resolve(&c, &op, KeyHandle, KEY_ENUMERATE_SUB_KEYS);
    if (st < 0)
        goto out;
    if (!ResultLength) {
        st = STATUS_ACCESS_VIOLATION;
        goto out;
    }
    if (emu_fault(m, "ZwEnumerateKey", &st))
        goto out;
    if ((st = reg_op_judge(&c, &op, EMU_OP_ENUM, KEY_ENUMERATE_SUB_KEYS, 0, NULL, 0, 0)) < 0)
        goto out;
    regdb_key_entry e;
    st = reg_core_enum_key(&c, &op, Index, &e);
    if (st == STATUS_SUCCESS) {
        key_facts k = {0};
        regdb_key_info info;
        uint16_t *name = NULL, *cls = NULL;
        k.last_write = e.last_write;
        if (KeyInformationClass == KeyFullInformation) {
            st = reg_core_key_info(&c, e.id, &info);
            k.info = &info;
            k.cls = info.cls;
            k.cls_len = info.cls ? info.cls_len : 0;
            k.last_write = info.last_write;
        } else {
            /* The entry's strings live until the next regdb call: keep copies. */
            name = pb_wcsndup(e.name, e.name_len);
            cls = e.cls ? pb_wcsndup(e.cls, e.cls_len) : NULL;
            if (!name || (e.cls && !cls))
                st = STATUS_INSUFFICIENT_RESOURCES;
            k.name = name;
            k.name_len = e.name_len;
            k.cls = cls;
            k.cls_len = cls ? e.cls_len : 0;
        }
        if (st == STATUS_SUCCESS)
            st = fill_key(KeyInformationClass, &k, KeyInformation, Length, ResultLength);
        free(name);
        free(cls);
    }
    reg_op_end(&c, &op, st);
out:
    emu_unlock(m);
    return st;
}

NTSTATUS NTAPI ZwQueryKey(HANDLE KeyHandle, KEY_INFORMATION_CLASS KeyInformationClass, PVOID KeyInformation,
                          ULONG Length, PULONG ResultLength)
{
    void *caller = __builtin_return_address(0);
    KEY_INFORMATION_CLASS cls = KeyInformationClass;
    /* Windows 11 CmQueryKey answers these; handle tags, layers and unknown classes are invalid. */
    if ((unsigned)cls > KeyTrustInformation || cls == KeyHandleTagsInformation)
        return STATUS_INVALID_PARAMETER;
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    reg_ctx c = KCTX(m, "ZwQueryKey");
    reg_op op;
    uint32_t need = cls == KeyNameInformation ? 0 : KEY_QUERY_VALUE;
    NTSTATUS st = reg_op_resolve(&c, &op, KeyHandle, need);
    if (st < 0)
        goto out;
    if (!ResultLength) {
        st = STATUS_ACCESS_VIOLATION;
        goto out;
    }
    if (emu_fault(m, "ZwQueryKey", &st))
        goto out;
    if ((st = reg_op_judge(&c, &op, EMU_OP_QUERY, need, 0, NULL, 0, 0)) < 0)
        goto out;
    unsigned char *b = KeyInformation;
    regdb_key_info info;
    if (cls == KeyNameInformation) {
        uint16_t *name;
        size_t nl;
        st = reg_core_key_name(&c, &op, &name, &nl);
        if (st == STATUS_SUCCESS) {
            ULONG bytes = (ULONG)(nl * 2), fixed = FIELD_OFFSET(KEY_NAME_INFORMATION, Name);
            *ResultLength = fixed + bytes;
            if (Length < fixed) {
                st = STATUS_BUFFER_TOO_SMALL;
            } else if (!b) {
                st = STATUS_ACCESS_VIOLATION;
            } else {
                put32(b, bytes);
                ULONG n = umin(Length - fixed, bytes);
                if (n)
                    memcpy(b + fixed, name, n);
                st = n < bytes ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
            }
            if (st == STATUS_SUCCESS)
                reg_core_note_name(&c, &op, name, nl);
            free(name);
        }
    } else if ((st = reg_core_key_info(&c, op.h->key, &info)) == STATUS_SUCCESS) {
        switch (cls) {
        case KeyFlagsInformation:
            *ResultLength = sizeof(KEY_FLAGS_INFORMATION);
            if (Length < sizeof(KEY_FLAGS_INFORMATION)) {
                st = STATUS_BUFFER_TOO_SMALL;
            } else if (!b) {
                st = STATUS_ACCESS_VIOLATION;
            } else {
                put32(b + 0, 0); /* no WOW64 flags: a 64-bit kernel */
                put32(b + 4, ((info.flags & REGDB_KEY_VOLATILE) ? REG_FLAG_VOLATILE : 0) |
                                 ((info.flags & REGDB_KEY_LINK) ? REG_FLAG_LINK : 0));
                put32(b + 8, 0); /* no control flags (virtualization is never set) */
            }
            break;
        case KeyVirtualizationInformation:
        case KeyTrustInformation:
            /* Both are read-modify-write of bit fields: the reserved bits keep what the buffer held. */
            *ResultLength = 4;
            if (Length < 4) {
                st = STATUS_BUFFER_TOO_SMALL;
            } else if (!b) {
                st = STATUS_ACCESS_VIOLATION;
            } else if (cls == KeyVirtualizationInformation) {
                put32(b, get32(b) & ~0x1Fu); /* never a virtualization candidate, target, store or source */
            } else {
                put32(b, (get32(b) & ~1u) | (reg_core_trusted(op.h->path) ? 1u : 0u));
            }
            break;
        default: {
            key_facts k = {0};
            k.last_write = info.last_write;
            k.name = info.name;
            k.name_len = info.name_len;
            k.cls = info.cls;
            k.cls_len = info.cls ? info.cls_len : 0;
            k.info = &info;
            st = fill_key(cls, &k, KeyInformation, Length, ResultLength);
            break;
        }
        }
    }
    reg_op_end(&c, &op, st);
out:
    emu_unlock(m);
    return st;
}

NTSTATUS NTAPI ZwFlushKey(HANDLE KeyHandle)
{
    void *caller = __builtin_return_address(0);
    (void)caller;
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    emu_handle *h;
    NTSTATUS st = reg_core_handle(m, KeyHandle, &h);
    /* Every change is committed to the store (SQLite) before the call that made it returns, so
     * there is nothing left to write: the flush succeeds unless the key is gone. */
    if (st == STATUS_SUCCESS && regdb_key_check(m->reg, h->key) < 0)
        st = STATUS_KEY_DELETED;
    emu_unlock(m);
    return st;
}

/* ---------------------------------------------------------------- notifications */

NTSTATUS NTAPI ZwNotifyChangeKey(HANDLE KeyHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                                 PIO_STATUS_BLOCK IoStatusBlock, ULONG CompletionFilter, BOOLEAN WatchTree,
                                 PVOID Buffer, ULONG BufferSize, BOOLEAN Asynchronous)
{
    void *caller = __builtin_return_address(0);
    (void)Buffer; /* Windows never returns change details: the buffer is not used */
    (void)BufferSize;
    if (CompletionFilter & ~(ULONG)REG_LEGAL_CHANGE_FILTER)
        return STATUS_INVALID_PARAMETER;
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    reg_ctx c = KCTX(m, "ZwNotifyChangeKey");
    reg_op op;
    void *token = NULL;
    NTSTATUS st = reg_op_resolve(&c, &op, KeyHandle, KEY_NOTIFY);
    if (st < 0)
        goto out;
    void *evobj = NULL;
    if (Event) {
        PKEVENT ev;
        if ((st = emu_event_from_handle(m, Event, &ev)) < 0)
            goto out;
        evobj = ev; /* the KEVENT is the first member of the event object */
    }
    if (!Asynchronous && !IoStatusBlock) {
        st = STATUS_ACCESS_VIOLATION; /* the synchronous call writes the IO_STATUS_BLOCK */
        goto out;
    }
    if (emu_fault(m, "ZwNotifyChangeKey", &st))
        goto out;
    if ((st = reg_op_judge(&c, &op, EMU_OP_NOTIFY, KEY_NOTIFY, 0, NULL, 0, 0)) < 0)
        goto out;
    if (evobj)
        KeResetEvent(evobj); /* arming resets the event (NtNotifyChangeMultipleKeys) */
    reg_post post = {0};
    post.comp = emu_comp();
    if (Asynchronous) {
        post.kind = REG_POST_KERNEL;
        post.event = evobj;
        /* Kernel callers pass a WORK_QUEUE_ITEM as ApcRoutine and its WORK_QUEUE_TYPE as ApcContext. */
        post.work_item = (void *)ApcRoutine;
        post.queue_type = (int)(ULONG_PTR)ApcContext;
        st = reg_core_notify(&c, &op, CompletionFilter, WatchTree, &post, NULL);
    } else {
        /* Synchronous: the thread waits.  Only queued work items can change the key meanwhile;
         * when none does, the wait could never end: report the deadlock. */
        post.kind = REG_POST_SYNC;
        st = reg_core_notify(&c, &op, CompletionFilter, WatchTree, &post, &token);
        if (st == STATUS_PENDING || st == STATUS_SUCCESS) {
            while (!reg_core_sync_result(token) && emu_work_run_one(m))
                ;
            NTSTATUS r = reg_core_sync_result(token);
            if (r) {
                IoStatusBlock->Status = r;
                IoStatusBlock->Information = 0;
                st = r;
            } else {
                emu_log(m, "error: ZwNotifyChangeKey: deadlock: the synchronous wait for a change of '%s' can "
                           "never end (nothing else runs)",
                        op.h->path ? op.h->path : "?");
                st = STATUS_POSSIBLE_DEADLOCK;
            }
            reg_core_sync_forget(m, token);
        }
    }
    reg_op_end(&c, &op, st);
out:
    emu_unlock(m);
    return st;
}

/* ---------------------------------------------------------------- Rtl: the key of a RelativeTo */

/* RtlpRegistryPaths: the roots of RTL_REGISTRY_SERVICES .. RTL_REGISTRY_USER. */
static const char *const rtl_roots[] = {
    NULL,
    "\\Registry\\Machine\\System\\CurrentControlSet\\Services",
    "\\Registry\\Machine\\System\\CurrentControlSet\\Control",
    "\\Registry\\Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion",
    "\\Registry\\Machine\\Hardware\\DeviceMap",
    /* RtlFormatCurrentUserKeyPath of the system threads drivers run on: LocalSystem's hive. */
    "\\REGISTRY\\USER\\S-1-5-18",
};

/*
 * RtlpGetRegistryHandle: RTL_REGISTRY_HANDLE passes the handle through (no
 * check here: the first use finds a bad one); RTL_REGISTRY_OPTIONAL is
 * masked off and otherwise ignored, as in the Windows kernel; the name is
 * built in a 524-byte buffer (STATUS_BUFFER_TOO_SMALL beyond) and opened
 * with GENERIC_READ|MAXIMUM_ALLOWED, or created with GENERIC_WRITE for the
 * writing helpers.  Opens are recorded as absolute under the Rtl API name.
 */
static NTSTATUS rtl_key(reg_ctx *c, ULONG RelativeTo, PCWSTR Path, int create, HANDLE *out, int *owned)
{
    *owned = 0;
    if (RelativeTo & RTL_REGISTRY_HANDLE) {
        *out = (HANDLE)Path;
        return STATUS_SUCCESS;
    }
    ULONG rel = RelativeTo & ~(ULONG)RTL_REGISTRY_OPTIONAL;
    if (rel >= RTL_REGISTRY_MAXIMUM)
        return STATUS_INVALID_PARAMETER;
    uint16_t buf[262];
    size_t n = 0;
    if (rel != RTL_REGISTRY_ABSOLUTE) {
        for (const char *s = rtl_roots[rel]; *s; s++)
            buf[n++] = (uint16_t)(unsigned char)*s;
        buf[n++] = '\\';
    }
    const uint16_t *p = (const uint16_t *)Path;
    size_t pl = pb_wcslen(p);
    if (n + pl > sizeof buf / sizeof *buf)
        return STATUS_BUFFER_TOO_SMALL; /* RtlAppendUnicodeToString into the 524-byte name buffer */
    if (pl)
        memcpy(buf + n, p, pl * sizeof *buf);
    n += pl;
    reg_open_args a = {0};
    a.name = buf;
    a.name_len = n;
    a.access = create ? GENERIC_WRITE : (GENERIC_READ | MAXIMUM_ALLOWED);
    a.flags = create ? REG_OPEN_CREATE : 0;
    a.hflags = EMU_HF_KERNEL;
    void *h = NULL;
    NTSTATUS st = reg_core_open(c, &a, &h, NULL);
    if (st == STATUS_SUCCESS) {
        *out = h;
        *owned = 1;
    }
    return st;
}

static void rtl_close(pnpbox_machine *m, HANDLE h, int owned)
{
    if (owned && h)
        emu_handle_close(m, h);
}

/* RtlCheckRegistryKey and RtlCreateRegistryKey: the key named by RelativeTo and Path, opened or created. */
static NTSTATUS rtl_key_call(void *caller, const char *api, ULONG RelativeTo, PWSTR Path, int create)
{
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    reg_ctx c = KCTX(m, api);
    HANDLE h = NULL;
    int owned;
    NTSTATUS st = rtl_key(&c, RelativeTo, Path, create, &h, &owned);
    rtl_close(m, h, owned);
    emu_unlock(m);
    return st;
}

NTSTATUS NTAPI RtlCheckRegistryKey(ULONG RelativeTo, PWSTR Path)
{
    return rtl_key_call(__builtin_return_address(0), "RtlCheckRegistryKey", RelativeTo, Path, 0);
}

NTSTATUS NTAPI RtlCreateRegistryKey(ULONG RelativeTo, PWSTR Path)
{
    NTSTATUS st = rtl_key_call(__builtin_return_address(0), "RtlCreateRegistryKey", RelativeTo, Path, 1);
    return st < 0 ? st : STATUS_SUCCESS;
}

/* Set or delete one value through a handle for an Rtl helper (judged and recorded under its name).
 * ValueName NULL is the default value (RtlInitUnicodeString of NULL is empty). */
static NTSTATUS rtl_value_op(reg_ctx *c, HANDLE h, int del, PCWSTR ValueName, ULONG Type, const void *Data,
                             ULONG Len)
{
    reg_op op;
    const uint16_t *name = (const uint16_t *)ValueName;
    size_t n = pb_wcslen(name);
    NTSTATUS st = reg_op_resolve(c, &op, h, KEY_SET_VALUE);
    if (st < 0)
        return st;
    if (!del && (n * 2 > 32767 || Len > 0x80000000u))
        return STATUS_INVALID_PARAMETER; /* ZwSetValueKey's limits */
    if (!del && Len && !Data)
        return STATUS_ACCESS_VIOLATION;
    if ((st = reg_op_judge(c, &op, del ? EMU_OP_DELETE : EMU_OP_SET, KEY_SET_VALUE, 1, name, n, 1)) < 0)
        return st;
    st = del ? reg_core_delete_value(c, &op, name, n) : reg_core_set_value(c, &op, name, n, Type, Data, Len);
    reg_op_end(c, &op, st);
    return st;
}

NTSTATUS NTAPI RtlWriteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName, ULONG ValueType,
                                     PVOID ValueData, ULONG ValueLength)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    reg_ctx c = KCTX(m, "RtlWriteRegistryValue");
    HANDLE h = NULL;
    int owned;
    /* The key is created when missing (RtlpGetRegistryHandle with write access uses ZwCreateKey). */
    NTSTATUS st = rtl_key(&c, RelativeTo, Path, 1, &h, &owned);
    if (st == STATUS_SUCCESS)
        /* The top byte of ValueType is not part of the type (RtlWriteRegistryValue masks it). */
        st = rtl_value_op(&c, h, 0, ValueName, ValueType & 0xFFFFFF, ValueData, ValueLength);
    rtl_close(m, h, owned);
    emu_unlock(m);
    return st;
}

NTSTATUS NTAPI RtlDeleteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName)
{
    void *caller = __builtin_return_address(0);
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    reg_ctx c = KCTX(m, "RtlDeleteRegistryValue");
    HANDLE h = NULL;
    int owned;
    NTSTATUS st = rtl_key(&c, RelativeTo, Path, 1, &h, &owned);
    if (st == STATUS_SUCCESS)
        st = rtl_value_op(&c, h, 1, ValueName, 0, NULL, 0);
    rtl_close(m, h, owned);
    emu_unlock(m);
    return st;
}

/* ---------------------------------------------------------------- RtlQueryRegistryValues */

typedef struct rq {
    reg_ctx c;
    PVOID context;
} rq;

/*
 * RtlpQueryRegistryDirect: store a value into EntryContext.  Strings go
 * into the UNICODE_STRING it points to (Buffer NULL: paged pool is
 * allocated, freed with RtlFreeUnicodeString), with Length = size - 2 (the
 * data is taken to end in its terminator); other data of up to 4 bytes is
 * copied to EntryContext itself; larger data needs the LONG at
 * EntryContext: negative, its magnitude is the room for the data alone;
 * positive, the room for length, type and data.  A buffer that is too
 * small gives STATUS_BUFFER_TOO_SMALL, which RtlQueryRegistryValues
 * ignores (nothing written).
 */
static NTSTATUS query_direct(rq *q, ULONG type, const void *data, ULONG len, PVOID ctx)
{
    if (!ctx)
        return STATUS_ACCESS_VIOLATION; /* Windows faults on a NULL EntryContext */
    if (type != REG_SZ && type != REG_EXPAND_SZ && type != REG_MULTI_SZ) {
        if (len <= sizeof(ULONG)) {
            if (ctx != data && len)
                memcpy(ctx, data, len);
            return STATUS_SUCCESS;
        }
        LONG room = (LONG)get32(ctx);
        if (room >= 0) {
            if ((ULONGLONG)(ULONG)room < (ULONGLONG)len + 8)
                return STATUS_BUFFER_TOO_SMALL;
            put32(ctx, len);
            put32((char *)ctx + 4, type);
            memcpy((char *)ctx + 8, data, len);
            return STATUS_SUCCESS;
        }
        if ((ULONGLONG)(-(LONGLONG)room) < len)
            return STATUS_BUFFER_TOO_SMALL;
        memcpy(ctx, data, len);
        return STATUS_SUCCESS;
    }
    USHORT l16 = len > 0xFFFE ? 0xFFFE : (USHORT)len;
    PUNICODE_STRING us = ctx;
    if (us->Buffer) {
        if (l16 > us->MaximumLength)
            return STATUS_BUFFER_TOO_SMALL;
    } else {
        void *p = emu_pool_alloc(q->c.m, l16, EMU_POOL_TAG_RTL_STRING, "RtlQueryRegistryValues", q->c.caller);
        if (!p)
            return STATUS_NO_MEMORY;
        us->Buffer = p;
        us->MaximumLength = l16;
    }
    if (l16)
        memcpy(us->Buffer, data, l16);
    us->Length = (USHORT)(l16 - 2); /* as Windows: a 0- or 1-byte string wraps */
    return STATUS_SUCCESS;
}

/* Call the entry's routine, or store directly; STATUS_BUFFER_TOO_SMALL counts as success. */
static NTSTATUS deliver(rq *q, PRTL_QUERY_REGISTRY_TABLE e, PWSTR name, ULONG type, const void *data, ULONG len,
                        int untrusted)
{
    NTSTATUS st;
    if (e->Flags & RTL_QUERY_REGISTRY_DIRECT) {
        if (untrusted) {
            /* Windows 8+: DIRECT without TYPECHECK on a non-system hive bug-checks a kernel caller
             * (0x139 KERNEL_SECURITY_CHECK_FAILURE); pnpbox refuses the entry instead. */
            emu_log(q->c.m,
                    "error: RtlQueryRegistryValues: RTL_QUERY_REGISTRY_DIRECT without RTL_QUERY_REGISTRY_TYPECHECK "
                    "on an untrusted hive (Windows bug-checks 0x139 KERNEL_SECURITY_CHECK_FAILURE)");
            return STATUS_INVALID_PARAMETER;
        }
        st = query_direct(q, type, data, len, e->EntryContext);
    } else {
        st = e->QueryRoutine(name, type, (PVOID)data, len, q->context, e->EntryContext);
    }
    return st == STATUS_BUFFER_TOO_SMALL ? STATUS_SUCCESS : st;
}

/*
 * RtlpCallQueryRegistryRoutine for one value (present: type != REG_NONE
 * and data) or its default.  The kernel never expands REG_EXPAND_SZ: one
 * that holds a '%' without RTL_QUERY_REGISTRY_NOEXPAND is refused with
 * STATUS_INVALID_PARAMETER (the documentation's "kernel-mode drivers must
 * specify NOEXPAND").  A REG_MULTI_SZ without NOEXPAND is delivered one
 * string at a time as REG_SZ (DIRECT: into consecutive UNICODE_STRINGs,
 * advancing the entry's EntryContext).
 */
static NTSTATUS call_entry(rq *q, PRTL_QUERY_REGISTRY_TABLE e, PWSTR vname, ULONG type, const void *data, ULONG len,
                           int untrusted)
{
    ULONG flags = e->Flags;
    PWSTR name = vname;
    /* A value with no data (or REG_NONE) counts as missing: the default applies. */
    if (!type || !len) {
        ULONG dt = e->DefaultType & 0xFF;
        if (!dt)
            return (flags & RTL_QUERY_REGISTRY_REQUIRED) ? STATUS_OBJECT_NAME_NOT_FOUND : STATUS_SUCCESS;
        type = dt;
        data = e->DefaultData;
        len = e->DefaultLength;
        name = e->Name;
        if (!len) {
            const uint16_t *d = data;
            if (type == REG_SZ || type == REG_EXPAND_SZ) {
                if (!d)
                    return STATUS_DATA_OVERRUN;
                len = (ULONG)((pb_wcslen(d) + 1) * 2);
            } else if (type == REG_MULTI_SZ) {
                if (!d)
                    return STATUS_DATA_OVERRUN;
                const uint16_t *p = d;
                while (*p)
                    p += pb_wcslen(p) + 1;
                len = (ULONG)((size_t)(p - d) * 2 + 2);
            }
        }
    }
    if (flags & RTL_QUERY_REGISTRY_DIRECT) {
        if (!(flags & RTL_QUERY_REGISTRY_TYPECHECK)) {
            if ((flags & RTL_QUERY_REGISTRY_NOSTRING) &&
                (type == REG_SZ || type == REG_EXPAND_SZ || type == REG_MULTI_SZ))
                return (flags & RTL_QUERY_REGISTRY_REQUIRED) ? STATUS_OBJECT_NAME_NOT_FOUND : STATUS_SUCCESS;
        } else {
            untrusted = 0;
            if ((e->DefaultType >> RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) != type)
                return STATUS_OBJECT_TYPE_MISMATCH;
        }
    } else {
        untrusted = 0;
    }
    if (!(flags & RTL_QUERY_REGISTRY_NOEXPAND)) {
        if (type == REG_MULTI_SZ) {
            const unsigned char *p = data, *end = (const unsigned char *)data + (len >= 4 ? len - 4 : 0);
            const unsigned char *lim = (const unsigned char *)data + (len & ~1u);
            NTSTATUS st = STATUS_SUCCESS;
            while (len >= 4 && p < end) {
                /* One string, bounded by the data (Windows scans to the NUL). */
                const unsigned char *s = p;
                while (s + 2 <= lim && (s[0] || s[1]))
                    s += 2;
                if (s + 2 <= lim)
                    s += 2;
                ULONG sl = (ULONG)(s - p);
                if (!sl)
                    break;
                st = deliver(q, e, name, REG_SZ, p, sl, untrusted);
                if (flags & RTL_QUERY_REGISTRY_DIRECT)
                    e->EntryContext = (char *)e->EntryContext + sizeof(UNICODE_STRING);
                if (st < 0)
                    return st;
                p = s;
            }
            return st;
        }
        if (type == REG_EXPAND_SZ && len - 2 <= 0xFFFA && len != 2) {
            const uint16_t *d = data;
            for (ULONG i = 0; i < (len - 2) / 2; i++)
                if (d[i] == '%')
                    return STATUS_INVALID_PARAMETER;
        }
    }
    return deliver(q, e, name, type, data, len, untrusted);
}

/* A value copied out of the store (the routine may call the registry): data plus a NUL for
 * REG_MULTI_SZ (RtlpQueryRegistryValues appends one to a value queried by name), name NUL-terminated. */
typedef struct vcopy {
    ULONG type, len;
    unsigned char *data;
    PWSTR name;
} vcopy;

static NTSTATUS copy_value(const regdb_value *v, int multi_nul, vcopy *out)
{
    int extra = multi_nul && v->type == REG_MULTI_SZ ? 2 : 0;
    out->type = v->type;
    out->len = (ULONG)v->data_len + (ULONG)extra;
    out->data = malloc(v->data_len + (size_t)extra + 2);
    out->name = malloc((v->name_len + 1) * sizeof(WCHAR));
    if (!out->data || !out->name) {
        free(out->data);
        free(out->name);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (v->data_len)
        memcpy(out->data, v->data, v->data_len);
    memset(out->data + v->data_len, 0, (size_t)extra + 2);
    memcpy(out->name, v->name, v->name_len * sizeof(WCHAR));
    out->name[v->name_len] = 0;
    return STATUS_SUCCESS;
}

/* One value through a handle of the query, judged and recorded as a query under the Rtl API. */
static NTSTATUS rtl_get(rq *q, HANDLE h, const uint16_t *name, size_t n, vcopy *out)
{
    reg_op op;
    NTSTATUS st = reg_op_begin(&q->c, &op, h, EMU_OP_QUERY, KEY_QUERY_VALUE, 0, name, n, 1);
    if (st < 0)
        return st;
    regdb_value v;
    st = reg_core_get_value(&q->c, &op, name, n, &v);
    if (st == STATUS_SUCCESS)
        st = copy_value(&v, 1, out);
    reg_op_end(&q->c, &op, st);
    return st;
}

static NTSTATUS rtl_enum(rq *q, HANDLE h, ULONG index, vcopy *out)
{
    reg_op op;
    NTSTATUS st = reg_op_begin(&q->c, &op, h, EMU_OP_ENUM, KEY_QUERY_VALUE, 0, NULL, 0, 0);
    if (st < 0)
        return st;
    regdb_value v;
    st = reg_core_enum_value(&q->c, &op, index, &v);
    if (st == STATUS_SUCCESS)
        st = copy_value(&v, 0, out);
    reg_op_end(&q->c, &op, st == STATUS_NO_MORE_ENTRIES ? STATUS_NO_MORE_ENTRIES : st);
    return st;
}

static NTSTATUS rtl_delete(rq *q, HANDLE h, const uint16_t *name, size_t n)
{
    reg_op op;
    NTSTATUS st = reg_op_begin(&q->c, &op, h, EMU_OP_DELETE, KEY_SET_VALUE, 1, name, n, 1);
    if (st < 0)
        return st;
    st = reg_core_delete_value(&q->c, &op, name, n);
    reg_op_end(&q->c, &op, st);
    return st;
}

static int handle_untrusted(pnpbox_machine *m, HANDLE h)
{
    emu_handle *e;
    return reg_core_handle(m, h, &e) == STATUS_SUCCESS && !reg_core_trusted(e->path);
}

/* Every value of the current key, through the entry (Name NULL, or a SUBKEY entry with a routine). */
static NTSTATUS enum_entry(rq *q, PRTL_QUERY_REGISTRY_TABLE e, HANDLE cur)
{
    int untrusted = handle_untrusted(q->c.m, cur);
    for (ULONG i = 0;; i++) {
        vcopy v;
        NTSTATUS st = rtl_enum(q, cur, i, &v);
        if (st == STATUS_NO_MORE_ENTRIES)
            return (i == 0 && (e->Flags & RTL_QUERY_REGISTRY_REQUIRED)) ? STATUS_OBJECT_NAME_NOT_FOUND
                                                                          : STATUS_SUCCESS;
        if (st < 0)
            return st;
        st = call_entry(q, e, v.name, v.type, v.data, v.len, untrusted);
        if (st >= 0 && (e->Flags & RTL_QUERY_REGISTRY_DELETE)) {
            /* Delete what was just reported; the next value moves to this index. */
            if (rtl_delete(q, cur, (const uint16_t *)v.name, pb_wcslen((const uint16_t *)v.name)) >= 0)
                i--;
        }
        free(v.data);
        free(v.name);
        if (st < 0)
            return st;
    }
}

static NTSTATUS query_values(rq *q, ULONG RelativeTo, PCWSTR Path, PRTL_QUERY_REGISTRY_TABLE table)
{
    pnpbox_machine *m = q->c.m;
    HANDLE top = NULL, cur;
    int top_owned;
    NTSTATUS st = rtl_key(&q->c, RelativeTo, Path, 0, &top, &top_owned);
    if (st < 0)
        return st;
    cur = top;
    int cur_owned = 0;
    for (PRTL_QUERY_REGISTRY_TABLE e = table;
         e->QueryRoutine || (e->Flags & (RTL_QUERY_REGISTRY_SUBKEY | RTL_QUERY_REGISTRY_DIRECT)); e++) {
        ULONG flags = e->Flags;
        if ((flags & RTL_QUERY_REGISTRY_DIRECT) &&
            (!e->Name || (flags & RTL_QUERY_REGISTRY_SUBKEY) || e->QueryRoutine)) {
            st = STATUS_INVALID_PARAMETER; /* DIRECT needs a Name and no routine, and is no SUBKEY */
            break;
        }
        if ((flags & (RTL_QUERY_REGISTRY_SUBKEY | RTL_QUERY_REGISTRY_TOPKEY)) && cur != top) {
            rtl_close(m, cur, cur_owned);
            cur = top;
            cur_owned = 0;
        }
        if (flags & RTL_QUERY_REGISTRY_SUBKEY) {
            if (!e->Name) {
                st = STATUS_INVALID_PARAMETER;
                break;
            }
            /* The subkey is opened relative to the original key, with MAXIMUM_ALLOWED. */
            reg_open_args a = {0};
            a.root = top;
            a.name = (const uint16_t *)e->Name;
            a.name_len = pb_wcslen(a.name);
            a.access = MAXIMUM_ALLOWED;
            a.hflags = EMU_HF_KERNEL;
            void *h = NULL;
            if ((st = reg_core_open(&q->c, &a, &h, NULL)) < 0)
                break;
            cur = h;
            cur_owned = 1;
            if (!e->QueryRoutine)
                continue;
            if ((st = enum_entry(q, e, cur)) < 0)
                break;
            continue;
        }
        if (e->Name) {
            const uint16_t *name = (const uint16_t *)e->Name;
            size_t n = pb_wcslen(name);
            vcopy v;
            st = rtl_get(q, cur, name, n, &v);
            if (st == STATUS_OBJECT_NAME_NOT_FOUND) {
                st = call_entry(q, e, e->Name, 0, NULL, 0, handle_untrusted(m, cur));
            } else if (st >= 0) {
                st = call_entry(q, e, v.name, v.type, v.data, v.len, handle_untrusted(m, cur));
                free(v.data);
                free(v.name);
                if (st >= 0 && (flags & RTL_QUERY_REGISTRY_DELETE))
                    rtl_delete(q, cur, name, n);
            }
            if (st < 0)
                break;
            continue;
        }
        if (flags & RTL_QUERY_REGISTRY_NOVALUE) {
            st = e->QueryRoutine(NULL, REG_NONE, NULL, 0, q->context, e->EntryContext);
            if (st == STATUS_BUFFER_TOO_SMALL)
                st = STATUS_SUCCESS;
            if (st < 0)
                break;
            continue;
        }
        if ((st = enum_entry(q, e, cur)) < 0)
            break;
    }
    if (cur != top)
        rtl_close(m, cur, cur_owned);
    rtl_close(m, top, top_owned);
    return st;
}

NTSTATUS NTAPI RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path, PRTL_QUERY_REGISTRY_TABLE QueryTable,
                                      PVOID Context, PVOID Environment)
{
    void *caller = __builtin_return_address(0);
    (void)Environment; /* the kernel does not expand REG_EXPAND_SZ (see call_entry) */
    if (!QueryTable)
        return STATUS_ACCESS_VIOLATION;
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    NTSTATUS st;
    if (!emu_fault(m, "RtlQueryRegistryValues", &st)) {
        rq q = {KCTX(m, "RtlQueryRegistryValues"), Context};
        st = query_values(&q, RelativeTo, Path, QueryTable);
    }
    emu_unlock(m);
    return st;
}

/* ---------------------------------------------------------------- RtlQueryRegistryValueWithFallback */

/* One KeyValuePartialInformation query into a buffer of cap bytes (as the routine's ZwQueryValueKey). */
static NTSTATUS fb_query(reg_ctx *c, HANDLE h, const uint16_t *name, size_t n, unsigned char *buf, ULONG cap,
                         ULONG *rl)
{
    reg_op op;
    NTSTATUS st = reg_op_begin(c, &op, h, EMU_OP_QUERY, KEY_QUERY_VALUE, 0, name, n, 1);
    if (st < 0)
        return st;
    regdb_value v;
    st = reg_core_get_value(c, &op, name, n, &v);
    if (st == STATUS_SUCCESS)
        st = fill_value(KeyValuePartialInformation, &v, buf, cap, rl);
    reg_op_end(c, &op, st);
    return st;
}

NTSTATUS NTAPI RtlQueryRegistryValueWithFallback(HANDLE PrimaryHandle, HANDLE FallbackHandle,
                                                 PUNICODE_STRING ValueName, ULONG ValueLength, PULONG ValueType,
                                                 PVOID ValueData, PULONG ResultLength)
{
    void *caller = __builtin_return_address(0);
    if (!PrimaryHandle && !FallbackHandle)
        return STATUS_INVALID_PARAMETER;
    if (ValueLength >= 0xFFFFFFF0u)
        return STATUS_INTEGER_OVERFLOW; /* ValueLength + 16 would wrap (reference §1.8) */
    /* Windows dereferences these unconditionally on success; pnpbox refuses them up front. */
    if (!ResultLength || (ValueLength && !ValueData))
        return STATUS_ACCESS_VIOLATION;
    const uint16_t *name;
    size_t n;
    NTSTATUS st = value_name(ValueName, 1, &name, &n);
    if (st < 0)
        return st;
    pnpbox_machine *m = emu_machine();
    if (!m)
        return STATUS_INSUFFICIENT_RESOURCES;
    emu_lock(m);
    /* The routine's pool buffer of ValueLength + 16 bytes: its allocation is the fault point. */
    ULONG cap = ValueLength + 16;
    unsigned char *buf = NULL;
    if (emu_fault(m, "RtlQueryRegistryValueWithFallback", &st) || !(buf = malloc(cap))) {
        st = STATUS_NO_MEMORY;
        goto out;
    }
    reg_ctx c = KCTX(m, "RtlQueryRegistryValueWithFallback");
    ULONG rl = 0;
    st = STATUS_OBJECT_NAME_NOT_FOUND;
    if (PrimaryHandle)
        st = fb_query(&c, PrimaryHandle, name, n, buf, cap, &rl);
    if (st == STATUS_OBJECT_NAME_NOT_FOUND && FallbackHandle)
        st = fb_query(&c, FallbackHandle, name, n, buf, cap, &rl);
    if (st >= 0 || st == STATUS_BUFFER_OVERFLOW) {
        ULONG type = get32(buf + 4), dl = get32(buf + 8);
        if (ValueType)
            *ValueType = type;
        if (st >= 0) {
            if (ValueLength < dl)
                st = STATUS_BUFFER_OVERFLOW;
            else if (dl)
                memcpy(ValueData, buf + 12, dl);
        }
        *ResultLength = dl;
    }
out:
    free(buf);
    emu_unlock(m);
    return st;
}
