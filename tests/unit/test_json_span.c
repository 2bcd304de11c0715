/* Unit tests for server/core/json_span.c: the span of one top-level member, found only in texts
 * json-c and PostgreSQL read alike; every text it vouches for is checked against json-c. */
#include <json-c/json.h>
#include <stdlib.h>

#include "../../server/core/json_span.c"
#include "testh.h"

static const struct {
    const char *text;
    const char *want; /* the member's text, NULL: not vouched for */
} cases[] = {
    {"{\"records\": [1, 2]}", "[1, 2]"},
    {" {\"a\":1,\"records\":[{\"x\":\"y\"}],\"b\":null} \n", "[{\"x\":\"y\"}]"},
    {"{\"records\":\"text\"}", "\"text\""},
    {"{\"records\":{}}", "{}"},
    {"{\"records\":[]}", "[]"},
    {"{\"records\":[-1.5e10, 0, -7, 1E+2, 0.25, true, false, null]}",
     "[-1.5e10, 0, -7, 1E+2, 0.25, true, false, null]"},
    {"{\"records\":[\"\\u00e9\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\xe7\xab\x99\"]}",
     "[\"\\u00e9\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\xe7\xab\x99\"]"},
    {"{\"records\":[123456789012345678]}", "[123456789012345678]"},
    {"{\"rec\\u006frds\":[1], \"records\": 2}", NULL}, /* an escaped key might be the same */
    {"{\"records\":1,\"records\":2}", NULL},             /* twice */
    {"{\"other\":1}", NULL},                             /* absent */
    {"[{\"records\":1}]", NULL},                         /* not an object */
    {"{\"records\":1}x", NULL},
    {"{\"records\":1,}", NULL},
    {"{\"records\":[1,]}", NULL},
    {"{\"records\":01}", NULL},
    {"{\"records\":-0}", NULL},                        /* json-c writes 0 */
    {"{\"records\":1234567890123456789}", NULL},       /* past 18 digits */
    {"{\"records\":1e400}", NULL},                     /* infinite as a double */
    {"{\"records\":1.}", NULL},
    {"{\"records\":.5}", NULL},
    {"{\"records\":+1}", NULL},
    {"{\"records\":NaN}", NULL},
    {"{\"records\":Infinity}", NULL},
    {"{\"records\":\"a\\u0000b\"}", NULL},
    {"{\"records\":\"\\ud83d\\ude00\"}", NULL},      /* surrogates: left to the parsers */
    {"{\"records\":\"tab\there\"}", NULL},             /* a raw control character */
    {"{\"records\":\"\\x\"}", NULL},
    {"{\"records\":\"open}", NULL},
    {"{'records':1}", NULL},
    {"{\"records\":tru}", NULL},
    {"{\"records\" 1}", NULL},
    {"{\"records\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
     NULL}, /* deeper than allowed */
    {"", NULL},
    {"{", NULL},
    {"{\"records\":1", NULL},
};

/* json-c's reading of text, as the server's valid_json reads it (strict). */
static json_object *jc(const char *text, size_t len)
{
    json_tokener *tok = json_tokener_new_ex(32);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    if (json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

int main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *t = cases[i].text;
        size_t a = 0, b = 0;
        bool ok = json_span_member(t, strlen(t), "records", 30, &a, &b);
        T_CHECK(ok == (cases[i].want != NULL), "case %zu (%s): %d", i, t, ok);
        if (!ok || !cases[i].want)
            continue;
        T_CHECK(b - a == strlen(cases[i].want) && memcmp(t + a, cases[i].want, b - a) == 0,
                "case %zu: span %.*s", i, (int)(b - a), t + a);
        /* json-c reads the whole text, and the span alone as the member's value */
        char *span = strndup(t + a, b - a);
        json_object *whole = jc(t, strlen(t) + 1), *member = jc(span, b - a + 1), *v;
        free(span);
        T_CHECK(whole && json_object_object_get_ex(whole, "records", &v) &&
                    json_object_equal(v, member),
                "case %zu: json-c reads it otherwise", i);
        json_object_put(whole);
        json_object_put(member);
    }
    size_t a, b;
    T_CHECK(!json_span_member("{\"records\":[[1]]}", 17, "records", 2, &a, &b),
            "depth 3 in 2");
    T_CHECK(json_span_member("{\"records\":[[1]]}", 17, "records", 3, &a, &b), "depth 3 in 3");
    T_CHECK(!json_span_member("{\"records\":[1]}", 15, "records", 0, &a, &b), "depth 0");
    T_DONE();
}
