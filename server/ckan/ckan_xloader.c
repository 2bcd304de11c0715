/* ckan_xloader — XLoader's actions: xloader_submit queues a DataStore load of a resource's
 * uploaded file, or of the file at its URL (fetched on the loading thread first: url_fetch.h,
 * within the --xloader-* limits), on ds_load's threads (the loading library opendata-import runs: Big5 or UTF-8,
 * types inferred, the table swapped in at once), xloader_status reports it. The task's state
 * is SQL's (sql/functions/21_upload.sql, xloader_task): the submit writes it pending, the
 * loading thread running and then complete or error, on its own connection, so the state is
 * right even when no loop is there to hear of the outcome. */
#include "ckan_handlers.h"

#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_call.h"
#include "ckan_config.h"
#include "ckan_params.h"
#include "ckan_resp.h"
#include "ckan_upload.h"
#include "config.h"
#include "db_pool.h"
#include "ds_load.h"
#include "log.h"
#include "req.h"
#include "server.h"
#include "url_fetch.h"
#include "ustore.h"

#define XL_SAMPLE_ROWS 10000 /* as opendata-import's --sample-rows */
#define XL_MAX_REDIRECTS 5

CKAN_CALL_STMT_V(xl_submit, ckan_xloader_submit);
CKAN_CALL_STMT_V(xl_status, ckan_xloader_status);
static struct db_stmt st_xl_end = {"ckan_xl_end",
                                   "SELECT 1 FROM xloader_task_end($1, $2::uuid, $3, NULL)", 3,
                                   0};

void ckan_xloader_init(void)
{
    dbp_register(&st_xl_submit);
    dbp_register(&st_xl_status);
    dbp_register(&st_xl_end);
}

/* resource_id (or id), a non-empty string: the normalized request, or NULL once answered. */
static json_object *xl_input(struct req *r, bool id_too)
{
    json_object *in = ckan_request_data(r), *v = NULL;
    if (!in)
        return NULL;
    if (!json_object_object_get_ex(in, "resource_id", &v) &&
        !(id_too && json_object_object_get_ex(in, "id", &v)))
        v = NULL;
    const char *rid = v && !json_object_is_type(v, json_type_null) ? json_object_get_string(v)
                                                                    : NULL;
    if (!rid || !*rid) {
        ckan_resp_invalid(r, "resource_id", "Missing value");
        return NULL;
    }
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "resource_id", rid);
    return p;
}

/* ---- on the loading thread ------------------------------------------------------------------- */

static void task_exec(PGconn *pg, const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        log_warn("xloader: cannot record the load's state: %s", PQerrorMessage(pg));
    PQclear(res);
}

static void xl_begin(const struct dsl_request *rq, PGconn *pg)
{
    const char *p[3] = {rq->resource_id, rq->tag, rq->url};
    task_exec(pg, "SELECT xloader_task_begin($1, $2::uuid, $3)", 3, p);
}

static bool xl_stopping(void)
{
    return dsl_stopping();
}

/* The resource's URL fetched into a file of the upload directory (url_fetch.h's limits). */
static int xl_fetch(const struct dsl_request *rq, char **err)
{
    const struct config *cfg = ckan_config();
    struct ufetch_opts o = {.dir = ustore_dir(),
                            .max_bytes = cfg->xloader_max_size > 0 ? cfg->xloader_max_size
                                                                   : cfg->max_upload_size,
                            .connect_timeout_s = cfg->xloader_connect_timeout,
                            .timeout_s = cfg->xloader_timeout,
                            .max_redirects = XL_MAX_REDIRECTS,
                            .allow_private = cfg->xloader_allow_private,
                            .cancelled = xl_stopping};
    int64_t size = 0;
    int fd = ufetch(rq->url, &o, &size, err);
    if (fd >= 0)
        log_info("xloader: resource %s: fetched %lld bytes from %s", rq->resource_id,
                 (long long)size, rq->url);
    return fd;
}

