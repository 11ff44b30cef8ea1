/*
 * test_device.c: installing a staged driver on a new device
 * (pnpbox_device_add): the Enum key, the class and software keys with the
 * installer-owned values, HKR in every section's key, services and their
 * ImagePath for DIRID 13 and 12, interfaces, filters, file copies outside
 * the store, non-HKR registry, default instance IDs, driver ranking across
 * packages, devices without a driver, and atomicity under every injected
 * fault and under real volume and registry errors (reference §0, §1.1,
 * §1.4, §1.14, §2; docs/driver-store.md).
 */
#include <ntddk.h>

#include "emu/emu.h"
#include "tests/install/tinst.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

TestSuite(install_device, .init = ti_setup, .fini = ti_teardown);

#define VER1 "01/02/2024,1.2.3.4"
#define ENUMK "CCS\\Enum\\ROOT\\SAMPLE\\0000"
#define SWK "CCS\\Control\\Class\\" TI_CLASS_GUID "\\0000"

/* Stage the sample package and add ROOT\SAMPLE; returns the store folder (malloc'd). */
static char *install_sample(void)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), 0, "%s", pnpbox_errmsg(ti_m));
    free(inf);
    char *inst = (char *)0xdeadbeef;
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\SAMPLE", NULL, &inst), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_str_eq(inst, "ROOT\\SAMPLE\\0000");
    free(inst);
    char *f = NULL;
    cr_assert_eq(pnpbox_driver_folder(ti_m, "oem0.inf", &f, NULL), 0);
    return f;
}

Test(install_device, writes_the_enum_key)
{
    free(install_sample());
    const char *hw[] = {"ROOT\\SAMPLE"};
    ti_multi(ENUMK, "HardwareID", hw, 1);
    cr_assert(!ti_value_exists(ENUMK, "CompatibleIDs"), "a device without compatible IDs has no CompatibleIDs");
    ti_sz(ENUMK, "Class", REGDB_SZ, "SampleClass");
    ti_sz(ENUMK, "ClassGUID", REGDB_SZ, TI_CLASS_GUID);
    ti_sz(ENUMK, "Driver", REGDB_SZ, TI_CLASS_GUID "\\0000");
    ti_sz(ENUMK, "DeviceDesc", REGDB_SZ, "@oem0.inf,%sample.devicedesc%;Sample Device");
    ti_sz(ENUMK, "Mfg", REGDB_SZ, "@oem0.inf,%mfg%;Contoso Devices");
    ti_dword(ENUMK, "ConfigFlags", 0);
    ti_sz(ENUMK, "Service", REGDB_SZ, "sampledrv");
    int started = -1;
    uint32_t problem = 0xdeadbeef;
    /* no devnode until it starts: the state is unknown to the PnP manager */
    cr_assert_eq(pnpbox_device_state(ti_m, "ROOT\\SAMPLE\\0000", &started, &problem), -ENOENT);
}

Test(install_device, compatible_ids_are_written_when_given)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), 0);
    const char *hw[] = {"PCI\\VEN_1234&DEV_0001&REV_01", "PCI\\VEN_1234&DEV_0001"};
    const char *cid[] = {"PCI\\CC_0000", "*SAMPLECOMPAT"};
    char *inst = NULL;
    cr_assert_eq(pnpbox_device_add_ids(ti_m, hw, 2, cid, 2, NULL, &inst), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_str_eq(inst, "PCI\\VEN_1234&DEV_0001&REV_01\\0000");
    char k[256];
    snprintf(k, sizeof k, "CCS\\Enum\\%s", inst);
    ti_multi(k, "HardwareID", hw, 2);
    ti_multi(k, "CompatibleIDs", cid, 2);
    /* installed through its compatible ID */
    ti_sz(SWK, "MatchingDeviceId", REGDB_SZ, "*samplecompat");
    free(inst);
    free(inf);
}

