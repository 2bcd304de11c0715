/* web_family — static pages over the public APIs: the HTML shell on every page route, its
 * files under /static/<version>/, the texts at CKAN's /api/i18n/{lang}. Everything is read at
 * start (web_assets.c) and served from memory: ETag, 304, gzip when accepted. */
#include "web_family.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db_err.h"
#include "log.h"
#include "req.h"
#include "resp.h"
#include "route.h"
#include "util.h"
#include "web_accept.h"
#include "web_assets.h"

#define WEB_JSON_TYPE "application/json;charset=utf-8"
#define CACHE_SHELL "no-cache"
#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"

static void no_cleanup(const void *data, size_t len, void *arg)
{
    (void)data, (void)len, (void)arg;
}

/* An asset as the reply: its ETag (the gzip copy's when that is sent), 304 when If-None-Match
 * names it, Vary on Accept-Encoding whenever a gzip copy exists. */
static int send_asset(struct req *r, const struct web_asset *a, const char *cache)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(r->ev);
    struct evkeyvalq *out = evhttp_request_get_output_headers(r->ev);
    bool gz = a->gz && web_accepts_gzip(evhttp_find_header(in, "Accept-Encoding"));
    const char *etag = gz ? a->gzetag : a->etag;
    evhttp_add_header(out, "Cache-Control", cache);
    evhttp_add_header(out, "ETag", etag);
    evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
    if (a->gz)
        evhttp_add_header(out, "Vary", "Accept-Encoding");
    const char *inm = evhttp_find_header(in, "If-None-Match");
    if (inm && util_etag_listed(inm, etag)) {
        req_finish(r, 304, NULL, evbuffer_new());
        return REQ_DONE;
    }
    if (gz)
        evhttp_add_header(out, "Content-Encoding", "gzip");
    req_finish_ref(r, 200, a->type, gz ? a->gz : a->data, gz ? a->gzlen : a->len, no_cleanup,
                   NULL, 0);
    return REQ_DONE;
}

/* Every page: the one HTML shell; its script reads the path and renders the page. */
static int web_page(struct req *r)
{
    const struct web_asset *shell = web_asset_find("index.html");
    if (!shell) { /* served without web/ (web_init said so) */
        resp_error(r, ERR_NOT_FOUND, NULL, "Not found: the portal's pages are not installed");
        return REQ_DONE;
    }
    return send_asset(r, shell, CACHE_SHELL);
}

/* /static/{ver}/{file}: only the current version of a file (its URL never changes meaning). */
static int web_static(struct req *r)
{
    const char *ver = req_path_param(r, 0), *file = req_path_param(r, 1);
    const struct web_asset *a = NULL;
    if (!strchr(file, '/')) {
        char *name = xasprintf("static/%s", file);
        a = web_asset_find(name);
        free(name);
    }
    if (!a || strcmp(a->ver, ver) != 0) {
        resp_error(r, ERR_NOT_FOUND, NULL, "Not found");
        return REQ_DONE;
    }
    return send_asset(r, a, CACHE_IMMUTABLE);
}

/* CKAN's /api/i18n/{lang}: the translations as CKAN's JavaScript translation files hold them
 * (wrapped for a GET's JSONP callback, as CKAN does), or 400 "Bad request: Unknown locale: ..."
 * as a JSON string. */
