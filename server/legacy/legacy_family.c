/* legacy_family — the legacy API's routes and start-up; its envelope is legacy_resp.c. */
#include "legacy_family.h"

#include "ckan_handlers.h"
#include "family.h"
#include "legacy_handlers.h"
#include "legacy_resp.h"
#include "route.h"
#include "util.h"

#define ALL (M_GET | M_POST | M_PUT | M_DELETE)

/* With the Taiwan service root at /api, /api/rest is Taiwan's (its family comes first); the
 * legacy registers stay under /api/1 and /api/2. */
static const struct route_def routes[] = {
    {ALL, "/api/rest/{reg}", legacy_rest, 0},
    {ALL, "/api/rest/{reg}/{id}", legacy_rest, 0},
    {ALL, "/api/rest/{reg}/{id}/{sub}", legacy_rest, 0},
    {ALL, "/api/rest/{reg}/{id}/{sub}/{id2}", legacy_rest, 0},
    {ALL, "/api/1/rest/{reg}", legacy_rest, 0},
    {ALL, "/api/1/rest/{reg}/{id}", legacy_rest, 0},
    {ALL, "/api/1/rest/{reg}/{id}/{sub}", legacy_rest, 0},
    {ALL, "/api/1/rest/{reg}/{id}/{sub}/{id2}", legacy_rest, 0},
    {ALL, "/api/2/rest/{reg}", legacy_rest, 0},
    {ALL, "/api/2/rest/{reg}/{id}", legacy_rest, 0},
    {ALL, "/api/2/rest/{reg}/{id}/{sub}", legacy_rest, 0},
    {ALL, "/api/2/rest/{reg}/{id}/{sub}/{id2}", legacy_rest, 0},
    {M_GET | M_POST, "/api/search/{reg}", legacy_search, 0},
    {M_GET | M_POST, "/api/1/search/{reg}", legacy_search, 0},
    {M_GET | M_POST, "/api/2/search/{reg}", legacy_search, 0},
    {M_GET, "/api/tag_counts", legacy_tag_counts, 0},
    {M_GET, "/api/1/tag_counts", legacy_tag_counts, 0},
    {M_GET, "/api/2/tag_counts", legacy_tag_counts, 0},
    /* the utils CKAN 2.7 had beside the autocompletes (before the CKAN family's /util/{k}/{op}) */
    {M_GET, "/api/util/is_slug_valid", legacy_util_slug, 0},
    {M_GET, "/api/util/markdown", legacy_util_markdown, 0},
    {M_GET, "/api/util/status", ckan_status_show, 0},
    {M_GET, "/api/util/dataset/munge_name", legacy_util_munge_name, 0},
    {M_GET, "/api/util/dataset/munge_title_to_name", legacy_util_munge_title, 0},
    {M_GET, "/api/util/tag/munge", legacy_util_munge_tag, 0},
    {M_GET, "/api/1/util/is_slug_valid", legacy_util_slug, 0},
    {M_GET, "/api/1/util/markdown", legacy_util_markdown, 0},
    {M_GET, "/api/1/util/status", ckan_status_show, 0},
    {M_GET, "/api/1/util/dataset/munge_name", legacy_util_munge_name, 0},
    {M_GET, "/api/1/util/dataset/munge_title_to_name", legacy_util_munge_title, 0},
    {M_GET, "/api/1/util/tag/munge", legacy_util_munge_tag, 0},
    {M_GET, "/api/2/util/is_slug_valid", legacy_util_slug, 0},
    {M_GET, "/api/2/util/markdown", legacy_util_markdown, 0},
    {M_GET, "/api/2/util/status", ckan_status_show, 0},
    {M_GET, "/api/2/util/dataset/munge_name", legacy_util_munge_name, 0},
    {M_GET, "/api/2/util/dataset/munge_title_to_name", legacy_util_munge_title, 0},
    {M_GET, "/api/2/util/tag/munge", legacy_util_munge_tag, 0},
};

static const char *const prefixes[] = {"/api/rest",       "/api/1/rest",       "/api/2/rest",
                                       "/api/search",     "/api/1/search",     "/api/2/search",
                                       "/api/tag_counts", "/api/1/tag_counts", "/api/2/tag_counts",
                                       /* the utils' own paths only: the rest of /util is CKAN's */
                                       "/api/util/is_slug_valid", "/api/util/markdown",
                                       "/api/util/status", "/api/util/dataset/munge_name",
                                       "/api/util/dataset/munge_title_to_name", "/api/util/tag/munge",
                                       "/api/1/util/is_slug_valid", "/api/1/util/markdown",
                                       "/api/1/util/status", "/api/1/util/dataset/munge_name",
                                       "/api/1/util/dataset/munge_title_to_name", "/api/1/util/tag/munge",
                                       "/api/2/util/is_slug_valid", "/api/2/util/markdown",
                                       "/api/2/util/status", "/api/2/util/dataset/munge_name",
                                       "/api/2/util/dataset/munge_title_to_name", "/api/2/util/tag/munge",
                                       NULL};

static bool legacy_init(const struct config *cfg, char **err)
{
    (void)cfg, (void)err;
    legacy_rest_init();
    legacy_search_init();
    legacy_util_init();
    return true;
}

const struct srv_family legacy_family = {
    .name = "legacy",
    .routes = routes,
    .nroutes = ARRAY_LEN(routes),
    .prefixes = prefixes,
    .env = &legacy_resp_env,
    .init = legacy_init,
};
