/*
 * test_notify.c: device interfaces from user mode, end to end with a
 * kernel driver (drv_iface.c) that registers and enables an interface at
 * START and writes its interface key: CM_Register_Notification (Wine's
 * argument checks, run on Windows), the documented register-then-list
 * pattern, callbacks running as the component that registered them, no
 * notification for interfaces that already exist, CM_Get_Device_Interface_
 * List(_Size)W and CM_Open_Device_Interface_KeyW reading what the driver
 * wrote, removal, IFACE-NO-NOTIFICATION when a component lists without
 * registering, and device-instance events.
 */
#include "tests/um/um.h"

#include "base/pb_utf16.h"
#include "tests/um/drv_iface.h"

#include <stddef.h>

static const GUID cls = DRV_IFACE_GUID_INIT;
#define LINK0 "\\\\?\\ROOT#IFDEV#0000#" DRV_IFACE_CLASS

/* What the callbacks saw. */
#define MAXN 16
static struct got {
    int n;
    CM_NOTIFY_ACTION action[MAXN];
    char text[MAXN][256]; /* the symbolic link or instance ID */
    GUID cls[MAXN];
    char comp[MAXN][64];
    void *ctx[MAXN];
    HCMNOTIFICATION handle[MAXN];
    DWORD size[MAXN];
} got;

static void setup(void)
{
    um_setup();
    memset(&got, 0, sizeof got);
    drv_iface_install(m);
    drv_iface_add_device(m, "ROOT\\IFDEV\\0000");
}

TestSuite(um_notify, .init = setup, .fini = um_teardown);

static DWORD CALLBACK cb(HCMNOTIFICATION h, PVOID ctx, CM_NOTIFY_ACTION action, PCM_NOTIFY_EVENT_DATA data,
                         DWORD size)
{
    cr_assert_lt(got.n, MAXN);
    int i = got.n++;
    got.action[i] = action;
    got.ctx[i] = ctx;
    got.handle[i] = h;
    got.size[i] = size;
    snprintf(got.comp[i], sizeof got.comp[i], "%s", pnpbox_component_name(pnpbox_current_component()));
    if (data->FilterType == CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE) {
        got.cls[i] = data->u.DeviceInterface.ClassGuid;
        snprintf(got.text[i], sizeof got.text[i], "%s", um_u8s(data->u.DeviceInterface.SymbolicLink));
    } else {
        cr_assert_eq(data->FilterType, CM_NOTIFY_FILTER_TYPE_DEVICEINSTANCE);
        snprintf(got.text[i], sizeof got.text[i], "%s", um_u8s(data->u.DeviceInstance.InstanceId));
    }
    return ERROR_SUCCESS;
}

static HCMNOTIFICATION reg_iface(const GUID *g, void *ctx)
{
    CM_NOTIFY_FILTER f;
    memset(&f, 0, sizeof f);
    f.cbSize = sizeof f;
    f.FilterType = CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE;
    if (g)
        f.u.DeviceInterface.ClassGuid = *g;
    else
        f.Flags = CM_NOTIFY_FILTER_FLAG_ALL_INTERFACE_CLASSES;
    HCMNOTIFICATION h = (HCMNOTIFICATION)(uintptr_t)UM_DEAD;
    cr_assert_eq(CM_Register_Notification(&f, ctx, cb, &h), CR_SUCCESS);
    cr_assert_not_null(h);
    return h;
}

static void start(const char *inst)
{
    int32_t st = (int32_t)UM_DEAD;
    cr_assert_eq(pnpbox_device_start(m, inst, &st), 0, "%s", pnpbox_errmsg(m));
    cr_assert_eq(st, STATUS_SUCCESS);
}

static void stop(const char *inst)
{
    int32_t st = (int32_t)UM_DEAD;
    cr_assert_eq(pnpbox_device_remove(m, inst, 0, &st), 0, "%s", pnpbox_errmsg(m));
    cr_assert_eq(st, STATUS_SUCCESS);
}

