/*
 * trun.h: running the built pnpbox binary ($PNPBOX_BUILD/bin/pnpbox) from a
 * test, with stdout and stderr captured separately.
 */
#ifndef TRUN_H
#define TRUN_H

typedef struct run_result {
    int status; /* exit status, or 128+signal */
    char *out;  /* stdout, NUL-terminated */
    char *err;  /* stderr, NUL-terminated */
} run_result;

/* $PNPBOX_BUILD/bin/pnpbox; fails the test when it is not built. */
const char *t_pnpbox_path(void);
/* $PNPBOX_BUILD (the build directory), failing the test when unset. */
const char *t_build_dir(void);
/* Run pnpbox with args (NULL-terminated, without argv[0]) and env (NULL: ours). */
run_result t_run_pnpbox(const char *const *args, char *const *env);
void t_run_free(run_result *r);
/* Run a shell command line (/bin/sh -c) in dir (NULL: ours), capturing its output. */
run_result t_run_sh(const char *cmdline, const char *dir);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

#endif
