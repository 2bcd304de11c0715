/* libFuzzer target for server/core/json_span.c (the records of a DataStore write handed to
 * PostgreSQL unparsed). The input is the body. Whenever json_span vouches for a text, json-c
 * (as the server's valid_json reads bodies) must accept it, find the member's value equal to the
 * span read alone (a string's unescaped bytes too), and read the text with "null" in the
 * span's place. (The caller checks the text is UTF-8 without NUL, as ckan_params.c does.) */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_span.h"
#include "util.h"

/* text[len] must be readable: json-c needs the byte after a bare number to end it. */
static json_object *jc(const char *text, size_t len, int *ok)
{
    json_tokener *tok = json_tokener_new_ex(32);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    *ok = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *t = malloc(size + 1);
    if (!t)
        abort();
    memcpy(t, data, size);
    t[size] = '\0';
    size_t a = 0, b = 0;
    if (!memchr(t, '\0', size) && util_utf8_valid(t, size) &&
        json_span_member(t, size, "records", 30, &a, &b)) {
        if (!(a < b && b <= size))
            abort();
        int ok1, ok2, ok3;
        char *span = strndup(t + a, b - a);
        if (!span)
            abort();
        json_object *whole = jc(t, size + 1, &ok1), *member = jc(span, b - a + 1, &ok2), *v;
        free(span);
        if (!ok1 || !ok2 || !json_object_object_get_ex(whole, "records", &v) ||
            !json_object_equal(v, member))
            abort();
        if (t[a] == '"') { /* a string: unescaped as json-c reads it */
            size_t i = a;
            bool escaped;
            char *out = malloc(b - a);
            if (!out || !json_span_string(t, size, &i, &escaped) || i != b)
                abort();
            size_t m = json_span_unescape(t + a + 1, b - a - 2, out);
            if (m != (size_t)json_object_get_string_len(v) ||
                memcmp(out, json_object_get_string(v), m) != 0 ||
                escaped != (memchr(t + a, '\\', b - a) != NULL))
                abort();
            free(out);
        }
        char *rest = malloc(size + 5);
        if (!rest)
            abort();
        memcpy(rest, t, a);
        memcpy(rest + a, "null", 4);
        memcpy(rest + a + 4, t + b, size - b);
        rest[a + 4 + size - b] = '\0';
        json_object *r = jc(rest, a + 4 + size - b + 1, &ok3);
        if (!ok3 || !json_object_is_type(r, json_type_object))
            abort();
        json_object_put(r);
        free(rest);
        json_object_put(whole);
        json_object_put(member);
    }
    free(t);
    return 0;
}
