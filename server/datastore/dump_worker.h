/* dump_worker — a small pool of threads for the blocking half of dumps (libpq in blocking mode,
 * deflate, file writes), so no event loop ever waits on them. Work is a FIFO of tasks; a task
 * runs one bounded step and submits itself again to go on, so long dumps take turns and a dump
 * waiting for a slow client holds no thread. Tasks report to their event loop with
 * event_active(), which is safe across threads (the server calls evthread_use_pthreads).
 * The pool also keeps a few idle blocking database connections for tasks to borrow. */
#ifndef DUMP_WORKER_H
#define DUMP_WORKER_H
#include "util.h"
#include <libpq-fe.h>
#include <stdbool.h>

/* Embed as the first member of a job; run() is called on a worker thread. */
struct dw_task {
    void (*run)(struct dw_task *t);
    struct dw_task *next;
};

struct dw_options {
    const char *conninfo;
    int threads;
    int statement_timeout_ms;
    int connect_timeout_s;
    bool pooled; /* conninfo reaches a pooler: no startup options */
};

/* Start the threads; false with *err (malloc'd) when one cannot be created. */
bool dw_start(const struct dw_options *o, char **err) MUSTCHECK;
/* Queue t; a worker runs it soon. After dw_stop the task is dropped. */
void dw_submit(struct dw_task *t);
/* Graceful stop: wait up to wait_ms for jobs to end, then ask them to abort (dw_aborting) and
 * wait up to abort_ms more; then stop the threads after their current step and join them.
 * Tasks still queued are dropped. */
void dw_shutdown(int wait_ms, int abort_ms);

/* Count a job (a build or a stream) from its start to its end, for dw_shutdown. */
void dw_job_begin(void);
void dw_job_end(void);
/* True once dw_shutdown has begun (refuse new jobs). */
bool dw_stopping(void);
/* True once dw_shutdown's patience ran out: jobs stop at their next step. */
bool dw_aborting(void);

/* A blocking connection (session: UTC, ISO dates, jit off); NULL with *err (malloc'd). */
PGconn *dw_conn_get(char **err) MUSTCHECK;
/* Give a connection back: kept idle for reuse when `reuse` and it is healthy, else closed. */
void dw_conn_put(PGconn *c, bool reuse);

#endif
