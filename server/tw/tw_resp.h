/* tw_resp — the Taiwan API's envelope: {"success": true, "result": ...} and
 * {"success": false, "error": {"message", "type": "ERxxxx:說明"}}, the ER codes and HTTP status
 * of each error kind, and the texts of input an SQL function refused. */
#ifndef TW_RESP_H
#define TW_RESP_H
#include <stddef.h>

#include "resp.h"
#include "util.h"

extern const struct resp_env tw_resp_env;

/* Pure builders, for tests and for the envelope: the body (malloc'd) and the HTTP status. */
char *tw_resp_build_ok(const char *payload, size_t len, size_t *out_len) MUSTCHECK;
char *tw_resp_build_error(enum err_kind kind, const char *code, const char *message,
                          int *status) MUSTCHECK;

#endif
