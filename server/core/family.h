/* family — what an API family hands the server (h2o's handlers on a path, nginx's modules as
 * data): its routes, its envelope, and its hooks. The core knows the families only through
 * this descriptor; main.c lists them. A part without routes (the DataStore, the core's kept
 * answers) uses it for its start-up, per-thread state and stop alone. */
#ifndef FAMILY_H
#define FAMILY_H
#include <stdbool.h>
#include <stddef.h>

struct config;
struct resp_env;
struct route_def;
struct srv_thread;

struct srv_family {
    const char *name;               /* "tw", "ckan": `opendatad routes`, log lines */
    const struct route_def *routes; /* matched in order, after the routes of earlier families */
    size_t nroutes;
    /* Paths (with "{sru}") under which a request no route matched is still this family's, so
     * that its 404 comes in this family's envelope; NULL-terminated, or NULL for none. */
    const char *const *prefixes;
    const struct resp_env *env;     /* how its replies and errors look (NULL: no routes) */
    /* Once, before any thread starts: config is the running configuration (read-only, lives
     * until the server stops). false with *err (malloc'd) stops the start. */
    bool (*init)(const struct config *cfg, char **err);
    /* Per loop thread, on that thread's set-up: the family's state there (see
     * srv_thread_state), freed by thread_free after the loop ended. Either may be NULL. */
    void *(*thread_new)(struct srv_thread *thr);
    void (*thread_free)(void *state);
    /* Once, when a stop was asked and before the threads are joined (may be NULL). */
    void (*stop)(void);
};

#endif
