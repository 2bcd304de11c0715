/* hk_handlers — what the Hong Kong family's modules give its route table (hk_family.c). */
#ifndef HK_HANDLERS_H
#define HK_HANDLERS_H

struct req;
struct config;

/* hk_archive.c */
void hk_archive_init(void);
int hk_list_files(struct req *r);
int hk_list_file_versions(struct req *r);
int hk_get_file(struct req *r);
int hk_get_schema(struct req *r);
int hk_get_data_dictionary(struct req *r);
int hk_archive_download(struct req *r);
int hk_archive_bundle(struct req *r);
int hk_archive_schema(struct req *r);

/* hk_nearest.c */
void hk_nearest_init(const struct config *cfg);
int hk_nearest_schools(struct req *r);

#endif
