/* solrq_sql — AST → one parameterised SQL boolean expression; Solr date math (see solrq_int.h). */
#include "solrq_int.h"

#include "util.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SQL ------------------------------------------------------------------------------------ */

/* Replace %K (the key parameter) and %V (the value, already "$n::type") in a template. */
char *sq_expand(struct sq_gen *g, const char *tmpl, const struct resolved *f, const char *v)
{
    struct sbuf b = {0};
    for (const char *s = tmpl; *s; s++) {
        if (s[0] == '%' && s[1] == 'K') {
            sbuf_adds(&b, sq_pref(g->q, f->key ? f->key : "", 't'));
            s++;
        } else if (s[0] == '%' && s[1] == 'V') {
            sbuf_adds(&b, v ? v : "NULL");
            s++;
        } else {
            sbuf_add(&b, s, 1);
        }
    }
    return sq_buf_done(g->q, &b);
}

static char *val_sql(struct sq_gen *g, const struct resolved *f)
{
    return f->f->val ? sq_expand(g, f->f->val, f, NULL) : NULL;
}

static char *fmt(struct sq_gen *g, const char *f, ...) __attribute__((format(printf, 2, 3)));
static char *fmt(struct sq_gen *g, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char tmp[512];
    int n = vsnprintf(tmp, sizeof(tmp), f, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(tmp))
        return sq_strdup(g->q, tmp);
    char *big = xmalloc((size_t)n + 1);
    va_start(ap, f);
    vsnprintf(big, (size_t)n + 1, f, ap);
    va_end(ap);
    char *out = sq_strdup(g->q, big);
    free(big);
    return out;
}

/* A LIKE pattern: * → %, ? → _, and the literal characters escaped. */
static char *like_pattern(struct sq_gen *g, const struct node *n, bool substring)
{
    struct sbuf b = {0};
    if (substring && !(n->len && n->wild[0] && n->text[0] == '*'))
        sbuf_add(&b, "%", 1);
    for (size_t i = 0; i < n->len; i++) {
        char c = n->text[i];
        if (n->wild[i])
            sbuf_add(&b, c == '*' ? "%" : "_", 1);
        else if (c == '%' || c == '_' || c == '\\')
            sbuf_add(&b, "\\", 1), sbuf_add(&b, &c, 1);
        else
            sbuf_add(&b, &c, 1);
    }
    if (substring && !(n->len && n->wild[n->len - 1] && n->text[n->len - 1] == '*'))
        sbuf_add(&b, "%", 1);
    return sq_buf_done(g->q, &b);
}

static bool has_wild(const struct node *n)
{
    for (size_t i = 0; i < n->len; i++)
        if (n->wild[i])
            return true;
    return false;
}

/* "abc*" with no other wildcard: a prefix. */
static bool is_prefix(const struct node *n)
{
    if (n->len < 2 || !n->wild[n->len - 1] || n->text[n->len - 1] != '*')
        return false;
    for (size_t i = 0; i + 1 < n->len; i++)
        if (n->wild[i])
            return false;
    return true;
}

/* ---- dates: ISO 8601 UTC or NOW, then +N/-N UNIT and /UNIT steps (Solr date math) ---------- */

/* A unit of Solr date math. */
struct date_unit {
    const char *name;
    const char *pg; /* interval unit and date_trunc field */
    double seconds;
};

static const struct date_unit date_units[] = {
    {"YEARS", "year", 31557600}, {"YEAR", "year", 31557600},
    {"MONTHS", "month", 2629800}, {"MONTH", "month", 2629800},
    {"DAYS", "day", 86400}, {"DAY", "day", 86400}, {"DATE", "day", 86400},
    {"HOURS", "hour", 3600}, {"HOUR", "hour", 3600},
    {"MINUTES", "minute", 60}, {"MINUTE", "minute", 60},
    {"SECONDS", "second", 1}, {"SECOND", "second", 1},
    {"MILLISECONDS", "milliseconds", 0.001}, {"MILLISECOND", "milliseconds", 0.001},
    {"MILLIS", "milliseconds", 0.001}, {"MILLI", "milliseconds", 0.001},
};

