/* ckan_datastore — datastore_search and datastore_info (ckan-research §6.5, §6.7). Parameter
 * syntax is checked here the way CKAN's validators do; the search is built and run by
 * ds_read.c, whose generator checks field names; datastore_info is sql/functions/07's. */
#include "ckan_handlers.h"

#include <event2/http.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_config.h"
#include "ckan_limits.h"
#include "ckan_params.h"
#include "ckan_resp.h"
#include "config.h"
#include "db_pool.h"
#include "ds_read.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "sqlbuild.h"

static struct db_stmt st_info = {"ckan_datastore_info", "SELECT ckan_datastore_info($1, $2::ckan_viewer)", 2, 0};

void ckan_datastore_init(void)
{
    dbp_register(&st_info);
}

static void put_json(void *o)
{
    json_object_put(o);
}

/* Percent-encode s into r's arena. */
static const char *uri_encode(struct req *r, const char *s)
{
    char *e = evhttp_encode_uri(s);
    const char *out = arena_strdup(r->a, e ? e : "");
    free(e);
    return out;
}

/* resource_id (or id), required. */
static const char *resource_id(struct req *r, json_object *in)
{
    json_object *v;
    if ((json_object_object_get_ex(in, "resource_id", &v) ||
         json_object_object_get_ex(in, "id", &v)) &&
        json_object_is_type(v, json_type_string) && *json_object_get_string(v))
        return json_object_get_string(v);
    ckan_resp_invalid(r, "resource_id", "Missing value");
    return NULL;
}

/* q: a string, or an object of field → words (also given as JSON text). */
static bool search_q(struct req *r, json_object *in, json_object *p)
{
    json_object *v, *dict;
    if (!json_object_object_get_ex(in, "q", &v) || json_object_is_type(v, json_type_null))
        return true;
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    if (s && s[0] == '{') {
        if (!ckan_json_object_validator(r, in, "q", &dict))
            return false;
        json_object_object_add(p, "q", json_object_get(dict));
    } else if (s || json_object_is_type(v, json_type_object)) {
        json_object_object_add(p, "q", json_object_get(v));
    } else {
        ckan_resp_invalid(r, "q", "Not a string or a JSON object");
        return false;
    }
    if (sqlb_q_too_long(json_object_object_get(p, "q"))) {
        ckan_resp_invalid(r, "q", arena_printf(r->a, "Longer than %d characters",
                                               SQLB_Q_MAX_CHARS));
        return false;
    }
    return true;
}

/* _links: the request's own path and query, without offset (CKAN builds them the same way). */
static json_object *search_links(struct req *r, long long offset, long long limit)
{
    char *base = arena_strdup(r->a, r->path);
    for (int i = 0; r->method != M_POST && i < r->nquery; i++)
        if (strcmp(r->query[i].key, "offset") != 0)
            base = arena_printf(r->a, "%s%c%s=%s", base, strchr(base, '?') ? '&' : '?',
                                uri_encode(r, r->query[i].key),
                                uri_encode(r, r->query[i].value));
    char sep = strchr(base, '?') ? '&' : '?';
    json_object *links = json_object_new_object();
    json_object_object_add(links, "start", json_object_new_string(base));
    long long next = offset > LLONG_MAX - limit ? LLONG_MAX : offset + limit;
    json_object_object_add(links, "next", json_object_new_string(
        arena_printf(r->a, "%s%coffset=%lld", base, sep, next)));
    if (offset - limit > 0)
        json_object_object_add(links, "prev", json_object_new_string(
            arena_printf(r->a, "%s%coffset=%lld", base, sep, offset - limit)));
    return links;
}

static bool records_format(struct req *r, json_object *in, json_object *p)
{
    static const char *const formats[] = {"objects", "lists", "csv", "tsv"};
    json_object *v;
    if (!json_object_object_get_ex(in, "records_format", &v))
        return true;
    const char *s = json_object_get_string(v);
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (s && strcmp(s, formats[i]) == 0) {
            json_object_object_add(p, "records_format", json_object_new_string(s));
            return true;
        }
    ckan_resp_invalid(r, "records_format", "Value must be one of: objects, lists, csv, tsv");
    return false;
}

/* Request values CKAN echoes in the result. */
static void search_echo(json_object *in, json_object *p)
{
    static const char *const keys[] = {"q", "filters", "offset", "sort", "distinct", "plain",
                                       "language", "full_text"};
    json_object *echo = json_object_new_object(), *v;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (json_object_object_get_ex(in, keys[i], &v))
            json_object_object_add(echo, keys[i], json_object_get(v));
    json_object_object_add(p, "echo", echo);
}

