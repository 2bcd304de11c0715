/* req — the request context every handler receives, query-string parameters, database calls on
 * behalf of a request, and the one finish path (reply, access-log line, release).
 * Handlers return REQ_DONE once a reply was written (resp_* did it) or REQ_ASYNC when a
 * database callback will write it. They never call evhttp_send_* themselves. */
#ifndef REQ_H
#define REQ_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "route.h"
#include "util.h"

struct evhttp_request;
struct evbuffer;
struct srv_thread;
struct db_stmt;
struct dbp_job;
struct db_error;
struct evhttp_connection;
struct srv_family;
struct edge_upload;

enum { REQ_DONE = 0, REQ_ASYNC = 1 };

/* The authenticated caller (ckan_auth.c), or none: anonymous. */
struct req_user {
    const char *id, *name;
    bool sysadmin;
    const char *viewer; /* the caller as an SQL ckan_viewer value (text) */
};

struct req_param {
    const char *key, *value; /* decoded, valid UTF-8 */
};

struct req {
    struct evhttp_request *ev;
    struct srv_thread *thr;
    struct arena *a;
    const struct srv_family *fam; /* whose route (or path): picks the envelope */
    unsigned method;              /* M_* */
    const char *method_name;
    const char *uri;    /* as received, for the log */
    const char *peer;   /* the connection's peer address */
    const char *client; /* the client: the peer, or behind a trusted proxy the address
                                   X-Forwarded-For names (proxy.h); for the log */
    const char *rid;    /* request id: X-Request-Id as given, else made; returned */
    const char *agent;  /* User-Agent as received, or NULL; for the log line, which is
                                   written after a client gone mid-stream took ev with it */
    const char *path;   /* raw path */
    struct route_match route;
    struct req_param *query; /* query-string parameters in order */
    int nquery;
    const char *action;              /* CKAN action name, for the help link */
    const char *lang;                /* the language a read answers in (a family's language prefix,
                                   set at dispatch), or NULL: the default */
    const struct req_user *user;     /* NULL: anonymous */
    int (*auth_next)(struct req *r); /* the action to run once the caller is known */
    struct dbp_job *job;
    struct dbp *db;   /* where its statements go, chosen at the first (req_pool) */
    bool primary;     /* its statements go to the primary (req_use_primary) */
    struct req_stmt { /* the statement running, to send again elsewhere */
        const struct db_stmt *st;
        const char *sql;
        int nparams;
        const char *const *params;
        bool prepare, quiet;
    } stmt;
    void (*db_done)(struct req *r, PGresult *res);
    /* COPY's lines one by one (req_db_copy) */
    void (*db_line)(struct req *r, const char *line, size_t len);
    bool db_lines_seen; /* a line went to db_line: the statement is not run again */
    /* optional: sees a failed statement first; true when it took care of the request */
    bool (*db_failed)(struct req *r, const struct db_error *err);
    void *data;                 /* the handler's own state across database calls */
    struct edge_upload *upload; /* a spooled multipart body's file or refusal; NULL: none */
    int status;
    int replies; /* replies begun: exactly one per request (asserted) */
    size_t bytes_out;
    int64_t t0_us;
    uint64_t id;
};

/* Query-string parameters (req_query.c: pure, needs only r->a). */
/* Parse a query string into r->query; false when it is not valid percent-encoded UTF-8. */
bool req_parse_query(struct req *r, const char *qs) MUSTCHECK;
/* The value of a query parameter, or NULL; *count (optional) = how many times it appears. */
const char *req_query_get(const struct req *r, const char *key, int *count);
/* Path parameter i (percent-decoded). */
const char *req_path_param(const struct req *r, int i);

/* The pool r's statements go to: a read replica for an anonymous caller when one may take
 * reads now (replica.h), else the primary; chosen once per request. */
struct dbp *req_pool(struct req *r);
/* Send r's statements to the primary (before its first one): the dispatcher's for a route
 * marked ROUTE_PRIMARY (route.h); a read a replica failed goes again (req_replica_failed). */
void req_use_primary(struct req *r);
/* Send r's statements to p (one of req_pool's choices): requests sharing one read. */
void req_set_pool(struct req *r, struct dbp *p);
/* A statement of r failed on a replica that went away, or that refused it as a write
 * (read-only): true when so, r's statements then going to the primary (send it again there). */
bool req_replica_failed(struct req *r, const struct db_error *err);

/* Run a prepared statement for r; done(r, res) runs with a successful result, while database
 * failures are answered (503/500 in r's envelope) without calling done. Returns REQ_ASYNC, or
 * REQ_DONE when it already answered (wait queue full). */
int req_db(struct req *r, const struct db_stmt *st, const char *const *params,
           void (*done)(struct req *r, PGresult *res)) MUSTCHECK;
/* req_db where failed (optional) sees a database failure first and returns true when it
 * answered (or went on otherwise): a family's own answer to one of the refusals an SQL function
 * raises. The usual answer follows when it returns false. */
int req_db_or(struct req *r, const struct db_stmt *st, const char *const *params,
              void (*done)(struct req *r, PGresult *res),
              bool (*failed)(struct req *r, const struct db_error *err)) MUSTCHECK;
/* The done callback of a statement that answers as the SQL → C contract says: one JSON text in
 * one cell, sent as the result in r's envelope. Anything else is a function's bug: 500. */
