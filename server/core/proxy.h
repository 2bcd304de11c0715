/* proxy — who a request came from behind trusted reverse proxies (--trusted-proxies: IPv4 and
 * IPv6 addresses and CIDR blocks), and request ids. The client is the peer, unless the peer is
 * a trusted proxy: then X-Forwarded-For is read from its right end, past every trusted hop, to
 * the first address that is not one (a client can write anything at the left end, so only
 * what trusted proxies appended counts). Pure. */
#ifndef PROXY_H
#define PROXY_H
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct proxy_list;
struct arena;

/* The list spec (comma- or space-separated; "" = none), malloc'd; NULL with *err (malloc'd). */
struct proxy_list *proxy_parse(const char *spec, char **err) MUSTCHECK;
void proxy_free(struct proxy_list *l);
/* Whether addr (textual IPv4/IPv6) is in the list. */
bool proxy_trusted(const struct proxy_list *l, const char *addr);
/* The client of a request from peer carrying X-Forwarded-For xff (NULL: none): peer, or an
 * address from xff (copied into a) as above. */
const char *proxy_client(const struct proxy_list *l, const char *peer, const char *xff,
                         struct arena *a);
/* Whether s is taken as a request id from X-Request-Id: 1-128 characters of [A-Za-z0-9._:-]. */
bool proxy_request_id_ok(const char *s);

#endif
