/* dump_src — dump rows from PostgreSQL: one snapshot, COPY for CSV, a cursor otherwise. */
#include "dump_src.h"

#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "db_err.h"
#include "db_pool.h"
#include "ds_cache.h"
#include "dump_worker.h"
#include "hk_query.h"
#include "sqlbuild.h"
#include "util.h"

#define DSRC_FETCH 2000
#define DSRC_FETCH_SQL "FETCH 2000 FROM dump_c"

struct dsrc {
    PGconn *conn;
    bool copy;       /* rows come from COPY */
    bool copying;    /* COPY still sending */
    bool last;       /* the current batch is the cursor's last */
    PGresult *res;   /* current cursor batch */
    int row, nrows;
    const char **vals;
    int *lens;
};

void dsrc_err_clear(struct dsrc_err *err)
{
    free(err->message);
    err->message = NULL;
    err->sqlstate[0] = '\0';
}

enum err_kind dsrc_err_kind(const struct dsrc_err *err)
{
    /* res_err leaves the state empty when the connection is gone */
    return dberr_err_kind(dberr_classify(err->sqlstate, !*err->sqlstate));
}

static void set_err(struct dsrc_err *err, const char *state, const char *msg)
{
    free(err->message);
    snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state ? state : "");
    err->message = xstrndup(msg, strcspn(msg, "\n"));
}

/* Record the error of res (or of the connection) and clear res. */
static void res_err(PGconn *c, PGresult *res, struct dsrc_err *err)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (PQstatus(c) == CONNECTION_BAD)
        st = "";
    set_err(err, st, msg ? msg : PQerrorMessage(c));
    PQclear(res);
}

static bool exec_ok(PGconn *c, const char *sql, ExecStatusType want, struct dsrc_err *err)
{
    PGresult *res = PQexec(c, sql);
    if (PQresultStatus(res) == want) {
        PQclear(res);
        return true;
    }
    res_err(c, res, err);
    return false;
}

/* The select list: timestamps as CKAN shows them (to_char, no fraction), booleans of the
 * Taiwan CSV as true/false when COPY writes them. */
static char *select_list(PGconn *c, const struct dfmt *fmt, bool copy)
{
    struct sbuf b = {0};
    for (int i = 0; i < fmt->nf; i++) {
        const struct dfmt_field *f = &fmt->f[i];
        char *id = PQescapeIdentifier(c, f->id, strlen(f->id));
        if (i)
            sbuf_adds(&b, ", ");
        if (strcmp(f->type, "timestamp") == 0) {
            sbuf_adds(&b, "to_char(");
            sbuf_adds(&b, id);
            sbuf_adds(&b, ", 'YYYY-MM-DD\"T\"HH24:MI:SS')");
        } else {
            sbuf_adds(&b, id);
            if (copy && f->t == DT_BOOL && (fmt->kind == DFMT_TW_CSV || fmt->kind == DFMT_HK_CSV))
                sbuf_adds(&b, "::text");
        }
        PQfreemem(id);
    }
    sbuf_add(&b, "", 1);
    return b.p;
}

/* Start COPY or declare the cursor over the query text. */
static bool start_rows(struct dsrc *s, const struct dfmt *fmt, const char *sql, bool distinct,
                       struct dsrc_err *err)
{
    char *cols = select_list(s->conn, fmt, s->copy);
    char *q;
    if (s->copy)
        q = xasprintf("COPY (SELECT %s%s FROM (%s) s) TO STDOUT WITH (FORMAT csv%s)",
                      distinct ? "DISTINCT " : "", cols, sql,
                      fmt->kind == DFMT_CKAN_TSV ? ", DELIMITER E'\\t'" : "");
    else
        q = xasprintf("DECLARE dump_c NO SCROLL CURSOR FOR SELECT %s%s FROM (%s) s",
                      distinct ? "DISTINCT " : "", cols, sql);
    bool ok = exec_ok(s->conn, q, s->copy ? PGRES_COPY_OUT : PGRES_COMMAND_OK, err);
    s->copying = ok && s->copy;
    free(cols);
    free(q);
    return ok;
}

