/* load_db — the SQL of an import: staging table, COPY, the swap and bookkeeping (through the
 * ds_* functions of sql/functions/05_datastore.sql), indexes, versions. */
#include <errno.h>
#include <json-c/json.h>
#include <libpq/libpq-fs.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "load_int.h"
#include "pgconn.h"

/* Raw files are written to large objects in pieces of this size. */
#define LO_CHUNK (1024 * 1024)

struct sql {
    char *p;
    size_t len, cap;
};

static void sql_add(struct sql *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->cap = 2 * (b->len + n + 1);
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

char *load_db_error(PGconn *pg, const PGresult *res)
{
    const char *m = res ? PQresultErrorMessage(res) : "";
    if (!m || !*m)
        m = PQerrorMessage(pg);
    return xasprintf("database: %.*s", (int)strcspn(m, "\n"), m);
}

PGresult *load_db_exec(struct loader *L, const char *sql, int n, const char *const *params,
                      ExecStatusType want, char **err)
{
    PGresult *res = PQexecParams(L->pg, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == want)
        return res;
    *err = load_db_error(L->pg, res);
    PQclear(res);
    return NULL;
}

bool load_db_run(struct loader *L, const char *sql, int n, const char *const *params, char **err)
{
    PGresult *res = load_db_exec(L, sql, n, params, PGRES_COMMAND_OK, err);
    PQclear(res);
    return res != NULL;
}

char *load_db_quote(struct loader *L, const char *name)
{
    char *q = PQescapeIdentifier(L->pg, name, strlen(name));
    char *out = xstrdup(q ? q : "\"\"");
    PQfreemem(q);
    return out;
}

static bool valid_resource_id(const char *id)
{
    size_t n = strlen(id);
    return n >= 1 && n <= 100 &&
           strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") == n;
}

/* PostgreSQL's notices on the load's connection become its log lines. */
static void load_notice(void *arg, const PGresult *res)
{
    struct loader *L = arg;
    int level;
    char *line = pgconn_notice_line(res, &level);
    load_log(L,
             level <= LOAD_WARN    ? LOAD_WARN
             : level >= LOAD_DEBUG ? LOAD_DEBUG
                                   : LOAD_INFO,
             "%s", line);
    free(line);
}

/* An import may take long: no statement timeout from the role or database defaults. */
static bool session_settings(PGconn *pg, char **err)
{
    PGresult *res = PQexec(pg, "SET client_min_messages = warning; SET statement_timeout = 0;"
                               " SET lock_timeout = 0; SET DateStyle = 'ISO, YMD';"
                               " SET client_encoding = 'UTF8'");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        *err = load_db_error(pg, res);
    PQclear(res);
    return ok;
}

static bool connect_db(struct loader *L, char **err)
{
    if (L->o->pg) {
        L->pg = L->o->pg;
        PQsetNoticeReceiver(L->pg, load_notice, L);
    } else {
        const char *keys[] = {"dbname", NULL}, *vals[] = {L->o->db, NULL};
        char *cerr = NULL;
        L->pg = pgconn_open_with(keys, vals, load_notice, L, &cerr);
        if (!L->pg) {
            *err = xasprintf("cannot connect to the database: %s", cerr);
            free(cerr);
            return false;
        }
        L->own_pg = true;
    }
    return session_settings(L->pg, err);
}

PGconn *load_db_connect_more(struct loader *L, char **err)
{
    /* the load's own connection's parameters, whoever opened it */
    PQconninfoOption *opts = PQconninfo(L->pg);
    if (!opts) {
        *err = xstrdup("out of memory");
        return NULL;
    }
    int n = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        n++;
    const char **keys = xcalloc((size_t)n + 1, sizeof(char *));
    const char **vals = xcalloc((size_t)n + 1, sizeof(char *));
    int k = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (o->val && *o->val) {
            keys[k] = o->keyword;
            vals[k++] = o->val;
        }
    }
    char *cerr = NULL;
    PGconn *pg = pgconn_open_with(keys, vals, load_notice, L, &cerr);
    free(keys);
    free(vals);
    PQconninfoFree(opts);
    if (!pg) {
        *err = xasprintf("cannot open a second connection: %s", cerr);
        free(cerr);
    } else if (!session_settings(pg, err)) {
        PQfinish(pg);
        pg = NULL;
    }
    return pg;
}

