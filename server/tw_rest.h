/* tw_rest — the Taiwan common open-data API, endpoints 1-6 ({SRU}/rest/group, tag, dataset):
 * parameter rules (ER0200 unknown names, ER0210 malformed values), "Not found" answers, and the
 * payloads PostgreSQL builds (sql/003_tw_api.sql). */
#ifndef TW_REST_H
#define TW_REST_H

struct req;

void tw_rest_init(void);
int tw_group_list(struct req *r);
int tw_group_show(struct req *r);
int tw_tag_list(struct req *r);
int tw_tag_show(struct req *r);
int tw_dataset_list(struct req *r);
int tw_dataset_show(struct req *r);

#endif
