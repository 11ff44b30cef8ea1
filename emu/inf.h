/*
 * inf.h: the INF engine: parser, model, install plan and linter.
 *
 * pnpbox reads driver package INF files the way Windows does (reference
 * windows-isolation.md §1.14-§3) and turns them into pure data:
 *
 *   parse   bytes -> sections, lines and fields, with file and line kept,
 *           [Strings] substitution done (emu_inf_parse_*);
 *   model   [Version], [Manufacturer] and models with TargetOSVersion
 *           selection, hardware/compatible ID matching and ranking,
 *           DDInstall resolution (emu_inf_version, emu_inf_models_*,
 *           emu_inf_match*);
 *   plan    the ordered list of operations Windows would perform to install
 *           one driver node on a device, or the whole package: registry ops
 *           with exact REG_* data bytes, file copies with DIRID destinations,
 *           services, interfaces, filters (emu_inf_plan_*).  No I/O: the
 *           driver store and device install (emu/ on regdb and fs) execute it;
 *   lint    InfVerif codes at the /w ("Windows Driver") level, with one rule
 *           catalogue (emu_inf_rules) that reports, `pnpbox lint` and
 *           `pnpbox explain` share (emu_inf_lint*, emu_inf_report_*).
 *
 * Strings are UTF-16 code units (uint16_t, never wchar_t handed to libc),
 * counted, as Windows stores them.  Messages and file names are UTF-8.
 *
 * Ownership: an inf_file owns every inf_str, inf_line, inf_section and
 * inf_field reachable from it, valid until emu_inf_free().  An inf_plan
 * owns its ops, strings and data, valid until emu_inf_plan_free(); plan
 * ops may point at inf_line of the inf_file they came from, so free the
 * plan before the file.  Lint results own their findings.
 *
 * Errors: functions return 0 or a negative INF_E_* code (errno values);
 * emu_inf_strerror() names them.  Malformed INF text is never an error
 * return: it becomes diagnostics (emu_inf_diag) carrying InfVerif codes.
 */
#ifndef EMU_INF_H
#define EMU_INF_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "base/pb_buf.h"

/* ---- errors ---- */
#define INF_E_NOMEM (-ENOMEM)     /* out of memory */
#define INF_E_INVAL (-EINVAL)     /* NULL or bad argument */
#define INF_E_IO (-EIO)           /* the file could not be read */
#define INF_E_NOTFOUND (-ENOENT)  /* no such file / no matching driver node / unknown DIRID */
#define INF_E_TOOBIG (-EFBIG)     /* the file is larger than INF_MAX_FILE_BYTES */
#define INF_E_RANGE (-ERANGE)     /* a value does not fit (e.g. a DIRID path buffer) */

#define INF_MAX_FILE_BYTES (64u * 1024 * 1024)
#define INF_MAX_FIELD 4095u  /* 4096 characters per field including the NUL (GSR) */
#define INF_MAX_SECTION_NAME 255u

const char *emu_inf_strerror(int err);

/* ---- basic types ---- */

/* A counted UTF-16 string; s is never NULL but not necessarily NUL-terminated. */
typedef struct inf_str {
    const uint16_t *s;
    size_t n;
} inf_str;

typedef enum inf_arch {
    INF_ARCH_AMD64 = 0, /* the default: zero-initialised options mean amd64 */
    INF_ARCH_X86,
    INF_ARCH_ARM,
    INF_ARCH_ARM64,
    INF_ARCH_IA64,
    INF_ARCH_COUNT
} inf_arch;

/* "amd64", "x86", "arm", "arm64", "ia64" (the TargetOSVersion / SourceDisksFiles spelling). */
const char *emu_inf_arch_name(inf_arch a);
/* Parse one of those names (ASCII, case-insensitive); 0 or INF_E_INVAL. */
int emu_inf_arch_parse(const char *name, inf_arch *out);

/* The machine an INF is evaluated for (TargetOSVersion selection, DDInstall suffix). */
typedef struct inf_target {
    inf_arch arch;         /* INF_ARCH_AMD64 */
    uint32_t major, minor; /* 10, 0 */
    uint32_t build;        /* 26100 (Windows 11 24H2) */
    uint32_t product_type; /* 1 = VER_NT_WORKSTATION */
    uint32_t suite_mask;   /* 0x100 = VER_SUITE_SINGLEUSERTS, as a desktop reports */
} inf_target;

