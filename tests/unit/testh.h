/* testh.h — a tiny table-friendly unit-test harness (in the spirit of redis testhelp.h).
 * Each test binary includes the module's .c (h2o style) so statics are reachable,
 * records checks with T_CHECK, and ends with T_DONE(), which prints
 * "N passed, N failed" as its last line; `make test` sums those lines. */
#ifndef TESTH_H
#define TESTH_H
#include <stdio.h>
#include <string.h>

static int th_passed, th_failed;

#define T_CHECK(cond, ...)                                                    \
    do {                                                                      \
        if (cond) {                                                           \
            th_passed++;                                                      \
        } else {                                                              \
            th_failed++;                                                      \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);              \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

#define T_STREQ(got, want, what)                                              \
    T_CHECK((got) && (want) && strcmp((got), (want)) == 0,                    \
            "%s: got \"%s\", want \"%s\"", (what), (got) ? (got) : "(null)", \
            (want) ? (want) : "(null)")

#define T_DONE()                                                              \
    do {                                                                      \
        printf("%d passed, %d failed\n", th_passed, th_failed);               \
        return th_failed ? 1 : 0;                                             \
    } while (0)

#endif
