/* tw_rest — the Taiwan common open-data API, endpoints 1-6 ({SRU}/rest/group, tag, dataset):
 * parameter checks that answer ER0200 (unknown names) and ER0210 (malformed values) by the
 * rules of tw_params.c, "Not found" answers, and the payloads PostgreSQL builds
 * (sql/functions/03_tw_api.sql). */
#ifndef TW_REST_H
#define TW_REST_H

#include <stdbool.h>

#include "tw_params.h"
#include "util.h"

struct req;

/* ER0200 for a parameter the endpoint does not define, ER0210 for one given twice; false once
 * answered. */
bool tw_check_names(struct req *r, const char *const *allowed) MUSTCHECK;
/* Parameter `name` as digits only, at most max; *out = its decimal text or NULL when absent;
 * false once answered (ER0210). */
bool tw_uint_param(struct req *r, const char *name, long long max, const char **out) MUSTCHECK;

void tw_rest_init(void);
int tw_group_list(struct req *r);
int tw_group_show(struct req *r);
int tw_tag_list(struct req *r);
int tw_tag_show(struct req *r);
int tw_dataset_list(struct req *r);
int tw_dataset_show(struct req *r);
/* Endpoint 7, in tw_datastore.c. */
int tw_datastore(struct req *r);

#endif
