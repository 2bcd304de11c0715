/* ckan_util — CKAN's API roots and util endpoints (ckan-research §1.1): GET /api and /api/{1,2,3}
 * answer {"version": N}; /api[/1|/2]/util/{dataset,tag,user,group,organization}/autocomplete
 * and /api[/1|/2]/util/resource/format_autocomplete answer the bare lists browsers' widgets
 * read (no action envelope), from the same SQL as the *_autocomplete actions. */
#ifndef CKAN_UTIL_H
#define CKAN_UTIL_H

struct req;

/* Register the prepared statements (once, before the threads start). */
void ckan_util_init(void);
/* GET /api, /api/1, /api/2, /api/3. */
int ckan_util_version(struct req *r);
/* GET /api[/1|/2]/util/{kind}/{op}. */
int ckan_util(struct req *r);

#endif
