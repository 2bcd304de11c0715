/* ckan_auth — who is calling a CKAN action. An API token in `Authorization` (raw or after
 * "Bearer ") or `X-CKAN-API-Key` is hashed (SHA-256; only hashes are stored) and resolved to a
 * user by ckan_auth (sql/functions/01); an unknown, expired or revoked token, a deleted user, or a
 * request carrying `callback` (JSONP) leaves the caller anonymous, as in CKAN. */
#ifndef CKAN_AUTH_H
#define CKAN_AUTH_H
#include <stdbool.h>
#include <stddef.h>

struct req;

void ckan_auth_init(void);

/* Resolve r's caller into r->user, then run next(r). Returns next's REQ_DONE/REQ_ASYNC, or
 * REQ_ASYNC while the token is being looked up. */
int ckan_auth_then(struct req *r, int (*next)(struct req *r));

/* The token a request carries, or NULL: Authorization (without a "Bearer " prefix), else
 * X-CKAN-API-Key; blank values count as none. */
const char *ckan_auth_token(const char *authorization, const char *api_key);

/* The bytea text ("\x" + 64 hex digits) of the SHA-256 of token, into out[67]. */
void ckan_auth_hash_text(const char *token, char out[67]);

/* The caller as an SQL ckan_viewer parameter: NULL for anonymous. */
const char *ckan_auth_viewer(const struct req *r);

#endif
