/* solrq — the Solr query subset → AST → parameterised SQL (see solrq.h): the entry points,
 * which run the lexer, parser and SQL generator over a query. */
#include "solrq_int.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- entry points --------------------------------------------------------------------------- */

static const char *run(struct solrq *q, struct parser *p, struct resolved *field, bool rank,
                       const char *mm)
{
    q->error = NULL;
    if (!sq_utf8_valid(p->src)) {
        q->error = sq_strdup(q, "Cannot parse the query: it is not valid UTF-8");
        return NULL;
    }
    struct node *root = NULL;
    if (sq_peek(p, 0)->type == T_EOF && !p->failed) {
        if (p->dismax)
            return "false"; /* nothing left once the dangling operators are gone */
        sq_fail(p, 0, "the query is empty");
    } else if (!p->failed) {
        root = sq_parse_query(p, field);
        if (!p->failed && sq_peek(p, 0)->type != T_EOF)
            sq_fail(p, sq_peek(p, 0)->pos, "unexpected %s", sq_tok_name(sq_peek(p, 0)));
    }
    if (p->failed)
        return NULL;
    int k = -1;
    if (mm) {
        int nshould = 0;
        for (int i = 0; i < root->nclauses; i++)
            nshould += root->clauses[i].occur == O_SHOULD && root->clauses[i].n;
        k = solrq_mm(mm, nshould);
    }
    struct sq_gen g = {q, p, rank};
    char *sql = sq_gen_sql(&g, root, false, k);
    if (p->failed)
        return NULL;
    return sql ? sql : "false"; /* everything was analysed away: nothing matches */
}

const char *solrq_lucene(struct solrq *q, const char *text, const char *default_field,
                         bool default_and, bool rank)
{
    struct parser p = {.q = q, .src = text, .len = strlen(text), .default_and = default_and};
    struct resolved f;
    if (!sq_resolve(q->map, default_field, &f)) {
        q->error = sq_strdup(q, "Cannot parse the query: unknown default field");
        return NULL;
    }
    return run(q, &p, &f, rank, NULL);
}

/* Solr drops every quote when they are unbalanced. */
static char *balance_quotes(struct solrq *q, const char *text)
{
    size_t n = 0;
    for (const char *s = text; *s; s++)
        n += *s == '"';
    if (n % 2 == 0)
        return sq_strdup(q, text);
    char *out = sq_alloc(q, strlen(text) + 1), *o = out;
    for (const char *s = text; *s; s++)
        if (*s != '"')
            *o++ = *s;
    *o = '\0';
    return out;
}

const char *solrq_dismax(struct solrq *q, const char *text, const char *mm)
{
    if (!mm)
        mm = "2<-1 5<80%";
    if (solrq_mm(mm, 1) < 0) {
        q->error = sq_strdup(q, "Invalid \"mm\" parameter");
        return NULL;
    }
    char *src = balance_quotes(q, text);
    struct parser p = {.q = q, .src = src, .len = strlen(src), .dismax = true};
    struct resolved f;
    if (!sq_resolve(q->map, "text", &f)) {
        q->error = sq_strdup(q, "Cannot parse the query: no text field");
        return NULL;
    }
    return run(q, &p, &f, true, mm);
}

bool solrq_field(struct solrq *q, const char *name, struct solrq_expr *out)
{
    struct resolved r;
    if (!sq_utf8_valid(name) || !*name || !sq_resolve(q->map, name, &r))
        return false;
    struct parser p = {.q = q, .src = name, .len = strlen(name)};
    struct sq_gen g = {q, &p, false};
    out->kind = r.f->kind;
    out->sql = r.f->val ? sq_expand(&g, r.f->val, &r, NULL) : NULL;
    return out->sql != NULL;
}

/* One mm spec (no conditions): "3", "-1", "80%", "-25%" applied to n clauses. */
static int mm_simple(const char *s, size_t len, int n, bool *ok)
{
    bool pct = len && s[len - 1] == '%';
    size_t i = 0, e = len - pct;
    bool negative = i < e && s[i] == '-';
    i += negative;
    if (i == e || e - i > 6) {
        *ok = false;
        return 0;
    }
    long v = 0;
    for (; i < e; i++) {
        if (s[i] < '0' || s[i] > '9') {
            *ok = false;
            return 0;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (negative)
        v = -v;
    long r;
    if (pct) {
        double calc = (double)n * (double)v / 100.0;
        r = calc < 0 ? n + (long)calc : (long)calc;
    } else {
        r = v < 0 ? n + v : v;
    }
    if (r < 0)
        r = 0;
    return (int)(r > n ? n : r);
}

int solrq_mm(const char *spec, int n)
{
    /* Conditional: "2<-1 5<80%" = up to 2 clauses all, up to 5 all but one, else 80%. */
    bool ok = true;
    const char *s = spec;
    while (*s == ' ')
        s++;
    if (!*s)
        return -1;
    if (!strchr(s, '<')) {
        size_t len = strcspn(s, " ");
        const char *rest = s + len;
        while (*rest == ' ')
            rest++;
        int r = mm_simple(s, len, n, &ok);
        return ok && !*rest ? r : -1;
    }
    int result = n;
    bool decided = false;
    while (*s) {
        size_t len = strcspn(s, " ");
        const char *lt = memchr(s, '<', len);
        if (!lt || lt == s)
            return -1;
        long bound = 0;
        for (const char *d = s; d < lt; d++) {
            if (*d < '0' || *d > '9' || bound > 100000)
                return -1;
            bound = bound * 10 + (*d - '0');
        }
        int r = mm_simple(lt + 1, len - (size_t)(lt + 1 - s), n, &ok);
        if (!ok)
            return -1;
        if (!decided) {
            if (n <= bound)
                decided = true;
            else
                result = r;
        }
        s += len;
        while (*s == ' ')
            s++;
    }
    return result;
}
