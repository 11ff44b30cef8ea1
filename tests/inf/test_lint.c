/*
 * test_lint.c: one small INF per InfVerif code that must trigger it, and
 * its clean twin (the same INF without the defect) that must not, at the
 * /w level (reference §3.1).  The twin of every case is the clean base INF,
 * which must lint without any finding.
 */
#include "tests/inf/tinf.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char base_inf[] =
    "[Version]\n"                                          /* 1 */
    "Signature=\"$Windows NT$\"\n"                         /* 2 */
    "Class=Sample\n"                                       /* 3 */
    "ClassGuid={78A1C341-4539-11d3-B88D-00C04FAD5171}\n"   /* 4 */
    "Provider=%Prov%\n"                                    /* 5 */
    "DriverVer=01/02/2024,1.2.3.4\n"                       /* 6 */
    "CatalogFile=clean.cat\n"                              /* 7 */
    "PnpLockdown=1\n"                                      /* 8 */
    "[Manufacturer]\n"                                     /* 9 */
    "%Mfg%=Models,NTamd64\n"                               /* 10 */
    "[Models.NTamd64]\n"                                   /* 11 */
    "%Dev%=Dev_Inst,ROOT\\CLEAN\n"                         /* 12 */
    "[Dev_Inst.NT]\n"                                      /* 13 */
    "CopyFiles=Drv.Files\n"                                /* 14 */
    "AddReg=Dev.Reg\n"                                     /* 15 */
    "[Dev_Inst.NT.HW]\n"                                   /* 16 */
    "AddReg=HW.Reg\n"                                      /* 17 */
    "[Dev_Inst.NT.Services]\n"                             /* 18 */
    "AddService=clean,0x00000002,Svc\n"                    /* 19 */
    "[Svc]\n"                                              /* 20 */
    "ServiceType=1\n"                                      /* 21 */
    "StartType=3\n"                                        /* 22 */
    "ErrorControl=1\n"                                     /* 23 */
    "ServiceBinary=%13%\\clean.sys\n"                      /* 24 */
    "AddReg=Svc.Reg\n"                                     /* 25 */
    "[Svc.Reg]\n"                                          /* 26 */
    "HKR,Parameters,Level,0x00010001,1\n"                  /* 27 */
    "[Dev.Reg]\n"                                          /* 28 */
    "HKR,,Setting,0x00010001,1\n"                          /* 29 */
    "[HW.Reg]\n"                                           /* 30 */
    "HKR,,HwSetting,,\"x\"\n"                              /* 31 */
    "[Drv.Files]\n"                                        /* 32 */
    "clean.sys\n"                                          /* 33 */
    "[DestinationDirs]\n"                                  /* 34 */
    "DefaultDestDir=13\n"                                  /* 35 */
    "[SourceDisksNames]\n"                                 /* 36 */
    "1=%Disk%\n"                                           /* 37 */
    "[SourceDisksFiles]\n"                                 /* 38 */
    "clean.sys=1\n"                                        /* 39 */
    "[Strings]\n"                                          /* 40 */
    "Prov=\"Contoso\"\nMfg=\"Contoso\"\nDev=\"Clean device\"\nDisk=\"Disk\"\n";

/* text with the first occurrence of `from` replaced by `to` (malloc'd). */
static char *replace(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    cr_assert(at, "'%s' is not in the INF", from);
    size_t pre = (size_t)(at - text), fl = strlen(from), tl = strlen(to);
    char *s = malloc(strlen(text) + tl + 1);
    cr_assert(s);
    memcpy(s, text, pre);
    memcpy(s + pre, to, tl);
    strcpy(s + pre + tl, at + fl);
    return s;
}

static char *mutate(const char *from, const char *to)
{
    return replace(base_inf, from, to);
}

static void dump(const inf_lint_result *r)
{
    for (size_t i = 0; i < r->nfindings; i++)
        cr_log_info("  %u: %d %s", r->findings[i].lineno, r->findings[i].code, r->findings[i].message);
}

