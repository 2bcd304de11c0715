/* edge — client connections before evhttp: strict framing, deadlines, per-address caps. */
#include "edge.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hframe.h"
#include "log.h"
#include "util.h"

#define EDGE_ADDR_BUCKETS 4096
#define EDGE_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"

struct edge_conn {
    struct edge_thread *t;
    struct edge_conn *prev, *next;    /* the thread's connections */
    struct bufferevent *bev;
    struct evhttp_connection *evcon; /* known once set up */
    struct evbuffer_cb_entry *cbe;
    struct evbuffer *fresh, *kept;    /* one read's bytes; those evhttp has not read yet */
    struct hframe fr;
    struct event *timer;              /* set-up at once, then the deadline of a head or body */
    int64_t head_us, body_us;         /* when the head (or the connection) and body started */
    evutil_socket_t fd;
    char *addr;
    bool ready, busy, counted, over_limit, timing_head, timing_body;
    void (*closecb)(struct evhttp_connection *, void *);
    void *closecb_arg;
};

struct edge_thread {
    struct event_base *base;
    struct edge_limits lim;
    struct edge_conn **by_fd; /* the connections of this thread, by socket */
    size_t nfd;
    struct edge_conn *conns;
};

/* ---- open connections per address, over all threads ------------------------------------------ */

struct addr_count {
    struct addr_count *next;
    int n;
    char addr[];
};

static pthread_mutex_t g_addr_mu = PTHREAD_MUTEX_INITIALIZER;
static struct addr_count *g_addr[EDGE_ADDR_BUCKETS];

static struct addr_count **addr_slot(const char *addr)
{
    struct addr_count **p = &g_addr[util_hash64(addr, strlen(addr)) % EDGE_ADDR_BUCKETS];
    while (*p && strcmp((*p)->addr, addr) != 0)
        p = &(*p)->next;
    return p;
}

/* One more connection from addr; the count with it. */
static int addr_acquire(const char *addr)
{
    pthread_mutex_lock(&g_addr_mu);
    struct addr_count **p = addr_slot(addr);
    if (!*p) {
        size_t n = strlen(addr) + 1;
        *p = xcalloc(1, sizeof(**p) + n);
        memcpy((*p)->addr, addr, n);
    }
    int n = ++(*p)->n;
    pthread_mutex_unlock(&g_addr_mu);
    return n;
}

static void addr_release(const char *addr)
{
    pthread_mutex_lock(&g_addr_mu);
    struct addr_count **p = addr_slot(addr), *e = *p;
    if (e && --e->n == 0) {
        *p = e->next;
        free(e);
    }
    pthread_mutex_unlock(&g_addr_mu);
}

/* ---- the thread's connections ---------------------------------------------------------------- */

static void by_fd_put(struct edge_thread *t, evutil_socket_t fd, struct edge_conn *c)
{
    if (fd < 0)
        return;
    if ((size_t)fd >= t->nfd) {
        size_t n = t->nfd ? t->nfd : 1024;
        while (n <= (size_t)fd)
            n *= 2;
        t->by_fd = xrealloc(t->by_fd, n * sizeof(*t->by_fd));
        memset(t->by_fd + t->nfd, 0, (n - t->nfd) * sizeof(*t->by_fd));
        t->nfd = n;
    }
    t->by_fd[fd] = c;
}

static struct edge_conn *by_evcon(struct edge_thread *t, struct evhttp_connection *evcon)
{
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    struct edge_conn *c = fd >= 0 && (size_t)fd < t->nfd ? t->by_fd[fd] : NULL;
    return c && c->evcon == evcon ? c : NULL;
}

static void conn_free(struct edge_conn *c, bool bev_alive)
{
    struct edge_thread *t = c->t;
    if (bev_alive)
        evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->cbe);
    event_free(c->timer);
    if (c->counted)
        addr_release(c->addr);
    if (c->fd >= 0 && (size_t)c->fd < t->nfd && t->by_fd[c->fd] == c)
        t->by_fd[c->fd] = NULL;
    if (c->prev)
        c->prev->next = c->next;
    else
        t->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    hframe_clear(&c->fr);
    evbuffer_free(c->fresh);
    evbuffer_free(c->kept);
    free(c->addr);
    free(c);
}

/* evhttp frees the connection (and its bufferevent right after). */
static void edge_on_close(struct evhttp_connection *evcon, void *arg)
{
    struct edge_conn *c = arg;
    if (c->closecb)
        c->closecb(evcon, c->closecb_arg);
    conn_free(c, true);
}

/* ---- deadlines ------------------------------------------------------------------------------- */

/* Keep the timer on the deadline that applies now: the head's (from its first byte, or from
 * the connection's start), the body's (its start + header-timeout + bytes / min rate), or none
 * between requests (evhttp's --timeout covers idle keep-alive connections). */
static void edge_arm(struct edge_conn *c)
{
    const struct edge_limits *lim = &c->t->lim;
    int64_t now = util_now_us(), deadline;
    bool first = c->fr.heads == 0 && c->fr.state == HFRAME_HEAD;
    if (hframe_in_body(&c->fr) && lim->body_min_rate > 0) {
        if (!c->timing_body)
            c->body_us = now;
        c->timing_body = true;
        c->timing_head = false;
        deadline = c->body_us + (int64_t)lim->header_timeout * 1000000 +
                   (int64_t)(c->fr.body_seen * 1000000 / (uint64_t)lim->body_min_rate);
    } else if (hframe_in_head(&c->fr) || first) {
        if (!c->timing_head)
            c->head_us = now;
        c->timing_head = true;
        c->timing_body = false;
        deadline = c->head_us + (int64_t)lim->header_timeout * 1000000;
    } else {
        c->timing_head = c->timing_body = false;
        evtimer_del(c->timer);
        return;
    }
    int64_t wait = deadline > now ? deadline - now : 0;
    struct timeval tv = {(time_t)(wait / 1000000), (suseconds_t)(wait % 1000000)};
    evtimer_add(c->timer, &tv);
}

