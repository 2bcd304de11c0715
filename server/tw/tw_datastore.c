/* tw_datastore — Taiwan endpoint 7, {SRU}/rest/datastore/{resourceID}: filters, q, sort,
 * fields, limit, offset. Syntax is checked by tw_params.c (ER0200/ER0210); the read runs as a
 * prepared statement (ds_read.c), or through the SQL function tw_datastore (sql/functions/06),
 * which checks field names (OD220 → ER0220) and answers OD100 → ER0100. */
#include "arena.h"
#include "config.h"
#include "db_pool.h"
#include "ds_read.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "sqlbuild.h"
#include "tw_config.h"
#include "tw_params.h"
#include "tw_rest.h"

static struct db_stmt st_datastore = {"tw_datastore",
    "SELECT tw_datastore($1, $2::jsonb, $3, "
    "CASE WHEN $4::jsonb IS NOT NULL THEN ARRAY(SELECT jsonb_array_elements_text($4::jsonb)) END, "
    "$5, $6::bigint, $7::bigint)", 7, 0};

void tw_datastore_init(void)
{
    dbp_register(&st_datastore);
}

int tw_datastore(struct req *r)
{
    const struct config *cfg = tw_config();
    struct tw_ds_request *d = arena_alloc(r->a, sizeof(*d));
    enum err_kind kind;
    const char *msg = tw_params_datastore(r, req_path_param(r, 0), cfg->datastore_rows_max,
                                          cfg->tw_datastore_limit, d, &kind);
    if (msg) {
        resp_error(r, kind, NULL, "%s", msg);
        return REQ_DONE;
    }
    return dsr_read(r, &d->read, &st_datastore, d->p);
}
