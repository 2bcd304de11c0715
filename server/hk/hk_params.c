/* hk_params — see hk_params.h. */
#include "hk_params.h"

#include <string.h>

/* n digits at s (all of them digits) as a number, or -1. */
static long hk_digits(const char *s, int n)
{
    long v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static bool day_exists(long y, long m, long d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1000 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

bool hk_parse_day(const char *s, int *out)
{
    if (!s || strlen(s) != 8)
        return false;
    long y = hk_digits(s, 4), m = hk_digits(s + 4, 2), d = hk_digits(s + 6, 2);
    if (y < 0 || m < 0 || d < 0 || !day_exists(y, m, d))
        return false;
    *out = (int)(y * 10000 + m * 100 + d);
    return true;
}

bool hk_parse_time(const char *s, char out[14])
{
    if (!s)
        return false;
    size_t n = strlen(s);
    const char *hm = s + 8;
    if (n == 13 && s[8] == '-')
        hm = s + 9;
    else if (n != 12)
        return false;
    char day[9];
    memcpy(day, s, 8);
    day[8] = '\0';
    int d;
    long h = hk_digits(hm, 2), mi = hk_digits(hm + 2, 2);
    if (!hk_parse_day(day, &d) || h < 0 || h > 23 || mi < 0 || mi > 59)
        return false;
    memcpy(out, s, 8);
    out[8] = '-';
    memcpy(out + 9, hm, 4);
    out[13] = '\0';
    return true;
}

bool hk_parse_count(const char *s, long long min, long long max, long long *out)
{
    if (!s || !*s || strlen(s) > 18)
        return false;
    long long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* A non-negative decimal of at most 18 digits at *p, advancing it; -1 when none. */
static int64_t number(const char **p)
{
    int64_t v = 0;
    int n = 0;
    while (**p >= '0' && **p <= '9') {
        if (++n > 18)
            return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    return n ? v : -1;
}

enum hk_range hk_parse_range(const char *header, int64_t size, int64_t *first, int64_t *last)
{
    if (!header || strncmp(header, "bytes=", 6) != 0)
        return HK_RANGE_NONE;
    const char *p = header + 6;
    while (*p == ' ')
        p++;
    int64_t a = -1, b = -1;
    if (*p == '-') {
        p++;
        b = number(&p); /* a suffix: the last b bytes */
        if (b < 0)
            return HK_RANGE_NONE;
    } else {
        a = number(&p);
        if (a < 0 || *p++ != '-')
            return HK_RANGE_NONE;
        if (*p >= '0' && *p <= '9') {
            b = number(&p);
            if (b < 0 || b < a)
                return HK_RANGE_NONE;
        }
    }
    while (*p == ' ')
        p++;
    if (*p) /* several ranges, or trailing bytes: the whole file */
        return HK_RANGE_NONE;
    if (a < 0) { /* suffix */
        if (b == 0 || size == 0)
            return HK_RANGE_UNSATISFIABLE;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return HK_RANGE_OK;
    }
    if (a >= size)
        return HK_RANGE_UNSATISFIABLE;
    *first = a;
    *last = b < 0 || b >= size ? size - 1 : b;
    return HK_RANGE_OK;
}
