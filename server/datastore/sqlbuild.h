/* sqlbuild — SQL text built at run time: a string builder that quotes identifiers and literals
 * by PostgreSQL's rules and collects $n parameters, and on it the one DataStore SELECT generator:
 * every read (Taiwan endpoint 7, CKAN datastore_search) and every dump (endpoint 8, CKAN
 * /datastore/dump) is built here from the table's bookkeeping. It checks field names, sort keys
 * and filter values and refuses bad ones with the SQLSTATE, message and parameter the API
 * answers (OD210/OD220, as the SQL functions that built it before did). A read is one statement
 * whose text depends only on the table's layout, the request's shape and its limit, never on
 * its values (those are $n parameters); a dump's values are literals (COPY takes no parameters).
 * Pure: no libpq, no event loop; unit-tested in tests/unit/test_sqlbuild.c. */
#ifndef SQLBUILD_H
#define SQLBUILD_H
#include "sbuf.h"
#include "util.h"
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* SQL text and its parameters. Parameter values are borrowed (they must outlive the builder's
 * use) unless added with sqlb_param_own. */
struct sqlb {
    union {
        struct sbuf text; /* the statement (sbuf.h) ... */
        struct {
            char *sql; /* ... under the names its readers use */
            size_t len, cap;
        };
    };
    const char **params;
    int nparams, pcap;
    char **owned;
    int nowned, ocap;
};

