/* srv_thread — one server thread's state (server.c makes and runs the threads): its loop, pools,
 * the families' per-thread state, and the accounting of its requests that lets a stopping
 * thread end once every reply has left (what a request's finish, req.c, reports). */
#ifndef SRV_THREAD_H
#define SRV_THREAD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct dbp;
struct edge_thread;
struct event;
struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_request;
struct rep_set;
struct srv_family;

struct srv_thread {
    int index;
    const struct config *cfg; /* the running configuration (read-only) */
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    struct dbp *db;
    struct rep_set *replicas; /* read replicas' pools (replica.h), NULL: none */
    int inflight;             /* requests accepted and not yet finished */
    int draining;             /* replies written while stopping and not yet sent */
    bool stopping;
    uint64_t next_req_id;
    uint64_t released; /* requests released so far (req_release): the one-reply check */
    struct event *ev_stop, *ev_grace;
    struct edge_thread *edge;             /* the connections' edge before evhttp (edge.c) */
    const struct srv_family *const *fams; /* the families, in registration order */
    size_t nfams;
    void **fam_state; /* each family's thread_new result, in that order */
};

/* The state fam's thread_new hook made for thr (NULL when it has none). */
void *srv_thread_state(const struct srv_thread *thr, const struct srv_family *fam);
/* Called by req_finish just before a reply is handed to evhttp. */
void srv_thread_before_reply(struct srv_thread *thr, struct evhttp_request *ev);
/* Called by req_finish when a request of thr is done. */
void srv_thread_request_done(struct srv_thread *thr);
/* End thr's loop when it is stopping and nothing is in flight or draining. */
void srv_thread_maybe_exit(struct srv_thread *thr);

#endif
