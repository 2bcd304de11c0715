/* json_span — the byte span of one member of a JSON object (see json_span.h). A recursive
 * descent over the text, depth bounded by the caller; it keeps nothing but positions. */
#include "json_span.h"

#include <string.h>

struct js_scan {
    const char *s;
    size_t n, i;
    int depth;
};

static bool js_value(struct js_scan *c, int level);

static void js_ws(struct js_scan *c)
{
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' ||
                           c->s[c->i] == '\r'))
        c->i++;
}

static int js_hex(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* The four hex digits at s (known to be there) as a number; -1 if one is not a hex digit. */
static long js_hex4(const char *s)
{
    long u = 0;
    for (int k = 0; k < 4; k++) {
        int h = js_hex(s[k]);
        if (h < 0)
            return -1;
        u = u << 4 | h;
    }
    return u;
}

bool json_span_string(const char *text, size_t len, size_t *i, bool *escaped)
{
    size_t k = *i + 1;
    bool esc = false;
    for (;;) {
        while (k < len && (unsigned char)text[k] >= 0x20 && text[k] != '"' && text[k] != '\\')
            k++;
        if (k >= len || (unsigned char)text[k] < 0x20)
            return false;
        if (text[k++] == '"')
            break;
        esc = true;
        if (k >= len)
            return false;
        char e = text[k++];
        if (e == 'u') {
            long u = len - k < 4 ? -1 : js_hex4(text + k);
            if (u <= 0 || (u >= 0xD800 && u <= 0xDFFF))
                return false;
            k += 4;
        } else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
            return false;
        }
    }
    *i = k;
    *escaped = esc;
    return true;
}

