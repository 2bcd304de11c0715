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
