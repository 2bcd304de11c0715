/* solrq — the Solr query subset → AST → parameterised SQL (see solrq.h). */
#include "solrq_int.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- memory: everything lives in the search's chunks until solrq_free ----------------------- */

void *sq_oom(void *p)
{
    if (!p) {
        fputs("solrq: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *sq_alloc(struct solrq *q, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct sq_chunk *c = q->mem;
    if (!c || c->size - c->used < n) {
        size_t size = n > 8192 ? n : 8192;
        c = sq_oom(malloc(sizeof(*c) + size));
        c->size = size;
        c->used = 0;
        c->next = q->mem;
        q->mem = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

char *sq_strndup(struct solrq *q, const char *s, size_t n)
{
    char *d = sq_alloc(q, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *sq_strdup(struct solrq *q, const char *s)
{
    return sq_strndup(q, s, strlen(s));
}

/* A growing string (malloc'd); sq_buf_done moves it into the search's memory. */

void sq_buf_putn(struct sq_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->s = sq_oom(realloc(b->s, cap));
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sq_buf_puts(struct sq_buf *b, const char *s)
{
    sq_buf_putn(b, s, strlen(s));
}

void sq_buf_printf(struct sq_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(tmp)) {
        sq_buf_putn(b, tmp, (size_t)n);
        return;
    }
    char *big = sq_oom(malloc((size_t)n + 1));
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sq_buf_putn(b, big, (size_t)n);
    free(big);
}

char *sq_buf_done(struct solrq *q, struct sq_buf *b)
{
    char *s = sq_strndup(q, b->s ? b->s : "", b->len);
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

/* ---- the search object ---------------------------------------------------------------------- */

struct solrq *solrq_new(const struct solrq_map *map, int first_param)
{
    struct solrq *q = sq_oom(calloc(1, sizeof(*q)));
    q->map = map;
    q->first = first_param;
    return q;
}

void solrq_free(struct solrq *q)
{
    if (!q)
        return;
    struct sq_chunk *c = q->mem;
    while (c) {
        struct sq_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(q->params);
    free(q->rank);
    free(q);
}

const char *solrq_error(const struct solrq *q)
{
    return q->error ? q->error : "";
}

static int param_typed(struct solrq *q, const char *value, char type)
{
    for (int i = 0; i < q->nparams; i++)
        if (q->params[i].type == type && strcmp(q->params[i].value, value) == 0)
            return q->first + i;
    if (q->nparams == q->capparams) {
        q->capparams = q->capparams ? q->capparams * 2 : 16;
        q->params = sq_oom(realloc(q->params, sizeof(*q->params) * (size_t)q->capparams));
    }
    q->params[q->nparams].value = sq_strdup(q, value);
    q->params[q->nparams].type = type;
    return q->first + q->nparams++;
}

int solrq_param(struct solrq *q, const char *value)
{
    return param_typed(q, value, 't');
}

int solrq_nparams(const struct solrq *q)
{
    return q->nparams;
}

const char *const *solrq_params(const struct solrq *q)
{
    /* The values are the first member of each element: hand out a flat array. */
    const char **out = sq_alloc((struct solrq *)q, sizeof(char *) * (size_t)(q->nparams + 1));
    for (int i = 0; i < q->nparams; i++)
        out[i] = q->params[i].value;
    out[q->nparams] = NULL;
    return out;
}

/* "$n::type" for a new or reused parameter. */
char *sq_pref(struct solrq *q, const char *value, char type)
{
    static const struct { char type; const char *cast; } casts[] = {
        {'t', "text"}, {'d', "timestamptz"}, {'i', "interval"}, {'b', "bigint"}, {'u', "uuid"}};
    const char *cast = "text";
    for (size_t i = 0; i < sizeof(casts) / sizeof(casts[0]); i++)
        if (casts[i].type == type)
            cast = casts[i].cast;
    char buf[48];
    snprintf(buf, sizeof(buf), "$%d::%s", param_typed(q, value, type), cast);
    return sq_strdup(q, buf);
}

void sq_add_rank(struct solrq *q, const char *tsq)
{
    for (int i = 0; i < q->nrank; i++)
        if (strcmp(q->rank[i], tsq) == 0)
            return;
    if (q->nrank == q->caprank) {
        q->caprank = q->caprank ? q->caprank * 2 : 8;
        q->rank = sq_oom(realloc(q->rank, sizeof(char *) * (size_t)q->caprank));
    }
    q->rank[q->nrank++] = sq_strdup(q, tsq);
}

const char *solrq_rank(const struct solrq *q)
{
    if (q->nrank == 0)
        return NULL;
    struct sq_buf b = {0};
    for (int i = 0; i < q->nrank; i++) {
        if (i)
            sq_buf_puts(&b, " || ");
        sq_buf_puts(&b, q->rank[i]);
    }
    return sq_buf_done((struct solrq *)q, &b);
}

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
