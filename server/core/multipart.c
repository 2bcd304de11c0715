/* multipart — a streaming multipart/form-data reader (see multipart.h). */
#include "multipart.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum mp_state {
    MP_PREAMBLE,      /* before the first delimiter: skipped */
    MP_AFTER_DELIM,   /* just after "--boundary": "--", padding or CRLF */
    MP_CLOSE_DASH,    /* after "--boundary-": the second '-' */
    MP_PADDING,       /* transport padding of a delimiter line, then CR */
    MP_PADDING_LF,    /* the LF ending a delimiter line */
    MP_HEADERS,       /* a part's header block, up to its empty line */
    MP_BODY,          /* a part's data, up to the next delimiter */
    MP_CLOSE_PADDING, /* after "--boundary--": padding, CR or the end of the body */
    MP_CLOSE_LF,      /* the LF ending the final delimiter line */
    MP_EPILOGUE,      /* after the final delimiter: skipped */
    MP_FAILED,
};

struct mp_reader {
    enum mp_state state;
    struct mp_callbacks cb;
    void *ctx;
    size_t max_parts, max_header;
    char delim[4 + MP_BOUNDARY_MAX]; /* "\r\n--" boundary: what ends a part's data */
    size_t dlen;
    size_t match; /* bytes of delim matched so far */
    size_t held;  /* of those, bytes that came in earlier pieces (not passed on yet) */
    char *hdr;    /* the current part's header block so far */
    size_t hlen, hcap;
    size_t parts;
    char *name, *filename, *ctype; /* the current part's, owned */
    struct mp_part part;
    char *err;
};

/* ---- tokens, quoted strings, parameters (RFC 9110 §5.6) ---------------------------------- */

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ows(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static size_t token_len(const char *s)
{
    size_t n = 0;
    while (is_tchar((unsigned char)s[n]))
        n++;
    return n;
}

/* A quoted-string at *s (on its opening quote), its escapes undone, malloc'd; *s moves past
 * the closing quote. NULL when unterminated or holding a control character. */
static char *quoted_string(const char **s, size_t *outlen)
{
    const unsigned char *p = (const unsigned char *)*s + 1;
    char *out = xmalloc(strlen(*s) + 1);
    size_t n = 0;
    for (;; p++) {
        unsigned c = *p;
        if (c == '"')
            break;
        if (c == '\\') /* quoted-pair: HTAB, SP, VCHAR or obs-text */
            c = *++p;
        if (c == 0 || (c < 0x20 && c != '\t') || c == 0x7f) {
            free(out);
            return NULL;
        }
        out[n++] = (char)c;
    }
    out[n] = '\0';
    *outlen = n;
    *s = (const char *)p + 1;
    return out;
}

/* The next `; name=value` of a header value at *s. 1 with the name (a span of s) and the
 * value (token or quoted-string, undone, malloc'd); 0 at the end; -1 when malformed. Empty
 * parameters (";;") are skipped, as RFC 9110 allows. */
static int next_param(const char **s, const char **name, size_t *nlen, char **value, size_t *vlen)
{
    const char *p = skip_ows(*s);
    while (*p == ';')
        p = skip_ows(p + 1);
    if (!*p) {
        *s = p;
        return 0;
    }
    if (p == skip_ows(*s)) /* no ';' before this parameter */
        return -1;
    *name = p;
    *nlen = token_len(p);
    p += *nlen;
    if (*nlen == 0 || *p != '=')
        return -1;
    p++;
    if (*p == '"') {
        *value = quoted_string(&p, vlen);
        if (!*value)
            return -1;
    } else {
        *vlen = token_len(p);
        if (*vlen == 0)
            return -1;
        *value = xstrndup(p, *vlen);
        p += *vlen;
    }
    const char *after = skip_ows(p);
    if (*after && *after != ';') {
        free(*value);
        return -1;
    }
    *s = after;
    return 1;
}

static bool named(const char *name, size_t nlen, const char *want)
{
    return nlen == strlen(want) && strncasecmp(name, want, nlen) == 0;
}

/* ---- the request's Content-Type ----------------------------------------------------------- */

/* RFC 2046 §5.1.1: bchars, and not ending in a space. */
static bool boundary_valid(const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  (c && strchr("'()+_,-./:=? ", c));
        if (!ok)
            return false;
    }
    return n > 0 && b[n - 1] != ' ';
}

