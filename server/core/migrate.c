/* migrate — numbered SQL migrations. */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MIGRATE_LOCK_KEY "7240011"

char *migrate_sql_dir(void)
{
    return util_share_dir("OPENDATAD_SQL_DIR", "sql");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the *.sql files in dir; NULL with *err when unreadable. */
static char **list_sql(const char *dir, int *count, char **err)
{
    DIR *d = opendir(dir);
    if (!d) {
        *err = xasprintf("cannot read migrations in %s: %s", dir, strerror(errno));
        return NULL;
    }
    char **names = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".sql") != 0)
            continue;
        names = xrealloc(names, sizeof(char *) * (size_t)(n + 1));
        names[n++] = xstrndup(e->d_name, len - 4);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(char *), cmp_str);
    *count = n;
    return names;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static bool exec_ok(PGconn *pg, const char *sql, char **err)
{
    PGresult *res = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(res);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        *err = xstrdup(PQresultErrorMessage(res));
    PQclear(res);
    return ok;
}

static bool is_applied(PGconn *pg, const char *version)
{
    const char *params[1] = {version};
    PGresult *res = PQexecParams(pg, "SELECT 1 FROM schema_migrations WHERE version = $1", 1,
                                 NULL, params, NULL, NULL, 0);
    bool applied = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    PQclear(res);
    return applied;
}

/* One migration file in one transaction, recorded with its version. */
static bool apply_one(PGconn *pg, const char *dir, const char *version, char **err)
{
    char *path = xasprintf("%s/%s.sql", dir, version);
    size_t len;
    char *sql = util_read_file(path, &len, err);
    free(path);
    if (!sql)
        return false;
    const char *params[1] = {version};
    bool ok = exec_ok(pg, "BEGIN", err) && exec_ok(pg, sql, err);
    if (ok) {
        PGresult *res = PQexecParams(pg, "INSERT INTO schema_migrations (version) VALUES ($1)", 1,
                                     NULL, params, NULL, NULL, 0);
        ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok)
            *err = xstrdup(PQresultErrorMessage(res));
        PQclear(res);
    }
    ok = ok && exec_ok(pg, "COMMIT", err);
    if (!ok) {
        char *inner = *err;
        *err = xasprintf("migration %s failed: %s", version, inner ? inner : "");
        free(inner);
        PQclear(PQexec(pg, "ROLLBACK"));
    }
    free(sql);
    return ok;
}

bool migrate_apply(PGconn *pg, const char *dir, char **err)
{
    int n = 0;
    char **names = list_sql(dir, &n, err);
    if (!names && n == 0 && *err)
        return false;
    bool ok = exec_ok(pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err) &&
              exec_ok(pg, "SET client_min_messages = warning; "
                          "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY "
                          "KEY, applied_at timestamptz NOT NULL DEFAULT now())", err);
    for (int i = 0; ok && i < n; i++) {
        if (is_applied(pg, names[i]))
            continue;
        ok = apply_one(pg, dir, names[i], err);
        if (ok)
            printf("applied %s\n", names[i]);
    }
    PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
    free_names(names, n);
    return ok;
}

int migrate_pending(PGconn *pg, const char *dir, char **err)
{
    int n = 0;
    char **names = list_sql(dir, &n, err);
    if (!names && *err)
        return -1;
    PGresult *res = PQexec(pg, "SELECT to_regclass('schema_migrations') IS NOT NULL");
    bool exists = PQresultStatus(res) == PGRES_TUPLES_OK && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    int pending = 0;
    for (int i = 0; i < n; i++)
        pending += !exists || !is_applied(pg, names[i]);
    free_names(names, n);
    return pending;
}
