/*
 * inf_rules.c: the one catalogue of InfVerif rules pnpbox knows (contract
 * in inf.h, emu_inf_rules).  The parser, the linter, the report writers and
 * `pnpbox explain` all word their findings from this table.
 *
 * Levels are InfVerif's /k, /u, /w levels from the reference §3.1 table
 * (E = error, W = warning, - = not reported).  Codes the table lists only
 * as "structural codes worth mirroring" are errors in every mode (InfVerif:
 * 1000-1299 are syntax errors), except 2083, which the documentation says
 * is a warning.  Messages follow InfVerif's wording as the reference gives
 * it, with printf %s placeholders in the order the linter fills them.
 *
 * Where the reference groups several codes under one description (1300-1309,
 * 1330-1333, 1340/1341) the split below is pnpbox's choice, written beside
 * the rule and in docs/inf.md.  Rules marked not implemented are listed so
 * that `pnpbox explain` can describe them; the linter never reports them.
 */
#include "emu/inf_int.h"

#define E INF_SEV_ERROR
#define W INF_SEV_WARNING
#define N INF_SEV_NONE

#define IVE "https://learn.microsoft.com/windows-hardware/drivers/devtest/inf-validation-errors-and-warnings"
#define DI "https://learn.microsoft.com/windows-hardware/drivers/develop/driver-isolation"
#define RFDS "https://learn.microsoft.com/windows-hardware/drivers/develop/run-from-driver-store"
#define GSR "https://learn.microsoft.com/windows-hardware/drivers/install/general-syntax-rules-for-inf-files"
#define VER "https://learn.microsoft.com/windows-hardware/drivers/install/inf-version-section"
#define DIRIDS "https://learn.microsoft.com/windows-hardware/drivers/install/using-dirids"
#define FILTERS "https://learn.microsoft.com/windows-hardware/drivers/install/inf-ddinstall-filters-section"

