/*
 * main.c: the main() of test binaries linked with libpnpbox-criterion.  It
 * is Criterion's own loop plus the sharding protocol of Bazel and other
 * distributed test runners: with TEST_TOTAL_SHARDS=N and TEST_SHARD_INDEX=i
 * only every N-th test (in Criterion's stable order, counting from i) runs
 * and the others are disabled, and TEST_SHARD_STATUS_FILE is touched to say
 * the binary supports sharding.  A test file that defines its own main()
 * keeps it: the linker only takes this one when main is otherwise missing.
 */
#include "pnpbox/criterion.h"

#include <stdio.h>
#include <stdlib.h>

/*
 * The body is inlined into main() itself: Criterion's sandbox (BoxFort)
 * patches the first bytes of main() with a jump in its worker processes, so
 * a main() that is only a tail call is shorter than the patch, and the patch
 * would overwrite the function the linker placed after it (under ASan, the
 * module destructor, which then crashed every test process at exit).
 */
static inline __attribute__((always_inline)) int criterion_main_body(int argc, char *argv[])
{
    struct criterion_test_set *set = criterion_initialize();
    const char *total_s = getenv("TEST_TOTAL_SHARDS"), *index_s = getenv("TEST_SHARD_INDEX");
    long total = total_s ? strtol(total_s, NULL, 10) : 0, index = index_s ? strtol(index_s, NULL, 10) : 0;
    if (total > 1) {
        if (index < 0 || index >= total) {
            fprintf(stderr, "pnpbox: TEST_SHARD_INDEX=%ld is outside 0..%ld\n", index, total - 1);
            criterion_finalize(set);
            return 2;
        }
        long i = 0;
        FOREACH_SET(struct criterion_suite_set *s, set->suites)
        {
            FOREACH_SET(struct criterion_test *t, s->tests)
            {
                if (i++ % total != index && t->data)
                    t->data->disabled = 1;
            }
        }
    }
    const char *status = getenv("TEST_SHARD_STATUS_FILE");
    if (status && *status) {
        FILE *f = fopen(status, "a");
        if (f)
            fclose(f);
    }
    int result = 0;
    if (criterion_handle_args(argc, argv, true))
        result = !criterion_run_all_tests(set);
    criterion_finalize(set);
    return result;
}

int pnpbox_criterion_main(int argc, char *argv[]) { return criterion_main_body(argc, argv); }

int main(int argc, char *argv[]) { return criterion_main_body(argc, argv); }
