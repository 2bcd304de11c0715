/* ds_json — DataStore records as JSON, written from the rows' text. */
#include "ds_json.h"

#include <stdlib.h>
#include <string.h>

/* A growing output buffer. */
struct out {
    char *p;
    size_t used, cap;
};

static void grow(char **p, size_t *used, size_t *cap, size_t more)
{
    size_t want = *cap ? *cap : 4096;
    while (want - *used < more)
        want *= 2;
    *p = xrealloc(*p, want);
    *cap = want;
}

static inline void reserve(char **p, size_t *used, size_t *cap, size_t more)
{
    if (*cap - *used < more)
        grow(p, used, cap, more);
}

/* (inline: called for every value and every piece of punctuation) */
static inline void put(struct out *o, const char *s, size_t n)
{
    if (n == 0) /* (o->p may still be NULL) */
        return;
    reserve(&o->p, &o->used, &o->cap, n);
    memcpy(o->p + o->used, s, n);
    o->used += n;
}

#define PUTS(o, lit) put((o), (lit), sizeof(lit) - 1)

/* The escape of byte c, or NULL when it stands for itself. */
static const char *escape_of(unsigned char c)
{
    static const char *const named[] = {
        ['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t"};
    if (c == '"')
        return "\\\"";
    if (c == '\\')
        return "\\\\";
    if (c >= 0x20)
        return NULL;
    return c < ARRAY_LEN(named) ? named[c] : NULL;
}

void dsj_escape(char **out, size_t *used, size_t *cap, const char *s, size_t n)
{
    struct out o = {*out, *used, *cap};
    size_t run = 0; /* start of the bytes not yet copied */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(&o, s + run, i - run);
        run = i + 1;
        const char *e = escape_of(c);
        if (e) {
            put(&o, e, strlen(e));
        } else { /* other control characters: \u00XX in lower-case hex, as PostgreSQL */
            char u[7];
            static const char hex[] = "0123456789abcdef";
            memcpy(u, "\\u00", 4);
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            put(&o, u, 6);
        }
    }
    put(&o, s + run, n - run);
    *out = o.p;
    *used = o.used;
    *cap = o.cap;
}

static void put_string(struct out *o, const char *s, size_t n)
{
    PUTS(o, "\"");
    dsj_escape(&o->p, &o->used, &o->cap, s, n);
    PUTS(o, "\"");
}

/* True when a number's output text is a JSON number (not NaN, Infinity or -Infinity). */
static bool json_number(const char *s, size_t n)
{
    size_t i = n && s[0] == '-';
    return i < n && s[i] >= '0' && s[i] <= '9';
}

/* A value's text (not NULL) as JSON, as its kind says. */
static void put_text(struct out *o, const char *v, size_t n, enum sqlb_kind kind)
{
    switch (kind) {
    case SQLB_K_NUMBER:
        if (json_number(v, n))
            put(o, v, n);
        else
            put_string(o, v, n);
        break;
    case SQLB_K_BOOL:
        if (n == 1 && v[0] == 't')
            PUTS(o, "true");
        else
            PUTS(o, "false");
        break;
    case SQLB_K_STRING: put_string(o, v, n); break;
    case SQLB_K_JSON: put(o, v, n); break;
    }
}

static void put_value(struct out *o, const PGresult *res, int row, int col, enum sqlb_kind kind)
{
    if (PQgetisnull(res, row, col)) {
        PUTS(o, "null");
        return;
    }
    put_text(o, PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col), kind);
}

/* ---- COPY's text format ------------------------------------------------------------------------
 * A line: values separated by tabs, \N for NULL; in a value COPY writes a backslash, and the
 * control characters b f n r t v, as a backslash and a letter; other bytes as they are. */

/* The byte a COPY escape letter stands for. */
static char copy_unescaped(char c)
{
    switch (c) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'v': return '\v';
    default: return c; /* \\ and anything else escaped: itself */
    }
}

/* A COPY value as a JSON string: \b \f \n \r \t and \\ are JSON's escapes already. */
static void put_copy_string(struct out *o, const char *v, size_t n)
{
    PUTS(o, "\"");
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        dsj_escape(&o->p, &o->used, &o->cap, v + run, i - run);
        if (c == '\\' && i + 1 < n) {
            char e = v[++i];
            if (e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't' || e == '\\') {
                char pair[2] = {'\\', e};
                put(o, pair, 2);
            } else {
                char u = copy_unescaped(e);
                dsj_escape(&o->p, &o->used, &o->cap, &u, 1);
            }
        } else {
            dsj_escape(&o->p, &o->used, &o->cap, v + i, 1);
        }
        run = i + 1;
    }
    dsj_escape(&o->p, &o->used, &o->cap, v + run, n - run);
    PUTS(o, "\"");
}

/* A COPY value's bytes as they are (JSON text from to_json): its escapes undone. */
static void put_copy_raw(struct out *o, const char *v, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] != '\\' || i + 1 == n)
            continue;
        put(o, v + run, i - run);
        char u = copy_unescaped(v[++i]);
        put(o, &u, 1);
        run = i + 1;
    }
    put(o, v + run, n - run);
}

