/* ds_read — datastore reads by prepared statements, the SQL functions behind them. */
#include "ds_read.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db_pool.h"
#include "ds_cache.h"
#include "ds_family.h"
#include "log.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "sqlbuild.h"
#include "util.h"

/* A table's bookkeeping at one generation, with each field's entry in the APIs' field lists
 * as PostgreSQL renders it (the same expressions as tw_datastore and ckan_ds_fields). One row
 * per field in table order; one row with n NULL when the table has none. */
static struct db_stmt st_meta = {"ds_read_meta",
    "SELECT d.generation, d.table_name, d.search_expr, d.row_count, d.max_id, e.n, "
    "f->>'id', f->>'type', json_build_object('type', f->>'type', 'id', f->>'id')::text, "
    "(jsonb_build_object('id', f->>'id', 'type', f->>'type') || CASE WHEN f ? 'info' "
    "THEN jsonb_build_object('info', f->'info') ELSE '{}' END)::text "
    "FROM datastore_table d "
    "LEFT JOIN LATERAL jsonb_array_elements(d.fields) WITH ORDINALITY e(f, n) ON true "
    "WHERE d.resource_id = $1 ORDER BY e.n", 1, 0};

enum { M_GEN, M_TABLE, M_SEARCH, M_ROWS, M_MAXID, M_N, M_ID, M_TYPE, M_TW, M_CKAN };

/* What a request needs across its statements. */
struct dsr_state {
    struct sqlb_read q;
    const struct db_stmt *fallback;
    const char *const *fallback_params;
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

static char *value_dup(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : xstrdup(PQgetvalue(res, row, col));
}

/* The copy of the bookkeeping in res (st_meta's rows). */
static struct dsr_table *table_from(const char *rid, const PGresult *res)
{
    struct dsr_table *t = xcalloc(1, sizeof(*t));
    int n = PQgetisnull(res, 0, M_N) ? 0 : PQntuples(res);
    t->rid = xstrdup(rid);
    t->generation = strtoll(PQgetvalue(res, 0, M_GEN), NULL, 10);
    t->t.table = xstrdup(PQgetvalue(res, 0, M_TABLE));
    t->t.search_expr = value_dup(res, 0, M_SEARCH);
    t->t.row_count = strtoll(PQgetvalue(res, 0, M_ROWS), NULL, 10);
    t->t.max_id = strtoll(PQgetvalue(res, 0, M_MAXID), NULL, 10);
    t->fields = xcalloc((size_t)n + 1, sizeof(*t->fields));
    t->t.fields = t->fields;
    t->t.nfields = n;
    t->usable = true;
    for (int i = 0; i < n; i++) {
        struct sqlb_field *f = &t->fields[i];
        f->id = value_dup(res, i, M_ID);
        f->type = value_dup(res, i, M_TYPE);
        f->tw_json = value_dup(res, i, M_TW);
        f->ckan_json = value_dup(res, i, M_CKAN);
        t->usable = t->usable && f->id && f->type && f->tw_json && f->ckan_json;
        for (int j = 0; j < i && t->usable; j++)
            t->usable = strcmp(t->fields[j].id, f->id) != 0;
    }
    return t;
}

/* ---- running a read -------------------------------------------------------------------------- */

/* The SQL function answered what the prepared statement did not: the copy is stale. */
static void fallback_after_prepared(struct req *r, PGresult *res)
{
    struct dsr_state *s = r->data;
    dsr_cache_drop(thread_cache(r), s->q.rid);
    req_reply_json_cell(r, res);
}

static int run_fallback(struct req *r, bool after_prepared)
{
    struct dsr_state *s = r->data;
    return req_db(r, s->fallback, s->fallback_params,
                  after_prepared ? fallback_after_prepared : req_reply_json_cell);
}

/* One row: the result. None: the caller may not read the resource, or the bookkeeping moved on
 * since the copy was made; the SQL function tells which. */
static void prepared_done(struct req *r, PGresult *res)
{
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        req_reply_json_cell(r, res);
    else
        (void)run_fallback(r, true);
}

/* A statement error (not a lost connection or a timeout): most likely a copy gone stale in a
 * way the text shows (a column that no longer exists); the SQL function answers. */
static bool prepared_failed(struct req *r, const struct db_error *err)
{
    struct dsr_state *s = r->data;
    if (err->kind != DBE_QUERY)
        return false;
    log_info("datastore: the prepared read of %s failed (%s: %s); the SQL function answers",
             s->q.rid, err->sqlstate, err->message);
    dsr_cache_drop(thread_cache(r), s->q.rid);
    (void)run_fallback(r, false);
    return true;
}

/* Build the statement from the copy t and run it; the SQL function takes what it cannot. */
static int run_prepared(struct req *r, const struct dsr_table *t)
{
    struct dsr_state *s = r->data;
    if (!t->usable)
        return run_fallback(r, false);
    s->q.generation = t->generation;
    struct sqlb b;
    sqlb_init(&b);
    if (!sqlb_datastore_read(&b, &t->t, &s->q)) {
        sqlb_free(&b);
        return run_fallback(r, false);
    }
    const char *sql = arena_strndup(r->a, b.sql, b.len);
    const char **params = arena_alloc(r->a, sizeof(char *) * (size_t)b.nparams);
    for (int i = 0; i < b.nparams; i++)
        params[i] = b.params[i] ? arena_strdup(r->a, b.params[i]) : NULL;
    int n = b.nparams;
    sqlb_free(&b);
    return req_db_cached(r, sql, n, params, prepared_done, prepared_failed);
}

static void meta_done(struct req *r, PGresult *res)
{
    struct dsr_state *s = r->data;
    if (PQntuples(res) == 0) { /* no data: the SQL function gives the error */
        (void)run_fallback(r, false);
        return;
    }
    struct dsr_table *t = table_from(s->q.rid, res);
    dsr_cache_put(thread_cache(r), t);
    (void)run_prepared(r, t);
}

int dsr_read(struct req *r, const struct sqlb_read *q, const struct db_stmt *fallback,
             const char *const *fallback_params)
{
    struct dsr_state *s = arena_alloc(r->a, sizeof(*s));
    s->q = *q;
    s->fallback = fallback;
    s->fallback_params = fallback_params;
    r->data = s;
    if (!g_prepared)
        return run_fallback(r, false);
    const struct dsr_table *t = dsr_cache_get(thread_cache(r), q->rid);
    if (t)
        return run_prepared(r, t);
    const char **params = arena_alloc(r->a, sizeof(char *));
    params[0] = q->rid;
    return req_db(r, &st_meta, params, meta_done);
}
