/* sqlbuild_read — the DataStore reads' statements over what sqlbuild.c checked and collected:
 * the page's SELECT, the row-wise statement (the result's head and tail on its first row), the
 * split pair for streamed pages (a head statement, then the rows for COPY), csv/tsv records and
 * the dumps' rows. */
#include "sqlbuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlbuild_int.h"
#include "util.h"

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
        d->offset_param = sqlb_new_param(d->b, s, s);
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
void sqlb_page_select(struct ds_build *d, struct sqlb *w)
{
    const struct sqlb_read *q = d->q;
    bool keyset = d->nconds == 0 && d->nkeys == 1 && d->keys[0].f == &sqlb_id_field &&
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
void sqlb_value_expr(struct sqlb *w, const struct sqlb_field *f, enum sqlb_style style)
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

/* How the C writer renders a field's column in a row-wise read (sqlb_value_expr's for
 * timestamps and Taiwan numerics: text). Types without a plain text form go through to_json;
 * so would dates, but see row_value_expr. */
static enum sqlb_kind value_kind(const struct sqlb_field *f, enum sqlb_style style)
{
    static const struct {
        const char *type;
        enum sqlb_kind kind;
    } kinds[] = {
        {"int2", SQLB_K_NUMBER},   {"int4", SQLB_K_NUMBER},      {"int8", SQLB_K_NUMBER},
        {"float4", SQLB_K_NUMBER}, {"float8", SQLB_K_NUMBER},    {"numeric", SQLB_K_NUMBER},
        {"text", SQLB_K_STRING},   {"varchar", SQLB_K_STRING},   {"bpchar", SQLB_K_STRING},
        {"uuid", SQLB_K_STRING},   {"timestamp", SQLB_K_STRING}, {"date", SQLB_K_STRING},
        {"bool", SQLB_K_BOOL}};
    if (style == SQLB_TW && strcmp(f->type, "numeric") == 0)
        return SQLB_K_STRING;
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
        if (strcmp(f->type, kinds[i].type) == 0)
            return kinds[i].kind;
    return SQLB_K_JSON;
}

/* A field's column in a row-wise read: its value as value_kind says the writer reads it. A
 * date's text is its JSON string's under DateStyle ISO (the default), in a fifth of to_json's
 * time; under another style to_json's text is taken (the test runs once a statement). */
static void row_value_expr(struct sqlb *w, const struct sqlb_field *f, enum sqlb_style style)
{
    if (strcmp(f->type, "date") == 0) {
        sqlb_add(w, "CASE WHEN (SELECT current_setting('DateStyle') LIKE 'ISO%') THEN ");
        sqlb_ident(w, f->id);
        sqlb_add(w, "::text ELSE to_json(");
        sqlb_ident(w, f->id);
        sqlb_add(w, ") #>> '{}' END");
        return;
    }
    if (value_kind(f, style) != SQLB_K_JSON) {
        sqlb_value_expr(w, f, style);
        return;
    }
    sqlb_add(w, "to_json(");
    sqlb_ident(w, f->id);
    sqlb_add(w, ")");
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
        sqlb_value_expr(w, f, SQLB_CKAN);
    } else {
        sqlb_ident(w, f->id);
        sqlb_add(w, "::text");
    }
}

/* The csv/tsv records as one JSON string (rows ending in \n, no header, values quoted by
 * ds_csv_quote as COPY would). */
static void csv_records_sql(struct ds_build *d, struct sqlb *w)
{
    const char *sep = d->q->format == SQLB_CSV ? "," : "\t";
    sqlb_add(w, "(SELECT to_json(coalesce(string_agg(");
    for (int i = 0; i < d->nout; i++) {
        if (i) {
            sqlb_add(w, " || ");
            sqlb_literal(w, sep);
            sqlb_add(w, " || ");
        }
        sqlb_add(w, "ds_csv_quote(");
        text_expr(w, d->out[i]);
        sqlb_add(w, ", ");
        sqlb_literal(w, sep);
        sqlb_add(w, ")");
    }
    sqlb_add(w, " || E'\\n', ''), ''))::text FROM (");
    sqlb_page_select(d, w);
    sqlb_add(w, ") s)");
}

