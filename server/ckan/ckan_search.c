/* ckan_search — CKAN package_search (ckan-research §4.1) on PostgreSQL. The parameters are checked
 * with CKAN's validators and messages; q and the filter queries go through our Solr query parser
 * (solrq.c) into one parameterised statement over sql/migrations/010_ckan_search.sql's
 * ckan_search_doc, which also pages, sorts and counts facets; the package dicts come from
 * ckan_package_doc (sql/functions/08). Statements are kept prepared per connection (every value is
 * a parameter, so a text repeats). Answers without q whose filters are the simple ones facet links
 * make are kept in memory (core/scache.c) for anonymous callers. Callers see what ckan_can_read lets them
 * (anonymous: active, public datasets only, whatever include_private / include_drafts say). */
#include "ckan_handlers.h"

#include <event2/buffer.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "ckan_config.h"
#include "ckan_limits.h"
#include "ckan_params.h"
#include "ckan_resp.h"
#include "ckan_search.h"
#include "config.h"
#include "family.h"
#include "log.h"
#include "req.h"
#include "resp.h"
#include "scache.h"
#include "server.h"
#include "solrq.h"
#include "util.h"

#define SEARCH_FACET_LIMIT 50    /* search.facets.limit */
#define SEARCH_FACET_FIELDS_MAX 32
#define SEARCH_FQ_MAX 256         /* fq + fq_list items */
#define SEARCH_SORT_KEYS_MAX 8
#define SEARCH_DEFAULT_SORT "score desc, metadata_modified desc"
/* ts_rank weights {D, C, B, A}: CKAN's dismax boosts name^4 title^4 tags^2 groups^2 text. */
#define SEARCH_RANK_WEIGHTS "'{0.25, 0.25, 0.5, 1}'"
/* The pages the cache keeps: at most this many filters, rows and start. */
#define CACHE_FQ_MAX 4
#define CACHE_ROWS_MAX 100
#define CACHE_START_MAX 1000

/* ---- errors CKAN answers outside resp.h's kinds --------------------------------------------- */

static void put_json(void *o)
{
    json_object_put(o);
}

static void free_solrq(void *q)
{
    solrq_free(q);
}

/* Python's repr() of a str, as CKAN's messages embed it. */
static char *py_repr(struct req *r, const char *s)
{
    bool single = strchr(s, '\'') != NULL, dbl = strchr(s, '"') != NULL;
    char quote = single && !dbl ? '"' : '\'';
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, &quote, 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\\' || *p == (unsigned char)quote)
            evbuffer_add_printf(b, "\\%c", *p);
        else if (*p == '\n')
            evbuffer_add(b, "\\n", 2);
        else if (*p == '\r')
            evbuffer_add(b, "\\r", 2);
        else if (*p == '\t')
            evbuffer_add(b, "\\t", 2);
        else if (*p < 0x20 || *p == 0x7f)
            evbuffer_add_printf(b, "\\x%02x", *p);
        else
            evbuffer_add(b, p, 1);
    }
    evbuffer_add(b, &quote, 1);
    size_t n = evbuffer_get_length(b);
    char *out = arena_alloc(r->a, n + 1);
    evbuffer_remove(b, out, n);
    out[n] = '\0';
    evbuffer_free(b);
    return out;
}

/* {help, error: {message, __type}, success: false} with the given status. */
static int search_error(struct req *r, int status, const char *type, const char *message)
{
    if (r->fam->env != &ckan_resp_env) { /* another family's search (the legacy API's) */
        resp_error(r, ERR_BAD_REQUEST, NULL, "Bad search option: %s", message);
        return REQ_DONE;
    }
    ckan_resp_error(r, status, type, "message", message);
    return REQ_DONE;
}

/* 400 Search Query Error: "Search Query is invalid: " + repr(detail). */
static int query_error(struct req *r, const char *detail)
{
    return search_error(r, 400, "Search Query Error",
                        arena_printf(r->a, "Search Query is invalid: %s", py_repr(r, detail)));
}