/* ---- set-up and input ------------------------------------------------------------------------ */

/* Once evhttp has attached the socket: the connection, the close callback, the address count,
 * the first head's deadline (from now). */
static void edge_setup(struct edge_conn *c)
{
    c->ready = true;
    c->fd = bufferevent_getfd(c->bev);
    void *arg = NULL;
    bufferevent_getcb(c->bev, NULL, NULL, NULL, &arg);
    /* evhttp (2.1) hands its connection to the bufferevent's callbacks as their argument. */
    c->evcon = arg;
    if (!c->evcon || evhttp_connection_get_bufferevent(c->evcon) != c->bev)
        abort();
    evhttp_connection_set_closecb(c->evcon, edge_on_close, c);
    by_fd_put(c->t, c->fd, c);
    char *host = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(c->evcon, &host, &port);
    c->addr = xstrdup(host ? host : "-");
    if (c->t->lim.max_conns_per_ip > 0) {
        c->counted = true;
        c->over_limit = addr_acquire(c->addr) > c->t->lim.max_conns_per_ip;
    }
    c->timing_head = true;
    c->head_us = util_now_us();
    edge_arm(c);
}

static void edge_on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct edge_conn *c = arg;
    if (!c->ready) {
        edge_setup(c);
        return;
    }
    log_info("%s: connection closed: %s", c->addr,
             c->timing_body ? "request body slower than --body-min-rate"
                            : "request head not received within --header-timeout");
    /* evhttp's own way out for a client that went away: it frees the connection, and this,
     * at once. */
    bufferevent_trigger_event(c->bev, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
}

/* Each read's bytes, before evhttp sees them: buf holds what evhttp has not read yet followed
 * by info->n_added new bytes. The new ones go through the framing; what it passes follows. */
static void edge_on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct edge_conn *c = arg;
    if (c->busy || info->n_added == 0)
        return; /* our own moves below, or evhttp draining */
    c->busy = true;
    if (!c->ready)
        edge_setup(c);
    evbuffer_remove_buffer(buf, c->kept, evbuffer_get_length(buf) - info->n_added);
    evbuffer_add_buffer(c->fresh, buf);
    evbuffer_add_buffer(buf, c->kept);
    if (!hframe_feed(&c->fr, c->fresh, buf))
        log_info("%s: bad request: %s", c->addr, c->fr.reason);
    if (c->fr.expect_continue) {
        /* A chunked body is held until its end, so evhttp cannot say the client may send it.
         * Said here when nothing is before it: evhttp reads (this runs only then) and has
         * nothing unread or unsent. Its writing is off: straight to the socket. */
        c->fr.expect_continue = false;
        if (evbuffer_get_length(buf) == 0 &&
            evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
            (void)send(c->fd, EDGE_CONTINUE, sizeof(EDGE_CONTINUE) - 1,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    edge_arm(c);
    c->busy = false;
}

struct bufferevent *edge_bufferevent(struct event_base *base, void *arg)
{
    struct edge_thread *t = arg;
    /* No BEV_OPT_CLOSE_ON_FREE: evhttp closes the socket itself, as for its own bufferevents. */
    struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
    if (!bev)
        return NULL;
    bufferevent_set_max_single_write(bev, t->lim.max_single_write);
    struct edge_conn *c = xcalloc(1, sizeof(*c));
    c->t = t;
    c->bev = bev;
    c->fd = -1;
    hframe_init(&c->fr, t->lim.max_head, t->lim.max_body);
    c->fresh = evbuffer_new();
    c->kept = evbuffer_new();
    c->cbe = evbuffer_add_cb(bufferevent_get_input(bev), edge_on_input, c);
    c->timer = evtimer_new(base, edge_on_timer, c);
    c->next = t->conns;
    if (t->conns)
        t->conns->prev = c;
    t->conns = c;
    /* Set up once evhttp has attached the socket, which it does right after this returns:
     * an active event runs in this loop pass, before any read. */
    event_active(c->timer, EV_TIMEOUT, 1);
    return bev;
}

/* ---- the interface --------------------------------------------------------------------------- */

struct edge_thread *edge_thread_new(struct event_base *base, const struct edge_limits *lim)
{
    struct edge_thread *t = xcalloc(1, sizeof(*t));
    t->base = base;
    t->lim = *lim;
    return t;
}

void edge_thread_free(struct edge_thread *t)
{
    if (!t)
        return;
    /* Left only by connections evhttp dropped before their set-up (their bufferevent is gone). */
    while (t->conns)
        conn_free(t->conns, false);
    free(t->by_fd);
    free(t);
}

bool edge_over_limit(struct edge_thread *t, struct evhttp_request *req)
{
    struct edge_conn *c = by_evcon(t, evhttp_request_get_connection(req));
    return c && c->over_limit;
}

void edge_set_closecb(struct edge_thread *t, struct evhttp_connection *evcon,
                      void (*cb)(struct evhttp_connection *, void *), void *arg)
{
    struct edge_conn *c = by_evcon(t, evcon);
    if (!c) {
        evhttp_connection_set_closecb(evcon, cb, arg);
        return;
    }
    c->closecb = cb;
    c->closecb_arg = arg;
}
