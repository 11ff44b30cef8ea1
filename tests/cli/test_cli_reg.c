/*
 * test_cli_reg.c: `pnpbox reg` end to end.  Each test runs the built
 * pnpbox binary ($PNPBOX_BUILD/bin/pnpbox) with posix_spawn on a machine
 * directory of its own and checks the exact stdout, stderr and exit
 * status: every subcommand, reg.exe's query layout, exit codes 0/1/2,
 * --help and /?.
 */
#include "tests/support/trun.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char *dir;     /* this test's scratch directory */
static char *machine; /* dir/machine */

static void setup(void)
{
    dir = t_mkdtemp("cli_reg");
    cr_assert_not_null(dir);
    size_t n = strlen(dir) + 16;
    machine = malloc(n);
    snprintf(machine, n, "%s/machine", dir);
}

static void teardown(void)
{
    t_rmtree(dir);
    free(dir);
    free(machine);
}

TestSuite(cli_reg, .init = setup, .fini = teardown);

/* ---------------------------------------------------------------- running pnpbox */

/* pnpbox --machine <this test's machine> args... */
static run_result run_m(const char *const *args)
{
    const char *argv[64] = {"--machine", machine};
    size_t n = 2;
    for (size_t i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return t_run_pnpbox(argv, NULL);
}

#define run_free t_run_free

/* Run and expect an exit status, stdout and stderr exactly (NULL: not checked). */
static void expect_run(const char *const *args, int status, const char *out, const char *err)
{
    run_result r = run_m(args);
    char cmd[512] = "";
    for (size_t i = 0; args[i]; i++)
        snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " %s", args[i]);
    cr_assert_eq(r.status, status, "pnpbox%s: exit %d, expected %d; stderr: %s", cmd, r.status, status, r.err);
    if (out)
        cr_assert_str_eq(r.out, out, "pnpbox%s: stdout", cmd);
    if (err)
        cr_assert_str_eq(r.err, err, "pnpbox%s: stderr", cmd);
    run_free(&r);
}

#define OK "The operation completed successfully.\n"

static void ok(const char *const *args) { expect_run(args, 0, OK, ""); }

static char *path_in_dir(const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void write_text(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

/* ---------------------------------------------------------------- help and usage */

Test(cli_reg, help_for_reg_and_every_subcommand)
{
    const char *forms[] = {"--help", "/?", "-h", "-?"};
    for (size_t i = 0; i < 4; i++) {
        run_result r = run_m(ARGS("reg", forms[i]));
        cr_assert_eq(r.status, 0, "reg %s", forms[i]);
        cr_assert(!strncmp(r.out, "usage: pnpbox [--machine DIR] reg COMMAND", 41), "reg %s: %s", forms[i], r.out);
        cr_assert_str_eq(r.err, "");
        run_free(&r);
    }
    const char *subs[] = {"query", "add", "delete", "export", "import"};
    for (size_t i = 0; i < 5; i++) {
        for (size_t f = 0; f < 4; f++) {
            run_result r = run_m(ARGS("reg", subs[i], forms[f]));
            char expect[64];
            snprintf(expect, sizeof expect, "usage: pnpbox reg %s ", subs[i]);
            cr_assert_eq(r.status, 0, "reg %s %s", subs[i], forms[f]);
            cr_assert(!strncmp(r.out, expect, strlen(expect)), "reg %s %s: %s", subs[i], forms[f], r.out);
            cr_assert(strstr(r.out, "Exit status"), "reg %s help names the exit codes", subs[i]);
            cr_assert_str_eq(r.err, "");
            run_free(&r);
        }
    }
    /* Help wins over other arguments, even bad ones. */
    run_result r = run_m(ARGS("reg", "add", "HKXX", "/zz", "/?"));
    cr_assert_eq(r.status, 0);
    cr_assert(!strncmp(r.out, "usage: pnpbox reg add ", 22));
    run_free(&r);
    /* The top-level help lists the command. */
    r = run_m(ARGS("--help"));
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "  reg "), "%s", r.out);
    run_free(&r);
}

