/* arena — per-request bump allocator with cleanup hooks. */
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ARENA_CHUNK 4096

struct chunk {
    struct chunk *next;
    size_t used, size;
    max_align_t data[];
};

struct cleanup {
    struct cleanup *next;
    void (*fn)(void *);
    void *ptr;
};

struct arena {
    struct chunk *head;
    struct cleanup *cleanups;
};

struct arena *arena_new(void)
{
    return xcalloc(1, sizeof(struct arena));
}

void arena_free(struct arena *a)
{
    if (!a)
        return;
    for (struct cleanup *c = a->cleanups; c; c = c->next)
        c->fn(c->ptr);
    struct chunk *ch = a->head;
    while (ch) {
        struct chunk *next = ch->next;
        free(ch);
        ch = next;
    }
    free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
    size_t align = sizeof(max_align_t);
    n = (n + align - 1) / align * align;
    struct chunk *ch = a->head;
    if (!ch || ch->size - ch->used < n) {
        size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        ch = xmalloc(sizeof(struct chunk) + size);
        ch->size = size;
        ch->used = 0;
        ch->next = a->head;
        a->head = ch;
    }
    void *p = (char *)ch->data + ch->used;
    ch->used += n;
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void arena_defer(struct arena *a, void (*fn)(void *), void *ptr)
{
    struct cleanup *c = arena_alloc(a, sizeof(*c));
    c->fn = fn;
    c->ptr = ptr;
    c->next = a->cleanups;
    a->cleanups = c;
}