Test(install_device, writes_the_software_key_and_installer_values)
{
    free(install_sample());
    cr_assert(ti_key_exists("CCS\\Control\\Class\\" TI_CLASS_GUID));
    ti_sz("CCS\\Control\\Class\\" TI_CLASS_GUID, "Class", REGDB_SZ, "SampleClass");
    ti_sz(SWK, "DriverDesc", REGDB_SZ, "Sample Device");
    ti_sz(SWK, "DriverVersion", REGDB_SZ, "1.2.3.4");
    ti_sz(SWK, "DriverDate", REGDB_SZ, "1-2-2024");
    /* FILETIME of 2024-01-02 00:00 UTC */
    ti_value(SWK, "DriverDateData", REGDB_BINARY, "\x00\x80\xf3\xa0\x0e\x3d\xda\x01", 8);
    ti_sz(SWK, "InfPath", REGDB_SZ, "oem0.inf");
    ti_sz(SWK, "InfSection", REGDB_SZ, "Sample_Inst");
    ti_sz(SWK, "InfSectionExt", REGDB_SZ, ".NTamd64");
    ti_sz(SWK, "MatchingDeviceId", REGDB_SZ, "root\\sample");
    ti_sz(SWK, "ProviderName", REGDB_SZ, "Contoso");
}

Test(install_device, hkr_goes_to_the_key_of_each_section)
{
    char *folder = install_sample();
    /* DDInstall -> software key */
    ti_sz(SWK, "SwString", REGDB_SZ, "software");
    ti_dword(SWK, "SwDword", 42);
    const char *ab[] = {"a", "b"};
    ti_multi(SWK "\\Settings", "Mode", ab, 2);
    char want[600];
    snprintf(want, sizeof want, "C:\\Windows\\System32\\DriverStore\\FileRepository\\%s\\sampledrv.sys", folder);
    ti_sz(SWK, "StorePath", REGDB_SZ, want);
    /* DDInstall.HW -> Enum\...\Device Parameters; UpperFilters is a device property in the Enum key */
    ti_dword(ENUMK "\\Device Parameters", "HwValue", 7);
    cr_assert(!ti_value_exists(ENUMK "\\Device Parameters", "UpperFilters"));
    const char *up[] = {"upperflt"};
    ti_multi(ENUMK, "UpperFilters", up, 1);
    /* service-install section -> Services\<name> */
    ti_dword("CCS\\Services\\sampledrv\\Parameters", "Level", 5);
    /* event log section -> Services\EventLog\System\<name> */
    ti_dword("CCS\\Services\\EventLog\\System\\sampledrv", "TypesSupported", 7);
    /* add-interface section -> the interface's Device Parameters */
    ti_sz("CCS\\Control\\DeviceClasses\\" TI_IFACE_GUID "\\##?#ROOT#SAMPLE#0000#" TI_IFACE_GUID
          "\\#\\Device Parameters",
          "FriendlyName", REGDB_SZ, "Sample interface");
    /* ClassInstall32 -> the (new) class key */
    ti_sz("CCS\\Control\\Class\\" TI_CLASS_GUID, "", REGDB_SZ, "Sample class");
    ti_sz("CCS\\Control\\Class\\" TI_CLASS_GUID, "Icon", REGDB_SZ, "-5");
    free(folder);
}

Test(install_device, writes_the_service_keys)
{
    char *folder = install_sample();
    const char *k = "CCS\\Services\\sampledrv";
    ti_dword(k, "Type", 1);
    ti_dword(k, "Start", 3);
    ti_dword(k, "ErrorControl", 1);
    char ip[600];
    snprintf(ip, sizeof ip, "\\SystemRoot\\System32\\DriverStore\\FileRepository\\%s\\sampledrv.sys", folder);
    ti_sz(k, "ImagePath", REGDB_EXPAND_SZ, ip);
    ti_sz(k, "DisplayName", REGDB_SZ, "Sample Service");
    ti_sz(k, "Description", REGDB_SZ, "Sample service description");
    ti_sz(k, "Group", REGDB_SZ, "Extended Base");
    const char *dep[] = {"dep1"}, *grp[] = {"grp1"}, *own[] = {"oem0.inf"};
    ti_multi(k, "DependOnService", dep, 1);
    ti_multi(k, "DependOnGroup", grp, 1);
    ti_multi(k, "Owners", own, 1);
    /* DIRID 12: the legacy \SystemRoot\System32\drivers form (reference §1.14) */
    ti_sz("CCS\\Services\\legacydrv", "ImagePath", REGDB_EXPAND_SZ, "\\SystemRoot\\System32\\drivers\\legacy.sys");
    ti_dword("CCS\\Services\\legacydrv", "Start", 3);
    free(folder);
}