/* The list as one string, entries separated by '|'. */
static const char *list(ULONG flags, const WCHAR *dev, CONFIGRET *out)
{
    static char text[2048];
    ULONG len = UM_DEAD;
    CONFIGRET cr = CM_Get_Device_Interface_List_SizeW(&len, (LPGUID)&cls, (DEVINSTID_W)dev, flags);
    cr_assert_eq(cr, CR_SUCCESS);
    cr_assert_geq(len, 1);
    WCHAR *b = malloc(len * 2);
    memset(b, UM_FILL, len * 2);
    cr = CM_Get_Device_Interface_ListW((LPGUID)&cls, (DEVINSTID_W)dev, b, len, flags);
    if (out)
        *out = cr;
    cr_assert_eq(cr, CR_SUCCESS);
    cr_assert_eq(b[len - 1], 0, "the list's final NUL");
    text[0] = 0;
    for (WCHAR *p = b; *p; p += pb_wcslen((uint16_t *)p) + 1) {
        if (text[0])
            strcat(text, "|");
        strcat(text, um_u8s(p));
    }
    free(b);
    return text;
}

Test(um_notify, register_argument_checks)
{
    CM_NOTIFY_FILTER f;
    memset(&f, 0, sizeof f);
    f.cbSize = sizeof f;
    f.FilterType = CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE;
    f.u.DeviceInterface.ClassGuid = cls;
    HCMNOTIFICATION h;
    cr_assert_eq(CM_Register_Notification(NULL, NULL, NULL, NULL), CR_FAILURE);
    h = (HCMNOTIFICATION)(uintptr_t)UM_DEAD;
    cr_assert_eq(CM_Register_Notification(NULL, NULL, cb, &h), CR_INVALID_DATA);
    cr_assert_null(h);
    f.cbSize = sizeof f - 1;
    h = (HCMNOTIFICATION)(uintptr_t)UM_DEAD;
    cr_assert_eq(CM_Register_Notification(&f, NULL, cb, &h), CR_INVALID_DATA);
    cr_assert_null(h);
    f.cbSize = sizeof f;
    f.Reserved = 1;
    cr_assert_eq(CM_Register_Notification(&f, NULL, cb, &h), CR_INVALID_DATA);
    f.Reserved = 0;
    cr_assert_eq(CM_Register_Notification(&f, NULL, NULL, &h), CR_INVALID_POINTER);
    f.Flags = 0x80;
    cr_assert_eq(CM_Register_Notification(&f, NULL, cb, &h), CR_INVALID_FLAG);
    /* All classes, yet a class named. */
    f.Flags = CM_NOTIFY_FILTER_FLAG_ALL_INTERFACE_CLASSES;
    cr_assert_eq(CM_Register_Notification(&f, NULL, cb, &h), CR_INVALID_DATA);
    f.Flags = CM_NOTIFY_FILTER_FLAG_ALL_DEVICE_INSTANCES;
    cr_assert_eq(CM_Register_Notification(&f, NULL, cb, &h), CR_INVALID_DATA);
    /* Device instances: an ID or all of them, not both, not neither. */
    memset(&f, 0, sizeof f);
    f.cbSize = sizeof f;
    f.FilterType = CM_NOTIFY_FILTER_TYPE_DEVICEINSTANCE;
    cr_assert_eq(CM_Register_Notification(&f, NULL, cb, &h), CR_INVALID_DATA);
    f.Flags = CM_NOTIFY_FILTER_FLAG_ALL_DEVICE_INSTANCES;
    memcpy(f.u.DeviceInstance.InstanceId, L"ROOT\\IFDEV\\0000", sizeof L"ROOT\\IFDEV\\0000");
    cr_assert_eq(CM_Register_Notification(&f, NULL, cb, &h), CR_INVALID_DATA);
    /* Device handles: none a pnpbox process can hold. */
    memset(&f, 0, sizeof f);
    f.cbSize = sizeof f;
    f.FilterType = CM_NOTIFY_FILTER_TYPE_DEVICEHANDLE;
    f.u.DeviceHandle.hTarget = (HANDLE)(uintptr_t)0x1234;
    cr_assert_eq(CM_Register_Notification(&f, NULL, cb, &h), CR_INVALID_DATA);
    f.FilterType = 7;
    cr_assert_eq(CM_Register_Notification(&f, NULL, cb, &h), CR_INVALID_DATA);
    /* Unregistering what is no registration. */
    cr_assert_eq(CM_Unregister_Notification(NULL), CR_INVALID_DATA);
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    cr_assert_eq(CM_Unregister_Notification((HCMNOTIFICATION)ev), CR_INVALID_DATA);
    CloseHandle(ev);
    h = reg_iface(&cls, NULL);
    cr_assert_eq(CM_Unregister_Notification(h), CR_SUCCESS);
    cr_assert_eq(CM_Unregister_Notification(h), CR_INVALID_DATA, "twice");
}

