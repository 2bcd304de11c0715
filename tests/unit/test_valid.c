/* Unit tests for server/core/valid.c: Taiwan limit/offset integers and date/time forms. */
#include "../../server/core/util.c"
#include "../../server/core/valid.c"
#include "testh.h"

static void test_uint(void)
{
    static const struct { const char *in; long long max; bool ok; long long want; } cases[] = {
        {"0", 1000, true, 0},          {"10", 1000, true, 10},
        {"1000", 1000, true, 1000},    {"007", 1000, true, 7},
        {"1001", 1000, false, 0},      {"1000000000", 1000, false, 0},
        {"10.5", 1000, false, 0},      {"11.5", 1000, false, 0},
        {"10,000", 100000, false, 0},  {"-1", 1000, false, 0},
        {"+5", 1000, false, 0},        {"", 1000, false, 0},
        {" 5", 1000, false, 0},        {"5 ", 1000, false, 0},
        {"all", 1000, false, 0},       {"1e3", 10000, false, 0},
        {"0x10", 1000, false, 0},      {"99999999999999999999999", 1000, false, 0},
        {"5", 5, true, 5},             {"6", 5, false, 0},
        {"9", 5, false, 0},            {"0", 0, true, 0},
        {"1", 0, false, 0},
        {"9223372036854775807", 9223372036854775807LL, true, 9223372036854775807LL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long long v = -1;
        bool ok = valid_uint(cases[i].in, cases[i].max, &v);
        T_CHECK(ok == cases[i].ok, "valid_uint(\"%s\") = %d", cases[i].in, ok);
        if (ok && cases[i].ok)
            T_CHECK(v == cases[i].want, "valid_uint(\"%s\") value %lld", cases[i].in, v);
    }
    T_CHECK(!valid_uint(NULL, 10, &(long long){0}), "NULL is not a number");
}

static void test_datetime(void)
{
    static const struct { const char *in; const char *want; bool offset; } good[] = {
        {"2015-01-01", "2015-01-01 00:00:00", false},
        {"2015-01-01 23:59:59", "2015-01-01 23:59:59", false},
        {"2015-01-01T23:59:59+08:00", "2015-01-01 23:59:59+08:00", true},
        {"2015-01-01T23:59:59 08:00", "2015-01-01 23:59:59+08:00", true},
        {"2015-01-01T23:59:59Z", "2015-01-01 23:59:59+00:00", true},
        {"2015-01-01T23:59:59.123-05:30", "2015-01-01 23:59:59-05:30", true},
        {"2015-01-01T00:00:00-15:59", "2015-01-01 00:00:00-15:59", true},
        {"2024-02-29", "2024-02-29 00:00:00", false},
        {"2000-02-29 00:00:00", "2000-02-29 00:00:00", false},
        {"1000-01-01", "1000-01-01 00:00:00", false},
        {"2200-12-31", "2200-12-31 00:00:00", false},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct valid_datetime dt;
        bool ok = valid_datetime(good[i].in, &dt);
        T_CHECK(ok, "valid_datetime(\"%s\") rejected", good[i].in);
        if (ok) {
            T_STREQ(dt.text, good[i].want, good[i].in);
            T_CHECK(dt.has_offset == good[i].offset, "%s offset flag", good[i].in);
        }
    }
    static const char *const bad[] = {
        "2015/01/01", "20150101 23:59:59", "2015-13-01", "2015-02-30", "2015-02-29",
        "1900-02-29", "2015-00-10", "2015-01-00", "2015-01-32", "2015-04-31",
        "2015-01-01 24:00:00", "2015-01-01 23:60:00", "2015-01-01 23:59:60", "2015-01-01 23:59",
        "2015-01-01T23:59:59", "2015-01-01T25:00:00+08:00", "2015-01-01T23:59:59+8:00",
        "2015-01-01 ", " 2015-01-01", "2015-1-1", "3872-04-17 11:13:15", "0999-12-31", "",
        "2015-01-01T23:59:59.+08:00", "2015-01-01x", "2015-01-01 23:59:59+08:00",
        "2015-01-01T00:00:00+16:00", "2015-01-01T00:00:00-23:59", /* beyond PostgreSQL's 15:59 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct valid_datetime dt;
        T_CHECK(!valid_datetime(bad[i], &dt), "valid_datetime(\"%s\") accepted", bad[i]);
    }
}

/* A query's dates (rest/dataset?modified): any year 0001-9999, the same calendar rules. */
static void test_datetime_any_year(void)
{
    static const struct { const char *in; bool ok; } cases[] = {
        {"2999-12-31 23:59:59", true}, {"9999-12-31T23:59:59-14:00", true},
        {"0001-01-01", true},          {"0999-12-31", true},
        {"2024-02-29", true},          {"2400-02-29", true},
        {"3872-04-17 11:13:15", true}, {"2023-02-29", false},
        {"2100-02-29", false},         {"2999-12-31 24:00:00", false},
        {"2999-12-31 23:59:60", false}, {"0000-01-01", false},
        {"10000-01-01", false},        {"2999-13-01", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct valid_datetime dt;
        bool ok = valid_datetime_in(cases[i].in, VALID_YEAR_ANY_MIN, VALID_YEAR_ANY_MAX, &dt);
        T_CHECK(ok == cases[i].ok, "valid_datetime_in(\"%s\") = %d", cases[i].in, ok);
    }
    struct valid_datetime dt;
    T_CHECK(valid_datetime_in("2999-12-31 23:59:59", 1, 9999, &dt) &&
                strcmp(dt.text, "2999-12-31 23:59:59") == 0, "2999-12-31 normalized");
    T_CHECK(!valid_datetime("2999-12-31 23:59:59", &dt), "declared dates keep 1000-2200");
}

static void test_json_scalars(void)
{
    static const struct { const char *in; bool lists, ok; } cases[] = {
        {"{\"County\":\"臺北市\",\"n\":1,\"b\":true,\"z\":null}", false, true},
        {"{}", false, true},
        {"{\"a\":[1,\"x\"]}", true, true},
        {"{\"a\":[1,\"x\"]}", false, false},
        {"{\"a\":[[1]]}", true, false},
        {"{\"a\":{\"b\":1}}", true, false},
        {"EngFiled1:ValueaA", false, false},
        {"\"EngFiled1\":\"ValueaA\"", false, false},
        {"[1,2]", true, false},
        {"", false, false},
        {"{\"a\":1", false, false},
        {"{\"a\":1} x", false, false},
        {"{\"a\":\"x\\u0000y\"}", false, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_object *o = valid_json_scalars(cases[i].in, cases[i].lists);
        T_CHECK((o != NULL) == cases[i].ok, "valid_json_scalars(%s, %d)", cases[i].in,
                cases[i].lists);
        json_object_put(o);
    }
}

/* Whole JSON texts: what request bodies and JSON parameters must be. */
static void test_json(void)
{
#define C(text, ok) {text, sizeof(text) - 1, ok}
    static const struct { const char *in; size_t len; bool ok; } cases[] = {
        C("{}", true),
        C(" {\"a\": [1, \"\\ud83d\\ude00\"]}\n", true),
        C("1", true),
        C("null", true),
        C("\"s\"", true),
        C("{\"a\":", false),                   /* truncated */
        C("{} x", false),                       /* trailing garbage */
        C("{}{}", false),
        C("{\"a\":\"\xff\"}", false),         /* invalid UTF-8 */
        C("{\"a\":\"b\"}\0", false),           /* a NUL byte */
        C("{\"a\":\"\\u0000\"}", false),     /* a NUL character */
        C("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
          false),                               /* deeper than 32 */
        C("", false),
    };
#undef C
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_object *o = NULL;
        const char *why = NULL;
        bool ok = valid_json(cases[i].in, cases[i].len, VALID_JSON_DEPTH, &o, &why);
        T_CHECK(ok == cases[i].ok, "valid_json(%s): %s", cases[i].in, ok ? "ok" : why);
        T_CHECK(ok || (why && *why), "valid_json(%s) says why", cases[i].in);
        json_object_put(o);
    }
}

int main(void)
{
    test_uint();
    test_datetime();
    test_datetime_any_year();
    test_json_scalars();
    test_json();
    T_DONE();
}
