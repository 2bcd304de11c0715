/* hk_archive — the historical archive, GET /v1/historical-archive/{list-files,
 * list-file-versions, get-file, get-schema, get-data-dictionary} (docs/HK_API.md), over the
 * raw-file versions the loading library and uploads record, and the paths the redirects lead
 * to: files/{rid}/{sha256}/{name} (the exact stored bytes), bundles/{rid}/{YYYYMMDD}/{key}.zip
 * (a month's or a day's versions in one ZIP), both sent from disk (astore.c copies them out of
 * the database once; ETag, single byte ranges), and schemas/{rid}/{sha256}.json (the field list
 * of that version). Parameter syntax is checked here (hk_params.c); the rest is
 * sql/functions/24_hk_archive.sql. */
#include "hk_handlers.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "astore.h"
#include "db_pool.h"
#include "fsend.h"
#include "hk_params.h"
#include "hk_resp.h"
#include "log.h"
#include "req.h"
#include "resp.h"
#include "ustore.h"
#include "util.h"

#define LIST_MAX_DEFAULT 500
#define LIST_MAX 1000

static struct db_stmt st_list = {"hk_list_files", "SELECT hk_list_files($1::jsonb)", 1, 0};
static struct db_stmt st_versions = {"hk_list_file_versions",
                                     "SELECT hk_list_file_versions($1::jsonb)", 1, 0};
static struct db_stmt st_get_file = {"hk_get_file", "SELECT hk_get_file($1, $2)", 2, 0};
static struct db_stmt st_get_schema = {"hk_get_schema", "SELECT hk_get_schema($1, $2)", 2, 0};
static struct db_stmt st_get_dict = {"hk_get_data_dictionary",
                                     "SELECT hk_get_data_dictionary($1, $2)", 2, 0};
static struct db_stmt st_file = {"hk_archive_file", "SELECT hk_archive_file($1, $2)", 2, 0};
static struct db_stmt st_schema = {"hk_archive_schema", "SELECT hk_archive_schema($1, $2)", 2, 0};
static struct db_stmt st_get_bundle = {"hk_get_bundle", "SELECT hk_get_bundle($1, $2)", 2, 0};
static struct db_stmt st_bundle = {"hk_archive_bundle", "SELECT hk_archive_bundle($1, $2, $3)", 3,
                                   0};

void hk_archive_init(void)
{
    dbp_register(&st_list);
    dbp_register(&st_versions);
    dbp_register(&st_get_file);
    dbp_register(&st_get_schema);
    dbp_register(&st_get_dict);
    dbp_register(&st_file);
    dbp_register(&st_schema);
    dbp_register(&st_get_bundle);
    dbp_register(&st_bundle);
}

/* ---- parameters ------------------------------------------------------------------------- */

/* The one value of key: NULL (answered 400) when absent, given twice or empty. */
static const char *required(struct req *r, const char *key)
{
    int n = 0;
    const char *v = req_query_get(r, key, &n);
    if (!v || !*v)
        hk_resp_bad_param(r, "Missing", key);
    else if (n > 1)
        hk_resp_bad_param(r, "Invalid", key);
    else
        return v;
    return NULL;
}

/* An optional text: NULL when absent or empty; *bad (answered 400) when given twice. */
static const char *optional(struct req *r, const char *key, bool *bad)
{
    int n = 0;
    const char *v = req_query_get(r, key, &n);
    if (n > 1 && !*bad) {
        hk_resp_bad_param(r, "Invalid", key);
        *bad = true;
    }
    return v && *v ? v : NULL;
}

/* A required day (YYYYMMDD) from the archive's first day on, added to p as text. */
static bool day_param(struct req *r, const char *key, json_object *p)
{
    const char *s = required(r, key);
    int day;
    if (!s)
        return false;
    if (!hk_parse_day(s, &day) || day < HK_ARCHIVE_FIRST_DAY) {
        hk_resp_bad_param(r, "Invalid", key);
        return false;
    }
    json_object_object_add(p, key, json_object_new_string(s));
    return true;
}

static void put_json(void *o)
{
    json_object_put(o);
}

static json_object *new_params(struct req *r)
{
    json_object *p = json_object_new_object();
    arena_defer(r->a, put_json, p);
    return p;
}

