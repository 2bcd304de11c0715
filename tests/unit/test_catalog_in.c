/* Unit tests for importers/catalog_in.c's reading: strict JSON, the document shapes, and
 * validation messages against schemas/tw-dataset-metadata.schema.json; and for
 * importers/catalog_keys.c, which records may not be in flight together. */
#include "../../importers/catalog_in.c"
#include "../../importers/catalog_keys.c"
#include "../../server/core/jschema.c"
#include "../../server/core/jschema_load.c"
#include "../../server/core/log.c"
#include "../../server/core/pgconn.c"
#include "../../server/core/sbuf.c"
#include "../../server/core/util.c"
#include "../../server/core/valid.c"
#include "testh.h"

static void check_parse_error(const char *text, size_t len, const char *want)
{
    char *err = NULL;
    json_object *doc = catin_parse(text, len, &err);
    T_CHECK(!doc && err && strstr(err, want), "%s: got %s", want, err ? err : "a document");
    json_object_put(doc);
    free(err);
}

static void test_parse(void)
{
    char *err = NULL;
    const char ok[] = "\xef\xbb\xbf{\"title\": \"\xe8\xb3\x87\xe6\x96\x99\"}\n";
    json_object *doc = catin_parse(ok, sizeof(ok) - 1, &err);
    T_CHECK(doc && json_object_is_type(doc, json_type_object), "BOM and CJK: %s", err ? err : "");
    json_object_put(doc);
    check_parse_error("{\"a\": 1} x", 10, "near byte 9");
    check_parse_error("{\"a\": \"\xff\"}", 11, "not valid JSON");
    /* Found by fuzz_catalog: json-c's UTF-8 check let these through into error messages and
     * into the text sent to PostgreSQL. */
    check_parse_error("{\"a\": \"\xf4\xae\xae\xb4\"}", 14, "invalid UTF-8 near byte 7");
    check_parse_error("{\"a\": \"\xed\xa0\x80\"}", 13, "invalid UTF-8 near byte 7");
    check_parse_error("{\"a\": \"\xc0\xaf\"}", 12, "invalid UTF-8 near byte 7");
}

static void test_validate(void)
{
    char *err = NULL;
    json_object *schema = jschema_load_file("schemas/tw-dataset-metadata.schema.json", &err);
    T_CHECK(schema != NULL, "schema: %s", err ? err : "");
    if (!schema)
        return;
    json_object *doc = catin_parse("{\"success\": true, \"result\": [{\"identifier\": 1}]}", 48,
                                   &err);
    json_object *recs = doc ? catin_records(doc, &err) : NULL;
    T_CHECK(recs && json_object_is_type(recs, json_type_array), "v1 answer: %s", err ? err : "");
    if (recs) {
        T_CHECK(!catin_validate(schema, json_object_array_get_idx(recs, 0), &err) && err &&
                    util_utf8_valid(err, strlen(err)),
                "invalid record: %s", err ? err : "accepted");
        free(err);
        err = NULL;
    }
    json_object_put(doc);
    doc = catin_parse("\"x\"", 3, &err);
    T_CHECK(doc && !catin_records(doc, &err) && err, "a number is no catalogue");
    free(err);
    json_object_put(doc);
    json_object_put(schema);
}

static bool conflict(const char *a, const char *b)
{
    json_object *ra = json_tokener_parse(a), *rb = json_tokener_parse(b);
    struct catkey ka, kb;
    catkey_of(ra, &ka);
    catkey_of(rb, &kb);
    bool c = catkey_conflict(&ka, &kb);
    T_CHECK(c == catkey_conflict(&kb, &ka), "symmetric: %s %s", a, b);
    catkey_clear(&ka);
    catkey_clear(&kb);
    json_object_put(ra);
    json_object_put(rb);
    return c;
}

/* Records whose order matters: the same dataset name (tw_import_record's normalization, one
 * '-' per non-ASCII character), a shared resourceID, an organization declared otherwise. */
static void test_keys(void)
{
    T_CHECK(conflict("{\"identifier\": \"A-1\"}", "{\"identifier\": \"a-1\"}"), "case");
    T_CHECK(conflict("{\"identifier\": \"a b\"}", "{\"identifier\": \"a\u4e2db\"}"),
            "one '-' per character");
    T_CHECK(!conflict("{\"identifier\": \"a-1\"}", "{\"identifier\": \"a-2\"}"), "names");
    T_CHECK(conflict("{\"identifier\": \"a\", \"distribution\": [{\"resourceID\": \"r\"}]}",
                     "{\"identifier\": \"b\", \"distribution\": [{\"resourceID\": \"q\"}, "
                     "{\"resourceID\": \"r\"}]}"),
            "resource");
    const char *org = "{\"identifier\": \"%s\", \"publisherOrgCode\": \"%s\", "
                      "\"publisher\": \"%s\"}";
    char a[200], b[200];
    snprintf(a, sizeof a, org, "a", "X1", "T");
    snprintf(b, sizeof b, org, "b", "x1", "T");
    T_CHECK(conflict(a, b), "one organization (code in any case), declared otherwise");
    snprintf(b, sizeof b, org, "b", "X1", "T");
    T_CHECK(!conflict(a, b), "one organization declared alike");
    snprintf(b, sizeof b, org, "b", "X2", "T");
    T_CHECK(!conflict(a, b), "two organizations");
    snprintf(a, sizeof a, org, "a", "", "T");
    snprintf(b, sizeof b, org, "b", "?", "T");
    T_CHECK(conflict(a, b), "no usable code: the organization of the title");
}

int main(void)
{
    test_parse();
    test_validate();
    test_keys();
    T_DONE();
}
