/* Unit tests for server/datastore/ds_json.c: the records of a row-wise read written as
 * PostgreSQL's json_build_object / json_build_array and json_agg write them, from results made
 * with libpq's own result builders. (Byte-for-byte agreement with PostgreSQL on every column
 * type: tests/api/test_datastore_json.py.) */
#include <stdlib.h>

#include "../../server/core/util.c"
#include "../../server/datastore/ds_json.c"
#include "testh.h"

/* A result of the row-wise shape: head, tail, n, then ncols values a row ("\x01": NULL). */
static PGresult *make(int ncols, int nrows, const char *const *cells)
{
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    PGresAttDesc att[16];
    memset(att, 0, sizeof(att));
    for (int i = 0; i < 3 + ncols; i++)
        att[i].name = (char *)"c";
    PQsetResultAttrs(res, 3 + ncols, att);
    for (int r = 0; r < nrows; r++)
        for (int c = 0; c < 3 + ncols; c++) {
            const char *v = cells[r * (3 + ncols) + c];
            bool null = v && strcmp(v, "\x01") == 0;
            PQsetvalue(res, r, c, null ? NULL : (char *)v, null ? -1 : (int)strlen(v));
        }
    return res;
}

static char *run(PGresult *res, enum sqlb_format fmt, int ncols, const char *const *names,
                 const enum sqlb_kind *kinds)
{
    struct sqlb_shape shape = {.rowwise = true,
                               .format = fmt,
                               .first = 3,
                               .ncols = ncols,
                               .names = (char **)names,
                               .kinds = (enum sqlb_kind *)kinds};
    size_t len = 0;
    char *out = dsj_result(res, &shape, &len);
    T_CHECK(!out || strlen(out) == len, "length");
    PQclear(res);
    return out;
}

#define N "\x01"

static void test_objects(void)
{
    const char *names[] = {"_id", "a\"b\\c", "on", "x", "j", "名"};
    const enum sqlb_kind kinds[] = {SQLB_K_NUMBER, SQLB_K_STRING, SQLB_K_BOOL,
                                    SQLB_K_NUMBER, SQLB_K_JSON,   SQLB_K_STRING};
    const char *cells[] = {
        "{\"h\": 1, \"records\": ",
        "}",
        "1",
        "1",
        "q\"\\\b\f\n\r\t\x01\x1f\x7f é",
        "t",
        "-2.5",
        "[1, {\"k\" : null}]",
        "站",
        N,
        N,
        "2",
        "2",
        "",
        "f",
        "NaN",
        "\"s\"",
        N,
        N,
        N,
        "3",
        "3",
        N,
        N,
        "-Infinity",
        N,
        "0",
    };
    char *out = run(make(6, 3, cells), SQLB_OBJECTS, 6, names, kinds);
    T_STREQ(
        out,
        "{\"h\": 1, \"records\": [{\"_id\" : 1, \"a\\\"b\\\\c\" : \"q\\\"\\\\\\b\\f\\n\\r\\t"
        "\\u0001\\u001f\x7f é\", \"on\" : true, \"x\" : -2.5, \"j\" : [1, {\"k\" : null}], "
        "\"名\" : \"站\"}, {\"_id\" : 2, \"a\\\"b\\\\c\" : \"\", \"on\" : false, \"x\" : "
        "\"NaN\", \"j\" : \"s\", \"名\" : null}, {\"_id\" : 3, \"a\\\"b\\\\c\" : null, \"on\" : "
        "null, \"x\" : \"-Infinity\", \"j\" : null, \"名\" : \"0\"}]}",
        "objects");
    free(out);
}

static void test_lists_and_empty(void)
{
    const char *names[] = {"a", "b"};
    const enum sqlb_kind kinds[] = {SQLB_K_NUMBER, SQLB_K_STRING};
    const char *cells[] = {"H[", "]T", "1", "10", "x", N, N, "2", "-0", N};
    char *out = run(make(2, 2, cells), SQLB_LISTS, 2, names, kinds);
    T_STREQ(out, "H[[[10, \"x\"], [-0, null]]]T", "lists");
    free(out);
    const char *empty[] = {"H", "T", N, N, N};
    out = run(make(2, 1, empty), SQLB_OBJECTS, 2, names, kinds);
    T_STREQ(out, "H[]T", "an empty page: its one row has n NULL");
    free(out);
    const char *none[] = {"H", "T", "1", "H", "T", "2"};
    out = run(make(0, 2, none), SQLB_OBJECTS, 0, names, kinds);
    T_STREQ(out, "H[{}, {}]T", "no fields: empty objects, as json_build_object()");
    free(out);
    out = run(make(0, 2, none), SQLB_LISTS, 0, names, kinds);
    T_STREQ(out, "H[[], []]T", "no fields: empty lists");
    free(out);
}