Test(cli_reg, bad_usage_exits_2)
{
    run_result r = run_m(ARGS("reg"));
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.out, "");
    cr_assert(!strncmp(r.err, "usage: pnpbox [--machine DIR] reg", 33), "%s", r.err);
    run_free(&r);

    expect_run(ARGS("reg", "frob"), 2, "",
               "pnpbox: unknown reg command 'frob' (query, add, delete, export or import); see 'pnpbox reg /?'\n");
    expect_run(ARGS("reg", "query"), 2, "",
               "pnpbox: a key is needed: pnpbox reg query KEY; see 'pnpbox reg query /?'\n");
    expect_run(ARGS("reg", "query", "HKXX\\Software"), 2, "",
               "pnpbox: invalid key name 'HKXX\\Software': it must start with HKLM, HKCU, HKCR, HKU or HKCC (or "
               "HKEY_LOCAL_MACHINE ...); see 'pnpbox reg query /?'\n");
    expect_run(ARGS("reg", "query", "HKLM\\a", "/zz"), 2, "",
               "pnpbox: unknown option '/zz'; see 'pnpbox reg query /?'\n");
    expect_run(ARGS("reg", "query", "HKLM\\a", "HKLM\\b"), 2, "",
               "pnpbox: unexpected argument 'HKLM\\b'; see 'pnpbox reg query /?'\n");
    expect_run(ARGS("reg", "query", "HKLM\\a\\\\b"), 2, "",
               "pnpbox: invalid key name 'HKLM\\a\\\\b': an empty key name between '\\'; see 'pnpbox reg query /?'\n");
    expect_run(ARGS("reg", "query", "\\\\host\\HKLM\\a"), 2, "", NULL);
    expect_run(ARGS("reg", "query", "HKLM\\a", "/reg:32"), 2, "", NULL);
    expect_run(ARGS("reg", "query", "HKLM\\a", "/s", "/S"), 2, "",
               "pnpbox: option '/S' given twice; see 'pnpbox reg query /?'\n");
    expect_run(ARGS("reg", "add", "HKLM\\a", "/v"), 2, "",
               "pnpbox: option '/v' needs a value; see 'pnpbox reg add /?'\n");
    expect_run(ARGS("reg", "add", "HKLM\\a", "/t", "REG_FOO"), 2, "", NULL);
    expect_run(ARGS("reg", "add", "HKLM\\a", "/v", "x", "/ve"), 2, "", NULL);
    expect_run(ARGS("reg", "add", "HKLM\\a", "/v", "x", "/t", "REG_DWORD", "/d", "abc"), 2, "", NULL);
    expect_run(ARGS("reg", "add", "HKLM\\a", "/v", "x", "/t", "REG_DWORD", "/d", "0x100000000"), 2, "", NULL);
    expect_run(ARGS("reg", "add", "HKLM\\a", "/v", "x", "/t", "REG_DWORD", "/d", "-1"), 2, "", NULL);
    expect_run(ARGS("reg", "add", "HKLM\\a", "/v", "x", "/t", "REG_QWORD", "/d", "18446744073709551616"), 2, "",
               NULL);
    expect_run(ARGS("reg", "add", "HKLM\\a", "/v", "x", "/t", "REG_BINARY", "/d", "abc"), 2, "", NULL);
    expect_run(ARGS("reg", "add", "HKLM\\a", "/v", "x", "/t", "REG_BINARY", "/d", "zz"), 2, "", NULL);
    expect_run(ARGS("reg", "add", "HKLM\\a", "/v", "x", "/s", ",", "/d", "a,b"), 2, "", NULL);
    expect_run(ARGS("reg", "add", "HKLM\\a", "/v", "x", "/t", "REG_MULTI_SZ", "/d", "a\\0\\0b"), 2, "", NULL);
    expect_run(ARGS("reg", "delete", "HKLM\\a", "/v", "x", "/va"), 2, "", NULL);
    expect_run(ARGS("reg", "export", "HKLM\\a"), 2, "", NULL);
    expect_run(ARGS("reg", "import"), 2, "", NULL);
    /* None of that created anything. */
    expect_run(ARGS("reg", "query", "HKLM\\a"), 1, "", "pnpbox: cannot open key 'HKLM\\a': not found\n");
}

