/* ds_read — datastore reads (Taiwan endpoint 7, CKAN datastore_search) as one prepared statement
 * per request shape. Each thread keeps a copy of the bookkeeping of the tables it read lately
 * (field list, table name, generation); sqlbuild.c turns a request into SQL text from it, with
 * every value a $n parameter, and the pool keeps that text prepared on each connection. The
 * statement itself checks that the caller may read the resource and that the bookkeeping is still
 * at the copy's generation (sql/migrations/014), so a request that starts after an import committed
 * never uses an old field list. Whatever the statement does not answer (an unknown field, a
 * malformed value, a caller who may not read, a copy gone stale) goes to the SQL function
 * (tw_datastore, ckan_datastore_search), which gives the same bytes and the errors. */
#ifndef DS_READ_H
#define DS_READ_H
#include "util.h"
#include <stdbool.h>

struct req;
struct db_stmt;
struct sqlb_read;
struct dsr_cache;

/* Register the statements (before any pool starts); prepared: --datastore-prepared. */
void dsr_init(bool prepared);

/* A thread's copies of table bookkeeping (at most DSR_TABLES_MAX, least recently used out). */
struct dsr_cache *dsr_cache_new(void);
void dsr_cache_free(struct dsr_cache *c);

/* Answer the read q of resource q->rid (q and what it points to must live as long as r; its
 * generation is filled in here) with the whole result as the SQL function returns it, in r's
 * envelope; fallback with fallback_params is that SQL function. Returns REQ_ASYNC or
 * REQ_DONE. */
int dsr_read(struct req *r, const struct sqlb_read *q, const struct db_stmt *fallback,
             const char *const *fallback_params) MUSTCHECK;

#endif
