/* sqlbuild — SQL text with quoted identifiers and $n parameters; the DataStore SELECT generator. */
#include "sqlbuild.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void reserve(struct sqlb *b, size_t n)
{
    if (b->len + n + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    b->sql = xrealloc(b->sql, cap);
    b->cap = cap;
}

static void add_bytes(struct sqlb *b, const char *s, size_t n)
{
    reserve(b, n);
    memcpy(b->sql + b->len, s, n);
    b->len += n;
    b->sql[b->len] = '\0';
}

void sqlb_add(struct sqlb *b, const char *s)
{
    add_bytes(b, s, strlen(s));
}

void sqlb_addf(struct sqlb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->sql + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* s between quote characters q, each q (and each \ when backslash) doubled. */
static void add_quoted(struct sqlb *b, const char *s, char q, bool backslash)
{
    const char stop[3] = {q, backslash ? '\\' : '\0', '\0'};
    add_bytes(b, &q, 1);
    while (*s) {
        size_t n = strcspn(s, stop);
        add_bytes(b, s, n);
        s += n;
        if (*s) {
            add_bytes(b, s, 1);
            add_bytes(b, s, 1);
            s++;
        }
    }
    add_bytes(b, &q, 1);
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
static int new_param(struct sqlb *b, const char *value, char *owned)
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
    int n = new_param(b, value, NULL);
    sqlb_addf(b, "$%d%s", n, cast);
    return n;
}

int sqlb_param_own(struct sqlb *b, char *value, const char *cast)
{
    int n = new_param(b, value, value);
    sqlb_addf(b, "$%d%s", n, cast);
    return n;
}

char *sqlb_text_array(const char *const *v, int n)
{
    struct sqlb a;
    sqlb_init(&a);
    sqlb_add(&a, "{");
    for (int i = 0; i < n; i++) {
        if (i)
            sqlb_add(&a, ",");
        if (!v[i]) {
            sqlb_add(&a, "NULL");
            continue;
        }
        sqlb_add(&a, "\"");
        for (const char *p = v[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                add_bytes(&a, "\\", 1);
            add_bytes(&a, p, 1);
        }
        sqlb_add(&a, "\"");
    }
    sqlb_add(&a, "}");
    char *out = a.sql;
    a.sql = NULL;
    sqlb_free(&a);
    return out;
}

char *sqlb_like_pattern(const char *s)
{
    struct sqlb a;
    sqlb_init(&a);
    sqlb_add(&a, "%");
    for (const char *p = s; *p; p++) {
        if (*p == '\\' || *p == '%' || *p == '_')
            add_bytes(&a, "\\", 1);
        add_bytes(&a, p, 1);
    }
    sqlb_add(&a, "%");
    char *out = a.sql;
    a.sql = NULL;
    sqlb_free(&a);
    return out;
}

/* ---- datastore reads ------------------------------------------------------------------------- */

/* _id as each API lists it (the bookkeeping's field list does not hold it; it is int8). */
static const struct sqlb_field id_field = {"_id", "int8", "{\"type\" : \"int4\", \"id\" : \"_id\"}",
                                           "{\"id\": \"_id\", \"type\": \"int\"}", NULL};

#define ERR_BAD_VALUE "OD210" /* db_pool.h's DB_STATE_BAD_VALUE */
#define ERR_NO_FIELD "OD220"  /* db_pool.h's DB_STATE_NO_FIELD */

struct sort_key {
    const struct sqlb_field *f;
    bool desc;
};

struct ds_build {
    struct sqlb *b; /* the statement; every parameter is registered here */
    const struct sqlb_table *t;
    const struct sqlb_read *q;
    bool literals;  /* values as literals, not parameters (dumps) */
    struct sqlb_err *err;
    const struct sqlb_field **out; /* the fields shown */
    int nout;
    struct sqlb conds; /* the WHERE conditions, " AND "-joined */
    int nconds;
    struct sort_key *keys;
    int nkeys;
    int offset_param; /* 0 until referenced */
};

void sqlb_err_clear(struct sqlb_err *err)
{
    free(err->message);
    *err = (struct sqlb_err){0};
}

/* Refuse the request: err gets the state, parameter and message. Returns false. */
static bool __attribute__((format(printf, 4, 5)))
refuse(struct ds_build *d, const char *state, const char *param, const char *fmt, ...)
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
static const struct sqlb_field *find_field(const struct sqlb_table *t, const char *name)
{
    if (strcmp(name, "_id") == 0)
        return &id_field;
    for (int i = 0; i < t->nfields; i++)
        if (strcmp(t->fields[i].id, name) == 0)
            return &t->fields[i];
    return NULL;
}

/* The field called name, or NULL after refusing the request on param. */
static const struct sqlb_field *field_named(struct ds_build *d, const char *name,
                                            const char *param)
{
    const struct sqlb_field *f = find_field(d->t, name);
    if (!f)
        refuse(d, ERR_NO_FIELD, param, "field \"%s\" does not exist", name);
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
static void cond_value(struct ds_build *d, char *owned, const char *cast)
{
    if (!d->literals) {
        sqlb_addf(&d->conds, "$%d%s", new_param(d->b, owned, owned), cast);
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
        cond_value(d, s, "::text");
        return;
    }
    sqlb_add(&d->conds, "(");
    cond_value(d, xstrdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)), "::jsonb");
    sqlb_add(&d->conds, " #>> '{}')");
}

/* The ILIKE pattern finding v's text (NULL for a JSON null: no row matches). */
static void like_value(struct ds_build *d, json_object *v)
{
    char *s = scalar_text(v);
    if (s || json_object_is_type(v, json_type_null)) {
        cond_value(d, s ? sqlb_like_pattern(s) : NULL, "::text");
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

static void cond_start(struct ds_build *d)
{
    sqlb_add(&d->conds, d->nconds++ ? " AND " : "");
}

/* A column's text form, as filters compare it. */
static void column_text(struct sqlb *w, const struct sqlb_field *f)
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
        cond_value(d, sqlb_text_array((const char *const *)vals, (int)n), "::text[]");
    } else {
        sqlb_add(&d->conds, "ARRAY(SELECT e #>> '{}' FROM jsonb_array_elements(");
        cond_value(d, xstrdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)),
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
        return refuse(d, ERR_BAD_VALUE, "filters",
                      "filter value for \"%s\" must be a value or a list of values", key);
    cond_start(d);
    if (json_object_is_type(v, json_type_null)) {
        sqlb_ident(&d->conds, key);
        sqlb_add(&d->conds, " IS NULL");
        return true;
    }
    column_text(&d->conds, f);
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
        return refuse(d, ERR_BAD_VALUE, "filters", "filters must be a JSON object");
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
        cond_start(d);
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
            cond_start(d);
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
        d->out[d->nout++] = &id_field;
        for (int i = 0; i < t->nfields; i++)
            d->out[d->nout++] = &t->fields[i];
        return true;
    }
    for (int i = 0; i < q->nfields; i++) {
        for (int j = 0; j < d->nout; j++)
            if (strcmp(d->out[j]->id, q->fields[i]) == 0)
                return refuse(d, ERR_BAD_VALUE, "fields", "names a field twice: \"%s\"",
                              q->fields[i]);
        if (!(d->out[d->nout++] = field_named(d, q->fields[i], "fields")))
            return false;
    }
    if (d->nout == 0)
        return refuse(d, ERR_BAD_VALUE, "fields", "fields must name at least one field");
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
        struct sqlb n;
        sqlb_init(&n);
        sqlb_add(&n, "");
        for (size_t i = 1; i < end - 1; i++) {
            add_bytes(&n, s + i, 1);
            i += s[i] == '"' && s[i + 1] == '"' && i + 1 < end - 1;
        }
        *name = n.sql;
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
            return refuse(d, ERR_BAD_VALUE, "sort", "cannot sort by \"%s\"", q->sort[i]);
        const struct sqlb_field *f = field_named(d, name, "sort");
        free(name);
        if (!f)
            return false;
        d->keys[d->nkeys++] = (struct sort_key){f, desc};
        has_id = has_id || f == &id_field;
    }
    if (!has_id && !q->distinct)
        d->keys[d->nkeys++] = (struct sort_key){&id_field, false};
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
            return refuse(d, ERR_BAD_VALUE, "sort",
                          "cannot sort by \"%s\" with distinct: it is not one of the fields shown",
                          d->keys[i].f->id);
    }
    return true;
}

