/* ds_read — datastore reads: a copy of the bookkeeping, the generated statement. */
#include "ds_read.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db_err.h"
#include "db_pool.h"
#include "ds_cache.h"
#include "ds_family.h"
#include "ds_json.h"
#include "family.h"
#include "log.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "sqlbuild.h"
#include "util.h"

/* Reads of the bookkeeping one request may make: a copy found stale is read again, and an
 * import committing between that read and the statement makes another round; beyond this the
 * table is changing too fast to read (503). */
#define DSR_ROUNDS_MAX 3
/* CKAN pages of at least this many rows go out as their rows arrive (chunked), not held whole:
 * the reply is on its way while PostgreSQL still sends rows, and no copy of the page is made.
 * Smaller pages keep their ETag. */
#define DSR_STREAM_ROWS 1000
/* A streamed page's records leave in chunks of about this many bytes. */
#define DSR_CHUNK (256 * 1024)

static struct db_stmt st_meta = {"ds_read_meta", DSR_TABLE_SQL, 2, 0};

/* What a request needs across its statements: a read, or a nearest search (near set). */
struct dsr_state {
    struct sqlb_read q; /* q.rid and q.viewer name the resource and caller of both */
    const struct sqlb_near *near;
    int rounds;                /* bookkeeping reads so far */
    struct sqlb_shape shape;   /* of the statement run last; names and kinds in the arena */
    struct dsr_stream *stream; /* the page being streamed, or NULL */
};

/* A statement's text and parameters, in the request's arena. */
struct dsr_sql {
    const char *sql;
    const char **params;
    int n;
};

/* A page streamed as its rows arrive, read by two statements (sqlb_datastore_read_split): the
 * head statement's result first, then the rows by COPY (its text lines cost a fraction of a
 * result row each); with the first line (or at the end of an empty page) the envelope's head,
 * the result's head and "["; records in chunks; at the end "]", the result's tail and the
 * envelope's. */
struct dsr_stream {
    struct dsr_sql rows; /* the rows' statement, run once the head is read */
    struct dsj_writer w;
    char *env; /* the envelope around nothing (malloc'd); the records go at env_head */
    size_t env_head, env_len;
    const char *head, *tail; /* the result's text before and after the records (arena) */
    size_t head_len, tail_len;
    bool started, closed, ev_freed, malformed;
};

static bool g_prepared;

void dsr_init(bool prepared)
{
    g_prepared = prepared;
    dbp_register(&st_meta);
}

/* r's thread's copies (made by ds_family's thread hook). */
static struct dsr_cache *thread_cache(const struct req *r)
{
    return srv_thread_state(r->thr, &ds_family);
}

static void meta_done(struct req *r, PGresult *res);

/* Read the bookkeeping again (ds_table answers not found and forbidden), then build anew. */
static int read_meta(struct req *r)
{
    struct dsr_state *s = r->data;
    if (s->rounds++ == DSR_ROUNDS_MAX) {
        resp_error(r, ERR_UNAVAILABLE, NULL,
                   "the datastore table changed while it was read, try again");
        return REQ_DONE;
    }
    const char **params = arena_alloc(r->a, 2 * sizeof(char *));
    params[0] = s->q.rid;
    params[1] = s->q.viewer;
    return req_db(r, &st_meta, params, meta_done);
}

/* One row: the result. None: the caller may not read the resource, or the bookkeeping moved on
 * since the copy was made; reading it again tells which. */
static void statement_done(struct req *r, PGresult *res)
{
    struct dsr_state *s = r->data;
    if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
        (void)read_meta(r);
    } else if (!s->shape.rowwise) {
        req_reply_json_cell(r, res);
    } else {
        size_t len;
        char *text = dsj_result(res, &s->shape, &len);
        if (!text) {
            resp_error(r, ERR_INTERNAL, NULL, "the database gave no answer");
            return;
        }
        resp_ok_json(r, text, len);
        free(text);
    }
}

/* Keep the shape of the statement about to run with the request (its names in the arena: the
 * copy of the bookkeeping they came from may be replaced meanwhile). */
static void keep_shape(struct req *r, struct sqlb_shape *shape)
{
    struct dsr_state *s = r->data;
    s->shape = (struct sqlb_shape){.rowwise = shape->rowwise,
                                   .format = shape->format,
                                   .first = shape->first,
                                   .ncols = shape->ncols};
    s->shape.names = arena_alloc(r->a, sizeof(char *) * (size_t)(shape->ncols + 1));
    s->shape.kinds = arena_alloc(r->a, sizeof(enum sqlb_kind) * (size_t)(shape->ncols + 1));
    for (int i = 0; i < shape->ncols; i++) {
        s->shape.names[i] = arena_strdup(r->a, shape->names[i]);
        s->shape.kinds[i] = shape->kinds[i];
    }
    sqlb_shape_free(shape);
}

/* A statement error (not a lost connection or a timeout): most likely a copy gone stale in a
 * way the text shows (a column that no longer exists); read the bookkeeping again. */
