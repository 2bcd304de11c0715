/* catalog_in — Taiwan metadata JSON → catalogue. */
#include "catalog_in.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_keys.h"
#include "jschema.h"
#include "log.h"
#include "pgconn.h"
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

/* A record on its way: refused before sending (error set, conn -1) or sent on pg[conn] until
 * its result is in (done). */
struct pending {
    int n;
    const char *ident; /* borrowed from the record */
    const char *text;  /* its JSON text, borrowed from the record */
    int conn, tries;
    bool done;
    struct catkey key;
    char *outcome, *error;
};

/* Records dealt to several connections, each pipelined; win holds the records from the oldest
 * unreported (head) to the newest (tail), fifo per connection the order its results come in. */
struct importer {
    PGconn **pg;
    int njobs;
    size_t cap, head, tail;
    struct pending *win;
    size_t (*fifo)[CATIN_WINDOW];
    size_t *fifo_head, *inflight;
    const char *tz;
    struct catin_stats *st;
};

static struct pending *slot(struct importer *im, size_t seq)
{
    return &im->win[seq % im->cap];
}

static void send_record(struct importer *im, size_t seq)
{
    struct pending *p = slot(im, seq);
    PGconn *pg = im->pg[p->conn];
    const char *params[2] = {p->text, im->tz};
    if (!PQsendQueryParams(pg, "SELECT tw_import_record($1, $2)", 2, NULL, params, NULL, NULL,
                           0) ||
        !PQpipelineSync(pg)) {
        const char *m = PQerrorMessage(pg);
        p->error = xasprintf("%.*s", (int)strcspn(m, "\n"), m);
        p->done = true;
        im->inflight[p->conn]--;
        return;
    }
    size_t c = (size_t)p->conn;
    im->fifo[c][(im->fifo_head[c] + im->inflight[c] - 1) % CATIN_WINDOW] = seq;
}

/* A deadlock or serialization failure says nothing about the record: it runs again. */
static bool retryable(const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    return state && (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0);
}

/* The results of the next record of a connection up to its Sync: the upsert's, then an error
 * of its commit (the documents are built then, sql/functions/14) if any. */
