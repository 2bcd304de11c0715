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

char *sq_buf_done(struct solrq *q, struct sbuf *b)
{
    char *s = sq_strndup(q, b->p ? b->p : "", b->len);
    sbuf_free(b);
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
    struct sbuf b = {0};
    for (int i = 0; i < q->nrank; i++) {
        if (i)
            sbuf_adds(&b, " || ");
        sbuf_adds(&b, q->rank[i]);
    }
    return sq_buf_done((struct solrq *)q, &b);
}

