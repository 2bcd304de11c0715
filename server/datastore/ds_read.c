/* ds_read — datastore reads: a copy of the bookkeeping, the generated statement. */
#include "ds_read.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db_err.h"
#include "db_pool.h"
#include "ds_cache.h"
#include "ds_family.h"
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

static struct db_stmt st_meta = {"ds_read_meta", DSR_TABLE_SQL, 2, 0};

/* What a request needs across its statements: a read, or a nearest search (near set). */
struct dsr_state {
    struct sqlb_read q; /* q.rid and q.viewer name the resource and caller of both */
    const struct sqlb_near *near;
    int rounds; /* bookkeeping reads so far */
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
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        req_reply_json_cell(r, res);
    else
        (void)read_meta(r);
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
                  struct sqlb_err *err)
{
    if (!s->near)
        return sqlb_datastore_read(b, &t->t, &s->q, err);
    struct sqlb_near n = *s->near;
    n.generation = t->generation;
    return sqlb_nearest(b, &t->t, &n, err);
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
    struct sqlb b;
    struct sqlb_err err = {0};
    sqlb_init(&b);
    if (!build(&b, t, s, &err)) {
        sqlb_free(&b);
        if (!fresh) {
            sqlb_err_clear(&err);
            return read_meta(r);
        }
        refused(r, &err);
        sqlb_err_clear(&err);
        return REQ_DONE;
    }
    const char *sql = arena_strndup(r->a, b.sql, b.len);
    const char **params = arena_alloc(r->a, sizeof(char *) * (size_t)b.nparams);
    for (int i = 0; i < b.nparams; i++)
        params[i] = b.params[i] ? arena_strdup(r->a, b.params[i]) : NULL;
    int n = b.nparams;
    sqlb_free(&b);
    return req_db_sql_then(r, g_prepared, sql, n, params, statement_done, statement_failed);
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
