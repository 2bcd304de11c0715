/* fsend — a stored file as a request's reply: a strong ETag, If-None-Match (304), one byte
 * range (206; If-Range honoured; 416 past the end), Content-Length, the bytes handed to
 * libevent as a file segment (sendfile: nothing held in memory). Used for uploads, archived
 * versions and bundles. */
#ifndef FSEND_H
#define FSEND_H
#include <stdint.h>

struct req;

/* Answer r with size bytes of fd (taken over: closed on every path), whose representation is
 * etag (quoted). type: Content-Type; disposition: Content-Disposition or NULL. A range past the
 * end is answered by unsatisfiable(r) when given (the family's body; Content-Range is set), else
 * with an empty body. */
void fsend_file(struct req *r, int fd, uint64_t size, const char *etag, const char *type,
                const char *disposition, void (*unsatisfiable)(struct req *r));

#endif
