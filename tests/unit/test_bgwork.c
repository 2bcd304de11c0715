/* Unit tests for server/core/bgwork.c: work runs on a worker thread, never the loop's; done runs
 * on the loop thread of the base given, once per job, after its work; many jobs from two loops
 * all come back to their own loop; after bgw_shutdown nothing more is taken. */
#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "../../server/core/bgwork.c"
#include "../../server/core/util.c"
#include "testh.h"

#define JOBS 200

struct job {
    pthread_t loop, worker;
    struct event_base *base;
    bool worked, done_after_work, done_on_loop;
    atomic_int *left;
};

static void work(void *arg)
{
    struct job *j = arg;
    j->worker = pthread_self();
    j->worked = true;
}

static void done(void *arg)
{
    struct job *j = arg;
    j->done_after_work = j->worked;
    j->done_on_loop = pthread_equal(pthread_self(), j->loop);
    if (atomic_fetch_sub(j->left, 1) == 1)
        event_base_loopbreak(j->base);
}

struct loop {
    struct event_base *base;
    struct job jobs[JOBS];
    atomic_int left;
    bool queued;
};

static void *loop_main(void *arg)
{
    struct loop *l = arg;
    l->queued = true;
    for (int i = 0; i < JOBS; i++) {
        l->jobs[i] = (struct job){pthread_self(), 0, l->base, false, false, false, &l->left};
        l->queued = l->queued && bgw_run(l->base, work, done, &l->jobs[i]);
    }
    event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

static void test_two_loops(void)
{
    struct loop loops[2];
    pthread_t tid[2];
    for (int k = 0; k < 2; k++) {
        loops[k].base = event_base_new();
        atomic_init(&loops[k].left, JOBS);
        pthread_create(&tid[k], NULL, loop_main, &loops[k]);
    }
    for (int k = 0; k < 2; k++)
        pthread_join(tid[k], NULL);
    for (int k = 0; k < 2; k++) {
        struct loop *l = &loops[k];
        int bad_thread = 0, bad_order = 0, bad_loop = 0;
        for (int i = 0; i < JOBS; i++) {
            bad_thread += pthread_equal(l->jobs[i].worker, l->jobs[i].loop) != 0;
            bad_order += !l->jobs[i].done_after_work;
            bad_loop += !l->jobs[i].done_on_loop;
        }
        T_CHECK(l->queued, "loop %d: every job was queued", k);
        T_CHECK(atomic_load(&l->left) == 0, "loop %d: every done ran", k);
        T_CHECK(bad_thread == 0, "loop %d: work ran off the loop thread (%d did not)", k,
                bad_thread);
        T_CHECK(bad_order == 0, "loop %d: done ran after its work", k);
        T_CHECK(bad_loop == 0, "loop %d: done ran on its own loop thread (%d did not)", k,
                bad_loop);
        event_base_free(l->base);
    }
}

static void test_shutdown(void)
{
    bgw_shutdown();
    struct event_base *base = event_base_new();
    atomic_int left = 1;
    struct job j = {pthread_self(), 0, base, false, false, false, &left};
    T_CHECK(!bgw_run(base, work, done, &j), "nothing is taken once shut down");
    T_CHECK(!j.worked, "and nothing ran");
    event_base_free(base);
}

int main(void)
{
    evthread_use_pthreads();
    test_two_loops();
    test_shutdown();
    libevent_global_shutdown();
    T_DONE();
}
