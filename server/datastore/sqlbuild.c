/* sqlbuild — SQL text with quoted identifiers and $n parameters; the DataStore reads' checks
 * (filters, q, sort, fields: the conditions and keys sqlbuild_read.c's statements use). */
#include "sqlbuild.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlbuild_int.h"
#include "util.h"

/* ---- the builder ---------------------------------------------------------------------------- */

void sqlb_init(struct sqlb *b)
{
    memset(b, 0, sizeof(*b));
}

void sqlb_free(struct sqlb *b)
{
    for (int i = 0; i < b->nowned; i++)
        free(b->owned[i]);
    free(b->owned);
    free(b->params);
    free(b->sql);
    sqlb_init(b);
}

void sqlb_add(struct sqlb *b, const char *s)
{
    sbuf_adds(&b->text, s);
}

void sqlb_addf(struct sqlb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sbuf_vaddf(&b->text, fmt, ap);
    va_end(ap);
}

/* s between quote characters q, each q (and each \ when backslash) doubled. */
static void add_quoted(struct sqlb *b, const char *s, char q, bool backslash)
{
    const char stop[3] = {q, backslash ? '\\' : '\0', '\0'};
    sbuf_addc(&b->text, q);
    while (*s) {
        size_t n = strcspn(s, stop);
        sbuf_add(&b->text, s, n);
        s += n;
        if (*s) {
            sbuf_addc(&b->text, *s);
            sbuf_addc(&b->text, *s);
            s++;
        }
    }
    sbuf_addc(&b->text, q);
}

void sqlb_ident(struct sqlb *b, const char *name)
{
    add_quoted(b, name, '"', false);
}

void sqlb_literal(struct sqlb *b, const char *s)
{
    bool backslash = strchr(s, '\\') != NULL;
    if (backslash)
        sqlb_add(b, "E");
    add_quoted(b, s, '\'', backslash);
}

/* Register a parameter without writing its reference; returns its number. */
int sqlb_new_param(struct sqlb *b, const char *value, char *owned)
{
    if (b->nparams == b->pcap) {
        b->pcap = b->pcap ? b->pcap * 2 : 8;
        b->params = xrealloc(b->params, sizeof(*b->params) * (size_t)b->pcap);
    }
    if (owned) {
        if (b->nowned == b->ocap) {
            b->ocap = b->ocap ? b->ocap * 2 : 8;
            b->owned = xrealloc(b->owned, sizeof(*b->owned) * (size_t)b->ocap);
        }
        b->owned[b->nowned++] = owned;
    }
    b->params[b->nparams++] = value;
    return b->nparams;
}

int sqlb_param(struct sqlb *b, const char *value, const char *cast)
{
    int n = sqlb_new_param(b, value, NULL);
    sqlb_addf(b, "$%d%s", n, cast);
    return n;
}

int sqlb_param_own(struct sqlb *b, char *value, const char *cast)
{
    int n = sqlb_new_param(b, value, value);
    sqlb_addf(b, "$%d%s", n, cast);
    return n;
}

