/* load — the DataStore loading library (docs/DATASTORE.md, "Import rules"): a CSV or XML file
 * becomes a resource's DataStore table. The bytes are decoded to UTF-8 (enc), split into rows
 * (csv_in, xml_in), typed on a sample (infer), streamed with binary COPY into a staging table
 * that replaces the resource's table in one transaction (the swap and the bookkeeping are the
 * ds_* functions of sql/functions/05_datastore.sql); then the indexes and the raw-file version.
 *
 * This header is the library's one entry point (build/lib/libodload.a, linked by
 * opendata-import and opendatad). A load owns what it uses (its file descriptor, parsers,
 * iconv, and its connection unless one is given), so loads run at once on different threads.
 * Nothing is printed: log lines and progress go to the caller's callbacks, on the loading
 * thread; errors are returned. */
#ifndef LOAD_H
#define LOAD_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enc.h"
#include "util.h"

/* The levels of log lines, numbered as log.h's. */
enum load_level { LOAD_WARN = 1, LOAD_INFO = 2, LOAD_DEBUG = 3 };

/* Where a pass over the file, or a phase after it, is. */
struct load_progress {
    const char *what;     /* passes: "sampling", "loading", "rescanning", "reloading"; then
                             "indexing" (counted in steps) and "versioning" (in bytes) */
    int64_t rows;         /* rows read in this pass (after it: the rows loaded) */
    uint64_t bytes, size; /* raw bytes read (versioning: stored) so far; the file's size */
    int step, steps;      /* "indexing": indexes done, of steps; 0 of 0 otherwise */
    int64_t elapsed_us;   /* since the pass or phase began */
    bool end;             /* the pass or phase is over (its last report) */
};

struct load_opts {
    /* The file: path is opened and read, or with from_fd only its name in messages and in
     * source.file, and fd (a regular file, read from its first byte) is read instead; fd is
     * duplicated: the caller keeps and closes its own, whose file offset the load moves. */
    const char *format; /* "csv" or "xml" */
    const char *path;
    bool from_fd;
    int fd;
    enum enc_kind encoding;
    char delimiter;     /* csv: 0 to detect */
    const char *record; /* xml: the record element's NAME or PATH, NULL to detect */
    long sample_rows;   /* rows the types are inferred from */
    /* The target: the connection the load opens with conninfo db, or pg, idle, blocking and
     * used by nothing else meanwhile (its session settings are changed; its notices reach log
     * while the load runs, the process log (pgconn) after). */
    const char *db;
    PGconn *pg;
    const char *resource_id;
    const char *dataset; /* Taiwan identifier: create the resource there when missing */
    bool dry_run;        /* the plan only (the result), no database */
    bool search_index;   /* build the trigram and filter indexes after the swap */
    /* Callbacks, each optional, called on the loading thread with arg: log lines (LOAD_DEBUG
     * ones only with debug: timings, PostgreSQL's notices), progress about 4 times a second,
     * and cancelled, polled between rows (true stops the load: an error). */
    void (*log)(void *arg, enum load_level level, const char *line);
    bool debug;
    void (*progress)(void *arg, const struct load_progress *p);
    bool (*cancelled)(void *arg);
    void *arg;
};

struct load_field {
    char *name;       /* the column's name */
    char *orig;       /* the header as found in the file */
    const char *type; /* "int4", "numeric", "text", ... */
};

/* What a load found and did (a dry run: the plan). */
struct load_result {
    const char *format;
    uint64_t size;        /* bytes */
    const char *encoding; /* "utf-8" or "big5" */
    bool encoding_detected, bom;
    char delimiter;    /* csv */
    char *record;      /* xml: the record path */
    int64_t sampled;   /* rows the types were inferred from */
    bool sample_whole; /* the sample was the whole file */
    struct load_field *fields;
    size_t nfields;
    int64_t rows;         /* rows loaded */
    int64_t data_version; /* the table's, after the load */
    bool version_stored;  /* the raw file was stored as a new version */
};

/* The --encoding and --delimiter values (auto, utf-8, big5, cp950; auto, tab or a character). */
bool load_parse_encoding(const char *name, enum enc_kind *kind, char **err) MUSTCHECK;
bool load_parse_delimiter(const char *s, char *delim, char **err) MUSTCHECK;

/* Load the file into the resource's DataStore table (dry_run: read the sample only). 0 with
 * *res filled, or -1 with *err (malloc'd) and the previous data intact; after the swap, a
 * failure to store the raw-file version is also -1 (its message says the data was loaded).
 * *res is the caller's to clear either way. */
int load_file(const struct load_opts *o, struct load_result *res, char **err) MUSTCHECK;
void load_result_clear(struct load_result *res);

#endif
