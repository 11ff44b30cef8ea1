/*
 * test_malformed.c: hostile and broken input: NUL bytes, invalid UTF-16 and
 * UTF-8, truncated files, gigantic lines, broken headers, bad arguments.
 * Each gives a clear diagnostic (or error return) and never a crash.
 */
#include "tests/inf/tinf.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inf_file *parse_bytes(const void *b, size_t n)
{
    inf_file *f = NULL;
    int rc = emu_inf_parse_mem(b, n, "bad.inf", NULL, &f);
    cr_assert_eq(rc, 0, "parse: %s", emu_inf_strerror(rc));
    return f;
}

static const char *diag_msg(const inf_file *f, int code)
{
    for (size_t i = 0; i < emu_inf_diag_count(f); i++)
        if (emu_inf_diag_at(f, i)->code == code)
            return emu_inf_diag_at(f, i)->message;
    return NULL;
}

Test(inf_malformed, nul_characters)
{
    static const char ansi[] = "[S]\na=x\0y\n[T]\nb=1\n";
    inf_file *f = parse_bytes(ansi, sizeof ansi - 1);
    cr_assert(t_has_diag(f, 1002, 2));
    cr_assert_str_eq(t_s(t_line(f, "S", 0)->fields[0].val), "x y", "NUL reads as a blank");
    cr_assert(emu_inf_section(f, "T"), "parsing goes on");
    cr_assert(strstr(diag_msg(f, 1002), "NUL"));
    emu_inf_free(f);

    static const unsigned char u16[] = {0xFF, 0xFE, '[', 0, 'S', 0, ']', 0, '\n', 0, 'a', 0, 0, 0, '=', 0, '1', 0};
    f = parse_bytes(u16, sizeof u16);
    cr_assert(t_has_diag(f, 1002, 2));
    emu_inf_free(f);
}

Test(inf_malformed, unpaired_surrogates)
{
    /* [S] \n a = <D800> x \n b = <DC00> */
    static const uint16_t w[] = {0xFEFF, '[', 'S', ']', '\n', 'a', '=', 0xD800, 'x', '\n', 'b', '=', 0xDC00, '\n',
                                 'c', '=', 0xD83D, 0xDE00, '\n'};
    unsigned char b[sizeof w];
    for (size_t i = 0; i < sizeof w / 2; i++) {
        b[2 * i] = (unsigned char)(w[i] & 0xff);
        b[2 * i + 1] = (unsigned char)(w[i] >> 8);
    }
    inf_file *f = parse_bytes(b, sizeof b);
    cr_assert(t_has_diag(f, 1003, 2), "the first unpaired surrogate is reported with its line");
    cr_assert_eq(t_line(f, "S", 0)->fields[0].val.s[0], 0xD800, "kept as is for the registry");
    cr_assert_eq(t_line(f, "S", 2)->fields[0].val.n, 2, "a valid pair is fine");
    emu_inf_free(f);
}

Test(inf_malformed, truncated_utf16)
{
    static const unsigned char b[] = {0xFF, 0xFE, '[', 0, 'S', 0, ']', 0, '\n', 0, 'a', 0, '=', 0, '1'};
    inf_file *f = parse_bytes(b, sizeof b);
    cr_assert(t_has_diag(f, 1003, 0) || t_has_diag(f, 1003, 2));
    cr_assert(strstr(diag_msg(f, 1003), "odd number of bytes"));
    const inf_line *l = t_line(f, "S", 0);
    cr_assert_eq(l->fields[0].val.n, 0, "the half unit is dropped");
    emu_inf_free(f);
    /* Only a BOM, and only half a BOM. */
    f = parse_bytes("\xFF\xFE", 2);
    cr_assert_eq(emu_inf_section_count(f), 0);
    emu_inf_free(f);
    f = parse_bytes("\xFF", 1);
    cr_assert_eq(emu_inf_section_count(f), 0);
    emu_inf_free(f);
}

