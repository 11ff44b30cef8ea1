/*
 * test_plan.c: the install plan: exact registry data bytes, types and roots
 * for every AddReg flag and HKR context, file destinations and sources,
 * services with the values the SCM writes, interfaces, filters,
 * Include/Needs, the package file list and the DIRID table (reference
 * §1.14, §1.15, §2).
 */
#include "tests/inf/tinf.h"
#include "base/pb_utf16.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORE "C:\\Windows\\System32\\DriverStore\\FileRepository\\test.inf_amd64_0123456789abcdef"

static const char plan_inf[] =
    "[Version]\n"
    "Signature=\"$Windows NT$\"\nClass=Sample\nClassGuid={78A1C341-4539-11d3-B88D-00C04FAD5171}\n"
    "Provider=%Prov%\nDriverVer=01/02/2024,1.2.3.4\nPnpLockdown=1\n"
    "[Manufacturer]\n%Mfg%=Models,NTamd64\n"
    "[Models.NTamd64]\n%Dev%=Dev_Inst, ROOT\\SAMPLE\n"
    "[Dev_Inst.NT]\nCopyFiles=Drv.Files, @extra.dll\nAddReg=Dev.Reg\n"
    "[Dev_Inst.NT.HW]\nAddReg=Dev.HW.Reg\n"
    "[Dev_Inst.NT.Services]\nAddService=sample,0x00000002,Sample.Svc,Sample.EventLog\n"
    "[Dev_Inst.NT.Interfaces]\nAddInterface={11111111-2222-3333-4444-555555555555},Ref1,Iface.Sect\n"
    "[Dev_Inst.NT.Filters]\nAddFilter=myfilter,,Filter.Sect\n"
    "[Filter.Sect]\nFilterPosition=Upper\n"
    "[Iface.Sect]\nAddReg=Iface.Reg\n"
    "[Iface.Reg]\nHKR,,FriendlyName,,\"Iface\"\n"
    "[Sample.Svc]\nServiceType=1\nStartType=3\nErrorControl=1\nServiceBinary=%13%\\sample.sys\n"
    "LoadOrderGroup=Extended Base\nDependencies=dep1,+grp1\nDisplayName=%SvcName%\nAddReg=Svc.Reg\n"
    "[Svc.Reg]\nHKR,Parameters,Level,0x00010001,5\n"
    "[Sample.EventLog]\nAddReg=EventLog.Reg\n"
    "[EventLog.Reg]\nHKR,,TypesSupported,0x00010001,7\n"
    "[Dev.Reg]\n"
    "HKR,,Sz,,\"hello\"\n"
    "HKR,,Multi,0x00010000,\"a\",\"\",\"b\"\n"
    "HKR,,Dword,0x00010001,0x12345678\n"
    "HKR,,Neg,0x00010001,-1\n"
    "HKR,,Bin,1,de,ad,BE,ef\n"
    "HKR,,Custom,0x00380001,01,02\n"
    "HKR,,Expand,0x00020000,\"%13%\\x.dll\"\n"
    "HKR,,Path,,\"%13%\\x.dll\"\n"
    "HKR,,Keep,0x00000002,\"v\"\n"
    "HKR,,App,0x00010008,\"s1\"\n"
    "HKR,Sub\n"
    "HKR,Sub2,,0x10\n"
    "HKR,,Gone,0x4\n"
    "HKR,,Qword,0x000B0001,1,2,3,4,5,6,7,8\n"
    "HKR,,None,0x00020001\n"
    "HKR,,Empty\n"
    "HKR,,DwBytes,0x00010001,01,00,00,00\n"
    "HKR,,Views,0x00005000,\"both\"\n"
    "HKR,,Only,0x00000020,\"o\"\n"
    "HKLM,\"SOFTWARE\\Contoso\",Global,0x00010001,1\n"
    "[Dev.HW.Reg]\nHKR,,DeviceHwValue,0x00010001,1\n"
    "[Drv.Files]\nsample.sys\nrenamed.sys,orig.sys,,0x4\n"
    "[DestinationDirs]\nDefaultDestDir=13\nDrv.Files=12,sub\n"
    "[SourceDisksNames]\n1=%Disk%,,,\\src\n"
    "[SourceDisksNames.amd64]\n2=%Disk%,,,x64\n"
    "[SourceDisksFiles]\nsample.sys=1,inner\norig.sys=1\nextra.dll=1\nunused.bin=1,data\\blobs\n"
    "[SourceDisksFiles.amd64]\nsample.sys=2\n"
    "[Strings]\nProv=Contoso\nMfg=Contoso\nDev=\"Sample device\"\nSvcName=\"Sample service\"\nDisk=\"Disk 1\"\n";