static const inf_rule rules[] = {
    {1001, E, E, E, "Invalid INF signature",
     "Missing or invalid [Version] Signature '%s'; expected \"$Windows NT$\".",
     "start the INF with a [Version] section holding Signature=\"$Windows NT$\"", VER, 1},
    {1002, E, E, E, "Syntax error", "Syntax error: %s.",
     "fix the line so that it follows the general INF syntax rules", GSR, 1},
    {1003, E, E, E, "Invalid file encoding",
     "INF has invalid or unknown file encoding, must be ANSI or UTF-16 LE (%s).",
     "save the INF as UTF-16 LE with a byte-order mark (or as plain ANSI text)", GSR, 1},
    {1100, E, E, E, "DriverStore CopyFiles name mismatch",
     "Source and destination %s must match for file '%s' when using CopyFiles with DIRID %s.",
     "keep the DestinationDirs subdirectory and file name equal to the SourceDisksFiles location: "
     "the driver store keeps the package layout",
     RFDS, 1},
    {1101, E, E, E, "Security descriptor with the driver store",
     "Security descriptors cannot be used with DIRID %s.",
     "remove the [list.security] section: files in the driver store (DIRID 13) are protected by the store",
     RFDS, 1},
    {1102, E, E, E, "Directive not allowed with the driver store",
     "Invalid directive %s, cannot be used with DIRID %s.",
     "remove DelFiles/RenFiles on DIRID 13: the driver store adds and removes package files itself", RFDS, 1},
    {1103, E, E, E, "Copy flag not allowed with the driver store",
     "Invalid flag 0x%s, cannot be used with DIRID %s.",
     "drop the flag: files copied to DIRID 13 never replace an existing file", RFDS, 1},
    {1203, E, E, E, "Section not found", "Section [%s] referenced by %s is not defined.",
     "define the section, or name a single file with CopyFiles=@file", IVE, 1},
    {1209, E, E, E, "Duplicate section", "Section [%s] is defined more than once (first at line %s).",
     "merge the duplicate sections into one", GSR, 1},
    {1211, E, E, E, "More than one associated service",
     "Section [%s] marks more than one service with SPSVCINST_ASSOCSERVICE (0x2).",
     "set flag 0x2 on the one AddService that installs the function driver", IVE, 1},
    {1217, E, E, E, "Invalid DriverVer version",
     "Invalid DriverVer version '%s', must be w.x.y.z with each part in the range 0-65535.",
     "write DriverVer=MM/DD/YYYY,w.x.y.z with four numbers of at most 65535", VER, 1},
    {1218, E, E, E, "Invalid DriverVer date", "Missing or invalid DriverVer date '%s', must be MM/DD/YYYY.",
     "write DriverVer=MM/DD/YYYY,w.x.y.z in [Version]", VER, 1},
    {1222, E, E, E, "HKLM\\SYSTEM key outside CurrentControlSet",
     "Cannot modify %s\\%s registry keys, although HKLM\\SYSTEM\\CurrentControlSet is allowed.",
     "never write a control set by number: use HKR in the section whose key you mean", IVE, 1},
    {1223, E, E, E, "Registry key that HKR reaches", "Cannot modify %s\\%s registry key, use HKR.",
     "use HKR: DDInstall reaches the software key, DDInstall.HW the hardware key, "
     "the service-install section the service key",
     IVE, 1},
    {1224, E, E, E, "Invalid registry root", "Invalid registry root \"%s\".",
     "use HKR (or HKLM, HKCR, HKCU, HKU); HKR is not available from [DefaultInstall]", IVE, 1},
    {1230, E, E, E, "File missing from [SourceDisksFiles]", "Missing file '%s' under [SourceDisksFiles] section.",
     "list the file in [SourceDisksFiles] (or in [SourceDisksFiles.<arch>] for every architecture)", IVE, 1},
    {1235, E, E, E, "String token not defined in [Strings]", "String token '%%%s%%' not defined in [Strings].",
     "define the token in [Strings], or write %% for a literal percent sign", IVE, 1},
    {1275, E, E, E, "File-list section not in [DestinationDirs]",
     "Section [%s] is not listed in [DestinationDirs] and there is no DefaultDestDir.",
     "add the section to [DestinationDirs] with DIRID 13", IVE, 1},
    /* 1300-1309: the documentation describes these as a group; pnpbox splits them so:
     * 1300 a legacy section or directive, 1301 a registry delete, 1302 a delete of
     * something outside the package (service, file), 1303 co-installers, 1305 MULTI_SZ
     * append/delete-string.  1307-1309 are reported under 1300-1302. */
    {1300, E, E, E, "Found legacy section or directive", "Found legacy %s.",
     "remove it: declare state with HKR AddReg, AddService, AddInterface and [DDInstall.Filters]", IVE, 1},
    {1301, E, E, E, "Found legacy operation", "Found legacy %s operation %s.",
     "do not delete registry state from the INF: the device's HKR keys go away with the device", IVE, 1},
    {1302, E, E, E, "Found legacy operation on something outside the package",
     "Found legacy %s operation for %s.",
     "do not delete services or files from the INF: PnP and the driver store remove the package's own", IVE,
     1},
    {1303, E, E, E, "Found legacy operation defining co-installers",
     "Found legacy operation defining co-installers.",
     "remove the co-installer; move its work into the driver or a companion application", IVE, 1},
    {1304, W, E, N, "Found legacy operation using non-relative key",
     "Found legacy operation using non-relative key (%s).", "use HKR", IVE, 0},
    {1305, W, E, E, "Found legacy operation using appendable multi-sz value",
     "Found legacy operation using appendable multi-sz value '%s'.",
     "write the whole REG_MULTI_SZ under HKR instead of appending to or deleting from a shared value", IVE,
     1},
    {1306, W, E, N, "Found legacy operation with non-system target path",
     "Found legacy operation with non-system target path (%s) for '%s'.", "copy to DIRID 13", IVE, 0},
    {1307, W, E, E, "Found legacy desktop-only operation", "Found legacy desktop-only operation %s.",
     "remove it (pnpbox reports these operations as 1300-1302)", IVE, 0},
    {1308, W, E, E, "Found legacy non-additive operation", "Found legacy non-additive operation %s.",
     "remove it (pnpbox reports these operations as 1301/1302)", IVE, 0},
    {1309, W, E, E, "Found legacy non-additive operation", "Found legacy non-additive operation %s.",
     "remove it (pnpbox reports these operations as 1301/1302)", IVE, 0},
    {1320, N, N, E, "Registry root not isolated to HKR", "Registry root '%s\\%s' is not isolated to HKR.",
     "use HKR in the DDInstall (software key), DDInstall.HW (hardware key) or service-install "
     "section (under Parameters)",
     DI, 1},
    {1321, N, N, E, "Registry value not isolated to HKR",
     "Registry root (%s\\%s) of value '%s' is not isolated to HKR.",
     "write the value with HKR: DDInstall (software key), DDInstall.HW (hardware key), or the "
     "service-install AddReg under Parameters",
     DI, 1},
    {1322, N, N, E, "Destination not isolated to DIRID 13",
     "Destination file path '%s' for file '%s' is not isolated to DIRID 13.",
     "copy to DIRID 13 (the driver store) and find the file with IoGetDriverDirectory(DriverDirectoryImage)",
     RFDS, 1},
    {1323, N, N, E, "Service registry outside Parameters",
     "Service registry key '%s' must be under the Parameters subkey.",
     "use HKR in the service-install AddReg under Parameters and read it with "
     "IoOpenDriverRegistryKey(DriverRegKeyParameters)",
     DI, 1},
    {1324, W, W, E, "PnpLockdown not set",
     "[Version] section should specify PnpLockdown=1 to prevent external apps from modifying installed "
     "driver files.",
     "add PnpLockdown=1 to [Version]", VER, 1},
    {1325, W, W, E, "Unsupported COM class registration",
     "Unsupported COM class registration '%s', only InprocServer32 supported.",
     "register the COM class as an InprocServer32 only", DI, 1},
    {1326, W, W, E, "Unisolated file path", "Unisolated file path '%s', expecting FileName under %%DriverData%%.",
     "keep data files under %DriverData% or the driver's own directory from "
     "IoGetDriverDirectory(DriverDirectoryData); find package files with IoGetDriverDirectory(DriverDirectoryImage)",
     DI, 1},
    {1328, N, N, W, "Unsupported file path replaced", "Unsupported file path '%s' replaced with '%s'.",
     "write the path relative to %DriverData%", DI, 1},
    {1329, N, N, E, "Filters added through the registry",
     "Cannot add filters with registry or property, use [DDInstall.Filters] section.",
     "declare the filter in a [DDInstall.Filters] section with AddFilter", FILTERS, 1},
    /* 1330-1333 "configured differently across sections": pnpbox's split is 1330 a
     * destination file, 1331 a global registry value, 1332 a service. */
    {1330, E, E, E, "Destination file configured differently",
     "Destination file '%s' is copied from different sources ('%s' and '%s').",
     "copy each destination file from one source", IVE, 1},
    {1331, E, E, E, "Registry value configured differently",
     "Registry value '%s' is set to different data in different sections.",
     "set the value to the same data everywhere, or move it under HKR", IVE, 1},
    {1332, E, E, E, "Service configured differently", "Service '%s' is configured differently in [%s] and [%s].",
     "give the service one configuration in every service-install section", IVE, 1},
    {1333, E, E, E, "Configured differently across sections", "Configured differently across sections: %s.",
     "configure shared state once", IVE, 0},
    /* 1340/1341 "Specified DIRID not allowed": 1340 for a DestinationDirs DIRID, 1341 for a
     * %dirid% inside a value (registry data, ServiceBinary). */
    {1340, N, N, E, "Deprecated DIRID as a destination", "Specified DIRID '%s' not allowed.",
     "copy to DIRID 13 (the driver store) instead of a deprecated DIRID", DIRIDS, 1},
    {1341, N, N, E, "Deprecated DIRID in a path", "Specified DIRID '%s' not allowed.",
     "refer to package files through %13% (the driver store) instead of a deprecated DIRID", DIRIDS, 1},
    {1402, N, N, E, "WDF version deprecated", "WDF version deprecated: %s.", "port UMDF 1 drivers to UMDF 2",
     IVE, 0},
    {1450, N, N, W, "Legacy unisolated directive", "Legacy unisolated directive '%s' may be ignored.",
     "remove the directive", IVE, 0},
    {2083, W, W, W, "Section not referenced or used", "Section [%s] not referenced or used.",
     "remove the section, or reference it from the directive that should use it", IVE, 1},
    {2084, W, W, E, "Service binary not copied",
     "Service binary '%s' should reference a CopyFiles destination file.",
     "point ServiceBinary at a file the INF copies, e.g. %13%\\driver.sys", RFDS, 1},
    {2085, E, E, E, "Service binary not under a DIRID",
     "Service binary '%s' should be specified as a path under a DIRID (e.g. %%13%%\\binary.sys).",
     "write ServiceBinary as %13%\\binary.sys", RFDS, 1},
    {2660, N, N, E, "HKCR not isolated", "Cannot modify HKCR\\%s registry subkey. It must be under HKR.",
     "write the state under HKR instead of HKCR", DI, 1},
    {2661, N, N, E, "Audio-only key", "Only AudioProcessingObject class may write to %s.",
     "move the value under HKR", DI, 0},
};

const inf_rule *emu_inf_rules(size_t *n)
{
    if (n)
        *n = sizeof rules / sizeof rules[0];
    return rules;
}

const inf_rule *emu_inf_rule(int code)
{
    size_t lo = 0, hi = sizeof rules / sizeof rules[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (rules[mid].code == code)
            return &rules[mid];
        if (rules[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
