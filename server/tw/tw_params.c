/* tw_params — Taiwan API parameter rules, pure (the handlers answer the errors). */
#include "tw_params.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "req.h"
#include "sqlbuild.h"
#include "util.h"
#include "valid.h"

#define TW_Q_MIN_CHARS 2

static bool name_allowed(const char *key, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (strcmp(key, *allowed) == 0)
            return true;
    return false;
}

/* pretty=true|false: our extension on every endpoint (the envelope indents). */
static bool pretty_valid(const char *v)
{
    static const char *const ok[] = {"true", "false", "1", "0"};
    for (size_t i = 0; i < ARRAY_LEN(ok); i++)
        if (strcmp(v, ok[i]) == 0)
            return true;
    return false;
}

const char *tw_params_names(struct req *r, const char *const *allowed, enum err_kind *kind)
{
    for (int i = 0; i < r->nquery; i++) {
        const char *key = r->query[i].key;
        int count;
        if (strcmp(key, "pretty") == 0) {
            if (!pretty_valid(r->query[i].value)) {
                *kind = ERR_PARAM_VALUE;
                return arena_printf(r->a, "輸入的參數內容格式錯誤: pretty must be true or false, "
                                    "got \"%s\"", r->query[i].value);
            }
        } else if (!name_allowed(key, allowed)) {
            *kind = ERR_PARAM_NAME;
            return arena_printf(r->a, "輸入的參數名稱錯誤: unknown parameter \"%s\"", key);
        }
        req_query_get(r, key, &count);
        if (count > 1) {
            *kind = ERR_PARAM_VALUE;
            return arena_printf(r->a,
                                "輸入的參數內容格式錯誤: parameter \"%s\" is given more than once",
                                key);
        }
    }
    return NULL;
}

const char *tw_params_uint(struct req *r, const char *name, long long max, const char **out,
                           enum err_kind *kind)
{
    const char *v = req_query_get(r, name, NULL);
    long long n;
    *out = NULL;
    if (!v)
        return NULL;
    if (!valid_uint(v, max, &n)) {
        *kind = ERR_PARAM_VALUE;
        return arena_printf(r->a,
                            "輸入的參數內容格式錯誤: %s must be an integer from 0 to %lld, got \"%s\"",
                            name, max, v);
    }
    *out = arena_printf(r->a, "%lld", n);
    return NULL;
}

/* ---- endpoint 7 ------------------------------------------------------------------------------ */

static void put_json(void *o)
{
    json_object_put(o);
}

/* filters: a JSON object whose values are strings, numbers, booleans or null; as text and as
 * the object (owned by r's arena) for the read. */
static const char *ds_filters(struct req *r, const char **out, json_object **obj)
{
    const char *v = req_query_get(r, "filters", NULL);
    *out = NULL;
    *obj = NULL;
    if (!v)
        return NULL;
    json_object *o = valid_json_scalars(v, false);
    if (!o)
        return arena_printf(r->a, "輸入的參數內容格式錯誤: %s must be a JSON object of field "
                                  "names to values, e.g. {\"County\":\"臺北市\"}; got %s",
                            "filters", v);
    *out = arena_strdup(r->a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    *obj = o;
    arena_defer(r->a, put_json, o);
    return NULL;
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

/* fields: comma-separated names → a JSON array text, and the names. */
static const char *ds_fields(struct req *r, const char **out, struct sqlb_read *q)
{
    const char *v = req_query_get(r, "fields", NULL);
    *out = NULL;
    if (!v)
        return NULL;
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
        return arena_printf(r->a, "輸入的參數內容格式錯誤: %s must be field names separated by "
                                  "commas, got \"%s\"", "fields", v);
    return NULL;
}

/* sort: one field name, optionally followed by " asc" or " desc" (an extension). */
static const char *ds_sort(struct req *r, const char **out)
{
    const char *v = req_query_get(r, "sort", NULL);
    *out = v;
    if (!v)
        return NULL;
    const char *sp = strrchr(v, ' ');
    size_t n = strlen(v);
    if (sp && (strcasecmp(sp + 1, "asc") == 0 || strcasecmp(sp + 1, "desc") == 0))
        n = (size_t)(sp - v);
    if (!plain_name(v, n))
        return arena_printf(r->a, "輸入的參數內容格式錯誤: %s must be one field name, optionally "
                                  "followed by asc or desc, got \"%s\"", "sort", v);
    return NULL;
}

static const char *ds_q(struct req *r, const char **out)
{
    const char *v = req_query_get(r, "q", NULL);
    *out = v;
    size_t n = v ? util_utf8_len(v, strlen(v)) : 0;
    if (v && n < TW_Q_MIN_CHARS)
        return arena_printf(r->a, "輸入的參數內容格式錯誤: %s must have at least 2 characters, "
                                  "got \"%s\"", "q", v);
    if (n > SQLB_Q_MAX_CHARS)
        return arena_printf(r->a, "輸入的參數內容格式錯誤: q must have at most %d characters",
                            SQLB_Q_MAX_CHARS);
    return NULL;
}

/* The read the parameters p make. */
static void ds_read(struct req *r, const char *const *p, struct sqlb_read *q)
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

const char *tw_params_datastore(struct req *r, const char *rid, long long rows_max,
                                long long def_limit, struct tw_ds_request *out,
                                enum err_kind *kind)
{
    static const char *const names[] = {"filters", "q", "sort", "limit", "offset", "fields", NULL};
    const char **p = out->p;
    struct sqlb_read *q = &out->read;
    const char *msg;
    *out = (struct tw_ds_request){0};
    p[0] = rid;
    *kind = ERR_PARAM_VALUE;
    if ((msg = tw_params_names(r, names, kind)) || (msg = ds_filters(r, &p[1], &q->filters)) ||
        (msg = ds_q(r, &p[2])) || (msg = ds_fields(r, &p[3], q)) || (msg = ds_sort(r, &p[4])) ||
        (msg = tw_params_uint(r, "limit", rows_max, &p[5], kind)) ||
        (msg = tw_params_uint(r, "offset", TW_OFFSET_MAX, &p[6], kind)))
        return msg;
    if (!p[5])
        p[5] = arena_printf(r->a, "%lld", def_limit);
    ds_read(r, p, q);
    return NULL;
}