/* ---------------------------------------------------------------- add and query */

static void add_every_type(void)
{
    const char *K = "HKLM\\SOFTWARE\\Demo";
    ok(ARGS("reg", "add", K, "/v", "Name", "/d", "hello world"));
    ok(ARGS("reg", "add", K, "/v", "Num", "/t", "REG_DWORD", "/d", "42"));
    ok(ARGS("reg", "add", K, "/v", "Hex", "/t", "REG_DWORD", "/d", "0xFFFFFFFF"));
    ok(ARGS("reg", "add", K, "/v", "BE", "/t", "REG_DWORD_BIG_ENDIAN", "/d", "0x2a"));
    ok(ARGS("reg", "add", K, "/v", "Big", "/t", "REG_QWORD", "/d", "0x123456789abcdef0"));
    ok(ARGS("reg", "add", K, "/v", "Multi", "/t", "REG_MULTI_SZ", "/d", "one\\0two\\0three"));
    ok(ARGS("reg", "add", K, "/v", "Path", "/t", "REG_EXPAND_SZ", "/d", "%SystemRoot%\\System32"));
    ok(ARGS("reg", "add", K, "/v", "Bin", "/t", "REG_BINARY", "/d", "0102abCD"));
    ok(ARGS("reg", "add", K, "/v", "None", "/t", "REG_NONE"));
    ok(ARGS("reg", "add", K, "/v", "Empty"));
    ok(ARGS("reg", "add", K, "/ve", "/d", "the default"));
    ok(ARGS("reg", "add", "HKLM\\SOFTWARE\\Demo\\Sub\\Deeper", "/v", "x", "/t", "REG_DWORD", "/d", "7"));
    ok(ARGS("reg", "add", "HKLM\\SOFTWARE\\Demo\\Another"));
}

#define DEMO_VALUES                                                                                            \
    "    Name    REG_SZ    hello world\n"                                                                      \
    "    Num    REG_DWORD    0x2a\n"                                                                           \
    "    Hex    REG_DWORD    0xffffffff\n"                                                                     \
    "    BE    REG_DWORD_BIG_ENDIAN    0x2a\n"                                                                 \
    "    Big    REG_QWORD    0x123456789abcdef0\n"                                                             \
    "    Multi    REG_MULTI_SZ    one\\0two\\0three\n"                                                         \
    "    Path    REG_EXPAND_SZ    %SystemRoot%\\System32\n"                                                    \
    "    Bin    REG_BINARY    0102ABCD\n"                                                                      \
    "    None    REG_NONE    \n"                                                                               \
    "    Empty    REG_SZ    \n"                                                                                \
    "    (Default)    REG_SZ    the default\n"

Test(cli_reg, query_prints_reg_exe_layout)
{
    add_every_type();
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Demo"), 0,
               "\n"
               "HKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\n" DEMO_VALUES "\n"
               "HKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\\Another\n"
               "HKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\\Sub\n"
               "\n",
               "");
    /* A key with subkeys only, and a key with nothing. */
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Demo\\Sub"), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\\Sub\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\\Sub\\Deeper\n\n", "");
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Demo\\Another"), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\\Another\n", "");
    /* The path is printed as typed after the long root name. */
    expect_run(ARGS("reg", "query", "hklm\\software\\demo\\sub\\"), 0,
               "\nHKEY_LOCAL_MACHINE\\software\\demo\\sub\nHKEY_LOCAL_MACHINE\\software\\demo\\sub\\Deeper\n\n", "");
}

Test(cli_reg, query_recursive)
{
    add_every_type();
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Demo", "/s"), 0,
               "\n"
               "HKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\n" DEMO_VALUES "\n"
               "HKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\\Another\n"
               "\n"
               "HKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\\Sub\n"
               "\n"
               "HKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\\Sub\\Deeper\n"
               "    x    REG_DWORD    0x7\n"
               "\n",
               "");
    /* /s with /v: only the keys that hold the value. */
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Demo", "/s", "/v", "X"), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\\Sub\\Deeper\n    x    REG_DWORD    0x7\n\n", "");
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Demo", "/s", "/v", "nowhere"), 1, "",
               "pnpbox: cannot find value 'nowhere' in key 'HKLM\\SOFTWARE\\Demo' or below it: not found\n");
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Demo", "/s", "/ve"), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\n    (Default)    REG_SZ    the default\n\n", "");
}

