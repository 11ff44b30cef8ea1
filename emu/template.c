/*
 * template.c: the built-in template machine's registry.  It is built once
 * per process (about 150 keys) and snapshotted; every fresh machine is a
 * copy-on-write clone of that snapshot (regdb_cow.c), which is what makes a
 * per-test machine cheap.
 *
 * Contents follow a stock Windows 11 24H2 (10.0.26100) amd64 desktop
 * (DESIGN.md "A machine"; reference §0, §1.12):
 *   SYSTEM\ControlSet001\{Control\Class, Control\DeviceClasses, Enum\ROOT,
 *     Services, Control\Session Manager\Environment, Hardware Profiles}
 *   SYSTEM\CurrentControlSet -> ControlSet001 (a volatile link, as on Windows)
 *   SYSTEM\Select, SYSTEM\DriverDatabase
 *   HARDWARE\{DESCRIPTION, DEVICEMAP, RESOURCEMAP} (volatile, as on Windows)
 *   SOFTWARE\Microsoft\Windows NT\CurrentVersion (build, SystemRoot, ProfileList)
 *   SOFTWARE\Microsoft\Windows\CurrentVersion, SOFTWARE\Classes
 *   USER\.DEFAULT, USER\S-1-5-18 (LocalSystem, whom emulated processes run as)
 * plus the machine's own tables (audit, process bindings, settings).
 *
 * One deliberate difference from DESIGN.md's sketch: SystemRoot and
 * ProgramData are not values of Session Manager\Environment, because they
 * are not there on Windows either (SystemRoot lives in
 * Windows NT\CurrentVersion, ProgramData in ProfileList); DriverData is,
 * as the reference documents.
 */
#include "emu/emu.h"

#include "base/pb_utf16.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char machine_tables[] =
    "CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " time INTEGER NOT NULL DEFAULT (strftime('%s','now')), component TEXT, kind INTEGER, api TEXT,"
    " path TEXT, value TEXT, access INTEGER, write INTEGER, origin TEXT, status INTEGER, outcome INTEGER,"
    " rules TEXT, caller TEXT, count INTEGER NOT NULL DEFAULT 1, findings TEXT);"
    "CREATE TABLE IF NOT EXISTS process_bindings(pid INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
    " name TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS machine_settings(name TEXT PRIMARY KEY, value TEXT);";

/* Well-known setup classes (devguid.h): GUID, class name, description. */
static const char *const classes[][3] = {
    {"{4d36e97d-e325-11ce-bfc1-08002be10318}", "System", "System devices"},
    {"{4d36e972-e325-11ce-bfc1-08002be10318}", "Net", "Network adapters"},
    {"{4d36e96c-e325-11ce-bfc1-08002be10318}", "MEDIA", "Sound, video and game controllers"},
    {"{36fc9e60-c465-11cf-8056-444553540000}", "USB", "Universal Serial Bus controllers"},
    {"{745a17a0-74d3-11d0-b6fe-00a0c90f57da}", "HIDClass", "Human Interface Devices"},
    {"{4d36e978-e325-11ce-bfc1-08002be10318}", "Ports", "Ports (COM & LPT)"},
    {"{4d36e967-e325-11ce-bfc1-08002be10318}", "DiskDrive", "Disk drives"},
    {"{4d36e96b-e325-11ce-bfc1-08002be10318}", "Keyboard", "Keyboards"},
    {"{4d36e96f-e325-11ce-bfc1-08002be10318}", "Mouse", "Mice and other pointing devices"},
    {"{4d36e968-e325-11ce-bfc1-08002be10318}", "Display", "Display adapters"},
    {"{4d36e97b-e325-11ce-bfc1-08002be10318}", "SCSIAdapter", "Storage controllers"},
    {"{4d36e97e-e325-11ce-bfc1-08002be10318}", "Unknown", "Other devices"},
    {"{4d36e979-e325-11ce-bfc1-08002be10318}", "Printer", "Printers"},
    {"{e0cbf06c-cd8b-4647-bb8a-263b43f0f974}", "Bluetooth", "Bluetooth"},
    {"{ca3e7ab9-b4c3-4ae6-8251-579ef933890f}", "Camera", "Cameras"},
    {"{6bdd1fc6-810f-11d0-bec7-08002be2092f}", "Image", "Imaging devices"},
    {"{5175d334-c371-4806-b3ba-71fd53c9258d}", "Sensor", "Sensors"},
    {"{5c4c3332-344d-483c-8739-259e934c9cc8}", "SoftwareComponent", "Software components"},
    {"{e2f84ce7-8efa-411c-aa69-97454ca4cb57}", "Extension", "Extensions"},
    {"{d94ee5d8-d189-4994-83d2-f68d7d41b0e6}", "SecurityDevices", "Security devices"},
    {"{53d29ef7-377c-4d14-864b-eb3a85769359}", "Biometric", "Biometric devices"},
    {"{71a27cdd-812a-11d0-bec7-08002be2092f}", "Volume", "Storage volumes"},
    {"{c166523c-fe0c-4a94-a586-f1a80cfbbf3e}", "AudioEndpoint", "Audio inputs and outputs"},
    {"{f2e7dd72-6468-4e36-b6f1-6488f42c1b52}", "Firmware", "Firmware"},
};

