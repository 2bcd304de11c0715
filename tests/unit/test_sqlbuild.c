/* Unit tests for server/datastore/sqlbuild.c: identifier and literal quoting (PostgreSQL's rules, as
 * PQescapeIdentifier / PQescapeLiteral write them), text[] literals, ILIKE patterns, and the
 * DataStore SELECT generator: the SQL text and parameters of each request shape (filters null,
 * list and scalar, q as text and as an object, fields, sort keys read as PostgreSQL's regular
 * expression read them, DISTINCT, limit and offset, the key for deep pages, the types' value
 * expressions), the dumps' SELECT with literals, and every refusal with its SQLSTATE, message
 * and parameter, in the order the checks find them; the nearest search's statement (index
 * order, filters, radius) and its refusals. The answers are checked against PostgreSQL by
 * tests/api (test_datastore_read.py, test_datastore_prepared.py, test_dumps.py). */
#include "../../server/core/sbuf.c"
#include "../../server/core/util.c"
#include "../../server/datastore/sqlbuild.c"
#include "../../server/datastore/sqlbuild_geo.c"
#include "../../server/datastore/sqlbuild_read.c"
#include "testh.h"

static char *quoted(void (*fn)(struct sqlb *, const char *), const char *s)
{
    struct sqlb b;
    sqlb_init(&b);
    fn(&b, s);
    char *out = xstrdup(b.sql);
    sqlb_free(&b);
    return out;
}

