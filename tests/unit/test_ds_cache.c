/* Unit tests for server/datastore/ds_cache.c: the copy made from DSR_TABLE_SQL's rows (a
 * result built with libpq's PQsetvalue), and ds_read's per-thread copies of datastore
 * bookkeeping — hits and misses, a newer generation replacing the copy of its resource, a
 * stale copy dropped, the least recently used copy evicted when 64 are kept. */
#include "../../server/core/util.c"
#include "../../server/datastore/ds_cache.c"
#include "testh.h"

/* A copy of rid's bookkeeping at generation gen, with two fields (as table_from makes them). */
static struct dsr_table *copy(const char *rid, long long gen)
{
    struct dsr_table *t = xcalloc(1, sizeof(*t));
    t->rid = xstrdup(rid);
    t->generation = gen;
    t->usable = true;
    t->t.table = xasprintf("ds_%s_%lld", rid, gen);
    t->t.search_expr = NULL;
    t->fields = xcalloc(3, sizeof(*t->fields));
    t->t.fields = t->fields;
    t->t.nfields = 2;
    for (int i = 0; i < 2; i++) {
        t->fields[i].id = xasprintf("f%d", i);
        t->fields[i].type = xstrdup("text");
        t->fields[i].tw_json = xstrdup("{}");
        t->fields[i].ckan_json = xstrdup("{}");
    }
    return t;
}

static int count(const struct dsr_cache *c)
{
    int n = 0;
    for (int i = 0; i < DSR_TABLES_MAX; i++)
        n += c->tables[i] != NULL;
    return n;
}

static void test_hit_miss_generation(void)
{
    struct dsr_cache *c = dsr_cache_new();
    T_CHECK(!dsr_cache_get(c, "r1"), "empty: a miss");
    dsr_cache_put(c, copy("r1", 1));
    dsr_cache_put(c, copy("r2", 5));
    struct dsr_table *t = dsr_cache_get(c, "r1");
    T_CHECK(t && t->generation == 1 && strcmp(t->t.table, "ds_r1_1") == 0, "a hit");
    T_CHECK(!dsr_cache_get(c, "R1"), "ids compared exactly");
    T_CHECK(!dsr_cache_get(c, "r"), "no prefix match");

    /* An import moved r1 on: the read's statement found the copy stale, which is dropped; the
     * next request reads the bookkeeping again and keeps the new generation. */
    dsr_cache_drop(c, "r1");
    T_CHECK(!dsr_cache_get(c, "r1"), "dropped: a miss");
    T_CHECK(count(c) == 1, "r2 stays");
    dsr_cache_drop(c, "r1");
    dsr_cache_drop(c, "nothing");
    T_CHECK(count(c) == 1, "dropping what is not kept changes nothing");
    dsr_cache_put(c, copy("r1", 2));
    t = dsr_cache_get(c, "r1");
    T_CHECK(t && t->generation == 2, "the new generation is kept");

    /* Two requests that both missed put a copy each: the later replaces the earlier. */
    dsr_cache_put(c, copy("r1", 3));
    t = dsr_cache_get(c, "r1");
    T_CHECK(t && t->generation == 3 && count(c) == 2, "one copy per resource (%d kept)", count(c));
    t = dsr_cache_get(c, "r2");
    T_CHECK(t && t->generation == 5, "the other resource untouched");
    dsr_cache_free(c);
}

static void test_eviction(void)
{
    struct dsr_cache *c = dsr_cache_new();
    char rid[16];
    for (int i = 0; i < DSR_TABLES_MAX; i++) {
        snprintf(rid, sizeof(rid), "r%d", i);
        dsr_cache_put(c, copy(rid, i));
    }
    T_CHECK(count(c) == DSR_TABLES_MAX, "full: %d", count(c));
    T_CHECK(dsr_cache_get(c, "r0") && dsr_cache_get(c, "r2"), "r0 and r2 used again");

    /* r1 is now the least recently used. */
    dsr_cache_put(c, copy("new1", 100));
    T_CHECK(count(c) == DSR_TABLES_MAX, "still %d", count(c));
    T_CHECK(!dsr_cache_get(c, "r1"), "the least recently used went");
    T_CHECK(dsr_cache_get(c, "r0") && dsr_cache_get(c, "r2") && dsr_cache_get(c, "new1"),
            "the recently used stay");
    dsr_cache_put(c, copy("new2", 101));
    T_CHECK(!dsr_cache_get(c, "r3") && dsr_cache_get(c, "r4"), "then the next oldest (r3)");

    /* Replacing a kept resource evicts nothing. */
    dsr_cache_put(c, copy("r5", 200));
    T_CHECK(count(c) == DSR_TABLES_MAX && dsr_cache_get(c, "r6"), "a replacement evicts nothing");
    struct dsr_table *t = dsr_cache_get(c, "r5");
    T_CHECK(t && t->generation == 200, "r5 at its new generation");

    /* A dropped copy leaves a free slot, taken before anything is evicted. */
    dsr_cache_drop(c, "r7");
    dsr_cache_put(c, copy("new3", 102));
    T_CHECK(count(c) == DSR_TABLES_MAX && dsr_cache_get(c, "r8"), "the free slot is used first");
    dsr_cache_free(c);
    dsr_cache_free(NULL);
    dsr_table_free(NULL);
}

