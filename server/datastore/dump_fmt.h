/* dump_fmt — the bytes of datastore dumps, as pure functions over a growable buffer.
 *
 * Taiwan endpoint 8 (inside the zip): CSV with a UTF-8 BOM and a header row; JSON, an array of
 * record objects with values as endpoint 7 shows them; XML, <dataset> with one <row> per record.
 * CKAN /datastore/dump (ckanext/datastore writer.py, byte for byte): CSV/TSV with a header
 * written as Python's csv module does (\r\n) and rows as PostgreSQL COPY writes them (\n);
 * JSON {"fields": [...], "records": [[...], ...]} written by simplejson; XML <data> written by
 * ElementTree. CKAN passes numbers through Python floats, so numeric values are printed as
 * Python's repr() of the nearest double (dfmt_py_float).
 * The Filter API (GET /v2/filter): CSV with the file's headers and rows as COPY writes them (\n);
 * JSON, a bare array of objects keyed by the file's headers in column order (numbers and
 * booleans as JSON ones, an empty cell ""); XML, <rows> with one <row> per record and one
 * <field name="header"> per column. */
#ifndef DUMP_FMT_H
#define DUMP_FMT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"
#include "util.h"

enum dfmt_kind {
    DFMT_TW_CSV,
    DFMT_TW_JSON,
    DFMT_TW_XML,
    DFMT_CKAN_CSV,
    DFMT_CKAN_TSV,
    DFMT_CKAN_JSON,
    DFMT_CKAN_XML,
    DFMT_HK_CSV,
    DFMT_HK_JSON,
    DFMT_HK_XML,
};

enum dfmt_type { DT_INT, DT_NUM, DT_BOOL, DT_TEXT }; /* date and timestamp arrive as text */

struct dfmt_field {
    char *id;   /* field id as stored */
    char *type; /* datastore type: int4, int8, numeric, bool, date, timestamp, text */
    enum dfmt_type t;
    char *tag;    /* XML element name (Taiwan: made a valid XML name; CKAN: the id as is);
                   the Filter API: the bytes before a value ("header": or <field name="...">) */
    char *header; /* the file's header text ("header" of the field list), else the id */
};

struct dfmt {
    enum dfmt_kind kind;
    bool bom;
    bool id_attr;  /* CKAN XML: the first column is `_id`, written as an attribute */
    int nf;
    struct dfmt_field *f;
    uint64_t rows; /* records written so far */
};

/* Set up a writer for the fields of a query, given as JSON text ([{"id": ..., "type": ...,
 * "header": ...}, ...], `_id` typed int8, header optional); false when that text does not
 * parse. */
bool dfmt_init(struct dfmt *d, enum dfmt_kind kind, bool bom, const char *fields_json) MUSTCHECK;
/* Release what dfmt_init allocated. */
void dfmt_free(struct dfmt *d);
/* True for the formats whose rows are CSV (COPY can produce them). */
bool dfmt_is_csv(enum dfmt_kind kind);
/* The bytes before the first record: BOM, header row, JSON head or XML root. */
void dfmt_head(struct dfmt *d, struct sbuf *b);
/* One record: vals[i] is the text of column i (NULL for SQL NULL), lens[i] its length. */
void dfmt_row(struct dfmt *d, struct sbuf *b, const char *const *vals, const int *lens);
/* One record that COPY already wrote as a CSV line (counted, copied as is). */
void dfmt_copy_line(struct dfmt *d, struct sbuf *b, const char *line, size_t n);
/* The bytes after the last record. */
void dfmt_tail(struct dfmt *d, struct sbuf *b);

/* Python's repr() of a finite double (shortest round-trip digits, "1e+16", "0.0001", "15.0");
 * returns the length written to out. */
size_t dfmt_py_float(double x, char out[32]);

#endif
