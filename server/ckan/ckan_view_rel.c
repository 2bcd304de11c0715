/* ckan_view_rel — CKAN's resource views (resource_view_create, _update, _delete, _show, _list,
 * _reorder, _clear) and the writes of dataset relationships (package_relationship_create,
 * _update, _delete). The request's members go as they are to one function of
 * sql/functions/22 each, which checks them in CKAN's order, authorizes and writes. */
#include "ckan_handlers.h"

#include <json-c/json.h>

#include "ckan_call.h"
#include "ckan_params.h"
#include "db_pool.h"
#include "req.h"
#include "util.h"

CKAN_CALL_STMT_V(rv_create, ckan_resource_view_create);
CKAN_CALL_STMT_V(rv_update, ckan_resource_view_update);
CKAN_CALL_STMT_V(rv_delete, ckan_resource_view_delete);
CKAN_CALL_STMT_V(rv_show, ckan_resource_view_show);
CKAN_CALL_STMT_V(rv_list, ckan_resource_view_list);
CKAN_CALL_STMT_V(rv_reorder, ckan_resource_view_reorder);
CKAN_CALL_STMT_V(rv_clear, ckan_resource_view_clear);
CKAN_CALL_STMT_V(rel_create, ckan_package_relationship_create);
CKAN_CALL_STMT_V(rel_update, ckan_package_relationship_update);
CKAN_CALL_STMT_V(rel_delete, ckan_package_relationship_delete);

/* Register the statements of the actions below (once, before the threads start). */
void ckan_view_rel_init(void)
{
    struct db_stmt *all[] = {&st_rv_create,  &st_rv_update,  &st_rv_delete, &st_rv_show,
                             &st_rv_list,    &st_rv_reorder, &st_rv_clear,  &st_rel_create,
                             &st_rel_update, &st_rel_delete};
    for (size_t i = 0; i < ARRAY_LEN(all); i++)
        dbp_register(all[i]);
}

/* The request's members, made fit for jsonb, to st's function. */
static int pass(struct req *r, const struct db_stmt *st)
{
    json_object *in = ckan_request_data(r);
    if (!in)
        return REQ_DONE;
    ckan_json_finite(in);
    return ckan_call(r, st, ckan_call_write_input(in));
}

int ckan_resource_view_create(struct req *r)
{
    return pass(r, &st_rv_create);
}

int ckan_resource_view_update(struct req *r)
{
    return pass(r, &st_rv_update);
}

int ckan_resource_view_delete(struct req *r)
{
    return pass(r, &st_rv_delete);
}

int ckan_resource_view_show(struct req *r)
{
    return pass(r, &st_rv_show);
}

int ckan_resource_view_list(struct req *r)
{
    return pass(r, &st_rv_list);
}

int ckan_resource_view_reorder(struct req *r)
{
    return pass(r, &st_rv_reorder);
}

int ckan_resource_view_clear(struct req *r)
{
    return pass(r, &st_rv_clear);
}

int ckan_package_relationship_create(struct req *r)
{
    return pass(r, &st_rel_create);
}

int ckan_package_relationship_update(struct req *r)
{
    return pass(r, &st_rel_update);
}

int ckan_package_relationship_delete(struct req *r)
{
    return pass(r, &st_rel_delete);
}
