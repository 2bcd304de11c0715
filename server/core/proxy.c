/* proxy — trusted proxies, the client behind them, request ids. */
#include "proxy.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

struct net {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    int bits;
};

struct proxy_list {
    struct net *nets;
    size_t n;
};

/* addr (no prefix) → family and bytes; false when it is no IP address. */
static bool parse_addr(const char *s, int *family, unsigned char out[16])
{
    if (inet_pton(AF_INET, s, out) == 1) {
        *family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, s, out) == 1) {
        *family = AF_INET6;
        return true;
    }
    return false;
}

/* One entry: ADDR or ADDR/BITS. */
static bool parse_net(const char *s, size_t len, struct net *n)
{
    char buf[64];
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (!parse_addr(buf, &n->family, n->addr))
        return false;
    int max = n->family == AF_INET ? 32 : 128;
    n->bits = max;
    if (!slash)
        return true;
    const char *b = slash + 1;
    size_t bl = strlen(b);
    if (bl == 0 || bl > 3 || strspn(b, "0123456789") != bl || atoi(b) > max)
        return false;
    n->bits = atoi(b);
    return true;
}

struct proxy_list *proxy_parse(const char *spec, char **err)
{
    struct proxy_list *l = xcalloc(1, sizeof(*l));
    for (const char *p = spec; *p;) {
        p += strspn(p, ", \t");
        size_t len = strcspn(p, ", \t");
        if (len == 0)
            break;
        struct net n;
        if (!parse_net(p, len, &n)) {
            *err = xasprintf("invalid --trusted-proxies entry \"%.*s\": expected an IP address "
                             "or ADDRESS/BITS", (int)(len > 64 ? 64 : len), p);
            proxy_free(l);
            return NULL;
        }
        l->nets = xrealloc(l->nets, sizeof(*l->nets) * (l->n + 1));
        l->nets[l->n++] = n;
        p += len;
    }
    return l;
}

void proxy_free(struct proxy_list *l)
{
    if (!l)
        return;
    free(l->nets);
    free(l);
}

static bool in_net(const struct net *n, int family, const unsigned char *a)
{
    if (n->family != family)
        return false;
    int full = n->bits / 8, rest = n->bits % 8;
    if (memcmp(n->addr, a, (size_t)full) != 0)
        return false;
    unsigned char mask = (unsigned char)(0xFF << (8 - rest));
    return rest == 0 || (n->addr[full] & mask) == (a[full] & mask);
}

bool proxy_trusted(const struct proxy_list *l, const char *addr)
{
    int family;
    unsigned char a[16];
    if (!l || !l->n || !parse_addr(addr, &family, a))
        return false;
    for (size_t i = 0; i < l->n; i++)
        if (in_net(&l->nets[i], family, a))
            return true;
    return false;
}

const char *proxy_client(const struct proxy_list *l, const char *peer, const char *xff,
                         struct arena *a)
{
    if (!xff || !proxy_trusted(l, peer))
        return peer;
    const char *client = peer;
    for (size_t end = strlen(xff); end > 0;) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        const char *s = xff + start;
        size_t len = end - start;
        while (len && (*s == ' ' || *s == '\t'))
            s++, len--;
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        char *hop = arena_strndup(a, s, len);
        int family;
        unsigned char bytes[16];
        if (!parse_addr(hop, &family, bytes))
            return client; /* not an address: trust ends at the last good hop */
        client = hop;
        if (!proxy_trusted(l, hop))
            return hop;
        end = start ? start - 1 : 0;
    }
    return client;
}

bool proxy_request_id_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 128 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}
