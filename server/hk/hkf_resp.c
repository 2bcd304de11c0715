/* hkf_resp — the Filter API's error bodies and statuses. */
#include "hkf_resp.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "db_err.h"
#include "req.h"

#define HKF_JSON_TYPE "application/json; charset=utf-8"
#define NOT_VALID "Not a valid resource"

static int status_of(enum err_kind kind)
{
    switch (kind) {
    case ERR_NOT_FOUND:
    case ERR_FORBIDDEN: return 422; /* no caller here: what is not public does not exist */
    case ERR_NO_ROUTE: return 404;
    case ERR_METHOD: return 405;
    case ERR_UNAVAILABLE: return 503;
    case ERR_INTERNAL: return 500;
    default: return 400;
    }
}

char *hkf_resp_build_error(enum err_kind kind, const char *message, int *status)
{
    char code[8];
    *status = status_of(kind);
    snprintf(code, sizeof(code), "%d", *status);
    if (*status == 422)
        message = NOT_VALID;
    else if (kind == ERR_NO_ROUTE)
        message = "Not Found";
    json_object *o = json_object_new_object();
    json_object_object_add(o, "code", json_object_new_string(code));
    json_object_object_add(o, "message", json_object_new_string(message ? message : ""));
    char *s = xstrdup(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

static char *hkf_env_ok(struct req *r, const char *payload, size_t len, size_t *out_len)
{
    (void)r;
    *out_len = len;
    return xstrndup(payload, len);
}

static char *hkf_env_error(struct req *r, enum err_kind kind, const char *code, const char *message,
                           int *status)
{
    (void)r, (void)code;
    return hkf_resp_build_error(kind, message, status);
}

/* Input an SQL function refused: a resource it does not know is not valid; anything else is a
 * malformed query. */
static void hkf_env_app_error(struct req *r, const struct db_error *err)
{
    bool missing = err->kind == DBE_NOT_FOUND || err->kind == DBE_FORBIDDEN;
    resp_error(r, missing ? ERR_NOT_FOUND : ERR_PARAM_VALUE, NULL, "%s", err->message);
}

const struct resp_env hkf_resp_env = {
    .json_type = HKF_JSON_TYPE,
    .pretty = false,
    .jsonp = false,
    .http_cache = false,
    .ok = hkf_env_ok,
    .error = hkf_env_error,
    .app_error = hkf_env_app_error,
};
