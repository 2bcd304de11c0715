/* Unit tests for server/core/util.c: the XXH64 hash (vectors from the reference libxxhash) and
 * If-None-Match list matching. */
#include "../../server/core/util.c"
#include "testh.h"

#include <stdlib.h>

static void test_hash(void)
{
    static const struct { const char *text; unsigned long long want; } cases[] = {
        {"", 0xef46db3751d8e999ULL},
        {"a", 0xd24ec4f1a98c6e5bULL},
        {"abc", 0x44bc2cf5ad770999ULL},
        {"{\"help\":\"x\",\"success\":true}", 0xe89ebe006684a075ULL}, /* 27: 8s, 4, 1s */
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        T_CHECK(util_hash64(cases[i].text, strlen(cases[i].text)) == cases[i].want,
                "XXH64(\"%s\") = %016llx", cases[i].text,
                (unsigned long long)util_hash64(cases[i].text, strlen(cases[i].text)));
    /* 771 bytes: the 32-byte stripes, then every tail step */
    unsigned char *b = xmalloc(771);
    for (int i = 0; i < 768; i++)
        b[i] = (unsigned char)(i % 256);
    memcpy(b + 768, "xyz", 3);
    T_CHECK(util_hash64(b, 771) == 0xe921a1b45bd779f8ULL, "XXH64 of 771 bytes");
    free(b);
    /* 180 bytes of UTF-8 (臺北市 twenty times) */
    char *s = xmalloc(181);
    s[0] = '\0';
    for (int i = 0; i < 20; i++)
        strcat(s, "臺北市");
    T_CHECK(util_hash64(s, strlen(s)) == 0x271fcd85af88e8baULL, "XXH64 of UTF-8 text");
    free(s);
}

static void test_etag_listed(void)
{
    static const struct { const char *list; bool want; } cases[] = {
        {"\"abc\"", true},
        {"W/\"abc\"", true},
        {"\"x\", \"abc\"", true},
        {" \"x\" ,\t\"abc\"\t", true},
        {"*", true},
        {"\"abcd\"", false},
        {"\"ab\"", false},
        {"abc", false},
        {"", false},
        {"\"x\", W/\"y\"", false},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        T_CHECK(util_etag_listed(cases[i].list, "\"abc\"") == cases[i].want,
                "If-None-Match: %s", cases[i].list);
}

static void test_utf8(void)
{
    static const struct {
        const char *s;
        size_t prefix;
    } cases[] = {
        {"abc", 3}, {"\xe4\xb8\x80x", 4}, {"a\xff", 1}, {"a\xe4\xb8", 1},
        {"\xf4\x8f\xbf\xbf", 4}, {"\xf4\x90\x80\x80", 0}, {"x\xed\xa0\x80", 1},
        {"\xc0\xaf", 0}, {"\xe0\x80\xaf", 0}, {"", 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        size_t len = strlen(cases[i].s), got = util_utf8_prefix(cases[i].s, len);
        T_CHECK(got == cases[i].prefix, "prefix %zu: %zu, want %zu", i, got, cases[i].prefix);
        T_CHECK(util_utf8_valid(cases[i].s, len) == (cases[i].prefix == len), "valid %zu", i);
    }
}

int main(void)
{
    test_hash();
    test_utf8();
    test_etag_listed();
    T_DONE();
}