/* Check q against t and collect its conditions, keys and fields, in the order the errors are
 * found. */
static bool ds_check(struct ds_build *d)
{
    sqlb_init(&d->conds);
    return filter_conds(d) && q_conds(d) && order_keys(d) && out_fields(d) &&
           distinct_keys_shown(d);
}

static void ds_build_free(struct ds_build *d)
{
    free(d->out);
    free(d->keys);
    sqlb_free(&d->conds);
}

/* The offset: $n, registered at its first use (PostgreSQL refuses a statement with a parameter
 * it never sees), or a number in a dump. The limit is written as a number instead: with LIMIT
 * $n the planner costs a generic plan for 10% of the rows, never picks it, and plans every
 * execution. */
static void ref_offset(struct ds_build *d, struct sqlb *w)
{
    if (d->literals) {
        sqlb_addf(w, "%lld", d->q->offset);
        return;
    }
    if (!d->offset_param) {
        char *s = xasprintf("%lld", d->q->offset);
        d->offset_param = new_param(d->b, s, s);
    }
    sqlb_addf(w, "$%d::bigint", d->offset_param);
}

static void column_list(struct ds_build *d, struct sqlb *w)
{
    for (int i = 0; i < d->nout; i++) {
        sqlb_add(w, i ? ", " : "");
        sqlb_ident(w, d->out[i]->id);
    }
}

