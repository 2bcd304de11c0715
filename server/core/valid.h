/* valid — strict parsers for values arriving in URLs, request bodies and imported records:
 * unsigned integers (the Taiwan API's limit/offset rules), the date/time forms of the Taiwan
 * metadata standard, and JSON texts. */
#ifndef VALID_H
#define VALID_H
#include "util.h"
#include <stdbool.h>
#include <stddef.h>

/* Digits only (no sign, space, decimal point or separator), at most max. */
bool valid_uint(const char *s, long long max, long long *out) MUSTCHECK;

/* A coordinate in decimal degrees: optional sign, 1-3 digits, optional '.' and 1-20 digits (no
 * exponent, space, "inf" or "nan"), at most limit either way (90 for a latitude, 180 for a
 * longitude). */
bool valid_degrees(const char *s, double limit, double *out) MUSTCHECK;

/* A Taiwan date/time: "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS", or RFC 3339
 * "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)". The date must exist (Gregorian leap years),
 * with a year in year_min..year_max; 24:00:00 and leap seconds are refused; the offset at most
 * 15:59 either way (PostgreSQL's limit). */
struct valid_datetime {
    char text[40];      /* normalized: "YYYY-MM-DD HH:MM:SS" plus "+HH:MM" when has_offset */
    bool has_offset;    /* false: a local (portal) time */
};
bool valid_datetime_in(const char *s, int year_min, int year_max,
                       struct valid_datetime *out) MUSTCHECK;

/* Years a date declared in a metadata record may have: a plausibility rule that catches typos
 * such as 3872 (valid_datetime). A query's date is any year PostgreSQL can compare:
 * VALID_YEAR_ANY_* (there is no year 0). */
#define VALID_YEAR_DECLARED_MIN 1000
#define VALID_YEAR_DECLARED_MAX 2200
#define VALID_YEAR_ANY_MIN 1
#define VALID_YEAR_ANY_MAX 9999
bool valid_datetime(const char *s, struct valid_datetime *out) MUSTCHECK;

/* Parse len bytes of text (text[len] must be '\0') as one whole JSON text: valid UTF-8, no NUL
 * byte and no "\u0000" in a string (C strings and PostgreSQL text cannot hold one), at most
 * depth levels deep, only white space after it. *out (the caller's; NULL for a JSON null) on
 * success; false with *why (static text) otherwise. */
struct json_object;
bool valid_json(const char *text, size_t len, int depth, struct json_object **out,
                const char **why) MUSTCHECK;

/* Nesting of JSON a client sends (json-c's default). */
#define VALID_JSON_DEPTH 32

/* Parse text as a JSON object whose values are scalars, or with lists_ok also arrays of
 * scalars (datastore filters, dict q); NULL when it is anything else (or not valid_json). The
 * caller owns it. */
struct json_object *valid_json_scalars(const char *text, bool lists_ok) MUSTCHECK;

#endif
