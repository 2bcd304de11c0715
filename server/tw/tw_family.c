/* tw_family — the Taiwan API's routes and start-up. */
#include "tw_family.h"

#include "tw_config.h"
#include "dump.h"
#include "family.h"
#include "route.h"
#include "tw_resp.h"
#include "tw_rest.h"
#include "util.h"

static const struct route_def routes[] = {
    {M_GET, "{sru}/rest/group", tw_group_list, 0},
    {M_GET, "{sru}/rest/group/{code}", tw_group_show, 0},
    {M_GET, "{sru}/rest/tag", tw_tag_list, 0},
    {M_GET, "{sru}/rest/tag/{tag}", tw_tag_show, 0},
    {M_GET, "{sru}/rest/dataset", tw_dataset_list, 0},
    {M_GET, "{sru}/rest/dataset/{id}", tw_dataset_show, 0},
    {M_GET, "{sru}/rest/datastore/{rid}", tw_datastore, 0},
    /* the data version read names what a worker builds on the primary */
    {M_GET, "{sru}/dump/datastore/{rid}", dump_tw, ROUTE_PRIMARY},
};

/* Unknown paths here are the Taiwan API's (ER010004), whatever follows. */
static const char *const prefixes[] = {"{sru}/rest", "{sru}/dump", NULL};

static bool tw_init(const struct config *cfg, char **err)
{
    (void)err;
    tw_config_set(cfg);
    tw_rest_init();
    return true;
}

const struct srv_family tw_family = {
    .name = "tw",
    .routes = routes,
    .nroutes = ARRAY_LEN(routes),
    .prefixes = prefixes,
    .env = &tw_resp_env,
    .init = tw_init,
};
