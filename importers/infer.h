/* infer — column types of imported data: which of the DataStore types a value fits, the
 * narrowest type of a column from the values seen, and the form a value is sent to COPY in.
 *
 * The types form three chains, each value fitting a type also fits every wider type of its
 * chain: int4 < int8 < numeric < text, date < timestamp < text, bool < text. A column keeps a
 * mask of the types every value seen so far fits; its type is the narrowest type in the mask.
 * Forms are strict so that PostgreSQL's text form of the value is the file's text exactly
 * (no leading zeros, no "+", no exponent; numeric keeps its scale), except dates, which show
 * as ISO ("2015/2/4" → 2015-02-04). Values go to COPY in its binary form (infer_binary). */
#ifndef INFER_H
#define INFER_H
#include <stdbool.h>
#include <stddef.h>

enum infer_type {
    INFER_BOOL,
    INFER_INT4,
    INFER_INT8,
    INFER_NUMERIC,
    INFER_DATE,
    INFER_TIMESTAMP,
    INFER_TEXT,
    INFER_NTYPES
};

#define INFER_BIT(t) (1u << (t))
/* The mask of a column before any value: every type (an all-NULL column becomes text). */
#define INFER_ANY ((1u << INFER_NTYPES) - 1)

/* The types a non-empty value fits, as a mask of INFER_BIT (INFER_TEXT always set). */
unsigned infer_classify(const char *s, size_t len);

/* The narrowest type in mask; text when mask says nothing (no value seen) or nothing fits. */
enum infer_type infer_pick(unsigned mask);

/* True when the value fits type t (text fits anything). */
bool infer_fits(enum infer_type t, const char *s, size_t len);

/* SQL name of a type: "int4", "int8", "numeric", "date", "timestamp", "bool", "text". */
const char *infer_sql_name(enum infer_type t);

/* Room infer_binary needs for a value of len bytes. */
#define INFER_BIN_MAX(len) ((len) + 16)

/* The value in COPY's binary form for a column of type t (text: the bytes as they are) into
 * out (INFER_BIN_MAX(len) bytes); its length, 0 when empty. The value must fit t (infer_fits:
 * the loader checks every value before it is written). */
size_t infer_binary(enum infer_type t, const char *s, size_t len, char *out);

#endif
