/*
 * test_lex.c: every lexical rule of the INF grammar (reference §2
 * "Lexical/grammar", "%strkey% / [Strings]"), each checked in every
 * encoding the parser reads: ANSI, UTF-16LE and UTF-16BE with BOM, UTF-8
 * with BOM, and UTF-16LE without BOM.
 */
#include "tests/inf/tinf.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FOR_EACH_ENC(e) for (enum t_enc e = 0; e < T_NENC; e++)

static void assert_field(const inf_line *l, uint32_t i, const char *want, enum t_enc e)
{
    cr_assert_lt(i, l->nfields, "[%s] line %u has %u fields", t_enc_name[e], l->lineno, l->nfields);
    cr_assert_str_eq(t_s(l->fields[i].val), want, "[%s] line %u field %u", t_enc_name[e], l->lineno, i);
}

Test(inf_lex, encodings_are_detected)
{
    static const inf_encoding want[T_NENC] = {INF_ENC_ANSI, INF_ENC_UTF16LE, INF_ENC_UTF16BE, INF_ENC_UTF8,
                                              INF_ENC_UTF16LE_NOBOM};
    FOR_EACH_ENC(e)
    {
        inf_file *f = t_parse_enc("[Version]\r\nSignature=\"$Windows NT$\"\r\n", e, NULL);
        cr_assert_eq(emu_inf_encoding(f), want[e], "%s", t_enc_name[e]);
        cr_assert_str_eq(t_s(t_line(f, "Version", 0)->fields[0].val), "$Windows NT$", "%s", t_enc_name[e]);
        /* InfVerif 1003 ("must be ANSI or UTF-16 LE") for UTF-8 and big-endian text. */
        int enc_diag = t_has_diag(f, 1003, 0);
        cr_assert_eq(enc_diag, e == T_U8BOM || e == T_U16BE, "%s: 1003 %d", t_enc_name[e], enc_diag);
        emu_inf_free(f);
    }
}

Test(inf_lex, sections_are_case_insensitive_and_merge)
{
    FOR_EACH_ENC(e)
    {
        inf_file *f = t_parse_enc("[Foo]\na=1\n[Bar]\nx=9\n[FOO]\nb=2\n[fOo]\nc=3\n", e, NULL);
        const inf_section *s = emu_inf_section(f, "foo");
        cr_assert(s, "%s", t_enc_name[e]);
        cr_assert_eq(emu_inf_section(f, "FOO"), s);
        cr_assert_str_eq(t_s(s->name), "Foo", "the first spelling is kept");
        cr_assert_eq(s->nlines, 3, "%s: merged lines", t_enc_name[e]);
        cr_assert_str_eq(t_s(s->lines[0].key->val), "a");
        cr_assert_str_eq(t_s(s->lines[1].key->val), "b");
        cr_assert_str_eq(t_s(s->lines[2].key->val), "c");
        cr_assert_eq(s->nheaders, 3, "duplicates are remembered (1209)");
        cr_assert_eq(s->header_lines[0], 1);
        cr_assert_eq(s->header_lines[1], 5);
        cr_assert_eq(s->header_lines[2], 7);
        cr_assert_eq(emu_inf_section_count(f), 2);
        emu_inf_free(f);
    }
}

Test(inf_lex, key_value_and_positional_lines)
{
    FOR_EACH_ENC(e)
    {
        inf_file *f = t_parse_enc("[S]\nKey = Value , second\nHKR,,Name,,a=b\n  lone  \n\"q=x\",y\nk2=\n", e, NULL);
        const inf_line *l = t_line(f, "S", 0);
        cr_assert(l->key);
        cr_assert_str_eq(t_s(l->key->val), "Key");
        cr_assert_eq(l->nfields, 2);
        assert_field(l, 0, "Value", e);
        assert_field(l, 1, "second", e);
        l = t_line(f, "S", 1);
        cr_assert_null(l->key, "%s: '=' after a comma is data", t_enc_name[e]);
        cr_assert_eq(l->nfields, 5);
        assert_field(l, 4, "a=b", e);
        l = t_line(f, "S", 2);
        cr_assert_null(l->key);
        cr_assert_eq(l->nfields, 1);
        assert_field(l, 0, "lone", e);
        l = t_line(f, "S", 3);
        cr_assert_null(l->key, "a quoted '=' is data");
        assert_field(l, 0, "q=x", e);
        l = t_line(f, "S", 4);
        cr_assert_str_eq(t_s(l->key->val), "k2");
        cr_assert_eq(l->nfields, 1);
        assert_field(l, 0, "", e);
        emu_inf_free(f);
    }
}

