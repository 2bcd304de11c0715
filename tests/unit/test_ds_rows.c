/* Unit tests for server/datastore/ds_rows.c: which records it turns into lines (the plain kind:
 * every record the same keys in the same order, scalar values jsonb's ->> gives back as
 * written) and the lines and keys it gives. */
#include <stdlib.h>

#include "../../server/core/json_span.c"
#include "../../server/core/util.c"
#include "../../server/datastore/ds_rows.c"
#include "testh.h"

static const struct {
    const char *text;
    const char *keys; /* NULL: not the plain kind */
    const char *rows;
    size_t nrows;
} cases[] = {
    {"[{\"a\":1}]", "[\"a\"]", "\t1", 1},
    {" [ {\"a\" : \"x\" , \"b\":null} ,{\"a\":\"\",\"b\":true}, {\"a\":false, \"b\":-2.50}]\n",
     "[\"a\",\"b\"]", "\tx\t\\N\n\t\ttrue\n\tfalse\t-2.50", 3},
    {"[{\"k\":\"\\\"\\/\\b\\f\\r\\u00e9\\u7ad9\\u0041\"}]", "[\"k\"]",
     "\t\"/\b\f\r\xc3\xa9\xe7\xab\x99" "A", 1},
    {"[{\"\xe7\xab\x99\":\"\xe5\x90\x8d\"}]", "[\"\xe7\xab\x99\"]", "\t\xe5\x90\x8d", 1},
    {"[{\"a\":0,\"a\":1}]", "[\"a\",\"a\"]", "\t0\t1", 1}, /* repeated: the SQL declines */
    {"[{\"a\":-0.5},{\"a\":10},{\"a\":0.0}]", "[\"a\"]", "\t-0.5\n\t10\n\t0.0", 3},
    {"[]", NULL, NULL, 0},
    {"[{}]", NULL, NULL, 0},
    {"{\"a\":1}", NULL, NULL, 0},
    {"[1]", NULL, NULL, 0},
    {"[{\"a\":1},{\"b\":1}]", NULL, NULL, 0},          /* other keys */
    {"[{\"a\":1,\"b\":2},{\"b\":1,\"a\":2}]", NULL, NULL, 0}, /* other order */
    {"[{\"a\":1,\"b\":2},{\"a\":1}]", NULL, NULL, 0},  /* fewer */
    {"[{\"a\":1},{\"a\":1,\"b\":2}]", NULL, NULL, 0},  /* more */
    {"[{\"a\":[1]}]", NULL, NULL, 0},                  /* nested values */
    {"[{\"a\":{}}]", NULL, NULL, 0},
    {"[{\"a\":1e2}]", NULL, NULL, 0},                  /* jsonb writes 100 */
    {"[{\"a\":-0}]", NULL, NULL, 0},                   /* numeric has no -0 */
    {"[{\"a\":-0.00}]", NULL, NULL, 0},
    {"[{\"a\":01}]", NULL, NULL, 0},
    {"[{\"a\":1.}]", NULL, NULL, 0},
    {"[{\"a\":.5}]", NULL, NULL, 0},
    {"[{\"a\":+1}]", NULL, NULL, 0},
    {"[{\"a\":\"x\\ty\"}]", NULL, NULL, 0},             /* a tab, a newline, a backslash */
    {"[{\"a\":\"x\\ny\"}]", NULL, NULL, 0},
    {"[{\"a\":\"x\\\\y\"}]", NULL, NULL, 0},
    {"[{\"a\":\"x\\u0009y\"}]", NULL, NULL, 0},
    {"[{\"a\":\"x\\u005cy\"}]", NULL, NULL, 0},
    {"[{\"a\":\"x\\u0000y\"}]", NULL, NULL, 0},
    {"[{\"a\":\"\\ud83d\\ude00\"}]", NULL, NULL, 0},  /* surrogates */
    {"[{\"a\":\"x\ty\"}]", NULL, NULL, 0},              /* a raw control character */
    {"[{\"a\\u0062\":1}]", NULL, NULL, 0},             /* an escaped key */
    {"[{\"a\":1}", NULL, NULL, 0},
    {"[{\"a\":1},]", NULL, NULL, 0},
    {"[{\"a\":1,}]", NULL, NULL, 0},
    {"[{\"a\" 1}]", NULL, NULL, 0},
    {"[{\"a\":tru}]", NULL, NULL, 0},
    {"[{\"a\":\"x}]", NULL, NULL, 0},
    {"[{\"a\":1}] x", NULL, NULL, 0},
    {"[{\"a\":1", NULL, NULL, 0},
    {"[{\"a", NULL, NULL, 0},
    {"[{\"a\":\"\\u00", NULL, NULL, 0},
    {"", NULL, NULL, 0},
};

int main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ds_rows r;
        /* an exact-size copy: ASan sees any read past the end */
        size_t n = strlen(cases[i].text);
        char *t = xmalloc(n ? n : 1);
        memcpy(t, cases[i].text, n);
        bool ok = ds_rows_flat(t, n, &r);
        free(t);
        T_CHECK(ok == (cases[i].keys != NULL), "case %zu (%s): %d", i, cases[i].text, ok);
        if (ok && cases[i].keys) {
            T_STREQ(r.keys, cases[i].keys, cases[i].text);
            T_STREQ(r.rows, cases[i].rows, cases[i].text);
            T_CHECK(r.nrows == cases[i].nrows, "case %zu: %zu rows", i, r.nrows);
        } else {
            T_CHECK(!r.keys && !r.rows, "case %zu: left empty", i);
        }
        ds_rows_free(&r);
    }
    /* many keys and records: the buffers grow */
    size_t nk = 100, nr = 1000;
    char *big = xmalloc(nr * (nk * 12 + 4) + 4), *p = big;
    *p++ = '[';
    for (size_t r = 0; r < nr; r++) {
        p += sprintf(p, "%s{", r ? "," : "");
        for (size_t k = 0; k < nk; k++)
            p += sprintf(p, "%s\"k%zu\":%zu", k ? "," : "", k, r);
        *p++ = '}';
    }
    *p++ = ']';
    struct ds_rows rows;
    T_CHECK(ds_rows_flat(big, (size_t)(p - big), &rows) && rows.nrows == nr, "big");
    T_CHECK(rows.keys && strncmp(rows.keys, "[\"k0\",\"k1\",", 11) == 0, "big keys");
    T_CHECK(rows.rows && strncmp(rows.rows, "\t0\t0\t0", 6) == 0 &&
                strstr(rows.rows, "\n\t999\t999") != NULL,
            "big rows");
    ds_rows_free(&rows);
    free(big);
    T_DONE();
}
