/*
 * tjson.c: the strict JSON reader of tjson.h.
 */
#include "tests/support/tjson.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- tiny JSON (RFC 8259, strict) ---- */

typedef struct jp {
    const char *p;
    int depth;
} jp;

static void ws(jp *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
        j->p++;
}

static jv *jnew(jtype t)
{
    jv *v = calloc(1, sizeof *v);
    cr_assert(v);
    v->t = t;
    return v;
}

static void put_utf8(char **o, uint32_t c)
{
    char *b = *o;
    if (c < 0x80) {
        *b++ = (char)c;
    } else if (c < 0x800) {
        *b++ = (char)(0xC0 | (c >> 6));
        *b++ = (char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        *b++ = (char)(0xE0 | (c >> 12));
        *b++ = (char)(0x80 | ((c >> 6) & 0x3F));
        *b++ = (char)(0x80 | (c & 0x3F));
    } else {
        *b++ = (char)(0xF0 | (c >> 18));
        *b++ = (char)(0x80 | ((c >> 12) & 0x3F));
        *b++ = (char)(0x80 | ((c >> 6) & 0x3F));
        *b++ = (char)(0x80 | (c & 0x3F));
    }
    *o = b;
}

static int hex4(const char *p, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        if (!isxdigit((unsigned char)p[i]))
            return -1;
        *v = *v * 16 + (uint32_t)(isdigit((unsigned char)p[i]) ? p[i] - '0' : (tolower((unsigned char)p[i]) - 'a' + 10));
    }
    return 0;
}

static char *jstring(jp *j)
{
    if (*j->p != '"')
        return NULL;
    j->p++;
    const char *s = j->p;
    size_t cap = 1;
    while (*s && *s != '"') {
        if (*s == '\\' && s[1])
            s++;
        s++;
        cap += 4;
    }
    char *out = malloc(cap + 4), *o = out;
    cr_assert(out);
    while (*j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        if (!c || c < 0x20) {
            free(out);
            return NULL;
        }
        if (c != '\\') {
            *o++ = (char)c;
            j->p++;
            continue;
        }
        j->p++;
        switch (*j->p) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            uint32_t v;
            if (hex4(j->p + 1, &v)) {
                free(out);
                return NULL;
            }
            j->p += 4;
            if (v >= 0xD800 && v <= 0xDBFF && j->p[1] == '\\' && j->p[2] == 'u') {
                uint32_t lo;
                if (hex4(j->p + 3, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                    j->p += 6;
                }
            }
            put_utf8(&o, v);
            break;
        }
        default:
            free(out);
            return NULL;
        }
        j->p++;
    }
    j->p++;
    *o = 0;
    return out;
}

static jv *jvalue(jp *j);

static jv *jvalue(jp *j)
{
    ws(j);
    if (++j->depth > 64)
        return NULL;
    jv *v = NULL;
    char c = *j->p;
    if (c == '{' || c == '[') {
        int obj = c == '{';
        v = jnew(obj ? J_OBJ : J_ARR);
        j->p++;
        ws(j);
        if (*j->p == (obj ? '}' : ']')) {
            j->p++;
            goto done;
        }
        for (;;) {
            char *key = NULL;
            if (obj) {
                ws(j);
                key = jstring(j);
                ws(j);
                if (!key || *j->p != ':') {
                    free(key);
                    json_free(v);
                    return NULL;
                }
                j->p++;
            }
            jv *item = jvalue(j);
            if (!item) {
                free(key);
                json_free(v);
                return NULL;
            }
            v->items = realloc(v->items, (v->n + 1) * sizeof *v->items);
            cr_assert(v->items);
            if (obj) {
                v->keys = realloc(v->keys, (v->n + 1) * sizeof *v->keys);
                cr_assert(v->keys);
                v->keys[v->n] = key;
            }
            v->items[v->n++] = item;
            ws(j);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p == (obj ? '}' : ']')) {
                j->p++;
                break;
            }
            json_free(v);
            return NULL;
        }
    } else if (c == '"') {
        char *s = jstring(j);
        if (!s)
            return NULL;
        v = jnew(J_STR);
        v->str = s;
    } else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "false", 5)) {
        v = jnew(J_BOOL);
        v->b = *j->p == 't';
        j->p += v->b ? 4 : 5;
    } else if (!strncmp(j->p, "null", 4)) {
        v = jnew(J_NULL);
        j->p += 4;
    } else if (c == '-' || isdigit((unsigned char)c)) {
        const char *s = j->p;
        if (*s == '-')
            s++;
        if (*s == '0' && isdigit((unsigned char)s[1]))
            return NULL;
        if (!isdigit((unsigned char)*s))
            return NULL;
        while (isdigit((unsigned char)*s))
            s++;
        if (*s == '.') {
            s++;
            if (!isdigit((unsigned char)*s))
                return NULL;
            while (isdigit((unsigned char)*s))
                s++;
        }
        if (*s == 'e' || *s == 'E') {
            s++;
            if (*s == '+' || *s == '-')
                s++;
            if (!isdigit((unsigned char)*s))
                return NULL;
            while (isdigit((unsigned char)*s))
                s++;
        }
        v = jnew(J_NUM);
        v->num = strtod(j->p, NULL);
        j->p = s;
    } else {
        return NULL;
    }
done:
    j->depth--;
    return v;
}

jv *json_parse(const char *s)
{
    jp j = {s, 0};
    jv *v = jvalue(&j);
    if (!v)
        return NULL;
    ws(&j);
    if (*j.p) {
        json_free(v);
        return NULL;
    }
    return v;
}

void json_free(jv *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        json_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

const jv *json_get(const jv *o, const char *key)
{
    if (!o || o->t != J_OBJ)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (!strcmp(o->keys[i], key))
            return o->items[i];
    return NULL;
}
