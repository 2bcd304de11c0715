/* libFuzzer driver for the datastore read's parameters and SQL: Taiwan endpoint 7's query
 * string through tw_params.c (filters, q, fields, sort, limit, offset, names), or a CKAN
 * datastore_search request given as JSON, into sqlb_datastore_read and sqlb_datastore_rows
 * (server/datastore/sqlbuild.c, sqlbuild_read.c) over a made-up table. Checks on the
 * statement: quotes balance, everything outside quotes is ASCII SQL without ';' or comments
 * (every value is a parameter, every name a quoted identifier), each $n exists and each
 * parameter is used, parameters are valid UTF-8.
 * Byte 0: bits 0-1 the table, bit 2 a dense table (keyset paging), bit 3 no search
 * expression, bit 4 CKAN JSON (else the Taiwan query string), bit 5 a caller (viewer). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "req.h"
#include "sqlbuild.h"
#include "tw_params.h"
#include "util.h"

#define FAIL(...)                                                                            \
    do {                                                                                     \
        fprintf(stderr, "fuzz_tw_datastore: " __VA_ARGS__);                                  \
        fputc('\n', stderr);                                                                 \
        abort();                                                                             \
    } while (0)

#define ROWS_MAX 32000

/* Field lists as the bookkeeping could hold them: a real import, CJK names, and names that
 * need quoting or look like sort directions. */
#define F(id, type) {id, type, "{\"type\" : \"" type "\", \"id\" : \"" id "\"}", \
                     "{\"id\": \"" id "\", \"type\": \"" type "\"}", NULL}
static const struct sqlb_field fields0[] = {F("SiteName", "text"), F("MonitorDate", "date"),
                                            F("Concentration", "numeric"), F("ItemUnit", "text")};
static const struct sqlb_field fields1[] = {F("年度", "int4"), F("機構名稱", "text"),
                                            F("開訓日期", "date"), F("人數", "int8"),
                                            F("ok", "bool"), F("ts", "timestamp")};
static const struct sqlb_field fields2[] = {F("a\\\"b", "text"), F("x'y", "int4"),
                                            F("back\\\\slash", "text"), F("sp ace", "numeric"),
                                            F("name asc", "text"), F("desc", "timestamp"),
                                            F("E'", "bool")};
static const struct {
    const struct sqlb_field *f;
    int n;
} layouts[4] = {{fields0, 4}, {fields1, 6}, {fields2, 7}, {NULL, 0}};

/* Where the statement is: outside quotes, in a '' or E'' literal, in a "" identifier. */
static void check_sql(const struct sqlb *b)
{
    char *used = xcalloc((size_t)b->nparams + 1, 1);
    const char *s = b->sql;
    for (size_t i = 0; i < b->len; i++) {
        char c = s[i];
        if (c == '\'' || c == '"') {
            bool esc = c == '\'' && i > 0 && s[i - 1] == 'E';
            for (i++;; i++) {
                if (i >= b->len)
                    FAIL("unterminated %c in: %s", c, s);
                if (esc && s[i] == '\\')
                    i++;
                else if (s[i] == c && s[i + 1] == c)
                    i++;
                else if (s[i] == c)
                    break;
            }
            continue;
        }
        if ((unsigned char)c >= 0x80 || c == ';' || (c == '-' && s[i + 1] == '-') ||
            (c == '/' && s[i + 1] == '*'))
            FAIL("byte 0x%02x outside quotes at %zu: %s", (unsigned char)c, i, s);
        if (c == '$') {
            char *end;
            long n = strtol(s + i + 1, &end, 10);
            if (end == s + i + 1 || n < 1 || n > b->nparams)
                FAIL("$%ld of %d parameters: %s", n, b->nparams, s);
            used[n] = 1;
        }
    }
    for (int n = 1; n <= b->nparams; n++) {
        if (!used[n])
            FAIL("parameter $%d unused: %s", n, s);
        const char *v = b->params[n - 1];
        if (n != 2 && !v)
            FAIL("parameter $%d NULL", n);
        if (v && !util_utf8_valid(v, strlen(v)))
            FAIL("parameter $%d not UTF-8", n);
    }
    free(used);
}

/* The read's statement, and the dump's rows with the same request (values as literals). */
static void build(const struct sqlb_table *t, const struct sqlb_read *q)
{
    struct sqlb b;
    struct sqlb_err err = {0};
    sqlb_init(&b);
    struct sqlb_shape shape;
    bool ok = sqlb_datastore_read(&b, t, q, &shape, &err);
    if (ok && shape.rowwise != (q->style == SQLB_TW || q->format == SQLB_OBJECTS ||
                                q->format == SQLB_LISTS))
        FAIL("a read of the wrong shape");
    sqlb_shape_free(&shape);
    if (ok)
        check_sql(&b);
    else if (!err.state || !err.param || !err.message)
        FAIL("refused without a reason");
    sqlb_free(&b);
    sqlb_err_clear(&err);
    const struct sqlb_field **out = NULL;
    int nout;
    sqlb_init(&b);
    if (sqlb_datastore_rows(&b, t, q, &out, &nout, &err)) {
        check_sql(&b);
        if (nout < 1 || !out)
            FAIL("rows without fields");
    }
    free(out);
    sqlb_free(&b);
    sqlb_err_clear(&err);
}

