/* hk_nearest — GET /v1/nearest-schools?lat=&long=[&max=]: the rows of the school list the
 * portal configures (--nearest-schools-resource) nearest to a point, in the shape Hong Kong's
 * clients read ({"results": [...]}, sql/functions/24b_geo.sql's hk_schools_result), by the
 * same generated statement and spatial index as datastore_nearest. */
#include "hk_handlers.h"

#include <stdio.h>

#include "arena.h"
#include "config.h"
#include "ds_read.h"
#include "hk_params.h"
#include "hk_resp.h"
#include "req.h"
#include "resp.h"
#include "sqlbuild.h"
#include "valid.h"

#define SCHOOLS_DEFAULT 10
#define SCHOOLS_MAX 100

static const char *g_resource; /* "" or NULL: none configured */

void hk_nearest_init(const struct config *cfg)
{
    g_resource = cfg->nearest_schools_resource;
}

/* The one value of a parameter (NULL when absent); *dup when given more than once. */
static const char *one(struct req *r, const char *key, bool *dup)
{
    int n = 0;
    const char *v = req_query_get(r, key, &n);
    *dup = n > 1;
    return v;
}

int hk_nearest_schools(struct req *r)
{
    if (!g_resource || !*g_resource) {
        resp_error(r, ERR_NOT_FOUND, NULL, "Not Found");
        return REQ_DONE;
    }
    bool dup;
    double lat, lon;
    long long max = SCHOOLS_DEFAULT;
    const char *s = one(r, "lat", &dup);
    if (!s)
        return hk_resp_bad_param(r, "Missing", "lat");
    if (dup || !valid_degrees(s, 90, &lat))
        return hk_resp_bad_param(r, "Invalid", "lat");
    s = one(r, "long", &dup);
    if (!s)
        return hk_resp_bad_param(r, "Missing", "long");
    if (dup || !valid_degrees(s, 180, &lon))
        return hk_resp_bad_param(r, "Invalid", "long");
    s = one(r, "max", &dup);
    if (s && (dup || !hk_parse_count(s, 1, SCHOOLS_MAX, &max)))
        return hk_resp_bad_param(r, "Invalid", "max");
    struct sqlb_near *q = arena_alloc(r->a, sizeof(*q));
    *q = (struct sqlb_near){.style = SQLB_NEAR_SCHOOLS, .rid = g_resource, .limit = max};
    q->lat = arena_printf(r->a, "%.17g", lat);
    q->lon = arena_printf(r->a, "%.17g", lon);
    return dsr_nearest(r, q); /* read as an anonymous caller (viewer NULL) */
}