char *sqlb_text_array(const char *const *v, int n)
{
    struct sbuf a = {0};
    sbuf_adds(&a, "{");
    for (int i = 0; i < n; i++) {
        if (i)
            sbuf_adds(&a, ",");
        if (!v[i]) {
            sbuf_adds(&a, "NULL");
            continue;
        }
        sbuf_adds(&a, "\"");
        for (const char *p = v[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                sbuf_addc(&a, '\\');
            sbuf_addc(&a, *p);
        }
        sbuf_adds(&a, "\"");
    }
    sbuf_adds(&a, "}");
    return sbuf_take(&a);
}

char *sqlb_like_pattern(const char *s)
{
    struct sbuf a = {0};
    sbuf_adds(&a, "%");
    for (const char *p = s; *p; p++) {
        if (*p == '\\' || *p == '%' || *p == '_')
            sbuf_addc(&a, '\\');
        sbuf_addc(&a, *p);
    }
    sbuf_adds(&a, "%");
    return sbuf_take(&a);
}

/* ---- datastore reads ------------------------------------------------------------------------- */

/* _id as each API lists it (the bookkeeping's field list does not hold it; it is int8). */
const struct sqlb_field sqlb_id_field = {"_id", "int8", "{\"type\" : \"int4\", \"id\" : \"_id\"}",
                                         "{\"id\": \"_id\", \"type\": \"int\"}", NULL};

void sqlb_err_clear(struct sqlb_err *err)
{
    free(err->message);
    *err = (struct sqlb_err){0};
}

/* Refuse the request: err gets the state, parameter and message. Returns false. */
bool sqlb_refuse(struct ds_build *d, const char *state, const char *param, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    free(d->err->message);
    *d->err = (struct sqlb_err){state, param, msg};
    return false;
}

/* The field called name (_id included), or NULL; the first one of that name. */
const struct sqlb_field *sqlb_find_field(const struct sqlb_table *t, const char *name)
{
    if (strcmp(name, "_id") == 0)
        return &sqlb_id_field;
    for (int i = 0; i < t->nfields; i++)
        if (strcmp(t->fields[i].id, name) == 0)
            return &t->fields[i];
    return NULL;
}

/* The field called name, or NULL after refusing the request on param. */
static const struct sqlb_field *field_named(struct ds_build *d, const char *name, const char *param)
{
    const struct sqlb_field *f = sqlb_find_field(d->t, name);
    if (!f)
        sqlb_refuse(d, ERR_NO_FIELD, param, "field \"%s\" does not exist", name);
    return f;
}

/* A JSON string without NUL (PostgreSQL's text cannot hold one), or NULL. */
static const char *plain_string(json_object *v)
{
    if (!json_object_is_type(v, json_type_string))
        return NULL;
    const char *s = json_object_get_string(v);
    return strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

/* A scalar's text as jsonb's #>> '{}' gives it (malloc'd), for the values whose text json-c
 * and PostgreSQL agree on: strings, integers, booleans. NULL for others (null, and what jsonb
 * renders anew: numbers with a fraction or an exponent, lists, objects). */
static char *scalar_text(json_object *v)
{
    const char *s = plain_string(v);
    if (s)
        return xstrdup(s);
    if (json_object_is_type(v, json_type_boolean))
        return xstrdup(json_object_get_boolean(v) ? "true" : "false");
    if (json_object_is_type(v, json_type_int))
        return xstrdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    return NULL;
}

static int cmp_jsonb_keys(const void *pa, const void *pb)
{
    const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return la < lb ? -1 : 1;
    return memcmp(a, b, la);
}

/* The keys of object o in the order jsonb_each gives them (shorter first, then bytewise), the
 * order in which their errors are found; malloc'd array of *n borrowed names. */
static const char **jsonb_keys(json_object *o, int *n)
{
    const char **keys = xmalloc(sizeof(char *) * ((size_t)json_object_object_length(o) + 1));
    *n = 0;
    json_object_object_foreach(o, k, v)
    {
        (void)v;
        keys[(*n)++] = k;
    }
    qsort(keys, (size_t)*n, sizeof(char *), cmp_jsonb_keys);
    return keys;
}

/* Write a value into the conditions (owned: malloc'd or NULL for SQL NULL, taken over): a new
 * parameter, or in a dump a literal. */
void sqlb_cond_value(struct ds_build *d, char *owned, const char *cast)
{
    if (!d->literals) {
        sqlb_addf(&d->conds, "$%d%s", sqlb_new_param(d->b, owned, owned), cast);
        return;
    }
    if (owned)
        sqlb_literal(&d->conds, owned);
    else
        sqlb_add(&d->conds, "NULL");
    sqlb_add(&d->conds, cast);
    free(owned);
}

/* The text of JSON value v as jsonb's #>> '{}' gives it: computed here when json-c and
 * PostgreSQL agree on it, else by PostgreSQL from v's JSON text. */
static void json_text_value(struct ds_build *d, json_object *v)
{
    char *s = scalar_text(v);
    if (s || json_object_is_type(v, json_type_null)) {
        sqlb_cond_value(d, s, "::text");
        return;
    }
    sqlb_add(&d->conds, "(");
    sqlb_cond_value(d, xstrdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)),
                    "::jsonb");
    sqlb_add(&d->conds, " #>> '{}')");
}

