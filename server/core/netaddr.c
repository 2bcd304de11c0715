/* netaddr — the --listen address. */
#include "netaddr.h"

#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool netaddr_split(const char *addr, char **host, char **port)
{
    const char *colon, *h = addr;
    size_t hl;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':')
            return false;
        h = addr + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || strchr(addr, ':') != colon) /* bare IPv6 needs its brackets */
            return false;
        hl = (size_t)(colon - addr);
    }
    const char *p = colon + 1;
    size_t pl = strlen(p);
    if (hl == 0 || pl == 0 || pl > 5 || strspn(p, "0123456789") != pl || atoi(p) < 1 ||
        atoi(p) > 65535)
        return false;
    *host = xstrndup(h, hl);
    *port = xstrdup(p);
    return true;
}

bool netaddr_resolve(const char *addr, struct sockaddr_storage *ss, int *len, char **err)
{
    char *host, *port;
    if (!netaddr_split(addr, &host, &port)) {
        *err = xasprintf("invalid --listen address \"%s\": expected HOST:PORT ([IPv6]:PORT)",
                         addr);
        return false;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    bool ok = rc == 0 && res && res->ai_addrlen <= sizeof(*ss);
    if (ok) {
        memcpy(ss, res->ai_addr, res->ai_addrlen);
        *len = (int)res->ai_addrlen;
    } else {
        *err = xasprintf("cannot resolve the --listen host \"%s\": %s", host,
                         rc ? gai_strerror(rc) : "no address");
    }
    if (res)
        freeaddrinfo(res);
    free(host);
    free(port);
    return ok;
}

char *netaddr_site_url(const char *addr)
{
    char *host, *port;
    if (!netaddr_split(addr, &host, &port))
        return NULL;
    char name[256] = "";
    if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0) {
        if (gethostname(name, sizeof(name) - 1) != 0 || !*name)
            strcpy(name, "localhost");
        free(host);
        host = xstrdup(name);
    }
    char *url = strchr(host, ':') ? xasprintf("http://[%s]:%s", host, port)
                                  : xasprintf("http://%s:%s", host, port);
    free(host);
    free(port);
    return url;
}
