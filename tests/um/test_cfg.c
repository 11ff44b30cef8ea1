/*
 * test_cfg.c: the configuration manager calls over the device tree
 * (cfgmgr32.h): CM_Locate_DevNodeW (the root, present and phantom
 * devnodes), CM_Get_Device_IDW / CM_Get_Device_ID_Size at their buffer
 * boundaries, CM_Get_Parent / Child / Sibling, CM_Get_DevNode_Status,
 * CM_Get_DevNode_PropertyW (Wine's cfgmgr32 argument checks, run on
 * Windows), CM_Open_DevNode_Key (hardware and software keys, an approved
 * handle source), CM_MapCrToWin32Err.  Devices are driven by the kernel
 * driver of drv_iface.c.
 */
#include "tests/um/um.h"

#include <initguid.h>
#include <devpkey.h>

#include "base/pb_utf16.h"
#include "tests/um/drv_iface.h"

static void setup(void)
{
    um_setup();
    drv_iface_install(m);
}

TestSuite(um_cfg, .init = setup, .fini = um_teardown);

static void start(const char *inst)
{
    int32_t st = (int32_t)UM_DEAD;
    cr_assert_eq(pnpbox_device_start(m, inst, &st), 0, "%s", pnpbox_errmsg(m));
    cr_assert_eq(st, STATUS_SUCCESS);
}

static DEVINST locate(const char *inst, ULONG flags)
{
    DEVINST d = UM_DEAD;
    uint16_t *w = inst ? pb_wcs_from_utf8(inst) : NULL;
    CONFIGRET cr = CM_Locate_DevNodeW(&d, (DEVINSTID_W)w, flags);
    free(w);
    cr_assert_eq(cr, CR_SUCCESS, "locate %s: 0x%x", inst, (unsigned)cr);
    cr_assert_neq(d, 0);
    return d;
}

static const char *device_id(DEVINST d)
{
    static WCHAR buf[MAX_DEVICE_ID_LEN];
    cr_assert_eq(CM_Get_Device_IDW(d, buf, MAX_DEVICE_ID_LEN, 0), CR_SUCCESS);
    return um_u8s(buf);
}

Test(um_cfg, locate_the_root_and_the_argument_checks)
{
    cr_assert_eq(CM_Locate_DevNodeW(NULL, NULL, 0), CR_INVALID_POINTER);
    DEVINST d = UM_DEAD;
    cr_assert_eq(CM_Locate_DevNodeW(&d, NULL, 0xdeadbeef), CR_INVALID_FLAG);
    cr_assert_eq(d, 0, "cleared before the flags are checked");
    DEVINST root = UM_DEAD;
    cr_assert_eq(CM_Locate_DevNodeW(&root, NULL, CM_LOCATE_DEVNODE_NORMAL), CR_SUCCESS);
    cr_assert_neq(root, 0);
    cr_assert_str_eq(device_id(root), "HTREE\\ROOT\\0");
    d = UM_DEAD;
    cr_assert_eq(CM_Locate_DevNodeW(&d, (DEVINSTID_W)L"", 0), CR_SUCCESS);
    cr_assert_eq(d, root, "an empty ID is the root too");
    d = UM_DEAD;
    cr_assert_eq(CM_Locate_DevNodeW(&d, (DEVINSTID_W)L"htree\\root\\0", 0), CR_SUCCESS);
    cr_assert_eq(d, root);
    static const WCHAR *const bad[] = {L"ROOT", L"ROOT\\IFDEV", L"ROOT\\\\0000", L"\\ROOT\\IFDEV", L"ROOT\\IFDEV\\",
                                       L"ROOT\\IFDEV\\0000\\1", L"ROOT\\IF DEV\\0000", L"ROOT\\IF,DEV\\0000"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        d = UM_DEAD;
        cr_assert_eq(CM_Locate_DevNodeW(&d, (DEVINSTID_W)bad[i], 0), CR_INVALID_DEVICE_ID, "%s", um_u8s(bad[i]));
        cr_assert_eq(d, 0);
    }
    d = UM_DEAD;
    cr_assert_eq(CM_Locate_DevNodeW(&d, (DEVINSTID_W)L"ROOT\\NOPE\\0000", 0), CR_NO_SUCH_DEVNODE);
    cr_assert_eq(d, 0);
    cr_assert_eq(CM_Locate_DevNodeW(&d, (DEVINSTID_W)L"ROOT\\NOPE\\0000", CM_LOCATE_DEVNODE_PHANTOM),
                 CR_NO_SUCH_DEVNODE);
    /* The root's status. */
    ULONG s = UM_DEAD, p = UM_DEAD;
    cr_assert_eq(CM_Get_DevNode_Status(&s, &p, root, 0), CR_SUCCESS);
    cr_assert_eq(s & (DN_STARTED | DN_DRIVER_LOADED), DN_STARTED | DN_DRIVER_LOADED);
    cr_assert_eq(p, 0);
    cr_assert_eq(CM_Get_DevNode_Status(NULL, &p, root, 0), CR_INVALID_POINTER);
    cr_assert_eq(CM_Get_DevNode_Status(&s, NULL, root, 0), CR_INVALID_POINTER);
    cr_assert_eq(CM_Get_DevNode_Status(&s, &p, root, 1), CR_INVALID_FLAG);
    cr_assert_eq(CM_Get_DevNode_Status(&s, &p, 0, 0), CR_INVALID_DEVNODE);
    cr_assert_eq(CM_Get_DevNode_Status(&s, &p, 0x7ffffff0, 0), CR_INVALID_DEVNODE);
}

