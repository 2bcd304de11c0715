/* Unit tests for server/core/db_pool.c with no database: a conninfo no server answers, so the
 * pool's queue can be watched — jobs wait rather than run inside the call, the queue limit
 * refuses at once, a cancelled job is never called back, a failed connection attempt fails the
 * waiters (503) instead of leaving them hanging, and during the backoff that follows new jobs
 * fail on the next loop pass without another attempt. (Connections that work are covered by
 * the black-box tests in tests/api.) */
#include <event2/event.h>

#include "../../server/core/db_err.c"
#include "../../server/core/db_policy.c"
#include "../../server/core/db_pool.c"
#include "../../server/core/log.c"
#include "../../server/core/pgconn.c"
#include "../../server/core/util.c"
#include "testh.h"

struct outcome {
    int calls;
    enum db_error_kind kind;
    bool had_result;
};

static void done(void *arg, PGresult *res, const struct db_error *err)
{
    struct outcome *o = arg;
    o->calls++;
    o->had_result = res != NULL;
    o->kind = err ? err->kind : DBE_NONE;
}

/* Run the loop's ready callbacks (the pool's deferred dispatch), not its timers. */
static void spin(struct event_base *base)
{
    for (int i = 0; i < 5; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
}

static void test_queue_without_server(void)
{
    struct event_base *base = event_base_new();
    /* A socket directory that does not exist: every attempt fails at once, without a wait. */
    const struct dbp_options o = {.pool_min = 0,
                                  .pool_max = 2,
                                  .queue_max = 2,
                                  .connect_timeout_s = 1,
                                  .statement_timeout_ms = 1000};
    struct dbp *p = dbp_new(base, "host=/nonexistent/opendatad-unit port=1", &o);
    T_CHECK(dbp_open_count(p) == 0 && pool_connecting(p) == 0, "pool_min 0: nothing opened");

    struct outcome o1 = {0}, o2 = {0}, o3 = {0}, o4 = {0};
    struct dbp_job *j1 = dbp_exec_sql(p, "SELECT 1", 0, NULL, done, &o1);
    struct dbp_job *j2 = dbp_exec_sql_prepared(p, "SELECT 2", 0, NULL, done, &o2);
    T_CHECK(j1 && j2 && p->nwaiting == 2, "two jobs wait (%d)", p->nwaiting);
    T_CHECK(o1.calls == 0 && o2.calls == 0, "no callback inside the call");
    T_CHECK(!dbp_exec_sql(p, "SELECT 3", 0, NULL, done, &o3), "queue_max 2: the third is refused");
    T_CHECK(o3.calls == 0, "a refused job is never called back");

    dbp_cancel(j2);
    T_CHECK(p->nwaiting == 1, "a cancelled waiting job leaves the queue (%d)", p->nwaiting);
    struct dbp_job *j3 = dbp_exec_sql(p, "SELECT 3", 0, NULL, done, &o3);
    T_CHECK(j3 && p->nwaiting == 2, "room again after the cancel");
    T_CHECK(TAILQ_FIRST(&p->waiting) == j1 && TAILQ_NEXT(j1, link) == j3,
            "first come, first served");

    int64_t t0 = util_now_us();
    spin(base);
    T_CHECK(o1.calls == 1 && o1.kind == DBE_UNAVAILABLE && !o1.had_result,
            "a failed attempt fails the waiters: calls %d kind %d", o1.calls, o1.kind);
    T_CHECK(o3.calls == 1 && o3.kind == DBE_UNAVAILABLE, "both of them");
    T_CHECK(o2.calls == 0, "the cancelled job is not called back");
    T_CHECK(p->nwaiting == 0 && TAILQ_EMPTY(&p->waiting), "the queue is empty");
    T_CHECK(p->failures == 1, "one failed attempt counted (%d)", p->failures);
    int64_t wait = p->next_retry_us - t0;
    T_CHECK(wait >= 60000 && wait < 60000 + 5000000, "backoff of 60 ms after one failure (%lld us)",
            (long long)wait);
    T_CHECK(dbp_open_count(p) == 0 && pool_connecting(p) == 0, "no connection left behind");

    /* During the backoff: no new attempt, the waiter fails on the next pass. */
    if (util_now_us() < p->next_retry_us) {
        struct dbp_job *j4 = dbp_exec(p, &(struct db_stmt){"s", "SELECT 4", 0, 0}, NULL, done, &o4);
        T_CHECK(j4 && o4.calls == 0, "queued, not called back inside the call");
        spin(base);
        T_CHECK(o4.calls == 1 && o4.kind == DBE_UNAVAILABLE, "fails fast during the backoff");
        T_CHECK(p->failures == 1, "no attempt during the backoff (failures %d)", p->failures);
    }
    dbp_free(p);
    event_base_free(base);
}

int main(void)
{
    log_verbosity = -1; /* the failed attempts would be logged */
    test_queue_without_server();
    T_DONE();
}
