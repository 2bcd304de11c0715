/* ds_family — the DataStore's start-up and stop. */
#include "ds_family.h"

#include "astore.h"
#include "config.h"
#include "ds_load.h"
#include "url_fetch.h"
#include "ustore.h"
#include "ds_read.h"
#include "dump.h"
#include "family.h"

/* How long a stop waits for cancelled loads to roll back. */
#define LOAD_STOP_WAIT_MS 5000

static bool ds_init(const struct config *cfg, char **err)
{
    dsr_init(cfg->datastore_prepared);
    dsl_init(cfg_db_direct(cfg), cfg->connect_timeout);
    return ustore_init(cfg, err) && ufetch_global_init(err) && dump_init(cfg, err) &&
           astore_init(dump_dir(), cfg->dump_zip_level, err);
}

static void ds_stop(void)
{
    dsl_shutdown(LOAD_STOP_WAIT_MS);
    dump_shutdown();
}

/* A thread's copies of datastore bookkeeping (ds_read.c). */
static void *ds_thread_new(struct srv_thread *thr)
{
    (void)thr;
    return dsr_cache_new();
}

static void ds_thread_free(void *state)
{
    dsr_cache_free(state);
}

const struct srv_family ds_family = {
    .name = "datastore",
    .init = ds_init,
    .thread_new = ds_thread_new,
    .thread_free = ds_thread_free,
    .stop = ds_stop,
};
