/* hframe — a strict reader of HTTP/1.1 request framing (see hframe.h). */
#include "hframe.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HFRAME_LINE_MAX 4096 /* a chunk-size line, extensions included */
#define HFRAME_BLANK_MAX 16  /* empty lines tolerated before a request line */

/* A line evhttp takes for a request line and cannot parse (it has no space): evhttp answers
 * 400 with Connection: close. Only ever sent where evhttp expects a request line. */
static const char POISON[] = "\x01\r\n";

enum step { STEP_MORE, STEP_WAIT, STEP_REJECT };

struct head_info {
    bool has_cl, chunked, te, host, expect_continue, http10;
    uint64_t cl;
};

void hframe_init(struct hframe *f, size_t max_head, size_t max_body)
{
    memset(f, 0, sizeof(*f));
    f->max_head = max_head;
    f->max_body = max_body;
    f->pending = evbuffer_new();
    f->head = evbuffer_new();
    f->body = evbuffer_new();
    f->side = evbuffer_new();
}

void hframe_clear(struct hframe *f)
{
    if (f->pending)
        evbuffer_free(f->pending);
    if (f->head)
        evbuffer_free(f->head);
    if (f->body)
        evbuffer_free(f->body);
    if (f->side)
        evbuffer_free(f->side);
    memset(f, 0, sizeof(*f));
}

bool hframe_in_head(const struct hframe *f)
{
    return f->state == HFRAME_HEAD && (f->blank || evbuffer_get_length(f->pending) > 0);
}

bool hframe_in_body(const struct hframe *f)
{
    return f->state >= HFRAME_BODY && f->state <= HFRAME_TRAILER;
}

static void drop_all(struct hframe *f)
{
    evbuffer_drain(f->pending, evbuffer_get_length(f->pending));
    evbuffer_drain(f->head, evbuffer_get_length(f->head));
    evbuffer_drain(f->body, evbuffer_get_length(f->body));
    f->state = HFRAME_CLOSED;
}

static enum step reject(struct hframe *f, struct evbuffer *out, const char *reason)
{
    f->reason = reason;
    drop_all(f);
    evbuffer_add(out, POISON, sizeof(POISON) - 1);
    return STEP_REJECT;
}

/* ---- the syntax of a head (RFC 9110 §5.6.2, RFC 9112 §3, §5) -------------------------------- */

static bool is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_name(const char *s, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

/* The next line of [*p, end) without its line end (LF or CRLF); false at a bare CR. */
static bool next_line(const char **p, const char *end, const char **line, size_t *len)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    if (n && (*p)[n - 1] == '\r')
        n--;
    if (memchr(*p, '\r', n))
        return false;
    *line = *p;
    *len = n;
    *p = nl ? nl + 1 : end;
    return true;
}

static const char *check_request_line(const char *s, size_t n, struct head_info *hi)
{
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    if (i == 0 || i >= n || s[i] != ' ')
        return "invalid method";
    size_t t = ++i;
    while (i < n && (unsigned char)s[i] > ' ' && s[i] != 0x7f)
        i++;
    if (i == t || i >= n || s[i] != ' ')
        return "invalid request target";
    i++;
    if (n - i != 8 || memcmp(s + i, "HTTP/1.", 7) != 0 || s[i + 7] < '0' || s[i + 7] > '9')
        return "unsupported HTTP version";
    hi->http10 = s[i + 7] == '0';
    return NULL;
}

static const char *check_content_length(const char *v, size_t n, struct head_info *hi)
{
    if (hi->has_cl)
        return "more than one Content-Length";
    if (n == 0 || n > 18)
        return "invalid Content-Length";
    uint64_t cl = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return "invalid Content-Length";
        cl = cl * 10 + (uint64_t)(v[i] - '0');
    }
    hi->has_cl = true;
    hi->cl = cl;
    return NULL;
}

/* A field line "name: value" (a header, or a trailer when hi is NULL). */
static const char *check_field(const char *s, size_t n, struct head_info *hi)
{
    if (s[0] == ' ' || s[0] == '\t')
        return "folded header line";
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    if (i < n && (s[i] == ' ' || s[i] == '\t'))
        return "whitespace before a header's colon";
    if (i == 0 || i == n || s[i] != ':')
        return "invalid header name";
    const char *v = s + i + 1;
    size_t vn = n - i - 1;
    for (size_t k = 0; k < vn; k++) {
        unsigned char c = (unsigned char)v[k];
        if ((c < ' ' && c != '\t') || c == 0x7f)
            return "control character in a header value";
    }
    while (vn && (*v == ' ' || *v == '\t'))
        v++, vn--;
    while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
        vn--;
    if (!hi)
        return NULL;
    if (is_name(s, i, "content-length"))
        return check_content_length(v, vn, hi);
    if (is_name(s, i, "transfer-encoding")) {
        if (hi->te)
            return "more than one Transfer-Encoding";
        hi->te = true;
        if (vn != 7 || strncasecmp(v, "chunked", 7) != 0)
            return "Transfer-Encoding other than chunked";
        hi->chunked = true;
    } else if (is_name(s, i, "host")) {
        if (hi->host)
            return "more than one Host";
        hi->host = true;
    } else if (is_name(s, i, "expect")) {
        hi->expect_continue = vn == 12 && strncasecmp(v, "100-continue", 12) == 0;
    }
    return NULL;
}