static void xl_end(const struct dsl_request *rq, PGconn *pg, const struct dsl_outcome *out)
{
    if (!pg) {
        log_warn("xloader: load of resource %s failed: %s", rq->resource_id, out->err);
        return;
    }
    char rows[32];
    snprintf(rows, sizeof(rows), "%lld", (long long)out->result.rows);
    const char *p[4] = {rq->resource_id, rq->tag,
                        out->rc == 0 ? NULL : (out->err ? out->err : "The load failed."), rows};
    task_exec(pg, "SELECT xloader_task_end($1, $2::uuid, $3, $4)", 4, p);
}

/* Back on the loop: the state is recorded already. */
static void xl_done(void *arg, const struct dsl_outcome *out)
{
    (void)arg;
    log_info("xloader: resource %s: %s", out->resource_id, out->rc == 0 ? "loaded" : out->err);
}

/* ---- xloader_submit -------------------------------------------------------------------------- */

static const char *get_str(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

/* A request's answer once its load is queued (or its task recorded as failed). */
static void answer_reply(struct req *r, PGresult *res)
{
    (void)res;
    (void)ckan_call_literal(r, r->data);
}

/* The load could not be queued: the task becomes an error in words, the answer the same (as
 * XLoader's, whose job fails later). */
static int fail_task(struct req *r, const char *rid, const char *job, const char *why)
{
    const char **params = arena_alloc(r->a, 3 * sizeof(char *));
    params[0] = arena_strdup(r->a, rid);
    params[1] = arena_strdup(r->a, job);
    params[2] = arena_strdup(r->a, why);
    return req_db(r, &st_xl_end, params, answer_reply);
}

int ckan_xloader_start(struct req *r, json_object *t, const char *reply)
{
    r->data = (void *)arena_strdup(r->a, reply);
    const char *rid = get_str(t, "resource_id"), *job = get_str(t, "job_id");
    const char *sha = get_str(t, "sha256"), *fmt = get_str(t, "format");
    const char *url = get_str(t, "url");
    int fd = rid && sha ? ustore_open(rid, sha) : -1;
    if (fd < 0 && !url)
        return fail_task(r, rid, job, "The resource's uploaded file is missing from the store.");
    const char *name = get_str(t, "file_name");
    struct dsl_request rq = {.resource_id = rid,
                             .format = fmt,
                             .name = name ? name : "download",
                             .fd = fd,
                             .url = fd < 0 ? url : NULL,
                             .fetch = fd < 0 ? xl_fetch : NULL,
                             .encoding = ENC_AUTO,
                             .sample_rows = XL_SAMPLE_ROWS,
                             .search_index = true,
                             .tag = job,
                             .on_begin = xl_begin,
                             .on_end = xl_end};
    char *err = NULL;
    if (!dsl_start(&rq, r->thr->base, xl_done, NULL, &err)) {
        int rc = fail_task(r, rid, job, arena_printf(r->a, "The load could not start: %s", err));
        free(err);
        return rc;
    }
    return ckan_call_literal(r, reply);
}

static void put_json(void *o)
{
    json_object_put(o);
}

static void submit_done(struct req *r, PGresult *res)
{
    json_object *t = json_tokener_parse(PQgetvalue(res, 0, 0)), *v;
    arena_defer(r->a, put_json, t);
    if (!t || !json_object_object_get_ex(t, "submit", &v) || !json_object_get_boolean(v)) {
        (void)ckan_call_literal(r, "false");
        return;
    }
    if (!json_object_object_get_ex(t, "load", &v) || !json_object_get_boolean(v)) {
        (void)ckan_call_literal(r, "true"); /* refused: the task says why */
        return;
    }
    (void)ckan_xloader_start(r, t, "true");
}

int ckan_xloader_submit(struct req *r)
{
    json_object *p = xl_input(r, false);
    if (!p)
        return REQ_DONE;
    arena_defer(r->a, put_json, p);
    const char **params = arena_alloc(r->a, 4 * sizeof(char *));
    params[0] = arena_strdup(r->a, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
    params[1] = ckan_config()->site_url;
    params[2] = ckan_auth_viewer(r);
    params[3] = r->lang; /* a write: none (CKAN_CALL_STMT_V's last parameter) */
    return req_db(r, &st_xl_submit, params, submit_done);
}

/* ---- xloader_status -------------------------------------------------------------------------- */

int ckan_xloader_status(struct req *r)
{
    json_object *p = xl_input(r, true);
    return p ? ckan_call(r, &st_xl_status, p) : REQ_DONE;
}
