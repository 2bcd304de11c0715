/* ckan_config — see ckan_config.h. */
#include "ckan_config.h"

static const struct config *g_cfg;
static const struct srv_family *g_self;

void ckan_config_set(const struct config *cfg, const struct srv_family *self)
{
    g_cfg = cfg;
    g_self = self;
}

const struct config *ckan_config(void)
{
    return g_cfg;
}

const struct srv_family *ckan_config_family(void)
{
    return g_self;
}
