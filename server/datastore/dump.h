/* dump — datastore dumps.
 *
 * Taiwan endpoint 8, {SRU}/dump/datastore/{rid}?format=csv|json|xml: a zip holding one entry
 * {rid}.{ext}. It is built once per data version (datastore_table.data_version and modified)
 * by a dump worker into the cache directory, then served from the file with sendfile,
 * Content-Length, ETag and Last-Modified (304 for If-None-Match / If-Modified-Since). Requests
 * that arrive while it is being built wait for that build (a registry of builds in progress);
 * a new version's build deletes the older files.
 *
 * CKAN GET /datastore/dump/{rid}?format=csv|tsv|json|xml&bom&q&filters&fields&sort&limit&offset:
 * streamed (chunked) exactly as CKAN writes it. A worker makes chunks of about 128 KiB and makes
 * the next only once the loop has handed the previous to the socket (one chunk waiting, one in
 * evhttp's buffer at most), so a slow reader never grows memory; when the client goes away the
 * worker stops at the next chunk and the transaction is rolled back. */
#ifndef DUMP_H
#define DUMP_H
#include "util.h"
#include <stdbool.h>

struct config;
struct req;

/* Cache directory, statements, worker threads; false with *err (malloc'd). */
bool dump_init(const struct config *cfg, char **err) MUSTCHECK;
/* The cache directory, absolute (once dump_init ran): the archive's files live under it too. */
const char *dump_dir(void);
/* Let dumps in progress finish (bounded), then stop the workers. */
void dump_shutdown(void);

/* {SRU}/dump/datastore/{rid} */
int dump_tw(struct req *r);
/* GET /datastore/dump/{rid} */
int dump_ckan(struct req *r);

#endif