const char *mp_boundary(const char *content_type, char out[MP_BOUNDARY_MAX + 1])
{
    static const char type[] = "multipart/form-data";
    const char *s = skip_ows(content_type ? content_type : "");
    if (strncasecmp(s, type, sizeof(type) - 1) != 0 || is_tchar((unsigned char)s[sizeof(type) - 1]))
        return "the Content-Type is not multipart/form-data";
    s += sizeof(type) - 1;
    const char *name;
    size_t nlen, vlen;
    char *value;
    bool found = false;
    int r;
    while ((r = next_param(&s, &name, &nlen, &value, &vlen)) == 1) {
        const char *why = NULL;
        if (!named(name, nlen, "boundary"))
            ;
        else if (found)
            why = "the Content-Type names two boundaries";
        else if (vlen == 0)
            why = "the boundary is empty";
        else if (vlen > MP_BOUNDARY_MAX)
            why = "the boundary is longer than 70 characters";
        else if (!boundary_valid(value, vlen))
            why = "the boundary holds a character RFC 2046 does not allow, or ends in a space";
        else
            memcpy(out, value, vlen + 1);
        found = found || named(name, nlen, "boundary");
        free(value);
        if (why)
            return why;
    }
    if (r < 0)
        return "the Content-Type's parameters are malformed";
    return found ? NULL : "the Content-Type has no boundary parameter";
}

/* ---- the reader ---------------------------------------------------------------------------- */

struct mp_reader *mp_new(const char *content_type, const struct mp_limits *limits,
                         const struct mp_callbacks *cb, void *ctx, const char **err)
{
    char boundary[MP_BOUNDARY_MAX + 1];
    *err = mp_boundary(content_type, boundary);
    if (*err)
        return NULL;
    struct mp_reader *r = xcalloc(1, sizeof(*r));
    r->cb = *cb;
    r->ctx = ctx;
    r->max_parts = limits && limits->max_parts ? limits->max_parts : MP_DEFAULT_MAX_PARTS;
    r->max_header = limits && limits->max_header ? limits->max_header : MP_DEFAULT_MAX_HEADER;
    r->dlen = 4 + strlen(boundary);
    memcpy(r->delim, "\r\n--", 4);
    memcpy(r->delim + 4, boundary, r->dlen - 4);
    /* The first delimiter may open the body: as if a CRLF came before it. */
    r->match = r->held = 2;
    return r;
}

static void clear_part(struct mp_reader *r)
{
    free(r->name);
    free(r->filename);
    free(r->ctype);
    r->name = r->filename = r->ctype = NULL;
}

void mp_free(struct mp_reader *r)
{
    if (!r)
        return;
    clear_part(r);
    free(r->hdr);
    free(r->err);
    free(r);
}

const char *mp_error(const struct mp_reader *r)
{
    return r->err;
}

size_t mp_parts(const struct mp_reader *r)
{
    return r->parts;
}

static bool fail(struct mp_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(struct mp_reader *r, const char *fmt, ...)
{
    if (!r->err) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&r->err, fmt, ap) < 0)
            abort();
        va_end(ap);
    }
    r->state = MP_FAILED;
    return false;
}

static bool stopped(struct mp_reader *r)
{
    return fail(r, "stopped by the receiver");
}

/* ---- a part's headers ---------------------------------------------------------------------- */

static int hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* RFC 5987's attr-char: a token character other than '*', "'" and '%'. */
static bool is_attr_char(unsigned char c)
{
    return is_tchar(c) && c != '*' && c != '\'' && c != '%';
}

/* A value RFC 5987 encodes (charset'language'pct-encoded), as UTF-8, malloc'd, *len bytes
 * (it may hold a NUL); NULL when malformed or of another charset than UTF-8 and ISO-8859-1. */