/* Lint the mutation; assert `code` is reported (at `line` when not 0) with the catalogue's level. */
static inf_lint_result *expect(int code, uint32_t line, const char *from, const char *to)
{
    char *text = mutate(from, to);
    inf_lint_result *r = t_lint(text);
    free(text);
    if (!t_count(r, code, line))
        dump(r);
    cr_assert_geq(t_count(r, code, line), 1, "code %d (line %u) not reported", code, line);
    const inf_finding *f = t_finding(r, code);
    const inf_rule *rule = emu_inf_rule(code);
    cr_assert(rule && rule->implemented);
    cr_assert_eq(f->severity, rule->level_w);
    cr_assert_str_eq(f->fix, rule->fix);
    cr_assert_str_eq(f->file, "test.inf");
    cr_assert(!strstr(f->message, "%s"), "placeholders are filled: %s", f->message);
    return r;
}

static void check(int code, uint32_t line, const char *from, const char *to)
{
    emu_inf_lint_free(expect(code, line, from, to));
}

static const char *msg(const inf_lint_result *r, int code)
{
    const inf_finding *f = t_finding(r, code);
    cr_assert(f, "no finding %d", code);
    return f->message;
}

Test(inf_lint, clean_twin_has_no_findings)
{
    inf_lint_result *r = t_lint(base_inf);
    dump(r);
    cr_assert_eq(r->nfindings, 0);
    cr_assert_eq(r->errors, 0);
    cr_assert_eq(r->warnings, 0);
    emu_inf_lint_free(r);
}

Test(inf_lint, c1001_signature)
{
    inf_lint_result *r = expect(1001, 2, "$Windows NT$", "$Windows 95$");
    cr_assert_str_eq(msg(r, 1001), "Missing or invalid [Version] Signature '$Windows 95$'; expected \"$Windows NT$\".");
    emu_inf_lint_free(r);
    check(1001, 0, "[Version]\n", "[NotVersion]\n");
}

Test(inf_lint, c1002_syntax)
{
    check(1002, 41, "[Strings]\n", "[Strings]\n[Broken\n");
    check(1002, 27, "HKR,Parameters,Level,0x00010001,1", "HKR,Parameters,Level,0x00010001,zz");
}

Test(inf_lint, c1003_encoding)
{
    size_t n;
    unsigned char *b = t_encode(base_inf, T_U8BOM, &n);
    inf_file *f = NULL;
    cr_assert_eq(emu_inf_parse_mem(b, n, "test.inf", NULL, &f), 0);
    free(b);
    inf_lint_result *r = NULL;
    cr_assert_eq(emu_inf_lint(f, NULL, &r), 0);
    cr_assert_eq(t_count(r, 1003, 0), 1);
    cr_assert_eq(r->nfindings, 1, "nothing else changes");
    emu_inf_lint_free(r);
    emu_inf_free(f);
    b = t_encode(base_inf, T_ANSI, &n); /* the clean twin in the other allowed encoding */
    cr_assert_eq(emu_inf_parse_mem(b, n, "test.inf", NULL, &f), 0);
    free(b);
    cr_assert_eq(emu_inf_lint(f, NULL, &r), 0);
    cr_assert_eq(r->nfindings, 0);
    emu_inf_lint_free(r);
    emu_inf_free(f);
}

Test(inf_lint, c1100_store_layout)
{
    inf_lint_result *r = expect(1100, 33, "DefaultDestDir=13", "DefaultDestDir=13\nDrv.Files=13,sub");
    cr_assert_str_eq(msg(r, 1100),
                     "Source and destination path must match for file 'clean.sys' when using CopyFiles with DIRID 13.");
    emu_inf_lint_free(r);
    r = expect(1100, 33, "clean.sys\n[Dest", "clean.sys,orig.sys\n[Dest");
    cr_assert(strstr(msg(r, 1100), "destination name must match for file 'orig.sys'"));
    emu_inf_lint_free(r);
    /* The twin with matching subdirectories is clean. */
    char *t = mutate("DefaultDestDir=13", "DefaultDestDir=13\nDrv.Files=13,sub");
    char *u = strstr(t, "clean.sys=1");
    cr_assert(u);
    char *text = malloc(strlen(t) + 8);
    memcpy(text, t, (size_t)(u - t));
    strcpy(text + (u - t), "clean.sys=1,sub");
    strcat(text, u + strlen("clean.sys=1"));
    inf_lint_result *c = t_lint(text);
    cr_assert_eq(t_count(c, 1100, 0), 0);
    emu_inf_lint_free(c);
    free(text);
    free(t);
}