Test(inf_malformed, invalid_utf8)
{
    static const char b[] = "\xEF\xBB\xBF[S]\na=\xC3\x28|\xE2\x82|\xF0\x9F\x98\x80|\xC0\xAF|\xED\xA0\x80\n";
    inf_file *f = parse_bytes(b, sizeof b - 1);
    cr_assert(t_has_diag(f, 1003, 2), "invalid UTF-8 is reported at its line");
    inf_str v = t_line(f, "S", 0)->fields[0].val;
    cr_assert_eq(v.s[0], 0xFFFD);
    cr_assert_eq(v.s[1], '(');
    cr_assert_eq(v.s[2], '|');
    cr_assert_eq(v.s[3], 0xFFFD);
    emu_inf_free(f);
    /* A file that ends inside a sequence. */
    f = parse_bytes("\xEF\xBB\xBF[S]\na=\xE2\x82", 11);
    cr_assert(t_has_diag(f, 1003, 2));
    emu_inf_free(f);
}

Test(inf_malformed, gigantic_line)
{
    size_t n = 4u << 20;
    char *b = malloc(n + 32);
    cr_assert(b);
    memcpy(b, "[S]\nk=", 6);
    memset(b + 6, 'x', n);
    memcpy(b + 6 + n, ",y\n", 3);
    inf_file *f = parse_bytes(b, n + 9);
    free(b);
    const inf_line *l = t_line(f, "S", 0);
    cr_assert_eq(l->fields[0].val.n, n);
    cr_assert(l->fields[0].flags & INF_FIELD_TOO_LONG);
    cr_assert_str_eq(t_s(l->fields[1].val), "y");
    cr_assert(t_has_diag(f, 1002, 2));
    emu_inf_free(f);
}

Test(inf_malformed, many_fields_and_many_diagnostics)
{
    size_t n = 200000;
    char *b = malloc(n * 2 + 32);
    cr_assert(b);
    strcpy(b, "[S]\nk=");
    size_t o = strlen(b);
    for (size_t i = 0; i < n; i++) {
        b[o++] = 'a';
        b[o++] = ',';
    }
    b[o++] = '\n';
    inf_file *f = parse_bytes(b, o);
    cr_assert_eq(t_line(f, "S", 0)->nfields, n + 1);
    emu_inf_free(f);
    /* Thousands of broken headers: diagnostics are capped, parsing finishes. */
    o = 0;
    for (size_t i = 0; i < 5000; i++) {
        memcpy(b + o, "[x\n", 3);
        o += 3;
    }
    f = parse_bytes(b, o);
    cr_assert_leq(emu_inf_diag_count(f), 200);
    cr_assert(strstr(emu_inf_diag_at(f, emu_inf_diag_count(f) - 1)->message, "too many"));
    emu_inf_free(f);
    free(b);
}

Test(inf_malformed, broken_headers)
{
    inf_file *f = t_parse("[Good]\na=1\n[Unclosed\nb=2\n[]\nc=3\n[Bad\"Name]\nd=4\n[Ok] trailing\ne=5\n[Semi;colon]\n");
    cr_assert(t_has_diag(f, 1002, 3), "no closing bracket");
    cr_assert(t_has_diag(f, 1002, 5), "empty name");
    cr_assert(t_has_diag(f, 1002, 7), "quote in an unquoted name");
    cr_assert(t_has_diag(f, 1002, 9), "text after the header");
    cr_assert(t_has_diag(f, 1002, 11), "a ';' starts a comment, so no ']'");
    cr_assert_eq(emu_inf_section(f, "Good")->nlines, 1, "lines after a broken header belong to no section");
    cr_assert(emu_inf_section(f, "Ok"));
    cr_assert_eq(emu_inf_section(f, "Ok")->nlines, 1);
    emu_inf_free(f);
    char name[300];
    memset(name, 'n', sizeof name);
    char text[400];
    snprintf(text, sizeof text, "[%.*s]\n", 256, name);
    f = t_parse(text);
    cr_assert(t_has_diag(f, 1002, 1), "section names are at most 255 characters");
    emu_inf_free(f);
}

