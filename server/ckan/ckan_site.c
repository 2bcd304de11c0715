/* ckan_site — CKAN's site reads: license_list, site_read and status_show. */
#include "ckan_handlers.h"

#include <json-c/json.h>
#include <string.h>

#include "arena.h"
#include "ckan_call.h"
#include "ckan_config.h"
#include "ckan_params.h"
#include "config.h"
#include "db_pool.h"
#include "req.h"
#include "version.h"
#include "resp.h"
#include "util.h"

CKAN_CALL_STMT(license_list, ckan_license_list);
static struct db_stmt st_status_show = {"ckan_status_show", "SELECT ckan_status_show($1, $2, $3)", 3,
                                        0};

/* Register the statements of the actions below (once, before the threads start). */
void ckan_site_init(void)
{
    dbp_register(&st_license_list);
    dbp_register(&st_status_show);
}

/* license_list: the licence register of sql/migrations/008 (ckan_license), every value a string. */
int ckan_license_list(struct req *r)
{
    return ckan_request_data(r) ? ckan_call(r, &st_license_list, json_object_new_object())
                                : REQ_DONE;
}

/* site_read: CKAN ≤ 2.10 answered true to everyone (2.11 dropped it; clients still call it). */
int ckan_site_read(struct req *r)
{
    return ckan_request_data(r) ? ckan_call_literal(r, "true") : REQ_DONE;
}

/* status_show: site facts; it reads the database, so it doubles as the health check. */
int ckan_status_show(struct req *r)
{
    const char **params = arena_alloc(r->a, 3 * sizeof(char *));
    params[0] = ckan_config()->site_url;
    params[1] = CKAN_COMPAT_VERSION;
    params[2] = OPENDATAD_VERSION;
    return req_db(r, &st_status_show, params, req_reply_json_cell);
}
