/* resp — Taiwan and CKAN envelopes, error kinds → HTTP status and codes, pretty and JSONP
 * rendering of CKAN bodies. */
#include "resp.h"

#include <event2/http.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "config.h"
#include "req.h"
#include "server.h"
#include "util.h"

#define TW_JSON_TYPE "application/json; charset=utf-8"
#define CKAN_JSON_TYPE "application/json;charset=utf-8" /* CKAN's exact string */
#define JSONP_TYPE "application/javascript;charset=utf-8"
#define JSONP_NAME_MAX 256
#define PRETTY_DEPTH 1024 /* nesting json-c may parse when re-indenting a body */

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
    [ERR_UNAVAILABLE] = {503, 503, "ER0500", "系統錯誤", "Service Unavailable"},
    [ERR_INTERNAL] = {500, 500, "ER0500", "系統錯誤", "Internal Server Error"},
    /* The Taiwan API has no authorization: what a caller may not read does not exist there. */
    [ERR_FORBIDDEN] = {404, 403, "ER0100", "找不到Resource資料", "Authorization Error"},
    [ERR_BAD_REQUEST] = {400, 400, "ER0210", "輸入的參數內容格式錯誤", "Bad Request"},
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

char *resp_build_ckan_error(const char *help_url, const char *type, const char *field,
                            const char *message)
{
    json_object *root = json_object_new_object();
    json_object *err = json_object_new_object();
    json_object_object_add(root, "help", json_object_new_string(help_url));
    json_object_object_add(err, field, json_object_new_string(message));
    json_object_object_add(err, "__type", json_object_new_string(type));
    json_object_object_add(root, "error", err);
    json_object_object_add(root, "success", json_object_new_boolean(0));
    return json_text(root);
}

char *resp_build_error(int api, const char *help_url, enum err_kind kind, const char *tw_code,
                       const char *message, int *status)
{
    const struct err_info *e = &err_table[kind];
    if (api != API_TW) {
        *status = e->ckan_status;
        return resp_build_ckan_error(help_url, e->ckan_type, "message", message);
    }
    json_object *root = json_object_new_object();
    json_object *err = json_object_new_object();
    const char *desc = tw_code ? tw_subcode_desc(tw_code) : NULL;
    char *type = xasprintf("%s:%s", desc ? tw_code : e->tw_code, desc ? desc : e->tw_desc);
    *status = e->tw_status;
    json_object_object_add(root, "success", json_object_new_boolean(0));
    json_object_object_add(err, "message", json_object_new_string(message));
    json_object_object_add(err, "type", json_object_new_string(type));
    json_object_object_add(root, "error", err);
    free(type);
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

/* ---- JSONP and pretty rendering (pure) -------------------------------------------------------- */

static bool name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}

bool resp_jsonp_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > JSONP_NAME_MAX)
        return false;
    bool at_start = true; /* at the first character of a dot-separated part */
    for (const char *p = name; *p; p++) {
        if (*p == '.' && !at_start)
            at_start = true;
        else if (name_start(*p) || (!at_start && *p >= '0' && *p <= '9'))
            at_start = false;
        else
            return false;
    }
    return !at_start;
}

char *resp_build_jsonp(const char *name, const char *json, size_t len, size_t *out_len)
{
    size_t nl = strlen(name);
    char *out = xmalloc(nl + len + 4);
    memcpy(out, name, nl);
    out[nl] = '(';
    memcpy(out + nl + 1, json, len);
    memcpy(out + nl + 1 + len, ");", 3);
    *out_len = nl + len + 3;
    return out;
}

char *resp_build_pretty(const char *json, size_t len, size_t *out_len)
{
    json_tokener *tok = json_tokener_new_ex(PRETTY_DEPTH);
    json_object *o = json_tokener_parse_ex(tok, json, (int)len);
    bool whole = o && json_tokener_get_error(tok) == json_tokener_success &&
                 json_tokener_get_parse_end(tok) == len;
    json_tokener_free(tok);
    if (!whole) {
        json_object_put(o);
        return NULL;
    }
    size_t n;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    char *out = xstrndup(s, n);
    json_object_put(o);
    *out_len = n;
    return out;
}

/* The q value among the parameters of one Accept item (";level=1;q=0.5"); 1 when absent. */
static double accept_q(const char *params, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (params[i] != ';')
            continue;
        size_t j = i + 1;
        while (j < n && params[j] == ' ')
            j++;
        if (j + 1 < n && (params[j] == 'q' || params[j] == 'Q') && params[j + 1] == '=')
            return strtod(params + j + 2, NULL);
    }
    return 1;
}

static bool type_is(const char *t, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(t, want, n) == 0;
}

bool resp_accept_prefers_html(const char *accept)
{
    double html = 0, json = 0;
    for (const char *p = accept; *p;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, ","), tn = strcspn(p, ";,");
        while (tn > 0 && (p[tn - 1] == ' ' || p[tn - 1] == '\t'))
            tn--;
        double q = accept_q(p, n);
        if (type_is(p, tn, "text/html") && q > html)
            html = q;
        if ((type_is(p, tn, "application/json") || type_is(p, tn, "application/*") ||
             type_is(p, tn, "*/*")) && q > json)
            json = q;
        p += n;
    }
    return html > json;
}