/* ---- parameters ----------------------------------------------------------------------------- */

struct search {
    const char *q;
    const char **fq; /* fq and fq_list items, non-blank */
    int nfq;
    const char *sort;
    long long rows, start, facet_limit, facet_mincount;
    bool facet;
    const char **facet_fields;
    int nfacets;
    const char **fl; /* NULL: package dicts */
    int nfl;
    bool include_private, include_drafts, include_deleted;
    const char *mm, *df;
};

static const char *const search_keys[] = {
    "q", "fq", "fq_list", "sort", "rows", "start", "facet", "facet.field", "facet.limit",
    "facet.mincount", "fl", "qf", "wt", "bf", "boost", "tie", "defType", "mm", "df", "extras",
    "include_private", "include_drafts", "include_deleted", "use_default_schema", NULL};

/* Any other key (but ext_*) → 400 "Invalid search parameters: ['foo']". */
static bool known_params(struct req *r, json_object *in)
{
    char *bad = NULL;
    json_object_object_foreach(in, key, val)
    {
        (void)val;
        bool ok = strncmp(key, "ext_", 4) == 0;
        for (const char *const *k = search_keys; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok)
            bad = bad ? arena_printf(r->a, "%s, %s", bad, py_repr(r, key)) : py_repr(r, key);
    }
    if (bad)
        query_error(r, arena_printf(r->a, "Invalid search parameters: [%s]", bad));
    return bad == NULL;
}

static bool blank(const char *s)
{
    return !s || !s[strspn(s, " \t\r\n")];
}

/* Append s to a list of at most max strings (false when full); duplicates are kept once. */
static bool add_str(struct req *r, const char ***list, int *n, int max, const char *s)
{
    for (int i = 0; i < *n; i++)
        if (strcmp((*list)[i], s) == 0)
            return true;
    if (*n >= max)
        return false;
    if (*n == 0)
        *list = arena_alloc(r->a, sizeof(char *) * (size_t)max);
    (*list)[(*n)++] = s;
    return true;
}

/* fq (a string, or several) and fq_list (a list, or one string). */
static bool filter_params(struct req *r, json_object *in, struct search *s)
{
    static const char *const keys[] = {"fq", "fq_list"};
    bool ok = true;
    for (size_t k = 0; k < ARRAY_LEN(keys); k++) {
        json_object *v;
        if (!json_object_object_get_ex(in, keys[k], &v) || json_object_is_type(v, json_type_null))
            continue;
        size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 1;
        for (size_t i = 0; i < n && ok; i++) {
            const char *f = json_object_get_string(
                json_object_is_type(v, json_type_array) ? json_object_array_get_idx(v, i) : v);
            if (!blank(f))
                ok = add_str(r, &s->fq, &s->nfq, SEARCH_FQ_MAX, f);
        }
    }
    if (!ok)
        query_error(r, arena_printf(r->a, "too many filter queries (at most %d)", SEARCH_FQ_MAX));
    return ok;
}

/* facet.field: a JSON list (as text on GET) or a list; a bare JSON string counts as one. */
static bool facet_fields(struct req *r, json_object *in, struct search *s)
{
    json_object *v, *parsed = NULL;
    if (!json_object_object_get_ex(in, "facet.field", &v) || json_object_is_type(v, json_type_null))
        return true;
    if (json_object_is_type(v, json_type_string)) {
        parsed = json_tokener_parse(json_object_get_string(v));
        if (!parsed || !(json_object_is_type(parsed, json_type_array) ||
                         json_object_is_type(parsed, json_type_string))) {
            json_object_put(parsed);
            ckan_resp_invalid(r, "facet.field", "Could not parse as valid JSON");
            return false;
        }
        arena_defer(r->a, put_json, parsed);
        v = parsed;
    }
    if (json_object_is_type(v, json_type_string)) {
        add_str(r, &s->facet_fields, &s->nfacets, SEARCH_FACET_FIELDS_MAX,
                json_object_get_string(v));
        return true;
    }
    if (!json_object_is_type(v, json_type_array)) {
        ckan_resp_invalid(r, "facet.field", "Could not parse as valid JSON");
        return false;
    }
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        json_object *f = json_object_array_get_idx(v, i);
        if (f && !json_object_is_type(f, json_type_null))
            add_str(r, &s->facet_fields, &s->nfacets, SEARCH_FACET_FIELDS_MAX,
                    json_object_get_string(f));
    }
    return true;
}

