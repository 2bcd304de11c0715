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

/* A record on its way: sent (failure NULL) or refused before sending (its error line). */
struct pending {
    int n;
    const char *ident; /* borrowed from the record */
    char *failure;
};

/* Validate a record and send its upsert, a transaction of its own (a Sync after it). */
static void send_one(PGconn *pg, json_object *schema, json_object *rec, const char *tz,
                     struct pending *p)
{
    char *err = NULL;
    if (!catin_validate(schema, rec, &err)) {
        p->failure = xasprintf("record %d (%s): %s", p->n, p->ident, err);
        free(err);
        return;
    }
    const char *params[2] = {json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN), tz};
    if (!PQsendQueryParams(pg, "SELECT tw_import_record($1, $2)", 2, NULL, params, NULL, NULL,
                           0) ||
        !PQpipelineSync(pg)) {
        const char *m = PQerrorMessage(pg);
        p->failure = xasprintf("record %d (%s): %.*s", p->n, p->ident, (int)strcspn(m, "\n"), m);
    }
}

static void count_outcome(const char *outcome, struct catin_stats *st)
{
    if (strcmp(outcome, "created") == 0)
        st->created++;
    else if (strcmp(outcome, "updated") == 0)
        st->updated++;
    else
        st->unchanged++;
}

/* The results of a sent record up to its Sync: the upsert's, then an error of its commit (the
 * documents are built then, sql/functions/14) if any. */
static void finish_sent(PGconn *pg, const struct pending *p, struct catin_stats *st)
{
    char *outcome = NULL, *error = NULL;
    while (PQstatus(pg) != CONNECTION_BAD) {
        PGresult *res = PQgetResult(pg);
        ExecStatusType status = PQresultStatus(res);
        if (status == PGRES_TUPLES_OK && !outcome)
            outcome = xstrdup(PQgetvalue(res, 0, 0));
        else if (res && status != PGRES_PIPELINE_SYNC && !error)
            error = xstrdup(PQresultErrorMessage(res));
        PQclear(res);
        if (status == PGRES_PIPELINE_SYNC)
            break;
    }
    if (!error && !outcome)
        error = xstrdup(PQerrorMessage(pg));
    if (error) {
        log_error("record %d (%s): %.*s", p->n, p->ident, (int)strcspn(error, "\n"), error);
        st->failed++;
    } else {
        count_outcome(outcome, st);
    }
    free(outcome);
    free(error);
}

static void finish_one(PGconn *pg, struct pending *p, struct catin_stats *st)
{
    if (!p->failure) {
        finish_sent(pg, p, st);
        return;
    }
    log_error("%s", p->failure);
    st->failed++;
    free(p->failure);
    p->failure = NULL;
}

/* Every record of recs (an array, or one record) in a transaction of its own, pipelined: up
 * to CATIN_WINDOW records are sent before the first result is read, so the database never
 * waits for the importer (nor the importer, on a busy machine, to be scheduled) between two
 * records. Results and errors are reported in record order, as if sent one at a time. */
static void import_all(PGconn *pg, json_object *schema, json_object *recs, const char *tz,
                       struct catin_stats *st)
{
    bool array = json_object_is_type(recs, json_type_array);
    size_t n = array ? json_object_array_length(recs) : 1, head = 0;
    struct pending window[CATIN_WINDOW];
    if (!PQenterPipelineMode(pg))
        log_debug("no pipeline mode: %s", PQerrorMessage(pg));
    for (size_t i = 0; i < n; i++) {
        if (i - head == CATIN_WINDOW)
            finish_one(pg, &window[head++ % CATIN_WINDOW], st);
        json_object *rec = array ? json_object_array_get_idx(recs, i) : recs;
        struct pending *p = &window[i % CATIN_WINDOW];
        *p = (struct pending){(int)i + 1, record_ident(rec), NULL};
        send_one(pg, schema, rec, tz, p);
    }
    while (head < n)
        finish_one(pg, &window[head++ % CATIN_WINDOW], st);
    if (!PQexitPipelineMode(pg))
        log_debug("pipeline mode: %s", PQerrorMessage(pg));
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
    if (recs)
        import_all(pg, schema, recs, tz, st);
    json_object_put(doc);
    json_object_put(schema);
    return recs != NULL;
}
