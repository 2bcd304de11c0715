/* ckan_upload — the `upload` of a resource write (resource_create, _update, _patch): the file
 * the edge spooled for the request (edge.h, spool.h) becomes the resource's file. The request's
 * dict gets what CKAN sets for an upload (url the file's name, url_type upload, size, mimetype,
 * hash the SHA-256; a new resource's id when it has none), the file is linked into the store
 * (ustore.c) before the write runs, and the write's SQL records it in the same transaction
 * (`_upload`, sql/functions/21b); a write that fails removes the file it linked. */
#ifndef CKAN_UPLOAD_H
#define CKAN_UPLOAD_H
#include <json-c/json.h>
#include <stdbool.h>

struct req;

/* What a write linked, for its failure (arena-owned). */
struct ckan_upload {
    const char *rid, *sha256;
    bool linked; /* this request made the store's file */
};

/* When r carries a spooled file: data filled as above, `_upload` added to p, the file linked.
 * *up NULL when there is none. False once r was answered (the store failed). */
bool ckan_upload_apply(struct req *r, json_object *data, json_object *p, struct ckan_upload **up);
/* The write failed: the file it linked is removed (nothing when up is NULL). */
void ckan_upload_undo(const struct ckan_upload *up);

/* Its statement (sql/functions/21b), registered once before threads start. */
void ckan_upload_init(void);
/* Run the write verb (create, update, patch) of p (taken) with its upload: answered with the
 * resource dict, the DataStore load of a CSV/TSV/XML file queued (ckan_xloader.c); a refused
 * write removes the file up linked. */
int ckan_upload_write(struct req *r, json_object *p, const char *verb, struct ckan_upload *up);

/* Run the write verb of p (taken) without a file: answered with the resource dict, and a load
 * of the resource's URL queued when the write gave it one in a format the DataStore loads
 * (sql/functions/21b, ckan_resource_url_write). */
int ckan_url_write(struct req *r, json_object *p, const char *verb);

/* ckan_xloader.c: start the load a submit queued (t: its answer), then answer r with reply
 * (when it cannot start, its task is recorded as an error in words first). */
int ckan_xloader_start(struct req *r, json_object *t, const char *reply);

#endif
