/* ckan_action — CKAN Action API dispatch over the one action table, and help_show, the table's
 * own reader. */
#include "ckan_action.h"

#include <assert.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_call.h"
#include "ckan_handlers.h"
#include "ckan_params.h"
#include "ckan_resp.h"
#include "ckan_upload.h"
#include "edge.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "util.h"

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
    ckan_auth_init();
    ckan_datastore_init();
    ckan_datastore_write_init();
    ckan_datastore_sql_init();
    ckan_package_init();
    ckan_package_write_init();
    ckan_group_init();
    ckan_tag_init();
    ckan_user_init();
    ckan_activity_init();
    ckan_site_init();
    ckan_xloader_init();
    ckan_view_rel_init();
    ckan_upload_init();
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

/* A multipart body the edge could not take (edge.h): its status, in CKAN's envelope. */
static int upload_refused(struct req *r)
{
    int st = r->upload->status;
    const char *type = st == 413   ? "Request Entity Too Large"
                       : st == 400 ? "Bad Request"
                                   : "Internal Server Error";
    ckan_resp_error(r, st, type, "message", r->upload->error);
    return REQ_DONE;
}

int ckan_action(struct req *r)
{
    if (r->upload && r->upload->status)
        return upload_refused(r);
    const char *name = req_path_param(r, 0);
    const struct ckan_action_def *a = ckan_action_find(name);
    if (!a)
        return ckan_bare_400(r, arena_printf(r->a, "Bad request - Action name not known: %s", name));
    if (!a->get && r->method != M_POST)
        return ckan_bare_400(r, "Bad request - JSON Error: Invalid request. Please use POST "
                                "method for your request");
    r->action = a->name;
    /* reads (the GET actions) answer in the prefix's language; writes run without one, so
     * what they store and answer is the same under every prefix (sql/functions/25_i18n.sql) */
    r->lang = a->get ? ckan_path_lang(r) : NULL;
    return ckan_auth_then(r, run_action);
}

/* help_show: the description of an action we serve; others are not found. */
int ckan_help_show(struct req *r)
{
    json_object *in = ckan_request_data(r);
    const char *name;
    if (!in || !ckan_get_or_bust(r, in, "name", &name))
        return REQ_DONE;
    const struct ckan_action_def *a = ckan_action_find(name);
    if (!a)
        return ckan_call_fail(r, 404, "Not found: Action function not found");
    json_object *s = json_object_new_string(a->help);
    const char *out =
        arena_strdup(r->a, json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(s);
    return ckan_call_literal(r, out);
}
