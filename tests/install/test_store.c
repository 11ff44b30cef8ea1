/*
 * test_store.c: staging driver packages (pnpbox_driver_add): the store
 * folder and its name, the published oemN.inf, the DriverDatabase records,
 * every INF encoding, idempotent re-adds, changed packages, oemN numbering,
 * listing and deleting, refusals (missing files, parse errors, hostile
 * paths), the store staying read-only to drivers, and atomicity under every
 * injected fault and under real volume and registry errors (reference
 * §1.14, docs/driver-store.md).
 */
#include <ntddk.h>

#include "emu/emu.h"
#include "emu/fsglue.h"
#include "tests/install/tinst.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(install_store, .init = ti_setup, .fini = ti_teardown);

#define VER1 "01/02/2024,1.2.3.4"

/* The folder name the documented hash gives for the sample package. */
static char *expected_folder(const char *inf_path, const char *sys)
{
    size_t n;
    unsigned char *inf = t_read_file(inf_path, &n);
    uint64_t h = ti_fnv(0xcbf29ce484222325ull, inf, n);
    free(inf);
    struct {
        const char *rel;
        const void *data;
        size_t len;
    } files[] = {{"data\\blob.bin", "\x00\x01\x02\x03", 4},
                 {"legacy.sys", "MZlegacy", 8},
                 {"sample.cat", "catalog", 7},
                 {"sampledrv.sys", sys, strlen(sys)}};
    for (size_t i = 0; i < 4; i++) {
        h = ti_fnv(h, files[i].rel, strlen(files[i].rel) + 1);
        unsigned char sz[8];
        for (int b = 0; b < 8; b++)
            sz[b] = (unsigned char)((uint64_t)files[i].len >> (8 * b));
        h = ti_fnv(h, sz, 8);
        h = ti_fnv(h, files[i].data, files[i].len);
    }
    char *f = malloc(64);
    snprintf(f, 64, "sample.inf_amd64_%016llx", (unsigned long long)h);
    return f;
}

Test(install_store, stage_copies_the_package_into_a_content_named_folder)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    char *pub = (char *)0xdeadbeef;
    int rc = pnpbox_driver_add(ti_m, inf, &pub);
    cr_assert_eq(rc, 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_str_eq(pub, "oem0.inf");
    char *folder = expected_folder(inf, "SYS1");
    char vp[512];
    snprintf(vp, sizeof vp, "%s\\%s", TI_STORE, folder);
    cr_assert_eq(ti_vexists(vp), 2, "no store folder '%s'", vp);
    /* every file, keeping the SourceDisksFiles subdirectory, with the same bytes */
    const char *rels[] = {"sample.inf", "sampledrv.sys", "legacy.sys", "data\\blob.bin", "sample.cat"};
    for (size_t i = 0; i < 5; i++) {
        char fp[600];
        snprintf(fp, sizeof fp, "%s\\%s", vp, rels[i]);
        cr_assert_eq(ti_vexists(fp), 1, "'%s' was not staged", fp);
    }
    size_t n1, n2;
    unsigned char *a = t_read_file(inf, &n1);
    unsigned char *b = ti_vread("\\Windows\\INF\\oem0.inf", &n2);
    cr_assert(n1 == n2 && !memcmp(a, b, n1), "the published INF differs from the package's");
    free(b);
    char fp[600];
    snprintf(fp, sizeof fp, "%s\\data\\blob.bin", vp);
    b = ti_vread(fp, &n2);
    cr_assert(n2 == 4 && !memcmp(b, "\x00\x01\x02\x03", 4));
    free(a);
    free(b);
    /* nothing left in the store's temporary area */
    cr_assert_eq(ti_vexists("\\Windows\\System32\\DriverStore\\Temp"), 0);
    /* pnpbox_driver_folder */
    char *f = NULL, *w = NULL;
    cr_assert_eq(pnpbox_driver_folder(ti_m, "OEM0.INF", &f, &w), 0);
    cr_assert_str_eq(f, folder);
    char want[600];
    snprintf(want, sizeof want, "C:%s", vp);
    cr_assert_str_eq(w, want);
    free(f);
    f = (char *)0xdeadbeef;
    cr_assert_eq(pnpbox_driver_folder(ti_m, "oem9.inf", &f, NULL), -ENOENT);
    cr_assert_null(f);
    free(w);
    free(pub);
    free(folder);
    free(inf);
}

