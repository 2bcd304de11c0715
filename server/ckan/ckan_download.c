/* ckan_download — CKAN's resource download URL, /dataset/{id}/resource/{rid}/download[/{name}]
 * (ckan/views/resource.py download()): an uploaded file is sent from the upload store
 * (ustore.c) with a strong ETag (its SHA-256), If-None-Match (304) and one byte range (206,
 * 416); any other resource is a redirect to its URL. Who may read the dataset may download;
 * sql/functions/21_upload.sql decides (404 "Resource not found", 403 as CKAN). */
#include "ckan_download.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_call.h"
#include "ckan_config.h"
#include "config.h"
#include "db_pool.h"
#include "fsend.h"
#include "log.h"
#include "req.h"
#include "resp.h"
#include "ustore.h"
#include "util.h"

static struct db_stmt st_download = {
    "ckan_upload_download", "SELECT ckan_upload_download($1, $2, $3, $4::ckan_viewer)", 4, 0};

void ckan_download_init(void)
{
    dbp_register(&st_download);
}

static void put_json(void *o)
{
    json_object_put(o);
}

static const char *get_str(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

/* A Content-Type for the file: the resource's mimetype, else one for its extension. */
static const char *content_type(const char *mimetype, const char *name)
{
    static const char *const types[][2] = {
        {".csv", "text/csv"},          {".tsv", "text/tab-separated-values"},
        {".txt", "text/plain"},        {".xml", "application/xml"},
        {".json", "application/json"}, {".zip", "application/zip"},
        {".pdf", "application/pdf"},
    };
    if (mimetype && *mimetype && !strpbrk(mimetype, "\r\n"))
        return mimetype;
    const char *dot = name ? strrchr(name, '.') : NULL;
    for (size_t i = 0; dot && i < ARRAY_LEN(types); i++)
        if (strcasecmp(dot, types[i][0]) == 0)
            return types[i][1];
    return "application/octet-stream";
}

/* Content-Disposition naming the file: an ASCII fallback and the UTF-8 name (RFC 6266). */
static const char *disposition(struct req *r, const char *name)
{
    char *ascii = arena_strdup(r->a, name);
    for (char *p = ascii; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f || *p == '"' || *p == '\\')
            *p = '_';
    char *enc = evhttp_uriencode(name, -1, 0);
    const char *v = arena_printf(r->a, "attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii,
                                 enc ? enc : "");
    free(enc);
    return v;
}

/* Not an upload: CKAN redirects to the resource's URL, when it has one. */
static void redirect(struct req *r, const char *url)
{
    if (!url || !*url || strpbrk(url, "\r\n")) {
        (void)ckan_call_fail(r, 404, "Not found: No download is available");
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Location", url);
    req_finish(r, 302, "text/plain", evbuffer_new());
}

static void download_done(struct req *r, PGresult *res)
{
    json_object *d = json_tokener_parse(PQgetvalue(res, 0, 0)), *v;
    arena_defer(r->a, put_json, d);
    if (!d || !json_object_object_get_ex(d, "upload", &v) || !json_object_get_boolean(v)) {
        redirect(r, d ? get_str(d, "url") : NULL);
        return;
    }
    const char *rid = req_path_param(r, 1), *sha = get_str(d, "sha256");
    const char *file = get_str(d, "file_name");
    int fd = ustore_open(rid, sha);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        log_warn("the uploaded file of resource %s is missing: %s", rid, strerror(errno));
        if (fd >= 0)
            close(fd);
        (void)ckan_call_fail(r, 404, "Not found: No download is available");
        return;
    }
    const char *name = r->route.nparams > 2 ? req_path_param(r, 2) : file;
    fsend_file(r, fd, (uint64_t)st.st_size, arena_printf(r->a, "\"%s\"", sha),
               content_type(get_str(d, "mimetype"), file),
               disposition(r, name && *name ? name : file), NULL);
}

static int download_run(struct req *r)
{
    const char **params = arena_alloc(r->a, 4 * sizeof(char *));
    params[0] = req_path_param(r, 0);
    params[1] = req_path_param(r, 1);
    params[2] = ckan_config()->site_url;
    params[3] = ckan_auth_viewer(r);
    return req_db(r, &st_download, params, download_done);
}

int ckan_resource_download(struct req *r)
{
    return ckan_auth_then(r, download_run);
}