/* The ILIKE pattern finding v's text (NULL for a JSON null: no row matches). */
static void like_value(struct ds_build *d, json_object *v)
{
    char *s = scalar_text(v);
    if (s || json_object_is_type(v, json_type_null)) {
        sqlb_cond_value(d, s ? sqlb_like_pattern(s) : NULL, "::text");
        free(s);
        return;
    }
    static const char *const esc[][2] = {{"\\", "\\\\"}, {"%", "\\%"}, {"_", "\\_"}};
    sqlb_add(&d->conds, "('%' || replace(replace(replace(");
    json_text_value(d, v);
    for (size_t i = 0; i < ARRAY_LEN(esc); i++) {
        sqlb_add(&d->conds, ", ");
        sqlb_literal(&d->conds, esc[i][0]);
        sqlb_add(&d->conds, ", ");
        sqlb_literal(&d->conds, esc[i][1]);
        sqlb_add(&d->conds, ")");
    }
    sqlb_add(&d->conds, " || '%')");
}

void sqlb_cond_start(struct ds_build *d)
{
    sqlb_add(&d->conds, d->nconds++ ? " AND " : "");
}

/* A column's text form, as filters compare it. */
void sqlb_column_text(struct sqlb *w, const struct sqlb_field *f)
{
    sqlb_ident(w, f->id);
    if (strcmp(f->type, "text") != 0)
        sqlb_add(w, "::text");
}

/* "= ANY (...)" for a list: its values' texts as a text[] (null elements are NULLs), or, for
 * lists holding values PostgreSQL renders, the texts of its elements computed there. */
static void filter_list(struct ds_build *d, json_object *v)
{
    size_t n = json_object_array_length(v);
    char **vals = xcalloc(n + 1, sizeof(char *));
    bool simple = true;
    for (size_t i = 0; i < n && simple; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        simple = json_object_is_type(e, json_type_null) || (vals[i] = scalar_text(e)) != NULL;
    }
    sqlb_add(&d->conds, " = ANY (");
    if (simple) {
        sqlb_cond_value(d, sqlb_text_array((const char *const *)vals, (int)n), "::text[]");
    } else {
        sqlb_add(&d->conds, "ARRAY(SELECT e #>> '{}' FROM jsonb_array_elements(");
        sqlb_cond_value(d, xstrdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)),
                        "::jsonb");
        sqlb_add(&d->conds, ") e)");
    }
    sqlb_add(&d->conds, ")");
    for (size_t i = 0; i < n; i++)
        free(vals[i]);
    free(vals);
}

/* One filter: null → IS NULL, list → ANY, other scalar → equality of text. */
static bool filter_cond(struct ds_build *d, const char *key, json_object *v)
{
    const struct sqlb_field *f = field_named(d, key, "filters");
    if (!f)
        return false;
    if (json_object_is_type(v, json_type_object))
        return sqlb_refuse(d, ERR_BAD_VALUE, "filters",
                           "filter value for \"%s\" must be a value or a list of values", key);
    sqlb_cond_start(d);
    if (json_object_is_type(v, json_type_null)) {
        sqlb_ident(&d->conds, key);
        sqlb_add(&d->conds, " IS NULL");
        return true;
    }
    sqlb_column_text(&d->conds, f);
    if (json_object_is_type(v, json_type_array)) {
        filter_list(d, v);
    } else {
        sqlb_add(&d->conds, " = ");
        json_text_value(d, v);
    }
    return true;
}

