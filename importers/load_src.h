/* load_src — how the readers (csv_in, xml_in) and the loader (load.c) meet, inside the loading
 * library; callers use load.h. A reader fills a load_source (its columns, its run function) and
 * calls back the loader with one load_row at a time. A pass may be repeated from the first byte
 * (run is called again) when a value breaks its column's type or a row has more fields than
 * the table: the loader widens the types or adds columns and starts over, at most a few times.
 * Column names are cleaned and made unique by load_cols_add (load_cols.c), which both readers
 * use, so that the naming rules of the contract live in one place. */
#ifndef LOAD_SRC_H
#define LOAD_SRC_H
#include <stdbool.h>
#include <stddef.h>

#include "enc.h"
#include "util.h"

/* Longest column name PostgreSQL keeps (NAMEDATALEN - 1 bytes). */
#define LOAD_NAME_MAX 63
/* Data columns a table may have (PostgreSQL's 1600, less "_id"). */
#define LOAD_COLS_MAX 1599

/* One data row. Values are borrowed from the reader until the callback returns. */
struct load_row {
    size_t n;               /* values given (fewer than the columns: the rest are NULL) */
    const char *const *val; /* val[i] NULL: no value */
    const size_t *len;      /* len[i] 0: empty, loaded as NULL */
    long line;              /* line of the file the row starts on */
};

/* Called for each row; nonzero stops the pass (the reader's run then returns 1). */
typedef int (*load_row_fn)(void *arg, const struct load_row *row);

struct load_col {
    char *name; /* column name in the table (cleaned, unique) */
    char *orig; /* header as found in the file (XML: the element path in the record) */
};

struct load_cols {
    struct load_col *v;
    size_t n, cap;
};

/* Add a column whose header is orig[0..len): control characters made spaces, trimmed, cut to
 * 63 bytes and trimmed again, empty → "column_N" (N its 1-based position), "_id" and
 * duplicates get "_2", "_3"… Returns its index. */
size_t load_cols_add(struct load_cols *c, const char *orig, size_t len);
/* The same with the name made from name[0..nlen) instead of from orig. */
size_t load_cols_add_as(struct load_cols *c, const char *orig, size_t olen, const char *name,
                        size_t nlen);
void load_cols_clear(struct load_cols *c);

struct load_source {
    const char *format;    /* "csv" or "xml" */
    const char *path;      /* the file's name in messages (borrowed) */
    struct enc *enc;       /* the byte stream: progress, hash, encoding (owned) */
    struct load_cols cols; /* the columns known so far; a pass may add some */
    char delimiter;        /* csv: the delimiter in use */
    char *record;          /* xml: the path of the record element */
    void *ctx;
    /* Every data row from the start of the file, to fn: 0 at the end, 1 when fn stopped the
     * pass, -1 on error with *err ("FILE:LINE: message", malloc'd). */
    int (*run)(void *ctx, load_row_fn fn, void *arg, char **err);
};

#endif
