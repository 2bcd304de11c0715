/* ds_cache — a thread's copies of datastore table bookkeeping, pure (see ds_cache.h). */
#include "ds_cache.h"

#include <stdlib.h>
#include <string.h>

#include "ds_read.h"
#include "util.h"

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
    }
    free(t->fields);
    free((char *)t->t.table);
    free((char *)t->t.search_expr);
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
