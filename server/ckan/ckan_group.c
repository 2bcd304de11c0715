/* ckan_group — CKAN's group and organization reads (CKAN's get.py: group_list,
 * organization_list, group_show, organization_show, group_package_show,
 * organization_list_for_user, member_list, member_roles_list), as CKAN 2.11 answers them.
 * Parameters are checked with CKAN's validators; each action hands one normalized object to
 * sql/functions/09 (ckan_call). Datasets appear as the caller may read them. */
#include "ckan_handlers.h"

#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "ckan_call.h"
#include "ckan_limits.h"
#include "ckan_params.h"
#include "ckan_resp.h"
#include "db_pool.h"
#include "req.h"
#include "util.h"

CKAN_CALL_STMT_V(group_list, ckan_group_list);
CKAN_CALL_STMT_V(group_show, ckan_group_show);
CKAN_CALL_STMT_V(group_package_show, ckan_group_package_show);
CKAN_CALL_STMT_V(org_list_for_user, ckan_organization_list_for_user);
CKAN_CALL_STMT_V(member_list, ckan_member_list);
CKAN_CALL_STMT_V(group_create, ckan_group_create);
CKAN_CALL_STMT_V(group_update, ckan_group_update);
CKAN_CALL_STMT_V(group_patch, ckan_group_patch);
CKAN_CALL_STMT_V(group_delete, ckan_group_delete);
CKAN_CALL_STMT_V(group_purge, ckan_group_purge);
CKAN_CALL_STMT_V(member_create, ckan_member_create);
CKAN_CALL_STMT_V(member_delete, ckan_member_delete);
CKAN_CALL_STMT_V(group_member_create, ckan_group_member_create);
CKAN_CALL_STMT_V(group_member_delete, ckan_group_member_delete);

/* Register the statements of the actions below (once, before the threads start). */
void ckan_group_init(void)
{
    struct db_stmt *all[] = {
        &st_group_list,          &st_group_show,         &st_group_package_show,
        &st_org_list_for_user,   &st_member_list,        &st_group_create,
        &st_group_update,        &st_group_patch,        &st_group_delete,
        &st_group_purge,         &st_member_create,      &st_member_delete,
        &st_group_member_create, &st_group_member_delete};
    for (size_t i = 0; i < ARRAY_LEN(all); i++)
        dbp_register(all[i]);
}

/* The include_* options of group_show, defaulting as group_show does (full) or as the all_fields
 * of group_list does (lean); into o as ckan_g_group_dict reads them. include_tags and
 * include_followers are checked only: CKAN 2.11's show schema drops group tags, and with no
 * followers num_followers is 0 either way. */
static bool group_opts(struct req *r, json_object *in, bool full, json_object *o)
{
    bool datasets, count, extras, users, groups, tags, followers, members;
    if (!ckan_asbool(r, in, "include_datasets", false, &datasets) ||
        !ckan_asbool(r, in, "include_dataset_count", true, &count) ||
        !ckan_asbool(r, in, "include_tags", full, &tags) ||
        !ckan_asbool(r, in, "include_users", full, &users) ||
        !ckan_asbool(r, in, "include_groups", full, &groups) ||
        !ckan_asbool(r, in, "include_extras", full, &extras) ||
        !ckan_asbool(r, in, "include_followers", full, &followers) ||
        !ckan_asbool(r, in, "include_member_count", false, &members))
        return false;
    if (datasets || count)
        ckan_call_add_str(o, "packages", datasets ? "datasets" : "dataset_count");
    ckan_call_add_bool(o, "extras", extras);
    ckan_call_add_bool(o, "users", users);
    ckan_call_add_bool(o, "groups", groups);
    ckan_call_add_bool(o, "member_count", members);
    ckan_call_add_bool(o, "show", true);
    return true;
}

/* sort (or the deprecated order_by) as CKAN's _unpick_search reads it: one criterion among
 * name, title, package_count (alias packages); a bare package_count/packages means desc. */
