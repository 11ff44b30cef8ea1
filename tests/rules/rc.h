/*
 * rc.h: the violation corpus of the isolation rules (tests/rules).
 *
 * Every rule of the catalogue (emu/rule_catalog.c) gets driver-side
 * snippets that must trigger it and an isolated twin of each that does
 * the same job the sanctioned way and must trigger nothing.  Snippets are
 * ordinary driver, service or application code calling the real mock APIs
 * (never hand-made emu_access records); they run on a "world" machine
 * (rc_world.c) with two installed driver packages, a Win32 service, an
 * application and a pair of drivers talking IRP_MN_QUERY_INTERFACE.
 *
 * The case table (rc_cases.c) says, per snippet, which rule it breaks, at
 * which API and path, with which handle origin, what status Windows gives
 * the call, and what the snippet's effect is; test_corpus.c runs every
 * case in report, enforce and fail-fast mode, the twins in report and
 * enforce mode, and suppressions per rule family.
 *
 * This header uses plain C types only: the kernel snippets include
 * <ntddk.h>, the user-mode ones <windows.h>, and both include this.
 */
#ifndef TESTS_RULES_RC_H
#define TESTS_RULES_RC_H

#include "pnpbox/pnpbox.h"

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- what a snippet reports */

/*
 * A snippet marks the one call the case is about: RC_BEFORE right before
 * it (the enforce test snapshots the machine there), RC_AFTER right after
 * it with the call's status.  A snippet whose case has pre-rules marks the
 * earlier call that breaks them with RC_PRE.  What the snippet read goes
 * to out (UTF-8), for the read effects.
 */
typedef struct rc_ctx {
    int32_t st;     /* status of the call under test: NTSTATUS, Win32 error or CONFIGRET */
    int after;      /* the call under test returned */
    int32_t st_pre; /* status of the earlier call that breaks the pre-rules */
    int pre_done;   /* that call returned */
    int done;       /* the snippet ran to its end */
    char out[512];  /* what the snippet read, UTF-8 */
} rc_ctx;

/* Called by RC_BEFORE: snapshot the registry and the volume when the running test wants it. */
void rc_before(rc_ctx *x);

#define RC_BEFORE(x) rc_before(x)
#define RC_AFTER(x, status)                                                                        \
    do {                                                                                           \
        (x)->st = (int32_t)(status);                                                               \
        (x)->after = 1;                                                                            \
    } while (0)
#define RC_PRE(x, status)                                                                          \
    do {                                                                                           \
        (x)->st_pre = (int32_t)(status);                                                           \
        (x)->pre_done = 1;                                                                         \
    } while (0)

typedef void (*rc_snippet)(rc_ctx *x);

/* ---------------------------------------------------------------- the case table */

/* How the call under test reports failure, and so how enforce mode must deny it. */
typedef enum rc_status_kind {
    RC_NT = 0, /* NTSTATUS: STATUS_ACCESS_DENIED */
    RC_WIN32,  /* a Win32 error: ERROR_ACCESS_DENIED */
    RC_CR,     /* a CONFIGRET: CR_ACCESS_DENIED (CM_MapCrToWin32Err: ERROR_ACCESS_DENIED) */
} rc_status_kind;

/*
 * The effect of a snippet (or twin) when its call is allowed: checked
 * present after report mode, absent after enforce mode.  Paths may hold
 * the placeholders {RCDRV_FOLDER} (the rcdrv package's store folder when
 * the world was made), {RCDRV_NEW_FOLDER} (after rc_world_update) and
 * {RCDRV_SWKEY} (the NT path of rcdrv's device software key).
 */
typedef enum rc_eff_kind {
    RC_EFF_NONE = 0,
    RC_EFF_REG_SZ,    /* key `where` (\Registry\...) has REG_SZ value `name` = data */
    RC_EFF_REG_DWORD, /* key `where` has REG_DWORD value `name` = data (decimal text) */
    RC_EFF_FILE,      /* file `where` (C:\...) holds exactly data */
    RC_EFF_OUT,       /* the snippet read data (rc_ctx.out) */
} rc_eff_kind;

typedef struct rc_effect {
    rc_eff_kind kind;
    const char *where;
    const char *name;
    const char *data;
} rc_effect;

typedef struct rc_case {
    const char *name;  /* unique, used in every failure message */
    const char *rule;  /* the rule the snippet must trigger */
    const char *pre;   /* rules an earlier call of the same snippet (or the call itself) breaks first
                          (space-separated), or NULL */
    const char *also;  /* rules later calls of the snippet break once the call is allowed, or NULL */
    pnpbox_component_kind kind; /* who runs the snippet */
    const char *comp;
    rc_snippet bad, twin;
    rc_status_kind sk;
    int32_t report_st; /* what Windows answers the call (report mode: pnpbox must answer the same) */
    /* The finding: its API, its path as Windows names it (C:\... for files), the handle's
     * origin, and its component when another one than comp (the exporter of a QUERY_INTERFACE). */
    const char *api, *path, *origin, *who;
    rc_effect effect, twin_effect;
    /* A known pnpbox bug that breaks this case in the tests of bug_tests (RC_T_*): they
     * cr_skip_test with this text instead of failing.  NULL, 0 for every case today. */
    const char *bug;
    unsigned bug_tests;
} rc_case;

