/* ckan_group — CKAN read actions about groups, organizations, members, tags, vocabularies, users,
 * licences and activity, plus site_read and help_show (ckan-research §4), as CKAN 2.11 answers
 * them. Parameters are checked here the way CKAN's validators check them; each action then
 * hands one normalized JSON object to its function in sql/009_ckan_group.sql, which answers
 * (err, result): the payload, or a 404/403/409 to render in CKAN's error envelope.
 * Datasets appear as the caller may read them (anonymous: active and public only); user dicts
 * carry an email address only for the user themself and sysadmins, never a password hash. */
#include "ckan_action.h"

#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_family.h"
#include "ckan_limits.h"
#include "ckan_params.h"
#include "ckan_resp.h"
#include "config.h"
#include "db_pool.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "util.h"

#define STMT(id, fn) static struct db_stmt st_##id = {"ckan_g_" #id, \
    "SELECT err, result FROM " #fn "($1::jsonb, $2)", 2, 0}
/* Actions whose answer depends on who asks take the caller as a third parameter. */
#define STMT_V(id, fn) static struct db_stmt st_##id = {"ckan_g_" #id, \
    "SELECT err, result FROM " #fn "($1::jsonb, $2, $3::ckan_viewer)", 3, 0}
STMT_V(group_list, ckan_group_list);
STMT_V(group_show, ckan_group_show);
STMT_V(group_package_show, ckan_group_package_show);
STMT_V(org_list_for_user, ckan_organization_list_for_user);
STMT_V(member_list, ckan_member_list);
STMT(license_list, ckan_license_list);
STMT(tag_list, ckan_tag_list);
STMT(tag_search, ckan_tag_search);
STMT(tag_show, ckan_tag_show);
STMT(vocabulary_list, ckan_vocabulary_list);
STMT(vocabulary_show, ckan_vocabulary_show);
STMT_V(user_list, ckan_user_list);
STMT_V(user_show, ckan_user_show);
STMT_V(activity_list, ckan_activity_list);

/* Register the statements of the actions below (once, before the threads start). */
void ckan_group_init(void)
{
    struct db_stmt *all[] = {&st_group_list, &st_group_show, &st_group_package_show,
        &st_org_list_for_user, &st_member_list, &st_license_list, &st_tag_list, &st_tag_search,
        &st_tag_show, &st_vocabulary_list, &st_vocabulary_show, &st_user_list, &st_user_show,
        &st_activity_list};
    for (size_t i = 0; i < ARRAY_LEN(all); i++)
        dbp_register(all[i]);
}

/* ---- replies ------------------------------------------------------------------------------- */

static void put_json(void *o)
{
    json_object_put(o);
}

/* 404 Not Found Error / 403 Authorization Error with a message. */
static int fail(struct req *r, int status, const char *message)
{
    resp_error(r, status == 403 ? ERR_FORBIDDEN : ERR_NOT_FOUND, NULL, "%s", message);
    return REQ_DONE;
}

/* 409 Validation Error {key: message} with a bare string, as CKAN raises {"message": "..."}. */
static int invalid_str(struct req *r, const char *key, const char *message)
{
    ckan_resp_invalid_str(r, key, message);
    return REQ_DONE;
}

/* The (err, result) row of an sql/009 action: the payload, or a 403/404 with its message. */
static void query_done(struct req *r, PGresult *res)
{
    const char *body = PQgetvalue(res, 0, 1);
    if (PQgetisnull(res, 0, 0))
        resp_ok_json(r, body, (size_t)PQgetlength(res, 0, 1));
    else
        fail(r, strcmp(PQgetvalue(res, 0, 0), "forbidden") == 0 ? 403 : 404, body);
}

/* Run st with the normalized request p (taken) and the site URL. */
static int query(struct req *r, const struct db_stmt *st, json_object *p)
{
    arena_defer(r->a, put_json, p);
    const char **params = arena_alloc(r->a, 3 * sizeof(char *));
    params[0] = arena_strdup(r->a, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
    params[1] = ckan_config()->site_url;
    params[2] = ckan_auth_viewer(r); /* read only by the STMT_V statements */
    return req_db(r, st, params, query_done);
}

static int ok_literal(struct req *r, const char *json)
{
    resp_ok_json(r, json, strlen(json));
    return REQ_DONE;
}

/* ---- parameters ------------------------------------------------------------------------------ */

/* A string or a list of strings (terms of tag_search); NULL when absent. */
static bool terms_param(struct req *r, json_object *in, const char *key, json_object **out)
{
    json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(in, key, &v) || json_object_is_type(v, json_type_null))
        return true;
    if (json_object_is_type(v, json_type_string)) {
        *out = json_object_new_array();
        json_object_array_add(*out, json_object_get(v));
        arena_defer(r->a, put_json, *out);
        return true;
    }
    if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++)
            if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
                goto bad;
        *out = v;
        return true;
    }