Test(inf_lint, c1101_security_with_store)
{
    check(1101, 33, "[DestinationDirs]", "[Drv.Files.security]\n\"D:P(A;;GA;;;SY)(A;;GA;;;BA)\"\n[DestinationDirs]");
}

Test(inf_lint, c1102_delfiles_with_store)
{
    inf_lint_result *r = expect(1102, 34, "CopyFiles=Drv.Files\n", "CopyFiles=Drv.Files\nDelFiles=Drv.Files\n");
    cr_assert_str_eq(msg(r, 1102), "Invalid directive DelFiles, cannot be used with DIRID 13.");
    cr_assert_eq(t_count(r, 1302, 34), 1, "and the delete itself is legacy (1302)");
    emu_inf_lint_free(r);
}

Test(inf_lint, c1103_copy_flag_with_store)
{
    inf_lint_result *r = expect(1103, 33, "clean.sys\n[Dest", "clean.sys,,,0x10\n[Dest");
    cr_assert_str_eq(msg(r, 1103), "Invalid flag 0x10, cannot be used with DIRID 13.");
    emu_inf_lint_free(r);
    char *t = mutate("clean.sys\n[Dest", "clean.sys,,,0x4\n[Dest");
    inf_lint_result *c = t_lint(t);
    cr_assert_eq(c->nfindings, 0, "COPYFLG_NOVERSIONCHECK is fine");
    emu_inf_lint_free(c);
    free(t);
}

Test(inf_lint, c1203_section_not_found)
{
    inf_lint_result *r = expect(1203, 15, "AddReg=Dev.Reg", "AddReg=Dev.Reg,Missing.Reg");
    cr_assert_str_eq(msg(r, 1203), "Section [Missing.Reg] referenced by AddReg is not defined.");
    emu_inf_lint_free(r);
    check(1203, 14, "CopyFiles=Drv.Files", "CopyFiles=Drv.Files,driverFile.sys");
    check(1203, 12, "%Dev%=Dev_Inst,", "%Dev%=No_Inst,");
    check(1203, 10, "%Mfg%=Models,NTamd64", "%Mfg%=Models,NTamd64,NTarm64");
}

Test(inf_lint, c1209_duplicate_section)
{
    inf_lint_result *r = expect(1209, 32, "[Drv.Files]\n", "[Dev.Reg]\nHKR,,Second,0x10001,2\n[Drv.Files]\n");
    cr_assert_str_eq(msg(r, 1209), "Section [Dev.Reg] is defined more than once (first at line 28).");
    emu_inf_lint_free(r);
}

Test(inf_lint, c1211_two_associated_services)
{
    check(1211, 20, "AddService=clean,0x00000002,Svc\n",
          "AddService=clean,0x00000002,Svc\nAddService=other,0x00000002,Svc2\n"
          "[Svc2]\nServiceType=1\nStartType=3\nErrorControl=1\nServiceBinary=%13%\\clean.sys\n");
}