Test(um_cfg, a_devnode_is_a_phantom_until_the_pnp_manager_attaches_it)
{
    drv_iface_add_device(m, "ROOT\\IFDEV\\0000");
    DEVINST d = UM_DEAD;
    cr_assert_eq(CM_Locate_DevNodeW(&d, (DEVINSTID_W)L"ROOT\\IFDEV\\0000", 0), CR_NO_SUCH_DEVNODE,
                 "installed, not in the tree");
    cr_assert_eq(d, 0);
    DEVINST ph = locate("root\\ifdev\\0000", CM_LOCATE_DEVNODE_PHANTOM);
    cr_assert_str_eq(device_id(ph), "ROOT\\IFDEV\\0000", "the Enum keys' spelling");
    ULONG s = UM_DEAD, p = UM_DEAD;
    cr_assert_eq(CM_Get_DevNode_Status(&s, &p, ph, 0), CR_NO_SUCH_DEVINST);
    cr_assert_eq(s, UM_DEAD);
    cr_assert_eq(p, UM_DEAD);
    DEVINST par = UM_DEAD;
    cr_assert_eq(CM_Get_Parent(&par, ph, 0), CR_NO_SUCH_DEVNODE);
    cr_assert_eq(par, 0);
    /* Started: present, the same DEVINST. */
    start("ROOT\\IFDEV\\0000");
    DEVINST d2 = locate("ROOT\\IFDEV\\0000", CM_LOCATE_DEVNODE_NORMAL);
    cr_assert_eq(d2, ph);
    cr_assert_eq(CM_Get_DevNode_Status(&s, &p, d2, 0), CR_SUCCESS);
    cr_assert_eq(s, DN_DRIVER_LOADED | DN_STARTED | DN_DISABLEABLE | DN_NT_ENUMERATOR | DN_NT_DRIVER |
                        DN_ROOT_ENUMERATED,
                 "status 0x%x", (unsigned)s);
    cr_assert_eq(p, 0);
    /* Removed: a phantom again. */
    int32_t st;
    cr_assert_eq(pnpbox_device_remove(m, "ROOT\\IFDEV\\0000", 0, &st), 0);
    cr_assert_eq(CM_Locate_DevNodeW(&d, (DEVINSTID_W)L"ROOT\\IFDEV\\0000", 0), CR_NO_SUCH_DEVNODE);
    cr_assert_eq(CM_Locate_DevNodeW(&d, (DEVINSTID_W)L"ROOT\\IFDEV\\0000", CM_LOCATE_DEVNODE_PHANTOM), CR_SUCCESS);
    cr_assert_eq(d, ph);
}