static bool statement_failed(struct req *r, const struct db_error *err)
{
    struct dsr_state *s = r->data;
    if (err->kind != DBE_QUERY || s->rounds == DSR_ROUNDS_MAX)
        return false;
    log_info("datastore: the read of %s failed (%s: %s); reading its bookkeeping again", s->q.rid,
             err->sqlstate, err->message);
    (void)read_meta(r);
    return true;
}

/* Answer input the generator refused as the envelope answers an SQL function's refusal. */
static void refused(struct req *r, const struct sqlb_err *e)
{
    struct db_error err = {dberr_classify(e->state, false), e->state, e->message, e->param};
    req_db_fail(r, &err);
}

/* The statement of s's request from the copy t. */
static bool build(struct sqlb *b, const struct dsr_table *t, struct dsr_state *s,
                  struct sqlb_shape *shape, struct sqlb_err *err)
{
    *shape = (struct sqlb_shape){0};
    if (!s->near)
        return sqlb_datastore_read(b, &t->t, &s->q, shape, err);
    struct sqlb_near n = *s->near;
    n.generation = t->generation;
    return sqlb_nearest(b, &t->t, &n, err);
}

static void stream_free(struct dsr_state *s)
{
    if (!s->stream)
        return;
    dsj_free(&s->stream->w);
    free(s->stream->env);
    s->stream = NULL;
}

static void stream_send(struct req *r, struct dsr_stream *st)
{
    struct evbuffer *eb = evbuffer_new();
    evbuffer_add(eb, st->w.p, st->w.used);
    req_stream_chunk(r, eb, NULL, NULL);
    evbuffer_free(eb);
    st->w.used = 0;
}

/* The client went away: libevent frees the request after this call when it is still attached
 * to the connection. Only mark; the statement's end releases the request. */
static void stream_on_close(struct evhttp_connection *evcon, void *arg)
{
    struct req *r = arg;
    struct dsr_stream *st = ((struct dsr_state *)r->data)->stream;
    st->closed = true;
    st->ev_freed = evhttp_request_get_connection(r->ev) == evcon;
}

/* The heads go out (with the first row, or at the end of an empty page). */
static void stream_start(struct req *r, struct dsr_state *s, struct dsr_stream *st)
{
    dsj_init(&st->w, &s->shape); /* the stream's first allocations: none before */
    st->env = r->fam->env->ok_around(r, &st->env_head, &st->env_len);
    dsj_put(&st->w, st->env, st->env_head);
    dsj_put(&st->w, st->head, st->head_len);
    dsj_put(&st->w, "[", 1);
    req_on_close(r, stream_on_close, r);
    req_stream_start(r, 200, r->fam->env->json_type);
    st->started = true;
}

static void stream_line(struct req *r, const char *line, size_t len)
{
    struct dsr_state *s = r->data;
    struct dsr_stream *st = s->stream;
    if (st->closed || st->malformed)
        return;
    if (!st->started)
        stream_start(r, s, st);
    if (!dsj_copy_record(&st->w, line, len)) {
        st->malformed = true;
        return;
    }
    if (st->w.used >= DSR_CHUNK)
        stream_send(r, st);
}

static void stream_done(struct req *r, PGresult *res)
{
    (void)res; /* the COPY's end: its lines went to stream_line */
    struct dsr_state *s = r->data;
    struct dsr_stream *st = s->stream;
    if (st->malformed && !st->closed) { /* not the statement's lines: never sent whole */
        log_error("datastore: the rows of %s came in another shape; the reply is cut", s->q.rid);
        stream_free(s);
        req_stream_cut(r);
        return;
    }
    if (st->closed) {
        bool ev_freed = st->ev_freed;
        stream_free(s);
        req_stream_abort(r, ev_freed);
        return;
    }
    if (!st->started) /* an empty page */
        stream_start(r, s, st);
    dsj_put(&st->w, "]", 1);
    dsj_put(&st->w, st->tail, st->tail_len);
    dsj_put(&st->w, st->env + st->env_head, st->env_len - st->env_head);
    stream_send(r, st);
    stream_free(s);
    req_on_close(r, NULL, NULL);
    req_stream_end(r);
}

static bool statement_failed(struct req *r, const struct db_error *err);

/* The statement failed: before the first row as any read; after it the reply is cut. */
static bool stream_failed(struct req *r, const struct db_error *err)
{
    struct dsr_state *s = r->data;
    struct dsr_stream *st = s->stream;
    bool started = st->started, closed = st->closed, ev_freed = st->ev_freed;
    stream_free(s);
    if (!started)
        return statement_failed(r, err);
    log_warn("datastore: the read of %s failed mid-reply (%s: %s); the reply is cut", s->q.rid,
             err->sqlstate, err->message);
    if (closed)
        req_stream_abort(r, ev_freed);
    else
        req_stream_cut(r);
    return true;
}

/* Input the generator refused: from a copy read for this request it is answered; from an older
 * copy the bookkeeping is read again (the copy may not know a field the request names). */
static int build_refused(struct req *r, struct sqlb_err *err, bool fresh)
{
    if (fresh)
        refused(r, err);
    sqlb_err_clear(err);
    return fresh ? REQ_DONE : read_meta(r);
}

