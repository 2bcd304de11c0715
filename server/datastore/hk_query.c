/* hk_query — the Filter API's query: JSON text → what the SELECT generator takes. */
#include "hk_query.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "valid.h"

#define FILTER_SHAPE "[column, operator, [operands]]"
#define SORT_SHAPE "[column, \"asc\"|\"desc\"]"

static const char *const format_names[] = {
    [HKQ_CSV] = "csv", [HKQ_JSON] = "json", [HKQ_XML] = "xml"};

const char *hkq_format_name(enum hkq_format f)
{
    return format_names[f];
}

static bool __attribute__((format(printf, 2, 3))) fail(char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *err = util_vformat(fmt, ap);
    va_end(ap);
    if (!*err)
        *err = xstrdup(fmt);
    return false;
}

/* The member key of o, NULL when absent or JSON null. */
static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    json_object_object_get_ex(o, key, &v);
    return v;
}

/* A positive integer: a JSON integer, or a string of digits (as some clients send). */
static bool positive(json_object *v, long long *out)
{
    if (json_object_is_type(v, json_type_int)) /* past int64: INT64_MAX, no such column */
        return (*out = (long long)json_object_get_int64(v)) >= 1;
    long long n;
    return json_object_is_type(v, json_type_string) &&
           valid_uint(json_object_get_string(v), INT64_MAX, &n) && (*out = n) >= 1;
}

static bool parse_resource(json_object *root, struct hkq *q, char **err)
{
    json_object *v = member(root, "resource");
    if (!v)
        return fail(err, "resource is missing: give the resource's URL or id");
    if (!json_object_is_type(v, json_type_string))
        return fail(err, "resource must be a string (the resource's URL or id)");
    q->resource = json_object_get_string(v);
    if (!*q->resource)
        return fail(err, "resource must not be empty");
    return true;
}

static bool parse_section(json_object *root, struct hkq *q, char **err)
{
    json_object *v = member(root, "section");
    q->cols.section = 1;
    if (v && !positive(v, &q->cols.section))
        return fail(err, "section must be a positive integer");
    return true;
}

static bool parse_format(json_object *root, struct hkq *q, char **err)
{
    json_object *v = member(root, "format");
    q->format = HKQ_CSV;
    if (!v)
        return true;
    for (size_t i = 0; json_object_is_type(v, json_type_string) && i < ARRAY_LEN(format_names); i++)
        if (strcasecmp(json_object_get_string(v), format_names[i]) == 0) {
            q->format = (enum hkq_format)i;
            return true;
        }
    return fail(err, "format must be one of csv, json, xml");
}

/* The operands of filter i: strings, as many as op takes, numbers for numeric ops. */
static bool parse_operands(json_object *v, int i, struct sqlb_colfilter *f, char **err)
{
    if (!json_object_is_type(v, json_type_array))
        return fail(err, "filters[%d]: the operands must be a list of strings", i);
    size_t n = json_object_array_length(v);
    int min, max;
    sqlb_op_arity(f->op, &min, &max);
    const char *op = sqlb_op_name(f->op);
    if (n < (size_t)min || (max >= 0 && n > (size_t)max) || n > HKQ_MAX_OPERANDS)
        return max == min ? fail(err, "filters[%d]: %s takes %d operand%s, got %zu", i, op, min,
                                 min == 1 ? "" : "s", n)
                          : fail(err, "filters[%d]: %s takes 1 to %d operands, got %zu", i, op,
                                 HKQ_MAX_OPERANDS, n);
    const char **ops = xcalloc(n + 1, sizeof(char *));
    f->operands = ops;
    f->n = (int)n;
    for (size_t k = 0; k < n; k++) {
        json_object *e = json_object_array_get_idx(v, k);
        if (!json_object_is_type(e, json_type_string))
            return fail(err, "filters[%d]: operand %zu must be a string", i, k + 1);
        ops[k] = json_object_get_string(e);
        if (sqlb_op_numeric(f->op) && !sqlb_is_number(ops[k]))
            return fail(err,
                        "filters[%d]: %s compares numbers, and operand %zu (\"%.100s\") "
                        "is not one",
                        i, op, k + 1, ops[k]);
    }
    return true;
}

