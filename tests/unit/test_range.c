/* Unit tests for server/core/range.c: one byte range of a Range header, against a size. */
#include <stdint.h>

#include "../../server/core/range.c"
#include "testh.h"

static const struct {
    const char *value;
    uint64_t size;
    enum range_kind kind;
    uint64_t first, last;
} cases[] = {
    {NULL, 10, RANGE_WHOLE, 0, 0},
    {"bytes=0-0", 10, RANGE_PART, 0, 0},
    {"bytes=2-5", 10, RANGE_PART, 2, 5},
    {"bytes=2-", 10, RANGE_PART, 2, 9},
    {"bytes=2-100", 10, RANGE_PART, 2, 9},
    {"bytes=-3", 10, RANGE_PART, 7, 9},
    {"bytes=-30", 10, RANGE_PART, 0, 9},
    {"bytes= 1-2 ", 10, RANGE_PART, 1, 2},
    {"bytes=10-", 10, RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=10-20", 10, RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=-0", 10, RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=0-", 0, RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=-1", 0, RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=5-2", 10, RANGE_WHOLE, 0, 0},
    {"bytes=0-1,3-4", 10, RANGE_WHOLE, 0, 0},
    {"bytes=-", 10, RANGE_WHOLE, 0, 0},
    {"bytes=a-b", 10, RANGE_WHOLE, 0, 0},
    {"Bytes=0-1", 10, RANGE_WHOLE, 0, 0},
    {"lines=0-1", 10, RANGE_WHOLE, 0, 0},
    {"bytes=1234567890123456789-", 10, RANGE_WHOLE, 0, 0},
    {"bytes=0-1 x", 10, RANGE_WHOLE, 0, 0},
};

int main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t a = 0, b = 0;
        enum range_kind k = range_parse(cases[i].value, cases[i].size, &a, &b);
        T_CHECK(k == cases[i].kind, "%s: kind %d, want %d", cases[i].value ? cases[i].value : "-",
                k, cases[i].kind);
        if (k == RANGE_PART && cases[i].kind == RANGE_PART)
            T_CHECK(a == cases[i].first && b == cases[i].last, "%s: %llu-%llu", cases[i].value,
                    (unsigned long long)a, (unsigned long long)b);
    }
    T_DONE();
}
