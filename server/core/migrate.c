/* migrate — `opendatad db init`: pending migrations, then every function file, in one
 * transaction. */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MIGRATE_LOCK_KEY "7240011"

/* The sorted names (without .sql) of the *.sql files of one directory. */
struct sqlset {
    char *dir;
    char **names;
    int n;
};

char *migrate_sql_dir(void)
{
    return util_share_dir("OPENDATAD_SQL_DIR", "sql");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool list_sql(const char *root, const char *sub, struct sqlset *set, char **err)
{
    set->dir = xasprintf("%s/%s", root, sub);
    set->names = NULL;
    set->n = 0;
    DIR *d = opendir(set->dir);
    if (!d) {
        *err = xasprintf("cannot read %s: %s", set->dir, strerror(errno));
        return false;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".sql") != 0)
            continue;
        set->names = xrealloc(set->names, sizeof(char *) * (size_t)(set->n + 1));
        set->names[set->n++] = xstrndup(e->d_name, len - 4);
    }
    closedir(d);
    if (set->n > 0)
        qsort(set->names, (size_t)set->n, sizeof(char *), cmp_str);
    return true;
}

static void free_set(struct sqlset *set)
{
    for (int i = 0; i < set->n; i++)
        free(set->names[i]);
    free(set->names);
    free(set->dir);
}

/* Both directories of the layout: migrations/ and functions/. */
static bool list_layout(const char *root, struct sqlset *mig, struct sqlset *fns, char **err)
{
    fns->dir = NULL;
    fns->names = NULL;
    fns->n = 0;
    if (!list_sql(root, "migrations", mig, err))
        return false;
    return list_sql(root, "functions", fns, err);
}

static char *read_sql(const struct sqlset *set, int i, char **err)
{
    char *path = xasprintf("%s/%s.sql", set->dir, set->names[i]);
    size_t len;
    char *sql = util_read_file(path, &len, err);
    free(path);
    return sql;
}

static bool exec_ok(PGconn *pg, const char *sql, char **err)
{
    PGresult *res = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(res);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
    if (!ok)
        *err = xstrdup(PQresultErrorMessage(res));
    PQclear(res);
    return ok;
}

/* Does query (with params) return a row? Errors count as no. */
static bool has_row(PGconn *pg, const char *query, int n, const char *const *params)
{
    PGresult *res = PQexecParams(pg, query, n, NULL, params, NULL, NULL, 0);
    bool yes = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    PQclear(res);
    return yes;
}

static bool table_exists(PGconn *pg, const char *name)
{
    const char *params[1] = {name};
    return has_row(pg, "SELECT 1 WHERE to_regclass($1) IS NOT NULL", 1, params);
}

static bool exec_params(PGconn *pg, const char *query, int n, const char *const *params, char **err)
{
    PGresult *res = PQexecParams(pg, query, n, NULL, params, NULL, NULL, 0);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        *err = xstrdup(PQresultErrorMessage(res));
    PQclear(res);
    return ok;
}

static bool is_applied(PGconn *pg, const char *version)
{
    const char *params[1] = {version};
    return has_row(pg, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, params);
}

/* Is the function file's text the one db init applied last? */
static bool is_current(PGconn *pg, const char *file, const char *sql)
{
    const char *params[2] = {file, sql};
    return has_row(pg, "SELECT 1 FROM schema_functions WHERE file = $1 AND digest = md5($2)", 2,
                   params);
}

/* Prefix *err with what failed. */
static void err_about(char **err, const char *what, const char *name)
{
    char *inner = *err;
    *err = xasprintf("%s %s failed: %s", what, name, inner ? inner : "");
    free(inner);
}

/* The pending migrations, recorded; *applied gets their indexes (count returned in *n_applied). */
static bool apply_migrations(PGconn *pg, const struct sqlset *mig, int *applied, int *n_applied,
                             char **err)
{
    for (int i = 0; i < mig->n; i++) {
        if (is_applied(pg, mig->names[i]))
            continue;
        char *sql = read_sql(mig, i, err);
        const char *params[1] = {mig->names[i]};
        bool ok =
            sql && exec_ok(pg, sql, err) &&
            exec_params(pg, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, params, err);
        free(sql);
        if (!ok) {
            err_about(err, "migration", mig->names[i]);
            return false;
        }
        applied[(*n_applied)++] = i;
    }
    return true;
}

