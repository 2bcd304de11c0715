/* search_cache — cached package_search answers, checked against the database's generation. */
#include "search_cache.h"

#include <event2/buffer.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckan_config.h"
#include "ckan_resp.h"
#include "config.h"
#include "db_pool.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "util.h"

/* Reads of the generation a thread has on their way at most. With 2, a request would wait for
 * one read rather than up to two; measured on W2b (c=16, c=64), one did as well or better: the
 * extra reads cost the database and the server more than the shorter wait gained. */
#define SCACHE_READS 1

static struct db_stmt st_gen = {"ckan_search_gen", "SELECT gen FROM ckan_search_gen", 0, 0};

/* ---- the store, shared by the threads ------------------------------------------------------ */

/* An answer's bytes (the whole CKAN envelope), shared by the store and the replies that are
 * still being sent: freed with the last reference. */
struct body {
    atomic_int refs;
    size_t len;
    char *data;
    uint64_t hash; /* util_hash64 of data: the ETag */
};

struct entry {
    char *key; /* NULL: free */
    uint64_t hash, gen, used;
    struct body *body;
};

static struct {
    pthread_mutex_t mu;
    struct entry e[SCACHE_ENTRIES];
    size_t bytes;
    uint64_t tick;
} store = {.mu = PTHREAD_MUTEX_INITIALIZER};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct body *body_new(char *data, size_t len)
{
    struct body *b = xmalloc(sizeof(*b));
    atomic_init(&b->refs, 1);
    b->data = data;
    b->len = len;
    b->hash = util_hash64(data, len);
    return b;
}

static void body_unref(struct body *b)
{
    if (atomic_fetch_sub(&b->refs, 1) == 1) {
        free(b->data);
        free(b);
    }
}

/* evbuffer cleanup: the reply's bytes have left the buffer. */
static void body_sent(const void *data, size_t len, void *b)
{
    (void)data, (void)len;
    body_unref(b);
}

static size_t entry_size(const struct entry *e)
{
    return e->body->len + strlen(e->key) + 1;
}

static void entry_clear(struct entry *e)
{
    store.bytes -= entry_size(e);
    body_unref(e->body);
    free(e->key);
    e->key = NULL;
    e->body = NULL;
}

/* The body kept under key, referenced, if it was computed under generation gen or a later one
 * (a later one holds every change gen does, since generations follow the commit order). */
static struct body *store_get(const char *key, uint64_t hash, uint64_t gen)
{
    struct body *b = NULL;
    pthread_mutex_lock(&store.mu);
    for (int i = 0; i < SCACHE_ENTRIES; i++) {
        struct entry *e = &store.e[i];
        if (e->key && e->hash == hash && strcmp(e->key, key) == 0) {
            if (e->gen >= gen) {
                e->used = ++store.tick;
                b = e->body;
                atomic_fetch_add(&b->refs, 1);
            }
            break;
        }
    }
    pthread_mutex_unlock(&store.mu);
    return b;
}

/* The least recently used entry other than keep, or NULL when there is none. */
static struct entry *store_lru(const struct entry *keep)
{
    struct entry *lru = NULL;
    for (int i = 0; i < SCACHE_ENTRIES; i++) {
        struct entry *e = &store.e[i];
        if (e->key && e != keep && (!lru || e->used < lru->used))
            lru = e;
    }
    return lru;
}

/* Keep b under key unless a newer generation is kept already; evict the least recently used
 * entries to stay within SCACHE_ENTRIES and SCACHE_BYTES. */
