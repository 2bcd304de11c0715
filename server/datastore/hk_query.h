/* hk_query — the query of the Filter API (GET /v2/filter?q=<JSON>), pure: the JSON text →
 * resource, section, format, filters and sorts (sqlbuild.h's column query), or a message that
 * names the fault (the API's 400). Column numbers are checked against the table later, by the
 * SELECT generator (sqlbuild.c), which knows how many there are. Unit-tested in
 * tests/unit/test_hk_query.c, fuzzed by tests/fuzz/fuzz_hk_query.c. */
#ifndef HK_QUERY_H
#define HK_QUERY_H
#include <json-c/json.h>
#include <stdbool.h>

#include "sqlbuild.h"
#include "util.h"

enum hkq_format { HKQ_CSV, HKQ_JSON, HKQ_XML };

/* Bounds on one query, so that its statement stays small. */
#define HKQ_MAX_FILTERS 100
#define HKQ_MAX_OPERANDS 1000 /* of one filter */
#define HKQ_MAX_SORTS 100

struct hkq {
    const char *resource;   /* a published URL or a resource id, as given */
    enum hkq_format format; /* default csv */
    struct sqlb_cols cols;  /* section (default 1), filters, sorts */
    /* owned: */
    json_object *root; /* holds the strings */
    struct sqlb_colfilter *filters;
    struct sqlb_colsort *sorts;
};

/* Parse text, the value of q. False with *err (malloc'd) naming the fault; q is then empty. */
bool hkq_parse(const char *text, struct hkq *q, char **err) MUSTCHECK;
/* Release what hkq_parse made (an empty q too). */
void hkq_free(struct hkq *q);
/* The format's name: "csv", "json", "xml". */
const char *hkq_format_name(enum hkq_format f);

#endif