/* Fill *t with the default target: NTamd64, 10.0, build 26100, product type 1, suite 0x100. */
void emu_inf_target_default(inf_target *t);

typedef enum inf_encoding {
    INF_ENC_ANSI,          /* no BOM, read as Windows-1252 */
    INF_ENC_UTF16LE,       /* FF FE */
    INF_ENC_UTF16BE,       /* FE FF */
    INF_ENC_UTF8,          /* EF BB BF (parsed; InfVerif 1003) */
    INF_ENC_UTF16LE_NOBOM, /* detected by the NUL pattern of ASCII text */
    INF_ENC_UTF16BE_NOBOM,
} inf_encoding;

const char *emu_inf_encoding_name(inf_encoding e);

/* ---- parsing ---- */

typedef struct inf_parse_opts {
    uint16_t langid; /* LANGID for [Strings.LLLL] selection; 0 means 0x0409 */
    inf_arch arch;   /* replaces $ARCH$ in .inx templates (as stampinf does) */
    int inx;         /* 0: decide by the ".inx" extension; 1: template; 2: plain INF */
} inf_parse_opts;

typedef struct inf_file inf_file;

/* Field flags. */
enum {
    INF_FIELD_QUOTED = 0x1,      /* some part of the field was in "quotes" */
    INF_FIELD_HAS_DIRID = 0x2,   /* the raw text has a %number% token */
    INF_FIELD_HAS_STRKEY = 0x4,  /* a %strkey% was substituted */
    INF_FIELD_UNDEFINED = 0x8,   /* a %strkey% had no definition (1235); kept as written */
    INF_FIELD_TOO_LONG = 0x10,   /* over INF_MAX_FIELD before or after substitution (1002) */
};

typedef struct inf_field {
    inf_str raw;     /* after quoting rules: quotes removed, "" -> ", % sequences untouched */
    inf_str val;     /* substituted: %% -> %, %strkey% -> its string, %dirid% kept as written */
    uint32_t lineno; /* physical line the field starts on (1-based) */
    uint32_t flags;  /* INF_FIELD_* */
} inf_field;

typedef struct inf_line {
    const inf_field *key;    /* the part before an unquoted '=' (before any comma), or NULL */
    const inf_field *fields; /* values after '=', or every field of a positional line */
    uint32_t nfields;        /* >= 1: an empty line is not a line */
    uint32_t lineno;         /* first physical line (1-based) */
    uint32_t section;        /* index for emu_inf_section_at */
} inf_line;

typedef struct inf_section {
    inf_str name;                /* as first written */
    const inf_line *lines;       /* every line of every same-named section, in file order */
    uint32_t nlines;
    const uint32_t *header_lines; /* line of each [header]; more than one = duplicate (1209) */
    uint32_t nheaders;
} inf_section;

typedef enum inf_severity { INF_SEV_NONE = 0, INF_SEV_WARNING = 1, INF_SEV_ERROR = 2 } inf_severity;

/* A parser diagnostic (InfVerif code 1002, 1003 or 1235). */
typedef struct inf_diag {
    uint32_t lineno; /* 0 when it concerns the whole file */
    int code;
    inf_severity severity;
    const char *message; /* UTF-8 */
} inf_diag;

/*
 * Parse an INF from memory.  name is used in diagnostics (and decides the
 * .inx template mode); data need not outlive the call.  Returns 0 and a new
 * inf_file in *out (free with emu_inf_free) even when the text is malformed
 * (see emu_inf_diag); INF_E_INVAL for NULL out or data with n > 0,
 * INF_E_TOOBIG, INF_E_NOMEM.
 */
int emu_inf_parse_mem(const void *data, size_t n, const char *name, const inf_parse_opts *opts,
                      inf_file **out);

/* Read and parse a file; INF_E_NOTFOUND / INF_E_IO when it cannot be read. */
int emu_inf_parse_file(const char *path, const inf_parse_opts *opts, inf_file **out);

void emu_inf_free(inf_file *inf); /* NULL is fine */

const char *emu_inf_name(const inf_file *inf);     /* as given to the parser */
const char *emu_inf_basename(const inf_file *inf); /* file name part ("x.inf") */
inf_encoding emu_inf_encoding(const inf_file *inf);
int emu_inf_is_template(const inf_file *inf);      /* parsed as an .inx template */
size_t emu_inf_size(const inf_file *inf);          /* input size in bytes */

