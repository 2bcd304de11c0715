/* infer — value classification and column type choice for the importers. */
#include "infer.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define T_TEXT INFER_BIT(INFER_TEXT)
/* Longest number taken as numeric; PostgreSQL allows more, but such values are not numbers in
 * open data (they are codes) and the cap keeps the check cheap. */
#define NUMERIC_MAX_LEN 1000

struct dt {
    int y, mo, d, h, mi, s;
    int frac_len;
    const char *frac;
    bool has_time;
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Between min and max digits at s[*i]; their value in *v. */
static bool digits(const char *s, size_t len, size_t *i, int min, int max, int *v)
{
    int n = 0;
    *v = 0;
    while (*i < len && n < max && is_digit(s[*i])) {
        *v = *v * 10 + (s[*i] - '0');
        (*i)++;
        n++;
    }
    return n >= min && !(*i < len && is_digit(s[*i]));
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* "HH:MM[:SS[.f{1,6}]]" from s[i] to the end. */
static bool parse_time(const char *s, size_t len, size_t i, struct dt *o)
{
    o->s = 0;
    if (!digits(s, len, &i, 1, 2, &o->h) || i >= len || s[i++] != ':' ||
        !digits(s, len, &i, 2, 2, &o->mi))
        return false;
    if (i < len && s[i] == ':') {
        i++;
        if (!digits(s, len, &i, 2, 2, &o->s))
            return false;
        if (i < len && s[i] == '.') {
            o->frac = s + ++i;
            while (i < len && is_digit(s[i]))
                i++;
            o->frac_len = (int)(s + i - o->frac);
            if (o->frac_len < 1 || o->frac_len > 6)
                return false;
        }
    }
    o->has_time = true;
    return i == len && o->h <= 23 && o->mi <= 59 && o->s <= 59;
}

/* "YYYY-M-D" or "YYYY/M/D" (one or two digits for month and day, the same separator twice),
 * optionally followed by ' ' or 'T' and a time. The date must exist. */
static bool parse_datetime(const char *s, size_t len, struct dt *o)
{
    size_t i = 0;
    memset(o, 0, sizeof(*o));
    if (!digits(s, len, &i, 4, 4, &o->y) || i >= len || (s[i] != '-' && s[i] != '/'))
        return false;
    char sep = s[i++];
    if (!digits(s, len, &i, 1, 2, &o->mo) || i >= len || s[i++] != sep ||
        !digits(s, len, &i, 1, 2, &o->d))
        return false;
    if (o->y < 1 || o->mo < 1 || o->mo > 12 || o->d < 1 || o->d > days_in_month(o->y, o->mo))
        return false;
    if (i == len)
        return true;
    if (s[i] != ' ' && s[i] != 'T')
        return false;
    return parse_time(s, len, i + 1, o);
}

/* Integers and decimals: an optional sign, digits without a leading zero, optional '.' and at
 * least one digit. The value is kept, not always the text: "+1.5" reads back "1.5" and "-0.00"
 * "0.00" (as pandas and spreadsheets read them as numbers, a column holding them is numeric). */
static unsigned classify_number(const char *s, size_t len)
{
    size_t i = s[0] == '-' || s[0] == '+';
    size_t start = i;
    while (i < len && is_digit(s[i]))
        i++;
    size_t int_digits = i - start;
    if (int_digits == 0 || (int_digits > 1 && s[start] == '0') || len > NUMERIC_MAX_LEN)
        return T_TEXT;
    bool frac = i < len && s[i] == '.';
    if (frac) {
        size_t f = ++i;
        while (i < len && is_digit(s[i]))
            i++;
        if (i == f)
            return T_TEXT;
    }
    if (i != len)
        return T_TEXT;
    unsigned mask = T_TEXT | INFER_BIT(INFER_NUMERIC);
    if (frac || int_digits > 19)
        return mask;
    unsigned long long v = 0;
    for (size_t k = start; k < i; k++)
        v = v * 10 + (unsigned)(s[k] - '0');
    bool neg = s[0] == '-';
    unsigned long long lim8 = neg ? 9223372036854775808ULL : 9223372036854775807ULL;
    unsigned long long lim4 = neg ? 2147483648ULL : 2147483647ULL;
    if (v <= lim8)
        mask |= INFER_BIT(INFER_INT8);
    if (v <= lim4)
        mask |= INFER_BIT(INFER_INT4);
    return mask;
}

unsigned infer_classify(const char *s, size_t len)
{
    if (len == 0)
        return INFER_ANY;
    char c = s[0];
    if (((c | 0x20) == 't' && len == 4 && strncasecmp(s, "true", 4) == 0) ||
        ((c | 0x20) == 'f' && len == 5 && strncasecmp(s, "false", 5) == 0))
        return T_TEXT | INFER_BIT(INFER_BOOL);
    if (!is_digit(c) && c != '-' && c != '+')
        return T_TEXT;
    if (len >= 8 && is_digit(c) && (s[4] == '-' || s[4] == '/')) {
        struct dt d;
        if (!parse_datetime(s, len, &d))
            return T_TEXT;
        return T_TEXT | INFER_BIT(INFER_TIMESTAMP) | (d.has_time ? 0 : INFER_BIT(INFER_DATE));
    }
    return classify_number(s, len);
}

enum infer_type infer_pick(unsigned mask)
{
    unsigned typed = mask & ~T_TEXT & INFER_ANY;
    if (typed == 0 || typed == (INFER_ANY & ~T_TEXT))
        return INFER_TEXT;
    for (int t = 0; t < INFER_TEXT; t++)
        if (typed & INFER_BIT(t))
            return (enum infer_type)t;
    return INFER_TEXT;
}

bool infer_fits(enum infer_type t, const char *s, size_t len)
{
    return t == INFER_TEXT || (infer_classify(s, len) & INFER_BIT(t));
}

const char *infer_sql_name(enum infer_type t)
{
    static const char *const names[] = {"bool", "int4", "int8", "numeric",
                                        "date", "timestamp", "text"};
    return (unsigned)t < INFER_NTYPES ? names[t] : "text";
}

/* --- COPY binary forms ----------------------------------------------------------------------- */

static char *bin_put_be(char *out, uint64_t v, int bytes)
{
    for (int k = bytes - 1; k >= 0; k--, v >>= 8)
        out[k] = (char)(v & 0xFF);
    return out + bytes;
}

/* PostgreSQL's date2j: Julian day number of a Gregorian date. */
static int64_t julian_day(int y, int m, int d)
{
    if (m > 2) {
        m += 1;
        y += 4800;
    } else {
        m += 13;
        y += 4799;
    }
    int64_t century = y / 100;
    return (int64_t)y * 365 - 32167 + y / 4 - century + century / 4 + 7834 * m / 256 + d;
}

/* Days since 2000-01-01 (PostgreSQL's epoch; 2451545 is its Julian day). */
static int64_t pg_days(const struct dt *d)
{
    return julian_day(d->y, d->mo, d->d) - 2451545;
}

static size_t bin_datetime(enum infer_type t, const char *s, size_t len, char *out)
{
    struct dt d;
    if (!parse_datetime(s, len, &d) || (t == INFER_DATE && d.has_time))
        return 0;
    if (t == INFER_DATE)
        return (size_t)(bin_put_be(out, (uint64_t)pg_days(&d), 4) - out);
    int64_t us = 0;
    for (int k = 0; k < 6; k++)
        us = us * 10 + (k < d.frac_len ? d.frac[k] - '0' : 0);
    us += ((pg_days(&d) * 24 + d.h) * 60 + d.mi) * 60 * 1000000LL + d.s * 1000000LL;
    return (size_t)(bin_put_be(out, (uint64_t)us, 8) - out);
}

static size_t bin_integer(enum infer_type t, const char *s, size_t len, char *out)
{
    bool neg = s[0] == '-';
    uint64_t v = 0;
    for (size_t i = neg || s[0] == '+'; i < len; i++)
        v = v * 10 + (uint64_t)(s[i] - '0');
    if (neg)
        v = (uint64_t)0 - v;
    return (size_t)(bin_put_be(out, v, t == INFER_INT4 ? 4 : 8) - out);
}

/* numeric: int16 ndigits, weight, sign, dscale, then base-10000 digits, grouped from the
 * decimal point outwards (leading and trailing zero groups are dropped by the server). */
static size_t bin_numeric(const char *s, size_t len, char *out)
{
    size_t sign = s[0] == '-' || s[0] == '+';
    /* a zero is never negative (PostgreSQL reads "-0.00" as 0.00) */
    bool neg = s[0] == '-' && strspn(s + 1, "0.") != len - 1;
    const char *ip = s + sign, *dot = memchr(ip, '.', len - sign);
    size_t il = dot ? (size_t)(dot - ip) : len - sign, fl = dot ? len - sign - il - 1 : 0;
    size_t ig = (il + 3) / 4, fg = (fl + 3) / 4;
    char *p = bin_put_be(out, ig + fg, 2);
    p = bin_put_be(p, (uint64_t)(ig - 1) & 0xFFFF, 2);
    p = bin_put_be(p, neg ? 0x4000 : 0, 2);
    p = bin_put_be(p, fl, 2);
    /* Integer digits: the first group takes il % 4 digits (4 when il is a multiple of 4). */
    for (size_t g = 0, i = 0; g < ig; g++) {
        size_t n = g == 0 && il % 4 ? il % 4 : 4;
        unsigned v = 0;
        for (size_t k = 0; k < n; k++)
            v = v * 10 + (unsigned)(ip[i++] - '0');
        p = bin_put_be(p, v, 2);
    }
    for (size_t g = 0; g < fg; g++) {
        unsigned v = 0;
        for (size_t k = 0; k < 4; k++) {
            size_t i = 4 * g + k;
            v = v * 10 + (i < fl ? (unsigned)(dot[1 + i] - '0') : 0);
        }
        p = bin_put_be(p, v, 2);
    }
    return (size_t)(p - out);
}

size_t infer_binary(enum infer_type t, const char *s, size_t len, char *out)
{
    if (len == 0)
        return 0;
    switch (t) {
    case INFER_BOOL:
        out[0] = (s[0] == 't' || s[0] == 'T');
        return 1;
    case INFER_INT4:
    case INFER_INT8:
        return bin_integer(t, s, len, out);
    case INFER_NUMERIC:
        return bin_numeric(s, len, out);
    case INFER_DATE:
    case INFER_TIMESTAMP:
        return bin_datetime(t, s, len, out);
    default:
        memcpy(out, s, len);
        return len;
    }
}