/* A \uXXXX escape's code point (not a surrogate) as UTF-8 at out; returns its length. */
static size_t js_utf8(unsigned long u, char *out)
{
    if (u < 0x80) {
        out[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        out[0] = (char)(0xC0 | u >> 6), out[1] = (char)(0x80 | (u & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | u >> 12), out[1] = (char)(0x80 | (u >> 6 & 0x3F));
    out[2] = (char)(0x80 | (u & 0x3F));
    return 3;
}

size_t json_span_unescape(const char *s, size_t n, char *out)
{
    size_t i = 0, m = 0;
    while (i < n) {
        const char *bs = memchr(s + i, '\\', n - i);
        size_t run = bs ? (size_t)(bs - s) - i : n - i;
        memcpy(out + m, s + i, run);
        i += run, m += run;
        if (!bs)
            break;
        char e = s[i + 1];
        i += 2;
        if (e == 'u') {
            m += js_utf8((unsigned long)js_hex4(s + i), out + m);
            i += 4;
            continue;
        }
        switch (e) {
        case 'b': out[m++] = '\b'; break;
        case 'f': out[m++] = '\f'; break;
        case 'n': out[m++] = '\n'; break;
        case 'r': out[m++] = '\r'; break;
        case 't': out[m++] = '\t'; break;
        default: out[m++] = e; /* ", \\ and / stand for themselves */
        }
    }
    return m;
}

/* Digits from text[*k]; *nonzero: set when one is not 0. */
static size_t js_digits(const char *text, size_t len, size_t *k, bool *nonzero)
{
    size_t from = *k, j = *k;
    bool nz = false;
    while (j < len && text[j] >= '0' && text[j] <= '9')
        nz |= text[j++] != '0';
    *k = j;
    *nonzero |= nz;
    return j - from;
}

bool json_span_number(const char *text, size_t len, size_t *i, struct json_span_num *num)
{
    size_t k = *i;
    bool nonzero = false, ignored = false;
    *num = (struct json_span_num){.minus = k < len && text[k] == '-'};
    if (num->minus)
        k++;
    size_t lead = k;
    num->nint = js_digits(text, len, &k, &nonzero);
    if (num->nint == 0 || (num->nint > 1 && text[lead] == '0'))
        return false;
    if (k < len && text[k] == '.') {
        k++;
        if ((num->nfrac = js_digits(text, len, &k, &nonzero)) == 0)
            return false;
    }
    if (k < len && (text[k] == 'e' || text[k] == 'E')) {
        k++;
        if (k < len && (text[k] == '+' || text[k] == '-'))
            k++;
        if ((num->nexp = js_digits(text, len, &k, &ignored)) == 0)
            return false;
    }
    num->zero = !nonzero;
    *i = k;
    return true;
}

/* A number at c->i, within the limits json_span.h gives. */
static bool js_number(struct js_scan *c)
{
    struct json_span_num num;
    if (!json_span_number(c->s, c->n, &c->i, &num))
        return false;
    if (num.nfrac == 0 && num.nexp == 0) /* json-c reads it as an int64 and writes it back */
        return num.nint <= 18 && !(num.minus && num.zero);
    return num.nexp <= 2 && num.nint + num.nfrac <= 100;
}

static bool js_word(struct js_scan *c, const char *w)
{
    size_t k = strlen(w);
    if (c->n - c->i < k || memcmp(c->s + c->i, w, k) != 0)
        return false;
    c->i += k;
    return true;
}

/* The members of an object (c->i after its '{'), up to its '}'. With key: the top level,
 * where key's value is found. */
static bool js_members(struct js_scan *c, int level, const char *key, size_t *start, size_t *end,
                    int *found)
{
    js_ws(c);
    if (c->i < c->n && c->s[c->i] == '}') {
        c->i++;
        return true;
    }
    for (;;) {
        js_ws(c);
        bool escaped;
        size_t k0 = c->i + 1;
        if (c->i >= c->n || c->s[c->i] != '"' || !json_span_string(c->s, c->n, &c->i, &escaped))
            return false;
        size_t klen = c->i - 1 - k0;
        bool mine = key && klen == strlen(key) && memcmp(c->s + k0, key, klen) == 0;
        if (key && escaped)
            return false; /* a key that might spell key another way */
        js_ws(c);
        if (c->i >= c->n || c->s[c->i++] != ':')
            return false;
        js_ws(c);
        size_t v0 = c->i;
        if (!js_value(c, level))
            return false;
        if (mine) {
            *start = v0, *end = c->i;
            (*found)++;
        }
        js_ws(c);
        if (c->i >= c->n)
            return false;
        char ch = c->s[c->i++];
        if (ch == '}')
            return true;
        if (ch != ',')
            return false;
    }
}

static bool js_elements(struct js_scan *c, int level)
{
    js_ws(c);
    if (c->i < c->n && c->s[c->i] == ']') {
        c->i++;
        return true;
    }
    for (;;) {
        js_ws(c);
        if (!js_value(c, level))
            return false;
        js_ws(c);
        if (c->i >= c->n)
            return false;
        char ch = c->s[c->i++];
        if (ch == ']')
            return true;
        if (ch != ',')
            return false;
    }
}

/* A value at c->i (no white space before it), nested level deep. */
static bool js_value(struct js_scan *c, int level)
{
    if (c->i >= c->n)
        return false;
    bool escaped;
    switch (c->s[c->i]) {
    case '{':
        if (level + 1 > c->depth)
            return false;
        c->i++;
        return js_members(c, level + 1, NULL, NULL, NULL, NULL);
    case '[':
        if (level + 1 > c->depth)
            return false;
        c->i++;
        return js_elements(c, level + 1);
    case '"':
        return json_span_string(c->s, c->n, &c->i, &escaped);
    case 't':
        return js_word(c, "true");
    case 'f':
        return js_word(c, "false");
    case 'n':
        return js_word(c, "null");
    default:
        return (c->s[c->i] == '-' || (c->s[c->i] >= '0' && c->s[c->i] <= '9')) && js_number(c);
    }
}

bool json_span_member(const char *text, size_t len, const char *key, int depth, size_t *start,
                      size_t *end)
{
    struct js_scan c = {.s = text, .n = len, .depth = depth};
    int found = 0;
    js_ws(&c);
    if (depth < 1 || c.i >= c.n || text[c.i] != '{')
        return false;
    c.i++;
    if (!js_members(&c, 1, key, start, end, &found))
        return false;
    js_ws(&c);
    return c.i == c.n && found == 1;
}
