/*
 * svc_prog.c: a Win32 service program, as one would build it for Windows,
 * compiled by test_run.c with `pkg-config --cflags --libs pnpbox` and run
 * with `pnpbox run --service contososvc -- svc_prog [EXIT]`.
 *
 * Its ServiceMain registers its handler, reports RUNNING, reads its
 * Parameters, writes its persistent state key and directory, reports its
 * image path and then, as a bug to be caught, opens another service's key
 * by absolute path; the process exits with EXIT (default 0).  Lines on
 * stdout are "name=value" for the test to check.
 */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>

static SERVICE_STATUS_HANDLE status;
static int exit_code;

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

static DWORD WINAPI handler(DWORD ctl, DWORD type, LPVOID data, LPVOID ctx)
{
    (void)type;
    (void)data;
    (void)ctx;
    return ctl == SERVICE_CONTROL_INTERROGATE ? NO_ERROR : ERROR_CALL_NOT_IMPLEMENTED;
}

static void report(DWORD state)
{
    SERVICE_STATUS s = {SERVICE_WIN32_OWN_PROCESS, state, 0, NO_ERROR, 0, 0, 0};
    if (!SetServiceStatus(status, &s))
        printf("SetServiceStatus=%lu\n", (unsigned long)GetLastError());
}

static void WINAPI ServiceMain(DWORD argc, LPWSTR *argv)
{
    printf("argc=%lu argv0=%s\n", (unsigned long)argc, argc ? a(argv[0]) : "");
    status = RegisterServiceCtrlHandlerExW(L"contososvc", handler, NULL);
    if (!status) {
        printf("RegisterServiceCtrlHandlerExW=%lu\n", (unsigned long)GetLastError());
        exit_code = 3;
        return;
    }
    report(SERVICE_RUNNING);

    HKEY params, state;
    DWORD rc = GetServiceRegistryStateKey(status, ServiceRegistryStateParameters, KEY_READ, &params);
    WCHAR mode[32] = L"";
    DWORD len = sizeof mode;
    if (rc == ERROR_SUCCESS) {
        rc = RegGetValueW(params, NULL, L"Mode", RRF_RT_REG_SZ, NULL, mode, &len);
        RegCloseKey(params);
    }
    printf("mode=%s rc=%lu\n", a(mode), (unsigned long)rc);

    rc = GetServiceRegistryStateKey(status, ServiceRegistryStatePersistent, KEY_ALL_ACCESS, &state);
    if (rc == ERROR_SUCCESS) {
        DWORD runs = 0, sz = sizeof runs;
        RegQueryValueExW(state, L"Runs", NULL, NULL, (BYTE *)&runs, &sz);
        runs++;
        rc = RegSetValueExW(state, L"Runs", 0, REG_DWORD, (const BYTE *)&runs, sizeof runs);
        printf("runs=%lu\n", (unsigned long)runs);
        RegCloseKey(state);
    }
    printf("state rc=%lu\n", (unsigned long)rc);

    WCHAR dir[MAX_PATH], file[MAX_PATH + 16];
    DWORD need = 0;
    rc = GetServiceDirectory(status, ServiceDirectoryPersistentState, dir, MAX_PATH, &need);
    printf("dir=%s rc=%lu\n", a(dir), (unsigned long)rc);
    if (rc == ERROR_SUCCESS) {
        /* No swprintf: glibc's wide functions do not know -fshort-wchar's 2-byte WCHAR. */
        static const WCHAR tail[] = L"\\cache.txt";
        DWORD i = 0;
        for (; dir[i]; i++)
            file[i] = dir[i];
        for (DWORD j = 0; j < sizeof tail / sizeof *tail; j++)
            file[i + j] = tail[j];
        HANDLE f = CreateFileW(file, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
        DWORD done = 0;
        BOOL ok = f != INVALID_HANDLE_VALUE && WriteFile(f, "cached", 6, &done, NULL);
        if (f != INVALID_HANDLE_VALUE)
            CloseHandle(f);
        printf("file=%d\n", ok ? 1 : 0);
    }

    WCHAR image[MAX_PATH];
    DWORD n = GetModuleFileNameW(NULL, image, MAX_PATH);
    printf("image=%s n=%lu\n", a(image), (unsigned long)n);

    /* The bug: another service's key, by absolute path. */
    HKEY other;
    rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Services\\othersvc", 0, KEY_READ, &other);
    printf("other rc=%lu\n", (unsigned long)rc);
    if (rc == ERROR_SUCCESS)
        RegCloseKey(other);

    report(SERVICE_STOPPED);
}

int main(int argc, char **argv)
{
    exit_code = argc > 1 ? atoi(argv[1]) : 0;
    SERVICE_TABLE_ENTRYW table[] = {{(LPWSTR)L"contososvc", ServiceMain}, {NULL, NULL}};
    if (!StartServiceCtrlDispatcherW(table)) {
        printf("StartServiceCtrlDispatcherW=%lu\n", (unsigned long)GetLastError());
        return 4;
    }
    printf("dispatcher returned\n");
    return exit_code;
}