static int mk(regdb *r, const char *path, unsigned opts, regdb_key *out)
{
    regdb_key k = 0;
    int rc = regdb_create_key_u8(r, 0, path, opts | REGDB_CREATE_PATH, &k);
    if (rc == 0 && out)
        *out = k;
    return rc;
}

static int sz(regdb *r, regdb_key k, const char *name, const char *val, int expand)
{
    uint16_t *n = pb_wcs_from_utf8(name), *v = pb_wcs_from_utf8(val);
    int rc = n && v ? (expand ? regdb_set_expand_sz(r, k, n, v) : regdb_set_sz(r, k, n, v)) : REGDB_E_NOMEM;
    free(n);
    free(v);
    return rc;
}

static int dw(regdb *r, regdb_key k, const char *name, uint32_t val)
{
    uint16_t *n = pb_wcs_from_utf8(name);
    int rc = n ? regdb_set_dword(r, k, n, val) : REGDB_E_NOMEM;
    free(n);
    return rc;
}

static int link_to(regdb *r, const char *path, const char *target)
{
    regdb_key k = 0;
    int rc = regdb_create_key_u8(r, 0, path, REGDB_CREATE_LINK | REGDB_CREATE_VOLATILE, &k);
    uint16_t *t = rc == 0 ? pb_wcs_from_utf8(target) : NULL;
    if (rc == 0)
        rc = t ? regdb_set_link(r, k, t, pb_wcslen(t)) : REGDB_E_NOMEM;
    free(t);
    return rc;
}

int emu_template_volatile(regdb *r)
{
    int rc;
    regdb_key k = 0;
    if ((rc = link_to(r, "\\Registry\\Machine\\SYSTEM\\CurrentControlSet", "\\Registry\\Machine\\SYSTEM\\ControlSet001")) < 0)
        return rc;
    if ((rc = link_to(r, "\\Registry\\Machine\\SYSTEM\\ControlSet001\\Hardware Profiles\\Current",
                      "\\Registry\\Machine\\SYSTEM\\ControlSet001\\Hardware Profiles\\0001")) < 0)
        return rc;
    if ((rc = mk(r, "\\Registry\\Machine\\HARDWARE", REGDB_CREATE_VOLATILE, NULL)) < 0)
        return rc;
    if ((rc = mk(r, "\\Registry\\Machine\\HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0", REGDB_CREATE_VOLATILE,
                 &k)) < 0 ||
        (rc = sz(r, k, "ProcessorNameString", "pnpbox emulated x64 processor", 0)) < 0 ||
        (rc = sz(r, k, "Identifier", "Intel64 Family 6 Model 0 Stepping 0", 0)) < 0)
        return rc;
    if ((rc = mk(r, "\\Registry\\Machine\\HARDWARE\\DEVICEMAP", REGDB_CREATE_VOLATILE, NULL)) < 0 ||
        (rc = mk(r, "\\Registry\\Machine\\HARDWARE\\RESOURCEMAP", REGDB_CREATE_VOLATILE, NULL)) < 0)
        return rc;
    return 0;
}