/* The head p[0, n), which ends with its empty line. */
static const char *check_head(const char *p, size_t n, struct head_info *hi)
{
    const char *end = p + n, *line;
    size_t len;
    if (!next_line(&p, end, &line, &len))
        return "bare CR in the request line";
    const char *err = check_request_line(line, len, hi);
    while (!err) {
        if (!next_line(&p, end, &line, &len))
            return "bare CR in a header";
        if (len == 0)
            break;
        err = check_field(line, len, hi);
    }
    if (!err && hi->has_cl && hi->te)
        err = "both Content-Length and Transfer-Encoding";
    if (!err && hi->te && hi->http10)
        err = "Transfer-Encoding in an HTTP/1.0 request";
    return err;
}

/* ---- the steps ------------------------------------------------------------------------------ */

/* Searches run on the buffer as it is, and a partial head or line is searched only from where
 * the last search stopped (f->scanned): a client sending a byte at a time costs linear time,
 * and bytes are made contiguous (pulled up) once, when what they form is whole. */

/* Offset of the first LF in pending[from, to), or -1. */
static ev_ssize_t find_lf(struct evbuffer *b, size_t from, size_t to)
{
    struct evbuffer_ptr start, end;
    if (from >= to || evbuffer_ptr_set(b, &start, from, EVBUFFER_PTR_SET) < 0 ||
        evbuffer_ptr_set(b, &end, to, EVBUFFER_PTR_SET) < 0)
        return -1;
    return evbuffer_search_range(b, "\n", 1, &start, &end).pos;
}

/* Up to 2 bytes of b at offset at; how many there were. */
static size_t peek2(struct evbuffer *b, size_t at, unsigned char out[2])
{
    struct evbuffer_ptr p;
    if (evbuffer_ptr_set(b, &p, at, EVBUFFER_PTR_SET) < 0)
        return 0;
    ev_ssize_t k = evbuffer_copyout_from(b, &p, out, 2);
    return k > 0 ? (size_t)k : 0;
}

/* The length of the line at the start of pending (its LF excluded) when its LF is within the
 * first limit bytes; -1 otherwise (*whole: limit bytes arrived without one). */
static ev_ssize_t first_line(struct hframe *f, size_t limit, bool *whole)
{
    size_t n = evbuffer_get_length(f->pending), to = n < limit ? n : limit;
    ev_ssize_t i = find_lf(f->pending, f->scanned, to);
    *whole = false;
    if (i < 0) {
        f->scanned = to;
        *whole = n >= limit;
        return -1;
    }
    f->scanned = 0;
    return i;
}

/* Empty lines before a request line are skipped (RFC 9112 §2.2); false when more are needed to
 * tell. */
static bool skip_blank(struct hframe *f)
{
    for (;;) {
        size_t n = evbuffer_get_length(f->pending);
        if (n == 0)
            return true;
        const unsigned char *p = evbuffer_pullup(f->pending, n < 2 ? (ev_ssize_t)n : 2);
        size_t k = p[0] == '\n' ? 1 : p[0] == '\r' && n >= 2 && p[1] == '\n' ? 2 : 0;
        if (k == 0)
            return !(p[0] == '\r' && n < 2);
        evbuffer_drain(f->pending, k);
        f->blank++;
    }
}

/* Just past the empty line that ends the head at the start of pending[0, n), or 0 when it has
 * not arrived. */
static size_t head_end(struct hframe *f, size_t n)
{
    while (f->scanned < n) {
        ev_ssize_t i = find_lf(f->pending, f->scanned, n);
        if (i < 0)
            break;
        unsigned char nx[2];
        size_t k = peek2(f->pending, (size_t)i + 1, nx);
        if (k >= 1 && nx[0] == '\n')
            return (size_t)i + 2;
        if (k == 2 && nx[0] == '\r' && nx[1] == '\n')
            return (size_t)i + 3;
        if (k == 0 || (k == 1 && nx[0] == '\r')) {
            f->scanned = (size_t)i; /* cannot tell yet */
            return 0;
        }
        f->scanned = (size_t)i + 1;
    }
    f->scanned = n;
    return 0;
}