Test(inf_lex, commas_keep_empty_fields)
{
    FOR_EACH_ENC(e)
    {
        inf_file *f = t_parse_enc("[S]\na=1,,3\nb=,\nc=x,\n,\n", e, NULL);
        const inf_line *l = t_line(f, "S", 0);
        cr_assert_eq(l->nfields, 3, "%s", t_enc_name[e]);
        assert_field(l, 0, "1", e);
        assert_field(l, 1, "", e);
        assert_field(l, 2, "3", e);
        cr_assert_eq(t_line(f, "S", 1)->nfields, 2);
        cr_assert_eq(t_line(f, "S", 2)->nfields, 2, "a trailing comma is an empty field");
        l = t_line(f, "S", 3);
        cr_assert_null(l->key);
        cr_assert_eq(l->nfields, 2, "a line of one comma has two empty fields");
        emu_inf_free(f);
    }
}

Test(inf_lex, semicolon_comments_only_outside_quotes)
{
    FOR_EACH_ENC(e)
    {
        inf_file *f = t_parse_enc("; whole line\n[S] ; after header\n"
                                  "a = x ; trailing comment\n"
                                  "b = \"x ; not a comment\", y ; c\n"
                                  "c = %tok;en% ; a ';' inside a %strkey% token is not a comment\n"
                                  "   ; indented comment\n",
                                  e, NULL);
        const inf_section *s = emu_inf_section(f, "S");
        cr_assert_eq(s->nlines, 3, "%s", t_enc_name[e]);
        assert_field(&s->lines[0], 0, "x", e);
        cr_assert_eq(s->lines[0].nfields, 1);
        assert_field(&s->lines[1], 0, "x ; not a comment", e);
        assert_field(&s->lines[1], 1, "y", e);
        cr_assert_str_eq(t_s(s->lines[2].fields[0].raw), "%tok;en%");
        cr_assert(t_has_diag(f, 1235, 5), "the token is looked up (and is undefined)");
        emu_inf_free(f);
    }
}

Test(inf_lex, doubled_quotes_inside_quotes)
{
    FOR_EACH_ENC(e)
    {
        inf_file *f = t_parse_enc("[S]\na = \"say \"\"hi\"\"\"\nb = \"\"\nc = \"  padded  \"\nd = pre\"mid\"post\n", e, NULL);
        assert_field(t_line(f, "S", 0), 0, "say \"hi\"", e);
        const inf_line *l = t_line(f, "S", 1);
        assert_field(l, 0, "", e);
        cr_assert(l->fields[0].flags & INF_FIELD_QUOTED);
        assert_field(t_line(f, "S", 2), 0, "  padded  ", e);
        assert_field(t_line(f, "S", 3), 0, "premidpost", e);
        emu_inf_free(f);
    }
}

Test(inf_lex, percent_escapes)
{
    FOR_EACH_ENC(e)
    {
        inf_file *f = t_parse_enc("[S]\n"
                                  "a = \"%%SystemRoot%%\\System32\\IoLogMsg.dll\"\n"
                                  "b = 100%%\n"
                                  "c = 50%\n"
                                  "[Strings]\nSystemRoot = \"wrong\"\n",
                                  e, NULL);
        assert_field(t_line(f, "S", 0), 0, "%SystemRoot%\\System32\\IoLogMsg.dll", e);
        assert_field(t_line(f, "S", 1), 0, "100%", e);
        assert_field(t_line(f, "S", 2), 0, "50%", e);
        cr_assert_str_eq(t_s(t_line(f, "S", 0)->fields[0].raw), "%%SystemRoot%%\\System32\\IoLogMsg.dll");
        cr_assert(!t_has_diag(f, 1235, 0), "%s", t_enc_name[e]);
        emu_inf_free(f);
    }
}

