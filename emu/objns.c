/*
 * objns.c: the NT object namespace, as far as drivers reach it: registry
 * names and the file names that lead to C:.
 *
 *   \Registry\...                         the registry (regdb)
 *   \??\C:\x  \DosDevices\C:\x  \GLOBAL??\C:\x
 *   \Device\HarddiskVolume3\x             C:\x (the volume's device name)
 *   \SystemRoot\x                         C:\Windows\x
 *   \DriverData\x                         C:\Windows\System32\Drivers\DriverData\x
 *                                         (the symbolic link of reference §1.12)
 *
 * Object-manager names compare case-insensitively.  The file-name part is
 * handed to boxfs unchanged, so "." and ".." reach it and get NTFS's
 * statuses, as on Windows.  Win32 paths (CreateFileW) are normalised
 * first, as RtlDosPathNameToNtPathName does.
 */
#include "emu/emu.h"

#include "base/pb_utf16.h"

#include <ntstatus.h>
#include <stdlib.h>
#include <string.h>
#include <winerror.h>

void emu_ns_free(emu_ns_path *p)
{
    if (p) {
        free(p->vpath);
        p->vpath = NULL;
    }
}

/* Does name[0..n) start with the ASCII prefix (case-insensitive) at a component boundary? */
static size_t prefix(const uint16_t *name, size_t n, const char *pfx)
{
    size_t l = strlen(pfx);
    if (n < l || !pb_wcsieq_ascii(name, l, pfx))
        return 0;
    if (n > l && name[l] != '\\')
        return 0;
    return l;
}

