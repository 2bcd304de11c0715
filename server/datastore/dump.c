/* dump — Taiwan endpoint 8 (cached zip files) and CKAN /datastore/dump (streams). */
#include "dump.h"

#include <dirent.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_resp.h"
#include "config.h"
#include "db_pool.h"
#include "dump_fmt.h"
#include "dump_src.h"
#include "dump_stream.h"
#include "dump_worker.h"
#include "log.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "sqlbuild.h"
#include "tw_rest.h"
#include "util.h"
#include "valid.h"
#include "zipw.h"

#define FILL_BYTES (256 * 1024)      /* rows formatted per zip write */
#define BUILD_TURN_BYTES (8 << 20)   /* a build's share of a worker before it queues again */
#define STOP_WAIT_MS 10000           /* graceful stop: as long as the loops wait for requests */
#define ABORT_WAIT_MS 1000
#define ZIP_TYPE "application/zip"

static struct {
    char *dir;
    int zip_level;
    pthread_mutex_t mu;      /* the fields below */
    struct build *builds;    /* in progress or pending, each with its waiting requests */
    struct build *pending;   /* not started: at most max_open builds hold a connection */
    int open, max_open;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER};

static struct db_stmt st_meta = {
    "dump_meta",
    "SELECT data_version, (extract(epoch FROM modified) * 1000000)::int8 FROM ds_table($1)", 1,
    0};

/* ---- shared ---------------------------------------------------------------------------------- */

const char *dump_dir(void)
{
    return g.dir;
}

bool dump_init(const struct config *cfg, char **err)
{
    g.dir = *cfg->dump_dir ? xstrdup(cfg->dump_dir)
                           : util_share_dir("OPENDATAD_DUMP_DIR", "var/cache/dumps");
    if (!zipw_prepare_dir(g.dir, err))
        return false;
    char *real = realpath(g.dir, NULL);
    if (real) {
        free(g.dir);
        g.dir = real;
    }
    g.zip_level = cfg->dump_zip_level;
    g.max_open = cfg->dump_workers;
    dstream_init(cfg->dump_streams_max);
    dbp_register(&st_meta);
    struct dw_options o = {cfg_db_direct(cfg), cfg->dump_workers, cfg->statement_timeout,
                           cfg->connect_timeout, cfg_db_direct_pooled(cfg)};
    if (!dw_start(&o, err))
        return false;
    log_debug("dump files in %s", g.dir);
    return true;
}

void dump_shutdown(void)
{
    dw_shutdown(STOP_WAIT_MS, ABORT_WAIT_MS);
}

/* ---- Taiwan: cache files --------------------------------------------------------------------- */

struct tw_format {
    const char *name;
    enum dfmt_kind kind;
    bool bom;
};

static const struct tw_format tw_formats[] = {
    {"csv", DFMT_TW_CSV, true},
    {"json", DFMT_TW_JSON, false},
    {"xml", DFMT_TW_XML, false},
};

/* One version of one dump. */
struct dver {
    long long v, mod_us;
    const struct tw_format *fmt;
};

/* The format parameter (csv when absent); NULL when it is none of ours. */
static const struct tw_format *tw_format_of(const char *v)
{
    for (size_t i = 0; i < ARRAY_LEN(tw_formats); i++)
        if (!v || strcmp(v, tw_formats[i].name) == 0)
            return &tw_formats[i];
    return NULL;
}

/* The resource id as a file name: itself when plain, else h~ + its 64-bit FNV-1a hash. */
static char *safe_name(const char *rid)
{
    size_t n = strlen(rid);
    bool plain = n > 0 && n <= 100 && rid[0] != '.' && strspn(rid, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                   "abcdefghijklmnopqrstuvwxyz"
                                                                   "0123456789_.-") == n;
    if (plain)
        return xstrdup(rid);
    unsigned long long h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)rid; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return xasprintf("h~%016llx", h); /* "~" never appears in a plain name */
}

/* {dir}/{safe rid}.{data_version}.{modified µs}.{format}.zip */
static char *cache_path(const char *rid, const struct dver *d)
{
    char *safe = safe_name(rid);
    char *p = xasprintf("%s/%s.%lld.%lld.%s.zip", g.dir, safe, d->v, d->mod_us, d->fmt->name);
    free(safe);
    return p;
}

/* Delete the other versions of this dump: older data versions, or the same version of another
 * database (a different modified time). */
