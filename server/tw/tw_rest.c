/* tw_rest — Taiwan common API endpoints 1-6. */
#include "tw_rest.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "db_pool.h"
#include "req.h"
#include "resp.h"
#include "scache.h"
#include "server.h"
#include "tw_config.h"
#include "tw_params.h"
#include "valid.h"


static struct db_stmt st_group_list = {"tw_group_list",
    "SELECT tw_group_list($1::boolean, $2::bigint, $3::bigint)", 3, 0};
static struct db_stmt st_group_show = {"tw_group_show", "SELECT tw_group_show($1, $2)", 2, 0};
static struct db_stmt st_tag_list = {"tw_tag_list",
    "SELECT tw_tag_list($1::bigint, $2::bigint)", 2, 0};
static struct db_stmt st_tag_show = {"tw_tag_show",
    "SELECT tw_tag_show($1, $2::bigint, $3::bigint)", 3, 0};
static struct db_stmt st_dataset_list = {"tw_dataset_list",
    "SELECT tw_dataset_list(CASE WHEN $1 ~ '[+-][0-9]{2}:[0-9]{2}$' THEN $1::timestamptz "
    "ELSE $1::timestamp AT TIME ZONE $4 END, $2::bigint, $3::bigint)", 4, 0};
static struct db_stmt st_dataset_show = {"tw_dataset_show", "SELECT tw_dataset_show($1, $2)", 2, 0};

void tw_rest_init(void)
{
    dbp_register(&st_group_list);
    dbp_register(&st_group_show);
    dbp_register(&st_tag_list);
    dbp_register(&st_tag_show);
    dbp_register(&st_dataset_list);
    dbp_register(&st_dataset_show);
}

/* Paging parameters as statement parameters (NULL = not given). */
struct tw_paging {
    const char *limit, *offset;
};

/* ER0200 for a parameter name the endpoint does not define, ER0210 for one given twice. */
bool tw_check_names(struct req *r, const char *const *allowed)
{
    enum err_kind kind;
    const char *msg = tw_params_names(r, allowed, &kind);
    if (msg)
        resp_error(r, kind, NULL, "%s", msg);
    return !msg;
}

/* One of limit/offset: digits only, at most max. */
bool tw_uint_param(struct req *r, const char *name, long long max, const char **out)
{
    enum err_kind kind;
    const char *msg = tw_params_uint(r, name, max, out, &kind);
    if (msg)
        resp_error(r, kind, NULL, "%s", msg);
    return !msg;
}

static bool tw_paging(struct req *r, const char *const *allowed, struct tw_paging *pg)
{
    return tw_check_names(r, allowed) &&
           tw_uint_param(r, "limit", tw_config()->tw_list_max, &pg->limit) &&
           tw_uint_param(r, "offset", TW_OFFSET_MAX, &pg->offset);
}

static const char *const paging_names[] = {"limit", "offset", NULL};
static const char *const no_names[] = {NULL};

/* Endpoints 2, 4 and 6 name one thing; the SQL function raises OD100 when it does not exist,
 * answered with the endpoint's sub-code. */
static bool tw_missing(struct req *r, const struct db_error *err, const char *code)
{
    if (err->kind != DBE_NOT_FOUND)
        return false;
    resp_error(r, ERR_NOT_FOUND, code, "%s", err->message);
    return true;
}

int tw_group_list(struct req *r)
{
    struct tw_paging pg;
    if (!tw_paging(r, paging_names, &pg))
        return REQ_DONE;
    const char **params = arena_alloc(r->a, 3 * sizeof(char *));
    params[0] = tw_config()->tw_groups_used ? "true" : "false";
    params[1] = pg.limit;
    params[2] = pg.offset;
    return req_db(r, &st_group_list, params, req_reply_json_cell);
}

static bool tw_group_missing(struct req *r, const struct db_error *err)
{
    return tw_missing(r, err, "ER010001");
}

int tw_group_show(struct req *r)
{
    if (!tw_check_names(r, no_names))
        return REQ_DONE;
    const char **params = arena_alloc(r->a, 2 * sizeof(char *));
    params[0] = req_path_param(r, 0);
    params[1] = tw_config()->timezone;
    return req_db_or(r, &st_group_show, params, req_reply_json_cell, tw_group_missing);
}

int tw_tag_list(struct req *r)
{
    struct tw_paging pg;
    if (!tw_paging(r, paging_names, &pg))
        return REQ_DONE;
    const char **params = arena_alloc(r->a, 2 * sizeof(char *));
    params[0] = pg.limit;
    params[1] = pg.offset;
    return req_db(r, &st_tag_list, params, req_reply_json_cell);
}

static bool tw_tag_missing(struct req *r, const struct db_error *err)
{
    return tw_missing(r, err, "ER010003");
}

int tw_tag_show(struct req *r)
{
    struct tw_paging pg;
    if (!tw_paging(r, paging_names, &pg))
        return REQ_DONE;
    const char **params = arena_alloc(r->a, 3 * sizeof(char *));
    params[0] = req_path_param(r, 0);
    params[1] = pg.limit;
    params[2] = pg.offset;
    return req_db_or(r, &st_tag_show, params, req_reply_json_cell, tw_tag_missing);
}

int tw_dataset_list(struct req *r)
{
    static const char *const names[] = {"modified", "limit", "offset", NULL};
    struct tw_paging pg;
    if (!tw_paging(r, names, &pg))
        return REQ_DONE;
    const char *modified = req_query_get(r, "modified", NULL);
    struct valid_datetime dt;
    /* Any real date: one past every change (2999-12-31) simply selects nothing. */
    if (modified && !valid_datetime_in(modified, VALID_YEAR_ANY_MIN, VALID_YEAR_ANY_MAX, &dt)) {
        resp_error(r, ERR_PARAM_VALUE, NULL,
                   "輸入的參數內容格式錯誤: modified must be yyyy-MM-dd, yyyy-MM-dd HH:mm:ss or "
                   "RFC 3339 with a real date, got \"%s\"", modified);
        return REQ_DONE;
    }
    const char **params = arena_alloc(r->a, 4 * sizeof(char *));
    params[0] = modified ? arena_strdup(r->a, dt.text) : NULL;
    params[1] = pg.limit;
    params[2] = pg.offset;
    params[3] = tw_config()->timezone;
    return req_db(r, &st_dataset_list, params, req_reply_json_cell);
}

static bool tw_dataset_missing(struct req *r, const struct db_error *err)
{
    return tw_missing(r, err, "ER010002");
}

static const char *dataset_cached_sql(struct req *r, void *arg, int *nparams,
                                      const char *const **params)
{
    (void)r;
    *nparams = 2;
    *params = arg;
    return "SELECT tw_dataset_show($1, $2), (SELECT gen FROM ckan_search_gen)";
}

/* Endpoint 6. Answers are kept in memory until a write changes a dataset (scache.h): the
 * Taiwan API shows the same public document to everyone. */
int tw_dataset_show(struct req *r)
{
    if (!tw_check_names(r, no_names))
        return REQ_DONE;
    const char **params = arena_alloc(r->a, 2 * sizeof(char *));
    params[0] = req_path_param(r, 0);
    params[1] = tw_config()->timezone;
    if (scache_enabled()) {
        req_db_set_failed(r, tw_dataset_missing);
        return scache_answer(r, arena_printf(r->a, "tw_dataset_show\x1f%s", params[0]),
                             dataset_cached_sql, params);
    }
    return req_db_or(r, &st_dataset_show, params, req_reply_json_cell,
                     tw_dataset_missing);
}