static bool search_paging(struct req *r, json_object *in, json_object *p)
{
    long long limit, offset, threshold;
    if (!ckan_natural_number_validator(r, in, "limit", CKAN_DATASTORE_ROWS_DEFAULT, &limit) ||
        !ckan_natural_number_validator(r, in, "offset", 0, &offset) ||
        !ckan_natural_number_validator(r, in, "total_estimation_threshold", -1, &threshold))
        return false;
    limit = ckan_limit_to_configured_maximum(limit, ckan_config()->datastore_rows_max);
    json_object_object_add(p, "limit", json_object_new_int64(limit));
    json_object_object_add(p, "offset", json_object_new_int64(offset));
    if (threshold >= 0)
        json_object_object_add(p, "total_estimation_threshold", json_object_new_int64(threshold));
    json_object_object_add(p, "links", search_links(r, offset, limit));
    return true;
}

static bool search_flags(struct req *r, json_object *in, json_object *p)
{
    bool distinct, include_total, plain;
    if (!ckan_boolean_validator(r, in, "distinct", false, &distinct) ||
        !ckan_boolean_validator(r, in, "include_total", true, &include_total) ||
        !ckan_boolean_validator(r, in, "plain", true, &plain))
        return false;
    json_object_object_add(p, "distinct", json_object_new_boolean(distinct));
    json_object_object_add(p, "include_total", json_object_new_boolean(include_total));
    return true;
}

/* The strings of a JSON array of strings, in r's arena (NULL for no array). */
static const char *const *string_list(struct req *r, json_object *a, int *n)
{
    *n = a ? (int)json_object_array_length(a) : 0;
    if (!a)
        return NULL;
    const char **v = arena_alloc(r->a, sizeof(char *) * (size_t)(*n + 1));
    for (int i = 0; i < *n; i++)
        v[i] = json_object_get_string(json_object_array_get_idx(a, i));
    return v;
}

static long long p_int(json_object *p, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(p, key, &v) ? json_object_get_int64(v) : 0;
}

static bool p_bool(json_object *p, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(p, key, &v) && json_object_get_boolean(v);
}

/* The read of the normalized request p (text: p_text, which ckan_ds_head reads). */
static struct sqlb_read *search_read(struct req *r, json_object *p, const char *p_text)
{
    static const char *const formats[] = {"objects", "lists", "csv", "tsv"};
    struct sqlb_read *q = arena_alloc(r->a, sizeof(*q));
    json_object *v;
    *q = (struct sqlb_read){.style = SQLB_CKAN, .ckan_p = p_text, .viewer = ckan_auth_viewer(r)};
    q->rid = json_object_get_string(json_object_object_get(p, "resource_id"));
    if (json_object_object_get_ex(p, "records_format", &v))
        for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
            if (strcmp(json_object_get_string(v), formats[i]) == 0)
                q->format = (enum sqlb_format)i;
    q->filters = json_object_object_get(p, "filters");
    q->q = json_object_object_get(p, "q");
    q->fields = string_list(r, json_object_object_get(p, "fields"), &q->nfields);
    q->sort = string_list(r, json_object_object_get(p, "sort"), &q->nsort);
    q->limit = p_int(p, "limit");
    q->offset = p_int(p, "offset");
    q->distinct = p_bool(p, "distinct");
    q->include_total = p_bool(p, "include_total");
    return q;
}

/* datastore_search: the normalized request (echoed by ckan_ds_head) and the read. */
static int ds_search(struct req *r, json_object *in)
{
    static const char *const known[] = {"resource_id", "id", "filters", "q", "full_text",
        "plain", "language", "distinct", "fields", "sort", "limit", "offset", "records_format",
        "include_total", "total_estimation_threshold", NULL};
    json_object *p = json_object_new_object(), *filters, *fields, *sort;
    arena_defer(r->a, put_json, p);
    const char *rid;
    if (!ckan_params_known(r, in, known) || !(rid = resource_id(r, in)) ||
        !ckan_json_object_validator(r, in, "filters", &filters) || !search_q(r, in, p) ||
        !ckan_list_of_strings(r, in, "fields", &fields) ||
        !ckan_list_of_strings(r, in, "sort", &sort) || !search_paging(r, in, p) ||
        !search_flags(r, in, p) || !records_format(r, in, p))
        return REQ_DONE;
    json_object_object_add(p, "resource_id", json_object_new_string(rid));
    if (filters)
        json_object_object_add(p, "filters", json_object_get(filters));
    if (fields)
        json_object_object_add(p, "fields", json_object_get(fields));
    if (sort)
        json_object_object_add(p, "sort", json_object_get(sort));
    search_echo(in, p);
    const char *text = arena_strdup(r->a, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
    return dsr_read(r, search_read(r, p, text));
}

int ckan_datastore_search(struct req *r)
{
    json_object *in = ckan_request_data(r);
    return in ? ds_search(r, in) : REQ_DONE;
}

int ckan_datastore_info(struct req *r)
{
    json_object *in = ckan_request_data(r);
    const char *rid = in ? resource_id(r, in) : NULL;
    if (!rid)
        return REQ_DONE;
    const char **params = arena_alloc(r->a, 2 * sizeof(char *));
    params[0] = arena_strdup(r->a, rid);
    params[1] = ckan_auth_viewer(r);
    return req_db(r, &st_info, params, req_reply_json_cell);
}