/* fl: field names, as a list or separated by commas or spaces. */
static void fl_param(struct req *r, json_object *in, struct search *s)
{
    json_object *v;
    if (!json_object_object_get_ex(in, "fl", &v) || json_object_is_type(v, json_type_null))
        return;
    size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 1;
    for (size_t i = 0; i < n; i++) {
        const char *text = json_object_get_string(
            json_object_is_type(v, json_type_array) ? json_object_array_get_idx(v, i) : v);
        for (const char *p = text ? text : ""; *p;) {
            size_t len = strcspn(p, ", ");
            if (len)
                add_str(r, &s->fl, &s->nfl, 64, arena_strndup(r->a, p, len));
            p += len + (p[len] != '\0');
        }
    }
}

static bool read_params(struct req *r, json_object *in, struct search *s)
{
    memset(s, 0, sizeof(*s));
    if (!ckan_natural_number_validator(r, in, "rows", CKAN_SEARCH_ROWS_DEFAULT, &s->rows) ||
        !ckan_natural_number_validator(r, in, "start", 0, &s->start) ||
        !ckan_int_validator(r, in, "facet.limit", SEARCH_FACET_LIMIT, &s->facet_limit) ||
        !ckan_natural_number_validator(r, in, "facet.mincount", 1, &s->facet_mincount) ||
        !ckan_boolean_validator(r, in, "facet", true, &s->facet) ||
        !ckan_boolean_validator(r, in, "include_private", false, &s->include_private) ||
        !ckan_boolean_validator(r, in, "include_drafts", false, &s->include_drafts) ||
        !ckan_boolean_validator(r, in, "include_deleted", false, &s->include_deleted) ||
        !facet_fields(r, in, s) || !known_params(r, in))
        return false;
    s->rows = ckan_limit_to_configured_maximum(s->rows, CKAN_SEARCH_ROWS_MAX);
    s->q = ckan_unicode_safe(in, "q");
    /* CKAN: absent, empty, "" or '' all mean everything. */
    if (blank(s->q) || strcmp(s->q, "\"\"") == 0 || strcmp(s->q, "''") == 0)
        s->q = "*:*";
    if (!filter_params(r, in, s))
        return false;
    s->sort = ckan_unicode_safe(in, "sort");
    if (blank(s->sort) || strcmp(s->sort, "rank") == 0)
        s->sort = SEARCH_DEFAULT_SORT;
    s->mm = ckan_unicode_safe(in, "mm");
    s->df = ckan_unicode_safe(in, "df");
    fl_param(r, in, s);
    return true;
}

/* ---- the statement -------------------------------------------------------------------------- */

struct stmt {
    struct req *r;
    struct search *s;
    struct solrq *sq;
    struct evbuffer *where; /* conditions, each preceded by " AND " */
    char *order;            /* ORDER BY list over m's k<i> and score */
    char *keys;             /* ", <expr> AS k<i>" for m */
    char *facets;           /* ", <expr> AS f<i>" for m */
    char *where_sql;        /* the conditions as text */
    enum solrq_kind *facet_kind;
    bool *facet_ok;
    bool any_facet;         /* some facet field is known */
    bool rank;
    int lang_param;         /* the parameter of the read's language, once added (lang_param) */
    /* The error found while building, answered by build_parts once its buffer is freed (an
     * answer frees r's arena, st with it). */
    int err_status;
    const char *err_type, *err_msg;
};