static bool group_sort(struct req *r, json_object *in, json_object *p)
{
    const char *sort = ckan_unicode_safe(in, "sort");
    if (!sort || !*sort)
        sort = ckan_unicode_safe(in, "order_by");
    if (!sort || !*sort)
        sort = "title";
    char *s = arena_strdup(r->a, sort), *save = NULL, *word;
    if (strcmp(s, "packages") == 0 || strcmp(s, "package_count") == 0)
        s = arena_strdup(r->a, "package_count desc");
    int parts = 0;
    for (char *part = strtok_r(s, ",", &save); part; part = strtok_r(NULL, ",", &save), parts++) {
        char *save2 = NULL;
        const char *field = (word = strtok_r(part, " \t", &save2)) ? word : "";
        const char *dir = (word = strtok_r(NULL, " \t", &save2)) ? word : "asc";
        const char *msg = NULL;
        if (strcmp(field, "name") != 0 && strcmp(field, "title") != 0 &&
            strcmp(field, "package_count") != 0 && strcmp(field, "packages") != 0)
            msg = arena_printf(r->a, "Cannot sort by field `%s`", field);
        else if (strcasecmp(dir, "asc") != 0 && strcasecmp(dir, "desc") != 0)
            msg = arena_printf(r->a, "Invalid sort direction `%s`", dir);
        if (msg) {
            ckan_call_invalid(r, "message", msg);
            return false;
        }
        ckan_call_add_str(p, "sort", strcmp(field, "packages") == 0 ? "package_count" : field);
        ckan_call_add_str(p, "dir", strcasecmp(dir, "asc") == 0 ? "asc" : "desc");
    }
    if (parts > 1) {
        ckan_call_invalid(r, "message", "Too many sort criteria provided only 1 allowed");
        return false;
    }
    return true;
}

static int group_list(struct req *r, bool is_org)
{
    json_object *in = ckan_request_data(r), *names, *p = json_object_new_object(),
                *o = json_object_new_object(), *v;
    json_object_object_add(p, "opts", o);
    long long limit, offset;
    /* CKAN applies limit only `if limit:`: a JSON 0 means no limit (a query-string "0" is
     * truthy and gives no rows) */
    if (in && json_object_object_get_ex(in, "limit", &v) &&
        !json_object_is_type(v, json_type_string) && !ckan_truthy(v))
        json_object_object_del(in, "limit");
    bool all_fields;
    const char *q = in ? ckan_unicode_safe(in, "q") : NULL,
               *type = in ? ckan_unicode_safe(in, "type") : NULL;
    if (!in || !ckan_list_of_strings(r, in, is_org ? "organizations" : "groups", &names) ||
        !ckan_ignore_missing_natural(r, in, "limit", -1, &limit) ||
        !ckan_ignore_missing_natural(r, in, "offset", 0, &offset) || !group_sort(r, in, p) ||
        !ckan_asbool(r, in, "all_fields", false, &all_fields) || !group_opts(r, in, false, o)) {
        json_object_put(p);
        return REQ_DONE;
    }
    long long cap = all_fields ? CKAN_GROUP_LIST_ALL_FIELDS_MAX : CKAN_GROUP_LIST_MAX;
    ckan_call_add_bool(p, "is_org", is_org);
    ckan_call_add_str(p, "type", type && *type ? type : is_org ? "organization" : "group");
    ckan_call_add_int(p, "limit", limit < 0 || limit > cap ? cap : limit);
    ckan_call_add_int(p, "offset", offset);
    ckan_call_add_bool(p, "all_fields", all_fields);
    if (names)
        json_object_object_add(p, "names", json_object_get(names));
    ckan_call_add_str(p, "q", q);
    return ckan_call(r, &st_group_list, p);
}

int ckan_group_list(struct req *r)
{
    return group_list(r, false);
}

int ckan_organization_list(struct req *r)
{
    return group_list(r, true);
}

static int group_show(struct req *r, const char *kind)
{
    json_object *in = ckan_request_data(r), *p = json_object_new_object(),
                *o = json_object_new_object();
    json_object_object_add(p, "opts", o);
    const char *id;
    if (!in || !ckan_get_or_bust(r, in, "id", &id) || !group_opts(r, in, true, o)) {
        json_object_put(p);
        return REQ_DONE;
    }
    ckan_call_add_str(p, "id", id);
    ckan_call_add_str(p, "kind", kind);
    return ckan_call(r, &st_group_show, p);
}

int ckan_group_show(struct req *r)
{
    return group_show(r, "group");
}

int ckan_organization_show(struct req *r)
{
    return group_show(r, "organization");
}

/* group_package_show's limit: what Python's int() reads, when the value is truthy. */
static bool package_limit(json_object *v, long long *out)
{
    if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v); /* int() of a huge one: no limit at all */
        *out = !isfinite(d) || d < 0 ? -1 : d >= 9.2e18 ? LLONG_MAX : (long long)d;
    } else if (json_object_is_type(v, json_type_int)) {
        *out = json_object_get_int64(v);
    } else {
        const char *s = json_object_get_string(v);
        char *end;
        while (*s == ' ')
            s++;
        *out = strtoll(s, &end, 10);
        while (*end == ' ')
            end++;
        if (end == s || *end)
            return false;
    }
    return *out >= 0;
}

