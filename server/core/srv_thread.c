/* srv_thread — a server thread's families' state and its request accounting. */
#include "srv_thread.h"

#include <event2/event.h>
#include <event2/http.h>

void srv_thread_maybe_exit(struct srv_thread *thr)
{
    if (thr->stopping && thr->inflight == 0 && thr->draining == 0)
        event_base_loopexit(thr->base, NULL);
}

static void on_sent(struct evhttp_request *ev, void *arg)
{
    (void)ev;
    struct srv_thread *thr = arg;
    thr->draining--;
    srv_thread_maybe_exit(thr);
}

void srv_thread_before_reply(struct srv_thread *thr, struct evhttp_request *ev)
{
    if (!thr->stopping)
        return;
    /* While stopping, the loop must not end before this reply has left the buffers. */
    thr->draining++;
    evhttp_request_set_on_complete_cb(ev, on_sent, thr);
}

void srv_thread_request_done(struct srv_thread *thr)
{
    thr->inflight--;
    srv_thread_maybe_exit(thr);
}

void *srv_thread_state(const struct srv_thread *thr, const struct srv_family *fam)
{
    for (size_t i = 0; i < thr->nfams; i++)
        if (thr->fams[i] == fam)
            return thr->fam_state[i];
    return NULL;
}