static const struct date_unit *date_unit(const char **s)
{
    for (size_t i = 0; i < sizeof(date_units) / sizeof(date_units[0]); i++) {
        size_t n = strlen(date_units[i].name);
        if (strncmp(*s, date_units[i].name, n) == 0) {
            *s += n;
            return &date_units[i];
        }
    }
    return NULL;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* YYYY-MM-DD[Thh:mm:ss[.f]][Z] → "YYYY-MM-DD hh:mm:ss[.f]+00"; *s moves past it. */
static bool iso_date(struct sq_gen *g, const char **s, char **out)
{
    const char *p = *s;
    int y = digits(p, 4), mo = -1, d = -1, h = 0, mi = 0, se = 0;
    if (y >= 1 && p[4] == '-' && (mo = digits(p + 5, 2)) >= 1 && mo <= 12 && p[7] == '-')
        d = digits(p + 8, 2);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d < 1 || mo < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap))
        return false;
    p += 10;
    char frac[16] = "";
    if (*p == 'T') {
        h = digits(p + 1, 2);
        if (h < 0 || h > 23 || p[3] != ':' || (mi = digits(p + 4, 2)) < 0 || mi > 59 ||
            p[6] != ':' || (se = digits(p + 7, 2)) < 0 || se > 59)
            return false;
        p += 9;
        if (*p == '.') {
            int n = 0;
            frac[0] = '.';
            for (p++; *p >= '0' && *p <= '9'; p++)
                if (n < 9)
                    frac[++n] = *p;
            if (n == 0)
                return false;
            frac[n + 1] = '\0';
        }
    }
    if (*p == 'Z')
        p++;
    char buf[64];
    snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d%s+00", y, mo, d, h, mi, se, frac);
    *out = sq_pref(g->q, buf, 'd');
    *s = p;
    return true;
}

/* The SQL timestamptz of a Solr date value, or NULL when it is not one. */
static char *date_sql(struct sq_gen *g, const char *v)
{
    const char *s = v;
    char *x;
    if (strncmp(s, "NOW", 3) == 0) {
        x = sq_strdup(g->q, "now()");
        s += 3;
    } else if (!iso_date(g, &s, &x)) {
        return NULL;
    }
    for (int ops = 0; *s; ops++) {
        if (ops >= SQ_MAX_DATE_OPS)
            return NULL;
        char op = *s++;
        if (op == '/') {
            const struct date_unit *u = date_unit(&s);
            if (!u)
                return NULL;
            x = fmt(g, "date_trunc('%s', %s)", u->pg, x);
        } else if (op == '+' || op == '-') {
            long long n = 0;
            int nd = 0;
            while (*s >= '0' && *s <= '9' && nd < 12)
                n = n * 10 + (*s++ - '0'), nd++;
            const struct date_unit *u = nd ? date_unit(&s) : NULL;
            if (!u || (double)n * u->seconds > SQ_MAX_SHIFT_S)
                return NULL;
            char iv[64];
            snprintf(iv, sizeof(iv), "%c%lld %s", op, n, u->pg);
            x = fmt(g, "(%s + %s)", x, sq_pref(g->q, iv, 'i'));
        } else {
            return NULL;
        }
    }
    return x;
}

