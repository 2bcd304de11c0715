/* ustore — uploaded resource files on disk: <upload dir>/resources/<h>/<sha256>, where <h> is
 * the SHA-256 of the resource id (ids may hold "." or ":", and ".." is one), so a resource's
 * uploads are kept by content: a new upload never overwrites the file an older version or a
 * download in progress reads. The rows that say which file a resource serves are SQL's
 * (resource_upload, sql/functions/21_upload.sql). Also the home of uploads being received
 * (spool.c makes its unnamed files in the upload dir itself). */
#ifndef USTORE_H
#define USTORE_H
#include <stdbool.h>

#include "util.h"

struct config;

/* The directory (--upload-dir, else var/uploads beside bin/), made when missing, handed to
 * the server for its spooled bodies. */
bool ustore_init(const struct config *cfg, char **err) MUSTCHECK;
/* The directory (after ustore_init): fetched files are made there too. */
const char *ustore_dir(void);
/* The stored file of a resource's upload (malloc'd path). */
char *ustore_path(const char *rid, const char *sha256);
/* Open it for reading: a descriptor, or -1 (errno). */
int ustore_open(const char *rid, const char *sha256);
/* Give the unnamed file fd (spool.c) its name in the store: 1 when it was linked, 0 when that
 * content was stored already, -1 with *err (malloc'd). */
int ustore_link(int fd, const char *rid, const char *sha256, char **err) MUSTCHECK;
/* Remove what ustore_link linked, when the write that needed it failed. */
void ustore_unlink(const char *rid, const char *sha256);

#endif