Test(um_cfg, a_failed_start_shows_as_a_problem)
{
    drv_iface_add_device(m, "ROOT\\IFDEV\\0000");
    drv_seen.fail_start = 1;
    int32_t st = 0;
    cr_assert_eq(pnpbox_device_start(m, "ROOT\\IFDEV\\0000", &st), 0);
    cr_assert_eq(st, STATUS_DEVICE_CONFIGURATION_ERROR);
    DEVINST d = locate("ROOT\\IFDEV\\0000", 0);
    ULONG s = UM_DEAD, p = UM_DEAD;
    cr_assert_eq(CM_Get_DevNode_Status(&s, &p, d, 0), CR_SUCCESS);
    cr_assert(s & DN_HAS_PROBLEM);
    cr_assert_eq(s & DN_STARTED, 0);
    cr_assert_eq(p, CM_PROB_FAILED_START);
}

Test(um_cfg, device_id_at_its_buffer_boundaries)
{
    drv_iface_add_device(m, "ROOT\\IFDEV\\0000");
    start("ROOT\\IFDEV\\0000");
    DEVINST d = locate("ROOT\\IFDEV\\0000", 0);
    const char *id = "ROOT\\IFDEV\\0000";
    ULONG n = strlen(id);
    ULONG len = UM_DEAD;
    cr_assert_eq(CM_Get_Device_ID_Size(&len, d, 0), CR_SUCCESS);
    cr_assert_eq(len, n, "characters, without the NUL");
    cr_assert_eq(CM_Get_Device_ID_Size(NULL, d, 0), CR_INVALID_POINTER);
    len = UM_DEAD;
    cr_assert_eq(CM_Get_Device_ID_Size(&len, d, 1), CR_INVALID_FLAG);
    cr_assert_eq(len, 0);
    len = UM_DEAD;
    cr_assert_eq(CM_Get_Device_ID_Size(&len, 0, 0), CR_INVALID_DEVNODE);
    cr_assert_eq(len, 0);

    WCHAR buf[64];
    memset(buf, UM_FILL, sizeof buf);
    cr_assert_eq(CM_Get_Device_IDW(d, buf, n + 1, 0), CR_SUCCESS);
    cr_assert(um_weq(buf, id));
    /* Exactly the ID: no room for the NUL, none written, still CR_SUCCESS. */
    memset(buf, UM_FILL, sizeof buf);
    cr_assert_eq(CM_Get_Device_IDW(d, buf, n, 0), CR_SUCCESS);
    cr_assert_eq(buf[n], (WCHAR)0xdede);
    cr_assert_eq(buf[n - 1], '0');
    /* Shorter: as much as fits. */
    memset(buf, UM_FILL, sizeof buf);
    cr_assert_eq(CM_Get_Device_IDW(d, buf, 4, 0), CR_BUFFER_SMALL);
    cr_assert_eq(memcmp(buf, L"ROOT", 8), 0);
    cr_assert_eq(buf[4], (WCHAR)0xdede);
    cr_assert_eq(CM_Get_Device_IDW(d, buf, 0, 0), CR_BUFFER_SMALL);
    cr_assert_eq(CM_Get_Device_IDW(d, NULL, 10, 0), CR_INVALID_POINTER);
    cr_assert_eq(CM_Get_Device_IDW(d, buf, 64, 1), CR_INVALID_FLAG);
    cr_assert_eq(CM_Get_Device_IDW(0, buf, 64, 0), CR_INVALID_DEVNODE);
    /* A DEVINST names a devnode key, not any key. */
    regdb_key other = um_key("\\Registry\\Machine\\SOFTWARE\\Contoso");
    cr_assert_eq(CM_Get_Device_IDW((DEVINST)other, buf, 64, 0), CR_INVALID_DEVNODE);
}

