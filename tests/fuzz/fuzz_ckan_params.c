/* libFuzzer driver for the CKAN action input (server/ckan/ckan_params.c over req_query.c): a GET
 * query string or a POST body (JSON object, form, or CKAN's one-field form holding JSON) →
 * the request data object → the typed readers, in the order datastore_search calls them. The
 * request is a struct req with an arena and an evhttp request that only carries the body (no
 * event loop, no connection); the two replies the readers send are replaced by a record.
 * Checks: a reader answers exactly when it returns false, and at most one answer per request;
 * what the readers hand back has the promised shape; every string is valid UTF-8.
 * Byte 0: bit 0 POST (else GET), bit 1 check names against datastore_search's. */
#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckan_params.h"
#include "req.h"
#include "resp.h"
#include "util.h"

#define FAIL(...)                                                                            \
    do {                                                                                     \
        fprintf(stderr, "fuzz_ckan_params: " __VA_ARGS__);                                   \
        fputc('\n', stderr);                                                                 \
        abort();                                                                             \
    } while (0)

static int answers;

static void check_text(const char *what, const char *s)
{
    if (!s || !util_utf8_valid(s, strlen(s)))
        FAIL("%s: missing or not UTF-8", what);
}

/* resp.c's replies, recorded instead of sent. */
void ckan_resp_invalid(struct req *r, const char *field, const char *message)
{
    check_text("409 field", field);
    check_text("409 message", message);
    r->status = 409;
    answers++;
}

void ckan_resp_invalid_str(struct req *r, const char *field, const char *message)
{
    ckan_resp_invalid(r, field, message);
}

void ckan_resp_bare(struct req *r, int status, const char *message)
{
    check_text("bare message", message);
    r->status = status;
    answers++;
}

/* Every string (keys too) valid UTF-8: the values go to PostgreSQL as text. */
static void check_json(json_object *o, int depth)
{
    if (depth > 64)
        FAIL("nested deeper than json-c parses");
    if (json_object_is_type(o, json_type_string)) {
        const char *s = json_object_get_string(o);
        if (!util_utf8_valid(s, (size_t)json_object_get_string_len(o)))
            FAIL("a string value is not UTF-8");
    } else if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++)
            check_json(json_object_array_get_idx(o, i), depth + 1);
    } else if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, k, v)
        {
            check_text("key", k);
            check_json(v, depth + 1);
        }
    }
}

/* A reader's outcome: false ⇔ one answer more. */
static bool step(bool ok, int before)
{
    if (answers != before + !ok)
        FAIL("a reader returned %s after %d answers", ok ? "true" : "false", answers - before);
    return ok;
}

static void check_list(json_object *l)
{
    if (!l)
        return;
    if (!json_object_is_type(l, json_type_array))
        FAIL("list reader gave a non-array");
    for (size_t i = 0; i < json_object_array_length(l); i++)
        if (!json_object_is_type(json_object_array_get_idx(l, i), json_type_string))
            FAIL("list reader gave a non-string element");
}

/* The readers as datastore_search uses them; stops at the first refusal. */
static void readers(struct req *r, json_object *in, bool names)
{
    static const char *const known[] = {"resource_id", "id", "filters", "q", "full_text",
        "plain", "language", "distinct", "fields", "sort", "limit", "offset", "records_format",
        "include_total", "total_estimation_threshold", NULL};
    json_object *filters, *q, *fields, *sort, *v;
    long long limit, offset;
    bool distinct, total;
    int a = answers;
    if (names && !step(ckan_params_known(r, in, known), a))
        return;
    if (!step(ckan_json_object_validator(r, in, "filters", &filters), a))
        return;
    if (filters && !json_object_is_type(filters, json_type_object))
        FAIL("dict reader gave a non-object");
    if (json_object_object_get_ex(in, "q", &v) && json_object_is_type(v, json_type_string) &&
        json_object_get_string(v)[0] == '{') {
        if (!step(ckan_json_object_validator(r, in, "q", &q), a))
            return;
        if (!q || !json_object_is_type(q, json_type_object))
            FAIL("dict reader gave no object for q");
    }
    if (!step(ckan_list_of_strings(r, in, "fields", &fields), a))
        return;
    check_list(fields);
    if (!step(ckan_list_of_strings(r, in, "sort", &sort), a))
        return;
    check_list(sort);
    if (!step(ckan_natural_number_validator(r, in, "limit", 100, &limit), a) ||
        !step(ckan_natural_number_validator(r, in, "offset", 0, &offset), a))
        return;
    if (limit < 0 || offset < 0)
        FAIL("uint reader gave a negative number");
    if (!step(ckan_boolean_validator(r, in, "distinct", false, &distinct), a) ||
        !step(ckan_boolean_validator(r, in, "include_total", true, &total), a))
        return;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const struct req_user someone = {"id", "name", false, NULL};
    struct req r = {.a = arena_new(), .method = data[0] & 1 ? M_POST : M_GET, .user = &someone};
    r.ev = evhttp_request_new(NULL, NULL);
    answers = 0;
    bool parsed = true;
    if (r.method == M_POST) {
        evbuffer_add(evhttp_request_get_input_buffer(r.ev), data + 1, size - 1);
    } else {
        char *qs = arena_strndup(r.a, (const char *)data + 1, size - 1);
        parsed = req_parse_query(&r, qs);
        for (int i = 0; parsed && i < r.nquery; i++) {
            check_text("query key", r.query[i].key);
            check_text("query value", r.query[i].value);
        }
    }
    if (parsed) {
        json_object *in = ckan_request_data(&r);
        if (!in && answers != 1)
            FAIL("no request data and %d answers", answers);
        if (in && (answers || !json_object_is_type(in, json_type_object)))
            FAIL("request data with an answer, or not an object");
        if (in && json_object_object_get_ex(in, "callback", NULL))
            FAIL("callback kept in the data");
        if (in) {
            check_json(in, 0);
            readers(&r, in, data[0] & 2);
        }
    }
    arena_free(r.a);
    evhttp_request_free(r.ev);
    return 0;
}
