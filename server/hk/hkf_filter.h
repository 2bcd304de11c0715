/* hkf_filter — GET /v2/filter?q=<JSON> (and /v1/filter, which clients still call): the rows of
 * a resource's DataStore table that the query's filters keep, in its sorts' order, as CSV, JSON
 * or XML (dump_fmt.h), streamed by the DataStore's dump workers with backpressure (dump_stream),
 * so memory stays bounded whatever the row count. The query is checked here (hk_query.c: 400
 * naming the fault) before any work; the resource and its columns on the worker, in the
 * snapshot the rows come from (422 Not a valid resource, 400 for a column out of range). */
#ifndef HKF_FILTER_H
#define HKF_FILTER_H

struct req;

int hkf_filter(struct req *r);

#endif