/* Every function file, in order; *changed gets the indexes of those whose text is new. */
static bool apply_functions(PGconn *pg, const struct sqlset *fns, int *changed, int *n_changed,
                            char **err)
{
    for (int i = 0; i < fns->n; i++) {
        char *sql = read_sql(fns, i, err);
        if (!sql) {
            err_about(err, "functions", fns->names[i]);
            return false;
        }
        bool fresh = is_current(pg, fns->names[i], sql);
        const char *params[2] = {fns->names[i], sql};
        bool ok = exec_ok(pg, sql, err) &&
                  (fresh || exec_params(pg,
                                        "INSERT INTO schema_functions (file, digest) "
                                        "VALUES ($1, md5($2)) ON CONFLICT (file) DO UPDATE "
                                        "SET digest = EXCLUDED.digest, applied_at = now()",
                                        2, params, err));
        free(sql);
        if (!ok) {
            err_about(err, "functions", fns->names[i]);
            return false;
        }
        if (!fresh)
            changed[(*n_changed)++] = i;
    }
    return true;
}

static const char BOOKKEEPING[] =
    "SET client_min_messages = warning; "
    "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, "
    "applied_at timestamptz NOT NULL DEFAULT now()); "
    "CREATE TABLE IF NOT EXISTS schema_functions (file text PRIMARY KEY, digest text NOT NULL, "
    "applied_at timestamptz NOT NULL DEFAULT now())";

/* Migrations may use nothing the function files define (a new database has none of it yet);
 * the function files come after them, so they see the tables as the migrations left them. One
 * transaction: a failure anywhere leaves the database as it was. */
static bool apply_all(PGconn *pg, const struct sqlset *mig, const struct sqlset *fns, char **err)
{
    int *applied = xmalloc(sizeof(int) * (size_t)(mig->n + 1));
    int *changed = xmalloc(sizeof(int) * (size_t)(fns->n + 1));
    int n_applied = 0, n_changed = 0;
    bool ok = exec_ok(pg, BOOKKEEPING, err) && exec_ok(pg, "BEGIN", err) &&
              apply_migrations(pg, mig, applied, &n_applied, err) &&
              apply_functions(pg, fns, changed, &n_changed, err);
    if (ok && !exec_ok(pg, "COMMIT", err)) {
        err_about(err, "commit", "of the schema");
        ok = false;
    }
    if (!ok)
        PQclear(PQexec(pg, "ROLLBACK"));
    for (int i = 0; ok && i < n_applied; i++)
        printf("applied %s\n", mig->names[applied[i]]);
    for (int i = 0; ok && i < n_changed; i++)
        printf("applied functions/%s\n", fns->names[changed[i]]);
    free(applied);
    free(changed);
    return ok;
}

bool migrate_apply(PGconn *pg, const char *dir, char **err)
{
    struct sqlset mig, fns;
    bool ok = list_layout(dir, &mig, &fns, err);
    if (ok && exec_ok(pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err)) {
        ok = apply_all(pg, &mig, &fns, err);
        PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
    } else {
        ok = false;
    }
    free_set(&mig);
    free_set(&fns);
    return ok;
}

bool migrate_status(PGconn *pg, const char *dir, struct migrate_status *st, char **err)
{
    struct sqlset mig, fns;
    st->migrations = st->functions = 0;
    bool ok = list_layout(dir, &mig, &fns, err);
    bool have_mig = table_exists(pg, "schema_migrations");
    bool have_fns = table_exists(pg, "schema_functions");
    for (int i = 0; ok && i < mig.n; i++)
        st->migrations += !have_mig || !is_applied(pg, mig.names[i]);
    for (int i = 0; ok && i < fns.n; i++) {
        char *sql = read_sql(&fns, i, err);
        ok = sql != NULL;
        st->functions += ok && (!have_fns || !is_current(pg, fns.names[i], sql));
        free(sql);
    }
    free_set(&mig);
    free_set(&fns);
    return ok;
}
