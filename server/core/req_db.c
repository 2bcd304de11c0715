/* req_db — a request's database calls: the pool it reads from (a replica or the primary),
 * statements sent and their answers, a replica's failure retried on the primary, and the
 * errors answered in the family's envelope. */
#include <stdlib.h>
#include <string.h>

#include "db_pool.h"
#include "family.h"
#include "log.h"
#include "replica.h"
#include "req.h"
#include "resp.h"
#include "srv_thread.h"

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
