/* route — the static route table: method set + path pattern → handler. Patterns are split into
 * segments once; "{x}" matches one segment, saved (percent-decoded) as a path parameter;
 * "{sru}" is replaced by the configured Taiwan service root. A path that matches with another
 * method gives ROUTE_METHOD (405), none at all ROUTE_NOT_FOUND (404). */
#ifndef ROUTE_H
#define ROUTE_H
#include <stdbool.h>
#include <stddef.h>

#define ROUTE_MAX_PARAMS 4
#define ROUTE_MAX_SEGS 16
#include "util.h"

struct req;
struct arena;

/* Methods, as evhttp_cmd_type bits. */
enum { M_GET = 1 << 0, M_POST = 1 << 1, M_HEAD = 1 << 2, M_PUT = 1 << 3, M_DELETE = 1 << 4,
       M_OPTIONS = 1 << 5 };

typedef int (*route_handler)(struct req *r);

/* What the server does for a route before its handler runs. */
enum {
    /* Every statement to the primary, none to a read replica (req_use_primary): reads whose
     * result names what another connection to the primary then builds or streams (dumps, the
     * Filter API). */
    ROUTE_PRIMARY = 1 << 0,
};

struct route_def {
    unsigned methods;
    const char *pattern;
    route_handler handler;
    unsigned flags; /* ROUTE_*, or 0 */
};

struct router;

enum route_status { ROUTE_OK, ROUTE_NOT_FOUND, ROUTE_METHOD, ROUTE_BAD_ENCODING };

struct route_match {
    const struct route_def *def;
    char *params[ROUTE_MAX_PARAMS]; /* arena strings */
    int nparams;
    unsigned allowed;               /* methods of every route whose path matched */
};

/* Build a router; NULL with *err (malloc'd) on a malformed table or sru. */
struct router *route_new(const struct route_def *defs, size_t n, const char *sru,
                         char **err) MUSTCHECK;
void route_free(struct router *rt);
/* Match a raw (still percent-encoded) path. HEAD matches GET routes. */
enum route_status route_match(const struct router *rt, unsigned method, const char *path,
                              struct arena *a, struct route_match *m) MUSTCHECK;
/* Percent-decode n bytes of s ('+' as space when plus) into the arena; NULL when the result
 * holds a NUL byte or is not valid UTF-8. */
char *route_decode(struct arena *a, const char *s, size_t n, bool plus) MUSTCHECK;
/* True when path is prefix (its "{sru}" replaced) or lies under it ("prefix/..."). */
bool route_under(const struct router *rt, const char *prefix, const char *path);

#endif
