/* ckan_util — CKAN API version roots and /api/util autocompletes. Only active, public datasets
 * are visible (the SQL functions the autocomplete actions use decide that); an empty query is
 * answered with an empty result at once. */
#include "ckan_util.h"

#include <json-c/json.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_limits.h"
#include "ckan_openapi.h"
#include "ckan_params.h"
#include "ckan_resp.h"
#include "db_pool.h"
#include "req.h"
#include "resp.h"
#include "route.h"
#include "util.h"
#include "valid.h"

#define UTIL_LIMIT_INPUT_MAX 1000000000LL
#define RESULT_SET_EMPTY "{\"ResultSet\": {\"Result\": []}}"

/* {"ResultSet": {"Result": [...]}} around a list, as CKAN's autocomplete widgets read it. */
#define RESULT_SET(list) "SELECT '{\"ResultSet\": {\"Result\": ' || " list " || '}}'"

static struct db_stmt st_dataset = {"ckan_util_dataset",
    RESULT_SET("ckan_package_autocomplete($1, $2::bigint)::jsonb::text"), 2, 0};
static struct db_stmt st_tag = {"ckan_util_tag",
    RESULT_SET("coalesce(jsonb_agg(jsonb_build_object('Name', a.t) ORDER BY a.i), '[]')::text")
    " FROM json_array_elements_text(ckan_tag_search($1::jsonb, '')::json) WITH ORDINALITY a(t, i)",
    1, 0};
static struct db_stmt st_format = {"ckan_util_format",
    RESULT_SET("coalesce(jsonb_agg(jsonb_build_object('Format', a.f) ORDER BY a.i), '[]')::text")
    " FROM json_array_elements_text(ckan_format_autocomplete($1, $2::bigint)::json)"
    " WITH ORDINALITY a(f, i)", 2, 0};
static struct db_stmt st_user = {"ckan_util_user",
    "SELECT ckan_user_autocomplete($1, $2::bigint, $3)", 3, 0};
static struct db_stmt st_group = {"ckan_util_group",
    "SELECT ckan_group_autocomplete($1, $2::bigint, $3::boolean)", 3, 0};

void ckan_util_init(void)
{
    dbp_register(&st_dataset);
    dbp_register(&st_tag);
    dbp_register(&st_format);
    dbp_register(&st_user);
    dbp_register(&st_group);
}

/* GET /api → {"version": 1}; /api/N → {"version": N} (the route table admits 1, 2 and 3). */
int ckan_util_version(struct req *r)
{
    size_t n = strlen(r->path);
    while (n > 0 && r->path[n - 1] == '/')
        n--;
    char v = n > 0 && r->path[n - 1] >= '1' && r->path[n - 1] <= '3' ? r->path[n - 1] : '1';
    const char *body = arena_printf(r->a, "{\"version\": %c}", v);
    ckan_openapi_link(r);
    resp_ok_bare(r, body, strlen(body));
    return REQ_DONE;
}