/* The page's rows, numbered, one column per shown field (the row-wise shape). */
static void rows_sql(struct ds_build *d, struct sqlb *w)
{
    sqlb_add(w, "(SELECT row_number() OVER ()");
    for (int i = 0; i < d->nout; i++) {
        sqlb_add(w, ", ");
        row_value_expr(w, d->out[i], d->q->style);
    }
    sqlb_add(w, " FROM (");
    sqlb_page_select(d, w);
    sqlb_add(w, ") p) s(n");
    for (int i = 0; i < d->nout; i++)
        sqlb_addf(w, ", c%d", i + 1);
    sqlb_add(w, ")");
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

/* The result's text before the records (CKAN's: after ckan_ds_head; t is the bookkeeping row
 * ds_readable gave, its resource_id the resource's also when the request named an alias). */
static void head_sql(struct ds_build *d, const char *fields)
{
    struct sqlb *b = d->b;
    if (d->q->style == SQLB_TW) {
        sqlb_add(b, "tw_ds_head($1::text, ");
        sqlb_literal(b, fields);
        sqlb_add(b, ")");
        return;
    }
    sqlb_add(b, "ckan_ds_head(");
    sqlb_param(b, d->q->ckan_p, "::jsonb");
    sqlb_add(b, ", ");
    sqlb_literal(b, fields);
    sqlb_add(b, "::jsonb, ");
    total_sql(d, b);
    sqlb_add(b, ", t.resource_id) || ', \"records\": '");
}

/* The result's text after the records. */
static void tail_sql(struct ds_build *d)
{
    struct sqlb *b = d->b;
    if (d->q->style == SQLB_CKAN) {
        sqlb_add(b, "'}'");
        return;
    }
    sqlb_addf(b, "tw_ds_tail(%lld, ", d->q->limit);
    ref_offset(d, b);
    sqlb_add(b, ", ");
    total_sql(d, b);
    sqlb_add(b, ")");
}

#define READABLE " FROM ds_readable($1::text, $2::ckan_viewer) t"
#define AT_GENERATION " WHERE t.generation = $3::bigint"

/* Records as objects or lists: the head and tail once (a lateral over the bookkeeping row), on
 * the first row only, then the page's rows; an empty page's one row has n NULL. The fields
 * array is a literal: it depends on the table and the shape only, so a generic plan holds it
 * parsed. */
static void rowwise_statement(struct ds_build *d, const char *fields)
{
    struct sqlb *b = d->b;
    sqlb_add(b, "SELECT CASE WHEN s.n IS NULL OR s.n = 1 THEN h.head END, CASE WHEN s.n IS NULL "
                "OR s.n = 1 THEN h.tail END, s.*" READABLE " CROSS JOIN LATERAL (SELECT ");
    head_sql(d, fields);
    sqlb_add(b, " AS head, ");
    tail_sql(d);
    sqlb_add(b, " AS tail) h LEFT JOIN LATERAL ");
    rows_sql(d, b);
    sqlb_add(b, " ON true" AT_GENERATION);
}

/* csv/tsv records: one row, the whole result. */
static void csv_statement(struct ds_build *d, const char *fields)
{
    struct sqlb *b = d->b;
    sqlb_add(b, "SELECT ");
    head_sql(d, fields);
    sqlb_add(b, " || ");
    csv_records_sql(d, b);
    sqlb_add(b, " || '}'" READABLE AT_GENERATION);
}

static void fill_shape(const struct ds_build *d, struct sqlb_shape *shape)
{
    shape->rowwise = true;
    shape->format = d->q->format;
    shape->first = 3;
    shape->ncols = d->nout;
    shape->names = xcalloc((size_t)d->nout + 1, sizeof(char *));
    shape->kinds = xcalloc((size_t)d->nout + 1, sizeof(enum sqlb_kind));
    for (int i = 0; i < d->nout; i++) {
        shape->names[i] = xstrdup(d->out[i]->id);
        shape->kinds[i] = value_kind(d->out[i], d->q->style);
    }
}

void sqlb_shape_free(struct sqlb_shape *s)
{
    for (int i = 0; s->names && i < s->ncols; i++)
        free(s->names[i]);
    free(s->names);
    free(s->kinds);
    *s = (struct sqlb_shape){0};
}

static void statement(struct ds_build *d, struct sqlb_shape *shape)
{
    char *fields = fields_json(d);
    *shape = (struct sqlb_shape){.format = d->q->format};
    if (d->q->style == SQLB_CKAN && (d->q->format == SQLB_CSV || d->q->format == SQLB_TSV)) {
        csv_statement(d, fields);
    } else {
        rowwise_statement(d, fields);
        fill_shape(d, shape);
    }
    free(fields);
}

/* $1 the resource, $2 the caller, $3 the generation: what ds_readable checks. */
static void read_params(struct sqlb *b, const struct sqlb_read *q)
{
    char *gen = xasprintf("%lld", q->generation);
    sqlb_new_param(b, q->rid, NULL);
    sqlb_new_param(b, q->viewer, NULL);
    sqlb_new_param(b, gen, gen);
}

bool sqlb_datastore_read(struct sqlb *b, const struct sqlb_table *t, const struct sqlb_read *q,
                         struct sqlb_shape *shape, struct sqlb_err *err)
{
    *shape = (struct sqlb_shape){0};
    struct ds_build d = {.b = b, .t = t, .q = q, .err = err};
    read_params(b, q);
    bool ok = sqlb_check(&d);
    if (ok)
        statement(&d, shape);
    sqlb_build_free(&d);
    return ok;
}

/* A split read's head: SELECT <head>, <tail> FROM ds_readable($1, $2) t WHERE generation. */
static void head_statement(struct ds_build *d)
{
    char *fields = fields_json(d);
    sqlb_add(d->b, "SELECT ");
    head_sql(d, fields);
    sqlb_add(d->b, ", ");
    tail_sql(d);
    sqlb_add(d->b, READABLE AT_GENERATION);
    free(fields);
}

/* A split read's rows: the page's, one column per shown field, by COPY (values as literals). */
static void rows_statement(struct ds_build *d)
{
    sqlb_add(d->b, "COPY (SELECT ");
    for (int i = 0; i < d->nout; i++) {
        sqlb_add(d->b, i ? ", " : "");
        row_value_expr(d->b, d->out[i], d->q->style);
    }
    sqlb_add(d->b, " FROM (");
    sqlb_page_select(d, d->b);
    sqlb_add(d->b, ") p) TO STDOUT");
}

bool sqlb_datastore_read_split(struct sqlb *head, struct sqlb *rows, const struct sqlb_table *t,
                               const struct sqlb_read *q, struct sqlb_shape *shape,
                               struct sqlb_err *err)
{
    *shape = (struct sqlb_shape){0};
    if (q->format != SQLB_OBJECTS && q->format != SQLB_LISTS)
        return sqlb_refuse(&(struct ds_build){.err = err}, ERR_BAD_VALUE, "records_format",
                           "a split read writes objects or lists");
    struct ds_build d = {.b = head, .t = t, .q = q, .err = err};
    read_params(head, q);
    bool ok = sqlb_check(&d);
    if (ok)
        head_statement(&d);
    sqlb_build_free(&d);
    if (!ok)
        return false;
    d = (struct ds_build){.b = rows, .t = t, .q = q, .literals = true, .err = err};
    ok = sqlb_check(&d);
    if (ok) {
        rows_statement(&d);
        fill_shape(&d, shape);
        shape->first = 0;
    }
    sqlb_build_free(&d);
    return ok;
}

bool sqlb_datastore_rows(struct sqlb *b, const struct sqlb_table *t, const struct sqlb_read *q,
                         const struct sqlb_field ***out, int *nout, struct sqlb_err *err)
{
    struct sqlb_read page = *q;
    page.distinct = false;
    struct ds_build d = {.b = b, .t = t, .q = &page, .literals = true, .err = err};
    bool ok = sqlb_check(&d);
    if (ok)
        sqlb_page_select(&d, b);
    return sqlb_build_finish(&d, ok, out, nout);
}
