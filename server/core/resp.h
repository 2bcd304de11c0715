/* resp — response builders. They own the envelopes (Taiwan {"success","result"} and CKAN
 * {"help","success","result"}), map error kinds to HTTP statuses and to Taiwan ER codes or
 * CKAN __type strings, render CKAN bodies for reading (pretty) or for JSONP, and hand the bytes
 * to req_finish_text (headers, ETag, 304). */
#ifndef RESP_H
#define RESP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct req;

enum err_kind {
    ERR_NOT_FOUND,     /* TW ER0100 404;  CKAN "Not Found Error" 404 */
    ERR_PARAM_NAME,    /* TW ER0200 400;  CKAN "Validation Error" 409 */
    ERR_PARAM_VALUE,   /* TW ER0210 400;  CKAN "Validation Error" 409 */
    ERR_FIELD,         /* TW ER0220 400;  CKAN "Validation Error" 409 */
    ERR_METHOD,        /* 405 */
    ERR_UNAVAILABLE,   /* TW ER0500 503;  CKAN "Internal Server Error" 503 */
    ERR_INTERNAL,      /* TW ER0500 500;  CKAN "Internal Server Error" 500 */
    ERR_FORBIDDEN,     /* TW ER0100 404;  CKAN "Authorization Error" 403 */
    ERR_BAD_REQUEST,   /* TW ER0210 400;  CKAN "Bad Request" 400 (a malformed request) */
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
/* An error in r's envelope. tw_code overrides the Taiwan code (a sub-code such as "ER010002")
 * and may be NULL. */
void resp_error(struct req *r, enum err_kind kind, const char *tw_code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* CKAN 409 Validation Error: {"__type": "Validation Error", field: [message]}. */
void resp_ckan_invalid(struct req *r, const char *field, const char *message);
/* CKAN 409 Validation Error whose field holds a bare string, as CKAN raises some:
 * {field: message, "__type": "Validation Error"}. */
void resp_ckan_invalid_str(struct req *r, const char *field, const char *message);
/* A CKAN error envelope of any status and __type: {field: message, "__type": type}. */
void resp_ckan_error(struct req *r, int status, const char *type, const char *field,
                     const char *message);
/* CKAN's answer to some bad requests: the status with a bare JSON string, no envelope. */
void resp_ckan_bare(struct req *r, int status, const char *message);

/* Pure builders, for tests and for resp_*: the envelope text (malloc'd) and the HTTP status. */
char *resp_build_error(int api, const char *help_url, enum err_kind kind, const char *tw_code,
                       const char *message, int *status);
char *resp_build_invalid(const char *help_url, const char *field, const char *message);
char *resp_build_ckan_error(const char *help_url, const char *type, const char *field,
                            const char *message);
char *resp_build_ok(int api, const char *help_url, const char *payload, size_t len, size_t *out_len);
/* True for a JSONP callback we accept: dot-separated JavaScript names of ASCII letters, digits,
 * '_' and '$' (not starting with a digit), at most 256 bytes. */
bool resp_jsonp_name_valid(const char *name);
/* name(json); (malloc'd). */
char *resp_build_jsonp(const char *name, const char *json, size_t len, size_t *out_len);
/* The same JSON indented for reading (malloc'd); NULL when json does not parse. */
char *resp_build_pretty(const char *json, size_t len, size_t *out_len);
/* True when an Accept header ranks text/html above JSON, as browsers' do. */
bool resp_accept_prefers_html(const char *accept);

#endif