Test(um_cfg, the_tree_in_instance_order)
{
    static const char *const order[] = {"ROOT\\IFDEV\\0002", "ROOT\\IFDEV\\0000", "ROOT\\IFDEV\\0001"};
    for (int i = 0; i < 3; i++) {
        drv_iface_add_device(m, order[i]);
        start(order[i]);
    }
    drv_iface_add_device(m, "ROOT\\IFDEV\\0003"); /* a phantom: not in the tree */
    DEVINST root = locate(NULL, 0), c = UM_DEAD, s, p;
    cr_assert_eq(CM_Get_Child(&c, root, 0), CR_SUCCESS);
    cr_assert_str_eq(device_id(c), "ROOT\\IFDEV\\0000");
    cr_assert_eq(CM_Get_Parent(&p, c, 0), CR_SUCCESS);
    cr_assert_eq(p, root);
    cr_assert_eq(CM_Get_Sibling(&s, c, 0), CR_SUCCESS);
    cr_assert_str_eq(device_id(s), "ROOT\\IFDEV\\0001");
    cr_assert_eq(CM_Get_Sibling(&s, s, 0), CR_SUCCESS);
    cr_assert_str_eq(device_id(s), "ROOT\\IFDEV\\0002");
    DEVINST last = s;
    s = UM_DEAD;
    cr_assert_eq(CM_Get_Sibling(&s, last, 0), CR_NO_SUCH_DEVNODE);
    cr_assert_eq(s, 0);
    p = UM_DEAD;
    cr_assert_eq(CM_Get_Parent(&p, root, 0), CR_NO_SUCH_DEVNODE);
    cr_assert_eq(p, 0);
    cr_assert_eq(CM_Get_Sibling(&s, root, 0), CR_NO_SUCH_DEVNODE);
    cr_assert_eq(CM_Get_Child(&s, last, 0), CR_NO_SUCH_DEVNODE, "root-enumerated devices have no children");
    cr_assert_eq(CM_Get_Child(NULL, root, 0), CR_INVALID_POINTER);
    s = UM_DEAD;
    cr_assert_eq(CM_Get_Child(&s, root, 2), CR_INVALID_FLAG);
    cr_assert_eq(s, 0);
    cr_assert_eq(CM_Get_Parent(&s, 0, 0), CR_INVALID_DEVNODE);
}

