/* csv_in — CSV → rows: libcsv parses, we keep the fields of one record in reused buffers. */
#include "csv_in.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* libcsv's parser states (csv.c's ROW_NOT_BEGUN and FIELD_BEGUN, not in its header). A line
 * starting between records starts one, which gives records their line numbers; a quoted field
 * still open at the end of the file is an error (CSV_STRICT_FINI only works with CSV_STRICT,
 * which would also refuse stray quotes that messy files are full of). */
#define CSVIN_ROW_NOT_BEGUN 0
#define CSVIN_FIELD_BEGUN 2
/* Records looked at for delimiter detection. */
#define DETECT_RECORDS 50

struct csvin {
    struct load_source *src;
    struct csv_parser p;
    bool header_done;       /* this pass has seen the header */
    bool header_known;      /* an earlier pass has set up the columns */
    /* The record being read: field bytes in buf, field i at buf[off[i]], flen[i] bytes. */
    char *buf;
    size_t blen, bcap;
    size_t *off, *flen;
    const char **val;
    size_t nf, fcap;
    long line, row_line;
    load_row_fn fn;
    void *arg;
    int stop;               /* 1: fn stopped the pass; -1: error in err */
    char *err;
};

bool csvin_parse_delim(const char *s, char *out, char **err)
{
    if (strcasecmp(s, "auto") == 0)
        *out = 0;
    else if (strcasecmp(s, "tab") == 0 || strcmp(s, "\\t") == 0)
        *out = '\t';
    else if (strlen(s) == 1 && !strchr("\"\r\n", s[0]) && (unsigned char)s[0] < 0x80)
        *out = s[0];
    else {
        *err = xasprintf("--delimiter: expected auto, tab or one character, got \"%s\"", s);
        return false;
    }
    return true;
}

/* Per record of the sample, how often each candidate appears outside quotes. */
static int count_delims(const char *s, size_t len, const char *cands, size_t nc,
                        unsigned (*counts)[3])
{
    unsigned cur[3] = {0};
    bool quoted = false, any = false;
    int nrec = 0;
    for (size_t i = 0; i < len && nrec < DETECT_RECORDS; i++) {
        char c = s[i];
        if (c == '"')
            quoted = !quoted;
        if (!quoted && (c == '\n' || c == '\r')) {
            if (any)
                memcpy(counts[nrec++], cur, sizeof(cur));
            memset(cur, 0, sizeof(cur));
            any = false;
            continue;
        }
        any = true;
        for (size_t k = 0; k < nc && !quoted; k++)
            cur[k] += c == cands[k];
    }
    if (any && nrec == 0) /* a header without a line break: the whole file */
        memcpy(counts[nrec++], cur, sizeof(cur));
    return nrec;
}

char csvin_detect_delim(const char *s, size_t len)
{
    static const char cands[3] = {',', '\t', ';'};
    unsigned counts[DETECT_RECORDS][3];
    int nrec = count_delims(s, len, cands, 3, counts);
    int best = 0, best_same = -1;
    unsigned best_fields = 0;
    for (int k = 0; k < 3 && nrec > 0; k++) {
        unsigned h = counts[0][k];
        int same = 0;
        for (int r = 1; r < nrec; r++)
            same += counts[r][k] == h;
        if (h > 0 && (same > best_same || (same == best_same && h > best_fields)))
            best = k, best_same = same, best_fields = h;
    }
    return cands[best];
}

static void grow_fields(struct csvin *c)
{
    c->fcap = c->fcap ? 2 * c->fcap : 32;
    c->off = xrealloc(c->off, c->fcap * sizeof(*c->off));
    c->flen = xrealloc(c->flen, c->fcap * sizeof(*c->flen));
    c->val = xrealloc(c->val, c->fcap * sizeof(*c->val));
}

/* libcsv: one field of the current record (bytes in libcsv's buffer, copied). */
static void on_field(void *data, size_t len, void *arg)
{
    struct csvin *c = arg;
    if (c->stop)
        return;
    if (c->nf == LOAD_COLS_MAX + 1) {
        c->err = xasprintf("%s:%ld: more than %d fields in a record", c->src->path,
                           c->row_line, LOAD_COLS_MAX);
        c->stop = -1;
        return;
    }
    if (c->nf == c->fcap)
        grow_fields(c);
    if (c->blen + len + 1 > c->bcap) {
        c->bcap = 2 * (c->blen + len + 1);
        c->buf = xrealloc(c->buf, c->bcap);
    }
    memcpy(c->buf + c->blen, data ? data : "", len);
    c->buf[c->blen + len] = '\0';
    c->off[c->nf] = c->blen;
    c->flen[c->nf++] = len;
    c->blen += len + 1;
}

/* The header: trailing empty names are dropped (lines ending in a delimiter); the columns are
 * set up on the first pass only (later passes see the same header). */
static void take_header(struct csvin *c)
{
    c->header_done = true;
    if (c->header_known)
        return;
    c->header_known = true;
    size_t n = c->nf;
    while (n > 0 && strspn(c->buf + c->off[n - 1], " \t") >= c->flen[n - 1])
        n--;
    for (size_t i = 0; i < n; i++)
        load_cols_add(&c->src->cols, c->buf + c->off[i], c->flen[i]);
}

