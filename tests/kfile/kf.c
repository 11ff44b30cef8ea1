/*
 * kf.c: helpers of the kernel file API suites (see kf.h).
 */
#include "tests/kfile/kf.h"

#include <sys/stat.h>

pnpbox_machine *m;

void kf_setup(void) { cr_assert_eq(pnpbox_machine_new(NULL, &m), 0, "%s", pnpbox_errmsg(NULL)); }

void kf_teardown(void) { pnpbox_machine_free(m); }

UNICODE_STRING kf_us(const WCHAR *s)
{
    UNICODE_STRING u;
    size_t n = 0;
    while (s && s[n])
        n++;
    u.Length = (USHORT)(n * 2);
    u.MaximumLength = (USHORT)(n * 2 + 2);
    u.Buffer = (PWCH)s;
    return u;
}

OBJECT_ATTRIBUTES kf_oa(UNICODE_STRING *name, HANDLE root, ULONG attributes)
{
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, name, attributes, root, NULL);
    return oa;
}

NTSTATUS kf_create(HANDLE *h, ACCESS_MASK access, const WCHAR *name, HANDLE root, ULONG disposition, ULONG options,
                   IO_STATUS_BLOCK *iosb)
{
    UNICODE_STRING u = kf_us(name);
    OBJECT_ATTRIBUTES oa = kf_oa(&u, root, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE);
    IO_STATUS_BLOCK local;
    return ZwCreateFile(h, access, &oa, iosb ? iosb : &local, NULL, FILE_ATTRIBUTE_NORMAL,
                        FILE_SHARE_READ | FILE_SHARE_WRITE, disposition, options, NULL, 0);
}

void kf_close(HANDLE h) { cr_assert_eq(ZwClose(h), STATUS_SUCCESS); }

static size_t wlen(const WCHAR *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

void kf_make_file(const WCHAR *name, const char *data)
{
    HANDLE h;
    IO_STATUS_BLOCK iosb;
    NTSTATUS st = kf_create(&h, GENERIC_WRITE | SYNCHRONIZE, name, NULL, FILE_OVERWRITE_IF,
                            FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, &iosb);
    cr_assert_eq(st, STATUS_SUCCESS, "create %s: %s", t_u8((const uint16_t *)name, wlen(name)),
                 emu_status_name(st));
    if (data && *data) {
        st = ZwWriteFile(h, NULL, NULL, NULL, &iosb, (PVOID)data, (ULONG)strlen(data), NULL, NULL);
        cr_assert_eq(st, STATUS_SUCCESS, "write: %s", emu_status_name(st));
    }
    kf_close(h);
}

void kf_make_dir(const WCHAR *name)
{
    HANDLE h;
    NTSTATUS st = kf_create(&h, FILE_LIST_DIRECTORY | SYNCHRONIZE, name, NULL, FILE_OPEN_IF,
                            FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL);
    cr_assert_eq(st, STATUS_SUCCESS, "mkdir: %s", emu_status_name(st));
    kf_close(h);
}

const char *kf_host(const char *rel)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "%s%s%s", pnpbox_volume_dir(m), rel[0] == '/' ? "" : "/", rel);
    return buf;
}

int kf_host_exists(const char *rel)
{
    struct stat st;
    return lstat(kf_host(rel), &st) == 0;
}

char *kf_host_read(const char *rel)
{
    size_t n;
    unsigned char *d = t_read_file(kf_host(rel), &n);
    if (!d)
        return NULL;
    char *s = realloc(d, n + 1);
    if (!s) {
        free(d);
        return NULL;
    }
    s[n] = 0;
    return s;
}

const pnpbox_event *kf_event(const char *api, const char *path_part)
{
    for (size_t i = pnpbox_event_count(m); i-- > 0;) {
        const pnpbox_event *e = pnpbox_event_get(m, i);
        if (api && (!e->api || strcmp(e->api, api)))
            continue;
        if (path_part && (!e->path || !strstr(e->path, path_part)))
            continue;
        return e;
    }
    return NULL;
}

size_t kf_mark(void) { return pnpbox_event_count(m); }

void kf_fill(void *p, size_t n) { memset(p, 0xde, n); }

void kf_iosb_fill(IO_STATUS_BLOCK *iosb)
{
    iosb->Status = (NTSTATUS)0xdeadbeef;
    iosb->Information = (ULONG_PTR)0xdeadbeefdeadbeefull;
}
