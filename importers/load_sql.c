/* load_sql — the load's connections to PostgreSQL: opening them with the load's session
 * settings (its notices become log lines), running statements, quoting names, sending COPY
 * data, and the words of a failure. */
#include <stdlib.h>
#include <string.h>

#include "load_int.h"
#include "pgconn.h"

char *load_sql_error(PGconn *pg, const PGresult *res)
{
    const char *m = res ? PQresultErrorMessage(res) : "";
    if (!m || !*m)
        m = PQerrorMessage(pg);
    return xasprintf("database: %.*s", (int)strcspn(m, "\n"), m);
}

PGresult *load_sql_exec(struct loader *L, const char *sql, int n, const char *const *params,
                        ExecStatusType want, char **err)
{
    PGresult *res = PQexecParams(L->pg, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == want)
        return res;
    *err = load_sql_error(L->pg, res);
    PQclear(res);
    return NULL;
}

bool load_sql_run(struct loader *L, const char *sql, int n, const char *const *params, char **err)
{
    PGresult *res = load_sql_exec(L, sql, n, params, PGRES_COMMAND_OK, err);
    PQclear(res);
    return res != NULL;
}

char *load_sql_quote(struct loader *L, const char *name)
{
    char *q = PQescapeIdentifier(L->pg, name, strlen(name));
    char *out = xstrdup(q ? q : "\"\"");
    PQfreemem(q);
    return out;
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
        *err = load_sql_error(pg, res);
    PQclear(res);
    return ok;
}

bool load_sql_connect(struct loader *L, char **err)
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

PGconn *load_sql_connect_more(struct loader *L, char **err)
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

bool load_sql_send(struct loader *L)
{
    if (L->out.len == 0)
        return true;
    if (PQputCopyData(L->pg, L->out.p, (int)L->out.len) != 1) {
        L->err = load_sql_error(L->pg, NULL);
        return false;
    }
    L->out.len = 0;
    return true;
}