/* The corpus tests, for rc_case.bug_tests. */
enum {
    RC_T_REPORT = 0x01,   /* report mode: allowed as without pnpbox, finding recorded */
    RC_T_ENFORCE = 0x02,  /* enforce mode: denied, nothing changed */
    RC_T_FAILFAST = 0x04, /* fail-fast mode: denied and stopped at the call, later calls refused */
    RC_T_FIRST = 0x08,    /* without a baseline, the earlier call's pre-rule stops or denies first */
    RC_T_TWIN = 0x10,     /* the twin triggers nothing, in report and enforce mode */
    RC_T_SUPPRESS = 0x20, /* a baseline moves the finding to the suppressed list and allows the call */
    RC_T_JUSTIFY = 0x40,  /* the suppressed finding keeps its own baseline entry's justification */
};

extern const rc_case rc_cases[];
extern const size_t rc_ncases;

/* ---------------------------------------------------------------- the world (rc_world.c) */

/* Components of the world. */
#define RC_DRV "rcdrv"        /* the driver under test, device ROOT\RCDEV\0000 */
#define RC_OTHER "rcother"    /* another package's driver, device ROOT\RCOTHER\0000 */
#define RC_SVC "RcSvc"        /* a Win32 service of the rcdrv package */
#define RC_APP "rcpanel.exe"  /* an application of the rcdrv package */
#define RC_QI "rcqi"          /* imports an interface by IRP_MN_QUERY_INTERFACE, device ROOT\RCQI\0000 */
#define RC_QIEXP "rcqiexp"    /* the lower filter below rcqi that exports it */

#define RC_DEV "ROOT\\RCDEV\\0000"
#define RC_OTHER_DEV "ROOT\\RCOTHER\\0000"
#define RC_QI_DEV "ROOT\\RCQI\\0000"

#define RC_CCS "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001"
#define RC_STORE "C:\\Windows\\System32\\DriverStore\\FileRepository"

/* Make the world on the fixture's machine (mode report, as the harness); every
 * driver started, the Win32 service registered.  Fails the test on error. */
void rc_world_make(void);
/* Free what rc_world_make allocated outside the machine (the packages' host directory). */
void rc_world_free(void);
/* Stage rcdrv 2.0 and update ROOT\RCDEV\0000 to it, as the harness (the device is
 * restarted from the new store folder); with restart_app, rcpanel.exe is restarted from
 * the new folder too.  Returns to the component that called it. */
void rc_world_update(int restart_app);

/* The NT path of rcdrv's device software key (\REGISTRY\MACHINE\...\Control\Class\{guid}\NNNN). */
const char *rc_world_swkey(void);
/* Store folder names ("rcdrv.inf_amd64_<hash>"): the installed one, the one after rc_world_update. */
const char *rc_world_folder(void);
const char *rc_world_new_folder(void);
/* A template with {RCDRV_FOLDER}, {RCDRV_NEW_FOLDER}, {RCDRV_SWKEY} substituted; static rotating buffers. */
const char *rc_expand(const char *tmpl);

/* Kernel objects of the world, as void * (rc_world.c and the kernel snippets cast them). */
void *rc_drv_object(void);      /* rcdrv's DRIVER_OBJECT (the current one after an update) */
void *rc_pdo(void);             /* ROOT\RCDEV\0000's PDO */
void *rc_other_pdo(void);       /* ROOT\RCOTHER\0000's PDO */
const uint16_t *rc_registry_path(void); /* rcdrv's DriverEntry RegistryPath, NUL-terminated */
const uint16_t *rc_other_link(void);    /* rcother's interface symbolic link (kernel form), NUL-terminated */
void *rc_qi_lower(void);        /* the device object below rcqi's FDO: rcqiexp's filter device */
void *rc_qi_drv_object(void);   /* rcqi's DRIVER_OBJECT */

/* The user-mode identity of RcSvc (SERVICE_STATUS_HANDLE from RegisterServiceCtrlHandlerExW),
 * and its registration with the SCM when the world is made (rc_um.c). */
void *rc_svc_status(void);
void rc_um_world_init(void);

/* How rcqiexp answers IRP_MN_QUERY_INTERFACE for GUID_RC_QI. */
typedef enum rc_qi_answer {
    RC_QI_GOOD = 0,       /* checks Size and Version, fills version 1, references the interface */
    RC_QI_TOO_LARGE,      /* copies its version-2 structure and says so in Size */
    RC_QI_NEWER_VERSION,  /* answers version 2 to a version-1 request */
    RC_QI_NO_REFERENCE,   /* leaves InterfaceReference/InterfaceDereference NULL */
} rc_qi_answer;
void rc_qi_set_answer(rc_qi_answer a);
/* References rcqiexp's interface holds now (taken by InterfaceReference, dropped by InterfaceDereference). */
int rc_qi_refs(void);

/* ---------------------------------------------------------------- snippets (rc_k*.c, rc_um.c) */

