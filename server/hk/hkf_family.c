/* hkf_family — the Filter API's routes. */
#include "hkf_family.h"

#include "family.h"
#include "hkf_filter.h"
#include "hkf_resp.h"
#include "route.h"
#include "util.h"

/* The table read is then streamed from the primary. */
static const struct route_def routes[] = {
    {M_GET, "/v2/filter", hkf_filter, ROUTE_PRIMARY},
    {M_GET, "/v1/filter", hkf_filter, ROUTE_PRIMARY},
};

/* Unknown paths below these are the Filter API's (404 in its envelope). */
static const char *const prefixes[] = {"/v2/filter", "/v1/filter", NULL};

const struct srv_family hkf_family = {
    .name = "hk-filter",
    .routes = routes,
    .nroutes = ARRAY_LEN(routes),
    .prefixes = prefixes,
    .env = &hkf_resp_env,
};
