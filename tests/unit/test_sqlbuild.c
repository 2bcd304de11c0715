/* Unit tests for server/datastore/sqlbuild.c: identifier and literal quoting (PostgreSQL's rules, as
 * PQescapeIdentifier / PQescapeLiteral write them), text[] literals, ILIKE patterns, and the
 * datastore read: the SQL text and parameters of each request shape, and the requests it leaves
 * to the SQL functions. That the statements give the SQL functions' bytes is checked against
 * PostgreSQL by tests/api/test_datastore_prepared.py. */
#include "../../server/datastore/sqlbuild.c"
#include "../../server/core/util.c"
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
     "{\"id\": \"SiteName\", \"info\": {\"original_header\": \"SiteName\"}, \"type\": \"text\"}"},
    {"MonitorDate", "int4", "{\"type\" : \"int4\", \"id\" : \"MonitorDate\"}",
     "{\"id\": \"MonitorDate\", \"type\": \"int4\"}"},
    {"PM25", "numeric", "{\"type\" : \"numeric\", \"id\" : \"PM25\"}",
     "{\"id\": \"PM25\", \"type\": \"numeric\"}"},
    {"At", "timestamp", "{\"type\" : \"timestamp\", \"id\" : \"At\"}",
     "{\"id\": \"At\", \"type\": \"timestamp\"}"},
    {"Ok", "bool", "{\"type\" : \"bool\", \"id\" : \"Ok\"}", "{\"id\": \"Ok\", \"type\": \"bool\"}"},
    {"a\"b", "text", "{\"type\" : \"text\", \"id\" : \"a\\\"b\"}",
     "{\"id\": \"a\\\"b\", \"type\": \"text\"}"},
};
static const struct sqlb_table table = {"rid-1", "coalesce(\"SiteName\", '')", 500, 500,
                                         (int)ARRAY_LEN(fields), fields};

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

