/* legacy_util — the /api[/1|/2]/util helpers CKAN 2.7 had beside the autocompletes (those stay
 * the CKAN family's, ckan_util.c): is_slug_valid, markdown, status (status_show's dict, bare),
 * dataset/munge_name, dataset/munge_title_to_name and tag/munge. */
#include "legacy_handlers.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db_pool.h"
#include "legacy_munge.h"
#include "req.h"
#include "resp.h"
#include "util.h"

static struct db_stmt st_slug = {"legacy_slug_valid", "SELECT legacy_slug_valid($1, $2)", 2, 0};
static struct db_stmt st_markdown = {"legacy_markdown",
    "SELECT to_json(legacy_markdown($1))::text", 1, 0};

void legacy_util_init(void)
{
    dbp_register(&st_slug);
    dbp_register(&st_markdown);
}

static const char *param(struct req *r, const char *key)
{
    const char *v = req_query_get(r, key, NULL);
    return v ? v : "";
}

int legacy_util_slug(struct req *r)
{
    const char *type = param(r, "type");
    if (strcmp(type, "package") != 0 && strcmp(type, "group") != 0) {
        resp_error(r, ERR_BAD_REQUEST, NULL, "Bad slug type: %s", type);
        return REQ_DONE;
    }
    const char **p = arena_alloc(r->a, 2 * sizeof(char *));
    p[0] = param(r, "slug");
    p[1] = type;
    return req_db(r, &st_slug, p, req_reply_json_cell);
}

int legacy_util_markdown(struct req *r)
{
    const char **p = arena_alloc(r->a, sizeof(char *));
    p[0] = param(r, "q");
    return req_db(r, &st_markdown, p, req_reply_json_cell);
}

/* A munged string as a JSON string. */
static int munged(struct req *r, char *s)
{
    json_object *o = json_object_new_string(s);
    free(s);
    const char *text = arena_strdup(r->a, json_object_to_json_string(o));
    json_object_put(o);
    resp_ok_json(r, text, strlen(text));
    return REQ_DONE;
}

/* A parameter, or the second name CKAN 2.7 also read. */
static const char *param2(struct req *r, const char *key, const char *alt)
{
    const char *v = req_query_get(r, key, NULL);
    return v && *v ? v : param(r, alt);
}

int legacy_util_munge_name(struct req *r)
{
    return munged(r, legacy_munge_name(param(r, "name")));
}

int legacy_util_munge_title(struct req *r)
{
    return munged(r, legacy_munge_title_to_name(param2(r, "title", "name")));
}

int legacy_util_munge_tag(struct req *r)
{
    return munged(r, legacy_munge_tag(param2(r, "tag", "name")));
}
