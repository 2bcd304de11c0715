/* req_query — a request's query-string parameters (declared in req.h): parsing and lookup.
 * Pure: only r->query, r->nquery, r->route and r->a are touched, so tests and fuzz drivers
 * build a struct req with just an arena. */
#include <string.h>

#include "arena.h"
#include "req.h"

bool req_parse_query(struct req *r, const char *qs)
{
    r->nquery = 0;
    if (!qs || !*qs)
        return true;
    int max = 1;
    for (const char *p = qs; *p; p++)
        max += *p == '&';
    r->query = arena_alloc(r->a, sizeof(struct req_param) * (size_t)max);
    const char *p = qs;
    while (*p) {
        size_t n = strcspn(p, "&");
        if (n > 0) {
            const char *eq = memchr(p, '=', n);
            size_t klen = eq ? (size_t)(eq - p) : n;
            struct req_param *q = &r->query[r->nquery];
            q->key = route_decode(r->a, p, klen, true);
            q->value = eq ? route_decode(r->a, eq + 1, n - klen - 1, true) : "";
            if (!q->key || !q->value)
                return false;
            r->nquery++;
        }
        p += n;
        if (*p == '&')
            p++;
    }
    return true;
}

const char *req_query_get(const struct req *r, const char *key, int *count)
{
    const char *v = NULL;
    int c = 0;
    for (int i = 0; i < r->nquery; i++)
        if (strcmp(r->query[i].key, key) == 0) {
            if (!v)
                v = r->query[i].value;
            c++;
        }
    if (count)
        *count = c;
    return v;
}

const char *req_path_param(const struct req *r, int i)
{
    return i < r->route.nparams ? r->route.params[i] : NULL;
}
