/* ckan_resp — CKAN's envelope: {"help", "success", "result"} and {"help", "error": {...,
 * "__type"}, "success": false}, the HTTP status and __type of each error kind, the texts of
 * input an SQL function refused, and CKAN's other error shapes. */
#ifndef CKAN_RESP_H
#define CKAN_RESP_H
#include <json-c/json.h>
#include <stddef.h>

#include "resp.h"
#include "util.h"

struct req;

extern const struct resp_env ckan_resp_env;

/* CKAN 409 Validation Error: {"__type": "Validation Error", field: [message]}. */
void ckan_resp_invalid(struct req *r, const char *field, const char *message);
/* CKAN 409 Validation Error whose field holds a bare string, as CKAN raises some:
 * {field: message, "__type": "Validation Error"}. */
void ckan_resp_invalid_str(struct req *r, const char *field, const char *message);
/* A CKAN error envelope of any status and __type: {field: message, "__type": type}. */
void ckan_resp_error(struct req *r, int status, const char *type, const char *field,
                     const char *message);
/* CKAN's answer to some bad requests: the status with a bare JSON string, no envelope. */
void ckan_resp_bare(struct req *r, int status, const char *message);
/* Answer 409 Validation Error with a dict of field errors {field: [message, ...]}. */
void ckan_resp_invalid_dict(struct req *r, json_object *errors);
/* Answer 400 Integrity Error {message, data: the request dict} (CKAN's DataError). */
void ckan_resp_integrity(struct req *r, const char *message, json_object *data);
/* The help link of r's action (arena string), under r's language prefix. */
const char *ckan_resp_help_url(struct req *r);
/* r's language prefix ("/en-data", "/tc-data", "/sc-data") or "". */
const char *ckan_lang_prefix(const struct req *r);
/* The language r's prefix asks for ("en", "zh_TW", "zh_CN"), or NULL (/api: the default). */
const char *ckan_path_lang(const struct req *r);

/* Pure builders, for tests and for the senders: the body (malloc'd) and the HTTP status. */
char *ckan_resp_build_ok(const char *help_url, const char *payload, size_t len,
                         size_t *out_len);
char *ckan_resp_build_error(const char *help_url, enum err_kind kind, const char *message,
                            int *status);
char *ckan_resp_build_typed(const char *help_url, const char *type, const char *field,
                            const char *message);
char *ckan_resp_build_invalid(const char *help_url, const char *field, const char *message);
/* The same for many fields: errors is a JSON object {field: [message, ...]} (an SQL function's
 * DB_STATE_INVALID DETAIL), rendered {"__type": "Validation Error", field: [...], ...}; NULL
 * when errors is not a JSON object. */
char *ckan_resp_build_invalid_dict(const char *help_url, const char *errors) MUSTCHECK;

#endif
