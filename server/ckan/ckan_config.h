/* ckan_config — what the CKAN family's modules read of the family: the running configuration
 * the server handed to its init, and the family's descriptor (the key of its per-thread
 * state). Kept apart from ckan_family.c so that the modules do not depend on the module that
 * lists them. */
#ifndef CKAN_CONFIG_H
#define CKAN_CONFIG_H

struct config;
struct srv_family;

/* Set once by the family's init, before any thread starts. */
void ckan_config_set(const struct config *cfg, const struct srv_family *self);
const struct config *ckan_config(void);
const struct srv_family *ckan_config_family(void);

#endif