static bool stmt_fail(struct stmt *st, int status, const char *type, const char *msg)
{
    st->err_status = status;
    st->err_type = type;
    st->err_msg = msg;
    return false;
}

/* 400 Search Query Error, recorded: "Search Query is invalid: " + repr(detail). */
static bool stmt_query_fail(struct stmt *st, const char *detail)
{
    struct req *r = st->r;
    return stmt_fail(st, 400, "Search Query Error",
                     arena_printf(r->a, "Search Query is invalid: %s", py_repr(r, detail)));
}

static void add_where(struct stmt *st, const char *cond)
{
    evbuffer_add_printf(st->where, " AND %s", cond);
}

/* q and the filters; false with the error recorded in st. */
static bool build_where(struct stmt *st)
{
    struct search *s = st->s;
    struct req *r = st->r;
    bool state_given = false, local = strstr(s->q, "{!") != NULL;
    for (int i = 0; i < s->nfq; i++) {
        state_given |= strstr(s->fq[i], "+state") != NULL;
        local |= strstr(s->fq[i], "{!") != NULL;
    }
    if (local)
        return stmt_fail(st, 409, "Search Error",
                         "Search error: 'Local parameters are not supported.'");
    const char *sql;
    if (strcmp(s->q, "*:*") == 0)
        sql = "true";
    else if (!strchr(s->q, ':'))
        sql = solrq_dismax(st->sq, s->q, s->mm);
    else
        sql = solrq_lucene(st->sq, s->q, s->df && *s->df ? s->df : "text", true, true);
    if (!sql)
        return stmt_query_fail(st, solrq_error(st->sq));
    if (strcmp(sql, "true") != 0)
        add_where(st, sql);
    for (int i = 0; i < s->nfq; i++) {
        sql = solrq_lucene(st->sq, s->fq[i], "text", true, false);
        if (!sql)
            return stmt_query_fail(st, solrq_error(st->sq));
        if (strcmp(sql, "true") != 0)
            add_where(st, sql);
    }
    /* CKAN's system filters: +capacity:public unless include_private; +state:active (or with
     * drafts/deleted) unless the fq names +state; then the caller's permission labels (public,
     * their organizations', their own unowned datasets), dropped only for a sysadmin asking
     * for private datasets. */
    if (!s->include_private)
        add_where(st, "NOT s.private");
    if (!state_given)
        add_where(st, s->include_drafts && s->include_deleted
                          ? "s.state IN ('active', 'draft', 'deleted')"
                          : s->include_drafts ? "s.state IN ('active', 'draft')"
                          : s->include_deleted ? "s.state IN ('active', 'deleted')"
                                               : "s.state = 'active'");
    if (!r->user)
        add_where(st, "(s.state = 'active' AND NOT s.private)");
    else if (!(r->user->sysadmin && s->include_private))
        add_where(st, arena_printf(r->a, "ckan_can_read(s.state, s.private, s.owner_org, "
                                         "s.creator_user_id, $%d::ckan_viewer)",
                                   solrq_param(st->sq, r->user->viewer)));
    return true;
}

static bool bad_sort(struct stmt *st)
{
    return stmt_query_fail(st, "Invalid \"sort\" parameter");
}

