/* db_policy — the decisions of the database pool (db_pool.c), pure: no libpq, no event loop, so
 * they are unit-tested on their own (tests/unit/test_db_policy.c). When waiting jobs may open
 * another connection, how long to wait after failed connection attempts, and which of a
 * connection's prepared SQL texts (dbp_exec_sql_prepared) a new text replaces. */
#ifndef DB_POLICY_H
#define DB_POLICY_H
#include <stdbool.h>
#include <stdint.h>

/* A query running this long is "slow": only then may waiting requests open another connection.
 * Growing on mere queueing would add backends exactly when the CPUs are busiest. */
#define DB_SLOW_US (10 * 1000LL)
/* SQL texts built at run time kept prepared per connection (least recently used replaced). */
#define DB_DYN_STMTS 32

/* Milliseconds before the next connection attempt after `failures` (>= 1) consecutive failed
 * ones: 60, 120, 240, ... doubling, then 2 s from the seventh on. */
int dbpol_backoff_ms(int failures);

/* What pool_dispatch knows when jobs may be waiting. */
struct dbpol_pool {
    int nwaiting;          /* jobs in the wait queue */
    int connecting;        /* connections being opened */
    int failures;          /* consecutive failed connection attempts */
    int64_t next_retry_us; /* no attempt before this while failures > 0 */
    int64_t youngest_us;   /* how long the most recently started running query has run; -1:
                              no connection is running one */
};

/* Should one more connection be opened for the waiting jobs? Yes when none is open or every
 * open one is held by a slow query (the youngest has run DB_SLOW_US or more), unless enough are
 * being opened already or a failed attempt's backoff is not over. When the only reason is that
 * the busy queries are not slow yet, *recheck_us (else 0) is when to ask again. */
bool dbpol_should_grow(const struct dbpol_pool *p, int64_t now_us, int64_t *recheck_us);

/* A connection's prepared SQL texts: DB_DYN_STMTS slots, least recently used replaced. */
struct dbpol_dyn {
    struct dbpol_dyn_slot {
        uint64_t hash, used;
        char *sql; /* NULL: free slot */
        char name[24];
    } slot[DB_DYN_STMTS];
    uint64_t tick;
    unsigned seq;
};

/* FNV-1a of the text, to compare texts quickly. */
uint64_t dbpol_sql_hash(const char *s);
/* The slot holding sql (hash h): *hit, and the slot counts as just used. Otherwise the slot
 * for it: a free one, else the least recently used, whose statement must be deallocated
 * (dbpol_dyn_forget) before sql is prepared there (dbpol_dyn_name, then dbpol_dyn_keep). */
int dbpol_dyn_find(struct dbpol_dyn *d, const char *sql, uint64_t h, bool *hit);
/* Name free slot i for the text of hash h ("dynN", unique on the connection). */
void dbpol_dyn_name(struct dbpol_dyn *d, int i, uint64_t h);
/* sql is prepared in slot i now. */
void dbpol_dyn_keep(struct dbpol_dyn *d, int i, const char *sql);
/* Slot i's statement was deallocated: the slot is free. */
void dbpol_dyn_forget(struct dbpol_dyn *d, int i);
/* Free every slot's text (the connection is closed). */
void dbpol_dyn_clear(struct dbpol_dyn *d);

#endif
