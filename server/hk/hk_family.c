/* hk_family — the Hong Kong-style APIs' routes and start-up; their envelope is hk_resp.c. */
#include "hk_family.h"

#include "family.h"
#include "hk_handlers.h"
#include "hk_resp.h"
#include "route.h"
#include "util.h"

static const struct route_def routes[] = {
    {M_GET, "/v1/historical-archive/list-files", hk_list_files, 0},
    {M_GET, "/v1/historical-archive/list-file-versions", hk_list_file_versions, 0},
    {M_GET, "/v1/historical-archive/get-file", hk_get_file, 0},
    {M_GET, "/v1/historical-archive/get-schema", hk_get_schema, 0},
    {M_GET, "/v1/historical-archive/get-data-dictionary", hk_get_data_dictionary, 0},
    {M_GET, "/v1/historical-archive/files/{rid}/{hash}/{name}", hk_archive_download, 0},
    {M_GET, "/v1/historical-archive/bundles/{rid}/{day}/{file}", hk_archive_bundle, 0},
    {M_GET, "/v1/historical-archive/schemas/{rid}/{file}", hk_archive_schema, 0},
    {M_GET, "/v1/nearest-schools", hk_nearest_schools, 0},
};

static const char *const prefixes[] = {"/v1/historical-archive", "/v1/nearest-schools", NULL};

static bool hk_init(const struct config *cfg, char **err)
{
    (void)err;
    hk_archive_init();
    hk_nearest_init(cfg);
    return true;
}

const struct srv_family hk_family = {
    .name = "hk",
    .routes = routes,
    .nroutes = ARRAY_LEN(routes),
    .prefixes = prefixes,
    .env = &hk_resp_env,
    .init = hk_init,
};