static void from_table(struct ds_build *d, struct sqlb *w)
{
    sqlb_add(w, " FROM datastore.");
    sqlb_ident(w, d->t->table);
}

/* The page's SELECT; an unfiltered _id-ordered page of a dense table starts after the key
 * instead of skipping rows. */
static void page_select(struct ds_build *d, struct sqlb *w)
{
    const struct sqlb_read *q = d->q;
    bool keyset = d->nconds == 0 && d->nkeys == 1 && d->keys[0].f == &id_field &&
                  !d->keys[0].desc && d->t->max_id == d->t->row_count && q->offset > 0;
    sqlb_add(w, q->distinct ? "SELECT DISTINCT " : "SELECT ");
    column_list(d, w);
    from_table(d, w);
    if (keyset) {
        sqlb_add(w, " WHERE \"_id\" > ");
        ref_offset(d, w);
    } else if (d->nconds) {
        sqlb_add(w, " WHERE ");
        sqlb_add(w, d->conds.sql);
    }
    for (int i = 0; i < d->nkeys; i++) {
        sqlb_add(w, i ? ", " : " ORDER BY ");
        sqlb_ident(w, d->keys[i].f->id);
        sqlb_add(w, d->keys[i].desc ? " DESC" : " ASC");
    }
    if (q->limit >= 0)
        sqlb_addf(w, " LIMIT %lld", q->limit);
    if (!keyset && q->offset > 0) {
        sqlb_add(w, " OFFSET ");
        ref_offset(d, w);
    }
}

/* A column's JSON value as the API shows it: timestamps without fraction or zone; numeric as
 * a string for the Taiwan API (its example) and as a number for CKAN. */
static void value_expr(struct sqlb *w, const struct sqlb_field *f, enum sqlb_style style)
{
    if (strcmp(f->type, "timestamp") == 0) {
        sqlb_add(w, "to_char(");
        sqlb_ident(w, f->id);
        sqlb_add(w, ", 'YYYY-MM-DD\"T\"HH24:MI:SS')");
        return;
    }
    sqlb_ident(w, f->id);
    if (style == SQLB_TW && strcmp(f->type, "numeric") == 0)
        sqlb_add(w, "::text");
}