/* The resource must exist, or --dataset must name the dataset to create it in. */
static bool check_resource(struct loader *L, char **err)
{
    const char *p[2] = {L->o->resource_id, L->o->dataset ? L->o->dataset : ""};
    PGresult *res = load_db_exec(
        L,
        "SELECT ds_table_name($1), EXISTS (SELECT 1 FROM resource WHERE id = $1),"
        " EXISTS (SELECT 1 FROM package WHERE lower(identifier) = lower($2)),"
        " to_regprocedure('ds_table_replace(text, text, jsonb, bigint, text, jsonb)') IS NULL",
        2, p, PGRES_TUPLES_OK, err);
    if (!res)
        return false;
    L->table = xstrdup(PQgetvalue(res, 0, 0));
    L->compat = PQgetvalue(res, 0, 3)[0] == 't';
    bool exists = PQgetvalue(res, 0, 1)[0] == 't', dataset = PQgetvalue(res, 0, 2)[0] == 't';
    PQclear(res);
    if (exists)
        return true;
    if (!*p[1])
        *err = xasprintf("resource %s does not exist (give --dataset IDENTIFIER to create it)",
                         p[0]);
    else if (!dataset)
        *err = xasprintf("no dataset with identifier %s", p[1]);
    L->create_resource = true;
    return *p[1] && dataset;
}

/* Imports of one resource run one after the other, from the check to the last index, so that
 * a second import never swaps away the table the first one is still indexing. The lock is
 * asked for again every 0.1 s rather than waited for, so that a waiting import holds no
 * statement open. The key: a class of our own and the resource id's hash (a collision only
 * makes two imports take turns). */
#define LOAD_LOCK_CLASS "1685287012"
#define LOAD_LOCK_POLL_NS 100000000L

static bool import_turn(struct loader *L, bool lock, char **err)
{
    const char *p[2] = {LOAD_LOCK_CLASS, L->o->resource_id};
    for (bool said = false;; said = true) {
        PGresult *res = load_db_exec(L,
                                     lock ? "SELECT pg_try_advisory_lock($1::int4, hashtext($2))"
                                          : "SELECT pg_advisory_unlock($1::int4, hashtext($2))",
                                     2, p, PGRES_TUPLES_OK, err);
        if (!res)
            return false;
        bool got = PQgetvalue(res, 0, 0)[0] == 't';
        PQclear(res);
        if (!lock || got) {
            L->locked = lock;
            return true;
        }
        if (L->o->cancelled && L->o->cancelled(L->o->arg)) {
            *err = xstrdup("the load was cancelled");
            return false;
        }
        if (!said)
            load_log(L, LOAD_INFO, "resource %s: waiting for another import to end",
                     L->o->resource_id);
        struct timespec ts = {0, LOAD_LOCK_POLL_NS};
        nanosleep(&ts, NULL);
    }
}

bool load_db_prepare(struct loader *L, char **err)
{
    if (!valid_resource_id(L->o->resource_id)) {
        *err = xasprintf("--resource-id \"%s\": expected 1 to 100 of A-Z a-z 0-9 _ . : -",
                         L->o->resource_id);
        return false;
    }
    if (!connect_db(L, err) || !import_turn(L, true, err) || !check_resource(L, err))
        return false;
    /* Unique per import (the server process's id is unique among its open connections), so
     * that concurrent imports never meet; short enough for "_pkey". */
    L->staging = xasprintf("_stg_%d_%lx", PQbackendPID(L->pg), (unsigned long)time(NULL));
    char *q = load_db_quote(L, L->table);
    L->qtable = xasprintf("datastore.%s", q);
    free(q);
    q = load_db_quote(L, L->staging);
    L->qstaging = xasprintf("datastore.%s", q);
    free(q);
    return true;
}

/* --- the load transaction ------------------------------------------------------------------- */

