/* server — threads, listeners, request dispatch, limits and graceful stop. */
#include "server.h"

#include <assert.h>
#include <errno.h>
#include <malloc.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <pthread.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "bgwork.h"
#include "config.h"
#include "db_pool.h"
#include "edge.h"
#include "family.h"
#include "log.h"
#include "netaddr.h"
#include "proxy.h"
#include "replica.h"
#include "req.h"
#include "resp.h"
#include "route.h"
#include "util.h"

#define GRACE_SECONDS 10
#define SRV_MAX_SINGLE_WRITE (1 << 20)

static const struct config *g_cfg;
static struct router *g_router;
static const struct srv_family *const *g_fams; /* as main.c registered them */
static size_t g_nfams;
static const struct srv_family *g_fallback;    /* answers paths no family claims */
static struct route_def *g_routes;             /* every family's, in order */
static const struct srv_family **g_route_fams; /* g_routes[i]'s family */
static struct proxy_list *g_proxies;           /* --trusted-proxies */
static unsigned g_tag;                         /* this process's part of made request ids */

static const char *method_name(enum evhttp_cmd_type m)
{
    switch (m) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_PATCH: return "PATCH";
    default: return "OTHER";
    }
}

static struct req *req_new(struct srv_thread *thr, struct evhttp_request *ev)
{
    struct arena *a = arena_new();
    struct req *r = arena_alloc(a, sizeof(*r));
    memset(r, 0, sizeof(*r));
    r->a = a;
    r->ev = ev;
    r->thr = thr;
    r->t0_us = util_now_us();
    r->id = ++thr->next_req_id;
    enum evhttp_cmd_type m = evhttp_request_get_command(ev);
    r->method = (unsigned)m;
    r->method_name = method_name(m);
    r->uri = arena_strdup(a, evhttp_request_get_uri(ev));
    const char *ua = evhttp_find_header(evhttp_request_get_input_headers(ev), "User-Agent");
    r->agent = ua ? arena_strdup(a, ua) : NULL;
    char *host = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(evhttp_request_get_connection(ev), &host, &port);
    r->peer = arena_strdup(a, host ? host : "-");
    struct evkeyvalq *in = evhttp_request_get_input_headers(ev);
    r->client = proxy_client(g_proxies, r->peer, evhttp_find_header(in, "X-Forwarded-For"), a);
    const char *rid = evhttp_find_header(in, "X-Request-Id");
    r->rid = rid && proxy_request_id_ok(rid)
                 ? arena_strdup(a, rid)
                 : arena_printf(a, "%08x-%x-%llx", g_tag, thr->index,
                                (unsigned long long)r->id);
    thr->inflight++;
    return r;
}

/* The family whose envelope answers a path no route matched: the first that claims it under
 * one of its prefixes, else the fallback. */
static const struct srv_family *srv_family_of(const char *path)
{
    for (size_t i = 0; i < g_nfams; i++)
        for (const char *const *p = g_fams[i]->prefixes; p && *p; p++)
            if (route_under(g_router, *p, path))
                return g_fams[i];
    return g_fallback;
}

const struct srv_family *srv_path_family(const char *path)
{
    return srv_family_of(path);
}

/* Run r's handler. REQ_DONE promises that r was answered, and so released, before the handler
 * returned (req_release asserts the reply was exactly one); REQ_ASYNC that a callback will. */
static void srv_run_handler(struct req *r)
{
    struct srv_thread *thr = r->thr;
    uint64_t released = thr->released;
    int rc = r->route.def->handler(r);
    assert((rc == REQ_ASYNC || thr->released > released) && "REQ_DONE without a reply");
    (void)rc, (void)released;
}

static void upload_free(void *p)
{
    edge_upload_free(p);
}

/* A spooled upload goes with its request, which frees it (the file vanishes unless linked). */
static void take_upload(struct req *r)
{
    struct edge_upload up;
    if (!edge_take_upload(r->thr->edge, r->ev, &up))
        return;
    r->upload = arena_alloc(r->a, sizeof(up));
    *r->upload = up;
    arena_defer(r->a, upload_free, r->upload);
}