size_t emu_inf_diag_count(const inf_file *inf);
const inf_diag *emu_inf_diag_at(const inf_file *inf, size_t i);

size_t emu_inf_section_count(const inf_file *inf);
const inf_section *emu_inf_section_at(const inf_file *inf, size_t i);
/* Case-insensitive section lookup (Windows upcase); NULL when absent. */
const inf_section *emu_inf_section(const inf_file *inf, const char *ascii_name);
const inf_section *emu_inf_section_w(const inf_file *inf, const uint16_t *name, size_t n);

/* First line of the section whose key equals ascii_key (case-insensitive), or NULL. */
const inf_line *emu_inf_find_key(const inf_section *sec, const char *ascii_key);

/* The [Strings] section chosen for the LANGID (NULL when none); its LANGID or 0 for [Strings]. */
const inf_section *emu_inf_strings_section(const inf_file *inf, uint16_t *langid);
/* Value of a string key in the chosen [Strings] section; 0 or INF_E_NOTFOUND. */
int emu_inf_string(const inf_file *inf, const uint16_t *key, size_t n, inf_str *out);

/*
 * Expand a field for a consumer that needs DIRIDs resolved: %% -> %,
 * %strkey% -> string, %N% -> dirid(N) (appended as UTF-16 to out).  dirid
 * returns 0 after appending the path, or a negative code to keep the token
 * as written.  The result is appended to out as UTF-16 code units (no NUL).
 */
typedef int (*inf_dirid_fn)(void *ctx, int32_t dirid, pb_buf *out);
void emu_inf_field_expand(const inf_file *inf, const inf_field *f, inf_dirid_fn dirid, void *ctx,
                          pb_buf *out);

/* Number parsing as SetupGetIntField: "0x" hex, else decimal, optional '-'. 0 or INF_E_INVAL. */
int emu_inf_parse_int(inf_str s, int64_t *out);

/* Include= support: parse every INF named by an Include directive that exists in one of
 * dirs (first hit wins), recursively (depth <= 8).  *out gets a malloc'd array of parsed
 * files (free with emu_inf_free_list); names not found are simply absent. */
int emu_inf_load_includes(const inf_file *inf, const char *const *dirs, size_t ndirs,
                          const inf_parse_opts *opts, inf_file ***out, size_t *nout);
void emu_inf_free_list(inf_file **list, size_t n);

/* ---- DIRIDs (reference §1.15) ---- */

typedef struct inf_dirid_info {
    int32_t dirid;
    const char *path;        /* Windows path; "" for DIRIDs given by the context (01, 13, -1) */
    const char *description; /* as the DIRID page names it */
    int deprecated;          /* deprecated for WHQL signing under InfVerif /h (24H2) */
} inf_dirid_info;

/* The whole table (each listed DIRID once; -1 is listed as 65535 with alias -1). */
const inf_dirid_info *emu_inf_dirids(size_t *n);
/* The entry for a DIRID (-1 and 65535 are the same), or NULL if unknown. */
const inf_dirid_info *emu_inf_dirid_info(int32_t dirid);

/* What a DIRID maps to for a given package and machine. */
typedef struct inf_dirid_ctx {
    inf_arch arch;          /* picks spool\drivers\<env> for the printer DIRIDs */
    const char *store_dir;  /* DIRID 13: the package's driver-store folder (Windows path) */
    const char *source_dir; /* DIRID 01: where the INF was installed from */
} inf_dirid_ctx;

/*
 * Append the Windows path of dirid (e.g. 12 -> C:\Windows\System32\drivers)
 * to out as UTF-16 (no NUL).  DIRID -1/65535 appends nothing (the subdir is
 * the absolute path).  INF_E_NOTFOUND for unknown or user-defined DIRIDs and
 * for 13 / 01 when the context gives no path.
 */
int emu_inf_dirid_path(int32_t dirid, const inf_dirid_ctx *ctx, pb_buf *out);

/* ---- model ---- */

