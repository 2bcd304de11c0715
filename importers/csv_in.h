/* csv_in — CSV files → rows for load_: libcsv callbacks, delimiter detection, header cleanup.
 *
 * Rules: the first record is the header. Trailing empty header names (lines ending in a
 * delimiter) are dropped; other names are cleaned by load_cols_add. Unquoted fields are
 * trimmed of spaces (libcsv), quoted ones are kept as they are. Blank lines and records whose
 * fields are all empty are skipped. A record with fewer fields than the header is padded with
 * NULL; one with more non-empty fields gets extra columns "column_N" (empty fields past the
 * header are ignored, so nothing is lost and trailing delimiters add nothing). */
#ifndef CSV_IN_H
#define CSV_IN_H
#include <stdbool.h>
#include <stddef.h>

#include "enc.h"
#include "load_src.h"
#include "util.h"

/* The --delimiter value: "auto" (*out = 0), "tab", or one character other than a quote or a
 * line break. */
bool csvin_parse_delim(const char *s, char *out, char **err) MUSTCHECK;

/* The delimiter of a text sample (',', ';' or '\t'): the one splitting the header into the
 * most fields that the following records repeat most often; ',' when nothing tells. */
char csvin_detect_delim(const char *s, size_t len);

/* Prepare src to read CSV from e, which src owns from here (path: the file's name in messages,
 * borrowed; delim 0: detect). False with *err. */
bool csvin_open(struct load_source *src, struct enc *e, const char *path, char delim,
                char **err) MUSTCHECK;
void csvin_close(struct load_source *src);

#endif
