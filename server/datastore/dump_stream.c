/* dump_stream — datastore rows streamed to a client: worker turns, chunk hand-off, aborts. */
#include "dump_stream.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "dump_worker.h"
#include "log.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "util.h"

#define CHUNK_BYTES (128 * 1024)

static atomic_int g_streams; /* streams open */
static int g_max_streams = 32;

/* One streamed dump. The worker owns src/df while it runs (running); the loop owns r and the
 * reply; the fields under mu are how they talk. At most one chunk waits in `ready` and one sits
 * in evhttp's output (sending): the worker is queued again only when `ready` was taken. */
struct stream {
    struct dw_task task; /* first: the worker's handle */
    pthread_mutex_t mu;
    struct event *ev;    /* on the request's loop: "look at the state" */
    struct req *r;       /* NULL once the request was answered (HEAD) */
    enum dfmt_kind kind;
    bool bom;
    const char *ctype;
    char *filename;
    struct dsrc_query q; /* strings malloc'd */
    /* worker side */
    struct dsrc *src;
    struct dfmt df;
    struct dsrc_meta meta;
    bool opened;
    /* shared, under mu */
    struct sbuf *ready;
    bool running, final, failed, open_failed, aborted, ev_freed;
    enum err_kind err;
    char *msg;
    /* loop side */
    bool started, sending;
};

static void chunk_free(const void *data, size_t len, void *extra)
{
    (void)data, (void)len;
    struct sbuf *b = extra;
    sbuf_free(b);
    free(b);
}

static char *dup_opt(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void stream_free(struct stream *s)
{
    event_free(s->ev);
    if (s->ready)
        chunk_free(NULL, 0, s->ready);
    dfmt_free(&s->df);
    free((char *)s->q.rid);
    free((char *)s->q.filters);
    free((char *)s->q.q);
    free((char *)s->q.fields);
    free((char *)s->q.sort);
    free((char *)s->q.limit);
    free((char *)s->q.offset);
    free((char *)s->q.viewer);
    free((char *)s->q.colq);
    free(s->msg);
    free(s->filename);
    pthread_mutex_destroy(&s->mu);
    free(s);
    atomic_fetch_sub(&g_streams, 1);
    dw_job_end();
}

/* The error text of a dump that could not start (streams are CKAN's /datastore/dump). */
static char *open_message(const struct dsrc_err *de)
{
    switch (dsrc_err_kind(de)) {
    case ERR_NOT_FOUND: return xasprintf("Not found: %s", de->message);
    case ERR_FORBIDDEN: return xasprintf("Access denied: %s", de->message);
    case ERR_UNAVAILABLE: return xasprintf("The database is unavailable: %s", de->message);
    case ERR_INTERNAL: return xasprintf("Invalid query: %s", de->message);
    default: return xasprintf("%s", de->message);
    }
}

static const char STOPPING_MESSAGE[] = "The server is stopping";

/* Worker → loop: the chunk made (or none) and the state; s may be freed once this returns. */
static void stream_post(struct stream *s, struct sbuf *chunk, bool final, bool failed,
                        const struct dsrc_err *open_err, char *open_msg)
{
    if (chunk && chunk->len == 0) {
        chunk_free(NULL, 0, chunk);
        chunk = NULL;
    }
    pthread_mutex_lock(&s->mu);
    if (s->ready) /* left unsent by an abort */
        chunk_free(NULL, 0, s->ready);
    s->ready = chunk;
    s->running = false;
    s->final = final;
    s->failed = failed;
    if (open_err) {
        s->open_failed = true;
        s->err = dsrc_err_kind(open_err);
        s->msg = open_msg;
    }
    event_active(s->ev, 0, 0);
    pthread_mutex_unlock(&s->mu);
}

/* One worker turn: open the rows (first turn), make one chunk, or close after an abort. */
static void stream_run(struct dw_task *t)
{
    struct stream *s = (struct stream *)t;
    pthread_mutex_lock(&s->mu);
    bool abort = s->aborted || dw_aborting();
    pthread_mutex_unlock(&s->mu);
    struct dsrc_err de = {0};
    struct sbuf *chunk = NULL;
    bool final = abort, failed = false, open_failed = false;
    if (!abort && !s->opened) {
        s->opened = true;
        s->src = dsrc_open(&s->q, s->kind, s->bom, &s->df, &s->meta, &de);
        open_failed = final = !s->src;
        if (s->src) {
            chunk = xcalloc(1, sizeof(*chunk));
            dfmt_head(&s->df, chunk);
        }
    }
    if (!abort && s->src) {
        if (!chunk)
            chunk = xcalloc(1, sizeof(*chunk));
        int rc = dsrc_fill(s->src, &s->df, chunk, CHUNK_BYTES, &de);
        if (rc == 0)
            dfmt_tail(&s->df, chunk);
        final = rc <= 0;
        failed = rc < 0;
        if (failed)
            log_warn("dump: stream of %s failed after %llu rows: %s",
                     s->q.rid ? s->q.rid : "a filter query", (unsigned long long)s->df.rows,
                     de.message);
    }
    if (final) {
        dsrc_close(s->src);
        s->src = NULL;
    }
    stream_post(s, chunk, final, failed, open_failed ? &de : NULL,
                open_failed ? open_message(&de) : NULL);
    dsrc_err_clear(&de);
}

static void stream_on_drained(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    struct stream *s = arg;
    pthread_mutex_lock(&s->mu);
    s->sending = false;
    pthread_mutex_unlock(&s->mu);
    event_active(s->ev, 0, 0);
}

/* The client went away. libevent frees the request after this call when it is still attached
 * to the connection; a request it detached first is ours to free. Only mark, act later. */
static void stream_on_close(struct evhttp_connection *evcon, void *arg)
{
    struct stream *s = arg;
    bool attached = s->r && evhttp_request_get_connection(s->r->ev) == evcon;
    pthread_mutex_lock(&s->mu);
    s->aborted = true;
    s->ev_freed = attached;
    pthread_mutex_unlock(&s->mu);
    event_active(s->ev, 0, 0);
}

/* HEAD: the headers only; the worker is told to close the rows. */
static void stream_head_only(struct stream *s)
{
    struct req *r = s->r;
    s->r = NULL;
    if (s->filename)
        dstream_attachment(r, s->filename);
    pthread_mutex_lock(&s->mu);
    s->aborted = true;
    pthread_mutex_unlock(&s->mu);
    req_finish(r, 200, s->ctype, evbuffer_new());
    event_active(s->ev, 0, 0);
}

static void stream_send(struct stream *s, struct sbuf *chunk)
{
    struct req *r = s->r;
    if (!s->started) {
        s->started = true;
        if (r->method == M_HEAD) {
            chunk_free(NULL, 0, chunk);
            stream_head_only(s);
            return;
        }
        if (s->filename)
            dstream_attachment(r, s->filename);
        req_on_close(r, stream_on_close, s);
        req_stream_start(r, 200, s->ctype);
    }
    struct evbuffer *eb = evbuffer_new();
    evbuffer_add_reference(eb, chunk->p, chunk->len, chunk_free, chunk);
    req_stream_chunk(r, eb, stream_on_drained, s);
    evbuffer_free(eb);
}

/* Answer or end the request, then free the stream (the worker is done with it). */
static void stream_finish(struct stream *s)
{
    struct req *r = s->r;
    if (!r) {
        /* answered already (HEAD) */
    } else if (s->open_failed) {
        resp_error(r, s->err, NULL, "%s", s->msg);
    } else if (s->aborted) {
        req_stream_abort(r, s->ev_freed);
    } else if (!s->started) {
        resp_error(r, ERR_UNAVAILABLE, NULL, "%s", STOPPING_MESSAGE);
    } else if (s->failed) {
        req_stream_cut(r);
    } else {
        req_on_close(r, NULL, NULL);
        req_stream_end(r);
    }
    stream_free(s);
}

/* The loop's side, run whenever the worker posted, a chunk drained or the client left. */
static void stream_on_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct stream *s = arg;
    struct sbuf *chunk = NULL;
    bool submit = false, finish = false;
    pthread_mutex_lock(&s->mu);
    bool idle = !s->running;
    if (s->aborted || !s->r || s->open_failed) {
        submit = idle && !s->final;
        finish = idle && s->final;
    } else {
        if (!s->sending && s->ready) {
            chunk = s->ready;
            s->ready = NULL;
            s->sending = true;
            submit = idle && !s->final;
        }
        finish = !s->sending && !s->ready && s->final && idle;
    }
    if (submit)
        s->running = true;
    pthread_mutex_unlock(&s->mu);
    if (submit)
        dw_submit(&s->task);
    if (chunk)
        stream_send(s, chunk);
    if (finish)
        stream_finish(s);
}

