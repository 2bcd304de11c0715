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

/* \uXXXX at c->i (after the backslash and u): not U+0000, not a surrogate. */
static bool js_uescape(struct js_scan *c)
{
    if (c->n - c->i < 4)
        return false;
    unsigned u = 0;
    for (int k = 0; k < 4; k++) {
        int h = js_hex(c->s[c->i + (size_t)k]);
        if (h < 0)
            return false;
        u = u << 4 | (unsigned)h;
    }
    c->i += 4;
    return u != 0 && (u < 0xD800 || u > 0xDFFF);
}

/* A string at c->i (its opening quote); *escaped: whether it has a backslash. */
static bool js_string(struct js_scan *c, bool *escaped)
{
    *escaped = false;
    c->i++;
    while (c->i < c->n) {
        unsigned char ch = (unsigned char)c->s[c->i++];
        if (ch == '"')
            return true;
        if (ch < 0x20)
            return false;
        if (ch != '\\')
            continue;
        *escaped = true;
        if (c->i >= c->n)
            return false;
        ch = (unsigned char)c->s[c->i++];
        if (ch == 'u') {
            if (!js_uescape(c))
                return false;
        } else if (!strchr("\"\\/bfnrt", ch) || ch == '\0') {
            return false;
        }
    }
    return false;
}

static size_t js_digits(struct js_scan *c)
{
    size_t k = 0;
    while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9')
        c->i++, k++;
    return k;
}

/* A number at c->i, within the limits json_span.h gives. */
static bool js_number(struct js_scan *c)
{
    size_t from = c->i;
    bool minus = c->s[c->i] == '-';
    if (minus)
        c->i++;
    size_t lead = c->i, nint = js_digits(c);
    if (nint == 0 || (nint > 1 && c->s[lead] == '0'))
        return false;
    size_t nfrac = 0, nexp = 0;
    bool frac = c->i < c->n && c->s[c->i] == '.', exp = false;
    if (frac) {
        c->i++;
        if ((nfrac = js_digits(c)) == 0)
            return false;
    }
    if (c->i < c->n && (c->s[c->i] == 'e' || c->s[c->i] == 'E')) {
        exp = true;
        c->i++;
        if (c->i < c->n && (c->s[c->i] == '+' || c->s[c->i] == '-'))
            c->i++;
        if ((nexp = js_digits(c)) == 0 || nexp > 2)
            return false;
    }
    if (!frac && !exp)  /* json-c reads it as an int64 and writes it back */
        return nint <= 18 && !(minus && c->i - from == 2 && c->s[lead] == '0');
    return nint + nfrac <= 100;
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
        if (c->i >= c->n || c->s[c->i] != '"' || !js_string(c, &escaped))
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
        return js_string(c, &escaped);
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
