/* ckan_action — the CKAN Action API dispatcher for /api/3/action/{name} and /api/action/{name}.
 * Each module owns a table of its actions (ending with a {NULL} entry) and an init function
 * that registers its prepared statements; ckan_action_init merges the tables into one sorted
 * array searched with bsearch (redis command-table style). */
#ifndef CKAN_ACTION_H
#define CKAN_ACTION_H
#include <stddef.h>

struct req;

/* Action flags. */
enum {
    CKAN_F_WRITE = 1 << 0, /* not side-effect free: GET answers 400 (CKAN's rule) */
};

struct ckan_action_def {
    const char *name;
    int (*handler)(struct req *r);
    unsigned flags;
};

/* The modules' tables and their init functions (called once before threads start). */
extern const struct ckan_action_def ckan_core_actions[];
extern const struct ckan_action_def ckan_datastore_actions[];
extern const struct ckan_action_def ckan_package_actions[];
extern const struct ckan_action_def ckan_group_actions[];
extern const struct ckan_action_def ckan_search_actions[];
extern const struct ckan_action_def ckan_util_actions[];
void ckan_datastore_init(void);
void ckan_package_init(void);
void ckan_group_init(void);
void ckan_search_init(void);

/* The CKAN release whose behaviour we follow; clients branch on it. */
#define CKAN_COMPAT_VERSION "2.11.5"

void ckan_action_init(void);
/* The action of that name, or NULL when no module serves it. */
const struct ckan_action_def *ckan_action_find(const char *name);
/* Every action the server serves, sorted by name (*n of them); needs no init. */
const struct ckan_action_def *ckan_action_all(size_t *n);
int ckan_action(struct req *r);

#endif