Test(inf_lex, backslash_continues_the_line)
{
    FOR_EACH_ENC(e)
    {
        inf_file *f = t_parse_enc("[S]\r\n"
                                  "a = 1, \\\r\n"
                                  "    2, \\ ; a comment after the continuator\r\n"
                                  "    3\r\n"
                                  "CopyFiles = \"SomeDirectory\\\"\\\r\n"
                                  ",SomeFile\r\n"
                                  "d = SomeDirectory\\\\\r\n"
                                  "  ,next\r\n"
                                  "e = ab\\\r\n"
                                  "cd\r\n"
                                  "f = not\\continued\r\n"
                                  "g = last\r\n",
                                  e, NULL);
        const inf_line *l = t_line(f, "S", 0);
        cr_assert_eq(l->nfields, 3, "%s", t_enc_name[e]);
        assert_field(l, 0, "1", e);
        assert_field(l, 1, "2", e);
        assert_field(l, 2, "3", e);
        cr_assert_eq(l->lineno, 2);
        cr_assert_eq(l->fields[2].lineno, 4, "fields keep their physical line");
        l = t_line(f, "S", 1);
        cr_assert_str_eq(t_s(l->key->val), "CopyFiles");
        assert_field(l, 0, "SomeDirectory\\", e);
        assert_field(l, 1, "SomeFile", e);
        l = t_line(f, "S", 2);
        assert_field(l, 0, "SomeDirectory", e);
        assert_field(l, 1, "next", e);
        assert_field(t_line(f, "S", 3), 0, "abcd", e);
        assert_field(t_line(f, "S", 4), 0, "not\\continued", e);
        l = t_line(f, "S", 5);
        assert_field(l, 0, "last", e);
        cr_assert_eq(l->lineno, 12);
        emu_inf_free(f);
    }
}

static const char strings_inf[] = "[S]\n"
                                  "a = %Greet%, %greet%\n"
                                  "[Strings]\nGreet = \"plain\"\n"
                                  "[Strings.0407]\nGreet = \"de-DE\"\n"
                                  "[Strings.0007]\nGreet = \"de neutral\"\n"
                                  "[Strings.0C07]\nGreet = \"de-AT\"\n"
                                  "[Strings.0807]\nGreet = \"de-CH\"\n"
                                  "[Strings.040C]\nGreet = \"fr-FR\"\n";

Test(inf_lex, strings_selection_order)
{
    static const struct {
        uint16_t langid;
        const char *want;
        uint16_t section_id;
    } cases[] = {
        {0x0407, "de-DE", 0x0407},      /* exact LANGID */
        {0x1007, "de neutral", 0x0007}, /* same primary language, SUBLANG_NEUTRAL */
        {0x040C, "fr-FR", 0x040C},
        {0x0409, "plain", 0},           /* no English section: undecorated [Strings] */
        {0x0000, "plain", 0},           /* 0 means the default 0x0409 */
    };
    FOR_EACH_ENC(e)
    {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            inf_parse_opts o = {.langid = cases[i].langid};
            inf_file *f = t_parse_enc(strings_inf, e, &o);
            const inf_line *l = t_line(f, "S", 0);
            assert_field(l, 0, cases[i].want, e);
            assert_field(l, 1, cases[i].want, e); /* keys are case-insensitive */
            uint16_t id = 0xdead;
            cr_assert(emu_inf_strings_section(f, &id));
            cr_assert_eq(id, cases[i].section_id, "langid %04x", cases[i].langid);
            emu_inf_free(f);
        }
    }
}