#define RC_SNIPPET(name) void name(rc_ctx *x)

/* REG-ABSOLUTE-PATH */
RC_SNIPPET(k_abs_zwcreatekey_software);
RC_SNIPPET(k_twin_state_counter);
RC_SNIPPET(k_abs_rtl_services_parameters);
RC_SNIPPET(k_twin_rtl_handle_parameters);
RC_SNIPPET(u_abs_regcreatekey_hklm);
RC_SNIPPET(u_twin_service_state_key);
/* REG-FOREIGN-HANDLE */
RC_SNIPPET(k_foreign_laundered_keyname);
RC_SNIPPET(k_twin_relative_settings);
RC_SNIPPET(k_foreign_registrypath_relative);
RC_SNIPPET(k_twin_parameters_level);
RC_SNIPPET(u_foreign_hklm_subkey_value);
RC_SNIPPET(u_twin_service_parameters);
/* REG-IMMUTABLE-WRITE */
RC_SNIPPET(k_immutable_set_through_parameters);
RC_SNIPPET(k_immutable_subkey_under_parameters);
RC_SNIPPET(k_immutable_rtl_write_services);
RC_SNIPPET(k_immutable_open_parameters_for_write);
RC_SNIPPET(k_twin_state_last_level);
RC_SNIPPET(k_twin_state_runtime);
/* REG-CROSS-COMPONENT */
RC_SNIPPET(k_cross_other_hardware_key);
RC_SNIPPET(k_twin_other_interface_key);
RC_SNIPPET(u_cross_other_software_key);
RC_SNIPPET(u_twin_other_shared_state);
/* REG-INSTALLER-VALUE */
RC_SNIPPET(k_installer_driverdesc);
RC_SNIPPET(k_twin_own_label);
RC_SNIPPET(k_installer_rtl_driverversion);
RC_SNIPPET(k_twin_rtl_own_version);
/* FILE-ABSOLUTE-PATH */
RC_SNIPPET(k_fabs_systemroot_ini);
RC_SNIPPET(k_twin_image_ini);
RC_SNIPPET(k_fabs_own_data_by_name);
RC_SNIPPET(k_twin_own_data_relative);
RC_SNIPPET(u_fabs_system32_config);
RC_SNIPPET(u_twin_module_dir_config);
/* FILE-OUTSIDE-STATE */
RC_SNIPPET(k_outside_drivers_log);
RC_SNIPPET(k_twin_data_log);
RC_SNIPPET(u_outside_windows_log);
RC_SNIPPET(u_twin_service_dir_log);
/* FILE-DRIVER-STORE-WRITE */
RC_SNIPPET(k_store_cache_in_image_dir);
RC_SNIPPET(k_twin_cache_in_data_dir);
RC_SNIPPET(k_store_patch_shipped_ini);
RC_SNIPPET(k_twin_override_ini_in_data);
/* FILE-CROSS-COMPONENT */
RC_SNIPPET(k_fcross_other_data_by_name);
RC_SNIPPET(k_twin_other_public_driverdata);
RC_SNIPPET(k_fcross_other_device_directory);
RC_SNIPPET(u_fcross_other_data_by_name);
RC_SNIPPET(u_twin_other_shared_directory);
/* FILE-DRIVERDATA-ROOT */
RC_SNIPPET(k_ddroot_log_at_root);
RC_SNIPPET(k_twin_log_in_company_dir);
RC_SNIPPET(u_ddroot_programdata_root);
RC_SNIPPET(u_twin_programdata_company_dir);
RC_SNIPPET(u_ddroot_env_driverdata_root);
RC_SNIPPET(u_twin_env_driverdata_company_dir);
/* IFACE-NO-NOTIFICATION */
RC_SNIPPET(k_nonotify_list_interfaces);
RC_SNIPPET(k_twin_register_then_list);
RC_SNIPPET(u_nonotify_cm_list);
RC_SNIPPET(u_twin_cm_register_then_list);
/* IFACE-CONTRACT */
RC_SNIPPET(k_qi_too_large);
RC_SNIPPET(k_qi_newer_version);
RC_SNIPPET(k_qi_no_reference);
RC_SNIPPET(k_twin_qi_good);
/* UPDATE-STALE-PATH */
RC_SNIPPET(k_stale_saved_image_dir);
RC_SNIPPET(k_twin_image_dir_after_update);
RC_SNIPPET(u_stale_app_saved_path);
RC_SNIPPET(u_twin_app_module_path);
RC_SNIPPET(u_stale_app_not_restarted);

/* Not in the table (test_world.c): a new company directory made at the root of DriverData
 * by rcdrv, and at the root of ProgramData and %DriverData% by RcSvc. */
RC_SNIPPET(k_make_company_dir);
RC_SNIPPET(u_make_company_dirs);

/* Not in the table: a clean call any component may make (reading \Registry\Machine\HARDWARE\DESCRIPTION
 * by name, kernel and user mode), which must be refused after a fail-fast stop like every other. */
RC_SNIPPET(k_probe_hardware_key);
RC_SNIPPET(u_probe_hardware_key);

#endif
