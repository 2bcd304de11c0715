/* load_index — the indexes made after the swap: the trigram index for `q`, a btree per column
 * for `filters`, the spatial GiST index for datastore_nearest. The data is queryable before
 * them; each failure is only a warning (the reads work without them, more slowly).
 *
 * They are built with plain CREATE INDEX on two connections at once. Readers never wait for a
 * plain build (it takes a share lock, which reads do not conflict with); writers of the
 * just-loaded table wait until the indexes are done. CREATE INDEX CONCURRENTLY would let those
 * writers through, but two of them on one table run one after the other, and each reads the
 * table twice: a million-row table took 100 s instead of about 40. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "load_int.h"

#define FILTER_INDEX_MAX_COLUMNS 32
/* The trigram and spatial builds, the long ones, side by side; btrees go to whichever
 * connection is free. */
#define INDEX_CONNS 2

struct index_job {
    char *sql;
    char *fail; /* the warning's words when the build fails */
    int64_t t0; /* when it was sent */
};

struct index_jobs {
    struct index_job *v;
    int n, cap;
};

static void job_add(struct index_jobs *J, char *sql, char *fail)
{
    if (J->n == J->cap) {
        J->cap = J->cap ? 2 * J->cap : 16;
        J->v = xrealloc(J->v, sizeof(*J->v) * (size_t)J->cap);
    }
    J->v[J->n++] = (struct index_job){sql, fail, 0};
}

static void search_job(struct loader *L, struct index_jobs *J)
{
    char *expr = load_db_search_expr(L);
    if (!expr)
        return;
    char *name = xasprintf("%s_search", L->table), *q = load_sql_quote(L, name);
    job_add(J,
            xasprintf("CREATE INDEX IF NOT EXISTS %s ON %s USING gin ((%s) gin_trgm_ops)", q,
                      L->qtable, expr),
            xstrdup("the search index was not built (q works, more slowly)"));
    free(q);
    free(name);
    free(expr);
}

/* The statement of sql/functions/24b_geo.sql when the fields name a latitude and a longitude
 * (without it datastore_nearest refuses the resource rather than scanning every row). */
