/* load_compat — an import into a database made before the ds_* write functions of
 * sql/functions/05_datastore.sql and not yet upgraded by `opendatad db init`: what those
 * functions do, sent as statements (the same order, the same rows). Such a database is one
 * db init away from the functions; tests/import/test_schema_upgrade.py loads data into one with
 * today's importer before upgrading it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_int.h"

/* ds_resource_create, then the locks of ds_table_replace. *old: the current table or NULL. */
static bool lock_resource(struct loader *L, const char *const *ins, char **pkg, char **old,
                          char **err)
{
    if (L->create_resource &&
        !load_sql_run(L,
                      "INSERT INTO resource (id, package_id, position, name, format)"
                      " SELECT $1, p.id, coalesce((SELECT max(position) + 1 FROM resource r"
                      " WHERE r.package_id = p.id), 0), $3, $4 FROM package p"
                      " WHERE lower(p.identifier) = lower($2) ON CONFLICT (id) DO NOTHING",
                      4, ins, err))
        return false;
    PGresult *res = load_sql_exec(L, "SELECT package_id FROM resource WHERE id = $1 FOR UPDATE", 1,
                                  ins, PGRES_TUPLES_OK, err);
    if (!res)
        return false;
    if (PQntuples(res) != 1) {
        *err = xasprintf("resource %s was deleted during the import", ins[0]);
        PQclear(res);
        return false;
    }
    *pkg = xstrdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    res = load_sql_exec(L,
                        "SELECT table_name FROM datastore_table WHERE resource_id = $1"
                        " FOR UPDATE",
                        1, ins, PGRES_TUPLES_OK, err);
    if (!res)
        return false;
    *old = PQntuples(res) ? xstrdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return true;
}

/* ALTER/DROP of a relation of schema datastore: what ds_rel runs. */
static bool rel(struct loader *L, const char *what, const char *name, const char *rest,
                char **err)
{
    char *q = load_sql_quote(L, name);
    char *sql = xasprintf("%s datastore.%s%s", what, q, rest);
    bool ok = load_sql_run(L, sql, 0, NULL, err);
    free(sql);
    free(q);
    return ok;
}

static bool rename_rel(struct loader *L, const char *kind, const char *from, const char *to,
                       char **err)
{
    char *qto = load_sql_quote(L, to), *rest = xasprintf(" RENAME TO %s", qto);
    char *what = xasprintf("ALTER %s", kind);
    bool ok = rel(L, what, from, rest, err);
    free(what);
    free(rest);
    free(qto);
    return ok;
}

/* The staging table (its key, its sequence) under the resource's names, the sequence after the
 * last row. */
static bool replace_table(struct loader *L, const char *old, const char *nrows, char **err)
{
    char *stg_key = xasprintf("%s_pkey", L->staging), *key = xasprintf("%s_pkey", L->table);
    char *stg_seq = xasprintf("%s__id_seq", L->staging), *seq = xasprintf("%s__id_seq", L->table);
    bool ok = (!old || strcmp(old, L->table) == 0 || rel(L, "DROP TABLE IF EXISTS", old, "", err)) &&
              rel(L, "DROP TABLE IF EXISTS", L->table, "", err) &&
              rename_rel(L, "TABLE", L->staging, L->table, err) &&
              rename_rel(L, "INDEX", stg_key, key, err) &&
              rename_rel(L, "SEQUENCE", stg_seq, seq, err);
    free(stg_key);
    free(key);
    free(stg_seq);
    free(seq);
    if (!ok)
        return false;
    long long n = strtoll(nrows, NULL, 10);
    char last[24];
    snprintf(last, sizeof(last), "%lld", n > 0 ? n : 1);
    const char *p[3] = {L->qtable, last, n > 0 ? "true" : "false"};
    PGresult *res = load_sql_exec(L, "SELECT setval(pg_get_serial_sequence($1, '_id'), $2, $3)", 3,
                                  p, PGRES_TUPLES_OK, err);
    PQclear(res);
    return res != NULL;
}

/* The datastore_table row, the resource and its dataset modified (ds_table_replace, ds_touch). */
static bool record_import(struct loader *L, const char *const *p, const char *pkg, char **err)
{
    const char *q[6] = {p[0], L->table, p[2], p[3], p[4], p[5]};
    PGresult *res = load_sql_exec(
        L,
        "INSERT INTO datastore_table AS d (resource_id, table_name, fields, row_count,"
        " max_id, data_version, search_expr, source, created, modified)"
        " VALUES ($1, $2, $3, $4, $4, 1, $5, $6, clock_timestamp(), clock_timestamp())"
        " ON CONFLICT (resource_id) DO UPDATE SET table_name = EXCLUDED.table_name,"
        " fields = EXCLUDED.fields, row_count = EXCLUDED.row_count,"
        " max_id = EXCLUDED.max_id, data_version = d.data_version + 1,"
        " search_expr = EXCLUDED.search_expr, source = EXCLUDED.source,"
        " modified = EXCLUDED.modified RETURNING d.data_version",
        6, q, PGRES_TUPLES_OK, err);
    if (!res)
        return false;
    L->data_version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return load_sql_run(L,
                        "UPDATE resource SET datastore_active = true,"
                        " metadata_modified = clock_timestamp() WHERE id = $1",
                        1, p, err) &&
           load_sql_run(L, "UPDATE package SET metadata_modified = clock_timestamp() WHERE id = $1",
                        1, &pkg, err);
}

bool load_compat_swap(struct loader *L, const char *const *ins, const char *const *p,
                      char **err)
{
    char *pkg = NULL, *old = NULL;
    bool ok = lock_resource(L, ins, &pkg, &old, err) && replace_table(L, old, p[3], err) &&
              record_import(L, p, pkg, err);
    free(pkg);
    free(old);
    return ok;
}

bool load_compat_version(struct loader *L, const char *const *p, char **err)
{
    PGresult *res = load_sql_exec(L,
                                  "INSERT INTO resource_version (resource_id, content_hash, size,"
                                  " fields, file_name, format, row_count, content_oid)"
                                  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                                  8, p, PGRES_COMMAND_OK, err);
    if (!res)
        return false;
    L->version_stored = strcmp(PQcmdTuples(res), "1") == 0;
    PQclear(res);
    if (L->version_stored)
        return true;
    /* Stored meanwhile by another import: the new object goes, as ds_version_add does. */
    res = load_sql_exec(L, "SELECT lo_unlink($1::oid)", 1, p + 7, PGRES_TUPLES_OK, err);
    PQclear(res);
    return res != NULL;
}