Test(inf_lex, strings_any_sublanguage_then_lowest)
{
    inf_parse_opts o = {.langid = 0x1407}; /* de-LI: no exact, no neutral section */
    inf_file *f = t_parse_enc("[S]\na=%G%\n[Strings]\nG=plain\n[Strings.0C07]\nG=at\n[Strings.0807]\nG=ch\n",
                              T_U16LE, &o);
    assert_field(t_line(f, "S", 0), 0, "ch", T_U16LE); /* 0x0807 < 0x0C07 */
    emu_inf_free(f);
}

Test(inf_lex, strings_values_and_undefined_tokens)
{
    FOR_EACH_ENC(e)
    {
        inf_file *f = t_parse_enc("[S]\n"
                                  "a = %Quoted%|%Spaced%|%Unquoted%|%Comma%\n"
                                  "b = %Missing%\n"
                                  "c = pre%Unquoted%post\n"
                                  "[Strings]\n"
                                  "Quoted = \"say \"\"x\"\"\"\n"
                                  "Spaced = \"  keep  \"\n"
                                  "Unquoted =   trimmed value   ; comment\n"
                                  "Comma = \"a, b\"\n"
                                  "Quoted = \"second definition loses\"\n",
                                  e, NULL);
        assert_field(t_line(f, "S", 0), 0, "say \"x\"|  keep  |trimmed value|a, b", e);
        const inf_line *l = t_line(f, "S", 1);
        assert_field(l, 0, "%Missing%", e); /* kept as written */
        cr_assert(l->fields[0].flags & INF_FIELD_UNDEFINED);
        cr_assert(t_has_diag(f, 1235, 3), "%s", t_enc_name[e]);
        cr_assert(!t_has_diag(f, 1235, 2));
        assert_field(t_line(f, "S", 2), 0, "pretrimmed valuepost", e);
        inf_str v;
        cr_assert_eq(emu_inf_string(f, W("quoted"), &v), 0);
        cr_assert_str_eq(t_s(v), "say \"x\"");
        cr_assert_eq(emu_inf_string(f, W("nope"), &v), INF_E_NOTFOUND);
        emu_inf_free(f);
    }
}

Test(inf_lex, dirid_tokens_stay_recognisable)
{
    FOR_EACH_ENC(e)
    {
        inf_file *f = t_parse_enc("[S]\nServiceBinary = %13%\\%Drv%.sys\nx = %12%\n[Strings]\nDrv = fx2\n13 = \"not a strkey\"\n",
                                  e, NULL);
        const inf_line *l = t_line(f, "S", 0);
        assert_field(l, 0, "%13%\\fx2.sys", e);
        cr_assert(l->fields[0].flags & INF_FIELD_HAS_DIRID);
        cr_assert(l->fields[0].flags & INF_FIELD_HAS_STRKEY);
        /* Expanding with a DIRID resolver gives the path. */
        pb_buf b = PB_BUF_INIT;
        emu_inf_field_expand(f, &l->fields[0], NULL, NULL, &b);
        cr_assert_str_eq(t_u8((const uint16_t *)b.data, b.len / 2), "%13%\\fx2.sys", "no resolver keeps the token");
        pb_buf_free(&b);
        cr_assert(!t_has_diag(f, 1235, 0));
        emu_inf_free(f);
    }
}

static int test_dirid(void *ctx, int32_t dirid, pb_buf *out)
{
    (void)ctx;
    if (dirid != 12)
        return -1;
    pb_buf_add_wcs(out, WS("C:\\Windows\\System32\\drivers"), 27);
    return 0;
}

Test(inf_lex, field_expand_resolves_dirids_from_raw_text)
{
    inf_file *f = t_parse("[S]\nv = \"%12%\\x.sys;%%12%%\\lit\", %99%\\y\n");
    const inf_line *l = t_line(f, "S", 0);
    pb_buf b = PB_BUF_INIT;
    emu_inf_field_expand(f, &l->fields[0], test_dirid, NULL, &b);
    cr_assert_str_eq(t_u8((const uint16_t *)b.data, b.len / 2), "C:\\Windows\\System32\\drivers\\x.sys;%12%\\lit");
    pb_buf_free(&b);
    emu_inf_field_expand(f, &l->fields[1], test_dirid, NULL, &b);
    cr_assert_str_eq(t_u8((const uint16_t *)b.data, b.len / 2), "%99%\\y", "unknown DIRIDs stay as written");
    pb_buf_free(&b);
    emu_inf_free(f);
}

