/* resp — response builders. The generic parts live here: the one exit of JSON bodies (pretty and
 * JSONP rendering where the family's envelope wants them), and the error kinds. What a body
 * looks like (the success envelope, an error's body and HTTP status, the texts of errors an SQL
 * function raised) belongs to the request's family: its struct resp_env (family.h). */
#ifndef RESP_H
#define RESP_H
#include "util.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct req;

struct db_error;

/* What went wrong, whatever the envelope; each family's envelope gives the HTTP status and how
 * the body says it (Taiwan: ER codes; CKAN: __type). */
enum err_kind {
    ERR_NOT_FOUND,   /* TW ER0100 404;  CKAN "Not Found Error" 404 */
    ERR_PARAM_NAME,  /* TW ER0200 400;  CKAN "Validation Error" 409 */
    ERR_PARAM_VALUE, /* TW ER0210 400;  CKAN "Validation Error" 409 */
    ERR_FIELD,       /* TW ER0220 400;  CKAN "Validation Error" 409 */
    ERR_METHOD,      /* 405 */
    ERR_UNAVAILABLE, /* TW ER0500 503;  CKAN "Service Unavailable" 503 */
    ERR_INTERNAL,    /* TW ER0500 500;  CKAN "Internal Server Error" 500 */
    ERR_FORBIDDEN,   /* TW ER0100 404;  CKAN "Authorization Error" 403 */
    ERR_BAD_REQUEST, /* TW ER0210 400;  CKAN "Bad Request" 400 (a malformed request) */
    ERR_NO_ROUTE,    /* TW ER010004 404; CKAN "Not Found Error" 404: no such API path */
};
#define ERR_KINDS (ERR_NO_ROUTE + 1)

/* A family's envelope. The core calls it; the family's texts stay in the family. */
struct resp_env {
    const char *json_type; /* Content-Type of its JSON bodies */
    bool pretty;           /* pretty=true / a browser's Accept indent its bodies */
    bool jsonp;            /* a GET's callback=NAME wraps its 200s */
    bool http_cache;       /* Cache-Control on every reply, ETag/304 on anonymous GET 200s */
    /* The success envelope around an already serialized payload (malloc'd). */
    char *(*ok)(struct req *r, const char *payload, size_t len, size_t *out_len);
    /* The body of an error (malloc'd) and its HTTP status. code: a family sub-code (such as
     * Taiwan's "ER010002") or NULL. Messages are plain; an envelope adds what its API puts
     * before them (Taiwan: the spec's lead on server-side errors). */
    char *(*error)(struct req *r, enum err_kind kind, const char *code, const char *message,
                   int *status);
    /* Answer input an SQL function refused: err->kind is one of db_err.h's refusals, the
     * message and DETAIL as the SQL → C contract says. */
    void (*app_error)(struct req *r, const struct db_error *err);
    /* Optional, for payloads streamed as they are made: the success envelope around nothing
     * (malloc'd, *len bytes), the payload's place at *head_len. NULL: such payloads are held
     * whole. */
    char *(*ok_around)(struct req *r, size_t *head_len, size_t *len);
};

/* Success with a JSON payload that is already serialized (e.g. built by PostgreSQL). */
void resp_ok_json(struct req *r, const char *payload, size_t len);
/* Success with a JSON body sent as it is, without an envelope (CKAN /api/util, /api/N). */
void resp_ok_bare(struct req *r, const char *payload, size_t len);
/* Success with a whole body (envelope included) shared with other replies: sent without a
 * copy (cleanup(text, len, arg) once sent) unless it is to be indented or wrapped for JSONP.
 * hash: util_hash64 of the bytes (the ETag). */
void resp_ok_shared(struct req *r, const char *text, size_t len, uint64_t hash,
                    void (*cleanup)(const void *, size_t, void *), void *arg);
/* An error in r's envelope. code: a sub-code of the family's (Taiwan's "ER010002"), or NULL. */
void resp_error(struct req *r, enum err_kind kind, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* True when a 200 to r would go out as the payload is written (neither indented nor wrapped for
 * JSONP) in an envelope that can be streamed (ok_around). */
bool resp_streamable(struct req *r);

/* Send a JSON body held whole (text malloc'd, taken over) with status: the one exit, which
 * indents and wraps for JSONP as r's envelope allows. For the families' own shapes. */
void resp_send(struct req *r, int status, char *text, size_t len);

/* Pure builders, for tests and for resp_*. */
/* True for a JSONP callback we accept: dot-separated JavaScript names of ASCII letters, digits,
 * '_' and '$' (not starting with a digit), at most 256 bytes. */
bool resp_jsonp_name_valid(const char *name);
/* name(json); (malloc'd). */
char *resp_build_jsonp(const char *name, const char *json, size_t len, size_t *out_len) MUSTCHECK;
/* The same JSON indented for reading (malloc'd); NULL when json does not parse. */
char *resp_build_pretty(const char *json, size_t len, size_t *out_len) MUSTCHECK;
/* True when an Accept header ranks text/html above JSON, as browsers' do. */
bool resp_accept_prefers_html(const char *accept);

#endif
