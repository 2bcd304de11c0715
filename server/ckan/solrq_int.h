/* solrq_int.h — what the parts of solrq share, each part using only those before it:
 * solrq_mem.c (the search object: memory, growing strings, parameters, rank terms),
 * solrq_lex.c (characters, tokens), solrq_parse.c (tokens → AST), solrq_sql.c (AST → SQL),
 * solrq.c (the entry points, which run them); solrq_map.c is CKAN's field map. */
#ifndef SOLRQ_INT_H
#define SOLRQ_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"
#include "solrq.h"

#define SQ_MAX_DEPTH 64      /* nested parentheses */
#define SQ_MAX_CLAUSES 1024  /* leaves per search (Solr's maxBooleanClauses) */
#define SQ_MAX_DATE_OPS 4    /* date-math steps per value */
#define SQ_MAX_SHIFT_S 31557600000.0 /* one date-math step moves at most 1000 years */
#define SQ_QUOTE_MAX 100     /* bytes of the query quoted in an error message */

/* The search object (solrq_mem.c). */
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
    struct arena *mem; /* everything of the search but the growing arrays */
};

/* Tokens (solrq_lex.c). */
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

/* The AST (solrq_parse.c). */
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

/* The SQL generator's state (solrq_sql.c). */
struct sq_gen {
    struct solrq *q;
    struct parser *p;
    bool rank;
};

/* The search's memory (solrq_mem.c): everything lives until solrq_free; out of memory aborts. */
void *sq_alloc(struct solrq *q, size_t n);
char *sq_strndup(struct solrq *q, const char *s, size_t n);
char *sq_strdup(struct solrq *q, const char *s);
/* Move a string built in b (sbuf.h) into the search's memory; b is empty again. */
char *sq_buf_done(struct solrq *q, struct sbuf *b);
/* "$n::type" for a new or reused parameter; a text term for solrq_rank. */
char *sq_pref(struct solrq *q, const char *value, char type);
void sq_add_rank(struct solrq *q, const char *tsq);

/* Characters and tokens (solrq_lex.c). */
size_t sq_utf8_seq(const unsigned char *s, size_t n);
bool sq_utf8_valid(const char *s);
size_t sq_ws_len(const char *s);
bool sq_has_word_char(const char *s);
void sq_fail(struct parser *p, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sq_lex_phrase(struct parser *p, struct tok *t);
struct tok *sq_peek(struct parser *p, int i);
struct tok sq_next(struct parser *p);
const char *sq_tok_name(const struct tok *t);

/* The AST (solrq_parse.c). */
bool sq_resolve(const struct solrq_map *m, const char *name, struct resolved *r);
struct node *sq_parse_query(struct parser *p, struct resolved *field);

/* SQL (solrq_sql.c). */
char *sq_expand(struct sq_gen *g, const char *tmpl, const struct resolved *f, const char *v);
char *sq_gen_sql(struct sq_gen *g, const struct node *n, bool neg, int mm);

#endif