Test(install_store, records_the_package_in_the_driver_database)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), 0, "%s", pnpbox_errmsg(ti_m));
    char *folder = expected_folder(inf, "SYS1");
    char pk[512];
    snprintf(pk, sizeof pk, "\\Registry\\Machine\\SYSTEM\\DriverDatabase\\DriverPackages\\%s", folder);
    ti_sz(pk, "", REGDB_SZ, "oem0.inf");
    ti_sz(pk, "InfName", REGDB_SZ, "sample.inf");
    ti_sz(pk, "Provider", REGDB_SZ, "Contoso");
    ti_sz(pk, "Class", REGDB_SZ, "SampleClass");
    ti_sz(pk, "ClassGuid", REGDB_SZ, TI_CLASS_GUID);
    ti_sz(pk, "DriverVer", REGDB_SZ, "01/02/2024,1.2.3.4");
    ti_sz(pk, "Architecture", REGDB_SZ, "amd64");
    ti_sz(pk, "CatalogFile", REGDB_SZ, "sample.cat");
    const char *fl[] = {folder};
    ti_multi("\\Registry\\Machine\\SYSTEM\\DriverDatabase\\DriverInfFiles\\oem0.inf", "", fl, 1);
    ti_sz("\\Registry\\Machine\\SYSTEM\\DriverDatabase\\DriverInfFiles\\oem0.inf", "Active", REGDB_SZ, folder);
    /* DeviceIds: the hardware ID (byte 0 = 1) and the compatible ID (0), FeatureScore 0xff */
    ti_value("\\Registry\\Machine\\SYSTEM\\DriverDatabase\\DeviceIds\\ROOT\\SAMPLE", "oem0.inf", REGDB_BINARY,
             "\x01\xff\x00\x00", 4);
    ti_value("\\Registry\\Machine\\SYSTEM\\DriverDatabase\\DeviceIds\\*SAMPLECOMPAT", "oem0.inf", REGDB_BINARY,
             "\x00\xff\x00\x00", 4);
    /* the installer's registry writes are recorded, never judged */
    size_t found = 0;
    for (size_t i = 0; i < pnpbox_event_count(ti_m); i++) {
        const pnpbox_event *e = pnpbox_event_get(ti_m, i);
        if (!strcmp(e->api, "DriverStore")) {
            found++;
            cr_assert_str_eq(e->component, "installer");
            cr_assert_str_eq(e->rules, "");
            cr_assert_eq(e->outcome, PNPBOX_OUTCOME_ALLOWED);
        }
    }
    cr_assert_gt(found, 0);
    cr_assert_gt(ti_events("DriverStore", "\\DriverDatabase\\DriverPackages\\"), 0);
    cr_assert_gt(ti_events("DriverStore", "C:\\Windows\\System32\\DriverStore\\"), 0);
    free(folder);
    free(inf);
}

static void stage_in_encoding(enum ti_enc enc)
{
    /* A non-ASCII provider reads back the same from every encoding. */
    const char *text = "[Version]\nSignature=\"$Windows NT$\"\nClass=Sample\n"
                       "ClassGuid=" TI_CLASS_GUID "\nProvider=%P%\nDriverVer=03/04/2023,2.0.0.1\n"
                       "[Manufacturer]\n%P%=M,NTamd64\n[M.NTamd64]\n%D%=I,ROOT\\ENC\n[I.NT]\n"
                       "[Strings]\nP=\"Caf\xc3\xa9 Systems\"\nD=\"Enc device\"\n";
    char *inf = ti_write_inf(ti_dir, "enc.inf", text, enc);
    char *pub = NULL;
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, &pub), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_str_eq(pub, "oem0.inf");
    pnpbox_driver_info *v = NULL;
    size_t n = 0;
    cr_assert_eq(pnpbox_driver_list(ti_m, &v, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(v[0].provider, "Caf\xc3\xa9 Systems");
    cr_assert_str_eq(v[0].version, "2.0.0.1");
    cr_assert_str_eq(v[0].date, "03/04/2023");
    cr_assert_str_eq(v[0].inf_name, "enc.inf");
    cr_assert(!strncmp(v[0].folder, "enc.inf_amd64_", 14) && strlen(v[0].folder) == 30, "%s", v[0].folder);
    pnpbox_driver_list_free(v, n);
    free(pub);
    free(inf);
}

Test(install_store, stages_utf16le_inf) { stage_in_encoding(TI_UTF16LE); }
Test(install_store, stages_utf8_inf) { stage_in_encoding(TI_UTF8); }
Test(install_store, stages_ansi_inf) { stage_in_encoding(TI_ANSI); }

Test(install_store, re_adding_the_same_package_changes_nothing)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    char *pub = NULL;
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, &pub), 0);
    ti_snap s;
    ti_snap_take(&s);
    char *pub2 = NULL;
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, &pub2), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_str_eq(pub2, pub);
    ti_snap_same(&s, "re-adding an identical package");
    /* The same bytes copied elsewhere are the same package too. */
    char *inf2 = ti_sample_pkg("copy", VER1, "SYS1");
    free(pub2);
    cr_assert_eq(pnpbox_driver_add(ti_m, inf2, &pub2), 0);
    cr_assert_str_eq(pub2, "oem0.inf");
    free(pub);
    free(pub2);
    free(inf);
    free(inf2);
}

