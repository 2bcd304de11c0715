/* dump_worker — worker threads, task queue and idle blocking connections for dumps. */
#include "dump_worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgconn.h"
#include "util.h"

#define IDLE_CONNS_EXTRA 2

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct dw_task *head, *tail;
    bool quit;
    int nthreads;
    pthread_t *tids;
    PGconn **idle;  /* idle connections, a stack */
    int nidle, max_idle;
    char *conninfo, *options, *connect_timeout;
    atomic_int jobs;
    atomic_bool stopping, aborting;
} g_dw = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *dw_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_dw.mu);
    for (;;) {
        while (!g_dw.head && !g_dw.quit)
            pthread_cond_wait(&g_dw.cv, &g_dw.mu);
        if (g_dw.quit)
            break;
        struct dw_task *t = g_dw.head;
        g_dw.head = t->next;
        if (!g_dw.head)
            g_dw.tail = NULL;
        pthread_mutex_unlock(&g_dw.mu);
        t->run(t);
        pthread_mutex_lock(&g_dw.mu);
    }
    pthread_mutex_unlock(&g_dw.mu);
    return NULL;
}

bool dw_start(const struct dw_options *o, char **err)
{
    g_dw.conninfo = xstrdup(o->conninfo);
    g_dw.options = o->pooled ? NULL : xasprintf("-c statement_timeout=%d -c jit=off -c TimeZone=UTC "
                             "-c DateStyle=ISO,MDY -c idle_in_transaction_session_timeout=600000",
                             o->statement_timeout_ms);
    g_dw.connect_timeout = xasprintf("%d", o->connect_timeout_s);
    g_dw.max_idle = o->threads + IDLE_CONNS_EXTRA;
    g_dw.idle = xcalloc((size_t)g_dw.max_idle, sizeof(PGconn *));
    g_dw.tids = xcalloc((size_t)o->threads, sizeof(pthread_t));
    for (int i = 0; i < o->threads; i++) {
        if (pthread_create(&g_dw.tids[i], NULL, dw_main, NULL) != 0) {
            *err = xasprintf("cannot start dump worker thread %d", i);
            return false;
        }
        g_dw.nthreads++;
    }
    return true;
}

void dw_submit(struct dw_task *t)
{
    t->next = NULL;
    pthread_mutex_lock(&g_dw.mu);
    if (!g_dw.quit) {
        if (g_dw.tail)
            g_dw.tail->next = t;
        else
            g_dw.head = t;
        g_dw.tail = t;
        pthread_cond_signal(&g_dw.cv);
    }
    pthread_mutex_unlock(&g_dw.mu);
}

static void dw_stop_threads(void)
{
    pthread_mutex_lock(&g_dw.mu);
    g_dw.quit = true;
    g_dw.head = g_dw.tail = NULL;
    pthread_cond_broadcast(&g_dw.cv);
    pthread_mutex_unlock(&g_dw.mu);
    for (int i = 0; i < g_dw.nthreads; i++)
        pthread_join(g_dw.tids[i], NULL);
    for (int i = 0; i < g_dw.nidle; i++)
        PQfinish(g_dw.idle[i]);
    g_dw.nidle = g_dw.nthreads = 0;
    free(g_dw.tids);
    g_dw.tids = NULL;
}

static void wait_jobs(int ms)
{
    struct timespec ts = {0, 20 * 1000000};
    for (int t = 0; atomic_load(&g_dw.jobs) > 0 && t < ms; t += 20)
        nanosleep(&ts, NULL);
}

void dw_shutdown(int wait_ms, int abort_ms)
{
    atomic_store(&g_dw.stopping, true);
    wait_jobs(wait_ms);
    atomic_store(&g_dw.aborting, true);
    wait_jobs(abort_ms);
    dw_stop_threads();
}

void dw_job_begin(void)
{
    atomic_fetch_add(&g_dw.jobs, 1);
}

void dw_job_end(void)
{
    atomic_fetch_sub(&g_dw.jobs, 1);
}

bool dw_stopping(void)
{
    return atomic_load(&g_dw.stopping);
}

bool dw_aborting(void)
{
    return atomic_load(&g_dw.aborting);
}

PGconn *dw_conn_get(char **err)
{
    PGconn *c = NULL;
    pthread_mutex_lock(&g_dw.mu);
    if (g_dw.nidle > 0)
        c = g_dw.idle[--g_dw.nidle];
    pthread_mutex_unlock(&g_dw.mu);
    if (c && PQstatus(c) == CONNECTION_OK)
        return c;
    PQfinish(c);
    const char *keys[] = {"options", "application_name", "connect_timeout", "dbname", NULL};
    const char *vals[] = {g_dw.options, "opendatad-dump", g_dw.connect_timeout, g_dw.conninfo,
                          NULL};
    return pgconn_open(keys, vals, err);
}

void dw_conn_put(PGconn *c, bool reuse)
{
    if (!c)
        return;
    reuse = reuse && PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE;
    pthread_mutex_lock(&g_dw.mu);
    if (reuse && g_dw.nidle < g_dw.max_idle && !g_dw.quit) {
        g_dw.idle[g_dw.nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&g_dw.mu);
    PQfinish(c);
}