Test(install_device, copies_files_outside_the_store_and_writes_hklm)
{
    char *folder = install_sample();
    size_t n;
    unsigned char *d = ti_vread("\\Windows\\System32\\drivers\\legacy.sys", &n);
    cr_assert(n == 8 && !memcmp(d, "MZlegacy", 8));
    free(d);
    /* DIRID 13 files are the store's: not copied anywhere */
    cr_assert_eq(ti_vexists("\\Windows\\System32\\drivers\\sampledrv.sys"), 0);
    ti_dword("\\Registry\\Machine\\SOFTWARE\\Contoso\\Sample", "Installed", 1);
    /* the installer's accesses are recorded, as the installer */
    cr_assert_gt(ti_events("DeviceInstall", "C:\\Windows\\System32\\drivers\\legacy.sys"), 0);
    cr_assert_gt(ti_events("DeviceInstall", "\\REGISTRY\\MACHINE\\SOFTWARE\\Contoso\\Sample"), 0);
    cr_assert_gt(ti_events("DeviceInstall", "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\sampledrv"), 0);
    free(folder);
}

Test(install_device, creates_the_interface_and_the_filters)
{
    free(install_sample());
    const char *ik = "CCS\\Control\\DeviceClasses\\" TI_IFACE_GUID "\\##?#ROOT#SAMPLE#0000#" TI_IFACE_GUID;
    ti_sz(ik, "DeviceInstance", REGDB_SZ, "ROOT\\SAMPLE\\0000");
    char rk[512];
    snprintf(rk, sizeof rk, "%s\\#", ik);
    ti_sz(rk, "SymbolicLink", REGDB_SZ, "\\\\?\\ROOT#SAMPLE#0000#" TI_IFACE_GUID);
    /* not enabled by the install: Control\Linked is the driver's business */
    snprintf(rk, sizeof rk, "%s\\#\\Control", ik);
    cr_assert(!ti_key_exists(rk));
    const char *low[] = {"lowerflt"};
    ti_multi(ENUMK, "LowerFilters", low, 1);
}

Test(install_device, class_install_runs_only_for_a_new_class)
{
    /* {4d36e97d-...} (System) is in the template: its key is not touched. */
    const char *text = "[Version]\nSignature=\"$Windows NT$\"\nClass=System\n"
                       "ClassGuid={4D36E97D-E325-11CE-BFC1-08002BE10318}\nProvider=P\nDriverVer=01/01/2020,1.0.0.0\n"
                       "[ClassInstall32]\nAddReg=C\n[C]\nHKR,,Marker,,\"x\"\n"
                       "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\n\"Sys dev\"=I,ROOT\\SYSDEV\n[I.NT]\n"
                       "[I.NT.Services]\nAddService=,2\n";
    char *inf = ti_write_inf(ti_dir, "sys.inf", text, TI_UTF16LE);
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), 0);
    char *inst = NULL;
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\SYSDEV", NULL, &inst), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert(!ti_value_exists("CCS\\Control\\Class\\{4d36e97d-e325-11ce-bfc1-08002be10318}", "Marker"));
    ti_sz("CCS\\Enum\\ROOT\\SYSDEV\\0000", "ClassGUID", REGDB_SZ, "{4d36e97d-e325-11ce-bfc1-08002be10318}");
    ti_sz("CCS\\Enum\\ROOT\\SYSDEV\\0000", "Driver", REGDB_SZ, "{4d36e97d-e325-11ce-bfc1-08002be10318}\\0000");
    /* a literal description is written as it is; the null driver means no Service */
    ti_sz("CCS\\Enum\\ROOT\\SYSDEV\\0000", "DeviceDesc", REGDB_SZ, "Sys dev");
    cr_assert(!ti_value_exists("CCS\\Enum\\ROOT\\SYSDEV\\0000", "Service"));
    ti_sz("CCS\\Control\\Class\\{4d36e97d-e325-11ce-bfc1-08002be10318}\\0000", "InfSectionExt", REGDB_SZ, ".NT");
    free(inst);
    free(inf);
}

