/* ckan_openapi — GET /api/openapi.json: the OpenAPI 3.1 description of every route
 * (schemas/openapi/openapi.json, written by schemas/openapi/gen.py), read once at start and
 * served from memory with a strong ETag; and the RFC 8631 Link that points API roots at it. */
#ifndef CKAN_OPENAPI_H
#define CKAN_OPENAPI_H
#include <stdbool.h>

struct config;
struct req;

/* Load the document and fill in what only the running server knows: servers (the site URL),
 * info.version and the Taiwan paths under cfg->sru. Once, before the threads start; false
 * with *err (malloc'd) when the file is missing or not an OpenAPI document. */
bool ckan_openapi_init(const struct config *cfg, char **err);
/* GET /api/openapi.json. */
int ckan_openapi(struct req *r);
/* Add `Link: </api/openapi.json>; rel="service-desc"` to r's reply (API discovery). */
void ckan_openapi_link(struct req *r);

#endif