typedef struct inf_version {
    inf_str signature;     /* as written (val) */
    int signature_ok;      /* "$Windows NT$" or "$Chicago$", case-insensitive */
    inf_str class_name, class_guid, provider, catalog_file, extension_id;
    int has_driver_ver;    /* a DriverVer line exists */
    int driver_ver_ok;     /* date and version both parsed */
    uint16_t month, day, year;
    uint16_t ver[4];       /* w.x.y.z; missing parts are 0 */
    uint64_t version;      /* ver packed as DRIVER_VERSION: w<<48|x<<32|y<<16|z */
    int pnp_lockdown;      /* -1 absent, else the number */
    uint32_t lineno;       /* line of the [Version] header, 0 if absent */
    uint32_t driver_ver_line, pnp_lockdown_line, signature_line;
} inf_version;

/* Decode [Version] for a target (CatalogFile.NT<arch> before .NT before plain). Always fills *out. */
void emu_inf_version(const inf_file *inf, const inf_target *target, inf_version *out);

/* A parsed TargetOSVersion decoration ("NTamd64.10.0...22000"). */
typedef struct inf_decoration {
    int valid;              /* starts with NT and has a known architecture (or none) */
    int has_arch;
    inf_arch arch;
    int has_major, has_minor, has_product, has_suite, has_build;
    uint32_t major, minor, product_type, suite_mask, build;
} inf_decoration;

void emu_inf_decoration_parse(inf_str text, inf_decoration *out);
/* 1 if the decoration applies to the target (reference §2 [Manufacturer]). */
int emu_inf_decoration_applies(const inf_decoration *d, const inf_target *t);

/* One [Manufacturer] entry resolved for a target. */
typedef struct inf_models {
    inf_str manufacturer;         /* substituted name (the key, or the models name) */
    inf_str models_name;          /* models-section-name as written */
    inf_str decoration;           /* the chosen TargetOSVersion, empty when undecorated */
    const inf_section *section;   /* the [models.decoration] section, NULL if missing */
    const inf_line *line;         /* the Manufacturer line */
    int applicable;               /* 0 when no decoration applies to the target */
} inf_models;

size_t emu_inf_manufacturer_count(const inf_file *inf);
/* Resolve entry i for target: the closest applicable decoration. 0, INF_E_INVAL, INF_E_NOTFOUND. */
int emu_inf_models_select(const inf_file *inf, size_t i, const inf_target *t, inf_models *out);

/* A models line decoded. */
typedef struct inf_model {
    inf_str description;      /* device-description (substituted) */
    inf_str install;          /* install-section-name as written */
    const inf_field *ids;     /* ids[0] = hardware ID (may be empty), then compatible IDs */
    uint32_t nids;
    const inf_line *line;
} inf_model;

/* Decode a models-section line; INF_E_INVAL when it has no install section. */
int emu_inf_model_decode(const inf_line *line, inf_model *out);

/*
 * Resolve an install-section name for a target: X.NT<arch>, then X.NT,
 * then X (reference §2 DDInstall).  Returns the section or NULL; *decorated
 * gets the chosen name (pointing into the section).
 */
const inf_section *emu_inf_ddinstall(const inf_file *inf, inf_str install, inf_arch arch,
                                     inf_str *decorated);

/* A candidate driver for a device. */
typedef struct inf_driver_node {
    const inf_file *inf;
    inf_str description, manufacturer, provider, install, models_section;
    inf_str ddinstall;        /* resolved DDInstall section name; empty if none exists */
    inf_str matched_id;       /* the INF's ID that matched */
    const inf_line *line;     /* the models line */
    uint32_t rank;            /* 0xSSGGTHHH, lower is better */
    int hardware_match;       /* device hardware ID matched the INF hardware ID */
    uint32_t device_index;    /* position of the matching ID in the device's list */
    uint32_t inf_index;       /* position in the models line (0 = hardware ID) */
    uint16_t year, month, day;
    uint64_t version;
} inf_driver_node;

typedef struct inf_match_opts {
    const inf_target *target;   /* NULL: emu_inf_target_default */
    uint8_t signature_score;    /* SS of the rank; 0x00 = signed by WHQL (no catalog check here) */
} inf_match_opts;

/*
 * Rank every models line of inf (selected models sections only) against a
 * device's hardware and compatible IDs (UTF-16, NUL-terminated, most
 * specific first).  Rank (documented in docs/inf.md):
 *   identifier score: dev HW[i] = INF HW -> 0x0000+i; dev HW[i] = INF CID -> 0x1000+i;
 *   dev CID[k] = INF HW -> 0x2000+k; dev CID[k] = INF CID[j] -> 0x3000+0x100*(j-1)+k;
 *   rank = SS<<24 | FeatureScore<<16 (default 0xFF) | identifier score.
 * *out gets a malloc'd array (free()) sorted best first (emu_inf_node_cmp).
 */
