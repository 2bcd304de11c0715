/* ds_cache — datastore table bookkeeping: the copy made from its rows, a thread's copies. */
#include "ds_cache.h"

#include <stdlib.h>
#include <string.h>

#include "ds_read.h"
#include "util.h"

enum {
    M_GEN,
    M_TABLE,
    M_SEARCH,
    M_ROWS,
    M_MAXID,
    M_N,
    M_ID,
    M_TYPE,
    M_TW,
    M_CKAN,
    M_VERSION,
    M_MODIFIED,
    M_HEADER,
    M_GEO_LAT,
    M_GEO_LON,
    M_GEO_EXPR,
    M_GEO_INDEXED
};

static char *value_dup(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : xstrdup(PQgetvalue(res, row, col));
}

struct dsr_table *dsr_table_from(const char *rid, const PGresult *res)
{
    struct dsr_table *t = xcalloc(1, sizeof(*t));
    int n = PQgetisnull(res, 0, M_N) ? 0 : PQntuples(res);
    t->rid = xstrdup(rid);
    t->generation = strtoll(PQgetvalue(res, 0, M_GEN), NULL, 10);
    t->data_version = strtoll(PQgetvalue(res, 0, M_VERSION), NULL, 10);
    t->modified_us = strtoll(PQgetvalue(res, 0, M_MODIFIED), NULL, 10);
    t->t.table = xstrdup(PQgetvalue(res, 0, M_TABLE));
    t->t.search_expr = value_dup(res, 0, M_SEARCH);
    t->t.row_count = strtoll(PQgetvalue(res, 0, M_ROWS), NULL, 10);
    t->t.max_id = strtoll(PQgetvalue(res, 0, M_MAXID), NULL, 10);
    t->t.geo_lat = value_dup(res, 0, M_GEO_LAT);
    t->t.geo_lon = value_dup(res, 0, M_GEO_LON);
    t->t.geo_expr = value_dup(res, 0, M_GEO_EXPR);
    const char *indexed = PQgetvalue(res, 0, M_GEO_INDEXED); /* NULL: no such column */
    t->t.geo_indexed = indexed && strcmp(indexed, "t") == 0;
    t->fields = xcalloc((size_t)n + 1, sizeof(*t->fields));
    t->t.fields = t->fields;
    t->t.nfields = n;
    t->usable = true;
    for (int i = 0; i < n; i++) {
        struct sqlb_field *f = &t->fields[i];
        f->id = value_dup(res, i, M_ID);
        f->type = value_dup(res, i, M_TYPE);
        f->tw_json = value_dup(res, i, M_TW);
        f->ckan_json = value_dup(res, i, M_CKAN);
        f->header = value_dup(res, i, M_HEADER); /* NULL: none recorded */
        t->usable = t->usable && f->id && f->type && f->tw_json && f->ckan_json;
    }
    return t;
}

struct dsr_cache *dsr_cache_new(void)
{
    return xcalloc(1, sizeof(struct dsr_cache));
}

void dsr_table_free(struct dsr_table *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->t.nfields; i++) {
        free((char *)t->fields[i].id);
        free((char *)t->fields[i].type);
        free((char *)t->fields[i].tw_json);
        free((char *)t->fields[i].ckan_json);
        free((char *)t->fields[i].header);
    }
    free(t->fields);
    free((char *)t->t.table);
    free((char *)t->t.search_expr);
    free((char *)t->t.geo_lat);
    free((char *)t->t.geo_lon);
    free((char *)t->t.geo_expr);
    free(t->rid);
    free(t);
}

void dsr_cache_free(struct dsr_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < DSR_TABLES_MAX; i++)
        dsr_table_free(c->tables[i]);
    free(c);
}

static int cache_slot(const struct dsr_cache *c, const char *rid)
{
    for (int i = 0; i < DSR_TABLES_MAX; i++)
        if (c->tables[i] && strcmp(c->tables[i]->rid, rid) == 0)
            return i;
    return -1;
}

struct dsr_table *dsr_cache_get(struct dsr_cache *c, const char *rid)
{
    int i = cache_slot(c, rid);
    if (i < 0)
        return NULL;
    c->tables[i]->used = ++c->uses;
    return c->tables[i];
}

void dsr_cache_put(struct dsr_cache *c, struct dsr_table *t)
{
    int i = cache_slot(c, t->rid);
    for (int j = 0; j < DSR_TABLES_MAX && i < 0; j++)
        if (!c->tables[j])
            i = j;
    if (i < 0) {
        i = 0;
        for (int j = 1; j < DSR_TABLES_MAX; j++)
            if (c->tables[j]->used < c->tables[i]->used)
                i = j;
    }
    dsr_table_free(c->tables[i]);
    t->used = ++c->uses;
    c->tables[i] = t;
}

void dsr_cache_drop(struct dsr_cache *c, const char *rid)
{
    int i = cache_slot(c, rid);
    if (i >= 0) {
        dsr_table_free(c->tables[i]);
        c->tables[i] = NULL;
    }
}
