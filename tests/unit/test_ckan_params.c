/* Unit tests for server/ckan/ckan_params.c (and req_query.c): GET lists, POST JSON and forms, the
 * typed readers. A struct req with an arena and a bare evhttp request carries the input; the
 * two replies the module sends are recorded instead. */
#include <event2/buffer.h>
#include <event2/http.h>

#include "../../server/core/arena.c"
#include "../../server/ckan/ckan_params.c"
#include "../../server/core/json_span.c"
#include "../../server/core/req_query.c"
#include "../../server/core/route.c"
#include "../../server/core/util.c"
#include "../../server/core/valid.c"
#include "testh.h"

static int last_status;
static char last_msg[256];

void ckan_resp_invalid(struct req *r, const char *field, const char *message)
{
    (void)r;
    last_status = 409;
    snprintf(last_msg, sizeof(last_msg), "%s: %s", field, message);
}

void ckan_resp_invalid_str(struct req *r, const char *field, const char *message)
{
    (void)r;
    last_status = 409;
    snprintf(last_msg, sizeof(last_msg), "%s: %s", field, message);
}

void ckan_resp_bare(struct req *r, int status, const char *message)
{
    (void)r;
    last_status = status;
    snprintf(last_msg, sizeof(last_msg), "%s", message);
}

/* The request data of a GET (qs) or a POST (body, len bytes; a form when form) as JSON text, or
 * NULL. */
static char *data_of(const char *qs, const char *body, size_t len, bool form)
{
    struct req r = {.a = arena_new(), .method = body ? M_POST : M_GET};
    r.ev = evhttp_request_new(NULL, NULL);
    last_status = 0;
    char *out = NULL;
    if (form)
        evhttp_add_header(evhttp_request_get_input_headers(r.ev), "Content-Type",
                          "application/x-www-form-urlencoded");
    if (body)
        evbuffer_add(evhttp_request_get_input_buffer(r.ev), body, len);
    if (body || req_parse_query(&r, qs)) {
        json_object *o = ckan_request_data(&r);
        if (o)
            out = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    }
    arena_free(r.a);
    evhttp_request_free(r.ev);
    return out;
}

static void check_data_as(const char *qs, const char *body, bool form, const char *want)
{
    char *got = data_of(qs, body, body ? strlen(body) : 0, form);
    if (want)
        T_STREQ(got, want, qs ? qs : body);
    else
        T_CHECK(!got && last_status == 400, "%s: got %s, status %d", qs ? qs : body,
                got ? got : "NULL", last_status);
    free(got);
}

static void check_data(const char *qs, const char *body, const char *want)
{
    check_data_as(qs, body, false, want);
}

static void test_request_data(void)
{
    check_data("a=1&b=x%20y&a=2&pretty=1", NULL, "{\"a\":[\"1\",\"2\"],\"b\":\"x y\"}");
    check_data(NULL, "{\"a\": [1, \"x\"], \"pretty\": true}", "{\"a\":[1,\"x\"],\"pretty\":true}");
    check_data_as(NULL, "a=1&b=2", true, "{\"a\":\"1\",\"b\":\"2\"}");
    check_data_as(NULL, "%7B%22id%22%3A%22x%22%7D=", true, "{\"id\":\"x\"}");
    check_data(NULL, "a=1&b=2", NULL); /* a form only with its Content-Type, as CKAN */
    check_data(NULL, "", "{}");
    check_data(NULL, "[1]", NULL);
    check_data(NULL, "{\"a\": \"\\ud800\"}", "{\"a\":\"\xef\xbf\xbd\"}");
}

/* Found by fuzz_ckan_params: a JSON body with bytes that are not UTF-8 was taken as it was. */
static void test_body_not_utf8(void)
{
    check_data(NULL, "{\"a\": \"\xff\"}", NULL);
    check_data(NULL, "{\"\xc3\x28\": 1}", NULL);
    check_data(NULL, "{\"f\xf4\xae\xae\xb4\": 1}", NULL);  /* beyond U+10FFFF: json-c takes it */
    check_data(NULL, "{\"a\": \"\xed\xa0\x80\"}", NULL); /* a surrogate */
    T_CHECK(strstr(last_msg, "Error decoding JSON data") != NULL, "message: %s", last_msg);
    check_data(NULL, "{\"a\": \"\xe4\xb8\x80\"}", "{\"a\":\"\xe4\xb8\x80\"}");
}

