/* scache — answers kept in the server process (package_search without q, anonymous
 * package_show, the Taiwan dataset), shared by its threads, and never stale: each is stored with the generation of ckan_search_gen
 * (sql/migrations/012) its statement saw, which every committed change of what a search shows
 * increments, in the writing transaction itself, whichever process wrote. A request is answered
 * from the cache only after a read of the generation that started after the request arrived
 * returned the entry's generation (or an older one). One read serves every request of a thread that
 * arrived while the previous read was on its way; a miss runs the request's own statement, and the
 * requests of a thread that miss on the same key share one run. Memory is bounded
 * (--search-cache-mb bytes in a hash table, answers above SCACHE_ENTRY_MAX are not kept; least
 * recently used first out). package_show's anonymous answers are kept the same way. */
#ifndef SCACHE_H
#define SCACHE_H
#include <stdbool.h>

struct req;
struct srv_family;

#define SCACHE_ENTRY_MAX (1u << 20)

/* Builds the statement that computes r's answer: column 0 the result as JSON text (put in r's
 * family's envelope), column 1 `(SELECT gen FROM ckan_search_gen)` as text (the same
 * snapshot); sets *nparams and
 * *params. The text, the array and the values live in r's arena. Or answers r with an error
 * (its parameters are not valid) and returns NULL. Requests with the same key must get the
 * same outcome. */
typedef const char *(*scache_build_fn)(struct req *r, void *arg, int *nparams,
                                       const char *const **params);

/* Its start-up (the statement that reads the generation, the size of the store) and each
 * server thread's waiting requests: main.c lists it among the families handed to srv_run (it
 * has no routes); unlisted, scache_enabled is false. */
extern const struct srv_family scache_family;

/* Whether answers are kept (--search-cache-mb is not 0). */
bool scache_enabled(void);

/* Answer r, whose answer depends only on key and the database, from the cache or by running
 * build's statement (then kept under key). Returns REQ_ASYNC. Keys begin with the name of what
 * they answer (package_search, package_show, tw_dataset_show). A failed statement is answered
 * as req_db's are (r->db_failed first: req_db_set_failed). */
int scache_answer(struct req *r, const char *key, scache_build_fn build, void *arg);

#endif
