/* Unit tests for server/core/req_query.c: query strings (repeats, empty values, '+',
 * percent-encoding, invalid UTF-8 and %00 refused) and path parameters (decoded by route.c),
 * on a struct req that has only an arena. */
#include "../../server/core/arena.c"
#include "../../server/core/req_query.c"
#include "../../server/core/route.c"
#include "../../server/core/util.c"
#include "testh.h"

/* The parameters of qs as "k=v|k=v|..." (keys and values decoded), or NULL when refused. */
static const char *parsed(struct arena *a, const char *qs)
{
    struct req r = {.a = a};
    if (!req_parse_query(&r, qs))
        return NULL;
    char *out = arena_strdup(a, "");
    for (int i = 0; i < r.nquery; i++)
        out = arena_printf(a, "%s%s%s=%s", out, i ? "|" : "", r.query[i].key, r.query[i].value);
    return out;
}

static void test_parse(void)
{
    static const struct {
        const char *qs, *want; /* want NULL: refused */
    } cases[] = {
        {NULL, ""},
        {"", ""},
        {"a=1", "a=1"},
        {"a=1&b=2", "a=1|b=2"},
        {"a=1&a=2&a=3", "a=1|a=2|a=3"},
        {"a=", "a="},
        {"a", "a="},
        {"a&b=", "a=|b="},
        {"=x", "=x"},
        {"&&a=1&&", "a=1"},
        {"&", ""},
        {"a=b=c", "a=b=c"},
        {"q=a+b", "q=a b"},
        {"a+b=c", "a b=c"},
        {"q=a%2Bb", "q=a+b"},
        {"q=%20", "q= "},
        {"q=%26%3D", "q=&="},
        {"%71=1", "q=1"},
        {"q=%e7%9b%a3%E6%B8%AC", "q=監測"},
        {"q=監測", "q=監測"},
        {"q=a%", "q=a%"},
        {"q=%zz", "q=%zz"},
        {"q=%FF", NULL},
        {"q=%C0%AF", NULL},    /* overlong '/' */
        {"q=%ED%A0%80", NULL}, /* a surrogate */
        {"q=%E7%9B", NULL},    /* truncated */
        {"q=a%00b", NULL},
        {"%00=1", NULL},
        {"a=1&q=%00", NULL},
        {"q=\xff", NULL},
    };
    struct arena *a = arena_new();
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const char *got = parsed(a, cases[i].qs);
        if (cases[i].want)
            T_STREQ(got, cases[i].want, cases[i].qs ? cases[i].qs : "(null)");
        else
            T_CHECK(!got, "%s: refused, got \"%s\"", cases[i].qs, got ? got : "");
    }
    arena_free(a);
}

static void test_get(void)
{
    struct arena *a = arena_new();
    struct req r = {.a = a};
    T_CHECK(req_parse_query(&r, "a=1&b=&a=2&c&a=3&q=x+y"), "parsed");
    int n = -1;
    T_STREQ(req_query_get(&r, "a", &n), "1", "the first of repeats");
    T_CHECK(n == 3, "a given 3 times, counted %d", n);
    T_STREQ(req_query_get(&r, "b", &n), "", "empty value");
    T_CHECK(n == 1, "b once, counted %d", n);
    T_STREQ(req_query_get(&r, "c", &n), "", "no '=': empty value");
    T_STREQ(req_query_get(&r, "q", NULL), "x y", "count optional, '+' decoded");
    T_CHECK(!req_query_get(&r, "d", &n) && n == 0, "missing: NULL, count 0");
    T_CHECK(!req_query_get(&r, "A", NULL), "keys are case-sensitive");

    /* Each parse starts afresh. */
    T_CHECK(!req_parse_query(&r, "x=%FF"), "refused");
    T_CHECK(req_parse_query(&r, ""), "empty string");
    T_CHECK(r.nquery == 0 && !req_query_get(&r, "a", NULL), "parsing again starts afresh");
    arena_free(a);
}

static int h(struct req *r)
{
    (void)r;
    return 0;
}

static void test_path_params(void)
{
    static const struct route_def defs[] = {
        {M_GET, "/t/{a}/x/{b}", h, 0},
    };
    static const struct {
        const char *path;
        enum route_status want;
        const char *a, *b;
    } cases[] = {
        {"/t/1/x/2", ROUTE_OK, "1", "2"},
        {"/t/%E7%9B%A3/x/a%20b", ROUTE_OK, "監", "a b"},
        {"/t/a+b/x/%2B", ROUTE_OK, "a+b", "+"}, /* '+' is itself in a path */
        {"/t/a%2Fb/x/c", ROUTE_OK, "a/b", "c"}, /* an encoded '/' stays in its segment */
        {"/t/%25/x/%", ROUTE_OK, "%", "%"},
        {"/t/%FF/x/2", ROUTE_BAD_ENCODING, NULL, NULL},
        {"/t/1/x/a%00", ROUTE_BAD_ENCODING, NULL, NULL},
        {"/t/1/x", ROUTE_NOT_FOUND, NULL, NULL},
    };
    char *err = NULL;
    struct router *rt = route_new(defs, ARRAY_LEN(defs), "/api/v1", &err);
    T_CHECK(rt, "router: %s", err ? err : "");
    if (!rt)
        return;
    struct arena *a = arena_new();
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct req r = {.a = a};
        enum route_status st = route_match(rt, M_GET, cases[i].path, a, &r.route);
        T_CHECK(st == cases[i].want, "%s: status %d, want %d", cases[i].path, st, cases[i].want);
        if (st != ROUTE_OK || cases[i].want != ROUTE_OK)
            continue;
        T_STREQ(req_path_param(&r, 0), cases[i].a, cases[i].path);
        T_STREQ(req_path_param(&r, 1), cases[i].b, cases[i].path);
        T_CHECK(!req_path_param(&r, 2), "%s: no third parameter", cases[i].path);
    }
    arena_free(a);
    route_free(rt);
}

int main(void)
{
    test_parse();
    test_get();
    test_path_params();
    T_DONE();
}