Test(install_store, a_changed_package_gets_a_new_folder_and_name)
{
    char *a = ti_sample_pkg("a", VER1, "SYS1");
    char *b = ti_sample_pkg("b", VER1, "SYS2"); /* only the binary differs */
    char *pa = NULL, *pb = NULL, *fa = NULL, *fb = NULL;
    cr_assert_eq(pnpbox_driver_add(ti_m, a, &pa), 0);
    cr_assert_eq(pnpbox_driver_add(ti_m, b, &pb), 0);
    cr_assert_str_eq(pa, "oem0.inf");
    cr_assert_str_eq(pb, "oem1.inf");
    cr_assert_eq(pnpbox_driver_folder(ti_m, pa, &fa, NULL), 0);
    cr_assert_eq(pnpbox_driver_folder(ti_m, pb, &fb, NULL), 0);
    cr_assert_str_neq(fa, fb);
    char *want = expected_folder(b, "SYS2");
    cr_assert_str_eq(fb, want);
    char vp[600];
    snprintf(vp, sizeof vp, "%s\\%s", TI_STORE, fa);
    cr_assert_eq(ti_vexists(vp), 2);
    free(want);
    free(pa);
    free(pb);
    free(fa);
    free(fb);
    free(a);
    free(b);
}

static const char mini_fmt[] = "[Version]\nSignature=\"$Windows NT$\"\nClass=Sample\nClassGuid=" TI_CLASS_GUID
                               "\nProvider=P%d\nDriverVer=01/01/2020,1.0.0.%d\n"
                               "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nDev=I,ROOT\\MINI%d\n[I.NT]\n";

static char *mini(int i)
{
    char text[1024], name[32];
    snprintf(text, sizeof text, mini_fmt, i, i, i);
    snprintf(name, sizeof name, "mini%d.inf", i);
    return ti_write_inf(ti_dir, name, text, TI_UTF16LE);
}

Test(install_store, published_names_take_the_lowest_free_number)
{
    char *p[4];
    char *pub = NULL;
    for (int i = 0; i < 3; i++) {
        p[i] = mini(i);
        cr_assert_eq(pnpbox_driver_add(ti_m, p[i], &pub), 0);
        char want[32];
        snprintf(want, sizeof want, "oem%d.inf", i);
        cr_assert_str_eq(pub, want);
        free(pub);
    }
    cr_assert_eq(pnpbox_driver_delete(ti_m, "oem1.inf", 0), 0, "%s", pnpbox_errmsg(ti_m));
    /* A stray oem1.inf in C:\Windows\INF is not overwritten: the next free name is oem3. */
    char *h = ti_host("\\Windows\\INF\\oem1.inf");
    FILE *f = fopen(h, "w");
    fputs("stray", f);
    fclose(f);
    free(h);
    p[3] = mini(3);
    cr_assert_eq(pnpbox_driver_add(ti_m, p[3], &pub), 0);
    cr_assert_str_eq(pub, "oem3.inf");
    free(pub);
    size_t n;
    unsigned char *d = ti_vread("\\Windows\\INF\\oem1.inf", &n);
    cr_assert(n == 5 && !memcmp(d, "stray", 5));
    free(d);
    for (int i = 0; i < 4; i++)
        free(p[i]);
}

