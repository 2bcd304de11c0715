/* load — sample, COPY passes with restarts, and the dry-run plan; the SQL is in load_db.c. */
#include "load.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load_int.h"
#include "log.h"

/* The COPY buffer is sent when it holds this much (perf-research 3.8: 64-256 KiB chunks). */
#define COPY_FLUSH (192 * 1024)
/* Passes over the file at most: the first, and restarts (one normally suffices: a restart
 * pass checks all the rest of the file). More means the file changes under us. */
#define MAX_ATTEMPTS 4
#define PROGRESS_EVERY_US 250000

/* --- column names ---------------------------------------------------------------------------- */

/* White space at either end of a header: ASCII, NBSP, ideographic space, BOM. */
static size_t space_at(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    if (len >= 1 && (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r')))
        return 1;
    if (len >= 2 && p[0] == 0xC2 && p[1] == 0xA0)
        return 2;
    if (len >= 3 && ((p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) ||
                     (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)))
        return 3;
    return 0;
}

static size_t space_before(const char *s, size_t len)
{
    for (size_t k = 1; k <= 3 && k <= len; k++)
        if (space_at(s + len - k, k) == k)
            return k;
    return 0;
}

/* Control characters as spaces, trimmed, cut to LOAD_NAME_MAX bytes on a character boundary,
 * trimmed again: a name never starts or ends with white space (the Taiwan API's fields and
 * sort refuse such names). */
static char *clean_name(const char *s, size_t len)
{
    char *out = xstrndup(s, len);
    len = strlen(out);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7F)
            out[i] = ' ';
    const char *p = out;
    size_t k;
    while ((k = space_at(p, len)) > 0)
        p += k, len -= k;
    while ((k = space_before(p, len)) > 0)
        len -= k;
    if (len > LOAD_NAME_MAX) {
        len = LOAD_NAME_MAX + 1;
        do
            len--;
        while (len > 0 && ((unsigned char)p[len] & 0xC0) == 0x80);
        while ((k = space_before(p, len)) > 0)
            len -= k;
    }
    memmove(out, p, len);
    out[len] = '\0';
    return out;
}

static bool name_taken(const struct load_cols *c, const char *name)
{
    if (strcmp(name, "_id") == 0)
        return true;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].name, name) == 0)
            return true;
    return false;
}

/* base, or base_2, base_3 ... (base cut on a character boundary so that all fits 63 bytes). */
static char *unique_name(const struct load_cols *c, char *base)
{
    if (!name_taken(c, base))
        return base;
    char *name = NULL;
    for (int k = 2;; k++) {
        char suffix[16];
        size_t sl = (size_t)snprintf(suffix, sizeof(suffix), "_%d", k), bl = strlen(base);
        while (bl + sl > LOAD_NAME_MAX || (bl > 0 && ((unsigned char)base[bl] & 0xC0) == 0x80))
            bl--;
        free(name);
        name = xasprintf("%.*s%s", (int)bl, base, suffix);
        if (!name_taken(c, name))
            break;
    }
    free(base);
    return name;
}

size_t load_cols_add_as(struct load_cols *c, const char *orig, size_t olen, const char *name,
                        size_t nlen)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
    }
    char *clean = clean_name(name, nlen);
    if (!*clean) {
        free(clean);
        clean = xasprintf("column_%zu", c->n + 1);
    }
    c->v[c->n].name = unique_name(c, clean);
    c->v[c->n].orig = xstrndup(orig, olen);
    return c->n++;
}

size_t load_cols_add(struct load_cols *c, const char *orig, size_t len)
{
    return load_cols_add_as(c, orig, len, orig, len);
}

void load_cols_clear(struct load_cols *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].name);
        free(c->v[i].orig);
    }
    free(c->v);
    memset(c, 0, sizeof(*c));
}

/* --- progress ------------------------------------------------------------------------------- */

static void progress(struct loader *L, bool done)
{
    if (!L->tty)
        return;
    int64_t now = util_now_us();
    if (!done && now - L->shown_us < PROGRESS_EVERY_US)
        return;
    L->shown_us = now;
    double secs = (double)(now - L->pass_us) / 1e6;
    uint64_t got = enc_consumed(L->src->enc), size = enc_size(L->src->enc);
    double mbs = secs > 0 ? (double)got / 1e6 / secs : 0;
    int pct = size ? (int)(100.0 * (double)got / (double)size) : 0;
    long eta = mbs > 0 && size > got ? (long)((double)(size - got) / 1e6 / mbs) : 0;
    fprintf(stderr, "\r%s: %s %" PRId64 " rows, %.1f MB/s, %d%%, ETA %ld:%02ld\033[K",
            log_progname, L->what, L->rows, mbs, pct, eta / 60, eta % 60);
    if (done)
        fputc('\n', stderr);
    L->progress_shown = true;
}

