/* ds_cache — datastore table bookkeeping as the SELECT generator (sqlbuild.c) needs it: the
 * statement that reads it through ds_table (the permission check: OD100/OD403), the copy made
 * from its rows (the reads' and the dumps'), and a thread's copies (ds_read.c): a table of at
 * most DSR_TABLES_MAX copies keyed by resource id, the least recently used replaced. A copy is
 * taken as is; whether it is still current is for the read's statement to check (its
 * generation, sql/014): a stale one is read again. No connection here, only results; unit-tested
 * in tests/unit/test_ds_cache.c. */
#ifndef DS_CACHE_H
#define DS_CACHE_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "sqlbuild.h"

/* The bookkeeping of resource $1 for caller $2 (a ckan_viewer, NULL: anonymous), with each
 * field's entry in the APIs' field lists as PostgreSQL renders it: one row per field in table
 * order, or one row with n NULL when the table has none; then where its rows are
 * (ds_geo_fields, and whether the spatial index exists). OD100/OD403 (ds_table) when the
 * resource has no data or the caller may not read it. */
#define DSR_TABLE_SQL                                                                           \
    "SELECT d.generation, d.table_name, d.search_expr, d.row_count, d.max_id, e.n, "            \
    "f->>'id', f->>'type', json_build_object('type', f->>'type', 'id', f->>'id')::text, "       \
    "(jsonb_build_object('id', f->>'id', 'type', f->>'type') || CASE WHEN f ? 'info' "          \
    "THEN jsonb_build_object('info', f->'info') ELSE '{}' END)::text, d.data_version, "         \
    "(extract(epoch FROM d.modified) * 1000000)::int8, f->'info'->>'original_header', "         \
    "g.lat, g.lon, g.expr, "                                                                    \
    "to_regclass(format('datastore.%I', d.table_name || '_geo')) IS NOT NULL "                  \
    "FROM ds_table($1, $2::ckan_viewer) d CROSS JOIN LATERAL ds_geo_fields(d.fields) g "        \
    "LEFT JOIN LATERAL jsonb_array_elements(d.fields) WITH ORDINALITY e(f, n) ON true "         \
    "ORDER BY e.n"

#define DSR_TABLES_MAX 64

/* A table's bookkeeping at one generation (all strings malloc'd, owned by the copy). */
struct dsr_table {
    char *rid;
    long long generation;
    long long data_version, modified_us;
    bool usable; /* false: a field without id or type (no statement can name it) */
    struct sqlb_table t;
    struct sqlb_field *fields;
    uint64_t used;
};

struct dsr_cache {
    struct dsr_table *tables[DSR_TABLES_MAX];
    uint64_t uses;
};

/* The copy of rid's bookkeeping in res (DSR_TABLE_SQL's rows, at least one). */
struct dsr_table *dsr_table_from(const char *rid, const PGresult *res);

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
