/* db_err — the one reading of a failed statement. The SQL → C contract (docs/ARCHITECTURE.md,
 * "SQL → C"): an SQL function signals every failure by RAISE with one of the project's
 * SQLSTATEs below, its message the user-facing text and its DETAIL the parameter at fault (or,
 * for DB_STATE_INVALID, a JSON object of field → [messages]); success is one JSON text in one
 * cell. dberr_classify maps a SQLSTATE (and whether the connection broke) to what went wrong;
 * the pool, the request path and the dump workers all ask it. Pure. */
#ifndef DB_ERR_H
#define DB_ERR_H
#include <stdbool.h>

#include "resp.h"

/* SQLSTATEs the project's SQL functions raise (class OD). DETAIL per state: */
#define DB_STATE_NOT_FOUND "OD100" /* none; the message may be empty (the envelope's word alone) */
#define DB_STATE_BAD_VALUE "OD210" /* the parameter whose value is refused */
#define DB_STATE_NO_FIELD "OD220"  /* the parameter that named the missing field */
#define DB_STATE_FORBIDDEN "OD403" /* what an API without callers (Taiwan) says instead: not found */
#define DB_STATE_CONFLICT "OD409"  /* the field whose value collides with stored data (a name in use) */
#define DB_STATE_INVALID "OD422"   /* a JSON object {field: [message, ...]}: every field refused */

enum db_error_kind {
    DBE_NONE = 0,
    /* the server's side: */
    DBE_UNAVAILABLE, /* no connection to the database (down, restarting, refused) */
    DBE_TIMEOUT,     /* statement_timeout or cancelled */
    DBE_QUERY,       /* the statement failed unexpectedly (a bug): logged, answered 500 */
    /* refused by an SQL function (the client's side), one per DB_STATE_*: */
    DBE_NOT_FOUND,
    DBE_BAD_VALUE,
    DBE_NO_FIELD,
    DBE_FORBIDDEN,
    DBE_CONFLICT,
    DBE_INVALID,
};

struct db_error {
    enum db_error_kind kind;
    const char *sqlstate; /* 5 characters, or "" */
    const char *message;  /* primary message; valid during the callback only */
    const char *detail;   /* DETAIL of the error or "" (see DB_STATE_*) */
};

/* What a statement's failure means: sqlstate ("" or NULL when there is none) and whether the
 * connection is gone. A class OD state not listed above is DBE_QUERY: a function broke the
 * contract. */
enum db_error_kind dberr_classify(const char *sqlstate, bool conn_lost);
/* True for the kinds an SQL function raised about the input. */
bool dberr_refused(enum db_error_kind kind);
/* The error kind a reply says it with, whatever the envelope. */
enum err_kind dberr_err_kind(enum db_error_kind kind);

#endif