/* Build r; *sql the text (malloc'd) or NULL when refused; params joined by '|' into *params. */
static bool build(struct sqlb_read *r, char **sql, char **params)
{
    struct sqlb b;
    sqlb_init(&b);
    bool ok = sqlb_datastore_read(&b, &table, r);
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
#define OBJ_ITEMS                                                                              \
    "'_id', \"_id\", 'SiteName', \"SiteName\", 'MonitorDate', \"MonitorDate\", 'PM25', "       \
    "\"PM25\", 'At', to_char(\"At\", 'YYYY-MM-DD\"T\"HH24:MI:SS'), 'Ok', \"Ok\", 'a\"b', "     \
    "\"a\"\"b\""
#define TAIL " FROM ds_readable($1::text, $2::ckan_viewer) t WHERE t.generation = $3::bigint"

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
            "SELECT ckan_ds_head($5::jsonb, " CKAN_FIELDS_ALL "::jsonb, (SELECT count(*) FROM "
            "datastore.\"rid-1\" WHERE \"SiteName\" = $4::text)) || ', \"records\": ' || (SELECT "
            "coalesce(json_agg(json_build_object(" OBJ_ITEMS ")), '[]')::text FROM (SELECT " COLS
            " FROM datastore.\"rid-1\" WHERE \"SiteName\" = $4::text ORDER BY \"_id\" ASC LIMIT "
            "100) s) || '}'" TAIL,
            "W3 SQL");
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
            "SELECT tw_ds_result($1::text, '[{\"type\" : \"numeric\", \"id\" : \"PM25\"}, "
            "{\"type\" : \"int4\", \"id\" : \"_id\"}]', (SELECT coalesce(json_agg("
            "json_build_object('PM25', \"PM25\"::text, '_id', \"_id\")), '[]')::text FROM (SELECT "
            "\"PM25\", \"_id\" FROM datastore.\"rid-1\" WHERE \"Ok\"::text = $4::text AND "
            "\"MonitorDate\"::text = $5::text ORDER BY \"_id\" ASC LIMIT 1000 OFFSET $6::bigint) "
            "s), 1000, $6::bigint, (SELECT count(*) FROM datastore.\"rid-1\" WHERE \"Ok\"::text = "
            "$4::text AND \"MonitorDate\"::text = $5::text))" TAIL,
            "W4 SQL (filters in jsonb key order: shorter names first)");
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
    T_CHECK(strstr(sql, "FROM datastore.\"rid-1\" WHERE \"_id\" > $4::bigint ORDER BY \"_id\" ASC "
                        "LIMIT 100) s), 100, $4::bigint, t.row_count)") != NULL,
            "keyset page, maintained total: %s", sql);
    T_CHECK(!strstr(sql, "OFFSET"), "no OFFSET with the key");
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
    T_CHECK(strstr(sql, ", t.row_count) ||") != NULL, "maintained total");
    free(sql);
    free(params);
    /* include_total false: no count */
    r = read_of(SQLB_CKAN, "{\"SiteName\": \"x\"}", NULL);
    r.include_total = false;
    T_CHECK(build(&r, &sql, &params), "no total taken");
    T_CHECK(strstr(sql, "::jsonb, NULL::bigint) ||") && !strstr(sql, "count(*)"), "no count: %s",
            sql);
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
    T_STREQ(sql,
            "SELECT ckan_ds_head($5::jsonb, '[{\"id\": \"SiteName\", \"info\": {\"original_header\":"
            " \"SiteName\"}, \"type\": \"text\"}, {\"id\": \"Ok\", \"type\": \"bool\"}, {\"id\": "
            "\"At\", \"type\": \"timestamp\"}]'::jsonb, (SELECT count(*) FROM (SELECT DISTINCT "
            "\"SiteName\", \"Ok\", \"At\" FROM datastore.\"rid-1\" WHERE (coalesce(\"SiteName\", "
            "'')) ILIKE $4::text) s)) || ', \"records\": ' || (SELECT to_json(coalesce(string_agg("
            "ds_csv_quote(\"SiteName\"::text, ',') || ',' || ds_csv_quote(CASE WHEN \"Ok\" THEN 't' "
            "WHEN NOT \"Ok\" THEN 'f' END, ',') || ',' || ds_csv_quote(to_char(\"At\", "
            "'YYYY-MM-DD\"T\"HH24:MI:SS'), ',') || E'\\n', ''), ''))::text FROM (SELECT DISTINCT "
            "\"SiteName\", \"Ok\", \"At\" FROM datastore.\"rid-1\" WHERE (coalesce(\"SiteName\", "
            "'')) ILIKE $4::text LIMIT 100) s) || '}'" TAIL,
            "distinct csv SQL (no _id key when DISTINCT)");
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
    T_CHECK(strstr(sql, "json_agg(json_build_array(\"_id\", \"SiteName\", ") &&
                !strstr(sql, "ILIKE"), "lists without keys, empty q ignored: %s", sql);
    free(sql);
    free(params);
}