Test(install_store, list_reports_every_package_in_number_order)
{
    char *p0 = mini(0), *p1 = ti_sample_pkg("pkg", VER1, "SYS1");
    cr_assert_eq(pnpbox_driver_add(ti_m, p0, NULL), 0);
    cr_assert_eq(pnpbox_driver_add(ti_m, p1, NULL), 0);
    pnpbox_driver_info *v = (pnpbox_driver_info *)0xdeadbeef;
    size_t n = 0xdeadbeef;
    cr_assert_eq(pnpbox_driver_list(ti_m, &v, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(v[0].published, "oem0.inf");
    cr_assert_str_eq(v[0].provider, "P0");
    cr_assert_str_eq(v[0].version, "1.0.0.0");
    cr_assert_str_eq(v[1].published, "oem1.inf");
    cr_assert_str_eq(v[1].inf_name, "sample.inf");
    cr_assert_str_eq(v[1].provider, "Contoso");
    cr_assert_str_eq(v[1].class_name, "SampleClass");
    cr_assert_str_eq(v[1].class_guid, TI_CLASS_GUID);
    cr_assert_str_eq(v[1].version, "1.2.3.4");
    cr_assert_str_eq(v[1].date, "01/02/2024");
    char *want = expected_folder(p1, "SYS1");
    cr_assert_str_eq(v[1].folder, want);
    free(want);
    pnpbox_driver_list_free(v, n);
    cr_assert_eq(pnpbox_driver_list(ti_m, NULL, &n), -EINVAL);
    free(p0);
    free(p1);
}

Test(install_store, a_missing_source_file_fails_and_leaves_nothing)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    char host[4096];
    snprintf(host, sizeof host, "%s/pkg/data/blob.bin", ti_dir);
    cr_assert_eq(unlink(host), 0);
    ti_snap s;
    ti_snap_take(&s);
    char *pub = (char *)0xdeadbeef;
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, &pub), -ENOENT);
    cr_assert_null(pub);
    const char *msg = pnpbox_errmsg(ti_m);
    cr_assert(strstr(msg, "cannot stage") && strstr(msg, "'data\\blob.bin'") && strstr(msg, host), "%s", msg);
    ti_snap_same(&s, "a failed staging");
    free(inf);
}

Test(install_store, source_files_are_found_case_insensitively)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/pkg/sampledrv.sys", ti_dir);
    snprintf(b, sizeof b, "%s/pkg/SampleDrv.SYS", ti_dir);
    cr_assert_eq(rename(a, b), 0);
    snprintf(a, sizeof a, "%s/pkg/data", ti_dir);
    snprintf(b, sizeof b, "%s/pkg/DATA", ti_dir);
    cr_assert_eq(rename(a, b), 0);
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), 0, "%s", pnpbox_errmsg(ti_m));
    char *f = NULL;
    cr_assert_eq(pnpbox_driver_folder(ti_m, "oem0.inf", &f, NULL), 0);
    char vp[600];
    snprintf(vp, sizeof vp, "%s\\%s\\sampledrv.sys", TI_STORE, f);
    size_t n;
    unsigned char *d = ti_vread(vp, &n);
    cr_assert(n == 4 && !memcmp(d, "SYS1", 4));
    free(d);
    free(f);
    free(inf);
}

Test(install_store, copied_files_must_exist_even_when_not_listed)
{
    const char *text = "[Version]\nSignature=\"$Windows NT$\"\nClass=Sample\nClassGuid=" TI_CLASS_GUID
                       "\nProvider=P\nDriverVer=01/01/2020,1.0.0.0\n"
                       "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nDev=I,ROOT\\X\n"
                       "[I.NT]\nCopyFiles=F\n[F]\nunlisted.sys\n[DestinationDirs]\nF=13\n";
    char *inf = ti_write_inf(ti_dir, "x.inf", text, TI_UTF16LE);
    ti_snap s;
    ti_snap_take(&s);
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), -ENOENT);
    cr_assert(strstr(pnpbox_errmsg(ti_m), "'unlisted.sys' (line 14)"), "%s", pnpbox_errmsg(ti_m));
    ti_snap_same(&s, "a package missing a copied file");
    ti_write(ti_dir, "unlisted.sys", "u", 1);
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), 0, "%s", pnpbox_errmsg(ti_m));
    free(inf);
}