/* BEGIN on a borrowed connection; a cached connection that died is replaced once. */
static PGconn *begin(struct dsrc_err *err)
{
    static const char *const sql =
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = 0";
    for (int attempt = 0; attempt < 2; attempt++) {
        char *cerr = NULL;
        PGconn *c = dw_conn_get(&cerr);
        if (!c) {
            set_err(err, "", cerr);
            free(cerr);
            return NULL;
        }
        if (exec_ok(c, sql, PGRES_COMMAND_OK, err))
            return c;
        bool lost = PQstatus(c) == CONNECTION_BAD;
        dw_conn_put(c, false);
        if (!lost)
            return NULL;
    }
    return NULL;
}

/* The bookkeeping of resource rid as the snapshot sees it (ds_table: OD100/OD403), or NULL. */
static struct dsr_table *open_table(PGconn *c, const char *rid, const char *viewer,
                                    struct dsrc_err *err)
{
    const char *p[2] = {rid, viewer};
    PGresult *res = PQexecParams(c, DSR_TABLE_SQL, 2, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) == 0) {
        res_err(c, res, err);
        return NULL;
    }
    struct dsr_table *t = dsr_table_from(rid, res);
    PQclear(res);
    if (!t->usable) {
        set_err(err, "XX000", "the field list of the resource does not parse");
        dsr_table_free(t);
        return NULL;
    }
    return t;
}

/* A dump's request as the generator takes it: the query's JSON texts parsed back. */
struct rows_req {
    struct sqlb_read r;
    json_object *fields, *sort; /* hold r.fields' and r.sort's strings */
};

/* The strings of a JSON array text (NULL: none), malloc'd; *arr holds them, *n their count. */
static const char **string_list(const char *text, json_object **arr, int *n)
{
    *arr = text ? json_tokener_parse(text) : NULL;
    *n = json_object_is_type(*arr, json_type_array) ? (int)json_object_array_length(*arr) : 0;
    if (!text)
        return NULL;
    const char **v = xcalloc((size_t)*n + 1, sizeof(char *));
    for (int i = 0; i < *n; i++)
        v[i] = json_object_get_string(json_object_array_get_idx(*arr, i));
    return v;
}

static void rows_req_init(struct rows_req *x, const struct dsrc_query *q)
{
    struct sqlb_read *r = &x->r;
    *r = (struct sqlb_read){.rid = q->rid, .limit = q->limit ? atoll(q->limit) : -1,
                            .offset = q->offset ? atoll(q->offset) : 0};
    r->filters = q->filters ? json_tokener_parse(q->filters) : NULL;
    r->q = q->q ? json_tokener_parse(q->q) : NULL;
    r->fields = string_list(q->fields, &x->fields, &r->nfields);
    r->sort = string_list(q->sort, &x->sort, &r->nsort);
}

static void rows_req_free(struct rows_req *x)
{
    free((void *)x->r.fields);
    free((void *)x->r.sort);
    json_object_put(x->fields);
    json_object_put(x->sort);
    json_object_put(x->r.filters);
    json_object_put(x->r.q);
}

/* The fields shown as JSON text for dfmt_init ([{"id": ..., "type": ...}, ...]), malloc'd. */
static char *fields_text(const struct sqlb_field *const *out, int n)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++) {
        json_object *f = json_object_new_object();
        json_object_object_add(f, "id", json_object_new_string(out[i]->id));
        json_object_object_add(f, "type", json_object_new_string(out[i]->type));
        if (out[i]->header)
            json_object_object_add(f, "header", json_object_new_string(out[i]->header));
        json_object_array_add(a, f);
    }
    char *s = xstrdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
    json_object_put(a);
    return s;
}

