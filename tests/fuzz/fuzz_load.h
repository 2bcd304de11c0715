/* fuzz_load — what the CSV and XML drivers share: the input as a regular file (a memfd, read
 * through /proc/self/fd like any path), checks of enc's output, a pass over the reader's rows
 * that checks every value's type classification and binary form against an independent
 * reading, and load_source_run without a database (the SQL replaced by checks of the COPY stream). */
#ifndef FUZZ_LOAD_H
#define FUZZ_LOAD_H
#include <stddef.h>
#include <stdint.h>

#include "enc.h"
#include "load.h"
#include "load_src.h"

/* The first byte of an input: bits 0-1 the encoding, 5-6 the sample size; the rest is free
 * for the driver. */
enum enc_kind fuzz_load_kind(uint8_t opt);
long fuzz_load_sample(uint8_t opt);

/* Write data to the process's memfd; its path (valid until the next call). */
const char *fuzz_load_file(const uint8_t *data, size_t size);

/* Read the file through enc twice (a rewound pass must give the same text) and check the
 * chunks: non-empty, valid UTF-8 without NUL; UTF-8 input comes out as it went in (BOM
 * aside); the SHA-256 and byte count are the file's. */
void fuzz_load_check_enc(const char *path, const uint8_t *data, size_t size, enum enc_kind kind);

/* Run the source once with a checking callback, then load_source_run (no database). Aborts on a
 * broken promise; a clean refusal of the input (bad encoding, malformed file) is fine. */
void fuzz_load_run(struct load_source *src, const uint8_t *data, size_t size,
                   long sample_rows);

#endif
