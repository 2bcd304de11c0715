/* db_pool — per-thread pool of non-blocking libpq connections driven by the thread's event loop.
 * No call here ever blocks: connections are set up with PQconnectStart/PQconnectPoll, queries
 * are sent with PQsend* and results read as the socket becomes readable. The pool grows from
 * db_pool_min towards db_pool_max while requests wait, so one slow query does not hold up
 * others; requests beyond db_queue_max are refused at once. A broken connection fails its query
 * with DBE_UNAVAILABLE and is replaced in the background; nothing needs a restart. */
#ifndef DB_POOL_H
#define DB_POOL_H
#include "db_err.h"
#include "util.h"
#include <libpq-fe.h>
#include <stdbool.h>

struct event_base;
struct dbp;
struct dbp_job;

/* A statement prepared lazily, once per connection. Define them static; dbp_register gives
 * each a slot before any pool starts. */
struct db_stmt {
    const char *name;
    const char *sql;
    int nparams;
    int slot;
};

/* Called exactly once per job unless it was cancelled. res (NULL on error) and err belong to
 * the pool and are valid during the call only. */
typedef void (*dbp_done_fn)(void *arg, PGresult *res, const struct db_error *err);
/* Called for each line a COPY ... TO STDOUT job sends, as it arrives (COPY's text format, the
 * newline included); line belongs to the pool and is valid during the call only. */
typedef void (*dbp_line_fn)(void *arg, const char *line, size_t len);

struct dbp_options {
    int pool_min, pool_max, queue_max;
    int connect_timeout_s;
    int statement_timeout_ms;
    /* Behind PgBouncer: no startup `options` (it refuses them; the settings they carried then
     * come from the database's defaults); in transaction mode no named prepared statements
     * either (a transaction may land on any server connection): every statement unnamed. */
    bool pooled, pooled_transaction;
};

void dbp_register(struct db_stmt *st);
struct dbp *dbp_new(struct event_base *base, const char *conninfo, const struct dbp_options *o);
void dbp_free(struct dbp *p);

/* Run a registered statement with text parameters (each NULL = SQL NULL). The params array and
 * strings must stay valid until the callback or dbp_cancel. Returns NULL when the wait queue is
 * full (the callback will not run). */
struct dbp_job *dbp_exec(struct dbp *p, const struct db_stmt *st, const char *const *params,
                         dbp_done_fn done, void *arg) MUSTCHECK;
/* A statement error of job is expected (its requester handles it): do not log it. */
void dbp_job_quiet(struct dbp_job *job);
/* Forget a job whose requester went away; its result, if any, is dropped. */
void dbp_cancel(struct dbp_job *job);

/* Connections currently open (idle or busy), for tests and logs. */
int dbp_open_count(const struct dbp *p);

/* Run SQL text built at run time (unnamed statement: PQsendQueryParams, one round trip) with
 * nparams text parameters; otherwise as dbp_exec. sql must stay valid like params. */
struct dbp_job *dbp_exec_sql(struct dbp *p, const char *sql, int nparams, const char *const *params,
                             dbp_done_fn done, void *arg) MUSTCHECK;
/* The same, but the text is kept prepared on the connection (at most 32 texts a connection, the
 * least recently used replaced): a text run again skips parsing and, once PostgreSQL settles on
 * a generic plan, planning. For texts whose values all travel as parameters. */
struct dbp_job *dbp_exec_sql_prepared(struct dbp *p, const char *sql, int nparams,
                                      const char *const *params, dbp_done_fn done,
                                      void *arg) MUSTCHECK;
/* Run a COPY ... TO STDOUT statement (SQL text, no parameters: COPY takes none) whose lines go
 * to line one by one as PostgreSQL sends them (the reply can be on its way before the last row
 * is made); done then gets the statement's end (COMMAND_OK) or the error that cut it short. */
struct dbp_job *dbp_exec_copy(struct dbp *p, const char *sql, dbp_line_fn line, dbp_done_fn done,
                              void *arg) MUSTCHECK;

#endif
