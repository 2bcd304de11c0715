/* hkf_resp — the Filter API's envelope (DATA.GOV.HK's): a success is the data itself (no
 * envelope), an error {"code": "<status>", "message": "..."}; a resource that is not found (or
 * not public) is 422 "Not a valid resource", a malformed query 400 with the fault named. */
#ifndef HKF_RESP_H
#define HKF_RESP_H
#include "resp.h"
#include "util.h"

extern const struct resp_env hkf_resp_env;

/* The body of an error (malloc'd) and its HTTP status; pure. */
char *hkf_resp_build_error(enum err_kind kind, const char *message, int *status) MUSTCHECK;

#endif
