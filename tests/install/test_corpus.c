/*
 * test_corpus.c: staging every real INF of the shared corpus
 * ($PNPBOX_TOP/../shared/corpus/inf).  The corpus holds INFs without their
 * binaries, so staging must either succeed (a package that lists no file)
 * or fail cleanly: -ENOENT naming the missing source file, or -EBADMSG for
 * what Windows would not stage, and in both cases leave the registry and
 * the volume exactly as they were.  Skips when ../shared is absent.
 */
#include "emu/emu.h"
#include "tests/install/tinst.h"
#include "tests/support/tsupport.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

TestSuite(install_corpus, .init = ti_setup, .fini = ti_teardown);

Test(install_corpus, every_corpus_inf_stages_or_fails_cleanly, .timeout = 300)
{
    const char *shared = t_shared_dir();
    if (!shared)
        cr_skip_test("../shared is absent: no INF corpus to stage");
    char root[4096];
    snprintf(root, sizeof root, "%s/corpus/inf", shared);
    t_paths p = {0};
    t_collect_infs(root, &p);
    cr_assert_gt(p.n, 100, "the corpus holds well over 100 INFs");
    size_t staged = 0, missing = 0, refused = 0;
    for (size_t i = 0; i < p.n; i++) {
        pnpbox_machine_free(ti_m);
        cr_assert_eq(pnpbox_machine_new(NULL, &ti_m), 0);
        ti_snap s;
        ti_snap_take(&s);
        char *pub = NULL;
        int rc = pnpbox_driver_add(ti_m, p.v[i], &pub);
        const char *msg = pnpbox_errmsg(ti_m);
        if (rc == 0) {
            staged++;
            cr_assert(pub && !strncmp(pub, "oem0.inf", 8), "%s: published as '%s'", p.v[i], pub ? pub : "");
            char *folder = NULL;
            cr_assert_eq(pnpbox_driver_folder(ti_m, pub, &folder, NULL), 0);
            char vp[1024];
            snprintf(vp, sizeof vp, "%s\\%s", TI_STORE, folder);
            cr_assert_eq(ti_vexists(vp), 2, "%s: no store folder", p.v[i]);
            free(folder);
            ti_snap_free(&s);
        } else {
            cr_assert(rc == -ENOENT || rc == -EBADMSG, "%s: unexpected %d: %s", p.v[i], rc, msg);
            cr_assert(!strncmp(msg, "cannot stage '", 14), "%s: message '%s'", p.v[i], msg);
            if (rc == -ENOENT) {
                cr_assert(strstr(msg, "source file '") && strstr(msg, "not found"), "%s: '%s'", p.v[i], msg);
                missing++;
            } else {
                refused++;
            }
            cr_assert_null(pub);
            ti_snap_same(&s, p.v[i]);
        }
        free(pub);
    }
    cr_log_info("corpus: %zu INFs, %zu staged, %zu missing a source file, %zu refused", p.n, staged, missing,
                refused);
    cr_assert_gt(missing, p.n / 2, "the corpus has no binaries: most staging attempts miss a file");
    for (size_t i = 0; i < p.n; i++)
        free(p.v[i]);
    free(p.v);
}