/* The issue's scenario: register, then list; arrival and removal reach the callback as the app. */
Test(um_notify, register_then_list_arrival_key_and_removal)
{
    um_as_app("contosoui");
    size_t from = um_nevents();
    int ctx;
    HCMNOTIFICATION h = reg_iface(&cls, &ctx);
    cr_assert_eq(got.n, 0, "no interface exists yet");
    CONFIGRET cr;
    cr_assert_str_eq(list(0, NULL, &cr), "");
    const pnpbox_event *e = um_event("CM_Get_Device_Interface_ListW", NULL, from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->rules, "", "registered first: %s", e->rules);
    cr_assert_str_eq(e->component, "contosoui");

    /* The harness starts the device: the driver enables its interface, the app hears of it. */
    um_as_harness();
    start("ROOT\\IFDEV\\0000");
    cr_assert_eq(drv_seen.start, 1);
    cr_assert_str_eq(drv_seen.start_comp, "ifdrv");
    cr_assert_eq(drv_seen.reg_status, STATUS_SUCCESS);
    cr_assert_eq(got.n, 1);
    cr_assert_eq(got.action[0], CM_NOTIFY_ACTION_DEVICEINTERFACEARRIVAL);
    cr_assert_str_eq(got.text[0], LINK0, "the user-mode form");
    cr_assert(IsEqualGUID(&got.cls[0], &cls));
    cr_assert_str_eq(got.comp[0], "contosoui", "the callback runs as the component that registered it");
    cr_assert_eq(got.ctx[0], &ctx);
    cr_assert_eq(got.handle[0], h);
    cr_assert_geq(got.size[0], offsetof(CM_NOTIFY_EVENT_DATA, u.DeviceInterface.SymbolicLink) + sizeof LINK0 * 2);

    /* The app lists and opens the interface key the driver wrote. */
    um_as_app("contosoui");
    cr_assert_str_eq(list(0, NULL, NULL), LINK0);
    cr_assert_str_eq(list(0, L"ROOT\\IFDEV\\0000", NULL), LINK0, "filtered by device");
    uint16_t *wl = pb_wcs_from_utf8(LINK0);
    HKEY k = (HKEY)(uintptr_t)UM_DEAD;
    from = um_nevents();
    cr_assert_eq(CM_Open_Device_Interface_KeyW((LPCWSTR)wl, KEY_READ, RegDisposition_OpenExisting, &k, 0), CR_SUCCESS);
    DWORD v = 0, len = sizeof v, type = 0;
    cr_assert_eq(RegQueryValueExW(k, L"Calibration", NULL, &type, (BYTE *)&v, &len), ERROR_SUCCESS);
    cr_assert_eq(type, REG_DWORD);
    cr_assert_eq(v, 7);
    RegCloseKey(k);
    e = um_event("CM_Open_Device_Interface_KeyW", "Device Parameters", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->origin, "CM_Open_Device_Interface_Key");
    cr_assert_str_eq(e->rules, "");
    e = um_event("RegQueryValueExW", "Device Parameters", from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->rules, "", "%s", e->rules);

    /* Removal. */
    um_as_harness();
    stop("ROOT\\IFDEV\\0000");
    cr_assert_eq(got.n, 2);
    cr_assert_eq(got.action[1], CM_NOTIFY_ACTION_DEVICEINTERFACEREMOVAL);
    cr_assert_str_eq(got.text[1], LINK0);
    cr_assert_str_eq(got.comp[1], "contosoui");
    um_as_app("contosoui");
    cr_assert_str_eq(list(0, NULL, NULL), "", "no longer enabled");
    cr_assert_str_eq(list(CM_GET_DEVICE_INTERFACE_LIST_ALL_DEVICES, NULL, NULL), LINK0, "still registered");
    /* Unregistered: nothing more. */
    cr_assert_eq(CM_Unregister_Notification(h), CR_SUCCESS);
    um_as_harness();
    start("ROOT\\IFDEV\\0000");
    cr_assert_eq(got.n, 2);
    free(wl);
}

