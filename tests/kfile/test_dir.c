/*
 * test_dir.c: ZwQueryDirectoryFile conformance: the classes and their
 * minimum lengths, "." and ".." first, NTFS order, 8-byte aligned entries,
 * single-entry and restarted scans, the first query's filter with Windows'
 * wildcard matching, BUFFER_OVERFLOW with a partial entry, NO_SUCH_FILE and
 * NO_MORE_FILES (after Wine's ntdll directory tests).
 */
#include "tests/kfile/kf.h"

TestSuite(kfile_dir, .init = kf_setup, .fini = kf_teardown);

static const WCHAR *const names[] = {L"longfilename.tmp", L"n.tmp", L"d.tmp", L"\x00e9" L"a.tmp", L"ea.tmp", L"Zed"};

static HANDLE setup_dir(void)
{
    kf_make_dir(L"\\SystemRoot\\Temp\\q");
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        WCHAR path[128] = L"\\SystemRoot\\Temp\\q\\";
        size_t n = 0, k = 0;
        while (path[n])
            n++;
        while (names[i][k])
            path[n++] = names[i][k++];
        path[n] = 0;
        if (i == 2)
            kf_make_dir(path);
        else
            kf_make_file(path, "abc");
    }
    HANDLE h;
    cr_assert_eq(kf_create(&h, FILE_LIST_DIRECTORY | SYNCHRONIZE, L"\\SystemRoot\\Temp\\q", NULL, FILE_OPEN,
                           FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL),
                 STATUS_SUCCESS);
    return h;
}

static int name_is(const WCHAR *got, ULONG bytes, const WCHAR *want)
{
    size_t n = 0;
    while (want[n])
        n++;
    return bytes == n * 2 && !memcmp(got, want, bytes);
}

Test(kfile_dir, classes_and_minimum_lengths)
{
    HANDLE h = setup_dir();
    IO_STATUS_BLOCK iosb;
    ULONG data[256];
    static const struct {
        FILE_INFORMATION_CLASS cls;
        ULONG min;
    } cl[] = {
        {FileDirectoryInformation, (offsetof(FILE_DIRECTORY_INFORMATION, FileName[1]) + 7) & ~7u},
        {FileFullDirectoryInformation, (offsetof(FILE_FULL_DIR_INFORMATION, FileName[1]) + 7) & ~7u},
        {FileBothDirectoryInformation, (offsetof(FILE_BOTH_DIR_INFORMATION, FileName[1]) + 7) & ~7u},
        {FileNamesInformation, (offsetof(FILE_NAMES_INFORMATION, FileName[1]) + 7) & ~7u},
        {FileIdBothDirectoryInformation, (offsetof(FILE_ID_BOTH_DIR_INFORMATION, FileName[1]) + 7) & ~7u},
        {FileIdFullDirectoryInformation, (offsetof(FILE_ID_FULL_DIR_INFORMATION, FileName[1]) + 7) & ~7u},
    };
    UNICODE_STRING mask = kf_us(L"longfilename.tmp");
    for (size_t i = 0; i < sizeof cl / sizeof *cl; i++) {
        for (ULONG size = 0; size <= cl[i].min; size++) {
            kf_iosb_fill(&iosb);
            memset(data, 0x55, sizeof data);
            NTSTATUS st = ZwQueryDirectoryFile(h, NULL, NULL, NULL, &iosb, data, size, cl[i].cls, FALSE, &mask, TRUE);
            if (size < cl[i].min) {
                cr_expect_eq(st, STATUS_INFO_LENGTH_MISMATCH, "class %d size %lu", cl[i].cls, (unsigned long)size);
                KF_IOSB_UNTOUCHED(iosb);
                cr_expect_eq(data[0], 0x55555555u);
            } else {
                /* At the minimum the first entry does not fit: a partial entry. */
                cr_expect_eq(st, STATUS_BUFFER_OVERFLOW, "class %d: %s", cl[i].cls, emu_status_name(st));
                cr_expect_eq(iosb.Status, STATUS_BUFFER_OVERFLOW);
                cr_expect_eq(iosb.Information, size, "class %d", cl[i].cls);
                cr_expect_eq(data[0], 0, "NextEntryOffset");
            }
        }
    }
    /* Classes pnpbox has no directory listing for. */
    cr_expect_eq(ZwQueryDirectoryFile(h, NULL, NULL, NULL, &iosb, data, sizeof data, FileBasicInformation, FALSE,
                                      NULL, TRUE),
                 STATUS_INVALID_INFO_CLASS);
    cr_expect_eq(ZwQueryDirectoryFile(h, NULL, NULL, NULL, &iosb, data, sizeof data, FileObjectIdInformation, FALSE,
                                      NULL, TRUE),
                 STATUS_INVALID_INFO_CLASS);
    cr_expect_eq(ZwQueryDirectoryFile((HANDLE)(uintptr_t)0xbeef, NULL, NULL, NULL, &iosb, data, sizeof data,
                                      FileBothDirectoryInformation, TRUE, NULL, TRUE),
                 STATUS_INVALID_HANDLE);
    kf_close(h);
    /* A file handle: no listing. */
    HANDLE f;
    cr_assert_eq(kf_create(&f, GENERIC_READ, L"\\SystemRoot\\Temp\\q\\n.tmp", NULL, FILE_OPEN, 0, NULL),
                 STATUS_SUCCESS);
    kf_iosb_fill(&iosb);
    cr_expect_eq(ZwQueryDirectoryFile(f, NULL, NULL, NULL, &iosb, data, sizeof data, FileNamesInformation, FALSE, NULL,
                                      TRUE),
                 STATUS_INVALID_PARAMETER);
    KF_IOSB_UNTOUCHED(iosb);
    kf_close(f);
    /* No FILE_LIST_DIRECTORY right. */
    cr_assert_eq(kf_create(&f, FILE_READ_ATTRIBUTES, L"\\SystemRoot\\Temp\\q", NULL, FILE_OPEN, FILE_DIRECTORY_FILE,
                           NULL),
                 STATUS_SUCCESS);
    cr_expect_eq(ZwQueryDirectoryFile(f, NULL, NULL, NULL, &iosb, data, sizeof data, FileNamesInformation, FALSE, NULL,
                                      TRUE),
                 STATUS_ACCESS_DENIED);
    kf_close(f);
}

