/* Unit tests for server/legacy/legacy_query.c: the legacy search options translated into a
 * package_search request, escaping, and the revision search's times. */
#include "../../server/core/sbuf.c"
#include "../../server/core/util.c"
#include "../../server/legacy/legacy_query.c"
#include "testh.h"

/* Translate a JSON text of options; *q, *rows ... of the result as text (NULL: absent). */
static const char *get(json_object *in, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(in, key, &v) ? json_object_get_string(v) : NULL;
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void test_translate(void)
{
    static const struct {
        const char *params;
        int ver;
        const char *q, *rows, *start, *sort, *fl;
        bool all_fields;
        const char *single;
    } cases[] = {
        {"{}", 1, NULL, "10", "0", NULL, "name", false, "name"},
        {"{}", 2, NULL, "10", "0", NULL, "id", false, "id"},
        {"{\"q\": \"water+quality\"}", 1, "water quality", "10", "0", NULL, "name", false, "name"},
        {"{\"title\": \"a b\"}", 1, "title:\"a b\"", "10", "0", NULL, "name", false, "name"},
        {"{\"title\": \"a+b\"}", 1, "title:\"a b\"", "10", "0", NULL, "name", false, "name"},
        {"{\"name\": \"x-y:z\"}", 1, "name:x\\-y\\:z", "10", "0", NULL, "name", false, "name"},
        {"{\"name\": \"  \"}", 1, NULL, "10", "0", NULL, "name", false, "name"},
        {"{\"q\": \"w\", \"tags\": [\"a b\", \"c\"]}", 1, "w tags:\"a b\" tags:\"c\"", "10", "0",
         NULL, "name", false, "name"},
        {"{\"tags\": \"t\\\"x\"}", 1, "tags:\"t\\\"x\"", "10", "0", NULL, "name", false, "name"},
        {"{\"offset\": \"5\", \"limit\": \" 7 \"}", 1, NULL, "7", "5", NULL, "name", false,
         "name"},
        {"{\"limit\": 5000}", 1, NULL, "1000", "0", NULL, "name", false, "name"},
        {"{\"order_by\": \"title\"}", 1, NULL, "10", "0", "title asc", "name", false, "name"},
        {"{\"fl\": \"name,title\"}", 1, NULL, "10", "0", NULL, "name,title", false, NULL},
        {"{\"fl\": \"id\"}", 1, NULL, "10", "0", NULL, "id", false, "id"},
        {"{\"all_fields\": \"0\"}", 1, NULL, "10", "0", NULL, "id", true, NULL},
        {"{\"all_fields\": \"1\", \"fl\": \"name\"}", 2, NULL, "10", "0", NULL, "id", true, NULL},
        {"{\"fl\": \"*\"}", 1, NULL, "10", "0", NULL, "id", true, NULL},
        {"{\"all_fields\": false}", 1, NULL, "10", "0", NULL, "name", false, "name"},
        {"{\"all_fields\": 0}", 1, NULL, "10", "0", NULL, "name", false, "name"},
        {"{\"callback\": \"cb\", \"wt\": \"json\", \"facet\": \"true\"}", 1, NULL, "10", "0",
         NULL, "name", false, "name"},
        {"{\"res_format\": [\"CSV\", \"JSON\"]}", 1, "res_format:CSV res_format:JSON", "10", "0",
         NULL, "name", false, "name"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        json_object *p = json_tokener_parse(cases[i].params);
        struct legacy_search ls;
        char *err;
        bool ok = legacy_search_translate(p, cases[i].ver, &ls, &err);
        T_CHECK(ok, "translate(%s): %s", cases[i].params, ok ? "" : err);
        if (ok) {
            T_CHECK(same(get(ls.in, "q"), cases[i].q), "%s: q %s", cases[i].params,
                    get(ls.in, "q"));
            T_CHECK(same(get(ls.in, "rows"), cases[i].rows), "%s: rows", cases[i].params);
            T_CHECK(same(get(ls.in, "start"), cases[i].start), "%s: start", cases[i].params);
            T_CHECK(same(get(ls.in, "sort"), cases[i].sort), "%s: sort", cases[i].params);
            T_CHECK(same(get(ls.in, "fl"), cases[i].fl), "%s: fl %s", cases[i].params,
                    get(ls.in, "fl"));
            T_CHECK(same(get(ls.in, "fq"), "+capacity:public"), "%s: fq", cases[i].params);
            T_CHECK(ls.all_fields == cases[i].all_fields, "%s: all_fields", cases[i].params);
            T_CHECK(same(ls.single, cases[i].single), "%s: single", cases[i].params);
            json_object_put(ls.in);
        } else {
            free(err);
        }
        json_object_put(p);
    }
}

static void test_refused(void)
{
    static const struct {
        const char *params, *err;
    } cases[] = {
        {"{\"filter_by_openness\": \"1\"}", "Search option 'filter_by_openness' is not supported"},
        {"{\"filter_by_downloadable\": \"\"}",
         "Search option 'filter_by_downloadable' is not supported"},
        {"{\"all_fields\": \"maybe\"}", "Value for search option 'all_fields' must be True or "
                                        "False (1 or 0) but received 'maybe'"},
        {"{\"all_fields\": \"\"}", "Value for search option 'all_fields' must be True or False "
                                   "(1 or 0) but received ''"},
        {"{\"limit\": \"x\"}", "Value for search option 'limit' must be an integer but received "
                               "'x'"},
        {"{\"offset\": \"1.5\"}", "Value for search option 'offset' must be an integer but "
                                  "received '1.5'"},
        {"{\"limit\": \"-1\"}", "Value for search option 'limit' must not be negative but "
                                "received '-1'"},
        {"{\"limit\": true}", "Value for search option 'limit' must be an integer but received "
                              "'true'"},
        {"{\"tags\": 5}", "Was expecting either a string or JSON list for the tags parameter: "
                          "'5'"},
        {"{\"a:b\": \"x\"}", "Unknown search option 'a:b'"},
        {"{\"\": \"x\"}", "Unknown search option ''"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        json_object *p = json_tokener_parse(cases[i].params);
        struct legacy_search ls;
        char *err = NULL;
        bool ok = legacy_search_translate(p, 1, &ls, &err);
        T_CHECK(!ok && err && strcmp(err, cases[i].err) == 0, "refuse(%s): %s", cases[i].params,
                err ? err : "(accepted)");
        if (ok)
            json_object_put(ls.in);
        free(err);
        json_object_put(p);
    }
}

static void test_escape(void)
{
    char *e = legacy_escape("a+b-c&d|e!f(g)h{i}j[k]l^m\"n~o*p?q:r\\s t");
    T_CHECK(strcmp(e, "a\\+b\\-c\\&d\\|e\\!f\\(g\\)h\\{i\\}j\\[k\\]l\\^m\\\"n\\~o\\*p\\?q\\:r"
                      "\\\\s t") == 0, "escape: %s", e);
    free(e);
}

static void test_iso_time(void)
{
    static const struct {
        const char *in;
        bool ok;
    } cases[] = {
        {"2020-01-01", true}, {"2020-01-01T10:20", true}, {"2020-01-01T10:20:30", true},
        {"2020-01-01 10:20:30.123456", true}, {"2020-13-01", false}, {"2020-01-32", false},
        {"2020-01-01T24:00", false}, {"2020-01-01T10:60", false}, {"2020-01-01T10:20:30.", false},
        {"2020-01-01T10:20:30.1234567", false}, {"yesterday", false}, {"", false},
        {"2020-1-01", false}, {"2020-01-01Z", false}, {"2020-01-01T10:20:61", false},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        T_CHECK(legacy_iso_time_ok(cases[i].in) == cases[i].ok, "iso(%s)", cases[i].in);
}

int main(void)
{
    test_translate();
    test_refused();
    test_escape();
    test_iso_time();
    T_DONE();
}
