/* db_pool — non-blocking libpq connections on a libevent loop (one pool per server thread). */
#include "db_pool.h"

#include <event2/event.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "db_policy.h"
#include "log.h"
#include "pgconn.h"
#include "util.h"

#define DB_MAX_STMTS 128
/* libpq keeps a connection's input buffer as large as the largest message it received (for a
 * one-value result: the whole result), for the connection's life. A connection that received
 * a row of more than this is closed and replaced, so big datastore pages do not pin memory. */
#define DB_RECYCLE_BYTES (2 * 1024 * 1024)
/* A result of many rows lives in libpq's small blocks, which stay in the heap once freed: past
 * this many bytes they are handed back to the system (malloc_trim) once it is cleared. */
#define DB_TRIM_BYTES (1024 * 1024)
#define DB_IDLE_CLOSE_US (30 * 1000000LL)
#define DB_UPKEEP_MS 1000

static struct db_stmt *registry[DB_MAX_STMTS];
static int registry_len;

enum conn_state { C_CONNECTING, C_IDLE, C_BUSY };
enum job_step { STEP_PREPARE, STEP_EXEC, STEP_DEALLOCATE };

struct dbp_job {
    TAILQ_ENTRY(dbp_job) link;
    struct dbp *pool;
    struct dbconn *conn;      /* set while running */
    const struct db_stmt *st; /* NULL for SQL text (dbp_exec_sql) */
    const char *sql;
    bool prepare; /* keep sql prepared on the connection (dbp_exec_sql_prepared) */
    bool quiet;   /* a statement error is expected: not logged (dbp_job_quiet) */
    int nparams;
    const char *const *params;
    dbp_done_fn done;
    dbp_line_fn line; /* COPY's lines one by one as they arrive (dbp_exec_copy) */
    void *arg;
    bool cancelled;
};
TAILQ_HEAD(job_list, dbp_job);

struct dbconn {
    struct dbp *pool;
    PGconn *pg;
    struct event *ev_read, *ev_write, *ev_timeout;
    enum conn_state state;
    enum job_step step;
    struct dbp_job *job;
    PGresult *result;
    int64_t idle_since;
    int64_t busy_since;
    bool prepared[DB_MAX_STMTS];
    struct dbpol_dyn dyn; /* SQL texts kept prepared (dbp_exec_sql_prepared) */
    int dyn_cur;          /* the slot the running step works on */
    bool copying;         /* in COPY OUT: lines come before the result */
};

struct dbp {
    struct event_base *base;
    char *conninfo;
    struct dbp_options opt;
    struct dbconn **conns; /* pool_max slots, NULL = free */
    struct job_list waiting;
    int nwaiting;
    int failures;          /* consecutive failed connection attempts */
    int64_t next_retry_us; /* no background reconnect before this */
    struct event *ev_upkeep;
    struct event *ev_kick; /* runs pool_kick on the next loop pass */
    struct event *ev_slow; /* re-checks for slow queries while requests wait */
};

static void conn_on_io(evutil_socket_t fd, short what, void *arg);
static void conn_close(struct dbconn *c);
static void pool_dispatch(struct dbp *p);

void dbp_register(struct db_stmt *st)
{
    if (registry_len >= DB_MAX_STMTS) {
        log_error("too many prepared statements (max %d)", DB_MAX_STMTS);
        abort();
    }
    st->slot = registry_len;
    registry[registry_len++] = st;
}

/* ---- jobs ---------------------------------------------------------------------------------- */

static void job_finish(struct dbp_job *job, PGresult *res, const struct db_error *err)
{
    if (!job->cancelled)
        job->done(job->arg, res, err);
    free(job);
}

static void job_fail(struct dbp_job *job, enum db_error_kind kind, const char *sqlstate,
                     const char *message, const char *detail)
{
    struct db_error err = {kind, sqlstate ? sqlstate : "", message ? message : "",
                           detail ? detail : ""};
    job_finish(job, NULL, &err);
}

/* Fail every waiting job: used when no connection can be had, so nobody waits forever. */
static void pool_fail_waiting(struct dbp *p, const char *why)
{
    while (!TAILQ_EMPTY(&p->waiting)) {
        struct dbp_job *job = TAILQ_FIRST(&p->waiting);
        TAILQ_REMOVE(&p->waiting, job, link);
        p->nwaiting--;
        job_fail(job, DBE_UNAVAILABLE, "08006", why, NULL);
    }
}

