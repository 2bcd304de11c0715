/* solrq — the Solr query subset CKAN clients send in package_search's q and fq, parsed by our
 * own tokenizer and recursive-descent parser into an AST, then turned into one SQL boolean
 * expression whose every value is a $n parameter (ckan-api.md "Search").
 *
 * Two front ends, as Solr has for CKAN (ckan-research §4.1):
 *   solrq_lucene  the standard syntax: field:value, "phrases", AND/OR/NOT/&&/||/!, +/-,
 *                 (groups), field:(groups), * and ? wildcards, [a TO b] / {a TO b} ranges with
 *                 * and date math (NOW, NOW-1DAY, .../DAY), *:*, ^boost (ignored). Lucene's
 *                 clause rules decide MUST/SHOULD/MUST_NOT, with a default operator.
 *   solrq_dismax  a q without ':': words and phrases over the whole document, +/- and the
 *                 operator words, special characters taken literally, and Solr's mm
 *                 (minimum-should-match, "2<-1 5<80%" by default).
 * Anything else (fuzzy ~, /regex/, local params, ranges on text fields ...) is an error whose
 * message names the problem; never an SQL that could fail at run time.
 *
 * Fields come from a map (Solr name → kind + SQL templates); solrq_ckan_map is the map of
 * sql/migrations/010_ckan_search.sql's ckan_search_doc. Pure C: no libevent, no libpq. */
#ifndef SOLRQ_H
#define SOLRQ_H
#include <stdbool.h>

enum solrq_kind {
    SOLRQ_STR,  /* exact string, one value: val is a text expression */
    SOLRQ_STRS, /* exact string, many values: val is a text[] expression */
    SOLRQ_TEXT, /* analysed text (words, stemming, Chinese bigrams): val is the field's text, or
                 * NULL for the whole document (Solr's catch-all `text`) */
    SOLRQ_DATE, /* timestamptz */
    SOLRQ_INT,  /* bigint */
    SOLRQ_BOOL, /* boolean */
    SOLRQ_UUID, /* uuid: val is its text form, eq compares the uuid itself */
};

/* One field. In the templates %K stands for the key parameter of a dynamic field ($n::text)
 * and %V for the value parameter ($n, cast by the template). */
struct solrq_field {
    const char *name;      /* Solr name; for a dynamic field the prefix (e.g. "extras_") */
    enum solrq_kind kind;
    bool dynamic;
    const char *val;       /* SQL of the value(s) */
    const char *eq;        /* optional SQL for equality (index-friendly); else val = %V */
};

struct solrq_map {
    const struct solrq_field *fields;  /* ends with name == NULL */
    const struct solrq_field *fallback; /* any other name (%K = the whole name), or NULL */
    const char *doc_tsv;  /* the document's tsvector, e.g. "s.fts" */
    const char *doc_text; /* the document's lower-case text for wildcards (trigram index) */
    const char *tsq_fn;   /* SQL function (text, prefix boolean) → tsquery */
    const char *tsv_fn;   /* SQL function (text) → tsvector, same analysis as the document */
};

extern const struct solrq_map solrq_ckan_map;

/* A resolved field, for sort, facets and fl: its kind and SQL value expression (with %K
 * already replaced by a parameter). */
struct solrq_expr {
    enum solrq_kind kind;
    const char *sql;
};

/* One search: the parameters and the rank terms accumulated over q and the fq's. All strings
 * it returns live until solrq_free. */
struct solrq;

/* first_param: the $n of the first parameter it adds (the caller's own come before). */
struct solrq *solrq_new(const struct solrq_map *map, int first_param);
void solrq_free(struct solrq *q);

/* Parse text (standard syntax); the SQL boolean expression, or NULL (see solrq_error).
 * default_field: for terms without a field ("text" in CKAN); default_and: q.op=AND.
 * rank: collect the positive text terms for solrq_rank (true for q, false for fq). */
const char *solrq_lucene(struct solrq *q, const char *text, const char *default_field,
                         bool default_and, bool rank);
/* Parse a dismax q with minimum-should-match spec mm (NULL = CKAN's "2<-1 5<80%"). */
const char *solrq_dismax(struct solrq *q, const char *text, const char *mm);

/* The message of the last failure (for the 400 Search Query Error). */
const char *solrq_error(const struct solrq *q);

/* SQL tsquery of every positive text term collected (OR-ed), or NULL when there was none. */
const char *solrq_rank(const struct solrq *q);

/* Resolve a field name for sort/facet/fl; false when there is no such field. */
bool solrq_field(struct solrq *q, const char *name, struct solrq_expr *out);

/* Add a parameter (an identical value reuses its $n); returns its number. */
int solrq_param(struct solrq *q, const char *value);
int solrq_nparams(const struct solrq *q);
/* The parameter values, in $n order starting at first_param. */
const char *const *solrq_params(const struct solrq *q);

/* Solr's minimum-should-match for n optional clauses; -1 when spec is not valid. */
int solrq_mm(const char *spec, int n);

#endif
