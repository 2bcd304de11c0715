/* tw_params — the Taiwan API's parameter rules as pure functions of a request's query string
 * (r->query and r->a only: no reply, no database, so tests and fuzz drivers call them with a
 * struct req that has just an arena): unknown and repeated names, limit/offset, and endpoint
 * 7's filters, q, fields and sort. Each returns NULL when the input is good, else the error's
 * message (in r's arena) with its kind in *kind; the handlers (tw_rest.c, tw_datastore.c)
 * answer it. */
#ifndef TW_PARAMS_H
#define TW_PARAMS_H
#include "resp.h"
#include "sqlbuild.h"
#include "util.h"

struct req;

#define TW_OFFSET_MAX 100000000LL

/* ER0200 for a parameter not in allowed (NULL-terminated), ER0210 for one given twice. */
const char *tw_params_names(struct req *r, const char *const *allowed,
                            enum err_kind *kind) MUSTCHECK;
/* Parameter `name` as digits only, at most max; *out = its decimal text or NULL when absent. */
const char *tw_params_uint(struct req *r, const char *name, long long max, const char **out,
                           enum err_kind *kind) MUSTCHECK;

/* Endpoint 7's request: its parameters as text (resource id, filters JSON, q, fields JSON
 * array, sort, limit, offset; NULL when not given, limit always set) and the read they make
 * (ds_read.c). Everything lives in r's arena. */
struct tw_ds_request {
    const char *p[7];
    struct sqlb_read read;
};

/* Read endpoint 7's parameters for resource rid: limit at most rows_max, def_limit when absent. */
const char *tw_params_datastore(struct req *r, const char *rid, long long rows_max,
                                long long def_limit, struct tw_ds_request *out,
                                enum err_kind *kind) MUSTCHECK;

#endif