void req_reply_json_cell(struct req *r, PGresult *res);

/* Send the reply held in body (taken over) with status and content type, write the access log
 * line, and free the request; exactly once per request. content_type NULL sends none (a 304,
 * an OPTIONS answer). The headers every reply carries are added here: CORS for requests with
 * an Origin (and OPTIONS), Allow on a 405 or OPTIONS, Cache-Control on CKAN replies. */
void req_finish(struct req *r, int status, const char *content_type, struct evbuffer *body);

/* req_finish for a JSON body held whole (text malloc'd, taken over; used by resp_*). An
 * anonymous CKAN GET 200 also gets a strong ETag (a hash of the bytes), and an If-None-Match
 * naming it turns the reply into a 304 without body. */
void req_finish_text(struct req *r, int status, const char *content_type, char *text, size_t len);
/* The same for bytes that are not copied: cleanup(data, len, arg) runs once they are sent (or
 * at once for a 304). hash: util_hash64 of the bytes, for the ETag (known to the caller, which
 * may send the same bytes many times). */
void req_finish_ref(struct req *r, int status, const char *content_type, const char *data,
                    size_t len, void (*cleanup)(const void *, size_t, void *), void *arg,
                    uint64_t hash);

/* True when the caller is or claims to be someone: r->user, or a credential header
 * (Authorization, X-CKAN-API-Key) even one that did not authenticate. Such replies are private. */
bool req_authenticated(const struct req *r);

/* The last step of every request (req_finish ends with it): the access-log line, the arena,
 * the in-flight count. Call it directly only for a request whose reply is already handled. */
void req_release(struct req *r);

/* Streamed replies (chunked for HTTP/1.1), for bodies too large to hold: start with the status
 * and content type (other headers may be added before), hand over chunks, then end. drained(evcon,
 * arg) runs once a chunk has left evhttp's buffer, so the producer can make the next one (send
 * nothing meanwhile, to keep memory bounded). */
void req_stream_start(struct req *r, int status, const char *content_type);
/* Send buf's bytes (taken over: buf is left empty) as one chunk. */
void req_stream_chunk(struct req *r, struct evbuffer *buf,
                      void (*drained)(struct evhttp_connection *, void *), void *arg);
/* cb(evcon, arg) runs when the request's connection closes (NULL: nothing). One per connection:
 * evhttp has a single close callback, which the connection's edge (edge.c) shares. */
void req_on_close(struct req *r, void (*cb)(struct evhttp_connection *, void *), void *arg);
/* Finish the reply, then release the request. */
void req_stream_end(struct req *r);
/* The reply cannot be completed (its source failed mid-stream): cut the connection so the
 * client sees an incomplete reply, and release the request. */
void req_stream_cut(struct req *r);
/* The client went away mid-stream: release the request. ev_freed tells whether libevent freed
 * r->ev already (the connection closed while the request was still attached to it). */
void req_stream_abort(struct req *r, bool ev_freed);

/* req_db for SQL text built at run time (sql and params must live until done: use r->a). */
int req_db_sql(struct req *r, const char *sql, int nparams, const char *const *params,
               void (*done)(struct req *r, PGresult *res)) MUSTCHECK;
/* The same, with the text kept prepared on the connection (dbp_exec_sql_prepared): for texts
 * that repeat, whose values all travel as parameters. */
int req_db_sql_prepared(struct req *r, const char *sql, int nparams, const char *const *params,
                        void (*done)(struct req *r, PGresult *res)) MUSTCHECK;

/* Answer a failed database call in r's envelope, as req_db does (for callers that run their
 * own jobs): 503 when unavailable or timed out, 500 for a failed statement, and for input an
 * SQL function refused (db_err.h) the family's answer (its envelope's app_error). */
struct db_error;
void req_db_fail(struct req *r, const struct db_error *err);
/* The same after r->db_failed (when set) had its say: what req_db's jobs get. */
void req_db_error(struct req *r, const struct db_error *err);
/* The statement of r's own (req_db_or) failure handler, for callers that run their own jobs. */
void req_db_set_failed(struct req *r, bool (*failed)(struct req *r, const struct db_error *err));
/* 503: the database wait queue is full. */
void req_db_busy(struct req *r);

/* req_db_sql_prepared (prepare true) or req_db_sql (false), where failed (optional) sees a
 * database failure first and returns true when it answered or went on otherwise; the usual
 * 503/500 answer follows when it returns false. */
int req_db_sql_then(struct req *r, bool prepare, const char *sql, int nparams,
                    const char *const *params, void (*done)(struct req *r, PGresult *res),
                    bool (*failed)(struct req *r, const struct db_error *err)) MUSTCHECK;
/* Run a COPY ... TO STDOUT statement (no parameters) whose lines go to line(r, line, len) one by
 * one as PostgreSQL sends them (valid during the call); done then gets the statement's end, and
 * failed (optional) a failure first, as req_db_sql_then's. A statement on a replica that fails
 * after its first line is not run again on the primary. */
int req_db_copy(struct req *r, const char *sql,
                void (*line)(struct req *r, const char *line, size_t len),
                void (*done)(struct req *r, PGresult *res),
                bool (*failed)(struct req *r, const struct db_error *err)) MUSTCHECK;

#endif
