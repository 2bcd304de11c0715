/* resp — the one exit of JSON bodies (pretty and JSONP rendering when the family's envelope
 * wants them), errors through the family's envelope. */
#include "resp.h"

#include <event2/http.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "family.h"
#include "req.h"
#include "util.h"

#define JSONP_TYPE "application/javascript;charset=utf-8"
#define JSONP_NAME_MAX 256
#define PRETTY_DEPTH 1024 /* nesting json-c may parse when re-indenting a body */

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
             type_is(p, tn, "*/*")) &&
            q > json)
            json = q;
        p += n;
    }
    return html > json;
}

/* ---- sending ---------------------------------------------------------------------------------- */

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
    if (!r->fam->env->jsonp || status != 200 || (r->method != M_GET && r->method != M_HEAD))
        return NULL;
    return req_query_get(r, "callback", NULL);
}

/* The one exit of JSON bodies held whole (text malloc'd, taken over). CKAN bodies are indented
 * when asked and wrapped for JSONP; the callback is checked here, where it is used, so errors
 * and POSTs (never wrapped) do not depend on it. */
void resp_send(struct req *r, int status, char *text, size_t len)
{
    const struct resp_env *env = r->fam->env;
    if (!env->pretty && !env->jsonp) {
        req_finish_text(r, status, env->json_type, text, len);
        return;
    }
    size_t n;
    char *pretty = env->pretty && want_pretty(r) ? resp_build_pretty(text, len, &n) : NULL;
    if (pretty) {
        free(text);
        text = pretty;
        len = n;
    }
    const char *cb = jsonp_name(r, status);
    if (cb && !resp_jsonp_name_valid(cb)) {
        free(text);
        resp_error(r, ERR_BAD_REQUEST, NULL,
                   "Bad request - the callback parameter must be a "
                   "JavaScript name such as jQuery123_456 or a.b_c$1: ASCII letters, digits, _ "
                   "and $, parts separated by dots, at most %d characters",
                   JSONP_NAME_MAX);
        return;
    }
    if (!cb) {
        req_finish_text(r, status, env->json_type, text, len);
        return;
    }
    /* The name holds no HTML-special character (<>&"'), so it needs no escaping. */
    char *wrapped = resp_build_jsonp(cb, text, len, &n);
    free(text);
    req_finish_text(r, status, JSONP_TYPE, wrapped, n);
}

bool resp_streamable(struct req *r)
{
    const struct resp_env *env = r->fam->env;
    return env->ok_around && !(env->pretty && want_pretty(r)) && !jsonp_name(r, 200);
}

void resp_ok_json(struct req *r, const char *payload, size_t len)
{
    size_t out_len;
    char *text = r->fam->env->ok(r, payload, len, &out_len);
    resp_send(r, 200, text, out_len);
}

void resp_ok_bare(struct req *r, const char *payload, size_t len)
{
    resp_send(r, 200, xstrndup(payload, len), len);
}

void resp_ok_shared(struct req *r, const char *text, size_t len, uint64_t hash,
                    void (*cleanup)(const void *, size_t, void *), void *arg)
{
    const struct resp_env *env = r->fam->env;
    if ((env->pretty && want_pretty(r)) || jsonp_name(r, 200)) {
        resp_send(r, 200, xstrndup(text, len), len); /* rendered from a copy */
        cleanup(text, len, arg);
        return;
    }
    req_finish_ref(r, 200, env->json_type, text, len, cleanup, arg, hash);
}

void resp_error(struct req *r, enum err_kind kind, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = util_vformat(fmt, ap);
    va_end(ap);
    int status;
    char *text = r->fam->env->error(r, kind, code, msg ? msg : fmt, &status);
    free(msg);
    resp_send(r, status, text, strlen(text));
}