static const char **jsonb_param(struct req *r, json_object *p)
{
    const char **params = arena_alloc(r->a, sizeof(char *));
    params[0] = arena_strdup(r->a, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
    return params;
}

/* A count parameter (digits, min..max), def when absent. */
static bool count_param(struct req *r, const char *key, long long min, long long max, long long def,
                        json_object *p, bool *bad)
{
    const char *s = optional(r, key, bad);
    long long v = def;
    if (*bad)
        return false;
    if (s && !hk_parse_count(s, min, max, &v)) {
        hk_resp_bad_param(r, "Invalid", key);
        return false;
    }
    json_object_object_add(p, key, json_object_new_int64(v));
    return true;
}

/* ---- list-files, list-file-versions ------------------------------------------------------- */

int hk_list_files(struct req *r)
{
    static const char *const texts[] = {"category", "provider", "format", "search"};
    json_object *p = new_params(r);
    bool bad = false;
    if (!day_param(r, "start", p) || !day_param(r, "end", p))
        return REQ_DONE;
    for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
        const char *v = optional(r, texts[i], &bad);
        if (bad)
            return REQ_DONE;
        if (v)
            json_object_object_add(p, texts[i], json_object_new_string(v));
    }
    const char *order = optional(r, "order", &bad);
    if (bad)
        return REQ_DONE;
    if (order && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)
        return hk_resp_bad_param(r, "Invalid", "order");
    if (order)
        json_object_object_add(p, "order", json_object_new_string(order));
    if (!count_param(r, "max", 1, LIST_MAX, LIST_MAX_DEFAULT, p, &bad) ||
        !count_param(r, "skip", 0, 1000000000000LL, 0, p, &bad))
        return REQ_DONE;
    return req_db(r, &st_list, jsonb_param(r, p), req_reply_json_cell);
}

int hk_list_file_versions(struct req *r)
{
    json_object *p = new_params(r);
    const char *url = required(r, "url");
    if (!url)
        return REQ_DONE;
    json_object_object_add(p, "url", json_object_new_string(url));
    if (!day_param(r, "start", p) || !day_param(r, "end", p))
        return REQ_DONE;
    return req_db(r, &st_versions, jsonb_param(r, p), req_reply_json_cell);
}

/* ---- get-file, get-schema, get-data-dictionary: 302 ---------------------------------------- */

/* The done callback of the get-* functions: {"location": path or URL} → 302 there. */
static void redirect(struct req *r, PGresult *res)
{
    json_object *o = NULL, *loc;
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        o = json_tokener_parse(PQgetvalue(res, 0, 0));
    if (!o || !json_object_object_get_ex(o, "location", &loc) ||
        !json_object_is_type(loc, json_type_string)) {
        json_object_put(o);
        resp_error(r, ERR_INTERNAL, NULL, "the archive's answer has no location");
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Location",
                      json_object_get_string(loc));
    json_object_put(o);
    req_finish(r, 302, NULL, evbuffer_new());
}

/* The statement parameters url, value. */
static const char **url_and(struct req *r, const char *url, const char *value)
{
    const char **params = arena_alloc(r->a, 2 * sizeof(char *));
    params[0] = url;
    params[1] = arena_strdup(r->a, value);
    return params;
}

int hk_get_file(struct req *r)
{
    const char *url = required(r, "url");
    if (!url)
        return REQ_DONE;
    int n = 0, day;
    const char *t = req_query_get(r, "time", &n);
    char canon[14];
    if (n == 1 && hk_parse_time(t, canon))
        return req_db(r, &st_get_file, url_and(r, url, canon), redirect);
    if (n == 1 && hk_parse_day(t, &day)) /* a day names a bundle: a month's or a day's ZIP */
        return req_db(r, &st_get_bundle, url_and(r, url, t), redirect);
    return hk_resp_bad_param(r, "Invalid", "time");
}

static int get_dated(struct req *r, const struct db_stmt *st)
{
    const char *url = required(r, "url");
    if (!url)
        return REQ_DONE;
    int n = 0, day;
    const char *d = req_query_get(r, "date", &n);
    if (n != 1 || !hk_parse_day(d, &day))
        return hk_resp_bad_param(r, "Invalid", "date");
    return req_db(r, st, url_and(r, url, d), redirect);
}

