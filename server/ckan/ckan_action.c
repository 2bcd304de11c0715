/* ckan_action — CKAN Action API dispatch and the actions served so far. */
#include "ckan_action.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_family.h"
#include "ckan_resp.h"
#include "config.h"
#include "db_pool.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "util.h"

static struct db_stmt st_status_show = {"ckan_status_show", "SELECT ckan_status_show($1, $2)", 2,
                                        0};

static void status_show_done(struct req *r, PGresult *res)
{
    resp_ok_json(r, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}

/* status_show: site facts; it reads the database, so it doubles as the health check. */
static int ckan_status_show(struct req *r)
{
    const char **params = arena_alloc(r->a, 2 * sizeof(char *));
    params[0] = ckan_config()->site_url;
    params[1] = CKAN_COMPAT_VERSION;
    return req_db(r, &st_status_show, params, status_show_done);
}

const struct ckan_action_def ckan_core_actions[] = {
    {"status_show", ckan_status_show, 0},
    {NULL, NULL, 0},
};

static struct ckan_action_def *actions; /* all tables, sorted by name */
static size_t nactions;

static int cmp_def(const void *a, const void *b)
{
    return strcmp(((const struct ckan_action_def *)a)->name,
                  ((const struct ckan_action_def *)b)->name);
}

/* Merge the modules' tables into one sorted array, once. */
static void merge_tables(void)
{
    static const struct ckan_action_def *const tables[] = {
        ckan_core_actions, ckan_datastore_actions, ckan_package_actions, ckan_group_actions,
        ckan_search_actions, ckan_util_actions};
    if (actions)
        return;
    for (size_t t = 0; t < ARRAY_LEN(tables); t++)
        for (const struct ckan_action_def *d = tables[t]; d->name; d++) {
            actions = xrealloc(actions, (nactions + 1) * sizeof(*actions));
            actions[nactions++] = *d;
        }
    qsort(actions, nactions, sizeof(*actions), cmp_def);
}

void ckan_action_init(void)
{
    dbp_register(&st_status_show);
    ckan_auth_init();
    ckan_datastore_init();
    ckan_package_init();
    ckan_group_init();
    ckan_search_init();
    merge_tables();
}

const struct ckan_action_def *ckan_action_all(size_t *n)
{
    merge_tables();
    *n = nactions;
    return actions;
}

static int cmp_action(const void *key, const void *elem)
{
    return strcmp(key, ((const struct ckan_action_def *)elem)->name);
}

/* CKAN answers some bad requests with 400 and a bare JSON string, not the envelope. */
static int ckan_bare_400(struct req *r, const char *msg)
{
    ckan_resp_bare(r, 400, msg);
    return REQ_DONE;
}

const struct ckan_action_def *ckan_action_find(const char *name)
{
    return bsearch(name, actions, nactions, sizeof(actions[0]), cmp_action);
}

int ckan_action(struct req *r)
{
    const char *name = req_path_param(r, 0);
    const struct ckan_action_def *a = ckan_action_find(name);
    if (!a)
        return ckan_bare_400(r, arena_printf(r->a, "Bad request - Action name not known: %s", name));
    if ((a->flags & CKAN_F_WRITE) && r->method != M_POST)
        return ckan_bare_400(r, "Bad request - JSON Error: Invalid request. Please use POST "
                                "method for your request");
    r->action = a->name;
    return ckan_auth_then(r, a->handler);
}