/* group_package_show: the group's datasets, limit (when truthy) or package_search's 10 rows. */
int ckan_group_package_show(struct req *r)
{
    json_object *in = ckan_request_data(r), *v;
    const char *id;
    if (!in || !ckan_get_or_bust(r, in, "id", &id))
        return REQ_DONE;
    long long limit = 10;
    if (json_object_object_get_ex(in, "limit", &v) && ckan_truthy(v) &&
        !json_object_is_type(v, json_type_boolean) && !package_limit(v, &limit))
        return ckan_call_invalid(r, "message", "Limit must be a positive integer");
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "id", id);
    ckan_call_add_int(p, "limit", ckan_limit_to_configured_maximum(limit, CKAN_SEARCH_ROWS_MAX));
    return ckan_call(r, &st_group_package_show, p);
}

/* organization_list_for_user: without id, the caller's own organizations (anonymous: none). */
int ckan_organization_list_for_user(struct req *r)
{
    json_object *in = ckan_request_data(r);
    bool count, members;
    if (!in || !ckan_asbool(r, in, "include_dataset_count", false, &count) ||
        !ckan_asbool(r, in, "include_member_count", false, &members))
        return REQ_DONE;
    const char *id = ckan_unicode_safe(in, "id"), *perm = ckan_unicode_safe(in, "permission");
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "id", id && *id ? id : NULL);
    ckan_call_add_str(p, "permission", perm ? perm : "manage_group");
    ckan_call_add_bool(p, "dataset_count", count);
    ckan_call_add_bool(p, "member_count", members);
    return ckan_call(r, &st_org_list_for_user, p);
}

int ckan_member_list(struct req *r)
{
    json_object *in = ckan_request_data(r);
    const char *id;
    if (!in || !ckan_get_or_bust(r, in, "id", &id))
        return REQ_DONE;
    const char *type = ckan_unicode_safe(in, "object_type"),
               *capacity = ckan_unicode_safe(in, "capacity");
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "id", id);
    ckan_call_add_str(p, "object_type", type && *type ? type : NULL);
    ckan_call_add_str(p, "capacity", capacity && *capacity ? capacity : NULL);
    return ckan_call(r, &st_member_list, p);
}

/* member_roles_list: CKAN's three roles; groups have no editors. */
int ckan_member_roles_list(struct req *r)
{
    json_object *in = ckan_request_data(r);
    if (!in)
        return REQ_DONE;
    const char *type = ckan_unicode_safe(in, "group_type");
    if (type && strcmp(type, "group") == 0)
        return ckan_call_literal(r, "[{\"text\": \"Admin\", \"value\": \"admin\"}, "
                                    "{\"text\": \"Member\", \"value\": \"member\"}]");
    return ckan_call_literal(r, "[{\"text\": \"Admin\", \"value\": \"admin\"}, "
                                "{\"text\": \"Editor\", \"value\": \"editor\"}, "
                                "{\"text\": \"Member\", \"value\": \"member\"}]");
}

/* ---- writes (CKAN's create/update/patch/delete.py), each one call of sql/functions/18 ---- */

/* The lists of dicts group_create's schema reads; anything else there is CKAN's DataError. */
static bool group_lists_ok(struct req *r, json_object *in)
{
    static const char *const lists[] = {"extras", "packages", "users", "groups"};
    return ckan_call_lists_of_dicts(r, in, lists, ARRAY_LEN(lists));
}

static int group_create(struct req *r, bool is_org)
{
    json_object *in = ckan_request_data(r);
    if (in)
        ckan_json_finite(in);
    if (!in || !group_lists_ok(r, in))
        return REQ_DONE;
    json_object *p = json_object_new_object();
    ckan_call_add_bool(p, "is_org", is_org);
    json_object_object_add(p, "data", json_object_get(in));
    return ckan_call(r, &st_group_create, p);
}

int ckan_group_create(struct req *r)
{
    return group_create(r, false);
}

int ckan_organization_create(struct req *r)
{
    return group_create(r, true);
}

/* group/organization_update and _patch: {is_org, data}, the id required. */
static int group_change(struct req *r, const struct db_stmt *st, bool is_org)
{
    json_object *in = ckan_request_data(r);
    const char *id;
    if (in)
        ckan_json_finite(in);
    if (!in || !ckan_get_or_bust(r, in, "id", &id) || !group_lists_ok(r, in))
        return REQ_DONE;
    json_object *p = json_object_new_object();
    ckan_call_add_bool(p, "is_org", is_org);
    json_object_object_add(p, "data", json_object_get(in));
    return ckan_call(r, st, p);
}

