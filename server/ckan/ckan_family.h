/* ckan_family — the CKAN API as the server sees it: the action API, /api roots and util,
 * /datastore/dump, its envelope (ckan_resp.c). */
#ifndef CKAN_FAMILY_H
#define CKAN_FAMILY_H

extern const struct srv_family ckan_family;

#endif
