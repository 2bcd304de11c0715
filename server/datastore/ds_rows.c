/* ds_rows — flat JSON records as tab-separated lines (see ds_rows.h). One pass over the text;
 * anything but the plain kind stops it, and the caller sends the records as JSON instead. */
#include "ds_rows.h"

#include <stdlib.h>
#include <string.h>

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

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->cap - b->len < n + 1) {
        b->cap = (b->cap + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
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

static int hex(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* \uXXXX (c->i after the u) as UTF-8: not U+0000, a tab or a newline, not a surrogate. */
static bool uescape(struct scan *c)
{
    unsigned u = 0;
    if (c->n - c->i < 4)
        return false;
    for (int k = 0; k < 4; k++) {
        int h = hex(c->s[c->i++]);
        if (h < 0)
            return false;
        u = u << 4 | (unsigned)h;
    }
    if (u == 0 || u == '\t' || u == '\n' || u == '\\' || (u >= 0xD800 && u <= 0xDFFF))
        return false;
    char out[3];
    if (u < 0x80) {
        putc1(&c->rows, (char)u);
    } else if (u < 0x800) {
        out[0] = (char)(0xC0 | u >> 6), out[1] = (char)(0x80 | (u & 0x3F));
        put(&c->rows, out, 2);
    } else {
        out[0] = (char)(0xE0 | u >> 12), out[1] = (char)(0x80 | (u >> 6 & 0x3F));
        out[2] = (char)(0x80 | (u & 0x3F));
        put(&c->rows, out, 3);
    }
    return true;
}

/* A string value (c->i at its quote), unescaped into the rows. */
static bool string(struct scan *c)
{
    c->i++;
    while (c->i < c->n) {
        size_t from = c->i;
        while (c->i < c->n && c->s[c->i] != '"' && c->s[c->i] != '\\' &&
               (unsigned char)c->s[c->i] >= 0x20)
            c->i++;
        put(&c->rows, c->s + from, c->i - from);
        if (c->i >= c->n || (unsigned char)c->s[c->i] < 0x20)
            return false;
        if (c->s[c->i++] == '"')
            return true;
        if (c->i >= c->n)
            return false;
        char e = c->s[c->i++];
        const char *to = strchr("\"\"//b\bf\fr\r", e);
        if (e == 'u') {
            if (!uescape(c))
                return false;
        } else if (e != '\0' && to && (to - "\"\"//b\bf\fr\r") % 2 == 0) {
            putc1(&c->rows, to[1]);
        } else {
            return false; /* \\, \n, \t: not in a line of tab-separated text; or no escape */
        }
    }
    return false;
}

static size_t digits(struct scan *c)
{
    size_t k = 0;
    while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9')
        c->i++, k++;
    return k;
}

/* A number as JSON writes it, without an exponent and not a negative zero: the text numeric
 * prints it back as. */
static bool number(struct scan *c)
{
    size_t from = c->i;
    bool neg = c->s[c->i] == '-';
    if (neg)
        c->i++;
    size_t d = digits(c);
    if (d == 0 || (d > 1 && c->s[c->i - d] == '0'))
        return false;
    if (c->i < c->n && c->s[c->i] == '.') {
        c->i++;
        if (digits(c) == 0)
            return false;
    }
    if (c->i < c->n && (c->s[c->i] == 'e' || c->s[c->i] == 'E'))
        return false;
    if (neg) { /* numeric has no -0: "-0.00" reads back as "0.00" */
        size_t k = from + 1;
        while (k < c->i && (c->s[k] == '0' || c->s[k] == '.'))
            k++;
        if (k == c->i)
            return false;
    }
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
    size_t from = c->i++;
    while (c->i < c->n && c->s[c->i] != '"') {
        if (c->s[c->i] == '\\' || (unsigned char)c->s[c->i] < 0x20)
            return false;
        c->i++;
    }
    if (c->i++ >= c->n)
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
