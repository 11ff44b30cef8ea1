/*
 * tinf.h: helpers for the INF engine's Criterion suite: encode a test INF
 * (written as UTF-8 in the test) into each encoding the parser reads, parse
 * it, find lines, and a tiny JSON reader to check reports structurally.
 */
#ifndef TINF_H
#include "tests/support/tjson.h"
#define TINF_H

#include "emu/inf.h"

#include <stddef.h>
#include <stdint.h>

enum t_enc { T_ANSI, T_U16LE, T_U16BE, T_U8BOM, T_U16LE_NOBOM, T_NENC };

extern const char *const t_enc_name[T_NENC];

/* UTF-8 text -> bytes in enc (T_ANSI: Windows-1252; the text must be representable). */
unsigned char *t_encode(const char *utf8, enum t_enc enc, size_t *n);

/* Parse text in an encoding (asserts success); free with emu_inf_free. */
inf_file *t_parse_enc(const char *utf8, enum t_enc enc, const inf_parse_opts *opts);
/* Parse UTF-16LE with BOM, the common case. */
inf_file *t_parse(const char *utf8);

/* Line i of a section (asserts it exists). */
const inf_line *t_line(const inf_file *f, const char *section, uint32_t i);
/* UTF-8 of a counted string (rotating static buffers). */
const char *t_s(inf_str s);
const char *t_w(inf_wstr s);
/* Does the file have a diagnostic with this code (at this line, 0 = any line)? */
int t_has_diag(const inf_file *f, int code, uint32_t lineno);

/* Lint text; caller frees with emu_inf_lint_free. */
inf_lint_result *t_lint(const char *utf8);
/* Count findings with code (and line, 0 = any). */
int t_count(const inf_lint_result *r, int code, uint32_t lineno);
const inf_finding *t_finding(const inf_lint_result *r, int code);

#endif
