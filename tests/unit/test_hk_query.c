/* Unit tests for server/datastore/hk_query.c (the Filter API's query: every field, its defaults
 * and every fault with its message) and the SELECT the generator writes for it
 * (sqlbuild.c's sqlb_column_rows: each operator's condition, sorts, section and column
 * checks, the number grammar shared with PostgreSQL's regular expression). The answers are
 * checked against PostgreSQL by tests/api/test_hk_filter.py. */
#include "../../server/core/sbuf.c"
#include "../../server/core/util.c"
#include "../../server/core/valid.c"
#include "../../server/datastore/hk_query.c"
#include "../../server/datastore/sqlbuild.c"
#include "../../server/datastore/sqlbuild_cols.c"
#include "../../server/datastore/sqlbuild_read.c"
#include "testh.h"

static void test_parse_full(void)
{
    struct hkq q;
    char *err = NULL;
    const char *text =
        "{\"resource\": \"http://x/a.csv\", \"section\": 1, \"format\": \"JSON\", "
        "\"filters\": [[1, \"eq\", [\"09/09/2021\"]], [3, \"bt\", [\"1\", \" 2e3 \"]],"
        " [\"2\", \"in\", [\"a\", \"b\", \"c\"]]], "
        "\"sorts\": [[3, \"desc\"], [1, \"asc\"], [2]], \"other\": true}";
    T_CHECK(hkq_parse(text, &q, &err), "parsed: %s", err ? err : "");
    T_STREQ(q.resource, "http://x/a.csv", "resource");
    T_CHECK(q.format == HKQ_JSON && q.cols.section == 1, "format, section");
    T_CHECK(q.cols.nfilters == 3 && q.cols.filters[0].col == 1 && q.cols.filters[0].op == SQLB_EQ &&
                q.cols.filters[0].n == 1,
            "filter 0");
    T_STREQ(q.cols.filters[0].operands[0], "09/09/2021", "operand");
    T_CHECK(q.cols.filters[1].op == SQLB_BT && q.cols.filters[1].n == 2, "filter 1");
    T_CHECK(q.cols.filters[2].col == 2 && q.cols.filters[2].op == SQLB_IN &&
                q.cols.filters[2].n == 3,
            "filter 2: a column as a string of digits");
    T_CHECK(q.cols.nsorts == 3 && q.cols.sorts[0].col == 3 && q.cols.sorts[0].desc &&
                !q.cols.sorts[1].desc && !q.cols.sorts[2].desc,
            "sorts");
    hkq_free(&q);
    T_CHECK(hkq_parse("{\"resource\": \"r\", \"section\": null, \"format\": null, "
                      "\"filters\": null, \"sorts\": []}",
                      &q, &err),
            "nulls are defaults");
    T_CHECK(q.format == HKQ_CSV && q.cols.section == 1 && q.cols.nfilters == 0 &&
                q.cols.nsorts == 0,
            "defaults");
    hkq_free(&q);
    T_STREQ(hkq_format_name(HKQ_XML), "xml", "format name");
}

