/*
 * tjson.h: a small strict JSON reader (RFC 8259) for tests that check
 * pnpbox's JSON and SARIF output structurally (moved here from the INF
 * tests so every suite can use it).
 */
#ifndef TJSON_H
#define TJSON_H

#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;
typedef struct jv {
    jtype t;
    double num;
    int b;
    char *str;           /* J_STR (UTF-8, unescaped) */
    struct jv **items;   /* J_ARR items, J_OBJ values */
    char **keys;         /* J_OBJ keys */
    size_t n;
} jv;

/* Parse a whole JSON text; NULL when it is not valid JSON (strict: no trailing text). */
jv *json_parse(const char *s);
void json_free(jv *v);
const jv *json_get(const jv *obj, const char *key); /* NULL if absent or not an object */


#endif
