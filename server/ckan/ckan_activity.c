/* ckan_activity — CKAN's activity streams: package_, group_, organization_, user_ and
 * recently_changed_packages_activity_list (ckan_activity_list, through ckan_call). */
#include "ckan_handlers.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ckan_call.h"
#include "ckan_limits.h"
#include "ckan_params.h"
#include "ckan_resp.h"
#include "db_pool.h"
#include "req.h"
#include "util.h"

CKAN_CALL_STMT_V(activity_list, ckan_activity_list);

/* Register the statement of the actions below (once, before the threads start). */
void ckan_activity_init(void)
{
    dbp_register(&st_activity_list);
}

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
    ckan_call_add_int(p, "limit", ckan_limit_to_configured_maximum(limit, CKAN_ACTIVITY_LIMIT_MAX));
    ckan_call_add_int(p, "offset", offset);
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
    ckan_call_add_str(p, "kind", kind);
    ckan_call_add_str(p, "id", id);
    if (by_type && types)
        json_object_object_add(p, "types", json_object_get(types));
    if (is_pkg && excl)
        json_object_object_add(p, "exclude", json_object_get(excl));
    return ckan_call(r, &st_activity_list, p);
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
    ckan_call_add_str(p, "kind", "recent");
    return ckan_call(r, &st_activity_list, p);
}
