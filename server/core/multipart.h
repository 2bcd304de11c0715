/* multipart — a streaming reader of multipart/form-data bodies (RFC 7578 over RFC 2046 body
 * parts). The body is fed in pieces of any size, as they arrive; the reader calls back per part:
 * its headers parsed (Content-Disposition name and filename, Content-Type), then its data in
 * pieces, then its end. No part body is held: memory is the reader plus one part's header
 * block, bounded by a limit, whatever the size of the parts.
 *
 * Strict: the boundary comes from the Content-Type's parameter (1-70 characters of RFC 2046's
 * bchars, quoted or not); every delimiter is a line of its own ending in CRLF (the first may
 * open the body, after any preamble); header lines end in CRLF; a body that ends before the
 * final "--boundary--" is an error. Errors are sentences (mp_error).
 *
 * Pure: no sockets, no event loop (unit tests and fuzzing feed it directly). */
#ifndef MULTIPART_H
#define MULTIPART_H
#include "util.h"
#include <stdbool.h>
#include <stddef.h>

#define MP_BOUNDARY_MAX 70
#define MP_DEFAULT_MAX_PARTS 100
#define MP_DEFAULT_MAX_HEADER 8192

/* One part, as its headers describe it. The strings are NUL-terminated valid UTF-8 without
 * NUL, owned by the reader and valid until the part's end callback returns. */
struct mp_part {
    const char *name;         /* the form field's name (required by RFC 7578) */
    const char *filename;     /* filename* (RFC 5987) when given, else filename; NULL when
                                 neither. As the client sent it: may hold '/' or "..", so
                                 never a path to open. */
    const char *content_type; /* the Content-Type value, NULL when absent (text/plain) */
    size_t index;             /* 0 for the first part */
};

/* Each returns false to stop reading (mp_feed then returns false with "stopped by the
 * receiver"). Any may be NULL. */
struct mp_callbacks {
    bool (*on_part)(void *ctx, const struct mp_part *part);
    bool (*on_data)(void *ctx, const char *data, size_t len); /* len > 0 */
    bool (*on_part_end)(void *ctx, const struct mp_part *part);
};

struct mp_limits {
    size_t max_parts;  /* 0: MP_DEFAULT_MAX_PARTS */
    size_t max_header; /* bytes of one part's header block; 0: MP_DEFAULT_MAX_HEADER */
};

struct mp_reader;

/* The boundary of a request's Content-Type value (multipart/form-data; boundary=...), copied
 * into out (MP_BOUNDARY_MAX + 1 bytes). NULL on success, else why not (a static sentence). */
const char *mp_boundary(const char *content_type, char out[MP_BOUNDARY_MAX + 1]) MUSTCHECK;

/* A reader for a body with this Content-Type; NULL with *err (a static sentence) when it is
 * not multipart/form-data with a valid boundary. limits may be NULL. Free with mp_free. */
struct mp_reader *mp_new(const char *content_type, const struct mp_limits *limits,
                         const struct mp_callbacks *cb, void *ctx, const char **err) MUSTCHECK;
void mp_free(struct mp_reader *r);

/* The next len bytes of the body. False once the body is found invalid or a callback stopped
 * it; later calls then do nothing and return false. */
bool mp_feed(struct mp_reader *r, const char *data, size_t len) MUSTCHECK;

/* The body ended: false unless the final boundary was read. */
bool mp_finish(struct mp_reader *r) MUSTCHECK;

/* Why the reader stopped (NULL while it has not). */
const char *mp_error(const struct mp_reader *r);

/* Parts begun so far. */
size_t mp_parts(const struct mp_reader *r);

#endif