static inf_plan *device_plan(inf_file *f)
{
    static const uint16_t *const hw[] = {WS("ROOT\\SAMPLE")};
    inf_plan_opts o = {0};
    o.store_dir = STORE;
    inf_plan *p = NULL;
    cr_assert_eq(emu_inf_plan_device(f, &o, hw, 1, NULL, 0, &p), 0);
    return p;
}

static const inf_op *reg_op(const inf_plan *p, const char *value)
{
    for (size_t i = 0; i < p->nops; i++)
        if (p->ops[i].kind == INF_OP_REG && !strcmp(t_w(p->ops[i].u.reg.value_name), value))
            return &p->ops[i];
    cr_assert_fail("no registry op for value '%s'", value);
    return NULL;
}

static const inf_op *key_op(const inf_plan *p, const char *subkey)
{
    for (size_t i = 0; i < p->nops; i++)
        if (p->ops[i].kind == INF_OP_REG && !strcmp(t_w(p->ops[i].u.reg.subkey), subkey))
            return &p->ops[i];
    cr_assert_fail("no registry op for key '%s'", subkey);
    return NULL;
}

/* UTF-16LE bytes of ASCII/UTF-8 pieces, each followed by a NUL; extra_nul adds the MULTI_SZ end. */
static size_t wbytes(unsigned char *out, const char *s)
{
    uint16_t *w = NULL;
    size_t n = 0;
    cr_assert_eq(pb_utf8_to_utf16(s, strlen(s), &w, &n), 0);
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = (unsigned char)(w[i] & 0xff);
        out[2 * i + 1] = (unsigned char)(w[i] >> 8);
    }
    out[2 * n] = out[2 * n + 1] = 0;
    free(w);
    return 2 * n + 2;
}

static void assert_data(const inf_op *op, uint32_t type, const void *bytes, size_t n)
{
    const inf_reg_op *r = &op->u.reg;
    cr_assert_eq(r->action, INF_REGOP_SET_VALUE, "%s: action %d", t_w(r->value_name), r->action);
    cr_assert_eq(r->type, type, "%s: type %u", t_w(r->value_name), r->type);
    cr_assert_eq(r->data_len, n, "%s: %zu bytes, want %zu", t_w(r->value_name), r->data_len, n);
    cr_assert(!n || !memcmp(r->data, bytes, n), "%s: data differs", t_w(r->value_name));
}

static void assert_sz(const inf_op *op, uint32_t type, const char *s)
{
    unsigned char b[1024];
    size_t n = wbytes(b, s);
    assert_data(op, type, b, n);
}

