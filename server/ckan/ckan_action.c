/* ckan_action — CKAN Action API dispatch over the one action table, and status_show. */
#include "ckan_action.h"

#include <assert.h>
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
int ckan_status_show(struct req *r)
{
    const char **params = arena_alloc(r->a, 2 * sizeof(char *));
    params[0] = ckan_config()->site_url;
    params[1] = CKAN_COMPAT_VERSION;
    return req_db(r, &st_status_show, params, status_show_done);
}

/* The table, sorted by name for bsearch (ckan_actions.def keeps that order; checked at init). */
static const struct ckan_action_def actions[] = {
#define ACTION(name, handler, auth, get, help) {#name, handler, auth, get, help},
#include "ckan_actions.def"
#undef ACTION
};

void ckan_action_init(void)
{
    for (size_t i = 1; i < ARRAY_LEN(actions); i++)
        assert(strcmp(actions[i - 1].name, actions[i].name) < 0);
    dbp_register(&st_status_show);
    ckan_auth_init();
    ckan_datastore_init();
    ckan_package_init();
    ckan_group_init();
    ckan_search_init();
}

const struct ckan_action_def *ckan_action_all(size_t *n)
{
    *n = ARRAY_LEN(actions);
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
    return bsearch(name, actions, ARRAY_LEN(actions), sizeof(actions[0]), cmp_action);
}

/* Run r's action once its caller is known, if the caller may call it. */
static int run_action(struct req *r)
{
    const struct ckan_action_def *a = ckan_action_find(r->action);
    bool ok = a->auth == CKAN_AUTH_USER ? r->user != NULL
            : a->auth == CKAN_AUTH_SYSADMIN ? r->user && r->user->sysadmin
            : true;
    if (!ok) {
        resp_error(r, ERR_FORBIDDEN, NULL, "Access denied");
        return REQ_DONE;
    }
    return a->handler(r);
}

int ckan_action(struct req *r)
{
    const char *name = req_path_param(r, 0);
    const struct ckan_action_def *a = ckan_action_find(name);
    if (!a)
        return ckan_bare_400(r, arena_printf(r->a, "Bad request - Action name not known: %s", name));
    if (!a->get && r->method != M_POST)
        return ckan_bare_400(r, "Bad request - JSON Error: Invalid request. Please use POST "
                                "method for your request");
    r->action = a->name;
    return ckan_auth_then(r, run_action);
}
