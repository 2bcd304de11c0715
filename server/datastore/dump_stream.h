/* dump_stream — the rows of a datastore query streamed to an HTTP client, with backpressure.
 *
 * A dump worker opens the rows (dump_src) and makes one chunk of about 128 KiB per turn; the
 * request's loop sends it with evhttp_send_reply_chunk_with_cb and queues the worker again only
 * when it has taken the chunk, so at most one chunk waits and one sits in evhttp's output
 * buffer: a slow reader never grows memory, and no thread waits for it. Errors found before
 * the first byte (unknown resource or field, bad value, database down) are answered in the
 * request's envelope; a failure after it cuts the connection (the client sees an incomplete
 * chunked reply). When the client goes away (evhttp closecb) the worker stops at its next turn
 * and rolls the transaction back. HEAD gets the headers only. */
#ifndef DUMP_STREAM_H
#define DUMP_STREAM_H
#include <stdbool.h>

#include "dump_fmt.h"
#include "dump_src.h"
#include "util.h"

struct req;

struct dstream_spec {
    const struct dsrc_query *q; /* copied */
    enum dfmt_kind kind;
    bool bom;
    const char *content_type;   /* a static string */
    const char *filename;       /* for Content-Disposition (NULL: none); copied */
};

/* Streams allowed at once (each holds a database connection); more are answered 503. */
void dstream_init(int max_streams);
/* Stream the rows to r; returns REQ_ASYNC, or REQ_DONE when it answered at once (503). */
int dstream_start(struct req *r, const struct dstream_spec *spec) MUSTCHECK;
/* Add Content-Disposition: attachment; filename="name" (quotes and controls replaced). */
void dstream_attachment(struct req *r, const char *name);

#endif
