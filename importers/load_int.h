/* load_int — what the files of the loading library share. Not for other modules: they use
 * load.h. */
#ifndef LOAD_INT_H
#define LOAD_INT_H
#include <libpq-fe.h>
#include <stdint.h>

#include "infer.h"
#include "load.h"
#include "load_src.h"
#include "util.h"

struct loader {
    struct load_source *src;
    const struct load_opts *o;
    PGconn *pg;
    bool own_pg;             /* opened by the load (else o->pg) */
    bool locked;             /* holds the resource's advisory lock (load_db.c) */
    char *table, *staging;   /* names in schema datastore, unquoted */
    char *qtable, *qstaging; /* the same, qualified and quoted */
    bool create_resource;    /* missing from the catalogue: created in the swap transaction */
    bool compat;             /* the database predates the ds_* write functions (load_compat.c) */
    /* Per column: the types every value seen fits, and the type of the table's column. */
    unsigned *mask;
    enum infer_type *type;
    size_t ncap;
    size_t width;            /* columns of the table this pass loads */
    int attempt;
    bool restart;            /* this pass found a value or row the table cannot take */
    int64_t rows, sampled;
    bool sample_whole;
    struct {
        char *p;
        size_t len, cap;
    } out;                   /* COPY data not sent yet */
    char *err;               /* a database error met inside a pass */
    char *fields;            /* datastore_table.fields of the import (JSON) */
    int64_t data_version;
    bool version_stored;
    const char *what;
    int64_t pass_us, shown_us;
    int index_step, index_steps; /* indexes after the data: done, of */
};

/* The files of the library, each pointing only at those below it: load.c (the entry) uses
 * load_db.c (the transaction) and load_index.c (the indexes after it); load_db.c uses
 * load_copy.c (a pass) and load_compat.c; all of them use load_sql.c (the connection) and
 * load_report.c (what the caller is told). */

/* load_report.c: a log line to the caller (LOAD_DEBUG only when asked for). */
void load_log(struct loader *L, enum load_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* load_report.c: progress of a phase after the data (what: "indexing" by steps, "versioning" by
 * bytes of size), at most about 4 times a second unless done; a new what starts its clock. */
void load_phase(struct loader *L, const char *what, int step, int steps, uint64_t bytes,
                uint64_t size, bool done);
/* load_report.c: a pass over the file starts (what: "sampling", "loading", ...). */
void load_pass_start(struct loader *L, const char *what);
/* load_report.c: progress of the pass (rows, bytes read), at most about 4 times a second
 * unless done. */
void load_pass_progress(struct loader *L, bool done);
/* load_report.c: every 1024 rows: progress, and false (L->err set) when the caller wants the
 * load stopped. */
bool load_pass_tick(struct loader *L);

/* load.c: load an opened source (the fuzz drivers call this without a database): 0, or -1 with
 * *err. */
int load_source_run(struct load_source *src, const struct load_opts *o, struct load_result *res,
                    char **err) MUSTCHECK;

/* load_copy.c: room for n columns' types; new ones start with every type possible. */
void load_types_grow(struct loader *L, size_t n);
/* load_copy.c: one pass of COPY rows; 0 done, 1 a restart is needed, -1 error (*err). */
int load_copy_pass(struct loader *L, char **err) MUSTCHECK;

/* load_sql.c: open the load's connection (or take the caller's) with the load's settings. */
bool load_sql_connect(struct loader *L, char **err) MUSTCHECK;
/* load_sql.c: another connection to the load's database, with the load's session settings and
 * notices; NULL with *err. */
PGconn *load_sql_connect_more(struct loader *L, char **err);
/* load_sql.c: run sql with text parameters; the result when its status is `want`, else NULL
 * with *err. */
PGresult *load_sql_exec(struct loader *L, const char *sql, int n, const char *const *params,
                        ExecStatusType want, char **err) MUSTCHECK;
/* load_sql.c: the same for a command; false with *err. */
bool load_sql_run(struct loader *L, const char *sql, int n, const char *const *params,
                  char **err) MUSTCHECK;
/* load_sql.c: "database: " and the first line of res's error, else pg's (malloc'd). */
char *load_sql_error(PGconn *pg, const PGresult *res);
/* load_sql.c: a quoted identifier (malloc'd). */
char *load_sql_quote(struct loader *L, const char *name);
/* load_sql.c: send the buffered COPY data; false sets L->err. */
bool load_sql_send(struct loader *L) MUSTCHECK;

/* load_db.c: connect, check the resource (and the dataset to create it in), name the tables. */
bool load_db_prepare(struct loader *L, char **err) MUSTCHECK;
/* One transaction: staging table, COPY pass, key, ANALYZE, swap, bookkeeping, COMMIT. 0 done,
 * 1 rolled back for a restart, -1 rolled back on error (*err). */
int load_db_attempt(struct loader *L, char **err) MUSTCHECK;
/* After the swap and the indexes: the raw file as a version. 0, or -1 with *err. */
int load_db_version(struct loader *L, char **err) MUSTCHECK;
void load_db_finish(struct loader *L);
/* The text `q` searches, as an expression over the table's columns (malloc'd); NULL when no
 * column is searchable. */
char *load_db_search_expr(struct loader *L);

/* load_index.c: the indexes after the swap (warnings, never an error), with progress. */
void load_index_build(struct loader *L);

/* load_compat.c: the writes of ds_resource_create + ds_table_replace (ins, p: their arguments)
 * and of ds_version_add (p), sent as statements to a database made before those functions and
 * not yet upgraded by `opendatad db init` (tests/import/test_schema_upgrade.py loads one). */
bool load_compat_swap(struct loader *L, const char *const *ins, const char *const *p,
                      char **err) MUSTCHECK;
bool load_compat_version(struct loader *L, const char *const *p, char **err) MUSTCHECK;

#endif
