/* Unit tests for server/ckan/solrq.c: query → SQL shape and parameters, over the CKAN field map. */
#include "../../server/ckan/solrq.c"
#include "../../server/ckan/solrq_lex.c"
#include "../../server/ckan/solrq_map.c"
#include "../../server/ckan/solrq_mem.c"
#include "../../server/ckan/solrq_parse.c"
#include "../../server/ckan/solrq_sql.c"
#include "../../server/core/arena.c"
#include "../../server/core/sbuf.c"
#include "../../server/core/util.c"
#include "testh.h"

#define ARRAY_LEN_T(a) (sizeof(a) / sizeof((a)[0]))

enum mode { LUCENE, DISMAX, FQ };

struct sq_case {
    enum mode mode;
    const char *in;
    const char *sql;    /* expected SQL, or NULL when an error is expected */
    const char *params; /* expected parameters joined by '|' (SQL) or error substring */
    const char *rank;   /* expected rank expression, or NULL for none / don't care ("-") */
};

#define TSQ(n, p) "s.fts @@ (SELECT ckan_search_tsq($" #n "::text, " #p "))"
#define RK(n, p) "(SELECT ckan_search_tsq($" #n "::text, " #p "))"

static const struct sq_case cases[] = {
    /* match all, fields, exact strings */
    {LUCENE, "*:*", "true", "", NULL},
    {LUCENE, "name:foo", "s.name = $1::text", "foo", NULL},
    {LUCENE, "name:foo-bar_1.x", "s.name = $1::text", "foo-bar_1.x", NULL},
    {LUCENE, "name:\"a b\"", "s.name = $1::text", "a b", NULL},
    {LUCENE, "name:a\\:b", "s.name = $1::text", "a:b", NULL},
    {LUCENE, "state:active", "s.state = $1::text", "active", NULL},
    {LUCENE, "dataset_type:dataset", "s.type = $1::text", "dataset", NULL},
    {LUCENE, "organization:org-a", "s.organization = $1::text", "org-a", NULL},
    {LUCENE, "capacity:public",
     "(CASE WHEN s.private THEN 'private' ELSE 'public' END) = $1::text", "public", NULL},
    {LUCENE, "tags:economy", "s.tags @> ARRAY[$1::text]", "economy", NULL},
    {LUCENE, "tags:\"air quality\"", "s.tags @> ARRAY[$1::text]", "air quality", NULL},
    {LUCENE, "groups:e00", "s.groups @> ARRAY[$1::text]", "e00", NULL},
    {LUCENE, "res_format:CSV", "s.res_format @> ARRAY[$1::text]", "CSV", NULL},
    {LUCENE, "tags:空氣", "s.tags @> ARRAY[$1::text]", "空氣", NULL},
    /* ids */
    {LUCENE, "id:0b0c7c3e-8d26-4c0b-9a43-1f5a8b7c9d10", "s.package_id = $1::uuid",
     "0b0c7c3e-8d26-4c0b-9a43-1f5a8b7c9d10", NULL},
    {LUCENE, "id:NOT-A-UUID", "false", "", NULL},
    {LUCENE, "id:0B0C7C3E-8D26-4C0B-9A43-1F5A8B7C9D10", "false", "", NULL},
    {LUCENE, "owner_org:0b0c7c3e-8d26-4c0b-9a43-1f5a8b7c9d10", "s.owner_org = $1::uuid",
     "0b0c7c3e-8d26-4c0b-9a43-1f5a8b7c9d10", NULL},
    {LUCENE, "id:0b0c*", "s.package_id::text LIKE $1::text", "0b0c%", NULL},
    /* existence */
    {LUCENE, "tags:*", "cardinality(s.tags) > 0", "", NULL},
    {LUCENE, "url:*", "s.url IS NOT NULL", "", NULL},
    {LUCENE, "notes:*", "coalesce(s.notes, '') <> ''", "", NULL},
    {LUCENE, "metadata_modified:[* TO *]", "s.metadata_modified IS NOT NULL", "", NULL},
    /* wildcards */
    {LUCENE, "name:abc*", "s.name LIKE $1::text", "abc%", NULL},
    {LUCENE, "name:a?c", "s.name LIKE $1::text", "a_c", NULL},
    {LUCENE, "name:50%_off*", "s.name LIKE $1::text", "50\\%\\_off%", NULL},
    {LUCENE, "name:a\\*b", "s.name = $1::text", "a*b", NULL},
    {LUCENE, "tags:eco*",
     "EXISTS (SELECT 1 FROM unnest(s.tags) AS x(v) WHERE x.v LIKE $1::text)", "eco%", NULL},
    {LUCENE, "title:water*",
     "(" TSQ(1, true) " AND ckan_search_tsv(s.title) @@ " RK(1, true) ")", "water", RK(1, true)},
    {LUCENE, "title:w?ter", "lower(s.title) LIKE lower($1::text)", "%w_ter%", NULL},
    {LUCENE, "text:*北市*", "s.body LIKE lower($1::text)", "%北市%", NULL},
    {LUCENE, "*北市", "s.body LIKE lower($1::text)", "%北市%", NULL},
    {LUCENE, "北市*", TSQ(1, true), "北市", RK(1, true)},
    {LUCENE, "*", "true", "", NULL},
    /* analysed text */
    {LUCENE, "water", TSQ(1, false), "water", RK(1, false)},
    {LUCENE, "title:water",
     "(" TSQ(1, false) " AND ckan_search_tsv(s.title) @@ " RK(1, false) ")", "water",
     RK(1, false)},
    {LUCENE, "title:\"water quality\"",
     "(" TSQ(1, false) " AND ckan_search_tsv(s.title) @@ " RK(1, false) ")", "water quality",
     RK(1, false)},
    {LUCENE, "res_name:daily",
     "(" TSQ(1, false) " AND ckan_search_tsv(array_to_string(s.res_name, ' ')) @@ " RK(1, false)
     ")", "daily", "-"},
    {LUCENE, "text:臺北", TSQ(1, false), "臺北", RK(1, false)},
    {LUCENE, "title:!!!", NULL, "found NOT", NULL},
    {LUCENE, "title:\\!\\!", "false", "", NULL},
    {LUCENE, "a \\- b", "(" TSQ(1, false) " AND " TSQ(2, false) ")", "a|b", "-"},
    {LUCENE, "a - b", "(" TSQ(1, false) " AND " TSQ(2, false) ")", "a|b", "-"},
    /* extras and vocabularies */
    {LUCENE, "department:x", "s.extras @> jsonb_build_object($1::text, $2::text)", "department|x",
     NULL},
    {LUCENE, "department:x*", "(s.extras->>$1::text) LIKE $2::text", "department|x%", NULL},
    {LUCENE, "extras_theme:health",
     "(" TSQ(2, false) " AND ckan_search_tsv((s.extras->>$1::text)) @@ " RK(2, false) ")",
     "theme|health", "-"},
    {LUCENE, "vocab_genre:jazz",
     "s.vocab @> jsonb_build_object($1::text, jsonb_build_array($2::text))", "genre|jazz", NULL},
    /* booleans, ints */
    {LUCENE, "private:true", "s.private = true", "", NULL},
    {LUCENE, "private:False", "s.private = false", "", NULL},
    {LUCENE, "private:maybe", "false", "", NULL},
    {LUCENE, "num_resources:3", "s.num_resources = $1::bigint", "3", NULL},
    {LUCENE, "num_resources:x", "false", "", NULL},
    {LUCENE, "num_resources:[1 TO 3}",
     "(s.num_resources >= $1::bigint AND s.num_resources < $2::bigint)", "1|3", NULL},
    {LUCENE, "num_tags:[x TO 3]", NULL, "'x' is not an integer", NULL},
    /* ranges and dates */
    {LUCENE, "metadata_modified:[2024-01-01T00:00:00.000000Z TO *]",
     "s.metadata_modified >= $1::timestamptz", "2024-01-01 00:00:00.000000+00", NULL},
    {LUCENE, "metadata_modified:{2024-01-01T00:00:00Z TO 2024-02-01T00:00:00Z}",
     "(s.metadata_modified > $1::timestamptz AND s.metadata_modified < $2::timestamptz)",
     "2024-01-01 00:00:00+00|2024-02-01 00:00:00+00", NULL},
    {LUCENE, "metadata_modified:[NOW-1DAY TO NOW]",
     "(s.metadata_modified >= (now() + $1::interval) AND s.metadata_modified <= now())",
     "-1 day", NULL},
    {LUCENE, "metadata_created:[NOW/DAY-7DAYS TO *]",
     "s.metadata_created >= (date_trunc('day', now()) + $1::interval)", "-7 day", NULL},
    {LUCENE, "metadata_created:[2024-01-31T10:00:00Z+1MONTH/MONTH TO *]",
     "s.metadata_created >= date_trunc('month', ($1::timestamptz + $2::interval))",
     "2024-01-31 10:00:00+00|+1 month", NULL},
    {LUCENE, "metadata_modified:\"2024-05-01T12:00:00.123456Z\"",
     "s.metadata_modified = $1::timestamptz", "2024-05-01 12:00:00.123456+00", NULL},
    {LUCENE, "metadata_modified:NOW", "s.metadata_modified = now()", "", NULL},
    {LUCENE, "metadata_modified:[2024-02-29T00:00:00Z TO *]",
     "s.metadata_modified >= $1::timestamptz", "2024-02-29 00:00:00+00", NULL},
    {LUCENE, "metadata_modified:[2023-02-29T00:00:00Z TO *]", NULL, "is not a date", NULL},
    {LUCENE, "metadata_modified:[2024-13-01T00:00:00Z TO *]", NULL, "is not a date", NULL},
    {LUCENE, "metadata_modified:[2024-01-01T24:00:00Z TO *]", NULL, "is not a date", NULL},
    {LUCENE, "metadata_modified:[0000-01-01T00:00:00Z TO *]", NULL, "is not a date", NULL},
    {LUCENE, "metadata_modified:[NOW-99999999YEARS TO *]", NULL, "is not a date", NULL},
    {LUCENE, "metadata_modified:[NOW-1DAY-1DAY-1DAY-1DAY-1DAY TO *]", NULL, "is not a date",
     NULL},
    {LUCENE, "metadata_modified:[NOW-1FORTNIGHT TO *]", NULL, "is not a date", NULL},
    {LUCENE, "metadata_modified:yesterday", NULL, "is not a date", NULL},
    {LUCENE, "metadata_modified:2024*", NULL, "wildcards are not supported", NULL},
    {LUCENE, "name:[a TO c]", "(s.name COLLATE \"C\" >= $1::text AND s.name COLLATE \"C\" <= $2::text)",
     "a|c", NULL},
    {LUCENE, "tags:[a TO *]",
     "EXISTS (SELECT 1 FROM unnest(s.tags) AS x(v) WHERE x.v COLLATE \"C\" >= $1::text)", "a",
     NULL},
    {LUCENE, "name:[\"a b\" TO \"c]\"]",
     "(s.name COLLATE \"C\" >= $1::text AND s.name COLLATE \"C\" <= $2::text)", "a b|c]", NULL},
    {LUCENE, "title:[a TO b]", NULL, "range queries are not supported on the field 'title'", NULL},
    {LUCENE, "name:[a b]", NULL, "needs 'TO'", NULL},
    {LUCENE, "name:[a TO b", NULL, "missing ']'", NULL},
    /* the ckanext-harvest pattern */
    {FQ, "metadata_modified:[2024-01-01T00:00:00.000000Z TO *] organization:x -organization:y "
         "groups:z",
     "(s.metadata_modified >= $1::timestamptz AND s.organization = $2::text AND NOT "
     "coalesce(s.organization = $3::text, false) AND s.groups @> ARRAY[$4::text])",
     "2024-01-01 00:00:00.000000+00|x|y|z", NULL},
    /* boolean logic (Lucene's clause rules, default operator AND) */
    {LUCENE, "tags:a OR tags:b", "(s.tags @> ARRAY[$1::text] OR s.tags @> ARRAY[$2::text])", "a|b",
     NULL},
    {LUCENE, "tags:a || tags:b", "(s.tags @> ARRAY[$1::text] OR s.tags @> ARRAY[$2::text])", "a|b",
     NULL},
    {LUCENE, "tags:a AND tags:b", "(s.tags @> ARRAY[$1::text] AND s.tags @> ARRAY[$2::text])",
     "a|b", NULL},
    {LUCENE, "tags:a && tags:b", "(s.tags @> ARRAY[$1::text] AND s.tags @> ARRAY[$2::text])",
     "a|b", NULL},
    {LUCENE, "tags:a tags:b", "(s.tags @> ARRAY[$1::text] AND s.tags @> ARRAY[$2::text])", "a|b",
     NULL},
    {LUCENE, "a b OR c", TSQ(1, false), "a", RK(1, false)}, /* +a b c: b, c only score */
    {LUCENE, "+tags:a tags:b OR tags:c", "s.tags @> ARRAY[$1::text]", "a", NULL},
    {LUCENE, "-organization:y", "NOT coalesce(s.organization = $1::text, false)", "y", NULL},
    {LUCENE, "NOT organization:y", "NOT coalesce(s.organization = $1::text, false)", "y", NULL},
    {LUCENE, "!organization:y", "NOT coalesce(s.organization = $1::text, false)", "y", NULL},
    {LUCENE, "tags:a NOT tags:b",
     "(s.tags @> ARRAY[$1::text] AND NOT coalesce(s.tags @> ARRAY[$2::text], false))", "a|b",
     NULL},
    {LUCENE, "tags:a AND NOT tags:b",
     "(s.tags @> ARRAY[$1::text] AND NOT coalesce(s.tags @> ARRAY[$2::text], false))", "a|b",
     NULL},
    {LUCENE, "(tags:a OR tags:b) AND name:c",
     "((s.tags @> ARRAY[$1::text] OR s.tags @> ARRAY[$2::text]) AND s.name = $3::text)", "a|b|c",
     NULL},
    {LUCENE, "tags:(a OR b)", "(s.tags @> ARRAY[$1::text] OR s.tags @> ARRAY[$2::text])", "a|b",
     NULL},
    {LUCENE, "tags:(a name:b)", "(s.tags @> ARRAY[$1::text] AND s.name = $2::text)", "a|b", NULL},
    {LUCENE, "name:x AND (-tags:a)",
     "(s.name = $1::text AND NOT coalesce(s.tags @> ARRAY[$2::text], false))", "x|a", NULL},
    {LUCENE, "tags:a^2 name:b^0.5", "(s.tags @> ARRAY[$1::text] AND s.name = $2::text)", "a|b",
     NULL},
    {LUCENE, "(tags:a)^3", "s.tags @> ARRAY[$1::text]", "a", NULL},
    {LUCENE, "tags:a OR tags:a", "(s.tags @> ARRAY[$1::text] OR s.tags @> ARRAY[$1::text])", "a",
     NULL},
    {LUCENE, "name:5 num_resources:5", "(s.name = $1::text AND s.num_resources = $2::bigint)",
     "5|5", NULL},
    {LUCENE, "-title:water",
     "NOT coalesce((" TSQ(1, false) " AND ckan_search_tsv(s.title) @@ " RK(1, false)
     "), false)", "water", NULL},
    {LUCENE, "ANDROID", TSQ(1, false), "ANDROID", "-"},
    {LUCENE, "\\AND", TSQ(1, false), "AND", "-"},
    /* errors */
    {LUCENE, "", NULL, "the query is empty", NULL},
    {LUCENE, "   ", NULL, "the query is empty", NULL},
    {LUCENE, "(a", NULL, "expected ')'", NULL},
    {LUCENE, "a)", NULL, "unexpected ')'", NULL},
    {LUCENE, "a AND", NULL, "expected a term", NULL},
    {LUCENE, "AND a", NULL, "expected a term, found AND", NULL},
    {LUCENE, "a AND OR b", NULL, "expected a term, found OR", NULL},
    {LUCENE, "NOT NOT a", NULL, "found NOT", NULL},
    {LUCENE, "x:y:z", NULL, "found ':'", NULL},
    {LUCENE, "foo~2", NULL, "fuzzy and proximity", NULL},
    {LUCENE, "\"a b\"~3", NULL, "fuzzy and proximity", NULL},
    {LUCENE, "/re/", NULL, "regular expressions", NULL},
    {LUCENE, "\"open", NULL, "missing closing quote", NULL},
    {LUCENE, "a^", NULL, "'^' must be followed by a number", NULL},
    {LUCENE, "a\\", NULL, "escapes nothing", NULL},
    {LUCENE, "*:foo", NULL, "the field '*' only takes '*'", NULL},
    {LUCENE, "na*me:x", NULL, "field name cannot have wildcards", NULL},
    {LUCENE, "{!lucene}a", NULL, "needs 'TO'", NULL}, /* the handler answers local params first */
    {LUCENE, "]", NULL, "found ']'", NULL},
    {LUCENE, "\xff", NULL, "not valid UTF-8", NULL},
    {LUCENE, "a\xe8\x87", NULL, "not valid UTF-8", NULL},
    /* dismax: plain words over the whole document, mm "2<-1 5<80%" */
    {DISMAX, "water", TSQ(1, false), "water", RK(1, false)},
    {DISMAX, "water quality", "(" TSQ(1, false) " AND " TSQ(2, false) ")", "water|quality",
     RK(1, false) " || " RK(2, false)},
    {DISMAX, "a b c",
     "((" TSQ(1, false) " OR " TSQ(2, false) " OR " TSQ(3, false) ") AND (coalesce(" TSQ(1, false)
     ", false)::int + coalesce(" TSQ(2, false) ", false)::int + coalesce(" TSQ(3, false)
     ", false)::int) >= 2)",
     "a|b|c", "-"},
    {DISMAX, "+a -b c",
     "(" TSQ(1, false) " AND NOT coalesce(" TSQ(2, false) ", false) AND " TSQ(3, false) ")",
     "a|b|c", RK(1, false) " || " RK(3, false)},
    {DISMAX, "\"water quality\" 臺北", "(" TSQ(1, false) " AND " TSQ(2, false) ")",
     "water quality|臺北", "-"},
    {DISMAX, "臺北市 空氣", "(" TSQ(1, false) " AND " TSQ(2, false) ")", "臺北市|空氣", "-"},
    {DISMAX, "name:foo (bar) [x]", /* special characters are literal; 3 clauses: all but one */
     "((" TSQ(1, false) " OR " TSQ(2, false) " OR " TSQ(3, false) ") AND (coalesce(" TSQ(1, false)
     ", false)::int + coalesce(" TSQ(2, false) ", false)::int + coalesce(" TSQ(3, false)
     ", false)::int) >= 2)",
     "name:foo|(bar)|[x]", "-"},
    {DISMAX, "foo +", TSQ(1, false), "foo", "-"},
    {DISMAX, "foo - bar", "(" TSQ(1, false) " AND " TSQ(2, false) ")", "foo|bar", "-"},
    {DISMAX, "\"odd quote", "(" TSQ(1, false) " AND " TSQ(2, false) ")", "odd|quote", "-"},
    {DISMAX, "!!! ...", "false", "", NULL},
    {DISMAX, "water !!!", TSQ(1, false), "water", "-"},
    /* as in Solr's dismax, OR makes both clauses optional and mm then wants both */
    {DISMAX, "a OR b", "(" TSQ(1, false) " AND " TSQ(2, false) ")", "a|b", "-"},
    {DISMAX, "a AND b c", "(" TSQ(1, false) " AND " TSQ(2, false) " AND " TSQ(3, false) ")",
     "a|b|c", "-"},
    {DISMAX, "wat*", TSQ(1, false), "wat*", "-"},
    {DISMAX, "-", "false", "", NULL},
};

