/* load — the library's entry: the input opened, the sample, COPY passes with restarts, the
 * result; the SQL is in load_db.c. */
#include "load.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_in.h"
#include "load_int.h"
#include "xml_in.h"

/* The COPY buffer is sent when it holds this much (perf-research 3.8: 64-256 KiB chunks). */
#define COPY_FLUSH (192 * 1024)
/* Passes over the file at most: the first, and restarts (one normally suffices: a restart
 * pass checks all the rest of the file). More means the file changes under us. */
#define MAX_ATTEMPTS 4
#define PROGRESS_EVERY_US 250000

/* --- log lines, progress ----------------------------------------------------------------------- */

void load_log(struct loader *L, enum load_level level, const char *fmt, ...)
{
    if (!L->o->log || (level == LOAD_DEBUG && !L->o->debug))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *line = util_vformat(fmt, ap);
    va_end(ap);
    L->o->log(L->o->arg, level, line ? line : fmt);
    free(line);
}

static void progress(struct loader *L, bool done)
{
    if (!L->o->progress)
        return;
    int64_t now = util_now_us();
    if (!done && now - L->shown_us < PROGRESS_EVERY_US)
        return;
    L->shown_us = now;
    struct load_progress p = {L->what, L->rows, enc_consumed(L->src->enc), enc_size(L->src->enc),
                              0, 0, now - L->pass_us, done};
    L->o->progress(L->o->arg, &p);
}

void load_phase(struct loader *L, const char *what, int step, int steps, uint64_t bytes,
                uint64_t size, bool done)
{
    if (!L->o->progress)
        return;
    int64_t now = util_now_us();
    if (L->what != what) {
        L->what = what;
        L->pass_us = now;
    } else if (!done && now - L->shown_us < PROGRESS_EVERY_US) {
        return;
    }
    L->shown_us = now;
    struct load_progress p = {what, L->rows, bytes, size, step, steps, now - L->pass_us, done};
    L->o->progress(L->o->arg, &p);
}

/* Every 1024 rows: progress, and whether the caller wants the load stopped. */
static bool tick(struct loader *L)
{
    progress(L, false);
    if (!L->o->cancelled || !L->o->cancelled(L->o->arg))
        return true;
    free(L->err);
    L->err = xstrdup("the load was cancelled");
    return false;
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
    if ((L->rows & 1023) == 0 && !tick(L))
        return 1;
    return L->rows >= L->o->sample_rows;
}

/* Types from the sample. */
static int sample(struct loader *L, char **err)
{
    pass_start(L, "sampling");
    int r = L->src->run(L->src->ctx, sample_row, L, err);
    if (L->err) { /* cancelled */
        *err = L->err;
        L->err = NULL;
        return -1;
    }
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
    if ((L->rows & 1023) == 0 && !tick(L))
        return 1;
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
    return load_db_send(L) ? 0 : -1;
}

/* --- the result ---------------------------------------------------------------------------- */

static void fill_result(const struct loader *L, struct load_result *res)
{
    const struct load_source *s = L->src;
    res->format = s->format;
    res->size = enc_size(s->enc);
    res->encoding = enc_name(s->enc);
    res->encoding_detected = enc_detected(s->enc);
    res->bom = enc_bom(s->enc);
    res->delimiter = s->delimiter;
    res->record = s->record ? xstrdup(s->record) : NULL;
    res->sampled = L->sampled;
    res->sample_whole = L->sample_whole;
    /* A dry run shows every column found; a load, those of the table. */
    res->nfields = L->o->dry_run ? s->cols.n : L->width;
    res->fields = xcalloc(res->nfields + 1, sizeof(*res->fields));
    for (size_t i = 0; i < res->nfields; i++) {
        res->fields[i].name = xstrdup(s->cols.v[i].name);
        res->fields[i].orig = xstrdup(s->cols.v[i].orig);
        res->fields[i].type = infer_sql_name(L->type[i]);
    }
    res->rows = L->o->dry_run ? 0 : L->rows;
    res->data_version = L->data_version;
    res->version_stored = L->version_stored;
}

void load_result_clear(struct load_result *res)
{
    for (size_t i = 0; i < res->nfields; i++) {
        free(res->fields[i].name);
        free(res->fields[i].orig);
    }
    free(res->fields);
    free(res->record);
    memset(res, 0, sizeof(*res));
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

int load_source_run(struct load_source *src, const struct load_opts *o, struct load_result *res,
                    char **err)
{
    struct loader L = {.src = src, .o = o};
    memset(res, 0, sizeof(*res));
    int64_t t0 = util_now_us();
    int rc = -1;
    if (!o->dry_run && !load_db_prepare(&L, err))
        goto done;
    if (sample(&L, err) < 0)
        goto done;
    if (!o->dry_run) {
        if (load_all(&L, err) < 0)
            goto done;
        double secs = (double)(util_now_us() - t0) / 1e6;
        load_log(&L, LOAD_INFO,
                 "%s: %" PRId64 " rows, %zu fields loaded into resource %s in %.2f s", src->path,
                 L.rows, L.width, o->resource_id, secs);
        int64_t t1 = util_now_us();
        if (load_db_after(&L, err) < 0) {
            fill_result(&L, res);
            goto done;
        }
        int64_t t2 = util_now_us();
        load_log(&L, LOAD_INFO, "%s: indexes and version done in %.2f s (%.2f s in all)",
                 src->path, (double)(t2 - t1) / 1e6, (double)(t2 - t0) / 1e6);
    }
    fill_result(&L, res);
    rc = 0;
done:
    load_db_finish(&L);
    free(L.mask);
    free(L.type);
    free(L.out.p);
    free(L.err);
    return rc;
}

bool load_parse_encoding(const char *name, enum enc_kind *kind, char **err)
{
    return enc_parse_name(name, kind, err);
}

bool load_parse_delimiter(const char *s, char *delim, char **err)
{
    return csvin_parse_delim(s, delim, err);
}

/* The input as a descriptor of the load's own. */
static struct enc *open_input(const struct load_opts *o, char **err)
{
    if (!o->from_fd)
        return enc_open(o->path, o->encoding, err);
    int fd = fcntl(o->fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        *err = xasprintf("%s: %s", o->path, strerror(errno));
        return NULL;
    }
    return enc_open_fd(fd, o->path, o->encoding, err);
}

int load_file(const struct load_opts *o, struct load_result *res, char **err)
{
    memset(res, 0, sizeof(*res));
    bool xml = strcmp(o->format, "xml") == 0;
    if (!xml && strcmp(o->format, "csv") != 0) {
        *err = xasprintf("%s: unknown format \"%s\" (csv or xml)", o->path, o->format);
        return -1;
    }
    struct enc *e = open_input(o, err);
    if (!e)
        return -1;
    struct load_source src;
    if (!(xml ? xmlin_open(&src, e, o->path, o->record, err)
              : csvin_open(&src, e, o->path, o->delimiter, err)))
        return -1;
    int rc = load_source_run(&src, o, res, err);
    xml ? xmlin_close(&src) : csvin_close(&src);
    return rc;
}
