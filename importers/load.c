/* load — the library's entry: the input opened, the sample, the load transaction (load_db.c,
 * with its COPY passes: load_copy.c) tried again while a pass finds wider types, then the
 * indexes (load_index.c) and the raw file's version, and the result. */
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

/* Passes over the file at most: the first, and restarts (one normally suffices: a restart
 * pass checks all the rest of the file). More means the file changes under us. */
#define MAX_ATTEMPTS 4

/* --- the sample ------------------------------------------------------------------------------ */

static int sample_row(void *arg, const struct load_row *row)
{
    struct loader *L = arg;
    load_types_grow(L, L->src->cols.n);
    for (size_t i = 0; i < row->n; i++)
        if (row->val[i] && row->len[i])
            L->mask[i] &= infer_classify(row->val[i], row->len[i]);
    L->rows++;
    if ((L->rows & 1023) == 0 && !load_pass_tick(L))
        return 1;
    return L->rows >= L->o->sample_rows;
}

/* Types from the sample. */
static int sample(struct loader *L, char **err)
{
    load_pass_start(L, "sampling");
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
    load_types_grow(L, L->src->cols.n);
    for (size_t i = 0; i < L->src->cols.n; i++)
        L->type[i] = infer_pick(L->mask[i]);
    L->width = L->src->cols.n;
    return 0;
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
        load_index_build(&L);
        if (load_db_version(&L, err) < 0) {
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
