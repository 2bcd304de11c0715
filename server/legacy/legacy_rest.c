/* legacy_rest — /api[/1|/2]/rest/{register}[/{id}[/{sub}[/{id2}]]] and /api/tag_counts. The
 * path and method pick the operation (CKAN 2.7's list/show/create/update/delete); the request
 * goes as one JSON object to legacy_rest() (sql/functions/26), which runs the action API's own
 * functions (their authorization, validation and one transaction) and reshapes the answers. */
#include "legacy_handlers.h"

#include <event2/http.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_call.h"
#include "ckan_config.h"
#include "ckan_params.h"
#include "config.h"
#include "db_pool.h"
#include "legacy_req.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "util.h"

static struct db_stmt st_rest = {"legacy_rest",
    "SELECT legacy_rest($1::jsonb, $2, $3::ckan_viewer)", 3, 0};
static struct db_stmt st_tag_counts = {"legacy_tag_counts",
    "SELECT legacy_tag_counts($1::ckan_viewer)", 1, 0};

void legacy_rest_init(void)
{
    dbp_register(&st_rest);
    dbp_register(&st_tag_counts);
}

/* The registers of CKAN 2.7's routes; any other name is not the legacy API's. */
static const char *const registers[] = {"package", "dataset", "resource", "tag", "group",
                                        "revision", "licenses", "rating", "user", "activity",
                                        NULL};

static void put_json(void *o)
{
    json_object_put(o);
}

/* The operation of a method on a path of n parameters, or NULL (not the legacy API's). */
static const char *operation(unsigned method, int n)
{
    switch (method) {
    case M_GET:
    case M_HEAD:
        return n == 1 || n == 3 ? "list" : "show";
    case M_POST:
        return n == 2 ? "update" : "create";
    case M_PUT:
        return n == 2 || n == 4 ? "update" : NULL;
    case M_DELETE:
        return n == 2 || n == 4 ? "delete" : NULL;
    default:
        return NULL;
    }
}

/* A write's list members must be what they say (CKAN's DataError otherwise): 400 with
 * {"success": false, "error": {"__type": "Integrity Error", "message", "data"}}. */
static bool lists_ok(struct req *r, json_object *in)
{
    static const char *const keys[] = {"resources", "extras", "tags", "groups", "packages"};
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        json_object *v;
        if (!json_object_object_get_ex(in, keys[i], &v) || !v)
            continue;
        bool ok = json_object_is_type(v, json_type_array) ||
                  (strcmp(keys[i], "extras") == 0 && json_object_is_type(v, json_type_object)) ||
                  (strcmp(keys[i], "tags") == 0 && json_object_is_type(v, json_type_string));
        for (size_t j = 0; ok && json_object_is_type(v, json_type_array) &&
                           j < json_object_array_length(v); j++) {
            json_object *e = json_object_array_get_idx(v, j);
            ok = json_object_is_type(e, json_type_object) ||
                 (strcmp(keys[i], "resources") != 0 && strcmp(keys[i], "extras") != 0 &&
                  json_object_is_type(e, json_type_string));
        }
        if (ok)
            continue;
        json_object *err = json_object_new_object(), *body = json_object_new_object();
        json_object_object_add(err, "__type", json_object_new_string("Integrity Error"));
        json_object_object_add(err, "message", json_object_new_string(arena_printf(r->a,
            "Only lists of dicts can be placed against subschema ('%s',), not %s", keys[i],
            json_object_is_type(v, json_type_array) ? "a list of other values"
                                                    : "<type 'unicode'>")));
        json_object_object_add(err, "data", json_object_get(in));
        json_object_object_add(body, "success", json_object_new_boolean(false));
        json_object_object_add(body, "error", err);
        char *text = xstrdup(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
        json_object_put(body);
        resp_send(r, 400, text, strlen(text));
        return false;
    }
    return true;
}

/* 201 with Location for a created dataset or group: the path it is read at (package → dataset),
 * the new one named as the version names it. */