static bool is_json(const char *text, json_type type)
{
    json_object *o = json_tokener_parse(text);
    bool ok = json_object_is_type(o, type);
    json_object_put(o);
    return ok;
}

/* Endpoint 7: the query string read as the handler reads it. */
static void taiwan(struct arena *a, const struct sqlb_table *t, const char *qs, const char *who)
{
    struct req r = {.a = a};
    struct tw_ds_request d;
    enum err_kind kind;
    if (!req_parse_query(&r, qs))
        return;
    const char *msg = tw_params_datastore(&r, "rid", ROWS_MAX, 1000, &d, &kind);
    if (msg) {
        if (!*msg || !util_utf8_valid(msg, strlen(msg)) ||
            (kind != ERR_PARAM_NAME && kind != ERR_PARAM_VALUE))
            FAIL("error kind %d: %s", kind, msg);
        return;
    }
    if (!d.p[0] || !d.p[5] || d.read.limit < 0 || d.read.limit > ROWS_MAX ||
        d.read.offset < 0 || d.read.offset > TW_OFFSET_MAX)
        FAIL("parameters out of range");
    for (int i = 0; i < d.read.nfields; i++)
        if (!d.read.fields[i][0])
            FAIL("an empty field name passed");
    if ((d.p[1] && !is_json(d.p[1], json_type_object)) ||
        (d.p[3] && !is_json(d.p[3], json_type_array)))
        FAIL("filters or fields text for the SQL function is not JSON");
    d.read.viewer = who;
    build(t, &d.read);
}

/* The strings of a JSON array of strings (else NULL), as ckan_param_list hands them over. */
static const char **strings(struct arena *a, json_object *v, int *n)
{
    *n = 0;
    if (!json_object_is_type(v, json_type_array))
        return NULL;
    size_t len = json_object_array_length(v);
    const char **out = arena_alloc(a, sizeof(char *) * (len + 1));
    for (size_t i = 0; i < len; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        if (!json_object_is_type(e, json_type_string)) {
            *n = 0;
            return NULL;
        }
        out[(*n)++] = json_object_get_string(e);
    }
    return out;
}

static long long nonneg(json_object *v, long long max)
{
    long long n = json_object_get_int64(v);
    return n < 0 ? 0 : n > max ? max : n;
}

/* datastore_search: what ckan_datastore.c's search_read makes of a checked request. */
static void ckan(struct arena *a, const struct sqlb_table *t, const char *text, const char *who)
{
    /* ckan_request_data refuses bodies that are not UTF-8. */
    json_object *p = util_utf8_valid(text, strlen(text)) ? json_tokener_parse(text) : NULL;
    if (!json_object_is_type(p, json_type_object)) {
        json_object_put(p);
        return;
    }
    struct sqlb_read q = {.style = SQLB_CKAN, .rid = "rid", .viewer = who, .ckan_p = text};
    q.filters = json_object_object_get(p, "filters");
    q.q = json_object_object_get(p, "q");
    q.fields = strings(a, json_object_object_get(p, "fields"), &q.nfields);
    q.sort = strings(a, json_object_object_get(p, "sort"), &q.nsort);
    q.format = (enum sqlb_format)nonneg(json_object_object_get(p, "records_format"), 3);
    q.limit = nonneg(json_object_object_get(p, "limit"), ROWS_MAX);
    q.offset = nonneg(json_object_object_get(p, "offset"), 1LL << 62);
    q.distinct = json_object_get_boolean(json_object_object_get(p, "distinct"));
    q.include_total = json_object_get_boolean(json_object_object_get(p, "include_total"));
    build(t, &q);
    json_object_put(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t opt = data[0];
    struct sqlb_table t = {"ds_fuzz", opt & 8 ? NULL : "\"SiteName\"::text", 1000,
                           opt & 4 ? 1000 : 1200, layouts[opt & 3].n, layouts[opt & 3].f,
                           NULL, NULL, NULL, false};
    struct arena *a = arena_new();
    char *text = arena_strndup(a, (const char *)data + 1, size - 1);
    const char *who = opt & 32 ? "(u1,f,{})" : NULL;
    if (opt & 16)
        ckan(a, &t, text, who);
    else
        taiwan(a, &t, text, who);
    arena_free(a);
    return 0;
}
