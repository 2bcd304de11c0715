/* libFuzzer target for server/core/range.c (the Range header of downloads). The first 8 bytes
 * are the representation's size (small ones likelier), the rest the header's value. A range
 * given back lies within the representation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t n = 0;
    if (size >= 8) {
        memcpy(&n, data, 8);
        data += 8, size -= 8;
        if (n & 1)
            n = (n >> 1) % 4096;
    }
    char *v = malloc(size + 1);
    if (!v)
        abort();
    memcpy(v, data, size);
    v[size] = '\0';
    uint64_t first = 0, last = 0;
    enum range_kind k = range_parse(v, n, &first, &last);
    if (k == RANGE_PART && !(first <= last && last < n))
        abort();
    if (k != RANGE_PART && k != RANGE_WHOLE && k != RANGE_UNSATISFIABLE)
        abort();
    free(v);
    return 0;
}