static void remove_old(const char *rid, const struct dver *d)
{
    DIR *dir = opendir(g.dir);
    if (!dir)
        return;
    char *safe = safe_name(rid);
    size_t pl = strlen(safe);
    struct dirent *e;
    while ((e = readdir(dir))) {
        long long v, mod;
        char fmt[8];
        int used = -1;
        if (strncmp(e->d_name, safe, pl) != 0 || e->d_name[pl] != '.' ||
            sscanf(e->d_name + pl + 1, "%lld.%lld.%7[a-z].zip%n", &v, &mod, fmt, &used) != 3 ||
            used < 0 || e->d_name[pl + 1 + used] != '\0' || strcmp(fmt, d->fmt->name) != 0)
            continue;
        if (v < d->v || (v == d->v && mod != d->mod_us))
            unlinkat(dirfd(dir), e->d_name, 0);
    }
    free(safe);
    closedir(dir);
}

/* The name of the entry inside the zip: {rid}.{ext}, without path separators. */
static char *entry_name(const char *rid, const char *ext)
{
    char *s = xasprintf("%s.%s", rid, ext);
    for (char *p = s; *p; p++)
        if (*p == '/' || *p == '\\')
            *p = '_';
    return s;
}

/* ---- Taiwan: conditional requests and serving ----------------------------------------------- */

static const char *etag_of(struct req *r, const struct dver *d)
{
    return arena_printf(r->a, "\"%llx-%llx-%s\"", d->v, d->mod_us, d->fmt->name);
}

/* If-None-Match (preferred) or If-Modified-Since says the client's copy is current. */
static bool not_modified(struct req *r, const struct dver *d)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(r->ev);
    const char *inm = evhttp_find_header(h, "If-None-Match");
    if (inm)
        return util_etag_listed(inm, etag_of(r, d));
    const char *ims = evhttp_find_header(h, "If-Modified-Since");
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = ims ? strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;
    return end && *end == '\0' && d->mod_us / 1000000 <= (long long)timegm(&tm);
}

static void version_headers(struct req *r, const struct dver *d)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    time_t t = (time_t)(d->mod_us / 1000000);
    struct tm tm;
    char date[64];
    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    evhttp_add_header(h, "ETag", etag_of(r, d));
    evhttp_add_header(h, "Last-Modified", date);
}

/* Send the cached zip; false (nothing sent) when the file is not there. */
static bool serve_file(struct req *r, const char *rid, const struct dver *d, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (e == ENOENT)
            return false;
        resp_error(r, ERR_INTERNAL, NULL, "cannot read the dump file: %s", strerror(e));
        return true;
    }
    struct evbuffer *body = evbuffer_new();
    evbuffer_set_flags(body, EVBUFFER_FLAG_DRAINS_TO_FD); /* lets libevent use sendfile */
    if (evbuffer_add_file(body, fd, 0, st.st_size) != 0) {
        close(fd);
        evbuffer_free(body);
        resp_error(r, ERR_INTERNAL, NULL, "cannot send the dump file");
        return true;
    }
    version_headers(r, d);
    dstream_attachment(r, arena_printf(r->a, "%s.zip", rid));
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Content-Length",
                      arena_printf(r->a, "%lld", (long long)st.st_size)); /* HEAD too */
    req_finish(r, 200, ZIP_TYPE, body);
    return true;
}

/* ---- Taiwan: builds (worker side) ------------------------------------------------------------ */

/* A request waiting for a build; allocated in its arena, its event on its thread's loop. */
struct waiter {
    struct req *r;
    struct event *ev;
    struct waiter *next;
    bool ok;
    enum err_kind kind;
    char *msg, *path; /* malloc'd results */
    struct dver d;    /* the version built */
};

struct build {
    struct dw_task task; /* first: the worker's handle */
    struct build *next;
    struct build *next_pending;
    char *key;           /* the cache path the requests expect */
    char *rid;
    const struct tw_format *fmt;
    struct waiter *waiters;
    /* worker side */
    struct dsrc *src;
    struct dfmt df;
    struct dsrc_meta meta;
    struct zipw *zw;
    struct sbuf buf;
    char *path;          /* the file this build writes */
    int64_t t0;
};

static void build_run(struct dw_task *t);

static struct build *build_new(const char *rid, const struct tw_format *fmt, const char *key)
{
    struct build *b = xcalloc(1, sizeof(*b));
    b->task.run = build_run;
    b->key = xstrdup(key);
    b->rid = xstrdup(rid);
    b->fmt = fmt;
    return b;
}

/* Start b now, or queue it while max_open builds run (each holds a connection and a
 * transaction across its turns). Called with g.mu held; returns whether to submit it. */
static bool build_admit(struct build *b)
{
    if (g.open < g.max_open) {
        g.open++;
        return true;
    }
    struct build **pp = &g.pending;
    while (*pp)
        pp = &(*pp)->next_pending;
    *pp = b;
    return false;
}

