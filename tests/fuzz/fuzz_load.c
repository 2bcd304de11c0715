/* fuzz_load — shared by fuzz_csv.c and fuzz_xml.c (see fuzz_load.h). */
#include "fuzz_load.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "infer.h"
#include "load_int.h"
#include "util.h"

#define FAIL(...)                                                                            \
    do {                                                                                     \
        fprintf(stderr, "fuzz_load: " __VA_ARGS__);                                          \
        fputc('\n', stderr);                                                                 \
        abort();                                                                             \
    } while (0)

enum enc_kind fuzz_load_kind(uint8_t opt)
{
    static const enum enc_kind kinds[4] = {ENC_AUTO, ENC_UTF8, ENC_CP950, ENC_AUTO};
    return kinds[opt & 3];
}

long fuzz_load_sample(uint8_t opt)
{
    static const long sizes[4] = {1000, 1, 2, 7};
    return sizes[(opt >> 5) & 3];
}

const char *fuzz_load_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz_input", 0);
        if (fd < 0)
            FAIL("memfd_create: %s", strerror(errno));
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        FAIL("writing the input: %s", strerror(errno));
    return path;
}

/* ---- enc ------------------------------------------------------------------------------------ */

struct text {
    char *p;
    size_t len;
    char *err;
};

/* One pass of enc_read: the text and the error (NULL at a clean end). */
static void read_all(struct enc *e, struct text *t)
{
    const char *chunk;
    ssize_t n;
    memset(t, 0, sizeof(*t));
    while ((n = enc_read(e, &chunk, &t->err)) > 0) {
        if (memchr(chunk, '\0', (size_t)n) || !util_utf8_valid(chunk, (size_t)n))
            FAIL("enc_read gave a chunk that is not UTF-8 without NUL");
        t->p = xrealloc(t->p, t->len + (size_t)n + 1);
        memcpy(t->p + t->len, chunk, (size_t)n);
        t->len += (size_t)n;
    }
    if (n < 0 && !t->err)
        FAIL("enc_read failed without a message");
}

static void sha256_hex(const uint8_t *data, size_t size, char hex[65])
{
    unsigned char d[32];
    unsigned n = 0;
    EVP_Digest(data, size, d, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

void fuzz_load_check_enc(const char *path, const uint8_t *data, size_t size, enum enc_kind kind)
{
    char *err = NULL;
    struct enc *e = enc_open(path, kind, &err);
    if (!e)
        FAIL("enc_open: %s", err);
    struct text a, b;
    read_all(e, &a);
    if (!enc_rewind(e, &err))
        FAIL("enc_rewind: %s", err);
    read_all(e, &b);
    if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len) != 0) || !a.err != !b.err ||
        (a.err && strcmp(a.err, b.err) != 0))
        FAIL("a rewound pass read differently (%zu vs %zu bytes; %s | %s)", a.len, b.len,
             a.err ? a.err : "ok", b.err ? b.err : "ok");
    if (!a.err) {
        char hex[65];
        sha256_hex(data, size, hex);
        if (strcmp(hex, enc_sha256(e)) != 0 || enc_consumed(e) != size || enc_size(e) != size)
            FAIL("hash or size differs from the file's");
        size_t skip = enc_bom(e) ? 3 : 0;
        if (strcmp(enc_name(e), "utf-8") == 0 &&
            (a.len != size - skip || (a.len && memcmp(a.p, data + skip, a.len) != 0)))
            FAIL("UTF-8 text changed on the way (%zu bytes in, %zu out)", size, a.len);
    }
    free(a.p);
    free(a.err);
    free(b.p);
    free(b.err);
    enc_free(e);
}

/* ---- values: type classification and binary forms, checked against an independent reading -- */