Test(inf_lint, c1217_c1218_driver_ver)
{
    inf_lint_result *r = expect(1217, 6, "1.2.3.4", "1.2.3.70000");
    cr_assert_str_eq(msg(r, 1217),
                     "Invalid DriverVer version '1.2.3.70000', must be w.x.y.z with each part in the range 0-65535.");
    emu_inf_lint_free(r);
    check(1217, 6, "1.2.3.4", "1.2.3.4.5");
    check(1218, 6, "01/02/2024", "2024-01-02");
    check(1218, 6, "01/02/2024", "13/02/2024");
    check(1218, 1, "DriverVer=01/02/2024,1.2.3.4\n", "");
    /* stampinf writes DriverVer into a template. */
    char *t = mutate("DriverVer=01/02/2024,1.2.3.4\n", "");
    size_t n;
    unsigned char *b = t_encode(t, T_U16LE, &n);
    inf_file *f = NULL;
    cr_assert_eq(emu_inf_parse_mem(b, n, "test.inx", NULL, &f), 0);
    inf_lint_result *r2 = NULL;
    cr_assert_eq(emu_inf_lint(f, NULL, &r2), 0);
    cr_assert_eq(t_count(r2, 1218, 0), 0);
    emu_inf_lint_free(r2);
    emu_inf_free(f);
    free(b);
    free(t);
}

Test(inf_lint, c1222_c1223_system_keys)
{
    inf_lint_result *r = expect(1222, 29, "HKR,,Setting,0x00010001,1", "HKLM,\"SYSTEM\\ControlSet001\\Services\\x\",V,,1");
    cr_assert_str_eq(msg(r, 1222),
                     "Cannot modify HKLM\\SYSTEM\\ControlSet001\\Services\\x registry keys, although "
                     "HKLM\\SYSTEM\\CurrentControlSet is allowed.");
    cr_assert_eq(t_count(r, 1321, 29), 1);
    emu_inf_lint_free(r);
    r = expect(1223, 29, "HKR,,Setting,0x00010001,1",
               "hklm,SYSTEM\\CurrentControlSet\\Services\\clean\\Parameters,V,0x10001,1");
    cr_assert_str_eq(msg(r, 1223), "Cannot modify HKLM\\SYSTEM\\CurrentControlSet\\Services\\clean\\Parameters registry key, use HKR.");
    cr_assert_eq(t_count(r, 1222, 0), 0);
    emu_inf_lint_free(r);
}

Test(inf_lint, c1224_registry_root)
{
    inf_lint_result *r = expect(1224, 29, "HKR,,Setting,0x00010001,1", "HKQQ,,Setting,0x00010001,1");
    cr_assert_str_eq(msg(r, 1224), "Invalid registry root \"HKQQ\".");
    emu_inf_lint_free(r);
}

Test(inf_lint, c1230_missing_source_file)
{
    inf_lint_result *r = expect(1230, 34, "clean.sys\n[Dest", "clean.sys\nother.sys\n[Dest");
    cr_assert_str_eq(msg(r, 1230), "Missing file 'other.sys' under [SourceDisksFiles] section.");
    emu_inf_lint_free(r);
}

Test(inf_lint, c1235_undefined_token)
{
    inf_lint_result *r = expect(1235, 31, "\"x\"", "%Undefined%");
    cr_assert_str_eq(msg(r, 1235), "String token '%Undefined%' not defined in [Strings].");
    emu_inf_lint_free(r);
}

Test(inf_lint, c1275_no_destination)
{
    inf_lint_result *r = expect(1275, 14, "DefaultDestDir=13\n", "");
    cr_assert_str_eq(msg(r, 1275), "Section [Drv.Files] is not listed in [DestinationDirs] and there is no DefaultDestDir.");
    emu_inf_lint_free(r);
}

Test(inf_lint, c1300_legacy)
{
    inf_lint_result *r = expect(1300, 16, "AddReg=Dev.Reg\n", "AddReg=Dev.Reg\nLogConfig=LC\n[LC]\nIRQConfig=5\n");
    cr_assert_str_eq(msg(r, 1300), "Found legacy LogConfig directive.");
    emu_inf_lint_free(r);
    r = expect(1300, 16, "[Dev_Inst.NT.HW]", "[Dev_Inst.NT.CoInstallers]\n[Dev_Inst.NT.HW]");
    cr_assert_str_eq(msg(r, 1300), "Found legacy section [Dev_Inst.NT.CoInstallers].");
    emu_inf_lint_free(r);
}

