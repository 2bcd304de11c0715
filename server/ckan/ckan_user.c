/* ckan_user — CKAN's user reads: user_list, user_show (sql/functions/09, through ckan_call). User
 * dicts carry an email address only for the user themself and sysadmins, never a password
 * hash. */
#include "ckan_handlers.h"

#include <json-c/json.h>
#include <string.h>

#include "ckan_call.h"
#include "ckan_params.h"
#include "db_pool.h"
#include "req.h"
#include "util.h"

CKAN_CALL_STMT_V(user_list, ckan_user_list);
CKAN_CALL_STMT_V(user_show, ckan_user_show);

/* Register the statements of the actions below (once, before the threads start). */
void ckan_user_init(void)
{
    struct db_stmt *all[] = {&st_user_list, &st_user_show};
    for (size_t i = 0; i < ARRAY_LEN(all); i++)
        dbp_register(all[i]);
}

/* user_list: order_by names a user column (else display_name); filtering by email is for
 * sysadmins only. */
int ckan_user_list(struct req *r)
{
    static const char *const orders[] = {"name", "fullname", "display_name", "created", "about",
        "sysadmin", "number_created_packages", "id", "state", "image_url", "last_active"};
    json_object *in = ckan_request_data(r);
    bool all_fields;
    if (!in || !ckan_asbool(r, in, "all_fields", true, &all_fields))
        return REQ_DONE;
    const char *email = ckan_unicode_safe(in, "email"), *order = ckan_unicode_safe(in, "order_by");
    const char *q = ckan_unicode_safe(in, "q");
    if (email && *email && !(r->user && r->user->sysadmin))
        return ckan_call_fail(r, 403, "Access denied");
    if (order && strcmp(order, "edits") == 0)
        return ckan_call_invalid(r, "message", "order_by=edits is no longer supported");
    const char *ob = "display_name";
    for (size_t i = 0; order && i < ARRAY_LEN(orders); i++)
        if (strcmp(order, orders[i]) == 0)
            ob = orders[i];
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "q", q);
    ckan_call_add_str(p, "email", email && *email ? email : NULL);
    ckan_call_add_str(p, "order_by", ob);
    ckan_call_add_bool(p, "all_fields", all_fields);
    return ckan_call(r, &st_user_list, p);
}

/* user_show: id or name; without one, the caller (anonymous: not found). */
int ckan_user_show(struct req *r)
{
    json_object *in = ckan_request_data(r);
    bool datasets, followers;
    if (!in || !ckan_asbool(r, in, "include_datasets", false, &datasets) ||
        !ckan_asbool(r, in, "include_num_followers", false, &followers))
        return REQ_DONE;
    const char *id = ckan_unicode_safe(in, "id");
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "id", id && *id ? id : NULL);
    ckan_call_add_bool(p, "include_datasets", datasets);
    ckan_call_add_bool(p, "include_num_followers", followers);
    return ckan_call(r, &st_user_show, p);
}
