/* ds_read — datastore reads (Taiwan endpoint 7, CKAN datastore_search) as one statement per
 * request shape. Each thread keeps a copy of the bookkeeping of the tables it read lately
 * (field list, table name, generation: ds_cache.c); sqlbuild.c turns a request into SQL text from
 * it, with every value a $n parameter, and the pool keeps that text prepared on each connection
 * (--datastore-prepared; false runs the same text unprepared). The statement itself checks that
 * the caller may read the resource and that the bookkeeping is still at the copy's generation
 * (sql/migrations/014), so a request that starts after an import committed never uses an old
 * field list. When it answers nothing (a caller who may not read, a copy gone stale) or fails, or
 * a copy does not know a field the request names, the bookkeeping is read again through ds_table,
 * which answers not found and forbidden, and the statement is built from the new copy. */
#ifndef DS_READ_H
#define DS_READ_H
#include "util.h"
#include <stdbool.h>

struct req;
struct sqlb_read;
struct sqlb_near;
struct dsr_cache;

/* Register the statements (before any pool starts); prepared: --datastore-prepared. */
void dsr_init(bool prepared);

/* A thread's copies of table bookkeeping (at most DSR_TABLES_MAX, least recently used out). */
struct dsr_cache *dsr_cache_new(void);
void dsr_cache_free(struct dsr_cache *c);

/* Answer the read q of resource q->rid (q and what it points to must live as long as r; its
 * generation is filled in here) with the whole result, in r's envelope; input refused and
 * database errors are answered there too. Returns REQ_ASYNC or REQ_DONE. */
int dsr_read(struct req *r, const struct sqlb_read *q) MUSTCHECK;
/* The same for the nearest search q (sqlbuild.h's sqlb_near), through the same copies. */
int dsr_nearest(struct req *r, const struct sqlb_near *q) MUSTCHECK;

#endif
