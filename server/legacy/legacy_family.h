/* legacy_family — CKAN's legacy API v1/v2 (removed from CKAN in 2.8/2.9): the REST registers
 * /api[/1|/2]/rest/..., the search API /api[/1|/2]/search/..., /api[/1|/2]/tag_counts. Bare JSON
 * answers, errors as CKAN 2.7 gave them: a JSON string "Bad request - ...", "Not found - ...",
 * "Access denied - ...", or a 409 with the raw validation error dict. */
#ifndef LEGACY_FAMILY_H
#define LEGACY_FAMILY_H

extern const struct srv_family legacy_family;

#endif
