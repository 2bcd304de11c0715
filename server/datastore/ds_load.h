/* ds_load — DataStore loads (importers/load.h, the library opendata-import uses) inside the
 * server, for the CKAN write actions (datastore_create with an uploaded file). A load takes
 * seconds to minutes, so it runs neither on a loop thread nor on the dump workers (whose tasks
 * are short steps): each runs on a thread of its own, with its own blocking connection, and its
 * outcome is handed back on the caller's event loop. At most DSL_RUNNING_MAX run at once; more
 * wait their turn in order. */
#ifndef DS_LOAD_H
#define DS_LOAD_H
#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

#include "load.h"
#include "util.h"

#define DSL_RUNNING_MAX 2

struct dsl_outcome;

struct dsl_request {
    const char *resource_id;
    const char *dataset; /* Taiwan identifier to create the resource in; NULL: it exists */
    const char *format;  /* "csv" or "xml" */
    const char *name;    /* the file's name (in messages and source.file) */
    int fd;              /* the file, e.g. an upload's temp file: the load's from dsl_start */
    /* Or, with fd -1: the file fetch makes on the loading thread (a descriptor, or -1 with
     * *err malloc'd), e.g. a remote URL's (url_fetch.h); after on_begin. */
    const char *url;
    int (*fetch)(const struct dsl_request *rq, char **err);
    enum enc_kind encoding;
    char delimiter;     /* csv: 0 to detect */
    const char *record; /* xml: NULL to detect */
    long sample_rows;
    bool search_index;
    /* Optional, on the loading thread with the load's connection (idle, blocking; NULL for
     * end when none could be opened): before the load, and after it with its outcome; for a
     * record of the load's state that must not wait for the caller's loop. */
    const char *tag; /* the caller's name for the load (copied), for the hooks */
    void (*on_begin)(const struct dsl_request *rq, PGconn *pg);
    void (*on_end)(const struct dsl_request *rq, PGconn *pg, const struct dsl_outcome *out);
};

struct dsl_outcome {
    const char *resource_id;
    /* 0 loaded; -1 failed (err), the previous data intact unless err says it was loaded */
    int rc;
    char *err;
    struct load_result result;
    int64_t started_us, ended_us; /* util_now_us() when the load began and ended */
};

/* Runs on the loop thread of the base given to dsl_start; the outcome is freed after. */
typedef void (*dsl_done_fn)(void *arg, const struct dsl_outcome *out);

/* The loads' database (once, before the first load: the DataStore family's init). */
void dsl_init(const char *conninfo, int connect_timeout_s);
/* Queue a load (the request is copied). false with *err (malloc'd) when the server is stopping
 * or no thread can be started; rq->fd is closed then. */
bool dsl_start(const struct dsl_request *rq, struct event_base *base, dsl_done_fn done, void *arg,
               char **err) MUSTCHECK;
/* True once the server is stopping (a fetch gives up then). */
bool dsl_stopping(void);
/* Stop: queued loads are dropped, running ones cancelled (rolled back; done is not called for
 * either); waits up to wait_ms for their threads to end. */
void dsl_shutdown(int wait_ms);

#endif
