/* sbuf — a growable byte string. */
#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SBUF_FIRST 256

void sbuf_reserve(struct sbuf *b, size_t n)
{
    if (b->cap - b->len >= n + 1)
        return;
    size_t cap = b->cap ? b->cap : SBUF_FIRST;
    while (cap - b->len < n + 1)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
    b->p[b->len] = '\0';
}

void sbuf_add(struct sbuf *b, const void *s, size_t n)
{
    sbuf_reserve(b, n);
    if (n) /* (s may be NULL then) */
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void sbuf_adds(struct sbuf *b, const char *s)
{
    sbuf_add(b, s, strlen(s));
}

void sbuf_vaddf(struct sbuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    sbuf_reserve(b, (size_t)n);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sbuf_vaddf(b, fmt, ap);
    va_end(ap);
}

char *sbuf_take(struct sbuf *b)
{
    sbuf_reserve(b, 0);
    char *s = b->p;
    *b = (struct sbuf){0};
    return s;
}

void sbuf_free(struct sbuf *b)
{
    free(b->p);
    *b = (struct sbuf){0};
}
