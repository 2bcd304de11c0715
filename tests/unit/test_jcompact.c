/* Unit tests for server/core/jcompact.c: whitespace outside strings goes, strings stay byte for
 * byte; what json-c reads from the copy equals what it reads from the original. */
#include <json-c/json.h>
#include <stdlib.h>

#include "../../server/core/jcompact.c"
#include "testh.h"

static const struct {
    const char *in, *want;
} cases[] = {
    {"{\"a\" : 1, \"b\": [1, 2,\n 3]}", "{\"a\":1,\"b\":[1,2,3]}"},
    {"  {\"k\"\t:\r\n\"v w\" }  ", "{\"k\":\"v w\"}"},
    {"[\"a \\\" b\", \"c\\\\\", \" d \"]", "[\"a \\\" b\",\"c\\\\\",\" d \"]"},
    {"{\"站名\" : \"美濃 區\"}", "{\"站名\":\"美濃 區\"}"},
    {"[{\"f1\":1}, \n {\"f1\":2}]", "[{\"f1\":1},{\"f1\":2}]"},
    {"\"\\\\\" , \" \"", "\"\\\\\",\" \""},      /* an escaped backslash ends at the quote */
    {"\"\\u0022 x\"", "\"\\u0022 x\""},
    {"", ""},
    {"\"open string  ", "\"open string  "},    /* copied to the end */
    {"\"ends in a backslash\\", "\"ends in a backslash\\"},
};

int main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *in = cases[i].in;
        size_t len = strlen(in);
        char *out = malloc(len + 1);
        size_t n = jcompact_copy(out, in, len);
        out[n] = '\0';
        T_CHECK(n <= len, "case %zu: longer", i);
        T_STREQ(out, cases[i].want, in);
        json_object *a = json_tokener_parse(in), *b = json_tokener_parse(out);
        T_CHECK((a == NULL) == (b == NULL) && (!a || json_object_equal(a, b)),
                "case %zu: json-c reads the copy otherwise", i);
        json_object_put(a);
        json_object_put(b);
        free(out);
    }
    T_DONE();
}
