/* server — N threads, each with its own event_base, evhttp (listening with SO_REUSEPORT) and
 * database pool, sharing nothing but read-only configuration and the route table. SIGTERM and
 * SIGINT stop accepting, let in-flight requests finish (bounded by a grace period) and exit 0. */
#ifndef SERVER_H
#define SERVER_H
#include "util.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct router;
struct event_base;
struct dbp;
struct evhttp_request;
struct srv_family;

struct srv_thread {
    int index;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    struct dbp *db;
    struct rep_set *replicas;     /* read replicas' pools (replica.h), NULL: none */
    int inflight;          /* requests accepted and not yet finished */
    int draining;          /* replies written while stopping and not yet sent */
    bool stopping;
    uint64_t next_req_id;
    uint64_t released;     /* requests released so far (req_release): the one-reply check */
    struct event *ev_stop, *ev_grace;
    struct edge_thread *edge;     /* the connections' edge before evhttp (edge.c) */
    void **fam_state;             /* each family's thread_new result, in registration order */
};

/* Run the server with the API families given (see family.h; their routes are matched in
 * this order; fallback answers paths none claims) until a stop signal; returns the process
 * exit status. fams must live until it returns. */
int srv_run(const struct config *cfg, const struct srv_family *const *fams, size_t nfams,
            const struct srv_family *fallback) MUSTCHECK;
/* The running configuration (read-only after start). */
const struct config *srv_config(void);
/* The family whose envelope answers a path no route matches (the first claiming it under one of
 * its prefixes, else the fallback): for a family that yields such a path to an earlier one. */
const struct srv_family *srv_path_family(const char *path);
/* The state fam's thread_new hook made for thr (NULL when it has none). */
void *srv_thread_state(const struct srv_thread *thr, const struct srv_family *fam);
/* Where multipart action bodies are spooled (spool.c: unnamed files there): a family's init
 * names it (the DataStore's, which stores uploads); without, such bodies reach evhttp whole. */
void srv_set_upload_dir(const char *dir);
/* Called by req_finish just before a reply is handed to evhttp. */
void srv_before_reply(struct srv_thread *thr, struct evhttp_request *ev);
/* Called by req_finish when a request of thr is done. */
void srv_request_done(struct srv_thread *thr);

#endif