bad:
    ckan_resp_invalid(r, key, "Not a string or a list of strings");
    return false;
}

static void add_str(json_object *p, const char *key, const char *value)
{
    if (value)
        json_object_object_add(p, key, json_object_new_string(value));
}

static void add_bool(json_object *p, const char *key, bool value)
{
    json_object_object_add(p, key, json_object_new_boolean(value));
}

static void add_int(json_object *p, const char *key, long long value)
{
    json_object_object_add(p, key, json_object_new_int64(value));
}

/* ---- groups and organizations --------------------------------------------------------------- */

/* The include_* options of group_show, defaulting as group_show does (full) or as the all_fields
 * of group_list does (lean); into o as sql/009's ckan_g_group_dict reads them. include_tags and
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
        add_str(o, "packages", datasets ? "datasets" : "dataset_count");
    add_bool(o, "extras", extras);
    add_bool(o, "users", users);
    add_bool(o, "groups", groups);
    add_bool(o, "member_count", members);
    add_bool(o, "show", true);
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
            invalid_str(r, "message", msg);
            return false;
        }
        add_str(p, "sort", strcmp(field, "packages") == 0 ? "package_count" : field);
        add_str(p, "dir", strcasecmp(dir, "asc") == 0 ? "asc" : "desc");
    }
    if (parts > 1) {
        invalid_str(r, "message", "Too many sort criteria provided only 1 allowed");
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
    add_bool(p, "is_org", is_org);
    add_str(p, "type", type && *type ? type : is_org ? "organization" : "group");
    add_int(p, "limit", limit < 0 || limit > cap ? cap : limit);
    add_int(p, "offset", offset);
    add_bool(p, "all_fields", all_fields);
    if (names)
        json_object_object_add(p, "names", json_object_get(names));
    add_str(p, "q", q);
    return query(r, &st_group_list, p);
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
    add_str(p, "id", id);
    add_str(p, "kind", kind);
    return query(r, &st_group_show, p);
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
        return invalid_str(r, "message", "Limit must be a positive integer");
    json_object *p = json_object_new_object();
    add_str(p, "id", id);
    add_int(p, "limit", ckan_limit_to_configured_maximum(limit, CKAN_SEARCH_ROWS_MAX));
    return query(r, &st_group_package_show, p);
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
    add_str(p, "id", id && *id ? id : NULL);
    add_str(p, "permission", perm ? perm : "manage_group");
    add_bool(p, "dataset_count", count);
    add_bool(p, "member_count", members);
    return query(r, &st_org_list_for_user, p);
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
    add_str(p, "id", id);
    add_str(p, "object_type", type && *type ? type : NULL);
    add_str(p, "capacity", capacity && *capacity ? capacity : NULL);
    return query(r, &st_member_list, p);
}

/* member_roles_list: CKAN's three roles; groups have no editors. */
int ckan_member_roles_list(struct req *r)
{
    json_object *in = ckan_request_data(r);
    if (!in)
        return REQ_DONE;
    const char *type = ckan_unicode_safe(in, "group_type");
    if (type && strcmp(type, "group") == 0)
        return ok_literal(r, "[{\"text\": \"Admin\", \"value\": \"admin\"}, "
                             "{\"text\": \"Member\", \"value\": \"member\"}]");
    return ok_literal(r, "[{\"text\": \"Admin\", \"value\": \"admin\"}, "
                         "{\"text\": \"Editor\", \"value\": \"editor\"}, "
                         "{\"text\": \"Member\", \"value\": \"member\"}]");
}

/* ---- tags and vocabularies ------------------------------------------------------------------- */