static char *ext_value(const char *v, size_t *len)
{
    const char *q1 = strchr(v, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
    if (!q2)
        return NULL;
    bool latin1 = (size_t)(q1 - v) == 10 && strncasecmp(v, "ISO-8859-1", 10) == 0;
    if (!latin1 && !((size_t)(q1 - v) == 5 && strncasecmp(v, "UTF-8", 5) == 0))
        return NULL;
    const char *p = q2 + 1;
    char *out = xmalloc(2 * strlen(p) + 1), *o = out;
    for (; *p; p++) {
        unsigned c = (unsigned char)*p;
        if (c == '%' && hex_digit(p[1]) >= 0 && hex_digit(p[2]) >= 0) {
            c = (unsigned)(hex_digit(p[1]) << 4 | hex_digit(p[2]));
            p += 2;
        } else if (!is_attr_char((unsigned char)c)) {
            free(out);
            return NULL;
        }
        if (latin1 && c >= 0x80) {
            *o++ = (char)(0xc0 | c >> 6);
            c = 0x80 | (c & 0x3f);
        }
        *o++ = (char)c;
    }
    *o = '\0';
    *len = (size_t)(o - out);
    return out;
}

/* A name or file name handed on: no NUL (it would cut the string), no control characters,
 * valid UTF-8. */
static const char *text_problem(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return "a control character";
    return util_utf8_valid(s, n) ? NULL : "bytes that are not UTF-8";
}

/* Keep one Content-Disposition parameter value (malloc'd v, taken) in *slot. */
static bool keep_param(struct mp_reader *r, char **slot, char *v, size_t vlen, const char *what)
{
    const char *bad = v ? text_problem(v, vlen) : "a malformed RFC 5987 value";
    if (*slot && !bad)
        bad = "two values";
    if (bad) {
        free(v);
        return fail(r, "part %zu: the %s of its Content-Disposition has %s", r->parts, what, bad);
    }
    *slot = v;
    return true;
}

/* Content-Disposition: form-data; name="..."; filename="..."; filename*=UTF-8''... */
static bool parse_disposition(struct mp_reader *r, const char *value)
{
    size_t tlen = token_len(value);
    if (!named(value, tlen, "form-data"))
        return fail(r, "part %zu: its Content-Disposition is not form-data", r->parts);
    const char *s = value + tlen, *name;
    size_t nlen, vlen;
    char *v, *fn = NULL, *fn_ext = NULL;
    int got = 0;
    bool ok = true;
    while (ok && (got = next_param(&s, &name, &nlen, &v, &vlen)) == 1) {
        if (named(name, nlen, "name"))
            ok = keep_param(r, &r->name, v, vlen, "name");
        else if (named(name, nlen, "filename"))
            ok = keep_param(r, &fn, v, vlen, "filename");
        else if (named(name, nlen, "filename*")) {
            char *d = ext_value(v, &vlen);
            free(v);
            ok = keep_param(r, &fn_ext, d, vlen, "filename*");
        } else
            free(v);
    }
    if (ok && got < 0)
        ok = fail(r, "part %zu: its Content-Disposition is malformed", r->parts);
    if (ok && !r->name)
        ok = fail(r, "part %zu: its Content-Disposition has no name", r->parts);
    r->filename = fn_ext ? fn_ext : fn; /* filename* wins (RFC 6266 §4.3) */
    free(fn_ext ? fn : NULL);
    return ok;
}

/* One header line (no CRLF). Headers other than these three are ignored (RFC 7578 §4.8). */
static bool parse_header_line(struct mp_reader *r, char *line, bool *has_cd)
{
    if (*line == ' ' || *line == '\t')
        return fail(r, "part %zu: a header line is folded", r->parts);
    size_t nlen = token_len(line);
    if (nlen == 0 || line[nlen] != ':')
        return fail(r, "part %zu: a header line is not `Name: value`", r->parts);
    char *value = (char *)skip_ows(line + nlen + 1);
    size_t vlen = strlen(value);
    while (vlen && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
        value[--vlen] = '\0';
    for (size_t i = 0; i < vlen; i++)
        if (((unsigned char)value[i] < 0x20 && value[i] != '\t') || value[i] == 0x7f)
            return fail(r, "part %zu: a header holds a control character", r->parts);
    if (named(line, nlen, "Content-Disposition")) {
        if (*has_cd)
            return fail(r, "part %zu: two Content-Disposition headers", r->parts);
        *has_cd = true;
        return parse_disposition(r, value);
    }
    if (named(line, nlen, "Content-Type")) {
        if (r->ctype)
            return fail(r, "part %zu: two Content-Type headers", r->parts);
        if (!util_utf8_valid(value, vlen))
            return fail(r, "part %zu: its Content-Type is not UTF-8", r->parts);
        r->ctype = xstrdup(value);
        return true;
    }
    if (named(line, nlen, "Content-Transfer-Encoding") && !named(value, vlen, "binary") &&
        !named(value, vlen, "8bit") && !named(value, vlen, "7bit"))
        return fail(r,
                    "part %zu: a Content-Transfer-Encoding other than binary, 8bit or "
                    "7bit is not supported",
                    r->parts);
    return true;
}

/* The header block is whole (it ends in CRLF CRLF, or is a lone CRLF): the part begins. */
static bool begin_part(struct mp_reader *r)
{
    clear_part(r);
    bool has_cd = false;
    r->hdr[r->hlen - 2] = '\0'; /* the last line's CRLF */
    for (char *line = r->hdr; *line;) {
        char *crlf = strstr(line, "\r\n");
        *crlf = '\0';
        if (!parse_header_line(r, line, &has_cd))
            return false;
        line = crlf + 2;
    }
    if (!has_cd)
        return fail(r, "part %zu: it has no Content-Disposition header", r->parts);
    r->part = (struct mp_part){r->name, r->filename, r->ctype, r->parts - 1};
    r->state = MP_BODY;
    return !r->cb.on_part || r->cb.on_part(r->ctx, &r->part) || stopped(r);
}

static bool header_byte(struct mp_reader *r, char c)
{
    char last = r->hlen ? r->hdr[r->hlen - 1] : '\0';
    if (r->hlen >= r->max_header)
        return fail(r, "part %zu: its headers are longer than %zu bytes", r->parts, r->max_header);
    if (c == '\0')
        return fail(r, "part %zu: its headers hold a NUL byte", r->parts);
    if (last == '\r' && c != '\n')
        return fail(r, "part %zu: a CR in its headers is not followed by LF", r->parts);
    if (c == '\n' && last != '\r')
        return fail(r, "part %zu: a header line ends in LF without CR", r->parts);
    if (r->hlen + 2 > r->hcap) {
        r->hcap = r->hcap ? 2 * r->hcap : 256;
        r->hdr = xrealloc(r->hdr, r->hcap);
    }
    r->hdr[r->hlen++] = c;
    r->hdr[r->hlen] = '\0';
    bool end = (r->hlen == 2 && c == '\n') ||
               (r->hlen >= 4 && memcmp(r->hdr + r->hlen - 4, "\r\n\r\n", 4) == 0);
    return !end || begin_part(r);
}

/* ---- data and delimiters ------------------------------------------------------------------ */

static bool emit(struct mp_reader *r, const char *p, size_t n)
{
    return n == 0 || !r->cb.on_data || r->cb.on_data(r->ctx, p, n) || stopped(r);
}

/* Looks for the delimiter from data[*pos]; passes what comes before it on as the part's data
 * when `pass`. 1: found (*pos after it); 0: the input ended (all taken); -1: stopped.
 * A delimiter cut between pieces is matched on: its bytes so far are not held, since they
 * equal delim's first ones; if the match then fails they are passed on from delim. Only
 * delim[0] is a CR (the boundary has none), so a failed match restarts only at a CR. */
static int scan(struct mp_reader *r, const char *data, size_t len, size_t *pos, bool pass)
{
    size_t i = *pos, from = i;
    while (i < len) {
        if (r->match == 0) {
            const char *cr = memchr(data + i, '\r', len - i);
            if (!cr)
                break;
            i = (size_t)(cr - data) + 1;
            r->match = 1;
        } else if (data[i] == r->delim[r->match]) {
            i++;
            if (++r->match == r->dlen) {
                size_t here = r->dlen - r->held; /* delimiter bytes in this piece */
                if (pass && !emit(r, data + from, i - here - from))
                    return -1;
                r->match = r->held = 0;
                *pos = i;
                return 1;
            }
        } else {
            if (pass && r->held && !emit(r, r->delim, r->held))
                return -1;
            r->match = r->held = 0; /* data[i] is looked at again: it may be a CR */
        }
    }
    size_t here = r->match - r->held;
    if (pass && !emit(r, data + from, len - here - from))
        return -1;
    r->held = r->match;
    *pos = len;
    return 0;
}

/* A delimiter was found: the part before it (if any) ends. */
static bool delimiter(struct mp_reader *r)
{
    bool in_part = r->state == MP_BODY;
    r->state = MP_AFTER_DELIM;
    return !in_part || !r->cb.on_part_end || r->cb.on_part_end(r->ctx, &r->part) || stopped(r);
}

static bool next_part(struct mp_reader *r)
{
    if (r->parts >= r->max_parts)
        return fail(r, "the body has more than %zu parts", r->max_parts);
    r->parts++;
    r->hlen = 0;
    r->state = MP_HEADERS;
    return true;
}

/* One byte of a delimiter line or of what follows the final one. */
static bool line_byte(struct mp_reader *r, char c)
{
    bool pad = c == ' ' || c == '\t';
    switch (r->state) {
    case MP_AFTER_DELIM:
        if (c == '-') {
            r->state = MP_CLOSE_DASH;
            return true;
        }
        /* fall through */
    case MP_PADDING:
        if (pad || c == '\r') {
            r->state = pad ? MP_PADDING : MP_PADDING_LF;
            return true;
        }
        return fail(r, "a boundary is followed by more than padding on its line");
    case MP_PADDING_LF:
        return c == '\n' ? next_part(r) : fail(r, "a boundary line does not end in CRLF");
    case MP_CLOSE_DASH:
        if (c == '-') {
            r->state = MP_CLOSE_PADDING;
            return true;
        }
        return fail(r, "a boundary is followed by more than padding on its line");
    case MP_CLOSE_PADDING:
        if (pad || c == '\r') {
            r->state = pad ? MP_CLOSE_PADDING : MP_CLOSE_LF;
            return true;
        }
        return fail(r, "the final boundary is followed by more than padding on its line");
    case MP_CLOSE_LF:
        if (c == '\n') {
            r->state = MP_EPILOGUE;
            return true;
        }
        return fail(r, "the final boundary line does not end in CRLF");
    default: abort();
    }
}

bool mp_feed(struct mp_reader *r, const char *data, size_t len)
{
    size_t i = 0;
    while (i < len) {
        switch (r->state) {
        case MP_FAILED: return false;
        case MP_EPILOGUE: return true;
        case MP_PREAMBLE:
        case MP_BODY: {
            int found = scan(r, data, len, &i, r->state == MP_BODY);
            if (found < 0 || (found == 1 && !delimiter(r)))
                return false;
            break;
        }
        case MP_HEADERS:
            if (!header_byte(r, data[i++]))
                return false;
            break;
        default:
            if (!line_byte(r, data[i++]))
                return false;
        }
    }
    return r->state != MP_FAILED;
}

bool mp_finish(struct mp_reader *r)
{
    switch (r->state) {
    case MP_FAILED: return false;
    case MP_EPILOGUE:
    case MP_CLOSE_PADDING: return true;
    case MP_PREAMBLE: return fail(r, "the body has no boundary line");
    default: return fail(r, "the body ends before its final boundary");
    }
}