/* Route and run a request; every path ends in exactly one reply. */
static void srv_dispatch(struct req *r)
{
    take_upload(r);
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(r->ev);
    const char *path = u ? evhttp_uri_get_path(u) : NULL;
    r->path = path && *path ? path : "/";
    r->fam = srv_family_of(r->path);
    if (edge_over_limit(r->thr->edge, r->ev)) { /* as nginx's limit_conn: 503, then close */
        evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Connection", "close");
        resp_error(r, ERR_UNAVAILABLE, NULL, "too many connections from %s", r->peer);
        return;
    }
    if (r->thr->inflight > g_cfg->max_requests) {
        resp_error(r, ERR_UNAVAILABLE, NULL, "too many requests in progress");
        return;
    }
    switch (route_match(g_router, r->method, r->path, r->a, &r->route)) {
    case ROUTE_NOT_FOUND:
        resp_error(r, ERR_NO_ROUTE, NULL, "Not found: no such API path %s", r->path);
        return;
    case ROUTE_METHOD:
        if (r->method == M_OPTIONS) { /* a preflight: the Allow and CORS headers say it all */
            req_finish(r, 204, NULL, evbuffer_new());
            return;
        }
        resp_error(r, ERR_METHOD, NULL, "Method %s is not allowed here", r->method_name);
        return;
    case ROUTE_BAD_ENCODING:
        resp_error(r, ERR_PARAM_VALUE, NULL, "The path is not valid percent-encoded UTF-8");
        return;
    case ROUTE_OK:
        break;
    }
    r->fam = g_route_fams[r->route.def - g_routes];
    if (r->route.def->flags & ROUTE_PRIMARY)
        req_use_primary(r);
    if (!req_parse_query(r, u ? evhttp_uri_get_query(u) : NULL)) {
        resp_error(r, ERR_PARAM_VALUE, NULL,
                   "The query string is not valid percent-encoded UTF-8");
        return;
    }
    srv_run_handler(r);
}

static void srv_on_request(struct evhttp_request *ev, void *arg)
{
    struct srv_thread *thr = arg;
    srv_dispatch(req_new(thr, ev));
}

/* ---- threads and listeners ------------------------------------------------------------------ */

static struct evconnlistener *srv_listen(struct event_base *base, const char *addr, char **err)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (!netaddr_resolve(addr, &ss, &len, err))
        return NULL;
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT |
                     LEV_OPT_CLOSE_ON_EXEC;
    struct evconnlistener *l =
        evconnlistener_new_bind(base, NULL, NULL, flags, 1024, (struct sockaddr *)&ss, len);
    if (!l) {
        *err = xasprintf("cannot listen on %s: %s", addr, strerror(errno));
        return NULL;
    }
    /* Accepted sockets inherit it: replies written in several pieces must not wait for the
     * client's delayed ACK (measured: ~40 ms per datastore page over 16 KiB). */
    int one = 1;
    setsockopt(evconnlistener_get_fd(l), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return l;
}

/* SO_REUSEPORT (one listener per thread) would let a second server bind the same address and
 * take half its clients: a plain bind tells first whether anyone listens there already. */
static bool srv_address_free(const char *addr, char **err)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (!netaddr_resolve(addr, &ss, &len, err))
        return false;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0) {
        *err = xasprintf("cannot listen on %s: %s", addr, strerror(errno));
        return false;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)); /* past TIME_WAITs */
    int rc = bind(fd, (struct sockaddr *)&ss, (socklen_t)len), e = errno;
    close(fd);
    if (rc == 0)
        return true;
    *err = xasprintf("cannot listen on %s: %s", addr,
                     e == EADDRINUSE ? "address in use (another server is running there)"
                                     : strerror(e));
    return false;
}

static void srv_on_grace(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct srv_thread *thr = arg;
    log_warn("thread %d: %d requests still running after %ds, stopping anyway", thr->index,
             thr->inflight, GRACE_SECONDS);
    event_base_loopexit(thr->base, NULL);
}

/* Stop accepting; exit the loop once in-flight requests are done. */
static void srv_on_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct srv_thread *thr = arg;
    thr->stopping = true;
    evhttp_del_accept_socket(thr->http, thr->bound); /* closes the socket: new clients are refused */
    if (thr->inflight == 0) {
        srv_thread_maybe_exit(thr);
        return;
    }
    struct timeval tv = {GRACE_SECONDS, 0};
    evtimer_add(thr->ev_grace, &tv);
}

static char *g_upload_dir; /* set by the family that stores uploads; NULL: no uploads */

void srv_set_upload_dir(const char *dir)
{
    free(g_upload_dir);
    g_upload_dir = dir ? xstrdup(dir) : NULL;
}