Test(inf_plan, registry_data_bytes)
{
    inf_file *f = t_parse(plan_inf);
    inf_plan *p = device_plan(f);
    assert_sz(reg_op(p, "Sz"), INF_REG_SZ, "hello");
    static const unsigned char multi[] = {'a', 0, 0, 0, 'b', 0, 0, 0, 0, 0};
    assert_data(reg_op(p, "Multi"), INF_REG_MULTI_SZ, multi, sizeof multi);
    static const unsigned char dw[] = {0x78, 0x56, 0x34, 0x12};
    assert_data(reg_op(p, "Dword"), INF_REG_DWORD, dw, 4);
    static const unsigned char neg[] = {0xff, 0xff, 0xff, 0xff};
    assert_data(reg_op(p, "Neg"), INF_REG_DWORD, neg, 4);
    static const unsigned char bin[] = {0xde, 0xad, 0xbe, 0xef};
    assert_data(reg_op(p, "Bin"), INF_REG_BINARY, bin, 4);
    static const unsigned char custom[] = {1, 2};
    assert_data(reg_op(p, "Custom"), 0x38, custom, 2);
    assert_sz(reg_op(p, "Expand"), INF_REG_EXPAND_SZ,
              "%SystemRoot%\\System32\\DriverStore\\FileRepository\\test.inf_amd64_0123456789abcdef\\x.dll");
    assert_sz(reg_op(p, "Path"), INF_REG_SZ, STORE "\\x.dll");
    static const unsigned char qw[] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_data(reg_op(p, "Qword"), INF_REG_QWORD, qw, 8);
    assert_data(reg_op(p, "None"), INF_REG_NONE, NULL, 0);
    assert_sz(reg_op(p, "Empty"), INF_REG_SZ, "");
    static const unsigned char one[] = {1, 0, 0, 0};
    assert_data(reg_op(p, "DwBytes"), INF_REG_DWORD, one, 4);
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

Test(inf_plan, registry_flags_and_actions)
{
    inf_file *f = t_parse(plan_inf);
    inf_plan *p = device_plan(f);
    const inf_op *op = reg_op(p, "Keep");
    cr_assert_eq(op->u.reg.exec_flags, INF_REGF_NOCLOBBER);
    op = reg_op(p, "App");
    cr_assert_eq(op->u.reg.exec_flags, INF_REGF_APPEND);
    static const unsigned char s1[] = {'s', 0, '1', 0, 0, 0, 0, 0};
    assert_data(op, INF_REG_MULTI_SZ, s1, sizeof s1);
    cr_assert_eq(reg_op(p, "Views")->u.reg.exec_flags, INF_REGF_64BIT | INF_REGF_32BIT);
    cr_assert_eq(reg_op(p, "Only")->u.reg.exec_flags, INF_REGF_OVERWRITEONLY);
    cr_assert_eq(key_op(p, "Sub")->u.reg.action, INF_REGOP_CREATE_KEY);
    cr_assert_eq(key_op(p, "Sub2")->u.reg.action, INF_REGOP_CREATE_KEY);
    op = reg_op(p, "Gone");
    cr_assert_eq(op->u.reg.action, INF_REGOP_DELETE_VALUE);
    cr_assert_eq(op->u.reg.inf_flags, INF_ADDREG_DELVAL);
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

Test(inf_plan, hkr_roots_follow_the_section)
{
    inf_file *f = t_parse(plan_inf);
    inf_plan *p = device_plan(f);
    const inf_op *op = reg_op(p, "Sz");
    cr_assert_eq(op->u.reg.root, INF_ROOT_SOFTWARE);
    cr_assert_eq(op->context, INF_CTX_DDINSTALL);
    cr_assert_str_eq(t_w(op->install), "Dev_Inst.NT");
    cr_assert_str_eq(t_w(op->section), "Dev.Reg");
    cr_assert_eq(op->lineno, 45);
    cr_assert_str_eq(op->file, "test.inf");
    op = reg_op(p, "DeviceHwValue");
    cr_assert_eq(op->u.reg.root, INF_ROOT_HARDWARE);
    op = reg_op(p, "Level");
    cr_assert_eq(op->u.reg.root, INF_ROOT_SERVICE);
    cr_assert_str_eq(t_w(op->u.reg.root_arg1), "sample");
    cr_assert_str_eq(t_w(op->u.reg.subkey), "Parameters");
    cr_assert_eq(op->context, INF_CTX_SERVICE_INSTALL);
    static const unsigned char five[] = {5, 0, 0, 0};
    assert_data(op, INF_REG_DWORD, five, 4);
    op = reg_op(p, "TypesSupported");
    cr_assert_eq(op->u.reg.root, INF_ROOT_EVENTLOG);
    cr_assert_str_eq(t_w(op->u.reg.root_arg1), "System");
    cr_assert_str_eq(t_w(op->u.reg.root_arg2), "sample");
    op = reg_op(p, "FriendlyName");
    cr_assert_eq(op->u.reg.root, INF_ROOT_INTERFACE);
    cr_assert_str_eq(t_w(op->u.reg.root_arg1), "{11111111-2222-3333-4444-555555555555}");
    cr_assert_str_eq(t_w(op->u.reg.root_arg2), "Ref1");
    op = reg_op(p, "Global");
    cr_assert_eq(op->u.reg.root, INF_ROOT_HKLM);
    cr_assert_str_eq(t_w(op->u.reg.subkey), "SOFTWARE\\Contoso");
    cr_assert_eq(op->u.reg.root_arg1.n, 0);
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

static const inf_op *copy_op(const inf_plan *p, const char *dest)
{
    for (size_t i = 0; i < p->nops; i++)
        if (p->ops[i].kind == INF_OP_COPY && !strcmp(t_w(p->ops[i].u.file.dest_name), dest))
            return &p->ops[i];
    cr_assert_fail("no copy of '%s'", dest);
    return NULL;
}

Test(inf_plan, file_copies)
{
    inf_file *f = t_parse(plan_inf);
    inf_plan *p = device_plan(f);
    const inf_op *op = copy_op(p, "sample.sys");
    const inf_file_op *fo = &op->u.file;
    cr_assert_eq(fo->dest_dirid, 12);
    cr_assert_str_eq(t_w(fo->dest_subdir), "sub");
    cr_assert_str_eq(t_w(fo->dest_path), "C:\\Windows\\System32\\drivers\\sub\\sample.sys");
    cr_assert_str_eq(t_w(fo->src_name), "sample.sys");
    cr_assert_str_eq(t_w(fo->src_subdir), "x64", "SourceDisksFiles.amd64 comes first");
    cr_assert_eq(fo->disk_id, 2);
    cr_assert_str_eq(t_w(fo->list_section), "Drv.Files");
    op = copy_op(p, "renamed.sys");
    cr_assert_str_eq(t_w(op->u.file.src_name), "orig.sys");
    cr_assert_str_eq(t_w(op->u.file.src_subdir), "src", "SourceDisksNames path, leading '\\' dropped");
    cr_assert_eq(op->u.file.flags, INF_COPYFLG_NOVERSIONCHECK);
    op = copy_op(p, "extra.dll");
    cr_assert_eq(op->u.file.dest_dirid, 13, "@file goes to DefaultDestDir");
    cr_assert_str_eq(t_w(op->u.file.dest_path), STORE "\\extra.dll");
    cr_assert_eq(op->u.file.list_section.n, 0);
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

Test(inf_plan, services_and_scm_values)
{
    inf_file *f = t_parse(plan_inf);
    inf_plan *p = device_plan(f);
    const inf_op *sv = NULL;
    size_t svi = 0;
    for (size_t i = 0; i < p->nops; i++)
        if (p->ops[i].kind == INF_OP_SERVICE) {
            sv = &p->ops[i];
            svi = i;
        }
    cr_assert(sv);
    const inf_service_op *s = &sv->u.service;
    cr_assert_str_eq(t_w(s->name), "sample");
    cr_assert_eq(s->flags, INF_SVC_ASSOCSERVICE);
    cr_assert(s->has_type && s->service_type == 1);
    cr_assert(s->has_start && s->start_type == 3);
    cr_assert(s->has_error && s->error_control == 1);
    cr_assert_str_eq(t_w(s->binary), "%13%\\sample.sys");
    cr_assert_eq(s->binary_dirid, 13);
    cr_assert_str_eq(t_w(s->binary_rel), "sample.sys");
    cr_assert_str_eq(t_w(s->image_path),
                     "\\SystemRoot\\System32\\DriverStore\\FileRepository\\test.inf_amd64_0123456789abcdef\\sample.sys");
    cr_assert_str_eq(t_w(s->load_order_group), "Extended Base");
    cr_assert_eq(s->ndependencies, 2);
    cr_assert_str_eq(t_w(s->dependencies[1]), "+grp1");
    cr_assert_str_eq(t_w(s->display_name), "Sample service");
    cr_assert_str_eq(t_w(s->install_section), "Sample.Svc");
    cr_assert_str_eq(t_w(s->eventlog_section), "Sample.EventLog");
    /* The SCM values follow the service op. */
    const char *names[] = {"Type", "Start", "ErrorControl", "ImagePath", "DisplayName", "Group", "DependOnService",
                           "DependOnGroup"};
    for (size_t k = 0; k < 8; k++) {
        const inf_op *v = &p->ops[svi + 1 + k];
        cr_assert_eq(v->kind, INF_OP_REG);
        cr_assert_str_eq(v->directive, "SCM");
        cr_assert_str_eq(t_w(v->u.reg.value_name), names[k]);
        cr_assert_eq(v->u.reg.root, INF_ROOT_SERVICE);
        cr_assert_str_eq(t_w(v->u.reg.root_arg1), "sample");
        cr_assert(v->u.reg.exec_flags & INF_REGF_SCM);
    }
    static const unsigned char three[] = {3, 0, 0, 0};
    assert_data(&p->ops[svi + 2], INF_REG_DWORD, three, 4);
    assert_sz(&p->ops[svi + 4], INF_REG_EXPAND_SZ, t_w(s->image_path));
    static const unsigned char dep[] = {'d', 0, 'e', 0, 'p', 0, '1', 0, 0, 0, 0, 0};
    assert_data(&p->ops[svi + 7], INF_REG_MULTI_SZ, dep, sizeof dep);
    static const unsigned char grp[] = {'g', 0, 'r', 0, 'p', 0, '1', 0, 0, 0, 0, 0};
    assert_data(&p->ops[svi + 8], INF_REG_MULTI_SZ, grp, sizeof grp);
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

Test(inf_plan, interfaces_filters_and_order)
{
    inf_file *f = t_parse(plan_inf);
    inf_plan *p = device_plan(f);
    cr_assert(p->has_node);
    cr_assert_str_eq(t_s(p->node.description), "Sample device");
    cr_assert_str_eq(t_s(p->node.ddinstall), "Dev_Inst.NT");
    cr_assert_eq(p->node.rank, 0x00FF0000);
    /* Files first, then interfaces, the software key, the hardware key, services, filters. */
    int last = 0;
    for (size_t i = 0; i < p->nops; i++) {
        const inf_op *op = &p->ops[i];
        int phase = -1;
        switch (op->kind) {
        case INF_OP_COPY: phase = 0; break;
        case INF_OP_INTERFACE: phase = 1; break;
        case INF_OP_SERVICE: phase = 4; break;
        case INF_OP_FILTER: phase = 5; break;
        case INF_OP_REG:
            phase = op->context == INF_CTX_ADD_INTERFACE ? 1
                    : op->context == INF_CTX_DDINSTALL   ? 2
                    : op->context == INF_CTX_HW          ? 3
                                                         : 4;
            break;
        default: cr_assert_fail("unexpected op kind %d", op->kind);
        }
        cr_assert_geq(phase, last, "op %zu (kind %d, line %u) out of order", i, op->kind, op->lineno);
        last = phase;
    }
    cr_assert_eq(last, 5);
    const inf_op *io = NULL, *fl = NULL;
    for (size_t i = 0; i < p->nops; i++) {
        if (p->ops[i].kind == INF_OP_INTERFACE)
            io = &p->ops[i];
        if (p->ops[i].kind == INF_OP_FILTER)
            fl = &p->ops[i];
    }
    cr_assert(io && fl);
    cr_assert_str_eq(t_w(io->u.iface.guid), "{11111111-2222-3333-4444-555555555555}");
    cr_assert_str_eq(t_w(io->u.iface.reference), "Ref1");
    cr_assert_str_eq(t_w(io->u.iface.section), "Iface.Sect");
    cr_assert_str_eq(t_w(fl->u.filter.name), "myfilter");
    cr_assert_str_eq(t_w(fl->u.filter.position), "Upper");
    cr_assert_eq(fl->u.filter.level.n, 0);
    cr_assert_eq(p->nissues, 0, "a clean INF plans without issues");
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

Test(inf_plan, package_plan_and_files)
{
    inf_file *f = t_parse(plan_inf);
    inf_plan *p = NULL;
    cr_assert_eq(emu_inf_plan_package(f, NULL, 0, &p), 0);
    cr_assert(!p->has_node);
    cr_assert_gt(p->nops, 20);
    cr_assert_eq(p->nfiles, 4);
    const inf_package_file *pf = NULL;
    for (size_t i = 0; i < p->nfiles; i++) {
        const inf_package_file *x = &p->files[i];
        if (!strcmp(t_w(x->name), "sample.sys")) {
            cr_assert_str_eq(t_w(x->src_subdir), "x64");
            cr_assert(x->listed && x->copied);
        } else if (!strcmp(t_w(x->name), "unused.bin")) {
            cr_assert_str_eq(t_w(x->src_subdir), "src\\data\\blobs");
            cr_assert(x->listed && !x->copied);
            pf = x;
        }
    }
    cr_assert(pf);
    /* The default store folder when none is given. */
    const inf_op *op = copy_op(p, "extra.dll");
    cr_assert_str_eq(t_w(op->u.file.dest_path),
                     "C:\\Windows\\System32\\DriverStore\\FileRepository\\test.inf_amd64_0000000000000000\\extra.dll");
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

Test(inf_plan, no_matching_device)
{
    inf_file *f = t_parse(plan_inf);
    static const uint16_t *const hw[] = {WS("ROOT\\OTHER")};
    inf_plan *p = (inf_plan *)0xdeadbeef;
    cr_assert_eq(emu_inf_plan_device(f, NULL, hw, 1, NULL, 0, &p), INF_E_NOTFOUND);
    cr_assert_null(p);
    emu_inf_free(f);
}

static inf_plan *package(const char *text, inf_file **fp)
{
    inf_file *f = t_parse(text);
    inf_plan *p = NULL;
    cr_assert_eq(emu_inf_plan_package(f, NULL, 0, &p), 0);
    *fp = f;
    return p;
}

static int has_issue(const inf_plan *p, int code, const char *text)
{
    for (size_t i = 0; i < p->nissues; i++)
        if (p->issues[i].code == code && (!text || strstr(p->issues[i].message, text)))
            return 1;
    return 0;
}

Test(inf_plan, delreg_actions)
{
    inf_file *f;
    inf_plan *p = package("[DefaultInstall.NTamd64]\nDelReg=D\n"
                          "[D]\nHKLM,Software\\X\nHKLM,Software\\Y,Val\nHKLM,Software\\Z,List,0x00018002,gone\n"
                          "HKLM,Software\\W,Name,0x2000\n",
                          &f);
    cr_assert_eq(key_op(p, "Software\\X")->u.reg.action, INF_REGOP_DELETE_KEY);
    cr_assert_eq(key_op(p, "Software\\Y")->u.reg.action, INF_REGOP_DELETE_VALUE);
    const inf_op *op = key_op(p, "Software\\Z");
    cr_assert_eq(op->u.reg.action, INF_REGOP_DELETE_STRING);
    static const unsigned char gone[] = {'g', 0, 'o', 0, 'n', 0, 'e', 0, 0, 0, 0, 0};
    cr_assert_eq(op->u.reg.data_len, sizeof gone);
    cr_assert(!memcmp(op->u.reg.data, gone, sizeof gone));
    cr_assert_eq(key_op(p, "Software\\W")->u.reg.action, INF_REGOP_DELETE_KEY);
    cr_assert_eq(key_op(p, "Software\\X")->context, INF_CTX_DEFAULTINSTALL);
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

Test(inf_plan, bad_lines_become_issues)
{
    inf_file *f;
    inf_plan *p = package("[DefaultInstall]\nAddReg=A\n"
                          "[A]\nHKR,,NoHkrHere,,x\nHKXX,,Bad,,x\nHKLM,S,T,0x00030000,x\nHKLM,S,U,zz,x\n"
                          "HKLM,S,V,0x00010001,notanumber\nHKLM,S,W,1,1FF\nHKLM,S,Ok,,fine\n",
                          &f);
    cr_assert(has_issue(p, 1224, "\"HKR\""), "HKR is not allowed from DefaultInstall");
    cr_assert(has_issue(p, 1224, "\"HKXX\""));
    cr_assert(has_issue(p, 0, "type flags"));
    cr_assert(has_issue(p, 0, "flags 'zz'"));
    cr_assert(has_issue(p, 0, "REG_DWORD"));
    cr_assert(has_issue(p, 0, "binary byte"));
    size_t regs = 0;
    for (size_t i = 0; i < p->nops; i++)
        regs += p->ops[i].kind == INF_OP_REG;
    cr_assert_eq(regs, 1, "only the good line becomes an op");
    cr_assert_str_eq(t_w(key_op(p, "S")->u.reg.value_name), "Ok");
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

Test(inf_plan, class_install_root)
{
    inf_file *f;
    inf_plan *p = package("[Version]\nClassGuid={AAAAAAAA-0000-0000-0000-000000000001}\n"
                          "[ClassInstall32]\nAddReg=C\n[C]\nHKR,,,0,\"Class name\"\n",
                          &f);
    const inf_op *op = reg_op(p, "");
    cr_assert_eq(op->u.reg.root, INF_ROOT_CLASS);
    cr_assert_str_eq(t_w(op->u.reg.root_arg1), "{AAAAAAAA-0000-0000-0000-000000000001}");
    assert_sz(op, INF_REG_SZ, "Class name");
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

Test(inf_plan, destination_fallback_and_missing_source)
{
    inf_file *f;
    inf_plan *p = package("[DefaultInstall.NTamd64]\nCopyFiles=L\n[L]\nfile.sys\n", &f);
    const inf_op *op = copy_op(p, "file.sys");
    cr_assert_eq(op->u.file.dest_dirid, 11);
    cr_assert_str_eq(t_w(op->u.file.dest_path), "C:\\Windows\\System32\\file.sys");
    cr_assert_eq(op->u.file.disk_id, -1);
    cr_assert(has_issue(p, 1275, "[L]"));
    cr_assert(has_issue(p, 1230, "file.sys"));
    cr_assert_eq(p->nfiles, 1);
    cr_assert(!p->files[0].listed && p->files[0].copied);
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

Test(inf_plan, image_paths)
{
    inf_file *f;
    inf_plan *p = package("[DefaultInstall.NTamd64.Services]\n"
                          "AddService=k12,,K12\nAddService=win32,,W32\nAddService=abs,,Abs\nAddService=,2\n"
                          "[K12]\nServiceType=1\nServiceBinary=%12%\\k.sys\n"
                          "[W32]\nServiceType=0x10\nServiceBinary=%13%\\svc.exe\n"
                          "[Abs]\nServiceType=2\nServiceBinary=D:\\drivers\\fs.sys\n"
                          "[DefaultInstall.NTamd64]\n",
                          &f);
    const char *want[] = {"\\SystemRoot\\System32\\drivers\\k.sys",
                          "C:\\Windows\\System32\\DriverStore\\FileRepository\\test.inf_amd64_0000000000000000\\svc.exe",
                          "\\??\\D:\\drivers\\fs.sys"};
    size_t k = 0, nulls = 0;
    for (size_t i = 0; i < p->nops; i++) {
        if (p->ops[i].kind != INF_OP_SERVICE)
            continue;
        if (!p->ops[i].u.service.name.n) {
            nulls++;
            cr_assert_eq(p->ops[i].u.service.flags, INF_SVC_ASSOCSERVICE, "the null driver");
            continue;
        }
        cr_assert_lt(k, 3);
        cr_assert_str_eq(t_w(p->ops[i].u.service.image_path), want[k]);
        k++;
    }
    cr_assert_eq(k, 3);
    cr_assert_eq(nulls, 1);
    cr_assert_eq(p->ops[p->nops - 1].kind, INF_OP_SERVICE, "the null driver writes no values");
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

Test(inf_plan, service_noclobber_flags)
{
    inf_file *f;
    inf_plan *p = package("[DefaultInstall.NTamd64]\n[DefaultInstall.NTamd64.Services]\nAddService=s,0x1F8,S\n"
                          "[S]\nServiceType=1\nStartType=3\nErrorControl=1\nDisplayName=d\nDescription=x\n"
                          "LoadOrderGroup=g\nDependencies=a\nStartName=\\Driver\\s\n",
                          &f);
    cr_assert_eq(reg_op(p, "Type")->u.reg.exec_flags, INF_REGF_SCM);
    cr_assert_eq(reg_op(p, "Start")->u.reg.exec_flags, INF_REGF_SCM | INF_REGF_NOCLOBBER);
    cr_assert_eq(reg_op(p, "ErrorControl")->u.reg.exec_flags, INF_REGF_SCM | INF_REGF_NOCLOBBER);
    cr_assert_eq(reg_op(p, "DisplayName")->u.reg.exec_flags, INF_REGF_SCM | INF_REGF_NOCLOBBER);
    cr_assert_eq(reg_op(p, "Description")->u.reg.exec_flags, INF_REGF_SCM | INF_REGF_NOCLOBBER);
    cr_assert_eq(reg_op(p, "Group")->u.reg.exec_flags, INF_REGF_SCM | INF_REGF_NOCLOBBER);
    cr_assert_eq(reg_op(p, "DependOnService")->u.reg.exec_flags, INF_REGF_SCM | INF_REGF_NOCLOBBER);
    assert_sz(reg_op(p, "ObjectName"), INF_REG_SZ, "\\Driver\\s");
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

static const char needs_inf[] = "[Manufacturer]\nM=Mod,NTamd64\n[Mod.NTamd64]\nd=I,ROOT\\X\n"
                                "[I.NT]\nInclude=machine.inf\nNeeds=Base.Install\nAddReg=Own\n"
                                "[Own]\nHKR,,Own,,1\n[DestinationDirs]\nDefaultDestDir=13\n";

Test(inf_plan, include_unavailable_is_a_warning)
{
    inf_file *f = t_parse(needs_inf);
    static const uint16_t *const hw[] = {WS("ROOT\\X")};
    inf_plan *p = NULL;
    cr_assert_eq(emu_inf_plan_device(f, NULL, hw, 1, NULL, 0, &p), 0);
    cr_assert_eq(p->nissues, 1);
    cr_assert_eq(p->issues[0].severity, INF_SEV_WARNING);
    cr_assert_str_eq(p->issues[0].message, "system INF 'machine.inf' is not available; its sections were skipped");
    cr_assert_eq(p->issues[0].lineno, 6);
    cr_assert_str_eq(t_w(reg_op(p, "Own")->u.reg.value_name), "Own");
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

Test(inf_plan, include_available_is_processed)
{
    inf_file *f = t_parse(needs_inf);
    size_t n;
    unsigned char *b = t_encode("[Base.Install]\nAddReg=BaseReg\nCopyFiles=BaseFiles\n[BaseReg]\nHKR,,FromMachine,0x10001,7\n"
                                "[BaseFiles]\nbase.sys\n[DestinationDirs]\nBaseFiles=12\n[SourceDisksFiles]\nbase.sys=1\n",
                                T_U16LE, &n);
    inf_file *machine = NULL;
    cr_assert_eq(emu_inf_parse_mem(b, n, "/windows/inf/MACHINE.INF", NULL, &machine), 0);
    free(b);
    const inf_file *incs[] = {machine};
    inf_plan_opts o = {0};
    o.includes = incs;
    o.nincludes = 1;
    static const uint16_t *const hw[] = {WS("ROOT\\X")};
    inf_plan *p = NULL;
    cr_assert_eq(emu_inf_plan_device(f, &o, hw, 1, NULL, 0, &p), 0);
    cr_assert_eq(p->nissues, 0);
    const inf_op *op = reg_op(p, "FromMachine");
    cr_assert_eq(op->inf, machine);
    cr_assert_eq(op->u.reg.root, INF_ROOT_SOFTWARE, "a needed section keeps the referencing context");
    cr_assert_str_eq(op->file, "/windows/inf/MACHINE.INF");
    /* Needs are processed before the section's own directives. */
    size_t mi = (size_t)(op - p->ops), oi = (size_t)(reg_op(p, "Own") - p->ops);
    cr_assert_lt(mi, oi);
    const inf_op *c = copy_op(p, "base.sys");
    cr_assert_eq(c->u.file.dest_dirid, 12, "the included INF's own DestinationDirs entry names its list");
    emu_inf_plan_free(p);
    emu_inf_free(machine);
    emu_inf_free(f);
}

Test(inf_plan, dirid_table)
{
    size_t n = 0;
    const inf_dirid_info *t = emu_inf_dirids(&n);
    cr_assert_geq(n, 38);
    int found13 = 0;
    for (size_t i = 0; i < n; i++)
        found13 |= t[i].dirid == 13;
    cr_assert(found13);
    cr_assert(emu_inf_dirid_info(-1) == emu_inf_dirid_info(65535));
    cr_assert(emu_inf_dirid_info(17)->deprecated);
    cr_assert(!emu_inf_dirid_info(12)->deprecated);
    cr_assert_null(emu_inf_dirid_info(32768), "user-defined DIRIDs are not in the table");

    pb_buf b = PB_BUF_INIT;
    cr_assert_eq(emu_inf_dirid_path(12, NULL, &b), 0);
    cr_assert_str_eq(t_u8((const uint16_t *)b.data, b.len / 2), "C:\\Windows\\System32\\drivers");
    pb_buf_free(&b);
    inf_dirid_ctx ctx = {INF_ARCH_X86, STORE, "C:\\Source"};
    cr_assert_eq(emu_inf_dirid_path(13, &ctx, &b), 0);
    cr_assert_str_eq(t_u8((const uint16_t *)b.data, b.len / 2), STORE);
    pb_buf_free(&b);
    cr_assert_eq(emu_inf_dirid_path(1, &ctx, &b), 0);
    cr_assert_str_eq(t_u8((const uint16_t *)b.data, b.len / 2), "C:\\Source");
    pb_buf_free(&b);
    cr_assert_eq(emu_inf_dirid_path(66000, &ctx, &b), 0);
    cr_assert_str_eq(t_u8((const uint16_t *)b.data, b.len / 2), "C:\\Windows\\System32\\spool\\drivers\\W32X86");
    pb_buf_free(&b);
    cr_assert_eq(emu_inf_dirid_path(16422, &ctx, &b), 0);
    cr_assert_str_eq(t_u8((const uint16_t *)b.data, b.len / 2), "C:\\Program Files");
    pb_buf_free(&b);
    cr_assert_eq(emu_inf_dirid_path(-1, &ctx, &b), 0);
    cr_assert_eq(b.len, 0, "an absolute path has no prefix");
    cr_assert_eq(emu_inf_dirid_path(13, NULL, &b), INF_E_NOTFOUND);
    cr_assert_eq(emu_inf_dirid_path(40000, NULL, &b), INF_E_NOTFOUND);
    cr_assert_eq(emu_inf_dirid_path(10, NULL, NULL), INF_E_INVAL);
    pb_buf_free(&b);
}

Test(inf_plan, dump_is_readable)
{
    inf_file *f = t_parse(plan_inf);
    inf_plan *p = device_plan(f);
    pb_buf b = PB_BUF_INIT;
    emu_inf_plan_dump(p, &b);
    cr_assert(b.data);
    cr_assert(strstr((char *)b.data, "test.inf:45: AddReg set software [] \"Sz\" type 1 = \"hello\""), "%s", b.data);
    cr_assert(strstr((char *)b.data, "CopyFiles dirid 12 C:\\Windows\\System32\\drivers\\sub\\sample.sys <- x64\\sample.sys"));
    pb_buf_free(&b);
    emu_inf_plan_free(p);
    emu_inf_free(f);
}

Test(inf_plan, load_includes_from_a_search_path)
{
    char *dir = t_mkdtemp("infinc");
    cr_assert(dir);
    char path[4096];
    size_t n;
    unsigned char *b = t_encode("[Base.Install]\nInclude=deeper.inf\nAddReg=BaseReg\n[BaseReg]\nHKR,,FromMachine,,x\n",
                                T_U16LE, &n);
    snprintf(path, sizeof path, "%s/machine.inf", dir);
    FILE *fp = fopen(path, "wb");
    cr_assert(fp);
    fwrite(b, 1, n, fp);
    fclose(fp);
    free(b);
    b = t_encode("[Deep]\n", T_ANSI, &n);
    snprintf(path, sizeof path, "%s/deeper.inf", dir);
    fp = fopen(path, "wb");
    cr_assert(fp);
    fwrite(b, 1, n, fp);
    fclose(fp);
    free(b);

    inf_file *f = t_parse(needs_inf);
    const char *dirs[] = {"/nonexistent", dir};
    inf_file **incs = NULL;
    size_t ninc = 99;
    cr_assert_eq(emu_inf_load_includes(f, dirs, 2, NULL, &incs, &ninc), 0);
    cr_assert_eq(ninc, 2, "machine.inf and, through it, deeper.inf");
    cr_assert_str_eq(emu_inf_basename(incs[0]), "machine.inf");
    cr_assert_str_eq(emu_inf_basename(incs[1]), "deeper.inf");
    inf_plan_opts o = {0};
    o.includes = (const inf_file *const *)incs;
    o.nincludes = ninc;
    static const uint16_t *const hw[] = {WS("ROOT\\X")};
    inf_plan *p = NULL;
    cr_assert_eq(emu_inf_plan_device(f, &o, hw, 1, NULL, 0, &p), 0);
    cr_assert_eq(p->nissues, 0);
    cr_assert_eq(reg_op(p, "FromMachine")->inf, incs[0]);
    emu_inf_plan_free(p);
    emu_inf_free_list(incs, ninc);
    /* Nothing found: an empty list, not an error. */
    cr_assert_eq(emu_inf_load_includes(f, dirs, 1, NULL, &incs, &ninc), 0);
    cr_assert_eq(ninc, 0);
    emu_inf_free_list(incs, ninc);
    emu_inf_free(f);
    t_rmtree(dir);
    free(dir);
}
