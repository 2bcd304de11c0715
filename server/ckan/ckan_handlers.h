/* ckan_handlers — what the action modules (ckan_package.c, ckan_group.c, ckan_tag.c,
 * ckan_user.c, ckan_activity.c, ckan_site.c, ckan_datastore.c, ckan_search.c) give the
 * dispatcher: one handler per entry of ckan_actions.def, and each module's statement
 * registration. The modules include this header, not ckan_action.h, so that nothing they hold
 * depends on the dispatch that calls them. */
#ifndef CKAN_HANDLERS_H
#define CKAN_HANDLERS_H

struct req;

/* The handlers, one per entry of the table. */
#define ACTION(name, handler, auth, get, help) int handler(struct req *r);
#include "ckan_actions.def"
#undef ACTION

/* The modules' statements; registered once before threads start. */
void ckan_datastore_init(void);
void ckan_datastore_write_init(void);
void ckan_datastore_sql_init(void);
void ckan_package_init(void);
void ckan_package_write_init(void);
void ckan_group_init(void);
void ckan_tag_init(void);
void ckan_user_init(void);
void ckan_activity_init(void);
void ckan_site_init(void);
void ckan_xloader_init(void);
void ckan_view_rel_init(void);

/* The CKAN release whose behaviour we follow; clients branch on it. */
#define CKAN_COMPAT_VERSION "2.11.5"

#endif
