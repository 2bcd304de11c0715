/* legacy_search — /api[/1|/2]/search/{dataset|package|resource|revision} (CKAN 2.7). Dataset
 * options are translated by legacy_query.c into a package_search request, run by the action
 * API's package_search (public datasets only); all_fields dicts come from
 * legacy_package_dicts (sql/functions/26). Resources are searched as resource_search does;
 * revisions are not kept, so a revision search answers [] (or 404 for a named one). */
#include "legacy_handlers.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_call.h"
#include "ckan_config.h"
#include "ckan_params.h"
#include "ckan_search.h"
#include "config.h"
#include "db_pool.h"
#include "legacy_query.h"
#include "legacy_req.h"
#include "req.h"
#include "resp.h"
#include "util.h"
#include "valid.h"

static struct db_stmt st_dicts = {"legacy_package_dicts",
    "SELECT legacy_package_dicts($1::jsonb, $2::int, $3, $4::ckan_viewer)", 4, 0};
static struct db_stmt st_resources = {"legacy_resource_search",
    "SELECT legacy_resource_search($1::jsonb, $2)", 2, 0};

void legacy_search_init(void)
{
    dbp_register(&st_dicts);
    dbp_register(&st_resources);
}

static void put_json(void *o)
{
    json_object_put(o);
}

struct search_state {
    struct legacy_search ls;
    long long count;
};

/* all_fields: {"count": n, "results": the dicts}. */
static void dicts_done(struct req *r, PGresult *res)
{
    struct search_state *s = r->data;
    const char *body = arena_printf(r->a, "{\"count\": %lld, \"results\": %s}", s->count,
                                    PQgetvalue(res, 0, 0));
    resp_ok_json(r, body, strlen(body));
}

