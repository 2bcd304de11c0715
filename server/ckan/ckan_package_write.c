/* ckan_package_write — CKAN's dataset and resource writes (CKAN 2.11's create/update/patch/
 * delete.py; ckan-research §5.1–5.3): package_create, _update, _patch, _delete, dataset_purge,
 * package_revise, package_owner_org_update, bulk_update_private/_public/_delete,
 * package_resource_reorder,
 * resource_create, _update, _patch, _delete. Each checks the request's shape as CKAN's
 * dictization does and hands one object to its function in sql/functions/19 (ckan_call), which
 * authorizes, validates and writes in one transaction (the resource writes through 21b's, which
 * add an upload's file and XLoader's submit: ckan_upload.c). */
#include "ckan_handlers.h"

#include <json-c/json.h>
#include <stdbool.h>

#include "ckan_call.h"
#include "ckan_params.h"
#include "ckan_resp.h"
#include "ckan_upload.h"
#include "db_pool.h"
#include "req.h"
#include "util.h"

CKAN_CALL_STMT_V(package_create, ckan_package_create);
CKAN_CALL_STMT_V(package_update, ckan_package_update);
CKAN_CALL_STMT_V(package_patch, ckan_package_patch);
CKAN_CALL_STMT_V(package_revise, ckan_package_revise);
CKAN_CALL_STMT_V(package_delete, ckan_package_delete);
CKAN_CALL_STMT_V(dataset_purge, ckan_dataset_purge);
CKAN_CALL_STMT_V(owner_org_update, ckan_package_owner_org_update);
CKAN_CALL_STMT_V(bulk_update, ckan_bulk_update);
CKAN_CALL_STMT_V(resource_reorder, ckan_package_resource_reorder);
CKAN_CALL_STMT_V(resource_delete, ckan_resource_delete);

void ckan_package_write_init(void)
{
    struct db_stmt *all[] = {&st_package_create,   &st_package_update, &st_package_patch,
                             &st_package_revise,
                             &st_package_delete,   &st_dataset_purge,  &st_owner_org_update,
                             &st_bulk_update,      &st_resource_reorder, &st_resource_delete};
    for (size_t i = 0; i < ARRAY_LEN(all); i++)
        dbp_register(all[i]);
}

/* The request as a write's input: JSON numbers made fit for jsonb, "_" keys dropped. NULL when
 * the request was answered (unreadable input). */
static json_object *write_input(struct req *r)
{
    json_object *in = ckan_request_data(r);
    if (!in)
        return NULL;
    ckan_json_finite(in);
    return ckan_call_write_input(in);
}

/* The lists of dicts the package schema reads (and a resource's nothing: its keys are free). */
static bool package_lists_ok(struct req *r, json_object *in)
{
    static const char *const lists[] = {"resources", "tags", "extras", "groups",
                                        "relationships_as_object", "relationships_as_subject"};
    return ckan_call_lists_of_dicts(r, in, lists, ARRAY_LEN(lists));
}

/* {data: the request} to st, the request's shape checked as the package schema reads it. */
static int package_write(struct req *r, const struct db_stmt *st, const char *required)
{
    json_object *data = write_input(r);
    const char *v;
    if (!data)
        return REQ_DONE;
    if (!package_lists_ok(r, data) || (required && !ckan_get_or_bust(r, data, required, &v))) {
        json_object_put(data);
        return REQ_DONE;
    }
    json_object *p = json_object_new_object();
    json_object_object_add(p, "data", data);
    return ckan_call(r, st, p);
}

/* {data} for the patches, whose id CKAN's auth reads first: absent, its own message. */
/* {data} to the write of verb (ckan_upload.c): with its uploaded file, or without (a URL's load
 * submitted then, as XLoader does). */
static int resource_write(struct req *r, json_object *data, const char *verb)
{
    json_object *p = json_object_new_object();
    struct ckan_upload *up;
    if (!ckan_upload_apply(r, data, p, &up)) {
        json_object_put(data);
        json_object_put(p);
        return REQ_DONE;
    }
    json_object_object_add(p, "data", data);
    return up ? ckan_upload_write(r, p, verb, up) : ckan_url_write(r, p, verb);
}

static int patch_write(struct req *r, const struct db_stmt *st, const char *model)
{
    json_object *data = write_input(r);
    json_object *id;
    if (!data)
        return REQ_DONE;
    if (!json_object_object_get_ex(data, "id", &id) || !ckan_truthy(id)) {
        json_object_put(data);
        return ckan_call_invalid(r, "message",
                                 model[0] == 'P' ? "Missing id, can not get Package object"
                                                 : "Missing id, can not get Resource object");
    }
    if (model[0] == 'P' && !package_lists_ok(r, data)) {
        json_object_put(data);
        return REQ_DONE;
    }
    if (model[0] == 'R')
        return resource_write(r, data, "patch");
    json_object *p = json_object_new_object();
    json_object_object_add(p, "data", data);
    return ckan_call(r, st, p);
}