static const struct {
    const char *q, *msg;
} bad[] = {
    {"", "q is not valid JSON: "},
    {"{\"resource\": \"r\"} x", "q is not valid JSON: "},
    {"{\"resource\": \"\\u0000\"}", "q is not valid JSON: "},
    {"\xff", "q is not valid JSON: invalid UTF-8"},
    {"null", "q must be a JSON object {\"resource\": ..., ...}"},
    {"[]", "q must be a JSON object {\"resource\": ..., ...}"},
    {"{}", "resource is missing: give the resource's URL or id"},
    {"{\"resource\": null}", "resource is missing: give the resource's URL or id"},
    {"{\"resource\": 1}", "resource must be a string (the resource's URL or id)"},
    {"{\"resource\": \"\"}", "resource must not be empty"},
    {"{\"resource\": \"r\", \"section\": 0}", "section must be a positive integer"},
    {"{\"resource\": \"r\", \"section\": \"01x\"}", "section must be a positive integer"},
    {"{\"resource\": \"r\", \"section\": true}", "section must be a positive integer"},
    {"{\"resource\": \"r\", \"format\": \"tsv\"}", "format must be one of csv, json, xml"},
    {"{\"resource\": \"r\", \"filters\": \"x\"}",
     "filters must be a list of [column, operator, [operands]]"},
    {"{\"resource\": \"r\", \"filters\": [[1, \"eq\", [\"a\"], 4]]}",
     "filters[0] must be a list [column, operator, [operands]]"},
    {"{\"resource\": \"r\", \"filters\": [[1, \"eq\", [\"a\"]], [0, \"eq\", [\"a\"]]]}",
     "filters[1]: the column must be a positive integer (1 is the first)"},
    {"{\"resource\": \"r\", \"filters\": [[1.0, \"eq\", [\"a\"]]]}",
     "filters[0]: the column must be a positive integer (1 is the first)"},
    {"{\"resource\": \"r\", \"filters\": [[1, \"gte\", [\"a\"]]]}",
     "filters[0]: unknown operator \"gte\" (one of eq, ne, in, ni, ct, nct, bw, nbw, ew, new, lt, "
     "le, gt, ge, bt)"},
    {"{\"resource\": \"r\", \"filters\": [[1, [\"eq\"], [\"a\"]]]}",
     "filters[0]: unknown operator [\"eq\"] (one of eq, ne, in, ni, ct, nct, bw, nbw, ew, new, "
     "lt, le, gt, ge, bt)"},
    {"{\"resource\": \"r\", \"filters\": [[1, \"eq\", {}]]}",
     "filters[0]: the operands must be a list of strings"},
    {"{\"resource\": \"r\", \"filters\": [[1, \"eq\", [1]]]}",
     "filters[0]: operand 1 must be a string"},
    {"{\"resource\": \"r\", \"filters\": [[1, \"ct\", []]]}",
     "filters[0]: ct takes 1 operand, got 0"},
    {"{\"resource\": \"r\", \"filters\": [[1, \"bt\", [\"1\", \"2\", \"3\"]]]}",
     "filters[0]: bt takes 2 operands, got 3"},
    {"{\"resource\": \"r\", \"filters\": [[1, \"ni\", []]]}",
     "filters[0]: ni takes 1 to 1000 operands, got 0"},
    {"{\"resource\": \"r\", \"filters\": [[1, \"ge\", [\"1,000\"]]]}",
     "filters[0]: ge compares numbers, and operand 1 (\"1,000\") is not one"},
    {"{\"resource\": \"r\", \"filters\": [[1, \"bt\", [\"1\", \"Infinity\"]]]}",
     "filters[0]: bt compares numbers, and operand 2 (\"Infinity\") is not one"},
    {"{\"resource\": \"r\", \"sorts\": {}}", "sorts must be a list of [column, \"asc\"|\"desc\"]"},
    {"{\"resource\": \"r\", \"sorts\": [[1, \"asc\", 1]]}",
     "sorts[0] must be a list [column, \"asc\"|\"desc\"]"},
    {"{\"resource\": \"r\", \"sorts\": [[1, \"down\"]]}",
     "sorts[0]: the direction must be \"asc\" or \"desc\""},
    {"{\"resource\": \"r\", \"sorts\": [[\"x\", \"asc\"]]}",
     "sorts[0]: the column must be a positive integer (1 is the first)"},
};

static void test_parse_faults(void)
{
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        struct hkq q;
        char *err = NULL;
        T_CHECK(!hkq_parse(bad[i].q, &q, &err), "refused: %s", bad[i].q);
        T_CHECK(err && strncmp(err, bad[i].msg, strlen(bad[i].msg)) == 0, "%s: got \"%s\"",
                bad[i].q, err ? err : "(null)");
        T_CHECK(!q.root && !q.filters && !q.sorts, "nothing left: %s", bad[i].q);
        free(err);
    }
}