Test(cli_reg, query_one_value)
{
    add_every_type();
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Demo", "/v", "num"), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\n    Num    REG_DWORD    0x2a\n\n", "");
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Demo", "/ve"), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\n    (Default)    REG_SZ    the default\n\n", "");
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Demo\\Sub", "/ve"), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\\Sub\n    (Default)    REG_SZ    (value not set)\n\n", "");
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Demo", "/v", "Multi", "/se", ";"), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\n    Multi    REG_MULTI_SZ    one;two;three\n\n", "");
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Demo", "/v", "Nope"), 1, "",
               "pnpbox: cannot find value 'Nope' in key 'HKLM\\SOFTWARE\\Demo': not found\n");
}

Test(cli_reg, query_of_a_missing_key_exits_1)
{
    expect_run(ARGS("reg", "query", "HKLM\\SYSTEM\\Foo"), 1, "", "pnpbox: cannot open key 'HKLM\\SYSTEM\\Foo': not found\n");
    expect_run(ARGS("reg", "query", "HKLM\\SYSTEM\\Foo", "/s"), 1, "",
               "pnpbox: cannot open key 'HKLM\\SYSTEM\\Foo': not found\n");
}

Test(cli_reg, options_ignore_case_and_take_dashes)
{
    ok(ARGS("reg", "ADD", "hklm\\Software\\X", "-V", "a", "-T", "reg_dword", "-D", "7", "-F"));
    ok(ARGS("reg", "Add", "HKEY_LOCAL_MACHINE\\Software\\X", "/V", "b", "/D", "text", "/f", "/reg:64"));
    expect_run(ARGS("reg", "QUERY", "HKEY_LOCAL_MACHINE\\SOFTWARE\\x", "-v", "A"), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\x\n    a    REG_DWORD    0x7\n\n", "");
    expect_run(ARGS("reg", "query", "HKLM\\Software\\X", "/VE"), 0,
               "\nHKEY_LOCAL_MACHINE\\Software\\X\n    (Default)    REG_SZ    (value not set)\n\n", "");
}

Test(cli_reg, roots_and_their_long_names)
{
    ok(ARGS("reg", "add", "HKCU\\Software\\Me", "/v", "u", "/d", "1"));
    ok(ARGS("reg", "add", "HKCR\\.txt", "/ve", "/d", "txtfile"));
    ok(ARGS("reg", "add", "HKU\\.DEFAULT\\Env", "/v", "e", "/d", "2"));
    const char *u = "\nHKEY_USERS\\S-1-5-18\\Software\\Me\n    u    REG_SZ    1\n\n";
    expect_run(ARGS("reg", "query", "HKU\\S-1-5-18\\Software\\Me"), 0, u, "");
    expect_run(ARGS("reg", "query", "HKEY_CURRENT_USER\\Software\\Me"), 0,
               "\nHKEY_CURRENT_USER\\Software\\Me\n    u    REG_SZ    1\n\n", "");
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Classes\\.txt"), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\.txt\n    (Default)    REG_SZ    txtfile\n\n", "");
    expect_run(ARGS("reg", "query", "HKEY_CLASSES_ROOT\\.TXT", "/ve"), 0,
               "\nHKEY_CLASSES_ROOT\\.TXT\n    (Default)    REG_SZ    txtfile\n\n", "");
    expect_run(ARGS("reg", "query", "HKEY_USERS\\.default\\env", "/v", "e"), 0,
               "\nHKEY_USERS\\.default\\env\n    e    REG_SZ    2\n\n", "");
}

