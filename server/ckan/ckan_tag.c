/* ckan_tag — CKAN's tag and vocabulary reads: tag_list, tag_search, tag_autocomplete,
 * tag_show, vocabulary_list, vocabulary_show (sql/functions/09 answers, through ckan_call). */
#include "ckan_handlers.h"

#include <json-c/json.h>

#include "arena.h"
#include "ckan_call.h"
#include "ckan_params.h"
#include "ckan_resp.h"
#include "db_pool.h"
#include "req.h"
#include "util.h"

CKAN_CALL_STMT(tag_list, ckan_tag_list);
CKAN_CALL_STMT(tag_search, ckan_tag_search);
CKAN_CALL_STMT(tag_show, ckan_tag_show);
CKAN_CALL_STMT(vocabulary_list, ckan_vocabulary_list);
CKAN_CALL_STMT(vocabulary_show, ckan_vocabulary_show);

/* Register the statements of the actions below (once, before the threads start). */
void ckan_tag_init(void)
{
    struct db_stmt *all[] = {&st_tag_list, &st_tag_search, &st_tag_show, &st_vocabulary_list,
                             &st_vocabulary_show};
    for (size_t i = 0; i < ARRAY_LEN(all); i++)
        dbp_register(all[i]);
}

static void put_json(void *o)
{
    json_object_put(o);
}

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

/* The p of ckan_g_tag_search (sql/functions/09): terms (query, else q), vocabulary, paging. */
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
    ckan_call_add_bool(p, "vocab_given", json_object_object_get_ex(in, "vocabulary_id", NULL));
    ckan_call_add_str(p, "vocab", ckan_unicode_safe(in, "vocabulary_id"));
    if (limit >= 0)
        ckan_call_add_int(p, "limit", limit);
    ckan_call_add_int(p, "offset", offset);
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
    bool search = in && ((q && *q) || (json_object_object_get_ex(in, "query", &v) &&
                                       json_object_is_type(v, json_type_array) &&
                                       json_object_array_length(v) > 0));
    if (!in || !ckan_asbool(r, in, "all_fields", false, &all_fields) ||
        (search && !tag_query(r, in, p))) {
        json_object_put(p);
        return REQ_DONE;
    }
    ckan_call_add_str(p, "vocab", ckan_unicode_safe(in, "vocabulary_id"));
    ckan_call_add_bool(p, "all_fields", all_fields);
    return ckan_call(r, &st_tag_list, p);
}

static int tag_search(struct req *r, bool names_only)
{
    json_object *in = ckan_request_data(r), *p = json_object_new_object();
    if (!in || !tag_query(r, in, p)) {
        json_object_put(p);
        return REQ_DONE;
    }
    ckan_call_add_bool(p, "names_only", names_only);
    return ckan_call(r, &st_tag_search, p);
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
    ckan_call_add_str(p, "id", id);
    ckan_call_add_str(p, "vocab", ckan_unicode_safe(in, "vocabulary_id"));
    ckan_call_add_bool(p, "include_datasets", datasets);
    return ckan_call(r, &st_tag_show, p);
}

int ckan_vocabulary_list(struct req *r)
{
    return ckan_request_data(r) ? ckan_call(r, &st_vocabulary_list, json_object_new_object())
                                : REQ_DONE;
}

int ckan_vocabulary_show(struct req *r)
{
    json_object *in = ckan_request_data(r);
    if (!in)
        return REQ_DONE;
    const char *id = ckan_unicode_safe(in, "id");
    if (!id || !*id)
        return ckan_call_invalid(r, "id", "id not in data");
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "id", id);
    return ckan_call(r, &st_vocabulary_show, p);
}