/* The SELECT of q's rows over t (sqlbuild.c checks names and values: OD210/OD220), malloc'd,
 * and the writer for its fields; NULL with *err. */
static char *rows_sql(const struct dsr_table *t, const struct dsrc_query *q, enum dfmt_kind kind,
                      bool bom, struct dfmt *fmt, struct dsrc_err *err)
{
    struct rows_req x;
    struct sqlb b;
    struct sqlb_err e = {0};
    const struct sqlb_field **out = NULL;
    int nout = 0;
    char *sql = NULL, *ft = NULL;
    rows_req_init(&x, q);
    sqlb_init(&b);
    if (!sqlb_datastore_rows(&b, &t->t, &x.r, &out, &nout, &e))
        set_err(err, e.state, e.message);
    else if (!dfmt_init(fmt, kind, bom, ft = fields_text(out, nout)))
        set_err(err, "XX000", "the field list of the resource does not parse");
    else
        sql = xstrdup(b.sql);
    free(ft);
    free(out);
    sqlb_err_clear(&e);
    sqlb_free(&b);
    rows_req_free(&x);
    return sql;
}

/* The Filter API's SELECT over t (sqlbuild.c checks section and columns: OD210), as rows_sql.
 * The query parsed when the request came; parsing it again cannot fail. */
static char *cols_sql(const struct dsr_table *t, const struct dsrc_query *q, enum dfmt_kind kind,
                      struct dfmt *fmt, struct dsrc_err *err)
{
    struct hkq hq;
    char *perr = NULL, *sql = NULL, *ft = NULL;
    if (!hkq_parse(q->colq, &hq, &perr)) {
        set_err(err, "OD210", perr);
        free(perr);
        return NULL;
    }
    struct sqlb b;
    struct sqlb_err e = {0};
    const struct sqlb_field **out = NULL;
    int nout = 0;
    sqlb_init(&b);
    if (!sqlb_column_rows(&b, &t->t, &hq.cols, &out, &nout, &e))
        set_err(err, e.state, e.message);
    else if (!dfmt_init(fmt, kind, false, ft = fields_text(out, nout)))
        set_err(err, "XX000", "the field list of the resource does not parse");
    else
        sql = xstrdup(b.sql);
    free(ft);
    free(out);
    sqlb_err_clear(&e);
    sqlb_free(&b);
    hkq_free(&hq);
    return sql;
}

/* The resource the Filter API's query names, by id or published URL (sql/functions/23:
 * OD100 when none has data), malloc'd; NULL with *err. */
static char *colq_resource(PGconn *c, const char *colq, struct dsrc_err *err)
{
    struct hkq hq;
    char *perr = NULL, *rid = NULL;
    if (!hkq_parse(colq, &hq, &perr)) {
        set_err(err, "OD210", perr);
        free(perr);
        return NULL;
    }
    const char *p[1] = {hq.resource};
    PGresult *res = PQexecParams(c, "SELECT hk_filter_resource($1)", 1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
        rid = xstrdup(PQgetvalue(res, 0, 0));
        PQclear(res);
    } else {
        res_err(c, res, err);
    }
    hkq_free(&hq);
    return rid;
}

/* End a failed start: roll back and keep the connection when it is still healthy. */
static void release_conn(PGconn *c)
{
    bool ok = false;
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *res = PQexec(c, "ROLLBACK");
        ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        PQclear(res);
    }
    dw_conn_put(c, ok);
}