Test(um_notify, no_notification_for_what_already_exists)
{
    start("ROOT\\IFDEV\\0000");
    um_as_service("contososvc");
    HCMNOTIFICATION h = reg_iface(&cls, NULL);
    cr_assert_eq(got.n, 0, "the pattern: register, then list");
    cr_assert_str_eq(list(0, NULL, NULL), LINK0);
    /* All classes. */
    HCMNOTIFICATION all = reg_iface(NULL, NULL);
    um_as_harness();
    drv_iface_add_device(m, "ROOT\\IFDEV\\0001");
    start("ROOT\\IFDEV\\0001");
    cr_assert_eq(got.n, 2, "both registrations");
    cr_assert_str_eq(got.text[0], "\\\\?\\ROOT#IFDEV#0001#" DRV_IFACE_CLASS);
    cr_assert_str_eq(got.text[1], got.text[0]);
    cr_assert_str_eq(got.comp[0], "contososvc");
    CM_Unregister_Notification(h);
    CM_Unregister_Notification(all);
}

Test(um_notify, a_registration_for_another_class_hears_nothing)
{
    static const GUID other = {0x11111111, 0x2222, 0x3333, {4, 4, 5, 5, 6, 6, 7, 7}};
    um_as_app("contosoui");
    HCMNOTIFICATION h = reg_iface(&other, NULL);
    um_as_harness();
    start("ROOT\\IFDEV\\0000");
    cr_assert_eq(got.n, 0);
    /* The app lists this class without having registered for it. */
    um_as_app("contosoui");
    size_t from = um_nevents();
    cr_assert_str_eq(list(0, NULL, NULL), LINK0);
    const pnpbox_event *e = um_event("CM_Get_Device_Interface_ListW", NULL, from);
    cr_assert_not_null(e);
    cr_assert(um_has_rule(e, "IFACE-NO-NOTIFICATION"), "%s", e->rules);
    cr_assert_str_eq(e->path, DRV_IFACE_CLASS);
    e = um_event("CM_Get_Device_Interface_List_SizeW", NULL, from);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->rules, "", "the size call is not the lookup");
    CM_Unregister_Notification(h);
}