static bool create_staging(struct loader *L, char **err)
{
    struct sql b = {0};
    sql_add(&b, "CREATE TABLE ");
    sql_add(&b, L->qstaging);
    sql_add(&b, " (\"_id\" bigint GENERATED BY DEFAULT AS IDENTITY");
    for (size_t i = 0; i < L->width; i++) {
        char *q = load_db_quote(L, L->src->cols.v[i].name);
        sql_add(&b, ", ");
        sql_add(&b, q);
        sql_add(&b, " ");
        sql_add(&b, infer_sql_name(L->type[i]));
        free(q);
    }
    sql_add(&b, ")");
    bool ok = load_db_run(L, b.p, 0, NULL, err);
    free(b.p);
    if (!ok)
        return false;
    /* FREEZE: the table is new in this transaction, so rows can be written frozen (no later
     * hint-bit rewrite of the whole table by the first readers or VACUUM). */
    char *copy = xasprintf("COPY %s FROM STDIN WITH (FORMAT binary, FREEZE)", L->qstaging);
    PGresult *res = load_db_exec(L, copy, 0, NULL, PGRES_COPY_IN, err);
    free(copy);
    PQclear(res);
    return res != NULL;
}

bool load_db_send(struct loader *L)
{
    if (L->out.len == 0)
        return true;
    if (PQputCopyData(L->pg, L->out.p, (int)L->out.len) != 1) {
        L->err = load_db_error(L->pg, NULL);
        return false;
    }
    L->out.len = 0;
    return true;
}

/* End COPY: normally (msg NULL) or as failed; true when the server accepted the data. */
static bool end_copy(struct loader *L, const char *msg, char **err)
{
    bool ok = PQputCopyEnd(L->pg, msg) == 1;
    PGresult *res;
    while ((res = PQgetResult(L->pg)) != NULL) {
        if (ok && !msg && PQresultStatus(res) != PGRES_COMMAND_OK) {
            *err = load_db_error(L->pg, res);
            ok = false;
        }
        PQclear(res);
    }
    if (!ok && !msg && !*err)
        *err = load_db_error(L->pg, NULL);
    return ok && !msg;
}

static void rollback(struct loader *L)
{
    PQclear(PQexec(L->pg, "ROLLBACK"));
}

static bool index_and_analyze(struct loader *L, char **err)
{
    char *sql = xasprintf("ALTER TABLE %s ADD PRIMARY KEY (\"_id\")", L->qstaging);
    bool ok = load_db_run(L, sql, 0, NULL, err);
    free(sql);
    if (ok) {
        sql = xasprintf("ANALYZE %s", L->qstaging);
        ok = load_db_run(L, sql, 0, NULL, err);
        free(sql);
    }
    return ok;
}

/* --- the swap and the bookkeeping ---------------------------------------------------------- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static char *json_text(json_object *o)
{
    char *s = xstrdup(json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

/* [{"id", "type", "info": {"original_header"}}] in table order, without _id. */
static char *fields_json(const struct loader *L)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < L->width; i++) {
        const struct load_col *c = &L->src->cols.v[i];
        json_object *f = json_object_new_object(), *info = json_object_new_object();
        json_object_object_add(f, "id", json_object_new_string(c->name));
        json_object_object_add(f, "type", json_object_new_string(infer_sql_name(L->type[i])));
        json_object_object_add(info, "original_header", json_object_new_string(c->orig));
        json_object_object_add(f, "info", info);
        json_object_array_add(a, f);
    }
    return json_text(a);
}

static char *source_json(const struct loader *L)
{
    const struct load_source *s = L->src;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "file", json_object_new_string(base_name(s->path)));
    json_object_object_add(o, "format", json_object_new_string(s->format));
    json_object_object_add(o, "encoding", json_object_new_string(enc_name(s->enc)));
    if (s->delimiter)
        json_object_object_add(o, "delimiter", json_object_new_string_len(&s->delimiter, 1));
    if (s->record)
        json_object_object_add(o, "record", json_object_new_string(s->record));
    return json_text(o);
}

/* The text searched by `q`: text and number columns (dates are left out: their text form
 * depends on settings, so it is not immutable and cannot be indexed). NULL when none. */