Test(install_device, a_second_device_gets_the_next_instance_and_software_key)
{
    free(install_sample());
    char *inst = NULL;
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\SAMPLE", NULL, &inst), 0, "%s", pnpbox_errmsg(ti_m));
    cr_assert_str_eq(inst, "ROOT\\SAMPLE\\0001");
    ti_sz("CCS\\Enum\\ROOT\\SAMPLE\\0001", "Driver", REGDB_SZ, TI_CLASS_GUID "\\0001");
    ti_sz("CCS\\Control\\Class\\" TI_CLASS_GUID "\\0001", "InfPath", REGDB_SZ, "oem0.inf");
    /* the class is not new any more */
    ti_sz("CCS\\Control\\Class\\" TI_CLASS_GUID, "", REGDB_SZ, "Sample class");
    ti_sz("CCS\\Control\\DeviceClasses\\" TI_IFACE_GUID "\\##?#ROOT#SAMPLE#0001#" TI_IFACE_GUID, "DeviceInstance",
          REGDB_SZ, "ROOT\\SAMPLE\\0001");
    const char *own[] = {"oem0.inf"};
    ti_multi("CCS\\Services\\sampledrv", "Owners", own, 1);
    free(inst);
}

Test(install_device, default_and_explicit_instance_ids)
{
    struct {
        const char *hwid, *want;
    } cases[] = {
        {"PCI\\VEN_8086&DEV_1234", "PCI\\VEN_8086&DEV_1234\\0000"},
        {"pci\\ven_8086&dev_1234", "PCI\\VEN_8086&DEV_1234\\0001"},
        {"*PNP0501", "ROOT\\*PNP0501\\0000"},
        {"USB\\VID_1234&PID_5678\\REV_0001", "ROOT\\USB#VID_1234&PID_5678#REV_0001\\0000"},
        {"\\LEADING", "ROOT\\#LEADING\\0000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *inst = NULL;
        cr_assert_eq(pnpbox_device_add(ti_m, cases[i].hwid, NULL, &inst), 0, "%s: %s", cases[i].hwid,
                     pnpbox_errmsg(ti_m));
        cr_assert_str_eq(inst, cases[i].want);
        free(inst);
    }
    char *inst = NULL;
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\X", "USB\\VID_1\\Serial123", &inst), 0);
    cr_assert_str_eq(inst, "USB\\VID_1\\Serial123");
    free(inst);
    inst = (char *)0xdeadbeef;
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\X", "usb\\vid_1\\serial123", &inst), -EEXIST);
    cr_assert_null(inst);
    cr_assert_str_eq(pnpbox_errmsg(ti_m), "cannot add device 'usb\\vid_1\\serial123': it exists already");
    ti_snap s;
    ti_snap_take(&s);
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\X", "ROOT\\X", NULL), -EINVAL);
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\X", "A\\B\\C\\D", NULL), -EINVAL);
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\X", "A\\\\C", NULL), -EINVAL);
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\X", "A\\B C\\0", NULL), -EINVAL);
    cr_assert_eq(pnpbox_device_add(ti_m, "HAS,COMMA", NULL, NULL), -EINVAL);
    cr_assert(strstr(pnpbox_errmsg(ti_m), "hardware ID 'HAS,COMMA' is not a valid device ID"), "%s",
              pnpbox_errmsg(ti_m));
    cr_assert_eq(pnpbox_device_add(ti_m, "", NULL, NULL), -EINVAL);
    char longid[300];
    memset(longid, 'A', 201);
    longid[201] = 0;
    cr_assert_eq(pnpbox_device_add(ti_m, longid, NULL, NULL), -EINVAL);
    cr_assert_eq(pnpbox_device_add(ti_m, NULL, NULL, NULL), -EINVAL);
    cr_assert_eq(pnpbox_device_add(NULL, "ROOT\\X", NULL, NULL), -EINVAL);
    cr_assert_eq(pnpbox_device_add_ids(ti_m, NULL, 0, NULL, 0, NULL, NULL), -EINVAL);
    ti_snap_same(&s, "refused device adds");
}

Test(install_device, a_device_without_a_driver_has_problem_28)
{
    char *inst = NULL;
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\NODRIVER", NULL, &inst), 0);
    const char *k = "CCS\\Enum\\ROOT\\NODRIVER\\0000";
    const char *hw[] = {"ROOT\\NODRIVER"};
    ti_multi(k, "HardwareID", hw, 1);
    ti_dword(k, "ConfigFlags", 0x40); /* CONFIGFLAG_FAILEDINSTALL */
    cr_assert(!ti_value_exists(k, "Driver"));
    cr_assert(!ti_value_exists(k, "Service"));
    cr_assert(!ti_value_exists(k, "ClassGUID"));
    int started = -1;
    uint32_t problem = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_state(ti_m, inst, &started, &problem), 0);
    cr_assert_eq(started, 0);
    cr_assert_eq(problem, 28); /* CM_PROB_FAILED_INSTALL */
    int32_t st = 0;
    cr_assert_eq(pnpbox_device_start(ti_m, inst, &st), 0);
    cr_assert_eq(st, STATUS_NO_SUCH_DEVICE);
    free(inst);
}

