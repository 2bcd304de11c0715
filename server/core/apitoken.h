/* apitoken — new API token secrets: 32 random bytes as base64url without padding (43
 * characters). Only a token's SHA-256 is ever stored (api_token.token_hash); clients treat the
 * text as opaque. Made by `opendatad user token add` and CKAN's api_token_create alike. */
#ifndef APITOKEN_H
#define APITOKEN_H
#include "util.h"

#define APITOKEN_LEN 43

/* A new token (malloc'd, APITOKEN_LEN characters); NULL when the system has no random bytes.
 * The caller wipes (explicit_bzero) and frees it. */
char *apitok_new(void) MUSTCHECK;

#endif
