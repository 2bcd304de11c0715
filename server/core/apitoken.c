/* apitoken — see apitoken.h. */
#include "apitoken.h"

#include <string.h>
#include <sys/random.h>

char *apitok_new(void)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[33] = {0}; /* one byte past the 32: whole groups of three */
    if (getrandom(raw, 32, 0) != 32)
        return NULL;
    char *out = xmalloc(APITOKEN_LEN + 2);
    size_t o = 0;
    for (size_t i = 0; i < sizeof raw; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
        for (int k = 18; k >= 0; k -= 6)
            out[o++] = b64[(v >> k) & 63];
    }
    out[APITOKEN_LEN] = '\0';
    explicit_bzero(raw, sizeof raw);
    return out;
}