static char *ranked_pkg(const char *name, const char *ver, const char *ids, int feature)
{
    char text[2048], fs[64] = "";
    if (feature >= 0)
        snprintf(fs, sizeof fs, "FeatureScore=0x%02x\n", feature);
    snprintf(text, sizeof text,
             "[Version]\nSignature=\"$Windows NT$\"\nClass=SampleClass\nClassGuid=" TI_CLASS_GUID
             "\nProvider=%s\nDriverVer=%s\n[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\n\"%s device\"=I,%s\n"
             "[I.NT]\n%s[I.NT.Services]\nAddService=%s,2,S\n[S]\nServiceType=1\nStartType=3\nErrorControl=1\n"
             "ServiceBinary=%%13%%\\%s.sys\n[SourceDisksNames]\n1=D\n[SourceDisksFiles]\n%s.sys=1\n",
             name, ver, name, ids, fs, name, name, name);
    char dir[4096], file[64];
    snprintf(dir, sizeof dir, "%s/%s", ti_dir, name);
    snprintf(file, sizeof file, "%s.sys", name);
    ti_write(dir, file, name, strlen(name));
    return ti_write_inf(dir, "r.inf", text, TI_UTF16LE);
}

Test(install_device, installs_the_best_ranked_driver_of_all_packages)
{
    /* compat-only match, staged first */
    char *a = ranked_pkg("compatdrv", "05/05/2025,9.0.0.0", "OTHER\\ID,ROOT\\RANKED", -1);
    /* hardware-ID match with a better FeatureScore than the default 0xff */
    char *b = ranked_pkg("hwdrv", "01/01/2020,1.0.0.0", "ROOT\\RANKED", 0x80);
    /* the same rank and date, a higher version: wins */
    char *c = ranked_pkg("hwdrv2", "01/01/2020,1.0.0.1", "ROOT\\RANKED", 0x80);
    /* newer, but the default FeatureScore ranks it lower */
    char *d = ranked_pkg("fsdrv", "01/01/2030,5.0.0.0", "ROOT\\RANKED", -1);
    char *p[4] = {a, b, c, d};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pnpbox_driver_add(ti_m, p[i], NULL), 0, "%s", pnpbox_errmsg(ti_m));
    char *inst = NULL;
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\RANKED", NULL, &inst), 0, "%s", pnpbox_errmsg(ti_m));
    ti_sz("CCS\\Enum\\ROOT\\RANKED\\0000", "Service", REGDB_SZ, "hwdrv2");
    ti_sz(SWK, "InfPath", REGDB_SZ, "oem2.inf");
    ti_sz(SWK, "DriverVersion", REGDB_SZ, "1.0.0.1");
    ti_sz(SWK, "MatchingDeviceId", REGDB_SZ, "root\\ranked");
    /* a device only one package offers a driver for */
    char *inst2 = NULL;
    cr_assert_eq(pnpbox_device_add(ti_m, "OTHER\\ID", NULL, &inst2), 0);
    cr_assert_str_eq(inst2, "OTHER\\ID\\0000");
    ti_sz("CCS\\Enum\\OTHER\\ID\\0000", "Service", REGDB_SZ, "compatdrv");
    free(inst);
    free(inst2);
    for (int i = 0; i < 4; i++)
        free(p[i]);
}

