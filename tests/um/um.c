/*
 * um.c: the helpers of um.h.
 */
#include "tests/um/um.h"

#include "base/pb_utf16.h"

#include <sys/stat.h>

pnpbox_machine *m;

void um_setup(void)
{
    cr_assert_eq(pnpbox_machine_new(NULL, &m), 0, "%s", pnpbox_errmsg(NULL));
    SetLastError(0);
}

void um_teardown(void)
{
    pnpbox_enter(NULL);
    pnpbox_machine_free(m);
    m = NULL;
}

pnpbox_component *um_as_service(const char *name)
{
    pnpbox_component *c = pnpbox_component_get(m, PNPBOX_COMP_WIN32_SERVICE, name);
    cr_assert_not_null(c);
    pnpbox_enter(c);
    return c;
}

pnpbox_component *um_as_app(const char *name)
{
    pnpbox_component *c = pnpbox_component_get(m, PNPBOX_COMP_APP, name);
    cr_assert_not_null(c);
    pnpbox_enter(c);
    return c;
}

void um_as_harness(void) { pnpbox_enter(NULL); }

regdb_key um_key(const char *path)
{
    regdb_key k = 0;
    int rc = regdb_create_key_u8(m->reg, 0, path, REGDB_CREATE_PATH, &k);
    cr_assert_eq(rc, 0, "create '%s': %s", path, regdb_strerror(rc));
    return k;
}

void um_set_sz(regdb_key k, const char *name, const char *value)
{
    uint16_t *n = pb_wcs_from_utf8(name), *v = pb_wcs_from_utf8(value);
    cr_assert_eq(regdb_set_sz(m->reg, k, n, v), 0);
    free(n);
    free(v);
}

void um_set_dword(regdb_key k, const char *name, uint32_t v)
{
    uint16_t *n = pb_wcs_from_utf8(name);
    cr_assert_eq(regdb_set_dword(m->reg, k, n, v), 0);
    free(n);
}

int um_key_exists(const char *path)
{
    regdb_key k;
    return regdb_open_key_u8(m->reg, 0, path, &k) == 0;
}

void um_make_service(const char *name, uint32_t type, const char *image_path, const char *params)
{
    char path[512];
    snprintf(path, sizeof path, "\\Registry\\Machine\\SYSTEM\\ControlSet001\\Services\\%s", name);
    regdb_key k = um_key(path);
    um_set_dword(k, "Type", type);
    um_set_dword(k, "Start", 3);
    um_set_dword(k, "ErrorControl", 1);
    if (image_path) {
        uint16_t *v = pb_wcs_from_utf8(image_path);
        cr_assert_eq(regdb_set_expand_sz(m->reg, k, (const uint16_t *)L"ImagePath", v), 0);
        free(v);
    }
    if (params) {
        char pp[600];
        snprintf(pp, sizeof pp, "%s\\Parameters", path);
        regdb_key p = um_key(pp);
        char *copy = strdup(params), *save = NULL;
        for (char *t = strtok_r(copy, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
            char *eq = strchr(t, '=');
            cr_assert_not_null(eq);
            *eq = 0;
            um_set_sz(p, t, eq + 1);
        }
        free(copy);
    }
}

size_t um_nevents(void) { return pnpbox_event_count(m); }

const pnpbox_event *um_event(const char *api, const char *path_part, size_t from)
{
    for (size_t i = from; i < pnpbox_event_count(m); i++) {
        const pnpbox_event *e = pnpbox_event_get(m, i);
        if (e->api && !strcmp(e->api, api) && (!path_part || (e->path && strcasestr(e->path, path_part))))
            return e;
    }
    return NULL;
}

int um_has_rule(const pnpbox_event *e, const char *id)
{
    if (!e || !e->rules)
        return 0;
    size_t l = strlen(id);
    for (const char *p = e->rules; (p = strstr(p, id)); p += l)
        if ((p == e->rules || p[-1] == ' ') && (p[l] == 0 || p[l] == ' '))
            return 1;
    return 0;
}

const char *um_host(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", pnpbox_volume_dir(m), rel);
    return buf;
}

int um_host_exists(const char *rel)
{
    struct stat st;
    return stat(um_host(rel), &st) == 0;
}

void um_host_write(const char *rel, const char *data)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", um_host(rel));
    for (char *s = path + strlen(pnpbox_volume_dir(m)) + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(path, 0755);
            *s = '/';
        }
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write '%s'", path);
    fputs(data, f);
    fclose(f);
}

char *um_host_read(const char *rel)
{
    size_t n;
    unsigned char *d = t_read_file(um_host(rel), &n);
    if (!d)
        return NULL;
    char *s = realloc(d, n + 1);
    s[n] = 0;
    return s;
}

const char *um_u8s(const WCHAR *s) { return t_u8((const uint16_t *)s, pb_wcslen((const uint16_t *)s)); }

int um_weq(const WCHAR *w, const char *ascii)
{
    return w && pb_wcslen((const uint16_t *)w) == strlen(ascii) &&
           !memcmp(t_u8((const uint16_t *)w, pb_wcslen((const uint16_t *)w)), ascii, strlen(ascii));
}