/* The p of sql/009's ckan_g_tag_search: terms (query, else q), vocabulary, paging. */
static bool tag_query(struct req *r, json_object *in, json_object *p)
{
    json_object *terms;
    long long limit, offset;
    json_object *v;
    bool use_query = json_object_object_get_ex(in, "query", &v) && ckan_truthy(v);
    if (!terms_param(r, in, use_query ? "query" : "q", &terms) ||
        !ckan_ignore_missing_natural(r, in, "limit", -1, &limit) ||
        !ckan_ignore_missing_natural(r, in, "offset", 0, &offset))
        return false;
    json_object_object_add(p, "terms", terms ? json_object_get(terms) : json_object_new_array());
    add_bool(p, "vocab_given", json_object_object_get_ex(in, "vocabulary_id", NULL));
    add_str(p, "vocab", ckan_unicode_safe(in, "vocabulary_id"));
    if (limit >= 0)
        add_int(p, "limit", limit);
    add_int(p, "offset", offset);
    return true;
}

/* tag_list: names (or dicts) of free tags in use, or of one vocabulary; with query or q, the
 * tags matching it. */
int ckan_tag_list(struct req *r)
{
    json_object *in = ckan_request_data(r), *p = json_object_new_object();
    bool all_fields;
    const char *q = in ? ckan_unicode_safe(in, "query") : NULL;
    if (!q || !*q)
        q = in ? ckan_unicode_safe(in, "q") : NULL;
    while (q && *q == ' ')
        q++;
    json_object *v;
    bool search = in && ((q && *q) ||
                         (json_object_object_get_ex(in, "query", &v) &&
                          json_object_is_type(v, json_type_array) &&
                          json_object_array_length(v) > 0));
    if (!in || !ckan_asbool(r, in, "all_fields", false, &all_fields) ||
        (search && !tag_query(r, in, p))) {
        json_object_put(p);
        return REQ_DONE;
    }
    add_str(p, "vocab", ckan_unicode_safe(in, "vocabulary_id"));
    add_bool(p, "all_fields", all_fields);
    return query(r, &st_tag_list, p);
}

static int tag_search(struct req *r, bool names_only)
{
    json_object *in = ckan_request_data(r), *p = json_object_new_object();
    if (!in || !tag_query(r, in, p)) {
        json_object_put(p);
        return REQ_DONE;
    }
    add_bool(p, "names_only", names_only);
    return query(r, &st_tag_search, p);
}

int ckan_tag_search(struct req *r)
{
    return tag_search(r, false);
}

int ckan_tag_autocomplete(struct req *r)
{
    return tag_search(r, true);
}

int ckan_tag_show(struct req *r)
{
    json_object *in = ckan_request_data(r);
    const char *id;
    bool datasets;
    if (!in || !ckan_get_or_bust(r, in, "id", &id) ||
        !ckan_asbool(r, in, "include_datasets", false, &datasets))
        return REQ_DONE;
    json_object *p = json_object_new_object();
    add_str(p, "id", id);
    add_str(p, "vocab", ckan_unicode_safe(in, "vocabulary_id"));
    add_bool(p, "include_datasets", datasets);
    return query(r, &st_tag_show, p);
}

int ckan_vocabulary_list(struct req *r)
{
    return ckan_request_data(r) ? query(r, &st_vocabulary_list, json_object_new_object())
                                : REQ_DONE;
}

int ckan_vocabulary_show(struct req *r)
{
    json_object *in = ckan_request_data(r);
    if (!in)
        return REQ_DONE;
    const char *id = ckan_unicode_safe(in, "id");
    if (!id || !*id)
        return invalid_str(r, "id", "id not in data");
    json_object *p = json_object_new_object();
    add_str(p, "id", id);
    return query(r, &st_vocabulary_show, p);
}

/* ---- users ------------------------------------------------------------------------------------ */

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
        return fail(r, 403, "Access denied");
    if (order && strcmp(order, "edits") == 0)
        return invalid_str(r, "message", "order_by=edits is no longer supported");
    const char *ob = "display_name";
    for (size_t i = 0; order && i < ARRAY_LEN(orders); i++)
        if (strcmp(order, orders[i]) == 0)
            ob = orders[i];
    json_object *p = json_object_new_object();
    add_str(p, "q", q);
    add_str(p, "email", email && *email ? email : NULL);
    add_str(p, "order_by", ob);
    add_bool(p, "all_fields", all_fields);
    return query(r, &st_user_list, p);
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
    add_str(p, "id", id && *id ? id : NULL);
    add_bool(p, "include_datasets", datasets);
    add_bool(p, "include_num_followers", followers);
    return query(r, &st_user_show, p);
}

/* ---- activity ------------------------------------------------------------------------------- */

/* The POSIX times of 0001-01-01 and 9999-12-31T23:59:59 UTC: what a Python datetime holds. */
#define TIMESTAMP_MIN -62135596800.0
#define TIMESTAMP_MAX 253402300799.0

