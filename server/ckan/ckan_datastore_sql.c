/* ckan_datastore_sql — datastore_search_sql (ckan-research §6.6), served only with
 * --datastore-sql (otherwise answered as an action CKAN does not know, as CKAN answers it when
 * the action is off). The query goes to sql/functions/20b, which checks it and runs it as a
 * role that may read the datastore tables only, read-only, under the connections' statement
 * timeout (--statement-timeout). */
#include "ckan_handlers.h"

#include <json-c/json.h>

#include "arena.h"
#include "ckan_call.h"
#include "ckan_config.h"
#include "ckan_params.h"
#include "ckan_resp.h"
#include "config.h"
#include "db_pool.h"
#include "req.h"

CKAN_CALL_STMT_V(ds_sql, ckan_datastore_search_sql);

void ckan_datastore_sql_init(void)
{
    dbp_register(&st_ds_sql);
}

int ckan_datastore_search_sql(struct req *r)
{
    const struct config *cfg = ckan_config();
    if (!cfg->datastore_sql)
    {
        ckan_resp_bare(r, 400, "Bad request - Action name not known: datastore_search_sql");
        return REQ_DONE;
    }
    json_object *in = ckan_request_data(r);
    const char *sql;
    if (!in || !ckan_get_or_bust(r, in, "sql", &sql))
        return REQ_DONE;
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "sql", sql);
    ckan_call_add_int(p, "rows_max", cfg->datastore_rows_max);
    return ckan_call(r, &st_ds_sql, p);
}
