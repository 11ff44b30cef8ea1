/*
 * test_model.c: [Version], TargetOSVersion decorations and closest-match
 * models selection, DDInstall resolution, hardware/compatible ID ranking
 * (reference §2 "[Version]", "[Manufacturer] / Models", "DDInstall").
 */
#include "tests/inf/tinf.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

Test(inf_model, version_section)
{
    inf_file *f = t_parse("[Version]\n"
                          "Signature = \"$WINDOWS NT$\"\n"
                          "Class = Sample\n"
                          "ClassGuid = {78A1C341-4539-11d3-B88D-00C04FAD5171}\n"
                          "Provider = %Prov%\n"
                          "DriverVer = 03/20/2003,5.0.3788.0\n"
                          "CatalogFile = generic.cat\n"
                          "CatalogFile.NT = nt.cat\n"
                          "CatalogFile.NTamd64 = amd64.cat\n"
                          "PnpLockdown = 1\n"
                          "[Strings]\nProv = \"Contoso\"\n");
    inf_version v;
    memset(&v, 0xde, sizeof v);
    emu_inf_version(f, NULL, &v);
    cr_assert(v.signature_ok);
    cr_assert_str_eq(t_s(v.class_name), "Sample");
    cr_assert_str_eq(t_s(v.class_guid), "{78A1C341-4539-11d3-B88D-00C04FAD5171}");
    cr_assert_str_eq(t_s(v.provider), "Contoso");
    cr_assert(v.has_driver_ver && v.driver_ver_ok);
    cr_assert_eq(v.month, 3);
    cr_assert_eq(v.day, 20);
    cr_assert_eq(v.year, 2003);
    cr_assert_eq(v.ver[0], 5);
    cr_assert_eq(v.ver[1], 0);
    cr_assert_eq(v.ver[2], 3788);
    cr_assert_eq(v.ver[3], 0);
    cr_assert_eq(v.version, 0x000500000ECC0000ull);
    cr_assert_str_eq(t_s(v.catalog_file), "amd64.cat");
    cr_assert_eq(v.pnp_lockdown, 1);
    cr_assert_eq(v.lineno, 1);
    cr_assert_eq(v.driver_ver_line, 6);
    inf_target x86;
    emu_inf_target_default(&x86);
    x86.arch = INF_ARCH_X86;
    emu_inf_version(f, &x86, &v);
    cr_assert_str_eq(t_s(v.catalog_file), "nt.cat");
    emu_inf_free(f);

    f = t_parse("[Version]\nSignature=\"$Chicago$\"\nDriverVer=1/2/2020,1.00.0000\n");
    emu_inf_version(f, NULL, &v);
    cr_assert(v.signature_ok);
    cr_assert(v.driver_ver_ok);
    cr_assert_eq(v.version, 0x0001000000000000ull, "1.00.0000 is 1.0.0.0");
    cr_assert_eq(v.pnp_lockdown, -1);
    emu_inf_free(f);

    f = t_parse("[Version]\nSignature=\"Windows NT\"\nDriverVer=2020-01-01,1.2.3.70000\n");
    emu_inf_version(f, NULL, &v);
    cr_assert(!v.signature_ok, "dollar signs are required");
    cr_assert(v.has_driver_ver && !v.driver_ver_ok);
    emu_inf_free(f);

    f = t_parse("[NotVersion]\n");
    emu_inf_version(f, NULL, &v);
    cr_assert_eq(v.lineno, 0);
    cr_assert_eq(v.signature.n, 0);
    emu_inf_free(f);
}

static inf_decoration dec(const char *s)
{
    size_t n = strlen(s);
    uint16_t *w = malloc((n + 1) * 2);
    for (size_t i = 0; i <= n; i++)
        w[i] = (unsigned char)s[i];
    inf_decoration d;
    emu_inf_decoration_parse((inf_str){w, n}, &d);
    free(w);
    return d;
}

Test(inf_model, decoration_parse)
{
    inf_decoration d = dec("NTamd64.10.0...22000");
    cr_assert(d.valid && d.has_arch && d.arch == INF_ARCH_AMD64);
    cr_assert(d.has_major && d.major == 10 && d.has_minor && d.minor == 0);
    cr_assert(!d.has_product && !d.has_suite);
    cr_assert(d.has_build && d.build == 22000);
    d = dec("ntx86....0x80");
    cr_assert(d.valid && d.arch == INF_ARCH_X86 && d.has_suite && d.suite_mask == 0x80 && !d.has_major);
    d = dec("NT");
    cr_assert(d.valid && !d.has_arch && !d.has_major);
    d = dec("NTarm64.6.3.1");
    cr_assert(d.valid && d.arch == INF_ARCH_ARM64 && d.product_type == 1);
    cr_assert(!dec("NTmips").valid);
    cr_assert(!dec("Win2k").valid);
    cr_assert(!dec("NTamd64.x").valid);
}

