/* scache — kept answers, checked against the database's generation. */
#include "scache.h"

#include <event2/buffer.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "db_pool.h"
#include "req.h"
#include "resp.h"
#include "family.h"
#include "server.h"
#include "util.h"

/* Reads of the generation a thread has on their way at most. With 2, a request would wait for
 * one read rather than up to two; measured on W2b (c=16, c=64), one did as well or better: the
 * extra reads cost the database and the server more than the shorter wait gained. */
#define SCACHE_READS 1

static struct db_stmt st_gen = {"ckan_search_gen", "SELECT gen FROM ckan_search_gen", 0, 0};
static size_t g_budget; /* --search-cache-mb in bytes; 0: nothing is kept */

/* ---- the store, shared by the threads ------------------------------------------------------ */

/* An answer's bytes (the whole CKAN envelope), shared by the store and the replies that are
 * still being sent: freed with the last reference. */
struct body {
    atomic_int refs;
    size_t len;
    char *data;
    uint64_t hash; /* util_hash64 of data: the ETag */
};

/* The store: a hash table of entries, with a list from the most to the least recently used. */
struct entry {
    char *key;
    uint64_t hash, gen;
    struct body *body;
    struct entry *hnext;         /* the next in its bucket */
    struct entry *newer, *older; /* the use list */
};

static struct {
    pthread_mutex_t mu;
    struct entry **buckets; /* nbuckets (a power of two) chains */
    size_t nbuckets, count, bytes;
    struct entry *newest, *oldest;
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
    return e->body->len + strlen(e->key) + 1 + sizeof(*e);
}

static struct entry **bucket_of(uint64_t hash)
{
    return &store.buckets[hash & (store.nbuckets - 1)];
}

static struct entry *store_find(const char *key, uint64_t hash)
{
    if (!store.buckets)
        return NULL;
    for (struct entry *e = *bucket_of(hash); e; e = e->hnext)
        if (e->hash == hash && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static void use_unlink(struct entry *e)
{
    *(e->newer ? &e->newer->older : &store.newest) = e->older;
    *(e->older ? &e->older->newer : &store.oldest) = e->newer;
    e->newer = e->older = NULL;
}

static void use_front(struct entry *e)
{
    e->older = store.newest;
    e->newer = NULL;
    *(store.newest ? &store.newest->newer : &store.oldest) = e;
    store.newest = e;
}

static void entry_remove(struct entry *e)
{
    for (struct entry **p = bucket_of(e->hash); *p; p = &(*p)->hnext)
        if (*p == e) {
            *p = e->hnext;
            break;
        }
    use_unlink(e);
    store.bytes -= entry_size(e);
    store.count--;
    body_unref(e->body);
    free(e->key);
    free(e);
}

/* Twice the buckets once there are more entries than buckets. */
static void store_grow(void)
{
    size_t n = store.nbuckets ? store.nbuckets * 2 : 16;
    struct entry **old = store.buckets;
    size_t oldn = store.nbuckets;
    store.buckets = xcalloc(n, sizeof(*store.buckets));
    store.nbuckets = n;
    for (size_t i = 0; i < oldn; i++)
        for (struct entry *e = old[i], *next; e; e = next) {
            next = e->hnext;
            struct entry **b = bucket_of(e->hash);
            e->hnext = *b;
            *b = e;
        }
    free(old);
}

/* The body kept under key, referenced, if it was computed under generation gen or a later one
 * (a later one holds every change gen does, since generations follow the commit order). */
static struct body *store_get(const char *key, uint64_t hash, uint64_t gen)
{
    struct body *b = NULL;
    pthread_mutex_lock(&store.mu);
    struct entry *e = store_find(key, hash);
    if (e && e->gen >= gen) {
        use_unlink(e);
        use_front(e);
        b = e->body;
        atomic_fetch_add(&b->refs, 1);
    }
    pthread_mutex_unlock(&store.mu);
    return b;
}

/* Keep b under key unless a newer generation is kept already; evict the least recently used
 * entries to stay within --search-cache-mb. */
static void store_put(const char *key, uint64_t hash, uint64_t gen, struct body *b)
{
    size_t size = b->len + strlen(key) + 1 + sizeof(struct entry);
    if (b->len > SCACHE_ENTRY_MAX || size > g_budget)
        return;
    pthread_mutex_lock(&store.mu);
    struct entry *old = store_find(key, hash);
    if (old && old->gen > gen) {
        pthread_mutex_unlock(&store.mu);
        return;
    }
    if (old)
        entry_remove(old);
    while (store.oldest && store.bytes + size > g_budget)
        entry_remove(store.oldest);
    if (store.count >= store.nbuckets)
        store_grow();
    struct entry *e = xcalloc(1, sizeof(*e));
    e->key = xstrdup(key);
    e->hash = hash;
    e->gen = gen;
    e->body = b;
    atomic_fetch_add(&b->refs, 1);
    struct entry **bk = bucket_of(hash);
    e->hnext = *bk;
    *bk = e;
    use_front(e);
    store.count++;
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
    int reading;                      /* reads of the generation on their way */
    struct waiter *next, **next_tail; /* the requests that arrived since the last was sent */
    struct flight *flights;
};

static bool scache_init(const struct config *cfg, char **err)
{
    (void)err;
    g_budget = (size_t)cfg->search_cache_mb << 20;
    dbp_register(&st_gen);
    return true;
}

bool scache_enabled(void)
{
    return g_budget > 0;
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
                req_db_error(w->r, err);
        }
        free(f);
        return;
    }
    struct req *r = w->r;
    uint64_t gen = PQnfields(res) == 2 ? strtoull(PQgetvalue(res, 0, 1), NULL, 10) : 0;
    size_t len;
    /* the family's envelope: the same for every request of one key */
    char *text = r->fam->env->ok(r, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), &len);
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
            req_db_error(w->r, err);
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
    struct scache_thread *t = srv_thread_state(r->thr, &scache_family);
    struct waiter *w = arena_alloc(r->a, sizeof(*w));
    *w = (struct waiter){.r = r, .key = key, .hash = fnv1a(key), .build = build, .arg = arg};
    *t->next_tail = w;
    t->next_tail = &w->next;
    if (t->reading < SCACHE_READS)
        read_gen(t);
    return REQ_ASYNC;
}

static void *scache_thread_new(struct srv_thread *thr)
{
    (void)thr;
    struct scache_thread *t = xcalloc(1, sizeof(*t));
    t->next_tail = &t->next;
    return t;
}

/* Once the thread's loop has ended, when no request waits any more. */
static void scache_thread_free(void *state)
{
    struct scache_thread *t = state;
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

const struct srv_family scache_family = {
    .name = "scache",
    .init = scache_init,
    .thread_new = scache_thread_new,
    .thread_free = scache_thread_free,
};