Test(um_notify, list_argument_checks)
{
    start("ROOT\\IFDEV\\0000");
    um_as_app("contosoui");
    reg_iface(&cls, NULL);
    ULONG len = UM_DEAD;
    cr_assert_eq(CM_Get_Device_Interface_List_SizeW(NULL, (LPGUID)&cls, NULL, 0), CR_INVALID_POINTER);
    cr_assert_eq(CM_Get_Device_Interface_List_SizeW(&len, NULL, NULL, 0), CR_INVALID_POINTER);
    cr_assert_eq(len, 0);
    len = UM_DEAD;
    cr_assert_eq(CM_Get_Device_Interface_List_SizeW(&len, (LPGUID)&cls, NULL, 2), CR_INVALID_FLAG);
    cr_assert_eq(len, 0);
    cr_assert_eq(CM_Get_Device_Interface_List_SizeW(&len, (LPGUID)&cls, (DEVINSTID_W)L"ROOT\\IFDEV", 0),
                 CR_INVALID_DEVICE_ID);
    cr_assert_eq(CM_Get_Device_Interface_List_SizeW(&len, (LPGUID)&cls, (DEVINSTID_W)L"ROOT\\NOPE\\0000", 0),
                 CR_NO_SUCH_DEVNODE);
    cr_assert_eq(CM_Get_Device_Interface_List_SizeW(&len, (LPGUID)&cls, NULL, 0), CR_SUCCESS);
    cr_assert_eq(len, sizeof LINK0 + 1, "characters, with both NULs");
    WCHAR buf[128];
    memset(buf, UM_FILL, sizeof buf);
    cr_assert_eq(CM_Get_Device_Interface_ListW((LPGUID)&cls, NULL, buf, len - 1, 0), CR_BUFFER_SMALL);
    cr_assert_eq(buf[0], 0, "an empty list");
    cr_assert_eq(buf[1], (WCHAR)0xdede);
    cr_assert_eq(CM_Get_Device_Interface_ListW((LPGUID)&cls, NULL, NULL, len, 0), CR_INVALID_POINTER);
    cr_assert_eq(CM_Get_Device_Interface_ListW((LPGUID)&cls, NULL, buf, 0, 0), CR_INVALID_POINTER);
    cr_assert_eq(CM_Get_Device_Interface_ListW(NULL, NULL, buf, len, 0), CR_INVALID_POINTER);
    cr_assert_eq(CM_Get_Device_Interface_ListW((LPGUID)&cls, NULL, buf, len, 4), CR_INVALID_FLAG);
    cr_assert_eq(CM_Get_Device_Interface_ListW((LPGUID)&cls, (DEVINSTID_W)L"ROOT\\NOPE\\0000", buf, len, 0),
                 CR_NO_SUCH_DEVNODE);
    /* An empty list is one NUL. */
    static GUID none = {0x99999999, 0, 0, {0}};
    cr_assert_eq(CM_Get_Device_Interface_List_SizeW(&len, &none, NULL, 0), CR_SUCCESS);
    cr_assert_eq(len, 1);
    /* The interface key: the link's checks. */
    HKEY k = (HKEY)(uintptr_t)UM_DEAD;
    cr_assert_eq(CM_Open_Device_Interface_KeyW(NULL, KEY_READ, RegDisposition_OpenExisting, &k, 0),
                 CR_INVALID_POINTER);
    cr_assert_eq(CM_Open_Device_Interface_KeyW(L"x", KEY_READ, RegDisposition_OpenExisting, NULL, 0),
                 CR_INVALID_POINTER);
    cr_assert_eq(CM_Open_Device_Interface_KeyW(L"x", KEY_READ, RegDisposition_OpenExisting, &k, 1), CR_INVALID_FLAG);
    cr_assert_null(k);
    cr_assert_eq(CM_Open_Device_Interface_KeyW(L"ROOT#IFDEV#0000", KEY_READ, RegDisposition_OpenExisting, &k, 0),
                 CR_INVALID_DATA);
    cr_assert_eq(CM_Open_Device_Interface_KeyW(L"\\\\?\\ROOT#IFDEV#0009#{6b1f8a3e-2c4d-4e5f-9a0b-1c2d3e4f5a6b}",
                                               KEY_READ, RegDisposition_OpenExisting, &k, 0),
                 CR_NO_SUCH_DEVICE_INTERFACE);
    cr_assert_null(k);
}

