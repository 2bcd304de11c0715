/* Unit tests for server/core/hframe.c: what passes to evhttp, what is rejected, fed whole and one
 * byte at a time. */
#include <event2/buffer.h>
#include <stdlib.h>

#include "../../server/core/hframe.c"
#include "testh.h"

#define POISONED "\x01\r\n"
#define NUL_CASE "GET / HTTP/1.1\r\nX-A: 1\0002\r\n\r\n"

struct case_ {
    const char *name, *in;
    const char *out;    /* what evhttp gets */
    bool ok;            /* not rejected */
    const char *reason; /* when rejected: a word of the reason */
};

static const struct case_ cases[] = {
    {"plain GET", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", true,
     NULL},
    {"LF line ends", "GET / HTTP/1.1\nHost: a\n\n", "GET / HTTP/1.1\nHost: a\n\n", true, NULL},
    {"blank lines first", "\r\n\r\nGET / HTTP/1.0\r\n\r\n", "GET / HTTP/1.0\r\n\r\n", true, NULL},
    {"two pipelined", "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
     "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", true, NULL},
    {"content-length body", "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n",
     "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n", true, NULL},
    {"body that looks like a head", "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nX : y",
     "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nX : y", true, NULL},
    {"CL with spaces", "POST / HTTP/1.1\r\nContent-Length:  2 \r\n\r\nab",
     "POST / HTTP/1.1\r\nContent-Length:  2 \r\n\r\nab", true, NULL},
    {"chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n",
     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", true, NULL},
    {"chunk extension", "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n2;x=y\r\nab\r\n0;z\r\n\r\n",
     "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n", true, NULL},
    {"chunked with trailer", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n", true, NULL},
    {"empty chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", true, NULL},
    {"two Content-Length", "POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nab",
     POISONED, false, "Content-Length"},
    {"same Content-Length twice", "POST / HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nab",
     POISONED, false, "Content-Length"},
    {"signed Content-Length", "POST / HTTP/1.1\r\nContent-Length: +2\r\n\r\nab", POISONED, false,
     "Content-Length"},
    {"hex Content-Length", "POST / HTTP/1.1\r\nContent-Length: 0x2\r\n\r\nab", POISONED, false,
     "Content-Length"},
    {"list Content-Length", "POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nab", POISONED, false,
     "Content-Length"},
    {"empty Content-Length", "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", POISONED, false,
     "Content-Length"},
    {"space before colon", "POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\nContent-Length: 2\r\n\r\nab",
     POISONED, false, "colon"},
    {"TE and CL", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n0\r\n\r\n",
     POISONED, false, "both"},
    {"TE gzip", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", POISONED,
     false, "chunked"},
    {"TE twice", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     POISONED, false, "Transfer-Encoding"},
    {"TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", POISONED,
     false, "1.0"},
    {"folded header", "GET / HTTP/1.1\r\nX-A: 1\r\n  2\r\n\r\n", POISONED, false, "folded"},
    {"bare CR", "GET / HTTP/1.1\r\nX-A: 1\r2\r\n\r\n", POISONED, false, "CR"},
    {"NUL in value", NUL_CASE, POISONED, false, "control"},
    {"no version", "GET /\r\n\r\n", POISONED, false, "target"},
    {"HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", POISONED, false, "version"},
    {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", POISONED, false, "Host"},
    {"header without colon", "GET / HTTP/1.1\r\nX-A\r\n\r\n", POISONED, false, "name"},
    {"bad chunk size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
     POISONED, false, "chunk size"},
    {"negative chunk size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\nab\r\n0\r\n\r\n",
     POISONED, false, "chunk size"},
    {"chunk size junk", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2 x\r\nab\r\n0\r\n\r\n",
     POISONED, false, "chunk size"},
    {"chunk without CRLF", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
     POISONED, false, "CRLF"},
    {"17 hex digits", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
     POISONED, false, "chunk size"},
    {"chunk over the body limit", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n401\r\n",
     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n401\r\n", false, "large"},
    {"bad trailer", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX : 1\r\n\r\n",
     POISONED, false, "colon"},
    {"valid then invalid", "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
     "GET /a HTTP/1.1\r\n\r\n" POISONED, false, "Content-Length"},
};

/* Feed in as one buffer or in pieces of `step` bytes; the bytes for evhttp in *out. */
static bool run(const char *in, size_t len, size_t step, char **out, size_t *outlen,
                const char **reason)
{
    struct hframe f;
    hframe_init(&f, 1024, 1024);
    struct evbuffer *b = evbuffer_new(), *o = evbuffer_new();
    bool ok = true;
    for (size_t i = 0; i < len; i += step) {
        evbuffer_add(b, in + i, len - i < step ? len - i : step);
        if (!hframe_feed(&f, b, o))
            ok = false;
    }
    *reason = f.reason;
    *outlen = evbuffer_get_length(o);
    *out = malloc(*outlen + 1);
    evbuffer_remove(o, *out, *outlen);
    (*out)[*outlen] = '\0';
    evbuffer_free(b);
    evbuffer_free(o);
    hframe_clear(&f);
    return ok;
}

static size_t case_len(const struct case_ *c)
{
    /* the NUL case has an embedded NUL: its length is known */
    return strcmp(c->name, "NUL in value") == 0 ? sizeof(NUL_CASE) - 1 : strlen(c->in);
}

static void test_cases(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct case_ *c = &cases[i];
        size_t steps[] = {case_len(c), 1, 3};
        for (size_t s = 0; s < 3; s++) {
            char *out;
            size_t outlen;
            const char *reason;
            bool ok = run(c->in, case_len(c), steps[s], &out, &outlen, &reason);
            T_CHECK(ok == c->ok, "%s (step %zu): ok %d, reason %s", c->name, steps[s], ok,
                    reason ? reason : "-");
            T_CHECK(outlen == strlen(c->out) && memcmp(out, c->out, outlen) == 0,
                    "%s (step %zu): got \"%s\"", c->name, steps[s], out);
            if (!c->ok)
                T_CHECK(reason && strstr(reason, c->reason), "%s: reason \"%s\"", c->name,
                        reason ? reason : "(none)");
            free(out);
        }
    }
}

static void test_states(void)
{
    struct hframe f;
    hframe_init(&f, 1024, 1024);
    struct evbuffer *b = evbuffer_new(), *o = evbuffer_new();
    T_CHECK(!hframe_in_head(&f) && !hframe_in_body(&f), "idle at first");
    evbuffer_add_printf(b, "GET / HT");
    T_CHECK(hframe_feed(&f, b, o) && hframe_in_head(&f) && evbuffer_get_length(o) == 0,
            "a partial head is held");
    evbuffer_add_printf(b, "TP/1.1\r\nContent-Length: 4\r\n\r\nab");
    T_CHECK(hframe_feed(&f, b, o) && !hframe_in_head(&f) && hframe_in_body(&f) && f.body_seen == 2,
            "in the body");
    evbuffer_add_printf(b, "cd");
    T_CHECK(hframe_feed(&f, b, o) && !hframe_in_head(&f) && !hframe_in_body(&f),
            "idle after the body");
    evbuffer_add_printf(b, "\r\n");
    T_CHECK(hframe_feed(&f, b, o) && hframe_in_head(&f), "an empty line starts the head deadline");
    evbuffer_add_printf(b, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
    size_t before = evbuffer_get_length(o);
    T_CHECK(hframe_feed(&f, b, o) && f.expect_continue && hframe_in_body(&f) &&
                evbuffer_get_length(o) == before,
            "a chunked head is held, 100-continue noted");
    evbuffer_free(b);
    evbuffer_free(o);
    hframe_clear(&f);
}

static void test_oversized_head(void)
{
    char big[3000];
    memset(big, 'a', sizeof(big));
    memcpy(big, "GET / HTTP/1.1\r\nX-A: ", 21);
    char *out;
    size_t outlen;
    const char *reason;
    bool ok = run(big, sizeof(big), sizeof(big), &out, &outlen, &reason);
    T_CHECK(!ok && outlen == 3 && memcmp(out, POISONED, 3) == 0 && reason &&
                strstr(reason, "large"),
            "an oversized head is refused (400)");
    free(out);
}

/* Divert requests whose target starts with /up: their heads are seen here, not passed on. */
static bool divert_up(void *arg, const char *head, size_t len, uint64_t cl)
{
    int *seen = arg;
    (*seen)++;
    return len > 9 && memcmp(head, "POST /up ", 9) == 0 && cl > 0;
}

static void test_divert(void)
{
    for (size_t step = 1; step <= 200; step += 199) {
        struct hframe f;
        hframe_init(&f, 1024, 1024);
        int seen = 0;
        f.divert = divert_up;
        f.divert_arg = &seen;
        struct evbuffer *b = evbuffer_new(), *o = evbuffer_new();
        static const char in[] = "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nab"
                                 "POST /up HTTP/1.1\r\nContent-Length: 5\r\n\r\n12345"
                                 "GET /b HTTP/1.1\r\n\r\n";
        size_t n = sizeof(in) - 1, side = 0;
        bool ok = true;
        for (size_t i = 0; i < n; i += step) {
            evbuffer_add(b, in + i, n - i < step ? n - i : step);
            ok = ok && hframe_feed(&f, b, o);
            side += evbuffer_get_length(f.side);
            evbuffer_drain(f.side, evbuffer_get_length(f.side));
        }
        T_CHECK(ok && f.paused && side == 5, "the diverted body went aside, framing paused");
        size_t before = evbuffer_get_length(o);
        evbuffer_add(o, "[X]", 3);
        T_CHECK(hframe_resume(&f, o) && !f.paused, "resumed");
        char *out = malloc(evbuffer_get_length(o) + 1);
        size_t k = evbuffer_remove(o, out, evbuffer_get_length(o));
        out[k] = '\0';
        T_STREQ(out, "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nab[X]GET /b HTTP/1.1\r\n\r\n",
                "what follows a diverted request comes after the caller's bytes");
        T_CHECK(before == 41 && seen == 2, "heads asked about: those with a body (%d)", seen);
        free(out);
        evbuffer_free(b);
        evbuffer_free(o);
        hframe_clear(&f);
    }
}

int main(void)
{
    test_cases();
    test_states();
    test_oversized_head();
    test_divert();
    T_DONE();
}