int emu_inf_match(const inf_file *inf, const inf_match_opts *opts, const uint16_t *const *hwids,
                  size_t nhw, const uint16_t *const *compat, size_t ncompat, inf_driver_node **out,
                  size_t *nout);

/* Order of two candidates: lower rank, then newer DriverVer date, then higher version. */
int emu_inf_node_cmp(const inf_driver_node *a, const inf_driver_node *b);

/* ---- install plan ---- */

/* REG_* value types (winnt.h). */
enum {
    INF_REG_NONE = 0, INF_REG_SZ = 1, INF_REG_EXPAND_SZ = 2, INF_REG_BINARY = 3, INF_REG_DWORD = 4,
    INF_REG_MULTI_SZ = 7, INF_REG_QWORD = 11,
};

/* FLG_ADDREG_* (reference §2 AddReg) and FLG_DELREG_MULTI_SZ_DELSTRING, INF_-prefixed so that
 * they never clash with a setupapi.h. */
#define INF_ADDREG_BINVALUETYPE 0x00000001u
#define INF_ADDREG_NOCLOBBER 0x00000002u
#define INF_ADDREG_DELVAL 0x00000004u
#define INF_ADDREG_APPEND 0x00000008u
#define INF_ADDREG_KEYONLY 0x00000010u
#define INF_ADDREG_OVERWRITEONLY 0x00000020u
#define INF_ADDREG_64BITKEY 0x00001000u
#define INF_ADDREG_KEYONLY_COMMON 0x00002000u
#define INF_ADDREG_32BITKEY 0x00004000u
#define INF_ADDREG_TYPE_SZ 0x00000000u
#define INF_ADDREG_TYPE_MULTI_SZ 0x00010000u
#define INF_ADDREG_TYPE_EXPAND_SZ 0x00020000u
#define INF_ADDREG_TYPE_BINARY 0x00000001u
#define INF_ADDREG_TYPE_DWORD 0x00010001u
#define INF_ADDREG_TYPE_NONE 0x00020001u
#define INF_ADDREG_TYPE_QWORD 0x000B0001u
#define INF_ADDREG_TYPE_MASK 0xFFFF0001u
#define INF_DELREG_MULTI_SZ_DELSTRING 0x00018002u

/* AddService flags (SPSVCINST_*). */
#define INF_SVC_TAGTOFRONT 0x1u
#define INF_SVC_ASSOCSERVICE 0x2u
#define INF_SVC_DELETEEVENTLOGENTRY 0x4u
#define INF_SVC_NOCLOBBER_DISPLAYNAME 0x8u
#define INF_SVC_NOCLOBBER_STARTTYPE 0x10u
#define INF_SVC_NOCLOBBER_ERRORCONTROL 0x20u
#define INF_SVC_NOCLOBBER_LOADORDERGROUP 0x40u
#define INF_SVC_NOCLOBBER_DEPENDENCIES 0x80u
#define INF_SVC_NOCLOBBER_DESCRIPTION 0x100u
#define INF_SVC_STOPSERVICE 0x200u
#define INF_SVC_CLOBBER_SECURITY 0x400u
#define INF_SVC_STARTSERVICE 0x800u

typedef enum inf_root {
    INF_ROOT_SOFTWARE,        /* HKR of DDInstall / .CoInstallers: CCS\Control\Class\{guid}\NNNN */
    INF_ROOT_HARDWARE,        /* HKR of DDInstall.HW: CCS\Enum\<instance>\Device Parameters */
    INF_ROOT_SERVICE,         /* HKR of a service-install section: CCS\Services\<arg1> */
    INF_ROOT_EVENTLOG,        /* HKR of an event-log section: CCS\Services\EventLog\<arg1>\<arg2> */
    INF_ROOT_INTERFACE,       /* HKR of an add-interface-section: the interface's Device Parameters
                                 (interface class arg1, reference string arg2) */
    INF_ROOT_INTERFACE_CLASS, /* HKR of an InterfaceInstall32 section: CCS\Control\DeviceClasses\<arg1> */
    INF_ROOT_CLASS,           /* HKR of ClassInstall32: CCS\Control\Class\<arg1 = ClassGuid> */
    INF_ROOT_HKLM, INF_ROOT_HKCU, INF_ROOT_HKCR, INF_ROOT_HKU,
} inf_root;

