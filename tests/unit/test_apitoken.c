/* Unit tests for server/core/apitoken.c: 43 base64url characters, different every time. */
#include <stdlib.h>
#include <string.h>

#include "../../server/core/apitoken.c"
#include "../../server/core/util.c"
#include "testh.h"

int main(void)
{
    char *a = apitok_new(), *b = apitok_new();
    T_CHECK(a && b, "tokens made");
    if (a && b) {
        T_CHECK(strlen(a) == APITOKEN_LEN && strlen(b) == APITOKEN_LEN, "43 characters");
        T_CHECK(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
                    APITOKEN_LEN, "base64url alphabet only");
        T_CHECK(strcmp(a, b) != 0, "two tokens differ");
    }
    free(a);
    free(b);
    T_DONE();
}
