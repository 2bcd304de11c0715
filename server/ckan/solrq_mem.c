/* solrq_mem — the search object: its memory, growing strings, parameters and rank terms (see
 * solrq_int.h). */
#include "solrq_int.h"

#include "arena.h"
#include "util.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- memory: everything lives in the search's arena until solrq_free ------------------------ */

void *sq_alloc(struct solrq *q, size_t n)
{
    return arena_alloc(q->mem, n);
}

char *sq_strndup(struct solrq *q, const char *s, size_t n)
{
    return arena_strndup(q->mem, s, n);
}

char *sq_strdup(struct solrq *q, const char *s)
{
    return arena_strdup(q->mem, s);
}

/* A growing string (malloc'd); sq_buf_done moves it into the search's memory. */

void sq_buf_putn(struct sq_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->s = xrealloc(b->s, cap);
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
    char *big = xmalloc((size_t)n + 1);
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
    struct solrq *q = xcalloc(1, sizeof(*q));
    q->mem = arena_new();
    q->map = map;
    q->first = first_param;
    return q;
}

void solrq_free(struct solrq *q)
{
    if (!q)
        return;
    arena_free(q->mem);
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
        q->params = xrealloc(q->params, sizeof(*q->params) * (size_t)q->capparams);
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
        q->rank = xrealloc(q->rank, sizeof(char *) * (size_t)q->caprank);
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