Test(kfile_dir, whole_listing_in_order)
{
    HANDLE h = setup_dir();
    IO_STATUS_BLOCK iosb;
    union {
        uint8_t b[8192];
        ULONGLONG align;
    } u;
    kf_iosb_fill(&iosb);
    cr_assert_eq(ZwQueryDirectoryFile(h, NULL, NULL, NULL, &iosb, &u, sizeof u, FileBothDirectoryInformation, FALSE,
                                      NULL, TRUE),
                 STATUS_SUCCESS);
    cr_expect_eq(iosb.Status, STATUS_SUCCESS);
    /* ".", "..", then by upcased name: D.TMP, EA.TMP, LONGFILENAME.TMP, N.TMP, ZED, then É (U+00C9 sorts after Z). */
    static const WCHAR *const order[] = {L".", L"..", L"d.tmp", L"ea.tmp", L"longfilename.tmp", L"n.tmp", L"Zed",
                                         L"\x00e9" L"a.tmp"};
    ULONG pos = 0, last = 0;
    size_t k = 0;
    for (;;) {
        FILE_BOTH_DIR_INFORMATION *e = (FILE_BOTH_DIR_INFORMATION *)(u.b + pos);
        cr_assert_lt(k, sizeof order / sizeof *order);
        cr_expect(name_is(e->FileName, e->FileNameLength, order[k]), "entry %zu: %s", k,
                  t_u8((const uint16_t *)e->FileName, e->FileNameLength / 2));
        cr_expect_eq(e->ShortNameLength, 0);
        cr_expect_eq(e->EaSize, 0);
        if (k < 3)
            cr_expect(e->FileAttributes & FILE_ATTRIBUTE_DIRECTORY, "entry %zu is a directory", k);
        else
            cr_expect_eq(e->FileAttributes, FILE_ATTRIBUTE_ARCHIVE, "entry %zu", k);
        if (k == 3)
            cr_expect_eq(e->EndOfFile.QuadPart, 3);
        k++;
        last = pos;
        if (!e->NextEntryOffset)
            break;
        cr_expect_eq(e->NextEntryOffset,
                     (offsetof(FILE_BOTH_DIR_INFORMATION, FileName) + e->FileNameLength + 7) & ~7u, "alignment");
        pos += e->NextEntryOffset;
    }
    cr_expect_eq(k, sizeof order / sizeof *order);
    FILE_BOTH_DIR_INFORMATION *e = (FILE_BOTH_DIR_INFORMATION *)(u.b + last);
    cr_expect_eq(iosb.Information, last + offsetof(FILE_BOTH_DIR_INFORMATION, FileName) + e->FileNameLength,
                 "Information ends with the last entry, unpadded");
    kf_iosb_fill(&iosb);
    cr_expect_eq(ZwQueryDirectoryFile(h, NULL, NULL, NULL, &iosb, &u, sizeof u, FileBothDirectoryInformation, FALSE,
                                      NULL, FALSE),
                 STATUS_NO_MORE_FILES);
    cr_expect_eq(iosb.Status, STATUS_NO_MORE_FILES);
    cr_expect_eq(iosb.Information, 0);
    /* The listing does not move the file position. */
    FILE_POSITION_INFORMATION p;
    cr_assert_eq(ZwQueryInformationFile(h, &iosb, &p, sizeof p, FilePositionInformation), STATUS_SUCCESS);
    cr_expect_eq(p.CurrentByteOffset.QuadPart, 0);
    kf_close(h);
}

