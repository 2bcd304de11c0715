/* ckan_resp — CKAN's envelope, error types and error texts. */
#include "ckan_resp.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckan_config.h"
#include "config.h"
#include "db_err.h"
#include "log.h"
#include "req.h"
#include "util.h"

#define CKAN_JSON_TYPE "application/json;charset=utf-8" /* CKAN's exact string */

struct ckan_err {
    int status;
    const char *type;
};

static const struct ckan_err ckan_errs[ERR_KINDS] = {
    [ERR_NOT_FOUND] = {404, "Not Found Error"},
    [ERR_PARAM_NAME] = {409, "Validation Error"},
    [ERR_PARAM_VALUE] = {409, "Validation Error"},
    [ERR_FIELD] = {409, "Validation Error"},
    [ERR_METHOD] = {405, "Bad Request"},
    [ERR_UNAVAILABLE] = {503, "Service Unavailable"},
    [ERR_INTERNAL] = {500, "Internal Server Error"},
    [ERR_FORBIDDEN] = {403, "Authorization Error"},
    [ERR_BAD_REQUEST] = {400, "Bad Request"},
    [ERR_NO_ROUTE] = {404, "Not Found Error"},
};

static char *ckan_json_text(json_object *o)
{
    char *s = xstrdup(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

char *ckan_resp_build_typed(const char *help_url, const char *type, const char *field,
                            const char *message)
{
    json_object *root = json_object_new_object();
    json_object *err = json_object_new_object();
    json_object_object_add(root, "help", json_object_new_string(help_url));
    json_object_object_add(err, field, json_object_new_string(message));
    json_object_object_add(err, "__type", json_object_new_string(type));
    json_object_object_add(root, "error", err);
    json_object_object_add(root, "success", json_object_new_boolean(0));
    return ckan_json_text(root);
}

char *ckan_resp_build_error(const char *help_url, enum err_kind kind, const char *message,
                            int *status)
{
    *status = ckan_errs[kind].status;
    return ckan_resp_build_typed(help_url, ckan_errs[kind].type, "message", message);
}

char *ckan_resp_build_invalid(const char *help_url, const char *field, const char *message)
{
    json_object *root = json_object_new_object();
    json_object *err = json_object_new_object();
    json_object *list = json_object_new_array();
    json_object_array_add(list, json_object_new_string(message));
    json_object_object_add(root, "help", json_object_new_string(help_url));
    json_object_object_add(err, "__type", json_object_new_string("Validation Error"));
    json_object_object_add(err, field, list);
    json_object_object_add(root, "error", err);
    json_object_object_add(root, "success", json_object_new_boolean(0));
    return ckan_json_text(root);
}

char *ckan_resp_build_invalid_dict(const char *help_url, const char *errors)
{
    json_object *dict = json_tokener_parse(errors);
    if (!json_object_is_type(dict, json_type_object)) {
        json_object_put(dict);
        return NULL;
    }
    json_object *root = json_object_new_object();
    json_object *err = json_object_new_object();
    json_object_object_add(root, "help", json_object_new_string(help_url));
    json_object_object_add(err, "__type", json_object_new_string("Validation Error"));
    json_object_object_foreach(dict, field, messages)
        json_object_object_add(err, field, json_object_get(messages));
    json_object_put(dict);
    json_object_object_add(root, "error", err);
    json_object_object_add(root, "success", json_object_new_boolean(0));
    return ckan_json_text(root);
}

char *ckan_resp_build_ok(const char *help_url, const char *payload, size_t len, size_t *out_len)
{
    json_object *h = json_object_new_string(help_url);
    const char *hs = json_object_to_json_string_ext(h, JSON_C_TO_STRING_NOSLASHESCAPE);
    char *head = xasprintf("{\"help\":%s,\"success\":true,\"result\":", hs);
    json_object_put(h);
    size_t hl = strlen(head);
    char *out = xmalloc(hl + len + 2);
    memcpy(out, head, hl);
    memcpy(out + hl, payload, len);
    out[hl + len] = '}';
    out[hl + len + 1] = '\0';
    *out_len = hl + len + 1;
    free(head);
    return out;
}

/* The language prefixes (DATA.GOV.HK's three single-language sites) and their languages. */
static const struct {
    const char *prefix;
    const char *lang;
} lang_prefixes[] = {{"/en-data", "en"}, {"/tc-data", "zh_TW"}, {"/sc-data", "zh_CN"}};

static int lang_index(const struct req *r)
{
    for (int i = 0; i < (int)ARRAY_LEN(lang_prefixes); i++) {
        size_t n = strlen(lang_prefixes[i].prefix);
        if (r->path && strncmp(r->path, lang_prefixes[i].prefix, n) == 0 && r->path[n] == '/')
            return i;
    }
    return -1;
}

const char *ckan_lang_prefix(const struct req *r)
{
    int i = lang_index(r);
    return i < 0 ? "" : lang_prefixes[i].prefix;
}

const char *ckan_path_lang(const struct req *r)
{
    int i = lang_index(r);
    return i < 0 ? NULL : lang_prefixes[i].lang;
}

const char *ckan_resp_help_url(struct req *r)
{
    return arena_printf(r->a, "%s%s/api/3/action/help_show?name=%s", ckan_config()->site_url,
                        ckan_lang_prefix(r), r->action ? r->action : "");
}

void ckan_resp_invalid(struct req *r, const char *field, const char *message)
{
    char *text = ckan_resp_build_invalid(ckan_resp_help_url(r), field, message);
    resp_send(r, 409, text, strlen(text));
}

void ckan_resp_invalid_str(struct req *r, const char *field, const char *message)
{
    ckan_resp_error(r, 409, "Validation Error", field, message);
}

void ckan_resp_error(struct req *r, int status, const char *type, const char *field,
                     const char *message)
{
    char *text = ckan_resp_build_typed(ckan_resp_help_url(r), type, field, message);
    resp_send(r, status, text, strlen(text));
}

void ckan_resp_bare(struct req *r, int status, const char *message)
{
    char *text = ckan_json_text(json_object_new_string(message));
    resp_send(r, status, text, strlen(text));
}

void ckan_resp_invalid_dict(struct req *r, json_object *errors)
{
    char *text = ckan_resp_build_invalid_dict(
        ckan_resp_help_url(r), json_object_to_json_string_ext(errors, JSON_C_TO_STRING_PLAIN));
    resp_send(r, 409, text, strlen(text));
}

void ckan_resp_integrity(struct req *r, const char *message, json_object *data)
{
    json_object *root = json_object_new_object();
    json_object *err = json_object_new_object();
    json_object_object_add(root, "help", json_object_new_string(ckan_resp_help_url(r)));
    json_object_object_add(err, "__type", json_object_new_string("Integrity Error"));
    json_object_object_add(err, "message", json_object_new_string(message));
    json_object_object_add(err, "data", json_object_get(data));
    json_object_object_add(root, "error", err);
    json_object_object_add(root, "success", json_object_new_boolean(0));
    char *text = ckan_json_text(root);
    resp_send(r, 400, text, strlen(text));
}

static char *ckan_env_ok(struct req *r, const char *payload, size_t len, size_t *out_len)
{
    return ckan_resp_build_ok(ckan_resp_help_url(r), payload, len, out_len);
}

/* The envelope ends with the payload's closing brace. */
static char *ckan_env_ok_around(struct req *r, size_t *head_len, size_t *len)
{
    char *text = ckan_resp_build_ok(ckan_resp_help_url(r), "", 0, len);
    *head_len = *len - 1;
    return text;
}

static char *ckan_env_error(struct req *r, enum err_kind kind, const char *code,
                            const char *message, int *status)
{
    (void)code;
    return ckan_resp_build_error(ckan_resp_help_url(r), kind, message, status);
}

/* CKAN's words for NotFound and NotAuthorized: the lead, then ": " and the text when there is
 * one. */
static void ckan_lead_error(struct req *r, enum err_kind kind, const char *lead, const char *text)
{
    resp_error(r, kind, NULL, "%s%s%s", lead, *text ? ": " : "", text);
}

/* A validation error whose DETAIL is the dict of field errors. */
static void ckan_invalid_dict(struct req *r, const struct db_error *err)
{
    char *text = ckan_resp_build_invalid_dict(ckan_resp_help_url(r), err->detail);
    if (!text) {
        log_error("%s raised without a JSON object of field errors: %s", err->sqlstate,
                  err->detail);
        resp_error(r, ERR_INTERNAL, NULL, "database error %s", err->sqlstate);
        return;
    }
    resp_send(r, 409, text, strlen(text));
}

/* Input refused by an SQL function (db_err.h): the kind picks the error, the message explains,
 * the DETAIL names the field. */
static void ckan_env_app_error(struct req *r, const struct db_error *err)
{
    switch (err->kind) {
    case DBE_FORBIDDEN: ckan_lead_error(r, ERR_FORBIDDEN, "Access denied", err->message); break;
    case DBE_NOT_FOUND: ckan_lead_error(r, ERR_NOT_FOUND, "Not found", err->message); break;
    case DBE_INVALID: ckan_invalid_dict(r, err); break;
    default: /* a bad value, an unknown field, a conflict: one field's message */
        ckan_resp_invalid(r, *err->detail ? err->detail : "message", err->message);
    }
}

const struct resp_env ckan_resp_env = {
    .json_type = CKAN_JSON_TYPE,
    .pretty = true,
    .jsonp = true,
    .http_cache = true,
    .ok = ckan_env_ok,
    .ok_around = ckan_env_ok_around,
    .error = ckan_env_error,
    .app_error = ckan_env_app_error,
};