Test(inf_lint, c1301_registry_delete)
{
    inf_lint_result *r = expect(1301, 18, "AddReg=Dev.Reg\n", "AddReg=Dev.Reg\nDelReg=Del.Reg\n[Del.Reg]\nHKR,,Old\n");
    cr_assert_str_eq(msg(r, 1301), "Found legacy DelReg operation HKR,Old.");
    emu_inf_lint_free(r);
    check(1301, 29, "HKR,,Setting,0x00010001,1", "HKR,,Setting,0x00000004");
}

Test(inf_lint, c1302_external_delete)
{
    inf_lint_result *r = expect(1302, 20, "AddService=clean,0x00000002,Svc\n", "AddService=clean,0x00000002,Svc\nDelService=old\n");
    cr_assert_str_eq(msg(r, 1302), "Found legacy DelService operation for old.");
    emu_inf_lint_free(r);
}

Test(inf_lint, c1303_coinstallers)
{
    inf_lint_result *r = expect(1303, 19, "[Dev_Inst.NT.HW]",
                                "[Dev_Inst.NT.CoInstallers]\nAddReg=Co.Reg\n[Co.Reg]\n"
                                "HKR,,CoInstallers32,0x00010000,\"co.dll,Entry\"\n[Dev_Inst.NT.HW]");
    cr_assert_str_eq(msg(r, 1303), "Found legacy operation defining co-installers.");
    emu_inf_lint_free(r);
}

Test(inf_lint, c1305_multi_sz_append)
{
    check(1305, 29, "HKR,,Setting,0x00010001,1", "HKR,,Setting,0x00010008,\"a\"");
    check(1305, 18, "AddReg=Dev.Reg\n", "AddReg=Dev.Reg\nDelReg=Del.Reg\n[Del.Reg]\nHKR,,List,0x00018002,x\n");
}

Test(inf_lint, c1320_c1321_roots)
{
    inf_lint_result *r = expect(1320, 29, "HKR,,Setting,0x00010001,1", "HKLM,\"SOFTWARE\\Contoso\",,0x10");
    cr_assert_str_eq(msg(r, 1320), "Registry root 'HKLM\\SOFTWARE\\Contoso' is not isolated to HKR.");
    cr_assert_eq(t_count(r, 1321, 0), 0);
    emu_inf_lint_free(r);
    r = expect(1321, 29, "HKR,,Setting,0x00010001,1", "HKCU,\"SOFTWARE\\Contoso\",Val,,1");
    cr_assert_str_eq(msg(r, 1321), "Registry root (HKCU\\SOFTWARE\\Contoso) of value 'Val' is not isolated to HKR.");
    emu_inf_lint_free(r);
}

Test(inf_lint, c1322_destination)
{
    inf_lint_result *r = expect(1322, 33, "DefaultDestDir=13", "DefaultDestDir=12");
    cr_assert_str_eq(msg(r, 1322), "Destination file path '%12%' for file 'clean.sys' is not isolated to DIRID 13.");
    cr_assert_eq(t_count(r, 2084, 24), 1, "the binary is no longer copied to %%13%%");
    emu_inf_lint_free(r);
}

Test(inf_lint, c1323_service_key)
{
    inf_lint_result *r = expect(1323, 27, "HKR,Parameters,Level", "HKR,,Level");
    cr_assert_str_eq(msg(r, 1323), "Service registry key 'HKR' must be under the Parameters subkey.");
    emu_inf_lint_free(r);
    check(1323, 27, "HKR,Parameters,Level", "HKR,State,Level");
    char *t = mutate("HKR,Parameters,Level", "HKR,\"Parameters\\Wdf\",Level");
    inf_lint_result *c = t_lint(t);
    cr_assert_eq(c->nfindings, 0, "below Parameters is fine");
    emu_inf_lint_free(c);
    free(t);
}

Test(inf_lint, c1324_pnp_lockdown)
{
    check(1324, 8, "PnpLockdown=1", "PnpLockdown=0");
    check(1324, 1, "PnpLockdown=1\n", "");
}