Test(install_device, list_reports_every_device)
{
    free(install_sample());
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\NODRIVER", NULL, NULL), 0);
    cr_assert_eq(pnpbox_devnode_create(ti_m, "ROOT\\BARE\\0000", "ROOT\\BARE", NULL, NULL), 0);
    pnpbox_device_info *v = (pnpbox_device_info *)0xdeadbeef;
    size_t n = 0xdeadbeef;
    cr_assert_eq(pnpbox_device_list(ti_m, &v, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(v[0].instance, "ROOT\\BARE\\0000");
    cr_assert_str_eq(v[0].service, "");
    cr_assert_eq(v[0].problem, 0);
    cr_assert_str_eq(v[1].instance, "ROOT\\NODRIVER\\0000");
    cr_assert_eq(v[1].problem, 28);
    cr_assert_str_eq(v[1].published, "");
    cr_assert_str_eq(v[2].instance, "ROOT\\SAMPLE\\0000");
    cr_assert_str_eq(v[2].hardware_id, "ROOT\\SAMPLE");
    cr_assert_str_eq(v[2].description, "Sample Device");
    cr_assert_str_eq(v[2].service, "sampledrv");
    cr_assert_str_eq(v[2].driver_key, TI_CLASS_GUID "\\0000");
    cr_assert_str_eq(v[2].published, "oem0.inf");
    cr_assert(!strncmp(v[2].folder, "sample.inf_amd64_", 17));
    cr_assert_eq(v[2].started, 0);
    cr_assert_eq(v[2].problem, 0);
    pnpbox_device_list_free(v, n);
    cr_assert_eq(pnpbox_device_list(ti_m, NULL, &n), -EINVAL);
}

Test(install_device, registry_roots_and_flags)
{
    const char *text =
        "[Version]\nSignature=\"$Windows NT$\"\nClass=SampleClass\nClassGuid=" TI_CLASS_GUID
        "\nProvider=P\nDriverVer=01/01/2020,1.0.0.0\n"
        "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nDev=I,ROOT\\FLAGS\n"
        "[I.NT]\nAddReg=A\nDelReg=D\n[I.NT.HW]\nAddReg=H\n"
        "[A]\n"
        "HKCR,\"CLSID\\{11111111-2222-3333-4444-555555555555}\",,,\"Thing\"\n"
        "HKCU,\"Software\\Contoso\",User,,\"u\"\n"
        "HKLM,\"SOFTWARE\\Contoso\",Wow,0x00004000,\"32\"\n"
        "HKLM,\"SYSTEM\\CurrentControlSet\\Services\\Other\",Legacy,0x00010001,9\n"
        "HKLM,\"SOFTWARE\\Contoso\",Keep,0x00000002,\"second\"\n"
        "HKR,,List,0x00010000,\"x\",\"y\"\n"
        "HKR,,List,0x00010008,\"y\",\"z\"\n"
        "[D]\nHKLM,\"SOFTWARE\\Contoso\",Old\n"
        "[H]\n"
        "HKR,,LowerFilters,0x00010000,\"f1\"\n"
        "HKR,,LowerFilters,0x00010008,\"f2\"\n"
        "HKR,,DeviceCharacteristics,0x00010001,0x100\n";
    /* HKLM\SOFTWARE\Contoso\Keep exists first: NOCLOBBER keeps it */
    regdb_key k;
    cr_assert_eq(regdb_create_key_u8(ti_m->reg, 0, "\\Registry\\Machine\\SOFTWARE\\Contoso", REGDB_CREATE_PATH, &k), 0);
    cr_assert_eq(regdb_set_sz(ti_m->reg, k, (const uint16_t *)L"Keep", (const uint16_t *)L"first"), 0);
    cr_assert_eq(regdb_set_sz(ti_m->reg, k, (const uint16_t *)L"Old", (const uint16_t *)L"o"), 0);
    char *inf = ti_write_inf(ti_dir, "flags.inf", text, TI_UTF16LE);
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), 0);
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\FLAGS", NULL, NULL), 0, "%s", pnpbox_errmsg(ti_m));
    ti_sz("\\Registry\\Machine\\SOFTWARE\\Classes\\CLSID\\{11111111-2222-3333-4444-555555555555}", "", REGDB_SZ,
          "Thing");
    ti_sz("\\Registry\\User\\S-1-5-18\\Software\\Contoso", "User", REGDB_SZ, "u");
    ti_sz("\\Registry\\Machine\\SOFTWARE\\WOW6432Node\\Contoso", "Wow", REGDB_SZ, "32");
    ti_dword("CCS\\Services\\Other", "Legacy", 9);
    ti_sz("\\Registry\\Machine\\SOFTWARE\\Contoso", "Keep", REGDB_SZ, "first");
    const char *xyz[] = {"x", "y", "z"}, *ff[] = {"f1", "f2"};
    ti_multi(SWK, "List", xyz, 3);
    cr_assert(!ti_value_exists("\\Registry\\Machine\\SOFTWARE\\Contoso", "Old"));
    ti_multi("CCS\\Enum\\ROOT\\FLAGS\\0000", "LowerFilters", ff, 2);
    ti_dword("CCS\\Enum\\ROOT\\FLAGS\\0000", "DeviceCharacteristics", 0x100);
    free(inf);
}

