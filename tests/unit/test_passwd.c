/* Unit tests for server/core/passwd.c: yescrypt hashes made and verified, CKAN's passlib
 * pbkdf2_sha512 hashes verified against known vectors (passlib's own test vector, and ones
 * computed with Python's hashlib.pbkdf2_hmac and passlib's adapted base64), other forms refused. */
#include <stdlib.h>

#include "../../server/core/passwd.c"
#include "../../server/core/util.c"
#include "testh.h"

static const struct {
    const char *password, *hash;
} pbkdf2[] = {
    /* passlib's test suite (test_handlers_pbkdf2.py) */
    {"password", "$pbkdf2-sha512$1212$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshv"
                 "hrSX.esqY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww"},
    /* CKAN's rounds (25000), a 16-byte salt */
    {"correct horse", "$pbkdf2-sha512$25000$AAECAwQFBgcICQoLDA0ODw$no0pQATH8VKOEmBWJw50YZrk2tmzRj9Ae"
                      "6xEw1vLLehsKeOPWOMVonpc79bKsUZLnXvPrnJcFkEt9hwlEgxdKw"},
    {"", "$pbkdf2-sha512$1$/////////////////////w$VQmqu0XVftWrV5BcSxoJJHICDqZQgokLUXriOYQ3vfuYHq3"
         "C8Qdfe5SCT2sBFqEs4h8X6yPTapwEFrweACTsYQ"},
    {"密碼 pass", "$pbkdf2-sha512$1000$c2FsdHlzYWx0$LW4isbBr5uHOh.3V2/cJJqqYPrqUqbVxQyKnGNBjzTRBcB"
                  "A/BeCSvbvgukqOHrkdO93Hyf9U.TYUN.87jgC63w"},
    {"x", "$pbkdf2-sha512$3$$Zny/IBLnhsNbARYMgmOq77olg3.5ze5zW/tY1J9vuwQ7CLOrCU6zRSbIi4ij/B15//GuUBZr"
          "//IGiD0u8l9wKQ"},
};

static void test_pbkdf2(void)
{
    for (size_t i = 0; i < ARRAY_LEN(pbkdf2); i++) {
        const char *pw = pbkdf2[i].password, *h = pbkdf2[i].hash;
        T_CHECK(pw_verify(pw, h), "vector %zu verifies", i);
        char *other = xasprintf("%s!", pw);
        T_CHECK(!pw_verify(other, h), "vector %zu: another password fails", i);
        free(other);
        T_CHECK(pw_needs_rehash(h), "vector %zu: pbkdf2 is to be replaced", i);
        /* one character of the checksum changed */
        char *bad = xstrdup(h);
        char *last = bad + strlen(bad) - 2;
        *last = *last == 'A' ? 'B' : 'A';
        T_CHECK(!pw_verify(pw, bad), "vector %zu: a changed checksum fails", i);
        free(bad);
    }
    const char *pw = "password";
    const char *malformed[] = {
        "$pbkdf2-sha512$1212$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshv", /* short sum */
        "$pbkdf2-sha512$1212$RHY0Fr3IDMSVO/RSZyb5ow",                                     /* no sum */
        "$pbkdf2-sha512$$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esqY3s"
        ".FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww",                                       /* no rounds */
        "$pbkdf2-sha512$01212$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.es"
        "qY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww",                                   /* leading 0 */
        "$pbkdf2-sha512$99999999999$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvh"
        "rSX.esqY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww",                             /* too many */
        "$pbkdf2-sha512$1212$RHY0Fr3IDMSVO+RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esq"
        "Y3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww",                                    /* '+' */
        "$pbkdf2-sha256$1212$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esq"
        "Y3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww",                                    /* sha256 */
    };
    for (size_t i = 0; i < ARRAY_LEN(malformed); i++)
        T_CHECK(!pw_verify(pw, malformed[i]), "malformed hash %zu refused", i);
}

static void test_ab64(void)
{
    unsigned char out[8];
    T_CHECK(ab64_decode("AAECAw", 6, out, sizeof(out)) == 4 && memcmp(out, "\0\1\2\3", 4) == 0,
            "ab64 decodes unpadded text");
    T_CHECK(ab64_decode("..//", 4, out, sizeof(out)) == 3 && out[0] == 0xfb && out[2] == 0xff,
            "'.' is 62, '/' is 63");
    T_CHECK(ab64_decode("A", 1, out, sizeof(out)) == -1, "one character is no byte");
    T_CHECK(ab64_decode("AAAAAAAAAAAAAAAA", 16, out, sizeof(out)) == -1, "longer than the room");
    T_CHECK(ab64_decode("AA=A", 4, out, sizeof(out)) == -1, "padding is not ab64");
}

static void test_yescrypt(void)
{
    /* made by Python's crypt module (libxcrypt) with this fixed setting */
    const char *known = "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$zwtVrjrUCmXcyLTs6oxLTQlzifSUkF8RHJ./tK5KU79";
    T_CHECK(pw_verify("correct horse", known), "a known yescrypt hash verifies");
    T_CHECK(!pw_verify("correct horsE", known), "another password fails");
    T_CHECK(!pw_needs_rehash(known), "yescrypt is current");

    const char *err = NULL;
    char *a = pw_hash("s3cret 密碼", &err), *b = pw_hash("s3cret 密碼", &err);
    T_CHECK(a && b, "hashes made: %s", err ? err : "ok");
    if (!a || !b)
        return;
    T_CHECK(strncmp(a, "$y$", 3) == 0 && strlen(a) > 40, "a yescrypt hash: %s", a);
    T_CHECK(strcmp(a, b) != 0, "each hash has its own salt");
    T_CHECK(!strstr(a, "s3cret"), "the password is not in the hash");
    T_CHECK(pw_verify("s3cret 密碼", a) && pw_verify("s3cret 密碼", b), "both verify");
    T_CHECK(!pw_verify("s3cret", a) && !pw_verify("", a), "others fail");
    char *cut = xstrndup(a, strlen(a) - 1);
    T_CHECK(!pw_verify("s3cret 密碼", cut), "a cut hash fails");
    free(cut);
    char *empty = pw_hash("", &err);
    T_CHECK(empty && pw_verify("", empty) && !pw_verify(" ", empty), "the empty password");
    free(empty);
    free(a);
    free(b);
}

static void test_other_forms(void)
{
    const char *forms[] = {"", "*", "!", "!$y$j9T$F5Jx5fExrKuPp53xLKQ..1$zwtVrjrUCmXcyLTs6oxLTQlzifSUkF8RHJ./tK5KU79",
                           "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", /* md5crypt of "password" */
                           "password", "$y$", "$y$j9T$", "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$"};
    for (size_t i = 0; i < ARRAY_LEN(forms); i++) {
        T_CHECK(!pw_verify("password", forms[i]) && !pw_verify("", forms[i]),
                "form %zu (%s) lets no password in", i, forms[i]);
        T_CHECK(pw_needs_rehash(forms[i]) == (strncmp(forms[i], "$y$", 3) != 0),
                "form %zu is to be replaced unless yescrypt", i);
    }
    T_CHECK(!pw_verify(NULL, "$y$x") && !pw_verify("x", NULL) && pw_needs_rehash(NULL),
            "NULL is no password and no hash");
}

int main(void)
{
    test_pbkdf2();
    test_ab64();
    test_yescrypt();
    test_other_forms();
    T_DONE();
}