/* package_search's result → {"count", "results"}: values of the one field, or dicts. */
static void search_done(struct req *r, PGresult *res)
{
    struct search_state *s = r->data;
    json_object *o = json_tokener_parse(PQgetvalue(res, 0, 0)), *count, *results;
    if (!json_object_object_get_ex(o, "count", &count) ||
        !json_object_object_get_ex(o, "results", &results) ||
        !json_object_is_type(results, json_type_array)) {
        json_object_put(o);
        resp_error(r, ERR_INTERNAL, NULL, "the search gave no answer");
        return;
    }
    arena_defer(r->a, put_json, o);
    s->count = json_object_get_int64(count);
    json_object *list = json_object_new_array();
    const char *field = s->ls.all_fields ? "id" : s->ls.single;
    for (size_t i = 0; i < json_object_array_length(results); i++) {
        json_object *d = json_object_array_get_idx(results, i), *v = NULL;
        if (field)
            json_object_object_get_ex(d, field, &v);
        json_object_array_add(list, json_object_get(field ? v : d));
    }
    if (s->ls.all_fields) {
        const char **params = arena_alloc(r->a, 4 * sizeof(char *));
        params[0] = arena_strdup(r->a, json_object_to_json_string(list));
        json_object_put(list);
        params[1] = legacy_version(r) == 2 ? "2" : "1";
        params[2] = ckan_config()->site_url;
        params[3] = ckan_auth_viewer(r);
        int rc = req_db(r, &st_dicts, params, dicts_done); /* answers either way */
        (void)rc;
        return;
    }
    /* CKAN's key order and spacing around the list */
    const char *body = arena_printf(r->a, "{\"count\": %lld, \"results\": %s}", s->count,
        json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(list);
    resp_ok_json(r, body, strlen(body));
}

/* The options: qjson, a form/query whose one key is a JSON object, else the parameters (a POST's
 * body when it has one). NULL once a 400 was answered. */
static json_object *search_params(struct req *r)
{
    json_object *in = r->method == M_POST ? legacy_body(r) : ckan_request_data(r), *q;
    if (!in)
        return NULL;
    const char *text = NULL;
    if (json_object_object_get_ex(in, "qjson", &q)) {
        text = json_object_get_string(q);
    } else if (json_object_object_length(in) == 1) {
        json_object_object_foreach(in, key, val)
        {
            const char *v = json_object_get_string(val);
            if (key[0] == '{' && v && (!*v || strcmp(v, "1") == 0))
                text = key;
        }
    }
    if (!text)
        return in;
    json_object *o;
    const char *why;
    if (!valid_json(text, strlen(text), VALID_JSON_DEPTH, &o, &why)) {
        resp_error(r, ERR_BAD_REQUEST, NULL, "Could not read parameters: Malformed qjson value: %s",
                   why);
        return NULL;
    }
    arena_defer(r->a, put_json, o);
    if (!json_object_is_type(o, json_type_object)) {
        resp_error(r, ERR_BAD_REQUEST, NULL, "Could not read parameters: Request params must be "
                   "in form of a json encoded dictionary.");
        return NULL;
    }
    return o;
}

static int dataset_search(struct req *r, json_object *params)
{
    struct search_state *s = arena_alloc(r->a, sizeof(*s));
    memset(s, 0, sizeof(*s));
    char *err;
    if (!legacy_search_translate(params, legacy_version(r), &s->ls, &err)) {
        resp_error(r, ERR_BAD_REQUEST, NULL, "Bad search option: %s", err);
        free(err);
        return REQ_DONE;
    }
    arena_defer(r->a, put_json, s->ls.in);
    r->data = s;
    return ckan_package_search_with(r, s->ls.in, search_done);
}

/* Resources: url, format, description, hash terms; all_fields, offset, limit (legacy_query.c
 * checks them the same way). */
static int resource_search(struct req *r, json_object *params)
{
    struct legacy_search ls;
    char *err;
    json_object *opts = json_object_new_object(), *terms = json_object_new_object();
    arena_defer(r->a, put_json, opts);
    arena_defer(r->a, put_json, terms);
    json_object_object_foreach(params, key, val)
    {
        static const char *const fields[] = {"url", "format", "description", "hash", "name"};
        bool field = false;
        for (size_t i = 0; i < ARRAY_LEN(fields) && !field; i++)
            field = strcmp(fields[i], key) == 0;
        json_object_object_add(field ? terms : opts, key, json_object_get(val));
    }
    json_object_object_foreach(opts, k, v)
    {
        (void)v;
        if (strcmp(k, "all_fields") && strcmp(k, "offset") && strcmp(k, "limit") &&
            strcmp(k, "callback") && strcmp(k, "q") && strcmp(k, "order_by")) {
            resp_error(r, ERR_BAD_REQUEST, NULL, "Bad search option: Field \"%s\" not recognised "
                       "in Resource search.", k);
            return REQ_DONE;
        }
    }
    if (!legacy_search_translate(opts, 2, &ls, &err)) {
        resp_error(r, ERR_BAD_REQUEST, NULL, "Bad search option: %s", err);
        free(err);
        return REQ_DONE;
    }
    arena_defer(r->a, put_json, ls.in);
    json_object *p = json_object_new_object(), *rows, *start;
    arena_defer(r->a, put_json, p);
    json_object_object_get_ex(ls.in, "rows", &rows);
    json_object_object_get_ex(ls.in, "start", &start);
    json_object_object_add(p, "terms", json_object_get(terms));
    json_object_object_add(p, "limit", json_object_new_int64(atoll(json_object_get_string(rows))));
    json_object_object_add(p, "offset", json_object_new_int64(atoll(json_object_get_string(start))));
    json_object_object_add(p, "all_fields", json_object_new_boolean(ls.all_fields));
    const char **qp = arena_alloc(r->a, 2 * sizeof(char *));
    qp[0] = arena_strdup(r->a, json_object_to_json_string(p));
    qp[1] = ckan_config()->site_url;
    return req_db(r, &st_resources, qp, req_reply_json_cell);
}

/* Revisions are not kept: a named one is not found, a time gives none. */
static int revision_search(struct req *r, json_object *params)
{
    json_object *v;
    if (json_object_object_get_ex(params, "since_id", &v)) {
        const char *id = json_object_get_string(v);
        if (!id || !*id)
            resp_error(r, ERR_BAD_REQUEST, NULL, "No revision specified");
        else
            resp_error(r, ERR_NOT_FOUND, NULL, "There is no revision with id: %s", id);
        return REQ_DONE;
    }
    if (json_object_object_get_ex(params, "since_time", &v)) {
        const char *t = json_object_get_string(v);
        if (!t || !legacy_iso_time_ok(t)) {
            resp_error(r, ERR_BAD_REQUEST, NULL, "ValueError: Unable to parse date: %s",
                       t ? t : "");
            return REQ_DONE;
        }
        resp_ok_json(r, "[]", 2);
        return REQ_DONE;
    }
    resp_error(r, ERR_BAD_REQUEST, NULL,
               "Missing search term ('since_id=UUID' or  'since_time=TIMESTAMP')");
    return REQ_DONE;
}

static int search_run(struct req *r)
{
    const char *reg = req_path_param(r, 0);
    bool dataset = strcmp(reg, "dataset") == 0 || strcmp(reg, "package") == 0;
    if (!dataset && strcmp(reg, "resource") != 0 && strcmp(reg, "revision") != 0) {
        resp_error(r, ERR_NOT_FOUND, NULL, "Unknown register: %s", reg);
        return REQ_DONE;
    }
    json_object *params = search_params(r);
    if (!params)
        return REQ_DONE;
    if (dataset)
        return dataset_search(r, params);
    if (strcmp(reg, "resource") == 0)
        return resource_search(r, params);
    return revision_search(r, params);
}

int legacy_search(struct req *r)
{
    return ckan_auth_then(r, search_run);
}