/* A result shaped as DSR_TABLE_SQL's: rows of {generation, table, search_expr, row_count,
 * max_id, n, id, type, tw_json, ckan_json, data_version, modified µs, original header}; NULL
 * cells are NULLs. The place columns after them (geo_lat, geo_lon, geo_expr: NULL; geo_indexed:
 * "f") are the same for every row. */
static PGresult *meta_result(int nrows, const char *const (*rows)[13])
{
    static const char *const names[17] = {
        "generation", "table_name", "search_expr", "row_count",    "max_id",   "n",     "id",
        "type",       "tw",         "ckan",        "data_version", "modified", "header",
        "geo_lat",    "geo_lon",    "geo_expr",    "geo_indexed"};
    PGresAttDesc att[17];
    memset(att, 0, sizeof(att));
    for (int i = 0; i < 17; i++) {
        att[i].name = (char *)names[i];
        att[i].format = 0;
        att[i].typlen = -1;
        att[i].atttypmod = -1;
    }
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    PQsetResultAttrs(res, 17, att);
    for (int r = 0; r < nrows; r++)
        for (int c = 0; c < 17; c++) {
            const char *v = c < 13 ? rows[r][c] : c == 16 ? "f" : NULL;
            PQsetvalue(res, r, c, (char *)v, v ? (int)strlen(v) : -1);
        }
    return res;
}

static void test_table_from(void)
{
    static const char *const two[2][13] = {
        {"42", "r_ab", "\"a\"::text", "500", "510", "1", "a", "text", "{tw a}", "{ck a}", "3",
         "1700000000000000", " a (as in the file)"},
        {"42", "r_ab", "\"a\"::text", "500", "510", "2", "b", "int4", "{tw b}", "{ck b}", "3",
         "1700000000000000", NULL},
    };
    PGresult *res = meta_result(2, two);
    struct dsr_table *t = dsr_table_from("rid-1", res);
    T_CHECK(t->usable && strcmp(t->rid, "rid-1") == 0 && t->generation == 42 &&
                t->data_version == 3 && t->modified_us == 1700000000000000LL, "row values");
    T_CHECK(strcmp(t->t.table, "r_ab") == 0 && strcmp(t->t.search_expr, "\"a\"::text") == 0 &&
                t->t.row_count == 500 && t->t.max_id == 510, "table values");
    T_CHECK(t->t.nfields == 2 && strcmp(t->t.fields[1].id, "b") == 0 &&
                strcmp(t->t.fields[1].type, "int4") == 0 &&
                strcmp(t->t.fields[0].tw_json, "{tw a}") == 0 &&
                strcmp(t->t.fields[0].ckan_json, "{ck a}") == 0, "fields in order");
    T_CHECK(strcmp(t->t.fields[0].header, " a (as in the file)") == 0 &&
                t->t.fields[1].header == NULL,
            "the file's headers, where recorded");
    dsr_table_free(t);
    PQclear(res);
    /* a table without fields: one row, n NULL; no search expression */
    static const char *const none[1][13] = {
        {"7", "t", NULL, "0", "0", NULL, NULL, NULL, NULL, NULL, "1", "0", NULL}};
    res = meta_result(1, none);
    t = dsr_table_from("r", res);
    T_CHECK(t->usable && t->t.nfields == 0 && !t->t.search_expr, "no fields");
    dsr_table_free(t);
    PQclear(res);
    /* a field without a type cannot be named by a statement */
    static const char *const bad[1][13] = {
        {"7", "t", NULL, "1", "1", "1", "a", NULL, "{}", "{}", "1", "0", NULL}};
    res = meta_result(1, bad);
    t = dsr_table_from("r", res);
    T_CHECK(!t->usable, "a field without a type: unusable");
    dsr_table_free(t);
    PQclear(res);
}

int main(void)
{
    test_table_from();
    test_hit_miss_generation();
    test_eviction();
    T_DONE();
}
