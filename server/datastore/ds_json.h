/* ds_json — the records of a DataStore read written as JSON in C, from the rows PostgreSQL
 * sends as text: building them with json_build_object and json_agg in the statement took six
 * times as long as sending the same rows by COPY (docs/BENCHMARKS.md, W3c). The bytes are those
 * PostgreSQL's json_build_object / json_build_array and json_agg write. Unit-tested in
 * tests/unit/test_ds_json.c. */
#ifndef DS_JSON_H
#define DS_JSON_H
#include "sqlbuild.h"
#include "util.h"
#include <libpq-fe.h>
#include <stddef.h>

/* Records written one at a time into a growing buffer (p, used bytes), which the caller may
 * send and empty (used = 0) between records. */
struct dsj_writer {
    char *p;
    size_t used, cap;
    const struct sqlb_shape *shape; /* borrowed */
    char **pre;                     /* what goes before each value of a record */
    size_t *prelen;
    long long records;
};

void dsj_init(struct dsj_writer *w, const struct sqlb_shape *shape);
/* Free its buffer and what it holds. */
void dsj_free(struct dsj_writer *w);
/* Append n bytes as they are. */
void dsj_put(struct dsj_writer *w, const char *s, size_t n);
/* Append the record in row of res (a row-wise read's columns: values from column 3), ", "
 * before every record but the first. */
void dsj_record(struct dsj_writer *w, const PGresult *res, int row);

/* The same from a line of COPY's text format (the values tab-separated, \N for NULL, COPY's
 * backslash escapes; the newline at its end optional). False, writing nothing, for a line that
 * does not hold the shape's number of values. */
bool dsj_copy_record(struct dsj_writer *w, const char *line, size_t len) MUSTCHECK;

/* The result of a row-wise read (sqlbuild.h, struct sqlb_shape): the head, the records as a
 * JSON array, the tail; malloc'd, *len its length. NULL when res does not have the shape's
 * columns or no row. */
char *dsj_result(const PGresult *res, const struct sqlb_shape *shape, size_t *len) MUSTCHECK;

/* s[0..n) as a JSON string's contents, escaped as PostgreSQL's escape_json does, appended to
 * the buffer at *out (capacity *cap, length *used), grown as needed. */
void dsj_escape(char **out, size_t *used, size_t *cap, const char *s, size_t n);

#endif