static void test_numbers(void)
{
    static const char *const yes[] = {"0",        "-1",    "+2.",   ".5",   " 1e3 ",
                                      "1.5E-300", "\t7\t", "00012", "1e999"};
    static const char *const no[] = {"",    " ",        ".",    "-",   "1e", "1e1000", "1,000",
                                     "NaN", "Infinity", "0x10", "1 2", "e5", "1..2",   "１"};
    for (size_t i = 0; i < ARRAY_LEN(yes); i++)
        T_CHECK(sqlb_is_number(yes[i]), "a number: \"%s\"", yes[i]);
    for (size_t i = 0; i < ARRAY_LEN(no); i++)
        T_CHECK(!sqlb_is_number(no[i]), "not a number: \"%s\"", no[i]);
    char long_one[NUMBER_MAX_LEN + 2];
    memset(long_one, '9', sizeof(long_one) - 1);
    long_one[NUMBER_MAX_LEN + 1] = '\0';
    T_CHECK(!sqlb_is_number(long_one), "too long");
    long_one[NUMBER_MAX_LEN] = '\0';
    T_CHECK(sqlb_is_number(long_one), "at the bound");
    enum sqlb_op op;
    T_CHECK(sqlb_op_parse("new", &op) && op == SQLB_NEW && !sqlb_op_parse("NEW", &op) &&
                sqlb_op_numeric(SQLB_BT) && !sqlb_op_numeric(SQLB_NEW),
            "operator table");
}

static const struct sqlb_field fields[] = {
    {"name", "text", "{}", "{}", "Name"},
    {"n", "int4", "{}", "{}", NULL},
    {"at", "timestamp", "{}", "{}", NULL},
    {"ok", "bool", "{}", "{}", NULL},
};
static const struct sqlb_table table = {"t", NULL, 10, 10, (int)ARRAY_LEN(fields), fields, NULL, NULL, NULL, false};

#define ALL "SELECT \"name\", \"n\", \"at\", \"ok\" FROM datastore.\"t\""
#define NAME "coalesce(\"name\", '')"

/* The SELECT of one query's text (NULL: refused, *msg its message). */
static char *rows_of(const char *text, char **msg)
{
    struct hkq q;
    char *err = NULL, *sql = NULL;
    *msg = NULL;
    if (!hkq_parse(text, &q, &err)) {
        *msg = err;
        return NULL;
    }
    struct sqlb b;
    struct sqlb_err e = {0};
    const struct sqlb_field **out = NULL;
    int nout = 0;
    sqlb_init(&b);
    if (sqlb_column_rows(&b, &table, &q.cols, &out, &nout, &e)) {
        sql = xstrdup(b.sql);
        T_CHECK(nout == 4 && out[0] == &fields[0] && out[3] == &fields[3] && b.nparams == 0,
                "every data field, no _id, no parameters");
    } else {
        *msg = xasprintf("%s %s: %s", e.state, e.param, e.message);
    }
    free(out);
    sqlb_err_clear(&e);
    sqlb_free(&b);
    hkq_free(&q);
    return sql;
}

static const struct {
    const char *filters, *where;
} conds[] = {
    {"[1, \"eq\", [\"it's\"]]", NAME " = 'it''s'::text"},
    {"[1, \"ne\", [\"a\\\\b\"]]", NAME " <> E'a\\\\b'::text"},
    {"[1, \"in\", [\"a\", \"b\\\"\"]]", "(" NAME " = ANY (E'{\"a\",\"b\\\\\"\"}'::text[]))"},
    {"[1, \"ni\", [\"a\"]]", "NOT (" NAME " = ANY ('{\"a\"}'::text[]))"},
    {"[1, \"ct\", [\"%_\"]]", "strpos(" NAME ", '%_'::text) > 0"},
    {"[1, \"nct\", [\"x\"]]", "strpos(" NAME ", 'x'::text) = 0"},
    {"[1, \"bw\", [\"x\"]]", "starts_with(" NAME ", 'x'::text)"},
    {"[1, \"nbw\", [\"x\"]]", "NOT starts_with(" NAME ", 'x'::text)"},
    {"[1, \"ew\", [\"x\"]]", "right(" NAME ", length('x'::text)) = 'x'::text"},
    {"[1, \"new\", [\"x\"]]", "right(" NAME ", length('x'::text)) <> 'x'::text"},
    {"[2, \"lt\", [\"5\"]]", "(\"n\" < '5'::numeric)"},
    {"[2, \"le\", [\" 5 \"]]", "(\"n\" <= ' 5 '::numeric)"},
    {"[2, \"gt\", [\"-1e3\"]]", "(\"n\" > '-1e3'::numeric)"},
    {"[2, \"ge\", [\".5\"]]", "(\"n\" >= '.5'::numeric)"},
    {"[2, \"bt\", [\"1\", \"2\"]]", "(\"n\" BETWEEN '1'::numeric AND '2'::numeric)"},
    {"[2, \"eq\", [\"7\"]]", "coalesce(\"n\"::text, '') = '7'::text"},
    {"[3, \"bw\", [\"2021\"]]",
     "starts_with(coalesce(to_char(\"at\", 'YYYY-MM-DD\"T\"HH24:MI:SS'), ''), '2021'::text)"},
    {"[4, \"eq\", [\"true\"]]", "coalesce(\"ok\"::text, '') = 'true'::text"},
    {"[1, \"gt\", [\"1\"]]",
     "(CASE WHEN length(" NAME ") <= 500 AND " NAME " ~ '^[ \\t]*[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)"
     "([eE][-+]?[0-9]{1,3})?[ \\t]*$' THEN " NAME "::numeric END > '1'::numeric)"},
};

