/* legacy_family — the legacy API's routes, envelope and start-up. */
#include "legacy_family.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "ckan_handlers.h"
#include "db_err.h"
#include "family.h"
#include "req.h"
#include "resp.h"
#include "route.h"
#include "util.h"

#define LEGACY_JSON_TYPE "application/json;charset=utf-8"
#define ALL (M_GET | M_POST | M_PUT | M_DELETE)

/* With the Taiwan service root at /api, /api/rest is Taiwan's (its family comes first); the
 * legacy registers stay under /api/1 and /api/2. */
static const struct route_def routes[] = {
    {ALL, "/api/rest/{reg}", legacy_rest, 0},
    {ALL, "/api/rest/{reg}/{id}", legacy_rest, 0},
    {ALL, "/api/rest/{reg}/{id}/{sub}", legacy_rest, 0},
    {ALL, "/api/rest/{reg}/{id}/{sub}/{id2}", legacy_rest, 0},
    {ALL, "/api/1/rest/{reg}", legacy_rest, 0},
    {ALL, "/api/1/rest/{reg}/{id}", legacy_rest, 0},
    {ALL, "/api/1/rest/{reg}/{id}/{sub}", legacy_rest, 0},
    {ALL, "/api/1/rest/{reg}/{id}/{sub}/{id2}", legacy_rest, 0},
    {ALL, "/api/2/rest/{reg}", legacy_rest, 0},
    {ALL, "/api/2/rest/{reg}/{id}", legacy_rest, 0},
    {ALL, "/api/2/rest/{reg}/{id}/{sub}", legacy_rest, 0},
    {ALL, "/api/2/rest/{reg}/{id}/{sub}/{id2}", legacy_rest, 0},
    {M_GET | M_POST, "/api/search/{reg}", legacy_search, 0},
    {M_GET | M_POST, "/api/1/search/{reg}", legacy_search, 0},
    {M_GET | M_POST, "/api/2/search/{reg}", legacy_search, 0},
    {M_GET, "/api/tag_counts", legacy_tag_counts, 0},
    {M_GET, "/api/1/tag_counts", legacy_tag_counts, 0},
    {M_GET, "/api/2/tag_counts", legacy_tag_counts, 0},
    /* the utils CKAN 2.7 had beside the autocompletes (before the CKAN family's /util/{k}/{op}) */
    {M_GET, "/api/util/is_slug_valid", legacy_util_slug, 0},
    {M_GET, "/api/util/markdown", legacy_util_markdown, 0},
    {M_GET, "/api/util/status", ckan_status_show, 0},
    {M_GET, "/api/util/dataset/munge_name", legacy_util_munge_name, 0},
    {M_GET, "/api/util/dataset/munge_title_to_name", legacy_util_munge_title, 0},
    {M_GET, "/api/util/tag/munge", legacy_util_munge_tag, 0},
    {M_GET, "/api/1/util/is_slug_valid", legacy_util_slug, 0},
    {M_GET, "/api/1/util/markdown", legacy_util_markdown, 0},
    {M_GET, "/api/1/util/status", ckan_status_show, 0},
    {M_GET, "/api/1/util/dataset/munge_name", legacy_util_munge_name, 0},
    {M_GET, "/api/1/util/dataset/munge_title_to_name", legacy_util_munge_title, 0},
    {M_GET, "/api/1/util/tag/munge", legacy_util_munge_tag, 0},
    {M_GET, "/api/2/util/is_slug_valid", legacy_util_slug, 0},
    {M_GET, "/api/2/util/markdown", legacy_util_markdown, 0},
    {M_GET, "/api/2/util/status", ckan_status_show, 0},
    {M_GET, "/api/2/util/dataset/munge_name", legacy_util_munge_name, 0},
    {M_GET, "/api/2/util/dataset/munge_title_to_name", legacy_util_munge_title, 0},
    {M_GET, "/api/2/util/tag/munge", legacy_util_munge_tag, 0},
};

