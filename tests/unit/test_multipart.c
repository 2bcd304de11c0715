/* Unit tests for server/core/multipart.c: the boundary of a Content-Type, and bodies read into a
 * transcript of the callbacks, fed whole, in 3-byte pieces and one byte at a time. */
#include <stdlib.h>

/* The case tables leave trailing fields out (zero). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "../../server/core/multipart.c"
#include "../../server/core/util.c"
#include "testh.h"

#define CT "multipart/form-data; boundary=XyZ"
#define CD "Content-Disposition: form-data; "

/* ---- mp_boundary ------------------------------------------------------------------------- */

static const struct {
    const char *ct, *boundary, *why; /* why: a word of the error, NULL when valid */
} bcases[] = {
    {CT, "XyZ", NULL},
    {"Multipart/Form-Data;boundary=XyZ", "XyZ", NULL},
    {"multipart/form-data; charset=utf-8; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
     "----WebKitFormBoundary7MA4YWxkTrZu0gW", NULL},
    {"multipart/form-data; boundary=\"a'()+_,-./:=? b\"", "a'()+_,-./:=? b", NULL},
    {"multipart/form-data; boundary=\"a\\\"b\"", NULL, "allow"},
    {"multipart/form-data; boundary=\"x\\yz\"", "xyz", NULL},
    {"multipart/form-data; boundary=x ;", "x", NULL},
    {"  multipart/form-data ; boundary=x", "x", NULL},
    {"multipart/form-data; boundary=1234567890123456789012345678901234567890123456789012345678901234567890",
     "1234567890123456789012345678901234567890123456789012345678901234567890", NULL},
    {"multipart/form-data; boundary=12345678901234567890123456789012345678901234567890123456789012345678901",
     NULL, "70"},
    {"multipart/form-data", NULL, "no boundary"},
    {"multipart/form-data; charset=x", NULL, "no boundary"},
    {"multipart/form-data; boundary=\"\"", NULL, "empty"},
    {"multipart/form-data; boundary=", NULL, "malformed"},
    {"multipart/form-data; boundary=\"ab \"", NULL, "space"},
    {"multipart/form-data; boundary=\"a@b\"", NULL, "allow"},
    {"multipart/form-data; boundary=a@b", NULL, "malformed"},
    {"multipart/form-data; boundary =a", NULL, "malformed"},
    {"multipart/form-data; boundary=\"abc", NULL, "malformed"},
    {"multipart/form-data boundary=a", NULL, "malformed"},
    {"multipart/form-data; boundary=a; boundary=a", NULL, "two"},
    {"multipart/form-datax; boundary=a", NULL, "not multipart/form-data"},
    {"multipart/mixed; boundary=a", NULL, "not multipart/form-data"},
    {"text/plain", NULL, "not multipart/form-data"},
    {"", NULL, "not multipart/form-data"},
    {NULL, NULL, "not multipart/form-data"},
};

static void test_boundary(void)
{
    for (size_t i = 0; i < ARRAY_LEN(bcases); i++) {
        char b[MP_BOUNDARY_MAX + 1] = "";
        const char *why = mp_boundary(bcases[i].ct, b);
        if (bcases[i].why)
            T_CHECK(why && strstr(why, bcases[i].why), "%s: error \"%s\", want \"%s\"",
                    bcases[i].ct, why ? why : "(none)", bcases[i].why);
        else
            T_CHECK(!why && strcmp(b, bcases[i].boundary) == 0, "%s: got \"%s\" (%s)",
                    bcases[i].ct, b, why ? why : "ok");
    }
}

/* ---- bodies -------------------------------------------------------------------------------- */

/* The transcript: per part "<name|filename|type>", its data, then "$" at its end; "-" for a
 * missing filename or type. */
struct rec {
    char *out;
    size_t len, cap;
    size_t parts, ends, stop_at_data; /* stop_at_data: on_data answers false on that call */
    size_t data_calls;
    bool empty_data; /* on_data was called with no bytes */
    bool bad_index;
};

