/* sbuf — a growable byte string: the one way text is built in pieces (SQL, messages, dump
 * formats, search terms). The bytes are always followed by a NUL once anything was added. */
#ifndef SBUF_H
#define SBUF_H
#include <stdarg.h>
#include <stddef.h>

struct sbuf {
    char *p; /* NULL until the first add */
    size_t len, cap;
};

/* Room for n more bytes (and the NUL after them). */
void sbuf_reserve(struct sbuf *b, size_t n);
/* Append n bytes. */
void sbuf_add(struct sbuf *b, const void *s, size_t n);
/* Append a NUL-terminated string. */
void sbuf_adds(struct sbuf *b, const char *s);
/* Append printf's output. */
void sbuf_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vaddf(struct sbuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hand the string over (malloc'd, never NULL: "" when nothing was added); b is empty again. */
char *sbuf_take(struct sbuf *b);
/* Release the bytes; b is empty and reusable afterwards. */
void sbuf_free(struct sbuf *b);

/* Append one byte (inline: the formats add text a character at a time). */
static inline void sbuf_addc(struct sbuf *b, char c)
{
    if (b->cap - b->len < 2)
        sbuf_reserve(b, 1);
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
}

#endif
