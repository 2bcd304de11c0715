/* legacy_munge — CKAN 2.7's lib/munge.py name and tag munging, restated. */
#include "legacy_munge.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* U+00C0..U+00FF as ASCII ("" drops it; U+00D7 and U+00F7 are not letters). */
static const char *const latin1[64] = {
    "A", "A", "A", "A", "A", "A", "Ae", "C", "E", "E", "E", "E", "I", "I", "I", "I",
    "Th", "N", "O", "O", "O", "O", "O", "", "O", "U", "U", "U", "U", "Y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "th", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y"};

/* substitute_ascii_equivalents: ASCII kept, Latin-1 letters replaced, the rest dropped. Input
 * that is not UTF-8 is read byte by byte (its high bytes dropped). */
static char *ascii_equivalents(const char *s)
{
    char *out = xmalloc(2 * strlen(s) + 1), *p = out;
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        if (*u < 0x80) {
            *p++ = (char)*u++;
        } else if ((*u == 0xC3) && u[1] >= 0x80 && u[1] < 0xC0) {
            const char *a = latin1[u[1] - 0x80 + 0x00];
            size_t n = strlen(a);
            memcpy(p, a, n);
            p += n;
            u += 2;
        } else {
            u++;
            while (*u >= 0x80 && *u < 0xC0) /* the rest of that character */
                u++;
        }
    }
    *p = '\0';
    return out;
}

/* [ .:/] → '-', then keep [a-zA-Z0-9-_] (extra: also keep ' ' for tags), lower-cased. */
static void clean(char *s, bool tag)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        char c = *r;
        if (!tag && strchr(" .:/", c))
            c = '-';
        if (isalnum((unsigned char)c) || c == '-' || (!tag && c == '_') || (tag && c == ' '))
            *w++ = (char)tolower((unsigned char)c);
    }
    *w = '\0';
}

/* _munge_to_length: pad with '_' to min, cut to max (s has room for min bytes + NUL). */
static char *to_length(char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min) {
        s = xrealloc(s, min + 1);
        memset(s + n, '_', min - n);
        s[min] = '\0';
    }
    if (strlen(s) > max)
        s[max] = '\0';
    return s;
}

char *legacy_munge_name(const char *in)
{
    char *s = ascii_equivalents(in);
    clean(s, false);
    return to_length(s, LEGACY_NAME_MIN, LEGACY_NAME_MAX);
}

/* A trailing year (dd..dddd, optionally after another dd..dddd and '-' or '/'), preceded by
 * '-' or '_': its length, or 0. */
static size_t year_suffix(const char *s)
{
    size_t n = strlen(s), i = n, d = 0;
    while (i > 0 && isdigit((unsigned char)s[i - 1]) && d < 4)
        i--, d++;
    if (d < 2 || (i > 0 && isdigit((unsigned char)s[i - 1])))
        return 0;
    size_t one = n - i;
    if (i > 1 && (s[i - 1] == '-' || s[i - 1] == '/')) {
        size_t j = i - 1, e = 0;
        while (j > 0 && isdigit((unsigned char)s[j - 1]) && e < 4)
            j--, e++;
        if (e >= 2 && j > 0 && !isdigit((unsigned char)s[j - 1]) &&
            (s[j - 1] == '-' || s[j - 1] == '_') && j > 1)
            return n - j;
    }
    return i > 1 && (s[i - 1] == '-' || s[i - 1] == '_') ? one : 0;
}

char *legacy_munge_title_to_name(const char *in)
{
    char *s = ascii_equivalents(in);
    clean(s, false);
    char *w = s; /* runs of '-' as one */
    for (char *r = s; *r; r++)
        if (*r != '-' || w == s || w[-1] != '-')
            *w++ = *r;
    *w = '\0';
    size_t lead = strspn(s, "-"), n = strlen(s);
    while (n > lead && s[n - 1] == '-')
        n--;
    memmove(s, s + lead, n - lead);
    s[n - lead] = '\0';
    size_t max = LEGACY_NAME_MAX - 5; /* room for a de-clashing suffix */
    if (strlen(s) > max) {
        size_t y = year_suffix(s);
        if (y) {
            size_t keep = max - y - 1;
            memmove(s + keep + 1, s + strlen(s) - y, y + 1);
            s[keep] = '-';
        } else {
            s[max] = '\0';
        }
    }
    return to_length(s, LEGACY_NAME_MIN, LEGACY_NAME_MAX);
}

char *legacy_munge_tag(const char *in)
{
    char *s = ascii_equivalents(in);
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    size_t lead = strspn(s, " \t\r\n\f\v"), n = strlen(s);
    while (n > lead && isspace((unsigned char)s[n - 1]))
        n--;
    memmove(s, s + lead, n - lead);
    s[n - lead] = '\0';
    clean(s, true);
    for (char *p = s; *p; p++)
        if (*p == ' ')
            *p = '-';
    return to_length(s, LEGACY_TAG_MIN, LEGACY_TAG_MAX);
}