Test(inf_lex, field_limit_is_4096_with_the_nul)
{
    FOR_EACH_ENC(e)
    {
        char *text = malloc(16 + 4095 + 8 + 4096 + 8);
        cr_assert(text);
        strcpy(text, "[S]\nok=");
        size_t o = strlen(text);
        memset(text + o, 'a', 4095);
        o += 4095;
        strcpy(text + o, "\nbad=");
        o += 5;
        memset(text + o, 'b', 4096);
        o += 4096;
        strcpy(text + o, "\n");
        inf_file *f = t_parse_enc(text, e, NULL);
        free(text);
        cr_assert_eq(t_line(f, "S", 0)->fields[0].val.n, 4095);
        cr_assert(!(t_line(f, "S", 0)->fields[0].flags & INF_FIELD_TOO_LONG));
        cr_assert(t_line(f, "S", 1)->fields[0].flags & INF_FIELD_TOO_LONG);
        cr_assert(t_has_diag(f, 1002, 3), "%s", t_enc_name[e]);
        cr_assert(!t_has_diag(f, 1002, 2));
        emu_inf_free(f);
    }
}

Test(inf_lex, field_limit_after_substitution)
{
    char *big = malloc(3000);
    memset(big, 'x', 2999);
    big[2999] = 0;
    char *text = malloc(7000);
    snprintf(text, 7000, "[S]\na=%%Big%%%%Big%%\n[Strings]\nBig=\"%s\"\n", big);
    inf_file *f = t_parse(text);
    cr_assert_eq(t_line(f, "S", 0)->fields[0].val.n, 5998);
    cr_assert(t_has_diag(f, 1002, 2));
    emu_inf_free(f);
    free(big);
    free(text);
}

Test(inf_lex, line_numbers_with_every_line_end)
{
    static const char *const ends[] = {"\r\n", "\n", "\r"};
    FOR_EACH_ENC(e)
    {
        for (size_t k = 0; k < 3; k++) {
            char text[256];
            snprintf(text, sizeof text, "; c%s%s[A]%sx=1%s%sy=2,\\%s3%s[B]%sz=4%s", ends[k], ends[k], ends[k], ends[k],
                     ends[k], ends[k], ends[k], ends[k], ends[k]);
            inf_file *f = t_parse_enc(text, e, NULL);
            cr_assert_eq(emu_inf_section(f, "A")->header_lines[0], 3, "%s end %zu", t_enc_name[e], k);
            cr_assert_eq(t_line(f, "A", 0)->lineno, 4);
            cr_assert_eq(t_line(f, "A", 1)->lineno, 6);
            cr_assert_eq(t_line(f, "A", 1)->fields[1].lineno, 7);
            cr_assert_eq(t_line(f, "B", 0)->lineno, 9);
            emu_inf_free(f);
        }
    }
}

Test(inf_lex, non_ascii_text)
{
    /* ANSI can carry Windows-1252 only; the Unicode encodings carry anything. */
    FOR_EACH_ENC(e)
    {
        const char *text = e == T_ANSI ? "[S]\nName = \"Gerät €\"\n" : "[S]\nName = \"Gerät € 😀 Ω\"\n";
        inf_file *f = t_parse_enc(text, e, NULL);
        assert_field(t_line(f, "S", 0), 0, e == T_ANSI ? "Gerät €" : "Gerät € 😀 Ω", e);
        emu_inf_free(f);
    }
    /* Section names compare under Windows' upcase, beyond ASCII. */
    inf_file *f = t_parse("[Gerät]\na=1\n");
    cr_assert(emu_inf_section_w(f, W("GERÄT")));
    emu_inf_free(f);
}