static void rec_add(struct rec *r, const char *p, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        r->cap = (r->len + n + 1) * 2;
        r->out = xrealloc(r->out, r->cap);
    }
    memcpy(r->out + r->len, p, n);
    r->len += n;
    r->out[r->len] = '\0';
}

static bool on_part(void *ctx, const struct mp_part *p)
{
    struct rec *r = ctx;
    char *s = xasprintf("<%s|%s|%s>", p->name, p->filename ? p->filename : "-",
                        p->content_type ? p->content_type : "-");
    rec_add(r, s, strlen(s));
    free(s);
    r->bad_index |= p->index != r->parts++;
    return true;
}

static bool on_data(void *ctx, const char *data, size_t len)
{
    struct rec *r = ctx;
    r->empty_data |= len == 0;
    rec_add(r, data, len);
    return ++r->data_calls != r->stop_at_data;
}

static bool on_end(void *ctx, const struct mp_part *p)
{
    struct rec *r = ctx;
    r->ends++;
    rec_add(r, "$", 1);
    return true;
}

static const struct mp_callbacks CB = {on_part, on_data, on_end};

struct bcase {
    const char *name, *ct, *body;
    size_t len;         /* 0: strlen(body) */
    const char *want;   /* the transcript */
    const char *why;    /* a word of the error, NULL when the body is valid */
    struct mp_limits limits;
    size_t wlen;        /* 0: strlen(want) */
};

#define P1 "--XyZ\r\n" CD "name=\"a\"\r\n\r\n"
#define BIN_BODY P1 "\x00\x01\xff\r\n\r\n\r\n--XyZ--"
#define BIN_WANT "<a|-|->\x00\x01\xff\r\n\r\n$"
#define NUL_BODY "--XyZ\r\n" CD "name=\"a\"\r\nX-A: 1\0002\r\n\r\nv\r\n--XyZ--"

