/* db_policy — the pool's decisions, pure (see db_policy.h). */
#include "db_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int dbpol_backoff_ms(int failures)
{
    return failures > 6 ? 2000 : 30 << failures;
}

bool dbpol_should_grow(const struct dbpol_pool *p, int64_t now_us, int64_t *recheck_us)
{
    *recheck_us = 0;
    if (p->nwaiting <= 0 || p->connecting >= p->nwaiting)
        return false;
    if (p->failures > 0 && now_us < p->next_retry_us)
        return false; /* after a failed attempt, wait out the backoff: waiters fail fast */
    if (p->youngest_us < 0 || p->youngest_us >= DB_SLOW_US)
        return true;
    *recheck_us = DB_SLOW_US - p->youngest_us;
    return false;
}

uint64_t dbpol_sql_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

int dbpol_dyn_find(struct dbpol_dyn *d, const char *sql, uint64_t h, bool *hit)
{
    int lru = 0;
    for (int i = 0; i < DB_DYN_STMTS; i++) {
        struct dbpol_dyn_slot *s = &d->slot[i];
        if (s->sql && s->hash == h && strcmp(s->sql, sql) == 0) {
            s->used = ++d->tick;
            *hit = true;
            return i;
        }
        struct dbpol_dyn_slot *best = &d->slot[lru];
        if (best->sql && (!s->sql || s->used < best->used))
            lru = i; /* a free slot, else the least recently used */
    }
    *hit = false;
    return lru;
}

void dbpol_dyn_name(struct dbpol_dyn *d, int i, uint64_t h)
{
    snprintf(d->slot[i].name, sizeof(d->slot[i].name), "dyn%u", ++d->seq);
    d->slot[i].hash = h;
}

void dbpol_dyn_keep(struct dbpol_dyn *d, int i, const char *sql)
{
    d->slot[i].sql = xstrdup(sql);
    d->slot[i].used = ++d->tick;
}

void dbpol_dyn_forget(struct dbpol_dyn *d, int i)
{
    free(d->slot[i].sql);
    d->slot[i].sql = NULL;
}

void dbpol_dyn_clear(struct dbpol_dyn *d)
{
    for (int i = 0; i < DB_DYN_STMTS; i++)
        dbpol_dyn_forget(d, i);
}