Test(inf_malformed, unterminated_quote_ends_at_the_line)
{
    inf_file *f = t_parse("[S]\na = \"open, still; quoted\nb = 2\n");
    cr_assert_str_eq(t_s(t_line(f, "S", 0)->fields[0].val), "open, still; quoted");
    cr_assert_str_eq(t_s(t_line(f, "S", 1)->fields[0].val), "2");
    emu_inf_free(f);
}

Test(inf_malformed, continuation_at_end_of_file)
{
    inf_file *f = t_parse("[S]\na = 1,\\");
    const inf_line *l = t_line(f, "S", 0);
    cr_assert_eq(l->nfields, 2);
    emu_inf_free(f);
    f = parse_bytes("[S]\na=\\\n", 9);
    cr_assert_eq(t_line(f, "S", 0)->nfields, 1);
    emu_inf_free(f);
}

Test(inf_malformed, empty_and_binary_input)
{
    inf_file *f = parse_bytes("", 0);
    cr_assert_eq(emu_inf_section_count(f), 0);
    cr_assert_eq(emu_inf_encoding(f), INF_ENC_ANSI);
    emu_inf_free(f);
    unsigned char junk[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (unsigned char)(x >> 16);
    }
    f = parse_bytes(junk, sizeof junk);
    emu_inf_free(f);
    cr_assert_eq(emu_inf_parse_mem(NULL, 0, NULL, NULL, &f), 0, "no data is an empty file");
    emu_inf_free(f);
}

Test(inf_malformed, bad_arguments)
{
    inf_file *f = (inf_file *)0xdeadbeef;
    cr_assert_eq(emu_inf_parse_mem(NULL, 5, "x", NULL, &f), INF_E_INVAL);
    cr_assert_null(f);
    cr_assert_eq(emu_inf_parse_mem("x", 1, "x", NULL, NULL), INF_E_INVAL);
    cr_assert_eq(emu_inf_parse_file(NULL, NULL, &f), INF_E_INVAL);
    cr_assert_eq(emu_inf_parse_file("/nonexistent/dir/x.inf", NULL, &f), INF_E_NOTFOUND);
    cr_assert_null(f);
    cr_assert_eq(emu_inf_parse_file("/", NULL, &f), INF_E_IO, "a directory is not readable as an INF");
    emu_inf_free(NULL);
    cr_assert_null(emu_inf_section(NULL, "x"));
    cr_assert_null(emu_inf_section_at(NULL, 0));
    cr_assert_eq(emu_inf_diag_count(NULL), 0);
    inf_lint_result *r = (inf_lint_result *)0xdeadbeef;
    cr_assert_eq(emu_inf_lint(NULL, NULL, &r), INF_E_INVAL);
    cr_assert_null(r);
    inf_plan *p = (inf_plan *)0xdeadbeef;
    cr_assert_eq(emu_inf_plan_package(NULL, NULL, 0, &p), INF_E_INVAL);
    cr_assert_null(p);
    cr_assert_eq(emu_inf_plan_node(NULL, NULL, NULL, NULL), INF_E_INVAL);
    cr_assert_str_eq(emu_inf_strerror(INF_E_TOOBIG), "file too large");
}

