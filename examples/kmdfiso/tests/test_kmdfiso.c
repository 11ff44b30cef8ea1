/*
 * test_kmdfiso.c: unit tests of the isolated KMDF example driver with
 * pnpbox's Criterion harness, a starting point to copy for your own driver.
 *
 * The driver's code is linked into this test; its package (the INF and the
 * built .sys) is staged from EXAMPLE_PKG_DIR, which the Makefile defines.
 * Build your own with
 *     cc test_mydrv.c mydrv.c $(pkg-config --cflags --libs pnpbox-criterion)
 *
 * Each test gets a fresh machine, so tests can change state freely.
 */
#include <ntddk.h>
#include <wdf.h>

#include <pnpbox/criterion.h>

#include "../kmdfiso.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

DRIVER_INITIALIZE DriverEntry;

#define SERVICE "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\kmdfiso"
#define LOG "C:\\Windows\\ServiceState\\kmdfiso\\Data\\kmdfiso.log"

PNPBOX_TEST_SUITE(kmdfiso);

static const char *install(void)
{
    pnpbox_t_stage(EXAMPLE_PKG_DIR "/kmdfiso.inf");
    const char *dev = pnpbox_t_install("Root\\KmdfIso");
    pnpbox_t_driver("kmdfiso", DriverEntry);
    cr_assert_eq(pnpbox_t_load("kmdfiso"), STATUS_SUCCESS);
    return dev;
}

static const char *install_and_start(void)
{
    const char *dev = install();
    cr_assert_eq(pnpbox_t_start(dev), STATUS_SUCCESS);
    return dev;
}

Test(kmdfiso, starts_isolated_with_its_inf_settings)
{
    const char *dev = install_and_start();
    pnpbox_assert_reg_dword(SERVICE "\\State", "StartCount", 1);
    static const char line[] = "start 1: rate 48000 gain 3\r\n";
    pnpbox_assert_file(LOG, line, sizeof line - 1);
    cr_assert_eq(pnpbox_t_remove(dev), STATUS_SUCCESS);
    cr_assert_eq(pnpbox_t_unload("kmdfiso"), STATUS_SUCCESS);
    pnpbox_assert_no_violations();
}