static bool filter_conds(struct ds_build *d)
{
    if (!d->q->filters)
        return true;
    if (!json_object_is_type(d->q->filters, json_type_object))
        return sqlb_refuse(d, ERR_BAD_VALUE, "filters", "filters must be a JSON object");
    int n;
    const char **keys = jsonb_keys(d->q->filters, &n);
    bool ok = true;
    for (int i = 0; i < n && ok; i++)
        ok = filter_cond(d, keys[i], json_object_object_get(d->q->filters, keys[i]));
    free(keys);
    return ok;
}

/* q: a string searched in search_expr, or field → words searched in that column's text; q of
 * another type searches nothing. */
static bool q_conds(struct ds_build *d)
{
    json_object *q = d->q->q;
    if (json_object_is_type(q, json_type_string)) {
        if (json_object_get_string_len(q) == 0)
            return true;
        sqlb_cond_start(d);
        sqlb_addf(&d->conds, "(%s) ILIKE ", d->t->search_expr ? d->t->search_expr : "''::text");
        like_value(d, q);
        return true;
    }
    if (!json_object_is_type(q, json_type_object))
        return true;
    int n;
    const char **keys = jsonb_keys(q, &n);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        ok = field_named(d, keys[i], "q") != NULL;
        if (ok) {
            sqlb_cond_start(d);
            sqlb_ident(&d->conds, keys[i]);
            sqlb_add(&d->conds, "::text ILIKE ");
            like_value(d, json_object_object_get(q, keys[i]));
        }
    }
    free(keys);
    return ok;
}

/* The fields shown: all (_id first) or the named ones in the order given, each once. */
static bool out_fields(struct ds_build *d)
{
    const struct sqlb_read *q = d->q;
    const struct sqlb_table *t = d->t;
    d->nout = 0;
    d->out = xmalloc(sizeof(*d->out) * (size_t)((q->fields ? q->nfields : t->nfields) + 1));
    if (!q->fields) {
        d->out[d->nout++] = &sqlb_id_field;
        for (int i = 0; i < t->nfields; i++)
            d->out[d->nout++] = &t->fields[i];
        return true;
    }
    for (int i = 0; i < q->nfields; i++) {
        for (int j = 0; j < d->nout; j++)
            if (strcmp(d->out[j]->id, q->fields[i]) == 0)
                return sqlb_refuse(d, ERR_BAD_VALUE, "fields", "names a field twice: \"%s\"",
                                   q->fields[i]);
        if (!(d->out[d->nout++] = field_named(d, q->fields[i], "fields")))
            return false;
    }
    if (d->nout == 0)
        return sqlb_refuse(d, ERR_BAD_VALUE, "fields", "fields must name at least one field");
    return true;
}

/* The length of the white space character at p, or 0: what PostgreSQL's regular expression \s
 * matches in a UTF-8 database with the C.UTF-8 ctype (ASCII's six, U+1680, U+2000-U+2006,
 * U+2008-U+200A, U+2028, U+2029, U+205F, U+3000). */
static size_t space_at(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    if (*u == ' ' || (*u >= '\t' && *u <= '\r'))
        return 1;
    if (u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80)
        return 3;
    if (u[0] == 0xe2 && u[1] == 0x80 &&
        ((u[2] >= 0x80 && u[2] <= 0x86) || (u[2] >= 0x88 && u[2] <= 0x8a) || u[2] == 0xa8 ||
         u[2] == 0xa9))
        return 3;
    if ((u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f) ||
        (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80))
        return 3;
    return 0;
}

/* True when s[0..end) ends with a white space character. */
static bool space_before(const char *s, size_t end)
{
    return (end >= 1 && space_at(s + end - 1) == 1) || (end >= 3 && space_at(s + end - 3) == 3);
}

/* The end of s[0..end) without the white space at its end. */
static size_t trim_end(const char *s, size_t end)
{
    size_t last = 0;
    for (size_t i = 0; i < end;) {
        size_t n = space_at(s + i);
        i += n ? n : 1;
        if (!n)
            last = i;
    }
    return last;
}