/* Requests the prepared read leaves to the SQL function. */
static void test_refused(void)
{
    static const struct {
        enum sqlb_style style;
        const char *filters, *q, *sort, *field;
        const char *why;
    } cases[] = {
        {SQLB_CKAN, "{\"Nope\": 1}", NULL, NULL, NULL, "unknown filter field"},
        {SQLB_CKAN, "{\"PM25\": 1.5}", NULL, NULL, NULL, "number with a fraction"},
        {SQLB_CKAN, "{\"PM25\": 1e3}", NULL, NULL, NULL, "number with an exponent"},
        {SQLB_CKAN, "{\"PM25\": [1, 2.0]}", NULL, NULL, NULL, "fraction in a list"},
        {SQLB_CKAN, "{\"PM25\": {\"a\": 1}}", NULL, NULL, NULL, "object value"},
        {SQLB_CKAN, "{\"PM25\": [[1]]}", NULL, NULL, NULL, "nested list"},
        {SQLB_CKAN, "{\"SiteName\": \"a\\u0000b\"}", NULL, NULL, NULL, "NUL in a value"},
        {SQLB_CKAN, "[1]", NULL, NULL, NULL, "filters not an object"},
        {SQLB_CKAN, NULL, "{\"Nope\": \"x\"}", NULL, NULL, "unknown q field"},
        {SQLB_CKAN, NULL, "{\"SiteName\": 5}", NULL, NULL, "q words not a string"},
        {SQLB_CKAN, NULL, "5", NULL, NULL, "q a number"},
        {SQLB_CKAN, NULL, NULL, "Nope", NULL, "unknown sort field"},
        {SQLB_CKAN, NULL, NULL, " SiteName", NULL, "sort key with a leading space"},
        {SQLB_CKAN, NULL, NULL, "SiteName ", NULL, "sort key with a trailing space"},
        {SQLB_CKAN, NULL, NULL, "SiteName  desc", NULL, "two spaces before the direction"},
        {SQLB_CKAN, NULL, NULL, "SiteName\tdesc", NULL, "tab in a sort key"},
        {SQLB_CKAN, NULL, NULL, "SiteName\xe3\x80\x80" "desc", NULL, "U+3000 in a sort key"},
        {SQLB_CKAN, NULL, NULL, "\"SiteName\"", NULL, "quoted sort key"},
        {SQLB_CKAN, NULL, NULL, "", NULL, "empty sort key"},
        {SQLB_CKAN, NULL, NULL, "desc", NULL, "a direction alone (no field called desc)"},
        {SQLB_CKAN, NULL, NULL, NULL, "Nope", "unknown field to show"},
        {SQLB_TW, NULL, NULL, NULL, "_id ", "field name with a space"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct sqlb_read r = read_of(cases[i].style, cases[i].filters, cases[i].q);
        const char *sort[] = {cases[i].sort}, *flds[] = {cases[i].field};
        if (cases[i].sort)
            r.sort = sort, r.nsort = 1;
        if (cases[i].field)
            r.fields = flds, r.nfields = 1;
        char *sql, *params;
        T_CHECK(!build(&r, &sql, &params), "refused: %s", cases[i].why);
        free(sql);
        free(params);
    }
    /* no field named at all, and shapes only CKAN has */
    const char *none[] = {NULL};
    struct sqlb_read r = read_of(SQLB_CKAN, NULL, NULL);
    r.fields = none;
    r.nfields = 0;
    char *sql, *params;
    T_CHECK(!build(&r, &sql, &params), "refused: an empty field list");
    free(params);
    r = read_of(SQLB_TW, NULL, NULL);
    r.distinct = true;
    T_CHECK(!build(&r, &sql, &params), "refused: Taiwan DISTINCT");
    free(params);
    r = read_of(SQLB_CKAN, NULL, NULL);
    const char *one[] = {"SiteName"}, *by[] = {"PM25"};
    r.distinct = true;
    r.fields = one;
    r.nfields = 1;
    r.sort = by;
    r.nsort = 1;
    T_CHECK(!build(&r, &sql, &params), "refused: DISTINCT sorted by a field not shown");
    free(params);
    const char *twice[] = {"SiteName", "PM25", "SiteName"};
    r = read_of(SQLB_TW, NULL, NULL);
    r.fields = twice;
    r.nfields = 3;
    T_CHECK(!build(&r, &sql, &params), "refused: a field named twice");
    free(params);
}

/* Sort keys read as ds_order's regular expression reads them. */
static void test_sort_keys(void)
{
    static const struct { const char *key, *want; } cases[] = {
        {"SiteName", "ORDER BY \"SiteName\" ASC, \"_id\" ASC"},
        {"SiteName desc", "ORDER BY \"SiteName\" DESC, \"_id\" ASC"},
        {"SiteName DeSc", "ORDER BY \"SiteName\" DESC, \"_id\" ASC"},
        {"SiteName asc", "ORDER BY \"SiteName\" ASC, \"_id\" ASC"},
        {"_id desc", "ORDER BY \"_id\" DESC LIMIT"},
        {"a\"b", "ORDER BY \"a\"\"b\" ASC, \"_id\" ASC"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct sqlb_read r = read_of(SQLB_CKAN, NULL, NULL);
        const char *sort[] = {cases[i].key};
        r.sort = sort;
        r.nsort = 1;
        char *sql, *params;
        T_CHECK(build(&r, &sql, &params) && strstr(sql, cases[i].want), "sort \"%s\": %s",
                cases[i].key, sql ? sql : "refused");
        free(sql);
        free(params);
    }
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
    test_sort_keys();
    T_DONE();
}