static void store_put(const char *key, uint64_t hash, uint64_t gen, struct body *b)
{
    size_t size = b->len + strlen(key) + 1;
    if (b->len > SCACHE_ENTRY_MAX || size > (size_t)ckan_config()->search_cache_mb << 20)
        return;
    pthread_mutex_lock(&store.mu);
    struct entry *slot = NULL, *free_slot = NULL;
    for (int i = 0; i < SCACHE_ENTRIES && !slot; i++) {
        struct entry *e = &store.e[i];
        if (!e->key)
            free_slot = free_slot ? free_slot : e;
        else if (e->hash == hash && strcmp(e->key, key) == 0)
            slot = e;
    }
    if (slot && slot->gen > gen) {
        pthread_mutex_unlock(&store.mu);
        return;
    }
    if (slot)
        entry_clear(slot);
    else
        slot = free_slot ? free_slot : store_lru(NULL);
    if (slot->key)
        entry_clear(slot);
    size_t budget = (size_t)ckan_config()->search_cache_mb << 20;
    for (struct entry *old; store.bytes + size > budget && (old = store_lru(slot));)
        entry_clear(old);
    slot->key = xstrdup(key);
    slot->hash = hash;
    slot->gen = gen;
    slot->used = ++store.tick;
    slot->body = b;
    atomic_fetch_add(&b->refs, 1);
    store.bytes += size;
    pthread_mutex_unlock(&store.mu);
}

/* ---- requests waiting on one thread ---------------------------------------------------------- */

struct waiter {
    struct waiter *next;
    struct req *r;
    const char *key; /* in r's arena */
    uint64_t hash;
    uint64_t need; /* the generation its answer must have at least */
    scache_build_fn build;
    void *arg;
};

/* One statement running for a key: the requests that missed on it wait for its answer. */
struct flight {
    struct flight *next;
    struct scache_thread *t;
    const char *key; /* the first waiter's */
    uint64_t hash;
    struct waiter *waiters, **tail;
};

/* One read of the generation on its way, and the requests it serves: those that arrived
 * before it was sent and after the previous one was. */
struct gen_read {
    struct scache_thread *t;
    struct waiter *riding;
};

static void fly(struct scache_thread *t, struct waiter *w);

struct scache_thread {
    struct srv_thread *thr;
    int reading;                      /* reads of the generation on their way */
    struct waiter *next, **next_tail; /* the requests that arrived since the last was sent */
    struct flight *flights;
};

void scache_init(void)
{
    dbp_register(&st_gen);
}

bool scache_enabled(void)
{
    return ckan_config()->search_cache_mb > 0;
}

/* Send b as r's answer (indented or wrapped for JSONP when r asks: resp_ok_shared). */
static void reply(struct req *r, struct body *b)
{
    atomic_fetch_add(&b->refs, 1);
    resp_ok_shared(r, b->data, b->len, b->hash, body_sent, b);
}

static void flight_done(void *arg, PGresult *res, const struct db_error *err);

/* Wait for the statement of w's key: join the flight running for it, else start one. */
static void fly(struct scache_thread *t, struct waiter *w)
{
    w->next = NULL;
    for (struct flight *f = t->flights; f; f = f->next)
        if (f->hash == w->hash && strcmp(f->key, w->key) == 0) {
            *f->tail = w;
            f->tail = &w->next;
            return;
        }
    int nparams;
    const char *const *params;
    const char *sql = w->build(w->r, w->arg, &nparams, &params);
    if (!sql)
        return; /* w's request was answered: its parameters are not valid */
    struct flight *f = xcalloc(1, sizeof(*f));
    f->t = t;
    f->key = w->key;
    f->hash = w->hash;
    f->waiters = w;
    f->tail = &w->next;
    if (!dbp_exec_sql_prepared(req_pool(w->r), sql, nparams, params, flight_done, f)) {
        free(f);
        req_db_busy(w->r);
        return;
    }
    f->next = t->flights;
    t->flights = f;
}

