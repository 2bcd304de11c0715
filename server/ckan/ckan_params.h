/* ckan_params — the input of a CKAN action as CKAN reads it (ckan-research §1.2): GET query
 * parameters (a repeated key becomes a list), or a POST body that is a JSON object whatever its
 * Content-Type, a form, or CKAN's one-field form whose name is the JSON. Plus CKAN's
 * validators, used by every action: they answer a 409 Validation Error themselves and return
 * false, so handlers check each parameter in one line. */
#ifndef CKAN_PARAMS_H
#define CKAN_PARAMS_H
#include <json-c/json.h>
#include <stdbool.h>

struct req;

/* The request data as a JSON object owned by r's arena; NULL once a 400 was answered. */
json_object *ckan_request_data(struct req *r);
/* ckan_request_data, but for a POST body that json_span_member vouches for (a plain JSON
 * object naming key once, see json_span.h; UTF-8 without NUL), key's value is not parsed: the
 * object comes without key and *raw, *rawlen give the value's text (in r's arena; NULL, 0 when
 * the data came the usual way, key in it). What a write hands to PostgreSQL unparsed. */
json_object *ckan_request_data_raw(struct req *r, const char *key, const char **raw,
                                   size_t *rawlen);

/* The validators, named after CKAN's (ckan/lib/navl and ckan/logic/validators), each one line
 * in a handler. Each: absent or null → *out = def (or NULL) and true; a bad value answers the
 * 409 CKAN gives and false. */

/* boolean_validator: true for true/yes/t/y/1/on (any case), false for anything else. */
bool ckan_boolean_validator(struct req *r, json_object *in, const char *key, bool def, bool *out);
/* Python's asbool, as actions that call it directly read flags: the words true/yes/on/y/t/1 and
 * false/no/off/n/f/0 (any case, spaces trimmed) or a JSON scalar; else {"message": "Parameter
 * is not an bool"}. */
bool ckan_asbool(struct req *r, json_object *in, const char *key, bool def, bool *out);
/* natural_number_validator: an integer >= 0 ("Invalid integer", "Must be a natural number"). */
bool ckan_natural_number_validator(struct req *r, json_object *in, const char *key, long long def,
                                   long long *out);
/* ignore_missing then natural_number_validator: "" counts as absent too. */
bool ckan_ignore_missing_natural(struct req *r, json_object *in, const char *key, long long def,
                                 long long *out);
/* int_validator: any integer, negative too ("Invalid integer"). */
bool ckan_int_validator(struct req *r, json_object *in, const char *key, long long def,
                        long long *out);
/* is_positive_integer: an integer >= 1; *out = 0 when absent. */
bool ckan_is_positive_integer(struct req *r, json_object *in, const char *key, long long *out);
/* limit_to_configured_maximum: value, cut to max. */
long long ckan_limit_to_configured_maximum(long long value, long long max);
/* get_or_bust: a scalar's text; absent answers {key: ["Missing value"]} ("" is a value). */
bool ckan_get_or_bust(struct req *r, json_object *in, const char *key, const char **out);
/* unicode_safe on a scalar: its text (numbers and booleans too); NULL when absent, null or
 * a list or object. Never fails. */
const char *ckan_unicode_safe(json_object *in, const char *key);
/* Python's truthiness of a JSON value (json-c calls every list false). */
bool ckan_truthy(json_object *v);
/* A list given as a JSON array of strings or a comma-separated string; NULL when absent. */
bool ckan_list_of_strings(struct req *r, json_object *in, const char *key, json_object **out);
/* json_object: a JSON object given as such or as JSON text; NULL when absent. */
bool ckan_json_object_validator(struct req *r, json_object *in, const char *key, json_object **out);
/* A request value made fit for PostgreSQL's jsonb, in place: NaN and the infinities (which
 * json-c reads but JSON has not) become the strings Python's str() gives them. */
void ckan_json_finite(json_object *v);
/* Answer 409 {"__extras": ["invalid value \"k\""]} for a key not in allowed; false then. */
bool ckan_params_known(struct req *r, json_object *in, const char *const *allowed);

#endif
