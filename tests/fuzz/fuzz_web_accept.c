/* libFuzzer target for server/web/web_accept.c: any Accept-Encoding value and locale code is
 * read without a fault, and the answers are consistent (a locale maps to one of three files). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web_accept.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v = malloc(size + 1);
    if (!v)
        abort();
    memcpy(v, data, size);
    v[size] = '\0';
    (void)web_accepts_gzip(v);
    const char *f = web_locale_file(v);
    if (f && strcmp(f, "en") != 0 && strcmp(f, "zh_Hant_TW") != 0 && strcmp(f, "zh_Hans_CN") != 0)
        abort();
    free(v);
    return 0;
}
