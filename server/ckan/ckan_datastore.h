/* ckan_datastore — CKAN DataStore read actions: datastore_search, datastore_info. */
#ifndef CKAN_DATASTORE_H
#define CKAN_DATASTORE_H

struct req;

int ckan_datastore_search(struct req *r);
int ckan_datastore_info(struct req *r);

#endif
