/* sqlbuild_cols — the Filter API's SELECT: a table's columns by position, its fifteen operators
 * on a cell's text or number (sqlbuild.h, "the Filter API"), on the generator's shared parts. */
#include "sqlbuild.h"

#include <stdlib.h>
#include <string.h>

#include "sqlbuild_int.h"
#include "util.h"

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
        sqlb_value_expr(w, f, SQLB_CKAN);
    else
        sqlb_column_text(w, f);
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
    sqlb_refuse(d, ERR_BAD_VALUE, param,
                "%s[%d]: column %lld does not exist: the resource has %d %s", param, item, col, n,
                n == 1 ? "column" : "columns");
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
        sqlb_cond_value(d, sqlb_text_array(c->operands, c->n), "::text[]");
        sqlb_add(w, "))");
        return;
    case SQLB_CT:
    case SQLB_NCT:
        sqlb_add(w, "strpos(");
        cell_text(w, f);
        sqlb_add(w, ", ");
        sqlb_cond_value(d, xstrdup(v), "::text");
        sqlb_add(w, neg ? ") = 0" : ") > 0");
        return;
    case SQLB_BW:
    case SQLB_NBW:
        sqlb_add(w, neg ? "NOT starts_with(" : "starts_with(");
        cell_text(w, f);
        sqlb_add(w, ", ");
        sqlb_cond_value(d, xstrdup(v), "::text");
        sqlb_add(w, ")");
        return;
    case SQLB_EW:
    case SQLB_NEW:
        sqlb_add(w, "right(");
        cell_text(w, f);
        sqlb_add(w, ", length(");
        sqlb_cond_value(d, xstrdup(v), "::text");
        sqlb_add(w, neg ? ")) <> " : ")) = ");
        break;
    default:
        cell_text(w, f); /* eq, ne */
        sqlb_add(w, neg ? " <> " : " = ");
    }
    sqlb_cond_value(d, xstrdup(v), "::text");
}

static void number_op(struct ds_build *d, const struct sqlb_field *f,
                      const struct sqlb_colfilter *c)
{
    static const char *const cmp[] = {[SQLB_LT] = " < ",
                                      [SQLB_LE] = " <= ",
                                      [SQLB_GT] = " > ",
                                      [SQLB_GE] = " >= ",
                                      [SQLB_BT] = " BETWEEN "};
    struct sqlb *w = &d->conds;
    sqlb_add(w, "(");
    cell_number(w, f);
    sqlb_add(w, cmp[c->op]);
    sqlb_cond_value(d, xstrdup(c->operands[0]), "::numeric");
    if (c->op == SQLB_BT) {
        sqlb_add(w, " AND ");
        sqlb_cond_value(d, xstrdup(c->operands[1]), "::numeric");
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
        sqlb_cond_start(d);
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
    d->keys[d->nkeys++] = (struct sort_key){&sqlb_id_field, false};
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
        sqlb_refuse(&d, "OD100", "resource", "the resource has no columns");
    else if (q->section != 1)
        sqlb_refuse(&d, ERR_BAD_VALUE, "section",
                    "section %lld does not exist: the resource has 1 section", q->section);
    else
        ok = column_conds(&d, q) && column_keys(&d, q);
    if (ok)
        sqlb_page_select(&d, b);
    return sqlb_build_finish(&d, ok, out, nout);
}
