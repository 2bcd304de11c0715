/* hk_resp — the Hong Kong-style APIs' envelope. DATA.GOV.HK answers these with bare JSON
 * bodies and errors as {"message": ...}: 400 "REQUEST ERROR: ...", 404 "Not Found". */
#include "hk_resp.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "db_err.h"
#include "req.h"
#include "util.h"

#define HK_JSON_TYPE "application/json; charset=utf-8"

static char *hk_env_ok(struct req *r, const char *payload, size_t len, size_t *out_len)
{
    (void)r;
    char *out = xmalloc(len + 1);
    memcpy(out, payload, len);
    out[len] = '\0';
    *out_len = len;
    return out;
}

static char *message_body(const char *message)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "message", json_object_new_string(message));
    char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

static char *hk_env_error(struct req *r, enum err_kind kind, const char *code, const char *message,
                          int *status)
{
    (void)r, (void)code;
    switch (kind) {
    case ERR_NOT_FOUND:
    case ERR_NO_ROUTE:
    case ERR_FORBIDDEN: /* what an anonymous caller may not read is not there */
        *status = 404;
        return message_body("Not Found");
    case ERR_METHOD:
        *status = 405;
        return message_body("Method Not Allowed");
    case ERR_UNAVAILABLE:
        *status = 503;
        return message_body(message);
    case ERR_INTERNAL:
        *status = 500;
        return message_body(message);
    default:
        *status = 400;
        return message_body(message);
    }
}

/* Refusals of the SQL functions (sql/functions/24*): OD100 is "Not Found", the rest a request
 * error naming the parameter. */
static void hk_env_app_error(struct req *r, const struct db_error *err)
{
    if (err->kind == DBE_NOT_FOUND || err->kind == DBE_FORBIDDEN)
        resp_error(r, ERR_NOT_FOUND, NULL, "Not Found");
    else
        resp_error(r, ERR_BAD_REQUEST, NULL, "REQUEST ERROR: %s", err->message);
}

const struct resp_env hk_resp_env = {
    .json_type = HK_JSON_TYPE,
    .pretty = false,
    .jsonp = false,
    .http_cache = false,
    .ok = hk_env_ok,
    .error = hk_env_error,
    .app_error = hk_env_app_error,
};

int hk_resp_bad_param(struct req *r, const char *what, const char *name)
{
    resp_error(r, ERR_BAD_REQUEST, NULL, "REQUEST ERROR: %s %s parameter", what, name);
    return REQ_DONE;
}
