/* ckan_call — the sql/functions/09 actions' call and answers. */
#include "ckan_call.h"

#include <json-c/printbuf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_config.h"
#include "ckan_handlers.h"
#include "ckan_resp.h"
#include "config.h"
#include "db_pool.h"
#include "req.h"
#include "resp.h"
#include "util.h"

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
    const char **params = arena_alloc(r->a, 4 * sizeof(char *));
    params[0] = arena_strdup(r->a, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
    params[1] = ckan_config()->site_url;
    if (st->nparams == 4)
        params[2] = ckan_auth_viewer(r); /* the _V statements */
    params[st->nparams - 1] = r->lang;
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

struct raw_text {
    const char *text;
    size_t len;
};

static int write_raw(json_object *o, struct printbuf *pb, int level, int flags)
{
    const struct raw_text *t = json_object_get_userdata(o);
    (void)level, (void)flags;
    return printbuf_memappend(pb, t->text, (int)t->len);
}

static void free_raw(json_object *o, void *userdata)
{
    (void)o;
    free(userdata);
}

void ckan_call_add_raw(json_object *p, const char *key, const char *text, size_t len)
{
    struct raw_text *t = xmalloc(sizeof(*t));
    *t = (struct raw_text){text, len};
    json_object *v = json_object_new_string("");
    json_object_set_serializer(v, write_raw, t, free_raw);
    json_object_object_add(p, key, v);
}

/* v as jsonb accepts it: a number JSON has no words for (NaN, Infinity) becomes the text
 * Python's str gives it, as CKAN's unicode_safe would; lists and objects are copied through. */
json_object *ckan_call_sql_json(json_object *v)
{
    if (json_object_is_type(v, json_type_double) && !isfinite(json_object_get_double(v))) {
        double d = json_object_get_double(v);
        return json_object_new_string(isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
    }
    if (json_object_is_type(v, json_type_array)) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < json_object_array_length(v); i++)
            json_object_array_add(a, ckan_call_sql_json(json_object_array_get_idx(v, i)));
        return a;
    }
    if (json_object_is_type(v, json_type_object)) {
        json_object *o = json_object_new_object();
        json_object_object_foreach(v, key, val)
        {
            json_object_object_add(o, key, ckan_call_sql_json(val));
        }
        return o;
    }
    return json_object_get(v);
}

/* The request's members for a write's SQL: a copy without the "_" keys, which carry what C
 * adds (a client cannot pass them). */
json_object *ckan_call_write_input(json_object *in)
{
    json_object *p = json_object_new_object();
    json_object_object_foreach(in, key, val)
    {
        if (key[0] != '_')
            json_object_object_add(p, key, ckan_call_sql_json(val));
    }
    return p;
}

/* The Python type name CKAN's DataError gives a JSON value. */
static const char *py_type(json_object *v)
{
    return json_object_is_type(v, json_type_string)    ? "str"
           : json_object_is_type(v, json_type_int)     ? "int"
           : json_object_is_type(v, json_type_double)  ? "float"
           : json_object_is_type(v, json_type_boolean) ? "bool"
           : json_object_is_type(v, json_type_object)  ? "dict"
           : json_object_is_type(v, json_type_array)   ? "list"
                                                       : "NoneType";
}

bool ckan_call_lists_of_dicts(struct req *r, json_object *in, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_object *v;
        if (!json_object_object_get_ex(in, keys[i], &v))
            continue;
        const char *type = NULL;
        if (json_object_is_type(v, json_type_array)) {
            for (size_t k = 0; k < json_object_array_length(v) && !type; k++)
                if (!json_object_is_type(json_object_array_get_idx(v, k), json_type_object))
                    type = "list";
        } else {
            type = py_type(v);
        }
        if (type) {
            ckan_resp_integrity(r,
                                arena_printf(r->a,
                                             "Only lists of dicts can be placed against "
                                             "subschema ('%s',), not <class '%s'>",
                                             keys[i], type),
                                in);
            return false;
        }
    }
    return true;
}
