/* edge — client connections before evhttp: strict framing, deadlines, per-address caps. */
#include "edge.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "hframe.h"
#include "log.h"
#include "spool.h"
#include "util.h"

#define EDGE_ADDR_BUCKETS 4096
#define EDGE_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"
#define EDGE_UPLOAD_HEADER "X-Opendatad-Upload"

/* A multipart body being spooled (spool.c) in place of evhttp receiving it. */
struct edge_spooling {
    struct spool *sp;  /* NULL when refused at its head */
    char *head;        /* the request line and headers to pass on, each line CRLF-ended */
    int status;        /* refused at its head: 413, 400 */
    const char *error; /* static */
    bool emitted;      /* the request was passed on already (refused at its head) */
    bool expect;       /* 100 Continue is to be sent */
};

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
    struct edge_spooling *up;  /* a diverted body on its way */
    struct edge_upload done;   /* the last diverted request's upload, until it is taken */
    bool has_done;
    uint64_t ticket;           /* of the last diverted request */
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

static void spooling_free(struct edge_spooling *u)
{
    if (!u)
        return;
    spool_free(u->sp);
    free(u->head);
    free(u);
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
    spooling_free(c->up);
    edge_upload_free(&c->done);
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

/* ---- multipart bodies spooled ---------------------------------------------------------------- */

/* Marks the requests the edge rewrote; random per process, so no client can name one. */
static char g_secret[33];
static pthread_once_t g_secret_once = PTHREAD_ONCE_INIT;

static void secret_make(void)
{
    unsigned char b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        abort();
    for (size_t i = 0; i < sizeof(b); i++)
        snprintf(g_secret + 2 * i, 3, "%02x", b[i]);
}

/* The next line of [*p, end) without its CRLF or LF. */
static bool head_line(const char **p, const char *end, const char **line, size_t *n)
{
    if (*p >= end)
        return false;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *e = nl ? nl : end;
    *line = *p;
    *n = (size_t)(e - *p) - (e > *p && e[-1] == '\r');
    *p = nl ? nl + 1 : end;
    return true;
}

static bool header_is(const char *line, size_t n, const char *name)
{
    size_t k = strlen(name);
    return n > k && line[k] == ':' && strncasecmp(line, name, k) == 0;
}

/* The value of a header of a (valid) head, spaces trimmed; NULL when absent. */
static const char *head_value(const char *head, size_t len, const char *name, size_t *vn)
{
    const char *p = head, *end = head + len, *line;
    size_t n;
    (void)head_line(&p, end, &line, &n); /* the request line */
    while (head_line(&p, end, &line, &n) && n > 0) {
        if (!header_is(line, n, name))
            continue;
        const char *v = line + strlen(name) + 1, *e = line + n;
        while (v < e && (*v == ' ' || *v == '\t'))
            v++;
        while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        *vn = (size_t)(e - v);
        return v;
    }
    return NULL;
}

/* A POST to a CKAN action (the only requests that take uploads). */
static bool is_action_post(const char *head, size_t len)
{
    static const char *const prefixes[] = {"/api/3/action/", "/api/action/"};
    if (len < 5 || memcmp(head, "POST ", 5) != 0)
        return false;
    for (size_t i = 0; i < ARRAY_LEN(prefixes); i++) {
        size_t k = strlen(prefixes[i]);
        if (len > 5 + k && memcmp(head + 5, prefixes[i], k) == 0)
            return true;
    }
    return false;
}

/* The head to pass on: its lines but the body's headers and the internal one, CRLF-ended. */
static char *head_rewrite(const char *head, size_t len)
{
    static const char *const drop[] = {"Content-Type", "Content-Length", "Expect",
                                       EDGE_UPLOAD_HEADER};
    struct evbuffer *b = evbuffer_new();
    const char *p = head, *end = head + len, *line;
    size_t n;
    while (head_line(&p, end, &line, &n) && n > 0) {
        bool keep = true;
        for (size_t i = 0; i < ARRAY_LEN(drop) && keep; i++)
            keep = !header_is(line, n, drop[i]);
        if (keep) {
            evbuffer_add(b, line, n);
            evbuffer_add(b, "\r\n", 2);
        }
    }
    size_t k = evbuffer_get_length(b);
    char *out = xmalloc(k + 1);
    evbuffer_remove(b, out, k);
    out[k] = '\0';
    evbuffer_free(b);
    return out;
}

/* hframe's question about each head with a body: spool it when it is a multipart action POST
 * and uploads are on. */
static bool edge_divert(void *arg, const char *head, size_t len, uint64_t cl)
{
    struct edge_conn *c = arg;
    const struct edge_limits *lim = &c->t->lim;
    size_t ctn = 0, en = 0;
    const char *ct = lim->upload_dir && is_action_post(head, len)
                         ? head_value(head, len, "Content-Type", &ctn)
                         : NULL;
    if (!ct || ctn < 19 || strncasecmp(ct, "multipart/form-data", 19) != 0)
        return false;
    struct edge_spooling *u = xcalloc(1, sizeof(*u));
    u->head = head_rewrite(head, len);
    if (cl > lim->max_upload + lim->max_body) {
        u->status = 413;
        u->error = "The upload is larger than the server accepts.";
    } else {
        struct spool_limits sl = {lim->upload_dir, lim->max_upload, lim->max_body};
        char *type = xstrndup(ct, ctn);
        u->sp = spool_new(type, &sl, &u->error);
        free(type);
        u->status = u->sp ? 0 : 400;
    }
    const char *e = head_value(head, len, "Expect", &en);
    u->expect = !u->status && e && en == 12 && strncasecmp(e, "100-continue", 12) == 0;
    spooling_free(c->up);
    c->up = u;
    return true;
}

/* Pass the diverted request on to evhttp: its head with the form body and the mark. */
static void spool_emit(struct edge_conn *c, struct evbuffer *buf, const char *form, size_t n,
                       struct spool_file *file, int status, const char *error)
{
    edge_upload_free(&c->done);
    c->done.file = file;
    c->done.status = status;
    c->done.error = status ? xstrdup(error ? error : "The upload was refused.") : NULL;
    c->has_done = true;
    c->ticket++;
    evbuffer_add(buf, c->up->head, strlen(c->up->head));
    evbuffer_add_printf(buf,
                        "Content-Type: application/x-www-form-urlencoded\r\n"
                        "Content-Length: %zu\r\n" EDGE_UPLOAD_HEADER ": %s.%llu\r\n\r\n",
                        n, g_secret, (unsigned long long)c->ticket);
    evbuffer_add(buf, form, n);
    c->up->emitted = true;
}

/* The diverted body's bytes into the spool; at its end, the request to evhttp and framing
 * resumed (which may divert the next request). */
static void spool_step(struct edge_conn *c, struct evbuffer *buf)
{
    struct edge_spooling *u;
    while ((u = c->up) != NULL) {
        if (u->status && !u->emitted) /* refused at its head: answered at once */
            spool_emit(c, buf, "", 0, NULL, u->status, u->error);
        struct evbuffer *side = c->fr.side;
        size_t n;
        while ((n = evbuffer_get_contiguous_space(side)) > 0) {
            /* a refusal is kept by the spool and answered at the body's end */
            if (u->sp && !spool_status(u->sp) &&
                !spool_feed(u->sp, (const char *)evbuffer_pullup(side, (ev_ssize_t)n), n))
                log_debug("%s: upload refused: %s", c->addr, spool_error(u->sp));
            evbuffer_drain(side, n);
        }
        if (!c->fr.paused)
            return;
        if (!u->emitted && spool_finish(u->sp)) {
            const char *form = spool_form(u->sp, &n);
            spool_emit(c, buf, form, n, spool_take_file(u->sp), 0, NULL);
        } else if (!u->emitted) {
            spool_emit(c, buf, "", 0, NULL, spool_status(u->sp), spool_error(u->sp));
        }
        spooling_free(u);
        c->up = NULL;
        if (!hframe_resume(&c->fr, buf))
            log_info("%s: bad request: %s", c->addr, c->fr.reason);
    }
}

/* 100 Continue for a diverted body, when nothing is before it (as for chunked bodies). */
static void spool_continue(struct edge_conn *c, struct evbuffer *buf)
{
    if (!c->up || !c->up->expect)
        return;
    c->up->expect = false;
    if (evbuffer_get_length(buf) == 0 && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
        (void)send(c->fd, EDGE_CONTINUE, sizeof(EDGE_CONTINUE) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
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
    spool_continue(c, buf);
    spool_step(c, buf);
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
    c->fr.divert = edge_divert;
    c->fr.divert_arg = c;
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
    pthread_once(&g_secret_once, secret_make);
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

bool edge_take_upload(struct edge_thread *t, struct evhttp_request *req, struct edge_upload *up)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    const char *v = evhttp_find_header(h, EDGE_UPLOAD_HEADER);
    if (!v)
        return false;
    struct edge_conn *c = by_evcon(t, evhttp_request_get_connection(req));
    bool ok = false;
    if (c && c->has_done) {
        char *want = xasprintf("%s.%llu", g_secret, (unsigned long long)c->ticket);
        size_t n = strlen(want);
        ok = strlen(v) == n && CRYPTO_memcmp(v, want, n) == 0;
        free(want);
    }
    while (evhttp_remove_header(h, EDGE_UPLOAD_HEADER) == 0)
        ;
    if (!ok)
        return false;
    *up = c->done;
    memset(&c->done, 0, sizeof(c->done));
    c->has_done = false;
    return true;
}

void edge_upload_free(struct edge_upload *up)
{
    spool_file_free(up->file);
    free(up->error);
    memset(up, 0, sizeof(*up));
}
