/* tw_config — see tw_config.h. */
#include "tw_config.h"

static const struct config *g_cfg;

void tw_config_set(const struct config *cfg)
{
    g_cfg = cfg;
}

const struct config *tw_config(void)
{
    return g_cfg;
}