static void flight_done(void *arg, PGresult *res, const struct db_error *err)
{
    struct flight *f = arg;
    struct scache_thread *t = f->t;
    for (struct flight **p = &t->flights; *p; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            break;
        }
    struct waiter *w = f->waiters, *next;
    if (err) {
        for (; w; w = next) {
            next = w->next;
            if (req_replica_failed(w->r, err))
                fly(t, w); /* again, on the primary */
            else
                req_db_fail(w->r, err);
        }
        free(f);
        return;
    }
    struct req *r = w->r;
    uint64_t gen = PQnfields(res) == 2 ? strtoull(PQgetvalue(res, 0, 1), NULL, 10) : 0;
    size_t len;
    char *text = ckan_resp_build_ok(ckan_resp_help_url(r), PQgetvalue(res, 0, 0),
                                    (size_t)PQgetlength(res, 0, 0), &len);
    struct body *b = body_new(text, len);
    if (gen)
        store_put(f->key, f->hash, gen, b);
    free(f);
    for (; w; w = next) {
        next = w->next;
        if (w->need <= gen || !gen) /* (no generation: a builder without the column) */
            reply(w->r, b);
        else
            fly(t, w); /* it read a generation newer than this statement's snapshot */
    }
    body_unref(b);
}

static void read_gen(struct scache_thread *t);

/* The generation was read: answer the requests it serves from the store, or let them fly. */
static void gen_read(void *arg, PGresult *res, const struct db_error *err)
{
    struct gen_read *g = arg;
    struct scache_thread *t = g->t;
    struct waiter *w = g->riding, *next;
    uint64_t gen = err ? 0 : strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    free(g);
    t->reading--;
    for (; w; w = next) {
        next = w->next;
        struct body *b = err ? NULL : store_get(w->key, w->hash, gen);
        if (err && req_replica_failed(w->r, err)) {
            w->next = NULL; /* waits for the next read, on the primary */
            *t->next_tail = w;
            t->next_tail = &w->next;
        } else if (err) {
            req_db_fail(w->r, err);
        } else if (b) {
            reply(w->r, b);
            body_unref(b);
        } else {
            w->need = gen;
            fly(t, w);
        }
    }
    if (t->next)
        read_gen(t);
}

/* Send one read of the generation for every request waiting for one. */
static void read_gen(struct scache_thread *t)
{
    struct gen_read *g = xmalloc(sizeof(*g));
    g->t = t;
    g->riding = t->next;
    t->next = NULL;
    t->next_tail = &t->next;
    t->reading++;
    /* One read serves requests of one pool (a replica's generation is its own): the others wait
     * for the next read. */
    struct dbp *pool = req_pool(g->riding->r);
    struct waiter **rest = &t->next, **ride = &g->riding;
    for (struct waiter *w = g->riding; w;) {
        struct waiter *next = w->next;
        if (req_pool(w->r) == pool) {
            ride = &w->next;
        } else { /* to the waiting list */
            *ride = next;
            w->next = NULL;
            *rest = w;
            rest = &w->next;
            t->next_tail = rest;
        }
        w = next;
    }
    if (dbp_exec(pool, &st_gen, NULL, gen_read, g))
        return;
    struct waiter *w = g->riding, *next;
    free(g);
    t->reading--;
    for (; w; w = next) {
        next = w->next;
        req_db_busy(w->r);
    }
}

int scache_answer(struct req *r, const char *key, scache_build_fn build, void *arg)
{
    struct scache_thread *t = srv_thread_state(r->thr, ckan_config_family());
    struct waiter *w = arena_alloc(r->a, sizeof(*w));
    *w = (struct waiter){.r = r, .key = key, .hash = fnv1a(key), .build = build, .arg = arg};
    *t->next_tail = w;
    t->next_tail = &w->next;
    if (t->reading < SCACHE_READS)
        read_gen(t);
    return REQ_ASYNC;
}

struct scache_thread *scache_thread_new(struct srv_thread *thr)
{
    struct scache_thread *t = xcalloc(1, sizeof(*t));
    t->thr = thr;
    t->next_tail = &t->next;
    return t;
}

void scache_thread_free(struct scache_thread *t)
{
    if (!t)
        return;
    /* Flights are left only when the grace period cut requests short; their waiters live in
     * those requests' arenas. */
    for (struct flight *f = t->flights, *next; f; f = next) {
        next = f->next;
        free(f);
    }
    free(t);
}
