/* Unit tests for server/core/util.c: the XXH64 hash (vectors from the reference libxxhash),
 * If-None-Match list matching and the order in which shipped folders are looked up. */
#include "../../server/core/util.c"
#include "testh.h"

#include <stdlib.h>
#include <sys/stat.h>

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

/* A folder made under the test's temporary root. */
static void mk(const char *root, const char *sub)
{
    char *cmd = xasprintf("mkdir -p '%s/%s'", root, sub);
    T_CHECK(system(cmd) == 0, "%s", cmd);
    free(cmd);
}

static void check_dir(const char *root, const char *sub, const char *want_rel, const char *what)
{
    char *got = share_dir_at(root, sub);
    char *want = want_rel[0] == '/' ? xstrdup(want_rel) : xasprintf("%s/%s", root, want_rel);
    T_STREQ(got, want, what);
    free(got);
    free(want);
}

/* util_share_dir's order: an install's share/opendatad, then a checkout's folder beside bin/,
 * then the compiled-in default; var/ folders never from share/. */
static void test_share_dir(void)
{
    char tmpl[] = "/tmp/opendata-share-XXXXXX";
    char *root = mkdtemp(tmpl);
    T_CHECK(root != NULL, "mkdtemp");
    if (!root)
        return;
    check_dir(root, "sql", OPENDATAD_DATADIR "/sql", "nothing there: the compiled-in default");
    check_dir(NULL, "sql", OPENDATAD_DATADIR "/sql", "program folder unknown");
    check_dir(root, "var/uploads", "var/uploads", "build tree: var/ beside bin/");
    mk(root, "sql");
    check_dir(root, "sql", "sql", "checkout: sql/ beside bin/");
    check_dir(root, "web", OPENDATAD_DATADIR "/web", "a folder the checkout lacks");
    mk(root, "share/opendatad/sql");
    check_dir(root, "sql", "share/opendatad/sql", "install: share/opendatad/sql first");
    check_dir(root, "schemas", OPENDATAD_DATADIR "/schemas", "install lacking it: the default");
    check_dir(root, "var/uploads", OPENDATAD_STATEDIR "/uploads", "install: the state folder");
    check_dir(root, "var/cache/dumps", OPENDATAD_STATEDIR "/cache/dumps", "install: dumps");
    check_dir(NULL, "var/uploads", OPENDATAD_STATEDIR "/uploads", "unknown: the state folder");

    setenv("OPENDATA_TEST_DIR", "/somewhere/else", 1);
    char *got = util_share_dir("OPENDATA_TEST_DIR", "sql");
    T_STREQ(got, "/somewhere/else", "the environment variable first");
    free(got);
    setenv("OPENDATA_TEST_DIR", "", 1);
    got = util_share_dir("OPENDATA_TEST_DIR", "bin");
    /* this program runs from a bin/ folder (of the checkout or build/san/): root/bin exists */
    T_CHECK(got && strlen(got) > 4 && strcmp(got + strlen(got) - 4, "/bin") == 0 &&
                strncmp(got, OPENDATAD_DATADIR, strlen(OPENDATAD_DATADIR)) != 0,
            "empty variable: looked up from the program (%s)", got ? got : "(null)");
    free(got);

    char *cmd = xasprintf("rm -rf '%s'", root);
    T_CHECK(system(cmd) == 0, "%s", cmd);
    free(cmd);
}

int main(void)
{
    test_hash();
    test_utf8();
    test_etag_listed();
    test_share_dir();
    T_DONE();
}
