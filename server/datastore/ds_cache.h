/* ds_cache — a thread's copies of datastore table bookkeeping (ds_read.c), pure: a table of at
 * most DSR_TABLES_MAX copies keyed by resource id, the least recently used replaced. A copy is
 * taken as is; whether it is still current is for the read's statement to check (its
 * generation, sql/014): a stale one is dropped and read again. Unit-tested in
 * tests/unit/test_ds_cache.c. */
#ifndef DS_CACHE_H
#define DS_CACHE_H
#include <stdbool.h>
#include <stdint.h>

#include "sqlbuild.h"

#define DSR_TABLES_MAX 64

/* A table's bookkeeping at one generation (all strings malloc'd, owned by the copy). */
struct dsr_table {
    char *rid;
    long long generation;
    bool usable; /* false: a field without id or type, or two with one id (the SQL decides) */
    struct sqlb_table t;
    struct sqlb_field *fields;
    uint64_t used;
};

struct dsr_cache {
    struct dsr_table *tables[DSR_TABLES_MAX];
    uint64_t uses;
};

/* (dsr_cache_new and dsr_cache_free: ds_read.h.) */
/* The copy of rid's bookkeeping, or NULL; it counts as just used. */
struct dsr_table *dsr_cache_get(struct dsr_cache *c, const char *rid);
/* Keep t (taken over), replacing the copy of the same resource, else the least recently used
 * one when the table is full. */
void dsr_cache_put(struct dsr_cache *c, struct dsr_table *t);
/* Forget rid's copy (it went stale), if any. */
void dsr_cache_drop(struct dsr_cache *c, const char *rid);
/* Free one copy and what it owns (NULL: nothing). */
void dsr_table_free(struct dsr_table *t);

#endif