static bool srv_thread_init(struct srv_thread *thr, int index, char **err)
{
    thr->index = index;
    thr->cfg = g_cfg;
    thr->fams = g_fams;
    thr->nfams = g_nfams;
    /* epoll's changelist: the read/write interest a reply toggles several times is handed to
     * the kernel once per loop pass (fewer epoll_ctl calls). No descriptor here is dup()ed,
     * which is the case libevent warns about. */
    struct event_config *ec = event_config_new();
    event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    thr->base = event_base_new_with_config(ec);
    event_config_free(ec);
    thr->http = evhttp_new(thr->base);
    struct evconnlistener *l = srv_listen(thr->base, g_cfg->listen, err);
    if (!l)
        return false;
    thr->bound = evhttp_bind_listener(thr->http, l);
    if (!thr->bound) {
        *err = xasprintf("cannot bind the HTTP listener");
        return false;
    }
    evhttp_set_gencb(thr->http, srv_on_request, thr);
    /* A reply leaves in one write instead of 16 KiB pieces (libevent's default), each of them a
     * system call and a TCP segment train of its own. */
    struct edge_limits lim = {(size_t)g_cfg->max_header_size, (size_t)g_cfg->max_body_size,
                              g_cfg->header_timeout, g_cfg->body_min_rate,
                              g_cfg->max_conns_per_ip, SRV_MAX_SINGLE_WRITE, g_upload_dir,
                              (uint64_t)g_cfg->max_upload_size};
    thr->edge = edge_thread_new(thr->base, &lim);
    evhttp_set_bevcb(thr->http, edge_bufferevent, thr->edge);
    evhttp_set_max_headers_size(thr->http, (ev_ssize_t)g_cfg->max_header_size);
    evhttp_set_max_body_size(thr->http, (ev_ssize_t)g_cfg->max_body_size);
    evhttp_set_timeout(thr->http, g_cfg->timeout);
    evhttp_set_allowed_methods(thr->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                              EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                              EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    int pooler = cfg_pooler(g_cfg);
    struct dbp_options o = {g_cfg->db_pool_min, g_cfg->db_pool_max, g_cfg->db_queue_max,
                            g_cfg->connect_timeout, g_cfg->statement_timeout,
                            pooler != CFG_POOLER_NONE, pooler == CFG_POOLER_TRANSACTION};
    thr->db = dbp_new(thr->base, g_cfg->db, &o);
    thr->replicas = rep_thread_new(thr->base, thr->index, &o);
    thr->fam_state = xcalloc(g_nfams ? g_nfams : 1, sizeof(void *));
    for (size_t i = 0; i < g_nfams; i++)
        if (g_fams[i]->thread_new)
            thr->fam_state[i] = g_fams[i]->thread_new(thr);
    thr->ev_stop = event_new(thr->base, -1, 0, srv_on_stop, thr);
    thr->ev_grace = evtimer_new(thr->base, srv_on_grace, thr);
    return true;
}

static void *srv_thread_main(void *arg)
{
    struct srv_thread *thr = arg;
    event_base_dispatch(thr->base);
    return NULL;
}

static void srv_thread_free(struct srv_thread *thr)
{
    dbp_free(thr->db); /* first: it may still end jobs whose requests a family's state holds */
    rep_thread_free(thr->replicas);
    for (size_t i = g_nfams; i-- > 0;)
        if (g_fams[i]->thread_free)
            g_fams[i]->thread_free(thr->fam_state[i]);
    free(thr->fam_state);
    evhttp_free(thr->http);
    edge_thread_free(thr->edge);
    event_free(thr->ev_stop);
    event_free(thr->ev_grace);
    event_base_free(thr->base);
}

static int srv_thread_count(const struct config *cfg)
{
    if (cfg->threads > 0)
        return cfg->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* SIGHUP: the log file again (rotation); harmless without one. */
static void srv_on_hangup(void)
{
    char *err = NULL;
    switch (log_reopen(&err)) {
    case 1: log_info("received SIGHUP, log file reopened"); break;
    case 0: log_info("received SIGHUP: no --log-file to reopen, nothing to do"); break;
    default: log_error("received SIGHUP: %s", err ? err : "cannot reopen the log file"); break;
    }
    free(err);
}

/* Block the signals in every thread; the main thread waits for them with sigwait. */
static int srv_wait_for_stop(struct srv_thread *thrs, int n, const sigset_t *set)
{
    int sig = 0;
    while (sigwait(set, &sig) == 0 && sig == SIGHUP)
        srv_on_hangup();
    log_info("received %s, finishing in-flight requests", sig == SIGINT ? "SIGINT" : "SIGTERM");
    for (int i = 0; i < n; i++)
        event_active(thrs[i].ev_stop, 0, 0);
    return 0;
}

/* Many keep-alive clients need many descriptors: raise the soft limit to the hard one. */
static void srv_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            log_warn("cannot raise the open-file limit: %s", strerror(errno));
    }
}

