/* bgwork — worker threads for CPU-bound steps, their results handed back to the loops. */
#include "bgwork.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>

struct bgw_job {
    struct bgw_job *next;
    struct event_base *base;
    bgw_fn work, done;
    void *arg;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t more;
    struct bgw_job *head, *tail;
    pthread_t tid[BGW_THREADS];
    int started;
    bool stopping;
} g_bgw = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, {0}, 0, false};

/* On the loop thread of the job's base. */
static void bgw_deliver(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct bgw_job *j = arg;
    j->done(j->arg);
    free(j);
}

/* Next job, or NULL once stopping (the lock held). */
static struct bgw_job *bgw_take(void)
{
    while (!g_bgw.head && !g_bgw.stopping)
        pthread_cond_wait(&g_bgw.more, &g_bgw.mu);
    struct bgw_job *j = g_bgw.stopping ? NULL : g_bgw.head;
    if (j && !(g_bgw.head = j->next))
        g_bgw.tail = NULL;
    return j;
}

static void *bgw_main(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&g_bgw.mu);
    struct bgw_job *j;
    while ((j = bgw_take()) != NULL) {
        pthread_mutex_unlock(&g_bgw.mu);
        j->work(j->arg);
        struct timeval now = {0, 0};
        /* event_base_once is safe across threads (libevent's pthreads locks are on). It fails
         * only without memory; then the request waits for the grace period of the stop. */
        if (event_base_once(j->base, -1, EV_TIMEOUT, bgw_deliver, j, &now) != 0)
            free(j);
        pthread_mutex_lock(&g_bgw.mu);
    }
    pthread_mutex_unlock(&g_bgw.mu);
    return NULL;
}

/* Start the threads not yet running (the lock held); false when none runs. */
static bool bgw_start(void)
{
    while (g_bgw.started < BGW_THREADS &&
           pthread_create(&g_bgw.tid[g_bgw.started], NULL, bgw_main, NULL) == 0)
        g_bgw.started++;
    return g_bgw.started > 0;
}

bool bgw_run(struct event_base *base, bgw_fn work, bgw_fn done, void *arg)
{
    struct bgw_job *j = xmalloc(sizeof *j);
    *j = (struct bgw_job){NULL, base, work, done, arg};
    pthread_mutex_lock(&g_bgw.mu);
    bool ok = !g_bgw.stopping && bgw_start();
    if (ok) {
        if (g_bgw.tail)
            g_bgw.tail->next = j;
        else
            g_bgw.head = j;
        g_bgw.tail = j;
        pthread_cond_signal(&g_bgw.more);
    }
    pthread_mutex_unlock(&g_bgw.mu);
    if (!ok)
        free(j);
    return ok;
}

void bgw_shutdown(void)
{
    pthread_mutex_lock(&g_bgw.mu);
    g_bgw.stopping = true;
    pthread_cond_broadcast(&g_bgw.more);
    int n = g_bgw.started;
    pthread_mutex_unlock(&g_bgw.mu);
    for (int i = 0; i < n; i++)
        pthread_join(g_bgw.tid[i], NULL);
    for (struct bgw_job *j = g_bgw.head, *next; j; j = next) {
        next = j->next;
        free(j);
    }
    g_bgw.head = g_bgw.tail = NULL;
}