static int build(regdb *r)
{
    int rc;
    regdb_key k = 0;
    const char *cs = "\\Registry\\Machine\\SYSTEM\\ControlSet001";
    char path[512];
#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((rc = (x)) < 0)                                                                        \
            return rc;                                                                             \
    } while (0)

    TRY(regdb_begin(r));
    TRY(mk(r, "\\Registry\\Machine\\SYSTEM\\Select", 0, &k));
    TRY(dw(r, k, "Current", 1));
    TRY(dw(r, k, "Default", 1));
    TRY(dw(r, k, "Failed", 0));
    TRY(dw(r, k, "LastKnownGood", 1));
    snprintf(path, sizeof path, "%s\\Control\\Class", cs);
    TRY(mk(r, path, 0, NULL));
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++) {
        snprintf(path, sizeof path, "%s\\Control\\Class\\%s", cs, classes[i][0]);
        TRY(mk(r, path, 0, &k));
        TRY(sz(r, k, "", classes[i][2], 0));
        TRY(sz(r, k, "Class", classes[i][1], 0));
    }
    snprintf(path, sizeof path, "%s\\Control\\DeviceClasses", cs);
    TRY(mk(r, path, 0, NULL));
    snprintf(path, sizeof path, "%s\\Control\\ComputerName\\ComputerName", cs);
    TRY(mk(r, path, 0, &k));
    TRY(sz(r, k, "ComputerName", "PNPBOX", 0));
    snprintf(path, sizeof path, "%s\\Control\\Session Manager\\Environment", cs);
    TRY(mk(r, path, 0, &k));
    TRY(sz(r, k, "ComSpec", "%SystemRoot%\\system32\\cmd.exe", 1));
    TRY(sz(r, k, "DriverData", "C:\\Windows\\System32\\Drivers\\DriverData", 0));
    TRY(sz(r, k, "NUMBER_OF_PROCESSORS", "2", 0));
    TRY(sz(r, k, "OS", "Windows_NT", 0));
    TRY(sz(r, k, "Path", "%SystemRoot%\\system32;%SystemRoot%;%SystemRoot%\\System32\\Wbem", 1));
    TRY(sz(r, k, "PATHEXT", ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC", 0));
    TRY(sz(r, k, "PROCESSOR_ARCHITECTURE", "AMD64", 0));
    TRY(sz(r, k, "TEMP", "%SystemRoot%\\TEMP", 1));
    TRY(sz(r, k, "TMP", "%SystemRoot%\\TEMP", 1));
    TRY(sz(r, k, "windir", "%SystemRoot%", 1));
    snprintf(path, sizeof path, "%s\\Enum\\ROOT", cs);
    TRY(mk(r, path, 0, NULL));
    snprintf(path, sizeof path, "%s\\Services", cs);
    TRY(mk(r, path, 0, NULL));
    snprintf(path, sizeof path, "%s\\Hardware Profiles\\0001\\System\\CurrentControlSet\\Enum", cs);
    TRY(mk(r, path, 0, NULL));
    snprintf(path, sizeof path, "%s\\Hardware Profiles\\0001\\System\\CurrentControlSet\\Control\\Class", cs);
    TRY(mk(r, path, 0, NULL));
    TRY(mk(r, "\\Registry\\Machine\\SYSTEM\\DriverDatabase\\DriverPackages", 0, NULL));
    TRY(mk(r, "\\Registry\\Machine\\SYSTEM\\DriverDatabase\\DriverInfFiles", 0, NULL));
    TRY(mk(r, "\\Registry\\Machine\\SYSTEM\\DriverDatabase\\DeviceIds", 0, NULL));

    TRY(mk(r, "\\Registry\\Machine\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", 0, &k));
    TRY(sz(r, k, "CurrentBuild", "26100", 0));
    TRY(sz(r, k, "CurrentBuildNumber", "26100", 0));
    TRY(dw(r, k, "CurrentMajorVersionNumber", 10));
    TRY(dw(r, k, "CurrentMinorVersionNumber", 0));
    TRY(sz(r, k, "CurrentVersion", "6.3", 0));
    TRY(sz(r, k, "DisplayVersion", "24H2", 0));
    TRY(sz(r, k, "EditionID", "Professional", 0));
    TRY(sz(r, k, "InstallationType", "Client", 0));
    TRY(sz(r, k, "ProductName", "Windows 10 Pro", 0)); /* Windows 11 still says "Windows 10" here */
    TRY(sz(r, k, "SystemRoot", "C:\\Windows", 0));
    TRY(mk(r, "\\Registry\\Machine\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList", 0, &k));
    TRY(sz(r, k, "Default", "%SystemDrive%\\Users\\Default", 1));
    TRY(sz(r, k, "ProfilesDirectory", "%SystemDrive%\\Users", 1));
    TRY(sz(r, k, "ProgramData", "%SystemDrive%\\ProgramData", 1));
    TRY(mk(r, "\\Registry\\Machine\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion", 0, &k));
    TRY(sz(r, k, "CommonFilesDir", "C:\\Program Files\\Common Files", 0));
    TRY(sz(r, k, "DevicePath", "%SystemRoot%\\inf", 1));
    TRY(sz(r, k, "ProgramFilesDir", "C:\\Program Files", 0));
    TRY(sz(r, k, "ProgramFilesDir (x86)", "C:\\Program Files (x86)", 0));
    TRY(mk(r, "\\Registry\\Machine\\SOFTWARE\\Classes", 0, NULL));
    TRY(mk(r, "\\Registry\\User\\.DEFAULT\\Environment", 0, NULL));
    TRY(mk(r, "\\Registry\\User\\S-1-5-18\\Environment", 0, &k));
    TRY(sz(r, k, "TEMP", "%USERPROFILE%\\AppData\\Local\\Temp", 1));
    TRY(sz(r, k, "TMP", "%USERPROFILE%\\AppData\\Local\\Temp", 1));
    TRY(emu_template_volatile(r));
    char *err = NULL;
    if (sqlite3_exec(regdb_sqlite(r), machine_tables, NULL, NULL, &err) != SQLITE_OK) {
        sqlite3_free(err);
        regdb_rollback(r);
        return REGDB_E_IO;
    }
    return regdb_commit(r);
#undef TRY
}

static regdb_snapshot *tmpl;
static int tmpl_rc;

/*
 * The template cache.  Building the template costs a process about 3 ms
 * (opening SQLite, creating the schema, ~150 keys, the snapshot), and
 * Criterion runs every test in a fresh process, so each test would pay it
 * before its first machine.  The first process of a build therefore writes
 * the snapshot's image to the scratch directory and later processes read
 * it back (about 60 KiB) instead of building it.
 *
 * The file is named after the effective uid and the GNU build id of the
 * ELF object this code is linked into (the test program, or libpnpbox.so),
 * so a rebuilt pnpbox never reads an older build's template, and other
 * users' files are never read.  It is written to a private temporary name
 * and renamed into place, so a reader sees a whole image or none.  A file
 * is used only when it is a regular file owned by this uid, writable by
 * nobody else, of a sane size, whose SQLite header agrees with its length
 * (page size x page count), and which regdb_snapshot_from_data accepts as
 * a registry (it opens it and checks the schema); anything else is
 * replaced.  Files of other builds of this uid untouched for a day are
 * removed when a new one is written.  PNPBOX_TEMPLATE_CACHE=0 turns the
 * cache off; an object without a build id never uses it.
 */
#define CACHE_MAX_BYTES (16u << 20)
#define CACHE_STALE_SECONDS (24 * 3600)

typedef struct build_id_search {
    uintptr_t addr;         /* an address inside the object looked for */
    unsigned char id[64];
    size_t len;
} build_id_search;

static int find_build_id(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    build_id_search *b = ctx;
    int inside = 0;
    for (int i = 0; i < info->dlpi_phnum && !inside; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        inside = ph->p_type == PT_LOAD && b->addr >= lo && b->addr - lo < ph->p_memsz;
    }
    if (!inside)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = p + ph->p_memsz;
        while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            size_t name = (nh->n_namesz + 3) & ~(size_t)3, desc = (nh->n_descsz + 3) & ~(size_t)3;
            if ((size_t)(end - p) - sizeof *nh < name + desc)
                break;
            const unsigned char *nm = p + sizeof *nh;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(nm, "GNU", 4) && nh->n_descsz &&
                nh->n_descsz <= sizeof b->id) {
                memcpy(b->id, nm + name, nh->n_descsz);
                b->len = nh->n_descsz;
                return 1;
            }
            p += sizeof *nh + name + desc;
        }
    }
    return 1; /* the object, without a build id */
}

