/* range — one byte range of a Range header. */
#include "range.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Decimal digits at *p (at most 18: no overflow); false when there are none. */
static bool digits(const char **p, uint64_t *v)
{
    const char *s = *p;
    uint64_t n = 0;
    size_t k = 0;
    while (s[k] >= '0' && s[k] <= '9') {
        if (k == 18)
            return false;
        n = n * 10 + (uint64_t)(s[k++] - '0');
    }
    *p = s + k;
    *v = n;
    return k > 0;
}

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

enum range_kind range_parse(const char *value, uint64_t size, uint64_t *first, uint64_t *last)
{
    if (!value || strncmp(value, "bytes=", 6) != 0)
        return RANGE_WHOLE;
    const char *p = skip_ows(value + 6);
    uint64_t a = 0, b = 0;
    bool has_a = digits(&p, &a);
    if (*p++ != '-')
        return RANGE_WHOLE;
    bool has_b = digits(&p, &b);
    p = skip_ows(p);
    if (*p != '\0' || (!has_a && !has_b) || (has_a && has_b && b < a))
        return RANGE_WHOLE; /* malformed, or several ranges: the whole representation */
    if (!has_a) { /* the last b bytes */
        if (b == 0 || size == 0)
            return RANGE_UNSATISFIABLE;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return RANGE_PART;
    }
    if (a >= size)
        return RANGE_UNSATISFIABLE;
    *first = a;
    *last = has_b && b < size ? b : size - 1;
    return RANGE_PART;
}
