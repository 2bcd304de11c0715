/* Unit tests for server/legacy/legacy_munge.c (CKAN's munge_name, munge_title_to_name and
 * munge_tag). */
#include "../../server/core/util.c"
#include "../../server/legacy/legacy_munge.c"
#include "testh.h"

static void check(char *(*f)(const char *), const char *name, const char *in, const char *want)
{
    char *got = f(in);
    T_CHECK(strcmp(got, want) == 0, "%s(%s): %s, want %s", name, in, got, want);
    free(got);
}

int main(void)
{
    static const char *const name_cases[][2] = {
        {"Hello World", "hello-world"}, {"a.b:c/d", "a-b-c-d"}, {"Caf\xc3\xa9 Cr\xc3\xa8me", "cafe-creme"},
        {"x", "x_"}, {"", "__"}, {"under_score!", "under_score"}, {"\xe6\xb0\xb4 water", "-water"},
        {"--A--", "--a--"}, {"\xc3\x86sir", "aesir"},
    };
    for (size_t i = 0; i < ARRAY_LEN(name_cases); i++)
        check(legacy_munge_name, "munge_name", name_cases[i][0], name_cases[i][1]);
    char long_in[160];
    memset(long_in, 'a', 150);
    long_in[150] = '\0';
    char *got = legacy_munge_name(long_in);
    T_CHECK(strlen(got) == 100, "munge_name cuts to 100: %zu", strlen(got));
    free(got);

    static const char *const title_cases[][2] = {
        {"Hello  World", "hello-world"}, {" -Leading and trailing- ", "leading-and-trailing"},
        {"A.B: c/d", "a-b-c-d"}, {"Caf\xc3\xa9", "cafe"}, {"!", "__"}, {"x", "x_"},
        {"Water -- quality", "water-quality"},
    };
    for (size_t i = 0; i < ARRAY_LEN(title_cases); i++)
        check(legacy_munge_title_to_name, "munge_title_to_name", title_cases[i][0],
              title_cases[i][1]);
    /* longer than 95: cut, keeping a trailing year */
    char t[200];
    memset(t, 'b', 120);
    strcpy(t + 120, " 2010-2011");
    got = legacy_munge_title_to_name(t);
    T_CHECK(strlen(got) == 95 && strcmp(got + 86, "2010-2011") == 0 && got[85] == '-',
            "year kept: %s", got);
    free(got);
    memset(t, 'c', 120);
    strcpy(t + 120, " 12345");
    got = legacy_munge_title_to_name(t);
    T_CHECK(strlen(got) == 95 && got[94] == 'c', "no year: %s", got);
    free(got);
    memset(t, 'd', 120);
    strcpy(t + 120, "_1999");
    got = legacy_munge_title_to_name(t);
    T_CHECK(strlen(got) == 95 && strcmp(got + 90, "-1999") == 0, "one year: %s", got);
    free(got);

    static const char *const tag_cases[][2] = {
        {"  Road Safety ", "road-safety"}, {"a_b!c", "abc"}, {"x", "x_"}, {"", "__"},
        {"\xc3\xbc" "ber-cool", "uber-cool"}, {"A.B", "ab"},
    };
    for (size_t i = 0; i < ARRAY_LEN(tag_cases); i++)
        check(legacy_munge_tag, "munge_tag", tag_cases[i][0], tag_cases[i][1]);
    T_DONE();
}