Test(inf_model, decoration_applies)
{
    inf_target t;
    emu_inf_target_default(&t); /* NTamd64 10.0.26100, workstation, suite 0x100 */
    cr_assert(emu_inf_decoration_applies(&(inf_decoration){0}, &t) == 0);
    inf_decoration d = dec("NTamd64");
    cr_assert(emu_inf_decoration_applies(&d, &t));
    d = dec("NTamd64.10.0...26100");
    cr_assert(emu_inf_decoration_applies(&d, &t));
    d = dec("NTamd64.10.0...26101");
    cr_assert(!emu_inf_decoration_applies(&d, &t), "a higher build of the same version");
    d = dec("NTamd64.6.3...99999");
    cr_assert(emu_inf_decoration_applies(&d, &t), "the build counts only when major.minor match");
    d = dec("NTamd64.11.0");
    cr_assert(!emu_inf_decoration_applies(&d, &t));
    d = dec("NTamd64.10.0.3");
    cr_assert(!emu_inf_decoration_applies(&d, &t), "server product type");
    d = dec("NTamd64.10.0.1.0x100");
    cr_assert(emu_inf_decoration_applies(&d, &t));
    d = dec("NTamd64.10.0.1.0x80");
    cr_assert(!emu_inf_decoration_applies(&d, &t), "suite mask not present");
    d = dec("NTx86");
    cr_assert(!emu_inf_decoration_applies(&d, &t));
    d = dec("NT.6.0");
    cr_assert(!emu_inf_decoration_applies(&d, &t), "no architecture: x86 only");
    t.arch = INF_ARCH_X86;
    cr_assert(emu_inf_decoration_applies(&d, &t));
}

static const char models_inf[] = "[Manufacturer]\n"
                                 "%Mfg% = Models, NTamd64, NTamd64.10.0...16299, NTamd64.10.0...22000, "
                                 "NTamd64.10.0...30000, NTamd64.6.3, NTx86, NTamd64.10.0.3\n"
                                 "Plain\n"
                                 "[Models.NTamd64]\nd = a\n"
                                 "[Models.NTamd64.10.0...16299]\nd = b\n"
                                 "[Models.NTamd64.10.0...22000]\nd = c\n"
                                 "[Models.NTamd64.10.0...30000]\nd = d\n"
                                 "[Models.NTamd64.6.3]\nd = e\n"
                                 "[Models.NTx86]\nd = f\n"
                                 "[Models.NTamd64.10.0.3]\nd = g\n"
                                 "[Plain]\nd = p\n"
                                 "[Strings]\nMfg = \"Contoso\"\n";

static const char *chosen(inf_file *f, size_t i, const inf_target *t)
{
    inf_models m;
    cr_assert_eq(emu_inf_models_select(f, i, t, &m), 0);
    if (!m.applicable)
        return "(none)";
    cr_assert(m.section);
    return t_s(m.section->lines[0].fields[0].val);
}

Test(inf_model, closest_models_section)
{
    inf_file *f = t_parse(models_inf);
    inf_target t;
    emu_inf_target_default(&t);
    cr_assert_eq(emu_inf_manufacturer_count(f), 2);
    cr_assert_str_eq(chosen(f, 0, &t), "c", "the highest build not above 26100");
    inf_models m;
    emu_inf_models_select(f, 0, &t, &m);
    cr_assert_str_eq(t_s(m.manufacturer), "Contoso");
    cr_assert_str_eq(t_s(m.decoration), "NTamd64.10.0...22000");
    t.build = 19041;
    cr_assert_str_eq(chosen(f, 0, &t), "b");
    t.build = 10240;
    cr_assert_str_eq(chosen(f, 0, &t), "e", "no build applies: 6.3 beats the bare NTamd64");
    t.major = 6;
    t.minor = 1;
    cr_assert_str_eq(chosen(f, 0, &t), "a");
    emu_inf_target_default(&t);
    t.product_type = 3;
    cr_assert_str_eq(chosen(f, 0, &t), "c", "the version is more specific than a product type");
    t.build = 16000;
    cr_assert_str_eq(chosen(f, 0, &t), "g", "10.0 server beats 6.3 when no build applies");
    emu_inf_target_default(&t);
    t.arch = INF_ARCH_X86;
    cr_assert_str_eq(chosen(f, 0, &t), "f");
    t.arch = INF_ARCH_ARM64;
    cr_assert_str_eq(chosen(f, 0, &t), "(none)");
    /* An undecorated entry is for x86 only. */
    emu_inf_target_default(&t);
    cr_assert_str_eq(chosen(f, 1, &t), "(none)");
    t.arch = INF_ARCH_X86;
    cr_assert_str_eq(chosen(f, 1, &t), "p");
    cr_assert_eq(emu_inf_models_select(f, 2, &t, &m), INF_E_NOTFOUND);
    emu_inf_free(f);
}

