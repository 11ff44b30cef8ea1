/*
 * pb_log.h: per-module debug channels.
 *
 * PNPBOX_DEBUG=regdb,emu,... (or "all") switches channels on; messages go
 * to stderr prefixed with the channel.  Off channels cost one branch.
 */
#ifndef PB_LOG_H
#define PB_LOG_H

#include <stdarg.h>

enum pb_channel {
    PB_CH_REGDB,
    PB_CH_FS,
    PB_CH_FUSE,
    PB_CH_EMU,
    PB_CH_INF,
    PB_CH_PNP,
    PB_CH_AUDIT,
    PB_CH_HARNESS,
    PB_CH_COUNT
};

extern unsigned pb_log_mask; /* bit per channel; set from PNPBOX_DEBUG on first use */
void pb_log_init(void);
void pb_log_write(enum pb_channel ch, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define PB_DEBUG(ch, ...)                                                                          \
    do {                                                                                           \
        if (__builtin_expect(pb_log_mask != 0, 0) && (pb_log_mask & (1u << (ch))))                 \
            pb_log_write((ch), __VA_ARGS__);                                                       \
    } while (0)

#endif
