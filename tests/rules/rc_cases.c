/*
 * rc_cases.c: the table of the violation corpus.  One entry per snippet:
 * the rule it must trigger, the rules an earlier call of it breaks first,
 * who runs it, its isolated twin, what Windows answers the call, where the
 * finding must be recorded (API, path as Windows names it, handle origin,
 * component) and the effect of the snippet and of its twin.  Adding a case
 * is one entry here (and its snippet); test_corpus.c runs every entry in
 * every mode.
 *
 * Entry: name, rule, pre (rules an earlier call, or the call itself, breaks
 * before the rule is judged), also (rules later calls break once the call
 * is allowed), who runs it, snippet, twin, status kind, what Windows
 * answers, the finding's API, path and origin, the finding's component
 * when not the runner's, the snippet's and the twin's effects, and a
 * known pnpbox bug with the tests it breaks (none today: the bugs the
 * corpus found are fixed, and their cases run in every test).
 *
 * Paths are fnmatch patterns (case-insensitive, '\' literal) with the
 * placeholders of rc_expand().
 */
#include "tests/rules/rc.h"

/* NTSTATUS / Win32 / CONFIGRET values the table needs (this file includes no WDK header). */
#define OK 0
#define NT_ACCESS_DENIED ((int32_t)0xC0000022)

#define K(name) PNPBOX_COMP_KERNEL_DRIVER, name
#define SVC PNPBOX_COMP_WIN32_SERVICE, RC_SVC
#define APP PNPBOX_COMP_APP, RC_APP

#define NONE {RC_EFF_NONE, NULL, NULL, NULL}
#define OUT(text) {RC_EFF_OUT, NULL, NULL, text}
#define REG_SZ_IS(key, name, text) {RC_EFF_REG_SZ, key, name, text}
#define REG_DWORD_IS(key, name, num) {RC_EFF_REG_DWORD, key, name, num}
#define FILE_HOLDS(path, text) {RC_EFF_FILE, path, NULL, text}

#define SVCKEY(svc) RC_CCS "\\Services\\" svc
#define STORE_FILE(name) RC_STORE "\\{RCDRV_FOLDER}\\" name
#define OTHER_IFACE_GUID "{5c0ffee1-0bad-4c0d-9e11-52434f544852}"
#define QI_GUID "{5c0ffee2-0bad-4c0d-9e11-524351494558}"
#define SYSTEM_CLASS "{4d36e97d-e325-11ce-bfc1-08002be10318}"

