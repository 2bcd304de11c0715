/* Unit tests for server/ckan/ckan_auth.c: which header value is the token, and its stored hash. */
#include "../../server/ckan/ckan_auth.c"
#include "testh.h"

/* The request plumbing ckan_auth.c calls is not exercised here. */
void dbp_register(struct db_stmt *st) { (void)st; }
int req_db(struct req *r, const struct db_stmt *st, const char *const *params,
           void (*done)(struct req *r, PGresult *res))
{
    (void)r, (void)st, (void)params, (void)done;
    return REQ_DONE;
}
const char *req_query_get(const struct req *r, const char *key, int *count)
{
    (void)r, (void)key, (void)count;
    return NULL;
}
void *arena_alloc(struct arena *a, size_t n) { (void)a, (void)n; return NULL; }
char *arena_strdup(struct arena *a, const char *s) { (void)a; return (char *)s; }

static void test_token(void)
{
    static const struct { const char *auth, *key, *want; } cases[] = {
        {"abc", NULL, "abc"},
        {"Bearer abc", NULL, "abc"},
        {"bearer   abc", NULL, "abc"},
        {"  abc", NULL, "abc"},
        {"BEARER abc", "other", "abc"},     /* Authorization wins */
        {NULL, "abc", "abc"},
        {"", "abc", "abc"},
        {"   ", "abc", "abc"},
        {"Bearer ", "abc", "abc"},          /* nothing after the prefix: no token there */
        {"Bearer", NULL, "Bearer"},         /* no space: the value itself (unknown → anonymous) */
        {NULL, NULL, NULL},
        {"", "", NULL},
        {" \t", " ", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = ckan_auth_token(cases[i].auth, cases[i].key);
        if (!cases[i].want)
            T_CHECK(got == NULL, "case %zu: got \"%s\", want none", i, got ? got : "");
        else
            T_STREQ(got, cases[i].want, "token");
    }
}

static void test_hash(void)
{
    char buf[67];
    const char *out = buf;
    /* sha256("abc"), the FIPS 180-2 example; PostgreSQL's sha256() gives the same bytes */
    ckan_auth_hash_text("abc", buf);
    T_STREQ(out, "\\xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256");
    ckan_auth_hash_text("", buf);
    T_STREQ(out, "\\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty");
    T_CHECK(strlen(out) == 66, "length %zu", strlen(out));
}

int main(void)
{
    test_token();
    test_hash();
    T_DONE();
}
