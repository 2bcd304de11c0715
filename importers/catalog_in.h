/* catalog_in — `opendata-import catalog FILE`: Taiwan metadata JSON (one object, an array, or a
 * data.gov.tw v1 answer {"success": true, "result": ...}) → validated records → one upsert
 * transaction per record (sql/functions/04), dealt to several connections (--jobs) and
 * pipelined on each. A bad record is reported on stderr with its identifier and field; the
 * others are still imported. */
#ifndef CATALOG_IN_H
#define CATALOG_IN_H
#include "util.h"
#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdbool.h>

/* Records sent ahead on a connection of the first result still to read there; times a record
 * that died in a deadlock or serialization failure runs again. */
enum { CATIN_WINDOW = 32, CATIN_RETRIES = 4 };

struct catin_stats {
    int created, updated, unchanged, failed;
};

/* Parse a whole catalogue file strictly; NULL with *err (malloc'd). */
json_object *catin_parse(const char *text, size_t len, char **err) MUSTCHECK;

/* The records of a parsed catalogue document (borrowed from doc), or NULL with *err. */
json_object *catin_records(json_object *doc, char **err) MUSTCHECK;

/* Validate one record; false with *err (malloc'd, "field X: message"). */
bool catin_validate(json_object *schema, json_object *rec, char **err) MUSTCHECK;

/* Import every record of the file over njobs connections to conninfo (fewer for a shorter
 * file); per-record failures are counted and printed in record order. False (with *err) only
 * when the file, the schema or the database cannot be used at all. */
bool catin_import_file(const char *conninfo, int njobs, const char *path, const char *schema_path,
                       const char *tz, struct catin_stats *st, char **err) MUSTCHECK;

#endif