static const struct bcase cases[] = {
    {"two fields", CT, "--XyZ\r\n" CD "name=\"a\"\r\n\r\n1\r\n--XyZ\r\n" CD "name=\"b\"\r\n\r\n22\r\n--XyZ--\r\n",
     0, "<a|-|->1$<b|-|->22$", NULL, {0}},
    {"a file", CT, "--XyZ\r\n" CD "name=\"upload\"; filename=\"data.csv\"\r\nContent-Type: text/csv\r\n\r\n"
     "a,b\r\n1,2\r\n\r\n--XyZ--\r\n", 0, "<upload|data.csv|text/csv>a,b\r\n1,2\r\n$", NULL, {0}},
    {"preamble and epilogue", CT, "This is the preamble.\r\nIt says --XyZ nothing\r\n--XyZ\r\n" CD
     "name=a\r\n\r\nx\r\n--XyZ--\r\nepilogue --XyZ\r\n--XyZ\r\nmore", 0, "<a|-|->x$", NULL, {0}},
    {"a CRLF before the first", CT, "\r\n--XyZ\r\n" CD "name=a\r\n\r\nx\r\n--XyZ--", 0, "<a|-|->x$",
     NULL, {0}},
    {"an empty form (as browsers send it)", CT, "--XyZ--\r\n", 0, "", NULL, {0}},
    {"a delimiter inside the preamble's line", CT, "junk--XyZ\r\n" CD "name=a\r\n\r\nx\r\n--XyZ--", 0, "",
     NULL, {0}},
    {"an empty part", CT, "--XyZ\r\n" CD "name=a\r\n\r\n\r\n--XyZ--", 0, "<a|-|->$", NULL, {0}},
    {"near delimiters in data", CT, P1 "\r\n--XyQ\r\r\n--Xy\r\n-\r\r\n\r\n--xyz--XyZ\r--XyZ\n--XyZ\r\n--XyZ--",
     0, "<a|-|->\r\n--XyQ\r\r\n--Xy\r\n-\r\r\n\r\n--xyz--XyZ\r--XyZ\n--XyZ$", NULL, {0}},
    {"a CR just before the delimiter", CT, P1 "ab\r\r\n--XyZ--", 0, "<a|-|->ab\r$", NULL, {0}},
    {"data ending in a delimiter's start", CT, P1 "\r\n--Xy\r\n--XyZ--", 0, "<a|-|->\r\n--Xy$",
     NULL, {0}},
    {.name = "binary data", .ct = CT, .body = BIN_BODY, .len = sizeof(BIN_BODY) - 1,
     .want = BIN_WANT, .wlen = sizeof(BIN_WANT) - 1},
    {"transport padding", CT, "--XyZ \t\r\n" CD "name=a\r\n\r\nx\r\n--XyZ\t\r\n" CD "name=b\r\n\r\n\r\n--XyZ-- \r\n",
     0, "<a|-|->x$<b|-|->$", NULL, {0}},
    {"final boundary without CRLF", CT, P1 "x\r\n--XyZ--", 0, "<a|-|->x$", NULL, {0}},
    {"final boundary with padding only", CT, P1 "x\r\n--XyZ--  ", 0, "<a|-|->x$", NULL, {0}},
    {"quoted boundary with specials", "multipart/form-data; boundary=\"a'()+_,-./:=? b\"",
     "--a'()+_,-./:=? b\r\n" CD "name=a\r\n\r\nx\r\n--a'()+_,-./:=? b--", 0, "<a|-|->x$", NULL, {0}},
    {"filename* wins", CT, "--XyZ\r\n" CD "name=f; filename=\"plain.txt\"; filename*=UTF-8''%E8%B3%87%E6%96%99.csv\r\n\r\nx\r\n--XyZ--",
     0, "<f|資料.csv|->x$", NULL, {0}},
    {"filename* first", CT, "--XyZ\r\n" CD "filename*=utf-8'zh-TW'a%20b.txt; filename=\"c.txt\"; name=f\r\n\r\nx\r\n--XyZ--",
     0, "<f|a b.txt|->x$", NULL, {0}},
    {"filename* in Latin-1", CT, "--XyZ\r\n" CD "name=f; filename*=ISO-8859-1''caf%E9.txt\r\n\r\n\r\n--XyZ--",
     0, "<f|café.txt|->$", NULL, {0}},
    {"quoted-string escapes", CT, "--XyZ\r\n" CD "name=\"a\\\"b\"; filename=\"c:\\\\x\\\\y;z.txt\"\r\n\r\n\r\n--XyZ--",
     0, "<a\"b|c:\\x\\y;z.txt|->$", NULL, {0}},
    {"UTF-8 in a quoted filename", CT, "--XyZ\r\n" CD "name=\"檔案\"; filename=\"報告 1.pdf\"\r\n\r\n\r\n--XyZ--",
     0, "<檔案|報告 1.pdf|->$", NULL, {0}},
    {"empty filename", CT, "--XyZ\r\n" CD "name=f; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--XyZ--",
     0, "<f||application/octet-stream>$", NULL, {0}},
    {"header names in any case, others ignored", CT, "--XyZ\r\ncontent-disposition:Form-Data;NAME=a\r\n"
     "X-Other: whatever\r\nCONTENT-TYPE:  text/plain; charset=utf-8 \r\nContent-Transfer-Encoding: binary\r\n\r\nx\r\n--XyZ--",
     0, "<a|-|text/plain; charset=utf-8>x$", NULL, {0}},
    {"unknown parameters ignored", CT, "--XyZ\r\n" CD "name=a; size=3; x=\"y;z\"\r\n\r\n\r\n--XyZ--",
     0, "<a|-|->$", NULL, {0}},
    {"parts up to the limit", CT, P1 "\r\n--XyZ\r\n" CD "name=b\r\n\r\n\r\n--XyZ--", 0,
     "<a|-|->$<b|-|->$", NULL, {2, 0}},
    {"headers up to the limit", CT, "--XyZ\r\n" CD "name=\"a\"\r\n\r\n\r\n--XyZ--", 0, "<a|-|->$",
     NULL, {0, sizeof(CD) - 1 + 12}},
    /* errors */
    {"no final boundary", CT, P1 "data", 0, "<a|-|->data", "before its final boundary", {0}},
    {"final boundary cut", CT, P1 "data\r\n--XyZ-", 0, "<a|-|->data$", "before its final boundary", {0}},
    {"body ends in headers", CT, "--XyZ\r\n" CD "name=a\r\n", 0, "", "before its final boundary", {0}},
    {"body ends after a delimiter", CT, P1 "x\r\n--XyZ\r\n", 0, "<a|-|->x$", "before its final boundary", {0}},
    {"empty body", CT, "", 0, "", "no boundary line", {0}},
    {"no boundary at a line start", CT, "junk--XyZ\r\n" CD "name=a\r\n\r\nx", 0, "",
     "no boundary line", {0}},
    {"a different boundary", CT, "--XyW\r\n" CD "name=a\r\n\r\nx\r\n--XyW--", 0, "", "no boundary line", {0}},
    {"boundary followed by more", CT, "--XyZ\r\n" CD "name=a\r\n\r\nx\r\n--XyZx\r\n", 0, "<a|-|->x$",
     "more than padding", {0}},
    {"boundary with a bare LF", CT, "--XyZ\n" CD "name=a\r\n\r\nx\r\n--XyZ--", 0, "", "more than padding", {0}},
    {"boundary with CR alone", CT, "--XyZ\rX", 0, "", "CRLF", {0}},
    {"final boundary followed by more", CT, P1 "x\r\n--XyZ--x", 0, "<a|-|->x$", "final boundary", {0}},
    {"final boundary line with bare CR", CT, P1 "x\r\n--XyZ--\rx", 0, "<a|-|->x$", "CRLF", {0}},
    {"final boundary with one dash", CT, P1 "x\r\n--XyZ-x", 0, "<a|-|->x$", "more than padding", {0}},
    {"header line ending in LF", CT, "--XyZ\r\n" CD "name=a\n\r\nx\r\n--XyZ--", 0, "", "LF without CR", {0}},
    {"CR without LF in headers", CT, "--XyZ\r\n" CD "name=a\rb\r\n\r\nx\r\n--XyZ--", 0, "", "CR", {0}},
    {"NUL in headers", CT, NUL_BODY, sizeof(NUL_BODY) - 1, "", "NUL", {0}},
    {"control character in a header", CT, "--XyZ\r\n" CD "name=a\r\nX-A: a\x01\r\n\r\nx\r\n--XyZ--", 0, "",
     "control", {0}},
    {"no headers", CT, "--XyZ\r\n\r\nx\r\n--XyZ--", 0, "", "no Content-Disposition", {0}},
    {"no Content-Disposition", CT, "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--", 0, "",
     "no Content-Disposition", {0}},
    {"not form-data", CT, "--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--XyZ--", 0, "",
     "not form-data", {0}},
    {"no name", CT, "--XyZ\r\n" CD "filename=\"a.txt\"\r\n\r\nx\r\n--XyZ--", 0, "", "no name", {0}},
    {"two names", CT, "--XyZ\r\n" CD "name=a; name=b\r\n\r\nx\r\n--XyZ--", 0, "", "two values", {0}},
    {"two Content-Disposition", CT, "--XyZ\r\n" CD "name=a\r\n" CD "name=b\r\n\r\nx\r\n--XyZ--", 0, "",
     "two Content-Disposition", {0}},
    {"two Content-Type", CT, "--XyZ\r\n" CD "name=a\r\nContent-Type: a/b\r\nContent-Type: a/b\r\n\r\n\r\n--XyZ--",
     0, "", "two Content-Type", {0}},
    {"folded header", CT, "--XyZ\r\n" CD "name=a\r\nX-A: 1\r\n 2\r\n\r\nx\r\n--XyZ--", 0, "", "folded", {0}},
    {"header without colon", CT, "--XyZ\r\n" CD "name=a\r\nX-A\r\n\r\nx\r\n--XyZ--", 0, "", "Name: value", {0}},
    {"space before a colon", CT, "--XyZ\r\nContent-Disposition : form-data; name=a\r\n\r\nx\r\n--XyZ--", 0, "",
     "Name: value", {0}},
    {"malformed disposition", CT, "--XyZ\r\n" CD "name=a filename=b\r\n\r\nx\r\n--XyZ--", 0, "", "malformed", {0}},
    {"unterminated quote", CT, "--XyZ\r\n" CD "name=\"a\r\n\r\nx\r\n--XyZ--", 0, "", "malformed", {0}},
    {"filename* of another charset", CT, "--XyZ\r\n" CD "name=a; filename*=Big5''%A4%A4\r\n\r\n\r\n--XyZ--",
     0, "", "RFC 5987", {0}},
    {"filename* with a bad escape", CT, "--XyZ\r\n" CD "name=a; filename*=UTF-8''a%2\r\n\r\n\r\n--XyZ--",
     0, "", "RFC 5987", {0}},
    {"filename* quoted", CT, "--XyZ\r\n" CD "name=a; filename*=\"UTF-8''a b\"\r\n\r\n\r\n--XyZ--", 0, "",
     "RFC 5987", {0}},
    {"filename* without charset", CT, "--XyZ\r\n" CD "name=a; filename*=a.txt\r\n\r\n\r\n--XyZ--", 0, "",
     "RFC 5987", {0}},
    {"filename* with a newline", CT, "--XyZ\r\n" CD "name=a; filename*=UTF-8''a%0Ab\r\n\r\n\r\n--XyZ--", 0, "",
     "control", {0}},
    {"filename* with a NUL", CT, "--XyZ\r\n" CD "name=a; filename*=UTF-8''a%00b\r\n\r\n\r\n--XyZ--", 0, "",
     "control", {0}},
    {"filename not UTF-8", CT, "--XyZ\r\n" CD "name=a; filename=\"\xff.txt\"\r\n\r\n\r\n--XyZ--", 0, "",
     "UTF-8", {0}},
    {"filename* not UTF-8", CT, "--XyZ\r\n" CD "name=a; filename*=UTF-8''%C3%28\r\n\r\n\r\n--XyZ--", 0, "",
     "UTF-8", {0}},
    {"Content-Transfer-Encoding base64", CT, "--XyZ\r\n" CD "name=a\r\nContent-Transfer-Encoding: base64\r\n\r\n"
     "eA==\r\n--XyZ--", 0, "", "Content-Transfer-Encoding", {0}},
    {"too many parts", CT, P1 "\r\n--XyZ\r\n" CD "name=b\r\n\r\n\r\n--XyZ\r\n" CD "name=c\r\n\r\n\r\n--XyZ--",
     0, "<a|-|->$<b|-|->$", "more than 2 parts", {2, 0}},
    {"headers over the limit", CT, "--XyZ\r\n" CD "name=\"a\"\r\n\r\n\r\n--XyZ--", 0, "",
     "longer than 43 bytes", {0, sizeof(CD) - 1 + 11}},
};