Test(inf_model, empty_models_section_excludes)
{
    inf_file *f = t_parse("[Manufacturer]\nM = Mod, NTamd64, NTamd64.10.0\n[Mod.NTamd64]\nd = i, ID\n[Mod.NTamd64.10.0]\n");
    inf_models m;
    cr_assert_eq(emu_inf_models_select(f, 0, NULL, &m), 0);
    cr_assert(m.applicable && m.section);
    cr_assert_eq(m.section->nlines, 0, "an empty closest section excludes the OS");
    emu_inf_free(f);
}

Test(inf_model, ddinstall_platform_suffix)
{
    inf_file *f = t_parse("[A]\n[A.NT]\n[A.NTamd64]\n[B]\n[B.NT]\n[C]\n[D.ntx86]\n");
    inf_str d;
    const inf_section *s = emu_inf_ddinstall(f, (inf_str){WS("a"), 1}, INF_ARCH_AMD64, &d);
    cr_assert_str_eq(t_s(d), "A.NTamd64");
    cr_assert_str_eq(t_s(s->name), "A.NTamd64");
    emu_inf_ddinstall(f, (inf_str){WS("A"), 1}, INF_ARCH_ARM64, &d);
    cr_assert_str_eq(t_s(d), "A.NT");
    emu_inf_ddinstall(f, (inf_str){WS("B"), 1}, INF_ARCH_AMD64, &d);
    cr_assert_str_eq(t_s(d), "B.NT");
    emu_inf_ddinstall(f, (inf_str){WS("C"), 1}, INF_ARCH_AMD64, &d);
    cr_assert_str_eq(t_s(d), "C");
    cr_assert_null(emu_inf_ddinstall(f, (inf_str){WS("D"), 1}, INF_ARCH_AMD64, &d));
    cr_assert_eq(d.n, 0);
    cr_assert(emu_inf_ddinstall(f, (inf_str){WS("D"), 1}, INF_ARCH_X86, &d));
    emu_inf_free(f);
}

static const char rank_inf[] = "[Version]\nSignature=\"$Windows NT$\"\nDriverVer=01/01/2020,1.0.0.0\n"
                               "[Manufacturer]\nM = Mod, NTamd64\n"
                               "[Mod.NTamd64]\n"
                               "%D1% = Inst1, PCI\\VEN_1&DEV_2, PCI\\CC_0C03, PCI\\CC_0C\n"
                               "%D2% = Inst2, PCI\\VEN_1&DEV_2&SUBSYS_3\n"
                               "%D3% = Inst3, , PCI\\CC_0C03\n"
                               "%D4% = Inst4, USB\\OTHER\n"
                               "[Inst1.NT]\n[Inst2]\nFeatureScore = 0x80\n[Inst3.NTamd64]\nDriverVer = 02/02/2022,2.0.0.0\n"
                               "[Inst4]\n"
                               "[Strings]\nD1=one\nD2=two\nD3=three\nD4=four\n";

static const uint16_t *const hw[] = {WS("PCI\\VEN_1&DEV_2&SUBSYS_3"), WS("pci\\ven_1&dev_2")};
static const uint16_t *const cid[] = {WS("PCI\\CC_0C03"), WS("PCI\\CC_0C")};