Test(kmdfiso, persistent_state_overrides_the_inf_default)
{
    const char *dev = install();
    /* what a control panel would write through the driver's state key */
    HANDLE key;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES oa;
    RtlInitUnicodeString(&name, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\kmdfiso\\State");
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    pnpbox_t_as_harness();
    cr_assert_eq(ZwCreateKey(&key, KEY_SET_VALUE, &oa, 0, NULL, 0, NULL), STATUS_SUCCESS);
    ULONG rate = 44100;
    RtlInitUnicodeString(&name, L"SampleRate");
    cr_assert_eq(ZwSetValueKey(key, &name, 0, REG_DWORD, &rate, sizeof rate), STATUS_SUCCESS);
    ZwClose(key);

    cr_assert_eq(pnpbox_t_start(dev), STATUS_SUCCESS);
    static const char line[] = "start 1: rate 44100 gain 3\r\n";
    pnpbox_assert_file(LOG, line, sizeof line - 1);
    pnpbox_assert_reg_dword(SERVICE "\\Parameters", "SampleRate", 48000); /* the INF's default is untouched */
    pnpbox_assert_no_violations();
}

Test(kmdfiso, restarts_count_on)
{
    const char *dev = install_and_start();
    cr_assert_eq(pnpbox_t_remove(dev), STATUS_SUCCESS);
    cr_assert_eq(pnpbox_t_start(dev), STATUS_SUCCESS);
    pnpbox_assert_reg_dword(SERVICE "\\State", "StartCount", 2);
    static const char lines[] = "start 1: rate 48000 gain 3\r\nstart 2: rate 48000 gain 3\r\n";
    pnpbox_assert_file(LOG, lines, sizeof lines - 1);
}

Test(kmdfiso, its_interface_arrives_with_the_inf_friendly_name)
{
    const char *dev = install_and_start();
    pnpbox_t_as_harness();
    PZZWSTR list = NULL;
    cr_assert_eq(IoGetDeviceInterfaces(&GUID_DEVINTERFACE_KMDFISO, NULL, 0, &list), STATUS_SUCCESS);
    cr_assert(list && list[0], "the interface is enabled while the device is started");
    UNICODE_STRING link;
    RtlInitUnicodeString(&link, list);
    HANDLE key;
    cr_assert_eq(IoOpenDeviceInterfaceRegistryKey(&link, KEY_READ, &key), STATUS_SUCCESS);
    UNICODE_STRING v;
    RtlInitUnicodeString(&v, L"FriendlyName");
    UCHAR buf[128];
    ULONG len = 0;
    cr_assert_eq(ZwQueryValueKey(key, &v, KeyValuePartialInformation, buf, sizeof buf, &len), STATUS_SUCCESS);
    PKEY_VALUE_PARTIAL_INFORMATION info = (PKEY_VALUE_PARTIAL_INFORMATION)buf;
    cr_assert_eq(info->Type, REG_SZ);
    cr_assert_eq(info->DataLength, sizeof L"Contoso sensor");
    cr_assert(!memcmp(info->Data, L"Contoso sensor", sizeof L"Contoso sensor"));
    ZwClose(key);
    ExFreePool(list);

    cr_assert_eq(pnpbox_t_remove(dev), STATUS_SUCCESS);
    list = NULL;
    cr_assert_eq(IoGetDeviceInterfaces(&GUID_DEVINTERFACE_KMDFISO, NULL, 0, &list), STATUS_SUCCESS);
    cr_assert(list && !list[0], "no enabled interface after removal");
    ExFreePool(list);
}

Test(kmdfiso, enforce_mode_changes_nothing_for_an_isolated_driver)
{
    pnpbox_t_mode(PNPBOX_MODE_ENFORCE);
    install_and_start();
    pnpbox_assert_reg_dword(SERVICE "\\State", "StartCount", 1);
    pnpbox_assert_no_violations();
}

Test(kmdfiso, a_failing_state_key_fails_the_start)
{
    const char *dev = install();
    /* faults are named by the API the driver calls */
    pnpbox_t_fail("WdfDriverOpenPersistentStateRegistryKey:1:STATUS_INSUFFICIENT_RESOURCES");
    cr_assert_eq(pnpbox_t_start(dev), STATUS_INSUFFICIENT_RESOURCES);
    pnpbox_assert_no_reg_key(SERVICE "\\State");
}

/* A copy of the package whose DriverVer says 1.1.0.0 (the INF is UTF-16LE). */
static char *newer_package(void)
{
    static char dir[] = "/tmp/kmdfiso-v2-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    const char *names[] = {"kmdfiso.inf", "kmdfiso.sys"};
    for (int i = 0; i < 2; i++) {
        char src[4096], dst[4096];
        snprintf(src, sizeof src, "%s/%s", EXAMPLE_PKG_DIR, names[i]);
        snprintf(dst, sizeof dst, "%s/%s", dir, names[i]);
        FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
        cr_assert(in && out, "cannot copy '%s'", src);
        static unsigned char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, in);
        if (i == 0) {
            const unsigned char v10[] = {'1', 0, '.', 0, '0', 0, '.', 0, '0', 0, '.', 0, '0', 0};
            int found = 0;
            for (size_t k = 0; k + sizeof v10 <= n; k++)
                if (!memcmp(buf + k, v10, sizeof v10)) {
                    buf[k + 2] = '1';
                    found = 1;
                    break;
                }
            cr_assert(found, "no DriverVer 1.0.0.0 in the INF");
        }
        cr_assert_eq(fwrite(buf, 1, n, out), n);
        fclose(in);
        fclose(out);
    }
    return dir;
}

Test(kmdfiso, an_update_keeps_its_state_and_leaves_the_old_package_alone)
{
    const char *dev = install_and_start();
    char *dir = newer_package();
    char inf[4096];
    snprintf(inf, sizeof inf, "%s/kmdfiso.inf", dir);
    pnpbox_t_update(dev, inf); /* stages 1.1, moves the device to it, restarts it */
    pnpbox_assert_reg_dword(SERVICE "\\State", "StartCount", 2);
    pnpbox_assert_no_rule("UPDATE-STALE-PATH");
    pnpbox_assert_no_violations();
    char path[4096];
    snprintf(path, sizeof path, "%s/kmdfiso.inf", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/kmdfiso.sys", dir);
    unlink(path);
    rmdir(dir);
}