/* {id} to st, id required. */
static int by_id(struct req *r, const struct db_stmt *st)
{
    json_object *in = ckan_request_data(r);
    const char *id;
    if (!in || !ckan_get_or_bust(r, in, "id", &id))
        return REQ_DONE;
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "id", id);
    return ckan_call(r, st, p);
}

int ckan_package_create(struct req *r)
{
    return package_write(r, &st_package_create, NULL);
}

int ckan_package_update(struct req *r)
{
    return package_write(r, &st_package_update, NULL);
}

int ckan_package_patch(struct req *r)
{
    return patch_write(r, &st_package_patch, "Package");
}

/* {data}: match, filter, update, include and the match__ / update__ keys, as given (JSON texts
 * among them are read by the SQL, as CKAN's json_or_string does). */
int ckan_package_revise(struct req *r)
{
    json_object *data = write_input(r);
    if (!data)
        return REQ_DONE;
    json_object *p = json_object_new_object();
    json_object_object_add(p, "data", data);
    return ckan_call(r, &st_package_revise, p);
}

int ckan_package_delete(struct req *r)
{
    return by_id(r, &st_package_delete);
}

int ckan_dataset_purge(struct req *r)
{
    return by_id(r, &st_dataset_purge);
}

/* {id, organization_id}, both optional as CKAN reads them. */
int ckan_package_owner_org_update(struct req *r)
{
    json_object *in = ckan_request_data(r);
    if (!in)
        return REQ_DONE;
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "id", ckan_unicode_safe(in, "id"));
    ckan_call_add_str(p, "organization_id", ckan_unicode_safe(in, "organization_id"));
    return ckan_call(r, &st_owner_org_update, p);
}

/* bulk_update_*: {org_id, datasets: [ids], update: what package_patch sets on each}. */
static int bulk_update(struct req *r, const char *key, json_object *value)
{
    json_object *in = ckan_request_data(r);
    json_object *datasets = NULL;
    if (!in || !ckan_list_of_strings(r, in, "datasets", &datasets)) {
        json_object_put(value);
        return REQ_DONE;
    }
    json_object *p = json_object_new_object();
    json_object *update = json_object_new_object();
    json_object_object_add(update, key, value);
    ckan_call_add_str(p, "org_id", ckan_unicode_safe(in, "org_id"));
    json_object_object_add(p, "datasets",
                           datasets ? json_object_get(datasets) : json_object_new_array());
    json_object_object_add(p, "update", update);
    return ckan_call(r, &st_bulk_update, p);
}

int ckan_bulk_update_private(struct req *r)
{
    return bulk_update(r, "private", json_object_new_boolean(1));
}

int ckan_bulk_update_public(struct req *r)
{
    return bulk_update(r, "private", json_object_new_boolean(0));
}

int ckan_bulk_update_delete(struct req *r)
{
    return bulk_update(r, "state", json_object_new_string("deleted"));
}

/* {id, order}, both required (get_or_bust, in that order); the order's shape is the SQL's. */
int ckan_package_resource_reorder(struct req *r)
{
    json_object *in = ckan_request_data(r);
    json_object *order;
    const char *id;
    if (!in || !ckan_get_or_bust(r, in, "id", &id))
        return REQ_DONE;
    if (!json_object_object_get_ex(in, "order", &order)) {
        ckan_resp_invalid(r, "order", "Missing value");
        return REQ_DONE;
    }
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "id", id);
    json_object_object_add(p, "order", ckan_call_sql_json(order));
    return ckan_call(r, &st_resource_reorder, p);
}

int ckan_resource_create(struct req *r)
{
    json_object *data = write_input(r);
    const char *v;
    if (!data)
        return REQ_DONE;
    if (!ckan_get_or_bust(r, data, "package_id", &v)) {
        json_object_put(data);
        return REQ_DONE;
    }
    return resource_write(r, data, "create");
}

int ckan_resource_update(struct req *r)
{
    json_object *data = write_input(r);
    const char *v;
    if (!data)
        return REQ_DONE;
    if (!ckan_get_or_bust(r, data, "id", &v)) {
        json_object_put(data);
        return REQ_DONE;
    }
    return resource_write(r, data, "update");
}

int ckan_resource_patch(struct req *r)
{
    return patch_write(r, NULL, "Resource");
}

int ckan_resource_delete(struct req *r)
{
    return by_id(r, &st_resource_delete);
}
