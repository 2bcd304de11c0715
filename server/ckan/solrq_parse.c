/* solrq_parse — tokens → AST: Lucene's clause rules, ranges, boosts (see solrq_int.h). */
#include "solrq_int.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the AST -------------------------------------------------------------------------------- */

static struct node *new_node(struct parser *p, enum node_type type, size_t pos)
{
    struct node *n = sq_alloc(p->q, sizeof(*n));
    memset(n, 0, sizeof(*n));
    n->type = type;
    n->pos = pos;
    return n;
}

bool sq_resolve(const struct solrq_map *m, const char *name, struct resolved *r)
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
        struct clause *c = sq_alloc(p->q, sizeof(*c) * (size_t)cap);
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
        sq_fail(p, pos, "too many clauses (at most %d)", SQ_MAX_CLAUSES);
        return false;
    }
    return true;
}

/* Skip "^2.5" after a term, phrase, range or group: boosts only weigh scores, ignored here. */
static void boost(struct parser *p)
{
    if (sq_peek(p, 0)->type != T_CARET)
        return;
    struct tok c = sq_next(p);
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
        sq_fail(p, c.pos, "'^' must be followed by a number");
        return;
    }
    p->pos = n;
}

static void no_fuzzy(struct parser *p)
{
    if (sq_peek(p, 0)->type == T_TILDE)
        sq_fail(p, sq_peek(p, 0)->pos, "fuzzy and proximity searches (~) are not supported");
}

/* One end of a range: "quoted", or anything up to whitespace, ']' or '}'. NULL for '*'. */
static char *range_end(struct parser *p, bool *ok)
{
    *ok = false;
    while (p->pos < p->len && sq_ws_len(p->src + p->pos))
        p->pos += sq_ws_len(p->src + p->pos);
    if (p->pos >= p->len) {
        sq_fail(p, p->pos, "unfinished range");
        return NULL;
    }
    if (p->src[p->pos] == '"') {
        struct tok t;
        sq_lex_phrase(p, &t);
        *ok = !p->failed;
        return t.text;
    }
    struct sbuf b = {0};
    size_t start = p->pos;
    while (p->pos < p->len && !sq_ws_len(p->src + p->pos) && p->src[p->pos] != ']' &&
           p->src[p->pos] != '}') {
        if (p->src[p->pos] == '\\' && p->pos + 1 < p->len)
            p->pos++;
        size_t l = sq_utf8_seq((const unsigned char *)p->src + p->pos, p->len - p->pos);
        sbuf_add(&b, p->src + p->pos, l);
        p->pos += l;
    }
    if (p->pos == start) {
        sbuf_free(&b);
        sq_fail(p, p->pos, "missing range value");
        return NULL;
    }
    bool star = p->pos - start == 1 && p->src[start] == '*';
    char *v = sq_buf_done(p->q, &b);
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
    while (p->pos < p->len && sq_ws_len(p->src + p->pos))
        p->pos += sq_ws_len(p->src + p->pos);
    if (!(p->pos + 2 <= p->len && memcmp(p->src + p->pos, "TO", 2) == 0 &&
          (p->pos + 2 == p->len || sq_ws_len(p->src + p->pos + 2)))) {
        sq_fail(p, p->pos, "a range needs 'TO' between its ends");
        return NULL;
    }
    p->pos += 2;
    n->hi = range_end(p, &ok);
    if (!ok)
        return NULL;
    while (p->pos < p->len && sq_ws_len(p->src + p->pos))
        p->pos += sq_ws_len(p->src + p->pos);
    if (p->pos >= p->len || (p->src[p->pos] != ']' && p->src[p->pos] != '}')) {
        sq_fail(p, p->pos, "missing ']' or '}' at the end of the range");
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
    return !sq_has_word_char(n->text);
}


static struct node *parse_term(struct parser *p, struct resolved *f)
{
    struct tok *t = sq_peek(p, 0);
    if (t->type == T_RANGE_OPEN) {
        struct tok open = sq_next(p);
        if (p->dismax) /* not reached: dismax has no ranges */
            return NULL;
        return parse_range(p, &open, f);
    }
    if (t->type == T_SLASH) {
        sq_fail(p, t->pos, "regular expressions (/.../) are not supported");
        return NULL;
    }
    if (t->type != T_TERM && t->type != T_PHRASE) {
        sq_fail(p, t->pos, "expected a term, found %s", sq_tok_name(t));
        return NULL;
    }
    struct tok v = sq_next(p);
    struct node *n = new_node(p, N_TERM, v.pos);
    n->field = *f;
    n->text = v.text;
    n->len = v.len;
    n->phrase = v.type == T_PHRASE;
    n->wild = v.wild ? v.wild : sq_alloc(p->q, v.len + 1);
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
    struct tok *t = sq_peek(p, 0);
    if (!p->dismax && t->type == T_TERM && sq_peek(p, 1)->type == T_COLON) {
        struct tok name = sq_next(p);
        sq_next(p);
        if (name.raw_star) {
            struct tok *v = sq_peek(p, 0);
            if (v->type == T_TERM && v->raw_star) {
                struct tok all = sq_next(p);
                boost(p);
                return count_clause(p, all.pos) ? new_node(p, N_ALL, name.pos) : NULL;
            }
            sq_fail(p, name.pos, "the field '*' only takes '*' (*:*)");
            return NULL;
        }
        for (size_t i = 0; i < name.len; i++)
            if (name.wild[i]) {
                sq_fail(p, name.pos, "a field name cannot have wildcards");
                return NULL;
            }
        if (!sq_resolve(p->q->map, name.text, &f)) {
            sq_fail(p, name.pos, "unknown field '%s'", name.text);
            return NULL;
        }
    }
    t = sq_peek(p, 0);
    if (!p->dismax && t->type == T_LPAREN) {
        struct tok open = sq_next(p);
        if (++p->depth > SQ_MAX_DEPTH) {
            sq_fail(p, open.pos, "parentheses nested too deeply (at most %d)", SQ_MAX_DEPTH);
            return NULL;
        }
        struct node *n = sq_parse_query(p, &f);
        p->depth--;
        if (p->failed)
            return NULL;
        if (sq_peek(p, 0)->type != T_RPAREN) {
            sq_fail(p, sq_peek(p, 0)->pos, "expected ')', found %s", sq_tok_name(sq_peek(p, 0)));
            return NULL;
        }
        sq_next(p);
        boost(p);
        return n;
    }
    return parse_term(p, &f);
}

static int modifiers(struct parser *p)
{
    int t = sq_peek(p, 0)->type;
    if (t == T_PLUS || t == T_MINUS || t == T_NOT) {
        sq_next(p);
        return t;
    }
    return 0;
}

/* Query := Modifiers Clause { [AND|OR] Modifiers Clause } */
struct node *sq_parse_query(struct parser *p, struct resolved *field)
{
    struct node *b = new_node(p, N_BOOL, sq_peek(p, 0)->pos);
    int conj = 0;
    for (;;) {
        int mods = modifiers(p);
        struct node *c = parse_clause(p, field);
        if (p->failed)
            return NULL;
        add_clause(p, b, conj, mods, c);
        int t = sq_peek(p, 0)->type;
        if (t == T_EOF || t == T_RPAREN)
            break;
        conj = 0;
        if (t == T_AND || t == T_OR) {
            conj = t;
            sq_next(p);
        }
    }
    return b;
}