Test(inf_model, ranking_formula)
{
    inf_file *f = t_parse(rank_inf);
    inf_driver_node *nodes = NULL;
    size_t n = 99;
    cr_assert_eq(emu_inf_match(f, NULL, hw, 2, cid, 2, &nodes, &n), 0);
    cr_assert_eq(n, 3, "USB\\OTHER does not match");
    /* Inst2: device HW[0] = INF HW, FeatureScore 0x80: 0x00800000. */
    cr_assert_str_eq(t_s(nodes[0].description), "two");
    cr_assert_eq(nodes[0].rank, 0x00800000);
    cr_assert(nodes[0].hardware_match);
    cr_assert_str_eq(t_s(nodes[0].ddinstall), "Inst2");
    /* Inst1: device HW[1] = INF HW (case-insensitive): 0x00FF0001. */
    cr_assert_str_eq(t_s(nodes[1].description), "one");
    cr_assert_eq(nodes[1].rank, 0x00FF0001);
    cr_assert_eq(nodes[1].device_index, 1);
    cr_assert_eq(nodes[1].inf_index, 0);
    cr_assert_str_eq(t_s(nodes[1].matched_id), "PCI\\VEN_1&DEV_2");
    cr_assert_str_eq(t_s(nodes[1].ddinstall), "Inst1.NT");
    /* Inst3: device CID[0] = INF CID[0]: 0x3000 + 0x100*0 + 0. */
    cr_assert_str_eq(t_s(nodes[2].description), "three");
    cr_assert_eq(nodes[2].rank, 0x00FF3000);
    cr_assert(!nodes[2].hardware_match);
    cr_assert_eq(nodes[2].year, 2022, "DDInstall DriverVer overrides [Version]");
    cr_assert_eq(nodes[2].version, 0x0002000000000000ull);
    free(nodes);

    /* Only compatible IDs on the device. */
    cr_assert_eq(emu_inf_match(f, NULL, NULL, 0, cid + 1, 1, &nodes, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(t_s(nodes[0].description), "one");
    cr_assert_eq(nodes[0].rank, 0x00FF3100, "INF CID[1] matched device CID[0]: 0x3100");
    free(nodes);

    /* Device HW matches an INF compatible ID: 0x1000 + device position. */
    const uint16_t *const h2[] = {WS("X"), WS("PCI\\CC_0C")};
    inf_match_opts mo = {NULL, 0x0D};
    cr_assert_eq(emu_inf_match(f, &mo, h2, 2, NULL, 0, &nodes, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(nodes[0].rank, 0x0DFF1001, "signature score in the top byte");
    free(nodes);

    /* Device CID matches an INF hardware ID: 0x2000 + position. */
    const uint16_t *const c2[] = {WS("A"), WS("B"), WS("USB\\OTHER")};
    cr_assert_eq(emu_inf_match(f, NULL, NULL, 0, c2, 3, &nodes, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(nodes[0].rank, 0x00FF2002);
    free(nodes);
    emu_inf_free(f);
}

Test(inf_model, ties_break_on_driver_date_then_version)
{
    inf_driver_node a = {0}, b = {0};
    a.rank = b.rank = 0xFF0000;
    a.year = 2020, a.month = 5, a.day = 1;
    b.year = 2021, b.month = 1, b.day = 1;
    cr_assert_gt(emu_inf_node_cmp(&a, &b), 0, "the newer date wins");
    b = a;
    a.version = 0x0001000000000001ull;
    b.version = 0x0001000000000002ull;
    cr_assert_gt(emu_inf_node_cmp(&a, &b), 0, "the higher version wins");
    b.version = a.version;
    cr_assert_eq(emu_inf_node_cmp(&a, &b), 0);
    b.rank = 0x00FF0001;
    cr_assert_lt(emu_inf_node_cmp(&a, &b), 0, "rank first");
}

Test(inf_model, model_line_decode)
{
    inf_file *f = t_parse("[M]\nDesc = Inst, HW1, CID1 , , CID2\nInstOnly\n");
    inf_model m;
    cr_assert_eq(emu_inf_model_decode(t_line(f, "M", 0), &m), 0);
    cr_assert_str_eq(t_s(m.description), "Desc");
    cr_assert_str_eq(t_s(m.install), "Inst");
    cr_assert_eq(m.nids, 4);
    cr_assert_str_eq(t_s(m.ids[1].val), "CID1");
    cr_assert_eq(emu_inf_model_decode(t_line(f, "M", 1), &m), 0);
    cr_assert_eq(m.nids, 0);
    cr_assert_eq(emu_inf_model_decode(NULL, &m), INF_E_INVAL);
    emu_inf_free(f);
}

Test(inf_model, arch_names)
{
    inf_arch a;
    cr_assert_eq(emu_inf_arch_parse("AMD64", &a), 0);
    cr_assert_eq(a, INF_ARCH_AMD64);
    cr_assert_eq(emu_inf_arch_parse("arm64", &a), 0);
    cr_assert_eq(a, INF_ARCH_ARM64);
    cr_assert_eq(emu_inf_arch_parse("mips", &a), INF_E_INVAL);
    cr_assert_str_eq(emu_inf_arch_name(INF_ARCH_X86), "x86");
}
