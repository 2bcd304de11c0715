/* ckan_params — the input of a CKAN action as CKAN reads it (ckan-research §1.2): GET query
 * parameters (a repeated key becomes a list), or a POST body that is a JSON object whatever its
 * Content-Type, a form, or CKAN's one-field form whose name is the JSON. Plus typed readers
 * following CKAN's validators. Readers answer a 409 Validation Error themselves and return
 * false, so handlers check each parameter in one line. */
#ifndef CKAN_PARAMS_H
#define CKAN_PARAMS_H
#include <json-c/json.h>
#include <stdbool.h>

struct req;

/* The request data as a JSON object owned by r's arena; NULL once a 400 was answered. */
json_object *ckan_request_data(struct req *r);

/* Each reader: absent → *out = def (or NULL) and true. */
bool ckan_param_bool(struct req *r, json_object *in, const char *key, bool def, bool *out);
bool ckan_param_uint(struct req *r, json_object *in, const char *key, long long def,
                     long long *out);
/* A list given as a JSON array of strings or a comma-separated string; NULL when absent. */
bool ckan_param_list(struct req *r, json_object *in, const char *key, json_object **out);
/* A JSON object given as such or as JSON text; NULL when absent. */
bool ckan_param_dict(struct req *r, json_object *in, const char *key, json_object **out);
/* Answer 409 {"__extras": ["invalid value \"k\""]} for a key not in allowed; false then. */
bool ckan_params_known(struct req *r, json_object *in, const char *const *allowed);

#endif
