/* legacy_req — what the legacy API's handlers read of a request alike: the API version its
 * path names and its body. */
#include "legacy_req.h"

#include <string.h>

#include "ckan_params.h"
#include "req.h"

int legacy_version(const struct req *r)
{
    return strncmp(r->path, "/api/2/", 7) == 0 ? 2 : 1;
}

json_object *legacy_body(struct req *r)
{
    unsigned method = r->method;
    r->method = M_POST; /* ckan_request_data reads the body of POSTs only */
    json_object *in = ckan_request_data(r);
    if (in) /* else answered, r is gone */
        r->method = method;
    return in;
}
