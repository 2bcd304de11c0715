/* ckan_download — the download URL of a resource's uploaded file (CKAN's resource view
 * download()). */
#ifndef CKAN_DOWNLOAD_H
#define CKAN_DOWNLOAD_H

struct req;

/* Its statement, registered once before threads start. */
void ckan_download_init(void);
/* GET /dataset/{id}/resource/{rid}/download[/{name}]. */
int ckan_resource_download(struct req *r);

#endif
