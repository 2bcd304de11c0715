/* arena — per-request bump allocator with cleanup hooks (nginx pool, h2o req->pool).
 * Everything allocated from an arena is released at once by arena_free; resources that are
 * not arena memory (PGresult, json-c objects) are handed over with arena_defer. */
#ifndef ARENA_H
#define ARENA_H
#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Run fn(ptr) when the arena is freed (in reverse order of registration). */
void arena_defer(struct arena *a, void (*fn)(void *), void *ptr);

#endif