static void geo_job(struct loader *L, struct index_jobs *J)
{
    if (L->compat)
        return; /* a database not yet upgraded has no ds_geo_index_sql */
    const char *p[1] = {L->o->resource_id};
    char *err = NULL;
    PGresult *res = load_sql_exec(L, "SELECT ds_geo_index_sql($1)", 1, p, PGRES_TUPLES_OK, &err);
    if (res && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        job_add(J, xstrdup(PQgetvalue(res, 0, 0)),
                xstrdup("the spatial index was not built (datastore_nearest refuses the resource "
                        "until it is)"));
    if (err) {
        load_log(L, LOAD_WARN, "the spatial index was not built: %s", err);
        free(err);
    }
    PQclear(res);
}

/* Btree indexes that serve `filters` with the default _id order (sql/functions/06: it compares
 * text columns as they are and numbers and booleans as text); date/timestamp text forms depend
 * on DateStyle and cannot be indexed. */
static void filter_jobs(struct loader *L, struct index_jobs *J)
{
    for (size_t i = 0; i < L->width && i < FILTER_INDEX_MAX_COLUMNS; i++) {
        enum infer_type t = L->type[i];
        if (t == INFER_DATE || t == INFER_TIMESTAMP)
            continue;
        char *col = load_sql_quote(L, L->src->cols.v[i].name);
        char *name = xasprintf("%s_f%zu", L->table, i + 1), *qname = load_sql_quote(L, name);
        job_add(J,
                xasprintf("CREATE INDEX IF NOT EXISTS %s ON %s ((%s%s), \"_id\")", qname, L->qtable,
                          col, t == INFER_TEXT ? "" : "::text"),
                xasprintf("the filter index on %s was not built (filters work, more slowly)", col));
        free(qname);
        free(name);
        free(col);
    }
}

/* --- running them ---------------------------------------------------------------------------- */

struct index_conn {
    PGconn *pg;
    bool own;
    int job; /* running, or -1 */
    char *err;
};

static void job_done(struct loader *L, struct index_jobs *J, struct index_conn *c)
{
    const struct index_job *j = &J->v[c->job];
    if (c->err) {
        load_log(L, LOAD_WARN, "%s: %s", j->fail, c->err);
        free(c->err);
        c->err = NULL;
    } else {
        load_log(L, LOAD_DEBUG, "built in %.2f s: %.*s", (double)(util_now_us() - j->t0) / 1e6,
                 (int)strcspn(j->sql, "("), j->sql);
    }
    c->job = -1;
    L->index_step++;
    load_phase(L, "indexing", L->index_step, L->index_steps, 0, 0, L->index_step == L->index_steps);
}

/* One result of c's statement: its first error is kept. */
static void conn_take(struct index_conn *c, PGresult *res)
{
    if (PQresultStatus(res) != PGRES_COMMAND_OK && !c->err)
        c->err = load_sql_error(c->pg, res);
    PQclear(res);
}

/* Read what c's server sent; true when its statement is over (c->err set on failure). */
static bool conn_read(struct index_conn *c)
{
    if (!PQconsumeInput(c->pg)) {
        c->err = load_sql_error(c->pg, NULL);
        return true;
    }
    while (!PQisBusy(c->pg)) {
        PGresult *res = PQgetResult(c->pg);
        if (!res)
            return true;
        conn_take(c, res);
    }
    return false;
}

/* Wait for c's statement to end (c->err set on failure); true. */
static bool conn_wait(struct index_conn *c)
{
    PGresult *res;
    while ((res = PQgetResult(c->pg)))
        conn_take(c, res);
    return true;
}

static bool conn_start(struct index_conn *c, struct index_jobs *J, int job)
{
    c->job = job;
    J->v[job].t0 = util_now_us();
    if (PQsendQuery(c->pg, J->v[job].sql))
        return true;
    c->err = load_sql_error(c->pg, NULL);
    return false;
}

/* Run the jobs in order, each on the first free connection; a connection that breaks takes
 * no more. */
static void run_jobs(struct loader *L, struct index_jobs *J, struct index_conn *c, int nc)
{
    int next = 0, running = 0;
    for (;;) {
        for (int i = 0; i < nc && next < J->n; i++) {
            if (c[i].pg && c[i].job < 0) {
                if (conn_start(&c[i], J, next++))
                    running++;
                else
                    job_done(L, J, &c[i]);
            }
        }
        if (!running)
            return;
        struct pollfd fds[INDEX_CONNS];
        for (int i = 0; i < nc; i++)
            fds[i] =
                (struct pollfd){.fd = c[i].job >= 0 ? PQsocket(c[i].pg) : -1, .events = POLLIN};
        /* a poll that fails other than by a signal (out of memory): wait for each in turn */
        bool blocking = poll(fds, (nfds_t)nc, -1) < 0 && errno != EINTR;
        for (int i = 0; i < nc; i++) {
            if (c[i].job >= 0 &&
                (blocking ? conn_wait(&c[i]) : fds[i].revents && conn_read(&c[i]))) {
                bool broken = PQstatus(c[i].pg) != CONNECTION_OK;
                job_done(L, J, &c[i]);
                running--;
                if (broken && c[i].own) {
                    PQfinish(c[i].pg);
                    c[i].pg = NULL;
                }
            }
        }
    }
}

void load_index_build(struct loader *L)
{
    struct index_jobs J = {0};
    if (L->o->search_index)
        search_job(L, &J);
    geo_job(L, &J);
    if (L->o->search_index)
        filter_jobs(L, &J);
    L->index_steps = J.n;
    L->index_step = 0;
    load_phase(L, "indexing", 0, J.n, 0, 0, J.n == 0);
    struct index_conn c[INDEX_CONNS] = {{.pg = L->pg, .job = -1}};
    int nc = 1;
    if (J.n > 1) {
        char *err = NULL;
        c[1] = (struct index_conn){.pg = load_sql_connect_more(L, &err), .own = true, .job = -1};
        if (c[1].pg)
            nc = 2;
        else
            load_log(L, LOAD_INFO, "the indexes are built one after the other: %s", err);
        free(err);
    }
    run_jobs(L, &J, c, nc);
    for (int i = 0; i < nc; i++)
        if (c[i].own && c[i].pg)
            PQfinish(c[i].pg);
    for (int i = 0; i < J.n; i++) {
        free(J.v[i].sql);
        free(J.v[i].fail);
    }
    free(J.v);
}
