/* libFuzzer driver for the legacy search options (server/legacy/legacy_query.c) and the util
 * munging (legacy_munge.c): any text as a JSON object of options, a since_time, and a name,
 * title or tag to munge. Checks: a translation either refuses with a message or gives a request
 * whose rows and start are decimal naturals within the cap, fq the public filter, and a fl; a
 * munged name is 2..100 characters of [a-z0-9_-]. Byte 0 picks the API version. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "legacy_munge.h"
#include "legacy_query.h"

#define FAIL(...)                                                                            \
    do {                                                                                     \
        fprintf(stderr, "fuzz_legacy_query: " __VA_ARGS__);                                  \
        fputc('\n', stderr);                                                                 \
        abort();                                                                             \
    } while (0)

static const char *get(json_object *in, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(in, key, &v) ? json_object_get_string(v) : NULL;
}

static void check_num(json_object *in, const char *key, long long max)
{
    const char *s = get(in, key);
    if (!s || !*s || strspn(s, "0123456789") != strlen(s) || atoll(s) > max)
        FAIL("%s is %s", key, s ? s : "(none)");
}

static void check_munged(char *m, const char *what)
{
    size_t n = strlen(m);
    if (n < 2 || n > 100 || strspn(m, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n)
        FAIL("%s gave %s", what, m);
    free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int ver = data[0] & 1 ? 2 : 1;
    char *s = malloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    (void)legacy_iso_time_ok(s);
    check_munged(legacy_munge_name(s), "munge_name");
    check_munged(legacy_munge_title_to_name(s), "munge_title_to_name");
    check_munged(legacy_munge_tag(s), "munge_tag");
    json_object *p = json_tokener_parse(s);
    if (json_object_is_type(p, json_type_object)) {
        struct legacy_search ls;
        char *err = NULL;
        if (legacy_search_translate(p, ver, &ls, &err)) {
            if (err)
                FAIL("accepted with a message");
            check_num(ls.in, "rows", LEGACY_ROWS_MAX);
            check_num(ls.in, "start", INT64_MAX);
            const char *fq = get(ls.in, "fq"), *fl = get(ls.in, "fl");
            if (!fq || strcmp(fq, "+capacity:public") != 0 || !fl || !*fl)
                FAIL("fq %s fl %s", fq ? fq : "-", fl ? fl : "-");
            if (ls.all_fields && strcmp(fl, "id") != 0)
                FAIL("all_fields with fl %s", fl);
            json_object_put(ls.in);
        } else if (!err || !*err) {
            FAIL("refused without a message");
        }
        free(err);
    }
    json_object_put(p);
    free(s);
    return 0;
}