static bool int_value(const char *s, long long *out)
{
    const char *p = s + (*s == '-');
    size_t n = strlen(p);
    if (n == 0 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    *out = strtoll(s, NULL, 10);
    return true;
}

/* A lower-case hyphenated uuid, the form CKAN ids take. */
static bool uuid_value(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

/* ---- terms and ranges by field kind --------------------------------------------------------- */

static char *gen_text_term(struct sq_gen *g, const struct node *n, bool neg)
{
    const struct solrq_map *m = g->q->map;
    const struct resolved *f = &n->field;
    char *val = val_sql(g, f);
    if (n->star && !n->phrase)
        return val ? fmt(g, "coalesce(%s, '') <> ''", val) : sq_strdup(g->q, "true");
    bool prefix = !n->phrase && is_prefix(n);
    if (!n->phrase && has_wild(n) && !prefix) {
        char *pat = sq_pref(g->q, like_pattern(g, n, true), 't');
        return val ? fmt(g, "lower(%s) LIKE lower(%s)", val, pat)
                   : fmt(g, "%s LIKE lower(%s)", m->doc_text, pat);
    }
    const char *word = prefix ? sq_strndup(g->q, n->text, n->len - 1) : n->text;
    if (prefix && !sq_has_word_char(word))
        return val ? fmt(g, "coalesce(%s, '') <> ''", val) : sq_strdup(g->q, "true");
    /* A scalar subquery: computed once per execution also under a generic plan (a bare call
     * of the function with a parameter would run for every row it is compared with). */
    char *tsq = fmt(g, "(SELECT %s(%s, %s))", m->tsq_fn, sq_pref(g->q, word, 't'),
                    prefix ? "true" : "false");
    if (g->rank && !neg)
        sq_add_rank(g->q, tsq);
    if (!val)
        return fmt(g, "%s @@ %s", m->doc_tsv, tsq);
    return fmt(g, "(%s @@ %s AND %s(%s) @@ %s)", m->doc_tsv, tsq, m->tsv_fn, val, tsq);
}

static char *gen_term(struct sq_gen *g, const struct node *n, bool neg)
{
    const struct resolved *f = &n->field;
    enum solrq_kind kind = f->f->kind;
    if (kind == SOLRQ_TEXT)
        return gen_text_term(g, n, neg);
    char *val = val_sql(g, f);
    bool wild = !n->phrase && has_wild(n);
    if (n->star && !n->phrase)
        return fmt(g, kind == SOLRQ_STRS ? "cardinality(%s) > 0" : "%s IS NOT NULL", val);
    if (wild) {
        if (kind != SOLRQ_STR && kind != SOLRQ_STRS && kind != SOLRQ_UUID) {
            sq_fail(g->p, n->pos, "wildcards are not supported on the field '%s'", f->name);
            return NULL;
        }
        char *pat = sq_pref(g->q, like_pattern(g, n, false), 't');
        if (kind == SOLRQ_STRS)
            return fmt(g, "EXISTS (SELECT 1 FROM unnest(%s) AS x(v) WHERE x.v LIKE %s)", val, pat);
        return fmt(g, "%s LIKE %s", val, pat);
    }
    switch (kind) {
    case SOLRQ_STR:
        if (f->f->eq)
            return sq_expand(g, f->f->eq, f, sq_pref(g->q, n->text, 't'));
        return fmt(g, "%s = %s", val, sq_pref(g->q, n->text, 't'));
    case SOLRQ_STRS:
        if (f->f->eq)
            return sq_expand(g, f->f->eq, f, sq_pref(g->q, n->text, 't'));
        return fmt(g, "%s @> ARRAY[%s]", val, sq_pref(g->q, n->text, 't'));
    case SOLRQ_UUID:
        if (!uuid_value(n->text))
            return sq_strdup(g->q, "false");
        if (f->f->eq)
            return sq_expand(g, f->f->eq, f, sq_pref(g->q, n->text, 'u'));
        return fmt(g, "%s = %s", val, sq_pref(g->q, n->text, 't'));
    case SOLRQ_DATE: {
        char *d = date_sql(g, n->text);
        if (!d) {
            sq_fail(g->p, n->pos, "'%s' is not a date (use 2024-01-31T00:00:00Z or NOW-1DAY)",
                 n->text);
            return NULL;
        }
        return fmt(g, "%s = %s", val, d);
    }
    case SOLRQ_INT: {
        long long v;
        if (!int_value(n->text, &v))
            return sq_strdup(g->q, "false");
        char buf[32];
        snprintf(buf, sizeof(buf), "%lld", v);
        return fmt(g, "%s = %s", val, sq_pref(g->q, buf, 'b'));
    }
    case SOLRQ_BOOL:
        if (strcmp(n->text, "true") == 0 || strcmp(n->text, "True") == 0)
            return fmt(g, "%s = true", val);
        if (strcmp(n->text, "false") == 0 || strcmp(n->text, "False") == 0)
            return fmt(g, "%s = false", val);
        return sq_strdup(g->q, "false");
    case SOLRQ_TEXT:
        break;
    }
    return NULL;
}

/* One end of a range as SQL, typed by the field; NULL (and a failure) when not valid. */
static char *range_value(struct sq_gen *g, const struct node *n, const char *v)
{
    enum solrq_kind kind = n->field.f->kind;
    if (kind == SOLRQ_DATE) {
        char *d = date_sql(g, v);
        if (!d)
            sq_fail(g->p, n->pos, "'%s' is not a date (use 2024-01-31T00:00:00Z or NOW-1DAY)", v);
        return d;
    }
    if (kind == SOLRQ_INT) {
        long long x;
        if (!int_value(v, &x)) {
            sq_fail(g->p, n->pos, "'%s' is not an integer", v);
            return NULL;
        }
        char buf[32];
        snprintf(buf, sizeof(buf), "%lld", x);
        return sq_pref(g->q, buf, 'b');
    }
    return sq_pref(g->q, v, 't');
}

static char *gen_range(struct sq_gen *g, const struct node *n)
{
    const struct resolved *f = &n->field;
    enum solrq_kind kind = f->f->kind;
    if (kind == SOLRQ_TEXT || kind == SOLRQ_BOOL) {
        sq_fail(g->p, n->pos, "range queries are not supported on the field '%s'", f->name);
        return NULL;
    }
    char *val = val_sql(g, f);
    bool text = kind == SOLRQ_STR || kind == SOLRQ_STRS || kind == SOLRQ_UUID;
    const char *subject = kind == SOLRQ_STRS ? "x.v" : val;
    struct sbuf b = {0};
    const char *ends[2] = {n->lo, n->hi};
    for (int i = 0; i < 2; i++) {
        if (!ends[i])
            continue;
        char *v = range_value(g, n, ends[i]);
        if (!v) {
            sbuf_free(&b);
            return NULL;
        }
        if (b.len)
            sbuf_adds(&b, " AND ");
        bool incl = i == 0 ? n->lo_incl : n->hi_incl;
        sbuf_addf(&b, "%s%s %s %s", subject, text ? " COLLATE \"C\"" : "",
                  i == 0 ? (incl ? ">=" : ">") : (incl ? "<=" : "<"), v);
    }
    if (!b.len)
        sbuf_addf(&b, kind == SOLRQ_STRS ? "true" : "%s IS NOT NULL", val);
    char *cond = sq_buf_done(g->q, &b);
    if (kind == SOLRQ_STRS)
        return fmt(g, "EXISTS (SELECT 1 FROM unnest(%s) AS x(v) WHERE %s)", val, cond);
    return n->lo && n->hi ? fmt(g, "(%s)", cond) : cond;
}


static char *join(struct sq_gen *g, char **parts, int n, const char *sep)
{
    if (n == 1)
        return parts[0];
    struct sbuf b = {0};
    sbuf_adds(&b, "(");
    for (int i = 0; i < n; i++) {
        if (i)
            sbuf_adds(&b, sep);
        sbuf_adds(&b, parts[i]);
    }
    sbuf_adds(&b, ")");
    return sq_buf_done(g->q, &b);
}

/* "at least k of these": an OR (which an index can serve) and the count. */
static char *at_least(struct sq_gen *g, char **s, int n, int k)
{
    if (k <= 1)
        return join(g, s, n, " OR ");
    struct sbuf b = {0};
    sbuf_adds(&b, "(");
    for (int i = 0; i < n; i++)
        sbuf_addf(&b, "%scoalesce(%s, false)::int", i ? " + " : "", s[i]);
    sbuf_addf(&b, ") >= %d", k);
    char *count = sq_buf_done(g->q, &b);
    return fmt(g, "(%s AND %s)", join(g, s, n, " OR "), count);
}

/* A boolean node, as Lucene reads its clauses: every MUST, no MUST_NOT, and the SHOULDs only
 * when there is no MUST (then at least one) — or, for dismax's top level (mm >= 0 is the spec's
 * count for this many SHOULDs), at least mm of them. A clause list with only MUST_NOTs means
 * "everything but" (Solr does this for a top-level query; we do it at every level). */
static char *gen_bool(struct sq_gen *g, const struct node *n, bool neg, int mm)
{
    int cap = n->nclauses;
    char **must = sq_alloc(g->q, sizeof(char *) * (size_t)(cap + 2));
    char **should = sq_alloc(g->q, sizeof(char *) * (size_t)(cap + 1));
    int nmust = 0, nshould = 0;
    bool any_must = false;
    for (int i = 0; i < n->nclauses; i++)
        any_must |= n->clauses[i].occur == O_MUST && n->clauses[i].n;
    for (int i = 0; i < n->nclauses; i++) {
        const struct clause *c = &n->clauses[i];
        if (!c->n || (c->occur == O_SHOULD && any_must && mm < 0))
            continue; /* dropped, or only scoring */
        char *s = sq_gen_sql(g, c->n, neg ^ (c->occur == O_NOT), -1);
        if (g->p->failed)
            return NULL;
        if (!s)
            continue;
        if (c->occur == O_MUST)
            must[nmust++] = s;
        else if (c->occur == O_NOT)
            must[nmust++] = fmt(g, "NOT coalesce(%s, false)", s);
        else
            should[nshould++] = s;
    }
    if (nshould) {
        int k = mm < 0 ? 1 : mm;
        if (!any_must && k < 1)
            k = 1;
        if (k >= nshould)
            for (int i = 0; i < nshould; i++)
                must[nmust++] = should[i];
        else if (k >= 1)
            must[nmust++] = at_least(g, should, nshould, k);
    }
    if (nmust == 0)
        return NULL;
    return join(g, must, nmust, " AND ");
}

char *sq_gen_sql(struct sq_gen *g, const struct node *n, bool neg, int mm)
{
    switch (n->type) {
    case N_ALL:
        return sq_strdup(g->q, "true");
    case N_TERM:
        return gen_term(g, n, neg);
    case N_RANGE:
        return gen_range(g, n);
    case N_BOOL:
        return gen_bool(g, n, neg, mm);
    }
    return NULL;
}