/* Hand the outcome to every waiting request, forget the build and start a pending one. */
static void build_done(struct build *b, bool ok, enum err_kind kind, const char *msg)
{
    pthread_mutex_lock(&g.mu);
    for (struct build **pp = &g.builds; *pp; pp = &(*pp)->next)
        if (*pp == b) {
            *pp = b->next;
            break;
        }
    struct build *start = g.pending;
    if (start)
        g.pending = start->next_pending;
    else
        g.open--;
    struct waiter *next;
    for (struct waiter *w = b->waiters; w; w = next) {
        next = w->next;
        w->ok = ok;
        w->kind = kind;
        w->msg = msg ? xstrdup(msg) : NULL;
        w->path = ok ? xstrdup(b->path) : NULL;
        w->d = (struct dver){b->meta.data_version, b->meta.modified_us, b->fmt};
        event_active(w->ev, 0, 0); /* the request may be gone once this returns */
    }
    pthread_mutex_unlock(&g.mu);
    dfmt_free(&b->df);
    sbuf_free(&b->buf);
    free(b->key);
    free(b->rid);
    free(b->path);
    free(b);
    dw_job_end();
    if (start)
        dw_submit(&start->task);
}

static void build_fail(struct build *b, struct dsrc_err *de, char *err)
{
    enum err_kind kind = de && de->message ? dsrc_err_kind(de) : ERR_INTERNAL;
    const char *why = de && de->message ? de->message : err ? err : "unknown error";
    char *msg;
    if (kind == ERR_NOT_FOUND)
        msg = xasprintf("找不到資料: %s", why);
    else
        msg = xasprintf("the dump could not be built: %s", why);
    if (kind != ERR_NOT_FOUND)
        log_error("dump: building %s (%s) failed: %s", b->rid, b->fmt->name, why);
    zipw_abort(b->zw);
    dsrc_close(b->src);
    build_done(b, false, kind, msg);
    free(msg);
    free(err);
    if (de)
        dsrc_err_clear(de);
}

static bool build_start(struct build *b, struct dsrc_err *de, char **err)
{
    struct dsrc_query q = {.rid = b->rid};
    b->t0 = util_now_us();
    b->src = dsrc_open(&q, b->fmt->kind, b->fmt->bom, &b->df, &b->meta, de);
    if (!b->src)
        return false;
    struct dver d = {b->meta.data_version, b->meta.modified_us, b->fmt};
    b->path = cache_path(b->rid, &d);
    char *entry = entry_name(b->rid, b->fmt->name);
    b->zw = zipw_open(g.dir, entry, g.zip_level, (time_t)(b->meta.modified_us / 1000000), err);
    free(entry);
    if (!b->zw)
        return false;
    dfmt_head(&b->df, &b->buf);
    return true;
}

static void build_commit(struct build *b)
{
    char *err = NULL;
    dsrc_close(b->src);
    b->src = NULL;
    struct zipw *zw = b->zw;
    b->zw = NULL;
    if (!zipw_commit(zw, b->path, &err)) {
        build_fail(b, NULL, err);
        return;
    }
    struct dver d = {b->meta.data_version, b->meta.modified_us, b->fmt};
    remove_old(b->rid, &d);
    struct stat st;
    long long size = stat(b->path, &st) == 0 ? (long long)st.st_size : -1;
    log_info("dump: built %s (%llu rows, %lld bytes) in %lld ms", b->path,
             (unsigned long long)b->df.rows, size, (long long)(util_now_us() - b->t0) / 1000);
    build_done(b, true, ERR_INTERNAL, NULL);
}

/* One turn of a build: rows → format → deflate → file, then queue again (other dumps get the
 * worker in between) or finish. */
static void build_run(struct dw_task *t)
{
    struct build *b = (struct build *)t;
    struct dsrc_err de = {0};
    char *err = NULL;
    if (!b->src && !build_start(b, &de, &err)) {
        build_fail(b, &de, err);
        return;
    }
    for (size_t turn = 0; turn < BUILD_TURN_BYTES;) {
        if (dw_aborting()) {
            build_fail(b, NULL, xstrdup("the server is stopping"));
            return;
        }
        int rc = dsrc_fill(b->src, &b->df, &b->buf, FILL_BYTES, &de);
        if (rc == 0)
            dfmt_tail(&b->df, &b->buf);
        if (rc < 0 || !zipw_write(b->zw, b->buf.p, b->buf.len, &err)) {
            build_fail(b, rc < 0 ? &de : NULL, err);
            return;
        }
        turn += b->buf.len;
        b->buf.len = 0;
        if (rc == 0) {
            build_commit(b);
            return;
        }
    }
    dw_submit(t);
}

