/* ckan_action — the CKAN Action API dispatcher for /api/3/action/{name} and /api/action/{name}.
 * Every action is one entry of ckan_actions.def (name, handler, who may call it, whether GET
 * is allowed, help text); dispatch, help_show and `opendatad routes` all read that table. */
#ifndef CKAN_ACTION_H
#define CKAN_ACTION_H
#include <stdbool.h>
#include <stddef.h>

struct req;

/* Who may call an action; the dispatcher checks it once the caller is known. */
enum ckan_auth_need {
    CKAN_AUTH_ANON,     /* anyone, and the answer does not depend on who asks */
    CKAN_AUTH_USER,     /* a logged-in user */
    CKAN_AUTH_SYSADMIN, /* a sysadmin */
    CKAN_AUTH_ACTION,   /* anyone; the action itself decides what the caller may see */
};

struct ckan_action_def {
    const char *name;
    int (*handler)(struct req *r);
    enum ckan_auth_need auth;
    bool get;         /* GET allowed (side-effect free); else GET answers 400, as in CKAN */
    const char *help; /* help_show's answer */
};

void ckan_action_init(void);
/* The action of that name, or NULL when the server does not serve it. */
const struct ckan_action_def *ckan_action_find(const char *name);
/* Every action the server serves, sorted by name (*n of them). */
const struct ckan_action_def *ckan_action_all(size_t *n);
int ckan_action(struct req *r);

#endif