Test(cli_reg, add_data_forms)
{
    const char *K = "HKLM\\SOFTWARE\\Forms";
    ok(ARGS("reg", "add", K, "/v", "d0", "/t", "REG_DWORD"));
    ok(ARGS("reg", "add", K, "/v", "q", "/t", "REG_QWORD", "/d", "18446744073709551615"));
    ok(ARGS("reg", "add", K, "/v", "m", "/t", "REG_MULTI_SZ", "/s", "#", "/d", "a#b#"));
    ok(ARGS("reg", "add", K, "/v", "m0", "/t", "REG_MULTI_SZ"));
    ok(ARGS("reg", "add", K, "/v", "n", "/t", "REG_NONE", "/d", "00ff"));
    ok(ARGS("reg", "add", K, "/v", "uni", "/d", "Драйвер €"));
    ok(ARGS("reg", "add", K, "/d", "default without /ve"));
    /* Overwriting never prompts, and keeps the value's place. */
    ok(ARGS("reg", "add", K, "/v", "d0", "/t", "REG_SZ", "/d", "now a string"));
    expect_run(ARGS("reg", "query", K), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Forms\n"
               "    d0    REG_SZ    now a string\n"
               "    q    REG_QWORD    0xffffffffffffffff\n"
               "    m    REG_MULTI_SZ    a\\0b\n"
               "    m0    REG_MULTI_SZ    \n"
               "    n    REG_NONE    00FF\n"
               "    uni    REG_SZ    Драйвер €\n"
               "    (Default)    REG_SZ    default without /ve\n"
               "\n",
               "");
    /* The stored bytes, through an export. */
    char *f = path_in_dir("forms.reg");
    ok(ARGS("reg", "export", K, f));
    size_t len;
    unsigned char *data = t_read_file(f, &len);
    cr_assert_not_null(data);
    static const char expect[] = "\xff\xfe"
                                 "W\0i\0n\0";
    cr_assert(!memcmp(data, expect, 8), "UTF-16LE with BOM");
    free(data);
    free(f);
}

Test(cli_reg, add_creates_only_the_key)
{
    ok(ARGS("reg", "add", "HKLM\\SOFTWARE\\A\\B\\C"));
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\A", "/s"), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\A\n\nHKEY_LOCAL_MACHINE\\SOFTWARE\\A\\B\n\n"
               "HKEY_LOCAL_MACHINE\\SOFTWARE\\A\\B\\C\n\n",
               "");
    /* Adding an existing key is fine. */
    ok(ARGS("reg", "add", "HKLM\\SOFTWARE\\A\\B\\C", "/f"));
}

/* ---------------------------------------------------------------- delete */

Test(cli_reg, delete_values_and_keys)
{
    add_every_type();
    const char *K = "HKLM\\SOFTWARE\\Demo";
    ok(ARGS("reg", "delete", K, "/v", "NAME", "/f"));
    expect_run(ARGS("reg", "query", K, "/v", "Name"), 1, "", NULL);
    expect_run(ARGS("reg", "delete", K, "/v", "Name"), 1, "",
               "pnpbox: cannot delete value 'Name' in key 'HKLM\\SOFTWARE\\Demo': not found\n");
    ok(ARGS("reg", "delete", K, "/ve"));
    expect_run(ARGS("reg", "delete", K, "/ve"), 1, "",
               "pnpbox: cannot delete value '(Default)' in key 'HKLM\\SOFTWARE\\Demo': not found\n");
    /* /va removes the values and keeps the subkeys. */
    ok(ARGS("reg", "delete", K, "/va"));
    expect_run(ARGS("reg", "query", K), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\n"
               "HKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\\Another\n"
               "HKEY_LOCAL_MACHINE\\SOFTWARE\\Demo\\Sub\n\n",
               "");
    /* Without /v: the key and its subtree. */
    ok(ARGS("reg", "delete", K, "/f"));
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Demo\\Sub\\Deeper"), 1, "", NULL);
    expect_run(ARGS("reg", "delete", K), 1, "", "pnpbox: cannot open key 'HKLM\\SOFTWARE\\Demo': not found\n");
    /* a new machine directory starts from the template: SOFTWARE has Classes and Microsoft */
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE"), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\n"
               "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\n\n",
               "");
    /* A hive cannot be deleted. */
    run_result r = run_m(ARGS("reg", "delete", "HKLM", "/f"));
    cr_assert_eq(r.status, 1);
    cr_assert(!strncmp(r.err, "pnpbox: cannot delete key 'HKLM': ", 34), "%s", r.err);
    cr_assert_str_eq(r.out, "");
    run_free(&r);
}

