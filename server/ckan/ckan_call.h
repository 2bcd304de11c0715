/* ckan_call — how the group, tag, user, activity and site actions call their SQL function
 * (sql/functions/09): one normalized JSON object p in, the payload out as one JSON text (a
 * refusal raised: OD100, OD403, answered by the envelope). Plus the one-line answers those
 * actions give themselves. */
#ifndef CKAN_CALL_H
#define CKAN_CALL_H
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct req;
struct db_stmt;

/* A read's language (r->lang, set at dispatch; NULL: the default) as the setting sql/functions/25_i18n
 * reads, from parameter $n: the statement "CKAN_LANG_WITH(n) SELECT ... " CKAN_LANG_FROM. The
 * setting is made when the one row of ckan_l is read, before the select list runs. */
#define CKAN_LANG_WITH(n)                                                                          \
    "WITH ckan_l AS MATERIALIZED (SELECT set_config('opendatad.lang', coalesce($" #n             \
    "::text, ''), true)) "
#define CKAN_LANG_FROM " FROM ckan_l"

/* A statement calling fn(p, site_url); the _V form passes the caller (ckan_viewer) too, for
 * the actions whose answer depends on who asks. The last parameter is the read's language. */
#define CKAN_CALL_STMT(id, fn)                                                                     \
    static struct db_stmt st_##id = {                                                              \
        "ckan_g_" #id, CKAN_LANG_WITH(3) "SELECT " #fn "($1::jsonb, $2)" CKAN_LANG_FROM, 3, 0}
#define CKAN_CALL_STMT_V(id, fn)                                                                   \
    static struct db_stmt st_##id = {"ckan_g_" #id,                                                \
                                     CKAN_LANG_WITH(4) "SELECT " #fn                               \
                                                       "($1::jsonb, $2, $3::ckan_viewer)"          \
                                                       CKAN_LANG_FROM,                             \
                                     4, 0}

/* Run st with the normalized request p (taken), the site URL and the caller. */
int ckan_call(struct req *r, const struct db_stmt *st, json_object *p);
/* Answer 200 with a JSON text as the result. */
int ckan_call_literal(struct req *r, const char *json);
/* Answer 404 Not Found Error, or 403 Authorization Error when status is 403. */
int ckan_call_fail(struct req *r, int status, const char *message);
/* Answer 409 Validation Error {key: message} with a bare string (CKAN's {"message": ...}). */
int ckan_call_invalid(struct req *r, const char *key, const char *message);

/* Members of p; a NULL string is left out. */
void ckan_call_add_str(json_object *p, const char *key, const char *value);
void ckan_call_add_bool(json_object *p, const char *key, bool value);
void ckan_call_add_int(json_object *p, const char *key, long long value);
/* A member whose JSON text is given as is (len bytes at text, valid JSON, alive until p is
 * written out by ckan_call): what the client sent, handed to PostgreSQL unparsed. */
void ckan_call_add_raw(json_object *p, const char *key, const char *text, size_t len);

/* For a write's SQL: v as jsonb accepts it (NaN and Infinity as the text Python's str gives
 * them, as CKAN's unicode_safe would), a new reference. */
json_object *ckan_call_sql_json(json_object *v);
/* The request's members for a write's SQL (ckan_call_sql_json each), without the keys starting
 * with "_": those carry what C adds, which a client cannot pass. */
json_object *ckan_call_write_input(json_object *in);
/* CKAN's DataError for a key of keys that is not a list of dicts (answered here): false. */
bool ckan_call_lists_of_dicts(struct req *r, json_object *in, const char *const *keys, size_t n);

#endif
