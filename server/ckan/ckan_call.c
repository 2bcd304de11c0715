/* ckan_call — the sql/functions/09 actions' call and answers. */
#include "ckan_call.h"

#include <string.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_config.h"
#include "ckan_resp.h"
#include "config.h"
#include "db_pool.h"
#include "req.h"
#include "resp.h"

static void put_json(void *o)
{
    json_object_put(o);
}

int ckan_call_fail(struct req *r, int status, const char *message)
{
    resp_error(r, status == 403 ? ERR_FORBIDDEN : ERR_NOT_FOUND, NULL, "%s", message);
    return REQ_DONE;
}

int ckan_call_invalid(struct req *r, const char *key, const char *message)
{
    ckan_resp_invalid_str(r, key, message);
    return REQ_DONE;
}

int ckan_call(struct req *r, const struct db_stmt *st, json_object *p)
{
    arena_defer(r->a, put_json, p);
    const char **params = arena_alloc(r->a, 3 * sizeof(char *));
    params[0] = arena_strdup(r->a, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
    params[1] = ckan_config()->site_url;
    params[2] = ckan_auth_viewer(r); /* read only by the _V statements */
    return req_db(r, st, params, req_reply_json_cell);
}

int ckan_call_literal(struct req *r, const char *json)
{
    resp_ok_json(r, json, strlen(json));
    return REQ_DONE;
}

void ckan_call_add_str(json_object *p, const char *key, const char *value)
{
    if (value)
        json_object_object_add(p, key, json_object_new_string(value));
}

void ckan_call_add_bool(json_object *p, const char *key, bool value)
{
    json_object_object_add(p, key, json_object_new_boolean(value));
}

void ckan_call_add_int(json_object *p, const char *key, long long value)
{
    json_object_object_add(p, key, json_object_new_int64(value));
}
