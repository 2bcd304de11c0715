/* ckan_datastore_write — datastore_create, datastore_upsert, datastore_delete and
 * datastore_records_delete (ckan-research §6.2–6.4). CKAN's boolean parameters are read here
 * with its boolean_validator; the request goes whole to sql/functions/20, which checks the
 * rest, authorizes the caller and writes, one transaction each (a refusal leaves nothing). */
#include "ckan_handlers.h"

#include <json-c/json.h>
#include <stdbool.h>

#include "ckan_call.h"
#include "ckan_params.h"
#include "db_pool.h"
#include "req.h"

CKAN_CALL_STMT_V(ds_create, ckan_datastore_create);
CKAN_CALL_STMT_V(ds_upsert, ckan_datastore_upsert);
CKAN_CALL_STMT_V(ds_delete, ckan_datastore_delete);
CKAN_CALL_STMT_V(ds_records_delete, ckan_datastore_records_delete);

void ckan_datastore_write_init(void)
{
    dbp_register(&st_ds_create);
    dbp_register(&st_ds_upsert);
    dbp_register(&st_ds_delete);
    dbp_register(&st_ds_records_delete);
}

/* p = {data: the request, flag: bool ...} for the flags named (NULL-terminated). The records
 * of a plain JSON body go to PostgreSQL as the client sent them (ckan_request_data_raw): parsed
 * once, there, where they are checked anyway. */
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
    if (records)
        ckan_call_add_raw(in, "records", records, nrecords);
    json_object_object_add(p, "data", json_object_get(in));
    return ckan_call(r, st, p);
}

int ckan_datastore_create(struct req *r)
{
    static const char *const flags[] = {"force", "include_records", "delete_fields", NULL};
    return ds_write(r, &st_ds_create, flags);
}

int ckan_datastore_upsert(struct req *r)
{
    static const char *const flags[] = {"force", "include_records", "dry_run", NULL};
    return ds_write(r, &st_ds_upsert, flags);
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