const rc_case rc_cases[] = {
    /* ---- REG-ABSOLUTE-PATH ---- */
    {"reg_abs_zwcreatekey_software", "REG-ABSOLUTE-PATH", NULL, "REG-FOREIGN-HANDLE", K(RC_DRV), k_abs_zwcreatekey_software,
     k_twin_state_counter, RC_NT, OK, "ZwCreateKey", "\\REGISTRY\\MACHINE\\SOFTWARE\\Contoso", "absolute", NULL,
     REG_DWORD_IS("\\Registry\\Machine\\SOFTWARE\\Contoso\\RcDrv", "InstallCount", "1"),
     REG_DWORD_IS(SVCKEY("rcdrv\\State"), "InstallCount", "1"), NULL, 0},
    {"reg_abs_rtl_services", "REG-ABSOLUTE-PATH", NULL, "REG-FOREIGN-HANDLE", K(RC_DRV), k_abs_rtl_services_parameters,
     k_twin_rtl_handle_parameters, RC_NT, OK, "RtlQueryRegistryValues", SVCKEY("rcdrv\\Parameters"), "absolute", NULL,
     OUT("Level=3"), OUT("Level=3"), NULL, 0},
    {"reg_abs_svc_regcreatekey_hklm", "REG-ABSOLUTE-PATH", NULL, "REG-FOREIGN-HANDLE", SVC, u_abs_regcreatekey_hklm,
     u_twin_service_state_key, RC_WIN32, OK, "RegCreateKeyExW", "\\REGISTRY\\MACHINE\\SOFTWARE\\Contoso",
     "absolute", NULL, REG_DWORD_IS("\\Registry\\Machine\\SOFTWARE\\Contoso\\RcSvc", "Runs", "1"),
     REG_DWORD_IS(SVCKEY("RcSvc\\State"), "Runs", "1"), NULL, 0},

    /* ---- REG-FOREIGN-HANDLE ---- */
    {"reg_foreign_laundered_keyname", "REG-FOREIGN-HANDLE", "REG-ABSOLUTE-PATH", NULL, K(RC_DRV),
     k_foreign_laundered_keyname, k_twin_relative_settings, RC_NT, OK, "ZwQueryValueKey",
     RC_CCS "\\Enum\\ROOT\\RCDEV\\0000\\Device Parameters", "IoOpenDeviceRegistryKey/PLUGPLAY_REGKEY_DEVICE", NULL,
     OUT("Setting=fast"), OUT("Setting=fast"), NULL, 0},
    {"reg_foreign_registrypath_relative", "REG-FOREIGN-HANDLE", "REG-ABSOLUTE-PATH", NULL, K(RC_DRV),
     k_foreign_registrypath_relative, k_twin_parameters_level, RC_NT, OK, "ZwOpenKey", SVCKEY("rcdrv\\Parameters"),
     "absolute", NULL, OUT("Level=3"), OUT("Level=3"), NULL, 0},
    {"reg_foreign_svc_hklm_subkey_value", "REG-FOREIGN-HANDLE", "REG-ABSOLUTE-PATH", NULL, SVC, u_foreign_hklm_subkey_value,
     u_twin_service_parameters, RC_WIN32, OK, "RegGetValueW", SVCKEY("RcSvc\\Parameters"), "absolute", NULL,
     OUT("Greeting=hello from RcSvc"), OUT("Greeting=hello from RcSvc"), NULL, 0},

    /* ---- REG-IMMUTABLE-WRITE ---- */
    {"reg_immutable_set_through_parameters", "REG-IMMUTABLE-WRITE", NULL, NULL, K(RC_DRV),
     k_immutable_set_through_parameters, k_twin_state_last_level, RC_NT, OK, "ZwSetValueKey",
     SVCKEY("rcdrv\\Parameters"), "IoOpenDriverRegistryKey/DriverRegKeyParameters", NULL,
     REG_DWORD_IS(SVCKEY("rcdrv\\Parameters"), "LastLevel", "3"), REG_DWORD_IS(SVCKEY("rcdrv\\State"), "LastLevel", "3"),
     NULL, 0},
    {"reg_immutable_subkey_under_parameters", "REG-IMMUTABLE-WRITE", NULL, NULL, K(RC_DRV),
     k_immutable_subkey_under_parameters, k_twin_state_runtime, RC_NT, OK, "ZwCreateKey",
     SVCKEY("rcdrv\\Parameters\\Runtime"), "IoOpenDriverRegistryKey/DriverRegKeyParameters", NULL,
     REG_DWORD_IS(SVCKEY("rcdrv\\Parameters\\Runtime"), "Boots", "1"),
     REG_DWORD_IS(SVCKEY("rcdrv\\State\\Runtime"), "Boots", "1"), NULL, 0},
    {"reg_immutable_rtl_write_services", "REG-IMMUTABLE-WRITE", "REG-ABSOLUTE-PATH", "REG-FOREIGN-HANDLE", K(RC_DRV),
     k_immutable_rtl_write_services, k_twin_state_last_level, RC_NT, OK, "RtlWriteRegistryValue",
     SVCKEY("rcdrv\\Parameters"), "absolute", NULL, REG_DWORD_IS(SVCKEY("rcdrv\\Parameters"), "LastLevel", "3"),
     REG_DWORD_IS(SVCKEY("rcdrv\\State"), "LastLevel", "3"), NULL, 0},
    {"reg_immutable_open_parameters_for_write", "REG-IMMUTABLE-WRITE", NULL, NULL, K(RC_DRV),
     k_immutable_open_parameters_for_write, k_twin_state_last_level, RC_NT, NT_ACCESS_DENIED,
     "IoOpenDriverRegistryKey", SVCKEY("rcdrv\\Parameters"), "IoOpenDriverRegistryKey/DriverRegKeyParameters", NULL,
     NONE, REG_DWORD_IS(SVCKEY("rcdrv\\State"), "LastLevel", "3"), NULL, 0},

    /* ---- REG-CROSS-COMPONENT ---- */
    {"reg_cross_other_hardware_key", "REG-CROSS-COMPONENT", NULL, NULL, K(RC_DRV), k_cross_other_hardware_key,
     k_twin_other_interface_key, RC_NT, OK, "IoOpenDeviceRegistryKey",
     RC_CCS "\\Enum\\ROOT\\RCOTHER\\0000\\Device Parameters", "IoOpenDeviceRegistryKey/PLUGPLAY_REGKEY_DEVICE", NULL,
     OUT("Mode=turbo"), OUT("Mode=turbo"), NULL, 0},
    {"reg_cross_svc_other_software_key", "REG-CROSS-COMPONENT", NULL, NULL, SVC, u_cross_other_software_key,
     u_twin_other_shared_state, RC_CR, OK, "CM_Open_DevNode_Key", RC_CCS "\\Control\\Class\\" SYSTEM_CLASS "\\*",
     "CM_Open_DevNode_Key/CM_REGISTRY_SOFTWARE", NULL, OUT("DriverVersion=4.5.6.7"), OUT("Published=rcother-shared"),
     NULL, 0},

    /* ---- REG-INSTALLER-VALUE ---- */
    {"reg_installer_driverdesc", "REG-INSTALLER-VALUE", NULL, NULL, K(RC_DRV), k_installer_driverdesc, k_twin_own_label,
     RC_NT, OK, "ZwSetValueKey", "{RCDRV_SWKEY}", "IoOpenDeviceRegistryKey/PLUGPLAY_REGKEY_DRIVER", NULL,
     REG_SZ_IS("{RCDRV_SWKEY}", "DriverDesc", "Contoso turbo device"),
     REG_SZ_IS("{RCDRV_SWKEY}", "FriendlyLabel", "Contoso turbo device"), NULL, 0},
    {"reg_installer_rtl_driverversion", "REG-INSTALLER-VALUE", NULL, NULL, K(RC_DRV), k_installer_rtl_driverversion,
     k_twin_rtl_own_version, RC_NT, OK, "RtlWriteRegistryValue", "{RCDRV_SWKEY}",
     "IoOpenDeviceRegistryKey/PLUGPLAY_REGKEY_DRIVER", NULL, REG_SZ_IS("{RCDRV_SWKEY}", "DriverVersion", "9.9.9.9"),
     REG_SZ_IS("{RCDRV_SWKEY}", "FirmwareVersion", "9.9.9.9"), NULL, 0},

    /* ---- FILE-ABSOLUTE-PATH ---- */
    {"file_abs_systemroot_ini", "FILE-ABSOLUTE-PATH", NULL, NULL, K(RC_DRV), k_fabs_systemroot_ini, k_twin_image_ini, RC_NT,
     OK, "ZwCreateFile", "C:\\Windows\\System32\\drivers\\rcdrv.ini", "absolute", NULL, OUT("level=2\n"),
     OUT("level=3\n"), NULL, 0},
    {"file_abs_own_data_by_name", "FILE-ABSOLUTE-PATH", NULL, NULL, K(RC_DRV), k_fabs_own_data_by_name,
     k_twin_own_data_relative, RC_NT, OK, "ZwCreateFile", "C:\\Windows\\ServiceState\\rcdrv\\Data\\state.bin",
     "absolute", NULL, OUT("rcdrv-state"), OUT("rcdrv-state"), NULL, 0},
    {"file_abs_svc_system32_config", "FILE-ABSOLUTE-PATH", NULL, NULL, SVC, u_fabs_system32_config, u_twin_module_dir_config,
     RC_WIN32, OK, "CreateFileW", "C:\\Windows\\System32\\rcsvc.cfg", "absolute", NULL, OUT("interval=9\n"),
     OUT("interval=5\n"), NULL, 0},

    /* ---- FILE-OUTSIDE-STATE ---- */
    {"file_outside_drivers_log", "FILE-OUTSIDE-STATE", "FILE-ABSOLUTE-PATH", NULL, K(RC_DRV), k_outside_drivers_log,
     k_twin_data_log, RC_NT, OK, "ZwCreateFile", "C:\\Windows\\System32\\drivers\\rcdrv.log", "absolute", NULL,
     FILE_HOLDS("C:\\Windows\\System32\\drivers\\rcdrv.log", "started\n"),
     FILE_HOLDS("C:\\Windows\\ServiceState\\rcdrv\\Data\\rcdrv.log", "started\n"), NULL, 0},
    {"file_outside_svc_windows_log", "FILE-OUTSIDE-STATE", "FILE-ABSOLUTE-PATH", NULL, SVC, u_outside_windows_log,
     u_twin_service_dir_log, RC_WIN32, OK, "CreateFileW", "C:\\Windows\\rcsvc.log", "absolute", NULL,
     FILE_HOLDS("C:\\Windows\\rcsvc.log", "started\n"),
     FILE_HOLDS("C:\\Windows\\ServiceState\\RcSvc\\Data\\rcsvc.log", "started\n"), NULL, 0},

    /* ---- FILE-DRIVER-STORE-WRITE (Windows itself refuses these writes: the store is read-only) ---- */
    {"file_store_cache_in_image_dir", "FILE-DRIVER-STORE-WRITE", NULL, NULL, K(RC_DRV), k_store_cache_in_image_dir,
     k_twin_cache_in_data_dir, RC_NT, NT_ACCESS_DENIED, "ZwCreateFile", STORE_FILE("cache.bin"),
     "IoGetDriverDirectory/DriverDirectoryImage", NULL, NONE,
     FILE_HOLDS("C:\\Windows\\ServiceState\\rcdrv\\Data\\cache.bin", "tables"), NULL, 0},
    {"file_store_patch_shipped_ini", "FILE-DRIVER-STORE-WRITE", NULL, NULL, K(RC_DRV), k_store_patch_shipped_ini,
     k_twin_override_ini_in_data, RC_NT, NT_ACCESS_DENIED, "ZwCreateFile", STORE_FILE("rcdrv.ini"),
     "IoGetDriverDirectory/DriverDirectoryImage", NULL, NONE,
     FILE_HOLDS("C:\\Windows\\ServiceState\\rcdrv\\Data\\rcdrv.ini", "level=4\n"), NULL, 0},

    /* ---- FILE-CROSS-COMPONENT ---- */
    {"file_cross_other_data_by_name", "FILE-CROSS-COMPONENT", "FILE-ABSOLUTE-PATH", NULL, K(RC_DRV),
     k_fcross_other_data_by_name, k_twin_other_public_driverdata, RC_NT, OK, "ZwCreateFile",
     "C:\\Windows\\ServiceState\\rcother\\Data\\state.bin", "absolute", NULL, OUT("rcother-private"),
     OUT("rcother-public"), NULL, 0},
    {"file_cross_other_device_directory", "FILE-CROSS-COMPONENT", NULL, NULL, K(RC_DRV), k_fcross_other_device_directory,
     k_twin_other_public_driverdata, RC_NT, OK, "IoGetDeviceDirectory",
     "C:\\Windows\\System32\\DriverState\\Devices\\ROOT#RCOTHER#0000\\Data", "IoGetDeviceDirectory/DeviceDirectoryData",
     NULL, OUT("rcother-device"), OUT("rcother-public"), NULL, 0},
    {"file_cross_svc_other_data_by_name", "FILE-CROSS-COMPONENT", "FILE-ABSOLUTE-PATH", NULL, SVC,
     u_fcross_other_data_by_name, u_twin_other_shared_directory, RC_WIN32, OK, "CreateFileW",
     "C:\\Windows\\ServiceState\\rcother\\Data\\state.bin", "absolute", NULL, OUT("rcother-private"),
     OUT("rcother-shared-file"), NULL, 0},

    /* ---- FILE-DRIVERDATA-ROOT (a warning: enforce mode reports it and allows the write) ---- */
    {"file_ddroot_driverdata_log", "FILE-DRIVERDATA-ROOT", NULL, NULL, K(RC_DRV), k_ddroot_log_at_root,
     k_twin_log_in_company_dir, RC_NT, OK, "ZwCreateFile", "C:\\Windows\\System32\\Drivers\\DriverData\\rcdrv.log",
     "\\DriverData", NULL, FILE_HOLDS("C:\\Windows\\System32\\Drivers\\DriverData\\rcdrv.log", "started\n"),
     FILE_HOLDS("C:\\Windows\\System32\\Drivers\\DriverData\\Contoso\\RcDrv\\rcdrv.log", "started\n"), NULL, 0},
    {"file_ddroot_svc_programdata_log", "FILE-DRIVERDATA-ROOT", NULL, NULL, SVC, u_ddroot_programdata_root,
     u_twin_programdata_company_dir, RC_WIN32, OK, "CreateFileW", "C:\\ProgramData\\rcsvc.log", "absolute", NULL,
     FILE_HOLDS("C:\\ProgramData\\rcsvc.log", "started\n"),
     FILE_HOLDS("C:\\ProgramData\\Contoso\\RcSvc\\rcsvc.log", "started\n"), NULL, 0},
    {"file_ddroot_svc_env_driverdata", "FILE-DRIVERDATA-ROOT", NULL, NULL, SVC, u_ddroot_env_driverdata_root,
     u_twin_env_driverdata_company_dir, RC_WIN32, OK, "CreateFileW",
     "C:\\Windows\\System32\\Drivers\\DriverData\\rcsvc.dat", "absolute", NULL,
     FILE_HOLDS("C:\\Windows\\System32\\Drivers\\DriverData\\rcsvc.dat", "data"),
     FILE_HOLDS("C:\\Windows\\System32\\Drivers\\DriverData\\Contoso\\RcSvc\\rcsvc.dat", "data"), NULL, 0},

    /* ---- IFACE-NO-NOTIFICATION (a warning) ---- */
    {"iface_nonotify_kernel_list", "IFACE-NO-NOTIFICATION", NULL, NULL, K(RC_DRV), k_nonotify_list_interfaces,
     k_twin_register_then_list, RC_NT, OK, "IoGetDeviceInterfaces", OTHER_IFACE_GUID, "none", NULL,
     OUT("\\??\\ROOT#RCOTHER#0000#" OTHER_IFACE_GUID), OUT("\\??\\ROOT#RCOTHER#0000#" OTHER_IFACE_GUID), NULL, 0},
    {"iface_nonotify_app_cm_list", "IFACE-NO-NOTIFICATION", NULL, NULL, APP, u_nonotify_cm_list,
     u_twin_cm_register_then_list, RC_CR, OK, "CM_Get_Device_Interface_ListW", OTHER_IFACE_GUID, "none", NULL,
     OUT("\\\\?\\ROOT#RCOTHER#0000#" OTHER_IFACE_GUID), OUT("\\\\?\\ROOT#RCOTHER#0000#" OTHER_IFACE_GUID), NULL, 0},

    /* ---- IFACE-CONTRACT (broken by the exporter rcqiexp, seen by the importer rcqi) ---- */
    {"iface_qi_answer_too_large", "IFACE-CONTRACT", NULL, NULL, K(RC_QI), k_qi_too_large, k_twin_qi_good, RC_NT, OK,
     "IRP_MN_QUERY_INTERFACE", QI_GUID, "none", RC_QIEXP, OUT("Level=3"), OUT("Level=3"), NULL, 0},
    {"iface_qi_answer_newer_version", "IFACE-CONTRACT", NULL, NULL, K(RC_QI), k_qi_newer_version, k_twin_qi_good, RC_NT, OK,
     "IRP_MN_QUERY_INTERFACE", QI_GUID, "none", RC_QIEXP, OUT("Level=3"), OUT("Level=3"), NULL, 0},
    {"iface_qi_answer_no_reference", "IFACE-CONTRACT", NULL, NULL, K(RC_QI), k_qi_no_reference, k_twin_qi_good, RC_NT, OK,
     "IRP_MN_QUERY_INTERFACE", QI_GUID, "none", RC_QIEXP, OUT("Level=3"), OUT("Level=3"), NULL, 0},

    /* ---- UPDATE-STALE-PATH ---- */
    {"update_stale_saved_image_dir", "UPDATE-STALE-PATH", "FILE-ABSOLUTE-PATH", NULL, K(RC_DRV), k_stale_saved_image_dir,
     k_twin_image_dir_after_update, RC_NT, OK, "ZwCreateFile", STORE_FILE("rcdrv.ini"), "absolute", NULL,
     OUT("level=3\n"), OUT("level=3\n"), NULL, 0},
    {"update_stale_app_saved_path", "UPDATE-STALE-PATH", "FILE-ABSOLUTE-PATH", NULL, APP, u_stale_app_saved_path,
     u_twin_app_module_path, RC_WIN32, OK, "CreateFileW", STORE_FILE("rcpanel.cfg"), "absolute", NULL,
     OUT("theme=dark\n"), OUT("theme=dark\n"), NULL, 0},
    {"update_stale_app_not_restarted", "UPDATE-STALE-PATH", NULL, NULL, APP, u_stale_app_not_restarted,
     u_twin_app_module_path, RC_WIN32, OK, "CreateFileW", STORE_FILE("rcpanel.cfg"), "absolute", NULL,
     OUT("theme=dark\n"), OUT("theme=dark\n"), NULL, 0},
};

const size_t rc_ncases = sizeof rc_cases / sizeof rc_cases[0];
