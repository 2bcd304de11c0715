/* legacy_req — what the legacy API's handlers read of a request alike. */
#ifndef LEGACY_REQ_H
#define LEGACY_REQ_H
#include <json-c/json.h>

struct req;

/* The API version a request's path names: 1 (/api, /api/1) or 2 (/api/2). */
int legacy_version(const struct req *r);
/* The request's body as a JSON object (raw JSON whatever its content type, or a form whose one
 * field is JSON, or the form's fields); NULL once a 400 was answered. Empty: {}. */
json_object *legacy_body(struct req *r);

#endif