/* A column's text in csv/tsv records. */
static void text_expr(struct sqlb *w, const struct sqlb_field *f)
{
    if (strcmp(f->type, "bool") == 0) {
        sqlb_add(w, "CASE WHEN ");
        sqlb_ident(w, f->id);
        sqlb_add(w, " THEN 't' WHEN NOT ");
        sqlb_ident(w, f->id);
        sqlb_add(w, " THEN 'f' END");
    } else if (strcmp(f->type, "timestamp") == 0) {
        value_expr(w, f, SQLB_CKAN);
    } else {
        sqlb_ident(w, f->id);
        sqlb_add(w, "::text");
    }
}

/* The records as JSON text: an array of objects or lists, or the csv/tsv string (rows ending
 * in \n, no header, values quoted by ds_csv_quote as COPY would) as a JSON string. */
static void records_sql(struct ds_build *d, struct sqlb *w)
{
    enum sqlb_format fmt = d->q->format;
    bool csv = fmt == SQLB_CSV || fmt == SQLB_TSV;
    const char *sep = fmt == SQLB_CSV ? "," : "\t";
    sqlb_add(w, csv ? "(SELECT to_json(coalesce(string_agg(" : "(SELECT coalesce(json_agg(");
    if (!csv)
        sqlb_add(w, fmt == SQLB_LISTS ? "json_build_array(" : "json_build_object(");
    for (int i = 0; i < d->nout; i++) {
        const struct sqlb_field *f = d->out[i];
        if (csv) {
            if (i) {
                sqlb_add(w, " || ");
                sqlb_literal(w, sep);
                sqlb_add(w, " || ");
            }
            sqlb_add(w, "ds_csv_quote(");
            text_expr(w, f);
            sqlb_add(w, ", ");
            sqlb_literal(w, sep);
            sqlb_add(w, ")");
            continue;
        }
        sqlb_add(w, i ? ", " : "");
        if (fmt == SQLB_OBJECTS) {
            sqlb_literal(w, f->id);
            sqlb_add(w, ", ");
        }
        value_expr(w, f, d->q->style);
    }
    sqlb_add(w, csv ? " || E'\\n', ''), ''))::text FROM (" : ")), '[]')::text FROM (");
    page_select(d, w);
    sqlb_add(w, ") s)");
}

/* The total: the rows matching, the distinct rows, or the maintained row count. */
static void total_sql(struct ds_build *d, struct sqlb *w)
{
    const struct sqlb_read *q = d->q;
    if (q->style == SQLB_CKAN && !q->include_total) {
        sqlb_add(w, "NULL::bigint");
    } else if (q->distinct) {
        sqlb_add(w, "(SELECT count(*) FROM (SELECT DISTINCT ");
        column_list(d, w);
        from_table(d, w);
        if (d->nconds)
            sqlb_addf(w, " WHERE %s", d->conds.sql);
        sqlb_add(w, ") s)");
    } else if (d->nconds) {
        sqlb_add(w, "(SELECT count(*)");
        from_table(d, w);
        sqlb_addf(w, " WHERE %s)", d->conds.sql);
    } else {
        sqlb_add(w, "t.row_count");
    }
}

/* The fields array: each field's entry as PostgreSQL rendered it, joined as json_agg and
 * jsonb's output join them. */
static char *fields_json(struct ds_build *d)
{
    struct sqlb w;
    sqlb_init(&w);
    sqlb_add(&w, "[");
    for (int i = 0; i < d->nout; i++) {
        sqlb_add(&w, i ? ", " : "");
        sqlb_add(&w, d->q->style == SQLB_TW ? d->out[i]->tw_json : d->out[i]->ckan_json);
    }
    sqlb_add(&w, "]");
    return w.sql;
}