/* sort: "field dir[, field dir ...]"; errors → 400 'Invalid "sort" parameter'. */
static bool build_sort(struct stmt *st)
{
    struct req *r = st->r;
    const char *rank = solrq_rank(st->sq);
    st->rank = rank != NULL;
    st->keys = arena_printf(r->a, ", %s AS score",
                            rank ? arena_printf(r->a, "coalesce(ts_rank(%s, s.rank_tsv, %s), 0)",
                                                SEARCH_RANK_WEIGHTS, rank)
                                 : "0::real");
    st->order = "";
    char *spec = arena_strdup(r->a, st->s->sort), *save = NULL;
    int nkeys = 0;
    for (char *item = strtok_r(spec, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *words = NULL;
        char *f = strtok_r(item, " \t", &words), *dir = f ? strtok_r(NULL, " \t", &words) : NULL;
        struct solrq_expr e;
        if (!f || !dir || strtok_r(NULL, " \t", &words) || nkeys >= SEARCH_SORT_KEYS_MAX ||
            (strcasecmp(dir, "asc") != 0 && strcasecmp(dir, "desc") != 0))
            return bad_sort(st);
        bool desc = strcasecmp(dir, "desc") == 0;
        const char *key;
        if (strcmp(f, "score") == 0) {
            key = "m.score";
        } else if (strcmp(f, "id") == 0) {
            key = "m.id"; /* the uuid orders as its text does */
        } else if (solrq_field(st->sq, f, &e) && e.kind != SOLRQ_STRS && e.kind != SOLRQ_TEXT) {
            bool text = e.kind == SOLRQ_STR || e.kind == SOLRQ_UUID;
            st->keys = arena_printf(r->a, "%s, %s AS k%d", st->keys, e.sql, nkeys);
            key = arena_printf(r->a, "m.k%d%s", nkeys, text ? " COLLATE \"C\"" : "");
        } else {
            return bad_sort(st);
        }
        st->order = arena_printf(r->a, "%s%s %s NULLS LAST, ", st->order, key,
                                 desc ? "DESC" : "ASC");
        nkeys++;
    }
    if (!nkeys)
        return bad_sort(st);
    st->order = arena_printf(r->a, "%sm.id", st->order); /* stable pages */
    return true;
}

/* A value as Solr shows it in facets and fl. */
static const char *as_text(struct req *r, const struct solrq_expr *e)
{
    if (e->kind == SOLRQ_DATE)
        return arena_printf(r->a, "to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
                            e->sql);
    if (e->kind == SOLRQ_INT || e->kind == SOLRQ_BOOL)
        return arena_printf(r->a, "(%s)::text", e->sql);
    return e->sql;
}

static void build_facets(struct stmt *st)
{
    struct search *s = st->s;
    struct req *r = st->r;
    st->facets = "";
    st->facet_kind = arena_alloc(r->a, sizeof(enum solrq_kind) * (size_t)(s->nfacets + 1));
    st->facet_ok = arena_alloc(r->a, sizeof(bool) * (size_t)(s->nfacets + 1));
    for (int i = 0; s->facet && i < s->nfacets; i++) {
        struct solrq_expr e;
        st->facet_ok[i] = solrq_field(st->sq, s->facet_fields[i], &e);
        if (!st->facet_ok[i])
            continue;
        st->facet_kind[i] = e.kind;
        st->any_facet = true;
        st->facets = arena_printf(r->a, "%s, %s AS f%d", st->facets,
                                  e.kind == SOLRQ_STRS ? e.sql : as_text(r, &e), i);
    }
}

/* A number as a parameter: statements differ less, so prepared ones are reused. */
static int num_param(struct stmt *st, long long n)
{
    return solrq_param(st->sq, arena_printf(st->r->a, "%lld", n));
}

static const char *facet_ctes(struct stmt *st)
{
    struct req *r = st->r;
    struct search *s = st->s;
    const char *out = "";
    for (int i = 0; s->facet && i < s->nfacets; i++) {
        if (!st->facet_ok[i])
            continue;
        const char *from = arena_printf(r->a, st->facet_kind[i] == SOLRQ_STRS
                                                  ? "(SELECT unnest(m.f%d) AS v FROM m) u"
                                                  : "(SELECT m.f%d AS v FROM m) u", i);
        const char *limit = s->facet_limit < 0 ? "" : arena_printf(r->a, " LIMIT $%d::bigint",
                                                                    num_param(st, s->facet_limit));
        out = arena_printf(r->a,
            "%s, f%d AS (SELECT u.v, count(*) AS c FROM %s WHERE u.v IS NOT NULL AND u.v <> '' "
            "GROUP BY u.v HAVING count(*) >= $%d::bigint ORDER BY count(*) DESC, "
            "u.v COLLATE \"C\"%s)",
            out, i, from, num_param(st, s->facet_mincount), limit);
    }
    return out;
}

/* The parameter holding the read's language (r->lang, set at dispatch), added once; 0 without one. */
static int lang_param(struct stmt *st)
{
    const char *lang = st->r->lang;
    if (!lang)
        return 0;
    if (!st->lang_param)
        st->lang_param = solrq_param(st->sq, lang);
    return st->lang_param;
}

/* The page's result dicts: package_show dicts, or the fl fields. */
static const char *results_sql(struct stmt *st)
{
    struct req *r = st->r;
    struct search *s = st->s;
    const char *doc;
    if (!s->nfl && lang_param(st)) { /* the dict in the prefix's language (sql/functions/25) */
        int site = solrq_param(st->sq, ckan_config()->site_url);
        doc = arena_printf(r->a, "ckan_package_doc_lang(m.id, $%d::text, $%d::text)", site,
                           lang_param(st));
    } else if (!s->nfl) {
        doc = arena_printf(r->a, "ckan_package_doc(m.id, $%d::text)",
                           solrq_param(st->sq, ckan_config()->site_url));
    } else {
        const char *obj = "";
        for (int i = 0; i < s->nfl; i++) {
            struct solrq_expr e;
            if (!solrq_field(st->sq, s->fl[i], &e))
                continue;
            obj = arena_printf(r->a, "%s%s$%d::text, %s", obj, *obj ? ", " : "",
                               solrq_param(st->sq, s->fl[i]),
                               strcmp(s->fl[i], "id") == 0 ? "s.package_id" : as_text(r, &e));
        }
        doc = arena_printf(r->a, "(SELECT json_build_object(%s)::text FROM ckan_search_doc s "
                                 "WHERE s.package_id = m.id)", obj);
    }
    return arena_printf(r->a,
        "(SELECT '[' || coalesce(string_agg(%s, ', ' ORDER BY %s), '') || ']' FROM "
        "(SELECT * FROM m ORDER BY %s LIMIT $%d::bigint OFFSET $%d::bigint) m)",
        doc, st->order, st->order, num_param(st, s->rows), num_param(st, s->start));
}

/* A facet item's display_name: the group or organization title (in the language of parameter
 * $lang when lang > 0), the licence title, else the value (CKAN's package_search; a blank title
 * counts as none). */
static const char *display_sql(struct req *r, const char *field, int lang)
{
    if (lang > 0 && (strcmp(field, "groups") == 0 || strcmp(field, "organization") == 0))
        return arena_printf(r->a,
                            "coalesce(nullif(btrim(ckan_tr(x.title, "
                            "x.translated->'title_translated', $%d::text)), ''), f.v)",
                            lang);
    if (strcmp(field, "groups") == 0 || strcmp(field, "organization") == 0 ||
        strcmp(field, "license_id") == 0)
        return "coalesce(nullif(btrim(x.title), ''), f.v)";
    return "f.v";
}

static const char *display_join(const char *field)
{
    if (strcmp(field, "groups") == 0 || strcmp(field, "organization") == 0)
        return " LEFT JOIN grp x ON x.name = f.v";
    if (strcmp(field, "license_id") == 0)
        return " LEFT JOIN ckan_license x ON x.id = f.v";
    return "";
}

/* "<name>": value pairs of the facets, joined (SQL text expression), or ''. */
static const char *facets_json(struct stmt *st, bool items)
{
    struct req *r = st->r;
    struct search *s = st->s;
    const char *out = "''";
    for (int i = 0; s->facet && i < s->nfacets; i++) {
        int name = solrq_param(st->sq, s->facet_fields[i]);
        const char *value;
        if (!st->facet_ok[i])
            value = items ? "'[]'" : "'{}'";
        else if (!items)
            value = arena_printf(r->a,
                "(SELECT coalesce(json_object_agg(t.v, t.c ORDER BY t.c DESC, t.v COLLATE \"C\")"
                ", '{}')::text FROM f%d t)", i);
        else
            value = arena_printf(r->a,
                "(SELECT coalesce(json_agg(json_build_object('name', t.v, 'display_name', t.d, "
                "'count', t.c) ORDER BY t.d COLLATE \"C\" DESC), '[]')::text FROM "
                "(SELECT f.v, f.c, %s AS d FROM f%d f%s) t)",
                display_sql(r, s->facet_fields[i], lang_param(st)), i,
                display_join(s->facet_fields[i]));
        if (items)
            value = arena_printf(r->a, "'{\"title\": ' || to_json($%d::text)::text || "
                                       "', \"items\": ' || %s || '}'", name, value);
        out = arena_printf(r->a, "%s || %sto_json($%d::text)::text || ': ' || %s", out,
                           i ? "', ' || " : "", name, value);
    }
    return out;
}

/* One statement: the matches (m, with score, sort keys and facet values), the facet counts
 * (f<i>), and the whole result object as JSON text in CKAN's key order; with_gen adds the
 * generation of ckan_search_gen its snapshot holds (sql/migrations/012, for core/scache.c). m is
 * materialized when it is read for ranks or facets; otherwise the count and the page are
 * planned on their own (without q: an index-only count and the first rows of an index). */
static char *build_sql(struct stmt *st, bool with_gen)
{
    struct req *r = st->r;
    const char *results = results_sql(st);
    int sort = solrq_param(st->sq, st->s->sort);
    return arena_printf(r->a,
        "WITH m AS %sMATERIALIZED (SELECT s.package_id AS id%s%s FROM ckan_search_doc s "
        "WHERE true%s)%s "
        "SELECT '{\"count\": ' || (SELECT count(*) FROM m) || ', \"facets\": {' || %s || "
        "'}, \"results\": ' || %s || ', \"sort\": ' || to_json($%d::text)::text || "
        "', \"search_facets\": {' || %s || '}}'%s",
        st->rank || st->any_facet ? "" : "NOT ", st->keys, st->facets, st->where_sql,
        facet_ctes(st), facets_json(st, false), results, sort, facets_json(st, true),
        with_gen ? ", (SELECT gen FROM ckan_search_gen)::text" : "");
}

/* ---- which answers are cached ----------------------------------------------------------------- */

/* A filter of the form facet links make: field:value or +field:"value" on a facet field. */
static bool simple_fq(const char *fq)
{
    static const char *const fields[] = {"organization", "groups", "tags", "res_format",
                                         "license_id"};
    const char *p = fq + (*fq == '+'), *colon = strchr(p, ':');
    bool known = false;
    for (size_t i = 0; colon && i < ARRAY_LEN(fields) && !known; i++)
        known = strlen(fields[i]) == (size_t)(colon - p) && strncmp(p, fields[i], colon - p) == 0;
    if (!known || !colon[1])
        return false;
    const char *v = colon + 1;
    size_t n = strlen(v);
    if (v[0] == '"')
        return n >= 2 && v[n - 1] == '"' && !memchr(v + 1, '"', n - 2) && !memchr(v + 1, '\\', n - 2);
    return v[strcspn(v, " \t\r\n\"\\():[]{}^~*?!&|/+-")] == '\0';
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The cache key of a search whose answer is kept (the parameters that shape the answer, with
 * the filters in a canonical order), or NULL: callers who may see more than the public (a user,
 * or credentials whatever they are worth), a q, fl, other filters, pages past the first ones.
 * Whether the parameters are valid is a function of the key too: an answer is kept only when
 * they were. (The filters kept never involve the clock.) */
static const char *cache_key(struct req *r, const struct search *s)
{
    if (!scache_enabled() || req_authenticated(r) || strcmp(s->q, "*:*") != 0 || s->nfl ||
        s->nfq > CACHE_FQ_MAX || s->rows > CACHE_ROWS_MAX || s->start > CACHE_START_MAX)
        return NULL;
    const char *fq[CACHE_FQ_MAX];
    for (int i = 0; i < s->nfq; i++) {
        if (!simple_fq(s->fq[i]))
            return NULL;
        fq[i] = s->fq[i];
    }
    qsort(fq, (size_t)s->nfq, sizeof(fq[0]), cmp_strp);
    struct evbuffer *b = evbuffer_new();
    const char *lang = r->lang;
    /* (keys of other answers kept begin with their action's name) */
    evbuffer_add_printf(b, "package_search\x1f%s\x1f", lang ? lang : ""); /* by language */
    evbuffer_add_printf(b, "%s\x1f%lld\x1f%lld\x1f%d%d%d%d\x1f%lld\x1f%lld\x1f", s->sort, s->rows,
                        s->start, s->facet, s->include_private, s->include_drafts,
                        s->include_deleted, s->facet_limit, s->facet_mincount);
    for (int i = 0; i < s->nfacets; i++) {
        evbuffer_add(b, s->facet_fields[i], strlen(s->facet_fields[i]));
        evbuffer_add(b, "\x1e", 1);
    }
    for (int i = 0; i < s->nfq; i++) {
        evbuffer_add(b, "\x1f", 1);
        evbuffer_add(b, fq[i], strlen(fq[i]));
    }
    size_t n = evbuffer_get_length(b);
    char *key = arena_alloc(r->a, n + 1);
    evbuffer_remove(b, key, n);
    key[n] = '\0';
    evbuffer_free(b);
    return key;
}

/* ---- the answer ----------------------------------------------------------------------------- */

/* The parts of the statement; false once an error was answered (st is gone then). */
static bool build_parts(struct stmt *st);

/* The cache's builder (scache.h): the statement with its generation; NULL once an error was answered. */
static const char *cached_sql(struct req *r, void *arg, int *nparams, const char *const **params)
{
    (void)r;
    struct stmt *st = arg;
    if (!build_parts(st))
        return NULL;
    const char *sql = build_sql(st, true);
    *nparams = solrq_nparams(st->sq);
    *params = solrq_params(st->sq);
    return sql;
}

static bool build_parts(struct stmt *st)
{
    st->sq = solrq_new(&solrq_ckan_map, 1);
    st->lang_param = 0;
    arena_defer(st->r->a, free_solrq, st->sq);
    st->where = evbuffer_new();
    bool ok = build_where(st) && build_sort(st);
    if (ok) {
        build_facets(st);
        size_t n = evbuffer_get_length(st->where);
        st->where_sql = arena_alloc(st->r->a, n + 1);
        evbuffer_remove(st->where, st->where_sql, n);
        st->where_sql[n] = '\0';
    }
    evbuffer_free(st->where);
    st->where = NULL;
    if (!ok)
        search_error(st->r, st->err_status, st->err_type, st->err_msg);
    return ok;
}

/* package_search. */
int ckan_package_search(struct req *r)
{
    json_object *in = ckan_request_data(r);
    if (!in) /* answered: r is gone */
        return REQ_DONE;
    return ckan_package_search_with(r, in, req_reply_json_cell);
}

int ckan_package_search_with(struct req *r, json_object *in,
                             void (*done)(struct req *r, PGresult *res))
{
    struct search *s = arena_alloc(r->a, sizeof(*s));
    if (!read_params(r, in, s))
        return REQ_DONE;
    struct stmt *st = arena_alloc(r->a, sizeof(*st));
    *st = (struct stmt){.r = r, .s = s};
    const char *key = cache_key(r, s);
    if (key) /* the statement is built only when the cache has no answer */
        return scache_answer(r, key, cached_sql, st);
    if (!build_parts(st))
        return REQ_DONE;
    const char *sql = build_sql(st, false); /* adds parameters: before counting them */
    return req_db_sql_prepared(r, sql, solrq_nparams(st->sq), solrq_params(st->sq), done);
}
