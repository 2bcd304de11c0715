/* spool — a multipart/form-data request body turned into what an action reads: its plain
 * fields as an application/x-www-form-urlencoded body (kept in memory, bounded), and its one
 * file part written to an unnamed temporary file (O_TMPFILE) in the upload directory as it
 * arrives, with its size and SHA-256. The file has no name until a writer links it into the
 * store, so whatever happens to the request (refused, client gone, server killed) no file is
 * left behind.
 *
 * No sockets, no event loop: edge.c feeds it the bytes of a body it diverted from evhttp
 * (unit tests feed it directly). */
#ifndef SPOOL_H
#define SPOOL_H
#include "util.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The file part of a request, handed to the request that carries it. */
struct spool_file {
    int fd;             /* read-write, offset at its end; closed by spool_file_free */
    char *field;        /* the form field's name ("upload" for CKAN's resources) */
    char *filename;     /* as the client sent it (never a path to open) */
    char *content_type; /* NULL when the part had none */
    uint64_t size;
    char sha256[65];    /* lowercase hex */
};

struct spool_limits {
    const char *dir;      /* where the temporary file is made */
    uint64_t max_file;    /* bytes of the file part */
    size_t max_fields;    /* bytes of the encoded plain fields */
};

struct spool;

/* A spool for a body with this Content-Type; NULL with *err (static) when it is not
 * multipart/form-data with a valid boundary. */
struct spool *spool_new(const char *content_type, const struct spool_limits *lim,
                        const char **err) MUSTCHECK;
void spool_free(struct spool *s);

/* The next bytes of the body; false once the body was refused (spool_status, spool_error). */
bool spool_feed(struct spool *s, const char *data, size_t len) MUSTCHECK;
/* The body ended: false when it was refused or incomplete. */
bool spool_finish(struct spool *s) MUSTCHECK;

/* Why it was refused: the HTTP status (400 malformed, 413 too large, 500 the file could not be
 * written) and a sentence; 0 and NULL while it was not. */
int spool_status(const struct spool *s);
const char *spool_error(const struct spool *s);

/* After spool_finish: the plain fields, form-encoded (valid until spool_free). */
const char *spool_form(const struct spool *s, size_t *len);
/* After spool_finish: the file part (taken; NULL when the body had none). */
struct spool_file *spool_take_file(struct spool *s) MUSTCHECK;
void spool_file_free(struct spool_file *f);

#endif
