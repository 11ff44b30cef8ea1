/*
 * test_names.c: Windows name rules of the volume (boxfs.h "Paths"):
 * component validation, path parsing errors, UTF-16 conversion and the
 * case-insensitive path prefix test the default policy uses.
 */
#include "fs/boxfs.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static int valid(const char *s)
{
    return boxfs_name_valid(s, strlen(s));
}

Test(fs_names, ordinary_names_are_valid)
{
    const char *ok[] = {"a",      "Windows", "x.sys",   "name with spaces", "trailing.",
                        "trail ", "ünïcödé", "日本語", "CONSOLE",          "COM10",
                        "LPT0",   "xCON",    "CON_",    "😀.txt",          ".hidden",
                        "a..b",   "...",     "NULL.txt", "AUXILIARY"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        cr_expect_eq(valid(ok[i]), 0, "'%s' should be valid, got %s", ok[i],
                     boxfs_strerror(valid(ok[i])));
}

Test(fs_names, invalid_characters_are_refused)
{
    const char *bad[] = {"a\"b", "a*b", "a:b", "a<b", "a>b", "a?b", "a|b", "a\\b", "a/b",
                         "a\x01z", "\x1f", "tab\there", "new\nline"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(valid(bad[i]), BOXFS_E_NAMEINVALID, "'%s' should be refused", bad[i]);
    /* an embedded NUL inside a counted name */
    cr_expect_eq(boxfs_name_valid("a\0b", 3), BOXFS_E_NAMEINVALID);
    cr_expect_eq(boxfs_name_valid("", 0), BOXFS_E_NAMEINVALID);
    cr_expect_eq(boxfs_name_valid(NULL, 3), BOXFS_E_NAMEINVALID);
}

Test(fs_names, dot_and_dotdot)
{
    cr_expect_eq(valid("."), BOXFS_E_NAMEINVALID);
    cr_expect_eq(valid(".."), BOXFS_E_SYNTAX);
}

Test(fs_names, reserved_device_names_with_and_without_extension)
{
    const char *bad[] = {"CON", "con", "Prn", "AUX", "nul", "COM1", "com9", "LPT1", "lpt9",
                         "CON.txt", "nul.tar.gz", "NUL .log", "aux   ", "COM\xc2\xb9",
                         "LPT\xc2\xb3.x", "com\xc2\xb2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(valid(bad[i]), BOXFS_E_NAMEINVALID, "'%s' is a device name", bad[i]);
}

Test(fs_names, invalid_utf8_is_refused)
{
    const char *bad[] = {"\xff", "a\xc0\xafz", "\xed\xa0\x80" /* a surrogate */, "\xe2\x82",
                         "\xf4\x90\x80\x80" /* above U+10FFFF */};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(valid(bad[i]), BOXFS_E_NAMEINVALID, "case %zu", i);
}

Test(fs_names, length_limits)
{
    char name[800];
    memset(name, 'a', 255);
    name[255] = 0;
    cr_expect_eq(valid(name), 0, "255 units are allowed");
    name[255] = 'a';
    name[256] = 0;
    cr_expect_eq(valid(name), BOXFS_E_NAMETOOLONG, "256 units are not");
    /* 100 three-byte characters: 100 units but 300 bytes, over the host's NAME_MAX */
    for (int i = 0; i < 100; i++)
        memcpy(name + 3 * i, "\xe6\x97\xa5", 3);
    name[300] = 0;
    cr_expect_eq(valid(name), BOXFS_E_NAMETOOLONG);
    /* 85 of them (255 bytes) fit */
    name[255] = 0;
    cr_expect_eq(valid(name), 0);
}

Test(fs_names, utf16_conversion)
{
    const uint16_t ok[] = {'\\', 'W', 'i', 'n', 0x00FC, 0xD83D, 0xDE00};
    const uint16_t nul[] = {'a', 0, 'b'};
    const uint16_t lone[] = {'a', 0xD800, 'b'};
    char *out = (char *)0xdeadbeef;
    cr_assert_eq(boxfs_path_from_utf16(ok, 7, &out), 0);
    cr_expect_str_eq(out, "\\Win\xc3\xbc\xf0\x9f\x98\x80");
    free(out);
    out = (char *)0xdeadbeef;
    cr_expect_eq(boxfs_path_from_utf16(nul, 3, &out), BOXFS_E_NAMEINVALID);
    cr_expect_eq(out, (char *)0xdeadbeef, "out untouched on failure");
    cr_expect_eq(boxfs_path_from_utf16(lone, 3, &out), BOXFS_E_NAMEINVALID);
    cr_expect_eq(boxfs_path_from_utf16(NULL, 0, &out), 0);
    cr_expect_str_eq(out, "");
    free(out);
    cr_expect_eq(boxfs_path_from_utf16(ok, 32768, &out), BOXFS_E_NAMETOOLONG);
    cr_expect_eq(boxfs_path_from_utf16(NULL, 2, &out), BOXFS_E_INVAL);
}

Test(fs_names, path_prefix_is_case_insensitive_on_whole_components)
{
    const char *store = "\\Windows\\System32\\DriverStore";
    cr_expect(boxfs_path_under("\\Windows\\System32\\DriverStore", store));
    cr_expect(boxfs_path_under("\\WINDOWS\\system32\\driverstore\\FileRepository\\x.inf", store));
    cr_expect(boxfs_path_under("/windows/SYSTEM32/DriverStore/", store));
    cr_expect(!boxfs_path_under("\\Windows\\System32\\DriverStoreX", store));
    cr_expect(!boxfs_path_under("\\Windows\\System32", store));
    cr_expect(!boxfs_path_under("\\Windows\\System32\\drivers\\x.sys", store));
    cr_expect(boxfs_path_under("\\anything", "\\"));
    /* Windows' upcase table, not ASCII only: U+00E9 and U+00C9 are one letter */
    cr_expect(boxfs_path_under("\\Caf\xc3\xa9\\x", "\\CAF\xc3\x89"));
    cr_expect(!boxfs_path_under(NULL, store));
}

Test(fs_names, strerror_and_errno_are_distinct)
{
    int codes[] = {BOXFS_E_NOMEM, BOXFS_E_INVAL, BOXFS_E_NOENT, BOXFS_E_PATHNOTFOUND,
                   BOXFS_E_NAMEINVALID, BOXFS_E_SYNTAX, BOXFS_E_EXISTS, BOXFS_E_NOTDIR,
                   BOXFS_E_ISDIR, BOXFS_E_NOTEMPTY, BOXFS_E_ACCESS, BOXFS_E_ROFS,
                   BOXFS_E_NOSPC, BOXFS_E_EOF, BOXFS_E_NAMETOOLONG, BOXFS_E_SYMLINK,
                   BOXFS_E_PERM, BOXFS_E_DELETEPENDING, BOXFS_E_CANNOTDELETE, BOXFS_E_NOMORE,
                   BOXFS_E_BADF, BOXFS_E_STALE, BOXFS_E_IO, BOXFS_E_BUSY, BOXFS_E_NODEV,
                   BOXFS_E_TOOBIG};
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        cr_expect_lt(codes[i], 0);
        cr_expect_str_neq(boxfs_strerror(codes[i]), "unknown error", "code %d", codes[i]);
        for (size_t j = 0; j < i; j++) {
            cr_expect_neq(codes[i], codes[j], "codes %zu and %zu collide", i, j);
            cr_expect_str_neq(boxfs_strerror(codes[i]), boxfs_strerror(codes[j]));
        }
    }
    cr_expect_eq(boxfs_errno(BOXFS_E_PATHNOTFOUND), ENOENT);
    cr_expect_eq(boxfs_errno(BOXFS_E_NAMEINVALID), EINVAL);
    cr_expect_eq(boxfs_errno(BOXFS_E_ROFS), EROFS);
    cr_expect_eq(boxfs_errno(BOXFS_E_SYMLINK), EACCES);
    cr_expect_eq(boxfs_errno(BOXFS_E_PERM), EPERM);
    cr_expect_eq(boxfs_errno(0), 0);
    cr_expect_str_eq(boxfs_strerror(-99999), "unknown error");
}
