/* fsend — a stored file as a request's reply. */
#include "fsend.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "range.h"
#include "req.h"
#include "resp.h"
#include "util.h"

void fsend_file(struct req *r, int fd, uint64_t size, const char *etag, const char *type,
                const char *disposition, void (*unsatisfiable)(struct req *r))
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(r->ev);
    struct evkeyvalq *out = evhttp_request_get_output_headers(r->ev);
    evhttp_add_header(out, "ETag", etag);
    evhttp_add_header(out, "Accept-Ranges", "bytes");
    const char *inm = evhttp_find_header(in, "If-None-Match");
    if (inm && util_etag_listed(inm, etag)) {
        close(fd);
        req_finish(r, 304, NULL, evbuffer_new());
        return;
    }
    const char *ifr = evhttp_find_header(in, "If-Range");
    uint64_t first = 0, last = size ? size - 1 : 0;
    enum range_kind k = ifr && strcmp(ifr, etag) != 0
                            ? RANGE_WHOLE
                            : range_parse(evhttp_find_header(in, "Range"), size, &first, &last);
    if (k == RANGE_UNSATISFIABLE) {
        close(fd);
        evhttp_add_header(out, "Content-Range",
                          arena_printf(r->a, "bytes */%llu", (unsigned long long)size));
        if (unsatisfiable)
            unsatisfiable(r);
        else
            req_finish(r, 416, "text/plain", evbuffer_new());
        return;
    }
    uint64_t n = size ? last - first + 1 : 0;
    struct evbuffer *body = evbuffer_new();
    evbuffer_set_flags(body, EVBUFFER_FLAG_DRAINS_TO_FD); /* lets libevent use sendfile */
    if (n == 0 || r->method == M_HEAD) {
        close(fd);
    } else if (evbuffer_add_file(body, fd, (ev_off_t)first, (ev_off_t)n) != 0) {
        close(fd);
        evbuffer_free(body);
        resp_error(r, ERR_INTERNAL, NULL, "cannot send the stored file");
        return;
    }
    if (disposition)
        evhttp_add_header(out, "Content-Disposition", disposition);
    evhttp_add_header(out, "Content-Length", arena_printf(r->a, "%llu", (unsigned long long)n));
    if (k == RANGE_PART)
        evhttp_add_header(out, "Content-Range",
                          arena_printf(r->a, "bytes %llu-%llu/%llu", (unsigned long long)first,
                                       (unsigned long long)last, (unsigned long long)size));
    req_finish(r, k == RANGE_PART ? 206 : 200, type, body);
}