static void pass_start(struct loader *L, const char *what)
{
    L->what = what;
    L->rows = 0;
    L->pass_us = L->shown_us = util_now_us();
}

/* --- type state ----------------------------------------------------------------------------- */

/* Room for n columns; new ones start with every type possible. */
static void types_grow(struct loader *L, size_t n)
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

static int sample_row(void *arg, const struct load_row *row)
{
    struct loader *L = arg;
    types_grow(L, L->src->cols.n);
    for (size_t i = 0; i < row->n; i++)
        if (row->val[i] && row->len[i])
            L->mask[i] &= infer_classify(row->val[i], row->len[i]);
    L->rows++;
    if ((L->rows & 1023) == 0)
        progress(L, false);
    return L->rows >= L->o->sample_rows;
}

/* Types from the sample. */
static int sample(struct loader *L, char **err)
{
    pass_start(L, "sampling");
    int r = L->src->run(L->src->ctx, sample_row, L, err);
    if (r < 0)
        return -1;
    L->sampled = L->rows;
    L->sample_whole = r == 0;
    types_grow(L, L->src->cols.n);
    for (size_t i = 0; i < L->src->cols.n; i++)
        L->type[i] = infer_pick(L->mask[i]);
    L->width = L->src->cols.n;
    return 0;
}

/* --- COPY rows ------------------------------------------------------------------------------ */

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
        log_info("%s:%ld: %s; the load restarts with the new table layout", L->src->path, line,
                 why);
    else
        log_debug("%s:%ld: %s", L->src->path, line, why);
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
    types_grow(L, L->src->cols.n);
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
        if (L->out.len >= COPY_FLUSH && !load_db_send(L))
            return 1;
    }
    if ((L->rows & 1023) == 0)
        progress(L, false);
    return 0;
}

/* One pass of COPY rows; 0 done, 1 a restart is needed, -1 error. */
int load_copy_pass(struct loader *L, char **err)
{
    pass_start(L, L->attempt ? "reloading" : "loading");
    L->restart = false;
    L->out.len = 0;
    put_header(L);
    int r = L->src->run(L->src->ctx, copy_row, L, err);
    progress(L, true);
    if (L->err) { /* the database failed: copy_row stopped the pass */
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
    return load_db_send(L) ? 0 : -1;
}

/* --- dry run -------------------------------------------------------------------------------- */

static void print_plan(const struct loader *L)
{
    const struct load_source *s = L->src;
    printf("file: %s\nsize: %" PRIu64 " bytes\nformat: %s\n", s->path, enc_size(s->enc),
           s->format);
    printf("encoding: %s (%s%s)\n", enc_name(s->enc), enc_detected(s->enc) ? "detected" : "given",
           enc_bom(s->enc) ? ", BOM" : "");
    if (s->delimiter)
        printf("delimiter: %s\n", s->delimiter == '\t' ? "tab" : (char[]){s->delimiter, 0});
    if (s->record)
        printf("record: %s\n", s->record);
    printf("sample: %" PRId64 " rows (%s)\n", L->sampled,
           L->sample_whole ? "the whole file" : "the file has more");
    printf("fields: %zu\n", s->cols.n);
    for (size_t i = 0; i < s->cols.n; i++) {
        const struct load_col *c = &s->cols.v[i];
        printf("  %s  %s", c->name, infer_sql_name(L->type[i]));
        if (strcmp(c->name, c->orig) != 0)
            printf("  (header \"%s\")", c->orig);
        putchar('\n');
    }
    fflush(stdout);
}

/* --- the import ----------------------------------------------------------------------------- */

static int load_all(struct loader *L, char **err)
{
    for (L->attempt = 0; L->attempt < MAX_ATTEMPTS; L->attempt++) {
        int r = load_db_attempt(L, err);
        if (r <= 0)
            return r;
    }
    *err = xasprintf("%s: the column types changed on every pass; is the file being written?",
                     L->src->path);
    return -1;
}

int load_run(struct load_source *src, const struct load_opts *o, char **err)
{
    struct loader L = {.src = src, .o = o, .tty = isatty(2) == 1};
    int64_t t0 = util_now_us();
    int rc = -1;
    if (!o->dry_run && !load_db_prepare(&L, err))
        goto done;
    if (sample(&L, err) < 0)
        goto done;
    if (o->dry_run) {
        print_plan(&L);
        rc = 0;
        goto done;
    }
    if (load_all(&L, err) < 0)
        goto done;
    double secs = (double)(util_now_us() - t0) / 1e6;
    log_info("%s: %" PRId64 " rows, %zu fields loaded into resource %s in %.2f s", src->path,
             L.rows, L.width, o->resource_id, secs);
    rc = load_db_after(&L, err);
done:
    load_db_finish(&L);
    free(L.mask);
    free(L.type);
    free(L.out.p);
    free(L.err);
    return rc;
}