/* One route table from every family's (g_routes), and each route's family (g_route_fams). */
static size_t srv_collect_routes(void)
{
    size_t n = 0;
    for (size_t i = 0; i < g_nfams; i++)
        n += g_fams[i]->nroutes;
    g_routes = xcalloc(n ? n : 1, sizeof(*g_routes));
    g_route_fams = xcalloc(n ? n : 1, sizeof(*g_route_fams));
    size_t k = 0;
    for (size_t i = 0; i < g_nfams; i++)
        for (size_t j = 0; j < g_fams[i]->nroutes; j++, k++) {
            g_routes[k] = g_fams[i]->routes[j];
            g_route_fams[k] = g_fams[i];
        }
    return n;
}

/* Each family's start-up, in the order registered. */
static bool srv_init_families(char **err)
{
    for (size_t i = 0; i < g_nfams; i++)
        if (g_fams[i]->init && !g_fams[i]->init(g_cfg, err))
            return false;
    return true;
}

int srv_run(const struct config *cfg, const struct srv_family *const *fams, size_t nfams,
            const struct srv_family *fallback)
{
    g_cfg = cfg;
    g_fams = fams;
    g_nfams = nfams;
    g_fallback = fallback;
    char *err = NULL;
    if (*cfg->log_file && !log_open_file(cfg->log_file, &err)) {
        log_error("%s", err ? err : "cannot open the log file");
        free(err);
        return 1;
    }
    if (!(g_proxies = proxy_parse(cfg->trusted_proxies, &err))) {
        log_error("%s", err);
        free(err);
        return 1;
    }
    if (getrandom(&g_tag, sizeof(g_tag), 0) != (ssize_t)sizeof(g_tag))
        g_tag = (unsigned)getpid() ^ (unsigned)time(NULL);
    size_t nroutes = srv_collect_routes();
    g_router = route_new(g_routes, nroutes, cfg->sru, &err);
    if (!g_router) {
        log_error("%s", err);
        free(err);
        return 1;
    }
    /* Behind a pooler no startup options go out; libpq sends PGTZ as the startup parameter
     * timezone, which PgBouncer keeps on every server connection it hands us. Set before any
     * thread or connection exists. */
    if (cfg_pooler(cfg) != CFG_POOLER_NONE)
        setenv("PGTZ", "UTC", 1);
    int nreps = rep_init(cfg);
    if (nreps)
        log_info("%d read replica%s: anonymous reads go to one not lagging over %d ms", nreps,
                 nreps > 1 ? "s" : "", cfg->replica_max_lag);
    evthread_use_pthreads();
    /* Blocks of 1 MiB and more (a big datastore page: its PGresult, its reply) come from mmap
     * and go back to the system when freed. glibc's default threshold rises to the size of
     * the largest block freed, after which such blocks stay in the heap. */
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    signal(SIGPIPE, SIG_IGN);
    srv_raise_fd_limit();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (!srv_init_families(&err)) {
        log_error("%s", err);
        free(err);
        return 1;
    }
    if (!srv_address_free(cfg->listen, &err)) {
        log_error("%s", err);
        free(err);
        return 1;
    }
    int n = srv_thread_count(cfg);
    struct srv_thread *thrs = xcalloc((size_t)n, sizeof(*thrs));
    for (int i = 0; i < n; i++)
        if (!srv_thread_init(&thrs[i], i, &err)) {
            log_error("%s", err);
            free(err);
            return 1;
        }
    pthread_t *tids = xcalloc((size_t)n, sizeof(pthread_t));
    for (int i = 0; i < n; i++)
        pthread_create(&tids[i], NULL, srv_thread_main, &thrs[i]);
    log_info("serving on http://%s/ with %d threads (Taiwan API at %s)", cfg->listen, n, cfg->sru);
    srv_wait_for_stop(thrs, n, &set);
    for (size_t i = 0; i < g_nfams; i++)
        if (g_fams[i]->stop)
            g_fams[i]->stop();
    for (int i = 0; i < n; i++)
        pthread_join(tids[i], NULL);
    bgw_shutdown(); /* before the bases go: a worker may still hand a result to one */
    for (int i = 0; i < n; i++)
        srv_thread_free(&thrs[i]);
    log_info("stopped");
    free(tids);
    free(thrs);
    route_free(g_router);
    free(g_routes);
    free(g_route_fams);
    return 0;
}
