/* ckan_datastore_write — datastore_create, datastore_upsert, datastore_delete and
 * datastore_records_delete (ckan-research §6.2–6.4). CKAN's boolean parameters are read here
 * with its boolean_validator; the request goes whole to sql/functions/20, which checks the
 * rest, authorizes the caller and writes, one transaction each (a refusal leaves nothing). */
#include "ckan_handlers.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "ckan_auth.h"
#include "ckan_call.h"
#include "ckan_config.h"
#include "ckan_params.h"
#include "config.h"
#include "db_pool.h"
#include "ds_rows.h"
#include "req.h"

CKAN_CALL_STMT_V(ds_create, ckan_datastore_create);
/* datastore_upsert with its records beside p when ds_rows_flat vouches for them: $4 the records
 * as sent (text: parsed only if the SQL falls back to its JSON path), $5 their lines. */
static struct db_stmt st_ds_upsert = {
    "ckan_g_ds_upsert",
    CKAN_LANG_WITH(6) "SELECT ckan_datastore_upsert($1::jsonb, $2, $3::ckan_viewer, $4::text, "
                      "$5::text)" CKAN_LANG_FROM,
    6, 0};
CKAN_CALL_STMT_V(ds_delete, ckan_datastore_delete);
CKAN_CALL_STMT_V(ds_records_delete, ckan_datastore_records_delete);

void ckan_datastore_write_init(void)
{
    dbp_register(&st_ds_create);
    dbp_register(&st_ds_upsert);
    dbp_register(&st_ds_delete);
    dbp_register(&st_ds_records_delete);
}

static void free_rows(void *rows)
{
    ds_rows_free(rows);
}

/* ckan_call for st_ds_upsert: rows (NULL: none) as ds_rows_flat gave them, records their text. */
static int ds_upsert_call(struct req *r, json_object *p, const char *records, size_t nrecords,
                          struct ds_rows *rows)
{
    const char **params = arena_alloc(r->a, 6 * sizeof(char *));
    if (rows)
        ckan_call_add_raw(p, "record_keys", rows->keys, strlen(rows->keys));
    params[0] = arena_strdup(r->a, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
    json_object_put(p);
    params[1] = ckan_config()->site_url;
    params[2] = ckan_auth_viewer(r);
    params[3] = rows ? arena_strndup(r->a, records, nrecords) : NULL;
    params[4] = rows ? rows->rows : NULL;
    params[5] = r->lang;
    return req_db(r, &st_ds_upsert, params, req_reply_json_cell);
}

/* p = {data: the request, flag: bool ...} for the flags named (NULL-terminated). The records
 * of a plain JSON body go to PostgreSQL as the client sent them (ckan_request_data_raw): parsed
 * once, there, where they are checked anyway; for datastore_upsert (st NULL), records of the
 * plain kind go as lines of text beside p, which PostgreSQL reads faster still (ds_rows.h). */
static int ds_write(struct req *r, const struct db_stmt *st, const char *const *flags)
{
    const char *records;
    size_t nrecords;
    json_object *in = ckan_request_data_raw(r, "records", &records, &nrecords);
    if (!in)
        return REQ_DONE;
    ckan_json_finite(in);
    json_object *p = json_object_new_object();
    for (int i = 0; flags[i]; i++) {
        bool b;
        ckan_boolean_validator(r, in, flags[i], false, &b);
        ckan_call_add_bool(p, flags[i], b);
    }
    struct ds_rows *rows = arena_alloc(r->a, sizeof(*rows));
    if (!st && records && ds_rows_flat(records, nrecords, rows)) {
        arena_defer(r->a, free_rows, rows);
        json_object_object_add(p, "data", json_object_get(in));
        return ds_upsert_call(r, p, records, nrecords, rows);
    }
    if (records)
        ckan_call_add_raw(in, "records", records, nrecords);
    json_object_object_add(p, "data", json_object_get(in));
    return st ? ckan_call(r, st, p) : ds_upsert_call(r, p, NULL, 0, NULL);
}

int ckan_datastore_create(struct req *r)
{
    static const char *const flags[] = {"force", "include_records", "delete_fields", NULL};
    return ds_write(r, &st_ds_create, flags);
}

int ckan_datastore_upsert(struct req *r)
{
    static const char *const flags[] = {"force", "include_records", "dry_run", NULL};
    return ds_write(r, NULL, flags);
}

int ckan_datastore_delete(struct req *r)
{
    static const char *const flags[] = {"force", "include_deleted_records", NULL};
    return ds_write(r, &st_ds_delete, flags);
}

int ckan_datastore_records_delete(struct req *r)
{
    static const char *const flags[] = {"force", "include_deleted_records", NULL};
    return ds_write(r, &st_ds_records_delete, flags);
}