/* A data record: empty fields past the columns are ignored, other ones add columns. */
static void take_record(struct csvin *c)
{
    struct load_cols *cols = &c->src->cols;
    size_t n = c->nf, used = 0;
    while (n > cols->n && c->flen[n - 1] == 0)
        n--;
    for (size_t i = 0; i < n; i++) {
        c->val[i] = c->buf + c->off[i];
        used += c->flen[i] != 0;
    }
    if (used == 0)
        return;
    while (cols->n < n)
        load_cols_add(cols, "", 0);
    struct load_row row = {n, c->val, c->flen, c->row_line};
    if (c->fn(c->arg, &row))
        c->stop = 1;
}

/* libcsv: end of a record. */
static void on_record(int term, void *arg)
{
    struct csvin *c = arg;
    (void)term;
    if (!c->stop) {
        if (!c->header_done)
            take_header(c);
        else
            take_record(c);
    }
    c->nf = c->blen = 0;
}

/* Feed one chunk line by line, so that each record knows the line it starts on. */
static void feed(struct csvin *c, const char *s, size_t n)
{
    const char *end = s + n;
    while (s < end && !c->stop) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *next = nl ? nl + 1 : end;
        if (c->p.pstate == CSVIN_ROW_NOT_BEGUN)
            c->row_line = c->line;
        if (csv_parse(&c->p, s, (size_t)(next - s), on_field, on_record, c) !=
            (size_t)(next - s)) {
            c->err = xasprintf("%s:%ld: %s", c->src->path, c->line,
                               csv_strerror(csv_error(&c->p)));
            c->stop = -1;
        }
        c->line += nl != NULL;
        s = next;
    }
}

static int is_space_only(unsigned char ch)
{
    return ch == ' ';
}

static bool begin_pass(struct csvin *c, load_row_fn fn, void *arg, char **err)
{
    if (!enc_rewind(c->src->enc, err))
        return false;
    csv_init(&c->p, 0);
    csv_set_realloc_func(&c->p, xrealloc);
    c->fn = fn;
    c->arg = arg;
    c->stop = 0;
    c->header_done = false;
    c->nf = c->blen = 0;
    c->line = c->row_line = 1;
    return true;
}

/* The delimiter, once, from the first chunk; libcsv is told it before parsing. */
static void set_delim(struct csvin *c, const char *s, size_t n)
{
    if (!c->src->delimiter)
        c->src->delimiter = csvin_detect_delim(s, n);
    csv_set_delim(&c->p, (unsigned char)c->src->delimiter);
    /* libcsv trims spaces and tabs around unquoted fields; a tab delimiter is not a space. */
    if (c->src->delimiter == '\t')
        csv_set_space_func(&c->p, is_space_only);
}

static int end_pass(struct csvin *c, char **err)
{
    if (c->stop == 0 && c->p.pstate == CSVIN_FIELD_BEGUN && c->p.quoted)
        c->err = xasprintf("%s:%ld: a quoted field is not closed before the end of the file",
                           c->src->path, c->row_line);
    else if (c->stop == 0)
        csv_fini(&c->p, on_field, on_record, c);
    csv_free(&c->p);
    if (c->err) {
        *err = c->err;
        c->err = NULL;
        return -1;
    }
    if (c->stop == 0 && !c->header_done) {
        *err = xasprintf("%s: empty file (no header line)", c->src->path);
        return -1;
    }
    return c->stop;
}

static int csvin_run(void *ctx, load_row_fn fn, void *arg, char **err)
{
    struct csvin *c = ctx;
    if (!begin_pass(c, fn, arg, err))
        return -1;
    bool first = true;
    const char *chunk;
    ssize_t n = 0;
    while (!c->stop && (n = enc_read(c->src->enc, &chunk, err)) > 0) {
        if (first)
            set_delim(c, chunk, (size_t)n);
        first = false;
        feed(c, chunk, (size_t)n);
    }
    if (!c->stop && n < 0) {
        csv_free(&c->p);
        return -1;
    }
    return end_pass(c, err);
}

bool csvin_open(struct load_source *src, struct enc *e, const char *path, char delim, char **err)
{
    (void)err; /* nothing can fail yet: the file was opened by enc */
    memset(src, 0, sizeof(*src));
    src->enc = e;
    struct csvin *c = xcalloc(1, sizeof(*c));
    c->src = src;
    src->format = "csv";
    src->path = path;
    src->delimiter = delim;
    src->ctx = c;
    src->run = csvin_run;
    return true;
}

void csvin_close(struct load_source *src)
{
    struct csvin *c = src->ctx;
    if (c) {
        free(c->buf);
        free(c->off);
        free(c->flen);
        free(c->val);
        free(c->err);
        free(c);
    }
    enc_free(src->enc);
    load_cols_clear(&src->cols);
    memset(src, 0, sizeof(*src));
}
