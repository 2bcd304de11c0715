/* legacy_query — the legacy search API's options (CKAN 2.7's /api/search/dataset) translated
 * into a package_search request: q, field terms (K=V → K:V, escaped, quoted when it holds a
 * space), tags, offset/limit → start/rows, order_by → sort "x asc", fl (name for v1, id for
 * v2), all_fields. Pure: no request, no database. */
#ifndef LEGACY_QUERY_H
#define LEGACY_QUERY_H
#include <json-c/json.h>
#include <stdbool.h>

#include "util.h"

/* At most this many rows a page (package_search's cap). */
#define LEGACY_ROWS_MAX 1000
/* Rows when no limit is given (CKAN 2.7's search path; its docs said 20). */
#define LEGACY_ROWS_DEFAULT 10

struct legacy_search {
    json_object *in;  /* the package_search request (owned) */
    bool all_fields;  /* the results are whole dataset dicts (in's fl is "id") */
    const char *single; /* "id" or "name" when the results are that field's values, else NULL */
};

/* Translate params (a JSON object: strings, lists of strings, or JSON values from qjson) for API
 * version ver (1 or 2). false with *err (malloc'd: what follows "Bad search option: ") when an
 * option is refused. */
bool legacy_search_translate(json_object *params, int ver, struct legacy_search *out,
                             char **err) MUSTCHECK;
/* Escape Solr's special characters \+-&|!(){}[]^"~*?: with a backslash (malloc'd). */
char *legacy_escape(const char *s) MUSTCHECK;
/* True for a since_time the revision search accepts: YYYY-MM-DD, optionally followed by
 * THH:MM[:SS[.ffffff]] (or a space for T). */
bool legacy_iso_time_ok(const char *s);

#endif