/* One sort key read as '^\s*(.*?)\s*(?:\s(asc|desc))?\s*$' (case-insensitive) reads it: white
 * space around it dropped, then a last word asc or desc after white space is the direction;
 * a name in double quotes loses them ("" inside is "). *name malloc'd; false when it is empty. */
static bool sort_key_parse(const char *s, char **name, bool *desc)
{
    while (space_at(s))
        s += space_at(s);
    size_t end = trim_end(s, strlen(s));
    *desc = false;
    for (int w = 0; w < 2; w++) {
        const char *word = w ? "desc" : "asc";
        size_t wl = strlen(word);
        if (end > wl && strncasecmp(s + end - wl, word, wl) == 0 && space_before(s, end - wl)) {
            *desc = w == 1;
            end = trim_end(s, end - wl);
            break;
        }
    }
    if (end == 0)
        return false;
    if (end >= 2 && s[0] == '"' && s[end - 1] == '"') {
        struct sbuf n = {0};
        for (size_t i = 1; i < end - 1; i++) {
            sbuf_addc(&n, s[i]);
            i += s[i] == '"' && s[i + 1] == '"' && i + 1 < end - 1;
        }
        *name = sbuf_take(&n);
        return true;
    }
    *name = xstrndup(s, end);
    return true;
}

/* ORDER BY keys: the sort given, then _id (for stable pages) unless given or DISTINCT. */
static bool order_keys(struct ds_build *d)
{
    const struct sqlb_read *q = d->q;
    d->keys = xmalloc(sizeof(*d->keys) * (size_t)(q->nsort + 1));
    bool has_id = false;
    for (int i = 0; i < q->nsort; i++) {
        char *name;
        bool desc;
        if (!sort_key_parse(q->sort[i], &name, &desc))
            return sqlb_refuse(d, ERR_BAD_VALUE, "sort", "cannot sort by \"%s\"", q->sort[i]);
        const struct sqlb_field *f = field_named(d, name, "sort");
        free(name);
        if (!f)
            return false;
        d->keys[d->nkeys++] = (struct sort_key){f, desc};
        has_id = has_id || f == &sqlb_id_field;
    }
    if (!has_id && !q->distinct)
        d->keys[d->nkeys++] = (struct sort_key){&sqlb_id_field, false};
    return true;
}

/* A DISTINCT query sorted by a field it does not show cannot run (42P10); CKAN answers its own
 * Validation Error on sort for it. */
static bool distinct_keys_shown(struct ds_build *d)
{
    for (int i = 0; d->q->distinct && i < d->nkeys; i++) {
        bool shown = false;
        for (int j = 0; j < d->nout && !shown; j++)
            shown = d->out[j] == d->keys[i].f;
        if (!shown)
            return sqlb_refuse(
                d, ERR_BAD_VALUE, "sort",
                "cannot sort by \"%s\" with distinct: it is not one of the fields shown",
                d->keys[i].f->id);
    }
    return true;
}

bool sqlb_check(struct ds_build *d)
{
    sqlb_init(&d->conds);
    return filter_conds(d) && q_conds(d) && order_keys(d) && out_fields(d) &&
           distinct_keys_shown(d);
}

void sqlb_build_free(struct ds_build *d)
{
    free(d->out);
    free(d->keys);
    sqlb_free(&d->conds);
}

bool sqlb_build_finish(struct ds_build *d, bool ok, const struct sqlb_field ***out, int *nout)
{
    *out = ok ? d->out : NULL;
    *nout = ok ? d->nout : 0;
    if (ok)
        d->out = NULL;
    sqlb_build_free(d);
    return ok;
}

static bool text_too_long(json_object *v)
{
    return json_object_is_type(v, json_type_string) &&
           util_utf8_len(json_object_get_string(v), (size_t)json_object_get_string_len(v)) >
               SQLB_Q_MAX_CHARS;
}

bool sqlb_q_too_long(json_object *q)
{
    if (!json_object_is_type(q, json_type_object))
        return text_too_long(q);
    json_object_object_foreach(q, key, val)
    {
        (void)key;
        if (text_too_long(val))
            return true;
    }
    return false;
}
