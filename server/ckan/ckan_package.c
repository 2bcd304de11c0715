/* ckan_package — CKAN dataset and resource reads (ckan-research §3.1, §4): package_show,
 * package_list, current_package_list_with_resources, package_autocomplete, format_autocomplete,
 * resource_show, resource_search, package_relationships_list. Parameters are checked here with
 * CKAN's validators and messages; sql/functions/08 builds the results as JSON text.
 * Datasets the caller may not read (ckan_can_read: anonymous callers see active, public ones)
 * answer 403 as CKAN does (404 when they do not exist). */
#include "ckan_handlers.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_call.h"
#include "ckan_config.h"
#include "ckan_limits.h"
#include "ckan_params.h"
#include "ckan_resp.h"
#include "config.h"
#include "db_pool.h"
#include "req.h"
#include "resp.h"
#include "scache.h"
#include "server.h"
#include "util.h"

/* The column is named "body" so that the function of a database from before
 * sql/migrations/017, which returned (code, body), still gives its document: the migration
 * tests read a dataset of an old database with today's server. */
static struct db_stmt st_show = {"ckan_package_show",
    CKAN_LANG_WITH(4) "SELECT (SELECT body FROM ckan_package_show($1, $2, $3::ckan_viewer) body)"
    CKAN_LANG_FROM, 4, 0};
/* The same with the generation of the same snapshot, for the cache (scache.h). */
#define SHOW_CACHED_SQL                                                                            \
    CKAN_LANG_WITH(4) "SELECT (SELECT body FROM ckan_package_show($1, $2, $3::ckan_viewer) body), " \
                      "(SELECT gen FROM ckan_search_gen)" CKAN_LANG_FROM
static struct db_stmt st_list = {"ckan_package_list",
    "SELECT ckan_package_list($1::bigint, $2::bigint)", 2, 0};
static struct db_stmt st_current = {"ckan_current_package_list",
    CKAN_LANG_WITH(5) "SELECT ckan_current_package_list($1::bigint, $2::bigint, $3, $4::boolean)"
    CKAN_LANG_FROM, 5, 0};
static struct db_stmt st_autocomplete = {"ckan_package_autocomplete",
    "SELECT ckan_package_autocomplete($1, $2::bigint)", 2, 0};
static struct db_stmt st_formats = {"ckan_format_autocomplete",
    "SELECT ckan_format_autocomplete($1, $2::bigint)", 2, 0};
static struct db_stmt st_res_show = {"ckan_resource_show",
    CKAN_LANG_WITH(4) "SELECT ckan_resource_show($1, $2, $3::ckan_viewer)" CKAN_LANG_FROM, 4, 0};
static struct db_stmt st_res_search = {"ckan_resource_search",
    CKAN_LANG_WITH(3) "SELECT ckan_resource_search($1::jsonb, $2)" CKAN_LANG_FROM, 3, 0};
static struct db_stmt st_rels = {"ckan_package_relationships",
    "SELECT ckan_package_relationships($1, $2, $3, $4::ckan_viewer)", 4, 0};

void ckan_package_init(void)
{
    dbp_register(&st_show);
    dbp_register(&st_list);
    dbp_register(&st_current);
    dbp_register(&st_autocomplete);
    dbp_register(&st_formats);
    dbp_register(&st_res_show);
    dbp_register(&st_res_search);
    dbp_register(&st_rels);
}

static void put_json(void *o)
{
    json_object_put(o);
}

static int invalid(struct req *r, const char *field, const char *message)
{
    ckan_resp_invalid(r, field, message);
    return REQ_DONE;
}

/* A parameter as text: strings as they are, other JSON values as their JSON text (CKAN would
 * look them up as given and find nothing); NULL when absent or null. */
static const char *param_text(struct req *r, json_object *in, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(in, key, &v) || json_object_is_type(v, json_type_null))
        return NULL;
    return arena_strdup(r->a, json_object_get_string(v));
}

static const char *num_text(struct req *r, long long n)
{
    return n < 0 ? NULL : arena_printf(r->a, "%lld", n);
}

static const char **params_new(struct req *r, int n)
{
    return arena_alloc(r->a, (size_t)n * sizeof(char *));
}

static const char *show_cached_sql(struct req *r, void *arg, int *nparams,
                                   const char *const **params)
{
    (void)r;
    *nparams = 4;
    *params = arg;
    return SHOW_CACHED_SQL;
}

