/* hk_archive — the historical archive, GET /v1/historical-archive/{list-files,
 * list-file-versions, get-file, get-schema, get-data-dictionary} (docs/HK_API.md), over the
 * raw-file versions the loading library records, and the two paths the redirects lead to:
 * files/{rid}/{sha256}/{name} (the exact stored bytes: ETag, single byte ranges) and
 * schemas/{rid}/{sha256}.json (the field list of that version). Parameter syntax is checked
 * here (hk_params.c); the rest is sql/functions/24_hk_archive.sql. */
#include "hk_handlers.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db_pool.h"
#include "hk_params.h"
#include "req.h"
#include "resp.h"
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
static struct db_stmt st_bytes = {"hk_archive_bytes",
                                  "SELECT lo_get($1::oid, $2::bigint, $3::int)", 3, 0};

void hk_archive_init(void)
{
    dbp_register(&st_list);
    dbp_register(&st_versions);
    dbp_register(&st_get_file);
    dbp_register(&st_get_schema);
    dbp_register(&st_get_dict);
    dbp_register(&st_file);
    dbp_register(&st_schema);
    dbp_register(&st_bytes);
}

/* ---- parameters ------------------------------------------------------------------------- */

/* The one value of key: NULL (answered 400) when absent, given twice or empty. */
static const char *required(struct req *r, const char *key)
{
    int n = 0;
    const char *v = req_query_get(r, key, &n);
    if (!v || !*v)
        hk_bad_param(r, "Missing", key);
    else if (n > 1)
        hk_bad_param(r, "Invalid", key);
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
        hk_bad_param(r, "Invalid", key);
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
        hk_bad_param(r, "Invalid", key);
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
static bool count_param(struct req *r, const char *key, long long min, long long max,
                        long long def, json_object *p, bool *bad)
{
    const char *s = optional(r, key, bad);
    long long v = def;
    if (*bad)
        return false;
    if (s && !hk_parse_count(s, min, max, &v)) {
        hk_bad_param(r, "Invalid", key);
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
        return hk_bad_param(r, "Invalid", "order");
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
    if (n == 1 && hk_parse_day(t, &day)) {
        /* a day is the name of a bundle (DATA.GOV.HK's monthly and daily ZIPs): none is made */
        resp_error(r, ERR_NOT_FOUND, NULL, "Not Found");
        return REQ_DONE;
    }
    return hk_bad_param(r, "Invalid", "time");
}

static int get_dated(struct req *r, const struct db_stmt *st)
{
    const char *url = required(r, "url");
    if (!url)
        return REQ_DONE;
    int n = 0, day;
    const char *d = req_query_get(r, "date", &n);
    if (n != 1 || !hk_parse_day(d, &day))
        return hk_bad_param(r, "Invalid", "date");
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

/* ---- the stored bytes and field lists ------------------------------------------------------ */

struct download {
    char etag[70];      /* "\"<sha256>\"" */
    const char *type;   /* Content-Type by the version's format */
    int64_t size, first, last;
    bool partial;
};

static bool is_sha256(const char *s)
{
    return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static const char *content_type(const char *format)
{
    static const struct { const char *format, *type; } types[] = {
        {"csv", "text/csv; charset=utf-8"}, {"json", "application/json"},
        {"xml", "application/xml"}, {"zip", "application/zip"},
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

static void free_bytes(const void *data, size_t len, void *arg)
{
    (void)len, (void)arg;
    PQfreemem((void *)data);
}

/* The headers of a version's bytes (set just before its reply: an error answered instead
 * carries none of them). */
static void version_headers(struct req *r, const struct download *d, bool body)
{
    header(r, "ETag", d->etag);
    header(r, "Accept-Ranges", "bytes");
    header(r, "Cache-Control", "public, max-age=31536000, immutable"); /* content-addressed */
    if (!body)
        return;
    header(r, "Content-Length", arena_printf(r->a, "%" PRId64, d->last - d->first + 1));
    if (d->partial)
        header(r, "Content-Range", arena_printf(r->a, "bytes %" PRId64 "-%" PRId64 "/%" PRId64,
                                                d->first, d->last, d->size));
}

/* The bytes of the range asked for: the reply. */
static void bytes_done(struct req *r, PGresult *res)
{
    struct download *d = r->data;
    size_t n = 0;
    unsigned char *bytes = NULL;
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 0), &n);
    if (!bytes || (int64_t)n != d->last - d->first + 1) {
        if (bytes)
            PQfreemem(bytes);
        resp_error(r, ERR_INTERNAL, NULL, "the stored file is not as recorded");
        return;
    }
    version_headers(r, d, true);
    struct evbuffer *body = evbuffer_new();
    evbuffer_add_reference(body, bytes, n, free_bytes, NULL);
    req_finish(r, d->partial ? 206 : 200, d->type, body);
}

/* Whether a Range applies: no If-Range, or one naming this version's ETag. */
static bool range_applies(struct req *r, const struct download *d)
{
    const char *if_range = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "If-Range");
    return !if_range || strcmp(if_range, d->etag) == 0;
}

/* The version's row: answer 304 or 416 at once, or read the bytes asked for. */
static void file_done(struct req *r, PGresult *res)
{
    struct download *d = r->data;
    json_object *o = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)
                         ? json_tokener_parse(PQgetvalue(res, 0, 0)) : NULL, *v;
    const char *oid =
        o && json_object_object_get_ex(o, "oid", &v) ? json_object_get_string(v) : NULL;
    d->size = o && json_object_object_get_ex(o, "size", &v) ? json_object_get_int64(v) : -1;
    d->type = content_type(o && json_object_object_get_ex(o, "format", &v)
                               ? json_object_get_string(v) : NULL);
    oid = oid ? arena_strdup(r->a, oid) : NULL;
    json_object_put(o);
    if (!oid || d->size < 0 || d->size > INT32_MAX) {
        resp_error(r, ERR_INTERNAL, NULL, "the archive's file record is not readable");
        return;
    }
    struct evkeyvalq *in = evhttp_request_get_input_headers(r->ev);
    const char *inm = evhttp_find_header(in, "If-None-Match");
    if (inm && util_etag_listed(inm, d->etag)) {
        version_headers(r, d, false);
        req_finish(r, 304, NULL, evbuffer_new());
        return;
    }
    d->first = 0;
    d->last = d->size - 1;
    if (range_applies(r, d)) {
        switch (hk_parse_range(evhttp_find_header(in, "Range"), d->size, &d->first, &d->last)) {
        case HK_RANGE_OK:
            d->partial = true;
            break;
        case HK_RANGE_UNSATISFIABLE:
            header(r, "Content-Range", arena_printf(r->a, "bytes */%" PRId64, d->size));
            char *text = xstrdup("{\"message\": \"Range Not Satisfiable\"}");
            resp_send(r, 416, text, strlen(text));
            return;
        case HK_RANGE_NONE:
            break;
        }
    }
    if (d->size == 0 || r->method == M_HEAD) {
        version_headers(r, d, true);
        req_finish(r, d->partial ? 206 : 200, d->type, evbuffer_new());
        return;
    }
    const char **params = arena_alloc(r->a, 3 * sizeof(char *));
    params[0] = oid;
    params[1] = arena_printf(r->a, "%" PRId64, d->first);
    params[2] = arena_printf(r->a, "%" PRId64, d->last - d->first + 1);
    (void)!req_db(r, &st_bytes, params, bytes_done); /* REQ_DONE: answered already (503) */
}

int hk_archive_download(struct req *r)
{
    const char *rid = req_path_param(r, 0), *hash = req_path_param(r, 1);
    if (!is_sha256(hash)) {
        resp_error(r, ERR_NOT_FOUND, NULL, "Not Found");
        return REQ_DONE;
    }
    struct download *d = arena_alloc(r->a, sizeof(*d));
    memset(d, 0, sizeof(*d));
    snprintf(d->etag, sizeof(d->etag), "\"%s\"", hash);
    r->data = d;
    const char **params = arena_alloc(r->a, 2 * sizeof(char *));
    params[0] = rid;
    params[1] = hash;
    return req_db(r, &st_file, params, file_done);
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
