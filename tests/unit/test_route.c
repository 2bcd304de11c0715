/* Unit tests for server/core/route.c: segment matching, parameters, 404 vs 405, the {sru} root. */
#include "../../server/core/arena.c"
#include "../../server/core/route.c"
#include "../../server/core/util.c"
#include "testh.h"

static int h_a(struct req *r) { (void)r; return 1; }
static int h_b(struct req *r) { (void)r; return 2; }
static int h_c(struct req *r) { (void)r; return 3; }

static const struct route_def defs[] = {
    {M_GET, "{sru}/rest/dataset", h_a, 0},
    {M_GET, "{sru}/rest/dataset/{id}", h_b, 0},
    {M_GET | M_POST, "/api/3/action/{name}", h_c, 0},
};

struct case_ {
    const char *sru, *path;
    unsigned method;
    enum route_status want;
    route_handler handler;
    const char *param;
};

static const struct case_ cases[] = {
    {"/api/v1", "/api/v1/rest/dataset", M_GET, ROUTE_OK, h_a, NULL},
    {"/api/v1", "/api/v1/rest/dataset/", M_GET, ROUTE_OK, h_a, NULL},
    {"/api/v1", "/api/v1/rest/dataset", M_HEAD, ROUTE_OK, h_a, NULL},
    {"/api/v1", "/api/v1/rest/dataset", M_POST, ROUTE_METHOD, NULL, NULL},
    {"/api/v1", "/api/v1/rest/dataset/A41000000G-000001", M_GET, ROUTE_OK, h_b, "A41000000G-000001"},
    {"/api/v1", "/api/v1/rest/dataset/%E7%9B%A3%E6%B8%AC", M_GET, ROUTE_OK, h_b, "監測"},
    {"/api/v1", "/api/v1/rest/dataset/a%20b", M_GET, ROUTE_OK, h_b, "a b"},
    {"/api/v1", "/api/v1/rest/dataset/a+b", M_GET, ROUTE_OK, h_b, "a+b"},
    {"/api/v1", "/api/v1/rest/dataset/%FF", M_GET, ROUTE_BAD_ENCODING, NULL, NULL},
    {"/api/v1", "/api/v1/rest/dataset/a%00b", M_GET, ROUTE_BAD_ENCODING, NULL, NULL},
    {"/api/v1", "/api/v1/rest/dataset/x/y", M_GET, ROUTE_NOT_FOUND, NULL, NULL},
    {"/api/v1", "/api/v2/rest/dataset", M_GET, ROUTE_NOT_FOUND, NULL, NULL},
    {"/api/v1", "/api/rest/dataset", M_GET, ROUTE_NOT_FOUND, NULL, NULL},
    {"/api/v1", "/", M_GET, ROUTE_NOT_FOUND, NULL, NULL},
    {"/api", "/api/rest/dataset", M_GET, ROUTE_OK, h_a, NULL},
    {"/api/", "/api/rest/dataset/x", M_GET, ROUTE_OK, h_b, "x"},
    {"/api", "/api/v1/rest/dataset", M_GET, ROUTE_NOT_FOUND, NULL, NULL},
    {"/api", "/api/3/action/status_show", M_POST, ROUTE_OK, h_c, "status_show"},
    {"/api", "/api/3/action/status_show", M_DELETE, ROUTE_METHOD, NULL, NULL},
};

static void test_match(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct case_ *c = &cases[i];
        char *err = NULL;
        struct router *rt = route_new(defs, 3, c->sru, &err);
        T_CHECK(rt != NULL, "route_new(%s): %s", c->sru, err ? err : "");
        if (!rt)
            continue;
        struct arena *a = arena_new();
        struct route_match m;
        enum route_status st = route_match(rt, c->method, c->path, a, &m);
        T_CHECK(st == c->want, "%s %s: status %d, want %d", c->sru, c->path, st, c->want);
        if (st == ROUTE_OK && c->want == ROUTE_OK) {
            T_CHECK(m.def->handler == c->handler, "%s: handler", c->path);
            if (c->param)
                T_STREQ(m.params[0], c->param, c->path);
            else
                T_CHECK(m.nparams == 0, "%s: no params", c->path);
        }
        if (st == ROUTE_METHOD)
            T_CHECK(m.allowed != 0, "%s: allowed methods reported", c->path);
        arena_free(a);
        route_free(rt);
    }
}

static void test_family_and_bad_sru(void)
{
    char *err = NULL;
    struct router *rt = route_new(defs, 3, "/api/v1", &err);
    T_CHECK(route_under(rt, "{sru}/rest", "/api/v1/rest/nothing"), "under sru/rest");
    T_CHECK(route_under(rt, "{sru}/dump", "/api/v1/dump/datastore/x"), "under sru/dump");
    T_CHECK(!route_under(rt, "{sru}/rest", "/api/3/action/x"), "not under sru elsewhere");
    T_CHECK(!route_under(rt, "{sru}/rest", "/api/v10/rest"), "sru must end at a segment");
    T_CHECK(!route_under(rt, "{sru}/rest", "/api/v1/restx"), "rest must be a whole segment");
    T_CHECK(route_under(rt, "{sru}/rest", "/api/v1/rest"), "sru/rest itself is under it");
    T_CHECK(route_under(rt, "/datastore", "/datastore/dump/x"), "a prefix without sru");
    T_CHECK(!route_under(rt, "/datastore", "/datastorex"), "a prefix without sru, whole");
    route_free(rt);
    static const char *const bad[] = {"api", "/api//v1", "/api/{x}", "/api?x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = NULL;
        rt = route_new(defs, 3, bad[i], &err);
        T_CHECK(rt == NULL && err != NULL, "sru \"%s\" refused", bad[i]);
        free(err);
        route_free(rt);
    }
}

int main(void)
{
    test_match();
    test_family_and_bad_sru();
    T_DONE();
}
