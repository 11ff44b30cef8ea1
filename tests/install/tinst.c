/*
 * tinst.c: helpers of the install suite (see tinst.h).
 */
#include "tests/install/tinst.h"

#include "base/pb_utf16.h"
#include "emu/emu.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

pnpbox_machine *ti_m;
char *ti_dir;

void ti_setup(void)
{
    cr_assert_eq(pnpbox_machine_new(NULL, &ti_m), 0);
    ti_dir = t_mkdtemp("install");
    cr_assert_not_null(ti_dir);
}

void ti_teardown(void)
{
    pnpbox_machine_free(ti_m);
    ti_m = NULL;
    t_rmtree(ti_dir);
    free(ti_dir);
}

static void mkparents(char *path)
{
    for (char *s = path + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(path, 0755);
            *s = '/';
        }
}

void ti_write(const char *dir, const char *rel, const void *data, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    mkparents(path);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write '%s': %s", path, strerror(errno));
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

unsigned char *ti_encode(const char *utf8, enum ti_enc enc, size_t *n)
{
    /* LF -> CRLF first */
    size_t l = strlen(utf8);
    char *crlf = malloc(2 * l + 1);
    size_t k = 0;
    for (size_t i = 0; i < l; i++) {
        if (utf8[i] == '\n' && (i == 0 || utf8[i - 1] != '\r'))
            crlf[k++] = '\r';
        crlf[k++] = utf8[i];
    }
    crlf[k] = 0;
    unsigned char *out;
    if (enc == TI_UTF8) {
        out = malloc(k + 3);
        memcpy(out, "\xEF\xBB\xBF", 3);
        memcpy(out + 3, crlf, k);
        *n = k + 3;
    } else {
        uint16_t *w = NULL;
        size_t wn = 0;
        cr_assert_eq(pb_utf8_to_utf16(crlf, k, &w, &wn), 0);
        if (enc == TI_UTF16LE) {
            out = malloc(2 * wn + 2);
            out[0] = 0xFF;
            out[1] = 0xFE;
            for (size_t i = 0; i < wn; i++) {
                out[2 + 2 * i] = (unsigned char)(w[i] & 0xff);
                out[3 + 2 * i] = (unsigned char)(w[i] >> 8);
            }
            *n = 2 * wn + 2;
        } else {
            out = malloc(wn + 1);
            for (size_t i = 0; i < wn; i++) {
                cr_assert(w[i] < 0x100, "test INF text is not representable in Windows-1252");
                out[i] = (unsigned char)w[i];
            }
            *n = wn;
        }
        free(w);
    }
    free(crlf);
    return out;
}

char *ti_write_inf(const char *dir, const char *name, const char *utf8, enum ti_enc enc)
{
    size_t n;
    unsigned char *b = ti_encode(utf8, enc, &n);
    ti_write(dir, name, b, n);
    free(b);
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static const char sample_fmt[] =
    "; sample.inf: the install suite's driver package\n"
    "[Version]\n"
    "Signature=\"$Windows NT$\"\n"
    "Class=SampleClass\n"
    "ClassGuid=" TI_CLASS_GUID "\n"
    "Provider=%%Prov%%\n"
    "DriverVer=%s\n"
    "CatalogFile=sample.cat\n"
    "PnpLockdown=1\n"
    "\n"
    "[ClassInstall32]\n"
    "AddReg=Class.Reg\n"
    "[Class.Reg]\n"
    "HKR,,,,%%ClassDesc%%\n"
    "HKR,,Icon,,\"-5\"\n"
    "\n"
    "[Manufacturer]\n"
    "%%Mfg%%=Models,NTamd64\n"
    "[Models.NTamd64]\n"
    "%%Sample.DeviceDesc%%=Sample_Inst,ROOT\\SAMPLE,*SAMPLECOMPAT\n"
    "\n"
    "[Sample_Inst.NTamd64]\n"
    "CopyFiles=Drv.Files,Legacy.Files\n"
    "AddReg=Sw.Reg,Legacy.Reg\n"
    "[Sample_Inst.NTamd64.HW]\n"
    "AddReg=Hw.Reg\n"
    "[Sample_Inst.NTamd64.Services]\n"
    "AddService=sampledrv,0x00000002,Svc.Inst,Svc.EventLog\n"
    "AddService=legacydrv,,Legacy.Svc\n"
    "[Sample_Inst.NTamd64.Interfaces]\n"
    "AddInterface=" TI_IFACE_GUID ",,If.Inst\n"
    "[Sample_Inst.NTamd64.Filters]\n"
    "AddFilter=lowerflt,,Lower.Filter\n"
    "[Lower.Filter]\n"
    "FilterPosition=Lower\n"
    "\n"
    "[Sw.Reg]\n"
    "HKR,,SwString,,\"software\"\n"
    "HKR,,SwDword,0x00010001,42\n"
    "HKR,Settings,Mode,0x00010000,\"a\",\"b\"\n"
    "HKR,,StorePath,,\"%%13%%\\sampledrv.sys\"\n"
    "[Legacy.Reg]\n"
    "HKLM,\"SOFTWARE\\Contoso\\Sample\",Installed,0x00010001,1\n"
    "[Hw.Reg]\n"
    "HKR,,HwValue,0x00010001,7\n"
    "HKR,,UpperFilters,0x00010000,\"upperflt\"\n"
    "[If.Inst]\n"
    "AddReg=If.Reg\n"
    "[If.Reg]\n"
    "HKR,,FriendlyName,,\"Sample interface\"\n"
    "[Svc.Inst]\n"
    "DisplayName=%%Svc.Name%%\n"
    "Description=\"Sample service description\"\n"
    "ServiceType=1\n"
    "StartType=3\n"
    "ErrorControl=1\n"
    "ServiceBinary=%%13%%\\sampledrv.sys\n"
    "LoadOrderGroup=Extended Base\n"
    "Dependencies=dep1,+grp1\n"
    "AddReg=Svc.Reg\n"
    "[Svc.Reg]\n"
    "HKR,Parameters,Level,0x00010001,5\n"
    "[Svc.EventLog]\n"
    "AddReg=EventLog.Reg\n"
    "[EventLog.Reg]\n"
    "HKR,,TypesSupported,0x00010001,7\n"
    "[Legacy.Svc]\n"
    "ServiceType=1\n"
    "StartType=3\n"
    "ErrorControl=1\n"
    "ServiceBinary=%%12%%\\legacy.sys\n"
    "\n"
    "[Drv.Files]\n"
    "sampledrv.sys\n"
    "[Legacy.Files]\n"
    "legacy.sys\n"
    "[DestinationDirs]\n"
    "Drv.Files=13\n"
    "Legacy.Files=12\n"
    "[SourceDisksNames]\n"
    "1=%%Disk%%\n"
    "[SourceDisksFiles]\n"
    "sampledrv.sys=1\n"
    "legacy.sys=1\n"
    "blob.bin=1,data\n"
    "\n"
    "[Strings]\n"
    "Prov=\"Contoso\"\n"
    "Mfg=\"Contoso Devices\"\n"
    "Sample.DeviceDesc=\"Sample Device\"\n"
    "Svc.Name=\"Sample Service\"\n"
    "ClassDesc=\"Sample class\"\n"
    "Disk=\"Sample disk\"\n";

char *ti_sample_inf(const char *driver_ver)
{
    size_t n = sizeof sample_fmt + strlen(driver_ver) + 16;
    char *s = malloc(n);
    snprintf(s, n, sample_fmt, driver_ver);
    return s;
}

char *ti_sample_pkg(const char *sub, const char *driver_ver, const char *sys_bytes)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", ti_dir, sub);
    char *text = ti_sample_inf(driver_ver);
    char *p = ti_write_inf(dir, "sample.inf", text, TI_UTF16LE);
    free(text);
    ti_write(dir, "sampledrv.sys", sys_bytes, strlen(sys_bytes));
    ti_write(dir, "legacy.sys", "MZlegacy", 8);
    ti_write(dir, "data/blob.bin", "\x00\x01\x02\x03", 4);
    ti_write(dir, "sample.cat", "catalog", 7);
    return p;
}

/* ---------------------------------------------------------------- registry */

static void abs_path(const char *path, char *out, size_t cap)
{
    if (!strncmp(path, "CCS\\", 4))
        snprintf(out, cap, "\\Registry\\Machine\\SYSTEM\\ControlSet001\\%s", path + 4);
    else
        snprintf(out, cap, "%s", path);
}

int ti_key_exists(const char *path)
{
    char p[2048];
    abs_path(path, p, sizeof p);
    regdb_key k;
    return regdb_open_key_u8(ti_m->reg, 0, p, &k) == 0;
}

regdb_key ti_key(const char *path)
{
    char p[2048];
    abs_path(path, p, sizeof p);
    regdb_key k;
    int rc = regdb_open_key_u8(ti_m->reg, 0, p, &k);
    cr_assert_eq(rc, 0, "key '%s' does not exist (%s)", p, regdb_strerror(rc));
    return k;
}

static int query(const char *path, const char *name, regdb_value *v)
{
    regdb_key k = ti_key(path);
    uint16_t *w = NULL;
    size_t n = 0;
    cr_assert_eq(pb_utf8_to_utf16(name, strlen(name), &w, &n), 0);
    int rc = regdb_query_value(ti_m->reg, k, w, n, v);
    free(w);
    return rc;
}

int ti_value_exists(const char *path, const char *name)
{
    regdb_value v;
    return ti_key_exists(path) && query(path, name, &v) == 0;
}

void ti_value(const char *path, const char *name, uint32_t type, const void *data, size_t n)
{
    regdb_value v;
    int rc = query(path, name, &v);
    cr_assert_eq(rc, 0, "'%s' has no value '%s'", path, name);
    cr_assert_eq(v.type, type, "'%s' value '%s': type %u, want %u", path, name, v.type, type);
    cr_assert_eq(v.data_len, n, "'%s' value '%s': %zu bytes, want %zu", path, name, v.data_len, n);
    cr_assert(!n || !memcmp(v.data, data, n), "'%s' value '%s': data differs", path, name);
}

static size_t wbytes(const char *s, unsigned char *out)
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

void ti_sz(const char *path, const char *name, uint32_t type, const char *utf8)
{
    unsigned char *b = malloc(4 * strlen(utf8) + 4);
    size_t n = wbytes(utf8, b);
    ti_value(path, name, type, b, n);
    free(b);
}

void ti_dword(const char *path, const char *name, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    ti_value(path, name, REGDB_DWORD, b, 4);
}

void ti_multi(const char *path, const char *name, const char *const *strs, size_t n)
{
    unsigned char b[4096];
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += wbytes(strs[i], b + len);
    b[len++] = 0;
    b[len++] = 0;
    ti_value(path, name, REGDB_MULTI_SZ, b, len);
}

char *ti_get_sz(const char *path, const char *name)
{
    regdb_value v;
    if (!ti_key_exists(path) || query(path, name, &v) < 0)
        return NULL;
    return pb_utf8_from_wcs(v.data, v.data_len / 2 ? v.data_len / 2 - 1 : 0);
}

/* ---------------------------------------------------------------- volume */

char *ti_host(const char *vpath)
{
    const char *vd = pnpbox_volume_dir(ti_m);
    char *p = malloc(strlen(vd) + strlen(vpath) + 2);
    sprintf(p, "%s%s%s", vd, vpath[0] == '\\' ? "" : "/", vpath);
    for (char *c = p + strlen(vd); *c; c++)
        if (*c == '\\')
            *c = '/';
    return p;
}

unsigned char *ti_vread(const char *vpath, size_t *n)
{
    char *h = ti_host(vpath);
    unsigned char *d = t_read_file(h, n);
    cr_assert_not_null(d, "cannot read '%s'", h);
    free(h);
    return d;
}

int ti_vexists(const char *vpath)
{
    char *h = ti_host(vpath);
    struct stat st;
    int r = lstat(h, &st) == 0 ? (S_ISDIR(st.st_mode) ? 2 : 1) : 0;
    free(h);
    return r;
}

uint64_t ti_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void walk(const char *host, const char *rel, char ***v, size_t *n, size_t *cap)
{
    DIR *d = opendir(host);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char hp[4096], rp[4096], line[4200];
        snprintf(hp, sizeof hp, "%s/%s", host, e->d_name);
        snprintf(rp, sizeof rp, "%s/%s", rel, e->d_name);
        struct stat st;
        if (lstat(hp, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            snprintf(line, sizeof line, "%s/ %o", rp, st.st_mode & 0777);
        } else {
            size_t len = 0;
            unsigned char *data = t_read_file(hp, &len);
            snprintf(line, sizeof line, "%s %zu %o %016llx", rp, len, st.st_mode & 0777,
                     (unsigned long long)ti_fnv(0xcbf29ce484222325ull, data, len));
            free(data);
        }
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *v = realloc(*v, *cap * sizeof **v);
        }
        (*v)[(*n)++] = strdup(line);
        if (S_ISDIR(st.st_mode))
            walk(hp, rp, v, n, cap);
    }
    closedir(d);
}