int ckan_group_update(struct req *r)
{
    return group_change(r, &st_group_update, false);
}

int ckan_organization_update(struct req *r)
{
    return group_change(r, &st_group_update, true);
}

int ckan_group_patch(struct req *r)
{
    return group_change(r, &st_group_patch, false);
}

int ckan_organization_patch(struct req *r)
{
    return group_change(r, &st_group_patch, true);
}

/* group/organization_delete and _purge: {id, is_org}. */
static int group_by_id(struct req *r, const struct db_stmt *st, bool is_org)
{
    json_object *in = ckan_request_data(r);
    const char *id;
    if (!in || !ckan_get_or_bust(r, in, "id", &id))
        return REQ_DONE;
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "id", id);
    ckan_call_add_bool(p, "is_org", is_org);
    return ckan_call(r, st, p);
}

int ckan_group_delete(struct req *r)
{
    return group_by_id(r, &st_group_delete, false);
}

int ckan_organization_delete(struct req *r)
{
    return group_by_id(r, &st_group_delete, true);
}

int ckan_group_purge(struct req *r)
{
    return group_by_id(r, &st_group_purge, false);
}

int ckan_organization_purge(struct req *r)
{
    return group_by_id(r, &st_group_purge, true);
}

/* CKAN's get_or_bust of several keys: every absent one named in one 409 {key: ["Missing value"],
 * ...}; outs[i] is keys[i]'s text. */
static bool get_or_bust_keys(struct req *r, json_object *in, const char *const *keys, size_t n,
                             const char **outs)
{
    json_object *errs = json_object_new_object();
    for (size_t i = 0; i < n; i++) {
        outs[i] = ckan_unicode_safe(in, keys[i]);
        if (!outs[i]) {
            json_object *list = json_object_new_array();
            json_object_array_add(list, json_object_new_string("Missing value"));
            json_object_object_add(errs, keys[i], list);
        }
    }
    bool ok = json_object_object_length(errs) == 0;
    if (!ok)
        ckan_resp_invalid_dict(r, errs);
    json_object_put(errs);
    return ok;
}

/* member_create / member_delete: every key get_or_bust names, then the SQL. */
static int member_write(struct req *r, const struct db_stmt *st, size_t n)
{
    static const char *const keys[] = {"id", "object", "object_type", "capacity"};
    const char *v[ARRAY_LEN(keys)];
    json_object *in = ckan_request_data(r);
    if (!in || !get_or_bust_keys(r, in, keys, n, v))
        return REQ_DONE;
    json_object *p = json_object_new_object();
    for (size_t i = 0; i < n; i++)
        ckan_call_add_str(p, keys[i], v[i]);
    return ckan_call(r, st, p);
}

int ckan_member_create(struct req *r)
{
    return member_write(r, &st_member_create, 4);
}

int ckan_member_delete(struct req *r)
{
    return member_write(r, &st_member_delete, 3);
}

/* group/organization_member_create: the fields as given; the SQL checks them in CKAN's order
 * (permission, then the member schema). */
static int group_member_create(struct req *r, bool is_org)
{
    json_object *in = ckan_request_data(r);
    if (!in)
        return REQ_DONE;
    json_object *p = json_object_new_object();
    ckan_call_add_bool(p, "is_org", is_org);
    ckan_call_add_str(p, "id", ckan_unicode_safe(in, "id"));
    ckan_call_add_str(p, "username", ckan_unicode_safe(in, "username"));
    ckan_call_add_str(p, "role", ckan_unicode_safe(in, "role"));
    return ckan_call(r, &st_group_member_create, p);
}

int ckan_group_member_create(struct req *r)
{
    return group_member_create(r, false);
}

int ckan_organization_member_create(struct req *r)
{
    return group_member_create(r, true);
}

/* group/organization_member_delete: member_delete of the user named by username (or user_id). */
int ckan_group_member_delete(struct req *r)
{
    json_object *in = ckan_request_data(r);
    const char *id, *user;
    if (!in || !ckan_get_or_bust(r, in, "id", &id))
        return REQ_DONE;
    user = ckan_unicode_safe(in, "username");
    if (!user && !(user = ckan_unicode_safe(in, "user_id"))) {
        ckan_resp_invalid(r, "object", "Missing value");
        return REQ_DONE;
    }
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "id", id);
    ckan_call_add_str(p, "username", user);
    return ckan_call(r, &st_group_member_delete, p);
}

int ckan_organization_member_delete(struct req *r)
{
    return ckan_group_member_delete(r);
}
