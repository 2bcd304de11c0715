/* ckan_upload — a resource write's uploaded file: its dict fields, the store, the undo. */
#include "ckan_upload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_call.h"
#include "ckan_config.h"
#include "config.h"
#include "db_pool.h"
#include "ckan_resp.h"
#include "db_err.h"
#include "edge.h"
#include "req.h"
#include "resp.h"
#include "spool.h"
#include "ustore.h"
#include "util.h"

/* The last segment of the name the client sent, without control characters (CKAN keeps the
 * name, munged, as the url). */
static const char *file_name(struct req *r, const char *sent)
{
    const char *base = sent;
    for (const char *p = sent; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    char *out = arena_strdup(r->a, *base ? base : "upload");
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '_';
    return out;
}

/* A mimetype for a file name, as Python's mimetypes gives CKAN for the usual formats. */
static const char *guess_type(const char *name)
{
    static const char *const types[][2] = {
        {".csv", "text/csv"},
        {".tsv", "text/tab-separated-values"},
        {".txt", "text/plain"},
        {".xml", "application/xml"},
        {".json", "application/json"},
        {".zip", "application/zip"},
        {".pdf", "application/pdf"},
        {".xls", "application/vnd.ms-excel"},
        {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {".ods", "application/vnd.oasis.opendocument.spreadsheet"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < ARRAY_LEN(types); i++)
        if (strcasecmp(dot, types[i][0]) == 0)
            return types[i][1];
    return NULL;
}

/* A version 4 UUID for a new resource (CKAN's make_uuid). */
static const char *new_uuid(struct req *r)
{
    unsigned char b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        abort();
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    char *s = arena_alloc(r->a, 37);
    char *o = s;
    for (int i = 0; i < 16; i++) {
        o += sprintf(o, "%02x", b[i]);
        if (i == 3 || i == 5 || i == 7 || i == 9)
            *o++ = '-';
    }
    return s;
}

static const char *str_of(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) &&
                   *json_object_get_string(v)
               ? json_object_get_string(v)
               : NULL;
}

bool ckan_upload_apply(struct req *r, json_object *data, json_object *p, struct ckan_upload **up)
{
    *up = NULL;
    /* the file field's name and CKAN's clear flag are no resource keys */
    json_object_object_del(data, "upload");
    json_object_object_del(data, "clear_upload");
    const struct spool_file *f = r->upload ? r->upload->file : NULL;
    if (!f || strcmp(f->field, "upload") != 0)
        return true;
    const char *rid = str_of(data, "id");
    if (!rid) {
        rid = new_uuid(r);
        json_object_object_add(data, "id", json_object_new_string(rid));
    }
    const char *name = file_name(r, f->filename);
    const char *mime = str_of(data, "mimetype");
    if (!mime)
        mime = f->content_type && strcmp(f->content_type, "application/octet-stream") != 0
                   ? f->content_type
                   : guess_type(name);
    json_object_object_add(data, "url", json_object_new_string(name));
    json_object_object_add(data, "url_type", json_object_new_string("upload"));
    json_object_object_add(data, "size", json_object_new_int64((int64_t)f->size));
    json_object_object_add(data, "hash", json_object_new_string(f->sha256));
    if (mime)
        json_object_object_add(data, "mimetype", json_object_new_string(mime));
    char *err = NULL;
    int rc = ustore_link(f->fd, rid, f->sha256, &err);
    if (rc < 0) {
        ckan_resp_error(r, 500, "Internal Server Error", "message", err);
        free(err);
        return false;
    }
    json_object *u = json_object_new_object();
    ckan_call_add_str(u, "sha256", f->sha256);
    ckan_call_add_int(u, "size", (long long)f->size);
    ckan_call_add_str(u, "file_name", name);
    ckan_call_add_str(u, "mimetype", mime);
    json_object_object_add(p, "_upload", u);
    struct ckan_upload *x = arena_alloc(r->a, sizeof(*x));
    x->rid = arena_strdup(r->a, rid);
    x->sha256 = arena_strdup(r->a, f->sha256);
    x->linked = rc == 1;
    *up = x;
    return true;
}

void ckan_upload_undo(const struct ckan_upload *up)
{
    if (up && up->linked)
        ustore_unlink(up->rid, up->sha256);
}

static struct db_stmt st_upload_write = {
    "ckan_resource_upload_write",
    "SELECT ckan_resource_upload_write($1::jsonb, $2, $3::ckan_viewer, $4)", 4, 0};
static struct db_stmt st_url_write = {
    "ckan_resource_url_write",
    "SELECT res_dict, task FROM ckan_resource_url_write($1::jsonb, $2, $3::ckan_viewer, $4)", 4,
    0};

void ckan_upload_init(void)
{
    dbp_register(&st_upload_write);
    dbp_register(&st_url_write);
}

static void put_json(void *o)
{
    json_object_put(o);
}

/* The write was refused (or failed): the file it linked goes; the usual answer follows. */
static bool write_failed(struct req *r, const struct db_error *err)
{
    (void)err;
    ckan_upload_undo(((void **)r->data)[0]);
    return false;
}

static void write_done(struct req *r, PGresult *res)
{
    json_object *o = json_tokener_parse(PQgetvalue(res, 0, 0)), *res_dict = NULL, *sub = NULL;
    arena_defer(r->a, put_json, o);
    if (!o || !json_object_object_get_ex(o, "resource", &res_dict)) {
        ckan_upload_undo(((void **)r->data)[0]);
        resp_error(r, ERR_INTERNAL, NULL, "the upload's write answered no resource");
        return;
    }
    const char *reply = arena_strdup(
        r->a, json_object_to_json_string_ext(res_dict, JSON_C_TO_STRING_PLAIN |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object *v;
    if (json_object_object_get_ex(o, "submit", &sub) && sub &&
        json_object_object_get_ex(sub, "load", &v) && json_object_get_boolean(v))
        (void)ckan_xloader_start(r, sub, reply);
    else
        (void)ckan_call_literal(r, reply);
}

int ckan_upload_write(struct req *r, json_object *p, const char *verb, struct ckan_upload *up)
{
    arena_defer(r->a, put_json, p);
    void **state = arena_alloc(r->a, sizeof(void *));
    state[0] = up;
    r->data = state;
    const char **params = arena_alloc(r->a, 4 * sizeof(char *));
    params[0] = arena_strdup(r->a, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
    params[1] = ckan_config()->site_url;
    params[2] = ckan_auth_viewer(r);
    params[3] = verb;
    return req_db_or(r, &st_upload_write, params, write_done, write_failed);
}

/* The resource dict as the write gave it (answered as it is), and the load it submitted. */
static void url_write_done(struct req *r, PGresult *res)
{
    const char *reply = PQgetvalue(res, 0, 0);
    if (PQgetisnull(res, 0, 1)) {
        (void)ckan_call_literal(r, reply);
        return;
    }
    json_object *sub = json_tokener_parse(PQgetvalue(res, 0, 1)), *v;
    arena_defer(r->a, put_json, sub);
    if (sub && json_object_object_get_ex(sub, "load", &v) && json_object_get_boolean(v))
        (void)ckan_xloader_start(r, sub, reply);
    else
        (void)ckan_call_literal(r, reply);
}

int ckan_url_write(struct req *r, json_object *p, const char *verb)
{
    arena_defer(r->a, put_json, p);
    const char **params = arena_alloc(r->a, 4 * sizeof(char *));
    params[0] = arena_strdup(r->a, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
    params[1] = ckan_config()->site_url;
    params[2] = ckan_auth_viewer(r);
    params[3] = verb;
    return req_db(r, &st_url_write, params, url_write_done);
}
