/* sqlbuild — SQL text with quoted identifiers and $n parameters; the datastore read. */
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

/* _id as each API lists it (ds_all_fields types it int8). */
static const struct sqlb_field id_field = {"_id", "int8", "{\"type\" : \"int4\", \"id\" : \"_id\"}",
                                           "{\"id\": \"_id\", \"type\": \"int\"}"};

struct sort_key {
    const struct sqlb_field *f;
    bool desc;
};

struct ds_build {
    struct sqlb *b; /* the statement; every parameter is registered here */
    const struct sqlb_table *t;
    const struct sqlb_read *q;
    const struct sqlb_field **out; /* the fields shown */
    int nout;
    struct sqlb conds; /* the WHERE conditions, " AND "-joined */
    int nconds;
    struct sort_key *keys;
    int nkeys;
    int offset_param; /* 0 until referenced */
};

/* The field called name (_id included), or NULL; the first one, as ds_field_type finds it. */
static const struct sqlb_field *find_field(const struct sqlb_table *t, const char *name)
{
    if (strcmp(name, "_id") == 0)
        return &id_field;
    for (int i = 0; i < t->nfields; i++)
        if (strcmp(t->fields[i].id, name) == 0)
            return &t->fields[i];
    return NULL;
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
 * and PostgreSQL agree on: strings, integers, booleans. NULL for others: a number with a
 * fraction or an exponent is re-rendered by jsonb's numeric, so the SQL function takes it. */
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

/* The keys of object o in the order jsonb_each gives them (shorter first, then bytewise);
 * malloc'd array of *n borrowed names. */
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

/* Register a parameter and write its reference into the conditions. */
static void cond_param(struct ds_build *d, char *owned, const char *cast)
{
    sqlb_addf(&d->conds, "$%d%s", new_param(d->b, owned, owned), cast);
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

/* "f = ANY ($n::text[])" for a list of scalars (null elements are NULLs, as in the SQL). */
static bool filter_list(struct ds_build *d, json_object *v)
{
    size_t n = json_object_array_length(v);
    char **vals = xcalloc(n + 1, sizeof(char *));
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        ok = json_object_is_type(e, json_type_null) || (vals[i] = scalar_text(e)) != NULL;
    }
    if (ok) {
        sqlb_add(&d->conds, " = ANY (");
        cond_param(d, sqlb_text_array((const char *const *)vals, (int)n), "::text[]");
        sqlb_add(&d->conds, ")");
    }
    for (size_t i = 0; i < n; i++)
        free(vals[i]);
    free(vals);
    return ok;
}

/* One filter, as ds_where writes it: null → IS NULL, list → ANY, scalar → equality of text. */
static bool filter_cond(struct ds_build *d, const char *key, json_object *v)
{
    const struct sqlb_field *f = find_field(d->t, key);
    if (!f)
        return false;
    cond_start(d);
    if (json_object_is_type(v, json_type_null)) {
        sqlb_ident(&d->conds, key);
        sqlb_add(&d->conds, " IS NULL");
        return true;
    }
    column_text(&d->conds, f);
    if (json_object_is_type(v, json_type_array))
        return filter_list(d, v);
    char *s = scalar_text(v);
    if (!s)
        return false;
    sqlb_add(&d->conds, " = ");
    cond_param(d, s, "::text");
    return true;
}

static bool filter_conds(struct ds_build *d)
{
    if (!d->q->filters)
        return true;
    if (!json_object_is_type(d->q->filters, json_type_object))
        return false;
    int n;
    const char **keys = jsonb_keys(d->q->filters, &n);
    bool ok = true;
    for (int i = 0; i < n && ok; i++)
        ok = filter_cond(d, keys[i], json_object_object_get(d->q->filters, keys[i]));
    free(keys);
    return ok;
}

/* q: a string searched in search_expr, or field → words searched in that column's text. */
static bool q_conds(struct ds_build *d)
{
    json_object *q = d->q->q;
    const char *s = plain_string(q);
    if (s && *s) {
        cond_start(d);
        sqlb_addf(&d->conds, "(%s) ILIKE ", d->t->search_expr ? d->t->search_expr : "''::text");
        cond_param(d, sqlb_like_pattern(s), "::text");
        return true;
    }
    if (!q || s)
        return true;
    if (!json_object_is_type(q, json_type_object))
        return false;
    int n;
    const char **keys = jsonb_keys(q, &n);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        const char *words = plain_string(json_object_object_get(q, keys[i]));
        ok = words && find_field(d->t, keys[i]);
        if (ok) {
            cond_start(d);
            sqlb_ident(&d->conds, keys[i]);
            sqlb_add(&d->conds, "::text ILIKE ");
            cond_param(d, sqlb_like_pattern(words), "::text");
        }
    }
    free(keys);
    return ok;
}

/* The fields shown: all (_id first) or the named ones in the order given. A name given twice
 * is the SQL function's to refuse (OD210). */
