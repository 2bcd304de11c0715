/* req — the request: its reply headers, the one finish path, streamed replies, the access log
 * line; its database calls are req_db.c. */
#include "req.h"

#include <assert.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "edge.h"
#include "family.h"
#include "log.h"
#include "resp.h"
#include "srv_thread.h"
#include "util.h"

static void access_log(const struct req *r)
{
    char when[40];
    log_time(when, sizeof(when));
    double ms = (double)(util_now_us() - r->t0_us) / 1000.0;
    char *agent = log_quote(r->agent ? r->agent : "-", 512); /* r->ev may be gone */
    char *line = xasprintf("%s t=%d id=%s %s %s %s %d %zu %.3fms %s\n", when, r->thr->index, r->rid,
                           r->client, r->method_name, r->uri, r->status, r->bytes_out, ms, agent);
    log_line(line);
    free(agent);
    free(line);
}

bool req_authenticated(const struct req *r)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(r->ev);
    return r->user || evhttp_find_header(h, "Authorization") ||
           evhttp_find_header(h, "X-CKAN-API-Key");
}

/* ---- headers every reply carries ------------------------------------------------------------- */

/* The Access-Control-Allow-Origin value for origin (NULL: none) under the configured list:
 * "*" when the list holds "*", the origin itself when the list names it. */
static const char *cors_origin(const char *list, const char *origin)
{
    size_t ol = strlen(origin);
    for (const char *p = list; *p;) {
        p += strspn(p, " \t");
        size_t n = strcspn(p, " \t");
        if (n == 1 && *p == '*')
            return "*";
        if (n > 0 && n == ol && memcmp(p, origin, n) == 0)
            return origin;
        p += n;
    }
    return NULL;
}

/* The Allow header for a route's methods (HEAD goes with GET; OPTIONS is always answered). */
static const char *allow_text(struct req *r, unsigned methods)
{
    return arena_printf(r->a, "%s%s%s%sOPTIONS", methods & M_GET ? "GET, HEAD, " : "",
                        methods & M_POST ? "POST, " : "", methods & M_PUT ? "PUT, " : "",
                        methods & M_DELETE ? "DELETE, " : "");
}

/* CORS on replies to requests with an Origin, and on preflights (OPTIONS): the methods are the
 * route's, as Allow says. */
static void cors_headers(struct req *r, struct evkeyvalq *out)
{
    const char *list = r->thr->cfg->cors_origins;
    const char *origin = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Origin");
    if (*list && !cors_origin(list, ""))
        evhttp_add_header(out, "Vary", "Origin"); /* a list: the answer depends on the Origin */
    if (!origin && r->method != M_OPTIONS)
        return;
    const char *allow = cors_origin(list, origin ? origin : "");
    if (!allow)
        return;
    evhttp_add_header(out, "Access-Control-Allow-Origin", allow);
    evhttp_add_header(out, "Access-Control-Allow-Methods", allow_text(r, r->route.allowed));
    evhttp_add_header(out, "Access-Control-Allow-Headers",
                      "Authorization, X-CKAN-API-Key, Content-Type");
}

/* Replies of families that ask for it (CKAN): anonymous GETs may be kept by caches
 * (revalidated each time); answers to a caller with credentials never; errors and other
 * methods are not reused. */
static void cache_headers(struct req *r, struct evkeyvalq *out, int status)
{
    if (!r->fam->env->http_cache || r->method == M_OPTIONS ||
        evhttp_find_header(out, "Cache-Control"))
        return;
    const char *v = "no-cache";
    if (req_authenticated(r))
        v = "private, no-store";
    else if (status < 400 && (r->method == M_GET || r->method == M_HEAD))
        v = "public, max-age=0, must-revalidate";
    evhttp_add_header(out, "Cache-Control", v);
}

static void reply_headers(struct req *r, int status, const char *content_type)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    if (content_type)
        evhttp_add_header(h, "Content-Type", content_type);
    if (status == 405 || r->method == M_OPTIONS)
        evhttp_add_header(h, "Allow", allow_text(r, r->route.allowed));
    if (status == 503)
        evhttp_add_header(h, "Retry-After", "1");
    evhttp_add_header(h, "X-Request-Id", r->rid);
    cors_headers(r, h);
    cache_headers(r, h, status);
}

