/* legacy_handlers — what the legacy API's modules give its route table (legacy_family.c). */
#ifndef LEGACY_HANDLERS_H
#define LEGACY_HANDLERS_H

struct req;

/* The handlers (legacy_rest.c, legacy_search.c, legacy_util.c). */
int legacy_rest(struct req *r);
int legacy_tag_counts(struct req *r);
int legacy_search(struct req *r);
int legacy_util_slug(struct req *r);
int legacy_util_markdown(struct req *r);
int legacy_util_munge_name(struct req *r);
int legacy_util_munge_title(struct req *r);
int legacy_util_munge_tag(struct req *r);
void legacy_rest_init(void);
void legacy_util_init(void);
void legacy_search_init(void);

#endif