/* before/after: a POSIX timestamp (CKAN's datetime_from_timestamp_validator; a time beyond
 * datetime's years 1-9999 is refused too, where CKAN fails with a 500). */
static bool timestamp_param(struct req *r, json_object *in, const char *key, json_object *p)
{
    const char *s = ckan_unicode_safe(in, key);
    if (!s)
        return true;
    char *end;
    double t = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (end == s || *end || !isfinite(t) || t < TIMESTAMP_MIN || t > TIMESTAMP_MAX) {
        ckan_resp_invalid(r, key, "Must be a float timestamp");
        return false;
    }
    json_object_object_add(p, key, json_object_new_double(t));
    return true;
}

/* The activity list schema (default_activity_list_schema): paging, time window, types. */
static bool activity_params(struct req *r, json_object *in, json_object *p)
{
    long long limit, offset;
    if (!ckan_ignore_missing_natural(r, in, "limit", CKAN_ACTIVITY_LIMIT, &limit) ||
        !ckan_ignore_missing_natural(r, in, "offset", 0, &offset) ||
        !timestamp_param(r, in, "before", p) || !timestamp_param(r, in, "after", p))
        return false;
    add_int(p, "limit", ckan_limit_to_configured_maximum(limit, CKAN_ACTIVITY_LIMIT_MAX));
    add_int(p, "offset", offset);
    return true;
}

static int activity_list(struct req *r, const char *kind)
{
    json_object *in = ckan_request_data(r), *p = json_object_new_object(), *types = NULL,
                *excl = NULL;
    const char *id = NULL;
    bool is_pkg = strcmp(kind, "package") == 0, by_type = is_pkg || strcmp(kind, "user") != 0;
    if (!in || !ckan_get_or_bust(r, in, "id", &id) || !activity_params(r, in, p) ||
        !ckan_list_of_strings(r, in, "activity_types", &types) ||
        !ckan_list_of_strings(r, in, "exclude_activity_types", &excl))
        goto done;
    if (is_pkg && types && excl) {
        ckan_resp_invalid(r, "activity_types",
                          "Cannot be used together with `exclude_activity_types");
        goto done;
    }
    add_str(p, "kind", kind);
    add_str(p, "id", id);
    if (by_type && types)
        json_object_object_add(p, "types", json_object_get(types));
    if (is_pkg && excl)
        json_object_object_add(p, "exclude", json_object_get(excl));
    return query(r, &st_activity_list, p);
done:
    json_object_put(p);
    return REQ_DONE;
}

int ckan_package_activity_list(struct req *r)
{
    return activity_list(r, "package");
}

int ckan_group_activity_list(struct req *r)
{
    return activity_list(r, "group");
}

int ckan_organization_activity_list(struct req *r)
{
    return activity_list(r, "organization");
}

int ckan_user_activity_list(struct req *r)
{
    return activity_list(r, "user");
}

int ckan_recently_changed_packages_activity_list(struct req *r)
{
    json_object *in = ckan_request_data(r), *p = json_object_new_object();
    if (!in || !activity_params(r, in, p)) {
        json_object_put(p);
        return REQ_DONE;
    }
    add_str(p, "kind", "recent");
    return query(r, &st_activity_list, p);
}

/* ---- site ----------------------------------------------------------------------------------- */

/* license_list: the licence register sql/008 keeps (ckan_license), every value a string. */
int ckan_license_list(struct req *r)
{
    return ckan_request_data(r) ? query(r, &st_license_list, json_object_new_object())
                                : REQ_DONE;
}

/* site_read: CKAN ≤ 2.10 answered true to everyone (2.11 dropped it; clients still call it). */
int ckan_site_read(struct req *r)
{
    return ckan_request_data(r) ? ok_literal(r, "true") : REQ_DONE;
}

/* help_show: the description of an action we serve; others are not found. */
int ckan_help_show(struct req *r)
{
    json_object *in = ckan_request_data(r);
    const char *name;
    if (!in || !ckan_get_or_bust(r, in, "name", &name))
        return REQ_DONE;
    const struct ckan_action_def *a = ckan_action_find(name);
    if (!a)
        return fail(r, 404, "Not found: Action function not found");
    json_object *s = json_object_new_string(a->help);
    const char *out = arena_strdup(r->a, json_object_to_json_string_ext(
        s, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(s);
    return ok_literal(r, out);
}