/* package_show(id | name_or_id, use_default_schema, include_plugin_data). An anonymous
 * caller's answer is kept in memory until a write changes what it shows (scache.h): the
 * same dict for every anonymous caller, checked against the generation per request. */
int ckan_package_show(struct req *r)
{
    json_object *in = ckan_request_data(r);
    bool ignored;
    if (!in)
        return REQ_DONE;
    const char *id = param_text(r, in, "id");
    if (!id || !*id)
        id = param_text(r, in, "name_or_id");
    if (!id)
        return invalid(r, "name_or_id", "Missing value");
    /* Both only matter with another schema or for sysadmins; checked, then ignored. */
    if (!ckan_boolean_validator(r, in, "use_default_schema", false, &ignored) ||
        !ckan_boolean_validator(r, in, "include_plugin_data", false, &ignored))
        return REQ_DONE;
    const char **params = params_new(r, 4);
    params[0] = id;
    params[1] = ckan_config()->site_url;
    params[2] = ckan_auth_viewer(r);
    params[3] = r->lang;
    if (scache_enabled() && !req_authenticated(r))
        return scache_answer(r, arena_printf(r->a, "package_show\x1f%s\x1f%s",
                                             r->lang ? r->lang : "", id),
                             show_cached_sql, params);
    return req_db(r, &st_show, params, req_reply_json_cell);
}

/* package_list(limit, offset): names of visible datasets; limit absent or 0 = all. */
int ckan_package_list(struct req *r)
{
    json_object *in = ckan_request_data(r);
    long long limit, offset;
    if (!in || !ckan_natural_number_validator(r, in, "limit", -1, &limit) ||
        !ckan_natural_number_validator(r, in, "offset", -1, &offset))
        return REQ_DONE;
    const char **params = params_new(r, 2);
    params[0] = num_text(r, limit);
    params[1] = num_text(r, offset);
    return req_db(r, &st_list, params, req_reply_json_cell);
}

/* current_package_list_with_resources(limit, offset, page): package_search's first page (10
 * by default, at most 1000) of visible datasets, most recently modified first. */
int ckan_current_package_list_with_resources(struct req *r)
{
    json_object *in = ckan_request_data(r);
    long long limit, offset, page;
    if (!in || !ckan_natural_number_validator(r, in, "limit", -1, &limit) ||
        !ckan_natural_number_validator(r, in, "offset", -1, &offset) ||
        !ckan_is_positive_integer(r, in, "page", &page))
        return REQ_DONE;
    if (offset < 0 && page > 0 && limit > 0)
        offset = (page - 1) * limit; /* deprecated `page`, used only without `offset` */
    if (offset < 0)
        offset = 0;
    long long rows = limit < 0 ? CKAN_SEARCH_ROWS_DEFAULT : limit;
    rows = ckan_limit_to_configured_maximum(rows, CKAN_SEARCH_ROWS_MAX);
    const char **params = params_new(r, 5);
    params[0] = num_text(r, rows);
    params[1] = num_text(r, offset);
    params[2] = ckan_config()->site_url;
    params[3] = r->user && r->user->sysadmin ? "true" : "false";
    params[4] = r->lang;
    return req_db(r, &st_current, params, req_reply_json_cell);
}

/* package_autocomplete / format_autocomplete: q (required) and limit. */
static int autocomplete(struct req *r, const struct db_stmt *st, long long def_limit)
{
    json_object *in = ckan_request_data(r);
    long long limit;
    if (!in)
        return REQ_DONE;
    const char *q = param_text(r, in, "q");
    if (!q)
        return invalid(r, "q", "Missing value");
    if (!ckan_natural_number_validator(r, in, "limit", def_limit, &limit))
        return REQ_DONE;
    const char **params = params_new(r, 2);
    params[0] = q;
    params[1] = num_text(r, limit);
    return req_db(r, st, params, req_reply_json_cell);
}

int ckan_package_autocomplete(struct req *r)
{
    return autocomplete(r, &st_autocomplete, CKAN_AUTOCOMPLETE_LIMIT);
}

int ckan_format_autocomplete(struct req *r)
{
    return autocomplete(r, &st_formats, CKAN_FORMAT_LIMIT);
}

/* resource_show(id). */
int ckan_resource_show(struct req *r)
{
    json_object *in = ckan_request_data(r);
    if (!in)
        return REQ_DONE;
    const char *id = param_text(r, in, "id");
    if (!id)
        return invalid(r, "id", "Missing value");
    const char **params = params_new(r, 4);
    params[0] = id;
    params[1] = ckan_config()->site_url;
    params[2] = ckan_auth_viewer(r);
    params[3] = r->lang;
    return req_db(r, &st_res_show, params, req_reply_json_cell);
}