Test(install_store, refuses_what_is_not_an_inf)
{
    ti_snap s;
    ti_snap_take(&s);
    char *bad = ti_write_inf(ti_dir, "sig.inf", "[Version]\nSignature=\"$Windows 95$\"\n", TI_UTF16LE);
    cr_assert_eq(pnpbox_driver_add(ti_m, bad, NULL), -EBADMSG);
    cr_assert(strstr(pnpbox_errmsg(ti_m), "line 2: Signature '$Windows 95$'"), "%s", pnpbox_errmsg(ti_m));
    char *none = ti_write_inf(ti_dir, "none.inf", "[Strings]\nA=B\n", TI_UTF16LE);
    cr_assert_eq(pnpbox_driver_add(ti_m, none, NULL), -EBADMSG);
    cr_assert(strstr(pnpbox_errmsg(ti_m), "no [Version] section"), "%s", pnpbox_errmsg(ti_m));
    /* a parse error (InfVerif 1002): the parser's own diagnostic, with its line */
    char *broken = ti_write_inf(ti_dir, "broken.inf",
                                "[Version]\nSignature=\"$Windows NT$\"\n[Broken\nA=B\n", TI_UTF16LE);
    cr_assert_eq(pnpbox_driver_add(ti_m, broken, NULL), -EBADMSG);
    cr_assert(strstr(pnpbox_errmsg(ti_m), "parse error") && strstr(pnpbox_errmsg(ti_m), "line 3"), "%s",
              pnpbox_errmsg(ti_m));
    char missing[4096];
    snprintf(missing, sizeof missing, "%s/nope.inf", ti_dir);
    cr_assert_eq(pnpbox_driver_add(ti_m, missing, NULL), -ENOENT);
    cr_assert(strstr(pnpbox_errmsg(ti_m), "nope.inf': not found"), "%s", pnpbox_errmsg(ti_m));
    cr_assert_eq(pnpbox_driver_add(ti_m, ti_dir, NULL), -EISDIR);
    cr_assert_eq(pnpbox_driver_add(ti_m, NULL, NULL), -EINVAL);
    cr_assert_eq(pnpbox_driver_add(ti_m, "", NULL), -EINVAL);
    cr_assert_eq(pnpbox_driver_add(NULL, bad, NULL), -EINVAL);
    ti_snap_same(&s, "refused INFs");
    free(bad);
    free(none);
    free(broken);
}

Test(install_store, hostile_source_paths_are_refused)
{
    ti_write(ti_dir, "outside.sys", "x", 1);
    const char *text = "[Version]\nSignature=\"$Windows NT$\"\nClass=Sample\nClassGuid=" TI_CLASS_GUID
                       "\nProvider=P\nDriverVer=01/01/2020,1.0.0.0\n"
                       "[SourceDisksNames]\n1=Disk\n[SourceDisksFiles]\noutside.sys=1,..\n";
    char *inf = ti_write_inf(ti_dir, "pkg/hostile.inf", text, TI_UTF16LE);
    ti_snap s;
    ti_snap_take(&s);
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), -EBADMSG);
    cr_assert(strstr(pnpbox_errmsg(ti_m), "'..\\outside.sys' is not a valid package path"), "%s",
              pnpbox_errmsg(ti_m));
    const char *text2 = "[Version]\nSignature=\"$Windows NT$\"\n[SourceDisksNames]\n1=Disk\n"
                        "[SourceDisksFiles]\n\"a:b.sys\"=1\n";
    char *inf2 = ti_write_inf(ti_dir, "pkg/colon.inf", text2, TI_UTF16LE);
    cr_assert_eq(pnpbox_driver_add(ti_m, inf2, NULL), -EBADMSG);
    ti_snap_same(&s, "hostile paths");
    free(inf);
    free(inf2);
}

Test(install_store, delete_removes_folder_published_inf_and_records)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    ti_snap s;
    ti_snap_take(&s);
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), 0);
    cr_assert_eq(pnpbox_driver_delete(ti_m, "OEM0.inf", 0), 0, "%s", pnpbox_errmsg(ti_m));
    ti_snap_same(&s, "add then delete");
    cr_assert_eq(pnpbox_driver_delete(ti_m, "oem0.inf", 0), -ENOENT);
    cr_assert_str_eq(pnpbox_errmsg(ti_m), "cannot delete 'oem0.inf': no driver package is published under that name");
    cr_assert_eq(pnpbox_driver_delete(ti_m, "sample.inf", 0), -EINVAL);
    cr_assert_eq(pnpbox_driver_delete(ti_m, "oem01.inf", 0), -EINVAL);
    cr_assert_eq(pnpbox_driver_delete(ti_m, NULL, 0), -EINVAL);
    free(inf);
}

