/* legacy_resp — the legacy API's envelope: bare JSON answers, errors as CKAN 2.7 gave them (a
 * JSON string "Bad request - ...", "Not found - ...", "Access denied - ...", or a 409 with the
 * raw validation error dict). */
#include "legacy_resp.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "db_err.h"
#include "req.h"
#include "util.h"

#define LEGACY_JSON_TYPE "application/json;charset=utf-8"

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

const struct resp_env legacy_resp_env = {
    .json_type = LEGACY_JSON_TYPE,
    .pretty = true,
    .jsonp = true,
    .http_cache = false,
    .ok = legacy_env_ok,
    .error = legacy_env_error,
    .app_error = legacy_env_app_error,
};
