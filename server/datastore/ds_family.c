/* ds_family — the DataStore's start-up and stop. */
#include "ds_family.h"

#include "config.h"
#include "ds_read.h"
#include "dump.h"
#include "family.h"

static bool ds_init(const struct config *cfg, char **err)
{
    dsr_init(cfg->datastore_prepared);
    return dump_init(cfg, err);
}

const struct srv_family ds_family = {
    .name = "datastore",
    .init = ds_init,
    .stop = dump_shutdown,
};