/* A head larger than --max-header-size: 400 and close, as nginx's "Request Header Or Cookie
 * Too Large". */
static enum step oversized(struct hframe *f, struct evbuffer *out)
{
    return reject(f, out, "request head too large");
}

static enum step step_head(struct hframe *f, struct evbuffer *out)
{
    if (f->scanned == 0) {
        bool known = skip_blank(f);
        if (f->blank > HFRAME_BLANK_MAX)
            return reject(f, out, "too many empty lines before the request line");
        if (!known)
            return STEP_WAIT;
    }
    size_t n = evbuffer_get_length(f->pending);
    if (n == 0)
        return STEP_WAIT;
    size_t look = n < f->max_head + 3 ? n : f->max_head + 3;
    size_t end = head_end(f, look);
    if (!end)
        return n > f->max_head ? oversized(f, out) : STEP_WAIT;
    if (end > f->max_head)
        return oversized(f, out);
    const unsigned char *p = evbuffer_pullup(f->pending, (ev_ssize_t)end);
    struct head_info hi = {0};
    const char *err = check_head((const char *)p, end, &hi);
    if (err)
        return reject(f, out, err);
    f->scanned = 0;
    f->blank = 0;
    f->body_seen = 0;
    f->heads++;
    if (hi.chunked) {
        evbuffer_remove_buffer(f->pending, f->head, end);
        f->expect_continue = hi.expect_continue;
        f->state = HFRAME_CHUNK_SIZE;
    } else if (hi.cl && f->divert && f->divert(f->divert_arg, (const char *)p, end, hi.cl)) {
        evbuffer_drain(f->pending, end);
        f->diverting = true;
        f->left = hi.cl;
        f->state = HFRAME_BODY;
    } else {
        evbuffer_remove_buffer(f->pending, out, end);
        f->left = hi.cl;
        if (hi.cl)
            f->state = HFRAME_BODY;
    }
    return STEP_MORE;
}

static enum step step_body(struct hframe *f, struct evbuffer *out)
{
    size_t n = evbuffer_get_length(f->pending);
    if (n == 0)
        return STEP_WAIT;
    size_t k = (uint64_t)n < f->left ? n : (size_t)f->left;
    evbuffer_remove_buffer(f->pending, f->diverting ? f->side : out, k);
    f->left -= k;
    f->body_seen += k;
    if (f->left == 0) {
        f->state = HFRAME_HEAD;
        f->paused = f->diverting;
        f->diverting = false;
    }
    return STEP_MORE;
}

/* A chunked body larger than evhttp takes: evhttp gets the head and a chunk size over its
 * limit, answers 413 and closes. */
static enum step too_large(struct hframe *f, struct evbuffer *out)
{
    evbuffer_add_buffer(out, f->head);
    evbuffer_add_printf(out, "%llx\r\n", (unsigned long long)f->max_body + 1);
    drop_all(f);
    f->reason = "request body too large";
    return STEP_REJECT;
}

/* chunk-size [ chunk-ext ] CRLF, chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ). */
static enum step step_chunk_size(struct hframe *f, struct evbuffer *out)
{
    bool whole;
    ev_ssize_t found = first_line(f, HFRAME_LINE_MAX + 2, &whole);
    if (found < 0)
        return whole ? reject(f, out, "chunk-size line too long") : STEP_WAIT;
    size_t linelen = (size_t)found, l = linelen, i = 0;
    const char *p = (const char *)evbuffer_pullup(f->pending, (ev_ssize_t)linelen + 1);
    if (l && p[l - 1] == '\r')
        l--;
    uint64_t size = 0;
    for (; i < l && i < 16 && strchr("0123456789abcdefABCDEF", p[i]) && p[i]; i++)
        size = size * 16 + (uint64_t)(p[i] <= '9' ? p[i] - '0' : (p[i] | 0x20) - 'a' + 10);
    if (i == 0 || (i < l && strchr("0123456789abcdefABCDEF", p[i]) && p[i]))
        return reject(f, out, "invalid chunk size");
    while (i < l && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i < l && p[i] != ';')
        return reject(f, out, "invalid chunk size");
    for (; i < l; i++)
        if (((unsigned char)p[i] < ' ' && p[i] != '\t') || p[i] == 0x7f)
            return reject(f, out, "control character in a chunk extension");
    evbuffer_drain(f->pending, linelen + 1);
    f->body_seen += linelen + 1;
    if (size == 0) {
        f->state = HFRAME_TRAILER;
        f->trailer_bytes = 0;
    } else if (size > f->max_body - evbuffer_get_length(f->body)) {
        return too_large(f, out);
    } else {
        f->left = size;
        f->state = HFRAME_CHUNK_DATA;
    }
    return STEP_MORE;
}