int hk_get_schema(struct req *r)
{
    return get_dated(r, &st_get_schema);
}

int hk_get_data_dictionary(struct req *r)
{
    return get_dated(r, &st_get_dict);
}

/* ---- the stored bytes, bundles and field lists ---------------------------------------------- */

/* A file being served: its ETag, type and recorded size. */
struct download {
    const char *etag, *type, *disposition;
    const char *key; /* a bundle's */
    int64_t size;    /* -1: not recorded (a bundle) */
};

static bool is_sha256(const char *s)
{
    return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* A large object's number (PostgreSQL's JSON writes an oid as a string); not JSON null. */
static bool is_oid(json_object *v)
{
    const char *s = v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
    return *s && strspn(s, "0123456789") == strlen(s);
}

static const char *content_type(const char *format)
{
    static const struct {
        const char *format, *type;
    } types[] = {
        {"csv", "text/csv; charset=utf-8"},
        {"json", "application/json"},
        {"xml", "application/xml"},
        {"zip", "application/zip"},
    };
    for (size_t i = 0; format && i < ARRAY_LEN(types); i++)
        if (strcmp(format, types[i].format) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static void header(struct req *r, const char *name, const char *value)
{
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), name, value);
}

static void unsatisfiable(struct req *r)
{
    char *text = xstrdup("{\"message\": \"Range Not Satisfiable\"}");
    resp_send(r, 416, text, strlen(text));
}

/* 304 when the client holds this representation; the headers it needs either way. */
static bool not_modified(struct req *r, const struct download *d)
{
    header(r, "Cache-Control", "public, max-age=31536000, immutable"); /* content-addressed */
    const char *inm = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "If-None-Match");
    if (!inm || !util_etag_listed(inm, d->etag))
        return false;
    header(r, "ETag", d->etag);
    req_finish(r, 304, NULL, evbuffer_new());
    return true;
}

/* Send the file at path (the archive's copy, or an upload's file). */
static void serve_path(struct req *r, const struct download *d, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || (d->size >= 0 && st.st_size != d->size)) {
        log_error("archive: %s is missing or not as recorded", path);
        if (fd >= 0)
            close(fd);
        resp_error(r, ERR_INTERNAL, NULL, "the stored file is not as recorded");
        return;
    }
    fsend_file(r, fd, (uint64_t)st.st_size, d->etag, d->type, d->disposition, unsatisfiable);
}

/* The archive's copy is on disk (or could not be made). */
static void copy_ready(struct req *r, const char *path, const char *error)
{
    if (!path) {
        log_error("archive: %s", error);
        resp_error(r, ERR_UNAVAILABLE, NULL, "the archived file cannot be read now: %s", error);
        return;
    }
    serve_path(r, r->data, path);
}

/* The version's row: 304, or the bytes, copied out of the database first when needed. */
static void file_done(struct req *r, PGresult *res)
{
    struct download *d = r->data;
    json_object *o = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)
                         ? json_tokener_parse(PQgetvalue(res, 0, 0))
                         : NULL,
                *v;
    arena_defer(r->a, put_json, o);
    const char *oid = o && json_object_object_get_ex(o, "oid", &v) && is_oid(v)
                          ? json_object_get_string(v)
                          : NULL;
    d->size = o && json_object_object_get_ex(o, "size", &v) ? json_object_get_int64(v) : -1;
    d->type = content_type(
        o && json_object_object_get_ex(o, "format", &v) ? json_object_get_string(v) : NULL);
    if (!o || d->size < 0) {
        resp_error(r, ERR_INTERNAL, NULL, "the archive's file record is not readable");
        return;
    }
    if (not_modified(r, d))
        return;
    const char *rid = req_path_param(r, 0), *hash = req_path_param(r, 1);
    if (!oid) { /* an upload's version: the upload store holds its bytes */
        char *path = ustore_path(rid, hash);
        arena_defer(r->a, free, path);
        serve_path(r, d, path);
        return;
    }
    astore_file(r, oid, hash, d->size, copy_ready);
}