/* ---- connection set-up ---------------------------------------------------------------------- */

static void conn_watch(struct dbconn *c, short what)
{
    event_del(c->ev_read);
    event_del(c->ev_write);
    if (what & EV_READ)
        event_add(c->ev_read, NULL);
    if (what & EV_WRITE)
        event_add(c->ev_write, NULL);
}

static bool conn_make_events(struct dbconn *c)
{
    evutil_socket_t fd = PQsocket(c->pg);
    if (fd < 0)
        return false;
    if (c->ev_read && event_get_fd(c->ev_read) == fd)
        return true;
    if (c->ev_read)
        event_free(c->ev_read), event_free(c->ev_write);
    c->ev_read = event_new(c->pool->base, fd, EV_READ | EV_PERSIST, conn_on_io, c);
    c->ev_write = event_new(c->pool->base, fd, EV_WRITE | EV_PERSIST, conn_on_io, c);
    return true;
}

static void conn_connect_failed(struct dbconn *c)
{
    struct dbp *p = c->pool;
    const char *msg = PQerrorMessage(c->pg);
    if (p->failures == 0)
        log_warn("database connection failed: %.*s", (int)strcspn(msg, "\n"), msg);
    p->failures++;
    p->next_retry_us = util_now_us() + dbpol_backoff_ms(p->failures) * 1000LL;
    conn_close(c);
    event_active(p->ev_kick, 0, 0);
}

static void conn_connected(struct dbconn *c)
{
    struct dbp *p = c->pool;
    if (p->failures)
        log_info("database connection re-established");
    p->failures = 0;
    PQsetnonblocking(c->pg, 1);
    event_del(c->ev_timeout);
    c->state = C_IDLE;
    c->idle_since = util_now_us();
    conn_watch(c, EV_READ);
    pool_dispatch(p);
}

static void conn_poll_connect(struct dbconn *c)
{
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        if (conn_make_events(c))
            conn_watch(c, EV_READ);
        else
            conn_connect_failed(c);
        return;
    case PGRES_POLLING_WRITING:
        if (conn_make_events(c))
            conn_watch(c, EV_WRITE);
        else
            conn_connect_failed(c);
        return;
    case PGRES_POLLING_OK:
        conn_make_events(c);
        conn_connected(c);
        return;
    default: conn_connect_failed(c); return;
    }
}

static void conn_on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct dbconn *c = arg;
    log_warn("database connection attempt timed out");
    conn_connect_failed(c);
}

/* Session settings go in the `options` keyword; the user's conninfo may still override them. */
static PGconn *conn_start(const struct dbp *p)
{
    char *options = xasprintf("-c statement_timeout=%d -c jit=off -c TimeZone=UTC",
                              p->opt.statement_timeout_ms);
    /* (a NULL value is skipped: behind a pooler no options are sent) */
    const char *keys[] = {"options", "application_name", "dbname", NULL};
    const char *vals[] = {p->opt.pooled ? NULL : options, "opendatad", p->conninfo, NULL};
    PGconn *pg = PQconnectStartParams(keys, vals, 1);
    pgconn_log_notices(pg);
    free(options);
    return pg;
}

/* Open one more connection in a free slot; false when the pool is full. */
static bool pool_open_conn(struct dbp *p)
{
    int slot = -1;
    for (int i = 0; i < p->opt.pool_max && slot < 0; i++)
        if (!p->conns[i])
            slot = i;
    if (slot < 0)
        return false;
    struct dbconn *c = xcalloc(1, sizeof(*c));
    c->pool = p;
    c->state = C_CONNECTING;
    c->pg = conn_start(p);
    c->ev_timeout = evtimer_new(p->base, conn_on_timeout, c);
    p->conns[slot] = c;
    if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
        conn_connect_failed(c);
        return true;
    }
    struct timeval tv = {p->opt.connect_timeout_s, 0};
    evtimer_add(c->ev_timeout, &tv);
    conn_poll_connect(c);
    return true;
}

