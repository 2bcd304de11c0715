/* tw_resp — the Taiwan API's envelope, ER codes and error texts. */
#include "tw_resp.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "db_err.h"
#include "jcompact.h"
#include "req.h"
#include "util.h"

#define TW_JSON_TYPE "application/json; charset=utf-8"

struct tw_err {
    int status;
    const char *code, *desc;
};

static const struct tw_err tw_errs[ERR_KINDS] = {
    [ERR_NOT_FOUND] = {404, "ER0100", "找不到Resource資料"},
    [ERR_PARAM_NAME] = {400, "ER0200", "輸入的參數名稱錯誤"},
    [ERR_PARAM_VALUE] = {400, "ER0210", "輸入的參數內容格式錯誤"},
    [ERR_FIELD] = {400, "ER0220", "輸入的參數內容中，欄位名稱不存在"},
    [ERR_METHOD] = {405, "ER0200", "不支援的HTTP方法"},
    [ERR_UNAVAILABLE] = {503, "ER0500", "系統錯誤"},
    [ERR_INTERNAL] = {500, "ER0500", "系統錯誤"},
    /* The Taiwan API has no authorization: what a caller may not read does not exist there. */
    [ERR_FORBIDDEN] = {404, "ER0100", "找不到Resource資料"},
    [ERR_BAD_REQUEST] = {400, "ER0210", "輸入的參數內容格式錯誤"},
    [ERR_NO_ROUTE] = {404, "ER010004", "找不到API路徑"},
};

/* Descriptions of the Taiwan sub-codes we use (code → short Chinese text). */
static const char *subcode_desc(const char *code)
{
    static const struct { const char *code, *desc; } subs[] = {
        {"ER010001", "找不到分類資料"},
        {"ER010002", "找不到資料集"},
        {"ER010003", "找不到標籤資料"},
        {"ER010004", "找不到API路徑"},
    };
    for (size_t i = 0; i < ARRAY_LEN(subs); i++)
        if (strcmp(subs[i].code, code) == 0)
            return subs[i].desc;
    return NULL;
}

char *tw_resp_build_error(enum err_kind kind, const char *code, const char *message,
                          int *status)
{
    const struct tw_err *e = &tw_errs[kind];
    json_object *root = json_object_new_object();
    json_object *err = json_object_new_object();
    const char *desc = code ? subcode_desc(code) : NULL;
    char *type = xasprintf("%s:%s", desc ? code : e->code, desc ? desc : e->desc);
    *status = e->status;
    json_object_object_add(root, "success", json_object_new_boolean(0));
    json_object_object_add(err, "message", json_object_new_string(message));
    json_object_object_add(err, "type", json_object_new_string(type));
    json_object_object_add(root, "error", err);
    free(type);
    char *s = xstrdup(json_object_to_json_string_ext(
        root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return s;
}

char *tw_resp_build_ok(const char *payload, size_t len, size_t *out_len)
{
    static const char head[] = "{\"success\":true,\"result\":";
    size_t hl = sizeof(head) - 1;
    char *out = xmalloc(hl + len + 2);
    memcpy(out, head, hl);
    /* One spacing style: PostgreSQL's documents mix `"k" : v` and `"k": v`. */
    size_t n = jcompact_copy(out + hl, payload, len);
    out[hl + n] = '}';
    out[hl + n + 1] = '\0';
    *out_len = hl + n + 1;
    return out;
}

static char *tw_env_ok(struct req *r, const char *payload, size_t len, size_t *out_len)
{
    (void)r;
    return tw_resp_build_ok(payload, len, out_len);
}

/* Server-side errors carry the spec's lead; messages are written without it. */
#define TW_LEAD_5XX "系統錯誤: "

static char *tw_env_error(struct req *r, enum err_kind kind, const char *code, const char *message,
                       int *status)
{
    (void)r;
    bool server_side = kind == ERR_UNAVAILABLE || kind == ERR_INTERNAL;
    if (!server_side)
        return tw_resp_build_error(kind, code, message, status);
    char *led = xasprintf("%s%s", TW_LEAD_5XX, message);
    char *text = tw_resp_build_error(kind, code, led, status);
    free(led);
    return text;
}

/* Input refused by an SQL function (db_err.h): the kind picks the ER code, the message
 * explains. The Taiwan API has no callers: what one may not read is not found. */
static void tw_env_app_error(struct req *r, const struct db_error *err)
{
    switch (err->kind) {
    case DBE_FORBIDDEN:
        resp_error(r, ERR_NOT_FOUND, NULL, "找不到資料: %s", err->detail);
        break;
    case DBE_NOT_FOUND:
        resp_error(r, ERR_NOT_FOUND, NULL, "找不到資料: %s", err->message);
        break;
    case DBE_NO_FIELD:
        resp_error(r, ERR_FIELD, NULL, "輸入的參數內容中，欄位名稱不存在: %s", err->message);
        break;
    default:
        resp_error(r, ERR_PARAM_VALUE, NULL, "輸入的參數內容格式錯誤: %s", err->message);
    }
}

const struct resp_env tw_resp_env = {
    .json_type = TW_JSON_TYPE,
    .pretty = true, /* pretty=true: our extension; browsers get it indented too */
    .jsonp = false,
    .http_cache = false,
    .ok = tw_env_ok,
    .error = tw_env_error,
    .app_error = tw_env_app_error,
};
