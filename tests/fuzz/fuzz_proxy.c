/* libFuzzer target for server/core/proxy.c: the first line of the input is a --trusted-proxies
 * list, the second an X-Forwarded-For header, the third an X-Request-Id. A client named is the
 * peer or an address of the header (copied whole), a request id accepted holds only its
 * characters, and a list refused says why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "proxy.h"

static char *line(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    const uint8_t *stop = nl ? nl : end;
    char *s = malloc((size_t)(stop - *p) + 1);
    if (!s)
        abort();
    memcpy(s, *p, (size_t)(stop - *p));
    s[stop - *p] = '\0';
    *p = nl ? nl + 1 : end;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *spec = line(&p, end), *xff = line(&p, end), *rid = line(&p, end);
    char *err = NULL;
    struct proxy_list *l = proxy_parse(spec, &err);
    if (!l && !err)
        abort();
    free(err);
    struct arena *a = arena_new();
    const char *peer = "10.0.0.1";
    const char *client = proxy_client(l, peer, xff, a);
    if (client != peer && !strstr(xff, client))
        abort();
    (void)proxy_client(l, "::1", xff, a);
    if (proxy_request_id_ok(rid) && (strlen(rid) > 128 || strpbrk(rid, " \"\\\n\r\t")))
        abort();
    arena_free(a);
    proxy_free(l);
    free(spec);
    free(xff);
    free(rid);
    return 0;
}