static void join_params(struct solrq *q, char *buf, size_t size)
{
    const char *const *p = solrq_params(q);
    buf[0] = '\0';
    for (int i = 0; p[i]; i++) {
        if (i)
            strncat(buf, "|", size - strlen(buf) - 1);
        strncat(buf, p[i], size - strlen(buf) - 1);
    }
}

static void test_cases(void)
{
    for (size_t i = 0; i < ARRAY_LEN_T(cases); i++) {
        const struct sq_case *c = &cases[i];
        struct solrq *q = solrq_new(&solrq_ckan_map, 1);
        const char *sql = c->mode == DISMAX ? solrq_dismax(q, c->in, NULL)
                                            : solrq_lucene(q, c->in, "text", true, c->mode != FQ);
        if (!c->sql) {
            T_CHECK(!sql, "%s: expected an error, got %s", c->in, sql ? sql : "");
            T_CHECK(strstr(solrq_error(q), c->params) != NULL, "%s: error \"%s\" lacks \"%s\"",
                    c->in, solrq_error(q), c->params);
            T_CHECK(strncmp(solrq_error(q), "Cannot parse", 12) == 0, "%s: error form: %s",
                    c->in, solrq_error(q));
        } else {
            static char params[1024];
            T_CHECK(sql != NULL, "%s: unexpected error %s", c->in, solrq_error(q));
            if (sql) {
                T_STREQ(sql, c->sql, c->in);
                join_params(q, params, sizeof(params));
                const char *got = params;
                T_STREQ(got, c->params, c->in);
                const char *rank = solrq_rank(q);
                if (!c->rank)
                    T_CHECK(rank == NULL || c->mode == FQ, "%s: unexpected rank %s", c->in, rank);
                else if (strcmp(c->rank, "-") != 0)
                    T_STREQ(rank, c->rank, c->in);
            }
        }
        solrq_free(q);
    }
}