static void conn_close(struct dbconn *c)
{
    struct dbp *p = c->pool;
    for (int i = 0; i < p->opt.pool_max; i++)
        if (p->conns[i] == c)
            p->conns[i] = NULL;
    if (c->ev_read)
        event_free(c->ev_read), event_free(c->ev_write);
    event_free(c->ev_timeout);
    if (c->result)
        PQclear(c->result);
    dbpol_dyn_clear(&c->dyn);
    PQfinish(c->pg);
    free(c);
}

/* ---- running statements --------------------------------------------------------------------- */

/* The next step of a dbp_exec_sql_prepared job: run its statement if the connection has it,
 * else free the least recently used slot (DEALLOCATE) and prepare it there. */
static int conn_send_dyn(struct dbconn *c)
{
    struct dbp_job *job = c->job;
    uint64_t h = dbpol_sql_hash(job->sql);
    bool hit;
    int i = dbpol_dyn_find(&c->dyn, job->sql, h, &hit);
    struct dbpol_dyn_slot *d = &c->dyn.slot[i];
    if (hit) {
        c->step = STEP_EXEC;
        return PQsendQueryPrepared(c->pg, d->name, job->nparams, job->params, NULL, NULL, 0);
    }
    c->dyn_cur = i;
    if (d->sql) {
        char sql[40];
        snprintf(sql, sizeof(sql), "DEALLOCATE %s", d->name);
        c->step = STEP_DEALLOCATE;
        return PQsendQuery(c->pg, sql);
    }
    dbpol_dyn_name(&c->dyn, i, h);
    c->step = STEP_PREPARE;
    return PQsendPrepare(c->pg, d->name, job->sql, job->nparams, NULL);
}

static bool conn_send(struct dbconn *c)
{
    const struct db_stmt *st = c->job->st;
    int ok;
    if (!st && c->job->prepare && !c->pool->opt.pooled_transaction) {
        ok = conn_send_dyn(c);
    } else if (!st || c->pool->opt.pooled_transaction) {
        c->step = STEP_EXEC;
        ok =
            PQsendQueryParams(c->pg, st ? st->sql : c->job->sql, st ? st->nparams : c->job->nparams,
                              NULL, c->job->params, NULL, NULL, 0);
    } else if (!c->prepared[st->slot]) {
        c->step = STEP_PREPARE;
        ok = PQsendPrepare(c->pg, st->name, st->sql, st->nparams, NULL);
    } else {
        c->step = STEP_EXEC;
        ok = PQsendQueryPrepared(c->pg, st->name, st->nparams, c->job->params, NULL, NULL, 0);
    }
    if (!ok)
        return false;
    int f = PQflush(c->pg);
    if (f < 0)
        return false;
    /* The read event stays armed while connected; write only while output is pending. */
    if (f && !event_pending(c->ev_write, EV_WRITE, NULL))
        event_add(c->ev_write, NULL);
    return true;
}

/* The connection broke: fail its job, drop it, and let waiters try elsewhere. */
static void conn_broken(struct dbconn *c)
{
    struct dbp *p = c->pool;
    struct dbp_job *job = c->job;
    const char *msg = PQerrorMessage(c->pg);
    log_warn("database connection lost: %.*s", (int)strcspn(msg, "\n"), msg);
    c->job = NULL;
    conn_close(c);
    if (job)
        job_fail(job, DBE_UNAVAILABLE, "08006", "the database connection was lost", NULL);
    p->next_retry_us = 0;
    pool_dispatch(p);
}

/* The bytes of a result's values (about what its messages carried): in all, counted up to just
 * past DB_TRIM_BYTES, and in its largest row (*row_max: the largest message) among those. */
static size_t result_bytes(const PGresult *res, size_t *row_max)
{
    size_t n = 0;
    *row_max = 0;
    int rows = PQntuples(res), cols = PQnfields(res);
    for (int i = 0; i < rows && n <= DB_TRIM_BYTES; i++) {
        size_t row = 0;
        for (int j = 0; j < cols; j++)
            row += (size_t)PQgetlength(res, i, j);
        n += row;
        if (row > *row_max)
            *row_max = row;
    }
    return n;
}

