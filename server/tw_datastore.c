/* tw_datastore — Taiwan endpoint 7, {SRU}/rest/datastore/{resourceID}: filters, q, sort,
 * fields, limit, offset. Syntax is checked here (ER0200/ER0210); the read runs as a prepared
 * statement (ds_read.c), or through the SQL function tw_datastore (sql/006, 012), which checks
 * field names (OD220 → ER0220) and answers OD100 → ER0100. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "db_pool.h"
#include "ds_read.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "sqlbuild.h"
#include "tw_rest.h"
#include "util.h"
#include "valid.h"

#define TW_Q_MIN_CHARS 2

static struct db_stmt st_datastore = {"tw_datastore",
    "SELECT tw_datastore($1, $2::jsonb, $3, "
    "CASE WHEN $4::jsonb IS NOT NULL THEN ARRAY(SELECT jsonb_array_elements_text($4::jsonb)) END, "
    "$5, $6::bigint, $7::bigint)", 7, 0};

void tw_datastore_init(void)
{
    dbp_register(&st_datastore);
}

static bool bad_value(struct req *r, const char *fmt, const char *name, const char *value)
{
    resp_error(r, ERR_PARAM_VALUE, NULL, fmt, name, value);
    return false;
}

static void put_json(void *o)
{
    json_object_put(o);
}

/* filters: a JSON object whose values are strings, numbers, booleans or null; as text for the
 * SQL function and as the object (owned by r's arena) for the prepared read. */
static bool tw_filters(struct req *r, const char **out, json_object **obj)
{
    const char *v = req_query_get(r, "filters", NULL);
    *out = NULL;
    *obj = NULL;
    if (!v)
        return true;
    json_object *o = valid_json_scalars(v, false);
    bool ok = o != NULL;
    if (ok) {
        *out = arena_strdup(r->a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        *obj = o;
        arena_defer(r->a, put_json, o);
    }
    if (!ok)
        return bad_value(r, "輸入的參數內容格式錯誤: %s must be a JSON object of field names to "
                            "values, e.g. {\"County\":\"臺北市\"}; got %s", "filters", v);
    return true;
}

/* A field name as it may appear in sort/fields: not empty, no quotes, separators or spaces at
 * its ends. */
static bool plain_name(const char *s, size_t n)
{
    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++)
        if (strchr("\",;:{}[]", s[i]))
            return false;
    return true;
}

/* fields: comma-separated names → a JSON array text for the SQL function, and the names. */
static bool tw_fields(struct req *r, const char **out, struct sqlb_read *q)
{
    const char *v = req_query_get(r, "fields", NULL);
    *out = NULL;
    if (!v)
        return true;
    json_object *arr = json_object_new_array();
    const char **names = arena_alloc(r->a, sizeof(char *) * (strlen(v) / 2 + 1));
    int count = 0;
    bool ok = true;
    for (const char *p = v; ok; p++) {
        size_t n = strcspn(p, ",");
        ok = plain_name(p, n);
        if (ok) {
            json_object_array_add(arr, json_object_new_string_len(p, (int)n));
            names[count++] = arena_strndup(r->a, p, n);
        }
        p += n;
        if (*p == '\0')
            break;
    }
    q->fields = names;
    q->nfields = count;
    if (ok)
        *out = arena_strdup(r->a, json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
    json_object_put(arr);
    if (!ok)
        return bad_value(r, "輸入的參數內容格式錯誤: %s must be field names separated by commas, "
                            "got \"%s\"", "fields", v);
    return true;
}

/* sort: one field name, optionally followed by " asc" or " desc" (an extension). */
static bool tw_sort(struct req *r, const char **out)
{
    const char *v = req_query_get(r, "sort", NULL);
    *out = v;
    if (!v)
        return true;
    const char *sp = strrchr(v, ' ');
    size_t n = strlen(v);
    if (sp && (strcasecmp(sp + 1, "asc") == 0 || strcasecmp(sp + 1, "desc") == 0))
        n = (size_t)(sp - v);
    if (!plain_name(v, n))
        return bad_value(r, "輸入的參數內容格式錯誤: %s must be one field name, optionally "
                            "followed by asc or desc, got \"%s\"", "sort", v);
    return true;
}

static bool tw_q(struct req *r, const char **out)
{
    const char *v = req_query_get(r, "q", NULL);
    *out = v;
    size_t n = v ? util_utf8_len(v, strlen(v)) : 0;
    if (v && n < TW_Q_MIN_CHARS)
        return bad_value(r, "輸入的參數內容格式錯誤: %s must have at least 2 characters, got "
                            "\"%s\"", "q", v);
    if (n > SQLB_Q_MAX_CHARS) {
        resp_error(r, ERR_PARAM_VALUE, NULL, "輸入的參數內容格式錯誤: q must have at most %d "
                   "characters", SQLB_Q_MAX_CHARS);
        return false;
    }
    return true;
}

/* The prepared read's description of the request the SQL function gets as p. */
static void tw_read(struct req *r, const char *const *p, struct sqlb_read *q)
{
    q->style = SQLB_TW;
    q->format = SQLB_OBJECTS;
    q->rid = p[0];
    if (p[2]) {
        q->q = json_object_new_string(p[2]);
        arena_defer(r->a, put_json, q->q);
    }
    if (p[4]) {
        const char **sort = arena_alloc(r->a, sizeof(char *));
        sort[0] = p[4];
        q->sort = sort;
        q->nsort = 1;
    }
    q->limit = strtoll(p[5], NULL, 10);
    q->offset = p[6] ? strtoll(p[6], NULL, 10) : 0;
}

int tw_datastore(struct req *r)
{
    static const char *const names[] = {"filters", "q", "sort", "limit", "offset", "fields", NULL};
    const struct config *cfg = srv_config();
    const char **p = arena_alloc(r->a, 7 * sizeof(char *));
    struct sqlb_read *q = arena_alloc(r->a, sizeof(*q));
    *q = (struct sqlb_read){0};
    p[0] = req_path_param(r, 0);
    if (!tw_check_names(r, names) || !tw_filters(r, &p[1], &q->filters) || !tw_q(r, &p[2]) ||
        !tw_fields(r, &p[3], q) || !tw_sort(r, &p[4]) ||
        !tw_uint_param(r, "limit", cfg->datastore_rows_max, &p[5]) ||
        !tw_uint_param(r, "offset", TW_OFFSET_MAX, &p[6]))
        return REQ_DONE;
    if (!p[5])
        p[5] = arena_printf(r->a, "%d", cfg->tw_datastore_limit);
    tw_read(r, p, q);
    return dsr_read(r, q, &st_datastore, p);
}
