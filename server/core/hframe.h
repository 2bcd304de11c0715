/* hframe — a strict reader of HTTP/1.1 request framing, placed in front of evhttp's lenient
 * parser. It sees the bytes a client sends before evhttp does and passes on only what frames
 * one way for every reader (RFC 9112 §6): a request head with at most one Content-Length of
 * decimal digits or exactly `Transfer-Encoding: chunked` (never both), header names followed
 * by their colon at once, no folded lines, well-formed chunks. Chunked bodies are held until
 * their last chunk and passed on re-encoded as one chunk (so chunk extensions, which evhttp
 * cannot read, are fine). Anything else is rejected: evhttp then receives a line it refuses,
 * answers 400 and closes, and later bytes are dropped.
 *
 * Pure: no sockets, no event loop (unit tests and fuzzing feed it directly). */
#ifndef HFRAME_H
#define HFRAME_H
#include "util.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evbuffer;

enum hframe_state {
    HFRAME_HEAD,       /* reading a request head (or idle between requests) */
    HFRAME_BODY,       /* passing a Content-Length body through */
    HFRAME_CHUNK_SIZE, /* chunked: a chunk-size line */
    HFRAME_CHUNK_DATA, /* chunked: chunk data */
    HFRAME_CHUNK_END,  /* chunked: the line end after chunk data */
    HFRAME_TRAILER,    /* chunked: trailer lines after the last chunk */
    HFRAME_CLOSED,     /* rejected: input is dropped */
};

struct hframe {
    enum hframe_state state;
    size_t max_head, max_body;
    struct evbuffer *pending; /* input not framed yet */
    struct evbuffer *head;    /* the held head of a chunked request */
    struct evbuffer *body;    /* its decoded body so far */
    size_t scanned;           /* bytes of pending searched for the end of a head */
    size_t trailer_bytes;
    size_t blank;             /* empty lines skipped before the current request line */
    uint64_t left;            /* body or chunk bytes still to come */
    uint64_t heads;           /* request heads passed on so far */
    uint64_t body_seen;       /* body bytes of the current request received (framing included) */
    bool expect_continue;     /* the held chunked request asked for 100-continue (cleared by the caller) */
    const char *reason;       /* why the stream was rejected */
    /* Optional: asked about each valid head with a Content-Length body (head: its bytes, the
     * empty line included). True diverts the request: its head is not passed on, its body goes
     * to `side` instead of out, and framing pauses at its end until hframe_resume (so what
     * follows reaches evhttp after what the caller makes of the diverted request). */
    bool (*divert)(void *arg, const char *head, size_t len, uint64_t content_length);
    void *divert_arg;
    struct evbuffer *side;    /* the diverted body's bytes not taken yet (the caller drains it) */
    bool diverting;           /* a diverted body is on its way */
    bool paused;              /* a diverted body ended: nothing is framed until hframe_resume */
};

void hframe_init(struct hframe *f, size_t max_head, size_t max_body);
void hframe_clear(struct hframe *f);

/* Take all of in (left empty) and append to out what evhttp may read. Returns false when this
 * input was rejected (f->reason says why; out ends with a line evhttp refuses). */
bool hframe_feed(struct hframe *f, struct evbuffer *in, struct evbuffer *out) MUSTCHECK;

/* After a diverted body ended: frame the input held meanwhile into out. False as for
 * hframe_feed. */
bool hframe_resume(struct hframe *f, struct evbuffer *out) MUSTCHECK;

/* Part of a request head was received and not its end. */
bool hframe_in_head(const struct hframe *f);
/* A request body is on its way. */
bool hframe_in_body(const struct hframe *f);

#endif
