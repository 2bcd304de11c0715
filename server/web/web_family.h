/* web_family — the portal's pages for people at CKAN's web URLs (/, /dataset, /dataset/{name},
 * its resources, /organization, /group, /api-guide), their versioned static files, and
 * CKAN's /api/i18n/{lang} with the pages' texts. */
#ifndef WEB_FAMILY_H
#define WEB_FAMILY_H
#include "family.h"

extern const struct srv_family web_family;

#endif