Test(um_cfg, properties)
{
    drv_iface_add_device(m, "ROOT\\IFDEV\\0000");
    start("ROOT\\IFDEV\\0000");
    DEVINST d = locate("ROOT\\IFDEV\\0000", 0);
    DEVPROPTYPE t;
    BYTE buf[512];
    ULONG size;
    /* Wine's argument checks (run on Windows). */
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, NULL, NULL, NULL, NULL, 0), CR_INVALID_POINTER);
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, NULL, &t, NULL, NULL, 0), CR_INVALID_POINTER);
    size = 1;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, NULL, &t, NULL, &size, 0), CR_INVALID_POINTER);
    size = 0;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, NULL, &t, NULL, &size, 0), CR_FAILURE);
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_InstanceId, &t, NULL, &size, 1), CR_INVALID_FLAG);
    cr_assert_eq(CM_Get_DevNode_PropertyW(0, &DEVPKEY_Device_InstanceId, &t, NULL, &size, 0), CR_INVALID_DEVNODE);

    /* Sizing: CR_BUFFER_SMALL with the type and size, the buffer untouched. */
    t = UM_DEAD;
    size = 0;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_InstanceId, &t, NULL, &size, 0), CR_BUFFER_SMALL);
    cr_assert_eq(t, DEVPROP_TYPE_STRING);
    cr_assert_eq(size, sizeof L"ROOT\\IFDEV\\0000");
    memset(buf, UM_FILL, sizeof buf);
    ULONG small = size - 2;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_InstanceId, &t, buf, &small, 0), CR_BUFFER_SMALL);
    cr_assert_eq(small, size);
    cr_assert_eq(buf[0], UM_FILL);
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_InstanceId, &t, buf, &size, 0), CR_SUCCESS);
    cr_assert(um_weq((WCHAR *)buf, "ROOT\\IFDEV\\0000"));

    /* A list: HardwareID's REG_MULTI_SZ. */
    size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_HardwareIds, &t, buf, &size, 0), CR_SUCCESS);
    cr_assert_eq(t, DEVPROP_TYPE_STRING_LIST);
    cr_assert_eq(size, sizeof L"Root\\IfDev" + 2);
    cr_assert(um_weq((WCHAR *)buf, "Root\\IfDev"));
    cr_assert_eq(((WCHAR *)buf)[size / 2 - 1], 0);
    size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_Service, &t, buf, &size, 0), CR_SUCCESS);
    cr_assert(um_weq((WCHAR *)buf, "ifdrv"));
    size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_ClassGuid, &t, buf, &size, 0), CR_SUCCESS);
    cr_assert_eq(t, DEVPROP_TYPE_GUID);
    cr_assert_eq(size, sizeof(GUID));
    static const GUID sys = {0x4d36e97d, 0xe325, 0x11ce, {0xbf, 0xc1, 0x08, 0x00, 0x2b, 0xe1, 0x03, 0x18}};
    cr_assert(IsEqualGUID((GUID *)buf, &sys));
    size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_EnumeratorName, &t, buf, &size, 0), CR_SUCCESS);
    cr_assert(um_weq((WCHAR *)buf, "ROOT"));
    size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_ConfigFlags, &t, buf, &size, 0), CR_SUCCESS);
    cr_assert_eq(t, DEVPROP_TYPE_UINT32);
    cr_assert_eq(size, 4);
    size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_DevNodeStatus, &t, buf, &size, 0), CR_SUCCESS);
    cr_assert(*(ULONG *)buf & DN_STARTED);
    size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_Parent, &t, buf, &size, 0), CR_SUCCESS);
    cr_assert(um_weq((WCHAR *)buf, "HTREE\\ROOT\\0"));

    /* What the driver's IoGetDeviceDirectory stored, and what an INF would have written. */
    cr_assert_eq(drv_seen.dir_status, STATUS_SUCCESS);
    size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_StateDirectoryId, &t, buf, &size, 0), CR_SUCCESS);
    cr_assert_eq(t, DEVPROP_TYPE_STRING);
    cr_assert(um_weq((WCHAR *)buf, "ROOT#IFDEV#0000"), "%s", um_u8s((WCHAR *)buf));
    cr_assert(um_host_exists("Windows/System32/DriverState/Devices/ROOT#IFDEV#0000/Data"));
    um_set_sz(um_key("\\Registry\\Machine\\SYSTEM\\ControlSet001\\Enum\\ROOT\\IFDEV\\0000"), "DeviceDesc",
              "Contoso Interface Device");
    size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_DeviceDesc, &t, buf, &size, 0), CR_SUCCESS);
    cr_assert_eq(t, DEVPROP_TYPE_STRING);
    cr_assert(um_weq((WCHAR *)buf, "Contoso Interface Device"));

    /* Absent: CR_NO_SUCH_VALUE, an empty type and size. */
    t = UM_DEAD;
    size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_FriendlyName, &t, buf, &size, 0), CR_NO_SUCH_VALUE);
    cr_assert_eq(t, DEVPROP_TYPE_EMPTY);
    cr_assert_eq(size, 0);
    static const DEVPROPKEY unknown = {{0x01020304, 0x0506, 0x0708, {1, 2, 3, 4, 5, 6, 7, 8}}, 99};
    size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &unknown, &t, buf, &size, 0), CR_NO_SUCH_VALUE);
    /* The root has its ID and status, and nothing from an Enum key. */
    DEVINST root = locate(NULL, 0);
    size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(root, &DEVPKEY_Device_InstanceId, &t, buf, &size, 0), CR_SUCCESS);
    cr_assert(um_weq((WCHAR *)buf, "HTREE\\ROOT\\0"));
    size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(root, &DEVPKEY_Device_Service, &t, buf, &size, 0), CR_NO_SUCH_VALUE);
    const pnpbox_event *e = um_event("CM_Get_DevNode_PropertyW", "ROOT\\IFDEV\\0000", 0);
    cr_assert_not_null(e, "the reads are recorded");
}

