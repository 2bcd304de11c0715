/* route — segment matcher over a static route table. */
#include "route.h"

#include <event2/http.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "util.h"

struct route {
    const struct route_def *def;
    char *segs[ROUTE_MAX_SEGS]; /* "{}" marks a parameter */
    int nsegs;
};

struct router {
    struct route *routes;
    size_t n;
    char *sru; /* normalized, no trailing slash */
};

/* Split "/a/b/c" into segments; one trailing slash is ignored. False when too many. */
static bool split_path(char *path, char **segs, int *n)
{
    *n = 0;
    char *p = path;
    if (*p == '/')
        p++;
    size_t len = strlen(p);
    if (len > 0 && p[len - 1] == '/')
        p[len - 1] = '\0';
    if (*p == '\0')
        return true;
    for (char *s = p;; s++) {
        char *slash = strchr(s, '/');
        if (*n >= ROUTE_MAX_SEGS)
            return false;
        segs[(*n)++] = s;
        if (!slash)
            return true;
        *slash = '\0';
        s = slash;
    }
}

static bool compile_route(struct route *r, const struct route_def *def, const char *sru)
{
    r->def = def;
    const char *pat = def->pattern;
    char *text;
    if (strncmp(pat, "{sru}", 5) == 0)
        text = xasprintf("%s%s", sru, pat + 5);
    else
        text = xstrdup(pat);
    char *segs[ROUTE_MAX_SEGS];
    bool ok = split_path(text, segs, &r->nsegs);
    for (int i = 0; ok && i < r->nsegs; i++)
        r->segs[i] = xstrdup(segs[i][0] == '{' ? "{}" : segs[i]);
    free(text);
    return ok;
}

struct router *route_new(const struct route_def *defs, size_t n, const char *sru, char **err)
{
    if (sru[0] != '/' || strstr(sru, "//") || strchr(sru, '{') || strchr(sru, '?')) {
        *err = xasprintf("invalid service root \"%s\": expected a path such as /api/v1", sru);
        return NULL;
    }
    struct router *rt = xcalloc(1, sizeof(*rt));
    rt->sru = xstrdup(sru);
    size_t len = strlen(rt->sru);
    while (len > 1 && rt->sru[len - 1] == '/')
        rt->sru[--len] = '\0';
    if (strcmp(rt->sru, "/") == 0)
        rt->sru[0] = '\0';
    rt->routes = xcalloc(n, sizeof(struct route));
    rt->n = n;
    for (size_t i = 0; i < n; i++)
        if (!compile_route(&rt->routes[i], &defs[i], rt->sru)) {
            *err = xasprintf("route pattern too long: %s", defs[i].pattern);
            route_free(rt);
            return NULL;
        }
    return rt;
}

void route_free(struct router *rt)
{
    if (!rt)
        return;
    for (size_t i = 0; i < rt->n; i++)
        for (int j = 0; j < rt->routes[i].nsegs; j++)
            free(rt->routes[i].segs[j]);
    free(rt->routes);
    free(rt->sru);
    free(rt);
}

char *route_decode(struct arena *a, const char *s, size_t n, bool plus)
{
    char *raw = arena_strndup(a, s, n);
    size_t len = 0;
    char *dec = evhttp_uridecode(raw, plus, &len);
    if (!dec)
        return NULL;
    char *out = NULL;
    if (strlen(dec) == len && util_utf8_valid(dec, len))
        out = arena_strndup(a, dec, len);
    free(dec);
    return out;
}

static bool segs_match(const struct route *r, char **segs, int n)
{
    if (r->nsegs != n)
        return false;
    for (int i = 0; i < n; i++)
        if (strcmp(r->segs[i], "{}") != 0 && strcmp(r->segs[i], segs[i]) != 0)
            return false;
    return true;
}

static enum route_status take_params(const struct route *r, char **segs, struct arena *a,
                                     struct route_match *m)
{
    m->def = r->def;
    m->nparams = 0;
    for (int i = 0; i < r->nsegs; i++) {
        if (strcmp(r->segs[i], "{}") != 0 || m->nparams >= ROUTE_MAX_PARAMS)
            continue;
        char *v = route_decode(a, segs[i], strlen(segs[i]), false);
        if (!v)
            return ROUTE_BAD_ENCODING;
        m->params[m->nparams++] = v;
    }
    return ROUTE_OK;
}

enum route_status route_match(const struct router *rt, unsigned method, const char *path,
                              struct arena *a, struct route_match *m)
{
    memset(m, 0, sizeof(*m));
    char *copy = arena_strdup(a, path);
    char *segs[ROUTE_MAX_SEGS];
    int n;
    if (!split_path(copy, segs, &n))
        return ROUTE_NOT_FOUND;
    if (method == M_HEAD)
        method = M_GET;
    const struct route *hit = NULL; /* the first route of the path taking the method */
    for (size_t i = 0; i < rt->n; i++) {
        const struct route *r = &rt->routes[i];
        if (!segs_match(r, segs, n))
            continue;
        if (!hit && (r->def->methods & method))
            hit = r;
        m->allowed |= r->def->methods; /* every method of the path: Allow, CORS */
    }
    if (hit)
        return take_params(hit, segs, a, m);
    return m->allowed ? ROUTE_METHOD : ROUTE_NOT_FOUND;
}

bool route_under(const struct router *rt, const char *prefix, const char *path)
{
    static const char sru[] = "{sru}";
    if (strncmp(prefix, sru, sizeof(sru) - 1) == 0) {
        size_t len = strlen(rt->sru);
        if (strncmp(path, rt->sru, len) != 0)
            return false;
        prefix += sizeof(sru) - 1;
        path += len;
    }
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && (path[n] == '/' || path[n] == '\0');
}
