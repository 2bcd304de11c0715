/* ckan_geo — datastore_nearest (our extension; CKAN has no row-level nearest search): a
 * resource's rows nearest to a point, with their great-circle distance, found through the
 * spatial index the loading library builds (sql/functions/24b_geo.sql). Syntax is checked
 * here, with CKAN's validators and messages; the statement is the DataStore SELECT
 * generator's (sqlbuild_geo.c), run through the reads' copies of the bookkeeping. */
#include "ckan_handlers.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_params.h"
#include "ckan_resp.h"
#include "ds_read.h"
#include "req.h"
#include "sqlbuild.h"
#include "valid.h"

#define NEAREST_LIMIT_DEFAULT 10
#define NEAREST_LIMIT_MAX 100

/* A number within limit either way: a JSON number or decimal text. */
static bool degrees(struct req *r, json_object *in, const char *key, double limit, double *out)
{
    json_object *v;
    if (!json_object_object_get_ex(in, key, &v) || json_object_is_type(v, json_type_null)) {
        ckan_resp_invalid(r, key, "Missing value");
        return false;
    }
    bool ok;
    if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) {
        *out = json_object_get_double(v);
        ok = isfinite(*out) && fabs(*out) <= limit;
    } else {
        ok = json_object_is_type(v, json_type_string) &&
             valid_degrees(json_object_get_string(v), limit, out);
    }
    if (!ok)
        ckan_resp_invalid(r, key,
                          limit == 90 ? "Must be a latitude in decimal degrees (-90 to 90)"
                                      : "Must be a longitude in decimal degrees (-180 to 180)");
    return ok;
}

/* radius_m: a positive number of metres, optional (*out NULL when absent). */
static bool radius(struct req *r, json_object *in, const char **out)
{
    json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(in, "radius_m", &v) || json_object_is_type(v, json_type_null))
        return true;
    double m = -1;
    if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) {
        m = json_object_get_double(v);
    } else if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        char *end = NULL;
        if ((*s >= '0' && *s <= '9') || *s == '.')
            m = strtod(s, &end);
        if (!end || *end)
            m = -1;
    }
    /* beyond half the Earth's circumference every row is inside */
    if (!isfinite(m) || m <= 0 || m > 20040000) {
        ckan_resp_invalid(r, "radius_m", "Must be a positive number of metres");
        return false;
    }
    *out = arena_printf(r->a, "%.17g", m);
    return true;
}

static void put_json(void *o)
{
    json_object_put(o);
}

/* filters: field → value or list of values, each compared as text; normalized to field →
 * [text, ...] (*norm: NULL when absent; freed with the request). */
static bool filters(struct req *r, json_object *in, json_object **norm)
{
    json_object *f;
    *norm = NULL;
    if (!ckan_json_object_validator(r, in, "filters", &f))
        return false;
    if (!f)
        return true;
    json_object *out = json_object_new_object();
    arena_defer(r->a, put_json, out);
    *norm = out;
    json_object_object_foreach(f, key, val)
    {
        json_object *list = json_object_new_array();
        json_object_object_add(out, key, list);
        bool is_list = json_object_is_type(val, json_type_array);
        size_t n = is_list ? json_object_array_length(val) : 1;
        for (size_t i = 0; i < n; i++) {
            json_object *e = is_list ? json_object_array_get_idx(val, i) : val;
            if (!e || json_object_is_type(e, json_type_object) ||
                json_object_is_type(e, json_type_array) || json_object_is_type(e, json_type_null)) {
                ckan_resp_invalid(
                    r, "filters",
                    arena_printf(r->a, "Values of \"%s\" must be texts or numbers", key));
                return false;
            }
            json_object_array_add(list, json_object_new_string(json_object_get_string(e)));
        }
    }
    return true;
}

/* A field name, optional (*out NULL when absent). */
static bool field_name(struct req *r, json_object *in, const char *key, const char **out)
{
    json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(in, key, &v) || json_object_is_type(v, json_type_null))
        return true;
    if (!json_object_is_type(v, json_type_string)) {
        ckan_resp_invalid(r, key, "Must be a string");
        return false;
    }
    *out = arena_strdup(r->a, json_object_get_string(v));
    return true;
}

static const char *resource_id(struct req *r, json_object *in)
{
    json_object *v;
    if ((json_object_object_get_ex(in, "resource_id", &v) ||
         json_object_object_get_ex(in, "id", &v)) &&
        json_object_is_type(v, json_type_string) && *json_object_get_string(v))
        return arena_strdup(r->a, json_object_get_string(v));
    ckan_resp_invalid(r, "resource_id", "Missing value");
    return NULL;
}

int ckan_datastore_nearest(struct req *r)
{
    json_object *in = ckan_request_data(r);
    if (!in)
        return REQ_DONE;
    struct sqlb_near *q = arena_alloc(r->a, sizeof(*q));
    *q = (struct sqlb_near){.style = SQLB_NEAR_CKAN};
    double lat, lon;
    long long limit;
    const char *rid = resource_id(r, in); /* NULL: answered, q (in r's arena) is gone */
    if (!rid)
        return REQ_DONE;
    q->rid = rid;
    if (!degrees(r, in, "lat", 90, &lat) ||
        !degrees(r, in, "lon", 180, &lon) ||
        !ckan_natural_number_validator(r, in, "limit", NEAREST_LIMIT_DEFAULT, &limit) ||
        !radius(r, in, &q->radius_m) || !filters(r, in, &q->filters) ||
        !field_name(r, in, "lat_field", &q->lat_field) ||
        !field_name(r, in, "lon_field", &q->lon_field))
        return REQ_DONE;
    q->viewer = ckan_auth_viewer(r);
    q->lat = arena_printf(r->a, "%.17g", lat);
    q->lon = arena_printf(r->a, "%.17g", lon);
    q->limit = ckan_limit_to_configured_maximum(limit, NEAREST_LIMIT_MAX);
    return dsr_nearest(r, q);
}