Test(um_cfg, a_phantom_has_its_registry_properties)
{
    drv_iface_add_device(m, "ROOT\\IFDEV\\0000");
    DEVINST d = locate("ROOT\\IFDEV\\0000", CM_LOCATE_DEVNODE_PHANTOM);
    DEVPROPTYPE t;
    WCHAR buf[64];
    ULONG size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_Service, &t, (BYTE *)buf, &size, 0), CR_SUCCESS);
    cr_assert(um_weq(buf, "ifdrv"));
    size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_DevNodeStatus, &t, (BYTE *)buf, &size, 0),
                 CR_NO_SUCH_VALUE, "not in the tree: no status");
}

Test(um_cfg, hardware_key)
{
    drv_iface_add_device(m, "ROOT\\IFDEV\\0000");
    start("ROOT\\IFDEV\\0000");
    DEVINST d = locate("ROOT\\IFDEV\\0000", 0);
    HKEY k = (HKEY)(uintptr_t)UM_DEAD;
    cr_assert_eq(CM_Open_DevNode_Key(d, KEY_READ, 0, RegDisposition_OpenExisting, NULL, CM_REGISTRY_HARDWARE),
                 CR_INVALID_POINTER);
    cr_assert_eq(CM_Open_DevNode_Key(d, KEY_READ, 0, RegDisposition_OpenExisting, &k, 0x1000), CR_INVALID_FLAG);
    cr_assert_null(k);
    k = (HKEY)(uintptr_t)UM_DEAD;
    cr_assert_eq(CM_Open_DevNode_Key(d, KEY_READ, 0, RegDisposition_OpenExisting, &k,
                                     CM_REGISTRY_USER | CM_REGISTRY_CONFIG),
                 CR_INVALID_FLAG);
    cr_assert_null(k);
    cr_assert_eq(CM_Open_DevNode_Key(d, KEY_READ, 0, 7, &k, CM_REGISTRY_HARDWARE), CR_INVALID_DATA);
    cr_assert_eq(CM_Open_DevNode_Key(0, KEY_READ, 0, RegDisposition_OpenExisting, &k, CM_REGISTRY_HARDWARE),
                 CR_INVALID_DEVNODE);
    /* Device Parameters does not exist yet. */
    cr_assert_eq(CM_Open_DevNode_Key(d, KEY_READ, 0, RegDisposition_OpenExisting, &k, CM_REGISTRY_HARDWARE),
                 CR_NO_SUCH_REGISTRY_KEY);
    cr_assert_null(k);
    cr_assert(!um_key_exists("\\Registry\\Machine\\SYSTEM\\ControlSet001\\Enum\\ROOT\\IFDEV\\0000\\Device Parameters"));
    /* The driver's own user-mode component (a service of the same name would be its companion);
     * here the driver itself writes through the sanctioned key. */
    pnpbox_enter(pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "ifdrv"));
    size_t from = um_nevents();
    cr_assert_eq(CM_Open_DevNode_Key(d, KEY_ALL_ACCESS, 0, RegDisposition_OpenAlways, &k, CM_REGISTRY_HARDWARE),
                 CR_SUCCESS);
    cr_assert_not_null(k);
    cr_assert(um_key_exists("\\Registry\\Machine\\SYSTEM\\ControlSet001\\Enum\\ROOT\\IFDEV\\0000\\Device Parameters"));
    DWORD v = 5;
    cr_assert_eq(RegSetValueExW(k, L"Gain", 0, REG_DWORD, (const BYTE *)&v, 4), ERROR_SUCCESS);
    RegCloseKey(k);
    const pnpbox_event *e = um_event("CM_Open_DevNode_Key", "Device Parameters", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->origin, "CM_Open_DevNode_Key/CM_REGISTRY_HARDWARE");
    cr_assert_str_eq(e->rules, "");
    e = um_event("RegSetValueExW", "Device Parameters", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->origin, "CM_Open_DevNode_Key/CM_REGISTRY_HARDWARE");
    cr_assert_str_eq(e->rules, "", "%s", e->rules);

    /* An application reads it through the same call: no finding; writing another component's device state is. */
    um_as_app("contosoui");
    from = um_nevents();
    cr_assert_eq(CM_Open_DevNode_Key(d, KEY_READ, 0, RegDisposition_OpenExisting, &k, CM_REGISTRY_HARDWARE),
                 CR_SUCCESS);
    DWORD got = 0, len = 4;
    cr_assert_eq(RegQueryValueExW(k, L"Gain", NULL, NULL, (BYTE *)&got, &len), ERROR_SUCCESS);
    cr_assert_eq(got, 5);
    RegCloseKey(k);
    e = um_event("RegQueryValueExW", "Device Parameters", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->rules, "");
    cr_assert_eq(CM_Open_DevNode_Key(d, KEY_ALL_ACCESS, 0, RegDisposition_OpenExisting, &k, CM_REGISTRY_HARDWARE),
                 CR_SUCCESS);
    cr_assert_eq(RegSetValueExW(k, L"Gain", 0, REG_DWORD, (const BYTE *)&v, 4), ERROR_SUCCESS, "report mode");
    e = um_event("RegSetValueExW", "Device Parameters", from);
    cr_assert(um_has_rule(e, "REG-CROSS-COMPONENT"), "%s", e->rules);
    RegCloseKey(k);
    /* The same key by absolute path is judged as such. */
    from = um_nevents();
    cr_assert_eq(RegOpenKeyExW(HKEY_LOCAL_MACHINE,
                               L"SYSTEM\\CurrentControlSet\\Enum\\ROOT\\IFDEV\\0000\\Device Parameters", 0, KEY_READ,
                               &k),
                 ERROR_SUCCESS);
    e = um_event("RegOpenKeyExW", "Device Parameters", from);
    cr_assert(um_has_rule(e, "REG-ABSOLUTE-PATH"));
    RegCloseKey(k);
}