/* vpath = base + rest (rest begins with '\' or is empty). */
static emu_status make_vpath(const char *base, const uint16_t *rest, size_t n, char **out)
{
    char *r = NULL;
    if (n && boxfs_path_from_utf16(rest, n, &r) < 0)
        return STATUS_OBJECT_NAME_INVALID;
    size_t bl = strlen(base), rl = r ? strlen(r) : 0;
    char *v = malloc(bl + rl + 2);
    if (!v) {
        free(r);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    memcpy(v, base, bl);
    if (rl)
        memcpy(v + bl, r, rl);
    v[bl + rl] = 0;
    if (!v[0]) {
        v[0] = '\\';
        v[1] = 0;
    }
    free(r);
    *out = v;
    return STATUS_SUCCESS;
}

emu_status emu_ns_resolve(const uint16_t *name, size_t n, emu_ns_path *out)
{
    memset(out, 0, sizeof *out);
    if (!name || !n || name[0] != '\\')
        return STATUS_OBJECT_PATH_SYNTAX_BAD;
    size_t l;
    if (prefix(name, n, "\\Registry")) {
        out->kind = EMU_NS_REGISTRY;
        return STATUS_SUCCESS;
    }
    /* Drive-letter forms. */
    static const char *const dos[] = {"\\??", "\\DosDevices", "\\GLOBAL??"};
    for (int i = 0; i < 3; i++) {
        if ((l = prefix(name, n, dos[i]))) {
            const uint16_t *p = name + l;
            size_t rest = n - l;
            if (rest < 3 || p[0] != '\\') /* "\??" alone, or "\??\" */
                return STATUS_OBJECT_NAME_INVALID;
            if (rest >= 3 && (p[1] == 'C' || p[1] == 'c') && p[2] == ':') {
                if (rest > 3 && p[3] != '\\')
                    return STATUS_OBJECT_NAME_INVALID; /* "C:foo": no current directory in NT names */
                out->kind = EMU_NS_VOLUME;
                return make_vpath("", p + 3, rest - 3, &out->vpath);
            }
            /* Another drive letter, UNC or a device the machine does not have. */
            return STATUS_OBJECT_PATH_NOT_FOUND;
        }
    }
    if ((l = prefix(name, n, EMU_SYSTEM_VOLUME_DEVICE))) {
        out->kind = EMU_NS_VOLUME;
        return make_vpath("", name + l, n - l, &out->vpath);
    }
    if ((l = prefix(name, n, "\\SystemRoot"))) {
        out->kind = EMU_NS_VOLUME;
        out->via_systemroot = 1;
        return make_vpath("\\Windows", name + l, n - l, &out->vpath);
    }
    if ((l = prefix(name, n, "\\DriverData"))) {
        out->kind = EMU_NS_VOLUME;
        out->via_driverdata = 1;
        return make_vpath("\\Windows\\System32\\Drivers\\DriverData", name + l, n - l, &out->vpath);
    }
    if (prefix(name, n, "\\Device") || prefix(name, n, "\\Global") || prefix(name, n, "\\BaseNamedObjects"))
        return STATUS_OBJECT_NAME_NOT_FOUND;
    return STATUS_OBJECT_PATH_NOT_FOUND;
}

/*
 * Win32 -> volume path.  Handles "C:\...", "\\?\C:\..." (verbatim),
 * "\\.\C:\..." and relative names (from C:\Windows\System32, the current
 * directory of services and drivers' helpers).
 */
uint32_t emu_win32_to_vpath(const uint16_t *path, size_t n, char **vpath)
{
    if (!path || !n)
        return ERROR_PATH_NOT_FOUND;
    for (size_t i = 0; i < n; i++)
        if (path[i] == 0)
            return ERROR_INVALID_NAME;
    int verbatim = 0;
    const uint16_t *p = path;
    size_t len = n;
    if (len >= 4 && (p[0] == '\\' || p[0] == '/') && (p[1] == '\\' || p[1] == '/') && (p[2] == '?' || p[2] == '.') &&
        (p[3] == '\\' || p[3] == '/')) {
        verbatim = p[2] == '?';
        p += 4;
        len -= 4;
    } else if (len >= 2 && (p[0] == '\\' || p[0] == '/') && (p[1] == '\\' || p[1] == '/')) {
        return ERROR_BAD_NETPATH; /* UNC: the machine has no network */
    }
    /* Build an absolute path "C:\..." in units. */
    uint16_t *abs = malloc((len + 32) * sizeof *abs);
    if (!abs)
        return ERROR_NOT_ENOUGH_MEMORY;
    size_t an = 0;
    if (len >= 2 && p[1] == ':') {
        if (p[0] != 'C' && p[0] != 'c') {
            free(abs);
            return ERROR_PATH_NOT_FOUND; /* no such drive */
        }
        if (len > 2 && p[2] != '\\' && p[2] != '/') {
            /* "C:foo": relative to the drive's current directory. */
            static const char cwd[] = "\\Windows\\System32\\";
            for (const char *c = cwd; *c; c++)
                abs[an++] = (uint16_t)*c;
            memcpy(abs + an, p + 2, (len - 2) * sizeof *abs);
            an += len - 2;
        } else {
            memcpy(abs, p + 2, (len - 2) * sizeof *abs);
            an = len - 2;
        }
    } else if (len && (p[0] == '\\' || p[0] == '/')) {
        memcpy(abs, p, len * sizeof *abs); /* rooted on the current drive */
        an = len;
    } else {
        if (verbatim) {
            free(abs);
            return ERROR_INVALID_NAME;
        }
        static const char cwd[] = "\\Windows\\System32\\";
        for (const char *c = cwd; *c; c++)
            abs[an++] = (uint16_t)*c;
        memcpy(abs + an, p, len * sizeof *abs);
        an += len;
    }
    if (verbatim) {
        /* \\?\ paths go to the file system as they are. */
        char *v = NULL;
        int rc = boxfs_path_from_utf16(abs, an, &v);
        free(abs);
        if (rc < 0)
            return ERROR_INVALID_NAME;
        if (!v[0]) {
            free(v);
            v = strdup("\\");
        }
        *vpath = v;
        return v ? ERROR_SUCCESS : ERROR_NOT_ENOUGH_MEMORY;
    }
    /* Normalise: split on \ and /, drop "." and empty parts, fold "..",
     * strip trailing dots and spaces from each component. */
    size_t *starts = malloc((an + 1) * sizeof *starts);
    size_t depth = 0;
    if (!starts) {
        free(abs);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    uint16_t *norm = malloc((an + 1) * sizeof *norm);
    size_t nn = 0;
    if (!norm) {
        free(abs);
        free(starts);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    for (size_t i = 0; i < an;) {
        while (i < an && (abs[i] == '\\' || abs[i] == '/'))
            i++;
        size_t j = i;
        while (j < an && abs[j] != '\\' && abs[j] != '/')
            j++;
        size_t cl = j - i;
        if (cl == 1 && abs[i] == '.') {
            /* "." */
        } else if (cl == 2 && abs[i] == '.' && abs[i + 1] == '.') {
            if (depth)
                nn = starts[--depth];
        } else if (cl) {
            size_t e = j;
            while (e > i && (abs[e - 1] == '.' || abs[e - 1] == ' '))
                e--;
            if (e > i) {
                starts[depth++] = nn;
                norm[nn++] = '\\';
                memcpy(norm + nn, abs + i, (e - i) * sizeof *norm);
                nn += e - i;
            }
        }
        i = j;
    }
    free(abs);
    free(starts);
    char *v = NULL;
    int rc = nn ? boxfs_path_from_utf16(norm, nn, &v) : 0;
    free(norm);
    if (rc < 0)
        return ERROR_INVALID_NAME;
    if (!v)
        v = strdup("\\");
    if (!v)
        return ERROR_NOT_ENOUGH_MEMORY;
    *vpath = v;
    return ERROR_SUCCESS;
}

char *emu_vpath_to_win32(const char *vpath)
{
    size_t l = vpath ? strlen(vpath) : 0;
    char *w = malloc(l + 4);
    if (!w)
        return NULL;
    memcpy(w, "C:", 2);
    if (!l || vpath[0] != '\\')
        w[2] = '\\', memcpy(w + 3, vpath ? vpath : "", l + 1);
    else
        memcpy(w + 2, vpath, l + 1);
    return w;
}
