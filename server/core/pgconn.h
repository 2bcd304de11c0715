/* pgconn — libpq connections whose notices reach the log: PostgreSQL's NOTICE, WARNING and the
 * messages of a server going away become one log_msg line each instead of libpq's raw
 * "WARNING:  ..." lines on stderr. Every connection the programs open goes through here. */
#ifndef PGCONN_H
#define PGCONN_H
#include "util.h"
#include <libpq-fe.h>

/* Route pg's notices to the log (WARNING and worse: warning; NOTICE, INFO: info; LOG and
 * DEBUG: debug). Set it before the connection starts up, as PostgreSQL may warn then (a
 * collation version mismatch). */
void pgconn_log_notices(PGconn *pg);

/* A blocking connection, as PQconnectdbParams(keys, vals, 1) but with the notices routed from
 * the start; NULL with *err (the first line of libpq's message, malloc'd). connect_timeout is
 * honoured for the whole attempt. */
PGconn *pgconn_open(const char *const *keys, const char *const *vals, char **err) MUSTCHECK;

/* The same with pg's notices going to rcv(arg, res) instead (e.g. a caller's own log). */
PGconn *pgconn_open_with(const char *const *keys, const char *const *vals, PQnoticeReceiver rcv,
                         void *arg, char **err) MUSTCHECK;

/* A notice as one line, "PostgreSQL WARNING: message DETAIL: ... HINT: ..." (malloc'd), and
 * the log level it is logged at (*level: enum log_level). */
char *pgconn_notice_line(const PGresult *res, int *level);

/* pgconn_open of one conninfo string or URI. */
PGconn *pgconn_open_uri(const char *conninfo, char **err) MUSTCHECK;

#endif