int emu_template_cache_path(char *buf, size_t size)
{
    const char *off = getenv("PNPBOX_TEMPLATE_CACHE");
    if (off && !strcmp(off, "0"))
        return -ENOENT;
    build_id_search b = {.addr = (uintptr_t)&emu_template_cache_path};
    dl_iterate_phdr(find_build_id, &b);
    if (!b.len)
        return -ENOENT;
    char hex[2 * sizeof b.id + 1];
    for (size_t i = 0; i < b.len; i++)
        snprintf(hex + 2 * i, 3, "%02x", b.id[i]);
    int n = snprintf(buf, size, "%s/pnpbox-template-%lu-%s.db", emu_scratch_dir(), (unsigned long)geteuid(), hex);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Read a cached image that passes the checks above; NULL when there is none fit to use. */
static regdb_snapshot *cache_load(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    regdb_snapshot *snap = NULL;
    unsigned char *img = NULL;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) ||
        st.st_size < 512 || (uint64_t)st.st_size > CACHE_MAX_BYTES)
        goto done;
    size_t len = (size_t)st.st_size;
    if (!(img = malloc(len)))
        goto done;
    for (size_t got = 0; got < len;) {
        ssize_t r = pread(fd, img + got, len - got, (off_t)got);
        if (r <= 0 && !(r < 0 && errno == EINTR))
            goto done;
        got += r > 0 ? (size_t)r : 0;
    }
    /* SQLite's header: page size (1 means 65536) at 16, page count at 28, both big-endian. */
    uint32_t psz = (uint32_t)img[16] << 8 | img[17];
    if (psz == 1)
        psz = 65536;
    uint32_t pages = (uint32_t)img[28] << 24 | (uint32_t)img[29] << 16 | (uint32_t)img[30] << 8 | img[31];
    if ((uint64_t)psz * pages != len)
        goto done;
    if (regdb_snapshot_from_data(img, len, &snap) < 0)
        snap = NULL;
