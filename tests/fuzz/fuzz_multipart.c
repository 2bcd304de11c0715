/* libFuzzer target for server/core/multipart.c (multipart/form-data bodies from clients).
 * The first byte picks where the body is cut into pieces; the Content-Type value runs to the
 * first newline, the body follows. How the body is cut must change nothing: the callbacks see
 * the same parts and bytes, and the verdict (and its message) is the same, as with the body
 * whole; the data passed on is never more than the body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

struct seen {
    char *log; /* parts and their data, as one string of bytes */
    size_t len, cap, data;
};

static void add(struct seen *s, const void *p, size_t n)
{
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2 + 64;
        s->log = realloc(s->log, s->cap);
        if (!s->log)
            abort();
    }
    memcpy(s->log + s->len, p, n);
    s->len += n;
}

static bool on_part(void *ctx, const struct mp_part *p)
{
    struct seen *s = ctx;
    if (!p->name || strlen(p->name) > 65536)
        abort(); /* a part always has a name, from its bounded headers */
    add(s, "<", 1);
    add(s, p->name, strlen(p->name) + 1);
    if (p->filename)
        add(s, p->filename, strlen(p->filename) + 1);
    if (p->content_type)
        add(s, p->content_type, strlen(p->content_type) + 1);
    return true;
}

static bool on_data(void *ctx, const char *d, size_t n)
{
    struct seen *s = ctx;
    if (n == 0)
        abort(); /* no empty pieces */
    s->data += n;
    add(s, d, n);
    return true;
}

static bool on_end(void *ctx, const struct mp_part *p)
{
    add(ctx, ">", 1);
    return true;
}

static bool run(const char *ct, const uint8_t *body, size_t n, size_t step, struct seen *s,
                char **why)
{
    static const struct mp_callbacks cb = {on_part, on_data, on_end};
    const struct mp_limits lim = {8, 512};
    const char *err;
    struct mp_reader *r = mp_new(ct, &lim, &cb, s, &err);
    if (!r) {
        *why = strdup(err);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < n && ok; i += step)
        ok = mp_feed(r, (const char *)body + i, n - i < step ? n - i : step);
    ok = ok && mp_finish(r);
    *why = ok ? NULL : strdup(mp_error(r));
    if (!ok && !*why)
        abort(); /* a failure always says why */
    mp_free(r);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] % 13 + 1;
    data++, size--;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t ctlen = nl ? (size_t)(nl - data) : size;
    char *ct = strndup((const char *)data, ctlen);
    const uint8_t *body = nl ? nl + 1 : data + size;
    size_t n = size - (size_t)(body - data);
    struct seen a = {0}, b = {0};
    char *wa, *wb;
    bool oka = run(ct, body, n, n ? n : 1, &a, &wa);
    bool okb = run(ct, body, n, step, &b, &wb);
    if (oka != okb || a.len != b.len || (a.len && memcmp(a.log, b.log, a.len) != 0) ||
        (wa && strcmp(wa, wb) != 0))
        abort(); /* the cut changed what was read */
    if (a.data > n)
        abort();
    free(a.log);
    free(b.log);
    free(wa);
    free(wb);
    free(ct);
    return 0;
}
