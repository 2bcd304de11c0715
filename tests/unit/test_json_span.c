/* Unit tests for server/core/json_span.c: the span of one top-level member, found only in texts
 * json-c and PostgreSQL read alike; every text it vouches for is checked against json-c. And the
 * string and number scanners it lends to other readers. */
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

/* json_span_string, then json_span_unescape over the contents; want NULL: refused. */
static const struct {
    const char *text;
    const char *want;
    bool escaped;
} strings[] = {
    {"\"\" rest", "", false},
    {"\"plain \xe7\xab\x99\":1", "plain \xe7\xab\x99", false},
    {"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", true},
    {"\"a\\u0041\\u00e9\\u07FF\\u0800\\u7ad9\\uFFFF\"",
     "aA\xc3\xa9\xdf\xbf\xe0\xa0\x80\xe7\xab\x99\xef\xbf\xbf", true},
    {"\"\\u0009\\u000a\\u005c\"", "\t\n\\", true},
    {"\"a\\u0000\"", NULL, false},
    {"\"\\ud800\"", NULL, false},
    {"\"\\uDFFF\"", NULL, false},
    {"\"\\u12\"", NULL, false},
    {"\"\\u12g4\"", NULL, false},
    {"\"\\x\"", NULL, false},
    {"\"tab\there\"", NULL, false},
    {"\"open", NULL, false},
    {"\"open\\", NULL, false},
    {"\"\\u00", NULL, false},
};

/* json_span_number; nint < 0: refused. */
static const struct {
    const char *text;
    size_t len; /* how much of text it reads */
    int nint, nfrac, nexp;
    bool minus, zero;
} numbers[] = {
    {"0", 1, 1, 0, 0, false, true},
    {"-0.00,", 5, 1, 2, 0, true, true},
    {"-0.001", 6, 1, 3, 0, true, false},
    {"12345678901234567890123]", 23, 23, 0, 0, false, false},
    {"1.5e+10}", 7, 1, 1, 2, false, false},
    {"0E-7", 4, 1, 0, 1, false, true},
    {"-10e400", 7, 2, 0, 3, true, false},
    {"01", 0, -1, 0, 0, false, false},
    {"-", 0, -1, 0, 0, false, false},
    {"1.", 0, -1, 0, 0, false, false},
    {"1.e5", 0, -1, 0, 0, false, false},
    {"1e", 0, -1, 0, 0, false, false},
    {"1e+", 0, -1, 0, 0, false, false},
    {".5", 0, -1, 0, 0, false, false},
    {"+1", 0, -1, 0, 0, false, false},
    {"", 0, -1, 0, 0, false, false},
};

static void test_scanners(void)
{
    for (size_t k = 0; k < sizeof(strings) / sizeof(strings[0]); k++) {
        /* an exact-size copy: ASan sees any read past the end */
        size_t n = strlen(strings[k].text), i = 0;
        char *t = malloc(n ? n : 1);
        memcpy(t, strings[k].text, n);
        bool escaped = !strings[k].escaped;
        bool ok = json_span_string(t, n, &i, &escaped);
        T_CHECK(ok == (strings[k].want != NULL), "string %zu (%s): %d", k, strings[k].text, ok);
        if (!ok || !strings[k].want) {
            free(t);
            continue;
        }
        T_CHECK(i > 1 && t[i - 1] == '"' && escaped == strings[k].escaped, "string %zu: end %zu", k,
                i);
        char *out = malloc(i - 2 + 1);
        size_t m = json_span_unescape(t + 1, i - 2, out);
        T_CHECK(m <= i - 2 && m == strlen(strings[k].want) && memcmp(out, strings[k].want, m) == 0,
                "string %zu: unescaped %.*s", k, (int)m, out);
        free(out);
        free(t);
    }
    for (size_t k = 0; k < sizeof(numbers) / sizeof(numbers[0]); k++) {
        const char *t = numbers[k].text;
        size_t i = 0;
        struct json_span_num num;
        bool ok = json_span_number(t, strlen(t), &i, &num);
        T_CHECK(ok == (numbers[k].nint >= 0), "number %zu (%s): %d", k, t, ok);
        if (!ok || numbers[k].nint < 0)
            continue;
        T_CHECK(i == numbers[k].len && num.nint == (size_t)numbers[k].nint &&
                    num.nfrac == (size_t)numbers[k].nfrac && num.nexp == (size_t)numbers[k].nexp &&
                    num.minus == numbers[k].minus && num.zero == numbers[k].zero,
                "number %zu (%s): %zu bytes, %zu.%zue%zu", k, t, i, num.nint, num.nfrac, num.nexp);
    }
}

int main(void)
{
    test_scanners();
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