static void util_done(struct req *r, PGresult *res)
{
    resp_ok_bare(r, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}

/* ---- the autocompletes: (query, limit) → a statement's parameters ---------------------------- */

/* Run st with (q, limit[, extra]): st's parameter count says whether extra is passed. */
static int query(struct req *r, const struct db_stmt *st, const char *q, long long limit,
                 const char *extra)
{
    const char **p = arena_alloc(r->a, 3 * sizeof(char *));
    p[0] = q;
    p[1] = arena_printf(r->a, "%lld", limit);
    p[2] = extra;
    return req_db(r, st, p, util_done);
}

static int run_dataset(struct req *r, const char *q, long long limit)
{
    return query(r, &st_dataset, q, limit, NULL);
}

static int run_format(struct req *r, const char *q, long long limit)
{
    return query(r, &st_format, q, limit, NULL);
}

static void put_json(void *o)
{
    json_object_put(o);
}

/* Tag names containing q, free tags of visible datasets or the tags of vocabulary_id. */
static int run_tag(struct req *r, const char *q, long long limit)
{
    const char *vocab = req_query_get(r, "vocabulary_id", NULL);
    json_object *p = json_object_new_object(), *terms = json_object_new_array();
    arena_defer(r->a, put_json, p);
    json_object_array_add(terms, json_object_new_string(q));
    json_object_object_add(p, "terms", terms);
    json_object_object_add(p, "vocab_given", json_object_new_boolean(vocab && *vocab));
    if (vocab && *vocab)
        json_object_object_add(p, "vocab", json_object_new_string(vocab));
    json_object_object_add(p, "limit", json_object_new_int64(limit));
    json_object_object_add(p, "offset", json_object_new_int64(0));
    json_object_object_add(p, "names_only", json_object_new_boolean(1));
    const char **params = arena_alloc(r->a, sizeof(char *));
    params[0] = arena_strdup(r->a, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
    return req_db(r, &st_tag, params, util_done);
}

/* ignore_self leaves the caller out of the users. */
static int run_user(struct req *r, const char *q, long long limit)
{
    static const char *const yes[] = {"true", "yes", "on", "1", "t", "y"};
    const char *ignore = req_query_get(r, "ignore_self", NULL);
    bool skip_self = false;
    for (size_t i = 0; ignore && i < ARRAY_LEN(yes); i++)
        skip_self = skip_self || strcasecmp(ignore, yes[i]) == 0;
    return query(r, &st_user, q, limit, skip_self && r->user ? r->user->name : NULL);
}

static int run_group(struct req *r, const char *q, long long limit)
{
    return query(r, &st_group, q, limit, "false");
}

static int run_org(struct req *r, const char *q, long long limit)
{
    return query(r, &st_group, q, limit, "true");
}

struct util_def {
    const char *kind, *op;  /* /api/util/{kind}/{op} */
    const char *action;     /* the action it stands for (the help link of its errors) */
    const char *query_key;  /* the parameter holding the text typed so far */
    long long limit;        /* default limit */
    const char *empty;      /* the answer to an empty query */
    int (*run)(struct req *r, const char *q, long long limit);
};

static const struct util_def utils[] = {
    {"dataset", "autocomplete", "package_autocomplete", "incomplete", 10, RESULT_SET_EMPTY,
     run_dataset},
    {"tag", "autocomplete", "tag_autocomplete", "incomplete", 10, RESULT_SET_EMPTY, run_tag},
    {"resource", "format_autocomplete", "format_autocomplete", "incomplete", 5,
     RESULT_SET_EMPTY, run_format},
    {"user", "autocomplete", "user_autocomplete", "q", 20, "[]", run_user},
    {"group", "autocomplete", "group_autocomplete", "q", 20, "[]", run_group},
    {"organization", "autocomplete", "organization_autocomplete", "q", 20, "[]", run_org},
};

/* limit: digits (larger values are cut to CKAN_UTIL_LIMIT_MAX); absent or empty: the default. */
static bool util_limit(struct req *r, long long def, long long *out)
{
    const char *s = req_query_get(r, "limit", NULL);
    *out = def;
    if (!s || !*s)
        return true;
    if (!valid_uint(s, UTIL_LIMIT_INPUT_MAX, out)) {
        ckan_resp_invalid(r, "limit", "Invalid integer");
        return false;
    }
    *out = ckan_limit_to_configured_maximum(*out, CKAN_UTIL_LIMIT_MAX);
    return true;
}

static int util_run(struct req *r)
{
    const char *kind = req_path_param(r, 0), *op = req_path_param(r, 1);
    const struct util_def *u = NULL;
    for (size_t i = 0; i < ARRAY_LEN(utils) && !u; i++)
        if (strcmp(utils[i].kind, kind) == 0 && strcmp(utils[i].op, op) == 0)
            u = &utils[i];
    if (!u) {
        resp_error(r, ERR_NOT_FOUND, NULL, "Not found: no such API path %s", r->path);
        return REQ_DONE;
    }
    r->action = u->action;
    long long limit;
    if (!util_limit(r, u->limit, &limit))
        return REQ_DONE;
    const char *q = req_query_get(r, u->query_key, NULL);
    if (!q || !*q || limit == 0) {
        resp_ok_bare(r, u->empty, strlen(u->empty));
        return REQ_DONE;
    }
    return u->run(r, q, limit);
}

int ckan_util(struct req *r)
{
    return ckan_auth_then(r, util_run); /* ignore_self needs to know who calls */
}

/* ---- the *_autocomplete actions behind the user, group and organization lists ---------------- */

/* q (required; "" matches every name), limit (default 20), then st with (q, limit, extra). */
static int autocomplete_action(struct req *r, json_object *in, const struct db_stmt *st,
                               const char *extra)
{
    json_object *v;
    long long limit;
    if (!json_object_object_get_ex(in, "q", &v) || json_object_is_type(v, json_type_null)) {
        ckan_resp_invalid(r, "q", "Missing value");
        return REQ_DONE;
    }
    if (!ckan_natural_number_validator(r, in, "limit", 20, &limit))
        return REQ_DONE;
    const char **p = arena_alloc(r->a, 3 * sizeof(char *));
    p[0] = arena_strdup(r->a, json_object_get_string(v));
    p[1] = arena_printf(r->a, "%lld", ckan_limit_to_configured_maximum(limit, CKAN_UTIL_LIMIT_MAX));
    p[2] = extra;
    return req_db(r, st, p, req_reply_json_cell);
}

/* user_autocomplete(q, limit, ignore_self): ignore_self leaves the caller out. */
int ckan_user_autocomplete(struct req *r)
{
    json_object *in = ckan_request_data(r);
    bool ignore_self;
    if (!in || !ckan_boolean_validator(r, in, "ignore_self", false, &ignore_self))
        return REQ_DONE;
    return autocomplete_action(r, in, &st_user,
                               ignore_self && r->user ? r->user->name : NULL);
}

int ckan_group_autocomplete(struct req *r)
{
    json_object *in = ckan_request_data(r);
    return in ? autocomplete_action(r, in, &st_group, "false") : REQ_DONE;
}

int ckan_organization_autocomplete(struct req *r)
{
    json_object *in = ckan_request_data(r);
    return in ? autocomplete_action(r, in, &st_group, "true") : REQ_DONE;
}