Test(inf_lint, c1325_com_server)
{
    inf_lint_result *r = expect(1325, 29, "HKR,,Setting,0x00010001,1",
                                "HKCR,\"CLSID\\{00000000-0000-0000-0000-000000000001}\\LocalServer32\",,,\"x.exe\"");
    cr_assert_str_eq(msg(r, 1325), "Unsupported COM class registration 'LocalServer32', only InprocServer32 supported.");
    cr_assert_eq(t_count(r, 2660, 0), 0, "a CLSID is a COM registration, not 2660");
    emu_inf_lint_free(r);
}

Test(inf_lint, c1326_c1328_paths)
{
    inf_lint_result *r = expect(1326, 31, "\"x\"", "\"%12%\\data.bin\"");
    cr_assert_str_eq(msg(r, 1326), "Unisolated file path '%12%\\data.bin', expecting FileName under %DriverData%.");
    emu_inf_lint_free(r);
    check(1326, 31, "\"x\"", "\"C:\\ProgramData\\Contoso\\x.cfg\"");
    r = expect(1328, 31, "\"x\"", "\"%%SystemRoot%%\\System32\\Drivers\\DriverData\\Contoso\\x.cfg\"");
    cr_assert_str_eq(msg(r, 1328), "Unsupported file path '%SystemRoot%\\System32\\Drivers\\DriverData\\Contoso\\x.cfg' "
                                   "replaced with '%DriverData%\\Contoso\\x.cfg'.");
    cr_assert_eq(r->warnings, 1);
    emu_inf_lint_free(r);
    static const char *const clean[] = {"\"%13%\\x.dll\"", "\"%%DriverData%%\\Contoso\\x\"", "\"not a path\""};
    for (size_t i = 0; i < 3; i++) {
        char *t = mutate("\"x\"", clean[i]);
        inf_lint_result *c = t_lint(t);
        cr_assert_eq(c->nfindings, 0, "%s", clean[i]);
        emu_inf_lint_free(c);
        free(t);
    }
}

Test(inf_lint, c1329_filters_by_registry)
{
    check(1329, 31, "HKR,,HwSetting,,\"x\"", "HKR,,UpperFilters,0x00010000,\"flt\"");
}

Test(inf_lint, c1330_destination_two_sources)
{
    char *a = mutate("CopyFiles=Drv.Files\n", "CopyFiles=Drv.Files,Drv.Files2\n");
    char *b = replace(a, "[DestinationDirs]", "[Drv.Files2]\nclean.sys,alt.sys\n[DestinationDirs]");
    char *c = replace(b, "clean.sys=1\n", "clean.sys=1\nalt.sys=1\n");
    inf_lint_result *r = t_lint(c);
    cr_assert_eq(t_count(r, 1330, 35), 1);
    cr_assert(strstr(msg(r, 1330), "'clean.sys' and 'alt.sys'"), "%s", msg(r, 1330));
    cr_assert_eq(t_count(r, 1100, 35), 1, "a rename into the store");
    emu_inf_lint_free(r);
    free(a);
    free(b);
    free(c);
}

Test(inf_lint, c1331_global_value_twice)
{
    inf_lint_result *r = expect(1331, 31, "HKR,,Setting,0x00010001,1\n[HW.Reg]\nHKR,,HwSetting,,\"x\"",
                                "HKLM,SOFTWARE\\C,V,,\"a\"\n[HW.Reg]\nHKLM,SOFTWARE\\C,V,,\"b\"");
    cr_assert_str_eq(msg(r, 1331), "Registry value 'HKLM\\SOFTWARE\\C\\V' is set to different data in different sections.");
    emu_inf_lint_free(r);
}

Test(inf_lint, c1332_service_two_configurations)
{
    check(1332, 0, "%Dev%=Dev_Inst,ROOT\\CLEAN\n",
          "%Dev%=Dev_Inst,ROOT\\CLEAN\n%Dev%=Two_Inst,ROOT\\TWO\n[Two_Inst.NT]\nCopyFiles=Drv.Files\n"
          "[Two_Inst.NT.Services]\nAddService=clean,0x2,Svc2\n"
          "[Svc2]\nServiceType=1\nStartType=2\nErrorControl=1\nServiceBinary=%13%\\clean.sys\n");
}

