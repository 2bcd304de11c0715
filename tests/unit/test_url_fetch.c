/* Unit tests for server/datastore/url_fetch.c: which addresses a fetch may reach (the SSRF
 * check every hop's resolved addresses pass), and the refusals that need no network. */
#include <arpa/inet.h>

#include "../../server/core/util.c"
#include "../../server/datastore/url_fetch.c"
#include "testh.h"

static const struct {
    const char *addr;
    enum ufetch_addr want;
} cases[] = {
    {"93.184.216.34", UFA_PUBLIC},
    {"8.8.8.8", UFA_PUBLIC},
    {"127.0.0.1", UFA_PRIVATE},
    {"127.255.0.9", UFA_PRIVATE},
    {"10.1.2.3", UFA_PRIVATE},
    {"172.16.0.1", UFA_PRIVATE},
    {"172.31.255.255", UFA_PRIVATE},
    {"172.32.0.1", UFA_PUBLIC},
    {"192.168.1.1", UFA_PRIVATE},
    {"169.254.169.254", UFA_PRIVATE},
    {"100.64.0.1", UFA_PRIVATE},
    {"100.128.0.1", UFA_PUBLIC},
    {"0.0.0.0", UFA_NEVER},
    {"0.1.2.3", UFA_NEVER},
    {"224.0.0.1", UFA_NEVER},
    {"255.255.255.255", UFA_NEVER},
    {"240.0.0.1", UFA_NEVER},
    {"2606:2800:220:1:248:1893:25c8:1946", UFA_PUBLIC},
    {"::1", UFA_PRIVATE},
    {"::", UFA_NEVER},
    {"::ffff:127.0.0.1", UFA_PRIVATE},
    {"::ffff:8.8.8.8", UFA_PUBLIC},
    {"::ffff:0.0.0.0", UFA_NEVER},
    {"::127.0.0.1", UFA_NEVER},
    {"64:ff9b::a9fe:a9fe", UFA_PRIVATE},
    {"2002:c0a8:0101::1", UFA_PRIVATE},
    {"2002:0808:0808::1", UFA_PUBLIC},
    {"fc00::1", UFA_PRIVATE},
    {"fd12:3456::1", UFA_PRIVATE},
    {"fe80::1", UFA_PRIVATE},
    {"fec0::1", UFA_PRIVATE},
    {"ff02::1", UFA_NEVER},
    {"2001:db8::1", UFA_PRIVATE},
    {"100::1", UFA_NEVER},
};

static enum ufetch_addr class_of(const char *text)
{
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    if (inet_pton(AF_INET, text, &v4.sin_addr) == 1)
        return ufetch_addr_class((struct sockaddr *)&v4);
    if (inet_pton(AF_INET6, text, &v6.sin6_addr) == 1)
        return ufetch_addr_class((struct sockaddr *)&v6);
    return (enum ufetch_addr)-1;
}

/* The fetch's refusal of url, before any connection. */
static void refused(const char *url, bool allow_private, const char *want)
{
    char *err = NULL;
    int64_t size = 0;
    struct ufetch_opts o = {.dir = "/tmp", .max_bytes = 1000, .connect_timeout_s = 1,
                            .timeout_s = 1, .max_redirects = 2, .allow_private = allow_private};
    int fd = ufetch(url, &o, &size, &err);
    T_CHECK(fd < 0, "%s: fetched", url);
    T_CHECK(err && strstr(err, want), "%s: %s, want %s", url, err ? err : "(none)", want);
    free(err);
}

int main(void)
{
    T_CHECK(ufetch_global_init(&(char *){NULL}), "curl_global_init");
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        enum ufetch_addr got = class_of(cases[i].addr);
        T_CHECK(got == cases[i].want, "%s: class %d, want %d", cases[i].addr, got, cases[i].want);
    }
    refused("ftp://127.0.0.1/x.csv", true, "Only http and https resources may be fetched");
    refused("file:///etc/passwd", true, "Only http and https resources may be fetched");
    refused("gopher://127.0.0.1/", true, "Only http and https");
    refused("not a url", true, "cannot be fetched");
    refused("http://127.0.0.1:9/x.csv", false, "private, loopback and link-local");
    refused("http://[::1]:9/x.csv", false, "private, loopback and link-local");
    refused("http://localhost:9/x.csv", false, "private, loopback and link-local");
    refused("http://0.0.0.0:9/x.csv", true, "unspecified, multicast and reserved");
    refused("http://169.254.169.254/latest/meta-data/", false, "address 169.254.169.254");
    refused("http://no-such-host.invalid/x.csv", true, "Could not resolve host");
    curl_global_cleanup();
    T_DONE();
}
