/* resp — Taiwan and CKAN envelopes, error kinds → HTTP status and codes. */
#include "resp.h"

#include <event2/buffer.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "req.h"
#include "server.h"
#include "util.h"

#define JSON_TYPE "application/json; charset=utf-8"

struct err_info {
    int tw_status, ckan_status;
    const char *tw_code, *tw_desc, *ckan_type;
};

static const struct err_info err_table[] = {
    [ERR_NOT_FOUND] = {404, 404, "ER0100", "找不到Resource資料", "Not Found Error"},
    [ERR_PARAM_NAME] = {400, 409, "ER0200", "輸入的參數名稱錯誤", "Validation Error"},
    [ERR_PARAM_VALUE] = {400, 409, "ER0210", "輸入的參數內容格式錯誤", "Validation Error"},
    [ERR_FIELD] = {400, 409, "ER0220", "輸入的參數內容中，欄位名稱不存在", "Validation Error"},
    [ERR_METHOD] = {405, 405, "ER0200", "不支援的HTTP方法", "Bad Request"},
    [ERR_UNAVAILABLE] = {503, 503, "ER0500", "系統錯誤", "Internal Server Error"},
    [ERR_INTERNAL] = {500, 500, "ER0500", "系統錯誤", "Internal Server Error"},
    /* The Taiwan API has no authorization: what a caller may not read does not exist there. */
    [ERR_FORBIDDEN] = {404, 403, "ER0100", "找不到Resource資料", "Authorization Error"},
};

/* Descriptions of the Taiwan sub-codes we use (code → short Chinese text). */
static const char *tw_subcode_desc(const char *code)
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

static char *json_text(json_object *o)
{
    char *s = xstrdup(json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

char *resp_build_error(int api, const char *help_url, enum err_kind kind, const char *tw_code,
                       const char *message, int *status)
{
    const struct err_info *e = &err_table[kind];
    json_object *root = json_object_new_object();
    json_object *err = json_object_new_object();
    if (api == API_TW) {
        const char *desc = tw_code ? tw_subcode_desc(tw_code) : NULL;
        char *type = xasprintf("%s:%s", desc ? tw_code : e->tw_code, desc ? desc : e->tw_desc);
        *status = e->tw_status;
        json_object_object_add(root, "success", json_object_new_boolean(0));
        json_object_object_add(err, "message", json_object_new_string(message));
        json_object_object_add(err, "type", json_object_new_string(type));
        json_object_object_add(root, "error", err);
        free(type);
    } else {
        *status = e->ckan_status;
        json_object_object_add(root, "help", json_object_new_string(help_url));
        json_object_object_add(err, "message", json_object_new_string(message));
        json_object_object_add(err, "__type", json_object_new_string(e->ckan_type));
        json_object_object_add(root, "error", err);
        json_object_object_add(root, "success", json_object_new_boolean(0));
    }
    return json_text(root);
}

char *resp_build_invalid(const char *help_url, const char *field, const char *message)
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
    return json_text(root);
}

char *resp_build_ok(int api, const char *help_url, const char *payload, size_t len,
                    size_t *out_len)
{
    char *head;
    if (api == API_TW) {
        head = xstrdup("{\"success\":true,\"result\":");
    } else {
        json_object *h = json_object_new_string(help_url);
        const char *hs = json_object_to_json_string_ext(h, JSON_C_TO_STRING_NOSLASHESCAPE);
        head = xasprintf("{\"help\":%s,\"success\":true,\"result\":", hs);
        json_object_put(h);
    }
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

static const char *help_url(struct req *r)
{
    return arena_printf(r->a, "%s/api/3/action/help_show?name=%s", srv_config()->site_url,
                        r->action ? r->action : "");
}

static void free_ref(const void *data, size_t len, void *extra)
{
    (void)len, (void)extra;
    free((void *)data);
}

/* Hand text (malloc'd) to the reply without copying it. */
static void send_text(struct req *r, int status, char *text, size_t len)
{
    struct evbuffer *body = evbuffer_new();
    evbuffer_add_reference(body, text, len, free_ref, NULL);
    req_finish(r, status, JSON_TYPE, body);
}

void resp_ok_json(struct req *r, const char *payload, size_t len)
{
    size_t out_len;
    char *text = resp_build_ok(r->api, r->api == API_CKAN ? help_url(r) : NULL, payload, len,
                               &out_len);
    send_text(r, 200, text, out_len);
}

void resp_error(struct req *r, enum err_kind kind, const char *tw_code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    int status;
    char *text = resp_build_error(r->api, r->api == API_CKAN ? help_url(r) : NULL, kind, tw_code,
                                  msg ? msg : fmt, &status);
    free(msg);
    send_text(r, status, text, strlen(text));
}

void resp_ckan_invalid(struct req *r, const char *field, const char *message)
{
    char *text = resp_build_invalid(help_url(r), field, message);
    send_text(r, 409, text, strlen(text));
}