static struct stream *stream_new(struct req *r, const struct dstream_spec *sp)
{
    struct stream *s = xcalloc(1, sizeof(*s));
    s->task.run = stream_run;
    pthread_mutex_init(&s->mu, NULL);
    s->ev = event_new(r->thr->base, -1, 0, stream_on_event, s);
    s->r = r;
    s->kind = sp->kind;
    s->bom = sp->bom;
    s->ctype = sp->content_type;
    s->filename = dup_opt(sp->filename);
    const struct dsrc_query *q = sp->q;
    s->q = (struct dsrc_query){dup_opt(q->rid),    dup_opt(q->filters), dup_opt(q->q),
                               dup_opt(q->fields), dup_opt(q->sort),    dup_opt(q->limit),
                               dup_opt(q->offset), q->distinct,         dup_opt(q->viewer),
                               dup_opt(q->colq)};
    s->running = true;
    return s;
}

void dstream_init(int max_streams)
{
    g_max_streams = max_streams;
}

int dstream_start(struct req *r, const struct dstream_spec *spec)
{
    if (dw_stopping()) {
        resp_error(r, ERR_UNAVAILABLE, NULL, "%s", STOPPING_MESSAGE);
        return REQ_DONE;
    }
    if (atomic_fetch_add(&g_streams, 1) >= g_max_streams) {
        atomic_fetch_sub(&g_streams, 1);
        resp_error(r, ERR_UNAVAILABLE, NULL, "Too many dumps in progress, try again later");
        return REQ_DONE;
    }
    dw_job_begin();
    struct stream *s = stream_new(r, spec);
    dw_submit(&s->task);
    return REQ_ASYNC;
}

void dstream_attachment(struct req *r, const char *name)
{
    char *n = arena_strdup(r->a, name);
    for (char *p = n; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
            *p = '_';
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Content-Disposition",
                      arena_printf(r->a, "attachment; filename=\"%s\"", n));
}