const char *emu_inf_root_name(inf_root r); /* "software", "hardware", ..., "HKLM", ... */

typedef enum inf_reg_action {
    INF_REGOP_SET_VALUE,     /* create the key if needed and write the value (see flags) */
    INF_REGOP_CREATE_KEY,    /* FLG_ADDREG_KEYONLY(_COMMON), or a line without a value name */
    INF_REGOP_DELETE_VALUE,
    INF_REGOP_DELETE_KEY,    /* the subkey and everything below it */
    INF_REGOP_DELETE_STRING, /* remove one string (data) from a REG_MULTI_SZ value */
} inf_reg_action;

/* Executor flags of a registry op. */
enum {
    INF_REGF_NOCLOBBER = 0x1,     /* do not replace an existing value */
    INF_REGF_APPEND = 0x2,        /* MULTI_SZ: append the strings not already present */
    INF_REGF_OVERWRITEONLY = 0x4, /* write only if the value already exists */
    INF_REGF_64BIT = 0x8,         /* FLG_ADDREG_64BITKEY */
    INF_REGF_32BIT = 0x10,        /* FLG_ADDREG_32BITKEY: the WOW64 view */
    INF_REGF_SCM = 0x20,          /* a service value the service control manager writes */
};

typedef struct inf_wstr { /* a plan string: UTF-16, NUL-terminated, n excludes the NUL */
    const uint16_t *s;
    size_t n;
} inf_wstr;

typedef struct inf_reg_op {
    inf_reg_action action;
    inf_root root;
    inf_wstr root_arg1, root_arg2; /* see inf_root */
    inf_wstr subkey;               /* relative to the root, as written; may be empty */
    inf_wstr value_name;           /* empty = the default value */
    uint32_t type;                 /* INF_REG_* value type (SET_VALUE / DELETE_STRING) */
    const uint8_t *data;           /* exact bytes Windows writes: strings UTF-16LE + NUL, */
    size_t data_len;               /* MULTI_SZ + final NUL, DWORD little-endian */
    uint32_t exec_flags;           /* INF_REGF_* */
    uint32_t inf_flags;            /* INF_ADDREG_* / DelReg flags as written */
} inf_reg_op;

/* COPYFLG_* of CopyFiles lines. */
#define INF_COPYFLG_WARN_IF_SKIP 0x1u
#define INF_COPYFLG_NOSKIP 0x2u
#define INF_COPYFLG_NOVERSIONCHECK 0x4u
#define INF_COPYFLG_FORCE_FILE_IN_USE 0x8u
#define INF_COPYFLG_NO_OVERWRITE 0x10u
#define INF_COPYFLG_NO_VERSION_DIALOG 0x20u
#define INF_COPYFLG_OVERWRITE_OLDER_ONLY 0x40u
#define INF_COPYFLG_REPLACEONLY 0x400u
#define INF_COPYFLG_NODECOMP 0x800u
#define INF_COPYFLG_REPLACE_BOOT_FILE 0x1000u
#define INF_COPYFLG_NOPRUNE 0x2000u
#define INF_COPYFLG_IN_USE_RENAME 0x4000u

typedef struct inf_file_op {
    int32_t dest_dirid;     /* from DestinationDirs (or DefaultDestDir, or 11 when neither) */
    inf_wstr dest_subdir;   /* DestinationDirs subdir, may be empty */
    inf_wstr dest_name;     /* destination file name */
    inf_wstr dest_path;     /* full Windows path of the destination file (DIRIDs resolved) */
    inf_wstr src_name;      /* source file name (= dest_name unless renamed) */
    inf_wstr src_subdir;    /* package-relative source directory (SourceDisksNames path +
                               SourceDisksFiles subdir), empty for the package root */
    int32_t disk_id;        /* SourceDisksFiles disk id, -1 when the file is not listed */
    uint32_t flags;         /* INF_COPYFLG_* (CopyFiles); RenFiles/DelFiles flags otherwise */
    inf_wstr list_section;  /* the file-list section ("" for CopyFiles=@file) */
    int has_security;       /* a [list.security] section exists */
} inf_file_op;