char *load_db_search_expr(struct loader *L)
{
    struct sql b = {0};
    for (size_t i = 0; i < L->width; i++) {
        enum infer_type t = L->type[i];
        if (t != INFER_TEXT && t != INFER_INT4 && t != INFER_INT8 && t != INFER_NUMERIC)
            continue;
        char *q = load_db_quote(L, L->src->cols.v[i].name);
        sql_add(&b, b.len ? " || ' ' || coalesce(" : "coalesce(");
        sql_add(&b, q);
        sql_add(&b, t == INFER_TEXT ? ", '')" : "::text, '')");
        free(q);
    }
    return b.p;
}

/* Create the resource (--dataset) and make the staging table the resource's table, with its
 * bookkeeping (ds_table_replace: under the resource's lock, so concurrent imports of one
 * resource swap one after the other). ins: resource, dataset, name, format; p: the arguments
 * of ds_table_replace. */
static bool replace(struct loader *L, const char *const *ins, const char *const *p, char **err)
{
    PGresult *res;
    if (L->create_resource) {
        res = load_db_exec(L, "SELECT ds_resource_create($1, $2, $3, $4)", 4, ins,
                           PGRES_TUPLES_OK, err);
        if (!res)
            return false;
        PQclear(res);
    }
    res = load_db_exec(L, "SELECT ds_table_replace($1, $2, $3, $4, $5, $6)", 6, p,
                       PGRES_TUPLES_OK, err);
    if (!res)
        return false;
    bool ok = !PQgetisnull(res, 0, 0);
    if (ok)
        L->data_version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    else
        *err = xasprintf("resource %s was deleted during the import", p[0]);
    PQclear(res);
    return ok;
}

static bool swap(struct loader *L, char **err)
{
    const char *ins[4] = {L->o->resource_id, L->o->dataset, base_name(L->src->path),
                          strcmp(L->src->format, "csv") == 0 ? "CSV" : "XML"};
    char rows[24], *expr = load_db_search_expr(L), *source = source_json(L);
    snprintf(rows, sizeof(rows), "%lld", (long long)L->rows);
    free(L->fields);
    L->fields = fields_json(L);
    const char *p[6] = {L->o->resource_id, L->staging, L->fields, rows, expr ? expr : "''",
                        source};
    bool ok = L->compat ? load_compat_swap(L, ins, p, err) : replace(L, ins, p, err);
    free(expr);
    free(source);
    return ok;
}

