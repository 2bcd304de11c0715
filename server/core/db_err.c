/* db_err — SQLSTATE → what went wrong (pure). */
#include "db_err.h"

#include <string.h>

#include "util.h"

static const struct {
    const char *state;
    enum db_error_kind kind;
} od_states[] = {
    {DB_STATE_NOT_FOUND, DBE_NOT_FOUND}, {DB_STATE_BAD_VALUE, DBE_BAD_VALUE},
    {DB_STATE_NO_FIELD, DBE_NO_FIELD},   {DB_STATE_FORBIDDEN, DBE_FORBIDDEN},
    {DB_STATE_CONFLICT, DBE_CONFLICT},   {DB_STATE_INVALID, DBE_INVALID},
};

enum db_error_kind dberr_classify(const char *sqlstate, bool conn_lost)
{
    const char *st = sqlstate ? sqlstate : "";
    /* class 08: connection exception; 57P: the server shuts down or restarts */
    if (conn_lost || strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0)
        return DBE_UNAVAILABLE;
    if (strcmp(st, "57014") == 0) /* query_canceled: statement_timeout */
        return DBE_TIMEOUT;
    for (size_t i = 0; i < ARRAY_LEN(od_states); i++)
        if (strcmp(st, od_states[i].state) == 0)
            return od_states[i].kind;
    return DBE_QUERY;
}

bool dberr_refused(enum db_error_kind kind)
{
    return kind >= DBE_NOT_FOUND;
}

enum err_kind dberr_err_kind(enum db_error_kind kind)
{
    switch (kind) {
    case DBE_NOT_FOUND: return ERR_NOT_FOUND;
    case DBE_FORBIDDEN: return ERR_FORBIDDEN;
    case DBE_NO_FIELD: return ERR_FIELD;
    case DBE_BAD_VALUE:
    case DBE_CONFLICT:
    case DBE_INVALID: return ERR_PARAM_VALUE;
    case DBE_UNAVAILABLE:
    case DBE_TIMEOUT: return ERR_UNAVAILABLE;
    case DBE_NONE:
    case DBE_QUERY: break;
    }
    return ERR_INTERNAL;
}