static int web_i18n(struct req *r)
{
    const char *lang = req_path_param(r, 0), *file = web_locale_file(lang);
    const struct web_asset *a = NULL;
    if (file) {
        char *name = xasprintf("i18n/%s.json", file);
        a = web_asset_find(name);
        free(name);
    }
    if (a && !req_query_get(r, "callback", NULL))
        return send_asset(r, a, "public, max-age=0, must-revalidate");
    if (file) { /* JSONP as CKAN wraps it; a known locale without its file: CKAN's "{}" */
        resp_send(r, 200, a ? xstrndup(a->data, a->len) : xstrdup("{}"), a ? a->len : 2);
        return REQ_DONE;
    }
    char *msg = xasprintf("Bad request: Unknown locale: %s", lang);
    json_object *s = json_object_new_string(msg);
    char *body = xstrdup(json_object_to_json_string_ext(s, JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(s);
    free(msg);
    req_finish_text(r, 400, WEB_JSON_TYPE, body, strlen(body));
    return REQ_DONE;
}

static const struct route_def routes[] = {
    {M_GET, "/", web_page, 0},
    {M_GET, "/dataset", web_page, 0},
    {M_GET, "/dataset/{name}", web_page, 0},
    {M_GET, "/dataset/{name}/resource/{rid}", web_page, 0},
    {M_GET, "/organization", web_page, 0},
    {M_GET, "/organization/{name}", web_page, 0},
    {M_GET, "/group", web_page, 0},
    {M_GET, "/group/{name}", web_page, 0},
    {M_GET, "/api-guide", web_page, 0},
    {M_GET, "/static/{ver}/{file}", web_static, 0},
    {M_GET, "/api/i18n/{lang}", web_i18n, 0},
    {M_GET, "/api/1/i18n/{lang}", web_i18n, 0},
    {M_GET, "/api/2/i18n/{lang}", web_i18n, 0},
};

static const char *const prefixes[] = {"/static", NULL};

static char *web_env_ok(struct req *r, const char *payload, size_t len, size_t *out_len)
{
    (void)r;
    char *out = xmalloc(len + 1);
    memcpy(out, payload, len);
    out[len] = '\0';
    *out_len = len;
    return out;
}

/* Errors as CKAN's JSON error envelope (the API pages' readers are API clients too). */
static char *web_env_error(struct req *r, enum err_kind kind, const char *code,
                           const char *message, int *status)
{
    (void)r, (void)code;
    const char *type = "Not Found Error";
    *status = 404;
    if (kind == ERR_METHOD)
        *status = 405, type = "Method Not Allowed";
    else if (kind == ERR_INTERNAL)
        *status = 500, type = "Internal Server Error";
    else if (kind == ERR_UNAVAILABLE)
        *status = 503, type = "Service Unavailable";
    else if (kind == ERR_BAD_REQUEST)
        *status = 400, type = "Bad Request";
    json_object *o = json_object_new_object(), *e = json_object_new_object();
    json_object_object_add(o, "help", json_object_new_string(""));
    json_object_object_add(o, "success", json_object_new_boolean(0));
    json_object_object_add(e, "message", json_object_new_string(message));
    json_object_object_add(e, "__type", json_object_new_string(type));
    json_object_object_add(o, "error", e);
    char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

/* The family runs no SQL; a refusal reaching here would be a bug. */
static void web_env_app_error(struct req *r, const struct db_error *err)
{
    (void)err;
    resp_error(r, ERR_INTERNAL, NULL, "Internal Server Error");
}

static const struct resp_env web_resp_env = {
    .json_type = WEB_JSON_TYPE,
    .pretty = false,
    .jsonp = true, /* only /api/i18n's answers go through resp_send's JSONP */
    .http_cache = false,
    .ok = web_env_ok,
    .error = web_env_error,
    .app_error = web_env_app_error,
};

/* A server installed without web/ still serves its APIs (the pages answer 404, and it says so
 * at start); a web/ that is there but broken stops the start. */
static bool web_init(const struct config *cfg, char **err)
{
    char *dir = util_share_dir("OPENDATAD_WEB_DIR", "web");
    char *shell = xasprintf("%s/index.html", dir);
    bool ok = true;
    if (access(shell, F_OK) != 0 && errno == ENOENT)
        log_warn("no portal pages: %s does not exist (set OPENDATAD_WEB_DIR)", shell);
    else
        ok = web_assets_load(dir, cfg->sru, err);
    free(shell);
    free(dir);
    return ok;
}

const struct srv_family web_family = {
    .name = "web",
    .routes = routes,
    .nroutes = ARRAY_LEN(routes),
    .prefixes = prefixes,
    .env = &web_resp_env,
    .init = web_init,
};