/* ---- Taiwan: the handler (loop side) --------------------------------------------------------- */

/* A build finished: serve its file or its error. */
static void tw_on_built(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct waiter *w = arg;
    struct req *r = w->r;
    char *msg = w->msg, *path = w->path;
    struct dver d = w->d;
    event_free(w->ev);
    if (!w->ok)
        resp_error(r, w->kind, NULL, "%s", msg);
    else if (!serve_file(r, req_path_param(r, 0), &d, path))
        resp_error(r, ERR_UNAVAILABLE, NULL, "the dump was replaced meanwhile, try again");
    free(msg);
    free(path);
}

/* Wait for the build of path, starting it unless one is under way. */
static void tw_wait_build(struct req *r, const char *rid, const struct dver *d, const char *path)
{
    if (dw_stopping()) {
        resp_error(r, ERR_UNAVAILABLE, NULL, "the server is stopping");
        return;
    }
    struct waiter *w = arena_alloc(r->a, sizeof(*w));
    memset(w, 0, sizeof(*w));
    w->r = r;
    w->ev = event_new(r->thr->base, -1, 0, tw_on_built, w);
    bool start = false;
    pthread_mutex_lock(&g.mu);
    struct build *b = g.builds;
    while (b && strcmp(b->key, path) != 0)
        b = b->next;
    if (!b && access(path, F_OK) != 0) { /* built just now? a build renames before it leaves */
        b = build_new(rid, d->fmt, path);
        b->next = g.builds;
        g.builds = b;
        dw_job_begin();
        start = build_admit(b);
    }
    if (b) {
        w->next = b->waiters;
        b->waiters = w;
    }
    pthread_mutex_unlock(&g.mu);
    if (!b) {
        event_free(w->ev);
        if (!serve_file(r, rid, d, path))
            resp_error(r, ERR_UNAVAILABLE, NULL, "the dump was replaced, try again");
    } else if (start) {
        dw_submit(&b->task);
    }
}

static void tw_meta_done(struct req *r, PGresult *res)
{
    struct dver d = {atoll(PQgetvalue(res, 0, 0)), atoll(PQgetvalue(res, 0, 1)),
                     tw_format_of(req_query_get(r, "format", NULL))};
    const char *rid = req_path_param(r, 0);
    if (not_modified(r, &d)) {
        version_headers(r, &d);
        req_finish(r, 304, NULL, evbuffer_new());
        return;
    }
    char *path = cache_path(rid, &d);
    arena_defer(r->a, free, path);
    if (!serve_file(r, rid, &d, path))
        tw_wait_build(r, rid, &d, path);
}

int dump_tw(struct req *r)
{
    static const char *const names[] = {"format", NULL};
    if (!tw_check_names(r, names))
        return REQ_DONE;
    const char *f = req_query_get(r, "format", NULL);
    if (!tw_format_of(f)) {
        resp_error(r, ERR_PARAM_VALUE, NULL,
                   "輸入的參數內容格式錯誤: format must be one of csv, json or xml, got \"%s\"", f);
        return REQ_DONE;
    }
    const char **p = arena_alloc(r->a, sizeof(char *));
    p[0] = req_path_param(r, 0);
    return req_db(r, &st_meta, p, tw_meta_done);
}

/* ---- CKAN: parameters ------------------------------------------------------------------------ */

struct ckan_format {
    const char *name, *ctype;
    enum dfmt_kind kind;
};

static const struct ckan_format ckan_formats[] = {
    {"csv", "text/csv; charset=utf-8", DFMT_CKAN_CSV},
    {"tsv", "text/tab-separated-values; charset=utf-8", DFMT_CKAN_TSV},
    {"json", "application/json; charset=utf-8", DFMT_CKAN_JSON},
    {"xml", "text/xml; charset=utf-8", DFMT_CKAN_XML},
};

struct ckan_params {
    const struct ckan_format *fmt;
    bool bom;
    struct dsrc_query q;
};

static bool ckan_bad(struct req *r, const char *name, const char *what, const char *v)
{
    ckan_resp_invalid(r, name, arena_printf(r->a, "%s, got \"%s\"", what, v));
    return false;
}

/* CKAN's boolean_validator: true, yes, t, y, 1 (any case) are true, everything else false. */
static bool ckan_bool(const char *v)
{
    static const char *const yes[] = {"true", "yes", "t", "y", "1"};
    for (size_t i = 0; v && i < ARRAY_LEN(yes); i++)
        if (strcasecmp(v, yes[i]) == 0)
            return true;
    return false;
}