/* fq terms never rank; q and fq share one parameter list. */
static void test_shared_params(void)
{
    struct solrq *q = solrq_new(&solrq_ckan_map, 4);
    const char *a = solrq_dismax(q, "water", NULL);
    const char *b = solrq_lucene(q, "tags:water title:air", "text", true, false);
    T_STREQ(a, TSQ(4, false), "q");
    T_STREQ(b,
            "(s.tags @> ARRAY[$4::text] AND (" TSQ(5, false) " AND "
            "ckan_search_tsv(s.title) @@ " RK(5, false) "))",
            "fq");
    T_STREQ(solrq_rank(q), RK(4, false), "rank from q only");
    T_CHECK(solrq_nparams(q) == 2, "2 parameters, got %d", solrq_nparams(q));
    T_CHECK(solrq_param(q, "water") == 4, "solrq_param reuses $4");
    T_CHECK(solrq_param(q, "other") == 6, "solrq_param adds $6");
    solrq_free(q);
}

static void test_limits(void)
{
    char deep[300];
    memset(deep, '(', 100);
    strcpy(deep + 100, "a");
    memset(deep + 101, ')', 100);
    deep[201] = '\0';
    struct solrq *q = solrq_new(&solrq_ckan_map, 1);
    T_CHECK(!solrq_lucene(q, deep, "text", true, true), "100 levels refused");
    T_CHECK(strstr(solrq_error(q), "nested too deeply") != NULL, "depth message: %s",
            solrq_error(q));
    solrq_free(q);

    size_t n = 1100 * 12;
    char *many = malloc(n + 1);
    many[0] = '\0';
    for (int i = 0; i < 1100; i++)
        sprintf(many + strlen(many), "tags:%d ", i);
    q = solrq_new(&solrq_ckan_map, 1);
    T_CHECK(!solrq_lucene(q, many, "text", true, true), "1100 clauses refused");
    T_CHECK(strstr(solrq_error(q), "too many clauses") != NULL, "clauses message: %s",
            solrq_error(q));
    solrq_free(q);
    free(many);

    char longq[600];
    memset(longq, 'x', 500);
    strcpy(longq + 500, ")");
    q = solrq_new(&solrq_ckan_map, 1);
    T_CHECK(!solrq_lucene(q, longq, "text", true, true), "stray ) refused");
    T_CHECK(strlen(solrq_error(q)) < 300, "the message quotes a bounded part of the query");
    solrq_free(q);
}