/* Read body in pieces of `step` bytes; the transcript in r, the error (or NULL) returned. */
static const char *read_body(const struct bcase *c, size_t step, struct rec *r)
{
    const char *err;
    struct mp_reader *m = mp_new(c->ct, &c->limits, &CB, r, &err);
    if (!m)
        return err;
    size_t len = c->len ? c->len : strlen(c->body);
    bool ok = true;
    for (size_t i = 0; i < len && ok; i += step)
        ok = mp_feed(m, c->body + i, len - i < step ? len - i : step);
    if (ok)
        ok = mp_finish(m);
    static char why[200];
    snprintf(why, sizeof(why), "%s", ok ? "" : mp_error(m));
    T_CHECK(ok || (mp_error(m) && !mp_feed(m, "x", 1) && !mp_finish(m)),
            "%s: stays failed", c->name);
    mp_free(m);
    return ok ? NULL : why;
}

static void test_bodies(void)
{
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const struct bcase *c = &cases[i];
        size_t len = c->len ? c->len : strlen(c->body);
        size_t steps[] = {len ? len : 1, 3, 1};
        for (size_t s = 0; s < ARRAY_LEN(steps); s++) {
            struct rec r = {0};
            rec_add(&r, "", 0);
            const char *why = read_body(c, steps[s], &r);
            if (c->why)
                T_CHECK(why && strstr(why, c->why), "%s (step %zu): error \"%s\", want \"%s\"",
                        c->name, steps[s], why ? why : "(none)", c->why);
            else
                T_CHECK(!why, "%s (step %zu): %s", c->name, steps[s], why);
            size_t wlen = c->wlen ? c->wlen : strlen(c->want);
            const char *want = c->want;
            T_CHECK(r.len == wlen && memcmp(r.out, want, wlen) == 0,
                    "%s (step %zu): transcript \"%s\", want \"%s\"", c->name, steps[s], r.out,
                    want);
            T_CHECK(!r.empty_data && !r.bad_index, "%s: no empty data calls, parts in order",
                    c->name);
            free(r.out);
        }
    }
}

