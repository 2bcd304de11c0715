/* server — N threads, each with its own event_base, evhttp (listening with SO_REUSEPORT) and
 * database pool, sharing nothing but read-only configuration and the route table. SIGTERM and
 * SIGINT stop accepting, let in-flight requests finish (bounded by a grace period) and exit 0. */
#ifndef SERVER_H
#define SERVER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srv_thread.h"
#include "util.h"

struct config;
struct router;
struct event_base;
struct dbp;
struct evhttp_request;
struct srv_family;

/* Run the server with the API families given (see family.h; their routes are matched in
 * this order; fallback answers paths none claims) until a stop signal; returns the process
 * exit status. fams must live until it returns. */
int srv_run(const struct config *cfg, const struct srv_family *const *fams, size_t nfams,
            const struct srv_family *fallback) MUSTCHECK;
/* The family whose envelope answers a path no route matches (the first claiming it under one of
 * its prefixes, else the fallback): for a family that yields such a path to an earlier one. */
const struct srv_family *srv_path_family(const char *path);
/* Where multipart action bodies are spooled (spool.c: unnamed files there): a family's init
 * names it (the DataStore's, which stores uploads); without, such bodies reach evhttp whole. */
void srv_set_upload_dir(const char *dir);

#endif
