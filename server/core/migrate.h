/* migrate — `opendatad db init`: in one transaction, the migrations of sql/migrations/ not
 * applied yet (recorded by name in schema_migrations), then every file of sql/functions/ (each
 * file's digest recorded in schema_functions); idempotent, serialized by an advisory lock.
 * Blocking libpq is fine here: this runs from the command line, never on an event loop. */
#ifndef MIGRATE_H
#define MIGRATE_H
#include "util.h"
#include <libpq-fe.h>
#include <stdbool.h>

/* What db init would change. */
struct migrate_status {
    int migrations; /* not applied yet */
    int functions;  /* function files whose text differs from the one applied last */
};

/* The directory holding migrations/ and functions/: $OPENDATAD_SQL_DIR, else ../sql next to
 * the binary. */
char *migrate_sql_dir(void);
/* Apply the pending migrations and every function file; prints one line per applied
 * migration and per changed function file on stdout. *err is malloc'd. */
bool migrate_apply(PGconn *pg, const char *dir, char **err) MUSTCHECK;
/* What is pending in the database against dir; false with *err when dir is unreadable. */
bool migrate_status(PGconn *pg, const char *dir, struct migrate_status *st,
                    char **err) MUSTCHECK;

#endif
