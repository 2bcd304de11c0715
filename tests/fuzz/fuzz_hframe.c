/* libFuzzer target for server/core/hframe.c (request framing of client bytes).
 * The first byte picks where the input is cut into pieces (framing must not depend on how
 * reads split the stream); what passes must pass again unchanged through a fresh reader
 * (the output is canonical framing), and the same with the input whole. With the first byte's
 * high bit, heads of "POST /up" are diverted (as edge.c spools uploads): their bodies go aside
 * and a marker with their length takes their place when framing pauses; the split must not
 * change that either. */
#include <event2/buffer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hframe.h"

static bool divert_up(void *arg, const char *head, size_t len, uint64_t cl)
{
    (void)arg, (void)cl;
    return len > 9 && memcmp(head, "POST /up ", 9) == 0;
}

/* The diverted body's bytes counted; at its end a marker, then framing resumed. */
static bool take_side(struct hframe *f, struct evbuffer *out, size_t *side)
{
    bool ok = true;
    for (;;) {
        *side += evbuffer_get_length(f->side);
        evbuffer_drain(f->side, evbuffer_get_length(f->side));
        if (!f->paused)
            return ok;
        evbuffer_add_printf(out, "[%zu]", *side);
        *side = 0;
        ok = hframe_resume(f, out) && ok;
    }
}

static struct evbuffer *frame_opt(const uint8_t *data, size_t size, size_t step, bool *ok,
                                  enum hframe_state *end, bool divert)
{
    struct hframe f;
    hframe_init(&f, 2048, 4096);
    if (divert)
        f.divert = divert_up;
    struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
    size_t side = 0;
    *ok = true;
    for (size_t i = 0; i < size; i += step) {
        evbuffer_add(in, data + i, size - i < step ? size - i : step);
        if (!hframe_feed(&f, in, out))
            *ok = false;
        if (!take_side(&f, out, &side))
            *ok = false;
    }
    *end = f.state;
    hframe_clear(&f);
    evbuffer_free(in);
    return out;
}

static struct evbuffer *frame(const uint8_t *data, size_t size, size_t step, bool *ok,
                              enum hframe_state *end)
{
    return frame_opt(data, size, step, ok, end, false);
}

static bool same(struct evbuffer *a, struct evbuffer *b)
{
    size_t n = evbuffer_get_length(a);
    return n == evbuffer_get_length(b) &&
           (n == 0 || memcmp(evbuffer_pullup(a, -1), evbuffer_pullup(b, -1), n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)(data[0] & 0x7f) % 17 + 1;
    bool divert = data[0] & 0x80;
    data++, size--;
    bool ok1, ok2, ok3;
    enum hframe_state e1, e2, e3;
    struct evbuffer *whole = frame_opt(data, size, size ? size : 1, &ok1, &e1, divert);
    struct evbuffer *pieces = frame_opt(data, size, step, &ok2, &e2, divert);
    if (ok1 != ok2 || !same(whole, pieces))
        abort(); /* the split changed the framing */
    if (ok1 && e1 != HFRAME_CLOSED && !divert) {
        size_t n = evbuffer_get_length(whole);
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, n ? evbuffer_pullup(whole, -1) : (const uint8_t *)"", n);
        struct evbuffer *again = frame(copy, n, n ? n : 1, &ok3, &e3);
        if (!ok3 || !same(whole, again))
            abort(); /* passed bytes are not canonical */
        evbuffer_free(again);
        free(copy);
    }
    evbuffer_free(whole);
    evbuffer_free(pieces);
    return 0;
}