/* SELECT <result> FROM ds_readable($1, $2) t WHERE t.generation = $3. The fields array is a
 * literal: it depends on the table and the shape only, so a generic plan holds it parsed. */
static void statement(struct ds_build *d)
{
    struct sqlb *b = d->b;
    char *fields = fields_json(d);
    if (d->q->style == SQLB_TW) {
        sqlb_add(b, "SELECT tw_ds_result($1::text, ");
        sqlb_literal(b, fields);
        sqlb_add(b, ", ");
        records_sql(d, b);
        sqlb_addf(b, ", %lld, ", d->q->limit);
        ref_offset(d, b);
        sqlb_add(b, ", ");
        total_sql(d, b);
        sqlb_add(b, ")");
    } else {
        sqlb_add(b, "SELECT ckan_ds_head(");
        sqlb_param(b, d->q->ckan_p, "::jsonb");
        sqlb_add(b, ", ");
        sqlb_literal(b, fields);
        sqlb_add(b, "::jsonb, ");
        total_sql(d, b);
        sqlb_add(b, ") || ', \"records\": ' || ");
        records_sql(d, b);
        sqlb_add(b, " || '}'");
    }
    free(fields);
    sqlb_add(b, " FROM ds_readable($1::text, $2::ckan_viewer) t WHERE t.generation = $3::bigint");
}

bool sqlb_datastore_read(struct sqlb *b, const struct sqlb_table *t, const struct sqlb_read *q,
                         struct sqlb_err *err)
{
    struct ds_build d = {.b = b, .t = t, .q = q, .err = err};
    char *gen = xasprintf("%lld", q->generation);
    new_param(b, q->rid, NULL);
    new_param(b, q->viewer, NULL);
    new_param(b, gen, gen);
    bool ok = ds_check(&d);
    if (ok)
        statement(&d);
    ds_build_free(&d);
    return ok;
}

bool sqlb_datastore_rows(struct sqlb *b, const struct sqlb_table *t, const struct sqlb_read *q,
                         const struct sqlb_field ***out, int *nout, struct sqlb_err *err)
{
    struct sqlb_read page = *q;
    page.distinct = false;
    struct ds_build d = {.b = b, .t = t, .q = &page, .literals = true, .err = err};
    bool ok = ds_check(&d);
    if (ok)
        page_select(&d, b);
    *out = ok ? d.out : NULL;
    *nout = ok ? d.nout : 0;
    if (ok)
        d.out = NULL;
    ds_build_free(&d);
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

/* ---- the Filter API: columns by position ----------------------------------------------------- */

static const struct {
    const char *name;
    int min, max;
} ops[SQLB_NOPS] = {
    [SQLB_EQ] = {"eq", 1, 1},   [SQLB_NE] = {"ne", 1, 1},   [SQLB_IN] = {"in", 1, -1},
    [SQLB_NI] = {"ni", 1, -1},  [SQLB_CT] = {"ct", 1, 1},   [SQLB_NCT] = {"nct", 1, 1},
    [SQLB_BW] = {"bw", 1, 1},   [SQLB_NBW] = {"nbw", 1, 1}, [SQLB_EW] = {"ew", 1, 1},
    [SQLB_NEW] = {"new", 1, 1}, [SQLB_LT] = {"lt", 1, 1},   [SQLB_LE] = {"le", 1, 1},
    [SQLB_GT] = {"gt", 1, 1},   [SQLB_GE] = {"ge", 1, 1},   [SQLB_BT] = {"bt", 2, 2},
};

bool sqlb_op_parse(const char *name, enum sqlb_op *op)
{
    for (int i = 0; i < SQLB_NOPS; i++)
        if (strcmp(ops[i].name, name) == 0) {
            *op = (enum sqlb_op)i;
            return true;
        }
    return false;
}

const char *sqlb_op_name(enum sqlb_op op)
{
    return ops[op].name;
}

void sqlb_op_arity(enum sqlb_op op, int *min, int *max)
{
    *min = ops[op].min;
    *max = ops[op].max;
}

bool sqlb_op_numeric(enum sqlb_op op)
{
    return op >= SQLB_LT;
}

/* The longest text read as a number: PostgreSQL's numeric takes any such text (131072 digits
 * before the point, 16383 after), and no cell of open data that is a number is longer. */
#define NUMBER_MAX_LEN 500
/* sqlb_is_number in PostgreSQL's regular expressions, with length(x) <= NUMBER_MAX_LEN. */
#define NUMBER_RE "'^[ \\t]*[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]{1,3})?[ \\t]*$'"

static size_t digit_run(const char *s)
{
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    return n;
}

bool sqlb_is_number(const char *s)
{
    if (strlen(s) > NUMBER_MAX_LEN)
        return false;
    s += strspn(s, " \t");
    s += *s == '+' || *s == '-';
    size_t ni = digit_run(s), nf = 0;
    s += ni;
    if (*s == '.') {
        nf = digit_run(++s);
        s += nf;
    }
    if (ni == 0 && nf == 0)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        s += *s == '+' || *s == '-';
        size_t ne = digit_run(s);
        if (ne == 0 || ne > 3)
            return false;
        s += ne;
    }
    s += strspn(s, " \t");
    return *s == '\0';
}

