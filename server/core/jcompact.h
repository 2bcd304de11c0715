/* jcompact — JSON text without insignificant whitespace (pure). PostgreSQL writes `"k" : v`
 * (json_build_object), `"k": v` (jsonb) and `,\n ` (json_agg of rows) in one answer; a family
 * that wants one spacing style copies its payload through this. */
#ifndef JCOMPACT_H
#define JCOMPACT_H
#include <stddef.h>

/* Copy the JSON text src[0..len) to dst without whitespace outside strings; dst holds at
 * least len bytes. Returns the bytes written. Strings (escapes included) are copied as they
 * are; the text is not validated (an unterminated string is copied to the end). */
size_t jcompact_copy(char *dst, const char *src, size_t len);

#endif