/* Every request gets exactly one reply: none leaves its client waiting (and its arena
 * allocated), a second writes to a request evhttp may have freed. Asserted wherever asserts
 * are on (every build but -DNDEBUG: the test runs, the sanitized one included). */
static void req_count_reply(struct req *r)
{
    assert(r->replies == 0 && "a second reply to one request");
    r->replies++;
}

void req_finish(struct req *r, int status, const char *content_type, struct evbuffer *body)
{
    req_count_reply(r);
    r->status = status;
    r->bytes_out = evbuffer_get_length(body);
    reply_headers(r, status, content_type);
    /* evhttp sends no body to a HEAD, and then no Content-Length either: say what GET sends */
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    if (r->method == M_HEAD && status >= 200 && status != 204 && status != 304 &&
        !evhttp_find_header(h, "Content-Length"))
        evhttp_add_header(h, "Content-Length", arena_printf(r->a, "%zu", r->bytes_out));
    srv_thread_before_reply(r->thr, r->ev);
    evhttp_send_reply(r->ev, status, NULL, body);
    evbuffer_free(body);
    req_release(r);
}

static void free_ref(const void *data, size_t len, void *extra)
{
    (void)len, (void)extra;
    free((void *)data);
}

/* Whether the reply gets a strong ETag: an anonymous GET 200 of a family that caches (CKAN). */
static bool etag_wanted(const struct req *r, int status)
{
    return r->fam->env->http_cache && status == 200 &&
           (r->method == M_GET || r->method == M_HEAD) && !req_authenticated(r);
}

/* Add the ETag of a body whose hash is given; answer 304 when If-None-Match names it. */
static bool etag_not_modified(struct req *r, uint64_t hash)
{
    const char *etag = arena_printf(r->a, "\"%016llx\"", (unsigned long long)hash);
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), "ETag", etag);
    const char *inm = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "If-None-Match");
    if (!inm || !util_etag_listed(inm, etag))
        return false;
    req_finish(r, 304, NULL, evbuffer_new());
    return true;
}

void req_finish_text(struct req *r, int status, const char *content_type, char *text, size_t len)
{
    req_finish_ref(r, status, content_type, text, len, free_ref, NULL,
                   etag_wanted(r, status) ? util_hash64(text, len) : 0);
}

void req_finish_ref(struct req *r, int status, const char *content_type, const char *data,
                    size_t len, void (*cleanup)(const void *, size_t, void *), void *arg,
                    uint64_t hash)
{
    if (etag_wanted(r, status) && etag_not_modified(r, hash)) {
        cleanup(data, len, arg);
        return;
    }
    struct evbuffer *body = evbuffer_new();
    evbuffer_add_reference(body, data, len, cleanup, arg);
    req_finish(r, status, content_type, body);
}

/* ---- the end of a request, and streamed replies ---------------------------------------------- */

void req_release(struct req *r)
{
    assert(r->replies == 1 && "a request released without a reply");
    r->thr->released++;
    if (r->thr->cfg->access_log)
        access_log(r);
    struct srv_thread *thr = r->thr;
    arena_free(r->a);
    srv_thread_request_done(thr);
}

void req_on_close(struct req *r, void (*cb)(struct evhttp_connection *, void *), void *arg)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(r->ev);
    if (evcon)
        edge_set_closecb(r->thr->edge, evcon, cb, arg);
}

void req_stream_start(struct req *r, int status, const char *content_type)
{
    req_count_reply(r);
    r->status = status;
    reply_headers(r, status, content_type);
    evhttp_send_reply_start(r->ev, status, NULL);
}

void req_stream_chunk(struct req *r, struct evbuffer *buf,
                      void (*drained)(struct evhttp_connection *, void *), void *arg)
{
    r->bytes_out += evbuffer_get_length(buf);
    evhttp_send_reply_chunk_with_cb(r->ev, buf, drained, arg);
}

void req_stream_end(struct req *r)
{
    srv_thread_before_reply(r->thr, r->ev);
    evhttp_send_reply_end(r->ev);
    req_release(r);
}

void req_stream_cut(struct req *r)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(r->ev);
    if (evcon) {
        req_on_close(r, NULL, NULL);
        evhttp_connection_free(evcon); /* frees the request too */
    } else {
        evhttp_request_free(r->ev);
    }
    req_release(r);
}

void req_stream_abort(struct req *r, bool ev_freed)
{
    if (!ev_freed)
        evhttp_request_free(r->ev);
    req_release(r);
}
