/* catalog_in — Taiwan metadata JSON → catalogue. */
#include "catalog_in.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jschema.h"
#include "log.h"
#include "util.h"
#include "valid.h"

static bool check_tw_datetime(const char *value, void *arg)
{
    (void)arg;
    struct valid_datetime dt;
    return valid_datetime(value, &dt);
}

static const struct jschema_format formats[] = {
    {"tw-datetime", check_tw_datetime, NULL},
    {NULL, NULL, NULL},
};

json_object *catin_records(json_object *doc, char **err)
{
    json_object *result;
    if (json_object_is_type(doc, json_type_object) &&
        json_object_object_get_ex(doc, "result", &result) &&
        json_object_object_get_ex(doc, "success", NULL))
        doc = result;
    if (json_object_is_type(doc, json_type_array) || json_object_is_type(doc, json_type_object))
        return doc;
    *err = xstrdup("expected a metadata object, an array of them, or {\"success\": true, "
                   "\"result\": ...}");
    return NULL;
}

bool catin_validate(json_object *schema, json_object *rec, char **err)
{
    struct jschema_error je = {0};
    if (jschema_validate(schema, rec, formats, &je))
        return true;
    if (je.field)
        *err = xasprintf("field %s: %s", je.path && *je.path ? je.path + 1 : je.field,
                         je.message);
    else
        *err = xasprintf("%s", je.message);
    jschema_error_clear(&je);
    return false;
}

static const char *record_ident(json_object *rec)
{
    json_object *id;
    if (json_object_is_type(rec, json_type_object) &&
        json_object_object_get_ex(rec, "identifier", &id) &&
        json_object_is_type(id, json_type_string))
        return json_object_get_string(id);
    return "?";
}

/* One record in its own transaction (a single function call). */
static void import_one(PGconn *pg, json_object *schema, json_object *rec, int n, const char *tz,
                       struct catin_stats *st)
{
    char *err = NULL;
    const char *ident = record_ident(rec);
    if (!catin_validate(schema, rec, &err)) {
        log_error("record %d (%s): %s", n, ident, err);
        free(err);
        st->failed++;
        return;
    }
    const char *params[2] = {json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN), tz};
    PGresult *res = PQexecParams(pg, "SELECT tw_import_record($1, $2)", 2, NULL, params, NULL,
                                 NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *m = PQresultErrorMessage(res);
        log_error("record %d (%s): %.*s", n, ident, (int)strcspn(m, "\n"), m);
        st->failed++;
    } else {
        const char *outcome = PQgetvalue(res, 0, 0);
        if (strcmp(outcome, "created") == 0)
            st->created++;
        else if (strcmp(outcome, "updated") == 0)
            st->updated++;
        else
            st->unchanged++;
    }
    PQclear(res);
}

/* Strict JSON (no single quotes, nothing after the value, valid UTF-8); a UTF-8 BOM is allowed. */
json_object *catin_parse(const char *text, size_t len, char **err)
{
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        text += 3, len -= 3;
    /* json-c's own check lets through sequences beyond U+10FFFF, surrogates and overlongs. */
    size_t good = util_utf8_prefix(text, len);
    if (good < len) {
        *err = xasprintf("not valid JSON: invalid UTF-8 near byte %zu", good);
        return NULL;
    }
    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *doc = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!doc || jerr != json_tokener_success) {
        *err = xasprintf("not valid JSON: %s near byte %zu",
                         jerr == json_tokener_continue ? "unexpected end of input"
                                                       : json_tokener_error_desc(jerr), end);
        json_object_put(doc);
        return NULL;
    }
    while (end < len && strchr(" \t\r\n", text[end]))
        end++;
    if (end < len) {
        *err = xasprintf("not valid JSON: unexpected content after the document at byte %zu", end);
        json_object_put(doc);
        return NULL;
    }
    return doc;
}

bool catin_import_file(PGconn *pg, const char *path, const char *schema_path, const char *tz,
                       struct catin_stats *st, char **err)
{
    json_object *schema = jschema_load_file(schema_path, err);
    if (!schema)
        return false;
    size_t len;
    char *text = util_read_file(path, &len, err);
    char *perr = NULL;
    json_object *doc = text ? catin_parse(text, len, &perr) : NULL;
    free(text);
    if (!doc) {
        if (perr) {
            *err = xasprintf("%s: %s", path, perr);
            free(perr);
        }
        json_object_put(schema);
        return false;
    }
    json_object *recs = catin_records(doc, err);
    if (recs && json_object_is_type(recs, json_type_object)) {
        import_one(pg, schema, recs, 1, tz, st);
    } else if (recs) {
        size_t n = json_object_array_length(recs);
        for (size_t i = 0; i < n; i++)
            import_one(pg, schema, json_object_array_get_idx(recs, i), (int)i + 1, tz, st);
    }
    json_object_put(doc);
    json_object_put(schema);
    return recs != NULL;
}
