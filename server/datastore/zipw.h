/* zipw — a zip file (a dump: one entry; an archive bundle: several) written with minizip (Debian
 * libminizip 1.1). minizip seeks back to patch each local header, so it cannot write to a
 * socket: the zip goes to a temporary file
 * in the cache directory, is flushed to disk, then renamed over its final name (readers see the
 * old file or the whole new one, never a partial one). Entries are deflated at the configured
 * level (0 = stored), carry Zip64 sizes (dumps over 4 GiB work) and UTF-8 names (flag bit 11). */
#ifndef ZIPW_H
#define ZIPW_H
#include "util.h"
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct zipw;

/* Create dir (and its parents) if needed and delete temporary files left there by a crashed
 * build more than an hour ago; false with *err (malloc'd). */
bool zipw_prepare_dir(const char *dir, char **err) MUSTCHECK;
/* Start a zip in a temporary file of dir with one entry named `entry` dated mtime. */
struct zipw *zipw_open(const char *dir, const char *entry, int level, time_t mtime,
                       char **err) MUSTCHECK;
/* Finish the entry being written and start another one. */
bool zipw_entry(struct zipw *z, const char *entry, int level, time_t mtime, char **err) MUSTCHECK;
/* Append bytes to the entry. */
bool zipw_write(struct zipw *z, const void *p, size_t n, char **err) MUSTCHECK;
/* Finish the zip, fsync it and rename it to path; the writer is freed either way. */
bool zipw_commit(struct zipw *z, const char *path, char **err) MUSTCHECK;
/* Give up: close and delete the temporary file; the writer is freed. */
void zipw_abort(struct zipw *z);

#endif