static void created(struct req *r, PGresult *res)
{
    const char *cell = PQgetvalue(res, 0, 0);
    size_t len = (size_t)PQgetlength(res, 0, 0);
    json_object *o = json_tokener_parse(cell), *ref = NULL;
    const char *key = legacy_version(r) == 2 ? "id" : "name";
    if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &ref) &&
        json_object_is_type(ref, json_type_string) && r->route.nparams == 1) {
        const char *p = r->path, *pkg = strstr(p, "/rest/package");
        const char *path = pkg ? arena_printf(r->a, "%.*s/rest/dataset%s", (int)(pkg - p), p,
                                              pkg + strlen("/rest/package"))
                               : p;
        size_t n = strlen(path);
        while (n > 0 && path[n - 1] == '/')
            n--;
        const char *loc = arena_printf(r->a, "%.*s/%s", (int)n, path, json_object_get_string(ref));
        evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Location", loc);
    } else {
        evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Location", r->path);
    }
    json_object_put(o);
    resp_send(r, 201, xstrndup(cell, len), len);
}

static void rest_done(struct req *r, PGresult *res)
{
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        resp_error(r, ERR_INTERNAL, NULL, "the database gave no answer");
        return;
    }
    if (r->data) {
        created(r, res);
        return;
    }
    resp_ok_json(r, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}

/* A JSONP call runs as anonymous, as the action API's do: a page on another site must not read
 * what the visitor's credentials would show. */
static void jsonp_anonymous(struct req *r)
{
    if (req_query_get(r, "callback", NULL))
        r->user = NULL;
}

static int rest_run(struct req *r)
{
    jsonp_anonymous(r);
    /* With the Taiwan service root at /api, /api/rest is Taiwan's: what its routes do not take
     * is its 404 (the legacy registers stay under /api/1 and /api/2). */
    const struct srv_family *owner = srv_path_family(r->path);
    if (owner != r->fam) {
        r->fam = owner;
        resp_error(r, ERR_NO_ROUTE, NULL, "Not found: no such API path %s", r->path);
        return REQ_DONE;
    }
    int n = r->route.nparams;
    const char *reg = req_path_param(r, 0), *op = operation(r->method, n);
    bool known = false;
    for (const char *const *k = registers; *k && !known; k++)
        known = strcmp(*k, reg) == 0;
    if (!known) {
        resp_error(r, ERR_NOT_FOUND, NULL, "Unknown register: %s", reg);
        return REQ_DONE;
    }
    if (!op) {
        resp_error(r, ERR_METHOD, NULL, "Method not allowed");
        return REQ_DONE;
    }
    json_object *p = json_object_new_object();
    arena_defer(r->a, put_json, p);
    ckan_call_add_str(p, "op", op);
    ckan_call_add_int(p, "ver", legacy_version(r));
    ckan_call_add_str(p, "reg", strcmp(reg, "package") == 0 ? "dataset" : reg);
    ckan_call_add_str(p, "id", n > 1 ? req_path_param(r, 1) : NULL);
    ckan_call_add_str(p, "sub", n > 2 ? req_path_param(r, 2) : NULL);
    ckan_call_add_str(p, "id2", n > 3 ? req_path_param(r, 3) : NULL);
    if (strcmp(op, "create") == 0 || strcmp(op, "update") == 0) {
        json_object *in = legacy_body(r);
        if (!in || !lists_ok(r, in))
            return REQ_DONE;
        json_object_object_add(p, "data", ckan_call_write_input(in));
    }
    r->data = strcmp(op, "create") == 0 ? (void *)op : NULL;
    const char **params = arena_alloc(r->a, 3 * sizeof(char *));
    params[0] = arena_strdup(r->a, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
    params[1] = ckan_config()->site_url;
    params[2] = ckan_auth_viewer(r);
    return req_db(r, &st_rest, params, rest_done);
}

int legacy_rest(struct req *r)
{
    return ckan_auth_then(r, rest_run);
}

static int tag_counts_run(struct req *r)
{
    jsonp_anonymous(r);
    const char **params = arena_alloc(r->a, sizeof(char *));
    params[0] = ckan_auth_viewer(r);
    return req_db(r, &st_tag_counts, params, req_reply_json_cell);
}

int legacy_tag_counts(struct req *r)
{
    return ckan_auth_then(r, tag_counts_run);
}
