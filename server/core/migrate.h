/* migrate — `opendatad db init`: apply sql/NNN_*.sql in order, each in its own transaction,
 * recorded in schema_migrations; idempotent, serialized by an advisory lock. Blocking libpq is
 * fine here: this runs from the command line, never on an event loop. */
#ifndef MIGRATE_H
#define MIGRATE_H
#include "util.h"
#include <libpq-fe.h>
#include <stdbool.h>

/* The directory holding the migrations: $OPENDATAD_SQL_DIR, else ../sql next to the binary. */
char *migrate_sql_dir(void);
/* Apply what is missing; prints one line per applied file on stdout. *err is malloc'd. */
bool migrate_apply(PGconn *pg, const char *dir, char **err) MUSTCHECK;
/* How many migrations in dir are not applied yet (-1 with *err on failure). */
int migrate_pending(PGconn *pg, const char *dir, char **err) MUSTCHECK;

#endif
