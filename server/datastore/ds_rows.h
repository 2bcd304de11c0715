/* ds_rows — datastore_upsert's records, when they are of the plain kind most clients send, as
 * lines of tab-separated text: PostgreSQL splits those (string_to_table, string_to_array) in a
 * fifth of the time it takes to build the records' jsonb, which was most of an upsert's cost
 * (docs/DATASTORE.md, "Writes"). Unit-tested in tests/unit/test_ds_rows.c, fuzzed by
 * tests/fuzz/fuzz_ds_rows.c (against json-c). */
#ifndef DS_ROWS_H
#define DS_ROWS_H
#include <stdbool.h>
#include <stddef.h>

struct ds_rows {
    char *keys; /* the records' keys as a JSON array of strings, in the records' order */
    char *rows; /* one line a record: "\t" then its values, tab-separated; lines joined by "\n" */
    size_t nrows;
};

/* True when text[0..len) is a non-empty JSON array of objects that all have the same keys in the
 * same order (at least one; none spelled with a backslash) and whose values are strings, numbers,
 * true, false or null, each of which PostgreSQL's jsonb ->> reads to exactly the text written
 * here: a string unescaped (false when it then holds a tab, a newline, a backslash or U+0000, or
 * escapes a surrogate), a number as written (false for exponents and negative zeros), true and
 * false as such, null as \N. Then *out holds them (free with ds_rows_free). False says nothing
 * more (the caller takes its usual path) and leaves *out empty. Bytes from 0x80 up are copied
 * as they are (the caller checks the text is UTF-8). */
bool ds_rows_flat(const char *text, size_t len, struct ds_rows *out);
void ds_rows_free(struct ds_rows *rows);

#endif
