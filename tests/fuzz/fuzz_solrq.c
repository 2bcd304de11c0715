/* libFuzzer driver for server/ckan/solrq.c (`make fuzz`). The first byte picks the entry point
 * (standard syntax for q or fq, dismax, a field name for sort/facets); the rest is the text.
 * Beyond the sanitizers it checks the parser's promises: the SQL holds no user text (every
 * value is a parameter, so the SQL is plain ASCII), every $n it names exists, and every
 * parameter is used (PostgreSQL refuses untyped unused ones). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "solrq.h"

#define FIRST 4

static void check(const char *what, const char *sql, const char *rank, struct solrq *q)
{
    int n = solrq_nparams(q);
    char *used = calloc((size_t)n + 1, 1);
    const char *texts[2] = {sql, rank};
    for (int t = 0; t < 2; t++)
        for (const char *s = texts[t]; s && *s; s++) {
            if ((unsigned char)*s >= 0x80 || *s == '\0') {
                fprintf(stderr, "%s: non-ASCII byte in SQL: %s\n", what, sql);
                abort();
            }
            if (*s != '$')
                continue;
            long k = strtol(s + 1, NULL, 10);
            if (k < FIRST || k >= FIRST + n) {
                fprintf(stderr, "%s: $%ld out of range (%d params): %s\n", what, k, n, sql);
                abort();
            }
            used[k - FIRST] = 1;
        }
    for (int i = 0; i < n; i++)
        if (!used[i]) {
            fprintf(stderr, "%s: parameter $%d unused: %s | %s\n", what, FIRST + i, sql,
                    rank ? rank : "");
            abort();
        }
    free(used);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    struct solrq *q = solrq_new(&solrq_ckan_map, FIRST);
    const char *sql = NULL;
    switch (data[0] % 4) {
    case 0:
        sql = solrq_lucene(q, text, "text", true, true);
        break;
    case 1:
        sql = solrq_lucene(q, text, "text", true, false);
        break;
    case 2:
        sql = solrq_dismax(q, text, NULL);
        break;
    case 3: {
        struct solrq_expr e;
        if (solrq_field(q, text, &e))
            sql = e.sql;
        break;
    }
    }
    if (sql)
        check("query", sql, solrq_rank(q), q);
    else if (data[0] % 4 != 3 && strncmp(solrq_error(q), "Cannot parse", 12) != 0 &&
             strcmp(solrq_error(q), "Invalid \"mm\" parameter") != 0) {
        fprintf(stderr, "error without a message: %s\n", solrq_error(q));
        abort();
    }
    solrq_free(q);
    free(text);
    return 0;
}
