/* jcompact — JSON text without insignificant whitespace (pure). */
#include "jcompact.h"

#include <stdbool.h>

size_t jcompact_copy(char *dst, const char *src, size_t len)
{
    size_t o = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (in_string) {
            dst[o++] = c;
            if (c == '\\' && i + 1 < len)
                dst[o++] = src[++i]; /* an escape's next byte is never the string's end */
            else if (c == '"')
                in_string = false;
        } else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
            dst[o++] = c;
            in_string = c == '"';
        }
    }
    return o;
}