static void test_mm(void)
{
    static const struct { const char *spec; int n, want; } mm[] = {
        {"2<-1 5<80%", 1, 1}, {"2<-1 5<80%", 2, 2}, {"2<-1 5<80%", 3, 2},
        {"2<-1 5<80%", 5, 4}, {"2<-1 5<80%", 6, 4}, {"2<-1 5<80%", 10, 8},
        {"3", 5, 3},          {"3", 2, 2},          {"-1", 4, 3},
        {"75%", 4, 3},        {"-25%", 4, 3},       {"0", 4, 0},
        {"100%", 3, 3},       {"x", 3, -1},         {"2<", 3, -1},
        {"", 3, -1},          {"<2", 3, -1},        {"1 2", 3, -1},
    };
    for (size_t i = 0; i < ARRAY_LEN_T(mm); i++) {
        int got = solrq_mm(mm[i].spec, mm[i].n);
        T_CHECK(got == mm[i].want, "mm(\"%s\", %d) = %d, want %d", mm[i].spec, mm[i].n, got,
                mm[i].want);
    }
    struct solrq *q = solrq_new(&solrq_ckan_map, 1);
    T_CHECK(!solrq_dismax(q, "a b", "abc"), "bad mm refused");
    T_STREQ(solrq_error(q), "Invalid \"mm\" parameter", "mm message");
    solrq_free(q);
    q = solrq_new(&solrq_ckan_map, 1);
    T_STREQ(solrq_dismax(q, "a b c", "1"),
            "(" TSQ(1, false) " OR " TSQ(2, false) " OR " TSQ(3, false) ")",
            "mm=1");
    solrq_free(q);
}

