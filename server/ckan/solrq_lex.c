/* solrq_lex — characters and tokens of the Solr query subset (see solrq_int.h). */
#include "solrq_int.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 and characters ------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when invalid. */
size_t sq_utf8_seq(const unsigned char *s, size_t n)
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

bool sq_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    while (n) {
        size_t l = sq_utf8_seq(p, n);
        if (!l)
            return false;
        p += l, n -= l;
    }
    return true;
}

/* Whitespace as Lucene's classic parser knows it, including the ideographic space. */
size_t sq_ws_len(const char *s)
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
bool sq_has_word_char(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    while (n) {
        size_t l = sq_utf8_seq(p, n);
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

void sq_fail(struct parser *p, size_t pos, const char *fmt, ...)
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
        size_t l = sq_utf8_seq((const unsigned char *)p->src + n, p->len - n);
        n += l ? l : 1;
    }
    struct sbuf b = {0};
    sbuf_adds(&b, "Cannot parse '");
    sbuf_add(&b, p->src, n);
    sbuf_adds(&b, n < p->len ? "...'" : "'");
    sbuf_addf(&b, ": %s at position %zu", msg, pos + 1);
    p->q->error = sq_buf_done(p->q, &b);
}

/* Characters that end a term in the standard syntax. */
static bool lucene_special(char c)
{
    return strchr("+-!():^[]\"{}~/", c) != NULL && c != '\0';
}

static void lex_term(struct parser *p, struct tok *t)
{
    struct sbuf text = {0}, wild = {0};
    size_t start = p->pos;
    bool escaped_any = false;
    while (p->pos < p->len && !sq_ws_len(p->src + p->pos)) {
        char c = p->src[p->pos];
        if (!p->dismax && p->pos > start && (c == '+' || c == '-')) {
            /* allowed inside a term */
        } else if (!p->dismax && (lucene_special(c) || c == '\\')) {
            if (c != '\\')
                break;
            if (p->pos + 1 >= p->len) {
                sq_fail(p, p->pos, "'\\' at the end of the query escapes nothing");
                break;
            }
            p->pos++;
            escaped_any = true;
            size_t l = sq_utf8_seq((const unsigned char *)p->src + p->pos, p->len - p->pos);
            sbuf_add(&text, p->src + p->pos, l);
            for (size_t i = 0; i < l; i++)
                sbuf_add(&wild, "\0", 1);
            p->pos += l;
            continue;
        } else if (p->dismax && c == '"') {
            break;
        }
        size_t l = sq_utf8_seq((const unsigned char *)p->src + p->pos, p->len - p->pos);
        bool w = !p->dismax && (c == '*' || c == '?');
        sbuf_add(&text, p->src + p->pos, l);
        for (size_t i = 0; i < l; i++)
            sbuf_add(&wild, w ? "\1" : "\0", 1);
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
    t->text = sq_buf_done(p->q, &text);
    t->wild = sq_alloc(p->q, t->len + 1);
    if (t->len)
        memcpy(t->wild, wild.p, t->len);
    sbuf_free(&wild);
    t->raw_star = raw == 1 && *r == '*' && !p->dismax;
}

void sq_lex_phrase(struct parser *p, struct tok *t)
{
    struct sbuf text = {0};
    size_t start = p->pos++;
    for (;;) {
        if (p->pos >= p->len) {
            sq_fail(p, start, "missing closing quote");
            break;
        }
        char c = p->src[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c == '\\' && !p->dismax) {
            if (p->pos + 1 >= p->len) {
                sq_fail(p, p->pos, "'\\' at the end of the query escapes nothing");
                break;
            }
            p->pos++;
        }
        size_t l = sq_utf8_seq((const unsigned char *)p->src + p->pos, p->len - p->pos);
        sbuf_add(&text, p->src + p->pos, l);
        p->pos += l;
    }
    t->type = T_PHRASE;
    t->len = text.len;
    t->text = sq_buf_done(p->q, &text);
}

/* In dismax, + and - count only before a term or phrase (Solr strips dangling operators). */
static bool dismax_op(struct parser *p)
{
    size_t n = p->pos + 1;
    return n < p->len && !sq_ws_len(p->src + n) && p->src[n] != '+' && p->src[n] != '-';
}

static void lex(struct parser *p, struct tok *t)
{
    memset(t, 0, sizeof(*t));
    for (;;) {
        while (p->pos < p->len && sq_ws_len(p->src + p->pos))
            p->pos += sq_ws_len(p->src + p->pos);
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
            sq_lex_phrase(p, t);
        } else {
            lex_term(p, t);
        }
        return;
    }
    /* A lone operator followed by whitespace is a term (Lucene's BAREOPER). */
    if ((c == '+' || c == '-' || c == '!') && p->pos + 1 < p->len && sq_ws_len(p->src + p->pos + 1)) {
        t->type = T_TERM;
        t->text = sq_strndup(p->q, &c, 1);
        t->wild = sq_alloc(p->q, 2);
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
        sq_lex_phrase(p, t);
    else
        lex_term(p, t);
}

struct tok *sq_peek(struct parser *p, int i)
{
    while (p->nla <= i)
        lex(p, &p->la[p->nla++]);
    return &p->la[i];
}

struct tok sq_next(struct parser *p)
{
    struct tok t = *sq_peek(p, 0);
    p->la[0] = p->la[1];
    p->nla--;
    return t;
}

const char *sq_tok_name(const struct tok *t)
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