Test(install_store, delete_refuses_a_package_in_use_unless_forced)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), 0);
    char *inst = NULL;
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\SAMPLE", NULL, &inst), 0, "%s", pnpbox_errmsg(ti_m));
    ti_snap s;
    ti_snap_take(&s);
    cr_assert_eq(pnpbox_driver_delete(ti_m, "oem0.inf", 0), -EBUSY);
    cr_assert_str_eq(pnpbox_errmsg(ti_m), "cannot delete 'oem0.inf': in use by device 'ROOT\\SAMPLE\\0000'");
    ti_snap_same(&s, "a refused delete");
    char *f = NULL;
    cr_assert_eq(pnpbox_driver_folder(ti_m, "oem0.inf", &f, NULL), 0);
    cr_assert_eq(pnpbox_driver_delete(ti_m, "oem0.inf", 1), 0, "%s", pnpbox_errmsg(ti_m));
    char vp[600];
    snprintf(vp, sizeof vp, "%s\\%s", TI_STORE, f);
    cr_assert_eq(ti_vexists(vp), 0);
    cr_assert_eq(ti_vexists("\\Windows\\INF\\oem0.inf"), 0);
    cr_assert(!ti_key_exists("\\Registry\\Machine\\SYSTEM\\DriverDatabase\\DeviceIds\\ROOT"));
    /* the device keeps what was installed, including the legacy copy outside the store */
    ti_sz("CCS\\Enum\\ROOT\\SAMPLE\\0000", "Service", REGDB_SZ, "sampledrv");
    cr_assert_eq(ti_vexists("\\Windows\\System32\\drivers\\legacy.sys"), 1);
    free(f);
    free(inst);
    free(inf);
}

Test(install_store, the_store_stays_read_only_to_drivers)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), 0);
    char *f = NULL;
    cr_assert_eq(pnpbox_driver_folder(ti_m, "oem0.inf", &f, NULL), 0);
    pnpbox_component *drv = pnpbox_component_get(ti_m, PNPBOX_COMP_KERNEL_DRIVER, "sampledrv");
    pnpbox_component *prev = pnpbox_enter(drv);
    /* ZwCreateFile for writing a store file, as the driver: denied, as Windows does */
    char path[700];
    snprintf(path, sizeof path, "\\??\\C:%s\\%s\\sampledrv.sys", TI_STORE, f);
    uint16_t wpath[700];
    size_t n = strlen(path);
    for (size_t i = 0; i <= n; i++)
        wpath[i] = (uint16_t)path[i];
    UNICODE_STRING us = {(USHORT)(n * 2), (USHORT)(n * 2 + 2), (PWCH)wpath};
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    HANDLE h = (HANDLE)0xdeadbeef;
    IO_STATUS_BLOCK io;
    NTSTATUS st = ZwCreateFile(&h, GENERIC_WRITE | SYNCHRONIZE, &oa, &io, NULL, FILE_ATTRIBUTE_NORMAL, 0,
                               FILE_OVERWRITE_IF, FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE, NULL, 0);
    cr_assert_eq(st, STATUS_ACCESS_DENIED, "ZwCreateFile: 0x%08x", (unsigned)st);
    /* a new file in the folder, through the volume directly: read-only too */
    char vp[700];
    snprintf(vp, sizeof vp, "%s\\%s\\new.txt", TI_STORE, f);
    boxfs_open_args a = {.path = vp, .access = BOXFS_ACCESS_WRITE, .disposition = BOXFS_CREATE};
    boxfs_file *bf = NULL;
    emu_fs_ctx fc = {.comp = drv, .absolute = 1, .api = "test"};
    boxfs_caller who;
    emu_fs_caller(&who, &fc);
    cr_assert_eq(boxfs_open(ti_m->vol, &who, &a, &bf, NULL), BOXFS_E_ROFS);
    pnpbox_enter(prev);
    size_t len;
    snprintf(vp, sizeof vp, "%s\\%s\\sampledrv.sys", TI_STORE, f);
    unsigned char *d = ti_vread(vp, &len);
    cr_assert(len == 4 && !memcmp(d, "SYS1", 4));
    free(d);
    free(f);
    free(inf);
}

