/* Unit tests for server/core/netaddr.c: the --listen forms (IPv4, [IPv6], host names), the
 * ones refused, resolution, and the site URL a listen address implies. */
#include "../../server/core/netaddr.c"
#include "../../server/core/util.c"
#include "testh.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static void test_split(void)
{
    static const struct {
        const char *in, *host, *port; /* host NULL: refused */
    } cases[] = {
        {"127.0.0.1:5000", "127.0.0.1", "5000"},
        {"localhost:5099", "localhost", "5099"},
        {"data.example.org:80", "data.example.org", "80"},
        {"[::1]:5000", "::1", "5000"},
        {"[::]:8080", "::", "8080"},
        {"0.0.0.0:65535", "0.0.0.0", "65535"},
        {"::1:5000", NULL, NULL},      /* IPv6 without brackets */
        {"127.0.0.1", NULL, NULL},     /* no port */
        {"127.0.0.1:", NULL, NULL},
        {":5000", NULL, NULL},         /* no host */
        {"[::1]5000", NULL, NULL},
        {"[::1", NULL, NULL},
        {"host:0", NULL, NULL},
        {"host:65536", NULL, NULL},
        {"host:123456", NULL, NULL},
        {"host:80a", NULL, NULL},
        {"host:-80", NULL, NULL},
        {"", NULL, NULL},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *h = NULL, *p = NULL;
        bool ok = netaddr_split(cases[i].in, &h, &p);
        T_CHECK(ok == (cases[i].host != NULL), "split(%s): %d", cases[i].in, ok);
        if (ok && cases[i].host)
            T_CHECK(strcmp(h, cases[i].host) == 0 && strcmp(p, cases[i].port) == 0,
                    "split(%s) = %s, %s", cases[i].in, h, p);
        free(h);
        free(p);
    }
}

static void test_resolve(void)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char *err = NULL;
    T_CHECK(netaddr_resolve("127.0.0.1:5001", &ss, &len, &err) && ss.ss_family == AF_INET &&
                ntohs(((struct sockaddr_in *)&ss)->sin_port) == 5001,
            "IPv4");
    T_CHECK(netaddr_resolve("[::1]:5002", &ss, &len, &err) && ss.ss_family == AF_INET6 &&
                ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == 5002,
            "IPv6");
    T_CHECK(netaddr_resolve("localhost:5003", &ss, &len, &err) &&
                (ss.ss_family == AF_INET || ss.ss_family == AF_INET6),
            "a host name");
    T_CHECK(!netaddr_resolve("no-such-host.invalid:5004", &ss, &len, &err) && err &&
                strstr(err, "no-such-host.invalid"),
            "an unknown name: %s", err ? err : "");
    free(err);
    err = NULL;
    T_CHECK(!netaddr_resolve("5000", &ss, &len, &err) && err && strstr(err, "HOST:PORT"),
            "no port: %s", err ? err : "");
    free(err);
}

static void test_site_url(void)
{
    char *u = netaddr_site_url("127.0.0.1:5000");
    T_STREQ(u, "http://127.0.0.1:5000", "IPv4");
    free(u);
    u = netaddr_site_url("[::1]:5000");
    T_STREQ(u, "http://[::1]:5000", "IPv6 keeps its brackets");
    free(u);
    u = netaddr_site_url("portal.example:8080");
    T_STREQ(u, "http://portal.example:8080", "a name");
    free(u);
    u = netaddr_site_url("0.0.0.0:80");
    T_CHECK(u && strncmp(u, "http://", 7) == 0 && !strstr(u, "0.0.0.0") &&
                strcmp(u + strlen(u) - 3, ":80") == 0,
            "an unspecified address names this machine: %s", u);
    free(u);
    T_CHECK(netaddr_site_url("nonsense") == NULL, "no URL for a refused address");
}

int main(void)
{
    test_split();
    test_resolve();
    test_site_url();
    T_DONE();
}
