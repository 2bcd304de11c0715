/* req — request context: query parameters, database calls, the one finish path. */
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
#include "db_pool.h"
#include "edge.h"
#include "family.h"
#include "log.h"
#include "replica.h"
#include "resp.h"
#include "server.h"
#include "util.h"

struct dbp *req_pool(struct req *r)
{
    if (!r->db) {
        struct dbp *rep = r->primary || req_authenticated(r) ? NULL : rep_pick(r->thr->replicas);
        r->db = rep ? rep : r->thr->db;
    }
    return r->db;
}

void req_use_primary(struct req *r)
{
    r->primary = true;
    r->db = r->thr->db;
}

void req_set_pool(struct req *r, struct dbp *p)
{
    r->db = p;
}

static int req_send(struct req *r);

bool req_replica_failed(struct req *r, const struct db_error *err)
{
    if (!r->db || r->db == r->thr->db || !rep_is_replica(r->thr->replicas, r->db) ||
        (err->kind != DBE_UNAVAILABLE && strcmp(err->sqlstate, "25006") != 0))
        return false;
    req_use_primary(r);
    return true;
}

static void req_db_line(void *arg, const char *line, size_t len)
{
    struct req *r = arg;
    r->db_lines_seen = true;
    r->db_line(r, line, len);
}

static void req_db_done(void *arg, PGresult *res, const struct db_error *err)
{
    struct req *r = arg;
    r->job = NULL;
    if (err && !r->db_lines_seen && req_replica_failed(r, err)) {
        (void)req_send(r); /* on the primary now (a full queue is answered in there) */
        return;
    }
    if (!err)
        r->db_done(r, res);
    else
        req_db_error(r, err);
}

void req_db_set_failed(struct req *r, bool (*failed)(struct req *r, const struct db_error *err))
{
    r->db_failed = failed;
}

void req_db_error(struct req *r, const struct db_error *err)
{
    if (!r->db_failed || !r->db_failed(r, err))
        req_db_fail(r, err);
}

void req_db_fail(struct req *r, const struct db_error *err)
{
    if (dberr_refused(err->kind))
        r->fam->env->app_error(r, err); /* input an SQL function refused: the family's words */
    else if (err->kind == DBE_QUERY)
        resp_error(r, ERR_INTERNAL, NULL, "database error %s", err->sqlstate);
    else if (err->kind == DBE_TIMEOUT)
        resp_error(r, ERR_UNAVAILABLE, NULL, "the database query timed out");
    else
        resp_error(r, ERR_UNAVAILABLE, NULL, "the database is unavailable");
}

int req_db(struct req *r, const struct db_stmt *st, const char *const *params,
           void (*done)(struct req *r, PGresult *res))
{
    return req_db_or(r, st, params, done, NULL);
}

int req_db_or(struct req *r, const struct db_stmt *st, const char *const *params,
              void (*done)(struct req *r, PGresult *res),
              bool (*failed)(struct req *r, const struct db_error *err))
{
    r->db_done = done;
    r->db_failed = failed;
    r->db_line = NULL;
    r->stmt = (struct req_stmt){.st = st, .params = params};
    return req_send(r);
}

/* Send r->stmt to r's pool. */
static int req_send(struct req *r)
{
    const struct req_stmt *q = &r->stmt;
    struct dbp *p = req_pool(r);
    if (q->st)
        r->job = dbp_exec(p, q->st, q->params, req_db_done, r);
    else if (r->db_line)
        r->job = dbp_exec_copy(p, q->sql, req_db_line, req_db_done, r);
    else
        r->job = (q->prepare ? dbp_exec_sql_prepared : dbp_exec_sql)(p, q->sql, q->nparams,
                                                                     q->params, req_db_done, r);
    if (!r->job) {
        req_db_busy(r);
        return REQ_DONE;
    }
    if (q->quiet)
        dbp_job_quiet(r->job);
    return REQ_ASYNC;
}

void req_reply_json_cell(struct req *r, PGresult *res)
{
    if (PQntuples(res) != 1 || PQnfields(res) != 1 || PQgetisnull(res, 0, 0)) {
        log_error("a statement answered %d rows of %d columns, not one JSON text", PQntuples(res),
                  PQnfields(res));
        resp_error(r, ERR_INTERNAL, NULL, "the database gave no answer");
        return;
    }
    resp_ok_json(r, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}

void req_db_busy(struct req *r)
{
    resp_error(r, ERR_UNAVAILABLE, NULL, "the server is overloaded, try again later");
}

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
    const char *list = srv_config()->cors_origins;
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
    srv_before_reply(r->thr, r->ev);
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
    if (srv_config()->access_log)
        access_log(r);
    struct srv_thread *thr = r->thr;
    arena_free(r->a);
    srv_request_done(thr);
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
    srv_before_reply(r->thr, r->ev);
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

/* req_db_sql, req_db_sql_prepared and req_db_sql_then. */
static int req_db_text(struct req *r, bool prepare, const char *sql, int nparams,
                       const char *const *params, void (*done)(struct req *r, PGresult *res),
                       bool (*failed)(struct req *r, const struct db_error *err))
{
    r->db_done = done;
    r->db_failed = failed;
    r->db_line = NULL;
    r->stmt = (struct req_stmt){.sql = sql,
                                .nparams = nparams,
                                .params = params,
                                .prepare = prepare,
                                .quiet = failed != NULL};
    return req_send(r);
}

int req_db_sql(struct req *r, const char *sql, int nparams, const char *const *params,
               void (*done)(struct req *r, PGresult *res))
{
    return req_db_text(r, false, sql, nparams, params, done, NULL);
}

int req_db_sql_prepared(struct req *r, const char *sql, int nparams, const char *const *params,
                        void (*done)(struct req *r, PGresult *res))
{
    return req_db_text(r, true, sql, nparams, params, done, NULL);
}

int req_db_sql_then(struct req *r, bool prepare, const char *sql, int nparams,
                    const char *const *params, void (*done)(struct req *r, PGresult *res),
                    bool (*failed)(struct req *r, const struct db_error *err))
{
    return req_db_text(r, prepare, sql, nparams, params, done, failed);
}

int req_db_copy(struct req *r, const char *sql,
                void (*line)(struct req *r, const char *line, size_t len),
                void (*done)(struct req *r, PGresult *res),
                bool (*failed)(struct req *r, const struct db_error *err))
{
    r->db_done = done;
    r->db_failed = failed;
    r->db_line = line;
    r->db_lines_seen = false;
    r->stmt = (struct req_stmt){.sql = sql, .quiet = failed != NULL};
    return req_send(r);
}