/* ---- sending ---------------------------------------------------------------------------------- */

static const char *help_url(struct req *r)
{
    return arena_printf(r->a, "%s/api/3/action/help_show?name=%s", srv_config()->site_url,
                        r->action ? r->action : "");
}

/* pretty=true (or a bare ?pretty), else a GET from a browser; pretty=false wins over Accept. */
static bool want_pretty(struct req *r)
{
    static const char *const yes[] = {"", "true", "yes", "on", "1", "t", "y"};
    const char *v = req_query_get(r, "pretty", NULL);
    if (v) {
        for (size_t i = 0; i < ARRAY_LEN(yes); i++)
            if (strcasecmp(v, yes[i]) == 0)
                return true;
        return false;
    }
    const char *accept = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Accept");
    return (r->method == M_GET || r->method == M_HEAD) && accept &&
           resp_accept_prefers_html(accept);
}

/* The JSONP callback when the reply is to be wrapped (a 200 to a GET naming one), else NULL. */
static const char *jsonp_name(struct req *r, int status)
{
    if (status != 200 || (r->method != M_GET && r->method != M_HEAD))
        return NULL;
    return req_query_get(r, "callback", NULL);
}

/* The one exit of JSON bodies held whole (text malloc'd, taken over). CKAN bodies are indented
 * when asked and wrapped for JSONP; the callback is checked here, where it is used, so errors
 * and POSTs (never wrapped) do not depend on it. */
static void send_text(struct req *r, int status, char *text, size_t len)
{
    if (r->api != API_CKAN) {
        req_finish_text(r, status, TW_JSON_TYPE, text, len);
        return;
    }
    size_t n;
    char *pretty = want_pretty(r) ? resp_build_pretty(text, len, &n) : NULL;
    if (pretty) {
        free(text);
        text = pretty;
        len = n;
    }
    const char *cb = jsonp_name(r, status);
    if (cb && !resp_jsonp_name_valid(cb)) {
        free(text);
        resp_error(r, ERR_BAD_REQUEST, NULL, "Bad request - the callback parameter must be a "
                   "JavaScript name such as jQuery123_456 or a.b_c$1: ASCII letters, digits, _ "
                   "and $, parts separated by dots, at most %d characters", JSONP_NAME_MAX);
        return;
    }
    if (!cb) {
        req_finish_text(r, status, CKAN_JSON_TYPE, text, len);
        return;
    }
    /* The name holds no HTML-special character (<>&"'), so it needs no escaping. */
    char *wrapped = resp_build_jsonp(cb, text, len, &n);
    free(text);
    req_finish_text(r, status, JSONP_TYPE, wrapped, n);
}

void resp_ok_json(struct req *r, const char *payload, size_t len)
{
    size_t out_len;
    char *text = resp_build_ok(r->api, r->api == API_CKAN ? help_url(r) : NULL, payload, len,
                               &out_len);
    send_text(r, 200, text, out_len);
}

void resp_ok_bare(struct req *r, const char *payload, size_t len)
{
    send_text(r, 200, xstrndup(payload, len), len);
}

void resp_ok_shared(struct req *r, const char *text, size_t len, uint64_t hash,
                    void (*cleanup)(const void *, size_t, void *), void *arg)
{
    if (r->api == API_CKAN && (want_pretty(r) || jsonp_name(r, 200))) {
        send_text(r, 200, xstrndup(text, len), len); /* rendered from a copy */
        cleanup(text, len, arg);
        return;
    }
    req_finish_ref(r, 200, r->api == API_CKAN ? CKAN_JSON_TYPE : TW_JSON_TYPE, text, len,
                   cleanup, arg, hash);
}

void resp_error(struct req *r, enum err_kind kind, const char *tw_code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    /* Server-side messages are written with the Taiwan spec's "系統錯誤: " lead; CKAN's
     * envelope says what happened without it (its __type names the kind). */
    static const char tw_lead[] = "系統錯誤: ";
    const char *text_in = msg ? msg : fmt;
    if (r->api != API_TW && strncmp(text_in, tw_lead, sizeof(tw_lead) - 1) == 0)
        text_in += sizeof(tw_lead) - 1;
    int status;
    char *text = resp_build_error(r->api, r->api == API_CKAN ? help_url(r) : NULL, kind, tw_code,
                                  text_in, &status);
    free(msg);
    send_text(r, status, text, strlen(text));
}

void resp_ckan_invalid(struct req *r, const char *field, const char *message)
{
    char *text = resp_build_invalid(help_url(r), field, message);
    send_text(r, 409, text, strlen(text));
}

void resp_ckan_invalid_str(struct req *r, const char *field, const char *message)
{
    resp_ckan_error(r, 409, "Validation Error", field, message);
}

void resp_ckan_error(struct req *r, int status, const char *type, const char *field,
                     const char *message)
{
    char *text = resp_build_ckan_error(help_url(r), type, field, message);
    send_text(r, status, text, strlen(text));
}

void resp_ckan_bare(struct req *r, int status, const char *message)
{
    char *text = json_text(json_object_new_string(message));
    send_text(r, status, text, strlen(text));
}