static bool parse_filter(json_object *v, int i, struct sqlb_colfilter *f, char **err)
{
    if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 3)
        return fail(err, "filters[%d] must be a list " FILTER_SHAPE, i);
    if (!positive(json_object_array_get_idx(v, 0), &f->col))
        return fail(err, "filters[%d]: the column must be a positive integer (1 is the first)", i);
    json_object *op = json_object_array_get_idx(v, 1);
    if (!json_object_is_type(op, json_type_string) ||
        !sqlb_op_parse(json_object_get_string(op), &f->op))
        return fail(err,
                    "filters[%d]: unknown operator %.100s (one of eq, ne, in, ni, ct, nct, "
                    "bw, nbw, ew, new, lt, le, gt, ge, bt)",
                    i, json_object_to_json_string_ext(op, JSON_C_TO_STRING_PLAIN));
    return parse_operands(json_object_array_get_idx(v, 2), i, f, err);
}

static bool parse_filters(json_object *root, struct hkq *q, char **err)
{
    json_object *v = member(root, "filters");
    if (!v)
        return true;
    if (!json_object_is_type(v, json_type_array))
        return fail(err, "filters must be a list of " FILTER_SHAPE);
    size_t n = json_object_array_length(v);
    if (n > HKQ_MAX_FILTERS)
        return fail(err, "filters: at most %d filters, got %zu", HKQ_MAX_FILTERS, n);
    q->filters = xcalloc(n + 1, sizeof(*q->filters));
    q->cols.filters = q->filters;
    for (size_t i = 0; i < n; i++) {
        q->cols.nfilters = (int)i + 1; /* freed up to here on failure */
        if (!parse_filter(json_object_array_get_idx(v, i), (int)i, &q->filters[i], err))
            return false;
    }
    return true;
}

static bool parse_sort(json_object *v, int i, struct sqlb_colsort *s, char **err)
{
    size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
    if (n < 1 || n > 2)
        return fail(err, "sorts[%d] must be a list " SORT_SHAPE, i);
    if (!positive(json_object_array_get_idx(v, 0), &s->col))
        return fail(err, "sorts[%d]: the column must be a positive integer (1 is the first)", i);
    json_object *dir = n == 2 ? json_object_array_get_idx(v, 1) : NULL;
    const char *d = json_object_is_type(dir, json_type_string) ? json_object_get_string(dir) : NULL;
    if (n == 2 && (!d || (strcasecmp(d, "asc") != 0 && strcasecmp(d, "desc") != 0)))
        return fail(err, "sorts[%d]: the direction must be \"asc\" or \"desc\"", i);
    s->desc = d && strcasecmp(d, "desc") == 0;
    return true;
}

static bool parse_sorts(json_object *root, struct hkq *q, char **err)
{
    json_object *v = member(root, "sorts");
    if (!v)
        return true;
    if (!json_object_is_type(v, json_type_array))
        return fail(err, "sorts must be a list of " SORT_SHAPE);
    size_t n = json_object_array_length(v);
    if (n > HKQ_MAX_SORTS)
        return fail(err, "sorts: at most %d sorts, got %zu", HKQ_MAX_SORTS, n);
    q->sorts = xcalloc(n + 1, sizeof(*q->sorts));
    q->cols.sorts = q->sorts;
    q->cols.nsorts = (int)n;
    for (size_t i = 0; i < n; i++)
        if (!parse_sort(json_object_array_get_idx(v, i), (int)i, &q->sorts[i], err))
            return false;
    return true;
}

bool hkq_parse(const char *text, struct hkq *q, char **err)
{
    memset(q, 0, sizeof(*q));
    *err = NULL;
    const char *why;
    if (!valid_json(text, strlen(text), VALID_JSON_DEPTH, &q->root, &why))
        return fail(err, "q is not valid JSON: %s", why);
    bool ok = json_object_is_type(q->root, json_type_object)
                  ? parse_resource(q->root, q, err) && parse_section(q->root, q, err) &&
                        parse_format(q->root, q, err) && parse_filters(q->root, q, err) &&
                        parse_sorts(q->root, q, err)
                  : fail(err, "q must be a JSON object {\"resource\": ..., ...}");
    if (!ok)
        hkq_free(q);
    return ok;
}

void hkq_free(struct hkq *q)
{
    for (int i = 0; i < q->cols.nfilters; i++)
        free((void *)q->filters[i].operands);
    free(q->filters);
    free(q->sorts);
    json_object_put(q->root);
    memset(q, 0, sizeof(*q));
}
