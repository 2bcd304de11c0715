/* util — allocation that aborts on OOM, small string helpers, monotonic time. */
#ifndef UTIL_H
#define UTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MUSTCHECK __attribute__((warn_unused_result))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Microseconds from a monotonic clock. */
int64_t util_now_us(void);

/* True when s is valid UTF-8 of len bytes (no overlongs, no surrogates). */
bool util_utf8_valid(const char *s, size_t len);

/* Number of Unicode code points in valid UTF-8 s. */
size_t util_utf8_len(const char *s, size_t len);

/* The whole file (NUL-terminated, *len bytes before the NUL); NULL with *err (malloc'd). */
char *util_read_file(const char *path, size_t *len, char **err);

/* A directory shipped with the program: $env when set, else ../sub next to the binary. */
char *util_share_dir(const char *env, const char *sub);

#endif