static bool out_fields(struct ds_build *d)
{
    const struct sqlb_read *q = d->q;
    const struct sqlb_table *t = d->t;
    if (q->fields && q->nfields <= 0)
        return false;
    d->nout = q->fields ? q->nfields : t->nfields + 1;
    d->out = xmalloc(sizeof(*d->out) * (size_t)d->nout);
    for (int i = 0; i < d->nout; i++) {
        d->out[i] = q->fields ? find_field(t, q->fields[i]) : i ? &t->fields[i - 1] : &id_field;
        if (!d->out[i])
            return false;
        for (int j = 0; j < i; j++)
            if (d->out[j] == d->out[i])
                return false;
    }
    return true;
}

/* Whitespace PostgreSQL's regex \s may match besides the ASCII space (by UTF-8 prefix; U+2000
 * to U+203F whole, to be safe): a sort key holding one is read by the SQL function. */
static bool odd_space(const char *s)
{
    static const char *const seqs[] = {"\t", "\n", "\v", "\f", "\r", "\xc2\x85", "\xc2\xa0",
                                       "\xe1\x9a\x80", "\xe1\xa0\x8e", "\xe2\x80", "\xe2\x81\x9f",
                                       "\xe3\x80\x80", "\xef\xbb\xbf"};
    for (size_t i = 0; i < ARRAY_LEN(seqs); i++)
        if (strstr(s, seqs[i]))
            return true;
    return false;
}

/* One sort key "name", "name asc" or "name desc" (any case), read as ds_order's regular
 * expression reads it; keys it could read differently (spaces at the ends or doubled before
 * the direction, other white space, a quoted name) are left to it. */
static bool sort_key(struct ds_build *d, const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ' || s[0] == '"' || odd_space(s))
        return false;
    const char *sp = strrchr(s, ' ');
    bool asc = sp && strcasecmp(sp + 1, "asc") == 0, desc = sp && strcasecmp(sp + 1, "desc") == 0;
    size_t len = asc || desc ? (size_t)(sp - s) : n;
    if (s[len - 1] == ' ')
        return false;
    char *name = xstrndup(s, len);
    const struct sqlb_field *f = find_field(d->t, name);
    free(name);
    if (!f)
        return false;
    d->keys[d->nkeys++] = (struct sort_key){f, desc};
    return true;
}

static bool shown(const struct ds_build *d, const struct sqlb_field *f)
{
    for (int i = 0; i < d->nout; i++)
        if (d->out[i] == f)
            return true;
    return false;
}

/* ORDER BY keys: the sort given, then _id (for stable pages) unless given or DISTINCT. With
 * DISTINCT a key not shown is an SQL error, which the SQL function answers. */
static bool order_keys(struct ds_build *d)
{
    const struct sqlb_read *q = d->q;
    d->keys = xmalloc(sizeof(*d->keys) * (size_t)(q->nsort + 1));
    bool has_id = false;
    for (int i = 0; i < q->nsort; i++) {
        if (!sort_key(d, q->sort[i]) || (q->distinct && !shown(d, d->keys[i].f)))
            return false;
        has_id = has_id || d->keys[d->nkeys - 1].f == &id_field;
    }
    if (!has_id && !q->distinct)
        d->keys[d->nkeys++] = (struct sort_key){&id_field, false};
    return true;
}


/* $n of the offset, registered at its first use (PostgreSQL refuses a statement with a
 * parameter it never sees). The limit is written as a number instead: with LIMIT $n the planner
 * costs a generic plan for 10% of the rows, never picks it, and plans every execution. */
static void ref_offset(struct ds_build *d, struct sqlb *w)
{
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

/* The page's SELECT, as ds_select_sql writes it; an unfiltered _id-ordered page of a dense
 * table starts after the key instead of skipping rows. */
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
    sqlb_addf(w, " LIMIT %lld", q->limit);
    if (!keyset && q->offset > 0) {
        sqlb_add(w, " OFFSET ");
        ref_offset(d, w);
    }
}

/* A column's JSON value as the API shows it (ds_value_expr). */
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

/* A column's text in csv/tsv records (ds_text_expr). */
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

/* The records as JSON text: an array of objects or lists (ds_records_json), or the csv/tsv
 * string (ds_records_csv, as a JSON string). */
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

/* The total (ds_total): the rows matching, the distinct rows, or the maintained row count. */
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

bool sqlb_datastore_read(struct sqlb *b, const struct sqlb_table *t, const struct sqlb_read *q)
{
    struct ds_build d = {.b = b, .t = t, .q = q};
    sqlb_init(&d.conds);
    char *gen = xasprintf("%lld", q->generation);
    new_param(b, q->rid, NULL);
    new_param(b, q->viewer, NULL);
    new_param(b, gen, gen);
    bool ok = (q->style == SQLB_CKAN || (q->format == SQLB_OBJECTS && !q->distinct)) &&
              out_fields(&d) && filter_conds(&d) && q_conds(&d) && order_keys(&d);
    if (ok)
        statement(&d);
    free(d.out);
    free(d.keys);
    sqlb_free(&d.conds);
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