/* The resource columns resource_search accepts (CKAN's core columns), then our configured
 * extra resource fields (ckan.extra_resource_fields). */
static const char *const search_fields[] = {
    "url", "format", "description", "hash", "name", "resource_type", "mimetype",
    "mimetype_inner", "size", "created", "last_modified", "metadata_modified", "cache_url",
    "cache_last_updated", "url_type", "characterSetCode", "metadataSourceOfData"};

static bool search_field_known(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_LEN(search_fields); i++)
        if (strlen(search_fields[i]) == len && memcmp(search_fields[i], name, len) == 0)
            return true;
    return false;
}

/* Add field:term to terms ({field: term}, later pairs replacing earlier ones as a Python dict
 * does); false when it is not a pair. */
static bool search_pair(json_object *terms, json_object *pair)
{
    if (!json_object_is_type(pair, json_type_string))
        return false;
    const char *s = json_object_get_string(pair), *colon = strchr(s, ':');
    if (!colon)
        return false;
    char *field = xstrndup(s, (size_t)(colon - s));
    json_object_object_add(terms, field, json_object_new_string(colon + 1));
    free(field);
    return true;
}

/* query (string or list of "field:term") → [[field, term], ...], or answered 409. */
static json_object *search_terms(struct req *r, json_object *in)
{
    json_object *q, *terms = json_object_new_object();
    arena_defer(r->a, put_json, terms);
    if (!json_object_object_get_ex(in, "query", &q) || json_object_is_type(q, json_type_null)) {
        ckan_resp_invalid_str(r, "query", "Missing value");
        return NULL;
    }
    bool ok = true;
    if (json_object_is_type(q, json_type_array)) {
        for (size_t i = 0; ok && i < json_object_array_length(q); i++)
            ok = search_pair(terms, json_object_array_get_idx(q, i));
    } else {
        ok = search_pair(terms, q);
    }
    if (!ok) {
        ckan_resp_invalid_str(r, "query", "Must be <field>:<value> pair(s)");
        return NULL;
    }
    json_object *list = json_object_new_array();
    json_object_object_foreach(terms, field, term)
    {
        if (!search_field_known(field, strlen(field))) {
            json_object_put(list);
            ckan_resp_invalid_str(r, "query", arena_printf(
                r->a, "Field \"%s\" not recognised in resource_search.", field));
            return NULL;
        }
        json_object *pair = json_object_new_array();
        json_object_array_add(pair, json_object_new_string(field));
        json_object_array_add(pair, json_object_get(term));
        json_object_array_add(list, pair);
    }
    return list;
}

/* resource_search(query, order_by, offset, limit): {count, results}. */
int ckan_resource_search(struct req *r)
{
    json_object *in = ckan_request_data(r), *terms;
    long long limit, offset;
    if (!in || !ckan_natural_number_validator(r, in, "offset", -1, &offset) ||
        !ckan_natural_number_validator(r, in, "limit", -1, &limit) ||
        !(terms = search_terms(r, in)))
        return REQ_DONE;
    json_object *p = json_object_new_object();
    arena_defer(r->a, put_json, p);
    json_object_object_add(p, "terms", terms);
    const char *order_by = param_text(r, in, "order_by");
    if (order_by)
        json_object_object_add(p, "order_by", json_object_new_string(order_by));
    if (offset >= 0)
        json_object_object_add(p, "offset", json_object_new_int64(offset));
    if (limit >= 0)
        json_object_object_add(p, "limit", json_object_new_int64(limit));
    const char **params = params_new(r, 3);
    params[0] = arena_strdup(r->a, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
    params[1] = ckan_config()->site_url;
    params[2] = r->lang;
    return req_db(r, &st_res_search, params, req_reply_json_cell);
}

/* package_relationships_list(id, id2, rel). */
int ckan_package_relationships_list(struct req *r)
{
    json_object *in = ckan_request_data(r);
    if (!in)
        return REQ_DONE;
    const char *id = param_text(r, in, "id");
    if (!id)
        return invalid(r, "id", "Missing value");
    const char **params = params_new(r, 4);
    params[0] = id;
    params[1] = param_text(r, in, "id2");
    params[2] = param_text(r, in, "rel");
    params[3] = ckan_auth_viewer(r);
    return req_db(r, &st_rels, params, req_reply_json_cell);
}
