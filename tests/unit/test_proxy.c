/* Unit tests for server/core/proxy.c: --trusted-proxies lists (IPv4, IPv6, CIDR, refusals),
 * the client X-Forwarded-For names behind trusted proxies (spoofed left ends ignored), and the
 * request ids taken from X-Request-Id. */
#include "../../server/core/arena.c"
#include "../../server/core/proxy.c"
#include "../../server/core/util.c"
#include "testh.h"

static void test_parse(void)
{
    char *err = NULL;
    struct proxy_list *l = proxy_parse("10.0.0.0/8, 192.168.1.7 ::1,fd00::/8", &err);
    T_CHECK(l && l->n == 4, "four entries");
    T_CHECK(proxy_trusted(l, "10.200.3.4") && proxy_trusted(l, "192.168.1.7") &&
                proxy_trusted(l, "::1") && proxy_trusted(l, "fd12::5"),
            "inside");
    T_CHECK(!proxy_trusted(l, "11.0.0.1") && !proxy_trusted(l, "192.168.1.8") &&
                !proxy_trusted(l, "::2") && !proxy_trusted(l, "fe80::1") &&
                !proxy_trusted(l, "nonsense") && !proxy_trusted(l, ""),
            "outside");
    proxy_free(l);
    l = proxy_parse("", &err);
    T_CHECK(l && l->n == 0 && !proxy_trusted(l, "127.0.0.1"), "none");
    proxy_free(l);
    l = proxy_parse("127.0.0.1/25", &err);
    T_CHECK(l && proxy_trusted(l, "127.0.0.127") && !proxy_trusted(l, "127.0.0.128"),
            "a prefix inside a byte");
    proxy_free(l);
    static const char *const bad[] = {"10.0.0.0/33", "::/129", "host.example", "10.0.0.1/",
                                      "10.0.0.1/x", "1.2.3", "/8"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        err = NULL;
        l = proxy_parse(bad[i], &err);
        T_CHECK(!l && err && strstr(err, "--trusted-proxies"), "refused: %s", bad[i]);
        free(err);
    }
}

static void test_client(void)
{
    char *err = NULL;
    struct proxy_list *l = proxy_parse("10.0.0.0/8", &err);
    struct arena *a = arena_new();
    static const struct {
        const char *peer, *xff, *want;
    } cases[] = {
        {"203.0.113.9", "1.2.3.4", "203.0.113.9"},          /* not from a proxy: the peer */
        {"10.0.0.2", NULL, "10.0.0.2"},                     /* a proxy without the header */
        {"10.0.0.2", "198.51.100.7", "198.51.100.7"},
        {"10.0.0.2", "6.6.6.6, 198.51.100.7", "198.51.100.7"}, /* a spoofed left end */
        {"10.0.0.2", "198.51.100.7, 10.1.1.1", "198.51.100.7"}, /* through two proxies */
        {"10.0.0.2", "10.3.3.3 ,10.1.1.1", "10.3.3.3"},      /* every hop trusted: the first */
        {"10.0.0.2", "garbage, 198.51.100.7", "198.51.100.7"},
        {"10.0.0.2", "198.51.100.7, garbage", "10.0.0.2"},  /* trust ends at a bad hop */
        {"10.0.0.2", "2001:db8::1", "2001:db8::1"},
        {"10.0.0.2", "", "10.0.0.2"},
        {"10.0.0.2", ",,,", "10.0.0.2"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const char *got = proxy_client(l, cases[i].peer, cases[i].xff, a);
        T_CHECK(strcmp(got, cases[i].want) == 0, "client(%s, %s) = %s", cases[i].peer,
                cases[i].xff ? cases[i].xff : "-", got);
    }
    T_CHECK(strcmp(proxy_client(NULL, "1.1.1.1", "2.2.2.2", a), "1.1.1.1") == 0, "no list");
    arena_free(a);
    proxy_free(l);
}

static void test_request_ids(void)
{
    T_CHECK(proxy_request_id_ok("abc-123_x.y:z") && proxy_request_id_ok("7"), "taken");
    char long_id[130];
    memset(long_id, 'a', 129);
    long_id[129] = '\0';
    T_CHECK(!proxy_request_id_ok("") && !proxy_request_id_ok("a b") &&
                !proxy_request_id_ok("a\"b") && !proxy_request_id_ok("a\nb") &&
                !proxy_request_id_ok(long_id) && !proxy_request_id_ok("中"),
            "refused");
    long_id[128] = '\0';
    T_CHECK(proxy_request_id_ok(long_id), "128 characters");
}

int main(void)
{
    test_parse();
    test_client();
    test_request_ids();
    T_DONE();
}