static void test_conditions(void)
{
    for (size_t i = 0; i < ARRAY_LEN(conds); i++) {
        char *text = xasprintf("{\"resource\": \"r\", \"filters\": [%s]}", conds[i].filters);
        char *want = xasprintf(ALL " WHERE %s ORDER BY \"_id\" ASC", conds[i].where);
        char *msg, *sql = rows_of(text, &msg);
        T_STREQ(sql, want, conds[i].filters);
        if (msg)
            fprintf(stderr, "  refused: %s\n", msg);
        free(msg);
        free(sql);
        free(want);
        free(text);
    }
}

static void test_sorts_and_refusals(void)
{
    char *msg, *sql = rows_of("{\"resource\": \"r\", \"filters\": [[1, \"eq\", [\"a\"]], "
                              "[2, \"gt\", [\"1\"]]], \"sorts\": [[2, \"desc\"], [1]]}",
                              &msg);
    T_STREQ(sql,
            ALL " WHERE " NAME " = 'a'::text AND (\"n\" > '1'::numeric) ORDER BY \"n\" DESC, "
                "\"name\" ASC, \"_id\" ASC",
            "filters ANDed, sorts then file order");
    free(sql);
    sql = rows_of("{\"resource\": \"r\"}", &msg);
    T_STREQ(sql, ALL " ORDER BY \"_id\" ASC", "no filter: file order");
    free(sql);
    static const struct {
        const char *q, *msg;
    } refused[] = {
        {"{\"resource\": \"r\", \"section\": 2}",
         "OD210 section: section 2 does not exist: the resource has 1 section"},
        {"{\"resource\": \"r\", \"filters\": [[5, \"eq\", [\"a\"]]]}",
         "OD210 filters: filters[0]: column 5 does not exist: the resource has 4 columns"},
        {"{\"resource\": \"r\", \"sorts\": [[1], [9223372036854775807, \"desc\"]]}",
         "OD210 sorts: sorts[1]: column 9223372036854775807 does not exist: the resource has 4 "
         "columns"},
    };
    for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
        sql = rows_of(refused[i].q, &msg);
        T_CHECK(!sql, "refused: %s", refused[i].q);
        T_STREQ(msg, refused[i].msg, refused[i].q);
        free(msg);
    }
    /* a table without fields has nothing to show */
    struct sqlb_table empty = {"t", NULL, 0, 0, 0, NULL, NULL, NULL, NULL, false};
    struct sqlb_cols cols = {.section = 1};
    struct sqlb b;
    struct sqlb_err e = {0};
    const struct sqlb_field **out;
    int nout;
    sqlb_init(&b);
    T_CHECK(!sqlb_column_rows(&b, &empty, &cols, &out, &nout, &e) && strcmp(e.state, "OD100") == 0,
            "no columns: not a valid resource");
    sqlb_err_clear(&e);
    sqlb_free(&b);
}

int main(void)
{
    test_parse_full();
    test_parse_faults();
    test_numbers();
    test_conditions();
    test_sorts_and_refusals();
    T_DONE();
}
