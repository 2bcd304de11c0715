/* ckan_family — the CKAN API as the server sees it: the action API, /api roots and util,
 * /datastore/dump, its envelope (ckan_resp.c), and the configuration handed over at start. */
#ifndef CKAN_FAMILY_H
#define CKAN_FAMILY_H

struct config;

extern const struct srv_family ckan_family;
/* The running configuration, as the server handed it to ckan_family's init. */
const struct config *ckan_config(void);

#endif
