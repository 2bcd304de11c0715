/* libFuzzer driver for the Hong Kong APIs' parameter parsers (server/hk/hk_params.c) and
 * valid_degrees (server/core/valid.c): any text as a day, a snapshot time, a count and a
 * coordinate. Checks: a time accepted comes back canonical and parses again to itself; a day
 * accepted is 8 digits naming itself; a coordinate accepted is finite and within its limit.
 * (Byte 0 is skipped: the seeds keep their layout of when it picked a file size for ranges,
 * which server/core/range.c's own driver now covers.) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hk_params.h"
#include "valid.h"

#define FAIL(...)                                                                            \
    do {                                                                                     \
        fprintf(stderr, "fuzz_hk_params: " __VA_ARGS__);                                     \
        fputc('\n', stderr);                                                                 \
        abort();                                                                             \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *s = malloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';

    int day;
    if (hk_parse_day(s, &day)) {
        char again[16];
        snprintf(again, sizeof(again), "%08d", day);
        if (strcmp(again, s) != 0)
            FAIL("day %s read as %d", s, day);
    }
    char t[14], t2[14];
    if (hk_parse_time(s, t) && (strlen(t) != 13 || t[8] != '-' || !hk_parse_time(t, t2) ||
                                strcmp(t, t2) != 0))
        FAIL("time %s read as %s", s, t);
    long long n;
    if (hk_parse_count(s, 1, 100, &n) && (n < 1 || n > 100))
        FAIL("count %s read as %lld", s, n);
    double v;
    if (valid_degrees(s, 90, &v) && (!isfinite(v) || fabs(v) > 90))
        FAIL("degrees %s read as %g", s, v);
    free(s);
    return 0;
}
