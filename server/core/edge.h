/* edge — the server's side of each client connection, before evhttp: the strict framing of
 * hframe.c on every byte received, a deadline for each request head (--header-timeout, from
 * the connection's start or the head's first byte) and a minimum rate for bodies
 * (--body-min-rate), closing the connection silently when they are missed (as nginx does on
 * client_header_timeout / client_body_timeout), and the count of open connections per client
 * address (--max-conns-per-ip; requests on connections beyond it get 503 and a close, as from
 * nginx's limit_conn).
 *
 * It hooks in through evhttp_set_bevcb: the bufferevent evhttp reads from is made here, with
 * an input-buffer callback that takes each read's bytes before evhttp sees them. One
 * edge_thread per event-loop thread; the per-address counts are shared (locked). */
#ifndef EDGE_H
#define EDGE_H
#include "util.h"
#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct bufferevent;
struct evhttp_request;
struct evhttp_connection;
struct spool_file;

struct edge_limits {
    size_t max_head, max_body;
    int header_timeout; /* seconds */
    int body_min_rate;  /* bytes/s; 0: none */
    int max_conns_per_ip; /* 0: no cap */
    size_t max_single_write;
    const char *upload_dir; /* multipart action bodies are spooled there (NULL: not) */
    uint64_t max_upload;    /* bytes of an uploaded file */
};

/* A spooled request's upload as the request receives it (edge_take_upload). */
struct edge_upload {
    struct spool_file *file; /* NULL when the body had no file part */
    int status;              /* 0, or the refusal: 400 malformed, 413 too large, 500 */
    char *error;             /* the refusal in words (malloc'd) */
};

struct edge_thread;

struct edge_thread *edge_thread_new(struct event_base *base, const struct edge_limits *lim);
/* After the thread's evhttp (and so every connection) was freed. */
void edge_thread_free(struct edge_thread *t);

/* For evhttp_set_bevcb(http, edge_bufferevent, t). */
struct bufferevent *edge_bufferevent(struct event_base *base, void *edge_thread);

/* The request came on a connection beyond its address's cap. */
bool edge_over_limit(struct edge_thread *t, struct evhttp_request *req) MUSTCHECK;

/* The upload of a request whose multipart body the edge spooled (a CKAN action POST with
 * Content-Type multipart/form-data and a Content-Length): evhttp received its plain fields as
 * a form body instead, marked with an internal header that carries a per-process secret. The
 * header is removed from every request; true (and *up filled, the caller's to free with
 * edge_upload_free) only for one the edge marked itself. */
bool edge_take_upload(struct edge_thread *t, struct evhttp_request *req,
                      struct edge_upload *up) MUSTCHECK;
void edge_upload_free(struct edge_upload *up);

/* evhttp_connection_set_closecb for connections made here (the edge needs that callback to
 * learn of the close; it calls cb first). */
void edge_set_closecb(struct edge_thread *t, struct evhttp_connection *evcon,
                      void (*cb)(struct evhttp_connection *, void *), void *arg);

#endif
