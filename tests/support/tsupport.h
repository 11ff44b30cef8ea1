/*
 * tsupport.h: helpers shared by every Criterion suite.
 *
 * W("text") gives a UTF-16 pointer and its length in code units (for the
 * counted-string APIs); L"..." literals are UTF-16 because tests build with
 * -fshort-wchar.  t_child_*: re-executing the test binary as a child
 * process (Criterion forbids fork without exec).
 */
#ifndef TSUPPORT_H
#define TSUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define W(s) (const uint16_t *)L##s, (sizeof(L##s) / sizeof(uint16_t) - 1)
#define WS(s) ((const uint16_t *)L##s)

/* A fresh temporary directory (mkdtemp under $TMPDIR or /tmp); caller frees the string. */
char *t_mkdtemp(const char *tag);
/* rm -rf of a directory tree (no symlink following). */
void t_rmtree(const char *path);
/* Path of the shared corpus root (/work/shared or ../shared of the repo), or NULL. */
const char *t_shared_dir(void);
/* Read a whole file; *len bytes; caller frees.  NULL on failure. */
unsigned char *t_read_file(const char *path, size_t *len);

/*
 * Child processes: t_child_spawn re-executes this test binary with
 * PNPBOX_TEST_CHILD=<role> and PNPBOX_TEST_ARG=<arg>.  A suite catches the
 * role in a constructor with t_child_role() before Criterion's main runs.
 */
pid_t t_child_spawn(const char *role, const char *arg);
int t_child_wait(pid_t pid); /* exit status, or 128+signal */
const char *t_child_role(void);
const char *t_child_arg(void);

/* A list of malloc'd paths. */
typedef struct t_paths {
    char **v;
    size_t n, cap;
} t_paths;
/* Append every .inf / .inx file below dir (recursively, hidden entries
 * skipped) to p, sorted; a missing dir adds nothing. */
void t_collect_infs(const char *dir, t_paths *p);
/* Free the paths and the list. */
void t_paths_free(t_paths *p);

/* UTF-8 copy of a UTF-16 string for messages; static rotating buffers. */
const char *t_u8(const uint16_t *s, size_t n);

#endif
