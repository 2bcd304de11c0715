/* legacy_family — CKAN's legacy API v1/v2 (removed from CKAN in 2.8/2.9): the REST registers
 * /api[/1|/2]/rest/..., the search API /api[/1|/2]/search/..., /api[/1|/2]/tag_counts. Bare JSON
 * answers, errors as CKAN 2.7 gave them: a JSON string "Bad request - ...", "Not found - ...",
 * "Access denied - ...", or a 409 with the raw validation error dict. */
#ifndef LEGACY_FAMILY_H
#define LEGACY_FAMILY_H
#include <json-c/json.h>

struct req;

extern const struct srv_family legacy_family;

/* The handlers (legacy_rest.c, legacy_search.c). */
int legacy_rest(struct req *r);
int legacy_tag_counts(struct req *r);
int legacy_search(struct req *r);
int legacy_util_slug(struct req *r);
int legacy_util_markdown(struct req *r);
int legacy_util_munge_name(struct req *r);
int legacy_util_munge_title(struct req *r);
int legacy_util_munge_tag(struct req *r);
void legacy_rest_init(void);
void legacy_util_init(void);
void legacy_search_init(void);

/* The API version a request's path names: 1 (/api, /api/1) or 2 (/api/2). */
int legacy_version(const struct req *r);
/* The request's body as a JSON object (raw JSON whatever its content type, or a form whose one
 * field is JSON, or the form's fields); NULL once a 400 was answered. Empty: {}. */
json_object *legacy_body(struct req *r);

#endif