typedef struct inf_service_op {
    inf_wstr name;            /* empty for the null driver (AddService = ,2) */
    uint32_t flags;           /* INF_SVC_* */
    inf_wstr install_section; /* empty when none */
    int has_type, has_start, has_error;
    uint32_t service_type, start_type, error_control;
    inf_wstr binary;          /* ServiceBinary after %strkey% substitution, %dirid% as written */
    int32_t binary_dirid;     /* the leading %N% of ServiceBinary, or -2 when it has none */
    inf_wstr binary_rel;      /* the path after "%N%\" (or the whole value) */
    uint32_t binary_lineno;   /* the ServiceBinary line, 0 when there is none */
    inf_wstr image_path;      /* ImagePath as Windows writes it (REG_EXPAND_SZ text) */
    inf_wstr display_name, description, load_order_group, start_name;
    const inf_wstr *dependencies; /* as written; "+Group" names a load-order group */
    size_t ndependencies;
    inf_wstr eventlog_section, eventlog_type, eventlog_name; /* type/name defaulted */
} inf_service_op;

typedef struct inf_interface_op {
    inf_wstr guid;       /* {IfGUID} as written */
    inf_wstr reference;  /* reference string, may be empty */
    inf_wstr section;    /* add-interface-section, may be empty */
    uint32_t flags;
} inf_interface_op;

typedef struct inf_filter_op {
    inf_wstr name;       /* the filter service */
    uint32_t flags;
    inf_wstr section;    /* filter-install-section */
    inf_wstr level;      /* FilterLevel, or empty */
    inf_wstr position;   /* FilterPosition (Upper/Lower), or empty */
} inf_filter_op;

typedef enum inf_op_kind {
    INF_OP_REG,         /* registry change (reg) */
    INF_OP_COPY,        /* CopyFiles (file) */
    INF_OP_DELETE_FILE, /* DelFiles (file: dest_* set) */
    INF_OP_RENAME_FILE, /* RenFiles (file: dest_name = new name, src_name = old name) */
    INF_OP_SERVICE,     /* AddService (service); its registry values follow as INF_OP_REG */
    INF_OP_DELETE_SERVICE, /* DelService (service: name, flags) */
    INF_OP_INTERFACE,   /* AddInterface (iface); its AddReg follows as INF_OP_REG */
    INF_OP_FILTER,      /* AddFilter (filter) */
} inf_op_kind;

/* What referenced the section an op comes from (decides HKR, and the lint rules). */
typedef enum inf_context {
    INF_CTX_DDINSTALL, INF_CTX_HW, INF_CTX_SERVICES, INF_CTX_INTERFACES, INF_CTX_COINSTALLERS,
    INF_CTX_FILTERS, INF_CTX_DEFAULTINSTALL, INF_CTX_CLASSINSTALL, INF_CTX_SERVICE_INSTALL,
    INF_CTX_EVENTLOG, INF_CTX_ADD_INTERFACE, INF_CTX_INTERFACE_INSTALL,
} inf_context;

typedef struct inf_op {
    inf_op_kind kind;
    inf_context context;     /* the section kind the directive was found in */
    const char *directive;   /* "AddReg", "DelReg", "CopyFiles", "AddService", ... ("SCM" for
                                the values the service control manager writes) */
    const inf_file *inf;     /* the INF holding the line (an included INF for Needs) */
    const inf_line *line;    /* the line that produced the op (NULL for SCM-written values) */
    uint32_t lineno;
    const char *file;        /* emu_inf_name(inf) */
    inf_wstr section;        /* the section holding the line */
    inf_wstr install;        /* the install section (DDInstall, DefaultInstall...) being processed */
    union {
        inf_reg_op reg;
        inf_file_op file;
        inf_service_op service;
        inf_interface_op iface;
        inf_filter_op filter;
    } u;
} inf_op;

/* A problem found while planning (code is an InfVerif code, or 0). */
typedef struct inf_issue {
    inf_severity severity;
    int code;
    const char *file;
    uint32_t lineno;
    char *message; /* UTF-8 */
} inf_issue;

/* Every file a package references (for staging). */
typedef struct inf_package_file {
    inf_wstr name;       /* file name */
    inf_wstr src_subdir; /* package-relative directory, empty for the root */
    int32_t disk_id;     /* -1 when not in SourceDisksFiles */
    int listed;          /* in SourceDisksFiles[.arch] */
    int copied;          /* named as a source by a CopyFiles operation */
    uint32_t lineno;     /* SourceDisksFiles line, else the first CopyFiles line */
} inf_package_file;

