/* catalog_keys — what a catalogue record writes that another record of the same import may
 * write too (pure). Records whose keys conflict are never in flight at once, so the outcome of
 * a concurrent import is that of a sequential one: the later record wins, the same one fails.
 * Shared rows all records write alike (tags, category groups, an organization declared the
 * same way) are no conflict. */
#ifndef CATALOG_KEYS_H
#define CATALOG_KEYS_H
#include "util.h"
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct catkey {
    char *name; /* the dataset's CKAN name (sql/functions/04: its identifier, normalized) */
    char *org;  /* the organization row it upserts */
    char *decl; /* what it writes there: publisher, publisherOID, publisherOrgCode */
    char **res; /* its resourceIDs */
    size_t nres;
};

/* The keys of a validated record (an object); owned by k until catkey_clear. */
void catkey_of(json_object *rec, struct catkey *k);
void catkey_clear(struct catkey *k);

/* Whether the outcome of a and b depends on their order. */
bool catkey_conflict(const struct catkey *a, const struct catkey *b) MUSTCHECK;

#endif