/* ---------------------------------------------------------------- export and import */

Test(cli_reg, export_writes_regedit_format)
{
    ok(ARGS("reg", "add", "HKLM\\SOFTWARE\\E", "/v", "s", "/d", "x"));
    ok(ARGS("reg", "add", "HKLM\\SOFTWARE\\E\\Sub", "/v", "n", "/t", "REG_DWORD", "/d", "1"));
    char *f = path_in_dir("e.reg");
    ok(ARGS("reg", "export", "HKLM\\SOFTWARE\\E", f));
    size_t len;
    unsigned char *data = t_read_file(f, &len);
    cr_assert_not_null(data);
    const char *text = "Windows Registry Editor Version 5.00\r\n\r\n"
                       "[HKEY_LOCAL_MACHINE\\SOFTWARE\\E]\r\n\"s\"=\"x\"\r\n\r\n"
                       "[HKEY_LOCAL_MACHINE\\SOFTWARE\\E\\Sub]\r\n\"n\"=dword:00000001\r\n\r\n";
    size_t tl = strlen(text);
    cr_assert_eq(len, 2 + 2 * tl);
    cr_assert(data[0] == 0xFF && data[1] == 0xFE);
    for (size_t i = 0; i < tl; i++)
        cr_assert(data[2 + 2 * i] == (unsigned char)text[i] && data[3 + 2 * i] == 0, "unit %zu", i);
    free(data);

    /* An existing file needs /y. */
    expect_run(ARGS("reg", "export", "HKLM\\SOFTWARE\\E", f), 1, "", NULL);
    ok(ARGS("reg", "export", "HKLM\\SOFTWARE\\E\\Sub", f, "/y"));
    data = t_read_file(f, &len);
    cr_assert_lt(len, 2 + 2 * tl, "overwritten with the smaller export");
    free(data);
    expect_run(ARGS("reg", "export", "HKLM\\SOFTWARE\\Missing", f, "/y"), 1, "",
               "pnpbox: cannot open key 'HKLM\\SOFTWARE\\Missing': not found\n");
    char *nodir = path_in_dir("no/such/dir/x.reg");
    expect_run(ARGS("reg", "export", "HKLM\\SOFTWARE\\E", nodir), 1, "", NULL);
    free(nodir);
    free(f);
}

Test(cli_reg, import_applies_a_file)
{
    char *f = path_in_dir("in.reg");
    const char *text = "Windows Registry Editor Version 5.00\n\n"
                       "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Imp]\n"
                       "\"s\"=\"text\"\n"
                       "\"b\"=hex:01,02,\\\n  03\n"
                       "\"m\"=hex(7):61,00,00,00,62,00,00,00,00,00\n\n"
                       "[HKEY_CURRENT_USER\\Software\\Imp]\n@=dword:2a\n";
    write_text(f, text, strlen(text));
    ok(ARGS("reg", "import", f));
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Imp"), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Imp\n"
               "    s    REG_SZ    text\n"
               "    b    REG_BINARY    010203\n"
               "    m    REG_MULTI_SZ    a\\0b\n\n",
               "");
    expect_run(ARGS("reg", "query", "HKCU\\Software\\Imp"), 0,
               "\nHKEY_CURRENT_USER\\Software\\Imp\n    (Default)    REG_DWORD    0x2a\n\n", "");
    free(f);
}

