/*
 * app_prog.c: an application (a driver package's control panel), compiled
 * by test_run.c with `pkg-config --cflags --libs pnpbox` and run with
 * `pnpbox run [--app NAME] [--image PATH] -- app_prog [EXIT]`.  It reads
 * the environment, its image path, a value under HKLM\SOFTWARE\Contoso and
 * the device tree's root, prints "name=value" lines and exits with EXIT.
 */
#include <windows.h>
#include <cfgmgr32.h>

#include <stdio.h>
#include <stdlib.h>

static const char *a(const WCHAR *w)
{
    static char buf[4][512];
    static int k;
    char *b = buf[k++ & 3];
    size_t i = 0;
    for (; w && w[i] && i < sizeof buf[0] - 1; i++)
        b[i] = w[i] < 0x80 ? (char)w[i] : '?';
    b[i] = 0;
    return b;
}

int main(int argc, char **argv)
{
    WCHAR v[MAX_PATH];
    DWORD n = GetEnvironmentVariableW(L"SystemRoot", v, MAX_PATH);
    printf("SystemRoot=%s n=%lu\n", n ? a(v) : "", (unsigned long)n);
    n = GetModuleFileNameW(NULL, v, MAX_PATH);
    printf("image=%s n=%lu err=%lu\n", n ? a(v) : "", (unsigned long)n, (unsigned long)(n ? 0 : GetLastError()));
    DWORD len = sizeof v;
    LSTATUS rc = RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Contoso", L"Version", RRF_RT_REG_SZ, NULL, v, &len);
    printf("version=%s rc=%ld\n", rc == ERROR_SUCCESS ? a(v) : "", (long)rc);
    DEVINST root = 0;
    WCHAR id[MAX_DEVICE_ID_LEN];
    CONFIGRET cr = CM_Locate_DevNodeW(&root, NULL, 0);
    if (cr == CR_SUCCESS)
        cr = CM_Get_Device_IDW(root, id, MAX_DEVICE_ID_LEN, 0);
    printf("root=%s cr=%lu\n", cr == CR_SUCCESS ? a(id) : "", (unsigned long)cr);
    return argc > 1 ? atoi(argv[1]) : 0;
}
