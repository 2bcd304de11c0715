/* Unit tests for server/core/db_policy.c: the database pool's decisions without a database —
 * the grow rule (another connection only when every busy one has run a query for 10 ms or
 * more), the backoff after failed connection attempts, and the LRU of 32 prepared SQL texts
 * per connection. */
#include "../../server/core/db_policy.c"
#include "../../server/core/log.c"
#include "../../server/core/util.c"
#include "testh.h"

static void test_backoff(void)
{
    static const int want[] = {0, 60, 120, 240, 480, 960, 1920, 2000, 2000, 2000};
    for (int f = 1; f < (int)ARRAY_LEN(want); f++)
        T_CHECK(dbpol_backoff_ms(f) == want[f], "failures %d: %d ms, want %d", f,
                dbpol_backoff_ms(f), want[f]);
    T_CHECK(dbpol_backoff_ms(1000) == 2000, "capped at 2 s");
}

static void test_grow(void)
{
    const int64_t now = 1000000000;
    static const struct {
        const char *what;
        struct dbpol_pool p;
        bool grow;
        int64_t recheck;
    } cases[] = {
        {"nobody waits", {0, 0, 0, 0, -1}, false, 0},
        {"nobody waits, all slow", {0, 0, 0, 0, DB_SLOW_US * 10}, false, 0},
        {"none open or busy: grow", {1, 0, 0, 0, -1}, true, 0},
        {"one opening for the one waiter", {1, 1, 0, 0, -1}, false, 0},
        {"more waiters than openings", {3, 2, 0, 0, -1}, true, 0},
        {"every busy query slow: grow", {1, 0, 0, 0, DB_SLOW_US}, true, 0},
        {"a long one", {5, 0, 0, 0, 60 * 1000000LL}, true, 0},
        {"a busy query is young: wait", {1, 0, 0, 0, 0}, false, DB_SLOW_US},
        {"re-check once it would be slow", {1, 0, 0, 0, 7000}, false, DB_SLOW_US - 7000},
        {"just under the mark", {1, 0, 0, 0, DB_SLOW_US - 1}, false, 1},
        {"young, and enough opening", {2, 2, 0, 0, 0}, false, 0},
        {"backoff not over", {4, 0, 2, now + 1, -1}, false, 0},
        {"backoff not over, slow", {4, 0, 2, now + 1, DB_SLOW_US}, false, 0},
        {"backoff over", {4, 0, 2, now, -1}, true, 0},
        {"a past retry time without failures", {4, 0, 0, now + 5000, -1}, true, 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        int64_t recheck = -7;
        bool grow = dbpol_should_grow(&cases[i].p, now, &recheck);
        T_CHECK(grow == cases[i].grow && recheck == cases[i].recheck,
                "%s: grow %d recheck %lld, want %d %lld", cases[i].what, grow, (long long)recheck,
                cases[i].grow, (long long)cases[i].recheck);
    }
}

/* One dbp_exec_sql_prepared of sql on a connection, as conn_send_dyn and conn_step_done walk
 * it: "hit NAME", "new NAME", or "evict OLD new NAME". */
static const char *use(struct dbpol_dyn *d, const char *sql, char *buf, size_t n)
{
    uint64_t h = dbpol_sql_hash(sql);
    bool hit;
    int i = dbpol_dyn_find(d, sql, h, &hit);
    if (hit) {
        snprintf(buf, n, "hit %s", d->slot[i].name);
        return buf;
    }
    char old[32] = "";
    if (d->slot[i].sql) { /* DEALLOCATE, then the lookup again */
        snprintf(old, sizeof(old), "evict %s ", d->slot[i].name);
        dbpol_dyn_forget(d, i);
        int j = dbpol_dyn_find(d, sql, h, &hit);
        T_CHECK(!hit && j == i, "%s: the freed slot %d is taken, got %d", sql, i, j);
    }
    dbpol_dyn_name(d, i, h);
    dbpol_dyn_keep(d, i, sql);
    snprintf(buf, n, "%snew %s", old, d->slot[i].name);
    return buf;
}

static int dyn_count(const struct dbpol_dyn *d)
{
    int n = 0;
    for (int i = 0; i < DB_DYN_STMTS; i++)
        n += d->slot[i].sql != NULL;
    return n;
}

/* T_STREQ evaluates its arguments more than once: use() runs once, before it. */
#define T_USE(sql, want, what)                                                                     \
    do {                                                                                           \
        const char *got_ = use(&d, (sql), buf, sizeof(buf));                                       \
        T_STREQ(got_, (want), (what));                                                             \
    } while (0)

static void test_lru(void)
{
    struct dbpol_dyn d = {0};
    char buf[64], sql[32], want[64];
    for (int i = 1; i <= DB_DYN_STMTS; i++) {
        snprintf(sql, sizeof(sql), "SELECT %d", i);
        snprintf(want, sizeof(want), "new dyn%d", i);
        const char *got = use(&d, sql, buf, sizeof(buf)), *w = want;
        T_STREQ(got, w, sql);
    }
    T_CHECK(dyn_count(&d) == 32, "32 texts kept, got %d", dyn_count(&d));
    T_USE("SELECT 1", "hit dyn1", "a kept text runs as is");
    T_USE("SELECT 17", "hit dyn17", "another");

    /* The 33rd text replaces the least recently used: SELECT 2 (1 was used again). */
    T_USE("SELECT 33", "evict dyn2 new dyn33", "33rd text");
    T_CHECK(dyn_count(&d) == 32, "still 32, got %d", dyn_count(&d));
    T_USE("SELECT 34", "evict dyn3 new dyn34", "then the next");
    T_USE("SELECT 2", "evict dyn4 new dyn35", "an evicted text is prepared again under a new name");
    T_USE("SELECT 1", "hit dyn1", "a used one stays");
    T_USE("SELECT 33", "hit dyn33", "the new one stays");

    /* Texts are compared whole, not by hash alone. */
    T_CHECK(dbpol_sql_hash("SELECT 1") != dbpol_sql_hash("SELECT 2"), "hashes differ");
    d.slot[0].hash = dbpol_sql_hash("SELECT 99"); /* a forged collision with slot 0 (SELECT 1) */
    bool hit;
    (void)dbpol_dyn_find(&d, "SELECT 99", dbpol_sql_hash("SELECT 99"), &hit);
    T_CHECK(!hit, "same hash, other text: a miss");

    dbpol_dyn_clear(&d);
    T_CHECK(dyn_count(&d) == 0, "cleared");
    T_USE("SELECT 1", "new dyn36", "names stay unique on the connection");
    dbpol_dyn_clear(&d);
}

int main(void)
{
    test_backoff();
    test_grow();
    test_lru();
    T_DONE();
}