Test(cli_reg, import_of_a_bad_file_changes_nothing_and_exits_2)
{
    ok(ARGS("reg", "add", "HKLM\\SOFTWARE\\Keep", "/v", "v", "/d", "before"));
    char *f = path_in_dir("bad.reg");
    const char *text = "Windows Registry Editor Version 5.00\r\n\r\n"
                       "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Keep]\r\n"
                       "\"v\"=\"after\"\r\n"
                       "\"w\"=hex:01,zz\r\n";
    write_text(f, text, strlen(text));
    run_result r = run_m(ARGS("reg", "import", f));
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.out, "");
    char expect[1024];
    snprintf(expect, sizeof expect, "pnpbox: cannot import '%s': line 5: bad hex byte 'zz'\n", f);
    cr_assert_str_eq(r.err, expect);
    run_free(&r);
    expect_run(ARGS("reg", "query", "HKLM\\SOFTWARE\\Keep"), 0,
               "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Keep\n    v    REG_SZ    before\n\n", "");
    /* A file that is not there, and one without the header. */
    char *missing = path_in_dir("missing.reg");
    snprintf(expect, sizeof expect, "pnpbox: cannot read '%s': No such file or directory\n", missing);
    expect_run(ARGS("reg", "import", missing), 2, "", expect);
    write_text(f, "[HKEY_LOCAL_MACHINE\\X]\n", 23);
    r = run_m(ARGS("reg", "import", f));
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "line 1: missing the header"), "%s", r.err);
    run_free(&r);
    free(missing);
    free(f);
}

Test(cli_reg, export_delete_import_round_trip)
{
    add_every_type();
    char *a = path_in_dir("a.reg"), *b = path_in_dir("b.reg");
    ok(ARGS("reg", "export", "HKLM\\SOFTWARE\\Demo", a));
    ok(ARGS("reg", "delete", "HKLM\\SOFTWARE\\Demo", "/f"));
    ok(ARGS("reg", "import", a));
    ok(ARGS("reg", "export", "HKLM\\SOFTWARE\\Demo", b));
    size_t al, bl;
    unsigned char *ad = t_read_file(a, &al), *bd = t_read_file(b, &bl);
    cr_assert(ad && bd);
    cr_assert(al == bl && !memcmp(ad, bd, al), "export -> import -> export is byte-identical");
    free(ad);
    free(bd);
    free(a);
    free(b);
}

/* ---------------------------------------------------------------- the machine */

Test(cli_reg, machine_directory_is_created_on_first_use)
{
    size_t n = strlen(dir) + 32;
    char *deep = malloc(n);
    snprintf(deep, n, "%s/x/y/z", dir);
    run_result r = t_run_pnpbox(ARGS("--machine", deep, "reg", "add", "HKLM\\SOFTWARE\\M"), NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char db[4096];
    snprintf(db, sizeof db, "%s/registry.db", deep);
    struct stat st;
    cr_assert_eq(stat(db, &st), 0, "'%s' exists", db);

    /* $PNPBOX_MACHINE when there is no --machine. */
    char envvar[4200];
    snprintf(envvar, sizeof envvar, "PNPBOX_MACHINE=%s", deep);
    char *env[] = {envvar, NULL};
    r = t_run_pnpbox(ARGS("reg", "query", "HKLM\\SOFTWARE"), env);
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* the new directory is a whole machine, created from the template */
    cr_assert_str_eq(r.out, "\nHKEY_LOCAL_MACHINE\\SOFTWARE\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\n"
                            "HKEY_LOCAL_MACHINE\\SOFTWARE\\M\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\n\n");
    snprintf(db, sizeof db, "%s/volume/Windows/System32/DriverStore", deep);
    cr_assert_eq(stat(db, &st), 0, "'%s' exists", db);
    run_free(&r);
    free(deep);
}

Test(cli_reg, machine_that_cannot_be_created_fails)
{
    char *file = path_in_dir("plainfile");
    write_text(file, "x", 1);
    size_t n = strlen(file) + 8;
    char *m = malloc(n);
    snprintf(m, n, "%s/sub", file);
    run_result r = t_run_pnpbox(ARGS("--machine", m, "reg", "query", "HKLM"), NULL);
    cr_assert_eq(r.status, 1);
    char expect[4096];
    snprintf(expect, sizeof expect, "pnpbox: cannot create machine directory '%s': Not a directory\n", m);
    cr_assert_str_eq(r.err, expect);
    cr_assert_str_eq(r.out, "");
    run_free(&r);
    free(m);
    free(file);
}