Test(inf_lex, quoted_section_names_and_blanks)
{
    FOR_EACH_ENC(e)
    {
        inf_file *f = t_parse_enc("[\"odd; name\"]\na=1\n  [ Spaced ]  \nb=2\n", e, NULL);
        cr_assert(emu_inf_section(f, "odd; name"), "%s", t_enc_name[e]);
        cr_assert(emu_inf_section(f, "Spaced"));
        cr_assert_eq(emu_inf_diag_count(f), e == T_U8BOM || e == T_U16BE ? 1 : 0);
        emu_inf_free(f);
    }
}

Test(inf_lex, text_before_the_first_section_is_ignored)
{
    inf_file *f = t_parse("/*++\nnot = in a section\n[Version]\nSignature=\"$Windows NT$\"\n");
    cr_assert_eq(emu_inf_section_count(f), 1);
    cr_assert_eq(emu_inf_diag_count(f), 0);
    emu_inf_free(f);
}

Test(inf_lex, ctrl_z_ends_the_file)
{
    FOR_EACH_ENC(e)
    {
        inf_file *f = t_parse_enc("[S]\na=1\n\x1a[T]\nb=2\n", e, NULL);
        cr_assert(emu_inf_section(f, "S"));
        cr_assert_null(emu_inf_section(f, "T"), "%s", t_enc_name[e]);
        emu_inf_free(f);
    }
}

Test(inf_lex, unicode_blanks)
{
    inf_file *f = t_parse("[S]\n\u00a0 \n\u3000a\u00a0=\u00a0b\u2003\n");
    const inf_section *s = emu_inf_section(f, "S");
    cr_assert_eq(s->nlines, 1, "a line of no-break spaces is empty");
    cr_assert_str_eq(t_s(s->lines[0].key->val), "a");
    cr_assert_str_eq(t_s(s->lines[0].fields[0].val), "b");
    emu_inf_free(f);
}

Test(inf_lex, inx_template_arch)
{
    inf_parse_opts o = {.arch = INF_ARCH_ARM64};
    size_t n;
    unsigned char *b = t_encode("[Manufacturer]\n%M%=Std,NT$ARCH$\n[Std.NT$ARCH$]\n[Strings]\nM=m\n", T_U16LE, &n);
    inf_file *f = NULL;
    cr_assert_eq(emu_inf_parse_mem(b, n, "dir/driver.inx", &o, &f), 0);
    cr_assert(emu_inf_is_template(f));
    cr_assert(emu_inf_section(f, "Std.NTarm64"));
    cr_assert_str_eq(t_s(t_line(f, "Manufacturer", 0)->fields[1].val), "NTarm64");
    cr_assert_str_eq(emu_inf_basename(f), "driver.inx");
    emu_inf_free(f);
    /* A plain .inf keeps $ARCH$ (stampinf has not run on it). */
    cr_assert_eq(emu_inf_parse_mem(b, n, "driver.inf", &o, &f), 0);
    cr_assert(emu_inf_section(f, "Std.NT$ARCH$"));
    emu_inf_free(f);
    free(b);
}

Test(inf_lex, parse_int_like_setupgetintfield)
{
    int64_t v;
    cr_assert_eq(emu_inf_parse_int((inf_str){WS("0x10001"), 7}, &v), 0);
    cr_assert_eq(v, 0x10001);
    cr_assert_eq(emu_inf_parse_int((inf_str){WS(" 42 "), 4}, &v), 0);
    cr_assert_eq(v, 42);
    cr_assert_eq(emu_inf_parse_int((inf_str){WS("-5"), 2}, &v), 0);
    cr_assert_eq(v, -5);
    cr_assert_eq(emu_inf_parse_int((inf_str){WS("0x"), 2}, &v), INF_E_INVAL);
    cr_assert_eq(emu_inf_parse_int((inf_str){WS("12a"), 3}, &v), INF_E_INVAL);
    cr_assert_eq(emu_inf_parse_int((inf_str){WS(""), 0}, &v), INF_E_INVAL);
}