/* A cell's text as the filters compare it and the API shows it; an empty cell is "". */
static void cell_text(struct sqlb *w, const struct sqlb_field *f)
{
    sqlb_add(w, "coalesce(");
    if (strcmp(f->type, "timestamp") == 0)
        value_expr(w, f, SQLB_CKAN);
    else
        column_text(w, f);
    sqlb_add(w, ", '')");
}

/* A cell's number, or NULL when it is not one (a text that does not read as one). */
static void cell_number(struct sqlb *w, const struct sqlb_field *f)
{
    const char *t = f->type;
    if (!strcmp(t, "int4") || !strcmp(t, "int8") || !strcmp(t, "numeric")) {
        sqlb_ident(w, f->id);
        return;
    }
    sqlb_add(w, "CASE WHEN length(");
    cell_text(w, f);
    sqlb_addf(w, ") <= %d AND ", NUMBER_MAX_LEN);
    cell_text(w, f);
    sqlb_add(w, " ~ " NUMBER_RE " THEN ");
    cell_text(w, f);
    sqlb_add(w, "::numeric END");
}

/* Column col (1-based), or NULL after refusing the request on param. */
static const struct sqlb_field *column_at(struct ds_build *d, long long col, const char *param,
                                          int item)
{
    int n = d->t->nfields;
    if (col >= 1 && col <= n)
        return &d->t->fields[col - 1];
    refuse(d, ERR_BAD_VALUE, param, "%s[%d]: column %lld does not exist: the resource has %d %s",
           param, item, col, n, n == 1 ? "column" : "columns");
    return NULL;
}

static void text_op(struct ds_build *d, const struct sqlb_field *f, const struct sqlb_colfilter *c)
{
    struct sqlb *w = &d->conds;
    const char *v = c->operands[0];
    bool neg = c->op == SQLB_NE || c->op == SQLB_NI || c->op == SQLB_NCT || c->op == SQLB_NBW ||
               c->op == SQLB_NEW;
    switch (c->op) {
    case SQLB_IN:
    case SQLB_NI:
        sqlb_add(w, neg ? "NOT (" : "(");
        cell_text(w, f);
        sqlb_add(w, " = ANY (");
        cond_value(d, sqlb_text_array(c->operands, c->n), "::text[]");
        sqlb_add(w, "))");
        return;
    case SQLB_CT:
    case SQLB_NCT:
        sqlb_add(w, "strpos(");
        cell_text(w, f);
        sqlb_add(w, ", ");
        cond_value(d, xstrdup(v), "::text");
        sqlb_add(w, neg ? ") = 0" : ") > 0");
        return;
    case SQLB_BW:
    case SQLB_NBW:
        sqlb_add(w, neg ? "NOT starts_with(" : "starts_with(");
        cell_text(w, f);
        sqlb_add(w, ", ");
        cond_value(d, xstrdup(v), "::text");
        sqlb_add(w, ")");
        return;
    case SQLB_EW:
    case SQLB_NEW:
        sqlb_add(w, "right(");
        cell_text(w, f);
        sqlb_add(w, ", length(");
        cond_value(d, xstrdup(v), "::text");
        sqlb_add(w, neg ? ")) <> " : ")) = ");
        break;
    default:
        cell_text(w, f); /* eq, ne */
        sqlb_add(w, neg ? " <> " : " = ");
    }
    cond_value(d, xstrdup(v), "::text");
}

