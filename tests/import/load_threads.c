/* load_threads — loads files into resources at once, each on its own thread, through the
 * server's entry (server/datastore/ds_load.c) and the loading library; run by
 * tests/import/test_load_threads.py against a throwaway database, which then checks the tables
 * and their bookkeeping.
 *
 *     load_threads CONNINFO FORMAT:RID:FILE...
 *
 * Prints one line per load as it ends, "RID rc=N rows=N fields=N version=N start=US end=US
 * err=TEXT", and exits 0 when every load succeeded. */
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds_load.h"
#include "log.h"

struct run {
    struct event_base *base;
    int pending, failed;
};

static void done(void *arg, const struct dsl_outcome *o)
{
    struct run *r = arg;
    printf("%s rc=%d rows=%" PRId64 " fields=%zu version=%" PRId64 " start=%" PRId64 " end=%" PRId64
           " err=%s\n",
           o->resource_id, o->rc, o->result.rows, o->result.nfields, o->result.data_version,
           o->started_us, o->ended_us, o->err ? o->err : "");
    fflush(stdout);
    r->failed += o->rc != 0;
    if (--r->pending == 0)
        event_base_loopbreak(r->base);
}

/* "FORMAT:RID:FILE" → a request; false when malformed or the file cannot be opened. */
static bool request(char *spec, struct dsl_request *rq)
{
    char *rid = strchr(spec, ':'), *file = rid ? strchr(rid + 1, ':') : NULL;
    if (!file)
        return false;
    *rid++ = '\0';
    *file++ = '\0';
    *rq = (struct dsl_request){.resource_id = rid,
                               .format = spec,
                               .name = file,
                               .fd = open(file, O_RDONLY | O_CLOEXEC),
                               .sample_rows = 1000,
                               .search_index = true};
    return rq->fd >= 0;
}

int main(int argc, char **argv)
{
    log_progname = "load_threads";
    if (argc < 3) {
        fprintf(stderr, "usage: load_threads CONNINFO FORMAT:RID:FILE...\n");
        return 2;
    }
    evthread_use_pthreads();
    struct run r = {event_base_new(), 0, 0};
    dsl_init(argv[1], 10);
    for (int i = 2; i < argc; i++) {
        struct dsl_request rq;
        char *err = NULL;
        if (!request(argv[i], &rq)) {
            fprintf(stderr, "load_threads: %s: cannot open\n", argv[i]);
            return 2;
        }
        if (!dsl_start(&rq, r.base, done, &r, &err)) {
            fprintf(stderr, "load_threads: %s\n", err);
            free(err);
            return 1;
        }
        r.pending++;
    }
    event_base_loop(r.base, EVLOOP_NO_EXIT_ON_EMPTY); /* the loads report from other threads */
    dsl_shutdown(10000);
    event_base_free(r.base);
    libevent_global_shutdown();
    return r.failed ? 1 : 0;
}
