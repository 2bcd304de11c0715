/* ds_rows — flat JSON records as tab-separated lines (see ds_rows.h). One pass over the text,
 * its strings and numbers read by json_span's scanners; anything but the plain kind stops it,
 * and the caller sends the records as JSON instead. */
#include "ds_rows.h"

#include <stdlib.h>
#include <string.h>

#include "json_span.h"
#include "util.h"

struct buf {
    char *s;
    size_t len, cap;
};

struct scan {
    const char *s;
    size_t n, i;
    struct buf keys, rows;
    size_t nkeys, cap; /* keys of the first record; room in key_at and key_len */
    size_t *key_at;    /* where the first record's keys start in s (their quote) */
    size_t *key_len;   /* and their byte length with the quotes */
};

/* Room for n more bytes and a NUL after them. */
static void reserve(struct buf *b, size_t n)
{
    if (b->cap - b->len < n + 1) {
        b->cap = (b->cap + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
}

static void put(struct buf *b, const char *s, size_t n)
{
    reserve(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void putc1(struct buf *b, char ch)
{
    put(b, &ch, 1);
}

static void ws(struct scan *c)
{
    while (c->i < c->n &&
           (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' || c->s[c->i] == '\r'))
        c->i++;
}

static bool eat(struct scan *c, char ch)
{
    ws(c);
    if (c->i < c->n && c->s[c->i] == ch) {
        c->i++;
        return true;
    }
    return false;
}

/* A string value (c->i at its quote), unescaped into the rows. */
static bool string(struct scan *c)
{
    size_t from = c->i + 1;
    bool escaped;
    if (!json_span_string(c->s, c->n, &c->i, &escaped))
        return false;
    size_t n = c->i - 1 - from;
    if (!escaped) {
        put(&c->rows, c->s + from, n);
        return true;
    }
    reserve(&c->rows, n);
    char *out = c->rows.s + c->rows.len;
    size_t m = json_span_unescape(c->s + from, n, out);
    out[m] = '\0';
    /* a tab, a newline or a backslash has no place in a line of tab-separated text (U+0000,
     * which would end it, json_span_string refuses) */
    if (strcspn(out, "\t\n\\") != m)
        return false;
    c->rows.len += m;
    return true;
}

/* A number as JSON writes it, without an exponent and not a negative zero: the text numeric
 * prints it back as. */
static bool number(struct scan *c)
{
    size_t from = c->i;
    struct json_span_num num;
    /* numeric has no -0: "-0.00" reads back as "0.00" */
    if (!json_span_number(c->s, c->n, &c->i, &num) || num.nexp > 0 || (num.minus && num.zero))
        return false;
    put(&c->rows, c->s + from, c->i - from);
    return true;
}

static bool word(struct scan *c, const char *w, const char *as)
{
    size_t n = strlen(w);
    if (c->n - c->i < n || memcmp(c->s + c->i, w, n) != 0)
        return false;
    c->i += n;
    put(&c->rows, as, strlen(as));
    return true;
}

static bool value(struct scan *c)
{
    ws(c);
    if (c->i >= c->n)
        return false;
    char ch = c->s[c->i];
    if (ch == '"')
        return string(c);
    if (ch == '-' || (ch >= '0' && ch <= '9'))
        return number(c);
    return word(c, "true", "true") || word(c, "false", "false") || word(c, "null", "\\N");
}

/* A key (c->i at its quote): no escapes, no control characters. k: its position in the record.
 * The first record's keys are kept; later records must repeat them in order. */
static bool key(struct scan *c, size_t k, bool first)
{
    size_t from = c->i;
    bool escaped;
    if (!json_span_string(c->s, c->n, &c->i, &escaped) || escaped)
        return false;
    size_t len = c->i - from;
    if (first) {
        if (k == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 16;
            c->key_at = xrealloc(c->key_at, c->cap * sizeof(*c->key_at));
            c->key_len = xrealloc(c->key_len, c->cap * sizeof(*c->key_len));
        }
        c->key_at[k] = from, c->key_len[k] = len, c->nkeys = k + 1;
        put(&c->keys, k ? "," : "[", 1);
        put(&c->keys, c->s + from, len);
        return true;
    }
    return k < c->nkeys && c->key_len[k] == len &&
           memcmp(c->s + c->key_at[k], c->s + from, len) == 0;
}

/* One record (c->i at its brace) as one line. */
static bool record(struct scan *c, bool first)
{
    size_t k = 0;
    c->i++;
    putc1(&c->rows, '\t');
    do {
        ws(c);
        if (c->i >= c->n || c->s[c->i] != '"' || !key(c, k, first) || !eat(c, ':'))
            return false;
        if (k > 0)
            putc1(&c->rows, '\t');
        if (!value(c))
            return false;
        k++;
    } while (eat(c, ','));
    return eat(c, '}') && k == c->nkeys;
}

/* The array of records; *n: how many. */
static bool records(struct scan *c, size_t *n)
{
    *n = 0;
    if (!eat(c, '['))
        return false;
    do {
        ws(c);
        if (c->i >= c->n || c->s[c->i] != '{')
            return false;
        if (*n > 0)
            putc1(&c->rows, '\n');
        if (!record(c, *n == 0))
            return false;
        (*n)++;
    } while (eat(c, ','));
    if (!eat(c, ']'))
        return false;
    ws(c);
    return c->i == c->n;
}

bool ds_rows_flat(const char *text, size_t len, struct ds_rows *out)
{
    struct scan c = {.s = text, .n = len};
    size_t n;
    /* the lines are about as long as the text (quotes, keys and separators go; a tab a value
     * and a newline a record come): one allocation, most often */
    c.rows.cap = len + 64;
    c.rows.s = xmalloc(c.rows.cap);
    bool ok = records(&c, &n);
    free(c.key_at);
    free(c.key_len);
    *out = (struct ds_rows){0};
    if (!ok) {
        free(c.keys.s);
        free(c.rows.s);
        return false;
    }
    put(&c.keys, "]", 1);
    *out = (struct ds_rows){c.keys.s, c.rows.s, n};
    return true;
}

void ds_rows_free(struct ds_rows *rows)
{
    free(rows->keys);
    free(rows->rows);
    *rows = (struct ds_rows){0};
}