Test(inf_malformed, file_too_large)
{
    char *dir = t_mkdtemp("inf");
    cr_assert(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/huge.inf", dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(ftruncate(fd, (off_t)INF_MAX_FILE_BYTES + 1), 0); /* sparse: costs no disk */
    close(fd);
    inf_file *f = (inf_file *)0xdeadbeef;
    cr_assert_eq(emu_inf_parse_file(path, NULL, &f), INF_E_TOOBIG);
    cr_assert_null(f);
    t_rmtree(dir);
    free(dir);
}

/* Large hostile-but-valid INFs stay linear: every lookup the linter and the
 * planner make goes through a hash (the timeout only guards against a hang). */
Test(inf_malformed, large_inf_lints_and_plans, .timeout = 60)
{
    size_t cap = 16u << 20, o = 0;
    char *b = malloc(cap);
    cr_assert(b);
#define OUT(...) (o += (size_t)snprintf(b + o, cap - o, __VA_ARGS__))
    OUT("[Version]\nSignature=\"$Windows NT$\"\nDriverVer=01/01/2024,1.0.0.0\nPnpLockdown=1\n"
        "[Manufacturer]\nM=Mod,NTamd64\n[Mod.NTamd64]\n");
    enum { N = 20000 };
    for (int i = 0; i < N; i++)
        OUT("d%d=I%d,ROOT\\D%d\n", i, i % 2000, i);
    for (int i = 0; i < 2000; i++)
        OUT("[I%d.NT]\nCopyFiles=L\nAddReg=R\n[I%d.NT.Services]\nAddService=s%d,2,S\n", i, i, i);
    OUT("[S]\nServiceType=1\nStartType=3\nErrorControl=1\nServiceBinary=%%13%%\\f0.sys\n[L]\n");
    for (int i = 0; i < N; i++)
        OUT("f%d.sys\n", i);
    OUT("[R]\n");
    for (int i = 0; i < N; i++)
        OUT("HKLM,Software\\C,V%d,,%d\n", i, i);
    OUT("[DestinationDirs]\nDefaultDestDir=13\n[SourceDisksNames]\n1=d\n[SourceDisksFiles]\n");
    for (int i = 0; i < N; i++)
        OUT("f%d.sys=1\n", i);
    for (int i = 0; i < N; i++)
        OUT("[Orphan%d]\n[Orphan%d.x]\n", i, i);
#undef OUT
    inf_file *f = parse_bytes(b, o);
    free(b);
    inf_lint_result *r = NULL;
    cr_assert_eq(emu_inf_lint(f, NULL, &r), 0);
    cr_assert_eq(t_count(r, 1321, 0), N, "each HKLM value once (the AddReg section is shared)");
    cr_assert_eq(t_count(r, 2083, 0), 2 * N);
    cr_assert_eq(t_count(r, 1230, 0), 0);
    cr_assert_eq(t_count(r, 2084, 0), 0);
    emu_inf_lint_free(r);
    inf_plan *p = NULL;
    cr_assert_eq(emu_inf_plan_package(f, NULL, 0, &p), 0);
    cr_assert_eq(p->nfiles, N);
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

Test(inf_malformed, plan_size_is_capped, .timeout = 60)
{
    size_t cap = 4u << 20, o = 0;
    char *b = malloc(cap);
    cr_assert(b);
    o += (size_t)snprintf(b + o, cap - o, "[Manufacturer]\nM=Mod,NTamd64\n[Mod.NTamd64]\nd=I,ROOT\\X\n[I.NT]\n");
    for (int i = 0; i < 250; i++)
        o += (size_t)snprintf(b + o, cap - o, "AddReg=R\n");
    o += (size_t)snprintf(b + o, cap - o, "[R]\n");
    for (int i = 0; i < 1000; i++)
        o += (size_t)snprintf(b + o, cap - o, "HKR,,V%d,0x10001,%d\n", i, i);
    inf_file *f = parse_bytes(b, o);
    free(b);
    static const uint16_t *const hw[] = {WS("ROOT\\X")};
    inf_plan *p = NULL;
    cr_assert_eq(emu_inf_plan_device(f, NULL, hw, 1, NULL, 0, &p), 0);
    cr_assert_eq(p->nops, INF_MAX_PLAN_OPS, "a device install repeats the section each time, up to the cap");
    int capped = 0;
    for (size_t i = 0; i < p->nissues; i++)
        capped |= p->issues[i].severity == INF_SEV_ERROR && strstr(p->issues[i].message, "the rest was not planned") != NULL;
    cr_assert(capped);
    emu_inf_plan_free(p);
    cr_assert_eq(emu_inf_plan_package(f, NULL, 0, &p), 0);
    cr_assert_eq(p->nops, 1000, "a package plan plans the shared section once");
    emu_inf_plan_free(p);
    emu_inf_free(f);
}