void sqlb_init(struct sqlb *b);
/* Free the text, the parameter array and the owned values. */
void sqlb_free(struct sqlb *b);
void sqlb_add(struct sqlb *b, const char *s);
void sqlb_addf(struct sqlb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An identifier, always double-quoted, '"' doubled (PQescapeIdentifier's output). */
void sqlb_ident(struct sqlb *b, const char *name);
/* A string literal: '...' with ' doubled; E'...' with \ doubled too when s holds a backslash
 * (PQescapeLiteral's output, right whatever standard_conforming_strings is). */
void sqlb_literal(struct sqlb *b, const char *s);
/* Append "$n" followed by cast (e.g. "::text") for a new parameter; returns n. value NULL is
 * SQL NULL. */
int sqlb_param(struct sqlb *b, const char *value, const char *cast);
/* The same for a malloc'd value the builder frees. */
int sqlb_param_own(struct sqlb *b, char *value, const char *cast);

/* A text[] literal of n values ({"a","b\"c",NULL}; NULL elements are SQL NULLs), malloc'd. */
char *sqlb_text_array(const char *const *v, int n);
/* The ILIKE pattern that finds s as a substring: '%' s '%' with \ % _ escaped by \. */
char *sqlb_like_pattern(const char *s);

/* ---- datastore reads ---------------------------------------------------------------------- */

/* A data field as the bookkeeping lists it, with its entry in each API's field list rendered
 * by PostgreSQL (so that the bytes are PostgreSQL's). */
struct sqlb_field {
    const char *id, *type;
    const char *tw_json;   /* json_build_object('type', type, 'id', id) */
    const char *ckan_json; /* {"id", "type"} plus "info" when present, as jsonb text */
    const char *header;    /* the file's header text (info.original_header), or NULL */
};

/* A datastore table at one generation of its bookkeeping row (docs/DATASTORE.md). */
struct sqlb_table {
    const char *table;       /* name in schema datastore */
    const char *search_expr; /* NULL: nothing searchable */
    long long row_count, max_id;
    int nfields;
    const struct sqlb_field *fields; /* table order, without _id */
    /* Where its rows are (sql/functions/24b_geo.sql, ds_geo_fields): the latitude and
     * longitude fields (one field twice for a "lat,long" one), the point expression its spatial
     * index is on (NULL: the fields name no place), and whether that index exists yet. */
    const char *geo_lat, *geo_lon, *geo_expr;
    bool geo_indexed;
};

enum sqlb_style { SQLB_TW, SQLB_CKAN };
enum sqlb_format { SQLB_OBJECTS, SQLB_LISTS, SQLB_CSV, SQLB_TSV };

/* One read, its syntax already checked by the API's handler. limit < 0: no limit (dumps). */
struct sqlb_read {
    enum sqlb_style style;
    enum sqlb_format format;   /* SQLB_OBJECTS for the Taiwan API */
    const char *rid, *viewer;  /* viewer: a ckan_viewer value as text, NULL = anonymous */
    long long generation;      /* of the bookkeeping the table description comes from */
    json_object *filters;      /* an object, or NULL */
    json_object *q;            /* a string searched in search_expr, or an object field →
                                     words (CKAN), or NULL */
    const char *const *fields; /* names to show, in order; NULL = all */
    int nfields;
    const char *const *sort; /* "name", "name asc", "name desc"; NULL/0 = none */
    int nsort;
    long long limit, offset;
    bool distinct, include_total; /* include_total: CKAN only (Taiwan always counts) */
    const char *ckan_p;           /* CKAN: the normalized request ckan_ds_head reads */
};

/* Input the generator refuses, as the API answers it (the envelopes' app_error): state
 * "OD210" (a malformed value) or "OD220" (an unknown field), the message, and the request
 * parameter at fault ("filters", "q", "sort", "fields"). */
struct sqlb_err {
    const char *state, *param;
    char *message; /* malloc'd */
};
/* Free err's message. */
void sqlb_err_clear(struct sqlb_err *err);

/* How a row-wise read's value column becomes JSON (server/datastore/ds_json.c writes it as
 * PostgreSQL's json_build_object would). */
enum sqlb_kind {
    SQLB_K_NUMBER, /* a number's text: as it is when a JSON number, else a string (NaN) */
    SQLB_K_BOOL,   /* t or f: true or false */
    SQLB_K_STRING, /* text, written as a JSON string */
    SQLB_K_JSON,   /* the value's JSON text (to_json in the statement), as it is */
};

/* The result a read's statement gives. Row-wise (records as objects or lists): columns 0 and 1
 * the result's text before and after the records, on the first row only; column 2 the record's
 * number, NULL on the one row of an empty page; then one column per shown field, its value's
 * text. Otherwise (csv/tsv records) one row of one column, the whole result. */
struct sqlb_shape {
    bool rowwise;
    enum sqlb_format format;
    int first; /* the first value column: 3, or 0 in a split read's rows */
    int ncols;
    char **names;          /* malloc'd, each malloc'd: the shown fields' ids, in order */
    enum sqlb_kind *kinds; /* malloc'd */
};
/* Free what a shape holds. */
void sqlb_shape_free(struct sqlb_shape *s);

/* Build the statement answering q on t, its result's shape in *shape (the Taiwan result around
 * tw_ds_head and tw_ds_tail, CKAN's after ckan_ds_head), or no row when the resource is not
 * readable by q->viewer or its bookkeeping is no longer at q->generation. False with *err (b
 * unusable, *shape empty) for input refused; the checks run in the order filters, q, sort,
 * fields, and with DISTINCT that every sort key is shown. */
bool sqlb_datastore_read(struct sqlb *b, const struct sqlb_table *t, const struct sqlb_read *q,
                         struct sqlb_shape *shape, struct sqlb_err *err) MUSTCHECK;

/* The same read (records as objects or lists) as two statements, for big pages sent as their
 * rows arrive: *head gives the result's text before and after the records (one row of two
 * columns, or none as sqlb_datastore_read's), *rows is a COPY ... TO STDOUT of the page's rows,
 * one value per shown field (values as literals: COPY takes no parameters). Both builders are
 * initialized by the caller; false with *err as sqlb_datastore_read. */
bool sqlb_datastore_read_split(struct sqlb *head, struct sqlb *rows, const struct sqlb_table *t,
                               const struct sqlb_read *q, struct sqlb_shape *shape,
                               struct sqlb_err *err) MUSTCHECK;

/* The SELECT of a dump's rows: q's page over t (style, format and DISTINCT aside: the dump
 * writes its own select list over it, DISTINCT there), ordered, every value a literal. *out
 * (malloc'd, *nout entries, pointing into t or static) are the fields it shows, in order. False
 * with *err for input refused, as sqlb_datastore_read. */
bool sqlb_datastore_rows(struct sqlb *b, const struct sqlb_table *t, const struct sqlb_read *q,
                         const struct sqlb_field ***out, int *nout, struct sqlb_err *err) MUSTCHECK;

/* ---- nearest rows (datastore_nearest, /v1/nearest-schools): sqlbuild_geo.c ------------------ */

enum sqlb_near_style {
    SQLB_NEAR_CKAN,    /* datastore_nearest's result object */
    SQLB_NEAR_SCHOOLS, /* /v1/nearest-schools' {"results": [...]} (hk_schools_result) */
};

/* One nearest search, its syntax already checked by the API's handler. */
struct sqlb_near {
    enum sqlb_near_style style;
    const char *rid, *viewer;          /* as sqlb_read's */
    long long generation;              /* filled in by the reader */
    const char *lat, *lon;             /* decimal degrees, in range */
    const char *radius_m;              /* a positive number of metres, or NULL: none */
    json_object *filters;              /* field → [text, ...] (compared as text), or NULL */
    const char *lat_field, *lon_field; /* the fields the caller named, or NULL */
    long long limit;
};

/* Build the statement answering q on t, through t's spatial index (nearest first, then by
 * _id; each record the row's fields then "_distance_m", the great-circle distance in metres);
 * one row, or none as sqlb_datastore_read. False with *err: OD210 on "resource_id" for a table
 * without place fields or without its index yet, on "lat_field"/"lon_field" for fields that
 * are not its place fields; OD220 on "filters" for an unknown field. */
bool sqlb_nearest(struct sqlb *b, const struct sqlb_table *t, const struct sqlb_near *q,
                  struct sqlb_err *err) MUSTCHECK;

/* ---- the Filter API: columns by position ---------------------------------------------------- */

/* Its operators: on a cell's text (an empty cell is ""), then on its number (a cell that is not
 * a number never matches). */
enum sqlb_op {
    SQLB_EQ,
    SQLB_NE,
    SQLB_IN,
    SQLB_NI,
    SQLB_CT,
    SQLB_NCT,
    SQLB_BW,
    SQLB_NBW,
    SQLB_EW,
    SQLB_NEW,
    SQLB_LT,
    SQLB_LE,
    SQLB_GT,
    SQLB_GE,
    SQLB_BT,
};
#define SQLB_NOPS (SQLB_BT + 1)

/* The operator called name ("eq", ...); false when there is none. */
bool sqlb_op_parse(const char *name, enum sqlb_op *op) MUSTCHECK;
/* Its name. */
const char *sqlb_op_name(enum sqlb_op op);
/* How many operands it takes: min..max (max -1: no bound). */
void sqlb_op_arity(enum sqlb_op op, int *min, int *max);
/* True for the numeric operators (lt le gt ge bt). */
bool sqlb_op_numeric(enum sqlb_op op);
/* True when s is a number as the numeric operators read one, in a cell or an operand: ASCII
 * blanks around [+-] digits [. digits] (or . digits), an exponent of at most 3 digits, at most
 * 255 digits each side of the point; every such text is a valid PostgreSQL numeric. */
bool sqlb_is_number(const char *s);

/* One filter: column col (1-based) compared by op with n operands. */
struct sqlb_colfilter {
    long long col;
    enum sqlb_op op;
    const char *const *operands;
    int n;
};

struct sqlb_colsort {
    long long col; /* 1-based */
    bool desc;
};

/* A Filter API query over a table's columns by position. */
struct sqlb_cols {
    long long section;                    /* 1-based; a datastore table is section 1 */
    const struct sqlb_colfilter *filters; /* ANDed */
    int nfilters;
    const struct sqlb_colsort *sorts; /* then file order (_id) */
    int nsorts;
};

/* The SELECT of every data field of t (no _id), in table order, for the rows q keeps in q's
 * order, values as literals (a dump's: COPY takes no parameters); *out as
 * sqlb_datastore_rows. False with *err: OD210 on "section" or "filters"/"sorts" for a section
 * or column that does not exist, OD100 for a table without fields. */
bool sqlb_column_rows(struct sqlb *b, const struct sqlb_table *t, const struct sqlb_cols *q,
                      const struct sqlb_field ***out, int *nout, struct sqlb_err *err) MUSTCHECK;

/* The longest datastore q (a search text, or one value of a q object) in characters: matching
 * it costs time in proportion to its length on every row scanned (a 100,000-character one ran
 * past the statement timeout on 11,571 rows), and no real search is longer. */
#define SQLB_Q_MAX_CHARS 1000
/* True when q (a JSON string, or an object of field → value) holds a longer text. */
bool sqlb_q_too_long(json_object *q);

#endif