static void collect(struct importer *im, size_t c)
{
    PGconn *pg = im->pg[c];
    size_t seq = im->fifo[c][im->fifo_head[c]];
    struct pending *p = slot(im, seq);
    im->fifo_head[c] = (im->fifo_head[c] + 1) % CATIN_WINDOW;
    bool again = false;
    while (PQstatus(pg) != CONNECTION_BAD) {
        PGresult *res = PQgetResult(pg);
        ExecStatusType status = PQresultStatus(res);
        if (status == PGRES_TUPLES_OK && !p->outcome)
            p->outcome = xstrdup(PQgetvalue(res, 0, 0));
        else if (res && status != PGRES_PIPELINE_SYNC && !p->error) {
            p->error = xstrdup(PQresultErrorMessage(res));
            again = retryable(res) && p->tries < CATIN_RETRIES;
        }
        PQclear(res);
        if (status == PGRES_PIPELINE_SYNC)
            break;
    }
    if (again) {
        log_debug("record %d (%s): again: %s", p->n, p->ident, p->error);
        free(p->outcome);
        free(p->error);
        p->outcome = p->error = NULL;
        p->tries++;
        send_record(im, seq);
        return;
    }
    if (!p->error && !p->outcome)
        p->error = xstrdup(PQerrorMessage(pg));
    p->done = true;
    im->inflight[c]--;
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

/* Report the oldest record, waiting for its result; lines and counts in record order. */
static void finish_head(struct importer *im)
{
    struct pending *p = slot(im, im->head++);
    while (!p->done)
        collect(im, (size_t)p->conn);
    if (p->error) {
        log_error("record %d (%s): %.*s", p->n, p->ident, (int)strcspn(p->error, "\n"), p->error);
        im->st->failed++;
    } else {
        count_outcome(p->outcome, im->st);
    }
    free(p->outcome);
    free(p->error);
    catkey_clear(&p->key);
}

/* Before a record is sent, every record in flight whose order against it matters is done,
 * so a retried record never overtakes a later one it conflicts with. */
static void wait_conflicts(struct importer *im, const struct pending *p)
{
    for (size_t seq = im->tail; seq-- > im->head;) {
        const struct pending *q = slot(im, seq);
        if (q->conn >= 0 && !q->done && catkey_conflict(&p->key, &q->key)) {
            while (im->head <= seq)
                finish_head(im);
            return;
        }
    }
}

/* The connection with the fewest records in flight, once it has room. */
static int pick_conn(struct importer *im)
{
    int best = 0;
    for (int c = 1; c < im->njobs; c++)
        if (im->inflight[c] < im->inflight[best])
            best = c;
    while (im->inflight[best] == CATIN_WINDOW)
        finish_head(im);
    return best;
}

/* Validate a record and send its upsert, a transaction of its own (a Sync after it). */
static void add_record(struct importer *im, json_object *schema, json_object *rec, int n)
{
    if (im->tail - im->head == im->cap)
        finish_head(im);
    struct pending *p = slot(im, im->tail);
    *p = (struct pending){.n = n, .ident = record_ident(rec), .conn = -1};
    char *err = NULL;
    if (!catin_validate(schema, rec, &err)) {
        p->error = err;
        p->done = true;
        im->tail++;
        return;
    }
    catkey_of(rec, &p->key);
    wait_conflicts(im, p);
    p->text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
    p->conn = pick_conn(im);
    im->inflight[p->conn]++;
    send_record(im, im->tail++);
}

/* Every record of recs (an array, or one record) in a transaction of its own, dealt to the
 * connections and pipelined on each: up to CATIN_WINDOW records a connection are sent before
 * the first result is read, so no backend waits for the importer between two records.
 * Results and errors are reported in record order, as if sent one at a time. */
static void import_all(PGconn **pg, int njobs, json_object *schema, json_object *recs,
                       const char *tz, struct catin_stats *st)
{
    bool array = json_object_is_type(recs, json_type_array);
    size_t n = array ? json_object_array_length(recs) : 1;
    struct importer im = {
        .pg = pg, .njobs = njobs, .cap = (size_t)njobs * CATIN_WINDOW, .tz = tz, .st = st};
    im.win = xcalloc(im.cap, sizeof *im.win);
    im.fifo = xcalloc((size_t)njobs, sizeof *im.fifo);
    im.fifo_head = xcalloc((size_t)njobs, sizeof *im.fifo_head);
    im.inflight = xcalloc((size_t)njobs, sizeof *im.inflight);
    for (int c = 0; c < njobs; c++)
        if (!PQenterPipelineMode(pg[c]))
            log_debug("no pipeline mode: %s", PQerrorMessage(pg[c]));
    for (size_t i = 0; i < n; i++)
        add_record(&im, schema, array ? json_object_array_get_idx(recs, i) : recs, (int)i + 1);
    while (im.head < im.tail)
        finish_head(&im);
    for (int c = 0; c < njobs; c++)
        if (!PQexitPipelineMode(pg[c]))
            log_debug("pipeline mode: %s", PQerrorMessage(pg[c]));
    free(im.win);
    free(im.fifo);
    free(im.fifo_head);
    free(im.inflight);
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

static void close_conns(PGconn **pg, int njobs);

/* njobs connections, each with warnings only; NULL with *err. */
static PGconn **open_conns(const char *conninfo, int njobs, char **err)
{
    PGconn **pg = xcalloc((size_t)njobs, sizeof *pg);
    for (int c = 0; c < njobs; c++) {
        char *cerr = NULL;
        pg[c] = pgconn_open_uri(conninfo, &cerr);
        if (!pg[c]) {
            *err = xasprintf("cannot connect to the database: %s", cerr);
            free(cerr);
            close_conns(pg, c);
            return NULL;
        }
        PQclear(PQexec(pg[c], "SET client_min_messages = warning"));
    }
    return pg;
}

static void close_conns(PGconn **pg, int njobs)
{
    for (int c = 0; c < njobs; c++)
        PQfinish(pg[c]);
    free(pg);
}

bool catin_import_file(const char *conninfo, int njobs, const char *path, const char *schema_path,
                       const char *tz, struct catin_stats *st, char **err)
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
    size_t n = !recs                                        ? 0
               : json_object_is_type(recs, json_type_array) ? json_object_array_length(recs)
                                                            : 1;
    if ((size_t)njobs > n)
        njobs = n ? (int)n : 1; /* no connection without a record to deal to it */
    PGconn **pg = recs ? open_conns(conninfo, njobs, err) : NULL;
    if (pg) {
        import_all(pg, njobs, schema, recs, tz, st);
        close_conns(pg, njobs);
    }
    json_object_put(doc);
    json_object_put(schema);
    return pg != NULL;
}