Test(install_device, a_destination_leaving_its_directory_is_refused)
{
    const char *text = "[Version]\nSignature=\"$Windows NT$\"\nClass=SampleClass\nClassGuid=" TI_CLASS_GUID
                       "\nProvider=P\nDriverVer=01/01/2020,1.0.0.0\n"
                       "[Manufacturer]\nM=M,NTamd64\n[M.NTamd64]\nDev=I,ROOT\\EVIL\n"
                       "[I.NT]\nCopyFiles=F\n[F]\nevil.sys\n[DestinationDirs]\nF=12,\"..\\..\\..\"\n"
                       "[SourceDisksNames]\n1=D\n[SourceDisksFiles]\nevil.sys=1\n";
    char *inf = ti_write_inf(ti_dir, "evil.inf", text, TI_UTF16LE);
    ti_write(ti_dir, "evil.sys", "evil", 4);
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), 0, "%s", pnpbox_errmsg(ti_m));
    ti_snap s;
    ti_snap_take(&s);
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\EVIL", NULL, NULL), -EINVAL);
    cr_assert(strstr(pnpbox_errmsg(ti_m), "evil.inf line ") && strstr(pnpbox_errmsg(ti_m), ".."), "%s",
              pnpbox_errmsg(ti_m));
    ti_snap_same(&s, "a destination outside its directory");
    cr_assert_eq(ti_vexists("\\evil.sys"), 0);
    free(inf);
}

Test(install_device, installs_in_enforce_mode)
{
    pnpbox_set_mode(ti_m, PNPBOX_MODE_ENFORCE);
    free(install_sample());
    ti_sz(ENUMK, "Service", REGDB_SZ, "sampledrv");
    cr_assert_eq(ti_vexists("\\Windows\\System32\\drivers\\legacy.sys"), 1);
    for (size_t i = 0; i < pnpbox_event_count(ti_m); i++)
        cr_assert_neq(pnpbox_event_get(ti_m, i)->outcome, PNPBOX_OUTCOME_DENIED);
}