static void test_quoting(void)
{
    static const struct { const char *in, *ident, *literal; } cases[] = {
        {"abc", "\"abc\"", "'abc'"},
        {"", "\"\"", "''"},
        {"a\"b", "\"a\"\"b\"", "'a\"b'"},
        {"it's", "\"it's\"", "'it''s'"},
        {"a\\b", "\"a\\b\"", "E'a\\\\b'"},
        {"x\\'y\"", "\"x\\'y\"\"\"", "E'x\\\\''y\"'"},
        {"測站 名稱", "\"測站 名稱\"", "'測站 名稱'"},
        {"\"\"", "\"\"\"\"\"\"", "'\"\"'"},
        {"''", "\"''\"", "''''''"},
        {"select", "\"select\"", "'select'"},
        {"tab\there", "\"tab\there\"", "'tab\there'"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *id = quoted(sqlb_ident, cases[i].in), *lit = quoted(sqlb_literal, cases[i].in);
        T_STREQ(id, cases[i].ident, cases[i].in);
        T_STREQ(lit, cases[i].literal, cases[i].in);
        free(id);
        free(lit);
    }
}

static void test_arrays_and_patterns(void)
{
    const char *v[] = {"a", "b\"c", NULL, "d\\e", "NULL", "", "{x,y}", "臺北"};
    char *a = sqlb_text_array(v, (int)ARRAY_LEN(v));
    T_STREQ(a, "{\"a\",\"b\\\"c\",NULL,\"d\\\\e\",\"NULL\",\"\",\"{x,y}\",\"臺北\"}", "text[]");
    free(a);
    a = sqlb_text_array(v, 0);
    T_STREQ(a, "{}", "empty text[]");
    free(a);
    static const struct { const char *in, *want; } pats[] = {
        {"abc", "%abc%"}, {"50%_a\\b", "%50\\%\\_a\\\\b%"}, {"美濃", "%美濃%"}, {"", "%%"},
    };
    for (size_t i = 0; i < ARRAY_LEN(pats); i++) {
        char *p = sqlb_like_pattern(pats[i].in);
        T_STREQ(p, pats[i].want, pats[i].in);
        free(p);
    }
}

static void test_params(void)
{
    struct sqlb b;
    sqlb_init(&b);
    sqlb_add(&b, "SELECT ");
    int n1 = sqlb_param(&b, "x", "::text");
    sqlb_addf(&b, ", %d, ", 7);
    int n2 = sqlb_param_own(&b, xstrdup("{}"), "::jsonb");
    sqlb_add(&b, ", ");
    int n3 = sqlb_param(&b, NULL, "");
    T_CHECK(n1 == 1 && n2 == 2 && n3 == 3 && b.nparams == 3, "parameter numbers");
    T_STREQ(b.sql, "SELECT $1::text, 7, $2::jsonb, $3", "parameter references");
    T_CHECK(b.params[0] && strcmp(b.params[0], "x") == 0 && strcmp(b.params[1], "{}") == 0 &&
                !b.params[2], "parameter values");
    sqlb_free(&b);
}

/* ---- datastore reads --------------------------------------------------------------------- */

static const struct sqlb_field fields[] = {
    {"SiteName", "text", "{\"type\" : \"text\", \"id\" : \"SiteName\"}",
     "{\"id\": \"SiteName\", \"info\": {\"original_header\": \"SiteName\"}, \"type\": \"text\"}",
     NULL},
    {"MonitorDate", "int4", "{\"type\" : \"int4\", \"id\" : \"MonitorDate\"}",
     "{\"id\": \"MonitorDate\", \"type\": \"int4\"}", NULL},
    {"PM25", "numeric", "{\"type\" : \"numeric\", \"id\" : \"PM25\"}",
     "{\"id\": \"PM25\", \"type\": \"numeric\"}", NULL},
    {"At", "timestamp", "{\"type\" : \"timestamp\", \"id\" : \"At\"}",
     "{\"id\": \"At\", \"type\": \"timestamp\"}", NULL},
    {"Ok", "bool", "{\"type\" : \"bool\", \"id\" : \"Ok\"}", "{\"id\": \"Ok\", \"type\": \"bool\"}",
     NULL},
    {"a\"b", "text", "{\"type\" : \"text\", \"id\" : \"a\\\"b\"}",
     "{\"id\": \"a\\\"b\", \"type\": \"text\"}", NULL},
};
static const struct sqlb_table table = {"rid-1", "coalesce(\"SiteName\", '')", 500, 500,
                                         (int)ARRAY_LEN(fields), fields, NULL, NULL, NULL, false};

/* A read with JSON texts for filters and q (NULL: none); the rest as given. */
static struct sqlb_read read_of(enum sqlb_style style, const char *filters, const char *q)
{
    struct sqlb_read r = {.style = style, .rid = "rid-1", .generation = 42, .limit = 100,
                          .include_total = true, .ckan_p = "{}"};
    r.filters = filters ? json_tokener_parse(filters) : NULL;
    r.q = q ? json_tokener_parse(q) : NULL;
    return r;
}

static void read_free(struct sqlb_read *r)
{
    json_object_put(r->filters);
    json_object_put(r->q);
}

static struct sqlb_err last_err;
static struct sqlb_shape last_shape;

/* Build r; *sql the text (malloc'd) or NULL when refused (last_err says why); params joined by
 * '|' into *params. */
static bool build(struct sqlb_read *r, char **sql, char **params)
{
    struct sqlb b;
    sqlb_init(&b);
    sqlb_err_clear(&last_err);
    sqlb_shape_free(&last_shape);
    bool ok = sqlb_datastore_read(&b, &table, r, &last_shape, &last_err);
    *sql = ok ? xstrdup(b.sql) : NULL;
    struct sqlb p;
    sqlb_init(&p);
    for (int i = 0; ok && i < b.nparams; i++) {
        sqlb_add(&p, i ? "|" : "");
        sqlb_add(&p, b.params[i] ? b.params[i] : "NULL");
    }
    *params = xstrdup(p.sql ? p.sql : "");
    sqlb_free(&p);
    sqlb_free(&b);
    read_free(r);
    return ok;
}

/* (a backslash in the field list: an E'' literal) */
#define CKAN_FIELDS_ALL                                                                          \
    "E'[{\"id\": \"_id\", \"type\": \"int\"}, {\"id\": \"SiteName\", \"info\": "                  \
    "{\"original_header\": \"SiteName\"}, \"type\": \"text\"}, {\"id\": \"MonitorDate\", "       \
    "\"type\": \"int4\"}, {\"id\": \"PM25\", \"type\": \"numeric\"}, {\"id\": \"At\", \"type\": " \
    "\"timestamp\"}, {\"id\": \"Ok\", \"type\": \"bool\"}, {\"id\": \"a\\\\\"b\", \"type\": "     \
    "\"text\"}]'"
#define COLS "\"_id\", \"SiteName\", \"MonitorDate\", \"PM25\", \"At\", \"Ok\", \"a\"\"b\""
#define ROW_VALUES                                                                             \
    "\"_id\", \"SiteName\", \"MonitorDate\", \"PM25\", to_char(\"At\", "                       \
    "'YYYY-MM-DD\"T\"HH24:MI:SS'), \"Ok\", \"a\"\"b\""
#define READABLE " FROM ds_readable($1::text, $2::ckan_viewer) t"
#define AT_GENERATION " WHERE t.generation = $3::bigint"
#define TAIL READABLE AT_GENERATION

static void test_ckan_w3_shape(void)
{
    struct sqlb_read r = read_of(SQLB_CKAN, "{\"SiteName\": \"美濃\"}", NULL);
    const char *sort[] = {"_id"};
    r.sort = sort;
    r.nsort = 1;
    r.viewer = "(u,alice,f,{})";
    char *sql, *params;
    T_CHECK(build(&r, &sql, &params), "W3 shape taken");
    T_STREQ(sql,
            "SELECT CASE WHEN s.n IS NULL OR s.n = 1 THEN h.head END, CASE WHEN s.n IS NULL OR "
            "s.n = 1 THEN h.tail END, s.*" READABLE " CROSS JOIN LATERAL (SELECT ckan_ds_head("
            "$5::jsonb, " CKAN_FIELDS_ALL "::jsonb, (SELECT count(*) FROM datastore.\"rid-1\" "
            "WHERE \"SiteName\" = $4::text), t.resource_id) || ', \"records\": ' AS head, '}' "
            "AS tail) h LEFT JOIN LATERAL (SELECT row_number() OVER (), " ROW_VALUES
            " FROM (SELECT " COLS
            " FROM datastore.\"rid-1\" WHERE \"SiteName\" = $4::text ORDER BY \"_id\" ASC "
            "LIMIT 100) p) s(n, c1, c2, c3, c4, c5, c6, c7) ON true" AT_GENERATION,
            "W3 SQL");
    T_CHECK(last_shape.rowwise && last_shape.format == SQLB_OBJECTS && last_shape.ncols == 7 &&
                last_shape.first == 3 && strcmp(last_shape.names[6], "a\"b") == 0 &&
                last_shape.kinds[0] == SQLB_K_NUMBER && last_shape.kinds[1] == SQLB_K_STRING &&
                last_shape.kinds[3] == SQLB_K_NUMBER && last_shape.kinds[4] == SQLB_K_STRING &&
                last_shape.kinds[5] == SQLB_K_BOOL,
            "W3 shape: one column a field, numeric a number for CKAN");
    T_STREQ(params, "rid-1|(u,alice,f,{})|42|美濃|{}", "W3 parameters");
    free(sql);
    free(params);
}

static void test_tw_w4_shape(void)
{
    struct sqlb_read r = read_of(SQLB_TW, "{\"MonitorDate\": 20200512, \"Ok\": true}", NULL);
    r.offset = 30;
    r.limit = 1000;
    const char *flds[] = {"PM25", "_id"};
    r.fields = flds;
    r.nfields = 2;
    char *sql, *params;
    T_CHECK(build(&r, &sql, &params), "W4 shape taken");
    T_STREQ(sql,
            "SELECT CASE WHEN s.n IS NULL OR s.n = 1 THEN h.head END, CASE WHEN s.n IS NULL OR "
            "s.n = 1 THEN h.tail END, s.*" READABLE " CROSS JOIN LATERAL (SELECT tw_ds_head("
            "$1::text, '[{\"type\" : \"numeric\", \"id\" : \"PM25\"}, {\"type\" : \"int4\", "
            "\"id\" : \"_id\"}]') AS head, tw_ds_tail(1000, $6::bigint, (SELECT count(*) FROM "
            "datastore.\"rid-1\" WHERE \"Ok\"::text = $4::text AND \"MonitorDate\"::text = "
            "$5::text)) AS tail) h LEFT JOIN LATERAL (SELECT row_number() OVER (), \"PM25\"::text, "
            "\"_id\" FROM (SELECT \"PM25\", \"_id\" FROM datastore.\"rid-1\" WHERE \"Ok\"::text "
            "= $4::text AND \"MonitorDate\"::text = $5::text ORDER BY \"_id\" ASC LIMIT 1000 "
            "OFFSET $6::bigint) p) s(n, c1, c2) ON true" AT_GENERATION,
            "W4 SQL (filters in jsonb key order: shorter names first)");
    T_CHECK(last_shape.rowwise && last_shape.ncols == 2 && last_shape.kinds[0] == SQLB_K_STRING &&
                last_shape.kinds[1] == SQLB_K_NUMBER,
            "W4 shape: numeric a string for Taiwan");
    T_STREQ(params, "rid-1|NULL|42|true|20200512|30", "W4 parameters");
    free(sql);
    free(params);
}

static void test_keyset_and_totals(void)
{
    /* unfiltered, _id order, dense table, offset > 0: the key instead of OFFSET */
    struct sqlb_read r = read_of(SQLB_TW, NULL, NULL);
    r.offset = 900;
    const char *sort[] = {"_id ASC"};
    r.sort = sort;
    r.nsort = 1;
    char *sql, *params;
    T_CHECK(build(&r, &sql, &params), "keyset taken");
    T_CHECK(strstr(sql, "tw_ds_tail(100, $4::bigint, t.row_count) AS tail") &&
                strstr(sql, "FROM datastore.\"rid-1\" WHERE \"_id\" > $4::bigint ORDER BY "
                            "\"_id\" ASC LIMIT 100) p)") != NULL,
            "keyset page, maintained total: %s", sql);
    T_CHECK(!strstr(sql, "OFFSET"), "no OFFSET with the key");
    free(sql);
    free(params);
    /* whether the sort is implicit or _id (any case of asc): the key */
    const char *ids[][1] = {{"_id"}, {"_id asc"}, {"_id Asc"}};
    for (int i = -1; i < (int)ARRAY_LEN(ids); i++) {
        r = read_of(SQLB_CKAN, NULL, NULL);
        r.offset = 10;
        r.limit = 2;
        r.sort = i < 0 ? NULL : ids[i];
        r.nsort = i < 0 ? 0 : 1;
        T_CHECK(build(&r, &sql, &params) && strstr(sql, "WHERE \"_id\" > $5::bigint ORDER BY "
                                                        "\"_id\" ASC LIMIT 2) p)") &&
                    !strstr(sql, "OFFSET"), "key for sort %s", i < 0 ? "(none)" : ids[i][0]);
        free(sql);
        free(params);
    }
    /* not on a table with gaps in _id, nor with a filter */
    struct sqlb_table gaps = table;
    gaps.max_id = 600;
    r = read_of(SQLB_CKAN, NULL, NULL);
    r.offset = 10;
    struct sqlb b;
    struct sqlb_err err = {0};
    struct sqlb_shape shape;
    sqlb_init(&b);
    T_CHECK(sqlb_datastore_read(&b, &gaps, &r, &shape, &err) &&
                strstr(b.sql, "OFFSET $5::bigint") && !strstr(b.sql, "> $5"),
            "gaps: OFFSET");
    sqlb_shape_free(&shape);
    sqlb_free(&b);
    read_free(&r);
    r = read_of(SQLB_TW, "{\"SiteName\": \"x\"}", NULL);
    r.offset = 10;
    T_CHECK(build(&r, &sql, &params) && strstr(sql, "LIMIT 100 OFFSET $5::bigint"),
            "filtered: OFFSET");
    free(sql);
    free(params);
    /* the same sorted descending: OFFSET */
    r = read_of(SQLB_CKAN, NULL, NULL);
    r.offset = 900;
    const char *desc[] = {"_id desc"};
    r.sort = desc;
    r.nsort = 1;
    T_CHECK(build(&r, &sql, &params), "descending taken");
    T_CHECK(strstr(sql, "ORDER BY \"_id\" DESC LIMIT 100 OFFSET $5::bigint") != NULL, "OFFSET: %s",
            sql);
    T_CHECK(strstr(sql, ", t.row_count, t.resource_id) ||") != NULL, "maintained total");
    free(sql);
    free(params);
    /* include_total false: no count */
    r = read_of(SQLB_CKAN, "{\"SiteName\": \"x\"}", NULL);
    r.include_total = false;
    T_CHECK(build(&r, &sql, &params), "no total taken");
    T_CHECK(strstr(sql, "::jsonb, NULL::bigint, t.resource_id) ||") && !strstr(sql, "count(*)"),
            "no count: %s", sql);
    free(sql);
    free(params);
}

static void test_distinct_csv_lists(void)
{
    struct sqlb_read r = read_of(SQLB_CKAN, NULL, "\"美濃\"");
    r.distinct = true;
    r.format = SQLB_CSV;
    const char *flds[] = {"SiteName", "Ok", "At"};
    r.fields = flds;
    r.nfields = 3;
    char *sql, *params;
    T_CHECK(build(&r, &sql, &params), "distinct csv taken");
    T_STREQ(
        sql,
        "SELECT ckan_ds_head($5::jsonb, '[{\"id\": \"SiteName\", \"info\": {\"original_header\":"
        " \"SiteName\"}, \"type\": \"text\"}, {\"id\": \"Ok\", \"type\": \"bool\"}, {\"id\": "
        "\"At\", \"type\": \"timestamp\"}]'::jsonb, (SELECT count(*) FROM (SELECT DISTINCT "
        "\"SiteName\", \"Ok\", \"At\" FROM datastore.\"rid-1\" WHERE (coalesce(\"SiteName\", "
        "'')) ILIKE $4::text) s), t.resource_id) || ', \"records\": ' || (SELECT to_json("
        "coalesce(string_agg(ds_csv_quote(\"SiteName\"::text, ',') || ',' || ds_csv_quote("
        "CASE WHEN \"Ok\" THEN 't' WHEN NOT \"Ok\" THEN 'f' END, ',') || ',' || ds_csv_quote("
        "to_char(\"At\", 'YYYY-MM-DD\"T\"HH24:MI:SS'), ',') || E'\\n', ''), ''))::text FROM "
        "(SELECT DISTINCT \"SiteName\", \"Ok\", \"At\" FROM datastore.\"rid-1\" WHERE "
        "(coalesce(\"SiteName\", '')) ILIKE $4::text LIMIT 100) s) || '}'" TAIL,
        "distinct csv SQL (no _id key when DISTINCT)");
    T_CHECK(!last_shape.rowwise && last_shape.ncols == 0, "csv: one cell");
    T_STREQ(params, "rid-1|NULL|42|%美濃%|{}", "distinct csv parameters");
    free(sql);
    free(params);
    r = read_of(SQLB_CKAN, "{\"SiteName\": [\"a\", null, \"b\\\"c\"], \"PM25\": null}",
                "{\"SiteName\": \"50%\"}");
    r.format = SQLB_TSV;
    const char *sort[] = {"MonitorDate DESC", "a\"b"};
    r.sort = sort;
    r.nsort = 2;
    T_CHECK(build(&r, &sql, &params), "lists, null and q dict taken");
    T_CHECK(strstr(sql, "WHERE \"PM25\" IS NULL AND \"SiteName\" = ANY ($4::text[]) AND "
                        "\"SiteName\"::text ILIKE $5::text ORDER BY \"MonitorDate\" DESC, "
                        "\"a\"\"b\" ASC, \"_id\" ASC LIMIT 100") != NULL,
            "conditions and keys: %s", sql);
    T_CHECK(strstr(sql, "ds_csv_quote(\"SiteName\"::text, '\t') || '\t' || ") != NULL, "tsv");
    T_STREQ(params, "rid-1|NULL|42|{\"a\",NULL,\"b\\\"c\"}|%50\\%%|{}", "list parameters");
    free(sql);
    free(params);
    r = read_of(SQLB_CKAN, NULL, "\"\"");
    r.format = SQLB_LISTS;
    T_CHECK(build(&r, &sql, &params), "lists taken");
    T_CHECK(strstr(sql, "row_number() OVER (), \"_id\", \"SiteName\", ") && last_shape.rowwise &&
                last_shape.format == SQLB_LISTS && !strstr(sql, "ILIKE"),
            "lists row-wise, empty q ignored: %s", sql);
    free(sql);
    free(params);
}

/* Input refused, with the SQLSTATE, parameter and message the API answers. */
static void test_refused(void)
{
    static const struct {
        const char *filters, *q, *sort, *field;
        const char *state, *param, *message;
    } cases[] = {
        {"{\"Nope\": 1}", NULL, NULL, NULL, "OD220", "filters", "field \"Nope\" does not exist"},
        {"{\"PM25\": {\"a\": 1}}", NULL, NULL, NULL, "OD210", "filters",
         "filter value for \"PM25\" must be a value or a list of values"},
        {"[1]", NULL, NULL, NULL, "OD210", "filters", "filters must be a JSON object"},
        {NULL, "{\"Nope\": \"x\"}", NULL, NULL, "OD220", "q", "field \"Nope\" does not exist"},
        {NULL, NULL, "Nope", NULL, "OD220", "sort", "field \"Nope\" does not exist"},
        {NULL, NULL, "", NULL, "OD210", "sort", "cannot sort by \"\""},
        {NULL, NULL, " \t ", NULL, "OD210", "sort", "cannot sort by \" \t \""},
        {NULL, NULL, "desc", NULL, "OD220", "sort", "field \"desc\" does not exist"},
        {NULL, NULL, "\"\" asc", NULL, "OD220", "sort", "field \"\" does not exist"},
        {NULL, NULL, "SiteName\xc2\xa0" "desc", NULL, "OD220", "sort",
         "field \"SiteName\xc2\xa0" "desc\" does not exist"}, /* U+00A0 is no \s */
        {NULL, NULL, NULL, "Nope", "OD220", "fields", "field \"Nope\" does not exist"},
        {NULL, NULL, NULL, "_id ", "OD220", "fields", "field \"_id \" does not exist"},
        /* the order of the checks: filters (in jsonb's key order), q, sort, fields */
        {"{\"Zz\": 1, \"Nope\": 1}", "{\"Qq\": \"x\"}", "Ss", "Ff", "OD220", "filters",
         "field \"Zz\" does not exist"},
        {"{\"SiteName\": 1}", "{\"Qq\": \"x\"}", "Ss", "Ff", "OD220", "q",
         "field \"Qq\" does not exist"},
        {NULL, "\"x\"", "Ss", "Ff", "OD220", "sort", "field \"Ss\" does not exist"},
        {NULL, NULL, "PM25", "Ff", "OD220", "fields", "field \"Ff\" does not exist"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct sqlb_read r = read_of(SQLB_CKAN, cases[i].filters, cases[i].q);
        const char *sort[] = {cases[i].sort}, *flds[] = {cases[i].field};
        if (cases[i].sort)
            r.sort = sort, r.nsort = 1;
        if (cases[i].field)
            r.fields = flds, r.nfields = 1;
        char *sql, *params;
        T_CHECK(!build(&r, &sql, &params), "refused: %s", cases[i].message);
        T_STREQ(last_err.state, cases[i].state, cases[i].message);
        T_STREQ(last_err.param, cases[i].param, cases[i].message);
        T_STREQ(last_err.message, cases[i].message, cases[i].message);
        free(sql);
        free(params);
    }
    const char *none[] = {NULL};
    struct sqlb_read r = read_of(SQLB_CKAN, NULL, NULL);
    r.fields = none;
    r.nfields = 0;
    char *sql, *params;
    T_CHECK(!build(&r, &sql, &params), "refused: an empty field list");
    T_STREQ(last_err.message, "fields must name at least one field", "empty fields");
    T_STREQ(last_err.param, "fields", "empty fields: on fields");
    free(params);
    r = read_of(SQLB_CKAN, NULL, NULL);
    const char *one[] = {"SiteName"}, *by[] = {"SiteName desc", "PM25"};
    r.distinct = true;
    r.fields = one;
    r.nfields = 1;
    r.sort = by;
    r.nsort = 2;
    T_CHECK(!build(&r, &sql, &params), "refused: DISTINCT sorted by a field not shown");
    T_STREQ(last_err.message,
            "cannot sort by \"PM25\" with distinct: it is not one of the fields shown",
            "distinct sort");
    T_CHECK(strcmp(last_err.state, "OD210") == 0 && strcmp(last_err.param, "sort") == 0,
            "distinct sort: OD210 on sort");
    free(params);
    /* an unknown field to show is found before the DISTINCT check */
    const char *bad[] = {"Nope"};
    r = read_of(SQLB_CKAN, NULL, NULL);
    r.distinct = true;
    r.fields = bad;
    r.nfields = 1;
    r.sort = by + 1;
    r.nsort = 1;
    T_CHECK(!build(&r, &sql, &params) && strcmp(last_err.state, "OD220") == 0 &&
                strcmp(last_err.param, "fields") == 0, "distinct: fields checked first");
    free(params);
    const char *twice[] = {"SiteName", "PM25", "SiteName"};
    r = read_of(SQLB_TW, NULL, NULL);
    r.fields = twice;
    r.nfields = 3;
    T_CHECK(!build(&r, &sql, &params), "refused: a field named twice");
    T_STREQ(last_err.message, "names a field twice: \"SiteName\"", "twice");
    T_CHECK(strcmp(last_err.state, "OD210") == 0 && strcmp(last_err.param, "fields") == 0,
            "twice: OD210 on fields");
    free(params);
    sqlb_err_clear(&last_err);
}

/* Values whose text PostgreSQL renders (jsonb's numbers, lists, objects) are passed as JSON and
 * turned into text there, as jsonb's #>> '{}' would. */
static void test_rendered_values(void)
{
    static const struct { const char *filters, *q, *want_sql, *want_params; } cases[] = {
        {"{\"PM25\": 1.50}", NULL, "WHERE \"PM25\"::text = ($4::jsonb #>> '{}') ORDER BY",
         "rid-1|NULL|42|1.50|{}"},
        {"{\"PM25\": 1e3}", NULL, "WHERE \"PM25\"::text = ($4::jsonb #>> '{}')", "|1e3|"},
        {"{\"PM25\": [1, 2.0, null]}", NULL,
         "WHERE \"PM25\"::text = ANY (ARRAY(SELECT e #>> '{}' FROM jsonb_array_elements($4::jsonb) e))",
         "|[1,2.0,null]|"},
        {"{\"PM25\": [[1], {\"a\": 1}]}", NULL, "jsonb_array_elements($4::jsonb) e))",
         "|[[1],{\"a\":1}]|"},
        {"{\"SiteName\": \"a\\u0000b\"}", NULL, "WHERE \"SiteName\" = ($4::jsonb #>> '{}')",
         "|\"a\\u0000b\"|"},
        {"{\"Ok\": false, \"PM25\": 7}", NULL,
         "WHERE \"Ok\"::text = $4::text AND \"PM25\"::text = $5::text", "|false|7|"},
        {NULL, "{\"SiteName\": 5}", "WHERE \"SiteName\"::text ILIKE $4::text", "|%5%|"},
        {NULL, "{\"SiteName\": null}", "WHERE \"SiteName\"::text ILIKE $4::text",
         "rid-1|NULL|42|NULL|{}"},
        {NULL, "{\"SiteName\": 2.5}",
         "WHERE \"SiteName\"::text ILIKE ('%' || replace(replace(replace(($4::jsonb #>> '{}'), "
         "E'\\\\', E'\\\\\\\\'), '%', E'\\\\%'), '_', E'\\\\_') || '%') ORDER BY",
         "|2.5|"},
        {NULL, "5", "FROM datastore.\"rid-1\" ORDER BY", "rid-1|NULL|42|{}"}, /* q a number */
        {"{}", "{}", "FROM datastore.\"rid-1\" ORDER BY", "rid-1|NULL|42|{}"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct sqlb_read r = read_of(SQLB_CKAN, cases[i].filters, cases[i].q);
        char *sql, *params;
        bool ok = build(&r, &sql, &params);
        T_CHECK(ok && strstr(sql, cases[i].want_sql), "%s %s: %s", cases[i].filters,
                cases[i].q, sql ? sql : "refused");
        T_CHECK(ok && strstr(params, cases[i].want_params), "%s %s: params %s", cases[i].filters,
                cases[i].q, params);
        free(sql);
        free(params);
    }
}

/* Sort keys read as '^\s*(.*?)\s*(?:\s(asc|desc))?\s*$' (case-insensitive) reads them. */
static void test_sort_keys(void)
{
    static const struct { const char *key, *want; } cases[] = {
        {"SiteName", "ORDER BY \"SiteName\" ASC, \"_id\" ASC"},
        {"SiteName desc", "ORDER BY \"SiteName\" DESC, \"_id\" ASC"},
        {"SiteName DeSc", "ORDER BY \"SiteName\" DESC, \"_id\" ASC"},
        {"SiteName asc", "ORDER BY \"SiteName\" ASC, \"_id\" ASC"},
        {"SiteName ASC", "ORDER BY \"SiteName\" ASC, \"_id\" ASC"},
        {"_id desc", "ORDER BY \"_id\" DESC LIMIT"},
        {"_id", "ORDER BY \"_id\" ASC LIMIT"},
        {"a\"b", "ORDER BY \"a\"\"b\" ASC, \"_id\" ASC"},
        {" SiteName", "ORDER BY \"SiteName\" ASC, \"_id\" ASC"},
        {"SiteName ", "ORDER BY \"SiteName\" ASC, \"_id\" ASC"},
        {"  SiteName  desc  ", "ORDER BY \"SiteName\" DESC, \"_id\" ASC"},
        {"SiteName\tdesc", "ORDER BY \"SiteName\" DESC, \"_id\" ASC"},
        {"SiteName\xe3\x80\x80" "desc", "ORDER BY \"SiteName\" DESC, \"_id\" ASC"}, /* U+3000 */
        {"\xe2\x80\x82SiteName\xe1\x9a\x80", "ORDER BY \"SiteName\" ASC"}, /* U+2002, U+1680 */
        {"\"SiteName\"", "ORDER BY \"SiteName\" ASC, \"_id\" ASC"},
        {"\"SiteName\" desc", "ORDER BY \"SiteName\" DESC, \"_id\" ASC"},
        {"\"a\"\"b\"", "ORDER BY \"a\"\"b\" ASC, \"_id\" ASC"},
        {"SiteName descx", NULL},        /* not a direction: the field "SiteName descx" */
        {"SiteName desc desc", NULL},    /* the field "SiteName desc" */
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct sqlb_read r = read_of(SQLB_CKAN, NULL, NULL);
        const char *sort[] = {cases[i].key};
        r.sort = sort;
        r.nsort = 1;
        char *sql, *params;
        bool ok = build(&r, &sql, &params);
        if (cases[i].want)
            T_CHECK(ok && strstr(sql, cases[i].want), "sort \"%s\": %s", cases[i].key,
                    sql ? sql : last_err.message);
        else
            T_CHECK(!ok && strcmp(last_err.state, "OD220") == 0, "sort \"%s\": a field name",
                    cases[i].key);
        free(sql);
        free(params);
    }
    /* the parse itself */
    static const struct { const char *key, *name; bool desc; } parsed[] = {
        {"x asc desc", "x asc", true}, {"asc asc", "asc", false}, {" desc", "desc", false},
        {"a\xe2\x80\x87" "desc", "a\xe2\x80\x87" "desc", false}, /* U+2007 is no \s */
        {"\"", "\"", false}, {"\"\"\"", "\"", false}, {"\"a\"b\"", "a\"b", false},
        {"x\n", "x", false},
    };
    for (size_t i = 0; i < ARRAY_LEN(parsed); i++) {
        char *name = NULL;
        bool desc = !parsed[i].desc;
        T_CHECK(sort_key_parse(parsed[i].key, &name, &desc) && name &&
                    strcmp(name, parsed[i].name) == 0 && desc == parsed[i].desc,
                "parse \"%s\": \"%s\" %d", parsed[i].key, name ? name : "", desc);
        free(name);
    }
}

/* The dumps' SELECT: values as literals, no DISTINCT (the dump applies it), no limit unless
 * given; the fields shown. */
static void test_rows(void)
{
    struct sqlb_read r = read_of(SQLB_CKAN, "{\"SiteName\": [\"a\", \"it's\"], \"PM25\": 1.5}",
                                 "\"50%\"");
    r.limit = -1;
    r.offset = 20;
    r.distinct = true;
    const char *flds[] = {"At", "SiteName"}, *sort[] = {"PM25 desc"};
    r.fields = flds;
    r.nfields = 2;
    r.sort = sort;
    r.nsort = 1;
    struct sqlb b;
    struct sqlb_err err = {0};
    const struct sqlb_field **out;
    int nout;
    sqlb_init(&b);
    T_CHECK(sqlb_datastore_rows(&b, &table, &r, &out, &nout, &err), "rows built");
    T_STREQ(b.sql,
            "SELECT \"At\", \"SiteName\" FROM datastore.\"rid-1\" WHERE \"PM25\"::text = "
            "('1.5'::jsonb #>> '{}') AND \"SiteName\" = ANY ('{\"a\",\"it''s\"}'::text[]) AND "
            "(coalesce(\"SiteName\", '')) ILIKE E'%50\\\\%%'::text ORDER BY \"PM25\" DESC, \"_id\" "
            "ASC OFFSET 20",
            "rows SQL");
    T_CHECK(b.nparams == 0, "no parameters");
    T_CHECK(nout == 2 && strcmp(out[0]->id, "At") == 0 && strcmp(out[1]->type, "text") == 0,
            "fields shown");
    free(out);
    sqlb_free(&b);
    read_free(&r);
    /* the whole table, a dense one from an offset: the key; a limit */
    r = read_of(SQLB_TW, NULL, NULL);
    r.offset = 7;
    r.limit = 3;
    sqlb_init(&b);
    T_CHECK(sqlb_datastore_rows(&b, &table, &r, &out, &nout, &err), "rows built");
    T_STREQ(b.sql, "SELECT " COLS " FROM datastore.\"rid-1\" WHERE \"_id\" > 7 ORDER BY \"_id\" "
                   "ASC LIMIT 3", "rows: the key");
    T_CHECK(nout == 7 && out[0] == &sqlb_id_field, "all fields, _id first");
    free(out);
    sqlb_free(&b);
    read_free(&r);
    /* a DISTINCT dump sorted by a field it does not show is fine (the rows are not DISTINCT);
     * unknown fields are refused */
    r = read_of(SQLB_CKAN, NULL, NULL);
    r.limit = -1;
    r.distinct = true;
    r.fields = flds;
    r.nfields = 1;
    const char *nope[] = {"Nope desc"};
    r.sort = nope;
    r.nsort = 1;
    sqlb_init(&b);
    T_CHECK(!sqlb_datastore_rows(&b, &table, &r, &out, &nout, &err) && !out &&
                strcmp(err.message, "field \"Nope\" does not exist") == 0 &&
                strcmp(err.param, "sort") == 0, "rows: unknown sort field");
    sqlb_free(&b);
    sqlb_err_clear(&err);
    r.sort = sort;
    sqlb_init(&b);
    T_CHECK(sqlb_datastore_rows(&b, &table, &r, &out, &nout, &err) &&
                strstr(b.sql, "SELECT \"At\" FROM") && strstr(b.sql, "ORDER BY \"PM25\" DESC"),
            "rows: DISTINCT aside, any sort");
    free(out);
    sqlb_free(&b);
    read_free(&r);
}

/* q terms are counted in characters, in a string or in each value of an object. */
static void test_q_length(void)
{
    char *ok = xmalloc(3 * SQLB_Q_MAX_CHARS + 4), *over = xmalloc(3 * SQLB_Q_MAX_CHARS + 4);
    ok[0] = over[0] = '\0';
    for (int i = 0; i < SQLB_Q_MAX_CHARS; i++)
        strcat(ok, "美");
    strcpy(over, ok);
    strcat(over, "a");
    json_object *s_ok = json_object_new_string(ok), *s_over = json_object_new_string(over);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "a", json_object_new_string("x"));
    json_object_object_add(o, "b", json_object_new_int(5));
    T_CHECK(!sqlb_q_too_long(s_ok), "%d characters", SQLB_Q_MAX_CHARS);
    T_CHECK(sqlb_q_too_long(s_over), "%d characters", SQLB_Q_MAX_CHARS + 1);
    T_CHECK(!sqlb_q_too_long(o), "short object values");
    json_object_object_add(o, "c", json_object_get(s_over));
    T_CHECK(sqlb_q_too_long(o), "one long object value");
    T_CHECK(!sqlb_q_too_long(NULL), "no q");
    json_object_put(s_ok);
    json_object_put(s_over);
    json_object_put(o);
    free(ok);
    free(over);
}

/* The nearest search: ordered by the index's expression, filters and radius as parameters,
 * the checks of place fields and index in order. */
static void test_nearest(void)
{
    struct sqlb_table geo = table;
    geo.geo_lat = "SiteName";
    geo.geo_lon = "SiteName";
    geo.geo_expr = "ds_geo_point(ds_geo_deg(split_part(\"SiteName\"::text, ',', 1)), "
                   "ds_geo_deg(split_part(\"SiteName\"::text, ',', 2)))";
    geo.geo_indexed = true;
    struct sqlb_near q = {.style = SQLB_NEAR_CKAN,
                          .rid = "rid-1",
                          .generation = 42,
                          .lat = "22.3",
                          .lon = "114.1",
                          .limit = 10};
    struct sqlb b;
    struct sqlb_err err = {0};
    sqlb_init(&b);
    T_CHECK(sqlb_nearest(&b, &geo, &q, &err), "plain search taken");
    T_CHECK(b.nparams == 5 && strcmp(b.params[2], "42") == 0 && strcmp(b.params[3], "22.3") == 0 &&
                strcmp(b.params[4], "114.1") == 0,
            "rid, viewer, generation, lat, lon");
    T_CHECK(strstr(b.sql, "FROM datastore.\"rid-1\" r WHERE ds_geo_point(") &&
                strstr(b.sql, "ORDER BY ds_geo_point(ds_geo_deg(split_part(\"SiteName\"::text, "
                              "',', 1)), ds_geo_deg(split_part(\"SiteName\"::text, ',', 2))) <-> "
                              "ds_geo_point($4::float8, $5::float8) LIMIT 10) s)"),
            "index order: %s", b.sql);
    T_CHECK(strstr(b.sql, "\"limit\": 10, \"records\": [") &&
                strstr(b.sql, "{\"id\": \"_distance_m\", \"type\": \"float8\"}]") &&
                strstr(b.sql, "WHERE t.generation = $3::bigint"),
            "the answer and the guard");
    sqlb_free(&b);

    json_object *f = json_tokener_parse("{\"PM25\": [\"1\", \"a\\\"b\"]}");
    q.filters = f;
    q.radius_m = "300";
    q.style = SQLB_NEAR_SCHOOLS;
    T_CHECK(sqlb_nearest(&b, &geo, &q, &err), "filters and radius taken");
    T_CHECK(b.nparams == 7 && strcmp(b.params[5], "{\"1\",\"a\\\"b\"}") == 0 &&
                strcmp(b.params[6], "300") == 0,
            "filter values as a text[], then the radius: %s", b.params[5]);
    T_CHECK(strstr(b.sql, " AND r.\"PM25\"::text = ANY ($6::text[])") &&
                strstr(b.sql, "ds_geo_chord($7::float8), 3) @> ") &&
                strstr(b.sql, "<= ds_geo_chord($7::float8) ORDER BY"),
            "conditions: %s", b.sql);
    T_CHECK(strncmp(b.sql, "SELECT hk_schools_result('[' || ", 32) == 0 &&
                strstr(b.sql, " || ']', 'SiteName', 'SiteName') FROM ds_readable("),
            "the schools' shape");
    sqlb_free(&b);
    json_object_put(f);

    static const struct {
        const char *lat_field, *filters, *state, *param, *message;
        bool no_expr, no_index;
    } bad[] = {
        {NULL, NULL, "OD210", "resource_id", "The resource has no latitude and longitude fields",
         true, false},
        {NULL, NULL, "OD210", "resource_id",
         "The resource has no spatial index yet: load its data again", false, true},
        {"PM25", NULL, "OD210", "lat_field", "The latitude field of this resource is SiteName",
         false, false},
        {NULL, "{\"nope\": [\"x\"]}", "OD220", "filters", "field \"nope\" does not exist", false,
         false},
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        struct sqlb_table t = geo;
        t.geo_expr = bad[i].no_expr ? NULL : geo.geo_expr;
        t.geo_indexed = !bad[i].no_index;
        struct sqlb_near n = {
            .rid = "rid-1", .lat = "1", .lon = "2", .limit = 1, .lat_field = bad[i].lat_field};
        n.filters = bad[i].filters ? json_tokener_parse(bad[i].filters) : NULL;
        sqlb_init(&b);
        T_CHECK(!sqlb_nearest(&b, &t, &n, &err) && strcmp(err.state, bad[i].state) == 0 &&
                    strcmp(err.param, bad[i].param) == 0 &&
                    strcmp(err.message, bad[i].message) == 0,
                "refusal %zu: %s", i, err.message ? err.message : "(none)");
        sqlb_err_clear(&err);
        sqlb_free(&b);
        json_object_put(n.filters);
    }
}

int main(void)
{
    test_q_length();
    test_quoting();
    test_arrays_and_patterns();
    test_params();
    test_ckan_w3_shape();
    test_tw_w4_shape();
    test_keyset_and_totals();
    test_distinct_csv_lists();
    test_refused();
    test_rendered_values();
    test_sort_keys();
    test_rows();
    test_nearest();
    T_DONE();
}
