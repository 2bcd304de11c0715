/* ckan_family — the CKAN API's routes and start-up. */
#include "ckan_family.h"

#include "ckan_action.h"
#include "ckan_config.h"
#include "ckan_download.h"
#include "ckan_openapi.h"
#include "ckan_resp.h"
#include "ckan_util.h"
#include "dump.h"
#include "family.h"
#include "route.h"
#include "util.h"

static const struct route_def routes[] = {
    /* the table read is then streamed from the primary */
    {M_GET, "/datastore/dump/{rid}", dump_ckan, ROUTE_PRIMARY},
    {M_GET, "/dataset/{id}/resource/{rid}/download", ckan_resource_download, 0},
    {M_GET, "/dataset/{id}/resource/{rid}/download/{name}", ckan_resource_download, 0},
    {M_GET | M_POST, "/api/3/action/{name}", ckan_action, 0},
    {M_GET | M_POST, "/api/action/{name}", ckan_action, 0},
    /* DATA.GOV.HK's language sites: the same actions, texts in one language (r->lang, set at dispatch) */
    {M_GET | M_POST, "/en-data/api/3/action/{name}", ckan_action, 0},
    {M_GET | M_POST, "/tc-data/api/3/action/{name}", ckan_action, 0},
    {M_GET | M_POST, "/sc-data/api/3/action/{name}", ckan_action, 0},
    {M_GET | M_POST, "/en-data/api/action/{name}", ckan_action, 0},
    {M_GET | M_POST, "/tc-data/api/action/{name}", ckan_action, 0},
    {M_GET | M_POST, "/sc-data/api/action/{name}", ckan_action, 0},
    {M_GET, "/api", ckan_util_version, 0},
    {M_GET, "/api/1", ckan_util_version, 0},
    {M_GET, "/api/2", ckan_util_version, 0},
    {M_GET, "/api/3", ckan_util_version, 0},
    {M_GET, "/api/openapi.json", ckan_openapi, 0},
    {M_GET, "/api/util/{kind}/{op}", ckan_util, 0},
    {M_GET, "/api/1/util/{kind}/{op}", ckan_util, 0},
    {M_GET, "/api/2/util/{kind}/{op}", ckan_util, 0},
};

static bool ckan_init(const struct config *cfg, char **err)
{
    if (!ckan_openapi_init(cfg, err))
        return false;
    ckan_config_set(cfg, &ckan_family);
    ckan_action_init();
    ckan_util_init();
    ckan_download_init();
    return true;
}

/* No prefixes: the server's fallback family, whose 404 answers any path nobody claims. */
const struct srv_family ckan_family = {
    .name = "ckan",
    .routes = routes,
    .nroutes = ARRAY_LEN(routes),
    .env = &ckan_resp_env,
    .init = ckan_init,
};