done:
    free(img);
    close(fd);
    return snap;
}

/* Remove this uid's template files of other builds nobody has written for a day. */
static void cache_sweep(const char *keep)
{
    const char *dir = emu_scratch_dir();
    DIR *d = opendir(dir);
    if (!d)
        return;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "pnpbox-template-%lu-", (unsigned long)geteuid());
    const char *keep_name = strrchr(keep, '/') ? strrchr(keep, '/') + 1 : keep;
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat st;
        if (strncmp(e->d_name, prefix, strlen(prefix)) || !strcmp(e->d_name, keep_name) ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_uid != geteuid() ||
            now - st.st_mtime < CACHE_STALE_SECONDS)
            continue;
        unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

/* Write the snapshot's image to path (atomically); a failure only means no cache. */
static void cache_store(const char *path, const regdb_snapshot *snap)
{
    size_t len;
    const unsigned char *img = regdb_snapshot_data(snap, &len);
    char tmp[4200];
    if (!img || snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp)
        return;
    int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0)
        return;
    size_t put = 0;
    while (put < len) {
        ssize_t w = write(fd, img + put, len - put);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        put += (size_t)w;
    }
    if (close(fd) < 0 || put != len || rename(tmp, path) < 0) {
        unlink(tmp);
        return;
    }
    cache_sweep(path);
}

static void build_once(void)
{
    char path[4096];
    int cached = emu_template_cache_path(path, sizeof path) == 0;
    if (cached && (tmpl = cache_load(path))) {
        tmpl_rc = 0;
        return;
    }
    regdb *r;
    tmpl_rc = regdb_open(NULL, NULL, &r);
    if (tmpl_rc < 0)
        return;
    tmpl_rc = build(r);
    if (tmpl_rc < 0 && regdb_in_transaction(r))
        regdb_rollback(r);
    if (tmpl_rc == 0)
        tmpl_rc = regdb_snapshot_take(r, &tmpl);
    regdb_close(r);
    if (tmpl_rc == 0 && cached)
        cache_store(path, tmpl);
}

static void free_template(void) { regdb_snapshot_free(tmpl); }

int emu_template_snapshot(const regdb_snapshot **out)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, build_once);
    if (tmpl_rc < 0)
        return tmpl_rc;
    static int registered;
    if (!__atomic_exchange_n(&registered, 1, __ATOMIC_ACQ_REL))
        atexit(free_template);
    *out = tmpl;
    return 0;
}
