/* replica — read replicas: pools per thread, health checked by thread 0, shared. */
#include "replica.h"

#include <event2/event.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db_pool.h"
#include "log.h"

#define REP_CHECK_MS 1000

/* Whether it is still a standby, and its replay lag in seconds: 0 when it has replayed all it
 * received, else the time since the last transaction it replayed. */
static struct db_stmt st_lag = {
    "replica_lag",
    "SELECT pg_is_in_recovery(), CASE "
    "WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0 "
    "ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 1e9) END",
    0, 0};

enum rep_state { REP_UNKNOWN, REP_USABLE, REP_LAGGING, REP_AWAY, REP_PROMOTED };

struct rep_health {
    char *conninfo;
    atomic_bool usable;
    int state; /* thread 0's last logged state (enum rep_state) */
};

static struct rep_health *g_reps;
static int g_nreps;
static int g_max_lag_ms;

struct rep_check {
    struct rep_set *set;
    int i;
    bool running;
};

struct rep_set {
    struct dbp **pools;
    struct rep_check *checks; /* thread 0 only */
    struct event *ev_check;
    unsigned next;            /* round robin */
    bool closing;             /* checks ended by the stop: nothing to say */
};

int rep_init(const struct config *cfg)
{
    g_max_lag_ms = cfg->replica_max_lag;
    for (const char *p = cfg->db_replicas; p && *p;) {
        size_t n = strcspn(p, "\n");
        if (n) {
            g_reps = xrealloc(g_reps, (size_t)(g_nreps + 1) * sizeof(*g_reps));
            g_reps[g_nreps] = (struct rep_health){.conninfo = xstrndup(p, n)};
            atomic_init(&g_reps[g_nreps].usable, false);
            g_nreps++;
        }
        p += n + (p[n] == '\n');
    }
    if (g_nreps)
        dbp_register(&st_lag);
    return g_nreps;
}

/* Log a change of replica i's state (thread 0 only, so once per change). */
static void rep_note(int i, enum rep_state state, double lag_s, const char *why)
{
    struct rep_health *h = &g_reps[i];
    if (h->state == (int)state)
        return;
    if (state == REP_USABLE)
        log_info("replica %d takes reads (replay lag %.1f s)", i + 1, lag_s);
    else if (state == REP_LAGGING)
        log_warn("replica %d lags %.1f s (over %.1f s): its reads go elsewhere until it catches up",
                 i + 1, lag_s, g_max_lag_ms / 1000.0);
    else if (state == REP_PROMOTED)
        log_warn("replica %d is no standby any more (promoted): it takes no reads, its data may "
                 "part from the primary's", i + 1);
    else
        log_warn("replica %d is unavailable (%s): its reads go elsewhere until it answers",
                 i + 1, why);
    h->state = (int)state;
}

static void lag_done(void *arg, PGresult *res, const struct db_error *err)
{
    struct rep_check *c = arg;
    c->running = false;
    if (c->set->closing)
        return;
    enum rep_state state = REP_AWAY;
    double lag = 0;
    if (!err && PQntuples(res) == 1 && PQnfields(res) == 2) {
        lag = strtod(PQgetvalue(res, 0, 1), NULL);
        state = strcmp(PQgetvalue(res, 0, 0), "t") != 0 ? REP_PROMOTED
                : lag * 1000 <= g_max_lag_ms          ? REP_USABLE
                                                       : REP_LAGGING;
    }
    atomic_store(&g_reps[c->i].usable, state == REP_USABLE);
    rep_note(c->i, state, lag, err ? err->message : "no answer");
}

static void rep_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct rep_set *s = arg;
    for (int i = 0; i < g_nreps; i++) {
        struct rep_check *c = &s->checks[i];
        if (c->running)
            continue; /* a check still waiting: the replica is slow or away; it will say */
        c->running = dbp_exec(s->pools[i], &st_lag, NULL, lag_done, c) != NULL;
    }
    struct timeval tv = {REP_CHECK_MS / 1000, (REP_CHECK_MS % 1000) * 1000};
    evtimer_add(s->ev_check, &tv);
}

struct rep_set *rep_thread_new(struct event_base *base, int thread_index,
                               const struct dbp_options *o)
{
    if (!g_nreps)
        return NULL;
    struct rep_set *s = xcalloc(1, sizeof(*s));
    s->pools = xcalloc((size_t)g_nreps, sizeof(*s->pools));
    for (int i = 0; i < g_nreps; i++)
        s->pools[i] = dbp_new(base, g_reps[i].conninfo, o);
    if (thread_index == 0) {
        s->checks = xcalloc((size_t)g_nreps, sizeof(*s->checks));
        for (int i = 0; i < g_nreps; i++)
            s->checks[i] = (struct rep_check){s, i, false};
        s->ev_check = evtimer_new(base, rep_check, s);
        rep_check(-1, 0, s);
    }
    return s;
}

void rep_thread_free(struct rep_set *s)
{
    if (!s)
        return;
    if (s->ev_check)
        event_free(s->ev_check);
    s->closing = true;
    for (int i = 0; i < g_nreps; i++)
        dbp_free(s->pools[i]); /* ends the checks still running (their callbacks run) */
    free(s->checks);
    free(s->pools);
    free(s);
}

struct dbp *rep_pick(struct rep_set *s)
{
    if (!s)
        return NULL;
    for (int k = 0; k < g_nreps; k++) {
        int i = (int)(s->next++ % (unsigned)g_nreps);
        if (atomic_load(&g_reps[i].usable))
            return s->pools[i];
    }
    return NULL;
}

bool rep_is_replica(const struct rep_set *s, const struct dbp *p)
{
    for (int i = 0; s && i < g_nreps; i++)
        if (s->pools[i] == p)
            return true;
    return false;
}
