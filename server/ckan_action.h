/* ckan_action — the CKAN Action API dispatcher for /api/3/action/{name} and /api/action/{name}:
 * a sorted table {name, handler, flags} searched with bsearch (redis command-table style). */
#ifndef CKAN_ACTION_H
#define CKAN_ACTION_H

struct req;

void ckan_action_init(void);
int ckan_action(struct req *r);

#endif