/* ---------------------------------------------------------------- atomicity */

Test(install_store, every_injected_fault_leaves_nothing_behind)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    int n;
    for (n = 1; n < 100; n++) {
        pnpbox_machine_free(ti_m);
        cr_assert_eq(pnpbox_machine_new(NULL, &ti_m), 0);
        ti_snap s;
        ti_snap_take(&s);
        cr_assert_eq(pnpbox_fault_add(ti_m, "*", (unsigned)n, STATUS_DISK_FULL), 0);
        char *pub = NULL;
        int rc = pnpbox_driver_add(ti_m, inf, &pub);
        if (rc == 0) {
            cr_assert_str_eq(pub, "oem0.inf");
            free(pub);
            ti_snap_free(&s);
            break;
        }
        cr_assert_eq(rc, -ENOSPC, "fault %d: %d %s", n, rc, pnpbox_errmsg(ti_m));
        cr_assert(strstr(pnpbox_errmsg(ti_m), "injected fault 'DriverStore:"), "%s", pnpbox_errmsg(ti_m));
        char what[64];
        snprintf(what, sizeof what, "fault %d", n);
        ti_snap_same(&s, what);
    }
    /* registry, publish, rename, commit, and one copy per file (INF + 4) */
    cr_assert_eq(n, 10, "staging has %d fault points", n - 1);
    free(inf);
}

Test(install_store, a_failed_delete_leaves_the_package)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    int n;
    for (n = 1; n < 20; n++) {
        pnpbox_machine_free(ti_m);
        cr_assert_eq(pnpbox_machine_new(NULL, &ti_m), 0);
        cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), 0);
        ti_snap s;
        ti_snap_take(&s);
        cr_assert_eq(pnpbox_fault_add(ti_m, "*", (unsigned)n, 0), 0);
        int rc = pnpbox_driver_delete(ti_m, "oem0.inf", 0);
        if (rc == 0) {
            ti_snap_free(&s);
            break;
        }
        cr_assert_eq(rc, -ENOMEM, "fault %d: %d %s", n, rc, pnpbox_errmsg(ti_m));
        cr_assert(strstr(pnpbox_errmsg(ti_m), "cannot delete 'oem0.inf': injected fault 'DriverStore:"), "%s",
                  pnpbox_errmsg(ti_m));
        char what[64];
        snprintf(what, sizeof what, "fault %d", n);
        ti_snap_same(&s, what);
    }
    cr_assert_eq(n, 3, "deleting has %d fault points", n - 1);
    cr_assert_eq(ti_vexists("\\Windows\\INF\\oem0.inf"), 0);
    free(inf);
}

Test(install_store, a_volume_error_leaves_nothing_behind)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    /* a file where the store's Temp directory goes: boxfs cannot create the staging folder */
    char *h = ti_host("\\Windows\\System32\\DriverStore\\Temp");
    FILE *f = fopen(h, "w");
    fclose(f);
    free(h);
    ti_snap s;
    ti_snap_take(&s);
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), -ENOTDIR);
    cr_assert(strstr(pnpbox_errmsg(ti_m), "cannot create directory 'C:\\Windows\\System32\\DriverStore\\Temp'"), "%s",
              pnpbox_errmsg(ti_m));
    ti_snap_same(&s, "a volume error");
    free(inf);
}

Test(install_store, a_registry_error_leaves_nothing_behind)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    /* A volatile DeviceIds\ROOT: the non-volatile ROOT\SAMPLE below it cannot be created. */
    regdb_key k;
    cr_assert_eq(regdb_create_key_u8(ti_m->reg, 0, "\\Registry\\Machine\\SYSTEM\\DriverDatabase\\DeviceIds\\ROOT",
                                     REGDB_CREATE_VOLATILE, &k),
                 0);
    ti_snap s;
    ti_snap_take(&s);
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), -EIO);
    cr_assert(strstr(pnpbox_errmsg(ti_m), "DriverDatabase"), "%s", pnpbox_errmsg(ti_m));
    ti_snap_same(&s, "a registry error");
    free(inf);
}