Test(um_cfg, software_key)
{
    drv_iface_add_device(m, "ROOT\\IFDEV\\0000");
    start("ROOT\\IFDEV\\0000");
    DEVINST d = locate("ROOT\\IFDEV\\0000", 0);
    HKEY k = (HKEY)(uintptr_t)UM_DEAD;
    /* No Driver value (no INF installed it): OpenExisting finds nothing, OpenAlways makes one. */
    cr_assert_eq(CM_Open_DevNode_Key(d, KEY_READ, 0, RegDisposition_OpenExisting, &k, CM_REGISTRY_SOFTWARE),
                 CR_NO_SUCH_REGISTRY_KEY);
    cr_assert_null(k);
    pnpbox_enter(pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "ifdrv"));
    size_t from = um_nevents();
    cr_assert_eq(CM_Open_DevNode_Key(d, KEY_ALL_ACCESS, 0, RegDisposition_OpenAlways, &k, CM_REGISTRY_SOFTWARE),
                 CR_SUCCESS);
    const char *cls = "\\Registry\\Machine\\SYSTEM\\ControlSet001\\Control\\Class\\" DRV_IFACE_DEVCLASS "\\0000";
    cr_assert(um_key_exists(cls));
    DEVPROPTYPE t;
    WCHAR buf[80];
    ULONG size = sizeof buf;
    cr_assert_eq(CM_Get_DevNode_PropertyW(d, &DEVPKEY_Device_Driver, &t, (BYTE *)buf, &size, 0), CR_SUCCESS);
    cr_assert(um_weq(buf, DRV_IFACE_DEVCLASS "\\0000"), "%s", um_u8s(buf));
    DWORD v = 1;
    cr_assert_eq(RegSetValueExW(k, L"Mode", 0, REG_DWORD, (const BYTE *)&v, 4), ERROR_SUCCESS);
    RegCloseKey(k);
    const pnpbox_event *e = um_event("CM_Open_DevNode_Key", "Control\\Class", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->origin, "CM_Open_DevNode_Key/CM_REGISTRY_SOFTWARE");
    e = um_event("RegSetValueExW", "Control\\Class", from);
    cr_assert_str_eq(e->rules, "", "%s", e->rules);
    /* Installer values in the software key are the installer's. */
    from = um_nevents();
    cr_assert_eq(CM_Open_DevNode_Key(d, KEY_ALL_ACCESS, 0, RegDisposition_OpenExisting, &k, CM_REGISTRY_SOFTWARE),
                 CR_SUCCESS);
    static const WCHAR ver[] = L"1.0";
    cr_assert_eq(RegSetValueExW(k, L"DriverVersion", 0, REG_SZ, (const BYTE *)ver, sizeof ver), ERROR_SUCCESS);
    e = um_event("RegSetValueExW", "Control\\Class", from);
    cr_assert(um_has_rule(e, "REG-INSTALLER-VALUE"), "%s", e->rules);
    RegCloseKey(k);
    /* The root has no software key. */
    cr_assert_eq(CM_Open_DevNode_Key(locate(NULL, 0), KEY_READ, 0, RegDisposition_OpenAlways, &k,
                                     CM_REGISTRY_SOFTWARE),
                 CR_NO_SUCH_REGISTRY_KEY);
}

