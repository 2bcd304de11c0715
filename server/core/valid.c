/* valid — strict parsers for limit/offset-style integers and Taiwan date/time values. */
#include "valid.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

bool valid_uint(const char *s, long long max, long long *out)
{
    if (!s || !*s)
        return false;
    long long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        int d = *p - '0';
        if (d > max || v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool valid_degrees(const char *s, double limit, double *out)
{
    if (!s)
        return false;
    const char *p = s + (*s == '+' || *s == '-');
    size_t whole = strspn(p, "0123456789"), frac = 0;
    if (whole < 1 || whole > 3)
        return false;
    if (p[whole] == '.') {
        frac = strspn(p + whole + 1, "0123456789");
        if (frac < 1 || frac > 20)
            return false;
        frac++;
    }
    if (p[whole + frac] != '\0')
        return false;
    double v = strtod(s, NULL);
    if (v > limit || v < -limit)
        return false;
    *out = v;
    return true;
}

/* Read exactly n digits at *p, advancing it. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static bool parse_date(const char **p, int ymin, int ymax, int *y, int *m, int *d)
{
    if (!digits(p, 4, y) || !expect(p, '-') || !digits(p, 2, m) || !expect(p, '-') ||
        !digits(p, 2, d))
        return false;
    return *y >= ymin && *y <= ymax && *m >= 1 && *m <= 12 && *d >= 1 &&
           *d <= days_in_month(*y, *m);
}

static bool parse_time(const char **p, int *h, int *mi, int *s)
{
    if (!digits(p, 2, h) || !expect(p, ':') || !digits(p, 2, mi) || !expect(p, ':') ||
        !digits(p, 2, s))
        return false;
    return *h <= 23 && *mi <= 59 && *s <= 59;
}

/* The largest UTC offset hour PostgreSQL takes (RFC 3339 allows up to 23; no time zone is
 * beyond 14). */
#define OFFSET_HOUR_MAX 15

/* RFC 3339 tail after the seconds: optional fraction, then Z or +HH:MM / -HH:MM. */
static bool parse_offset(const char **p, char *sign, int *oh, int *om)
{
    if (**p == '.') {
        (*p)++;
        if (**p < '0' || **p > '9')
            return false;
        while (**p >= '0' && **p <= '9')
            (*p)++;
    }
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        *sign = '+', *oh = 0, *om = 0;
        return true;
    }
    char c = **p == ' ' ? '+' : **p; /* an unencoded '+' in a query string arrives as a space */
    if (c != '+' && c != '-')
        return false;
    *sign = c;
    (*p)++;
    return digits(p, 2, oh) && expect(p, ':') && digits(p, 2, om) && *oh <= OFFSET_HOUR_MAX &&
           *om <= 59;
}

bool valid_datetime_in(const char *s, int year_min, int year_max, struct valid_datetime *out)
{
    int y, m, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
    char sign = 0;
    const char *p = s;
    if (!s || !parse_date(&p, year_min, year_max, &y, &m, &d))
        return false;
    if (*p == ' ' || *p == 'T' || *p == 't') {
        bool rfc = *p != ' ';
        p++;
        if (!parse_time(&p, &h, &mi, &sec))
            return false;
        if (rfc && !parse_offset(&p, &sign, &oh, &om))
            return false;
    }
    if (*p != '\0')
        return false;
    out->has_offset = sign != 0;
    int n = snprintf(out->text, sizeof(out->text), "%04d-%02d-%02d %02d:%02d:%02d", y, m, d, h,
                     mi, sec);
    if (sign)
        snprintf(out->text + n, sizeof(out->text) - (size_t)n, "%c%02d:%02d", sign, oh, om);
    return true;
}

bool valid_datetime(const char *s, struct valid_datetime *out)
{
    return valid_datetime_in(s, VALID_YEAR_DECLARED_MIN, VALID_YEAR_DECLARED_MAX, out);
}

static bool scalar_value(json_object *v, bool lists_ok)
{
    if (json_object_is_type(v, json_type_object))
        return false;
    if (!json_object_is_type(v, json_type_array))
        return true;
    if (!lists_ok)
        return false;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        json_type t = json_object_get_type(json_object_array_get_idx(v, i));
        if (t == json_type_object || t == json_type_array)
            return false;
    }
    return true;
}

/* True when no string in o holds a NUL: json-c keeps one from "\u0000". (Keys are C strings
 * already: a NUL in one ended it.) */
static bool no_nul(json_object *o)
{
    if (json_object_is_type(o, json_type_string))
        return strlen(json_object_get_string(o)) == (size_t)json_object_get_string_len(o);
    if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++)
            if (!no_nul(json_object_array_get_idx(o, i)))
                return false;
    } else if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, key, val)
        {
            (void)key;
            if (!no_nul(val))
                return false;
        }
    }
    return true;
}

bool valid_json(const char *text, size_t len, int depth, json_object **out, const char **why)
{
    *out = NULL;
    if (memchr(text, '\0', len)) {
        *why = "NUL byte in the JSON text";
        return false;
    }
    /* json-c's own check lets code points past U+10FFFF, surrogates and overlong forms by */
    if (!util_utf8_valid(text, len)) {
        *why = "invalid UTF-8";
        return false;
    }
    json_tokener *tok = json_tokener_new_ex(depth);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    /* len + 1 takes the terminating NUL, which ends a bare top-level number */
    json_object *o = json_tokener_parse_ex(tok, text, (int)(len + 1));
    enum json_tokener_error e = json_tokener_get_error(tok);
    json_tokener_free(tok);
    *why = e != json_tokener_success ? json_tokener_error_desc(e)
                                     : "NUL character (\\u0000) in a string";
    if (e != json_tokener_success || !no_nul(o)) {
        json_object_put(o);
        return false;
    }
    *out = o;
    return true;
}

json_object *valid_json_scalars(const char *text, bool lists_ok)
{
    json_object *o;
    const char *why;
    bool ok = valid_json(text, strlen(text), VALID_JSON_DEPTH, &o, &why) &&
              json_object_is_type(o, json_type_object);
    if (ok) {
        json_object_object_foreach(o, key, val)
        {
            (void)key;
            ok = ok && scalar_value(val, lists_ok);
        }
    }
    if (!ok) {
        json_object_put(o);
        return NULL;
    }
    return o;
}
