/* json_span — where one member of a JSON object lies in its text, found without building any
 * object: so that a big member (datastore_upsert's records) can go to PostgreSQL as the client
 * sent it, parsed once there, instead of being parsed by json-c, written out again and parsed
 * by PostgreSQL. Unit-tested in tests/unit/test_json_span.c, fuzzed by tests/fuzz/fuzz_json_span.c
 * (against json-c). */
#ifndef JSON_SPAN_H
#define JSON_SPAN_H
#include <stdbool.h>
#include <stddef.h>

/* True when text[0..len) is one JSON object (RFC 8259, white space around it) at most depth
 * levels deep whose top-level members name key exactly once, spelled without escapes, and
 * whose every string and number is of the plain kind json-c and PostgreSQL read to the same
 * value: strings without control characters, "\u0000" or surrogate escapes; integers of at
 * most 18 digits but "-0"; other numbers of at most 100 digits with exponents of at most two.
 * Then [*start, *end) is the member's value. False says nothing more: the caller parses the text
 * the usual way, which answers its errors. Bytes from 0x80 up are not checked (the caller checks
 * the text is UTF-8). */
bool json_span_member(const char *text, size_t len, const char *key, int depth, size_t *start,
                      size_t *end);

/* The scanners json_span_member uses, for other readers of JSON text (ds_rows.c). */

/* One string at text[*i] (its opening quote) of the plain kind above: no control characters,
 * no "\u0000" or surrogate escapes. Then *i is just past its closing quote and *escaped says
 * whether it holds a backslash. False says nothing more. */
bool json_span_string(const char *text, size_t len, size_t *i, bool *escaped);

/* The UTF-8 bytes that the contents s[0..n) (between the quotes) of a string json_span_string
 * accepted stand for, written to out, which has room for n bytes (unescaping never
 * lengthens). Returns how many it wrote. */
size_t json_span_unescape(const char *s, size_t n, char *out);

/* The parts of a number json_span_number read. A part that is absent has no digits. */
struct json_span_num {
    size_t nint, nfrac, nexp; /* digits in its integer part, fraction and exponent */
    bool minus;               /* it starts with '-' */
    bool zero;                /* its integer and fraction digits are all 0 */
};

/* One number at text[*i] as RFC 8259 writes it, of any length. Then *i is just past it and *num
 * holds its parts. False says nothing more. */
bool json_span_number(const char *text, size_t len, size_t *i, struct json_span_num *num);

#endif
