/* util — allocation that aborts on OOM, small string helpers, monotonic time, a fast hash. */
#ifndef UTIL_H
#define UTIL_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* On functions whose failure must be handled (a status, or an owned pointer that is NULL on
 * failure): the compiler warns when a caller drops the result (pgbouncer's _MUSTCHECK). Where
 * ignoring it is right, the call site says why in a comment; gcc still warns through a (void)
 * cast, so such a call must use the value (e.g. `if (!f()) { ... why ... }`). Not for results
 * that are a convenience. */
#define MUSTCHECK __attribute__((warn_unused_result))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fmt formatted into a malloc'd string, or NULL when that fails (callers fall back to fmt:
 * a log line or error message is still worth writing when memory is short). */
char *util_vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Microseconds from a monotonic clock. */
int64_t util_now_us(void);

/* True when s is valid UTF-8 of len bytes (no overlongs, no surrogates). */
bool util_utf8_valid(const char *s, size_t len);
/* Bytes of s that are valid UTF-8 from the start (len when all are). */
size_t util_utf8_prefix(const char *s, size_t len);

/* Number of Unicode code points in valid UTF-8 s. */
size_t util_utf8_len(const char *s, size_t len);

/* The whole file (NUL-terminated, *len bytes before the NUL); NULL with *err (malloc'd). */
char *util_read_file(const char *path, size_t *len, char **err) MUSTCHECK;

/* A directory shipped with the program (sql, schemas, web), in this order: $env when set;
 * <prefix>/share/opendatad/sub when it exists (an install: <prefix>/bin holds the program);
 * <prefix>/sub when it exists (a checkout: bin/ beside sql/); else OPENDATAD_DATADIR/sub, the
 * folder `make install` fills (compiled in from the Makefile's PREFIX). A sub under var/ is
 * data the server writes: $env, else var/... beside bin/ in a build tree, OPENDATAD_STATEDIR/...
 * (/var/lib/opendatad) for an installed program. Malloc'd. */
char *util_share_dir(const char *env, const char *sub);

/* XXH64 (seed 0) of n bytes: a fast 64-bit hash, e.g. for ETags of reply bodies. Computed
 * from little-endian reads, so the value is the same on every machine. */
uint64_t util_hash64(const void *p, size_t n);

/* True when an If-None-Match value (a comma-separated list of entity tags, "*", weak tags
 * compared weakly) names etag (given with its quotes). */
bool util_etag_listed(const char *list, const char *etag);

#endif
