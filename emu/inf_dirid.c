/*
 * inf_dirid.c: the DIRID table (reference §1.15, [DOC] using-dirids.md and
 * print/printer-dirids.md) mapped to Windows paths on the emulated machine
 * (contract in inf.h).
 *
 * The machine is a stock Windows 11 x64 desktop on C:.  Where the DIRID
 * page names a folder without a path, the path is the one a default
 * installation has, chosen so (also in docs/inf.md):
 *  - 25 "Shared" is %SystemRoot% (as on NT), 30 and 54 (boot partition,
 *    Ntldr directory) are C:\, 53 "user profile" is the profile of the
 *    account that installs drivers (LocalSystem:
 *    C:\Windows\System32\config\systemprofile);
 *  - the shell folders (16384 + CSIDL) use the Vista+ locations of the
 *    common (All Users) folders;
 *  - 52/55 are spool\drivers and spool\prtprocs; 66000/66001 add the print
 *    environment directory (x64, W32X86, ARM64...); 66004 (ASP files) is
 *    C:\Windows\Web\Printers.
 */
#include "emu/inf_int.h"

#include <stdlib.h>
#include <string.h>

static const inf_dirid_info table[] = {
    {1, "", "source drive:\\path (the directory the INF was installed from)", 1},
    {10, "C:\\Windows", "Windows directory (%SystemRoot%)", 0},
    {11, "C:\\Windows\\System32", "system directory", 0},
    {12, "C:\\Windows\\System32\\drivers", "drivers directory", 0},
    {13, "", "the package's driver store directory", 0},
    {17, "C:\\Windows\\INF", "INF file directory", 1},
    {18, "C:\\Windows\\Help", "Help directory", 1},
    {20, "C:\\Windows\\Fonts", "Fonts directory", 1},
    {21, "C:\\Windows\\System32\\viewers", "viewers directory", 1},
    {23, "C:\\Windows\\System32\\spool\\drivers\\color", "color (ICM) directory", 0},
    {24, "C:\\", "root of the system disk", 1},
    {25, "C:\\Windows", "shared directory", 1},
    {30, "C:\\", "root of the boot disk (ARC system partition)", 1},
    {50, "C:\\Windows\\system", "system directory (16-bit)", 1},
    {51, "C:\\Windows\\System32\\spool", "spool directory", 0},
    {52, "C:\\Windows\\System32\\spool\\drivers", "spool drivers directory", 0},
    {53, "C:\\Windows\\System32\\config\\systemprofile", "user profile directory", 1},
    {54, "C:\\", "directory of Ntldr.exe / Osloader.exe", 1},
    {55, "C:\\Windows\\System32\\spool\\prtprocs", "print processors directory", 0},
    {16406, "C:\\ProgramData\\Microsoft\\Windows\\Start Menu", "All Users\\Start Menu", 1},
    {16407, "C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs", "All Users\\Start Menu\\Programs", 1},
    {16408, "C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\Startup",
     "All Users\\Start Menu\\Programs\\Startup", 1},
    {16409, "C:\\Users\\Public\\Desktop", "All Users\\Desktop", 1},
    {16415, "C:\\Users\\Public\\Favorites", "All Users\\Favorites", 1},
    {16419, "C:\\ProgramData", "All Users\\Application Data", 1},
    {16422, "C:\\Program Files", "Program Files", 0},
    {16425, "C:\\Windows\\SysWOW64", "%SystemRoot%\\SysWOW64", 0},
    {16426, "C:\\Program Files (x86)", "%ProgramFiles(x86)%", 0},
    {16427, "C:\\Program Files\\Common Files", "Program Files\\Common", 0},
    {16428, "C:\\Program Files (x86)\\Common Files", "%ProgramFiles(x86)%\\Common", 0},
    {16429, "C:\\ProgramData\\Microsoft\\Windows\\Templates", "All Users\\Templates", 1},
    {16430, "C:\\Users\\Public\\Documents", "All Users\\Documents", 1},
    {65535, "", "absolute path (the subdirectory is the full path); also written -1", 1},
    {66000, "C:\\Windows\\System32\\spool\\drivers\\", "printer driver directory (GetPrinterDriverDirectory)", 0},
    {66001, "C:\\Windows\\System32\\spool\\prtprocs\\", "print processor directory (GetPrintProcessorDirectory)", 0},
    {66002, "C:\\Windows\\System32", "system directory for extra printer files", 0},
    {66003, "C:\\Windows\\System32\\spool\\drivers\\color", "color directory (GetColorDirectory)", 0},
    {66004, "C:\\Windows\\Web\\Printers", "ASP files directory", 0},
};

const inf_dirid_info *emu_inf_dirids(size_t *n)
{
    if (n)
        *n = sizeof table / sizeof table[0];
    return table;
}

const inf_dirid_info *emu_inf_dirid_info(int32_t dirid)
{
    if (dirid == -1)
        dirid = 65535;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].dirid == dirid)
            return &table[i];
    return NULL;
}

const char *inf_dirid_static_path(int32_t dirid)
{
    const inf_dirid_info *d = emu_inf_dirid_info(dirid);
    return d && d->path[0] ? d->path : NULL;
}

static const char *print_env(inf_arch a)
{
    switch (a) {
    case INF_ARCH_X86: return "W32X86";
    case INF_ARCH_ARM: return "ARM";
    case INF_ARCH_ARM64: return "ARM64";
    case INF_ARCH_IA64: return "IA64";
    default: return "x64";
    }
}

static void add_ascii(pb_buf *out, const char *s)
{
    /* The context paths may be UTF-8; convert properly. */
    uint16_t *w = pb_wcs_from_utf8(s);
    if (!w) {
        out->oom = 1;
        return;
    }
    pb_buf_add_wcs(out, w, pb_wcslen(w));
    free(w);
}

int emu_inf_dirid_path(int32_t dirid, const inf_dirid_ctx *ctx, pb_buf *out)
{
    if (!out)
        return INF_E_INVAL;
    const inf_dirid_info *d = emu_inf_dirid_info(dirid);
    if (!d)
        return INF_E_NOTFOUND;
    inf_arch arch = ctx ? ctx->arch : INF_ARCH_AMD64;
    switch (d->dirid) {
    case 13:
        if (!ctx || !ctx->store_dir)
            return INF_E_NOTFOUND;
        add_ascii(out, ctx->store_dir);
        return 0;
    case 1:
        if (!ctx || !ctx->source_dir)
            return INF_E_NOTFOUND;
        add_ascii(out, ctx->source_dir);
        return 0;
    case 65535:
        return 0;
    case 66000:
    case 66001:
        add_ascii(out, d->path);
        add_ascii(out, print_env(arch));
        return 0;
    default:
        add_ascii(out, d->path);
        return 0;
    }
}