void ti_snap_take(ti_snap *s)
{
    /* \REGISTRY\MACHINE then \REGISTRY\USER, as .reg text */
    const char *hives[2] = {"\\Registry\\Machine", "\\Registry\\User"};
    s->reg = NULL;
    s->reg_len = 0;
    for (int i = 0; i < 2; i++) {
        regdb_key k;
        void *d = NULL;
        size_t n = 0;
        cr_assert_eq(regdb_open_key_u8(ti_m->reg, 0, hives[i], &k), 0);
        cr_assert_eq(regdb_export(ti_m->reg, k, &d, &n), 0);
        s->reg = realloc(s->reg, s->reg_len + n);
        memcpy((char *)s->reg + s->reg_len, d, n);
        s->reg_len += n;
        free(d);
    }
    char **v = NULL;
    size_t n = 0, cap = 0;
    walk(pnpbox_volume_dir(ti_m), "", &v, &n, &cap);
    if (n)
        qsort(v, n, sizeof *v, cmp_str);
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(v[i]) + 1;
    s->vol = malloc(total);
    s->vol[0] = 0;
    for (size_t i = 0; i < n; i++) {
        strcat(s->vol, v[i]);
        strcat(s->vol, "\n");
        free(v[i]);
    }
    free(v);
}

void ti_snap_free(ti_snap *s)
{
    free(s->reg);
    free(s->vol);
    s->reg = s->vol = NULL;
}

void ti_snap_same(ti_snap *s, const char *what)
{
    ti_snap now;
    ti_snap_take(&now);
    cr_assert_str_eq(now.vol, s->vol, "%s: the volume changed", what);
    cr_assert(now.reg_len == s->reg_len && !memcmp(now.reg, s->reg, now.reg_len), "%s: the registry changed",
              what);
    ti_snap_free(&now);
    ti_snap_free(s);
}

size_t ti_events(const char *api, const char *part)
{
    size_t n = 0;
    for (size_t i = 0; i < pnpbox_event_count(ti_m); i++) {
        const pnpbox_event *e = pnpbox_event_get(ti_m, i);
        if (e->api && !strcmp(e->api, api) && e->path && strstr(e->path, part))
            n++;
    }
    return n;
}
