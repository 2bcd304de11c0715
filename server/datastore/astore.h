/* astore — the historical archive's files on disk, made from the raw-file versions the loading
 * library keeps as large objects: a version's exact bytes at <dump dir>/archive/files/<sha256>
 * (content-addressed: written once, valid for ever, shared by every resource with that
 * content), a bundle (a ZIP of a period's versions) at <dump dir>/archive/bundles/<key>.zip,
 * where the key is a hash of its member list. A file missing from the disk is copied out on a
 * dump worker (blocking libpq, in turns of a few MiB, never in memory), the bytes checked
 * against the version's SHA-256, then renamed into place; the request waits for its own copy. */
#ifndef ASTORE_H
#define ASTORE_H
#include "util.h"
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct config;
struct req;

/* One member of a bundle: its name in the ZIP, where its bytes are (a large object, or when
 * oid is NULL a file: an upload's), size and time. */
struct astore_member {
    const char *name, *oid, *path;
    int64_t size;
    time_t mtime;
};

/* done(r, path, error) on r's loop: path the file to serve (r's arena), or error (a message) */
typedef void (*astore_done)(struct req *r, const char *path, const char *error);

/* The directories under dir (the dump cache); false with *err (malloc'd). */
bool astore_init(const char *dir, int zip_level, char **err) MUSTCHECK;

/* The version with content sha256 in large object oid (size bytes): done with its file. (An
 * upload's version is a file already: its caller serves that.) */
void astore_file(struct req *r, const char *oid, const char *sha256, int64_t size,
                 astore_done done);
/* The bundle key of n members (in order): done with its ZIP. */
void astore_bundle(struct req *r, const char *key, const struct astore_member *m, int n,
                   astore_done done);

#endif