int load_db_attempt(struct loader *L, char **err)
{
    *err = NULL;
    if (!load_db_run(L, "BEGIN", 0, NULL, err))
        return -1;
    if (!create_staging(L, err)) {
        rollback(L);
        return -1;
    }
    int64_t t0 = util_now_us();
    int r = load_copy_pass(L, err);
    load_log(L, LOAD_DEBUG, "COPY pass: %.2f s", (double)(util_now_us() - t0) / 1e6);
    if (r != 0) {
        end_copy(L, r > 0 ? "restart with new column types" : "import failed", err);
        rollback(L);
        return r;
    }
    bool ok = end_copy(L, NULL, err);
    int64_t t1 = util_now_us();
    ok = ok && index_and_analyze(L, err);
    int64_t t2 = util_now_us();
    ok = ok && swap(L, err) && load_db_run(L, "COMMIT", 0, NULL, err);
    if (!ok) {
        rollback(L);
        return -1;
    }
    load_log(L, LOAD_DEBUG, "end of COPY %.2f s, key and ANALYZE %.2f s, swap and commit %.2f s",
             (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6, (double)(util_now_us() - t2) / 1e6);
    return 0;
}

/* --- after the swap ------------------------------------------------------------------------- */

/* Copy the file into a new large object, hashing it again: *hex tells whether it is still
 * the file that was loaded. */
static bool write_lo(struct loader *L, Oid *oid, char *hex, char **err)
{
    int fd = enc_fd(L->src->enc), lo = -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    char *buf = xmalloc(LO_CHUNK);
    ssize_t n = 0;
    off_t at = 0;
    bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
              (*oid = lo_creat(L->pg, INV_READ | INV_WRITE)) != InvalidOid &&
              (lo = lo_open(L->pg, *oid, INV_WRITE)) >= 0;
    uint64_t size = enc_size(L->src->enc);
    while (ok && (n = pread(fd, buf, LO_CHUNK, at)) > 0) {
        EVP_DigestUpdate(md, buf, (size_t)n);
        ok = lo_write(L->pg, lo, buf, (size_t)n) == (int)n;
        at += n;
        load_phase(L, "versioning", 0, 0, (uint64_t)at, size, false);
    }
    load_phase(L, "versioning", 0, 0, (uint64_t)at, size, true);
    ok = ok && n == 0 && lo_close(L->pg, lo) == 0;
    if (ok) {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        EVP_DigestFinal_ex(md, d, &len);
        for (unsigned i = 0; i < len && i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", d[i]);
    } else {
        *err =
            n < 0 ? xasprintf("%s: %s", L->src->path, strerror(errno)) : load_db_error(L->pg, NULL);
    }
    EVP_MD_CTX_free(md);
    free(buf);
    return ok;
}

/* The version's row (ds_version_add, which unlinks the object when the content is there
 * already: stored meanwhile by another import). */
static bool insert_version(struct loader *L, Oid oid, char **err)
{
    char size[24], rows[24], oidtext[16];
    snprintf(size, sizeof(size), "%llu", (unsigned long long)enc_size(L->src->enc));
    snprintf(rows, sizeof(rows), "%lld", (long long)L->rows);
    snprintf(oidtext, sizeof(oidtext), "%u", oid);
    const char *p[8] = {L->o->resource_id, enc_sha256(L->src->enc), size, L->fields,
                        base_name(L->src->path), L->src->format, rows, oidtext};
    if (L->compat)
        return load_compat_version(L, p, err);
    PGresult *res = load_db_exec(L, "SELECT ds_version_add($1, $2, $3, $4, $5, $6, $7, $8)", 8, p,
                         PGRES_TUPLES_OK, err);
    if (res)
        L->version_stored = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return res != NULL;
}

/* The raw file as a version of the resource, unless that content is stored already. */
static bool store_version(struct loader *L, char **err)
{
    const char *p[2] = {L->o->resource_id, enc_sha256(L->src->enc)};
    PGresult *res = load_db_exec(L, "SELECT 1 FROM resource_version WHERE resource_id = $1"
                            " AND content_hash = $2", 2, p, PGRES_TUPLES_OK, err);
    if (!res)
        return false;
    bool known = PQntuples(res) > 0;
    PQclear(res);
    if (known) {
        load_log(L, LOAD_INFO, "this file (sha256 %.12s…) is already stored as a version", p[1]);
        return true;
    }
    Oid oid = InvalidOid;
    char hex[65] = "";
    if (!load_db_run(L, "BEGIN", 0, NULL, err))
        return false;
    bool ok = write_lo(L, &oid, hex, err);
    if (ok && strcmp(hex, p[1]) != 0) {
        *err = xasprintf("%s: the file changed during the import; its version was not stored",
                         L->src->path);
        ok = false;
    }
    if (ok && insert_version(L, oid, err))
        return load_db_run(L, "COMMIT", 0, NULL, err);
    rollback(L);
    return false;
}

int load_db_after(struct loader *L, char **err)
{
    load_index_build(L);
    if (store_version(L, err))
        return 0;
    char *msg = xasprintf("%s (the data itself was loaded)", *err);
    free(*err);
    *err = msg;
    return -1;
}

void load_db_finish(struct loader *L)
{
    char *err = NULL;
    if (L->locked && !L->own_pg && !import_turn(L, false, &err))
        free(err); /* the connection is broken: its locks went with it */
    if (L->own_pg)
        PQfinish(L->pg);
    else if (L->pg)
        pgconn_log_notices(L->pg); /* libpq cannot tell the receiver's argument to restore */
    L->pg = NULL;
    free(L->table);
    free(L->staging);
    free(L->qtable);
    free(L->qstaging);
    free(L->fields);
}