static void test_readers(void)
{
    struct req r = {.a = arena_new()};
    json_object *in = json_tokener_parse("{\"l\": \" a , b,,c \", \"n\": \"12\", \"bad\": \"1x\","
                                         " \"neg\": -1, \"d\": \"{\\\"k\\\": 1}\", \"t\": \"on\"}");
    json_object *l, *d;
    long long n;
    bool b;
    T_CHECK(ckan_list_of_strings(&r, in, "l", &l) && json_object_array_length(l) == 3, "list");
    T_STREQ(json_object_get_string(json_object_array_get_idx(l, 0)), "a", "list trims");
    T_CHECK(ckan_natural_number_validator(&r, in, "n", 0, &n) && n == 12, "uint");
    last_status = 0;
    T_CHECK(!ckan_natural_number_validator(&r, in, "bad", 0, &n) && last_status == 409, "bad uint");
    T_CHECK(!ckan_natural_number_validator(&r, in, "neg", 0, &n), "negative");
    T_CHECK(ckan_json_object_validator(&r, in, "d", &d) && json_object_is_type(d, json_type_object),
            "dict");
    T_CHECK(ckan_boolean_validator(&r, in, "t", false, &b) && b, "bool");
    json_object_put(in);
    arena_free(r.a);
}

/* The validators the actions share, as CKAN's read the same values. */
static void test_validators(void)
{
    struct req r = {.a = arena_new()};
    json_object *in = json_tokener_parse("{\"e\": \"\", \"m\": -3, \"s\": \" No \","
                                         " \"x\": \"maybe\", \"p\": \"0\", \"l\": []}");
    long long n;
    bool b;
    const char *s;
    T_CHECK(ckan_ignore_missing_natural(&r, in, "e", 7, &n) && n == 7, "'' is missing");
    T_CHECK(!ckan_natural_number_validator(&r, in, "e", 7, &n), "'' is no natural number");
    T_CHECK(ckan_int_validator(&r, in, "m", 0, &n) && n == -3, "int may be negative");
    T_CHECK(ckan_asbool(&r, in, "s", true, &b) && !b, "asbool trims and ignores case");
    last_status = 0;
    T_CHECK(!ckan_asbool(&r, in, "x", false, &b) && last_status == 409, "asbool refuses");
    T_CHECK(ckan_boolean_validator(&r, in, "x", true, &b) && !b, "boolean_validator: false");
    T_CHECK(!ckan_is_positive_integer(&r, in, "p", &n), "0 is not positive");
    T_CHECK(ckan_is_positive_integer(&r, in, "absent", &n) && n == 0, "absent page");
    T_CHECK(ckan_get_or_bust(&r, in, "e", &s) && *s == '\0', "'' is a value");
    T_CHECK(!ckan_get_or_bust(&r, in, "l", &s), "a list is missing");
    T_CHECK(!ckan_truthy(json_object_object_get(in, "l")), "[] is false");
    T_CHECK(ckan_limit_to_configured_maximum(5000, 1000) == 1000, "cut to max");
    json_object_put(in);
    arena_free(r.a);
}

/* ckan_request_data_raw: "records" cut out of a plain JSON body (its text given), else the data
 * as ckan_request_data gives it, "records" in it. want_raw NULL: not cut. */
static void check_raw(const char *body, const char *want_rest, const char *want_raw)
{
    struct req r = {.a = arena_new(), .method = M_POST};
    r.ev = evhttp_request_new(NULL, NULL);
    last_status = 0;
    evbuffer_add(evhttp_request_get_input_buffer(r.ev), body, strlen(body));
    const char *raw;
    size_t n;
    json_object *o = ckan_request_data_raw(&r, "records", &raw, &n);
    const char *got = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
    if (want_rest)
        T_STREQ(got, want_rest, body);
    else
        T_CHECK(!got && last_status == 400, "%s: got %s", body, got ? got : "NULL");
    if (want_raw)
        T_CHECK(raw && n == strlen(want_raw) && memcmp(raw, want_raw, n) == 0, "%s: raw %.*s",
                body, raw ? (int)n : 4, raw ? raw : "NULL");
    else
        T_CHECK(!raw && n == 0, "%s: cut", body);
    arena_free(r.a);
    evhttp_request_free(r.ev);
}

static void test_request_data_raw(void)
{
    check_raw("{\"resource_id\": \"r\", \"records\": [{\"a\": 1.50}], \"force\": true}",
              "{\"resource_id\":\"r\",\"force\":true}", "[{\"a\": 1.50}]");
    check_raw("{\"records\": [{\"a\": -0}]}", "{\"records\":[{\"a\":0}]}", NULL);
    check_raw("{\"reco\\u0072ds\": [1]}", "{\"records\":[1]}", NULL);
    check_raw("{\"resource_id\": \"r\"}", "{\"resource_id\":\"r\"}", NULL);
    check_raw("{\"records\": [\"\xff\"]}", NULL, NULL); /* not UTF-8: the usual 400 */
    /* a JSONP callback still makes the call anonymous */
    check_raw("{\"callback\": \"f\", \"records\": []}", "{}", "[]");
}

int main(void)
{
    test_request_data();
    test_request_data_raw();
    test_body_not_utf8();
    test_readers();
    test_validators();
    T_DONE();
}