typedef struct inf_plan {
    int has_node;
    inf_driver_node node;      /* the driver node (device plans) */
    const inf_op *ops;         /* in the order Windows performs them (docs/inf.md) */
    size_t nops;
    const inf_issue *issues;
    size_t nissues;
    const inf_package_file *files; /* emu_inf_plan_package only; NULL otherwise */
    size_t nfiles;
} inf_plan;

typedef struct inf_plan_opts {
    const inf_target *target;          /* NULL: default */
    const char *store_dir;             /* DIRID 13; NULL: FileRepository\<inf>_<arch>_0000000000000000 */
    const char *source_dir;            /* DIRID 01; NULL: unknown */
    const inf_file *const *includes;   /* INFs available for Include= (by file name) */
    size_t nincludes;
    uint8_t signature_score;           /* for ranking (emu_inf_plan_device) */
} inf_plan_opts;

/* A plan holds at most this many operations; beyond it an error issue says the rest was not planned. */
#define INF_MAX_PLAN_OPS 200000u

/* Plan the install of one driver node (from emu_inf_match) on a device. */
int emu_inf_plan_node(const inf_file *inf, const inf_plan_opts *opts, const inf_driver_node *node,
                      inf_plan **out);

/* Match (emu_inf_match) and plan the best node; INF_E_NOTFOUND when nothing matches. */
int emu_inf_plan_device(const inf_file *inf, const inf_plan_opts *opts, const uint16_t *const *hwids,
                        size_t nhw, const uint16_t *const *compat, size_t ncompat, inf_plan **out);

/* Whole-package plan flags. */
enum {
    INF_PKG_ALL_DECORATIONS = 0x1, /* every TargetOSVersion of every manufacturer, each with its arch */
};

/*
 * The operations of every driver node of the package (each DDInstall once),
 * plus [DefaultInstall] and [ClassInstall32], and the list of every file
 * the package references (plan->files), independent of any device.  A list
 * section (AddReg, DelReg, CopyFiles...) shared by several install sections
 * is planned once per HKR target, so the ops are the set of what any device
 * install of the package does.
 */
int emu_inf_plan_package(const inf_file *inf, const inf_plan_opts *opts, unsigned flags,
                         inf_plan **out);

void emu_inf_plan_free(inf_plan *plan);

/* Write a readable dump of a plan (one op per line) to out as UTF-8 text. */
void emu_inf_plan_dump(const inf_plan *plan, pb_buf *out);

/* ---- lint ---- */

/* One InfVerif rule as pnpbox implements it. */
typedef struct inf_rule {
    int code;
    inf_severity level_k, level_u, level_w; /* InfVerif /k, /u, /w levels (reference §3.1) */
    const char *title;   /* short description */
    const char *format;  /* message with printf %s placeholders, InfVerif's wording */
    const char *fix;     /* one-line isolated alternative */
    const char *doc;     /* documentation page */
    int implemented;     /* 0: listed for completeness only (never reported) */
} inf_rule;

const inf_rule *emu_inf_rules(size_t *n); /* ordered by code */
const inf_rule *emu_inf_rule(int code);   /* NULL if not in the catalogue */

typedef struct inf_finding {
    const char *file;
    uint32_t lineno; /* 0: the whole file */
    int code;
    inf_severity severity;
    char *message;   /* UTF-8 */
    const char *fix;
} inf_finding;

typedef struct inf_lint_result {
    const char *file;
    inf_finding *findings; /* sorted by line, then code */
    size_t nfindings;
    size_t errors, warnings;
} inf_lint_result;

typedef struct inf_lint_opts {
    const inf_target *target; /* NULL: default */
} inf_lint_opts;

/* Lint a parsed INF at the /w level. */
int emu_inf_lint(const inf_file *inf, const inf_lint_opts *opts, inf_lint_result **out);
void emu_inf_lint_free(inf_lint_result *r);

/* Report writers over several files' results. */
void emu_inf_report_text(pb_buf *out, inf_lint_result *const *results, size_t n);
void emu_inf_report_json(pb_buf *out, inf_lint_result *const *results, size_t n);
void emu_inf_report_sarif(pb_buf *out, inf_lint_result *const *results, size_t n);

#endif