/* ---------------------------------------------------------------- atomicity */

Test(install_device, every_injected_fault_leaves_nothing_behind)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    int n;
    for (n = 1; n < 200; n++) {
        pnpbox_machine_free(ti_m);
        cr_assert_eq(pnpbox_machine_new(NULL, &ti_m), 0);
        cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), 0);
        /* something to overwrite: the legacy copy's destination exists (it must come back) */
        char *h = ti_host("\\Windows\\System32\\drivers\\legacy.sys");
        FILE *f = fopen(h, "w");
        fputs("old legacy", f);
        fclose(f);
        free(h);
        ti_snap s;
        ti_snap_take(&s);
        cr_assert_eq(pnpbox_fault_add(ti_m, "*", (unsigned)n, 0), 0);
        char *inst = (char *)0xdeadbeef;
        int rc = pnpbox_device_add(ti_m, "ROOT\\SAMPLE", NULL, &inst);
        if (rc == 0) {
            cr_assert_str_eq(inst, "ROOT\\SAMPLE\\0000");
            free(inst);
            ti_snap_free(&s);
            break;
        }
        cr_assert_eq(rc, -ENOMEM, "fault %d: %d %s", n, rc, pnpbox_errmsg(ti_m));
        cr_assert_null(inst);
        cr_assert(strstr(pnpbox_errmsg(ti_m), "injected fault 'DeviceInstall:"), "%s", pnpbox_errmsg(ti_m));
        char what[64];
        snprintf(what, sizeof what, "fault %d", n);
        ti_snap_same(&s, what);
    }
    cr_assert_gt(n, 20, "only %d fault points in a device install", n - 1);
    size_t len;
    unsigned char *d = ti_vread("\\Windows\\System32\\drivers\\legacy.sys", &len);
    cr_assert(len == 8 && !memcmp(d, "MZlegacy", 8));
    free(d);
    free(inf);
}

Test(install_device, a_volume_error_leaves_nothing_behind)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), 0);
    /* a directory where the legacy file goes */
    char *h = ti_host("\\Windows\\System32\\drivers\\legacy.sys");
    cr_assert_eq(mkdir(h, 0755), 0);
    free(h);
    ti_snap s;
    ti_snap_take(&s);
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\SAMPLE", NULL, NULL), -EISDIR);
    cr_assert(strstr(pnpbox_errmsg(ti_m), "sample.inf line ") &&
                  strstr(pnpbox_errmsg(ti_m), "destination 'C:\\Windows\\System32\\drivers\\legacy.sys' is a directory"),
              "%s", pnpbox_errmsg(ti_m));
    ti_snap_same(&s, "a volume error");
    free(inf);
}

Test(install_device, a_registry_error_leaves_nothing_behind)
{
    char *inf = ti_sample_pkg("pkg", VER1, "SYS1");
    cr_assert_eq(pnpbox_driver_add(ti_m, inf, NULL), 0);
    /* a volatile Services\legacydrv: its non-volatile subkeys cannot be created... and a volatile
     * EventLog\System makes the event log key fail halfway through the install */
    regdb_key k;
    cr_assert_eq(regdb_create_key_u8(ti_m->reg, 0,
                                     "\\Registry\\Machine\\SYSTEM\\ControlSet001\\Services\\EventLog\\System",
                                     REGDB_CREATE_VOLATILE | REGDB_CREATE_PATH, &k),
                 0);
    ti_snap s;
    ti_snap_take(&s);
    cr_assert_eq(pnpbox_device_add(ti_m, "ROOT\\SAMPLE", NULL, NULL), -EIO);
    cr_assert(strstr(pnpbox_errmsg(ti_m), "cannot create key") && strstr(pnpbox_errmsg(ti_m), "EventLog"), "%s",
              pnpbox_errmsg(ti_m));
    ti_snap_same(&s, "a registry error");
    free(inf);
}