Test(um_notify, device_instance_events)
{
    um_as_app("contosoui");
    CM_NOTIFY_FILTER f;
    memset(&f, 0, sizeof f);
    f.cbSize = sizeof f;
    f.FilterType = CM_NOTIFY_FILTER_TYPE_DEVICEINSTANCE;
    f.Flags = CM_NOTIFY_FILTER_FLAG_ALL_DEVICE_INSTANCES;
    HCMNOTIFICATION all, one;
    cr_assert_eq(CM_Register_Notification(&f, NULL, cb, &all), CR_SUCCESS);
    f.Flags = 0;
    memcpy(f.u.DeviceInstance.InstanceId, L"ROOT\\IFDEV\\0001", sizeof L"ROOT\\IFDEV\\0001");
    cr_assert_eq(CM_Register_Notification(&f, (void *)1, cb, &one), CR_SUCCESS);
    um_as_harness();
    cr_assert_eq(pnpbox_um_pump(m), 0, "ROOT\\IFDEV\\0000 existed before: nothing");
    cr_assert_eq(got.n, 0);
    drv_iface_add_device(m, "ROOT\\IFDEV\\0001");
    size_t made = pnpbox_um_pump(m);
    cr_assert_eq(made, 2, "enumerated, to both registrations: %zu, %d", made, got.n);
    cr_assert_eq(got.action[0], CM_NOTIFY_ACTION_DEVICEINSTANCEENUMERATED);
    cr_assert_str_eq(got.text[0], "ROOT\\IFDEV\\0001");
    cr_assert_str_eq(got.comp[0], "contosoui");
    cr_assert_eq(pnpbox_um_pump(m), 0, "once");
    got.n = 0;
    start("ROOT\\IFDEV\\0000");
    pnpbox_um_pump(m);
    cr_assert_eq(got.n, 1, "only the registration for all instances");
    cr_assert_eq(got.action[0], CM_NOTIFY_ACTION_DEVICEINSTANCESTARTED);
    cr_assert_str_eq(got.text[0], "ROOT\\IFDEV\\0000");
    cr_assert_null(got.ctx[0]);
    stop("ROOT\\IFDEV\\0000");
    pnpbox_um_pump(m);
    cr_assert_eq(got.n, 2);
    cr_assert_eq(got.action[1], CM_NOTIFY_ACTION_DEVICEINSTANCEREMOVED);
    cr_assert_str_eq(got.text[1], "ROOT\\IFDEV\\0000");
    cr_assert_eq(CM_Unregister_Notification(all), CR_SUCCESS);
    cr_assert_eq(CM_Unregister_Notification(one), CR_SUCCESS);
    drv_iface_add_device(m, "ROOT\\IFDEV\\0002");
    cr_assert_eq(pnpbox_um_pump(m), 0);
}

/* A callback may unregister its own registration while it runs. */
static HCMNOTIFICATION self_h;
static int self_calls;
static DWORD CALLBACK self_cb(HCMNOTIFICATION h, PVOID ctx, CM_NOTIFY_ACTION action, PCM_NOTIFY_EVENT_DATA data,
                              DWORD size)
{
    (void)ctx;
    (void)action;
    (void)data;
    (void)size;
    self_calls++;
    cr_assert_eq(h, self_h);
    cr_assert_eq(CM_Unregister_Notification(h), CR_SUCCESS);
    return ERROR_SUCCESS;
}

Test(um_notify, a_callback_unregisters_itself)
{
    CM_NOTIFY_FILTER f;
    memset(&f, 0, sizeof f);
    f.cbSize = sizeof f;
    f.FilterType = CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE;
    f.u.DeviceInterface.ClassGuid = cls;
    self_calls = 0;
    cr_assert_eq(CM_Register_Notification(&f, NULL, self_cb, &self_h), CR_SUCCESS);
    start("ROOT\\IFDEV\\0000");
    stop("ROOT\\IFDEV\\0000");
    cr_assert_eq(self_calls, 1);
}

Test(um_notify, enforce_mode)
{
    pnpbox_set_mode(m, PNPBOX_MODE_ENFORCE);
    start("ROOT\\IFDEV\\0000");
    um_as_app("contosoui");
    /* A warning is not refused. */
    cr_assert_str_eq(list(0, NULL, NULL), LINK0);
    reg_iface(&cls, NULL);
    uint16_t *wl = pb_wcs_from_utf8(LINK0);
    HKEY k = NULL;
    cr_assert_eq(CM_Open_Device_Interface_KeyW((LPCWSTR)wl, KEY_READ, RegDisposition_OpenExisting, &k, 0), CR_SUCCESS);
    DWORD v = 0, len = 4;
    cr_assert_eq(RegQueryValueExW(k, L"Calibration", NULL, NULL, (BYTE *)&v, &len), ERROR_SUCCESS);
    cr_assert_eq(v, 7);
    RegCloseKey(k);
    free(wl);
}