static void test_fields(void)
{
    static const struct { const char *name; const char *sql; enum solrq_kind kind; } ok[] = {
        {"name", "s.name", SOLRQ_STR},
        {"title_string", "s.title", SOLRQ_STR},
        {"metadata_modified", "s.metadata_modified", SOLRQ_DATE},
        {"tags", "s.tags", SOLRQ_STRS},
        {"id", "s.package_id::text", SOLRQ_UUID},
        {"department", "(s.extras->>$1::text)", SOLRQ_STR},
        {"extras_x", "(s.extras->>$1::text)", SOLRQ_TEXT},
    };
    for (size_t i = 0; i < ARRAY_LEN_T(ok); i++) {
        struct solrq *q = solrq_new(&solrq_ckan_map, 1);
        struct solrq_expr e;
        bool found = solrq_field(q, ok[i].name, &e);
        T_CHECK(found, "field %s", ok[i].name);
        if (found) {
            T_STREQ(e.sql, ok[i].sql, ok[i].name);
            T_CHECK(e.kind == ok[i].kind, "%s kind", ok[i].name);
        }
        solrq_free(q);
    }
    struct solrq *q = solrq_new(&solrq_ckan_map, 1);
    struct solrq_expr e;
    T_CHECK(!solrq_field(q, "text", &e), "text has no single value");
    T_CHECK(!solrq_field(q, "", &e), "empty name");
    T_CHECK(!solrq_field(q, "\xff", &e), "invalid UTF-8 name");
    solrq_free(q);
}

int main(void)
{
    test_cases();
    test_shared_params();
    test_limits();
    test_mm();
    test_fields();
    T_DONE();
}
