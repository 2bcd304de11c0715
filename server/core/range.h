/* range — the Range header of a GET (RFC 9110 §14.2), for one byte range: what part of a
 * representation of a known size to send. Pure. */
#ifndef RANGE_H
#define RANGE_H
#include <stdint.h>

enum range_kind {
    RANGE_WHOLE,         /* no usable Range (absent, not bytes, malformed, several ranges): 200 */
    RANGE_PART,          /* one satisfiable range: 206 [first, last] */
    RANGE_UNSATISFIABLE, /* 416 */
};

/* Read value (NULL: no header) against a representation of size bytes. */
enum range_kind range_parse(const char *value, uint64_t size, uint64_t *first, uint64_t *last);

#endif
