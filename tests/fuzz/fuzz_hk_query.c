/* libFuzzer driver for the Filter API's query (server/datastore/hk_query.c) and the SELECT the
 * generator writes for it (sqlbuild.c's sqlb_column_rows) over made-up tables. The input is the
 * text of q. Checks: a refusal has a message of valid UTF-8; a query taken has a resource, a
 * section, operand counts within its operators' arity and numbers where they compare numbers;
 * its statement's quotes balance, and outside them it is ASCII without ';' or comments (every
 * value a literal, every name a quoted identifier). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hk_query.h"
#include "sqlbuild.h"
#include "util.h"

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "fuzz_hk_query: " __VA_ARGS__);                                            \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

#define F(id, type)                                                                                \
    {                                                                                              \
        id, type, "{}", "{}", id                                                                   \
    }
static const struct sqlb_field fields0[] = {F("District", "text"), F("Building name", "text"),
                                            F("Last date", "date"), F("Cases", "int4")};
static const struct sqlb_field fields1[] = {F("a\"b", "numeric"), F("x'y", "bool"),
                                            F("E'", "timestamp"), F("back\\slash", "int8"),
                                            F("名稱", "text")};
static const struct sqlb_table tables[] = {
    {"t0", NULL, 10, 10, 4, fields0, NULL, NULL, NULL, false},
    {"t'1", NULL, 0, 0, 5, fields1, NULL, NULL, NULL, false}};

/* Quotes balance; outside them only ASCII SQL, no ';', no comment. */
static void check_sql(const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\'' || c == '"') {
            bool esc = c == '\'' && i > 0 && s[i - 1] == 'E';
            for (i++;; i++) {
                if (i >= len)
                    FAIL("unterminated %c in: %s", c, s);
                if (esc && s[i] == '\\')
                    i++;
                else if (s[i] == c && s[i + 1] == c)
                    i++;
                else if (s[i] == c)
                    break;
            }
            continue;
        }
        if ((unsigned char)c >= 0x80 || c == ';' || (c == '-' && s[i + 1] == '-') ||
            (c == '/' && s[i + 1] == '*') || c == '$')
            FAIL("byte 0x%02x outside quotes at %zu: %s", (unsigned char)c, i, s);
    }
}

static void check_query(const struct hkq *q)
{
    if (!q->resource || !*q->resource || q->cols.section < 1)
        FAIL("resource or section");
    for (int i = 0; i < q->cols.nfilters; i++) {
        const struct sqlb_colfilter *f = &q->cols.filters[i];
        int min, max;
        sqlb_op_arity(f->op, &min, &max);
        if (f->col < 1 || f->n < min || (max >= 0 && f->n > max))
            FAIL("filter %d: column %lld, %d operands", i, f->col, f->n);
        for (int k = 0; k < f->n; k++)
            if (!f->operands[k] || (sqlb_op_numeric(f->op) && !sqlb_is_number(f->operands[k])))
                FAIL("filter %d: operand %d", i, k);
    }
    for (int i = 0; i < q->cols.nsorts; i++)
        if (q->cols.sorts[i].col < 1)
            FAIL("sort %d", i);
}

static void build(const struct sqlb_table *t, const struct hkq *q)
{
    struct sqlb b;
    struct sqlb_err err = {0};
    const struct sqlb_field **out = NULL;
    int nout = 0;
    sqlb_init(&b);
    if (sqlb_column_rows(&b, t, &q->cols, &out, &nout, &err)) {
        check_sql(b.sql);
        if (nout != t->nfields)
            FAIL("rows without every field");
    } else if (!err.state || !err.param || !err.message) {
        FAIL("refused without a reason");
    }
    free(out);
    sqlb_free(&b);
    sqlb_err_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xstrndup((const char *)data, size);
    struct hkq q;
    char *err = NULL;
    if (hkq_parse(text, &q, &err)) {
        check_query(&q);
        for (size_t i = 0; i < ARRAY_LEN(tables); i++)
            build(&tables[i], &q);
        hkq_free(&q);
    } else if (!err || !*err || !util_utf8_valid(err, strlen(err))) {
        FAIL("refused without a message of UTF-8");
    }
    free(err);
    free(text);
    return 0;
}