static void conn_step_done(struct dbconn *c)
{
    PGresult *res = c->result;
    c->result = NULL;
    struct dbp_job *job = c->job;
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (c->step == STEP_DEALLOCATE)
        dbpol_dyn_forget(&c->dyn, c->dyn_cur);
    if (ok && c->step != STEP_EXEC) {
        if (c->step == STEP_PREPARE && job->st) {
            c->prepared[job->st->slot] = true;
        } else if (c->step == STEP_PREPARE) {
            dbpol_dyn_keep(&c->dyn, c->dyn_cur, job->sql);
        }
        PQclear(res);
        if (!conn_send(c))
            conn_broken(c);
        return;
    }
    c->job = NULL;
    c->state = C_IDLE;
    c->idle_since = util_now_us();
    size_t row_max = 0;
    bool many = ok && result_bytes(res, &row_max) > DB_TRIM_BYTES;
    bool big = row_max > DB_RECYCLE_BYTES;
    if (ok) {
        job_finish(job, res, NULL);
    } else {
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        if (!msg)
            msg = res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg);
        enum db_error_kind kind = dberr_classify(state, PQstatus(c->pg) == CONNECTION_BAD);
        if (kind == DBE_QUERY && !job->quiet)
            log_error("query %s failed: %.*s", job->st ? job->st->name : "(sql)",
                      (int)strcspn(msg, "\n"), msg);
        job_fail(job, kind, state, msg,
                 res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL);
    }
    if (res)
        PQclear(res);
    if (many && !big)
        malloc_trim(0);
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        conn_broken(c);
    } else if (big) {
        struct dbp *p = c->pool;
        conn_close(c);
        pool_open_conn(p);
        pool_dispatch(p);
    } else {
        pool_dispatch(c->pool);
    }
}

/* Hand the COPY lines received so far to the job; false while more are to come. */
static bool conn_copy_lines(struct dbconn *c)
{
    for (;;) {
        char *line;
        int n = PQgetCopyData(c->pg, &line, 1);
        if (n == 0)
            return false;
        if (n < 0) { /* the end (-1) or an error (-2): the result says which */
            c->copying = false;
            return true;
        }
        if (!c->job->cancelled && c->job->line)
            c->job->line(c->job->arg, line, (size_t)n);
        PQfreemem(line);
    }
}

/* Read whatever results are complete; keep the first, then finish at the NULL result. A COPY
 * OUT's lines go to the job as they come. */
static void conn_read_results(struct dbconn *c)
{
    if (!PQconsumeInput(c->pg)) {
        conn_broken(c);
        return;
    }
    if (c->copying && !conn_copy_lines(c))
        return;
    while (c->state == C_BUSY && !PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
            conn_step_done(c);
            return;
        }
        if (PQresultStatus(r) == PGRES_COPY_OUT) {
            PQclear(r);
            c->copying = true;
            if (!conn_copy_lines(c))
                return;
        } else if (!c->result)
            c->result = r;
        else
            PQclear(r);
    }
}

static void conn_on_io(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    struct dbconn *c = arg;
    if (c->state == C_CONNECTING) {
        conn_poll_connect(c);
        return;
    }
    if (what & EV_WRITE) {
        int f = PQflush(c->pg);
        if (f < 0) {
            conn_broken(c);
            return;
        }
        if (f == 0)
            event_del(c->ev_write);
    }
    if (!(what & EV_READ))
        return;
    if (c->state == C_IDLE) {
        /* Input on an idle connection: a notice, or the server closing it. */
        if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD)
            conn_broken(c);
        return;
    }
    conn_read_results(c);
}

/* ---- the pool ------------------------------------------------------------------------------- */

/* Run job on idle connection c. If the connection turns out broken, the job goes back to the
 * head of the queue (it is never failed from here, so callers never see a callback run inside
 * their own call) and the pool is kicked to find another connection. */
static void pool_start_job(struct dbconn *c, struct dbp_job *job)
{
    struct dbp *p = c->pool;
    c->state = C_BUSY;
    c->busy_since = util_now_us();
    c->job = job;
    job->conn = c;
    if (conn_send(c))
        return;
    const char *msg = PQerrorMessage(c->pg);
    log_warn("database connection lost: %.*s", (int)strcspn(msg, "\n"), msg);
    job->conn = NULL;
    c->job = NULL;
    conn_close(c);
    TAILQ_INSERT_HEAD(&p->waiting, job, link);
    p->nwaiting++;
    p->next_retry_us = 0;
    event_active(p->ev_kick, 0, 0);
}