/* A callback's false stops the reader with a message. */
static void test_stop(void)
{
    const char *err;
    struct rec r = {.stop_at_data = 1};
    struct mp_reader *m = mp_new(CT, NULL, &CB, &r, &err);
    const char body[] = P1 "xyz\r\n--XyZ--";
    T_CHECK(!mp_feed(m, body, sizeof(body) - 1) && strstr(mp_error(m), "stopped"),
            "stopped by the receiver");
    T_CHECK(r.data_calls == 1 && r.ends == 0, "nothing after the stop");
    mp_free(m);
    free(r.out);
}

/* Memory stays bounded: a large part with many almost-delimiters, fed in 64 KiB pieces. */
static void test_large_part(void)
{
    size_t n = 8u << 20, seen = 0;
    char *body = xmalloc(n);
    for (size_t i = 0; i < n; i++)
        body[i] = "\r\n--XyQab"[i % 9];
    const char head[] = P1, tail[] = "\r\n--XyZ--\r\n";
    memcpy(body, head, sizeof(head) - 1);
    memcpy(body + n - sizeof(tail) + 1, tail, sizeof(tail) - 1);
    struct rec r = {0};
    const char *err;
    struct mp_reader *m = mp_new(CT, NULL, &CB, &r, &err);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i += 65536) {
        size_t before = r.len;
        ok = mp_feed(m, body + i, n - i < 65536 ? n - i : 65536);
        seen += r.len - before;
        r.len = 0; /* keep only the count */
    }
    T_CHECK(ok && mp_finish(m), "large part read: %s", mp_error(m) ? mp_error(m) : "ok");
    size_t want = n - (sizeof(head) - 1) - (sizeof(tail) - 1);
    T_CHECK(seen == strlen("<a|-|->") + want + 1, "every data byte passed on: %zu", seen);
    T_CHECK(m->hcap <= 256, "the header buffer stayed small: %zu", m->hcap);
    mp_free(m);
    free(r.out);
    free(body);
}

int main(void)
{
    test_boundary();
    test_bodies();
    test_stop();
    test_large_part();
    T_DONE();
}