static bool ckan_uint(struct req *r, const char *name, const char **out)
{
    const char *v = req_query_get(r, name, NULL);
    long long n;
    *out = NULL;
    if (!v)
        return true;
    if (!valid_uint(v, LLONG_MAX / 4, &n))
        return ckan_bad(r, name, "must be a non-negative integer", v);
    *out = arena_printf(r->a, "%lld", n);
    return true;
}

static const char *json_text(struct req *r, json_object *o)
{
    const char *s = arena_strdup(
        r->a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

/* filters: a JSON object of field → value or list of values. */
static bool ckan_filters(struct req *r, const char **out)
{
    const char *v = req_query_get(r, "filters", NULL);
    *out = NULL;
    if (!v)
        return true;
    json_object *o = valid_json_scalars(v, true);
    if (!o) {
        return ckan_bad(r, "filters", "must be a JSON object of field names to values or lists "
                                      "of values", v);
    }
    *out = json_text(r, o);
    return true;
}

/* q: a string searched in every field, or a JSON object {field: text}. */
static bool ckan_q(struct req *r, const char **out)
{
    const char *v = req_query_get(r, "q", NULL);
    *out = NULL;
    if (!v || !*v)
        return true;
    json_object *o = v[0] != '{' ? json_object_new_string(v) : valid_json_scalars(v, false);
    if (!o)
        return ckan_bad(r, "q", "must be text or a JSON object of field names to text", v);
    if (sqlb_q_too_long(o)) {
        json_object_put(o);
        ckan_resp_invalid(r, "q", arena_printf(r->a, "Longer than %d characters",
                                               SQLB_Q_MAX_CHARS));
        return false;
    }
    *out = json_text(r, o);
    return true;
}

/* fields or sort: comma-separated items (spaces around them ignored) → a JSON array. */
static bool ckan_list(struct req *r, const char *name, bool unique, const char **out)
{
    const char *v = req_query_get(r, name, NULL);
    *out = NULL;
    if (!v)
        return true;
    json_object *arr = json_object_new_array();
    for (const char *p = v;; p++) {
        size_t n = strcspn(p, ",");
        const char *s = p, *e = p + n;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        bool dup = false;
        for (size_t i = 0; unique && i < json_object_array_length(arr); i++) {
            const char *x = json_object_get_string(json_object_array_get_idx(arr, i));
            dup = dup || (strlen(x) == (size_t)(e - s) && memcmp(x, s, (size_t)(e - s)) == 0);
        }
        if (e == s || dup) {
            json_object_put(arr);
            return ckan_bad(r, name, dup ? "names a field twice" : "has an empty item", v);
        }
        json_object_array_add(arr, json_object_new_string_len(s, (int)(e - s)));
        p += n;
        if (!*p)
            break;
    }
    *out = json_text(r, arr);
    return true;
}

static bool ckan_params(struct req *r, struct ckan_params *p)
{
    const char *f = req_query_get(r, "format", NULL);
    memset(p, 0, sizeof(*p));
    for (size_t i = 0; i < ARRAY_LEN(ckan_formats); i++)
        if (strcmp(f ? f : "csv", ckan_formats[i].name) == 0)
            p->fmt = &ckan_formats[i];
    if (!p->fmt)
        return ckan_bad(r, "format", "must be one of csv, tsv, json, xml", f);
    p->bom = ckan_bool(req_query_get(r, "bom", NULL));
    p->q.distinct = ckan_bool(req_query_get(r, "distinct", NULL));
    p->q.rid = req_path_param(r, 0);
    return ckan_uint(r, "limit", &p->q.limit) && ckan_uint(r, "offset", &p->q.offset) &&
           ckan_filters(r, &p->q.filters) && ckan_q(r, &p->q.q) &&
           ckan_list(r, "fields", true, &p->q.fields) && ckan_list(r, "sort", false, &p->q.sort);
}

static int dump_ckan_run(struct req *r)
{
    struct ckan_params p;
    if (!ckan_params(r, &p))
        return REQ_DONE;
    p.q.viewer = ckan_auth_viewer(r);
    struct dstream_spec spec = {&p.q, p.fmt->kind, p.bom, p.fmt->ctype,
                                arena_printf(r->a, "%s.%s", p.q.rid, p.fmt->name)};
    return dstream_start(r, &spec);
}

int dump_ckan(struct req *r)
{
    r->action = "datastore_search";
    return ckan_auth_then(r, dump_ckan_run);
}