/* Should waiting jobs get another connection? Yes when none is open or opening, or when every
 * open one is held by a slow query; otherwise re-check once the busy ones would count as slow. */
static bool pool_should_grow(struct dbp *p, int connecting)
{
    if (TAILQ_EMPTY(&p->waiting))
        return false;
    int64_t now = util_now_us(), youngest = -1;
    for (int i = 0; i < p->opt.pool_max; i++) {
        struct dbconn *c = p->conns[i];
        if (c && c->state == C_BUSY && (youngest < 0 || now - c->busy_since < youngest))
            youngest = now - c->busy_since;
    }
    struct dbpol_pool v = {p->nwaiting, connecting, p->failures, p->next_retry_us, youngest};
    int64_t recheck_us;
    if (dbpol_should_grow(&v, now, &recheck_us))
        return true;
    if (recheck_us > 0 && !evtimer_pending(p->ev_slow, NULL)) {
        struct timeval tv = {0, (suseconds_t)recheck_us};
        evtimer_add(p->ev_slow, &tv);
    }
    return false;
}

/* Hand waiting jobs to idle connections; open another one when they are all held up. */
static void pool_dispatch(struct dbp *p)
{
    int connecting = 0;
    for (int i = 0; i < p->opt.pool_max && !TAILQ_EMPTY(&p->waiting); i++) {
        struct dbconn *c = p->conns[i];
        if (c && c->state == C_CONNECTING)
            connecting++;
        if (!c || c->state != C_IDLE)
            continue;
        struct dbp_job *job = TAILQ_FIRST(&p->waiting);
        TAILQ_REMOVE(&p->waiting, job, link);
        p->nwaiting--;
        pool_start_job(c, job);
    }
    if (pool_should_grow(p, connecting))
        pool_open_conn(p);
}

/* An idle connection, or NULL. */
static struct dbconn *pool_idle_conn(struct dbp *p)
{
    for (int i = 0; i < p->opt.pool_max; i++)
        if (p->conns[i] && p->conns[i]->state == C_IDLE)
            return p->conns[i];
    return NULL;
}

struct dbp_job *dbp_exec(struct dbp *p, const struct db_stmt *st, const char *const *params,
                         dbp_done_fn done, void *arg)
{
    if (p->nwaiting >= p->opt.queue_max)
        return NULL;
    struct dbp_job *job = xcalloc(1, sizeof(*job));
    job->pool = p;
    job->st = st;
    job->params = params;
    job->done = done;
    job->arg = arg;
    struct dbconn *c = TAILQ_EMPTY(&p->waiting) ? pool_idle_conn(p) : NULL;
    if (c) {
        pool_start_job(c, job); /* the common case: no extra loop pass */
        return job;
    }
    TAILQ_INSERT_TAIL(&p->waiting, job, link);
    p->nwaiting++;
    event_active(p->ev_kick, 0, 0); /* dispatch on the next pass: callbacks never run in here */
    return job;
}

void dbp_job_quiet(struct dbp_job *job)
{
    job->quiet = true;
}

void dbp_cancel(struct dbp_job *job)
{
    if (job->conn) {
        job->cancelled = true; /* running: the result is dropped when it arrives */
        return;
    }
    TAILQ_REMOVE(&job->pool->waiting, job, link);
    job->pool->nwaiting--;
    free(job);
}

int dbp_open_count(const struct dbp *p)
{
    int n = 0;
    for (int i = 0; i < p->opt.pool_max; i++)
        if (p->conns[i] && p->conns[i]->state != C_CONNECTING)
            n++;
    return n;
}

static int pool_connecting(const struct dbp *p)
{
    int n = 0;
    for (int i = 0; i < p->opt.pool_max; i++)
        n += p->conns[i] && p->conns[i]->state == C_CONNECTING;
    return n;
}

/* Deferred dispatch; when no connection is open or being opened, waiting jobs fail at once
 * (503) rather than hang while the database is away. */
