/* web_accept — Accept-Encoding and locale codes (pure). */
#include "web_accept.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The q-value of one list element's parameters ("; q=0.5"): 1 when none, 0 when malformed. */
static double element_q(const char *p, size_t n)
{
    double q = 1;
    while (n > 0) {
        const char *semi = memchr(p, ';', n);
        if (!semi)
            break;
        n -= (size_t)(semi + 1 - p);
        p = semi + 1;
        while (n > 0 && (*p == ' ' || *p == '\t'))
            p++, n--;
        if (n >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            char num[8];
            size_t k = 0;
            for (size_t i = 2; i < n && k < sizeof(num) - 1 && (p[i] == '.' || (p[i] >= '0' && p[i] <= '9')); i++)
                num[k++] = p[i];
            num[k] = '\0';
            q = k ? strtod(num, NULL) : 0;
        }
    }
    return q;
}

/* The coding name of one element (before ';' and blanks): its start and length. */
static size_t element_name(const char **p, size_t n)
{
    while (n > 0 && (**p == ' ' || **p == '\t'))
        (*p)++, n--;
    size_t k = 0;
    while (k < n && (*p)[k] != ';' && (*p)[k] != ' ' && (*p)[k] != '\t')
        k++;
    return k;
}

bool web_accepts_gzip(const char *ae)
{
    if (!ae)
        return false;
    double gzip_q = -1, star_q = -1; /* -1: not named */
    for (const char *p = ae; *p;) {
        size_t n = strcspn(p, ",");
        const char *name = p;
        size_t k = element_name(&name, n);
        double q = element_q(name + k, n - (size_t)(name - p) - k);
        if ((k == 4 && strncasecmp(name, "gzip", 4) == 0) ||
            (k == 6 && strncasecmp(name, "x-gzip", 6) == 0))
            gzip_q = q > gzip_q ? q : gzip_q;
        else if (k == 1 && *name == '*')
            star_q = q;
        p += n;
        if (*p == ',')
            p++;
    }
    return gzip_q >= 0 ? gzip_q > 0 : star_q > 0;
}

const char *web_locale_file(const char *lang)
{
    static const char *const map[][2] = {
        {"en", "en"},
        {"zh_Hant_TW", "zh_Hant_TW"},
        {"zh_TW", "zh_Hant_TW"},
        {"zh_Hans_CN", "zh_Hans_CN"},
        {"zh_CN", "zh_Hans_CN"},
    };
    for (size_t i = 0; lang && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(lang, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}