int hk_archive_download(struct req *r)
{
    const char *rid = req_path_param(r, 0), *hash = req_path_param(r, 1);
    if (!is_sha256(hash)) {
        resp_error(r, ERR_NOT_FOUND, NULL, "Not Found");
        return REQ_DONE;
    }
    struct download *d = arena_alloc(r->a, sizeof(*d));
    *d = (struct download){.etag = arena_printf(r->a, "\"%s\"", hash)};
    r->data = d;
    const char **params = arena_alloc(r->a, 2 * sizeof(char *));
    params[0] = rid;
    params[1] = hash;
    return req_db(r, &st_file, params, file_done);
}

/* One member of a bundle from its JSON, into m; false when the record is not readable. */
static bool bundle_member(struct req *r, json_object *e, struct astore_member *m)
{
    json_object *v;
    const char *rid = req_path_param(r, 0);
    memset(m, 0, sizeof(*m));
    if (!json_object_object_get_ex(e, "name", &v) || !(m->name = json_object_get_string(v)) ||
        !json_object_object_get_ex(e, "size", &v) || (m->size = json_object_get_int64(v)) < 0 ||
        !json_object_object_get_ex(e, "mtime", &v))
        return false;
    m->mtime = (time_t)json_object_get_int64(v);
    if (json_object_object_get_ex(e, "oid", &v) && is_oid(v)) {
        m->oid = json_object_get_string(v);
        return true;
    }
    if (!json_object_object_get_ex(e, "hash", &v) || !is_sha256(json_object_get_string(v)))
        return false;
    char *path = ustore_path(rid, json_object_get_string(v));
    arena_defer(r->a, free, path);
    m->path = path;
    return true;
}

/* The bundle's members: 304, or its ZIP, made first when needed. */
static void bundle_done(struct req *r, PGresult *res)
{
    struct download *d = r->data;
    json_object *o = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)
                         ? json_tokener_parse(PQgetvalue(res, 0, 0))
                         : NULL,
                *list;
    arena_defer(r->a, put_json, o);
    size_t n = o && json_object_object_get_ex(o, "members", &list) &&
                       json_object_is_type(list, json_type_array)
                   ? json_object_array_length(list)
                   : 0;
    struct astore_member *m = arena_alloc(r->a, sizeof(*m) * (n ? n : 1));
    bool ok = n > 0 && n <= INT32_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = bundle_member(r, json_object_array_get_idx(list, i), &m[i]);
    if (!ok) {
        resp_error(r, ERR_INTERNAL, NULL, "the archive's bundle record is not readable");
        return;
    }
    if (!not_modified(r, d))
        astore_bundle(r, d->key, m, (int)n, copy_ready);
}

int hk_archive_bundle(struct req *r)
{
    const char *rid = req_path_param(r, 0), *day = req_path_param(r, 1);
    const char *file = req_path_param(r, 2);
    int d8;
    size_t n = strlen(file);
    char *key = arena_strdup(r->a, file);
    if (!hk_parse_day(day, &d8) || n != 68 || strcmp(file + 64, ".zip") != 0 ||
        (key[64] = '\0', !is_sha256(key))) {
        resp_error(r, ERR_NOT_FOUND, NULL, "Not Found");
        return REQ_DONE;
    }
    struct download *d = arena_alloc(r->a, sizeof(*d));
    *d = (struct download){.etag = arena_printf(r->a, "\"%s\"", key),
                           .type = "application/zip",
                           .key = key,
                           .size = -1};
    r->data = d;
    const char **params = arena_alloc(r->a, 3 * sizeof(char *));
    params[0] = rid;
    params[1] = day;
    params[2] = key;
    return req_db(r, &st_bundle, params, bundle_done);
}

int hk_archive_schema(struct req *r)
{
    const char *rid = req_path_param(r, 0), *file = req_path_param(r, 1);
    size_t n = strlen(file);
    char *hash = arena_strdup(r->a, file);
    if (n != 69 || strcmp(file + 64, ".json") != 0 || (hash[64] = '\0', !is_sha256(hash))) {
        resp_error(r, ERR_NOT_FOUND, NULL, "Not Found");
        return REQ_DONE;
    }
    const char **params = arena_alloc(r->a, 2 * sizeof(char *));
    params[0] = rid;
    params[1] = hash;
    return req_db(r, &st_schema, params, req_reply_json_cell);
}