static uint64_t get_be(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

/* Days from 1970-01-01 (H. Hinnant's days_from_civil). */
static long long civil_days(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

/* A number read from s at *i (digits only). */
static long long num_at(const char *s, size_t len, size_t *i)
{
    long long v = 0;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9')
        v = v * 10 + (s[(*i)++] - '0');
    return v;
}

/* Microseconds since 2000-01-01 of "Y-M-D[ H:MM[:SS[.f]]]" (also '/' and 'T'); days in *days. */
static long long datetime_us(const char *s, size_t len, long long *days)
{
    size_t i = 0;
    long long y = num_at(s, len, &i);
    i++;
    long long mo = num_at(s, len, &i);
    i++;
    long long d = num_at(s, len, &i);
    *days = civil_days(y, (unsigned)mo, (unsigned)d) - civil_days(2000, 1, 1);
    long long h = 0, mi = 0, sec = 0, us = 0;
    if (i < len) {
        i++;
        h = num_at(s, len, &i);
        i++;
        mi = num_at(s, len, &i);
        if (i < len && s[i] == ':') {
            i++;
            sec = num_at(s, len, &i);
        }
        if (i < len && s[i] == '.') {
            size_t f = ++i;
            us = num_at(s, len, &i);
            for (size_t k = i - f; k < 6; k++)
                us *= 10;
        }
    }
    return ((*days * 24 + h) * 60 + mi) * 60000000LL + sec * 1000000LL + us;
}

/* PostgreSQL's text form of a binary numeric. */
static char *numeric_text(const unsigned char *b, size_t n)
{
    int nd = (int)get_be(b, 2), weight = (int16_t)get_be(b + 2, 2), sign = (int)get_be(b + 4, 2),
        dscale = (int)get_be(b + 6, 2);
    if (n != 8 + 2 * (size_t)nd || (sign != 0 && sign != 0x4000) || dscale < 0)
        FAIL("numeric: malformed header");
    char *out = xmalloc(16 + 4 * (size_t)(nd + (weight > 0 ? weight : 0)) + (size_t)dscale);
    char *w = out;
    if (sign)
        *w++ = '-';
    if (weight < 0)
        *w++ = '0';
    for (int g = 0; g <= weight; g++) {
        unsigned v = g < nd ? (unsigned)get_be(b + 8 + 2 * g, 2) : 0;
        if (v > 9999)
            FAIL("numeric: digit group %u", v);
        w += sprintf(w, g ? "%04u" : "%u", v);
    }
    if (dscale > 0) {
        *w++ = '.';
        for (int k = 0; k < dscale; k++) {
            int g = weight + 1 + k / 4;
            unsigned v = g >= 0 && g < nd ? (unsigned)get_be(b + 8 + 2 * g, 2) : 0;
            static const unsigned div[4] = {1000, 100, 10, 1};
            *w++ = (char)('0' + v / div[k % 4] % 10);
        }
    }
    *w = '\0';
    return out;
}

/* The binary form of s as type t must read back as s. */
static void check_binary(enum infer_type t, const char *s, size_t len)
{
    unsigned char *out = xmalloc(INFER_BIN_MAX(len)); /* exactly the promised room */
    size_t n = infer_binary(t, s, len, (char *)out);
    long long days, want;
    switch (t) {
    case INFER_BOOL:
        if (n != 1 || out[0] != ((s[0] | 0x20) == 't'))
            FAIL("bool %.*s", (int)len, s);
        break;
    case INFER_INT4:
    case INFER_INT8: {
        errno = 0;
        char *end;
        char *z = xstrndup(s, len);
        want = strtoll(z, &end, 10);
        bool bad = errno || *end || (t == INFER_INT4 && (want < INT32_MIN || want > INT32_MAX));
        free(z);
        long long got = t == INFER_INT4 ? (int32_t)get_be(out, 4) : (int64_t)get_be(out, 8);
        if (bad || n != (t == INFER_INT4 ? 4u : 8u) || got != want)
            FAIL("%s %.*s read back as %lld", infer_sql_name(t), (int)len, s, got);
        break;
    }
    case INFER_NUMERIC: {
        char *back = numeric_text(out, n);
        if (strlen(back) != len || memcmp(back, s, len) != 0)
            FAIL("numeric %.*s read back as %s", (int)len, s, back);
        free(back);
        break;
    }
    case INFER_DATE:
    case INFER_TIMESTAMP:
        want = datetime_us(s, len, &days);
        if (t == INFER_DATE ? n != 4 || (int32_t)get_be(out, 4) != days
                            : n != 8 || (int64_t)get_be(out, 8) != want)
            FAIL("%s %.*s read back wrong", infer_sql_name(t), (int)len, s);
        break;
    default:
        if (n != len || memcmp(out, s, len) != 0)
            FAIL("text changed");
    }
    free(out);
}

static void check_value(const char *s, size_t len)
{
    unsigned mask = infer_classify(s, len);
    if (!(mask & INFER_BIT(INFER_TEXT)) || (mask & ~INFER_ANY))
        FAIL("classify %.*s: mask %#x", (int)len, s, mask);
    enum infer_type pick = infer_pick(mask);
    if (!(mask & INFER_BIT(pick)))
        FAIL("pick %s outside the mask", infer_sql_name(pick));
    for (int t = 0; t < INFER_NTYPES; t++) {
        bool fits = mask & INFER_BIT(t);
        if (infer_fits((enum infer_type)t, s, len) != fits)
            FAIL("infer_fits disagrees with infer_classify on %.*s", (int)len, s);
        if (fits)
            check_binary((enum infer_type)t, s, len);
    }
}

/* ---- rows ----------------------------------------------------------------------------------- */

struct rows {
    const struct load_source *src;
    long rows, last_line, max_line;
    size_t value_bytes, max_bytes;
    size_t loaded_width; /* 0: the load failed */
};

static int check_row(void *arg, const struct load_row *row)
{
    struct rows *st = arg;
    if (row->n > st->src->cols.n || row->n == 0)
        FAIL("row of %zu values, %zu columns", row->n, st->src->cols.n);
    if (row->line < 1 || row->line > st->max_line)
        FAIL("row line %ld (the file has %ld lines)", row->line, st->max_line);
    st->last_line = row->line;
    bool any = false;
    for (size_t i = 0; i < row->n; i++) {
        const char *v = row->val[i];
        size_t n = row->len[i];
        if (!v) {
            if (n)
                FAIL("NULL value with a length");
            continue;
        }
        if (strlen(v) != n || !util_utf8_valid(v, n))
            FAIL("value %zu: length or UTF-8 wrong", i);
        any |= n > 0;
        if (n && st->loaded_width && i >= st->loaded_width)
            FAIL("a value in column %zu, the table has %zu: dropped", i, st->loaded_width);
        st->value_bytes += n;
        if (n)
            check_value(v, n);
    }
    if (!any)
        FAIL("a row without any value");
    /* Values are pieces of the file: more bytes than it has (Big5 grows by half) means text
     * came from somewhere else, e.g. an expanded entity. */
    if (st->value_bytes > st->max_bytes)
        FAIL("rows hold %zu bytes of values from a %zu-byte file", st->value_bytes,
             st->max_bytes);
    st->rows++;
    return 0;
}

static void check_cols(const struct load_cols *c)
{
    for (size_t i = 0; i < c->n; i++) {
        const char *name = c->v[i].name;
        size_t n = strlen(name);
        if (n == 0 || n > LOAD_NAME_MAX || !util_utf8_valid(name, n) || strcmp(name, "_id") == 0)
            FAIL("column name \"%s\"", name);
        for (const char *p = name; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                FAIL("control character in column name \"%s\"", name);
        if (name[0] == ' ' || name[n - 1] == ' ')
            FAIL("column name \"%s\" not trimmed", name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->v[j].name, name) == 0)
                FAIL("column name \"%s\" twice", name);
    }
}

/* ---- the SQL without a database: the COPY stream is checked instead of sent ---------------- */

static struct {
    bool need_header, trailer;
    int64_t tuples;
    size_t width; /* columns of the table loaded */
} copy;

static const unsigned char *take(const unsigned char **p, const unsigned char *end, size_t n)
{
    if ((size_t)(end - *p) < n)
        FAIL("COPY data cut short");
    const unsigned char *at = *p;
    *p += n;
    return at;
}

static void check_field(enum infer_type t, const unsigned char *v, size_t n)
{
    static const size_t fixed[] = {[INFER_BOOL] = 1, [INFER_INT4] = 4, [INFER_INT8] = 8,
                                   [INFER_DATE] = 4, [INFER_TIMESTAMP] = 8};
    if (t == INFER_NUMERIC) {
        free(numeric_text(v, n));
    } else if (t == INFER_TEXT) {
        if (n == 0 || memchr(v, '\0', n) || !util_utf8_valid((const char *)v, n))
            FAIL("COPY text field");
    } else if (n != fixed[t] || (t == INFER_BOOL && v[0] > 1)) {
        FAIL("COPY %s field of %zu bytes", infer_sql_name(t), n);
    }
}

static void check_copy(const struct loader *L, const unsigned char *p, size_t len)
{
    static const char sig[11] = "PGCOPY\n\377\r\n";
    const unsigned char *end = p + len;
    if (copy.trailer)
        FAIL("COPY data after the trailer");
    if (copy.need_header) {
        const unsigned char *h = take(&p, end, 19);
        if (memcmp(h, sig, 11) != 0 || get_be(h + 11, 8) != 0)
            FAIL("COPY header");
        copy.need_header = false;
    }
    while (p < end) {
        unsigned nf = (unsigned)get_be(take(&p, end, 2), 2);
        if (nf == 0xFFFF) {
            if (p != end)
                FAIL("COPY data after the trailer");
            copy.trailer = true;
            return;
        }
        if (nf != 1 + L->width || get_be(take(&p, end, 4), 4) != 8 ||
            (int64_t)get_be(take(&p, end, 8), 8) != ++copy.tuples)
            FAIL("COPY tuple %lld: %u fields for %zu columns, or a wrong _id",
                 (long long)copy.tuples, nf, L->width);
        for (size_t i = 0; i < L->width; i++) {
            uint32_t n = (uint32_t)get_be(take(&p, end, 4), 4);
            if (n != 0xFFFFFFFFu)
                check_field(L->type[i], take(&p, end, n), n);
        }
    }
}

bool load_db_prepare(struct loader *L, char **err)
{
    (void)L, (void)err;
    return true;
}

int load_db_attempt(struct loader *L, char **err)
{
    *err = NULL;
    copy.need_header = true;
    copy.trailer = false;
    copy.tuples = 0;
    return load_copy_pass(L, err);
}

bool load_sql_send(struct loader *L)
{
    check_copy(L, (const unsigned char *)L->out.p, L->out.len);
    L->out.len = 0;
    return true;
}

void load_index_build(struct loader *L)
{
    (void)L;
}

int load_db_version(struct loader *L, char **err)
{
    (void)err;
    /* A column known only from records without any value (XML) is not in the table. */
    if (!copy.trailer || L->width > L->src->cols.n)
        FAIL("the load ended without a COPY trailer or with %zu of %zu columns", L->width,
             L->src->cols.n);
    copy.width = L->width;
    return 0;
}

void load_db_finish(struct loader *L)
{
    (void)L;
}

/* ---- the run -------------------------------------------------------------------------------- */

void fuzz_load_run(struct load_source *src, const uint8_t *data, size_t size,
                   long sample_rows)
{
    struct load_opts o = {.format = src->format,
                          .path = src->path,
                          .resource_id = "fuzz",
                          .sample_rows = sample_rows};
    struct load_result res;
    char *err = NULL;
    copy.trailer = false;
    copy.width = 0;
    int rc = load_source_run(src, &o, &res, &err);
    load_result_clear(&res);
    char *endless = xasprintf("%s: the column types changed on every pass; is the file being "
                              "written?", src->path);
    if (rc != 0 && (!err || strcmp(err, endless) == 0))
        FAIL("load_source_run: %s", err ? err : "failed without a message");
    free(endless);
    check_cols(&src->cols);
    char hex[65];
    sha256_hex(data, size, hex);
    if (rc == 0 && strcmp(enc_sha256(src->enc), hex) != 0)
        FAIL("loaded, but the raw file's hash is \"%s\"", enc_sha256(src->enc));
    int64_t loaded = copy.tuples;
    free(err);
    err = NULL;

    /* The same file read again with a checking callback: the same outcome, the same rows. */
    struct rows st = {src, 0, 0, 1, 0, 2 * size + 64, rc == 0 ? copy.width : 0};
    for (size_t i = 0; i < size; i++)
        st.max_line += data[i] == '\n';
    int rc2 = src->run(src->ctx, check_row, &st, &err);
    if (rc2 < 0 && !err)
        FAIL("reader failed without a message");
    if ((rc == 0) != (rc2 == 0))
        FAIL("load_source_run %s but a second read %s: %s", rc ? "failed" : "succeeded",
             rc2 ? "failed" : "succeeded", err ? err : "");
    if (rc == 0 && loaded != st.rows)
        FAIL("%lld rows loaded, %ld read", (long long)loaded, st.rows);
    check_cols(&src->cols);
    free(err);
}