static void test_wrong_shapes(void)
{
    const char *names[] = {"a", "b"};
    const enum sqlb_kind kinds[] = {SQLB_K_NUMBER, SQLB_K_STRING};
    const char *cells[] = {"H", "T", "1", "1"};
    T_CHECK(run(make(1, 1, cells), SQLB_OBJECTS, 2, names, kinds) == NULL, "too few columns");
    T_CHECK(run(make(1, 0, cells), SQLB_OBJECTS, 1, names, kinds) == NULL, "no row");
    const char *nohead[] = {N, "T", "1", "1"};
    T_CHECK(run(make(1, 1, nohead), SQLB_OBJECTS, 1, names, kinds) == NULL, "no head");
}

static void test_escape_long(void)
{
    /* a long text with escapes at both ends and a run between: the runs copied whole */
    size_t n = 100000;
    char *s = xmalloc(n);
    memset(s, 'a', n);
    s[0] = '"';
    s[n - 1] = '\n';
    char *out = NULL;
    size_t used = 0, cap = 0;
    dsj_escape(&out, &used, &cap, s, n);
    T_CHECK(used == n + 2 && memcmp(out, "\\\"a", 3) == 0 && memcmp(out + used - 3, "a\\n", 3) == 0,
            "long text escaped");
    free(out);
    free(s);
}

/* Records from COPY's text lines: the same bytes as from result rows. */
static void test_copy_lines(void)
{
    const char *names[] = {"n", "s", "b", "j"};
    const enum sqlb_kind kinds[] = {SQLB_K_NUMBER, SQLB_K_STRING, SQLB_K_BOOL, SQLB_K_JSON};
    struct sqlb_shape shape = {.rowwise = true, .format = SQLB_OBJECTS, .ncols = 4,
                               .names = (char **)names, .kinds = (enum sqlb_kind *)kinds};
    struct dsj_writer w;
    dsj_init(&w, &shape);
    static const char l1[] = "1\ttab\\t \"q\" \\\\ \\n\\r\\b\\f\\v\x01 \xc3\xa9\tt\t{\"a\" : \"x\\\\\"y\\n\"}\n";
    T_CHECK(dsj_copy_record(&w, l1, sizeof(l1) - 1), "a line with escapes");
    static const char l2[] = "NaN\t\\N\tf\t\\N";
    T_CHECK(dsj_copy_record(&w, l2, sizeof(l2) - 1), "NULLs, no newline at the end");
    static const char l3[] = "\\N\t\\\\N\t\\N\t[1,\t2]\n";
    T_CHECK(!dsj_copy_record(&w, l3, sizeof(l3) - 1), "five values for four: refused");
    static const char l4[] = "1\tx\tt\n";
    T_CHECK(!dsj_copy_record(&w, l4, sizeof(l4) - 1), "three values for four: refused");
    static const char l5[] = "-0.5\t\\\\N\tt\tnull\n";
    T_CHECK(dsj_copy_record(&w, l5, sizeof(l5) - 1), "a text \\N is not NULL");
    dsj_put(&w, "", 1);
    T_STREQ(w.p,
            "{\"n\" : 1, \"s\" : \"tab\\t \\\"q\\\" \\\\ \\n\\r\\b\\f\\u000b\\u0001 \xc3\xa9\", "
            "\"b\" : true, \"j\" : {\"a\" : \"x\\\"y\n\"}}, {\"n\" : \"NaN\", \"s\" : null, \"b\" : "
            "false, \"j\" : null}, {\"n\" : -0.5, \"s\" : \"\\\\N\", \"b\" : true, \"j\" : null}",
            "records from COPY lines");
    T_CHECK(w.records == 3, "three records written");
    dsj_free(&w);
}

int main(void)
{
    test_copy_lines();
    test_objects();
    test_lists_and_empty();
    test_wrong_shapes();
    test_escape_long();
    T_DONE();
}
