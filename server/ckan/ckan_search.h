/* ckan_search — package_search for other families' search APIs (the legacy API's). */
#ifndef CKAN_SEARCH_H
#define CKAN_SEARCH_H
#include <json-c/json.h>
#include <libpq-fe.h>

struct req;

/* package_search over the request dict in (owned by the caller, living as long as r): done(r,
 * res) gets the one JSON text of package_search's result. Answers kept by the search cache are
 * sent as they are (in CKAN's envelope), so a caller with its own envelope passes an fl (never
 * cached). A refused search is answered in r's family's envelope as a 400 "Bad search option". */
int ckan_package_search_with(struct req *r, json_object *in,
                             void (*done)(struct req *r, PGresult *res));

#endif