static void number_op(struct ds_build *d, const struct sqlb_field *f,
                      const struct sqlb_colfilter *c)
{
    static const char *const cmp[] = {[SQLB_LT] = " < ", [SQLB_LE] = " <= ", [SQLB_GT] = " > ",
                                      [SQLB_GE] = " >= ", [SQLB_BT] = " BETWEEN "};
    struct sqlb *w = &d->conds;
    sqlb_add(w, "(");
    cell_number(w, f);
    sqlb_add(w, cmp[c->op]);
    cond_value(d, xstrdup(c->operands[0]), "::numeric");
    if (c->op == SQLB_BT) {
        sqlb_add(w, " AND ");
        cond_value(d, xstrdup(c->operands[1]), "::numeric");
    }
    sqlb_add(w, ")");
}

/* The filters as conditions; their operand counts and numbers were checked by the parser. */
static bool column_conds(struct ds_build *d, const struct sqlb_cols *q)
{
    for (int i = 0; i < q->nfilters; i++) {
        const struct sqlb_colfilter *c = &q->filters[i];
        const struct sqlb_field *f = column_at(d, c->col, "filters", i);
        if (!f)
            return false;
        cond_start(d);
        if (sqlb_op_numeric(c->op))
            number_op(d, f, c);
        else
            text_op(d, f, c);
    }
    return true;
}

/* The sorts, then file order; every data field shown, in table order. */
static bool column_keys(struct ds_build *d, const struct sqlb_cols *q)
{
    d->keys = xmalloc(sizeof(*d->keys) * (size_t)(q->nsorts + 1));
    for (int i = 0; i < q->nsorts; i++) {
        const struct sqlb_field *f = column_at(d, q->sorts[i].col, "sorts", i);
        if (!f)
            return false;
        d->keys[d->nkeys++] = (struct sort_key){f, q->sorts[i].desc};
    }
    d->keys[d->nkeys++] = (struct sort_key){&id_field, false};
    d->out = xmalloc(sizeof(*d->out) * (size_t)d->t->nfields);
    for (int i = 0; i < d->t->nfields; i++)
        d->out[d->nout++] = &d->t->fields[i];
    return true;
}

bool sqlb_column_rows(struct sqlb *b, const struct sqlb_table *t, const struct sqlb_cols *q,
                      const struct sqlb_field ***out, int *nout, struct sqlb_err *err)
{
    static const struct sqlb_read page = {.limit = -1};
    struct ds_build d = {.b = b, .t = t, .q = &page, .literals = true, .err = err};
    sqlb_init(&d.conds);
    bool ok = false;
    if (t->nfields == 0)
        refuse(&d, "OD100", "resource", "the resource has no columns");
    else if (q->section != 1)
        refuse(&d, ERR_BAD_VALUE, "section",
               "section %lld does not exist: the resource has 1 section", q->section);
    else
        ok = column_conds(&d, q) && column_keys(&d, q);
    if (ok)
        page_select(&d, b);
    *out = ok ? d.out : NULL;
    *nout = ok ? d.nout : 0;
    if (ok)
        d.out = NULL;
    ds_build_free(&d);
    return ok;
}