static enum step step_chunk_data(struct hframe *f)
{
    size_t n = evbuffer_get_length(f->pending);
    if (n == 0)
        return STEP_WAIT;
    size_t k = (uint64_t)n < f->left ? n : (size_t)f->left;
    evbuffer_remove_buffer(f->pending, f->body, k);
    f->left -= k;
    f->body_seen += k;
    if (f->left == 0)
        f->state = HFRAME_CHUNK_END;
    return STEP_MORE;
}

static enum step step_chunk_end(struct hframe *f, struct evbuffer *out)
{
    size_t n = evbuffer_get_length(f->pending);
    if (n == 0)
        return STEP_WAIT;
    const char *p = (const char *)evbuffer_pullup(f->pending, n < 2 ? (ev_ssize_t)n : 2);
    size_t k = p[0] == '\n' ? 1 : p[0] == '\r' && n >= 2 && p[1] == '\n' ? 2 : 0;
    if (k == 0 && p[0] == '\r' && n < 2)
        return STEP_WAIT;
    if (k == 0)
        return reject(f, out, "chunk data not followed by CRLF");
    evbuffer_drain(f->pending, k);
    f->body_seen += k;
    f->state = HFRAME_CHUNK_SIZE;
    return STEP_MORE;
}

/* The whole chunked request, for evhttp: its head, the body as one chunk, the last chunk. */
static void release_chunked(struct hframe *f, struct evbuffer *out)
{
    evbuffer_add_buffer(out, f->head);
    size_t n = evbuffer_get_length(f->body);
    if (n) {
        evbuffer_add_printf(out, "%zx\r\n", n);
        evbuffer_add_buffer(out, f->body);
        evbuffer_add(out, "\r\n", 2);
    }
    evbuffer_add(out, "0\r\n\r\n", 5);
    f->state = HFRAME_HEAD;
}

/* trailer-section: field lines up to an empty line; they are checked and dropped. */
static enum step step_trailer(struct hframe *f, struct evbuffer *out)
{
    bool whole;
    ev_ssize_t found = first_line(f, f->max_head + 2 - f->trailer_bytes, &whole);
    if (found < 0)
        return whole ? reject(f, out, "trailer section too large") : STEP_WAIT;
    size_t linelen = (size_t)found, l = linelen;
    const char *p = (const char *)evbuffer_pullup(f->pending, (ev_ssize_t)linelen + 1);
    if (l && p[l - 1] == '\r')
        l--;
    if (memchr(p, '\r', l))
        return reject(f, out, "bare CR in a trailer");
    const char *err = l ? check_field(p, l, NULL) : NULL;
    if (err)
        return reject(f, out, err);
    f->trailer_bytes += linelen + 1;
    if (f->trailer_bytes > f->max_head)
        return reject(f, out, "trailer section too large");
    evbuffer_drain(f->pending, linelen + 1);
    f->body_seen += linelen + 1;
    if (l == 0)
        release_chunked(f, out);
    return STEP_MORE;
}

static enum step step(struct hframe *f, struct evbuffer *out)
{
    switch (f->state) {
    case HFRAME_HEAD: return step_head(f, out);
    case HFRAME_BODY: return step_body(f, out);
    case HFRAME_CHUNK_SIZE: return step_chunk_size(f, out);
    case HFRAME_CHUNK_DATA: return step_chunk_data(f);
    case HFRAME_CHUNK_END: return step_chunk_end(f, out);
    case HFRAME_TRAILER: return step_trailer(f, out);
    case HFRAME_CLOSED: break;
    }
    return STEP_WAIT;
}

/* Steps over pending until it needs more input, pauses after a diverted body, or rejects. */
static bool frame(struct hframe *f, struct evbuffer *out)
{
    for (;;) {
        if (f->paused)
            return true;
        enum step s = step(f, out);
        if (s == STEP_REJECT)
            return false;
        if (s == STEP_WAIT || f->state == HFRAME_CLOSED)
            return true;
    }
}

bool hframe_feed(struct hframe *f, struct evbuffer *in, struct evbuffer *out)
{
    if (f->state == HFRAME_CLOSED) {
        evbuffer_drain(in, evbuffer_get_length(in));
        return true;
    }
    evbuffer_add_buffer(f->pending, in);
    return frame(f, out);
}

bool hframe_resume(struct hframe *f, struct evbuffer *out)
{
    f->paused = false;
    return f->state == HFRAME_CLOSED || frame(f, out);
}