static const char *const prefixes[] = {"/api/rest",       "/api/1/rest",       "/api/2/rest",
                                       "/api/search",     "/api/1/search",     "/api/2/search",
                                       "/api/tag_counts", "/api/1/tag_counts", "/api/2/tag_counts",
                                       /* the utils' own paths only: the rest of /util is CKAN's */
                                       "/api/util/is_slug_valid", "/api/util/markdown",
                                       "/api/util/status", "/api/util/dataset/munge_name",
                                       "/api/util/dataset/munge_title_to_name", "/api/util/tag/munge",
                                       "/api/1/util/is_slug_valid", "/api/1/util/markdown",
                                       "/api/1/util/status", "/api/1/util/dataset/munge_name",
                                       "/api/1/util/dataset/munge_title_to_name", "/api/1/util/tag/munge",
                                       "/api/2/util/is_slug_valid", "/api/2/util/markdown",
                                       "/api/2/util/status", "/api/2/util/dataset/munge_name",
                                       "/api/2/util/dataset/munge_title_to_name", "/api/2/util/tag/munge",
                                       NULL};

int legacy_version(const struct req *r)
{
    return strncmp(r->path, "/api/2/", 7) == 0 ? 2 : 1;
}

static char *json_string_text(const char *s)
{
    json_object *o = json_object_new_string(s);
    char *text = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return text;
}

static char *legacy_env_ok(struct req *r, const char *payload, size_t len, size_t *out_len)
{
    (void)r;
    *out_len = len;
    return xstrndup(payload, len);
}

/* "Lead - message", or the lead alone for an empty message (CKAN 2.7's _finish_*). */
static char *lead_body(const char *lead, const char *message)
{
    if (!message || !*message)
        return json_string_text(lead);
    if (strncmp(message, lead, strlen(lead)) == 0) /* already said (resp.c's callback check) */
        return json_string_text(message);
    char *s = xasprintf("%s - %s", lead, message), *text = json_string_text(s);
    free(s);
    return text;
}

static char *legacy_env_error(struct req *r, enum err_kind kind, const char *code,
                              const char *message, int *status)
{
    (void)r, (void)code;
    switch (kind) {
    case ERR_NOT_FOUND:
    case ERR_NO_ROUTE:
        *status = 404;
        return lead_body("Not found", message);
    case ERR_FORBIDDEN:
        *status = 403;
        return lead_body("Access denied", message);
    case ERR_METHOD:
        *status = 405;
        return json_string_text("Method not allowed");
    case ERR_UNAVAILABLE:
        *status = 503;
        return json_string_text(message);
    case ERR_INTERNAL:
        *status = 500;
        return json_string_text("Internal server error");
    default:
        *status = 400;
        return lead_body("Bad request", message);
    }
}

/* The actions' refusals as CKAN 2.7's REST controller answered them: 404/403 strings, the
 * validation error dict itself with 409, and the legacy API's own "Cannot ..." as 400. */
static void legacy_env_app_error(struct req *r, const struct db_error *err)
{
    switch (err->kind) {
    case DBE_NOT_FOUND:
        resp_error(r, ERR_NOT_FOUND, NULL, "%s", err->message);
        break;
    case DBE_FORBIDDEN:
        resp_error(r, ERR_FORBIDDEN, NULL, "%s", err->message);
        break;
    case DBE_INVALID: {
        json_object *d = json_tokener_parse(err->detail);
        if (!json_object_is_type(d, json_type_object)) {
            json_object_put(d);
            resp_error(r, ERR_INTERNAL, NULL, "bad error detail");
            break;
        }
        char *text = xstrdup(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(d);
        resp_send(r, 409, text, strlen(text));
        break;
    }
    default:
        if (*err->detail) { /* one field's value refused */
            json_object *d = json_object_new_object(), *l = json_object_new_array();
            json_object_array_add(l, json_object_new_string(err->message));
            json_object_object_add(d, err->detail, l);
            char *text = xstrdup(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
            json_object_put(d);
            resp_send(r, 409, text, strlen(text));
        } else {
            resp_error(r, ERR_BAD_REQUEST, NULL, "%s", err->message);
        }
    }
}

static const struct resp_env legacy_resp_env = {
    .json_type = LEGACY_JSON_TYPE,
    .pretty = true,
    .jsonp = true,
    .http_cache = false,
    .ok = legacy_env_ok,
    .error = legacy_env_error,
    .app_error = legacy_env_app_error,
};

static bool legacy_init(const struct config *cfg, char **err)
{
    (void)cfg, (void)err;
    legacy_rest_init();
    legacy_search_init();
    legacy_util_init();
    return true;
}

const struct srv_family legacy_family = {
    .name = "legacy",
    .routes = routes,
    .nroutes = ARRAY_LEN(routes),
    .prefixes = prefixes,
    .env = &legacy_resp_env,
    .init = legacy_init,
};
