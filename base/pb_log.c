/*
 * pb_log.c: the PNPBOX_DEBUG channel switch (contract in pb_log.h).
 */
#include "pb_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned pb_log_mask;

static const char *const channel_names[PB_CH_COUNT] = {
    "regdb", "fs", "fuse", "emu", "inf", "pnp", "audit", "harness",
};

/* Runs before main so that PB_DEBUG needs no initialisation check. */
__attribute__((constructor)) void pb_log_init(void)
{
    const char *env = getenv("PNPBOX_DEBUG");
    unsigned mask = 0;
    if (!env || !*env)
        return;
    char *copy = strdup(env), *save = NULL;
    if (!copy)
        return;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!strcmp(tok, "all"))
            mask = ~0u;
        for (int i = 0; i < PB_CH_COUNT; i++)
            if (!strcmp(tok, channel_names[i]))
                mask |= 1u << i;
    }
    free(copy);
    pb_log_mask = mask;
}

void pb_log_write(enum pb_channel ch, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "pnpbox[%s]: ", ch < PB_CH_COUNT ? channel_names[ch] : "?");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
