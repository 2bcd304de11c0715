/* sqlbuild_int — what the parts of the DataStore SELECT generator share (sqlbuild.c: the builder
 * and the reads' checks; sqlbuild_read.c: the reads' statements; sqlbuild_cols.c: the Filter
 * API; sqlbuild_geo.c: nearest rows). Not for other modules: sqlbuild.h is the interface. */
#ifndef SQLBUILD_INT_H
#define SQLBUILD_INT_H
#include "sqlbuild.h"

#define ERR_BAD_VALUE "OD210" /* db_err.h's DB_STATE_BAD_VALUE */
#define ERR_NO_FIELD "OD220"  /* db_err.h's DB_STATE_NO_FIELD */

struct sort_key {
    const struct sqlb_field *f;
    bool desc;
};

struct ds_build {
    struct sqlb *b; /* the statement; every parameter is registered here */
    const struct sqlb_table *t;
    const struct sqlb_read *q;
    bool literals; /* values as literals, not parameters (dumps) */
    struct sqlb_err *err;
    const struct sqlb_field **out; /* the fields shown */
    int nout;
    struct sqlb conds; /* the WHERE conditions, " AND "-joined */
    int nconds;
    struct sort_key *keys;
    int nkeys;
    int offset_param; /* 0 until referenced */
};

/* _id as each API lists it (the bookkeeping's field list does not hold it; it is int8). */
extern const struct sqlb_field sqlb_id_field;

/* Register a parameter without writing its reference; returns its number. */
int sqlb_new_param(struct sqlb *b, const char *value, char *owned);
/* Refuse the request: d->err gets the state, parameter and message. Returns false. */
bool sqlb_refuse(struct ds_build *d, const char *state, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The field called name (_id included), or NULL; the first one of that name. */
const struct sqlb_field *sqlb_find_field(const struct sqlb_table *t, const char *name);
/* Write a value into the conditions (owned: malloc'd or NULL for SQL NULL, taken over): a new
 * parameter, or in a dump a literal. */
void sqlb_cond_value(struct ds_build *d, char *owned, const char *cast);
/* " AND " before every condition but the first. */
void sqlb_cond_start(struct ds_build *d);
/* A column's text form, as filters compare it. */
void sqlb_column_text(struct sqlb *w, const struct sqlb_field *f);
/* A column's JSON value as the API shows it. */
void sqlb_value_expr(struct sqlb *w, const struct sqlb_field *f, enum sqlb_style style);
/* The page's SELECT over d's table, conditions, keys and fields. */
void sqlb_page_select(struct ds_build *d, struct sqlb *w);
/* Check d's request against its table and collect its conditions, keys and fields, in the
 * order the errors are found (sqlbuild.c); false with d->err. */
bool sqlb_check(struct ds_build *d);
/* Free what a build holds (not the statement). */
void sqlb_build_free(struct ds_build *d);
/* The end of a build that hands its shown fields over: ok, they go to *out and *nout (the
 * caller's to free); else *out NULL and *nout 0. The build is freed either way. */
bool sqlb_build_finish(struct ds_build *d, bool ok, const struct sqlb_field ***out, int *nout);

#endif