static void pool_kick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct dbp *p = arg;
    pool_dispatch(p);
    if (!TAILQ_EMPTY(&p->waiting) && dbp_open_count(p) == 0 && pool_connecting(p) == 0)
        pool_fail_waiting(p, "the database is unavailable");
}

/* Periodic upkeep: keep pool_min connections, close long-idle extra ones. */
static void pool_upkeep(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct dbp *p = arg;
    int64_t now = util_now_us();
    int live = 0;
    for (int i = 0; i < p->opt.pool_max; i++)
        live += p->conns[i] != NULL;
    for (int i = 0; i < p->opt.pool_max && live > p->opt.pool_min; i++) {
        struct dbconn *c = p->conns[i];
        if (c && c->state == C_IDLE && now - c->idle_since > DB_IDLE_CLOSE_US) {
            conn_close(c);
            live--;
        }
    }
    if (live < p->opt.pool_min && now >= p->next_retry_us)
        pool_open_conn(p);
}

struct dbp *dbp_new(struct event_base *base, const char *conninfo, const struct dbp_options *o)
{
    struct dbp *p = xcalloc(1, sizeof(*p));
    p->base = base;
    p->conninfo = xstrdup(conninfo);
    p->opt = *o;
    if (p->opt.pool_min > p->opt.pool_max)
        p->opt.pool_min = p->opt.pool_max;
    p->conns = xcalloc((size_t)p->opt.pool_max, sizeof(struct dbconn *));
    TAILQ_INIT(&p->waiting);
    p->ev_kick = event_new(base, -1, 0, pool_kick, p);
    p->ev_slow = evtimer_new(base, pool_kick, p);
    for (int i = 0; i < p->opt.pool_min; i++)
        pool_open_conn(p);
    p->ev_upkeep = event_new(base, -1, EV_PERSIST, pool_upkeep, p);
    struct timeval tv = {0, DB_UPKEEP_MS * 1000};
    event_add(p->ev_upkeep, &tv);
    return p;
}

void dbp_free(struct dbp *p)
{
    if (!p)
        return;
    pool_fail_waiting(p, "the server is shutting down");
    for (int i = 0; i < p->opt.pool_max; i++) {
        struct dbconn *c = p->conns[i];
        if (!c)
            continue;
        if (c->job)
            c->job->cancelled = true, free(c->job), c->job = NULL;
        conn_close(c);
    }
    event_free(p->ev_upkeep);
    event_free(p->ev_kick);
    event_free(p->ev_slow);
    free(p->conns);
    free(p->conninfo);
    free(p);
}

/* ---- SQL text ------------------------------------------------------------------------------- */

static struct dbp_job *exec_sql(struct dbp *p, const char *sql, bool prepare, int nparams,
                                const char *const *params, dbp_line_fn line, dbp_done_fn done,
                                void *arg)
{
    if (p->nwaiting >= p->opt.queue_max)
        return NULL;
    struct dbp_job *job = xcalloc(1, sizeof(*job));
    job->pool = p;
    job->sql = sql;
    job->prepare = prepare;
    job->nparams = nparams;
    job->params = params;
    job->line = line;
    job->done = done;
    job->arg = arg;
    struct dbconn *c = TAILQ_EMPTY(&p->waiting) ? pool_idle_conn(p) : NULL;
    if (c) {
        pool_start_job(c, job);
        return job;
    }
    TAILQ_INSERT_TAIL(&p->waiting, job, link);
    p->nwaiting++;
    event_active(p->ev_kick, 0, 0);
    return job;
}

struct dbp_job *dbp_exec_sql(struct dbp *p, const char *sql, int nparams, const char *const *params,
                             dbp_done_fn done, void *arg)
{
    return exec_sql(p, sql, false, nparams, params, NULL, done, arg);
}

struct dbp_job *dbp_exec_sql_prepared(struct dbp *p, const char *sql, int nparams,
                                      const char *const *params, dbp_done_fn done, void *arg)
{
    return exec_sql(p, sql, true, nparams, params, NULL, done, arg);
}

struct dbp_job *dbp_exec_copy(struct dbp *p, const char *sql, dbp_line_fn line, dbp_done_fn done,
                              void *arg)
{
    return exec_sql(p, sql, false, 0, NULL, line, done, arg);
}