struct dsrc *dsrc_open(const struct dsrc_query *q, enum dfmt_kind kind, bool bom,
                       struct dfmt *fmt, struct dsrc_meta *meta, struct dsrc_err *err)
{
    memset(fmt, 0, sizeof(*fmt));
    PGconn *c = begin(err);
    if (!c)
        return NULL;
    char *rid = q->colq ? colq_resource(c, q->colq, err) : xstrdup(q->rid);
    struct dsr_table *t = rid ? open_table(c, rid, q->viewer, err) : NULL;
    char *sql = !t        ? NULL
                : q->colq ? cols_sql(t, q, kind, fmt, err)
                          : rows_sql(t, q, kind, bom, fmt, err);
    free(rid);
    if (!sql) {
        dsr_table_free(t);
        release_conn(c);
        return NULL;
    }
    *meta = (struct dsrc_meta){t->data_version, t->modified_us, t->t.row_count};
    dsr_table_free(t);
    struct dsrc *s = xcalloc(1, sizeof(*s));
    s->conn = c;
    s->copy = dfmt_is_csv(kind);
    s->vals = xcalloc((size_t)fmt->nf, sizeof(char *));
    s->lens = xcalloc((size_t)fmt->nf, sizeof(int));
    bool ok = start_rows(s, fmt, sql, q->distinct, err);
    free(sql);
    if (!ok) {
        dsrc_close(s);
        dfmt_free(fmt);
        return NULL;
    }
    return s;
}

static int fill_copy(struct dsrc *s, struct dfmt *fmt, struct sbuf *b, size_t target,
                     struct dsrc_err *err)
{
    while (b->len < target) {
        char *line = NULL;
        int n = PQgetCopyData(s->conn, &line, 0);
        if (n > 0) {
            dfmt_copy_line(fmt, b, line, (size_t)n);
            PQfreemem(line);
            continue;
        }
        s->copying = false;
        if (n == -2) {
            res_err(s->conn, NULL, err);
            return -1;
        }
        PGresult *res = PQgetResult(s->conn);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            res_err(s->conn, res, err);
            return -1;
        }
        PQclear(res);
        while ((res = PQgetResult(s->conn)))
            PQclear(res);
        return 0;
    }
    return 1;
}

/* The next batch of the cursor; false on error. */
static bool fetch(struct dsrc *s, struct dsrc_err *err)
{
    PQclear(s->res);
    s->res = PQexec(s->conn, DSRC_FETCH_SQL);
    if (PQresultStatus(s->res) != PGRES_TUPLES_OK) {
        res_err(s->conn, s->res, err);
        s->res = NULL;
        return false;
    }
    s->row = 0;
    s->nrows = PQntuples(s->res);
    s->last = s->nrows < DSRC_FETCH;
    return true;
}

static int fill_cursor(struct dsrc *s, struct dfmt *fmt, struct sbuf *b, size_t target,
                       struct dsrc_err *err)
{
    while (b->len < target) {
        if (s->row >= s->nrows) {
            if (s->res && s->last)
                return 0;
            if (!fetch(s, err))
                return -1;
            if (s->nrows == 0)
                return 0;
        }
        for (; s->row < s->nrows && b->len < target; s->row++) {
            for (int i = 0; i < fmt->nf; i++) {
                bool null = PQgetisnull(s->res, s->row, i);
                s->vals[i] = null ? NULL : PQgetvalue(s->res, s->row, i);
                s->lens[i] = null ? 0 : PQgetlength(s->res, s->row, i);
            }
            dfmt_row(fmt, b, s->vals, s->lens);
        }
    }
    return s->row >= s->nrows && s->last ? 0 : 1;
}

int dsrc_fill(struct dsrc *s, struct dfmt *fmt, struct sbuf *b, size_t target, struct dsrc_err *err)
{
    return s->copy ? fill_copy(s, fmt, b, target, err) : fill_cursor(s, fmt, b, target, err);
}

void dsrc_close(struct dsrc *s)
{
    if (!s)
        return;
    PQclear(s->res);
    bool reuse = false;
    if (!s->copying && PQstatus(s->conn) == CONNECTION_OK) {
        PGresult *res = PQexec(s->conn, "ROLLBACK");
        reuse = PQresultStatus(res) == PGRES_COMMAND_OK;
        PQclear(res);
    }
    dw_conn_put(s->conn, reuse);
    free(s->vals);
    free(s->lens);
    free(s);
}
