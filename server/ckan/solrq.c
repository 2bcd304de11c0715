/* solrq — the Solr query subset → AST → parameterised SQL (see solrq.h). */
#include "solrq.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQ_MAX_DEPTH 64      /* nested parentheses */
#define SQ_MAX_CLAUSES 1024  /* leaves per search (Solr's maxBooleanClauses) */
#define SQ_MAX_DATE_OPS 4    /* date-math steps per value */
#define SQ_MAX_SHIFT_S 31557600000.0 /* one date-math step moves at most 1000 years */
#define SQ_QUOTE_MAX 100     /* bytes of the query quoted in an error message */

/* ---- memory: everything lives in the search's chunks until solrq_free ----------------------- */

struct sq_chunk {
    struct sq_chunk *next;
    size_t used, size;
    max_align_t data[];
};

struct sq_param {
    char *value;
    char type; /* t text, d timestamptz, i interval, b bigint, u uuid */
};

struct solrq {
    const struct solrq_map *map;
    int first;
    struct sq_param *params;
    int nparams, capparams;
    char **rank;
    int nrank, caprank;
    char *error;
    int clauses;
    struct sq_chunk *mem;
};

static void *oom(void *p)
{
    if (!p) {
        fputs("solrq: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void *palloc(struct solrq *q, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct sq_chunk *c = q->mem;
    if (!c || c->size - c->used < n) {
        size_t size = n > 8192 ? n : 8192;
        c = oom(malloc(sizeof(*c) + size));
        c->size = size;
        c->used = 0;
        c->next = q->mem;
        q->mem = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

static char *pstrndup(struct solrq *q, const char *s, size_t n)
{
    char *d = palloc(q, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static char *pstrdup(struct solrq *q, const char *s)
{
    return pstrndup(q, s, strlen(s));
}

/* A growing string (malloc'd); sb_done moves it into the search's memory. */
struct sb {
    char *s;
    size_t len, cap;
};

static void sb_putn(struct sb *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->s = oom(realloc(b->s, cap));
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(tmp)) {
        sb_putn(b, tmp, (size_t)n);
        return;
    }
    char *big = oom(malloc((size_t)n + 1));
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_putn(b, big, (size_t)n);
    free(big);
}

static char *sb_done(struct solrq *q, struct sb *b)
{
    char *s = pstrndup(q, b->s ? b->s : "", b->len);
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

/* ---- the search object ---------------------------------------------------------------------- */

struct solrq *solrq_new(const struct solrq_map *map, int first_param)
{
    struct solrq *q = oom(calloc(1, sizeof(*q)));
    q->map = map;
    q->first = first_param;
    return q;
}

void solrq_free(struct solrq *q)
{
    if (!q)
        return;
    struct sq_chunk *c = q->mem;
    while (c) {
        struct sq_chunk *next = c->next;
        free(c);
        c = next;
    }
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
        q->params = oom(realloc(q->params, sizeof(*q->params) * (size_t)q->capparams));
    }
    q->params[q->nparams].value = pstrdup(q, value);
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
    const char **out = palloc((struct solrq *)q, sizeof(char *) * (size_t)(q->nparams + 1));
    for (int i = 0; i < q->nparams; i++)
        out[i] = q->params[i].value;
    out[q->nparams] = NULL;
    return out;
}

/* "$n::type" for a new or reused parameter. */
static char *pref(struct solrq *q, const char *value, char type)
{
    static const struct { char type; const char *cast; } casts[] = {
        {'t', "text"}, {'d', "timestamptz"}, {'i', "interval"}, {'b', "bigint"}, {'u', "uuid"}};
    const char *cast = "text";
    for (size_t i = 0; i < sizeof(casts) / sizeof(casts[0]); i++)
        if (casts[i].type == type)
            cast = casts[i].cast;
    char buf[48];
    snprintf(buf, sizeof(buf), "$%d::%s", param_typed(q, value, type), cast);
    return pstrdup(q, buf);
}

static void add_rank(struct solrq *q, const char *tsq)
{
    for (int i = 0; i < q->nrank; i++)
        if (strcmp(q->rank[i], tsq) == 0)
            return;
    if (q->nrank == q->caprank) {
        q->caprank = q->caprank ? q->caprank * 2 : 8;
        q->rank = oom(realloc(q->rank, sizeof(char *) * (size_t)q->caprank));
    }
    q->rank[q->nrank++] = pstrdup(q, tsq);
}

const char *solrq_rank(const struct solrq *q)
{
    if (q->nrank == 0)
        return NULL;
    struct sb b = {0};
    for (int i = 0; i < q->nrank; i++) {
        if (i)
            sb_puts(&b, " || ");
        sb_puts(&b, q->rank[i]);
    }
    return sb_done((struct solrq *)q, &b);
}

/* ---- UTF-8 and characters ------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if ((s[0] & 0xE0) == 0xC0)
        len = 2, cp = s[0] & 0x1F;
    else if ((s[0] & 0xF0) == 0xE0)
        len = 3, cp = s[0] & 0x0F;
    else if ((s[0] & 0xF8) == 0xF0)
        len = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static uint32_t utf8_cp(const unsigned char *s, size_t len)
{
    if (len == 1)
        return s[0];
    uint32_t cp = s[0] & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (size_t i = 1; i < len; i++)
        cp = cp << 6 | (s[i] & 0x3F);
    return cp;
}

static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    while (n) {
        size_t l = utf8_seq(p, n);
        if (!l)
            return false;
        p += l, n -= l;
    }
    return true;
}

/* Whitespace as Lucene's classic parser knows it, including the ideographic space. */
static size_t ws_len(const char *s)
{
    if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f')
        return 1;
    if ((unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80)
        return 3;
    return 0;
}

static bool is_alnum_ascii(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Does analysis keep anything of s? ASCII letters and digits do, and any code point outside
 * the punctuation and symbol blocks (CJK ideographs, kana, accented letters ...). */
static bool has_word_char(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    while (n) {
        size_t l = utf8_seq(p, n);
        if (!l)
            return false;
        uint32_t cp = utf8_cp(p, l);
        if (cp < 0x80 ? is_alnum_ascii((int)cp)
                      : !((cp >= 0x80 && cp <= 0xBF) || (cp >= 0x2000 && cp <= 0x2BFF) ||
                          (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFE30 && cp <= 0xFE6F) ||
                          (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
                          (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65)))
            return true;
        p += l, n -= l;
    }
    return false;
}

/* ---- tokens --------------------------------------------------------------------------------- */

enum tok_type {
    T_EOF, T_TERM, T_PHRASE, T_AND, T_OR, T_NOT, T_PLUS, T_MINUS, T_LPAREN, T_RPAREN,
    T_COLON, T_CARET, T_TILDE, T_SLASH, T_RANGE_OPEN, T_RANGE_CLOSE,
};

struct tok {
    enum tok_type type;
    size_t pos;          /* byte offset in the query */
    char *text;          /* T_TERM / T_PHRASE: the value, escapes removed */
    unsigned char *wild; /* T_TERM: 1 where text has an unescaped * or ? */
    size_t len;          /* of text */
    bool raw_star;       /* the term is exactly an unescaped "*" */
    bool incl;           /* T_RANGE_OPEN/CLOSE: [ ] rather than { } */
};

struct parser {
    struct solrq *q;
    const char *src;
    size_t len, pos;
    struct tok la[2];
    int nla;
    bool dismax;
    bool default_and; /* q.op=AND */
    bool failed;
    int depth;
};

static void fail(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct parser *p, size_t pos, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* Quote the query, cut at a character boundary. */
    size_t n = 0;
    while (n < p->len && n < SQ_QUOTE_MAX) {
        size_t l = utf8_seq((const unsigned char *)p->src + n, p->len - n);
        n += l ? l : 1;
    }
    struct sb b = {0};
    sb_puts(&b, "Cannot parse '");
    sb_putn(&b, p->src, n);
    sb_puts(&b, n < p->len ? "...'" : "'");
    sb_printf(&b, ": %s at position %zu", msg, pos + 1);
    p->q->error = sb_done(p->q, &b);
}

/* Characters that end a term in the standard syntax. */
static bool lucene_special(char c)
{
    return strchr("+-!():^[]\"{}~/", c) != NULL && c != '\0';
}

static void lex_term(struct parser *p, struct tok *t)
{
    struct sb text = {0}, wild = {0};
    size_t start = p->pos;
    bool escaped_any = false;
    while (p->pos < p->len && !ws_len(p->src + p->pos)) {
        char c = p->src[p->pos];
        if (!p->dismax && p->pos > start && (c == '+' || c == '-')) {
            /* allowed inside a term */
        } else if (!p->dismax && (lucene_special(c) || c == '\\')) {
            if (c != '\\')
                break;
            if (p->pos + 1 >= p->len) {
                fail(p, p->pos, "'\\' at the end of the query escapes nothing");
                break;
            }
            p->pos++;
            escaped_any = true;
            size_t l = utf8_seq((const unsigned char *)p->src + p->pos, p->len - p->pos);
            sb_putn(&text, p->src + p->pos, l);
            for (size_t i = 0; i < l; i++)
                sb_putn(&wild, "\0", 1);
            p->pos += l;
            continue;
        } else if (p->dismax && c == '"') {
            break;
        }
        size_t l = utf8_seq((const unsigned char *)p->src + p->pos, p->len - p->pos);
        bool w = !p->dismax && (c == '*' || c == '?');
        sb_putn(&text, p->src + p->pos, l);
        for (size_t i = 0; i < l; i++)
            sb_putn(&wild, w ? "\1" : "\0", 1);
        p->pos += l;
    }
    size_t raw = p->pos - start;
    const char *r = p->src + start;
    t->type = T_TERM;
    if (!escaped_any && ((raw == 3 && memcmp(r, "AND", 3) == 0) || (raw == 2 && memcmp(r, "&&", 2) == 0)))
        t->type = T_AND;
    else if (!escaped_any && ((raw == 2 && memcmp(r, "OR", 2) == 0) || (raw == 2 && memcmp(r, "||", 2) == 0)))
        t->type = T_OR;
    else if (!escaped_any && raw == 3 && memcmp(r, "NOT", 3) == 0)
        t->type = T_NOT;
    t->len = text.len;
    t->text = sb_done(p->q, &text);
    t->wild = palloc(p->q, t->len + 1);
    if (t->len)
        memcpy(t->wild, wild.s, t->len);
    free(wild.s);
    t->raw_star = raw == 1 && *r == '*' && !p->dismax;
}

static void lex_phrase(struct parser *p, struct tok *t)
{
    struct sb text = {0};
    size_t start = p->pos++;
    for (;;) {
        if (p->pos >= p->len) {
            fail(p, start, "missing closing quote");
            break;
        }
        char c = p->src[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c == '\\' && !p->dismax) {
            if (p->pos + 1 >= p->len) {
                fail(p, p->pos, "'\\' at the end of the query escapes nothing");
                break;
            }
            p->pos++;
        }
        size_t l = utf8_seq((const unsigned char *)p->src + p->pos, p->len - p->pos);
        sb_putn(&text, p->src + p->pos, l);
        p->pos += l;
    }
    t->type = T_PHRASE;
    t->len = text.len;
    t->text = sb_done(p->q, &text);
}

/* In dismax, + and - count only before a term or phrase (Solr strips dangling operators). */
static bool dismax_op(struct parser *p)
{
    size_t n = p->pos + 1;
    return n < p->len && !ws_len(p->src + n) && p->src[n] != '+' && p->src[n] != '-';
}

static void lex(struct parser *p, struct tok *t)
{
    memset(t, 0, sizeof(*t));
    for (;;) {
        while (p->pos < p->len && ws_len(p->src + p->pos))
            p->pos += ws_len(p->src + p->pos);
        if (p->dismax && p->pos < p->len && (p->src[p->pos] == '+' || p->src[p->pos] == '-') &&
            !dismax_op(p)) {
            p->pos++;
            continue;
        }
        break;
    }
    t->pos = p->pos;
    if (p->pos >= p->len) {
        t->type = T_EOF;
        return;
    }
    char c = p->src[p->pos];
    if (p->dismax) {
        if (c == '+' || c == '-') {
            t->type = c == '+' ? T_PLUS : T_MINUS;
            p->pos++;
        } else if (c == '"') {
            lex_phrase(p, t);
        } else {
            lex_term(p, t);
        }
        return;
    }
    /* A lone operator followed by whitespace is a term (Lucene's BAREOPER). */
    if ((c == '+' || c == '-' || c == '!') && p->pos + 1 < p->len && ws_len(p->src + p->pos + 1)) {
        t->type = T_TERM;
        t->text = pstrndup(p->q, &c, 1);
        t->wild = palloc(p->q, 2);
        t->wild[0] = 0;
        t->len = 1;
        p->pos++;
        return;
    }
    static const struct { char c; enum tok_type type; } single[] = {
        {'+', T_PLUS}, {'-', T_MINUS}, {'!', T_NOT}, {'(', T_LPAREN}, {')', T_RPAREN},
        {':', T_COLON}, {'^', T_CARET}, {'~', T_TILDE}, {'/', T_SLASH},
        {'[', T_RANGE_OPEN}, {'{', T_RANGE_OPEN}, {']', T_RANGE_CLOSE}, {'}', T_RANGE_CLOSE}};
    for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++)
        if (single[i].c == c) {
            t->type = single[i].type;
            t->incl = c == '[' || c == ']';
            p->pos++;
            return;
        }
    if (c == '"')
        lex_phrase(p, t);
    else
        lex_term(p, t);
}

static struct tok *peek(struct parser *p, int i)
{
    while (p->nla <= i)
        lex(p, &p->la[p->nla++]);
    return &p->la[i];
}

static struct tok next(struct parser *p)
{
    struct tok t = *peek(p, 0);
    p->la[0] = p->la[1];
    p->nla--;
    return t;
}

static const char *tok_name(const struct tok *t)
{
    switch (t->type) {
    case T_EOF: return "end of query";
    case T_TERM: return "a term";
    case T_PHRASE: return "a phrase";
    case T_AND: return "AND";
    case T_OR: return "OR";
    case T_NOT: return "NOT";
    case T_PLUS: return "'+'";
    case T_MINUS: return "'-'";
    case T_LPAREN: return "'('";
    case T_RPAREN: return "')'";
    case T_COLON: return "':'";
    case T_CARET: return "'^'";
    case T_TILDE: return "'~'";
    case T_SLASH: return "'/'";
    case T_RANGE_OPEN: return t->incl ? "'['" : "'{'";
    case T_RANGE_CLOSE: return t->incl ? "']'" : "'}'";
    }
    return "?";
}

/* ---- the AST -------------------------------------------------------------------------------- */

enum node_type { N_BOOL, N_TERM, N_RANGE, N_ALL };
enum occur { O_MUST, O_SHOULD, O_NOT };

struct resolved {
    const struct solrq_field *f;
    const char *name; /* as written */
    const char *key;  /* dynamic/fallback key, or NULL */
};

struct node;
struct clause {
    enum occur occur;
    struct node *n; /* NULL: dropped by analysis */
};

struct node {
    enum node_type type;
    size_t pos;
    /* N_BOOL */
    struct clause *clauses;
    int nclauses, cap;
    /* N_TERM, N_RANGE */
    struct resolved field;
    char *text;
    unsigned char *wild;
    size_t len;
    bool phrase, star;
    char *lo, *hi; /* NULL = open */
    bool lo_incl, hi_incl;
};

static struct node *new_node(struct parser *p, enum node_type type, size_t pos)
{
    struct node *n = palloc(p->q, sizeof(*n));
    memset(n, 0, sizeof(*n));
    n->type = type;
    n->pos = pos;
    return n;
}

static bool resolve(const struct solrq_map *m, const char *name, struct resolved *r)
{
    r->name = name;
    r->key = NULL;
    for (const struct solrq_field *f = m->fields; f->name; f++)
        if (!f->dynamic && strcmp(f->name, name) == 0) {
            r->f = f;
            return true;
        }
    for (const struct solrq_field *f = m->fields; f->name; f++) {
        size_t n = strlen(f->name);
        if (f->dynamic && strncmp(f->name, name, n) == 0 && name[n]) {
            r->f = f;
            r->key = name + n;
            return true;
        }
    }
    if (!m->fallback)
        return false;
    r->f = m->fallback;
    r->key = name;
    return true;
}

static void add_clause(struct parser *p, struct node *b, int conj, int mods, struct node *n)
{
    /* Lucene's QueryParserBase.addClause with its default operator (AND for CKAN). */
    bool default_and = p->default_and;
    if (b->nclauses > 0 && conj == T_AND && b->clauses[b->nclauses - 1].occur != O_NOT)
        b->clauses[b->nclauses - 1].occur = O_MUST;
    if (b->nclauses > 0 && default_and && conj == T_OR &&
        b->clauses[b->nclauses - 1].occur != O_NOT)
        b->clauses[b->nclauses - 1].occur = O_SHOULD;
    enum occur o;
    bool prohibited = mods == T_MINUS || mods == T_NOT;
    if (!default_and) {
        bool required = mods == T_PLUS || (conj == T_AND && !prohibited);
        o = prohibited ? O_NOT : required ? O_MUST : O_SHOULD;
    } else {
        o = prohibited ? O_NOT : conj != T_OR ? O_MUST : O_SHOULD;
    }
    if (b->nclauses == b->cap) {
        int cap = b->cap ? b->cap * 2 : 4;
        struct clause *c = palloc(p->q, sizeof(*c) * (size_t)cap);
        if (b->nclauses)
            memcpy(c, b->clauses, sizeof(*c) * (size_t)b->nclauses);
        b->clauses = c;
        b->cap = cap;
    }
    b->clauses[b->nclauses].occur = o;
    b->clauses[b->nclauses].n = n;
    b->nclauses++;
}

static bool count_clause(struct parser *p, size_t pos)
{
    if (++p->q->clauses > SQ_MAX_CLAUSES) {
        fail(p, pos, "too many clauses (at most %d)", SQ_MAX_CLAUSES);
        return false;
    }
    return true;
}

/* Skip "^2.5" after a term, phrase, range or group: boosts only weigh scores, ignored here. */
static void boost(struct parser *p)
{
    if (peek(p, 0)->type != T_CARET)
        return;
    struct tok c = next(p);
    size_t n = p->pos, digits = 0;
    /* The number follows at once, without whitespace (Lucene's Boost state). */
    if (p->nla == 0) {
        while (n < p->len && p->src[n] >= '0' && p->src[n] <= '9')
            n++, digits++;
        if (digits && n + 1 < p->len && p->src[n] == '.' && p->src[n + 1] >= '0' &&
            p->src[n + 1] <= '9') {
            n++;
            while (n < p->len && p->src[n] >= '0' && p->src[n] <= '9')
                n++;
        }
    }
    if (!digits) {
        fail(p, c.pos, "'^' must be followed by a number");
        return;
    }
    p->pos = n;
}

static void no_fuzzy(struct parser *p)
{
    if (peek(p, 0)->type == T_TILDE)
        fail(p, peek(p, 0)->pos, "fuzzy and proximity searches (~) are not supported");
}

/* One end of a range: "quoted", or anything up to whitespace, ']' or '}'. NULL for '*'. */
static char *range_end(struct parser *p, bool *ok)
{
    *ok = false;
    while (p->pos < p->len && ws_len(p->src + p->pos))
        p->pos += ws_len(p->src + p->pos);
    if (p->pos >= p->len) {
        fail(p, p->pos, "unfinished range");
        return NULL;
    }
    if (p->src[p->pos] == '"') {
        struct tok t;
        lex_phrase(p, &t);
        *ok = !p->failed;
        return t.text;
    }
    struct sb b = {0};
    size_t start = p->pos;
    while (p->pos < p->len && !ws_len(p->src + p->pos) && p->src[p->pos] != ']' &&
           p->src[p->pos] != '}') {
        if (p->src[p->pos] == '\\' && p->pos + 1 < p->len)
            p->pos++;
        size_t l = utf8_seq((const unsigned char *)p->src + p->pos, p->len - p->pos);
        sb_putn(&b, p->src + p->pos, l);
        p->pos += l;
    }
    if (p->pos == start) {
        free(b.s);
        fail(p, p->pos, "missing range value");
        return NULL;
    }
    bool star = p->pos - start == 1 && p->src[start] == '*';
    char *v = sb_done(p->q, &b);
    *ok = true;
    return star ? NULL : v;
}

static struct node *parse_range(struct parser *p, const struct tok *open, struct resolved *f)
{
    struct node *n = new_node(p, N_RANGE, open->pos);
    n->field = *f;
    n->lo_incl = open->incl;
    bool ok;
    n->lo = range_end(p, &ok);
    if (!ok)
        return NULL;
    while (p->pos < p->len && ws_len(p->src + p->pos))
        p->pos += ws_len(p->src + p->pos);
    if (!(p->pos + 2 <= p->len && memcmp(p->src + p->pos, "TO", 2) == 0 &&
          (p->pos + 2 == p->len || ws_len(p->src + p->pos + 2)))) {
        fail(p, p->pos, "a range needs 'TO' between its ends");
        return NULL;
    }
    p->pos += 2;
    n->hi = range_end(p, &ok);
    if (!ok)
        return NULL;
    while (p->pos < p->len && ws_len(p->src + p->pos))
        p->pos += ws_len(p->src + p->pos);
    if (p->pos >= p->len || (p->src[p->pos] != ']' && p->src[p->pos] != '}')) {
        fail(p, p->pos, "missing ']' or '}' at the end of the range");
        return NULL;
    }
    n->hi_incl = p->src[p->pos] == ']';
    p->pos++;
    boost(p);
    return count_clause(p, open->pos) ? n : NULL;
}

/* Is this term dropped by analysis (a text field and nothing but punctuation)? */
static bool term_dropped(const struct node *n)
{
    if (n->field.f->kind != SOLRQ_TEXT || n->star)
        return false;
    for (size_t i = 0; i < n->len; i++)
        if (n->wild[i])
            return false;
    return !has_word_char(n->text);
}

static struct node *parse_query(struct parser *p, struct resolved *field);

static struct node *parse_term(struct parser *p, struct resolved *f)
{
    struct tok *t = peek(p, 0);
    if (t->type == T_RANGE_OPEN) {
        struct tok open = next(p);
        if (p->dismax) /* not reached: dismax has no ranges */
            return NULL;
        return parse_range(p, &open, f);
    }
    if (t->type == T_SLASH) {
        fail(p, t->pos, "regular expressions (/.../) are not supported");
        return NULL;
    }
    if (t->type != T_TERM && t->type != T_PHRASE) {
        fail(p, t->pos, "expected a term, found %s", tok_name(t));
        return NULL;
    }
    struct tok v = next(p);
    struct node *n = new_node(p, N_TERM, v.pos);
    n->field = *f;
    n->text = v.text;
    n->len = v.len;
    n->phrase = v.type == T_PHRASE;
    n->wild = v.wild ? v.wild : palloc(p->q, v.len + 1);
    if (!v.wild)
        memset(n->wild, 0, v.len + 1);
    n->star = v.raw_star;
    if (!p->dismax) {
        no_fuzzy(p);
        boost(p);
        no_fuzzy(p);
    }
    if (p->failed || !count_clause(p, v.pos))
        return NULL;
    return term_dropped(n) ? NULL : n;
}

/* Clause := [field ':'] ( Term | '(' Query ')' [boost] ) */
static struct node *parse_clause(struct parser *p, struct resolved *field)
{
    struct resolved f = *field;
    struct tok *t = peek(p, 0);
    if (!p->dismax && t->type == T_TERM && peek(p, 1)->type == T_COLON) {
        struct tok name = next(p);
        next(p);
        if (name.raw_star) {
            struct tok *v = peek(p, 0);
            if (v->type == T_TERM && v->raw_star) {
                struct tok all = next(p);
                boost(p);
                return count_clause(p, all.pos) ? new_node(p, N_ALL, name.pos) : NULL;
            }
            fail(p, name.pos, "the field '*' only takes '*' (*:*)");
            return NULL;
        }
        for (size_t i = 0; i < name.len; i++)
            if (name.wild[i]) {
                fail(p, name.pos, "a field name cannot have wildcards");
                return NULL;
            }
        if (!resolve(p->q->map, name.text, &f)) {
            fail(p, name.pos, "unknown field '%s'", name.text);
            return NULL;
        }
    }
    t = peek(p, 0);
    if (!p->dismax && t->type == T_LPAREN) {
        struct tok open = next(p);
        if (++p->depth > SQ_MAX_DEPTH) {
            fail(p, open.pos, "parentheses nested too deeply (at most %d)", SQ_MAX_DEPTH);
            return NULL;
        }
        struct node *n = parse_query(p, &f);
        p->depth--;
        if (p->failed)
            return NULL;
        if (peek(p, 0)->type != T_RPAREN) {
            fail(p, peek(p, 0)->pos, "expected ')', found %s", tok_name(peek(p, 0)));
            return NULL;
        }
        next(p);
        boost(p);
        return n;
    }
    return parse_term(p, &f);
}

static int modifiers(struct parser *p)
{
    int t = peek(p, 0)->type;
    if (t == T_PLUS || t == T_MINUS || t == T_NOT) {
        next(p);
        return t;
    }
    return 0;
}

/* Query := Modifiers Clause { [AND|OR] Modifiers Clause } */
static struct node *parse_query(struct parser *p, struct resolved *field)
{
    struct node *b = new_node(p, N_BOOL, peek(p, 0)->pos);
    int conj = 0;
    for (;;) {
        int mods = modifiers(p);
        struct node *c = parse_clause(p, field);
        if (p->failed)
            return NULL;
        add_clause(p, b, conj, mods, c);
        int t = peek(p, 0)->type;
        if (t == T_EOF || t == T_RPAREN)
            break;
        conj = 0;
        if (t == T_AND || t == T_OR) {
            conj = t;
            next(p);
        }
    }
    return b;
}

/* ---- SQL ------------------------------------------------------------------------------------ */

struct gen {
    struct solrq *q;
    struct parser *p;
    bool rank;
};

/* Replace %K (the key parameter) and %V (the value, already "$n::type") in a template. */
static char *expand(struct gen *g, const char *tmpl, const struct resolved *f, const char *v)
{
    struct sb b = {0};
    for (const char *s = tmpl; *s; s++) {
        if (s[0] == '%' && s[1] == 'K') {
            sb_puts(&b, pref(g->q, f->key ? f->key : "", 't'));
            s++;
        } else if (s[0] == '%' && s[1] == 'V') {
            sb_puts(&b, v ? v : "NULL");
            s++;
        } else {
            sb_putn(&b, s, 1);
        }
    }
    return sb_done(g->q, &b);
}

static char *val_sql(struct gen *g, const struct resolved *f)
{
    return f->f->val ? expand(g, f->f->val, f, NULL) : NULL;
}

static char *fmt(struct gen *g, const char *f, ...) __attribute__((format(printf, 2, 3)));
static char *fmt(struct gen *g, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char tmp[512];
    int n = vsnprintf(tmp, sizeof(tmp), f, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(tmp))
        return pstrdup(g->q, tmp);
    char *big = oom(malloc((size_t)n + 1));
    va_start(ap, f);
    vsnprintf(big, (size_t)n + 1, f, ap);
    va_end(ap);
    char *out = pstrdup(g->q, big);
    free(big);
    return out;
}

/* A LIKE pattern: * → %, ? → _, and the literal characters escaped. */
static char *like_pattern(struct gen *g, const struct node *n, bool substring)
{
    struct sb b = {0};
    if (substring && !(n->len && n->wild[0] && n->text[0] == '*'))
        sb_putn(&b, "%", 1);
    for (size_t i = 0; i < n->len; i++) {
        char c = n->text[i];
        if (n->wild[i])
            sb_putn(&b, c == '*' ? "%" : "_", 1);
        else if (c == '%' || c == '_' || c == '\\')
            sb_putn(&b, "\\", 1), sb_putn(&b, &c, 1);
        else
            sb_putn(&b, &c, 1);
    }
    if (substring && !(n->len && n->wild[n->len - 1] && n->text[n->len - 1] == '*'))
        sb_putn(&b, "%", 1);
    return sb_done(g->q, &b);
}

static bool has_wild(const struct node *n)
{
    for (size_t i = 0; i < n->len; i++)
        if (n->wild[i])
            return true;
    return false;
}

/* "abc*" with no other wildcard: a prefix. */
static bool is_prefix(const struct node *n)
{
    if (n->len < 2 || !n->wild[n->len - 1] || n->text[n->len - 1] != '*')
        return false;
    for (size_t i = 0; i + 1 < n->len; i++)
        if (n->wild[i])
            return false;
    return true;
}

/* ---- dates: ISO 8601 UTC or NOW, then +N/-N UNIT and /UNIT steps (Solr date math) ---------- */

struct date_unit {
    const char *name;
    const char *pg; /* interval unit and date_trunc field */
    double seconds;
};

static const struct date_unit date_units[] = {
    {"YEARS", "year", 31557600}, {"YEAR", "year", 31557600},
    {"MONTHS", "month", 2629800}, {"MONTH", "month", 2629800},
    {"DAYS", "day", 86400}, {"DAY", "day", 86400}, {"DATE", "day", 86400},
    {"HOURS", "hour", 3600}, {"HOUR", "hour", 3600},
    {"MINUTES", "minute", 60}, {"MINUTE", "minute", 60},
    {"SECONDS", "second", 1}, {"SECOND", "second", 1},
    {"MILLISECONDS", "milliseconds", 0.001}, {"MILLISECOND", "milliseconds", 0.001},
    {"MILLIS", "milliseconds", 0.001}, {"MILLI", "milliseconds", 0.001},
};

static const struct date_unit *date_unit(const char **s)
{
    for (size_t i = 0; i < sizeof(date_units) / sizeof(date_units[0]); i++) {
        size_t n = strlen(date_units[i].name);
        if (strncmp(*s, date_units[i].name, n) == 0) {
            *s += n;
            return &date_units[i];
        }
    }
    return NULL;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* YYYY-MM-DD[Thh:mm:ss[.f]][Z] → "YYYY-MM-DD hh:mm:ss[.f]+00"; *s moves past it. */
static bool iso_date(struct gen *g, const char **s, char **out)
{
    const char *p = *s;
    int y = digits(p, 4), mo = -1, d = -1, h = 0, mi = 0, se = 0;
    if (y >= 1 && p[4] == '-' && (mo = digits(p + 5, 2)) >= 1 && mo <= 12 && p[7] == '-')
        d = digits(p + 8, 2);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d < 1 || mo < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap))
        return false;
    p += 10;
    char frac[16] = "";
    if (*p == 'T') {
        h = digits(p + 1, 2);
        if (h < 0 || h > 23 || p[3] != ':' || (mi = digits(p + 4, 2)) < 0 || mi > 59 ||
            p[6] != ':' || (se = digits(p + 7, 2)) < 0 || se > 59)
            return false;
        p += 9;
        if (*p == '.') {
            int n = 0;
            frac[0] = '.';
            for (p++; *p >= '0' && *p <= '9'; p++)
                if (n < 9)
                    frac[++n] = *p;
            if (n == 0)
                return false;
            frac[n + 1] = '\0';
        }
    }
    if (*p == 'Z')
        p++;
    char buf[64];
    snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d%s+00", y, mo, d, h, mi, se, frac);
    *out = pref(g->q, buf, 'd');
    *s = p;
    return true;
}

/* The SQL timestamptz of a Solr date value, or NULL when it is not one. */
static char *date_sql(struct gen *g, const char *v)
{
    const char *s = v;
    char *x;
    if (strncmp(s, "NOW", 3) == 0) {
        x = pstrdup(g->q, "now()");
        s += 3;
    } else if (!iso_date(g, &s, &x)) {
        return NULL;
    }
    for (int ops = 0; *s; ops++) {
        if (ops >= SQ_MAX_DATE_OPS)
            return NULL;
        char op = *s++;
        if (op == '/') {
            const struct date_unit *u = date_unit(&s);
            if (!u)
                return NULL;
            x = fmt(g, "date_trunc('%s', %s)", u->pg, x);
        } else if (op == '+' || op == '-') {
            long long n = 0;
            int nd = 0;
            while (*s >= '0' && *s <= '9' && nd < 12)
                n = n * 10 + (*s++ - '0'), nd++;
            const struct date_unit *u = nd ? date_unit(&s) : NULL;
            if (!u || (double)n * u->seconds > SQ_MAX_SHIFT_S)
                return NULL;
            char iv[64];
            snprintf(iv, sizeof(iv), "%c%lld %s", op, n, u->pg);
            x = fmt(g, "(%s + %s)", x, pref(g->q, iv, 'i'));
        } else {
            return NULL;
        }
    }
    return x;
}

static bool int_value(const char *s, long long *out)
{
    const char *p = s + (*s == '-');
    size_t n = strlen(p);
    if (n == 0 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    *out = strtoll(s, NULL, 10);
    return true;
}

/* A lower-case hyphenated uuid, the form CKAN ids take. */
static bool uuid_value(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

/* ---- terms and ranges by field kind --------------------------------------------------------- */

static char *gen_text_term(struct gen *g, const struct node *n, bool neg)
{
    const struct solrq_map *m = g->q->map;
    const struct resolved *f = &n->field;
    char *val = val_sql(g, f);
    if (n->star && !n->phrase)
        return val ? fmt(g, "coalesce(%s, '') <> ''", val) : pstrdup(g->q, "true");
    bool prefix = !n->phrase && is_prefix(n);
    if (!n->phrase && has_wild(n) && !prefix) {
        char *pat = pref(g->q, like_pattern(g, n, true), 't');
        return val ? fmt(g, "lower(%s) LIKE lower(%s)", val, pat)
                   : fmt(g, "%s LIKE lower(%s)", m->doc_text, pat);
    }
    const char *word = prefix ? pstrndup(g->q, n->text, n->len - 1) : n->text;
    if (prefix && !has_word_char(word))
        return val ? fmt(g, "coalesce(%s, '') <> ''", val) : pstrdup(g->q, "true");
    /* A scalar subquery: computed once per execution also under a generic plan (a bare call
     * of the function with a parameter would run for every row it is compared with). */
    char *tsq = fmt(g, "(SELECT %s(%s, %s))", m->tsq_fn, pref(g->q, word, 't'),
                    prefix ? "true" : "false");
    if (g->rank && !neg)
        add_rank(g->q, tsq);
    if (!val)
        return fmt(g, "%s @@ %s", m->doc_tsv, tsq);
    return fmt(g, "(%s @@ %s AND %s(%s) @@ %s)", m->doc_tsv, tsq, m->tsv_fn, val, tsq);
}

static char *gen_term(struct gen *g, const struct node *n, bool neg)
{
    const struct resolved *f = &n->field;
    enum solrq_kind kind = f->f->kind;
    if (kind == SOLRQ_TEXT)
        return gen_text_term(g, n, neg);
    char *val = val_sql(g, f);
    bool wild = !n->phrase && has_wild(n);
    if (n->star && !n->phrase)
        return fmt(g, kind == SOLRQ_STRS ? "cardinality(%s) > 0" : "%s IS NOT NULL", val);
    if (wild) {
        if (kind != SOLRQ_STR && kind != SOLRQ_STRS && kind != SOLRQ_UUID) {
            fail(g->p, n->pos, "wildcards are not supported on the field '%s'", f->name);
            return NULL;
        }
        char *pat = pref(g->q, like_pattern(g, n, false), 't');
        if (kind == SOLRQ_STRS)
            return fmt(g, "EXISTS (SELECT 1 FROM unnest(%s) AS x(v) WHERE x.v LIKE %s)", val, pat);
        return fmt(g, "%s LIKE %s", val, pat);
    }
    switch (kind) {
    case SOLRQ_STR:
        if (f->f->eq)
            return expand(g, f->f->eq, f, pref(g->q, n->text, 't'));
        return fmt(g, "%s = %s", val, pref(g->q, n->text, 't'));
    case SOLRQ_STRS:
        if (f->f->eq)
            return expand(g, f->f->eq, f, pref(g->q, n->text, 't'));
        return fmt(g, "%s @> ARRAY[%s]", val, pref(g->q, n->text, 't'));
    case SOLRQ_UUID:
        if (!uuid_value(n->text))
            return pstrdup(g->q, "false");
        if (f->f->eq)
            return expand(g, f->f->eq, f, pref(g->q, n->text, 'u'));
        return fmt(g, "%s = %s", val, pref(g->q, n->text, 't'));
    case SOLRQ_DATE: {
        char *d = date_sql(g, n->text);
        if (!d) {
            fail(g->p, n->pos, "'%s' is not a date (use 2024-01-31T00:00:00Z or NOW-1DAY)",
                 n->text);
            return NULL;
        }
        return fmt(g, "%s = %s", val, d);
    }
    case SOLRQ_INT: {
        long long v;
        if (!int_value(n->text, &v))
            return pstrdup(g->q, "false");
        char buf[32];
        snprintf(buf, sizeof(buf), "%lld", v);
        return fmt(g, "%s = %s", val, pref(g->q, buf, 'b'));
    }
    case SOLRQ_BOOL:
        if (strcmp(n->text, "true") == 0 || strcmp(n->text, "True") == 0)
            return fmt(g, "%s = true", val);
        if (strcmp(n->text, "false") == 0 || strcmp(n->text, "False") == 0)
            return fmt(g, "%s = false", val);
        return pstrdup(g->q, "false");
    case SOLRQ_TEXT:
        break;
    }
    return NULL;
}

/* One end of a range as SQL, typed by the field; NULL (and a failure) when not valid. */
static char *range_value(struct gen *g, const struct node *n, const char *v)
{
    enum solrq_kind kind = n->field.f->kind;
    if (kind == SOLRQ_DATE) {
        char *d = date_sql(g, v);
        if (!d)
            fail(g->p, n->pos, "'%s' is not a date (use 2024-01-31T00:00:00Z or NOW-1DAY)", v);
        return d;
    }
    if (kind == SOLRQ_INT) {
        long long x;
        if (!int_value(v, &x)) {
            fail(g->p, n->pos, "'%s' is not an integer", v);
            return NULL;
        }
        char buf[32];
        snprintf(buf, sizeof(buf), "%lld", x);
        return pref(g->q, buf, 'b');
    }
    return pref(g->q, v, 't');
}

static char *gen_range(struct gen *g, const struct node *n)
{
    const struct resolved *f = &n->field;
    enum solrq_kind kind = f->f->kind;
    if (kind == SOLRQ_TEXT || kind == SOLRQ_BOOL) {
        fail(g->p, n->pos, "range queries are not supported on the field '%s'", f->name);
        return NULL;
    }
    char *val = val_sql(g, f);
    bool text = kind == SOLRQ_STR || kind == SOLRQ_STRS || kind == SOLRQ_UUID;
    const char *subject = kind == SOLRQ_STRS ? "x.v" : val;
    struct sb b = {0};
    const char *ends[2] = {n->lo, n->hi};
    for (int i = 0; i < 2; i++) {
        if (!ends[i])
            continue;
        char *v = range_value(g, n, ends[i]);
        if (!v) {
            free(b.s);
            return NULL;
        }
        if (b.len)
            sb_puts(&b, " AND ");
        bool incl = i == 0 ? n->lo_incl : n->hi_incl;
        sb_printf(&b, "%s%s %s %s", subject, text ? " COLLATE \"C\"" : "",
                  i == 0 ? (incl ? ">=" : ">") : (incl ? "<=" : "<"), v);
    }
    if (!b.len)
        sb_printf(&b, kind == SOLRQ_STRS ? "true" : "%s IS NOT NULL", val);
    char *cond = sb_done(g->q, &b);
    if (kind == SOLRQ_STRS)
        return fmt(g, "EXISTS (SELECT 1 FROM unnest(%s) AS x(v) WHERE %s)", val, cond);
    return n->lo && n->hi ? fmt(g, "(%s)", cond) : cond;
}

static char *gen(struct gen *g, const struct node *n, bool neg, int mm);

static char *join(struct gen *g, char **parts, int n, const char *sep)
{
    if (n == 1)
        return parts[0];
    struct sb b = {0};
    sb_puts(&b, "(");
    for (int i = 0; i < n; i++) {
        if (i)
            sb_puts(&b, sep);
        sb_puts(&b, parts[i]);
    }
    sb_puts(&b, ")");
    return sb_done(g->q, &b);
}

/* "at least k of these": an OR (which an index can serve) and the count. */
static char *at_least(struct gen *g, char **s, int n, int k)
{
    if (k <= 1)
        return join(g, s, n, " OR ");
    struct sb b = {0};
    sb_puts(&b, "(");
    for (int i = 0; i < n; i++)
        sb_printf(&b, "%scoalesce(%s, false)::int", i ? " + " : "", s[i]);
    sb_printf(&b, ") >= %d", k);
    char *count = sb_done(g->q, &b);
    return fmt(g, "(%s AND %s)", join(g, s, n, " OR "), count);
}

/* A boolean node, as Lucene reads its clauses: every MUST, no MUST_NOT, and the SHOULDs only
 * when there is no MUST (then at least one) — or, for dismax's top level (mm >= 0 is the spec's
 * count for this many SHOULDs), at least mm of them. A clause list with only MUST_NOTs means
 * "everything but" (Solr does this for a top-level query; we do it at every level). */
static char *gen_bool(struct gen *g, const struct node *n, bool neg, int mm)
{
    int cap = n->nclauses;
    char **must = palloc(g->q, sizeof(char *) * (size_t)(cap + 2));
    char **should = palloc(g->q, sizeof(char *) * (size_t)(cap + 1));
    int nmust = 0, nshould = 0;
    bool any_must = false;
    for (int i = 0; i < n->nclauses; i++)
        any_must |= n->clauses[i].occur == O_MUST && n->clauses[i].n;
    for (int i = 0; i < n->nclauses; i++) {
        const struct clause *c = &n->clauses[i];
        if (!c->n || (c->occur == O_SHOULD && any_must && mm < 0))
            continue; /* dropped, or only scoring */
        char *s = gen(g, c->n, neg ^ (c->occur == O_NOT), -1);
        if (g->p->failed)
            return NULL;
        if (!s)
            continue;
        if (c->occur == O_MUST)
            must[nmust++] = s;
        else if (c->occur == O_NOT)
            must[nmust++] = fmt(g, "NOT coalesce(%s, false)", s);
        else
            should[nshould++] = s;
    }
    if (nshould) {
        int k = mm < 0 ? 1 : mm;
        if (!any_must && k < 1)
            k = 1;
        if (k >= nshould)
            for (int i = 0; i < nshould; i++)
                must[nmust++] = should[i];
        else if (k >= 1)
            must[nmust++] = at_least(g, should, nshould, k);
    }
    if (nmust == 0)
        return NULL;
    return join(g, must, nmust, " AND ");
}

static char *gen(struct gen *g, const struct node *n, bool neg, int mm)
{
    switch (n->type) {
    case N_ALL:
        return pstrdup(g->q, "true");
    case N_TERM:
        return gen_term(g, n, neg);
    case N_RANGE:
        return gen_range(g, n);
    case N_BOOL:
        return gen_bool(g, n, neg, mm);
    }
    return NULL;
}

/* ---- entry points --------------------------------------------------------------------------- */

static const char *run(struct solrq *q, struct parser *p, struct resolved *field, bool rank,
                       const char *mm)
{
    q->error = NULL;
    if (!utf8_valid(p->src)) {
        q->error = pstrdup(q, "Cannot parse the query: it is not valid UTF-8");
        return NULL;
    }
    struct node *root = NULL;
    if (peek(p, 0)->type == T_EOF && !p->failed) {
        if (p->dismax)
            return "false"; /* nothing left once the dangling operators are gone */
        fail(p, 0, "the query is empty");
    } else if (!p->failed) {
        root = parse_query(p, field);
        if (!p->failed && peek(p, 0)->type != T_EOF)
            fail(p, peek(p, 0)->pos, "unexpected %s", tok_name(peek(p, 0)));
    }
    if (p->failed)
        return NULL;
    int k = -1;
    if (mm) {
        int nshould = 0;
        for (int i = 0; i < root->nclauses; i++)
            nshould += root->clauses[i].occur == O_SHOULD && root->clauses[i].n;
        k = solrq_mm(mm, nshould);
    }
    struct gen g = {q, p, rank};
    char *sql = gen(&g, root, false, k);
    if (p->failed)
        return NULL;
    return sql ? sql : "false"; /* everything was analysed away: nothing matches */
}

const char *solrq_lucene(struct solrq *q, const char *text, const char *default_field,
                         bool default_and, bool rank)
{
    struct parser p = {.q = q, .src = text, .len = strlen(text), .default_and = default_and};
    struct resolved f;
    if (!resolve(q->map, default_field, &f)) {
        q->error = pstrdup(q, "Cannot parse the query: unknown default field");
        return NULL;
    }
    return run(q, &p, &f, rank, NULL);
}

/* Solr drops every quote when they are unbalanced. */
static char *balance_quotes(struct solrq *q, const char *text)
{
    size_t n = 0;
    for (const char *s = text; *s; s++)
        n += *s == '"';
    if (n % 2 == 0)
        return pstrdup(q, text);
    char *out = palloc(q, strlen(text) + 1), *o = out;
    for (const char *s = text; *s; s++)
        if (*s != '"')
            *o++ = *s;
    *o = '\0';
    return out;
}

const char *solrq_dismax(struct solrq *q, const char *text, const char *mm)
{
    if (!mm)
        mm = "2<-1 5<80%";
    if (solrq_mm(mm, 1) < 0) {
        q->error = pstrdup(q, "Invalid \"mm\" parameter");
        return NULL;
    }
    char *src = balance_quotes(q, text);
    struct parser p = {.q = q, .src = src, .len = strlen(src), .dismax = true};
    struct resolved f;
    if (!resolve(q->map, "text", &f)) {
        q->error = pstrdup(q, "Cannot parse the query: no text field");
        return NULL;
    }
    return run(q, &p, &f, true, mm);
}

bool solrq_field(struct solrq *q, const char *name, struct solrq_expr *out)
{
    struct resolved r;
    if (!utf8_valid(name) || !*name || !resolve(q->map, name, &r))
        return false;
    struct parser p = {.q = q, .src = name, .len = strlen(name)};
    struct gen g = {q, &p, false};
    out->kind = r.f->kind;
    out->sql = r.f->val ? expand(&g, r.f->val, &r, NULL) : NULL;
    return out->sql != NULL;
}

/* One mm spec (no conditions): "3", "-1", "80%", "-25%" applied to n clauses. */
static int mm_simple(const char *s, size_t len, int n, bool *ok)
{
    bool pct = len && s[len - 1] == '%';
    size_t i = 0, e = len - pct;
    bool negative = i < e && s[i] == '-';
    i += negative;
    if (i == e || e - i > 6) {
        *ok = false;
        return 0;
    }
    long v = 0;
    for (; i < e; i++) {
        if (s[i] < '0' || s[i] > '9') {
            *ok = false;
            return 0;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (negative)
        v = -v;
    long r;
    if (pct) {
        double calc = (double)n * (double)v / 100.0;
        r = calc < 0 ? n + (long)calc : (long)calc;
    } else {
        r = v < 0 ? n + v : v;
    }
    if (r < 0)
        r = 0;
    return (int)(r > n ? n : r);
}

int solrq_mm(const char *spec, int n)
{
    /* Conditional: "2<-1 5<80%" = up to 2 clauses all, up to 5 all but one, else 80%. */
    bool ok = true;
    const char *s = spec;
    while (*s == ' ')
        s++;
    if (!*s)
        return -1;
    if (!strchr(s, '<')) {
        size_t len = strcspn(s, " ");
        const char *rest = s + len;
        while (*rest == ' ')
            rest++;
        int r = mm_simple(s, len, n, &ok);
        return ok && !*rest ? r : -1;
    }
    int result = n;
    bool decided = false;
    while (*s) {
        size_t len = strcspn(s, " ");
        const char *lt = memchr(s, '<', len);
        if (!lt || lt == s)
            return -1;
        long bound = 0;
        for (const char *d = s; d < lt; d++) {
            if (*d < '0' || *d > '9' || bound > 100000)
                return -1;
            bound = bound * 10 + (*d - '0');
        }
        int r = mm_simple(lt + 1, len - (size_t)(lt + 1 - s), n, &ok);
        if (!ok)
            return -1;
        if (!decided) {
            if (n <= bound)
                decided = true;
            else
                result = r;
        }
        s += len;
        while (*s == ' ')
            s++;
    }
    return result;
}

/* ---- the CKAN package field map (sql/migrations/010, table ckan_search_doc AS s) */

static const struct solrq_field ckan_fields[] = {
    {"id", SOLRQ_UUID, false, "s.package_id::text", "s.package_id = %V"},
    {"name", SOLRQ_STR, false, "s.name", NULL},
    {"title", SOLRQ_TEXT, false, "s.title", NULL},
    {"title_string", SOLRQ_STR, false, "s.title", NULL},
    {"notes", SOLRQ_TEXT, false, "s.notes", NULL},
    {"author", SOLRQ_TEXT, false, "s.author", NULL},
    {"author_email", SOLRQ_TEXT, false, "s.author_email", NULL},
    {"maintainer", SOLRQ_TEXT, false, "s.maintainer", NULL},
    {"maintainer_email", SOLRQ_TEXT, false, "s.maintainer_email", NULL},
    {"state", SOLRQ_STR, false, "s.state", NULL},
    {"dataset_type", SOLRQ_STR, false, "s.type", NULL},
    {"type", SOLRQ_STR, false, "s.type", NULL},
    {"version", SOLRQ_STR, false, "s.version", NULL},
    {"url", SOLRQ_STR, false, "s.url", NULL},
    {"license_id", SOLRQ_STR, false, "s.license_id", NULL},
    {"tags", SOLRQ_STRS, false, "s.tags", NULL},
    {"groups", SOLRQ_STRS, false, "s.groups", NULL},
    {"organization", SOLRQ_STR, false, "s.organization", NULL},
    {"owner_org", SOLRQ_UUID, false, "s.owner_org::text", "s.owner_org = %V"},
    {"capacity", SOLRQ_STR, false, "(CASE WHEN s.private THEN 'private' ELSE 'public' END)", NULL},
    {"private", SOLRQ_BOOL, false, "s.private", NULL},
    {"res_format", SOLRQ_STRS, false, "s.res_format", NULL},
    {"res_url", SOLRQ_STRS, false, "s.res_url", NULL},
    {"res_type", SOLRQ_STRS, false, "s.res_type", NULL},
    {"res_name", SOLRQ_TEXT, false, "array_to_string(s.res_name, ' ')", NULL},
    {"res_description", SOLRQ_TEXT, false, "array_to_string(s.res_description, ' ')", NULL},
    {"site_id", SOLRQ_STR, false, "'default'::text", NULL},
    {"entity_type", SOLRQ_STR, false, "'package'::text", NULL},
    {"creator_user_id", SOLRQ_UUID, false, "s.creator_user_id::text", "s.creator_user_id = %V"},
    {"metadata_created", SOLRQ_DATE, false, "s.metadata_created", NULL},
    {"metadata_modified", SOLRQ_DATE, false, "s.metadata_modified", NULL},
    {"num_resources", SOLRQ_INT, false, "s.num_resources", NULL},
    {"num_tags", SOLRQ_INT, false, "s.num_tags", NULL},
    {"text", SOLRQ_TEXT, false, NULL, NULL},
    {"extras_", SOLRQ_TEXT, true, "(s.extras->>%K)", NULL},
    {"vocab_", SOLRQ_STRS, true, "ARRAY(SELECT jsonb_array_elements_text(s.vocab->%K))",
     "s.vocab @> jsonb_build_object(%K, jsonb_build_array(%V))"},
    {NULL, 0, false, NULL, NULL},
};

/* Any other name is an extra under its bare key (CKAN indexes extras both ways). */
static const struct solrq_field ckan_extra_field = {
    "", SOLRQ_STR, true, "(s.extras->>%K)", "s.extras @> jsonb_build_object(%K, %V)"};

const struct solrq_map solrq_ckan_map = {
    .fields = ckan_fields,
    .fallback = &ckan_extra_field,
    .doc_tsv = "s.fts",
    .doc_text = "s.body",
    .tsq_fn = "ckan_search_tsq",
    .tsv_fn = "ckan_search_tsv",
};
