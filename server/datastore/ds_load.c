/* ds_load — loads on threads of their own, reported back on the caller's event loop. */
#include "ds_load.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pgconn.h"

struct dsl_job {
    struct dsl_job *next;
    struct dsl_request rq; /* strings owned (copies) */
    struct event_base *base;
    dsl_done_fn done;
    void *arg;
    struct dsl_outcome out;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t idle; /* signalled when a thread ends */
    struct dsl_job *head, *tail;
    int running; /* threads taking jobs */
    char *conninfo, *connect_timeout;
    atomic_bool stopping;
} g_dsl = {.mu = PTHREAD_MUTEX_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER};

void dsl_init(const char *conninfo, int connect_timeout_s)
{
    free(g_dsl.conninfo);
    free(g_dsl.connect_timeout);
    g_dsl.conninfo = xstrdup(conninfo);
    g_dsl.connect_timeout = xasprintf("%d", connect_timeout_s);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void job_free(struct dsl_job *j)
{
    if (j->rq.fd >= 0)
        close(j->rq.fd);
    free((char *)j->rq.resource_id);
    free((char *)j->rq.dataset);
    free((char *)j->rq.format);
    free((char *)j->rq.name);
    free((char *)j->rq.record);
    free((char *)j->rq.tag);
    free((char *)j->rq.url);
    free(j->out.err);
    load_result_clear(&j->out.result);
    free(j);
}

static void on_log(void *arg, enum load_level level, const char *line)
{
    const struct dsl_job *j = arg;
    log_msg((enum log_level)level, "load of resource %s: %s", j->rq.resource_id, line);
}

static bool on_cancelled(void *arg)
{
    (void)arg;
    return atomic_load(&g_dsl.stopping);
}

bool dsl_stopping(void)
{
    return atomic_load(&g_dsl.stopping);
}

static void run_job(struct dsl_job *j)
{
    const char *keys[] = {"application_name", "connect_timeout", "dbname", NULL};
    const char *vals[] = {"opendatad-load", g_dsl.connect_timeout, g_dsl.conninfo, NULL};
    char *cerr = NULL;
    j->out.started_us = util_now_us();
    PGconn *pg = pgconn_open(keys, vals, &cerr);
    if (!pg) {
        j->out.rc = -1;
        j->out.err = xasprintf("cannot connect to the database: %s", cerr);
        free(cerr);
    } else {
        const struct dsl_request *rq = &j->rq;
        if (rq->on_begin)
            rq->on_begin(rq, pg);
        if (rq->fd < 0 && rq->fetch)
            j->rq.fd = rq->fetch(rq, &j->out.err);
    }
    if (pg && j->rq.fd < 0) {
        j->out.rc = -1;
        if (!j->out.err)
            j->out.err = xstrdup("the load has no file");
    } else if (pg) {
        const struct dsl_request *rq = &j->rq;
        struct load_opts o = {.format = rq->format,
                              .path = rq->name,
                              .from_fd = true,
                              .fd = rq->fd,
                              .encoding = rq->encoding,
                              .delimiter = rq->delimiter,
                              .record = rq->record,
                              .sample_rows = rq->sample_rows,
                              .pg = pg,
                              .resource_id = rq->resource_id,
                              .dataset = rq->dataset,
                              .search_index = rq->search_index,
                              .log = on_log,
                              .debug = log_verbosity >= LOG_DEBUG,
                              .cancelled = on_cancelled,
                              .arg = j};
        j->out.rc = load_file(&o, &j->out.result, &j->out.err);
    }
    j->out.ended_us = util_now_us();
    if (j->rq.on_end)
        j->rq.on_end(&j->rq, pg, &j->out);
    if (pg)
        PQfinish(pg);
    if (j->rq.fd >= 0)
        close(j->rq.fd);
    j->rq.fd = -1;
}

/* On the caller's loop thread. */
static void deliver(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct dsl_job *j = arg;
    j->done(j->arg, &j->out);
    job_free(j);
}

/* Take jobs until none is left. */
static void *dsl_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_dsl.mu);
    struct dsl_job *j;
    while ((j = g_dsl.head) != NULL && !atomic_load(&g_dsl.stopping)) {
        g_dsl.head = j->next;
        if (!g_dsl.head)
            g_dsl.tail = NULL;
        pthread_mutex_unlock(&g_dsl.mu);
        run_job(j);
        struct timeval now = {0, 0};
        /* event_base_once is safe across threads (the server uses libevent's pthreads locks). */
        if (atomic_load(&g_dsl.stopping) ||
            event_base_once(j->base, -1, EV_TIMEOUT, deliver, j, &now) != 0)
            job_free(j);
        pthread_mutex_lock(&g_dsl.mu);
    }
    /* The thread's OpenSSL state (the loads hash files) freed now: dsl_shutdown waits on the
     * count below, and a process may end before a detached thread's own exit would free it. */
    OPENSSL_thread_stop();
    g_dsl.running--;
    pthread_cond_broadcast(&g_dsl.idle);
    pthread_mutex_unlock(&g_dsl.mu);
    return NULL;
}

static bool start_thread(char **err)
{
    pthread_attr_t attr;
    pthread_t tid;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&tid, &attr, dsl_main, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        *err = xasprintf("cannot start a load thread: %s", strerror(rc));
    return rc == 0;
}

bool dsl_start(const struct dsl_request *rq, struct event_base *base, dsl_done_fn done, void *arg,
               char **err)
{
    struct dsl_job *j = xcalloc(1, sizeof(*j));
    j->rq = *rq;
    j->rq.resource_id = xstrdup(rq->resource_id);
    j->rq.dataset = dup_or_null(rq->dataset);
    j->rq.format = xstrdup(rq->format);
    j->rq.name = xstrdup(rq->name);
    j->rq.record = dup_or_null(rq->record);
    j->rq.tag = dup_or_null(rq->tag);
    j->rq.url = dup_or_null(rq->url);
    j->out.resource_id = j->rq.resource_id;
    j->base = base;
    j->done = done;
    j->arg = arg;
    pthread_mutex_lock(&g_dsl.mu);
    bool ok = !atomic_load(&g_dsl.stopping) && g_dsl.conninfo;
    if (!ok)
        *err = xstrdup(g_dsl.conninfo ? "the server is stopping" : "loads are not set up");
    if (ok) {
        if (g_dsl.tail)
            g_dsl.tail->next = j;
        else
            g_dsl.head = j;
        g_dsl.tail = j;
        /* No thread running means an empty queue (a thread ends when it finds none): j is the
         * only job, taken back when no thread can be started for it. */
        char *terr = NULL;
        if (g_dsl.running < DSL_RUNNING_MAX && start_thread(&terr))
            g_dsl.running++;
        else if (g_dsl.running == 0)
            g_dsl.head = g_dsl.tail = NULL, ok = false, *err = terr, terr = NULL;
        free(terr); /* a thread could not start, but a running one takes j in turn */
    }
    pthread_mutex_unlock(&g_dsl.mu);
    if (!ok)
        job_free(j);
    return ok;
}

void dsl_shutdown(int wait_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&g_dsl.mu);
    atomic_store(&g_dsl.stopping, true);
    struct dsl_job *j = g_dsl.head;
    g_dsl.head = g_dsl.tail = NULL;
    while (g_dsl.running > 0 && pthread_cond_timedwait(&g_dsl.idle, &g_dsl.mu, &until) == 0)
        ;
    pthread_mutex_unlock(&g_dsl.mu);
    while (j) {
        struct dsl_job *next = j->next;
        job_free(j);
        j = next;
    }
}
