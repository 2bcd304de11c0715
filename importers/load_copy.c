/* load_copy — one pass of the file's rows as COPY data in PostgreSQL's binary format, checking
 * every value against its column's type; a value or row the table cannot take marks the pass
 * for a restart with the wider layout. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "load_int.h"

/* The COPY buffer is sent when it holds this much (perf-research 3.8: 64-256 KiB chunks). */
#define COPY_FLUSH (192 * 1024)

/* Room for n columns; new ones start with every type possible. */
void load_types_grow(struct loader *L, size_t n)
{
    if (n <= L->ncap)
        return;
    size_t old = L->ncap;
    L->ncap = 2 * n + 16;
    L->mask = xrealloc(L->mask, L->ncap * sizeof(*L->mask));
    L->type = xrealloc(L->type, L->ncap * sizeof(*L->type));
    for (size_t i = old; i < L->ncap; i++) {
        L->mask[i] = INFER_ANY;
        L->type[i] = INFER_TEXT;
    }
}

static void out_reserve(struct loader *L, size_t n)
{
    if (L->out.len + n > L->out.cap) {
        L->out.cap = 2 * (L->out.len + n);
        L->out.p = xrealloc(L->out.p, L->out.cap);
    }
}

static char *put_be(char *p, uint64_t v, int bytes)
{
    for (int k = bytes - 1; k >= 0; k--, v >>= 8)
        p[k] = (char)(v & 0xFF);
    return p + bytes;
}

/* COPY's binary format (not text): the server then skips parsing numbers and dates, which is
 * about half its work on typed columns (text COPY measured 25-30% slower here, end to end).
 * The header goes before the first row, the trailer after the last. */
static void put_header(struct loader *L)
{
    static const char sig[11] = "PGCOPY\n\377\r\n";
    out_reserve(L, 19);
    memcpy(L->out.p, sig, 11);
    memset(L->out.p + 11, 0, 8); /* flags, header extension length */
    L->out.len = 19;
}

static void put_trailer(struct loader *L)
{
    out_reserve(L, 2);
    put_be(L->out.p + L->out.len, 0xFFFF, 2);
    L->out.len += 2;
}

/* One COPY tuple: _id, then every column of the table (NULL for missing and empty values).
 * Every value was checked against its column's type by copy_row. */
static void put_row(struct loader *L, const struct load_row *row)
{
    out_reserve(L, 14 + 4 * L->width);
    char *d = L->out.p + L->out.len;
    d = put_be(d, 1 + L->width, 2);
    d = put_be(d, 8, 4);
    d = put_be(d, (uint64_t)L->rows, 8);
    for (size_t i = 0; i < L->width; i++) {
        const char *v = i < row->n ? row->val[i] : NULL;
        size_t n = v ? row->len[i] : 0;
        if (n == 0) {
            d = put_be(d, 0xFFFFFFFF, 4);
            continue;
        }
        L->out.len = (size_t)(d - L->out.p);
        out_reserve(L, 4 + INFER_BIN_MAX(n) + 4 * (L->width - i));
        d = L->out.p + L->out.len;
        size_t k = infer_binary(L->type[i], v, n, d + 4);
        put_be(d, k, 4);
        d += 4 + k;
    }
    L->out.len = (size_t)(d - L->out.p);
}

/* A value or a row that does not fit the table: go on reading without loading, to learn all
 * the changes in one pass, and load again from the start with them. */
static void need_restart(struct loader *L, long line, const char *why)
{
    if (!L->restart)
        load_log(L, LOAD_INFO, "%s:%ld: %s; the load restarts with the new table layout",
                 L->src->path, line, why);
    else
        load_log(L, LOAD_DEBUG, "%s:%ld: %s", L->src->path, line, why);
    L->restart = true;
    L->what = "rescanning";
}

/* At most max bytes of s, not cutting a UTF-8 character. */
static int utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return (int)len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return (int)max;
}

/* A value that breaks its column's type: the column widens to what fits all values seen. */
static void widen(struct loader *L, size_t i, unsigned m, const struct load_row *row)
{
    enum infer_type old = L->type[i];
    L->mask[i] &= m;
    L->type[i] = infer_pick(L->mask[i]);
    char *why = xasprintf("column \"%s\": value \"%.*s\" is not %s, the column becomes %s",
                          L->src->cols.v[i].name, utf8_cut(row->val[i], row->len[i], 40),
                          row->val[i], infer_sql_name(old), infer_sql_name(L->type[i]));
    need_restart(L, row->line, why);
    free(why);
}

static int copy_row(void *arg, const struct load_row *row)
{
    struct loader *L = arg;
    L->rows++;
    load_types_grow(L, L->src->cols.n);
    if (row->n > L->width && !L->restart) {
        char *why = xasprintf("a row has %zu fields, the table %zu", row->n, L->width);
        need_restart(L, row->line, why);
        free(why);
    }
    for (size_t i = 0; i < row->n; i++) {
        if (!row->val[i] || !row->len[i] || (i < L->width && L->type[i] == INFER_TEXT))
            continue;
        unsigned m = infer_classify(row->val[i], row->len[i]);
        if (i >= L->width)
            L->mask[i] &= m; /* a new column: typed when the load restarts */
        else if (!(m & INFER_BIT(L->type[i])))
            widen(L, i, m, row);
    }
    if (!L->restart) {
        put_row(L, row);
        if (L->out.len >= COPY_FLUSH && !load_sql_send(L))
            return 1;
    }
    if ((L->rows & 1023) == 0 && !load_pass_tick(L))
        return 1;
    return 0;
}

/* One pass of COPY rows; 0 done, 1 a restart is needed, -1 error. */
int load_copy_pass(struct loader *L, char **err)
{
    load_pass_start(L, L->attempt ? "reloading" : "loading");
    L->restart = false;
    L->out.len = 0;
    put_header(L);
    int r = L->src->run(L->src->ctx, copy_row, L, err);
    load_pass_progress(L, true);
    if (L->err) { /* the database failed or the load was cancelled: copy_row stopped the pass */
        *err = L->err;
        L->err = NULL;
        return -1;
    }
    if (r < 0)
        return -1;
    if (L->restart) {
        for (size_t i = L->width; i < L->src->cols.n; i++)
            L->type[i] = infer_pick(L->mask[i]);
        L->width = L->src->cols.n;
        return 1;
    }
    put_trailer(L);
    return load_sql_send(L) ? 0 : -1;
}
