/* ckan_action — CKAN Action API dispatch and the actions served so far. */
#include "ckan_action.h"

#include <event2/buffer.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckan_datastore.h"
#include "config.h"
#include "db_pool.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "util.h"

/* The CKAN release whose behaviour we follow; clients branch on it. */
#define CKAN_COMPAT_VERSION "2.11.5"

struct ckan_action_def {
    const char *name;
    int (*handler)(struct req *r);
};

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
    params[0] = srv_config()->site_url;
    params[1] = CKAN_COMPAT_VERSION;
    return req_db(r, &st_status_show, params, status_show_done);
}

/* Sorted by name for bsearch. */
static const struct ckan_action_def actions[] = {
    {"datastore_info", ckan_datastore_info},
    {"datastore_search", ckan_datastore_search},
    {"status_show", ckan_status_show},
};

void ckan_action_init(void)
{
    dbp_register(&st_status_show);
    ckan_datastore_init();
}

static int cmp_action(const void *key, const void *elem)
{
    return strcmp(key, ((const struct ckan_action_def *)elem)->name);
}

/* CKAN answers an unknown action with 400 and a bare JSON string, not the envelope. */
static int ckan_unknown_action(struct req *r, const char *name)
{
    json_object *s = json_object_new_string_len("", 0);
    char *msg = xasprintf("Bad request - Action name not known: %s", name);
    json_object_set_string(s, msg);
    struct evbuffer *body = evbuffer_new();
    evbuffer_add_printf(body, "%s",
                        json_object_to_json_string_ext(s, JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(s);
    free(msg);
    req_finish(r, 400, "application/json; charset=utf-8", body);
    return REQ_DONE;
}

int ckan_action(struct req *r)
{
    const char *name = req_path_param(r, 0);
    const struct ckan_action_def *a = bsearch(name, actions, sizeof(actions) / sizeof(actions[0]),
                                              sizeof(actions[0]), cmp_action);
    if (!a)
        return ckan_unknown_action(r, name);
    r->action = a->name;
    return a->handler(r);
}