/* One value of a COPY line. */
static void put_copy_value(struct out *o, const char *v, size_t n, enum sqlb_kind kind)
{
    if (n == 2 && v[0] == '\\' && v[1] == 'N')
        PUTS(o, "null");
    else if (kind == SQLB_K_STRING)
        put_copy_string(o, v, n);
    else if (kind == SQLB_K_JSON)
        put_copy_raw(o, v, n);
    else /* numbers and booleans: no escapes */
        put_text(o, v, n, kind);
}

/* The end of the COPY value starting at i: the next tab or newline not escaped, or n. */
static size_t copy_value_end(const char *line, size_t i, size_t n)
{
    while (i < n && line[i] != '\t' && line[i] != '\n')
        i += line[i] == '\\' ? 2 : 1;
    return i < n ? i : n;
}

/* What goes before each value of a record: for objects "{"key" : " then ", "key" : " as
 * json_build_object writes them; for lists "[" then ", ". */
void dsj_init(struct dsj_writer *w, const struct sqlb_shape *shape)
{
    *w = (struct dsj_writer){.shape = shape};
    w->pre = xcalloc((size_t)shape->ncols + 1, sizeof(char *));
    w->prelen = xcalloc((size_t)shape->ncols + 1, sizeof(size_t));
    for (int i = 0; i < shape->ncols; i++) {
        struct out o = {0};
        put(&o, i ? ", " : (shape->format == SQLB_LISTS ? "[" : "{"), i ? 2 : 1);
        if (shape->format != SQLB_LISTS) {
            put_string(&o, shape->names[i], strlen(shape->names[i]));
            PUTS(&o, " : ");
        }
        w->prelen[i] = o.used;
        w->pre[i] = o.p;
    }
}

void dsj_free(struct dsj_writer *w)
{
    for (int i = 0; w->pre && i < w->shape->ncols; i++)
        free(w->pre[i]);
    free(w->pre);
    free(w->prelen);
    free(w->p);
    *w = (struct dsj_writer){0};
}

void dsj_put(struct dsj_writer *w, const char *s, size_t n)
{
    if (n == 0)
        return;
    reserve(&w->p, &w->used, &w->cap, n);
    memcpy(w->p + w->used, s, n);
    w->used += n;
}

void dsj_record(struct dsj_writer *w, const PGresult *res, int row)
{
    struct out o = {w->p, w->used, w->cap};
    const struct sqlb_shape *shape = w->shape;
    if (w->records++)
        PUTS(&o, ", ");
    if (shape->ncols == 0)
        put(&o, shape->format == SQLB_LISTS ? "[" : "{", 1);
    for (int c = 0; c < shape->ncols; c++) {
        put(&o, w->pre[c], w->prelen[c]);
        put_value(&o, res, row, shape->first + c, shape->kinds[c]);
    }
    put(&o, shape->format == SQLB_LISTS ? "]" : "}", 1);
    w->p = o.p;
    w->used = o.used;
    w->cap = o.cap;
}

bool dsj_copy_record(struct dsj_writer *w, const char *line, size_t len)
{
    struct out o = {w->p, w->used, w->cap};
    const struct sqlb_shape *shape = w->shape;
    size_t start = o.used;
    if (w->records)
        PUTS(&o, ", ");
    if (shape->ncols == 0)
        put(&o, shape->format == SQLB_LISTS ? "[" : "{", 1);
    size_t i = 0;
    bool ok = true;
    for (int c = 0; c < shape->ncols && ok; c++) {
        size_t end = copy_value_end(line, i, len);
        put(&o, w->pre[c], w->prelen[c]);
        put_copy_value(&o, line + i, end - i, shape->kinds[c]);
        ok = c + 1 == shape->ncols ? end == len || line[end] == '\n'
                                   : end < len && line[end] == '\t';
        i = end + 1;
    }
    put(&o, shape->format == SQLB_LISTS ? "]" : "}", 1);
    w->p = o.p;
    w->cap = o.cap;
    w->used = ok ? o.used : start; /* a line of another shape writes nothing */
    w->records += ok;
    return ok;
}

char *dsj_result(const PGresult *res, const struct sqlb_shape *shape, size_t *len)
{
    if (PQntuples(res) < 1 || PQnfields(res) != 3 + shape->ncols || PQgetisnull(res, 0, 0) ||
        PQgetisnull(res, 0, 1))
        return NULL;
    struct dsj_writer w;
    dsj_init(&w, shape);
    /* room for the whole text at once, in the common case */
    size_t guess = (size_t)PQgetlength(res, 0, 0) + (size_t)PQgetlength(res, 0, 1) + 64;
    if (!PQgetisnull(res, 0, 2))
        for (int c = 0; c < shape->ncols; c++)
            guess +=
                ((size_t)PQgetlength(res, 0, 3 + c) + w.prelen[c] + 4) * (size_t)PQntuples(res);
    reserve(&w.p, &w.used, &w.cap, guess);
    dsj_put(&w, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
    dsj_put(&w, "[", 1);
    if (!PQgetisnull(res, 0, 2)) /* else an empty page */
        for (int r = 0; r < PQntuples(res); r++)
            dsj_record(&w, res, r);
    dsj_put(&w, "]", 1);
    dsj_put(&w, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
    *len = w.used;
    dsj_put(&w, "", 1);
    char *text = w.p;
    w.p = NULL;
    dsj_free(&w);
    return text;
}