/* b's text and parameters into the request's arena. */
static struct dsr_sql sql_to_arena(struct req *r, const struct sqlb *b)
{
    struct dsr_sql q = {arena_strndup(r->a, b->sql, b->len), NULL, b->nparams};
    q.params = arena_alloc(r->a, sizeof(char *) * (size_t)(b->nparams + 1));
    for (int i = 0; i < b->nparams; i++)
        q.params[i] = b->params[i] ? arena_strdup(r->a, b->params[i]) : NULL;
    return q;
}

/* The head statement's answer: none, read the bookkeeping again (as statement_done); one row,
 * the rows' statement goes next. */
static void head_done(struct req *r, PGresult *res)
{
    struct dsr_state *s = r->data;
    struct dsr_stream *st = s->stream;
    if (PQntuples(res) != 1 || PQnfields(res) != 2 || PQgetisnull(res, 0, 0) ||
        PQgetisnull(res, 0, 1)) {
        stream_free(s);
        (void)read_meta(r);
        return;
    }
    st->head_len = (size_t)PQgetlength(res, 0, 0);
    st->head = arena_strndup(r->a, PQgetvalue(res, 0, 0), st->head_len);
    st->tail_len = (size_t)PQgetlength(res, 0, 1);
    st->tail = arena_strndup(r->a, PQgetvalue(res, 0, 1), st->tail_len);
    /* (a full queue answers 503 in there; the stream holds no memory of its own yet) */
    if (req_db_copy(r, st->rows.sql, stream_line, stream_done, stream_failed) == REQ_DONE)
        return;
}

/* Whether the page about to be read goes out as its rows arrive. */
static bool stream_wanted(struct req *r, const struct dsr_state *s)
{
    return !s->near && s->q.style == SQLB_CKAN &&
           (s->q.format == SQLB_OBJECTS || s->q.format == SQLB_LISTS) &&
           s->q.limit >= DSR_STREAM_ROWS && (r->method == M_GET || r->method == M_POST) &&
           resp_streamable(r);
}

/* run_statement for a page streamed: the head statement, then (head_done) the rows'. */
static int run_split(struct req *r, const struct dsr_table *t, bool fresh)
{
    struct dsr_state *s = r->data;
    struct sqlb head, rows;
    struct sqlb_err err = {0};
    struct sqlb_shape shape;
    sqlb_init(&head);
    sqlb_init(&rows);
    bool ok = sqlb_datastore_read_split(&head, &rows, &t->t, &s->q, &shape, &err);
    struct dsr_sql h = {0};
    if (ok) {
        h = sql_to_arena(r, &head);
        s->stream = arena_alloc(r->a, sizeof(*s->stream));
        *s->stream = (struct dsr_stream){.rows = sql_to_arena(r, &rows)};
    }
    sqlb_free(&head);
    sqlb_free(&rows);
    if (!ok)
        return build_refused(r, &err, fresh);
    keep_shape(r, &shape);
    return req_db_sql_then(r, g_prepared, h.sql, h.n, h.params, head_done, statement_failed);
}

/* Build the statement from the copy t and run it. A copy read before this request may not know
 * a field the request names: input refused is answered only from a copy read for it. */
static int run_statement(struct req *r, const struct dsr_table *t, bool fresh)
{
    struct dsr_state *s = r->data;
    if (!t->usable) {
        resp_error(r, ERR_INTERNAL, NULL, "the field list of resource %s does not parse", s->q.rid);
        return REQ_DONE;
    }
    s->q.generation = t->generation;
    stream_free(s); /* an earlier round's */
    if (stream_wanted(r, s))
        return run_split(r, t, fresh);
    struct sqlb b;
    struct sqlb_err err = {0};
    struct sqlb_shape shape;
    sqlb_init(&b);
    if (!build(&b, t, s, &shape, &err)) {
        sqlb_free(&b);
        return build_refused(r, &err, fresh);
    }
    struct dsr_sql q = sql_to_arena(r, &b);
    sqlb_free(&b);
    keep_shape(r, &shape);
    return req_db_sql_then(r, g_prepared, q.sql, q.n, q.params, statement_done, statement_failed);
}

static void meta_done(struct req *r, PGresult *res)
{
    struct dsr_state *s = r->data;
    struct dsr_table *t = dsr_table_from(s->q.rid, res);
    dsr_cache_put(thread_cache(r), t);
    (void)run_statement(r, t, true);
}

static int start(struct req *r, struct dsr_state *s)
{
    r->data = s;
    const struct dsr_table *t = dsr_cache_get(thread_cache(r), s->q.rid);
    return t ? run_statement(r, t, false) : read_meta(r);
}

int dsr_read(struct req *r, const struct sqlb_read *q)
{
    struct dsr_state *s = arena_alloc(r->a, sizeof(*s));
    *s = (struct dsr_state){.q = *q};
    return start(r, s);
}

int dsr_nearest(struct req *r, const struct sqlb_near *q)
{
    struct dsr_state *s = arena_alloc(r->a, sizeof(*s));
    *s = (struct dsr_state){.q = {.rid = q->rid, .viewer = q->viewer}, .near = q};
    return start(r, s);
}
