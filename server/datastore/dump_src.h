/* dump_src — the rows of a dump, read on a worker thread over a blocking connection. dsrc_open
 * starts a READ ONLY REPEATABLE READ transaction (one snapshot for the whole dump), reads the
 * resource's bookkeeping through ds_table (not found, forbidden), builds the query with the
 * reads' generator (sqlbuild.c: every field name and value checked, values as literals), then
 * starts either `COPY (query) TO STDOUT (FORMAT csv)` (CSV/TSV: rows arrive formatted) or a NO
 * SCROLL cursor read DSRC_FETCH rows at a time (JSON/XML: formatted by dump_fmt). dsrc_fill formats
 * rows until a buffer holds at least `target` bytes, so memory per dump is one batch plus one
 * buffer whatever the table size. */
#ifndef DUMP_SRC_H
#define DUMP_SRC_H
#include <stdbool.h>
#include <stddef.h>

#include "dump_fmt.h"
#include "resp.h"
#include "util.h"

struct dsrc;

/* Query parameters as text (JSON where it says so); NULL = not given. */
struct dsrc_query {
    const char *rid;
    const char *filters; /* JSON object */
    const char *q;       /* JSON string or object */
    const char *fields;  /* JSON array of field names */
    const char *sort;    /* JSON array of "field [asc|desc]" */
    const char *limit, *offset;
    bool distinct;
    const char *viewer;  /* the caller as a ckan_viewer (text); NULL: anonymous */
    /* The Filter API's query (hk_query.h), its text as the client sent it: then rid, filters,
     * q, fields, sort, limit and offset are unused, and the resource is the one it names
     * (hk_filter_resource, sql/functions/23: OD100 when there is none). */
    const char *colq;
};

/* The resource's bookkeeping as the snapshot sees it. */
struct dsrc_meta {
    long long data_version, modified_us, row_count;
};

/* Why a dump failed: the SQLSTATE (OD100 not found, OD210/OD220 bad input, 57014 timeout, ""
 * for a lost connection) and a message (malloc'd; free with dsrc_err_clear). */
struct dsrc_err {
    char sqlstate[6];
    char *message;
};

/* Open the rows of q for the writer kind; fmt is set up from the query's fields. NULL with
 * *err on failure (nothing left open). */
struct dsrc *dsrc_open(const struct dsrc_query *q, enum dfmt_kind kind, bool bom, struct dfmt *fmt,
                       struct dsrc_meta *meta, struct dsrc_err *err) MUSTCHECK;
/* Append formatted rows to b until it holds target bytes: 1 = more rows follow, 0 = all rows
 * written, -1 = failed (*err set). */
int dsrc_fill(struct dsrc *s, struct dfmt *fmt, struct sbuf *b, size_t target,
              struct dsrc_err *err) MUSTCHECK;
/* End the transaction and give the connection back (dropped when a COPY was cut short). */
void dsrc_close(struct dsrc *s);
/* Free the message of err. */
void dsrc_err_clear(struct dsrc_err *err);
/* The API error for err, as db_err reads its SQLSTATE: not found, forbidden, bad value, unknown
 * field, unavailable (no connection, timeout) or internal. */
enum err_kind dsrc_err_kind(const struct dsrc_err *err);

#endif