Test(um_cfg, enforce_mode_keeps_the_sanctioned_keys_open)
{
    pnpbox_set_mode(m, PNPBOX_MODE_ENFORCE);
    drv_iface_add_device(m, "ROOT\\IFDEV\\0000");
    start("ROOT\\IFDEV\\0000");
    DEVINST d = locate("ROOT\\IFDEV\\0000", 0);
    pnpbox_enter(pnpbox_component_get(m, PNPBOX_COMP_KERNEL_DRIVER, "ifdrv"));
    HKEY k = NULL;
    cr_assert_eq(CM_Open_DevNode_Key(d, KEY_ALL_ACCESS, 0, RegDisposition_OpenAlways, &k, CM_REGISTRY_HARDWARE),
                 CR_SUCCESS);
    DWORD v = 1;
    cr_assert_eq(RegSetValueExW(k, L"x", 0, REG_DWORD, (const BYTE *)&v, 4), ERROR_SUCCESS);
    RegCloseKey(k);
    /* An application writing the driver's device state is refused. */
    um_as_app("contosoui");
    cr_assert_eq(CM_Open_DevNode_Key(d, KEY_ALL_ACCESS, 0, RegDisposition_OpenExisting, &k, CM_REGISTRY_HARDWARE),
                 CR_SUCCESS);
    cr_assert_eq(RegSetValueExW(k, L"x", 0, REG_DWORD, (const BYTE *)&v, 4), ERROR_ACCESS_DENIED);
    RegCloseKey(k);
}

Test(um_cfg, cr_to_win32)
{
    cr_assert_eq(CM_MapCrToWin32Err(CR_SUCCESS, 5), ERROR_SUCCESS);
    cr_assert_eq(CM_MapCrToWin32Err(CR_BUFFER_SMALL, 5), ERROR_INSUFFICIENT_BUFFER);
    cr_assert_eq(CM_MapCrToWin32Err(CR_NO_SUCH_DEVNODE, 5), ERROR_NOT_FOUND);
    cr_assert_eq(CM_MapCrToWin32Err(CR_NO_SUCH_REGISTRY_KEY, 5), ERROR_FILE_NOT_FOUND);
    cr_assert_eq(CM_MapCrToWin32Err(CR_INVALID_POINTER, 5), ERROR_INVALID_USER_BUFFER);
    cr_assert_eq(CM_MapCrToWin32Err(CR_ACCESS_DENIED, 5), ERROR_ACCESS_DENIED);
    cr_assert_eq(CM_MapCrToWin32Err(CR_DEFAULT, 0xdeadbeef), 0xdeadbeef);
}