Test(kfile_dir, partial_buffers_and_single_entries)
{
    HANDLE h = setup_dir();
    IO_STATUS_BLOCK iosb;
    union {
        uint8_t b[1024];
        ULONGLONG align;
    } u;
    const ULONG fixed = offsetof(FILE_BOTH_DIR_INFORMATION, FileName);
    const ULONG first = (fixed + 2 + 7) & ~7u; /* "." padded */
    /* Room for "." and one character of "..": only "." comes back. */
    memset(&u, 0x55, sizeof u);
    kf_iosb_fill(&iosb);
    cr_assert_eq(ZwQueryDirectoryFile(h, NULL, NULL, NULL, &iosb, &u, first + fixed + 2, FileBothDirectoryInformation,
                                      FALSE, NULL, TRUE),
                 STATUS_SUCCESS);
    FILE_BOTH_DIR_INFORMATION *e = (FILE_BOTH_DIR_INFORMATION *)u.b;
    cr_expect_eq(iosb.Information, fixed + 2);
    cr_expect_eq(e->NextEntryOffset, 0);
    cr_expect(name_is(e->FileName, e->FileNameLength, L"."));
    cr_expect_eq(*(ULONG *)(u.b + fixed + 2), 0x55555555u, "nothing written after the entry");
    /* Room for both exactly. */
    memset(&u, 0x55, sizeof u);
    cr_assert_eq(ZwQueryDirectoryFile(h, NULL, NULL, NULL, &iosb, &u, first + fixed + 4, FileBothDirectoryInformation,
                                      FALSE, NULL, TRUE),
                 STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, first + fixed + 4);
    cr_expect_eq(e->NextEntryOffset, first);
    FILE_BOTH_DIR_INFORMATION *e2 = (FILE_BOTH_DIR_INFORMATION *)(u.b + first);
    cr_expect(name_is(e2->FileName, e2->FileNameLength, L".."));
    cr_expect_eq(e2->NextEntryOffset, 0);
    /* FileNamesInformation: the same rule. */
    const ULONG nfixed = offsetof(FILE_NAMES_INFORMATION, FileName);
    const ULONG nsize = ((nfixed + 2 + 7) & ~7u) + nfixed + 4;
    cr_assert_eq(ZwQueryDirectoryFile(h, NULL, NULL, NULL, &iosb, &u, nsize, FileNamesInformation, FALSE, NULL, TRUE),
                 STATUS_SUCCESS);
    cr_expect_eq(iosb.Information, nsize);
    /* Single entries, one per call, then the rest. */
    cr_assert_eq(ZwQueryDirectoryFile(h, NULL, NULL, NULL, &iosb, &u, sizeof u, FileNamesInformation, TRUE, NULL,
                                      TRUE),
                 STATUS_SUCCESS);
    FILE_NAMES_INFORMATION *n = (FILE_NAMES_INFORMATION *)u.b;
    cr_expect(name_is(n->FileName, n->FileNameLength, L"."));
    cr_expect_eq(n->NextEntryOffset, 0);
    cr_expect_eq(iosb.Information, nfixed + 2);
    cr_assert_eq(ZwQueryDirectoryFile(h, NULL, NULL, NULL, &iosb, &u, sizeof u, FileNamesInformation, TRUE, NULL,
                                      FALSE),
                 STATUS_SUCCESS);
    cr_expect(name_is(n->FileName, n->FileNameLength, L".."));
    /* A buffer too small for the next entry's name: partial, and the next call goes on after it. */
    memset(&u, 0x55, sizeof u);
    cr_assert_eq(ZwQueryDirectoryFile(h, NULL, NULL, NULL, &iosb, &u, nfixed + 4, FileNamesInformation, FALSE, NULL,
                                      FALSE),
                 STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(iosb.Status, STATUS_BUFFER_OVERFLOW);
    cr_expect_eq(iosb.Information, nfixed + 4);
    cr_expect_eq(n->FileNameLength, 10, "the whole name's length: d.tmp");
    const WCHAR *fn = (const WCHAR *)(u.b + offsetof(FILE_NAMES_INFORMATION, FileName));
    cr_expect_eq(fn[0], 'd');
    cr_expect_eq(fn[1], '.');
    cr_expect_eq(fn[2], 0x5555);
    cr_assert_eq(ZwQueryDirectoryFile(h, NULL, NULL, NULL, &iosb, &u, sizeof u, FileNamesInformation, TRUE, NULL,
                                      FALSE),
                 STATUS_SUCCESS);
    cr_expect(name_is(n->FileName, n->FileNameLength, L"ea.tmp"));
    kf_close(h);
}

Test(kfile_dir, filters)
{
    HANDLE h = setup_dir();
    IO_STATUS_BLOCK iosb;
    union {
        uint8_t b[4096];
        ULONGLONG align;
    } u;
    static const struct {
        const WCHAR *mask;
        int count;
    } masks[] = {
        {L"n.tmp", 1}, {L"N.TMP", 1}, {L"*", 8}, {L"*.tmp", 5}, {L"?.tmp", 2}, {L"??.tmp", 2},
        {L"*.*", 7}, /* NT matching: only names with a dot ("." and ".." have one) */
        {L"z*", 1},  {L"*e*", 3}, {L"<.tmp", 5}, {L"n>>>>", 0}, {L"n.tm>", 1}, {L"zed\"", 1},
        {L"dummy", 0}, {L"\x00c9" L"A.TMP", 1},
    };
    for (size_t i = 0; i < sizeof masks / sizeof *masks; i++) {
        HANDLE d;
        cr_assert_eq(kf_create(&d, FILE_LIST_DIRECTORY | SYNCHRONIZE, L"", h, FILE_OPEN,
                               FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL),
                     STATUS_SUCCESS);
        UNICODE_STRING mask = kf_us(masks[i].mask);
        int count = 0;
        NTSTATUS st;
        BOOLEAN restart = TRUE;
        kf_iosb_fill(&iosb);
        while ((st = ZwQueryDirectoryFile(d, NULL, NULL, NULL, &iosb, &u, sizeof u, FileNamesInformation, TRUE, &mask,
                                          restart)) == STATUS_SUCCESS) {
            count++;
            restart = FALSE;
        }
        cr_expect_eq(count, masks[i].count, "mask %s: %d", t_u8((const uint16_t *)masks[i].mask, mask.Length / 2),
                     count);
        if (!masks[i].count) {
            /* Nothing matched on the handle's first query: NO_SUCH_FILE, iosb untouched. */
            cr_expect_eq(st, STATUS_NO_SUCH_FILE);
            KF_IOSB_UNTOUCHED(iosb);
            /* Then NO_MORE_FILES, with or without restart (the filter stays). */
            cr_expect_eq(ZwQueryDirectoryFile(d, NULL, NULL, NULL, &iosb, &u, sizeof u, FileNamesInformation, TRUE,
                                              NULL, FALSE),
                         STATUS_NO_MORE_FILES);
            cr_expect_eq(iosb.Status, STATUS_NO_MORE_FILES);
            cr_expect_eq(ZwQueryDirectoryFile(d, NULL, NULL, NULL, &iosb, &u, sizeof u, FileNamesInformation, TRUE,
                                              NULL, TRUE),
                         STATUS_NO_MORE_FILES);
        } else {
            cr_expect_eq(st, STATUS_NO_MORE_FILES);
        }
        kf_close(d);
    }
    /* A later mask is ignored: the first query's filter stays. */
    UNICODE_STRING first = kf_us(L"n.tmp"), later = kf_us(L"*");
    cr_assert_eq(ZwQueryDirectoryFile(h, NULL, NULL, NULL, &iosb, &u, sizeof u, FileNamesInformation, FALSE, &first,
                                      TRUE),
                 STATUS_SUCCESS);
    cr_expect_eq(ZwQueryDirectoryFile(h, NULL, NULL, NULL, &iosb, &u, sizeof u, FileNamesInformation, FALSE, &later,
                                      TRUE),
                 STATUS_SUCCESS);
    FILE_NAMES_INFORMATION *n = (FILE_NAMES_INFORMATION *)u.b;
    cr_expect(name_is(n->FileName, n->FileNameLength, L"n.tmp"));
    cr_expect_eq(n->NextEntryOffset, 0);
    /* An odd mask length is invalid. */
    UNICODE_STRING odd = {3, 4, (PWCH)L"ab"};
    HANDLE d;
    cr_assert_eq(kf_create(&d, FILE_LIST_DIRECTORY, L"", h, FILE_OPEN, FILE_DIRECTORY_FILE, NULL), STATUS_SUCCESS);
    cr_expect_eq(ZwQueryDirectoryFile(d, NULL, NULL, NULL, &iosb, &u, sizeof u, FileNamesInformation, FALSE, &odd,
                                      TRUE),
                 STATUS_INVALID_PARAMETER);
    kf_close(d);
    kf_close(h);
}

Test(kfile_dir, root_has_no_dot_entries)
{
    HANDLE h;
    IO_STATUS_BLOCK iosb;
    union {
        uint8_t b[4096];
        ULONGLONG align;
    } u;
    cr_assert_eq(kf_create(&h, FILE_LIST_DIRECTORY, L"\\??\\C:\\", NULL, FILE_OPEN, FILE_DIRECTORY_FILE, NULL),
                 STATUS_SUCCESS);
    cr_assert_eq(ZwQueryDirectoryFile(h, NULL, NULL, NULL, &iosb, &u, sizeof u, FileNamesInformation, TRUE, NULL, TRUE),
                 STATUS_SUCCESS);
    FILE_NAMES_INFORMATION *n = (FILE_NAMES_INFORMATION *)u.b;
    cr_expect(name_is(n->FileName, n->FileNameLength, L"ProgramData"), "%s",
              t_u8((const uint16_t *)n->FileName, n->FileNameLength / 2));
    kf_close(h);
}

Test(kfile_dir, wildcard_matcher)
{
#define M(e, n) emu_file_name_match((const uint16_t *)(e), sizeof(e) / 2 - 1, (const uint16_t *)(n), sizeof(n) / 2 - 1)
    cr_expect(M(L"*", L""));
    cr_expect(M(L"*", L"ANY.TXT"));
    cr_expect(M(L"A*B", L"AXXB"));
    cr_expect(!M(L"A*B", L"AXXBC"));
    cr_expect(M(L"*.TXT", L"A.B.TXT"));
    cr_expect(!M(L"?", L""));
    cr_expect(M(L"??", L"AB"));
    cr_expect(!M(L"??", L"A"));
    cr_expect(M(L"<.TXT", L"A.B.TXT"));
    cr_expect(!M(L"<", L"A.TXT"));
    cr_expect(M(L"<", L"ABC"));
    cr_expect(M(L">>>", L"A"));
    cr_expect(M(L">>>.TXT", L"AB.TXT"));
    cr_expect(!M(L">>.TXT", L"ABC.TXT"));
    cr_expect(M(L"A\"", L"A"));
    cr_expect(M(L"A\"TXT", L"A.TXT"));
    cr_expect(M(L"<\"*", L"README"));
    cr_expect(M(L"*A*A*A*A*A*A*A*A*B", L"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"));
    cr_expect(!M(L"*A*A*A*A*A*A*A*A*B", L"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAC"));
    cr_expect(M(L"ABC", L"abc"), "the name side is upcased");
#undef M
}