Test(inf_lint, c1340_c1341_deprecated_dirids)
{
    inf_lint_result *r = expect(1340, 36, "DefaultDestDir=13", "DefaultDestDir=13\nDrv.Files=17");
    cr_assert_str_eq(msg(r, 1340), "Specified DIRID '17' not allowed.");
    emu_inf_lint_free(r);
    check(1341, 31, "\"x\"", "\"%24%\\x\"");
    check(1341, 24, "%13%\\clean.sys", "%24%\\clean.sys");
}

Test(inf_lint, c2083_unreferenced_section)
{
    inf_lint_result *r = expect(2083, 40, "[Strings]\n", "[Unused]\na=1\n[Strings]\n");
    cr_assert_str_eq(msg(r, 2083), "Section [Unused] not referenced or used.");
    cr_assert_eq(r->errors, 0);
    cr_assert_eq(r->warnings, 1);
    emu_inf_lint_free(r);
}

Test(inf_lint, c2084_binary_not_copied)
{
    inf_lint_result *r = expect(2084, 24, "%13%\\clean.sys", "%13%\\other.sys");
    cr_assert_str_eq(msg(r, 2084), "Service binary '%13%\\other.sys' should reference a CopyFiles destination file.");
    emu_inf_lint_free(r);
}

Test(inf_lint, c2085_binary_without_dirid)
{
    inf_lint_result *r = expect(2085, 24, "%13%\\clean.sys", "C:\\drivers\\clean.sys");
    cr_assert_str_eq(msg(r, 2085), "Service binary 'C:\\drivers\\clean.sys' should be specified as a path under a DIRID "
                                   "(e.g. %13%\\binary.sys).");
    emu_inf_lint_free(r);
}

Test(inf_lint, c2660_hkcr)
{
    inf_lint_result *r = expect(2660, 29, "HKR,,Setting,0x00010001,1", "HKCR,.cln,,,\"CleanFile\"");
    cr_assert_str_eq(msg(r, 2660), "Cannot modify HKCR\\.cln registry subkey. It must be under HKR.");
    cr_assert_eq(t_count(r, 1321, 0), 0);
    emu_inf_lint_free(r);
}

Test(inf_lint, findings_are_sorted_and_deduplicated)
{
    char *t = mutate("HKR,,Setting,0x00010001,1", "HKLM,S,A,,1\nHKLM,S,B,,1");
    inf_lint_result *r = t_lint(t);
    free(t);
    cr_assert_eq(t_count(r, 1321, 0), 2);
    for (size_t i = 1; i < r->nfindings; i++)
        cr_assert_leq(r->findings[i - 1].lineno, r->findings[i].lineno);
    emu_inf_lint_free(r);
}

Test(inf_lint, rule_catalogue)
{
    size_t n = 0;
    const inf_rule *rules = emu_inf_rules(&n);
    cr_assert_gt(n, 40);
    for (size_t i = 0; i < n; i++) {
        if (i)
            cr_assert_lt(rules[i - 1].code, rules[i].code, "ordered by code");
        cr_assert(rules[i].title && rules[i].format && rules[i].fix && rules[i].doc);
        cr_assert_eq(emu_inf_rule(rules[i].code), &rules[i]);
    }
    /* The /w levels of the reference table. */
    cr_assert_eq(emu_inf_rule(1320)->level_w, INF_SEV_ERROR);
    cr_assert_eq(emu_inf_rule(1320)->level_u, INF_SEV_NONE);
    cr_assert_eq(emu_inf_rule(1324)->level_k, INF_SEV_WARNING);
    cr_assert_eq(emu_inf_rule(1304)->level_w, INF_SEV_NONE);
    cr_assert_eq(emu_inf_rule(1328)->level_w, INF_SEV_WARNING);
    cr_assert_eq(emu_inf_rule(2083)->level_w, INF_SEV_WARNING);
    cr_assert_null(emu_inf_rule(1234));
}
