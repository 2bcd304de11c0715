/* ckan_openapi — the OpenAPI description, served from memory (ckan_openapi.h). */
#include "ckan_openapi.h"

#include <event2/http.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "req.h"
#include "resp.h"
#include "util.h"
#include "version.h"

#define OPENAPI_PATH "/api/openapi.json"
/* The --sru the document's Taiwan paths are written under (gen.py's SRU). */
#define DOC_SRU "/api/v1"

/* Set once by ckan_openapi_init before the threads start, read-only after: shared by every
 * thread's replies without a copy. Kept for the life of the process. */
static char *doc_text;
static size_t doc_len;
static uint64_t doc_hash;

/* Move the path items marked x-opendatad-sru from DOC_SRU to sru. */
static void move_sru_paths(json_object *paths, const char *sru)
{
    json_object *moved = json_object_new_object();
    json_object_object_foreach(paths, key, item) {
        json_object *mark;
        if (json_object_object_get_ex(item, "x-opendatad-sru", &mark) &&
            strncmp(key, DOC_SRU, strlen(DOC_SRU)) == 0) {
            char *to = xasprintf("%s%s", sru, key + strlen(DOC_SRU));
            json_object_object_add(moved, to, json_object_get(item));
            free(to);
        }
    }
    json_object_object_foreach(moved, k, v) {
        json_object *old;
        char *from = xasprintf("%s%s", DOC_SRU, k + strlen(sru));
        if (json_object_object_get_ex(paths, from, &old) && old == v)
            json_object_object_del(paths, from);
        free(from);
        json_object_object_add(paths, k, json_object_get(v));
    }
    json_object_put(moved);
}

/* What only the running server knows: its site URL, version and service root. */
static bool fill_in(json_object *doc, const struct config *cfg)
{
    json_object *info, *paths;
    if (!json_object_is_type(doc, json_type_object) ||
        !json_object_object_get_ex(doc, "info", &info) ||
        !json_object_object_get_ex(doc, "paths", &paths) ||
        !json_object_is_type(info, json_type_object) ||
        !json_object_is_type(paths, json_type_object))
        return false;
    json_object_object_add(info, "version", json_object_new_string(OPENDATAD_VERSION));
    json_object *server = json_object_new_object();
    json_object_object_add(server, "url", json_object_new_string(
                                              *cfg->site_url ? cfg->site_url : "/"));
    json_object *servers = json_object_new_array();
    json_object_array_add(servers, server);
    json_object_object_add(doc, "servers", servers);
    if (strcmp(cfg->sru, DOC_SRU) != 0)
        move_sru_paths(paths, cfg->sru);
    return true;
}

bool ckan_openapi_init(const struct config *cfg, char **err)
{
    char *dir = util_share_dir("OPENDATAD_SCHEMA_DIR", "schemas");
    char *path = xasprintf("%s/openapi/openapi.json", dir);
    free(dir);
    size_t len;
    char *text = util_read_file(path, &len, err);
    json_object *doc = text ? json_tokener_parse(text) : NULL;
    bool ok = doc && fill_in(doc, cfg);
    if (text && !ok)
        *err = xasprintf("%s: not an OpenAPI document", path);
    if (ok) {
        const char *s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);
        free(doc_text);
        doc_len = strlen(s);
        doc_text = xstrndup(s, doc_len);
        doc_hash = util_hash64(doc_text, doc_len);
    }
    json_object_put(doc);
    free(text);
    free(path);
    return ok;
}

/* The text stays: nothing to release once sent. */
static void keep(const void *data, size_t len, void *arg)
{
    (void)data, (void)len, (void)arg;
}

int ckan_openapi(struct req *r)
{
    ckan_openapi_link(r);
    resp_ok_shared(r, doc_text, doc_len, doc_hash, keep, NULL);
    return REQ_DONE;
}

void ckan_openapi_link(struct req *r)
{
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Link",
                      "<" OPENAPI_PATH ">; rel=\"service-desc\"");
}
